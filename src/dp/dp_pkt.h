/* dp_pkt.h - pure per-packet helpers of the data plane: RTP/RTCP header checks, the token
 * bucket policer, RTP loss and interarrival jitter (RFC 3550 A.1, A.3, A.8). No allocation,
 * no locks, no system calls: each state belongs to one gate and is used by its worker only. */
#ifndef BGF_DP_PKT_H
#define BGF_DP_PKT_H
#include <stdbool.h>
#include <stdint.h>

#include "dp/dp.h"

/* What a datagram is. */
enum { DP_PKT_BAD = -1, DP_PKT_RTP = 0, DP_PKT_RTCP = 1 };

/* Classify a datagram received on a gate's RTP port (rtcp_port false) or RTCP port.
 * RTP: version 2 and at least 12 bytes; RTCP: version 2 and at least 8 bytes. On the RTP port,
 * a packet type 192..223 is RTCP multiplexed on the RTP port (RFC 5761). */
int dp_pkt_classify(const uint8_t *p, uint32_t len, bool rtcp_port);

/* RTP clock rate (Hz) of a static payload type; 8000 for dynamic or unknown types. */
uint32_t dp_rtp_clock(uint8_t pt);

/* One token bucket: tokens in nano-bytes so that refill needs no division per packet. */
typedef struct dp_bucket {
    uint64_t tokens_nb; /* current tokens, bytes * 1e9 */
    uint64_t depth_nb;  /* bucket depth, bytes * 1e9 */
    uint64_t full_ns;   /* time to fill an empty bucket (caps the refill product) */
    uint64_t last_ns;   /* last refill */
    uint32_t rate;      /* bytes per second */
} dp_bucket_t;

typedef struct dp_pol {
    bool on;
    bool two_rate;
    dp_bucket_t c; /* committed: sdr, mbs */
    dp_bucket_t p; /* peak: pdr, pdr * dvt (at least one 1500-byte packet) */
} dp_pol_t;

/* Set up from the request's policer (buckets start full). sdr 0 turns policing off;
 * mbs 0 means 1500 bytes. */
void dp_pol_init(dp_pol_t *pol, const dp_policer_t *conf, uint64_t now_ns);
/* Admit a packet of len bytes (takes tokens) or refuse it (takes nothing). */
bool dp_pol_admit(dp_pol_t *pol, uint32_t len, uint64_t now_ns);

/* Receive statistics of one RTP stream (the remote's SSRC). */
typedef struct dp_rtpstat {
    bool init;
    uint8_t pt;
    uint16_t max_seq;
    uint32_t ssrc;
    uint32_t cycles;      /* sequence wraps * 65536 */
    uint32_t base_seq;
    uint32_t bad_seq;     /* RFC 3550 A.1: a large jump must repeat to be believed */
    uint32_t clock;       /* Hz, from the payload type */
    uint32_t prev_ts;
    uint64_t prev_arr_ns;
    uint64_t received;    /* packets counted for this SSRC */
    uint64_t lost_before; /* loss of earlier SSRCs / sequence restarts */
    uint64_t jitter16_ns; /* 16 * jitter, nanoseconds */
} dp_rtpstat_t;

/* Account one RTP packet (already checked by dp_pkt_classify) that arrived at now_ns. */
void dp_rtpstat_update(dp_rtpstat_t *s, const uint8_t *p, uint64_t now_ns);
/* Packets lost so far (RFC 3550 A.3: expected - received, never negative). */
uint64_t dp_rtpstat_lost(const dp_rtpstat_t *s);
/* Interarrival jitter in microseconds. */
uint32_t dp_rtpstat_jitter_us(const dp_rtpstat_t *s);

#endif
