/* test_logmask.c - interception values never reach the ordinary log: li/LICn and li/LITID
 * values are replaced by <hidden> in every form they take, the rest of the text is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mg/assoc.h"

static const char *mask(const char *in)
{
    static char out[1024];
    size_t n = mg_mask_li(in, strlen(in), out, sizeof(out));
    assert_int_equal(n, strlen(out));
    return out;
}

static void licn_and_litid_values_are_hidden(void **state)
{
    const char *m = mask("LocalControl { Mode = SendReceive, li/LICn=ff00ff00ff00ff00},\n"
                         "li/LITID = [ffffff00, ffffff01],\nRemote {");
    assert_null(strstr(m, "ff00ff00"));
    assert_null(strstr(m, "ffffff01"));
    assert_non_null(strstr(m, "li/LICn=<hidden>}"));
    assert_non_null(strstr(m, "li/LITID = <hidden>,\nRemote {"));
    assert_non_null(strstr(m, "Mode = SendReceive"));
}

static void every_spelling_is_hidden(void **state)
{
    assert_string_equal(mask("LI/licn = \"0123\""), "LI/licn = <hidden>");
    assert_string_equal(mask("li/litid={1,2}x"), "li/litid=<hidden>x");
    assert_string_equal(mask("O{li/LICn=00aa,MO=SR}"), "O{li/LICn=<hidden>,MO=SR}");
    assert_string_equal(mask("li/LITID=[1,2"), "li/LITID=<hidden>"); /* unterminated list */
    assert_string_equal(mask("li/LICn"), "li/LICn");                 /* audit: no value */
    assert_string_equal(mask("xli/LICn=5"), "xli/LICn=5");           /* another name */
}

static void output_is_bounded(void **state)
{
    char out[8];
    size_t n = mg_mask_li("abcdefghijkl", 12, out, sizeof(out));
    assert_int_equal(n, 7);
    assert_string_equal(out, "abcdefg");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(licn_and_litid_values_are_hidden),
        cmocka_unit_test(every_spelling_is_hidden),
        cmocka_unit_test(output_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
