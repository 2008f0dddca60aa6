/* sender.c - the per-worker sender of copies: a byte ring filled by the worker (tap.c) and a
 * thread that empties it towards the delivery function: the copies of consecutive packets in
 * one sendmmsg of up to LI_BATCH datagrams (or, with GSO, one segmented send per packet).
 *
 * Why a thread: handing copies to the kernel costs tens of microseconds per packet with
 * several targets (on loopback the receiver's side runs in the sender's system call). Done by
 * the worker, every packet that arrived meanwhile, of any call, waited that long: a delay the
 * parties to a call could measure. The send thread runs at the normal time-sharing policy
 * even when the workers are real-time, so a worker woken by a packet takes the CPU back from
 * it at once.
 *
 * Waking: while copies flow, the thread looks at the queue every millisecond by itself (a
 * copy leaves at most about 1 ms after its packet), so the worker makes no system call for
 * it; after 100 empty looks it sleeps until woken. The handshake for that: the thread
 * announces its sleep (sleeping = true, full fence) and looks at the head once more before it
 * blocks on the eventfd; the worker publishes the head, fences and writes the eventfd only
 * when it sees the thread asleep (li_sender_kick, once per round). Either the thread sees the
 * new head or the worker sees it asleep. */
#include "li/sender.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static void *send_main(void *arg);

#define LI_NAP_US 1000 /* while copies flow, the queue is looked at every millisecond */
#define LI_NAPS 100    /* empty looks in a row before the thread sleeps until woken */

static int fail(li_sender_t *s, char *err, size_t errlen, const char *what, int e)
{
    snprintf(err, errlen, "%s: %s", what, strerror(e));
    li_sender_free(s);
    return -1;
}

static int open_socket(li_sender_t *s, const li_conf_t *conf, char *err, size_t errlen)
{
    struct sockaddr_in src = {.sin_family = AF_INET};
    if (netaddr_is_set(&conf->df_src)) {
        if (netaddr_family(&conf->df_src) != AF_INET) {
            snprintf(err, errlen, "delivery function source address must be IPv4");
            return -1;
        }
        src = conf->df_src.u.v4;
    }
    /* blocking, with a bound: a full send buffer holds the copies in the queue instead of
     * losing them, and a stuck interface cannot stall the thread for long */
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1, sndbuf = 1 << 20;
    struct timeval tmo = {.tv_usec = 100000};
    if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof tmo) != 0 ||
        bind(s->fd, (struct sockaddr *)&src, sizeof src) != 0) {
        char a[NETADDR_STRLEN];
        snprintf(err, errlen, "LI source %s: %s", netaddr_format(&conf->df_src, a, sizeof a),
                 strerror(errno));
        return -1;
    }
    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf); /* best effort */
    return 0;
}

li_sender_t *li_sender_new(const li_conf_t *conf, char *err, size_t errlen)
{
    if (netaddr_family(&conf->df_dst) != AF_INET) {
        snprintf(err, errlen, "delivery function address must be IPv4");
        return NULL;
    }
    li_sender_t *s = aligned_alloc(64, (sizeof *s + 63) & ~(size_t)63);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->fd = s->efd = -1;
    s->format = conf->format, s->point = conf->point, s->dst = conf->df_dst.u.v4;
    s->gso = conf->gso;
    snprintf(s->domain, sizeof s->domain, "%s", conf->operator_id);
    uint64_t want = conf->queue_kb ? (uint64_t)conf->queue_kb << 10 : LI_QUEUE_DEFAULT;
    for (s->qsize = LI_QUEUE_MIN; s->qsize < want; s->qsize <<= 1) {}
    /* populated now: a first lap through the ring must not take page faults per packet */
    s->q = mmap(NULL, s->qsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                -1, 0);
    if (s->q == MAP_FAILED) {
        s->q = NULL;
        return fail(s, err, errlen, "LI queue", errno), NULL;
    }
    if (open_socket(s, conf, err, errlen) != 0) {
        li_sender_free(s);
        return NULL;
    }
    if ((s->efd = eventfd(0, EFD_CLOEXEC)) < 0) return fail(s, err, errlen, "eventfd", errno), NULL;
    for (int i = 0; i < LI_BATCH; i++) {
        struct msghdr *m = &s->msgs[i].msg_hdr;
        m->msg_name = &s->dst, m->msg_namelen = sizeof s->dst;
        m->msg_iov = &s->iov[i], m->msg_iovlen = 1;
        m->msg_control = s->cmsg[i].buf, m->msg_controllen = sizeof s->cmsg[i].buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(m);
        c->cmsg_level = IPPROTO_IP, c->cmsg_type = IP_TOS, c->cmsg_len = CMSG_LEN(sizeof(int));
    }
    int e = pthread_create(&s->thread, NULL, send_main, s);
    if (e) return fail(s, err, errlen, "LI send thread", e), NULL;
    s->running = true;
    if (CPU_COUNT(&conf->send_cpus) &&
        (e = pthread_setaffinity_np(s->thread, sizeof conf->send_cpus, &conf->send_cpus)))
        return fail(s, err, errlen, "LI send_cpus", e), NULL;
    return s;
}

void li_sender_set_seq(li_sender_t *s, li_seq_table_t *t)
{
    s->seqs = t;
}

void li_sender_kick(li_sender_t *s)
{
    if (!s || !s->kick) return;
    s->kick = false;
    atomic_thread_fence(memory_order_seq_cst); /* head published before sleeping is read */
    if (atomic_exchange_explicit(&s->sleeping, false, memory_order_relaxed)) {
        uint64_t one = 1;
        (void)!write(s->efd, &one, sizeof one);
    }
}

int li_sender_sync(li_sender_t *s, int timeout_ms)
{
    if (!s) return 0;
    s->kick = true;
    li_sender_kick(s);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (atomic_load_explicit(&s->tail, memory_order_acquire) ==
            atomic_load_explicit(&s->head, memory_order_relaxed))
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms)
            return -ETIMEDOUT;
        nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
    }
}

void li_sender_free(li_sender_t *s)
{
    if (!s) return;
    if (s->running) { /* the thread sends what is queued before it ends */
        atomic_store(&s->stop, true);
        uint64_t one = 1; /* wakes it from any sleep; a nap ends by itself */
        (void)!write(s->efd, &one, sizeof one);
        pthread_join(s->thread, NULL);
    }
    if (s->fd >= 0) close(s->fd);
    if (s->efd >= 0) close(s->efd);
    if (s->q) munmap(s->q, s->qsize);
    free(s);
}

void li_sender_stats(const li_sender_t *s, li_sender_stats_t *out)
{
    out->copies = __atomic_load_n(&s->st.copies, __ATOMIC_RELAXED);
    out->bytes = __atomic_load_n(&s->st.bytes, __ATOMIC_RELAXED);
    out->send_errors = __atomic_load_n(&s->st.send_errors, __ATOMIC_RELAXED);
    out->too_big = __atomic_load_n(&s->st.too_big, __ATOMIC_RELAXED);
    out->other_copies = __atomic_load_n(&s->st.other_copies, __ATOMIC_RELAXED);
    out->gso_sends = __atomic_load_n(&s->st.gso_sends, __ATOMIC_RELAXED);
    out->queue_full = __atomic_load_n(&s->st.queue_full, __ATOMIC_RELAXED);
}

void li_sender_each_target(const li_sender_t *s,
                           void (*fn)(uint32_t target, uint64_t copies, uint64_t bytes, void *arg),
                           void *arg)
{
    for (int i = 0; i < LI_COUNT_SLOTS; i++) {
        const li_target_count_t *c = &s->counts[i];
        if (!__atomic_load_n(&c->used, __ATOMIC_ACQUIRE)) continue;
        fn(c->target, __atomic_load_n(&c->copies, __ATOMIC_RELAXED),
           __atomic_load_n(&c->bytes, __ATOMIC_RELAXED), arg);
    }
}

/* ---- the queue, worker side ---- */

li_rec_t *li_queue_reserve(li_sender_t *s, size_t bytes)
{
    uint64_t size = (sizeof(li_rec_t) + bytes + 63) & ~(uint64_t)63;
    uint64_t h = atomic_load_explicit(&s->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&s->tail, memory_order_acquire);
    uint64_t off = h & (s->qsize - 1), pad = size > s->qsize - off ? s->qsize - off : 0;
    if (size > s->qsize || h + pad + size - t > s->qsize) return NULL;
    if (pad) { /* the record would cross the end: mark the rest unused, start over */
        ((li_rec_t *)(s->q + off))->size = 0;
        atomic_store_explicit(&s->head, h + pad, memory_order_release);
        off = 0;
    }
    li_rec_t *r = (li_rec_t *)(s->q + off);
    r->size = (uint32_t)size;
    return r;
}

void li_queue_commit(li_sender_t *s, li_rec_t *r)
{
    uint64_t h = atomic_load_explicit(&s->head, memory_order_relaxed);
    atomic_store_explicit(&s->head, h + r->size, memory_order_release);
    s->kick = true;
}

/* ---- the send thread ---- */

/* Count one copy for target in the open-addressing table (no allocation). */
static void count_target(li_sender_t *s, uint32_t target, uint64_t bytes)
{
    uint32_t h = (target * 2654435761u) >> 24;
    for (int probe = 0; probe < 8; probe++) {
        li_target_count_t *c = &s->counts[(h + (uint32_t)probe) % LI_COUNT_SLOTS];
        if (!c->used) {
            c->target = target;
            __atomic_store_n(&c->used, 1, __ATOMIC_RELEASE);
        }
        if (c->target == target) {
            li_bump(&c->copies, 1), li_bump(&c->bytes, bytes);
            return;
        }
    }
    li_bump(&s->st.other_copies, 1);
}

/* All n copies (each seg bytes) in one sendmsg that the kernel splits into n datagrams
 * (UDP_SEGMENT): one system call and one route lookup for the lot. Returns n, or -errno. */
static int send_gso(li_sender_t *s, const li_rec_t *r)
{
    union {
        char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } cb;
    memset(&cb, 0, sizeof cb);
    size_t total = (size_t)r->n * r->len[0];
    struct iovec iov = {(void *)r->data, total};
    struct msghdr m = {.msg_name = &s->dst, .msg_namelen = sizeof s->dst, .msg_iov = &iov,
                       .msg_iovlen = 1, .msg_control = cb.buf, .msg_controllen = sizeof cb.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    int tos = r->tos;
    c->cmsg_level = IPPROTO_IP, c->cmsg_type = IP_TOS, c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &tos, sizeof tos);
    c = CMSG_NXTHDR(&m, c);
    uint16_t segsz = r->len[0];
    c->cmsg_level = SOL_UDP, c->cmsg_type = UDP_SEGMENT, c->cmsg_len = CMSG_LEN(sizeof segsz);
    memcpy(CMSG_DATA(c), &segsz, sizeof segsz);
    ssize_t k = sendmsg(s->fd, &m, 0);
    return k == (ssize_t)total ? (int)r->n : -(k < 0 ? errno : EIO);
}

/* The batch's n datagrams in as few sendmmsg as the kernel takes; one that fails is counted
 * and skipped, the rest still go. */
static void send_batch(li_sender_t *s, unsigned n)
{
    unsigned done = 0;
    uint64_t copies = 0, bytes = 0;
    while (done < n) {
        int k = sendmmsg(s->fd, s->msgs + done, n - done, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { /* this one failed (send buffer full past SO_SNDTIMEO, no route, ...) */
            li_bump(&s->st.send_errors, 1);
            done++;
            continue;
        }
        for (unsigned i = done; i < done + (unsigned)k; i++) {
            count_target(s, s->btarget[i], s->iov[i].iov_len);
            copies++, bytes += s->iov[i].iov_len;
        }
        done += (unsigned)k;
    }
    li_bump(&s->st.copies, copies);
    li_bump(&s->st.bytes, bytes);
}

/* A record's copies in one UDP GSO send when that is asked for and fits. Returns false when
 * the record is for the batch instead (copies of different lengths, too long, or the kernel
 * refused GSO: then never again). */
static bool send_rec_gso(li_sender_t *s, const li_rec_t *r)
{
    bool same = true;
    for (unsigned i = 1; i < r->n; i++) same &= r->len[i] == r->len[0];
    if (!same || (size_t)r->n * r->len[0] > 65000) return false;
    int sent = send_gso(s, r);
    if (sent == -EINVAL || sent == -EOPNOTSUPP || sent == -ENOPROTOOPT || sent == -EIO) {
        s->no_gso = true; /* not here: one datagram each from now on */
        return false;
    }
    if (sent < 0) {
        li_bump(&s->st.send_errors, r->n);
        return true;
    }
    li_bump(&s->st.gso_sends, 1);
    for (unsigned i = 0; i < r->n; i++) count_target(s, r->targets[i], r->len[i]);
    li_bump(&s->st.copies, r->n);
    li_bump(&s->st.bytes, (uint64_t)r->n * r->len[0]);
    return true;
}

/* Take what is queued from t on (up to h): the copies of consecutive packets, in order, into
 * one batch of at most LI_BATCH datagrams sent together. Returns the new tail. */
static uint64_t send_some(li_sender_t *s, uint64_t t, uint64_t h)
{
    unsigned n = 0;
    while (t != h) {
        uint64_t off = t & (s->qsize - 1);
        const li_rec_t *r = (const li_rec_t *)(s->q + off);
        if (!r->size) { /* the unused end of the ring */
            t += s->qsize - off;
            continue;
        }
        if (s->gso && !s->no_gso && r->n > 1) {
            if (n) break; /* the batch before it first */
            if (send_rec_gso(s, r)) return t + r->size;
        }
        if (n + r->n > LI_BATCH) break;
        size_t at = 0;
        int tos = r->tos;
        for (unsigned i = 0; i < r->n; i++, n++) {
            s->iov[n] = (struct iovec){(void *)(r->data + at), r->len[i]};
            memcpy(CMSG_DATA(CMSG_FIRSTHDR(&s->msgs[n].msg_hdr)), &tos, sizeof tos);
            s->btarget[n] = r->targets[i];
            at += r->len[i];
        }
        t += r->size;
    }
    if (n) send_batch(s, n);
    return t;
}

static void *send_main(void *arg)
{
    li_sender_t *s = arg;
    /* time-sharing even under real-time workers: a worker woken by a packet preempts us */
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
    uint64_t t = atomic_load_explicit(&s->tail, memory_order_relaxed);
    unsigned naps = LI_NAPS;
    for (;;) {
        uint64_t h = atomic_load_explicit(&s->head, memory_order_acquire);
        if (t == h && naps < LI_NAPS && !atomic_load(&s->stop)) {
            /* copies are flowing: look again in a moment, unasked, so that the worker need
             * not wake us (a wake-up costs it microseconds, per tapped packet at low rates) */
            naps++;
            nanosleep(&(struct timespec){.tv_nsec = LI_NAP_US * 1000}, NULL);
            continue;
        }
        if (t == h) { /* none for a while: sleep until the worker wakes us */
            atomic_store_explicit(&s->sleeping, true, memory_order_relaxed);
            atomic_thread_fence(memory_order_seq_cst);
            if (t != atomic_load_explicit(&s->head, memory_order_acquire)) {
                atomic_store_explicit(&s->sleeping, false, memory_order_relaxed);
                continue;
            }
            if (atomic_load(&s->stop)) break;
            uint64_t v;
            (void)!read(s->efd, &v, sizeof v);
            continue;
        }
        t = send_some(s, t, h); /* the records stay untouched until the tail passes them */
        atomic_store_explicit(&s->tail, t, memory_order_release);
        naps = 0;
    }
    return NULL;
}
