/* encode_int.h - what encode.c and encode_desc.c share: the token list, the output state
 * and its primitives, and the writers each calls in the other. Not an interface: nothing
 * outside src/h248/encode.c and encode_desc.c includes it. Any thread. */
#ifndef BGF_H248_ENCODE_INT_H
#define BGF_H248_ENCODE_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "h248/h248.h"

/* clang-format off */
typedef enum {
    T_ADD, T_MODIFY, T_SUBTRACT, T_MOVE, T_AUDIT_VALUE, T_AUDIT_CAP, T_NOTIFY, T_SERVICE_CHANGE,
    T_CONTEXT, T_TRANSACTION, T_REPLY, T_PENDING, T_RESPONSE_ACK, T_ERROR, T_VERSION,
    T_PROFILE, T_MEDIA, T_STREAM, T_LOCAL, T_REMOTE, T_LOCAL_CONTROL, T_MODE, T_SENDONLY,
    T_RECVONLY, T_SENDRECV, T_INACTIVE, T_LOOPBACK, T_RESERVED_VALUE, T_RESERVED_GROUP,
    T_TERMINATION_STATE, T_SERVICE_STATES, T_IN_SERVICE, T_OUT_OF_SERVICE, T_TEST, T_BUFFER,
    T_LOCKSTEP, T_EVENTS, T_SIGNALS, T_OBSERVED_EVENTS, T_STATISTICS, T_EVENT_BUFFER,
    T_DIGITMAP, T_EMBED, T_KEEP_ACTIVE, T_SIGNAL_LIST, T_SIGNAL_TYPE, T_DURATION, T_ONOFF,
    T_TIMEOUT, T_BRIEF, T_NOTIFY_COMPLETION, T_INT_BY_EVENT, T_INT_BY_SIGS, T_OTHER_REASON,
    T_ITERATION, T_AUDIT, T_PACKAGES, T_SERVICES, T_AUTH, T_METHOD, T_REASON, T_DELAY,
    T_SC_ADDRESS, T_MGC_ID, T_RESTART, T_FORCED, T_GRACEFUL, T_FAILOVER, T_DISCONNECTED,
    T_HANDOFF, T_TOPOLOGY, T_BOTHWAY, T_ISOLATE, T_ONEWAY, T_ONEWAY_EXT, T_ONEWAY_BOTH,
    T_PRIORITY, T_EMERGENCY, T_EMERGENCY_OFF, T_EMERGENCY_VALUE, T_IEPS, T_IMM_ACK, T_MUX,
    T_MODEM, T_CONTEXT_AUDIT, T_CONTEXT_ATTR, T_CONTEXT_LIST, T_AND_LGC, T_OR_LGC, T_ON, T_OFF,
    T_SEGMENT, T_SEG_COMPLETE, T_SC_INC, T_DIRECTION, T_EXTERNAL, T_INTERNAL, T_BOTH,
    T_REQUEST_ID, T_INTSIG_DELAY, T_NOTIFY_IMMEDIATE, T_NOTIFY_REGULATED, T_NEVER_NOTIFY,
    T_RESET_EVENTS, T_MTP,
    T_COUNT
} tok_t;
/* clang-format on */

typedef struct enc {
    char *buf;
    size_t cap, len; /* len counts every byte, also those past cap */
    bool compact;
    bool first; /* no item written yet in the innermost open brace */
    int depth;
    uint8_t ver;
    int err; /* H248_EINVAL once something could not be encoded */
} enc_t;

static inline void put(enc_t *e, const char *s, size_t n)
{
    if (n && e->len <= e->cap && n <= e->cap - e->len) memcpy(e->buf + e->len, s, n);
    e->len += n;
}

static inline void putc_(enc_t *e, char c)
{
    if (e->len < e->cap) e->buf[e->len] = c;
    e->len++;
}

static inline void puts_(enc_t *e, const char *s)
{
    put(e, s, strlen(s));
}

static inline void put_str(enc_t *e, h248_str_t s)
{
    put(e, s.p, s.len);
}

/* encode.c: output primitives, properties and small parts */
void enc_put_u32(enc_t *e, uint32_t v);
void enc_tk(enc_t *e, tok_t t);
void enc_eq(enc_t *e);
void enc_lb(enc_t *e);
void enc_item(enc_t *e);
void enc_rb(enc_t *e);
void enc_put_value(enc_t *e, const h248_value_t *v);
void enc_put_props(enc_t *e, const h248_prop_t *p);
void enc_put_mid(enc_t *e, const h248_mid_t *m);
void enc_put_tid(enc_t *e, const h248_termid_t *t);
void enc_tok_num(enc_t *e, tok_t t, uint32_t v);
void enc_tok_tok(enc_t *e, tok_t t, tok_t v);
void enc_put_error(enc_t *e, const h248_error_desc_t *er);

/* encode_desc.c: one descriptor */
void enc_put_desc(enc_t *e, const h248_desc_t *d);

#endif
