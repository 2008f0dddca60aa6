/* engine.c - bgfd's call engine (see engine.h): runs the commands of one H.248 transaction
 * against the contexts and terminations in the store, turns streams into data-plane gates
 * (dp_gate_open/modify/close) and builds the reply tree.
 *
 * Each command runs in three steps: parse and check every descriptor into a change set
 * (engine_parse.c; nothing touched yet), take resources (ports, gates, contexts: see
 * engine_gate.c) undoing them all when one fails, then commit. So a command that fails
 * leaves nothing behind. Audit replies and statistics: audit.c.
 *
 * Control-plane thread only. Owns the store, the realm pools and the gates it opened.
 * Interception values (LICn, correlation numbers, target ids) go only to li_ctl_* and into
 * gate requests: never into logs, replies or audits. */
#include "mg/engine_int.h"
#include "mg/topology.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "h248/sdp.h"

/* ---- small helpers ---------------------------------------------------------------------- */

int mg_fail(mg_exec_t *x, int code, const char *text)
{
    x->fail.code = (uint16_t)code;
    x->fail.text = text;
    return code;
}

h248_str_t mg_dup(arena_t *a, const char *s)
{
    return h248_str_dup(a, s, strlen(s));
}

uint64_t mg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Gate ids: the low 23 bits name the stream slot (slot * MG_MAX_STREAMS + i + 1, up to 4M
 * terminations), the high 9 bits the slot's generation, so an event about a gate closed
 * before its slot was reused is recognised as stale. */
#define GATE_SLOT_BITS 23u
uint32_t mg_gate_id_of(const mg_term_t *t, unsigned i)
{
    return ((uint32_t)(t->gen & 0x1FFu) << GATE_SLOT_BITS) | (t->slot * MG_MAX_STREAMS + i + 1);
}

/* ---- reply plumbing ------------------------------------------------------------------------- */

static h248_cmd_t *cmd_reply(mg_exec_t *x, h248_cmd_kind_t kind, const char *tid, size_t n)
{
    h248_cmd_t *r = arena_alloc(x->a, sizeof(*r));
    h248_termid_t *id = arena_alloc(x->a, sizeof(*id));
    if (!r || !id) return NULL;
    r->kind = kind;
    id->name = h248_str_dup(x->a, tid, n);
    if (n == 4 && !strncasecmp(tid, "ROOT", 4)) id->flags = H248_TID_ROOT;
    if (memchr(tid, '*', n)) id->flags |= H248_TID_ALL;
    r->tids = id;
    return r;
}

static void append_cmd(h248_action_t *act, h248_cmd_t *r)
{
    h248_cmd_t **pp = &act->cmds;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
}

/* The reply action for context id (found or appended). */
h248_action_t *mg_reply_action(mg_exec_t *x, uint32_t ctx)
{
    h248_action_t **pp = &x->rep->actions;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->ctx == ctx && !(*pp)->error) return *pp;
    h248_action_t *a = arena_alloc(x->a, sizeof(*a));
    if (!a) return NULL;
    a->ctx = ctx;
    *pp = a;
    return a;
}

/* Queue r as the command's current reply (in context ctx); the previous one goes to its
 * context's reply action now. exec_action appends the last one. */
static void push_reply(mg_exec_t *x, h248_cmd_t **out, h248_cmd_t *r, uint32_t ctx)
{
    if (*out) {
        h248_action_t *ra = mg_reply_action(x, x->out_ctx);
        if (ra) append_cmd(ra, *out);
    }
    *out = r;
    x->out_ctx = ctx;
}

/* ---- selection of terminations ------------------------------------------------------------ */

typedef enum { SEL_NUM, SEL_CHOOSE, SEL_NULL, SEL_ALL } sel_kind_t;

typedef struct mg_sel {
    sel_kind_t kind;
    uint32_t id;       /* SEL_NUM: the context id asked for (kept after the context ends) */
    mg_ctx_t *ctx;     /* SEL_NUM, or SEL_CHOOSE once created; NULL once ended */
    bool created;      /* SEL_CHOOSE: the context was made by this action */
    mg_term_t *chosen; /* made by the action's first Add=$ (a $ in Topology names it) */
} mg_sel_t;

#define MATCH_MAX 64

/* Terminations tid names within the selection. 0 and *n, or an H.248 code. */
static int match_terms(mg_exec_t *x, const mg_sel_t *sel, const h248_termid_t *tid, mg_term_t **out,
                       unsigned *n)
{
    *n = 0;
    if (tid->flags & H248_TID_CHOOSE) return mg_fail(x, MG_ERR_BAD_ID, "$ not allowed here");
    if (!(tid->flags & H248_TID_ALL)) {
        mg_term_t *t = mg_term_find(x->e->store, tid->name.p, tid->name.len);
        if (!t) return mg_fail(x, MG_ERR_UNKNOWN_TERM, "unknown termination");
        if (sel->kind == SEL_ALL || (sel->ctx && t->ctx == sel->ctx)) {
            out[(*n)++] = t;
            return 0;
        }
        return mg_fail(x, MG_ERR_TERM_NOT_IN_CTX, "termination not in this context");
    }
    if (sel->kind == SEL_ALL) {
        for (mg_ctx_t *c = mg_ctx_next(x->e->store, 0); c; c = mg_ctx_next(x->e->store, c->id))
            for (unsigned i = 0; i < c->nterms && *n < MATCH_MAX; i++)
                if (mg_tid_match(tid->name.p, tid->name.len, c->terms[i]->id, c->terms[i]->idlen))
                    out[(*n)++] = c->terms[i];
    } else if (sel->ctx) {
        for (unsigned i = 0; i < sel->ctx->nterms; i++)
            if (mg_tid_match(tid->name.p, tid->name.len, sel->ctx->terms[i]->id,
                             sel->ctx->terms[i]->idlen))
                out[(*n)++] = sel->ctx->terms[i];
    }
    if (*n == 0) return mg_fail(x, MG_ERR_NO_WILDCARD_MATCH, "no termination matched");
    return 0;
}

/* ---- commands ------------------------------------------------------------------------------- */

static void term_commit_props(mg_term_t *t, const mg_chg_t *c)
{
    if (c->timerx_set) {
        t->timerx_set = true;
        t->timerx = c->timerx;
    }
    if (c->events_set) {
        t->events_set = true;
        t->events_rid = c->rid;
        t->thb = c->thb;
    }
    if (c->svc != H248_SVC_NONE) t->svc = c->svc;
}

static void stream_merge(mg_engine_t *e, mg_stream_t *s, const mg_schg_t *sc)
{
    for (unsigned i = 0; i < MG_P_COUNT; i++)
        if (sc->p.pset & (1u << i)) {
            s->p.pv[i] = sc->p.pv[i];
            s->p.pv2[i] = sc->p.pv2[i];
        }
    s->p.pset |= sc->p.pset;
    if (sc->p.pset & (1u << MG_P_SAM)) {
        s->p.sam = sc->p.sam;
        s->p.sam_net = sc->p.sam_net;
        s->p.sam_len = sc->p.sam_len;
    }
    if (sc->p.pset & (1u << MG_P_LSA)) s->p.lsa = sc->p.lsa;
    if (sc->p.mode_set) {
        s->p.mode_set = true;
        s->p.mode = sc->p.mode;
    }
    if (sc->has_remote) {
        if (sc->remote_known)
            s->remote = sc->remote;
        else
            memset(&s->remote, 0, sizeof(s->remote));
        free(s->remote_sdp);
        s->remote_sdp = mg_xstrdup(sc->remote_text);
    }
    (void)e;
}

/* Realm and family an Add asks for (from ipdc/realm, the termination id, Local, Remote). */
static int add_target(mg_exec_t *x, const h248_termid_t *tid, const mg_chg_t *c, int *realm,
                      int *family)
{
    mg_engine_t *e = x->e;
    *realm = (int)mg_realm_default(e->realms);
    *family = 0;
    /* ip/<group>/<realm>/$ */
    const char *p = tid->name.p, *end = p + tid->name.len, *lv[4];
    size_t ln[4];
    unsigned nl = 0;
    while (p <= end && nl < 4) {
        const char *q = memchr(p, '/', (size_t)(end - p));
        if (!q) q = end;
        lv[nl] = p;
        ln[nl++] = (size_t)(q - p);
        p = q + 1;
    }
    if (nl == 4 && ln[0] == 2 && !strncasecmp(lv[0], "ip", 2)) {
        if (!(ln[2] == 1 && (lv[2][0] == '$' || lv[2][0] == '*'))) {
            int r = mg_realms_find(e->realms, lv[2], ln[2]);
            if (r < 0) return mg_fail(x, MG_ERR_UNKNOWN_TERM, "unknown realm in termination id");
            *realm = r;
        }
        if (ln[1] == 1 && lv[1][0] == '6') *family = AF_INET6;
        if (ln[1] == 1 && lv[1][0] == '4') *family = AF_INET;
    }
    if (c->realm >= 0) *realm = c->realm;
    for (unsigned i = 0; i < c->ns; i++) {
        int f = c->s[i].local_af ? c->s[i].local_af : c->s[i].remote_af;
        if (f && *family && f != *family)
            return mg_fail(x, MG_ERR_BAD_VALUE, "address families disagree");
        if (f) *family = f;
    }
    if (!*family)
        *family = mg_realm_has_family(e->realms, (unsigned)*realm, AF_INET) ? AF_INET : AF_INET6;
    if (!mg_realm_has_family(e->realms, (unsigned)*realm, *family))
        return mg_fail(x, MG_ERR_BAD_VALUE, "realm has no address of that family");
    return 0;
}

static int cmd_add(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **out)
{
    mg_engine_t *e = x->e;
    const h248_termid_t *tid = cmd->tids;
    if (sel->kind == SEL_NULL || sel->kind == SEL_ALL)
        return mg_fail(x, MG_ERR_BAD_ACTION, "Add needs a context");
    if (tid->flags & (H248_TID_ROOT | H248_TID_ALL))
        return mg_fail(x, MG_ERR_BAD_ID, "Add needs a termination id or $");
    if (!(tid->flags & H248_TID_CHOOSE)) {
        mg_term_t *t = mg_term_find(e->store, tid->name.p, tid->name.len);
        return t ? mg_fail(x, MG_ERR_TERM_IN_CTX, "termination already in a context")
                 : mg_fail(x, MG_ERR_UNKNOWN_TERM, "unknown termination");
    }
    if (sel->ctx && sel->ctx->nterms >= MG_MAX_TERMS_PER_CTX)
        return mg_fail(x, MG_ERR_MAX_TERMS, "context full");
    mg_chg_t *c = arena_alloc(x->a, sizeof(*c));
    if (!c) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
    int rc = mg_parse_change(x, cmd, false, c);
    if (rc) return rc;
    int realm, family;
    if ((rc = add_target(x, tid, c, &realm, &family))) return rc;
    if (c->ns == 0 && !mg_chg_stream(x, c, 1, false)) return x->fail.code;

    bool made_ctx = false;
    if (!sel->ctx && sel->kind == SEL_NUM) return mg_fail(x, MG_ERR_UNKNOWN_CTX, "context ended");
    if (!sel->ctx) {
        if (!(sel->ctx = mg_ctx_new(e->store))) return mg_fail(x, MG_ERR_NO_CTX, "no context free");
        sel->created = made_ctx = true;
    }
    mg_term_t *t = mg_term_new(e->store, family, mg_realm_name(e->realms, (unsigned)realm));
    if (!t) {
        rc = mg_fail(x, MG_ERR_RESOURCES, "no termination free");
        goto undo_ctx;
    }
    t->realm = (uint16_t)realm;
    t->created_ms = mg_now_ms();
    term_commit_props(t, c);
    if (e->li && (c->licn_set || c->tids_set)) mg_li_decide(e, t, c, &t->tap);
    for (unsigned i = 0; i < c->ns; i++) {
        mg_stream_t *s = &t->streams[i];
        s->id = c->s[i].id;
        stream_merge(e, s, &c->s[i]);
        if ((rc = mg_open_stream(x, t, i, sel->ctx->id))) goto undo_term;
    }
    if (e->li && (c->licn_set || c->tids_set)) {
        mg_li_apply(e, t, true);
        for (unsigned i = 0; i < c->ns; i++)
            if (t->streams[i].tapped) {
                dp_gate_req_t req;
                mg_build_req(e, t, &t->streams[i], sel->ctx->id, &req);
                dp_gate_modify(e->dp, &req, DP_MOD_TAP);
            }
    }
    for (unsigned i = 0; i < c->ns; i++)
        t->streams[i].local_sdp = mg_xstrdup(mg_local_text(x, t, &t->streams[i], &c->s[i]));
    mg_ctx_attach(sel->ctx, t);
    if (!sel->chosen) sel->chosen = t;
    h248_cmd_t *r = cmd_reply(x, H248_CMD_ADD, t->id, t->idlen);
    if (r) mg_reply_local(x, r, t, c, false);
    *out = r;
    return 0;

undo_term:
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++)
        mg_close_stream(e, t, i, NULL);
    mg_term_del(e->store, t);
undo_ctx:
    if (made_ctx) {
        mg_ctx_del(e->store, sel->ctx);
        sel->ctx = NULL;
        sel->created = false;
    }
    return rc;
}

/* Apply a checked change to one termination already in a context (Modify, Move). New
 * streams are opened first, so a failure leaves the termination as it was. */
static int term_apply(mg_exec_t *x, mg_term_t *t, const mg_chg_t *c, uint32_t ctx_id)
{
    mg_engine_t *e = x->e;
    if (c->realm >= 0 && (unsigned)c->realm != t->realm)
        return mg_fail(x, MG_ERR_NOT_IMPL, "realm change of a termination");
    bool fresh[MG_MAX_STREAMS] = {false};
    for (unsigned k = 0; k < c->ns; k++) {
        const mg_schg_t *sc = &c->s[k];
        int f = sc->remote_known ? netaddr_family(&sc->remote) : sc->local_af;
        if (f && f != t->family) return mg_fail(x, MG_ERR_BAD_VALUE, "address family differs");
    }
    for (unsigned k = 0; k < c->ns; k++) {
        unsigned i;
        for (i = 0; i < MG_MAX_STREAMS; i++)
            if (t->streams[i].id == c->s[k].id) break;
        if (i < MG_MAX_STREAMS) continue;
        for (i = 0; i < MG_MAX_STREAMS && t->streams[i].id; i++) {
        }
        int rc = i == MG_MAX_STREAMS ? mg_fail(x, MG_ERR_RESOURCES, "too many streams") : 0;
        if (!rc) {
            t->streams[i].id = c->s[k].id;
            stream_merge(e, &t->streams[i], &c->s[k]);
            fresh[i] = true;
            rc = mg_open_stream(x, t, i, ctx_id);
        }
        if (rc) {
            for (unsigned j = 0; j < MG_MAX_STREAMS; j++)
                if (fresh[j]) mg_close_stream(e, t, j, NULL);
            return rc;
        }
    }
    dp_gate_req_t before[MG_MAX_STREAMS];
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++)
        if (t->streams[i].id && !fresh[i]) mg_build_req(e, t, &t->streams[i], ctx_id, &before[i]);
    term_commit_props(t, c);
    for (unsigned k = 0; k < c->ns; k++)
        for (unsigned i = 0; i < MG_MAX_STREAMS; i++)
            if (t->streams[i].id == c->s[k].id && !fresh[i])
                stream_merge(e, &t->streams[i], &c->s[k]);
    bool li_asked = e->li && (c->licn_set || c->tids_set);
    if (li_asked) mg_li_decide(e, t, c, &t->tap);
    if (li_asked || t->tap.active) mg_li_apply(e, t, li_asked);
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++) {
        mg_stream_t *s = &t->streams[i];
        if (!s->id) continue;
        dp_gate_req_t now;
        mg_build_req(e, t, s, ctx_id, &now);
        unsigned what = fresh[i] ? (s->tapped ? DP_MOD_TAP : 0) : mg_req_diff(&before[i], &now);
        if (what) dp_gate_modify(e->dp, &now, what);
        const mg_schg_t *sc = NULL;
        for (unsigned k = 0; k < c->ns; k++)
            if (c->s[k].id == s->id) sc = &c->s[k];
        if (fresh[i] || (sc && sc->has_local)) {
            free(s->local_sdp);
            s->local_sdp = mg_xstrdup(mg_local_text(x, t, s, sc));
        }
    }
    return 0;
}

static void root_apply(mg_engine_t *e, const mg_chg_t *c)
{
    uint32_t *dst[8] = {NULL,
                        NULL,
                        &e->root.normal_mg_exec_ms,
                        &e->root.normal_mgc_exec_ms,
                        &e->root.mg_prov_timer_ms,
                        &e->root.mgc_prov_timer_ms,
                        &e->root.mg_pending_limit,
                        &e->root.mgc_pending_limit};
    for (unsigned i = 0; i < 8; i++)
        if ((c->rootset & (1u << i)) && dst[i]) *dst[i] = c->rootv[i];
    e->root_by_mgc |= c->rootset;
    if (c->events_set) {
        e->root_rid = c->rid;
        e->ito_set = c->ito;
        e->ito_mit = c->ito ? c->mit : 0;
        if (e->ops.inactivity) e->ops.inactivity(e->ops.arg, e->ito_set ? e->ito_mit * 10u : 0);
    }
}

static int cmd_modify(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **out)
{
    mg_engine_t *e = x->e;
    const h248_termid_t *tid = cmd->tids;
    mg_chg_t *c = arena_alloc(x->a, sizeof(*c));
    if (!c) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
    if (tid->flags & H248_TID_ROOT) {
        if (sel->kind != SEL_NULL) return mg_fail(x, MG_ERR_BAD_ID, "ROOT is in the null context");
        int rc = mg_parse_change(x, cmd, true, c);
        if (rc) return rc;
        root_apply(e, c);
        *out = cmd_reply(x, H248_CMD_MODIFY, "ROOT", 4);
        return 0;
    }
    if (sel->kind == SEL_CHOOSE) return mg_fail(x, MG_ERR_BAD_ACTION, "Modify in context $");
    mg_term_t *ts[MATCH_MAX];
    unsigned n;
    int rc = match_terms(x, sel, tid, ts, &n);
    if (rc) return rc;
    if ((rc = mg_parse_change(x, cmd, false, c))) return rc;
    for (unsigned i = 0; i < n; i++) {
        if ((rc = term_apply(x, ts[i], c, ts[i]->ctx->id))) return rc;
        if (cmd->wildcard_reply) continue;
        h248_cmd_t *r = cmd_reply(x, H248_CMD_MODIFY, ts[i]->id, ts[i]->idlen);
        if (!r) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        mg_reply_local(x, r, ts[i], c, true);
        if (c->audit) mg_audit_term(x, ts[i], c->audit, r);
        push_reply(x, out, r, ts[i]->ctx->id);
    }
    if (cmd->wildcard_reply) {
        *out = cmd_reply(x, H248_CMD_MODIFY, tid->name.p, tid->name.len);
        if (*out) (*out)->wildcard_reply = true;
    }
    return 0;
}

/* Close every stream of t, release it from its context and the pools. */
static void term_release(mg_engine_t *e, mg_term_t *t, dp_gate_stats_t *final)
{
    mg_ctx_t *c = t->ctx;
    mg_topo_snap_t snap; /* the other termination goes back to Bothway */
    bool topo = c && c->ntopo;
    if (topo) mg_topo_snapshot(e, c, &snap);
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++)
        mg_close_stream(e, t, i, final);
    if (c) {
        mg_ctx_detach(c, t);
        if (topo && c->nterms) mg_topo_push(e, c, &snap);
        if (c->nterms == 0) mg_ctx_del(e->store, c);
    }
    mg_term_del(e->store, t);
}

/* Which statistics a Subtract returns: NULL names = default set, *none = none. */
static int subtract_audit(mg_exec_t *x, const h248_cmd_t *cmd, const h248_prop_t **names,
                          bool *none, const h248_desc_t **audit)
{
    *names = NULL;
    *none = false;
    *audit = NULL;
    for (const h248_desc_t *d = cmd->descs; d; d = d->next) {
        if (d->kind != H248_D_AUDIT)
            return mg_fail(x, MG_ERR_UNKNOWN_DESC, "only Audit in Subtract");
        *audit = d;
        *none = true;
        for (const h248_desc_t *it = d->u.audit; it; it = it->next) {
            if (it->kind == H248_D_STATISTICS) {
                *none = false;
                *names = it->bare ? NULL : it->u.stats;
                for (const h248_prop_t *p = *names; p; p = p->next) {
                    int rc = mg_pkg_stat(p->name.p, p->name.len);
                    if (rc) return mg_fail(x, rc, "unknown statistic");
                }
            }
        }
    }
    return 0;
}

static int cmd_subtract(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **out)
{
    mg_engine_t *e = x->e;
    const h248_termid_t *tid = cmd->tids;
    if (tid->flags & H248_TID_ROOT) return mg_fail(x, MG_ERR_BAD_ID, "ROOT cannot be subtracted");
    if (sel->kind == SEL_CHOOSE || sel->kind == SEL_NULL)
        return mg_fail(x, MG_ERR_BAD_ACTION, "Subtract needs a context");
    const h248_prop_t *names;
    bool none;
    const h248_desc_t *audit;
    int rc = subtract_audit(x, cmd, &names, &none, &audit);
    if (rc) return rc;
    for (;;) { /* wildcards: in batches of MATCH_MAX */
        mg_term_t *ts[MATCH_MAX];
        unsigned n;
        rc = match_terms(x, sel, tid, ts, &n);
        if (rc == MG_ERR_NO_WILDCARD_MATCH && *out) return 0;
        if (rc) return rc;
        for (unsigned i = 0; i < n; i++) {
            mg_term_t *t = ts[i];
            uint32_t ctx_id = t->ctx->id;
            h248_cmd_t *r =
                cmd->wildcard_reply ? NULL : cmd_reply(x, H248_CMD_SUBTRACT, t->id, t->idlen);
            if (r && audit && !none) {
                for (const h248_desc_t *it = audit->u.audit; it; it = it->next)
                    if (it->kind != H248_D_STATISTICS) {
                        h248_desc_t one = *it;
                        one.next = NULL;
                        h248_desc_t wrap = {.kind = H248_D_AUDIT, .u.audit = &one};
                        mg_audit_term(x, t, &wrap, r);
                    }
            }
            dp_gate_stats_t st;
            memset(&st, 0, sizeof(st));
            term_release(e, t, &st);
            if (r && !none) mg_stats_reply(x, t, &st, names, r);
            if (r) push_reply(x, out, r, ctx_id);
        }
        if (cmd->wildcard_reply && !*out) {
            *out = cmd_reply(x, H248_CMD_SUBTRACT, tid->name.p, tid->name.len);
            if (*out) (*out)->wildcard_reply = true;
        }
        if (!(tid->flags & H248_TID_ALL)) return 0;
        if (sel->kind == SEL_NUM && !mg_ctx_get(e->store, sel->ctx->id)) {
            sel->ctx = NULL;
            return 0;
        }
    }
}

static int cmd_move(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **out)
{
    mg_engine_t *e = x->e;
    const h248_termid_t *tid = cmd->tids;
    if (sel->kind == SEL_NULL || sel->kind == SEL_ALL)
        return mg_fail(x, MG_ERR_BAD_ACTION, "Move needs a context");
    if (tid->flags & (H248_TID_ROOT | H248_TID_ALL | H248_TID_CHOOSE))
        return mg_fail(x, MG_ERR_BAD_ID, "Move needs one termination id");
    mg_term_t *t = mg_term_find(e->store, tid->name.p, tid->name.len);
    if (!t) return mg_fail(x, MG_ERR_UNKNOWN_TERM, "unknown termination");
    if (sel->ctx && t->ctx == sel->ctx)
        return mg_fail(x, MG_ERR_TERM_IN_CTX, "termination already in this context");
    if (sel->ctx && sel->ctx->nterms >= MG_MAX_TERMS_PER_CTX)
        return mg_fail(x, MG_ERR_MAX_TERMS, "context full");
    mg_chg_t *c = arena_alloc(x->a, sizeof(*c));
    if (!c) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
    int rc = mg_parse_change(x, cmd, false, c);
    if (rc) return rc;
    bool made = false;
    if (!sel->ctx && sel->kind == SEL_NUM) return mg_fail(x, MG_ERR_UNKNOWN_CTX, "context ended");
    if (!sel->ctx) {
        if (!(sel->ctx = mg_ctx_new(e->store))) return mg_fail(x, MG_ERR_NO_CTX, "no context free");
        sel->created = made = true;
    }
    if ((rc = term_apply(x, t, c, t->ctx->id))) {
        if (made) {
            mg_ctx_del(e->store, sel->ctx);
            sel->ctx = NULL;
            sel->created = false;
        }
        return rc;
    }
    mg_ctx_t *old = t->ctx;
    dp_gate_req_t before[MG_MAX_STREAMS];
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++)
        if (t->streams[i].id && t->streams[i].gate_id)
            mg_build_req(e, t, &t->streams[i], old->id, &before[i]);
    mg_topo_snap_t snap;
    bool topo = old->ntopo != 0;
    if (topo) mg_topo_snapshot(e, old, &snap);
    mg_ctx_detach(old, t);
    if (topo && old->nterms) mg_topo_push(e, old, &snap);
    if (old->nterms == 0) mg_ctx_del(e->store, old);
    mg_ctx_attach(sel->ctx, t);
    /* Peers are gates with the same context: each gate changes context in place, so it keeps
     * its port, latched source, counters, RTP state, policer and tap; only its pairing (and
     * what the new context's Topology makes of its mode) changes. */
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++) {
        mg_stream_t *s = &t->streams[i];
        if (!s->id || !s->gate_id) continue;
        dp_gate_req_t req;
        mg_build_req(e, t, s, sel->ctx->id, &req);
        if (dp_gate_modify(e->dp, &req, DP_MOD_CONTEXT | mg_req_diff(&before[i], &req)) != 0) {
            LOG_WARN("move: gate %u is not in the data plane", s->gate_id);
            rc = mg_fail(x, MG_ERR_INTERNAL, "gate move failed");
        }
    }
    if (rc) return rc;
    h248_cmd_t *r = cmd_reply(x, H248_CMD_MOVE, t->id, t->idlen);
    if (r) mg_reply_local(x, r, t, c, true);
    *out = r;
    return 0;
}

static int cmd_audit(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **out)
{
    const h248_termid_t *tid = cmd->tids;
    bool caps = cmd->kind == H248_CMD_AUDIT_CAP;
    const h248_desc_t *audit = NULL;
    for (const h248_desc_t *d = cmd->descs; d; d = d->next) {
        if (d->kind != H248_D_AUDIT) return mg_fail(x, MG_ERR_UNKNOWN_DESC, "only Audit here");
        audit = d;
    }
    if (tid->flags & H248_TID_ROOT) {
        h248_cmd_t *r = cmd_reply(x, cmd->kind, "ROOT", 4);
        if (!r) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        int rc = caps ? mg_caps_root(x, audit, r) : mg_audit_root(x, audit, r);
        if (rc) return rc;
        *out = r;
        return 0;
    }
    mg_term_t *ts[MATCH_MAX];
    unsigned n = 0;
    int rc = sel->kind == SEL_CHOOSE ? mg_fail(x, MG_ERR_BAD_ACTION, "audit in context $")
                                     : match_terms(x, sel, tid, ts, &n);
    if (rc == MG_ERR_NO_WILDCARD_MATCH && caps && tid->name.len >= 3 &&
        !strncasecmp(tid->name.p, "ip/", 3)) {
        /* Capabilities of the IP terminations, even before any exists. */
        h248_cmd_t *r = cmd_reply(x, cmd->kind, tid->name.p, tid->name.len);
        if (!r) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        if ((rc = mg_caps_term(x, audit, r))) return rc;
        r->wildcard_reply = true;
        *out = r;
        return 0;
    }
    if (rc) return rc;
    if (cmd->wildcard_reply) {
        h248_cmd_t *r = cmd_reply(x, cmd->kind, tid->name.p, tid->name.len);
        if (!r) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        r->wildcard_reply = true;
        rc = caps ? mg_caps_term(x, audit, r) : mg_audit_term(x, ts[0], audit, r);
        if (rc) return rc;
        *out = r;
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        h248_cmd_t *r = cmd_reply(x, cmd->kind, ts[i]->id, ts[i]->idlen);
        if (!r) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        rc = caps ? mg_caps_term(x, audit, r) : mg_audit_term(x, ts[i], audit, r);
        if (rc) return rc;
        push_reply(x, out, r, ts[i]->ctx->id);
    }
    return 0;
}

static int cmd_service_change(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **out)
{
    mg_engine_t *e = x->e;
    const h248_service_change_t *sc = NULL;
    for (const h248_desc_t *d = cmd->descs; d; d = d->next)
        if (d->kind == H248_D_SERVICE_CHANGE) sc = &d->u.sc;
    if (!sc) return mg_fail(x, MG_ERR_ACTION_SYNTAX, "ServiceChange without Services");
    const h248_termid_t *tid = cmd->tids;
    if (tid->flags & H248_TID_ROOT) {
        h248_cmd_t *r = cmd_reply(x, H248_CMD_SERVICE_CHANGE, "ROOT", 4);
        if (!r) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        if (e->ops.root_service_change) e->ops.root_service_change(e->ops.arg, sc);
        *out = r;
        return 0;
    }
    mg_term_t *ts[MATCH_MAX];
    unsigned n;
    int rc = match_terms(x, sel, tid, ts, &n);
    if (rc) return rc;
    h248_svc_state_t st = H248_SVC_NONE;
    if (sc->method == H248_SCM_FORCED || sc->method == H248_SCM_GRACEFUL)
        st = H248_SVC_OUT_OF_SERVICE;
    else if (sc->method == H248_SCM_RESTART)
        st = H248_SVC_IN_SERVICE;
    for (unsigned i = 0; i < n && st != H248_SVC_NONE; i++) {
        mg_chg_t c;
        memset(&c, 0, sizeof(c));
        c.realm = -1;
        c.svc = st;
        term_apply(x, ts[i], &c, ts[i]->ctx->id);
    }
    *out = cmd_reply(x, H248_CMD_SERVICE_CHANGE, tid->name.p, tid->name.len);
    return 0;
}

/* ---- actions and transactions --------------------------------------------------------------- */

static const char *err_text(int code)
{
    switch (code) {
    case 410:
        return "Incorrect identifier";
    case 411:
        return "The transaction refers to an unknown ContextId";
    case 412:
        return "No ContextIDs available";
    case 421:
        return "Unknown action or illegal combination of actions";
    case 430:
        return "Unknown TerminationID";
    case 431:
        return "No TerminationID matched a wildcard";
    case 433:
        return "TerminationID is already in a Context";
    case 434:
        return "Max number of Terminations in a Context exceeded";
    case 435:
        return "Termination ID is not in specified Context";
    case 443:
        return "Unsupported or unknown Command";
    case 444:
        return "Unsupported or Unknown Descriptor";
    case 445:
        return "Unsupported or Unknown Property";
    case 446:
        return "Unsupported or Unknown Parameter";
    case 448:
        return "Descriptor appears twice in a command";
    case 449:
        return "Unsupported or Unknown Parameter or Property Value";
    case 450:
        return "No such property in this package";
    case 451:
        return "No such event in this package";
    case 452:
        return "No such signal in this package";
    case 453:
        return "No such statistic in this package";
    case 455:
        return "Property illegal in this Descriptor";
    case 456:
        return "Property appears twice in this Descriptor";
    case 500:
        return "Internal software Failure in the MG";
    case 501:
        return "Not Implemented";
    case 510:
        return "Insufficient resources";
    default:
        return "Error";
    }
}

static uint32_t sel_ctx_id(const mg_sel_t *sel)
{
    switch (sel->kind) {
    case SEL_NUM:
        return sel->id;
    case SEL_CHOOSE:
        return sel->ctx ? sel->ctx->id : H248_CTX_NULL;
    case SEL_ALL:
        return H248_CTX_ALL;
    default:
        return H248_CTX_NULL;
    }
}

static int exec_one(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **r)
{
    switch (cmd->kind) {
    case H248_CMD_ADD:
        return cmd_add(x, sel, cmd, r);
    case H248_CMD_MODIFY:
        return cmd_modify(x, sel, cmd, r);
    case H248_CMD_SUBTRACT:
        return cmd_subtract(x, sel, cmd, r);
    case H248_CMD_MOVE:
        return cmd_move(x, sel, cmd, r);
    case H248_CMD_AUDIT_VALUE:
    case H248_CMD_AUDIT_CAP:
        return cmd_audit(x, sel, cmd, r);
    case H248_CMD_SERVICE_CHANGE:
        return cmd_service_change(x, sel, cmd, r);
    case H248_CMD_NOTIFY:
    default:
        return mg_fail(x, MG_ERR_UNKNOWN_CMD, "command not accepted by the MG");
    }
}

/* A command; a v3 termination id list ([t1,t2]) runs it once per id, replies in order. */
static int exec_cmd(mg_exec_t *x, mg_sel_t *sel, const h248_cmd_t *cmd, h248_cmd_t **r)
{
    if (!cmd->tids) return mg_fail(x, MG_ERR_ACTION_SYNTAX, "command without termination id");
    if (!cmd->tids->next) return exec_one(x, sel, cmd, r);
    if (cmd->kind == H248_CMD_ADD || cmd->kind == H248_CMD_MOVE)
        return mg_fail(x, MG_ERR_NOT_IMPL, "termination id list in Add or Move");
    h248_cmd_t *acc = NULL;
    uint32_t acc_ctx = 0;
    for (const h248_termid_t *tid = cmd->tids; tid; tid = tid->next) {
        h248_termid_t one_tid = *tid;
        one_tid.next = NULL;
        h248_cmd_t one = *cmd;
        one.tids = &one_tid;
        one.tid_list = false;
        h248_cmd_t *r1 = NULL;
        x->out_ctx = 0;
        int rc = exec_one(x, sel, &one, &r1);
        uint32_t ctx = x->out_ctx ? x->out_ctx : sel_ctx_id(sel);
        if (acc && (rc || r1)) {
            h248_action_t *ra = mg_reply_action(x, acc_ctx);
            if (ra) append_cmd(ra, acc);
            acc = NULL;
        }
        if (rc) return rc;
        acc = r1;
        acc_ctx = ctx;
    }
    *r = acc;
    x->out_ctx = acc_ctx;
    return 0;
}

/* The action ends with an Error descriptor (text NULL: the code's); false. */
static bool action_error(mg_exec_t *x, uint32_t ctx, int code, const char *text)
{
    h248_action_t *ra = mg_reply_action(x, ctx);
    if (ra)
        ra->error =
            h248_error_new(x->a, (uint16_t)code, mg_dup(x->a, text ? text : err_text(code)));
    return false;
}

/* Run one action; false when a command failed (the transaction ends). */
static bool exec_action(mg_exec_t *x, const h248_action_t *act)
{
    mg_engine_t *e = x->e;
    mg_sel_t sel = {0};
    switch (act->ctx) {
    case H248_CTX_NULL:
        sel.kind = SEL_NULL;
        break;
    case H248_CTX_CHOOSE:
        sel.kind = SEL_CHOOSE;
        break;
    case H248_CTX_ALL:
        sel.kind = SEL_ALL;
        break;
    default:
        sel.kind = SEL_NUM;
        sel.id = act->ctx;
        sel.ctx = mg_ctx_get(e->store, act->ctx);
        if (!sel.ctx) return action_error(x, act->ctx, MG_ERR_UNKNOWN_CTX, NULL);
    }
    bool one = sel.kind == SEL_NUM || sel.kind == SEL_CHOOSE; /* Topology: not in - or * */
    if (!mg_topo_action(x, act, sel.ctx, sel_ctx_id(&sel), one, NULL, false)) return false;
    bool any = false;
    for (const h248_cmd_t *cmd = act->cmds; cmd; cmd = cmd->next) {
        h248_cmd_t *r = NULL;
        x->fail.code = 0;
        x->fail.text = NULL;
        x->out_ctx = 0;
        int rc = exec_cmd(x, &sel, cmd, &r);
        if (rc == 0 && !r) rc = mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        uint32_t ctx = x->out_ctx ? x->out_ctx : sel_ctx_id(&sel);
        if (sel.ctx && !sel.ctx->used) sel.ctx = NULL; /* the last Subtract ended it */
        if (rc == 0) {
            e->counts.cmds_ok++;
            h248_action_t *ra = mg_reply_action(x, ctx);
            if (!ra) return false;
            r->optional = false;
            append_cmd(ra, r);
            any = true;
            continue;
        }
        e->counts.cmds_failed++;
        const char *text = x->fail.text ? x->fail.text : err_text(rc);
        LOG_DEBUG("txn %u: %s failed: %d %s", x->rep->id, h248_cmd_name(cmd->kind), rc, text);
        if (cmd->optional) {
            h248_cmd_t *er = cmd_reply(x, cmd->kind, cmd->tids ? cmd->tids->name.p : "-",
                                       cmd->tids ? cmd->tids->name.len : 1);
            h248_desc_t *d = er ? h248_desc_add(x->a, er, H248_D_ERROR) : NULL;
            if (d) {
                d->u.error.code = (uint16_t)rc;
                d->u.error.text = mg_dup(x->a, text);
                d->u.error.has_text = true;
                h248_action_t *ra = mg_reply_action(x, ctx);
                if (ra) append_cmd(ra, er);
            }
            continue;
        }
        return action_error(x, ctx, rc, text);
    }
    if (!mg_topo_action(x, act, sel.ctx, sel_ctx_id(&sel), one, sel.chosen, true)) return false;
    bool audited = mg_ctx_props(x, sel.ctx, sel.kind == SEL_ALL, act);
    if (!any && !act->cmds && !audited) mg_reply_action(x, sel_ctx_id(&sel));
    return true;
}

h248_txn_t *mg_engine_execute(mg_engine_t *e, const h248_txn_t *req, uint8_t version, arena_t *a)
{
    h248_txn_t *rep = arena_alloc(a, sizeof(*rep));
    if (!rep) return NULL;
    rep->kind = H248_TXN_REPLY;
    rep->id = req->id;
    mg_exec_t x = {.e = e, .a = a, .version = version, .rep = rep};
    e->counts.txns++;
    for (const h248_action_t *act = req->actions; act; act = act->next)
        if (!exec_action(&x, act)) break;
    if (!rep->actions) {
        /* nothing to say (an empty transaction): answer with an empty null context */
        mg_reply_action(&x, H248_CTX_NULL);
    }
    return rep;
}

/* ---- life cycle ----------------------------------------------------------------------------- */

/* ROOT properties from the configuration, except those the MGC has set (bits 2..7 of
 * root_by_mgc, in the root package's order). */
static void root_defaults(mg_engine_t *e, const mg_config_t *cfg)
{
    uint32_t *dst[8] = {NULL,
                        NULL,
                        &e->root.normal_mg_exec_ms,
                        &e->root.normal_mgc_exec_ms,
                        &e->root.mg_prov_timer_ms,
                        &e->root.mgc_prov_timer_ms,
                        &e->root.mg_pending_limit,
                        &e->root.mgc_pending_limit};
    const uint32_t src[8] = {0,
                             0,
                             cfg->normal_mg_exec_ms,
                             cfg->normal_mgc_exec_ms,
                             cfg->provisional_timer_ms,
                             cfg->mgc_provisional_timer_ms,
                             cfg->pending_limit,
                             cfg->mgc_pending_limit};
    for (unsigned i = 2; i < 8; i++)
        if (!(e->root_by_mgc & (1u << i))) *dst[i] = src[i];
}

mg_engine_t *mg_engine_new(const mg_config_t *cfg, dp_t *dp, li_ctl_t *li,
                           const mg_engine_ops_t *ops, char *err, size_t errlen)
{
    mg_engine_t *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    e->dp = dp;
    e->li = li;
    if (ops) e->ops = *ops;
    root_defaults(e, cfg);
    arena_init(&e->scratch, 4096, 0);
    e->realms = mg_realms_new(cfg, err, errlen);
    if (!e->realms) goto fail;
    uint32_t max_ctx = cfg->max_contexts ? cfg->max_contexts : 1;
    if (max_ctx > 2000000u) max_ctx = 2000000u; /* gate ids hold 4M terminations */
    uint32_t max_terms = max_ctx * 2u;
    e->store = mg_store_new(max_ctx, max_terms);
    if (!e->store) {
        snprintf(err, errlen, "out of memory for %u contexts", max_ctx);
        goto fail;
    }
    return e;
fail:
    mg_engine_free(e);
    return NULL;
}

void mg_engine_release_all(mg_engine_t *e)
{
    for (mg_ctx_t *c = mg_ctx_next(e->store, 0); c;) {
        uint32_t id = c->id; /* contexts after it are found from here on: one pass */
        while (c->used && c->nterms)
            term_release(e, c->terms[0], NULL);
        c = mg_ctx_next(e->store, id);
    }
}

void mg_engine_free(mg_engine_t *e)
{
    if (!e) return;
    if (e->store) mg_engine_release_all(e);
    mg_store_free(e->store);
    mg_realms_free(e->realms);
    arena_free(&e->scratch);
    free(e);
}

int mg_engine_reload(mg_engine_t *e, const mg_config_t *cfg)
{
    e->cfg.default_dscp = cfg->default_dscp;
    e->cfg.default_latch = cfg->default_latch;
    e->cfg.default_hang_timer_s = cfg->default_hang_timer_s;
    e->cfg.relatch_idle_ms = cfg->relatch_idle_ms;
    e->cfg.normal_mg_exec_ms = cfg->normal_mg_exec_ms;
    e->cfg.normal_mgc_exec_ms = cfg->normal_mgc_exec_ms;
    e->cfg.provisional_timer_ms = cfg->provisional_timer_ms;
    e->cfg.mgc_provisional_timer_ms = cfg->mgc_provisional_timer_ms;
    e->cfg.pending_limit = cfg->pending_limit;
    e->cfg.mgc_pending_limit = cfg->mgc_pending_limit;
    root_defaults(e, cfg);
    return 0;
}

const mg_root_props_t *mg_engine_root(const mg_engine_t *e)
{
    return &e->root;
}

void mg_engine_counts(const mg_engine_t *e, mg_engine_counts_t *out)
{
    *out = e->counts;
    out->contexts = mg_store_nctx(e->store);
    out->terminations = mg_store_nterms(e->store);
}

/* Notify{ObservedEvents=rid{hangterm/thb}} for the termination of a hanging gate. */
static void notify_thb(mg_engine_t *e, mg_term_t *t)
{
    arena_t *a = &e->scratch;
    h248_action_t *act = arena_alloc(a, sizeof(*act));
    if (!act) return;
    act->ctx = t->ctx->id;
    h248_cmd_t *c = h248_cmd_add(a, act, H248_CMD_NOTIFY, h248_str_dup(a, t->id, t->idlen));
    h248_desc_t *d = c ? h248_desc_add(a, c, H248_D_OBSERVED_EVENTS) : NULL;
    h248_event_t *ev = arena_alloc(a, sizeof(*ev));
    if (!d || !ev) return;
    d->u.events.request_id = t->events_rid;
    d->u.events.has_request_id = true;
    ev->name = H248_STR("hangterm/thb");
    d->u.events.list = ev;
    if (e->ops.send_request) e->ops.send_request(e->ops.arg, act);
}

void mg_engine_poll(mg_engine_t *e)
{
    dp_event_t ev[64];
    int n;
    while ((n = dp_poll_events(e->dp, ev, 64)) > 0) {
        for (int i = 0; i < n; i++) {
            if (ev[i].type != DP_EV_HANGTERM || ev[i].gate_id == 0) continue;
            uint32_t low = ev[i].gate_id & ((1u << GATE_SLOT_BITS) - 1);
            mg_term_t *t = low ? mg_term_by_slot(e->store, (low - 1) / MG_MAX_STREAMS) : NULL;
            if (!t || !t->ctx || !t->thb) continue;
            unsigned k = (low - 1) % MG_MAX_STREAMS;
            if (t->streams[k].gate_id != ev[i].gate_id) continue; /* stale: slot reused */
            uint64_t now = mg_now_ms(); /* both streams idle at once: one Notify */
            if (t->thb_last_ms && now - t->thb_last_ms < 1000) continue;
            t->thb_last_ms = now;
            notify_thb(e, t);
            arena_reset(&e->scratch);
        }
        if (n < 64) break;
    }
}
