/* tap.c - the data plane's side of interception: per-gate tap settings (li_tap_update) and
 * the per-worker sender that turns one forwarded packet into one X3 copy per target and
 * sends them to the delivery function in one sendmmsg, or one UDP GSO send (li_tap_copy).
 * Threads: a li_sender_t and the taps it serves belong to one worker; li_ctl only reads the
 * counters (relaxed atomics, single writer). Per packet: no allocation, no lock, no log. */
#include "li/sender.h"

#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "li/x3.h"

#define PKT_MAX 65536
#define GSO_MAX 65000 /* one UDP GSO send: all copies of a packet, when they fit */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

struct li_sender {
    int fd;                          /* read-only after li_sender_new */
    li_format_t format;              /* read-only */
    li_point_t point;                /* read-only */
    li_seq_table_t *seqs;            /* read-only after li_ctl set it; NULL = per tap */
    char domain[X3_DOMAIN_MAX + 1];  /* read-only: network operator id */
    struct sockaddr_in dst;          /* read-only: the delivery function */
    /* owner: worker - scratch for one packet's copies */
    uint8_t pkt[PKT_MAX];
    uint8_t gso[GSO_MAX];            /* the copies of one packet back to back (UDP GSO) */
    bool no_gso;                     /* GSO not asked for, or refused once: sendmmsg only */
    uint8_t hdr[LI_MAX_TARGETS][X3_HDR_MAX];
    struct mmsghdr msgs[LI_MAX_TARGETS];
    struct iovec iov[LI_MAX_TARGETS][2];
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cmsg[LI_MAX_TARGETS];
    /* owner: worker; read by li_ctl with relaxed loads */
    li_sender_stats_t st;
    li_target_count_t counts[LI_COUNT_SLOTS];
};

/* Single-writer counter bump that a reader on another thread may load at any time. */
static inline void bump(uint64_t *c, uint64_t by)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + by, __ATOMIC_RELAXED);
}

li_sender_t *li_sender_new(const li_conf_t *conf, char *err, size_t errlen)
{
    if (netaddr_family(&conf->df_dst) != AF_INET) {
        snprintf(err, errlen, "delivery function address must be IPv4");
        return NULL;
    }
    li_sender_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->format = conf->format, s->point = conf->point, s->dst = conf->df_dst.u.v4;
    s->no_gso = !conf->gso;
    snprintf(s->domain, sizeof s->domain, "%s", conf->operator_id);
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1, sndbuf = 1 << 20;
    struct sockaddr_in src = {.sin_family = AF_INET};
    if (netaddr_is_set(&conf->df_src)) {
        if (netaddr_family(&conf->df_src) != AF_INET) {
            snprintf(err, errlen, "delivery function source address must be IPv4");
            li_sender_free(s);
            return NULL;
        }
        src = conf->df_src.u.v4;
    }
    if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(s->fd, (struct sockaddr *)&src, sizeof src) != 0) {
        char a[NETADDR_STRLEN];
        snprintf(err, errlen, "LI source %s: %s", netaddr_format(&conf->df_src, a, sizeof a),
                 strerror(errno));
        li_sender_free(s);
        return NULL;
    }
    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf); /* best effort */
    for (int i = 0; i < LI_MAX_TARGETS; i++) {
        struct msghdr *m = &s->msgs[i].msg_hdr;
        m->msg_name = &s->dst, m->msg_namelen = sizeof s->dst;
        m->msg_iov = s->iov[i], m->msg_iovlen = 2;
        m->msg_control = s->cmsg[i].buf, m->msg_controllen = sizeof s->cmsg[i].buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(m);
        c->cmsg_level = IPPROTO_IP, c->cmsg_type = IP_TOS, c->cmsg_len = CMSG_LEN(sizeof(int));
        s->iov[i][0].iov_base = s->hdr[i];
        s->iov[i][1].iov_base = s->pkt;
    }
    return s;
}

void li_sender_set_seq(li_sender_t *s, li_seq_table_t *t)
{
    s->seqs = t;
}

void li_sender_free(li_sender_t *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free(s);
}

void li_sender_stats(const li_sender_t *s, li_sender_stats_t *out)
{
    out->copies = __atomic_load_n(&s->st.copies, __ATOMIC_RELAXED);
    out->bytes = __atomic_load_n(&s->st.bytes, __ATOMIC_RELAXED);
    out->send_errors = __atomic_load_n(&s->st.send_errors, __ATOMIC_RELAXED);
    out->too_big = __atomic_load_n(&s->st.too_big, __ATOMIC_RELAXED);
    out->other_copies = __atomic_load_n(&s->st.other_copies, __ATOMIC_RELAXED);
    out->gso_sends = __atomic_load_n(&s->st.gso_sends, __ATOMIC_RELAXED);
}

void li_sender_each_target(const li_sender_t *s,
                           void (*fn)(uint32_t target, uint64_t copies, uint64_t bytes, void *arg),
                           void *arg)
{
    for (int i = 0; i < LI_COUNT_SLOTS; i++) {
        const li_target_count_t *c = &s->counts[i];
        if (!__atomic_load_n(&c->used, __ATOMIC_ACQUIRE)) continue;
        fn(c->target, __atomic_load_n(&c->copies, __ATOMIC_RELAXED),
           __atomic_load_n(&c->bytes, __ATOMIC_RELAXED), arg);
    }
}

/* Count one copy for target in the worker's open-addressing table (no allocation). */
static void count_target(li_sender_t *s, uint32_t target, uint64_t bytes)
{
    uint32_t h = (target * 2654435761u) >> 24;
    for (int probe = 0; probe < 8; probe++) {
        li_target_count_t *c = &s->counts[(h + (uint32_t)probe) % LI_COUNT_SLOTS];
        if (!c->used) {
            c->target = target;
            __atomic_store_n(&c->used, 1, __ATOMIC_RELEASE);
        }
        if (c->target == target) {
            bump(&c->copies, 1), bump(&c->bytes, bytes);
            return;
        }
    }
    bump(&s->st.other_copies, 1);
}

void li_tap_update(li_tap_t *tap, const li_tap_conf_t *conf)
{
    li_tap_t old = *tap;
    memset(tap, 0, sizeof *tap);
    if (!conf || !conf->active || conf->cid == 0 || conf->ntargets == 0) return;
    tap->conf.active = true, tap->conf.cid = conf->cid;
    unsigned n = conf->ntargets < LI_MAX_TARGETS ? conf->ntargets : LI_MAX_TARGETS;
    for (unsigned i = 0; i < n; i++) {
        uint32_t t = conf->targets[i];
        bool dup = false;
        for (unsigned j = 0; j < tap->conf.ntargets; j++) dup |= tap->conf.targets[j] == t;
        if (dup) continue; /* one copy per distinct target id */
        unsigned k = tap->conf.ntargets++;
        tap->conf.targets[k] = t;
        /* same XID + correlation ID: the sequence goes on where it was */
        for (unsigned j = 0; old.conf.active && old.conf.cid == conf->cid && j < old.conf.ntargets; j++)
            if (old.conf.targets[j] == t) tap->seq[k] = old.seq[j];
    }
}

/* Which addresses the copy shows: the mirror point for this direction. */
static void pick_view(li_point_t point, li_dir_t dir, const li_packet_t *p, const netaddr_t **src,
                      const netaddr_t **dst)
{
    bool before = point == LI_POINT_BEFORE_NAT ||
                  (point == LI_POINT_NATURAL && dir == LI_DIR_FROM_TARGET);
    *src = before ? p->in_src : p->out_src;
    *dst = before ? p->in_dst : p->out_dst;
}

/* All n copies (same length seg) in one sendmsg that the kernel splits into n datagrams
 * (UDP_SEGMENT): one system call and one route lookup for the lot. Returns n, or -errno. */
static int send_gso(li_sender_t *s, unsigned n, size_t hlen, size_t plen, int tos)
{
    size_t seg = hlen + plen;
    for (unsigned i = 0; i < n; i++) {
        memcpy(s->gso + i * seg, s->hdr[i], hlen);
        memcpy(s->gso + i * seg + hlen, s->pkt, plen);
    }
    union {
        char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } cb;
    memset(&cb, 0, sizeof cb);
    struct iovec iov = {s->gso, n * seg};
    struct msghdr m = {.msg_name = &s->dst, .msg_namelen = sizeof s->dst, .msg_iov = &iov,
                       .msg_iovlen = 1, .msg_control = cb.buf, .msg_controllen = sizeof cb.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_IP, c->cmsg_type = IP_TOS, c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &tos, sizeof tos);
    c = CMSG_NXTHDR(&m, c);
    uint16_t segsz = (uint16_t)seg;
    c->cmsg_level = SOL_UDP, c->cmsg_type = UDP_SEGMENT, c->cmsg_len = CMSG_LEN(sizeof segsz);
    memcpy(CMSG_DATA(c), &segsz, sizeof segsz);
    ssize_t r = sendmsg(s->fd, &m, MSG_DONTWAIT);
    return r == (ssize_t)(n * seg) ? (int)n : -(r < 0 ? errno : EIO);
}

/* The copies one per datagram in one sendmmsg; returns how many left, errno kept. */
static int send_each(li_sender_t *s, unsigned n)
{
    int sent = 0;
    while (sent < (int)n) {
        int r = sendmmsg(s->fd, s->msgs + sent, n - (unsigned)sent, MSG_DONTWAIT);
        if (r <= 0) break;
        sent += r;
    }
    return sent;
}

int li_tap_copy(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *pkt)
{
    if (!s || !tap || !tap->conf.active || tap->conf.ntargets == 0) return 0;
    const netaddr_t *src, *dst;
    pick_view(s->point, dir, pkt, &src, &dst);
    int plen = x3_build_ip(s->pkt, sizeof s->pkt, src, dst, pkt->dscp, pkt->payload, pkt->len);
    if (plen < 0 || plen + X3_HDR_MAX > X3_UDP_MAX) {
        bump(&s->st.too_big, 1);
        return -EMSGSIZE;
    }
    x3_meta_t m = {
        .format = netaddr_family(src) == AF_INET ? X3_FMT_IPV4 : X3_FMT_IPV6,
        .direction = (uint16_t)dir,
        .cid = tap->conf.cid,
        .ts_sec = (uint32_t)pkt->ts.tv_sec,
        .ts_nsec = (uint32_t)pkt->ts.tv_nsec,
        .domain = s->domain,
    };
    unsigned n = tap->conf.ntargets;
    int tos = pkt->dscp << 2;
    for (unsigned i = 0; i < n; i++) {
        int h;
        if (s->format == LI_FMT_JMIRROR) {
            h = x3_jmirror_header(s->hdr[i], X3_HDR_MAX, tap->conf.targets[i], tap->conf.cid);
        } else {
            m.target = tap->conf.targets[i];
            m.seq = s->seqs ? li_seq_next(s->seqs, m.cid, m.target, &tap->seq[i]) : tap->seq[i]++;
            h = x3_etsi_header(s->hdr[i], X3_HDR_MAX, &m, (uint32_t)plen);
        }
        s->iov[i][0].iov_len = (size_t)h;
        s->iov[i][1].iov_len = (size_t)plen;
        memcpy(CMSG_DATA(CMSG_FIRSTHDR(&s->msgs[i].msg_hdr)), &tos, sizeof tos);
    }
    size_t hlen = s->iov[0][0].iov_len;
    bool same = true; /* every copy the same length: true unless a header could not be built */
    for (unsigned i = 1; i < n; i++) same &= s->iov[i][0].iov_len == hlen;
    int sent = -1, e = 0;
    if (n > 1 && same && !s->no_gso && n * (hlen + (size_t)plen) <= GSO_MAX) {
        sent = send_gso(s, n, hlen, (size_t)plen, tos);
        if (sent == -EINVAL || sent == -EOPNOTSUPP || sent == -ENOPROTOOPT || sent == -EIO)
            s->no_gso = true; /* not here: one datagram each from now on */
        if (sent < 0) e = -sent, sent = s->no_gso ? -1 : 0;
        else bump(&s->st.gso_sends, 1);
    }
    if (sent < 0) {
        sent = send_each(s, n);
        e = errno;
    }
    for (int i = 0; i < sent; i++) count_target(s, tap->conf.targets[i], s->iov[i][0].iov_len + (size_t)plen);
    bump(&s->st.copies, (uint64_t)sent);
    bump(&s->st.bytes, (uint64_t)sent * (uint64_t)(s->iov[0][0].iov_len + (size_t)plen));
    if (sent < (int)n) {
        bump(&s->st.send_errors, n - (unsigned)sent);
        return sent > 0 ? sent : -(e ? e : EIO);
    }
    return sent;
}
