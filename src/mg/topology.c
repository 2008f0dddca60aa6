/* topology.c - a context's properties: the Topology descriptor (H.248.1 7.1.18) and its effect
 * on the data plane, Priority and Emergency (kept, no effect on the relay), and the
 * ContextAudit reply.
 *
 * Topology is stored per context as associations between two of its terminations (a pair
 * without one is Bothway), per stream or for every stream. The data plane knows nothing of
 * it: each gate's dp mode is the H.248 stream mode the MGC set, restricted by the association
 * with the other termination (mg_topo_mode), so that with the dp's rule "a packet from g's
 * remote is relayed iff mode_receives(g) && mode_sends(peer)" media flows exactly where both
 * the stream modes and the Topology let it. Audits still report the stream modes as set.
 *
 * Control-plane thread only. */
#include "mg/topology.h"

#include <string.h>
#include <strings.h>

/* ---- form of the triples ------------------------------------------------------------------ */

static bool is_choose(h248_str_t n)
{
    return n.len == 1 && n.p[0] == '$';
}

static bool is_wild(h248_str_t n)
{
    return memchr(n.p, '*', n.len) != NULL;
}

static bool same_name(h248_str_t a, h248_str_t b)
{
    return a.len == b.len && !strncasecmp(a.p, b.p, a.len);
}

static bool oneway_like(uint8_t dir)
{
    return dir == H248_TOPO_ONEWAY || dir == H248_TOPO_ONEWAY_EXTERNAL ||
           dir == H248_TOPO_ONEWAY_BOTH;
}

static bool names_choose(const h248_topology_t *list)
{
    for (; list; list = list->next)
        if (is_choose(list->from) || is_choose(list->to)) return true;
    return false;
}

static bool adds_choose(const h248_action_t *act)
{
    for (const h248_cmd_t *c = act->cmds; c; c = c->next)
        if (c->kind == H248_CMD_ADD && c->tids && (c->tids->flags & H248_TID_CHOOSE)) return true;
    return false;
}

/* Checks that need no termination: 0 or the H.248 code. */
static int check_form(mg_exec_t *x, const h248_topology_t *list, bool has_add)
{
    for (const h248_topology_t *t = list; t; t = t->next) {
        h248_str_t n[2] = {t->from, t->to};
        for (int i = 0; i < 2; i++) {
            if (!is_choose(n[i]) && memchr(n[i].p, '$', n[i].len))
                return mg_fail(x, MG_ERR_BAD_ID, "$ in a Topology triple only as a whole id");
            if (is_choose(n[i]) && !has_add)
                return mg_fail(x, MG_ERR_BAD_ACTION, "$ in Topology without an Add of $");
        }
        if (same_name(t->from, t->to) && !is_wild(t->from))
            return mg_fail(x, MG_ERR_BAD_ACTION, "a Topology triple names one termination twice");
        if (t->dir == H248_TOPO_ONEWAY_EXTERNAL && is_wild(t->from))
            return mg_fail(x, MG_ERR_BAD_ID, "OnewayExternal does not take * as its first id");
        if (t->dir == H248_TOPO_ONEWAY_BOTH && (is_wild(t->from) || is_wild(t->to)))
            return mg_fail(x, MG_ERR_BAD_ID, "OnewayBoth does not take * ids");
        if (t->has_stream && t->stream == 0)
            return mg_fail(x, MG_ERR_BAD_VALUE, "Stream=0 in Topology");
        for (const h248_topology_t *u = t->next; u; u = u->next) {
            bool pair = (same_name(t->from, u->from) && same_name(t->to, u->to)) ||
                        (same_name(t->from, u->to) && same_name(t->to, u->from));
            if (pair && t->has_stream != u->has_stream)
                return mg_fail(x, MG_ERR_BAD_ACTION,
                               "a pair of terminations with and without Stream in Topology");
        }
    }
    return 0;
}

/* ---- resolution and the associations -------------------------------------------------------- */

typedef struct tset {
    mg_term_t *t[MG_MAX_TERMS_PER_CTX];
    unsigned n;
} tset_t;

/* The terminations of ctx that name stands for. 0 or 430 / 431 / 435. */
static int resolve(mg_exec_t *x, mg_ctx_t *ctx, h248_str_t name, mg_term_t *chosen, tset_t *out)
{
    out->n = 0;
    if (is_choose(name)) {
        if (chosen && chosen->used && chosen->ctx == ctx) out->t[out->n++] = chosen;
        return 0;
    }
    if (is_wild(name)) {
        for (unsigned i = 0; ctx && i < ctx->nterms; i++)
            if (mg_tid_match(name.p, name.len, ctx->terms[i]->id, ctx->terms[i]->idlen))
                out->t[out->n++] = ctx->terms[i];
        if (!out->n) return mg_fail(x, MG_ERR_NO_WILDCARD_MATCH, "no termination matched");
        return 0;
    }
    mg_term_t *t = mg_term_find(x->e->store, name.p, name.len);
    if (!t) return mg_fail(x, MG_ERR_UNKNOWN_TERM, "unknown termination in Topology");
    if (!ctx || t->ctx != ctx)
        return mg_fail(x, MG_ERR_TERM_NOT_IN_CTX, "termination of the Topology not in the context");
    out->t[out->n++] = t;
    return 0;
}

static bool same_pair(const mg_topo_t *e, const mg_term_t *a, const mg_term_t *b)
{
    return (e->from == a && e->to == b) || (e->from == b && e->to == a);
}

/* Set the association of from and to (stream 0: every stream) in w[*n]. */
static int set_assoc(mg_exec_t *x, mg_topo_t *w, unsigned *n, mg_term_t *from, mg_term_t *to,
                     uint16_t stream, uint8_t dir)
{
    unsigned k = 0;
    bool has_all = false;
    for (unsigned i = 0; i < *n; i++) {
        if (same_pair(&w[i], from, to) && (stream == 0 || w[i].stream == stream)) continue;
        if (same_pair(&w[i], from, to) && w[i].stream == 0) has_all = true;
        w[k++] = w[i];
    }
    *n = k;
    if (dir == H248_TOPO_BOTHWAY && (stream == 0 || !has_all)) return 0; /* the default */
    if (*n >= MG_TOPO_MAX) return mg_fail(x, MG_ERR_RESOURCES, "too many Topology associations");
    w[(*n)++] = (mg_topo_t){.from = from, .to = to, .stream = stream, .dir = dir};
    return 0;
}

/* One triple into w: every pair of distinct terminations it names. */
static int apply_triple(mg_exec_t *x, mg_ctx_t *ctx, const h248_topology_t *tp, mg_term_t *chosen,
                        mg_topo_t *w, unsigned *n)
{
    tset_t f, t;
    int rc = resolve(x, ctx, tp->from, chosen, &f);
    if (!rc) rc = resolve(x, ctx, tp->to, chosen, &t);
    if (rc) return rc;
    /* A * stands for the context's terminations but the one the other id names; two * may
     * not match a termination in common for a one-way association (7.1.18). */
    bool both_wild = is_wild(tp->from) && is_wild(tp->to);
    for (unsigned i = 0; i < f.n && both_wild && oneway_like(tp->dir); i++)
        for (unsigned j = 0; j < t.n; j++)
            if (f.t[i] == t.t[j])
                return mg_fail(x, MG_ERR_BAD_ID, "a termination matches both ids of a Oneway");
    for (unsigned i = 0; i < f.n; i++)
        for (unsigned j = 0; j < t.n; j++) {
            if (f.t[i] == t.t[j]) continue; /* no loopback */
            rc = set_assoc(x, w, n, f.t[i], t.t[j], tp->has_stream ? tp->stream : 0,
                           (uint8_t)tp->dir);
            if (rc) return rc;
        }
    return 0;
}

static int apply(mg_exec_t *x, mg_ctx_t *ctx, const h248_topology_t *list, bool choose_pass,
                 mg_term_t *chosen)
{
    mg_topo_t w[MG_TOPO_MAX];
    unsigned n = ctx ? ctx->ntopo : 0;
    if (n) memcpy(w, ctx->topo, n * sizeof(w[0]));
    for (const h248_topology_t *tp = list; tp; tp = tp->next) {
        bool nc = is_choose(tp->from) || is_choose(tp->to);
        if (nc != choose_pass) continue;
        int rc = apply_triple(x, ctx, tp, chosen, w, &n);
        if (rc) return rc;
    }
    if (!ctx) return 0;
    mg_topo_snap_t snap;
    mg_topo_snapshot(x->e, ctx, &snap);
    memcpy(ctx->topo, w, n * sizeof(w[0]));
    ctx->ntopo = (uint8_t)n;
    mg_topo_push(x->e, ctx, &snap);
    return 0;
}

bool mg_topo_action(mg_exec_t *x, const h248_action_t *act, mg_ctx_t *ctx, uint32_t ctx_id,
                    bool one, mg_term_t *chosen, bool after)
{
    const h248_topology_t *list =
        act->props && act->props->has_topology ? act->props->topology : NULL;
    if (!list || (after && (!ctx || !names_choose(list)))) return true;
    x->fail.code = 0;
    x->fail.text = NULL;
    int rc = 0;
    if (!after && !one) rc = mg_fail(x, MG_ERR_BAD_ACTION, "Topology needs one context");
    if (!rc && !after) rc = check_form(x, list, adds_choose(act));
    if (!rc) rc = apply(x, ctx, list, after, chosen);
    if (!rc) return true;
    h248_action_t *ra = mg_reply_action(x, ctx_id);
    if (ra) ra->error = h248_error_new(x->a, (uint16_t)rc, mg_dup(x->a, x->fail.text));
    return false;
}

/* ---- effect on the gates -------------------------------------------------------------------- */

static bool mode_receives(dp_mode_t m)
{
    return m == DP_MODE_SENDRECV || m == DP_MODE_RECVONLY;
}

static bool mode_sends(dp_mode_t m)
{
    return m == DP_MODE_SENDRECV || m == DP_MODE_SENDONLY;
}

dp_mode_t mg_topo_mode(const mg_term_t *t, uint16_t sid, dp_mode_t m)
{
    const mg_ctx_t *c = t->ctx;
    if (!c || c->ntopo == 0 || c->nterms < 2) return m;
    const mg_term_t *peer = c->terms[0] == t ? c->terms[1] : c->terms[0];
    const mg_topo_t *a = NULL;
    for (unsigned i = 0; i < c->ntopo; i++) {
        const mg_topo_t *e = &c->topo[i];
        if (!same_pair(e, t, peer)) continue;
        if (e->stream == sid) {
            a = e;
            break;
        }
        if (e->stream == 0) a = e;
    }
    if (!a) return m;
    bool out, in; /* t's media to the peer; the peer's media to t */
    switch (a->dir) {
    case H248_TOPO_BOTHWAY:
        out = in = true;
        break;
    case H248_TOPO_ONEWAY:
    case H248_TOPO_ONEWAY_BOTH: /* the part external to `from` would loop `to` back to itself */
        out = a->from == t;
        in = !out;
        break;
    default: /* Isolate; OnewayExternal: `from` gets nothing, so it sends nothing `to` could get */
        out = in = false;
        break;
    }
    bool r = mode_receives(m) && out, s = mode_sends(m) && in;
    return r && s ? DP_MODE_SENDRECV
           : r    ? DP_MODE_RECVONLY
           : s    ? DP_MODE_SENDONLY
                  : DP_MODE_INACTIVE;
}

void mg_topo_snapshot(const mg_engine_t *e, const mg_ctx_t *c, mg_topo_snap_t *s)
{
    s->n = 0;
    for (unsigned i = 0; i < c->nterms; i++) {
        mg_term_t *t = c->terms[i];
        s->e[s->n].t = t;
        for (unsigned k = 0; k < MG_MAX_STREAMS; k++) {
            const mg_stream_t *st = &t->streams[k];
            s->e[s->n].gate[k] = st->id ? st->gate_id : 0;
            if (s->e[s->n].gate[k]) mg_build_req(e, t, st, c->id, &s->e[s->n].req[k]);
        }
        s->n++;
    }
}

void mg_topo_push(mg_engine_t *e, const mg_ctx_t *c, const mg_topo_snap_t *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        mg_term_t *t = s->e[i].t;
        if (!t->used || t->ctx != c) continue;
        for (unsigned k = 0; k < MG_MAX_STREAMS; k++) {
            const mg_stream_t *st = &t->streams[k];
            if (!st->id || !st->gate_id || st->gate_id != s->e[i].gate[k]) continue;
            dp_gate_req_t now;
            mg_build_req(e, t, st, c->id, &now);
            unsigned what = mg_req_diff(&s->e[i].req[k], &now);
            if (what) dp_gate_modify(e->dp, &now, what);
        }
    }
}

/* ---- ContextAudit ------------------------------------------------------------------------------
 */

static h248_topology_t *triple(arena_t *a, const mg_term_t *f, const mg_term_t *t, uint8_t dir,
                               uint16_t stream)
{
    h248_topology_t *tp = arena_alloc(a, sizeof(*tp));
    if (!tp) return NULL;
    tp->from = h248_str_dup(a, f->id, f->idlen);
    tp->to = h248_str_dup(a, t->id, t->idlen);
    tp->dir = (h248_topo_dir_t)dir;
    tp->stream = stream;
    tp->has_stream = stream != 0;
    return tp;
}

/* The associations in force: the pair's association for every stream (Bothway when the MGC
 * set none), then those of single streams (v2 and later). NULL below two terminations. */
static h248_topology_t *topo_audit(arena_t *a, const mg_ctx_t *c, uint8_t version)
{
    if (c->nterms < 2) return NULL;
    const mg_topo_t *all = NULL;
    for (unsigned i = 0; i < c->ntopo; i++)
        if (c->topo[i].stream == 0) all = &c->topo[i];
    h248_topology_t *head = all ? triple(a, all->from, all->to, all->dir, 0)
                                : triple(a, c->terms[0], c->terms[1], H248_TOPO_BOTHWAY, 0);
    h248_topology_t **tail = head ? &head->next : &head;
    for (unsigned i = 0; i < c->ntopo && version >= 2; i++) {
        const mg_topo_t *e = &c->topo[i];
        if (e->stream == 0) continue;
        if (!(*tail = triple(a, e->from, e->to, e->dir, e->stream))) break;
        tail = &(*tail)->next;
    }
    return head;
}

bool mg_ctx_props(mg_exec_t *x, mg_ctx_t *ctx, bool all, const h248_action_t *act)
{
    if (act->props && ctx) {
        if (act->props->priority >= 0) ctx->priority = (uint8_t)act->props->priority;
        if (act->props->emergency != H248_TRI_NONE)
            ctx->emergency = act->props->emergency == H248_TRI_ON;
    }
    if (!act->audit || (!all && !ctx)) return false;
    uint8_t items = act->audit->items ? act->audit->items
                                      : H248_CA_PRIORITY | H248_CA_EMERGENCY | H248_CA_TOPOLOGY;
    mg_store_t *st = x->e->store;
    mg_ctx_t *c = all ? mg_ctx_next(st, 0) : ctx;
    for (; c; c = all ? mg_ctx_next(st, c->id) : NULL) {
        h248_action_t *ra = mg_reply_action(x, c->id);
        h248_ctx_props_t *p = arena_alloc(x->a, sizeof(*p));
        if (!ra || !p) return true;
        p->priority = items & H248_CA_PRIORITY ? c->priority : -1;
        if (items & H248_CA_EMERGENCY) p->emergency = c->emergency ? H248_TRI_ON : H248_TRI_OFF;
        if (items & H248_CA_TOPOLOGY) {
            p->topology = topo_audit(x->a, c, x->version);
            p->has_topology = p->topology != NULL;
        }
        ra->props = p;
    }
    return true;
}
