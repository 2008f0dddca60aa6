/* test_realm.c - realm port pools: even RTP ports with the odd RTCP port beside them, never
 * handed out twice, released ports reused last, exhaustion and address families. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mg/config.h"
#include "mg/realm.h"

static void two_realms(mg_config_t *cfg)
{
    mg_config_default(cfg);
    cfg->nrealms = 2;
    memset(cfg->realms, 0, sizeof(cfg->realms));
    snprintf(cfg->realms[0].name, sizeof(cfg->realms[0].name), "core");
    netaddr_parse_ip(&cfg->realms[0].addrs[0], "127.0.0.1", 0);
    cfg->realms[0].naddrs = 1;
    cfg->realms[0].port_min = 40001; /* odd: the first pair starts at 40002 */
    cfg->realms[0].port_max = 40021;
    snprintf(cfg->realms[1].name, sizeof(cfg->realms[1].name), "access");
    netaddr_parse_ip(&cfg->realms[1].addrs[0], "::1", 0);
    netaddr_parse_ip(&cfg->realms[1].addrs[1], "127.0.0.2", 0);
    cfg->realms[1].naddrs = 2;
    cfg->realms[1].port_min = 40100;
    cfg->realms[1].port_max = 40103;
    cfg->default_realm = 0;
}

static void every_pair_is_even_and_handed_out_once(void **state)
{
    (void)state;
    mg_config_t cfg;
    two_realms(&cfg);
    char err[128];
    mg_realms_t *r = mg_realms_new(&cfg, err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(mg_realm_capacity(r, 0), 10);
    bool seen[65536] = {false};
    netaddr_t a;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(mg_realm_alloc(r, 0, 0, &a, NULL), 0);
        uint16_t p = netaddr_port(&a);
        assert_true(p % 2 == 0);
        assert_true(p >= 40002 && p + 1 <= 40021);
        assert_false(seen[p]);
        seen[p] = true;
    }
    assert_int_equal(mg_realm_in_use(r, 0), 10);
    assert_int_equal(mg_realm_alloc(r, 0, 0, &a, NULL), -ENOSPC);
    mg_realms_free(r);
}

static void released_port_comes_back_last(void **state)
{
    (void)state;
    mg_config_t cfg;
    two_realms(&cfg);
    char err[128];
    mg_realms_t *r = mg_realms_new(&cfg, err, sizeof(err));
    assert_non_null(r);
    netaddr_t first, a;
    assert_int_equal(mg_realm_alloc(r, 0, AF_INET, &first, NULL), 0);
    assert_int_equal(mg_realm_release(r, 0, &first), 0);
    assert_int_equal(mg_realm_release(r, 0, &first), -ENOENT); /* double release refused */
    for (int i = 0; i < 9; i++) {
        assert_int_equal(mg_realm_alloc(r, 0, AF_INET, &a, NULL), 0);
        assert_int_not_equal(netaddr_port(&a), netaddr_port(&first));
    }
    assert_int_equal(mg_realm_alloc(r, 0, AF_INET, &a, NULL), 0);
    assert_int_equal(netaddr_port(&a), netaddr_port(&first));
    mg_realms_free(r);
}

static void family_picks_the_address(void **state)
{
    (void)state;
    mg_config_t cfg;
    two_realms(&cfg);
    char err[128];
    mg_realms_t *r = mg_realms_new(&cfg, err, sizeof(err));
    assert_non_null(r);
    int access = mg_realms_find(r, "ACCESS", 6);
    assert_int_equal(access, 1);
    assert_int_equal(mg_realms_find(r, "nope", 4), -1);
    netaddr_t a;
    unsigned idx;
    assert_int_equal(mg_realm_alloc(r, 1, AF_INET6, &a, &idx), 0);
    assert_int_equal(netaddr_family(&a), AF_INET6);
    assert_int_equal(mg_realm_alloc(r, 1, 0, &a, &idx), 0);
    assert_int_equal(netaddr_family(&a), AF_INET); /* IPv4 first when the family is open */
    assert_int_equal(mg_realm_alloc(r, 0, AF_INET6, &a, &idx), -EAFNOSUPPORT);
    assert_true(mg_realm_has_family(r, 1, AF_INET6));
    assert_false(mg_realm_has_family(r, 0, AF_INET6));
    mg_realms_free(r);
}

static void port_range_without_a_pair_is_refused(void **state)
{
    (void)state;
    mg_config_t cfg;
    two_realms(&cfg);
    cfg.realms[0].port_min = cfg.realms[0].port_max = 40001;
    char err[128] = "";
    assert_null(mg_realms_new(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "core"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_pair_is_even_and_handed_out_once),
        cmocka_unit_test(released_port_comes_back_last),
        cmocka_unit_test(family_picks_the_address),
        cmocka_unit_test(port_range_without_a_pair_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
