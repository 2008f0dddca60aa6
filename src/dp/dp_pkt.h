/* dp_pkt.h - pure per-packet helpers of the data plane: RTP/RTCP header checks, the token
 * bucket policer, RTP loss and interarrival jitter (RFC 3550 A.1, A.3, A.8), compound RTCP
 * parsing and the RTCP round trip (RFC 3550 6.4). No allocation,
 * no locks, no system calls: each state belongs to one gate and is used by its worker only. */
#ifndef BGF_DP_PKT_H
#define BGF_DP_PKT_H
#include <stdbool.h>
#include <stdint.h>

#include "dp/dp.h"
#include "dp/rtp_math.h" /* dp_rtpstat_t, dp_pol_t and their per-packet arithmetic */

/* What a datagram is. */
enum { DP_PKT_BAD = -1, DP_PKT_RTP = 0, DP_PKT_RTCP = 1 };

/* Classify a datagram received on a gate's RTP port (rtcp_port false) or RTCP port.
 * RTP: version 2 and at least 12 bytes; RTCP: version 2 and at least 8 bytes. On the RTP port,
 * a packet type 192..223 is RTCP multiplexed on the RTP port (RFC 5761). */
int dp_pkt_classify(const uint8_t *p, uint32_t len, bool rtcp_port);

/* RTP clock rate (Hz) of a static payload type; 8000 for dynamic or unknown types. */
uint32_t dp_rtp_clock(uint8_t pt);

/* Set up from the request's policer (buckets start full). sdr 0 turns policing off;
 * mbs 0 means 1500 bytes. */
void dp_pol_init(dp_pol_t *pol, const dp_policer_t *conf, uint64_t now_ns);
/* Admit a packet of len bytes (takes tokens) or refuse it (takes nothing). */
bool dp_pol_admit(dp_pol_t *pol, uint32_t len, uint64_t now_ns);

/* Account one RTP packet (already checked by dp_pkt_classify) that arrived at now_ns. */
void dp_rtpstat_update(dp_rtpstat_t *s, const uint8_t *p, uint64_t now_ns);
/* Packets lost so far (RFC 3550 A.3: expected - received, never negative). */
uint64_t dp_rtpstat_lost(const dp_rtpstat_t *s);
/* Interarrival jitter in microseconds. */
uint32_t dp_rtpstat_jitter_us(const dp_rtpstat_t *s);

/* ---- RTCP (RFC 3550 6.4) ---- */

#define DP_RTCP_MAX_SR 4  /* sender reports kept from one compound packet */
#define DP_RTCP_MAX_RB 16 /* report blocks kept from one compound packet */

/* What a compound RTCP packet says that the relay uses. */
typedef struct dp_rtcp_info {
    unsigned npkt; /* RTCP packets in the compound */
    unsigned nsr, nrb;
    struct {
        uint32_t ssrc; /* sender */
        uint32_t ntp_mid; /* middle 32 bits of its NTP timestamp (what LSR echoes) */
    } sr[DP_RTCP_MAX_SR];
    struct {
        uint32_t ssrc; /* the source reported on */
        uint32_t lsr;  /* last SR timestamp received from it (0: none) */
        uint32_t dlsr; /* delay since that SR, 1/65536 s */
    } rb[DP_RTCP_MAX_RB];
} dp_rtcp_info_t;

/* Walk a compound RTCP packet p[0..len): each packet's version and length are checked against
 * what is left, and SR / RR lengths against their report count. SR sender information and the
 * report blocks of SR and RR packets are collected (past the arrays' room they are skipped);
 * other packet types are stepped over. Returns the number of RTCP packets, or -1 when a
 * header or length is wrong (out then holds what came before it). Reads nothing past len. */
int dp_rtcp_parse(const uint8_t *p, uint32_t len, dp_rtcp_info_t *out);

/* The round trip between the relay and one remote, from RTCP passing through (RFC 3550 6.4.1):
 * the SRs relayed towards the remote are remembered (sender SSRC, NTP middle bits, when); a
 * report block that comes back from it with that SSRC and LSR gives now - then - DLSR. */
#define DP_RTT_SR 4
typedef struct dp_rtt {
    struct {
        uint32_t ssrc, lsr;
        uint64_t ns; /* when it left towards the remote, 0 = slot unused */
    } sr[DP_RTT_SR];
    uint8_t next; /* slot the next SR takes (the oldest goes) */
} dp_rtt_t;

/* An SR of ssrc with NTP middle bits lsr left towards the remote at now_ns. */
void dp_rtt_sent(dp_rtt_t *r, uint32_t ssrc, uint32_t lsr, uint64_t now_ns);
/* A report block from the remote: the round trip in nanoseconds, or -1 when it answers no SR
 * remembered (LSR 0, unknown SSRC or LSR) or would be negative. */
int64_t dp_rtt_report(const dp_rtt_t *r, uint32_t ssrc, uint32_t lsr, uint32_t dlsr,
                      uint64_t now_ns);
/* One RTCP packet from a gate's remote that the relay passes on towards the peer's remote at
 * now_ns: its report blocks are matched against back (the SRs relayed towards this remote),
 * its SRs remembered in fwd (the peer's: they go on towards the peer's remote). Returns the
 * last round trip measured in microseconds, or -1 when none. */
int64_t dp_rtt_rtcp(dp_rtt_t *back, dp_rtt_t *fwd, const uint8_t *p, uint32_t len,
                    uint64_t now_ns);

#endif
