/* test_dp_pkt.c - the pure per-packet helpers with crafted input and a fake clock: header
 * classification, RTP loss (RFC 3550 A.1/A.3: gaps, wrap, duplicates, reordering, restarts,
 * SSRC change), interarrival jitter against the RFC formula, the token buckets, compound RTCP
 * parsing (every truncated prefix, a guard page right after the packet) and the RTCP round
 * trip of RFC 3550 6.4.1. */
#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dp/dp_pkt.h"

#define MS 1000000ull

static void rtp(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    memset(b, 0, 12);
    b[0] = 0x80;
    b[1] = pt;
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) b[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
    for (int i = 0; i < 4; i++) b[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
}

static void feed(dp_rtpstat_t *s, const uint16_t *seqs, int n, uint32_t ssrc)
{
    uint8_t b[12];
    for (int i = 0; i < n; i++) {
        rtp(b, 0, seqs[i], (uint32_t)seqs[i] * 160u, ssrc);
        dp_rtpstat_update(s, b, (uint64_t)(i + 1) * 20 * MS);
    }
}

static void classify_checks_length_version_and_rtcp_mux(void **st)
{
    uint8_t b[16] = {0x80, 0};
    assert_int_equal(dp_pkt_classify(b, 12, false), DP_PKT_RTP);
    assert_int_equal(dp_pkt_classify(b, 11, false), DP_PKT_BAD);
    assert_int_equal(dp_pkt_classify(b, 0, false), DP_PKT_BAD);
    assert_int_equal(dp_pkt_classify(b, 8, true), DP_PKT_RTCP);
    assert_int_equal(dp_pkt_classify(b, 7, true), DP_PKT_BAD);
    b[1] = 200; /* SR multiplexed on the RTP port */
    assert_int_equal(dp_pkt_classify(b, 8, false), DP_PKT_RTCP);
    b[0] = 0x40;
    assert_int_equal(dp_pkt_classify(b, 12, false), DP_PKT_BAD);
    assert_int_equal(dp_pkt_classify(b, 12, true), DP_PKT_BAD);
    b[0] = 0xc0;
    assert_int_equal(dp_pkt_classify(b, 12, true), DP_PKT_BAD);
    assert_int_equal(dp_rtp_clock(0), 8000);
    assert_int_equal(dp_rtp_clock(34), 90000);
    assert_int_equal(dp_rtp_clock(111), 8000);
}

static void loss_counts_sequence_gaps(void **st)
{
    dp_rtpstat_t s = {0};
    uint16_t q[] = {0, 1, 2, 5, 6, 7, 9};
    feed(&s, q, 7, 1);
    assert_int_equal(dp_rtpstat_lost(&s), 3);
}

static void loss_survives_sequence_wrap(void **st)
{
    dp_rtpstat_t s = {0};
    uint16_t q[] = {65533, 65534, 65535, 0, 2, 3};
    feed(&s, q, 6, 1);
    assert_int_equal(dp_rtpstat_lost(&s), 1);
    assert_int_equal(s.cycles, 65536);
}

static void duplicates_and_reordering_are_not_loss(void **st)
{
    dp_rtpstat_t s = {0};
    uint16_t q[] = {10, 12, 11, 13, 13, 14};
    feed(&s, q, 6, 1);
    assert_int_equal(dp_rtpstat_lost(&s), 0);
}

static void big_jump_restarts_only_when_confirmed(void **st)
{
    dp_rtpstat_t s = {0};
    uint16_t q[] = {0, 1, 3, 30000, 4, 5};
    feed(&s, q, 6, 1); /* a lone jump is ignored */
    assert_int_equal(dp_rtpstat_lost(&s), 1);
    uint16_t r[] = {40000, 40001, 40002, 40004};
    feed(&s, r, 4, 1); /* a jump followed by its successor restarts the count */
    assert_int_equal(dp_rtpstat_lost(&s), 2);
}

static void new_ssrc_keeps_earlier_loss(void **st)
{
    dp_rtpstat_t s = {0};
    uint16_t q[] = {0, 2, 4};
    feed(&s, q, 3, 1);
    uint16_t r[] = {500, 501, 503};
    feed(&s, r, 3, 2);
    assert_int_equal(dp_rtpstat_lost(&s), 3);
}

static void jitter_follows_rfc3550_formula(void **st)
{
    dp_rtpstat_t s = {0};
    const uint64_t arr_ms[] = {1000, 1020, 1045, 1060, 1080, 1110, 1120};
    double j = 0; /* reference, seconds */
    uint8_t b[12];
    for (int i = 0; i < 7; i++) {
        rtp(b, 0, (uint16_t)i, (uint32_t)i * 160u, 9); /* 20 ms apart at 8 kHz */
        dp_rtpstat_update(&s, b, arr_ms[i] * MS);
        if (i > 0) {
            double d = (double)(arr_ms[i] - arr_ms[i - 1]) / 1000.0 - 0.020;
            j += (fabs(d) - j) / 16.0;
        }
    }
    uint32_t ref_us = (uint32_t)(j * 1e6);
    assert_true(dp_rtpstat_jitter_us(&s) + 2 >= ref_us && dp_rtpstat_jitter_us(&s) <= ref_us + 2);
    assert_true(ref_us > 1000);
}

static void jitter_is_zero_for_perfect_timing_and_uses_payload_clock(void **st)
{
    dp_rtpstat_t s = {0};
    uint8_t b[12];
    for (int i = 0; i < 50; i++) {
        rtp(b, 34, (uint16_t)i, (uint32_t)i * 3000u, 9); /* 90 kHz video, 33.3 ms frames */
        dp_rtpstat_update(&s, b, 5000 * MS + (uint64_t)i * 3000u * 1000000000ull / 90000u);
    }
    assert_int_equal(dp_rtpstat_jitter_us(&s), 0);
}

static void policer_single_rate_admits_burst_then_rate(void **st)
{
    dp_policer_t c = {.on = true, .sdr = 1000, .mbs = 500};
    dp_pol_t p;
    uint64_t t = 7 * MS;
    dp_pol_init(&p, &c, t);
    assert_true(dp_pol_admit(&p, 200, t));
    assert_true(dp_pol_admit(&p, 200, t));
    assert_false(dp_pol_admit(&p, 200, t)); /* 100 left */
    assert_true(dp_pol_admit(&p, 100, t));
    assert_false(dp_pol_admit(&p, 100, t + 99 * MS)); /* 99 bytes refilled */
    assert_true(dp_pol_admit(&p, 100, t + 100 * MS));
    /* a long silence refills to mbs, never more */
    assert_true(dp_pol_admit(&p, 500, t + 100000 * MS));
    assert_false(dp_pol_admit(&p, 1, t + 100000 * MS));
    /* over 10 s at 1000 B/s: 10000 bytes plus the burst */
    uint64_t got = 0, t0 = t + 200000 * MS;
    for (int i = 0; i < 10000; i++)
        if (dp_pol_admit(&p, 50, t0 + (uint64_t)i * MS)) got += 50;
    assert_true(got >= 10000 && got <= 10000 + 500 + 50);
}

static void policer_two_rate_limits_by_peak_bucket(void **st)
{
    dp_policer_t c = {.on = true, .sdr = 1000, .mbs = 10000, .pdr = 2000, .dvt = 1000000};
    dp_pol_t p;
    dp_pol_init(&p, &c, MS);
    for (int i = 0; i < 3; i++) assert_true(dp_pol_admit(&p, 600, MS));
    assert_false(dp_pol_admit(&p, 600, MS)); /* peak bucket 2000 B/s * 1 s = 2000 bytes */
    assert_false(dp_pol_admit(&p, 600, MS + 199 * MS));
    assert_true(dp_pol_admit(&p, 600, MS + 200 * MS));
    /* committed tokens were not taken for the refused packets */
    assert_int_equal(p.c.tokens_nb / 1000000000ull, 10000 - 2400 + 200);
}

static void policer_off_or_zero_rate_admits_everything(void **st)
{
    dp_policer_t c = {.on = false, .sdr = 1, .mbs = 1};
    dp_pol_t p;
    dp_pol_init(&p, &c, 0);
    assert_true(dp_pol_admit(&p, 1500, 0));
    c.on = true;
    c.sdr = 0;
    dp_pol_init(&p, &c, 0);
    assert_true(dp_pol_admit(&p, 1500, 0));
    c.sdr = 4000000000u; /* extreme values do not overflow */
    c.mbs = 4000000000u;
    dp_pol_init(&p, &c, 0);
    assert_true(dp_pol_admit(&p, 65535, 1000000000000000000ull));
    assert_true(dp_pol_admit(&p, 65535, 1000000000000000001ull));
}

/* ---- RTCP ---- */

static void put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* A report block at b: about ssrc, with LSR and DLSR. */
static void block(uint8_t *b, uint32_t ssrc, uint32_t lsr, uint32_t dlsr)
{
    memset(b, 0, 24);
    put32(b, ssrc);
    put32(b + 16, lsr);
    put32(b + 20, dlsr);
}

/* An SR of ssrc with NTP timestamp msw.lsw and nblk blocks from blk (24 bytes each). */
static size_t sr(uint8_t *b, uint32_t ssrc, uint32_t msw, uint32_t lsw, const uint8_t *blk,
                 unsigned nblk)
{
    size_t n = 28 + 24 * nblk;
    memset(b, 0, 28);
    b[0] = (uint8_t)(0x80 | nblk);
    b[1] = 200;
    b[3] = (uint8_t)(n / 4 - 1);
    put32(b + 4, ssrc);
    put32(b + 8, msw);
    put32(b + 12, lsw);
    if (nblk) memcpy(b + 28, blk, 24 * nblk);
    return n;
}

static size_t rr(uint8_t *b, uint32_t ssrc, const uint8_t *blk, unsigned nblk)
{
    size_t n = 8 + 24 * nblk;
    b[0] = (uint8_t)(0x80 | nblk);
    b[1] = 201;
    b[2] = 0;
    b[3] = (uint8_t)(n / 4 - 1);
    put32(b + 4, ssrc);
    if (nblk) memcpy(b + 8, blk, 24 * nblk);
    return n;
}

/* SDES with one CNAME item "bgf" (12 bytes). */
static size_t sdes(uint8_t *b, uint32_t ssrc)
{
    const uint8_t s[12] = {0x81, 202, 0, 2, 0, 0, 0, 0, 1, 3, 'b', 'g'};
    memcpy(b, s, 12);
    put32(b + 4, ssrc);
    b[11] = 0; /* 'f' would need a padding word: end of the item list instead */
    return 12;
}

static void rtcp_parse_reads_sr_rr_and_their_blocks(void **st)
{
    (void)st;
    uint8_t blk[48], pkt[256];
    block(blk, 0xAAAA, 0x12345678, 65536);
    block(blk + 24, 0xBBBB, 0, 0);
    size_t n = sr(pkt, 0x1111, 0xC0DE0001, 0x80000000, blk, 2);
    n += sdes(pkt + n, 0x1111);
    n += rr(pkt + n, 0x2222, blk, 1);
    dp_rtcp_info_t in;
    assert_int_equal(dp_rtcp_parse(pkt, (uint32_t)n, &in), 3);
    assert_int_equal(in.nsr, 1);
    assert_int_equal(in.sr[0].ssrc, 0x1111);
    assert_int_equal(in.sr[0].ntp_mid, 0x00018000); /* low 16 of msw, high 16 of lsw */
    assert_int_equal(in.nrb, 3);
    assert_int_equal(in.rb[0].ssrc, 0xAAAA);
    assert_int_equal(in.rb[0].lsr, 0x12345678);
    assert_int_equal(in.rb[0].dlsr, 65536);
    assert_int_equal(in.rb[1].lsr, 0);
    assert_int_equal(in.rb[2].ssrc, 0xAAAA);
}

static void rtcp_parse_refuses_bad_headers_and_lengths(void **st)
{
    (void)st;
    uint8_t blk[24], pkt[128];
    block(blk, 1, 2, 3);
    size_t n = rr(pkt, 9, blk, 1);
    dp_rtcp_info_t in;
    assert_int_equal(dp_rtcp_parse(pkt, (uint32_t)n, &in), 1);
    pkt[0] = 0x41; /* version 1 */
    assert_int_equal(dp_rtcp_parse(pkt, (uint32_t)n, &in), -1);
    pkt[0] = 0x82; /* two blocks announced, room for one */
    assert_int_equal(dp_rtcp_parse(pkt, (uint32_t)n, &in), -1);
    pkt[0] = 0x81;
    pkt[3] = 8; /* length past the datagram (32 bytes: 7) */
    assert_int_equal(dp_rtcp_parse(pkt, (uint32_t)n, &in), -1);
    n = sr(pkt, 1, 2, 3, NULL, 0);
    pkt[3] = 5; /* an SR too short for its sender information */
    assert_int_equal(dp_rtcp_parse(pkt, 24, &in), -1);
    assert_int_equal(dp_rtcp_parse(pkt, 0, &in), 0); /* nothing: no packet */
}

/* Every prefix of a compound packet, each placed right before a PROT_NONE page: no read
 * past the length, and a prefix is either refused or a whole number of packets. */
static void rtcp_parse_every_prefix_before_a_guard_page(void **st)
{
    (void)st;
    uint8_t blk[72], pkt[512];
    block(blk, 1, 0x10000, 5);
    block(blk + 24, 2, 0x20000, 6);
    block(blk + 48, 3, 0x30000, 7);
    size_t n = sr(pkt, 7, 8, 9, blk, 3);
    n += sdes(pkt + n, 7);
    n += rr(pkt + n, 7, blk, 2);
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
    for (size_t k = 0; k <= n; k++) {
        uint8_t *at = m + pg - k;
        memcpy(at, pkt, k);
        dp_rtcp_info_t in;
        int r = dp_rtcp_parse(at, (uint32_t)k, &in);
        bool whole = k == 0 || k == 100 || k == 112 || k == n; /* SR | +SDES | +RR */
        if (whole)
            assert_true(r >= 0);
        else
            assert_int_equal(r, -1);
    }
    munmap(m, (size_t)pg * 2);
}

static void rtt_is_now_minus_sent_minus_dlsr(void **st)
{
    (void)st;
    dp_rtt_t r;
    memset(&r, 0, sizeof(r));
    dp_rtt_sent(&r, 0xAAAA, 0x00018000, 1000 * MS);
    /* the remote held it 0.5 s (32768/65536) and answered; back 620 ms after it left */
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0x00018000, 32768, 1620 * MS), 120 * MS);
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0x00018001, 32768, 1620 * MS), -1); /* LSR */
    assert_int_equal(dp_rtt_report(&r, 0xBBBB, 0x00018000, 32768, 1620 * MS), -1); /* SSRC */
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0, 0, 1620 * MS), -1);       /* no SR yet */
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0x00018000, 65536, 1620 * MS), -1); /* < 0 */
    /* DLSR resolution: 1/65536 s */
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0x00018000, 1, 1000 * MS + 20000), 20000 - 15258);
    /* the last DP_RTT_SR SRs are remembered; older ones are forgotten */
    for (uint32_t i = 1; i <= DP_RTT_SR; i++) dp_rtt_sent(&r, 0xAAAA, 0x20000 + i, 2000 * MS);
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0x00018000, 0, 2100 * MS), -1);
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0x20001, 0, 2100 * MS), 100 * MS);
    assert_int_equal(dp_rtt_report(&r, 0xAAAA, 0x20000 + DP_RTT_SR, 0, 2100 * MS), 100 * MS);
}

/* Side A's SR passes the relay towards B; B's RR comes back: the round trip on B's side. */
static void rtt_rtcp_records_srs_forward_and_matches_reports_back(void **st)
{
    (void)st;
    dp_rtt_t a, b; /* SRs relayed towards A's remote, towards B's */
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    uint8_t pkt[256], blk[24];
    size_t n = sr(pkt, 0xA, 0x0000ABCD, 0x12340000, NULL, 0);
    assert_int_equal(dp_rtt_rtcp(&a, &b, pkt, (uint32_t)n, 5000 * MS), -1); /* A -> B */
    block(blk, 0xA, 0xABCD1234, 6554); /* B held it 100 ms (6554/65536 s) */
    n = rr(pkt, 0xB, blk, 1);
    int64_t us = dp_rtt_rtcp(&b, &a, pkt, (uint32_t)n, 5140 * MS); /* B -> A, 140 ms later */
    assert_true(us >= 39990 && us <= 40010);
    /* the same report arriving at the other side matches nothing */
    assert_int_equal(dp_rtt_rtcp(&a, &b, pkt, (uint32_t)n, 5140 * MS), -1);
    /* a broken compound is not used at all */
    pkt[3] = 60;
    assert_int_equal(dp_rtt_rtcp(&b, &a, pkt, (uint32_t)n, 5140 * MS), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classify_checks_length_version_and_rtcp_mux),
        cmocka_unit_test(loss_counts_sequence_gaps),
        cmocka_unit_test(loss_survives_sequence_wrap),
        cmocka_unit_test(duplicates_and_reordering_are_not_loss),
        cmocka_unit_test(big_jump_restarts_only_when_confirmed),
        cmocka_unit_test(new_ssrc_keeps_earlier_loss),
        cmocka_unit_test(jitter_follows_rfc3550_formula),
        cmocka_unit_test(jitter_is_zero_for_perfect_timing_and_uses_payload_clock),
        cmocka_unit_test(policer_single_rate_admits_burst_then_rate),
        cmocka_unit_test(policer_two_rate_limits_by_peak_bucket),
        cmocka_unit_test(policer_off_or_zero_rate_admits_everything),
        cmocka_unit_test(rtcp_parse_reads_sr_rr_and_their_blocks),
        cmocka_unit_test(rtcp_parse_refuses_bad_headers_and_lengths),
        cmocka_unit_test(rtcp_parse_every_prefix_before_a_guard_page),
        cmocka_unit_test(rtt_is_now_minus_sent_minus_dlsr),
        cmocka_unit_test(rtt_rtcp_records_srs_forward_and_matches_reports_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
