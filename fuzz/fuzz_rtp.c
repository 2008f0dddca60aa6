/* fuzz_rtp.c - libFuzzer target for the data plane's per-packet decoders: RTP/RTCP
 * classification on both ports, RTP loss/jitter accounting and the policer, fed with the
 * input cut into datagrams (first byte of each piece = its length). Checks the invariants the
 * statistics promise: loss never exceeds what a 32-bit extended sequence allows. */
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
        (void)dp_pol_admit(&pol, (uint32_t)n, now);
        now += 1000000u + (uint64_t)(n * 7919u);
        free(pkt);
        off += n;
    }
    return 0;
}
