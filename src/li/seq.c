/* seq.c - X3 sequence numbers shared by every gate that mirrors with the same correlation ID
 * and target (so one XID + correlation ID stream counts 0, 1, 2, ... even when several streams
 * of a termination, served by different workers, feed it).
 * Threads: li_ctl adds and drops entries under its mutex (li_seq_ref); workers only look up
 * and increment (li_seq_next: atomic loads and one fetch-add, no lock, no allocation).
 * Open addressing. An entry no gate uses any more stays readable (retired) until its slot is
 * needed for another stream, so late copies and a tap started again with the same correlation
 * number carry on counting; a full or crowded table falls back to the tap's own count. */
#include "li/sender.h"

#include <stdlib.h>

#define PROBES 16

enum { SLOT_FREE = 0, SLOT_LIVE = 1, SLOT_RETIRED = 2, SLOT_BUSY = 3 /* key changing */ };

typedef struct li_seq_slot {
    uint64_t cid;     /* written by li_ctl while the slot is not live; read by workers */
    uint32_t target;  /* likewise */
    uint32_t state;   /* SLOT_*: release-stored by li_ctl, acquire-loaded by workers */
    uint32_t seq;     /* next sequence number: fetch-add by workers */
    uint32_t refs;    /* owner: li_ctl (under its mutex) */
} li_seq_slot_t;

struct li_seq_table {
    size_t mask;              /* read-only: slots - 1 */
    li_seq_slot_t slots[];    /* see li_seq_slot_t */
};

static size_t slot_of(const li_seq_table_t *t, uint64_t cid, uint32_t target)
{
    uint64_t h = (cid ^ ((uint64_t)target << 32 | target)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & t->mask;
}

li_seq_table_t *li_seq_new(size_t want)
{
    size_t n = 64;
    while (n < want && n < ((size_t)1 << 18)) n <<= 1;
    li_seq_table_t *t = calloc(1, sizeof *t + n * sizeof(li_seq_slot_t));
    if (t) t->mask = n - 1;
    return t;
}

void li_seq_free(li_seq_table_t *t)
{
    free(t);
}

static bool is_key(const li_seq_slot_t *s, uint64_t cid, uint32_t target)
{
    return __atomic_load_n(&s->cid, __ATOMIC_RELAXED) == cid &&
           __atomic_load_n(&s->target, __ATOMIC_RELAXED) == target;
}

void li_seq_ref(li_seq_table_t *t, uint64_t cid, uint32_t target, int delta)
{
    li_seq_slot_t *spare = NULL;
    for (size_t i = 0, at = slot_of(t, cid, target); i < PROBES; i++, at = (at + 1) & t->mask) {
        li_seq_slot_t *s = &t->slots[at];
        if (s->state != SLOT_FREE && is_key(s, cid, target)) {
            int64_t refs = (int64_t)s->refs + delta;
            s->refs = refs > 0 ? (uint32_t)refs : 0;
            __atomic_store_n(&s->state, refs > 0 ? SLOT_LIVE : SLOT_RETIRED, __ATOMIC_RELEASE);
            return;
        }
        if (!spare && s->state != SLOT_LIVE) spare = s;
        if (s->state == SLOT_FREE) break;
    }
    if (delta <= 0 || !spare) return; /* nothing to drop, or no room: taps count alone */
    __atomic_store_n(&spare->state, SLOT_BUSY, __ATOMIC_RELEASE); /* lookups pass it by */
    __atomic_store_n(&spare->cid, cid, __ATOMIC_RELAXED);
    __atomic_store_n(&spare->target, target, __ATOMIC_RELAXED);
    __atomic_store_n(&spare->seq, 0, __ATOMIC_RELAXED);
    spare->refs = (uint32_t)delta;
    __atomic_store_n(&spare->state, SLOT_LIVE, __ATOMIC_RELEASE);
}

uint32_t li_seq_next(li_seq_table_t *t, uint64_t cid, uint32_t target, uint32_t *local)
{
    for (size_t i = 0, at = slot_of(t, cid, target); i < PROBES; i++, at = (at + 1) & t->mask) {
        li_seq_slot_t *s = &t->slots[at];
        uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        if (st == SLOT_FREE) break;
        if (st != SLOT_BUSY && is_key(s, cid, target)) { /* live, or retired with copies still coming */
            uint32_t v = __atomic_fetch_add(&s->seq, 1, __ATOMIC_RELAXED);
            *local = v + 1; /* if the entry goes first, this tap carries on from here */
            return v;
        }
    }
    return (*local)++;
}
