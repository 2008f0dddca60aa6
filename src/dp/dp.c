/* dp.c - the data plane's control side (first cut): binds each gate's RTP and RTCP sockets
 * and records the gate so the control plane can open, modify, audit and close gates.
 * Runs in the control-plane thread only (see dp.h). Forwarding arrives with the engine. */
#include "dp/dp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct dp_gate_rec {
    bool used;
    dp_gate_req_t req;
    int fd[2]; /* RTP, RTCP */
} dp_gate_rec_t;

struct dp {
    dp_config_t cfg;
    dp_gate_rec_t *gates; /* max_gates records */
    uint32_t count;
    int evfd;
};

dp_t *dp_start(const dp_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->max_gates == 0) {
        snprintf(err, errlen, "max_gates must be > 0");
        return NULL;
    }
    dp_t *dp = calloc(1, sizeof(*dp));
    if (!dp) goto oom;
    dp->cfg = *cfg;
    dp->gates = calloc(cfg->max_gates, sizeof(*dp->gates));
    if (!dp->gates) goto oom;
    dp->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (dp->evfd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        free(dp->gates);
        free(dp);
        return NULL;
    }
    return dp;
oom:
    if (dp) free(dp->gates);
    free(dp);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

void dp_stop(dp_t *dp)
{
    if (!dp) return;
    for (uint32_t i = 0; i < dp->cfg.max_gates; i++)
        if (dp->gates[i].used) {
            close(dp->gates[i].fd[0]);
            close(dp->gates[i].fd[1]);
        }
    close(dp->evfd);
    free(dp->gates);
    free(dp);
}

static dp_gate_rec_t *find(dp_t *dp, uint32_t gate_id)
{
    for (uint32_t i = 0; i < dp->cfg.max_gates; i++)
        if (dp->gates[i].used && dp->gates[i].req.gate_id == gate_id) return &dp->gates[i];
    return NULL;
}

static int bind_one(const netaddr_t *local, uint16_t port)
{
    netaddr_t a = *local;
    netaddr_set_port(&a, port);
    int fam = netaddr_family(&a);
    int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (fam == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, &a.u.sa, netaddr_len(&a)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int dp_gate_open(dp_t *dp, const dp_gate_req_t *req)
{
    if (req->gate_id == 0 || !netaddr_is_set(&req->local)) return -EINVAL;
    uint16_t port = netaddr_port(&req->local);
    if (port == 0 || (port & 1) || port == 65535) return -EINVAL;
    if (find(dp, req->gate_id)) return -EEXIST;
    dp_gate_rec_t *g = NULL;
    for (uint32_t i = 0; i < dp->cfg.max_gates && !g; i++)
        if (!dp->gates[i].used) g = &dp->gates[i];
    if (!g) return -ENOSPC;
    int rtp = bind_one(&req->local, port);
    if (rtp < 0) return rtp;
    int rtcp = bind_one(&req->local, (uint16_t)(port + 1));
    if (rtcp < 0) {
        close(rtp);
        return rtcp;
    }
    g->used = true;
    g->req = *req;
    g->fd[0] = rtp;
    g->fd[1] = rtcp;
    dp->count++;
    return 0;
}

static void apply(dp_gate_req_t *cur, const dp_gate_req_t *req, unsigned what)
{
    if (what & DP_MOD_REMOTE) {
        cur->remote_rtp = req->remote_rtp;
        cur->remote_rtcp = req->remote_rtcp;
    }
    if (what & DP_MOD_MODE) cur->mode = req->mode;
    if (what & DP_MOD_DSCP) cur->dscp = req->dscp;
    if (what & DP_MOD_LATCH) cur->latch = req->latch;
    if (what & DP_MOD_FILTER) cur->filter = req->filter;
    if (what & DP_MOD_POLICER) cur->policer = req->policer;
    if (what & DP_MOD_HANG) cur->hang_timer_s = req->hang_timer_s;
    if (what & DP_MOD_TAP) cur->tap = req->tap;
}

int dp_gate_modify(dp_t *dp, const dp_gate_req_t *req, unsigned what)
{
    dp_gate_rec_t *g = find(dp, req->gate_id);
    if (!g) return -ENOENT;
    apply(&g->req, req, what);
    return 0;
}

static void fill_stats(const dp_gate_rec_t *g, dp_gate_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->latched_rtp = g->req.remote_rtp;
    out->latched_rtcp = g->req.remote_rtcp;
}

int dp_gate_close(dp_t *dp, uint32_t gate_id, dp_gate_stats_t *final)
{
    dp_gate_rec_t *g = find(dp, gate_id);
    if (!g) return -ENOENT;
    if (final) fill_stats(g, final);
    close(g->fd[0]);
    close(g->fd[1]);
    g->used = false;
    dp->count--;
    return 0;
}

int dp_gate_stats(dp_t *dp, uint32_t gate_id, dp_gate_stats_t *out)
{
    dp_gate_rec_t *g = find(dp, gate_id);
    if (!g) return -ENOENT;
    fill_stats(g, out);
    return 0;
}

int dp_poll_events(dp_t *dp, dp_event_t *ev, int max)
{
    uint64_t v;
    (void)ev;
    (void)max;
    if (read(dp->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN) return -errno;
    return 0;
}

int dp_event_fd(dp_t *dp)
{
    return dp->evfd;
}

uint32_t dp_gate_count(dp_t *dp)
{
    return dp->count;
}
