/* assoc.h - bgfd's association with its MGC and the transaction layer around the engine:
 * messages in (decode, at-most-once, execute, reply), requests out (ServiceChange, Notify with
 * retransmission), registration and re-registration (Restart, Failover, HandOff, Disconnected),
 * inactivity detection (it/ito), MGC-originated ServiceChange on ROOT, graceful leave.
 * Control-plane thread only; owns the transport and the transaction manager. */
#ifndef BGF_MG_ASSOC_H
#define BGF_MG_ASSOC_H
#include <stddef.h>
#include <stdint.h>

#include "mg/config.h"
#include "mg/engine.h"
#include "mg/loop.h"

typedef struct mg_assoc mg_assoc_t;

typedef enum {
    MG_ASSOC_IDLE = 0,    /* not started */
    MG_ASSOC_REGISTERING, /* a ServiceChange is out, no MGC has accepted us yet */
    MG_ASSOC_REGISTERED,
    MG_ASSOC_LEAVING, /* SIGTERM: Graceful ServiceChange out, then Delay, then done */
    MG_ASSOC_GONE,
} mg_assoc_state_t;

/* Bind the control sockets of cfg (which the association keeps pointing at: SIGHUP changes
 * it in place, then calls mg_assoc_reload). NULL and err on failure. */
mg_assoc_t *mg_assoc_new(mg_loop_t *l, mg_config_t *cfg, char *err, size_t errlen);
/* The callbacks the engine needs (fill before mg_engine_new). */
void mg_assoc_engine_ops(mg_assoc_t *a, mg_engine_ops_t *ops);
void mg_assoc_set_engine(mg_assoc_t *a, mg_engine_t *e);
/* Register with the first MGC of the list. */
void mg_assoc_start(mg_assoc_t *a);
/* Leave gracefully (ServiceChange Graceful 905 with Delay), then call done(arg). A second
 * call ends at once. */
void mg_assoc_leave(mg_assoc_t *a, void (*done)(void *arg), void *arg);
/* The configuration changed (MGC list, timers): apply what concerns the association. */
void mg_assoc_reload(mg_assoc_t *a);
mg_assoc_state_t mg_assoc_state(const mg_assoc_t *a);
void mg_assoc_free(mg_assoc_t *a);

/* Copy msg into out (cap bytes, NUL-terminated) with the values of li/LICn and li/LITID
 * replaced by <hidden>, for logs. Returns the length written. Pure. */
size_t mg_mask_li(const char *msg, size_t len, char *out, size_t cap);

#endif
