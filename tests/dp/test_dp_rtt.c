/* test_dp_rtt.c - rtp/delay in the data plane with real sockets: an RTCP SR from side A's
 * remote passes the gate pair towards side B; B's remote answers with an RR whose report block
 * echoes the SR (LSR) and says how long it held it (DLSR); the gate on B's side then reports
 * the round trip between the relay and B (RFC 3550 6.4.1), and nothing on A's side. Ports:
 * DP_TEST_PORT + 4000..4019. */
#include "dp_test.h"

#define P(o) t_port(4000 + (o))

static void put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* SR of ssrc without report blocks, NTP timestamp msw.lsw (28 bytes) */
static size_t sr(uint8_t *b, uint32_t ssrc, uint32_t msw, uint32_t lsw)
{
    memset(b, 0, 28);
    b[0] = 0x80;
    b[1] = 200;
    b[3] = 6;
    put32(b + 4, ssrc);
    put32(b + 8, msw);
    put32(b + 12, lsw);
    return 28;
}

/* RR of ssrc with one block about `about`: LSR and DLSR (32 bytes) */
static size_t rr(uint8_t *b, uint32_t ssrc, uint32_t about, uint32_t lsr, uint32_t dlsr)
{
    memset(b, 0, 32);
    b[0] = 0x81;
    b[1] = 201;
    b[3] = 7;
    put32(b + 4, ssrc);
    put32(b + 8, about);
    put32(b + 24, lsr);
    put32(b + 28, dlsr);
    return 32;
}

typedef struct pair {
    dp_t *dp;
    int a_rtp, a_rtcp, b_rtp, b_rtcp; /* the two remotes */
    netaddr_t ga_rtcp, gb_rtcp;       /* the gates' RTCP ports */
} pair_t;

static void pair_open(pair_t *p)
{
    p->dp = t_start(1, 8, 0);
    p->a_rtp = t_ep("127.0.0.1", P(10));
    p->a_rtcp = t_ep("127.0.0.1", P(11));
    p->b_rtp = t_ep("127.0.0.1", P(12));
    p->b_rtcp = t_ep("127.0.0.1", P(13));
    dp_gate_req_t a = t_req(1, 7, "127.0.0.1", P(0), "127.0.0.1", P(10));
    dp_gate_req_t b = t_req(2, 7, "127.0.0.1", P(2), "127.0.0.1", P(12));
    assert_int_equal(dp_gate_open(p->dp, &a), 0);
    assert_int_equal(dp_gate_open(p->dp, &b), 0);
    p->ga_rtcp = t_addr("127.0.0.1", P(1));
    p->gb_rtcp = t_addr("127.0.0.1", P(3));
    t_sleep_ms(20);
}

static void pair_close(pair_t *p)
{
    dp_stop(p->dp);
    close(p->a_rtp);
    close(p->a_rtcp);
    close(p->b_rtp);
    close(p->b_rtcp);
}

/* A's SR through the relay to B; B answers after hold_ms, claiming dlsr (1/65536 s) and lsr
 * (0: echo the SR's). Returns the LSR the SR carried. */
static uint32_t sr_then_rr(pair_t *p, unsigned hold_ms, uint32_t dlsr, uint32_t lsr)
{
    static uint32_t sec = 0xE1234567u; /* each SR one second after the previous */
    uint8_t b[64];
    t_send(p->a_rtcp, &p->ga_rtcp, b, sr(b, 0xA0A0A0A0u, ++sec, 0x89ABCDEFu));
    netaddr_t from;
    assert_int_equal(t_recv(p->b_rtcp, b, sizeof(b), &from, NULL, 500), 28);
    assert_int_equal(netaddr_port(&from), P(3)); /* out of B's gate RTCP port */
    uint32_t mid = get32(b + 10);
    assert_int_equal(mid, ((sec & 0xFFFFu) << 16) | 0x89ABu);
    t_sleep_ms(hold_ms);
    t_send(p->b_rtcp, &p->gb_rtcp, b, rr(b, 0xB0B0B0B0u, 0xA0A0A0A0u, lsr ? lsr : mid, dlsr));
    assert_int_equal(t_recv(p->a_rtcp, b, sizeof(b), NULL, NULL, 500), 32); /* relayed on */
    return mid;
}

static void rr_back_from_b_gives_the_round_trip_on_bs_side(void **st)
{
    (void)st;
    pair_t p;
    pair_open(&p);
    assert_int_equal(t_stats(p.dp, 2).rtt_us, 0); /* nothing measured yet */
    /* B holds the SR 80 ms but says 50 ms (3277/65536 s): the round trip is about 30 ms */
    sr_then_rr(&p, 80, 3277, 0);
    dp_gate_stats_t b = t_stats(p.dp, 2), a = t_stats(p.dp, 1);
    print_message("rtt on B's side: %u us\n", b.rtt_us);
    assert_true(b.rtt_us >= 29000 && b.rtt_us < 60000);
    assert_int_equal(a.rtt_us, 0); /* A's side answered nothing */
    assert_int_equal(b.rtcp_in, 1);
    /* a second exchange replaces it: held 20 ms, DLSR 20 ms: a round trip of a few ms */
    sr_then_rr(&p, 20, 1311, 0);
    b = t_stats(p.dp, 2);
    assert_true(b.rtt_us >= 1 && b.rtt_us < 25000);
    pair_close(&p);
}

static void a_report_that_echoes_no_relayed_sr_measures_nothing(void **st)
{
    (void)st;
    pair_t p;
    pair_open(&p);
    sr_then_rr(&p, 10, 0, 0x11112222u); /* LSR of an SR that never passed */
    assert_int_equal(t_stats(p.dp, 2).rtt_us, 0);
    sr_then_rr(&p, 10, 65536 * 5, 0); /* DLSR longer than the round trip: not negative */
    assert_int_equal(t_stats(p.dp, 2).rtt_us, 0);
    /* RTP passing through changes nothing */
    uint8_t b[200];
    netaddr_t ga = t_addr("127.0.0.1", P(0));
    t_send(p.a_rtp, &ga, b, t_rtp(b, 1, 160, 0xA0A0A0A0u, 100));
    assert_true(t_recv(p.b_rtp, b, sizeof(b), NULL, NULL, 500) > 0);
    assert_int_equal(t_stats(p.dp, 2).rtt_us, 0);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rr_back_from_b_gives_the_round_trip_on_bs_side),
        cmocka_unit_test(a_report_that_echoes_no_relayed_sr_measures_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
