/* fastpath.h - the data plane's kernel fast path (TC eBPF): loading, attaching to the
 * interfaces of the gates' local addresses, the channel map and the per-gate counters.
 * Policy (what is offloaded, when) lives in dp_worker.c; this file only moves values in
 * and out of the kernel. The maps may be written by any thread (bpf syscalls); attaching
 * happens in the control thread only. See docs/dataplane.md, "Kernel fast path". */
#ifndef BGF_DP_FASTPATH_H
#define BGF_DP_FASTPATH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "dp/dp_pkt.h"
#include "dp/fastpath_abi.h"

typedef struct dp_fp dp_fp_t;

/* Load the program and size its maps for max_gates. NULL and err filled on failure
 * (e.g. not root, no BPF). Attaches nothing yet. */
dp_fp_t *dp_fp_open(uint32_t max_gates, char *err, size_t errlen);
/* Detach from every interface and unload. */
void dp_fp_close(dp_fp_t *fp);
/* Control thread: the interface that holds local's address, with the program attached to
 * its ingress. > 0 ifindex, 0 when the address is not on one interface (wildcard), < 0 errno. */
int dp_fp_prepare(dp_fp_t *fp, const netaddr_t *local);
/* The loopback interface's index. */
int dp_fp_lo(const dp_fp_t *fp);
/* a is a loopback address or was an address of this host when the fast path was opened. */
bool dp_fp_is_local(const dp_fp_t *fp, const netaddr_t *a);

void dp_fp_addr(struct fp_addr *out, const netaddr_t *a);
/* Offload (or update) the channel whose local address is key; withdraw it. 0 or -errno. */
int dp_fp_chan_set(dp_fp_t *fp, const netaddr_t *key, const struct fp_chan *v);
int dp_fp_chan_del(dp_fp_t *fp, const netaddr_t *key);
/* The entry offloaded for key. 0 or -errno (-ENOENT: none). */
int dp_fp_chan_get(dp_fp_t *fp, const netaddr_t *key, struct fp_chan *v);

/* Counters of gate slot `slot` (its RTP channel: RTCP is never offloaded). */
size_t dp_fp_stat_bufsize(const dp_fp_t *fp);
/* Zero the slot's counters and give its RTP statistics to the worker (gate open). */
int dp_fp_stat_reset(dp_fp_t *fp, uint32_t slot);
/* Sum over CPUs of slot's counters into out (last_ns: the latest). buf: a caller's buffer of
 * dp_fp_stat_bufsize() bytes (one per thread). */
int dp_fp_stat_read(dp_fp_t *fp, uint32_t slot, struct fp_stat *out, void *buf);

/* RTP loss and jitter state and policer of slot's offloaded channel (see docs/dataplane.md,
 * "Handover"). put: write rs and pol into the kernel's state (under its lock); arm: set
 * fp_arm[slot] (FP_ARM_OFF, FP_ARM_HANDBACK or a channel generation); get: the kernel's state
 * (a copy taken under its lock; pol when not NULL) and fp_arm[slot] when arm is not NULL.
 * 0 or -errno. */
int dp_fp_rtp_put(dp_fp_t *fp, uint32_t slot, const dp_rtpstat_t *rs, const dp_pol_t *pol);
int dp_fp_rtp_arm(dp_fp_t *fp, uint32_t slot, uint32_t arm);
int dp_fp_rtp_get(dp_fp_t *fp, uint32_t slot, dp_rtpstat_t *rs, dp_pol_t *pol, uint32_t *arm);
/* Hold (on = 1) or release (0) slot's offloaded channel: while held the program leaves its
 * packets to the socket path. The control thread holds a gate and its peer before it queues
 * a modify; the worker releases them once it has applied it. 0 or -errno. */
int dp_fp_hold(dp_fp_t *fp, uint32_t slot, uint32_t on);
/* Flag on dp_gate_stats_t.rtp_lost as a worker publishes it while its RTP channel is
 * offloaded: the low bits are the RTP packets the worker counted meanwhile (dp_worker.c
 * publish, dp.c read_stats; never seen outside the data plane). */
#define DP_FP_SIDE (1ull << 63)

#endif
