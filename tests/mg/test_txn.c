/* test_txn.c - Annex D.1 transaction bookkeeping with a fake clock: repeated requests are
 * executed once, a request still executing gets Pending, replies live for LONG-TIMER,
 * TransactionResponseAck ranges release them, and our own requests are retransmitted with
 * exponential back-off, paused by Pending, and given up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mg/txn.h"

static const mg_txn_timers_t TM = {
    .long_timer_ms = 30000,
    .retrans_initial_ms = 100,
    .retrans_max_ms = 400,
    .retrans_max_tries = 5,
    .pending_wait_ms = 1000,
    .pending_limit = 2,
};

static netaddr_t peer(const char *s)
{
    netaddr_t a;
    assert_int_equal(netaddr_parse(&a, s, -1), 0);
    return a;
}

/* Execute-once helper: what the layer above does for one received request. */
static int executions;
static mg_txn_in_t receive(mg_txn_t *t, const netaddr_t *p, uint32_t tid, uint64_t now,
                           const char **reply)
{
    size_t len;
    mg_txn_in_t st = mg_txn_in_begin(t, p, tid, now, reply, &len);
    if (st == MG_TXN_NEW) {
        executions++;
        char r[64];
        snprintf(r, sizeof(r), "Reply = %u { exec %d }", tid, executions);
        assert_int_equal(mg_txn_in_done(t, p, tid, r, strlen(r), now), 0);
    }
    return st;
}

static void repeated_request_is_executed_once_and_gets_the_same_reply(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    const char *r;
    size_t len;
    executions = 0;
    assert_int_equal(receive(t, &mgc, 7, 1000, &r), MG_TXN_NEW);
    assert_int_equal(receive(t, &mgc, 7, 1500, &r), MG_TXN_REPLAY);
    assert_int_equal(executions, 1);
    assert_int_equal(mg_txn_in_begin(t, &mgc, 7, 2000, &r, &len), MG_TXN_REPLAY);
    assert_int_equal(len, strlen("Reply = 7 { exec 1 }"));
    assert_memory_equal(r, "Reply = 7 { exec 1 }", len);
    mg_txn_free(t);
}

static void same_id_from_another_peer_is_another_transaction(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t a = peer("127.0.0.1:2945"), b = peer("[::1]:2945"), c = peer("127.0.0.1:2946");
    const char *r;
    executions = 0;
    assert_int_equal(receive(t, &a, 9, 0, &r), MG_TXN_NEW);
    assert_int_equal(receive(t, &b, 9, 0, &r), MG_TXN_NEW);
    assert_int_equal(receive(t, &c, 9, 0, &r), MG_TXN_NEW);
    assert_int_equal(executions, 3);
    assert_int_equal(mg_txn_in_count(t), 3);
    mg_txn_free(t);
}

static void request_still_executing_gets_pending(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    const char *r;
    size_t len;
    assert_int_equal(mg_txn_in_begin(t, &mgc, 11, 0, &r, &len), MG_TXN_NEW);
    assert_int_equal(mg_txn_in_begin(t, &mgc, 11, 10, &r, &len), MG_TXN_EXECUTING);
    assert_int_equal(mg_txn_in_done(t, &mgc, 11, "R", 1, 20), 0);
    assert_int_equal(mg_txn_in_begin(t, &mgc, 11, 30, &r, &len), MG_TXN_REPLAY);
    /* an aborted execution leaves nothing behind */
    assert_int_equal(mg_txn_in_begin(t, &mgc, 12, 0, &r, &len), MG_TXN_NEW);
    mg_txn_in_abort(t, &mgc, 12);
    assert_int_equal(mg_txn_in_begin(t, &mgc, 12, 0, &r, &len), MG_TXN_NEW);
    mg_txn_free(t);
}

static void noop_send(void *arg, const netaddr_t *to, const char *msg, size_t len)
{
    (*(int *)arg)++;
}

static void replies_are_dropped_after_long_timer(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    const char *r;
    int sends = 0;
    executions = 0;
    receive(t, &mgc, 1, 0, &r);
    receive(t, &mgc, 2, 10000, &r);
    assert_int_equal(mg_txn_tick(t, 29999, noop_send, &sends), 1);
    assert_int_equal(mg_txn_in_count(t), 2);
    assert_int_equal(mg_txn_tick(t, 30000, noop_send, &sends), 10000); /* 1 gone, 2 due later */
    assert_int_equal(mg_txn_in_count(t), 1);
    assert_int_equal(receive(t, &mgc, 1, 30001, &r), MG_TXN_NEW); /* a new transaction now */
    assert_int_equal(receive(t, &mgc, 2, 30001, &r), MG_TXN_REPLAY);
    /* an id whose reply expired but was not yet swept is new too */
    assert_int_equal(receive(t, &mgc, 2, 40001, &r), MG_TXN_NEW);
    assert_int_equal(executions, 4);
    assert_int_equal(sends, 0);
    mg_txn_free(t);
}

static void response_ack_ranges_release_stored_replies(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945"), other = peer("127.0.0.1:9999");
    const char *r;
    for (uint32_t id = 1; id <= 10; id++)
        receive(t, &mgc, id, 0, &r);
    receive(t, &other, 5, 0, &r);
    assert_int_equal(mg_txn_in_count(t), 11);
    assert_int_equal(mg_txn_in_ack(t, &mgc, 3, 3), 1);
    assert_int_equal(mg_txn_in_ack(t, &mgc, 5, 8), 4);
    assert_int_equal(mg_txn_in_ack(t, &mgc, 5, 8), 0);           /* already released */
    assert_int_equal(mg_txn_in_ack(t, &mgc, 9, 4000000000u), 2); /* a wide range */
    assert_int_equal(mg_txn_in_ack(t, &mgc, 8, 2), 0);           /* backwards: nothing */
    assert_int_equal(mg_txn_in_count(t), 4); /* 1, 2, 4 and the other peer's 5 */
    executions = 0;
    assert_int_equal(receive(t, &mgc, 3, 1, &r), MG_TXN_NEW); /* released: executes again */
    assert_int_equal(receive(t, &other, 5, 1, &r), MG_TXN_REPLAY);
    mg_txn_free(t);
}

static void many_transactions_grow_the_table(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    const char *r;
    executions = 0;
    for (uint32_t id = 1; id <= 20000; id++)
        receive(t, &mgc, id, 0, &r);
    for (uint32_t id = 1; id <= 20000; id += 997)
        assert_int_equal(receive(t, &mgc, id, 1, &r), MG_TXN_REPLAY);
    assert_int_equal(executions, 20000);
    mg_txn_free(t);
}

static void stored_replies_are_capped(void **state)
{
    mg_txn_timers_t tm = TM;
    tm.max_stored = 3;
    mg_txn_t *t = mg_txn_new(&tm);
    netaddr_t mgc = peer("127.0.0.1:2945");
    const char *r;
    for (uint32_t id = 1; id <= 5; id++)
        receive(t, &mgc, id, 0, &r);
    assert_int_equal(mg_txn_in_count(t), 3);
    assert_int_equal(receive(t, &mgc, 5, 0, &r), MG_TXN_REPLAY);
    assert_int_equal(receive(t, &mgc, 1, 0, &r), MG_TXN_NEW); /* the oldest went first */
    mg_txn_free(t);
}

/* ---- outgoing ---- */

typedef struct {
    int sends;
    uint64_t at[16];
    int ended;
    mg_txn_out_status_t st;
    uint32_t tid;
} out_log_t;

static uint64_t clock_now;

static void log_send(void *arg, const netaddr_t *to, const char *msg, size_t len)
{
    out_log_t *l = arg;
    assert_memory_equal(msg, "SC", 2);
    if (l->sends < 16) l->at[l->sends] = clock_now;
    l->sends++;
}

static void log_done(void *arg, uint32_t tid, mg_txn_out_status_t st, const void *reply)
{
    out_log_t *l = arg;
    l->ended++;
    l->st = st;
    l->tid = tid;
}

/* Advance the fake clock 1 ms at a time, ticking. */
static void run_until(mg_txn_t *t, out_log_t *l, uint64_t until)
{
    for (; clock_now <= until; clock_now++)
        mg_txn_tick(t, clock_now, log_send, l);
}

static void requests_are_retransmitted_with_backoff_then_given_up(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    out_log_t l = {0};
    clock_now = 0;
    uint32_t tid = mg_txn_next_tid(t);
    assert_true(tid != 0);
    assert_int_equal(mg_txn_out_add(t, tid, &mgc, "SC", 2, 0, log_done, &l), 0);
    run_until(t, &l, 5000);
    /* sent once by the caller, then 4 retransmissions at 100, +200, +400, +400 */
    assert_int_equal(l.sends, 4);
    assert_int_equal(l.at[0], 100);
    assert_int_equal(l.at[1], 300);
    assert_int_equal(l.at[2], 700);
    assert_int_equal(l.at[3], 1100);
    assert_int_equal(l.ended, 1);
    assert_int_equal(l.st, MG_TXN_OUT_TIMEOUT);
    assert_int_equal(l.tid, tid);
    assert_int_equal(mg_txn_out_count(t), 0);
    mg_txn_free(t);
}

static void reply_ends_retransmission(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    out_log_t l = {0};
    clock_now = 0;
    uint32_t tid = mg_txn_next_tid(t);
    mg_txn_out_add(t, tid, &mgc, "SC", 2, 0, log_done, &l);
    run_until(t, &l, 150);
    assert_int_equal(mg_txn_out_tries(t, tid), 2);
    int dummy;
    assert_int_equal(mg_txn_out_reply(t, tid, &dummy), 1);
    assert_int_equal(l.st, MG_TXN_OUT_REPLY);
    assert_int_equal(mg_txn_out_reply(t, tid, &dummy), 0); /* a late duplicate reply */
    run_until(t, &l, 3000);
    assert_int_equal(l.sends, 1);
    assert_int_equal(l.ended, 1);
    mg_txn_free(t);
}

static void pending_pauses_retransmission_up_to_the_limit(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    out_log_t l = {0};
    clock_now = 0;
    uint32_t tid = mg_txn_next_tid(t);
    mg_txn_out_add(t, tid, &mgc, "SC", 2, 0, log_done, &l);
    run_until(t, &l, 50);
    assert_int_equal(mg_txn_out_pending(t, tid, 50), 1);
    run_until(t, &l, 1049);
    assert_int_equal(l.sends, 0); /* silent while the MGC works on it */
    run_until(t, &l, 1050);
    assert_int_equal(l.sends, 1); /* then retransmitted afresh */
    assert_int_equal(mg_txn_out_pending(t, tid, 1100), 1);
    assert_int_equal(l.ended, 0);
    assert_int_equal(mg_txn_out_pending(t, tid, 1200), 1); /* third Pending: past limit 2 */
    run_until(t, &l, 1201);
    assert_int_equal(l.ended, 1);
    assert_int_equal(l.st, MG_TXN_OUT_TIMEOUT);
    assert_int_equal(mg_txn_out_pending(t, 999, 0), 0);
    mg_txn_free(t);
}

static void cancel_and_free_end_outstanding_requests(void **state)
{
    mg_txn_t *t = mg_txn_new(&TM);
    netaddr_t mgc = peer("127.0.0.1:2945");
    out_log_t l = {0};
    uint32_t a = mg_txn_next_tid(t), b = mg_txn_next_tid(t);
    assert_int_not_equal(a, b);
    mg_txn_out_add(t, a, &mgc, "SC", 2, 0, log_done, &l);
    mg_txn_out_add(t, b, &mgc, "SC", 2, 0, log_done, &l);
    mg_txn_out_cancel(t, a);
    assert_int_equal(l.ended, 1);
    assert_int_equal(l.st, MG_TXN_OUT_CANCEL);
    mg_txn_free(t);
    assert_int_equal(l.ended, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repeated_request_is_executed_once_and_gets_the_same_reply),
        cmocka_unit_test(same_id_from_another_peer_is_another_transaction),
        cmocka_unit_test(request_still_executing_gets_pending),
        cmocka_unit_test(replies_are_dropped_after_long_timer),
        cmocka_unit_test(response_ack_ranges_release_stored_replies),
        cmocka_unit_test(many_transactions_grow_the_table),
        cmocka_unit_test(stored_replies_are_capped),
        cmocka_unit_test(requests_are_retransmitted_with_backoff_then_given_up),
        cmocka_unit_test(reply_ends_retransmission),
        cmocka_unit_test(pending_pauses_retransmission_up_to_the_limit),
        cmocka_unit_test(cancel_and_free_end_outstanding_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
