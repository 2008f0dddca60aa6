/* h248_trees.h - message trees built by hand with the constructors, shared by the encoder and
 * round-trip tests: the seed request, and one message that holds every construct. */
#ifndef BGF_TESTS_H248_TREES_H
#define BGF_TESTS_H248_TREES_H
#include <string.h>

#include "h248/h248.h"

#define S(lit) H248_STR(lit)

/* The seed document's request as the decoder gives it: li/LITID found at stream level. */
__attribute__((unused)) static h248_message_t *seed_tree(arena_t *a)
{
    h248_mid_t mid = {.kind = H248_MID_IP4, .addr = S("123.123.123.3"), .port = 2944,
                      .has_port = true};
    h248_message_t *m = h248_msg_new(a, 2, &mid);
    h248_txn_t *t = h248_txn_add(a, m, H248_TXN_REQUEST, 10003);
    h248_action_t *act = h248_action_add(a, t, H248_CTX_CHOOSE);
    h248_cmd_t *c = h248_cmd_add(a, act, H248_CMD_ADD, S("$"));
    h248_desc_t *d = h248_desc_add(a, c, H248_D_MEDIA);
    h248_stream_t *s = h248_stream_get(a, &d->u.media, 0, false);
    h248_local_control_t *lc = h248_lc_get(a, s);
    lc->mode = H248_MODE_SENDRECV;
    h248_prop_add(a, &lc->props, S("li/LICn"), S("ff00ff00ff00ff00"), false);
    h248_prop_t *p = h248_prop_add(a, &lc->props, S("li/LITID"), S("ffffff00"), false);
    p->kind = H248_VAL_LIST;
    p->flags = H248_PROP_STREAM_LEVEL;
    h248_value_add(a, p, S("ffffff01"), false);
    s->remote = arena_alloc(a, sizeof(*s->remote));
    s->remote->text = S("\nv=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 0\na=ptime:20\n");
    return m;
}

/* A message holding every construct the tree can express. */
__attribute__((unused)) static h248_message_t *every_construct(arena_t *a)
{
    h248_mid_t mid = {.kind = H248_MID_MTP, .addr = S("0a0b")};
    h248_message_t *m = h248_msg_new(a, 3, &mid);
    m->auth = arena_alloc(a, sizeof(*m->auth));
    *m->auth = (h248_auth_t){.spi = 0x1234abcd, .seq = 2, .data = S("00112233445566778899aabb")};
    h248_txn_t *t = h248_txn_add(a, m, H248_TXN_REQUEST, 4294967295u);
    h248_action_t *act = h248_action_add(a, t, 5);
    h248_ctx_props_t *cp = arena_alloc(a, sizeof(*cp));
    cp->priority = 3;
    cp->emergency = H248_TRI_ON;
    cp->ieps = H248_TRI_OFF;
    cp->has_topology = true;
    h248_topology_t *t1 = arena_alloc(a, sizeof(*t1)), *t2 = arena_alloc(a, sizeof(*t2));
    *t1 = (h248_topology_t){.from = S("t1"), .to = S("t2"), .dir = H248_TOPO_ONEWAY};
    *t2 = (h248_topology_t){.from = S("t2"), .to = S("*"), .dir = H248_TOPO_ONEWAY_BOTH,
                            .stream = 2, .has_stream = true};
    t1->next = t2;
    cp->topology = t1;
    cp->has_attrs = true;
    h248_prop_add(a, &cp->attrs, S("bgf/ctxattr"), S("1"), false);
    act->props = cp;
    h248_ctx_audit_t *ca = arena_alloc(a, sizeof(*ca));
    ca->items = H248_CA_TOPOLOGY | H248_CA_EMERGENCY | H248_CA_PRIORITY | H248_CA_IEPS;
    ca->sel_priority = 4;
    ca->sel_emergency = H248_TRI_OFF;
    ca->sel_ieps = H248_TRI_ON;
    ca->logic = H248_LOGIC_OR;
    h248_prop_t *cap = arena_alloc(a, sizeof(*cap));
    cap->name = S("pkg/ca");
    ca->props = cap;
    act->audit = ca;

    /* Modify with every descriptor */
    h248_cmd_t *c = h248_cmd_add(a, act, H248_CMD_MODIFY, S("ip/1/ext/*"));
    c->optional = true;
    c->wildcard_reply = true;
    h248_desc_t *d = h248_desc_add(a, c, H248_D_MEDIA);
    h248_term_state_t *ts = arena_alloc(a, sizeof(*ts));
    ts->service_state = H248_SVC_OUT_OF_SERVICE;
    ts->buffer = H248_BUF_LOCKSTEP;
    h248_prop_add(a, &ts->props, S("gm/saf"), S("ON"), false);
    d->u.media.ts = ts;
    h248_stream_t *s1 = h248_stream_get(a, &d->u.media, 1, true);
    h248_local_control_t *lc = h248_lc_get(a, s1);
    lc->mode = H248_MODE_LOOPBACK;
    lc->reserved_value = 1;
    lc->reserved_group = 0;
    h248_prop_t *p = h248_prop_add(a, &lc->props, S("tman/sdr"), S("1000"), false);
    p->rel = H248_REL_GT;
    p = h248_prop_add(a, &lc->props, S("tman/mbs"), S("10"), false);
    p->kind = H248_VAL_RANGE;
    h248_value_add(a, p, S("20"), false);
    p = h248_prop_add(a, &lc->props, S("ds/dscp"), S("ef"), false);
    p->kind = H248_VAL_ALT;
    h248_value_add(a, p, S("af41"), false);
    p = h248_prop_add(a, &lc->props, S("ipdc/realm"), S("core net"), true);
    p = h248_prop_add(a, &lc->props, S("x/lt"), S("5"), false);
    p->rel = H248_REL_LT;
    p = h248_prop_add(a, &lc->props, S("x/ne"), S("6"), false);
    p->rel = H248_REL_NE;
    p = h248_prop_add(a, &lc->props, S("x/q"), S("plain"), true);
    s1->local = arena_alloc(a, sizeof(*s1->local));
    s1->local->text = S("v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n");
    s1->stats_present = true;
    h248_prop_add(a, &s1->stats, S("rtp/ps"), S("12"), false);

    d = h248_desc_add(a, c, H248_D_EVENTS);
    d->u.events.has_request_id = true;
    d->u.events.request_id = 2222;
    h248_event_t *ev = arena_alloc(a, sizeof(*ev));
    ev->name = S("al/on");
    ev->has_stream = true;
    ev->stream = 1;
    ev->keep_active = true;
    ev->has_embed_signals = true;
    h248_signal_t *es = arena_alloc(a, sizeof(*es));
    es->name = S("cg/rt");
    ev->embed_signals = es;
    h248_events_t *ee = arena_alloc(a, sizeof(*ee));
    ee->has_request_id = true;
    ee->request_id = 2223;
    h248_event_t *ev2 = arena_alloc(a, sizeof(*ev2));
    ev2->name = S("al/of");
    ee->list = ev2;
    ev->embed_events = ee;
    ev->dm = arena_alloc(a, sizeof(*ev->dm));
    ev->dm->name = S("dialplan0");
    ev->nb = H248_NB_REGULATED;
    ev->nb_embed_events = ee;
    ev->reset_events = true;
    h248_prop_add(a, &ev->params, S("mit"), S("12000"), false);
    h248_event_t *ev3 = arena_alloc(a, sizeof(*ev3));
    ev3->name = S("hangterm/thb");
    ev3->nb = H248_NB_IMMEDIATE;
    ev->next = ev3;
    h248_event_t *ev4 = arena_alloc(a, sizeof(*ev4));
    ev4->name = S("dd/ce");
    ev4->nb = H248_NB_NEVER;
    ev4->dm = arena_alloc(a, sizeof(*ev4->dm));
    ev4->dm->has_body = true;
    ev4->dm->body = S("[0-9]xxx");
    ev3->next = ev4;
    d->u.events.list = ev;

    d = h248_desc_add(a, c, H248_D_SIGNALS);
    h248_signal_t *sg = arena_alloc(a, sizeof(*sg));
    sg->name = S("an/apf");
    sg->has_stream = true;
    sg->stream = 1;
    sg->type = H248_SIGTYPE_TIMEOUT;
    sg->has_duration = true;
    sg->duration = 500;
    sg->notify_completion = H248_NC_TIMEOUT | H248_NC_INTERRUPT_EVENT |
                            H248_NC_INTERRUPT_SIGNALS | H248_NC_OTHER;
    sg->keep_active = true;
    sg->direction = H248_DIR_BOTH;
    sg->has_request_id = true;
    sg->request_id = 77;
    sg->has_intsig_delay = true;
    sg->intsig_delay = 30;
    h248_prop_add(a, &sg->params, S("an"), S("welcome"), false);
    h248_signal_t *sl = arena_alloc(a, sizeof(*sl));
    sl->is_list = true;
    sl->list_id = 9;
    h248_signal_t *m1 = arena_alloc(a, sizeof(*m1)), *m2 = arena_alloc(a, sizeof(*m2));
    m1->name = S("cg/dt");
    m2->name = S("cg/bt");
    m2->type = H248_SIGTYPE_BRIEF;
    m1->next = m2;
    sl->list = m1;
    sg->next = sl;
    d->u.signals = sg;

    d = h248_desc_add(a, c, H248_D_DIGITMAP);
    d->u.digitmap.name = S("dialplan0");
    d->u.digitmap.has_body = true;
    d->u.digitmap.body = S("(0S|00S|[1-7]xxx|8xxxxxxx|#xxxxxxx|*xx|9L)");
    d = h248_desc_add(a, c, H248_D_EVENT_BUFFER);
    h248_event_t *eb = arena_alloc(a, sizeof(*eb));
    eb->name = S("tonedet/std");
    h248_prop_add(a, &eb->params, S("tl"), S("*"), false);
    d->u.events.list = eb;
    d = h248_desc_add(a, c, H248_D_MUX);
    d->u.mux.type = S("H221");
    h248_termid_t *mt1 = arena_alloc(a, sizeof(*mt1)), *mt2 = arena_alloc(a, sizeof(*mt2));
    mt1->name = S("t1");
    mt2->name = S("t2");
    mt1->next = mt2;
    d->u.mux.tids = mt1;
    d = h248_desc_add(a, c, H248_D_MODEM);
    h248_value_t *v18 = arena_alloc(a, sizeof(*v18)), *v22 = arena_alloc(a, sizeof(*v22));
    v18->s = S("V18");
    v22->s = S("V22");
    v18->next = v22;
    d->u.modem.types = v18;
    h248_prop_add(a, &d->u.modem.props, S("md/x"), S("1"), false);
    d = h248_desc_add(a, c, H248_D_MODEM);
    d->u.modem.types = arena_alloc(a, sizeof(h248_value_t));
    d->u.modem.types->s = S("V90");
    d = h248_desc_add(a, c, H248_D_STATISTICS);
    h248_prop_t *st = arena_alloc(a, sizeof(*st));
    st->name = S("nt/os");
    d->u.stats = st;
    h248_prop_t *st2 = h248_prop_add(a, &d->u.stats, S("rtp/jit"), S("1"), false);
    st2->kind = H248_VAL_LIST;
    h248_value_add(a, st2, S("2"), false);
    d = h248_desc_add(a, c, H248_D_AUDIT);
    static const h248_desc_kind_t bare[] = {H248_D_MEDIA, H248_D_MODEM, H248_D_MUX,
                                            H248_D_EVENTS, H248_D_SIGNALS, H248_D_DIGITMAP,
                                            H248_D_STATISTICS, H248_D_OBSERVED_EVENTS,
                                            H248_D_PACKAGES, H248_D_EVENT_BUFFER};
    h248_desc_t **tail = &d->u.audit;
    for (size_t i = 0; i < sizeof bare / sizeof *bare; i++) {
        h248_desc_t *x = arena_alloc(a, sizeof(*x));
        x->kind = bare[i];
        x->bare = true;
        *tail = x;
        tail = &x->next;
    }

    /* Subtract, Move, AuditValue (tid list), AuditCapability, Notify, ServiceChange */
    c = h248_cmd_add(a, act, H248_CMD_SUBTRACT, S("ip/1/ext/7"));
    h248_desc_add(a, c, H248_D_AUDIT);
    h248_cmd_add(a, act, H248_CMD_MOVE, S("ip/1/ext/8"));
    c = h248_cmd_add(a, act, H248_CMD_AUDIT_VALUE, S("t1"));
    c->tid_list = true;
    h248_termid_add(a, c, S("t2"));
    d = h248_desc_add(a, c, H248_D_AUDIT);
    h248_desc_t *im = arena_alloc(a, sizeof(*im));
    im->kind = H248_D_MEDIA;
    h248_stream_t *is = h248_stream_get(a, &im->u.media, 0, false);
    h248_lc_get(a, is)->audit = H248_AUD_MODE;
    im->u.media.ts = arena_alloc(a, sizeof(h248_term_state_t));
    im->u.media.ts->audit = H248_AUD_SERVICE_STATES;
    d->u.audit = im;
    c = h248_cmd_add(a, act, H248_CMD_AUDIT_VALUE, S("t3"));
    d = h248_desc_add(a, c, H248_D_AUDIT);
    im = arena_alloc(a, sizeof(*im));
    im->kind = H248_D_MEDIA;
    im->u.media.ts = arena_alloc(a, sizeof(h248_term_state_t));
    im->u.media.ts->audit = H248_AUD_BUFFER;
    h248_stream_t *s2 = h248_stream_get(a, &im->u.media, 2, true);
    h248_lc_get(a, s2)->audit = H248_AUD_MODE | H248_AUD_RESERVED_VALUE |
                                 H248_AUD_RESERVED_GROUP;
    d->u.audit = im;
    c = h248_cmd_add(a, act, H248_CMD_AUDIT_CAP, S("ROOT"));
    d = h248_desc_add(a, c, H248_D_AUDIT);
    d->u.audit = arena_alloc(a, sizeof(h248_desc_t));
    d->u.audit->kind = H248_D_PACKAGES;
    d->u.audit->bare = true;
    c = h248_cmd_add(a, act, H248_CMD_NOTIFY, S("ROOT"));
    d = h248_desc_add(a, c, H248_D_OBSERVED_EVENTS);
    d->u.events.has_request_id = true;
    d->u.events.request_id = 1;
    h248_event_t *oe = arena_alloc(a, sizeof(*oe));
    oe->name = S("it/ito");
    oe->timestamp = S("20240101T10000000");
    h248_prop_add(a, &oe->params, S("mit"), S("12000"), false);
    d->u.events.list = oe;
    c = h248_cmd_add(a, act, H248_CMD_SERVICE_CHANGE, S("ROOT"));
    d = h248_desc_add(a, c, H248_D_SERVICE_CHANGE);
    d->u.sc.method = H248_SCM_FORCED;
    d->u.sc.reason = arena_alloc(a, sizeof(h248_value_t));
    *d->u.sc.reason = (h248_value_t){.s = S("905 Termination taken out of service"),
                                     .quoted = true};
    d->u.sc.has_delay = true;
    d->u.sc.delay = 30;
    d->u.sc.address = arena_alloc(a, sizeof(h248_mid_t));
    *d->u.sc.address = (h248_mid_t){.kind = H248_MID_PORT, .port = 55555, .has_port = true};
    d->u.sc.timestamp = S("20240101T10000000");
    d->u.sc.incomplete = true;
    h248_prop_add(a, &d->u.sc.ext, S("X-foo"), S("bar"), false);
    h248_desc_t *info = arena_alloc(a, sizeof(*info));
    info->kind = H248_D_PACKAGES;
    info->bare = true;
    d->u.sc.info = info;
    c = h248_cmd_add(a, act, H248_CMD_SERVICE_CHANGE, S("ip/1/ext/9"));
    d = h248_desc_add(a, c, H248_D_SERVICE_CHANGE);
    d->u.sc.method = H248_SCM_GRACEFUL;
    d->u.sc.reason = arena_alloc(a, sizeof(h248_value_t));
    d->u.sc.reason->s = S("905");
    d->u.sc.mgc_id = arena_alloc(a, sizeof(h248_mid_t));
    *d->u.sc.mgc_id = (h248_mid_t){.kind = H248_MID_IP4, .addr = S("192.0.2.9")};

    /* a reply with a context-audit answer and a segment reply */
    h248_txn_t *r = h248_txn_add(a, m, H248_TXN_REPLY, 12);
    r->segment = 2;
    r->seg_complete = true;
    act = h248_action_add(a, r, H248_CTX_ALL);
    c = h248_cmd_add(a, act, H248_CMD_AUDIT_VALUE, S("t1"));
    c->ctx_audit_reply = true;
    h248_termid_add(a, c, S("t2"));
    act = h248_action_add(a, r, H248_CTX_NULL);
    c = h248_cmd_add(a, act, H248_CMD_AUDIT_CAP, S("ROOT"));
    d = h248_desc_add(a, c, H248_D_PACKAGES);
    h248_pkgitem_t *pk1 = arena_alloc(a, sizeof(*pk1)), *pk2 = arena_alloc(a, sizeof(*pk2));
    *pk1 = (h248_pkgitem_t){.name = S("nt"), .version = 1, .next = pk2};
    *pk2 = (h248_pkgitem_t){.name = S("rtp"), .version = 2};
    d->u.packages = pk1;
    c = h248_cmd_add(a, act, H248_CMD_NOTIFY, S("ROOT"));
    d = h248_desc_add(a, c, H248_D_ERROR);
    d->u.error = (h248_error_desc_t){.code = 500, .text = S("x"), .has_text = true};
    h248_txn_add(a, m, H248_TXN_PENDING, 13);
    h248_txn_t *sm = h248_txn_add(a, m, H248_TXN_SEGMENT_REPLY, 12);
    sm->segment = 1;
    return m;
}

#endif
