/* test_loop.c - the control-plane event loop: timers fire once, in due order, never early;
 * stopped and re-armed timers behave; fd handlers see readiness; the fd table grows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mg/loop.h"

#define N 300

typedef struct rec {
    uint64_t fired_at[N];
    int order[N];
    int nfired;
    int count[N];
    mg_timer_t t[N];
    uint64_t start;
} rec_t;

static rec_t *R;

static void on_timer(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    int i = (int)(t - R->t);
    R->count[i]++;
    R->fired_at[i] = mg_loop_now(l);
    R->order[R->nfired++] = i;
}

static void stop_all(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    mg_loop_stop(l);
}

static void timers_fire_once_in_due_order_never_early(void **state)
{
    mg_loop_t *l = mg_loop_new(16);
    R = calloc(1, sizeof(*R));
    srand(3);
    uint32_t due[N];
    for (int i = 0; i < N; i++) {
        mg_timer_init(&R->t[i], on_timer, NULL);
        due[i] = (uint32_t)(rand() % 150);
        mg_timer_start(l, &R->t[i], due[i]);
    }
    uint64_t start = mg_loop_now(l);
    /* every third one stopped, every fifth one re-armed later */
    for (int i = 0; i < N; i += 3)
        mg_timer_stop(l, &R->t[i]);
    for (int i = 0; i < N; i += 5) {
        due[i] = 150 + (uint32_t)(rand() % 50);
        mg_timer_start(l, &R->t[i], due[i]);
    }
    mg_timer_t end;
    mg_timer_init(&end, stop_all, NULL);
    mg_timer_start(l, &end, 300);
    assert_int_equal(mg_loop_run(l), 0);
    for (int i = 0; i < N; i++) {
        bool live = (i % 3 != 0) || (i % 5 == 0);
        assert_int_equal(R->count[i], live ? 1 : 0);
        if (live) assert_true(R->fired_at[i] >= start + due[i]);
        assert_false(mg_timer_armed(&R->t[i]));
    }
    for (int k = 1; k < R->nfired; k++)
        assert_true(R->t[R->order[k - 1]].due_ms <= R->t[R->order[k]].due_ms);
    free(R);
    mg_loop_free(l);
}

typedef struct io_state {
    int reads;
    mg_loop_t *l;
} io_state_t;

static void on_read(mg_loop_t *l, int fd, unsigned ev, void *arg)
{
    io_state_t *s = arg;
    char b[16];
    assert_true(ev & MG_EV_READ);
    assert_true(read(fd, b, sizeof(b)) > 0);
    if (++s->reads == 2) mg_loop_stop(l);
}

static void fd_handlers_run_and_the_table_grows(void **state)
{
    mg_loop_t *l = mg_loop_new(4); /* far smaller than the fds used below */
    int fill[200], nf = 0;
    while (nf < 200 && (fill[nf] = dup(0)) >= 0)
        nf++;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_true(p[0] > 4);
    io_state_t s = {0, l};
    assert_int_equal(mg_loop_add(l, p[0], MG_EV_READ, on_read, &s), 0);
    assert_int_equal(write(p[1], "a", 1), 1);
    mg_timer_t guard;
    mg_timer_init(&guard, stop_all, NULL);
    mg_timer_start(l, &guard, 100);
    mg_loop_run(l);
    assert_int_equal(s.reads, 1); /* the guard stopped it: one read so far */
    assert_int_equal(write(p[1], "b", 1), 1);
    mg_timer_start(l, &guard, 100);
    mg_loop_run(l);
    assert_int_equal(s.reads, 2);
    mg_loop_del(l, p[0]);
    assert_int_equal(mg_loop_mod(l, p[0], MG_EV_READ), -ENOENT);
    close(p[0]);
    close(p[1]);
    while (nf > 0)
        close(fill[--nf]);
    mg_loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timers_fire_once_in_due_order_never_early),
        cmocka_unit_test(fd_handlers_run_and_the_table_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
