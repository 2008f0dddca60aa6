/* txn.h - H.248.1 Annex D.1 transaction bookkeeping of bgfd, independent of the codec and of
 * sockets: every call takes the current time, so tests drive it with a fake clock.
 *
 * Incoming requests (from the MGC): at-most-once execution. mg_txn_in_begin() tells whether a
 * request is new (execute it), a repeat of one answered already (send the stored reply again)
 * or still executing (send Pending). Replies are kept for LONG-TIMER, or until a
 * TransactionResponseAck names them.
 *
 * Outgoing requests (ServiceChange, Notify to the MGC): retransmitted with exponential
 * back-off until a reply comes or the tries run out; a Pending stops retransmission for a
 * while and counts against the MGC's pending limit.
 *
 * Control-plane thread only. Owns copies of stored replies and of outstanding requests. */
#ifndef BGF_MG_TXN_H
#define BGF_MG_TXN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"

typedef struct mg_txn mg_txn_t;

typedef struct mg_txn_timers {
    uint32_t long_timer_ms;      /* keep replies this long */
    uint32_t retrans_initial_ms; /* first retransmission after this */
    uint32_t retrans_max_ms;     /* back-off doubles up to this */
    uint32_t retrans_max_tries;  /* sends in all (first one included) before giving up */
    uint32_t pending_wait_ms;    /* after a Pending: wait this long before retransmitting */
    uint32_t pending_limit;      /* Pendings accepted for one request (MGCOriginatedPendingLimit) */
    size_t max_stored;           /* stored replies at most (oldest dropped first); 0 = no cap */
} mg_txn_timers_t;

mg_txn_t *mg_txn_new(const mg_txn_timers_t *tm);
void mg_txn_free(mg_txn_t *t);
void mg_txn_set_timers(mg_txn_t *t, const mg_txn_timers_t *tm);

/* ---- incoming requests ---- */
typedef enum {
    MG_TXN_NEW = 0,   /* not seen: recorded as executing; execute it, then mg_txn_in_done */
    MG_TXN_REPLAY,    /* answered already: *reply / *len hold the stored reply */
    MG_TXN_EXECUTING, /* still executing: answer Pending */
} mg_txn_in_t;

/* The stored reply text is one transaction's reply (Reply = id {...}) as the caller gave it. */
mg_txn_in_t mg_txn_in_begin(mg_txn_t *t, const netaddr_t *peer, uint32_t tid, uint64_t now,
                            const char **reply, size_t *len);
/* Execution finished: keep reply[0..len) until now + LONG-TIMER. 0 or -ENOMEM. */
int mg_txn_in_done(mg_txn_t *t, const netaddr_t *peer, uint32_t tid, const char *reply, size_t len,
                   uint64_t now);
/* Forget a request that was recorded as executing but could not be answered. */
void mg_txn_in_abort(mg_txn_t *t, const netaddr_t *peer, uint32_t tid);
/* TransactionResponseAck first-last: release those stored replies. Returns how many. */
int mg_txn_in_ack(mg_txn_t *t, const netaddr_t *peer, uint32_t first, uint32_t last);
/* Entries held (executing + stored replies). */
size_t mg_txn_in_count(const mg_txn_t *t);

/* ---- outgoing requests ---- */
typedef enum {
    MG_TXN_OUT_REPLY = 0, /* answered: the reply handed to mg_txn_out_reply */
    MG_TXN_OUT_TIMEOUT,   /* no answer after the last try, or past the pending limit */
    MG_TXN_OUT_CANCEL,    /* mg_txn_out_cancel / mg_txn_free */
} mg_txn_out_status_t;

/* Called once per outgoing request when it ends. */
typedef void (*mg_txn_out_fn)(void *arg, uint32_t tid, mg_txn_out_status_t st, const void *reply);
/* Called to (re)send a message. */
typedef void (*mg_txn_send_fn)(void *arg, const netaddr_t *to, const char *msg, size_t len);

/* Transaction ids for our requests: 1, 2, ... (never 0). */
uint32_t mg_txn_next_tid(mg_txn_t *t);
/* Track request tid (already sent once by the caller) to peer. 0 or -ENOMEM. */
int mg_txn_out_add(mg_txn_t *t, uint32_t tid, const netaddr_t *peer, const char *msg, size_t len,
                   uint64_t now, mg_txn_out_fn done, void *arg);
/* A Reply for tid arrived: ends it (done(..., MG_TXN_OUT_REPLY, reply)). 1 when it was ours,
 * 0 when unknown (a late duplicate). */
int mg_txn_out_reply(mg_txn_t *t, uint32_t tid, const void *reply);
/* A Pending for tid arrived. 1 when known. */
int mg_txn_out_pending(mg_txn_t *t, uint32_t tid, uint64_t now);
/* Stop tracking tid (done is called with MG_TXN_OUT_CANCEL). */
void mg_txn_out_cancel(mg_txn_t *t, uint32_t tid);
/* Outstanding requests. */
size_t mg_txn_out_count(const mg_txn_t *t);
/* Sends of tid so far (first included), 0 when unknown. */
uint32_t mg_txn_out_tries(const mg_txn_t *t, uint32_t tid);

/* ---- time ---- */
/* Retransmit what is due (through send), give up what ran out of tries, drop stored replies
 * older than LONG-TIMER. Returns ms until the next thing is due (UINT32_MAX = nothing). */
uint32_t mg_txn_tick(mg_txn_t *t, uint64_t now, mg_txn_send_fn send, void *send_arg);

#endif
