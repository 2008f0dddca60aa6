/* test_msgscan.c - transaction boundaries in H.248 text: the header's end, the transaction
 * holding a byte, the end of a transaction; braces inside quoted strings do not count;
 * unbalanced braces give 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mg/msgscan.h"

static const char pretty[] =
    "MEGACO/3 [1.2.3.4]:2944\n"
    "Transaction = 1 { Context = - { Notify = ROOT { Error = 1 {\"a } b\"} } } }\n"
    "Transaction = 2 { Context = $ { Add = } }\n"
    "Reply = 3 { Context = 1 { } }\n";

static void header_end_and_owner_of_a_byte(void **state)
{
    size_t len = strlen(pretty);
    const char *t1 = strstr(pretty, "Transaction = 1");
    const char *t2 = strstr(pretty, "Transaction = 2");
    const char *r3 = strstr(pretty, "Reply = 3");
    assert_int_equal(mg_txn_text_start(pretty, len, len, true), t1 - pretty);
    const char *bad = strstr(pretty, "Add = }") + 6;
    assert_int_equal(mg_txn_text_start(pretty, len, (size_t)(bad - pretty), false), t2 - pretty);
    assert_int_equal(mg_txn_text_start(pretty, len, len, false), r3 - pretty);
    assert_int_equal(mg_txn_text_start("MEGACO/3 x\n", 11, 11, true), 0); /* no transaction */
}

static void end_of_a_transaction_skips_quoted_braces(void **state)
{
    size_t len = strlen(pretty);
    const char *t1 = strstr(pretty, "Transaction = 1");
    const char *t2 = strstr(pretty, "Transaction = 2");
    size_t end = mg_txn_text_end(pretty, len, (size_t)(t1 - pretty));
    assert_int_equal(end, (size_t)(t2 - pretty) - 1); /* just before the newline */
    assert_int_equal(mg_txn_text_end("T=1{C=${A=", 10, 0), 0);
}

static void compact_tokens_are_found(void **state)
{
    const char m[] = "!/3 [1.2.3.4]\nT=1{C=${A=ip/${}}}PN=2{}K{3}T=4{C=-{AV=ROOT{}}}";
    size_t len = strlen(m);
    assert_int_equal(mg_txn_text_start(m, len, len, true), strchr(m, 'T') - m);
    assert_int_equal(mg_txn_text_start(m, len, (size_t)(strstr(m, "{3}") - m), false),
                     strstr(m, "K{3}") - m);
    assert_int_equal(mg_txn_text_start(m, len, len, false), strstr(m, "T=4") - m);
    assert_int_equal(mg_txn_text_end(m, len, (size_t)(strstr(m, "PN=2") - m)),
                     strstr(m, "K{3}") - m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_end_and_owner_of_a_byte),
        cmocka_unit_test(end_of_a_transaction_skips_quoted_braces),
        cmocka_unit_test(compact_tokens_are_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
