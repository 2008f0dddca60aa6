/* bgf-df - the reference delivery function: receives X3 copies over UDP, checks every PDU
 * (malformed ones are counted and reported, never trusted), writes one pcap per target id with
 * the mirrored IP packets at their original timestamps, follows sequence numbers per XID and
 * correlation ID to find loss and reordering, and prints a summary per target on exit.
 *   bgf-df --listen ADDR:PORT --pcap-dir DIR [--format etsi|jmirror] [--count N]
 *          [--duration S] [--summary-json FILE] [--quiet]
 * Prints "bgf-df: listening on ADDR:PORT" once ready (port 0 picks one). Stops on SIGINT or
 * SIGTERM, after N datagrams, or after S seconds. Single-threaded. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/ip.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "li/li.h"
#include "li/x3.h"

#define WIN 4096            /* sequence numbers remembered behind the newest, per stream */
#define MAX_TARGETS 4096
#define MAX_CIDS 16         /* correlation ids remembered per target */
#define MAX_REASONS 8

/* One sequence-number stream: XID (target) + correlation ID. */
typedef struct stream {
    uint64_t cid;
    uint32_t next;          /* newest sequence number seen + 1 */
    uint64_t lost, reordered, duplicates, restarts;
    uint8_t seen[WIN / 8];  /* ring: bit seq % WIN set when seq arrived */
} stream_t;

typedef struct target {
    uint32_t id;
    char pcap_path[512];
    pcap_dumper_t *dump;
    uint64_t packets, bytes, from, to, other_dir, rtp, rtcp, dscp_mask;
    stream_t streams[MAX_CIDS];
    unsigned nstreams;
} target_t;

typedef struct df {
    li_format_t format;
    const char *dir;
    bool quiet;
    pcap_t *dead;
    target_t *targets[MAX_TARGETS];
    unsigned ntargets;
    uint64_t datagrams, malformed, keepalives, other_pdus;
    char reasons[MAX_REASONS][160];
    unsigned nreasons;
} df_t;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int malformed(df_t *d, const struct sockaddr_in *from, size_t n, const char *why)
{
    d->malformed++;
    char line[160];
    snprintf(line, sizeof line, "%u.%u.%u.%u:%u (%zu bytes): %s",
             ((const uint8_t *)&from->sin_addr)[0], ((const uint8_t *)&from->sin_addr)[1],
             ((const uint8_t *)&from->sin_addr)[2], ((const uint8_t *)&from->sin_addr)[3],
             ntohs(from->sin_port), n, why);
    if (d->nreasons < MAX_REASONS) snprintf(d->reasons[d->nreasons++], sizeof d->reasons[0], "%s", line);
    if (d->malformed <= 20 && !d->quiet) fprintf(stderr, "bgf-df: malformed PDU from %s\n", line);
    return -1;
}

static target_t *get_target(df_t *d, uint32_t id)
{
    for (unsigned i = 0; i < d->ntargets; i++)
        if (d->targets[i]->id == id) return d->targets[i];
    if (d->ntargets == MAX_TARGETS) return NULL;
    target_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->id = id;
    snprintf(t->pcap_path, sizeof t->pcap_path, "%s/target-%08" PRIx32 ".pcap", d->dir, id);
    t->dump = pcap_dump_open(d->dead, t->pcap_path);
    if (!t->dump) {
        fprintf(stderr, "bgf-df: %s: %s\n", t->pcap_path, pcap_geterr(d->dead));
        free(t);
        return NULL;
    }
    return d->targets[d->ntargets++] = t;
}

static bool seen_bit(stream_t *s, uint32_t seq)
{
    return s->seen[(seq % WIN) / 8] >> (seq % 8) & 1;
}

static void set_bit(stream_t *s, uint32_t seq, bool on)
{
    uint8_t *b = &s->seen[(seq % WIN) / 8], m = (uint8_t)(1u << (seq % 8));
    *b = on ? (uint8_t)(*b | m) : (uint8_t)(*b & ~m);
}

/* Account one sequence number: gaps count as lost until the late packet arrives. */
static void track_seq(stream_t *s, uint32_t seq)
{
    int32_t d = (int32_t)(seq - s->next);
    if (d >= 0) {
        s->lost += (uint32_t)d;
        if (d >= WIN) memset(s->seen, 0, sizeof s->seen);
        else
            for (uint32_t q = s->next; q != seq; q++) set_bit(s, q, false);
        set_bit(s, seq, true);
        s->next = seq + 1;
        return;
    }
    bool beyond = -(int64_t)d > WIN;
    if (seq == 0 && (beyond || seen_bit(s, 0))) { /* the tap started this stream again */
        s->restarts++;
        memset(s->seen, 0, sizeof s->seen);
        set_bit(s, 0, true);
        s->next = 1;
        return;
    }
    if (!beyond && seen_bit(s, seq)) {
        s->duplicates++;
        return;
    }
    if (!beyond) set_bit(s, seq, true);
    s->reordered++;
    if (s->lost) s->lost--;
}

static stream_t *get_stream(target_t *t, uint64_t cid)
{
    for (unsigned i = 0; i < t->nstreams; i++)
        if (t->streams[i].cid == cid) return &t->streams[i];
    if (t->nstreams == MAX_CIDS) return NULL;
    stream_t *s = &t->streams[t->nstreams++];
    memset(s, 0, sizeof *s);
    s->cid = cid;
    return s;
}

/* A checked mirrored packet for target t: count it and write it to the target's pcap. */
static void record(target_t *t, const x3_inner_t *in, const uint8_t *pkt, size_t len,
                   uint16_t dir, uint32_t sec, uint32_t nsec, int outer_tos)
{
    struct pcap_pkthdr h = {.caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};
    h.ts.tv_sec = sec, h.ts.tv_usec = nsec; /* nanosecond pcap: tv_usec holds nanoseconds */
    pcap_dump((u_char *)t->dump, &h, pkt);
    t->packets++, t->bytes += len;
    if (dir == X3_DIR_FROM_TARGET) t->from++;
    else if (dir == X3_DIR_TO_TARGET) t->to++;
    else t->other_dir++;
    const uint8_t *u = in->udp_payload;
    if (in->udp_payload_len >= 2 && u[0] >> 6 == 2) {
        if (u[1] >= 200 && u[1] <= 204) t->rtcp++;
        else t->rtp++;
    }
    if (outer_tos >= 0) t->dscp_mask |= 1ull << (outer_tos >> 2);
}

static int handle_etsi(df_t *d, const uint8_t *buf, size_t n, const struct sockaddr_in *from,
                        int tos)
{
    char err[160];
    x3_pdu_t p;
    x3_inner_t in;
    int r = x3_etsi_decode(buf, n, &p, err, sizeof err);
    if (r < 0) return malformed(d, from, n, err);
    if ((size_t)r != n) return malformed(d, from, n, "bytes after the PDU");
    if (p.type == X3_PDU_KEEPALIVE || p.type == X3_PDU_KEEPALIVE_ACK) {
        d->keepalives++;
        return 0;
    }
    if (p.type != X3_PDU_X3) {
        d->other_pdus++;
        return 0;
    }
    int64_t tid = x3_xid_target(p.xid);
    char mti[9];
    if (tid < 0) return malformed(d, from, n, "XID does not follow 00000000-0000-8000-8000-0000TTTTTTTT");
    snprintf(mti, sizeof mti, "%08" PRIx32, (uint32_t)tid);
    if (p.mti && (p.mti_len != 8 || strncasecmp((const char *)p.mti, mti, 8) != 0))
        return malformed(d, from, n, "matched target identifier differs from the XID");
    if (!p.has_seq || !p.has_ts) return malformed(d, from, n, "no sequence number or timestamp");
    if (p.format != X3_FMT_IPV4 && p.format != X3_FMT_IPV6)
        return malformed(d, from, n, "payload format is not an IP packet (5 or 6)");
    if (x3_inner_check(p.payload, p.payload_len, &in, err, sizeof err) != 0)
        return malformed(d, from, n, err);
    if ((in.family == AF_INET) != (p.format == X3_FMT_IPV4))
        return malformed(d, from, n, "payload format and IP version disagree");
    target_t *t = get_target(d, (uint32_t)tid);
    if (!t) return malformed(d, from, n, "too many targets");
    stream_t *s = get_stream(t, p.cid);
    if (s) track_seq(s, p.seq);
    record(t, &in, p.payload, p.payload_len, p.direction, p.ts_sec, p.ts_nsec, tos);
    return 0;
}

static int handle_jmirror(df_t *d, const uint8_t *buf, size_t n, const struct sockaddr_in *from,
                           int tos)
{
    char err[160];
    x3_jmirror_t j;
    x3_inner_t in;
    if (x3_jmirror_decode(buf, n, &j, err, sizeof err) < 0) return malformed(d, from, n, err);
    if (x3_inner_check(j.packet, j.packet_len, &in, err, sizeof err) != 0)
        return malformed(d, from, n, err);
    target_t *t = get_target(d, j.intercept_id);
    if (!t) return malformed(d, from, n, "too many targets");
    (void)get_stream(t, j.session_id); /* no sequence numbers in this format */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    record(t, &in, j.packet, j.packet_len, 1, (uint32_t)now.tv_sec, (uint32_t)now.tv_nsec, tos);
    return 0;
}

/* Receive what is queued; returns datagrams read. */
static unsigned drain(df_t *d, int fd, uint64_t limit)
{
    static uint8_t buf[65536];
    unsigned got = 0;
    while (!stop && (limit == 0 || d->datagrams < limit)) {
        struct sockaddr_in from = {0};
        char cbuf[64];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                           .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
        ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
        if (n < 0) break;
        int tos = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) tos = *(uint8_t *)CMSG_DATA(c);
        d->datagrams++, got++;
        if (m.msg_flags & MSG_TRUNC) (void)malformed(d, &from, (size_t)n, "datagram truncated");
        else if (d->format == LI_FMT_JMIRROR) (void)handle_jmirror(d, buf, (size_t)n, &from, tos);
        else (void)handle_etsi(d, buf, (size_t)n, &from, tos);
    }
    return got;
}

static void print_summary(df_t *d, FILE *f)
{
    fprintf(f, "bgf-df: %" PRIu64 " datagrams, %" PRIu64 " malformed, %" PRIu64 " keepalives, %u targets\n",
            d->datagrams, d->malformed, d->keepalives, d->ntargets);
    for (unsigned i = 0; i < d->ntargets; i++) {
        target_t *t = d->targets[i];
        uint64_t lost = 0, reo = 0, dup = 0;
        for (unsigned k = 0; k < t->nstreams; k++)
            lost += t->streams[k].lost, reo += t->streams[k].reordered, dup += t->streams[k].duplicates;
        fprintf(f, "target %08" PRIx32 ": packets %" PRIu64 " bytes %" PRIu64 " from_target %" PRIu64
                   " to_target %" PRIu64 " lost %" PRIu64 " reordered %" PRIu64 " duplicates %" PRIu64
                   " correlation",
                t->id, t->packets, t->bytes, t->from, t->to, lost, reo, dup);
        for (unsigned k = 0; k < t->nstreams; k++) fprintf(f, " %" PRIu64, t->streams[k].cid);
        fprintf(f, " pcap %s\n", t->pcap_path);
    }
    for (unsigned i = 0; i < d->nreasons; i++) fprintf(f, "malformed: %s\n", d->reasons[i]);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void write_json(df_t *d, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bgf-df: %s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(f, "{\"datagrams\": %" PRIu64 ", \"malformed\": %" PRIu64 ", \"keepalives\": %" PRIu64
               ", \"other_pdus\": %" PRIu64 ", \"format\": \"%s\", \"malformed_reasons\": [",
            d->datagrams, d->malformed, d->keepalives, d->other_pdus,
            d->format == LI_FMT_JMIRROR ? "jmirror" : "etsi");
    for (unsigned i = 0; i < d->nreasons; i++) {
        if (i) fputs(", ", f);
        json_str(f, d->reasons[i]);
    }
    fputs("], \"targets\": {", f);
    for (unsigned i = 0; i < d->ntargets; i++) {
        target_t *t = d->targets[i];
        fprintf(f, "%s\"%08" PRIx32 "\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
                   ", \"from_target\": %" PRIu64 ", \"to_target\": %" PRIu64
                   ", \"other_direction\": %" PRIu64 ", \"rtp\": %" PRIu64 ", \"rtcp\": %" PRIu64
                   ", \"pcap\": ",
                i ? ", " : "", t->id, t->packets, t->bytes, t->from, t->to, t->other_dir, t->rtp,
                t->rtcp);
        json_str(f, t->pcap_path);
        fputs(", \"dscp\": [", f);
        for (int b = 0, first = 1; b < 64; b++)
            if (t->dscp_mask >> b & 1) fprintf(f, "%s%d", first ? "" : ", ", b), first = 0;
        uint64_t lost = 0, reo = 0, dup = 0, rst = 0;
        fputs("], \"correlation_ids\": [", f);
        for (unsigned k = 0; k < t->nstreams; k++) {
            stream_t *s = &t->streams[k];
            fprintf(f, "%s%" PRIu64, k ? ", " : "", s->cid);
            lost += s->lost, reo += s->reordered, dup += s->duplicates, rst += s->restarts;
        }
        fprintf(f, "], \"lost\": %" PRIu64 ", \"reordered\": %" PRIu64 ", \"duplicates\": %" PRIu64
                   ", \"restarts\": %" PRIu64 "}", lost, reo, dup, rst);
    }
    fputs("}}\n", f);
    fclose(f);
}

static int usage(void)
{
    fprintf(stderr, "usage: bgf-df --listen ADDR:PORT --pcap-dir DIR [--format etsi|jmirror]\n"
                    "              [--count N] [--duration S] [--summary-json FILE] [--quiet]\n");
    return 2;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_listener(const char *spec, netaddr_t *a)
{
    if (netaddr_parse(a, spec, -1) != 0 || netaddr_family(a) != AF_INET) {
        fprintf(stderr, "bgf-df: --listen wants an IPv4 ADDR:PORT, not %s\n", spec);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1, rcv = 8 << 20;
    socklen_t len = sizeof a->u.v4;
    if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one) != 0 ||
        bind(fd, &a->u.sa, sizeof a->u.v4) != 0 || getsockname(fd, &a->u.sa, &len) != 0) {
        fprintf(stderr, "bgf-df: %s: %s\n", spec, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv); /* root may go past rmem_max */
    return fd;
}

int main(int argc, char **argv)
{
    const char *listen = NULL, *json = NULL;
    df_t *d = calloc(1, sizeof *d);
    uint64_t count = 0;
    double duration = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) { d->quiet = true; continue; }
        if (!v) return usage();
        i++;
        if (strcmp(a, "--listen") == 0) listen = v;
        else if (strcmp(a, "--pcap-dir") == 0) d->dir = v;
        else if (strcmp(a, "--count") == 0) count = strtoull(v, NULL, 10);
        else if (strcmp(a, "--duration") == 0) duration = atof(v);
        else if (strcmp(a, "--summary-json") == 0) json = v;
        else if (strcmp(a, "--format") == 0 && strcmp(v, "etsi") == 0) d->format = LI_FMT_ETSI;
        else if (strcmp(a, "--format") == 0 && strcmp(v, "jmirror") == 0) d->format = LI_FMT_JMIRROR;
        else return usage();
    }
    if (!listen || !d->dir) return usage();
    if (mkdir(d->dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "bgf-df: %s: %s\n", d->dir, strerror(errno));
        return 2;
    }
    netaddr_t la;
    int fd = open_listener(listen, &la);
    if (fd < 0) return 2;
    d->dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, 65535, PCAP_TSTAMP_PRECISION_NANO);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char as[NETADDR_STRLEN];
    printf("bgf-df: listening on %s format %s\n", netaddr_format(&la, as, sizeof as),
           d->format == LI_FMT_JMIRROR ? "jmirror" : "etsi");
    fflush(stdout);
    double start = now_s(), last_flush = start;
    while (!stop && (count == 0 || d->datagrams < count)) {
        double left = duration > 0 ? duration - (now_s() - start) : 1.0;
        if (left <= 0) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left < 0.2 ? (int)(left * 1000) + 1 : 200);
        if (r > 0) drain(d, fd, count);
        if (r == 0 || now_s() - last_flush > 1.0) {
            for (unsigned i = 0; i < d->ntargets; i++) pcap_dump_flush(d->targets[i]->dump);
            last_flush = now_s();
        }
    }
    for (unsigned i = 0; i < d->ntargets; i++) pcap_dump_close(d->targets[i]->dump);
    print_summary(d, stdout);
    if (json) write_json(d, json);
    close(fd);
    pcap_close(d->dead);
    for (unsigned i = 0; i < d->ntargets; i++) free(d->targets[i]);
    free(d);
    return 0;
}
