/* ctl.c - interception control (li.h): keys, the share limit, the table of tapped gates,
 * the per-worker senders, the LI log and the LI-only status view.
 * Threads: the control plane calls li_ctl_* (a mutex guards the tap table and the sender
 * array, never touched per packet); workers use only the li_sender_t they were given.
 * The LI log and the status file (both mode 0600) are the only places LI data is written. */
#include "li/sender.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LI_MAX_WORKERS 256

typedef struct li_entry {
    uint32_t gate;
    li_tap_conf_t conf;
    time_t since;
} li_entry_t;

struct li_ctl {
    li_conf_t conf;                         /* read-only after li_ctl_new */
    li_keys_t *keys;                        /* read-only */
    uint32_t max_gates, limit;              /* read-only */
    int log_fd;                             /* read-only; writes are whole lines */
    pthread_mutex_t mu;                     /* guards everything below */
    li_entry_t *taps;
    size_t ntaps, cap;
    li_sender_t *senders[LI_MAX_WORKERS];
    li_seq_table_t *seqs;                   /* entries changed here, counted by workers */
    pthread_t status_thread;                /* refreshes the status view's counters */
    pthread_cond_t stop_cv;                 /* with mu: wakes the status thread to end */
    bool stopping, status_running;          /* guarded by mu */
    uint64_t admitted, refused_share, refused_invalid, stopped;
};

/* Open (or create) a file for LI data: ours, mode 0600 whatever it was before. */
static int open_private(const char *path, int flags, char *err, size_t errlen)
{
    int fd = open(path, flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        ((st.st_mode & 077) && fchmod(fd, 0600) != 0)) {
        snprintf(err, errlen, "%s: not a regular file of this user that can be made mode 0600",
                 path);
        close(fd);
        return -1;
    }
    return fd;
}

/* Status thread: rewrite the LI status view every STATUS_PERIOD_S so its copy counters stay
 * current without bgfd having to ask. */
#define STATUS_PERIOD_S 2
static void *status_main(void *arg)
{
    li_ctl_t *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += STATUS_PERIOD_S;
        pthread_cond_timedwait(&c->stop_cv, &c->mu, &until);
        if (c->stopping) break;
        pthread_mutex_unlock(&c->mu);
        li_ctl_write_status(c);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

li_ctl_t *li_ctl_new(const li_conf_t *conf, uint32_t max_gates, char *err, size_t errlen)
{
    if (!conf->enabled) {
        snprintf(err, errlen, "interception is not enabled");
        return NULL;
    }
    if (!conf->log_file[0]) {
        snprintf(err, errlen, "interception needs an LI log file");
        return NULL;
    }
    li_ctl_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->conf = *conf;
    c->log_fd = -1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->stop_cv, NULL);
    double pct = conf->max_share_pct > 0 ? conf->max_share_pct : 1.0;
    if (pct > 100) pct = 100;
    double lim = (double)max_gates * pct / 100.0;
    c->max_gates = max_gates;
    c->limit = lim < 1 ? 1 : (uint32_t)(lim + 1e-9); /* 1 % of 700 is 7, not 6.99.. */
    if (!(c->seqs = li_seq_new((size_t)c->limit * LI_MAX_TARGETS * 2))) {
        snprintf(err, errlen, "out of memory");
        li_ctl_free(c);
        return NULL;
    }
    if (li_keys_load(conf->key_file, &c->keys, err, errlen) != 0 ||
        (c->log_fd = open_private(conf->log_file, O_WRONLY | O_APPEND, err, errlen)) < 0 ||
        !(c->senders[0] = li_sender_new(conf, err, errlen))) {
        li_ctl_free(c);
        return NULL;
    }
    li_sender_set_seq(c->senders[0], c->seqs);
    if (conf->status_file[0])
        c->status_running = pthread_create(&c->status_thread, NULL, status_main, c) == 0;
    char a[NETADDR_STRLEN];
    li_ctl_log(c, "interception ready: delivery function %s format %s, at most %u of %u gates "
                  "(%.2f %%)", netaddr_format(&conf->df_dst, a, sizeof a),
               conf->format == LI_FMT_JMIRROR ? "jmirror" : "etsi", c->limit, max_gates, pct);
    return c;
}

void li_ctl_free(li_ctl_t *c)
{
    if (!c) return;
    if (c->status_running) {
        pthread_mutex_lock(&c->mu);
        c->stopping = true;
        pthread_cond_signal(&c->stop_cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->status_thread, NULL);
    }
    for (int i = 0; i < LI_MAX_WORKERS; i++) li_sender_free(c->senders[i]);
    li_keys_free(c->keys);
    if (c->log_fd >= 0) close(c->log_fd);
    free(c->taps);
    li_seq_free(c->seqs);
    pthread_cond_destroy(&c->stop_cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const li_keys_t *li_ctl_keys(const li_ctl_t *c)
{
    return c ? c->keys : NULL;
}

void li_ctl_log(li_ctl_t *c, const char *fmt, ...)
{
    if (!c || c->log_fd < 0) return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ ", ts.tv_nsec / 1000000);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + (size_t)m < sizeof line - 1 ? n + (size_t)m : sizeof line - 2;
    line[n++] = '\n';
    if (write(c->log_fd, line, n) < 0) { /* nowhere else to say it without leaking */ }
}

/* "ffffff00,ffffff01" */
static void format_targets(const li_tap_conf_t *t, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < t->ntargets && i < LI_MAX_TARGETS && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%08" PRIx32, i ? "," : "", t->targets[i]);
}

/* One more / one fewer gate feeds each distinct (correlation ID, target) stream of t. */
static void ref_streams(li_ctl_t *c, const li_tap_conf_t *t, int delta)
{
    for (unsigned i = 0; i < t->ntargets && i < LI_MAX_TARGETS; i++) {
        bool seen = false;
        for (unsigned j = 0; j < i; j++) seen |= t->targets[j] == t->targets[i];
        if (!seen) li_seq_ref(c->seqs, t->cid, t->targets[i], delta);
    }
}

static li_entry_t *find_tap(li_ctl_t *c, uint32_t gate)
{
    for (size_t i = 0; i < c->ntaps; i++)
        if (c->taps[i].gate == gate) return &c->taps[i];
    return NULL;
}

static void drop_tap(li_ctl_t *c, li_entry_t *e)
{
    ref_streams(c, &e->conf, -1);
    *e = c->taps[--c->ntaps];
}

static bool conf_valid(const li_tap_conf_t *conf)
{
    return conf && conf->active && conf->cid != 0 && conf->ntargets >= 1 &&
           conf->ntargets <= LI_MAX_TARGETS;
}

/* One gate, with c->mu held: stop, change or start its tap. `room` false: the share limit
 * leaves no place for a new tap (the caller decided for the whole termination). */
static bool admit_locked(li_ctl_t *c, uint32_t gate_id, const li_tap_conf_t *conf, bool room)
{
    char tg[LI_MAX_TARGETS * 9 + 1];
    li_entry_t *e = find_tap(c, gate_id);
    if (!conf_valid(conf)) {
        c->refused_invalid++;
        if (e) drop_tap(c, e), c->stopped++;
        li_ctl_log(c, "gate %" PRIu32 ": not tapped (no valid correlation number or targets)%s",
                   gate_id, e ? "; interception stopped" : "");
        return false;
    }
    format_targets(conf, tg, sizeof tg);
    if (e) {
        ref_streams(c, conf, +1); /* before the old ones go: kept streams keep counting */
        ref_streams(c, &e->conf, -1);
        e->conf = *conf;
        li_ctl_log(c, "gate %" PRIu32 ": interception changed: correlation %" PRIu64
                      " targets %s", gate_id, conf->cid, tg);
        return true;
    }
    if (!room || c->ntaps >= c->limit) {
        c->refused_share++;
        li_ctl_log(c, "gate %" PRIu32 ": NOT tapped: share limit reached (%u of %u gates "
                      "tapped); correlation %" PRIu64 " targets %s",
                   gate_id, c->limit, c->max_gates, conf->cid, tg);
        return false;
    }
    if (c->ntaps == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 16;
        li_entry_t *t = realloc(c->taps, ncap * sizeof *t);
        if (!t) {
            li_ctl_log(c, "gate %" PRIu32 ": NOT tapped: out of memory", gate_id);
            return false;
        }
        c->taps = t, c->cap = ncap;
    }
    c->taps[c->ntaps++] = (li_entry_t){.gate = gate_id, .conf = *conf, .since = time(NULL)};
    ref_streams(c, conf, +1);
    c->admitted++;
    li_ctl_log(c, "gate %" PRIu32 ": interception started: correlation %" PRIu64 " targets %s",
               gate_id, conf->cid, tg);
    return true;
}

bool li_ctl_admit(li_ctl_t *c, uint32_t gate_id, const li_tap_conf_t *conf)
{
    return c && li_ctl_admit_all(c, &gate_id, 1, conf) == 1;
}

unsigned li_ctl_admit_all(li_ctl_t *c, const uint32_t *gates, unsigned n, const li_tap_conf_t *conf)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    size_t fresh = 0; /* gates not tapped yet: they need room under the share limit */
    for (unsigned i = 0; i < n; i++) fresh += find_tap(c, gates[i]) == NULL;
    bool room = c->ntaps + fresh <= c->limit;
    unsigned ok = 0;
    for (unsigned i = 0; i < n; i++) ok += admit_locked(c, gates[i], conf, room);
    pthread_mutex_unlock(&c->mu);
    li_ctl_write_status(c);
    return ok;
}

void li_ctl_release(li_ctl_t *c, uint32_t gate_id)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    li_entry_t *e = find_tap(c, gate_id);
    if (e) {
        uint64_t cid = e->conf.cid;
        drop_tap(c, e);
        c->stopped++;
        li_ctl_log(c, "gate %" PRIu32 ": interception stopped (correlation %" PRIu64 ")",
                   gate_id, cid);
    }
    pthread_mutex_unlock(&c->mu);
    if (e) li_ctl_write_status(c);
}

li_sender_t *li_ctl_sender_for_worker(unsigned worker, void *arg)
{
    return li_ctl_sender(arg, worker);
}

li_sender_t *li_ctl_sender(li_ctl_t *c, unsigned worker)
{
    if (!c || worker >= LI_MAX_WORKERS) return NULL;
    pthread_mutex_lock(&c->mu);
    if (!c->senders[worker]) {
        char err[256];
        c->senders[worker] = li_sender_new(&c->conf, err, sizeof err);
        if (!c->senders[worker]) li_ctl_log(c, "worker %u: no LI sender: %s", worker, err);
        else li_sender_set_seq(c->senders[worker], c->seqs);
    }
    li_sender_t *s = c->senders[worker];
    pthread_mutex_unlock(&c->mu);
    return s;
}

/* Copies per target summed over the workers, for the status view. */
typedef struct tsum {
    uint32_t target[1024];
    uint64_t copies[1024], bytes[1024];
    size_t n;
} tsum_t;

static void add_target(uint32_t target, uint64_t copies, uint64_t bytes, void *arg)
{
    tsum_t *t = arg;
    size_t i = 0;
    while (i < t->n && t->target[i] != target) i++;
    if (i == t->n) {
        if (t->n == 1024) return;
        t->target[t->n] = target, t->copies[t->n] = t->bytes[t->n] = 0, t->n++;
    }
    t->copies[i] += copies, t->bytes[i] += bytes;
}

static void write_status(li_ctl_t *c, FILE *f)
{
    char tg[LI_MAX_TARGETS * 9 + 1];
    fprintf(f, "# bgf interception status - LI only, do not copy elsewhere\n");
    fprintf(f, "time %lld\nlimit %u of %u gates\ntaps %zu\n", (long long)time(NULL), c->limit,
            c->max_gates, c->ntaps);
    fprintf(f, "admitted %" PRIu64 "\nrefused_share_limit %" PRIu64 "\nrefused_invalid %" PRIu64
               "\nstopped %" PRIu64 "\n", c->admitted, c->refused_share, c->refused_invalid,
            c->stopped);
    for (size_t i = 0; i < c->ntaps; i++) {
        format_targets(&c->taps[i].conf, tg, sizeof tg);
        fprintf(f, "tap gate=%" PRIu32 " correlation=%" PRIu64 " targets=%s since=%lld\n",
                c->taps[i].gate, c->taps[i].conf.cid, tg, (long long)c->taps[i].since);
    }
    static tsum_t sum; /* guarded by c->mu; too big for the stack */
    sum.n = 0;
    li_sender_stats_t tot = {0};
    for (int w = 0; w < LI_MAX_WORKERS; w++) {
        if (!c->senders[w]) continue;
        li_sender_stats_t st;
        li_sender_stats(c->senders[w], &st);
        tot.copies += st.copies, tot.bytes += st.bytes, tot.send_errors += st.send_errors;
        tot.too_big += st.too_big, tot.other_copies += st.other_copies;
        tot.queue_full += st.queue_full;
        li_sender_each_target(c->senders[w], add_target, &sum);
    }
    fprintf(f, "copies %" PRIu64 "\nbytes %" PRIu64 "\nsend_errors %" PRIu64 "\ntoo_big %" PRIu64
               "\nqueue_full %" PRIu64 "\n", tot.copies, tot.bytes, tot.send_errors, tot.too_big,
            tot.queue_full);
    for (size_t i = 0; i < sum.n; i++)
        fprintf(f, "target %08" PRIx32 " copies=%" PRIu64 " bytes=%" PRIu64 "\n", sum.target[i],
                sum.copies[i], sum.bytes[i]);
}

void li_ctl_write_status(li_ctl_t *c)
{
    if (!c || !c->conf.status_file[0]) return;
    char tmp[300], err[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->conf.status_file);
    pthread_mutex_lock(&c->mu);
    int fd = open_private(tmp, O_WRONLY | O_TRUNC, err, sizeof err);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f) {
        write_status(c, f);
        if (fclose(f) == 0 && rename(tmp, c->conf.status_file) == 0) fd = -2;
    } else if (fd >= 0) {
        close(fd);
    }
    pthread_mutex_unlock(&c->mu);
    if (fd != -2) li_ctl_log(c, "status view %s not written", c->conf.status_file);
}
