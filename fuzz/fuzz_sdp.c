/* fuzz_sdp.c - libFuzzer target for the H.248 SDP parser and writer: any bytes must parse or
 * fail cleanly, never read past the input, and what parses must write back to text that
 * parses again, writes identically, and compares equal to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h248/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact-size copy so ASan sees any read past the end */
    char *in = malloc(size ? size : 1);
    if (!in) return 0;
    if (size) memcpy(in, data, size);
    arena_t a;
    arena_init(&a, 0, 1u << 24);
    h248_sdp_t *s = NULL;
    h248_sdp_error_t err;
    int rc = h248_sdp_parse(in, size, &a, &s, &err);
    if (rc == H248_SDP_ESYNTAX && (err.line < 1 || err.col < 1 || !err.reason)) abort();
    if (rc == 0) {
        size_t need = h248_sdp_write(s, H248_SDP_W_ASIS, NULL, 0);
        char *w1 = malloc(need + 1);
        if (!w1 || h248_sdp_write(s, H248_SDP_W_ASIS, w1, need) != need) abort();
        h248_sdp_t *again = NULL;
        if (h248_sdp_parse(w1, need, &a, &again, NULL) != 0) abort();
        size_t need2 = h248_sdp_write(again, H248_SDP_W_ASIS, NULL, 0);
        char *w2 = malloc(need2 + 1);
        if (!w2 || h248_sdp_write(again, H248_SDP_W_ASIS, w2, need2) != need2) abort();
        if (need2 != need || memcmp(w1, w2, need) != 0) abort();
        if (!h248_sdp_equal(again, again)) abort();
        if (!memchr(in, '}', size) && !h248_sdp_equal(s, again)) abort();
        h248_sdp_endpoint_t ep;
        (void)h248_sdp_get_endpoint(s, &ep);
        (void)h248_sdp_fill_choose(s, 0, &a, H248_SDP_AF_IP4, "192.0.2.1", 40000);
        free(w1);
        free(w2);
    }
    arena_free(&a);
    free(in);
    return 0;
}
