/* encode_desc.c - H.248.1 text encoder, bottom half: descriptors (Media, Stream,
 * LocalControl, Local/Remote SDP, TerminationState, Statistics, Events, Signals,
 * ObservedEvents, EventBuffer, DigitMap, ServiceChange parameters, Audit, Packages, Mux,
 * Modem, Error). Works on the output state of encode.c (encode_int.h); pure, any thread. */
#include "h248/encode_int.h"
#include "h248/sdp.h"

#include <string.h>

/* ---- media ------------------------------------------------------------------------------- */

/* Raw SDP text, one line at a time: indentation, trailing blanks and blank lines (which pretty
 * input may carry) dropped, every line ended with the text's own line end (CRLF when it has
 * any, else LF). */
/* Octet-string text: a '}' not already escaped becomes "\}" so it cannot close the descriptor
 * (the decoder's text never holds one; hand-built text may). */
static void put_escaped(enc_t *e, const char *p, size_t n)
{
    const char *start = p, *end = p + n, *q;
    while ((q = memchr(p, '}', (size_t)(end - p))) != NULL) {
        put(e, p, (size_t)(q - p));
        if (q == start || q[-1] != '\\') putc_(e, '\\');
        putc_(e, '}');
        p = q + 1;
    }
    put(e, p, (size_t)(end - p));
}

static void put_sdp_lines(enc_t *e, const char *p, size_t n)
{
    bool crlf = memchr(p, '\r', n) != NULL;
    const char *end = p + n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *q = p, *t;
        while (q < end && *q != '\r' && *q != '\n')
            q++;
        for (t = q; t > p && (t[-1] == ' ' || t[-1] == '\t'); t--)
            continue;
        if (t > p) {
            put_escaped(e, p, (size_t)(t - p));
            put(e, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
        }
        p = q;
        while (p < end && (*p == '\r' || *p == '\n'))
            p++;
    }
}

/* Local { sdp } / Remote { sdp }: SDP lines start at the line's beginning (as in RFC 3525),
 * written from the parsed form when there is one, else the raw text without its outer blanks. */
static void put_sdp_block(enc_t *e, tok_t t, const h248_sdp_block_t *b)
{
    enc_item(e);
    enc_tk(e, t);
    const char *p = b->text.p;
    size_t n = b->text.len;
    while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    bool empty = b->sdp ? b->sdp->ngroups == 0 : n == 0;
    if (empty) {
        put(e, e->compact ? "{}" : " { }", e->compact ? 2 : 4);
        return;
    }
    put(e, e->compact ? "{\n" : " {\n", e->compact ? 2 : 3);
    if (b->sdp) {
        size_t room = e->len < e->cap ? e->cap - e->len : 0;
        e->len += h248_sdp_write(b->sdp, H248_SDP_W_ASIS, room ? e->buf + e->len : NULL, room);
    } else {
        put_sdp_lines(e, p, n);
    }
    if (!e->compact) {
        static const char sp[] = "                                                                ";
        size_t ind = (size_t)e->depth * 4;
        put(e, sp, ind < sizeof sp - 1 ? ind : sizeof sp - 1);
    }
    putc_(e, '}');
}

static void put_stats(enc_t *e, const h248_prop_t *p)
{
    enc_tk(e, T_STATISTICS);
    enc_lb(e);
    enc_put_props(e, p);
    enc_rb(e);
}

static void put_local_control(enc_t *e, const h248_local_control_t *lc)
{
    static const tok_t modes[] = {[H248_MODE_SENDONLY] = T_SENDONLY,
                                  [H248_MODE_RECVONLY] = T_RECVONLY,
                                  [H248_MODE_SENDRECV] = T_SENDRECV,
                                  [H248_MODE_INACTIVE] = T_INACTIVE,
                                  [H248_MODE_LOOPBACK] = T_LOOPBACK};
    enc_item(e);
    enc_tk(e, T_LOCAL_CONTROL);
    enc_lb(e);
    if (lc->mode > H248_MODE_NONE && lc->mode <= H248_MODE_LOOPBACK) {
        enc_tok_tok(e, T_MODE, modes[lc->mode]);
    } else if (lc->audit & H248_AUD_MODE) {
        enc_item(e);
        enc_tk(e, T_MODE);
    }
    if (lc->reserved_value >= 0)
        enc_tok_tok(e, T_RESERVED_VALUE, lc->reserved_value ? T_ON : T_OFF);
    else if (lc->audit & H248_AUD_RESERVED_VALUE)
        enc_item(e), enc_tk(e, T_RESERVED_VALUE);
    if (lc->reserved_group >= 0)
        enc_tok_tok(e, T_RESERVED_GROUP, lc->reserved_group ? T_ON : T_OFF);
    else if (lc->audit & H248_AUD_RESERVED_GROUP)
        enc_item(e), enc_tk(e, T_RESERVED_GROUP);
    enc_put_props(e, lc->props); /* stream-level properties of the seed form land here too */
    enc_rb(e);
}

static void put_stream_parms(enc_t *e, const h248_stream_t *s)
{
    if (s->lc) put_local_control(e, s->lc);
    if (s->local) put_sdp_block(e, T_LOCAL, s->local);
    if (s->remote) put_sdp_block(e, T_REMOTE, s->remote);
    if (s->stats_present || s->stats) {
        enc_item(e);
        put_stats(e, s->stats);
    }
}

static void put_term_state(enc_t *e, const h248_term_state_t *ts)
{
    static const tok_t svc[] = {[H248_SVC_TEST] = T_TEST,
                                [H248_SVC_OUT_OF_SERVICE] = T_OUT_OF_SERVICE,
                                [H248_SVC_IN_SERVICE] = T_IN_SERVICE};
    enc_item(e);
    enc_tk(e, T_TERMINATION_STATE);
    enc_lb(e);
    if (ts->service_state > H248_SVC_NONE && ts->service_state <= H248_SVC_IN_SERVICE)
        enc_tok_tok(e, T_SERVICE_STATES, svc[ts->service_state]);
    else if (ts->audit & H248_AUD_SERVICE_STATES)
        enc_item(e), enc_tk(e, T_SERVICE_STATES);
    if (ts->buffer == H248_BUF_OFF)
        enc_tok_tok(e, T_BUFFER, T_OFF);
    else if (ts->buffer == H248_BUF_LOCKSTEP)
        enc_tok_tok(e, T_BUFFER, T_LOCKSTEP);
    else if (ts->audit & H248_AUD_BUFFER)
        enc_item(e), enc_tk(e, T_BUFFER);
    enc_put_props(e, ts->props);
    enc_rb(e);
}

static void put_media(enc_t *e, const h248_media_t *m)
{
    enc_lb(e);
    if (m->ts) put_term_state(e, m->ts);
    for (const h248_stream_t *s = m->streams; s; s = s->next) {
        if (!s->explicit_id) {
            put_stream_parms(e, s);
            continue;
        }
        enc_item(e);
        enc_tk(e, T_STREAM);
        enc_eq(e);
        enc_put_u32(e, s->id);
        enc_lb(e);
        put_stream_parms(e, s);
        enc_rb(e);
    }
    enc_rb(e);
}

/* ---- events and signals ------------------------------------------------------------------ */

static void put_signals_body(enc_t *e, const h248_signal_t *s);
static void put_events_desc(enc_t *e, const h248_events_t *ev);

static void put_digitmap_value(enc_t *e, const h248_digitmap_t *dm)
{
    if (dm->name.len) put_str(e, dm->name);
    if (dm->has_body) {
        if (dm->name.len && !e->compact) putc_(e, ' ');
        putc_(e, '{');
        put_str(e, dm->body);
        putc_(e, '}');
    }
}

/* Embed { Signals {...}, Events = id {...} } */
static void put_embed(enc_t *e, const h248_signal_t *sig, bool has_sig, const h248_events_t *ev)
{
    enc_item(e);
    enc_tk(e, T_EMBED);
    enc_lb(e);
    if (has_sig) {
        enc_item(e);
        enc_tk(e, T_SIGNALS);
        put_signals_body(e, sig);
    }
    if (ev) {
        enc_item(e);
        put_events_desc(e, ev);
    }
    enc_rb(e);
}

static void put_event(enc_t *e, const h248_event_t *ev, bool observed)
{
    if (observed && ev->timestamp.len) {
        put_str(e, ev->timestamp);
        putc_(e, ':');
    }
    put_str(e, ev->name);
    bool any = ev->has_stream || ev->keep_active || ev->reset_events || ev->nb ||
               ev->has_embed_signals || ev->embed_events || ev->dm || ev->params;
    if (!any) return;
    enc_lb(e);
    if (ev->has_stream) enc_tok_num(e, T_STREAM, ev->stream);
    if (ev->keep_active) enc_item(e), enc_tk(e, T_KEEP_ACTIVE);
    if (ev->has_embed_signals || ev->embed_events)
        put_embed(e, ev->embed_signals, ev->has_embed_signals, ev->embed_events);
    if (ev->dm) {
        enc_item(e);
        enc_tk(e, T_DIGITMAP);
        enc_eq(e);
        put_digitmap_value(e, ev->dm);
    }
    if (ev->nb == H248_NB_IMMEDIATE) enc_item(e), enc_tk(e, T_NOTIFY_IMMEDIATE);
    if (ev->nb == H248_NB_NEVER) enc_item(e), enc_tk(e, T_NEVER_NOTIFY);
    if (ev->nb == H248_NB_REGULATED) {
        enc_item(e);
        enc_tk(e, T_NOTIFY_REGULATED);
        if (ev->nb_embed_signals || ev->nb_embed_events) {
            enc_lb(e);
            put_embed(e, ev->nb_embed_signals, ev->nb_embed_signals != NULL, ev->nb_embed_events);
            enc_rb(e);
        }
    }
    if (ev->reset_events) enc_item(e), enc_tk(e, T_RESET_EVENTS);
    enc_put_props(e, ev->params);
    enc_rb(e);
}

/* Events = id { e1, e2 } (the token already written by the caller is not repeated) */
static void put_events_desc(enc_t *e, const h248_events_t *ev)
{
    enc_tk(e, T_EVENTS);
    if (!ev->has_request_id) return;
    enc_eq(e);
    enc_put_u32(e, ev->request_id);
    enc_lb(e);
    for (const h248_event_t *x = ev->list; x; x = x->next) {
        enc_item(e);
        put_event(e, x, false);
    }
    enc_rb(e);
}

static void put_signal(enc_t *e, const h248_signal_t *s)
{
    if (s->is_list) {
        enc_tk(e, T_SIGNAL_LIST);
        enc_eq(e);
        enc_put_u32(e, s->list_id);
        enc_lb(e);
        for (const h248_signal_t *m = s->list; m; m = m->next) {
            enc_item(e);
            put_signal(e, m);
        }
        enc_rb(e);
        return;
    }
    if (s->name.len == 0) e->err = H248_EINVAL;
    put_str(e, s->name);
    bool any = s->has_stream || s->type || s->has_duration || s->notify_completion ||
               s->keep_active || s->direction || s->has_request_id || s->has_intsig_delay ||
               s->params;
    if (!any) return;
    enc_lb(e);
    if (s->has_stream) enc_tok_num(e, T_STREAM, s->stream);
    static const tok_t types[] = {[H248_SIGTYPE_ONOFF] = T_ONOFF,
                                  [H248_SIGTYPE_TIMEOUT] = T_TIMEOUT,
                                  [H248_SIGTYPE_BRIEF] = T_BRIEF};
    if (s->type > H248_SIGTYPE_NONE && s->type <= H248_SIGTYPE_BRIEF)
        enc_tok_tok(e, T_SIGNAL_TYPE, types[s->type]);
    if (s->has_duration) enc_tok_num(e, T_DURATION, s->duration);
    if (s->notify_completion) {
        static const tok_t nc[] = {T_TIMEOUT, T_INT_BY_EVENT, T_INT_BY_SIGS, T_OTHER_REASON,
                                   T_ITERATION};
        enc_item(e);
        enc_tk(e, T_NOTIFY_COMPLETION);
        enc_eq(e);
        putc_(e, '{');
        bool first = true;
        for (int i = 0; i < 5; i++) {
            if (!(s->notify_completion & (1u << i))) continue;
            if (!first) put(e, ", ", e->compact ? 1 : 2);
            first = false;
            enc_tk(e, nc[i]);
        }
        putc_(e, '}');
    }
    if (s->keep_active) enc_item(e), enc_tk(e, T_KEEP_ACTIVE);
    static const tok_t dirs[] = {[H248_DIR_EXTERNAL] = T_EXTERNAL,
                                 [H248_DIR_INTERNAL] = T_INTERNAL,
                                 [H248_DIR_BOTH] = T_BOTH};
    if (s->direction > H248_DIR_NONE && s->direction <= H248_DIR_BOTH)
        enc_tok_tok(e, T_DIRECTION, dirs[s->direction]);
    if (s->has_request_id) enc_tok_num(e, T_REQUEST_ID, s->request_id);
    if (s->has_intsig_delay) enc_tok_num(e, T_INTSIG_DELAY, s->intsig_delay);
    enc_put_props(e, s->params);
    enc_rb(e);
}

/* { s1, s2 } after the Signals token */
static void put_signals_body(enc_t *e, const h248_signal_t *s)
{
    enc_lb(e);
    for (; s; s = s->next) {
        enc_item(e);
        put_signal(e, s);
    }
    enc_rb(e);
}

/* ---- ServiceChange ------------------------------------------------------------------------ */

static void put_services(enc_t *e, const h248_service_change_t *sc)
{
    static const tok_t methods[] = {
        [H248_SCM_FAILOVER] = T_FAILOVER,         [H248_SCM_FORCED] = T_FORCED,
        [H248_SCM_GRACEFUL] = T_GRACEFUL,         [H248_SCM_RESTART] = T_RESTART,
        [H248_SCM_DISCONNECTED] = T_DISCONNECTED, [H248_SCM_HANDOFF] = T_HANDOFF};
    enc_tk(e, T_SERVICES);
    enc_lb(e);
    if (sc->method == H248_SCM_EXTENSION) {
        enc_item(e);
        enc_tk(e, T_METHOD);
        enc_eq(e);
        put_str(e, sc->method_ext);
    } else if (sc->method > H248_SCM_NONE && sc->method < H248_SCM_EXTENSION) {
        enc_tok_tok(e, T_METHOD, methods[sc->method]);
    }
    if (sc->reason) {
        enc_item(e);
        enc_tk(e, T_REASON);
        enc_eq(e);
        enc_put_value(e, sc->reason);
    }
    if (sc->has_delay) enc_tok_num(e, T_DELAY, sc->delay);
    if (sc->address) {
        enc_item(e);
        enc_tk(e, T_SC_ADDRESS);
        enc_eq(e);
        enc_put_mid(e, sc->address);
    }
    if (sc->mgc_id) {
        enc_item(e);
        enc_tk(e, T_MGC_ID);
        enc_eq(e);
        enc_put_mid(e, sc->mgc_id);
    }
    if (sc->profile.len) {
        enc_item(e);
        enc_tk(e, T_PROFILE);
        enc_eq(e);
        put_str(e, sc->profile);
    }
    if (sc->version) enc_tok_num(e, T_VERSION, sc->version);
    if (sc->timestamp.len) enc_item(e), put_str(e, sc->timestamp);
    if (sc->incomplete) enc_item(e), enc_tk(e, T_SC_INC);
    enc_put_props(e, sc->ext);
    for (const h248_desc_t *d = sc->info; d; d = d->next) {
        enc_item(e);
        enc_put_desc(e, d);
    }
    enc_rb(e);
}

/* ---- descriptors -------------------------------------------------------------------------- */

static const tok_t DESC_TOK[] = {
    [H248_D_MEDIA] = T_MEDIA,
    [H248_D_MODEM] = T_MODEM,
    [H248_D_MUX] = T_MUX,
    [H248_D_EVENTS] = T_EVENTS,
    [H248_D_SIGNALS] = T_SIGNALS,
    [H248_D_DIGITMAP] = T_DIGITMAP,
    [H248_D_EVENT_BUFFER] = T_EVENT_BUFFER,
    [H248_D_STATISTICS] = T_STATISTICS,
    [H248_D_PACKAGES] = T_PACKAGES,
    [H248_D_OBSERVED_EVENTS] = T_OBSERVED_EVENTS,
    [H248_D_AUDIT] = T_AUDIT,
    [H248_D_SERVICE_CHANGE] = T_SERVICES,
    [H248_D_ERROR] = T_ERROR,
};

static void put_modem(enc_t *e, const h248_modem_t *m)
{
    if (m->types && !m->types->next) {
        enc_eq(e);
        enc_put_value(e, m->types);
    } else {
        if (!e->compact) putc_(e, ' ');
        putc_(e, '[');
        for (const h248_value_t *v = m->types; v; v = v->next) {
            if (v != m->types) put(e, ", ", e->compact ? 1 : 2);
            enc_put_value(e, v);
        }
        putc_(e, ']');
    }
    if (m->props) {
        enc_lb(e);
        enc_put_props(e, m->props);
        enc_rb(e);
    }
}

static void put_event_list(enc_t *e, const h248_event_t *ev, bool observed)
{
    enc_lb(e);
    for (; ev; ev = ev->next) {
        enc_item(e);
        put_event(e, ev, observed);
    }
    enc_rb(e);
}

void enc_put_desc(enc_t *e, const h248_desc_t *d)
{
    if (d->kind < H248_D_MEDIA || d->kind > H248_D_ERROR) {
        e->err = H248_EINVAL;
        return;
    }
    if (d->kind == H248_D_ERROR) {
        enc_put_error(e, &d->u.error);
        return;
    }
    if (d->kind == H248_D_SERVICE_CHANGE && !d->bare) {
        put_services(e, &d->u.sc);
        return;
    }
    enc_tk(e, DESC_TOK[d->kind]);
    if (d->bare) return;
    switch (d->kind) {
    case H248_D_MEDIA:
        put_media(e, &d->u.media);
        break;
    case H248_D_MODEM:
        put_modem(e, &d->u.modem);
        break;
    case H248_D_MUX:
        enc_eq(e);
        put_str(e, d->u.mux.type);
        enc_lb(e);
        for (const h248_termid_t *t = d->u.mux.tids; t; t = t->next)
            enc_item(e), enc_put_tid(e, t);
        enc_rb(e);
        break;
    case H248_D_EVENTS:
        if (!d->u.events.has_request_id) break;
        enc_eq(e);
        enc_put_u32(e, d->u.events.request_id);
        put_event_list(e, d->u.events.list, false);
        break;
    case H248_D_OBSERVED_EVENTS:
        enc_eq(e);
        enc_put_u32(e, d->u.events.request_id);
        put_event_list(e, d->u.events.list, true);
        break;
    case H248_D_EVENT_BUFFER:
        put_event_list(e, d->u.events.list, false);
        break;
    case H248_D_SIGNALS:
        put_signals_body(e, d->u.signals);
        break;
    case H248_D_DIGITMAP:
        enc_eq(e);
        put_digitmap_value(e, &d->u.digitmap);
        break;
    case H248_D_STATISTICS:
        enc_lb(e);
        enc_put_props(e, d->u.stats);
        enc_rb(e);
        break;
    case H248_D_PACKAGES:
        enc_lb(e);
        for (const h248_pkgitem_t *p = d->u.packages; p; p = p->next) {
            enc_item(e);
            put_str(e, p->name);
            putc_(e, '-');
            enc_put_u32(e, p->version);
        }
        enc_rb(e);
        break;
    case H248_D_AUDIT:
        enc_lb(e);
        for (const h248_desc_t *x = d->u.audit; x; x = x->next)
            enc_item(e), enc_put_desc(e, x);
        enc_rb(e);
        break;
    default:
        break;
    }
}
