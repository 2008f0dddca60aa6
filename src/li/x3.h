/* x3.h - X3 encapsulations of mirrored packets (BGF-REFERENCE.md section 3): the ETSI
 * TS 103 221-2 X3 PDU and the JMirror-style 8-byte header, the rebuilt IP/UDP packet they
 * carry, and strict decoders for the delivery function, tests and the fuzzer.
 * Pure functions on caller-owned buffers; any thread; no allocation. Decoders never read past
 * the length they are given. */
#ifndef BGF_LI_X3_H
#define BGF_LI_X3_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"

#define X3_VERSION 0x0005u       /* major 0, minor 5 */
#define X3_PDU_X2 1
#define X3_PDU_X3 2
#define X3_PDU_KEEPALIVE 3
#define X3_PDU_KEEPALIVE_ACK 4
#define X3_FMT_IPV4 5
#define X3_FMT_IPV6 6
#define X3_DIR_TO_TARGET 2
#define X3_DIR_FROM_TARGET 3
#define X3_FIXED_LEN 40
#define X3_ATTR_DOMAIN_ID 5
#define X3_ATTR_SEQ 8
#define X3_ATTR_TIMESTAMP 9
#define X3_ATTR_MATCHED_TARGET 17
#define X3_DOMAIN_MAX 5          /* network operator id: at most 5 characters */
/* Largest header x3_etsi_header writes: 40 + seq 8 + timestamp 12 + domain 9 + target 12. */
#define X3_HDR_MAX 81
#define JMIRROR_HDR_LEN 8
#define X3_UDP_MAX 65507         /* largest UDP payload over IPv4 */

/* Everything the ETSI header carries for one copy. */
typedef struct x3_meta {
    uint16_t format;            /* X3_FMT_IPV4 / X3_FMT_IPV6 */
    uint16_t direction;         /* X3_DIR_TO_TARGET / X3_DIR_FROM_TARGET */
    uint32_t target;            /* target id: gives the XID and the matched target identifier */
    uint64_t cid;               /* correlation ID (the decrypted correlation number) */
    uint32_t seq;               /* sequence number per XID + correlation ID */
    uint32_t ts_sec, ts_nsec;   /* when the original packet arrived */
    const char *domain;         /* network operator id (domain ID), NULL or "" = omitted */
} x3_meta_t;

/* The project's XID rule: 00000000-0000-8000-8000-0000TTTTTTTT (TTTTTTTT = target id). */
void x3_xid(uint32_t target, uint8_t xid[16]);
/* target id from an XID that follows the rule; -1 when it does not. */
int64_t x3_xid_target(const uint8_t xid[16]);

/* Internet checksum helpers (RFC 1071): fold a sum into the final 16-bit value. */
uint32_t x3_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t x3_csum_fold(uint32_t sum);

/* The mirrored packet as seen at the mirror point: an IPv4 or IPv6 header (by the family of
 * src/dst, which must agree), a UDP header and the payload, with right checksums. The IP
 * header carries dscp. Returns the packet length, or negative when it does not fit. */
int x3_build_ip(uint8_t *buf, size_t cap, const netaddr_t *src, const netaddr_t *dst,
                uint8_t dscp, const uint8_t *payload, size_t len);

/* ETSI X3 PDU header with attributes sequence number (8), timestamp (9), domain ID (5, when
 * set) and matched target identifier (17: the target id as 8 lower-case hex digits), for a
 * payload of payload_len bytes that follows it. Returns the header length or negative. */
int x3_etsi_header(uint8_t *buf, size_t cap, const x3_meta_t *m, uint32_t payload_len);
/* JMirror-style header: version 0 + 30-bit intercept id (target & 0x3fffffff), 32-bit session
 * id (low 32 bits of cid). Returns JMIRROR_HDR_LEN or negative. */
int x3_jmirror_header(uint8_t *buf, size_t cap, uint32_t target, uint64_t cid);

/* A decoded ETSI PDU: views into the caller's buffer. */
typedef struct x3_pdu {
    uint16_t version, type, format, direction;
    uint32_t hdr_len, payload_len;
    uint8_t xid[16];
    uint64_t cid;
    bool has_seq, has_ts;
    uint32_t seq, ts_sec, ts_nsec;
    const uint8_t *domain;      /* domain ID attribute, NULL when absent */
    uint16_t domain_len;
    const uint8_t *mti;         /* matched target identifier, NULL when absent */
    uint16_t mti_len;
    const uint8_t *payload;
} x3_pdu_t;

/* Decode one ETSI PDU at buf[0..len): checks version (major 0), PDU type 1..4, lengths,
 * payload format and direction ranges, non-zero correlation ID for X2/X3, every attribute's
 * TLV bounds and the sizes of the ones it knows. Returns bytes used (header + payload), or -1
 * with the reason in err. */
int x3_etsi_decode(const uint8_t *buf, size_t len, x3_pdu_t *p, char *err, size_t errlen);

/* A decoded JMirror-style datagram. */
typedef struct x3_jmirror {
    uint32_t intercept_id, session_id;
    const uint8_t *packet;
    size_t packet_len;
} x3_jmirror_t;
int x3_jmirror_decode(const uint8_t *buf, size_t len, x3_jmirror_t *j, char *err, size_t errlen);

/* A checked inner IP/UDP packet. */
typedef struct x3_inner {
    int family;                 /* AF_INET / AF_INET6 */
    uint8_t dscp;
    netaddr_t src, dst;         /* addresses and UDP ports */
    const uint8_t *udp_payload;
    size_t udp_payload_len;
} x3_inner_t;
/* Check a mirrored packet: IPv4 (header checksum) or IPv6, exact lengths, UDP with a right
 * checksum. Returns 0, or -1 with the reason in err. */
int x3_inner_check(const uint8_t *pkt, size_t len, x3_inner_t *in, char *err, size_t errlen);

#endif
