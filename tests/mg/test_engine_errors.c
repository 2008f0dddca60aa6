/* test_engine_errors.c - every error the engine produces carries its H.248 code and leaves
 * nothing half done; O- and W- semantics; audits of ROOT, terminations and wildcards. */
#include "engine_fixture.h"

#define HDR "MEGACO/3 [127.0.0.1]:2945\n"
#define ADD_BODY "Media{Stream=1{Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}}}"
#define ADD "Add=${" ADD_BODY "}"

static fx_t *call(void)
{
    fx_t *f = fx_new(16, 0);
    run(f, HDR "Transaction=1{Context=${" ADD "," ADD "}}");
    return f;
}

/* One request, one expected error code, nothing changed. */
static void expect_error(fx_t *f, const char *req, const char *code)
{
    mg_engine_counts_t before, after;
    mg_engine_counts(f->e, &before);
    uint32_t gates = dp_gate_count(f->dp);
    const char *r = run(f, req);
    char want[16];
    snprintf(want, sizeof(want), "ER=%s", code);
    assert_has(r, want);
    mg_engine_counts(f->e, &after);
    assert_int_equal(before.contexts, after.contexts);
    assert_int_equal(before.terminations, after.terminations);
    assert_int_equal(gates, dp_gate_count(f->dp));
}

static void identifiers_and_contexts(void **state)
{
    (void)state;
    fx_t *f = call();
    expect_error(f, HDR "Transaction=2{Context=99{Modify=ip/4/core/1{}}}", "411");
    expect_error(f, HDR "Transaction=3{Context=1{Modify=ip/4/core/77{}}}", "430");
    expect_error(f, HDR "Transaction=4{Context=1{Modify=ip/6/*{}}}", "431");
    expect_error(f, HDR "Transaction=5{Context=1{Add=ip/4/core/1{}}}", "433");
    expect_error(f, HDR "Transaction=6{Context=1{" ADD "}}", "434");
    run(f, HDR "Transaction=7{Context=${" ADD "}}");
    expect_error(f, HDR "Transaction=8{Context=2{Modify=ip/4/core/1{}}}", "435");
    expect_error(f, HDR "Transaction=9{Context=-{" ADD "}}", "421");
    expect_error(f, HDR "Transaction=10{Context=2{Add=*{}}}", "410");
    expect_error(f,
                 HDR "Transaction=11{Context=${Add=${Media{TerminationState{ipdc/realm=v6},"
                     "Stream=1{Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}}}}}}",
                 "449");
    expect_error(f, HDR "Transaction=12{Context=${Add=ip/4/nowhere/${}}}", "430");
    expect_error(f,
                 HDR "Transaction=13{Context=2{Notify=ip/4/core/3{ObservedEvents=1{"
                     "hangterm/thb}}}}",
                 "443");
    expect_error(f,
                 HDR "Transaction=14{Context=1{Topology{ip/4/core/1,ip/4/core/7,isolate},"
                     "Modify=ip/4/core/1{}}}",
                 "430");
    fx_free(f);
}

static void packages_properties_and_values(void **state)
{
    (void)state;
    fx_t *f = call();
#define MOD(lc)                                                                                    \
    HDR "Transaction=20{Context=1{Modify=ip/4/core/1{Media{Stream=1{LocalControl{" lc "}}}}}}"
    expect_error(f, MOD("xx/yy=1"), "445");
    expect_error(f, MOD("ds/nope=1"), "450");
    expect_error(f, MOD("ds/dscp=64"), "449");
    expect_error(f, MOD("gm/saf=maybe"), "449");
    expect_error(f, MOD("gm/sam=1.2.3"), "449");
    expect_error(f, MOD("tman/sdr=-5"), "449");
    expect_error(f, MOD("ds/dscp=1,ds/dscp=2"), "456");
    expect_error(f, MOD("root/normalMGExecutionTime=600"), "455");
    expect_error(f,
                 HDR "Transaction=21{Context=1{Modify=ip/4/core/1{Media{TerminationState{"
                     "ds/dscp=1}}}}}",
                 "455");
    expect_error(f,
                 HDR "Transaction=22{Context=1{Modify=ip/4/core/1{Media{TerminationState{"
                     "ipdc/realm=nowhere}}}}}",
                 "449");
    expect_error(f, HDR "Transaction=23{Context=1{Modify=ip/4/core/1{Events=1{hangterm/nope}}}}",
                 "451");
    expect_error(f, HDR "Transaction=24{Context=1{Modify=ip/4/core/1{Events=1{it/ito}}}}", "455");
    expect_error(f, HDR "Transaction=25{Context=1{Modify=ip/4/core/1{Signals{g/rt}}}}", "452");
    expect_error(f, HDR "Transaction=26{Context=1{Modify=ip/4/core/1{DigitMap=dm1{(0s|1s)}}}}",
                 "444");
    expect_error(f,
                 HDR "Transaction=27{Context=1{Subtract=ip/4/core/1{Audit{Statistics{"
                     "rtp/nope}}}}}",
                 "453");
    expect_error(f, MOD("Mode=Loopback"), "449");
    expect_error(f, HDR "Transaction=29{Context=-{Modify=ROOT{Events=1{it/ito{mit=200,zz=1}}}}}",
                 "446");
    expect_error(f,
                 HDR "Transaction=29{Context=1{Modify=ip/4/core/1{Events=1{hangterm/thb},"
                     "Events=2{hangterm/thb}}}}",
                 "448");
    /* a value that is accepted is really kept */
    const char *r = run(f, MOD("gm/saf=ON,gm/sam=192.0.2.0/24,gm/spr=[1000:2000],tman/pol=ON,"
                               "tman/sdr=8000,ds/dscp=2e"));
    assert_has(r, "MF=ip/4/core/1");
    r = run(f, HDR "Transaction=28{Context=1{AuditValue=ip/4/core/1{Audit{Media}}}}");
    assert_has(r, "gm/saf=ON");
    assert_has(r, "gm/spr=1000-2000");
    assert_has(r, "gm/sam=192.0.2.0/24");
    assert_has(r, "ds/dscp=46");
    assert_has(r, "tman/sdr=8000");
    fx_free(f);
}

static void first_failure_ends_the_transaction(void **state)
{
    (void)state;
    fx_t *f = call();
    /* the failing Modify stops the transaction: the Add after it never runs */
    const char *r = run(f, HDR "Transaction=30{Context=1{Modify=ip/4/core/1{Media{Stream=1{"
                               "LocalControl{ds/dscp=99}}}}},Context=${" ADD "}}");
    assert_has(r, "ER=449");
    assert_lacks(r, "ip/4/core/3");
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 1);
    /* O-: the failure is reported and the next command still runs */
    r = run(f, HDR "Transaction=31{Context=1{O-Modify=ip/4/core/9{},Modify=ip/4/core/1{}}}");
    assert_has(r, "MF=ip/4/core/9{ER=430");
    assert_has(r, "MF=ip/4/core/1");
    /* commands before the failure keep their effect and their replies */
    r = run(f, HDR "Transaction=32{Context=${" ADD "," ADD "," ADD "}}");
    assert_has(r, "A=ip/4/core/");
    assert_has(r, "ER=434");
    /* a context that ended earlier in the action is unknown to the commands after it */
    r = run(f, HDR "Transaction=33{Context=1{Subtract=*{Audit{}}," ADD "}}");
    assert_has(r, "C=1{S=ip/4/core/1,S=ip/4/core/2,ER=411");
    fx_free(f);
}

static void wildcards_and_wildcard_replies(void **state)
{
    (void)state;
    fx_t *f = call();
    const char *r = run(f, HDR "Transaction=40{Context=1{Modify=*{Media{Stream=1{LocalControl{"
                               "Mode=Inactive}}}}}}");
    assert_has(r, "MF=ip/4/core/1");
    assert_has(r, "MF=ip/4/core/2");
    r = run(f, HDR "Transaction=41{Context=1{W-Modify=ip/4/core/*{Media{Stream=1{LocalControl{"
                   "Mode=SendReceive}}}}}}");
    assert_has(r, "W-MF=ip/4/core/*");
    assert_lacks(r, "ip/4/core/1");
    r = run(f, HDR "Transaction=42{Context=*{AuditValue=*{Audit{}}}}");
    assert_has(r, "C=1{AV=ip/4/core/1,AV=ip/4/core/2}");
    r = run(f, HDR "Transaction=44{Context=1{AuditValue=[ip/4/core/2,ip/4/core/1]{Audit{}}}}");
    assert_has(r, "C=1{AV=ip/4/core/2,AV=ip/4/core/1}");
    r = run(f, HDR "Transaction=45{Context=1{Modify=[ip/4/core/1,ip/4/core/9]{}}}");
    assert_has(r, "C=1{MF=ip/4/core/1,ER=430");
    r = run(f, HDR "Transaction=43{Context=1{W-Subtract=*{}}}");
    assert_has(r, "W-S=*");
    assert_int_equal(dp_gate_count(f->dp), 0);
    fx_free(f);
}

static void audits_of_root_and_terminations(void **state)
{
    (void)state;
    fx_t *f = call();
    const char *r = run(f, HDR "Transaction=50{Context=-{AuditValue=ROOT{Audit{Packages}}}}");
    assert_has(r, "PG{root-2,nt-1,rtp-1,ds-1,gm-1,ipnat-1,ipdc-1,tman-1,it-1,hangterm-1,li-1}");
    r = run(f, HDR "Transaction=51{Context=-{AuditValue=ROOT{Audit{Media}}}}");
    assert_has(r, "root/maxNumberOfContexts=64");
    assert_has(r, "root/maxTerminationsPerContext=2");
    assert_has(r, "root/normalMGExecutionTime=");
    r = run(f, HDR "Transaction=52{Context=-{AuditValue=ROOT{Audit{Media{TerminationState{"
                   "root/MGCOriginatedPendingLimit}}}}}}");
    assert_has(r, "root/MGCOriginatedPendingLimit=");
    assert_lacks(r, "root/maxNumberOfContexts");
    r = run(f, HDR "Transaction=53{Context=-{AuditValue=ROOT{Audit{Media{TerminationState{"
                   "root/nope}}}}}}");
    assert_has(r, "ER=450");
    r = run(f, HDR "Transaction=54{Context=-{AuditCapability=ROOT{Audit{Media,Events}}}}");
    assert_has(r, "root/normalMGExecutionTime=[500:29000]");
    assert_has(r, "it/ito{mit=[100:65535]}");
    r = run(f, HDR "Transaction=55{Context=-{AuditCapability=ip/*{Audit{Media,Statistics}}}}");
    assert_has(r, "ds/dscp=[0:63]");
    assert_has(r, "ipdc/realm={core,v6}");
    assert_has(r, "rtp/jit");
    r = run(f, HDR "Transaction=56{Context=1{AuditValue=ip/4/core/1{Audit{Media,Statistics,"
                   "Packages}}}}");
    assert_has(r, "ipdc/realm=core");
    assert_has(r, "MO=SR");
    assert_has(r, "SA{nt/os=0");
    assert_has(r, "PG{nt-1");
    r = run(f, HDR "Transaction=57{Context=*{AuditValue=ip/4/core/2{Audit{Media}}}}");
    assert_has(r, "C=1{AV=ip/4/core/2{M{");
    fx_free(f);
}

static void no_context_left_is_412(void **state)
{
    (void)state;
    fx_t *f = fx_new_ctx(16, 0, 2);
    run(f, HDR "Transaction=60{Context=${" ADD "}}");
    run(f, HDR "Transaction=61{Context=${" ADD "}}");
    expect_error(f, HDR "Transaction=62{Context=${" ADD "}}", "412");
    fx_free(f);
}

static void context_properties_are_kept_and_audited(void **state)
{
    (void)state;
    fx_t *f = call();
    const char *r =
        run(f, HDR "Transaction=70{Context=1{Priority=5,Emergency,Modify=ip/4/core/1{}}}");
    assert_has(r, "C=1{MF=ip/4/core/1}");
    r = run(f, HDR "Transaction=71{Context=1{ContextAudit{Priority,Emergency}}}");
    assert_has(r, "C=1{PR=5,EG");
    r = run(f, HDR "Transaction=72{Context=*{ContextAudit{Priority}}}");
    assert_has(r, "P=72{C=1{PR=5}}");
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identifiers_and_contexts),
        cmocka_unit_test(packages_properties_and_values),
        cmocka_unit_test(first_failure_ends_the_transaction),
        cmocka_unit_test(wildcards_and_wildcard_replies),
        cmocka_unit_test(audits_of_root_and_terminations),
        cmocka_unit_test(no_context_left_is_412),
        cmocka_unit_test(context_properties_are_kept_and_audited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
