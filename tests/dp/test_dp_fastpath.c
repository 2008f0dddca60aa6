/* test_dp_fastpath.c - the kernel fast path (dp_config_t.fast_path = DP_FAST_PATH_TC) on
 * loopback: established gates' RTP is relayed by the TC program with the same statistics as
 * the socket path (packets, octets, RTP loss and jitter, handed over both ways), and
 * everything the fast path must not carry (RTCP, a wrong source, a changed Remote, a closed
 * peer, an intercepted gate) still goes through the workers.
 * Needs root (BPF); skipped with the reason otherwise. Gate 1 (A) faces X, gate 2 (B) faces
 * Y. Ports: DP_TEST_PORT + 3000..3169. */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>

#include "dp/dp_pkt.h"
#include "dp_test.h"

#define LO "127.0.0.1"

static int li_fake_sender;
static _Atomic int li_copies;

static int fake_copy(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *pk)
{
    li_copies++;
    return tap->conf.ntargets;
}

static li_sender_t *fake_sender(unsigned worker, void *arg)
{
    return (li_sender_t *)&li_fake_sender;
}

static bool fp_lazy; /* offload after media, as bgfd runs it (default of dp_config_t) */

/* A data plane with the fast path, or NULL after skip() when it cannot be had here. Gates
 * are offloaded as soon as their settings allow, unless fp_lazy. */
static dp_t *fp_start(uint32_t relatch_ms)
{
    if (geteuid() != 0) {
        print_message("[  SKIP    ] the kernel fast path needs root (BPF)\n");
        return NULL;
    }
    dp_config_t c = {.workers = 1, .max_gates = 8, .relatch_idle_ms = relatch_ms,
                     .fast_path = DP_FAST_PATH_TC, .fast_path_eager = !fp_lazy,
                     .li_sender_for_worker = fake_sender, .li_copy = fake_copy};
    char err[160] = "";
    dp_t *dp = dp_start(&c, err, sizeof(err));
    if (!dp) print_message("[  SKIP    ] %s\n", err);
    return dp;
}

#define FP_START(dp, relatch)          \
    dp_t *dp = fp_start(relatch);      \
    if (!dp) {                         \
        skip();                        \
        return;                        \
    }

/* Wait until the worker has applied every request queued so far (and offloaded what it may). */
static void settle(dp_t *dp)
{
    dp_sync(dp);
}

typedef struct fx {
    uint16_t pa, pb, px, py;
    int x, y, xc, yc;
    netaddr_t a, ac, b, bc, xa, ya;
    dp_gate_req_t ra, rb;
} fx_t;

static fx_t fx_open(dp_t *dp, unsigned off, bool latch, bool tap)
{
    fx_t f;
    f.pa = t_port(off);
    f.pb = t_port(off + 2);
    f.px = t_port(off + 4);
    f.py = t_port(off + 6);
    f.ra = t_req(1, 9, LO, f.pa, LO, f.px);
    f.rb = t_req(2, 9, LO, f.pb, LO, f.py);
    f.ra.latch = f.rb.latch = latch;
    f.rb.dscp = 46;
    if (tap) f.ra.tap = (li_tap_conf_t){.active = true, .cid = 77, .ntargets = 1, .targets = {3}};
    assert_int_equal(dp_gate_open(dp, &f.ra), 0);
    assert_int_equal(dp_gate_open(dp, &f.rb), 0);
    f.x = t_ep(LO, f.px);
    f.y = t_ep(LO, f.py);
    f.xc = t_ep(LO, (uint16_t)(f.px + 1));
    f.yc = t_ep(LO, (uint16_t)(f.py + 1));
    f.a = t_addr(LO, f.pa);
    f.ac = t_addr(LO, (uint16_t)(f.pa + 1));
    f.b = t_addr(LO, f.pb);
    f.bc = t_addr(LO, (uint16_t)(f.pb + 1));
    f.xa = t_addr(LO, f.px);
    f.ya = t_addr(LO, f.py);
    settle(dp);
    return f;
}

static void fx_close(dp_t *dp, fx_t *f)
{
    close(f->x);
    close(f->y);
    close(f->xc);
    close(f->yc);
    dp_stop(dp);
}

/* n RTP packets of 172 bytes from fd to `to`, each expected at rx from `from` with tos. */
static void relay_rtp(int fd, const netaddr_t *to, int rx, const netaddr_t *from, int tos, int n)
{
    uint8_t buf[256];
    for (int i = 0; i < n; i++) {
        t_send_rtp(fd, to, (uint16_t)(100 + i), 160);
        netaddr_t src;
        int got_tos;
        assert_int_equal(t_recv(rx, buf, sizeof(buf), &src, &got_tos, 500), 172);
        assert_int_equal(buf[0], 0x80);
        assert_int_equal(buf[3], (uint8_t)(100 + i));
        assert_int_equal(buf[12 + 5], (uint8_t)(100 + i + 5)); /* payload untouched */
        assert_true(netaddr_equal(&src, from));
        if (tos >= 0) assert_int_equal(got_tos, tos);
    }
}

static void offloaded_gates_forward_both_ways_with_exact_statistics(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3000, false, false);
    relay_rtp(f.x, &f.a, f.y, &f.b, 46 << 2, 20); /* B marks with its DSCP */
    relay_rtp(f.y, &f.b, f.x, &f.a, 0, 10);
    uint8_t buf[64];
    for (int i = 0; i < 5; i++) { /* RTCP: X's port + 1 to A's RTCP port, out of B's */
        size_t n = t_rtcp(buf, 0x99);
        t_send(f.xc, &f.ac, buf, n);
        netaddr_t src;
        assert_int_equal(t_recv(f.yc, buf, sizeof(buf), &src, NULL, 500), 8);
        assert_true(netaddr_equal(&src, &f.bc));
    }
    dp_gate_stats_t a = t_stats(dp, 1), b = t_stats(dp, 2);
    assert_int_equal(a.pkts_in, 25);
    assert_int_equal(a.octets_in, 20 * 172 + 5 * 8);
    assert_int_equal(a.rtcp_in, 5);
    assert_int_equal(a.pkts_out, 10);
    assert_int_equal(a.octets_out, 10 * 172);
    assert_int_equal(b.pkts_in, 10);
    assert_int_equal(b.octets_in, 10 * 172);
    assert_int_equal(b.pkts_out, 25);
    assert_int_equal(b.octets_out, 20 * 172 + 5 * 8);
    assert_int_equal(b.rtcp_out, 5);
    /* the kernel carried the RTP, the worker the RTCP (never offloaded) */
    assert_int_equal(a.fast_pkts_in, 20);
    assert_int_equal(b.fast_pkts_in, 10);
    assert_true(a.last_rx_ms > 0);
    assert_int_equal(a.drop_filter + a.drop_malformed + a.drop_nopeer, 0);
    /* bad packets are the socket path's: counted and dropped as ever */
    buf[0] = 0x40; /* version 1 */
    memset(buf + 1, 0, 15);
    t_send(f.x, &f.a, buf, 16);
    assert_int_equal(t_drain(f.y, 100), 0);
    a = t_stats(dp, 1);
    assert_int_equal(a.drop_malformed, 1);
    assert_int_equal(a.pkts_in, 25);
    fx_close(dp, &f);
}

/* RTCP stays on the socket path: on its own port and multiplexed on the RTP port (RFC 5761),
 * while the RTP of the same gate is offloaded. */
static void rtcp_is_never_offloaded(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3080, false, false);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 4);
    uint8_t buf[64];
    for (int i = 0; i < 3; i++) {
        size_t n = t_rtcp(buf, 0x77);
        t_send(f.xc, &f.ac, buf, n); /* RTCP port */
        assert_int_equal(t_recv(f.yc, buf, sizeof(buf), NULL, NULL, 500), 8);
        n = t_rtcp(buf, 0x78);
        t_send(f.x, &f.a, buf, n); /* multiplexed on the RTP port */
        assert_int_equal(t_recv(f.y, buf, sizeof(buf), NULL, NULL, 500), 8);
        assert_int_equal(buf[1], 201);
    }
    dp_gate_stats_t a = t_stats(dp, 1), b = t_stats(dp, 2);
    assert_int_equal(a.pkts_in, 10);
    assert_int_equal(a.rtcp_in, 6);
    assert_int_equal(a.fast_pkts_in, 4); /* the RTP only */
    assert_int_equal(b.pkts_out, 10);
    assert_int_equal(b.rtcp_out, 6);
    assert_int_equal(a.rtp_lost, 0);
    fx_close(dp, &f);
}

/* ---- RTP loss and jitter while offloaded ---- */

typedef struct rtp_pk {
    uint16_t seq;
    uint32_t ts, ssrc;
    uint8_t pt;
} rtp_pk_t;

/* Append packet n (extended sequence number) of stream ssrc: timestamps 20 ms apart at
 * 8 kHz plus 50 ms on every odd packet, so that the jitter is tens of milliseconds and the
 * scheduling noise of either path (tens of microseconds) is small against it. */
static void pk_add(rtp_pk_t *v, int *n, uint32_t ext, uint32_t ssrc, uint8_t pt)
{
    v[*n] = (rtp_pk_t){.seq = (uint16_t)ext, .ts = ext * 160u + (ext & 1u) * 400u, .ssrc = ssrc,
                       .pt = pt};
    (*n)++;
}

/* A sequence with gaps, reordering, a duplicate, a wrap, a single big jump (ignored), a
 * codec change (other clock), a sender restart (the jump repeated) and a new SSRC. */
static int pk_sequence(rtp_pk_t *v)
{
    int n = 0;
    for (uint32_t e = 65500; e <= 65560; e++) {
        if (e == 65505 || e == 65506 || e == 65535 || e == 65536) continue; /* lost */
        if (e == 65520) continue;
        pk_add(v, &n, e, 0x1111, 0);
        if (e == 65521) pk_add(v, &n, 65520, 0x1111, 0); /* reordered */
        if (e == 65530) pk_add(v, &n, e, 0x1111, 0);     /* duplicate */
    }
    pk_add(v, &n, 65560 + 5000, 0x1111, 0); /* a jump seen once: not believed */
    for (uint32_t e = 65561; e <= 65570; e++) pk_add(v, &n, e, 0x1111, 0);
    for (uint32_t e = 65571; e <= 65580; e++) pk_add(v, &n, e, 0x1111, 6); /* 16 kHz */
    pk_add(v, &n, 20000, 0x1111, 0); /* the jump repeated: a restart */
    for (uint32_t e = 20001; e <= 20010; e++)
        if (e != 20005) pk_add(v, &n, e, 0x1111, 0);
    for (uint32_t e = 100; e <= 120; e++)
        if (e != 110) pk_add(v, &n, e, 0x2222, 0); /* another source */
    return n;
}

static size_t pk_make(uint8_t *buf, const rtp_pk_t *k)
{
    size_t n = t_rtp(buf, k->seq, k->ts, k->ssrc, 160);
    buf[1] = k->pt;
    return n;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Jitter of two paths (or a path and the model fed with send times) agrees within 3 % plus
 * 200 us of scheduling noise. */
static void jitter_close(uint32_t got, uint32_t want)
{
    uint32_t d = got > want ? got - want : want - got;
    if (d > want / 33 + 200) fail_msg("jitter %u us, expected %u us", got, want);
}

static void offloaded_loss_and_jitter_equal_the_socket_path(void **st)
{
    FP_START(dp, 0);
    dp_t *sp = t_start(1, 8, 0); /* the socket path only */
    fx_t f = fx_open(dp, 3100, false, false);
    uint16_t pc = t_port(3110), pd = t_port(3112), px = t_port(3114), py = t_port(3116);
    dp_gate_req_t rc = t_req(1, 9, LO, pc, LO, px), rd = t_req(2, 9, LO, pd, LO, py);
    assert_int_equal(dp_gate_open(sp, &rc), 0);
    assert_int_equal(dp_gate_open(sp, &rd), 0);
    int x = t_ep(LO, px), y = t_ep(LO, py);
    netaddr_t c = t_addr(LO, pc);
    t_sleep_ms(20);
    static rtp_pk_t seq[256];
    int n = pk_sequence(seq);
    dp_rtpstat_t model;
    memset(&model, 0, sizeof(model));
    uint8_t buf[256];
    for (int i = 0; i < n; i++) {
        size_t len = pk_make(buf, &seq[i]);
        uint64_t now = mono_ns();
        t_send(f.x, &f.a, buf, len);
        t_send(x, &c, buf, len);
        dp_rtpstat_update(&model, buf, now);
        t_sleep_ms(2);
    }
    dp_gate_stats_t k = t_stats(dp, 1), s = t_stats(sp, 1);
    assert_int_equal(t_drain(f.y, 100), n);
    assert_int_equal(t_drain(y, 100), n);
    assert_int_equal(k.pkts_in, n);
    assert_int_equal(k.fast_pkts_in, n); /* every packet through the kernel */
    assert_int_equal(s.pkts_in, n);
    assert_int_equal(s.fast_pkts_in, 0);
    /* loss: exactly the same on both paths, and what dp_rtpstat says for the sequence */
    uint64_t want = dp_rtpstat_lost(&model);
    assert_true(want >= 5);
    assert_int_equal(s.rtp_lost, want);
    assert_int_equal(k.rtp_lost, want);
    /* jitter: of the last stream, tens of milliseconds; the same within scheduling noise */
    assert_true(dp_rtpstat_jitter_us(&model) > 10000);
    jitter_close(k.jitter_us, s.jitter_us);
    jitter_close(k.jitter_us, dp_rtpstat_jitter_us(&model));
    close(x);
    close(y);
    dp_stop(sp);
    fx_close(dp, &f);
}

/* Send packets [from, to] of stream 0x3333 except those in skip[] (0-terminated), and feed
 * the model; returns how many were sent. */
static int send_part(int fd, const netaddr_t *to, dp_rtpstat_t *model, uint32_t from, uint32_t to_e,
                     const uint32_t *skip)
{
    int sent = 0;
    uint8_t buf[256];
    for (uint32_t e = from; e <= to_e; e++) {
        bool lost = false;
        for (const uint32_t *q = skip; *q; q++) lost |= *q == e;
        if (lost) continue;
        rtp_pk_t k = {.seq = (uint16_t)e, .ts = e * 160u + (e & 1u) * 400u, .ssrc = 0x3333};
        size_t len = pk_make(buf, &k);
        uint64_t now = mono_ns();
        t_send(fd, to, buf, len);
        dp_rtpstat_update(model, buf, now);
        sent++;
        t_sleep_ms(2);
    }
    return sent;
}

/* Packets of one stream around offload changes: a burst from a source not yet latched (the
 * worker latches on the first packet and offloads after its batch), then bursts sent right
 * after a modify (the gate is held: the packets wait on the socket while the worker withdraws
 * and offloads again, then it reads them). Whatever the split between worker and kernel,
 * nothing counts as lost: the worker's share is folded into the kernel's state while
 * offloaded and on withdrawal. */
static void packets_around_offload_changes_lose_nothing(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3140, true, false);
    dp_rtpstat_t model;
    memset(&model, 0, sizeof(model));
    uint8_t buf[256];
    uint32_t e = 500;
    for (int burst = 0; burst < 6; burst++) {
        if (burst > 0) { /* a modify that changes nothing the fast path needs */
            f.ra.dscp = (uint8_t)burst;
            assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_DSCP), 0);
        }
        for (int i = 0; i < 40; i++, e++) {
            rtp_pk_t k = {.seq = (uint16_t)e, .ts = e * 160u, .ssrc = 0x3333}; /* as send_part */
            size_t len = pk_make(buf, &k);
            t_send(f.x, &f.a, buf, len);
            dp_rtpstat_update(&model, buf, mono_ns());
        }
        t_sleep_ms(5);
    }
    assert_int_equal(t_drain(f.y, 200), 240);
    dp_gate_stats_t a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, 240);
    assert_true(a.fast_pkts_in > 0 && a.fast_pkts_in < 240); /* both paths took part */
    assert_int_equal(a.rtp_lost, 0);
    f.ra.tap = (li_tap_conf_t){.active = true, .cid = 77, .ntargets = 1, .targets = {3}};
    assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_TAP), 0); /* withdrawn */
    settle(dp);
    a = t_stats(dp, 1);
    assert_int_equal(a.rtp_lost, 0);
    send_part(f.x, &f.a, &model, e + 1, e + 10, (const uint32_t[]){e + 5, 0}); /* 2 lost */
    a = t_stats(dp, 1);
    assert_int_equal(a.rtp_lost, 2);
    assert_int_equal(a.rtp_lost, dp_rtpstat_lost(&model));
    fx_close(dp, &f);
}

/* The worker counts, the kernel takes the state over and counts on, the worker takes it
 * back: packets, loss and jitter continue across both handovers. */
static void rtp_statistics_are_handed_over_both_ways(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3120, false, true); /* intercepted: not offloaded yet */
    dp_rtpstat_t model;
    memset(&model, 0, sizeof(model));
    int n1 = send_part(f.x, &f.a, &model, 1000, 1029, (const uint32_t[]){1010, 0});
    dp_gate_stats_t a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, n1);
    assert_int_equal(a.fast_pkts_in, 0);
    assert_int_equal(a.rtp_lost, 1);
    f.ra.tap.active = false; /* offloaded: the state goes to the kernel */
    assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_TAP), 0);
    settle(dp);
    int n2 = send_part(f.x, &f.a, &model, 1030, 1059, (const uint32_t[]){1040, 1041, 0});
    a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, n1 + n2);
    assert_int_equal(a.fast_pkts_in, n2);
    assert_int_equal(a.rtp_lost, 3); /* current while offloaded: the worker's gap and the kernel's */
    assert_int_equal(a.rtp_lost, dp_rtpstat_lost(&model));
    jitter_close(a.jitter_us, dp_rtpstat_jitter_us(&model));
    f.ra.tap.active = true; /* withdrawn: the state comes back to the worker */
    assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_TAP), 0);
    settle(dp);
    a = t_stats(dp, 1);
    assert_int_equal(a.rtp_lost, 3);
    int n3 = send_part(f.x, &f.a, &model, 1060, 1089, (const uint32_t[]){1070, 0});
    a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, n1 + n2 + n3);
    assert_int_equal(a.fast_pkts_in, n2);
    assert_int_equal(a.rtp_lost, 4);
    assert_int_equal(a.rtp_lost, dp_rtpstat_lost(&model));
    assert_true(dp_rtpstat_jitter_us(&model) > 10000);
    jitter_close(a.jitter_us, dp_rtpstat_jitter_us(&model));
    assert_int_equal(t_drain(f.y, 100), n1 + n2 + n3);
    dp_gate_stats_t fin;
    assert_int_equal(dp_gate_close(dp, 1, &fin), 0);
    assert_int_equal(fin.rtp_lost, 4);
    fx_close(dp, &f);
}

static void latched_gate_offloads_its_source_only_wrong_source_filtered(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3010, true, false);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 1); /* latches X: through the worker */
    settle(dp);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 9); /* then the kernel */
    dp_gate_stats_t a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, 10);
    assert_int_equal(a.fast_pkts_in, 9);
    int z = t_ep(LO, t_port(3018)); /* another source: not latched, filtered by the worker */
    for (int i = 0; i < 4; i++) t_send_rtp(z, &f.a, (uint16_t)i, 160);
    assert_int_equal(t_drain(f.y, 150), 0);
    a = t_stats(dp, 1);
    assert_int_equal(a.drop_filter, 4);
    assert_int_equal(a.pkts_in, 10);
    assert_int_equal(a.fast_pkts_in, 9);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 2); /* the latched source still flows in the kernel */
    a = t_stats(dp, 1);
    assert_int_equal(a.fast_pkts_in, 11);
    close(z);
    fx_close(dp, &f);
}

static void modify_of_remote_moves_the_offload(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3020, false, false);
    relay_rtp(f.y, &f.b, f.x, &f.a, -1, 3);
    uint16_t px2 = t_port(3028);
    int x2 = t_ep(LO, px2);
    netaddr_t x2a = t_addr(LO, px2);
    f.ra.remote_rtp = x2a;
    assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_REMOTE), 0);
    settle(dp);
    relay_rtp(f.y, &f.b, x2, &f.a, -1, 4); /* towards the new Remote, never the old */
    assert_int_equal(t_drain(f.x, 100), 0);
    relay_rtp(x2, &f.a, f.y, &f.b, -1, 5); /* the new Remote is the offloaded source */
    dp_gate_stats_t a = t_stats(dp, 1), b = t_stats(dp, 2);
    assert_int_equal(b.fast_pkts_in, 7);
    assert_int_equal(a.fast_pkts_in, 5);
    assert_int_equal(a.pkts_out, 7);
    /* the old Remote is no longer offloaded: without latching or filters the worker still
     * accepts it, as the socket path always did */
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 2);
    a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, 7);
    assert_int_equal(a.fast_pkts_in, 5);
    close(x2);
    fx_close(dp, &f);
}

/* A packet sent right after dp_gate_modify returns is relayed under the new settings, as on
 * the socket path (where the worker applies queued requests before reading packets): the
 * kernel does not relay it to the old Remote while the worker has not yet applied the
 * request. */
static void packet_right_after_modify_follows_the_new_remote(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3130, false, false);
    uint16_t px2 = t_port(3138);
    int x2 = t_ep(LO, px2);
    netaddr_t x2a = t_addr(LO, px2);
    uint8_t buf[256];
    relay_rtp(f.y, &f.b, f.x, &f.a, -1, 2); /* offloaded, towards X */
    for (int i = 0; i < 20; i++) {
        bool to2 = (i & 1) == 0;
        f.ra.remote_rtp = to2 ? x2a : f.xa;
        assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_REMOTE), 0);
        t_send_rtp(f.y, &f.b, (uint16_t)(200 + i), 160); /* no wait for the worker */
        assert_int_equal(t_recv(to2 ? x2 : f.x, buf, sizeof(buf), NULL, NULL, 500), 172);
        assert_int_equal(buf[3], (uint8_t)(200 + i));
        t_sleep_ms(5); /* the worker offloads again */
    }
    assert_int_equal(t_drain(f.x, 50) + t_drain(x2, 50), 0);
    dp_gate_stats_t b = t_stats(dp, 2);
    assert_int_equal(b.pkts_in, 22);
    uint64_t fast = b.fast_pkts_in;
    relay_rtp(f.y, &f.b, f.x, &f.a, -1, 3); /* and the pair is offloaded again */
    b = t_stats(dp, 2);
    assert_int_equal(b.fast_pkts_in, fast + 3);
    close(x2);
    fx_close(dp, &f);
}

static void close_withdraws_the_offload_and_counters_restart(void **st)
{
    FP_START(dp, 0);
    fx_t f = fx_open(dp, 3030, false, false);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 3);
    dp_gate_stats_t fin;
    assert_int_equal(dp_gate_close(dp, 2, &fin), 0);
    assert_int_equal(fin.pkts_out, 3); /* final statistics include the kernel's */
    assert_int_equal(fin.fast_pkts_in, 0);
    for (int i = 0; i < 3; i++) t_send_rtp(f.x, &f.a, (uint16_t)i, 160);
    assert_int_equal(t_drain(f.y, 150), 0); /* nothing relayed without a peer */
    dp_gate_stats_t a = t_stats(dp, 1);
    assert_int_equal(a.drop_nopeer, 3);
    assert_int_equal(a.pkts_in, 3);
    /* the same ports opened again: counters start at zero, the new pair is offloaded */
    assert_int_equal(dp_gate_open(dp, &f.rb), 0);
    settle(dp);
    dp_gate_stats_t b = t_stats(dp, 2);
    assert_int_equal(b.pkts_out, 0);
    relay_rtp(f.x, &f.a, f.y, &f.b, 46 << 2, 2);
    b = t_stats(dp, 2);
    assert_int_equal(b.pkts_out, 2);
    a = t_stats(dp, 1);
    assert_int_equal(a.fast_pkts_in, 5);
    fx_close(dp, &f);
}

/* As bgfd runs it: a gate goes to the kernel once RTP has been relayed through its socket;
 * a call without media never does, and its close needs nothing from the kernel. */
static void gates_are_offloaded_once_media_flows(void **st)
{
    fp_lazy = true;
    dp_t *dp = fp_start(0);
    fp_lazy = false;
    if (!dp) {
        skip();
        return;
    }
    fx_t f = fx_open(dp, 3040, false, false);
    dp_gate_stats_t a = t_stats(dp, 1);
    assert_int_equal(a.fast_pkts_in, 0);
    relay_rtp(f.x, &f.a, f.y, &f.b, 46 << 2, 1); /* the first packet: socket path */
    a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, 1);
    assert_int_equal(a.fast_pkts_in, 0);
    relay_rtp(f.x, &f.a, f.y, &f.b, 46 << 2, 6); /* then the kernel */
    a = t_stats(dp, 1);
    assert_int_equal(a.pkts_in, 7);
    assert_int_equal(a.fast_pkts_in, 6);
    dp_gate_stats_t b = t_stats(dp, 2); /* B has had no media: still the socket's */
    assert_int_equal(b.fast_pkts_in, 0);
    relay_rtp(f.y, &f.b, f.x, &f.a, 0, 3);
    dp_gate_stats_t fin;
    assert_int_equal(dp_gate_close(dp, 2, &fin), 0);
    assert_int_equal(fin.pkts_in, 3);
    assert_int_equal(fin.pkts_out, 7);
    assert_int_equal(fin.fast_pkts_in, 2);
    /* a gate pair that never carries media closes with exact (empty) statistics */
    dp_gate_req_t rc = t_req(5, 55, LO, t_port(3050), LO, t_port(3054));
    dp_gate_req_t rd = t_req(6, 55, LO, t_port(3052), LO, t_port(3056));
    assert_int_equal(dp_gate_open(dp, &rc), 0);
    assert_int_equal(dp_gate_open(dp, &rd), 0);
    assert_int_equal(dp_gate_close(dp, 5, &fin), 0);
    assert_int_equal(fin.pkts_in + fin.pkts_out + fin.fast_pkts_in, 0);
    assert_int_equal(dp_gate_close(dp, 6, &fin), 0);
    fx_close(dp, &f);
}

static void intercepted_gate_is_never_offloaded(void **st)
{
    FP_START(dp, 0);
    li_copies = 0;
    fx_t f = fx_open(dp, 3040, false, true);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 6);
    relay_rtp(f.y, &f.b, f.x, &f.a, -1, 4);
    dp_gate_stats_t a = t_stats(dp, 1), b = t_stats(dp, 2);
    assert_int_equal(li_copies, 10); /* every packet of the target, both ways */
    assert_int_equal(a.pkts_in, 6);
    assert_int_equal(b.pkts_in, 4);
    assert_int_equal(a.fast_pkts_in + b.fast_pkts_in, 0);
    /* tap removed: the pair goes to the kernel; tap set again: back to the workers */
    f.ra.tap.active = false;
    assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_TAP), 0);
    settle(dp);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 3);
    a = t_stats(dp, 1);
    assert_int_equal(a.fast_pkts_in, 3);
    f.ra.tap.active = true;
    assert_int_equal(dp_gate_modify(dp, &f.ra, DP_MOD_TAP), 0);
    settle(dp);
    relay_rtp(f.y, &f.b, f.x, &f.a, -1, 2);
    relay_rtp(f.x, &f.a, f.y, &f.b, -1, 2);
    t_stats(dp, 1);
    assert_int_equal(li_copies, 14);
    a = t_stats(dp, 1);
    assert_int_equal(a.fast_pkts_in, 3);
    assert_int_equal(a.pkts_in, 11);
    fx_close(dp, &f);
}

static void ipv6_gates_are_offloaded_too(void **st)
{
    FP_START(dp, 0);
    uint16_t pa = t_port(3050), pb = t_port(3052), px = t_port(3054), py = t_port(3056);
    dp_gate_req_t ra = t_req(1, 4, "::1", pa, "::1", px), rb = t_req(2, 4, "::1", pb, "::1", py);
    rb.dscp = 10;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    int x = t_ep("::1", px), y = t_ep("::1", py);
    netaddr_t a = t_addr("::1", pa), b = t_addr("::1", pb);
    settle(dp);
    relay_rtp(x, &a, y, &b, 10 << 2, 7);
    relay_rtp(y, &b, x, &a, 0, 3);
    dp_gate_stats_t sa = t_stats(dp, 1), sb = t_stats(dp, 2);
    assert_int_equal(sa.pkts_in, 7);
    assert_int_equal(sa.fast_pkts_in, 7);
    assert_int_equal(sa.octets_in, 7 * 172);
    assert_int_equal(sb.pkts_out, 7);
    assert_int_equal(sb.fast_pkts_in, 3);
    assert_int_equal(sa.pkts_out, 3);
    close(x);
    close(y);
    dp_stop(dp);
}

/* Media relayed in the kernel keeps a gate from being reported as hanging; silence does not. */
static void hang_detection_sees_kernel_relayed_media(void **st)
{
    FP_START(dp, 0);
    uint16_t pa = t_port(3060), pb = t_port(3062), px = t_port(3064), py = t_port(3066);
    dp_gate_req_t ra = t_req(1, 5, LO, pa, LO, px), rb = t_req(2, 5, LO, pb, LO, py);
    ra.hang_timer_s = 1;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    int x = t_ep(LO, px), y = t_ep(LO, py);
    netaddr_t a = t_addr(LO, pa);
    settle(dp);
    dp_event_t ev[4];
    for (int i = 0; i < 30; i++) { /* 1.5 s of media, all through the kernel */
        t_send_rtp(x, &a, (uint16_t)i, 160);
        t_sleep_ms(50);
    }
    assert_int_equal(dp_poll_events(dp, ev, 4), 0);
    dp_gate_stats_t s = t_stats(dp, 1);
    assert_int_equal(s.fast_pkts_in, 30);
    assert_int_equal(t_drain(y, 50), 30);
    struct pollfd pfd = {.fd = dp_event_fd(dp), .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 1500), 1); /* then silence: reported */
    assert_int_equal(dp_poll_events(dp, ev, 4), 1);
    assert_int_equal(ev[0].type, DP_EV_HANGTERM);
    assert_int_equal(ev[0].gate_id, 1);
    close(x);
    close(y);
    dp_stop(dp);
}

/* ---- the policer in the kernel ---- */

/* Send 212-byte RTP packets (sequence from *seq) from fd to `to` at `rate` bytes/s for ms;
 * returns how many were sent. */
static int paced_send(int fd, const netaddr_t *to, uint16_t *seq, uint32_t rate, unsigned ms)
{
    uint64_t t0 = t_now_ms(), sent = 0;
    for (;;) {
        uint64_t now = t_now_ms();
        if (now - t0 >= ms) break;
        uint64_t due = (now - t0 + 1) * rate / 1000 / 212;
        while (sent < due) {
            t_send_rtp(fd, to, (*seq)++, 200);
            sent++;
        }
        t_sleep_ms(1);
    }
    return (int)sent;
}

/* Gate 1 (A, policed by pol) and gate 2 (B) in context 8 on ports from base, settled in the
 * kernel: *x sends to A (at *a), *y receives what B relays, with receive timestamps. */
static dp_gate_req_t open_policed(dp_t *dp, unsigned base, dp_policer_t pol, int *x, int *y,
                                  netaddr_t *a)
{
    uint16_t pa = t_port(base), pb = t_port(base + 2), px = t_port(base + 4), py = t_port(base + 6);
    dp_gate_req_t ra = t_req(1, 8, LO, pa, LO, px), rb = t_req(2, 8, LO, pb, LO, py);
    ra.policer = pol;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    int one = 1;
    *x = t_ep(LO, px), *y = t_ep(LO, py);
    setsockopt(*y, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    *a = t_addr(LO, pa);
    settle(dp);
    return ra;
}

/* A policed gate is offloaded; the kernel's token bucket (dp_pol_admit's) holds the rate
 * within 5 % of sdr, and after the offload is withdrawn the worker goes on with the kernel's
 * bucket, not a fresh full one: over both halves the accepted bytes are one burst (mbs) plus
 * sdr x time. (A bucket refilled at the handback would add another 20,000 bytes, +17 %.) */
static void policed_gate_is_offloaded_and_its_bucket_handed_back(void **st)
{
    FP_START(dp, 0);
    int x, y;
    netaddr_t a;
    dp_gate_req_t ra = open_policed(dp, 3150, (dp_policer_t){.on = true, .sdr = 40000, .mbs = 20000},
                                    &x, &y, &a);
    uint16_t seq = 0;
    int sent = paced_send(x, &a, &seq, 80000, 1500); /* twice the rate, in the kernel */
    dp_gate_stats_t s = t_stats(dp, 1);
    assert_true(s.drop_policer > 0);
    assert_int_equal(s.pkts_in + s.drop_policer, sent);
    assert_int_equal(s.fast_pkts_in, s.pkts_in); /* every packet decided in the kernel */
    assert_int_equal(s.rtp_lost, 0); /* policed packets were received: not lost */
    uint64_t fast = s.fast_pkts_in;
    ra.tap = (li_tap_conf_t){.active = true, .cid = 77, .ntargets = 1, .targets = {3}};
    assert_int_equal(dp_gate_modify(dp, &ra, DP_MOD_TAP), 0); /* withdrawn */
    sent += paced_send(x, &a, &seq, 80000, 1500);
    s = t_stats(dp, 1);
    int got;
    double ms = t_drain_span_ms(y, &got);
    assert_int_equal(got, (int)s.pkts_in);
    /* (a worker starved by a loaded machine may lose some to its socket's receive buffer) */
    assert_true(s.pkts_in + s.drop_policer <= (uint64_t)sent);
    assert_true(s.fast_pkts_in == fast && s.pkts_in > fast); /* the second half in the worker */
    double rate = ((double)s.octets_in - 20000) * 1000.0 / ms;
    print_message("accepted %.0f B/s for 40000 B/s over %.0f ms (%.2f %%)\n", rate, ms,
                  100.0 * (rate - 40000) / 40000);
    assert_true(rate >= 40000 * 0.95 && rate <= 40000 * 1.05);
    close(x);
    close(y);
    dp_stop(dp);
}

/* Two-rate in the kernel: the peak bucket (pdr, pdr x dvt) limits when pdr is the lower. */
static void offloaded_two_rate_policer_holds_pdr(void **st)
{
    FP_START(dp, 0);
    int x, y;
    netaddr_t a;
    open_policed(dp, 3160,
                 (dp_policer_t){.on = true, .sdr = 80000, .mbs = 80000, .pdr = 30000, .dvt = 200000},
                 &x, &y, &a);
    uint16_t seq = 0;
    int sent = paced_send(x, &a, &seq, 60000, 1500);
    dp_gate_stats_t s = t_stats(dp, 1);
    int got;
    double ms = t_drain_span_ms(y, &got);
    assert_int_equal(got, (int)s.pkts_in);
    assert_int_equal(s.pkts_in + s.drop_policer, sent);
    assert_int_equal(s.fast_pkts_in, s.pkts_in);
    double rate = ((double)s.octets_in - 6000) * 1000.0 / ms; /* peak depth 30000 x 0.2 s */
    print_message("accepted %.0f B/s for pdr 30000 B/s (%.2f %%)\n", rate, 100.0 * (rate - 30000) / 30000);
    assert_true(rate >= 30000 * 0.95 && rate <= 30000 * 1.05);
    close(x);
    close(y);
    dp_stop(dp);
}

/* ---- between namespaces: the redirect towards a non-local remote ---- */

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

static void netns_down(void)
{
    (void)!system("ip netns del bgfdp-fpa 2>/dev/null; ip netns del bgfdp-fpb 2>/dev/null; "
                  "ip link del bgfdp-fpa0 2>/dev/null; ip link del bgfdp-fpb0 2>/dev/null");
}

/* Namespaces bgfdp-fpa (10.97.1.2, fd97:1::2) and bgfdp-fpb (10.97.2.2, fd97:2::2), each on a
 * veth pair whose other end (10.97.1.1 fd97:1::1, 10.97.2.1 fd97:2::1) is in this namespace,
 * where the data plane runs. */
static int netns_up(void)
{
    netns_down();
    if (sh("ip netns add bgfdp-fpa && ip netns add bgfdp-fpb && "
           "ip link add bgfdp-fpa0 type veth peer name fpa1 netns bgfdp-fpa && "
           "ip link add bgfdp-fpb0 type veth peer name fpb1 netns bgfdp-fpb && "
           "ip addr add 10.97.1.1/24 dev bgfdp-fpa0 && ip link set bgfdp-fpa0 up && "
           "ip addr add 10.97.2.1/24 dev bgfdp-fpb0 && ip link set bgfdp-fpb0 up && "
           "ip -n bgfdp-fpa addr add 10.97.1.2/24 dev fpa1 && ip -n bgfdp-fpa link set fpa1 up && "
           "ip -n bgfdp-fpa link set lo up && ip -n bgfdp-fpa route add default via 10.97.1.1 && "
           "ip -n bgfdp-fpb addr add 10.97.2.2/24 dev fpb1 && ip -n bgfdp-fpb link set fpb1 up && "
           "ip -n bgfdp-fpb link set lo up && ip -n bgfdp-fpb route add default via 10.97.2.1 && "
           "ip addr add fd97:1::1/64 dev bgfdp-fpa0 nodad && ip addr add fd97:2::1/64 dev bgfdp-fpb0 nodad && "
           "ip -n bgfdp-fpa addr add fd97:1::2/64 dev fpa1 nodad && "
           "ip -n bgfdp-fpa -6 route add default via fd97:1::1 && "
           "ip -n bgfdp-fpb addr add fd97:2::2/64 dev fpb1 nodad && "
           "ip -n bgfdp-fpb -6 route add default via fd97:2::1") < 0)
        return -1;
    /* checksums computed by the senders and verified in software by the receivers, so that a
     * wrong incremental update shows as a lost packet (needs ethtool) */
    return sh("for i in a b; do ip netns exec bgfdp-fp$i ethtool -K fp${i}1 tx off rx off "
              ">/dev/null 2>&1 || exit 1; ethtool -K bgfdp-fp${i}0 tx off rx off >/dev/null 2>&1 "
              "|| exit 1; done");
}

/* An endpoint socket inside namespace ns. */
static int ns_ep(const char *ns, const char *ip, uint16_t port)
{
    char path[64];
    snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
    int self = open("/proc/self/ns/net", O_RDONLY), other = open(path, O_RDONLY);
    assert_true(self >= 0 && other >= 0);
    assert_int_equal(setns(other, CLONE_NEWNET), 0);
    int fd = t_ep(ip, port);
    assert_int_equal(setns(self, CLONE_NEWNET), 0);
    close(self);
    close(other);
    return fd;
}

static void gates_between_namespaces_are_redirected_out_of_the_peer_interface(void **st)
{
    if (geteuid() == 0 && netns_up() < 0) {
        netns_down();
        print_message("[  SKIP    ] cannot make the namespaces (ip netns, veth, ethtool)\n");
        skip();
    }
    FP_START(dp, 0);
    uint16_t pa = t_port(3070), pb = t_port(3072), px = t_port(3074), py = t_port(3076);
    dp_gate_req_t ra = t_req(1, 6, "10.97.1.1", pa, "10.97.1.2", px),
                  rb = t_req(2, 6, "10.97.2.1", pb, "10.97.2.2", py);
    rb.dscp = 26;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    int x = ns_ep("bgfdp-fpa", "10.97.1.2", px), y = ns_ep("bgfdp-fpb", "10.97.2.2", py);
    netaddr_t a = t_addr("10.97.1.1", pa), b = t_addr("10.97.2.1", pb);
    settle(dp);
    relay_rtp(x, &a, y, &b, 26 << 2, 8);
    relay_rtp(y, &b, x, &a, 0, 4);
    dp_gate_stats_t sa = t_stats(dp, 1), sb = t_stats(dp, 2);
    assert_int_equal(sa.pkts_in, 8);
    assert_int_equal(sb.pkts_out, 8);
    assert_int_equal(sb.octets_out, 8 * 172);
    assert_int_equal(sb.pkts_in, 4);
    assert_int_equal(sa.fast_pkts_in, 8);
    assert_int_equal(sb.fast_pkts_in, 4);
    close(x);
    close(y);
    /* the same over IPv6 */
    ra = t_req(3, 7, "fd97:1::1", pa, "fd97:1::2", px);
    rb = t_req(4, 7, "fd97:2::1", pb, "fd97:2::2", py);
    rb.dscp = 18;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    x = ns_ep("bgfdp-fpa", "fd97:1::2", px);
    y = ns_ep("bgfdp-fpb", "fd97:2::2", py);
    a = t_addr("fd97:1::1", pa);
    b = t_addr("fd97:2::1", pb);
    settle(dp);
    relay_rtp(x, &a, y, &b, 18 << 2, 5);
    relay_rtp(y, &b, x, &a, 0, 6);
    sa = t_stats(dp, 3);
    sb = t_stats(dp, 4);
    assert_int_equal(sa.pkts_in, 5);
    assert_int_equal(sa.fast_pkts_in, 5);
    assert_int_equal(sb.pkts_out, 5);
    assert_int_equal(sb.fast_pkts_in, 6);
    assert_int_equal(sa.octets_out, 6 * 172);
    close(x);
    close(y);
    dp_stop(dp);
    netns_down();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offloaded_gates_forward_both_ways_with_exact_statistics),
        cmocka_unit_test(rtcp_is_never_offloaded),
        cmocka_unit_test(offloaded_loss_and_jitter_equal_the_socket_path),
        cmocka_unit_test(rtp_statistics_are_handed_over_both_ways),
        cmocka_unit_test(packets_around_offload_changes_lose_nothing),
        cmocka_unit_test(latched_gate_offloads_its_source_only_wrong_source_filtered),
        cmocka_unit_test(modify_of_remote_moves_the_offload),
        cmocka_unit_test(packet_right_after_modify_follows_the_new_remote),
        cmocka_unit_test(close_withdraws_the_offload_and_counters_restart),
        cmocka_unit_test(gates_are_offloaded_once_media_flows),
        cmocka_unit_test(intercepted_gate_is_never_offloaded),
        cmocka_unit_test(ipv6_gates_are_offloaded_too),
        cmocka_unit_test(hang_detection_sees_kernel_relayed_media),
        cmocka_unit_test(policed_gate_is_offloaded_and_its_bucket_handed_back),
        cmocka_unit_test(offloaded_two_rate_policer_holds_pdr),
        cmocka_unit_test(gates_between_namespaces_are_redirected_out_of_the_peer_interface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
