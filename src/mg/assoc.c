/* assoc.c - the association with the MGC and the transaction layer around the engine (see
 * assoc.h). Control-plane thread only. Owns the transport (mg_net_t), the Annex D.1
 * bookkeeping (mg_txn_t), the buffers messages are assembled in, and the association state:
 * which MGC we talk to, the negotiated version, registration, inactivity and leave timers. */
#include "mg/assoc_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "mg/msgscan.h"

/* ---- buffers and logging ---- */

static int buf_reserve(buf_t *b, size_t more)
{
    if (b->len + more + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

static void buf_add(buf_t *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) < 0) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(buf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void log_message(const char *dir, const mg_peer_t *p, const char *msg, size_t len)
{
    if (!log_enabled(LOG_LVL_DEBUG)) return;
    static char masked[MG_TPKT_MAX + 1024]; /* <hidden> may be longer than what it hides */
    char as[NETADDR_STRLEN];
    size_t n = mg_mask_li(msg, len, masked, sizeof(masked));
    for (size_t i = 0; i < n; i++) /* no raw control bytes or binary junk in logs */
        if (((unsigned char)masked[i] < 0x20 && masked[i] != '\n' && masked[i] != '\t') ||
            (unsigned char)masked[i] >= 0x7f)
            masked[i] = '.';
    const char *tr = p->kind == MG_TRANSPORT_TCP ? "tcp" : "udp";
    netaddr_format(&p->addr, as, sizeof(as));
    /* log lines hold about 4 KiB: a long message goes out in parts, cut at line ends */
    size_t off = 0;
    for (unsigned part = 1; off < n || part == 1; part++) {
        size_t chunk = n - off > 3800 ? 3800 : n - off;
        if (off + chunk < n) {
            const char *nl = memrchr(masked + off, '\n', chunk);
            if (nl && nl > masked + off) chunk = (size_t)(nl - (masked + off)) + 1;
        }
        LOG_DEBUG("%s %s %s (%zu bytes%s):\n%.*s", dir, tr, as, len,
                  off + chunk < n || part > 1 ? ", in parts" : "", (int)chunk, masked + off);
        off += chunk;
    }
}

static void send_msg(mg_assoc_t *a, const mg_peer_t *to, const char *msg, size_t len)
{
    log_message("out to", to, msg, len);
    int rc = mg_net_send(a->net, to, msg, len);
    if (rc < 0) {
        char as[NETADDR_STRLEN];
        LOG_WARN("send to %s: %s", netaddr_format(&to->addr, as, sizeof(as)), strerror(-rc));
    }
}

/* Message header. Compact form when the peer wrote compact. */
static void msg_begin(mg_assoc_t *a, buf_t *b, unsigned version, bool compact)
{
    b->len = 0;
    buf_printf(b, compact ? "!/%u %s\n" : "MEGACO/%u %s\n", version, a->cfg->mid);
}

/* Encode one transaction into a->txt. Returns its length, or negative. */
static int encode_txn(mg_assoc_t *a, const h248_txn_t *t, uint8_t version, bool compact)
{
    size_t want = a->txt.cap ? a->txt.cap - 1 : 65535;
    for (;;) {
        a->txt.len = 0;
        if (buf_reserve(&a->txt, want) < 0) return H248_ENOMEM;
        int n =
            h248_encode_txn(t, version, compact ? H248_COMPACT : H248_PRETTY, a->txt.p, a->txt.cap);
        if (n != H248_ENOSPC) return n;
        if (a->txt.cap >= (1u << 24)) return H248_ENOSPC;
        want = a->txt.cap * 2; /* too small: grow and encode again */
    }
}

/* ---- timers of the transaction manager ---- */

static void tick_arm(mg_assoc_t *a, uint32_t ms)
{
    uint64_t due = mg_loop_now(a->loop) + ms;
    if (!mg_timer_armed(&a->tick_timer) || a->tick_timer.due_ms > due)
        mg_timer_start(a->loop, &a->tick_timer, ms);
}

static void resend(void *arg, const netaddr_t *to, const char *msg, size_t len)
{
    mg_assoc_t *a = arg;
    if (a->mgc.kind == MG_TRANSPORT_TCP) return; /* TCP is reliable: only the timeout applies */
    mg_peer_t p = {MG_TRANSPORT_UDP, *to, -1};
    a->n.resends++;
    LOG_INFO("retransmitting a request to the MGC");
    send_msg(a, &p, msg, len);
}

static void on_tick(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    mg_assoc_t *a = arg;
    uint32_t next = mg_txn_tick(a->txn, mg_loop_now(l), resend, a);
    if (next != UINT32_MAX) tick_arm(a, next ? next : 1);
}

void assoc_sync_timers(mg_assoc_t *a)
{
    const mg_config_t *c = a->cfg;
    mg_txn_timers_t tm = {
        .long_timer_ms = c->long_timer_ms,
        .retrans_initial_ms = c->retrans_initial_ms,
        .retrans_max_ms = c->retrans_max_ms,
        .retrans_max_tries = c->retrans_max_tries,
        .pending_wait_ms = c->mgc_provisional_timer_ms + c->normal_mgc_exec_ms,
        .pending_limit = c->mgc_pending_limit,
        .max_stored = c->max_stored_replies,
    };
    if (a->eng) {
        const mg_root_props_t *r = mg_engine_root(a->eng);
        tm.pending_wait_ms = r->mgc_prov_timer_ms + r->normal_mgc_exec_ms;
        tm.pending_limit = r->mgc_pending_limit;
        if (tm.retrans_initial_ms < r->normal_mgc_exec_ms)
            tm.retrans_initial_ms = r->normal_mgc_exec_ms;
        if (tm.retrans_max_ms < tm.retrans_initial_ms) tm.retrans_max_ms = tm.retrans_initial_ms;
    }
    mg_txn_set_timers(a->txn, &tm);
}

/* Send request message a->req (transaction tid) to the MGC and track it. */
void assoc_request_out(mg_assoc_t *a, uint32_t tid, mg_txn_out_fn done)
{
    assoc_sync_timers(a);
    a->n.requests_out++;
    send_msg(a, &a->mgc, a->req.p, a->req.len);
    /* the loop's cached clock may be stale here (at start, before the loop runs) */
    if (mg_txn_out_add(a->txn, tid, &a->mgc.addr, a->req.p, a->req.len, mg_loop_now_update(a->loop),
                       done, a) < 0)
        LOG_ERR("out of memory tracking a request");
    tick_arm(a, a->cfg->retrans_initial_ms);
}

/* Encode a one-transaction request message from tree m into a->req. */
int assoc_build_request(mg_assoc_t *a, h248_message_t *m)
{
    int need = h248_encoded_size(m, H248_PRETTY);
    a->req.len = 0;
    if (need < 0 || buf_reserve(&a->req, (size_t)need + 1) < 0) return -1;
    int n = h248_encode(m, H248_PRETTY, a->req.p, a->req.cap);
    if (n < 0) return -1;
    a->req.len = (size_t)n;
    return 0;
}

/* ---- inactivity ---- */

static void it_done(void *arg, uint32_t tid, mg_txn_out_status_t st, const void *reply)
{
    mg_assoc_t *a = arg;
    if (tid != a->it_tid) return;
    a->it_tid = 0;
    if (st == MG_TXN_OUT_TIMEOUT) assoc_mgc_lost(a, "inactivity Notify unanswered");
}

static void on_inactive(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    mg_assoc_t *a = arg;
    if (a->state != MG_ASSOC_REGISTERED || a->it_tid) return;
    arena_reset(&a->out_arena);
    arena_t *ar = &a->out_arena;
    uint32_t tid = mg_txn_next_tid(a->txn);
    h248_message_t *m = h248_msg_new(ar, a->version, &a->mid);
    h248_txn_t *tx = m ? h248_txn_add(ar, m, H248_TXN_REQUEST, tid) : NULL;
    h248_action_t *ac = tx ? h248_action_add(ar, tx, H248_CTX_NULL) : NULL;
    h248_cmd_t *c = ac ? h248_cmd_add(ar, ac, H248_CMD_NOTIFY, H248_STR("ROOT")) : NULL;
    h248_desc_t *d = c ? h248_desc_add(ar, c, H248_D_OBSERVED_EVENTS) : NULL;
    h248_event_t *ev = arena_alloc(ar, sizeof(*ev));
    if (!d || !ev) return;
    c->tids->flags |= H248_TID_ROOT;
    ev->name = H248_STR("it/ito");
    d->u.events.request_id = a->it_rid;
    d->u.events.has_request_id = true;
    d->u.events.list = ev;
    if (assoc_build_request(a, m) < 0) return;
    LOG_NOTICE("MGC silent for %u ms: Notify it/ito", a->mit_ms);
    a->it_tid = tid;
    assoc_request_out(a, tid, it_done);
}

/* The MGC spoke: restart the inactivity timer. */
static void mgc_activity(mg_assoc_t *a, const mg_peer_t *from)
{
    if (!a->mit_ms || a->state != MG_ASSOC_REGISTERED) return;
    if (!netaddr_equal_ip(&from->addr, &a->mgc.addr)) return;
    mg_timer_start(a->loop, &a->it_timer, a->mit_ms);
}

/* Remember the RequestID of the Events descriptor that sets it/ito on ROOT, for the Notify. */
static void note_root_events(mg_assoc_t *a, const h248_txn_t *t)
{
    for (const h248_action_t *ac = t->actions; ac; ac = ac->next)
        for (const h248_cmd_t *c = ac->cmds; c; c = c->next) {
            if (c->kind != H248_CMD_MODIFY || !c->tids || !(c->tids->flags & H248_TID_ROOT))
                continue;
            for (const h248_desc_t *d = c->descs; d; d = d->next)
                if (d->kind == H248_D_EVENTS && !d->bare)
                    for (const h248_event_t *e = d->u.events.list; e; e = e->next)
                        if (h248_str_ieq(e->name, "it/ito")) a->it_rid = d->u.events.request_id;
        }
}

/* ---- engine callbacks ---- */

static void notify_done(void *arg, uint32_t tid, mg_txn_out_status_t st, const void *reply)
{
    if (st == MG_TXN_OUT_TIMEOUT) assoc_mgc_lost(arg, "Notify unanswered");
}

static void op_send_request(void *arg, const h248_action_t *actions)
{
    mg_assoc_t *a = arg;
    if (a->state != MG_ASSOC_REGISTERED) {
        LOG_WARN("not registered: a Notify to the MGC is dropped");
        return;
    }
    uint32_t tid = mg_txn_next_tid(a->txn);
    h248_txn_t t = {.kind = H248_TXN_REQUEST, .id = tid, .actions = (h248_action_t *)actions};
    int n = encode_txn(a, &t, a->version, false);
    if (n < 0) {
        LOG_ERR("cannot encode a request to the MGC (%d)", n);
        return;
    }
    msg_begin(a, &a->req, a->version, false);
    buf_add(&a->req, a->txt.p, (size_t)n);
    assoc_request_out(a, tid, notify_done);
}

static void op_inactivity(void *arg, uint32_t mit_ms)
{
    mg_assoc_t *a = arg;
    a->mit_ms = mit_ms;
    if (!mit_ms) {
        mg_timer_stop(a->loop, &a->it_timer);
        LOG_INFO("inactivity detection off");
        return;
    }
    LOG_INFO("inactivity detection: Notify after %u ms of MGC silence", mit_ms);
    if (a->state == MG_ASSOC_REGISTERED) mg_timer_start(a->loop, &a->it_timer, mit_ms);
}

static bool adds_a_termination(const h248_txn_t *t)
{
    for (const h248_action_t *ac = t->actions; ac; ac = ac->next)
        for (const h248_cmd_t *c = ac->cmds; c; c = c->next)
            if (c->kind == H248_CMD_ADD) return true;
    return false;
}

void mg_assoc_engine_ops(mg_assoc_t *a, mg_engine_ops_t *ops)
{
    *ops = (mg_engine_ops_t){.arg = a,
                             .send_request = op_send_request,
                             .inactivity = op_inactivity,
                             .root_service_change = assoc_op_root_service_change};
}

void mg_assoc_set_engine(mg_assoc_t *a, mg_engine_t *e)
{
    a->eng = e;
    assoc_sync_timers(a);
}

/* ---- incoming messages ---- */

static void quote_reason(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (; *src && o + 1 < cap; src++)
        dst[o++] = (*src == '"' || !isprint((unsigned char)*src)) ? '\'' : *src;
    dst[o] = '\0';
}

/* A message that does not decode: error reply for its transaction, or message-level Error. */
static void answer_decode_error(mg_assoc_t *a, const mg_peer_t *from, const h248_error_t *e,
                                bool compact)
{
    char why[128];
    a->n.undecodable++;
    quote_reason(why, sizeof(why), e->reason);
    unsigned code = e->code ? e->code : 400;
    LOG_INFO("undecodable message (line %u col %u): %u %s", e->line, e->col, code, why);
    msg_begin(a, &a->rep, a->version, compact);
    if (e->has_txn && e->txn_kind == H248_TXN_REQUEST)
        buf_printf(&a->rep,
                   compact ? "P=%u{ER=%u{\"%s\"}}\n" : "Reply = %u {\n  Error = %u {\"%s\"}\n}\n",
                   e->txn_id, code, why);
    else
        buf_printf(&a->rep, compact ? "ER=%u{\"%s\"}\n" : "Error = %u {\"%s\"}\n", code, why);
    send_msg(a, from, a->rep.p, a->rep.len);
}

/* A stored reply sent again carries ImmAckRequired: the MGC missed it once, so ask it to
 * acknowledge and let us release it. */
static void add_replayed(mg_assoc_t *a, const char *r, size_t len, bool compact)
{
    const char *br = memchr(r, '{', len);
    if (!br) return buf_add(&a->rep, r, len);
    size_t head = (size_t)(br - r) + 1;
    const char *p = br + 1;
    while (p < r + len && isspace((unsigned char)*p))
        p++;
    size_t rest = (size_t)(r + len - p);
    bool has = (rest >= 2 && strncasecmp(p, "IA", 2) == 0 &&
                (rest == 2 || !isalpha((unsigned char)p[2]))) ||
               (rest >= 14 && strncasecmp(p, "ImmAckRequired", 14) == 0);
    buf_add(&a->rep, r, head);
    if (!has) buf_add(&a->rep, compact ? "IA," : " ImmAckRequired,", compact ? 3 : 16);
    buf_add(&a->rep, r + head, len - head);
}

/* A request took long: tell the MGC the transactions still to run are Pending. */
static void send_pendings(mg_assoc_t *a, const mg_peer_t *from, const h248_txn_t *from_txn,
                          unsigned version, bool compact)
{
    buf_t b = {0};
    msg_begin(a, &b, version, compact);
    for (const h248_txn_t *t = from_txn; t; t = t->next)
        if (t->kind == H248_TXN_REQUEST) {
            buf_printf(&b, compact ? "PN=%u{}\n" : "Pending = %u {}\n", t->id);
            a->n.pendings++;
        }
    send_msg(a, from, b.p, b.len);
    mg_net_flush(a->net);
    free(b.p);
}

static void error_reply(mg_assoc_t *a, uint32_t id, unsigned code, const char *text, bool compact)
{
    a->txt.len = 0;
    buf_printf(&a->txt,
               compact ? "P=%u{ER=%u{\"%s\"}}\n" : "Reply = %u {\n  Error = %u {\"%s\"}\n}\n", id,
               code, text);
}

static void handle_request(mg_assoc_t *a, const mg_peer_t *from, const h248_message_t *m,
                           const h248_txn_t *t, bool compact)
{
    const char *stored;
    size_t slen;
    uint64_t now = mg_loop_now(a->loop);
    switch (mg_txn_in_begin(a->txn, &from->addr, t->id, now, &stored, &slen)) {
    case MG_TXN_REPLAY:
        a->n.replays++;
        LOG_INFO("transaction %u repeated: answered from the stored reply", t->id);
        add_replayed(a, stored, slen, compact);
        return;
    case MG_TXN_EXECUTING:
        buf_printf(&a->rep, compact ? "PN=%u{}\n" : "Pending = %u {}\n", t->id);
        return;
    case MG_TXN_NEW:
        break;
    }
    note_root_events(a, t);
    a->n.txns++;
    h248_txn_t *r = NULL;
    int n;
    if (a->root_oos && adds_a_termination(t)) {
        error_reply(a, t->id, 503, "ROOT out of service", compact);
        n = (int)a->txt.len;
    } else {
        r = a->eng ? mg_engine_execute(a->eng, t, m->version, &a->in_arena) : NULL;
        n = r ? encode_txn(a, r, m->version, compact) : -1;
    }
    if (n < 0) {
        LOG_ERR("transaction %u: %s (%d)", t->id, r ? "reply not encodable" : "no reply", n);
        error_reply(a, t->id, r || !a->eng ? 500 : 503, "internal failure", compact);
        n = (int)a->txt.len;
    }
    if (mg_txn_in_done(a->txn, &from->addr, t->id, a->txt.p, (size_t)n, now) < 0)
        LOG_WARN("transaction %u: reply not stored (out of memory)", t->id);
    buf_add(&a->rep, a->txt.p, (size_t)n);
    tick_arm(a, a->cfg->long_timer_ms);
}

static void handle_reply(mg_assoc_t *a, const h248_txn_t *t)
{
    if (!mg_txn_out_reply(a->txn, t->id, t))
        LOG_DEBUG("reply %u: no such outstanding request (late duplicate)", t->id);
}

/* Execute / account every transaction of a decoded message, answers into a->rep. Returns
 * whether there is something to send. */
static bool process_txns(mg_assoc_t *a, const mg_peer_t *from, const h248_message_t *m,
                         bool compact)
{
    uint64_t t0 = mg_clock_ms();
    uint32_t prov =
        a->eng ? mg_engine_root(a->eng)->mg_prov_timer_ms : a->cfg->provisional_timer_ms;
    bool pend_sent = false, any = false;
    for (const h248_txn_t *t = m->txns; t; t = t->next) {
        switch (t->kind) {
        case H248_TXN_REQUEST:
            if (!pend_sent && t != m->txns && mg_clock_ms() - t0 >= prov) {
                send_pendings(a, from, t, m->version, compact);
                pend_sent = true;
            }
            handle_request(a, from, m, t, compact);
            any = true;
            break;
        case H248_TXN_REPLY:
            if (t->imm_ack) {
                buf_printf(&a->rep, compact ? "K{%u}\n" : "TransactionResponseAck {%u}\n", t->id);
                any = true;
            }
            handle_reply(a, t);
            break;
        case H248_TXN_PENDING:
            mg_txn_out_pending(a->txn, t->id, mg_loop_now(a->loop));
            break;
        case H248_TXN_RESPONSE_ACK:
            for (const h248_ack_range_t *r = t->acks; r; r = r->next)
                mg_txn_in_ack(a->txn, &from->addr, r->first, r->last);
            break;
        case H248_TXN_SEGMENT_REPLY:
            break;
        }
    }
    return any;
}

/* Send the reply message in a->rep to from. Over UDP a message longer than a datagram is cut
 * at transaction boundaries into several; a single transaction reply too long for a datagram
 * becomes an error reply (the MGC can audit over TCP). */
static void send_reply(mg_assoc_t *a, const mg_peer_t *from, bool compact)
{
    const char *m = a->rep.p;
    size_t len = a->rep.len;
    if (from->kind == MG_TRANSPORT_TCP || len <= MG_UDP_MAX) return send_msg(a, from, m, len);
    size_t hdr = mg_txn_text_start(m, len, len, true);
    if (hdr == 0) return send_msg(a, from, m, len);
    buf_t out = {0};
    size_t pos = hdr;
    while (pos < len) {
        size_t end = mg_txn_text_end(m, len, pos);
        if (end == 0) end = len;
        while (end < len && isspace((unsigned char)m[end]))
            end++;
        if (out.len && out.len + (end - pos) > MG_UDP_MAX) {
            send_msg(a, from, out.p, out.len);
            out.len = 0;
        }
        if (!out.len) buf_add(&out, m, hdr);
        if (hdr + (end - pos) <= MG_UDP_MAX) {
            buf_add(&out, m + pos, end - pos);
        } else { /* one transaction alone is too long */
            const char *eq = memchr(m + pos, '=', end - pos);
            unsigned long id = eq ? strtoul(eq + 1, NULL, 10) : 0;
            LOG_WARN("reply %lu: %zu bytes do not fit a UDP datagram", id, end - pos);
            buf_printf(&out,
                       compact ? "P=%lu{ER=500{\"reply too long for UDP\"}}\n"
                               : "Reply = %lu {\n  Error = 500 {\"reply too long for UDP\"}\n}\n",
                       id);
        }
        pos = end;
    }
    if (out.len > hdr) send_msg(a, from, out.p, out.len);
    free(out.p);
}

/* Append the error reply of a transaction that does not decode. */
static void add_txn_error(mg_assoc_t *a, const h248_error_t *e, bool compact)
{
    char why[128];
    a->n.undecodable++;
    quote_reason(why, sizeof(why), e->reason);
    LOG_INFO("transaction %u does not decode (line %u col %u): %u %s", e->txn_id, e->line, e->col,
             e->code, why);
    if (e->txn_kind == H248_TXN_REQUEST)
        buf_printf(&a->rep,
                   compact ? "P=%u{ER=%u{\"%s\"}}\n" : "Reply = %u {\n  Error = %u {\"%s\"}\n}\n",
                   e->txn_id, e->code ? e->code : 400, why);
}

/* Some transaction of the message does not decode. Answer every transaction that can be
 * delimited: those before the broken one are executed, the broken one gets its error, and
 * what follows it (when its braces balance) is decoded again behind the same header. */
static void answer_partial(mg_assoc_t *a, const mg_peer_t *from, const char *msg, size_t len,
                           const h248_error_t *e, bool compact)
{
    size_t hdr = e->has_txn ? mg_txn_text_start(msg, len, e->offset, true) : 0;
    if (hdr == 0) return answer_decode_error(a, from, e, compact);
    unsigned version = a->version;
    if (sscanf(msg + strspn(msg, " \t\r\n"), compact ? "!/%u" : "MEGACO/%u", &version) != 1 ||
        version < 1 || version > 3)
        version = a->version;
    mgc_activity(a, from);
    msg_begin(a, &a->rep, version, compact);
    h248_error_t err = *e;
    const char *buf = msg;
    size_t blen = len;
    for (int round = 0; round < 64; round++) {
        size_t cut = mg_txn_text_start(buf, blen, err.offset, false);
        h248_message_t *m = NULL;
        if (cut > hdr && h248_decode(buf, cut, &a->in_arena, &m, NULL) == H248_OK)
            process_txns(a, from, m, compact);
        add_txn_error(a, &err, compact);
        size_t end = mg_txn_text_end(buf, blen, cut);
        while (end && end < blen && isspace((unsigned char)buf[end]))
            end++;
        if (!end || end >= blen) break;
        char *next = arena_alloc(&a->in_arena, hdr + (blen - end));
        if (!next) break;
        memcpy(next, buf, hdr);
        memcpy(next + hdr, buf + end, blen - end);
        buf = next;
        blen = hdr + (blen - end);
        memset(&err, 0, sizeof(err));
        if (h248_decode(buf, blen, &a->in_arena, &m, &err) == H248_OK) {
            process_txns(a, from, m, compact);
            break;
        }
        if (!err.has_txn) break;
    }
    send_reply(a, from, compact);
}

static void on_rx(void *arg, const mg_peer_t *from, const char *msg, size_t len)
{
    mg_assoc_t *a = arg;
    a->n.msgs_in++;
    log_message("in from", from, msg, len);
    size_t i = 0;
    while (i < len && isspace((unsigned char)msg[i]))
        i++;
    bool compact = i < len && msg[i] == '!';
    arena_reset(&a->in_arena);
    h248_message_t *m = NULL;
    h248_error_t err;
    memset(&err, 0, sizeof(err));
    int rc = h248_decode(msg, len, &a->in_arena, &m, &err);
    if (rc == H248_ENOMEM) {
        err.code = 500;
        snprintf(err.reason, sizeof(err.reason), "message too large");
        answer_decode_error(a, from, &err, compact);
        return;
    }
    if (rc != H248_OK) {
        answer_partial(a, from, msg, len, &err, compact);
        return;
    }
    mgc_activity(a, from);
    if (m->error) {
        LOG_WARN("the peer reports error %u for a message of ours", m->error->code);
        return;
    }
    msg_begin(a, &a->rep, m->version, compact);
    if (process_txns(a, from, m, compact)) send_reply(a, from, compact);
}

static void on_lost_timer(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    assoc_mgc_lost(arg, "TCP connection closed");
}

/* A TCP connection to the MGC we are registered with closed: the MGC is lost (acted on from
 * a timer: this runs inside the transport). */
static void on_close(void *arg, const mg_peer_t *peer, const char *why)
{
    mg_assoc_t *a = arg;
    if (a->mgc.kind != MG_TRANSPORT_TCP || !netaddr_equal(&peer->addr, &a->mgc.addr)) return;
    a->mgc.conn = -1;
    if (a->state == MG_ASSOC_REGISTERED) mg_timer_start(a->loop, &a->lost_timer, 0);
}

/* ---- life cycle ---- */

mg_assoc_state_t mg_assoc_state(const mg_assoc_t *a)
{
    return a->state;
}

mg_assoc_t *mg_assoc_new(mg_loop_t *l, mg_config_t *cfg, char *err, size_t errlen)
{
    mg_assoc_t *a = calloc(1, sizeof(*a));
    if (!a) return snprintf(err, errlen, "out of memory"), NULL;
    a->loop = l;
    a->cfg = cfg;
    a->version = (uint8_t)cfg->h248_version;
    if (h248_mid_parse(h248_str(cfg->mid), &a->mid) != H248_OK) {
        snprintf(err, errlen, "mid '%s' is not a valid H.248 mId", cfg->mid);
        free(a);
        return NULL;
    }
    arena_init(&a->in_arena, 64 * 1024, 64u << 20);
    arena_init(&a->out_arena, 16 * 1024, 16u << 20);
    mg_timer_init(&a->tick_timer, on_tick, a);
    mg_timer_init(&a->retry_timer, assoc_on_retry, a);
    mg_timer_init(&a->it_timer, on_inactive, a);
    mg_timer_init(&a->defer_timer, assoc_on_deferred_sc, a);
    mg_timer_init(&a->leave_timer, assoc_on_leave_timer, a);
    mg_timer_init(&a->lost_timer, on_lost_timer, a);
    mg_timer_init(&a->oos_timer, assoc_on_oos, a);
    mg_txn_timers_t tm = {0};
    a->txn = mg_txn_new(&tm);
    if (!a->txn) {
        snprintf(err, errlen, "out of memory");
        mg_assoc_free(a);
        return NULL;
    }
    assoc_sync_timers(a);
    a->net = mg_net_new(l, cfg, on_rx, on_close, a, err, errlen);
    if (!a->net) {
        mg_assoc_free(a);
        return NULL;
    }
    return a;
}

void mg_assoc_free(mg_assoc_t *a)
{
    if (!a) return;
    LOG_NOTICE("H.248: %llu messages in, %llu transactions executed, %llu repeats answered from "
               "store, %llu Pending sent, %llu undecodable, %llu requests out, %llu resent",
               (unsigned long long)a->n.msgs_in, (unsigned long long)a->n.txns,
               (unsigned long long)a->n.replays, (unsigned long long)a->n.pendings,
               (unsigned long long)a->n.undecodable, (unsigned long long)a->n.requests_out,
               (unsigned long long)a->n.resends);
    mg_timer_stop(a->loop, &a->tick_timer);
    mg_timer_stop(a->loop, &a->retry_timer);
    mg_timer_stop(a->loop, &a->it_timer);
    mg_timer_stop(a->loop, &a->defer_timer);
    mg_timer_stop(a->loop, &a->leave_timer);
    mg_timer_stop(a->loop, &a->lost_timer);
    mg_timer_stop(a->loop, &a->oos_timer);
    a->state = MG_ASSOC_GONE;
    mg_txn_free(a->txn);
    mg_net_free(a->net);
    arena_free(&a->in_arena);
    arena_free(&a->out_arena);
    free(a->rep.p);
    free(a->req.p);
    free(a->txt.p);
    free(a);
}
