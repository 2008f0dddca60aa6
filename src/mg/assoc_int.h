/* assoc_int.h - what assoc.c and assoc_sc.c share: the association's state and the few
 * helpers each calls in the other. Not an interface: nothing outside src/mg/assoc.c and
 * assoc_sc.c includes it. Control-plane thread only. */
#ifndef BGF_MG_ASSOC_INT_H
#define BGF_MG_ASSOC_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "h248/h248.h"
#include "mg/assoc.h"
#include "mg/transport.h"
#include "mg/txn.h"

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

/* What an MGC-originated ServiceChange on ROOT asks for, acted on after its reply is sent. */
typedef struct deferred_sc {
    h248_sc_method_t method;
    uint32_t delay_s;
    bool has_target;
    netaddr_t target; /* MgcIdToTry for HandOff */
} deferred_sc_t;

struct mg_assoc {
    mg_loop_t *loop;
    mg_config_t *cfg; /* owner: bgfd main; changed in place on SIGHUP */
    mg_net_t *net;
    mg_txn_t *txn;
    mg_engine_t *eng;
    arena_t in_arena;  /* the received message and its replies */
    arena_t out_arena; /* requests we build */
    buf_t rep;         /* reply message being assembled */
    buf_t req;         /* request message being assembled */
    buf_t txt;         /* one encoded transaction */
    h248_mid_t mid;    /* our mId (views into cfg->mid, which never changes) */
    mg_assoc_state_t state;
    uint8_t version; /* negotiated H.248 version */
    /* the MGC */
    unsigned mgc_idx;       /* index in cfg->mgc */
    mg_peer_t mgc;          /* where our requests go */
    unsigned tried;         /* MGCs tried in this round without an answer */
    uint32_t round_wait_ms; /* back-off between rounds of the whole list */
    bool lost;              /* registering after losing mgc lost_idx */
    unsigned lost_idx;
    h248_sc_method_t reg_method;
    const char *reg_reason;
    uint32_t reg_tid;
    /* inactivity (it/ito on ROOT) */
    uint32_t mit_ms;
    uint32_t it_rid; /* RequestID of the Events descriptor that asked for it/ito */
    uint32_t it_tid; /* outstanding inactivity Notify, 0 = none */
    /* leave */
    void (*leave_done)(void *arg);
    void *leave_arg;
    deferred_sc_t dsc;
    struct {
        uint64_t msgs_in, txns, replays, pendings, undecodable, requests_out, resends;
    } n;           /* counters, logged when bgfd stops */
    bool root_oos; /* the MGC took ROOT out of service (Graceful): no new calls */
    mg_timer_t tick_timer, retry_timer, it_timer, defer_timer, leave_timer, lost_timer, oos_timer;
};

/* assoc.c: requests out */
void assoc_sync_timers(mg_assoc_t *a);
/* Send request message a->req (transaction tid) to the MGC and track it. */
void assoc_request_out(mg_assoc_t *a, uint32_t tid, mg_txn_out_fn done);
/* Encode a one-transaction request message from tree m into a->req. */
int assoc_build_request(mg_assoc_t *a, h248_message_t *m);

/* assoc_sc.c: registration, failover, ServiceChange from the MGC, leave */
void assoc_mgc_lost(mg_assoc_t *a, const char *why);
void assoc_on_retry(mg_loop_t *l, mg_timer_t *t, void *arg);
void assoc_on_deferred_sc(mg_loop_t *l, mg_timer_t *t, void *arg);
void assoc_on_oos(mg_loop_t *l, mg_timer_t *t, void *arg);
void assoc_on_leave_timer(mg_loop_t *l, mg_timer_t *t, void *arg);
void assoc_op_root_service_change(void *arg, const h248_service_change_t *sc);

#endif
