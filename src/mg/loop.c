/* loop.c - epoll event loop with a timer heap (see loop.h). Control-plane thread only.
 * Owns the epoll fd and the per-fd handler table; timers belong to their callers. */
#include "mg/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

typedef struct io_slot {
    mg_io_fn fn;
    void *arg;
    unsigned events;
} io_slot_t;

struct mg_loop {
    int epfd;
    int max_fds;
    io_slot_t *slots;  /* indexed by fd */
    mg_timer_t **heap; /* min-heap on due_ms */
    int nheap, capheap;
    uint64_t now;
    bool stop;
    void (*before_wait)(void *arg);
    void *before_wait_arg;
};

uint64_t mg_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

mg_loop_t *mg_loop_new(int max_fds)
{
    mg_loop_t *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->max_fds = max_fds;
    l->slots = calloc((size_t)max_fds, sizeof(io_slot_t));
    if (l->epfd < 0 || !l->slots) {
        mg_loop_free(l);
        return NULL;
    }
    l->now = mg_clock_ms();
    return l;
}

void mg_loop_free(mg_loop_t *l)
{
    if (!l) return;
    if (l->epfd >= 0) close(l->epfd);
    free(l->slots);
    free(l->heap);
    free(l);
}

static uint32_t to_epoll(unsigned ev)
{
    return ((ev & MG_EV_READ) ? EPOLLIN : 0u) | ((ev & MG_EV_WRITE) ? EPOLLOUT : 0u);
}

/* The data plane holds two sockets per gate, so control fds can be numbered high: the table
 * grows to fit. */
static int grow_slots(mg_loop_t *l, int fd)
{
    int n = l->max_fds ? l->max_fds : 64;
    while (n <= fd)
        n *= 2;
    io_slot_t *s = realloc(l->slots, (size_t)n * sizeof(*s));
    if (!s) return -ENOMEM;
    memset(s + l->max_fds, 0, (size_t)(n - l->max_fds) * sizeof(*s));
    l->slots = s;
    l->max_fds = n;
    return 0;
}

int mg_loop_add(mg_loop_t *l, int fd, unsigned events, mg_io_fn fn, void *arg)
{
    if (fd < 0) return -EBADF;
    if (fd >= l->max_fds && grow_slots(l, fd) < 0) return -ENOMEM;
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
    l->slots[fd] = (io_slot_t){fn, arg, events};
    return 0;
}

int mg_loop_mod(mg_loop_t *l, int fd, unsigned events)
{
    if (fd < 0 || fd >= l->max_fds || !l->slots[fd].fn) return -ENOENT;
    if (l->slots[fd].events == events) return 0;
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) return -errno;
    l->slots[fd].events = events;
    return 0;
}

void mg_loop_del(mg_loop_t *l, int fd)
{
    if (fd < 0 || fd >= l->max_fds || !l->slots[fd].fn) return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    l->slots[fd] = (io_slot_t){0};
}

/* ---- timers: binary min-heap of pointers, each timer knows its index ---- */

static void heap_swap(mg_loop_t *l, int a, int b)
{
    mg_timer_t *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->heap_idx = a;
    l->heap[b]->heap_idx = b;
}

static void heap_up(mg_loop_t *l, int i)
{
    while (i > 0 && l->heap[(i - 1) / 2]->due_ms > l->heap[i]->due_ms) {
        heap_swap(l, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(mg_loop_t *l, int i)
{
    for (;;) {
        int c = 2 * i + 1, m = i;
        if (c < l->nheap && l->heap[c]->due_ms < l->heap[m]->due_ms) m = c;
        if (c + 1 < l->nheap && l->heap[c + 1]->due_ms < l->heap[m]->due_ms) m = c + 1;
        if (m == i) return;
        heap_swap(l, i, m);
        i = m;
    }
}

void mg_timer_init(mg_timer_t *t, mg_timer_fn fn, void *arg)
{
    *t = (mg_timer_t){.fn = fn, .arg = arg, .heap_idx = -1};
}

bool mg_timer_armed(const mg_timer_t *t)
{
    return t->heap_idx >= 0;
}

void mg_timer_stop(mg_loop_t *l, mg_timer_t *t)
{
    int i = t->heap_idx;
    if (i < 0) return;
    t->heap_idx = -1;
    l->nheap--;
    if (i == l->nheap) return;
    mg_timer_t *moved = l->heap[l->nheap];
    l->heap[i] = moved;
    moved->heap_idx = i;
    heap_up(l, i);
    heap_down(l, moved->heap_idx);
}

void mg_timer_start(mg_loop_t *l, mg_timer_t *t, uint64_t ms)
{
    mg_timer_stop(l, t);
    if (l->nheap == l->capheap) {
        int cap = l->capheap ? l->capheap * 2 : 64;
        mg_timer_t **h = realloc(l->heap, (size_t)cap * sizeof(*h));
        if (!h) abort(); /* a handful of timers: running out here is a broken invariant */
        l->heap = h;
        l->capheap = cap;
    }
    t->due_ms = l->now + ms;
    t->heap_idx = l->nheap;
    l->heap[l->nheap++] = t;
    heap_up(l, t->heap_idx);
}

uint64_t mg_loop_now(const mg_loop_t *l)
{
    return l->now;
}

uint64_t mg_loop_now_update(mg_loop_t *l)
{
    return l->now = mg_clock_ms();
}

static void run_timers(mg_loop_t *l)
{
    while (l->nheap > 0 && l->heap[0]->due_ms <= l->now && !l->stop) {
        mg_timer_t *t = l->heap[0];
        mg_timer_stop(l, t);
        t->fn(l, t, t->arg);
    }
}

void mg_loop_set_before_wait(mg_loop_t *l, void (*fn)(void *arg), void *arg)
{
    l->before_wait = fn;
    l->before_wait_arg = arg;
}

int mg_loop_run(mg_loop_t *l)
{
    struct epoll_event evs[64];
    l->stop = false;
    while (!l->stop) {
        mg_loop_now_update(l);
        run_timers(l);
        if (l->stop) break;
        int timeout = -1;
        if (l->nheap > 0) {
            uint64_t due = l->heap[0]->due_ms;
            timeout = due <= l->now ? 0 : (int)(due - l->now > 60000 ? 60000 : due - l->now);
        }
        if (l->before_wait) l->before_wait(l->before_wait_arg);
        int n = epoll_wait(l->epfd, evs, 64, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        mg_loop_now_update(l);
        for (int i = 0; i < n && !l->stop; i++) {
            int fd = evs[i].data.fd;
            io_slot_t s = l->slots[fd];
            if (!s.fn) continue; /* removed by an earlier handler in this batch */
            unsigned ev = 0;
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ev |= MG_EV_READ;
            if (evs[i].events & EPOLLOUT) ev |= MG_EV_WRITE;
            s.fn(l, fd, ev, s.arg);
        }
    }
    return 0;
}

void mg_loop_stop(mg_loop_t *l)
{
    l->stop = true;
}
