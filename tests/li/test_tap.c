/* Unit tests for the tap and its sender (src/li/tap.c) with a real UDP socket acting as the
 * delivery function on loopback: one copy per target, sequence numbers per target, the mirror
 * point per direction, DSCP on the copies (IP_RECVTOS), IPv6 packets inside IPv4, JMirror.
 * Port: LI_TEST_PORT (default 50100) and the next one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "li/sender.h"
#include "li/x3.h"
#include "li_test.h"

static int base_port(void)
{
    const char *e = getenv("LI_TEST_PORT");
    return e ? atoi(e) : 50100;
}

typedef struct env {
    int rx;               /* the delivery function's socket */
    li_conf_t conf;
    li_sender_t *s;
    netaddr_t in_src, in_dst, out_src, out_dst;
} env_t;

static int open_rx(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    return fd;
}

static env_t *make_env_gso(li_format_t fmt, li_point_t point, int port, bool gso)
{
    env_t *e = calloc(1, sizeof *e);
    e->rx = open_rx(port);
    assert_true(e->rx >= 0);
    e->conf.enabled = true;
    netaddr_parse(&e->conf.df_dst, "127.0.0.1", port);
    netaddr_parse(&e->conf.df_src, "127.0.0.1", 0);
    strcpy(e->conf.operator_id, "OP1");
    e->conf.format = fmt, e->conf.point = point, e->conf.gso = gso;
    char err[256];
    e->s = li_sender_new(&e->conf, err, sizeof err);
    if (!e->s) fail_msg("sender: %s", err);
    return e;
}

static env_t *make_env(li_format_t fmt, li_point_t point, int port)
{
    return make_env_gso(fmt, point, port, false);
}

static void free_env(env_t *e)
{
    li_sender_free(e->s);
    close(e->rx);
    free(e);
}

static int setup_etsi(void **state)
{
    *state = make_env(LI_FMT_ETSI, LI_POINT_NATURAL, base_port());
    return 0;
}

static int teardown(void **state)
{
    free_env(*state);
    return 0;
}

/* One datagram within 1 s: its length, *tos set from IP_TOS. 0 on timeout. */
static int recv_copy(int fd, uint8_t *buf, size_t cap, int *tos)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1000) != 1) return 0;
    char cbuf[64];
    struct iovec iov = {buf, cap};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof cbuf};
    int n = (int)recvmsg(fd, &m, 0);
    *tos = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) *tos = *(uint8_t *)CMSG_DATA(c);
    return n;
}

static int no_more(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 100) == 0;
}

static li_packet_t packet(env_t *e, const char *in_s, const char *in_d, const char *out_s,
                          const char *out_d, const uint8_t *pl, uint32_t n, uint8_t dscp)
{
    assert_int_equal(netaddr_parse(&e->in_src, in_s, -1), 0);
    assert_int_equal(netaddr_parse(&e->in_dst, in_d, -1), 0);
    assert_int_equal(netaddr_parse(&e->out_src, out_s, -1), 0);
    assert_int_equal(netaddr_parse(&e->out_dst, out_d, -1), 0);
    li_packet_t p = {.payload = pl, .len = n, .in_src = &e->in_src, .in_dst = &e->in_dst,
                     .out_src = &e->out_src, .out_dst = &e->out_dst, .dscp = dscp};
    clock_gettime(CLOCK_REALTIME, &p.ts);
    return p;
}

static li_tap_conf_t tapconf(uint64_t cid, int n, const uint32_t *t)
{
    li_tap_conf_t c = {.active = true, .cid = cid, .ntargets = (uint8_t)n};
    memcpy(c.targets, t, sizeof(uint32_t) * (size_t)n);
    return c;
}

/* A tap switched on for cid with the n target ids t, as a gate's would be. */
static li_tap_t tap_on(uint64_t cid, int n, const uint32_t *t)
{
    li_tap_t tap = {0};
    li_tap_conf_t c = tapconf(cid, n, t);
    li_tap_update(&tap, &c);
    return tap;
}

/* Receive one ETSI copy and check it decodes; returns the decoded PDU (views into buf). */
static x3_pdu_t get_pdu(env_t *e, uint8_t *buf, size_t cap, int *tos, x3_inner_t *in)
{
    int n = recv_copy(e->rx, buf, cap, tos);
    assert_true(n > 0);
    x3_pdu_t p;
    char err[128];
    if (x3_etsi_decode(buf, (size_t)n, &p, err, sizeof err) != n) fail_msg("decode: %s", err);
    if (x3_inner_check(p.payload, p.payload_len, in, err, sizeof err) != 0) fail_msg("inner: %s", err);
    return p;
}

static void one_copy_per_target_with_sequence_per_target(void **state)
{
    env_t *e = *state;
    const uint32_t t[3] = {0xffffff00, 0xffffff01, 0x12345678};
    li_tap_t tap = tap_on(305419896, 3, t);
    const uint8_t rtp[] = "\x80\x00\x00\x01rtp-payload";
    for (int round = 0; round < 4; round++) {
        li_packet_t p = packet(e, "192.0.2.10:2222", "10.0.0.1:20000", "10.0.0.2:20002",
                               "198.51.100.7:4444", rtp, sizeof rtp, 46);
        assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 3);
        for (int i = 0; i < 3; i++) {
            uint8_t buf[2048];
            int tos;
            x3_inner_t in;
            x3_pdu_t pdu = get_pdu(e, buf, sizeof buf, &tos, &in);
            assert_true(x3_xid_target(pdu.xid) == t[i]);
            char mti[9];
            snprintf(mti, sizeof mti, "%08x", t[i]);
            assert_memory_equal(pdu.mti, mti, 8);
            assert_int_equal(pdu.seq, round);
            assert_true(pdu.cid == 305419896);
            assert_int_equal(pdu.direction, X3_DIR_FROM_TARGET);
            assert_int_equal(pdu.format, X3_FMT_IPV4);
            assert_memory_equal(pdu.domain, "OP1", 3);
            assert_int_equal(tos, 46 << 2);   /* the copy carries the gate's DSCP */
            assert_int_equal(in.dscp, 46);     /* and so does the mirrored packet */
            assert_true(netaddr_equal(&in.src, &e->in_src)); /* from target: before NAT */
            assert_true(netaddr_equal(&in.dst, &e->in_dst));
            assert_int_equal(in.udp_payload_len, sizeof rtp);
            assert_memory_equal(in.udp_payload, rtp, sizeof rtp);
            assert_true(pdu.ts_sec == (uint32_t)p.ts.tv_sec && pdu.ts_nsec == (uint32_t)p.ts.tv_nsec);
        }
    }
    assert_true(no_more(e->rx));
    li_sender_stats_t st;
    li_sender_stats(e->s, &st);
    assert_int_equal(st.copies, 12);
}

static void to_target_copies_show_the_packet_after_nat(void **state)
{
    env_t *e = *state;
    const uint32_t t[1] = {7};
    li_tap_t tap = tap_on(99, 1, t);
    const uint8_t pl[] = "to the target";
    li_packet_t p = packet(e, "198.51.100.7:4444", "10.0.0.2:20002", "10.0.0.1:20000",
                           "192.0.2.10:2222", pl, sizeof pl, 0);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_TO_TARGET, &p), 1);
    uint8_t buf[2048];
    int tos;
    x3_inner_t in;
    x3_pdu_t pdu = get_pdu(e, buf, sizeof buf, &tos, &in);
    assert_int_equal(pdu.direction, X3_DIR_TO_TARGET);
    assert_true(netaddr_equal(&in.src, &e->out_src) && netaddr_equal(&in.dst, &e->out_dst));
    assert_int_equal(tos, 0);
}

static void mirror_point_option_picks_before_or_after_nat_for_both_directions(void **state)
{
    const li_point_t pts[2] = {LI_POINT_BEFORE_NAT, LI_POINT_AFTER_NAT};
    for (int k = 0; k < 2; k++) {
        env_t *e = make_env(LI_FMT_ETSI, pts[k], base_port() + 1);
        const uint32_t t[1] = {1};
        li_tap_t tap = tap_on(5, 1, t);
        const li_dir_t dirs[2] = {LI_DIR_FROM_TARGET, LI_DIR_TO_TARGET};
        for (int d = 0; d < 2; d++) {
            li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4",
                                   (const uint8_t *)"x", 1, 8);
            assert_int_equal(copy_sent(e->s, &tap, dirs[d], &p), 1);
            uint8_t buf[2048];
            int tos;
            x3_inner_t in;
            x3_pdu_t pdu = get_pdu(e, buf, sizeof buf, &tos, &in);
            assert_int_equal(pdu.seq, d);
            const netaddr_t *want = k == 0 ? &e->in_src : &e->out_src;
            assert_true(netaddr_equal(&in.src, want));
        }
        free_env(e);
    }
}

static void ipv6_packets_travel_inside_ipv4_as_payload_format_6(void **state)
{
    env_t *e = *state;
    const uint32_t t[2] = {0xa, 0xb};
    li_tap_t tap = tap_on(42, 2, t);
    const uint8_t pl[] = "six";
    li_packet_t p = packet(e, "[2001:db8::10]:2222", "[2001:db8::1]:20000", "[2001:db8::2]:20002",
                           "[2001:db8::20]:4444", pl, sizeof pl, 34);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 2);
    for (int i = 0; i < 2; i++) {
        uint8_t buf[2048];
        int tos;
        x3_inner_t in;
        x3_pdu_t pdu = get_pdu(e, buf, sizeof buf, &tos, &in); /* received on an IPv4 socket */
        assert_int_equal(pdu.format, X3_FMT_IPV6);
        assert_int_equal(in.family, AF_INET6);
        assert_int_equal(in.dscp, 34);
        assert_int_equal(tos, 34 << 2);
        assert_true(netaddr_equal(&in.src, &e->in_src) && netaddr_equal(&in.dst, &e->in_dst));
    }
}

static void update_keeps_sequence_for_same_correlation_and_restarts_for_new(void **state)
{
    const uint32_t t[3] = {1, 2, 1}; /* a repeated target id gets one copy */
    li_tap_t tap = tap_on(10, 3, t);
    assert_int_equal(tap.conf.ntargets, 2);
    tap.seq[0] = 100, tap.seq[1] = 200;
    const uint32_t t2[2] = {2, 3}; /* target 1 dropped, 3 added: 2 keeps its sequence */
    li_tap_conf_t c = tapconf(10, 2, t2);
    li_tap_update(&tap, &c);
    assert_int_equal(tap.conf.ntargets, 2);
    assert_int_equal(tap.seq[0], 200);
    assert_int_equal(tap.seq[1], 0);
    c = tapconf(11, 2, t2); /* another correlation number: a new stream */
    li_tap_update(&tap, &c);
    assert_int_equal(tap.seq[0], 0);
    li_tap_conf_t off = {0};
    li_tap_update(&tap, &off);
    assert_false(tap.conf.active);
}

static void inactive_tap_sends_nothing_and_seven_targets_send_seven(void **state)
{
    env_t *e = *state;
    li_tap_t tap = {0};
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4",
                           (const uint8_t *)"x", 1, 0);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 0);
    assert_int_equal(copy_sent(NULL, &tap, LI_DIR_FROM_TARGET, &p), 0);
    assert_true(no_more(e->rx));
    const uint32_t t[7] = {1, 2, 3, 4, 5, 6, 7};
    li_tap_conf_t c = tapconf(3, 7, t);
    li_tap_update(&tap, &c);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 7);
    for (int i = 0; i < 7; i++) {
        uint8_t buf[2048];
        int tos;
        assert_true(recv_copy(e->rx, buf, sizeof buf, &tos) > 0);
    }
    assert_true(no_more(e->rx));
}

static void large_packets_to_seven_targets_arrive_whole(void **state)
{
    env_t *e = *state; /* 7 x 10 kB does not fit one segmented send: one datagram each */
    static uint8_t big[10000], buf[16384];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
    const uint32_t t[7] = {1, 2, 3, 4, 5, 6, 7};
    li_tap_t tap = tap_on(3, 7, t);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4", big, sizeof big, 26);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 7);
    for (int i = 0; i < 7; i++) {
        int tos;
        x3_inner_t in;
        x3_pdu_t pdu = get_pdu(e, buf, sizeof buf, &tos, &in);
        assert_true(x3_xid_target(pdu.xid) == t[i]);
        assert_int_equal(tos, 26 << 2);
        assert_int_equal(in.udp_payload_len, sizeof big);
        assert_memory_equal(in.udp_payload, big, sizeof big);
    }
    assert_true(no_more(e->rx));
}

static void segmented_send_gives_one_datagram_per_target_with_dscp(void **state)
{
    const li_format_t fmts[2] = {LI_FMT_ETSI, LI_FMT_JMIRROR};
    for (int f = 0; f < 2; f++) {
        env_t *e = make_env_gso(fmts[f], LI_POINT_NATURAL, base_port() + 1, true);
        const uint32_t t[7] = {1, 2, 3, 4, 5, 6, 7};
        li_tap_t tap = tap_on(3, 7, t);
        const uint8_t pl[] = "segmented";
        for (int round = 0; round < 3; round++) {
            li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4", pl, sizeof pl, 46);
            assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 7);
            for (int i = 0; i < 7; i++) {
                uint8_t buf[2048];
                int tos, n = recv_copy(e->rx, buf, sizeof buf, &tos);
                char err[128];
                x3_inner_t in;
                assert_true(n > 0);
                assert_int_equal(tos, 46 << 2);
                if (fmts[f] == LI_FMT_ETSI) {
                    x3_pdu_t pdu;
                    assert_int_equal(x3_etsi_decode(buf, (size_t)n, &pdu, err, sizeof err), n);
                    assert_true(x3_xid_target(pdu.xid) == t[i]);
                    assert_int_equal(pdu.seq, round);
                    assert_int_equal(x3_inner_check(pdu.payload, pdu.payload_len, &in, err, sizeof err), 0);
                } else {
                    x3_jmirror_t j;
                    assert_int_equal(x3_jmirror_decode(buf, (size_t)n, &j, err, sizeof err), n);
                    assert_int_equal(j.intercept_id, t[i]);
                    assert_int_equal(x3_inner_check(j.packet, j.packet_len, &in, err, sizeof err), 0);
                }
                assert_memory_equal(in.udp_payload, pl, sizeof pl);
            }
        }
        assert_true(no_more(e->rx));
        li_sender_stats_t st;
        li_sender_stats(e->s, &st);
        assert_int_equal(st.gso_sends, 3); /* the kernel did take the segmented sends */
        free_env(e);
    }
}

static void jmirror_copies_carry_intercept_and_session_ids(void **state)
{
    env_t *e = make_env(LI_FMT_JMIRROR, LI_POINT_NATURAL, base_port() + 1);
    const uint32_t t[1] = {0xffffff00};
    li_tap_t tap = tap_on(0x100000002ull, 1, t);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4",
                           (const uint8_t *)"jm", 2, 0);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 1);
    uint8_t buf[2048];
    int tos, n = recv_copy(e->rx, buf, sizeof buf, &tos);
    x3_jmirror_t j;
    char err[128];
    assert_int_equal(x3_jmirror_decode(buf, (size_t)n, &j, err, sizeof err), n);
    assert_int_equal(j.intercept_id, 0x3fffff00);
    assert_int_equal(j.session_id, 2);
    x3_inner_t in;
    assert_int_equal(x3_inner_check(j.packet, j.packet_len, &in, err, sizeof err), 0);
    assert_int_equal(in.udp_payload_len, 2);
    free_env(e);
}

static void count_target(uint32_t target, uint64_t copies, uint64_t bytes, void *arg)
{
    uint64_t *sum = arg;
    sum[target & 7] += copies;
}

static void copies_are_counted_per_target(void **state)
{
    env_t *e = *state;
    const uint32_t t[2] = {1, 2};
    li_tap_t tap = tap_on(3, 2, t);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4",
                           (const uint8_t *)"x", 1, 0);
    for (int i = 0; i < 5; i++) assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 2);
    uint64_t sum[8] = {0};
    li_sender_each_target(e->s, count_target, sum);
    assert_int_equal(sum[1], 5);
    assert_int_equal(sum[2], 5);
    uint8_t buf[2048];
    int tos;
    while (recv_copy(e->rx, buf, sizeof buf, &tos) > 0 && !no_more(e->rx)) {}
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__has_feature)
#define COUNT_MALLOC 1
#elif defined(__has_feature)
#if !__has_feature(address_sanitizer)
#define COUNT_MALLOC 1
#endif
#endif

#ifdef COUNT_MALLOC
/* Every allocation of the process passes here while `counting` is set (glibc's own entry
 * points do the work), so a test can prove the per-packet path allocates nothing. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static int counting, allocations;
void *malloc(size_t n)
{
    allocations += counting;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    allocations += counting;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    allocations += counting;
    return __libc_realloc(p, n);
}
#endif

static void copying_a_packet_allocates_nothing(void **state)
{
#ifndef COUNT_MALLOC
    skip(); /* the sanitizer owns malloc */
#else
    env_t *e = *state;
    const uint32_t t[7] = {1, 2, 3, 4, 5, 6, 7};
    li_tap_t tap = tap_on(3, 7, t);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "[::1]:3", "[::2]:4", (const uint8_t *)"x", 1, 46);
    counting = 1;
    void *volatile probe = malloc(16); /* the counter does see allocations */
    free(probe);
    assert_int_equal(allocations, 1);
    allocations = 0;
    for (int i = 0; i < 100; i++) {
        copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p);
        copy_sent(e->s, &tap, LI_DIR_TO_TARGET, &p);
    }
    counting = 0;
    assert_int_equal(allocations, 0);
    assert_int_equal(tap.seq[6], 200);
#endif
}

/* The worker only queues; the copies of every packet queued before the sender is freed (bgfd
 * stopping) still reach the delivery function, in order. */
static void copies_still_queued_at_stop_are_all_sent(void **state)
{
    env_t *e = make_env(LI_FMT_ETSI, LI_POINT_NATURAL, base_port() + 20);
    const uint32_t t[7] = {1, 2, 3, 4, 5, 6, 7};
    li_tap_t tap = tap_on(42, 7, t);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4",
                           (const uint8_t *)"queued", 6, 0);
    for (int i = 0; i < 20; i++) assert_int_equal(li_tap_copy(e->s, &tap, LI_DIR_FROM_TARGET, &p), 7);
    li_sender_free(e->s); /* no kick, no sync: the stop sends them */
    e->s = NULL;
    for (int i = 0; i < 20; i++) /* 140 datagrams: within a default receive buffer */
        for (int k = 0; k < 7; k++) {
            uint8_t buf[2048];
            int tos;
            x3_inner_t in;
            x3_pdu_t pdu = get_pdu(e, buf, sizeof buf, &tos, &in);
            assert_int_equal(pdu.seq, i);
            assert_true(x3_xid_target(pdu.xid) == t[k]);
        }
    assert_true(no_more(e->rx));
    free_env(e);
}

/* A queue with no room loses the copies of that packet, counts them (LI only), and the
 * sequence numbers go on, so the delivery function sees exactly the copies lost as a gap. */
static void full_queue_drops_copies_counts_them_and_leaves_a_sequence_gap(void **state)
{
    env_t *e = calloc(1, sizeof *e);
    e->rx = open_rx(base_port() + 21);
    assert_true(e->rx >= 0);
    int big = 32 << 20;
    if (setsockopt(e->rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0) {
        close(e->rx);
        free(e);
        skip(); /* a lossless receiver needs root's SO_RCVBUFFORCE */
    }
    e->conf.enabled = true;
    netaddr_parse(&e->conf.df_dst, "127.0.0.1", base_port() + 21);
    netaddr_parse(&e->conf.df_src, "127.0.0.1", 0);
    strcpy(e->conf.operator_id, "OP1");
    e->conf.queue_kb = 1024; /* the smallest queue: 1 MiB */
    char err[256];
    e->s = li_sender_new(&e->conf, err, sizeof err);
    if (!e->s) fail_msg("sender: %s", err);
    const uint32_t t[1] = {9};
    li_tap_t tap = tap_on(77, 1, t);
    uint8_t pl[1000];
    memset(pl, 0x5a, sizeof pl);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4", pl, sizeof pl, 0);
    /* 3 MB of copies while the send thread sleeps (asleep since its start, and nobody wakes
     * it: a worker would at the end of its round), so the 1 MiB queue surely fills */
    for (int i = 0; i < 2000 && !atomic_load(&e->s->sleeping); i++)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    assert_true(atomic_load(&e->s->sleeping));
    nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL); /* blocked on its eventfd */
    enum { N = 3000 };
    int queued = 0, dropped = 0;
    for (int i = 0; i < N; i++) {
        int r = li_tap_copy(e->s, &tap, LI_DIR_FROM_TARGET, &p);
        if (r == 1) queued++;
        else if (r == -ENOBUFS) dropped++;
        else fail_msg("li_tap_copy: %d", r);
    }
    assert_int_equal(li_sender_sync(e->s, 5000), 0);
    assert_true(dropped > 0 && queued > 0);
    li_sender_stats_t st;
    li_sender_stats(e->s, &st);
    assert_int_equal(st.queue_full, dropped);
    assert_int_equal(st.copies, queued);
    assert_int_equal(st.send_errors, 0);
    /* one more after the queue has room again: seq N, after the gap */
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 1);
    int got = 0, missing = 0;
    int64_t last = -1;
    for (;;) {
        uint8_t buf[2048];
        int tos;
        int n = recv_copy(e->rx, buf, sizeof buf, &tos);
        if (n <= 0) break;
        x3_pdu_t pdu;
        if (x3_etsi_decode(buf, (size_t)n, &pdu, err, sizeof err) != n) fail_msg("decode: %s", err);
        assert_true((int64_t)pdu.seq > last);
        missing += (int)((int64_t)pdu.seq - last - 1);
        last = pdu.seq;
        got++;
        if (pdu.seq == N) break;
    }
    assert_int_equal(last, N);
    assert_int_equal(got, queued + 1);
    assert_int_equal(missing, dropped);
    free_env(e);
}

/* Under real-time workers the send thread must not keep a woken worker off its CPU: it runs
 * at the time-sharing policy whatever its creator's. */
static void send_thread_runs_time_shared_under_real_time_workers(void **state)
{
    int pol;
    struct sched_param old, rt = {.sched_priority = 10};
    pthread_getschedparam(pthread_self(), &pol, &old);
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt) != 0) skip(); /* needs root */
    env_t *e = make_env(LI_FMT_ETSI, LI_POINT_NATURAL, base_port() + 22);
    pthread_setschedparam(pthread_self(), pol, &old);
    const uint32_t t[1] = {5};
    li_tap_t tap = tap_on(5, 1, t);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4",
                           (const uint8_t *)"x", 1, 0);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 1); /* it has run */
    int tpol;
    struct sched_param tp;
    assert_int_equal(pthread_getschedparam(e->s->thread, &tpol, &tp), 0);
    assert_int_equal(tpol, SCHED_OTHER);
    free_env(e);
}

/* [li] send_cpus: the send thread runs on those CPUs (off the workers' ones); a CPU the
 * machine does not have is refused at start, named. */
static void send_thread_runs_on_the_configured_cpus(void **state)
{
    li_conf_t conf = {.enabled = true, .format = LI_FMT_ETSI};
    netaddr_parse(&conf.df_dst, "127.0.0.1", base_port() + 23);
    netaddr_parse(&conf.df_src, "127.0.0.1", 0);
    strcpy(conf.operator_id, "OP1");
    CPU_SET(0, &conf.send_cpus);
    char err[256] = "";
    li_sender_t *s = li_sender_new(&conf, err, sizeof err);
    if (!s) fail_msg("sender: %s", err);
    cpu_set_t got;
    assert_int_equal(pthread_getaffinity_np(s->thread, sizeof got, &got), 0);
    assert_true(CPU_EQUAL(&got, &conf.send_cpus));
    li_sender_free(s);
    CPU_ZERO(&conf.send_cpus);
    CPU_SET(CPU_SETSIZE - 1, &conf.send_cpus); /* no machine here has 1024 CPUs */
    assert_null(li_sender_new(&conf, err, sizeof err));
    assert_non_null(strstr(err, "send_cpus"));
}

/* While copies flow the send thread looks at its queue by itself: a worker that queued a
 * copy without waking it (li_sender_kick not called) still sees it leave within moments. */
static void while_copies_flow_they_leave_without_a_wake_up(void **state)
{
    env_t *e = *state;
    const uint32_t t[1] = {11};
    li_tap_t tap = tap_on(11, 1, t);
    li_packet_t p = packet(e, "1.1.1.1:1", "2.2.2.2:2", "3.3.3.3:3", "4.4.4.4:4",
                           (const uint8_t *)"flow", 4, 0);
    assert_int_equal(copy_sent(e->s, &tap, LI_DIR_FROM_TARGET, &p), 1); /* woken once */
    uint8_t buf[2048];
    int tos;
    x3_inner_t in;
    assert_int_equal(get_pdu(e, buf, sizeof buf, &tos, &in).seq, 0);
    for (uint32_t i = 1; i <= 5; i++) {
        assert_int_equal(li_tap_copy(e->s, &tap, LI_DIR_FROM_TARGET, &p), 1); /* no kick */
        assert_int_equal(get_pdu(e, buf, sizeof buf, &tos, &in).seq, i);     /* within 1 s */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_copy_per_target_with_sequence_per_target, setup_etsi, teardown),
        cmocka_unit_test_setup_teardown(to_target_copies_show_the_packet_after_nat, setup_etsi, teardown),
        cmocka_unit_test(mirror_point_option_picks_before_or_after_nat_for_both_directions),
        cmocka_unit_test_setup_teardown(ipv6_packets_travel_inside_ipv4_as_payload_format_6, setup_etsi, teardown),
        cmocka_unit_test(update_keeps_sequence_for_same_correlation_and_restarts_for_new),
        cmocka_unit_test_setup_teardown(inactive_tap_sends_nothing_and_seven_targets_send_seven, setup_etsi, teardown),
        cmocka_unit_test_setup_teardown(large_packets_to_seven_targets_arrive_whole, setup_etsi, teardown),
        cmocka_unit_test(segmented_send_gives_one_datagram_per_target_with_dscp),
        cmocka_unit_test(jmirror_copies_carry_intercept_and_session_ids),
        cmocka_unit_test_setup_teardown(copies_are_counted_per_target, setup_etsi, teardown),
        cmocka_unit_test_setup_teardown(copying_a_packet_allocates_nothing, setup_etsi, teardown),
        cmocka_unit_test(copies_still_queued_at_stop_are_all_sent),
        cmocka_unit_test(full_queue_drops_copies_counts_them_and_leaves_a_sequence_gap),
        cmocka_unit_test(send_thread_runs_time_shared_under_real_time_workers),
        cmocka_unit_test(send_thread_runs_on_the_configured_cpus),
        cmocka_unit_test_setup_teardown(while_copies_flow_they_leave_without_a_wake_up, setup_etsi, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
