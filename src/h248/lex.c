/* lex.c - the decoder's shared pieces: character classes, error reporting (code, line,
 * column, reason), small token helpers, the mId scanner, and the public string helpers of
 * h248.h. Pure functions and read-only tables; any thread. */
#include "h248/lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define S CC_SAFE
#define A (CC_SAFE | CC_ALPHA)
#define AH (CC_SAFE | CC_ALPHA | CC_HEX)
#define D (CC_SAFE | CC_DIGIT | CC_HEX)
/* SafeChar = DIGIT / ALPHA / "+" / "-" / "&" / "!" / "_" / "/" / "'" / "?" / "@" / "^" / "`" /
 * "~" / "*" / "$" / "\" / "(" / ")" / "%" / "|" / "." (H.248.1 Annex B.2) */
const uint8_t h248_cc[256] = {
    ['\t'] = CC_WS, [' '] = CC_WS, ['\r'] = CC_EOL, ['\n'] = CC_EOL,
    ['+'] = S, ['-'] = S, ['&'] = S, ['!'] = S, ['_'] = S, ['/'] = S, ['\''] = S, ['?'] = S,
    ['@'] = S, ['^'] = S, ['`'] = S, ['~'] = S, ['*'] = S, ['$'] = S, ['\\'] = S, ['('] = S,
    [')'] = S, ['%'] = S, ['|'] = S, ['.'] = S,
    ['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D, ['5'] = D, ['6'] = D, ['7'] = D,
    ['8'] = D, ['9'] = D,
    ['A'] = AH, ['B'] = AH, ['C'] = AH, ['D'] = AH, ['E'] = AH, ['F'] = AH, ['G'] = A, ['H'] = A,
    ['I'] = A, ['J'] = A, ['K'] = A, ['L'] = A, ['M'] = A, ['N'] = A, ['O'] = A, ['P'] = A,
    ['Q'] = A, ['R'] = A, ['S'] = A, ['T'] = A, ['U'] = A, ['V'] = A, ['W'] = A, ['X'] = A,
    ['Y'] = A, ['Z'] = A,
    ['a'] = AH, ['b'] = AH, ['c'] = AH, ['d'] = AH, ['e'] = AH, ['f'] = AH, ['g'] = A, ['h'] = A,
    ['i'] = A, ['j'] = A, ['k'] = A, ['l'] = A, ['m'] = A, ['n'] = A, ['o'] = A, ['p'] = A,
    ['q'] = A, ['r'] = A, ['s'] = A, ['t'] = A, ['u'] = A, ['v'] = A, ['w'] = A, ['x'] = A,
    ['y'] = A, ['z'] = A,
};
#undef S
#undef A
#undef AH
#undef D

/* token class of each byte, XOR TK_BAD (lex.h) */
#define K(t) ((t) ^ TK_BAD)
#define W K(TK_WORD)
const uint8_t h248_tkc[256] = {
    ['\t'] = K(TKC_WS), [' '] = K(TKC_WS), ['\r'] = K(TKC_WS), ['\n'] = K(TKC_WS),
    [';'] = K(TKC_SEMI), ['"'] = K(TK_QSTR), ['{'] = K(TK_LBRACE), ['}'] = K(TK_RBRACE),
    ['['] = K(TK_LSB), [']'] = K(TK_RSB), [','] = K(TK_COMMA), ['='] = K(TK_EQ),
    [':'] = K(TK_COLON), ['>'] = K(TK_GT), ['<'] = K(TK_LT), ['#'] = K(TK_HASH),
    ['+'] = W, ['-'] = W, ['&'] = W, ['!'] = W, ['_'] = W, ['/'] = W, ['\''] = W, ['?'] = W,
    ['@'] = W, ['^'] = W, ['`'] = W, ['~'] = W, ['*'] = W, ['$'] = W, ['\\'] = W, ['('] = W,
    [')'] = W, ['%'] = W, ['|'] = W, ['.'] = W,
    ['0'] = W, ['1'] = W, ['2'] = W, ['3'] = W, ['4'] = W, ['5'] = W, ['6'] = W, ['7'] = W,
    ['8'] = W, ['9'] = W,
    ['A'] = W, ['B'] = W, ['C'] = W, ['D'] = W, ['E'] = W, ['F'] = W, ['G'] = W, ['H'] = W,
    ['I'] = W, ['J'] = W, ['K'] = W, ['L'] = W, ['M'] = W, ['N'] = W, ['O'] = W, ['P'] = W,
    ['Q'] = W, ['R'] = W, ['S'] = W, ['T'] = W, ['U'] = W, ['V'] = W, ['W'] = W, ['X'] = W,
    ['Y'] = W, ['Z'] = W,
    ['a'] = W, ['b'] = W, ['c'] = W, ['d'] = W, ['e'] = W, ['f'] = W, ['g'] = W, ['h'] = W,
    ['i'] = W, ['j'] = W, ['k'] = W, ['l'] = W, ['m'] = W, ['n'] = W, ['o'] = W, ['p'] = W,
    ['q'] = W, ['r'] = W, ['s'] = W, ['t'] = W, ['u'] = W, ['v'] = W, ['w'] = W, ['x'] = W,
    ['y'] = W, ['z'] = W,
};
#undef W
#undef K

/* Fill the error record (line and column counted only now, on the error path) and unwind.
 * The reason has already been written. */
static _Noreturn void unwind(parser_t *p, int rc, uint16_t code, const char *at)
{
    h248_error_t *e = p->err;
    if (at < p->base) at = p->base;
    if (at > p->end) at = p->end;
    e->code = code;
    e->has_txn = p->has_txn;
    e->txn_kind = p->txn_kind;
    e->txn_id = p->txn_id;
    e->offset = (uint32_t)(at - p->base);
    uint32_t line = 1;
    const char *ls = p->base;
    for (const char *s = p->base; s < at; s++) {
        if (*s == '\n' || (*s == '\r' && !(s + 1 < p->end && s[1] == '\n'))) {
            line++;
            ls = s + 1;
        }
    }
    e->line = line;
    e->col = (uint32_t)(at - ls) + 1;
    p->rc = rc;
    longjmp(p->jb, 1);
}

void h248_fail(parser_t *p, uint16_t code, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->reason, sizeof(p->err->reason), fmt, ap);
    va_end(ap);
    unwind(p, H248_ESYNTAX, code, at);
}

void h248_nomem(parser_t *p)
{
    snprintf(p->err->reason, sizeof(p->err->reason), "out of memory for the message tree");
    unwind(p, H248_ENOMEM, 510, p->pos);
}

/* Take a new block from the arena: small nodes share 2 KiB blocks, big ones get their own. */
void *px_refill(parser_t *p, size_t n)
{
    enum { BLOCK = 2048 };
    if (n > BLOCK / 4) {
        void *v = arena_alloc(p->a, n);
        if (!v) h248_nomem(p);
        return v;
    }
    char *b = arena_alloc(p->a, BLOCK);
    if (!b) h248_nomem(p);
    p->blk = b + n;
    p->blk_end = b + BLOCK;
    return b; /* arena memory comes zeroed */
}

/* A short description of a token for error reasons. */
const char *h248_tok_desc(const tok_t *t)
{
    switch (t->t) {
    case TK_EOF: return "end of message";
    case TK_WORD: return tkw(t) ? h248_kw_long(tkw(t)) : "a name";
    case TK_QSTR: return "a quoted string";
    case TK_LBRACE: return "'{'";
    case TK_RBRACE: return "'}'";
    case TK_LSB: return "'['";
    case TK_RSB: return "']'";
    case TK_COMMA: return "','";
    case TK_EQ: return "'='";
    case TK_COLON: return "':'";
    case TK_GT: return "'>'";
    case TK_LT: return "'<'";
    case TK_HASH: return "'#'";
    default: return "an invalid character";
    }
}

void px_unexpected(parser_t *p, const tok_t *k, const char *what)
{
    h248_fail(p, p->code, k->at, "expected %s, found %s", what, h248_tok_desc(k));
}

/* Decimal digits only, at most max. */
uint32_t px_uint(parser_t *p, const tok_t *t, uint32_t max, uint16_t code, const char *what)
{
    uint32_t v;
    if (t->t != TK_WORD || !h248_str_u32(tok_str(t), max, &v))
        h248_fail(p, code, t->at, "invalid %s", what);
    return v;
}

/* every byte of [s, e) has a class in cls or is one of the two extra bytes */
static bool all(const char *s, const char *e, uint8_t cls, char x1, char x2)
{
    for (; s < e; s++)
        if (!(h248_cc[(unsigned char)*s] & cls) && *s != x1 && *s != x2) return false;
    return true;
}

/* Scan an mId at s: [IPv4]/[IPv6]/<domain> with optional :port, MTP{hex}, or a device name.
 * Returns the byte after it, or NULL when there is none. Never reads at or past e. */
const char *h248_scan_mid(const char *s, const char *e, h248_mid_t *out)
{
    memset(out, 0, sizeof(*out));
    if (s >= e) return NULL;
    const char *q;
    if (*s == '[' || *s == '<') {
        char close = *s == '[' ? ']' : '>';
        q = memchr(s + 1, close, (size_t)(e - s - 1));
        if (!q || q == s + 1 || q - s - 1 > 255) return NULL;
        out->addr = (h248_str_t){s + 1, (uint32_t)(q - s - 1)};
        if (close == '>') {
            if (!all(s + 1, q, CC_ALPHA | CC_DIGIT, '-', '.')) return NULL;
            out->kind = H248_MID_DOMAIN;
        } else if (memchr(s + 1, ':', (size_t)(q - s - 1))) {
            if (!all(s + 1, q, CC_HEX, ':', '.')) return NULL;
            out->kind = H248_MID_IP6;
        } else {
            if (!all(s + 1, q, CC_DIGIT, '.', '.')) return NULL;
            out->kind = H248_MID_IP4;
        }
        s = q + 1;
        if (s < e && *s == ':') {
            uint32_t port = 0;
            const char *d = ++s;
            while (s < e && (h248_cc[(unsigned char)*s] & CC_DIGIT) && s - d < 5)
                port = port * 10 + (uint32_t)(*s++ - '0');
            if (s == d || port > 65535 || (s < e && (h248_cc[(unsigned char)*s] & CC_DIGIT)))
                return NULL;
            out->port = (uint16_t)port;
            out->has_port = true;
        }
        return s;
    }
    if (e - s >= 4 && (s[0] | 0x20) == 'm' && (s[1] | 0x20) == 't' && (s[2] | 0x20) == 'p' &&
        s[3] == '{') {
        q = memchr(s + 4, '}', (size_t)(e - s - 4));
        if (!q || q - s - 4 < 4 || q - s - 4 > 8 || !all(s + 4, q, CC_HEX, '0', '0')) return NULL;
        out->kind = H248_MID_MTP;
        out->addr = (h248_str_t){s + 4, (uint32_t)(q - s - 4)};
        return q + 1;
    }
    q = s;
    while (q < e && (h248_cc[(unsigned char)*q] & CC_SAFE)) q++;
    if (q == s || q - s > 255) return NULL;
    out->kind = H248_MID_DEVICE;
    out->addr = (h248_str_t){s, (uint32_t)(q - s)};
    return q;
}

int h248_mid_parse(h248_str_t text, h248_mid_t *out)
{
    const char *e = text.p + text.len;
    const char *s = text.p ? h248_scan_mid(text.p, e, out) : NULL;
    return s == e ? H248_OK : H248_ESYNTAX;
}

/* ---- public helpers ---------------------------------------------------------------------- */

h248_str_t h248_str(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return (h248_str_t){s, (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n)};
}

bool h248_str_ieq(h248_str_t s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s.p[i], b = (unsigned char)lit[i];
        if (a >= 'A' && a <= 'Z') a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z') b = (unsigned char)(b + 32);
        if (a != b) return false;
    }
    return true;
}

bool h248_str_u32(h248_str_t s, uint32_t max, uint32_t *v)
{
    if (s.len == 0 || s.len > 10) return false;
    uint64_t x = 0;
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned c = (unsigned char)s.p[i] - '0';
        if (c > 9) return false;
        x = x * 10 + c;
    }
    if (x > max) return false;
    *v = (uint32_t)x;
    return true;
}

const h248_prop_t *h248_prop_find(const h248_prop_t *list, const char *name)
{
    for (; list; list = list->next)
        if (h248_str_ieq(list->name, name)) return list;
    return NULL;
}

const char *h248_cmd_name(h248_cmd_kind_t k)
{
    static const char *const n[] = {"?", "Add", "Modify", "Subtract", "Move", "AuditValue",
                                    "AuditCapability", "Notify", "ServiceChange"};
    return (unsigned)k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}

const char *h248_desc_name(h248_desc_kind_t k)
{
    static const char *const n[] = {"?", "Media", "Modem", "Mux", "Events", "Signals",
                                    "DigitMap", "EventBuffer", "Statistics", "Packages",
                                    "ObservedEvents", "Audit", "Services", "Error"};
    return (unsigned)k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}
