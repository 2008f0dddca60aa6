/* x3send - test helper for it_bgf_df: sends real copies through the LI sender (li_tap_copy),
 * as bgfd's workers would, to a delivery function on 127.0.0.1.
 *   x3send PORT etsi|jmirror NPACKETS CID TARGET[,TARGET...] [v6] [dscp=N]
 * Each packet alternates direction (from target, to target); every 5th one is RTCP, the rest
 * RTP. Prints "sent N copies". Built by it_bgf_df (not a unit test). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "li/sender.h"

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: x3send PORT etsi|jmirror NPACKETS CID TARGETS [v6] [dscp=N]\n");
        return 2;
    }
    li_conf_t conf = {.enabled = true, .format = strcmp(argv[2], "jmirror") == 0 ? LI_FMT_JMIRROR : LI_FMT_ETSI};
    netaddr_parse(&conf.df_dst, "127.0.0.1", atoi(argv[1]));
    netaddr_parse(&conf.df_src, "127.0.0.1", 0);
    strcpy(conf.operator_id, "OPER1");
    int n = atoi(argv[3]), v6 = 0, dscp = 0;
    li_tap_conf_t tc = {.active = true, .cid = strtoull(argv[4], NULL, 0)};
    for (char *s = argv[5]; *s && tc.ntargets < LI_MAX_TARGETS;) {
        tc.targets[tc.ntargets++] = (uint32_t)strtoul(s, &s, 16);
        if (*s == ',') s++;
    }
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "v6") == 0) v6 = 1;
        else if (strncmp(argv[i], "dscp=", 5) == 0) dscp = atoi(argv[i] + 5);
    }
    char err[256];
    li_sender_t *s = li_sender_new(&conf, err, sizeof err);
    if (!s) {
        fprintf(stderr, "x3send: %s\n", err);
        return 1;
    }
    li_tap_t tap = {0};
    li_tap_update(&tap, &tc);
    netaddr_t peer, bgf_a, bgf_b, other;
    netaddr_parse(&peer, v6 ? "[2001:db8::10]:30000" : "192.0.2.10:30000", -1);
    netaddr_parse(&bgf_a, v6 ? "[2001:db8::1]:20000" : "10.0.0.1:20000", -1);
    netaddr_parse(&bgf_b, v6 ? "[2001:db8::2]:20002" : "10.0.0.2:20002", -1);
    netaddr_parse(&other, v6 ? "[2001:db8::20]:40000" : "198.51.100.7:40000", -1);
    int copies = 0;
    for (int i = 0; i < n; i++) {
        uint8_t pl[172] = {0x80, 0x00};
        size_t len = sizeof pl;
        if (i % 5 == 4) { /* RTCP sender report, 28 bytes */
            memset(pl, 0, 28);
            pl[0] = 0x80, pl[1] = 200, pl[3] = 6;
            len = 28;
        } else {
            pl[2] = (uint8_t)(i >> 8), pl[3] = (uint8_t)i;
            pl[11] = 0x42;
        }
        li_packet_t p = {.payload = pl, .len = (uint32_t)len, .dscp = (uint8_t)dscp};
        li_dir_t dir = i % 2 ? LI_DIR_TO_TARGET : LI_DIR_FROM_TARGET;
        if (dir == LI_DIR_FROM_TARGET) /* target's peer -> bgf side A, relayed B -> other */
            p.in_src = &peer, p.in_dst = &bgf_a, p.out_src = &bgf_b, p.out_dst = &other;
        else
            p.in_src = &other, p.in_dst = &bgf_b, p.out_src = &bgf_a, p.out_dst = &peer;
        clock_gettime(CLOCK_REALTIME, &p.ts);
        int r = li_tap_copy(s, &tap, dir, &p);
        li_sender_kick(s); /* as a worker does at the end of its round */
        if (r > 0) copies += r;
        if (i % 50 == 49) nanosleep(&(struct timespec){0, 2000000}, NULL); /* pace the burst */
    }
    printf("sent %d copies\n", copies);
    li_sender_free(s);
    return 0;
}
