/* Unit tests for the LICn scheme (src/li/licn.c): golden vectors, validity rules, key files.
 *
 * The golden LICn values were made once with the openssl command line (OpenSSL 3.0), exactly
 * as BGF-REFERENCE.md section 2 gives it, with the keys K1 / K2 below:
 *   { printf %08x N | xxd -r -p; printf LICN; } | openssl enc -des-ede3 -nopad -K K1 | xxd -p
 *   { printf %016x N | xxd -r -p; printf 'LICN-v2\0'; } \
 *       | openssl enc -aes-256-ecb -nopad -K K2 | xxd -p -c 32
 * so the C code is checked against an independent implementation of the same scheme. */
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

#include "li/li.h"

#define K1 "0123456789abcdeffedcba987654321089abcdef01234567"
#define K2 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static const struct { int form; uint64_t cid; const char *licn; } golden[] = {
    {1, 1, "20257cddaeb19152"},
    {1, 305419896, "7a30dbbf3428c0a8"},
    {1, 4294967295u, "365bd8f47dbf26d2"},
    {2, 1, "6bf3de6443507347b048259e549e1852"},
    {2, 305419896, "d6483765de4b36075ab610865cebd627"},
    {2, 81985529216486895ull, "fa49a177ac8d68a070aefdcead437f4c"},
    {2, 18446744073709551615ull, "f715d15f132e3a2589f78cc1fea1c92e"},
};
/* Correlation number 0 encrypted the same way: well-formed but invalid by the scheme. */
static const char zero1[] = "db050831b6971da2", zero2[] = "dc346d5a59fd96364218dfe414c818be";

static char tmpdir[64];

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static li_keys_t *load_ok(const char *text)
{
    char err[256] = "";
    li_keys_t *k = NULL;
    int rc = li_keys_load(write_file("keys", text, 0600), &k, err, sizeof err);
    if (rc != 0) fail_msg("key file refused: %s", err);
    return k;
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/bgfli-licn-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void encrypt_matches_openssl_command_line(void **state)
{
    li_keys_t *k = load_ok("# LI keys\n\ntdea " K1 "\n  aes256 " K2 "  \n");
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        char out[40];
        int n = li_licn_encrypt(k, golden[i].form, golden[i].cid, out, sizeof out);
        assert_int_equal(n, golden[i].form == 1 ? 16 : 32);
        assert_string_equal(out, golden[i].licn);
    }
    li_keys_free(k);
}

static void decrypt_of_openssl_values_gives_the_number(void **state)
{
    li_keys_t *k = load_ok("tdea " K1 "\naes256 " K2 "\n");
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        uint64_t cid = 0;
        assert_int_equal(li_licn_decrypt(k, golden[i].licn, strlen(golden[i].licn), &cid), 1);
        assert_true(cid == golden[i].cid);
    }
    /* upper-case hex is the same value */
    uint64_t cid = 0;
    assert_int_equal(li_licn_decrypt(k, "7A30DBBF3428C0A8", 16, &cid), 1);
    assert_int_equal(cid, 305419896);
    li_keys_free(k);
}

static void invalid_values_are_refused_and_give_no_number(void **state)
{
    li_keys_t *k = load_ok("tdea " K1 "\naes256 " K2 "\n");
    const char *bad[] = {
        "0000000000000000", "00000000000000000000000000000000", /* all zeros */
        "ff00ff00ff00ff00",                                      /* the seed's value: random */
        zero1, zero2,                                            /* right trailer, number 0 */
        "7a30dbbf3428c0a9",                                      /* one bit flipped */
        "7a30dbbf3428c0ag", "7a30dbbf3428c0a",  "7a30dbbf3428c0a80", /* bad hex, lengths */
        "d6483765de4b36075ab610865cebd62", "", "7a30dbbf 3428c0a8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t cid = 99;
        assert_int_equal(li_licn_decrypt(k, bad[i], strlen(bad[i]), &cid), 0);
        assert_true(cid == 0);
    }
    li_keys_free(k);
}

static void form_without_its_key_is_invalid(void **state)
{
    li_keys_t *k = load_ok("aes256 " K2 "\n");
    uint64_t cid = 5;
    char out[40];
    assert_int_equal(li_licn_decrypt(k, golden[1].licn, 16, &cid), 0);
    assert_true(li_licn_encrypt(k, 1, 7, out, sizeof out) < 0);
    assert_int_equal(li_licn_decrypt(k, golden[4].licn, 32, &cid), 1);
    li_keys_free(k);
}

static void encrypt_refuses_numbers_too_big_for_form_1(void **state)
{
    li_keys_t *k = load_ok("tdea " K1 "\n");
    char out[40];
    assert_true(li_licn_encrypt(k, 1, 1ull << 32, out, sizeof out) < 0);
    assert_true(li_licn_encrypt(k, 3, 1, out, sizeof out) < 0);
    assert_true(li_licn_encrypt(k, 1, 1, out, 16) < 0); /* no room for the NUL */
    li_keys_free(k);
}

static void round_trip_over_many_numbers(void **state)
{
    li_keys_t *k = load_ok("tdea " K1 "\naes256 " K2 "\n");
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 500; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char out[40];
        uint64_t n1 = (x & 0xffffffffu) | 1, n2 = x | 1, cid = 0;
        assert_int_equal(li_licn_encrypt(k, 1, n1, out, sizeof out), 16);
        assert_int_equal(li_licn_decrypt(k, out, 16, &cid), 1);
        assert_true(cid == n1);
        assert_int_equal(li_licn_encrypt(k, 2, n2, out, sizeof out), 32);
        assert_int_equal(li_licn_decrypt(k, out, 32, &cid), 1);
        assert_true(cid == n2);
    }
    li_keys_free(k);
}

static void key_file_readable_by_group_or_others_is_refused_with_reason(void **state)
{
    const mode_t modes[] = {0640, 0604, 0660, 0644, 0610};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char err[256] = "";
        li_keys_t *k = (li_keys_t *)1;
        const char *p = write_file("open", "tdea " K1 "\n", modes[i]);
        assert_int_equal(li_keys_load(p, &k, err, sizeof err), -1);
        assert_null(k);
        char want[16];
        snprintf(want, sizeof want, "mode %04o", (unsigned)modes[i]);
        assert_non_null(strstr(err, p));
        assert_non_null(strstr(err, want));
    }
    char err[256];
    li_keys_t *k = NULL;
    assert_int_equal(li_keys_load(write_file("ok", "tdea " K1 "\n", 0400), &k, err, sizeof err), 0);
    li_keys_free(k);
}

static void malformed_key_files_are_refused(void **state)
{
    const char *texts[] = {
        "",                                        /* no key */
        "# only a comment\n\n",                    /* no key */
        "tdea 0123\n",                             /* short */
        "aes256 " K1 "\n",                         /* tdea length for aes */
        "des " K1 "\n",                            /* unknown type */
        "tdea " K1 "zz\n",                         /* too long */
        "tdea 0123456789abcdeffedcba987654321089abcdef0123456g\n", /* not hex */
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char err[256] = "";
        li_keys_t *k = NULL;
        assert_int_equal(li_keys_load(write_file("bad", texts[i], 0600), &k, err, sizeof err), -1);
        assert_null(k);
        assert_true(strlen(err) > 0);
    }
    char err[256];
    li_keys_t *k = NULL;
    assert_int_equal(li_keys_load("/nonexistent/keys", &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/keys"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encrypt_matches_openssl_command_line),
        cmocka_unit_test(decrypt_of_openssl_values_gives_the_number),
        cmocka_unit_test(invalid_values_are_refused_and_give_no_number),
        cmocka_unit_test(form_without_its_key_is_invalid),
        cmocka_unit_test(encrypt_refuses_numbers_too_big_for_form_1),
        cmocka_unit_test(round_trip_over_many_numbers),
        cmocka_unit_test(key_file_readable_by_group_or_others_is_refused_with_reason),
        cmocka_unit_test(malformed_key_files_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
