/* test_dp_api.c - the dp seam's bookkeeping: open binds RTP+RTCP, duplicate ids, capacity,
 * ports in use, modify/close of unknown gates, gate count. Loopback ports from DP_TEST_PORT
 * (default 45000). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* 4000 gates (8000 sockets) on 127.0.1.1-8, ports base+1000..+1999: dp_start must raise a
 * lowered RLIMIT_NOFILE, every gate opens, the next one is refused, all close again. */
static void thousands_of_gates_open_after_raising_nofile(void **st)
{
    struct rlimit rl, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max < 8400) skip();
    low = (struct rlimit){1024, rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    enum { N = 4000, PER_IP = 500 };
    dp_config_t c = {.workers = 2, .max_gates = N};
    char err[128];
    dp_t *dp = dp_start(&c, err, sizeof(err));
    assert_non_null(dp);
    struct rlimit now;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
    assert_true(now.rlim_cur >= 2 * N);
    char ip[32];
    for (uint32_t i = 0; i < N; i++) {
        snprintf(ip, sizeof(ip), "127.0.1.%u", 1 + i / PER_IP);
        dp_gate_req_t r = req_at(i + 1, ip, (uint16_t)(base_port() + 1000 + 2 * (i % PER_IP)));
        r.ctx_id = i / 2 + 1;
        assert_int_equal(dp_gate_open(dp, &r), 0);
    }
    assert_int_equal(dp_gate_count(dp), N);
    dp_gate_req_t extra = req_at(N + 1, "127.0.2.1", (uint16_t)(base_port() + 1000));
    assert_int_equal(dp_gate_open(dp, &extra), -ENOSPC);
    dp_gate_stats_t s;
    assert_int_equal(dp_gate_stats(dp, N / 2, &s), 0);
    for (uint32_t i = 0; i < N; i++) assert_int_equal(dp_gate_close(dp, i + 1, NULL), 0);
    assert_int_equal(dp_gate_count(dp), 0);
    assert_int_equal(dp_gate_open(dp, &extra), 0);
    dp_stop(dp);
    setrlimit(RLIMIT_NOFILE, &rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_binds_rtp_and_rtcp_and_close_releases_them),
        cmocka_unit_test(capacity_is_max_gates),
        cmocka_unit_test(odd_port_and_unknown_gate_are_refused),
        cmocka_unit_test(thousands_of_gates_open_after_raising_nofile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
