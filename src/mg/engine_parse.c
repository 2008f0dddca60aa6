/* engine_parse.c - the engine's change sets: every descriptor of an Add, Modify or Move is
 * parsed and checked here (packages, values, SDP, interception properties) before the command
 * touches anything. Control-plane thread only; allocates only from the transaction's arena.
 * Interception values are checked for form and kept in the change set, never logged. */
#include "mg/engine_int.h"

#include <stdio.h>
#include <string.h>

#include "h248/sdp.h"

static bool str_eq(h248_str_t s, const char *lit)
{
    return h248_str_ieq(s, lit);
}

/* ---- change sets: what a command asks for, checked before anything changes --------------- */

static const struct {
    const char *pkg, *prop;
    int idx;
} SMAP[] = {
    {"ds", "dscp", MG_P_DSCP}, {"gm", "saf", MG_P_SAF},        {"gm", "sam", MG_P_SAM},
    {"gm", "spf", MG_P_SPF},   {"gm", "spr", MG_P_SPR},        {"gm", "esas", MG_P_ESAS},
    {"gm", "lsa", MG_P_LSA},   {"gm", "esps", MG_P_ESPS},      {"gm", "lsp", MG_P_LSP},
    {"gm", "rsb", MG_P_RSB},   {"ipnat", "latch", MG_P_LATCH}, {"tman", "pol", MG_P_POL},
    {"tman", "sdr", MG_P_SDR}, {"tman", "mbs", MG_P_MBS},      {"tman", "pdr", MG_P_PDR},
    {"tman", "dvt", MG_P_DVT},
};

static int sprop_index(const mg_pkg_def_t *pkg, const mg_prop_def_t *prop)
{
    for (unsigned i = 0; i < sizeof(SMAP) / sizeof(SMAP[0]); i++)
        if (!strcmp(SMAP[i].pkg, pkg->name) && !strcmp(SMAP[i].prop, prop->name))
            return SMAP[i].idx;
    return -1;
}

/* Check a property's value(s) against its definition. */
static int prop_value(mg_exec_t *x, const h248_prop_t *p, const mg_prop_def_t *def, mg_pval_t *v)
{
    memset(v, 0, sizeof(*v));
    const h248_value_t *val = p->values;
    if (!val || p->rel != H248_REL_EQ) return mg_fail(x, MG_ERR_BAD_VALUE, "value required");
    if (def->type == MG_PT_HEXLIST) {
        if (p->kind != H248_VAL_SINGLE && p->kind != H248_VAL_LIST)
            return mg_fail(x, MG_ERR_BAD_VALUE, "list of target ids expected");
        for (; val; val = val->next)
            if (mg_pkg_check(def, val->s.p, val->s.len, v))
                return mg_fail(x, MG_ERR_BAD_VALUE, "bad or too many target ids");
        return 0;
    }
    if (def->type == MG_PT_PORTRANGE && p->kind == H248_VAL_RANGE && p->nvalues == 2) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%.*s-%.*s", (int)val->s.len, val->s.p,
                         (int)val->next->s.len, val->next->s.p);
        if (n <= 0 || n >= (int)sizeof(buf) || mg_pkg_check(def, buf, (size_t)n, v))
            return mg_fail(x, MG_ERR_BAD_VALUE, "bad port range");
        return 0;
    }
    if (p->kind != H248_VAL_SINGLE) return mg_fail(x, MG_ERR_BAD_VALUE, "single value expected");
    if (mg_pkg_check(def, val->s.p, val->s.len, v))
        return mg_fail(x, MG_ERR_BAD_VALUE, "value out of range");
    return 0;
}

mg_schg_t *mg_chg_stream(mg_exec_t *x, mg_chg_t *c, uint16_t id, bool explicit_id)
{
    if (id == 0) id = 1;
    for (unsigned i = 0; i < c->ns; i++)
        if (c->s[i].id == id) return &c->s[i];
    if (c->ns >= MG_MAX_STREAMS) {
        mg_fail(x, MG_ERR_RESOURCES, "too many streams");
        return NULL;
    }
    mg_schg_t *s = &c->s[c->ns++];
    memset(s, 0, sizeof(*s));
    s->id = id;
    s->explicit_id = explicit_id;
    s->remote_fmt_pt = -1;
    return s;
}

static int parse_addr_str(h248_sdp_str_t s, netaddr_t *out)
{
    char buf[NETADDR_STRLEN];
    size_t n = s.n;
    const char *slash = memchr(s.p, '/', n); /* drop /ttl */
    if (slash) n = (size_t)(slash - s.p);
    if (n == 0 || n >= sizeof(buf)) return -1;
    memcpy(buf, s.p, n);
    buf[n] = 0;
    return netaddr_parse_ip(out, buf, 0);
}

static int af_of(h248_sdp_af_t af)
{
    return af == H248_SDP_AF_IP4 ? AF_INET : af == H248_SDP_AF_IP6 ? AF_INET6 : 0;
}

/* Local / Remote SDP of one stream. */
static int parse_sdp(mg_exec_t *x, const h248_sdp_block_t *b, bool remote, mg_schg_t *s)
{
    struct h248_sdp *sdp = NULL;
    h248_sdp_error_t err;
    if (h248_sdp_parse(b->text.p, b->text.len, x->a, &sdp, &err) < 0)
        return mg_fail(x, MG_ERR_BAD_VALUE, remote ? "bad SDP in Remote" : "bad SDP in Local");
    if (sdp->ngroups == 0) {
        if (remote) s->has_remote = true;
        return 0;
    }
    h248_sdp_endpoint_t ep;
    bool have_ep = h248_sdp_get_endpoint(sdp, &ep) == 0;
    if (!remote) {
        s->has_local = true;
        s->local = sdp;
        s->local_af = have_ep ? af_of(ep.af) : 0;
        return 0;
    }
    s->has_remote = true;
    s->remote_text = arena_strndup(x->a, b->text.p, b->text.len);
    if (!have_ep) return 0;
    s->remote_af = af_of(ep.af);
    s->remote_fmt_pt = ep.pt;
    if (ep.addr_kind == H248_SDP_VALUE && s->remote_af) {
        if (parse_addr_str(ep.addr, &s->remote) < 0 || netaddr_family(&s->remote) != s->remote_af)
            return mg_fail(x, MG_ERR_BAD_VALUE, "bad address in Remote");
        if (ep.port_kind == H248_SDP_VALUE && ep.port != 0) {
            netaddr_set_port(&s->remote, ep.port);
            s->remote_known = true;
        }
    }
    return 0;
}

/* li/LICn and li/LITID (confidential: checked for form only, never echoed). */
static int parse_li(mg_exec_t *x, const h248_prop_t *p, const mg_prop_def_t *def, mg_chg_t *c)
{
    mg_pval_t v;
    int rc = prop_value(x, p, def, &v);
    if (rc) return rc;
    if (def->type == MG_PT_HEXLIST) {
        if (c->tids_set) return mg_fail(x, MG_ERR_PROP_TWICE, "li/LITID twice");
        c->tids_set = true;
        c->ntids = v.nlist;
        memcpy(c->tids, v.list, v.nlist * sizeof(uint32_t));
    } else {
        if (c->licn_set) return mg_fail(x, MG_ERR_PROP_TWICE, "li/LICn twice");
        c->licn_set = true;
        c->licn = v.s;
        c->licn_len = v.n;
    }
    return 0;
}

static int parse_lc(mg_exec_t *x, const h248_local_control_t *lc, mg_schg_t *s, mg_chg_t *c)
{
    /* H.248 stream mode -> gate mode; Loopback has no meaning for a relay */
    static const int gate_mode[] = {
        [H248_MODE_NONE] = -1,
        [H248_MODE_SENDONLY] = DP_MODE_SENDONLY,
        [H248_MODE_RECVONLY] = DP_MODE_RECVONLY,
        [H248_MODE_SENDRECV] = DP_MODE_SENDRECV,
        [H248_MODE_INACTIVE] = DP_MODE_INACTIVE,
        [H248_MODE_LOOPBACK] = -2,
    };
    int m = gate_mode[lc->mode];
    if (m == -2) return mg_fail(x, MG_ERR_BAD_VALUE, "Loopback not supported");
    if (m >= 0) {
        s->p.mode = (dp_mode_t)m;
        s->p.mode_set = true;
    }
    for (const h248_prop_t *p = lc->props; p; p = p->next) {
        const mg_pkg_def_t *pkg;
        const mg_prop_def_t *def;
        int rc = mg_pkg_prop(p->name.p, p->name.len, MG_IN_LC, &pkg, &def);
        if (rc) return mg_fail(x, rc, "property not supported in LocalControl");
        if (pkg->confidential) {
            if ((rc = parse_li(x, p, def, c))) return rc;
            continue;
        }
        mg_pval_t v;
        if ((rc = prop_value(x, p, def, &v))) return rc;
        int idx = sprop_index(pkg, def);
        if (idx < 0) {
            /* term-level properties also allowed in LocalControl (ipdc/realm, timerx) */
            if (!strcmp(pkg->name, "ipdc")) {
                int r = mg_realms_find(x->e->realms, v.s, v.n);
                if (r < 0) return mg_fail(x, MG_ERR_BAD_VALUE, "unknown realm");
                c->realm = r;
            } else {
                c->timerx_set = true;
                c->timerx = v.u;
            }
            continue;
        }
        if (s->p.pset & (1u << idx)) return mg_fail(x, MG_ERR_PROP_TWICE, "property twice");
        s->p.pset |= 1u << idx;
        s->p.pv[idx] = v.u;
        s->p.pv2[idx] = v.u2;
        if (idx == MG_P_SAM || idx == MG_P_LSA) {
            netaddr_t a;
            h248_sdp_str_t str = {v.s, v.n};
            if (parse_addr_str(str, &a) < 0) return mg_fail(x, MG_ERR_BAD_VALUE, "bad address");
            if (idx == MG_P_LSA) {
                s->p.lsa = a;
            } else if (v.u2) { /* addr/len: filter on that network */
                s->p.sam_net = a;
                s->p.sam_len = (uint8_t)v.u;
                mg_mask_from_len(netaddr_family(&a), v.u, &s->p.sam);
            } else { /* a plain address is the mask itself */
                s->p.sam = a;
                memset(&s->p.sam_net, 0, sizeof(s->p.sam_net));
            }
        }
    }
    return 0;
}

static int parse_ts(mg_exec_t *x, const h248_term_state_t *ts, bool root, mg_chg_t *c)
{
    if (ts->service_state != H248_SVC_NONE) {
        if (ts->service_state == H248_SVC_TEST)
            return mg_fail(x, MG_ERR_BAD_VALUE, "Test state not supported");
        c->svc = ts->service_state;
    }
    uint32_t seen = 0;
    for (const h248_prop_t *p = ts->props; p; p = p->next) {
        const mg_pkg_def_t *pkg;
        const mg_prop_def_t *def;
        int rc = mg_pkg_prop(p->name.p, p->name.len, root ? MG_IN_ROOT : MG_IN_TS, &pkg, &def);
        if (rc) return mg_fail(x, rc, "property not supported in TerminationState");
        if (def->read_only) return mg_fail(x, MG_ERR_PROP_ILLEGAL, "read-only property");
        unsigned bit = (unsigned)(def - pkg->props);
        if (seen & (1u << bit)) return mg_fail(x, MG_ERR_PROP_TWICE, "property twice");
        seen |= 1u << bit;
        mg_pval_t v;
        if ((rc = prop_value(x, p, def, &v))) return rc;
        if (root) {
            c->rootset |= 1u << bit;
            c->rootv[bit] = v.u;
        } else if (!strcmp(pkg->name, "ipdc")) {
            int r = mg_realms_find(x->e->realms, v.s, v.n);
            if (r < 0) return mg_fail(x, MG_ERR_BAD_VALUE, "unknown realm");
            c->realm = r;
        } else {
            c->timerx_set = true;
            c->timerx = v.u;
        }
    }
    return 0;
}

static int parse_events(mg_exec_t *x, const h248_events_t *ev, bool root, mg_chg_t *c)
{
    c->events_set = true;
    c->rid = ev->request_id;
    for (const h248_event_t *e = ev->list; e; e = e->next) {
        const mg_pkg_def_t *pkg;
        const mg_event_def_t *def;
        int rc = mg_pkg_event(e->name.p, e->name.len, root, &pkg, &def);
        if (rc) return mg_fail(x, rc, "event not supported here");
        if (!strcmp(def->name, "ito")) {
            c->ito = true;
            c->mit = 12000; /* 120 s when mit is absent */
        } else {
            c->thb = true;
        }
        for (const h248_prop_t *p = e->params; p; p = p->next) {
            const mg_prop_def_t *pd = NULL;
            for (unsigned i = 0; i < def->nparams; i++)
                if (str_eq(p->name, def->params[i].name)) pd = &def->params[i];
            if (!pd) return mg_fail(x, MG_ERR_UNKNOWN_PARAM, "unknown event parameter");
            mg_pval_t v;
            if ((rc = prop_value(x, p, pd, &v))) return rc;
            c->mit = v.u;
        }
    }
    return 0;
}

static int parse_media(mg_exec_t *x, const h248_media_t *m, bool root, mg_chg_t *c)
{
    int rc;
    if (m->ts && (rc = parse_ts(x, m->ts, root, c))) return rc;
    for (const h248_stream_t *st = m->streams; st; st = st->next) {
        if (root) return mg_fail(x, MG_ERR_UNKNOWN_DESC, "ROOT has no streams");
        mg_schg_t *s = mg_chg_stream(x, c, st->id, st->explicit_id);
        if (!s) return x->fail.code;
        if (st->lc && (rc = parse_lc(x, st->lc, s, c))) return rc;
        if (st->local && (rc = parse_sdp(x, st->local, false, s))) return rc;
        if (st->remote && (rc = parse_sdp(x, st->remote, true, s))) return rc;
        for (const h248_prop_t *p = st->stats; p; p = p->next) /* checked, nothing to set */
            if ((rc = mg_pkg_stat(p->name.p, p->name.len)))
                return mg_fail(x, rc, "unknown statistic");
    }
    return 0;
}

/* Every descriptor of an Add/Modify/Move into c. */
int mg_parse_change(mg_exec_t *x, const h248_cmd_t *cmd, bool root, mg_chg_t *c)
{
    memset(c, 0, sizeof(*c));
    c->realm = -1;
    int rc;
    unsigned seen = 0;
    for (const h248_desc_t *d = cmd->descs; d; d = d->next) {
        if (d->kind < 32 && (seen & (1u << d->kind)))
            return mg_fail(x, MG_ERR_DESC_TWICE, "descriptor twice");
        seen |= 1u << (d->kind & 31);
        switch (d->kind) {
        case H248_D_MEDIA:
            if ((rc = parse_media(x, &d->u.media, root, c))) return rc;
            break;
        case H248_D_EVENTS:
            if ((rc = parse_events(x, &d->u.events, root, c))) return rc;
            break;
        case H248_D_SIGNALS:
            if (d->u.signals) return mg_fail(x, MG_ERR_NO_SUCH_SIGNAL, "no signals supported");
            break;
        case H248_D_AUDIT:
            c->audit = d;
            break;
        case H248_D_EVENT_BUFFER:
        case H248_D_DIGITMAP:
        case H248_D_MUX:
        case H248_D_MODEM:
        default:
            return mg_fail(x, MG_ERR_UNKNOWN_DESC, "descriptor not supported");
        }
    }
    if (root && c->ns) return mg_fail(x, MG_ERR_UNKNOWN_DESC, "ROOT has no streams");
    return 0;
}
