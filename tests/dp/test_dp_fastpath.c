/* test_dp_fastpath.c - the kernel fast path (dp_config_t.fast_path = DP_FAST_PATH_TC) on
 * loopback: established gates are relayed by the TC program with the same statistics as the
 * socket path, and everything the fast path must not carry (a wrong source, a changed
 * Remote, a closed peer, an intercepted gate) still goes through the workers.
 * Needs root (BPF); skipped with the reason otherwise. Gate 1 (A) faces X, gate 2 (B) faces
 * Y. Ports: DP_TEST_PORT + 3000..3099. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>

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

/* A data plane with the fast path, or NULL after skip() when it cannot be had here. */
static dp_t *fp_start(uint32_t relatch_ms)
{
    if (geteuid() != 0) {
        print_message("[  SKIP    ] the kernel fast path needs root (BPF)\n");
        return NULL;
    }
    dp_config_t c = {.workers = 1, .max_gates = 8, .relatch_idle_ms = relatch_ms,
                     .fast_path = DP_FAST_PATH_TC, .li_sender_for_worker = fake_sender,
                     .li_copy = fake_copy};
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

/* Wait until the worker has applied every request queued so far (and offloaded what it may):
 * requests are applied in order, and with the fast path on, a close that asks for final
 * statistics returns once the worker has applied it (the kernel's counters run until then). */
static void settle(dp_t *dp)
{
    dp_gate_req_t r = t_req(99, 999, LO, t_port(3098), LO, 0);
    dp_gate_stats_t fin;
    assert_int_equal(dp_gate_open(dp, &r), 0);
    assert_int_equal(dp_gate_close(dp, 99, &fin), 0);
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
    /* and the kernel carried them: no worker saw these packets */
    assert_int_equal(a.fast_pkts_in, 25);
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
        cmocka_unit_test(latched_gate_offloads_its_source_only_wrong_source_filtered),
        cmocka_unit_test(modify_of_remote_moves_the_offload),
        cmocka_unit_test(close_withdraws_the_offload_and_counters_restart),
        cmocka_unit_test(intercepted_gate_is_never_offloaded),
        cmocka_unit_test(ipv6_gates_are_offloaded_too),
        cmocka_unit_test(hang_detection_sees_kernel_relayed_media),
        cmocka_unit_test(gates_between_namespaces_are_redirected_out_of_the_peer_interface),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
