/* tap.h - what a gate request carries for lawful interception, and what the data plane
 * calls when a tapped gate forwards a packet. The control plane fills li_tap_conf_t (after
 * li_licn_decrypt); the data plane copies it into the gate and, for every packet the gate
 * actually forwards, calls li_tap_copy(). Nothing else of interception is visible to dp.
 *
 * Confidential: nothing here may reach ordinary logs, statistics or audits. */
#ifndef BGF_LI_TAP_H
#define BGF_LI_TAP_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/netaddr.h"

#define LI_MAX_TARGETS 7

/* Where a copy is taken (configuration [li] mirror_point). */
typedef enum {
    LI_POINT_NATURAL = 0, /* from target: as received (before NAT); to target: as sent (after NAT) */
    LI_POINT_BEFORE_NAT,  /* every copy as it arrived at bgfd */
    LI_POINT_AFTER_NAT,   /* every copy as it left bgfd */
} li_point_t;

/* Interception settings of one gate, passed by value through the seam. */
typedef struct li_tap_conf {
    bool active;                       /* false: no interception on this gate */
    uint64_t cid;                      /* decrypted correlation number, != 0 when active */
    uint8_t ntargets;                  /* 1..LI_MAX_TARGETS when active */
    uint32_t targets[LI_MAX_TARGETS];  /* target ids from li/LITID */
} li_tap_conf_t;

/* Per-gate tap state, embedded in the gate and owned by the gate's worker. */
typedef struct li_tap {
    li_tap_conf_t conf;
    uint32_t seq[LI_MAX_TARGETS];      /* X3 sequence number per XID + correlation ID */
} li_tap_t;

/* Direction of a copy relative to the target (the termination that carries the tap). */
typedef enum { LI_DIR_FROM_TARGET = 3, LI_DIR_TO_TARGET = 2 } li_dir_t;

/* One forwarded packet, seen at both mirror points: its UDP payload (unchanged by the relay)
 * and the transport addresses of the IP/UDP header it arrived with (before NAT) and left with
 * (after NAT). li picks the point from the direction and the configured mirror point. */
typedef struct li_packet {
    const uint8_t *payload;
    uint32_t len;
    const netaddr_t *in_src, *in_dst;   /* as it arrived at bgfd */
    const netaddr_t *out_src, *out_dst; /* as it left bgfd */
    struct timespec ts;                 /* CLOCK_REALTIME when it arrived */
    uint8_t dscp;                       /* DSCP of the gate (copies carry it too) */
} li_packet_t;

typedef struct li_sender li_sender_t;  /* per-worker: buffers and the X3 socket */

/* Apply new settings to a gate's tap (worker thread, on a gate modify). Keeps sequence
 * numbers when the correlation id and targets are unchanged. */
void li_tap_update(li_tap_t *tap, const li_tap_conf_t *conf);

/* Copy one forwarded packet to the delivery function, once per target (worker thread, per
 * packet: no allocation, no lock, no system call): the copies are made into the sender's
 * queue and sent by its own thread. Returns the copies queued, 0 when the tap is off, or
 * -EMSGSIZE / -ENOBUFS (queue full: counted, the sequence numbers skip them). */
int li_tap_copy(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *pkt);

/* Worker thread, at the end of each round: wakes the send thread if copies were queued since
 * the last call and it sleeps (one eventfd write at most; otherwise a load and a return). */
void li_sender_kick(li_sender_t *s);

#endif
