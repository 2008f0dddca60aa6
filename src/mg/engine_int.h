/* engine_int.h - what engine.c and audit.c share: the engine's state and the per-transaction
 * execution context. Not an interface: nothing outside src/mg/engine.c and audit.c includes it. */
#ifndef BGF_MG_ENGINE_INT_H
#define BGF_MG_ENGINE_INT_H
#include "mg/context.h"
#include "mg/engine.h"
#include "mg/pkg.h"
#include "mg/realm.h"

struct mg_engine {
    mg_config_t cfg; /* copy; reload updates the run-time fields */
    dp_t *dp;        /* not owned */
    li_ctl_t *li;    /* not owned, NULL = no interception */
    mg_engine_ops_t ops;
    mg_realms_t *realms;
    mg_store_t *store;
    mg_root_props_t root;
    uint32_t root_by_mgc; /* root package properties the MGC set (bit = table index) */
    bool ito_set;         /* it/ito requested on ROOT */
    uint32_t ito_mit;     /* 10 ms units */
    uint32_t root_rid;    /* request id of ROOT's Events descriptor */
    arena_t scratch;      /* Notify trees, reset after each send */
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
    uint32_t out_ctx; /* context of the command's reply when not the action's */
} mg_exec_t;

/* Record a failure and return its code (for `return fail(x, 434, "...")`). */
int mg_fail(mg_exec_t *x, int code, const char *text);

/* ---- change sets (engine_parse.c) ---- */

typedef struct mg_schg {
    uint16_t id;
    bool explicit_id;
    mg_sprops_t p;          /* given properties (pset: which) */
    struct h248_sdp *local; /* parsed Local, NULL when absent or empty */
    bool has_local;
    bool has_remote;
    bool remote_known;
    netaddr_t remote;
    int local_af, remote_af; /* 0 = not said */
    const char *remote_text; /* NUL-terminated copy in the arena */
    int remote_fmt_pt;       /* first payload type of Remote, -1 none */
} mg_schg_t;

typedef struct mg_chg {
    mg_schg_t s[MG_MAX_STREAMS];
    unsigned ns;
    int realm; /* -1 absent */
    bool timerx_set;
    uint32_t timerx;
    h248_svc_state_t svc; /* NONE = absent */
    bool events_set;
    uint32_t rid;
    bool thb, ito;
    uint32_t mit;
    uint32_t rootset; /* ROOT TS: bit i = root property i */
    uint32_t rootv[8];
    bool licn_set;
    const char *licn;
    size_t licn_len;
    bool tids_set;
    uint32_t tids[LI_MAX_TARGETS];
    unsigned ntids;
    const h248_desc_t *audit;
} mg_chg_t;

/* Every descriptor of an Add/Modify/Move (root: of a Modify of ROOT) into c. 0 or code. */
int mg_parse_change(mg_exec_t *x, const h248_cmd_t *cmd, bool root, mg_chg_t *c);
/* The change of stream id (0 means 1), added when missing; NULL (510) past MG_MAX_STREAMS. */
mg_schg_t *mg_chg_stream(mg_exec_t *x, mg_chg_t *c, uint16_t id, bool explicit_id);

/* ---- gates, interception, Local SDP (engine_gate.c) ---- */

#define MG_DEFAULT_MODE DP_MODE_SENDRECV /* documented in docs/packages.md */
uint64_t mg_now_ms(void);
uint32_t mg_gate_id_of(const mg_term_t *t, unsigned i);
void mg_build_req(const mg_engine_t *e, const mg_term_t *t, const mg_stream_t *s, uint32_t ctx_id,
                  dp_gate_req_t *r);
/* DP_MOD_* bits that differ between a and b. */
unsigned mg_req_diff(const dp_gate_req_t *a, const dp_gate_req_t *b);
/* Take a port pair and open stream i's gate. 0 or H.248 code. */
int mg_open_stream(mg_exec_t *x, mg_term_t *t, unsigned i, uint32_t ctx_id);
/* Close stream i's gate, release its port and tap; final statistics summed into final. */
void mg_close_stream(mg_engine_t *e, mg_term_t *t, unsigned i, dp_gate_stats_t *final);
/* The tap the termination should have after change c (decrypts the LICn). */
void mg_li_decide(mg_engine_t *e, const mg_term_t *t, const mg_chg_t *c, li_tap_conf_t *out);
/* Admit or release every gate of t for t->tap; asked: the request carried li properties. */
void mg_li_apply(mg_engine_t *e, mg_term_t *t, bool asked);
/* Our Local SDP for stream s (from the request's Local with $ filled, or a minimal one). */
const char *mg_local_text(mg_exec_t *x, const mg_term_t *t, const mg_stream_t *s,
                          const mg_schg_t *sc);
char *mg_xstrdup(const char *s);
/* Netmask of prefix length len (family AF_INET / AF_INET6). */
void mg_mask_from_len(int family, unsigned len, netaddr_t *out);
/* Append Media{Stream{Local}} for t's streams (only those whose request had Local). */
void mg_reply_local(mg_exec_t *x, h248_cmd_t *r, const mg_term_t *t, const mg_chg_t *c,
                    bool only_with_local);

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
/* Add one gate's counts to a sum (over a termination's streams). */
void mg_stats_add(dp_gate_stats_t *sum, const dp_gate_stats_t *st);

h248_str_t mg_dup(arena_t *a, const char *s);
const char *mg_mode_token(dp_mode_t m);
h248_mode_t mg_mode_h248(dp_mode_t m);

#endif
