/* fuzz_x3 - libFuzzer target for the X3 decoders bgf-df runs on untrusted datagrams: the ETSI
 * PDU decoder, the inner IP/UDP check and the JMirror decoder. Every accepted PDU must
 * account for bytes inside the input, and re-encoding a decoded header must decode again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "li/x3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    x3_pdu_t p;
    int n = x3_etsi_decode(data, size, &p, err, sizeof err);
    if (n >= 0) {
        if ((size_t)n > size || p.hdr_len < X3_FIXED_LEN) abort();
        x3_inner_t in;
        if (x3_inner_check(p.payload, p.payload_len, &in, err, sizeof err) == 0 &&
            in.udp_payload + in.udp_payload_len > p.payload + p.payload_len)
            abort();
        int64_t t = x3_xid_target(p.xid);
        if (t >= 0 && p.type == X3_PDU_X3) {
            uint8_t hdr[X3_HDR_MAX + 8];
            x3_meta_t m = {.format = p.format, .direction = p.direction, .target = (uint32_t)t,
                           .cid = p.cid, .seq = p.seq, .ts_sec = p.ts_sec,
                           .ts_nsec = p.ts_nsec % 1000000000u, .domain = "OP"};
            int h = x3_etsi_header(hdr, sizeof hdr, &m, 0);
            x3_pdu_t q;
            if (h < 0 || x3_etsi_decode(hdr, (size_t)h, &q, err, sizeof err) != h) abort();
            if (q.cid != p.cid || q.seq != p.seq || x3_xid_target(q.xid) != t) abort();
        }
    }
    x3_jmirror_t j;
    if (x3_jmirror_decode(data, size, &j, err, sizeof err) >= 0) {
        if (j.packet + j.packet_len != data + size) abort();
        x3_inner_t in;
        (void)x3_inner_check(j.packet, j.packet_len, &in, err, sizeof err);
    }
    return 0;
}
