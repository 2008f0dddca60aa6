/* engine.h - bgfd's call engine: executes one decoded H.248 transaction request against the
 * contexts and terminations it owns, drives the data plane through the seam (dp/dp.h) and
 * builds the reply. It also turns data-plane events into Notify requests towards the MGC.
 *
 * The engine knows nothing of sockets, retransmission or the MGC's address: the transaction
 * and association layers (txn.c, assoc.c) own those and call in here. In return the engine
 * calls them through mg_engine_ops_t when it has something to tell the MGC.
 *
 * Threads: the control-plane thread only. Memory: the engine's state is allocated at
 * mg_engine_new (sized from the configuration); a reply tree comes from the arena the caller
 * passes and lives as long as that arena. */
#ifndef BGF_MG_ENGINE_H
#define BGF_MG_ENGINE_H
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "dp/dp.h"
#include "h248/h248.h"
#include "li/li.h"
#include "mg/config.h"

typedef struct mg_engine mg_engine_t;

/* Implemented by the association layer. Trees handed to these calls come from an arena of
 * the engine that is reset once the call returns: encode or copy what you keep. */
typedef struct mg_engine_ops {
    void *arg;
    /* Send a request to the MGC: the actions of one Transaction (the caller picks the id and
     * wraps them in a message). Used for Notify (hangterm/thb, ...). */
    void (*send_request)(void *arg, const h248_action_t *actions);
    /* The MGC set (mit_ms > 0) or cleared (0) the it/ito inactivity event on ROOT. */
    void (*inactivity)(void *arg, uint32_t mit_ms);
    /* The MGC sent ServiceChange on ROOT (Forced, HandOff, Graceful, Restart...); the
     * engine has already built the (empty) ServiceChange reply. */
    void (*root_service_change)(void *arg, const h248_service_change_t *sc);
} mg_engine_ops_t;

/* ROOT properties the MGC may set (root package); the transaction layer reads them. Start
 * from the configuration ([h248] section). */
typedef struct mg_root_props {
    uint32_t normal_mg_exec_ms;  /* root/normalMGExecutionTime */
    uint32_t normal_mgc_exec_ms; /* root/normalMGCExecutionTime */
    uint32_t mg_prov_timer_ms;   /* root/MGProvisionalResponseTimerValue */
    uint32_t mgc_prov_timer_ms;  /* root/MGCProvisionalResponseTimerValue */
    uint32_t mg_pending_limit;   /* root/MGOriginatedPendingLimit */
    uint32_t mgc_pending_limit;  /* root/MGCOriginatedPendingLimit */
} mg_root_props_t;

/* Counters for status views and benchmarks (never any interception data). */
typedef struct mg_engine_counts {
    uint32_t contexts;
    uint32_t terminations;
    uint64_t txns, cmds_ok, cmds_failed;
} mg_engine_counts_t;

/* dp must have been started by the caller (it owns it); li NULL = no interception. The ops
 * structure is copied. NULL and err on failure (e.g. a realm without ports). */
mg_engine_t *mg_engine_new(const mg_config_t *cfg, dp_t *dp, li_ctl_t *li,
                           const mg_engine_ops_t *ops, char *err, size_t errlen);
/* Closes every gate the engine opened. */
void mg_engine_free(mg_engine_t *e);

/* Execute the request transaction req (kind H248_TXN_REQUEST) and return its reply (kind
 * H248_TXN_REPLY, same id), allocated from a, not linked into any message. Never NULL unless
 * a is exhausted: every failure is an Error descriptor in the reply. Commands run in order;
 * the first failing one ends its transaction (unless it is O-), and whatever it had changed
 * is undone. version is the message's H.248 version (selects reply syntax). */
h248_txn_t *mg_engine_execute(mg_engine_t *e, const h248_txn_t *req, uint8_t version, arena_t *a);

/* Drain data-plane events (dp_poll_events) and send the Notify requests they call for. Call
 * when dp_event_fd(dp) is readable. */
void mg_engine_poll(mg_engine_t *e);

/* SIGHUP: take the fields of cfg that may change at run time (media defaults: DSCP, latch,
 * hang timer; root property defaults are kept when the MGC set them). 0 or negative. */
int mg_engine_reload(mg_engine_t *e, const mg_config_t *cfg);

/* Current ROOT properties. */
const mg_root_props_t *mg_engine_root(const mg_engine_t *e);

/* Subtract every context (MGC-ordered restart, Forced ServiceChange on ROOT...). */
void mg_engine_release_all(mg_engine_t *e);

void mg_engine_counts(const mg_engine_t *e, mg_engine_counts_t *out);

#endif
