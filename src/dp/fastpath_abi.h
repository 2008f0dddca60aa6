/* fastpath_abi.h - the structures shared by the kernel fast path (src/dp/bpf/fastpath.bpf.c)
 * and its loader (src/dp/fastpath.c): map keys and values. Fixed-width types only; both
 * sides compile this file, so a change here changes both. */
#ifndef BGF_DP_FASTPATH_ABI_H
#define BGF_DP_FASTPATH_ABI_H
#include <linux/bpf.h>
#include <linux/types.h>

#include "dp/rtp_math.h"

#define FP_AF_INET 2
#define FP_AF_INET6 10

/* fp_arm values besides a channel's generation (>= FP_GEN_MIN): */
#define FP_ARM_OFF 0      /* the worker owns the RTP statistics (and has published them) */
#define FP_ARM_HANDBACK 1 /* withdrawing: the kernel takes no packet, its copy is still the latest */
#define FP_GEN_MIN 2

/* An address as the maps hold it: family, port (network order), address (IPv4 in the first
 * four bytes, the rest zero). */
struct fp_addr {
    __u8 family;
    __u8 pad;
    __be16 port;
    __u8 addr[16];
};

/* fp_chan: key = a gate's local RTP address (what packets are sent to). Only RTP channels
 * are offloaded; RTCP always goes through the worker. */
struct fp_chan {
    struct fp_addr src;      /* the only source accepted here (latched or the symmetric remote) */
    struct fp_addr out_src;  /* peer gate's local address: the rewritten source */
    struct fp_addr out_dst;  /* peer's remote: the rewritten destination */
    __u32 rx_slot;           /* gate slot of the receiving gate (fp_stat, fp_rtp, fp_arm) */
    __u32 tx_slot;           /* gate slot of the sending (peer) gate (fp_stat) */
    __u32 out_ifindex;       /* 0 = local destination (continue up the stack) */
    __u32 gen;               /* taken only while fp_arm[rx_slot] == gen */
    __u8 tos;                /* DSCP << 2 of the sending gate */
    __u8 pad[3];
};

/* fp_stat: per CPU, per gate slot. Octets are UDP payload bytes as the socket path counts. */
struct fp_stat {
    __u64 pkts_in, octets_in;
    __u64 pkts_out, octets_out;
    __u64 drop_policer;
    __u64 last_ns; /* CLOCK_MONOTONIC of the last packet received by this gate, 0 = none */
};

/* fp_rtp: per gate slot, the state of its offloaded RTP channel: the receive statistics of
 * its RTP stream and the gate's policer, the worker's own structs updated by the same
 * functions (rtp_math.h), so that the loader copies them in and out whole. One state per
 * stream, so updates from several CPUs serialise on the spin lock. */
struct fp_rtp {
    struct bpf_spin_lock lock;
    __u32 pad;
    dp_rtpstat_t rs;
    dp_pol_t pol; /* committed (sdr, mbs), peak (pdr, pdr * dvt) */
};

#endif
