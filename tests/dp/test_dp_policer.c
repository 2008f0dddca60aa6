/* test_dp_policer.c - measured behaviour over loopback sockets: the policer's accepted rate
 * within 5 % of sdr (and of pdr when the peak rate is the tighter one) under paced overload,
 * and RTP loss and jitter computed from what was really sent. Ports: DP_TEST_PORT + 2000..2099. */
#include "dp_test.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#define LO "127.0.0.1"

typedef struct rig {
    dp_t *dp;
    int x, y;
    netaddr_t a;
} rig_t;

static rig_t rig_open(unsigned off, const dp_policer_t *pol)
{
    rig_t r;
    r.dp = t_start(1, 4, 0);
    uint16_t pa = t_port(off), pb = t_port(off + 2), px = t_port(off + 4), py = t_port(off + 6);
    dp_gate_req_t ra = t_req(1, 1, LO, pa, LO, px), rb = t_req(2, 1, LO, pb, LO, py);
    if (pol) ra.policer = *pol;
    assert_int_equal(dp_gate_open(r.dp, &ra), 0);
    assert_int_equal(dp_gate_open(r.dp, &rb), 0);
    r.x = t_ep(LO, px);
    r.y = t_ep(LO, py);
    int one = 1;
    setsockopt(r.y, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    r.a = t_addr(LO, pa);
    return r;
}

static void rig_close(rig_t *r)
{
    close(r->x);
    close(r->y);
    dp_stop(r->dp);
}

/* Send 212-byte RTP packets at `rate` bytes/s for `ms`; returns the real duration in ms
 * between the first and the last packet. */
static double paced_send(rig_t *r, uint32_t rate, unsigned ms)
{
    uint64_t t0 = t_now_ms(), sent = 0, last = t0;
    uint16_t seq = 0;
    for (;;) {
        uint64_t now = t_now_ms();
        if (now - t0 >= ms) break;
        uint64_t due = (now - t0 + 1) * rate / 1000 / 212;
        while (sent < due) {
            t_send_rtp(r->x, &r->a, seq++, 200);
            sent++;
            last = now;
        }
        t_sleep_ms(1);
    }
    return (double)(last - t0);
}

static void check_rate(rig_t *r, uint32_t want, uint32_t burst, double sender_ms)
{
    dp_gate_stats_t a = t_stats(r->dp, 1), b = t_stats(r->dp, 2);
    int got;
    double ms = t_drain_span_ms(r->y, &got);
    assert_int_equal(got, (int)a.pkts_in); /* exactly the accepted ones */
    double rate = ((double)a.octets_in - burst) * 1000.0 / ms;
    print_message("sent for %.0f ms, relayed over %.0f ms\n", sender_ms, ms);
    print_message("accepted %.0f B/s for %u B/s configured (%.2f %%), %llu dropped\n", rate, want,
                  100.0 * (rate - want) / want, (unsigned long long)a.drop_policer);
    assert_true(rate >= want * 0.95 && rate <= want * 1.05);
    assert_true(a.drop_policer > 0);
    assert_int_equal(b.pkts_out, a.pkts_in);
}

static void policer_accepts_sdr_within_5_percent(void **st)
{
    dp_policer_t pol = {.on = true, .sdr = 40000, .mbs = 2000};
    rig_t r = rig_open(2000, &pol);
    double ms = paced_send(&r, 80000, 2000);
    check_rate(&r, pol.sdr, pol.mbs, ms);
    rig_close(&r);
}

static void two_rate_policer_accepts_pdr_when_it_is_lower(void **st)
{
    /* dvt 200 ms: the peak bucket (30000 * 0.2 s = 6000 bytes) absorbs a sender that a loaded
     * machine schedules late, so the measured rate is the policer's, not the scheduler's */
    dp_policer_t pol = {.on = true, .sdr = 80000, .mbs = 80000, .pdr = 30000, .dvt = 200000};
    rig_t r = rig_open(2010, &pol);
    double ms = paced_send(&r, 60000, 1500);
    check_rate(&r, pol.pdr, 6000, ms);
    rig_close(&r);
}

static void policer_can_be_turned_off_by_modify(void **st)
{
    dp_policer_t pol = {.on = true, .sdr = 1000, .mbs = 300};
    rig_t r = rig_open(2020, &pol);
    for (uint16_t i = 0; i < 5; i++) t_send_rtp(r.x, &r.a, i, 200);
    assert_int_equal(t_drain(r.y, 100), 1);
    dp_gate_req_t m = t_req(1, 1, LO, t_port(2020), NULL, 0);
    assert_int_equal(dp_gate_modify(r.dp, &m, DP_MOD_POLICER), 0);
    t_sleep_ms(20);
    for (uint16_t i = 5; i < 10; i++) t_send_rtp(r.x, &r.a, i, 200);
    assert_int_equal(t_drain(r.y, 100), 5);
    assert_int_equal(t_stats(r.dp, 1).drop_policer, 4);
    rig_close(&r);
}

static void loss_and_jitter_come_from_sent_sequence_and_timestamps(void **st)
{
    rig_t r = rig_open(2030, NULL);
    uint8_t b[256];
    int sent = 0;
    for (uint16_t i = 0; i < 50; i++) {
        if (i == 10 || i == 11 || i == 30) continue;
        /* timestamps 20 ms apart, sent back to back: each transit differs by ~20 ms */
        t_send(r.x, &r.a, b, t_rtp(b, i, i * 160u, 0x55, 160));
        sent++;
    }
    assert_int_equal(t_drain(r.y, 100), sent);
    dp_gate_stats_t a = t_stats(r.dp, 1);
    assert_int_equal(a.rtp_lost, 3);
    assert_int_equal(a.pkts_in, (uint64_t)sent);
    /* J converges to 20 ms: after 46 steps (1 - (15/16)^46) * 20 ms ~ 19.1 ms */
    print_message("jitter %u us\n", a.jitter_us);
    assert_true(a.jitter_us > 15000 && a.jitter_us < 21000);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policer_accepts_sdr_within_5_percent),
        cmocka_unit_test(two_rate_policer_accepts_pdr_when_it_is_lower),
        cmocka_unit_test(policer_can_be_turned_off_by_modify),
        cmocka_unit_test(loss_and_jitter_come_from_sent_sequence_and_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
