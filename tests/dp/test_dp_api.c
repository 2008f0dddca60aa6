/* test_dp_api.c - the dp seam's bookkeeping: open binds RTP+RTCP, duplicate ids, capacity,
 * ports in use, modify/close of unknown gates, gate count. Loopback ports from DP_TEST_PORT
 * (default 45000). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp/dp.h"

static uint16_t base_port(void)
{
    const char *s = getenv("DP_TEST_PORT");
    return (uint16_t)(s ? atoi(s) : 45000);
}

static dp_gate_req_t req_at(uint32_t id, const char *ip, uint16_t port)
{
    dp_gate_req_t r;
    memset(&r, 0, sizeof(r));
    r.gate_id = id;
    r.ctx_id = id;
    r.mode = DP_MODE_SENDRECV;
    assert_int_equal(netaddr_parse_ip(&r.local, ip, port), 0);
    return r;
}

static dp_t *start(uint32_t max_gates)
{
    dp_config_t c = {.workers = 1, .max_gates = max_gates};
    char err[128];
    dp_t *dp = dp_start(&c, err, sizeof(err));
    assert_non_null(dp);
    return dp;
}

static void open_binds_rtp_and_rtcp_and_close_releases_them(void **st)
{
    dp_t *dp = start(4);
    uint16_t p = base_port();
    dp_gate_req_t r = req_at(1, "127.0.0.1", p);
    assert_int_equal(dp_gate_open(dp, &r), 0);
    assert_int_equal(dp_gate_count(dp), 1);
    dp_gate_req_t r2 = req_at(2, "127.0.0.1", p);
    assert_int_equal(dp_gate_open(dp, &r2), -EADDRINUSE);
    dp_gate_req_t r3 = req_at(3, "127.0.0.1", (uint16_t)(p - 2));
    assert_int_equal(dp_gate_open(dp, &r3), 0);
    assert_int_equal(dp_gate_open(dp, &r3), -EEXIST);
    dp_gate_stats_t s;
    assert_int_equal(dp_gate_close(dp, 1, &s), 0);
    assert_int_equal(dp_gate_close(dp, 1, &s), -ENOENT);
    assert_int_equal(dp_gate_open(dp, &r2), 0);
    assert_int_equal(dp_gate_count(dp), 2);
    dp_stop(dp);
}

static void capacity_is_max_gates(void **st)
{
    dp_t *dp = start(2);
    uint16_t p = (uint16_t)(base_port() + 10);
    dp_gate_req_t a = req_at(1, "127.0.0.1", p), b = req_at(2, "::1", p),
                  c = req_at(3, "127.0.0.1", (uint16_t)(p + 2));
    assert_int_equal(dp_gate_open(dp, &a), 0);
    assert_int_equal(dp_gate_open(dp, &b), 0);
    assert_int_equal(dp_gate_open(dp, &c), -ENOSPC);
    assert_int_equal(dp_gate_close(dp, 1, NULL), 0);
    assert_int_equal(dp_gate_open(dp, &c), 0);
    dp_stop(dp);
}

static void odd_port_and_unknown_gate_are_refused(void **st)
{
    dp_t *dp = start(2);
    dp_gate_req_t a = req_at(1, "127.0.0.1", (uint16_t)(base_port() + 21));
    assert_int_equal(dp_gate_open(dp, &a), -EINVAL);
    assert_int_equal(dp_gate_modify(dp, &a, DP_MOD_MODE), -ENOENT);
    dp_gate_stats_t s;
    assert_int_equal(dp_gate_stats(dp, 9, &s), -ENOENT);
    assert_true(dp_event_fd(dp) >= 0);
    dp_event_t ev[4];
    assert_int_equal(dp_poll_events(dp, ev, 4), 0);
    dp_stop(dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_binds_rtp_and_rtcp_and_close_releases_them),
        cmocka_unit_test(capacity_is_max_gates),
        cmocka_unit_test(odd_port_and_unknown_gate_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
