/* dp_int.h - the data plane's private structures: gate pool, per-worker context, control
 * rings, published statistics. Shared between dp.c (control thread) and dp_worker.c
 * (workers). Every shared field says who owns it. */
#ifndef BGF_DP_INT_H
#define BGF_DP_INT_H
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "dp/dp.h"
#include "dp/dp_pkt.h"
#include "dp/fastpath.h"

#define DP_BATCH 64        /* datagrams per recvmmsg / sendmmsg */
#define DP_PKT_MAX 2048    /* receive buffer per datagram; longer ones are dropped */
#define DP_EVENTS 256      /* epoll events per wait */
#define DP_RING 1024       /* control messages queued per worker */
#define DP_EVRING 4096     /* events queued per worker towards the control thread */
#define DP_SCAN_MS 100     /* hanging-termination scan period */
#define DP_CACHELINE 64

/* Single-producer single-consumer ring of fixed-size entries. */
typedef struct dp_ring {
    alignas(DP_CACHELINE) _Atomic uint32_t head; /* written by the producer */
    alignas(DP_CACHELINE) _Atomic uint32_t tail; /* written by the consumer */
    alignas(DP_CACHELINE) uint32_t mask;         /* read-only after start */
    uint32_t esz;
    uint8_t *buf;
} dp_ring_t;

int dp_ring_init(dp_ring_t *r, uint32_t n, uint32_t esz);
void dp_ring_free(dp_ring_t *r);
bool dp_ring_push(dp_ring_t *r, const void *e);
bool dp_ring_pop(dp_ring_t *r, void *e);
/* True when nothing is queued (consumer side: sees every push published before it). */
bool dp_ring_empty(dp_ring_t *r);

typedef enum {
    DP_MSG_OPEN = 1,
    DP_MSG_MODIFY,
    DP_MSG_CLOSE,
    DP_MSG_EVICT,
    DP_MSG_DETACH, /* give the gate up to another worker (DP_MOD_CONTEXT, see dp_gate_modify) */
    DP_MSG_STOP
} dp_msg_type_t;

/* w->pair_slot values besides a gate's slot */
#define DP_PAIR_NONE (-2)   /* not registered with this worker */
#define DP_PAIR_PARKED (-1) /* registered, no gate: what arrives is dropped */

/* A control request as a worker sees it: a plain value. */
typedef struct dp_msg {
    dp_msg_type_t type;
    unsigned what;       /* DP_MOD_* for MODIFY */
    int32_t slot;        /* gate pool index */
    int32_t peer;        /* OPEN, MODIFY with DP_MOD_CONTEXT: the (new) peer's slot or -1 */
    int32_t pair;        /* OPEN, EVICT: the socket pair in the pool */
    int from_worker;     /* OPEN: the worker the pair is registered with, -1 = none yet;
                          * MODIFY with DP_MOD_CONTEXT: the worker that gave the gate up
                          * (DETACH applied there), -1 = the gate stays on this worker */
    int fd[2];           /* OPEN: bound RTP, RTCP sockets, lent to the worker until CLOSE;
                          * EVICT: the parked pair's sockets, for the worker to close */
    bool set_dscp;       /* OPEN: the parked pair marks another DSCP: set req.dscp */
    int fp_if;           /* OPEN: interface of the local address with the fast path, 0 = none */
    uint64_t seq;        /* completion number, see dp_worker_t.done */
    dp_gate_req_t req;
} dp_msg_t;

/* Statistics as published by the worker: seqlock, single writer, words copied with relaxed
 * atomics so readers never block the worker. */
#define DP_STATS_WORDS ((sizeof(dp_gate_stats_t) + 7) / 8)
typedef struct dp_pub {
    _Atomic uint32_t seq;                  /* odd while the worker writes */
    /* 1 once the kernel fast path has carried the gate: only then do its maps hold anything
     * of this slot (set by the worker before it offloads; cleared by control at open) */
    _Atomic uint32_t fp_used;
    _Atomic uint64_t w[DP_STATS_WORDS];    /* owner: the gate's worker (writer) */
} dp_pub_t;

void dp_pub_write(dp_pub_t *p, const dp_gate_stats_t *s);
void dp_pub_read(const dp_pub_t *p, dp_gate_stats_t *s);

/* One direction-independent half of a gate: its RTP (0) or RTCP (1) socket. */
typedef struct dp_chan {
    int fd;
    netaddr_t local;      /* bound address */
    netaddr_t remote;     /* configured remote (RTCP: explicit only) */
    netaddr_t latched;    /* learnt source, unset = not latched */
    netaddr_t dest;       /* where this gate sends now, unset = nowhere */
    uint64_t latched_ns;  /* last packet from the latched source */
    uint16_t port_lo, port_hi; /* resolved source port filter */
} dp_chan_t;

/* A gate. owner: the worker it was handed to (from its OPEN until its CLOSE). */
typedef struct dp_gate {
    uint32_t gate_id, ctx_id;
    uint16_t stream_id;
    int32_t pair;        /* its socket pair (the epoll tag of its sockets) */
    int32_t peer;        /* slot of the peer gate (same worker), -1 = none */
    uint32_t wpos;       /* index in the worker's gate list */
    dp_mode_t mode;
    uint8_t dscp;
    bool latch;
    bool dirty;          /* statistics changed since last published */
    bool hang_fired;     /* hangterm reported for the current silence */
    bool addr_filter, port_filter;
    netaddr_t f_addr, f_mask; /* resolved address filter */
    dp_filter_t filter;  /* as configured (re-resolved when the remote changes) */
    dp_chan_t ch[2];
    dp_pol_t pol;
    dp_rtpstat_t rs;
    dp_rtt_t rtt;        /* SRs relayed towards this gate's remote (rtp/delay) */
    uint64_t hang_ns;    /* 0 = off */
    uint64_t active_ns;  /* last accepted packet, or when the hang timer was (re)armed */
    dp_gate_stats_t st;  /* working copy, published into the pool's dp_pub_t */
    int fp_if;           /* fast path on the local address's interface (0 = none) */
    bool fp_on[2];       /* channel offloaded to the kernel fast path */
    bool fp_dirty;       /* latching changed: re-decide the offload after this batch */
    bool fp_media;       /* RTP has been relayed through the socket: may be offloaded */
    li_tap_t tap;        /* confidential: never logged, never in st */
} dp_gate_t;

struct dp_worker;

/* The control thread's record of a slot. owner: control thread. */
typedef struct dp_ctl {
    bool used;
    uint32_t gate_id, ctx_id;
    uint16_t stream_id;
    int32_t peer;
    int32_t next_id, next_ctx; /* hash chains */
    int32_t pair;        /* its socket pair in the pool */
    uint16_t worker;
} dp_ctl_t;

/* A bound RTP/RTCP socket pair. Registered with one worker's epoll from its first gate on;
 * between gates it is parked there (still bound, so the port stays ours; what arrives is
 * dropped), and the next gate on the port takes it over: on the same worker without a
 * system call, on another by moving the registration. Closed when the pool is full (oldest
 * parked first) or at stop. owner: control thread. */
typedef struct dp_pair {
    netaddr_t local;     /* address and RTP port */
    int fd[2];
    uint8_t dscp;        /* what the sockets mark now */
    bool in_use;
    int worker;          /* the worker it is registered with (-1 = none yet) ... */
    uint64_t park_seq;   /* ... and, parked, its CLOSE there: free once that is applied */
    int32_t next;        /* hash chain */
    int32_t lru_prev, lru_next; /* parked pairs, oldest first */
} dp_pair_t;

/* A closed gate's slot waits here until its worker has applied the CLOSE. */
typedef struct dp_pend {
    int32_t slot;
    uint16_t worker;
    uint64_t seq;
} dp_pend_t;

typedef struct dp_worker {
    alignas(DP_CACHELINE) dp_ring_t in;   /* control -> worker requests */
    dp_ring_t ev;                         /* worker -> control events */
    alignas(DP_CACHELINE) _Atomic uint64_t done; /* seq of the last request applied */
    /* true while the worker is in (or about to enter) a blocking epoll_wait: the control
     * thread writes wakefd only then. owner: this worker; read by the control thread. Both
     * sides use seq_cst fences between their store and load (see send_msg, dp_worker_main). */
    _Atomic bool sleeping;
    bool unkicked;       /* requests queued since the last wake-up. owner: control thread */
    uint64_t last_seq;   /* the newest request queued. owner: control thread */
    alignas(DP_CACHELINE) struct dp *dp;  /* read-only after start */
    unsigned idx;
    int epfd, wakefd;
    pthread_t th;
    bool started;
    li_sender_t *li;
    /* owner: this worker */
    int32_t *list;       /* slots of this worker's gates */
    uint32_t nlist;
    uint64_t *hang_at;   /* per list position: earliest hangterm expiry, see hang_scan */
    int32_t *dirty;      /* gates whose statistics changed this round */
    uint32_t ndirty;
    uint64_t next_scan_ns;
    int32_t *pair_slot;  /* per pool pair: the gate that has it, or DP_PAIR_NONE / _PARKED */
    int *pair_fd;        /* per pool pair: its RTP and RTCP sockets, while registered here */
    uint64_t parked_drops; /* datagrams dropped by parked pairs */
    uint64_t ev_lost;
    uint8_t (*buf)[DP_PKT_MAX];
    struct mmsghdr rx[DP_BATCH], tx[DP_BATCH];
    struct iovec rxiov[DP_BATCH], txiov[DP_BATCH];
    netaddr_t src[DP_BATCH];
    uint16_t txidx[DP_BATCH];
    bool sent[DP_BATCH];
    uint8_t kind[DP_BATCH];     /* DP_PKT_RTP or DP_PKT_RTCP of each received datagram */
    void *fpbuf;                /* per-CPU counter buffer for the fast path's map reads */
} dp_worker_t;

struct dp {
    dp_config_t cfg;           /* read-only after start */
    unsigned nworkers;
    uint32_t max_gates;
    uint64_t relatch_ns;
    dp_gate_t *gates;          /* pool: each slot owned by its worker while open */
    dp_pub_t *pub;             /* per slot: written by the worker, read by control */
    dp_worker_t *w;
    int evfd;                  /* readable when events are pending (any thread writes) */
    dp_fp_t *fp;               /* kernel fast path, NULL = off (maps: any thread) */
    void *fpbuf;               /* owner: control thread (statistics reads) */
    /* owner: control thread */
    dp_ctl_t *ctl;
    int32_t *free_slots;
    uint32_t nfree;
    int32_t *h_id, *h_ctx;     /* hash heads */
    uint32_t hmask;
    dp_pair_t *pairs;          /* socket pool: max_gates in use + as many parked */
    uint32_t npairs;           /* entries ever used (a prefix of pairs[]) */
    int32_t *h_pair;           /* hash heads, by local address and port */
    int32_t lru_head, lru_tail; /* parked pairs */
    dp_pend_t *pend;           /* ring of slots waiting for their CLOSE, FIFO */
    uint32_t pend_head, npend;
    uint32_t count;
    uint64_t seq;
};

void *dp_worker_main(void *arg);
uint64_t dp_now_ns(void);
/* Apply the DSCP to a socket of the given family. */
int dp_set_dscp(int fd, int family, uint8_t dscp);
/* The worker a context's first gate goes to when its port has no parked pair (dp.c). */
unsigned dp_ctx_worker(const dp_t *dp, uint32_t ctx_id);

#endif
