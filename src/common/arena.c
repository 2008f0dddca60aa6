/* arena.c - bump allocator for per-message and per-transaction memory.
 * Any thread; an arena is owned by one thread at a time. */
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    arena_chunk_t *next;
    size_t size, off;
    _Alignas(max_align_t) unsigned char data[];
};

#define ALIGN_UP(n) (((n) + (_Alignof(max_align_t) - 1)) & ~(size_t)(_Alignof(max_align_t) - 1))

void arena_init(arena_t *a, size_t chunk_size, size_t limit)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 4096;
    a->limit = limit;
    a->used = 0;
}

static arena_chunk_t *chunk_new(size_t size)
{
    arena_chunk_t *c = malloc(sizeof(*c) + size);
    if (!c) return NULL;
    c->next = NULL;
    c->size = size;
    c->off = 0;
    return c;
}

void *arena_alloc(arena_t *a, size_t n)
{
    n = ALIGN_UP(n ? n : 1);
    if (a->limit && a->used + n > a->limit) return NULL;
    arena_chunk_t *c = a->head;
    if (!c || c->size - c->off < n) {
        size_t sz = n > a->chunk_size ? n : a->chunk_size;
        arena_chunk_t *nc = chunk_new(sz);
        if (!nc) return NULL;
        nc->next = c;
        a->head = c = nc;
    }
    void *p = c->data + c->off;
    c->off += n;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_reset(arena_t *a)
{
    arena_chunk_t *c = a->head;
    if (!c) return;
    /* keep the oldest chunk (usually the default size), free the rest */
    while (c->next) {
        arena_chunk_t *n = c->next;
        free(c);
        c = n;
    }
    c->off = 0;
    a->head = c;
    a->used = 0;
}

void arena_free(arena_t *a)
{
    arena_chunk_t *c = a->head;
    while (c) {
        arena_chunk_t *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->used = 0;
}
