/* test_errors.c - every error the H.248 decoder reports: the H.248 error code to answer with,
 * whether (and which) transaction id was read, the line and column of the offending byte, and
 * the reason. Each case marks the expected error position with "<@>" in its text; the marker
 * is removed before decoding and the expected line and column are counted from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h248/h248.h"

typedef struct err_case {
    const char *text;   /* with one "<@>" at the error position */
    uint16_t code;
    int64_t txn;        /* -1: no transaction id read */
    const char *reason; /* a part of the reason */
} err_case_t;

#define H1 "MEGACO/1 [192.0.2.1]:2944\n"
#define H2 "MEGACO/2 [192.0.2.1]:2944\n"
#define H3 "MEGACO/3 [192.0.2.1]:2944\n"
#define T5 "Transaction = 5 { Context = 1 { "
#define T5E " } }"

static const err_case_t CASES[] = {
    /* message and header: 400, 406 */
    {"<@>", 400, -1, "expected MEGACO/version"},
    {"<@>HELLO/1 [192.0.2.1] T=1{C=1{A=t}}", 400, -1, "MEGACO/version or !/version"},
    {"MEGACO/<@>x [192.0.2.1] T=1{C=1{A=t}}", 400, -1, "invalid protocol version"},
    {"MEGACO/<@>4 [192.0.2.1] T=1{C=1{A=t}}", 406, -1, "version 4 not supported"},
    {"MEGACO/1 <@>[192.0.2.1 T=1{C=1{A=t}}", 400, -1, "mId"},
    {"MEGACO/1 <@>[192.0.2.1]:99999 T=1{C=1{A=t}}", 400, -1, "mId"},
    {"MEGACO/1 <@>[192.0.2.x] T=1{C=1{A=t}}", 400, -1, "mId"},
    {"Authentication = <@>0xZZ:0x1:0x2\n" H1 "T=1{C=1{A=t}}", 400, -1, "hex"},
    {H1 "<@>", 400, -1, "no transaction"},
    {H1 "<@>Foo = 1 { }", 400, -1, "expected a transaction"},
    {H1 "<@>{", 400, -1, "expected a transaction"},
    {H1 "Transaction = <@>abc { Context = 1 { Add = t } }", 400, -1, "invalid transaction id"},
    {H1 "Transaction = <@>4294967296 { Context = 1 { Add = t } }", 400, -1, "invalid transaction id"},
    {H1 "Transaction <@>1 { }", 400, -1, "'=' after Transaction"},
    {H1 "TransactionResponseAck { 5, 9-<@>3 }", 400, -1, "range"},
    {H1 "TransactionResponseAck { 5 <@>6 }", 400, -1, "',' or '}'"},
    {H1 "Error = 400 { \"x\" } <@>Transaction = 1 { }", 400, -1, "after the message error"},
    {H2 "<@>Segment = 1/1", 400, -1, "needs H.248 version 3"},
    {H2 "Reply = <@>1/1 { }", 404, 1, "needs H.248 version 3"},
    {H3 "Transaction = 1<@>/1 { Context = 1 { Add = t } }", 403, 1, "no segment number"},
    {H3 "Pending = 2<@>/1 { }", 405, 2, "no segment number"},
    {H3 "Reply = 3/<@>x { }", 404, 3, "invalid segment number"},
    {H3 "Reply = 3/1/<@>FIN { }", 404, 3, "expected END"},
    {H3 "Segment = 4<@>", 400, 4, "expected /segment number"},
    /* transaction level: 403 request, 404 reply, 405 pending */
    {H1 "Transaction = 5 <@>Context = 1 { Add = t } }", 403, 5, "'{' after the transaction id"},
    {H1 "Transaction = 5 { <@>Add = t }", 403, 5, "expected Context"},
    {H1 "Transaction = 5 { Context = 1 { Add = t } <@>", 403, 5, "after the context"},
    {H1 "Reply = 6 { <@>Foo }", 404, 6, "expected Context"},
    {H1 "Reply = 6 { Error = 500 { }, <@>Context = 1 { } }", 404, 6, "expected Context"},
    {H1 "Pending = 7 { <@>x }", 405, 7, "Pending has no body"},
    {H1 "Transaction = 1 { Context = 1 { Add = t } }\nTransaction = 8 { <@>}", 403, 8, "expected Context"},
    /* action level: 422 */
    {H1 "Transaction = 5 { Context = <@>x { Add = t } }", 422, 5, "invalid context id"},
    {H1 "Transaction = 5 { Context = <@>0 { Add = t } }", 422, 5, "invalid context id"},
    {H1 "Transaction = 5 { Context = 1 <@>Add = t } }", 422, 5, "'{' after the context id"},
    {H1 T5 "Priority = <@>16" T5E, 449, 5, "invalid priority"},
    {H1 T5 "<@>EmergencyOff, Add = t" T5E, 422, 5, "needs H.248 version 2"},
    {H2 T5 "<@>ContextAttr { a/b = 1 }" T5E, 422, 5, "needs H.248 version 3"},
    {H2 T5 "IEPSCall = <@>maybe" T5E, 449, 5, "ON or OFF"},
    {H1 T5 "Topology { a, b, <@>Sideways }" T5E, 449, 5, "topology direction"},
    {H1 T5 "ContextAudit { <@>Foo }" T5E, 422, 5, "context audit item"},
    /* commands: 443, 422 */
    {H1 T5 "<@>Frobnicate = t" T5E, 443, 5, "unknown command 'Frobnicate'"},
    {H1 T5 "<@>O-Foo = t" T5E, 443, 5, "unknown command 'Foo'"},
    {H1 T5 "Add <@>t" T5E, 422, 5, "'=' after the command"},
    {H1 T5 "Add = <@>{ }" T5E, 422, 5, "expected a termination id"},
    {H2 T5 "Modify = <@>[a, b]" T5E, 422, 5, "needs H.248 version 3"},
    {H1 T5 "Add = t { Media { } <@>Events }" T5E, 422, 5, "after a descriptor"},
    {H1 T5 "Add = t <@>\x01" T5E, 422, 5, "an invalid character"},
    /* descriptors: 444, 445, 446, 448, 449 */
    {H1 T5 "Add = t { <@>Foo }" T5E, 444, 5, "unknown descriptor 'Foo'"},
    {H1 T5 "Add = t { <@>Local { } }" T5E, 444, 5, "unknown descriptor"},
    {H1 T5 "Add = t { Media { <@>Foo { } } }" T5E, 444, 5, "unknown descriptor in Media"},
    {H1 T5 "Add = t { Media { Stream = 1 { <@>Mode = SendOnly } } }" T5E, 444, 5, "unknown descriptor in Stream"},
    {H1 T5 "Add = t { Media { Stream = 1 { <@>Statistics { } } } }" T5E, 444, 5, "needs H.248 version 2"},
    {H1 T5 "Add = t { Media { Stream = <@>70000 { } } }" T5E, 449, 5, "invalid stream id"},
    {H1 T5 "Add = t { Media { LocalControl { Mode = <@>Fast } } }" T5E, 449, 5, "unknown stream mode"},
    {H1 T5 "Add = t { Media { LocalControl { Mode <@>} } }" T5E, 422, 5, "'=' after Mode"},
    {H1 T5 "Add = t { Media { LocalControl { ReservedValue = <@>maybe } } }" T5E, 449, 5, "ON or OFF"},
    {H1 T5 "Add = t { Media { LocalControl { <@>Stream = 1 } } }" T5E, 445, 5, "unknown property"},
    {H1 T5 "Add = t { Media { LocalControl { <@>foo = 1 } } }" T5E, 445, 5, "unknown property 'foo'"},
    {H1 T5 "Add = t { Media { LocalControl { a/b = <@>} } }" T5E, 449, 5, "expected a value"},
    {H1 T5 "Add = t { Media { LocalControl { a/b = [1, 2 <@>} } }" T5E, 449, 5, "expected ']'"},
    {H1 T5 "Add = t { Media { LocalControl { a/b = {1 <@>] } } }" T5E, 449, 5, "expected '}'"},
    {H1 T5 "Add = t { Media { LocalControl { a/b = [1 : <@>] } } }" T5E, 449, 5, "expected a value"},
    {H1 T5 "Add = t { Media { LocalControl { a/b = <@>\"open } } }", 422, 5, "unterminated quoted string"},
    {H1 T5 "Add = t { Media { <@>Remote { v=0", 422, 5, "unterminated Remote"},
    {H1 T5 "Add = t { Media { Local { v=0 }, <@>Local { v=0 } } }" T5E, 448, 5, "appears twice"},
    {H1 T5 "Add = t { Media { TerminationState { }, <@>TerminationState { } } }" T5E, 448, 5, "appears twice"},
    {H1 T5 "Add = t { Media { LocalControl { }, a/b = 1, <@>LocalControl { } } }" T5E, 448, 5, "appears twice"},
    {H2 T5 "Add = t { Media { Stream = 1 { Statistics { }, <@>Statistics { } } } }" T5E, 448, 5, "appears twice"},
    {H1 T5 "Topology { a, b, Isolate }, <@>Topology { a, b, Bothway }, Add = t" T5E, 422, 5, "appears twice"},
    {H3 T5 "ContextAttr { a/b = 1 }, <@>ContextAttr { a/c = 1 }, Add = t" T5E, 422, 5, "appears twice"},
    {H3 T5 "ContextAttr { ContextList = { 2, <@>0 } }, Add = t" T5E, 422, 5, "invalid context id"},
    {H1 T5 "Add = t { Media { TerminationState { ServiceStates = <@>Broken } } }" T5E, 449, 5, "service state"},
    {H1 T5 "Add = t { Media { TerminationState { Buffer = <@>ON } } }" T5E, 449, 5, "OFF or LockStep"},
    {H1 T5 "Add = t { Media { TerminationState { <@>x = 1 } } }" T5E, 445, 5, "unknown property"},
    {H1 T5 "Add = t { Events = 1 { a/b { <@>Mode } } }" T5E, 446, 5, "unexpected Mode in an event"},
    {H1 T5 "Add = t { Events = 1 { <@>Media } }" T5E, 422, 5, "expected an event name"},
    {H1 T5 "Modify = t { Mux = H221 <@>} }" T5E, 422, 5, "terminations after the mux type"},
    {H3 T5 "Add = t { Events = 1 { a/b { NBNN, <@>NBRN } } }" T5E, 422, 5, "appears twice in an event"},
    {H1 T5 "Add = t { Events = 1 { a/b { DM = d1, <@>DM = d2 } } }" T5E, 422, 5, "appears twice in an event"},
    {H1 T5 "Add = t { Events <@>{ a/b } }" T5E, 422, 5, "request id"},
    {H1 T5 "Add = t { Events = <@>x { a/b } }" T5E, 449, 5, "invalid request id"},
    {H1 T5 "Add = t { Events = 1 { a/b { Embed { Events = 2 { c/d { <@>Embed { Signals { } } } } } } } }" T5E, 422, 5,
     "Embed inside"},
    {H1 T5 "Add = t { Events = 1 { a/b { Embed { <@>Media } } } }" T5E, 422, 5, "in Embed"},
    {H1 T5 "Add = t { Events = 1 { a/b { <@>DigitMap } } }" T5E, 422, 5, "DigitMap needs a name or a body"},
    {H2 T5 "Add = t { Events = 1 { a/b { <@>NBIN } } }" T5E, 446, 5, "needs H.248 version 3"},
    {H1 T5 "Add = t { Signals { a/b { SignalType = <@>Long } } }" T5E, 449, 5, "unknown signal type"},
    {H1 T5 "Add = t { Signals { a/b { <@>Mode = 1 } } }" T5E, 446, 5, "unexpected Mode in a signal"},
    {H1 T5 "Add = t { Signals { a/b { Duration = <@>-1 } } }" T5E, 449, 5, "invalid duration"},
    {H1 T5 "Add = t { Signals { a/b { NotifyCompletion = { <@>Never } } } }" T5E, 449, 5, "notification reason"},
    {H1 T5 "Add = t { Signals { a/b { <@>SPADirection = External } } }" T5E, 446, 5, "needs H.248 version 2"},
    {H1 T5 "Add = t { Signals { <@>Events } }" T5E, 422, 5, "expected a signal name"},
    {H1 T5 "Add = t { <@>DigitMap = dm { (1x)", 422, 5, "unterminated DigitMap"},
    {H1 T5 "Add = t { DigitMap = <@>, Media }" T5E, 422, 5, "digit map name or body"},
    {H1 T5 "Add = t { Audit { <@>Audit { } } }" T5E, 444, 5, "Audit inside Audit"},
    {H1 T5 "Add = t { Audit { <@>Services { } } }" T5E, 444, 5, "Services inside Audit"},
    {H1 T5 "Add = t { Packages { <@>nt } }" T5E, 449, 5, "package name-version"},
    {H1 T5 "Add = t { Statistics { <@>Media } }" T5E, 445, 5, "unknown statistic"},
    {H1 T5 "Add = t { Modem <@>{ } }" T5E, 422, 5, "after Modem"},
    {H1 T5 "Notify = t { ObservedEvents <@>{ a/b } }" T5E, 422, 5, "request id"},
    {H1 T5 "ServiceChange = ROOT { Services { Method = <@>Reboot } }" T5E, 449, 5, "unknown ServiceChange method"},
    {H1 T5 "ServiceChange = ROOT { Services { <@>Foo = 1 } }" T5E, 446, 5, "unknown ServiceChange parameter"},
    {H1 T5 "ServiceChange = ROOT { Services { Delay = <@>soon } }" T5E, 449, 5, "invalid delay"},
    {H1 T5 "ServiceChange = ROOT { Services { ServiceChangeAddress = <@>[1.2.3 } }" T5E, 449, 5, "invalid address"},
    {H1 T5 "ServiceChange = ROOT { Services { <@>Media } }" T5E, 446, 5, "needs H.248 version 2"},
    {H1 T5 "Add = t { Error = <@>12345 { } }" T5E, 422, 5, "invalid error code"},
    {H1 T5 "Add = t { Error = 400 { <@>x } }" T5E, 422, 5, "after the error text"},
};

/* 1-based line and column of offset: CR, LF and CRLF each end a line */
static void line_col(const char *s, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1;
    size_t start = 0;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && s[i + 1] != '\n')) {
            l++;
            start = i + 1;
        }
    }
    *line = l;
    *col = (uint32_t)(off - start) + 1;
}

static void every_error_reports_code_transaction_position_and_reason(void **state)
{
    arena_t a;
    arena_init(&a, 0, 0);
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const err_case_t *c = &CASES[i];
        const char *mark = strstr(c->text, "<@>");
        if (!mark) fail_msg("case %zu has no marker", i);
        size_t off = (size_t)(mark - c->text), n = strlen(c->text) - 3;
        char *buf = malloc(n + 1); /* exact size: a read past n is an ASan error */
        memcpy(buf, c->text, off);
        memcpy(buf + off, mark + 3, n - off);
        buf[n] = '\0';
        uint32_t line, col;
        line_col(buf, off, &line, &col);
        h248_message_t *m = (h248_message_t *)1;
        h248_error_t e;
        memset(&e, 0xAB, sizeof(e));
        int rc = h248_decode(buf, n, &a, &m, &e);
        if (rc != H248_ESYNTAX) fail_msg("case %zu: rc %d, want a syntax error:\n%s", i, rc, buf);
        assert_null(m);
        if (e.code != c->code || e.line != line || e.col != col || e.offset != off ||
            e.has_txn != (c->txn >= 0) || (c->txn >= 0 && e.txn_id != (uint32_t)c->txn) ||
            !strstr(e.reason, c->reason))
            fail_msg("case %zu: got %u:%u (offset %u) error %u txn %s%u \"%s\"; want %u:%u error %u txn %lld \"%s\"\n%s",
                     i, e.line, e.col, e.offset, e.code, e.has_txn ? "" : "none/", e.txn_id, e.reason, line,
                     col, c->code, (long long)c->txn, c->reason, buf);
        assert_true(strlen(e.reason) < sizeof(e.reason));
        free(buf);
        arena_reset(&a);
    }
    arena_free(&a);
}

static void line_ends_cr_lf_and_crlf_count_once_each(void **state)
{
    static const struct {
        const char *text;
        uint32_t line, col;
    } cases[] = {
        {"MEGACO/1 [192.0.2.1]\r\nTransaction = 1 {\r\n  Context = 1 {\r\n    Foo = t } }", 4, 5},
        {"MEGACO/1 [192.0.2.1]\rTransaction = 1 {\r  Context = 1 {\r    Foo = t } }", 4, 5},
        {"MEGACO/1 [192.0.2.1]\nTransaction = 1 {\n\n\tContext = 1 { Foo = t } }", 4, 16},
        {"; comment\r\n\r\nMEGACO/1 [192.0.2.1] T=1{C=1{Foo=t}}", 3, 30},
    };
    arena_t a;
    arena_init(&a, 0, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h248_message_t *m;
        h248_error_t e;
        assert_int_equal(h248_decode(cases[i].text, strlen(cases[i].text), &a, &m, &e), H248_ESYNTAX);
        assert_int_equal(e.code, 443);
        assert_int_equal(e.line, cases[i].line);
        assert_int_equal(e.col, cases[i].col);
    }
    arena_free(&a);
}

static void errors_in_later_transactions_name_that_transaction(void **state)
{
    const char *text = "!/1 [192.0.2.1] T=1{C=1{A=t}}T=2{C=2{A=t}}T=3{C=3{A=t{Bad}}}";
    arena_t a;
    arena_init(&a, 0, 0);
    h248_message_t *m;
    h248_error_t e;
    assert_int_equal(h248_decode(text, strlen(text), &a, &m, &e), H248_ESYNTAX);
    assert_true(e.has_txn);
    assert_int_equal(e.txn_kind, H248_TXN_REQUEST);
    assert_int_equal(e.txn_id, 3);
    assert_int_equal(e.code, 444);
    const char *reply = "!/1 [192.0.2.1] P=9{C=1{A=t{Bad}}}";
    assert_int_equal(h248_decode(reply, strlen(reply), &a, &m, &e), H248_ESYNTAX);
    assert_int_equal(e.txn_kind, H248_TXN_REPLY);
    assert_int_equal(e.txn_id, 9);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_error_reports_code_transaction_position_and_reason),
        cmocka_unit_test(line_ends_cr_lf_and_crlf_count_once_each),
        cmocka_unit_test(errors_in_later_transactions_name_that_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
