/* test_engine_li.c - interception triggering through H.248: the seed request verbatim, with a
 * valid and with invalid LICn values, gives byte-identical replies; valid ones tap the gate,
 * invalid ones and a later invalid Modify do not; more than 7 target ids is 449 and changes
 * nothing; Subtract ends interception; audits never show li values. */
#include "engine_fixture.h"
#include "seed_request.h"

/* The seed document's request, verbatim except for the LICn placeholder. */
static const char *SEED_A = SEED_HEAD;
static const char *SEED_B = SEED_TAIL;

static char *seed(const char *licn)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "%s%s%s", SEED_A, licn, SEED_B);
    return buf;
}

static void valid_licn(fx_t *f, uint64_t cid, char *out, size_t n)
{
    assert_true(li_licn_encrypt(f->keys, 1, cid, out, n) >= 0);
}

static const char *lilog(fx_t *f)
{
    return fx_slurp(f->cfg.li.log_file);
}

static void seed_request_valid_and_invalid_licn_give_identical_replies(void **state)
{
    (void)state;
    char reply[5][8192];
    const char *licn[5] = {NULL, "ff00ff00ff00ff00", "0000000000000000", "xyz",
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
    char good[64];
    for (int i = 0; i < 5; i++) {
        fx_t *f = fx_new(16, 100);
        if (i == 0) {
            valid_licn(f, 4242, good, sizeof(good));
            licn[0] = good;
        }
        snprintf(reply[i], sizeof(reply[i]), "%s", run(f, seed(licn[i])));
        assert_has(reply[i], "P=10003{C=1{A=ip/4/core/1{");
        const char *log = lilog(f);
        if (i == 0) {
            assert_has(log, "interception started");
            assert_int_equal(dp_gate_count(f->dp), 1);
        } else {
            assert_lacks(log, "interception started");
            assert_has(log, "not tapped");
        }
        fx_free(f);
    }
    assert_string_equal(reply[0], reply[1]);
    assert_string_equal(reply[0], reply[2]);
    assert_string_equal(reply[0], reply[3]); /* not hex at all */
    assert_string_equal(reply[0], reply[4]); /* far too long */
    /* nothing of interception in the reply */
    assert_lacks(reply[0], "li/");
    assert_lacks(reply[0], "ffffff0");
}

static void modify_with_invalid_licn_stops_and_subtract_ends(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 100);
    char good[64];
    valid_licn(f, 77, good, sizeof(good));
    run(f, seed(good));
    assert_has(lilog(f), "interception started");
    const char *r = run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=2{Context=1{Modify=ip/4/core/1{"
                           "Media{Stream=1{LocalControl{li/LICn=0000000000000000}}}}}}");
    char stop_reply[2048];
    snprintf(stop_reply, sizeof(stop_reply), "%s", r);
    assert_has(lilog(f), "interception stopped");
    /* start again with other targets, then Subtract ends it */
    r = run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=2{Context=1{Modify=ip/4/core/1{"
               "Media{Stream=1{LocalControl{li/LITID=[1,2,3]}}}}}}");
    char again[512];
    snprintf(again, sizeof(again),
             "MEGACO/3 [1.2.3.4]:2944\nTransaction=2{Context=1{Modify="
             "ip/4/core/1{Media{Stream=1{LocalControl{li/LICn=%s}}}}}}",
             good);
    const char *log_before = lilog(f);
    size_t starts = 0;
    for (const char *p = log_before; (p = strstr(p, "interception started")); p++)
        starts++;
    r = run(f, again);
    assert_string_equal(r, stop_reply); /* same reply for start and stop */
    size_t starts2 = 0;
    for (const char *p = lilog(f); (p = strstr(p, "interception started")); p++)
        starts2++;
    assert_int_equal(starts2, starts + 1);
    /* other targets for the running interception */
    run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=2{Context=1{Modify=ip/4/core/1{"
           "Media{Stream=1{LocalControl{li/LITID=[5]}}}}}}");
    assert_has(lilog(f), "interception changed");
    /* a Modify without li properties leaves the tap alone (nothing new in the LI log) */
    size_t loglen = strlen(lilog(f));
    run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=2{Context=1{Modify=ip/4/core/1{"
           "Media{Stream=1{LocalControl{Mode=SendOnly}}}}}}");
    assert_int_equal(strlen(lilog(f)), loglen);
    /* a second stream added later joins the interception */
    run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=2{Context=1{Modify=ip/4/core/1{"
           "Media{Stream=2{LocalControl{Mode=SendOnly}}}}}}");
    size_t starts3 = 0;
    for (const char *p = lilog(f); (p = strstr(p, "interception started")); p++)
        starts3++;
    assert_int_equal(starts3, starts2 + 1);
    /* audits show no li values */
    r = run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=3{Context=1{AuditValue=ip/4/core/1{"
               "Audit{Media,Statistics}}}}");
    assert_lacks(r, "li/");
    r = run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=4{Context=1{Subtract=ip/4/core/1{}}}");
    assert_lacks(r, "li/");
    size_t stops = 0;
    for (const char *p = lilog(f); (p = strstr(p, "interception stopped")); p++)
        stops++;
    assert_int_equal(stops, 3); /* the invalid LICn, then both gates at Subtract */
    fx_free(f);
}

static void more_than_seven_targets_is_449_and_changes_nothing(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 100);
    char good[64], req[1024];
    valid_licn(f, 5, good, sizeof(good));
    snprintf(req, sizeof(req),
             "MEGACO/3 [1.2.3.4]:2944\nTransaction=5{Context=${Add=${Media{LocalControl{"
             "Mode=SendReceive,li/LICn=%s,li/LITID=[1,2,3,4,5,6,7,8]}}}}}",
             good);
    const char *r = run(f, req);
    assert_has(r, "ER=449");
    assert_int_equal(dp_gate_count(f->dp), 0);
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 0);
    assert_lacks(lilog(f), "interception started");
    /* on a tapped call: 449 and the tap stays as it was */
    run(f, seed(good));
    r = run(f, "MEGACO/3 [1.2.3.4]:2944\nTransaction=6{Context=1{Modify=ip/4/core/1{Media{"
               "Stream=1{LocalControl{li/LITID=[1,2,3,4,5,6,7,8]}}}}}}");
    assert_has(r, "ER=449");
    assert_lacks(lilog(f), "interception stopped");
    assert_lacks(lilog(f), "interception changed");
    fx_free(f);
}

static void share_limit_leaves_the_reply_unchanged(void **state)
{
    (void)state;
    /* the same two calls on an engine that admits both and on one whose share limit
     * (0.1 % of 256 gates: one tap) refuses the second: identical replies */
    char reply[2][2][4096];
    for (int k = 0; k < 2; k++) {
        fx_t *f = fx_new(16, k == 0 ? 100 : 0.1);
        char good[64];
        valid_licn(f, 9, good, sizeof(good));
        for (int c = 0; c < 2; c++)
            snprintf(reply[k][c], sizeof(reply[k][c]), "%s", run(f, seed(good)));
        if (k == 1)
            assert_has(lilog(f), "share limit reached");
        else
            assert_lacks(lilog(f), "share limit reached");
        fx_free(f);
    }
    assert_string_equal(reply[0][0], reply[1][0]);
    assert_string_equal(reply[0][1], reply[1][1]);
    assert_has(reply[1][1], "P=10003{C=2{A=ip/4/core/2{");
}

static void interception_on_one_stream_taps_every_stream(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 100);
    char good[64], req[1024];
    valid_licn(f, 31, good, sizeof(good));
    snprintf(req, sizeof(req),
             "MEGACO/3 [1.2.3.4]:2944\nTransaction=7{Context=${Add=${Media{"
             "Stream=1{LocalControl{Mode=SendReceive,li/LICn=%s,li/LITID=[a1]}},"
             "Stream=2{LocalControl{Mode=SendReceive}}}}}}",
             good);
    const char *r = run(f, req);
    assert_has(r, "ST=1{L{");
    assert_has(r, "ST=2{L{");
    assert_int_equal(dp_gate_count(f->dp), 2);
    size_t starts = 0;
    for (const char *p = lilog(f); (p = strstr(p, "interception started")); p++)
        starts++;
    assert_int_equal(starts, 2);
    fx_free(f);
}

/* With room for one more tapped gate, a two-stream termination is not tapped at all: never
 * one stream mirrored and the other not. */
static void share_limit_never_taps_half_a_termination(void **state)
{
    (void)state;
    fx_t *f = fx_new(16, 0.1); /* 0.1 % of 256 gates: one tap */
    char good[64], req[1024];
    valid_licn(f, 32, good, sizeof(good));
    snprintf(req, sizeof(req),
             "MEGACO/3 [1.2.3.4]:2944\nTransaction=8{Context=${Add=${Media{"
             "Stream=1{LocalControl{Mode=SendReceive,li/LICn=%s,li/LITID=[a2]}},"
             "Stream=2{LocalControl{Mode=SendReceive}}}}}}",
             good);
    const char *r = run(f, req);
    assert_has(r, "ST=2{L{");
    assert_int_equal(dp_gate_count(f->dp), 2);
    assert_lacks(lilog(f), "interception started");
    assert_has(lilog(f), "share limit reached");
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_request_valid_and_invalid_licn_give_identical_replies),
        cmocka_unit_test(modify_with_invalid_licn_stops_and_subtract_ends),
        cmocka_unit_test(more_than_seven_targets_is_449_and_changes_nothing),
        cmocka_unit_test(share_limit_leaves_the_reply_unchanged),
        cmocka_unit_test(interception_on_one_stream_taps_every_stream),
        cmocka_unit_test(share_limit_never_taps_half_a_termination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
