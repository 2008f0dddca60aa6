/* engine_int.h - what engine.c and audit.c share: the engine's state and the per-transaction
 * execution context. Not an interface: nothing outside src/mg/engine.c and audit.c includes it. */
#ifndef BGF_MG_ENGINE_INT_H
#define BGF_MG_ENGINE_INT_H
#include "mg/context.h"
#include "mg/engine.h"
#include "mg/pkg.h"
#include "mg/realm.h"

struct mg_engine {
    mg_config_t cfg;             /* copy; reload updates the run-time fields */
    dp_t *dp;                    /* not owned */
    li_ctl_t *li;                /* not owned, NULL = no interception */
    mg_engine_ops_t ops;
    mg_realms_t *realms;
    mg_store_t *store;
    mg_root_props_t root;
    bool ito_set;                /* it/ito requested on ROOT */
    uint32_t ito_mit;            /* 10 ms units */
    uint32_t root_rid;           /* request id of ROOT's Events descriptor */
    arena_t scratch;             /* Notify trees, reset after each send */
    mg_engine_counts_t counts;
};

/* One command's failure: code and static/arena text. */
typedef struct mg_fail {
    uint16_t code;
    const char *text;
} mg_fail_t;

/* Per-transaction execution state. */
typedef struct mg_exec {
    mg_engine_t *e;
    arena_t *a;
    uint8_t version;
    h248_txn_t *rep;
    mg_fail_t fail;
    uint32_t out_ctx;            /* context of the command's reply when not the action's */
} mg_exec_t;

/* Record a failure and return its code (for `return fail(x, 434, "...")`). */
int mg_fail(mg_exec_t *x, int code, const char *text);

/* Reply builders (audit.c). Each appends descriptors to the command reply r. */
int mg_audit_term(mg_exec_t *x, const mg_term_t *t, const h248_desc_t *audit, h248_cmd_t *r);
int mg_audit_root(mg_exec_t *x, const h248_desc_t *audit, h248_cmd_t *r);
int mg_caps_term(mg_exec_t *x, const h248_desc_t *audit, h248_cmd_t *r);
int mg_caps_root(mg_exec_t *x, const h248_desc_t *audit, h248_cmd_t *r);
/* Statistics descriptor from gate statistics summed over the termination's streams; names
 * NULL = the default set (nt/os, nt/or, rtp/ps, rtp/pr, rtp/pl, rtp/jit). */
int mg_stats_reply(mg_exec_t *x, const mg_term_t *t, const dp_gate_stats_t *st,
                   const h248_prop_t *names, h248_cmd_t *r);
/* Read a termination's current statistics from the data plane (sum over streams). */
void mg_term_stats(mg_engine_t *e, const mg_term_t *t, dp_gate_stats_t *out);

h248_str_t mg_dup(arena_t *a, const char *s);
const char *mg_mode_token(dp_mode_t m);
h248_mode_t mg_mode_h248(dp_mode_t m);

#endif
