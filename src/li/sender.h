/* sender.h - private to src/li: the per-worker sender of copies (tap.c) and its LI-only
 * counters, as li_ctl and the tests see them. */
#ifndef BGF_LI_SENDER_H
#define BGF_LI_SENDER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "li/li.h"

#define LI_COUNT_SLOTS 256 /* distinct target ids counted per worker; more go to "other" */

/* Copies per target id, written by the owning worker only, read by li_ctl (relaxed). */
typedef struct li_target_count {
    uint32_t target;   /* valid once used != 0 */
    uint32_t used;     /* owner: worker; release-stored after target */
    uint64_t copies;   /* owner: worker */
    uint64_t bytes;    /* owner: worker; X3 UDP payload bytes */
} li_target_count_t;

typedef struct li_sender_stats {
    uint64_t copies, bytes, send_errors, too_big, other_copies;
    uint64_t gso_sends;        /* packets whose copies left in one segmented send */
} li_sender_stats_t;

/* A sender bound to conf->df_src (SO_REUSEPORT, so every worker may share the source port)
 * and connected to conf->df_dst. NULL with err set on failure. */
li_sender_t *li_sender_new(const li_conf_t *conf, char *err, size_t errlen);
void li_sender_free(li_sender_t *s);
void li_sender_stats(const li_sender_t *s, li_sender_stats_t *out);
/* Calls fn for every target id this sender has counted. */
void li_sender_each_target(const li_sender_t *s,
                           void (*fn)(uint32_t target, uint64_t copies, uint64_t bytes, void *arg),
                           void *arg);

/* Sequence numbers shared per correlation ID + target across taps and workers (seq.c). */
typedef struct li_seq_table li_seq_table_t;
li_seq_table_t *li_seq_new(size_t entries);
void li_seq_free(li_seq_table_t *t);
/* li_ctl, under its mutex: one more (delta > 0) or fewer (delta < 0) gate uses cid + target.
 * A new entry starts at sequence 0; one no gate uses is retired but keeps counting (late
 * copies, the same stream tapped again) until its slot is taken for another stream. */
void li_seq_ref(li_seq_table_t *t, uint64_t cid, uint32_t target, int delta);
/* Worker: the next sequence number for cid + target; *local is the tap's own counter, used
 * (and kept in step) when the table has no entry. */
uint32_t li_seq_next(li_seq_table_t *t, uint64_t cid, uint32_t target, uint32_t *local);
/* Copies from this sender take their sequence numbers from t (NULL: per tap only). */
void li_sender_set_seq(li_sender_t *s, li_seq_table_t *t);

#endif
