/* fuzz_h248.c - libFuzzer target for the H.248 text decoder: any bytes must decode or fail
 * cleanly (no crash, no read past the input, no leak, no hang); whatever decodes must
 * re-encode in both forms and decode again to an equal tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h248/compare.h"
#include "h248/h248.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t a;
    arena_init(&a, 0, 8u << 20);
    /* a private copy of exactly size bytes, so ASan catches any read past the end */
    char *in = malloc(size ? size : 1);
    if (!in) return 0;
    memcpy(in, data, size);
    h248_message_t *m = NULL;
    h248_error_t e;
    int rc = h248_decode(in, size, &a, &m, &e);
    if (rc == H248_OK) {
        for (int f = 0; f < 2; f++) {
            int need = h248_encoded_size(m, (h248_form_t)f);
            if (need < 0) continue;
            char *out = malloc((size_t)need + 1);
            if (!out) break;
            if (h248_encode(m, (h248_form_t)f, out, (size_t)need + 1) != need) abort();
            h248_message_t *m2 = NULL;
            h248_error_t e2;
            if (h248_decode(out, (size_t)need, &a, &m2, &e2) != H248_OK) {
                fprintf(stderr, "re-decode failed: %u:%u %s\n%s\n", e2.line, e2.col, e2.reason, out);
                abort();
            }
            char why[160];
            if (!h248_equal(m, m2, why, sizeof(why))) {
                fprintf(stderr, "round trip differs: %s\n%s\n", why, out);
                abort();
            }
            free(out);
        }
    } else if (rc == H248_ESYNTAX) {
        if (e.offset > size || e.code < 400 || e.code > 599 || !e.line || !e.col) abort();
    } else if (rc != H248_ENOMEM) {
        abort();
    }
    free(in);
    arena_free(&a);
    return 0;
}
