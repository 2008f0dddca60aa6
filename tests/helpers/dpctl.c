/* dpctl.c - drives the data plane directly through dp.h, for integration tests that need a
 * relay without the H.248 control plane (network-namespace tests, benchmarks).
 * Reads one command per line on standard input and answers one line per command:
 *   open ID CTX STREAM LOCAL_IP PORT [REMOTE_IP RPORT] [key=value ...]
 *   modify ID CTX STREAM LOCAL_IP PORT [REMOTE_IP RPORT] [key=value ...]  (keys present change)
 *   stats ID      -> "stats ID pkts_in=.. octets_in=.. ... latched_rtp=ADDR"
 *   close ID      -> "ok"
 *   events        -> "event hangterm ID" lines, then "ok"
 *   quit
 * keys: mode=sendrecv|sendonly|recvonly|inactive dscp=N latch=0|1 sdr= mbs= pdr= dvt= hang=S
 *       saf=IP/MASK spr=LO-HI
 * Errors answer "err -ERRNO". Options: -w WORKERS -g MAX_GATES -r RELATCH_MS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp/dp.h"

static int parse_mode(const char *v, dp_mode_t *m)
{
    static const struct {
        const char *name;
        dp_mode_t mode;
    } t[] = {{"sendrecv", DP_MODE_SENDRECV}, {"sendonly", DP_MODE_SENDONLY},
             {"recvonly", DP_MODE_RECVONLY}, {"inactive", DP_MODE_INACTIVE}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(v, t[i].name) == 0) {
            *m = t[i].mode;
            return 0;
        }
    return -1;
}

/* One key=value into the request; returns the DP_MOD_* bit it touches, or -1. */
static int parse_kv(dp_gate_req_t *r, const char *k, const char *v)
{
    unsigned long n = strtoul(v, NULL, 10);
    if (!strcmp(k, "mode")) return parse_mode(v, &r->mode) < 0 ? -1 : DP_MOD_MODE;
    if (!strcmp(k, "dscp")) return r->dscp = (uint8_t)n, DP_MOD_DSCP;
    if (!strcmp(k, "latch")) return r->latch = n != 0, DP_MOD_LATCH;
    if (!strcmp(k, "hang")) return r->hang_timer_s = (uint32_t)n, DP_MOD_HANG;
    if (!strcmp(k, "sdr")) return r->policer.on = true, r->policer.sdr = (uint32_t)n, DP_MOD_POLICER;
    if (!strcmp(k, "mbs")) return r->policer.mbs = (uint32_t)n, DP_MOD_POLICER;
    if (!strcmp(k, "pdr")) return r->policer.pdr = (uint32_t)n, DP_MOD_POLICER;
    if (!strcmp(k, "dvt")) return r->policer.dvt = (uint32_t)n, DP_MOD_POLICER;
    if (!strcmp(k, "saf")) {
        char ip[64];
        const char *slash = strchr(v, '/');
        if (!slash || (size_t)(slash - v) >= sizeof(ip)) return -1;
        memcpy(ip, v, (size_t)(slash - v));
        ip[slash - v] = '\0';
        r->filter.addr_on = true;
        if (netaddr_parse_ip(&r->filter.addr, ip, 0) < 0) return -1;
        if (netaddr_parse_ip(&r->filter.mask, slash + 1, 0) < 0) return -1;
        return DP_MOD_FILTER;
    }
    if (!strcmp(k, "spr")) {
        r->filter.port_on = true;
        r->filter.port_lo = (uint16_t)n;
        const char *dash = strchr(v, '-');
        r->filter.port_hi = (uint16_t)(dash ? strtoul(dash + 1, NULL, 10) : n);
        return DP_MOD_FILTER;
    }
    return -1;
}

/* "ID CTX STREAM LOCAL_IP PORT [REMOTE_IP RPORT] [k=v...]" -> request and touched fields. */
static int parse_req(char *args, dp_gate_req_t *r, unsigned *what)
{
    char *tok[16];
    int n = 0;
    for (char *t = strtok(args, " \t\n"); t && n < 16; t = strtok(NULL, " \t\n")) tok[n++] = t;
    if (n < 5) return -EINVAL;
    memset(r, 0, sizeof(*r));
    r->mode = DP_MODE_SENDRECV;
    r->gate_id = (uint32_t)strtoul(tok[0], NULL, 10);
    r->ctx_id = (uint32_t)strtoul(tok[1], NULL, 10);
    r->stream_id = (uint16_t)strtoul(tok[2], NULL, 10);
    if (netaddr_parse_ip(&r->local, tok[3], (uint16_t)atoi(tok[4])) < 0) return -EINVAL;
    int i = 5;
    *what = 0;
    if (n >= 7 && !strchr(tok[5], '=')) {
        if (netaddr_parse_ip(&r->remote_rtp, tok[5], (uint16_t)atoi(tok[6])) < 0) return -EINVAL;
        *what |= DP_MOD_REMOTE;
        i = 7;
    }
    for (; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) return -EINVAL;
        *eq = '\0';
        int bit = parse_kv(r, tok[i], eq + 1);
        if (bit < 0) return -EINVAL;
        *what |= (unsigned)bit;
    }
    return 0;
}

static void print_stats(uint32_t id, const dp_gate_stats_t *s)
{
    char a[NETADDR_STRLEN], b[NETADDR_STRLEN];
    printf("stats %u pkts_in=%llu octets_in=%llu pkts_out=%llu octets_out=%llu rtcp_in=%llu "
           "rtcp_out=%llu drop_filter=%llu drop_mode=%llu drop_policer=%llu drop_malformed=%llu "
           "drop_nopeer=%llu drop_error=%llu rtp_lost=%llu jitter_us=%u latched_rtp=%s "
           "latched_rtcp=%s\n",
           id, (unsigned long long)s->pkts_in, (unsigned long long)s->octets_in,
           (unsigned long long)s->pkts_out, (unsigned long long)s->octets_out,
           (unsigned long long)s->rtcp_in, (unsigned long long)s->rtcp_out,
           (unsigned long long)s->drop_filter, (unsigned long long)s->drop_mode,
           (unsigned long long)s->drop_policer, (unsigned long long)s->drop_malformed,
           (unsigned long long)s->drop_nopeer, (unsigned long long)s->drop_error,
           (unsigned long long)s->rtp_lost, s->jitter_us, netaddr_format(&s->latched_rtp, a, sizeof(a)),
           netaddr_format(&s->latched_rtcp, b, sizeof(b)));
}

static void command(dp_t *dp, char *line)
{
    char *cmd = strtok(line, " \t\n");
    char *rest = strtok(NULL, "\n");
    dp_gate_req_t r;
    unsigned what;
    int rc = 0;
    if (!cmd) return;
    if (!strcmp(cmd, "open") || !strcmp(cmd, "modify")) {
        rc = rest ? parse_req(rest, &r, &what) : -EINVAL;
        if (rc == 0) rc = cmd[0] == 'o' ? dp_gate_open(dp, &r) : dp_gate_modify(dp, &r, what);
    } else if (!strcmp(cmd, "stats") || !strcmp(cmd, "close")) {
        uint32_t id = rest ? (uint32_t)strtoul(rest, NULL, 10) : 0;
        dp_gate_stats_t s;
        rc = cmd[0] == 's' ? dp_gate_stats(dp, id, &s) : dp_gate_close(dp, id, NULL);
        if (rc == 0 && cmd[0] == 's') {
            print_stats(id, &s);
            return;
        }
    } else if (!strcmp(cmd, "events")) {
        dp_event_t ev[64];
        int n = dp_poll_events(dp, ev, 64);
        for (int i = 0; i < n; i++) printf("event hangterm %u\n", ev[i].gate_id);
    } else {
        rc = -EINVAL;
    }
    if (rc == 0) printf("ok\n");
    else printf("err %d\n", rc);
}

int main(int argc, char **argv)
{
    dp_config_t cfg = {.workers = 1, .max_gates = 1024};
    int opt;
    while ((opt = getopt(argc, argv, "w:g:r:")) != -1) {
        if (opt == 'w') cfg.workers = (unsigned)atoi(optarg);
        else if (opt == 'g') cfg.max_gates = (uint32_t)atoi(optarg);
        else if (opt == 'r') cfg.relatch_idle_ms = (uint32_t)atoi(optarg);
        else {
            fprintf(stderr, "usage: dpctl [-w workers] [-g max_gates] [-r relatch_ms]\n");
            return 2;
        }
    }
    char err[128];
    dp_t *dp = dp_start(&cfg, err, sizeof(err));
    if (!dp) {
        fprintf(stderr, "dpctl: %s\n", err);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    char line[512];
    while (fgets(line, sizeof(line), stdin)) {
        if (!strncmp(line, "quit", 4)) break;
        command(dp, line);
    }
    dp_stop(dp);
    return 0;
}
