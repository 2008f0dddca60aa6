/* fuzz_roundtrip.c - libFuzzer target for the encoder over everything the decoder accepts:
 * each decoded tree must encode in both forms (the encoder is total on decoded trees), each
 * encoding must decode to an equal tree, and encoding that tree again must give the same text
 * (a fixed point). fuzz_h248 checks the decoder and skips trees that do not encode; this one
 * fails on them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h248/compare.h"
#include "h248/h248.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_form(const h248_message_t *m, h248_form_t form, arena_t *a)
{
    int need = h248_encoded_size(m, form);
    if (need < 0) {
        fprintf(stderr, "decoded tree does not encode: %d\n", need);
        abort();
    }
    char *t1 = malloc((size_t)need + 1);
    if (!t1 || h248_encode(m, form, t1, (size_t)need + 1) != need) abort();
    h248_message_t *m2 = NULL;
    h248_error_t err;
    if (h248_decode(t1, (size_t)need, a, &m2, &err) != H248_OK) {
        fprintf(stderr, "encoding does not decode: %u:%u %s\n%s\n", err.line, err.col, err.reason,
                t1);
        abort();
    }
    char why[256];
    if (!h248_equal(m, m2, why, sizeof why)) {
        fprintf(stderr, "trees differ: %s\n%s\n", why, t1);
        abort();
    }
    int need2 = h248_encoded_size(m2, form);
    char *t2 = malloc((size_t)(need2 > 0 ? need2 : 0) + 1);
    if (!t2 || need2 != need || h248_encode(m2, form, t2, (size_t)need2 + 1) != need2 ||
        memcmp(t1, t2, (size_t)need) != 0) {
        fprintf(stderr, "second encoding differs:\n%s\n", t1);
        abort();
    }
    free(t1);
    free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1); /* exact size: ASan catches any over-read */
    if (!in) return 0;
    if (size) memcpy(in, data, size);
    arena_t a;
    arena_init(&a, 0, 1u << 24);
    h248_message_t *m = NULL;
    h248_error_t err;
    if (h248_decode(in, size, &a, &m, &err) == H248_OK) {
        check_form(m, H248_PRETTY, &a);
        check_form(m, H248_COMPACT, &a);
    }
    arena_free(&a);
    free(in);
    return 0;
}
