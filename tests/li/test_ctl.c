/* Unit tests for LI control (src/li/ctl.c): key file refusal, the share limit (at most a
 * share of the gate capacity, at least one gate; refusals only on the LI log), the LI log
 * (mode 0600, its lines) and the LI-only status view. Port: LI_TEST_PORT + 2 (default 50102). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <poll.h>
#include <sys/socket.h>

#include "li/li.h"
#include "li/x3.h"
#include "li_test.h"

static char dir[64];

static void path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/bgfli-ctl-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char p[128];
    path(p, sizeof p, "keys");
    FILE *f = fopen(p, "w");
    fprintf(f, "tdea 0123456789abcdeffedcba987654321089abcdef01234567\n");
    fclose(f);
    return chmod(p, 0600);
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static li_conf_t conf(double pct)
{
    li_conf_t c = {.enabled = true, .max_share_pct = pct};
    const char *e = getenv("LI_TEST_PORT");
    int port = (e ? atoi(e) : 50100) + 2;
    path(c.key_file, sizeof c.key_file, "keys");
    path(c.log_file, sizeof c.log_file, "li.log");
    path(c.status_file, sizeof c.status_file, "li.status");
    netaddr_parse(&c.df_dst, "127.0.0.1", port);
    netaddr_parse(&c.df_src, "127.0.0.1", 0);
    strcpy(c.operator_id, "OPER1");
    return c;
}

static char *slurp(const char *name)
{
    static char buf[16384];
    char p[128];
    path(p, sizeof p, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static mode_t mode_of(const char *name)
{
    char p[128];
    struct stat st;
    path(p, sizeof p, name);
    assert_int_equal(stat(p, &st), 0);
    return st.st_mode & 07777;
}

static li_tap_conf_t tc(uint64_t cid, uint32_t target)
{
    return (li_tap_conf_t){.active = true, .cid = cid, .ntargets = 1, .targets = {target}};
}

static void key_file_others_can_read_stops_start_with_reason(void **state)
{
    char p[128], err[512] = "";
    path(p, sizeof p, "keys");
    chmod(p, 0644);
    li_conf_t c = conf(1);
    li_ctl_t *ctl = li_ctl_new(&c, 1000, err, sizeof err);
    chmod(p, 0600);
    assert_null(ctl);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "mode 0644"));
}

static void share_limit_admits_one_percent_and_refuses_past_it(void **state)
{
    char err[512];
    li_conf_t c = conf(0); /* 0 = the default, 1 % */
    li_ctl_t *ctl = li_ctl_new(&c, 300, err, sizeof err);
    if (!ctl) fail_msg("%s", err);
    li_tap_conf_t t = tc(305419896, 0xffffff00);
    assert_true(li_ctl_admit(ctl, 1, &t));
    assert_true(li_ctl_admit(ctl, 2, &t));
    assert_true(li_ctl_admit(ctl, 3, &t));
    assert_false(li_ctl_admit(ctl, 4, &t));       /* 1 % of 300 = 3 */
    assert_true(li_ctl_admit(ctl, 2, &t));        /* a tapped gate may change */
    li_ctl_release(ctl, 1);
    assert_true(li_ctl_admit(ctl, 4, &t));        /* room again */
    assert_false(li_ctl_admit(ctl, 5, &t));
    const char *log = slurp("li.log");
    assert_non_null(strstr(log, "gate 5: NOT tapped: share limit reached (3 of 300 gates"));
    assert_non_null(strstr(log, "gate 1: interception stopped (correlation 305419896)"));
    assert_non_null(strstr(log, "gate 4: interception started: correlation 305419896 targets ffffff00"));
    li_ctl_free(ctl);
}

/* A termination's gates are admitted all or none: with room for one more gate, a
 * two-stream termination is not tapped at all rather than half-mirrored. */
static void share_limit_admits_a_terminations_gates_all_or_none(void **state)
{
    char err[512];
    li_conf_t c = conf(0);
    li_ctl_t *ctl = li_ctl_new(&c, 300, err, sizeof err); /* limit 3 */
    if (!ctl) fail_msg("%s", err);
    li_tap_conf_t t = tc(77, 0xabc);
    uint32_t first[] = {1, 2}, second[] = {3, 4}, again[] = {1, 2};
    assert_int_equal(li_ctl_admit_all(ctl, first, 2, &t), 2);
    assert_int_equal(li_ctl_admit_all(ctl, second, 2, &t), 0); /* one place left, two gates */
    assert_true(li_ctl_admit(ctl, 3, &t));                     /* the place is still free */
    li_tap_conf_t t2 = tc(78, 0xabd);
    assert_int_equal(li_ctl_admit_all(ctl, again, 2, &t2), 2); /* tapped gates may change */
    li_tap_conf_t off = {0};
    assert_int_equal(li_ctl_admit_all(ctl, again, 2, &off), 0);
    assert_int_equal(li_ctl_admit_all(ctl, second, 2, &t), 2); /* room again after the stop */
    li_ctl_free(ctl);
}

static void share_limit_is_at_least_one_gate(void **state)
{
    char err[512];
    li_conf_t c = conf(1);
    li_ctl_t *ctl = li_ctl_new(&c, 10, err, sizeof err);
    assert_non_null(ctl);
    li_tap_conf_t t = tc(1, 2);
    assert_true(li_ctl_admit(ctl, 1, &t));
    assert_false(li_ctl_admit(ctl, 2, &t));
    li_ctl_free(ctl);
    c = conf(50);
    ctl = li_ctl_new(&c, 10, err, sizeof err);
    for (uint32_t g = 0; g < 5; g++) assert_true(li_ctl_admit(ctl, g, &t));
    assert_false(li_ctl_admit(ctl, 5, &t));
    li_ctl_free(ctl);
}

static void invalid_settings_are_not_tapped_and_stop_a_tap(void **state)
{
    char err[512];
    li_conf_t c = conf(100);
    li_ctl_t *ctl = li_ctl_new(&c, 10, err, sizeof err);
    li_tap_conf_t t = tc(9, 9), zero = tc(0, 9), none = {0}, eight = tc(9, 9);
    eight.ntargets = 8;
    assert_false(li_ctl_admit(ctl, 1, &zero));
    assert_false(li_ctl_admit(ctl, 1, &none));
    assert_false(li_ctl_admit(ctl, 1, &eight));
    assert_true(li_ctl_admit(ctl, 1, &t));
    assert_false(li_ctl_admit(ctl, 1, &none));
    assert_non_null(strstr(slurp("li.log"), "gate 1: not tapped (no valid correlation number or "
                                            "targets); interception stopped"));
    li_ctl_free(ctl);
}

static void li_log_and_status_view_are_mode_0600_with_taps_and_copies(void **state)
{
    char p[128], err[512];
    path(p, sizeof p, "li.log");
    unlink(p);
    FILE *f = fopen(p, "w"); /* an existing log that others could read is closed up */
    fclose(f);
    chmod(p, 0644);
    li_conf_t c = conf(100);
    li_ctl_t *ctl = li_ctl_new(&c, 10, err, sizeof err);
    assert_non_null(ctl);
    assert_int_equal(mode_of("li.log"), 0600);
    li_tap_conf_t t = {.active = true, .cid = 77, .ntargets = 2, .targets = {0xffffff00, 0xffffff01}};
    assert_true(li_ctl_admit(ctl, 12, &t));
    assert_non_null(strstr(slurp("li.status"), "tap gate=12 correlation=77")); /* at once */
    li_sender_t *s = li_ctl_sender(ctl, 0);
    assert_true(li_ctl_sender_for_worker(0, ctl) == s);
    assert_non_null(s);
    assert_true(li_ctl_sender(ctl, 1) != s); /* one per worker */
    assert_true(li_ctl_sender(ctl, 1) == li_ctl_sender(ctl, 1));
    li_tap_t tap = {0};
    li_tap_update(&tap, &t);
    netaddr_t a, b;
    netaddr_parse(&a, "127.0.0.1:9", -1);
    netaddr_parse(&b, "127.0.0.1:10", -1);
    li_packet_t pkt = {.payload = (const uint8_t *)"abc", .len = 3, .in_src = &a, .in_dst = &b,
                       .out_src = &a, .out_dst = &b};
    for (int i = 0; i < 3; i++) assert_int_equal(copy_sent(s, &tap, LI_DIR_FROM_TARGET, &pkt), 2);
    li_ctl_log(ctl, "hello %d", 42);
    li_ctl_write_status(ctl);
    assert_int_equal(mode_of("li.status"), 0600);
    const char *st = slurp("li.status");
    assert_non_null(strstr(st, "taps 1\n"));
    assert_non_null(strstr(st, "tap gate=12 correlation=77 targets=ffffff00,ffffff01"));
    assert_non_null(strstr(st, "target ffffff00 copies=3"));
    assert_non_null(strstr(st, "target ffffff01 copies=3"));
    assert_non_null(strstr(st, "copies 6\n"));
    const char *log = slurp("li.log");
    assert_non_null(strstr(log, "Z hello 42\n"));
    assert_non_null(strstr(log, "gate 12: interception started: correlation 77 targets ffffff00,ffffff01"));
    assert_non_null(li_ctl_keys(ctl));
    li_ctl_release(ctl, 12);
    assert_non_null(strstr(slurp("li.status"), "taps 0\n"));
    li_ctl_free(ctl);
}

static void status_view_counters_refresh_by_themselves(void **state)
{
    char err[512];
    li_conf_t c = conf(100);
    li_ctl_t *ctl = li_ctl_new(&c, 10, err, sizeof err);
    li_tap_conf_t t = tc(5, 0x77);
    assert_true(li_ctl_admit(ctl, 1, &t));
    li_tap_t tap = {0};
    li_tap_update(&tap, &t);
    netaddr_t a;
    netaddr_parse(&a, "127.0.0.1:9", -1);
    li_packet_t pkt = {.payload = (const uint8_t *)"abc", .len = 3, .in_src = &a, .in_dst = &a,
                       .out_src = &a, .out_dst = &a};
    for (int i = 0; i < 4; i++) copy_sent(li_ctl_sender(ctl, 0), &tap, LI_DIR_FROM_TARGET, &pkt);
    bool seen = false;
    for (int i = 0; i < 50 && !seen; i++) { /* the status thread runs every 2 s */
        usleep(100000);
        seen = strstr(slurp("li.status"), "target 00000077 copies=4") != NULL;
    }
    assert_true(seen);
    li_ctl_free(ctl);
}

/* Sequence number of the next copy at the delivery function socket fd (-1 on timeout). */
static int64_t next_seq(int fd, uint32_t *target)
{
    uint8_t buf[2048];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1000) != 1) return -1;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    x3_pdu_t pdu;
    char err[128];
    if (n <= 0 || x3_etsi_decode(buf, (size_t)n, &pdu, err, sizeof err) != n) return -1;
    *target = (uint32_t)x3_xid_target(pdu.xid);
    return pdu.seq;
}

static void gates_sharing_correlation_and_target_share_one_sequence(void **state)
{
    char err[512];
    li_conf_t c = conf(100);
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(bind(rx, &c.df_dst.u.sa, sizeof c.df_dst.u.v4), 0);
    li_ctl_t *ctl = li_ctl_new(&c, 10, err, sizeof err);
    assert_non_null(ctl);
    li_tap_conf_t t = tc(42, 0xaa);
    assert_true(li_ctl_admit(ctl, 1, &t)); /* audio and video stream of one termination, */
    assert_true(li_ctl_admit(ctl, 2, &t)); /* each gate on its own worker */
    li_tap_t tap1 = {0}, tap2 = {0};
    li_tap_update(&tap1, &t);
    li_tap_update(&tap2, &t);
    li_sender_t *w0 = li_ctl_sender(ctl, 0), *w1 = li_ctl_sender(ctl, 1);
    netaddr_t a, b;
    netaddr_parse(&a, "127.0.0.1:9", -1);
    netaddr_parse(&b, "127.0.0.1:10", -1);
    li_packet_t pkt = {.payload = (const uint8_t *)"abc", .len = 3, .in_src = &a, .in_dst = &b,
                       .out_src = &a, .out_dst = &b};
    uint32_t tg;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(copy_sent(i % 3 ? w0 : w1, i % 2 ? &tap1 : &tap2, LI_DIR_TO_TARGET, &pkt), 1);
        assert_int_equal(next_seq(rx, &tg), i); /* one stream: 0, 1, 2, ... */
    }
    /* gate 1 adds a target: 0xaa goes on, 0xbb starts at 0 */
    li_tap_conf_t t2 = {.active = true, .cid = 42, .ntargets = 2, .targets = {0xaa, 0xbb}};
    assert_true(li_ctl_admit(ctl, 1, &t2));
    li_tap_update(&tap1, &t2);
    assert_int_equal(copy_sent(w0, &tap1, LI_DIR_TO_TARGET, &pkt), 2);
    assert_int_equal(next_seq(rx, &tg), 6);
    assert_int_equal(tg, 0xaa);
    assert_int_equal(next_seq(rx, &tg), 0);
    assert_int_equal(tg, 0xbb);
    /* both released: a late copy (the worker has not seen the change yet) goes on counting */
    li_ctl_release(ctl, 1);
    li_ctl_release(ctl, 2);
    assert_int_equal(copy_sent(w1, &tap2, LI_DIR_TO_TARGET, &pkt), 1);
    assert_int_equal(next_seq(rx, &tg), 7);
    /* tapped again with the same correlation number: the same stream, no restart */
    assert_true(li_ctl_admit(ctl, 3, &t));
    li_tap_t tap3 = {0};
    li_tap_update(&tap3, &t);
    assert_int_equal(copy_sent(w0, &tap3, LI_DIR_TO_TARGET, &pkt), 1);
    assert_int_equal(next_seq(rx, &tg), 8);
    /* another correlation number: its own stream from 0 */
    li_tap_conf_t t3 = tc(43, 0xaa);
    assert_true(li_ctl_admit(ctl, 3, &t3));
    li_tap_update(&tap3, &t3);
    assert_int_equal(copy_sent(w0, &tap3, LI_DIR_TO_TARGET, &pkt), 1);
    assert_int_equal(next_seq(rx, &tg), 0);
    li_ctl_free(ctl);
    close(rx);
}

static void disabled_or_logless_configuration_is_refused(void **state)
{
    char err[512];
    li_conf_t c = conf(1);
    c.enabled = false;
    assert_null(li_ctl_new(&c, 10, err, sizeof err));
    c = conf(1);
    c.log_file[0] = 0;
    assert_null(li_ctl_new(&c, 10, err, sizeof err));
    assert_non_null(strstr(err, "LI log"));
    c = conf(1);
    netaddr_parse(&c.df_dst, "::1", 50000);
    assert_null(li_ctl_new(&c, 10, err, sizeof err));
    assert_non_null(strstr(err, "IPv4"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_file_others_can_read_stops_start_with_reason),
        cmocka_unit_test(share_limit_admits_one_percent_and_refuses_past_it),
        cmocka_unit_test(share_limit_admits_a_terminations_gates_all_or_none),
        cmocka_unit_test(share_limit_is_at_least_one_gate),
        cmocka_unit_test(invalid_settings_are_not_tapped_and_stop_a_tap),
        cmocka_unit_test(li_log_and_status_view_are_mode_0600_with_taps_and_copies),
        cmocka_unit_test(gates_sharing_correlation_and_target_share_one_sequence),
        cmocka_unit_test(status_view_counters_refresh_by_themselves),
        cmocka_unit_test(disabled_or_logless_configuration_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
