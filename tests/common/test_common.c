/* Unit tests for src/common: arena allocation and transport address helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/arena.h"
#include "common/log.h"
#include "common/netaddr.h"

static void arena_allocations_are_aligned_zeroed_and_distinct(void **state)
{
    arena_t a;
    arena_init(&a, 64, 0);
    char *p = arena_alloc(&a, 3), *q = arena_alloc(&a, 100);
    assert_non_null(p);
    assert_non_null(q);
    assert_true(((uintptr_t)q % _Alignof(max_align_t)) == 0);
    for (int i = 0; i < 100; i++) assert_int_equal(q[i], 0);
    assert_true(q >= p + 3 || q + 100 <= p);
    assert_string_equal(arena_strndup(&a, "hello world", 5), "hello");
    assert_string_equal(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    arena_reset(&a);
    assert_int_equal(a.used, 0);
    assert_non_null(arena_alloc(&a, 10));
    arena_free(&a);
}

static void arena_refuses_allocations_past_its_limit(void **state)
{
    arena_t a;
    arena_init(&a, 128, 256);
    assert_non_null(arena_alloc(&a, 200));
    assert_null(arena_alloc(&a, 200));
    arena_free(&a);
}

static void netaddr_parses_and_formats_v4_and_v6(void **state)
{
    netaddr_t a, b;
    char buf[NETADDR_STRLEN];
    assert_int_equal(netaddr_parse(&a, "127.0.0.1:2944", -1), 0);
    assert_string_equal(netaddr_format(&a, buf, sizeof(buf)), "127.0.0.1:2944");
    assert_int_equal(netaddr_parse(&b, "[::1]:5", -1), 0);
    assert_string_equal(netaddr_format(&b, buf, sizeof(buf)), "[::1]:5");
    assert_int_equal(netaddr_family(&b), AF_INET6);
    assert_int_equal(netaddr_parse(&a, "10.0.0.1", 2945), 0);
    assert_int_equal(netaddr_port(&a), 2945);
    assert_int_equal(netaddr_parse(&a, "::1", 7), 0);
    assert_int_equal(netaddr_port(&a), 7);
    assert_int_equal(netaddr_parse(&a, "10.0.0.1", -1), -1);
    assert_int_equal(netaddr_parse(&a, "10.0.0.1:99999", -1), -1);
    assert_int_equal(netaddr_parse(&a, "[::1", -1), -1);
    assert_int_equal(netaddr_parse(&a, "host:1", -1), -1);
}

static void netaddr_masks_match_prefixes(void **state)
{
    netaddr_t a, net, mask;
    netaddr_parse_ip(&a, "192.0.2.77", 0);
    netaddr_parse_ip(&net, "192.0.2.0", 0);
    netaddr_parse_ip(&mask, "255.255.255.0", 0);
    assert_true(netaddr_match_mask(&a, &net, &mask));
    netaddr_parse_ip(&a, "192.0.3.77", 0);
    assert_false(netaddr_match_mask(&a, &net, &mask));
    netaddr_parse_ip(&a, "2001:db8::1", 0);
    assert_false(netaddr_match_mask(&a, &net, &mask));
}

static void log_levels_parse_by_name(void **state)
{
    assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
    assert_int_equal(log_level_parse("error"), LOG_LVL_ERROR);
    assert_int_equal(log_level_parse("loud"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_allocations_are_aligned_zeroed_and_distinct),
        cmocka_unit_test(arena_refuses_allocations_past_its_limit),
        cmocka_unit_test(netaddr_parses_and_formats_v4_and_v6),
        cmocka_unit_test(netaddr_masks_match_prefixes),
        cmocka_unit_test(log_levels_parse_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
