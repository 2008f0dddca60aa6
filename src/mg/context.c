/* context.c - pools of contexts and terminations (see context.h). Control-plane thread only;
 * owns the pools. Slots never used are taken first (a high-water mark, so memory is touched
 * only as the load grows); released ones queue FIFO (head/tail through next_free), so an id
 * comes back as late as possible. */
#include "mg/context.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NIL UINT32_MAX

struct mg_store {
    mg_ctx_t *ctx;
    uint32_t max_ctx, ctx_head, ctx_tail, nctx, ctx_hwm;
    mg_term_t *terms;
    uint32_t max_terms, term_head, term_tail, nterms, term_hwm;
};

mg_store_t *mg_store_new(uint32_t max_ctx, uint32_t max_terms)
{
    mg_store_t *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->ctx = calloc(max_ctx, sizeof(*s->ctx));
    s->terms = calloc(max_terms, sizeof(*s->terms));
    if (!s->ctx || !s->terms || !max_ctx || !max_terms) {
        mg_store_free(s);
        return NULL;
    }
    s->max_ctx = max_ctx;
    s->max_terms = max_terms;
    s->ctx_head = s->ctx_tail = NIL;
    s->term_head = s->term_tail = NIL;
    return s;
}

void mg_store_free(mg_store_t *s)
{
    if (!s) return;
    free(s->ctx);
    free(s->terms);
    free(s);
}

mg_ctx_t *mg_ctx_new(mg_store_t *s)
{
    mg_ctx_t *c;
    if (s->ctx_hwm < s->max_ctx) {
        c = &s->ctx[s->ctx_hwm];
        c->id = ++s->ctx_hwm;
    } else if (s->ctx_head != NIL) {
        c = &s->ctx[s->ctx_head];
        s->ctx_head = c->next_free;
        if (s->ctx_head == NIL) s->ctx_tail = NIL;
    } else {
        return NULL;
    }
    c->used = true;
    c->nterms = 0;
    c->terms[0] = c->terms[1] = NULL;
    c->priority = 0;
    c->emergency = false;
    c->ntopo = 0;
    s->nctx++;
    return c;
}

mg_ctx_t *mg_ctx_get(mg_store_t *s, uint32_t id)
{
    if (id == 0 || id > s->max_ctx) return NULL;
    mg_ctx_t *c = &s->ctx[id - 1];
    return c->used ? c : NULL;
}

void mg_ctx_del(mg_store_t *s, mg_ctx_t *c)
{
    if (!c->used) return;
    c->used = false;
    c->next_free = NIL;
    uint32_t idx = c->id - 1;
    if (s->ctx_tail == NIL)
        s->ctx_head = idx;
    else
        s->ctx[s->ctx_tail].next_free = idx;
    s->ctx_tail = idx;
    s->nctx--;
}

int mg_ctx_attach(mg_ctx_t *c, mg_term_t *t)
{
    if (c->nterms >= MG_MAX_TERMS_PER_CTX) return -1;
    c->terms[c->nterms++] = t;
    t->ctx = c;
    return 0;
}

void mg_ctx_detach(mg_ctx_t *c, mg_term_t *t)
{
    for (unsigned i = 0; i < c->nterms; i++)
        if (c->terms[i] == t) {
            for (unsigned k = i + 1; k < c->nterms; k++)
                c->terms[k - 1] = c->terms[k];
            c->terms[--c->nterms] = NULL;
            break;
        }
    unsigned k = 0;
    for (unsigned i = 0; i < c->ntopo; i++)
        if (c->topo[i].from != t && c->topo[i].to != t) c->topo[k++] = c->topo[i];
    c->ntopo = (uint8_t)k;
    t->ctx = NULL;
}

mg_ctx_t *mg_ctx_next(mg_store_t *s, uint32_t after_id)
{
    for (uint32_t i = after_id; i < s->ctx_hwm; i++)
        if (s->ctx[i].used) return &s->ctx[i];
    return NULL;
}

uint32_t mg_store_nctx(const mg_store_t *s)
{
    return s->nctx;
}
uint32_t mg_store_nterms(const mg_store_t *s)
{
    return s->nterms;
}

mg_term_t *mg_term_new(mg_store_t *s, int family, const char *realm)
{
    mg_term_t *t;
    uint32_t slot;
    if (s->term_hwm < s->max_terms) {
        slot = s->term_hwm++;
        t = &s->terms[slot];
    } else if (s->term_head != NIL) {
        slot = s->term_head;
        t = &s->terms[slot];
        s->term_head = t->next_free;
        if (s->term_head == NIL) s->term_tail = NIL;
    } else {
        return NULL;
    }
    uint16_t gen = (uint16_t)(t->gen + 1);
    memset(t, 0, sizeof(*t));
    t->slot = slot;
    t->gen = gen;
    t->used = true;
    t->family = family;
    t->svc = H248_SVC_IN_SERVICE;
    /* "ip/<4|6>/<realm>/<slot+1>", without printf: this runs for every call */
    char num[12], *q = num + sizeof(num);
    uint32_t v = slot + 1;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t rl = strnlen(realm, 31), nl = (size_t)(num + sizeof(num) - q), n = 0;
    memcpy(t->id, family == AF_INET6 ? "ip/6/" : "ip/4/", 5);
    n = 5;
    memcpy(t->id + n, realm, rl);
    n += rl;
    t->id[n++] = '/';
    memcpy(t->id + n, q, nl);
    n += nl;
    t->id[n] = 0;
    t->idlen = (uint8_t)n;
    s->nterms++;
    return t;
}

mg_term_t *mg_term_by_slot(mg_store_t *s, uint32_t slot)
{
    if (slot >= s->max_terms || !s->terms[slot].used) return NULL;
    return &s->terms[slot];
}

mg_term_t *mg_term_find(mg_store_t *s, const char *name, size_t n)
{
    /* The slot number is the last level. */
    size_t i = n;
    while (i > 0 && name[i - 1] != '/')
        i--;
    if (i == n || n - i > 10) return NULL;
    uint64_t v = 0;
    for (size_t k = i; k < n; k++) {
        if (!isdigit((unsigned char)name[k])) return NULL;
        v = v * 10 + (uint64_t)(name[k] - '0');
    }
    if (v == 0 || v > s->max_terms) return NULL;
    mg_term_t *t = mg_term_by_slot(s, (uint32_t)(v - 1));
    if (!t || t->idlen != n || strncasecmp(t->id, name, n) != 0) return NULL;
    return t;
}

void mg_term_del(mg_store_t *s, mg_term_t *t)
{
    if (!t->used) return;
    for (unsigned i = 0; i < MG_MAX_STREAMS; i++) {
        free(t->streams[i].local_sdp);
        free(t->streams[i].remote_sdp);
        t->streams[i].local_sdp = t->streams[i].remote_sdp = NULL;
    }
    t->used = false;
    t->next_free = NIL;
    if (s->term_tail == NIL)
        s->term_head = t->slot;
    else
        s->terms[s->term_tail].next_free = t->slot;
    s->term_tail = t->slot;
    s->nterms--;
}

bool mg_tid_match(const char *pat, size_t pn, const char *name, size_t n)
{
    size_t i = 0, k = 0;
    while (i < pn) {
        if (pat[i] == '*') {
            if (i + 1 == pn) return true; /* last level: everything that remains */
            if (pat[i + 1] != '/') return false;
            while (k < n && name[k] != '/')
                k++;
            i++;
            continue;
        }
        if (k >= n || tolower((unsigned char)pat[i]) != tolower((unsigned char)name[k]))
            return false;
        i++;
        k++;
    }
    return k == n;
}
