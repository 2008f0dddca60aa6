/* minfwd.c - the minimal UDP forwarder: the ceiling of the socket path on this machine.
 *
 * Reads the same call list as rtpgen (A_LOCAL RELAY_FOR_A B_LOCAL RELAY_FOR_B per line),
 * binds RELAY_FOR_A and RELAY_FOR_B for every call, and forwards with a static table: what
 * reaches RELAY_FOR_A leaves from RELAY_FOR_B towards B_LOCAL, and the other way round.
 * No parsing, no checks, no statistics: epoll, recvmmsg of up to 64, sendmmsg of the batch.
 * One thread per -t (calls split between them), each with its own epoll; -p polls without
 * sleeping (epoll_wait with timeout 0: no wake-up latency, a whole core burnt); runs until
 * SIGTERM or SIGINT. Prints "ready" on stdout once every socket is bound. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/netaddr.h"

#define BATCH 64

typedef struct fsock {
    int fd;
    int peer;      /* index of the socket to send from */
    netaddr_t dst; /* where the peer socket sends */
} fsock_t;

static fsock_t *fs;
static int nfs, nthreads = 1, busy_poll;
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
        fprintf(stderr, "minfwd: bind %s: %s\n", netaddr_format(a, b, sizeof b), strerror(errno));
        exit(2);
    }
    return fd;
}

static void *worker(void *arg) {
    long id = (long)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < nfs; i++) {
        if ((i / 2) % nthreads != id) continue;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fs[i].fd, &ev);
    }
    static __thread uint8_t bufs[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    memset(msgs, 0, sizeof msgs);
    struct epoll_event evs[256];
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, busy_poll ? 0 : 100);
        for (int e = 0; e < n; e++) {
            fsock_t *s = &fs[evs[e].data.u32];
            for (;;) {
                for (int i = 0; i < BATCH; i++) {
                    iov[i].iov_base = bufs[i];
                    iov[i].iov_len = sizeof bufs[i];
                    msgs[i].msg_hdr.msg_iov = &iov[i];
                    msgs[i].msg_hdr.msg_iovlen = 1;
                    msgs[i].msg_hdr.msg_name = NULL;
                    msgs[i].msg_hdr.msg_namelen = 0;
                }
                int got = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
                if (got <= 0) break;
                fsock_t *p = &fs[s->peer];
                for (int i = 0; i < got; i++) {
                    iov[i].iov_len = msgs[i].msg_len;
                    msgs[i].msg_hdr.msg_name = &s->dst.u.sa;
                    msgs[i].msg_hdr.msg_namelen = netaddr_len(&s->dst);
                }
                int off = 0;
                while (off < got) {
                    int r = sendmmsg(p->fd, msgs + off, (unsigned)(got - off), 0);
                    if (r <= 0) break;
                    off += r;
                }
                if (got < BATCH) break;
            }
        }
    }
    close(ep);
    return NULL;
}

int main(int argc, char **argv) {
    const char *file = NULL;
    int c;
    while ((c = getopt(argc, argv, "f:t:p")) != -1) {
        if (c == 'f') file = optarg;
        else if (c == 'p') busy_poll = 1;
        else if (c == 't') nthreads = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else {
            fprintf(stderr, "usage: minfwd [-f CALLS] [-t THREADS] [-p]\n");
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
            fprintf(stderr, "minfwd: bad line: %s", l);
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
    printf("ready %d calls\n", nfs / 2);
    fflush(stdout);
    pthread_t th[64];
    if (nthreads > 64) nthreads = 64;
    for (long i = 0; i < nthreads; i++) pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    return 0;
}
