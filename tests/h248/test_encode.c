/* test_encode.c - the H.248 text encoder: golden text for the seed request and a few messages in
 * both forms, every construct of the tree in both forms, quoting, buffer-size reporting and
 * trees that cannot be encoded. Trees are built with the constructors (no decoder needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "h248/h248.h"
#include "h248/sdp.h"
#include "h248_trees.h"

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

static h248_str_t sv(const char *s)
{
    return (h248_str_t){s, (uint32_t)strlen(s)};
}

/* Encode m in form; checks h248_encoded_size agrees and the text is NUL-terminated. */
static char *enc(const h248_message_t *m, h248_form_t form)
{
    int need = h248_encoded_size(m, form);
    if (need < 0) fail_msg("encoded_size: %d", need);
    char *buf = arena_alloc(&A, (size_t)need + 1);
    assert_int_equal(h248_encode(m, form, buf, (size_t)need + 1), need);
    assert_int_equal(buf[need], '\0');
    return buf;
}

static void assert_has(const char *text, const char *part)
{
    if (!strstr(text, part)) fail_msg("\"%s\" not in:\n%s", part, text);
}

static const char SEED_PRETTY[] = "MEGACO/2 [123.123.123.3]:2944\n"
                                   "Transaction = 10003 {\n"
                                   "    Context = $ {\n"
                                   "        Add = $ {\n"
                                   "            Media {\n"
                                   "                LocalControl {\n"
                                   "                    Mode = SendReceive,\n"
                                   "                    li/LICn = ff00ff00ff00ff00,\n"
                                   "                    li/LITID = [ffffff00, ffffff01]\n"
                                   "                },\n"
                                   "                Remote {\n"
                                   "v=0\n"
                                   "c=IN IP4 124.124.124.222\n"
                                   "m=audio 2222 RTP/AVP 0\n"
                                   "a=ptime:20\n"
                                   "                }\n"
                                   "            }\n"
                                   "        }\n"
                                   "    }\n"
                                   "}\n";

static const char SEED_COMPACT[] = "!/2 [123.123.123.3]:2944\n"
                                    "T=10003{C=${A=${M{O{MO=SR,li/LICn=ff00ff00ff00ff00,"
                                    "li/LITID=[ffffff00,ffffff01]},R{\n"
                                    "v=0\n"
                                    "c=IN IP4 124.124.124.222\n"
                                    "m=audio 2222 RTP/AVP 0\n"
                                    "a=ptime:20\n"
                                    "}}}}}";

static void seed_request_encodes_with_litid_inside_local_control(void **state)
{
    h248_message_t *m = seed_tree(&A);
    assert_string_equal(enc(m, H248_PRETTY), SEED_PRETTY);
    assert_string_equal(enc(m, H248_COMPACT), SEED_COMPACT);
}

static void parsed_sdp_is_written_from_its_structure(void **state)
{
    h248_message_t *m = seed_tree(&A);
    h248_stream_t *s = m->txns->actions->cmds->descs->u.media.streams;
    h248_sdp_block_t *b = s->remote;
    assert_int_equal(h248_sdp_parse(b->text.p, b->text.len, &A, &b->sdp, NULL), 0);
    assert_int_equal(h248_sdp_set_port(b->sdp->groups->media->m, &A, 3000), 0);
    char *out = enc(m, H248_COMPACT);
    assert_has(out, "R{\nv=0\nc=IN IP4 124.124.124.222\nm=audio 3000 RTP/AVP 0\na=ptime:20\n}");
    /* an empty Local is written as empty braces */
    s->local = arena_alloc(&A, sizeof(*s->local));
    s->local->text = S(" \n ");
    assert_has(enc(m, H248_COMPACT), "O{MO=SR,li/LICn=ff00ff00ff00ff00,li/LITID=[ffffff00,"
                                     "ffffff01]},L{},R{");
    assert_has(enc(m, H248_PRETTY), "Local { },\n");
}

static void raw_sdp_lines_lose_indentation_and_blank_lines(void **state)
{
    h248_message_t *m = seed_tree(&A);
    h248_stream_t *s = m->txns->actions->cmds->descs->u.media.streams;
    s->remote->text = S("\r\n      v=0\r\n\r\n\t  c=IN IP4 $\r\n    m=audio $ RTP/AVP 0\r\n   ");
    assert_has(enc(m, H248_COMPACT), "R{\nv=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n}");
    s->remote->text = S("v=0\na=x:}a\\}b}\n");
    assert_has(enc(m, H248_COMPACT), "R{\nv=0\na=x:\\}a\\}b\\}\n}");
    s->remote->text = S("v=0\n  m=audio 1 RTP/AVP 0");
    assert_has(enc(m, H248_PRETTY), "Remote {\nv=0\nm=audio 1 RTP/AVP 0\n                }\n");
}

static void buffer_too_small_reports_enospc_and_size(void **state)
{
    h248_message_t *m = seed_tree(&A);
    int need = h248_encoded_size(m, H248_COMPACT);
    assert_int_equal(need, (int)strlen(SEED_COMPACT));
    char buf[sizeof SEED_COMPACT + 8];
    for (int cap = 0; cap < need; cap++) {
        memset(buf, 'X', sizeof buf);
        assert_int_equal(h248_encode(m, H248_COMPACT, buf, (size_t)cap), H248_ENOSPC);
        assert_int_equal(buf[cap], 'X'); /* nothing written past cap */
    }
    memset(buf, 'X', sizeof buf);
    assert_int_equal(h248_encode(m, H248_COMPACT, buf, (size_t)need), need);
    assert_memory_equal(buf, SEED_COMPACT, (size_t)need);
    assert_int_equal(buf[need], 'X'); /* no room for the NUL: none written */
    assert_int_equal(h248_encode(m, H248_COMPACT, NULL, 0), H248_ENOSPC);
}

/* Encode into buffers whose last byte touches a PROT_NONE page, for every capacity up to the
 * size needed: a write past cap would fault. */
static void never_writes_past_the_buffer_given(void **state)
{
    h248_message_t *m = every_construct(&A);
    long pg = sysconf(_SC_PAGESIZE);
    for (int form = H248_PRETTY; form <= H248_COMPACT; form++) {
        int need = h248_encoded_size(m, (h248_form_t)form);
        assert_true(need > 0);
        size_t span = ((size_t)need / (size_t)pg + 2) * (size_t)pg;
        char *mem = mmap(NULL, span + (size_t)pg, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(mem != MAP_FAILED);
        assert_int_equal(mprotect(mem + span, (size_t)pg, PROT_NONE), 0);
        for (int cap = 0; cap <= need + 1; cap++) {
            char *buf = mem + span - cap;
            int rc = h248_encode(m, (h248_form_t)form, buf, (size_t)cap);
            assert_int_equal(rc, cap < need ? H248_ENOSPC : need);
        }
        munmap(mem, span + (size_t)pg);
    }
}

static void service_change_golden_in_both_forms(void **state)
{
    h248_mid_t mid = {.kind = H248_MID_DOMAIN, .addr = S("bgf1.example.net"), .port = 2944,
                      .has_port = true};
    h248_message_t *m = h248_msg_new(&A, 3, &mid);
    h248_txn_t *t = h248_txn_add(&A, m, H248_TXN_REQUEST, 1);
    h248_action_t *act = h248_action_add(&A, t, H248_CTX_NULL);
    h248_cmd_t *c = h248_cmd_add(&A, act, H248_CMD_SERVICE_CHANGE, S("ROOT"));
    assert_int_equal(c->tids->flags, H248_TID_ROOT);
    h248_desc_t *d = h248_desc_add(&A, c, H248_D_SERVICE_CHANGE);
    d->u.sc.method = H248_SCM_RESTART;
    d->u.sc.reason = arena_alloc(&A, sizeof(h248_value_t));
    d->u.sc.reason->s = S("901");
    d->u.sc.profile = S("ETSI_BGF/1");
    d->u.sc.version = 3;
    assert_string_equal(enc(m, H248_COMPACT), "!/3 <bgf1.example.net>:2944\n"
                                              "T=1{C=-{SC=ROOT{SV{MT=RS,RE=901,PF=ETSI_BGF/1,"
                                              "V=3}}}}");
    assert_string_equal(enc(m, H248_PRETTY), "MEGACO/3 <bgf1.example.net>:2944\n"
                                             "Transaction = 1 {\n"
                                             "    Context = - {\n"
                                             "        ServiceChange = ROOT {\n"
                                             "            Services {\n"
                                             "                Method = Restart,\n"
                                             "                Reason = 901,\n"
                                             "                Profile = ETSI_BGF/1,\n"
                                             "                Version = 3\n"
                                             "            }\n"
                                             "        }\n"
                                             "    }\n"
                                             "}\n");
}

static void reply_pending_ack_and_message_error_golden(void **state)
{
    h248_mid_t mid = {.kind = H248_MID_IP6, .addr = S("2001:db8::1"), .port = 2944,
                      .has_port = true};
    h248_message_t *m = h248_msg_new(&A, 1, &mid);
    h248_txn_t *r = h248_txn_add(&A, m, H248_TXN_REPLY, 7);
    r->imm_ack = true;
    h248_action_t *act = h248_action_add(&A, r, 42);
    h248_cmd_add(&A, act, H248_CMD_ADD, S("ip/1/ext/7"));
    act->error = h248_error_new(&A, 430, S("Unknown \"TerminationID\""));
    h248_txn_add(&A, m, H248_TXN_PENDING, 8);
    h248_txn_t *k = h248_txn_add(&A, m, H248_TXN_RESPONSE_ACK, 0);
    h248_ack_range_t r1 = {1, 1, NULL}, r2 = {3, 9, NULL};
    r1.next = &r2;
    k->acks = &r1;
    h248_txn_t *e = h248_txn_add(&A, m, H248_TXN_REPLY, 9);
    e->error = h248_error_new(&A, 422, (h248_str_t){NULL, 0});
    assert_string_equal(enc(m, H248_COMPACT),
                        "!/1 [2001:db8::1]:2944\n"
                        "P=7{IA,C=42{A=ip/1/ext/7,ER=430{\"Unknown 'TerminationID'\"}}}"
                        "PN=8{}K{1,3-9}P=9{ER=422{}}");
    assert_string_equal(enc(m, H248_PRETTY),
                        "MEGACO/1 [2001:db8::1]:2944\n"
                        "Reply = 7 {\n"
                        "    ImmAckRequired,\n"
                        "    Context = 42 {\n"
                        "        Add = ip/1/ext/7,\n"
                        "        Error = 430 {\"Unknown 'TerminationID'\"}\n"
                        "    }\n"
                        "}\n"
                        "Pending = 8 { }\n"
                        "TransactionResponseAck {\n"
                        "    1,\n"
                        "    3-9\n"
                        "}\n"
                        "Reply = 9 {\n"
                        "    Error = 422 {}\n"
                        "}\n");
    h248_message_t *me = h248_msg_new(&A, 2, &(h248_mid_t){.kind = H248_MID_DEVICE,
                                                           .addr = S("bgf/1")});
    me->error = h248_error_new(&A, 400, S("Syntax error in message"));
    assert_string_equal(enc(me, H248_COMPACT), "!/2 bgf/1\nER=400{\"Syntax error in message\"}");
    assert_string_equal(enc(me, H248_PRETTY),
                        "MEGACO/2 bgf/1\nError = 400 {\"Syntax error in message\"}\n");
}

static void every_construct_encodes_in_both_forms(void **state)
{
    h248_message_t *m = every_construct(&A);
    char *p = enc(m, H248_PRETTY);
    char *c = enc(m, H248_COMPACT);
    /* pretty | compact pairs: each must be in its form */
    static const char *const pairs[][2] = {
        {"Authentication = 0x1234ABCD:0x00000002:0x00112233445566778899aabb\nMEGACO/3 MTP{0a0b}\n",
         "AU=0x1234ABCD:0x00000002:0x00112233445566778899aabb\n!/3 MTP{0a0b}\n"},
        {"Transaction = 4294967295 {", "T=4294967295{"},
        {"Context = 5 {\n        Priority = 3,\n        Emergency,\n        IEPSCall = OFF,",
         "C=5{PR=3,EG,IEPS=OFF,"},
        {"Topology {\n            t1, t2, Oneway,\n            t2, *, OnewayBoth, Stream = 2\n",
         "TP{t1,t2,OW,t2,*,OWB,ST=2}"},
        {"ContextAttr {\n            bgf/ctxattr = 1\n        },", "CT{bgf/ctxattr=1},"},
        {"ContextAudit {\n            Topology,\n            Emergency,\n            Priority,\n"
         "            IEPSCall,\n            Priority = 4,\n            EmergencyValue = "
         "EmergencyOff,\n            IEPSCall = ON,\n            pkg/ca,\n            ORLgc\n",
         "CA{TP,EG,PR,IEPS,PR=4,EGV=EGO,IEPS=ON,pkg/ca,ORLgc}"},
        {"O-W-Modify = ip/1/ext/* {", "O-W-MF=ip/1/ext/*{"},
        {"TerminationState {\n                    ServiceStates = OutOfService,\n"
         "                    Buffer = LockStep,\n                    gm/saf = ON\n",
         "TS{SI=OS,BF=SP,gm/saf=ON}"},
        {"Stream = 1 {\n                    LocalControl {\n                        Mode = "
         "Loopback,\n                        ReservedValue = ON,\n                        "
         "ReservedGroup = OFF,\n                        tman/sdr > 1000,\n",
         "ST=1{O{MO=LB,RV=ON,RG=OFF,tman/sdr>1000,"},
        {"tman/mbs = [10:20],", "tman/mbs=[10:20],"},
        {"ds/dscp = {ef, af41},", "ds/dscp={ef,af41},"},
        {"ipdc/realm = \"core net\",", "ipdc/realm=\"core net\","},
        {"x/lt < 5,", "x/lt<5,"},
        {"x/ne # 6,", "x/ne#6,"},
        {"x/q = \"plain\"\n", "x/q=\"plain\"}"},
        {"Local {\nv=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n                    },\n",
         "L{\nv=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0\r\n},"},
        {"Statistics {\n                        rtp/ps = 12\n", "SA{rtp/ps=12}}"},
        {"Stream = 2 {\n                        LocalControl {\n                            Mode,\n"
         "                            ReservedValue,\n                            ReservedGroup\n",
         "AV=t3{AT{M{TS{BF},ST=2{O{MO,RV,RG}}}}}"},
        {"Events = 2222 {\n                al/on {\n                    Stream = 1,\n"
         "                    KeepActive,\n                    Embed {\n",
         "E=2222{al/on{ST=1,KA,EM{SG{cg/rt},E=2223{al/of}},DM=dialplan0,NBRN{EM{E=2223{al/of}}}"
         ",RSE,mit=12000},hangterm/thb{NBIN},dd/ce{DM={[0-9]xxx},NBNN}}"},
        {"DigitMap = dialplan0,\n", ",DM=dialplan0,"},
        {"RegulatedNotify {", "NBRN{"},
        {"ImmediateNotify", "NBIN"},
        {"NeverNotify", "NBNN"},
        {"ResetEventsDescriptor", "RSE"},
        {"Signals {\n                an/apf {\n                    Stream = 1,\n"
         "                    SignalType = TimeOut,\n                    Duration = 500,\n"
         "                    NotifyCompletion = {TimeOut, IntByEvent, IntBySigDescr, "
         "OtherReason},\n                    KeepActive,\n"
         "                    SPADirection = Both,\n                    SPARequestID = 77,\n"
         "                    Intersignal = 30,\n                    an = welcome\n",
         "SG{an/apf{ST=1,SY=TO,DR=500,NC={TO,IBE,IBS,OR},KA,SPADI=B,SPARQ=77,SPAIS=30,"
         "an=welcome},SL=9{cg/dt,cg/bt{SY=BR}}}"},
        {"DigitMap = dialplan0 {(0S|00S|[1-7]xxx|8xxxxxxx|#xxxxxxx|*xx|9L)}",
         "DM=dialplan0{(0S|00S|[1-7]xxx|8xxxxxxx|#xxxxxxx|*xx|9L)}"},
        {"EventBuffer {\n                tonedet/std {\n                    tl = *\n",
         "EB{tonedet/std{tl=*}}"},
        {"Mux = H221 {\n                t1,\n                t2\n            }", "MX=H221{t1,t2}"},
        {"Modem [V18, V22] {\n                md/x = 1\n            },\n            Modem = V90",
         "MD[V18,V22]{md/x=1},MD=V90"},
        {"Statistics {\n                nt/os,\n                rtp/jit = [1, 2]\n",
         "SA{nt/os,rtp/jit=[1,2]}"},
        {"Audit {\n                Media,\n                Modem,\n                Mux,\n"
         "                Events,\n                Signals,\n                DigitMap,\n"
         "                Statistics,\n                ObservedEvents,\n"
         "                Packages,\n                EventBuffer\n",
         "AT{M,MD,MX,E,SG,DM,SA,OE,PG,EB}"},
        {"Subtract = ip/1/ext/7 {\n            Audit { }\n        },", "S=ip/1/ext/7{AT{}},"},
        {"Move = ip/1/ext/8,", "MV=ip/1/ext/8,"},
        {"AuditValue = [t1, t2] {\n            Audit {\n                Media {\n"
         "                    TerminationState {\n                        ServiceStates\n"
         "                    },\n"
         "                    LocalControl {\n                        Mode\n",
         "AV=[t1,t2]{AT{M{TS{SI},O{MO}}}}"},
        {"AuditCapability = ROOT {\n            Audit {\n                Packages\n",
         "AC=ROOT{AT{PG}}"},
        {"AuditCapability = ROOT {\n            Packages {\n                nt-1,\n"
         "                rtp-2\n", "C=-{AC=ROOT{PG{nt-1,rtp-2}},N=ROOT"},
        {"Notify = ROOT {\n            ObservedEvents = 1 {\n"
         "                20240101T10000000:it/ito {\n                    mit = 12000\n",
         "N=ROOT{OE=1{20240101T10000000:it/ito{mit=12000}}}"},
        {"Notify = ROOT {\n            Error = 500 {\"x\"}\n        }\n", "N=ROOT{ER=500{\"x\"}}"},
        {"Method = Forced,\n                Reason = \"905 Termination taken out of service\","
         "\n                Delay = 30,\n                ServiceChangeAddress = 55555,\n"
         "                20240101T10000000,\n"
         "                ServiceChangeInc,\n                X-foo = bar,\n"
         "                Packages\n",
         "SC=ROOT{SV{MT=FO,RE=\"905 Termination taken out of service\",DL=30,AD=55555,"
         "20240101T10000000,SIC,X-foo=bar,PG}}"},
        {"ServiceChange = ip/1/ext/9 {\n            Services {\n                Method = Graceful,"
         "\n                Reason = 905,\n                MgcIdToTry = [192.0.2.9]\n",
         "SC=ip/1/ext/9{SV{MT=GR,RE=905,MG=[192.0.2.9]}}"},
        {"Reply = 12/2/END {\n    Context = * {\n        AuditValue = Context {\n"
         "            t1,\n            t2\n        }\n    },\n",
         "P=12/2/&{C=*{AV=C{t1,t2}},C=-{AC=ROOT{PG{nt-1,rtp-2}},N=ROOT{ER=500{\"x\"}}}}"
         "PN=13{}SM=12/1"},
        {"    }\n}\nPending = 13 { }\nSegment = 12/1", "PN=13{}SM=12/1"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        assert_has(p, pairs[i][0]);
        assert_has(c, pairs[i][1]);
    }
    assert_string_equal(p + strlen(p) - 15, "\nSegment = 12/1");
    assert_string_equal(c + strlen(c) - 8, "}SM=12/1");
    /* compact carries none of the optional white space of the pretty form */
    static const char *const spaced[] = {", ", " {", "= ", " =", "{ ", "\n ", " }"};
    for (size_t i = 0; i < sizeof spaced / sizeof *spaced; i++)
        if (strstr(c, spaced[i])) fail_msg("\"%s\" in compact form:\n%s", spaced[i], c);
    assert_true(strlen(c) < strlen(p) / 2);
}

static void context_list_attribute_golden(void **state)
{
    h248_message_t *m = h248_msg_new(&A, 3, &(h248_mid_t){.kind = H248_MID_IP4,
                                                          .addr = S("192.0.2.1")});
    h248_action_t *act = h248_action_add(&A, h248_txn_add(&A, m, H248_TXN_REQUEST, 3), 1);
    static uint32_t ids[] = {1, 2, H248_CTX_ALL};
    act->props = arena_alloc(&A, sizeof(*act->props));
    act->props->priority = -1;
    act->props->has_attrs = true;
    act->props->ctx_list = ids;
    act->props->nctx_list = 3;
    h248_cmd_add(&A, act, H248_CMD_AUDIT_VALUE, S("*"));
    assert_string_equal(enc(m, H248_COMPACT), "!/3 [192.0.2.1]\nT=3{C=1{CT{CLT={1,2,*}},AV=*}}");
    assert_has(enc(m, H248_PRETTY), "    Context = 1 {\n        ContextAttr {\n"
                                    "            ContextList = {1, 2, *}\n        },\n"
                                    "        AuditValue = *\n    }\n");
}

static void segment_reply_is_kept_apart_from_the_next_transaction(void **state)
{
    h248_message_t *m = h248_msg_new(&A, 3, &(h248_mid_t){.kind = H248_MID_IP4,
                                                          .addr = S("192.0.2.1")});
    h248_txn_t *sm = h248_txn_add(&A, m, H248_TXN_SEGMENT_REPLY, 5);
    sm->segment = 2;
    sm->seg_complete = true;
    h248_txn_add(&A, m, H248_TXN_PENDING, 6);
    assert_string_equal(enc(m, H248_COMPACT), "!/3 [192.0.2.1]\nSM=5/2/&\nPN=6{}");
    assert_string_equal(enc(m, H248_PRETTY), "MEGACO/3 [192.0.2.1]\nSegment = 5/2/END\n"
                                             "Pending = 6 { }\n");
    char buf[64];
    assert_int_equal(h248_encode_txn(sm, 3, H248_PRETTY, buf, sizeof buf), 17);
    assert_string_equal(buf, "Segment = 5/2/END");
}

static void emergency_off_is_written_short_in_version_2(void **state)
{
    for (uint8_t v = 1; v <= 3; v++) {
        h248_message_t *m = h248_msg_new(&A, v, &(h248_mid_t){.kind = H248_MID_IP4,
                                                              .addr = S("192.0.2.1")});
        h248_action_t *act = h248_action_add(&A, h248_txn_add(&A, m, H248_TXN_REQUEST, 1), 9);
        act->props = arena_alloc(&A, sizeof(*act->props));
        act->props->priority = -1;
        act->props->emergency = H248_TRI_OFF;
        h248_cmd_add(&A, act, H248_CMD_MODIFY, S("t1"));
        assert_has(enc(m, H248_PRETTY), v == 2 ? "        EGO,\n" : "        EmergencyOff,\n");
        assert_has(enc(m, H248_COMPACT), "C=9{EGO,MF=t1}");
    }
}

static void values_are_quoted_when_they_must_be(void **state)
{
    h248_message_t *m = seed_tree(&A);
    h248_local_control_t *lc = m->txns->actions->cmds->descs->u.media.streams->lc;
    lc->props = NULL;
    const char *vals[] = {"", "a b", "a,b", "x=y", "a{", "semi;", "tab\t", "ok-._/$*", "\x80"};
    const char *want[] = {"p=\"\"", "p=\"a b\"", "p=\"a,b\"", "p=\"x=y\"", "p=\"a{\"",
                          "p=\"semi;\"", "p=\"tab\t\"", "p=ok-._/$*", "p=\"\x80\""};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        lc->props = NULL;
        h248_prop_add(&A, &lc->props, S("p"), sv(vals[i]), false);
        assert_has(enc(m, H248_COMPACT), want[i]);
    }
    lc->props = NULL;
    h248_prop_add(&A, &lc->props, S("bang!"), S("1"), false);
    assert_has(enc(m, H248_COMPACT), ",bang! =1}");
    lc->props = NULL;
    h248_prop_add(&A, &lc->props, S("p"), S("say \"hi\""), false);
    assert_int_equal(h248_encoded_size(m, H248_COMPACT), H248_EINVAL);
    char buf[512];
    assert_int_equal(h248_encode(m, H248_PRETTY, buf, sizeof buf), H248_EINVAL);
}

static void trees_that_cannot_be_encoded_are_refused(void **state)
{
    h248_message_t *m = seed_tree(&A);
    m->version = 0;
    assert_int_equal(h248_encoded_size(m, H248_COMPACT), H248_EINVAL);
    m = seed_tree(&A);
    m->txns->actions->cmds->tids->name = S("");
    assert_int_equal(h248_encoded_size(m, H248_PRETTY), H248_EINVAL);
    m = seed_tree(&A);
    h248_prop_t *p = m->txns->actions->cmds->descs->u.media.streams->lc->props->next;
    p->kind = H248_VAL_RANGE; /* a range of three values */
    h248_value_add(&A, p, S("x"), false);
    assert_int_equal(h248_encoded_size(m, H248_COMPACT), H248_EINVAL);
    m = seed_tree(&A);
    m->txns->kind = (h248_txn_kind_t)99;
    assert_int_equal(h248_encoded_size(m, H248_COMPACT), H248_EINVAL);
    m = seed_tree(&A);
    m->txns = NULL;
    assert_int_equal(h248_encoded_size(m, H248_COMPACT), H248_EINVAL);
}

static void single_transaction_encodes_without_header(void **state)
{
    h248_message_t *m = seed_tree(&A);
    char buf[1024];
    int n = h248_encode_txn(m->txns, 2, H248_COMPACT, buf, sizeof buf);
    const char *want = strchr(SEED_COMPACT, '\n') + 1;
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
    n = h248_encode_txn(m->txns, 2, H248_PRETTY, buf, sizeof buf);
    assert_string_equal(buf, strchr(SEED_PRETTY, '\n') + 1);
    assert_int_equal(h248_encode_txn(m->txns, 2, H248_PRETTY, buf, 10), H248_ENOSPC);
}

static void constructors_append_in_order_and_reuse_streams(void **state)
{
    h248_message_t *m = h248_msg_new(&A, 3, NULL);
    h248_txn_t *a = h248_txn_add(&A, m, H248_TXN_REQUEST, 1);
    h248_txn_t *b = h248_txn_add(&A, m, H248_TXN_REQUEST, 2);
    assert_ptr_equal(m->txns, a);
    assert_ptr_equal(a->next, b);
    h248_action_t *act = h248_action_add(&A, a, 1);
    h248_cmd_t *c = h248_cmd_add(&A, act, H248_CMD_ADD, S("ip/1/$"));
    assert_int_equal(c->tids->flags, H248_TID_CHOOSE);
    assert_int_equal(h248_termid_add(&A, c, S("*"))->flags, H248_TID_ALL);
    h248_desc_t *d = h248_desc_add(&A, c, H248_D_MEDIA);
    assert_true(c->has_body);
    h248_stream_t *s1 = h248_stream_get(&A, &d->u.media, 1, true);
    assert_ptr_equal(h248_stream_get(&A, &d->u.media, 1, true), s1);
    h248_stream_t *s2 = h248_stream_get(&A, &d->u.media, 2, true);
    assert_ptr_equal(s1->next, s2);
    h248_local_control_t *lc = h248_lc_get(&A, s1);
    assert_int_equal(lc->reserved_value, -1);
    assert_int_equal(lc->reserved_group, -1);
    assert_ptr_equal(h248_lc_get(&A, s1), lc);
    h248_prop_t *p = h248_prop_add(&A, &lc->props, S("a/b"), S("1"), false);
    assert_int_equal(p->nvalues, 1);
    h248_value_add(&A, p, S("2"), false);
    assert_int_equal(p->nvalues, 2);
    assert_string_equal(p->values->next->s.p, "2");
    h248_str_t dup = h248_str_dup(&A, "xyz", 2);
    assert_int_equal(dup.len, 2);
    assert_memory_equal(dup.p, "xy", 2);
    h248_error_desc_t *e = h248_error_new(&A, 510, (h248_str_t){NULL, 0});
    assert_false(e->has_text);
    arena_t small;
    arena_init(&small, 64, 64);
    assert_null(h248_msg_new(&small, 1, NULL) ? h248_msg_new(&small, 1, NULL) : NULL);
    arena_free(&small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(seed_request_encodes_with_litid_inside_local_control,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(parsed_sdp_is_written_from_its_structure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(raw_sdp_lines_lose_indentation_and_blank_lines, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(buffer_too_small_reports_enospc_and_size, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(never_writes_past_the_buffer_given, setup, teardown),
        cmocka_unit_test_setup_teardown(service_change_golden_in_both_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(reply_pending_ack_and_message_error_golden, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(every_construct_encodes_in_both_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(context_list_attribute_golden, setup, teardown),
        cmocka_unit_test_setup_teardown(segment_reply_is_kept_apart_from_the_next_transaction,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(emergency_off_is_written_short_in_version_2, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(values_are_quoted_when_they_must_be, setup, teardown),
        cmocka_unit_test_setup_teardown(trees_that_cannot_be_encoded_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(single_transaction_encodes_without_header, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(constructors_append_in_order_and_reuse_streams, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
