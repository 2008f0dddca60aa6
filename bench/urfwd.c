/* urfwd.c - the minimal UDP forwarder on io_uring: minfwd's job, without a system call per
 * packet. Measured beside minfwd to tell whether io_uring would pay for bgf's data plane.
 *
 * Same call list and command line as minfwd (A_LOCAL RELAY_FOR_A B_LOCAL RELAY_FOR_B per line;
 * -f CALLS, -t THREADS, -p), same static table: what reaches RELAY_FOR_A leaves from
 * RELAY_FOR_B towards B_LOCAL, and the other way round. No parsing, no checks, no statistics.
 *
 * Per worker thread: one ring (IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN), its sockets
 * registered as fixed files, one provided-buffer ring (NBUF buffers of BUFSZ bytes) and one
 * multishot IORING_OP_RECVMSG per socket taking its buffers from that ring. A round is one
 * io_uring_enter: it submits the sends queued in the previous round and waits for at least
 * one completion; then every completion is handled: a received datagram becomes a send SQE
 * (IORING_OP_SEND with the destination address, i.e. sendto; -m: IORING_OP_SENDMSG) from the
 * peer socket, straight out of the provided buffer; a send's completion gives its buffer back
 * to the buffer ring; a multishot receive that ended (no IORING_CQE_F_MORE, e.g. -ENOBUFS) is
 * armed again. No allocation per packet: the per-buffer send state is allocated at start.
 *
 * Options beyond minfwd's: -q: IORING_SETUP_SQPOLL (a kernel thread polls the submission
 * ring; it inherits the process's CPU affinity, so under taskset it shares the relay's core);
 * -m: sendmsg instead of sendto; -s: every receive also takes the source address (as bgf's
 * data plane must, for latching and filters) and drops a datagram whose source is not of the
 * socket's family. -p polls without sleeping (submit, then peek). Runs until
 * SIGTERM or SIGINT. Prints "ready" on stdout once every socket is bound. */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/netaddr.h"

#define NBUF 4096  /* provided buffers per worker (power of two) */
#define BUFSZ 2048 /* as minfwd: longer datagrams are truncated and dropped */
#define SQ_ENTRIES 4096
#define CQ_ENTRIES 65536
#define BGID 0

enum { UD_RECV = 1, UD_SEND = 2 };
#define UD(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

typedef struct fsock {
    int fd;
    int peer;      /* index of the socket to send from */
    netaddr_t dst; /* where the peer socket sends */
    int fixed;     /* this socket's index in its worker's registered file table */
} fsock_t;

typedef struct sendst {
    struct msghdr mh;
    struct iovec iov;
} sendst_t;

static fsock_t *fs;
static int nfs, nthreads = 1, busy_poll, sqpoll, use_sendmsg, want_src;
static volatile sig_atomic_t stop;

static void on_sig(int s) {
    (void)s;
    stop = 1;
}

static int bind_udp(const netaddr_t *a) {
    int fd = socket(netaddr_family(a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int buf = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    if (bind(fd, &a->u.sa, netaddr_len(a)) < 0) {
        char b[NETADDR_STRLEN];
        fprintf(stderr, "urfwd: bind %s: %s\n", netaddr_format(a, b, sizeof b), strerror(errno));
        exit(2);
    }
    return fd;
}

typedef struct wctx {
    struct io_uring ring;
    struct io_uring_buf_ring *br;
    uint8_t *bufs;    /* NBUF * BUFSZ */
    sendst_t *sends;  /* per buffer id */
    struct msghdr rmh; /* template of the multishot receives: no name, no control */
    unsigned recycled; /* buffers added to the buffer ring since its last advance */
    uint64_t rx, tx_err, rearm, nobufs; /* printed at exit (stderr) */
} wctx_t;

static struct io_uring_sqe *get_sqe(wctx_t *w) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    while (!sqe) { /* submission ring full: hand what is queued to the kernel */
        io_uring_submit(&w->ring);
        sqe = io_uring_get_sqe(&w->ring);
    }
    return sqe;
}

static void arm_recv(wctx_t *w, int i) {
    struct io_uring_sqe *sqe = get_sqe(w);
    io_uring_prep_recvmsg_multishot(sqe, fs[i].fixed, &w->rmh, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    io_uring_sqe_set_data64(sqe, UD(UD_RECV, i));
}

static void recycle(wctx_t *w, unsigned bid) {
    io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * BUFSZ, BUFSZ, (unsigned short)bid,
                          io_uring_buf_ring_mask(NBUF), (int)w->recycled);
    w->recycled++;
}

static void on_recv(wctx_t *w, int i, const struct io_uring_cqe *cqe) {
    if (cqe->flags & IORING_CQE_F_BUFFER) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        uint8_t *buf = w->bufs + (size_t)bid * BUFSZ;
        struct io_uring_recvmsg_out *o =
            cqe->res > 0 ? io_uring_recvmsg_validate(buf, cqe->res, &w->rmh) : NULL;
        bool bad = !o || (o->flags & MSG_TRUNC);
        if (!bad && want_src) { /* the source, where bgf's latch and filters would look */
            const struct sockaddr *sa = io_uring_recvmsg_name(o);
            bad = o->namelen > w->rmh.msg_namelen || sa->sa_family != netaddr_family(&fs[i].dst);
        }
        if (bad) {
            recycle(w, bid);
        } else {
            const fsock_t *s = &fs[i], *p = &fs[s->peer];
            void *payload = io_uring_recvmsg_payload(o, &w->rmh);
            unsigned len = io_uring_recvmsg_payload_length(o, cqe->res, &w->rmh);
            struct io_uring_sqe *sqe = get_sqe(w);
            w->rx++;
            if (use_sendmsg) {
                sendst_t *st = &w->sends[bid];
                st->iov.iov_base = payload;
                st->iov.iov_len = len;
                st->mh.msg_name = (void *)&s->dst.u.sa;
                st->mh.msg_namelen = netaddr_len(&s->dst);
                io_uring_prep_sendmsg(sqe, p->fixed, &st->mh, 0);
            } else {
                io_uring_prep_send(sqe, p->fixed, payload, len, 0);
                io_uring_prep_send_set_addr(sqe, &s->dst.u.sa, (uint16_t)netaddr_len(&s->dst));
            }
            sqe->flags |= IOSQE_FIXED_FILE;
            io_uring_sqe_set_data64(sqe, UD(UD_SEND, bid));
        }
    }
    if (cqe->res == -ENOBUFS) w->nobufs++;
    if (!(cqe->flags & IORING_CQE_F_MORE) && !stop) arm_recv(w, i), w->rearm++;
}

static void *worker(void *arg) {
    long id = (long)arg;
    wctx_t *w = calloc(1, sizeof *w);
    struct io_uring_params prm = {0};
    prm.cq_entries = CQ_ENTRIES;
    prm.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER;
    if (sqpoll) {
        prm.flags |= IORING_SETUP_SQPOLL;
        prm.sq_thread_idle = 1000;
    } else {
        prm.flags |= IORING_SETUP_DEFER_TASKRUN;
    }
    int r = io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &prm);
    if (r < 0) {
        fprintf(stderr, "urfwd: io_uring_queue_init: %s\n", strerror(-r));
        exit(2);
    }
    /* this worker's sockets, as fixed files */
    int *fds = malloc((size_t)nfs * sizeof *fds), nmine = 0;
    for (int i = 0; i < nfs; i++) {
        if ((i / 2) % nthreads != id) continue;
        fs[i].fixed = nmine;
        fds[nmine++] = fs[i].fd;
    }
    if (nmine && (r = io_uring_register_files(&w->ring, fds, (unsigned)nmine)) < 0) {
        fprintf(stderr, "urfwd: io_uring_register_files: %s\n", strerror(-r));
        exit(2);
    }
    free(fds);
    /* the provided-buffer ring (liburing 2.3 has no io_uring_setup_buf_ring: map and register) */
    size_t brsz = NBUF * sizeof(struct io_uring_buf);
    w->br = mmap(NULL, brsz, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    w->bufs = mmap(NULL, (size_t)NBUF * BUFSZ, PROT_READ | PROT_WRITE,
                   MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, -1, 0);
    w->sends = calloc(NBUF, sizeof *w->sends);
    if (w->br == MAP_FAILED || w->bufs == MAP_FAILED || !w->sends) {
        fprintf(stderr, "urfwd: out of memory\n");
        exit(2);
    }
    if (want_src) w->rmh.msg_namelen = sizeof(struct sockaddr_in6);
    for (unsigned b = 0; b < NBUF; b++) {
        w->sends[b].mh.msg_iov = &w->sends[b].iov;
        w->sends[b].mh.msg_iovlen = 1;
    }
    io_uring_buf_ring_init(w->br);
    struct io_uring_buf_reg reg = {.ring_addr = (uint64_t)(uintptr_t)w->br,
                                   .ring_entries = NBUF, .bgid = BGID};
    if ((r = io_uring_register_buf_ring(&w->ring, &reg, 0)) < 0) {
        fprintf(stderr, "urfwd: io_uring_register_buf_ring: %s\n", strerror(-r));
        exit(2);
    }
    for (unsigned b = 0; b < NBUF; b++) recycle(w, b);
    io_uring_buf_ring_advance(w->br, (int)w->recycled);
    w->recycled = 0;
    for (int i = 0; i < nfs; i++)
        if ((i / 2) % nthreads == id) arm_recv(w, i);

    struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    while (!stop) {
        struct io_uring_cqe *cqe;
        if (busy_poll) {
            if (sqpoll) {
                io_uring_submit(&w->ring);
                if (io_uring_peek_cqe(&w->ring, &cqe)) continue;
            } else {
                /* deferred task work runs only when the task asks for events */
                io_uring_submit_and_get_events(&w->ring);
            }
        } else {
            r = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
            if (r < 0 && r != -ETIME && r != -EINTR) {
                fprintf(stderr, "urfwd: io_uring_enter: %s\n", strerror(-r));
                break;
            }
        }
        unsigned head, n = 0;
        io_uring_for_each_cqe(&w->ring, head, cqe) {
            n++;
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            if ((ud >> 32) == UD_RECV) on_recv(w, (int)(uint32_t)ud, cqe);
            else if ((ud >> 32) == UD_SEND) {
                if (cqe->res < 0) w->tx_err++;
                recycle(w, (unsigned)(uint32_t)ud);
            }
        }
        io_uring_cq_advance(&w->ring, n);
        if (w->recycled) {
            io_uring_buf_ring_advance(w->br, (int)w->recycled);
            w->recycled = 0;
        }
    }
    fprintf(stderr, "urfwd: worker %ld: forwarded %llu, send errors %llu, receives re-armed %llu"
            " (out of buffers %llu)\n", id, (unsigned long long)w->rx, (unsigned long long)w->tx_err,
            (unsigned long long)w->rearm, (unsigned long long)w->nobufs);
    /* the ring is torn down asynchronously and its fixed files would keep the sockets bound
     * for a while after exit (the next run's bind fails): cancel, unregister, then exit */
    struct io_uring_sync_cancel_reg cr = {.fd = -1, .flags = IORING_ASYNC_CANCEL_ANY,
                                          .timeout = {.tv_sec = -1, .tv_nsec = -1}};
    io_uring_register_sync_cancel(&w->ring, &cr);
    io_uring_unregister_files(&w->ring);
    io_uring_queue_exit(&w->ring);
    return NULL;
}

int main(int argc, char **argv) {
    const char *file = NULL;
    int c;
    while ((c = getopt(argc, argv, "f:t:pqms")) != -1) {
        if (c == 'f') file = optarg;
        else if (c == 'p') busy_poll = 1;
        else if (c == 'q') sqpoll = 1;
        else if (c == 'm') use_sendmsg = 1;
        else if (c == 's') want_src = 1;
        else if (c == 't') nthreads = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else {
            fprintf(stderr, "usage: urfwd [-f CALLS] [-t THREADS] [-p] [-q] [-m] [-s]\n");
            return 2;
        }
    }
    struct rlimit rl = {1 << 20, 1 << 20};
    setrlimit(RLIMIT_NOFILE, &rl);
    FILE *f = file ? fopen(file, "r") : stdin;
    if (!f) {
        perror(file);
        return 2;
    }
    char l[512], a[128], ra[128], b[128], rb[128];
    int cap = 1024;
    fs = calloc((size_t)cap, sizeof *fs);
    while (fgets(l, sizeof l, f)) {
        if (l[0] == '#' || sscanf(l, "%127s %127s %127s %127s", a, ra, b, rb) != 4) continue;
        netaddr_t na, nra, nb, nrb;
        if (netaddr_parse(&na, a, -1) || netaddr_parse(&nra, ra, -1) ||
            netaddr_parse(&nb, b, -1) || netaddr_parse(&nrb, rb, -1)) {
            fprintf(stderr, "urfwd: bad line: %s", l);
            return 2;
        }
        if (nfs + 2 > cap) {
            cap *= 2;
            fs = realloc(fs, (size_t)cap * sizeof *fs);
        }
        /* socket for A's relay port: what arrives goes out of B's relay port to B */
        fs[nfs] = (fsock_t){.fd = bind_udp(&nra), .peer = nfs + 1, .dst = nb};
        fs[nfs + 1] = (fsock_t){.fd = bind_udp(&nrb), .peer = nfs, .dst = na};
        nfs += 2;
    }
    struct sigaction sa = {.sa_handler = on_sig};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pthread_t th[64];
    if (nthreads > 64) nthreads = 64;
    /* what arrives before a worker has armed its receives waits in the socket's buffer */
    for (long i = 0; i < nthreads; i++) pthread_create(&th[i], NULL, worker, (void *)i);
    printf("ready %d calls\n", nfs / 2);
    fflush(stdout);
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < nfs; i++) close(fs[i].fd);
    return 0;
}
