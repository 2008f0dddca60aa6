/* dp.c - the data plane's control side: starts the workers, binds each gate's RTP and RTCP
 * sockets (or lends it a parked pair from the socket pool), places gates on workers (by
 * ctx_id, so peers share a worker; a Move hands a gate over to its new peer's worker),
 * queues requests on the workers' rings, wakes the workers once per batch, and reads
 * statistics and events back without locks.
 * Runs in the control-plane thread only (see dp.h); owns the slot allocator and the
 * gate_id / context lookup tables. */
#include "dp/dp_int.h"

#include <errno.h>
#include <netinet/ip.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* ---- lookup tables (control thread) ---- */

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
}

static uint32_t ctx_key(uint32_t ctx_id, uint16_t stream_id)
{
    return hash32(ctx_id ^ hash32(stream_id + 0x9e3779b9U));
}

static int32_t find_slot(const dp_t *dp, uint32_t gate_id)
{
    for (int32_t s = dp->h_id[hash32(gate_id) & dp->hmask]; s >= 0; s = dp->ctl[s].next_id)
        if (dp->ctl[s].gate_id == gate_id) return s;
    return -1;
}

/* An open gate of the same context and stream that has no peer yet. */
static int32_t find_peer(const dp_t *dp, uint32_t ctx_id, uint16_t stream_id)
{
    for (int32_t s = dp->h_ctx[ctx_key(ctx_id, stream_id) & dp->hmask]; s >= 0;
         s = dp->ctl[s].next_ctx)
        if (dp->ctl[s].ctx_id == ctx_id && dp->ctl[s].stream_id == stream_id &&
            dp->ctl[s].peer < 0)
            return s;
    return -1;
}

static void unlink_chain(dp_t *dp, int32_t *head, int32_t slot, bool by_id)
{
    int32_t *pp = head;
    while (*pp >= 0 && *pp != slot) pp = by_id ? &dp->ctl[*pp].next_id : &dp->ctl[*pp].next_ctx;
    if (*pp == slot) *pp = by_id ? dp->ctl[slot].next_id : dp->ctl[slot].next_ctx;
}

/* ---- start / stop ---- */

static void raise_nofile(uint32_t max_gates, unsigned nworkers)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)max_gates * 4 + nworkers * 2 + 256; /* in use + parked pairs */
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need) return;
    if (rl.rlim_max < need) {
        struct rlimit hard = {need, need};
        if (setrlimit(RLIMIT_NOFILE, &hard) == 0) return;
        LOG_WARN("dp: RLIMIT_NOFILE hard limit %llu < %llu needed for %u gates",
                 (unsigned long long)rl.rlim_max, (unsigned long long)need, max_gates);
    }
    rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static int worker_init(dp_t *dp, dp_worker_t *w, unsigned idx)
{
    w->dp = dp;
    w->idx = idx;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->wakefd < 0) return -errno;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev) < 0) return -errno;
    if (dp_ring_init(&w->in, DP_RING, sizeof(dp_msg_t)) < 0 ||
        dp_ring_init(&w->ev, DP_EVRING, sizeof(dp_event_t)) < 0)
        return -ENOMEM;
    w->list = calloc(dp->max_gates, sizeof(*w->list));
    w->dirty = calloc(dp->max_gates, sizeof(*w->dirty));
    w->hang_at = calloc(dp->max_gates, sizeof(*w->hang_at));
    w->pair_slot = malloc((size_t)dp->max_gates * 2 * sizeof(*w->pair_slot));
    w->pair_fd = calloc((size_t)dp->max_gates * 4, sizeof(*w->pair_fd));
    if (!w->pair_slot || !w->pair_fd) return -ENOMEM;
    for (uint32_t i = 0; i < dp->max_gates * 2; i++) w->pair_slot[i] = DP_PAIR_NONE;
    w->buf = aligned_alloc(DP_CACHELINE, (size_t)DP_BATCH * DP_PKT_MAX);
    if (!w->list || !w->dirty || !w->hang_at || !w->buf) return -ENOMEM;
    if (dp->fp && !(w->fpbuf = calloc(1, dp_fp_stat_bufsize(dp->fp)))) return -ENOMEM;
    if (dp->cfg.li_sender_for_worker) w->li = dp->cfg.li_sender_for_worker(idx, dp->cfg.li_arg);
    return 0;
}

static void worker_free(dp_worker_t *w)
{
    if (w->epfd > 0) close(w->epfd);
    if (w->wakefd > 0) close(w->wakefd);
    dp_ring_free(&w->in);
    dp_ring_free(&w->ev);
    free(w->list);
    free(w->dirty);
    free(w->hang_at);
    free(w->pair_slot);
    free(w->pair_fd);
    free(w->buf);
    free(w->fpbuf);
}

static void dp_free(dp_t *dp)
{
    for (unsigned i = 0; dp->w && i < dp->nworkers; i++) worker_free(&dp->w[i]);
    for (uint32_t i = 0; dp->pairs && i < dp->npairs; i++) /* after the workers stopped */
        for (int c = 0; c < 2; c++)
            if (dp->pairs[i].fd[c] >= 0) close(dp->pairs[i].fd[c]);
    free(dp->pairs);
    free(dp->h_pair);
    free(dp->pend);
    if (dp->evfd > 0) close(dp->evfd);
    dp_fp_close(dp->fp); /* after the workers: they withdraw nothing once stopped */
    free(dp->fpbuf);
    free(dp->w);
    free(dp->gates);
    free(dp->pub);
    free(dp->ctl);
    free(dp->free_slots);
    free(dp->h_id);
    free(dp->h_ctx);
    free(dp);
}

static int alloc_pools(dp_t *dp)
{
    uint32_t n = dp->max_gates, h = 16;
    while (h < n) h <<= 1;
    dp->hmask = h - 1;
    dp->gates = aligned_alloc(DP_CACHELINE, ((sizeof(dp_gate_t) * n + 63) / 64) * 64);
    dp->pub = aligned_alloc(DP_CACHELINE, ((sizeof(dp_pub_t) * n + 63) / 64) * 64);
    dp->ctl = calloc(n, sizeof(*dp->ctl));
    dp->free_slots = calloc(n, sizeof(*dp->free_slots));
    dp->h_id = malloc(h * sizeof(int32_t));
    dp->h_ctx = malloc(h * sizeof(int32_t));
    dp->w = aligned_alloc(DP_CACHELINE, ((sizeof(dp_worker_t) * dp->nworkers + 63) / 64) * 64);
    dp->pairs = calloc((size_t)n * 2, sizeof(*dp->pairs));
    dp->h_pair = malloc(h * 2 * sizeof(int32_t));
    dp->pend = calloc(n, sizeof(*dp->pend));
    if (!dp->gates || !dp->pub || !dp->ctl || !dp->free_slots || !dp->h_id || !dp->h_ctx ||
        !dp->w || !dp->pairs || !dp->h_pair || !dp->pend)
        return -ENOMEM;
    memset(dp->h_pair, 0xff, h * 2 * sizeof(int32_t));
    dp->lru_head = dp->lru_tail = -1;
    memset(dp->gates, 0, sizeof(dp_gate_t) * n);
    memset(dp->pub, 0, sizeof(dp_pub_t) * n);
    memset(dp->w, 0, sizeof(dp_worker_t) * dp->nworkers);
    memset(dp->h_id, 0xff, h * sizeof(int32_t));
    memset(dp->h_ctx, 0xff, h * sizeof(int32_t));
    for (uint32_t i = 0; i < n; i++) {
        dp->free_slots[i] = (int32_t)(n - 1 - i);
        dp->gates[i].ch[0].fd = dp->gates[i].ch[1].fd = -1;
        dp->gates[i].peer = -1;
    }
    dp->nfree = n;
    return 0;
}

dp_t *dp_start(const dp_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->max_gates == 0 || cfg->max_gates > (1u << 30)) {
        snprintf(err, errlen, "max_gates must be 1..%u", 1u << 30);
        return NULL;
    }
    dp_t *dp = calloc(1, sizeof(*dp));
    if (!dp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    dp->cfg = *cfg;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    dp->nworkers = cfg->workers ? cfg->workers : (unsigned)(ncpu > 0 ? ncpu : 1);
    if (dp->nworkers > 256) dp->nworkers = 256;
    dp->max_gates = cfg->max_gates;
    dp->relatch_ns = (uint64_t)cfg->relatch_idle_ms * 1000000u;
    dp->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int rc = dp->evfd < 0 ? -errno : alloc_pools(dp);
    if (rc == 0 && cfg->fast_path == DP_FAST_PATH_TC) {
        dp->fp = dp_fp_open(dp->max_gates, err, errlen);
        if (!dp->fp) {
            dp_free(dp);
            return NULL;
        }
        dp->fpbuf = calloc(1, dp_fp_stat_bufsize(dp->fp));
        if (!dp->fpbuf) rc = -ENOMEM;
    }
    for (unsigned i = 0; rc == 0 && i < dp->nworkers; i++) rc = worker_init(dp, &dp->w[i], i);
    if (rc < 0) {
        snprintf(err, errlen, "data plane start: %s", strerror(-rc));
        dp_free(dp);
        return NULL;
    }
    raise_nofile(dp->max_gates, dp->nworkers);
    for (unsigned i = 0; i < dp->nworkers; i++) {
        rc = pthread_create(&dp->w[i].th, NULL, dp_worker_main, &dp->w[i]);
        if (rc != 0) {
            snprintf(err, errlen, "worker thread: %s", strerror(rc));
            dp_stop(dp);
            return NULL;
        }
        dp->w[i].started = true;
    }
    return dp;
}

/* Wake worker w if it sleeps.
 * No lost wake-up: the worker sets w->sleeping, fences (seq_cst), then checks its ring
 * before blocking; here every push is followed by a seq_cst fence, then sleeping is read.
 * Either the worker sees the request, or this side sees sleeping and writes wakefd. */
static void kick(dp_worker_t *w)
{
    uint64_t one = 1;
    w->unkicked = false;
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&w->sleeping, memory_order_acquire))
        (void)!write(w->wakefd, &one, sizeof(one));
}

/* Queue a request for a worker; wake it now, or at the next dp_flush (defer_wake). The ring
 * only fills when the worker is far behind; then the control thread waits for room. */
static uint64_t send_msg(dp_t *dp, unsigned wi, dp_msg_t *m)
{
    dp_worker_t *w = &dp->w[wi];
    m->seq = ++dp->seq;
    uint64_t one = 1;
    while (!dp_ring_push(&w->in, m)) {
        (void)!write(w->wakefd, &one, sizeof(one));
        sched_yield();
    }
    w->last_seq = m->seq;
    if (dp->cfg.defer_wake) w->unkicked = true;
    else kick(w);
    return m->seq;
}

void dp_flush(dp_t *dp)
{
    for (unsigned i = 0; i < dp->nworkers; i++)
        if (dp->w[i].unkicked) kick(&dp->w[i]);
}

/* Wait until worker wi has applied request seq. */
static void wait_done(dp_t *dp, unsigned wi, uint64_t seq)
{
    struct timespec ts = {0, 20000};
    if (atomic_load_explicit(&dp->w[wi].done, memory_order_acquire) >= seq) return;
    kick(&dp->w[wi]);
    for (unsigned i = 0; atomic_load_explicit(&dp->w[wi].done, memory_order_acquire) < seq; i++)
        if (i < 64) sched_yield();
        else nanosleep(&ts, NULL);
}

void dp_sync(dp_t *dp)
{
    for (unsigned i = 0; i < dp->nworkers; i++) {
        dp_worker_t *w = &dp->w[i];
        uint64_t last = atomic_load_explicit(&w->done, memory_order_acquire);
        /* the ring is FIFO: the newest request queued for w is the one to wait for */
        if (w->last_seq > last) wait_done(dp, i, w->last_seq);
    }
}

/* True when worker wi has published everything it did and will apply the requests queued
 * so far before it touches another packet: it sleeps, or is about to (dp_worker_main
 * publishes each round before it sets sleeping, and applies requests before packets). */
static bool worker_idle(dp_t *dp, unsigned wi)
{
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&dp->w[wi].sleeping, memory_order_acquire);
}

void dp_stop(dp_t *dp)
{
    if (!dp) return;
    for (unsigned i = 0; i < dp->nworkers; i++) {
        if (!dp->w[i].started) continue;
        dp_msg_t m = {.type = DP_MSG_STOP};
        send_msg(dp, i, &m);
        kick(&dp->w[i]);
        pthread_join(dp->w[i].th, NULL);
    }
    dp_free(dp);
}

/* ---- gates ---- */

int dp_set_dscp(int fd, int family, uint8_t dscp)
{
    int tos = (dscp & 0x3f) << 2;
    if (family == AF_INET6) return setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
    return setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
}

static int bind_one(const netaddr_t *local, uint16_t port, uint8_t dscp)
{
    netaddr_t a = *local;
    netaddr_set_port(&a, port);
    int fam = netaddr_family(&a);
    int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (fam == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    dp_set_dscp(fd, fam, dscp);
    if (bind(fd, &a.u.sa, netaddr_len(&a)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* ---- socket pool (control thread) ---- */

static uint32_t addr_hash(const netaddr_t *a)
{
    uint32_t h = hash32((uint32_t)netaddr_family(a) << 16 ^ netaddr_port(a));
    uint32_t w[4] = {0};
    if (netaddr_family(a) == AF_INET) memcpy(w, &a->u.v4.sin_addr, 4);
    else memcpy(w, &a->u.v6.sin6_addr, 16);
    for (int i = 0; i < 4; i++) h = hash32(h ^ w[i]);
    return h;
}

static int32_t *pair_head(dp_t *dp, const netaddr_t *local)
{
    return &dp->h_pair[addr_hash(local) & (dp->hmask * 2 + 1)];
}

static int32_t pair_find(dp_t *dp, const netaddr_t *local)
{
    for (int32_t i = *pair_head(dp, local); i >= 0; i = dp->pairs[i].next)
        if (netaddr_equal(&dp->pairs[i].local, local)) return i;
    return -1;
}

static void lru_unlink(dp_t *dp, int32_t i)
{
    dp_pair_t *p = &dp->pairs[i];
    if (p->lru_prev >= 0) dp->pairs[p->lru_prev].lru_next = p->lru_next;
    else dp->lru_head = p->lru_next;
    if (p->lru_next >= 0) dp->pairs[p->lru_next].lru_prev = p->lru_prev;
    else dp->lru_tail = p->lru_prev;
    p->lru_prev = p->lru_next = -1;
}

static void lru_append(dp_t *dp, int32_t i)
{
    dp_pair_t *p = &dp->pairs[i];
    p->lru_next = -1;
    p->lru_prev = dp->lru_tail;
    if (dp->lru_tail >= 0) dp->pairs[dp->lru_tail].lru_next = i;
    else dp->lru_head = i;
    dp->lru_tail = i;
}

/* Close the oldest parked pair and free its entry: its worker closes the sockets (it may
 * hold an event of theirs for the round it is in), this side waits for that. */
static int32_t pair_evict(dp_t *dp)
{
    int32_t i = dp->lru_head;
    if (i < 0) return -1;
    dp_pair_t *p = &dp->pairs[i];
    lru_unlink(dp, i);
    int32_t *pp = pair_head(dp, &p->local);
    while (*pp != i) pp = &dp->pairs[*pp].next;
    *pp = p->next;
    if (p->worker >= 0) {
        dp_msg_t m = {.type = DP_MSG_EVICT, .pair = i, .fd = {p->fd[0], p->fd[1]}};
        wait_done(dp, (unsigned)p->worker, send_msg(dp, (unsigned)p->worker, &m));
    } else {
        close(p->fd[0]);
        close(p->fd[1]);
    }
    p->fd[0] = p->fd[1] = -1;
    return i;
}

/* The socket pair for a gate on req->local: a parked one, or one bound now (marking
 * req->dscp). Returns the pair's index or -errno. */
static int32_t pair_get(dp_t *dp, const dp_gate_req_t *req)
{
    int32_t i = pair_find(dp, &req->local);
    if (i >= 0) {
        dp_pair_t *p = &dp->pairs[i];
        if (p->in_use) return -EADDRINUSE;
        lru_unlink(dp, i);
        p->in_use = true;
        return i;
    }
    uint16_t port = netaddr_port(&req->local);
    int rtp = bind_one(&req->local, port, req->dscp);
    if (rtp < 0) return rtp;
    int rtcp = bind_one(&req->local, (uint16_t)(port + 1), req->dscp);
    if (rtcp < 0) {
        close(rtp);
        return rtcp;
    }
    if (dp->npairs < dp->max_gates * 2) {
        i = (int32_t)dp->npairs++;
    } else {
        i = pair_evict(dp); /* in use <= max_gates, so at least max_gates are parked */
    }
    dp_pair_t *p = &dp->pairs[i];
    *p = (dp_pair_t){.local = req->local, .fd = {rtp, rtcp}, .dscp = req->dscp, .in_use = true,
                     .worker = -1, .lru_prev = -1, .lru_next = -1};
    int32_t *head = pair_head(dp, &req->local);
    p->next = *head;
    *head = i;
    return i;
}

/* Slots of closed gates go back to the free list once their worker applied the CLOSE. */
static void reclaim_slots(dp_t *dp, bool wait)
{
    while (dp->npend > 0) {
        dp_pend_t *q = &dp->pend[dp->pend_head];
        if (atomic_load_explicit(&dp->w[q->worker].done, memory_order_acquire) < q->seq) {
            if (!wait) return;
            wait_done(dp, q->worker, q->seq);
            wait = false;
        }
        dp->free_slots[dp->nfree++] = q->slot;
        dp->pend_head = (dp->pend_head + 1) % dp->max_gates;
        dp->npend--;
    }
}

unsigned dp_ctx_worker(const dp_t *dp, uint32_t ctx_id)
{
    return hash32(ctx_id) % dp->nworkers;
}

int dp_gate_open(dp_t *dp, const dp_gate_req_t *req)
{
    if (req->gate_id == 0 || !netaddr_is_set(&req->local)) return -EINVAL;
    uint16_t port = netaddr_port(&req->local);
    if (port == 0 || (port & 1)) return -EINVAL;
    if (find_slot(dp, req->gate_id) >= 0) return -EEXIST;
    if (dp->count >= dp->max_gates) return -ENOSPC;
    reclaim_slots(dp, dp->nfree == 0);
    int32_t pi = pair_get(dp, req);
    if (pi < 0) return pi;
    dp_pair_t *pair = &dp->pairs[pi];
    bool set_dscp = pair->dscp != req->dscp; /* a parked pair marked another gate's DSCP */
    pair->dscp = req->dscp;
    int32_t slot = dp->free_slots[--dp->nfree];
    dp_ctl_t *c = &dp->ctl[slot];
    c->used = true;
    c->gate_id = req->gate_id;
    c->ctx_id = req->ctx_id;
    c->stream_id = req->stream_id;
    c->pair = pi;
    c->peer = find_peer(dp, req->ctx_id, req->stream_id);
    if (c->peer >= 0) dp->ctl[c->peer].peer = slot;
    /* peers share a worker; a context's first gate goes where its pair is registered, so
     * that taking the pair over costs nothing */
    if (c->peer >= 0) c->worker = dp->ctl[c->peer].worker;
    else if (pair->worker >= 0) c->worker = (uint16_t)pair->worker;
    else c->worker = (uint16_t)dp_ctx_worker(dp, req->ctx_id);
    int from = pair->worker;
    if (from >= 0 && from != c->worker)
        wait_done(dp, (unsigned)from, pair->park_seq); /* its last gate there is closed */
    pair->worker = c->worker;
    uint32_t hi = hash32(req->gate_id) & dp->hmask, hc = ctx_key(req->ctx_id, req->stream_id) & dp->hmask;
    c->next_id = dp->h_id[hi];
    dp->h_id[hi] = slot;
    c->next_ctx = dp->h_ctx[hc];
    dp->h_ctx[hc] = slot;
    /* no writer yet (the slot is free): publish where the gate will send, so an audit right
     * after the open does not depend on the worker having run */
    bool fp_used = atomic_load_explicit(&dp->pub[slot].fp_used, memory_order_acquire);
    memset(&dp->pub[slot], 0, sizeof(dp->pub[slot]));
    dp_gate_stats_t init = {0};
    if (netaddr_port(&req->remote_rtp)) init.latched_rtp = req->remote_rtp;
    if (netaddr_port(&req->remote_rtcp)) init.latched_rtcp = req->remote_rtcp;
    else if (netaddr_is_set(&init.latched_rtp)) {
        init.latched_rtcp = init.latched_rtp;
        netaddr_set_port(&init.latched_rtcp, (uint16_t)(netaddr_port(&req->remote_rtp) + 1));
    }
    dp_pub_write(&dp->pub[slot], &init);
    int fp_if = 0;
    if (dp->fp) { /* counters start at zero; the program watches the local interface */
        if (fp_used) dp_fp_stat_reset(dp->fp, (uint32_t)slot);
        fp_if = dp_fp_prepare(dp->fp, &req->local);
        if (fp_if < 0) {
            LOG_WARN("dp: fast path not attached for a gate: %s", strerror(-fp_if));
            fp_if = 0;
        }
    }
    dp->count++;
    dp_msg_t m = {.type = DP_MSG_OPEN, .slot = slot, .peer = c->peer, .pair = pi,
                  .from_worker = from, .fd = {pair->fd[0], pair->fd[1]}, .set_dscp = set_dscp,
                  .fp_if = fp_if, .req = *req};
    send_msg(dp, c->worker, &m);
    return 0;
}

/* Has the kernel fast path carried gate `slot` (-1: none) since its open? */
static bool fp_used(const dp_t *dp, int32_t slot)
{
    return dp->fp && slot >= 0 && atomic_load_explicit(&dp->pub[slot].fp_used, memory_order_acquire);
}

/* DP_MOD_CONTEXT, control side: the gate leaves its context's chain and its peer and joins
 * ctx_id, paired with the unpaired gate of its stream there (new_peer, or -1). Peers share a
 * worker: when the new peer lives on another worker the gate follows it, handed over in two
 * steps so that only one worker owns it at a time: DETACH on its worker (out of the fast
 * path with its old peer, unpaired, out of that epoll and gate list), waited for, then the
 * MODIFY on the new peer's worker takes it in. Returns the worker that gave the gate up, or
 * -1 when it stays where it is. */
static int rejoin(dp_t *dp, int32_t slot, uint32_t ctx_id, int32_t new_peer)
{
    dp_ctl_t *c = &dp->ctl[slot];
    unlink_chain(dp, &dp->h_ctx[ctx_key(c->ctx_id, c->stream_id) & dp->hmask], slot, false);
    if (c->peer >= 0) dp->ctl[c->peer].peer = -1;
    c->ctx_id = ctx_id;
    c->peer = new_peer;
    if (new_peer >= 0) dp->ctl[new_peer].peer = slot;
    uint32_t hc = ctx_key(ctx_id, c->stream_id) & dp->hmask;
    c->next_ctx = dp->h_ctx[hc];
    dp->h_ctx[hc] = slot;
    if (new_peer < 0 || dp->ctl[new_peer].worker == c->worker) return -1;
    unsigned from = c->worker;
    dp_msg_t d = {.type = DP_MSG_DETACH, .slot = slot};
    wait_done(dp, from, send_msg(dp, from, &d));
    c->worker = dp->ctl[new_peer].worker;
    dp->pairs[c->pair].worker = c->worker; /* its sockets are registered there from now on */
    return (int)from;
}

int dp_gate_modify(dp_t *dp, const dp_gate_req_t *req, unsigned what)
{
    int32_t slot = find_slot(dp, req->gate_id);
    if (slot < 0) return -ENOENT;
    dp_ctl_t *c = &dp->ctl[slot];
    if ((what & DP_MOD_CONTEXT) && req->ctx_id == c->ctx_id) {
        what &= ~(unsigned)DP_MOD_CONTEXT; /* already there: nothing moves */
        if (what == 0) return 0;
    }
    int32_t new_peer = (what & DP_MOD_CONTEXT) ? find_peer(dp, req->ctx_id, c->stream_id) : -1;
    if (what & DP_MOD_DSCP) dp->pairs[c->pair].dscp = req->dscp;
    /* no packet relayed in the kernel under the old settings from here on (fp_withdraw);
     * a Move also changes the old peer's output and the new peer's */
    if (dp->fp && what != DP_MOD_HANG &&
        (fp_used(dp, slot) || fp_used(dp, c->peer) || fp_used(dp, new_peer))) {
        dp_fp_hold(dp->fp, (uint32_t)slot, 1);
        if (c->peer >= 0) dp_fp_hold(dp->fp, (uint32_t)c->peer, 1);
        if (new_peer >= 0) dp_fp_hold(dp->fp, (uint32_t)new_peer, 1);
    }
    dp_msg_t m = {.type = DP_MSG_MODIFY, .slot = slot, .what = what, .peer = -1,
                  .from_worker = -1, .req = *req};
    if (what & DP_MOD_CONTEXT) {
        m.peer = new_peer;
        m.from_worker = rejoin(dp, slot, req->ctx_id, new_peer);
    }
    send_msg(dp, c->worker, &m);
    return 0;
}

/* What the worker published plus what the kernel fast path relayed for the gate: the
 * control plane sees the same numbers whichever path carried the packets. While the gate's
 * RTP channel is offloaded (fp_arm set) its loss and jitter come from the kernel's state,
 * less the packets of that stream the worker still counted (see publish in dp_worker.c). */
static void read_stats(dp_t *dp, int32_t slot, dp_gate_stats_t *out)
{
    dp_pub_read(&dp->pub[slot], out);
    uint64_t side = 0;
    if (out->rtp_lost & DP_FP_SIDE) {
        side = out->rtp_lost & ~DP_FP_SIDE;
        out->rtp_lost = 0;
    }
    struct fp_stat f;
    if (!fp_used(dp, slot) || dp_fp_stat_read(dp->fp, (uint32_t)slot, &f, dp->fpbuf) < 0) return;
    out->pkts_in += f.pkts_in;
    out->octets_in += f.octets_in;
    out->pkts_out += f.pkts_out;
    out->octets_out += f.octets_out;
    out->drop_policer += f.drop_policer;
    out->fast_pkts_in = f.pkts_in;
    uint64_t ms = f.last_ns / 1000000u; /* both CLOCK_MONOTONIC */
    if (ms > out->last_rx_ms) out->last_rx_ms = ms;
    dp_rtpstat_t k;
    uint32_t arm = FP_ARM_OFF;
    if (dp_fp_rtp_get(dp->fp, (uint32_t)slot, &k, NULL, &arm) == 0 && arm != FP_ARM_OFF) {
        uint64_t lost = dp_rtpstat_lost(&k);
        out->rtp_lost = lost > side ? lost - side : 0;
        out->jitter_us = dp_rtpstat_jitter_us(&k);
    }
}

int dp_gate_close(dp_t *dp, uint32_t gate_id, dp_gate_stats_t *final)
{
    int32_t slot = find_slot(dp, gate_id);
    if (slot < 0) return -ENOENT;
    dp_ctl_t *c = &dp->ctl[slot];
    unsigned wi = c->worker;
    dp_msg_t m = {.type = DP_MSG_CLOSE, .slot = slot};
    uint64_t seq = send_msg(dp, wi, &m);
    if (final) {
        /* an idle worker has published every packet of the gate and drops the gate before
         * its next packet: what is published now is final. A busy worker, or counters in
         * the kernel (the gate or its peer offloaded) that run until the worker withdraws
         * the gate, are waited for. */
        if (fp_used(dp, slot) || fp_used(dp, c->peer) || !worker_idle(dp, wi))
            wait_done(dp, wi, seq);
        read_stats(dp, slot, final);
    }
    unlink_chain(dp, &dp->h_id[hash32(gate_id) & dp->hmask], slot, true);
    unlink_chain(dp, &dp->h_ctx[ctx_key(c->ctx_id, c->stream_id) & dp->hmask], slot, false);
    if (c->peer >= 0) dp->ctl[c->peer].peer = -1;
    c->used = false;
    c->peer = -1;
    dp_pair_t *p = &dp->pairs[c->pair];
    p->in_use = false;
    p->park_seq = seq;
    lru_append(dp, c->pair);
    dp->pend[(dp->pend_head + dp->npend++) % dp->max_gates] = (dp_pend_t){slot, (uint16_t)wi, seq};
    dp->count--;
    return 0;
}

int dp_gate_stats(dp_t *dp, uint32_t gate_id, dp_gate_stats_t *out)
{
    int32_t slot = find_slot(dp, gate_id);
    if (slot < 0) return -ENOENT;
    read_stats(dp, slot, out);
    return 0;
}

int dp_poll_events(dp_t *dp, dp_event_t *ev, int max)
{
    uint64_t v;
    int n = 0;
    (void)!read(dp->evfd, &v, sizeof(v));
    for (unsigned i = 0; i < dp->nworkers && n < max; i++)
        while (n < max && dp_ring_pop(&dp->w[i].ev, &ev[n])) n++;
    if (n == max) { /* maybe more: keep the fd readable */
        v = 1;
        (void)!write(dp->evfd, &v, sizeof(v));
    }
    return n;
}

int dp_event_fd(dp_t *dp)
{
    return dp->evfd;
}

uint32_t dp_gate_count(dp_t *dp)
{
    return dp->count;
}
