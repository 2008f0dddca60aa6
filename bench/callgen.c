/* callgen.c - H.248 call-rate generator: plays the MGC towards bgfd over UDP and sets calls up
 * and releases them as fast as bgfd answers.
 *
 * Per call, three transactions, one after the other: Add ip/$ into Context $ (Local with $,
 * Remote with an address), Add ip/$ into the context bgfd chose, then Subtract * on that
 * context. -w calls are in flight at once (a closed loop: a call's next transaction leaves
 * when the previous one is answered). Transaction ids are -T BASE + n with (n - 1) % W the
 * slot; successive runs against one bgfd need distinct bases, since bgfd answers a repeated
 * id from its stored replies (at-most-once, as Annex D.1 requires).
 * Measures completed calls per second and per-transaction latency (p50, p99; histogram of
 * 1 us buckets, nothing allocated per transaction). Unanswered requests are retransmitted
 * after -R ms with the same id (bgfd must answer from its stored replies).
 *
 * Before the run it waits for bgfd's ServiceChange registration on the MGC address and
 * accepts it (or, with -n, skips that when bgfd is already registered elsewhere).
 * One thread. Output: one key=value line on stdout. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "common/netaddr.h"

#define HIST_US 100000 /* 1 us buckets up to 100 ms, then one overflow bucket */
#define MAXW 4096

typedef enum { ST_ADD1 = 0, ST_ADD2, ST_SUB } step_t;

typedef struct call {
    step_t step;
    uint32_t tid;     /* transaction in flight */
    uint32_t ctx;     /* context bgfd chose */
    uint64_t sent_ns; /* first send of the transaction in flight */
    uint64_t last_tx_ns;
    int len;
    char msg[640];
} call_t;

static call_t calls[MAXW];
static uint32_t hist[HIST_US + 1];
static uint64_t nlat, lat_sum;
static int fd;
static netaddr_t bgfd_addr;
static char mid[64];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* After `key` (case-insensitive, at a word start) skip spaces, '=', spaces; parse a number. */
static int find_num(const char *s, size_t len, const char *key, uint32_t *out) {
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl < len; i++) {
        if ((i && isalnum((unsigned char)s[i - 1])) || strncasecmp(s + i, key, kl)) continue;
        size_t j = i + kl;
        while (j < len && s[j] == ' ') j++;
        if (j >= len || s[j] != '=') continue;
        j++;
        while (j < len && (s[j] == ' ')) j++;
        if (j >= len || !isdigit((unsigned char)s[j])) continue;
        uint32_t v = 0;
        while (j < len && isdigit((unsigned char)s[j])) v = v * 10 + (uint32_t)(s[j++] - '0');
        *out = v;
        return 0;
    }
    return -1;
}

static void hist_add(uint64_t ns) {
    uint64_t us = ns / 1000;
    hist[us < HIST_US ? us : HIST_US]++;
    nlat++;
    lat_sum += ns;
}

static double pct(double p) {
    if (!nlat) return 0;
    uint64_t want = (uint64_t)(p * (double)nlat), acc = 0;
    if (want >= nlat) want = nlat - 1;
    for (uint32_t i = 0; i <= HIST_US; i++)
        if ((acc += hist[i]) > want) return i + 0.5;
    return HIST_US;
}

static uint32_t tid_base; /* -T: ids of an earlier run are still in bgfd's reply store */

static void send_call(call_t *c, uint32_t slot, uint32_t round, uint32_t w) {
    c->tid = tid_base + round * w + slot + 1;
    if (c->step == ST_ADD1)
        c->len = snprintf(c->msg, sizeof c->msg,
                          "MEGACO/3 %s\nTransaction=%u{Context=${Add=${Media{Stream=1{"
                          "LocalControl{Mode=SendReceive},Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},"
                          "Remote{\nv=0\nc=IN IP4 127.0.1.1\nm=audio %u RTP/AVP 0\n}}}}}}",
                          mid, c->tid, 55100 + 2 * (slot % 400));
    else if (c->step == ST_ADD2)
        c->len = snprintf(c->msg, sizeof c->msg,
                          "MEGACO/3 %s\nTransaction=%u{Context=%u{Add=${Media{Stream=1{"
                          "LocalControl{Mode=SendReceive},Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},"
                          "Remote{\nv=0\nc=IN IP4 127.0.1.1\nm=audio %u RTP/AVP 0\n}}}}}}",
                          mid, c->tid, c->ctx, 56000 + 2 * (slot % 400));
    else
        c->len = snprintf(c->msg, sizeof c->msg, "MEGACO/3 %s\nTransaction=%u{Context=%u{Subtract=*{}}}",
                          mid, c->tid, c->ctx);
    c->sent_ns = c->last_tx_ns = now_ns();
    sendto(fd, c->msg, (size_t)c->len, 0, &bgfd_addr.u.sa, netaddr_len(&bgfd_addr));
}

/* Accept bgfd's registration: answer the first ServiceChange transaction we receive. */
static int await_register(int timeout_ms) {
    char buf[4096];
    uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (now_ns() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        netaddr_t from;
        socklen_t fl = sizeof from.u;
        ssize_t n = recvfrom(fd, buf, sizeof buf - 1, 0, &from.u.sa, &fl);
        if (n <= 0) continue;
        buf[n] = 0;
        uint32_t tid;
        if (find_num(buf, (size_t)n, "Transaction", &tid) && find_num(buf, (size_t)n, "T", &tid))
            continue;
        char r[256];
        int l = snprintf(r, sizeof r, "MEGACO/3 %s\nReply=%u{Context=-{ServiceChange=ROOT{}}}", mid, tid);
        sendto(fd, r, (size_t)l, 0, &from.u.sa, fl);
        if (strcasestr(buf, "ServiceChange") || strstr(buf, "SC=")) return 0;
    }
    return -1;
}

int main(int argc, char **argv) {
    const char *bgfd = "127.0.0.1:55000", *me = "127.0.0.1:55001";
    double dur_s = 3, warm_s = 0.5;
    uint32_t w = 64;
    int retrans_ms = 500, noreg = 0, c;
    while ((c = getopt(argc, argv, "b:m:d:W:w:R:nT:")) != -1) {
        switch (c) {
        case 'b': bgfd = optarg; break;
        case 'm': me = optarg; break;
        case 'd': dur_s = atof(optarg); break;
        case 'W': warm_s = atof(optarg); break;
        case 'w': w = (uint32_t)atoi(optarg); break;
        case 'R': retrans_ms = atoi(optarg); break;
        case 'n': noreg = 1; break;
        case 'T': tid_base = (uint32_t)strtoul(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: callgen [-b BGFD] [-m MGC_ADDR] [-d SECONDS] [-W WARMUP_S] "
                            "[-w IN_FLIGHT] [-R RETRANS_MS] [-n] [-T TID_BASE]\n");
            return 2;
        }
    }
    if (w < 1 || w > MAXW) w = 64;
    netaddr_t ma;
    if (netaddr_parse(&bgfd_addr, bgfd, -1) || netaddr_parse(&ma, me, -1)) {
        fprintf(stderr, "callgen: bad address\n");
        return 2;
    }
    snprintf(mid, sizeof mid, "[127.0.0.1]:%u", netaddr_port(&ma));
    fd = socket(netaddr_family(&ma), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int buf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    if (fd < 0 || bind(fd, &ma.u.sa, netaddr_len(&ma)) < 0) {
        perror("callgen: bind");
        return 2;
    }
    if (!noreg && await_register(5000) < 0) {
        fprintf(stderr, "callgen: bgfd did not register\n");
        return 1;
    }
    uint32_t round[MAXW] = {0};
    for (uint32_t i = 0; i < w; i++) send_call(&calls[i], i, round[i]++, w);
    uint64_t t0 = now_ns(), t_meas = t0 + (uint64_t)(warm_s * 1e9), t_end = t_meas + (uint64_t)(dur_s * 1e9);
    uint64_t done_calls = 0, errors = 0, retrans = 0, unknown = 0, txns = 0, dup_ctx = 0;
    char rb[8192];
    struct mmsghdr mm[64];
    struct iovec iov[64];
    static char bufs[64][2048];
    for (int i = 0; i < 64; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof bufs[i] - 1;
        memset(&mm[i], 0, sizeof mm[i]);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    (void)rb;
    int stopping = 0;
    uint32_t inflight = w;
    while (inflight) {
        uint64_t now = now_ns();
        if (!stopping && now >= t_end) stopping = 1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) > 0) {
            int got = recvmmsg(fd, mm, 64, MSG_DONTWAIT, NULL);
            uint64_t t = now_ns();
            for (int i = 0; i < got; i++) {
                char *s = bufs[i];
                size_t n = mm[i].msg_len;
                s[n] = 0;
                uint32_t tid, ctx;
                if (find_num(s, n, "Reply", &tid) && find_num(s, n, "P", &tid)) {
                    /* a request from bgfd (Notify...): answer it */
                    if (!find_num(s, n, "Transaction", &tid) || !find_num(s, n, "T", &tid)) {
                        int l = snprintf(rb, sizeof rb, "MEGACO/3 %s\nReply=%u{Context=-{}}", mid, tid);
                        sendto(fd, rb, (size_t)l, 0, &bgfd_addr.u.sa, netaddr_len(&bgfd_addr));
                    }
                    continue;
                }
                uint32_t slot = (tid - tid_base - 1) % w;
                call_t *cl = &calls[slot];
                if (tid != cl->tid) { /* a late duplicate answer */
                    unknown++;
                    continue;
                }
                txns++;
                if (t >= t_meas && t < t_end) hist_add(t - cl->sent_ns);
                int err = strstr(s, "Error") || strstr(s, "ER=");
                if (err && !errors++) fprintf(stderr, "callgen: first error reply: %.300s\n", s);
                if (cl->step == ST_ADD1) {
                    if (err || (find_num(s, n, "Context", &ctx) && find_num(s, n, "C", &ctx))) {
                        cl->step = ST_ADD1; /* try again with a new call */
                    } else {
                        /* a context id bgfd gave out while another call still holds it */
                        for (uint32_t k = 0; k < w; k++)
                            if (k != slot && calls[k].tid && calls[k].step != ST_ADD1 &&
                                calls[k].ctx == ctx)
                                dup_ctx++;
                        cl->ctx = ctx;
                        cl->step = ST_ADD2;
                    }
                } else if (cl->step == ST_ADD2) {
                    cl->step = ST_SUB; /* release even when the second Add failed */
                } else {
                    if (t >= t_meas && t < t_end && !err) done_calls++;
                    cl->step = ST_ADD1;
                    if (stopping) {
                        cl->tid = 0;
                        inflight--;
                        continue;
                    }
                }
                send_call(cl, slot, round[slot]++, w);
            }
        }
        now = now_ns();
        if (now > t_end + 5000000000ull) break; /* bgfd stopped answering */
        for (uint32_t i = 0; i < w; i++) {
            call_t *cl = &calls[i];
            if (cl->tid && now - cl->last_tx_ns > (uint64_t)retrans_ms * 1000000u) {
                sendto(fd, cl->msg, (size_t)cl->len, 0, &bgfd_addr.u.sa, netaddr_len(&bgfd_addr));
                cl->last_tx_ns = now;
                retrans++;
            }
        }
    }
    printf("calls_per_s=%.0f calls=%llu txns=%llu errors=%llu retrans=%llu late_dup=%llu "
           "in_flight=%u p50_us=%.1f p99_us=%.1f p999_us=%.1f mean_us=%.1f unfinished=%u dup_ctx=%llu\n",
           (double)done_calls / dur_s, (unsigned long long)done_calls, (unsigned long long)txns,
           (unsigned long long)errors, (unsigned long long)retrans, (unsigned long long)unknown, w,
           pct(0.5), pct(0.99), pct(0.999), nlat ? (double)lat_sum / (double)nlat / 1000.0 : 0,
           inflight, (unsigned long long)dup_ctx);
    return inflight ? 1 : 0;
}
