/* li_test.h - shared by the li unit tests. */
#ifndef BGF_TESTS_LI_TEST_H
#define BGF_TESTS_LI_TEST_H
#include "li/sender.h"

/* li_tap_copy as a worker round makes it (copies queued, then the send thread kicked),
 * waiting until they are in the kernel so that captures and counters are read in a known
 * state. */
static inline int copy_sent(li_sender_t *s, li_tap_t *tap, li_dir_t dir, const li_packet_t *p)
{
    int r = li_tap_copy(s, tap, dir, p);
    assert_int_equal(li_sender_sync(s, 2000), 0);
    return r;
}

#endif
