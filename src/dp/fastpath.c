/* fastpath.c - loader of the kernel fast path (src/dp/bpf/fastpath.bpf.c, embedded as a
 * libbpf skeleton): attaches the TC program to the ingress of the interfaces that hold the
 * gates' local addresses and moves channel entries and counters in and out of its maps. */
#include "dp/fastpath.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "dp/fastpath.skel.h"

#define FP_MAX_IF 32
/* BPF_TCX_INGRESS (Linux 6.6): a link that the kernel removes with its last descriptor, so
 * a crashed bgfd leaves nothing behind. Not yet in Debian 12's headers; older kernels refuse
 * it and the classic clsact filter is used instead (removed by dp_fp_close only). */
#define FP_TCX_INGRESS 46
#define FP_MAX_LOCAL 128

struct dp_fp {
    struct fastpath_bpf *skel;
    int chan_fd, stat_fd, rtp_fd, arm_fd, hold_fd, prog_fd;
    int ncpu;
    int lo;
    /* read-only after open: the host's addresses then (any thread) */
    int nlocal;
    netaddr_t local[FP_MAX_LOCAL];
    int local_if[FP_MAX_LOCAL];
    /* owner: control thread */
    int nif;
    struct bpf_tc_hook hook[FP_MAX_IF];
    struct bpf_tc_opts opts[FP_MAX_IF];
    int link[FP_MAX_IF]; /* tcx link descriptor, -1 = classic tc filter */
};

static bool same_ip(const netaddr_t *a, const netaddr_t *b)
{
    return netaddr_family(a) == netaddr_family(b) && netaddr_equal_ip(a, b);
}

/* libbpf's own messages stay quiet (e.g. on an existing clsact qdisc): failures reach the
 * caller as errors. */
static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    return 0;
}

static void snapshot_addrs(dp_fp_t *fp)
{
    struct ifaddrs *ifa, *i;
    if (getifaddrs(&ifa) < 0) return;
    for (i = ifa; i && fp->nlocal < FP_MAX_LOCAL; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        int fam = i->ifa_addr->sa_family;
        if (fam != AF_INET && fam != AF_INET6) continue;
        netaddr_t *a = &fp->local[fp->nlocal];
        memset(a, 0, sizeof(*a));
        memcpy(&a->u, i->ifa_addr, fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
        fp->local_if[fp->nlocal++] = (int)if_nametoindex(i->ifa_name);
    }
    freeifaddrs(ifa);
}

dp_fp_t *dp_fp_open(uint32_t max_gates, char *err, size_t errlen)
{
    libbpf_set_print(silent_print);
    dp_fp_t *fp = calloc(1, sizeof(*fp));
    if (!fp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fp->ncpu = libbpf_num_possible_cpus();
    fp->lo = (int)if_nametoindex("lo");
    fp->skel = fastpath_bpf__open();
    if (!fp->skel || fp->ncpu <= 0) {
        snprintf(err, errlen, "fast path: cannot open the BPF object");
        goto fail;
    }
    uint32_t n = max_gates; /* one RTP channel per gate */
    bpf_map__set_max_entries(fp->skel->maps.fp_chan, n);
    bpf_map__set_max_entries(fp->skel->maps.fp_stat, n);
    bpf_map__set_max_entries(fp->skel->maps.fp_rtp, n);
    bpf_map__set_max_entries(fp->skel->maps.fp_arm, n);
    bpf_map__set_max_entries(fp->skel->maps.fp_hold, n);
    int rc = fastpath_bpf__load(fp->skel);
    if (rc < 0) {
        snprintf(err, errlen, "fast path: cannot load the BPF program: %s (root and BPF needed)",
                 strerror(-rc));
        goto fail;
    }
    fp->chan_fd = bpf_map__fd(fp->skel->maps.fp_chan);
    fp->stat_fd = bpf_map__fd(fp->skel->maps.fp_stat);
    fp->rtp_fd = bpf_map__fd(fp->skel->maps.fp_rtp);
    fp->arm_fd = bpf_map__fd(fp->skel->maps.fp_arm);
    fp->hold_fd = bpf_map__fd(fp->skel->maps.fp_hold);
    fp->prog_fd = bpf_program__fd(fp->skel->progs.bgf_fastpath);
    snapshot_addrs(fp);
    return fp;
fail:
    if (fp->skel) fastpath_bpf__destroy(fp->skel);
    free(fp);
    return NULL;
}

void dp_fp_close(dp_fp_t *fp)
{
    if (!fp) return;
    for (int i = 0; i < fp->nif; i++) {
        if (fp->link[i] >= 0) {
            close(fp->link[i]);
            continue;
        }
        fp->opts[i].prog_fd = 0;
        fp->opts[i].prog_id = 0;
        fp->opts[i].flags = 0;
        bpf_tc_detach(&fp->hook[i], &fp->opts[i]); /* the clsact qdisc stays: others may use it */
    }
    fastpath_bpf__destroy(fp->skel);
    free(fp);
}

int dp_fp_lo(const dp_fp_t *fp)
{
    return fp->lo;
}

static bool is_loopback(const netaddr_t *a)
{
    if (netaddr_family(a) == AF_INET) return (ntohl(a->u.v4.sin_addr.s_addr) >> 24) == 127;
    return netaddr_family(a) == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a->u.v6.sin6_addr);
}

bool dp_fp_is_local(const dp_fp_t *fp, const netaddr_t *a)
{
    if (is_loopback(a)) return true;
    for (int i = 0; i < fp->nlocal; i++)
        if (same_ip(a, &fp->local[i])) return true;
    return false;
}

static int ifindex_of(const dp_fp_t *fp, const netaddr_t *a)
{
    if (is_loopback(a)) return fp->lo;
    for (int i = 0; i < fp->nlocal; i++)
        if (same_ip(a, &fp->local[i])) return fp->local_if[i];
    int found = 0; /* an address added since the start */
    struct ifaddrs *ifa, *i;
    if (getifaddrs(&ifa) < 0) return 0;
    for (i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != netaddr_family(a)) continue;
        netaddr_t x;
        memset(&x, 0, sizeof(x));
        memcpy(&x.u, i->ifa_addr, netaddr_family(a) == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
        if (same_ip(a, &x)) {
            found = (int)if_nametoindex(i->ifa_name);
            break;
        }
    }
    freeifaddrs(ifa);
    return found;
}

int dp_fp_prepare(dp_fp_t *fp, const netaddr_t *local)
{
    int ifx = ifindex_of(fp, local);
    if (ifx <= 0) return 0;
    for (int i = 0; i < fp->nif; i++)
        if (fp->hook[i].ifindex == ifx) return ifx;
    if (fp->nif == FP_MAX_IF) return -ENOSPC;
    struct bpf_tc_hook *h = &fp->hook[fp->nif];
    struct bpf_tc_opts *o = &fp->opts[fp->nif];
    memset(h, 0, sizeof(*h));
    memset(o, 0, sizeof(*o));
    h->ifindex = ifx;
    fp->link[fp->nif] = bpf_link_create(fp->prog_fd, ifx, (enum bpf_attach_type)FP_TCX_INGRESS, NULL);
    if (fp->link[fp->nif] >= 0) {
        fp->nif++;
        LOG_INFO("dp: fast path attached to ingress of interface %d (tcx)", ifx);
        return ifx;
    }
    h->sz = sizeof(*h);
    h->attach_point = BPF_TC_INGRESS;
    o->sz = sizeof(*o);
    o->prog_fd = fp->prog_fd;
    int rc = bpf_tc_hook_create(h);
    if (rc < 0 && rc != -EEXIST) return rc;
    rc = bpf_tc_attach(h, o);
    if (rc < 0) return rc;
    fp->nif++;
    LOG_INFO("dp: fast path attached to ingress of interface %d", ifx);
    return ifx;
}

void dp_fp_addr(struct fp_addr *out, const netaddr_t *a)
{
    memset(out, 0, sizeof(*out));
    if (netaddr_family(a) == AF_INET) {
        out->family = FP_AF_INET;
        out->port = a->u.v4.sin_port;
        memcpy(out->addr, &a->u.v4.sin_addr, 4);
    } else if (netaddr_family(a) == AF_INET6) {
        out->family = FP_AF_INET6;
        out->port = a->u.v6.sin6_port;
        memcpy(out->addr, &a->u.v6.sin6_addr, 16);
    }
}

int dp_fp_chan_set(dp_fp_t *fp, const netaddr_t *key, const struct fp_chan *v)
{
    struct fp_addr k;
    dp_fp_addr(&k, key);
    return bpf_map_update_elem(fp->chan_fd, &k, v, BPF_ANY) < 0 ? -errno : 0;
}

int dp_fp_chan_del(dp_fp_t *fp, const netaddr_t *key)
{
    struct fp_addr k;
    dp_fp_addr(&k, key);
    return bpf_map_delete_elem(fp->chan_fd, &k) < 0 ? -errno : 0;
}

int dp_fp_chan_get(dp_fp_t *fp, const netaddr_t *key, struct fp_chan *v)
{
    struct fp_addr k;
    dp_fp_addr(&k, key);
    return bpf_map_lookup_elem(fp->chan_fd, &k, v) < 0 ? -errno : 0;
}

size_t dp_fp_stat_bufsize(const dp_fp_t *fp)
{
    return (size_t)fp->ncpu * ((sizeof(struct fp_stat) + 7) / 8 * 8);
}

int dp_fp_stat_reset(dp_fp_t *fp, uint32_t slot)
{
    size_t sz = dp_fp_stat_bufsize(fp);
    void *z = calloc(1, sz); /* control thread, gate open: not the packet path */
    if (!z) return -ENOMEM;
    int rc = 0;
    if (bpf_map_update_elem(fp->stat_fd, &slot, z, BPF_ANY) < 0) rc = -errno;
    free(z);
    int arm = dp_fp_rtp_arm(fp, slot, FP_ARM_OFF);
    int hold = dp_fp_hold(fp, slot, 0);
    return rc ? rc : arm ? arm : hold;
}

int dp_fp_stat_read(dp_fp_t *fp, uint32_t slot, struct fp_stat *out, void *buf)
{
    size_t step = (sizeof(struct fp_stat) + 7) / 8 * 8;
    memset(out, 0, sizeof(*out));
    if (bpf_map_lookup_elem(fp->stat_fd, &slot, buf) < 0) return -errno;
    for (int i = 0; i < fp->ncpu; i++) {
        const struct fp_stat *s = (const void *)((const uint8_t *)buf + step * (size_t)i);
        out->pkts_in += s->pkts_in;
        out->octets_in += s->octets_in;
        out->pkts_out += s->pkts_out;
        out->octets_out += s->octets_out;
        out->drop_policer += s->drop_policer;
        if (s->last_ns > out->last_ns) out->last_ns = s->last_ns;
    }
    return 0;
}

/* The kernel's state is the worker's own structs beside a lock (fastpath_abi.h): copied
 * whole; BPF_F_LOCK leaves the lock itself alone. */
int dp_fp_rtp_put(dp_fp_t *fp, uint32_t slot, const dp_rtpstat_t *rs, const dp_pol_t *pol)
{
    struct fp_rtp k;
    memset(&k, 0, sizeof(k));
    k.rs = *rs;
    k.pol = *pol;
    return bpf_map_update_elem(fp->rtp_fd, &slot, &k, BPF_F_LOCK) < 0 ? -errno : 0;
}

int dp_fp_rtp_arm(dp_fp_t *fp, uint32_t slot, uint32_t arm)
{
    return bpf_map_update_elem(fp->arm_fd, &slot, &arm, BPF_ANY) < 0 ? -errno : 0;
}

int dp_fp_hold(dp_fp_t *fp, uint32_t slot, uint32_t on)
{
    return bpf_map_update_elem(fp->hold_fd, &slot, &on, BPF_ANY) < 0 ? -errno : 0;
}

int dp_fp_rtp_get(dp_fp_t *fp, uint32_t slot, dp_rtpstat_t *rs, dp_pol_t *pol, uint32_t *arm)
{
    struct fp_rtp k;
    if (arm && bpf_map_lookup_elem(fp->arm_fd, &slot, arm) < 0) return -errno;
    if (bpf_map_lookup_elem_flags(fp->rtp_fd, &slot, &k, BPF_F_LOCK) < 0) return -errno;
    if (pol) *pol = k.pol;
    *rs = k.rs;
    return 0;
}
