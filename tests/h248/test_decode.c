/* test_decode.c - the H.248 text decoder, construct by construct: header forms, transaction
 * kinds, contexts and context properties, every command with its prefixes, every descriptor,
 * property values and relations, white space, comments and line ends; each in the pretty
 * (long token) and compact (short token) spelling and, where the construct exists there, in
 * versions 1, 2 and 3. The seed request decodes verbatim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "h248/h248.h"
#include "h248/tokens.h"
#include "seed_request.h"

static arena_t A;

static int setup(void **state)
{
    arena_init(&A, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    arena_free(&A);
    return 0;
}

/* Decode text exactly as given (not NUL-terminated: copied into an exact-size buffer). */
static h248_message_t *dec(const char *text)
{
    size_t n = strlen(text);
    char *buf = arena_alloc(&A, n ? n : 1);
    memcpy(buf, text, n);
    h248_message_t *m = NULL;
    h248_error_t e;
    memset(&e, 0, sizeof(e));
    int rc = h248_decode(buf, n, &A, &m, &e);
    if (rc != H248_OK) fail_msg("decode failed: %u:%u: error %u: %s\n%s", e.line, e.col, e.code, e.reason, text);
    assert_non_null(m);
    return m;
}

/* Decode body under a header of version v; compact selects "!/v" and a one-line header. */
static h248_message_t *decv(int v, bool compact, const char *body)
{
    char *t = arena_printf(&A, "%s/%d [192.0.2.1]:2944%s%s", compact ? "!" : "MEGACO", v,
                           compact ? " " : "\n", body);
    h248_message_t *m = dec(t);
    assert_int_equal(m->version, v);
    return m;
}

static int decode_rc(const char *text, h248_error_t *e)
{
    h248_message_t *m;
    return h248_decode(text, strlen(text), &A, &m, e);
}

static void assert_str(h248_str_t s, const char *want)
{
    if (s.len != strlen(want) || memcmp(s.p, want, s.len))
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.len, s.p, want);
}

/* first command of the first action of the first transaction */
static h248_cmd_t *cmd1(h248_message_t *m)
{
    assert_non_null(m->txns);
    assert_non_null(m->txns->actions);
    assert_non_null(m->txns->actions->cmds);
    return m->txns->actions->cmds;
}

static h248_desc_t *desc1(h248_message_t *m)
{
    h248_cmd_t *c = cmd1(m);
    assert_non_null(c->descs);
    return c->descs;
}

static unsigned count_props(const h248_prop_t *p)
{
    unsigned n = 0;
    for (; p; p = p->next) n++;
    return n;
}

/* ---- the seed request ------------------------------------------------------------------------ */

static const char SEED[] = SEED_REQUEST;

static void seed_request_decodes_with_litid_as_local_control_property(void **state)
{
    h248_message_t *m = dec(SEED);
    assert_int_equal(m->version, 2);
    assert_int_equal(m->mid.kind, H248_MID_IP4);
    assert_str(m->mid.addr, "123.123.123.3");
    assert_true(m->mid.has_port);
    assert_int_equal(m->mid.port, 2944);
    h248_txn_t *t = m->txns;
    assert_int_equal(t->kind, H248_TXN_REQUEST);
    assert_int_equal(t->id, 10003);
    assert_null(t->next);
    assert_int_equal(t->actions->ctx, H248_CTX_CHOOSE);
    h248_cmd_t *c = cmd1(m);
    assert_int_equal(c->kind, H248_CMD_ADD);
    assert_str(c->tids->name, "$");
    assert_int_equal(c->tids->flags, H248_TID_CHOOSE);
    h248_desc_t *d = c->descs;
    assert_int_equal(d->kind, H248_D_MEDIA);
    h248_stream_t *s = d->u.media.streams;
    assert_non_null(s);
    assert_false(s->explicit_id);
    assert_null(s->next);
    assert_int_equal(s->lc->mode, H248_MODE_SENDRECV);
    const h248_prop_t *licn = h248_prop_find(s->lc->props, "li/LICn");
    const h248_prop_t *litid = h248_prop_find(s->lc->props, "li/litid");
    assert_non_null(licn);
    assert_non_null(litid);
    assert_int_equal(licn->flags & H248_PROP_STREAM_LEVEL, 0);
    assert_str(licn->values->s, "ff00ff00ff00ff00");
    assert_int_equal(litid->flags & H248_PROP_STREAM_LEVEL, H248_PROP_STREAM_LEVEL);
    assert_int_equal(litid->kind, H248_VAL_LIST);
    assert_int_equal(litid->nvalues, 2);
    assert_str(litid->values->s, "ffffff00");
    assert_str(litid->values->next->s, "ffffff01");
    assert_non_null(s->remote);
    assert_null(s->local);
    assert_str(s->remote->text, "\nv=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 0\na=ptime:20\n");
    /* the transaction's raw text spans to its closing brace */
    assert_true(t->raw.len > 0 && t->raw.p[t->raw.len - 1] == '}');
}

/* ---- header ---------------------------------------------------------------------------------- */

static void header_mid_forms_decode(void **state)
{
    static const struct {
        const char *hdr;
        h248_mid_kind_t kind;
        const char *addr;
        int port; /* -1 none */
    } cases[] = {
        {"MEGACO/1 [192.0.2.1]:2944", H248_MID_IP4, "192.0.2.1", 2944},
        {"MEGACO/1 [192.0.2.1]", H248_MID_IP4, "192.0.2.1", -1},
        {"MEGACO/2 [2001:db8::1]:2944", H248_MID_IP6, "2001:db8::1", 2944},
        {"MEGACO/3 [::ffff:192.0.2.1]", H248_MID_IP6, "::ffff:192.0.2.1", -1},
        {"megaco/3 <mgc.example.net>:55555", H248_MID_DOMAIN, "mgc.example.net", 55555},
        {"!/2 <bgf-1.example>", H248_MID_DOMAIN, "bgf-1.example", -1},
        {"!/1 bgf1/pgw", H248_MID_DEVICE, "bgf1/pgw", -1},
        {"MEGACO/2 mtp{0A0B0C0D}", H248_MID_MTP, "0A0B0C0D", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *t = arena_printf(&A, "%s\nTransaction = 1 { Context = - { Notify = ROOT { ObservedEvents = 1 { it/ito } } } }",
                               cases[i].hdr);
        h248_message_t *m = dec(t);
        assert_int_equal(m->mid.kind, cases[i].kind);
        assert_str(m->mid.addr, cases[i].addr);
        assert_int_equal(m->mid.has_port, cases[i].port >= 0);
        if (cases[i].port >= 0) assert_int_equal(m->mid.port, cases[i].port);
    }
}

static void authentication_header_decodes(void **state)
{
    h248_message_t *m = dec("Authentication = 0x1A2B:0x10:0xDEADBEEF12\nMEGACO/1 [192.0.2.1]:2944\n"
                            "Pending = 7 { }");
    assert_non_null(m->auth);
    assert_int_equal(m->auth->spi, 0x1A2B);
    assert_int_equal(m->auth->seq, 0x10);
    assert_str(m->auth->data, "DEADBEEF12");
    m = dec("AU=0x1:0x2:0xAB\n!/1 [192.0.2.1] PN=7{}");
    assert_int_equal(m->auth->spi, 1);
}

static void mid_parse_helper_accepts_config_forms(void **state)
{
    h248_mid_t mid;
    assert_int_equal(h248_mid_parse(h248_str("[127.0.0.1]:2944"), &mid), H248_OK);
    assert_int_equal(mid.kind, H248_MID_IP4);
    assert_int_equal(mid.port, 2944);
    assert_int_equal(h248_mid_parse(h248_str("<a.b>"), &mid), H248_OK);
    assert_int_equal(h248_mid_parse(h248_str("[1.2.3.4]:70000"), &mid), H248_ESYNTAX);
    assert_int_equal(h248_mid_parse(h248_str("[1.2.3.4] x"), &mid), H248_ESYNTAX);
    assert_int_equal(h248_mid_parse(h248_str("[]"), &mid), H248_ESYNTAX);
    assert_int_equal(h248_mid_parse(h248_str(""), &mid), H248_ESYNTAX);
}

/* ---- transactions ------------------------------------------------------------------------------ */

static void transaction_kinds_decode_in_all_versions_and_forms(void **state)
{
    static const char *pretty = "Transaction = 1 { Context = 5 { Subtract = ip/1/a/1 } }\n"
                                "Reply = 2 { ImmAckRequired, Context = 5 { Subtract = ip/1/a/1 } }\n"
                                "Reply = 3 { Error = 430 { \"Unknown TerminationID\" } }\n"
                                "Pending = 4 { }\n"
                                "TransactionResponseAck { 5, 7-9, 4294967295 }\n";
    static const char *compact = "T=1{C=5{S=ip/1/a/1}}P=2{IA,C=5{S=ip/1/a/1}}P=3{ER=430{\"Unknown TerminationID\"}}"
                                 "PN=4{}K{5,7-9,4294967295}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_message_t *m = decv(v, f, f ? compact : pretty);
            h248_txn_t *t = m->txns;
            assert_int_equal(t->kind, H248_TXN_REQUEST);
            assert_int_equal(t->id, 1);
            assert_int_equal(t->actions->ctx, 5);
            assert_int_equal(t->actions->cmds->kind, H248_CMD_SUBTRACT);
            t = t->next;
            assert_int_equal(t->kind, H248_TXN_REPLY);
            assert_int_equal(t->id, 2);
            assert_true(t->imm_ack);
            assert_non_null(t->actions);
            t = t->next;
            assert_int_equal(t->kind, H248_TXN_REPLY);
            assert_null(t->actions);
            assert_int_equal(t->error->code, 430);
            assert_str(t->error->text, "Unknown TerminationID");
            t = t->next;
            assert_int_equal(t->kind, H248_TXN_PENDING);
            assert_int_equal(t->id, 4);
            t = t->next;
            assert_int_equal(t->kind, H248_TXN_RESPONSE_ACK);
            h248_ack_range_t *r = t->acks;
            assert_int_equal(r->first, 5);
            assert_int_equal(r->last, 5);
            r = r->next;
            assert_int_equal(r->first, 7);
            assert_int_equal(r->last, 9);
            assert_int_equal(r->next->first, 4294967295u);
            assert_null(t->next);
        }
    }
}

static void message_level_error_decodes(void **state)
{
    h248_message_t *m = decv(1, false, "Error = 400 { \"Syntax error in message\" }");
    assert_null(m->txns);
    assert_int_equal(m->error->code, 400);
    assert_true(m->error->has_text);
    assert_str(m->error->text, "Syntax error in message");
    m = decv(3, true, "ER=406{}");
    assert_int_equal(m->error->code, 406);
    assert_false(m->error->has_text);
}

static void v3_segments_decode(void **state)
{
    h248_message_t *m = decv(3, false, "Reply = 9/2/END { Context = 1 { Add = a } }\nSegment = 9/1\nSegment = 9/2/END");
    h248_txn_t *t = m->txns;
    assert_int_equal(t->id, 9);
    assert_int_equal(t->segment, 2);
    assert_true(t->seg_complete);
    t = t->next;
    assert_int_equal(t->kind, H248_TXN_SEGMENT_REPLY);
    assert_int_equal(t->segment, 1);
    assert_false(t->seg_complete);
    assert_true(t->next->seg_complete);
    m = decv(3, true, "P=9/1{C=1{A=a}}SM=9/2/&");
    assert_int_equal(m->txns->segment, 1);
    assert_true(m->txns->next->seg_complete);
}

/* ---- contexts -------------------------------------------------------------------------------- */

static void context_ids_decode(void **state)
{
    h248_message_t *m = decv(1, true, "T=1{C=-{N=ROOT{OE=1{it/ito}}},C=${A=a},C=*{AV=*{AT{}}},C=4294967293{MF=a}}");
    h248_action_t *a = m->txns->actions;
    assert_int_equal(a->ctx, H248_CTX_NULL);
    assert_int_equal(a->cmds->tids->flags, H248_TID_ROOT);
    assert_int_equal(a->next->ctx, H248_CTX_CHOOSE);
    assert_int_equal(a->next->next->ctx, H248_CTX_ALL);
    assert_int_equal(a->next->next->cmds->tids->flags, H248_TID_ALL);
    assert_int_equal(a->next->next->next->ctx, 4294967293u);
}

static void context_properties_decode(void **state)
{
    static const char *pretty = "Transaction = 1 { Context = $ { Priority = 15, Emergency, "
                                "Topology { t1, t2, Bothway, t2, t3, Isolate, t3, t1, Oneway }, Add = t1 } }";
    static const char *compact = "T=1{C=${PR=15,EG,TP{t1,t2,BW,t2,t3,IS,t3,t1,OW},A=t1}}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_message_t *m = decv(v, f, f ? compact : pretty);
            h248_ctx_props_t *cp = m->txns->actions->props;
            assert_non_null(cp);
            assert_int_equal(cp->priority, 15);
            assert_int_equal(cp->emergency, H248_TRI_ON);
            h248_topology_t *tp = cp->topology;
            assert_str(tp->from, "t1");
            assert_str(tp->to, "t2");
            assert_int_equal(tp->dir, H248_TOPO_BOTHWAY);
            assert_int_equal(tp->next->dir, H248_TOPO_ISOLATE);
            assert_int_equal(tp->next->next->dir, H248_TOPO_ONEWAY);
            assert_null(tp->next->next->next);
            assert_int_equal(m->txns->actions->cmds->kind, H248_CMD_ADD);
        }
    }
}

static void v2_v3_context_properties_decode(void **state)
{
    h248_message_t *m = decv(2, false, "Transaction = 1 { Context = 7 { EmergencyOff, IEPSCall = ON, "
                                       "Topology { t1, t2, Oneway, Stream = 2 }, Modify = t1 } }");
    h248_ctx_props_t *cp = m->txns->actions->props;
    assert_int_equal(cp->emergency, H248_TRI_OFF);
    assert_int_equal(cp->ieps, H248_TRI_ON);
    assert_true(cp->topology->has_stream);
    assert_int_equal(cp->topology->stream, 2);
    m = decv(3, true, "T=1{C=7{EGO,IEPS=OFF,TP{t1,t2,OWE,t2,t1,OWB},CT{a/b=1,CLT={3,4}},MF=t1}}");
    cp = m->txns->actions->props;
    assert_int_equal(cp->ieps, H248_TRI_OFF);
    assert_int_equal(cp->topology->dir, H248_TOPO_ONEWAY_EXTERNAL);
    assert_int_equal(cp->topology->next->dir, H248_TOPO_ONEWAY_BOTH);
    assert_true(cp->has_attrs);
    assert_str(cp->attrs->name, "a/b");
    assert_int_equal(cp->nctx_list, 2);
    assert_int_equal(cp->ctx_list[1], 4);
}

static void context_audit_decodes(void **state)
{
    h248_message_t *m = decv(1, false, "Transaction = 1 { Context = 3 { ContextAudit { Topology, Emergency, Priority } } }");
    h248_ctx_audit_t *ca = m->txns->actions->audit;
    assert_int_equal(ca->items, H248_CA_TOPOLOGY | H248_CA_EMERGENCY | H248_CA_PRIORITY);
    assert_null(m->txns->actions->cmds);
    m = decv(2, true, "T=1{C=3{CA{TP,IEPS,a/b}}}");
    ca = m->txns->actions->audit;
    assert_int_equal(ca->items, H248_CA_TOPOLOGY | H248_CA_IEPS);
    assert_str(ca->props->name, "a/b");
    assert_int_equal(ca->props->kind, H248_VAL_NONE);
    m = decv(3, false, "Transaction = 1 { Context = * { ContextAudit { Priority = 3, EmergencyValue = EmergencyOff, "
                       "IEPSCall = ON, ORLgc, ContextAttr { a/b = 2 } } } }");
    ca = m->txns->actions->audit;
    assert_int_equal(ca->sel_priority, 3);
    assert_int_equal(ca->sel_emergency, H248_TRI_OFF);
    assert_int_equal(ca->sel_ieps, H248_TRI_ON);
    assert_int_equal(ca->logic, H248_LOGIC_OR);
    assert_str(ca->props->values->s, "2");
}

/* ---- commands -------------------------------------------------------------------------------- */

static void every_command_and_prefix_decodes_in_both_forms(void **state)
{
    static const struct {
        const char *lng, *shrt;
        h248_cmd_kind_t kind;
    } cmds[] = {
        {"Add", "A", H248_CMD_ADD},
        {"Modify", "MF", H248_CMD_MODIFY},
        {"Subtract", "S", H248_CMD_SUBTRACT},
        {"Move", "MV", H248_CMD_MOVE},
        {"AuditValue", "AV", H248_CMD_AUDIT_VALUE},
        {"AuditCapability", "AC", H248_CMD_AUDIT_CAP},
        {"Notify", "N", H248_CMD_NOTIFY},
        {"ServiceChange", "SC", H248_CMD_SERVICE_CHANGE},
    };
    static const char *pre[] = {"", "O-", "W-", "O-W-", "o-w-"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        for (size_t k = 0; k < sizeof(pre) / sizeof(pre[0]); k++) {
            for (int f = 0; f < 2; f++) {
                for (int v = 1; v <= 3; v++) {
                    char *body = arena_printf(&A, "Reply = 1 { Context = 2 { %s%s = ip/1/*/3 } }", pre[k],
                                              f ? cmds[i].shrt : cmds[i].lng);
                    h248_cmd_t *c = cmd1(decv(v, f, body));
                    assert_int_equal(c->kind, cmds[i].kind);
                    assert_int_equal(c->optional, strchr(pre[k], 'O') || strchr(pre[k], 'o'));
                    assert_int_equal(c->wildcard_reply, strchr(pre[k], 'W') || strchr(pre[k], 'w'));
                    assert_int_equal(c->tids->flags, H248_TID_ALL);
                    assert_false(c->has_body);
                }
            }
        }
    }
}

static void keywords_are_case_insensitive(void **state)
{
    h248_message_t *m = dec("mEgAcO/1 [192.0.2.1] tRaNsAcTiOn=1{cOnTeXt=1{aDd=x{mEdIa{lOcAlCoNtRoL{mOdE=sEnDrEcEiVe}}}}}");
    assert_int_equal(desc1(m)->u.media.streams->lc->mode, H248_MODE_SENDRECV);
    m = dec("!/1 [192.0.2.1] t=1{c=1{a=x{m{o{mo=rc}}}}}");
    assert_int_equal(desc1(m)->u.media.streams->lc->mode, H248_MODE_RECVONLY);
}

static void v3_termination_id_lists_decode(void **state)
{
    h248_cmd_t *c = cmd1(decv(3, false, "Transaction = 1 { Context = 1 { Modify = [t1, t2/$, t3/*] { Media { } } } }"));
    assert_true(c->tid_list);
    assert_str(c->tids->name, "t1");
    assert_int_equal(c->tids->next->flags, H248_TID_CHOOSE);
    assert_int_equal(c->tids->next->next->flags, H248_TID_ALL);
    assert_true(c->has_body);
}

static void audit_reply_context_form_decodes(void **state)
{
    h248_cmd_t *c = cmd1(decv(1, false, "Reply = 1 { Context = 5 { AuditValue = Context { t1, t2 } } }"));
    assert_true(c->ctx_audit_reply);
    assert_str(c->tids->next->name, "t2");
    c = cmd1(decv(2, true, "P=1{C=5{AV=C{ER=411{}}}}"));
    assert_true(c->ctx_audit_reply);
    assert_int_equal(c->descs->kind, H248_D_ERROR);
    assert_int_equal(c->descs->u.error.code, 411);
}

/* ---- Media ------------------------------------------------------------------------------------ */

static void media_with_streams_and_all_stream_parameters_decodes(void **state)
{
    static const char *pretty =
        "Transaction = 1 { Context = $ { Add = ip/1/a/$ { Media { TerminationState { ServiceStates = InService, "
        "Buffer = LockStep, gm/x = 1 }, Stream = 1 { LocalControl { Mode = SendOnly, ReservedValue = ON, "
        "ReservedGroup = OFF, ds/dscp = 2e, tman/pol = ON }, Local { v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n }, "
        "Remote { v=0 c=IN IP4 1.2.3.4 a=x:\\} y } }, Stream = 2 { LocalControl { Mode = Inactive } } } } } }";
    static const char *compact =
        "T=1{C=${A=ip/1/a/${M{TS{SI=IV,BF=SP,gm/x=1},ST=1{O{MO=SO,RV=ON,RG=OFF,ds/dscp=2e,tman/pol=ON},L{ v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n },"
        "R{ v=0 c=IN IP4 1.2.3.4 a=x:\\} y }},ST=2{O{MO=IN}}}}}}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_media_t *md = &desc1(decv(v, f, f ? compact : pretty))->u.media;
            assert_int_equal(md->ts->service_state, H248_SVC_IN_SERVICE);
            assert_int_equal(md->ts->buffer, H248_BUF_LOCKSTEP);
            assert_str(md->ts->props->name, "gm/x");
            h248_stream_t *s = md->streams;
            assert_true(s->explicit_id);
            assert_int_equal(s->id, 1);
            assert_int_equal(s->lc->mode, H248_MODE_SENDONLY);
            assert_int_equal(s->lc->reserved_value, 1);
            assert_int_equal(s->lc->reserved_group, 0);
            assert_int_equal(count_props(s->lc->props), 2);
            assert_str(s->local->text, " v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n ");
            assert_str(s->remote->text, " v=0 c=IN IP4 1.2.3.4 a=x:\\} y ");
            assert_null(s->remote->sdp);
            assert_int_equal(s->next->id, 2);
            assert_int_equal(s->next->lc->mode, H248_MODE_INACTIVE);
            assert_int_equal(s->next->lc->reserved_value, -1);
        }
    }
}

static void every_stream_mode_and_service_state_decodes(void **state)
{
    static const struct {
        const char *lng, *shrt;
        h248_mode_t mode;
    } modes[] = {{"SendOnly", "SO", H248_MODE_SENDONLY}, {"ReceiveOnly", "RC", H248_MODE_RECVONLY},
                 {"SendReceive", "SR", H248_MODE_SENDRECV}, {"Inactive", "IN", H248_MODE_INACTIVE},
                 {"Loopback", "LB", H248_MODE_LOOPBACK}};
    for (size_t i = 0; i < 5; i++) {
        for (int f = 0; f < 2; f++) {
            char *b = arena_printf(&A, "T=1{C=1{MF=t{M{O{MO=%s}}}}}", f ? modes[i].shrt : modes[i].lng);
            assert_int_equal(desc1(decv(1, true, b))->u.media.streams->lc->mode, modes[i].mode);
        }
    }
    static const struct {
        const char *s;
        h248_svc_state_t st;
    } svc[] = {{"Test", H248_SVC_TEST}, {"TE", H248_SVC_TEST}, {"OutOfService", H248_SVC_OUT_OF_SERVICE},
               {"OS", H248_SVC_OUT_OF_SERVICE}, {"InService", H248_SVC_IN_SERVICE}, {"IV", H248_SVC_IN_SERVICE}};
    for (size_t i = 0; i < 6; i++) {
        char *b = arena_printf(&A, "T=1{C=-{MF=ROOT{M{TS{ServiceStates=%s,Buffer=OFF}}}}}", svc[i].s);
        h248_term_state_t *ts = desc1(decv(2, true, b))->u.media.ts;
        assert_int_equal(ts->service_state, svc[i].st);
        assert_int_equal(ts->buffer, H248_BUF_OFF);
    }
}

static void package_property_at_media_level_is_taken_into_local_control(void **state)
{
    /* before and without LocalControl, with and without Stream */
    h248_stream_t *s = desc1(decv(3, true, "T=1{C=1{MF=t{M{li/LITID=[1,2],O{MO=SR}}}}}"))->u.media.streams;
    assert_int_equal(s->lc->mode, H248_MODE_SENDRECV);
    assert_int_equal(s->lc->props->flags, H248_PROP_STREAM_LEVEL);
    s = desc1(decv(3, true, "T=1{C=1{MF=t{M{ST=1{L{},li/LICn=00ff}}}}}"))->u.media.streams;
    assert_true(s->explicit_id);
    assert_int_equal(s->lc->mode, H248_MODE_NONE);
    assert_str(s->lc->props->name, "li/LICn");
    assert_int_equal(s->lc->props->flags, H248_PROP_STREAM_LEVEL);
}

static void v2_stream_statistics_decode(void **state)
{
    h248_stream_t *s = desc1(decv(2, false, "Reply = 1 { Context = 1 { Subtract = t { Media { Stream = 1 { "
                                            "Statistics { rtp/ps = 10, rtp/pr = 9 } } } } } }"))->u.media.streams;
    assert_true(s->stats_present);
    assert_int_equal(count_props(s->stats), 2);
    assert_str(s->stats->next->values->s, "9");
}

/* "SY!=BR" in a signal: SY is a reserved word, so the name keeps its '!' and the relation is
 * '=' - the reading that encodes back to text the decoder accepts ("SY # BR" would not be). */
static void bang_equal_after_a_reserved_word_is_a_name_not_a_relation(void **state)
{
    h248_message_t *m = decv(3, true, "T=1{C=1{MF=t{SG{cg/bt{SY!=BR}}}}}");
    const h248_prop_t *p = desc1(m)->u.signals->params;
    assert_str(p->name, "SY!");
    assert_int_equal(p->rel, H248_REL_EQ);
    assert_str(p->values->s, "BR");
    char buf[256];
    assert_true(h248_encode(m, H248_COMPACT, buf, sizeof(buf)) > 0);
    dec(buf);
}

/* ---- property values ------------------------------------------------------------------------ */

static void property_values_and_relations_decode(void **state)
{
    h248_message_t *m = decv(3, false,
                             "Transaction = 1 { Context = 1 { Modify = t { Media { LocalControl { "
                             "a/single = 5, a/quoted = \"x, y {z}\", a/list = [1, 2, 3], a/alt = {4, 5}, "
                             "a/range = [6 : 7], a/gt > 8, a/lt < 9, a/ne # 10, a/ne2 != 11, a/ne3!=12 } } } } }");
    const h248_prop_t *p = desc1(m)->u.media.streams->lc->props;
    assert_int_equal(p->kind, H248_VAL_SINGLE);
    assert_int_equal(p->rel, H248_REL_EQ);
    assert_str(p->values->s, "5");
    assert_false(p->values->quoted);
    p = p->next;
    assert_true(p->values->quoted);
    assert_str(p->values->s, "x, y {z}");
    p = p->next;
    assert_int_equal(p->kind, H248_VAL_LIST);
    assert_int_equal(p->nvalues, 3);
    assert_str(p->values->next->next->s, "3");
    p = p->next;
    assert_int_equal(p->kind, H248_VAL_ALT);
    assert_int_equal(p->nvalues, 2);
    p = p->next;
    assert_int_equal(p->kind, H248_VAL_RANGE);
    assert_str(p->values->s, "6");
    assert_str(p->values->next->s, "7");
    p = p->next;
    assert_int_equal(p->rel, H248_REL_GT);
    p = p->next;
    assert_int_equal(p->rel, H248_REL_LT);
    p = p->next;
    assert_int_equal(p->rel, H248_REL_NE);
    assert_str(p->values->s, "10");
    p = p->next;
    assert_int_equal(p->rel, H248_REL_NE);
    assert_str(p->name, "a/ne2");
    assert_str(p->values->s, "11");
    p = p->next;
    assert_int_equal(p->rel, H248_REL_NE);
    assert_str(p->name, "a/ne3");
    assert_str(p->values->s, "12");
}

/* ---- Events, Signals, ObservedEvents, EventBuffer, DigitMap --------------------------------- */

static void events_with_every_parameter_decode(void **state)
{
    static const char *pretty =
        "Transaction = 1 { Context = 1 { Modify = t { Events = 7 { al/on { KeepActive, Stream = 2, "
        "Embed { Signals { cg/rt }, Events = 8 { al/on, dd/ce { DigitMap = dm1 } } } }, "
        "dd/ce { DigitMap { (0s|00s|[1-7]xxx) } }, it/ito { mit = 12000 } } } } }";
    static const char *compact =
        "T=1{C=1{MF=t{E=7{al/on{KA,ST=2,EM{SG{cg/rt},E=8{al/on,dd/ce{DM=dm1}}}},dd/ce{DM{(0s|00s|[1-7]xxx)}},"
        "it/ito{mit=12000}}}}}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_desc_t *d = desc1(decv(v, f, f ? compact : pretty));
            assert_int_equal(d->kind, H248_D_EVENTS);
            assert_int_equal(d->u.events.request_id, 7);
            h248_event_t *e = d->u.events.list;
            assert_str(e->name, "al/on");
            assert_true(e->keep_active);
            assert_true(e->has_stream);
            assert_int_equal(e->stream, 2);
            assert_true(e->has_embed_signals);
            assert_str(e->embed_signals->name, "cg/rt");
            assert_int_equal(e->embed_events->request_id, 8);
            assert_str(e->embed_events->list->next->dm->name, "dm1");
            e = e->next;
            assert_true(e->dm->has_body);
            assert_str(e->dm->body, "(0s|00s|[1-7]xxx)");
            e = e->next;
            assert_str(e->params->name, "mit");
            assert_str(e->params->values->s, "12000");
        }
    }
}

static void v3_event_notification_behaviour_decodes(void **state)
{
    h248_event_t *e = desc1(decv(3, true, "T=1{C=1{MF=t{E=1{a/b{NBIN},a/c{NBNN,RSE},a/d{NBRN{EM{SG{x/y}}}}}}}}"))->u.events.list;
    assert_int_equal(e->nb, H248_NB_IMMEDIATE);
    assert_int_equal(e->next->nb, H248_NB_NEVER);
    assert_true(e->next->reset_events);
    assert_int_equal(e->next->next->nb, H248_NB_REGULATED);
    assert_str(e->next->next->nb_embed_signals->name, "x/y");
}

static void signals_with_lists_and_every_parameter_decode(void **state)
{
    static const char *pretty =
        "Transaction = 1 { Context = 1 { Modify = t { Signals { cg/rt { SignalType = TimeOut, Duration = 3000, "
        "NotifyCompletion = { TimeOut, IntByEvent, IntBySigDescr, OtherReason }, KeepActive, Stream = 1, "
        "freq = 425 }, SignalList = 3 { an/apf { SignalType = Brief }, an/apg { SignalType = OnOff } } } } } }";
    static const char *compact =
        "T=1{C=1{MF=t{SG{cg/rt{SY=TO,DR=3000,NC={TO,IBE,IBS,OR},KA,ST=1,freq=425},SL=3{an/apf{SY=BR},an/apg{SY=OO}}}}}}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_signal_t *s = desc1(decv(v, f, f ? compact : pretty))->u.signals;
            assert_str(s->name, "cg/rt");
            assert_int_equal(s->type, H248_SIGTYPE_TIMEOUT);
            assert_int_equal(s->duration, 3000);
            assert_int_equal(s->notify_completion,
                             H248_NC_TIMEOUT | H248_NC_INTERRUPT_EVENT | H248_NC_INTERRUPT_SIGNALS | H248_NC_OTHER);
            assert_true(s->keep_active);
            assert_int_equal(s->stream, 1);
            assert_str(s->params->name, "freq");
            s = s->next;
            assert_true(s->is_list);
            assert_int_equal(s->list_id, 3);
            assert_int_equal(s->list->type, H248_SIGTYPE_BRIEF);
            assert_int_equal(s->list->next->type, H248_SIGTYPE_ONOFF);
        }
    }
    /* empty Signals stops all signals */
    h248_desc_t *d = desc1(decv(1, true, "T=1{C=1{MF=t{SG{}}}}"));
    assert_int_equal(d->kind, H248_D_SIGNALS);
    assert_false(d->bare);
    assert_null(d->u.signals);
    /* v2/v3 signal parameters */
    h248_signal_t *s = desc1(decv(3, true, "T=1{C=1{MF=t{SG{a/b{SPADI=EX,SPARQ=5,SPAIS=40,NC={IR}}}}}}"))->u.signals;
    assert_int_equal(s->direction, H248_DIR_EXTERNAL);
    assert_int_equal(s->request_id, 5);
    assert_int_equal(s->intsig_delay, 40);
    assert_int_equal(s->notify_completion, H248_NC_ITERATION);
}

static void observed_events_with_timestamps_decode(void **state)
{
    static const char *pretty = "Transaction = 5 { Context = - { Notify = ROOT { ObservedEvents = 1 { "
                                "20240101T10000000 : it/ito { mit = 12000 }, hangterm/thb { Stream = 1 } } } } }";
    static const char *compact = "T=5{C=-{N=ROOT{OE=1{20240101T10000000:it/ito{mit=12000},hangterm/thb{ST=1}}}}}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_desc_t *d = desc1(decv(v, f, f ? compact : pretty));
            assert_int_equal(d->kind, H248_D_OBSERVED_EVENTS);
            h248_event_t *e = d->u.events.list;
            assert_str(e->timestamp, "20240101T10000000");
            assert_str(e->name, "it/ito");
            assert_int_equal(e->next->timestamp.len, 0);
            assert_int_equal(e->next->stream, 1);
        }
    }
}

static void event_buffer_digitmap_mux_modem_decode(void **state)
{
    h248_cmd_t *c = cmd1(decv(1, false,
                              "Transaction = 1 { Context = 1 { Modify = t { EventBuffer { dd/ce { Stream = 1 }, al/on }, "
                              "DigitMap = dm2 { T:10, (0s|1x) }, Mux = H221 { t1, t2 }, Modem [V18, V32bis] { x/y = 1 } } } }"));
    h248_desc_t *d = c->descs;
    assert_int_equal(d->kind, H248_D_EVENT_BUFFER);
    assert_int_equal(d->u.events.list->stream, 1);
    d = d->next;
    assert_int_equal(d->kind, H248_D_DIGITMAP);
    assert_str(d->u.digitmap.name, "dm2");
    assert_str(d->u.digitmap.body, "T:10, (0s|1x)");
    d = d->next;
    assert_str(d->u.mux.type, "H221");
    assert_str(d->u.mux.tids->next->name, "t2");
    d = d->next;
    assert_str(d->u.modem.types->next->s, "V32bis");
    assert_str(d->u.modem.props->name, "x/y");
    c = cmd1(decv(1, true, "T=1{C=1{MF=t{DM={(1x)},DM=only,MD=V18,EB{}}}}"));
    assert_str(c->descs->u.digitmap.body, "(1x)");
    assert_str(c->descs->next->u.digitmap.name, "only");
    assert_false(c->descs->next->u.digitmap.has_body);
    assert_str(c->descs->next->next->u.modem.types->s, "V18");
}

/* ---- Statistics, Audit, Packages, Error ------------------------------------------------------ */

static void statistics_packages_and_error_descriptors_decode(void **state)
{
    static const char *pretty = "Reply = 3 { Context = 1 { Subtract = t { Statistics { nt/os = 45123, nt/or = 45001, "
                                "rtp/pl = \"1.5\", rtp/jit } }, AuditValue = ROOT { Packages { nt-1, rtp-2, g-1 } }, "
                                "Modify = u { Error = 445 { \"Unknown property\" } } } }";
    static const char *compact = "P=3{C=1{S=t{SA{nt/os=45123,nt/or=45001,rtp/pl=\"1.5\",rtp/jit}},AV=ROOT{PG{nt-1,rtp-2,g-1}},"
                                 "MF=u{ER=445{\"Unknown property\"}}}}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_cmd_t *c = cmd1(decv(v, f, f ? compact : pretty));
            h248_prop_t *st = c->descs->u.stats;
            assert_int_equal(count_props(st), 4);
            assert_str(st->values->s, "45123");
            assert_true(st->next->next->values->quoted);
            assert_int_equal(st->next->next->next->kind, H248_VAL_NONE);
            h248_pkgitem_t *pk = c->next->descs->u.packages;
            assert_str(pk->name, "nt");
            assert_int_equal(pk->version, 1);
            assert_int_equal(pk->next->version, 2);
            h248_desc_t *e = c->next->next->descs;
            assert_int_equal(e->kind, H248_D_ERROR);
            assert_int_equal(e->u.error.code, 445);
            assert_str(e->u.error.text, "Unknown property");
        }
    }
}

static void audit_descriptors_decode_v1_tokens_and_v2_ind_aud_forms(void **state)
{
    h248_desc_t *d = desc1(decv(1, false, "Transaction = 1 { Context = - { AuditValue = ROOT { Audit { Media, Events, "
                                          "Signals, DigitMap, Statistics, Packages, EventBuffer, ObservedEvents, Mux, Modem } } } }"));
    assert_int_equal(d->kind, H248_D_AUDIT);
    int n = 0;
    for (h248_desc_t *i = d->u.audit; i; i = i->next, n++) assert_true(i->bare);
    assert_int_equal(n, 10);
    assert_int_equal(d->u.audit->kind, H248_D_MEDIA);
    assert_int_equal(d->u.audit->next->next->next->next->next->kind, H248_D_PACKAGES);
    d = desc1(decv(1, true, "T=1{C=-{AC=ROOT{AT{}}}}"));
    assert_int_equal(d->kind, H248_D_AUDIT);
    assert_null(d->u.audit);
    d = desc1(decv(2, true, "T=1{C=1{AV=t{AT{M{ST=1{O{MO,RV,tman/pol}},TS{SI,BF}},E,SA{nt/os}}}}}"));
    h248_desc_t *md = d->u.audit;
    assert_false(md->bare);
    h248_local_control_t *lc = md->u.media.streams->lc;
    assert_int_equal(lc->audit, H248_AUD_MODE | H248_AUD_RESERVED_VALUE);
    assert_int_equal(lc->props->kind, H248_VAL_NONE);
    assert_int_equal(md->u.media.ts->audit, H248_AUD_SERVICE_STATES | H248_AUD_BUFFER);
    assert_true(md->next->bare);
    assert_str(md->next->next->u.stats->name, "nt/os");
}

static void audit_reply_return_items_decode(void **state)
{
    h248_cmd_t *c = cmd1(decv(1, false, "Reply = 1 { Context = - { AuditValue = ROOT { Media, Packages { nt-1 }, "
                                        "Events = 2 { it/ito } } } }"));
    assert_true(c->descs->bare);
    assert_int_equal(c->descs->kind, H248_D_MEDIA);
    assert_false(c->descs->next->bare);
    assert_int_equal(c->descs->next->next->u.events.request_id, 2);
}

/* ---- ServiceChange ---------------------------------------------------------------------------- */

static void service_change_parameters_decode(void **state)
{
    static const char *pretty =
        "Transaction = 9 { Context = - { ServiceChange = ROOT { Services { Method = Restart, Reason = \"901 Cold Boot\", "
        "Delay = 30, ServiceChangeAddress = [192.0.2.1]:2944, Profile = ETSI_BGF/1, Version = 3, "
        "20240101T10000000, X-foo = bar } } } }";
    static const char *compact = "T=9{C=-{SC=ROOT{SV{MT=RS,RE=\"901 Cold Boot\",DL=30,AD=[192.0.2.1]:2944,PF=ETSI_BGF/1,V=3,"
                                 "20240101T10000000,X-foo=bar}}}}";
    for (int v = 1; v <= 3; v++) {
        for (int f = 0; f < 2; f++) {
            h248_desc_t *d = desc1(decv(v, f, f ? compact : pretty));
            assert_int_equal(d->kind, H248_D_SERVICE_CHANGE);
            h248_service_change_t *sc = &d->u.sc;
            assert_int_equal(sc->method, H248_SCM_RESTART);
            assert_str(sc->reason->s, "901 Cold Boot");
            assert_true(sc->reason->quoted);
            assert_int_equal(sc->delay, 30);
            assert_int_equal(sc->address->kind, H248_MID_IP4);
            assert_int_equal(sc->address->port, 2944);
            assert_str(sc->profile, "ETSI_BGF/1");
            assert_int_equal(sc->version, 3);
            assert_str(sc->timestamp, "20240101T10000000");
            assert_str(sc->ext->name, "X-foo");
            assert_null(sc->mgc_id);
        }
    }
    static const struct {
        const char *s;
        h248_sc_method_t m;
    } methods[] = {{"Failover", H248_SCM_FAILOVER}, {"FL", H248_SCM_FAILOVER}, {"Forced", H248_SCM_FORCED},
                   {"FO", H248_SCM_FORCED}, {"Graceful", H248_SCM_GRACEFUL}, {"GR", H248_SCM_GRACEFUL},
                   {"Restart", H248_SCM_RESTART}, {"Disconnected", H248_SCM_DISCONNECTED},
                   {"DC", H248_SCM_DISCONNECTED}, {"HandOff", H248_SCM_HANDOFF}, {"HO", H248_SCM_HANDOFF},
                   {"X-mine", H248_SCM_EXTENSION}};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        char *b = arena_printf(&A, "T=1{C=-{SC=ROOT{SV{MT=%s,RE=905}}}}", methods[i].s);
        assert_int_equal(desc1(decv(1, true, b))->u.sc.method, methods[i].m);
    }
}

static void service_change_reply_addresses_decode(void **state)
{
    h248_desc_t *d = desc1(decv(1, false, "Reply = 9 { Context = - { ServiceChange = ROOT { Services { "
                                          "MgcIdToTry = <mgc2.example>:2944, Profile = ETSI_BGF/1 } } } }"));
    assert_int_equal(d->u.sc.mgc_id->kind, H248_MID_DOMAIN);
    assert_str(d->u.sc.mgc_id->addr, "mgc2.example");
    d = desc1(decv(1, true, "P=9{C=-{SC=ROOT{SV{AD=55555}}}}"));
    assert_int_equal(d->u.sc.address->kind, H248_MID_PORT);
    assert_int_equal(d->u.sc.address->port, 55555);
    d = desc1(decv(2, true, "P=9{C=-{SC=ROOT{SV{AD=[2001:db8::2]}}}}"));
    assert_int_equal(d->u.sc.address->kind, H248_MID_IP6);
    h248_cmd_t *c = cmd1(decv(1, true, "P=9{C=-{SC=ROOT{ER=505{\"Version not supported\"}}}}"));
    assert_int_equal(c->descs->u.error.code, 505);
    d = desc1(decv(3, true, "T=9{C=-{SC=ROOT{SV{MT=FO,RE=905,SIC,M{TS{SI=OS}}}}}}"));
    assert_true(d->u.sc.incomplete);
    assert_int_equal(d->u.sc.info->kind, H248_D_MEDIA);
}

/* ---- white space, comments, line ends ------------------------------------------------------ */

static void white_space_comments_and_line_ends_are_skipped(void **state)
{
    static const char *texts[] = {
        "MEGACO/1 [192.0.2.1]:2944 ; the header\r\nTransaction=1{Context=1{Add=t}} ; end",
        "MEGACO/1 [192.0.2.1]:2944\rTransaction\t=\t1\r{\rContext = 1 {\r\nAdd = t ;c\r} }\r",
        "  \t\r\n;leading comment\nMEGACO/1 [192.0.2.1]:2944\n\n\tTransaction = 1 {\n;x\n Context = 1 { Add = t } }\n\n",
        "!/1 [192.0.2.1]:2944 T=1{C=1{A=t}}",
        "!/1 [192.0.2.1]:2944\nT=1{C=1{A=t}}\n",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        h248_cmd_t *c = cmd1(dec(texts[i]));
        assert_int_equal(c->kind, H248_CMD_ADD);
        assert_str(c->tids->name, "t");
    }
}

static void several_transactions_and_actions_keep_their_order(void **state)
{
    h248_message_t *m = decv(3, true, "T=1{C=1{A=a,A=b},C=2{MF=c}}T=2{C=3{S=d}}P=3{C=4{A=e}}");
    h248_txn_t *t = m->txns;
    assert_int_equal(t->id, 1);
    assert_str(t->actions->cmds->next->tids->name, "b");
    assert_int_equal(t->actions->next->ctx, 2);
    assert_int_equal(t->next->id, 2);
    assert_int_equal(t->next->next->kind, H248_TXN_REPLY);
    assert_null(t->next->next->next);
    assert_str(t->next->raw, "T=2{C=3{S=d}}");
}

static void strings_are_views_into_the_input(void **state)
{
    const char *text = "!/1 [192.0.2.1] T=1{C=1{A=term7{M{O{a/b=v}}}}}";
    h248_message_t *m;
    h248_error_t e;
    assert_int_equal(h248_decode(text, strlen(text), &A, &m, &e), H248_OK);
    h248_cmd_t *c = cmd1(m);
    assert_ptr_equal(c->tids->name.p, strstr(text, "term7"));
    assert_ptr_equal(m->mid.addr.p, text + 5);
}

static void arena_limit_gives_nomem_not_a_crash(void **state)
{
    arena_t small;
    arena_init(&small, 256, 600);
    h248_message_t *m;
    h248_error_t e;
    char *big = arena_printf(&A, "!/1 [1.2.3.4] T=1{C=1{%s}}", "A=a,A=b,A=c,A=d,A=e,A=f,A=g,A=h,A=i,A=j,A=k,A=l,"
                                                                "A=m,A=n,A=o,A=p,A=q,A=r,A=s,A=t,A=u,A=v,A=w,A=x");
    assert_int_equal(h248_decode(big, strlen(big), &small, &m, &e), H248_ENOMEM);
    assert_int_equal(e.code, 510);
    arena_free(&small);
    /* and err may be NULL */
    assert_int_equal(decode_rc("!/1 [1.2.3.4] T=1{", NULL), H248_ESYNTAX);
}

static void every_keyword_is_found_in_any_case_and_near_misses_are_not(void **state)
{
    for (int kw = 1; kw < KW_COUNT; kw++) {
        const char *lng = h248_kw_long(kw);
        size_t n = strlen(lng);
        char up[64], low[64], miss[64];
        assert_true(n > 0 && n < sizeof(up));
        for (size_t i = 0; i <= n; i++) {
            up[i] = (char)(lng[i] >= 'a' && lng[i] <= 'z' ? lng[i] - 32 : lng[i]);
            low[i] = (char)(lng[i] >= 'A' && lng[i] <= 'Z' ? lng[i] + 32 : lng[i]);
        }
        assert_int_equal(h248_kw_find(lng, n), kw);
        assert_int_equal(h248_kw_find(up, n), kw);
        assert_int_equal(h248_kw_find(low, n), kw);
        memcpy(miss, lng, n + 1);
        miss[n / 2] = miss[n / 2] == 'q' ? 'z' : 'q';
        assert_int_not_equal(h248_kw_find(miss, n), kw);
        assert_int_equal(h248_kw_find(lng, n - 1 ? n - 1 : 1) == kw, n == 1);
    }
    static const char *const none[] = {"ip", "li/LICn", "ffffff00", "20240101T10000000", "Adds", "Mediaa", "X-foo"};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        assert_int_equal(h248_kw_find(none[i], strlen(none[i])), KW_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_request_decodes_with_litid_as_local_control_property),
        cmocka_unit_test(header_mid_forms_decode),
        cmocka_unit_test(authentication_header_decodes),
        cmocka_unit_test(mid_parse_helper_accepts_config_forms),
        cmocka_unit_test(transaction_kinds_decode_in_all_versions_and_forms),
        cmocka_unit_test(message_level_error_decodes),
        cmocka_unit_test(v3_segments_decode),
        cmocka_unit_test(context_ids_decode),
        cmocka_unit_test(context_properties_decode),
        cmocka_unit_test(v2_v3_context_properties_decode),
        cmocka_unit_test(context_audit_decodes),
        cmocka_unit_test(every_command_and_prefix_decodes_in_both_forms),
        cmocka_unit_test(keywords_are_case_insensitive),
        cmocka_unit_test(v3_termination_id_lists_decode),
        cmocka_unit_test(audit_reply_context_form_decodes),
        cmocka_unit_test(media_with_streams_and_all_stream_parameters_decodes),
        cmocka_unit_test(every_stream_mode_and_service_state_decodes),
        cmocka_unit_test(package_property_at_media_level_is_taken_into_local_control),
        cmocka_unit_test(v2_stream_statistics_decode),
        cmocka_unit_test(property_values_and_relations_decode),
        cmocka_unit_test(events_with_every_parameter_decode),
        cmocka_unit_test(v3_event_notification_behaviour_decodes),
        cmocka_unit_test(signals_with_lists_and_every_parameter_decode),
        cmocka_unit_test(observed_events_with_timestamps_decode),
        cmocka_unit_test(event_buffer_digitmap_mux_modem_decode),
        cmocka_unit_test(statistics_packages_and_error_descriptors_decode),
        cmocka_unit_test(audit_descriptors_decode_v1_tokens_and_v2_ind_aud_forms),
        cmocka_unit_test(audit_reply_return_items_decode),
        cmocka_unit_test(service_change_parameters_decode),
        cmocka_unit_test(service_change_reply_addresses_decode),
        cmocka_unit_test(white_space_comments_and_line_ends_are_skipped),
        cmocka_unit_test(several_transactions_and_actions_keep_their_order),
        cmocka_unit_test(strings_are_views_into_the_input),
        cmocka_unit_test(arena_limit_gives_nomem_not_a_crash),
        cmocka_unit_test(every_keyword_is_found_in_any_case_and_near_misses_are_not),
        cmocka_unit_test(bang_equal_after_a_reserved_word_is_a_name_not_a_relation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
