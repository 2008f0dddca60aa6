/* x3.c - X3 encoders and decoders (see x3.h and BGF-REFERENCE.md section 3).
 * Pure, any thread, caller-owned buffers. The encoders run per mirrored packet in the data
 * plane workers; the decoders run on untrusted input in bgf-df and the fuzzer, so every read
 * is checked against the length first. */
#include "li/x3.h"

#include <stdio.h>
#include <string.h>

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16), put16(p + 2, v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

void x3_xid(uint32_t target, uint8_t xid[16])
{
    memset(xid, 0, 16);
    xid[6] = 0x80; /* version 8 */
    xid[8] = 0x80; /* RFC 4122 variant */
    put32(xid + 12, target);
}

int64_t x3_xid_target(const uint8_t xid[16])
{
    uint8_t want[16];
    x3_xid(get32(xid + 12), want);
    return memcmp(want, xid, 16) == 0 ? (int64_t)get32(xid + 12) : -1;
}

uint32_t x3_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) sum += get16(p + i);
    if (i < n) sum += (uint32_t)p[i] << 8;
    return sum;
}

uint16_t x3_csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* UDP header at u for payload already in place after it; pseudo-header sum given. */
static void udp_finish(uint8_t *u, uint16_t sport, uint16_t dport, size_t ulen, uint32_t pseudo)
{
    put16(u, sport), put16(u + 2, dport), put16(u + 4, (uint32_t)ulen), put16(u + 6, 0);
    uint16_t c = x3_csum_fold(x3_csum_add(pseudo + 17 + (uint32_t)ulen, u, ulen));
    put16(u + 6, c ? c : 0xffff); /* 0 means "no checksum": send all ones instead */
}

int x3_build_ip(uint8_t *buf, size_t cap, const netaddr_t *src, const netaddr_t *dst,
                uint8_t dscp, const uint8_t *payload, size_t len)
{
    int fam = netaddr_family(src);
    if (fam != netaddr_family(dst) || (fam != AF_INET && fam != AF_INET6)) return -1;
    size_t iph = fam == AF_INET ? 20 : 40, ulen = 8 + len, total = iph + ulen;
    if (total > cap || ulen > 65535 || (fam == AF_INET && total > 65535)) return -1;
    memmove(buf + iph + 8, payload, len);
    uint8_t *ip = buf;
    uint32_t pseudo;
    if (fam == AF_INET) {
        memset(ip, 0, 20);
        ip[0] = 0x45, ip[1] = (uint8_t)(dscp << 2);
        put16(ip + 2, (uint32_t)total);
        ip[6] = 0x40; /* don't fragment; identification 0 */
        ip[8] = 64, ip[9] = 17;
        memcpy(ip + 12, &src->u.v4.sin_addr, 4);
        memcpy(ip + 16, &dst->u.v4.sin_addr, 4);
        put16(ip + 10, x3_csum_fold(x3_csum_add(0, ip, 20)));
        pseudo = x3_csum_add(0, ip + 12, 8);
    } else {
        put32(ip, 6u << 28 | (uint32_t)dscp << 22);
        put16(ip + 4, (uint32_t)ulen);
        ip[6] = 17, ip[7] = 64;
        memcpy(ip + 8, &src->u.v6.sin6_addr, 16);
        memcpy(ip + 24, &dst->u.v6.sin6_addr, 16);
        pseudo = x3_csum_add(0, ip + 8, 32);
    }
    udp_finish(buf + iph, netaddr_port(src), netaddr_port(dst), ulen, pseudo);
    return (int)total;
}

static uint8_t *put_attr(uint8_t *p, uint16_t type, const void *v, uint16_t n)
{
    put16(p, type), put16(p + 2, n);
    memcpy(p + 4, v, n);
    return p + 4 + n;
}

int x3_etsi_header(uint8_t *buf, size_t cap, const x3_meta_t *m, uint32_t payload_len)
{
    size_t dlen = m->domain ? strnlen(m->domain, X3_DOMAIN_MAX + 1) : 0;
    if (dlen > X3_DOMAIN_MAX || cap < X3_HDR_MAX) return -1;
    uint8_t *p = buf + X3_FIXED_LEN, v[12];
    put32(v, m->seq);
    p = put_attr(p, X3_ATTR_SEQ, v, 4);
    put32(v, m->ts_sec), put32(v + 4, m->ts_nsec);
    p = put_attr(p, X3_ATTR_TIMESTAMP, v, 8);
    if (dlen) p = put_attr(p, X3_ATTR_DOMAIN_ID, m->domain, (uint16_t)dlen);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) v[i] = (uint8_t)hex[(m->target >> (28 - 4 * i)) & 15];
    p = put_attr(p, X3_ATTR_MATCHED_TARGET, v, 8);
    uint32_t hlen = (uint32_t)(p - buf);
    put16(buf, X3_VERSION), put16(buf + 2, X3_PDU_X3);
    put32(buf + 4, hlen), put32(buf + 8, payload_len);
    put16(buf + 12, m->format), put16(buf + 14, m->direction);
    x3_xid(m->target, buf + 16);
    put32(buf + 32, (uint32_t)(m->cid >> 32)), put32(buf + 36, (uint32_t)m->cid);
    return (int)hlen;
}

int x3_jmirror_header(uint8_t *buf, size_t cap, uint32_t target, uint64_t cid)
{
    if (cap < JMIRROR_HDR_LEN) return -1;
    put32(buf, target & 0x3fffffffu); /* version 0 in the top two bits */
    put32(buf + 4, (uint32_t)cid);
    return JMIRROR_HDR_LEN;
}

#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* One conditional attribute: check the sizes of those we know and record them. */
static int etsi_attr(x3_pdu_t *p, uint16_t type, const uint8_t *v, uint16_t n, char *err,
                     size_t errlen)
{
    switch (type) {
    case X3_ATTR_SEQ:
        if (n != 4 || p->has_seq) return FAIL("sequence number attribute: length %u or repeated", n);
        p->has_seq = true, p->seq = get32(v);
        break;
    case X3_ATTR_TIMESTAMP:
        if (n != 8 || p->has_ts) return FAIL("timestamp attribute: length %u or repeated", n);
        p->has_ts = true, p->ts_sec = get32(v), p->ts_nsec = get32(v + 4);
        if (p->ts_nsec >= 1000000000u) return FAIL("timestamp nanoseconds %u", p->ts_nsec);
        break;
    case X3_ATTR_DOMAIN_ID:
        if (n == 0 || p->domain) return FAIL("domain ID attribute: empty or repeated");
        p->domain = v, p->domain_len = n;
        break;
    case X3_ATTR_MATCHED_TARGET:
        if (n == 0 || p->mti) return FAIL("matched target identifier: empty or repeated");
        p->mti = v, p->mti_len = n;
        break;
    case 10: case 11: if (n != 4) return FAIL("IPv4 address attribute length %u", n); break;
    case 12: case 13: if (n != 16) return FAIL("IPv6 address attribute length %u", n); break;
    case 14: case 15: if (n != 2) return FAIL("port attribute length %u", n); break;
    case 16: if (n != 1) return FAIL("IP protocol attribute length %u", n); break;
    default:
        if (type == 0) return FAIL("attribute type 0");
        break; /* others are skipped: later versions of the standard add types */
    }
    return 0;
}

int x3_etsi_decode(const uint8_t *buf, size_t len, x3_pdu_t *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (len < X3_FIXED_LEN) return FAIL("%zu bytes, shorter than the 40-byte header", len);
    p->version = get16(buf), p->type = get16(buf + 2);
    p->hdr_len = get32(buf + 4), p->payload_len = get32(buf + 8);
    p->format = get16(buf + 12), p->direction = get16(buf + 14);
    memcpy(p->xid, buf + 16, 16);
    p->cid = (uint64_t)get32(buf + 32) << 32 | get32(buf + 36);
    if (p->version >> 8 != 0 || p->version == 0) return FAIL("version 0x%04x", p->version);
    if (p->type < 1 || p->type > 4) return FAIL("PDU type %u", p->type);
    if (p->hdr_len < X3_FIXED_LEN || p->hdr_len > len)
        return FAIL("header length %u of %zu bytes", p->hdr_len, len);
    if (p->payload_len > len - p->hdr_len)
        return FAIL("payload length %u past the %zu bytes after the header", p->payload_len,
                    len - p->hdr_len);
    bool data = p->type == X3_PDU_X2 || p->type == X3_PDU_X3;
    if (data && (p->format < 1 || p->format > 13)) return FAIL("payload format %u", p->format);
    if (data && (p->direction < 1 || p->direction > 5)) return FAIL("direction %u", p->direction);
    if (data && p->cid == 0) return FAIL("correlation ID 0");
    for (size_t off = X3_FIXED_LEN; off < p->hdr_len;) {
        if (p->hdr_len - off < 4) return FAIL("attribute header cut at %zu", off);
        uint16_t type = get16(buf + off), n = get16(buf + off + 2);
        if (n > p->hdr_len - off - 4) return FAIL("attribute %u length %u past the header", type, n);
        if (etsi_attr(p, type, buf + off + 4, n, err, errlen) != 0) return -1;
        off += 4 + (size_t)n;
    }
    p->payload = buf + p->hdr_len;
    return (int)(p->hdr_len + p->payload_len);
}

int x3_jmirror_decode(const uint8_t *buf, size_t len, x3_jmirror_t *j, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    if (len < JMIRROR_HDR_LEN + 1) return FAIL("%zu bytes: no room for header and packet", len);
    uint32_t w = get32(buf);
    if (w >> 30 != 0) return FAIL("JMirror version %u", w >> 30);
    j->intercept_id = w, j->session_id = get32(buf + 4);
    j->packet = buf + JMIRROR_HDR_LEN, j->packet_len = len - JMIRROR_HDR_LEN;
    return (int)len;
}

/* Check the UDP header and checksum of u[0..n) given the pseudo-header address sum. */
static int udp_check(const uint8_t *u, size_t n, uint32_t pseudo, bool v6, x3_inner_t *in,
                     char *err, size_t errlen)
{
    if (n < 8) return FAIL("UDP header cut (%zu bytes)", n);
    if (get16(u + 4) != n) return FAIL("UDP length %u, IP says %zu", get16(u + 4), n);
    if (get16(u + 6) == 0 && v6) return FAIL("IPv6 UDP without checksum");
    if (get16(u + 6) != 0 && x3_csum_fold(x3_csum_add(pseudo + 17 + (uint32_t)n, u, n)) != 0)
        return FAIL("UDP checksum wrong");
    netaddr_set_port(&in->src, get16(u)), netaddr_set_port(&in->dst, get16(u + 2));
    in->udp_payload = u + 8, in->udp_payload_len = n - 8;
    return 0;
}

int x3_inner_check(const uint8_t *pkt, size_t len, x3_inner_t *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    if (len < 1) return FAIL("empty packet");
    if (pkt[0] >> 4 == 4) {
        size_t ihl = (size_t)(pkt[0] & 15) * 4;
        if (len < 20 || ihl < 20 || ihl > len) return FAIL("IPv4 header cut");
        if (get16(pkt + 2) != len) return FAIL("IPv4 total length %u of %zu", get16(pkt + 2), len);
        if (x3_csum_fold(x3_csum_add(0, pkt, ihl)) != 0) return FAIL("IPv4 header checksum wrong");
        if (get16(pkt + 6) & 0x3fff) return FAIL("IPv4 fragment");
        if (pkt[9] != 17) return FAIL("IP protocol %u, not UDP", pkt[9]);
        in->family = AF_INET, in->dscp = pkt[1] >> 2;
        in->src.u.v4.sin_family = in->dst.u.v4.sin_family = AF_INET;
        memcpy(&in->src.u.v4.sin_addr, pkt + 12, 4);
        memcpy(&in->dst.u.v4.sin_addr, pkt + 16, 4);
        return udp_check(pkt + ihl, len - ihl, x3_csum_add(0, pkt + 12, 8), false, in, err, errlen);
    }
    if (pkt[0] >> 4 == 6) {
        if (len < 40) return FAIL("IPv6 header cut");
        if ((size_t)get16(pkt + 4) + 40 != len) return FAIL("IPv6 payload length %u of %zu", get16(pkt + 4), len);
        if (pkt[6] != 17) return FAIL("IPv6 next header %u, not UDP", pkt[6]);
        in->family = AF_INET6, in->dscp = (uint8_t)((get16(pkt) >> 6) & 0x3f);
        in->src.u.v6.sin6_family = in->dst.u.v6.sin6_family = AF_INET6;
        memcpy(&in->src.u.v6.sin6_addr, pkt + 8, 16);
        memcpy(&in->dst.u.v6.sin6_addr, pkt + 24, 16);
        return udp_check(pkt + 40, len - 40, x3_csum_add(0, pkt + 8, 32), true, in, err, errlen);
    }
    return FAIL("IP version %u", pkt[0] >> 4);
}
