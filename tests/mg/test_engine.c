/* test_engine.c - the call engine on a real data plane: call set-up with two Adds, Modify of
 * Remote and mode, Subtract with statistics, Move, ports and contexts given back, ROOT
 * properties and events. Errors and audits: test_engine_errors.c; interception:
 * test_engine_li.c. */
#include "engine_fixture.h"
#include "mg/engine_int.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#define HDR "MEGACO/3 [127.0.0.1]:2945\n"

/* A UDP socket on 127.0.0.1:port. */
static int udp_at(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static const char *ADD1 =
    HDR "Transaction=1{Context=${Add=${Media{Stream=1{LocalControl{Mode=SendReceive},"
        "Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},"
        "Remote{\nv=0\nc=IN IP4 127.0.0.1\nm=audio 30000 RTP/AVP 0\n}}}}}}";

static void two_adds_set_up_a_call_with_chosen_ports(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    const char *r = run(f, ADD1);
    assert_has(r, "P=1{C=1{A=ip/4/core/1{M{ST=1{L{");
    assert_has(r, "c=IN IP4 127.0.0.1");
    int p1 = fx_mport(r);
    uint16_t base = fx_port_base();
    assert_true(p1 >= base && p1 < base + 32 && p1 % 2 == 0);
    r = run(f, HDR "Transaction=2{Context=1{Add=${Media{Stream=1{LocalControl{Mode=SendReceive},"
                   "Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}}}}}}");
    assert_has(r, "P=2{C=1{A=ip/4/core/2{");
    int p2 = fx_mport(r);
    assert_true(p2 % 2 == 0 && p2 != p1);
    assert_int_equal(dp_gate_count(f->dp), 2);
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 1);
    assert_int_equal(c.terminations, 2);
    fx_free(f);
}

static void add_without_local_still_answers_our_address(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    const char *r = run(f, HDR "Transaction=3{Context=${Add=${Media{Stream=1{Remote{\nv=0\n"
                               "c=IN IP4 127.0.0.1\nm=audio 30002 RTP/AVP 8\n}}}}}}");
    assert_has(r, "A=ip/4/core/1{M{ST=1{L{");
    assert_has(r, "c=IN IP4 127.0.0.1");
    assert_has(r, "RTP/AVP 8"); /* the codec the peer offered */
    fx_free(f);
}

static void ipv6_realm_answers_an_ipv6_address(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    const char *r =
        run(f, HDR "Transaction=4{Context=${Add=${Media{TerminationState{ipdc/realm=v6},"
                   "Stream=1{Local{\nv=0\nc=IN IP6 $\nm=audio $ RTP/AVP 0\n},"
                   "Remote{\nv=0\nc=IN IP6 ::1\nm=audio 30004 RTP/AVP 0\n}}}}}}");
    assert_has(r, "A=ip/6/v6/1{");
    assert_has(r, "c=IN IP6 ::1");
    assert_int_equal(fx_mport(r), fx_port_base() + 2000);
    fx_free(f);
}

static void modify_changes_remote_and_mode_in_mid_call(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    run(f, ADD1);
    const char *r = run(f, HDR "Transaction=5{Context=1{Modify=ip/4/core/1{Media{Stream=1{"
                               "LocalControl{Mode=ReceiveOnly,ds/dscp=46,ipnat/latch=ON},"
                               "Remote{\nv=0\nc=IN IP4 127.0.0.2\nm=audio 31000 RTP/AVP 0\n}}}}}}");
    assert_has(r, "P=5{C=1{MF=ip/4/core/1}}");
    r = run(f, HDR "Transaction=6{Context=1{AuditValue=ip/4/core/1{Audit{Media}}}}");
    assert_has(r, "MO=RC");
    assert_has(r, "ds/dscp=46");
    assert_has(r, "ipnat/latch=ON");
    assert_has(r, "c=IN IP4 127.0.0.2");
    assert_has(r, "m=audio 31000");
    /* the data plane now sends to the new remote */
    mg_term_t *t = mg_term_find(f->e->store, "ip/4/core/1", 11);
    assert_non_null(t);
    dp_gate_stats_t st;
    netaddr_t want;
    netaddr_parse(&want, "127.0.0.2:31000", -1);
    bool ok = false;
    for (int i = 0; i < 50 && !ok; i++) {
        assert_int_equal(dp_gate_stats(f->dp, t->streams[0].gate_id, &st), 0);
        ok = netaddr_equal(&st.latched_rtp, &want);
        if (!ok) usleep(10000);
    }
    assert_true(ok);
    fx_free(f);
}

static void subtract_returns_statistics_and_frees_ports(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    run(f, ADD1);
    run(f, HDR "Transaction=2{Context=1{Add=${Media{Stream=1{Local{\nv=0\nc=IN IP4 $\n"
               "m=audio $ RTP/AVP 0\n}}}}}}");
    const char *r = run(f, HDR "Transaction=7{Context=1{Subtract=ip/4/core/1{}}}");
    assert_has(r, "S=ip/4/core/1{SA{nt/os=0,nt/or=0,rtp/ps=0,rtp/pr=0,rtp/pl=0,rtp/jit=0}}");
    r = run(f, HDR "Transaction=8{Context=1{Subtract=ip/4/core/2{Audit{}}}}");
    assert_has(r, "S=ip/4/core/2}");
    assert_lacks(r, "SA{");
    assert_int_equal(dp_gate_count(f->dp), 0);
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 0);
    assert_int_equal(c.terminations, 0);
    r = run(f, HDR "Transaction=9{Context=1{Subtract=*{}}}");
    assert_has(r, "ER=411");
    fx_free(f);
}

static void subtract_all_in_all_contexts(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    for (int i = 0; i < 3; i++)
        run(f, ADD1);
    const char *r = run(f, HDR "Transaction=10{Context=*{Subtract=*{Audit{}}}}");
    assert_has(r, "C=1{S=ip/4/core/1}");
    assert_has(r, "C=2{S=ip/4/core/2}");
    assert_has(r, "C=3{S=ip/4/core/3}");
    assert_int_equal(dp_gate_count(f->dp), 0);
    fx_free(f);
}

static void no_port_is_handed_out_twice_and_exhaustion_is_510(void **state)
{
    (void)state;
    fx_t *f = fx_new(4, 0);
    int ports[4];
    for (int i = 0; i < 4; i++) {
        const char *r = run(f, ADD1);
        assert_has(r, "A=ip/4/core/");
        ports[i] = fx_mport(r);
        for (int k = 0; k < i; k++)
            assert_int_not_equal(ports[i], ports[k]);
    }
    const char *r = run(f, ADD1);
    assert_has(r, "ER=510");
    assert_int_equal(dp_gate_count(f->dp), 4);
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 4); /* the failed Add left no context behind */
    run(f, HDR "Transaction=11{Context=2{Subtract=*{}}}");
    r = run(f, ADD1);
    assert_int_equal(fx_mport(r), ports[1]); /* the freed pair is the only one left */
    fx_free(f);
}

static void a_port_in_use_elsewhere_is_skipped(void **state)
{
    (void)state;
    fx_t *f = fx_new(4, 0);
    int busy = udp_at(fx_port_base()); /* the first pair's RTP port, taken by someone else */
    const char *r = run(f, ADD1);
    assert_has(r, "A=ip/4/core/1{");
    assert_int_equal(fx_mport(r), fx_port_base() + 2);
    close(busy);
    fx_free(f);
}

static void release_all_ends_every_call(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    for (int i = 0; i < 5; i++)
        run(f, ADD1);
    mg_engine_release_all(f->e);
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 0);
    assert_int_equal(c.terminations, 0);
    assert_int_equal(dp_gate_count(f->dp), 0);
    /* fresh ids first, then released ones in the order they were released */
    const char *r = run(f, ADD1);
    assert_has(r, "C=6{A=ip/4/core/6{");
    fx_free(f);
}

static void move_takes_a_termination_to_another_context(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    run(f, ADD1);
    run(f, ADD1);
    const char *r = run(f, HDR "Transaction=12{Context=2{Move=ip/4/core/1{}}}");
    assert_has(r, "C=2{MV=ip/4/core/1}");
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 1); /* context 1 emptied and ended */
    r = run(f, HDR "Transaction=13{Context=2{Move=ip/4/core/2{}}}");
    assert_has(r, "ER=433");
    r = run(f, ADD1);
    r = run(f, HDR "Transaction=14{Context=2{Move=ip/4/core/3{}}}");
    assert_has(r, "ER=434");
    fx_free(f);
}

static void root_properties_and_inactivity_event(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    const char *r = run(f, HDR "Transaction=15{Context=-{Modify=ROOT{Media{TerminationState{"
                               "root/normalMGExecutionTime=700,root/MGOriginatedPendingLimit=9}},"
                               "Events=3{it/ito{mit=200}}}}}");
    assert_has(r, "P=15{C=-{MF=ROOT}}");
    assert_int_equal(mg_engine_root(f->e)->normal_mg_exec_ms, 700);
    assert_int_equal(mg_engine_root(f->e)->mg_pending_limit, 9);
    assert_int_equal(f->inactivity_ms, 2000);
    /* a reload takes new defaults, but what the MGC set stays */
    mg_config_t next = f->cfg;
    next.normal_mg_exec_ms = 900;
    next.normal_mgc_exec_ms = 1900;
    assert_int_equal(mg_engine_reload(f->e, &next), 0);
    assert_int_equal(mg_engine_root(f->e)->normal_mg_exec_ms, 700);
    assert_int_equal(mg_engine_root(f->e)->normal_mgc_exec_ms, 1900);
    r = run(f, HDR "Transaction=16{Context=-{AuditValue=ROOT{Audit{Events}}}}");
    assert_has(r, "it/ito{mit=200}");
    r = run(f, HDR "Transaction=17{Context=-{Modify=ROOT{Events=4{}}}}");
    assert_int_equal(f->inactivity_ms, 0);
    r = run(f, HDR "Transaction=18{Context=-{Modify=ROOT{Media{TerminationState{"
                   "root/normalMGExecutionTime=10}}}}}");
    assert_has(r, "ER=449");
    r = run(f, HDR "Transaction=19{Context=-{Modify=ROOT{Media{TerminationState{"
                   "root/maxNumberOfContexts=10}}}}}");
    assert_has(r, "ER=455");
    r = run(f, HDR "Transaction=20{Context=-{Modify=ROOT{Events=5{it/ito{mit=99}}}}}");
    assert_has(r, "ER=449");
    fx_free(f);
}

static void hanging_termination_is_notified_when_asked(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    run(f,
        HDR "Transaction=21{Context=${Add=${Media{TerminationState{hangterm/timerx=1},"
            "Stream=1{Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}},"
            "Stream=2{Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}}},Events=9{hangterm/thb}}}}");
    run(f, HDR "Transaction=22{Context=${Add=${Media{TerminationState{hangterm/timerx=1},"
               "Stream=1{Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}}}}}}");
    for (int i = 0; i < 40 && f->nsent == 0; i++) {
        usleep(100000);
        mg_engine_poll(f->e);
    }
    for (int i = 0; i < 5; i++) { /* the second stream's event may come a little later */
        usleep(100000);
        mg_engine_poll(f->e);
    }
    assert_int_equal(f->nsent, 1); /* once, and only for the termination that asked for thb */
    assert_has(f->sent, "C=1{N=ip/4/core/1{OE=9{hangterm/thb}}}");
    fx_free(f);
}

static void send_to(int fd, uint16_t port, uint16_t seq)
{
    uint8_t rtp[32] = {0x80, 0x00, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 1, 0, 0, 0, 9};
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(sendto(fd, rtp, sizeof(rtp), 0, (struct sockaddr *)&a, sizeof(a)), 32);
}

/* 1 when a datagram arrives within ms. */
static int got(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1) return 0;
    uint8_t b[2048];
    return recv(fd, b, sizeof(b), 0) > 0;
}

/* Context 1 with two terminations whose remotes are local sockets *a and *b at
 * fx_port_base() + off and + off + 2; *la and *lb get the ports bgf chose. */
static void call_with_media(fx_t *f, unsigned off, int *a, int *b, int *la, int *lb)
{
    uint16_t pa = (uint16_t)(fx_port_base() + off), pb = (uint16_t)(pa + 2);
    *a = udp_at(pa);
    *b = udp_at(pb);
    char req[512];
    for (int i = 0; i < 2; i++) {
        snprintf(req, sizeof(req),
                 HDR "Transaction=%d{Context=%s{Add=${Media{Stream=1{"
                     "LocalControl{Mode=SendReceive},Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},"
                     "Remote{\nv=0\nc=IN IP4 127.0.0.1\nm=audio %u RTP/AVP 0\n}}}}}}",
                 30 + i, i ? "1" : "$", i ? pb : pa);
        *(i ? lb : la) = fx_mport(run(f, req));
    }
    assert_true(*la > 0 && *lb > 0);
}

static void media_flows_through_the_gates_the_engine_opened(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    int a, b, la, lb;
    call_with_media(f, 1000, &a, &b, &la, &lb);
    send_to(a, (uint16_t)la, 1);
    assert_int_equal(got(b, 1000), 1); /* A -> bgf -> B */
    send_to(b, (uint16_t)lb, 1);
    assert_int_equal(got(a, 1000), 1); /* and back */
    /* B's side stops sending towards B */
    run(f, HDR "Transaction=32{Context=1{Modify=ip/4/core/2{Media{Stream=1{LocalControl{"
               "Mode=ReceiveOnly}}}}}}");
    usleep(50000);
    send_to(a, (uint16_t)la, 2);
    assert_int_equal(got(b, 300), 0);
    send_to(b, (uint16_t)lb, 2);
    assert_int_equal(got(a, 1000), 1);
    usleep(50000);
    const char *r = run(f, HDR "Transaction=33{Context=1{Subtract=ip/4/core/1{Audit{Statistics{"
                               "rtp/pr,rtp/ps}}}}}");
    /* ps: both packets from B reached A; pr: what A sent and the gate accepted (the second
     * one is dropped by B's mode, which the data plane may count at either gate) */
    assert_has(r, "rtp/ps=2}");
    const char *pr = strstr(r, "SA{rtp/pr=");
    assert_non_null(pr);
    assert_true(atoi(pr + 10) >= 1);
    close(a);
    close(b);
    fx_free(f);
}

/* Move keeps the termination's gates (their context changes in place); what they counted
 * before stays in the termination's statistics. */
static void move_keeps_the_statistics_counted_before_it(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    int a, b, la, lb;
    call_with_media(f, 1004, &a, &b, &la, &lb);
    for (uint16_t i = 1; i <= 3; i++) {
        send_to(a, (uint16_t)la, i);
        assert_int_equal(got(b, 1000), 1);
    }
    usleep(50000);
    run(f, ADD1); /* context 2 */
    const char *r = run(f, HDR "Transaction=42{Context=2{Move=ip/4/core/1{}}}");
    assert_has(r, "C=2{MV=ip/4/core/1}");
    r = run(f, HDR "Transaction=43{Context=2{Subtract=ip/4/core/1{Audit{Statistics{rtp/pr}}}}}");
    assert_has(r, "SA{rtp/pr=3}");
    close(a);
    close(b);
    fx_free(f);
}

static void service_change_on_root_goes_to_the_association(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0);
    const char *r = run(f, HDR "Transaction=23{Context=-{ServiceChange=ROOT{Services{"
                               "Method=Forced,Reason=905}}}}");
    assert_has(r, "P=23{C=-{SC=ROOT}}");
    assert_int_equal(f->nsc, 1);
    /* on a termination: Forced takes it out of service (its gates go inactive), Restart back */
    run(f, ADD1);
    r = run(f, HDR "Transaction=24{Context=1{ServiceChange=ip/4/core/1{Services{Method=Forced,"
                   "Reason=905}}}}");
    assert_has(r, "C=1{SC=ip/4/core/1}");
    r = run(f, HDR "Transaction=25{Context=1{AuditValue=ip/4/core/1{Audit{Media}}}}");
    assert_has(r, "SI=OS");
    r = run(f, HDR "Transaction=26{Context=1{ServiceChange=ip/4/core/1{Services{Method=Restart,"
                   "Reason=900}}}}");
    r = run(f, HDR "Transaction=27{Context=1{AuditValue=ip/4/core/1{Audit{Media}}}}");
    assert_has(r, "SI=IV");
    assert_int_equal(f->nsc, 1); /* terminations are not the association's business */
    fx_free(f);
}

static void modify_bits_name_exactly_what_changed(void **state)
{
    (void)state;
    dp_gate_req_t a, b;
    memset(&a, 0, sizeof(a));
    netaddr_parse(&a.remote_rtp, "127.0.0.1:3000", -1);
    a.mode = DP_MODE_SENDRECV;
    b = a;
    assert_int_equal(mg_req_diff(&a, &b), 0);
    netaddr_set_port(&b.remote_rtp, 3002);
    assert_int_equal(mg_req_diff(&a, &b), DP_MOD_REMOTE);
    b = a;
    memset(&b.remote_rtp, 0, sizeof(b.remote_rtp));
    assert_int_equal(mg_req_diff(&a, &b), DP_MOD_REMOTE);
    b = a;
    b.mode = DP_MODE_INACTIVE;
    b.dscp = 46;
    assert_int_equal(mg_req_diff(&a, &b), DP_MOD_MODE | DP_MOD_DSCP);
    b = a;
    b.latch = true;
    b.filter.addr_on = true;
    b.policer.on = true;
    b.hang_timer_s = 30;
    assert_int_equal(mg_req_diff(&a, &b),
                     DP_MOD_LATCH | DP_MOD_FILTER | DP_MOD_POLICER | DP_MOD_HANG);
    b = a;
    b.tap.active = true;
    assert_int_equal(mg_req_diff(&a, &b), DP_MOD_TAP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_adds_set_up_a_call_with_chosen_ports),
        cmocka_unit_test(add_without_local_still_answers_our_address),
        cmocka_unit_test(ipv6_realm_answers_an_ipv6_address),
        cmocka_unit_test(modify_changes_remote_and_mode_in_mid_call),
        cmocka_unit_test(subtract_returns_statistics_and_frees_ports),
        cmocka_unit_test(subtract_all_in_all_contexts),
        cmocka_unit_test(no_port_is_handed_out_twice_and_exhaustion_is_510),
        cmocka_unit_test(a_port_in_use_elsewhere_is_skipped),
        cmocka_unit_test(release_all_ends_every_call),
        cmocka_unit_test(move_takes_a_termination_to_another_context),
        cmocka_unit_test(move_keeps_the_statistics_counted_before_it),
        cmocka_unit_test(root_properties_and_inactivity_event),
        cmocka_unit_test(hanging_termination_is_notified_when_asked),
        cmocka_unit_test(media_flows_through_the_gates_the_engine_opened),
        cmocka_unit_test(service_change_on_root_goes_to_the_association),
        cmocka_unit_test(modify_bits_name_exactly_what_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
