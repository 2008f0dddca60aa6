/* test_roundtrip.c - decode -> encode -> decode gives the same tree, in the pretty and the
 * compact form, for a corpus covering every construct in versions 1, 2 and 3, the seed
 * document's request verbatim, and the hand-built tree holding every construct. Encoding is
 * also a fixed point: what was encoded once encodes to the same text again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "h248/compare.h"
#include "h248/h248.h"
#include "h248/sdp.h"
#include "h248_trees.h"
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

static h248_message_t *decode_ok(const char *text, size_t n, const char *label)
{
    h248_message_t *m = NULL;
    h248_error_t err;
    memset(&err, 0, sizeof err);
    int rc = h248_decode(text, n, &A, &m, &err);
    if (rc != H248_OK)
        fail_msg("%s: decode failed %d at %u:%u (error %u): %s\n---\n%.*s\n---", label, rc,
                 err.line, err.col, err.code, err.reason, (int)n, text);
    return m;
}

static char *encode_ok(const h248_message_t *m, h248_form_t form, const char *label)
{
    int need = h248_encoded_size(m, form);
    if (need < 0) fail_msg("%s: encoded_size %d", label, need);
    char *buf = arena_alloc(&A, (size_t)need + 1);
    assert_int_equal(h248_encode(m, form, buf, (size_t)need + 1), need);
    return buf;
}

/* m -> text in form -> tree equal to m; text -> tree -> same text. Returns the text. */
static char *round_trip(const h248_message_t *m, h248_form_t form, const char *label)
{
    char why[256];
    char *t1 = encode_ok(m, form, label);
    h248_message_t *m2 = decode_ok(t1, strlen(t1), label);
    if (!h248_equal(m, m2, why, sizeof why))
        fail_msg("%s (%s form): trees differ: %s\n---\n%s\n---", label,
                 form == H248_PRETTY ? "pretty" : "compact", why, t1);
    char *t2 = encode_ok(m2, form, label);
    if (strcmp(t1, t2) != 0) fail_msg("%s: second encoding differs:\n%s\n---\n%s", label, t1, t2);
    return t1;
}

static void round_trip_text(const char *text, const char *label)
{
    h248_message_t *m = decode_ok(text, strlen(text), label);
    round_trip(m, H248_PRETTY, label);
    round_trip(m, H248_COMPACT, label);
}

/* The request in the seed document, verbatim (lines as printed there, LF line ends). */
static const char SEED[] = SEED_REQUEST;

static void seed_request_decodes_and_encodes_litid_inside_local_control(void **state)
{
    h248_message_t *m = decode_ok(SEED, sizeof SEED - 1, "seed");
    assert_int_equal(m->version, 2);
    h248_stream_t *s = m->txns->actions->cmds->descs->u.media.streams;
    assert_non_null(s->lc);
    const h248_prop_t *litid = h248_prop_find(s->lc->props, "li/LITID");
    assert_non_null(litid);
    assert_true(litid->flags & H248_PROP_STREAM_LEVEL);
    assert_int_equal(litid->kind, H248_VAL_LIST);
    assert_int_equal(litid->nvalues, 2);
    assert_non_null(s->remote);
    char *c = round_trip(m, H248_COMPACT, "seed");
    assert_non_null(strstr(c, "O{MO=SR,li/LICn=ff00ff00ff00ff00,li/LITID=[ffffff00,ffffff01]}"));
    char *p = round_trip(m, H248_PRETTY, "seed");
    assert_non_null(strstr(p, "LocalControl {\n                    Mode = SendReceive,\n"
                              "                    li/LICn = ff00ff00ff00ff00,\n"
                              "                    li/LITID = [ffffff00, ffffff01]\n"
                              "                },\n"));
    /* the same tree as built by hand */
    char why[256];
    if (!h248_equal(m, seed_tree(&A), why, sizeof why)) fail_msg("seed vs hand-built: %s", why);
    /* and the standard form decodes without the stream-level mark */
    h248_message_t *again = decode_ok(c, strlen(c), "seed compact");
    litid = h248_prop_find(again->txns->actions->cmds->descs->u.media.streams->lc->props,
                           "li/LITID");
    assert_non_null(litid);
    assert_false(litid->flags & H248_PROP_STREAM_LEVEL);
}

static void hand_built_tree_with_every_construct_survives_both_forms(void **state)
{
    h248_message_t *m = every_construct(&A);
    round_trip(m, H248_PRETTY, "every construct");
    round_trip(m, H248_COMPACT, "every construct");
}

struct sample {
    const char *label;
    const char *text;
};

static const struct sample CORPUS[] = {
    /* ---- version 1 ---- */
    {"v1 ServiceChange registration (RFC 3525 2.1.1)",
     "MEGACO/1 [124.124.124.222]:55555\n"
     "Transaction = 9998 {\n"
     "    Context = - {\n"
     "        ServiceChange = ROOT {\n"
     "            Services {\n"
     "                Method = Restart,\n"
     "                ServiceChangeAddress = 55555,\n"
     "                Profile = ResGW/1\n"
     "            }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 ServiceChange reply",
     "MEGACO/1 [123.123.123.4]:55555\n"
     "Reply = 9998 {\n"
     "    Context = - {ServiceChange = ROOT {\n"
     "        Services {ServiceChangeAddress=55555, Profile=ResGW/1} } } }\n"},
    {"v1 Modify with LocalControl, Events, Signals, DigitMap (comments in between)",
     "MEGACO/1 [123.123.123.4]:55555\n"
     "Transaction = 9999 {\n"
     "    Context = - {\n"
     "        Modify = A4444 {\n"
     "            Media { Stream = 1 {\n"
     "                    LocalControl {\n"
     "                        Mode = SendReceive,\n"
     "                        tdmc/gain=2,  ; in dB,\n"
     "                        tdmc/ec=on\n"
     "                    }\n"
     "                }\n"
     "            },\n"
     "            Events = 2222 {al/of {strict=state}},\n"
     "            Signals { cg/rt },\n"
     "            DigitMap= Dialplan0{(0| 00|[1-7]xxx|8xxxxxxx|Fxxxxxxx|Exx|91xxxxxxxxxx|9011x.)}\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 Notify with time-stamped ObservedEvents",
     "MEGACO/1 [124.124.124.222]:55555\n"
     "Transaction = 10000 {\n"
     "    Context = - {\n"
     "        Notify = A4444 {ObservedEvents =2222 {\n"
     "            19990729T22000000:al/of}}\n"
     "    }\n"
     "}\n"},
    {"v1 Add with underspecified Local SDP in two groups, and a plain Add",
     "MEGACO/1 [123.123.123.4]:55555\n"
     "Transaction = 10003 {\n"
     "    Context = $ {\n"
     "        Add = A4444,\n"
     "        Add = $ {\n"
     "            Media {\n"
     "                Stream = 1 {\n"
     "                    LocalControl {\n"
     "                        Mode = ReceiveOnly,\n"
     "                        nt/jit=40 ; in ms\n"
     "                    },\n"
     "                    Local {\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 4\n"
     "a=ptime:30\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 0\n"
     "                    }\n"
     "                }\n"
     "            }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 Add reply with the chosen Local",
     "MEGACO/1 [124.124.124.222]:55555\n"
     "Reply = 10003 {\n"
     "    Context = 2000 {\n"
     "        Add = A4444,\n"
     "        Add = A4445 {\n"
     "            Media {\n"
     "                Stream = 1 {\n"
     "                    Local {\n"
     "v=0\n"
     "o=- 2890844526 2890842807 IN IP4 124.124.124.222\n"
     "s=-\n"
     "t= 0 0\n"
     "c=IN IP4 124.124.124.222\n"
     "m=audio 2222 RTP/AVP 4\n"
     "a=ptime:30\n"
     "a=recvonly\n"
     "                    }\n"
     "                }\n"
     "            }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 Subtract reply with Statistics",
     "MEGACO/1 [124.124.124.222]:55555\n"
     "Reply = 50008 {\n"
     "    Context = 5000 {\n"
     "        Subtract = A4444 {\n"
     "            Statistics {\n"
     "                nt/os=45123,\n"
     "                nt/dur=40\n"
     "            }\n"
     "        },\n"
     "        Subtract = A5555 {\n"
     "            Statistics { nt/os=45123, rtp/ps=1245, rtp/pr=780, rtp/pl=10, rtp/jit=27,\n"
     "                rtp/delay=48 }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 AuditValue request and AuditCapability",
     "MEGACO/1 [123.123.123.4]:55555\n"
     "Transaction = 20 {\n"
     "    Context = - {\n"
     "        AuditValue = A4444 { Audit { Media, Events, Signals, Packages, Statistics,\n"
     "            DigitMap, EventBuffer, ObservedEvents, Mux, Modem } },\n"
     "        AuditCapability = ROOT { Audit { Packages } }\n"
     "    }\n"
     "}\n"},
    {"v1 AuditValue reply with TerminationState, Events, Signals, Packages",
     "MEGACO/1 [124.124.124.222]:55555\n"
     "Reply = 20 {\n"
     "    Context = - {\n"
     "        AuditValue = A4444 {\n"
     "            Media { TerminationState { ServiceStates = InService, Buffer = OFF },\n"
     "                Stream = 1 { LocalControl { Mode = SendReceive, ReservedValue = OFF,\n"
     "                ReservedGroup = ON } } },\n"
     "            Events = 1 { al/on },\n"
     "            Signals { },\n"
     "            Packages { nt-1, rtp-1, al-1 }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 Pending, TransactionResponseAck ranges, ImmAckRequired, transaction Error",
     "MEGACO/1 [124.124.124.222]:55555\n"
     "Pending = 10003 { }\n"
     "TransactionResponseAck { 10000, 10001-10005 }\n"
     "Reply = 10006 { ImmAckRequired, Context = - { Add = A1 } }\n"
     "Reply = 10007 { Error = 422 { \"Syntax Error in Action\" } }\n"},
    {"v1 message-level Error",
     "MEGACO/1 [124.124.124.222]:55555\n"
     "Error = 400 { \"Syntax error in message\" }\n"},
    {"v1 context properties, ContextAudit, Topology",
     "MEGACO/1 <mg1.example.net>:2944\n"
     "Transaction = 30 {\n"
     "    Context = 7 { Priority = 3, Emergency, Topology { A1, A2, Isolate, A2, A1, Oneway },\n"
     "        Add = A3 },\n"
     "    Context = 8 { ContextAudit { Topology, Emergency, Priority } },\n"
     "    Context = * { O-Add = A*, W-Subtract = *, Move = A7 }\n"
     "}\n"},
    {"v1 Signals with parameters and a SignalList; Events with Embed and KeepActive",
     "MEGACO/1 [10.0.0.1]:2944\n"
     "Transaction = 31 {\n"
     "    Context = 9 {\n"
     "        Modify = A1 {\n"
     "            Signals { cg/rt { SignalType = TimeOut, Duration = 300,\n"
     "                NotifyCompletion = { TimeOut, IntByEvent }, KeepActive, Stream = 1 },\n"
     "                SignalList = 2 { an/apf { an = 12 }, cg/dt { SignalType = Brief } } },\n"
     "            Events = 1 { dd/ce { DigitMap = dialplan0, KeepActive },\n"
     "                al/on { Embed { Signals { cg/dt }, Events = 2 { al/of } } },\n"
     "                al/fl { Stream = 2 } }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 EventBuffer, TerminationState, Mux, Modem, property relations and lists",
     "MEGACO/1 [10.0.0.1]:2944\n"
     "Transaction = 32 {\n"
     "    Context = 9 {\n"
     "        Modify = A1 {\n"
     "            EventBuffer { al/on, tonedet/std { tl = * } },\n"
     "            Media { TerminationState { Buffer = LockStep, ServiceStates = Test },\n"
     "                LocalControl { Mode = Inactive, a/b = [1, 2], a/c = { x, y },\n"
     "                    a/d = [1:9], a/e > 5, a/f < 6, a/g # 7, a/h = \"quoted value\" } },\n"
     "            Mux = H221 { A2, A3 },\n"
     "            Modem = V18 { md/x = 1 }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v1 compact input with lower-case tokens",
     "!/1 [1.2.3.4]:2944\n"
     "t=1{c=${a=${m{st=1{o{mo=sr},l{\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 0\n"
     "}}}}}}"},
    {"v1 device-name and MTP mIds",
     "MEGACO/1 bgf1/pgw\nTransaction = 2 { Context = - { Notify = ROOT { ObservedEvents = 5 {\n"
     "it/ito { mit = 12000 } } } } }\n"},
    /* ---- version 2 ---- */
    {"v2 seed-like request over IPv6 with stream Statistics",
     "MEGACO/2 [2001:db8::1]:2944\n"
     "Transaction = 40 {\n"
     "    Context = 12 {\n"
     "        Modify = ip/1/ext/7 {\n"
     "            Media {\n"
     "                Stream = 1 {\n"
     "                    LocalControl { Mode = SendOnly, gm/saf = ON, gm/sam = \"10.0.0.0/8\",\n"
     "                        tman/pol = ON, tman/sdr = 12000, tman/mbs = 1500,\n"
     "                        ds/dscp = 46, ipnat/latch = ON, ipdc/realm = core },\n"
     "                    Remote {\n"
     "v=0\r\n"
     "c=IN IP6 2001:db8::9\r\n"
     "m=audio 40000 RTP/AVP 8 101\r\n"
     "a=rtpmap:101 telephone-event/8000\r\n"
     "a=sendrecv\r\n"
     "                    },\n"
     "                    Statistics { rtp/ps, rtp/pr }\n"
     "                }\n"
     "            }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v2 ServiceChange with every parameter",
     "MEGACO/2 [10.1.1.1]:2944\n"
     "Transaction = 41 {\n"
     "    Context = - {\n"
     "        ServiceChange = ROOT {\n"
     "            Services {\n"
     "                Method = Forced,\n"
     "                Reason = \"905 Termination taken out of service\",\n"
     "                Delay = 30,\n"
     "                MgcIdToTry = <mgc2.example.net>:2944,\n"
     "                Profile = ETSI_BGF/1,\n"
     "                Version = 2,\n"
     "                20240101T10000000\n"
     "            }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v2 Graceful, Failover, Disconnected, HandOff methods",
     "MEGACO/2 [10.1.1.1]:2944\n"
     "Transaction = 42 { Context = - {\n"
     "    ServiceChange = ip/1/ext/1 { Services { Method = Graceful, Reason = 905, Delay = 0 } },\n"
     "    ServiceChange = ip/1/ext/2 { Services { Method = Failover, Reason = 909 } },\n"
     "    ServiceChange = ip/1/ext/3 { Services { Method = Disconnected, Reason = 915 } },\n"
     "    ServiceChange = ROOT { Services { Method = HandOff, Reason = 903,\n"
     "        ServiceChangeAddress = [10.9.9.9]:2944 } } } }\n"},
    {"v2 Subtract reply with statistics and an action error",
     "MEGACO/2 [10.1.1.1]:2944\n"
     "Reply = 43 {\n"
     "    Context = 12 {\n"
     "        Subtract = ip/1/ext/7 { Statistics { nt/os = 45123, nt/or = 43210, rtp/ps = 1245,\n"
     "            rtp/pr = 1200, rtp/pl = 0, rtp/jit = 2, rtp/delay = 5 } },\n"
     "        Subtract = ip/1/ext/8,\n"
     "        Error = 435 { \"Termination ID is not in specified Context\" }\n"
     "    }\n"
     "}\n"},
    /* ---- version 3 ---- */
    {"v3 BGF Add of two terminations with LI and a reply with ImmAckRequired",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Transaction = 50 {\n"
     "    Context = $ {\n"
     "        Add = ip/1/access/$ {\n"
     "            Media { Stream = 1 {\n"
     "                LocalControl { Mode = ReceiveOnly, ipdc/realm = access,\n"
     "                    li/LICn = ff00ff00ff00ff00, li/LITID = [ffffff00, ffffff01] },\n"
     "                Local {\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 0\n"
     "},\n"
     "                Remote {\n"
     "v=0\n"
     "c=IN IP4 198.51.100.7\n"
     "m=audio 5004 RTP/AVP 0\n"
     "a=ptime:20\n"
     "} } }\n"
     "        },\n"
     "        Add = ip/1/core/$ {\n"
     "            Media { Stream = 1 { LocalControl { Mode = SendReceive, ipdc/realm = core },\n"
     "                Local {\n"
     "v=0\n"
     "c=IN IP4 $\n"
     "m=audio $ RTP/AVP 0\n"
     "} } },\n"
     "            Events = 3 { hangterm/thb }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v3 context attributes, IEPS, EmergencyOff, one-way topologies",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Transaction = 51 {\n"
     "    Context = 77 { IEPSCall = ON, EmergencyOff, Priority = 15,\n"
     "        Topology { t1, t2, OnewayExternal, t2, t1, OnewayBoth, Stream = 1 },\n"
     "        ContextAttr { a/b = 1 },\n"
     "        Modify = t1 }\n"
     "}\n"},
    {"v3 ContextAudit with selection",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Transaction = 52 {\n"
     "    Context = * { ContextAudit { Priority = 4, EmergencyValue = Emergency,\n"
     "        IEPSCall = ON, ORLgc } }\n"
     "}\n"},
    {"v3 event notify behaviours and signal parameters",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Transaction = 53 {\n"
     "    Context = 5 {\n"
     "        Modify = t1 {\n"
     "            Events = 9 { al/of { ImmediateNotify }, al/on { NeverNotify },\n"
     "                al/fl { RegulatedNotify { Embed { Events = 10 { al/on } } } },\n"
     "                dd/ce { ResetEventsDescriptor } },\n"
     "            Signals { an/apf { SPADirection = External, SPARequestID = 7,\n"
     "                Intersignal = 5, NotifyCompletion = { Iteration, OtherReason } } }\n"
     "        }\n"
     "    }\n"
     "}\n"},
    {"v3 segmented replies",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Reply = 54/1 { Context = 5 { Modify = t1 } }\n"
     "Reply = 54/2/END { Context = 6 { Modify = t2 } }\n"
     "Segment = 54/2/END\n"},
    {"v3 AuditValue reply naming a context's terminations",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Reply = 55 { Context = 5 { AuditValue = Context { t1, t2 } } }\n"},
    {"v3 AuditValue reply with an error instead of a context's terminations",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Reply = 57 { Context = 5 { AuditValue = Context { Error = 411 { \"unknown\" } } } }\n"},
    {"v3 authentication header, MTP mId, ContextList, Modem list and Mux",
     "Authentication = 0x00000001:0x00000002:0x0123456789abcdef01234567\n"
     "MEGACO/3 MTP{0a0b0c0d}\n"
     "Transaction = 60 {\n"
     "    Context = 8 { ContextAttr { ContextList = { 1, 2, 3 } },\n"
     "        Modify = t1 { Modem [V18, V22] { md/x = 1 }, Mux = H223 { t2 } } }\n"
     "}\n"},
    {"v3 ServiceChangeInc and inactivity timer event on ROOT",
     "MEGACO/3 [192.0.2.1]:2944\n"
     "Transaction = 56 { Context = - {\n"
     "    ServiceChange = ROOT { Services { Method = Restart, Reason = 901,\n"
     "        Profile = ETSI_BGF/1, ServiceChangeInc } },\n"
     "    Modify = ROOT { Events = 1 { it/ito { mit = 12000 } } } } }\n"},
};

static void corpus_round_trips_in_both_forms(void **state)
{
    for (size_t i = 0; i < sizeof CORPUS / sizeof *CORPUS; i++) {
        round_trip_text(CORPUS[i].text, CORPUS[i].label);
        arena_reset(&A);
    }
}

static void corpus_covers_all_three_versions(void **state)
{
    int seen[4] = {0};
    for (size_t i = 0; i < sizeof CORPUS / sizeof *CORPUS; i++) {
        h248_message_t *m = decode_ok(CORPUS[i].text, strlen(CORPUS[i].text), CORPUS[i].label);
        assert_true(m->version >= 1 && m->version <= 3);
        seen[m->version]++;
    }
    assert_true(seen[1] >= 5 && seen[2] >= 3 && seen[3] >= 5);
}

static void parsed_sdp_round_trips_after_the_mg_fills_it(void **state)
{
    h248_message_t *m = decode_ok(CORPUS[4].text, strlen(CORPUS[4].text), "Local $");
    h248_cmd_t *add = m->txns->actions->cmds->next;
    h248_sdp_block_t *b = add->descs->u.media.streams->local;
    assert_non_null(b);
    if (!b->sdp) assert_int_equal(h248_sdp_parse(b->text.p, b->text.len, &A, &b->sdp, NULL), 0);
    assert_int_equal(b->sdp->ngroups, 2);
    assert_int_equal(h248_sdp_select_group(b->sdp, 1), 0);
    assert_int_equal(h248_sdp_fill_choose(b->sdp, 0, &A, H248_SDP_AF_IP4, "192.0.2.1", 40000), 2);
    char *c = round_trip(m, H248_COMPACT, "filled Local");
    assert_non_null(strstr(c, "L{\nv=0\nc=IN IP4 192.0.2.1\nm=audio 40000 RTP/AVP 0\n}"));
    round_trip(m, H248_PRETTY, "filled Local");
}

/* h248_equal must see a change anywhere: mutate one field of a second decoding at a time. */
static void equality_notices_each_changed_field(void **state)
{
    h248_message_t *a = decode_ok(SEED, sizeof SEED - 1, "seed");
    h248_message_t *b = decode_ok(SEED, sizeof SEED - 1, "seed");
    char why[256];
    assert_true(h248_equal(a, b, why, sizeof why));
    assert_string_equal(why, "");
    h248_cmd_t *c = b->txns->actions->cmds;
    h248_stream_t *s = c->descs->u.media.streams;
    h248_prop_t *litid = s->lc->props->next;
#define MUTATE(field, value, path)                                                             \
    do {                                                                                       \
        __typeof__(field) saved_ = (field);                                                    \
        (field) = (value);                                                                     \
        assert_false(h248_equal(a, b, why, sizeof why));                                       \
        if (!strstr(why, (path))) fail_msg("\"%s\" does not name %s", why, (path));             \
        (field) = saved_;                                                                      \
        assert_true(h248_equal(a, b, NULL, 0));                                                \
    } while (0)
    MUTATE(b->version, 3, "version");
    MUTATE(b->mid.port, 2945, "mId port");
    MUTATE(b->txns->id, 10004, "txn 1: transaction id");
    MUTATE(b->txns->actions->ctx, 7, "action 1: context id");
    MUTATE(c->kind, H248_CMD_MODIFY, "cmd 1: command kind");
    MUTATE(c->optional, true, "cmd 1: command prefix");
    MUTATE(s->lc->mode, H248_MODE_SENDONLY, "stream 1: Mode");
    MUTATE(litid->values->next->s, H248_STR("ffffff02"), "stream 1: value");
    MUTATE(litid->kind, H248_VAL_ALT, "property value kind");
    MUTATE(s->remote->text, H248_STR("v=0\nc=IN IP4 124.124.124.223\n"), "SDP");
    MUTATE(s->remote, NULL, "Local/Remote presence");
#undef MUTATE
    /* the stream-level mark alone is not a difference */
    litid->flags ^= H248_PROP_STREAM_LEVEL;
    assert_true(h248_equal(a, b, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            seed_request_decodes_and_encodes_litid_inside_local_control, setup, teardown),
        cmocka_unit_test_setup_teardown(hand_built_tree_with_every_construct_survives_both_forms,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(corpus_round_trips_in_both_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(corpus_covers_all_three_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(parsed_sdp_round_trips_after_the_mg_fills_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(equality_notices_each_changed_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
