/* test_dp_move.c - a gate changing context in place (DP_MOD_CONTEXT, H.248 Move) through real
 * sockets on loopback: it leaves its peer (which then drops what it receives, counted as
 * "no peer") and pairs with the gate of its stream in the new context, on the same worker or
 * handed over to the new peer's worker, keeping its sockets, latched source, counters, RTP
 * loss and round-trip state, policer bucket and tap; the kernel fast path is withdrawn from
 * both pairings.
 * Gates A (1) and B (2) start in one context, C (3) is in another. A faces X, B faces Y
 * (behind a "NAT": Y sends from another port than B's Remote), C faces Z.
 * Ports: DP_TEST_PORT + 4600..4799. */
#include <stdatomic.h>
#include <stdio.h>

#include "dp/dp_int.h"
#include "dp_test.h"

#define LO "127.0.0.1"

/* ---- a fake interception sender: counts copies and remembers the last cid ---- */
static int li_fake_sender;
static _Atomic int li_copies;
static _Atomic uint64_t li_last_cid;

static int fake_copy(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *pk)
{
    atomic_store(&li_last_cid, tap->conf.cid);
    atomic_fetch_add(&li_copies, 1);
    return tap->conf.ntargets;
}

static li_sender_t *fake_sender(unsigned worker, void *arg)
{
    return (li_sender_t *)&li_fake_sender;
}

/* The worker a gate is on now (the control thread's record; white box, to prove that a test
 * does cross workers). */
static int gate_worker(dp_t *dp, uint32_t gate_id)
{
    for (uint32_t s = 0; s < dp->max_gates; s++)
        if (dp->ctl[s].used && dp->ctl[s].gate_id == gate_id) return dp->ctl[s].worker;
    fail_msg("gate %u not open", gate_id);
    return -1;
}

typedef struct fx {
    dp_t *dp;
    uint32_t c1, c2;
    int x, y, z;
    netaddr_t a, b, c, xa, yn, za; /* yn: where Y really sends from */
    dp_gate_req_t ra, rb, rc;
} fx_t;

/* A and B in context c1 (B latching, its Remote a port where nobody listens), C in c2. */
static fx_t fx_open(dp_t *dp, unsigned off, uint32_t c1, uint32_t c2,
                    void (*tweak)(dp_gate_req_t *b))
{
    fx_t f = {.dp = dp, .c1 = c1, .c2 = c2};
    uint16_t pa = t_port(off), pb = t_port(off + 2), pc = t_port(off + 4);
    uint16_t px = t_port(off + 10), py = t_port(off + 12), pyn = t_port(off + 14),
             pz = t_port(off + 16);
    f.ra = t_req(1, c1, LO, pa, LO, px);
    f.rb = t_req(2, c1, LO, pb, LO, py);
    f.rb.latch = true;
    f.rc = t_req(3, c2, LO, pc, LO, pz);
    if (tweak) tweak(&f.rb);
    assert_int_equal(dp_gate_open(dp, &f.ra), 0);
    assert_int_equal(dp_gate_open(dp, &f.rb), 0);
    assert_int_equal(dp_gate_open(dp, &f.rc), 0);
    f.x = t_ep(LO, px);
    f.y = t_ep(LO, pyn);
    f.z = t_ep(LO, pz);
    f.a = t_addr(LO, pa);
    f.b = t_addr(LO, pb);
    f.c = t_addr(LO, pc);
    f.xa = t_addr(LO, px);
    f.yn = t_addr(LO, pyn);
    f.za = t_addr(LO, pz);
    dp_sync(dp);
    return f;
}

static void fx_close(fx_t *f)
{
    close(f->x);
    close(f->y);
    close(f->z);
    dp_stop(f->dp);
}

/* Send RTP seq first..last from fd to `to`; expect each at rx (-1: expect nothing) from
 * `from`. */
static void relay(int fd, const netaddr_t *to, uint16_t first, uint16_t last, int rx,
                  const netaddr_t *from)
{
    uint8_t buf[256];
    for (uint16_t s = first; s <= last; s++) {
        t_send_rtp(fd, to, s, 160);
        if (rx < 0) continue;
        netaddr_t src;
        assert_int_equal(t_recv(rx, buf, sizeof(buf), &src, NULL, 1000), 172);
        assert_int_equal(buf[3], (uint8_t)s);
        assert_true(netaddr_equal(&src, from));
    }
}

static void move_to(dp_t *dp, dp_gate_req_t *r, uint32_t ctx)
{
    r->ctx_id = ctx;
    assert_int_equal(dp_gate_modify(dp, r, DP_MOD_CONTEXT), 0);
}

/* The common story: A<->B flows, B latches Y's NATed source; B moves to C's context. */
/* c2 == 0: a context that dp places on another worker than c1's. */
static void move_story(unsigned workers, unsigned off, uint32_t c1, uint32_t c2)
{
    dp_t *dp = t_start(workers, 8, 0);
    for (uint32_t k = c1 + 1; !c2; k++)
        if (dp_ctx_worker(dp, k) != dp_ctx_worker(dp, c1)) c2 = k;
    fx_t f = fx_open(dp, off, c1, c2, NULL);
    relay(f.y, &f.b, 1, 3, f.x, &f.a); /* Y -> B -> A -> X; B latches Y's real source */
    relay(f.x, &f.a, 1, 3, f.y, &f.b); /* X -> A -> B -> Y at the latched source */
    dp_gate_stats_t b0 = t_stats(dp, 2);
    assert_int_equal(b0.pkts_in, 3);
    assert_int_equal(b0.pkts_out, 3);
    assert_true(netaddr_equal(&b0.latched_rtp, &f.yn));
    int wb = gate_worker(dp, 2), wc = gate_worker(dp, 3);

    move_to(dp, &f.rb, c2);
    /* C's media reaches Y at the latched source without Y sending again */
    relay(f.z, &f.c, 1, 3, f.y, &f.b);
    /* Y's media (seq 4 and 5 lost on the way) now goes to Z, out of C's port */
    relay(f.y, &f.b, 6, 8, f.z, &f.c);
    assert_int_equal(t_drain(f.x, 100), 0);
    /* A has no peer any more: its media goes nowhere, counted */
    relay(f.x, &f.a, 4, 5, -1, NULL);
    assert_int_equal(t_drain(f.y, 200), 0);

    dp_gate_stats_t a = t_stats(dp, 1), b = t_stats(dp, 2), c = t_stats(dp, 3);
    assert_int_equal(b.pkts_in, 6); /* counted on from before the move */
    assert_int_equal(b.pkts_out, 6);
    assert_int_equal(b.octets_in, 6 * 172);
    assert_int_equal(b.rtp_lost, 2); /* the RTP state went on: 4 and 5 are missing */
    assert_true(netaddr_equal(&b.latched_rtp, &f.yn));
    assert_int_equal(b.drop_filter + b.drop_nopeer, 0);
    assert_int_equal(a.pkts_in, 3);
    assert_int_equal(a.pkts_out, 3);
    assert_int_equal(a.drop_nopeer, 2);
    assert_int_equal(c.pkts_in, 3);
    assert_int_equal(c.pkts_out, 3);
    /* peers share a worker: B went over to C's */
    assert_int_equal(gate_worker(dp, 2), wc);
    if (workers > 1) assert_int_not_equal(wb, wc);

    /* and it closes as any gate: exact final counts, the port parked on its new worker; a
     * gate opening on that port beside A takes the pair over from there */
    dp_gate_stats_t fin;
    assert_int_equal(dp_gate_close(dp, 2, &fin), 0);
    assert_int_equal(fin.pkts_in, 6);
    f.rb.ctx_id = c1;
    assert_int_equal(dp_gate_open(dp, &f.rb), 0);
    assert_int_equal(gate_worker(dp, 2), wb);
    dp_sync(dp); /* until then the port is parked on C's worker, which drops what comes */
    relay(f.y, &f.b, 20, 22, f.x, &f.a);
    assert_int_equal(t_stats(dp, 2).pkts_in, 3);
    fx_close(&f);
}

static void move_pairs_with_the_new_context_keeping_latch_counters_and_rtp_state(
    void **state)
{
    move_story(1, 4600, 1, 2);
}

static void move_to_a_context_on_another_worker_hands_the_gate_over_with_its_state(void **state)
{
    move_story(2, 4620, 1, 0);
}

/* Moved into a context with no gate of its stream: B and its old peer A both drop what they
 * receive (no peer), until gates open beside them; a move into its own context is nothing. */
static void move_to_an_empty_context_leaves_both_unpaired_until_peers_open(void **state)
{
    dp_t *dp = t_start(1, 8, 0);
    fx_t f = fx_open(dp, 4640, 1, 2, NULL);
    relay(f.y, &f.b, 1, 2, f.x, &f.a);
    move_to(dp, &f.rb, 7);
    relay(f.y, &f.b, 3, 4, -1, NULL);
    relay(f.x, &f.a, 1, 2, -1, NULL);
    assert_int_equal(t_drain(f.x, 200) + t_drain(f.y, 10) + t_drain(f.z, 10), 0);
    assert_int_equal(t_stats(dp, 2).drop_nopeer, 2);
    assert_int_equal(t_stats(dp, 1).drop_nopeer, 2);

    /* a gate opening in context 7 pairs with B, one opening in context 1 with A */
    uint16_t pd = t_port(4660), pe = t_port(4662), pw = t_port(4664), pv = t_port(4666);
    dp_gate_req_t rd = t_req(4, 7, LO, pd, LO, pw), re = t_req(5, 1, LO, pe, LO, pv);
    assert_int_equal(dp_gate_open(dp, &rd), 0);
    assert_int_equal(dp_gate_open(dp, &re), 0);
    int w = t_ep(LO, pw), v = t_ep(LO, pv);
    netaddr_t d = t_addr(LO, pd), e = t_addr(LO, pe);
    dp_sync(dp);
    relay(f.y, &f.b, 5, 6, w, &d);
    relay(w, &d, 1, 2, f.y, &f.b); /* to the source B latched before its move */
    relay(f.x, &f.a, 3, 4, v, &e);
    /* into its own context again: nothing changes */
    move_to(dp, &f.rb, 7);
    relay(f.y, &f.b, 7, 7, w, &d);
    assert_int_equal(t_drain(f.z, 100), 0); /* C never got a peer */
    assert_int_equal(t_stats(dp, 3).pkts_out, 0);
    dp_gate_req_t none = t_req(99, 1, LO, pd, LO, pw);
    assert_int_equal(dp_gate_modify(dp, &none, DP_MOD_CONTEXT), -ENOENT);
    close(w);
    close(v);
    fx_close(&f);
}

static void police_and_tap_b(dp_gate_req_t *b)
{
    b->policer = (dp_policer_t){.on = true, .sdr = 10, .mbs = 400}; /* two of 172 bytes */
    b->tap = (li_tap_conf_t){.active = true, .cid = 4711, .ntargets = 1, .targets = {2}};
}

/* The policer's bucket and the tap go with the gate: a bucket refilled by the move would let
 * two more packets through; the tap copies B's media towards its new peer. */
static void move_keeps_the_policer_bucket_and_the_tap(void **state)
{
    dp_config_t cfg = {.workers = 1, .max_gates = 8, .li_sender_for_worker = fake_sender,
                       .li_copy = fake_copy};
    char err[128] = "";
    dp_t *dp = dp_start(&cfg, err, sizeof(err));
    if (!dp) fail_msg("dp_start: %s", err);
    fx_t f = fx_open(dp, 4680, 1, 2, police_and_tap_b);
    relay(f.y, &f.b, 1, 2, f.x, &f.a);
    relay(f.y, &f.b, 3, 3, -1, NULL); /* the bucket is empty */
    assert_int_equal(t_drain(f.x, 200), 0);
    assert_int_equal(t_stats(dp, 2).drop_policer, 1);
    int copies = atomic_load(&li_copies);
    assert_int_equal(copies, 2);

    move_to(dp, &f.rb, 2);
    relay(f.y, &f.b, 4, 5, -1, NULL); /* still empty: 10 bytes/s since */
    assert_int_equal(t_drain(f.z, 200), 0);
    dp_gate_stats_t b = t_stats(dp, 2);
    assert_int_equal(b.drop_policer, 3);
    assert_int_equal(b.pkts_in, 2);
    relay(f.z, &f.c, 1, 2, f.y, &f.b); /* towards the target: copied */
    for (int i = 0; i < 50 && atomic_load(&li_copies) < copies + 2; i++) t_sleep_ms(10);
    assert_int_equal(atomic_load(&li_copies), copies + 2);
    assert_int_equal(atomic_load(&li_last_cid), 4711);
    fx_close(&f);
}

static void no_latch(dp_gate_req_t *b)
{
    b->latch = false;
}

/* ---- rtp/delay: an SR relayed towards B's remote before the move, answered after it ---- */

static void put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* The round trip to B's remote is measured from the SR A's side sent it before the move and
 * the RR B's remote sends after it (which C's side now gets): B's round-trip state stayed. */
static void move_keeps_the_round_trip_state_of_the_reports_relayed_before_it(void **state)
{
    dp_t *dp = t_start(1, 8, 0);
    fx_t f = fx_open(dp, 4740, 1, 2, no_latch);
    uint16_t px = netaddr_port(&f.ra.remote_rtp), py = netaddr_port(&f.rb.remote_rtp),
             pz = netaddr_port(&f.rc.remote_rtp);
    int xc = t_ep(LO, (uint16_t)(px + 1)), yc = t_ep(LO, (uint16_t)(py + 1)),
        zc = t_ep(LO, (uint16_t)(pz + 1));
    netaddr_t ac = t_addr(LO, (uint16_t)(netaddr_port(&f.a) + 1)),
              bc = t_addr(LO, (uint16_t)(netaddr_port(&f.b) + 1));
    uint8_t b[64];
    memset(b, 0, sizeof(b)); /* SR of 0xA0A0A0A0, NTP E1234567.89ABCDEF, no blocks */
    b[0] = 0x80, b[1] = 200, b[3] = 6;
    put32(b + 4, 0xA0A0A0A0u);
    put32(b + 8, 0xE1234567u);
    put32(b + 12, 0x89ABCDEFu);
    t_send(xc, &ac, b, 28);
    assert_int_equal(t_recv(yc, b, sizeof(b), NULL, NULL, 1000), 28); /* out of B */
    move_to(dp, &f.rb, 2);
    t_sleep_ms(40);
    memset(b, 0, sizeof(b)); /* RR of 0xB0B0B0B0 about 0xA0A0A0A0: LSR, DLSR 0 */
    b[0] = 0x81, b[1] = 201, b[3] = 7;
    put32(b + 4, 0xB0B0B0B0u);
    put32(b + 8, 0xA0A0A0A0u);
    put32(b + 24, 0x456789ABu);
    t_send(yc, &bc, b, 32);
    assert_int_equal(t_recv(zc, b, sizeof(b), NULL, NULL, 1000), 32); /* on to C's side */
    assert_int_equal(t_drain(xc, 100), 0);
    dp_gate_stats_t st = t_stats(dp, 2);
    print_message("rtt on B's side across the move: %u us\n", st.rtt_us);
    assert_true(st.rtt_us >= 35000 && st.rtt_us < 2000000);
    assert_int_equal(st.rtcp_in, 1);
    assert_int_equal(st.rtcp_out, 1);
    close(xc);
    close(yc);
    close(zc);
    fx_close(&f);
}

/* ---- with the kernel fast path ---- */

static dp_t *fp_start(unsigned workers)
{
    if (geteuid() != 0) {
        print_message("[  SKIP    ] the kernel fast path needs root (BPF)\n");
        return NULL;
    }
    dp_config_t c = {.workers = workers, .max_gates = 8, .fast_path = DP_FAST_PATH_TC,
                     .fast_path_eager = true};
    char err[160] = "";
    dp_t *dp = dp_start(&c, err, sizeof(err));
    if (!dp) print_message("[  SKIP    ] %s\n", err);
    return dp;
}

/* A<->B offloaded; after B's move nothing of A reaches Y (the kernel's A->B entry is gone,
 * with or without the worker having run), B<->C is offloaded in its turn, and B's counters,
 * kernel share included, go on. B moves back and forth: across workers when there are two. */
static void fp_story(unsigned workers, unsigned off)
{
    dp_t *dp = fp_start(workers);
    if (!dp) {
        skip();
        return;
    }
    uint32_t c2 = 2;
    while (workers > 1 && dp_ctx_worker(dp, c2) == dp_ctx_worker(dp, 1)) c2++;
    fx_t f = fx_open(dp, off, 1, c2, no_latch);
    if (workers > 1) assert_int_not_equal(gate_worker(dp, 1), gate_worker(dp, 3));
    netaddr_t ysdp = f.rb.remote_rtp; /* without latching B sends to its Remote */
    int y = t_ep(LO, netaddr_port(&ysdp));
    relay(f.x, &f.a, 1, 5, y, &f.b);
    assert_int_equal(t_stats(dp, 1).fast_pkts_in, 5);
    for (int round = 0; round < 5; round++) { /* right after the move: never relayed to Y */
        move_to(dp, &f.rb, c2);
        relay(f.x, &f.a, (uint16_t)(10 + round), (uint16_t)(10 + round), -1, NULL);
        assert_int_equal(t_drain(y, 50), 0);
        move_to(dp, &f.rb, 1); /* back: A<->B offloaded again (eager) */
        relay(f.x, &f.a, (uint16_t)(30 + round), (uint16_t)(30 + round), y, &f.b);
    }
    move_to(dp, &f.rb, c2);
    dp_sync(dp);
    dp_gate_stats_t b0 = t_stats(dp, 2);
    relay(f.z, &f.c, 1, 5, y, &f.b);
    relay(y, &f.b, 1, 5, f.z, &f.c);
    relay(f.x, &f.a, 50, 51, -1, NULL);
    assert_int_equal(t_drain(y, 100), 0);
    dp_gate_stats_t a = t_stats(dp, 1), b = t_stats(dp, 2), c = t_stats(dp, 3);
    assert_int_equal(c.fast_pkts_in, 5); /* the new pairing is in the kernel */
    assert_int_equal(b.fast_pkts_in, 5);
    assert_int_equal(b.pkts_out, b0.pkts_out + 5);
    assert_int_equal(b.pkts_in, 5);
    assert_true(b0.pkts_out >= 10); /* the kernel's share before the move is still there */
    assert_int_equal(a.drop_nopeer, 5 + 2);
    close(y);
    fx_close(&f);
}

static void move_withdraws_the_offload_of_the_old_pairing_and_offloads_the_new(void **state)
{
    fp_story(1, 4700);
}

static void move_across_workers_withdraws_and_offloads_as_well(void **state)
{
    fp_story(2, 4720);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(move_pairs_with_the_new_context_keeping_latch_counters_and_rtp_state),
        cmocka_unit_test(move_to_a_context_on_another_worker_hands_the_gate_over_with_its_state),
        cmocka_unit_test(move_to_an_empty_context_leaves_both_unpaired_until_peers_open),
        cmocka_unit_test(move_keeps_the_policer_bucket_and_the_tap),
        cmocka_unit_test(move_keeps_the_round_trip_state_of_the_reports_relayed_before_it),
        cmocka_unit_test(move_withdraws_the_offload_of_the_old_pairing_and_offloads_the_new),
        cmocka_unit_test(move_across_workers_withdraws_and_offloads_as_well),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
