/* compare.c - structural equality of H.248 message trees (see compare.h). Pure, any thread;
 * allocates only a short-lived arena when two SDP blocks must be parsed to be compared. */
#include "h248/compare.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "h248/sdp.h"

typedef struct cmp {
    char *why;
    size_t whylen;
    char path[160];
} cmp_t;

/* Record the first difference (with the current path) and return false. */
static bool differ(cmp_t *c, const char *what)
{
    if (c->why && c->whylen && !c->why[0])
        snprintf(c->why, c->whylen, "%s%s%s", c->path, c->path[0] ? ": " : "", what);
    return false;
}

/* Push "name N" onto the path; returns the old length for pop. */
static size_t push(cmp_t *c, const char *name, unsigned n)
{
    size_t old = strlen(c->path);
    snprintf(c->path + old, sizeof c->path - old, "%s%s %u", old ? " / " : "", name, n);
    return old;
}

static void pop(cmp_t *c, size_t old)
{
    c->path[old] = '\0';
}

static bool str_eq(h248_str_t a, h248_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

#define CHECK(c, cond, what)                                                                       \
    do {                                                                                           \
        if (!(cond)) return differ((c), (what));                                                   \
    } while (0)

static bool values_eq(cmp_t *c, const h248_value_t *a, const h248_value_t *b)
{
    for (; a && b; a = a->next, b = b->next)
        CHECK(c, str_eq(a->s, b->s) && a->quoted == b->quoted, "value");
    CHECK(c, !a && !b, "number of values");
    return true;
}

static bool props_eq(cmp_t *c, const h248_prop_t *a, const h248_prop_t *b)
{
    for (; a && b; a = a->next, b = b->next) {
        CHECK(c, str_eq(a->name, b->name), "property name");
        CHECK(c, a->kind == b->kind && a->nvalues == b->nvalues, "property value kind");
        CHECK(c, a->kind == H248_VAL_NONE || a->rel == b->rel, "property relation");
        if (!values_eq(c, a->values, b->values)) return false;
    }
    CHECK(c, !a && !b, "number of properties");
    return true;
}

static bool mid_eq(cmp_t *c, const h248_mid_t *a, const h248_mid_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "mId presence");
        return true;
    }
    CHECK(c, a->kind == b->kind && str_eq(a->addr, b->addr), "mId");
    CHECK(c, a->has_port == b->has_port && (!a->has_port || a->port == b->port), "mId port");
    return true;
}

static bool error_eq(cmp_t *c, const h248_error_desc_t *a, const h248_error_desc_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "error presence");
        return true;
    }
    CHECK(c, a->code == b->code, "error code");
    CHECK(c, a->has_text == b->has_text && str_eq(a->text, b->text), "error text");
    return true;
}

static bool tids_eq(cmp_t *c, const h248_termid_t *a, const h248_termid_t *b)
{
    for (; a && b; a = a->next, b = b->next)
        CHECK(c, str_eq(a->name, b->name) && a->flags == b->flags, "termination id");
    CHECK(c, !a && !b, "number of termination ids");
    return true;
}

/* ---- SDP ---- */

/* Next line of SDP text as the encoder writes it: without leading and trailing blanks, blank
 * lines skipped. */
static bool next_line(const char **p, const char *end, const char **line, size_t *n)
{
    const char *q = *p;
    for (;;) {
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q < end && (*q == '\r' || *q == '\n')) {
            q++;
            continue;
        }
        break;
    }
    if (q >= end) return false;
    *line = q;
    while (q < end && *q != '\r' && *q != '\n')
        q++;
    *p = q;
    while (q > *line && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
    *n = (size_t)(q - *line);
    return true;
}

/* The same SDP text up to blanks around lines, blank lines and line ends. */
static bool sdp_text_eq(h248_str_t a, h248_str_t b)
{
    const char *pa = a.p, *ea = a.p + a.len, *pb = b.p, *eb = b.p + b.len, *la, *lb;
    size_t na, nb;
    for (;;) {
        bool ha = next_line(&pa, ea, &la, &na), hb = next_line(&pb, eb, &lb, &nb);
        if (!ha || !hb) return ha == hb;
        if (na != nb || memcmp(la, lb, na) != 0) return false;
    }
}

static bool sdp_block_eq(cmp_t *c, const h248_sdp_block_t *a, const h248_sdp_block_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "Local/Remote presence");
        return true;
    }
    if (a->sdp && b->sdp) {
        CHECK(c, h248_sdp_equal(a->sdp, b->sdp), "SDP");
        return true;
    }
    if (!a->sdp && !b->sdp && sdp_text_eq(a->text, b->text)) return true;
    /* different text may still be the same SDP (spacing inside lines, one side parsed) */
    arena_t ar;
    arena_init(&ar, 0, 1u << 22);
    struct h248_sdp *sa = a->sdp, *sb = b->sdp;
    bool ok = (sa || h248_sdp_parse(a->text.p, a->text.len, &ar, &sa, NULL) == 0) &&
              (sb || h248_sdp_parse(b->text.p, b->text.len, &ar, &sb, NULL) == 0) &&
              h248_sdp_equal(sa, sb);
    arena_free(&ar);
    CHECK(c, ok, "SDP text");
    return true;
}

/* ---- media ---- */

static bool lc_eq(cmp_t *c, const h248_local_control_t *a, const h248_local_control_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "LocalControl presence");
        return true;
    }
    CHECK(c, a->mode == b->mode, "Mode");
    CHECK(c, a->reserved_value == b->reserved_value, "ReservedValue");
    CHECK(c, a->reserved_group == b->reserved_group, "ReservedGroup");
    CHECK(c, a->audit == b->audit, "LocalControl audit items");
    return props_eq(c, a->props, b->props);
}

static bool streams_eq(cmp_t *c, const h248_stream_t *a, const h248_stream_t *b)
{
    unsigned i = 1;
    for (; a && b; a = a->next, b = b->next, i++) {
        size_t old = push(c, "stream", i);
        CHECK(c, a->id == b->id && a->explicit_id == b->explicit_id, "stream id");
        if (!lc_eq(c, a->lc, b->lc) || !sdp_block_eq(c, a->local, b->local) ||
            !sdp_block_eq(c, a->remote, b->remote))
            return false;
        CHECK(c, a->stats_present == b->stats_present, "stream Statistics presence");
        if (!props_eq(c, a->stats, b->stats)) return false;
        pop(c, old);
    }
    CHECK(c, !a && !b, "number of streams");
    return true;
}

static bool ts_eq(cmp_t *c, const h248_term_state_t *a, const h248_term_state_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "TerminationState presence");
        return true;
    }
    CHECK(c, a->service_state == b->service_state && a->buffer == b->buffer && a->audit == b->audit,
          "TerminationState");
    return props_eq(c, a->props, b->props);
}

/* ---- events, signals ---- */

static bool events_eq(cmp_t *c, const h248_events_t *a, const h248_events_t *b);
static bool signals_eq(cmp_t *c, const h248_signal_t *a, const h248_signal_t *b);

static bool dm_eq(cmp_t *c, const h248_digitmap_t *a, const h248_digitmap_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "DigitMap presence");
        return true;
    }
    CHECK(c, str_eq(a->name, b->name) && a->has_body == b->has_body && str_eq(a->body, b->body),
          "DigitMap");
    return true;
}

static bool event_list_eq(cmp_t *c, const h248_event_t *a, const h248_event_t *b)
{
    for (; a && b; a = a->next, b = b->next) {
        CHECK(c, str_eq(a->name, b->name), "event name");
        CHECK(c, str_eq(a->timestamp, b->timestamp), "event time stamp");
        CHECK(c, a->has_stream == b->has_stream && a->stream == b->stream, "event stream");
        CHECK(c,
              a->keep_active == b->keep_active && a->reset_events == b->reset_events &&
                  a->nb == b->nb,
              "event flags");
        CHECK(c, a->has_embed_signals == b->has_embed_signals, "embedded signals presence");
        if (!signals_eq(c, a->embed_signals, b->embed_signals) ||
            !events_eq(c, a->embed_events, b->embed_events) || !dm_eq(c, a->dm, b->dm) ||
            !signals_eq(c, a->nb_embed_signals, b->nb_embed_signals) ||
            !events_eq(c, a->nb_embed_events, b->nb_embed_events) ||
            !props_eq(c, a->params, b->params))
            return false;
    }
    CHECK(c, !a && !b, "number of events");
    return true;
}

static bool events_eq(cmp_t *c, const h248_events_t *a, const h248_events_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "events presence");
        return true;
    }
    CHECK(c,
          a->has_request_id == b->has_request_id &&
              (!a->has_request_id || a->request_id == b->request_id),
          "request id");
    return event_list_eq(c, a->list, b->list);
}

static bool signals_eq(cmp_t *c, const h248_signal_t *a, const h248_signal_t *b)
{
    for (; a && b; a = a->next, b = b->next) {
        CHECK(c, str_eq(a->name, b->name) && a->is_list == b->is_list, "signal");
        CHECK(c, !a->is_list || a->list_id == b->list_id, "SignalList id");
        CHECK(c, a->has_stream == b->has_stream && a->stream == b->stream, "signal stream");
        CHECK(c, a->type == b->type, "SignalType");
        CHECK(c, a->has_duration == b->has_duration && a->duration == b->duration, "Duration");
        CHECK(c, a->notify_completion == b->notify_completion, "NotifyCompletion");
        CHECK(c, a->keep_active == b->keep_active && a->direction == b->direction, "signal flags");
        CHECK(c, a->has_request_id == b->has_request_id && a->request_id == b->request_id,
              "signal RequestID");
        CHECK(c, a->has_intsig_delay == b->has_intsig_delay && a->intsig_delay == b->intsig_delay,
              "IntsigDelay");
        if (!signals_eq(c, a->list, b->list) || !props_eq(c, a->params, b->params)) return false;
    }
    CHECK(c, !a && !b, "number of signals");
    return true;
}

/* ---- descriptors ---- */

static bool desc_list_eq(cmp_t *c, const h248_desc_t *a, const h248_desc_t *b);

static bool sc_eq(cmp_t *c, const h248_service_change_t *a, const h248_service_change_t *b)
{
    CHECK(c, a->method == b->method && str_eq(a->method_ext, b->method_ext), "Method");
    if (!a->reason || !b->reason)
        CHECK(c, a->reason == b->reason, "Reason presence");
    else
        CHECK(c, str_eq(a->reason->s, b->reason->s) && a->reason->quoted == b->reason->quoted,
              "Reason");
    CHECK(c, a->has_delay == b->has_delay && a->delay == b->delay, "Delay");
    if (!mid_eq(c, a->address, b->address) || !mid_eq(c, a->mgc_id, b->mgc_id)) return false;
    CHECK(c, str_eq(a->profile, b->profile), "Profile");
    CHECK(c, a->version == b->version, "Version");
    CHECK(c, str_eq(a->timestamp, b->timestamp), "TimeStamp");
    CHECK(c, a->incomplete == b->incomplete, "ServiceChangeInc");
    return props_eq(c, a->ext, b->ext) && desc_list_eq(c, a->info, b->info);
}

static bool desc_eq(cmp_t *c, const h248_desc_t *a, const h248_desc_t *b)
{
    CHECK(c, a->kind == b->kind, "descriptor kind");
    CHECK(c, a->bare == b->bare, "descriptor written bare");
    if (a->bare) return true;
    const h248_pkgitem_t *pa, *pb;
    switch (a->kind) {
    case H248_D_MEDIA:
        return ts_eq(c, a->u.media.ts, b->u.media.ts) &&
               streams_eq(c, a->u.media.streams, b->u.media.streams);
    case H248_D_MODEM:
        return values_eq(c, a->u.modem.types, b->u.modem.types) &&
               props_eq(c, a->u.modem.props, b->u.modem.props);
    case H248_D_MUX:
        CHECK(c, str_eq(a->u.mux.type, b->u.mux.type), "Mux type");
        return tids_eq(c, a->u.mux.tids, b->u.mux.tids);
    case H248_D_EVENTS:
    case H248_D_EVENT_BUFFER:
    case H248_D_OBSERVED_EVENTS:
        return events_eq(c, &a->u.events, &b->u.events);
    case H248_D_SIGNALS:
        return signals_eq(c, a->u.signals, b->u.signals);
    case H248_D_DIGITMAP:
        return dm_eq(c, &a->u.digitmap, &b->u.digitmap);
    case H248_D_STATISTICS:
        return props_eq(c, a->u.stats, b->u.stats);
    case H248_D_PACKAGES:
        for (pa = a->u.packages, pb = b->u.packages; pa && pb; pa = pa->next, pb = pb->next)
            CHECK(c, str_eq(pa->name, pb->name) && pa->version == pb->version, "package");
        CHECK(c, !pa && !pb, "number of packages");
        return true;
    case H248_D_AUDIT:
        return desc_list_eq(c, a->u.audit, b->u.audit);
    case H248_D_SERVICE_CHANGE:
        return sc_eq(c, &a->u.sc, &b->u.sc);
    case H248_D_ERROR:
        return error_eq(c, &a->u.error, &b->u.error);
    }
    return differ(c, "unknown descriptor kind");
}

static bool desc_list_eq(cmp_t *c, const h248_desc_t *a, const h248_desc_t *b)
{
    unsigned i = 1;
    for (; a && b; a = a->next, b = b->next, i++) {
        size_t old = push(c, "desc", i);
        if (!desc_eq(c, a, b)) return false;
        pop(c, old);
    }
    CHECK(c, !a && !b, "number of descriptors");
    return true;
}

/* ---- commands, actions, transactions ---- */

static bool cmd_eq(cmp_t *c, const h248_cmd_t *a, const h248_cmd_t *b)
{
    CHECK(c, a->kind == b->kind, "command kind");
    CHECK(c, a->optional == b->optional && a->wildcard_reply == b->wildcard_reply,
          "command prefix");
    CHECK(c, a->tid_list == b->tid_list && a->ctx_audit_reply == b->ctx_audit_reply,
          "command form");
    if (!tids_eq(c, a->tids, b->tids)) return false;
    CHECK(c, a->has_body == b->has_body, "command body presence");
    return desc_list_eq(c, a->descs, b->descs);
}

static bool ctx_props_eq(cmp_t *c, const h248_ctx_props_t *a, const h248_ctx_props_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "context properties presence");
        return true;
    }
    CHECK(c, a->priority == b->priority, "Priority");
    CHECK(c, a->emergency == b->emergency && a->ieps == b->ieps, "Emergency/IEPS");
    CHECK(c, a->has_topology == b->has_topology, "Topology presence");
    const h248_topology_t *x = a->topology, *y = b->topology;
    for (; x && y; x = x->next, y = y->next)
        CHECK(c,
              str_eq(x->from, y->from) && str_eq(x->to, y->to) && x->dir == y->dir &&
                  x->has_stream == y->has_stream && x->stream == y->stream,
              "Topology triple");
    CHECK(c, !x && !y, "number of Topology triples");
    CHECK(c, a->has_attrs == b->has_attrs && a->nctx_list == b->nctx_list, "ContextAttr");
    for (uint32_t i = 0; i < a->nctx_list; i++)
        CHECK(c, a->ctx_list[i] == b->ctx_list[i], "ContextList");
    return props_eq(c, a->attrs, b->attrs);
}

static bool ctx_audit_eq(cmp_t *c, const h248_ctx_audit_t *a, const h248_ctx_audit_t *b)
{
    if (!a || !b) {
        CHECK(c, a == b, "ContextAudit presence");
        return true;
    }
    CHECK(c, a->items == b->items, "ContextAudit items");
    CHECK(c,
          a->sel_priority == b->sel_priority && a->sel_emergency == b->sel_emergency &&
              a->sel_ieps == b->sel_ieps && a->logic == b->logic,
          "ContextAudit selection");
    return props_eq(c, a->props, b->props);
}

static bool action_eq(cmp_t *c, const h248_action_t *a, const h248_action_t *b)
{
    CHECK(c, a->ctx == b->ctx, "context id");
    if (!ctx_props_eq(c, a->props, b->props) || !ctx_audit_eq(c, a->audit, b->audit) ||
        !error_eq(c, a->error, b->error))
        return false;
    const h248_cmd_t *x = a->cmds, *y = b->cmds;
    unsigned i = 1;
    for (; x && y; x = x->next, y = y->next, i++) {
        size_t old = push(c, "cmd", i);
        if (!cmd_eq(c, x, y)) return false;
        pop(c, old);
    }
    CHECK(c, !x && !y, "number of commands");
    return true;
}

static bool txn_eq(cmp_t *c, const h248_txn_t *a, const h248_txn_t *b)
{
    CHECK(c, a->kind == b->kind, "transaction kind");
    CHECK(c, a->kind == H248_TXN_RESPONSE_ACK || a->id == b->id, "transaction id");
    CHECK(c, a->imm_ack == b->imm_ack, "ImmAckRequired");
    CHECK(c, a->segment == b->segment && a->seg_complete == b->seg_complete, "segment");
    if (!error_eq(c, a->error, b->error)) return false;
    const h248_ack_range_t *r = a->acks, *s = b->acks;
    for (; r && s; r = r->next, s = s->next)
        CHECK(c, r->first == s->first && r->last == s->last, "acknowledged range");
    CHECK(c, !r && !s, "number of acknowledged ranges");
    const h248_action_t *x = a->actions, *y = b->actions;
    unsigned i = 1;
    for (; x && y; x = x->next, y = y->next, i++) {
        size_t old = push(c, "action", i);
        if (!action_eq(c, x, y)) return false;
        pop(c, old);
    }
    CHECK(c, !x && !y, "number of actions");
    return true;
}

bool h248_equal(const h248_message_t *a, const h248_message_t *b, char *why, size_t whylen)
{
    cmp_t c = {.why = why, .whylen = whylen};
    if (why && whylen) why[0] = '\0';
    if (!a || !b) {
        CHECK(&c, a == b, "message presence");
        return true;
    }
    CHECK(&c, a->version == b->version, "version");
    if (!mid_eq(&c, &a->mid, &b->mid)) return false;
    if (!a->auth || !b->auth) {
        CHECK(&c, a->auth == b->auth, "authentication header presence");
    } else {
        CHECK(&c,
              a->auth->spi == b->auth->spi && a->auth->seq == b->auth->seq &&
                  str_eq(a->auth->data, b->auth->data),
              "authentication header");
    }
    if (!error_eq(&c, a->error, b->error)) return false;
    const h248_txn_t *x = a->txns, *y = b->txns;
    unsigned i = 1;
    for (; x && y; x = x->next, y = y->next, i++) {
        size_t old = push(&c, "txn", i);
        if (!txn_eq(&c, x, y)) return false;
        pop(&c, old);
    }
    CHECK(&c, !x && !y, "number of transactions");
    return true;
}
