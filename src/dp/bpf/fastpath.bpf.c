// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fastpath.bpf.c - the data plane's kernel fast path: a TC (clsact ingress) program that
 * relays the packets of offloaded gate channels without waking a worker.
 *
 * A packet whose (destination address, port) is an offloaded RTP channel and whose source is
 * the channel's accepted remote, an RTP packet of version 2 and at least 12 bytes (not RTCP
 * multiplexed on the RTP port: all RTCP stays with the workers), is accounted in the
 * stream's loss and jitter state and policed (fp_rtp, by the worker's own arithmetic:
 * rtp_math.h, shared with dp_pkt.c), rewritten as the relay would send it (source = peer
 * gate's local address and port, destination = the peer's remote, DSCP of the peer gate,
 * TTL/hop limit 64), counted, and either continues up
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

enum { FP_NOT_MINE = 0, FP_RELAY = 1, FP_POLICED = 2 };

/* Account the RTP packet p (12 bytes readable, len bytes of UDP payload) in its stream's
 * state, then police it, as the worker does (loss and jitter count every received packet,
 * the policer comes last). FP_NOT_MINE when the gate is held or the channel entry is not the
 * one that owns the state (being withdrawn or replaced): the socket path takes the packet. */
static __always_inline int rtp_account(const struct fp_chan *v, const __u8 *p, __u32 len)
{
    dp_rtp_hdr_t h;
    dp_rm_hdr(&h, p);
    __u32 k = v->rx_slot, gen = v->gen;
    __u32 *hold = bpf_map_lookup_elem(&fp_hold, &k);
    if (!hold || *hold) return FP_NOT_MINE;
    __u64 now = bpf_ktime_get_ns();
    __u32 *arm = bpf_map_lookup_elem(&fp_arm, &k);
    struct fp_rtp *s = bpf_map_lookup_elem(&fp_rtp, &k);
    if (!arm || !s) return FP_NOT_MINE;
    int r = FP_NOT_MINE;
    bpf_spin_lock(&s->lock);
    if (*arm == gen) { /* rtp_math.h: inlined, no call or helper under the lock */
        dp_rm_rtp(&s->rs, &h, now);
        r = dp_rm_admit(&s->pol, len, now) ? FP_RELAY : FP_POLICED;
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
