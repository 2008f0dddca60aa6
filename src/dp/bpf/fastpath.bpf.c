// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fastpath.bpf.c - the data plane's kernel fast path: a TC (clsact ingress) program that
 * relays the packets of offloaded gate channels without waking a worker.
 *
 * A packet whose (destination address, port) is an offloaded RTP channel and whose source is
 * the channel's accepted remote, an RTP packet of version 2 and at least 12 bytes (not RTCP
 * multiplexed on the RTP port: all RTCP stays with the workers), is accounted in the
 * stream's loss and jitter state (fp_rtp, the algorithm of dp_rtpstat_update), rewritten as
 * the relay would send it (source = peer gate's local address and port, destination = the
 * peer's remote, DSCP of the peer gate, TTL/hop limit 64), counted, and either continues up
 * the stack (local destination, on lo) or leaves through the peer's interface
 * (bpf_redirect_neigh). Everything else is left untouched for the socket path:
 * TC_ACT_UNSPEC (other filters still run). The userspace worker decides what is offloaded
 * and hands the RTP statistics over (src/dp/fastpath.c, dp_worker.c); this program only
 * applies the maps. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dp/fastpath_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024); /* resized by the loader: 1 per gate */
    __type(key, struct fp_addr);
    __type(value, struct fp_chan);
} fp_chan SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1024); /* resized by the loader: 1 per gate slot */
    __type(key, __u32);
    __type(value, struct fp_stat);
} fp_stat SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1024); /* resized by the loader: 1 per gate slot */
    __type(key, __u32);
    __type(value, struct fp_rtp);
} fp_rtp SEC(".maps");

/* Who owns fp_rtp[slot]: FP_ARM_OFF / FP_ARM_HANDBACK (the worker) or the generation of the
 * channel entry allowed to update it. Written by the worker only. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1024); /* resized by the loader: 1 per gate slot */
    __type(key, __u32);
    __type(value, __u32);
} fp_arm SEC(".maps");

#define ETH_LEN 14
#define IP4_CSUM_OFF (ETH_LEN + 10)

static __always_inline int same_words(const void *a, const void *b, int n)
{
    const __u32 *x = a, *y = b;
    __u32 d = 0;
#pragma unroll
    for (int i = 0; i < 4; i++)
        if (i < n) d |= x[i] ^ y[i];
    return d == 0;
}

/* Set by the control thread when it queues a modify for the gate or its peer, cleared by the
 * worker once it has applied it: meanwhile the socket path takes the gate's packets, so that
 * none is relayed under the settings being replaced (the worker applies queued requests
 * before reading packets). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1024); /* resized by the loader: 1 per gate slot */
    __type(key, __u32);
    __type(value, __u32);
} fp_hold SEC(".maps");

/* ---- RTP loss and jitter: dp_pkt.c's dp_rtpstat_update, line for line ---- */

#define NS_PER_S 1000000000ull
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define SEQ_MOD 65536u

static __always_inline __u32 rtp_clock(__u8 pt)
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

static __always_inline __u64 lost_now(const struct fp_rtp *s)
{
    if (!s->init) return 0;
    __u64 ext_max = (__u64)s->cycles + s->max_seq;
    __u64 expected = ext_max - s->base_seq + 1;
    return expected > s->received ? expected - s->received : 0;
}

/* Called with s->lock held: no helper, no call, no loop. */
static __always_inline void rtp_update(struct fp_rtp *s, __u8 pt, __u16 seq, __u32 ts,
                                       __u32 ssrc, __u64 now)
{
    int restart = !s->init || ssrc != s->ssrc;
    if (!restart) { /* RFC 3550 A.1 without probation, as seq_update */
        __u16 udelta = (__u16)(seq - s->max_seq);
        if (udelta < MAX_DROPOUT) {
            if (seq < s->max_seq) s->cycles += SEQ_MOD;
            s->max_seq = seq;
        } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
            if (seq != s->bad_seq) { /* first sight of a big jump: wait */
                s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
                return;
            }
            restart = 1; /* the jump repeated: the sender restarted */
        }
    }
    if (restart) {
        s->lost_before += lost_now(s);
        s->init = 1;
        s->ssrc = ssrc;
        s->pt = pt;
        s->clock = rtp_clock(pt);
        s->max_seq = seq;
        s->base_seq = seq;
        s->cycles = 0;
        s->bad_seq = SEQ_MOD + 1;
        s->received = 0;
        s->prev_arr_ns = 0;
        s->jitter16_ns = 0;
    }
    if (pt != s->pt) { /* codec change: the clock may differ, restart the jitter estimate */
        s->pt = pt;
        s->clock = rtp_clock(pt);
        s->prev_arr_ns = 0;
    }
    s->received++;
    if (s->prev_arr_ns) { /* RFC 3550 A.8; signed division by hand (BPF has none before v4) */
        __s64 arr = (__s64)(now - s->prev_arr_ns);
        __s64 x = (__s64)(__s32)(ts - s->prev_ts) * (__s64)NS_PER_S;
        __u32 clk = s->clock;
        __s64 sent = x < 0 ? -(__s64)((__u64)-x / clk) : (__s64)((__u64)x / clk);
        __s64 d = arr - sent;
        if (d < 0) d = -d;
        __u64 j = s->jitter16_ns;
        s->jitter16_ns = j + (__u64)d - ((j + 8) >> 4); /* never below 0: (j + 8) >> 4 <= j + d */
    }
    s->prev_arr_ns = now ? now : 1;
    s->prev_ts = ts;
}

/* ---- the policer: dp_pkt.c's dp_pol_admit, line for line ---- */

static __always_inline void bucket_refill(struct fp_bucket *b, __u64 now)
{
    __u64 el = now > b->last_ns ? now - b->last_ns : 0;
    b->last_ns = now;
    if (el >= b->full_ns) { /* also keeps el * rate below depth_nb + rate: no overflow */
        b->tokens_nb = b->depth_nb;
        return;
    }
    __u64 t = b->tokens_nb + el * b->rate;
    b->tokens_nb = t > b->depth_nb ? b->depth_nb : t;
}

/* Called with s->lock held. */
static __always_inline int pol_admit(struct fp_rtp *s, __u32 len, __u64 now)
{
    if (!s->pol_on) return 1;
    __u64 need = (__u64)len * NS_PER_S;
    bucket_refill(&s->pol_c, now);
    if (s->pol_c.tokens_nb < need) return 0;
    if (s->pol_two_rate) {
        bucket_refill(&s->pol_p, now);
        if (s->pol_p.tokens_nb < need) return 0;
        s->pol_p.tokens_nb -= need;
    }
    s->pol_c.tokens_nb -= need;
    return 1;
}

enum { FP_NOT_MINE = 0, FP_RELAY = 1, FP_POLICED = 2 };

/* Account the RTP packet p (12 bytes readable, len bytes of UDP payload) in its stream's
 * state, then police it, as the worker does (loss and jitter count every received packet,
 * the policer comes last). FP_NOT_MINE when the gate is held or the channel entry is not the
 * one that owns the state (being withdrawn or replaced): the socket path takes the packet. */
static __always_inline int rtp_account(const struct fp_chan *v, const __u8 *p, __u32 len)
{
    __u8 pt = p[1] & 0x7f;
    __u16 seq = (__u16)(p[2] << 8 | p[3]);
    __u32 ts = (__u32)p[4] << 24 | (__u32)p[5] << 16 | (__u32)p[6] << 8 | p[7];
    __u32 ssrc = (__u32)p[8] << 24 | (__u32)p[9] << 16 | (__u32)p[10] << 8 | p[11];
    __u32 k = v->rx_slot, gen = v->gen;
    __u32 *hold = bpf_map_lookup_elem(&fp_hold, &k);
    if (!hold || *hold) return FP_NOT_MINE;
    __u64 now = bpf_ktime_get_ns();
    __u32 *arm = bpf_map_lookup_elem(&fp_arm, &k);
    struct fp_rtp *s = bpf_map_lookup_elem(&fp_rtp, &k);
    if (!arm || !s) return FP_NOT_MINE;
    int r = FP_NOT_MINE;
    bpf_spin_lock(&s->lock);
    if (*arm == gen) {
        rtp_update(s, pt, seq, ts, ssrc, now);
        r = pol_admit(s, len, now) ? FP_RELAY : FP_POLICED;
    }
    bpf_spin_unlock(&s->lock);
    return r;
}

/* A packet the policer refused: received media (last_ns), dropped and counted. */
static __always_inline int policed(const struct fp_chan *v)
{
    __u32 k = v->rx_slot;
    struct fp_stat *s = bpf_map_lookup_elem(&fp_stat, &k);
    if (s) {
        s->drop_policer++;
        s->last_ns = bpf_ktime_get_ns();
    }
    return TC_ACT_SHOT;
}

/* RTP only (version 2, at least 12 bytes, not RTCP multiplexed on the RTP port). */
static __always_inline int is_rtp(const __u8 *p, __u32 len)
{
    return len >= 12 && (p[0] >> 6) == 2 && !(p[1] >= 192 && p[1] <= 223);
}

static __always_inline void count(const struct fp_chan *v, __u32 octets)
{
    __u32 k = v->rx_slot;
    struct fp_stat *s = bpf_map_lookup_elem(&fp_stat, &k);
    if (s) {
        s->pkts_in++;
        s->octets_in += octets;
        s->last_ns = bpf_ktime_get_ns();
    }
    k = v->tx_slot;
    s = bpf_map_lookup_elem(&fp_stat, &k);
    if (s) {
        s->pkts_out++;
        s->octets_out += octets;
    }
}

#define FP_TAKE 1000 /* not a TC action */

/* The part of the path both families share, once the packet is known to come from the
 * accepted source of offloaded channel v: RTP only (RTCP to the socket path), accounted and
 * policed in the stream's state, counted. FP_TAKE: the caller rewrites and relays it;
 * anything else is the TC action to return. */
static __always_inline int take(const struct fp_chan *v, const __u8 *p, __u32 plen)
{
    if (!is_rtp(p, plen)) return TC_ACT_UNSPEC;
    int acc = rtp_account(v, p, plen);
    if (acc == FP_NOT_MINE) return TC_ACT_UNSPEC;
    if (acc == FP_POLICED) return policed(v);
    count(v, plen);
    return FP_TAKE;
}

static __always_inline int leave(__u32 ifindex)
{
    if (ifindex == 0) return TC_ACT_OK;
    return bpf_redirect_neigh(ifindex, NULL, 0, 0);
}

/* Make the first `l3len + 8 + 12` bytes after the Ethernet header (IP and UDP headers, RTP
 * header) linear, pulling them in when they are not. 0, or -1: too short or no pull. Packet
 * pointers taken before are invalid afterwards: the caller derives them again. */
static __always_inline int rtp_linear(struct __sk_buff *skb, __u32 l3len)
{
    __u32 want = ETH_LEN + l3len + 8 + 12;
    if ((void *)(long)skb->data + want <= (void *)(long)skb->data_end) return 0;
    return bpf_skb_pull_data(skb, skb->len < want ? skb->len : want) < 0 ? -1 : 0;
}

/* The offloaded channel this datagram is for (its destination address and port), if it comes
 * from the channel's one accepted source; else NULL: the socket path decides. */
static __always_inline struct fp_chan *chan_for(__u8 family, const void *daddr, const void *saddr,
                                                __u32 words, const struct udphdr *udp)
{
    struct fp_addr key = {.family = family, .port = udp->dest};
    __builtin_memcpy(key.addr, daddr, words * 4);
    struct fp_chan *v = bpf_map_lookup_elem(&fp_chan, &key);
    if (!v || v->src.port != udp->source || !same_words(v->src.addr, saddr, words)) return NULL;
    return v;
}

static __always_inline int do_v4(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct iphdr *ip = data + ETH_LEN;
    if ((void *)(ip + 1) > end) return TC_ACT_UNSPEC;
    if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(0x3fff)))
        return TC_ACT_UNSPEC;
    if (rtp_linear(skb, 20) < 0) return TC_ACT_UNSPEC;
    data = (void *)(long)skb->data;
    end = (void *)(long)skb->data_end;
    ip = data + ETH_LEN;
    struct udphdr *udp = (void *)(ip + 1);
    __u8 *p = (void *)(udp + 1);
    if ((void *)(p + 12) > end) return TC_ACT_UNSPEC;
    struct fp_chan *v = chan_for(FP_AF_INET, &ip->daddr, &ip->saddr, 1, udp);
    if (!v) return TC_ACT_UNSPEC;
    __u32 ulen = bpf_ntohs(udp->len);
    if (ulen < 8 + 12 || ulen > bpf_ntohs(ip->tot_len) - 20) return TC_ACT_UNSPEC;
    int act = take(v, p, ulen - 8);
    if (act != FP_TAKE) return act;

    __be32 osrc = ip->saddr, odst = ip->daddr, nsrc, ndst;
    __builtin_memcpy(&nsrc, v->out_src.addr, 4);
    __builtin_memcpy(&ndst, v->out_dst.addr, 4);
    __be16 osport = udp->source, odport = udp->dest;
    __u16 old_tt = *(__u16 *)((__u8 *)ip + 8); /* ttl, protocol */
    __u16 old_tos = *(__u16 *)ip;              /* version/ihl, tos */
    __u8 newb[2] = {64, IPPROTO_UDP};
    __u16 new_tt = *(__u16 *)newb;
    __u8 newt[2] = {0x45, v->tos};
    __u16 new_tos = *(__u16 *)newt;
    __u32 ucsum = ETH_LEN + 20 + 6;
    int f0 = BPF_F_MARK_MANGLED_0;

    __be16 nsport = v->out_src.port, ndport = v->out_dst.port;
    __u32 ifx = v->out_ifindex;

    bpf_l4_csum_replace(skb, ucsum, osrc, nsrc, f0 | BPF_F_PSEUDO_HDR | 4);
    bpf_l4_csum_replace(skb, ucsum, odst, ndst, f0 | BPF_F_PSEUDO_HDR | 4);
    bpf_l4_csum_replace(skb, ucsum, osport, nsport, f0 | 2);
    bpf_l4_csum_replace(skb, ucsum, odport, ndport, f0 | 2);
    bpf_l3_csum_replace(skb, IP4_CSUM_OFF, osrc, nsrc, 4);
    bpf_l3_csum_replace(skb, IP4_CSUM_OFF, odst, ndst, 4);
    bpf_l3_csum_replace(skb, IP4_CSUM_OFF, old_tt, new_tt, 2);
    bpf_l3_csum_replace(skb, IP4_CSUM_OFF, old_tos, new_tos, 2);
    bpf_skb_store_bytes(skb, ETH_LEN + 12, &nsrc, 4, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 16, &ndst, 4, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 8, &new_tt, 2, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 0, &new_tos, 2, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 20, &nsport, 2, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 22, &ndport, 2, 0);
    return leave(ifx);
}

static __always_inline int do_v6(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct ipv6hdr *ip = data + ETH_LEN;
    if ((void *)(ip + 1) > end) return TC_ACT_UNSPEC;
    if (ip->nexthdr != IPPROTO_UDP) return TC_ACT_UNSPEC; /* extension headers: socket path */
    if (rtp_linear(skb, 40) < 0) return TC_ACT_UNSPEC;
    data = (void *)(long)skb->data;
    end = (void *)(long)skb->data_end;
    ip = data + ETH_LEN;
    struct udphdr *udp = (void *)(ip + 1);
    __u8 *p = (void *)(udp + 1);
    if ((void *)(p + 12) > end) return TC_ACT_UNSPEC;
    struct fp_chan *v = chan_for(FP_AF_INET6, &ip->daddr, &ip->saddr, 4, udp);
    if (!v) return TC_ACT_UNSPEC;
    __u32 ulen = bpf_ntohs(udp->len);
    if (ulen < 8 + 12 || ulen != bpf_ntohs(ip->payload_len)) return TC_ACT_UNSPEC;
    int act = take(v, p, ulen - 8);
    if (act != FP_TAKE) return act;

    __u32 ucsum = ETH_LEN + 40 + 6;
    struct fp_chan c = *v;
    __u32 i;
    /* addresses: eight 32-bit words, each folded into the UDP checksum (pseudo header) */
#pragma unroll
    for (i = 0; i < 4; i++) {
        __be32 o, n;
        __builtin_memcpy(&o, (__u8 *)&ip->saddr + 4 * i, 4);
        __builtin_memcpy(&n, c.out_src.addr + 4 * i, 4);
        bpf_l4_csum_replace(skb, ucsum, o, n, BPF_F_PSEUDO_HDR | 4);
        data = (void *)(long)skb->data;
        end = (void *)(long)skb->data_end;
        ip = data + ETH_LEN;
        if ((void *)(ip + 1) > end) return TC_ACT_SHOT;
        __builtin_memcpy(&o, (__u8 *)&ip->daddr + 4 * i, 4);
        __builtin_memcpy(&n, c.out_dst.addr + 4 * i, 4);
        bpf_l4_csum_replace(skb, ucsum, o, n, BPF_F_PSEUDO_HDR | 4);
        data = (void *)(long)skb->data;
        end = (void *)(long)skb->data_end;
        ip = data + ETH_LEN;
        if ((void *)(ip + 1) > end) return TC_ACT_SHOT;
    }
    udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > end) return TC_ACT_SHOT;
    __be16 osport = udp->source, odport = udp->dest;
    bpf_l4_csum_replace(skb, ucsum, osport, c.out_src.port, 2);
    bpf_l4_csum_replace(skb, ucsum, odport, c.out_dst.port, 2);
    /* version 6, traffic class = tos, flow label 0; hop limit 64 (no IPv6 header checksum) */
    __u8 hdr[4] = {0x60 | (c.tos >> 4), (__u8)(c.tos << 4), 0, 0};
    __u8 hop = 64;
    bpf_skb_store_bytes(skb, ETH_LEN, hdr, 4, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 7, &hop, 1, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 8, c.out_src.addr, 16, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 24, c.out_dst.addr, 16, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 40, &c.out_src.port, 2, 0);
    bpf_skb_store_bytes(skb, ETH_LEN + 42, &c.out_dst.port, 2, 0);
    return leave(c.out_ifindex);
}

SEC("tc")
int bgf_fastpath(struct __sk_buff *skb)
{
    if (skb->gso_segs > 1) return TC_ACT_UNSPEC; /* a UDP GSO train: counted per datagram by the workers */
    if (skb->protocol == bpf_htons(ETH_P_IP)) return do_v4(skb);
    if (skb->protocol == bpf_htons(ETH_P_IPV6)) return do_v6(skb);
    return TC_ACT_UNSPEC;
}
