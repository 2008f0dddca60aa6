/* codec_bench.c - decodes/s and encodes/s of bgf's H.248 text codec on one thread.
 *
 *   codec_bench SECONDS ROUNDS FILE...
 *
 * Each FILE holds one message; its form (pretty or compact) is taken from the name
 * (*.pretty / *.compact) and the encoder writes that same form. For every file, and for the
 * mix of all files taken in turn, it prints
 *   bgf NAME decode RATE
 *   bgf NAME encode RATE
 * with RATE in messages per CPU second: the best of ROUNDS runs of SECONDS of CPU time each, as
 * the machine is shared and the best run is the one least disturbed. Decoding uses one arena, reset after each message, as a
 * gateway would; encoding re-encodes the decoded tree into a fixed buffer. Before measuring,
 * each message is checked to decode, encode and decode again, so a broken codec cannot
 * produce a figure. Single-threaded; bench/h248/run.sh pins it to one core. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "h248/h248.h"

#define MAX_FILES 32
#define OUT_CAP 65536

typedef struct bench_msg {
    const char *name; /* file base name */
    char *text;
    size_t len;
    h248_form_t form;
} bench_msg_t;

/* CPU time of this (single-threaded) process: on a shared machine, time spent waiting for the
 * core does not count against the codec. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, bench_msg_t *m)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(OUT_CAP);
    size_t n = buf ? fread(buf, 1, OUT_CAP, f) : 0;
    fclose(f);
    if (!buf || n == 0 || n == OUT_CAP) {
        fprintf(stderr, "%s: empty, unreadable or too large\n", path);
        free(buf);
        return -1;
    }
    const char *base = strrchr(path, '/');
    m->name = base ? base + 1 : path;
    m->text = buf;
    m->len = n;
    m->form = strstr(m->name, ".compact") ? H248_COMPACT : H248_PRETTY;
    return 0;
}

/* Decode, encode in the message's form, decode the encoding: all must succeed. */
static int check(const bench_msg_t *m, arena_t *a, char *out)
{
    h248_message_t *msg;
    h248_error_t err;
    if (h248_decode(m->text, m->len, a, &msg, &err) != H248_OK) {
        fprintf(stderr, "%s: %u:%u: error %u: %s\n", m->name, err.line, err.col, err.code,
                err.reason);
        return -1;
    }
    int n = h248_encode(msg, m->form, out, OUT_CAP);
    if (n <= 0) {
        fprintf(stderr, "%s: encode failed (%d)\n", m->name, n);
        return -1;
    }
    arena_t b;
    arena_init(&b, 0, 0);
    int rc = h248_decode(out, (size_t)n, &b, &msg, &err);
    arena_free(&b);
    if (rc != H248_OK) {
        fprintf(stderr, "%s: own encoding does not decode: %u:%u: %s\n", m->name, err.line,
                err.col, err.reason);
        return -1;
    }
    arena_reset(a);
    return 0;
}

/* Decode msgs[0..n) in turn until secs have passed; messages per second. */
static double bench_decode(const bench_msg_t *msgs, int n, arena_t *a, double secs)
{
    unsigned long done = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 256; k++) {
            const bench_msg_t *m = &msgs[done % (unsigned)n];
            h248_message_t *msg;
            if (h248_decode(m->text, m->len, a, &msg, NULL) != H248_OK)
                abort();
            arena_reset(a);
            done++;
        }
        t = now_s();
    } while (t - t0 < secs);
    return (double)done / (t - t0);
}

/* Encode the decoded trees of msgs[0..n) in turn until secs have passed. */
static double bench_encode(const bench_msg_t *msgs, int n, arena_t *a, char *out, double secs)
{
    h248_message_t *trees[MAX_FILES];
    for (int i = 0; i < n; i++)
        if (h248_decode(msgs[i].text, msgs[i].len, a, &trees[i], NULL) != H248_OK)
            abort();
    unsigned long done = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 256; k++) {
            unsigned i = (unsigned)(done % (unsigned)n);
            if (h248_encode(trees[i], msgs[i].form, out, OUT_CAP) <= 0)
                abort();
            done++;
        }
        t = now_s();
    } while (t - t0 < secs);
    arena_reset(a);
    return (double)done / (t - t0);
}

static double best_decode(const bench_msg_t *msgs, int n, arena_t *a, double secs, int rounds)
{
    double best = 0;
    for (int r = 0; r < rounds; r++) {
        double x = bench_decode(msgs, n, a, secs);
        best = x > best ? x : best;
    }
    return best;
}

static double best_encode(const bench_msg_t *msgs, int n, arena_t *a, char *out, double secs,
                          int rounds)
{
    double best = 0;
    for (int r = 0; r < rounds; r++) {
        double x = bench_encode(msgs, n, a, out, secs);
        best = x > best ? x : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc - 3 > MAX_FILES) {
        fprintf(stderr, "usage: %s SECONDS ROUNDS FILE... (at most %d files)\n", argv[0],
                MAX_FILES);
        return 2;
    }
    double secs = atof(argv[1]);
    int rounds = atoi(argv[2]);
    if (!(secs > 0) || rounds < 1) {
        fprintf(stderr, "%s: SECONDS > 0 and ROUNDS >= 1\n", argv[0]);
        return 2;
    }
    argv++, argc--;
    int n = argc - 2;
    bench_msg_t msgs[MAX_FILES];
    static char out[OUT_CAP];
    arena_t a;
    arena_init(&a, 16384, 0);
    for (int i = 0; i < n; i++)
        if (load(argv[i + 2], &msgs[i]) < 0 || check(&msgs[i], &a, out) < 0)
            return 1;
    for (int i = 0; i < n; i++) {
        printf("bgf %s decode %.0f\n", msgs[i].name, best_decode(&msgs[i], 1, &a, secs, rounds));
        printf("bgf %s encode %.0f\n", msgs[i].name,
               best_encode(&msgs[i], 1, &a, out, secs, rounds));
        fflush(stdout);
    }
    printf("bgf mix decode %.0f\n", best_decode(msgs, n, &a, secs, rounds));
    printf("bgf mix encode %.0f\n", best_encode(msgs, n, &a, out, secs, rounds));
    arena_free(&a);
    for (int i = 0; i < n; i++)
        free(msgs[i].text);
    return 0;
}
