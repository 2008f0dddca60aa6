/* context.h - the engine's store of contexts and IP terminations: fixed pools sized at start,
 * O(1) allocation (FIFO free lists, so an id just released is reused last), O(1) lookup of a
 * context by id and of a termination by name, and H.248 wildcard matching of names.
 *
 * Termination ids are ip/<group>/<realm>/<n>: group is the address family of the
 * termination's media address (4 = IPv4, 6 = IPv6), realm the ipdc/realm name, n the slot
 * number (1-based) in the termination pool.
 *
 * Control-plane thread only. */
#ifndef BGF_MG_CONTEXT_H
#define BGF_MG_CONTEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp/dp.h"
#include "h248/h248.h"
#include "li/tap.h"

#define MG_MAX_STREAMS 2       /* streams per termination */
#define MG_MAX_TERMS_PER_CTX 2 /* ETSI BGF profile */
#define MG_TID_MAX 48

/* Stream-level properties, stored by index (values in pv/pv2, which are set in pset). */
enum {
    MG_P_DSCP = 0,
    MG_P_SAF,
    MG_P_SAM,
    MG_P_SPF,
    MG_P_SPR,
    MG_P_ESAS,
    MG_P_LSA,
    MG_P_ESPS,
    MG_P_LSP,
    MG_P_RSB,
    MG_P_LATCH,
    MG_P_POL,
    MG_P_SDR,
    MG_P_MBS,
    MG_P_PDR,
    MG_P_DVT,
    MG_P_COUNT
};

typedef struct mg_sprops {
    uint32_t pset;            /* bit i: property i set by the MGC */
    uint32_t pv[MG_P_COUNT];  /* value (bool, number, range low) */
    uint32_t pv2[MG_P_COUNT]; /* range high (spr) */
    netaddr_t sam, lsa;       /* address values (sam: the mask) */
    netaddr_t sam_net;        /* gm/sam given as addr/len: the address; unset otherwise */
    uint8_t sam_len;          /* its prefix length */
    bool mode_set;
    dp_mode_t mode;
} mg_sprops_t;

typedef struct mg_stream {
    uint16_t id;      /* 0: slot unused */
    uint32_t gate_id; /* the open gate */
    netaddr_t local;  /* our address and RTP port */
    netaddr_t remote; /* remote RTP; unset = not known yet */
    mg_sprops_t p;
    char *local_sdp;  /* what we answered in Local (malloc), for audits */
    char *remote_sdp; /* last Remote given (malloc) */
    bool tapped;      /* li_ctl_admit said yes for this gate */
} mg_stream_t;

struct mg_ctx;

typedef struct mg_term {
    bool used;
    uint32_t slot;
    uint16_t gen; /* incremented each time the slot is taken (gate ids) */
    char id[MG_TID_MAX];
    uint8_t idlen;
    struct mg_ctx *ctx;
    uint16_t realm;
    int family; /* AF_INET / AF_INET6 */
    bool timerx_set;
    uint32_t timerx;
    bool events_set; /* an Events descriptor is active */
    uint32_t events_rid;
    bool thb;             /* hangterm/thb requested */
    uint64_t thb_last_ms; /* when thb was last notified (one Notify for all streams) */
    h248_svc_state_t svc; /* InService unless the MGC took it out */
    uint64_t created_ms;
    mg_stream_t streams[MG_MAX_STREAMS];
    /* interception (confidential: never logged, audited or counted outside li) */
    li_tap_conf_t tap; /* active when a valid LICn and LITID are in force */
    bool li_tids_set;
    uint32_t next_free;
} mg_term_t;

/* One association of the context's Topology (H.248.1 7.1.18) between two of its terminations:
 * what the MGC set, per stream (stream 0 = every stream without an entry of its own). A pair
 * without an entry is Bothway. For Oneway* the media goes from `from` to `to`. */
#define MG_TOPO_MAX 8
typedef struct mg_topo {
    mg_term_t *from, *to;
    uint16_t stream;
    uint8_t dir; /* h248_topo_dir_t */
} mg_topo_t;

typedef struct mg_ctx {
    bool used;
    uint32_t id;
    mg_term_t *terms[MG_MAX_TERMS_PER_CTX];
    unsigned nterms;
    uint8_t priority; /* context properties the MGC set (kept, audited) */
    bool emergency;
    uint8_t ntopo;
    mg_topo_t topo[MG_TOPO_MAX]; /* see src/mg/topology.c */
    uint32_t next_free;
} mg_ctx_t;

typedef struct mg_store mg_store_t;

mg_store_t *mg_store_new(uint32_t max_ctx, uint32_t max_terms);
void mg_store_free(mg_store_t *s);

/* New context (id chosen here), or NULL when none is free. */
mg_ctx_t *mg_ctx_new(mg_store_t *s);
mg_ctx_t *mg_ctx_get(mg_store_t *s, uint32_t id);
void mg_ctx_del(mg_store_t *s, mg_ctx_t *c);
/* Attach / detach a termination. Attach fails (-1) when the context is full. Detach drops the
 * termination's Topology associations (a termination that comes back is Bothway). */
int mg_ctx_attach(mg_ctx_t *c, mg_term_t *t);
void mg_ctx_detach(mg_ctx_t *c, mg_term_t *t);
/* Iterate contexts in use: start with id 0; returns NULL at the end. */
mg_ctx_t *mg_ctx_next(mg_store_t *s, uint32_t after_id);
uint32_t mg_store_nctx(const mg_store_t *s);
uint32_t mg_store_nterms(const mg_store_t *s);

/* New termination named ip/<group>/<realm>/<slot+1>, or NULL when the pool is empty. */
mg_term_t *mg_term_new(mg_store_t *s, int family, const char *realm);
mg_term_t *mg_term_find(mg_store_t *s, const char *name, size_t n);
mg_term_t *mg_term_by_slot(mg_store_t *s, uint32_t slot);
void mg_term_del(mg_store_t *s, mg_term_t *t);

/* H.248 name matching: '*' matches one level ('/'-separated), or every remaining level when it
 * is the last; case-insensitive. */
bool mg_tid_match(const char *pat, size_t pn, const char *name, size_t n);

#endif
