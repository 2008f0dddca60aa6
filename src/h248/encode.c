/* encode.c - H.248.1 text encoder (pretty and compact forms, versions 1-3) and the tree
 * constructors. Pure functions, any thread: the encoder writes into the caller's buffer, never
 * allocates, and reports the size it needs when the buffer is too small.
 *
 * Pretty form: long tokens, one item per line, four-space indentation, as the RFC 3525
 * examples look. Compact form: short tokens, no optional white space, `!/v` header. Both write
 * the standard form of the tree: properties that the decoder accepted at stream level (the
 * seed request's li/LITID) sit in the tree's LocalControl and are written there. */
#include "h248/h248.h"
#include "h248/sdp.h"

#include <limits.h>
#include <string.h>

/* ---- tokens ----------------------------------------------------------------------------- */

/* clang-format off */
typedef enum {
    T_ADD, T_MODIFY, T_SUBTRACT, T_MOVE, T_AUDIT_VALUE, T_AUDIT_CAP, T_NOTIFY, T_SERVICE_CHANGE,
    T_CONTEXT, T_TRANSACTION, T_REPLY, T_PENDING, T_RESPONSE_ACK, T_ERROR, T_VERSION,
    T_PROFILE, T_MEDIA, T_STREAM, T_LOCAL, T_REMOTE, T_LOCAL_CONTROL, T_MODE, T_SENDONLY,
    T_RECVONLY, T_SENDRECV, T_INACTIVE, T_LOOPBACK, T_RESERVED_VALUE, T_RESERVED_GROUP,
    T_TERMINATION_STATE, T_SERVICE_STATES, T_IN_SERVICE, T_OUT_OF_SERVICE, T_TEST, T_BUFFER,
    T_LOCKSTEP, T_EVENTS, T_SIGNALS, T_OBSERVED_EVENTS, T_STATISTICS, T_EVENT_BUFFER,
    T_DIGITMAP, T_EMBED, T_KEEP_ACTIVE, T_SIGNAL_LIST, T_SIGNAL_TYPE, T_DURATION, T_ONOFF,
    T_TIMEOUT, T_BRIEF, T_NOTIFY_COMPLETION, T_INT_BY_EVENT, T_INT_BY_SIGS, T_OTHER_REASON,
    T_ITERATION, T_AUDIT, T_PACKAGES, T_SERVICES, T_AUTH, T_METHOD, T_REASON, T_DELAY,
    T_SC_ADDRESS, T_MGC_ID, T_RESTART, T_FORCED, T_GRACEFUL, T_FAILOVER, T_DISCONNECTED,
    T_HANDOFF, T_TOPOLOGY, T_BOTHWAY, T_ISOLATE, T_ONEWAY, T_ONEWAY_EXT, T_ONEWAY_BOTH,
    T_PRIORITY, T_EMERGENCY, T_EMERGENCY_OFF, T_EMERGENCY_VALUE, T_IEPS, T_IMM_ACK, T_MUX,
    T_MODEM, T_CONTEXT_AUDIT, T_CONTEXT_ATTR, T_CONTEXT_LIST, T_AND_LGC, T_OR_LGC, T_ON, T_OFF,
    T_SEGMENT, T_SEG_COMPLETE, T_SC_INC, T_DIRECTION, T_EXTERNAL, T_INTERNAL, T_BOTH,
    T_REQUEST_ID, T_INTSIG_DELAY, T_NOTIFY_IMMEDIATE, T_NOTIFY_REGULATED, T_NEVER_NOTIFY,
    T_RESET_EVENTS, T_MTP,
    T_COUNT
} tok_t;

/* long and short spelling of each token (H.248.1 Annex B) */
static const char *const TOK[T_COUNT][2] = {
    [T_ADD] = {"Add", "A"}, [T_MODIFY] = {"Modify", "MF"}, [T_SUBTRACT] = {"Subtract", "S"},
    [T_MOVE] = {"Move", "MV"}, [T_AUDIT_VALUE] = {"AuditValue", "AV"},
    [T_AUDIT_CAP] = {"AuditCapability", "AC"}, [T_NOTIFY] = {"Notify", "N"},
    [T_SERVICE_CHANGE] = {"ServiceChange", "SC"}, [T_CONTEXT] = {"Context", "C"},
    [T_TRANSACTION] = {"Transaction", "T"}, [T_REPLY] = {"Reply", "P"},
    [T_PENDING] = {"Pending", "PN"}, [T_RESPONSE_ACK] = {"TransactionResponseAck", "K"},
    [T_ERROR] = {"Error", "ER"}, [T_VERSION] = {"Version", "V"},
    [T_PROFILE] = {"Profile", "PF"}, [T_MEDIA] = {"Media", "M"}, [T_STREAM] = {"Stream", "ST"},
    [T_LOCAL] = {"Local", "L"}, [T_REMOTE] = {"Remote", "R"},
    [T_LOCAL_CONTROL] = {"LocalControl", "O"}, [T_MODE] = {"Mode", "MO"},
    [T_SENDONLY] = {"SendOnly", "SO"}, [T_RECVONLY] = {"ReceiveOnly", "RC"},
    [T_SENDRECV] = {"SendReceive", "SR"}, [T_INACTIVE] = {"Inactive", "IN"},
    [T_LOOPBACK] = {"Loopback", "LB"}, [T_RESERVED_VALUE] = {"ReservedValue", "RV"},
    [T_RESERVED_GROUP] = {"ReservedGroup", "RG"},
    [T_TERMINATION_STATE] = {"TerminationState", "TS"},
    [T_SERVICE_STATES] = {"ServiceStates", "SI"}, [T_IN_SERVICE] = {"InService", "IV"},
    [T_OUT_OF_SERVICE] = {"OutOfService", "OS"}, [T_TEST] = {"Test", "TE"},
    [T_BUFFER] = {"Buffer", "BF"}, [T_LOCKSTEP] = {"LockStep", "SP"},
    [T_EVENTS] = {"Events", "E"}, [T_SIGNALS] = {"Signals", "SG"},
    [T_OBSERVED_EVENTS] = {"ObservedEvents", "OE"}, [T_STATISTICS] = {"Statistics", "SA"},
    [T_EVENT_BUFFER] = {"EventBuffer", "EB"}, [T_DIGITMAP] = {"DigitMap", "DM"},
    [T_EMBED] = {"Embed", "EM"}, [T_KEEP_ACTIVE] = {"KeepActive", "KA"},
    [T_SIGNAL_LIST] = {"SignalList", "SL"}, [T_SIGNAL_TYPE] = {"SignalType", "SY"},
    [T_DURATION] = {"Duration", "DR"}, [T_ONOFF] = {"OnOff", "OO"},
    [T_TIMEOUT] = {"TimeOut", "TO"}, [T_BRIEF] = {"Brief", "BR"},
    [T_NOTIFY_COMPLETION] = {"NotifyCompletion", "NC"},
    [T_INT_BY_EVENT] = {"IntByEvent", "IBE"}, [T_INT_BY_SIGS] = {"IntBySigDescr", "IBS"},
    [T_OTHER_REASON] = {"OtherReason", "OR"}, [T_ITERATION] = {"Iteration", "IR"},
    [T_AUDIT] = {"Audit", "AT"}, [T_PACKAGES] = {"Packages", "PG"},
    [T_SERVICES] = {"Services", "SV"}, [T_AUTH] = {"Authentication", "AU"},
    [T_METHOD] = {"Method", "MT"}, [T_REASON] = {"Reason", "RE"}, [T_DELAY] = {"Delay", "DL"},
    [T_SC_ADDRESS] = {"ServiceChangeAddress", "AD"}, [T_MGC_ID] = {"MgcIdToTry", "MG"},
    [T_RESTART] = {"Restart", "RS"}, [T_FORCED] = {"Forced", "FO"},
    [T_GRACEFUL] = {"Graceful", "GR"}, [T_FAILOVER] = {"Failover", "FL"},
    [T_DISCONNECTED] = {"Disconnected", "DC"}, [T_HANDOFF] = {"HandOff", "HO"},
    [T_TOPOLOGY] = {"Topology", "TP"}, [T_BOTHWAY] = {"Bothway", "BW"},
    [T_ISOLATE] = {"Isolate", "IS"}, [T_ONEWAY] = {"Oneway", "OW"},
    [T_ONEWAY_EXT] = {"OnewayExternal", "OWE"}, [T_ONEWAY_BOTH] = {"OnewayBoth", "OWB"},
    [T_PRIORITY] = {"Priority", "PR"}, [T_EMERGENCY] = {"Emergency", "EG"},
    [T_EMERGENCY_OFF] = {"EmergencyOff", "EGO"},
    [T_EMERGENCY_VALUE] = {"EmergencyValue", "EGV"}, [T_IEPS] = {"IEPSCall", "IEPS"},
    [T_IMM_ACK] = {"ImmAckRequired", "IA"}, [T_MUX] = {"Mux", "MX"},
    [T_MODEM] = {"Modem", "MD"}, [T_CONTEXT_AUDIT] = {"ContextAudit", "CA"},
    [T_CONTEXT_ATTR] = {"ContextAttr", "CT"}, [T_CONTEXT_LIST] = {"ContextList", "CLT"},
    [T_AND_LGC] = {"ANDLgc", "ANDLgc"}, [T_OR_LGC] = {"ORLgc", "ORLgc"}, [T_ON] = {"ON", "ON"},
    [T_OFF] = {"OFF", "OFF"}, [T_SEGMENT] = {"Segment", "SM"}, [T_SEG_COMPLETE] = {"END", "&"},
    [T_SC_INC] = {"ServiceChangeInc", "SIC"}, [T_DIRECTION] = {"SPADirection", "SPADI"},
    [T_EXTERNAL] = {"External", "EX"}, [T_INTERNAL] = {"Internal", "IT"},
    [T_BOTH] = {"Both", "B"}, [T_REQUEST_ID] = {"SPARequestID", "SPARQ"},
    [T_INTSIG_DELAY] = {"Intersignal", "SPAIS"},
    [T_NOTIFY_IMMEDIATE] = {"ImmediateNotify", "NBIN"},
    [T_NOTIFY_REGULATED] = {"RegulatedNotify", "NBRN"},
    [T_NEVER_NOTIFY] = {"NeverNotify", "NBNN"},
    [T_RESET_EVENTS] = {"ResetEventsDescriptor", "RSE"}, [T_MTP] = {"MTP", "MTP"},
};

/* clang-format on */

/* ---- output ----------------------------------------------------------------------------- */

typedef struct enc {
    char *buf;
    size_t cap, len; /* len counts every byte, also those past cap */
    bool compact;
    bool first; /* no item written yet in the innermost open brace */
    int depth;
    uint8_t ver;
    int err; /* H248_EINVAL once something could not be encoded */
} enc_t;

static inline void put(enc_t *e, const char *s, size_t n)
{
    if (n && e->len <= e->cap && n <= e->cap - e->len) memcpy(e->buf + e->len, s, n);
    e->len += n;
}

static inline void putc_(enc_t *e, char c)
{
    if (e->len < e->cap) e->buf[e->len] = c;
    e->len++;
}

static inline void puts_(enc_t *e, const char *s)
{
    put(e, s, strlen(s));
}

static inline void put_str(enc_t *e, h248_str_t s)
{
    put(e, s.p, s.len);
}

static void put_u32(enc_t *e, uint32_t v)
{
    char tmp[10];
    int i = 10;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(e, tmp + i, (size_t)(10 - i));
}

static void tk(enc_t *e, tok_t t)
{
    /* Version 2 decoders in the field (Erlang/OTP megaco) know EmergencyOff only by its short
     * form: both spellings are standard, so v2 gets the one every v2 peer reads. */
    bool shortform = e->compact || (t == T_EMERGENCY_OFF && e->ver == 2);
    puts_(e, TOK[t][shortform]);
}

static void nl(enc_t *e)
{
    static const char sp[] = "\n                                                                ";
    size_t n = (size_t)e->depth * 4;
    if (n > sizeof sp - 2) n = sizeof sp - 2;
    put(e, sp, n + 1);
}

/* " = " or "=" */
static void eq(enc_t *e)
{
    if (e->compact)
        putc_(e, '=');
    else
        put(e, " = ", 3);
}

/* Open a brace: the items that follow go one per line (pretty). */
static void lb(enc_t *e)
{
    if (e->compact)
        putc_(e, '{');
    else
        put(e, " {", 2);
    e->depth++;
    e->first = true;
}

/* Start an item inside the innermost brace. */
static void item(enc_t *e)
{
    if (!e->first) putc_(e, ',');
    if (!e->compact) nl(e);
    e->first = false;
}

static void rb(enc_t *e)
{
    e->depth--;
    if (!e->compact) {
        if (e->first)
            putc_(e, ' ');
        else
            nl(e);
    }
    putc_(e, '}');
    e->first = false;
}

/* SafeChar of Annex B: what a VALUE may hold without quotes. */
static bool safe_char(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c && strchr("+-&!_/'?@^`~*$\\()%|.", c) != NULL;
}

static void put_value(enc_t *e, const h248_value_t *v)
{
    bool q = v->quoted || v->s.len == 0;
    for (uint32_t i = 0; i < v->s.len && !q; i++)
        if (!safe_char((unsigned char)v->s.p[i])) q = true;
    if (q && memchr(v->s.p, '"', v->s.len)) e->err = H248_EINVAL; /* no escape exists */
    if (q) putc_(e, '"');
    put_str(e, v->s);
    if (q) putc_(e, '"');
}

/* ---- properties and small parts ---------------------------------------------------------- */

static void put_values(enc_t *e, const h248_prop_t *p, char open, char sep, char close)
{
    putc_(e, open);
    uint32_t k = 0;
    for (const h248_value_t *v = p->values; v; v = v->next, k++) {
        if (k) {
            putc_(e, sep);
            if (!e->compact && sep == ',') putc_(e, ' ');
        }
        put_value(e, v);
    }
    putc_(e, close);
}

static void put_prop(enc_t *e, const h248_prop_t *p)
{
    if (p->name.len == 0) e->err = H248_EINVAL;
    put_str(e, p->name);
    if (p->kind == H248_VAL_NONE) return;
    if (p->kind == H248_VAL_SINGLE && p->rel != H248_REL_EQ) {
        static const char ops[] = "=><#";
        if (!e->compact) putc_(e, ' ');
        putc_(e, ops[p->rel & 3]);
        if (!e->compact) putc_(e, ' ');
    } else {
        /* "x!=" would read as the relation "!=" that decoders accept for '#' */
        if (e->compact && p->name.len && p->name.p[p->name.len - 1] == '!') putc_(e, ' ');
        eq(e);
    }
    if (!p->values) e->err = H248_EINVAL;
    switch (p->kind) {
    case H248_VAL_SINGLE:
        if (p->values) put_value(e, p->values);
        break;
    case H248_VAL_LIST:
        put_values(e, p, '[', ',', ']');
        break;
    case H248_VAL_ALT:
        put_values(e, p, '{', ',', '}');
        break;
    case H248_VAL_RANGE:
        if (!p->values || !p->values->next || p->values->next->next) e->err = H248_EINVAL;
        put_values(e, p, '[', ':', ']');
        break;
    default:
        e->err = H248_EINVAL;
        break;
    }
}

static void put_props(enc_t *e, const h248_prop_t *p)
{
    for (; p; p = p->next) {
        item(e);
        put_prop(e, p);
    }
}

static void put_mid(enc_t *e, const h248_mid_t *m)
{
    switch (m->kind) {
    case H248_MID_IP4:
    case H248_MID_IP6:
        putc_(e, '[');
        put_str(e, m->addr);
        putc_(e, ']');
        break;
    case H248_MID_DOMAIN:
        putc_(e, '<');
        put_str(e, m->addr);
        putc_(e, '>');
        break;
    case H248_MID_DEVICE:
        put_str(e, m->addr);
        return;
    case H248_MID_MTP:
        tk(e, T_MTP);
        putc_(e, '{');
        put_str(e, m->addr);
        putc_(e, '}');
        return;
    case H248_MID_PORT:
        put_u32(e, m->port);
        return;
    default:
        e->err = H248_EINVAL;
        return;
    }
    if (m->has_port) {
        putc_(e, ':');
        put_u32(e, m->port);
    }
}

static void put_tid(enc_t *e, const h248_termid_t *t)
{
    if (t->name.len == 0) e->err = H248_EINVAL;
    put_str(e, t->name);
}

/* "[t1, t2]" */
static void put_tid_list(enc_t *e, const h248_termid_t *t)
{
    putc_(e, '[');
    for (bool first = true; t; t = t->next, first = false) {
        if (!first) put(e, ", ", e->compact ? 1 : 2);
        put_tid(e, t);
    }
    putc_(e, ']');
}

static void put_ctx_id(enc_t *e, uint32_t c)
{
    if (c == H248_CTX_NULL)
        putc_(e, '-');
    else if (c == H248_CTX_CHOOSE)
        putc_(e, '$');
    else if (c == H248_CTX_ALL)
        putc_(e, '*');
    else
        put_u32(e, c);
}

/* Token = number */
static void tok_num(enc_t *e, tok_t t, uint32_t v)
{
    item(e);
    tk(e, t);
    eq(e);
    put_u32(e, v);
}

/* Token = Token */
static void tok_tok(enc_t *e, tok_t t, tok_t v)
{
    item(e);
    tk(e, t);
    eq(e);
    tk(e, v);
}

static void put_error(enc_t *e, const h248_error_desc_t *er)
{
    tk(e, T_ERROR);
    eq(e);
    put_u32(e, er->code);
    put(e, e->compact ? "{" : " {", e->compact ? 1 : 2);
    if (er->has_text) {
        putc_(e, '"');
        /* quotedString has no escape: a '"' in free text becomes '\'' */
        const char *p = er->text.p, *end = p + er->text.len;
        while (p < end) {
            const char *q = memchr(p, '"', (size_t)(end - p));
            size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
            put(e, p, n);
            p += n;
            if (q) {
                putc_(e, '\'');
                p++;
            }
        }
        putc_(e, '"');
    }
    putc_(e, '}');
}

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
    item(e);
    tk(e, t);
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
    tk(e, T_STATISTICS);
    lb(e);
    put_props(e, p);
    rb(e);
}

static void put_local_control(enc_t *e, const h248_local_control_t *lc)
{
    static const tok_t modes[] = {[H248_MODE_SENDONLY] = T_SENDONLY,
                                  [H248_MODE_RECVONLY] = T_RECVONLY,
                                  [H248_MODE_SENDRECV] = T_SENDRECV,
                                  [H248_MODE_INACTIVE] = T_INACTIVE,
                                  [H248_MODE_LOOPBACK] = T_LOOPBACK};
    item(e);
    tk(e, T_LOCAL_CONTROL);
    lb(e);
    if (lc->mode > H248_MODE_NONE && lc->mode <= H248_MODE_LOOPBACK) {
        tok_tok(e, T_MODE, modes[lc->mode]);
    } else if (lc->audit & H248_AUD_MODE) {
        item(e);
        tk(e, T_MODE);
    }
    if (lc->reserved_value >= 0)
        tok_tok(e, T_RESERVED_VALUE, lc->reserved_value ? T_ON : T_OFF);
    else if (lc->audit & H248_AUD_RESERVED_VALUE)
        item(e), tk(e, T_RESERVED_VALUE);
    if (lc->reserved_group >= 0)
        tok_tok(e, T_RESERVED_GROUP, lc->reserved_group ? T_ON : T_OFF);
    else if (lc->audit & H248_AUD_RESERVED_GROUP)
        item(e), tk(e, T_RESERVED_GROUP);
    put_props(e, lc->props); /* stream-level properties of the seed form land here too */
    rb(e);
}

static void put_stream_parms(enc_t *e, const h248_stream_t *s)
{
    if (s->lc) put_local_control(e, s->lc);
    if (s->local) put_sdp_block(e, T_LOCAL, s->local);
    if (s->remote) put_sdp_block(e, T_REMOTE, s->remote);
    if (s->stats_present || s->stats) {
        item(e);
        put_stats(e, s->stats);
    }
}

static void put_term_state(enc_t *e, const h248_term_state_t *ts)
{
    static const tok_t svc[] = {[H248_SVC_TEST] = T_TEST,
                                [H248_SVC_OUT_OF_SERVICE] = T_OUT_OF_SERVICE,
                                [H248_SVC_IN_SERVICE] = T_IN_SERVICE};
    item(e);
    tk(e, T_TERMINATION_STATE);
    lb(e);
    if (ts->service_state > H248_SVC_NONE && ts->service_state <= H248_SVC_IN_SERVICE)
        tok_tok(e, T_SERVICE_STATES, svc[ts->service_state]);
    else if (ts->audit & H248_AUD_SERVICE_STATES)
        item(e), tk(e, T_SERVICE_STATES);
    if (ts->buffer == H248_BUF_OFF)
        tok_tok(e, T_BUFFER, T_OFF);
    else if (ts->buffer == H248_BUF_LOCKSTEP)
        tok_tok(e, T_BUFFER, T_LOCKSTEP);
    else if (ts->audit & H248_AUD_BUFFER)
        item(e), tk(e, T_BUFFER);
    put_props(e, ts->props);
    rb(e);
}

static void put_media(enc_t *e, const h248_media_t *m)
{
    lb(e);
    if (m->ts) put_term_state(e, m->ts);
    for (const h248_stream_t *s = m->streams; s; s = s->next) {
        if (!s->explicit_id) {
            put_stream_parms(e, s);
            continue;
        }
        item(e);
        tk(e, T_STREAM);
        eq(e);
        put_u32(e, s->id);
        lb(e);
        put_stream_parms(e, s);
        rb(e);
    }
    rb(e);
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
    item(e);
    tk(e, T_EMBED);
    lb(e);
    if (has_sig) {
        item(e);
        tk(e, T_SIGNALS);
        put_signals_body(e, sig);
    }
    if (ev) {
        item(e);
        put_events_desc(e, ev);
    }
    rb(e);
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
    lb(e);
    if (ev->has_stream) tok_num(e, T_STREAM, ev->stream);
    if (ev->keep_active) item(e), tk(e, T_KEEP_ACTIVE);
    if (ev->has_embed_signals || ev->embed_events)
        put_embed(e, ev->embed_signals, ev->has_embed_signals, ev->embed_events);
    if (ev->dm) {
        item(e);
        tk(e, T_DIGITMAP);
        eq(e);
        put_digitmap_value(e, ev->dm);
    }
    if (ev->nb == H248_NB_IMMEDIATE) item(e), tk(e, T_NOTIFY_IMMEDIATE);
    if (ev->nb == H248_NB_NEVER) item(e), tk(e, T_NEVER_NOTIFY);
    if (ev->nb == H248_NB_REGULATED) {
        item(e);
        tk(e, T_NOTIFY_REGULATED);
        if (ev->nb_embed_signals || ev->nb_embed_events) {
            lb(e);
            put_embed(e, ev->nb_embed_signals, ev->nb_embed_signals != NULL, ev->nb_embed_events);
            rb(e);
        }
    }
    if (ev->reset_events) item(e), tk(e, T_RESET_EVENTS);
    put_props(e, ev->params);
    rb(e);
}

/* Events = id { e1, e2 } (the token already written by the caller is not repeated) */
static void put_events_desc(enc_t *e, const h248_events_t *ev)
{
    tk(e, T_EVENTS);
    if (!ev->has_request_id) return;
    eq(e);
    put_u32(e, ev->request_id);
    lb(e);
    for (const h248_event_t *x = ev->list; x; x = x->next) {
        item(e);
        put_event(e, x, false);
    }
    rb(e);
}

static void put_signal(enc_t *e, const h248_signal_t *s)
{
    if (s->is_list) {
        tk(e, T_SIGNAL_LIST);
        eq(e);
        put_u32(e, s->list_id);
        lb(e);
        for (const h248_signal_t *m = s->list; m; m = m->next) {
            item(e);
            put_signal(e, m);
        }
        rb(e);
        return;
    }
    if (s->name.len == 0) e->err = H248_EINVAL;
    put_str(e, s->name);
    bool any = s->has_stream || s->type || s->has_duration || s->notify_completion ||
               s->keep_active || s->direction || s->has_request_id || s->has_intsig_delay ||
               s->params;
    if (!any) return;
    lb(e);
    if (s->has_stream) tok_num(e, T_STREAM, s->stream);
    static const tok_t types[] = {[H248_SIGTYPE_ONOFF] = T_ONOFF,
                                  [H248_SIGTYPE_TIMEOUT] = T_TIMEOUT,
                                  [H248_SIGTYPE_BRIEF] = T_BRIEF};
    if (s->type > H248_SIGTYPE_NONE && s->type <= H248_SIGTYPE_BRIEF)
        tok_tok(e, T_SIGNAL_TYPE, types[s->type]);
    if (s->has_duration) tok_num(e, T_DURATION, s->duration);
    if (s->notify_completion) {
        static const tok_t nc[] = {T_TIMEOUT, T_INT_BY_EVENT, T_INT_BY_SIGS, T_OTHER_REASON,
                                   T_ITERATION};
        item(e);
        tk(e, T_NOTIFY_COMPLETION);
        eq(e);
        putc_(e, '{');
        bool first = true;
        for (int i = 0; i < 5; i++) {
            if (!(s->notify_completion & (1u << i))) continue;
            if (!first) put(e, ", ", e->compact ? 1 : 2);
            first = false;
            tk(e, nc[i]);
        }
        putc_(e, '}');
    }
    if (s->keep_active) item(e), tk(e, T_KEEP_ACTIVE);
    static const tok_t dirs[] = {[H248_DIR_EXTERNAL] = T_EXTERNAL,
                                 [H248_DIR_INTERNAL] = T_INTERNAL,
                                 [H248_DIR_BOTH] = T_BOTH};
    if (s->direction > H248_DIR_NONE && s->direction <= H248_DIR_BOTH)
        tok_tok(e, T_DIRECTION, dirs[s->direction]);
    if (s->has_request_id) tok_num(e, T_REQUEST_ID, s->request_id);
    if (s->has_intsig_delay) tok_num(e, T_INTSIG_DELAY, s->intsig_delay);
    put_props(e, s->params);
    rb(e);
}

/* { s1, s2 } after the Signals token */
static void put_signals_body(enc_t *e, const h248_signal_t *s)
{
    lb(e);
    for (; s; s = s->next) {
        item(e);
        put_signal(e, s);
    }
    rb(e);
}

/* ---- ServiceChange ------------------------------------------------------------------------ */

static void put_desc(enc_t *e, const h248_desc_t *d);

static void put_services(enc_t *e, const h248_service_change_t *sc)
{
    static const tok_t methods[] = {
        [H248_SCM_FAILOVER] = T_FAILOVER,         [H248_SCM_FORCED] = T_FORCED,
        [H248_SCM_GRACEFUL] = T_GRACEFUL,         [H248_SCM_RESTART] = T_RESTART,
        [H248_SCM_DISCONNECTED] = T_DISCONNECTED, [H248_SCM_HANDOFF] = T_HANDOFF};
    tk(e, T_SERVICES);
    lb(e);
    if (sc->method == H248_SCM_EXTENSION) {
        item(e);
        tk(e, T_METHOD);
        eq(e);
        put_str(e, sc->method_ext);
    } else if (sc->method > H248_SCM_NONE && sc->method < H248_SCM_EXTENSION) {
        tok_tok(e, T_METHOD, methods[sc->method]);
    }
    if (sc->reason) {
        item(e);
        tk(e, T_REASON);
        eq(e);
        put_value(e, sc->reason);
    }
    if (sc->has_delay) tok_num(e, T_DELAY, sc->delay);
    if (sc->address) {
        item(e);
        tk(e, T_SC_ADDRESS);
        eq(e);
        put_mid(e, sc->address);
    }
    if (sc->mgc_id) {
        item(e);
        tk(e, T_MGC_ID);
        eq(e);
        put_mid(e, sc->mgc_id);
    }
    if (sc->profile.len) {
        item(e);
        tk(e, T_PROFILE);
        eq(e);
        put_str(e, sc->profile);
    }
    if (sc->version) tok_num(e, T_VERSION, sc->version);
    if (sc->timestamp.len) item(e), put_str(e, sc->timestamp);
    if (sc->incomplete) item(e), tk(e, T_SC_INC);
    put_props(e, sc->ext);
    for (const h248_desc_t *d = sc->info; d; d = d->next) {
        item(e);
        put_desc(e, d);
    }
    rb(e);
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
        eq(e);
        put_value(e, m->types);
    } else {
        if (!e->compact) putc_(e, ' ');
        putc_(e, '[');
        for (const h248_value_t *v = m->types; v; v = v->next) {
            if (v != m->types) put(e, ", ", e->compact ? 1 : 2);
            put_value(e, v);
        }
        putc_(e, ']');
    }
    if (m->props) {
        lb(e);
        put_props(e, m->props);
        rb(e);
    }
}

static void put_event_list(enc_t *e, const h248_event_t *ev, bool observed)
{
    lb(e);
    for (; ev; ev = ev->next) {
        item(e);
        put_event(e, ev, observed);
    }
    rb(e);
}

static void put_desc(enc_t *e, const h248_desc_t *d)
{
    if (d->kind < H248_D_MEDIA || d->kind > H248_D_ERROR) {
        e->err = H248_EINVAL;
        return;
    }
    if (d->kind == H248_D_ERROR) {
        put_error(e, &d->u.error);
        return;
    }
    if (d->kind == H248_D_SERVICE_CHANGE && !d->bare) {
        put_services(e, &d->u.sc);
        return;
    }
    tk(e, DESC_TOK[d->kind]);
    if (d->bare) return;
    switch (d->kind) {
    case H248_D_MEDIA:
        put_media(e, &d->u.media);
        break;
    case H248_D_MODEM:
        put_modem(e, &d->u.modem);
        break;
    case H248_D_MUX:
        eq(e);
        put_str(e, d->u.mux.type);
        lb(e);
        for (const h248_termid_t *t = d->u.mux.tids; t; t = t->next)
            item(e), put_tid(e, t);
        rb(e);
        break;
    case H248_D_EVENTS:
        if (!d->u.events.has_request_id) break;
        eq(e);
        put_u32(e, d->u.events.request_id);
        put_event_list(e, d->u.events.list, false);
        break;
    case H248_D_OBSERVED_EVENTS:
        eq(e);
        put_u32(e, d->u.events.request_id);
        put_event_list(e, d->u.events.list, true);
        break;
    case H248_D_EVENT_BUFFER:
        put_event_list(e, d->u.events.list, false);
        break;
    case H248_D_SIGNALS:
        put_signals_body(e, d->u.signals);
        break;
    case H248_D_DIGITMAP:
        eq(e);
        put_digitmap_value(e, &d->u.digitmap);
        break;
    case H248_D_STATISTICS:
        lb(e);
        put_props(e, d->u.stats);
        rb(e);
        break;
    case H248_D_PACKAGES:
        lb(e);
        for (const h248_pkgitem_t *p = d->u.packages; p; p = p->next) {
            item(e);
            put_str(e, p->name);
            putc_(e, '-');
            put_u32(e, p->version);
        }
        rb(e);
        break;
    case H248_D_AUDIT:
        lb(e);
        for (const h248_desc_t *x = d->u.audit; x; x = x->next)
            item(e), put_desc(e, x);
        rb(e);
        break;
    default:
        break;
    }
}

/* ---- commands, actions, transactions ------------------------------------------------------ */

static const tok_t CMD_TOK[] = {
    [H248_CMD_ADD] = T_ADD,
    [H248_CMD_MODIFY] = T_MODIFY,
    [H248_CMD_SUBTRACT] = T_SUBTRACT,
    [H248_CMD_MOVE] = T_MOVE,
    [H248_CMD_AUDIT_VALUE] = T_AUDIT_VALUE,
    [H248_CMD_AUDIT_CAP] = T_AUDIT_CAP,
    [H248_CMD_NOTIFY] = T_NOTIFY,
    [H248_CMD_SERVICE_CHANGE] = T_SERVICE_CHANGE,
};

static void put_cmd(enc_t *e, const h248_cmd_t *c)
{
    /* AuditValue = Context { Error } names no termination; every other form names one */
    if (c->kind < H248_CMD_ADD || c->kind > H248_CMD_SERVICE_CHANGE ||
        (!c->tids && !c->ctx_audit_reply)) {
        e->err = H248_EINVAL;
        return;
    }
    if (c->optional) put(e, "O-", 2);
    if (c->wildcard_reply) put(e, "W-", 2);
    tk(e, CMD_TOK[c->kind]);
    eq(e);
    if (c->ctx_audit_reply) { /* AuditValue = Context { t1, t2 } */
        tk(e, T_CONTEXT);
        lb(e);
        for (const h248_termid_t *t = c->tids; t; t = t->next)
            item(e), put_tid(e, t);
        for (const h248_desc_t *d = c->descs; d; d = d->next)
            item(e), put_desc(e, d);
        rb(e);
        return;
    }
    if (c->tid_list)
        put_tid_list(e, c->tids);
    else
        put_tid(e, c->tids);
    if (!c->has_body && !c->descs) return;
    lb(e);
    for (const h248_desc_t *d = c->descs; d; d = d->next)
        item(e), put_desc(e, d);
    rb(e);
}

static void put_topology(enc_t *e, const h248_topology_t *t)
{
    static const tok_t dirs[] = {[H248_TOPO_BOTHWAY] = T_BOTHWAY,
                                 [H248_TOPO_ISOLATE] = T_ISOLATE,
                                 [H248_TOPO_ONEWAY] = T_ONEWAY,
                                 [H248_TOPO_ONEWAY_EXTERNAL] = T_ONEWAY_EXT,
                                 [H248_TOPO_ONEWAY_BOTH] = T_ONEWAY_BOTH};
    size_t sep = e->compact ? 1 : 2;
    item(e);
    tk(e, T_TOPOLOGY);
    lb(e);
    for (; t; t = t->next) {
        item(e);
        put_str(e, t->from);
        put(e, ", ", sep);
        put_str(e, t->to);
        put(e, ", ", sep);
        if (t->dir < H248_TOPO_BOTHWAY || t->dir > H248_TOPO_ONEWAY_BOTH)
            e->err = H248_EINVAL;
        else
            tk(e, dirs[t->dir]);
        if (t->has_stream) {
            put(e, ", ", sep);
            tk(e, T_STREAM);
            eq(e);
            put_u32(e, t->stream);
        }
    }
    rb(e);
}

static void put_ctx_props(enc_t *e, const h248_ctx_props_t *p)
{
    if (p->priority >= 0) tok_num(e, T_PRIORITY, (uint32_t)p->priority);
    if (p->emergency == H248_TRI_ON) item(e), tk(e, T_EMERGENCY);
    if (p->emergency == H248_TRI_OFF) item(e), tk(e, T_EMERGENCY_OFF);
    if (p->ieps != H248_TRI_NONE) tok_tok(e, T_IEPS, p->ieps == H248_TRI_ON ? T_ON : T_OFF);
    if (p->has_topology) put_topology(e, p->topology);
    if (!p->has_attrs) return;
    item(e);
    tk(e, T_CONTEXT_ATTR);
    lb(e);
    put_props(e, p->attrs);
    if (p->nctx_list) {
        item(e);
        tk(e, T_CONTEXT_LIST);
        eq(e);
        putc_(e, '{');
        for (uint32_t i = 0; i < p->nctx_list; i++) {
            if (i) put(e, ", ", e->compact ? 1 : 2);
            put_ctx_id(e, p->ctx_list[i]);
        }
        putc_(e, '}');
    }
    rb(e);
}

static void put_ctx_audit(enc_t *e, const h248_ctx_audit_t *ca)
{
    item(e);
    tk(e, T_CONTEXT_AUDIT);
    lb(e);
    if (ca->items & H248_CA_TOPOLOGY) item(e), tk(e, T_TOPOLOGY);
    if (ca->items & H248_CA_EMERGENCY) item(e), tk(e, T_EMERGENCY);
    if (ca->items & H248_CA_PRIORITY) item(e), tk(e, T_PRIORITY);
    if (ca->items & H248_CA_IEPS) item(e), tk(e, T_IEPS);
    if (ca->sel_priority >= 0) tok_num(e, T_PRIORITY, (uint32_t)ca->sel_priority);
    if (ca->sel_emergency != H248_TRI_NONE)
        tok_tok(e, T_EMERGENCY_VALUE,
                ca->sel_emergency == H248_TRI_ON ? T_EMERGENCY : T_EMERGENCY_OFF);
    if (ca->sel_ieps != H248_TRI_NONE)
        tok_tok(e, T_IEPS, ca->sel_ieps == H248_TRI_ON ? T_ON : T_OFF);
    put_props(e, ca->props);
    if (ca->logic == H248_LOGIC_AND) item(e), tk(e, T_AND_LGC);
    if (ca->logic == H248_LOGIC_OR) item(e), tk(e, T_OR_LGC);
    rb(e);
}

static void put_action(enc_t *e, const h248_action_t *a)
{
    tk(e, T_CONTEXT);
    eq(e);
    put_ctx_id(e, a->ctx);
    lb(e);
    if (a->props) put_ctx_props(e, a->props);
    if (a->audit) put_ctx_audit(e, a->audit);
    for (const h248_cmd_t *c = a->cmds; c; c = c->next)
        item(e), put_cmd(e, c);
    if (a->error) item(e), put_error(e, a->error);
    rb(e);
}

static void put_actions(enc_t *e, const h248_action_t *a)
{
    for (; a; a = a->next)
        item(e), put_action(e, a);
}

static void put_txn(enc_t *e, const h248_txn_t *t)
{
    switch (t->kind) {
    case H248_TXN_REQUEST:
        tk(e, T_TRANSACTION);
        eq(e);
        put_u32(e, t->id);
        lb(e);
        put_actions(e, t->actions);
        rb(e);
        break;
    case H248_TXN_REPLY:
    case H248_TXN_SEGMENT_REPLY:
        tk(e, t->kind == H248_TXN_REPLY ? T_REPLY : T_SEGMENT);
        eq(e);
        put_u32(e, t->id);
        if (t->segment || t->seg_complete || t->kind == H248_TXN_SEGMENT_REPLY) {
            putc_(e, '/');
            put_u32(e, t->segment);
            if (t->seg_complete) putc_(e, '/'), tk(e, T_SEG_COMPLETE);
        }
        if (t->kind == H248_TXN_SEGMENT_REPLY) break;
        lb(e);
        if (t->imm_ack) item(e), tk(e, T_IMM_ACK);
        if (t->error) item(e), put_error(e, t->error);
        put_actions(e, t->actions);
        rb(e);
        break;
    case H248_TXN_PENDING:
        tk(e, T_PENDING);
        eq(e);
        put_u32(e, t->id);
        lb(e);
        rb(e);
        break;
    case H248_TXN_RESPONSE_ACK:
        tk(e, T_RESPONSE_ACK);
        lb(e);
        for (const h248_ack_range_t *r = t->acks; r; r = r->next) {
            item(e);
            put_u32(e, r->first);
            if (r->last != r->first) putc_(e, '-'), put_u32(e, r->last);
        }
        rb(e);
        break;
    default:
        e->err = H248_EINVAL;
        break;
    }
}

static void put_message(enc_t *e, const h248_message_t *m)
{
    if (m->version < 1 || m->version > 3) e->err = H248_EINVAL;
    if (m->auth) {
        static const char hex[] = "0123456789ABCDEF";
        char tmp[8];
        tk(e, T_AUTH);
        eq(e);
        for (int k = 0; k < 2; k++) {
            uint32_t v = k ? m->auth->seq : m->auth->spi;
            for (int i = 7; i >= 0; i--, v >>= 4)
                tmp[i] = hex[v & 15];
            put(e, k ? ":0x" : "0x", k ? 3 : 2);
            put(e, tmp, 8);
        }
        put(e, ":0x", 3);
        put_str(e, m->auth->data);
        putc_(e, '\n');
    }
    put(e, e->compact ? "!/" : "MEGACO/", e->compact ? 2 : 7);
    put_u32(e, m->version);
    putc_(e, ' ');
    put_mid(e, &m->mid);
    putc_(e, '\n');
    e->depth = 0;
    if (m->error) {
        put_error(e, m->error);
        if (!e->compact) putc_(e, '\n');
    } else {
        if (!m->txns) e->err = H248_EINVAL;
        for (const h248_txn_t *t = m->txns; t; t = t->next) {
            e->first = true;
            put_txn(e, t);
            /* A Segment reply ends in digits, without the white space a closing brace may
             * carry: a line end only separates it from a following transaction. */
            bool seg = t->kind == H248_TXN_SEGMENT_REPLY;
            if ((!e->compact && !seg) || (seg && t->next)) putc_(e, '\n');
        }
    }
}

/* Finish: NUL when it fits, the length, or the error. */
static int finish(enc_t *e)
{
    if (e->err) return e->err;
    if (e->len > INT_MAX - 1) return H248_EINVAL;
    if (e->len > e->cap) return H248_ENOSPC;
    if (e->len < e->cap) e->buf[e->len] = '\0';
    return (int)e->len;
}

int h248_encode(const h248_message_t *m, h248_form_t form, char *buf, size_t cap)
{
    enc_t e = {
        .buf = buf, .cap = buf ? cap : 0, .compact = form == H248_COMPACT, .ver = m->version};
    put_message(&e, m);
    return finish(&e);
}

int h248_encoded_size(const h248_message_t *m, h248_form_t form)
{
    enc_t e = {.compact = form == H248_COMPACT, .ver = m->version};
    put_message(&e, m);
    if (e.err) return e.err;
    return e.len > INT_MAX - 1 ? H248_EINVAL : (int)e.len;
}

int h248_encode_txn(const h248_txn_t *t, uint8_t version, h248_form_t form, char *buf, size_t cap)
{
    enc_t e = {.buf = buf,
               .cap = buf ? cap : 0,
               .compact = form == H248_COMPACT,
               .ver = version,
               .first = true};
    put_txn(&e, t);
    if (!e.compact && t->kind != H248_TXN_SEGMENT_REPLY) putc_(&e, '\n');
    return finish(&e);
}
