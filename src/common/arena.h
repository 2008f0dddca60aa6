/* arena.h - bump allocator: many small allocations freed at once (one per message or
 * transaction). Not thread-safe: an arena belongs to the thread that uses it. */
#ifndef BGF_ARENA_H
#define BGF_ARENA_H
#include <stddef.h>

typedef struct arena_chunk arena_chunk_t;

typedef struct arena {
    arena_chunk_t *head;   /* current chunk, newest first */
    size_t chunk_size;     /* default size of new chunks */
    size_t limit;          /* total bytes this arena may hold, 0 = unbounded */
    size_t used;           /* bytes handed out from all chunks */
} arena_t;

/* Initialise an empty arena; chunk_size 0 picks 4 KiB. */
void arena_init(arena_t *a, size_t chunk_size, size_t limit);
/* Aligned (max_align_t) zeroed memory, or NULL when out of memory or past the limit. */
void *arena_alloc(arena_t *a, size_t n);
/* Copy of s[0..n) with a terminating NUL. */
char *arena_strndup(arena_t *a, const char *s, size_t n);
/* printf into the arena. */
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget everything but keep the first chunk for reuse. */
void arena_reset(arena_t *a);
/* Free every chunk. */
void arena_free(arena_t *a);

#endif
