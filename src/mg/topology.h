/* topology.h - a context's properties: the Topology descriptor (H.248.1 7.1.18) and its effect
 * on the gates, Priority and Emergency, and the ContextAudit reply. Used by engine.c and
 * engine_gate.c only. Control-plane thread only. */
#ifndef BGF_MG_TOPOLOGY_H
#define BGF_MG_TOPOLOGY_H
#include "mg/engine_int.h"

/* The action's Topology (H.248.1 7.1.18) against ctx (NULL: a Context=$ not made yet; one:
 * the action names one context, not - or *). Before the commands (after false): the form of
 * every triple, and the triples that do not name $ applied. After them: the triples naming $
 * applied, chosen being the termination the action's first Add=$ made. All or nothing: true,
 * or false with the action's Error descriptor (in context ctx_id) given and ctx unchanged. The
 * gates whose data-plane mode changes are modified. */
bool mg_topo_action(mg_exec_t *x, const h248_action_t *act, mg_ctx_t *ctx, uint32_t ctx_id,
                    bool one, mg_term_t *chosen, bool after);

/* The data-plane mode of t's stream sid whose H.248 stream mode is m: m restricted by the
 * Topology between t and the other termination of its context (mode_receives = media from
 * t's remote may go to the peer; mode_sends = media from the peer may go to t's remote). */
dp_mode_t mg_topo_mode(const mg_term_t *t, uint16_t sid, dp_mode_t m);

/* The gate requests of a context's terminations, taken before a change of its Topology or of
 * its members; mg_topo_push then modifies every gate still in the context whose request
 * changed (only when the context has Topology associations: nothing to do otherwise). */
typedef struct mg_topo_snap {
    unsigned n;
    struct {
        mg_term_t *t;
        uint32_t gate[MG_MAX_STREAMS];
        dp_gate_req_t req[MG_MAX_STREAMS];
    } e[MG_MAX_TERMS_PER_CTX];
} mg_topo_snap_t;
void mg_topo_snapshot(const mg_engine_t *e, const mg_ctx_t *c, mg_topo_snap_t *s);
void mg_topo_push(mg_engine_t *e, const mg_ctx_t *c, const mg_topo_snap_t *s);

/* Context properties of the action (Priority, Emergency kept in ctx) and the ContextAudit
 * reply, per context when all (Context=*). True when a ContextAudit was answered. */
bool mg_ctx_props(mg_exec_t *x, mg_ctx_t *ctx, bool all, const h248_action_t *act);

/* The reply action for context id (found or appended); engine.c. */
h248_action_t *mg_reply_action(mg_exec_t *x, uint32_t ctx);

#endif
