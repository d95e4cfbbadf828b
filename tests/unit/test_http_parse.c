/*
 * test_http_parse.c: the pure HTTP parsers of src/http_parse.c: framing
 * (cf_http_head_end), the head itself (cf_http_head_parse), Range, dates,
 * entity tag lists and reason phrases.
 *
 * Heads are written with "\n" and sent with "\r\n" (t_parse), as the
 * integration tests do; the tests of bare CR, bare LF and NUL bytes pass
 * exact bytes (t_parse_raw).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coffer/http.h"
#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/banned.h"

/* Declared only in http_parse.c and conn.c. */
size_t cf_http_parser_size(void);

/* Small limits, so that both sides of each are cheap to reach. */
static const struct cf_http_limits t_lim = {
    .max_request_line = 64,
    .max_head = 512,
    .max_headers = 8,
};

/* One request under test: its pool, the parser, and the head it points into. */
struct t_fix {
    struct cf_pool *pool;
    void *parser;
    struct cf_req req;
    struct cf_buf b;            /* scratch, released by t_teardown */
};

static int
t_setup(void **state)
{
    struct t_fix *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->pool = cf_pool_new(4096);
    f->parser = calloc(1, cf_http_parser_size());
    if (f->parser == NULL)
        return -1;
    f->req.pool = f->pool;
    cf_buf_init(&f->b);
    *state = f;
    return 0;
}

static int
t_teardown(void **state)
{
    struct t_fix *f = *state;

    cf_pool_free(f->pool);
    cf_buf_release(&f->b);
    free(f->parser);
    free(f);
    return 0;
}

/* Parses exactly len bytes of text as a head, with lim. */
static int
t_parse_raw_lim(struct t_fix *f, const char *text, size_t len,
                const struct cf_http_limits *lim)
{
    char *head = cf_pool_alloc(f->pool, len + 1);

    memcpy(head, text, len);
    head[len] = '\0';
    memset(&f->req, 0, sizeof(f->req));
    f->req.pool = f->pool;
    return cf_http_head_parse(&f->req, head, len, lim, f->parser);
}

static int
t_parse_raw(struct t_fix *f, const char *text, size_t len)
{
    return t_parse_raw_lim(f, text, len, &t_lim);
}

/* Turns every "\n" of text into "\r\n" (into a fresh cf_buf). */
static void
t_crlf(struct cf_buf *b, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n')
            cf_buf_addc(b, '\r');
        cf_buf_addc(b, *p);
    }
}

static int
t_parse_lim(struct t_fix *f, const char *text, const struct cf_http_limits *lim)
{
    struct cf_buf b = CF_BUF_INIT;
    int rc;

    t_crlf(&b, text);
    rc = t_parse_raw_lim(f, b.data, b.len, lim);
    cf_buf_release(&b);
    return rc;
}

static int
t_parse(struct t_fix *f, const char *text)
{
    return t_parse_lim(f, text, &t_lim);
}

static void
assert_str(struct cf_str s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.p, want, s.len);
}

/* A request line of exactly len bytes (CRLF not counted): "GET /aaa HTTP/1.1". */
static void
t_request_line(struct cf_buf *b, size_t len)
{
    cf_buf_adds(b, "GET /");
    for (size_t i = 14; i < len; i++)
        cf_buf_addc(b, 'a');
    cf_buf_adds(b, " HTTP/1.1\r\n");
}

/* ---- cf_http_head_end ---- */

static void
test_head_end_request_line_of_exactly_max_is_framed(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    t_request_line(b, t_lim.max_request_line);
    assert_int_equal(b->len, t_lim.max_request_line + 2);
    cf_buf_adds(b, "Host: x\r\n\r\n");
    assert_int_equal(cf_http_head_end(b->data, b->len, &t_lim), (ssize_t)b->len);
}

static void
test_head_end_request_line_one_over_max_is_414(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    t_request_line(b, t_lim.max_request_line + 1);
    cf_buf_adds(b, "Host: x\r\n\r\n");
    assert_int_equal(cf_http_head_end(b->data, b->len, &t_lim), -414);
}

static void
test_head_end_long_request_line_without_lf_is_414(void **state)
{
    char line[200];

    (void)state;
    /* No LF at all yet, but more bytes than a request line may have. */
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    assert_int_equal(cf_http_head_end(line, sizeof(line), &t_lim), -414);
}

/* A head of exactly len bytes, blank line included. */
static void
t_head_of(struct cf_buf *b, size_t len)
{
    cf_buf_adds(b, "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ");
    while (b->len + 4 < len)
        cf_buf_addc(b, 'p');
    cf_buf_adds(b, "\r\n\r\n");
}

static void
test_head_end_head_of_exactly_max_is_framed(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    t_head_of(b, t_lim.max_head);
    assert_int_equal(b->len, t_lim.max_head);
    assert_int_equal(cf_http_head_end(b->data, b->len, &t_lim), (ssize_t)t_lim.max_head);
    /* Bytes after the head (a body, a pipelined request) do not matter. */
    cf_buf_adds(b, "PUT / HTTP/1.1\r\n");
    assert_int_equal(cf_http_head_end(b->data, b->len, &t_lim), (ssize_t)t_lim.max_head);
}

static void
test_head_end_head_one_over_max_is_431(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    t_head_of(b, t_lim.max_head + 1);
    assert_int_equal(b->len, t_lim.max_head + 1);
    assert_int_equal(cf_http_head_end(b->data, b->len, &t_lim), -431);
}

static void
test_head_end_incomplete_head_needs_more(void **state)
{
    static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    (void)state;
    assert_int_equal(cf_http_head_end(head, 0, &t_lim), 0);
    assert_int_equal(cf_http_head_end(head, 10, &t_lim), 0);
    assert_int_equal(cf_http_head_end(head, sizeof(head) - 2, &t_lim), 0);
    assert_int_equal(cf_http_head_end(head, sizeof(head) - 1, &t_lim),
                     (ssize_t)sizeof(head) - 1);
}

/* ---- cf_http_head_parse ---- */

static void
test_head_parse_simple_get(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET /dav/a%20b?x=1&y HTTP/1.1\n"
                                "Host: example.org\n"
                                "X-Thing:   spaced value  \n"
                                "\n"), 0);
    assert_int_equal(f->req.method, CF_M_GET);
    assert_str(f->req.method_name, "GET");
    assert_str(f->req.target, "/dav/a%20b?x=1&y");
    assert_str(f->req.path_raw, "/dav/a%20b");
    assert_str(f->req.query, "x=1&y");
    assert_int_equal(f->req.http_major, 1);
    assert_int_equal(f->req.http_minor, 1);
    assert_str(f->req.host, "example.org");
    assert_int_equal(f->req.nheaders, 2);
    assert_str(*cf_req_header(&f->req, CF_STR("x-thing")), "spaced value");
    assert_null(cf_req_header(&f->req, CF_STR("X-Other")));
    assert_false(f->req.has_length);
    assert_false(f->req.chunked);
    assert_false(f->req.expect_continue);
}

static void
test_head_parse_request_line_of_exactly_max_is_accepted(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    /* The line cf_http_head_end lets through must not be refused here. */
    t_request_line(b, t_lim.max_request_line);
    cf_buf_adds(b, "Host: x\r\n\r\n");
    assert_int_equal(cf_http_head_end(b->data, b->len, &t_lim), (ssize_t)b->len);
    assert_int_equal(t_parse_raw(f, b->data, b->len), 0);
    assert_int_equal(f->req.target.len, t_lim.max_request_line - 13);
}

static void
test_head_parse_request_line_one_over_max_is_414(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    t_request_line(b, t_lim.max_request_line + 1);
    cf_buf_adds(b, "Host: x\r\n\r\n");
    assert_int_equal(t_parse_raw(f, b->data, b->len), 414);
}

/* A GET with Host and n - 1 more header fields. */
static void
t_head_with_headers(struct cf_buf *b, size_t n)
{
    cf_buf_adds(b, "GET / HTTP/1.1\nHost: x\n");
    for (size_t i = 1; i < n; i++)
        cf_buf_addf(b, "X-H%zu: v\n", i);
    cf_buf_adds(b, "\n");
}

static void
test_head_parse_max_headers_exactly_is_accepted(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    t_head_with_headers(b, t_lim.max_headers);
    assert_int_equal(t_parse(f, b->data), 0);
    assert_int_equal(f->req.nheaders, t_lim.max_headers);
}

static void
test_head_parse_one_header_over_max_is_431(void **state)
{
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    t_head_with_headers(b, t_lim.max_headers + 1);
    assert_int_equal(t_parse(f, b->data), 431);
}

static void
test_head_parse_content_length_is_read(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: 12345\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_PUT);
    assert_true(f->req.has_length);
    assert_int_equal(f->req.content_length, 12345);
    assert_false(f->req.chunked);
}

static void
test_head_parse_content_length_with_transfer_encoding_is_400(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: 5\n"
                                "Transfer-Encoding: chunked\n\n"), 400);
    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n"
                                "Content-Length: 5\n\n"), 400);
}

static void
test_head_parse_two_different_content_lengths_is_400(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: 5\n"
                                "Content-Length: 6\n\n"), 400);
}

static void
test_head_parse_two_identical_content_lengths_is_400(void **state)
{
    struct t_fix *f = *state;

    /* RFC 7230 3.3.2 lets a server reject a repeated Content-Length even when
     * the values agree; we do (libhttp-parser does), rather than repair it. */
    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: 5\n"
                                "Content-Length: 5\n\n"), 400);
}

static void
test_head_parse_bad_content_length_is_400(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: abc\n\n"), 400);
    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: -1\n\n"), 400);
    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: 1 2\n\n"), 400);
}

static void
test_head_parse_space_before_colon_is_400(void **state)
{
    struct t_fix *f = *state;

    /* RFC 7230 3.2.4: whitespace between a field name and the colon is a 400. */
    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost : x\n\n"), 400);
    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: x\nX-A\t: y\n\n"), 400);
}

static void
test_head_parse_obs_fold_is_400(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: x\nX-A: a\n b\n\n"), 400);
    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: x\nX-A: a\n\tb\n\n"), 400);
}

static void
test_head_parse_bare_cr_is_400(void **state)
{
    struct t_fix *f = *state;
    static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n";

    assert_int_equal(t_parse_raw(f, head, sizeof(head) - 1), 400);
}

static void
test_head_parse_bare_lf_line_end_is_400(void **state)
{
    struct t_fix *f = *state;
    static const char head[] = "GET / HTTP/1.1\r\nHost: x\nX-A: a\r\n\r\n";
    static const char all_lf[] = "GET / HTTP/1.1\nHost: x\n\n";

    assert_int_equal(t_parse_raw(f, head, sizeof(head) - 1), 400);
    assert_int_equal(t_parse_raw(f, all_lf, sizeof(all_lf) - 1), 400);
}

static void
test_head_parse_nul_byte_is_400(void **state)
{
    struct t_fix *f = *state;
    static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";
    static const char good[] = "GET / HTTP/1.1\r\nHost: x\r\nX-A: a b\r\n\r\n";

    assert_int_equal(t_parse_raw(f, head, sizeof(head) - 1), 400);
    /* The same head with a space where the NUL was is fine. */
    assert_int_equal(t_parse_raw(f, good, sizeof(good) - 1), 0);
}

static void
test_head_parse_http11_without_host_is_400(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nAccept: */*\n\n"), 400);
}

static void
test_head_parse_http10_without_host_is_accepted(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET / HTTP/1.0\n\n"), 0);
    assert_int_equal(f->req.http_minor, 0);
    assert_int_equal(f->req.host.len, 0);
}

static void
test_head_parse_two_host_headers_is_400(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: a\nHost: a\n\n"), 400);
    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: a\nhost: b\n\n"), 400);
}

static void
test_head_parse_expect_other_than_100_continue_is_417(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: 1\n"
                                "Expect: 200-ok\n\n"), 417);
}

static void
test_head_parse_expect_100_continue_sets_flag(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nContent-Length: 1\n"
                                "Expect: 100-Continue\n\n"), 0);
    assert_true(f->req.expect_continue);
}

static void
test_head_parse_expect_100_continue_ignored_for_http10(void **state)
{
    struct t_fix *f = *state;

    /* RFC 7231 5.1.1: a 1.0 client cannot be sent a 100 (Continue). */
    assert_int_equal(t_parse(f, "PUT /f HTTP/1.0\nContent-Length: 1\n"
                                "Expect: 100-continue\n\n"), 0);
    assert_false(f->req.expect_continue);
}

static void
test_head_parse_unknown_method_is_501(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "FROB / HTTP/1.1\nHost: x\n\n"), 501);
}

static void
test_head_parse_http20_is_505(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET / HTTP/2.0\nHost: x\n\n"), 505);
}

static void
test_head_parse_transfer_encoding_gzip_is_501(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nTransfer-Encoding: gzip\n\n"),
                     501);
}

static void
test_head_parse_transfer_encoding_gzip_then_chunked_is_501(void **state)
{
    struct t_fix *f = *state;

    /* RFC 7230 3.3.1: a transfer coding we do not implement is a 501, even
     * when chunked comes last: the body would be stored still gzipped. */
    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\n"
                                "Transfer-Encoding: gzip, chunked\n\n"), 501);
}

static void
test_head_parse_transfer_encoding_chunked_sets_flag(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PUT /f HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n"),
                     0);
    assert_true(f->req.chunked);
    assert_false(f->req.has_length);
}

static void
test_head_parse_absolute_form_gives_path_and_query(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET http://example.org:8080/dav/a?b=c HTTP/1.1\n"
                                "Host: example.org:8080\n\n"), 0);
    assert_str(f->req.target, "http://example.org:8080/dav/a?b=c");
    assert_str(f->req.path_raw, "/dav/a");
    assert_str(f->req.query, "b=c");

    assert_int_equal(t_parse(f, "GET https://example.org/x/y HTTP/1.1\n"
                                "Host: example.org\n\n"), 0);
    assert_str(f->req.path_raw, "/x/y");
    assert_int_equal(f->req.query.len, 0);
}

static void
test_head_parse_absolute_form_without_path_is_root(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "OPTIONS http://example.org HTTP/1.1\n"
                                "Host: example.org\n\n"), 0);
    assert_str(f->req.path_raw, "/");
    assert_int_equal(f->req.query.len, 0);
}

static void
test_head_parse_empty_query_after_question_mark(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET /a? HTTP/1.1\nHost: x\n\n"), 0);
    assert_str(f->req.path_raw, "/a");
    assert_int_equal(f->req.query.len, 0);
}

static void
test_head_parse_fragment_in_target_is_400(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "DELETE /dav/a#b HTTP/1.1\nHost: x\n\n"), 400);
    assert_int_equal(t_parse(f, "GET /dav/a?q#b HTTP/1.1\nHost: x\n\n"), 400);
}

static void
test_head_parse_maps_webdav_methods(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "PROPFIND /dav/ HTTP/1.1\nHost: x\nDepth: 1\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_PROPFIND);
    assert_str(f->req.method_name, "PROPFIND");
    assert_int_equal(t_parse(f, "MKCOL /dav/new/ HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_MKCOL);
    assert_str(f->req.method_name, "MKCOL");
    assert_int_equal(t_parse(f, "LOCK /dav/f HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_LOCK);
    assert_str(f->req.method_name, "LOCK");
    assert_int_equal(t_parse(f, "PROPPATCH /dav/f HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_PROPPATCH);
    assert_int_equal(t_parse(f, "UNLOCK /dav/f HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_UNLOCK);
    assert_int_equal(t_parse(f, "COPY /dav/f HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_COPY);
    assert_int_equal(t_parse(f, "MOVE /dav/f HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(f->req.method, CF_M_MOVE);
    assert_string_equal(cf_method_name(CF_M_PROPFIND), "PROPFIND");
    assert_string_equal(cf_method_name(CF_M_MKCOL), "MKCOL");
}

static void
test_head_parse_keep_alive_by_version_and_connection(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: x\n\n"), 0);
    assert_true(f->req.keep_alive);
    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: x\nConnection: close\n\n"), 0);
    assert_false(f->req.keep_alive);
    assert_int_equal(t_parse(f, "GET / HTTP/1.0\n\n"), 0);
    assert_false(f->req.keep_alive);
    assert_int_equal(t_parse(f, "GET / HTTP/1.0\nConnection: keep-alive\n\n"), 0);
    assert_true(f->req.keep_alive);
}

static void
test_head_parse_header_lookup_is_case_insensitive_and_counts(void **state)
{
    struct t_fix *f = *state;

    assert_int_equal(t_parse(f, "GET / HTTP/1.1\nHost: x\nAccept: a\naccept: b\n\n"), 0);
    assert_int_equal(cf_req_header_count(&f->req, CF_STR("ACCEPT")), 2);
    assert_str(*cf_req_header(&f->req, CF_STR("Accept")), "a");
    assert_int_equal(cf_req_header_count(&f->req, CF_STR("Depth")), 0);
}

/* ---- cf_http_range_parse ---- */

static void
test_range_single(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-499"), 1000, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 499);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=999-999"), 1000, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 999);
    assert_int_equal(r[0].last, 999);
}

static void
test_range_unit_is_case_insensitive(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("Bytes=1-2"), 10, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 1);
    assert_int_equal(r[0].last, 2);
}

static void
test_range_last_byte_beyond_size_is_clipped(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=500-5000"), 1000, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 500);
    assert_int_equal(r[0].last, 999);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-18446744073709551615"), 1000, r,
                                         CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 999);
}

static void
test_range_open_ended(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=9500-"), 10000, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 9500);
    assert_int_equal(r[0].last, 9999);
}

static void
test_range_suffix(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=-500"), 10000, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 9500);
    assert_int_equal(r[0].last, 9999);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=-10000"), 10000, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 9999);
}

static void
test_range_suffix_longer_than_file_is_whole_file(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=-10001"), 10000, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 9999);
}

static void
test_range_suffix_zero_is_unsatisfiable(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=-0"), 100, r, CF_MAX_RANGES), -1);
}

static void
test_range_overlapping_are_merged(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-10,5-20"), 100, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 20);
    /* One range inside another. */
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-50, 10-20"), 100, r, CF_MAX_RANGES),
                     1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 50);
}

static void
test_range_adjacent_are_merged(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-9,10-19"), 100, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 19);
}

static void
test_range_separate_ranges_stay_separate(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    /* One byte of gap: two ranges. */
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-9, 11-19, -5"), 100, r,
                                         CF_MAX_RANGES), 3);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 9);
    assert_int_equal(r[1].first, 11);
    assert_int_equal(r[1].last, 19);
    assert_int_equal(r[2].first, 95);
    assert_int_equal(r[2].last, 99);
}

static void
test_range_unsatisfiable_parts_are_dropped(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=200-300,0-1"), 100, r, CF_MAX_RANGES),
                     1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 1);
}

static void
test_range_exactly_max_ranges_is_served(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-0,2-2,4-4,6-6"), 100, r, 4), 4);
    assert_int_equal(r[3].first, 6);
    assert_int_equal(r[3].last, 6);
}

static void
test_range_more_than_max_ranges_is_ignored(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-0,2-2,4-4,6-6,8-8"), 100, r, 4), 0);
}

static void
test_range_cf_max_ranges_boundary(void **state)
{
    struct cf_range r[CF_MAX_RANGES];
    struct t_fix *f = *state;
    struct cf_buf *b = &f->b;

    cf_buf_adds(b, "bytes=");
    for (int i = 0; i < CF_MAX_RANGES; i++)
        cf_buf_addf(b, "%s%d-%d", i ? "," : "", 2 * i, 2 * i);
    assert_int_equal(cf_http_range_parse(cf_buf_str(b), 1000, r, CF_MAX_RANGES),
                     CF_MAX_RANGES);
    cf_buf_addf(b, ",%d-%d", 2 * CF_MAX_RANGES, 2 * CF_MAX_RANGES);
    assert_int_equal(cf_http_range_parse(cf_buf_str(b), 1000, r, CF_MAX_RANGES), 0);
}

static void
test_range_syntactically_invalid_is_ignored(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("items=0-1"), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=5-3"), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=a-1"), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=1"), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=-"), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=--1"), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-1,x"), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=+1-2"), 100, r, CF_MAX_RANGES), 0);
}

static void
test_range_empty_set_is_ignored(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    /* RFC 7233 2.1: byte-range-set is 1#(...); no range at all is malformed,
     * which http.h says is ignored (0), not a 416. */
    assert_int_equal(cf_http_range_parse(CF_STR("bytes="), 100, r, CF_MAX_RANGES), 0);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes= , "), 100, r, CF_MAX_RANGES), 0);
}

static void
test_range_all_unsatisfiable_is_minus_one(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=100-200"), 100, r, CF_MAX_RANGES), -1);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=100-,500-600"), 100, r,
                                         CF_MAX_RANGES), -1);
}

static void
test_range_first_byte_at_size_vs_size_minus_one(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=99-"), 100, r, CF_MAX_RANGES), 1);
    assert_int_equal(r[0].first, 99);
    assert_int_equal(r[0].last, 99);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=100-"), 100, r, CF_MAX_RANGES), -1);
}

static void
test_range_on_empty_representation_is_unsatisfiable(void **state)
{
    struct cf_range r[CF_MAX_RANGES];

    (void)state;
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-"), 0, r, CF_MAX_RANGES), -1);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=0-0"), 0, r, CF_MAX_RANGES), -1);
    assert_int_equal(cf_http_range_parse(CF_STR("bytes=-1"), 0, r, CF_MAX_RANGES), -1);
}

/* ---- dates ---- */

static void
test_date_formats_imf_fixdate(void **state)
{
    char out[30];

    (void)state;
    memset(out, 'x', sizeof(out));
    cf_http_date(784111777, out);
    assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    cf_http_date(0, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    cf_http_date(951782400, out);
    assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
    cf_http_date(253402300799, out);
    assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    cf_http_date(1796609532, out);
    assert_string_equal(out, "Mon, 07 Dec 2026 02:12:12 GMT");
}

/* Both formatters against gmtime_r, over leap days, centuries and negatives. */
static void
test_date_formats_agree_with_gmtime(void **state)
{
    static const char wk[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    uint64_t x = 88172645463325252ull;
    char out[30], iso[21], want[64];

    (void)state;
    for (int i = 0; i < 200000; i++) {
        time_t t;
        struct tm tm;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* 0000-01-01 .. 9999-12-31, and every 6 hours around 1900-2100 */
        t = i % 2 ? (time_t)(x % 315569519999ull) - 62167219200LL
                  : (time_t)(i / 2) * 21600 - 2208988800LL;
        assert_non_null(gmtime_r(&t, &tm));
        cf_http_date(t, out);
        snprintf(want, sizeof(want), "%s, %02d %s %04d %02d:%02d:%02d GMT", wk[tm.tm_wday],
                 tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        assert_string_equal(out, want);
        cf_iso8601_date(t, iso);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        assert_string_equal(iso, want);
    }
    /* beyond four digits of year: the nearest date that has them */
    cf_iso8601_date((time_t)253402300800LL, iso);
    assert_string_equal(iso, "9999-12-31T23:59:59Z");
    cf_http_date((time_t)-62167219201LL, out);
    assert_string_equal(out, "Sat, 01 Jan 0000 00:00:00 GMT");
}

static void
test_date_parses_imf_fixdate(void **state)
{
    time_t t = 0;

    (void)state;
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 06 Nov 1994 08:49:37 GMT"), &t), 0);
    assert_int_equal(t, 784111777);
}

static void
test_date_parses_rfc850(void **state)
{
    time_t t = 0;

    (void)state;
    assert_int_equal(cf_http_date_parse(CF_STR("Sunday, 06-Nov-94 08:49:37 GMT"), &t), 0);
    assert_int_equal(t, 784111777);
}

static void
test_date_rfc850_two_digit_year_follows_fifty_year_rule(void **state)
{
    time_t now = time(NULL), t = 0;
    struct tm tm;
    char text[64];
    int year;

    (void)state;
    /* RFC 7231 7.1.1.1: a two-digit year is the one in the next 50 years
     * or, failing that, the most recent past one. */
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 + 45;
    snprintf(text, sizeof(text), "Monday, 01-Jan-%02d 00:00:00 GMT", year % 100);
    memset(&tm, 0, sizeof(tm));
    tm.tm_mday = 1;
    tm.tm_year = year - 1900;
    assert_int_equal(cf_http_date_parse(cf_str_from(text), &t), 0);
    assert_int_equal(t, timegm(&tm));

    year -= 55;
    snprintf(text, sizeof(text), "Monday, 01-Jan-%02d 00:00:00 GMT", year % 100);
    tm.tm_year = year - 1900;
    assert_int_equal(cf_http_date_parse(cf_str_from(text), &t), 0);
    assert_int_equal(t, timegm(&tm));
}

static void
test_date_parses_asctime(void **state)
{
    time_t t = 0;

    (void)state;
    assert_int_equal(cf_http_date_parse(CF_STR("Sun Nov  6 08:49:37 1994"), &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(cf_http_date_parse(CF_STR("Wed Nov 16 08:49:37 1994"), &t), 0);
    assert_int_equal(t, 784111777 + 10 * 86400);
}

static void
test_date_garbage_is_einval(void **state)
{
    time_t t = 12345;

    (void)state;
    assert_int_equal(cf_http_date_parse(CF_STR(""), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("yesterday"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 06 Nov 1994 08:49:37 UTC"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 06 Nov 1994 08:49:37 GMT x"), &t),
                     -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 06 Nox 1994 08:49:37 GMT"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 32 Nov 1994 08:49:37 GMT"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 00 Nov 1994 08:49:37 GMT"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 06 Nov 1994 24:00:00 GMT"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 06 Nov 1994 08:60:00 GMT"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun, 6 Nov 1994 08:49:37 GMT"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sunday, 06-Nov-1994 08:49:37 GMT"), &t),
                     -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun Nov  6 08:49:37"), &t), -EINVAL);
    assert_int_equal(cf_http_date_parse(CF_STR("Sun,"), &t), -EINVAL);
    assert_int_equal(t, 12345);
}

static void
test_date_round_trip(void **state)
{
    static const time_t ts[] = { 0, 1, 86399, 784111777, 951782400, 1700000000, 4102444799 };
    char out[30];
    time_t t;

    (void)state;
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        cf_http_date(ts[i], out);
        assert_int_equal(cf_http_date_parse(cf_str_from(out), &t), 0);
        assert_int_equal(t, ts[i]);
    }
}

/* ---- entity tags ---- */

static void
test_etag_strong_comparison(void **state)
{
    (void)state;
    assert_true(cf_http_etag_match(CF_STR("\"abc\""), CF_STR("\"abc\""), true, false));
    assert_false(cf_http_etag_match(CF_STR("\"abd\""), CF_STR("\"abc\""), true, false));
    assert_false(cf_http_etag_match(CF_STR("\"ab\""), CF_STR("\"abc\""), true, false));
    /* Strong comparison never matches a weak tag on either side. */
    assert_false(cf_http_etag_match(CF_STR("W/\"abc\""), CF_STR("\"abc\""), true, false));
    assert_false(cf_http_etag_match(CF_STR("\"abc\""), CF_STR("W/\"abc\""), true, false));
    assert_false(cf_http_etag_match(CF_STR("W/\"abc\""), CF_STR("W/\"abc\""), true, false));
}

static void
test_etag_weak_comparison(void **state)
{
    (void)state;
    assert_true(cf_http_etag_match(CF_STR("W/\"abc\""), CF_STR("\"abc\""), true, true));
    assert_true(cf_http_etag_match(CF_STR("\"abc\""), CF_STR("W/\"abc\""), true, true));
    assert_true(cf_http_etag_match(CF_STR("W/\"abc\""), CF_STR("W/\"abc\""), true, true));
    assert_true(cf_http_etag_match(CF_STR("\"abc\""), CF_STR("\"abc\""), true, true));
    assert_false(cf_http_etag_match(CF_STR("W/\"abd\""), CF_STR("\"abc\""), true, true));
}

static void
test_etag_star_depends_on_existence(void **state)
{
    (void)state;
    assert_true(cf_http_etag_match(CF_STR("*"), CF_STR("\"abc\""), true, false));
    assert_true(cf_http_etag_match(CF_STR(" * "), CF_STR("\"abc\""), true, true));
    assert_false(cf_http_etag_match(CF_STR("*"), CF_STR_NULL, false, false));
    assert_false(cf_http_etag_match(CF_STR("*"), CF_STR_NULL, false, true));
}

static void
test_etag_nothing_matches_a_missing_resource(void **state)
{
    (void)state;
    assert_false(cf_http_etag_match(CF_STR("\"abc\""), CF_STR("\"abc\""), false, false));
}

static void
test_etag_list_with_spaces_and_empty_elements(void **state)
{
    static const struct cf_str list = CF_STR("  \"a\" ,\t\"b\",, W/\"c\" , \"d\"  ");

    (void)state;
    assert_true(cf_http_etag_match(list, CF_STR("\"a\""), true, false));
    assert_true(cf_http_etag_match(list, CF_STR("\"b\""), true, false));
    assert_true(cf_http_etag_match(list, CF_STR("\"d\""), true, false));
    assert_false(cf_http_etag_match(list, CF_STR("\"c\""), true, false));
    assert_true(cf_http_etag_match(list, CF_STR("\"c\""), true, true));
    assert_false(cf_http_etag_match(list, CF_STR("\"e\""), true, true));
    assert_true(cf_http_etag_match(CF_STR(", \"a\""), CF_STR("\"a\""), true, false));
}

static void
test_etag_malformed_list_matches_nothing(void **state)
{
    (void)state;
    assert_false(cf_http_etag_match(CF_STR("abc"), CF_STR("\"abc\""), true, true));
    assert_false(cf_http_etag_match(CF_STR("\"abc"), CF_STR("\"abc\""), true, true));
    assert_false(cf_http_etag_match(CF_STR("W/abc"), CF_STR("\"abc\""), true, true));
    assert_false(cf_http_etag_match(CF_STR(""), CF_STR("\"abc\""), true, true));
    assert_false(cf_http_etag_match(CF_STR("x, \"abc\""), CF_STR("\"abc\""), true, true));
}

/* ---- reason phrases ---- */

static void
test_reason_phrases_for_webdav_statuses(void **state)
{
    (void)state;
    assert_string_equal(cf_http_reason(207), "Multi-Status");
    assert_string_equal(cf_http_reason(423), "Locked");
    assert_string_equal(cf_http_reason(424), "Failed Dependency");
    assert_string_equal(cf_http_reason(507), "Insufficient Storage");
    assert_string_equal(cf_http_reason(200), "OK");
    assert_string_equal(cf_http_reason(412), "Precondition Failed");
    assert_string_equal(cf_http_reason(599), "");
}

#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_head_end_request_line_of_exactly_max_is_framed),
        T(test_head_end_request_line_one_over_max_is_414),
        T(test_head_end_long_request_line_without_lf_is_414),
        T(test_head_end_head_of_exactly_max_is_framed),
        T(test_head_end_head_one_over_max_is_431),
        T(test_head_end_incomplete_head_needs_more),
        T(test_head_parse_simple_get),
        T(test_head_parse_request_line_of_exactly_max_is_accepted),
        T(test_head_parse_request_line_one_over_max_is_414),
        T(test_head_parse_max_headers_exactly_is_accepted),
        T(test_head_parse_one_header_over_max_is_431),
        T(test_head_parse_content_length_is_read),
        T(test_head_parse_content_length_with_transfer_encoding_is_400),
        T(test_head_parse_two_different_content_lengths_is_400),
        T(test_head_parse_two_identical_content_lengths_is_400),
        T(test_head_parse_bad_content_length_is_400),
        T(test_head_parse_space_before_colon_is_400),
        T(test_head_parse_obs_fold_is_400),
        T(test_head_parse_bare_cr_is_400),
        T(test_head_parse_bare_lf_line_end_is_400),
        T(test_head_parse_nul_byte_is_400),
        T(test_head_parse_http11_without_host_is_400),
        T(test_head_parse_http10_without_host_is_accepted),
        T(test_head_parse_two_host_headers_is_400),
        T(test_head_parse_expect_other_than_100_continue_is_417),
        T(test_head_parse_expect_100_continue_sets_flag),
        T(test_head_parse_expect_100_continue_ignored_for_http10),
        T(test_head_parse_unknown_method_is_501),
        T(test_head_parse_http20_is_505),
        T(test_head_parse_transfer_encoding_gzip_is_501),
        T(test_head_parse_transfer_encoding_gzip_then_chunked_is_501),
        T(test_head_parse_transfer_encoding_chunked_sets_flag),
        T(test_head_parse_absolute_form_gives_path_and_query),
        T(test_head_parse_absolute_form_without_path_is_root),
        T(test_head_parse_empty_query_after_question_mark),
        T(test_head_parse_fragment_in_target_is_400),
        T(test_head_parse_maps_webdav_methods),
        T(test_head_parse_keep_alive_by_version_and_connection),
        T(test_head_parse_header_lookup_is_case_insensitive_and_counts),
        T(test_range_single),
        T(test_range_unit_is_case_insensitive),
        T(test_range_last_byte_beyond_size_is_clipped),
        T(test_range_open_ended),
        T(test_range_suffix),
        T(test_range_suffix_longer_than_file_is_whole_file),
        T(test_range_suffix_zero_is_unsatisfiable),
        T(test_range_overlapping_are_merged),
        T(test_range_adjacent_are_merged),
        T(test_range_separate_ranges_stay_separate),
        T(test_range_unsatisfiable_parts_are_dropped),
        T(test_range_exactly_max_ranges_is_served),
        T(test_range_more_than_max_ranges_is_ignored),
        T(test_range_cf_max_ranges_boundary),
        T(test_range_syntactically_invalid_is_ignored),
        T(test_range_empty_set_is_ignored),
        T(test_range_all_unsatisfiable_is_minus_one),
        T(test_range_first_byte_at_size_vs_size_minus_one),
        T(test_range_on_empty_representation_is_unsatisfiable),
        T(test_date_formats_imf_fixdate),
        T(test_date_formats_agree_with_gmtime),
        T(test_date_parses_imf_fixdate),
        T(test_date_parses_rfc850),
        T(test_date_rfc850_two_digit_year_follows_fifty_year_rule),
        T(test_date_parses_asctime),
        T(test_date_garbage_is_einval),
        T(test_date_round_trip),
        T(test_etag_strong_comparison),
        T(test_etag_weak_comparison),
        T(test_etag_star_depends_on_existence),
        T(test_etag_nothing_matches_a_missing_resource),
        T(test_etag_list_with_spaces_and_empty_elements),
        T(test_etag_malformed_list_matches_nothing),
        T(test_reason_phrases_for_webdav_statuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
