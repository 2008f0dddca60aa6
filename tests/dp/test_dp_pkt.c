/* test_dp_pkt.c - the pure per-packet helpers with crafted input and a fake clock: header
 * classification, RTP loss (RFC 3550 A.1/A.3: gaps, wrap, duplicates, reordering, restarts,
 * SSRC change), interarrival jitter against the RFC formula, and the token buckets. */
#include <math.h>
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
