/* test_engine_move.c - H.248 Move on a real data plane with real RTP: the termination keeps
 * its gates (ports, latched source, counters, RTP loss state) and only changes whom they are
 * paired with. Remote sockets at fx_port_base() + 1100..1109. */
#include "engine_fixture.h"
#include "mg/engine_int.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#define HDR "MEGACO/3 [127.0.0.1]:2945\n"

static int udp_at(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void send_rtp(int fd, int port, uint16_t seq)
{
    uint8_t rtp[32] = {0x80, 0x00, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 1, 0, 0, 0, 9};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(sendto(fd, rtp, sizeof(rtp), 0, (struct sockaddr *)&a, sizeof(a)), 32);
}

/* The sequence number of a datagram arriving within ms, or -1. */
static int recv_seq(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1) return -1;
    uint8_t b[2048];
    if (recv(fd, b, sizeof(b), 0) < 4) return -1;
    return b[2] << 8 | b[3];
}

/* Add a termination with Remote 127.0.0.1:rport (latching) into context ctx; its port. */
static int add(fx_t *f, const char *ctx, int rport)
{
    char req[512];
    snprintf(req, sizeof(req),
             HDR "Transaction=50{Context=%s{Add=${Media{Stream=1{"
                 "LocalControl{Mode=SendReceive,ipnat/latch=ON},"
                 "Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},"
                 "Remote{\nv=0\nc=IN IP4 127.0.0.1\nm=audio %d RTP/AVP 0\n}}}}}}",
             ctx, rport);
    int p = fx_mport(run(f, req));
    assert_true(p > 0);
    return p;
}

/* T1's peer is behind a NAT: its SDP says port base+1100, it sends from base+1102. T1 and T2
 * talk in context 1; T3 waits in context 2; T1 moves there. */
static void move_keeps_the_latched_source_and_the_statistics_of_before(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    int base = fx_port_base() + 1100;
    int nat = udp_at((uint16_t)(base + 2)), b = udp_at((uint16_t)(base + 4)),
        c = udp_at((uint16_t)(base + 6));
    int l1 = add(f, "$", base), l2 = add(f, "1", base + 4), l3 = add(f, "$", base + 6);
    for (uint16_t s = 1; s <= 3; s++) { /* T1 latches the NATed source */
        send_rtp(nat, l1, s);
        assert_int_equal(recv_seq(b, 1000), s);
    }
    for (uint16_t s = 1; s <= 2; s++) {
        send_rtp(b, l2, s);
        assert_int_equal(recv_seq(nat, 1000), s); /* to where T1's peer really is */
    }
    const char *r = run(f, HDR "Transaction=51{Context=2{Move=ip/4/core/1{}}}");
    assert_has(r, "C=2{MV=ip/4/core/1}");
    /* T3's media reaches the NATed peer, which has not sent since the Move */
    for (uint16_t s = 1; s <= 4; s++) {
        send_rtp(c, l3, s);
        assert_int_equal(recv_seq(nat, 1000), s);
    }
    /* and the peer's media (4 and 5 lost on its way) goes to T3's side, not T2's */
    for (uint16_t s = 6; s <= 8; s++) {
        send_rtp(nat, l1, s);
        assert_int_equal(recv_seq(c, 1000), s);
    }
    assert_int_equal(recv_seq(b, 100), -1);
    send_rtp(b, l2, 3); /* T2 has no peer now */
    assert_int_equal(recv_seq(nat, 200), -1);
    usleep(50000);
    r = run(f, HDR "Transaction=52{Context=2{Subtract=ip/4/core/1{Audit{Statistics{"
                   "rtp/pr,rtp/ps,nt/or,rtp/pl}}}}}");
    /* before and after the Move: 3 + 3 received, 2 + 4 sent, 2 lost on the way */
    assert_has(r, "rtp/pr=6");
    assert_has(r, "rtp/ps=6");
    assert_has(r, "nt/or=192");
    assert_has(r, "rtp/pl=2");
    close(nat);
    close(b);
    close(c);
    fx_free(f);
}

/* A Move into a new context ($): the termination waits there alone; the one it left keeps
 * its port and pairs with a newcomer, as does the mover. */
static void move_to_a_new_context_pairs_each_side_with_the_newcomers(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    int base = fx_port_base() + 1110;
    int a = udp_at((uint16_t)base), b = udp_at((uint16_t)(base + 2)),
        c = udp_at((uint16_t)(base + 4)), d = udp_at((uint16_t)(base + 6));
    int l1 = add(f, "$", base), l2 = add(f, "1", base + 2);
    send_rtp(a, l1, 1);
    assert_int_equal(recv_seq(b, 1000), 1);
    const char *r = run(f, HDR "Transaction=53{Context=${Move=ip/4/core/1{}}}");
    assert_has(r, "C=2{MV=ip/4/core/1}");
    send_rtp(a, l1, 2);
    assert_int_equal(recv_seq(b, 200), -1);
    int l3 = add(f, "2", base + 4), l4 = add(f, "1", base + 6);
    send_rtp(a, l1, 3);
    assert_int_equal(recv_seq(c, 1000), 3);
    send_rtp(c, l3, 1);
    assert_int_equal(recv_seq(a, 1000), 1);
    send_rtp(b, l2, 1);
    assert_int_equal(recv_seq(d, 1000), 1);
    send_rtp(d, l4, 1);
    assert_int_equal(recv_seq(b, 1000), 1);
    close(a);
    close(b);
    close(c);
    close(d);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(move_keeps_the_latched_source_and_the_statistics_of_before),
        cmocka_unit_test(move_to_a_new_context_pairs_each_side_with_the_newcomers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
