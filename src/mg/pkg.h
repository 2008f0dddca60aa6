/* pkg.h - the H.248 packages bgfd supports: their properties, events and statistics, where
 * each may appear, and the checks every value passes before the engine acts on it.
 * Tables are static and read-only; any thread. docs/packages.md describes them. */
#ifndef BGF_MG_PKG_H
#define BGF_MG_PKG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* H.248.8 error codes the engine answers with. */
enum {
    MG_ERR_SYNTAX = 400,
    MG_ERR_PROTOCOL = 401,
    MG_ERR_BAD_ID = 410,
    MG_ERR_UNKNOWN_CTX = 411,
    MG_ERR_NO_CTX = 412,
    MG_ERR_BAD_ACTION = 421,
    MG_ERR_ACTION_SYNTAX = 422,
    MG_ERR_UNKNOWN_TERM = 430,
    MG_ERR_NO_WILDCARD_MATCH = 431,
    MG_ERR_TERM_IN_CTX = 433,
    MG_ERR_MAX_TERMS = 434,
    MG_ERR_TERM_NOT_IN_CTX = 435,
    MG_ERR_UNKNOWN_CMD = 443,
    MG_ERR_UNKNOWN_DESC = 444,
    MG_ERR_UNKNOWN_PROP = 445,
    MG_ERR_UNKNOWN_PARAM = 446,
    MG_ERR_DESC_ILLEGAL = 447,
    MG_ERR_DESC_TWICE = 448,
    MG_ERR_BAD_VALUE = 449,
    MG_ERR_NO_SUCH_PROP = 450,
    MG_ERR_NO_SUCH_EVENT = 451,
    MG_ERR_NO_SUCH_SIGNAL = 452,
    MG_ERR_NO_SUCH_STAT = 453,
    MG_ERR_PROP_ILLEGAL = 455,
    MG_ERR_PROP_TWICE = 456,
    MG_ERR_INTERNAL = 500,
    MG_ERR_NOT_IMPL = 501,
    MG_ERR_RESOURCES = 510,
    MG_ERR_READ_ONLY = 534,
};

/* Descriptors a property may appear in (bit set). */
enum {
    MG_IN_LC = 1u << 0,   /* LocalControl of a stream (termination) */
    MG_IN_TS = 1u << 1,   /* TerminationState of a termination */
    MG_IN_ROOT = 1u << 2, /* TerminationState of ROOT */
};

typedef enum {
    MG_PT_BOOL = 0,  /* ON / OFF (also TRUE / FALSE) */
    MG_PT_UINT,      /* decimal, [min, max] */
    MG_PT_STRING,    /* token or quoted string, at most max characters */
    MG_PT_ADDR,      /* IPv4 or IPv6 address literal, optionally /prefix-length */
    MG_PT_PORTRANGE, /* port or "lo-hi" / [lo:hi] */
    MG_PT_ENUM,      /* one of enums[] */
    MG_PT_HEX,       /* hex digits, length min..max */
    MG_PT_HEXLIST,   /* list of 32-bit hex values, 1..max entries */
    MG_PT_CODEPOINT, /* decimal, or hex ("0x2e", or with a-f digits: "2e"), [min, max] */
} mg_ptype_t;

typedef struct mg_prop_def {
    const char *name;
    mg_ptype_t type;
    uint32_t min, max;
    unsigned where; /* MG_IN_* */
    bool read_only;
    const char *const *enums; /* MG_PT_ENUM: NULL-terminated */
    const char *doc;          /* one line for AuditCapabilities and docs */
} mg_prop_def_t;

typedef struct mg_event_def {
    const char *name;
    bool on_root; /* true: ROOT only; false: terminations only */
    const mg_prop_def_t *params;
    unsigned nparams;
} mg_event_def_t;

typedef struct mg_pkg_def {
    const char *name;
    unsigned version;
    const mg_prop_def_t *props;
    unsigned nprops;
    const mg_event_def_t *events;
    unsigned nevents;
    const char *const *stats; /* NULL-terminated */
    bool confidential;        /* li: never audited, never logged */
} mg_pkg_def_t;

/* The supported packages, in the order the Packages descriptor lists them. */
extern const mg_pkg_def_t *const mg_pkgs[];
extern const unsigned mg_npkgs;

const mg_pkg_def_t *mg_pkg_find(const char *name, size_t n);

/* Split "pkg/item" (n bytes) and look the property up. Returns 0 and *pkg, *prop, or the
 * H.248 error code: 445 unknown package (or no '/'), 450 no such property in the package,
 * 455 known property not allowed where (MG_IN_*). */
int mg_pkg_prop(const char *id, size_t n, unsigned where, const mg_pkg_def_t **pkg,
                const mg_prop_def_t **prop);
/* Same for events: 451 unknown, 455 event not allowed on this kind of termination. */
int mg_pkg_event(const char *id, size_t n, bool on_root, const mg_pkg_def_t **pkg,
                 const mg_event_def_t **ev);
/* Statistic "pkg/name": 0, or 453 (445 for an unknown package). */
int mg_pkg_stat(const char *id, size_t n);

/* A checked value. */
typedef struct mg_pval {
    uint32_t u;    /* BOOL (0/1), UINT, ENUM (index), PORTRANGE lo */
    uint32_t u2;   /* PORTRANGE hi; ADDR: 1 when a /prefix-length (in u) was given */
    const char *s; /* STRING / ADDR / HEX: view into the input */
    size_t n;
    uint32_t list[8]; /* HEXLIST */
    unsigned nlist;
} mg_pval_t;

/* Check one value (text v[0..n), quotes already removed) against def: 0 or 449. For
 * HEXLIST, call once per element with out accumulating (out->nlist grows; more than max
 * entries -> 449). */
int mg_pkg_check(const mg_prop_def_t *def, const char *v, size_t n, mg_pval_t *out);

/* Case-insensitive compare of v[0..n) with a NUL-terminated word. */
bool mg_tok_eq(const char *v, size_t n, const char *word);

#endif
