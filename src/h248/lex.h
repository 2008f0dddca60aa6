/* lex.h - the H.248 text decoder's lexer and parser state (internal to src/h248). One parser_t
 * lives on the stack of each h248_decode() call: no globals, any thread. The lexer works on
 * the caller's buffer [base, end) and never reads at or past end. Words (runs of SafeChar) get
 * their keyword id as they are scanned (one hash of four bytes and the length, one probe). Errors
 * unwind with longjmp to h248_decode(), which owns the jmp_buf; nothing needs freeing because
 * every node lives in the caller's arena. */
#ifndef BGF_H248_LEX_H
#define BGF_H248_LEX_H
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "h248/h248.h"
#include "h248/tokens.h"

enum tk {
    TK_EOF = 0,
    TK_WORD,   /* 1*SafeChar; kw set when it spells a keyword */
    TK_QSTR,   /* "..." : view excludes the quotes */
    TK_LBRACE, /* { */
    TK_RBRACE, /* } */
    TK_LSB,    /* [ */
    TK_RSB,    /* ] */
    TK_COMMA,
    TK_EQ,
    TK_COLON,
    TK_GT,
    TK_LT,
    TK_HASH,
    TK_BAD, /* any other byte */
};

typedef struct tok {
    uint8_t t;        /* enum tk */
    uint8_t kw;       /* enum h248_kw for words (KW_UNSET until tkw()), else KW_NONE */
    uint32_t len;     /* length of the view */
    const char *p;    /* start of the view (for QSTR: after the quote) */
    const char *at;   /* where the token starts (error positions) */
} tok_t;

#define KW_UNSET 0xFF

/* The keyword a token spells, or KW_NONE; looked up once and remembered in the token (tokens
 * are never const objects, only viewed through const pointers). */
static inline int tkw(const tok_t *t)
{
    if (t->kw == KW_UNSET) ((tok_t *)t)->kw = (uint8_t)h248_kw_find(t->p, t->len);
    return t->kw;
}

/* character classes */
#define CC_SAFE 0x01 /* SafeChar: may appear in a word */
#define CC_WS 0x02   /* SP, HTAB */
#define CC_EOL 0x04  /* CR, LF */
#define CC_ALPHA 0x08
#define CC_DIGIT 0x10
#define CC_HEX 0x20
extern const uint8_t h248_cc[256];

typedef struct parser {
    const char *base, *pos, *end; /* input; pos = next unread byte */
    tok_t tok;                    /* lookahead, valid when have */
    bool have;
    arena_t *a;
    char *blk, *blk_end; /* the current block of arena memory nodes are carved from */
    h248_error_t *err;
    jmp_buf jb;
    int rc;          /* H248_ESYNTAX or H248_ENOMEM when unwinding */
    uint8_t version; /* from the header */
    uint16_t code;   /* error code for a plain syntax error at this point */
    bool in_audit;   /* inside Audit{...}: indAud forms (names without values) allowed */
    bool in_embed;   /* inside Embed{...}: no further Embed */
    bool has_txn;
    h248_txn_kind_t txn_kind;
    uint32_t txn_id;
} parser_t;

_Noreturn void h248_fail(parser_t *p, uint16_t code, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void h248_nomem(parser_t *p);

/* Skip white space, line ends and ";" comments. Runs of eight spaces (indentation of the
 * pretty form) are skipped a word at a time. */
static inline void lx_skip(parser_t *p)
{
    const char *s = p->pos, *e = p->end;
    while (s < e) {
        unsigned char c = (unsigned char)*s;
        if (h248_cc[c] & (CC_WS | CC_EOL)) {
            s++;
            uint64_t v;
            while (e - s >= 8 && (memcpy(&v, s, 8), v == 0x2020202020202020ull)) s += 8;
        } else if (c == ';') {
            while (s < e && !(h248_cc[(unsigned char)*s] & CC_EOL)) s++;
        } else {
            break;
        }
    }
    p->pos = s;
}

/* The end of the run of SafeChars at s (four bytes per round while four remain). */
static inline const char *lx_word_end(const char *s, const char *e)
{
    while (e - s >= 4) {
        if (!(h248_cc[(unsigned char)s[0]] & CC_SAFE)) return s;
        if (!(h248_cc[(unsigned char)s[1]] & CC_SAFE)) return s + 1;
        if (!(h248_cc[(unsigned char)s[2]] & CC_SAFE)) return s + 2;
        if (!(h248_cc[(unsigned char)s[3]] & CC_SAFE)) return s + 3;
        s += 4;
    }
    while (s < e && (h248_cc[(unsigned char)*s] & CC_SAFE)) s++;
    return s;
}

/* What a byte starts, stored XOR TK_BAD so that the table's zero default means TK_BAD. */
#define TKC_WS 0x20   /* SP, HTAB, CR, LF */
#define TKC_SEMI 0x21 /* ";" comment */
extern const uint8_t h248_tkc[256];

/* Scan the next token at pos into p->tok: one table lookup on the first byte decides. */
static inline void lx_scan(parser_t *p)
{
    const char *s = p->pos, *e = p->end;
    tok_t *t = &p->tok;
    for (;;) {
        if (s == e) {
            t->t = TK_EOF;
            break;
        }
        unsigned k = h248_tkc[(unsigned char)*s] ^ TK_BAD;
        if (k == TK_WORD) {
            const char *w = s;
            s = lx_word_end(s + 1, e);
            t->t = TK_WORD;
            t->at = t->p = w;
            t->len = (uint32_t)(s - w);
            t->kw = KW_UNSET; /* looked up on first use: most words are names and values */
            p->pos = s;
            return;
        }
        if (k <= TK_BAD && k != TK_QSTR) {
            t->t = (uint8_t)k;
            t->at = t->p = s;
            t->len = 0;
            t->kw = KW_NONE;
            p->pos = s + 1;
            return;
        }
        if (k == TKC_WS) {
            s++;
            uint64_t v; /* indentation of the pretty form: eight spaces at a time */
            while (e - s >= 8 && (memcpy(&v, s, 8), v == 0x2020202020202020ull)) s += 8;
        } else if (k == TKC_SEMI) {
            while (s < e && !(h248_cc[(unsigned char)*s] & CC_EOL)) s++;
        } else { /* TK_QSTR */
            const char *q = memchr(s + 1, '"', (size_t)(e - s - 1));
            if (!q) h248_fail(p, p->code, s, "unterminated quoted string");
            t->t = TK_QSTR;
            t->at = s;
            t->p = s + 1;
            t->len = (uint32_t)(q - s - 1);
            t->kw = KW_NONE;
            p->pos = q + 1;
            return;
        }
    }
    t->at = t->p = s;
    t->len = 0;
    t->kw = KW_NONE;
    p->pos = s;
}

/* The lookahead token (scanned on first use). */
static inline tok_t *lx_peek(parser_t *p)
{
    if (!p->have) {
        lx_scan(p);
        p->have = true;
    }
    return &p->tok;
}

/* Consume and return the next token; the pointer stays valid until the next lexer call. */
static inline tok_t *lx_next(parser_t *p)
{
    if (!p->have) lx_scan(p);
    p->have = false;
    return &p->tok;
}

/* Consume the next token when it is of type t. */
static inline bool lx_accept(parser_t *p, int t)
{
    if (lx_peek(p)->t != t) return false;
    p->have = false;
    return true;
}

static inline h248_str_t tok_str(const tok_t *t)
{
    return (h248_str_t){t->p, t->len};
}

void *px_refill(parser_t *p, size_t n);

/* Allocate a zeroed node or unwind with H248_ENOMEM. Nodes are carved from blocks taken from
 * the caller's arena (one arena_alloc per block instead of one per node). */
static inline void *px_alloc(parser_t *p, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(p->blk_end - p->blk) < n) return px_refill(p, n);
    void *v = p->blk; /* blocks come zeroed from the arena and are never reused */
    p->blk += n;
    return v;
}
#define NEW(p, T) ((T *)px_alloc((p), sizeof(T)))

/* lex.c: helpers shared by the decoder files */
const char *h248_tok_desc(const tok_t *t);
_Noreturn void px_unexpected(parser_t *p, const tok_t *k, const char *what);

/* Consume the next token, which must be of type t (what names it in the error). */
static inline void px_expect(parser_t *p, int t, const char *what)
{
    tok_t *k = lx_next(p);
    if (k->t != t) px_unexpected(p, k, what);
}

/* Consume the next token, which must be a word. */
static inline tok_t *px_word(parser_t *p, const char *what)
{
    tok_t *k = lx_next(p);
    if (k->t != TK_WORD) px_unexpected(p, k, what);
    return k;
}
uint32_t px_uint(parser_t *p, const tok_t *t, uint32_t max, uint16_t code, const char *what);
const char *h248_scan_mid(const char *s, const char *e, h248_mid_t *out);

/* decode_desc.c: descriptors */
h248_desc_t *px_descriptor(parser_t *p);
void px_topology(parser_t *p, h248_ctx_props_t *cp);
void px_prop_value(parser_t *p, h248_prop_t *pr);
h248_prop_t *px_prop(parser_t *p, const tok_t *name);
void px_error_desc(parser_t *p, h248_error_desc_t *e);
void px_ctx_attr(parser_t *p, h248_prop_t ***tail, h248_ctx_props_t *cp);

#endif
