/* bgf-h248.c - the H.248 text codec on the command line:
 *   bgf-h248 check   [FILE]   exit 0 when FILE (or standard input) is one valid message,
 *                              else print "LINE:COL: error CODE: reason" and exit 1
 *   bgf-h248 pretty  [FILE]   print the message re-encoded in the pretty form
 *   bgf-h248 compact [FILE]   print it in the compact form
 * Exit status 2 for usage or I/O errors. Single-threaded; reads the whole input into memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "h248/h248.h"

#define MAX_INPUT (16u << 20) /* a message larger than 16 MiB is not H.248 */

static void usage(void)
{
    fprintf(stderr, "usage: bgf-h248 check|pretty|compact [FILE]\n"
                    "  check    exit 0 for a valid message, else print LINE:COL: error CODE: reason\n"
                    "  pretty   re-encode in the pretty form (long tokens, indented)\n"
                    "  compact  re-encode in the compact form (short tokens)\n");
}

/* Read all of f into a malloc'd buffer; returns NULL on error (errno set) or overflow. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 8192, n = 0;
    char *b = malloc(cap);
    if (!b) return NULL;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_INPUT) {
                free(b);
                errno = EFBIG;
                return NULL;
            }
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                return NULL;
            }
            b = nb, cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    if (ferror(f)) {
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

static int encode_out(const h248_message_t *m, h248_form_t form)
{
    int need = h248_encoded_size(m, form);
    if (need < 0) {
        fprintf(stderr, "bgf-h248: the message cannot be encoded (%d)\n", need);
        return 1;
    }
    char *out = malloc((size_t)need + 1);
    if (!out) return 2;
    int n = h248_encode(m, form, out, (size_t)need + 1);
    if (n < 0) {
        fprintf(stderr, "bgf-h248: encoding failed (%d)\n", n);
        free(out);
        return 1;
    }
    fwrite(out, 1, (size_t)n, stdout);
    /* to a pipe or file exactly the encoding (a final Segment reply ends without a line end,
     * and a peer may refuse one); a terminal gets a line end for the prompt's sake */
    if ((n == 0 || out[n - 1] != '\n') && isatty(STDOUT_FILENO)) putchar('\n');
    free(out);
    return fflush(stdout) == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        usage();
        return 2;
    }
    const char *cmd = argv[1];
    h248_form_t form = H248_PRETTY;
    if (!strcmp(cmd, "pretty")) form = H248_PRETTY;
    else if (!strcmp(cmd, "compact")) form = H248_COMPACT;
    else if (strcmp(cmd, "check")) {
        usage();
        return 2;
    }
    FILE *f = stdin;
    const char *name = "-";
    if (argc == 3 && strcmp(argv[2], "-")) {
        name = argv[2];
        f = fopen(name, "rb");
        if (!f) {
            fprintf(stderr, "bgf-h248: %s: %s\n", name, strerror(errno));
            return 2;
        }
    }
    size_t len = 0;
    char *buf = slurp(f, &len);
    if (f != stdin) fclose(f);
    if (!buf) {
        fprintf(stderr, "bgf-h248: %s: %s\n", name, strerror(errno));
        return 2;
    }
    arena_t a;
    arena_init(&a, 16384, 0);
    h248_message_t *m = NULL;
    h248_error_t err;
    int rc = h248_decode(buf, len, &a, &m, &err);
    int status;
    if (rc != H248_OK) {
        fprintf(stderr, "%u:%u: error %u: %s\n", err.line, err.col, err.code, err.reason);
        status = 1;
    } else if (form == H248_PRETTY && !strcmp(cmd, "check")) {
        status = 0;
    } else {
        status = encode_out(m, form);
    }
    arena_free(&a);
    free(buf);
    return status;
}
