/* realm.h - IP realms: named pools of media addresses and RTP/RTCP port pairs (ipdc/realm).
 *
 * Each realm address owns the port pairs (even RTP port, RTCP = RTP + 1) of the realm's port
 * range. Allocation and release are O(1): a FIFO ring of free pair indices per address (a port
 * just released is handed out again only after every other free pair, which keeps late
 * packets of an old call away from a new one) and an in-use bitmap that makes a double
 * allocation or a double release impossible.
 *
 * Control-plane thread only; sized at start from mg_config_t (realms need a restart). */
#ifndef BGF_MG_REALM_H
#define BGF_MG_REALM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "mg/config.h"

typedef struct mg_realms mg_realms_t;

/* Build the pools of every realm of cfg. NULL and err on failure (no realm, a port range
 * without one even/odd pair, out of memory). */
mg_realms_t *mg_realms_new(const mg_config_t *cfg, char *err, size_t errlen);
void mg_realms_free(mg_realms_t *r);

unsigned mg_realms_count(const mg_realms_t *r);
/* Index of the realm called name[0..n), or -1. */
int mg_realms_find(const mg_realms_t *r, const char *name, size_t n);
const char *mg_realm_name(const mg_realms_t *r, unsigned realm);
unsigned mg_realm_default(const mg_realms_t *r);
/* 1 when the realm has an address of this family (AF_INET / AF_INET6). */
bool mg_realm_has_family(const mg_realms_t *r, unsigned realm, int family);

/* Take a free pair from the realm: family AF_INET, AF_INET6 or 0 (first address with a free
 * pair, IPv4 addresses first). out gets the address with the RTP port; *addr_idx which of the
 * realm's addresses (for the termination id group). 0, -EAFNOSUPPORT (no address of that
 * family) or -ENOSPC (exhausted). */
int mg_realm_alloc(mg_realms_t *r, unsigned realm, int family, netaddr_t *out, unsigned *addr_idx);
/* Give a pair back (its RTP port). -ENOENT when it was not handed out. */
int mg_realm_release(mg_realms_t *r, unsigned realm, const netaddr_t *addr);
/* Pairs handed out / pairs in total, over all realms or one (realm < 0: all). */
uint32_t mg_realm_in_use(const mg_realms_t *r, int realm);
uint32_t mg_realm_capacity(const mg_realms_t *r, int realm);

#endif
