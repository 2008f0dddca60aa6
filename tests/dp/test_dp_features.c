/* test_dp_features.c - gate behaviour through real sockets on loopback: latching (RTP and
 * RTCP separately), relatching after silence or a Remote change, source filters, stream
 * modes, DSCP marks, modify, hanging-termination events and the interception hook.
 * Gate 1 (A) faces endpoint X, gate 2 (B) faces Y. Ports: DP_TEST_PORT + 1000..1999. */
#include <pthread.h>

#include "dp_test.h"

#define LO "127.0.0.1"

/* ---- a fake interception sender: records what the data plane hands over ---- */
typedef struct li_rec {
    li_dir_t dir;
    uint64_t cid;
    uint32_t len;
    uint8_t first;
    uint8_t dscp;
    netaddr_t in_src, in_dst, out_src, out_dst;
} li_rec_t;
static pthread_mutex_t li_mu = PTHREAD_MUTEX_INITIALIZER;
static li_rec_t li_log[64];
static int li_n;
static int li_fake_sender;

static int fake_copy(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *pk)
{
    assert_ptr_equal(s, (li_sender_t *)&li_fake_sender);
    pthread_mutex_lock(&li_mu); /* test code, not the packet path */
    if (li_n < 64)
        li_log[li_n++] = (li_rec_t){dir, tap->conf.cid, pk->len, pk->payload[0], pk->dscp,
                                    *pk->in_src, *pk->in_dst, *pk->out_src, *pk->out_dst};
    pthread_mutex_unlock(&li_mu);
    return tap->conf.ntargets;
}

static li_sender_t *fake_sender(unsigned worker, void *arg)
{
    return (li_sender_t *)&li_fake_sender;
}

static int li_count(void)
{
    pthread_mutex_lock(&li_mu);
    int n = li_n;
    pthread_mutex_unlock(&li_mu);
    return n;
}

/* ---- fixtures ---- */
typedef struct fx {
    dp_t *dp;
    uint16_t pa, pb, px, py;
    int x, y, yc;
    netaddr_t a, ac, b, bc, xa, ya;
} fx_t;

/* A (gate 1) and B (gate 2); A's request is adjusted by `tweak` before opening. */
static fx_t fx_open(unsigned off, uint32_t relatch_ms, void (*tweak)(dp_gate_req_t *, fx_t *))
{
    fx_t f;
    f.dp = t_start(1, 8, relatch_ms);
    f.pa = t_port(off);
    f.pb = t_port(off + 2);
    f.px = t_port(off + 4);
    f.py = t_port(off + 6);
    dp_gate_req_t ra = t_req(1, 9, LO, f.pa, LO, f.px), rb = t_req(2, 9, LO, f.pb, LO, f.py);
    if (tweak) tweak(&ra, &f);
    assert_int_equal(dp_gate_open(f.dp, &ra), 0);
    assert_int_equal(dp_gate_open(f.dp, &rb), 0);
    f.x = t_ep(LO, f.px);
    f.y = t_ep(LO, f.py);
    f.yc = t_ep(LO, (uint16_t)(f.py + 1));
    f.a = t_addr(LO, f.pa);
    f.ac = t_addr(LO, (uint16_t)(f.pa + 1));
    f.b = t_addr(LO, f.pb);
    f.bc = t_addr(LO, (uint16_t)(f.pb + 1));
    f.xa = t_addr(LO, f.px);
    f.ya = t_addr(LO, f.py);
    return f;
}

static void fx_close(fx_t *f)
{
    close(f->x);
    close(f->y);
    close(f->yc);
    dp_stop(f->dp);
}

/* Send an RTP packet from fd to `to`; true when it arrived at `at` within 300 ms. */
static bool passes(int fd, const netaddr_t *to, int at, uint16_t seq)
{
    t_send_rtp(fd, to, seq, 40);
    uint8_t b[256];
    return t_recv(at, b, sizeof(b), NULL, NULL, 300) == 52;
}

static bool blocked(int fd, const netaddr_t *to, int at, uint16_t seq)
{
    t_send_rtp(fd, to, seq, 40);
    return t_drain(at, 150) == 0;
}

/* ---- latching ---- */
static void latch_on_no_remote(dp_gate_req_t *r, fx_t *f)
{
    r->latch = true;
    memset(&r->remote_rtp, 0, sizeof(r->remote_rtp));
}

static void latching_learns_rtp_and_rtcp_remotes_separately(void **st)
{
    fx_t f = fx_open(1000, 0, latch_on_no_remote);
    assert_true(blocked(f.y, &f.b, f.x, 1)); /* A has no remote yet: nothing reaches X */
    assert_int_equal(t_stats(f.dp, 2).drop_nopeer, 1);
    assert_true(passes(f.x, &f.a, f.y, 1)); /* X's first packet latches A */
    assert_true(passes(f.y, &f.b, f.x, 2)); /* and Y's media now reaches X */
    dp_gate_stats_t s = t_stats(f.dp, 1);
    assert_true(netaddr_equal(&s.latched_rtp, &f.xa));
    /* RTCP not latched yet: follows the latched RTP address, port + 1 */
    int xc = t_ep(LO, (uint16_t)(f.px + 1));
    uint8_t b[64];
    size_t n = t_rtcp(b, 7);
    t_send(f.yc, &f.bc, b, n);
    assert_int_equal(t_recv(xc, b, sizeof(b), NULL, NULL, 300), 8);
    /* RTCP from another port of X latches RTCP there; RTP stays latched on X */
    int xc2 = t_ep(LO, t_port(1009));
    t_send(xc2, &f.ac, b, n);
    assert_int_equal(t_recv(f.yc, b, sizeof(b), NULL, NULL, 300), 8);
    t_send(f.yc, &f.bc, b, n);
    assert_int_equal(t_recv(xc2, b, sizeof(b), NULL, NULL, 300), 8);
    assert_int_equal(t_drain(xc, 50), 0);
    assert_true(passes(f.y, &f.b, f.x, 3));
    s = t_stats(f.dp, 1);
    netaddr_t x2 = t_addr(LO, t_port(1009));
    assert_true(netaddr_equal(&s.latched_rtcp, &x2));
    assert_true(netaddr_equal(&s.latched_rtp, &f.xa));
    close(xc);
    close(xc2);
    fx_close(&f);
}

static void latched_gate_relatches_only_after_the_source_falls_silent(void **st)
{
    fx_t f = fx_open(1010, 300, latch_on_no_remote);
    int z = t_ep(LO, t_port(1018));
    assert_true(passes(f.x, &f.a, f.y, 1));
    assert_true(blocked(z, &f.a, f.y, 2)); /* another source while X is active: dropped */
    assert_int_equal(t_stats(f.dp, 1).drop_filter, 1);
    t_sleep_ms(400);                       /* X silent longer than relatch_idle_ms */
    assert_true(passes(z, &f.a, f.y, 3));  /* Z takes over */
    assert_true(passes(f.y, &f.b, z, 4));  /* and Y's media goes to Z */
    assert_true(blocked(f.x, &f.a, f.y, 5));
    dp_gate_stats_t s = t_stats(f.dp, 1);
    netaddr_t za = t_addr(LO, t_port(1018));
    assert_true(netaddr_equal(&s.latched_rtp, &za));
    assert_int_equal(s.drop_filter, 2);
    close(z);
    fx_close(&f);
}

static void remote_change_by_modify_allows_a_relatch(void **st)
{
    fx_t f = fx_open(1020, 0, latch_on_no_remote); /* relatch on silence disabled */
    int z = t_ep(LO, t_port(1028));
    netaddr_t za = t_addr(LO, t_port(1028));
    assert_true(passes(f.x, &f.a, f.y, 1));
    t_sleep_ms(100);
    assert_true(blocked(z, &f.a, f.y, 2));
    dp_gate_req_t m = t_req(1, 9, LO, f.pa, LO, t_port(1028));
    m.latch = true;
    assert_int_equal(dp_gate_modify(f.dp, &m, DP_MOD_REMOTE), 0);
    assert_true(passes(f.y, &f.b, z, 3));  /* before any packet: the new Remote */
    assert_true(passes(z, &f.a, f.y, 4));  /* Z latches */
    assert_true(blocked(f.x, &f.a, f.y, 5));
    dp_gate_stats_t s = t_stats(f.dp, 1);
    assert_true(netaddr_equal(&s.latched_rtp, &za));
    close(z);
    fx_close(&f);
}

static void without_latching_any_source_passes_and_replies_go_to_the_remote(void **st)
{
    fx_t f = fx_open(1030, 0, NULL);
    int z = t_ep(LO, t_port(1038));
    assert_true(passes(z, &f.a, f.y, 1));
    assert_true(passes(f.y, &f.b, f.x, 2));
    assert_int_equal(t_drain(z, 50), 0);
    close(z);
    fx_close(&f);
}

/* ---- source filters ---- */
static void filter_exact_host(dp_gate_req_t *r, fx_t *f)
{
    r->filter.addr_on = true; /* address unset: the remote's address */
}

static void address_filter_drops_other_hosts(void **st)
{
    fx_t f = fx_open(1040, 0, filter_exact_host);
    int z = t_ep("127.0.0.2", t_port(1048)); /* another loopback host */
    assert_true(blocked(z, &f.a, f.y, 1));
    assert_true(passes(f.x, &f.a, f.y, 2));
    assert_int_equal(t_stats(f.dp, 1).drop_filter, 1);
    /* gm/sam 255.0.0.0 lets the whole 127/8 through */
    dp_gate_req_t m = t_req(1, 9, LO, f.pa, LO, f.px);
    m.filter.addr_on = true;
    m.filter.addr = t_addr("127.0.0.0", 0);
    m.filter.mask = t_addr("255.0.0.0", 0);
    assert_int_equal(dp_gate_modify(f.dp, &m, DP_MOD_FILTER), 0);
    assert_true(passes(z, &f.a, f.y, 3));
    m.filter.mask = t_addr("255.255.255.255", 0);
    m.filter.addr = t_addr("127.0.0.3", 0);
    assert_int_equal(dp_gate_modify(f.dp, &m, DP_MOD_FILTER), 0);
    assert_true(blocked(z, &f.a, f.y, 4));
    assert_true(blocked(f.x, &f.a, f.y, 5));
    assert_int_equal(t_stats(f.dp, 1).drop_filter, 3);
    close(z);
    fx_close(&f);
}

static void filter_ports(dp_gate_req_t *r, fx_t *f)
{
    r->filter.port_on = true;
    r->filter.port_lo = f->px;
    r->filter.port_hi = (uint16_t)(f->px + 1);
}

static void port_filter_accepts_only_the_range(void **st)
{
    fx_t f;
    f = fx_open(1050, 0, filter_ports);
    int z = t_ep(LO, t_port(1058));
    assert_true(blocked(z, &f.a, f.y, 1));
    assert_true(passes(f.x, &f.a, f.y, 2));
    /* range 0-0: the remote's port only */
    dp_gate_req_t m = t_req(1, 9, LO, f.pa, LO, t_port(1058));
    m.filter.port_on = true;
    assert_int_equal(dp_gate_modify(f.dp, &m, DP_MOD_FILTER | DP_MOD_REMOTE), 0);
    assert_true(passes(z, &f.a, f.y, 3));
    assert_true(blocked(f.x, &f.a, f.y, 4));
    assert_int_equal(t_stats(f.dp, 1).drop_filter, 2);
    close(z);
    fx_close(&f);
}

/* ---- modes ---- */
static void set_mode(fx_t *f, uint32_t id, dp_mode_t mode)
{
    dp_gate_req_t m = t_req(id, 9, LO, id == 1 ? f->pa : f->pb, NULL, 0);
    m.mode = mode;
    assert_int_equal(dp_gate_modify(f->dp, &m, DP_MOD_MODE), 0);
}

static void modes_drop_what_they_forbid(void **st)
{
    fx_t f = fx_open(1060, 0, NULL);
    uint16_t q = 1;
    /* SendOnly A: A sends to X, media from X dropped */
    set_mode(&f, 1, DP_MODE_SENDONLY);
    assert_true(blocked(f.x, &f.a, f.y, q++));
    assert_true(passes(f.y, &f.b, f.x, q++));
    assert_int_equal(t_stats(f.dp, 1).drop_mode, 1);
    /* RecvOnly A: media from X accepted, nothing sent towards X */
    set_mode(&f, 1, DP_MODE_RECVONLY);
    assert_true(passes(f.x, &f.a, f.y, q++));
    assert_true(blocked(f.y, &f.b, f.x, q++));
    assert_int_equal(t_stats(f.dp, 2).drop_mode, 1); /* counted where it arrived */
    /* Inactive A: nothing in, nothing out */
    set_mode(&f, 1, DP_MODE_INACTIVE);
    assert_true(blocked(f.x, &f.a, f.y, q++));
    assert_true(blocked(f.y, &f.b, f.x, q++));
    /* back to SendRecv */
    set_mode(&f, 1, DP_MODE_SENDRECV);
    assert_true(passes(f.x, &f.a, f.y, q++));
    assert_true(passes(f.y, &f.b, f.x, q++));
    dp_gate_stats_t a = t_stats(f.dp, 1), b = t_stats(f.dp, 2);
    assert_int_equal(a.drop_mode, 2);
    assert_int_equal(b.drop_mode, 2);
    assert_int_equal(a.pkts_in, 2);
    assert_int_equal(a.pkts_out, 2);
    fx_close(&f);
}

/* ---- DSCP ---- */
static void dscp_marks_every_packet_the_gate_sends(void **st)
{
    dp_t *dp = t_start(1, 4, 0);
    uint16_t pa = t_port(1070), pb = t_port(1072), px = t_port(1074), py = t_port(1076);
    dp_gate_req_t ra = t_req(1, 3, LO, pa, LO, px), rb = t_req(2, 3, "::1", pb, "::1", py);
    ra.dscp = 10; /* AF11 */
    rb.dscp = 46; /* EF */
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    int x = t_ep(LO, px), y = t_ep("::1", py), tos = -1;
    netaddr_t a = t_addr(LO, pa), b = t_addr("::1", pb);
    uint8_t buf[256];
    t_send_rtp(x, &a, 1, 20);
    assert_int_equal(t_recv(y, buf, sizeof(buf), NULL, &tos, 500), 32);
    assert_int_equal(tos, 46 << 2);
    t_send_rtp(y, &b, 2, 20);
    assert_int_equal(t_recv(x, buf, sizeof(buf), NULL, &tos, 500), 32);
    assert_int_equal(tos, 10 << 2);
    rb.dscp = 26;
    assert_int_equal(dp_gate_modify(dp, &rb, DP_MOD_DSCP), 0);
    t_sleep_ms(20);
    t_send_rtp(x, &a, 3, 20);
    assert_int_equal(t_recv(y, buf, sizeof(buf), NULL, &tos, 500), 32);
    assert_int_equal(tos, 26 << 2);
    close(x);
    close(y);
    dp_stop(dp);
}

/* ---- hanging termination ---- */
static void silent_gate_raises_one_hangterm_event(void **st)
{
    dp_t *dp = t_start(1, 4, 0);
    uint16_t pa = t_port(1080), px = t_port(1084);
    dp_gate_req_t ra = t_req(1, 3, LO, pa, LO, px), rb = t_req(2, 4, LO, t_port(1082), LO, px);
    ra.hang_timer_s = 1;
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0); /* no hang timer: never reported */
    int x = t_ep(LO, px);
    netaddr_t a = t_addr(LO, pa);
    struct pollfd pfd = {.fd = dp_event_fd(dp), .events = POLLIN};
    dp_event_t ev[4];
    uint64_t t0 = t_now_ms();
    for (int i = 0; i < 7; i++) { /* media for 1.4 s keeps it quiet */
        t_send_rtp(x, &a, (uint16_t)i, 20);
        t_sleep_ms(200);
    }
    assert_int_equal(dp_poll_events(dp, ev, 4), 0);
    t0 = t_now_ms();
    assert_int_equal(poll(&pfd, 1, 2500), 1);
    uint64_t waited = t_now_ms() - t0;
    assert_true(waited >= 700 && waited <= 1400);
    assert_int_equal(dp_poll_events(dp, ev, 4), 1);
    assert_int_equal(ev[0].type, DP_EV_HANGTERM);
    assert_int_equal(ev[0].gate_id, 1);
    assert_int_equal(poll(&pfd, 1, 1300), 0); /* once per silence */
    t_send_rtp(x, &a, 99, 20);                /* media again, then silence: again */
    assert_int_equal(poll(&pfd, 1, 1500), 1);
    assert_int_equal(dp_poll_events(dp, ev, 4), 1);
    assert_int_equal(ev[0].gate_id, 1);
    close(x);
    dp_stop(dp);
}

/* ---- interception hook ---- */
static void tapped_gate_copies_forwarded_packets_with_direction(void **st)
{
    dp_config_t c = {.workers = 1, .max_gates = 4, .li_sender_for_worker = fake_sender,
                     .li_copy = fake_copy};
    char err[64];
    dp_t *dp = dp_start(&c, err, sizeof(err));
    assert_non_null(dp);
    uint16_t pa = t_port(1090), pb = t_port(1092), px = t_port(1094), py = t_port(1096);
    dp_gate_req_t ra = t_req(1, 3, LO, pa, LO, px), rb = t_req(2, 3, LO, pb, LO, py);
    ra.tap = (li_tap_conf_t){.active = true, .cid = 42, .ntargets = 1, .targets = {7}};
    ra.dscp = 12;
    ra.policer = (dp_policer_t){.on = true, .sdr = 1000, .mbs = 200};
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    int x = t_ep(LO, px), y = t_ep(LO, py);
    netaddr_t a = t_addr(LO, pa), b = t_addr(LO, pb), xa = t_addr(LO, px), ya = t_addr(LO, py);
    uint8_t buf[256];
    li_n = 0;
    t_send_rtp(x, &a, 1, 100); /* 112 bytes: within the burst */
    assert_int_equal(t_recv(y, buf, sizeof(buf), NULL, NULL, 500), 112);
    t_send_rtp(x, &a, 2, 100); /* over the bucket: dropped by the policer, never copied */
    assert_int_equal(t_drain(y, 100), 0);
    t_send_rtp(y, &b, 3, 60);  /* to the target */
    assert_int_equal(t_recv(x, buf, sizeof(buf), NULL, NULL, 500), 72);
    t_stats(dp, 1);
    assert_int_equal(li_count(), 2);
    assert_int_equal(li_log[0].dir, LI_DIR_FROM_TARGET);
    assert_int_equal(li_log[0].cid, 42);
    assert_int_equal(li_log[0].len, 112);
    assert_int_equal(li_log[0].first, 0x80);
    assert_int_equal(li_log[0].dscp, 12);
    assert_true(netaddr_equal(&li_log[0].in_src, &xa));
    assert_true(netaddr_equal(&li_log[0].in_dst, &a));
    assert_true(netaddr_equal(&li_log[0].out_src, &b));
    assert_true(netaddr_equal(&li_log[0].out_dst, &ya));
    assert_int_equal(li_log[1].dir, LI_DIR_TO_TARGET);
    assert_int_equal(li_log[1].len, 72);
    assert_true(netaddr_equal(&li_log[1].in_src, &ya));
    assert_true(netaddr_equal(&li_log[1].out_dst, &xa));
    /* copies never show in the ordinary statistics */
    dp_gate_stats_t s = t_stats(dp, 1);
    assert_int_equal(s.pkts_in, 1);
    assert_int_equal(s.pkts_out, 1);
    assert_int_equal(s.drop_policer, 1);
    /* tap removed by modify: no more copies */
    ra.tap.active = false;
    assert_int_equal(dp_gate_modify(dp, &ra, DP_MOD_TAP), 0);
    t_send_rtp(y, &b, 4, 60);
    assert_int_equal(t_recv(x, buf, sizeof(buf), NULL, NULL, 500), 72);
    t_stats(dp, 1);
    assert_int_equal(li_count(), 2);
    close(x);
    close(y);
    dp_stop(dp);
}

static void untapped_gates_make_no_copies(void **st)
{
    dp_config_t c = {.workers = 1, .max_gates = 4, .li_sender_for_worker = fake_sender,
                     .li_copy = fake_copy};
    char err[64];
    dp_t *dp = dp_start(&c, err, sizeof(err));
    assert_non_null(dp);
    uint16_t pa = t_port(1100), pb = t_port(1102), px = t_port(1104), py = t_port(1106);
    dp_gate_req_t ra = t_req(1, 3, LO, pa, LO, px), rb = t_req(2, 3, LO, pb, LO, py);
    assert_int_equal(dp_gate_open(dp, &ra), 0);
    assert_int_equal(dp_gate_open(dp, &rb), 0);
    int x = t_ep(LO, px), y = t_ep(LO, py);
    netaddr_t a = t_addr(LO, pa);
    li_n = 0;
    assert_true(passes(x, &a, y, 1));
    t_stats(dp, 1);
    assert_int_equal(li_count(), 0);
    close(x);
    close(y);
    dp_stop(dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(latching_learns_rtp_and_rtcp_remotes_separately),
        cmocka_unit_test(latched_gate_relatches_only_after_the_source_falls_silent),
        cmocka_unit_test(remote_change_by_modify_allows_a_relatch),
        cmocka_unit_test(without_latching_any_source_passes_and_replies_go_to_the_remote),
        cmocka_unit_test(address_filter_drops_other_hosts),
        cmocka_unit_test(port_filter_accepts_only_the_range),
        cmocka_unit_test(modes_drop_what_they_forbid),
        cmocka_unit_test(dscp_marks_every_packet_the_gate_sends),
        cmocka_unit_test(silent_gate_raises_one_hangterm_event),
        cmocka_unit_test(tapped_gate_copies_forwarded_packets_with_direction),
        cmocka_unit_test(untapped_gates_make_no_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
