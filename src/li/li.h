/* li.h - the interception module's control-side interface (src/li).
 * Used by the control plane (mg) and the LI tools; the data plane sees only li/tap.h.
 *
 * Confidential: correlation numbers, LICn values, target ids and mirroring counters appear
 * only in the LI log and the LI status view that this module writes (mode 0600). */
#ifndef BGF_LI_H
#define BGF_LI_H
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "li/tap.h"

/* ---- LICn (BGF-REFERENCE.md section 2) ---- */
typedef struct li_keys li_keys_t;

/* Load a key file (lines "tdea <48 hex>" / "aes256 <64 hex>"); refuses a file that group or
 * others may read, naming why in err. 0 or negative. */
int li_keys_load(const char *path, li_keys_t **out, char *err, size_t errlen);
void li_keys_free(li_keys_t *k);
/* 1 and *cid set when the LICn (16 or 32 hex digits) is valid, 0 when invalid. Pure. */
int li_licn_decrypt(const li_keys_t *k, const char *hex, size_t len, uint64_t *cid);
/* LICn for cid in form 1 (16 digits, cid < 2^32) or 2 (32 digits). Negative on error. */
int li_licn_encrypt(const li_keys_t *k, int form, uint64_t cid, char *out, size_t outlen);

/* ---- delivery function and LI control ---- */
typedef enum { LI_FMT_ETSI = 0, LI_FMT_JMIRROR } li_format_t;

typedef struct li_conf {
    bool enabled;
    char key_file[256];
    netaddr_t df_dst;          /* delivery function address and port (IPv4) */
    netaddr_t df_src;          /* source address and port of the copies */
    char operator_id[6];       /* network operator id, at most 5 characters (X3 domain ID) */
    li_format_t format;
    li_point_t point;          /* where copies are taken */
    double max_share_pct;      /* at most this % of max_gates mirrored at once (default 1.0) */
    char log_file[256];        /* LI log, created 0600 */
    char status_file[256];     /* LI-only status view, rewritten 0600 */
    bool gso;                  /* send the copies of a packet in one UDP GSO send (half the CPU
                                * for 7 targets); off by default because captures on the
                                * sending host then show one frame holding all the copies */
    uint32_t queue_kb;         /* copies queued per worker for its send thread (0: 4096) */
    cpu_set_t send_cpus;       /* CPUs the send threads run on; empty: wherever bgfd may */
} li_conf_t;

typedef struct li_ctl li_ctl_t;

/* max_gates: the data plane's configured capacity (the share limit is taken of it). */
li_ctl_t *li_ctl_new(const li_conf_t *conf, uint32_t max_gates, char *err, size_t errlen);
void li_ctl_free(li_ctl_t *c);
const li_keys_t *li_ctl_keys(const li_ctl_t *c);
/* Decide whether gate_id may be tapped with conf (valid, within the share limit). Records it
 * in the LI log. Returns true when the gate is to be tapped; false leaves it untapped and the
 * reason goes to the LI log only. Calling it again for a tapped gate changes its settings. */
bool li_ctl_admit(li_ctl_t *c, uint32_t gate_id, const li_tap_conf_t *conf);
/* The same for all the gates of one termination at once, all or none: when the share limit
 * has no room for every gate not yet tapped, none of those is tapped (gates already tapped
 * take the new settings). Returns how many of the n gates are tapped now. */
unsigned li_ctl_admit_all(li_ctl_t *c, const uint32_t *gates, unsigned n,
                          const li_tap_conf_t *conf);
/* The gate is no longer tapped (modify stopped it, or it closed). */
void li_ctl_release(li_ctl_t *c, uint32_t gate_id);
/* Per-worker sender of copies to the delivery function (for dp_config_t.li_sender_for_worker). */
li_sender_t *li_ctl_sender(li_ctl_t *c, unsigned worker);
/* The same with dp_config_t.li_sender_for_worker's signature: arg is the li_ctl_t. */
li_sender_t *li_ctl_sender_for_worker(unsigned worker, void *arg);
/* Rewrite the LI-only status view (taps, copies per target). li_ctl_admit and li_ctl_release
 * rewrite it too, and a thread of li_ctl refreshes it every 2 s for the copy counters. */
void li_ctl_write_status(li_ctl_t *c);
/* Append a line to the LI log (printf-like). */
void li_ctl_log(li_ctl_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
