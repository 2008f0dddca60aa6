/* test_decode_robust.c - the H.248 decoder on hostile bytes: every input is placed right
 * before a PROT_NONE guard page, so a read past its length faults; every truncated prefix of
 * a varied corpus is decoded; a few thousand seeded random mutations are decoded; whatever
 * decodes also re-encodes (pretty and compact) and decodes again to the same tree. Run it
 * under ASan/UBSan too (make test SAN=1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "h248/compare.h"
#include "h248/h248.h"

static const char *const CORPUS[] = {
    "MEGACO/2 [123.123.123.3]:2944\nTransaction = 10003 {\nContext = $ {\nAdd = $ {\nMedia {\nLocalControl {\n"
    "Mode = SendReceive,\nli/LICn=ff00ff00ff00ff00},\nli/LITID = [ffffff00, ffffff01],\nRemote {\nv=0\n"
    "c=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 0\na=ptime:20\n}\n}\n}\n}\n}\n",
    "!/3 [192.0.2.10]:2944\nT=20001{C=${A=ip/1/access/${M{ST=1{O{MO=SR,ipdc/realm=access,gm/saf=ON},L{\nv=0\n"
    "c=IN IP4 $\nm=audio $ RTP/AVP 0 8\n},R{\nv=0\nc=IN IP4 198.51.100.7\nm=audio 40000 RTP/AVP 0 8\n}}}},"
    "A=ip/1/core/${M{ST=1{O{MO=SR,ipdc/realm=core},L{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0 8\n}}}}}}\n",
    "MEGACO/3 [192.0.2.1]:2944\nReply = 20003 {\n  Context = 4711 {\n    Subtract = ip/1/access/7 {\n"
    "      Statistics { nt/os = 45123, nt/or = 45001, rtp/ps = 1200, rtp/pl = 13 } } } }\n",
    "MEGACO/1 <mgc.example.net>:2944 ; comment\r\nTransaction = 9 { Context = - { ServiceChange = ROOT { Services { "
    "Method = Restart, Reason = \"901 Cold Boot\", Delay = 0, ServiceChangeAddress = 55555, Profile = ETSI_BGF/1, "
    "Version = 3, 20240101T10000000, X-foo = bar } } } }\r\n",
    "!/2 bgf1 P=9{C=-{SC=ROOT{SV{MG=[2001:db8::1]:2944,PF=ETSI_BGF/1}}}}P=10{ER=430{\"Unknown TerminationID\"}}"
    "PN=11{}K{1,3-7}",
    "MEGACO/3 [192.0.2.1]:2944\nTransaction = 31 { Context = 4711 { Priority = 3, Emergency, Topology { a, b, Oneway, "
    "Stream = 1 }, Modify = [a, b] { Events = 2 { hangterm/thb { KeepActive, Embed { Signals { cg/rt }, Events = 3 "
    "{ dd/ce { DigitMap = dm1 } } } }, nt/netfail { NBRN }, dd/ce { DigitMap { (0s|[1-7]xxx|#x.) } } }, "
    "Signals { cg/rt { SignalType = TimeOut, Duration = 3000, NotifyCompletion = { TimeOut, IntByEvent } }, "
    "SignalList = 4 { an/apf, an/apg { SignalType = Brief } } }, DigitMap = dm2 { T:10, (1x) } } } }",
    "!/3 [192.0.2.1] T=5{C=-{N=ROOT{OE=1{20240101T10000000:it/ito{mit=12000},hangterm/thb{ST=1}}}}}"
    "T=6{C=*{CA{TP,EG,PR=3,ORLgc}}}SM=5/1/END",
    "!/2 [192.0.2.1] T=7{C=1{AV=t{AT{M{ST=1{O{MO,RV,tman/pol}},TS{SI,BF}},E,SA{nt/os},PG}},O-W-MF=u{M{TS{SI=OS,"
    "BF=OFF,gm/x=1},O{a/b>1,a/c<2,a/d#3,a/e={1,2},a/f=[1:9]}},EB{dd/ce{ST=1}},MX=H221{t1,t2},MD=V18{x/y=1}}}}",
    "MEGACO/1 [192.0.2.1]\nReply = 1 { ImmAckRequired, Context = 5 { AuditValue = Context { t1, t2 }, "
    "AuditValue = ROOT { Media, Packages { nt-1, rtp-2 } }, Notify = ROOT { Error = 411 { \"x\" } } } }",
    "Authentication = 0x1:0x2:0xABCD\nMEGACO/1 [192.0.2.1]\nError = 400 { \"Syntax error\" }",
};
#define NCORPUS (sizeof(CORPUS) / sizeof(CORPUS[0]))

static long page;
static char *guard_mem; /* two pages: the second is PROT_NONE */

static int setup(void **state)
{
    page = sysconf(_SC_PAGESIZE);
    guard_mem = mmap(NULL, (size_t)page * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_mem == MAP_FAILED) return -1;
    return mprotect(guard_mem + 3 * page, (size_t)page, PROT_NONE);
}

static int teardown(void **state)
{
    munmap(guard_mem, (size_t)page * 4);
    return 0;
}

/* Copy n bytes to end exactly at the guard page and return where they start. */
static const char *at_guard(const char *s, size_t n)
{
    assert_true(n <= (size_t)page * 3);
    char *dst = guard_mem + 3 * page - n;
    memcpy(dst, s, n);
    return dst;
}

/* Decode-encode-decode in both forms; the trees must be equal. */
static void round_trip(const h248_message_t *m, arena_t *a, const char *origin, size_t on)
{
    for (int f = 0; f < 2; f++) {
        int need = h248_encoded_size(m, (h248_form_t)f);
        if (need < 0) return; /* a tree the encoder refuses (e.g. a huge value) is not a decoder fault */
        char *buf = arena_alloc(a, (size_t)need + 1);
        assert_int_equal(h248_encode(m, (h248_form_t)f, buf, (size_t)need + 1), need);
        h248_message_t *m2;
        h248_error_t e;
        if (h248_decode(buf, (size_t)need, a, &m2, &e) != H248_OK)
            fail_msg("re-decode failed: %u:%u %s\nencoded:\n%s\norigin:\n%.*s", e.line, e.col, e.reason, buf,
                     (int)on, origin);
        char why[160];
        if (!h248_equal(m, m2, why, sizeof(why)))
            fail_msg("round trip differs: %s\nencoded:\n%s\norigin:\n%.*s", why, buf, (int)on, origin);
    }
}

static void corpus_decodes_at_the_guard_page_and_round_trips(void **state)
{
    arena_t a;
    arena_init(&a, 0, 0);
    for (size_t i = 0; i < NCORPUS; i++) {
        size_t n = strlen(CORPUS[i]);
        const char *s = at_guard(CORPUS[i], n);
        h248_message_t *m;
        h248_error_t e;
        if (h248_decode(s, n, &a, &m, &e) != H248_OK)
            fail_msg("corpus %zu: %u:%u error %u %s", i, e.line, e.col, e.code, e.reason);
        round_trip(m, &a, s, n);
        arena_reset(&a);
    }
    arena_free(&a);
}

static void every_truncated_prefix_fails_cleanly_at_the_guard_page(void **state)
{
    arena_t a;
    arena_init(&a, 0, 0);
    unsigned ok = 0, bad = 0;
    for (size_t i = 0; i < NCORPUS; i++) {
        size_t n = strlen(CORPUS[i]);
        for (size_t k = 0; k < n; k++) {
            const char *s = at_guard(CORPUS[i], k);
            h248_message_t *m = NULL;
            h248_error_t e;
            int rc = h248_decode(s, k, &a, &m, &e);
            if (rc == H248_OK) {
                ok++; /* a prefix may be a whole message (e.g. before a second transaction) */
                round_trip(m, &a, s, k);
            } else {
                assert_int_equal(rc, H248_ESYNTAX);
                assert_null(m);
                assert_true(e.offset <= k);
                assert_true(e.line >= 1 && e.col >= 1);
                assert_true(e.code >= 400 && e.code <= 599);
                bad++;
            }
            arena_reset(&a);
        }
    }
    assert_true(bad > ok); /* nearly every prefix is incomplete */
    arena_free(&a);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* One random edit of buf[0..*n) (capacity cap). */
static void mutate(char *buf, size_t *n, size_t cap)
{
    static const char special[] = "{}[]=,:<>#\";\r\n $*-/!&\\\x00\x80\xff";
    size_t len = *n;
    if (!len) return;
    size_t at = rnd((uint32_t)len);
    switch (rnd(6)) {
    case 0: buf[at] = (char)rnd(256); break;
    case 1: buf[at] = special[rnd(sizeof(special) - 1)]; break;
    case 2: /* delete a run */ {
        size_t k = 1 + rnd(8);
        if (at + k > len) k = len - at;
        memmove(buf + at, buf + at + k, len - at - k);
        *n = len - k;
        break;
    }
    case 3: /* insert a special byte */
        if (len + 1 >= cap) break;
        memmove(buf + at + 1, buf + at, len - at);
        buf[at] = special[rnd(sizeof(special) - 1)];
        *n = len + 1;
        break;
    case 4: /* duplicate a run */ {
        size_t k = 1 + rnd(16);
        if (at + k > len) k = len - at;
        if (len + k >= cap) break;
        memmove(buf + at + k, buf + at, len - at);
        *n = len + k;
        break;
    }
    default: /* change case */
        buf[at] = (char)(buf[at] ^ 0x20);
        break;
    }
}

static void random_mutations_never_crash_and_what_decodes_round_trips(void **state)
{
    arena_t a;
    arena_init(&a, 0, 1 << 20);
    char buf[4096];
    unsigned decoded = 0, rejected = 0;
    for (size_t i = 0; i < NCORPUS; i++) {
        for (int k = 0; k < 400; k++) {
            size_t n = strlen(CORPUS[i]);
            memcpy(buf, CORPUS[i], n);
            int edits = 1 + (int)rnd(4);
            for (int j = 0; j < edits; j++) mutate(buf, &n, sizeof(buf));
            const char *s = at_guard(buf, n);
            h248_message_t *m = NULL;
            h248_error_t e;
            int rc = h248_decode(s, n, &a, &m, &e);
            if (rc == H248_OK) {
                decoded++;
                round_trip(m, &a, s, n);
            } else {
                assert_true(rc == H248_ESYNTAX || rc == H248_ENOMEM);
                assert_true(e.offset <= n);
                rejected++;
            }
            arena_reset(&a);
        }
    }
    print_message("%u mutations decoded, %u rejected\n", decoded, rejected);
    assert_true(decoded > 0 && rejected > 0);
    arena_free(&a);
}

static void deep_or_long_inputs_are_bounded(void **state)
{
    arena_t a;
    arena_init(&a, 0, 0);
    static char big[3 * 4096];
    /* a long run of one character, braces, commas, and a very long word */
    const char fills[] = {'{', '[', ',', 'x', ' ', ';', '"', '='};
    for (size_t f = 0; f < sizeof(fills); f++) {
        size_t n = (size_t)page * 3 - 64;
        int h = snprintf(big, sizeof(big), "!/1 [1.2.3.4] T=1{C=1{A=t{M{O{a/b=");
        memset(big + h, fills[f], n - (size_t)h);
        const char *s = at_guard(big, n);
        h248_message_t *m;
        h248_error_t e;
        assert_int_equal(h248_decode(s, n, &a, &m, &e), H248_ESYNTAX);
        arena_reset(&a);
    }
    arena_free(&a);
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lists grow at their tail: many properties at stream level, interleaved with streams and
 * many commands, decode in linear time (a quadratic walk would take many seconds here). */
static void many_items_decode_in_linear_time(void **state)
{
    enum { N = 40000 };
    size_t cap = (size_t)N * 48 + 256, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    n += (size_t)snprintf(buf + n, cap - n, "!/3 [1.2.3.4] T=1{C=1{A=t{M{");
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(buf + n, cap - n, "a/b=%d,ST=%d{O{x/y=1},li/z=2},", i, i % 60000);
    n += (size_t)snprintf(buf + n, cap - n, "O{MO=SR}}}");
    for (int i = 0; i < N / 4; i++) n += (size_t)snprintf(buf + n, cap - n, ",MF=t%d", i);
    n += (size_t)snprintf(buf + n, cap - n, "}}");
    arena_t a;
    arena_init(&a, 1 << 16, 0);
    h248_message_t *m;
    h248_error_t e;
    double t0 = cpu_seconds();
    int rc = h248_decode(buf, n, &a, &m, &e);
    double dt = cpu_seconds() - t0;
    if (rc != H248_OK) fail_msg("%u:%u %s", e.line, e.col, e.reason);
    h248_stream_t *s = m->txns->actions->cmds->descs->u.media.streams;
    unsigned props = 0;
    for (h248_prop_t *p = s->lc->props; p; p = p->next) props++;
    assert_int_equal(props, N);
    assert_int_equal(s->lc->mode, H248_MODE_SENDRECV);
    print_message("%zu bytes in %.3f s of CPU\n", n, dt);
    assert_true(dt < 1.0);
    arena_free(&a);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_decodes_at_the_guard_page_and_round_trips),
        cmocka_unit_test(every_truncated_prefix_fails_cleanly_at_the_guard_page),
        cmocka_unit_test(random_mutations_never_crash_and_what_decodes_round_trips),
        cmocka_unit_test(deep_or_long_inputs_are_bounded),
        cmocka_unit_test(many_items_decode_in_linear_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
