/* dp_pkt.c - pure per-packet helpers: header checks, policer, RTP loss and jitter, RTCP
 * parsing and round trip. The policer and RTP statistics arithmetic is rtp_math.h's, which
 * the kernel fast path (bpf/fastpath.bpf.c) runs too: the two paths cannot drift apart.
 * Called by the worker that owns the gate; no allocation, no locks, no system calls. */
#include "dp/dp_pkt.h"

#include <string.h>

int dp_pkt_classify(const uint8_t *p, uint32_t len, bool rtcp_port)
{
    if (len < 8 || (p[0] >> 6) != 2) return DP_PKT_BAD;
    if (rtcp_port) return DP_PKT_RTCP;
    if (p[1] >= 192 && p[1] <= 223) return DP_PKT_RTCP; /* RFC 5761 demultiplexing */
    return len >= 12 ? DP_PKT_RTP : DP_PKT_BAD;
}

uint32_t dp_rtp_clock(uint8_t pt)
{
    return dp_rm_clock(pt);
}

/* ---- policer ---- */

static void bucket_init(dp_bucket_t *b, uint32_t rate, uint64_t depth, uint64_t now_ns)
{
    b->rate = rate;
    b->depth_nb = depth * DP_RM_NS_PER_S;
    b->tokens_nb = b->depth_nb;
    b->full_ns = rate ? b->depth_nb / rate + 1 : 0;
    b->last_ns = now_ns;
}

void dp_pol_init(dp_pol_t *pol, const dp_policer_t *conf, uint64_t now_ns)
{
    memset(pol, 0, sizeof(*pol));
    if (!conf->on || conf->sdr == 0) return;
    pol->on = 1;
    bucket_init(&pol->c, conf->sdr, conf->mbs ? conf->mbs : 1500, now_ns);
    if (conf->pdr) {
        uint64_t depth = (uint64_t)conf->pdr * conf->dvt / 1000000u;
        pol->two_rate = 1;
        bucket_init(&pol->p, conf->pdr, depth < 1500 ? 1500 : depth, now_ns);
    }
}

bool dp_pol_admit(dp_pol_t *pol, uint32_t len, uint64_t now_ns)
{
    return dp_rm_admit(pol, len, now_ns);
}

void dp_rtpstat_update(dp_rtpstat_t *s, const uint8_t *p, uint64_t now_ns)
{
    dp_rtp_hdr_t h;
    dp_rm_hdr(&h, p);
    dp_rm_rtp(s, &h, now_ns);
}

uint64_t dp_rtpstat_lost(const dp_rtpstat_t *s)
{
    return s->lost_before + dp_rm_lost_now(s);
}

uint32_t dp_rtpstat_jitter_us(const dp_rtpstat_t *s)
{
    return (uint32_t)((s->jitter16_ns >> 4) / 1000u);
}

/* ---- RTCP ---- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Report blocks of one SR/RR: n blocks of 24 bytes at b (length checked by the caller). */
static void rtcp_blocks(const uint8_t *b, unsigned n, dp_rtcp_info_t *out)
{
    for (unsigned k = 0; k < n && out->nrb < DP_RTCP_MAX_RB; k++, b += 24) {
        out->rb[out->nrb].ssrc = rd32(b);
        out->rb[out->nrb].lsr = rd32(b + 16);
        out->rb[out->nrb].dlsr = rd32(b + 20);
        out->nrb++;
    }
}

int dp_rtcp_parse(const uint8_t *p, uint32_t len, dp_rtcp_info_t *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t off = 0;
    while (off < len) {
        if (len - off < 4 || (p[off] >> 6) != 2) return -1;
        uint32_t n = ((uint32_t)p[off + 2] << 8 | p[off + 3]) * 4u + 4u; /* bytes */
        if (n > len - off) return -1;
        const uint8_t *q = p + off;
        unsigned rc = q[0] & 0x1F;
        if (q[1] == 200) { /* SR: header, SSRC, 20 bytes of sender information, blocks */
            if (n < 28u + 24u * rc) return -1;
            if (out->nsr < DP_RTCP_MAX_SR) {
                out->sr[out->nsr].ssrc = rd32(q + 4);
                out->sr[out->nsr].ntp_mid = rd32(q + 10);
                out->nsr++;
            }
            rtcp_blocks(q + 28, rc, out);
        } else if (q[1] == 201) { /* RR: header, SSRC, blocks */
            if (n < 8u + 24u * rc) return -1;
            rtcp_blocks(q + 8, rc, out);
        }
        out->npkt++;
        off += n;
    }
    return (int)out->npkt;
}

void dp_rtt_sent(dp_rtt_t *r, uint32_t ssrc, uint32_t lsr, uint64_t now_ns)
{
    r->sr[r->next].ssrc = ssrc;
    r->sr[r->next].lsr = lsr;
    r->sr[r->next].ns = now_ns ? now_ns : 1;
    r->next = (uint8_t)((r->next + 1) % DP_RTT_SR);
}

int64_t dp_rtt_report(const dp_rtt_t *r, uint32_t ssrc, uint32_t lsr, uint32_t dlsr,
                      uint64_t now_ns)
{
    if (lsr == 0) return -1; /* the remote has had no SR from this source */
    for (unsigned k = 1; k <= DP_RTT_SR; k++) { /* newest first */
        unsigned i = (r->next + DP_RTT_SR - k) % DP_RTT_SR;
        if (!r->sr[i].ns || r->sr[i].ssrc != ssrc || r->sr[i].lsr != lsr) continue;
        uint64_t held = (uint64_t)dlsr * 1953125u / 128u; /* 1/65536 s in ns */
        if (now_ns < r->sr[i].ns + held) return -1;
        return (int64_t)(now_ns - r->sr[i].ns - held);
    }
    return -1;
}

int64_t dp_rtt_rtcp(dp_rtt_t *back, dp_rtt_t *fwd, const uint8_t *p, uint32_t len,
                    uint64_t now_ns)
{
    dp_rtcp_info_t in;
    if (dp_rtcp_parse(p, len, &in) <= 0) return -1; /* nothing from a broken compound */
    int64_t rtt = -1;
    for (unsigned i = 0; i < in.nrb; i++) {
        int64_t ns = dp_rtt_report(back, in.rb[i].ssrc, in.rb[i].lsr, in.rb[i].dlsr, now_ns);
        if (ns >= 0) rtt = ns / 1000;
    }
    for (unsigned i = 0; i < in.nsr; i++)
        dp_rtt_sent(fwd, in.sr[i].ssrc, in.sr[i].ntp_mid, now_ns);
    return rtt;
}
