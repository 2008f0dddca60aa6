/* test_dp_pool.c - the gate life cycle with the socket pool: a closed gate's sockets stay
 * bound (parked) and the next gate on the same port takes them over without seeing what
 * queued meanwhile; the pool closes its oldest parked pair when full; close reports exact
 * statistics at once; slots and ports come back; deferred wake-ups with dp_flush.
 * Ports: DP_TEST_PORT + 4000..4199. */
#include "dp_test.h"

#define LO "127.0.0.1"

static dp_t *start(uint32_t max_gates, bool defer)
{
    dp_config_t c = {.workers = 1, .max_gates = max_gates, .defer_wake = defer};
    char err[128] = "";
    dp_t *dp = dp_start(&c, err, sizeof(err));
    if (!dp) fail_msg("dp_start: %s", err);
    return dp;
}

/* Can a plain socket bind ip:port now? */
static bool port_free(uint16_t port)
{
    netaddr_t a = t_addr(LO, port);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    bool ok = bind(fd, &a.u.sa, netaddr_len(&a)) == 0;
    close(fd);
    return ok;
}

/* Relay n RTP packets from `from` through relay port `to`; count what reaches `at`. */
static int relay(int from, const netaddr_t *to, int at, uint16_t seq0, int n)
{
    for (int i = 0; i < n; i++) t_send_rtp(from, to, (uint16_t)(seq0 + i), 160);
    return t_drain(at, 200);
}

static void stale_datagrams_of_a_parked_port_never_reach_the_next_gate(void **st)
{
    dp_t *dp = start(8, false);
    uint16_t pa = t_port(4000), pb = t_port(4002), px = t_port(4004), py = t_port(4006),
             pz = t_port(4008);
    int x = t_ep(LO, px), y = t_ep(LO, py), z = t_ep(LO, pz);
    netaddr_t a = t_addr(LO, pa), xa = t_addr(LO, px);
    dp_gate_req_t ra = t_req(1, 5, LO, pa, LO, 0), rb = t_req(2, 5, LO, pb, LO, py);
    ra.latch = true;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    assert_int_equal(relay(x, &a, y, 0, 3), 3);
    dp_gate_stats_t fin;
    assert_int_equal(dp_gate_close(dp, 1, &fin), 0);
    assert_int_equal(fin.pkts_in, 3);
    /* the port stays ours while parked: nobody else can bind it, and a stranger's packets
     * queue in the parked socket */
    assert_false(port_free(pa));
    for (int i = 0; i < 5; i++) t_send_rtp(z, &a, (uint16_t)(100 + i), 160);
    t_sleep_ms(50);
    /* the next gate on that port, latching: it must latch on X, not on the queued stranger */
    ra.gate_id = 3;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(relay(x, &a, y, 10, 4), 4);
    dp_gate_stats_t s = t_stats(dp, 3);
    assert_int_equal(s.pkts_in, 4);
    assert_int_equal(s.drop_filter, 0);
    assert_true(netaddr_equal(&s.latched_rtp, &xa));
    close(x);
    close(y);
    close(z);
    dp_stop(dp);
    assert_true(port_free(pa)); /* stop closes parked sockets too */
}

static void the_pool_closes_its_oldest_parked_pair_when_full(void **st)
{
    dp_t *dp = start(2, false); /* room for 2 gates in use + 2 parked pairs */
    for (uint32_t i = 0; i < 5; i++) {
        dp_gate_req_t r = t_req(10 + i, 10 + i, LO, t_port(4020 + 2 * i), LO, 0);
        assert_int_equal(dp_gate_open(dp, &r), 0);
        assert_int_equal(dp_gate_close(dp, 10 + i, NULL), 0);
    }
    /* ports 0..3 filled the pool, port 4 evicted the oldest (port 0) */
    assert_true(port_free(t_port(4020)));
    assert_true(port_free(t_port(4021)));
    for (uint32_t i = 1; i < 5; i++) assert_false(port_free(t_port(4020 + 2 * i)));
    /* an evicted port binds afresh; a parked one is taken over */
    dp_gate_req_t r0 = t_req(20, 20, LO, t_port(4020), LO, 0);
    dp_gate_req_t r4 = t_req(21, 21, LO, t_port(4028), LO, 0);
    assert_int_equal(dp_gate_open(dp, &r0), 0);
    assert_int_equal(dp_gate_open(dp, &r4), 0);
    assert_int_equal(dp_gate_count(dp), 2);
    dp_stop(dp);
    for (uint32_t i = 0; i < 5; i++) assert_true(port_free(t_port(4020 + 2 * i)));
}

static void a_port_held_by_someone_else_is_refused(void **st)
{
    dp_t *dp = start(4, false);
    netaddr_t a = t_addr(LO, t_port(4040));
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(fd, &a.u.sa, netaddr_len(&a)), 0);
    dp_gate_req_t r = t_req(1, 1, LO, t_port(4040), LO, 0);
    assert_int_equal(dp_gate_open(dp, &r), -EADDRINUSE);
    close(fd);
    assert_int_equal(dp_gate_open(dp, &r), 0);
    assert_int_equal(dp_gate_open(dp, &(dp_gate_req_t){.gate_id = 2, .local = r.local}), -EADDRINUSE);
    dp_stop(dp);
}

static void slots_come_back_after_close_without_waiting_for_capacity(void **st)
{
    dp_t *dp = start(2, false);
    for (uint32_t i = 0; i < 50; i++) { /* 25 x the capacity, on rotating ports */
        dp_gate_req_t a = t_req(100 + 2 * i, i, LO, t_port(4050 + (4 * i) % 40), LO, 0);
        dp_gate_req_t b = t_req(101 + 2 * i, i, LO, t_port(4052 + (4 * i) % 40), LO, 0);
        assert_int_equal(dp_gate_open(dp, &a), 0);
        assert_int_equal(dp_gate_open(dp, &b), 0);
        dp_gate_req_t c = t_req(999, 999, LO, t_port(4094), LO, 0);
        assert_int_equal(dp_gate_open(dp, &c), -ENOSPC);
        assert_int_equal(dp_gate_close(dp, a.gate_id, NULL), 0);
        assert_int_equal(dp_gate_close(dp, b.gate_id, NULL), 0);
    }
    assert_int_equal(dp_gate_count(dp), 0);
    dp_stop(dp);
}

static void a_taken_over_pair_marks_the_new_gates_dscp(void **st)
{
    dp_t *dp = start(4, false);
    uint16_t pa = t_port(4060), pb = t_port(4062), px = t_port(4064), py = t_port(4066);
    int x = t_ep(LO, px), y = t_ep(LO, py), tos = -1;
    netaddr_t b = t_addr(LO, pb);
    dp_gate_req_t ra = t_req(1, 6, LO, pa, LO, px), rb = t_req(2, 6, LO, pb, LO, py);
    ra.dscp = 10;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    uint8_t buf[256];
    t_send_rtp(y, &b, 1, 160); /* Y -> B leaves from A's socket towards X */
    assert_int_equal(t_recv(x, buf, sizeof(buf), NULL, &tos, 1000), 172);
    assert_int_equal(tos, 10 << 2);
    assert_int_equal(dp_gate_close(dp, 1, NULL), 0);
    ra.gate_id = 3;
    ra.dscp = 46;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    t_send_rtp(y, &b, 2, 160);
    assert_int_equal(t_recv(x, buf, sizeof(buf), NULL, &tos, 1000), 172);
    assert_int_equal(tos, 46 << 2);
    close(x);
    close(y);
    dp_stop(dp);
}

/* Final statistics are exact at once: every packet that reached the far end is counted,
 * whether the close waited for the worker or not. Repeated to meet both cases. */
static void close_counts_every_forwarded_packet(void **st)
{
    dp_t *dp = start(4, false);
    uint16_t pa = t_port(4070), pb = t_port(4072), px = t_port(4074), py = t_port(4076);
    int x = t_ep(LO, px), y = t_ep(LO, py);
    netaddr_t a = t_addr(LO, pa);
    for (uint32_t k = 0; k < 20; k++) {
        dp_gate_req_t ra = t_req(10 + 2 * k, 70 + k, LO, pa, LO, px);
        dp_gate_req_t rb = t_req(11 + 2 * k, 70 + k, LO, pb, LO, py);
        assert_int_equal(dp_gate_open(dp, &ra), 0);
        assert_int_equal(dp_gate_open(dp, &rb), 0);
        int n = 1 + (int)(k % 5);
        uint8_t buf[256];
        for (int i = 0; i < n; i++) { /* each arrives before the next is sent */
            t_send_rtp(x, &a, (uint16_t)i, 160);
            assert_int_equal(t_recv(y, buf, sizeof(buf), NULL, NULL, 1000), 172);
        }
        dp_gate_stats_t fa, fb;
        assert_int_equal(dp_gate_close(dp, ra.gate_id, &fa), 0);
        assert_int_equal(dp_gate_close(dp, rb.gate_id, &fb), 0);
        assert_int_equal(fa.pkts_in, n);
        assert_int_equal(fb.pkts_out, n);
    }
    close(x);
    close(y);
    dp_stop(dp);
}

/* With two workers, parked pairs are taken over by gates of contexts that live on the other
 * worker (the context's first gate sets it): the registration moves, media flows. */
static void pairs_move_between_workers(void **st)
{
    dp_config_t cf = {.workers = 2, .max_gates = 40};
    char err[128] = "";
    dp_t *dp = dp_start(&cf, err, sizeof(err));
    assert_non_null(dp);
    int x = t_ep(LO, t_port(4096)), y = t_ep(LO, t_port(4098));
    uint8_t buf[256];
    for (uint32_t k = 0; k < 16; k++) {
        /* A on a new port: its context goes to the worker the context id picks; B takes the
         * one parked port over from wherever its previous gate was */
        uint16_t pa = t_port(4100 + 2 * k), pb = t_port(4088);
        netaddr_t a = t_addr(LO, pa), b = t_addr(LO, pb);
        dp_gate_req_t ra = t_req(1, 300 + k, LO, pa, LO, t_port(4096));
        dp_gate_req_t rb = t_req(2, 300 + k, LO, pb, LO, t_port(4098));
        assert_int_equal(dp_gate_open(dp, &ra), 0);
        assert_int_equal(dp_gate_open(dp, &rb), 0);
        t_send_rtp(x, &a, (uint16_t)k, 160);
        assert_int_equal(t_recv(y, buf, sizeof(buf), NULL, NULL, 1000), 172);
        t_send_rtp(y, &b, (uint16_t)k, 160);
        assert_int_equal(t_recv(x, buf, sizeof(buf), NULL, NULL, 1000), 172);
        dp_gate_stats_t fa, fb;
        assert_int_equal(dp_gate_close(dp, 1, &fa), 0);
        assert_int_equal(dp_gate_close(dp, 2, &fb), 0);
        assert_int_equal(fa.pkts_in, 1);
        assert_int_equal(fa.pkts_out, 1);
        assert_int_equal(fb.pkts_in, 1);
    }
    close(x);
    close(y);
    dp_stop(dp);
}

static void deferred_requests_apply_after_flush(void **st)
{
    dp_t *dp = start(4, true);
    uint16_t pa = t_port(4080), pb = t_port(4082), px = t_port(4084), py = t_port(4086);
    int x = t_ep(LO, px), y = t_ep(LO, py);
    netaddr_t a = t_addr(LO, pa);
    dp_gate_req_t ra = t_req(1, 8, LO, pa, LO, px), rb = t_req(2, 8, LO, pb, LO, py);
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    dp_flush(dp);
    assert_int_equal(relay(x, &a, y, 0, 5), 5);
    dp_gate_stats_t f;
    assert_int_equal(dp_gate_close(dp, 1, &f), 0); /* exact without a flush */
    assert_int_equal(f.pkts_in, 5);
    close(x);
    close(y);
    dp_stop(dp); /* stops without a flush */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_datagrams_of_a_parked_port_never_reach_the_next_gate),
        cmocka_unit_test(the_pool_closes_its_oldest_parked_pair_when_full),
        cmocka_unit_test(a_port_held_by_someone_else_is_refused),
        cmocka_unit_test(slots_come_back_after_close_without_waiting_for_capacity),
        cmocka_unit_test(a_taken_over_pair_marks_the_new_gates_dscp),
        cmocka_unit_test(close_counts_every_forwarded_packet),
        cmocka_unit_test(pairs_move_between_workers),
        cmocka_unit_test(deferred_requests_apply_after_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
