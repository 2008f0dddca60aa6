/* loop.h - bgfd's control-plane event loop: epoll for file descriptors, a binary heap of
 * one-shot timers, a cached monotonic clock. In the style of Redis' ae.c. One thread (the
 * control-plane thread) owns a loop and everything registered with it. */
#ifndef BGF_MG_LOOP_H
#define BGF_MG_LOOP_H
#include <stdbool.h>
#include <stdint.h>

typedef struct mg_loop mg_loop_t;

enum { MG_EV_READ = 1u, MG_EV_WRITE = 2u };

typedef void (*mg_io_fn)(mg_loop_t *l, int fd, unsigned events, void *arg);

/* A timer lives in its owner's memory; the loop only points at it while armed. */
typedef struct mg_timer mg_timer_t;
typedef void (*mg_timer_fn)(mg_loop_t *l, mg_timer_t *t, void *arg);
struct mg_timer {
    uint64_t due_ms; /* monotonic ms */
    mg_timer_fn fn;
    void *arg;
    int heap_idx; /* -1 when not armed */
};

/* max_fds: initial size of the fd table (it grows as needed). */
mg_loop_t *mg_loop_new(int max_fds);
void mg_loop_free(mg_loop_t *l);

/* Watch fd for events (MG_EV_*). 0 or -errno. */
int mg_loop_add(mg_loop_t *l, int fd, unsigned events, mg_io_fn fn, void *arg);
int mg_loop_mod(mg_loop_t *l, int fd, unsigned events);
void mg_loop_del(mg_loop_t *l, int fd);

void mg_timer_init(mg_timer_t *t, mg_timer_fn fn, void *arg);
/* (Re)arm t to fire once after ms milliseconds. */
void mg_timer_start(mg_loop_t *l, mg_timer_t *t, uint64_t ms);
void mg_timer_stop(mg_loop_t *l, mg_timer_t *t);
bool mg_timer_armed(const mg_timer_t *t);

/* Monotonic milliseconds, refreshed once per loop iteration (and by mg_loop_now_update). */
uint64_t mg_loop_now(const mg_loop_t *l);
uint64_t mg_loop_now_update(mg_loop_t *l);
uint64_t mg_clock_ms(void);

/* fn(arg) runs once per round, after the round's handlers and before the loop waits
 * (bgfd wakes the data-plane workers there: one wake-up per batch of requests). */
void mg_loop_set_before_wait(mg_loop_t *l, void (*fn)(void *arg), void *arg);

/* Run until mg_loop_stop(); returns 0, or -errno when epoll fails. */
int mg_loop_run(mg_loop_t *l);
void mg_loop_stop(mg_loop_t *l);

#endif
