/* test_pkg.c - package tables: lookups answer with the right H.248 error code, and every
 * value check holds its range and type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mg/pkg.h"

#define S(lit) lit, sizeof(lit) - 1

static void lookups_give_h248_codes(void **state)
{
    (void)state;
    const mg_pkg_def_t *p;
    const mg_prop_def_t *d;
    assert_int_equal(mg_pkg_prop(S("ds/dscp"), MG_IN_LC, &p, &d), 0);
    assert_string_equal(d->name, "dscp");
    assert_int_equal(mg_pkg_prop(S("DS/DSCP"), MG_IN_LC, &p, &d), 0); /* case-insensitive */
    assert_int_equal(mg_pkg_prop(S("xx/dscp"), MG_IN_LC, &p, &d), 445);
    assert_int_equal(mg_pkg_prop(S("dscp"), MG_IN_LC, &p, &d), 445);
    assert_int_equal(mg_pkg_prop(S("ds/nope"), MG_IN_LC, &p, &d), 450);
    assert_int_equal(mg_pkg_prop(S("ds/dscp"), MG_IN_TS, &p, &d), 455);
    assert_int_equal(mg_pkg_prop(S("root/normalMGExecutionTime"), MG_IN_ROOT, &p, &d), 0);
    assert_int_equal(mg_pkg_prop(S("root/normalMGExecutionTime"), MG_IN_LC, &p, &d), 455);
    assert_int_equal(mg_pkg_prop(S("ipdc/realm"), MG_IN_TS, &p, &d), 0);
    assert_int_equal(mg_pkg_prop(S("li/LITID"), MG_IN_LC, &p, &d), 0);
    assert_true(p->confidential);
    const mg_event_def_t *ev;
    assert_int_equal(mg_pkg_event(S("it/ito"), true, &p, &ev), 0);
    assert_int_equal(mg_pkg_event(S("it/ito"), false, &p, &ev), 455);
    assert_int_equal(mg_pkg_event(S("hangterm/thb"), false, &p, &ev), 0);
    assert_int_equal(mg_pkg_event(S("hangterm/nope"), false, &p, &ev), 451);
    assert_int_equal(mg_pkg_stat(S("rtp/jit")), 0);
    assert_int_equal(mg_pkg_stat(S("rtp/nope")), 453);
    assert_int_equal(mg_pkg_stat(S("zz/os")), 445);
}

static void values_are_checked(void **state)
{
    (void)state;
    const mg_pkg_def_t *p;
    const mg_prop_def_t *d;
    mg_pval_t v;
    assert_int_equal(mg_pkg_prop(S("ds/dscp"), MG_IN_LC, &p, &d), 0);
    memset(&v, 0, sizeof(v));
    assert_int_equal(mg_pkg_check(d, S("46"), &v), 0);
    assert_int_equal(v.u, 46);
    assert_int_equal(mg_pkg_check(d, S("64"), &v), 449);
    assert_int_equal(mg_pkg_check(d, S("4x"), &v), 449);
    assert_int_equal(mg_pkg_check(d, S(""), &v), 449);
    assert_int_equal(mg_pkg_check(d, S("2e"), &v), 0); /* hex, as controllers write it */
    assert_int_equal(v.u, 46);
    assert_int_equal(mg_pkg_check(d, S("0x2E"), &v), 0);
    assert_int_equal(v.u, 46);
    assert_int_equal(mg_pkg_check(d, S("b8"), &v), 449); /* a ToS byte, not a DSCP */
    assert_int_equal(mg_pkg_prop(S("gm/saf"), MG_IN_LC, &p, &d), 0);
    assert_int_equal(mg_pkg_check(d, S("on"), &v), 0);
    assert_int_equal(v.u, 1);
    assert_int_equal(mg_pkg_check(d, S("OFF"), &v), 0);
    assert_int_equal(v.u, 0);
    assert_int_equal(mg_pkg_check(d, S("maybe"), &v), 449);
    assert_int_equal(mg_pkg_prop(S("gm/spr"), MG_IN_LC, &p, &d), 0);
    assert_int_equal(mg_pkg_check(d, S("1000-2000"), &v), 0);
    assert_int_equal(v.u, 1000);
    assert_int_equal(v.u2, 2000);
    assert_int_equal(mg_pkg_check(d, S("2000-1000"), &v), 449);
    assert_int_equal(mg_pkg_check(d, S("1-70000"), &v), 449);
    assert_int_equal(mg_pkg_prop(S("gm/sam"), MG_IN_LC, &p, &d), 0);
    assert_int_equal(mg_pkg_check(d, S("255.255.255.0"), &v), 0);
    assert_int_equal(mg_pkg_check(d, S("ffff::"), &v), 0);
    assert_int_equal(mg_pkg_check(d, S("300.1.1.1"), &v), 449);
    assert_int_equal(mg_pkg_check(d, S("192.0.2.0/24"), &v), 0);
    assert_int_equal(v.u2, 1);
    assert_int_equal(v.u, 24);
    assert_int_equal(v.n, 9);
    assert_int_equal(mg_pkg_check(d, S("192.0.2.0/33"), &v), 449);
    assert_int_equal(mg_pkg_check(d, S("2001:db8::/32"), &v), 0);
    assert_int_equal(mg_pkg_prop(S("root/MGProvisionalResponseTimerValue"), MG_IN_ROOT, &p, &d), 0);
    assert_int_equal(mg_pkg_check(d, S("499"), &v), 449);
    assert_int_equal(mg_pkg_check(d, S("3000"), &v), 0);
}

static void litid_holds_at_most_seven_ids(void **state)
{
    (void)state;
    const mg_pkg_def_t *p;
    const mg_prop_def_t *d;
    mg_pval_t v;
    memset(&v, 0, sizeof(v));
    assert_int_equal(mg_pkg_prop(S("li/LITID"), MG_IN_LC, &p, &d), 0);
    for (int i = 0; i < 7; i++)
        assert_int_equal(mg_pkg_check(d, S("ffffff00"), &v), 0);
    assert_int_equal(v.nlist, 7);
    assert_int_equal(v.list[0], 0xffffff00u);
    assert_int_equal(mg_pkg_check(d, S("ffffff08"), &v), 449);
    memset(&v, 0, sizeof(v));
    assert_int_equal(mg_pkg_check(d, S("xyz"), &v), 449);
    assert_int_equal(mg_pkg_check(d, S("123456789"), &v), 449); /* more than 32 bits */
}

static void packages_carry_versions(void **state)
{
    (void)state;
    const char *need[] = {"root", "ds",       "gm", "ipnat", "ipdc", "tman",
                          "it",   "hangterm", "nt", "rtp",   "li"};
    for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        const mg_pkg_def_t *p = mg_pkg_find(need[i], strlen(need[i]));
        assert_non_null(p);
        assert_true(p->version >= 1);
    }
    assert_null(mg_pkg_find(S("tonegen")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookups_give_h248_codes),
        cmocka_unit_test(values_are_checked),
        cmocka_unit_test(litid_holds_at_most_seven_ids),
        cmocka_unit_test(packages_carry_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
