/* log.h - leveled logging to standard error or syslog. Thread-safe (one write per line).
 * Ordinary logs never carry interception data: the LI module has its own log (li/lilog). */
#ifndef BGF_LOG_H
#define BGF_LOG_H

typedef enum { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG } log_level_t;

/* target: "stderr" or "syslog"; ident names the program in syslog. */
int log_open(const char *target, const char *ident, log_level_t level);
void log_set_level(log_level_t level);
log_level_t log_get_level(void);
/* Parse "error|warn|notice|info|debug"; returns -1 for anything else. */
int log_level_parse(const char *s);
void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_enabled(lvl) ((lvl) <= log_get_level())
#define LOG_ERR(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define LOG_WARN(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_NOTICE(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define LOG_INFO(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
