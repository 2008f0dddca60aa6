/* fuzz_rtp.c - libFuzzer target for the data plane's per-packet decoders: RTP/RTCP
 * classification on both ports, RTP loss/jitter accounting, compound RTCP parsing and the
 * RTCP round trip, and the policer, fed with the input cut into datagrams (first byte of each
 * piece = its length). Checks the invariants the statistics promise: loss never exceeds what a
 * 32-bit extended sequence allows; the RTCP parser keeps within its arrays and a round trip is
 * never negative nor longer than the time since the SR passed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dp_rtpstat_t st;
    memset(&st, 0, sizeof(st));
    dp_pol_t pol;
    dp_policer_t conf = {.on = true, .sdr = 8000, .mbs = 1600, .pdr = 16000, .dvt = 20000};
    dp_pol_init(&pol, &conf, 0);
    dp_rtt_t side[2];
    memset(side, 0, sizeof(side));
    uint64_t now = 1;
    size_t off = 0;
    while (off < size) {
        size_t n = data[off++];
        if (n > size - off) n = size - off;
        /* copy so that ASan catches any read past the datagram */
        uint8_t *pkt = malloc(n ? n : 1);
        if (!pkt) return 0;
        memcpy(pkt, data + off, n);
        bool rtcp_port = n & 1;
        int kind = dp_pkt_classify(pkt, (uint32_t)n, rtcp_port);
        if (kind != DP_PKT_BAD && kind != DP_PKT_RTP && kind != DP_PKT_RTCP) abort();
        if (kind == DP_PKT_RTP) {
            if (n < 12) abort();
            dp_rtpstat_update(&st, pkt, now);
            (void)dp_rtpstat_jitter_us(&st);
            if (dp_rtpstat_lost(&st) > (1ull << 48)) abort();
        }
        if (kind == DP_PKT_RTCP) {
            dp_rtcp_info_t in;
            int np = dp_rtcp_parse(pkt, (uint32_t)n, &in);
            if (np < -1 || in.nsr > DP_RTCP_MAX_SR || in.nrb > DP_RTCP_MAX_RB) abort();
            if (np >= 0 && (unsigned)np != in.npkt) abort();
            /* pieces alternate between the two sides of a gate pair */
            int sd = (int)(off & 1);
            int64_t us = dp_rtt_rtcp(&side[sd], &side[1 - sd], pkt, (uint32_t)n, now);
            if (us < -1 || us > (int64_t)(now / 1000u)) abort();
        }
        (void)dp_pol_admit(&pol, (uint32_t)n, now);
        now += 1000000u + (uint64_t)(n * 7919u);
        free(pkt);
        off += n;
    }
    return 0;
}
