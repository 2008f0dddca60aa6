/* dp_worker.c - a data-plane worker: one thread that owns a set of gates and their sockets.
 * Run to completion: epoll wait, recvmmsg a batch from a ready socket, check, latch, police
 * and count each datagram, sendmmsg the batch from the peer gate's socket; at the end of the
 * round, hand copies of the forwarded packets to interception. Control requests arrive on the worker's ring (woken
 * by an eventfd); statistics leave through the seqlocked dp_pub_t, events through the event
 * ring. Nothing here allocates or locks. */
#include "dp/dp_int.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define TAG_WAKE UINT64_MAX
#define DP_MOD_ALL 0xffu

/* A socket's epoll tag: its pair in the pool and RTP (0) or RTCP (1). The pair stays
 * registered with its worker across gates; w->pair_slot says which gate has it now. */
static uint64_t tag_of(int32_t pair, int c)
{
    return (uint64_t)(uint32_t)pair << 1 | (uint64_t)c;
}

static void mark_dirty(dp_worker_t *w, dp_gate_t *g, int32_t slot)
{
    if (!g->dirty) {
        g->dirty = true;
        w->dirty[w->ndirty++] = slot;
    }
}

/* While the gate's RTP channel is offloaded its loss and jitter state lives in the kernel
 * (fp_rtp) and g->rs holds only the RTP the worker still saw meanwhile (a packet queued on
 * the socket before the offload, one the program left to the socket path): the worker then
 * publishes that count, flagged, and read_stats (dp.c) combines it with the kernel's state. */
static void publish(dp_t *dp, int32_t slot)
{
    dp_gate_t *g = &dp->gates[slot];
    if (g->fp_on[0]) {
        g->st.rtp_lost = DP_FP_SIDE | g->rs.received;
        g->st.jitter_us = 0;
    } else {
        g->st.rtp_lost = dp_rtpstat_lost(&g->rs);
        g->st.jitter_us = dp_rtpstat_jitter_us(&g->rs);
    }
    g->st.latched_rtp = g->ch[0].dest;
    g->st.latched_rtcp = g->ch[1].dest;
    g->dirty = false;
    dp_pub_write(&dp->pub[slot], &g->st);
}

/* ---- configuration of a gate (on open and modify) ---- */

static bool addr_usable(const netaddr_t *a)
{
    return netaddr_is_set(a) && netaddr_port(a) != 0;
}

static void full_mask(netaddr_t *m, int family)
{
    memset(m, 0, sizeof(*m));
    m->u.sa.sa_family = (sa_family_t)family;
    if (family == AF_INET) memset(&m->u.v4.sin_addr, 0xff, 4);
    else memset(&m->u.v6.sin6_addr, 0xff, 16);
}

/* Turn gm/saf, gm/sam, gm/spf, gm/spr into what the packet path compares with: an unset
 * address means the remote's address, a 0-0 port range the channel's remote port. */
static void resolve_filter(dp_gate_t *g)
{
    const dp_filter_t *f = &g->filter;
    g->addr_filter = false;
    if (f->addr_on) {
        const netaddr_t *a = netaddr_is_set(&f->addr) ? &f->addr : &g->ch[0].remote;
        if (netaddr_is_set(a)) {
            g->addr_filter = true;
            g->f_addr = *a;
            if (netaddr_family(&f->mask) == netaddr_family(a)) g->f_mask = f->mask;
            else full_mask(&g->f_mask, netaddr_family(a));
        }
    }
    g->port_filter = f->port_on;
    for (int c = 0; c < 2; c++) {
        dp_chan_t *ch = &g->ch[c];
        ch->port_lo = 0;
        ch->port_hi = 65535;
        if (!f->port_on) continue;
        if (f->port_lo || f->port_hi) {
            ch->port_lo = f->port_lo;
            ch->port_hi = f->port_hi;
        } else {
            uint16_t p = 0;
            if (addr_usable(&ch->remote)) p = netaddr_port(&ch->remote);
            else if (addr_usable(&g->ch[0].remote)) p = (uint16_t)(netaddr_port(&g->ch[0].remote) + c);
            if (p) ch->port_lo = ch->port_hi = p;
        }
    }
}

/* Where each channel sends: the latched source when latching, else the configured remote.
 * RTCP without its own latch or address follows RTP's address with port + 1 (see docs). */
static void update_dest(dp_gate_t *g)
{
    dp_chan_t *r = &g->ch[0], *c = &g->ch[1];
    bool rl = g->latch && netaddr_is_set(&r->latched);
    r->dest = rl ? r->latched : r->remote;
    if (!addr_usable(&r->dest)) memset(&r->dest, 0, sizeof(r->dest));
    if (g->latch && netaddr_is_set(&c->latched)) {
        c->dest = c->latched;
    } else if (addr_usable(&c->remote) && !(rl && !netaddr_equal(&r->latched, &r->remote))) {
        c->dest = c->remote;
    } else if (netaddr_is_set(&r->dest)) {
        c->dest = r->dest;
        netaddr_set_port(&c->dest, (uint16_t)(netaddr_port(&r->dest) + 1));
    } else {
        memset(&c->dest, 0, sizeof(c->dest));
    }
    for (int i = 0; i < 2; i++) /* a socket sends only to its own family */
        if (netaddr_family(&g->ch[i].dest) != netaddr_family(&g->ch[i].local))
            memset(&g->ch[i].dest, 0, sizeof(g->ch[i].dest));
}

static void tap_update(dp_t *dp, li_tap_t *tap, const li_tap_conf_t *conf)
{
    if (dp->cfg.li_update) {
        dp->cfg.li_update(tap, conf);
        return;
    }
    bool same = tap->conf.cid == conf->cid && tap->conf.ntargets == conf->ntargets &&
                memcmp(tap->conf.targets, conf->targets, sizeof(conf->targets)) == 0;
    tap->conf = *conf;
    if (!same) memset(tap->seq, 0, sizeof(tap->seq));
}

static void apply_conf(dp_worker_t *w, dp_gate_t *g, const dp_gate_req_t *q, unsigned what,
                       uint64_t now)
{
    dp_t *dp = w->dp;
    if (what & DP_MOD_REMOTE) {
        g->ch[0].remote = addr_usable(&q->remote_rtp) ? q->remote_rtp : (netaddr_t){0};
        g->ch[1].remote = addr_usable(&q->remote_rtcp) ? q->remote_rtcp : (netaddr_t){0};
        memset(&g->ch[0].latched, 0, sizeof(netaddr_t)); /* a new Remote may be relatched */
        memset(&g->ch[1].latched, 0, sizeof(netaddr_t));
    }
    if (what & DP_MOD_MODE) g->mode = q->mode;
    if ((what & DP_MOD_DSCP) && q->dscp != g->dscp) {
        g->dscp = q->dscp;
        for (int c = 0; c < 2; c++) dp_set_dscp(g->ch[c].fd, netaddr_family(&g->ch[c].local), g->dscp);
    }
    if ((what & DP_MOD_LATCH) && q->latch != g->latch) {
        g->latch = q->latch;
        memset(&g->ch[0].latched, 0, sizeof(netaddr_t));
        memset(&g->ch[1].latched, 0, sizeof(netaddr_t));
    }
    if (what & DP_MOD_FILTER) g->filter = q->filter;
    if (what & DP_MOD_POLICER) dp_pol_init(&g->pol, &q->policer, now);
    if (what & DP_MOD_HANG) {
        g->hang_ns = (uint64_t)q->hang_timer_s * 1000000000ull;
        g->active_ns = now;
        g->hang_fired = false;
        w->hang_at[g->wpos] = g->hang_ns ? now + g->hang_ns : UINT64_MAX;
    }
    if (what & DP_MOD_TAP) tap_update(dp, &g->tap, &q->tap);
    if (what & (DP_MOD_REMOTE | DP_MOD_FILTER)) resolve_filter(g);
    update_dest(g);
}

/* ---- kernel fast path: which channels are offloaded (docs/dataplane.md) ---- */

static bool mode_receives(dp_mode_t m)
{
    return m == DP_MODE_SENDRECV || m == DP_MODE_RECVONLY;
}

static bool mode_sends(dp_mode_t m)
{
    return m == DP_MODE_SENDRECV || m == DP_MODE_SENDONLY;
}

/* The RTP channel of gate g (packets to g's local RTP port, out of the peer's RTP port) may
 * be relayed in the kernel when everything the socket path would do with a packet from its
 * accepted source is a plain rewrite, the loss/jitter accounting and the policer of fp_rtp:
 * a peer that sends, a known destination of the same family, one exact accepted source (the
 * latched one, or without latching the remote the gate sends to, when the filters admit
 * it), and no interception on either side (interception must see every packet). RTCP
 * is never offloaded: it is rare, and everything derived from it stays in the worker.
 * Anything else stays on the socket path. */
static bool fp_want(const dp_t *dp, const dp_gate_t *g, int32_t slot, struct fp_chan *v)
{
    /* offloaded once media flows: a call that never carries RTP (or whose first packet
     * has not come yet) costs the kernel's maps nothing */
    if (!g->fp_media || g->fp_if <= 0 || g->peer < 0 || g->ch[0].fd < 0) return false;
    const dp_gate_t *p = &dp->gates[g->peer];
    if (g->tap.conf.active || p->tap.conf.active) return false;
    if (!mode_receives(g->mode) || !mode_sends(p->mode)) return false;
    const netaddr_t *dst = &p->ch[0].dest, *src = g->latch ? &g->ch[0].latched : &g->ch[0].dest;
    int fam = netaddr_family(&g->ch[0].local);
    if (!netaddr_is_set(dst) || netaddr_family(&p->ch[0].local) != fam) return false;
    if (!netaddr_is_set(src) || netaddr_family(src) != fam || netaddr_port(src) == 0) return false;
    if (g->addr_filter && !netaddr_match_mask(src, &g->f_addr, &g->f_mask)) return false;
    if (g->port_filter &&
        (netaddr_port(src) < g->ch[0].port_lo || netaddr_port(src) > g->ch[0].port_hi))
        return false;
    uint32_t out_if = 0;
    if (dp_fp_is_local(dp->fp, dst)) {
        if (g->fp_if != dp_fp_lo(dp->fp)) return false; /* local delivery only from lo */
    } else {
        if (p->fp_if <= 0 || p->fp_if == dp_fp_lo(dp->fp)) return false;
        out_if = (uint32_t)p->fp_if;
    }
    memset(v, 0, sizeof(*v));
    dp_fp_addr(&v->src, src);
    dp_fp_addr(&v->out_src, &p->ch[0].local);
    dp_fp_addr(&v->out_dst, dst);
    v->rx_slot = (uint32_t)slot;
    v->tx_slot = (uint32_t)g->peer;
    v->out_ifindex = out_if;
    v->tos = (uint8_t)((p->dscp & 0x3f) << 2);
    return true;
}

/* A fresh generation for each offload: a program still running with an older channel entry
 * (on another CPU, right after a withdraw) finds fp_arm changed and leaves its packet to the
 * socket path instead of touching the state. Shared by the workers; control events only. */
static _Atomic uint32_t fp_gen = FP_GEN_MIN;

static uint32_t fp_next_gen(void)
{
    uint32_t gen;
    do gen = atomic_fetch_add_explicit(&fp_gen, 1, memory_order_relaxed);
    while (gen < FP_GEN_MIN);
    return gen;
}

/* Fold into the kernel's state k what the worker counted while the channel was offloaded
 * (w, started empty at the offload): packets of the same stream add to `received`, a highest
 * sequence number beyond the kernel's moves it. Their jitter samples are not replayed. */
static void fp_merge(dp_rtpstat_t *k, const dp_rtpstat_t *w)
{
    if (!w->init || w->received == 0) return;
    if (!k->init) {
        *k = *w;
        return;
    }
    if (w->ssrc != k->ssrc) return; /* another source in between: not this stream */
    k->received += w->received;
    uint16_t ud = (uint16_t)(w->max_seq - k->max_seq);
    if (ud != 0 && ud < DP_RM_MAX_DROPOUT) { /* as dp_rm_seq (rtp_math.h) moves it */
        if (w->max_seq < k->max_seq) k->cycles += DP_RM_SEQ_MOD;
        k->max_seq = w->max_seq;
    }
}

/* Withdraw the gate's RTP channel and take its statistics back, so that the worker counts
 * on from where the kernel stopped:
 *   delete the entry (new packets reach the socket), fp_arm = HANDBACK (a program already
 *   past the lookup leaves its packet to the socket path; readers still use the kernel's
 *   state), copy the state under its lock, merge, publish, fp_arm = OFF (readers use what
 *   the worker published).
 * A program that took the lock before the HANDBACK store is visible has finished its update
 * before the copy takes the lock; one that takes it later sees HANDBACK. */
static void fp_off(dp_t *dp, dp_gate_t *g, int32_t slot)
{
    if (!g->fp_on[0]) return;
    uint32_t s = (uint32_t)slot;
    dp_fp_chan_del(dp->fp, &g->ch[0].local);
    dp_fp_rtp_arm(dp->fp, s, FP_ARM_HANDBACK);
    dp_rtpstat_t k;
    dp_pol_t pol; /* the kernel's bucket: RTCP meanwhile used the worker's copy (see docs) */
    if (dp_fp_rtp_get(dp->fp, s, &k, &pol, NULL) == 0) {
        fp_merge(&k, &g->rs);
        g->rs = k;
        g->pol = pol;
    }
    uint64_t buf[64 * sizeof(struct fp_stat) / 8]; /* the kernel's last packet counts as */
    struct fp_stat f;                               /* activity (hangterm, relatch) */
    if (dp_fp_stat_bufsize(dp->fp) <= sizeof(buf) && dp_fp_stat_read(dp->fp, s, &f, buf) == 0) {
        if (f.last_ns > g->active_ns) g->active_ns = f.last_ns;
        if (f.last_ns > g->ch[0].latched_ns) g->ch[0].latched_ns = f.last_ns;
    }
    g->fp_on[0] = false;
    publish(dp, slot);
    dp_fp_rtp_arm(dp->fp, s, FP_ARM_OFF);
}

/* Offload the gate's RTP channel with entry v: its statistics and policer go to the kernel
 * first. */
static bool fp_put(dp_t *dp, dp_gate_t *g, int32_t slot, struct fp_chan *v)
{
    uint32_t s = (uint32_t)slot;
    atomic_store_explicit(&dp->pub[slot].fp_used, 1, memory_order_release);
    v->gen = fp_next_gen();
    if (dp_fp_rtp_put(dp->fp, s, &g->rs, &g->pol) == 0 && dp_fp_rtp_arm(dp->fp, s, v->gen) == 0 &&
        dp_fp_chan_set(dp->fp, &g->ch[0].local, v) == 0) {
        memset(&g->rs, 0, sizeof(g->rs)); /* from here: only what the worker still sees */
        g->fp_on[0] = true;
        return true;
    }
    dp_fp_rtp_arm(dp->fp, s, FP_ARM_OFF);
    return false;
}

/* Same entry apart from the generation: nothing to do. */
static bool fp_same(dp_t *dp, const dp_gate_t *g, const struct fp_chan *v)
{
    struct fp_chan cur;
    if (dp_fp_chan_get(dp->fp, &g->ch[0].local, &cur) < 0) return false;
    cur.gen = v->gen;
    return memcmp(&cur, v, sizeof(cur)) == 0;
}

static void fp_sync_gate(dp_t *dp, dp_gate_t *g, int32_t slot)
{
    g->fp_dirty = false;
    struct fp_chan v;
    bool want = fp_want(dp, g, slot, &v);
    if (want && g->fp_on[0] && fp_same(dp, g, &v)) return;
    fp_off(dp, g, slot);
    if (want) fp_put(dp, g, slot, &v);
}

/* Withdraw the offload of a gate and of its peer before a request changes them: from here
 * on the worker sees every packet, until fp_sync decides again with the new settings. */
static void fp_withdraw_gate(dp_t *dp, dp_gate_t *g)
{
    fp_off(dp, g, (int32_t)(g - dp->gates));
}

static void fp_withdraw(dp_worker_t *w, int32_t slot)
{
    dp_t *dp = w->dp;
    if (!dp->fp) return;
    dp_gate_t *g = &dp->gates[slot];
    fp_withdraw_gate(dp, g);
    dp_fp_hold(dp->fp, (uint32_t)slot, 0); /* held by dp_gate_modify: the entries are gone now */
    if (g->peer >= 0) {
        fp_withdraw_gate(dp, &dp->gates[g->peer]);
        dp_fp_hold(dp->fp, (uint32_t)g->peer, 0);
    }
}

/* Re-decide the offload of a gate and of its peer (whose output is this gate). */
static void fp_sync(dp_worker_t *w, int32_t slot)
{
    dp_t *dp = w->dp;
    if (!dp->fp) return;
    dp_gate_t *g = &dp->gates[slot];
    fp_sync_gate(dp, g, slot);
    if (g->peer >= 0) fp_sync_gate(dp, &dp->gates[g->peer], g->peer);
}

/* The latest packet the kernel relayed for channel c of the gate (0 = none, or not
 * offloaded; RTCP, c = 1, never is). One map read: only on a hang timer's expiry or a
 * relatch candidate. */
static uint64_t fp_last_ns(dp_worker_t *w, const dp_gate_t *g, int c)
{
    dp_t *dp = w->dp;
    if (!dp->fp || c == 1 || !g->fp_on[0]) return 0;
    struct fp_stat f;
    if (dp_fp_stat_read(dp->fp, (uint32_t)(g - dp->gates), &f, w->fpbuf) < 0) return 0;
    return f.last_ns;
}

/* ---- control requests ---- */

/* The gate is this worker's from now on: its socket pair registered with our epoll (unless
 * it already is) and found by its tag, the gate in our list. */
static void take_in(dp_worker_t *w, int32_t slot, bool registered)
{
    dp_gate_t *g = &w->dp->gates[slot];
    for (int c = 0; c < 2; c++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag_of(g->pair, c)};
        if (!registered) epoll_ctl(w->epfd, EPOLL_CTL_ADD, g->ch[c].fd, &ev);
        w->pair_fd[g->pair * 2 + c] = g->ch[c].fd;
    }
    w->pair_slot[g->pair] = slot;
    g->wpos = w->nlist;
    w->list[w->nlist++] = slot;
}

static void gate_open(dp_worker_t *w, const dp_msg_t *m, uint64_t now)
{
    dp_t *dp = w->dp;
    dp_gate_t *g = &dp->gates[m->slot];
    memset(g, 0, sizeof(*g));
    g->gate_id = m->req.gate_id;
    g->ctx_id = m->req.ctx_id;
    g->stream_id = m->req.stream_id;
    g->dscp = m->req.dscp; /* set on the sockets at bind */
    g->fp_if = m->fp_if;
    g->fp_media = dp->cfg.fast_path_eager;
    g->peer = m->peer;
    if (g->peer >= 0) dp->gates[g->peer].peer = m->slot;
    g->pair = m->pair;
    for (int c = 0; c < 2; c++) {
        g->ch[c].fd = m->fd[c];
        if (m->set_dscp) dp_set_dscp(g->ch[c].fd, netaddr_family(&m->req.local), g->dscp);
        g->ch[c].local = m->req.local;
        netaddr_set_port(&g->ch[c].local, (uint16_t)(netaddr_port(&m->req.local) + c));
        /* Parked with another worker: move the registration. That worker may still hold an
         * event of the socket from before, for the round it is in, and drop what it reads
         * then as a parked pair's; only datagrams that arrive within that round of the open
         * can be concerned (a peer learns the port from the reply, a round trip later). */
        if (m->from_worker >= 0 && m->from_worker != (int)w->idx)
            epoll_ctl(dp->w[m->from_worker].epfd, EPOLL_CTL_DEL, g->ch[c].fd, NULL);
    }
    take_in(w, m->slot, m->from_worker == (int)w->idx); /* parked here: registered already */
    apply_conf(w, g, &m->req, DP_MOD_ALL, now);
    publish(dp, m->slot);
    fp_sync(w, m->slot);
}

/* Take the gate out of this worker's gate list (its list position goes to the last one). */
static void list_remove(dp_worker_t *w, dp_gate_t *g)
{
    dp_t *dp = w->dp;
    int32_t last = w->list[--w->nlist];
    w->list[g->wpos] = last;
    w->hang_at[g->wpos] = w->hang_at[w->nlist];
    dp->gates[last].wpos = g->wpos;
}

/* Unpair the gate from its peer, which then has nowhere to send (fp_sync re-decides it). */
static void unpair(dp_worker_t *w, dp_gate_t *g)
{
    dp_t *dp = w->dp;
    int32_t peer = g->peer;
    if (peer < 0) return;
    dp->gates[peer].peer = -1;
    g->peer = -1;
    fp_sync(w, peer);
}

static void gate_close(dp_worker_t *w, int32_t slot)
{
    dp_t *dp = w->dp;
    dp_gate_t *g = &dp->gates[slot];
    if (dp->fp) fp_withdraw_gate(dp, g); /* out of the kernel before the ports go */
    for (int c = 0; c < 2; c++) g->ch[c].fd = -1;
    w->pair_slot[g->pair] = DP_PAIR_PARKED; /* still bound and registered: see on_readable */
    unpair(w, g); /* the peer has nowhere to send now */
    publish(dp, slot);
    list_remove(w, g);
    memset(&g->tap, 0, sizeof(g->tap));
}

/* DETACH (Move, the new peer on another worker): give the gate up. Out of the kernel fast
 * path with its old peer, unpaired, its sockets out of this epoll, out of the gate list;
 * counters, latch, RTP state, policer and tap stay in the gate. Requests come before packets
 * in a round, and pair_slot says "not here" from now on, so an event of its sockets still
 * held for this round reads nothing: what arrives waits in the socket for the next worker.
 * A detached gate belongs to no worker until its MODIFY reaches the next one. */
static void gate_detach(dp_worker_t *w, int32_t slot)
{
    dp_t *dp = w->dp;
    dp_gate_t *g = &dp->gates[slot];
    fp_withdraw(w, slot);
    unpair(w, g);
    for (int c = 0; c < 2; c++) epoll_ctl(w->epfd, EPOLL_CTL_DEL, g->ch[c].fd, NULL);
    w->pair_slot[g->pair] = DP_PAIR_NONE;
    list_remove(w, g);
    publish(dp, slot);
}

/* MODIFY with DP_MOD_CONTEXT: the gate joins another context in place. Taken in from the
 * worker that detached it (its sockets registered here, a place in the gate list and its
 * hangterm deadline), or, staying here, out of the fast path and unpaired from its old
 * peer; then paired with m->peer. Nothing else of the gate changes. */
static void gate_rejoin(dp_worker_t *w, const dp_msg_t *m)
{
    dp_t *dp = w->dp;
    dp_gate_t *g = &dp->gates[m->slot];
    if (m->from_worker >= 0) {
        take_in(w, m->slot, false);
        w->hang_at[g->wpos] = g->hang_ns && !g->hang_fired ? g->active_ns + g->hang_ns : UINT64_MAX;
    } else {
        fp_withdraw(w, m->slot);
        unpair(w, g);
    }
    if (dp->fp) { /* held by dp_gate_modify */
        dp_fp_hold(dp->fp, (uint32_t)m->slot, 0);
        if (m->peer >= 0) {
            fp_withdraw_gate(dp, &dp->gates[m->peer]);
            dp_fp_hold(dp->fp, (uint32_t)m->peer, 0);
        }
    }
    g->ctx_id = m->req.ctx_id;
    g->peer = m->peer;
    if (m->peer >= 0) dp->gates[m->peer].peer = m->slot;
}

/* Apply queued requests. Returns false on STOP. */
static bool drain_ring(dp_worker_t *w, uint64_t now)
{
    dp_msg_t m;
    bool run = true;
    while (run && dp_ring_pop(&w->in, &m)) {
        switch (m.type) {
        case DP_MSG_OPEN: gate_open(w, &m, now); break;
        case DP_MSG_MODIFY:
            if (m.what & DP_MOD_CONTEXT) gate_rejoin(w, &m);
            else if (m.what != DP_MOD_HANG) fp_withdraw(w, m.slot);
            apply_conf(w, &w->dp->gates[m.slot], &m.req, m.what, now);
            publish(w->dp, m.slot);
            fp_sync(w, m.slot);
            break;
        case DP_MSG_CLOSE: gate_close(w, m.slot); break;
        case DP_MSG_DETACH: gate_detach(w, m.slot); break;
        case DP_MSG_EVICT: /* the pool closes a parked pair of ours */
            for (int c = 0; c < 2; c++) {
                epoll_ctl(w->epfd, EPOLL_CTL_DEL, m.fd[c], NULL);
                close(m.fd[c]);
            }
            w->pair_slot[m.pair] = DP_PAIR_NONE;
            break;
        case DP_MSG_STOP: run = false; break;
        }
        atomic_store_explicit(&w->done, m.seq, memory_order_release);
    }
    return run;
}

/* ---- the packet path ---- */

/* Source check: filters, then latching (see docs/dataplane.md). */
static bool source_ok(dp_worker_t *w, dp_gate_t *g, int c, const netaddr_t *src, uint64_t now)
{
    const dp_t *dp = w->dp;
    dp_chan_t *ch = &g->ch[c];
    if (g->addr_filter && !netaddr_match_mask(src, &g->f_addr, &g->f_mask)) return false;
    if (g->port_filter) {
        uint16_t p = netaddr_port(src);
        if (p < ch->port_lo || p > ch->port_hi) return false;
    }
    if (!g->latch) return true;
    if (netaddr_is_set(&ch->latched) && netaddr_equal(src, &ch->latched)) {
        ch->latched_ns = now;
        return true;
    }
    if (netaddr_is_set(&ch->latched) && dp->relatch_ns && g->fp_on[c] &&
        now - ch->latched_ns >= dp->relatch_ns) {
        uint64_t k = fp_last_ns(w, g, c); /* the latched source may be flowing in the kernel */
        if (k > ch->latched_ns) ch->latched_ns = k;
    }
    if (netaddr_is_set(&ch->latched) &&
        (dp->relatch_ns == 0 || now - ch->latched_ns < dp->relatch_ns))
        return false; /* latched elsewhere, and that source is not silent */
    ch->latched = *src;
    ch->latched_ns = now;
    update_dest(g);
    g->fp_dirty = true;
    return true;
}

/* Decide one received datagram: true = forward it. Counts every drop on the receiving gate. */
static bool admit(dp_worker_t *w, dp_gate_t *g, dp_gate_t *peer, int c, int i, uint64_t now)
{
    const uint8_t *p = w->buf[i];
    uint32_t len = w->rx[i].msg_len;
    int kind = (w->rx[i].msg_hdr.msg_flags & MSG_TRUNC) ? DP_PKT_BAD
                                                         : dp_pkt_classify(p, len, c == 1);
    if (kind == DP_PKT_BAD) return g->st.drop_malformed++, false;
    if (!source_ok(w, g, c, &w->src[i], now)) return g->st.drop_filter++, false;
    g->active_ns = now;
    if (g->hang_fired) { /* media again after a reported silence: re-arm */
        g->hang_fired = false;
        w->hang_at[g->wpos] = now + g->hang_ns;
    }
    g->st.last_rx_ms = now / 1000000u;
    if (kind == DP_PKT_RTP) dp_rtpstat_update(&g->rs, p, now);
    if (!mode_receives(g->mode)) return g->st.drop_mode++, false;
    if (!peer || !netaddr_is_set(&peer->ch[c].dest)) return g->st.drop_nopeer++, false;
    if (!mode_sends(peer->mode)) return g->st.drop_mode++, false;
    if (!dp_pol_admit(&g->pol, len, now)) return g->st.drop_policer++, false;
    g->st.pkts_in++;
    g->st.octets_in += len;
    if (kind == DP_PKT_RTCP) { /* RTCP only: the RTP path stays as it is */
        g->st.rtcp_in++;
        int64_t rtt = dp_rtt_rtcp(&g->rtt, &peer->rtt, p, len, now); /* rtp/delay */
        if (rtt >= 0) g->st.rtt_us = rtt > UINT32_MAX ? UINT32_MAX : rtt ? (uint32_t)rtt : 1;
    }
    w->kind[i] = (uint8_t)kind;
    return true;
}

/* The forwarded packets of a batch, copied for interception (tapped side(s) only). The copies
 * are only made into the sender's queue here (li/tap.h: memcpy, no system call); its own
 * thread sends them, woken at the end of the round if need be (li_kick). */
static void li_copies(dp_worker_t *w, int32_t slot, int32_t peer_slot, int c, int ntx)
{
    dp_t *dp = w->dp;
    dp_gate_t *g = &dp->gates[slot], *peer = &dp->gates[peer_slot];
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt); /* when they were relayed */
    for (int j = 0; j < ntx; j++) {
        if (!w->sent[j]) continue;
        int i = w->txidx[j];
        li_packet_t pk = {.payload = w->buf[i], .len = w->rx[i].msg_len,
                          .in_src = &w->src[i], .in_dst = &g->ch[c].local,
                          .out_src = &peer->ch[c].local, .out_dst = &peer->ch[c].dest, .ts = rt};
        if (g->tap.conf.active) {
            pk.dscp = g->dscp;
            dp->cfg.li_copy(w->li, &g->tap, LI_DIR_FROM_TARGET, &pk);
        }
        if (peer->tap.conf.active) {
            pk.dscp = peer->dscp;
            dp->cfg.li_copy(w->li, &peer->tap, LI_DIR_TO_TARGET, &pk);
        }
    }
}

static void send_batch(dp_worker_t *w, dp_gate_t *g, dp_gate_t *peer, int c, int ntx)
{
    int fd = peer->ch[c].fd, done = 0;
    while (done < ntx) {
        int r = sendmmsg(fd, w->tx + done, (unsigned)(ntx - done), MSG_DONTWAIT);
        if (r > 0) {
            for (int j = done; j < done + r; j++) w->sent[j] = true;
            done += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
            for (; done < ntx; done++) w->sent[done] = false, g->st.drop_error++;
        } else { /* this datagram failed (e.g. unreachable): skip it, send the rest */
            w->sent[done++] = false;
            g->st.drop_error++;
        }
    }
    for (int j = 0; j < ntx; j++) {
        if (!w->sent[j]) continue;
        peer->st.pkts_out++;
        peer->st.octets_out += w->txiov[j].iov_len;
        if (w->kind[w->txidx[j]] == DP_PKT_RTCP) peer->st.rtcp_out++;
    }
}

static void relay_batch(dp_worker_t *w, int32_t slot, int c, int n, uint64_t now)
{
    dp_t *dp = w->dp;
    dp_gate_t *g = &dp->gates[slot];
    dp_gate_t *peer = g->peer >= 0 ? &dp->gates[g->peer] : NULL;
    int ntx = 0;
    for (int i = 0; i < n; i++) {
        if (!admit(w, g, peer, c, i, now)) continue;
        const netaddr_t *dst = &peer->ch[c].dest;
        w->txiov[ntx] = (struct iovec){w->buf[i], w->rx[i].msg_len};
        w->tx[ntx].msg_hdr = (struct msghdr){.msg_name = (void *)dst, .msg_namelen = netaddr_len(dst),
                                             .msg_iov = &w->txiov[ntx], .msg_iovlen = 1};
        w->txidx[ntx++] = (uint16_t)i;
    }
    mark_dirty(w, g, slot);
    if (ntx > 0 && c == 0 && !g->fp_media && dp->fp) { /* media: the kernel may carry it */
        g->fp_media = true;
        g->fp_dirty = true;
    }
    if (g->fp_dirty) fp_sync(w, slot); /* a new latch: the kernel may carry what follows */
    if (ntx == 0) return;
    send_batch(w, g, peer, c, ntx);
    mark_dirty(w, peer, g->peer);
    if (dp->cfg.li_copy && w->li && (g->tap.conf.active || peer->tap.conf.active))
        li_copies(w, slot, g->peer, c, ntx);
}

/* Datagrams reaching a parked pair belong to no gate (the previous call's peer still
 * sending, strays): read and dropped as they come, so none is waiting for the next gate on
 * the port to relay or latch onto. */
static void discard_parked(dp_worker_t *w, int32_t pair, int c)
{
    int fd = w->pair_fd[pair * 2 + c];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < DP_BATCH; i++) w->rx[i].msg_hdr.msg_namelen = sizeof(netaddr_t);
        int n = recvmmsg(fd, w->rx, DP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        w->parked_drops += (uint64_t)n;
        if (n < DP_BATCH) return;
    }
}

static void on_readable(dp_worker_t *w, uint64_t tag, uint64_t now)
{
    int32_t pair = (int32_t)(tag >> 1);
    int c = (int)(tag & 1);
    int32_t slot = w->pair_slot[pair];
    if (slot < 0) {
        if (slot == DP_PAIR_PARKED) discard_parked(w, pair, c);
        return;
    }
    dp_gate_t *g = &w->dp->gates[slot];
    for (int round = 0; round < 4; round++) { /* bounded: other sockets get their turn */
        for (int i = 0; i < DP_BATCH; i++) w->rx[i].msg_hdr.msg_namelen = sizeof(netaddr_t);
        int n = recvmmsg(g->ch[c].fd, w->rx, DP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        relay_batch(w, slot, c, n, now);
        if (n < DP_BATCH) return;
        now = dp_now_ns();
    }
}

/* ---- hanging terminations ---- */

/* hang_at[k] is a lower bound of when gate list[k] may expire (UINT64_MAX: off or already
 * reported), so a scan reads 8 bytes per gate and touches a gate only when its bound passes. */
static void hang_scan(dp_worker_t *w, uint64_t now)
{
    dp_t *dp = w->dp;
    bool any = false;
    for (uint32_t k = 0; k < w->nlist; k++) {
        if (now < w->hang_at[k]) continue;
        dp_gate_t *g = &dp->gates[w->list[k]];
        uint64_t kn = fp_last_ns(w, g, -1); /* media the kernel relayed counts as activity */
        if (kn > g->active_ns) g->active_ns = kn;
        if (now - g->active_ns < g->hang_ns) { /* media since: move the bound */
            w->hang_at[k] = g->active_ns + g->hang_ns;
            continue;
        }
        dp_event_t ev = {.type = DP_EV_HANGTERM, .gate_id = g->gate_id};
        if (dp_ring_push(&w->ev, &ev)) {
            g->hang_fired = true;
            w->hang_at[k] = UINT64_MAX;
            any = true;
        } else {
            w->ev_lost++; /* retried at the next scan */
        }
    }
    if (any) {
        uint64_t one = 1;
        (void)!write(dp->evfd, &one, sizeof(one));
    }
}

static void worker_setup(dp_worker_t *w)
{
    for (int i = 0; i < DP_BATCH; i++) {
        w->rxiov[i] = (struct iovec){w->buf[i], DP_PKT_MAX};
        w->rx[i].msg_hdr = (struct msghdr){.msg_name = &w->src[i], .msg_namelen = sizeof(netaddr_t),
                                           .msg_iov = &w->rxiov[i], .msg_iovlen = 1};
    }
}

static void worker_shutdown(dp_worker_t *w)
{
    while (w->nlist) gate_close(w, w->list[w->nlist - 1]);
}

void *dp_worker_main(void *arg)
{
    dp_worker_t *w = arg;
    struct epoll_event evs[DP_EVENTS];
    worker_setup(w);
    w->next_scan_ns = dp_now_ns() + DP_SCAN_MS * 1000000ull;
    for (;;) {
        /* announce the sleep, then look at the ring once more (see send_msg): a request
         * queued meanwhile is either seen here or answered by a wakefd write */
        atomic_store_explicit(&w->sleeping, true, memory_order_release); /* after publish */
        atomic_thread_fence(memory_order_seq_cst);
        int n = epoll_wait(w->epfd, evs, DP_EVENTS, dp_ring_empty(&w->in) ? DP_SCAN_MS : 0);
        atomic_store_explicit(&w->sleeping, false, memory_order_relaxed);
        /* pairs with worker_idle(): the control thread sees us awake, or we see its request
         * before the packets of this round */
        atomic_thread_fence(memory_order_seq_cst);
        uint64_t now = dp_now_ns();
        /* requests first: one queued before a packet was sent applies to that packet */
        for (int i = 0; i < n; i++)
            if (evs[i].data.u64 == TAG_WAKE) {
                uint64_t v;
                (void)!read(w->wakefd, &v, sizeof(v));
            }
        if (!drain_ring(w, now)) break;
        for (int i = 0; i < n; i++)
            if (evs[i].data.u64 != TAG_WAKE) on_readable(w, evs[i].data.u64, now);
        if (w->li && w->dp->cfg.li_kick) /* wakes the sender if this round queued copies */
            w->dp->cfg.li_kick(w->li);
        for (uint32_t k = 0; k < w->ndirty; k++)
            if (w->dp->gates[w->dirty[k]].dirty) publish(w->dp, w->dirty[k]);
        w->ndirty = 0;
        if (now >= w->next_scan_ns) {
            hang_scan(w, now);
            w->next_scan_ns = now + DP_SCAN_MS * 1000000ull;
        }
    }
    worker_shutdown(w);
    return NULL;
}
