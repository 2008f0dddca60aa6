/* test_dp_relay.c - forwarding through real sockets on loopback: both ways, RTP and RTCP,
 * IPv4, IPv6 and between them, exact statistics, bad packets, no peer, several workers.
 * Gate A faces endpoint X, gate B faces endpoint Y; A and B are peers (same ctx, stream).
 * Ports: DP_TEST_PORT + 100..999. */
#include "dp_test.h"
#include "dp/dp_pkt.h"

typedef struct pair {
    dp_t *dp;
    uint16_t pa, pb, px, py;
    int x, xc, y, yc;     /* endpoints: X RTP/RTCP, Y RTP/RTCP */
    netaddr_t a, ac, b, bc; /* relay ports */
} pair_t;

/* Gates 1 (A) and 2 (B) of context ctx at base port off; A on ipa facing X, B on ipb facing Y. */
static pair_t pair_open(unsigned off, const char *ipa, const char *ipb, unsigned workers)
{
    pair_t p;
    p.dp = t_start(workers, 16, 0);
    p.pa = t_port(off);
    p.pb = t_port(off + 2);
    p.px = t_port(off + 4);
    p.py = t_port(off + 6);
    dp_gate_req_t ra = t_req(1, 77, ipa, p.pa, ipa, p.px);
    dp_gate_req_t rb = t_req(2, 77, ipb, p.pb, ipb, p.py);
    assert_int_equal(dp_gate_open(p.dp, &ra), 0);
    assert_int_equal(dp_gate_open(p.dp, &rb), 0);
    p.x = t_ep(ipa, p.px);
    p.xc = t_ep(ipa, (uint16_t)(p.px + 1));
    p.y = t_ep(ipb, p.py);
    p.yc = t_ep(ipb, (uint16_t)(p.py + 1));
    p.a = t_addr(ipa, p.pa);
    p.ac = t_addr(ipa, (uint16_t)(p.pa + 1));
    p.b = t_addr(ipb, p.pb);
    p.bc = t_addr(ipb, (uint16_t)(p.pb + 1));
    return p;
}

static void pair_close(pair_t *p)
{
    close(p->x);
    close(p->xc);
    close(p->y);
    close(p->yc);
    dp_stop(p->dp);
}

/* Send one datagram from `from` to relay port `to`; it must arrive unchanged at `at`,
 * sent from relay address `src`. */
static void expect_forward(int from, const netaddr_t *to, int at, const netaddr_t *src,
                           const uint8_t *pkt, size_t len)
{
    uint8_t got[2048];
    netaddr_t who;
    t_send(from, to, pkt, len);
    int n = t_recv(at, got, sizeof(got), &who, NULL, 1000);
    assert_int_equal(n, (int)len);
    assert_memory_equal(got, pkt, len);
    assert_true(netaddr_equal(&who, src));
}

static void exchange_both_ways(pair_t *p)
{
    uint8_t b[256];
    for (uint16_t i = 0; i < 10; i++) {
        size_t n = t_rtp(b, i, i * 160u, 0xabcd, 160);
        expect_forward(p->x, &p->a, p->y, &p->b, b, n);
    }
    for (uint16_t i = 0; i < 5; i++) {
        size_t n = t_rtp(b, (uint16_t)(100 + i), i * 160u, 0xdcba, 160);
        expect_forward(p->y, &p->b, p->x, &p->a, b, n);
    }
    size_t n = t_rtcp(b, 0xabcd);
    expect_forward(p->xc, &p->ac, p->yc, &p->bc, b, n);
    n = t_rtcp(b, 0xdcba);
    expect_forward(p->yc, &p->bc, p->xc, &p->ac, b, n);

    dp_gate_stats_t a = t_stats(p->dp, 1), s = t_stats(p->dp, 2);
    assert_int_equal(a.pkts_in, 11);
    assert_int_equal(a.octets_in, 10 * 172 + 8);
    assert_int_equal(a.rtcp_in, 1);
    assert_int_equal(a.pkts_out, 6);
    assert_int_equal(a.octets_out, 5 * 172 + 8);
    assert_int_equal(a.rtcp_out, 1);
    assert_int_equal(s.pkts_in, 6);
    assert_int_equal(s.octets_in, 5 * 172 + 8);
    assert_int_equal(s.pkts_out, 11);
    assert_int_equal(s.octets_out, 10 * 172 + 8);
    assert_int_equal(a.rtp_lost, 0);
    assert_true(a.last_rx_ms > 0);
    assert_int_equal(a.drop_filter + a.drop_mode + a.drop_policer + a.drop_malformed +
                         a.drop_nopeer + a.drop_error, 0);
}

static void forwards_rtp_and_rtcp_both_ways_ipv4_with_exact_counts(void **st)
{
    pair_t p = pair_open(100, "127.0.0.1", "127.0.0.1", 1);
    exchange_both_ways(&p);
    pair_close(&p);
}

static void forwards_rtp_and_rtcp_both_ways_ipv6(void **st)
{
    pair_t p = pair_open(120, "::1", "::1", 1);
    exchange_both_ways(&p);
    pair_close(&p);
}

static void forwards_between_ipv4_and_ipv6(void **st)
{
    pair_t p = pair_open(140, "127.0.0.1", "::1", 2);
    exchange_both_ways(&p);
    pair_close(&p);
}

static void bad_packets_are_counted_and_never_forwarded(void **st)
{
    pair_t p = pair_open(160, "127.0.0.1", "127.0.0.1", 1);
    uint8_t b[3000];
    memset(b, 0, sizeof(b));
    t_send(p.x, &p.a, b, 0);                  /* empty */
    b[0] = 0x80;
    t_send(p.x, &p.a, b, 5);                  /* too short for anything */
    t_send(p.x, &p.a, b, 11);                 /* too short for RTP */
    b[0] = 0x40;
    t_send(p.x, &p.a, b, 172);                /* version 1 */
    b[0] = 0x00;
    t_send(p.x, &p.a, b, 172);                /* version 0 (e.g. STUN) */
    b[0] = 0x80;
    t_send(p.xc, &p.ac, b, 7);                /* too short for RTCP */
    b[0] = 0xc0;
    t_send(p.xc, &p.ac, b, 8);                /* RTCP version 3 */
    b[0] = 0x80;
    t_send(p.x, &p.a, b, sizeof(b));          /* longer than a receive buffer */
    assert_int_equal(t_drain(p.y, 200) + t_drain(p.yc, 10), 0);
    dp_gate_stats_t a = t_stats(p.dp, 1);
    assert_int_equal(a.drop_malformed, 8);
    assert_int_equal(a.pkts_in, 0);
    /* a good packet still passes afterwards */
    size_t n = t_rtp(b, 1, 160, 1, 20);
    expect_forward(p.x, &p.a, p.y, &p.b, b, n);
    pair_close(&p);
}

static void gate_without_peer_drops_and_counts(void **st)
{
    dp_t *dp = t_start(1, 4, 0);
    uint16_t pa = t_port(180), px = t_port(184);
    dp_gate_req_t ra = t_req(1, 5, "127.0.0.1", pa, "127.0.0.1", px);
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    int x = t_ep("127.0.0.1", px);
    netaddr_t a = t_addr("127.0.0.1", pa);
    for (uint16_t i = 0; i < 4; i++) t_send_rtp(x, &a, i, 20);
    dp_gate_stats_t s = t_stats(dp, 1);
    assert_int_equal(s.drop_nopeer, 4);
    assert_int_equal(s.pkts_in, 0);
    /* a peer without a remote address yet: still nowhere to send */
    dp_gate_req_t rb = t_req(2, 5, "127.0.0.1", (uint16_t)(pa + 2), NULL, 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    t_send_rtp(x, &a, 9, 20);
    s = t_stats(dp, 1);
    assert_int_equal(s.drop_nopeer, 5);
    dp_gate_stats_t fin;
    assert_int_equal(dp_gate_close(dp, 1, &fin), 0);
    assert_int_equal(fin.drop_nopeer, 5);
    close(x);
    dp_stop(dp);
}

static void peers_are_matched_by_context_and_stream(void **st)
{
    /* contexts 1..20 with two streams each, over two workers: each flow reaches its own peer */
    dp_t *dp = t_start(2, 128, 0);
    enum { N = 20 };
    int ep[N][2];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 2; k++) {
            uint16_t gp = t_port(200 + 8 * (unsigned)i + 4 * (unsigned)k);
            uint16_t rp = t_port(400 + 8 * (unsigned)i + 4 * (unsigned)k);
            dp_gate_req_t r = t_req((uint32_t)(1 + 2 * i + k), (uint32_t)(1 + i / 2), "127.0.0.1",
                                    gp, "127.0.0.1", rp);
            r.stream_id = (uint16_t)(i % 2);
            assert_int_equal(dp_gate_open(dp, &r), 0);
            ep[i][k] = t_ep("127.0.0.1", rp);
        }
    }
    assert_int_equal(dp_gate_count(dp), 2 * N);
    for (int i = 0; i < N; i++) {
        netaddr_t g = t_addr("127.0.0.1", t_port(200 + 8 * (unsigned)i));
        netaddr_t peer = t_addr("127.0.0.1", t_port(200 + 8 * (unsigned)i + 4));
        uint8_t b[64];
        size_t n = t_rtp(b, (uint16_t)i, 0, (uint32_t)i, 8);
        expect_forward(ep[i][0], &g, ep[i][1], &peer, b, n);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(t_drain(ep[i][0], 1), 0);
        close(ep[i][0]);
        close(ep[i][1]);
    }
    dp_stop(dp);
}

static void random_datagrams_never_crash_and_only_valid_ones_pass(void **st)
{
    pair_t p = pair_open(600, "127.0.0.1", "127.0.0.1", 1);
    uint32_t seed = 12345, valid = 0;
    uint8_t b[400];
    for (int i = 0; i < 400; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 8) % 300;
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            b[k] = (uint8_t)(seed >> 16);
        }
        if (dp_pkt_classify(b, (uint32_t)len, false) != DP_PKT_BAD) valid++;
        t_send(p.x, &p.a, b, len);
        if (i % 50 == 49) t_sleep_ms(5); /* stay within socket buffers */
    }
    assert_int_equal(t_drain(p.y, 200), (int)valid);
    dp_gate_stats_t a = t_stats(p.dp, 1);
    assert_int_equal(a.pkts_in, valid);
    assert_int_equal(a.drop_malformed, 400 - valid);
    assert_true(valid > 50 && valid < 350);
    pair_close(&p);
}

static void gates_opened_and_closed_while_media_flows_on_two_workers(void **st)
{
    dp_t *dp = t_start(2, 8, 0);
    uint16_t px = t_port(620), py = t_port(622);
    int x = t_ep("127.0.0.1", px), y = t_ep("127.0.0.1", py);
    for (uint32_t i = 0; i < 150; i++) {
        uint16_t pa = t_port(640 + 4 * (i % 10)), pb = (uint16_t)(pa + 2);
        dp_gate_req_t ra = t_req(1000 + 2 * i, i, "127.0.0.1", pa, "127.0.0.1", px);
        dp_gate_req_t rb = t_req(1001 + 2 * i, i, "127.0.0.1", pb, "127.0.0.1", py);
        assert_int_equal(dp_gate_open(dp, &ra), 0);
        assert_int_equal(dp_gate_open(dp, &rb), 0);
        netaddr_t a = t_addr("127.0.0.1", pa), bb = t_addr("127.0.0.1", pb);
        uint8_t buf[64];
        size_t n = t_rtp(buf, (uint16_t)i, i, i, 8);
        expect_forward(x, &a, y, &bb, buf, n);
        t_send(x, &a, buf, n); /* still in flight while the gates close */
        dp_gate_stats_t fa;
        assert_int_equal(dp_gate_close(dp, ra.gate_id, &fa), 0);
        assert_true(fa.pkts_in >= 1 && fa.pkts_in <= 2);
        assert_int_equal(dp_gate_close(dp, rb.gate_id, NULL), 0);
        /* the close is synchronous: a late packet was either forwarded already or never is */
        assert_int_equal(t_drain(y, 0), (int)fa.pkts_in - 1);
    }
    assert_int_equal(dp_gate_count(dp), 0);
    t_drain(y, 50);
    close(x);
    close(y);
    dp_stop(dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forwards_rtp_and_rtcp_both_ways_ipv4_with_exact_counts),
        cmocka_unit_test(forwards_rtp_and_rtcp_both_ways_ipv6),
        cmocka_unit_test(forwards_between_ipv4_and_ipv6),
        cmocka_unit_test(bad_packets_are_counted_and_never_forwarded),
        cmocka_unit_test(gate_without_peer_drops_and_counts),
        cmocka_unit_test(peers_are_matched_by_context_and_stream),
        cmocka_unit_test(random_datagrams_never_crash_and_only_valid_ones_pass),
        cmocka_unit_test(gates_opened_and_closed_while_media_flows_on_two_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
