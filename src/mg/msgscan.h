/* msgscan.h - transaction boundaries in H.248 text, found by brace depth and the
 * transaction tokens (Transaction/T, Reply/P, Pending/PN, TransactionResponseAck/K) at depth
 * 0, without decoding. Pure. */
#ifndef BGF_MG_MSGSCAN_H
#define BGF_MG_MSGSCAN_H
#include <stdbool.h>
#include <stddef.h>

/* Start of the top-level transaction holding byte `at` (the last transaction token at depth 0
 * before it), or with first: the first transaction token (where the header ends). 0 = none. */
size_t mg_txn_text_start(const char *msg, size_t len, size_t at, bool first);
/* One past the closing brace of the transaction starting at `from`; 0 when its braces do not
 * balance within len. Quoted strings are skipped. */
size_t mg_txn_text_end(const char *msg, size_t len, size_t from);

#endif
