/* licopy.c - what interception costs a worker per tapped packet: li_tap_copy (the copies
 * built into the sender's queue) timed in a loop, against the memcpy of the same bytes, for
 * 1 and 7 targets. The send thread runs meanwhile and empties the queue towards a port
 * nobody listens on (127.0.0.1:DF_PORT), as it would towards a delivery function.
 *
 *   build/bench/licopy [ROUNDS]      prints one line per target count, ns per packet
 *
 * The queue is filled and emptied once before timing (it is populated at start, but its
 * cache lines are cold). Each timed batch of 256 packets is followed by a wait until the
 * queue is empty, outside the timing, so that a full queue never drops copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "li/sender.h"

#define BATCH 256
#define DF_PORT 55099

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    if (rounds < 1) rounds = 1;
    li_conf_t conf = {.enabled = true, .format = LI_FMT_ETSI};
    netaddr_parse(&conf.df_dst, "127.0.0.1", DF_PORT);
    netaddr_parse(&conf.df_src, "127.0.0.1", 0);
    strcpy(conf.operator_id, "BENCH");
    char err[256];
    li_sender_t *s = li_sender_new(&conf, err, sizeof err);
    if (!s) {
        fprintf(stderr, "licopy: %s\n", err);
        return 2;
    }
    netaddr_t a, b, c, d;
    netaddr_parse(&a, "192.0.2.10:30000", -1);
    netaddr_parse(&b, "10.0.0.1:20000", -1);
    netaddr_parse(&c, "10.0.0.2:20002", -1);
    netaddr_parse(&d, "198.51.100.7:40000", -1);
    uint8_t rtp[172] = {0x80, 0x00}; /* G.711, 20 ms */
    li_packet_t p = {.payload = rtp, .len = sizeof rtp, .in_src = &a, .in_dst = &b,
                     .out_src = &c, .out_dst = &d, .dscp = 46};
    clock_gettime(CLOCK_REALTIME, &p.ts);
    static uint8_t sink[LI_MAX_TARGETS * 512], src[512];
    double *ns = malloc(sizeof(double) * (size_t)rounds);
    printf("%-8s %-14s %-14s %-16s %s\n", "targets", "copy ns/pkt", "(p10-p90)", "memcpy ns/pkt",
           "queue_full");
    for (int nt = 1; nt <= LI_MAX_TARGETS; nt += LI_MAX_TARGETS - 1) {
        li_tap_t tap = {0};
        li_tap_conf_t tc = {.active = true, .cid = 12345678, .ntargets = (uint8_t)nt,
                            .targets = {1, 2, 3, 4, 5, 6, 7}};
        li_tap_update(&tap, &tc);
        for (int k = 0; k < 8; k++) { /* a lap of the ring, in batches it has room for */
            for (int i = 0; i < BATCH; i++) li_tap_copy(s, &tap, LI_DIR_FROM_TARGET, &p);
            li_sender_sync(s, 5000);
        }
        for (int r = 0; r < rounds; r++) {
            double t0 = now_ns();
            for (int i = 0; i < BATCH; i++) li_tap_copy(s, &tap, LI_DIR_FROM_TARGET, &p);
            ns[r] = (now_ns() - t0) / BATCH;
            li_sender_sync(s, 5000);
        }
        qsort(ns, (size_t)rounds, sizeof *ns, cmp);
        /* the same bytes copied plainly: the X3 header and IP/UDP headers each copy carries */
        size_t each = 81 + 28 + sizeof rtp;
        double t0 = now_ns();
        for (int i = 0; i < BATCH * 16; i++) {
            for (int k = 0; k < nt; k++) memcpy(sink + (size_t)k * 512, src, each);
            __asm__ volatile("" ::"r"(sink) : "memory");
        }
        double mc = (now_ns() - t0) / (BATCH * 16);
        li_sender_stats_t st;
        li_sender_stats(s, &st);
        printf("%-8d %-14.0f %5.0f-%-8.0f %-16.0f %llu\n", nt, ns[rounds / 2], ns[rounds / 10],
               ns[rounds * 9 / 10], mc, (unsigned long long)st.queue_full);
    }
    free(ns);
    li_sender_free(s);
    return 0;
}
