/* dp_test.h - helpers for the data-plane tests: loopback endpoints that send crafted RTP/RTCP
 * and receive what the relay forwards, gate requests, settled statistics. Ports come from
 * DP_TEST_PORT (default 45000) plus a per-program offset, all within 45000-49999. */
#ifndef BGF_TESTS_DP_TEST_H
#define BGF_TESTS_DP_TEST_H
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp/dp.h"

static inline uint16_t t_port(unsigned off)
{
    const char *s = getenv("DP_TEST_PORT");
    return (uint16_t)((s ? atoi(s) : 45000) + off);
}

static inline netaddr_t t_addr(const char *ip, uint16_t port)
{
    netaddr_t a;
    assert_int_equal(netaddr_parse_ip(&a, ip, port), 0);
    return a;
}

static inline uint64_t t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void t_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A UDP endpoint bound to ip:port (IP_RECVTOS / IPV6_RECVTCLASS on). */
static inline int t_ep(const char *ip, uint16_t port)
{
    netaddr_t a = t_addr(ip, port);
    int fam = netaddr_family(&a), one = 1;
    int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (fam == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
    } else {
        setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
    }
    int big = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    assert_int_equal(bind(fd, &a.u.sa, netaddr_len(&a)), 0);
    return fd;
}

/* Craft an RTP packet (version 2, PT 0) of 12 + payload bytes into buf. */
static inline size_t t_rtp(uint8_t *buf, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t payload)
{
    buf[0] = 0x80;
    buf[1] = 0;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
    for (int i = 0; i < 4; i++) buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    for (size_t i = 0; i < payload; i++) buf[12 + i] = (uint8_t)(seq + i);
    return 12 + payload;
}

/* An RTCP receiver report without blocks (8 bytes). */
static inline size_t t_rtcp(uint8_t *buf, uint32_t ssrc)
{
    buf[0] = 0x80;
    buf[1] = 201;
    buf[2] = 0;
    buf[3] = 1;
    for (int i = 0; i < 4; i++) buf[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    return 8;
}

static inline void t_send(int fd, const netaddr_t *to, const void *p, size_t len)
{
    assert_int_equal(sendto(fd, p, len, 0, &to->u.sa, netaddr_len(to)), (ssize_t)len);
}

static inline void t_send_rtp(int fd, const netaddr_t *to, uint16_t seq, size_t payload)
{
    uint8_t b[1600];
    size_t n = t_rtp(b, seq, (uint32_t)seq * 160u, 0x1234u, payload);
    t_send(fd, to, b, n);
}

/* Receive one datagram within timeout_ms: its length, or -1. from/tos optional. */
static inline int t_recv(int fd, uint8_t *buf, size_t n, netaddr_t *from, int *tos, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, timeout_ms) <= 0) return -1;
    netaddr_t src;
    char cbuf[128];
    struct iovec iov = {buf, n};
    struct msghdr mh = {.msg_name = &src, .msg_namelen = sizeof(src), .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (r < 0) return -1;
    if (from) *from = src;
    if (tos) {
        *tos = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS))
                *tos = c->cmsg_type == IP_TOS ? *(uint8_t *)CMSG_DATA(c) : *(int *)CMSG_DATA(c);
    }
    return (int)r;
}

/* Count datagrams arriving within timeout_ms of silence. */
static inline int t_drain(int fd, int timeout_ms)
{
    uint8_t b[4096];
    int n = 0;
    while (t_recv(fd, b, sizeof(b), NULL, NULL, timeout_ms) >= 0) n++;
    return n;
}

/* Drain the receiver; the span in ms between the kernel arrival times of the first and the
 * last datagram. The relay's output spans the time the policer worked in, which on a loaded
 * machine is not the sender's: a worker scheduled late meters the tail late. */
static inline double t_drain_span_ms(int fd, int *count)
{
    uint8_t b[2048], cbuf[256];
    double first = -1, last = -1;
    *count = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 300) != 1) break;
        struct iovec iov = {b, sizeof(b)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                           .msg_controllen = sizeof(cbuf)};
        if (recvmsg(fd, &m, 0) < 0) break;
        (*count)++;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            last = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
            if (first < 0) first = last;
        }
    }
    return last - first;
}

/* A gate request: SendRecv, no latch, local ip:port, remote rip:rport (rport 0 = none). */
static inline dp_gate_req_t t_req(uint32_t id, uint32_t ctx, const char *ip, uint16_t port,
                                  const char *rip, uint16_t rport)
{
    dp_gate_req_t r;
    memset(&r, 0, sizeof(r));
    r.gate_id = id;
    r.ctx_id = ctx;
    r.mode = DP_MODE_SENDRECV;
    r.local = t_addr(ip, port);
    if (rport) r.remote_rtp = t_addr(rip, rport);
    return r;
}

static inline dp_t *t_start(unsigned workers, uint32_t max_gates, uint32_t relatch_ms)
{
    dp_config_t c = {.workers = workers, .max_gates = max_gates, .relatch_idle_ms = relatch_ms};
    char err[128] = "";
    dp_t *dp = dp_start(&c, err, sizeof(err));
    if (!dp) fail_msg("dp_start: %s", err);
    return dp;
}

/* Statistics once the worker has published its last batch (two equal reads 20 ms apart). */
static inline dp_gate_stats_t t_stats(dp_t *dp, uint32_t id)
{
    dp_gate_stats_t a, b;
    assert_int_equal(dp_gate_stats(dp, id, &a), 0);
    for (int i = 0; i < 50; i++) {
        t_sleep_ms(20);
        assert_int_equal(dp_gate_stats(dp, id, &b), 0);
        if (memcmp(&a, &b, sizeof(a)) == 0) break;
        a = b;
    }
    return b;
}

#endif
