/* test_transport.c - bgfd's control transport: TPKT framing (every header rule, every
 * truncated prefix), and real sockets on loopback: UDP over IPv4 and IPv6, TCP frames split
 * across reads and packed several per read, a bad frame closing the connection, replies going
 * back on the connection they came from. Ports: BGF_MG_TEST_PORT (default 12990, 12991). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mg/transport.h"

static void tpkt_header_rules(void **state)
{
    uint8_t f[8] = {3, 0, 0, 7, 'a', 'b', 'c', 'x'};
    assert_int_equal(mg_tpkt_frame(f, 8), 7);
    for (size_t n = 0; n < 7; n++)
        assert_int_equal(mg_tpkt_frame(f, n), 0); /* every prefix */
    uint8_t badver[4] = {2, 0, 0, 7}, badres[4] = {3, 1, 0, 7}, short_len[4] = {3, 0, 0, 4};
    assert_int_equal(mg_tpkt_frame(badver, 1), -1); /* refused from its first byte */
    assert_int_equal(mg_tpkt_frame(badres, 2), -1);
    assert_int_equal(mg_tpkt_frame(short_len, 4), -1);
    uint8_t h[4];
    assert_int_equal(mg_tpkt_header(h, 3), 0);
    assert_memory_equal(h, f, 4);
    assert_int_equal(mg_tpkt_header(h, 65531), 0);
    assert_int_equal(h[2], 0xff);
    assert_int_equal(h[3], 0xff);
    assert_int_equal(mg_tpkt_header(h, 65532), -1);
    assert_int_equal(mg_tpkt_header(h, 0), -1);
}

/* ---- live sockets ---- */

typedef struct rx_log {
    int n;
    char msg[8][256];
    mg_peer_t from[8];
    int closed;
    mg_net_t *net;
    bool echo;
} rx_log_t;

static void on_rx(void *arg, const mg_peer_t *from, const char *msg, size_t len)
{
    rx_log_t *l = arg;
    if (l->n < 8) {
        snprintf(l->msg[l->n], sizeof(l->msg[0]), "%.*s", (int)len, msg);
        l->from[l->n] = *from;
    }
    l->n++;
    if (l->echo) mg_net_send(l->net, from, msg, len);
    if (len == 5 && memcmp(msg, "close", 5) == 0) mg_net_close_all(l->net);
}

static void on_close(void *arg, const mg_peer_t *p, const char *why)
{
    ((rx_log_t *)arg)->closed++;
}

static void stop_loop(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    mg_loop_stop(l);
}

static void run_for(mg_loop_t *l, unsigned ms)
{
    mg_timer_t t;
    mg_timer_init(&t, stop_loop, NULL);
    mg_loop_now_update(l);
    mg_timer_start(l, &t, ms);
    mg_loop_run(l);
}

static int port_base(void)
{
    const char *e = getenv("BGF_MG_TEST_PORT");
    return e ? atoi(e) : 12990;
}

typedef struct fixture {
    mg_loop_t *loop;
    mg_config_t cfg;
    mg_net_t *net;
    rx_log_t log;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char a[64], err[256];
    mg_config_default(&f->cfg);
    snprintf(a, sizeof(a), "127.0.0.1:%d", port_base());
    netaddr_parse(&f->cfg.listen_udp[0], a, -1);
    snprintf(a, sizeof(a), "[::1]:%d", port_base());
    netaddr_parse(&f->cfg.listen_udp[1], a, -1);
    f->cfg.nlisten_udp = 2;
    snprintf(a, sizeof(a), "127.0.0.1:%d", port_base() + 1);
    netaddr_parse(&f->cfg.listen_tcp[0], a, -1);
    snprintf(a, sizeof(a), "[::1]:%d", port_base() + 1);
    netaddr_parse(&f->cfg.listen_tcp[1], a, -1);
    f->cfg.nlisten_tcp = 2;
    f->loop = mg_loop_new(4096);
    f->net = mg_net_new(f->loop, &f->cfg, on_rx, on_close, &f->log, err, sizeof(err));
    if (!f->net) print_error("%s\n", err);
    assert_non_null(f->net);
    f->log.net = f->net;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    mg_net_free(f->net);
    mg_loop_free(f->loop);
    free(f);
    return 0;
}

static int client(int family, int type, int port)
{
    netaddr_t a;
    netaddr_parse_ip(&a, family == AF_INET ? "127.0.0.1" : "::1", (uint16_t)port);
    int fd = socket(family, type, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, &a.u.sa, netaddr_len(&a)), 0);
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void udp_messages_in_and_replies_out_v4_and_v6(void **state)
{
    fixture_t *f = *state;
    f->log.echo = true;
    int c4 = client(AF_INET, SOCK_DGRAM, port_base());
    int c6 = client(AF_INET6, SOCK_DGRAM, port_base());
    assert_int_equal(send(c4, "hello4", 6, 0), 6);
    assert_int_equal(send(c6, "hello6", 6, 0), 6);
    run_for(f->loop, 50);
    assert_int_equal(f->log.n, 2);
    assert_string_equal(f->log.msg[0], "hello4");
    assert_int_equal(netaddr_family(&f->log.from[1].addr), AF_INET6);
    char buf[32];
    assert_int_equal(recv(c4, buf, sizeof(buf), 0), 6);
    assert_memory_equal(buf, "hello4", 6);
    assert_int_equal(recv(c6, buf, sizeof(buf), 0), 6);
    assert_memory_equal(buf, "hello6", 6);
    close(c4);
    close(c6);
}

static void tcp_frames_split_and_packed_are_reassembled(void **state)
{
    fixture_t *f = *state;
    f->log.echo = true;
    int c = client(AF_INET6, SOCK_STREAM, port_base() + 1);
    run_for(f->loop, 20);
    /* one frame in three pieces, then two frames in one write */
    const uint8_t a1[] = {3, 0}, a2[] = {0, 9, 'a', 'b'}, a3[] = {'c', 'd', 'e'};
    assert_int_equal(send(c, a1, 2, 0), 2);
    run_for(f->loop, 20);
    assert_int_equal(send(c, a2, 4, 0), 4);
    run_for(f->loop, 20);
    assert_int_equal(f->log.n, 0);
    assert_int_equal(send(c, a3, 3, 0), 3);
    const uint8_t two[] = {3, 0, 0, 6, 'x', 'y', 3, 0, 0, 5, 'z'};
    assert_int_equal(send(c, two, sizeof(two), 0), (ssize_t)sizeof(two));
    run_for(f->loop, 50);
    assert_int_equal(f->log.n, 3);
    assert_string_equal(f->log.msg[0], "abcde");
    assert_string_equal(f->log.msg[1], "xy");
    assert_string_equal(f->log.msg[2], "z");
    assert_int_equal(f->log.from[0].kind, MG_TRANSPORT_TCP);
    /* the echoes come back framed on the same connection */
    uint8_t buf[64];
    size_t got = 0;
    while (got < 9 + 6 + 5) {
        ssize_t r = recv(c, buf + got, sizeof(buf) - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_memory_equal(buf,
                        "\x03\x00\x00\x09"
                        "abcde",
                        9);
    assert_memory_equal(buf + 9, two, sizeof(two));
    close(c);
    run_for(f->loop, 20);
    assert_int_equal(f->log.closed, 1);
}

static void bad_tpkt_frame_closes_the_connection(void **state)
{
    fixture_t *f = *state;
    int c = client(AF_INET, SOCK_STREAM, port_base() + 1);
    const uint8_t good[] = {3, 0, 0, 5, 'k'}, bad[] = {4, 0, 0, 5, 'k'};
    assert_int_equal(send(c, good, 5, 0), 5);
    assert_int_equal(send(c, bad, 5, 0), 5);
    run_for(f->loop, 50);
    assert_int_equal(f->log.n, 1);
    assert_int_equal(f->log.closed, 1);
    uint8_t buf[8];
    assert_int_equal(recv(c, buf, sizeof(buf), 0), 0); /* closed by bgfd */
    close(c);
    /* the listener still takes new connections */
    c = client(AF_INET, SOCK_STREAM, port_base() + 1);
    assert_int_equal(send(c, good, 5, 0), 5);
    run_for(f->loop, 50);
    assert_int_equal(f->log.n, 2);
    close(c);
}

static void outbound_tcp_connects_on_first_send(void **state)
{
    fixture_t *f = *state;
    /* a listening "MGC" */
    netaddr_t m;
    netaddr_parse_ip(&m, "127.0.0.1", (uint16_t)(port_base() + 2));
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(ls, &m.u.sa, netaddr_len(&m)), 0);
    assert_int_equal(listen(ls, 1), 0);
    mg_peer_t to = {MG_TRANSPORT_TCP, m, -1};
    assert_int_equal(mg_net_send(f->net, &to, "first", 5), 0);
    assert_int_equal(mg_net_send(f->net, &to, "second", 6), 0);
    run_for(f->loop, 50);
    int c = accept(ls, NULL, NULL);
    assert_true(c >= 0);
    struct timeval tv = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    uint8_t buf[64];
    size_t got = 0;
    while (got < 19) {
        ssize_t r = recv(c, buf + got, sizeof(buf) - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_memory_equal(buf,
                        "\x03\x00\x00\x09"
                        "first"
                        "\x03\x00\x00\x0a"
                        "second",
                        19);
    close(c);
    close(ls);
    run_for(f->loop, 20);
}

/* The layer above may close connections while one of their frames is being delivered: the
 * rest of that read is dropped, nothing is touched after it is gone (ASan checks). */
static void closing_inside_the_handler_is_safe(void **state)
{
    fixture_t *f = *state;
    int c = client(AF_INET, SOCK_STREAM, port_base() + 1);
    const uint8_t two[] = {3, 0, 0, 9, 'c', 'l', 'o', 's', 'e', 3, 0, 0, 5, 'z'};
    assert_int_equal(send(c, two, sizeof(two), 0), (ssize_t)sizeof(two));
    run_for(f->loop, 50);
    assert_int_equal(f->log.n, 1);
    assert_int_equal(f->log.closed, 1);
    uint8_t buf[8];
    assert_int_equal(recv(c, buf, sizeof(buf), 0), 0);
    close(c);
}

/* The data plane holds two sockets per gate: control sockets get high fd numbers. */
static void tcp_works_with_high_fd_numbers(void **state)
{
    fixture_t *f = *state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max < 6000) skip();
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int filler[5000], nf = 0;
    while (nf < 5000 && (filler[nf] = dup(0)) >= 0)
        nf++;
    int c = client(AF_INET, SOCK_STREAM, port_base() + 1);
    assert_true(c > 4096);
    f->log.echo = true;
    const uint8_t good[] = {3, 0, 0, 6, 'h', 'i'};
    assert_int_equal(send(c, good, 6, 0), 6);
    run_for(f->loop, 50);
    assert_int_equal(f->log.n, 1);
    uint8_t buf[8];
    assert_int_equal(recv(c, buf, sizeof(buf), 0), 6);
    close(c);
    run_for(f->loop, 20);
    while (nf > 0)
        close(filler[--nf]);
    rl.rlim_cur = old;
    setrlimit(RLIMIT_NOFILE, &rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tpkt_header_rules),
        cmocka_unit_test_setup_teardown(udp_messages_in_and_replies_out_v4_and_v6, setup, teardown),
        cmocka_unit_test_setup_teardown(tcp_frames_split_and_packed_are_reassembled, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_tpkt_frame_closes_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(outbound_tcp_connects_on_first_send, setup, teardown),
        cmocka_unit_test_setup_teardown(tcp_works_with_high_fd_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(closing_inside_the_handler_is_safe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
