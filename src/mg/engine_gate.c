/* engine_gate.c - the engine's side of the seam: a termination's stream becomes a gate request
 * (dp_gate_req_t), gates are opened on a realm port (retrying busy ones), modified and closed;
 * interception settings are decided and admitted here; our Local SDP is written here.
 * Control-plane thread only. The only file of the engine that calls dp_gate_open/close and
 * li_ctl_admit/release. */
#include "mg/engine_int.h"
#include "mg/topology.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h248/sdp.h"

#define PORT_TRIES 8

/* ---- gates -------------------------------------------------------------------------------- */

void mg_build_req(const mg_engine_t *e, const mg_term_t *t, const mg_stream_t *s, uint32_t ctx_id,
                  dp_gate_req_t *r)
{
    const mg_sprops_t *p = &s->p;
    memset(r, 0, sizeof(*r));
    r->gate_id = s->gate_id;
    r->ctx_id = ctx_id;
    r->stream_id = s->id;
    r->local = s->local;
    r->remote_rtp = s->remote;
    r->mode = p->mode_set ? p->mode : MG_DEFAULT_MODE;
    if (t->svc == H248_SVC_OUT_OF_SERVICE) r->mode = DP_MODE_INACTIVE;
    r->mode = mg_topo_mode(t, s->id, r->mode); /* the context's Topology restricts it */
#define ISSET(i) (p->pset & (1u << (i)))
    r->dscp = ISSET(MG_P_DSCP) ? (uint8_t)p->pv[MG_P_DSCP] : e->cfg.default_dscp;
    r->latch = ISSET(MG_P_LATCH) ? p->pv[MG_P_LATCH] != 0 : e->cfg.default_latch;
    r->filter.addr_on = ISSET(MG_P_SAF) && p->pv[MG_P_SAF];
    if (ISSET(MG_P_SAM)) {
        r->filter.mask = p->sam;
        r->filter.addr = p->sam_net; /* unset: the remote address */
    }
    r->filter.port_on = ISSET(MG_P_SPF) && p->pv[MG_P_SPF];
    if (ISSET(MG_P_SPR)) {
        r->filter.port_lo = (uint16_t)p->pv[MG_P_SPR];
        r->filter.port_hi = (uint16_t)p->pv2[MG_P_SPR];
    }
    r->policer.on = ISSET(MG_P_POL) && p->pv[MG_P_POL];
    r->policer.sdr = ISSET(MG_P_SDR) ? p->pv[MG_P_SDR] : 0;
    r->policer.mbs = ISSET(MG_P_MBS) ? p->pv[MG_P_MBS] : 0;
    r->policer.pdr = ISSET(MG_P_PDR) ? p->pv[MG_P_PDR] : 0;
    r->policer.dvt = ISSET(MG_P_DVT) ? p->pv[MG_P_DVT] : 0;
#undef ISSET
    r->hang_timer_s = t->timerx_set ? t->timerx : e->cfg.default_hang_timer_s;
    if (s->tapped) r->tap = t->tap;
}

unsigned mg_req_diff(const dp_gate_req_t *a, const dp_gate_req_t *b)
{
    unsigned w = 0;
    if (!netaddr_equal(&a->remote_rtp, &b->remote_rtp) ||
        netaddr_is_set(&a->remote_rtp) != netaddr_is_set(&b->remote_rtp))
        w |= DP_MOD_REMOTE;
    if (a->mode != b->mode) w |= DP_MOD_MODE;
    if (a->dscp != b->dscp) w |= DP_MOD_DSCP;
    if (a->latch != b->latch) w |= DP_MOD_LATCH;
    if (memcmp(&a->filter, &b->filter, sizeof(a->filter))) w |= DP_MOD_FILTER;
    if (memcmp(&a->policer, &b->policer, sizeof(a->policer))) w |= DP_MOD_POLICER;
    if (a->hang_timer_s != b->hang_timer_s) w |= DP_MOD_HANG;
    if (memcmp(&a->tap, &b->tap, sizeof(a->tap))) w |= DP_MOD_TAP;
    return w;
}

/* Take a port pair and open the stream's gate (retrying busy ports). 0 or H.248 code. */
int mg_open_stream(mg_exec_t *x, mg_term_t *t, unsigned i, uint32_t ctx_id)
{
    mg_engine_t *e = x->e;
    mg_stream_t *s = &t->streams[i];
    s->gate_id = mg_gate_id_of(t, i);
    for (int tries = 0; tries < PORT_TRIES; tries++) {
        int rc = mg_realm_alloc(e->realms, t->realm, t->family, &s->local, NULL);
        if (rc == -ENOSPC) return mg_fail(x, MG_ERR_RESOURCES, "no port left in realm");
        if (rc < 0) return mg_fail(x, MG_ERR_BAD_VALUE, "address family not in realm");
        dp_gate_req_t req;
        mg_build_req(e, t, s, ctx_id, &req);
        rc = dp_gate_open(e->dp, &req);
        if (rc == 0) return 0;
        mg_realm_release(e->realms, t->realm, &s->local); /* to the back of the ring */
        memset(&s->local, 0, sizeof(s->local));
        if (rc == -EADDRINUSE) continue;
        if (rc == -ENOSPC) return mg_fail(x, MG_ERR_RESOURCES, "gate capacity reached");
        return mg_fail(x, MG_ERR_INTERNAL, "data plane refused the gate");
    }
    return mg_fail(x, MG_ERR_RESOURCES, "no free port");
}

void mg_close_stream(mg_engine_t *e, mg_term_t *t, unsigned i, dp_gate_stats_t *final)
{
    mg_stream_t *s = &t->streams[i];
    if (!s->id) return;
    if (s->gate_id) {
        dp_gate_stats_t st;
        memset(&st, 0, sizeof(st));
        dp_gate_close(e->dp, s->gate_id, &st);
        if (final) mg_stats_add(final, &st);
        if (s->tapped) li_ctl_release(e->li, s->gate_id);
        s->tapped = false;
        mg_realm_release(e->realms, t->realm, &s->local);
        s->gate_id = 0;
    }
    free(s->local_sdp);
    free(s->remote_sdp);
    memset(s, 0, sizeof(*s));
}

void mg_mask_from_len(int family, unsigned len, netaddr_t *out)
{
    memset(out, 0, sizeof(*out));
    out->u.sa.sa_family = (sa_family_t)family;
    uint8_t *b = family == AF_INET ? (uint8_t *)&out->u.v4.sin_addr : out->u.v6.sin6_addr.s6_addr;
    unsigned bytes = family == AF_INET ? 4 : 16;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned bits = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
        b[i] = (uint8_t)(bits ? 0xFFu << (8 - bits) : 0);
    }
}

/* ---- interception ------------------------------------------------------------------------- */

/* The tap the termination should have after this request. */
void mg_li_decide(mg_engine_t *e, const mg_term_t *t, const mg_chg_t *c, li_tap_conf_t *out)
{
    *out = t->tap;
    if (c->tids_set) {
        out->ntargets = (uint8_t)c->ntids;
        memset(out->targets, 0, sizeof(out->targets));
        memcpy(out->targets, c->tids, c->ntids * sizeof(uint32_t));
    }
    if (c->licn_set) {
        uint64_t cid = 0;
        bool valid = e->li && li_licn_decrypt(li_ctl_keys(e->li), c->licn, c->licn_len, &cid) == 1;
        out->cid = valid ? cid : 0;
    }
    out->active = out->cid != 0 && out->ntargets >= 1;
}

/* Admit or release the gates of t for the tap conf (already stored in t->tap). The share
 * limit admits a termination's new gates all or none, so that a termination is never
 * half-mirrored ("all streams in the context are mirrored"). */
void mg_li_apply(mg_engine_t *e, mg_term_t *t, bool asked)
{
    if (!e->li) return;
    uint32_t gates[MG_MAX_STREAMS];
    mg_stream_t *which[MG_MAX_STREAMS];
    unsigned n = 0;
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++) {
        mg_stream_t *s = &t->streams[i];
        if (!s->id || !s->gate_id) continue;
        if (!asked && (s->tapped || !t->tap.active)) continue; /* only new streams join */
        which[n] = s;
        gates[n++] = s->gate_id;
    }
    if (n == 0) return;
    /* an inactive conf stops the tapped gates and logs the refusal in the LI log */
    unsigned ok = li_ctl_admit_all(e->li, gates, n, &t->tap);
    for (unsigned i = 0; i < n; i++)
        which[i]->tapped = t->tap.active && (which[i]->tapped || ok == n);
}

/* ---- Local SDP of our side ------------------------------------------------------------------ */

const char *mg_local_text(mg_exec_t *x, const mg_term_t *t, const mg_stream_t *s,
                          const mg_schg_t *sc)
{
    char ip[NETADDR_STRLEN];
    netaddr_format_ip(&s->local, ip, sizeof(ip));
    uint16_t port = netaddr_port(&s->local);
    h248_sdp_af_t af = t->family == AF_INET6 ? H248_SDP_AF_IP6 : H248_SDP_AF_IP4;
    struct h248_sdp *sdp = sc ? sc->local : NULL;
    if (sdp && sdp->ngroups > 0) {
        h248_sdp_select_group(sdp, 0);
        h248_sdp_fill_choose(sdp, 0, x->a, af, ip, port);
        h248_sdp_group_t *g = sdp->groups;
        if (g->conn) h248_sdp_set_conn(g->conn, x->a, af, ip);
        h248_sdp_media_t *m = h248_sdp_first_audio(sdp, 0);
        if (m) {
            h248_sdp_set_port(m->m, x->a, port);
            if (m->conn) h248_sdp_set_conn(m->conn, x->a, af, ip);
        }
        size_t n = h248_sdp_write(sdp, H248_SDP_W_ASIS, NULL, 0);
        char *buf = arena_alloc(x->a, n + 1);
        if (buf) {
            h248_sdp_write(sdp, H248_SDP_W_ASIS, buf, n + 1);
            buf[n] = 0;
            return buf;
        }
    }
    int pt = sc && sc->remote_fmt_pt >= 0 ? sc->remote_fmt_pt : 0;
    return arena_printf(x->a, "v=0\nc=IN %s %s\nm=audio %u RTP/AVP %d\n",
                        t->family == AF_INET6 ? "IP6" : "IP4", ip, port, pt);
}

char *mg_xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* Append Media{Stream=id{Local{text}}} for the streams in list (all when sc is NULL). */
void mg_reply_local(mg_exec_t *x, h248_cmd_t *r, const mg_term_t *t, const mg_chg_t *c,
                    bool only_with_local)
{
    h248_desc_t *d = NULL;
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++) {
        const mg_stream_t *s = &t->streams[i];
        if (!s->id || !s->local_sdp) continue;
        bool explicit_id = true, asked = !only_with_local;
        for (unsigned k = 0; c && k < c->ns; k++)
            if (c->s[k].id == s->id) {
                explicit_id = c->s[k].explicit_id;
                if (c->s[k].has_local) asked = true;
            }
        if (!asked) continue;
        if (!d && !(d = h248_desc_add(x->a, r, H248_D_MEDIA))) return;
        h248_stream_t *st =
            h248_stream_get(x->a, &d->u.media, s->id, explicit_id || t->streams[1].id);
        if (!st) return;
        st->local = arena_alloc(x->a, sizeof(*st->local));
        if (st->local) st->local->text = mg_dup(x->a, s->local_sdp);
    }
}
