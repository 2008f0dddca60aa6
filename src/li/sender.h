/* sender.h - private to src/li: the per-worker sender of copies and its LI-only counters, as
 * tap.c, li_ctl and the tests see them.
 *
 * A worker turns a forwarded packet of a tapped gate into its copies (li_tap_copy, tap.c) and
 * puts them in the sender's queue, a single-producer single-consumer byte ring; the sender's
 * own thread takes them out and hands them to the kernel. The worker thus spends a few
 * hundred nanoseconds of memcpy on a tapped packet, never a system call: packets of other
 * calls that arrive meanwhile are not held up by the copies (docs/lawful-interception.md). */
#ifndef BGF_LI_SENDER_H
#define BGF_LI_SENDER_H
#include <netinet/in.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "li/li.h"
#include "li/x3.h"

#define LI_COUNT_SLOTS 256 /* distinct target ids counted per worker; more go to "other" */
#define LI_PKT_MAX 65536   /* largest mirrored IP packet built */
#define LI_QUEUE_DEFAULT (4u << 20) /* bytes of queued copies per worker ([li] queue_kb) */
#define LI_QUEUE_MIN (1u << 20)
#define LI_BATCH 64        /* datagrams per sendmmsg of the send thread */

typedef struct li_seq_table li_seq_table_t;

/* Copies per target id, written by the send thread only, read by li_ctl (relaxed). */
typedef struct li_target_count {
    uint32_t target;   /* valid once used != 0 */
    uint32_t used;     /* release-stored after target */
    uint64_t copies;
    uint64_t bytes;    /* X3 UDP payload bytes */
} li_target_count_t;

/* Each field has one writer (named) and is read by li_ctl with relaxed loads. */
typedef struct li_sender_stats {
    uint64_t copies, bytes, send_errors, other_copies; /* send thread: handed to the kernel */
    uint64_t gso_sends;   /* send thread: packets whose copies left in one segmented send */
    uint64_t too_big;     /* worker: mirrored packet too large for one X3 datagram */
    uint64_t queue_full;  /* worker: copies dropped because the queue had no room */
} li_sender_stats_t;

/* One queued packet's copies: the datagrams back to back after this header. A record starts
 * on a 64-byte boundary; size 0 marks the unused end of the ring (the next record is at its
 * start). */
typedef struct li_rec {
    uint32_t size;                      /* bytes of the whole record, a multiple of 64 */
    uint16_t n;                         /* copies, 1..LI_MAX_TARGETS */
    uint16_t tos;                       /* outer IP TOS: the gate's DSCP */
    uint16_t len[LI_MAX_TARGETS];       /* datagram lengths */
    uint32_t targets[LI_MAX_TARGETS];   /* target id of each copy (counters) */
    uint8_t data[];
} li_rec_t;

struct li_sender {
    /* read-only after li_sender_new */
    int fd;                          /* bound to df_src, used by the send thread only */
    int efd;                         /* eventfd: the worker wakes the send thread */
    li_format_t format;
    li_point_t point;
    li_seq_table_t *seqs;            /* set by li_ctl before use; NULL = per tap */
    char domain[X3_DOMAIN_MAX + 1];  /* network operator id */
    struct sockaddr_in dst;          /* the delivery function */
    bool gso;                        /* [li] gso asked for */
    uint8_t *q;                      /* the ring */
    uint64_t qsize;                  /* a power of two */
    pthread_t thread;
    bool running;
    /* the ring's positions (bytes since start) and the sleep handshake */
    alignas(64) _Atomic uint64_t head; /* producer (worker) */
    bool kick;                         /* producer: queued since the last li_sender_kick */
    alignas(64) _Atomic uint64_t tail; /* consumer (send thread) */
    alignas(64) _Atomic bool sleeping; /* send thread asleep on efd, or about to be */
    _Atomic bool stop;
    /* owner: worker - scratch for one packet's copies */
    uint8_t pkt[LI_PKT_MAX];
    uint8_t hdr[LI_MAX_TARGETS][X3_HDR_MAX];
    /* owner: send thread */
    bool no_gso;                     /* GSO refused once: one datagram each from then on */
    struct mmsghdr msgs[LI_BATCH];   /* the copies of consecutive queued packets */
    struct iovec iov[LI_BATCH];
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cmsg[LI_BATCH];
    uint32_t btarget[LI_BATCH];      /* each datagram's target id, for the counters */
    li_sender_stats_t st;
    li_target_count_t counts[LI_COUNT_SLOTS];
};

/* A sender bound to conf->df_src (SO_REUSEPORT, so every worker may share the source port),
 * sending to conf->df_dst, with its queue and send thread running. NULL with err set. */
li_sender_t *li_sender_new(const li_conf_t *conf, char *err, size_t errlen);
/* Sends what is still queued, stops the thread, frees. The worker must have stopped. */
void li_sender_free(li_sender_t *s);
/* Wait until every queued copy has been handed to the kernel (kicks first): 0, or -ETIMEDOUT
 * after timeout_ms. For tests and tools that read counters or captures right after copying. */
int li_sender_sync(li_sender_t *s, int timeout_ms);
void li_sender_stats(const li_sender_t *s, li_sender_stats_t *out);
/* Calls fn for every target id this sender has counted. */
void li_sender_each_target(const li_sender_t *s,
                           void (*fn)(uint32_t target, uint64_t copies, uint64_t bytes, void *arg),
                           void *arg);

/* Worker side of the queue (tap.c): room for a record with `bytes` of datagrams, or NULL when
 * full; li_queue_commit publishes it to the send thread. */
li_rec_t *li_queue_reserve(li_sender_t *s, size_t bytes);
void li_queue_commit(li_sender_t *s, li_rec_t *r);

/* Single-writer counter bump that a reader on another thread may load at any time. */
static inline void li_bump(uint64_t *c, uint64_t by)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + by, __ATOMIC_RELAXED);
}

/* Sequence numbers shared per correlation ID + target across taps and workers (seq.c). */
li_seq_table_t *li_seq_new(size_t entries);
void li_seq_free(li_seq_table_t *t);
/* li_ctl, under its mutex: one more (delta > 0) or fewer (delta < 0) gate uses cid + target.
 * A new entry starts at sequence 0; one no gate uses is retired but keeps counting (late
 * copies, the same stream tapped again) until its slot is taken for another stream. */
void li_seq_ref(li_seq_table_t *t, uint64_t cid, uint32_t target, int delta);
/* Worker: the next sequence number for cid + target; *local is the tap's own counter, used
 * (and kept in step) when the table has no entry. */
uint32_t li_seq_next(li_seq_table_t *t, uint64_t cid, uint32_t target, uint32_t *local);
/* Copies from this sender take their sequence numbers from t (NULL: per tap only). */
void li_sender_set_seq(li_sender_t *s, li_seq_table_t *t);

#endif
