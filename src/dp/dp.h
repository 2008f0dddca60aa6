/* dp.h - THE SEAM between the control plane (src/mg) and the data plane (src/dp).
 *
 * The control plane turns contexts into gates and reaches the data plane only through the
 * calls below: gate open, modify and close requests, statistics read back, and events
 * (hanging termination) polled back. A request is a plain value: nothing in it points into
 * control-plane memory, so the data plane can run in worker threads now and in a kernel fast
 * path later. Nothing in src/mg touches a media socket.
 *
 * A gate is one stream of one termination: a local RTP port (even) and RTCP port (odd) with
 * its remote peer. Two gates with the same ctx_id and stream_id are peers: what reaches one
 * gate's local ports from its remote leaves from the peer gate's local ports towards the
 * peer's remote. A gate without a peer drops what it receives (counted).
 *
 * Threads: every dp_* call below is made by the control-plane thread only (one caller).
 * The data plane applies requests in its workers; calls return once the request is queued
 * (dp_gate_open binds the sockets first and reports a bind failure synchronously).
 *
 * Sockets outlive gates: a closed gate's RTP/RTCP pair stays bound, parked, and the next gate
 * on the same local address and port takes it over (what queued meanwhile is discarded), so
 * a call costs no socket(), bind() or close(). docs/dataplane.md, "Gate life cycle". */
#ifndef BGF_DP_H
#define BGF_DP_H
#include <stdbool.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "li/tap.h"

typedef struct dp dp_t;

typedef enum {
    DP_MODE_INACTIVE = 0, /* nothing in, nothing out */
    DP_MODE_SENDONLY,     /* the termination sends to its remote; media from the remote dropped */
    DP_MODE_RECVONLY,     /* media from the remote accepted; nothing sent towards the remote */
    DP_MODE_SENDRECV,
} dp_mode_t;

typedef struct dp_filter {
    bool addr_on;           /* gm/saf: accept only sources matching addr/mask */
    netaddr_t addr, mask;   /* gm/sam; when addr_on and addr unset: the remote address */
    bool port_on;           /* gm/spf: accept only source ports in [port_lo, port_hi] */
    uint16_t port_lo, port_hi; /* gm/spr; when port_on and both 0: the remote port */
} dp_filter_t;

typedef struct dp_policer {
    bool on;                /* tman/pol */
    uint32_t sdr;           /* tman/sdr, bytes/s */
    uint32_t mbs;           /* tman/mbs, bytes */
    uint32_t pdr;           /* tman/pdr, bytes/s, 0 = single rate */
    uint32_t dvt;           /* tman/dvt, microseconds, peak bucket depth = pdr*dvt */
} dp_policer_t;

typedef struct dp_gate_req {
    uint32_t gate_id;       /* chosen by the control plane, unique while open, != 0 */
    uint32_t ctx_id;        /* context; gates with equal ctx_id and stream_id are peers */
    uint16_t stream_id;
    netaddr_t local;        /* local address and RTP port (even); RTCP is port + 1 */
    netaddr_t remote_rtp;   /* remote RTP address; unset or port 0 = not yet known */
    netaddr_t remote_rtcp;  /* remote RTCP address; unset = remote_rtp with port + 1 */
    dp_mode_t mode;
    uint8_t dscp;           /* ds/dscp, 0..63 */
    bool latch;             /* ipnat/latch */
    dp_filter_t filter;
    dp_policer_t policer;
    uint32_t hang_timer_s;  /* hangterm/timerx, 0 = off */
    li_tap_conf_t tap;      /* interception (confidential: never logged) */
} dp_gate_req_t;

/* Which fields a modify changes. */
enum {
    DP_MOD_REMOTE = 1u << 0,
    DP_MOD_MODE = 1u << 1,
    DP_MOD_DSCP = 1u << 2,
    DP_MOD_LATCH = 1u << 3,
    DP_MOD_FILTER = 1u << 4,
    DP_MOD_POLICER = 1u << 5,
    DP_MOD_HANG = 1u << 6,
    DP_MOD_TAP = 1u << 7,
    /* Move: the gate joins context req->ctx_id in place. It leaves its peer (which has none
     * from then on) and pairs with the unpaired gate of its stream in the new context, if
     * there is one; it keeps its sockets, latched addresses, statistics, RTP/RTCP state,
     * policer and tap. May wait for a worker (the two gates on different workers). */
    DP_MOD_CONTEXT = 1u << 8,
};

/* Ordinary statistics of a gate (RTP + RTCP together unless split below). Never carries
 * interception counters. */
typedef struct dp_gate_stats {
    uint64_t pkts_in, octets_in;    /* received from the remote, accepted (rtp/pr, nt/or) */
    uint64_t pkts_out, octets_out;  /* sent towards the remote (rtp/ps, nt/os) */
    uint64_t rtcp_in, rtcp_out;     /* of which RTCP packets */
    uint64_t drop_filter, drop_mode, drop_policer, drop_malformed, drop_nopeer, drop_error;
    uint64_t rtp_lost;              /* rtp/pl: packets lost by sequence number */
    uint32_t jitter_us;             /* rtp/jit: RFC 3550 interarrival jitter, microseconds */
    uint64_t last_rx_ms;            /* CLOCK_MONOTONIC ms of the last accepted packet, 0 = none */
    netaddr_t latched_rtp, latched_rtcp; /* where the gate sends now (after latching) */
    uint64_t fast_pkts_in;          /* of pkts_in, relayed by the kernel fast path */
    uint32_t rtt_us;                /* rtp/delay: round trip to the remote, us, from the last
                                     * report block that answered an SR relayed to it (RFC 3550
                                     * 6.4.1); 0 = none yet. RTCP only: always exact */
} dp_gate_stats_t;

/* Kernel fast path (docs/dataplane.md, "Kernel fast path"). */
typedef enum {
    DP_FAST_PATH_OFF = 0,     /* every packet through the workers' sockets */
    DP_FAST_PATH_TC,          /* established gates relayed by a TC eBPF program (root) */
} dp_fast_path_t;

typedef struct dp_config {
    unsigned workers;         /* 0 = one per online core */
    uint32_t max_gates;       /* capacity: gates open at once */
    uint8_t default_dscp;
    bool default_latch;       /* used by the control plane when ipnat/latch is absent */
    uint32_t relatch_idle_ms; /* a latched source silent this long may be replaced (0 = never) */
    /* interception */
    li_sender_t *(*li_sender_for_worker)(unsigned worker, void *arg); /* NULL = no LI */
    void *li_arg;
    /* The interception calls of li/tap.h, given by the program (bgfd sets li_tap_copy and
     * li_tap_update) so that libbgf_dp does not link libbgf_li. li_copy NULL = no LI;
     * li_update NULL = the tap settings are copied and sequence numbers restarted on change. */
    int (*li_copy)(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *pkt);
    void (*li_update)(li_tap_t *tap, const li_tap_conf_t *conf);
    /* li_sender_kick: called at the end of every worker round (it does nothing unless the
     * round queued copies and their sender sleeps). NULL = nothing to do. */
    void (*li_kick)(li_sender_t *s);
    dp_fast_path_t fast_path; /* DP_FAST_PATH_TC: dp_start fails when it cannot be loaded */
    /* false (default): a gate is offloaded once RTP has been relayed through its socket, so
     * a call that never carries media costs the kernel's maps nothing; true: as soon as its
     * settings allow (tests that count what the kernel carried use it). */
    bool fast_path_eager;
    /* true: requests only queue, and the caller wakes the workers with dp_flush() once per
     * round of its event loop (one wake-up per batch of requests instead of one per request).
     * false: every request wakes its worker at once. */
    bool defer_wake;
} dp_config_t;

typedef enum { DP_EV_HANGTERM = 1 } dp_event_type_t;
typedef struct dp_event {
    dp_event_type_t type;
    uint32_t gate_id;
} dp_event_t;

/* Start the workers. Returns NULL and fills err on failure. */
dp_t *dp_start(const dp_config_t *cfg, char *err, size_t errlen);
void dp_stop(dp_t *dp);

/* Bind the gate's RTP and RTCP sockets and hand the gate to a worker.
 * 0, -EADDRINUSE (try another port), -ENOSPC (capacity), -EEXIST, other -errno. */
int dp_gate_open(dp_t *dp, const dp_gate_req_t *req);
/* Change the fields named in `what` (DP_MOD_*; DP_MOD_CONTEXT takes req->ctx_id, the
 * stream stays the gate's). 0 or -ENOENT. */
int dp_gate_modify(dp_t *dp, const dp_gate_req_t *req, unsigned what);
/* Close the gate (its sockets are parked for the next gate on the same port); last
 * statistics into `final` when not NULL: exact, i.e. every packet the gate forwarded and
 * nothing after the close. The call waits for the worker only when it must (the worker is
 * busy, or the kernel fast path carries the gate); otherwise it returns at once. */
int dp_gate_close(dp_t *dp, uint32_t gate_id, dp_gate_stats_t *final);
/* With defer_wake: wake the workers that have requests queued since the last call. */
void dp_flush(dp_t *dp);
/* Wait until the workers have applied every request queued so far. */
void dp_sync(dp_t *dp);
/* Current statistics (may lag the worker by one batch). 0 or -ENOENT. */
int dp_gate_stats(dp_t *dp, uint32_t gate_id, dp_gate_stats_t *out);
/* Pop up to max pending events (hanging terminations...). Returns the count. */
int dp_poll_events(dp_t *dp, dp_event_t *ev, int max);
/* An fd that becomes readable when events are pending (for the control plane's epoll). */
int dp_event_fd(dp_t *dp);
/* Gates open now. */
uint32_t dp_gate_count(dp_t *dp);

#endif
