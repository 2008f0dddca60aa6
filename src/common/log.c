/* log.c - leveled logging to standard error or syslog. Any thread. */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static _Atomic int cur_level = LOG_LVL_NOTICE; /* read by every thread, set by the main thread */
static int use_syslog;                         /* read-only after log_open */

static const char *const names[] = {"error", "warn", "notice", "info", "debug"};

int log_open(const char *target, const char *ident, log_level_t level)
{
    atomic_store(&cur_level, (int)level);
    if (target && strcmp(target, "syslog") == 0) {
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        use_syslog = 1;
        return 0;
    }
    if (target && strcmp(target, "stderr") != 0) return -1;
    use_syslog = 0;
    return 0;
}

void log_set_level(log_level_t level)
{
    atomic_store(&cur_level, (int)level);
}

log_level_t log_get_level(void)
{
    return (log_level_t)atomic_load_explicit(&cur_level, memory_order_relaxed);
}

int log_level_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i]) == 0) return (int)i;
    return -1;
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    if (!log_enabled(level)) return;
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (use_syslog) {
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};
        syslog(prio[level], "%s", line);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char out[4200];
    int n = snprintf(out, sizeof(out), "%02d:%02d:%02d.%03ld %-6s %s\n", tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, names[level], line);
    if (n > (int)sizeof(out) - 1) n = (int)sizeof(out) - 1;
    if (write(STDERR_FILENO, out, (size_t)n) < 0) { /* nowhere left to report it */
    }
}
