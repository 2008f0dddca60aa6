/* test_engine_topology.c - the Topology descriptor (H.248.1 7.1.18) through the engine on a
 * real data plane: RTP sent from each termination's remote (a loopback socket) shows which way
 * media flows after Isolate, Oneway and Bothway, per stream and with wildcards and $; the
 * associations are audited with ContextAudit while AuditValue keeps the stream modes the MGC
 * set; every error leaves the context's Topology as it was. */
#include "engine_fixture.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#define HDR "MEGACO/3 [127.0.0.1]:2945\n"
#define LOCAL "Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}"

/* A context with two terminations whose remotes are two loopback sockets. */
typedef struct call {
    fx_t *f;
    int ctx;
    char tid[2][32];
    int local[2]; /* our RTP ports */
    int remote[2]; /* the remotes' sockets */
} call_t;

static int udp_any(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static int port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t n = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    return ntohs(a.sin_port);
}

/* The termination id after "A=" in a reply. */
static void tid_of(const char *r, char *out, size_t n)
{
    const char *p = strstr(r, "A=");
    assert_non_null(p);
    p += 2;
    size_t k = strcspn(p, "{}");
    assert_true(k < n);
    memcpy(out, p, k);
    out[k] = 0;
}

static const char *add(call_t *c, int i, const char *ctx, const char *mode)
{
    char req[1024];
    snprintf(req, sizeof(req),
             HDR "Transaction=%d{Context=%s{Add=${Media{Stream=1{LocalControl{Mode=%s}," LOCAL
                 ",Remote{\nv=0\nc=IN IP4 127.0.0.1\nm=audio %d RTP/AVP 0\n}}}}}}",
             100 + i, ctx, mode, port_of(c->remote[i]));
    const char *r = run(c->f, req);
    assert_has(r, "A=ip/4/core/");
    tid_of(r, c->tid[i], sizeof(c->tid[i]));
    c->local[i] = fx_mport(r);
    const char *p = strstr(r, "C=");
    c->ctx = atoi(p + 2);
    return r;
}

static call_t *call_new(const char *mode1, const char *mode2)
{
    call_t *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->f = fx_new(16, 0);
    c->remote[0] = udp_any();
    c->remote[1] = udp_any();
    add(c, 0, "$", mode1);
    char ctx[16];
    snprintf(ctx, sizeof(ctx), "%d", c->ctx);
    add(c, 1, ctx, mode2);
    return c;
}

static void call_free(call_t *c)
{
    close(c->remote[0]);
    close(c->remote[1]);
    fx_free(c->f);
    free(c);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Send three RTP packets from remote i to our port of termination i; true when the other
 * remote receives them (from our port of the other termination). */
static bool flows(call_t *c, int i)
{
    int from = c->remote[i], to = c->remote[1 - i];
    uint8_t buf[64], pkt[32] = {0x80, 0x00};
    for (;;) { /* empty what an earlier check left */
        struct pollfd pf = {.fd = to, .events = POLLIN};
        if (poll(&pf, 1, 0) <= 0) break;
        if (recv(to, buf, sizeof(buf), 0) < 0) break;
    }
    struct sockaddr_in dst = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)c->local[i]),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int got = 0;
    for (int k = 0; k < 3; k++) {
        pkt[3] = (uint8_t)k; /* sequence number */
        pkt[11] = (uint8_t)(i + 1);
        assert_int_equal(sendto(from, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst)),
                         (ssize_t)sizeof(pkt));
        struct pollfd pf = {.fd = to, .events = POLLIN};
        if (poll(&pf, 1, 150) == 1) {
            struct sockaddr_in src;
            socklen_t sl = sizeof(src);
            ssize_t n = recvfrom(to, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);
            if (n == (ssize_t)sizeof(pkt) && ntohs(src.sin_port) == c->local[1 - i]) got++;
        }
    }
    assert_true(got == 0 || got == 3);
    return got == 3;
}

static const char *topo(call_t *c, int txn, const char *triples)
{
    char req[512];
    snprintf(req, sizeof(req), HDR "Transaction=%d{Context=%d{Topology{%s}}}", txn, c->ctx,
             triples);
    const char *r = run(c->f, req);
    sleep_ms(20); /* the workers apply the modifications */
    return r;
}

static const char *audit_topo(call_t *c)
{
    char req[128];
    snprintf(req, sizeof(req), HDR "Transaction=9{Context=%d{ContextAudit{Topology}}}", c->ctx);
    return run(c->f, req);
}

static void isolate_stops_media_both_ways_and_bothway_restores_it(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    assert_true(flows(c, 0));
    assert_true(flows(c, 1));
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,BW}");
    char t[128];
    snprintf(t, sizeof(t), "%s,%s,Isolate", c->tid[0], c->tid[1]);
    const char *r = topo(c, 10, t);
    assert_lacks(r, "ER=");
    assert_false(flows(c, 0));
    assert_false(flows(c, 1));
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,IS}");
    snprintf(t, sizeof(t), "%s,%s,Bothway", c->tid[1], c->tid[0]);
    topo(c, 11, t);
    assert_true(flows(c, 0));
    assert_true(flows(c, 1));
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,BW}");
    call_free(c);
}

static void oneway_lets_exactly_its_direction_through(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    char t[128];
    snprintf(t, sizeof(t), "%s,%s,Oneway", c->tid[0], c->tid[1]);
    topo(c, 20, t);
    assert_true(flows(c, 0));  /* T1's media reaches T2's remote */
    assert_false(flows(c, 1)); /* not the other way */
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,OW}");
    /* the stream modes the MGC set are still what AuditValue says */
    char req[160];
    snprintf(req, sizeof(req), HDR "Transaction=21{Context=%d{AuditValue=%s{Audit{Media}}}}",
             c->ctx, c->tid[1]);
    assert_has(run(c->f, req), "MO=SR");
    /* the other direction */
    snprintf(t, sizeof(t), "%s,%s,Oneway", c->tid[1], c->tid[0]);
    topo(c, 22, t);
    assert_false(flows(c, 0));
    assert_true(flows(c, 1));
    assert_has(audit_topo(c), "TP{ip/4/core/2,ip/4/core/1,OW}");
    call_free(c);
}

static void stream_modes_and_topology_both_restrict(void **state)
{
    (void)state;
    /* T1 ReceiveOnly: its remote's media goes on, nothing is sent to it */
    call_t *c = call_new("ReceiveOnly", "SendReceive");
    assert_true(flows(c, 0));
    assert_false(flows(c, 1));
    char t[128];
    snprintf(t, sizeof(t), "%s,%s,Oneway", c->tid[1], c->tid[0]); /* against the mode */
    topo(c, 30, t);
    assert_false(flows(c, 0));
    assert_false(flows(c, 1));
    /* a Modify of the mode keeps the Topology */
    char req[256];
    snprintf(req, sizeof(req),
             HDR "Transaction=31{Context=%d{Modify=%s{Media{Stream=1{LocalControl{"
                 "Mode=SendReceive}}}}}}",
             c->ctx, c->tid[0]);
    assert_lacks(run(c->f, req), "ER=");
    sleep_ms(20);
    assert_false(flows(c, 0));
    assert_true(flows(c, 1));
    call_free(c);
}

static void wildcards_stand_for_the_terminations_of_the_context(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    assert_lacks(topo(c, 40, "*,*,Isolate"), "ER=");
    assert_false(flows(c, 0));
    assert_false(flows(c, 1));
    char t[128];
    snprintf(t, sizeof(t), "%s,ip/4/*,Oneway", c->tid[1]); /* * = all but the other id */
    assert_lacks(topo(c, 41, t), "ER=");
    assert_false(flows(c, 0));
    assert_true(flows(c, 1));
    assert_lacks(topo(c, 42, "*,*,Bothway"), "ER=");
    assert_true(flows(c, 0));
    assert_true(flows(c, 1));
    call_free(c);
}

static void a_stream_of_its_own(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    char t[128];
    snprintf(t, sizeof(t), "%s,%s,Isolate,Stream=1", c->tid[0], c->tid[1]);
    assert_lacks(topo(c, 50, t), "ER=");
    assert_false(flows(c, 0));
    assert_false(flows(c, 1));
    const char *r = audit_topo(c);
    assert_has(r, "TP{ip/4/core/1,ip/4/core/2,BW,ip/4/core/1,ip/4/core/2,IS,ST=1}");
    snprintf(t, sizeof(t), "%s,%s,Isolate,Stream=2", c->tid[0], c->tid[1]);
    topo(c, 51, t); /* another stream: stream 1 unchanged */
    assert_false(flows(c, 0));
    snprintf(t, sizeof(t), "%s,%s,Bothway", c->tid[0], c->tid[1]); /* every stream */
    topo(c, 52, t);
    assert_true(flows(c, 0));
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,BW}}");
    call_free(c);
}

static void oneway_both_and_external_in_a_two_party_context(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    char t[128];
    snprintf(t, sizeof(t), "%s,%s,OnewayBoth", c->tid[0], c->tid[1]);
    assert_lacks(topo(c, 60, t), "ER=");
    assert_true(flows(c, 0));
    assert_false(flows(c, 1));
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,OWB}");
    snprintf(t, sizeof(t), "%s,%s,OnewayExternal", c->tid[0], c->tid[1]);
    assert_lacks(topo(c, 61, t), "ER=");
    assert_false(flows(c, 0));
    assert_false(flows(c, 1));
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,OWE}");
    call_free(c);
}

static void subtract_leaves_the_other_termination_bothway(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    char t[128], req[160];
    snprintf(t, sizeof(t), "%s,%s,Isolate", c->tid[0], c->tid[1]);
    topo(c, 70, t);
    assert_false(flows(c, 0));
    snprintf(req, sizeof(req), HDR "Transaction=71{Context=%d{Subtract=%s{Audit{}}}}", c->ctx,
             c->tid[1]);
    assert_lacks(run(c->f, req), "ER=");
    char ctx[16];
    snprintf(ctx, sizeof(ctx), "%d", c->ctx);
    add(c, 1, ctx, "SendReceive"); /* a newcomer is Bothway with the others */
    sleep_ms(20);
    assert_true(flows(c, 0));
    assert_true(flows(c, 1));
    call_free(c);
}

static void move_out_leaves_the_other_bothway_and_the_mover_joins_bothway(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    char t[128], req[160];
    snprintf(t, sizeof(t), "%s,%s,Isolate", c->tid[0], c->tid[1]);
    topo(c, 75, t);
    assert_false(flows(c, 0));
    /* T2 moves to a context of its own; a newcomer in context 1 is Bothway with T1 */
    run(c->f, HDR "Transaction=76{Context=${Add=${Media{Stream=1{" LOCAL "}}}}}"); /* ctx 2 */
    snprintf(req, sizeof(req), HDR "Transaction=77{Context=2{Move=%s{}}}", c->tid[1]);
    assert_lacks(run(c->f, req), "ER=");
    assert_has(run(c->f, HDR "Transaction=78{Context=2{ContextAudit{Topology}}}"), "BW}");
    char ctx[16];
    snprintf(ctx, sizeof(ctx), "%d", c->ctx);
    add(c, 1, ctx, "SendReceive");
    sleep_ms(20);
    assert_true(flows(c, 0));
    assert_true(flows(c, 1));
    call_free(c);
}

static void choose_in_topology_names_the_termination_the_add_makes(void **state)
{
    (void)state;
    call_t *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->f = fx_new(16, 0);
    c->remote[0] = udp_any();
    c->remote[1] = udp_any();
    add(c, 0, "$", "SendReceive");
    char req[1024];
    snprintf(req, sizeof(req),
             HDR "Transaction=80{Context=%d{Topology{%s,$,Oneway},Add=${Media{Stream=1{" LOCAL
                 ",Remote{\nv=0\nc=IN IP4 127.0.0.1\nm=audio %d RTP/AVP 0\n}}}}}}",
             c->ctx, c->tid[0], port_of(c->remote[1]));
    const char *r = run(c->f, req);
    assert_lacks(r, "ER=");
    tid_of(r, c->tid[1], sizeof(c->tid[1]));
    c->local[1] = fx_mport(r);
    sleep_ms(20);
    assert_true(flows(c, 0));
    assert_false(flows(c, 1));
    call_free(c);
}

/* An error, and the Topology and the media as they were. */
static void expect(call_t *c, const char *req, const char *code)
{
    const char *r = run(c->f, req);
    char want[16];
    snprintf(want, sizeof(want), "ER=%s", code);
    assert_has(r, want);
    assert_has(audit_topo(c), "TP{ip/4/core/1,ip/4/core/2,IS}");
}

static void errors_name_what_is_wrong_and_change_nothing(void **state)
{
    (void)state;
    call_t *c = call_new("SendReceive", "SendReceive");
    topo(c, 90, "ip/4/core/1,ip/4/core/2,Isolate");
    run(c->f, HDR "Transaction=91{Context=${Add=${Media{Stream=1{" LOCAL "}}}}}"); /* ctx 2 */
    expect(c, HDR "Transaction=92{Context=1{Topology{ip/4/core/1,ip/4/core/9,Bothway}}}", "430");
    expect(c, HDR "Transaction=93{Context=1{Topology{ip/4/core/1,ip/4/core/3,Bothway}}}", "435");
    expect(c, HDR "Transaction=94{Context=1{Topology{ip/4/core/1,ip/6/*,Bothway}}}", "431");
    expect(c, HDR "Transaction=95{Context=1{Topology{ip/4/core/1,ip/4/core/1,Bothway}}}", "421");
    expect(c, HDR "Transaction=96{Context=1{Topology{*,*,Oneway}}}", "410");
    expect(c, HDR "Transaction=97{Context=1{Topology{ip/4/core/1,$,Bothway}}}", "421");
    expect(c, HDR "Transaction=98{Context=1{Topology{ip/4/core/1,ip/4/$,Bothway}}}", "410");
    expect(c, HDR "Transaction=99{Context=-{Topology{ip/4/core/1,ip/4/core/2,Bothway}}}", "421");
    expect(c, HDR "Transaction=100{Context=*{Topology{ip/4/core/1,ip/4/core/2,Bothway}}}", "421");
    expect(c, HDR "Transaction=101{Context=77{Topology{ip/4/core/1,ip/4/core/2,Bothway}}}", "411");
    expect(c,
           HDR "Transaction=102{Context=1{Topology{ip/4/core/1,ip/4/core/2,Bothway,"
               "ip/4/core/2,ip/4/core/1,Oneway,Stream=1}}}",
           "421");
    expect(c, HDR "Transaction=103{Context=1{Topology{*,ip/4/core/2,OnewayExternal}}}", "410");
    /* all or nothing: a good triple before a bad one is not applied either */
    expect(c,
           HDR "Transaction=104{Context=1{Topology{ip/4/core/1,ip/4/core/2,Bothway,"
               "ip/4/core/2,ip/4/core/8,Isolate}}}",
           "430");
    assert_false(flows(c, 0));
    /* the commands after a failed Topology do not run */
    expect(c,
           HDR "Transaction=105{Context=1{Topology{ip/4/core/1,ip/4/core/9,Bothway},"
               "Subtract=ip/4/core/2{}}}",
           "430");
    call_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isolate_stops_media_both_ways_and_bothway_restores_it),
        cmocka_unit_test(oneway_lets_exactly_its_direction_through),
        cmocka_unit_test(stream_modes_and_topology_both_restrict),
        cmocka_unit_test(wildcards_stand_for_the_terminations_of_the_context),
        cmocka_unit_test(a_stream_of_its_own),
        cmocka_unit_test(oneway_both_and_external_in_a_two_party_context),
        cmocka_unit_test(subtract_leaves_the_other_termination_bothway),
        cmocka_unit_test(move_out_leaves_the_other_bothway_and_the_mover_joins_bothway),
        cmocka_unit_test(choose_in_topology_names_the_termination_the_add_makes),
        cmocka_unit_test(errors_name_what_is_wrong_and_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
