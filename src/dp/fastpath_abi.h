/* fastpath_abi.h - the structures shared by the kernel fast path (src/dp/bpf/fastpath.bpf.c)
 * and its loader (src/dp/fastpath.c): map keys and values. Fixed-width types only; both
 * sides compile this file, so a change here changes both. */
#ifndef BGF_DP_FASTPATH_ABI_H
#define BGF_DP_FASTPATH_ABI_H
#include <linux/types.h>

#define FP_AF_INET 2
#define FP_AF_INET6 10

/* An address as the maps hold it: family, port (network order), address (IPv4 in the first
 * four bytes, the rest zero). */
struct fp_addr {
    __u8 family;
    __u8 pad;
    __be16 port;
    __u8 addr[16];
};

/* fp_chan: key = a gate channel's local address (what packets are sent to). */
struct fp_chan {
    struct fp_addr src;      /* the only source accepted here (latched or the symmetric remote) */
    struct fp_addr out_src;  /* peer gate's local address: the rewritten source */
    struct fp_addr out_dst;  /* peer's remote: the rewritten destination */
    __u32 rx_stat;           /* fp_stat index of the receiving gate: slot * 2 + channel */
    __u32 tx_stat;           /* fp_stat index of the sending (peer) gate */
    __u32 out_ifindex;       /* 0 = local destination (continue up the stack) */
    __u8 rtcp_port;          /* 1 = the channel is the RTCP port */
    __u8 tos;                /* DSCP << 2 of the sending gate */
    __u8 pad[2];
};

/* fp_stat: per CPU, per gate slot and channel (slot * 2 + c). Octets are UDP payload bytes as the socket path counts. */
struct fp_stat {
    __u64 pkts_in, octets_in, rtcp_in;
    __u64 pkts_out, octets_out, rtcp_out;
    __u64 last_ns; /* CLOCK_MONOTONIC of the last packet received by this gate, 0 = none */
};

#endif
