/* tap.c - the data plane's side of interception: per-gate tap settings (li_tap_update), and
 * the making of one forwarded packet's copies, one X3 PDU (or JMirror datagram) per target,
 * into the worker's send queue (li_tap_copy; sender.c sends them).
 * Threads: a tap belongs to its gate's worker, and so does the producing side of the queue.
 * Per packet: no allocation, no lock, no log, no system call. */
#include "li/sender.h"

#include <errno.h>
#include <string.h>

#include "li/x3.h"

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

int li_tap_copy(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *pkt)
{
    if (!s || !tap || !tap->conf.active || tap->conf.ntargets == 0) return 0;
    const netaddr_t *src, *dst;
    pick_view(s->point, dir, pkt, &src, &dst);
    int plen = x3_build_ip(s->pkt, sizeof s->pkt, src, dst, pkt->dscp, pkt->payload, pkt->len);
    if (plen < 0 || plen + X3_HDR_MAX > X3_UDP_MAX) {
        li_bump(&s->st.too_big, 1);
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
    int hlen[LI_MAX_TARGETS];
    size_t total = 0;
    /* the sequence numbers are taken even when the queue turns out full: the delivery
     * function then sees the copies that were lost as a gap */
    for (unsigned i = 0; i < n; i++) {
        if (s->format == LI_FMT_JMIRROR) {
            hlen[i] = x3_jmirror_header(s->hdr[i], X3_HDR_MAX, tap->conf.targets[i], tap->conf.cid);
        } else {
            m.target = tap->conf.targets[i];
            m.seq = s->seqs ? li_seq_next(s->seqs, m.cid, m.target, &tap->seq[i]) : tap->seq[i]++;
            hlen[i] = x3_etsi_header(s->hdr[i], X3_HDR_MAX, &m, (uint32_t)plen);
        }
        if (hlen[i] < 0) hlen[i] = 0;
        total += (size_t)hlen[i] + (size_t)plen;
    }
    li_rec_t *r = li_queue_reserve(s, total);
    if (!r) {
        li_bump(&s->st.queue_full, n);
        return -ENOBUFS;
    }
    r->n = (uint16_t)n;
    r->tos = (uint16_t)(pkt->dscp << 2);
    uint8_t *w = r->data;
    for (unsigned i = 0; i < n; i++) {
        r->len[i] = (uint16_t)(hlen[i] + plen);
        r->targets[i] = tap->conf.targets[i];
        memcpy(w, s->hdr[i], (size_t)hlen[i]);
        memcpy(w + hlen[i], s->pkt, (size_t)plen);
        w += r->len[i];
    }
    li_queue_commit(s, r);
    return (int)n;
}
