/* h248.h - the H.248.1 (MEGACO) text codec, versions 1, 2 and 3: one message tree, a decoder
 * and an encoder. Pure code: no I/O, no global mutable state, safe from several threads as long
 * as each arena is used by one thread at a time.
 *
 * The tree: message -> transactions -> actions -> commands -> descriptors. Every node comes
 * from the arena handed to h248_decode() or to the constructors below, so a message is freed
 * at once with arena_reset()/arena_free(). Strings are views (h248_str_t): the decoder points
 * them into the caller's input buffer (zero copy), so that buffer must outlive the tree;
 * constructors point them at static or arena memory. Lists are singly linked through `next`;
 * absent optional nodes are NULL, absent numbers carry a has_ flag or a documented sentinel.
 *
 * Grammar, compatibility leniencies and error codes: docs/h248.md. */
#ifndef BGF_H248_H
#define BGF_H248_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

/* ---- basics ---------------------------------------------------------------------------- */

/* A string view: len bytes at p, not NUL-terminated. */
typedef struct h248_str {
    const char *p;
    uint32_t len;
} h248_str_t;

#define H248_STR(lit) ((h248_str_t){(lit), (uint32_t)(sizeof(lit) - 1)})

/* Return codes (the tree functions follow the project's convention: >= 0 ok, < 0 failure). */
enum {
    H248_OK = 0,
    H248_ESYNTAX = -1, /* input is not a valid message; details in h248_error_t */
    H248_ENOMEM = -2,  /* the arena could not supply memory (or hit its limit) */
    H248_ENOSPC = -3,  /* encoder: output buffer too small (see h248_encoded_size) */
    H248_EINVAL = -4,  /* encoder/constructors: the tree is not encodable as given */
};

/* Encoder output form. */
typedef enum {
    H248_PRETTY = 0, /* long tokens, one item per line, indented */
    H248_COMPACT,    /* short tokens, minimal white space */
} h248_form_t;

/* Special context ids (the binary encoding's values, so they fit the same uint32_t). */
#define H248_CTX_NULL 0u            /* "-" */
#define H248_CTX_CHOOSE 0xFFFFFFFEu /* "$" */
#define H248_CTX_ALL 0xFFFFFFFFu    /* "*" */

/* ---- header ---------------------------------------------------------------------------- */

typedef enum {
    H248_MID_IP4 = 1, /* [192.0.2.1]:2944      addr = "192.0.2.1" */
    H248_MID_IP6,     /* [2001:db8::1]:2944    addr = "2001:db8::1" */
    H248_MID_DOMAIN,  /* <mgc.example.net>:2944 addr = "mgc.example.net" */
    H248_MID_DEVICE,  /* device name           addr = "bgf1/pgw" (pathNAME) */
    H248_MID_MTP,     /* MTP{0a0b0c0d}          addr = "0a0b0c0d" (hex digits) */
    H248_MID_PORT,    /* ServiceChangeAddress = 55555 (portNumber only): addr empty */
} h248_mid_kind_t;

/* A message identifier (mId), also used by ServiceChangeAddress and MgcIdToTry. */
typedef struct h248_mid {
    h248_mid_kind_t kind;
    h248_str_t addr; /* without brackets / angle brackets */
    uint16_t port;   /* valid when has_port */
    bool has_port;
} h248_mid_t;

/* Optional authentication header: Authentication = 0xSPI:0xSEQ:0xDATA */
typedef struct h248_auth {
    uint32_t spi, seq;
    h248_str_t data; /* hex digits after "0x" */
} h248_auth_t;

/* ---- values and properties ------------------------------------------------------------- */

/* One VALUE: a word of safe characters or a quoted string (view without the quotes). */
typedef struct h248_value {
    h248_str_t s;
    bool quoted;
    struct h248_value *next;
} h248_value_t;

typedef enum {
    H248_REL_EQ = 0, /* =  */
    H248_REL_GT,     /* >  */
    H248_REL_LT,     /* <  */
    H248_REL_NE,     /* #  (also accepted as "!=") */
} h248_rel_t;

typedef enum {
    H248_VAL_NONE = 0, /* name only (audit requests, statistics without value) */
    H248_VAL_SINGLE,   /* name=v, name>v ... : one value */
    H248_VAL_LIST,     /* name=[a,b]  sublist: all of them */
    H248_VAL_ALT,      /* name={a,b}  alternatives: one of them */
    H248_VAL_RANGE,    /* name=[a:b]  range: exactly two values */
} h248_val_kind_t;

/* h248_prop_t.flags */
#define H248_PROP_STREAM_LEVEL 0x01 /* was found outside LocalControl (seed compatibility) */

/* A property / parameter: pkgdName parmValue (also event, signal and extension parameters). */
typedef struct h248_prop {
    h248_str_t name;       /* "li/LITID", "gm/saf", "mit", "X-foo" ... */
    h248_rel_t rel;        /* meaningful when kind != H248_VAL_NONE */
    h248_val_kind_t kind;
    uint8_t flags;         /* H248_PROP_* */
    uint32_t nvalues;
    h248_value_t *values;  /* nvalues values in order */
    struct h248_prop *next;
} h248_prop_t;

/* ---- termination ids -------------------------------------------------------------------- */

#define H248_TID_ROOT 0x01   /* the ROOT termination */
#define H248_TID_CHOOSE 0x02 /* contains "$" */
#define H248_TID_ALL 0x04    /* contains "*" */

/* A termination id ("ip/1/ext/7", "ip/1/ext/$", "*", "ROOT"); a list in v3 "[t1,t2]" form. */
typedef struct h248_termid {
    h248_str_t name;
    uint8_t flags; /* H248_TID_* */
    struct h248_termid *next;
} h248_termid_t;

/* ---- descriptors ------------------------------------------------------------------------ */

struct h248_sdp; /* parsed SDP: defined in h248/sdp.h, filled by the SDP module */

/* Local or Remote: the SDP text between the braces, kept verbatim (may contain "\}"). */
typedef struct h248_sdp_block {
    h248_str_t text;      /* raw octetString, leading/trailing white space included */
    struct h248_sdp *sdp; /* parsed form or NULL; the encoder prefers it when set */
} h248_sdp_block_t;

typedef enum {
    H248_MODE_NONE = 0, /* absent */
    H248_MODE_SENDONLY,
    H248_MODE_RECVONLY,
    H248_MODE_SENDRECV,
    H248_MODE_INACTIVE,
    H248_MODE_LOOPBACK,
} h248_mode_t;

/* audit-request flags: the parameter was named without a value (indAud forms) */
#define H248_AUD_MODE 0x01           /* LocalControl: Mode */
#define H248_AUD_RESERVED_VALUE 0x02 /* LocalControl: ReservedValue */
#define H248_AUD_RESERVED_GROUP 0x04 /* LocalControl: ReservedGroup */
#define H248_AUD_SERVICE_STATES 0x08 /* TerminationState: ServiceStates */
#define H248_AUD_BUFFER 0x10         /* TerminationState: Buffer */

/* LocalControl { Mode=..., ReservedValue=ON, ReservedGroup=OFF, pkg/prop=... } */
typedef struct h248_local_control {
    h248_mode_t mode;
    int8_t reserved_value; /* -1 absent, 0 OFF, 1 ON */
    int8_t reserved_group; /* -1 absent, 0 OFF, 1 ON */
    uint8_t audit;         /* H248_AUD_* */
    h248_prop_t *props;
} h248_local_control_t;

/* One stream's parameters: inside Stream=N{...}, or stream-less parameters of Media{...}. */
typedef struct h248_stream {
    uint16_t id;            /* Stream=id; 0 for stream-less parameters */
    bool explicit_id;       /* true when written as Stream=id */
    h248_local_control_t *lc; /* NULL when absent */
    h248_sdp_block_t *local;  /* NULL when absent */
    h248_sdp_block_t *remote; /* NULL when absent */
    h248_prop_t *stats;       /* Statistics inside the stream (v2+), NULL when absent */
    bool stats_present;       /* Statistics{} given (may be empty in audits) */
    struct h248_stream *next;
} h248_stream_t;

typedef enum {
    H248_SVC_NONE = 0,
    H248_SVC_TEST,
    H248_SVC_OUT_OF_SERVICE,
    H248_SVC_IN_SERVICE,
} h248_svc_state_t;

typedef enum { H248_BUF_NONE = 0, H248_BUF_OFF, H248_BUF_LOCKSTEP } h248_buffer_t;

/* TerminationState { ServiceStates=..., Buffer=..., properties } */
typedef struct h248_term_state {
    h248_svc_state_t service_state;
    h248_buffer_t buffer;
    uint8_t audit; /* H248_AUD_SERVICE_STATES | H248_AUD_BUFFER */
    h248_prop_t *props;
} h248_term_state_t;

/* Media { TerminationState, stream-less parameters and/or Stream=N{...} } */
typedef struct h248_media {
    h248_term_state_t *ts;   /* NULL when absent */
    h248_stream_t *streams;  /* explicit streams and at most one implicit (explicit_id false) */
} h248_media_t;

struct h248_signal;
struct h248_events;

/* DigitMap = name, DigitMap = name { body }, DigitMap { body } */
typedef struct h248_digitmap {
    h248_str_t name; /* empty when absent */
    h248_str_t body; /* digitMapValue text, trimmed; empty when absent */
    bool has_body;
} h248_digitmap_t;

typedef enum {
    H248_NB_NONE = 0,
    H248_NB_IMMEDIATE, /* v3 NotifyImmediate */
    H248_NB_REGULATED, /* v3 NotifyRegulated */
    H248_NB_NEVER,     /* v3 NeverNotify */
} h248_notify_behaviour_t;

/* A requested, observed or buffered event: pkgdName with its parameters. */
typedef struct h248_event {
    h248_str_t name;        /* "it/ito", "hangterm/thb" */
    h248_str_t timestamp;   /* ObservedEvents: "20240101T10000000", empty when absent */
    uint16_t stream;        /* Stream=N */
    bool has_stream;
    bool keep_active;       /* KeepActive */
    bool reset_events;      /* v3 ResetEventsDescriptor */
    h248_notify_behaviour_t nb;
    struct h248_signal *embed_signals; /* Embed { Signals {...} } */
    bool has_embed_signals;
    struct h248_events *embed_events;  /* Embed { Events=id {...} } */
    h248_digitmap_t *dm;    /* DigitMap=name or DigitMap{...}, NULL when absent */
    struct h248_signal *nb_embed_signals; /* v3 NotifyRegulated { Embed{...} }: signals */
    struct h248_events *nb_embed_events;  /* ... and events */
    h248_prop_t *params;    /* other parameters (eventOther) */
    struct h248_event *next;
} h248_event_t;

/* Events=id{...}, ObservedEvents=id{...} (events with timestamps), EventBuffer{...} */
typedef struct h248_events {
    uint32_t request_id;
    bool has_request_id;
    h248_event_t *list;
} h248_events_t;

typedef enum {
    H248_SIGTYPE_NONE = 0,
    H248_SIGTYPE_ONOFF,
    H248_SIGTYPE_TIMEOUT,
    H248_SIGTYPE_BRIEF,
} h248_sigtype_t;

/* NotifyCompletion bits */
#define H248_NC_TIMEOUT 0x01
#define H248_NC_INTERRUPT_EVENT 0x02
#define H248_NC_INTERRUPT_SIGNALS 0x04
#define H248_NC_OTHER 0x08
#define H248_NC_ITERATION 0x10 /* v3 */

typedef enum {
    H248_DIR_NONE = 0,
    H248_DIR_EXTERNAL,
    H248_DIR_INTERNAL,
    H248_DIR_BOTH,
} h248_sigdir_t;

/* A signal request, or a SignalList=id{...} (is_list, members in list). */
typedef struct h248_signal {
    h248_str_t name; /* pkgdName; empty for a SignalList */
    bool is_list;
    uint32_t list_id;            /* SignalList=id */
    struct h248_signal *list;    /* SignalList members */
    uint16_t stream;
    bool has_stream;
    h248_sigtype_t type;
    uint32_t duration;
    bool has_duration;
    uint8_t notify_completion;   /* H248_NC_* bits; 0 = absent */
    bool keep_active;
    h248_sigdir_t direction;     /* v2 SPADirection */
    uint32_t request_id;         /* v2 RequestID */
    bool has_request_id;
    uint32_t intsig_delay;       /* v3 IntsigDelay */
    bool has_intsig_delay;
    h248_prop_t *params;         /* sigOther */
    struct h248_signal *next;
} h248_signal_t;

typedef enum {
    H248_SCM_NONE = 0,
    H248_SCM_FAILOVER,
    H248_SCM_FORCED,
    H248_SCM_GRACEFUL,
    H248_SCM_RESTART,
    H248_SCM_DISCONNECTED,
    H248_SCM_HANDOFF,
    H248_SCM_EXTENSION, /* method_ext holds the X-... name */
} h248_sc_method_t;

/* Services { Method, Reason, Delay, ServiceChangeAddress, MgcIdToTry, Profile, Version,
 * TimeStamp, extensions } in a request, or the serviceChangeReplyDescriptor in a reply. */
typedef struct h248_service_change {
    h248_sc_method_t method;
    h248_str_t method_ext;
    h248_value_t *reason;     /* Reason=901 or Reason="901 Cold Boot"; NULL when absent */
    uint32_t delay;
    bool has_delay;
    h248_mid_t *address;      /* ServiceChangeAddress, NULL when absent */
    h248_mid_t *mgc_id;       /* MgcIdToTry, NULL when absent */
    h248_str_t profile;       /* "ETSI_BGF/1" as written (name/version), empty when absent */
    uint8_t version;          /* Version=N, 0 when absent */
    h248_str_t timestamp;     /* "20240101T10000000", empty when absent */
    bool incomplete;          /* v3 ServiceChangeInc */
    h248_prop_t *ext;         /* extension parameters X-foo=... */
    struct h248_desc *info;   /* v2 serviceChangeInfo audit items, NULL when absent */
} h248_service_change_t;

/* Error = code { "text" } */
typedef struct h248_error_desc {
    uint16_t code;
    h248_str_t text; /* without quotes */
    bool has_text;
} h248_error_desc_t;

/* Packages { name-version, ... } */
typedef struct h248_pkgitem {
    h248_str_t name;
    uint16_t version;
    struct h248_pkgitem *next;
} h248_pkgitem_t;

/* Mux = type { t1, t2 } */
typedef struct h248_mux {
    h248_str_t type; /* H221, H223, H226, V76, N64K or an extension */
    h248_termid_t *tids;
} h248_mux_t;

/* Modem = type [props] or Modem [t1, t2] {props} (deprecated in v3) */
typedef struct h248_modem {
    h248_value_t *types;
    h248_prop_t *props;
} h248_modem_t;

typedef enum {
    H248_D_MEDIA = 1,
    H248_D_MODEM,
    H248_D_MUX,
    H248_D_EVENTS,
    H248_D_SIGNALS,
    H248_D_DIGITMAP,
    H248_D_EVENT_BUFFER,
    H248_D_STATISTICS,
    H248_D_PACKAGES,
    H248_D_OBSERVED_EVENTS,
    H248_D_AUDIT,
    H248_D_SERVICE_CHANGE,
    H248_D_ERROR,
} h248_desc_kind_t;

/* One command-level descriptor. `bare` marks a token written alone (v1 audit items such as
 * "Media" in Audit{Media}, auditReturnItem in replies, "Events" without id); then the union
 * member is zeroed. */
typedef struct h248_desc {
    h248_desc_kind_t kind;
    bool bare;
    union {
        h248_media_t media;             /* H248_D_MEDIA */
        h248_modem_t modem;             /* H248_D_MODEM */
        h248_mux_t mux;                 /* H248_D_MUX */
        h248_events_t events;           /* EVENTS, EVENT_BUFFER, OBSERVED_EVENTS */
        h248_signal_t *signals;         /* H248_D_SIGNALS: list (may be empty) */
        h248_digitmap_t digitmap;       /* H248_D_DIGITMAP */
        h248_prop_t *stats;             /* H248_D_STATISTICS */
        h248_pkgitem_t *packages;       /* H248_D_PACKAGES */
        struct h248_desc *audit;        /* H248_D_AUDIT: items (bare or indAud forms) */
        h248_service_change_t sc;       /* H248_D_SERVICE_CHANGE */
        h248_error_desc_t error;        /* H248_D_ERROR */
    } u;
    struct h248_desc *next;
} h248_desc_t;

/* ---- commands, actions, transactions --------------------------------------------------- */

typedef enum {
    H248_CMD_ADD = 1,
    H248_CMD_MODIFY,
    H248_CMD_SUBTRACT,
    H248_CMD_MOVE,
    H248_CMD_AUDIT_VALUE,
    H248_CMD_AUDIT_CAP,
    H248_CMD_NOTIFY,
    H248_CMD_SERVICE_CHANGE,
} h248_cmd_kind_t;

/* A command request or reply: [O-][W-]Add = tid { descriptors }. */
typedef struct h248_cmd {
    h248_cmd_kind_t kind;
    bool optional;        /* O- */
    bool wildcard_reply;  /* W- */
    bool tid_list;        /* v3 "[t1,t2]" form */
    bool ctx_audit_reply; /* AuditValue = Context { t1, t2 } (contextTerminationAudit) */
    h248_termid_t *tids;  /* one id, or several with tid_list / ctx_audit_reply */
    bool has_body;        /* braces were present (even if empty) */
    h248_desc_t *descs;   /* descriptors in order */
    struct h248_cmd *next;
} h248_cmd_t;

typedef enum {
    H248_TOPO_BOTHWAY = 1,
    H248_TOPO_ISOLATE,
    H248_TOPO_ONEWAY,
    H248_TOPO_ONEWAY_EXTERNAL, /* v3 */
    H248_TOPO_ONEWAY_BOTH,     /* v3 */
} h248_topo_dir_t;

/* Topology { a, b, direction [, Stream=N] } triples */
typedef struct h248_topology {
    h248_str_t from, to;
    h248_topo_dir_t dir;
    uint16_t stream;
    bool has_stream;
    struct h248_topology *next;
} h248_topology_t;

typedef enum { H248_TRI_NONE = 0, H248_TRI_ON, H248_TRI_OFF } h248_tri_t;

/* Context properties (request or reply) */
typedef struct h248_ctx_props {
    int32_t priority;        /* 0..15, -1 absent */
    h248_tri_t emergency;    /* Emergency / EmergencyOff */
    h248_tri_t ieps;         /* IEPSCall=ON/OFF (v2+) */
    h248_topology_t *topology;
    bool has_topology;
    h248_prop_t *attrs;      /* v3 ContextAttr { props } */
    uint32_t *ctx_list;      /* v3 ContextAttr { ContextList = {ids} } */
    uint32_t nctx_list;
    bool has_attrs;
} h248_ctx_props_t;

/* ContextAudit bits: requested properties */
#define H248_CA_TOPOLOGY 0x01
#define H248_CA_EMERGENCY 0x02
#define H248_CA_PRIORITY 0x04
#define H248_CA_IEPS 0x08

typedef enum { H248_LOGIC_NONE = 0, H248_LOGIC_AND, H248_LOGIC_OR } h248_logic_t;

/* ContextAudit { Topology, Emergency, Priority, IEPSCall, pkg/name, v3 selections } */
typedef struct h248_ctx_audit {
    uint8_t items;          /* H248_CA_* */
    h248_prop_t *props;     /* pkgdName (value-less) or v3 context attribute selections */
    int32_t sel_priority;   /* v3 select Priority=N, -1 absent */
    h248_tri_t sel_emergency;
    h248_tri_t sel_ieps;
    h248_logic_t logic;     /* v3 AND/OR */
} h248_ctx_audit_t;

/* Context = id { context properties, ContextAudit, commands } (request or reply) */
typedef struct h248_action {
    uint32_t ctx;             /* number, or H248_CTX_NULL / _CHOOSE / _ALL */
    h248_ctx_props_t *props;  /* NULL when absent */
    h248_ctx_audit_t *audit;  /* NULL when absent */
    h248_cmd_t *cmds;
    h248_error_desc_t *error; /* reply: action-level error, NULL when absent */
    struct h248_action *next;
} h248_action_t;

typedef enum {
    H248_TXN_REQUEST = 1,  /* Transaction = id { actions } */
    H248_TXN_REPLY,        /* Reply = id [/seg[/END]] { [ImmAckRequired,] actions | Error } */
    H248_TXN_PENDING,      /* Pending = id { } */
    H248_TXN_RESPONSE_ACK, /* TransactionResponseAck { id, id-id } */
    H248_TXN_SEGMENT_REPLY /* v3 Segment = id / seg [/END] */
} h248_txn_kind_t;

/* TransactionResponseAck range first..last (first == last for a single id) */
typedef struct h248_ack_range {
    uint32_t first, last;
    struct h248_ack_range *next;
} h248_ack_range_t;

typedef struct h248_txn {
    h248_txn_kind_t kind;
    uint32_t id;              /* not used by RESPONSE_ACK */
    bool imm_ack;             /* Reply: ImmAckRequired */
    uint16_t segment;         /* v3 segment number, 0 when absent */
    bool seg_complete;        /* v3 SegmentationComplete (END) */
    h248_action_t *actions;   /* REQUEST, REPLY */
    h248_error_desc_t *error; /* REPLY: transaction-level error instead of actions */
    h248_ack_range_t *acks;   /* RESPONSE_ACK */
    h248_str_t raw;           /* decoder: the transaction's text in the input */
    struct h248_txn *next;
} h248_txn_t;

/* A whole message: MEGACO/version mId followed by transactions or a message-level Error. */
typedef struct h248_message {
    uint8_t version;          /* 1..3 */
    h248_mid_t mid;
    h248_auth_t *auth;        /* NULL when absent */
    h248_error_desc_t *error; /* message-level Error, NULL when the body is transactions */
    h248_txn_t *txns;
} h248_message_t;

/* ---- decoding ---------------------------------------------------------------------------- */

/* Why decoding failed: what to answer with and where. */
typedef struct h248_error {
    uint16_t code;         /* H.248 error code to answer with (table in docs/h248.md) */
    bool has_txn;          /* the failing transaction's id was read */
    h248_txn_kind_t txn_kind; /* its kind, valid when has_txn */
    uint32_t txn_id;       /* valid when has_txn */
    uint32_t line, col;    /* 1-based position of the offending byte (CR, LF, CRLF end lines) */
    uint32_t offset;       /* byte offset of the same */
    char reason[96];       /* short English reason, NUL-terminated */
} h248_error_t;

/* Decode buf[0..len) (need not be NUL-terminated) into a tree allocated from a. Returns
 * H248_OK and sets *out, or H248_ESYNTAX / H248_ENOMEM with *err filled (err may be NULL).
 * Reads no byte at or past buf+len; the tree's strings point into buf. */
int h248_decode(const char *buf, size_t len, arena_t *a, h248_message_t **out,
                h248_error_t *err);

/* Parse an mId ("[192.0.2.1]:2944", "<mgc.example>", "bgf1") from text; views point into
 * text. Returns H248_OK or H248_ESYNTAX. */
int h248_mid_parse(h248_str_t text, h248_mid_t *out);

/* ---- encoding (src/h248/encode.c) ------------------------------------------------------- */

/* Encode m into buf[0..cap). Returns the number of bytes written (a NUL follows when it fits
 * in cap), H248_ENOSPC when cap is too small, or H248_EINVAL for a tree that cannot be encoded.
 * Local/Remote with a parsed sdp are written from it, otherwise from the raw text; package
 * properties always go inside LocalControl. */
int h248_encode(const h248_message_t *m, h248_form_t form, char *buf, size_t cap);
/* Bytes h248_encode needs for m in form (without the NUL), or a negative H248_E* code. */
int h248_encoded_size(const h248_message_t *m, h248_form_t form);
/* Encode one transaction alone (no header), e.g. to add it to a message being assembled.
 * Same return convention as h248_encode; version selects version-dependent syntax. */
int h248_encode_txn(const h248_txn_t *t, uint8_t version, h248_form_t form, char *buf,
                    size_t cap);

/* ---- building trees (src/h248/build.c) -------------------------------------------------- */
/* Each constructor allocates a zeroed node from a, fills the named fields, appends it at the
 * end of its parent's list and returns it, or returns NULL when the arena is exhausted.
 * Optional numbers start absent (priority -1, reserved_* -1). */

h248_message_t *h248_msg_new(arena_t *a, uint8_t version, const h248_mid_t *mid);
h248_txn_t *h248_txn_add(arena_t *a, h248_message_t *m, h248_txn_kind_t kind, uint32_t id);
h248_action_t *h248_action_add(arena_t *a, h248_txn_t *t, uint32_t ctx);
h248_cmd_t *h248_cmd_add(arena_t *a, h248_action_t *act, h248_cmd_kind_t kind, h248_str_t tid);
h248_termid_t *h248_termid_add(arena_t *a, h248_cmd_t *c, h248_str_t tid);
h248_desc_t *h248_desc_add(arena_t *a, h248_cmd_t *c, h248_desc_kind_t kind);
/* Stream id of media (explicit when explicit_id), created when missing. */
h248_stream_t *h248_stream_get(arena_t *a, h248_media_t *m, uint16_t id, bool explicit_id);
h248_local_control_t *h248_lc_get(arena_t *a, h248_stream_t *s);
/* Append a property with one value (kind SINGLE, rel EQ) to *list; value may be quoted. */
h248_prop_t *h248_prop_add(arena_t *a, h248_prop_t **list, h248_str_t name, h248_str_t value,
                           bool quoted);
/* Append a value to p (p->nvalues grows); for LIST/ALT/RANGE building. */
h248_value_t *h248_value_add(arena_t *a, h248_prop_t *p, h248_str_t value, bool quoted);
/* An Error descriptor with a code and optional text (text.p may be NULL). */
h248_error_desc_t *h248_error_new(arena_t *a, uint16_t code, h248_str_t text);
/* Copy n bytes into the arena and return the view (for text built at run time). */
h248_str_t h248_str_dup(arena_t *a, const char *p, size_t n);

/* ---- small helpers (src/h248/lex.c) ----------------------------------------------------- */

/* A view of a C string. */
h248_str_t h248_str(const char *s);
/* Case-insensitive comparison with a C string (tokens, package names). */
bool h248_str_ieq(h248_str_t s, const char *lit);
/* Parse s as an unsigned decimal <= max into *v; false on anything else. */
bool h248_str_u32(h248_str_t s, uint32_t max, uint32_t *v);
/* Find a property by name (case-insensitive) in a list, or NULL. */
const h248_prop_t *h248_prop_find(const h248_prop_t *list, const char *name);
/* The text name of a command / descriptor kind (long form), for logs. */
const char *h248_cmd_name(h248_cmd_kind_t k);
const char *h248_desc_name(h248_desc_kind_t k);

#endif
