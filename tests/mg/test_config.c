/* test_config.c - bgfd's configuration: the embedded default, every key of every section, and
 * every error message naming FILE:LINE: key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mg/config.h"

static char path[64];

static const char *write_conf(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/bgf-test-config-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Load text over the defaults; returns the rc, err filled. */
static int load(mg_config_t *c, const char *text, char *err, size_t errlen)
{
    mg_config_default(c);
    err[0] = '\0';
    int rc = mg_config_load(c, write_conf(text), err, errlen);
    unlink(path);
    return rc;
}

static void default_serves_loopback(void **state)
{
    mg_config_t c;
    char buf[NETADDR_STRLEN];
    mg_config_default(&c);
    assert_string_equal(c.path, "");
    assert_int_equal(c.nlisten_udp, 1);
    assert_string_equal(netaddr_format(&c.listen_udp[0], buf, sizeof(buf)), "127.0.0.1:2944");
    assert_int_equal(c.nlisten_tcp, 1);
    assert_string_equal(netaddr_format(&c.listen_tcp[0], buf, sizeof(buf)), "127.0.0.1:2944");
    assert_int_equal(c.nmgc, 1);
    assert_string_equal(netaddr_format(&c.mgc[0].addr, buf, sizeof(buf)), "127.0.0.1:2945");
    assert_int_equal(c.mgc[0].transport, MG_TRANSPORT_UDP);
    assert_int_equal(c.nrealms, 1);
    assert_int_equal(c.default_realm, 0);
    assert_string_equal(netaddr_format_ip(&c.realms[0].addrs[0], buf, sizeof(buf)), "127.0.0.1");
    assert_int_equal(c.realms[0].port_min, 20000);
    assert_int_equal(c.realms[0].port_max, 29999);
    assert_string_equal(c.profile, "ETSI_BGF");
    assert_int_equal(c.profile_version, 1);
    assert_int_equal(c.h248_version, 3);
    assert_false(c.li.enabled);
    assert_true(c.long_timer_ms > 0 && c.retrans_initial_ms <= c.retrans_max_ms);
    assert_int_equal(mg_config_realm(&c, "core"), 0);
    assert_int_equal(mg_config_realm(&c, "nope"), -1);
}

static const char full[] = "; every key\n"
                           "[bgfd]\n"
                           "mid = [192.0.2.1]:2944\n"
                           "listen_udp = 127.0.0.1:12901, [::1]:12901\n"
                           "listen_tcp = 127.0.0.1:12902\n"
                           "mgc = 127.0.0.1:12903, tcp:[::1]:12904, udp:10.0.0.1\n"
                           "profile = ETSI_BGF/2\n"
                           "h248_version = 2\n"
                           "log = syslog\n"
                           "log_level = debug\n"
                           "[h248]\n"
                           "long_timer_ms = 5000\n"
                           "normal_mg_exec_ms = 200\n"
                           "normal_mgc_exec_ms = 300\n"
                           "provisional_timer_ms = 700\n"
                           "mgc_provisional_timer_ms = 800\n"
                           "pending_limit = 4\n"
                           "mgc_pending_limit = 6\n"
                           "retrans_initial_ms = 100\n"
                           "retrans_max_ms = 1600\n"
                           "retrans_max_tries = 7\n"
                           "graceful_delay_s = 3\n"
                           "max_stored_replies = 12345\n"
                           "[media]\n"
                           "default_realm = access\n"
                           "max_gates = 1000\n"
                           "max_contexts = 400\n"
                           "workers = 2\n"
                           "default_dscp = 46\n"
                           "default_latch = yes\n"
                           "relatch_idle_ms = 2000\n"
                           "default_hang_timer_s = 30\n"
                           "[realm core]\n"
                           "addresses = 127.0.0.1\n"
                           "ports = 40000-40999\n"
                           "[realm access]\n"
                           "addresses = 127.0.0.2, ::1\n"
                           "ports = 41001-41100\n"
                           "[li]\n"
                           "key_file = /etc/bgf/li.keys\n"
                           "df = 127.0.0.1:50000\n"
                           "df_src = 127.0.0.1\n"
                           "operator_id = OPER1\n"
                           "format = jmirror\n"
                           "mirror_point = after_nat\n"
                           "max_share_pct = 2.5\n"
                           "queue_kb = 8192\n"
                           "send_cpus = 0-2,5\n"
                           "log_file = /var/log/bgf/li.log\n"
                           "status_file = /run/bgf/li.status\n";

static void every_key_is_read(void **state)
{
    mg_config_t c;
    char err[256], b[NETADDR_STRLEN];
    assert_int_equal(load(&c, full, err, sizeof(err)), 0);
    assert_string_equal(c.mid, "[192.0.2.1]:2944");
    assert_int_equal(c.nlisten_udp, 2);
    assert_string_equal(netaddr_format(&c.listen_udp[1], b, sizeof(b)), "[::1]:12901");
    assert_int_equal(c.nlisten_tcp, 1);
    assert_string_equal(netaddr_format(&c.listen_tcp[0], b, sizeof(b)), "127.0.0.1:12902");
    assert_int_equal(c.nmgc, 3);
    assert_int_equal(c.mgc[0].transport, MG_TRANSPORT_UDP);
    assert_int_equal(c.mgc[1].transport, MG_TRANSPORT_TCP);
    assert_string_equal(netaddr_format(&c.mgc[1].addr, b, sizeof(b)), "[::1]:12904");
    assert_string_equal(netaddr_format(&c.mgc[2].addr, b, sizeof(b)), "10.0.0.1:2944");
    assert_string_equal(c.profile, "ETSI_BGF");
    assert_int_equal(c.profile_version, 2);
    assert_int_equal(c.h248_version, 2);
    assert_string_equal(c.log_target, "syslog");
    assert_int_equal(c.log_level, LOG_LVL_DEBUG);
    assert_int_equal(c.long_timer_ms, 5000);
    assert_int_equal(c.normal_mg_exec_ms, 200);
    assert_int_equal(c.normal_mgc_exec_ms, 300);
    assert_int_equal(c.provisional_timer_ms, 700);
    assert_int_equal(c.mgc_provisional_timer_ms, 800);
    assert_int_equal(c.pending_limit, 4);
    assert_int_equal(c.mgc_pending_limit, 6);
    assert_int_equal(c.retrans_initial_ms, 100);
    assert_int_equal(c.retrans_max_ms, 1600);
    assert_int_equal(c.retrans_max_tries, 7);
    assert_int_equal(c.graceful_delay_s, 3);
    assert_int_equal(c.max_stored_replies, 12345);
    assert_int_equal(c.max_gates, 1000);
    assert_int_equal(c.max_contexts, 400);
    assert_int_equal(c.workers, 2);
    assert_int_equal(c.default_dscp, 46);
    assert_true(c.default_latch);
    assert_int_equal(c.relatch_idle_ms, 2000);
    assert_int_equal(c.default_hang_timer_s, 30);
    assert_int_equal(c.nrealms, 2); /* the embedded realm is replaced, not kept */
    assert_int_equal(mg_config_realm(&c, "access"), 1);
    assert_int_equal(c.default_realm, 1);
    assert_int_equal(c.realms[1].naddrs, 2);
    assert_int_equal(netaddr_family(&c.realms[1].addrs[1]), AF_INET6);
    assert_int_equal(c.realms[1].port_min, 41001);
    assert_int_equal(c.realms[1].port_max, 41100);
    assert_true(c.li.enabled);
    assert_string_equal(c.li.key_file, "/etc/bgf/li.keys");
    assert_string_equal(netaddr_format(&c.li.df_dst, b, sizeof(b)), "127.0.0.1:50000");
    assert_string_equal(netaddr_format_ip(&c.li.df_src, b, sizeof(b)), "127.0.0.1");
    assert_string_equal(c.li.operator_id, "OPER1");
    assert_int_equal(c.li.format, LI_FMT_JMIRROR);
    assert_int_equal(c.li.point, LI_POINT_AFTER_NAT);
    assert_true(c.li.max_share_pct > 2.49 && c.li.max_share_pct < 2.51);
    assert_int_equal(c.li.queue_kb, 8192);
    assert_int_equal(CPU_COUNT(&c.li.send_cpus), 4);
    assert_true(CPU_ISSET(0, &c.li.send_cpus) && CPU_ISSET(2, &c.li.send_cpus) &&
                CPU_ISSET(5, &c.li.send_cpus) && !CPU_ISSET(3, &c.li.send_cpus));
    assert_string_equal(c.li.log_file, "/var/log/bgf/li.log");
    assert_string_equal(c.li.status_file, "/run/bgf/li.status");
}

static void listen_none_disables_tcp(void **state)
{
    mg_config_t c;
    char err[256];
    assert_int_equal(load(&c, "[bgfd]\nlisten_tcp = none\n", err, sizeof(err)), 0);
    assert_int_equal(c.nlisten_tcp, 0);
    assert_int_equal(c.nlisten_udp, 1);
}

static void mid_follows_the_first_listen_address_when_unset(void **state)
{
    mg_config_t c;
    char err[256];
    assert_int_equal(load(&c, "[bgfd]\nlisten_udp = [::1]:12944\n", err, sizeof(err)), 0);
    assert_string_equal(c.mid, "[::1]:12944");
    assert_int_equal(
        load(&c, "[bgfd]\nmid = <bgf.example>\nlisten_udp = 127.0.0.2:3000\n", err, sizeof(err)),
        0);
    assert_string_equal(c.mid, "<bgf.example>");
}

static void li_can_be_switched_off(void **state)
{
    mg_config_t c;
    char err[256];
    assert_int_equal(load(&c, "[li]\nenabled = no\n", err, sizeof(err)), 0);
    assert_false(c.li.enabled);
}

/* Each bad file, and the exact start of the message it must produce. */
static const struct {
    const char *text, *want;
} bad[] = {
    {"[bgfd]\nbogus = 1\n", ":2: bogus: unknown key in [bgfd]"},
    {"[bgfd]\nmid = x\n[nosuch]\n", ":3: [nosuch]: unknown section"},
    {"mid = x\n", ":1: mid: key outside any section"},
    {"[bgfd]\nthis line has no equals sign\n", ":2: syntax error"},
    {"[bgfd]\nmid = a b\n", ":2: mid: 'a b' is not an H.248 mId"},
    {"[bgfd]\nlisten_udp = 1.2.3.4:99999\n",
     ":2: listen_udp: '1.2.3.4:99999' is not an address[:port]"},
    {"[bgfd]\nlisten_udp = 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5\n",
     ":2: listen_udp: more than 4 addresses"},
    {"[bgfd]\nmgc = sctp:1.2.3.4\n", ":2: mgc: 'sctp:1.2.3.4' is not [udp:|tcp:]address[:port]"},
    {"[bgfd]\nprofile = ETSI_BGF\n", ":2: profile: 'ETSI_BGF' is not NAME/VERSION"},
    {"[bgfd]\nprofile = ETSI_BGF/0\n", ":2: profile: 'ETSI_BGF/0': version must be 1..99"},
    {"[bgfd]\nh248_version = 4\n", ":2: h248_version: 4 is out of range 1..3"},
    {"[bgfd]\nlog = file\n", ":2: log: 'file' is not stderr or syslog"},
    {"[bgfd]\nlog_level = loud\n", ":2: log_level: 'loud' is not one of"},
    {"[h248]\nlong_timer_ms = soon\n", ":2: long_timer_ms: 'soon' is not a number"},
    {"[h248]\nretrans_max_tries = 0\n", ":2: retrans_max_tries: 0 is out of range 1..100"},
    {"[h248]\nretrans_initial_ms = 100\nretrans_initial_ms = 200\n",
     ":3: retrans_initial_ms: set twice in [h248]"},
    {"[h248]\nretrans_initial_ms = 5000\nretrans_max_ms = 1000\n",
     "retrans_max_ms: smaller than retrans_initial_ms"},
    {"[media]\ndefault_dscp = 64\n", ":2: default_dscp: 64 is out of range 0..63"},
    {"[media]\ndefault_latch = maybe\n", ":2: default_latch: 'maybe' is not yes or no"},
    {"[media]\ndefault_realm = ghost\n", ":2: default_realm: no [realm ghost]"},
    {"[realm a]\naddresses = 127.0.0.1\nports = 20000-19000\n",
     ":3: ports: '20000-19000': need 1024 <= MIN <= MAX <= 65535"},
    {"[realm a]\naddresses = 127.0.0.1\nports = 20001-20001\n",
     ":3: ports: '20001-20001' holds no even RTP port"},
    {"[realm a]\naddresses = 127.0.0.1\nports = lots\n", ":3: ports: 'lots' is not MIN-MAX"},
    {"[realm a]\naddresses = not-an-ip\n",
     ":2: addresses: 'not-an-ip' is not an IPv4 or IPv6 address"},
    {"[realm a]\nports = 20000-20099\n", ":1: [realm a]: addresses: missing"},
    {"[realm a]\naddresses = 127.0.0.1\n", ":1: [realm a]: ports: missing"},
    {"[realm a]\naddresses = 127.0.0.1\nports = 20000-20099\n[realm a]\n",
     ":4: [realm a]: realm defined twice"},
    {"[realm a]\naddresses = 127.0.0.1\nfoo = 1\n", ":3: foo: unknown key in [realm a]"},
    {"[li]\ndf = 127.0.0.1:50000\noperator_id = X\n", ":1: key_file: missing in [li]"},
    {"[li]\nkey_file = /k\noperator_id = X\n", ":1: df: missing in [li]"},
    {"[li]\nkey_file = /k\ndf = [::1]:5\n",
     ":3: df: '[::1]:5': the delivery function is reached over IPv4"},
    {"[li]\nkey_file = /k\ndf = 127.0.0.1\n", ":3: df: '127.0.0.1' is not address:port"},
    {"[li]\noperator_id = TOOLONG\n", ":2: operator_id: longer than 5 characters"},
    {"[li]\nformat = pcap\n", ":2: format: 'pcap' is not etsi or jmirror"},
    {"[li]\nmirror_point = middle\n",
     ":2: mirror_point: 'middle' is not natural, before_nat or after_nat"},
    {"[li]\nmax_share_pct = 0\n", ":2: max_share_pct: 0 is out of range (0..100]"},
    {"[li]\nqueue_kb = 100\n", ":2: queue_kb: 100 is out of range 1024..1048576"},
    {"[li]\nsend_cpus = 3-1\n", ":2: send_cpus: '3-1': CPUs are 0..1023, low-high"},
    {"[li]\nsend_cpus = 1,,2\n", ":2: send_cpus: '1,,2' is not a CPU list such as 0-3,6"},
    {"[li]\nsend_cpus = 2048\n", ":2: send_cpus: '2048': CPUs are 0..1023, low-high"},
    {"[bgfd]\nlisten_udp = none\nlisten_tcp = none\n",
     "listen_udp, listen_tcp: bgfd must listen somewhere"},
};

static void every_error_names_file_line_key(void **state)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mg_config_t c;
        char err[512];
        int rc = load(&c, bad[i].text, err, sizeof(err));
        if (rc != -1 || strncmp(err, path, strlen(path)) != 0 || !strstr(err, bad[i].want)) {
            print_error("case %zu: rc %d, got \"%s\", want \"%s\"\n", i, rc, err, bad[i].want);
            fail();
        }
    }
}

static void missing_file_is_reported(void **state)
{
    mg_config_t c;
    char err[256];
    mg_config_default(&c);
    assert_int_equal(mg_config_load(&c, "/nonexistent/bgfd.conf", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/bgfd.conf: cannot open"));
}

static void reload_takes_runtime_fields_and_names_the_rest(void **state)
{
    mg_config_t cur, next;
    char err[256], restart[256];
    mg_config_default(&cur);
    assert_int_equal(load(&next,
                          "[bgfd]\nlog_level = debug\nmgc = 127.0.0.1:12950\n"
                          "listen_udp = 127.0.0.1:12951\n[media]\ndefault_dscp = 10\n"
                          "workers = 3\n[h248]\nlong_timer_ms = 2000\n",
                          err, sizeof(err)),
                     0);
    int n = mg_config_reload(&cur, &next, restart, sizeof(restart));
    assert_int_equal(n, 3); /* listen_udp, and the mid that follows it, and workers */
    assert_non_null(strstr(restart, "mid"));
    assert_non_null(strstr(restart, "listen_udp"));
    assert_non_null(strstr(restart, "workers"));
    assert_int_equal(cur.log_level, LOG_LVL_DEBUG);
    assert_int_equal(netaddr_port(&cur.mgc[0].addr), 12950);
    assert_int_equal(cur.default_dscp, 10);
    assert_int_equal(cur.long_timer_ms, 2000);
    assert_int_equal(netaddr_port(&cur.listen_udp[0]), 2944); /* needs a restart: unchanged */
    assert_int_equal(cur.workers, 0);
}

static void fast_path_is_auto_by_default_and_tc_or_off_on_request(void **state)
{
    mg_config_t c, next;
    char err[256], restart[256];
    mg_config_default(&c);
    assert_true(c.fast_path_auto);
    assert_false(c.fast_path_tc);
    assert_int_equal(load(&c, "[media]\nfast_path = tc\n", err, sizeof(err)), 0);
    assert_true(c.fast_path_tc);
    assert_false(c.fast_path_auto);
    assert_int_equal(load(&c, "[media]\nfast_path = off\n", err, sizeof(err)), 0);
    assert_false(c.fast_path_tc || c.fast_path_auto);
    assert_int_equal(load(&c, "[media]\nfast_path = auto\n", err, sizeof(err)), 0);
    assert_true(c.fast_path_auto);
    assert_int_equal(load(&c, "[media]\nfast_path = xdp\n", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fast_path"));
    mg_config_default(&c); /* auto -> off needs a restart */
    assert_int_equal(load(&next, "[media]\nfast_path = off\n", err, sizeof(err)), 0);
    assert_int_equal(mg_config_reload(&c, &next, restart, sizeof(restart)), 1);
    assert_non_null(strstr(restart, "fast_path"));
    assert_true(c.fast_path_auto);
}

static void example_file_in_docs_is_valid(void **state)
{
    mg_config_t c;
    char err[512];
    const char *p = "docs/bgfd.example.conf";
    if (access(p, R_OK) != 0) p = "../docs/bgfd.example.conf";
    if (access(p, R_OK) != 0) skip();
    mg_config_default(&c);
    int rc = mg_config_load(&c, p, err, sizeof(err));
    if (rc != 0) print_error("%s\n", err);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_serves_loopback),
        cmocka_unit_test(every_key_is_read),
        cmocka_unit_test(listen_none_disables_tcp),
        cmocka_unit_test(mid_follows_the_first_listen_address_when_unset),
        cmocka_unit_test(li_can_be_switched_off),
        cmocka_unit_test(every_error_names_file_line_key),
        cmocka_unit_test(missing_file_is_reported),
        cmocka_unit_test(reload_takes_runtime_fields_and_names_the_rest),
        cmocka_unit_test(fast_path_is_auto_by_default_and_tc_or_off_on_request),
        cmocka_unit_test(example_file_in_docs_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
