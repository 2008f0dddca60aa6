/* encode.c - H.248.1 text encoder (pretty and compact forms, versions 1-3) and the tree
 * constructors. Pure functions, any thread: the encoder writes into the caller's buffer, never
 * allocates, and reports the size it needs when the buffer is too small.
 *
 * Pretty form: long tokens, one item per line, four-space indentation, as the RFC 3525
 * examples look. Compact form: short tokens, no optional white space, `!/v` header. Both write
 * the standard form of the tree: properties that the decoder accepted at stream level (the
 * seed request's li/LITID) sit in the tree's LocalControl and are written there.
 *
 * This file holds the tokens, the output primitives, properties, commands, actions,
 * transactions and messages; the descriptors are written by encode_desc.c. */
#include "h248/encode_int.h"

#include <limits.h>
#include <string.h>

/* ---- tokens ----------------------------------------------------------------------------- */

/* clang-format off */
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

void enc_put_u32(enc_t *e, uint32_t v)
{
    char tmp[10];
    int i = 10;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(e, tmp + i, (size_t)(10 - i));
}

void enc_tk(enc_t *e, tok_t t)
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
void enc_eq(enc_t *e)
{
    if (e->compact)
        putc_(e, '=');
    else
        put(e, " = ", 3);
}

/* Open a brace: the items that follow go one per line (pretty). */
void enc_lb(enc_t *e)
{
    if (e->compact)
        putc_(e, '{');
    else
        put(e, " {", 2);
    e->depth++;
    e->first = true;
}

/* Start an item inside the innermost brace. */
void enc_item(enc_t *e)
{
    if (!e->first) putc_(e, ',');
    if (!e->compact) nl(e);
    e->first = false;
}

void enc_rb(enc_t *e)
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

void enc_put_value(enc_t *e, const h248_value_t *v)
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
        enc_put_value(e, v);
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
        enc_eq(e);
    }
    if (!p->values) e->err = H248_EINVAL;
    switch (p->kind) {
    case H248_VAL_SINGLE:
        if (p->values) enc_put_value(e, p->values);
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

void enc_put_props(enc_t *e, const h248_prop_t *p)
{
    for (; p; p = p->next) {
        enc_item(e);
        put_prop(e, p);
    }
}

void enc_put_mid(enc_t *e, const h248_mid_t *m)
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
        enc_tk(e, T_MTP);
        putc_(e, '{');
        put_str(e, m->addr);
        putc_(e, '}');
        return;
    case H248_MID_PORT:
        enc_put_u32(e, m->port);
        return;
    default:
        e->err = H248_EINVAL;
        return;
    }
    if (m->has_port) {
        putc_(e, ':');
        enc_put_u32(e, m->port);
    }
}

void enc_put_tid(enc_t *e, const h248_termid_t *t)
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
        enc_put_tid(e, t);
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
        enc_put_u32(e, c);
}

/* Token = number */
void enc_tok_num(enc_t *e, tok_t t, uint32_t v)
{
    enc_item(e);
    enc_tk(e, t);
    enc_eq(e);
    enc_put_u32(e, v);
}

/* Token = Token */
void enc_tok_tok(enc_t *e, tok_t t, tok_t v)
{
    enc_item(e);
    enc_tk(e, t);
    enc_eq(e);
    enc_tk(e, v);
}

void enc_put_error(enc_t *e, const h248_error_desc_t *er)
{
    enc_tk(e, T_ERROR);
    enc_eq(e);
    enc_put_u32(e, er->code);
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
    enc_tk(e, CMD_TOK[c->kind]);
    enc_eq(e);
    if (c->ctx_audit_reply) { /* AuditValue = Context { t1, t2 } */
        enc_tk(e, T_CONTEXT);
        enc_lb(e);
        for (const h248_termid_t *t = c->tids; t; t = t->next)
            enc_item(e), enc_put_tid(e, t);
        for (const h248_desc_t *d = c->descs; d; d = d->next)
            enc_item(e), enc_put_desc(e, d);
        enc_rb(e);
        return;
    }
    if (c->tid_list)
        put_tid_list(e, c->tids);
    else
        enc_put_tid(e, c->tids);
    if (!c->has_body && !c->descs) return;
    enc_lb(e);
    for (const h248_desc_t *d = c->descs; d; d = d->next)
        enc_item(e), enc_put_desc(e, d);
    enc_rb(e);
}

static void put_topology(enc_t *e, const h248_topology_t *t)
{
    static const tok_t dirs[] = {[H248_TOPO_BOTHWAY] = T_BOTHWAY,
                                 [H248_TOPO_ISOLATE] = T_ISOLATE,
                                 [H248_TOPO_ONEWAY] = T_ONEWAY,
                                 [H248_TOPO_ONEWAY_EXTERNAL] = T_ONEWAY_EXT,
                                 [H248_TOPO_ONEWAY_BOTH] = T_ONEWAY_BOTH};
    size_t sep = e->compact ? 1 : 2;
    enc_item(e);
    enc_tk(e, T_TOPOLOGY);
    enc_lb(e);
    for (; t; t = t->next) {
        enc_item(e);
        put_str(e, t->from);
        put(e, ", ", sep);
        put_str(e, t->to);
        put(e, ", ", sep);
        if (t->dir < H248_TOPO_BOTHWAY || t->dir > H248_TOPO_ONEWAY_BOTH)
            e->err = H248_EINVAL;
        else
            enc_tk(e, dirs[t->dir]);
        if (t->has_stream) {
            put(e, ", ", sep);
            enc_tk(e, T_STREAM);
            enc_eq(e);
            enc_put_u32(e, t->stream);
        }
    }
    enc_rb(e);
}

static void put_ctx_props(enc_t *e, const h248_ctx_props_t *p)
{
    if (p->priority >= 0) enc_tok_num(e, T_PRIORITY, (uint32_t)p->priority);
    if (p->emergency == H248_TRI_ON) enc_item(e), enc_tk(e, T_EMERGENCY);
    if (p->emergency == H248_TRI_OFF) enc_item(e), enc_tk(e, T_EMERGENCY_OFF);
    if (p->ieps != H248_TRI_NONE) enc_tok_tok(e, T_IEPS, p->ieps == H248_TRI_ON ? T_ON : T_OFF);
    if (p->has_topology) put_topology(e, p->topology);
    if (!p->has_attrs) return;
    enc_item(e);
    enc_tk(e, T_CONTEXT_ATTR);
    enc_lb(e);
    enc_put_props(e, p->attrs);
    if (p->nctx_list) {
        enc_item(e);
        enc_tk(e, T_CONTEXT_LIST);
        enc_eq(e);
        putc_(e, '{');
        for (uint32_t i = 0; i < p->nctx_list; i++) {
            if (i) put(e, ", ", e->compact ? 1 : 2);
            put_ctx_id(e, p->ctx_list[i]);
        }
        putc_(e, '}');
    }
    enc_rb(e);
}

static void put_ctx_audit(enc_t *e, const h248_ctx_audit_t *ca)
{
    enc_item(e);
    enc_tk(e, T_CONTEXT_AUDIT);
    enc_lb(e);
    if (ca->items & H248_CA_TOPOLOGY) enc_item(e), enc_tk(e, T_TOPOLOGY);
    if (ca->items & H248_CA_EMERGENCY) enc_item(e), enc_tk(e, T_EMERGENCY);
    if (ca->items & H248_CA_PRIORITY) enc_item(e), enc_tk(e, T_PRIORITY);
    if (ca->items & H248_CA_IEPS) enc_item(e), enc_tk(e, T_IEPS);
    if (ca->sel_priority >= 0) enc_tok_num(e, T_PRIORITY, (uint32_t)ca->sel_priority);
    if (ca->sel_emergency != H248_TRI_NONE)
        enc_tok_tok(e, T_EMERGENCY_VALUE,
                ca->sel_emergency == H248_TRI_ON ? T_EMERGENCY : T_EMERGENCY_OFF);
    if (ca->sel_ieps != H248_TRI_NONE)
        enc_tok_tok(e, T_IEPS, ca->sel_ieps == H248_TRI_ON ? T_ON : T_OFF);
    enc_put_props(e, ca->props);
    if (ca->logic == H248_LOGIC_AND) enc_item(e), enc_tk(e, T_AND_LGC);
    if (ca->logic == H248_LOGIC_OR) enc_item(e), enc_tk(e, T_OR_LGC);
    enc_rb(e);
}

static void put_action(enc_t *e, const h248_action_t *a)
{
    enc_tk(e, T_CONTEXT);
    enc_eq(e);
    put_ctx_id(e, a->ctx);
    enc_lb(e);
    if (a->props) put_ctx_props(e, a->props);
    if (a->audit) put_ctx_audit(e, a->audit);
    for (const h248_cmd_t *c = a->cmds; c; c = c->next)
        enc_item(e), put_cmd(e, c);
    if (a->error) enc_item(e), enc_put_error(e, a->error);
    enc_rb(e);
}

static void put_actions(enc_t *e, const h248_action_t *a)
{
    for (; a; a = a->next)
        enc_item(e), put_action(e, a);
}

static void put_txn(enc_t *e, const h248_txn_t *t)
{
    switch (t->kind) {
    case H248_TXN_REQUEST:
        enc_tk(e, T_TRANSACTION);
        enc_eq(e);
        enc_put_u32(e, t->id);
        enc_lb(e);
        put_actions(e, t->actions);
        enc_rb(e);
        break;
    case H248_TXN_REPLY:
    case H248_TXN_SEGMENT_REPLY:
        enc_tk(e, t->kind == H248_TXN_REPLY ? T_REPLY : T_SEGMENT);
        enc_eq(e);
        enc_put_u32(e, t->id);
        if (t->segment || t->seg_complete || t->kind == H248_TXN_SEGMENT_REPLY) {
            putc_(e, '/');
            enc_put_u32(e, t->segment);
            if (t->seg_complete) putc_(e, '/'), enc_tk(e, T_SEG_COMPLETE);
        }
        if (t->kind == H248_TXN_SEGMENT_REPLY) break;
        enc_lb(e);
        if (t->imm_ack) enc_item(e), enc_tk(e, T_IMM_ACK);
        if (t->error) enc_item(e), enc_put_error(e, t->error);
        put_actions(e, t->actions);
        enc_rb(e);
        break;
    case H248_TXN_PENDING:
        enc_tk(e, T_PENDING);
        enc_eq(e);
        enc_put_u32(e, t->id);
        enc_lb(e);
        enc_rb(e);
        break;
    case H248_TXN_RESPONSE_ACK:
        enc_tk(e, T_RESPONSE_ACK);
        enc_lb(e);
        for (const h248_ack_range_t *r = t->acks; r; r = r->next) {
            enc_item(e);
            enc_put_u32(e, r->first);
            if (r->last != r->first) putc_(e, '-'), enc_put_u32(e, r->last);
        }
        enc_rb(e);
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
        enc_tk(e, T_AUTH);
        enc_eq(e);
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
    enc_put_u32(e, m->version);
    putc_(e, ' ');
    enc_put_mid(e, &m->mid);
    putc_(e, '\n');
    e->depth = 0;
    if (m->error) {
        enc_put_error(e, m->error);
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
