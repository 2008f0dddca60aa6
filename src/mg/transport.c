/* transport.c - UDP and TCP/TPKT sockets of bgfd's control interface (see transport.h).
 * Control-plane thread only. Owns the listening sockets, the TCP connections with their read
 * and write buffers, and the batches for recvmmsg/sendmmsg on the UDP sockets. */
#include "mg/transport.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

#define NET_MAX_CONNS 256 /* TCP connections at once (an MGC or two need a handful) */
#define RX_BATCH 16
#define RX_SLOT 65536
#define TX_BATCH 32
#define WBUF_LIMIT (8u << 20) /* a peer that stops reading loses its connection */

typedef struct tcp_conn {
    mg_net_t *net;
    int slot; /* index in net->conn */
    int fd;
    netaddr_t remote;
    bool connecting; /* outbound connect() in progress */
    bool dead;       /* closed while its frame was being delivered; freed after */
    uint8_t *rbuf;   /* MG_TPKT_MAX bytes */
    size_t rlen;
    uint8_t *wbuf;
    size_t wlen, woff, wcap;
} tcp_conn_t;

struct mg_net {
    mg_loop_t *loop;
    mg_net_rx_fn rx;
    mg_net_close_fn cl;
    void *arg;
    int udp[MG_MAX_LISTEN];
    netaddr_t udp_addr[MG_MAX_LISTEN];
    unsigned nudp;
    int tcp[MG_MAX_LISTEN];
    netaddr_t tcp_addr[MG_MAX_LISTEN];
    unsigned ntcp;
    tcp_conn_t *conn[NET_MAX_CONNS]; /* open connections, unordered; NULL = free slot */
    tcp_conn_t *busy;                /* the connection whose frame rx() is handling */
    /* UDP receive batch */
    struct mmsghdr rmsg[RX_BATCH];
    struct iovec riov[RX_BATCH];
    struct sockaddr_storage rfrom[RX_BATCH];
    char *rbuf; /* RX_BATCH * RX_SLOT */
    /* UDP send batch, filled while a receive batch is handled, flushed after it */
    bool batching;
    int tx_fd;
    int ntx;
    struct mmsghdr tmsg[TX_BATCH];
    struct iovec tiov[TX_BATCH];
    netaddr_t tto[TX_BATCH];
    char *tbuf[TX_BATCH];
    size_t tcap[TX_BATCH];
};

/* ---- TPKT (RFC 1006) ---- */

int mg_tpkt_frame(const uint8_t *buf, size_t len)
{
    if (len >= 1 && buf[0] != 3) return -1;
    if (len >= 2 && buf[1] != 0) return -1;
    if (len < MG_TPKT_HDR) return 0;
    size_t flen = ((size_t)buf[2] << 8) | buf[3];
    if (flen <= MG_TPKT_HDR) return -1;
    return len >= flen ? (int)flen : 0;
}

int mg_tpkt_header(uint8_t hdr[MG_TPKT_HDR], size_t len)
{
    if (len == 0 || len + MG_TPKT_HDR > MG_TPKT_MAX) return -1;
    size_t flen = len + MG_TPKT_HDR;
    hdr[0] = 3;
    hdr[1] = 0;
    hdr[2] = (uint8_t)(flen >> 8);
    hdr[3] = (uint8_t)flen;
    return 0;
}

/* ---- sockets ---- */

static int open_socket(const netaddr_t *a, int type, char *err, size_t errlen)
{
    char as[NETADDR_STRLEN];
    int fd = socket(netaddr_family(a), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) goto fail;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (netaddr_family(a) == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (type == SOCK_DGRAM) {
        int sz = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    if (bind(fd, &a->u.sa, netaddr_len(a)) < 0) goto fail;
    if (type == SOCK_STREAM && listen(fd, 64) < 0) goto fail;
    return fd;
fail:
    snprintf(err, errlen, "%s %s: %s", type == SOCK_DGRAM ? "udp" : "tcp",
             netaddr_format(a, as, sizeof(as)), strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
}

static void conn_free(mg_net_t *n, tcp_conn_t *c, const char *why)
{
    mg_loop_del(n->loop, c->fd);
    n->conn[c->slot] = NULL;
    mg_peer_t p = {MG_TRANSPORT_TCP, c->remote, c->fd};
    close(c->fd);
    char as[NETADDR_STRLEN];
    LOG_INFO("tcp %s: connection closed: %s", netaddr_format(&c->remote, as, sizeof(as)), why);
    if (n->busy == c) {
        c->dead = true; /* its frames are being delivered: conn_frames frees it */
    } else {
        free(c->rbuf);
        free(c->wbuf);
        free(c);
    }
    if (n->cl) n->cl(n->arg, &p, why);
}

static tcp_conn_t *conn_new(mg_net_t *n, int fd, const netaddr_t *remote);

/* Write what is buffered; watch for writability while something is left. */
static int conn_flush(mg_net_t *n, tcp_conn_t *c)
{
    while (c->woff < c->wlen) {
        ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            return -errno;
        }
        c->woff += (size_t)w;
    }
    if (c->woff == c->wlen) c->woff = c->wlen = 0;
    mg_loop_mod(n->loop, c->fd, MG_EV_READ | (c->wlen ? MG_EV_WRITE : 0));
    return 0;
}

/* Deliver every whole frame in the read buffer; -1 on a bad frame. */
static int conn_frames(mg_net_t *n, tcp_conn_t *c)
{
    size_t off = 0;
    int fd = c->fd;
    for (;;) {
        int f = mg_tpkt_frame(c->rbuf + off, c->rlen - off);
        if (f < 0) return -1;
        if (f == 0) break;
        mg_peer_t p = {MG_TRANSPORT_TCP, c->remote, fd};
        n->busy = c;
        n->rx(n->arg, &p, (const char *)c->rbuf + off + MG_TPKT_HDR, (size_t)f - MG_TPKT_HDR);
        n->busy = NULL;
        if (c->dead) { /* closed while the layer above handled the frame */
            free(c->rbuf);
            free(c->wbuf);
            free(c);
            return 1;
        }
        off += (size_t)f;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return 0;
}

static void on_conn(mg_loop_t *l, int fd, unsigned ev, void *arg)
{
    tcp_conn_t *c = arg;
    mg_net_t *n = c->net;
    if (c->connecting) {
        int e = 0;
        socklen_t el = sizeof(e);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e) return conn_free(n, c, strerror(e));
        c->connecting = false;
    }
    if ((ev & MG_EV_WRITE) && conn_flush(n, c) < 0) return conn_free(n, c, strerror(errno));
    if (!(ev & MG_EV_READ)) return;
    for (;;) {
        ssize_t r = recv(fd, c->rbuf + c->rlen, MG_TPKT_MAX - c->rlen, 0);
        if (r == 0) return conn_free(n, c, "closed by the peer");
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            return conn_free(n, c, strerror(errno));
        }
        c->rlen += (size_t)r;
        int rc = conn_frames(n, c);
        if (rc > 0) return;
        if (rc < 0) return conn_free(n, c, "bad TPKT frame header");
    }
}

static tcp_conn_t *conn_new(mg_net_t *n, int fd, const netaddr_t *remote)
{
    int slot = 0;
    while (slot < NET_MAX_CONNS && n->conn[slot])
        slot++;
    if (slot == NET_MAX_CONNS) return NULL;
    tcp_conn_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->rbuf = malloc(MG_TPKT_MAX))) {
        free(c);
        return NULL;
    }
    c->net = n;
    c->slot = slot;
    c->fd = fd;
    c->remote = *remote;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (mg_loop_add(n->loop, fd, MG_EV_READ, on_conn, c) < 0) {
        free(c->rbuf);
        free(c);
        return NULL;
    }
    n->conn[slot] = c;
    return c;
}

static void on_accept(mg_loop_t *l, int lfd, unsigned ev, void *arg)
{
    mg_net_t *n = arg;
    for (;;) {
        netaddr_t ra;
        socklen_t rl = sizeof(ra.u);
        memset(&ra, 0, sizeof(ra));
        int fd = accept4(lfd, &ra.u.sa, &rl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                LOG_WARN("tcp accept: %s", strerror(errno));
            return;
        }
        char as[NETADDR_STRLEN];
        if (!conn_new(n, fd, &ra)) {
            LOG_WARN("tcp %s: refused: too many connections", netaddr_format(&ra, as, sizeof(as)));
            close(fd);
            continue;
        }
        LOG_INFO("tcp %s: connection accepted", netaddr_format(&ra, as, sizeof(as)));
    }
}

/* ---- UDP ---- */

static void tx_flush(mg_net_t *n)
{
    int off = 0;
    while (off < n->ntx) {
        int r = sendmmsg(n->tx_fd, n->tmsg + off, (unsigned)(n->ntx - off), 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            LOG_WARN("udp send: %s (%d messages lost)", strerror(errno), n->ntx - off);
            break;
        }
        off += r;
    }
    n->ntx = 0;
}

static int udp_sock_for(const mg_net_t *n, const mg_peer_t *to)
{
    for (unsigned i = 0; i < n->nudp; i++)
        if (n->udp[i] == to->conn) return to->conn;
    for (unsigned i = 0; i < n->nudp; i++)
        if (netaddr_family(&n->udp_addr[i]) == netaddr_family(&to->addr)) return n->udp[i];
    return -1;
}

static int udp_send(mg_net_t *n, const mg_peer_t *to, const char *msg, size_t len)
{
    int fd = udp_sock_for(n, to);
    if (fd < 0) return -EAFNOSUPPORT;
    if (len > MG_UDP_MAX) return -EMSGSIZE;
    if (!n->batching) {
        ssize_t w = sendto(fd, msg, len, 0, &to->addr.u.sa, netaddr_len(&to->addr));
        return w < 0 ? -errno : 0;
    }
    if (n->ntx == TX_BATCH || (n->ntx > 0 && n->tx_fd != fd)) tx_flush(n);
    int i = n->ntx;
    if (n->tcap[i] < len) {
        char *b = realloc(n->tbuf[i], len);
        if (!b) return -ENOMEM;
        n->tbuf[i] = b;
        n->tcap[i] = len;
    }
    memcpy(n->tbuf[i], msg, len);
    n->tto[i] = to->addr;
    n->tiov[i] = (struct iovec){n->tbuf[i], len};
    n->tmsg[i].msg_hdr = (struct msghdr){.msg_name = &n->tto[i].u.sa,
                                         .msg_namelen = netaddr_len(&to->addr),
                                         .msg_iov = &n->tiov[i],
                                         .msg_iovlen = 1};
    n->tx_fd = fd;
    n->ntx++;
    return 0;
}

static void on_udp(mg_loop_t *l, int fd, unsigned ev, void *arg)
{
    mg_net_t *n = arg;
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < RX_BATCH; i++) {
            n->riov[i] = (struct iovec){n->rbuf + (size_t)i * RX_SLOT, RX_SLOT};
            n->rmsg[i].msg_hdr = (struct msghdr){.msg_name = &n->rfrom[i],
                                                 .msg_namelen = sizeof(n->rfrom[i]),
                                                 .msg_iov = &n->riov[i],
                                                 .msg_iovlen = 1};
        }
        int got = recvmmsg(fd, n->rmsg, RX_BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0) {
            if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                LOG_WARN("udp receive: %s", strerror(errno));
            return;
        }
        n->batching = true;
        for (int i = 0; i < got; i++) {
            mg_peer_t p = {.kind = MG_TRANSPORT_UDP, .conn = fd};
            memset(&p.addr, 0, sizeof(p.addr));
            memcpy(&p.addr.u, &n->rfrom[i],
                   n->rmsg[i].msg_hdr.msg_namelen < sizeof(p.addr.u)
                       ? n->rmsg[i].msg_hdr.msg_namelen
                       : sizeof(p.addr.u));
            n->rx(n->arg, &p, n->rbuf + (size_t)i * RX_SLOT, n->rmsg[i].msg_len);
        }
        n->batching = false;
        tx_flush(n);
        if (got < RX_BATCH) return;
    }
}

/* ---- public ---- */

mg_net_t *mg_net_new(mg_loop_t *l, const mg_config_t *cfg, mg_net_rx_fn rx, mg_net_close_fn cl,
                     void *arg, char *err, size_t errlen)
{
    mg_net_t *n = calloc(1, sizeof(*n));
    if (!n || !(n->rbuf = malloc((size_t)RX_BATCH * RX_SLOT))) {
        snprintf(err, errlen, "out of memory");
        free(n);
        return NULL;
    }
    *n = (mg_net_t){.loop = l, .rx = rx, .cl = cl, .arg = arg, .rbuf = n->rbuf};
    for (unsigned i = 0; i < cfg->nlisten_udp; i++) {
        int fd = open_socket(&cfg->listen_udp[i], SOCK_DGRAM, err, errlen);
        if (fd < 0) goto fail;
        n->udp[n->nudp] = fd;
        n->udp_addr[n->nudp++] = cfg->listen_udp[i];
        mg_loop_add(l, fd, MG_EV_READ, on_udp, n);
    }
    for (unsigned i = 0; i < cfg->nlisten_tcp; i++) {
        int fd = open_socket(&cfg->listen_tcp[i], SOCK_STREAM, err, errlen);
        if (fd < 0) goto fail;
        n->tcp[n->ntcp] = fd;
        n->tcp_addr[n->ntcp++] = cfg->listen_tcp[i];
        mg_loop_add(l, fd, MG_EV_READ, on_accept, n);
    }
    for (unsigned i = 0; i < n->nudp; i++) {
        socklen_t al = sizeof(n->udp_addr[i].u);
        getsockname(n->udp[i], &n->udp_addr[i].u.sa, &al);
    }
    for (unsigned i = 0; i < n->ntcp; i++) {
        socklen_t al = sizeof(n->tcp_addr[i].u);
        getsockname(n->tcp[i], &n->tcp_addr[i].u.sa, &al);
    }
    return n;
fail:
    mg_net_free(n);
    return NULL;
}

void mg_net_flush(mg_net_t *n)
{
    if (n->ntx) tx_flush(n);
}

void mg_net_close_all(mg_net_t *n)
{
    for (int i = 0; i < NET_MAX_CONNS; i++)
        if (n->conn[i]) {
            conn_flush(n, n->conn[i]);
            conn_free(n, n->conn[i], "shutting down");
        }
}

void mg_net_free(mg_net_t *n)
{
    if (!n) return;
    n->cl = NULL;
    mg_net_close_all(n);
    for (unsigned i = 0; i < n->nudp; i++) {
        mg_loop_del(n->loop, n->udp[i]);
        close(n->udp[i]);
    }
    for (unsigned i = 0; i < n->ntcp; i++) {
        mg_loop_del(n->loop, n->tcp[i]);
        close(n->tcp[i]);
    }
    for (int i = 0; i < TX_BATCH; i++)
        free(n->tbuf[i]);
    free(n->rbuf);
    free(n);
}

static tcp_conn_t *tcp_find(mg_net_t *n, const mg_peer_t *to)
{
    for (int i = 0; i < NET_MAX_CONNS; i++) {
        tcp_conn_t *c = n->conn[i];
        if (!c) continue;
        if (to->conn >= 0 ? c->fd == to->conn : netaddr_equal(&c->remote, &to->addr)) return c;
    }
    return NULL; /* with to->conn >= 0: that connection is gone */
}

static tcp_conn_t *tcp_connect(mg_net_t *n, const netaddr_t *to)
{
    int fd = socket(netaddr_family(to), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return NULL;
    if (connect(fd, &to->u.sa, netaddr_len(to)) < 0 && errno != EINPROGRESS) {
        close(fd);
        return NULL;
    }
    tcp_conn_t *c = conn_new(n, fd, to);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->connecting = true;
    mg_loop_mod(n->loop, fd, MG_EV_READ | MG_EV_WRITE);
    return c;
}

static int tcp_send(mg_net_t *n, const mg_peer_t *to, const char *msg, size_t len)
{
    uint8_t hdr[MG_TPKT_HDR];
    if (mg_tpkt_header(hdr, len) < 0) return -EMSGSIZE;
    tcp_conn_t *c = tcp_find(n, to);
    if (!c && to->conn < 0) c = tcp_connect(n, &to->addr);
    if (!c) return -ENOTCONN;
    size_t need = c->wlen + len + MG_TPKT_HDR;
    if (need > WBUF_LIMIT) {
        conn_free(n, c, "peer does not read (write buffer full)");
        return -ENOBUFS;
    }
    if (need > c->wcap) {
        size_t cap = c->wcap ? c->wcap : 8192;
        while (cap < need)
            cap *= 2;
        uint8_t *b = realloc(c->wbuf, cap);
        if (!b) return -ENOMEM;
        c->wbuf = b;
        c->wcap = cap;
    }
    memcpy(c->wbuf + c->wlen, hdr, MG_TPKT_HDR);
    memcpy(c->wbuf + c->wlen + MG_TPKT_HDR, msg, len);
    c->wlen += len + MG_TPKT_HDR;
    if (c->connecting) return 0;
    int rc = conn_flush(n, c);
    if (rc < 0) conn_free(n, c, strerror(-rc));
    return rc;
}

int mg_net_send(mg_net_t *n, const mg_peer_t *to, const char *msg, size_t len)
{
    return to->kind == MG_TRANSPORT_TCP ? tcp_send(n, to, msg, len) : udp_send(n, to, msg, len);
}

int mg_net_local(const mg_net_t *n, mg_transport_t kind, unsigned i, netaddr_t *out)
{
    if (kind == MG_TRANSPORT_UDP && i < n->nudp) return *out = n->udp_addr[i], 0;
    if (kind == MG_TRANSPORT_TCP && i < n->ntcp) return *out = n->tcp_addr[i], 0;
    return -1;
}
