/* txn.c - Annex D.1 transaction bookkeeping (see txn.h). Control-plane thread only.
 * Incoming: a chained hash table on (peer, transaction id) plus a FIFO of stored replies in
 * the order they were stored, so LONG-TIMER expiry only looks at the head. Outgoing: a short
 * list of outstanding requests (registration, Notify), each with its own back-off. */
#include "mg/txn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { IN_EXECUTING = 1, IN_REPLIED = 2 };

typedef struct in_ent in_ent_t;
struct in_ent {
    in_ent_t *hnext;       /* hash chain */
    in_ent_t *prev, *next; /* FIFO of stored replies (IN_REPLIED only) */
    netaddr_t peer;
    uint32_t tid;
    uint8_t state;
    uint64_t expire;
    size_t len;
    char *reply;
};

typedef struct out_ent out_ent_t;
struct out_ent {
    out_ent_t *next;
    uint32_t tid;
    netaddr_t peer;
    char *msg;
    size_t len;
    uint32_t tries, interval, pendings;
    bool gave_up;
    uint64_t due;
    mg_txn_out_fn done;
    void *arg;
};

struct mg_txn {
    mg_txn_timers_t tm;
    in_ent_t **buckets;
    size_t nbuckets; /* power of two */
    size_t nin, nstored;
    in_ent_t *fifo_head, *fifo_tail;
    out_ent_t *out;
    size_t nout;
    uint32_t next_tid;
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static size_t hash_key(const mg_txn_t *t, const netaddr_t *peer, uint32_t tid)
{
    uint64_t h = tid;
    if (netaddr_family(peer) == AF_INET) {
        h ^= (uint64_t)peer->u.v4.sin_addr.s_addr << 16;
    } else if (netaddr_family(peer) == AF_INET6) {
        uint64_t w[2];
        memcpy(w, &peer->u.v6.sin6_addr, 16);
        h ^= mix(w[0]) ^ w[1];
    }
    h ^= (uint64_t)netaddr_port(peer) << 48;
    return (size_t)mix(h) & (t->nbuckets - 1);
}

mg_txn_t *mg_txn_new(const mg_txn_timers_t *tm)
{
    mg_txn_t *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    t->tm = *tm;
    t->nbuckets = 1024;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->next_tid = 1;
    return t;
}

void mg_txn_set_timers(mg_txn_t *t, const mg_txn_timers_t *tm)
{
    t->tm = *tm;
}

static void grow(mg_txn_t *t)
{
    size_t nb = t->nbuckets * 2;
    in_ent_t **b = calloc(nb, sizeof(*b));
    if (!b) return; /* keep the longer chains */
    in_ent_t **old = t->buckets;
    size_t oldn = t->nbuckets;
    t->buckets = b;
    t->nbuckets = nb;
    for (size_t i = 0; i < oldn; i++)
        for (in_ent_t *e = old[i], *nx; e; e = nx) {
            nx = e->hnext;
            size_t h = hash_key(t, &e->peer, e->tid);
            e->hnext = b[h];
            b[h] = e;
        }
    free(old);
}

static in_ent_t **find_slot(mg_txn_t *t, const netaddr_t *peer, uint32_t tid)
{
    in_ent_t **pp = &t->buckets[hash_key(t, peer, tid)];
    for (; *pp; pp = &(*pp)->hnext)
        if ((*pp)->tid == tid && netaddr_equal(&(*pp)->peer, peer)) return pp;
    return pp;
}

static void fifo_unlink(mg_txn_t *t, in_ent_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        t->fifo_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        t->fifo_tail = e->prev;
    e->prev = e->next = NULL;
}

/* Remove the entry *pp points at. */
static void in_remove(mg_txn_t *t, in_ent_t **pp)
{
    in_ent_t *e = *pp;
    *pp = e->hnext;
    if (e->state == IN_REPLIED) {
        fifo_unlink(t, e);
        t->nstored--;
    }
    t->nin--;
    free(e->reply);
    free(e);
}

mg_txn_in_t mg_txn_in_begin(mg_txn_t *t, const netaddr_t *peer, uint32_t tid, uint64_t now,
                            const char **reply, size_t *len)
{
    in_ent_t **pp = find_slot(t, peer, tid);
    in_ent_t *e = *pp;
    if (e && e->state == IN_REPLIED && e->expire <= now) {
        in_remove(t, pp); /* past LONG-TIMER: a new transaction that reuses the id */
        e = NULL;
        pp = find_slot(t, peer, tid);
    }
    if (e) {
        if (e->state == IN_EXECUTING) return MG_TXN_EXECUTING;
        *reply = e->reply;
        *len = e->len;
        return MG_TXN_REPLAY;
    }
    e = calloc(1, sizeof(*e));
    if (!e) return MG_TXN_NEW; /* executed without at-most-once protection rather than lost */
    e->peer = *peer;
    e->tid = tid;
    e->state = IN_EXECUTING;
    *pp = e;
    if (++t->nin > t->nbuckets) grow(t);
    return MG_TXN_NEW;
}

int mg_txn_in_done(mg_txn_t *t, const netaddr_t *peer, uint32_t tid, const char *reply, size_t len,
                   uint64_t now)
{
    in_ent_t **pp = find_slot(t, peer, tid);
    in_ent_t *e = *pp;
    if (!e) return -ENOENT;
    if (e->state == IN_REPLIED) return 0;
    e->reply = malloc(len ? len : 1);
    if (!e->reply) {
        in_remove(t, pp);
        return -ENOMEM;
    }
    memcpy(e->reply, reply, len);
    e->len = len;
    e->state = IN_REPLIED;
    e->expire = now + t->tm.long_timer_ms;
    e->prev = t->fifo_tail;
    if (t->fifo_tail)
        t->fifo_tail->next = e;
    else
        t->fifo_head = e;
    t->fifo_tail = e;
    t->nstored++;
    if (t->tm.max_stored && t->nstored > t->tm.max_stored) {
        in_ent_t *old = t->fifo_head;
        in_remove(t, find_slot(t, &old->peer, old->tid));
    }
    return 0;
}

void mg_txn_in_abort(mg_txn_t *t, const netaddr_t *peer, uint32_t tid)
{
    in_ent_t **pp = find_slot(t, peer, tid);
    if (*pp && (*pp)->state == IN_EXECUTING) in_remove(t, pp);
}

int mg_txn_in_ack(mg_txn_t *t, const netaddr_t *peer, uint32_t first, uint32_t last)
{
    int n = 0;
    if (last < first) return 0;
    if ((uint64_t)last - first > t->nin) {
        /* a wide range: walk the stored replies rather than every id in it */
        for (in_ent_t *e = t->fifo_head, *nx; e; e = nx) {
            nx = e->next;
            if (e->tid >= first && e->tid <= last && netaddr_equal(&e->peer, peer)) {
                in_remove(t, find_slot(t, peer, e->tid));
                n++;
            }
        }
        return n;
    }
    for (uint64_t id = first; id <= last; id++) {
        in_ent_t **pp = find_slot(t, peer, (uint32_t)id);
        if (*pp && (*pp)->state == IN_REPLIED) {
            in_remove(t, pp);
            n++;
        }
    }
    return n;
}

size_t mg_txn_in_count(const mg_txn_t *t)
{
    return t->nin;
}

/* ---- outgoing ---- */

uint32_t mg_txn_next_tid(mg_txn_t *t)
{
    uint32_t id = t->next_tid++;
    if (t->next_tid == 0 || t->next_tid > 0xfffffff0u) t->next_tid = 1;
    return id;
}

int mg_txn_out_add(mg_txn_t *t, uint32_t tid, const netaddr_t *peer, const char *msg, size_t len,
                   uint64_t now, mg_txn_out_fn done, void *arg)
{
    out_ent_t *o = calloc(1, sizeof(*o));
    if (!o || !(o->msg = malloc(len ? len : 1))) {
        free(o);
        return -ENOMEM;
    }
    memcpy(o->msg, msg, len);
    o->len = len;
    o->tid = tid;
    o->peer = *peer;
    o->tries = 1;
    o->interval = t->tm.retrans_initial_ms;
    o->due = now + o->interval;
    o->done = done;
    o->arg = arg;
    o->next = t->out;
    t->out = o;
    t->nout++;
    return 0;
}

static out_ent_t *out_unlink(mg_txn_t *t, uint32_t tid)
{
    for (out_ent_t **pp = &t->out; *pp; pp = &(*pp)->next)
        if ((*pp)->tid == tid) {
            out_ent_t *o = *pp;
            *pp = o->next;
            t->nout--;
            return o;
        }
    return NULL;
}

static void out_end(out_ent_t *o, mg_txn_out_status_t st, const void *reply)
{
    if (o->done) o->done(o->arg, o->tid, st, reply);
    free(o->msg);
    free(o);
}

int mg_txn_out_reply(mg_txn_t *t, uint32_t tid, const void *reply)
{
    out_ent_t *o = out_unlink(t, tid);
    if (!o) return 0;
    out_end(o, MG_TXN_OUT_REPLY, reply);
    return 1;
}

int mg_txn_out_pending(mg_txn_t *t, uint32_t tid, uint64_t now)
{
    for (out_ent_t *o = t->out; o; o = o->next) {
        if (o->tid != tid) continue;
        if (++o->pendings > t->tm.pending_limit) {
            o->gave_up = true; /* the MGC keeps us waiting past its limit */
            o->due = now;
        } else {
            o->due = now + t->tm.pending_wait_ms;
            o->tries = 1;
            o->interval = t->tm.retrans_initial_ms;
        }
        return 1;
    }
    return 0;
}

void mg_txn_out_cancel(mg_txn_t *t, uint32_t tid)
{
    out_ent_t *o = out_unlink(t, tid);
    if (o) out_end(o, MG_TXN_OUT_CANCEL, NULL);
}

size_t mg_txn_out_count(const mg_txn_t *t)
{
    return t->nout;
}

uint32_t mg_txn_out_tries(const mg_txn_t *t, uint32_t tid)
{
    for (const out_ent_t *o = t->out; o; o = o->next)
        if (o->tid == tid) return o->tries;
    return 0;
}

static uint32_t until(uint64_t due, uint64_t now, uint32_t cur)
{
    uint64_t d = due > now ? due - now : 0;
    return d < cur ? (uint32_t)d : cur;
}

uint32_t mg_txn_tick(mg_txn_t *t, uint64_t now, mg_txn_send_fn send, void *send_arg)
{
    uint32_t next = UINT32_MAX;
    out_ent_t *ended = NULL;
    for (out_ent_t **pp = &t->out; *pp;) {
        out_ent_t *o = *pp;
        if (o->due > now) {
            next = until(o->due, now, next);
            pp = &o->next;
            continue;
        }
        if (o->gave_up || o->tries >= t->tm.retrans_max_tries) {
            *pp = o->next; /* collected, ended after the walk: done() may change the list */
            t->nout--;
            o->next = ended;
            ended = o;
            continue;
        }
        send(send_arg, &o->peer, o->msg, o->len);
        o->tries++;
        o->interval =
            o->interval * 2 > t->tm.retrans_max_ms ? t->tm.retrans_max_ms : o->interval * 2;
        o->due = now + o->interval;
        next = until(o->due, now, next);
        pp = &o->next;
    }
    while (t->fifo_head && t->fifo_head->expire <= now) {
        in_ent_t *e = t->fifo_head;
        in_remove(t, find_slot(t, &e->peer, e->tid));
    }
    if (t->fifo_head) next = until(t->fifo_head->expire, now, next);
    while (ended) {
        out_ent_t *o = ended;
        ended = o->next;
        out_end(o, MG_TXN_OUT_TIMEOUT, NULL);
    }
    return next;
}

void mg_txn_free(mg_txn_t *t)
{
    if (!t) return;
    while (t->out) {
        out_ent_t *o = t->out;
        t->out = o->next;
        t->nout--;
        out_end(o, MG_TXN_OUT_CANCEL, NULL);
    }
    for (size_t i = 0; i < t->nbuckets; i++)
        for (in_ent_t *e = t->buckets[i], *nx; e; e = nx) {
            nx = e->hnext;
            free(e->reply);
            free(e);
        }
    free(t->buckets);
    free(t);
}
