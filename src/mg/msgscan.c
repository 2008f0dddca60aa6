/* msgscan.c - find transaction boundaries in H.248 text without decoding it, so that the
 * transactions around a broken one can still be answered and long replies cut. Pure, any
 * thread. */
#include "mg/msgscan.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Where the top-level transaction holding byte `at` starts: the last "Transaction"/"T" (or
 * Reply, Pending, TransactionResponseAck) token at brace depth 0 before it (with first: the
 * first such token, where the header ends); 0 when none. */
size_t mg_txn_text_start(const char *msg, size_t len, size_t at, bool first)
{
    static const char *const kw[] = {
        "TransactionResponseAck", "Transaction", "Pending", "Reply", "PN", "T", "P", "K"};
    size_t found = 0;
    int depth = 0;
    bool quoted = false;
    for (size_t i = 0; i < len && i < at; i++) {
        char c = msg[i];
        if (quoted) {
            if (c == '"') quoted = false;
            continue;
        }
        if (c == '"')
            quoted = true;
        else if (c == '{')
            depth++;
        else if (c == '}')
            depth--;
        else if (depth == 0 && isalpha((unsigned char)c) &&
                 (i == 0 || !isalnum((unsigned char)msg[i - 1]))) {
            for (size_t k = 0; k < sizeof(kw) / sizeof(kw[0]); k++) {
                size_t n = strlen(kw[k]), j = i + n;
                if (j > len || strncasecmp(msg + i, kw[k], n) != 0) continue;
                while (j < len &&
                       (msg[j] == ' ' || msg[j] == '\t' || msg[j] == '\r' || msg[j] == '\n'))
                    j++;
                if (j < len && (msg[j] == '=' || msg[j] == '{')) {
                    found = i;
                    if (first) return found;
                }
                break;
            }
        }
    }
    return found;
}

/* End (one past its closing brace) of the transaction starting at `from`, or 0 when its
 * braces do not balance within the message. */
size_t mg_txn_text_end(const char *msg, size_t len, size_t from)
{
    int depth = 0;
    bool quoted = false, opened = false;
    for (size_t i = from; i < len; i++) {
        char c = msg[i];
        if (quoted) {
            if (c == '"') quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '{') {
            depth++, opened = true;
        } else if (c == '}' && --depth == 0 && opened) {
            return i + 1;
        }
    }
    return 0;
}
