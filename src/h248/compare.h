/* compare.h - structural equality of H.248 message trees, for round-trip tests, interop checks
 * and retransmission detection. Pure, any thread. */
#ifndef BGF_H248_COMPARE_H
#define BGF_H248_COMPARE_H
#include <stdbool.h>
#include <stddef.h>

#include "h248/h248.h"

/* True when a and b mean the same message: every node and field compared, names as text
 * (byte for byte), SDP text up to indentation, blank lines and line ends (or by structure when
 * parsed). Decoder-only bookkeeping is ignored: h248_txn_t.raw and the H248_PROP_STREAM_LEVEL
 * flag (the standard form moves such properties into LocalControl). When they differ and why is not
 * NULL, a short path to the first difference ("txn 1 / action 1 / cmd 2 / desc 1: kind") is written
 * there. */
bool h248_equal(const h248_message_t *a, const h248_message_t *b, char *why, size_t whylen);

#endif
