/* bgfd.c - the BGF media gateway daemon: reads its configuration, starts interception control
 * (when [li] is configured), the data plane and the call engine, registers with the MGC and
 * runs the control-plane event loop. Signals arrive through a signalfd: SIGTERM/SIGINT leave
 * gracefully (a second one ends at once), SIGHUP reloads what may change at run time.
 *
 *   bgfd [-c FILE] [-f] [-d] [-l LEVEL]     run (in the foreground)
 *   bgfd --check-config FILE                check FILE, exit 0 (valid) or 1 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "dp/dp.h"
#include "li/li.h"
#include "mg/assoc.h"
#include "mg/config.h"
#include "mg/engine.h"
#include "mg/loop.h"

typedef struct bgfd {
    mg_config_t cfg;
    mg_loop_t *loop;
    li_ctl_t *li;
    dp_t *dp;
    mg_engine_t *eng;
    mg_assoc_t *assoc;
    int sigfd;
    int leaving;       /* SIGTERMs seen */
    bool debug_forced; /* -d: keep debug across reloads */
} bgfd_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: bgfd [-c FILE] [-f] [-d] [-l LEVEL]\n"
               "       bgfd --check-config FILE\n"
               "  -c FILE          configuration file (default: the embedded loopback default)\n"
               "  -f               stay in the foreground (the default; kept for init scripts)\n"
               "  -d               debug logging: every H.248 message in and out\n"
               "  -l LEVEL         log level: error, warn, notice, info, debug\n"
               "  --check-config   check FILE and exit: 0 valid, 1 not\n");
}

/* bgfd refuses a key file that group or others may read, or that is not a regular file. */
static int check_key_file(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return snprintf(err, errlen, "[li] key_file %s: %s", path, strerror(errno)), -1;
    if (!S_ISREG(st.st_mode))
        return snprintf(err, errlen, "[li] key_file %s: not a regular file", path), -1;
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return snprintf(err, errlen,
                        "[li] key_file %s: mode %03o lets group or others in; it must be readable "
                        "by bgfd's user alone (chmod 600)",
                        path, (unsigned)(st.st_mode & 0777)),
               -1;
    if (access(path, R_OK) < 0)
        return snprintf(err, errlen, "[li] key_file %s: %s", path, strerror(errno)), -1;
    return 0;
}

static int check_config(const char *path)
{
    mg_config_t cfg;
    char err[512];
    mg_config_default(&cfg);
    if (mg_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (cfg.li.enabled && check_key_file(cfg.li.key_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    printf("%s: configuration ok\n", path);
    return 0;
}

static li_sender_t *li_sender_for(unsigned worker, void *arg)
{
    return li_ctl_sender(arg, worker);
}

static void on_dp_event(mg_loop_t *l, int fd, unsigned ev, void *arg)
{
    bgfd_t *b = arg;
    mg_engine_poll(b->eng);
}

static void left(void *arg)
{
    bgfd_t *b = arg;
    mg_loop_stop(b->loop);
}

static void reload(bgfd_t *b)
{
    if (!b->cfg.path[0]) {
        LOG_NOTICE("SIGHUP: running on the embedded default, nothing to reload");
        return;
    }
    mg_config_t *next = malloc(sizeof(*next));
    char err[512], restart[512];
    if (!next) return;
    mg_config_default(next);
    if (mg_config_load(next, b->cfg.path, err, sizeof(err)) < 0) {
        LOG_ERR("SIGHUP: %s; keeping the running configuration", err);
        free(next);
        return;
    }
    if (mg_config_reload(&b->cfg, next, restart, sizeof(restart)) > 0)
        LOG_WARN("SIGHUP: changes to %s take effect at the next restart", restart);
    free(next);
    if (b->debug_forced) b->cfg.log_level = LOG_LVL_DEBUG;
    log_set_level(b->cfg.log_level);
    if (b->eng) mg_engine_reload(b->eng, &b->cfg);
    mg_assoc_reload(b->assoc);
    LOG_NOTICE("SIGHUP: configuration %s reloaded", b->cfg.path);
}

static void on_signal(mg_loop_t *l, int fd, unsigned ev, void *arg)
{
    bgfd_t *b = arg;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            reload(b);
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            if (b->leaving++) {
                LOG_NOTICE("second stop signal: leaving now");
                mg_loop_stop(l);
                return;
            }
            mg_assoc_leave(b->assoc, left, b);
        }
    }
}

/* Block the signals bgfd handles before any thread starts (the data plane's workers inherit
 * the mask), so that they arrive only through the signalfd. */
static int block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    return pthread_sigmask(SIG_BLOCK, set, NULL) == 0 ? 0 : -1;
}

static int setup_signals(bgfd_t *b)
{
    sigset_t set;
    if (block_signals(&set) < 0) return -1;
    b->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (b->sigfd < 0) return -1;
    return mg_loop_add(b->loop, b->sigfd, MG_EV_READ, on_signal, b);
}

/* The gate requests of a round of the event loop reach the workers with one wake-up. */
static void flush_dp(void *dp)
{
    dp_flush(dp);
}

/* Start interception control, data plane, transport and engine, in that order. */
static int start(bgfd_t *b, char *err, size_t errlen)
{
    mg_config_t *c = &b->cfg;
    sigset_t set;
    if (block_signals(&set) < 0) return snprintf(err, errlen, "signals: %s", strerror(errno)), -1;
    if (c->li.enabled) {
        if (check_key_file(c->li.key_file, err, errlen) < 0) return -1;
        b->li = li_ctl_new(&c->li, c->max_gates, err, errlen);
        if (!b->li) return -1;
    }
    dp_config_t dc = {.workers = c->workers,
                      .max_gates = c->max_gates,
                      .default_dscp = c->default_dscp,
                      .default_latch = c->default_latch,
                      .relatch_idle_ms = c->relatch_idle_ms,
                      .li_sender_for_worker = b->li ? li_sender_for : NULL,
                      .li_arg = b->li,
                      .li_copy = b->li ? li_tap_copy : NULL,
                      .li_kick = b->li ? li_sender_kick : NULL,
                      .li_update = li_tap_update,
                      .fast_path = c->fast_path_tc ? DP_FAST_PATH_TC : DP_FAST_PATH_OFF,
                      .defer_wake = true};
    /* fast_path = auto: tc when root and the program loads, else the socket path (said once).
     * A mirrored gate is never offloaded (interception must see every packet), so with
     * interception configured the kernel would carry untapped calls faster than tapped ones:
     * a difference in delay a party could measure. auto keeps every call on one path then. */
    if (c->fast_path_auto && geteuid() != 0)
        LOG_INFO("dp: kernel fast path off (fast_path = auto): bgfd does not run as root");
    else if (c->fast_path_auto && c->li.enabled)
        LOG_INFO("dp: kernel fast path off (fast_path = auto): [li] is configured, and a "
                 "mirrored call must not be told apart by its delay (docs/configuration.md)");
    else if (c->fast_path_auto)
        dc.fast_path = DP_FAST_PATH_TC;
    if (c->fast_path_tc && c->li.enabled)
        LOG_WARN("dp: fast_path = tc with [li]: calls carried in the kernel and calls through "
                 "the workers differ in delay (docs/configuration.md)");
    b->dp = dp_start(&dc, err, errlen);
    if (!b->dp && c->fast_path_auto && dc.fast_path == DP_FAST_PATH_TC &&
        strncmp(err, "fast path", 9) == 0) {
        LOG_INFO("dp: kernel fast path off (fast_path = auto): %s", err);
        dc.fast_path = DP_FAST_PATH_OFF;
        b->dp = dp_start(&dc, err, errlen);
    } else if (b->dp && c->fast_path_auto && dc.fast_path == DP_FAST_PATH_TC) {
        LOG_INFO("dp: kernel fast path on (fast_path = auto)");
    }
    if (!b->dp) return -1;
    if (!(b->loop = mg_loop_new(4096)))
        return snprintf(err, errlen, "event loop: out of memory"), -1;
    mg_loop_set_before_wait(b->loop, flush_dp, b->dp);
    if (setup_signals(b) < 0) return snprintf(err, errlen, "signals: %s", strerror(errno)), -1;
    b->assoc = mg_assoc_new(b->loop, c, err, errlen);
    if (!b->assoc) return -1;
    mg_engine_ops_t ops;
    mg_assoc_engine_ops(b->assoc, &ops);
    b->eng = mg_engine_new(c, b->dp, b->li, &ops, err, errlen);
    if (!b->eng) return -1;
    mg_assoc_set_engine(b->assoc, b->eng);
    int efd = dp_event_fd(b->dp);
    if (efd >= 0) mg_loop_add(b->loop, efd, MG_EV_READ, on_dp_event, b);
    return 0;
}

static void stop(bgfd_t *b)
{
    if (b->assoc) mg_assoc_free(b->assoc); /* before the engine: no callbacks into it after */
    if (b->eng) mg_engine_free(b->eng);
    if (b->dp) dp_stop(b->dp);
    if (b->li) li_ctl_free(b->li);
    if (b->sigfd > 0) close(b->sigfd);
    if (b->loop) mg_loop_free(b->loop);
}

int main(int argc, char **argv)
{
    static bgfd_t b; /* large (the configuration): not on the stack */
    const char *path = NULL;
    int level = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--check-config") == 0) {
            if (i + 1 >= argc) return usage(stderr), 1;
            return check_config(argv[i + 1]);
        } else if (strcmp(a, "-c") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(a, "-l") == 0 && i + 1 < argc) {
            if ((level = log_level_parse(argv[++i])) < 0) return usage(stderr), 1;
        } else if (strcmp(a, "-d") == 0) {
            level = LOG_LVL_DEBUG;
            b.debug_forced = true;
        } else if (strcmp(a, "-f") == 0) {
            /* foreground is the only mode: supervisors (systemd, runit) do the rest */
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 1;
        }
    }
    char err[512];
    mg_config_default(&b.cfg);
    if (path && mg_config_load(&b.cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "bgfd: %s\n", err);
        return 1;
    }
    if (level >= 0) b.cfg.log_level = (log_level_t)level;
    log_open(b.cfg.log_target, "bgfd", b.cfg.log_level);
    if (start(&b, err, sizeof(err)) < 0) {
        LOG_ERR("cannot start: %s", err);
        stop(&b);
        return 1;
    }
    LOG_NOTICE("bgfd running (%s), mid %s", path ? path : "embedded default configuration",
               b.cfg.mid);
    mg_assoc_start(b.assoc);
    int rc = mg_loop_run(b.loop);
    LOG_NOTICE("bgfd stopped");
    stop(&b);
    return rc < 0 ? 1 : 0;
}
