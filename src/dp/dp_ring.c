/* dp_ring.c - the two lock-free structures between the control thread and the workers:
 * single-producer single-consumer rings (requests in, events out) and the seqlock that
 * publishes a gate's statistics (one writer: the worker; readers never block it). */
#include "dp/dp_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t dp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int dp_ring_init(dp_ring_t *r, uint32_t n, uint32_t esz)
{
    memset(r, 0, sizeof(*r));
    r->buf = calloc(n, esz);
    if (!r->buf) return -1;
    r->mask = n - 1; /* n is a power of two */
    r->esz = esz;
    return 0;
}

void dp_ring_free(dp_ring_t *r)
{
    free(r->buf);
    r->buf = NULL;
}

bool dp_ring_push(dp_ring_t *r, const void *e)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (h - t > r->mask) return false;
    memcpy(r->buf + (size_t)(h & r->mask) * r->esz, e, r->esz);
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

bool dp_ring_pop(dp_ring_t *r, void *e)
{
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint32_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (h == t) return false;
    memcpy(e, r->buf + (size_t)(t & r->mask) * r->esz, r->esz);
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

bool dp_ring_empty(dp_ring_t *r)
{
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    return atomic_load_explicit(&r->head, memory_order_acquire) == t;
}

void dp_pub_write(dp_pub_t *p, const dp_gate_stats_t *s)
{
    uint64_t w[DP_STATS_WORDS] = {0};
    memcpy(w, s, sizeof(*s));
    uint32_t q = atomic_load_explicit(&p->seq, memory_order_relaxed);
    atomic_store_explicit(&p->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (size_t i = 0; i < DP_STATS_WORDS; i++)
        atomic_store_explicit(&p->w[i], w[i], memory_order_relaxed);
    atomic_store_explicit(&p->seq, q + 2, memory_order_release);
}

void dp_pub_read(const dp_pub_t *p, dp_gate_stats_t *s)
{
    uint64_t w[DP_STATS_WORDS];
    for (;;) {
        uint32_t q1 = atomic_load_explicit(&p->seq, memory_order_acquire);
        if (q1 & 1) continue; /* the writer is in the middle of a copy: a few words, retry */
        for (size_t i = 0; i < DP_STATS_WORDS; i++)
            w[i] = atomic_load_explicit(&p->w[i], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&p->seq, memory_order_relaxed) == q1) break;
    }
    memcpy(s, w, sizeof(*s));
}
