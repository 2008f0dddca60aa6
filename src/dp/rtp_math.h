/* rtp_math.h - the per-packet arithmetic of a gate's RTP channel, written once for both
 * paths that run it: the worker (dp_pkt.c) and the kernel fast path (bpf/fastpath.bpf.c).
 *   - receive statistics of one RTP stream: RFC 3550 A.1 sequence tracking (without
 *     probation), A.3 loss, A.8 interarrival jitter (J += (|D| - J) / 16, kept as 16 * J ns);
 *   - the token-bucket policer, single rate (sdr, mbs) or two rate (and pdr, pdr * dvt).
 * The state structs are plain fixed-width integers with explicit padding: the kernel keeps
 * them in a map value beside its spin lock (struct fp_rtp, fastpath_abi.h) and the loader
 * copies them in and out whole. The functions are always inlined and use no libc, no
 * floating point, no loop, no signed division (BPF before v4 has none) and no call, so that
 * the BPF verifier accepts them inside bpf_spin_lock. The caller owns the state: one worker,
 * or the kernel under the lock. */
#ifndef BGF_DP_RTP_MATH_H
#define BGF_DP_RTP_MATH_H

#ifdef __bpf__
#include <linux/types.h>
typedef __u8 dp_u8;
typedef __u16 dp_u16;
typedef __u32 dp_u32;
typedef __s32 dp_s32;
typedef __u64 dp_u64;
typedef __s64 dp_s64;
#else
#include <stdint.h>
typedef uint8_t dp_u8;
typedef uint16_t dp_u16;
typedef uint32_t dp_u32;
typedef int32_t dp_s32;
typedef uint64_t dp_u64;
typedef int64_t dp_s64;
#endif

#define DP_RM_INLINE static inline __attribute__((always_inline))
#define DP_RM_NS_PER_S 1000000000ull
#define DP_RM_MAX_DROPOUT 3000
#define DP_RM_MAX_MISORDER 100
#define DP_RM_SEQ_MOD 65536u

/* Receive statistics of one RTP stream (the remote's SSRC). */
typedef struct dp_rtpstat {
    dp_u8 init;
    dp_u8 pt;
    dp_u16 max_seq;
    dp_u32 ssrc;
    dp_u32 cycles;      /* sequence wraps * 65536 */
    dp_u32 base_seq;
    dp_u32 bad_seq;     /* RFC 3550 A.1: a large jump must repeat to be believed */
    dp_u32 clock;       /* Hz, from the payload type */
    dp_u32 prev_ts;
    dp_u32 pad;
    dp_u64 prev_arr_ns;
    dp_u64 received;    /* packets counted for this SSRC */
    dp_u64 lost_before; /* loss of earlier SSRCs / sequence restarts */
    dp_u64 jitter16_ns; /* 16 * jitter, nanoseconds */
} dp_rtpstat_t;

/* One token bucket: tokens in nano-bytes so that refill needs no division per packet. */
typedef struct dp_bucket {
    dp_u64 tokens_nb; /* current tokens, bytes * 1e9 */
    dp_u64 depth_nb;  /* bucket depth, bytes * 1e9 */
    dp_u64 full_ns;   /* time to fill an empty bucket (caps the refill product) */
    dp_u64 last_ns;   /* last refill */
    dp_u32 rate;      /* bytes per second */
    dp_u32 pad;
} dp_bucket_t;

typedef struct dp_pol {
    dp_u8 on;
    dp_u8 two_rate;
    dp_u8 pad[6];
    dp_bucket_t c; /* committed: sdr, mbs */
    dp_bucket_t p; /* peak: pdr, pdr * dvt (at least one 1500-byte packet) */
} dp_pol_t;

/* The fields of an RTP header the statistics use. */
typedef struct dp_rtp_hdr {
    dp_u8 pt;
    dp_u16 seq;
    dp_u32 ts, ssrc;
} dp_rtp_hdr_t;

/* Read them from p (12 bytes, checked by the caller). */
DP_RM_INLINE void dp_rm_hdr(dp_rtp_hdr_t *h, const dp_u8 *p)
{
    h->pt = p[1] & 0x7f;
    h->seq = (dp_u16)(p[2] << 8 | p[3]);
    h->ts = (dp_u32)p[4] << 24 | (dp_u32)p[5] << 16 | (dp_u32)p[6] << 8 | p[7];
    h->ssrc = (dp_u32)p[8] << 24 | (dp_u32)p[9] << 16 | (dp_u32)p[10] << 8 | p[11];
}

/* RTP clock rate (Hz) of a static payload type; 8000 for dynamic or unknown types. */
DP_RM_INLINE dp_u32 dp_rm_clock(dp_u8 pt)
{
    switch (pt) {
    case 6: return 16000;
    case 10: case 11: return 44100;
    case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34: return 90000;
    case 16: return 11025;
    case 17: return 22050;
    default: return 8000;
    }
}

/* Loss of the current sequence (RFC 3550 A.3: expected - received, never negative). */
DP_RM_INLINE dp_u64 dp_rm_lost_now(const dp_rtpstat_t *s)
{
    if (!s->init) return 0;
    dp_u64 ext_max = (dp_u64)s->cycles + s->max_seq;
    dp_u64 expected = ext_max - s->base_seq + 1;
    return expected > s->received ? expected - s->received : 0;
}

/* A new stream (first packet, new SSRC, or a sequence jump that repeated). */
DP_RM_INLINE void dp_rm_restart(dp_rtpstat_t *s, const dp_rtp_hdr_t *h)
{
    s->lost_before += dp_rm_lost_now(s);
    s->init = 1;
    s->ssrc = h->ssrc;
    s->pt = h->pt;
    s->clock = dp_rm_clock(h->pt);
    s->max_seq = h->seq;
    s->base_seq = h->seq;
    s->cycles = 0;
    s->bad_seq = DP_RM_SEQ_MOD + 1; /* no pending jump */
    s->received = 0;
    s->prev_arr_ns = 0;
    s->jitter16_ns = 0;
}

/* RFC 3550 A.1 without probation: 1 count the packet, 0 the first sight of a big jump (not
 * counted, remembered in bad_seq), -1 the jump repeated: the sender restarted. */
DP_RM_INLINE int dp_rm_seq(dp_rtpstat_t *s, dp_u16 seq)
{
    dp_u16 udelta = (dp_u16)(seq - s->max_seq);
    if (udelta < DP_RM_MAX_DROPOUT) {
        if (seq < s->max_seq) s->cycles += DP_RM_SEQ_MOD;
        s->max_seq = seq;
    } else if (udelta <= DP_RM_SEQ_MOD - DP_RM_MAX_MISORDER) {
        if (seq == s->bad_seq) return -1;
        s->bad_seq = (seq + 1u) & (DP_RM_SEQ_MOD - 1);
        return 0;
    }
    /* else duplicate or reordered: counted, max unchanged */
    return 1;
}

/* RFC 3550 A.8 from the arrival time and RTP timestamp. The transit difference is signed;
 * its division by the clock is done on the magnitude (truncation towards zero, as C's). */
DP_RM_INLINE void dp_rm_jitter(dp_rtpstat_t *s, dp_u32 ts, dp_u64 now_ns)
{
    if (s->prev_arr_ns) {
        dp_s64 arr = (dp_s64)(now_ns - s->prev_arr_ns);
        dp_s64 x = (dp_s64)(dp_s32)(ts - s->prev_ts) * (dp_s64)DP_RM_NS_PER_S;
        dp_u32 clk = s->clock;
        dp_s64 sent = x < 0 ? -(dp_s64)((dp_u64)-x / clk) : (dp_s64)((dp_u64)x / clk);
        dp_u64 d = (dp_u64)arr - (dp_u64)sent; /* |arr - sent|, wrapping, never overflowing */
        if ((dp_s64)d < 0) d = 0 - d;
        dp_u64 j = s->jitter16_ns;
        s->jitter16_ns = j + d - ((j + 8) >> 4); /* never below 0: (j + 8) >> 4 <= j + d */
    }
    s->prev_arr_ns = now_ns ? now_ns : 1;
    s->prev_ts = ts;
}

/* Account one RTP packet with header h that arrived at now_ns. */
DP_RM_INLINE void dp_rm_rtp(dp_rtpstat_t *s, const dp_rtp_hdr_t *h, dp_u64 now_ns)
{
    int restart = !s->init || h->ssrc != s->ssrc;
    if (!restart) {
        int r = dp_rm_seq(s, h->seq);
        if (r == 0) return; /* first sight of a big jump: wait */
        restart = r < 0;    /* the jump repeated: the sender restarted */
    }
    if (restart) dp_rm_restart(s, h); /* one copy of it inlined */
    if (h->pt != s->pt) { /* codec change: the clock may differ, restart the jitter estimate */
        s->pt = h->pt;
        s->clock = dp_rm_clock(h->pt);
        s->prev_arr_ns = 0;
    }
    s->received++;
    dp_rm_jitter(s, h->ts, now_ns);
}

DP_RM_INLINE void dp_rm_refill(dp_bucket_t *b, dp_u64 now_ns)
{
    dp_u64 el = now_ns > b->last_ns ? now_ns - b->last_ns : 0;
    b->last_ns = now_ns;
    if (el >= b->full_ns) { /* also keeps el * rate below depth_nb + rate: no overflow */
        b->tokens_nb = b->depth_nb;
        return;
    }
    dp_u64 t = b->tokens_nb + el * b->rate;
    b->tokens_nb = t > b->depth_nb ? b->depth_nb : t;
}

/* Admit a packet of len bytes (1: takes tokens) or refuse it (0: takes nothing). */
DP_RM_INLINE int dp_rm_admit(dp_pol_t *pol, dp_u32 len, dp_u64 now_ns)
{
    if (!pol->on) return 1;
    dp_u64 need = (dp_u64)len * DP_RM_NS_PER_S;
    dp_rm_refill(&pol->c, now_ns);
    if (pol->c.tokens_nb < need) return 0;
    if (pol->two_rate) {
        dp_rm_refill(&pol->p, now_ns);
        if (pol->p.tokens_nb < need) return 0;
        pol->p.tokens_nb -= need;
    }
    pol->c.tokens_nb -= need;
    return 1;
}

#endif
