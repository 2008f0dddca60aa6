/* config.h - bgfd's configuration: one INI file (parsed with libinih), or the embedded
 * loopback default when no file is given. Read-only after start (SIGHUP swaps in a new copy
 * of the fields that may change at run time). Key by key in docs/configuration.md. */
#ifndef BGF_MG_CONFIG_H
#define BGF_MG_CONFIG_H
#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "li/li.h"

#define MG_MAX_LISTEN 4
#define MG_MAX_MGC 8
#define MG_MAX_REALMS 16
#define MG_MAX_REALM_ADDRS 4

typedef enum { MG_TRANSPORT_UDP = 0, MG_TRANSPORT_TCP } mg_transport_t;

typedef struct mg_mgc_conf {
    netaddr_t addr;
    mg_transport_t transport;
} mg_mgc_conf_t;

typedef struct mg_realm_conf {
    char name[32];                         /* ipdc/realm value */
    netaddr_t addrs[MG_MAX_REALM_ADDRS];   /* media addresses (IPv4 and/or IPv6) */
    unsigned naddrs;
    uint16_t port_min, port_max;           /* inclusive; RTP gets even ports, RTCP the next */
} mg_realm_conf_t;

typedef struct mg_config {
    char path[256];                        /* "" = embedded default */
    /* [bgfd] */
    char mid[128];                         /* our mId, e.g. "[127.0.0.1]:2944" */
    netaddr_t listen_udp[MG_MAX_LISTEN];
    unsigned nlisten_udp;
    netaddr_t listen_tcp[MG_MAX_LISTEN];
    unsigned nlisten_tcp;
    mg_mgc_conf_t mgc[MG_MAX_MGC];         /* tried in order */
    unsigned nmgc;
    char profile[32];                      /* e.g. "ETSI_BGF" */
    unsigned profile_version;              /* e.g. 1 */
    unsigned h248_version;                 /* 1..3, default 3 */
    char log_target[16];                   /* "stderr" | "syslog" */
    log_level_t log_level;
    /* [h248] timers, milliseconds */
    uint32_t long_timer_ms;                /* how long replies are kept (LONG-TIMER) */
    uint32_t normal_mg_exec_ms;            /* ROOT normalMGExecutionTime */
    uint32_t normal_mgc_exec_ms;           /* ROOT normalMGCExecutionTime */
    uint32_t provisional_timer_ms;         /* ROOT MGProvisionalResponseTimerValue */
    uint32_t mgc_provisional_timer_ms;     /* ROOT MGCProvisionalResponseTimerValue */
    uint32_t pending_limit;                /* ROOT MGOriginatedPendingLimit */
    uint32_t mgc_pending_limit;            /* ROOT MGCOriginatedPendingLimit */
    uint32_t retrans_initial_ms, retrans_max_ms, retrans_max_tries;
    uint32_t graceful_delay_s;             /* Delay in the SIGTERM ServiceChange */
    uint32_t max_stored_replies;           /* replies kept at most (oldest dropped first); added */
    /* [media] */
    mg_realm_conf_t realms[MG_MAX_REALMS];
    unsigned nrealms;
    unsigned default_realm;                /* index into realms */
    uint32_t max_gates;
    uint32_t max_contexts;
    unsigned workers;                      /* 0 = one per core */
    uint8_t default_dscp;
    bool default_latch;
    uint32_t relatch_idle_ms;
    uint32_t default_hang_timer_s;
    bool fast_path_tc;                     /* fast_path = tc: dp's kernel fast path; added */
    bool fast_path_auto;                   /* fast_path = auto (default): tc when bgfd is root
                                              and the program loads, else off; added */
    /* [li] */
    li_conf_t li;
} mg_config_t;

/* Fill cfg with the embedded loopback default: control on 127.0.0.1:2944 (UDP and TCP), the
 * MGC at 127.0.0.1:2945, one realm "core" on 127.0.0.1 ports 20000-29999, no LI. */
void mg_config_default(mg_config_t *cfg);
/* Load path over the defaults. On error returns -1 with "FILE:LINE: key: what is wrong" in
 * err. */
int mg_config_load(mg_config_t *cfg, const char *path, char *err, size_t errlen);
/* SIGHUP: copy into cur the fields of next that may change at run time (MGC list, profile,
 * log level, [h248] timers, media defaults). Fields that differ but need a restart are named,
 * comma-separated, in restart; returns how many. (Added for bgfd's reload.) */
int mg_config_reload(mg_config_t *cur, const mg_config_t *next, char *restart, size_t len);
/* Find a realm by name; -1 when unknown. */
int mg_config_realm(const mg_config_t *cfg, const char *name);

#endif
