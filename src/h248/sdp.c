/* sdp.c - parse and write the underspecified SDP of H.248 Local/Remote descriptors.
 * Pure functions, any thread; nodes come from the caller's arena, text stays in the caller's
 * buffer (views). See sdp.h for the model. */
#include "h248/sdp.h"

#include <stdio.h>
#include <string.h>

typedef struct parser {
    arena_t *a;
    h248_sdp_error_t *err;
    const char *line; /* start of the current line (for columns) */
    int lineno;
} parser_t;

static int fail(parser_t *ps, const char *at, const char *reason)
{
    if (ps->err) {
        ps->err->line = ps->lineno;
        ps->err->col = (int)(at - ps->line) + 1;
        ps->err->reason = reason;
    }
    return H248_SDP_ESYNTAX;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool sv_eq(h248_sdp_str_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool sv_ieq(h248_sdp_str_t s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s.p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return false;
    }
    return true;
}

/* Unsigned decimal of the whole view, at most max; -1 when not a number or too big. */
static long long sv_num(h248_sdp_str_t s, long long max)
{
    if (s.n == 0 || s.n > 19) return -1;
    long long v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') return -1;
        v = v * 10 + (s.p[i] - '0');
        if (v > max) return -1;
    }
    return v;
}

static h248_sdp_kind_t kind_of(h248_sdp_str_t s)
{
    if (s.n == 1 && s.p[0] == '$') return H248_SDP_CHOOSE;
    if (s.n == 1 && s.p[0] == '-') return H248_SDP_WILD;
    return H248_SDP_VALUE;
}

/* Split v[0..n) on blanks into at most max tokens; returns how many there are (may be > max,
 * then only max were stored). */
static size_t split(h248_sdp_str_t v, h248_sdp_str_t *tok, size_t max)
{
    size_t k = 0, i = 0;
    while (i < v.n) {
        while (i < v.n && is_blank(v.p[i]))
            i++;
        if (i >= v.n) break;
        size_t s = i;
        while (i < v.n && !is_blank(v.p[i]))
            i++;
        if (k < max) tok[k] = (h248_sdp_str_t){v.p + s, i - s};
        k++;
    }
    return k;
}

static h248_sdp_af_t af_of(h248_sdp_str_t t)
{
    if (sv_ieq(t, "ip4")) return H248_SDP_AF_IP4;
    if (sv_ieq(t, "ip6")) return H248_SDP_AF_IP6;
    switch (kind_of(t)) {
    case H248_SDP_CHOOSE:
        return H248_SDP_AF_CHOOSE;
    case H248_SDP_WILD:
        return H248_SDP_AF_WILD;
    default:
        return H248_SDP_AF_OTHER;
    }
}

static void set_conn(h248_sdp_conn_t *c, const h248_sdp_str_t *t)
{
    c->nettype = t[0];
    c->addrtype = t[1];
    c->addr = t[2];
    c->af = af_of(t[1]);
    c->kind = kind_of(t[2]);
}

static int parse_conn(parser_t *ps, h248_sdp_line_t *l)
{
    h248_sdp_str_t t[3];
    if (split(l->raw, t, 3) != 3)
        return fail(ps, l->raw.p, "c= needs <nettype> <addrtype> <address>");
    set_conn(&l->u.conn, t);
    return 0;
}

static int parse_origin(parser_t *ps, h248_sdp_line_t *l)
{
    h248_sdp_str_t t[6];
    if (split(l->raw, t, 6) != 6)
        return fail(ps, l->raw.p,
                    "o= needs 6 fields: <user> <id> <version> <nettype> "
                    "<addrtype> <address>");
    h248_sdp_origin_t *o = &l->u.origin;
    o->username = t[0];
    o->sess_id = t[1];
    o->sess_version = t[2];
    set_conn(&o->conn, t + 3);
    return 0;
}

/* <port>[/<count>]: a number 0..65535, `$` or `-`. */
static int parse_port(parser_t *ps, h248_sdp_mline_t *m, h248_sdp_str_t t)
{
    const char *slash = memchr(t.p, '/', t.n);
    h248_sdp_str_t port = {t.p, slash ? (size_t)(slash - t.p) : t.n};
    m->port_text = port;
    m->port_kind = kind_of(port);
    if (m->port_kind == H248_SDP_VALUE) {
        long long v = sv_num(port, 65535);
        if (v < 0) return fail(ps, t.p, "m= port is not a number 0-65535, $ or -");
        m->port = (uint16_t)v;
    }
    if (slash) {
        h248_sdp_str_t cnt = {slash + 1, (size_t)(t.p + t.n - slash - 1)};
        long long c = sv_num(cnt, 65535);
        if (c < 1) return fail(ps, cnt.p, "m= port count is not a number 1-65535");
        m->count = (uint16_t)c;
    }
    return 0;
}

static int parse_media(parser_t *ps, h248_sdp_line_t *l)
{
    h248_sdp_str_t t[3];
    size_t k = split(l->raw, t, 3);
    if (k < 3) return fail(ps, l->raw.p, "m= needs <media> <port> <proto> [<fmt> ...]");
    h248_sdp_mline_t *m = &l->u.m;
    m->media = t[0];
    int rc = parse_port(ps, m, t[1]);
    if (rc) return rc;
    m->proto = t[2];
    m->nfmt = k - 3;
    if (m->nfmt) {
        h248_sdp_str_t *all = arena_alloc(ps->a, k * sizeof(*all));
        if (!all) return H248_SDP_ENOMEM;
        split(l->raw, all, k);
        m->fmt = all + 3;
    }
    return 0;
}

static int parse_bw(parser_t *ps, h248_sdp_line_t *l)
{
    const char *colon = memchr(l->raw.p, ':', l->raw.n);
    if (!colon || colon == l->raw.p) return fail(ps, l->raw.p, "b= needs <bwtype>:<bandwidth>");
    h248_sdp_bw_t *b = &l->u.bw;
    b->type = (h248_sdp_str_t){l->raw.p, (size_t)(colon - l->raw.p)};
    b->text = (h248_sdp_str_t){colon + 1, (size_t)(l->raw.p + l->raw.n - colon - 1)};
    b->value = sv_num(b->text, (1LL << 62));
    if (b->value < 0 && kind_of(b->text) == H248_SDP_VALUE)
        return fail(ps, b->text.p, "b= bandwidth is not a number, $ or -");
    return 0;
}

static int parse_time(parser_t *ps, h248_sdp_line_t *l)
{
    h248_sdp_str_t t[2];
    if (split(l->raw, t, 2) != 2) return fail(ps, l->raw.p, "t= needs <start> <stop>");
    l->u.time.start = t[0];
    l->u.time.stop = t[1];
    return 0;
}

/* rtpmap value: <pt> <encoding>/<clock>[/<params>] */
static int parse_rtpmap(parser_t *ps, h248_sdp_rtpmap_t *r, h248_sdp_str_t v)
{
    h248_sdp_str_t t[2];
    if (split(v, t, 2) != 2) return fail(ps, v.p, "a=rtpmap needs <pt> <encoding>/<clock>");
    r->pt_text = t[0];
    long long pt = sv_num(t[0], 127);
    if (pt < 0 && kind_of(t[0]) == H248_SDP_VALUE)
        return fail(ps, t[0].p, "a=rtpmap payload type is not 0-127 or $");
    r->pt = (int)pt;
    const char *s1 = memchr(t[1].p, '/', t[1].n);
    if (!s1 || s1 == t[1].p) return fail(ps, t[1].p, "a=rtpmap needs <encoding>/<clock>");
    r->encoding = (h248_sdp_str_t){t[1].p, (size_t)(s1 - t[1].p)};
    const char *end = t[1].p + t[1].n;
    const char *s2 = memchr(s1 + 1, '/', (size_t)(end - s1 - 1));
    h248_sdp_str_t clock = {s1 + 1, (size_t)((s2 ? s2 : end) - s1 - 1)};
    long long c = sv_num(clock, 0xffffffffLL);
    if (c < 1) return fail(ps, clock.p, "a=rtpmap clock rate is not a positive number");
    r->clock = (uint32_t)c;
    if (s2) r->params = (h248_sdp_str_t){s2 + 1, (size_t)(end - s2 - 1)};
    return 0;
}

static int parse_attr(parser_t *ps, h248_sdp_line_t *l)
{
    h248_sdp_attr_t *at = &l->u.attr;
    const char *colon = memchr(l->raw.p, ':', l->raw.n);
    at->name = (h248_sdp_str_t){l->raw.p, colon ? (size_t)(colon - l->raw.p) : l->raw.n};
    if (at->name.n == 0) return fail(ps, l->raw.p, "a= needs an attribute name");
    if (colon) {
        at->has_value = true;
        at->value = (h248_sdp_str_t){colon + 1, (size_t)(l->raw.p + l->raw.n - colon - 1)};
    }
    static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    for (int i = 0; i < 4; i++)
        if (!colon && sv_eq(at->name, dirs[i])) {
            at->kind = H248_SDP_A_DIR;
            at->u.dir = (h248_sdp_dir_t)(H248_SDP_DIR_SENDRECV + i);
            return 0;
        }
    if (sv_eq(at->name, "ptime") && colon) {
        at->kind = H248_SDP_A_PTIME;
        if (kind_of(at->value) == H248_SDP_CHOOSE) {
            at->u.ptime = -1;
            return 0;
        }
        long long v = sv_num(at->value, 100000);
        if (v < 0) return fail(ps, at->value.p, "a=ptime is not a number of milliseconds or $");
        at->u.ptime = (int)v;
        return 0;
    }
    if (sv_eq(at->name, "rtpmap") && colon) {
        at->kind = H248_SDP_A_RTPMAP;
        return parse_rtpmap(ps, &at->u.rtpmap, at->value);
    }
    return 0;
}

/* The state of a parse: where new lines go. */
typedef struct build {
    struct h248_sdp *s;
    h248_sdp_group_t *g, *glast;
    h248_sdp_media_t *m, *mlast;
    h248_sdp_line_t **tail; /* where the next line of the current section is linked */
} build_t;

static int new_group(parser_t *ps, build_t *b)
{
    h248_sdp_group_t *g = arena_alloc(ps->a, sizeof(*g));
    if (!g) return H248_SDP_ENOMEM;
    if (b->glast)
        b->glast->next = g;
    else
        b->s->groups = g;
    b->glast = b->g = g;
    b->s->ngroups++;
    b->m = b->mlast = NULL;
    b->tail = &g->lines;
    return 0;
}

static int new_media(parser_t *ps, build_t *b, h248_sdp_line_t *l)
{
    h248_sdp_media_t *m = arena_alloc(ps->a, sizeof(*m));
    if (!m) return H248_SDP_ENOMEM;
    if (b->mlast)
        b->mlast->next = m;
    else
        b->g->media = m;
    b->mlast = b->m = m;
    b->g->nmedia++;
    m->mline = l;
    m->m = &l->u.m;
    b->tail = &m->lines;
    return 0;
}

/* Interpret one line and hang it where it belongs. */
static int add_line(parser_t *ps, build_t *b, h248_sdp_line_t *l)
{
    int rc = 0;
    bool session = b->m == NULL;
    if (l->type == 'v') {
        l->kind = H248_SDP_L_VERSION;
        long long v = sv_num(l->raw, 1000000);
        if (v < 0) return fail(ps, l->raw.p, "v= is not a number");
        l->u.version = (long)v;
        if ((rc = new_group(ps, b))) return rc;
        b->g->has_version = true;
        b->g->version = (long)v;
    } else if (!b->g && (rc = new_group(ps, b))) {
        return rc;
    }
    switch (l->type) {
    case 'v':
        break;
    case 'o':
        if (!session) goto raw;
        l->kind = H248_SDP_L_ORIGIN;
        if ((rc = parse_origin(ps, l))) return rc;
        if (!b->g->origin) b->g->origin = &l->u.origin;
        break;
    case 's':
        if (session && !b->g->name.p) b->g->name = l->raw;
        goto raw;
    case 't':
        if (!session) goto raw;
        l->kind = H248_SDP_L_TIME;
        rc = parse_time(ps, l);
        break;
    case 'c':
        l->kind = H248_SDP_L_CONN;
        if ((rc = parse_conn(ps, l))) return rc;
        if (session && !b->g->conn) b->g->conn = &l->u.conn;
        if (!session && !b->m->conn) b->m->conn = &l->u.conn;
        break;
    case 'b':
        l->kind = H248_SDP_L_BW;
        rc = parse_bw(ps, l);
        if (!session) b->m->nbw++;
        break;
    case 'm':
        l->kind = H248_SDP_L_MEDIA;
        if ((rc = parse_media(ps, l))) return rc;
        rc = new_media(ps, b, l);
        break;
    case 'a':
        l->kind = H248_SDP_L_ATTR;
        if ((rc = parse_attr(ps, l))) return rc;
        h248_sdp_attr_t *at = &l->u.attr;
        if (session) {
            if (at->kind == H248_SDP_A_DIR) b->g->dir = at->u.dir;
            break;
        }
        b->m->nattr++;
        if (at->kind == H248_SDP_A_DIR) b->m->dir = at->u.dir;
        if (at->kind == H248_SDP_A_PTIME) b->m->ptime = at->u.ptime;
        if (at->kind == H248_SDP_A_RTPMAP) b->m->nrtpmap++;
        break;
    default:
    raw:
        l->kind = H248_SDP_L_RAW;
        break;
    }
    if (rc) return rc;
    *b->tail = l;
    b->tail = &l->next;
    return 0;
}

/* The end of the line that starts at p: returns the index of the first EOL byte (or n). */
static size_t line_end(const char *p, size_t i, size_t n)
{
    while (i < n && p[i] != '\n' && p[i] != '\r')
        i++;
    return i;
}

int h248_sdp_parse(const char *p, size_t n, arena_t *a, struct h248_sdp **out,
                   h248_sdp_error_t *err)
{
    parser_t ps = {.a = a, .err = err, .line = p, .lineno = 0};
    build_t b = {0};
    if (err) *err = (h248_sdp_error_t){0, 0, NULL};
    b.s = arena_alloc(a, sizeof(*b.s));
    if (!b.s) return H248_SDP_ENOMEM;
    bool eol_known = false;
    size_t i = 0;
    while (i < n) {
        ps.lineno++;
        ps.line = p + i;
        size_t e = line_end(p, i, n);
        if (!eol_known && e < n) {
            b.s->eol = (p[e] == '\r' && e + 1 < n && p[e + 1] == '\n') ? H248_SDP_EOL_CRLF
                                                                       : H248_SDP_EOL_LF;
            eol_known = true;
        }
        size_t s = i;
        i = e;
        if (i < n && p[i] == '\r') i++;
        if (i < n && p[i] == '\n' && (i == e || p[i - 1] == '\r')) i++;
        while (s < e && is_blank(p[s]))
            s++;
        size_t t = e;
        while (t > s && is_blank(p[t - 1]))
            t--;
        if (s == t || p[s] == ';') continue; /* blank line, or an H.248-style comment line */
        const char *nul = memchr(p + s, '\0', t - s);
        if (nul) return fail(&ps, nul, "NUL byte in SDP");
        if (p[s] < 'a' || p[s] > 'z')
            return fail(&ps, p + s,
                        "line does not start with a "
                        "lower-case letter");
        if (t - s < 2 || p[s + 1] != '=')
            return fail(&ps, p + s + 1,
                        "expected '=' after the "
                        "line type");
        h248_sdp_line_t *l = arena_alloc(a, sizeof(*l));
        if (!l) return H248_SDP_ENOMEM;
        l->type = p[s];
        l->raw = (h248_sdp_str_t){p + s + 2, t - s - 2};
        int rc = add_line(&ps, &b, l);
        if (rc) return rc;
    }
    *out = b.s;
    return 0;
}

/* ---- writer ---- */

typedef struct out {
    char *buf;
    size_t cap, len;
} out_t;

/* Append text, escaping an unescaped '}' so the SDP cannot close its H.248 descriptor. */
static void put(out_t *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '}' && (i == 0 || s[i - 1] != '\\')) {
            if (o->len < o->cap) o->buf[o->len] = '\\';
            o->len++;
        }
        if (o->len < o->cap) o->buf[o->len] = s[i];
        o->len++;
    }
}

static void put_sv(out_t *o, h248_sdp_str_t s)
{
    put(o, s.p, s.n);
}

static void put_c(out_t *o, char c)
{
    if (o->len < o->cap) o->buf[o->len] = c;
    o->len++;
}

static void put_conn(out_t *o, const h248_sdp_conn_t *c)
{
    put_sv(o, c->nettype);
    put_c(o, ' ');
    put_sv(o, c->addrtype);
    put_c(o, ' ');
    put_sv(o, c->addr);
}

static void put_u(out_t *o, unsigned v)
{
    char tmp[12];
    int n = snprintf(tmp, sizeof tmp, "%u", v);
    put(o, tmp, (size_t)n);
}

static void put_mline(out_t *o, const h248_sdp_mline_t *m)
{
    put_sv(o, m->media);
    put_c(o, ' ');
    put_sv(o, m->port_text);
    if (m->count) {
        put_c(o, '/');
        put_u(o, m->count);
    }
    put_c(o, ' ');
    put_sv(o, m->proto);
    for (size_t i = 0; i < m->nfmt; i++) {
        put_c(o, ' ');
        put_sv(o, m->fmt[i]);
    }
}

static void put_line(out_t *o, const h248_sdp_line_t *l, const char *eol, size_t eoln)
{
    put_c(o, l->type);
    put_c(o, '=');
    switch (l->kind) {
    case H248_SDP_L_ORIGIN:
        put_sv(o, l->u.origin.username);
        put_c(o, ' ');
        put_sv(o, l->u.origin.sess_id);
        put_c(o, ' ');
        put_sv(o, l->u.origin.sess_version);
        put_c(o, ' ');
        put_conn(o, &l->u.origin.conn);
        break;
    case H248_SDP_L_CONN:
        put_conn(o, &l->u.conn);
        break;
    case H248_SDP_L_MEDIA:
        put_mline(o, &l->u.m);
        break;
    case H248_SDP_L_ATTR:
        put_sv(o, l->u.attr.name);
        if (l->u.attr.has_value) {
            put_c(o, ':');
            put_sv(o, l->u.attr.value);
        }
        break;
    default:
        put_sv(o, l->raw);
        break;
    }
    put(o, eol, eoln);
}

size_t h248_sdp_write(const struct h248_sdp *s, unsigned flags, char *buf, size_t cap)
{
    out_t o = {buf, cap, 0};
    bool crlf =
        (flags & H248_SDP_W_CRLF) || (!(flags & H248_SDP_W_LF) && s->eol == H248_SDP_EOL_CRLF);
    const char *eol = crlf ? "\r\n" : "\n";
    size_t eoln = crlf ? 2 : 1;
    for (const h248_sdp_group_t *g = s->groups; g; g = g->next) {
        for (const h248_sdp_line_t *l = g->lines; l; l = l->next)
            put_line(&o, l, eol, eoln);
        for (const h248_sdp_media_t *m = g->media; m; m = m->next)
            for (const h248_sdp_line_t *l = m->lines; l; l = l->next)
                put_line(&o, l, eol, eoln);
    }
    return o.len;
}

/* ---- equality ---- */

static bool str_eq(h248_sdp_str_t a, h248_sdp_str_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static bool conn_eq(const h248_sdp_conn_t *a, const h248_sdp_conn_t *b)
{
    return str_eq(a->nettype, b->nettype) && str_eq(a->addrtype, b->addrtype) &&
           str_eq(a->addr, b->addr);
}

static bool line_eq(const h248_sdp_line_t *a, const h248_sdp_line_t *b)
{
    if (a->type != b->type || a->kind != b->kind) return false;
    switch (a->kind) {
    case H248_SDP_L_ORIGIN:
        return str_eq(a->u.origin.username, b->u.origin.username) &&
               str_eq(a->u.origin.sess_id, b->u.origin.sess_id) &&
               str_eq(a->u.origin.sess_version, b->u.origin.sess_version) &&
               conn_eq(&a->u.origin.conn, &b->u.origin.conn);
    case H248_SDP_L_CONN:
        return conn_eq(&a->u.conn, &b->u.conn);
    case H248_SDP_L_MEDIA: {
        const h248_sdp_mline_t *x = &a->u.m, *y = &b->u.m;
        if (!str_eq(x->media, y->media) || !str_eq(x->port_text, y->port_text) ||
            x->count != y->count || !str_eq(x->proto, y->proto) || x->nfmt != y->nfmt)
            return false;
        for (size_t i = 0; i < x->nfmt; i++)
            if (!str_eq(x->fmt[i], y->fmt[i])) return false;
        return true;
    }
    case H248_SDP_L_ATTR:
        return str_eq(a->u.attr.name, b->u.attr.name) &&
               a->u.attr.has_value == b->u.attr.has_value &&
               str_eq(a->u.attr.value, b->u.attr.value);
    default:
        return str_eq(a->raw, b->raw);
    }
}

static bool lines_eq(const h248_sdp_line_t *a, const h248_sdp_line_t *b)
{
    for (; a && b; a = a->next, b = b->next)
        if (!line_eq(a, b)) return false;
    return a == b;
}

bool h248_sdp_equal(const struct h248_sdp *a, const struct h248_sdp *b)
{
    if (!a || !b) return a == b;
    if (a->ngroups != b->ngroups) return false;
    const h248_sdp_group_t *x = a->groups, *y = b->groups;
    for (; x && y; x = x->next, y = y->next) {
        if (x->nmedia != y->nmedia || !lines_eq(x->lines, y->lines)) return false;
        const h248_sdp_media_t *m = x->media, *k = y->media;
        for (; m && k; m = m->next, k = k->next)
            if (!lines_eq(m->lines, k->lines)) return false;
    }
    return true;
}

/* ---- helpers ---- */

static h248_sdp_group_t *group_at(const struct h248_sdp *s, size_t g)
{
    h248_sdp_group_t *x = s ? s->groups : NULL;
    while (x && g--)
        x = x->next;
    return x;
}

h248_sdp_media_t *h248_sdp_first_audio(const struct h248_sdp *s, size_t g)
{
    h248_sdp_group_t *x = group_at(s, g);
    if (!x) return NULL;
    for (h248_sdp_media_t *m = x->media; m; m = m->next)
        if (sv_ieq(m->m->media, "audio")) return m;
    return x->media;
}

const h248_sdp_conn_t *h248_sdp_media_conn(const h248_sdp_group_t *g, const h248_sdp_media_t *m)
{
    if (m && m->conn) return m->conn;
    return g ? g->conn : NULL;
}

h248_sdp_dir_t h248_sdp_media_dir(const h248_sdp_group_t *g, const h248_sdp_media_t *m)
{
    if (m && m->dir != H248_SDP_DIR_NONE) return m->dir;
    if (g && g->dir != H248_SDP_DIR_NONE) return g->dir;
    return H248_SDP_DIR_SENDRECV;
}

int h248_sdp_get_endpoint(const struct h248_sdp *s, h248_sdp_endpoint_t *ep)
{
    h248_sdp_group_t *g = group_at(s, 0);
    h248_sdp_media_t *m = h248_sdp_first_audio(s, 0);
    if (!m) return H248_SDP_ENOENT;
    *ep = (h248_sdp_endpoint_t){0};
    const h248_sdp_conn_t *c = h248_sdp_media_conn(g, m);
    if (c) {
        ep->af = c->af;
        ep->addr_kind = c->kind;
        const char *slash = memchr(c->addr.p, '/', c->addr.n);
        ep->addr = (h248_sdp_str_t){c->addr.p, slash ? (size_t)(slash - c->addr.p) : c->addr.n};
    } else {
        ep->addr_kind = H248_SDP_WILD;
    }
    ep->port_kind = m->m->port_kind;
    ep->port = m->m->port;
    ep->dir = h248_sdp_media_dir(g, m);
    ep->pt = m->m->nfmt ? (int)sv_num(m->m->fmt[0], 127) : -1;
    ep->ptime = m->ptime;
    return 0;
}

int h248_sdp_set_conn(h248_sdp_conn_t *c, arena_t *a, h248_sdp_af_t af, const char *addr)
{
    if (!c || !addr || (af != H248_SDP_AF_IP4 && af != H248_SDP_AF_IP6)) return H248_SDP_EINVAL;
    size_t n = strlen(addr);
    char *copy = arena_strndup(a, addr, n);
    if (!copy) return H248_SDP_ENOMEM;
    c->addr = (h248_sdp_str_t){copy, n};
    c->kind = kind_of(c->addr);
    c->af = af;
    c->addrtype = (h248_sdp_str_t){af == H248_SDP_AF_IP4 ? "IP4" : "IP6", 3};
    if (c->nettype.n == 0 || kind_of(c->nettype) != H248_SDP_VALUE)
        c->nettype = (h248_sdp_str_t){"IN", 2};
    return 0;
}

int h248_sdp_set_port(h248_sdp_mline_t *m, arena_t *a, uint16_t port)
{
    if (!m) return H248_SDP_EINVAL;
    char *txt = arena_printf(a, "%u", (unsigned)port);
    if (!txt) return H248_SDP_ENOMEM;
    m->port_text = (h248_sdp_str_t){txt, strlen(txt)};
    m->port_kind = H248_SDP_VALUE;
    m->port = port;
    return 0;
}

/* Fill one connection if its address or address type asks the MG to choose. */
static int fill_conn(h248_sdp_conn_t *c, arena_t *a, h248_sdp_af_t af, const char *addr)
{
    if (c->kind != H248_SDP_CHOOSE && c->af != H248_SDP_AF_CHOOSE) return 0;
    int rc = h248_sdp_set_conn(c, a, af, addr);
    return rc ? rc : 1;
}

int h248_sdp_fill_choose(struct h248_sdp *s, size_t g, arena_t *a, h248_sdp_af_t af,
                         const char *addr, uint16_t port)
{
    h248_sdp_group_t *x = group_at(s, g);
    if (!x) return H248_SDP_ENOENT;
    if (!addr || (af != H248_SDP_AF_IP4 && af != H248_SDP_AF_IP6)) return H248_SDP_EINVAL;
    int changed = 0, rc, k = 0;
    for (h248_sdp_line_t *l = x->lines; l; l = l->next) {
        rc = 0;
        if (l->kind == H248_SDP_L_CONN) rc = fill_conn(&l->u.conn, a, af, addr);
        if (l->kind == H248_SDP_L_ORIGIN) rc = fill_conn(&l->u.origin.conn, a, af, addr);
        if (rc < 0) return rc;
        changed += rc;
    }
    for (h248_sdp_media_t *m = x->media; m; m = m->next) {
        for (h248_sdp_line_t *l = m->lines; l; l = l->next) {
            rc = 0;
            if (l->kind == H248_SDP_L_CONN) rc = fill_conn(&l->u.conn, a, af, addr);
            if (rc < 0) return rc;
            changed += rc;
        }
        if (m->m->port_kind == H248_SDP_CHOOSE) {
            unsigned p = (unsigned)port + 2u * (unsigned)k++;
            if (p > 65535) return H248_SDP_EINVAL;
            if ((rc = h248_sdp_set_port(m->m, a, (uint16_t)p))) return rc;
            changed++;
        }
    }
    return changed;
}

int h248_sdp_select_group(struct h248_sdp *s, size_t g)
{
    h248_sdp_group_t *x = group_at(s, g);
    if (!x) return H248_SDP_ENOENT;
    s->groups = x;
    x->next = NULL;
    s->ngroups = 1;
    return 0;
}
