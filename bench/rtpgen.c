/* rtpgen.c - RTP load generator for relay benchmarks: N simulated G.711 calls.
 *
 * Each call has two sides, A and B. Side A sends RTP (12-byte header + 160-byte payload,
 * 50 packets/s) to the relay's port for A and expects the packets at side B; side B sends
 * to the relay's port for B and expects them at side A. So one call is 100 packets/s.
 * Every payload carries the call index, the direction, a per-stream sequence number and the
 * CLOCK_MONOTONIC send time in ns; the receiver measures loss, one-way latency through the
 * relay (histogram, p50/p99/p99.9) and RFC 3550 interarrival jitter.
 *
 * Input (file or stdin), one call per line:  A_LOCAL RELAY_FOR_A B_LOCAL RELAY_FOR_B
 * each an address:port ("127.0.0.1:55100", "[::1]:55100"). Several calls may name the same
 * local address: they then share one generator socket (the relay cannot tell, and the
 * generator's own cost per packet drops, which leaves more of the machine to the relay).
 *
 * One thread: it sends what is due (paced in ticks of -t microseconds, sendmmsg batches per
 * socket) and, until the next tick, waits in epoll_pwait2 for arrivals and drains them with
 * recvmmsg; one thread on one core measures latency better than two threads fighting for
 * it (the machine has 2 cores, one of them for the relay). Nothing is allocated per packet. Output: one line of key=value pairs on stdout.
 *
 * Timeline: ramp (streams start one after another over --ramp seconds), warm-up, then the
 * measured window (packets sent in it carry a flag), then a drain wait; loss and latency are
 * taken over the flagged packets only. A packet more than -l ms (default 50) late counts as
 * lost in lost_or_late_pct, as a receiver's jitter buffer would discard it: a relay that keeps
 * up on average but builds a growing queue is past its capacity even before a buffer overflows.
 *
 * -K: latency from kernel timestamps at both ends, for every packet. Each generator socket asks
 * for software TX timestamps (SO_TIMESTAMPING, SOF_TIMESTAMPING_TX_SOFTWARE): the kernel loops
 * each sent packet back on the socket's error queue with the time the packet reached the
 * device; the receiver takes the kernel receive timestamp (SO_TIMESTAMPNS). Both are
 * CLOCK_REALTIME, taken in the kernel, so neither the generator's nor the receiver's
 * scheduling is in the figure. On loopback the send timestamp is taken as the packet enters
 * lo (at the generator's sendmmsg) and the receive timestamp as lo queues it for the receiver
 * (at the relay's sendmmsg): what is measured is the relay's own delay. A packet whose TX
 * timestamp is missing (error queue overflow) gives no sample (ktx_missing counts them).
 * -R FILE: every latency sample as a binary record (u32 stream, u32 latency ns, i64 send
 * time ns), little-endian, for analyses by stream (stream = call * 2 + direction). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include "common/netaddr.h"

#define PAYLOAD 160
#define RTPHDR 12
#define PKTLEN (RTPHDR + PAYLOAD)
#define BATCH 64
#define MAGIC 0x42474652u /* "BGFR" */
#define HIST_NS 100u      /* histogram bucket width below HIST_FINE_MAX */
#define HIST_FINE 100000u /* 100 ns buckets up to 10 ms */
#define HIST_COARSE 1000u /* then 1 ms buckets up to 1 s */
#define MAXSOCK 65536
#define F_MEASURED 1u
#define F_PRECISE 2u

/* What the payload carries (after the 12-byte RTP header), host byte order. */
typedef struct probe {
    uint32_t magic;
    uint32_t stream;   /* call * 2 + dir (0: A->B, 1: B->A) */
    uint32_t seq;      /* per-stream sequence number */
    uint32_t flags;    /* F_MEASURED: sent inside the measured window; F_PRECISE: first of
                        * its sendmmsg batch, so tx_ns is exact (latency samples) */
    uint64_t tx_ns;    /* CLOCK_MONOTONIC at send */
} probe_t;

typedef struct gsock {
    netaddr_t addr;
    int fd;
} gsock_t;

typedef struct stream {
    int tx_sock, rx_sock;  /* indexes into socks */
    netaddr_t dst;         /* relay port it sends to */
    uint32_t seq;          
    uint32_t sent_meas;    
    uint32_t recv_meas, recv_other, reorder, last_seq, late;
    int64_t last_transit;
    double jitter_ns;
    int seen;
} stream_t;

static gsock_t socks[MAXSOCK];
static int nsocks;
static stream_t *streams;
static uint32_t nstreams;
static uint32_t *order; /* sending order: streams grouped by socket, so batches fill up */
static uint32_t hist[HIST_FINE + HIST_COARSE + 1]; /* owner: receiver */
static uint64_t hist_n, lat_sum_ns, lat_max_ns;
static uint64_t foreign; /* packets not from this run */
static int sink_sock = -1; /* -S: where interception copies arrive (counted only) */
static uint64_t sink_pkts;
static uint64_t late_ns = 50000000; /* -l: later than this counts as lost, as in a jitter buffer */

/* -K: kernel TX and RX timestamps of one packet meet in a per-stream ring slot. */
#define KRING 128u /* 2.56 s of one stream at 50 packets/s */
typedef struct kslot {
    uint32_t seq;
    uint32_t have; /* 1: tx known, 2: rx known, 4: sample taken */
    uint64_t tx, rx;
} kslot_t;
static int ktx;
static kslot_t *kring;
static uint64_t ktx_ts, ktx_foreign;
/* -R: raw samples */
typedef struct rawrec {
    uint32_t stream, lat_ns;
    int64_t tx_ns;
} rawrec_t;
static rawrec_t *raw;
static uint64_t raw_n, raw_cap, raw_dropped;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

/* Socket for a local address, shared when several calls name the same one. */
static int sock_for(const netaddr_t *a, int rcvbuf) {
    for (int i = 0; i < nsocks; i++)
        if (netaddr_equal(&socks[i].addr, a)) return i;
    if (nsocks == MAXSOCK) {
        fprintf(stderr, "rtpgen: too many sockets\n");
        exit(2);
    }
    int fd = socket(netaddr_family(a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof rcvbuf);
    if (bind(fd, &a->u.sa, netaddr_len(a)) < 0) {
        char b[NETADDR_STRLEN];
        fprintf(stderr, "rtpgen: bind %s: %s\n", netaddr_format(a, b, sizeof b), strerror(errno));
        exit(2);
    }
    socks[nsocks].addr = *a;
    socks[nsocks].fd = fd;
    return nsocks++;
}

static void read_calls(FILE *f, int rcvbuf) {
    char l[512], a[128], ra[128], b[128], rb[128];
    uint32_t cap = 1024;
    streams = calloc(cap, sizeof *streams);
    while (fgets(l, sizeof l, f)) {
        if (l[0] == '#' || sscanf(l, "%127s %127s %127s %127s", a, ra, b, rb) != 4) continue;
        netaddr_t na, nra, nb, nrb;
        if (netaddr_parse(&na, a, -1) || netaddr_parse(&nra, ra, -1) ||
            netaddr_parse(&nb, b, -1) || netaddr_parse(&nrb, rb, -1)) {
            fprintf(stderr, "rtpgen: bad line: %s", l);
            exit(2);
        }
        if (nstreams + 2 > cap) {
            cap *= 2;
            streams = realloc(streams, cap * sizeof *streams);
            if (!streams) die("realloc");
        }
        int sa = sock_for(&na, rcvbuf), sb = sock_for(&nb, rcvbuf);
        stream_t *s = &streams[nstreams++];
        memset(s, 0, sizeof *s);
        s->tx_sock = sa, s->rx_sock = sb, s->dst = nra;
        s = &streams[nstreams++];
        memset(s, 0, sizeof *s);
        s->tx_sock = sb, s->rx_sock = sa, s->dst = nrb;
    }
}

static void hist_add(uint64_t ns) {
    uint64_t i = ns / HIST_NS;
    if (i >= HIST_FINE) {
        i = HIST_FINE + (ns - (uint64_t)HIST_FINE * HIST_NS) / 1000000u;
        if (i > HIST_FINE + HIST_COARSE) i = HIST_FINE + HIST_COARSE;
    }
    hist[i]++;
    hist_n++;
    lat_sum_ns += ns;
    if (ns > lat_max_ns) lat_max_ns = ns;
}

static double hist_pct(double p) {
    if (!hist_n) return 0;
    uint64_t want = (uint64_t)(p * (double)hist_n), acc = 0;
    if (want >= hist_n) want = hist_n - 1;
    for (uint32_t i = 0; i <= HIST_FINE + HIST_COARSE; i++) {
        acc += hist[i];
        if (acc > want) {
            if (i < HIST_FINE) return (i + 0.5) * HIST_NS / 1000.0;
            return (HIST_FINE * (double)HIST_NS + (i - HIST_FINE + 0.5) * 1e6) / 1000.0;
        }
    }
    return 0;
}

static void raw_add(uint32_t stream, uint64_t lat, uint64_t tx) {
    if (!raw) return;
    if (raw_n == raw_cap) {
        raw_dropped++;
        return;
    }
    raw[raw_n++] = (rawrec_t){stream, lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat, (int64_t)tx};
}

/* -K: one of the two kernel timestamps of (stream, seq); a sample once both are known. */
static void kmatch(uint32_t si, uint32_t seq, int is_rx, uint64_t t, int measured) {
    kslot_t *k = &kring[(size_t)si * KRING + (seq & (KRING - 1))];
    if (k->seq != seq || !k->have) k->seq = seq, k->have = 0;
    if (is_rx) k->rx = t, k->have |= 2;
    else k->tx = t, k->have |= 1;
    if (k->have != 3) return;
    k->have |= 4;
    if (!measured) return;
    uint64_t lat = k->rx > k->tx ? k->rx - k->tx : 0;
    hist_add(lat);
    raw_add(si, lat, k->tx);
}

static void on_packet(const uint8_t *buf, ssize_t len, uint64_t rx_ns, uint64_t rx_real, int sock) {
    probe_t p;
    if (len != PKTLEN) {
        foreign++;
        return;
    }
    memcpy(&p, buf + RTPHDR, sizeof p);
    if (p.magic != MAGIC || p.stream >= nstreams || streams[p.stream].rx_sock != sock) {
        foreign++;
        return;
    }
    stream_t *s = &streams[p.stream];
    if (s->seen && (int32_t)(p.seq - s->last_seq) < 0) s->reorder++;
    else s->last_seq = p.seq;
    /* RFC 3550 jitter: transit differences against the 20 ms sending clock */
    int64_t transit = (int64_t)(rx_ns - p.tx_ns);
    if (s->seen) {
        int64_t d = transit - s->last_transit;
        if (d < 0) d = -d;
        s->jitter_ns += ((double)d - s->jitter_ns) / 16.0;
    }
    s->last_transit = transit;
    s->seen = 1;
    if (!(p.flags & F_MEASURED)) {
        s->recv_other++;
        if (ktx && rx_real) kmatch(p.stream, p.seq, 1, rx_real, 0);
        return;
    }
    s->recv_meas++;
    if (rx_ns > p.tx_ns && rx_ns - p.tx_ns > late_ns) s->late++;
    if (ktx && rx_real) kmatch(p.stream, p.seq, 1, rx_real, 1);
    if (ktx) return; /* samples come from kmatch */
    if (p.flags & F_PRECISE) {
        hist_add(rx_ns > p.tx_ns ? rx_ns - p.tx_ns : 0);
        raw_add(p.stream, rx_ns > p.tx_ns ? rx_ns - p.tx_ns : 0, p.tx_ns);
    }
}

/* Receive side: one epoll over every generator socket, drained with recvmmsg. */
static int rx_ep;
static uint8_t rx_bufs[BATCH][2048];
static struct mmsghdr rx_msgs[BATCH];
static struct iovec rx_iov[BATCH];
static uint8_t rx_cmsg[BATCH][256];

/* Kernel receive time (SO_TIMESTAMPNS, CLOCK_REALTIME) converted to CLOCK_MONOTONIC: the
 * time the packet reached our socket, whatever the generator was doing then. */
static int64_t rt_to_mono;
static uint64_t rx_time(struct msghdr *m, uint64_t fallback, uint64_t *real) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            *real = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
            return (uint64_t)((int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec - rt_to_mono);
        }
    }
    *real = 0;
    return fallback;
}

/* -K: software TX timestamps from a socket's error queue. The kernel returns the packet as it
 * went out (headers first), so our payload is its last PKTLEN bytes. */
static void errq_drain(int si) {
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            rx_msgs[i].msg_hdr.msg_control = rx_cmsg[i];
            rx_msgs[i].msg_hdr.msg_controllen = sizeof rx_cmsg[i];
        }
        int got = recvmmsg(socks[si].fd, rx_msgs, BATCH, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
        if (got <= 0) return;
        for (int i = 0; i < got; i++) {
            struct msghdr *m = &rx_msgs[i].msg_hdr;
            uint64_t t = 0;
            int snd = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
                    struct scm_timestamping st;
                    memcpy(&st, CMSG_DATA(c), sizeof st);
                    t = (uint64_t)st.ts[0].tv_sec * 1000000000ull + (uint64_t)st.ts[0].tv_nsec;
                } else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                           (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
                    struct sock_extended_err ee;
                    memcpy(&ee, CMSG_DATA(c), sizeof ee);
                    snd = ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING && ee.ee_info == SCM_TSTAMP_SND;
                }
            }
            probe_t p;
            uint32_t len = rx_msgs[i].msg_len;
            if (!t || !snd || len < PKTLEN || (m->msg_flags & MSG_TRUNC)) {
                ktx_foreign++;
                continue;
            }
            memcpy(&p, rx_bufs[i] + len - PKTLEN + RTPHDR, sizeof p);
            if (p.magic != MAGIC || p.stream >= nstreams) {
                ktx_foreign++;
                continue;
            }
            ktx_ts++;
            kmatch(p.stream, p.seq, 0, t, p.flags & F_MEASURED);
        }
        if (got < BATCH) return;
    }
}

static void clock_sync(void) {
    struct timespec r, m1, m2;
    clock_gettime(CLOCK_MONOTONIC, &m1);
    clock_gettime(CLOCK_REALTIME, &r);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    int64_t mono = ((int64_t)m1.tv_sec * 1000000000ll + m1.tv_nsec +
                    (int64_t)m2.tv_sec * 1000000000ll + m2.tv_nsec) / 2;
    rt_to_mono = (int64_t)r.tv_sec * 1000000000ll + r.tv_nsec - mono;
}

static void rx_setup(void) {
    rx_ep = epoll_create1(EPOLL_CLOEXEC);
    if (rx_ep < 0) die("epoll_create1");
    for (int i = 0; i < nsocks; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(rx_ep, EPOLL_CTL_ADD, socks[i].fd, &ev) < 0) die("epoll_ctl");
    }
    for (int i = 0; i < BATCH; i++) {
        rx_iov[i].iov_base = rx_bufs[i];
        rx_iov[i].iov_len = sizeof rx_bufs[i];
        rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
        rx_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int one = 1;
    for (int i = 0; i < nsocks; i++) setsockopt(socks[i].fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (ktx) {
        int fl = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
        for (int i = 0; i < nsocks; i++)
            if (i != sink_sock && setsockopt(socks[i].fd, SOL_SOCKET, SO_TIMESTAMPING, &fl, sizeof fl) < 0)
                die("SO_TIMESTAMPING");
        kring = calloc((size_t)nstreams * KRING, sizeof *kring);
        if (!kring) die("calloc");
    }
    clock_sync();
}

/* Wait at most until `until` (CLOCK_MONOTONIC ns) for packets, and take what is there. */
static void rx_poll(uint64_t until) {
    struct epoll_event evs[256];
    uint64_t now = now_ns();
    uint64_t wait = until > now ? until - now : 0;
    struct timespec to = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
    int n = epoll_pwait2(rx_ep, evs, 256, &to, NULL);
    for (int e = 0; e < n; e++) {
        int si = (int)evs[e].data.u32;
        if (ktx && (evs[e].events & EPOLLERR)) errq_drain(si);
        for (;;) {
            for (int i = 0; i < BATCH; i++) {
                rx_msgs[i].msg_hdr.msg_control = rx_cmsg[i];
                rx_msgs[i].msg_hdr.msg_controllen = sizeof rx_cmsg[i];
            }
            int got = recvmmsg(socks[si].fd, rx_msgs, BATCH, MSG_DONTWAIT, NULL);
            if (got <= 0) break;
            if (si == sink_sock) {
                sink_pkts += (uint64_t)got;
                if (got < BATCH) break;
                continue;
            }
            uint64_t t = now_ns();
            for (int i = 0; i < got; i++) {
                uint64_t real;
                uint64_t mono = rx_time(&rx_msgs[i].msg_hdr, t, &real);
                on_packet(rx_bufs[i], rx_msgs[i].msg_len, mono, real, si);
            }
            if (got < BATCH) break;
        }
    }
}

/* One batch of packets for one socket. */
typedef struct txbatch {
    int sock;
    int n;
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    uint8_t bufs[BATCH][PKTLEN];
} txbatch_t;

static uint64_t tx_errors, tx_sent;

static void tx_flush(txbatch_t *b) {
    if (!b->n) return;
    uint64_t t = now_ns();
    for (int i = 0; i < b->n; i++) memcpy(b->bufs[i] + RTPHDR + offsetof(probe_t, tx_ns), &t, 8);
    b->bufs[0][RTPHDR + offsetof(probe_t, flags)] |= F_PRECISE; /* little-endian low byte */
    int off = 0;
    while (off < b->n) {
        int r = sendmmsg(socks[b->sock].fd, b->msgs + off, (unsigned)(b->n - off), 0);
        if (r <= 0) {
            tx_errors += (uint64_t)(b->n - off); /* ENOBUFS/EAGAIN: counts as lost */
            break;
        }
        off += r;
        tx_sent += (uint64_t)r;
    }
    b->n = 0;
}

static void tx_add(txbatch_t *b, uint32_t si, int measured) {
    stream_t *s = &streams[si];
    if (b->n && b->sock != s->tx_sock) tx_flush(b);
    b->sock = s->tx_sock;
    uint8_t *p = b->bufs[b->n];
    uint32_t seq = s->seq++;
    p[0] = 0x80, p[1] = 0; /* V=2, PT=0 (PCMU) */
    p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
    uint32_t ts = seq * 160, ssrc = 0x10000000u + si;
    for (int i = 0; i < 4; i++) p[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
    for (int i = 0; i < 4; i++) p[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    probe_t pr = {.magic = MAGIC, .stream = si, .seq = seq, .flags = measured ? F_MEASURED : 0};
    memcpy(p + RTPHDR, &pr, sizeof pr);
    b->msgs[b->n].msg_hdr.msg_name = &s->dst.u.sa;
    b->msgs[b->n].msg_hdr.msg_namelen = netaddr_len(&s->dst);
    if (measured) s->sent_meas++;
    if (++b->n == BATCH) tx_flush(b);
}

static void usage(void) {
    fprintf(stderr,
            "usage: rtpgen [-f CALLS] [-d MEASURE_S] [-w WARMUP_S] [-r RAMP_S] [-p PPS]\n"
            "              [-t TICK_US] [-D DRAIN_MS] [-b RCVBUF] [-S SINK_ADDR:PORT] [-l LATE_MS]\n"
            "              [-H HIST_FILE] [-K] [-R RAW_FILE]\n"
            "  -K  latency from kernel TX and RX timestamps, every packet a sample\n"
            "  -R  write every latency sample (u32 stream, u32 ns, i64 send ns) to RAW_FILE\n"
            "  CALLS lines: A_LOCAL RELAY_FOR_A B_LOCAL RELAY_FOR_B (default stdin)\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *file = NULL, *sink = NULL, *hist_file = NULL, *raw_file = NULL;
    double measure_s = 3, warmup_s = 1, ramp_s = 1, pps = 50;
    int tick_us = 200, drain_ms = 300, rcvbuf = 8 << 20, c;
    while ((c = getopt(argc, argv, "f:d:w:r:p:t:D:b:S:l:H:KR:h")) != -1) {
        switch (c) {
        case 'f': file = optarg; break;
        case 'd': measure_s = atof(optarg); break;
        case 'w': warmup_s = atof(optarg); break;
        case 'r': ramp_s = atof(optarg); break;
        case 'p': pps = atof(optarg); break;
        case 't': tick_us = atoi(optarg); break;
        case 'D': drain_ms = atoi(optarg); break;
        case 'b': rcvbuf = atoi(optarg); break;
        case 'S': sink = optarg; break;
        case 'l': late_ns = (uint64_t)(atof(optarg) * 1e6); break;
        case 'H': hist_file = optarg; break; /* latency histogram: "upper_bound_ns count" lines */
        case 'K': ktx = 1; break;
        case 'R': raw_file = optarg; break;
        default: usage();
        }
    }
    struct rlimit rl = {1 << 20, 1 << 20};
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    FILE *f = file ? fopen(file, "r") : stdin;
    if (!f) die(file);
    read_calls(f, rcvbuf);
    if (!nstreams) {
        fprintf(stderr, "rtpgen: no calls\n");
        return 2;
    }
    if (sink) {
        netaddr_t sa;
        if (netaddr_parse(&sa, sink, -1)) usage();
        sink_sock = sock_for(&sa, rcvbuf);
    }
    static txbatch_t tb;
    for (int i = 0; i < BATCH; i++) {
        tb.iov[i].iov_base = tb.bufs[i];
        tb.iov[i].iov_len = PKTLEN;
        tb.msgs[i].msg_hdr.msg_iov = &tb.iov[i];
        tb.msgs[i].msg_hdr.msg_iovlen = 1;
        memset(tb.bufs[i] + RTPHDR + sizeof(probe_t), 0xff, PAYLOAD - sizeof(probe_t));
    }
    rx_setup();
    if (raw_file) { /* every measured packet may give a sample: room for all of them */
        raw_cap = (uint64_t)(pps * nstreams * (measure_s + 1.0)) + 1024;
        raw = malloc(raw_cap * sizeof *raw);
        if (!raw) die("malloc");
    }
    order = malloc(nstreams * sizeof *order);
    uint32_t k = 0;
    for (int so = 0; so < nsocks; so++)
        for (uint32_t i = 0; i < nstreams; i++)
            if (streams[i].tx_sock == so) order[k++] = i;

    /* Slot g (0, 1, 2, ...) belongs to stream g % nstreams and is due at t0 + g * gap:
     * every stream sends once per period, evenly spread. Streams start during the ramp. */
    double period_ns = 1e9 / pps, gap_ns = period_ns / nstreams;
    uint64_t t0 = now_ns() + 10000000ull;
    uint64_t ramp_ns = (uint64_t)(ramp_s * 1e9), t_meas = t0 + ramp_ns + (uint64_t)(warmup_s * 1e9);
    uint64_t t_end = t_meas + (uint64_t)(measure_s * 1e9);
    uint64_t g = 0, late_max = 0, late_sum = 0, ticks = 0;
    for (;;) {
        uint64_t now = now_ns();
        if (now >= t_end) break;
        uint64_t due = t0 + (uint64_t)((double)g * gap_ns);
        if (now > due) {
            uint64_t late = now - due;
            late_sum += late, ticks++;
            if (late > late_max) late_max = late;
        }
        while ((due = t0 + (uint64_t)((double)g * gap_ns)) <= now && due < t_end) {
            uint32_t slot = (uint32_t)(g % nstreams), si = order[slot];
            uint64_t start = t0 + ramp_ns * slot / nstreams;
            if (due >= start) tx_add(&tb, si, due >= t_meas);
            g++;
        }
        tx_flush(&tb);
        /* take arrivals until the next slot is due (at least one tick away) */
        uint64_t wake = now + (uint64_t)tick_us * 1000u;
        if (due > wake) wake = due;
        do rx_poll(wake);
        while (now_ns() < wake);
    }
    uint64_t drain_end = now_ns() + (uint64_t)drain_ms * 1000000u;
    while (now_ns() < drain_end) rx_poll(drain_end);

    uint64_t sent = 0, recv = 0, reorder = 0, dead = 0, recv_all = 0, late = 0;
    double jit_sum = 0, jit_max = 0;
    for (uint32_t i = 0; i < nstreams; i++) {
        stream_t *s = &streams[i];
        sent += s->sent_meas;
        recv_all += s->recv_meas + s->recv_other;
        recv += s->recv_meas < s->sent_meas ? s->recv_meas : s->sent_meas;
        reorder += s->reorder;
        late += s->late;
        if (s->sent_meas && !s->recv_meas) dead++;
        jit_sum += s->jitter_ns;
        if (s->jitter_ns > jit_max) jit_max = s->jitter_ns;
    }
    double loss = sent ? 100.0 * (double)(sent - recv) / (double)sent : 100.0;
    double late_pct = sent ? 100.0 * (double)late / (double)sent : 0;
    printf("calls=%u offered_pps=%.0f sent=%llu recv=%llu loss_pct=%.4f p50_us=%.1f p99_us=%.1f "
           "p999_us=%.1f mean_us=%.1f max_us=%.1f jitter_mean_us=%.2f jitter_max_us=%.2f "
           "reorder=%llu dead_streams=%llu tx_errors=%llu tx_late_mean_us=%.1f tx_late_max_us=%.1f "
           "foreign=%llu lat_samples=%llu recv_all=%llu sink_pkts=%llu late_pct=%.4f "
           "lost_or_late_pct=%.4f",
           nstreams / 2, pps * nstreams, (unsigned long long)sent, (unsigned long long)recv, loss,
           hist_pct(0.5), hist_pct(0.99), hist_pct(0.999),
           hist_n ? (double)lat_sum_ns / (double)hist_n / 1000.0 : 0, (double)lat_max_ns / 1000.0,
           jit_sum / nstreams / 1000.0, jit_max / 1000.0, (unsigned long long)reorder,
           (unsigned long long)dead, (unsigned long long)tx_errors,
           ticks ? (double)late_sum / (double)ticks / 1000.0 : 0, (double)late_max / 1000.0,
           (unsigned long long)foreign, (unsigned long long)hist_n, (unsigned long long)recv_all,
           (unsigned long long)sink_pkts, late_pct, loss + late_pct);
    if (ktx) {
        uint64_t rm = 0;
        for (uint32_t i = 0; i < nstreams; i++) rm += streams[i].recv_meas;
        printf(" ktx_ts=%llu ktx_foreign=%llu ktx_missing=%llu", (unsigned long long)ktx_ts,
               (unsigned long long)ktx_foreign, (unsigned long long)(rm > hist_n ? rm - hist_n : 0));
    }
    if (raw) printf(" raw_samples=%llu raw_dropped=%llu", (unsigned long long)raw_n,
                    (unsigned long long)raw_dropped);
    printf("\n");
    (void)tx_sent;
    if (raw) {
        FILE *rf = fopen(raw_file, "wb");
        if (!rf) die(raw_file);
        if (raw_n && fwrite(raw, sizeof *raw, raw_n, rf) != raw_n) die(raw_file);
        fclose(rf);
    }
    if (hist_file) { /* non-empty buckets, so that several runs can be pooled */
        FILE *hf = fopen(hist_file, "w");
        if (!hf) die(hist_file);
        for (uint32_t i = 0; i <= HIST_FINE + HIST_COARSE; i++) {
            if (!hist[i]) continue;
            uint64_t hi = i < HIST_FINE ? (uint64_t)(i + 1) * HIST_NS
                                        : (uint64_t)HIST_FINE * HIST_NS + (uint64_t)(i - HIST_FINE + 1) * 1000000u;
            fprintf(hf, "%llu %u\n", (unsigned long long)hi, hist[i]);
        }
        fclose(hf);
    }
    return 0;
}
