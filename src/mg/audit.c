/* audit.c - what the engine answers to AuditValue and AuditCapabilities (ROOT and IP
 * terminations), and the Statistics descriptors of Subtract and audits.
 * Control-plane thread only; builds reply trees in the transaction's arena.
 *
 * Interception is invisible here: the li package's properties are answered as if never set, and no
 * statistic says anything about mirroring. */
#include <stdio.h>
#include <string.h>

#include "h248/sdp.h"
#include "mg/engine_int.h"

const char *mg_mode_token(dp_mode_t m)
{
    switch (m) {
    case DP_MODE_SENDONLY:
        return "SendOnly";
    case DP_MODE_RECVONLY:
        return "ReceiveOnly";
    case DP_MODE_SENDRECV:
        return "SendReceive";
    default:
        return "Inactive";
    }
}

h248_mode_t mg_mode_h248(dp_mode_t m)
{
    switch (m) {
    case DP_MODE_SENDONLY:
        return H248_MODE_SENDONLY;
    case DP_MODE_RECVONLY:
        return H248_MODE_RECVONLY;
    case DP_MODE_SENDRECV:
        return H248_MODE_SENDRECV;
    default:
        return H248_MODE_INACTIVE;
    }
}

/* name=v; names are static strings (no copy), the number goes to the arena. */
static h248_prop_t *add_u(arena_t *a, h248_prop_t **l, const char *name, uint64_t v)
{
    char buf[24], *p = buf + sizeof(buf);
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return h248_prop_add(a, l, mg_dup(a, name), h248_str_dup(a, p, (size_t)(buf + sizeof(buf) - p)),
                         false);
}

static h248_prop_t *add_s(arena_t *a, h248_prop_t **l, const char *name, const char *v)
{
    return h248_prop_add(a, l, mg_dup(a, name), mg_dup(a, v), false);
}

/* name=[lo:hi] */
static void add_range(arena_t *a, h248_prop_t **l, const char *name, uint32_t lo, uint32_t hi)
{
    char b1[12], b2[12];
    snprintf(b1, sizeof(b1), "%u", lo);
    snprintf(b2, sizeof(b2), "%u", hi);
    h248_prop_t *p = h248_prop_add(a, l, mg_dup(a, name), mg_dup(a, b1), false);
    if (!p) return;
    p->kind = H248_VAL_RANGE;
    h248_value_add(a, p, mg_dup(a, b2), false);
}

/* name={a,b,...} */
static h248_prop_t *add_alt(arena_t *a, h248_prop_t **l, const char *name, const char *first)
{
    h248_prop_t *p = h248_prop_add(a, l, mg_dup(a, name), mg_dup(a, first), false);
    if (p) p->kind = H248_VAL_ALT;
    return p;
}

/* Is "pkg/name" among the requested names (all when req is NULL)? */
static bool wanted(const h248_prop_t *req, const char *pkg, const char *name)
{
    if (!req) return true;
    char full[64];
    snprintf(full, sizeof(full), "%s/%s", pkg, name);
    return h248_prop_find(req, full) != NULL;
}

/* Check requested property names (indAud forms): 0 or the H.248 code. */
static int check_names(mg_exec_t *x, const h248_prop_t *req, unsigned where)
{
    for (const h248_prop_t *p = req; p; p = p->next) {
        const mg_pkg_def_t *pkg;
        const mg_prop_def_t *def;
        int rc = mg_pkg_prop(p->name.p, p->name.len, where, &pkg, &def);
        if (rc) return mg_fail(x, rc, "unknown property in audit");
    }
    return 0;
}

/* ---- statistics ------------------------------------------------------------------------------ */

/* Add one gate's counts to a sum. A gate lives as long as its stream (Move changes its
 * context in place), so its counts cover the termination's whole life. */
void mg_stats_add(dp_gate_stats_t *sum, const dp_gate_stats_t *st)
{
    sum->pkts_in += st->pkts_in;
    sum->octets_in += st->octets_in;
    sum->pkts_out += st->pkts_out;
    sum->octets_out += st->octets_out;
    sum->rtp_lost += st->rtp_lost;
    if (st->jitter_us > sum->jitter_us) sum->jitter_us = st->jitter_us;
    if (st->rtt_us > sum->rtt_us) sum->rtt_us = st->rtt_us;
}

void mg_term_stats(mg_engine_t *e, const mg_term_t *t, dp_gate_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++) {
        const mg_stream_t *s = &t->streams[i];
        dp_gate_stats_t st;
        if (!s->id || !s->gate_id || dp_gate_stats(e->dp, s->gate_id, &st) != 0) continue;
        mg_stats_add(out, &st);
    }
}

static const char *const DEFAULT_STATS[] = {"nt/os",  "nt/or",   "rtp/ps", "rtp/pr",
                                            "rtp/pl", "rtp/jit", NULL};

static uint64_t stat_value(const mg_term_t *t, const dp_gate_stats_t *st, const char *n)
{
    if (!strcasecmp(n, "nt/os")) return st->octets_out;
    if (!strcasecmp(n, "nt/or")) return st->octets_in;
    if (!strcasecmp(n, "rtp/ps")) return st->pkts_out;
    if (!strcasecmp(n, "rtp/pr")) return st->pkts_in;
    if (!strcasecmp(n, "rtp/pl")) return st->rtp_lost;
    if (!strcasecmp(n, "rtp/jit")) return st->jitter_us / 1000u; /* ms */
    if (!strcasecmp(n, "nt/dur")) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
        return now > t->created_ms ? now - t->created_ms : 0;
    }
    if (!strcasecmp(n, "rtp/delay")) return (st->rtt_us + 500u) / 1000u; /* RTCP round trip, ms */
    return 0;
}

int mg_stats_reply(mg_exec_t *x, const mg_term_t *t, const dp_gate_stats_t *st,
                   const h248_prop_t *names, h248_cmd_t *r)
{
    h248_desc_t *d = h248_desc_add(x->a, r, H248_D_STATISTICS);
    if (!d) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
    if (!names) {
        for (unsigned i = 0; DEFAULT_STATS[i]; i++)
            add_u(x->a, &d->u.stats, DEFAULT_STATS[i], stat_value(t, st, DEFAULT_STATS[i]));
        return 0;
    }
    for (const h248_prop_t *p = names; p; p = p->next) {
        int rc = mg_pkg_stat(p->name.p, p->name.len);
        if (rc) return mg_fail(x, rc, "unknown statistic");
        char n[32];
        snprintf(n, sizeof(n), "%.*s", (int)p->name.len, p->name.p);
        add_u(x->a, &d->u.stats, n, stat_value(t, st, n));
    }
    return 0;
}

/* ---- termination values ---------------------------------------------------------------------- */

static void stream_props(mg_exec_t *x, const mg_stream_t *s, const h248_prop_t *req,
                         h248_local_control_t *lc)
{
    static const struct {
        int idx;
        const char *pkg, *name;
        char kind; /* b bool, u number, a address, r range */
    } P[] = {
        {MG_P_DSCP, "ds", "dscp", 'u'},      {MG_P_SAF, "gm", "saf", 'b'},
        {MG_P_SAM, "gm", "sam", 'a'},        {MG_P_SPF, "gm", "spf", 'b'},
        {MG_P_SPR, "gm", "spr", 'r'},        {MG_P_ESAS, "gm", "esas", 'b'},
        {MG_P_LSA, "gm", "lsa", 'a'},        {MG_P_ESPS, "gm", "esps", 'b'},
        {MG_P_LSP, "gm", "lsp", 'u'},        {MG_P_RSB, "gm", "rsb", 'b'},
        {MG_P_LATCH, "ipnat", "latch", 'b'}, {MG_P_POL, "tman", "pol", 'b'},
        {MG_P_SDR, "tman", "sdr", 'u'},      {MG_P_MBS, "tman", "mbs", 'u'},
        {MG_P_PDR, "tman", "pdr", 'u'},      {MG_P_DVT, "tman", "dvt", 'u'},
    };
    for (unsigned i = 0; i < sizeof(P) / sizeof(P[0]); i++) {
        int k = P[i].idx;
        if (!(s->p.pset & (1u << k)) || !wanted(req, P[i].pkg, P[i].name)) continue;
        char full[32], buf[NETADDR_STRLEN + 8];
        snprintf(full, sizeof(full), "%s/%s", P[i].pkg, P[i].name);
        switch (P[i].kind) {
        case 'b':
            add_s(x->a, &lc->props, full, s->p.pv[k] ? "ON" : "OFF");
            break;
        case 'u':
            add_u(x->a, &lc->props, full, s->p.pv[k]);
            break;
        case 'a':
            if (k == MG_P_SAM && netaddr_is_set(&s->p.sam_net)) {
                char ip[NETADDR_STRLEN];
                netaddr_format_ip(&s->p.sam_net, ip, sizeof(ip));
                snprintf(buf, sizeof(buf), "%s/%u", ip, s->p.sam_len);
            } else {
                netaddr_format_ip(k == MG_P_SAM ? &s->p.sam : &s->p.lsa, buf, sizeof(buf));
            }
            add_s(x->a, &lc->props, full, buf);
            break;
        default:
            snprintf(buf, sizeof(buf), "%u-%u", s->p.pv[k], s->p.pv2[k]);
            add_s(x->a, &lc->props, full, buf);
        }
    }
}

static h248_sdp_block_t *sdp_block(arena_t *a, const char *text)
{
    h248_sdp_block_t *b = arena_alloc(a, sizeof(*b));
    if (b) b->text = mg_dup(a, text);
    return b;
}

/* Media{TerminationState{...}, Stream=N{LocalControl{...}, Local{...}, Remote{...}}} */
static int term_media(mg_exec_t *x, const mg_term_t *t, const h248_desc_t *item, h248_cmd_t *r)
{
    const h248_prop_t *ts_req = NULL, *lc_req = NULL;
    bool want_ts = true, want_streams = true;
    if (item && !item->bare) {
        const h248_media_t *m = &item->u.media;
        want_ts = m->ts != NULL;
        want_streams = m->streams != NULL;
        if (m->ts) ts_req = m->ts->props;
        for (const h248_stream_t *st = m->streams; st; st = st->next)
            if (st->lc) lc_req = st->lc->props;
        int rc;
        if ((rc = check_names(x, ts_req, MG_IN_TS))) return rc;
        if ((rc = check_names(x, lc_req, MG_IN_LC))) return rc;
    }
    h248_desc_t *d = h248_desc_add(x->a, r, H248_D_MEDIA);
    if (!d) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
    if (want_ts) {
        h248_term_state_t *ts = arena_alloc(x->a, sizeof(*ts));
        if (!ts) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        d->u.media.ts = ts;
        if (!ts_req) ts->service_state = t->svc;
        if (wanted(ts_req, "ipdc", "realm"))
            add_s(x->a, &ts->props, "ipdc/realm", mg_realm_name(x->e->realms, t->realm));
        if (wanted(ts_req, "hangterm", "timerx"))
            add_u(x->a, &ts->props, "hangterm/timerx",
                  t->timerx_set ? t->timerx : x->e->cfg.default_hang_timer_s);
    }
    for (unsigned i = 0; want_streams && i < MG_MAX_STREAMS; i++) {
        const mg_stream_t *s = &t->streams[i];
        if (!s->id) continue;
        h248_stream_t *st = h248_stream_get(x->a, &d->u.media, s->id, true);
        h248_local_control_t *lc = st ? h248_lc_get(x->a, st) : NULL;
        if (!lc) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
        if (!lc_req) lc->mode = mg_mode_h248(s->p.mode_set ? s->p.mode : MG_DEFAULT_MODE);
        stream_props(x, s, lc_req, lc);
        if (!lc_req && s->local_sdp) st->local = sdp_block(x->a, s->local_sdp);
        if (!lc_req && s->remote_sdp) st->remote = sdp_block(x->a, s->remote_sdp);
    }
    return 0;
}

static void packages_desc(mg_exec_t *x, h248_cmd_t *r, bool root)
{
    h248_desc_t *d = h248_desc_add(x->a, r, H248_D_PACKAGES);
    if (!d) return;
    h248_pkgitem_t **pp = &d->u.packages;
    for (unsigned i = 0; i < mg_npkgs; i++) {
        const mg_pkg_def_t *p = mg_pkgs[i];
        if (!root && (!strcmp(p->name, "root") || !strcmp(p->name, "it"))) continue;
        h248_pkgitem_t *it = arena_alloc(x->a, sizeof(*it));
        if (!it) return;
        it->name = mg_dup(x->a, p->name);
        it->version = (uint16_t)p->version;
        *pp = it;
        pp = &it->next;
    }
}

static void events_desc(mg_exec_t *x, h248_cmd_t *r, uint32_t rid, const char *name,
                        const char *param, uint32_t pv)
{
    h248_desc_t *d = h248_desc_add(x->a, r, H248_D_EVENTS);
    h248_event_t *ev = arena_alloc(x->a, sizeof(*ev));
    if (!d || !ev) return;
    d->u.events.request_id = rid;
    d->u.events.has_request_id = true;
    ev->name = mg_dup(x->a, name);
    if (param) add_u(x->a, &ev->params, param, pv);
    d->u.events.list = ev;
}

int mg_audit_term(mg_exec_t *x, const mg_term_t *t, const h248_desc_t *audit, h248_cmd_t *r)
{
    if (!audit) return 0;
    for (const h248_desc_t *it = audit->u.audit; it; it = it->next) {
        int rc = 0;
        switch (it->kind) {
        case H248_D_MEDIA:
            rc = term_media(x, t, it, r);
            break;
        case H248_D_STATISTICS: {
            dp_gate_stats_t st;
            mg_term_stats(x->e, t, &st);
            rc = mg_stats_reply(x, t, &st, it->bare ? NULL : it->u.stats, r);
            break;
        }
        case H248_D_EVENTS:
            if (t->events_set && t->thb) events_desc(x, r, t->events_rid, "hangterm/thb", NULL, 0);
            break;
        case H248_D_PACKAGES:
            packages_desc(x, r, false);
            break;
        case H248_D_SIGNALS:
        case H248_D_EVENT_BUFFER:
        case H248_D_DIGITMAP:
        case H248_D_OBSERVED_EVENTS:
            break; /* none of those on an IP termination */
        default:
            rc = mg_fail(x, MG_ERR_UNKNOWN_DESC, "cannot audit that descriptor");
        }
        if (rc) return rc;
    }
    return 0;
}

/* ---- ROOT values ---------------------------------------------------------------------------- */

int mg_audit_root(mg_exec_t *x, const h248_desc_t *audit, h248_cmd_t *r)
{
    if (!audit) return 0;
    mg_engine_t *e = x->e;
    for (const h248_desc_t *it = audit->u.audit; it; it = it->next) {
        if (it->kind == H248_D_PACKAGES) {
            packages_desc(x, r, true);
        } else if (it->kind == H248_D_EVENTS) {
            if (e->ito_set) events_desc(x, r, e->root_rid, "it/ito", "mit", e->ito_mit);
        } else if (it->kind == H248_D_MEDIA) {
            const h248_prop_t *req = NULL;
            if (!it->bare && it->u.media.ts) req = it->u.media.ts->props;
            if (!it->bare && it->u.media.streams)
                return mg_fail(x, MG_ERR_UNKNOWN_DESC, "ROOT has no streams");
            int rc = check_names(x, req, MG_IN_ROOT);
            if (rc) return rc;
            h248_desc_t *d = h248_desc_add(x->a, r, H248_D_MEDIA);
            h248_term_state_t *ts = arena_alloc(x->a, sizeof(*ts));
            if (!d || !ts) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
            d->u.media.ts = ts;
            const uint32_t v[8] = {e->cfg.max_contexts,       MG_MAX_TERMS_PER_CTX,
                                   e->root.normal_mg_exec_ms, e->root.normal_mgc_exec_ms,
                                   e->root.mg_prov_timer_ms,  e->root.mgc_prov_timer_ms,
                                   e->root.mg_pending_limit,  e->root.mgc_pending_limit};
            const mg_pkg_def_t *root = mg_pkg_find("root", 4);
            for (unsigned i = 0; i < root->nprops && i < 8; i++) {
                if (!wanted(req, "root", root->props[i].name)) continue;
                char n[64];
                snprintf(n, sizeof(n), "root/%s", root->props[i].name);
                add_u(x->a, &ts->props, n, v[i]);
            }
        } else if (it->kind == H248_D_STATISTICS || it->kind == H248_D_SIGNALS ||
                   it->kind == H248_D_EVENT_BUFFER || it->kind == H248_D_DIGITMAP ||
                   it->kind == H248_D_OBSERVED_EVENTS) {
            continue;
        } else {
            return mg_fail(x, MG_ERR_UNKNOWN_DESC, "cannot audit that descriptor on ROOT");
        }
    }
    return 0;
}

/* ---- capabilities --------------------------------------------------------------------------- */

static void caps_prop(mg_exec_t *x, h248_prop_t **l, const mg_pkg_def_t *pkg,
                      const mg_prop_def_t *d)
{
    char n[64];
    snprintf(n, sizeof(n), "%s/%s", pkg->name, d->name);
    switch (d->type) {
    case MG_PT_BOOL: {
        h248_prop_t *p = add_alt(x->a, l, n, "ON");
        if (p) h248_value_add(x->a, p, H248_STR("OFF"), false);
        break;
    }
    case MG_PT_UINT:
    case MG_PT_CODEPOINT:
    case MG_PT_PORTRANGE:
        add_range(x->a, l, n, d->min, d->max);
        break;
    case MG_PT_HEXLIST:
        add_range(x->a, l, n, d->min, d->max);
        break; /* number of ids */
    default:
        h248_prop_add(x->a, l, mg_dup(x->a, n), H248_STR(""), false);
        break;
    }
    if (*l) {
        h248_prop_t *p = *l;
        while (p->next)
            p = p->next;
        if (d->type != MG_PT_BOOL && d->type != MG_PT_UINT && d->type != MG_PT_PORTRANGE &&
            d->type != MG_PT_HEXLIST && d->type != MG_PT_CODEPOINT) {
            p->kind = H248_VAL_NONE; /* free text / address: name only */
            p->nvalues = 0;
            p->values = NULL;
        }
    }
}

int mg_caps_term(mg_exec_t *x, const h248_desc_t *audit, h248_cmd_t *r)
{
    if (!audit) return 0;
    for (const h248_desc_t *it = audit->u.audit; it; it = it->next) {
        if (it->kind == H248_D_MEDIA) {
            h248_desc_t *d = h248_desc_add(x->a, r, H248_D_MEDIA);
            h248_term_state_t *ts = arena_alloc(x->a, sizeof(*ts));
            if (!d || !ts) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
            d->u.media.ts = ts;
            h248_prop_t *realm = NULL;
            for (unsigned i = 0; i < mg_realms_count(x->e->realms); i++) {
                const char *n = mg_realm_name(x->e->realms, i);
                if (!realm)
                    realm = add_alt(x->a, &ts->props, "ipdc/realm", n);
                else
                    h248_value_add(x->a, realm, mg_dup(x->a, n), false);
            }
            h248_stream_t *st = h248_stream_get(x->a, &d->u.media, 1, true);
            h248_local_control_t *lc = st ? h248_lc_get(x->a, st) : NULL;
            if (!lc) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
            for (unsigned i = 0; i < mg_npkgs; i++) {
                const mg_pkg_def_t *p = mg_pkgs[i];
                for (unsigned k = 0; k < p->nprops; k++) {
                    const mg_prop_def_t *pd = &p->props[k];
                    if (!strcmp(p->name, "ipdc")) continue;
                    if (pd->where & MG_IN_TS)
                        caps_prop(x, &ts->props, p, pd);
                    else if (pd->where & MG_IN_LC)
                        caps_prop(x, &lc->props, p, pd);
                }
            }
        } else if (it->kind == H248_D_EVENTS) {
            events_desc(x, r, 0, "hangterm/thb", NULL, 0);
        } else if (it->kind == H248_D_STATISTICS) {
            h248_desc_t *d = h248_desc_add(x->a, r, H248_D_STATISTICS);
            if (!d) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
            for (unsigned i = 0; i < mg_npkgs; i++)
                for (unsigned k = 0; mg_pkgs[i]->stats && mg_pkgs[i]->stats[k]; k++) {
                    char n[32];
                    snprintf(n, sizeof(n), "%s/%s", mg_pkgs[i]->name, mg_pkgs[i]->stats[k]);
                    h248_prop_t *p =
                        h248_prop_add(x->a, &d->u.stats, mg_dup(x->a, n), H248_STR(""), false);
                    if (p) {
                        p->kind = H248_VAL_NONE;
                        p->nvalues = 0;
                        p->values = NULL;
                    }
                }
        } else if (it->kind == H248_D_PACKAGES) {
            packages_desc(x, r, false);
        } else if (it->kind == H248_D_SIGNALS || it->kind == H248_D_EVENT_BUFFER ||
                   it->kind == H248_D_DIGITMAP || it->kind == H248_D_OBSERVED_EVENTS) {
            continue;
        } else {
            return mg_fail(x, MG_ERR_UNKNOWN_DESC, "no capabilities for that descriptor");
        }
    }
    return 0;
}

int mg_caps_root(mg_exec_t *x, const h248_desc_t *audit, h248_cmd_t *r)
{
    if (!audit) return 0;
    for (const h248_desc_t *it = audit->u.audit; it; it = it->next) {
        if (it->kind == H248_D_MEDIA) {
            h248_desc_t *d = h248_desc_add(x->a, r, H248_D_MEDIA);
            h248_term_state_t *ts = arena_alloc(x->a, sizeof(*ts));
            if (!d || !ts) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
            d->u.media.ts = ts;
            const mg_pkg_def_t *root = mg_pkg_find("root", 4);
            add_u(x->a, &ts->props, "root/maxNumberOfContexts", x->e->cfg.max_contexts);
            add_u(x->a, &ts->props, "root/maxTerminationsPerContext", MG_MAX_TERMS_PER_CTX);
            for (unsigned k = 2; k < root->nprops; k++)
                caps_prop(x, &ts->props, root, &root->props[k]);
        } else if (it->kind == H248_D_EVENTS) {
            h248_desc_t *d = h248_desc_add(x->a, r, H248_D_EVENTS);
            h248_event_t *ev = arena_alloc(x->a, sizeof(*ev));
            if (!d || !ev) return mg_fail(x, MG_ERR_INTERNAL, "out of memory");
            ev->name = H248_STR("it/ito");
            add_range(x->a, &ev->params, "mit", 100, 65535);
            d->u.events.has_request_id = true;
            d->u.events.list = ev;
        } else if (it->kind == H248_D_PACKAGES) {
            packages_desc(x, r, true);
        } else if (it->kind == H248_D_STATISTICS || it->kind == H248_D_SIGNALS ||
                   it->kind == H248_D_EVENT_BUFFER || it->kind == H248_D_DIGITMAP) {
            continue;
        } else {
            return mg_fail(x, MG_ERR_UNKNOWN_DESC, "no capabilities for that descriptor");
        }
    }
    return 0;
}
