/* Unit tests for the X3 encapsulations (src/li/x3.c): exact bytes of an ETSI PDU, inner
 * IP/UDP checksums checked by an independent implementation, XID rule, JMirror header, and a
 * decoder that rejects malformed input without reading past its end (guard page). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "li/x3.h"

/* The whole PDU for the crafted packet below, made with Python's struct module and its own
 * RFC 1071 checksum (no code shared with src/li): 192.0.2.1:4000 -> 198.51.100.2:5000, DSCP
 * 46, 12 payload bytes 0x80..0x8b, from target, target ffffff01, correlation 305419896,
 * sequence 7, timestamp 1700000000.123456789, operator OPER1. */
static const char golden_hex[] =
    "00050002000000510000002800050003000000000000800080000000ffffff010000000012345678000800"
    "0400000007000900086553f100075bcd15000500054f5045523100110008666666666666303145b8002800"
    "00400040114dd6c0000201c63364020fa013880014cf3f808182838485868788898a8b";

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = strlen(s) / 2;
    for (size_t i = 0; i < n; i++) sscanf(s + 2 * i, "%2hhx", &out[i]);
    return n;
}

/* Independent checksum: 32-bit words summed, then folded (not x3_csum_*). */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint64_t sum)
{
    for (size_t i = 0; i < n; i++) sum += (i & 1) ? p[i] : (uint64_t)p[i] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static netaddr_t addr(const char *s, uint16_t port)
{
    netaddr_t a;
    assert_int_equal(netaddr_parse_ip(&a, s, port), 0);
    return a;
}

static int build_pdu(uint8_t *buf, size_t cap, const x3_meta_t *m, const netaddr_t *src,
                     const netaddr_t *dst, uint8_t dscp, const uint8_t *pl, size_t n)
{
    uint8_t ip[2048];
    int ilen = x3_build_ip(ip, sizeof ip, src, dst, dscp, pl, n);
    assert_true(ilen > 0);
    int h = x3_etsi_header(buf, cap, m, (uint32_t)ilen);
    assert_true(h > 0);
    memcpy(buf + h, ip, (size_t)ilen);
    return h + ilen;
}

static const x3_meta_t crafted = {.format = X3_FMT_IPV4, .direction = X3_DIR_FROM_TARGET,
                                  .target = 0xffffff01, .cid = 305419896, .seq = 7,
                                  .ts_sec = 1700000000, .ts_nsec = 123456789, .domain = "OPER1"};

static void etsi_pdu_of_crafted_ipv4_packet_has_exact_bytes(void **state)
{
    uint8_t pl[12], want[512], got[512];
    for (int i = 0; i < 12; i++) pl[i] = (uint8_t)(0x80 + i);
    netaddr_t s = addr("192.0.2.1", 4000), d = addr("198.51.100.2", 5000);
    size_t wn = unhex(golden_hex, want);
    int n = build_pdu(got, sizeof got, &crafted, &s, &d, 46, pl, sizeof pl);
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, wn);
    /* and field by field, so a failure says which */
    assert_int_equal(got[0] << 8 | got[1], 5);
    assert_int_equal(got[3], 2);
    assert_int_equal(got[7], 81);      /* 40 + seq 8 + ts 12 + domain 9 + target 12 */
    assert_int_equal(got[11], n - 81);
    assert_int_equal(got[13], 5);
    assert_int_equal(got[15], 3);
}

static void inner_ipv4_and_udp_checksums_verify_independently(void **state)
{
    uint8_t pkt[256], pl[33];
    memset(pl, 0xa5, sizeof pl);
    netaddr_t s = addr("10.1.2.3", 1234), d = addr("10.9.8.7", 4321);
    int n = x3_build_ip(pkt, sizeof pkt, &s, &d, 34, pl, sizeof pl); /* odd length */
    assert_int_equal(n, 20 + 8 + 33);
    assert_int_equal(ref_csum(pkt, 20, 0), 0);
    assert_int_equal(pkt[1], 34 << 2);
    uint64_t pseudo = (uint64_t)(pkt[12] << 8 | pkt[13]) + (pkt[14] << 8 | pkt[15]) +
                      (pkt[16] << 8 | pkt[17]) + (pkt[18] << 8 | pkt[19]) + 17 + 41;
    assert_int_equal(ref_csum(pkt + 20, 41, pseudo), 0);
    assert_memory_equal(pkt + 28, pl, sizeof pl);
}

static void inner_ipv6_packet_has_traffic_class_and_right_udp_checksum(void **state)
{
    uint8_t pkt[256], pl[20] = "rtp-ish payload....";
    netaddr_t s = addr("2001:db8::1", 30000), d = addr("2001:db8::2", 30002);
    int n = x3_build_ip(pkt, sizeof pkt, &s, &d, 46, pl, sizeof pl);
    assert_int_equal(n, 40 + 8 + 20);
    assert_int_equal(pkt[0] >> 4, 6);
    assert_int_equal(((pkt[0] & 15) << 4 | pkt[1] >> 4) >> 2, 46);
    assert_int_equal(pkt[4] << 8 | pkt[5], 28);
    assert_int_equal(pkt[6], 17);
    uint64_t pseudo = 17 + 28;
    for (int i = 8; i < 40; i += 2) pseudo += (uint64_t)(pkt[i] << 8 | pkt[i + 1]);
    assert_int_equal(ref_csum(pkt + 40, 28, pseudo), 0);
    x3_inner_t in;
    char err[128];
    assert_int_equal(x3_inner_check(pkt, (size_t)n, &in, err, sizeof err), 0);
    assert_int_equal(in.family, AF_INET6);
    assert_int_equal(in.dscp, 46);
    assert_true(netaddr_equal(&in.src, &s) && netaddr_equal(&in.dst, &d));
    pkt[60] ^= 1;
    assert_int_equal(x3_inner_check(pkt, (size_t)n, &in, err, sizeof err), -1);
    assert_non_null(strstr(err, "checksum"));
}

static void mixed_families_are_refused(void **state)
{
    uint8_t pkt[256];
    netaddr_t s = addr("10.0.0.1", 1), d = addr("::1", 2);
    assert_true(x3_build_ip(pkt, sizeof pkt, &s, &d, 0, pkt, 0) < 0);
    netaddr_t s4 = addr("10.0.0.1", 1), d4 = addr("10.0.0.2", 2);
    assert_true(x3_build_ip(pkt, 30, &s4, &d4, 0, (const uint8_t *)"abc", 3) < 0); /* no room */
}

static void xid_follows_the_project_rule(void **state)
{
    uint8_t xid[16];
    x3_xid(0xffffff00, xid);
    char s[40];
    snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             xid[0], xid[1], xid[2], xid[3], xid[4], xid[5], xid[6], xid[7], xid[8], xid[9],
             xid[10], xid[11], xid[12], xid[13], xid[14], xid[15]);
    assert_string_equal(s, "00000000-0000-8000-8000-0000ffffff00");
    assert_true(x3_xid_target(xid) == 0xffffff00);
    xid[0] = 1;
    assert_true(x3_xid_target(xid) < 0);
}

static void decode_gives_back_every_field(void **state)
{
    uint8_t pl[100], buf[512];
    memset(pl, 7, sizeof pl);
    netaddr_t s = addr("192.0.2.1", 4000), d = addr("198.51.100.2", 5000);
    x3_meta_t m = crafted;
    m.direction = X3_DIR_TO_TARGET, m.seq = 0xfffffffe, m.cid = 0x0102030405060708ull;
    int n = build_pdu(buf, sizeof buf, &m, &s, &d, 10, pl, sizeof pl);
    x3_pdu_t p;
    char err[128];
    assert_int_equal(x3_etsi_decode(buf, (size_t)n, &p, err, sizeof err), n);
    assert_int_equal(p.version, 5);
    assert_int_equal(p.type, X3_PDU_X3);
    assert_int_equal(p.format, X3_FMT_IPV4);
    assert_int_equal(p.direction, X3_DIR_TO_TARGET);
    assert_true(p.cid == 0x0102030405060708ull);
    assert_true(p.has_seq && p.seq == 0xfffffffe);
    assert_true(p.has_ts && p.ts_sec == 1700000000 && p.ts_nsec == 123456789);
    assert_int_equal(p.domain_len, 5);
    assert_memory_equal(p.domain, "OPER1", 5);
    assert_int_equal(p.mti_len, 8);
    assert_memory_equal(p.mti, "ffffff01", 8);
    assert_true(x3_xid_target(p.xid) == 0xffffff01);
    x3_inner_t in;
    assert_int_equal(x3_inner_check(p.payload, p.payload_len, &in, err, sizeof err), 0);
    assert_true(netaddr_equal(&in.src, &s) && netaddr_equal(&in.dst, &d));
    assert_int_equal(in.dscp, 10);
    assert_int_equal(in.udp_payload_len, 100);
    /* no operator id: no domain attribute */
    m.domain = "";
    n = build_pdu(buf, sizeof buf, &m, &s, &d, 10, pl, sizeof pl);
    assert_int_equal(x3_etsi_decode(buf, (size_t)n, &p, err, sizeof err), n);
    assert_null(p.domain);
    assert_int_equal(p.hdr_len, 72);
}

static void jmirror_header_carries_intercept_and_session_ids(void **state)
{
    uint8_t buf[64];
    assert_int_equal(x3_jmirror_header(buf, sizeof buf, 0xffffff00, 0x1122334455667788ull), 8);
    static const uint8_t want[8] = {0x3f, 0xff, 0xff, 0x00, 0x55, 0x66, 0x77, 0x88};
    assert_memory_equal(buf, want, 8);
    buf[8] = 0x45;
    x3_jmirror_t j;
    char err[128];
    assert_int_equal(x3_jmirror_decode(buf, 9, &j, err, sizeof err), 9);
    assert_int_equal(j.intercept_id, 0x3fffff00);
    assert_int_equal(j.session_id, 0x55667788);
    buf[0] |= 0x40; /* version 1 */
    assert_int_equal(x3_jmirror_decode(buf, 9, &j, err, sizeof err), -1);
}

/* Every prefix of a valid PDU, placed right before a PROT_NONE page: a read past the end
 * faults. A prefix shorter than the PDU is rejected. */
static void every_truncated_prefix_is_rejected_without_overread(void **state)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *mem = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(mprotect(mem + pg, (size_t)pg, PROT_NONE), 0);
    uint8_t buf[512];
    size_t n = unhex(golden_hex, buf);
    for (size_t k = 0; k <= n; k++) {
        uint8_t *at = mem + pg - k;
        memcpy(at, buf, k);
        x3_pdu_t p;
        char err[128];
        int r = x3_etsi_decode(at, k, &p, err, sizeof err);
        assert_int_equal(r, k == n ? (int)n : -1);
        x3_jmirror_t j;
        (void)x3_jmirror_decode(at, k, &j, err, sizeof err);
        x3_inner_t in;
        if (k >= 81) (void)x3_inner_check(at + 81, k - 81, &in, err, sizeof err);
    }
    munmap(mem, (size_t)pg * 2);
}

static void malformed_fields_are_rejected_with_a_reason(void **state)
{
    static const struct { size_t off; uint8_t val; const char *why; } cases[] = {
        {0, 1, "version"},          /* version 0x0105: major 1 */
        {3, 0, "PDU type"},         /* type 0 */
        {3, 9, "PDU type"},
        {7, 39, "header length"},   /* header length 39 */
        {7, 0xff, "header length"},
        {11, 0xff, "payload length"},
        {13, 0, "payload format"},
        {15, 9, "direction"},
        {43, 5, "sequence"},        /* sequence attribute length 5 */
        {50, 0x40, "past the header"}, /* timestamp attribute length 0x4008 */
        {56, 0xff, "timestamp nanoseconds"}, /* nanoseconds over 10^9 */
        {49, 0, "attribute type 0"},    /* timestamp attribute's type now 0 */
    };
    uint8_t good[512], buf[512];
    size_t n = unhex(golden_hex, good);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(buf, good, n);
        buf[cases[i].off] = cases[i].val;
        x3_pdu_t p;
        char err[128] = "";
        assert_int_equal(x3_etsi_decode(buf, n, &p, err, sizeof err), -1);
        if (!strstr(err, cases[i].why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].why);
    }
    memcpy(buf, good, n);
    memset(buf + 32, 0, 8); /* correlation ID 0 */
    x3_pdu_t p;
    char err[128];
    assert_int_equal(x3_etsi_decode(buf, n, &p, err, sizeof err), -1);
    memcpy(buf, good, n);
    buf[81 + 25] ^= 0xff; /* inner UDP checksum */
    assert_int_equal(x3_etsi_decode(buf, n, &p, err, sizeof err), (int)n);
    x3_inner_t in;
    assert_int_equal(x3_inner_check(p.payload, p.payload_len, &in, err, sizeof err), -1);
    memcpy(buf, good, n);
    buf[81 + 8] ^= 1; /* inner IPv4 TTL: header checksum now wrong */
    assert_int_equal(x3_inner_check(buf + 81, n - 81, &in, err, sizeof err), -1);
    assert_non_null(strstr(err, "header checksum"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(etsi_pdu_of_crafted_ipv4_packet_has_exact_bytes),
        cmocka_unit_test(inner_ipv4_and_udp_checksums_verify_independently),
        cmocka_unit_test(inner_ipv6_packet_has_traffic_class_and_right_udp_checksum),
        cmocka_unit_test(mixed_families_are_refused),
        cmocka_unit_test(xid_follows_the_project_rule),
        cmocka_unit_test(decode_gives_back_every_field),
        cmocka_unit_test(jmirror_header_carries_intercept_and_session_ids),
        cmocka_unit_test(every_truncated_prefix_is_rejected_without_overread),
        cmocka_unit_test(malformed_fields_are_rejected_with_a_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
