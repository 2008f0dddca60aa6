/* decode.c - H.248.1 text decoder, top half: header, transactions, actions, context
 * properties and commands (descriptors are in decode_desc.c). A hand-written recursive-descent
 * parser with one token of lookahead over the caller's buffer: no allocation besides the tree
 * nodes in the caller's arena, no copies (every string is a view into the input), no global
 * state. Recursion depth is bounded by the grammar itself (Embed and Audit do not nest).
 * Any thread; one arena per call. */
#include "h248/lex.h"

#include <stdio.h>
#include <string.h>

/* Fail unless the message's version is at least v. */
static void need_version(parser_t *p, unsigned v, uint16_t code, const tok_t *t)
{
    if (p->version < v)
        h248_fail(p, code, t->at, "%.*s needs H.248 version %u", (int)(t->len > 40 ? 40 : t->len),
                  t->p, v);
}

/* ---- header -------------------------------------------------------------------------------- */

/* Authentication = 0xSPI:0xSEQ:0xDATA (H.248.1 Annex B: authenticationHeader) */
static void parse_auth(parser_t *p, h248_message_t *m)
{
    h248_auth_t *au = m->auth = NEW(p, h248_auth_t);
    px_expect(p, TK_EQ, "'=' after Authentication");
    for (int i = 0; i < 3; i++) {
        if (i) px_expect(p, TK_COLON, "':' in Authentication");
        tok_t *t = px_word(p, "a hex number");
        if (t->len < 3 || t->p[0] != '0' || (t->p[1] | 0x20) != 'x')
            h248_fail(p, 400, t->at, "expected 0x followed by hex digits");
        uint64_t v = 0;
        for (uint32_t k = 2; k < t->len; k++) {
            unsigned char c = (unsigned char)t->p[k];
            if (!(h248_cc[c] & CC_HEX)) h248_fail(p, 400, t->at, "invalid hex digit");
            v = (v << 4) | (uint64_t)((c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10);
            if (i < 2 && v > UINT32_MAX) h248_fail(p, 400, t->at, "number too large");
        }
        if (i == 0) au->spi = (uint32_t)v;
        if (i == 1) au->seq = (uint32_t)v;
        if (i == 2) au->data = (h248_str_t){t->p + 2, t->len - 2};
    }
}

/* MEGACO/v mId or !/v mId */
static void parse_header(parser_t *p, h248_message_t *m)
{
    tok_t *t = lx_next(p);
    if (t->t == TK_WORD && tkw(t) == KW_AUTH) {
        parse_auth(p, m);
        t = lx_next(p);
    }
    if (t->t != TK_WORD) h248_fail(p, 400, t->at, "expected MEGACO/version, found %s", h248_tok_desc(t));
    const char *slash = memchr(t->p, '/', t->len);
    if (!slash || h248_kw_find(t->p, (size_t)(slash - t->p)) != KW_MEGACO)
        h248_fail(p, 400, t->at, "expected MEGACO/version or !/version");
    h248_str_t vs = {slash + 1, (uint32_t)(t->p + t->len - slash - 1)};
    uint32_t v;
    if (!h248_str_u32(vs, 99, &v) || vs.len > 2 || v == 0)
        h248_fail(p, 400, slash + 1, "invalid protocol version");
    if (v > 3) h248_fail(p, 406, slash + 1, "protocol version %u not supported", v);
    p->version = m->version = (uint8_t)v;
    lx_skip(p);
    const char *e = h248_scan_mid(p->pos, p->end, &m->mid);
    if (!e) h248_fail(p, 400, p->pos, "invalid message identifier (mId)");
    p->pos = e;
}

/* ---- context properties ---------------------------------------------------------------------- */

static h248_ctx_props_t *ctx_props(parser_t *p, h248_action_t *act)
{
    if (!act->props) {
        act->props = NEW(p, h248_ctx_props_t);
        act->props->priority = -1;
    }
    return act->props;
}

static h248_tri_t on_off(parser_t *p, const char *what)
{
    tok_t *t = px_word(p, what);
    if (tkw(t) == KW_ON) return H248_TRI_ON;
    if (tkw(t) == KW_OFF) return H248_TRI_OFF;
    h248_fail(p, 449, t->at, "expected ON or OFF for %s", what);
}

static void parse_ctx_audit(parser_t *p, h248_action_t *act)
{
    h248_ctx_audit_t *ca = act->audit = NEW(p, h248_ctx_audit_t);
    ca->sel_priority = -1;
    h248_prop_t **tail = &ca->props;
    px_expect(p, TK_LBRACE, "'{' after ContextAudit");
    if (lx_accept(p, TK_RBRACE)) return;
    do {
        tok_t tk = *px_word(p, "a context audit item"), *t = &tk; /* copy: we peek next */
        bool eq = lx_peek(p)->t == TK_EQ;
        switch (tkw(t)) {
        case KW_TOPOLOGY: ca->items |= H248_CA_TOPOLOGY; break;
        case KW_EMERGENCY: ca->items |= H248_CA_EMERGENCY; break;
        case KW_PRIORITY:
            if (!eq) {
                ca->items |= H248_CA_PRIORITY;
                break;
            }
            need_version(p, 3, 422, t);
            lx_next(p);
            ca->sel_priority = (int32_t)px_uint(p, lx_next(p), 15, 449, "priority");
            break;
        case KW_IEPS:
            need_version(p, 2, 422, t);
            if (!eq) {
                ca->items |= H248_CA_IEPS;
                break;
            }
            need_version(p, 3, 422, t);
            lx_next(p);
            ca->sel_ieps = on_off(p, "IEPSCall");
            break;
        case KW_EMERGENCYVALUE: {
            need_version(p, 3, 422, t);
            px_expect(p, TK_EQ, "'=' after EmergencyValue");
            tok_t *v = px_word(p, "Emergency or EmergencyOff");
            if (tkw(v) == KW_EMERGENCY) ca->sel_emergency = H248_TRI_ON;
            else if (tkw(v) == KW_EMERGENCYOFF) ca->sel_emergency = H248_TRI_OFF;
            else h248_fail(p, 449, v->at, "expected Emergency or EmergencyOff");
            break;
        }
        case KW_ANDLGC:
        case KW_ORLGC:
            need_version(p, 3, 422, t);
            ca->logic = tkw(t) == KW_ANDLGC ? H248_LOGIC_AND : H248_LOGIC_OR;
            break;
        case KW_CONTEXTATTR: {
            need_version(p, 3, 422, t);
            h248_ctx_props_t tmp = {.priority = -1};
            px_ctx_attr(p, &tail, &tmp);
            break;
        }
        default:
            if (tkw(t) || !memchr(t->p, '/', t->len))
                h248_fail(p, 422, t->at, "unknown context audit item");
            *tail = px_prop(p, t);
            tail = &(*tail)->next;
            break;
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in ContextAudit");
}

/* ---- commands ---------------------------------------------------------------------------------- */

static h248_termid_t *termid(parser_t *p, const tok_t *t)
{
    h248_termid_t *tid = NEW(p, h248_termid_t);
    tid->name = tok_str(t);
    if (h248_str_ieq(tid->name, "ROOT")) tid->flags |= H248_TID_ROOT;
    for (uint32_t i = 0; i < t->len; i++) {
        if (t->p[i] == '$') tid->flags |= H248_TID_CHOOSE;
        if (t->p[i] == '*') tid->flags |= H248_TID_ALL;
    }
    return tid;
}

/* t1, t2, ... up to the closing token close (already past the opening one) */
static void termid_list(parser_t *p, h248_termid_t **tail, int close, const char *what)
{
    do {
        *tail = termid(p, px_word(p, "a termination id"));
        tail = &(*tail)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, close, what);
}

static h248_cmd_kind_t cmd_kind(int kw)
{
    switch (kw) {
    case KW_ADD: return H248_CMD_ADD;
    case KW_MODIFY: return H248_CMD_MODIFY;
    case KW_SUBTRACT: return H248_CMD_SUBTRACT;
    case KW_MOVE: return H248_CMD_MOVE;
    case KW_AUDITVALUE: return H248_CMD_AUDIT_VALUE;
    case KW_AUDITCAP: return H248_CMD_AUDIT_CAP;
    case KW_NOTIFY: return H248_CMD_NOTIFY;
    case KW_SERVICECHANGE: return H248_CMD_SERVICE_CHANGE;
    default: return 0;
    }
}

/* [O-][W-]Command = tid [{ descriptors }] ; also the v3 [t1,t2] list and the audit reply
 * form AuditValue = Context { t1, t2 } */
static h248_cmd_t *parse_command(parser_t *p, const tok_t *t)
{
    h248_cmd_t *c = NEW(p, h248_cmd_t);
    const char *s = t->p;
    uint32_t n = t->len;
    int kw = tkw(t);
    if (n > 2 && (s[0] | 0x20) == 'o' && s[1] == '-') {
        c->optional = true;
        s += 2, n -= 2;
    }
    if (n > 2 && (s[0] | 0x20) == 'w' && s[1] == '-') {
        c->wildcard_reply = true;
        s += 2, n -= 2;
    }
    if (n != t->len) kw = h248_kw_find(s, n);
    c->kind = cmd_kind(kw);
    if (!c->kind) h248_fail(p, 443, t->at, "unknown command '%.*s'", (int)(n > 40 ? 40 : n), s);
    px_expect(p, TK_EQ, "'=' after the command");
    tok_t *k = lx_next(p);
    if (k->t == TK_LSB) {
        need_version(p, 3, 422, k);
        c->tid_list = true;
        termid_list(p, &c->tids, TK_RSB, "',' or ']' in the termination id list");
    } else if (k->t == TK_WORD && tkw(k) == KW_CONTEXT &&
               (c->kind == H248_CMD_AUDIT_VALUE || c->kind == H248_CMD_AUDIT_CAP)) {
        c->ctx_audit_reply = true;
        px_expect(p, TK_LBRACE, "'{' after Context");
        tok_t *f = lx_peek(p);
        if (f->t == TK_WORD && tkw(f) == KW_ERROR) {
            lx_next(p);
            h248_desc_t *d = c->descs = NEW(p, h248_desc_t);
            d->kind = H248_D_ERROR;
            px_error_desc(p, &d->u.error);
            px_expect(p, TK_RBRACE, "'}' after the Error descriptor");
        } else {
            termid_list(p, &c->tids, TK_RBRACE, "',' or '}' in the termination id list");
        }
        return c;
    } else if (k->t == TK_WORD) {
        c->tids = termid(p, k);
    } else {
        h248_fail(p, 422, k->at, "expected a termination id, found %s", h248_tok_desc(k));
    }
    if (!lx_accept(p, TK_LBRACE)) return c;
    c->has_body = true;
    if (lx_accept(p, TK_RBRACE)) return c;
    h248_desc_t **tail = &c->descs;
    do {
        *tail = px_descriptor(p);
        tail = &(*tail)->next;
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' after a descriptor");
    return c;
}

/* ---- actions ----------------------------------------------------------------------------------- */

static uint32_t context_id(parser_t *p)
{
    tok_t *t = px_word(p, "a context id");
    if (t->len == 1) {
        if (t->p[0] == '-') return H248_CTX_NULL;
        if (t->p[0] == '$') return H248_CTX_CHOOSE;
        if (t->p[0] == '*') return H248_CTX_ALL;
    }
    uint32_t v = px_uint(p, t, 0xFFFFFFFDu, 422, "context id");
    if (v == 0) h248_fail(p, 422, t->at, "invalid context id");
    return v;
}

/* Context = id { context properties, ContextAudit, commands, [Error] } */
static void parse_action(parser_t *p, h248_action_t *act)
{
    p->code = 422;
    act->ctx = context_id(p);
    px_expect(p, TK_LBRACE, "'{' after the context id");
    if (lx_accept(p, TK_RBRACE)) return;
    h248_cmd_t **ctail = &act->cmds;
    do {
        tok_t *t = px_word(p, "a command or context property");
        switch (tkw(t)) {
        case KW_PRIORITY:
            px_expect(p, TK_EQ, "'=' after Priority");
            ctx_props(p, act)->priority = (int32_t)px_uint(p, lx_next(p), 15, 449, "priority");
            break;
        case KW_EMERGENCY: ctx_props(p, act)->emergency = H248_TRI_ON; break;
        case KW_EMERGENCYOFF:
            need_version(p, 2, 422, t);
            ctx_props(p, act)->emergency = H248_TRI_OFF;
            break;
        case KW_IEPS:
            need_version(p, 2, 422, t);
            px_expect(p, TK_EQ, "'=' after IEPSCall");
            ctx_props(p, act)->ieps = on_off(p, "IEPSCall");
            break;
        case KW_TOPOLOGY: px_topology(p, ctx_props(p, act)); break;
        case KW_CONTEXTATTR: {
            need_version(p, 3, 422, t);
            h248_ctx_props_t *cp = ctx_props(p, act);
            h248_prop_t **tail = &cp->attrs;
            if (cp->has_attrs) h248_fail(p, 422, t->at, "ContextAttr appears twice in the context");
            px_ctx_attr(p, &tail, cp);
            cp->has_attrs = true;
            break;
        }
        case KW_CONTEXTAUDIT: parse_ctx_audit(p, act); break;
        case KW_ERROR:
            act->error = NEW(p, h248_error_desc_t);
            px_error_desc(p, act->error);
            break;
        default:
            *ctail = parse_command(p, t);
            ctail = &(*ctail)->next;
            break;
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in the context");
}

/* Context = ... *(, Context = ...) } for a request or a reply (IA and Error only in replies) */
static void parse_actions(parser_t *p, h248_txn_t *tx)
{
    h248_action_t **tail = &tx->actions;
    px_expect(p, TK_LBRACE, "'{' after the transaction id");
    if (tx->kind == H248_TXN_REPLY && lx_accept(p, TK_RBRACE)) return; /* lenient: empty reply */
    do {
        p->code = tx->kind == H248_TXN_REQUEST ? 403 : 404;
        tok_t *t = px_word(p, "Context");
        if (tx->kind == H248_TXN_REPLY && tkw(t) == KW_IMMACK && !tx->actions && !tx->imm_ack) {
            tx->imm_ack = true;
            continue;
        }
        if (tx->kind == H248_TXN_REPLY && tkw(t) == KW_ERROR && !tx->actions && !tx->error) {
            tx->error = NEW(p, h248_error_desc_t);
            px_error_desc(p, tx->error);
            continue;
        }
        if (tkw(t) != KW_CONTEXT || tx->error)
            h248_fail(p, p->code, t->at, "expected Context, found %s", h248_tok_desc(t));
        p->code = 422;
        px_expect(p, TK_EQ, "'=' after Context");
        *tail = NEW(p, h248_action_t);
        parse_action(p, *tail);
        tail = &(*tail)->next;
    } while (lx_accept(p, TK_COMMA));
    p->code = tx->kind == H248_TXN_REQUEST ? 403 : 404;
    px_expect(p, TK_RBRACE, "',' or '}' after the context");
}

/* ---- transactions ------------------------------------------------------------------------------ */

enum { SEG_NO, SEG_OPTIONAL, SEG_REQUIRED };

/* id[/segment[/END]] : the slashes are SafeChars, so this is one word. Only replies (v3) and
 * Segment replies carry a segment number. */
static void txn_id(parser_t *p, h248_txn_t *tx, int seg_mode)
{
    tok_t *t = px_word(p, "a transaction id");
    const char *s = t->p, *e = t->p + t->len;
    const char *sl = memchr(s, '/', t->len);
    h248_str_t id = {s, (uint32_t)((sl ? sl : e) - s)};
    if (!h248_str_u32(id, UINT32_MAX, &tx->id)) h248_fail(p, 400, t->at, "invalid transaction id");
    p->has_txn = true;
    p->txn_kind = tx->kind;
    p->txn_id = tx->id;
    uint16_t code = tx->kind == H248_TXN_REQUEST ? 403
                    : tx->kind == H248_TXN_REPLY   ? 404
                    : tx->kind == H248_TXN_PENDING ? 405
                                                   : 400;
    if (!sl) {
        if (seg_mode == SEG_REQUIRED) h248_fail(p, code, e, "expected /segment number");
        return;
    }
    if (seg_mode == SEG_NO) h248_fail(p, code, sl, "no segment number allowed here");
    if (seg_mode == SEG_OPTIONAL) need_version(p, 3, code, t);
    const char *sl2 = memchr(sl + 1, '/', (size_t)(e - sl - 1));
    h248_str_t seg = {sl + 1, (uint32_t)((sl2 ? sl2 : e) - sl - 1)};
    uint32_t v;
    if (!h248_str_u32(seg, 65535, &v)) h248_fail(p, code, sl + 1, "invalid segment number");
    tx->segment = (uint16_t)v;
    if (sl2) {
        if (h248_kw_find(sl2 + 1, (size_t)(e - sl2 - 1)) != KW_SEGEND)
            h248_fail(p, code, sl2 + 1, "expected END after the segment number");
        tx->seg_complete = true;
    }
}

/* TransactionResponseAck { id, id-id, ... } */
static void parse_response_ack(parser_t *p, h248_txn_t *tx)
{
    h248_ack_range_t **tail = &tx->acks;
    px_expect(p, TK_LBRACE, "'{' after TransactionResponseAck");
    do {
        tok_t *t = px_word(p, "a transaction id or range");
        h248_ack_range_t *r = *tail = NEW(p, h248_ack_range_t);
        tail = &r->next;
        const char *d = memchr(t->p, '-', t->len);
        h248_str_t a = {t->p, (uint32_t)(d ? d - t->p : t->len)};
        if (!h248_str_u32(a, UINT32_MAX, &r->first)) h248_fail(p, 400, t->at, "invalid transaction id");
        r->last = r->first;
        if (d) {
            h248_str_t b = {d + 1, (uint32_t)(t->p + t->len - d - 1)};
            if (!h248_str_u32(b, UINT32_MAX, &r->last) || r->last < r->first)
                h248_fail(p, 400, d + 1, "invalid transaction id range");
        }
    } while (lx_accept(p, TK_COMMA));
    px_expect(p, TK_RBRACE, "',' or '}' in TransactionResponseAck");
}

static h248_txn_t *parse_txn(parser_t *p, tok_t *t)
{
    h248_txn_t *tx = NEW(p, h248_txn_t);
    const char *start = t->at;
    p->has_txn = false;
    p->code = 400;
    switch (tkw(t)) {
    case KW_TRANSACTION:
        tx->kind = H248_TXN_REQUEST;
        px_expect(p, TK_EQ, "'=' after Transaction");
        txn_id(p, tx, SEG_NO);
        p->code = 403;
        parse_actions(p, tx);
        break;
    case KW_REPLY:
        tx->kind = H248_TXN_REPLY;
        px_expect(p, TK_EQ, "'=' after Reply");
        txn_id(p, tx, SEG_OPTIONAL);
        p->code = 404;
        parse_actions(p, tx);
        break;
    case KW_PENDING:
        tx->kind = H248_TXN_PENDING;
        px_expect(p, TK_EQ, "'=' after Pending");
        txn_id(p, tx, SEG_NO);
        p->code = 405;
        px_expect(p, TK_LBRACE, "'{' after the transaction id");
        px_expect(p, TK_RBRACE, "'}' (Pending has no body)");
        break;
    case KW_RESPONSEACK:
        tx->kind = H248_TXN_RESPONSE_ACK;
        parse_response_ack(p, tx);
        break;
    case KW_SEGMENT:
        need_version(p, 3, 400, t);
        tx->kind = H248_TXN_SEGMENT_REPLY;
        px_expect(p, TK_EQ, "'=' after Segment");
        txn_id(p, tx, SEG_REQUIRED);
        break;
    default:
        h248_fail(p, 400, t->at, "expected a transaction, found %s", h248_tok_desc(t));
    }
    tx->raw = (h248_str_t){start, (uint32_t)(p->pos - start)};
    return tx;
}

static void parse_message(parser_t *p, h248_message_t *m)
{
    parse_header(p, m);
    tok_t *t = lx_next(p);
    if (t->t == TK_WORD && tkw(t) == KW_ERROR) {
        m->error = NEW(p, h248_error_desc_t);
        px_error_desc(p, m->error);
        t = lx_next(p);
        if (t->t != TK_EOF) h248_fail(p, 400, t->at, "unexpected %s after the message error", h248_tok_desc(t));
        return;
    }
    if (t->t == TK_EOF) h248_fail(p, 400, t->at, "message has no transaction");
    h248_txn_t **tail = &m->txns;
    while (t->t != TK_EOF) {
        if (t->t != TK_WORD) h248_fail(p, 400, t->at, "expected a transaction, found %s", h248_tok_desc(t));
        *tail = parse_txn(p, t);
        tail = &(*tail)->next;
        t = lx_next(p);
    }
}

/* The only setjmp: p lives in the caller's frame, so nothing here is clobbered by longjmp. */
static int run(parser_t *p, h248_message_t **out)
{
    if (setjmp(p->jb)) return p->rc;
    h248_message_t *m = NEW(p, h248_message_t);
    parse_message(p, m);
    if (out) *out = m;
    return H248_OK;
}

int h248_decode(const char *buf, size_t len, arena_t *a, h248_message_t **out, h248_error_t *err)
{
    h248_error_t dummy;
    parser_t p;
    memset(&p.tok, 0, sizeof(p.tok));
    p.base = p.pos = buf ? buf : "";
    p.end = p.base + (buf ? len : 0);
    p.have = false;
    p.a = a;
    p.blk = p.blk_end = NULL;
    p.err = err ? err : &dummy;
    p.rc = H248_OK;
    p.version = 0;
    p.code = 400;
    p.in_audit = p.in_embed = false;
    p.has_txn = false;
    p.txn_kind = 0;
    p.txn_id = 0;
    if (out) *out = NULL;
    if (len > UINT32_MAX) {
        memset(p.err, 0, sizeof(*p.err));
        p.err->code = 400;
        p.err->line = p.err->col = 1;
        snprintf(p.err->reason, sizeof(p.err->reason), "message too long");
        return H248_ESYNTAX;
    }
    return run(&p, out);
}
