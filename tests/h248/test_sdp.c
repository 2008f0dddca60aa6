/* test_sdp.c - the underspecified SDP of H.248 Local/Remote: parse, write, helpers, errors,
 * and reads that never pass the end of the input (guard page, every truncated prefix). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "h248/sdp.h"

static arena_t A;

static int setup(void **state)
{
    arena_init(&A, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    arena_free(&A);
    return 0;
}

static h248_sdp_t *parse_ok(const char *text)
{
    h248_sdp_t *s = NULL;
    h248_sdp_error_t err;
    int rc = h248_sdp_parse(text, strlen(text), &A, &s, &err);
    if (rc) print_error("parse failed: line %d col %d: %s\n", err.line, err.col, err.reason);
    assert_int_equal(rc, 0);
    assert_non_null(s);
    return s;
}

static void assert_sv(h248_sdp_str_t s, const char *want)
{
    if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.n, s.p ? s.p : "", want);
}

/* Writes s and returns the text (arena), checking the reported length. */
static char *write_str(const h248_sdp_t *s, unsigned flags)
{
    size_t need = h248_sdp_write(s, flags, NULL, 0);
    char *buf = arena_alloc(&A, need + 1);
    assert_int_equal(h248_sdp_write(s, flags, buf, need), need);
    buf[need] = '\0';
    return buf;
}

static const char SEED_REMOTE[] = "v=0\n"
                                  "c=IN IP4 124.124.124.222\n"
                                  "m=audio 2222 RTP/AVP 0\n"
                                  "a=ptime:20\n";

static void parses_seed_remote_descriptor(void **state)
{
    h248_sdp_t *s = parse_ok(SEED_REMOTE);
    assert_int_equal(s->ngroups, 1);
    assert_int_equal(s->eol, H248_SDP_EOL_LF);
    h248_sdp_group_t *g = s->groups;
    assert_true(g->has_version);
    assert_int_equal(g->version, 0);
    assert_non_null(g->conn);
    assert_int_equal(g->conn->af, H248_SDP_AF_IP4);
    assert_int_equal(g->conn->kind, H248_SDP_VALUE);
    assert_sv(g->conn->addr, "124.124.124.222");
    assert_int_equal(g->nmedia, 1);
    h248_sdp_media_t *m = g->media;
    assert_sv(m->m->media, "audio");
    assert_int_equal(m->m->port_kind, H248_SDP_VALUE);
    assert_int_equal(m->m->port, 2222);
    assert_sv(m->m->proto, "RTP/AVP");
    assert_int_equal(m->m->nfmt, 1);
    assert_sv(m->m->fmt[0], "0");
    assert_int_equal(m->ptime, 20);
    assert_null(m->conn);
    h248_sdp_endpoint_t ep;
    assert_int_equal(h248_sdp_get_endpoint(s, &ep), 0);
    assert_sv(ep.addr, "124.124.124.222");
    assert_int_equal(ep.port, 2222);
    assert_int_equal(ep.pt, 0);
    assert_int_equal(ep.ptime, 20);
    assert_int_equal(ep.dir, H248_SDP_DIR_SENDRECV);
}

static void choose_and_wildcard_fields_are_recognised(void **state)
{
    h248_sdp_t *s = parse_ok("v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 0 8\r\n");
    assert_int_equal(s->eol, H248_SDP_EOL_CRLF);
    assert_int_equal(s->groups->conn->kind, H248_SDP_CHOOSE);
    assert_int_equal(s->groups->media->m->port_kind, H248_SDP_CHOOSE);
    assert_int_equal(s->groups->media->m->nfmt, 2);
    s = parse_ok("v=0\nc=IN $ $\nm=audio - RTP/AVP -\n");
    assert_int_equal(s->groups->conn->af, H248_SDP_AF_CHOOSE);
    assert_int_equal(s->groups->media->m->port_kind, H248_SDP_WILD);
    assert_sv(s->groups->media->m->fmt[0], "-");
    s = parse_ok("v=0\nc=IN IP6 -\nm=audio 0 RTP/SAVP 0\n");
    assert_int_equal(s->groups->conn->af, H248_SDP_AF_IP6);
    assert_int_equal(s->groups->conn->kind, H248_SDP_WILD);
    assert_int_equal(s->groups->media->m->port, 0);
    h248_sdp_endpoint_t ep;
    assert_int_equal(h248_sdp_get_endpoint(s, &ep), 0);
    assert_int_equal(ep.addr_kind, H248_SDP_WILD);
}

static const char FULL[] = "v=0\n"
                           "o=- 2890844526 2890842807 IN IP4 10.47.16.5\n"
                           "s=call\n"
                           "i=A session\n"
                           "u=http://example.net/s\n"
                           "e=ops@example.net\n"
                           "p=+1 555 0100\n"
                           "c=IN IP4 10.47.16.5/127\n"
                           "b=AS:128\n"
                           "t=0 0\n"
                           "r=604800 3600 0 90000\n"
                           "z=2882844526 -1h 2898848070 0\n"
                           "k=prompt\n"
                           "a=recvonly\n"
                           "a=tool:bgf\n"
                           "m=audio 49170/2 RTP/AVP 0 8 97\n"
                           "i=voice\n"
                           "c=IN IP6 2001:db8::1\n"
                           "b=TIAS:64000\n"
                           "k=clear:secret\n"
                           "a=rtpmap:0 PCMU/8000\n"
                           "a=rtpmap:97 opus/48000/2\n"
                           "a=fmtp:97 useinbandfec=1\n"
                           "a=sendonly\n"
                           "a=ptime:30\n"
                           "m=video 51372 RTP/AVP 31\n"
                           "a=rtpmap:31 H261/90000\n";

static void parses_every_line_type_and_keeps_order(void **state)
{
    h248_sdp_t *s = parse_ok(FULL);
    h248_sdp_group_t *g = s->groups;
    assert_non_null(g->origin);
    assert_sv(g->origin->username, "-");
    assert_sv(g->origin->sess_id, "2890844526");
    assert_sv(g->origin->sess_version, "2890842807");
    assert_sv(g->origin->conn.addr, "10.47.16.5");
    assert_sv(g->name, "call");
    assert_int_equal(g->dir, H248_SDP_DIR_RECVONLY);
    assert_int_equal(g->nmedia, 2);
    /* session lines in order, with their kinds */
    const char types[] = "vosiuepcbtrzkaa";
    const h248_sdp_line_t *l = g->lines;
    for (size_t i = 0; i < strlen(types); i++, l = l->next) {
        assert_non_null(l);
        assert_int_equal(l->type, types[i]);
    }
    assert_null(l);
    l = g->lines->next->next->next->next->next->next->next->next; /* b= */
    assert_int_equal(l->kind, H248_SDP_L_BW);
    assert_sv(l->u.bw.type, "AS");
    assert_int_equal(l->u.bw.value, 128);
    assert_int_equal(l->next->kind, H248_SDP_L_TIME);
    assert_sv(l->next->u.time.stop, "0");
    assert_int_equal(l->next->next->kind, H248_SDP_L_RAW);
    assert_sv(l->next->next->raw, "604800 3600 0 90000");

    h248_sdp_media_t *m = g->media;
    assert_int_equal(m->m->port, 49170);
    assert_int_equal(m->m->count, 2);
    assert_int_equal(m->m->nfmt, 3);
    assert_sv(m->m->fmt[2], "97");
    assert_int_equal(m->nrtpmap, 2);
    assert_int_equal(m->nbw, 1);
    assert_int_equal(m->nattr, 5);
    assert_int_equal(m->dir, H248_SDP_DIR_SENDONLY);
    assert_int_equal(m->ptime, 30);
    assert_non_null(m->conn);
    assert_int_equal(m->conn->af, H248_SDP_AF_IP6);
    l = m->lines;
    assert_int_equal(l->kind, H248_SDP_L_MEDIA);
    while (l && !(l->kind == H248_SDP_L_ATTR && l->u.attr.kind == H248_SDP_A_RTPMAP))
        l = l->next;
    assert_non_null(l);
    assert_int_equal(l->u.attr.u.rtpmap.pt, 0);
    assert_sv(l->u.attr.u.rtpmap.encoding, "PCMU");
    assert_int_equal(l->u.attr.u.rtpmap.clock, 8000);
    l = l->next;
    assert_int_equal(l->u.attr.u.rtpmap.pt, 97);
    assert_sv(l->u.attr.u.rtpmap.encoding, "opus");
    assert_int_equal(l->u.attr.u.rtpmap.clock, 48000);
    assert_sv(l->u.attr.u.rtpmap.params, "2");
    l = l->next;
    assert_int_equal(l->u.attr.kind, H248_SDP_A_OTHER);
    assert_sv(l->u.attr.name, "fmtp");
    assert_sv(l->u.attr.value, "97 useinbandfec=1");
    /* the video section inherits the session's direction; audio overrides it */
    assert_int_equal(h248_sdp_media_dir(g, m), H248_SDP_DIR_SENDONLY);
    assert_int_equal(h248_sdp_media_dir(g, m->next), H248_SDP_DIR_RECVONLY);
    assert_ptr_equal(h248_sdp_media_conn(g, m->next), g->conn);
    /* endpoint: media-level connection wins, /ttl is cut from the session's */
    h248_sdp_endpoint_t ep;
    assert_int_equal(h248_sdp_get_endpoint(s, &ep), 0);
    assert_int_equal(ep.af, H248_SDP_AF_IP6);
    assert_sv(ep.addr, "2001:db8::1");
    assert_int_equal(ep.dir, H248_SDP_DIR_SENDONLY);
    /* written back byte for byte */
    assert_string_equal(write_str(s, H248_SDP_W_ASIS), FULL);
}

static void first_audio_skips_other_media(void **state)
{
    h248_sdp_t *s = parse_ok("v=0\nc=IN IP4 1.2.3.4\nm=video 5000 RTP/AVP 31\n"
                             "m=audio 6000 RTP/AVP 8\n");
    h248_sdp_media_t *m = h248_sdp_first_audio(s, 0);
    assert_non_null(m);
    assert_int_equal(m->m->port, 6000);
    h248_sdp_endpoint_t ep;
    assert_int_equal(h248_sdp_get_endpoint(s, &ep), 0);
    assert_int_equal(ep.pt, 8);
    s = parse_ok("v=0\nc=IN IP4 1.2.3.4\n");
    assert_null(h248_sdp_first_audio(s, 0));
    assert_int_equal(h248_sdp_get_endpoint(s, &ep), H248_SDP_ENOENT);
    assert_null(h248_sdp_first_audio(s, 1));
}

static void v_lines_separate_alternative_groups(void **state)
{
    const char *text = "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 4\n"
                       "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\nm=audio $ RTP/AVP 8\n";
    h248_sdp_t *s = parse_ok(text);
    assert_int_equal(s->ngroups, 2);
    assert_int_equal(s->groups->nmedia, 1);
    assert_int_equal(s->groups->next->nmedia, 2);
    assert_string_equal(write_str(s, 0), text);
    assert_int_equal(h248_sdp_select_group(s, 5), H248_SDP_ENOENT);
    assert_int_equal(h248_sdp_select_group(s, 1), 0);
    assert_int_equal(s->ngroups, 1);
    assert_string_equal(write_str(s, 0), "v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n"
                                         "m=audio $ RTP/AVP 8\n");
}

static void text_without_v_line_is_one_group(void **state)
{
    h248_sdp_t *s = parse_ok("c=IN IP4 $\nm=audio $ RTP/AVP 0"); /* no final line end */
    assert_int_equal(s->ngroups, 1);
    assert_false(s->groups->has_version);
    assert_int_equal(s->groups->nmedia, 1);
    assert_string_equal(write_str(s, 0), "c=IN IP4 $\nm=audio $ RTP/AVP 0\n");
}

static void blanks_indentation_and_comment_lines_are_skipped(void **state)
{
    h248_sdp_t *s = parse_ok("\n  \r\n    v=0  \n\tc=IN IP4 1.1.1.1\t\n"
                             "   ; a comment line in the descriptor\n"
                             "m=audio  1000   RTP/AVP   0\n\n   ");
    assert_int_equal(s->ngroups, 1);
    assert_sv(s->groups->conn->addr, "1.1.1.1");
    assert_int_equal(s->groups->media->m->nfmt, 1);
    assert_string_equal(write_str(s, 0), "v=0\nc=IN IP4 1.1.1.1\nm=audio 1000 RTP/AVP 0\n");
    s = parse_ok("");
    assert_int_equal(s->ngroups, 0);
    assert_int_equal(h248_sdp_write(s, 0, NULL, 0), 0);
    s = parse_ok("\n\n");
    assert_int_equal(s->ngroups, 0);
}

static void writer_keeps_or_forces_line_ends(void **state)
{
    h248_sdp_t *s = parse_ok(SEED_REMOTE);
    assert_string_equal(write_str(s, H248_SDP_W_ASIS), SEED_REMOTE);
    assert_string_equal(write_str(s, H248_SDP_W_CRLF), "v=0\r\nc=IN IP4 124.124.124.222\r\n"
                                                       "m=audio 2222 RTP/AVP 0\r\n"
                                                       "a=ptime:20\r\n");
    h248_sdp_t *c = parse_ok("v=0\r\nm=audio 1 RTP/AVP 0\r\n");
    assert_string_equal(write_str(c, 0), "v=0\r\nm=audio 1 RTP/AVP 0\r\n");
    assert_string_equal(write_str(c, H248_SDP_W_LF), "v=0\nm=audio 1 RTP/AVP 0\n");
    /* a lone CR ends a line too */
    h248_sdp_t *r = parse_ok("v=0\rm=audio 1 RTP/AVP 0\r");
    assert_int_equal(r->groups->nmedia, 1);
    assert_true(h248_sdp_equal(r, c));
}

static void writer_reports_needed_size_on_overflow(void **state)
{
    h248_sdp_t *s = parse_ok(SEED_REMOTE);
    size_t need = strlen(SEED_REMOTE);
    char buf[16];
    memset(buf, 'X', sizeof buf);
    assert_int_equal(h248_sdp_write(s, 0, buf, 10), need);
    assert_memory_equal(buf, SEED_REMOTE, 10);
    assert_int_equal(buf[10], 'X'); /* nothing past cap */
    assert_int_equal(h248_sdp_write(s, 0, NULL, 0), need);
}

static void writer_escapes_closing_brace(void **state)
{
    h248_sdp_t *s = parse_ok("v=0\na=x:a}b\na=y:c\\}d\n");
    assert_string_equal(write_str(s, 0), "v=0\na=x:a\\}b\na=y:c\\}d\n");
}

static void fill_choose_sets_address_and_ports(void **state)
{
    h248_sdp_t *s = parse_ok("v=0\no=- 1 1 IN IP4 $\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n"
                             "m=audio $ RTP/AVP 8\nc=IN $ $\nm=audio 7000 RTP/AVP 8\n");
    int n = h248_sdp_fill_choose(s, 0, &A, H248_SDP_AF_IP4, "192.0.2.10", 40000);
    assert_int_equal(n, 5);
    assert_string_equal(write_str(s, 0), "v=0\no=- 1 1 IN IP4 192.0.2.10\n"
                                         "c=IN IP4 192.0.2.10\nm=audio 40000 RTP/AVP 0\n"
                                         "m=audio 40002 RTP/AVP 8\nc=IN IP4 192.0.2.10\n"
                                         "m=audio 7000 RTP/AVP 8\n");
    /* nothing left to choose */
    assert_int_equal(h248_sdp_fill_choose(s, 0, &A, H248_SDP_AF_IP4, "192.0.2.10", 40000), 0);
    assert_int_equal(h248_sdp_fill_choose(s, 1, &A, H248_SDP_AF_IP4, "1.1.1.1", 1),
                     H248_SDP_ENOENT);
    assert_int_equal(h248_sdp_fill_choose(s, 0, &A, H248_SDP_AF_NONE, "1.1.1.1", 1),
                     H248_SDP_EINVAL);
    h248_sdp_t *t = parse_ok("v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n");
    assert_int_equal(h248_sdp_fill_choose(t, 0, &A, H248_SDP_AF_IP4, "1.1.1.1", 65535), 2);
    h248_sdp_t *u = parse_ok("v=0\nm=audio $ RTP/AVP 0\nm=audio $ RTP/AVP 0\n");
    assert_int_equal(h248_sdp_fill_choose(u, 0, &A, H248_SDP_AF_IP4, "1.1.1.1", 65535),
                     H248_SDP_EINVAL);
}

static void setters_replace_address_family_and_port(void **state)
{
    h248_sdp_t *s = parse_ok("v=0\nc=IN IP4 10.0.0.1\nm=audio 1000 RTP/AVP 0\n");
    assert_int_equal(h248_sdp_set_conn(s->groups->conn, &A, H248_SDP_AF_IP6, "2001:db8::7"), 0);
    assert_int_equal(h248_sdp_set_port(s->groups->media->m, &A, 65535), 0);
    assert_string_equal(write_str(s, 0), "v=0\nc=IN IP6 2001:db8::7\nm=audio 65535 RTP/AVP 0\n");
    h248_sdp_endpoint_t ep;
    assert_int_equal(h248_sdp_get_endpoint(s, &ep), 0);
    assert_int_equal(ep.af, H248_SDP_AF_IP6);
    assert_int_equal(ep.port, 65535);
    assert_int_equal(h248_sdp_set_conn(s->groups->conn, &A, H248_SDP_AF_WILD, "x"),
                     H248_SDP_EINVAL);
    assert_int_equal(h248_sdp_set_conn(NULL, &A, H248_SDP_AF_IP4, "1.1.1.1"), H248_SDP_EINVAL);
    assert_int_equal(h248_sdp_set_port(NULL, &A, 1), H248_SDP_EINVAL);
}

static void equality_sees_every_difference(void **state)
{
    h248_sdp_t *a = parse_ok(FULL);
    h248_sdp_t *b = parse_ok(FULL);
    assert_true(h248_sdp_equal(a, b));
    assert_true(h248_sdp_equal(NULL, NULL));
    assert_false(h248_sdp_equal(a, NULL));
    h248_sdp_t *c = parse_ok(SEED_REMOTE);
    assert_false(h248_sdp_equal(a, c));
    const char *variants[] = {
        "v=0\nc=IN IP4 124.124.124.223\nm=audio 2222 RTP/AVP 0\na=ptime:20\n",
        "v=0\nc=IN IP4 124.124.124.222\nm=audio 2224 RTP/AVP 0\na=ptime:20\n",
        "v=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 0 8\na=ptime:20\n",
        "v=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 0\na=ptime:30\n",
        "v=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 0\n",
        "v=0\nc=IN IP4 124.124.124.222\nm=audio 2222/2 RTP/AVP 0\na=ptime:20\n",
        "v=0\nc=IN IP4 124.124.124.222\nm=audio 2222 RTP/AVP 0\na=ptime:20\nv=0\n",
    };
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++)
        assert_false(h248_sdp_equal(c, parse_ok(variants[i])));
    assert_true(h248_sdp_equal(c, parse_ok("v=0\r\nc=IN  IP4 124.124.124.222\r\n"
                                           "m=audio 2222 RTP/AVP 0\r\na=ptime:20")));
}

struct bad {
    const char *text;
    int line, col;
    const char *reason_part;
};

static void every_syntax_error_names_line_column_and_reason(void **state)
{
    static const struct bad cases[] = {
        {"v=x\n", 1, 3, "v="},
        {"v=0\nx\n", 2, 2, "'='"},
        {"v=0\nC=IN IP4 1.1.1.1\n", 2, 1, "lower-case"},
        {"v=0\n=0\n", 2, 1, "lower-case"},
        {"v=0\nc=IN IP4\n", 2, 3, "c= needs"},
        {"v=0\nc=IN IP4 1.1.1.1 x\n", 2, 3, "c= needs"},
        {"v=0\no=- 1 1 IN IP4\n", 2, 3, "o= needs"},
        {"v=0\nm=audio 1\n", 2, 3, "m= needs"},
        {"v=0\nm=audio 70000 RTP/AVP 0\n", 2, 9, "port"},
        {"v=0\nm=audio x RTP/AVP 0\n", 2, 9, "port"},
        {"v=0\nm=audio 1/0 RTP/AVP 0\n", 2, 11, "count"},
        {"v=0\nm=audio 1/ RTP/AVP 0\n", 2, 11, "count"},
        {"v=0\nb=AS\n", 2, 3, "b= needs"},
        {"v=0\nb=:5\n", 2, 3, "b= needs"},
        {"v=0\nb=AS:x\n", 2, 6, "bandwidth"},
        {"v=0\nt=0\n", 2, 3, "t= needs"},
        {"v=0\nm=audio 1 RTP/AVP 0\na=ptime:x\n", 3, 9, "ptime"},
        {"v=0\nm=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU\n", 3, 12, "rtpmap"},
        {"v=0\nm=audio 1 RTP/AVP 0\na=rtpmap:0\n", 3, 10, "rtpmap"},
        {"v=0\nm=audio 1 RTP/AVP 0\na=rtpmap:200 X/8000\n", 3, 10, "payload type"},
        {"v=0\nm=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/0\n", 3, 17, "clock"},
        {"v=0\nm=audio 1 RTP/AVP 0\na=rtpmap:0 /8000\n", 3, 12, "rtpmap"},
        {"v=0\na=:x\n", 2, 3, "attribute name"},
        {"v=0\nc=IN IP4 1.1.1.1\n   s=\0x\n", 3, 6, "NUL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct bad *b = &cases[i];
        size_t n = strlen(b->text);
        if (strstr(b->reason_part, "NUL")) n += 3; /* text holds a NUL: count past it */
        h248_sdp_t *s = NULL;
        h248_sdp_error_t err;
        int rc = h248_sdp_parse(b->text, n, &A, &s, &err);
        if (rc != H248_SDP_ESYNTAX || err.line != b->line || err.col != b->col ||
            !err.reason || !strstr(err.reason, b->reason_part))
            fail_msg("case %zu: rc %d line %d col %d reason %s", i, rc, err.line, err.col,
                     err.reason ? err.reason : "(none)");
        assert_null(s);
    }
}

static void exhausted_arena_is_reported(void **state)
{
    arena_t small;
    arena_init(&small, 256, 256);
    h248_sdp_t *s = NULL;
    int rc = h248_sdp_parse(FULL, strlen(FULL), &small, &s, NULL);
    assert_int_equal(rc, H248_SDP_ENOMEM);
    arena_free(&small);
}

/* Parse every prefix of text, each placed so its last byte touches a PROT_NONE page: a read
 * past the end faults. Accepted prefixes must write back to text that parses to the same. */
static void check_prefixes_at_guard_page(const char *text)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t n = strlen(text);
    assert_true(n < (size_t)pg);
    char *mem = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(mprotect(mem + pg, (size_t)pg, PROT_NONE), 0);
    for (size_t len = 0; len <= n; len++) {
        char *p = mem + pg - len;
        memcpy(p, text, len);
        arena_t a;
        arena_init(&a, 0, 0);
        h248_sdp_t *s = NULL;
        h248_sdp_error_t err;
        int rc = h248_sdp_parse(p, len, &a, &s, &err);
        assert_true(rc == 0 || rc == H248_SDP_ESYNTAX);
        if (rc == 0) {
            size_t need = h248_sdp_write(s, 0, NULL, 0);
            char *buf = arena_alloc(&a, need + 1);
            assert_int_equal(h248_sdp_write(s, 0, buf, need), need);
            h248_sdp_t *again = NULL;
            assert_int_equal(h248_sdp_parse(buf, need, &a, &again, NULL), 0);
            assert_true(h248_sdp_equal(s, again));
        } else {
            assert_true(err.line >= 1 && err.col >= 1);
        }
        arena_free(&a);
    }
    munmap(mem, 2 * (size_t)pg);
}

static void never_reads_past_input_for_any_prefix(void **state)
{
    check_prefixes_at_guard_page(SEED_REMOTE);
    check_prefixes_at_guard_page(FULL);
    check_prefixes_at_guard_page("v=0\r\no=- 1 1 IN IP4 $\r\nc=IN IP4 $\r\nb=AS:$\r\n"
                                 "m=audio $/2 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/1\r\n"
                                 "a=ptime:$\r\nv=0\r\nm=audio - udp -\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(parses_seed_remote_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(choose_and_wildcard_fields_are_recognised, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(parses_every_line_type_and_keeps_order, setup, teardown),
        cmocka_unit_test_setup_teardown(first_audio_skips_other_media, setup, teardown),
        cmocka_unit_test_setup_teardown(v_lines_separate_alternative_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(text_without_v_line_is_one_group, setup, teardown),
        cmocka_unit_test_setup_teardown(blanks_indentation_and_comment_lines_are_skipped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(writer_keeps_or_forces_line_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(writer_reports_needed_size_on_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(writer_escapes_closing_brace, setup, teardown),
        cmocka_unit_test_setup_teardown(fill_choose_sets_address_and_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(setters_replace_address_family_and_port, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(equality_sees_every_difference, setup, teardown),
        cmocka_unit_test_setup_teardown(every_syntax_error_names_line_column_and_reason, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(exhausted_arena_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(never_reads_past_input_for_any_prefix, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
