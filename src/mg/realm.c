/* realm.c - port pair pools of the IP realms (see realm.h). Control-plane thread only.
 * Owns one ring of free pair indices and one in-use bitmap per realm address. */
#include "mg/realm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mg_pool {
    netaddr_t addr; /* port 0 */
    uint16_t base;  /* first (even) RTP port */
    uint32_t npairs;
    uint32_t *ring; /* free pair indices, FIFO */
    uint32_t head;  /* next to hand out */
    uint32_t nfree;
    uint64_t *used; /* bitmap over pairs */
} mg_pool_t;

typedef struct mg_realm {
    char name[32];
    mg_pool_t pools[MG_MAX_REALM_ADDRS];
    unsigned npools;
} mg_realm_t;

struct mg_realms {
    mg_realm_t realms[MG_MAX_REALMS];
    unsigned n;
    unsigned def;
};

static int pool_init(mg_pool_t *p, const netaddr_t *addr, uint16_t lo, uint16_t hi)
{
    uint32_t first = (lo + 1u) & ~1u; /* even */
    if (first + 1u > hi) return -EINVAL;
    p->addr = *addr;
    netaddr_set_port(&p->addr, 0);
    p->base = (uint16_t)first;
    p->npairs = ((uint32_t)hi - first + 1u) / 2u;
    p->ring = malloc(p->npairs * sizeof(*p->ring));
    p->used = calloc((p->npairs + 63u) / 64u, sizeof(*p->used));
    if (!p->ring || !p->used) return -ENOMEM;
    for (uint32_t i = 0; i < p->npairs; i++)
        p->ring[i] = i;
    p->head = 0;
    p->nfree = p->npairs;
    return 0;
}

mg_realms_t *mg_realms_new(const mg_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->nrealms == 0 || cfg->default_realm >= cfg->nrealms) {
        snprintf(err, errlen, "no media realm configured");
        return NULL;
    }
    mg_realms_t *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->n = cfg->nrealms;
    r->def = cfg->default_realm;
    for (unsigned i = 0; i < cfg->nrealms; i++) {
        const mg_realm_conf_t *rc = &cfg->realms[i];
        mg_realm_t *m = &r->realms[i];
        snprintf(m->name, sizeof(m->name), "%s", rc->name);
        if (rc->naddrs == 0) {
            snprintf(err, errlen, "realm %s: no address", rc->name);
            goto fail;
        }
        /* IPv4 addresses first, so that family 0 prefers IPv4. */
        for (int pass = 0; pass < 2; pass++)
            for (unsigned k = 0; k < rc->naddrs; k++) {
                bool v4 = netaddr_family(&rc->addrs[k]) == AF_INET;
                if (v4 != (pass == 0)) continue;
                int rv =
                    pool_init(&m->pools[m->npools++], &rc->addrs[k], rc->port_min, rc->port_max);
                if (rv < 0) {
                    snprintf(err, errlen, "realm %s: %s", rc->name,
                             rv == -ENOMEM ? "out of memory" : "port range holds no even/odd pair");
                    goto fail;
                }
            }
    }
    return r;
fail:
    mg_realms_free(r);
    return NULL;
}

void mg_realms_free(mg_realms_t *r)
{
    if (!r) return;
    for (unsigned i = 0; i < MG_MAX_REALMS; i++)
        for (unsigned k = 0; k < MG_MAX_REALM_ADDRS; k++) {
            free(r->realms[i].pools[k].ring);
            free(r->realms[i].pools[k].used);
        }
    free(r);
}

unsigned mg_realms_count(const mg_realms_t *r)
{
    return r->n;
}
unsigned mg_realm_default(const mg_realms_t *r)
{
    return r->def;
}
const char *mg_realm_name(const mg_realms_t *r, unsigned realm)
{
    return realm < r->n ? r->realms[realm].name : "";
}

int mg_realms_find(const mg_realms_t *r, const char *name, size_t n)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strlen(r->realms[i].name) == n && strncasecmp(r->realms[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

bool mg_realm_has_family(const mg_realms_t *r, unsigned realm, int family)
{
    if (realm >= r->n) return false;
    for (unsigned k = 0; k < r->realms[realm].npools; k++)
        if (netaddr_family(&r->realms[realm].pools[k].addr) == family) return true;
    return false;
}

int mg_realm_alloc(mg_realms_t *r, unsigned realm, int family, netaddr_t *out, unsigned *addr_idx)
{
    if (realm >= r->n) return -ENOENT;
    mg_realm_t *m = &r->realms[realm];
    bool any_family = false;
    for (unsigned k = 0; k < m->npools; k++) {
        mg_pool_t *p = &m->pools[k];
        if (family && netaddr_family(&p->addr) != family) continue;
        any_family = true;
        if (p->nfree == 0) continue;
        uint32_t idx = p->ring[p->head];
        p->head = (p->head + 1u) % p->npairs;
        p->nfree--;
        p->used[idx / 64u] |= 1ull << (idx % 64u);
        *out = p->addr;
        netaddr_set_port(out, (uint16_t)(p->base + 2u * idx));
        if (addr_idx) *addr_idx = k;
        return 0;
    }
    return any_family ? -ENOSPC : -EAFNOSUPPORT;
}

int mg_realm_release(mg_realms_t *r, unsigned realm, const netaddr_t *addr)
{
    if (realm >= r->n) return -ENOENT;
    mg_realm_t *m = &r->realms[realm];
    uint16_t port = netaddr_port(addr);
    for (unsigned k = 0; k < m->npools; k++) {
        mg_pool_t *p = &m->pools[k];
        if (!netaddr_equal_ip(&p->addr, addr)) continue;
        if (port < p->base || ((port - p->base) & 1u)) return -ENOENT;
        uint32_t idx = (uint32_t)(port - p->base) / 2u;
        if (idx >= p->npairs) return -ENOENT;
        uint64_t bit = 1ull << (idx % 64u);
        if (!(p->used[idx / 64u] & bit)) return -ENOENT;
        p->used[idx / 64u] &= ~bit;
        p->ring[(p->head + p->nfree) % p->npairs] = idx;
        p->nfree++;
        return 0;
    }
    return -ENOENT;
}

static uint32_t realm_sum(const mg_realms_t *r, int realm, bool used)
{
    uint32_t s = 0;
    for (unsigned i = 0; i < r->n; i++) {
        if (realm >= 0 && (unsigned)realm != i) continue;
        for (unsigned k = 0; k < r->realms[i].npools; k++) {
            const mg_pool_t *p = &r->realms[i].pools[k];
            s += used ? p->npairs - p->nfree : p->npairs;
        }
    }
    return s;
}

uint32_t mg_realm_in_use(const mg_realms_t *r, int realm)
{
    return realm_sum(r, realm, true);
}
uint32_t mg_realm_capacity(const mg_realms_t *r, int realm)
{
    return realm_sum(r, realm, false);
}
