/* build.c - constructors for H.248 message trees (declared in h248.h): each allocates a zeroed
 * node from the caller's arena and appends it to its parent's list. Any thread; the arena
 * belongs to one thread at a time. */
#include "h248/h248.h"

#include <string.h>
#include <strings.h>

/* ---- building trees ----------------------------------------------------------------------- */

/* Append node at the end of the list that starts at head (lists link through `next`). */
#define APPEND(head, node)                                                                         \
    do {                                                                                           \
        __typeof__(node) *pp_ = &(head);                                                           \
        while (*pp_)                                                                               \
            pp_ = &(*pp_)->next;                                                                   \
        *pp_ = (node);                                                                             \
    } while (0)

h248_str_t h248_str_dup(arena_t *a, const char *p, size_t n)
{
    h248_str_t s = {NULL, 0};
    if (n > UINT32_MAX) return s;
    char *c = arena_strndup(a, p ? p : "", p ? n : 0);
    if (c) s = (h248_str_t){c, (uint32_t)(p ? n : 0)};
    return s;
}

h248_message_t *h248_msg_new(arena_t *a, uint8_t version, const h248_mid_t *mid)
{
    h248_message_t *m = arena_alloc(a, sizeof(*m));
    if (!m) return NULL;
    m->version = version;
    if (mid) m->mid = *mid;
    return m;
}

h248_txn_t *h248_txn_add(arena_t *a, h248_message_t *m, h248_txn_kind_t kind, uint32_t id)
{
    h248_txn_t *t = arena_alloc(a, sizeof(*t));
    if (!t) return NULL;
    t->kind = kind;
    t->id = id;
    APPEND(m->txns, t);
    return t;
}

h248_action_t *h248_action_add(arena_t *a, h248_txn_t *t, uint32_t ctx)
{
    h248_action_t *x = arena_alloc(a, sizeof(*x));
    if (!x) return NULL;
    x->ctx = ctx;
    APPEND(t->actions, x);
    return x;
}

static uint8_t tid_flags(h248_str_t s)
{
    uint8_t f = 0;
    if (s.len == 4 && strncasecmp(s.p, "ROOT", 4) == 0) f |= H248_TID_ROOT;
    if (memchr(s.p, '$', s.len)) f |= H248_TID_CHOOSE;
    if (memchr(s.p, '*', s.len)) f |= H248_TID_ALL;
    return f;
}

h248_termid_t *h248_termid_add(arena_t *a, h248_cmd_t *c, h248_str_t tid)
{
    h248_termid_t *t = arena_alloc(a, sizeof(*t));
    if (!t) return NULL;
    t->name = tid;
    t->flags = tid.len ? tid_flags(tid) : 0;
    APPEND(c->tids, t);
    return t;
}

h248_cmd_t *h248_cmd_add(arena_t *a, h248_action_t *act, h248_cmd_kind_t kind, h248_str_t tid)
{
    h248_cmd_t *c = arena_alloc(a, sizeof(*c));
    if (!c) return NULL;
    c->kind = kind;
    if (tid.len && !h248_termid_add(a, c, tid)) return NULL;
    APPEND(act->cmds, c);
    return c;
}

h248_desc_t *h248_desc_add(arena_t *a, h248_cmd_t *c, h248_desc_kind_t kind)
{
    h248_desc_t *d = arena_alloc(a, sizeof(*d));
    if (!d) return NULL;
    d->kind = kind;
    c->has_body = true;
    APPEND(c->descs, d);
    return d;
}

h248_stream_t *h248_stream_get(arena_t *a, h248_media_t *m, uint16_t id, bool explicit_id)
{
    for (h248_stream_t *s = m->streams; s; s = s->next)
        if (s->explicit_id == explicit_id && (!explicit_id || s->id == id)) return s;
    h248_stream_t *s = arena_alloc(a, sizeof(*s));
    if (!s) return NULL;
    s->id = explicit_id ? id : 0;
    s->explicit_id = explicit_id;
    APPEND(m->streams, s);
    return s;
}

h248_local_control_t *h248_lc_get(arena_t *a, h248_stream_t *s)
{
    if (s->lc) return s->lc;
    h248_local_control_t *lc = arena_alloc(a, sizeof(*lc));
    if (!lc) return NULL;
    lc->reserved_value = -1;
    lc->reserved_group = -1;
    s->lc = lc;
    return lc;
}

h248_value_t *h248_value_add(arena_t *a, h248_prop_t *p, h248_str_t value, bool quoted)
{
    h248_value_t *v = arena_alloc(a, sizeof(*v));
    if (!v) return NULL;
    v->s = value;
    v->quoted = quoted;
    APPEND(p->values, v);
    p->nvalues++;
    return v;
}

h248_prop_t *h248_prop_add(arena_t *a, h248_prop_t **list, h248_str_t name, h248_str_t value,
                           bool quoted)
{
    h248_prop_t *p = arena_alloc(a, sizeof(*p));
    if (!p) return NULL;
    p->name = name;
    p->rel = H248_REL_EQ;
    p->kind = H248_VAL_SINGLE;
    if (!h248_value_add(a, p, value, quoted)) return NULL;
    APPEND(*list, p);
    return p;
}

h248_error_desc_t *h248_error_new(arena_t *a, uint16_t code, h248_str_t text)
{
    h248_error_desc_t *e = arena_alloc(a, sizeof(*e));
    if (!e) return NULL;
    e->code = code;
    e->text = text;
    e->has_text = text.p != NULL;
    return e;
}
