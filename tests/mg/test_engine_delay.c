/* test_engine_delay.c - rtp/delay through the engine on a real data plane: an RTCP SR from
 * T1's remote passes the call towards T2's remote, which answers with an RR echoing it and a
 * known DLSR; AuditValue and Subtract then report on T2 the round trip between the relay and
 * T2's remote in milliseconds, and 0 on T1 (nothing answered there). */
#include "engine_fixture.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#define HDR "MEGACO/3 [127.0.0.1]:2945\n"

typedef struct remote {
    int rtp, rtcp;
    int port;
} remote_t;

static int udp_at(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* An RTP socket on an even port and the RTCP one above it. */
static remote_t remote_new(void)
{
    remote_t r;
    for (int tries = 0; tries < 100; tries++) {
        r.rtp = udp_at(0);
        struct sockaddr_in a;
        socklen_t n = sizeof(a);
        assert_int_equal(getsockname(r.rtp, (struct sockaddr *)&a, &n), 0);
        r.port = ntohs(a.sin_port);
        if (r.port % 2 == 0 && r.port < 65534 && (r.rtcp = udp_at(r.port + 1)) >= 0) return r;
        close(r.rtp);
    }
    fail_msg("no even/odd port pair");
    return r;
}

static void send_to(int fd, int port, const uint8_t *p, size_t n)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)n);
}

static int recv_wait(int fd, uint8_t *b, size_t n)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, 500) != 1) return -1;
    return (int)recv(fd, b, n, 0);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *add(fx_t *f, const char *ctx, const remote_t *r, int *port)
{
    char req[768];
    snprintf(req, sizeof(req),
             HDR "Transaction=1{Context=%s{Add=${Media{Stream=1{Local{\nv=0\nc=IN IP4 $\n"
                 "m=audio $ RTP/AVP 0\n},Remote{\nv=0\nc=IN IP4 127.0.0.1\nm=audio %d RTP/AVP 0\n"
                 "}}}}}}",
             ctx, r->port);
    const char *out = run(f, req);
    *port = fx_mport(out);
    assert_true(*port > 0);
    return out;
}

/* The value of rtp/delay in a reply, -1 when absent. */
static long delay_of(const char *r)
{
    const char *p = strstr(r, "rtp/delay=");
    return p ? strtol(p + 10, NULL, 10) : -1;
}

static void delay_is_the_rtcp_round_trip_to_the_terminations_remote(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    remote_t a = remote_new(), b = remote_new();
    int p1, p2;
    add(f, "$", &a, &p1);
    add(f, "1", &b, &p2);
    const char *r = run(f, HDR "Transaction=2{Context=1{AuditValue=ip/4/core/2{Audit{"
                               "Statistics{rtp/delay}}}}}");
    assert_int_equal(delay_of(r), 0); /* nothing measured yet */

    uint8_t sr[28] = {0x80, 200, 0, 6, 0xA, 0xA, 0xA, 0xA, 0xE1, 0x23, 0x45, 0x67, 0x89, 0xAB};
    send_to(a.rtcp, p1 + 1, sr, sizeof(sr)); /* to T1's RTCP port */
    uint8_t got[64];
    assert_int_equal(recv_wait(b.rtcp, got, sizeof(got)), 28); /* out towards T2's remote */
    sleep_ms(70);
    /* RR: one block about 0x0A0A0A0A, LSR = middle of the SR's NTP, DLSR 20 ms (1311/65536) */
    uint8_t rr[32] = {0x81, 201, 0, 7, 0xB, 0xB, 0xB, 0xB, 0xA, 0xA, 0xA, 0xA};
    memcpy(rr + 24, got + 10, 4);
    rr[30] = 1311 >> 8;
    rr[31] = 1311 & 0xFF;
    send_to(b.rtcp, p2 + 1, rr, sizeof(rr));
    assert_int_equal(recv_wait(a.rtcp, got, sizeof(got)), 32);
    sleep_ms(30); /* the worker publishes */

    r = run(f, HDR "Transaction=3{Context=1{AuditValue=ip/4/core/2{Audit{"
                   "Statistics{rtp/delay}}}}}");
    long d = delay_of(r);
    print_message("rtp/delay on T2: %ld ms\n", d);
    assert_true(d >= 49 && d < 90); /* 70 ms held, 20 ms claimed: about 50 */
    r = run(f, HDR "Transaction=4{Context=1{AuditValue=ip/4/core/1{Audit{"
                   "Statistics{rtp/delay}}}}}");
    assert_int_equal(delay_of(r), 0);
    r = run(f, HDR "Transaction=5{Context=1{Subtract=ip/4/core/2{Audit{"
                   "Statistics{rtp/delay,rtp/pr}}}}}");
    assert_true(delay_of(r) == d);
    assert_has(r, "rtp/pr=1");
    close(a.rtp);
    close(a.rtcp);
    close(b.rtp);
    close(b.rtcp);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delay_is_the_rtcp_round_trip_to_the_terminations_remote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
