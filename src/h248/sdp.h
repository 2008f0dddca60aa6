/* sdp.h - the underspecified SDP that H.248 carries in Local and Remote descriptors.
 *
 * H.248 (Annex C.11 and RFC 3525 examples) puts plain SDP text between the braces of Local{}
 * and Remote{}, relaxed in three ways: a field may be `$` (the MG chooses: address, port,
 * payload type) or `-` (wildcard), `v=0` lines separate alternative groups (the MG picks one
 * and answers with it), and lines other than v=, c= and m= are often left out.
 *
 * h248_sdp_parse() turns such text into a struct h248_sdp: groups -> session part + media
 * sections. Every field is a view into the caller's input (never copied, never read past n);
 * the nodes come from the caller's arena. h248_sdp_write() writes it back, in the input's order,
 * with the line ends it was given (or forced to LF / CRLF). The setters at the end let the MG
 * fill in what `$` asked for and read what the peer asked for.
 *
 * Pure: no I/O, no globals, any thread (an arena belongs to one thread at a time). */
#ifndef BGF_H248_SDP_H
#define BGF_H248_SDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

/* A view into the input (or into arena memory after a setter): p[0..n), not NUL-terminated. */
typedef struct h248_sdp_str {
    const char *p;
    size_t n;
} h248_sdp_str_t;

/* What a field holds: a value, `$` (MG chooses) or `-` (wildcard / "any"). */
typedef enum h248_sdp_kind {
    H248_SDP_VALUE = 0,
    H248_SDP_CHOOSE, /* $ */
    H248_SDP_WILD,   /* - */
} h248_sdp_kind_t;

typedef enum h248_sdp_af {
    H248_SDP_AF_NONE = 0, /* no address given */
    H248_SDP_AF_IP4,
    H248_SDP_AF_IP6,
    H248_SDP_AF_CHOOSE, /* addrtype `$` */
    H248_SDP_AF_WILD,   /* addrtype `-` */
    H248_SDP_AF_OTHER,  /* some other addrtype token */
} h248_sdp_af_t;

typedef enum h248_sdp_dir {
    H248_SDP_DIR_NONE = 0, /* no direction attribute: SDP means sendrecv */
    H248_SDP_DIR_SENDRECV,
    H248_SDP_DIR_SENDONLY,
    H248_SDP_DIR_RECVONLY,
    H248_SDP_DIR_INACTIVE,
} h248_sdp_dir_t;

/* c= line, and the address half of o=: "IN IP4 10.0.0.1", "IN IP4 $", "IN IP6 -". */
typedef struct h248_sdp_conn {
    h248_sdp_str_t nettype;  /* "IN" (or $ / -) */
    h248_sdp_str_t addrtype; /* "IP4", "IP6", "$", "-" */
    h248_sdp_str_t addr;     /* as given, including any /ttl/count suffix */
    h248_sdp_af_t af;        /* from addrtype */
    h248_sdp_kind_t kind;    /* of addr */
} h248_sdp_conn_t;

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
typedef struct h248_sdp_origin {
    h248_sdp_str_t username, sess_id, sess_version;
    h248_sdp_conn_t conn;
} h248_sdp_origin_t;

/* b=<type>:<value>; value < 0 when it is not a plain number (`$`, `-`). */
typedef struct h248_sdp_bw {
    h248_sdp_str_t type, text;
    long long value;
} h248_sdp_bw_t;

/* a=rtpmap:<pt> <encoding>/<clock>[/<params>]; pt < 0 when not a number (`$`). */
typedef struct h248_sdp_rtpmap {
    int pt;
    h248_sdp_str_t pt_text, encoding, params;
    uint32_t clock;
} h248_sdp_rtpmap_t;

typedef enum h248_sdp_attr_kind {
    H248_SDP_A_OTHER = 0,
    H248_SDP_A_PTIME,
    H248_SDP_A_RTPMAP,
    H248_SDP_A_DIR, /* sendrecv / sendonly / recvonly / inactive */
} h248_sdp_attr_kind_t;

/* a=<name>[:<value>]. The text is the truth the writer uses; the parsed fields are read-only
 * interpretations kept in step by the setters below. */
typedef struct h248_sdp_attr {
    h248_sdp_attr_kind_t kind;
    h248_sdp_str_t name, value;
    bool has_value; /* a ':' followed the name */
    union {
        int ptime; /* ms; -1 for `$` */
        h248_sdp_rtpmap_t rtpmap;
        h248_sdp_dir_t dir;
    } u;
} h248_sdp_attr_t;

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
typedef struct h248_sdp_mline {
    h248_sdp_str_t media;     /* "audio", "video", "image", ... */
    h248_sdp_str_t port_text; /* as given (without /count) */
    h248_sdp_kind_t port_kind;
    uint16_t port;        /* when port_kind == VALUE */
    uint16_t count;       /* /count, 0 when absent */
    h248_sdp_str_t proto; /* "RTP/AVP", "RTP/SAVP", "udp", ... */
    h248_sdp_str_t *fmt;
    size_t nfmt;
} h248_sdp_mline_t;

typedef enum h248_sdp_line_kind {
    H248_SDP_L_VERSION, /* v= */
    H248_SDP_L_ORIGIN,  /* o= */
    H248_SDP_L_CONN,    /* c= */
    H248_SDP_L_BW,      /* b= */
    H248_SDP_L_TIME,    /* t= */
    H248_SDP_L_MEDIA,   /* m= (first line of a media section) */
    H248_SDP_L_ATTR,    /* a= */
    H248_SDP_L_RAW,     /* s=, i=, u=, e=, p=, k=, z=, r= and any other letter: kept as text */
} h248_sdp_line_kind_t;

/* One line, in input order. Parsed payloads live here; the section structs point at them. */
typedef struct h248_sdp_line {
    struct h248_sdp_line *next;
    h248_sdp_line_kind_t kind;
    char type;          /* the letter before '=' */
    h248_sdp_str_t raw; /* the text after '=' as given (before any setter ran) */
    union {
        long version;
        h248_sdp_origin_t origin;
        h248_sdp_conn_t conn;
        h248_sdp_bw_t bw;
        struct {
            h248_sdp_str_t start, stop;
        } time;
        h248_sdp_mline_t m;
        h248_sdp_attr_t attr;
    } u;
} h248_sdp_line_t;

/* A media section: the m= line and the lines up to the next m= or v=. */
typedef struct h248_sdp_media {
    struct h248_sdp_media *next;
    h248_sdp_line_t *mline; /* its m= line (kind MEDIA) */
    h248_sdp_line_t *lines; /* m= first, then the section's other lines in order */
    h248_sdp_mline_t *m;    /* == &mline->u.m */
    h248_sdp_conn_t *conn;  /* first c= of the section, or NULL */
    int ptime;              /* a=ptime, 0 when absent, -1 for `$` */
    h248_sdp_dir_t dir;     /* this section's direction attribute, NONE if absent */
    size_t nrtpmap, nattr, nbw;
} h248_sdp_media_t;

/* One SDP description: from a v= line (or the start) to the next v= line. */
typedef struct h248_sdp_group {
    struct h248_sdp_group *next;
    h248_sdp_line_t *lines; /* session-level lines, in order (v= first when given) */
    bool has_version;       /* began with v= */
    long version;           /* v= value (0) */
    h248_sdp_origin_t *origin;
    h248_sdp_str_t name;     /* s= */
    h248_sdp_conn_t *conn;   /* session-level c=, or NULL */
    h248_sdp_dir_t dir;      /* session-level direction attribute */
    h248_sdp_media_t *media; /* media sections in order */
    size_t nmedia;
} h248_sdp_group_t;

typedef enum h248_sdp_eol {
    H248_SDP_EOL_LF = 0,
    H248_SDP_EOL_CRLF,
} h248_sdp_eol_t;

struct h248_sdp {
    h248_sdp_group_t *groups; /* alternatives, in order; at least one after a parse */
    size_t ngroups;
    h248_sdp_eol_t eol; /* line end of the first line in the input */
};
typedef struct h248_sdp h248_sdp_t;

/* Error details; line is 1-based within the text given, col 1-based within that line. */
typedef struct h248_sdp_error {
    int line, col;
    const char *reason; /* static string */
} h248_sdp_error_t;

enum {
    H248_SDP_OK = 0,
    H248_SDP_ESYNTAX = -1, /* see the error struct */
    H248_SDP_ENOMEM = -2,  /* arena exhausted */
    H248_SDP_ENOENT = -3,  /* helper: nothing to act on (no such media) */
    H248_SDP_EINVAL = -4,  /* helper: bad argument */
};

/* Parse p[0..n). Blank lines and leading blanks are skipped; lines end in LF or CRLF (a lone
 * CR also ends a line); the last line may lack its end. Empty text gives a struct with no
 * groups. Returns 0 or a negative H248_SDP_E*; err (may be NULL) says where and why. */
int h248_sdp_parse(const char *p, size_t n, arena_t *a, struct h248_sdp **out,
                   h248_sdp_error_t *err);

/* Writer flags: line ends as parsed (default), or forced. */
#define H248_SDP_W_ASIS 0u
#define H248_SDP_W_LF 1u
#define H248_SDP_W_CRLF 2u

/* Write s into buf[0..cap): every line followed by its line end. Returns the length the whole
 * text needs (like snprintf, without a NUL); when that is > cap the buffer holds a prefix.
 * No allocation. A `}` in a field is written as `\}` so the text stays inside its H.248
 * descriptor braces. */
size_t h248_sdp_write(const struct h248_sdp *s, unsigned flags, char *buf, size_t cap);

/* Structural equality (fields compared as text, line ends ignored). */
bool h248_sdp_equal(const struct h248_sdp *a, const struct h248_sdp *b);

/* ---- helpers for the MG ---- */

/* The first media section of group g whose media is `audio` (any media if none is), or NULL. */
h248_sdp_media_t *h248_sdp_first_audio(const struct h248_sdp *s, size_t g);
/* The connection that applies to a media section: its own c=, else the session's. */
const h248_sdp_conn_t *h248_sdp_media_conn(const h248_sdp_group_t *g, const h248_sdp_media_t *m);
/* Direction that applies: the media's attribute, else the session's, else SENDRECV. */
h248_sdp_dir_t h248_sdp_media_dir(const h248_sdp_group_t *g, const h248_sdp_media_t *m);

/* What the first audio section of group 0 asks for: for a Remote descriptor, where to send. */
typedef struct h248_sdp_endpoint {
    h248_sdp_af_t af;
    h248_sdp_kind_t addr_kind;
    h248_sdp_str_t addr; /* address text without any /ttl suffix */
    h248_sdp_kind_t port_kind;
    uint16_t port;
    h248_sdp_dir_t dir; /* resolved (never NONE) */
    int pt;             /* first format as a number, -1 if none / not numeric */
    int ptime;          /* 0 when absent */
} h248_sdp_endpoint_t;
/* 0, or H248_SDP_ENOENT when there is no media section. */
int h248_sdp_get_endpoint(const struct h248_sdp *s, h248_sdp_endpoint_t *ep);

/* Fill what the MG chooses in group g: every `$` address (and `$` addrtype) in c= and o= lines
 * becomes addr (family af: IP4 or IP6) and every `$` port in m= lines becomes port (the k-th
 * media section with `$` gets port + 2k, so RTP/RTCP pairs stay apart). Text comes from a.
 * Returns the number of fields changed, or a negative code. */
int h248_sdp_fill_choose(struct h248_sdp *s, size_t g, arena_t *a, h248_sdp_af_t af,
                         const char *addr, uint16_t port);
/* Set a connection line's address unconditionally (af IP4 / IP6). */
int h248_sdp_set_conn(h248_sdp_conn_t *c, arena_t *a, h248_sdp_af_t af, const char *addr);
/* Set an m= line's port unconditionally. */
int h248_sdp_set_port(h248_sdp_mline_t *m, arena_t *a, uint16_t port);
/* Keep only group g (the alternative the MG picked). */
int h248_sdp_select_group(struct h248_sdp *s, size_t g);

#endif
