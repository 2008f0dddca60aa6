/* test_engine_robust.c - the engine takes whatever the decoder accepts: the codec's seed corpus
 * (fuzz/seeds) and thousands of byte mutations of it and of call flows run through
 * mg_engine_execute; every reply must encode, and after `Context=*{Subtract=*}` no context,
 * termination, gate or port may be left over. Run from the top of the tree (tests/run.sh). */
#include <ctype.h>
#include <dirent.h>

#include "engine_fixture.h"
#include "mg/engine_int.h"

#define HDR "MEGACO/3 [127.0.0.1]:2945\n"

static const char *const FLOWS[] = {
    HDR "Transaction=1{Context=${Add=${Media{Stream=1{LocalControl{Mode=SendReceive,"
        "ds/dscp=46,gm/saf=ON,tman/pol=ON,tman/sdr=8000},Local{\nv=0\nc=IN IP4 $\nm=audio $ "
        "RTP/AVP 0\n},Remote{\nv=0\nc=IN IP4 127.0.0.1\nm=audio 30000 RTP/AVP 0\n}}},"
        "Events=2{hangterm/thb}},Add=${Media{Stream=1{Local{\nv=0\nc=IN IP4 $\nm=audio $ "
        "RTP/AVP 0\n}}}}}}",
    HDR "Transaction=2{Context=1{Modify=ip/4/core/1{Media{Stream=1{LocalControl{Mode="
        "ReceiveOnly},Remote{\nv=0\nc=IN IP4 127.0.0.2\nm=audio 31000 RTP/AVP 8\n}}}},"
        "O-Modify=*{Media{TerminationState{hangterm/timerx=5}}}}}",
    HDR "Transaction=3{Context=*{AuditValue=*{Audit{Media,Statistics,Events,Packages}}}}",
    HDR "Transaction=4{Context=-{AuditCapability=ROOT{Audit{Media,Events,Packages}}}}",
    HDR "Transaction=5{Context=1{Move=ip/4/core/2{}},Context=${Move=ip/4/core/1{}}}",
    HDR "Transaction=6{Context=-{Modify=ROOT{Media{TerminationState{root/normalMGExecutionTime"
        "=800}},Events=3{it/ito{mit=300}}}}}",
    HDR "Transaction=7{Context=${Add=ip/6/v6/${Media{Stream=2{Local{\nv=0\nc=IN IP6 $\n"
        "m=audio $ RTP/AVP 0\n},LocalControl{li/LICn=0011223344556677,li/LITID=[1,2]}}}}}}",
    HDR "Transaction=8{Context=1{W-Subtract=*{Audit{Statistics{rtp/ps,nt/dur}}}}}",
};

typedef struct {
    fx_t *f;
    char buf[65536];
    unsigned execs, replies;
} rb_t;

/* Decode text; execute every request transaction; every reply must encode. */
static void exec_all(rb_t *r, const char *text, size_t n)
{
    fx_t *f = r->f;
    arena_reset(&f->a);
    h248_message_t *m = NULL;
    if (h248_decode(text, n, &f->a, &m, NULL) != H248_OK) return;
    for (h248_txn_t *t = m->txns; t; t = t->next) {
        if (t->kind != H248_TXN_REQUEST) continue;
        h248_txn_t *rep = mg_engine_execute(f->e, t, m->version, &f->a);
        assert_non_null(rep);
        r->execs++;
        h248_mid_t mid = {.kind = H248_MID_IP4, .addr = H248_STR("127.0.0.1")};
        h248_message_t *out = h248_msg_new(&f->a, m->version, &mid);
        assert_non_null(out);
        out->txns = rep;
        int rc = h248_encode(out, H248_COMPACT, r->buf, sizeof(r->buf));
        if (rc < 0) fail_msg("reply does not encode (%d) for:\n%.*s", rc, (int)n, text);
        r->replies++;
        rep->next = NULL;
    }
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void mutate_and_run(rb_t *r, const char *text, unsigned rounds, uint32_t *seed)
{
    static const char alpha[] = "{}[]=,:$*-/0123456789abcdefACEMNOPRSTVW \n\"";
    size_t n = strlen(text);
    char *m = malloc(n + 1);
    assert_non_null(m);
    for (unsigned k = 0; k < rounds; k++) {
        memcpy(m, text, n + 1);
        unsigned edits = 1 + rnd(seed) % 3;
        bool gentle = k % 2; /* half the rounds change only letters and digits: values */
        for (unsigned e = 0; e < edits; e++) {
            size_t pos = rnd(seed) % n;
            char c = alpha[rnd(seed) % (sizeof(alpha) - 1)];
            if (gentle && (!isalnum((unsigned char)m[pos]) || !isalnum((unsigned char)c))) {
                e--; /* try another place or character */
                continue;
            }
            m[pos] = c;
        }
        exec_all(r, m, n);
    }
    free(m);
}

static void no_leftovers(rb_t *r)
{
    fx_t *f = r->f;
    run(f, HDR "Transaction=99{Context=*{Subtract=*{Audit{}}}}");
    mg_engine_counts_t c;
    mg_engine_counts(f->e, &c);
    assert_int_equal(c.contexts, 0);
    assert_int_equal(c.terminations, 0);
    assert_int_equal(dp_gate_count(f->dp), 0);
    assert_int_equal(mg_realm_in_use(f->e->realms, -1), 0);
}

static void call_flows_and_their_mutations_leave_nothing_behind(void **state)
{
    (void)state;
    rb_t *r = calloc(1, sizeof(*r));
    r->f = fx_new(64, 100);
    uint32_t seed = 0x1234567u;
    for (unsigned round = 0; round < 3; round++)
        for (unsigned i = 0; i < sizeof(FLOWS) / sizeof(FLOWS[0]); i++) {
            exec_all(r, FLOWS[i], strlen(FLOWS[i]));
            mutate_and_run(r, FLOWS[i], 150, &seed);
        }
    fprintf(stderr, "execs %u replies %u\n", r->execs, r->replies);
    assert_true(r->replies > 400); /* many mutations no longer decode: fine */
    no_leftovers(r);
    fx_free(r->f);
    free(r);
}

static void codec_seed_corpus_runs_through_the_engine(void **state)
{
    (void)state;
    const char *dirs[] = {"fuzz/seeds/h248", "fuzz/seeds/roundtrip"};
    rb_t *r = calloc(1, sizeof(*r));
    r->f = fx_new(64, 100);
    uint32_t seed = 0xC0FFEEu;
    unsigned files = 0;
    for (unsigned d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir) continue;
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.') continue;
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
            char *text = fx_slurp(path);
            if (!*text) continue;
            char *copy = strdup(text);
            files++;
            exec_all(r, copy, strlen(copy));
            mutate_and_run(r, copy, 40, &seed);
            free(copy);
        }
        closedir(dir);
    }
    if (files == 0) {
        fx_free(r->f);
        free(r);
        skip(); /* not run from the top of the tree */
    }
    no_leftovers(r);
    fx_free(r->f);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_flows_and_their_mutations_leave_nothing_behind),
        cmocka_unit_test(codec_seed_corpus_runs_through_the_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
