/* decode_desc.c - H.248.1 text decoder, bottom half: descriptors (Media, Stream, LocalControl,
 * Local, Remote, TerminationState, Events, Signals, ObservedEvents, EventBuffer, DigitMap,
 * Statistics, Packages, Audit, ServiceChange parameters, Error, Mux, Modem, Topology) and
 * property values. Works on the parser state of decode.c; any thread. */
#include "h248/lex.h"

#include <string.h>

static void need_version(parser_t *p, unsigned v, uint16_t code, const tok_t *t)
{
    if (p->version < v)
        h248_fail(p, code, t->at, "%.*s needs H.248 version %u", (int)(t->len > 40 ? 40 : t->len),
                  t->p, v);
}

static bool has_slash(const tok_t *t)
{
    return memchr(t->p, '/', t->len) != NULL;
}

/* ---- values and properties ------------------------------------------------------------------ */

static h248_value_t *value(parser_t *p)
{
    tok_t *t = lx_next(p);
    if (t->t != TK_WORD && t->t != TK_QSTR)
        h248_fail(p, 449, t->at, "expected a value, found %s", h248_tok_desc(t));
    h248_value_t *v = NEW(p, h248_value_t);
    v->s = tok_str(t);
    v->quoted = t->t == TK_QSTR;
    return v;
}

/* [= | > | < | # | !=] value, =[a,b], =[a:b], ={a,b}; nothing at all gives H248_VAL_NONE */
void px_prop_value(parser_t *p, h248_prop_t *pr)
{
    tok_t *t = lx_peek(p);
    if (t->t == TK_WORD && t->len == 1 && t->p[0] == '!' && p->pos < p->end && *p->pos == '=') {
        lx_next(p);
        p->pos++;
        pr->rel = H248_REL_NE;
    } else if (t->t == TK_EQ || t->t == TK_GT || t->t == TK_LT || t->t == TK_HASH) {
        lx_next(p);
        pr->rel = t->t == TK_EQ ? H248_REL_EQ
                  : t->t == TK_GT ? H248_REL_GT
                  : t->t == TK_LT ? H248_REL_LT
                                  : H248_REL_NE;
    } else if (pr->rel != H248_REL_NE) {
        pr->kind = H248_VAL_NONE;
        return;
    }
    h248_value_t **tail = &pr->values;
    t = lx_peek(p);
    if (pr->rel == H248_REL_EQ && (t->t == TK_LSB || t->t == TK_LBRACE)) {
        int close = t->t == TK_LSB ? TK_RSB : TK_RBRACE;
        pr->kind = t->t == TK_LSB ? H248_VAL_LIST : H248_VAL_ALT;
        lx_next(p);
        *tail = value(p);
        tail = &(*tail)->next;
        pr->nvalues = 1;
        if (close == TK_RSB && lx_accept(p, TK_COLON)) {
            pr->kind = H248_VAL_RANGE;
            *tail = value(p);
            pr->nvalues = 2;
        } else {
            while (lx_accept(p, TK_COMMA)) {
                *tail = value(p);
                tail = &(*tail)->next;
                pr->nvalues++;
            }
        }
        tok_t *c = lx_next(p);
        if (c->t != close)
            h248_fail(p, 449, c->at, "expected '%c' after the values, found %s",
                      close == TK_RSB ? ']' : '}', h248_tok_desc(c));
        return;
    }
    pr->kind = H248_VAL_SINGLE;
    pr->values = value(p);
    pr->nvalues = 1;
}

/* A property or parameter whose name token has been read. */
h248_prop_t *px_prop(parser_t *p, const tok_t *name)
{
    h248_prop_t *pr = NEW(p, h248_prop_t);
    pr->name = tok_str(name);
    /* "name!=value" means name # value, unless the name without its '!' is a reserved word
     * (SY!=BR): that could only be written back as "SY # BR", which is not a valid signal
     * parameter, so such a name keeps its '!' and the relation is '=' */
    if (name->len > 1 && name->p[name->len - 1] == '!' && p->pos < p->end && *p->pos == '=' &&
        !p->have && h248_kw_find(name->p, name->len - 1) == KW_NONE) {
        pr->name.len--;
        p->pos++;
        pr->rel = H248_REL_NE;
    }
    px_prop_value(p, pr);
    return pr;
}

/* a pkgdName property where one is required (LocalControl, TerminationState, Statistics) */
static h248_prop_t *pkg_prop(parser_t *p, const tok_t *t, const char *where)
{
    if (tkw(t) || !has_slash(t))
        h248_fail(p, 445, t->at, "unknown property '%.*s' in %s", (int)(t->len > 40 ? 40 : t->len),
                  t->p, where);
    return px_prop(p, t);
}

/* = code { ["text"] } after the Error token */
void px_error_desc(parser_t *p, h248_error_desc_t *e)
{
    px_expect(p, TK_EQ, "'=' after Error");
    e->code = (uint16_t)px_uint(p, lx_next(p), 9999, p->code, "error code");
    px_expect(p, TK_LBRACE, "'{' after the error code");
    tok_t *t = lx_next(p);
    if (t->t == TK_QSTR) {
        e->text = tok_str(t);
        e->has_text = true;
        t = lx_next(p);
    }
    if (t->t != TK_RBRACE) h248_fail(p, p->code, t->at, "expected '}' after the error text");
}

static uint16_t stream_id(parser_t *p)
{
    px_expect(p, TK_EQ, "'=' after Stream");
    return (uint16_t)px_uint(p, lx_next(p), 65535, 449, "stream id");
}

/* ---- context level ----------------------------------------------------------------------------- */

/* Topology { a, b, direction [, Stream=N], ... } */
void px_topology(parser_t *p, h248_ctx_props_t *cp)
{
    h248_topology_t **tail = &cp->topology;
    if (cp->has_topology) h248_fail(p, 422, p->tok.at, "Topology appears twice in the context");
    cp->has_topology = true;
    px_expect(p, TK_LBRACE, "'{' after Topology");
    do {
        h248_topology_t *tp = *tail = NEW(p, h248_topology_t);
        tail = &tp->next;
        tp->from = tok_str(px_word(p, "a termination id"));
        px_expect(p, TK_COMMA, "',' in the topology triple");
        tp->to = tok_str(px_word(p, "a termination id"));
        px_expect(p, TK_COMMA, "',' in the topology triple");
        tok_t *d = px_word(p, "a topology direction");
        switch (tkw(d)) {
        case KW_BOTHWAY: tp->dir = H248_TOPO_BOTHWAY; break;
        case KW_ISOLATE: tp->dir = H248_TOPO_ISOLATE; break;
        case KW_ONEWAY: tp->dir = H248_TOPO_ONEWAY; break;
        case KW_ONEWAYEXT: need_version(p, 3, 449, d); tp->dir = H248_TOPO_ONEWAY_EXTERNAL; break;
        case KW_ONEWAYBOTH: need_version(p, 3, 449, d); tp->dir = H248_TOPO_ONEWAY_BOTH; break;
        default: h248_fail(p, 449, d->at, "unknown topology direction");
        }
        if (lx_peek(p)->t == TK_COMMA) {
            /* either Stream=N of this triple or the next triple */
            const char *save = lx_peek(p)->at;
            lx_next(p);
            tok_t *s = lx_peek(p);
            if (s->t == TK_WORD && tkw(s) == KW_STREAM) {
                need_version(p, 2, 422, s);
                lx_next(p);
                tp->stream = stream_id(p);
                tp->has_stream = true;
            } else {
                p->pos = save; /* put the comma back: the loop condition reads it */
                p->have = false;
            }
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Topology");
}

/* ContextAttr { props | ContextList = { ids } } (v3) */
void px_ctx_attr(parser_t *p, h248_prop_t ***tail, h248_ctx_props_t *cp)
{
    px_expect(p, TK_LBRACE, "'{' after ContextAttr");
    do {
        tok_t *t = px_word(p, "a context attribute");
        if (tkw(t) == KW_CONTEXTLIST) {
            px_expect(p, TK_EQ, "'=' after ContextList");
            px_expect(p, TK_LBRACE, "'{' after ContextList =");
            uint32_t n = 0, cap = 8;
            uint32_t *ids = px_alloc(p, cap * sizeof(*ids));
            do {
                tok_t *c = px_word(p, "a context id");
                if (n == cap) {
                    uint32_t *bigger = px_alloc(p, 2 * cap * sizeof(*ids));
                    memcpy(bigger, ids, cap * sizeof(*ids));
                    ids = bigger, cap *= 2;
                }
                ids[n] = px_uint(p, c, 0xFFFFFFFDu, 422, "context id");
                /* 0 is the null context, written "-", which no list of contexts holds */
                if (ids[n++] == 0) h248_fail(p, 422, c->at, "invalid context id");
            } while (lx_accept(p, TK_COMMA));
            px_expect(p, TK_RBRACE, "',' or '}' in ContextList");
            cp->ctx_list = ids;
            cp->nctx_list = n;
        } else {
            **tail = pkg_prop(p, t, "ContextAttr");
            *tail = &(**tail)->next;
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in ContextAttr");
}

/* ---- Media ------------------------------------------------------------------------------------- */

/* Local { sdp } / Remote { sdp }: octetString up to the first "}" not escaped as "\}" */
static h248_sdp_block_t *sdp_block(parser_t *p, h248_sdp_block_t *old, const tok_t *tp)
{
    tok_t tk = *tp, *t = &tk; /* copy: the lexer reuses its token */
    if (old) h248_fail(p, 448, t->at, "%s appears twice in the stream", h248_kw_long(tkw(t)));
    px_expect(p, TK_LBRACE, "'{' after Local/Remote");
    const char *s = p->pos, *e = p->end, *q = s;
    for (;;) {
        q = memchr(q, '}', (size_t)(e - q));
        if (!q) h248_fail(p, 422, t->at, "unterminated %s descriptor", h248_kw_long(tkw(t)));
        if (q == s || q[-1] != '\\') break;
        q++;
    }
    h248_sdp_block_t *b = NEW(p, h248_sdp_block_t);
    b->text = (h248_str_t){s, (uint32_t)(q - s)};
    p->pos = q + 1;
    return b;
}

/* A stream being decoded: its LocalControl property list grows at tail (properties come from
 * LocalControl and from the stream level), so appending stays O(1). */
typedef struct stream_ctx {
    h248_stream_t *s;
    h248_prop_t **tail; /* NULL until the stream has a LocalControl */
    bool lc_seen;       /* an explicit LocalControl descriptor was decoded */
} stream_ctx_t;

static h248_local_control_t *lc_of(parser_t *p, stream_ctx_t *sc)
{
    if (!sc->s->lc) {
        sc->s->lc = NEW(p, h248_local_control_t);
        sc->s->lc->reserved_value = sc->s->lc->reserved_group = -1;
        sc->tail = &sc->s->lc->props;
    }
    return sc->s->lc;
}

/* LocalControl { Mode=..., ReservedValue=..., ReservedGroup=..., properties } */
static void local_control(parser_t *p, stream_ctx_t *sc, const tok_t *at)
{
    if (sc->lc_seen) h248_fail(p, 448, at->at, "LocalControl appears twice in the stream");
    sc->lc_seen = true;
    h248_local_control_t *lc = lc_of(p, sc);
    px_expect(p, TK_LBRACE, "'{' after LocalControl");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t *t = px_word(p, "a LocalControl parameter");
        int kw = tkw(t);
        if (kw == KW_MODE || kw == KW_RESERVEDVALUE || kw == KW_RESERVEDGROUP) {
            if (!lx_accept(p, TK_EQ)) {
                if (!p->in_audit) h248_fail(p, 422, p->tok.at, "expected '=' after %s", h248_kw_long(kw));
                lc->audit |= kw == KW_MODE ? H248_AUD_MODE
                             : kw == KW_RESERVEDVALUE ? H248_AUD_RESERVED_VALUE
                                                      : H248_AUD_RESERVED_GROUP;
                continue;
            }
            tok_t *v = px_word(p, "a value");
            if (kw == KW_MODE) {
                switch (tkw(v)) {
                case KW_SENDONLY: lc->mode = H248_MODE_SENDONLY; break;
                case KW_RECVONLY: lc->mode = H248_MODE_RECVONLY; break;
                case KW_SENDRECV: lc->mode = H248_MODE_SENDRECV; break;
                case KW_INACTIVE: lc->mode = H248_MODE_INACTIVE; break;
                case KW_LOOPBACK: lc->mode = H248_MODE_LOOPBACK; break;
                default: h248_fail(p, 449, v->at, "unknown stream mode");
                }
            } else {
                if (tkw(v) != KW_ON && tkw(v) != KW_OFF) h248_fail(p, 449, v->at, "expected ON or OFF");
                int8_t on = tkw(v) == KW_ON;
                if (kw == KW_RESERVEDVALUE) lc->reserved_value = on;
                else lc->reserved_group = on;
            }
            continue;
        }
        *sc->tail = pkg_prop(p, t, "LocalControl");
        sc->tail = &(*sc->tail)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in LocalControl");
}

/* Statistics { pkg/name [= value], ... } into *list */
static void statistics(parser_t *p, h248_prop_t **list)
{
    px_expect(p, TK_LBRACE, "'{' after Statistics");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t *t = px_word(p, "a statistic");
        if (tkw(t)) h248_fail(p, 445, t->at, "unknown statistic");
        *list = px_prop(p, t);
        list = &(*list)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Statistics");
}

/* One streamParm; returns false when t is none (so the caller can try media-level items). */
static bool stream_parm(parser_t *p, stream_ctx_t *sc, const tok_t *t)
{
    h248_stream_t *s = sc->s;
    switch (tkw(t)) {
    case KW_LOCALCONTROL: local_control(p, sc, t); return true;
    case KW_LOCAL: s->local = sdp_block(p, s->local, t); return true;
    case KW_REMOTE: s->remote = sdp_block(p, s->remote, t); return true;
    case KW_STATISTICS:
        need_version(p, 2, 444, t);
        if (s->stats_present) h248_fail(p, 448, t->at, "Statistics appears twice in the stream");
        s->stats_present = true;
        statistics(p, &s->stats);
        return true;
    case KW_NONE:
        if (!has_slash(t)) return false;
        /* compatibility: a package property beside LocalControl (the seed request's
         * li/LITID) is taken as a LocalControl property and marked */
        {
            h248_prop_t *pr = px_prop(p, t);
            pr->flags |= H248_PROP_STREAM_LEVEL;
            lc_of(p, sc);
            *sc->tail = pr;
            sc->tail = &pr->next;
        }
        return true;
    default: return false;
    }
}

static h248_stream_t *stream_new(parser_t *p, h248_stream_t ***tail, uint16_t id, bool explicit_id)
{
    h248_stream_t *s = **tail = NEW(p, h248_stream_t);
    *tail = &s->next;
    s->id = id;
    s->explicit_id = explicit_id;
    return s;
}

/* TerminationState { ServiceStates=..., Buffer=..., properties } */
static void term_state(parser_t *p, h248_media_t *m, const tok_t *at)
{
    if (m->ts) h248_fail(p, 448, at->at, "TerminationState appears twice");
    h248_term_state_t *ts = m->ts = NEW(p, h248_term_state_t);
    h248_prop_t **tail = &ts->props;
    px_expect(p, TK_LBRACE, "'{' after TerminationState");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t *t = px_word(p, "a TerminationState parameter");
        int kw = tkw(t);
        if (kw == KW_SERVICESTATES || kw == KW_BUFFER) {
            if (!lx_accept(p, TK_EQ)) {
                if (!p->in_audit) h248_fail(p, 422, p->tok.at, "expected '=' after %s", h248_kw_long(kw));
                ts->audit |= kw == KW_BUFFER ? H248_AUD_BUFFER : H248_AUD_SERVICE_STATES;
                continue;
            }
            tok_t *v = px_word(p, "a value");
            if (kw == KW_SERVICESTATES) {
                if (tkw(v) == KW_TEST) ts->service_state = H248_SVC_TEST;
                else if (tkw(v) == KW_OUTOFSVC) ts->service_state = H248_SVC_OUT_OF_SERVICE;
                else if (tkw(v) == KW_INSVC) ts->service_state = H248_SVC_IN_SERVICE;
                else h248_fail(p, 449, v->at, "unknown service state");
            } else {
                if (tkw(v) == KW_OFF) ts->buffer = H248_BUF_OFF;
                else if (tkw(v) == KW_LOCKSTEP) ts->buffer = H248_BUF_LOCKSTEP;
                else h248_fail(p, 449, v->at, "expected OFF or LockStep");
            }
            continue;
        }
        *tail = pkg_prop(p, t, "TerminationState");
        tail = &(*tail)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in TerminationState");
}

/* Media { TerminationState, stream-less parameters, Stream = N { ... } } */
static void media(parser_t *p, h248_media_t *m)
{
    h248_stream_t **tail = &m->streams;
    stream_ctx_t implicit = {NULL, NULL, false};
    px_expect(p, TK_LBRACE, "'{' after Media");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t *t = px_word(p, "a Media parameter");
        if (tkw(t) == KW_STREAM) {
            uint16_t id = stream_id(p);
            stream_ctx_t sc = {stream_new(p, &tail, id, true), NULL, false};
            px_expect(p, TK_LBRACE, "'{' after the stream id");
            if (lx_accept(p, TK_RBRACE)) continue;
            do {
                tok_t *u = px_word(p, "a stream parameter");
                if (!stream_parm(p, &sc, u))
                    h248_fail(p, 444, u->at, "unknown descriptor in Stream");
            } while (lx_accept(p, TK_COMMA));
            px_expect(p, TK_RBRACE, "',' or '}' in Stream");
        } else if (tkw(t) == KW_TERMSTATE) {
            term_state(p, m, t);
        } else {
            if (!implicit.s) implicit.s = stream_new(p, &tail, 0, false);
            if (!stream_parm(p, &implicit, t))
                h248_fail(p, 444, t->at, "unknown descriptor in Media");
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Media");
}

/* ---- Events, Signals, DigitMap ----------------------------------------------------------------- */

/* DigitMap body: digitMapValue up to "}" (it holds no braces), trimmed */
static void dm_body(parser_t *p, h248_digitmap_t *dm, const tok_t *at)
{
    const char *s = p->pos, *e = p->end;
    const char *q = memchr(s, '}', (size_t)(e - s));
    if (!q) h248_fail(p, 422, at->at, "unterminated DigitMap");
    p->pos = q + 1;
    while (s < q && (h248_cc[(unsigned char)*s] & (CC_WS | CC_EOL))) s++;
    while (q > s && (h248_cc[(unsigned char)q[-1]] & (CC_WS | CC_EOL))) q--;
    dm->body = (h248_str_t){s, (uint32_t)(q - s)};
    dm->has_body = true;
}

/* after the DigitMap token: = name [{body}] | [=] {body} | nothing (audit) */
static bool digitmap(parser_t *p, h248_digitmap_t *dm, const tok_t *atp)
{
    tok_t tk = *atp, *at = &tk; /* copy: the lexer reuses its token */
    bool eq = lx_accept(p, TK_EQ);
    tok_t *t = lx_peek(p);
    if (t->t == TK_WORD && eq) {
        lx_next(p);
        dm->name = tok_str(t);
        t = lx_peek(p);
    }
    if (t->t == TK_LBRACE) {
        lx_next(p);
        dm_body(p, dm, at);
        return true;
    }
    if (eq && !dm->name.len) h248_fail(p, 422, t->at, "expected a digit map name or body");
    return eq;
}

static void events_body(parser_t *p, h248_events_t *ev, h248_desc_kind_t kind);
static void signals_body(parser_t *p, h248_signal_t **list);

/* Embed { Signals {...} [, Events = id {...}] } */
static void embed(parser_t *p, h248_signal_t **sig, bool *has_sig, h248_events_t **evs,
                  const tok_t *at)
{
    if (p->in_embed) h248_fail(p, 422, at->at, "Embed inside an embedded event");
    p->in_embed = true;
    px_expect(p, TK_LBRACE, "'{' after Embed");
    do {
        tok_t *t = px_word(p, "Signals or Events");
        if (tkw(t) == KW_SIGNALS && !*has_sig && !*evs) {
            *has_sig = true;
            signals_body(p, sig);
        } else if (tkw(t) == KW_EVENTS && !*evs) {
            *evs = NEW(p, h248_events_t);
            px_expect(p, TK_EQ, "'=' after Events");
            (*evs)->request_id = px_uint(p, lx_next(p), UINT32_MAX, 449, "request id");
            (*evs)->has_request_id = true;
            events_body(p, *evs, H248_D_EVENTS);
        } else {
            h248_fail(p, 422, t->at, "unexpected %s in Embed", h248_tok_desc(t));
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Embed");
    p->in_embed = false;
}

/* one event parameter of a requested (EVENTS), buffered or observed event */
static void event_parm(parser_t *p, h248_event_t *ev, h248_desc_kind_t kind, h248_prop_t ***tail)
{
    tok_t *t = px_word(p, "an event parameter");
    bool req = kind == H248_D_EVENTS;
    int kw = req || tkw(t) == KW_STREAM ? tkw(t) : KW_NONE;
    /* each of these at most once: a second one would silently replace the first, and the
     * tree would no longer say what the text said */
    bool again = (kw == KW_STREAM && ev->has_stream) || (kw == KW_KEEPACTIVE && ev->keep_active) ||
                 (kw == KW_EMBED && (ev->has_embed_signals || ev->embed_events)) ||
                 (kw == KW_DIGITMAP && ev->dm) || (kw == KW_RESETEVENTS && ev->reset_events) ||
                 ((kw == KW_NOTIFYIMMEDIATE || kw == KW_NEVERNOTIFY || kw == KW_NOTIFYREGULATED) &&
                  ev->nb != H248_NB_NONE);
    if (again) h248_fail(p, 422, t->at, "%s appears twice in an event", h248_kw_long(kw));
    switch (kw) {
    case KW_STREAM:
        ev->stream = stream_id(p);
        ev->has_stream = true;
        return;
    case KW_KEEPACTIVE: ev->keep_active = true; return;
    case KW_EMBED: embed(p, &ev->embed_signals, &ev->has_embed_signals, &ev->embed_events, t); return;
    case KW_DIGITMAP: {
        const char *at = t->at;
        ev->dm = NEW(p, h248_digitmap_t);
        if (!digitmap(p, ev->dm, t)) h248_fail(p, 422, at, "DigitMap needs a name or a body");
        return;
    }
    case KW_NOTIFYIMMEDIATE: need_version(p, 3, 446, t); ev->nb = H248_NB_IMMEDIATE; return;
    case KW_NEVERNOTIFY: need_version(p, 3, 446, t); ev->nb = H248_NB_NEVER; return;
    case KW_NOTIFYREGULATED:
        need_version(p, 3, 446, t);
        ev->nb = H248_NB_REGULATED;
        if (lx_accept(p, TK_LBRACE)) {
            tok_t *e = px_word(p, "Embed");
            if (tkw(e) != KW_EMBED) h248_fail(p, 422, e->at, "expected Embed");
            bool has = false;
            embed(p, &ev->nb_embed_signals, &has, &ev->nb_embed_events, e);
            px_expect(p, TK_RBRACE, "'}' after RegulatedNotify's Embed");
        }
        return;
    case KW_RESETEVENTS: need_version(p, 3, 446, t); ev->reset_events = true; return;
    case KW_NONE:
        **tail = px_prop(p, t);
        *tail = &(**tail)->next;
        return;
    default: h248_fail(p, 446, t->at, "unexpected %s in an event", h248_kw_long(tkw(t)));
    }
}

/* { event [{ params }], ... } of Events=id, ObservedEvents=id or EventBuffer */
static void events_body(parser_t *p, h248_events_t *evs, h248_desc_kind_t kind)
{
    h248_event_t **tail = &evs->list;
    px_expect(p, TK_LBRACE, "'{' before the events");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        h248_event_t *ev = *tail = NEW(p, h248_event_t);
        tail = &ev->next;
        tok_t name = *px_word(p, "an event name"); /* copy: lx_accept peeks */
        if (kind == H248_D_OBSERVED_EVENTS && lx_accept(p, TK_COLON)) {
            ev->timestamp = tok_str(&name);
            name = *px_word(p, "an event name");
        }
        if (tkw(&name)) h248_fail(p, 422, name.at, "expected an event name, found %s", h248_kw_long(tkw(&name)));
        ev->name = tok_str(&name);
        if (!lx_accept(p, TK_LBRACE)) continue;
        h248_prop_t **ptail = &ev->params;
        if (lx_accept(p, TK_RBRACE)) continue;
        do event_parm(p, ev, kind, &ptail);
        while (lx_accept(p, TK_COMMA));
        px_expect(p, TK_RBRACE, "',' or '}' in the event parameters");
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' after an event");
}

static void notify_completion(parser_t *p, h248_signal_t *s)
{
    px_expect(p, TK_EQ, "'=' after NotifyCompletion");
    px_expect(p, TK_LBRACE, "'{' after NotifyCompletion =");
    do {
        tok_t *t = px_word(p, "a notification reason");
        switch (tkw(t)) {
        case KW_TIMEOUT: s->notify_completion |= H248_NC_TIMEOUT; break;
        case KW_INTBYEVENT: s->notify_completion |= H248_NC_INTERRUPT_EVENT; break;
        case KW_INTBYSIGS: s->notify_completion |= H248_NC_INTERRUPT_SIGNALS; break;
        case KW_OTHERREASON: s->notify_completion |= H248_NC_OTHER; break;
        case KW_ITERATION:
            need_version(p, 3, 449, t);
            s->notify_completion |= H248_NC_ITERATION;
            break;
        default: h248_fail(p, 449, t->at, "unknown notification reason");
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in NotifyCompletion");
}

static void signal_parm(parser_t *p, h248_signal_t *s, h248_prop_t ***tail)
{
    tok_t *t = px_word(p, "a signal parameter");
    tok_t *v;
    switch (tkw(t)) {
    case KW_STREAM:
        s->stream = stream_id(p);
        s->has_stream = true;
        return;
    case KW_SIGNALTYPE:
        px_expect(p, TK_EQ, "'=' after SignalType");
        v = px_word(p, "a signal type");
        if (tkw(v) == KW_ONOFF) s->type = H248_SIGTYPE_ONOFF;
        else if (tkw(v) == KW_TIMEOUT) s->type = H248_SIGTYPE_TIMEOUT;
        else if (tkw(v) == KW_BRIEF) s->type = H248_SIGTYPE_BRIEF;
        else h248_fail(p, 449, v->at, "unknown signal type");
        return;
    case KW_DURATION:
        px_expect(p, TK_EQ, "'=' after Duration");
        s->duration = px_uint(p, lx_next(p), 65535, 449, "duration");
        s->has_duration = true;
        return;
    case KW_NOTIFYCOMPLETION: notify_completion(p, s); return;
    case KW_KEEPACTIVE: s->keep_active = true; return;
    case KW_DIRECTION:
        need_version(p, 2, 446, t);
        px_expect(p, TK_EQ, "'=' after SPADirection");
        v = px_word(p, "a direction");
        if (tkw(v) == KW_EXTERNAL) s->direction = H248_DIR_EXTERNAL;
        else if (tkw(v) == KW_INTERNAL) s->direction = H248_DIR_INTERNAL;
        else if (tkw(v) == KW_BOTH) s->direction = H248_DIR_BOTH;
        else h248_fail(p, 449, v->at, "unknown signal direction");
        return;
    case KW_REQUESTID:
        need_version(p, 2, 446, t);
        px_expect(p, TK_EQ, "'=' after SPARequestID");
        s->request_id = px_uint(p, lx_next(p), UINT32_MAX, 449, "request id");
        s->has_request_id = true;
        return;
    case KW_INTSIGDELAY:
        need_version(p, 3, 446, t);
        px_expect(p, TK_EQ, "'=' after Intersignal");
        s->intsig_delay = px_uint(p, lx_next(p), 65535, 449, "intersignal delay");
        s->has_intsig_delay = true;
        return;
    case KW_NONE:
        **tail = px_prop(p, t);
        *tail = &(**tail)->next;
        return;
    default: h248_fail(p, 446, t->at, "unexpected %s in a signal", h248_kw_long(tkw(t)));
    }
}

/* name [{ params }] whose name token t has been read */
static h248_signal_t *signal_req(parser_t *p, const tok_t *t)
{
    if (tkw(t)) h248_fail(p, 422, t->at, "expected a signal name, found %s", h248_kw_long(tkw(t)));
    h248_signal_t *s = NEW(p, h248_signal_t);
    s->name = tok_str(t);
    if (!lx_accept(p, TK_LBRACE)) return s;
    if (lx_accept(p, TK_RBRACE)) return s;
    h248_prop_t **tail = &s->params;
    do signal_parm(p, s, &tail);
    while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in the signal parameters");
    return s;
}

/* { [signal | SignalList = id { signals }], ... } */
static void signals_body(parser_t *p, h248_signal_t **list)
{
    px_expect(p, TK_LBRACE, "'{' after Signals");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t *t = px_word(p, "a signal");
        if (tkw(t) == KW_SIGNALLIST) {
            h248_signal_t *sl = *list = NEW(p, h248_signal_t);
            sl->is_list = true;
            px_expect(p, TK_EQ, "'=' after SignalList");
            sl->list_id = px_uint(p, lx_next(p), UINT32_MAX, 449, "signal list id");
            px_expect(p, TK_LBRACE, "'{' after the signal list id");
            h248_signal_t **mt = &sl->list;
            do {
                *mt = signal_req(p, px_word(p, "a signal"));
                mt = &(*mt)->next;
            } while (lx_accept(p, TK_COMMA));
            px_expect(p, TK_RBRACE, "',' or '}' in SignalList");
        } else {
            *list = signal_req(p, t);
        }
        list = &(*list)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Signals");
}

/* ---- ServiceChange, Packages, Mux, Modem ------------------------------------------------------- */

static h248_mid_t *raw_mid(parser_t *p, bool port_ok)
{
    lx_skip(p);
    h248_mid_t *m = NEW(p, h248_mid_t);
    const char *s = p->pos, *e;
    if (port_ok) {
        e = s;
        while (e < p->end && (h248_cc[(unsigned char)*e] & CC_DIGIT)) e++;
        if (e > s && (e == p->end || !(h248_cc[(unsigned char)*e] & CC_SAFE))) {
            uint32_t v;
            if (!h248_str_u32((h248_str_t){s, (uint32_t)(e - s)}, 65535, &v))
                h248_fail(p, 449, s, "invalid port number");
            m->kind = H248_MID_PORT;
            m->port = (uint16_t)v;
            m->has_port = true;
            p->pos = e;
            return m;
        }
    }
    e = h248_scan_mid(s, p->end, m);
    if (!e) h248_fail(p, 449, s, "invalid address");
    p->pos = e;
    return m;
}

static bool is_timestamp(const tok_t *t)
{
    /* Date "T" Time: 8 digits, T, 8 digits */
    if (t->len != 17 || (t->p[8] | 0x20) != 't') return false;
    for (int i = 0; i < 17; i++)
        if (i != 8 && !(h248_cc[(unsigned char)t->p[i]] & CC_DIGIT)) return false;
    return true;
}

static bool is_extension(const tok_t *t)
{
    return t->len > 2 && (t->p[0] | 0x20) == 'x' && (t->p[1] == '-' || t->p[1] == '+');
}

/* Method = Failover | Forced | Graceful | Restart | Disconnected | HandOff | X-extension */
static void sc_method(parser_t *p, h248_service_change_t *sc)
{
    px_expect(p, TK_EQ, "'=' after Method");
    tok_t *v = px_word(p, "a method");
    switch (tkw(v)) {
    case KW_FAILOVER: sc->method = H248_SCM_FAILOVER; break;
    case KW_FORCED: sc->method = H248_SCM_FORCED; break;
    case KW_GRACEFUL: sc->method = H248_SCM_GRACEFUL; break;
    case KW_RESTART: sc->method = H248_SCM_RESTART; break;
    case KW_DISCONNECTED: sc->method = H248_SCM_DISCONNECTED; break;
    case KW_HANDOFF: sc->method = H248_SCM_HANDOFF; break;
    default:
        if (!is_extension(v)) h248_fail(p, 449, v->at, "unknown ServiceChange method");
        sc->method = H248_SCM_EXTENSION;
        sc->method_ext = tok_str(v);
    }
}

/* Services { Method, Reason, Delay, ServiceChangeAddress, MgcIdToTry, Profile, Version,
 * TimeStamp, extensions, (v2) audit items, (v3) ServiceChangeInc } */
static void services(parser_t *p, h248_service_change_t *sc)
{
    h248_prop_t **etail = &sc->ext;
    h248_desc_t **itail = &sc->info;
    px_expect(p, TK_LBRACE, "'{' after Services");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t *t = px_word(p, "a ServiceChange parameter");
        switch (tkw(t)) {
        case KW_METHOD: sc_method(p, sc); break;
        case KW_REASON:
            px_expect(p, TK_EQ, "'=' after Reason");
            sc->reason = value(p);
            break;
        case KW_DELAY:
            px_expect(p, TK_EQ, "'=' after Delay");
            sc->delay = px_uint(p, lx_next(p), UINT32_MAX, 449, "delay");
            sc->has_delay = true;
            break;
        case KW_SCADDRESS:
            px_expect(p, TK_EQ, "'=' after ServiceChangeAddress");
            sc->address = raw_mid(p, true);
            break;
        case KW_MGCID:
            px_expect(p, TK_EQ, "'=' after MgcIdToTry");
            sc->mgc_id = raw_mid(p, false);
            break;
        case KW_PROFILE:
            px_expect(p, TK_EQ, "'=' after Profile");
            sc->profile = tok_str(px_word(p, "a profile name/version"));
            break;
        case KW_VERSION:
            px_expect(p, TK_EQ, "'=' after Version");
            sc->version = (uint8_t)px_uint(p, lx_next(p), 99, 449, "version");
            break;
        case KW_SCINC: need_version(p, 3, 446, t); sc->incomplete = true; break;
        case KW_NONE:
            if (is_timestamp(t)) {
                sc->timestamp = tok_str(t);
            } else if (is_extension(t)) {
                *etail = px_prop(p, t);
                etail = &(*etail)->next;
            } else {
                h248_fail(p, 446, t->at, "unknown ServiceChange parameter");
            }
            break;
        default:
            /* v2 serviceChangeInfo: audit items */
            need_version(p, 2, 446, t);
            p->have = true; /* t is still p->tok: give it back to px_descriptor */
            {
                bool was = p->in_audit;
                p->in_audit = true;
                *itail = px_descriptor(p);
                itail = &(*itail)->next;
                p->in_audit = was;
            }
            break;
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Services");
}

static void packages(parser_t *p, h248_pkgitem_t **list)
{
    px_expect(p, TK_LBRACE, "'{' after Packages");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t *t = px_word(p, "a package name-version");
        const char *d = NULL;
        for (uint32_t i = t->len; i-- > 0;)
            if (t->p[i] == '-') {
                d = t->p + i;
                break;
            }
        uint32_t v;
        if (!d || d == t->p ||
            !h248_str_u32((h248_str_t){d + 1, (uint32_t)(t->p + t->len - d - 1)}, 65535, &v))
            h248_fail(p, 449, t->at, "expected a package name-version");
        h248_pkgitem_t *pk = *list = NEW(p, h248_pkgitem_t);
        pk->name = (h248_str_t){t->p, (uint32_t)(d - t->p)};
        pk->version = (uint16_t)v;
        list = &pk->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Packages");
}

/* Modem = type | Modem [t1, t2] ; then optional { props } */
static bool modem(parser_t *p, h248_modem_t *md)
{
    h248_value_t **tail = &md->types;
    if (lx_accept(p, TK_EQ)) {
        *tail = value(p);
    } else if (lx_accept(p, TK_LSB)) {
        do {
            *tail = value(p);
            tail = &(*tail)->next;
        } while (lx_accept(p, TK_COMMA));
        px_expect(p, TK_RSB, "',' or ']' in Modem");
    } else {
        return false;
    }
    if (!lx_accept(p, TK_LBRACE)) return true;
    h248_prop_t **pt = &md->props;
    do {
        *pt = px_prop(p, px_word(p, "a modem property"));
        pt = &(*pt)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Modem");
    return true;
}

/* Mux = type { t1, t2 } */
static void mux(parser_t *p, h248_mux_t *mx)
{
    px_expect(p, TK_EQ, "'=' after Mux");
    mx->type = tok_str(px_word(p, "a mux type"));
    /* muxDescriptor = MuxToken EQUAL MuxType terminationIDList: the list is not optional */
    px_expect(p, TK_LBRACE, "'{' and the terminations after the mux type");
    h248_termid_t **tt = &mx->tids;
    do {
        h248_termid_t *tid = *tt = NEW(p, h248_termid_t);
        tid->name = tok_str(px_word(p, "a termination id"));
        tt = &tid->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Mux");
}

/* ---- descriptors ---------------------------------------------------------------------------- */

static void audit(parser_t *p, h248_desc_t *d, const tok_t *at)
{
    if (p->in_audit) h248_fail(p, 444, at->at, "Audit inside Audit");
    px_expect(p, TK_LBRACE, "'{' after Audit");
    if (lx_accept(p, TK_RBRACE)) return;
    p->in_audit = true;
    h248_desc_t **tail = &d->u.audit;
    do {
        *tail = px_descriptor(p);
        tail = &(*tail)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in Audit");
    p->in_audit = false;
}

static bool at_end_of_item(parser_t *p)
{
    int t = lx_peek(p)->t;
    return t == TK_COMMA || t == TK_RBRACE;
}

/* One command descriptor (the token has not been read yet). */
h248_desc_t *px_descriptor(parser_t *p)
{
    tok_t *t = px_word(p, "a descriptor");
    tok_t at = *t;
    h248_desc_t *d = NEW(p, h248_desc_t);
    switch (tkw(&at)) {
    case KW_MEDIA: d->kind = H248_D_MEDIA; break;
    case KW_MODEM: d->kind = H248_D_MODEM; break;
    case KW_MUX: d->kind = H248_D_MUX; break;
    case KW_EVENTS: d->kind = H248_D_EVENTS; break;
    case KW_SIGNALS: d->kind = H248_D_SIGNALS; break;
    case KW_DIGITMAP: d->kind = H248_D_DIGITMAP; break;
    case KW_EVENTBUFFER: d->kind = H248_D_EVENT_BUFFER; break;
    case KW_STATISTICS: d->kind = H248_D_STATISTICS; break;
    case KW_PACKAGES: d->kind = H248_D_PACKAGES; break;
    case KW_OBSERVEDEVENTS: d->kind = H248_D_OBSERVED_EVENTS; break;
    case KW_AUDIT: d->kind = H248_D_AUDIT; break;
    case KW_SERVICES: d->kind = H248_D_SERVICE_CHANGE; break;
    case KW_ERROR: d->kind = H248_D_ERROR; break;
    default:
        h248_fail(p, 444, at.at, "unknown descriptor '%.*s'", (int)(at.len > 40 ? 40 : at.len), at.p);
    }
    if (d->kind != H248_D_ERROR && d->kind != H248_D_AUDIT && at_end_of_item(p)) {
        d->bare = true; /* audit item / auditReturnItem */
        return d;
    }
    switch (d->kind) {
    case H248_D_MEDIA: media(p, &d->u.media); break;
    case H248_D_MODEM:
        if (!modem(p, &d->u.modem)) h248_fail(p, 422, p->tok.at, "expected '=' or '[' after Modem");
        break;
    case H248_D_MUX: mux(p, &d->u.mux); break;
    case H248_D_EVENTS:
    case H248_D_OBSERVED_EVENTS:
        if (lx_accept(p, TK_EQ)) {
            d->u.events.request_id = px_uint(p, lx_next(p), UINT32_MAX, 449, "request id");
            d->u.events.has_request_id = true;
        } else if (d->kind == H248_D_OBSERVED_EVENTS || !p->in_audit) {
            h248_fail(p, 422, lx_peek(p)->at, "expected '=' and a request id");
        }
        events_body(p, &d->u.events, d->kind);
        break;
    case H248_D_EVENT_BUFFER: events_body(p, &d->u.events, d->kind); break;
    case H248_D_SIGNALS: signals_body(p, &d->u.signals); break;
    case H248_D_DIGITMAP:
        if (!digitmap(p, &d->u.digitmap, &at)) h248_fail(p, 422, at.at, "invalid DigitMap");
        break;
    case H248_D_STATISTICS: statistics(p, &d->u.stats); break;
    case H248_D_PACKAGES: packages(p, &d->u.packages); break;
    case H248_D_AUDIT: audit(p, d, &at); break;
    case H248_D_SERVICE_CHANGE:
        if (p->in_audit) h248_fail(p, 444, at.at, "Services inside Audit");
        services(p, &d->u.sc);
        break;
    case H248_D_ERROR: px_error_desc(p, &d->u.error); break;
    }
    return d;
}
