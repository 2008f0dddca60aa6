/* dpfwd.c - bgf's data plane (libbgf_dp) driven directly, without the H.248 control plane.
 *
 * Reads the same call list as rtpgen (A_LOCAL RELAY_FOR_A B_LOCAL RELAY_FOR_B per line) and
 * opens, per call, one context with two gates: gate A on RELAY_FOR_A with remote A_LOCAL and
 * gate B on RELAY_FOR_B with remote B_LOCAL, SendReceive, no latching, no filter, no policer.
 * Then it runs until SIGTERM/SIGINT and closes every gate. Prints "ready" once all are open.
 *
 * Interception (-L): the gates of the first ceil(N * share) calls are tapped with -T target
 * ids each, copies going through libbgf_li's sender (ETSI X3) to the delivery address -X
 * (rtpgen -S counts them there). Runs in the main thread; the data plane has its workers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/netaddr.h"
#include "dp/dp.h"
#include "li/li.h"
#include "li/sender.h"

static volatile sig_atomic_t stop;
static void on_sig(int s) {
    (void)s;
    stop = 1;
}

static li_sender_t *sender_for(unsigned worker, void *arg) {
    return li_ctl_sender((li_ctl_t *)arg, worker);
}

static li_ctl_t *li_setup(const char *df, char *err, size_t errlen) {
    /* a throw-away key file, mode 0600 (li_ctl refuses anything else) */
    char path[] = "/tmp/bgfbench-keyXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    dprintf(fd, "aes256 %s\n", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    close(fd);
    li_conf_t c = {.enabled = true, .format = LI_FMT_ETSI, .point = LI_POINT_NATURAL,
                   .max_share_pct = 100.0};
    snprintf(c.key_file, sizeof c.key_file, "%s", path);
    snprintf(c.operator_id, sizeof c.operator_id, "bench");
    snprintf(c.log_file, sizeof c.log_file, "/tmp/bgfbench-li.log");
    snprintf(c.status_file, sizeof c.status_file, "/tmp/bgfbench-li.status");
    if (netaddr_parse(&c.df_dst, df, -1) || netaddr_parse(&c.df_src, "127.0.0.1:0", -1)) {
        snprintf(err, errlen, "bad delivery address %s", df);
        unlink(path);
        return NULL;
    }
    li_ctl_t *ctl = li_ctl_new(&c, 1u << 20, err, errlen);
    unlink(path);
    return ctl;
}

int main(int argc, char **argv) {
    const char *file = NULL, *df = "127.0.0.1:55050";
    unsigned workers = 1, ntargets = 1;
    double share = 0;
    int c, fast = 0;
    while ((c = getopt(argc, argv, "f:w:L:T:X:F")) != -1) {
        switch (c) {
        case 'f': file = optarg; break;
        case 'w': workers = (unsigned)atoi(optarg); break;
        case 'L': share = atof(optarg); break;
        case 'T': ntargets = (unsigned)atoi(optarg); break;
        case 'X': df = optarg; break;
        case 'F': fast = 1; break; /* kernel fast path (TC eBPF, root) */
        default:
            fprintf(stderr, "usage: dpfwd [-f CALLS] [-w WORKERS] [-L SHARE -T TARGETS -X DF] [-F]\n");
            return 2;
        }
    }
    if (ntargets < 1 || ntargets > LI_MAX_TARGETS) ntargets = 1;
    FILE *f = file ? fopen(file, "r") : stdin;
    if (!f) {
        perror(file);
        return 2;
    }
    char l[512], a[128], ra[128], b[128], rb[128], err[256] = "";
    uint32_t ncalls = 0, cap = 1024;
    netaddr_t(*cl)[4] = malloc(cap * sizeof *cl);
    while (fgets(l, sizeof l, f)) {
        if (l[0] == '#' || sscanf(l, "%127s %127s %127s %127s", a, ra, b, rb) != 4) continue;
        if (ncalls == cap) cl = realloc(cl, (cap *= 2) * sizeof *cl);
        if (netaddr_parse(&cl[ncalls][0], a, -1) || netaddr_parse(&cl[ncalls][1], ra, -1) ||
            netaddr_parse(&cl[ncalls][2], b, -1) || netaddr_parse(&cl[ncalls][3], rb, -1)) {
            fprintf(stderr, "dpfwd: bad line: %s", l);
            return 2;
        }
        ncalls++;
    }
    dp_config_t cfg = {.workers = workers, .max_gates = ncalls * 2 + 16, .relatch_idle_ms = 0,
                       .fast_path = fast ? DP_FAST_PATH_TC : DP_FAST_PATH_OFF};
    li_ctl_t *ctl = NULL;
    if (share > 0) {
        if (!(ctl = li_setup(df, err, sizeof err))) {
            fprintf(stderr, "dpfwd: interception: %s\n", err);
            return 2;
        }
        cfg.li_sender_for_worker = sender_for;
        cfg.li_arg = ctl;
        cfg.li_copy = li_tap_copy;
        cfg.li_kick = li_sender_kick;
        cfg.li_update = li_tap_update;
    }
    dp_t *dp = dp_start(&cfg, err, sizeof err);
    if (!dp) {
        fprintf(stderr, "dpfwd: dp_start: %s\n", err);
        return 2;
    }
    uint32_t tapped_calls = (uint32_t)(share * ncalls + 0.999999);
    for (uint32_t i = 0; i < ncalls; i++) {
        for (int side = 0; side < 2; side++) {
            dp_gate_req_t r = {.gate_id = i * 2 + (uint32_t)side + 1, .ctx_id = i + 1,
                               .stream_id = 1, .mode = DP_MODE_SENDRECV};
            r.local = cl[i][side * 2 + 1];
            r.remote_rtp = cl[i][side * 2];
            if (i < tapped_calls && side == 0) { /* the target's termination carries the tap */
                r.tap.active = true;
                r.tap.cid = 1000000 + i;
                r.tap.ntargets = (uint8_t)ntargets;
                for (unsigned t = 0; t < ntargets; t++) r.tap.targets[t] = 100 + t;
            }
            int rc = dp_gate_open(dp, &r);
            if (rc < 0) {
                char s[NETADDR_STRLEN];
                fprintf(stderr, "dpfwd: gate on %s: %s\n", netaddr_format(&r.local, s, sizeof s),
                        strerror(-rc));
                return 2;
            }
        }
    }
    struct sigaction sa = {.sa_handler = on_sig};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("ready %u calls, %u tapped\n", ncalls, tapped_calls);
    fflush(stdout);
    while (!stop) pause();
    dp_gate_stats_t st, tot = {0};
    for (uint32_t g = 1; g <= ncalls * 2; g++) {
        if (dp_gate_close(dp, g, &st) == 0) {
            tot.pkts_in += st.pkts_in, tot.pkts_out += st.pkts_out;
            tot.drop_nopeer += st.drop_nopeer, tot.drop_error += st.drop_error;
        }
    }
    fprintf(stderr, "dpfwd: in %llu out %llu nopeer %llu errors %llu\n",
            (unsigned long long)tot.pkts_in, (unsigned long long)tot.pkts_out,
            (unsigned long long)tot.drop_nopeer, (unsigned long long)tot.drop_error);
    dp_stop(dp);
    if (ctl) { /* copies handed to the kernel, and lost on the way (queue full, send error) */
        li_sender_stats_t ls, lt = {0};
        for (unsigned w = 0; w < (workers ? workers : 1); w++) {
            li_sender_t *s = li_ctl_sender(ctl, w);
            li_sender_sync(s, 5000);
            li_sender_stats(s, &ls);
            lt.copies += ls.copies, lt.queue_full += ls.queue_full, lt.send_errors += ls.send_errors;
        }
        fprintf(stderr, "dpfwd: li copies %llu lost %llu\n", (unsigned long long)lt.copies,
                (unsigned long long)(lt.queue_full + lt.send_errors));
        li_ctl_free(ctl);
    }
    free(cl);
    return 0;
}
