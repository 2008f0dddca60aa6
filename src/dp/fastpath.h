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

/* Counters of gate slot `slot`, channel c (0 RTP, 1 RTCP): index slot * 2 + c. */
size_t dp_fp_stat_bufsize(const dp_fp_t *fp);
int dp_fp_stat_reset(dp_fp_t *fp, uint32_t slot);
/* Sum over CPUs of both channels of slot into out (last_ns: the latest). buf: a caller's
 * buffer of dp_fp_stat_bufsize() bytes (one per thread). chan_last_ns[c] when not NULL. */
int dp_fp_stat_read(dp_fp_t *fp, uint32_t slot, struct fp_stat *out, uint64_t chan_last_ns[2],
                    void *buf);

#endif
