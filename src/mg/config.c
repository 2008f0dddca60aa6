/* config.c - bgfd's configuration: the embedded loopback default, and an INI file read with
 * libinih over it. Directives are a table (section, key, parser, offsetof of the field); every
 * error names "FILE:LINE: key: what is wrong". Main thread only, at start and on SIGHUP. */
#include "mg/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mg_config_default(mg_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->mid, sizeof(cfg->mid), "[127.0.0.1]:2944");
    netaddr_parse(&cfg->listen_udp[0], "127.0.0.1:2944", -1);
    cfg->nlisten_udp = 1;
    netaddr_parse(&cfg->listen_tcp[0], "127.0.0.1:2944", -1);
    cfg->nlisten_tcp = 1;
    netaddr_parse(&cfg->mgc[0].addr, "127.0.0.1:2945", -1);
    cfg->mgc[0].transport = MG_TRANSPORT_UDP;
    cfg->nmgc = 1;
    snprintf(cfg->profile, sizeof(cfg->profile), "ETSI_BGF");
    cfg->profile_version = 1;
    cfg->h248_version = 3;
    snprintf(cfg->log_target, sizeof(cfg->log_target), "stderr");
    cfg->log_level = LOG_LVL_NOTICE;
    cfg->long_timer_ms = 30000;
    cfg->normal_mg_exec_ms = 500;
    cfg->normal_mgc_exec_ms = 500;
    cfg->provisional_timer_ms = 1000;
    cfg->mgc_provisional_timer_ms = 1000;
    cfg->pending_limit = 10;
    cfg->mgc_pending_limit = 10;
    cfg->retrans_initial_ms = 500;
    cfg->retrans_max_ms = 4000;
    cfg->retrans_max_tries = 5;
    cfg->graceful_delay_s = 0;
    cfg->max_stored_replies = 500000;
    mg_realm_conf_t *r = &cfg->realms[0];
    snprintf(r->name, sizeof(r->name), "core");
    netaddr_parse_ip(&r->addrs[0], "127.0.0.1", 0);
    r->naddrs = 1;
    r->port_min = 20000;
    r->port_max = 29999;
    cfg->nrealms = 1;
    cfg->default_realm = 0;
    cfg->max_gates = 5000;      /* the embedded realm's 5,000 port pairs */
    cfg->max_contexts = 2500;
    cfg->workers = 0;
    cfg->default_dscp = 0;
    cfg->default_latch = false;
    cfg->relatch_idle_ms = 0;
    cfg->default_hang_timer_s = 0;
    cfg->fast_path_auto = true; /* the kernel fast path where it can run */
    cfg->li.enabled = false;
    cfg->li.format = LI_FMT_ETSI;
    cfg->li.point = LI_POINT_NATURAL;
    cfg->li.max_share_pct = 1.0;
}

int mg_config_realm(const mg_config_t *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->nrealms; i++)
        if (strcmp(cfg->realms[i].name, name) == 0) return (int)i;
    return -1;
}

/* ---- value parsers: 0 or -1 with the reason in why ---- */

typedef enum { SEC_NONE = 0, SEC_BGFD, SEC_H248, SEC_MEDIA, SEC_REALM, SEC_LI, SEC_UNKNOWN } sec_t;

typedef struct directive directive_t;
typedef int (*parse_fn)(void *field, const char *v, const directive_t *d, char *why, size_t wl);

struct directive {
    sec_t sec;
    const char *name;
    parse_fn parse;
    size_t off;        /* offsetof in mg_config_t, or in mg_realm_conf_t for SEC_REALM */
    uint32_t min, max; /* numbers: inclusive range; strings: max = buffer size */
};

static int parse_u32(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!isdigit((unsigned char)v[0]) || *end != '\0' || errno) {
        snprintf(why, wl, "'%s' is not a number", v);
        return -1;
    }
    if (x < d->min || x > d->max) {
        snprintf(why, wl, "%s is out of range %u..%u", v, d->min, d->max);
        return -1;
    }
    *(uint32_t *)field = (uint32_t)x;
    return 0;
}

static int parse_uint(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    uint32_t x;
    if (parse_u32(&x, v, d, why, wl) < 0) return -1;
    *(unsigned *)field = x;
    return 0;
}

static int parse_u8(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    uint32_t x;
    if (parse_u32(&x, v, d, why, wl) < 0) return -1;
    *(uint8_t *)field = (uint8_t)x;
    return 0;
}

static int parse_bool(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) return *(bool *)field = true, 0;
        if (strcasecmp(v, no[i]) == 0) return *(bool *)field = false, 0;
    }
    snprintf(why, wl, "'%s' is not yes or no", v);
    return -1;
}

static int parse_str(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    if (v[0] == '\0') {
        snprintf(why, wl, "must not be empty");
        return -1;
    }
    if (strlen(v) >= d->max) {
        snprintf(why, wl, "longer than %u characters", d->max - 1);
        return -1;
    }
    memcpy(field, v, strlen(v) + 1);
    return 0;
}

static int parse_level(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    int l = log_level_parse(v);
    if (l < 0) {
        snprintf(why, wl, "'%s' is not one of error, warn, notice, info, debug", v);
        return -1;
    }
    *(log_level_t *)field = (log_level_t)l;
    return 0;
}

static int parse_target(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    if (strcmp(v, "stderr") != 0 && strcmp(v, "syslog") != 0) {
        snprintf(why, wl, "'%s' is not stderr or syslog", v);
        return -1;
    }
    snprintf(field, 16, "%s", v);
    return 0;
}

/* Split a comma- or space-separated list into at most max trimmed items. Returns the count or
 * -1 when there are more. */
static int split_list(const char *v, char items[][96], int max)
{
    int n = 0;
    const char *p = v;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != ',' && !isspace((unsigned char)*p))
            p++;
        if (n == max) return -1;
        size_t len = (size_t)(p - s) < 95 ? (size_t)(p - s) : 95;
        memcpy(items[n], s, len);
        items[n++][len] = '\0';
    }
    return n;
}

/* "ADDR[:PORT], ..." (port 2944 when absent) into netaddr_t[MG_MAX_LISTEN] and the count that
 * follows the array in mg_config_t. */
_Static_assert(offsetof(mg_config_t, nlisten_udp) ==
                   offsetof(mg_config_t, listen_udp) + sizeof(netaddr_t) * MG_MAX_LISTEN,
               "count follows the array");
_Static_assert(offsetof(mg_config_t, nlisten_tcp) ==
                   offsetof(mg_config_t, listen_tcp) + sizeof(netaddr_t) * MG_MAX_LISTEN,
               "count follows the array");
static int parse_listen(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    netaddr_t *arr = field;
    unsigned *count = (unsigned *)((char *)field + sizeof(netaddr_t) * MG_MAX_LISTEN);
    char items[MG_MAX_LISTEN + 1][96];
    if (strcmp(v, "none") == 0) return *count = 0, 0;
    int n = split_list(v, items, MG_MAX_LISTEN);
    if (n < 0) return snprintf(why, wl, "more than %d addresses", MG_MAX_LISTEN), -1;
    if (n == 0) return snprintf(why, wl, "no address (write none to disable)"), -1;
    for (int i = 0; i < n; i++)
        if (netaddr_parse(&arr[i], items[i], 2944) < 0)
            return snprintf(why, wl, "'%s' is not an address[:port]", items[i]), -1;
    *count = (unsigned)n;
    return 0;
}

/* "[udp:|tcp:]ADDR[:PORT], ..." (udp and port 2944 when absent). */
static int parse_mgc(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    mg_config_t *cfg = (mg_config_t *)((char *)field - offsetof(mg_config_t, mgc));
    char items[MG_MAX_MGC + 1][96];
    int n = split_list(v, items, MG_MAX_MGC);
    if (n < 0) return snprintf(why, wl, "more than %d controllers", MG_MAX_MGC), -1;
    if (n == 0) return snprintf(why, wl, "no controller address"), -1;
    for (int i = 0; i < n; i++) {
        const char *a = items[i];
        mg_transport_t t = MG_TRANSPORT_UDP;
        if (strncasecmp(a, "udp:", 4) == 0)
            a += 4;
        else if (strncasecmp(a, "tcp:", 4) == 0)
            a += 4, t = MG_TRANSPORT_TCP;
        if (netaddr_parse(&cfg->mgc[i].addr, a, 2944) < 0)
            return snprintf(why, wl, "'%s' is not [udp:|tcp:]address[:port]", items[i]), -1;
        cfg->mgc[i].transport = t;
    }
    cfg->nmgc = (unsigned)n;
    return 0;
}

/* "NAME/VERSION", e.g. ETSI_BGF/1. */
static int parse_profile(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    mg_config_t *cfg = (mg_config_t *)((char *)field - offsetof(mg_config_t, profile));
    const char *slash = strchr(v, '/');
    char *end;
    if (!slash || slash == v || (size_t)(slash - v) >= sizeof(cfg->profile))
        return snprintf(why, wl, "'%s' is not NAME/VERSION (e.g. ETSI_BGF/1)", v), -1;
    unsigned long ver = strtoul(slash + 1, &end, 10);
    if (!isdigit((unsigned char)slash[1]) || *end || ver < 1 || ver > 99)
        return snprintf(why, wl, "'%s': version must be 1..99", v), -1;
    for (const char *p = v; p < slash; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return snprintf(why, wl, "'%s': the name holds letters, digits, _ and -", v), -1;
    memcpy(cfg->profile, v, (size_t)(slash - v));
    cfg->profile[slash - v] = '\0';
    cfg->profile_version = (unsigned)ver;
    return 0;
}

/* mId: [IPv4]:port, [IPv6]:port, <domain>:port or a device name; no spaces or braces. */
static int parse_mid(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    if (parse_str(field, v, d, why, wl) < 0) return -1;
    for (const char *p = v; *p; p++)
        if (isspace((unsigned char)*p) || *p == '{' || *p == '}' || *p == '=' || *p == ',')
            return snprintf(why, wl, "'%s' is not an H.248 mId", v), -1;
    return 0;
}

static int parse_realm_addrs(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    mg_realm_conf_t *r = field;
    char items[MG_MAX_REALM_ADDRS + 1][96];
    int n = split_list(v, items, MG_MAX_REALM_ADDRS);
    if (n < 0) return snprintf(why, wl, "more than %d addresses", MG_MAX_REALM_ADDRS), -1;
    if (n == 0) return snprintf(why, wl, "no address"), -1;
    for (int i = 0; i < n; i++)
        if (netaddr_parse_ip(&r->addrs[i], items[i], 0) < 0)
            return snprintf(why, wl, "'%s' is not an IPv4 or IPv6 address", items[i]), -1;
    r->naddrs = (unsigned)n;
    return 0;
}

/* "MIN-MAX": at least one even/odd pair inside, MIN >= 1024. */
static int parse_ports(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    mg_realm_conf_t *r = field;
    unsigned lo, hi;
    int used = 0;
    if (sscanf(v, "%u-%u%n", &lo, &hi, &used) != 2 || v[used] != '\0')
        return snprintf(why, wl, "'%s' is not MIN-MAX", v), -1;
    if (lo < 1024 || hi > 65535 || lo > hi)
        return snprintf(why, wl, "'%s': need 1024 <= MIN <= MAX <= 65535", v), -1;
    unsigned first_even = (lo + 1u) & ~1u;
    if (first_even + 1 > hi)
        return snprintf(why, wl, "'%s' holds no even RTP port with its odd RTCP port", v), -1;
    r->port_min = (uint16_t)lo;
    r->port_max = (uint16_t)hi;
    return 0;
}

static int parse_default_realm(void *field, const char *v, const directive_t *d, char *why,
                               size_t wl)
{
    /* resolved once the whole file is read: realms may follow [media] */
    return parse_str(field, v, d, why, wl);
}

static int parse_li_format(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    if (strcasecmp(v, "etsi") == 0) return *(li_format_t *)field = LI_FMT_ETSI, 0;
    if (strcasecmp(v, "jmirror") == 0) return *(li_format_t *)field = LI_FMT_JMIRROR, 0;
    return snprintf(why, wl, "'%s' is not etsi or jmirror", v), -1;
}

static int parse_li_point(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    if (strcasecmp(v, "natural") == 0) return *(li_point_t *)field = LI_POINT_NATURAL, 0;
    if (strcasecmp(v, "before_nat") == 0) return *(li_point_t *)field = LI_POINT_BEFORE_NAT, 0;
    if (strcasecmp(v, "after_nat") == 0) return *(li_point_t *)field = LI_POINT_AFTER_NAT, 0;
    return snprintf(why, wl, "'%s' is not natural, before_nat or after_nat", v), -1;
}

/* field: fast_path_tc; fast_path_auto is set beside it */
static int parse_fast_path(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    mg_config_t *c = (mg_config_t *)((char *)field - offsetof(mg_config_t, fast_path_tc));
    bool tc = strcasecmp(v, "tc") == 0, au = strcasecmp(v, "auto") == 0;
    if (!tc && !au && strcasecmp(v, "off") != 0)
        return snprintf(why, wl, "'%s' is not auto, tc or off", v), -1;
    c->fast_path_tc = tc;
    c->fast_path_auto = au;
    return 0;
}

static int parse_pct(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end != '\0') return snprintf(why, wl, "'%s' is not a number", v), -1;
    if (!(x > 0.0 && x <= 100.0)) return snprintf(why, wl, "%s is out of range (0..100]", v), -1;
    *(double *)field = x;
    return 0;
}

/* A CPU list as taskset takes it: "2", "0-3,6". */
static int parse_cpus(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    const char *p = v;
    for (;;) {
        char *end;
        if (!isdigit((unsigned char)*p)) break;
        unsigned long lo = strtoul(p, &end, 10), hi = lo;
        if (*end == '-') {
            if (!isdigit((unsigned char)end[1])) break;
            hi = strtoul(end + 1, &end, 10);
        }
        if (lo > hi || hi >= CPU_SETSIZE)
            return snprintf(why, wl, "'%s': CPUs are 0..%d, low-high", v, CPU_SETSIZE - 1), -1;
        for (unsigned long c = lo; c <= hi; c++) CPU_SET(c, &set);
        if (*end == '\0') {
            *(cpu_set_t *)field = set;
            return 0;
        }
        if (*end != ',') break;
        p = end + 1;
    }
    return snprintf(why, wl, "'%s' is not a CPU list such as 0-3,6", v), -1;
}

static int parse_df(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    netaddr_t a;
    if (netaddr_parse(&a, v, -1) < 0 || netaddr_port(&a) == 0)
        return snprintf(why, wl, "'%s' is not address:port", v), -1;
    if (netaddr_family(&a) != AF_INET)
        return snprintf(why, wl, "'%s': the delivery function is reached over IPv4", v), -1;
    *(netaddr_t *)field = a;
    return 0;
}

static int parse_df_src(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    netaddr_t a;
    if (netaddr_parse(&a, v, 0) < 0) return snprintf(why, wl, "'%s' is not address[:port]", v), -1;
    if (netaddr_family(&a) != AF_INET)
        return snprintf(why, wl, "'%s': copies leave from an IPv4 address", v), -1;
    *(netaddr_t *)field = a;
    return 0;
}

static int parse_operator(void *field, const char *v, const directive_t *d, char *why, size_t wl)
{
    for (const char *p = v; *p; p++)
        if (!isprint((unsigned char)*p)) return snprintf(why, wl, "not printable"), -1;
    return parse_str(field, v, d, why, wl);
}

#define C(f) offsetof(mg_config_t, f)
#define R(f) offsetof(mg_realm_conf_t, f)
#define DAY_MS 86400000u
static const directive_t directives[] = {
    /* "mid" first: check_whole looks at seen[0][0] */
    {SEC_BGFD, "mid", parse_mid, C(mid), 0, sizeof(((mg_config_t *)0)->mid)},
    {SEC_BGFD, "listen_udp", parse_listen, C(listen_udp), 0, 0},
    {SEC_BGFD, "listen_tcp", parse_listen, C(listen_tcp), 0, 0},
    {SEC_BGFD, "mgc", parse_mgc, C(mgc), 0, 0},
    {SEC_BGFD, "profile", parse_profile, C(profile), 0, 0},
    {SEC_BGFD, "h248_version", parse_uint, C(h248_version), 1, 3},
    {SEC_BGFD, "log", parse_target, C(log_target), 0, 0},
    {SEC_BGFD, "log_level", parse_level, C(log_level), 0, 0},
    {SEC_H248, "long_timer_ms", parse_u32, C(long_timer_ms), 1000, DAY_MS},
    {SEC_H248, "normal_mg_exec_ms", parse_u32, C(normal_mg_exec_ms), 10, 300000},
    {SEC_H248, "normal_mgc_exec_ms", parse_u32, C(normal_mgc_exec_ms), 10, 300000},
    {SEC_H248, "provisional_timer_ms", parse_u32, C(provisional_timer_ms), 10, 300000},
    {SEC_H248, "mgc_provisional_timer_ms", parse_u32, C(mgc_provisional_timer_ms), 10, 300000},
    {SEC_H248, "pending_limit", parse_u32, C(pending_limit), 1, 1000},
    {SEC_H248, "mgc_pending_limit", parse_u32, C(mgc_pending_limit), 1, 1000},
    {SEC_H248, "retrans_initial_ms", parse_u32, C(retrans_initial_ms), 10, 60000},
    {SEC_H248, "retrans_max_ms", parse_u32, C(retrans_max_ms), 10, 600000},
    {SEC_H248, "retrans_max_tries", parse_u32, C(retrans_max_tries), 1, 100},
    {SEC_H248, "graceful_delay_s", parse_u32, C(graceful_delay_s), 0, 86400},
    {SEC_H248, "max_stored_replies", parse_u32, C(max_stored_replies), 1000, 50000000},
    {SEC_MEDIA, "default_realm", parse_default_realm, 0, 0, 32},
    {SEC_MEDIA, "max_gates", parse_u32, C(max_gates), 2, 4000000},
    {SEC_MEDIA, "max_contexts", parse_u32, C(max_contexts), 1, 2000000},
    {SEC_MEDIA, "workers", parse_uint, C(workers), 0, 256},
    {SEC_MEDIA, "default_dscp", parse_u8, C(default_dscp), 0, 63},
    {SEC_MEDIA, "default_latch", parse_bool, C(default_latch), 0, 0},
    {SEC_MEDIA, "relatch_idle_ms", parse_u32, C(relatch_idle_ms), 0, DAY_MS},
    {SEC_MEDIA, "default_hang_timer_s", parse_u32, C(default_hang_timer_s), 0, 86400},
    {SEC_MEDIA, "fast_path", parse_fast_path, C(fast_path_tc), 0, 0},
    {SEC_REALM, "addresses", parse_realm_addrs, 0, 0, 0},
    {SEC_REALM, "ports", parse_ports, 0, 0, 0},
    {SEC_LI, "enabled", parse_bool, C(li.enabled), 0, 0},
    {SEC_LI, "key_file", parse_str, C(li.key_file), 0, sizeof(((li_conf_t *)0)->key_file)},
    {SEC_LI, "df", parse_df, C(li.df_dst), 0, 0},
    {SEC_LI, "df_src", parse_df_src, C(li.df_src), 0, 0},
    {SEC_LI, "operator_id", parse_operator, C(li.operator_id), 0, 6},
    {SEC_LI, "format", parse_li_format, C(li.format), 0, 0},
    {SEC_LI, "mirror_point", parse_li_point, C(li.point), 0, 0},
    {SEC_LI, "max_share_pct", parse_pct, C(li.max_share_pct), 0, 0},
    {SEC_LI, "queue_kb", parse_u32, C(li.queue_kb), 1024, 1048576},
    {SEC_LI, "send_cpus", parse_cpus, C(li.send_cpus), 0, 0},
    {SEC_LI, "log_file", parse_str, C(li.log_file), 0, sizeof(((li_conf_t *)0)->log_file)},
    {SEC_LI, "status_file", parse_str, C(li.status_file), 0, sizeof(((li_conf_t *)0)->status_file)},
};
#define NDIR (sizeof(directives) / sizeof(directives[0]))

/* ---- the parse: a line-counting reader around the file, section hooks, the handler ---- */

typedef struct parse_state {
    mg_config_t *cfg;
    const char *path;
    FILE *f;
    int line; /* line being parsed */
    sec_t sec;
    int realm;            /* index of the current [realm] */
    bool realms_replaced; /* the file's first [realm] dropped the embedded one */
    bool li_seen;
    int li_line;
    int realm_line[MG_MAX_REALMS];
    char default_realm[32];
    int default_realm_line;
    unsigned char seen[MG_MAX_REALMS + 1][NDIR]; /* row 0: fixed sections, 1+i: realm i */
    char *err;
    size_t errlen;
    int failed; /* first error recorded */
} parse_state_t;

#define FAIL(st, ...) (fail_at((st), __VA_ARGS__), 0)
static void fail_at(parse_state_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_at(parse_state_t *st, const char *fmt, ...)
{
    if (st->failed) return;
    st->failed = 1;
    int n = st->line > 0 ? snprintf(st->err, st->errlen, "%s:%d: ", st->path, st->line)
                         : snprintf(st->err, st->errlen, "%s: ", st->path);
    if (n < 0 || (size_t)n >= st->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* A "[...]" line: recognise the section (inih reports sections only with their keys, so an
 * empty or unknown section would pass unseen otherwise). */
static void section_line(parse_state_t *st, const char *s)
{
    const char *rb = strchr(s, ']');
    char name[96];
    size_t len = rb ? (size_t)(rb - s - 1) : 0;
    if (!rb || len >= sizeof(name)) {
        fail_at(st, "section header: missing ']' or too long");
        st->sec = SEC_UNKNOWN;
        return;
    }
    memcpy(name, s + 1, len);
    name[len] = '\0';
    if (strcmp(name, "bgfd") == 0)
        st->sec = SEC_BGFD;
    else if (strcmp(name, "h248") == 0)
        st->sec = SEC_H248;
    else if (strcmp(name, "media") == 0)
        st->sec = SEC_MEDIA;
    else if (strcmp(name, "li") == 0) {
        st->sec = SEC_LI;
        if (!st->li_seen) st->cfg->li.enabled = true;
        st->li_seen = true;
        st->li_line = st->line;
    } else if (strncmp(name, "realm ", 6) == 0) {
        const char *rn = name + 6;
        while (*rn == ' ')
            rn++;
        st->sec = SEC_REALM;
        mg_config_t *cfg = st->cfg;
        if (!st->realms_replaced) {
            cfg->nrealms = 0;
            memset(cfg->realms, 0, sizeof(cfg->realms));
            st->realms_replaced = true;
        }
        if (!*rn || strlen(rn) >= sizeof(cfg->realms[0].name)) {
            fail_at(st, "[%s]: a realm name is 1..31 characters", name);
        } else if (mg_config_realm(cfg, rn) >= 0) {
            fail_at(st, "[%s]: realm defined twice", name);
        } else if (cfg->nrealms == MG_MAX_REALMS) {
            fail_at(st, "[%s]: more than %d realms", name, MG_MAX_REALMS);
        } else {
            for (const char *p = rn; *p; p++)
                if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') {
                    fail_at(st, "[%s]: a realm name holds letters, digits, _ - and .", name);
                    break;
                }
            st->realm = (int)cfg->nrealms;
            st->realm_line[st->realm] = st->line;
            memcpy(cfg->realms[cfg->nrealms++].name, rn, strlen(rn) + 1); /* length checked */
            return;
        }
        st->sec = SEC_UNKNOWN;
    } else {
        fail_at(st, "[%s]: unknown section (bgfd, h248, media, realm NAME, li)", name);
        st->sec = SEC_UNKNOWN;
    }
}

static char *reader(char *str, int num, void *stream)
{
    parse_state_t *st = stream;
    if (!fgets(str, num, st->f)) return NULL;
    st->line++;
    const char *s = str;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '[') section_line(st, s);
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_state_t *st = user;
    if (st->sec == SEC_UNKNOWN) return 1; /* already reported at its header */
    if (st->sec == SEC_NONE) return FAIL(st, "%s: key outside any section", name);
    for (size_t i = 0; i < NDIR; i++) {
        const directive_t *d = &directives[i];
        if (d->sec != st->sec || strcmp(d->name, name) != 0) continue;
        unsigned char *seen = &st->seen[st->sec == SEC_REALM ? 1 + st->realm : 0][i];
        if (*seen) return FAIL(st, "%s: set twice in [%s]", name, section);
        *seen = 1;
        char why[200];
        void *field;
        if (st->sec == SEC_REALM)
            field = &st->cfg->realms[st->realm];
        else if (d->parse == parse_default_realm)
            field = st->default_realm;
        else
            field = (char *)st->cfg + d->off;
        if (d->parse(field, value, d, why, sizeof(why)) < 0) return FAIL(st, "%s: %s", name, why);
        if (d->parse == parse_default_realm) st->default_realm_line = st->line;
        return 1;
    }
    return FAIL(st, "%s: unknown key in [%s]", name, section);
}

/* Checks that need the whole file. */
static int check_whole(parse_state_t *st)
{
    mg_config_t *cfg = st->cfg;
    if (!st->seen[0][0] && (cfg->nlisten_udp || cfg->nlisten_tcp)) {
        /* no mid: name ourselves after the first control address */
        const netaddr_t *l = cfg->nlisten_udp ? &cfg->listen_udp[0] : &cfg->listen_tcp[0];
        char ip[NETADDR_STRLEN];
        snprintf(cfg->mid, sizeof(cfg->mid), "[%s]:%u", netaddr_format_ip(l, ip, sizeof(ip)),
                 netaddr_port(l));
    }
    for (unsigned i = 0; i < cfg->nrealms; i++) {
        st->line = st->realm_line[i];
        if (cfg->realms[i].naddrs == 0)
            return fail_at(st, "[realm %s]: addresses: missing", cfg->realms[i].name), -1;
        if (cfg->realms[i].port_max == 0)
            return fail_at(st, "[realm %s]: ports: missing", cfg->realms[i].name), -1;
    }
    if (st->default_realm[0]) {
        st->line = st->default_realm_line;
        int r = mg_config_realm(cfg, st->default_realm);
        if (r < 0) return fail_at(st, "default_realm: no [realm %s]", st->default_realm), -1;
        cfg->default_realm = (unsigned)r;
    } else {
        cfg->default_realm = 0;
    }
    if (cfg->nlisten_udp + cfg->nlisten_tcp == 0) {
        st->line = 0;
        return fail_at(st, "listen_udp, listen_tcp: bgfd must listen somewhere"), -1;
    }
    if (cfg->retrans_max_ms < cfg->retrans_initial_ms) {
        st->line = 0;
        return fail_at(st, "retrans_max_ms: smaller than retrans_initial_ms"), -1;
    }
    if (cfg->li.enabled) {
        st->line = st->li_line;
        if (!cfg->li.key_file[0]) return fail_at(st, "key_file: missing in [li]"), -1;
        if (!netaddr_is_set(&cfg->li.df_dst)) return fail_at(st, "df: missing in [li]"), -1;
        if (!cfg->li.operator_id[0]) return fail_at(st, "operator_id: missing in [li]"), -1;
    }
    return 0;
}

int mg_config_load(mg_config_t *cfg, const char *path, char *err, size_t errlen)
{
    parse_state_t *st = calloc(1, sizeof(*st));
    if (!st) return snprintf(err, errlen, "%s: out of memory", path), -1;
    st->cfg = cfg;
    st->path = path;
    st->err = err;
    st->errlen = errlen;
    st->f = fopen(path, "r");
    if (!st->f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        free(st);
        return -1;
    }
    snprintf(cfg->path, sizeof(cfg->path), "%s", path);
    int rc = ini_parse_stream(reader, st, handler, st);
    fclose(st->f);
    if (rc > 0 && !st->failed) {
        st->line = rc;
        fail_at(st, "syntax error (expected [section] or key = value)");
    }
    if (!st->failed) check_whole(st);
    rc = st->failed ? -1 : 0;
    free(st);
    return rc;
}

/* Fields SIGHUP may change at run time; the rest are named in `restart` when they differ. */
int mg_config_reload(mg_config_t *cur, const mg_config_t *next, char *restart, size_t len)
{
    int n = 0;
    size_t off = 0;
    restart[0] = '\0';
#define NEEDS_RESTART(cond, name)                                                                  \
    do {                                                                                           \
        if (cond) {                                                                                \
            n++;                                                                                   \
            int w = snprintf(restart + off, len - off, "%s%s", off ? ", " : "", name);             \
            if (w > 0 && off + (size_t)w < len) off += (size_t)w;                                  \
        }                                                                                          \
    } while (0)
    NEEDS_RESTART(strcmp(cur->mid, next->mid) != 0, "mid");
    NEEDS_RESTART(cur->nlisten_udp != next->nlisten_udp ||
                      memcmp(cur->listen_udp, next->listen_udp, sizeof(cur->listen_udp)) != 0,
                  "listen_udp");
    NEEDS_RESTART(cur->nlisten_tcp != next->nlisten_tcp ||
                      memcmp(cur->listen_tcp, next->listen_tcp, sizeof(cur->listen_tcp)) != 0,
                  "listen_tcp");
    NEEDS_RESTART(strcmp(cur->log_target, next->log_target) != 0, "log");
    NEEDS_RESTART(cur->nrealms != next->nrealms ||
                      memcmp(cur->realms, next->realms, sizeof(cur->realms)) != 0 ||
                      cur->default_realm != next->default_realm,
                  "realms");
    NEEDS_RESTART(cur->max_gates != next->max_gates, "max_gates");
    NEEDS_RESTART(cur->max_contexts != next->max_contexts, "max_contexts");
    NEEDS_RESTART(cur->workers != next->workers, "workers");
    NEEDS_RESTART(cur->fast_path_tc != next->fast_path_tc ||
                      cur->fast_path_auto != next->fast_path_auto,
                  "fast_path");
    NEEDS_RESTART(memcmp(&cur->li, &next->li, sizeof(cur->li)) != 0, "[li]");
#undef NEEDS_RESTART
    /* what changes now */
    memcpy(cur->mgc, next->mgc, sizeof(cur->mgc));
    cur->nmgc = next->nmgc;
    memcpy(cur->profile, next->profile, sizeof(cur->profile));
    cur->profile_version = next->profile_version;
    cur->h248_version = next->h248_version;
    cur->log_level = next->log_level;
    cur->long_timer_ms = next->long_timer_ms;
    cur->normal_mg_exec_ms = next->normal_mg_exec_ms;
    cur->normal_mgc_exec_ms = next->normal_mgc_exec_ms;
    cur->provisional_timer_ms = next->provisional_timer_ms;
    cur->mgc_provisional_timer_ms = next->mgc_provisional_timer_ms;
    cur->pending_limit = next->pending_limit;
    cur->mgc_pending_limit = next->mgc_pending_limit;
    cur->retrans_initial_ms = next->retrans_initial_ms;
    cur->retrans_max_ms = next->retrans_max_ms;
    cur->retrans_max_tries = next->retrans_max_tries;
    cur->graceful_delay_s = next->graceful_delay_s;
    cur->max_stored_replies = next->max_stored_replies;
    cur->default_dscp = next->default_dscp;
    cur->default_latch = next->default_latch;
    cur->relatch_idle_ms = next->relatch_idle_ms;
    cur->default_hang_timer_s = next->default_hang_timer_s;
    return n;
}
