/* pkg.c - the package tables (see pkg.h and docs/packages.md) and the value checks.
 * Static read-only data; pure functions, any thread. */
#include "mg/pkg.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/netaddr.h"

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

static const mg_prop_def_t root_props[] = {
    {"maxNumberOfContexts", MG_PT_UINT, 0, UINT32_MAX, MG_IN_ROOT, true, NULL,
     "contexts the MG can hold (read-only)"},
    {"maxTerminationsPerContext", MG_PT_UINT, 0, UINT32_MAX, MG_IN_ROOT, true, NULL,
     "terminations per context: 2 (read-only)"},
    {"normalMGExecutionTime", MG_PT_UINT, 500, 29000, MG_IN_ROOT, false, NULL,
     "ms the MGC may expect the MG to take for a transaction"},
    {"normalMGCExecutionTime", MG_PT_UINT, 500, 29000, MG_IN_ROOT, false, NULL,
     "ms the MG may expect the MGC to take for a transaction"},
    {"MGProvisionalResponseTimerValue", MG_PT_UINT, 500, 3000, MG_IN_ROOT, false, NULL,
     "ms after which the MG sends Pending"},
    {"MGCProvisionalResponseTimerValue", MG_PT_UINT, 500, 3000, MG_IN_ROOT, false, NULL,
     "ms after which the MGC sends Pending"},
    {"MGOriginatedPendingLimit", MG_PT_UINT, 1, 65535, MG_IN_ROOT, false, NULL,
     "Pending replies the MG may send for one transaction"},
    {"MGCOriginatedPendingLimit", MG_PT_UINT, 1, 65535, MG_IN_ROOT, false, NULL,
     "Pending replies the MGC may send for one transaction"},
};

static const mg_prop_def_t ds_props[] = {
    {"dscp", MG_PT_CODEPOINT, 0, 63, MG_IN_LC, false, NULL, "DiffServ code point of sent packets"},
};

static const mg_prop_def_t gm_props[] = {
    {"saf", MG_PT_BOOL, 0, 1, MG_IN_LC, false, NULL, "remote source address filtering"},
    {"sam", MG_PT_ADDR, 0, 0, MG_IN_LC, false, NULL, "remote source address mask"},
    {"spf", MG_PT_BOOL, 0, 1, MG_IN_LC, false, NULL, "remote source port filtering"},
    {"spr", MG_PT_PORTRANGE, 0, 65535, MG_IN_LC, false, NULL, "remote source port range"},
    {"esas", MG_PT_BOOL, 0, 1, MG_IN_LC, false, NULL, "explicit source address setting"},
    {"lsa", MG_PT_ADDR, 0, 0, MG_IN_LC, false, NULL, "local source address"},
    {"esps", MG_PT_BOOL, 0, 1, MG_IN_LC, false, NULL, "explicit source port setting"},
    {"lsp", MG_PT_UINT, 0, 65535, MG_IN_LC, false, NULL, "local source port"},
    {"rsb", MG_PT_BOOL, 0, 1, MG_IN_LC, false, NULL, "RTCP allocation behaviour"},
};

static const mg_prop_def_t ipnat_props[] = {
    {"latch", MG_PT_BOOL, 0, 1, MG_IN_LC, false, NULL, "latch the remote address"},
};

static const mg_prop_def_t ipdc_props[] = {
    {"realm", MG_PT_STRING, 1, 31, MG_IN_TS | MG_IN_LC, false, NULL, "IP realm of the address"},
};

static const mg_prop_def_t tman_props[] = {
    {"pol", MG_PT_BOOL, 0, 1, MG_IN_LC, false, NULL, "policing on/off"},
    {"sdr", MG_PT_UINT, 0, UINT32_MAX, MG_IN_LC, false, NULL, "sustainable data rate, bytes/s"},
    {"mbs", MG_PT_UINT, 0, UINT32_MAX, MG_IN_LC, false, NULL, "maximum burst size, bytes"},
    {"pdr", MG_PT_UINT, 0, UINT32_MAX, MG_IN_LC, false, NULL, "peak data rate, bytes/s"},
    {"dvt", MG_PT_UINT, 0, UINT32_MAX, MG_IN_LC, false, NULL, "delay variation tolerance, us"},
};

static const mg_prop_def_t it_ito_params[] = {
    {"mit", MG_PT_UINT, 100, 65535, 0, false, NULL, "maximum inactivity time, 10 ms units"},
};
static const mg_event_def_t it_events[] = {
    {"ito", true, it_ito_params, N(it_ito_params)},
};

static const mg_prop_def_t hangterm_props[] = {
    {"timerx", MG_PT_UINT, 0, 2147480, MG_IN_TS | MG_IN_LC, false, NULL,
     "seconds without media before thb, 0 = off"},
};
static const mg_event_def_t hangterm_events[] = {
    {"thb", false, NULL, 0},
};

static const char *const nt_stats[] = {"dur", "os", "or", NULL};
static const char *const rtp_stats[] = {"ps", "pr", "pl", "jit", "delay", NULL};

static const mg_prop_def_t li_props[] = {
    {"LICn", MG_PT_STRING, 0, UINT32_MAX, MG_IN_LC, false, NULL,
     "encrypted correlation number (any text: validity shows only on the LI side)"},
    {"LITID", MG_PT_HEXLIST, 1, 7, MG_IN_LC, false, NULL, "target ids (1..7)"},
};

static const mg_pkg_def_t pkg_root = {"root", 2, root_props, N(root_props), NULL, 0, NULL, false};
static const mg_pkg_def_t pkg_nt = {"nt", 1, NULL, 0, NULL, 0, nt_stats, false};
static const mg_pkg_def_t pkg_rtp = {"rtp", 1, NULL, 0, NULL, 0, rtp_stats, false};
static const mg_pkg_def_t pkg_ds = {"ds", 1, ds_props, N(ds_props), NULL, 0, NULL, false};
static const mg_pkg_def_t pkg_gm = {"gm", 1, gm_props, N(gm_props), NULL, 0, NULL, false};
static const mg_pkg_def_t pkg_ipnat = {"ipnat", 1, ipnat_props, N(ipnat_props),
                                       NULL,    0, NULL,        false};
static const mg_pkg_def_t pkg_ipdc = {"ipdc", 1, ipdc_props, N(ipdc_props), NULL, 0, NULL, false};
static const mg_pkg_def_t pkg_tman = {"tman", 1, tman_props, N(tman_props), NULL, 0, NULL, false};
static const mg_pkg_def_t pkg_it = {"it", 1, NULL, 0, it_events, N(it_events), NULL, false};
static const mg_pkg_def_t pkg_hangterm = {
    "hangterm",         1,    hangterm_props, N(hangterm_props), hangterm_events,
    N(hangterm_events), NULL, false};
static const mg_pkg_def_t pkg_li = {"li", 1, li_props, N(li_props), NULL, 0, NULL, true};

const mg_pkg_def_t *const mg_pkgs[] = {
    &pkg_root, &pkg_nt,   &pkg_rtp, &pkg_ds,       &pkg_gm, &pkg_ipnat,
    &pkg_ipdc, &pkg_tman, &pkg_it,  &pkg_hangterm, &pkg_li,
};
const unsigned mg_npkgs = N(mg_pkgs);

bool mg_tok_eq(const char *v, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(v, word, n) == 0;
}

const mg_pkg_def_t *mg_pkg_find(const char *name, size_t n)
{
    for (unsigned i = 0; i < mg_npkgs; i++)
        if (mg_tok_eq(name, n, mg_pkgs[i]->name)) return mg_pkgs[i];
    return NULL;
}

/* Split id at '/': package part and item part; -1 when there is no '/'. */
static int split(const char *id, size_t n, size_t *plen, const char **item, size_t *ilen)
{
    const char *slash = memchr(id, '/', n);
    if (!slash || slash == id || (size_t)(slash - id) + 1 >= n) return -1;
    *plen = (size_t)(slash - id);
    *item = slash + 1;
    *ilen = n - *plen - 1;
    return 0;
}

int mg_pkg_prop(const char *id, size_t n, unsigned where, const mg_pkg_def_t **pkg,
                const mg_prop_def_t **prop)
{
    size_t plen, ilen;
    const char *item;
    if (split(id, n, &plen, &item, &ilen) < 0) return MG_ERR_UNKNOWN_PROP;
    const mg_pkg_def_t *p = mg_pkg_find(id, plen);
    if (!p) return MG_ERR_UNKNOWN_PROP;
    for (unsigned i = 0; i < p->nprops; i++) {
        if (!mg_tok_eq(item, ilen, p->props[i].name)) continue;
        if (!(p->props[i].where & where)) return MG_ERR_PROP_ILLEGAL;
        *pkg = p;
        *prop = &p->props[i];
        return 0;
    }
    return MG_ERR_NO_SUCH_PROP;
}

int mg_pkg_event(const char *id, size_t n, bool on_root, const mg_pkg_def_t **pkg,
                 const mg_event_def_t **ev)
{
    size_t plen, ilen;
    const char *item;
    if (split(id, n, &plen, &item, &ilen) < 0) return MG_ERR_NO_SUCH_EVENT;
    const mg_pkg_def_t *p = mg_pkg_find(id, plen);
    if (!p) return MG_ERR_NO_SUCH_EVENT;
    for (unsigned i = 0; i < p->nevents; i++) {
        if (!mg_tok_eq(item, ilen, p->events[i].name)) continue;
        if (p->events[i].on_root != on_root) return MG_ERR_PROP_ILLEGAL;
        *pkg = p;
        *ev = &p->events[i];
        return 0;
    }
    return MG_ERR_NO_SUCH_EVENT;
}

int mg_pkg_stat(const char *id, size_t n)
{
    size_t plen, ilen;
    const char *item;
    if (split(id, n, &plen, &item, &ilen) < 0) return MG_ERR_NO_SUCH_STAT;
    const mg_pkg_def_t *p = mg_pkg_find(id, plen);
    if (!p) return MG_ERR_UNKNOWN_PROP;
    for (unsigned i = 0; p->stats && p->stats[i]; i++)
        if (mg_tok_eq(item, ilen, p->stats[i])) return 0;
    return MG_ERR_NO_SUCH_STAT;
}

static int parse_u32(const char *v, size_t n, uint32_t *out)
{
    if (n == 0 || n > 10) return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)v[i])) return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (x > UINT32_MAX) return -1;
    *out = (uint32_t)x;
    return 0;
}

static int parse_hex32(const char *v, size_t n, uint32_t *out)
{
    if (n == 0 || n > 8) return -1;
    uint32_t x = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)v[i];
        if (!isxdigit(c)) return -1;
        x = x * 16u + (uint32_t)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
    }
    *out = x;
    return 0;
}

/* "addr" or "addr/len"; out->s/n: the address part, out->u: len, out->u2: 1 when given. */
static int check_addr(const char *v, size_t n, mg_pval_t *out)
{
    char buf[NETADDR_STRLEN];
    netaddr_t a;
    const char *slash = memchr(v, '/', n);
    size_t an = slash ? (size_t)(slash - v) : n;
    if (an == 0 || an >= sizeof(buf)) return -1;
    memcpy(buf, v, an);
    buf[an] = 0;
    if (netaddr_parse_ip(&a, buf, 0) < 0) return -1;
    out->s = v;
    out->n = an;
    out->u2 = 0;
    if (slash) {
        uint32_t len;
        if (parse_u32(slash + 1, n - an - 1, &len) < 0) return -1;
        if (len > (netaddr_family(&a) == AF_INET ? 32u : 128u)) return -1;
        out->u = len;
        out->u2 = 1;
    }
    return 0;
}

/* Decimal, or hex with "0x" or with a hex letter in it. */
static int parse_codepoint(const char *v, size_t n, uint32_t *out)
{
    if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) return parse_hex32(v + 2, n - 2, out);
    for (size_t i = 0; i < n; i++)
        if (isalpha((unsigned char)v[i])) return parse_hex32(v, n, out);
    return parse_u32(v, n, out);
}

/* "lo-hi", "lo:hi" or a single port. */
static int check_portrange(const char *v, size_t n, mg_pval_t *out)
{
    const char *sep = memchr(v, '-', n);
    if (!sep) sep = memchr(v, ':', n);
    uint32_t lo, hi;
    if (!sep) {
        if (parse_u32(v, n, &lo) < 0) return -1;
        hi = lo;
    } else if (parse_u32(v, (size_t)(sep - v), &lo) < 0 ||
               parse_u32(sep + 1, n - (size_t)(sep - v) - 1, &hi) < 0) {
        return -1;
    }
    if (lo > hi || hi > 65535) return -1;
    out->u = lo;
    out->u2 = hi;
    return 0;
}

int mg_pkg_check(const mg_prop_def_t *def, const char *v, size_t n, mg_pval_t *out)
{
    switch (def->type) {
    case MG_PT_BOOL:
        if (mg_tok_eq(v, n, "ON") || mg_tok_eq(v, n, "TRUE"))
            out->u = 1;
        else if (mg_tok_eq(v, n, "OFF") || mg_tok_eq(v, n, "FALSE"))
            out->u = 0;
        else
            return MG_ERR_BAD_VALUE;
        return 0;
    case MG_PT_UINT:
        if (parse_u32(v, n, &out->u) < 0 || out->u < def->min || out->u > def->max)
            return MG_ERR_BAD_VALUE;
        return 0;
    case MG_PT_STRING:
        if (n < def->min || n > def->max) return MG_ERR_BAD_VALUE;
        out->s = v;
        out->n = n;
        return 0;
    case MG_PT_ADDR:
        return check_addr(v, n, out) < 0 ? MG_ERR_BAD_VALUE : 0;
    case MG_PT_CODEPOINT:
        if (parse_codepoint(v, n, &out->u) < 0 || out->u < def->min || out->u > def->max)
            return MG_ERR_BAD_VALUE;
        return 0;
    case MG_PT_PORTRANGE:
        return check_portrange(v, n, out) < 0 ? MG_ERR_BAD_VALUE : 0;
    case MG_PT_ENUM:
        for (unsigned i = 0; def->enums && def->enums[i]; i++)
            if (mg_tok_eq(v, n, def->enums[i])) {
                out->u = i;
                return 0;
            }
        return MG_ERR_BAD_VALUE;
    case MG_PT_HEX:
        if (n < def->min || n > def->max) return MG_ERR_BAD_VALUE;
        for (size_t i = 0; i < n; i++)
            if (!isxdigit((unsigned char)v[i])) return MG_ERR_BAD_VALUE;
        out->s = v;
        out->n = n;
        return 0;
    case MG_PT_HEXLIST: {
        uint32_t x;
        if (out->nlist >= def->max || out->nlist >= N(out->list)) return MG_ERR_BAD_VALUE;
        if (parse_hex32(v, n, &x) < 0) return MG_ERR_BAD_VALUE;
        out->list[out->nlist++] = x;
        return 0;
    }
    }
    return MG_ERR_BAD_VALUE;
}
