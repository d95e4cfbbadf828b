/*
 * fuzz_head.c: the request head parser (src/http_parse.c), as conn.c
 * drives it: cf_http_head_end frames the head, cf_http_head_parse fills a
 * bare cf_req (a pool, no socket), and what follows the head goes through
 * cf_http_body_execute when the body is chunked.
 *
 * Besides the sanitizers, the target checks what the rest of the server
 * relies on: every string the parser hands out points into the head.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coffer/http.h"
#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: say where, then crash. */
#define FZ_FAIL() \
    (fprintf(stderr, "%s:%d: invariant broken\n", __FILE__, __LINE__), abort())

/* Declared only in http_parse.c and conn.c. */
size_t cf_http_parser_size(void);
size_t cf_http_body_execute(void *parser, struct cf_req *req, const char *p, size_t len,
                            int *err);

/* Small limits, so that both sides of each one are reached. */
static const struct cf_http_limits fz_lim = {
    .max_request_line = 1024,
    .max_head = 4096,
    .max_headers = 32,
};

#define FZ_BODY_MAX 1024

/* conn.c's on_body for a CF_BODY_MEM sink, capped like max-xml-body. */
static int
fz_on_body(struct cf_req *req, const char *p, size_t len)
{
    req->body_received += len;
    if (req->body_received > req->body_max)
        return -1;
    cf_buf_add(&req->body, p, len);
    return 0;
}

/* Aborts unless s is empty or lies inside [base, base + len). */
static void
fz_inside(struct cf_str s, const char *base, size_t len)
{
    if (s.len == 0)
        return;
    if (s.p < base || s.p + s.len > base + len)
        FZ_FAIL();
}

static void
fz_check_req(const struct cf_req *req, const char *head, size_t len)
{
    fz_inside(req->target, head, len);
    /* an absolute-form target without a path gets the literal "/" */
    if (!cf_str_eq(req->path_raw, CF_STR("/")))
        fz_inside(req->path_raw, head, len);
    fz_inside(req->query, head, len);
    fz_inside(req->host, head, len);
    if (req->nheaders > fz_lim.max_headers)
        FZ_FAIL();
    for (size_t i = 0; i < req->nheaders; i++) {
        fz_inside(req->headers[i].name, head, len);
        fz_inside(req->headers[i].value, head, len);
        if (req->headers[i].name.len == 0)
            FZ_FAIL();    /* cf_http_check_headers refuses those */
    }
    if (req->target.len == 0 || req->http_major != 1)
        FZ_FAIL();
    /* what the handlers look up first */
    (void)cf_req_header(req, CF_STR("Depth"));
    (void)cf_req_header(req, CF_STR("If"));
    (void)cf_req_header_count(req, CF_STR("Content-Length"));
    (void)cf_method_name(req->method);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    ssize_t r = cf_http_head_end(in, size, &fz_lim);
    struct cf_req *req;
    void *parser;
    char *head;
    int rc;

    if (r <= 0)
        return 0;
    if ((size_t)r > size || (size_t)r > fz_lim.max_head)
        FZ_FAIL();
    /* exactly the head, no terminating NUL: reads past it are caught */
    head = cf_xmalloc((size_t)r);
    memcpy(head, in, (size_t)r);
    req = cf_xcalloc(1, sizeof(*req));
    req->pool = cf_pool_new(4096);
    cf_buf_init(&req->body);
    cf_buf_init(&req->resp_head);
    req->body_fd = -1;
    req->sink = CF_BODY_MEM;
    req->body_max = FZ_BODY_MAX;
    req->on_body = fz_on_body;
    parser = cf_xcalloc(1, cf_http_parser_size());

    rc = cf_http_head_parse(req, head, (size_t)r, &fz_lim, parser);
    if (rc == 0) {
        fz_check_req(req, head, (size_t)r);
        if (req->chunked && (size_t)r < size) {
            /* conn.c feeds what the socket buffers hold; vary the split */
            const char *p = in + r;
            size_t left = size - (size_t)r;
            size_t step = 1 + size % 13;

            while (!req->message_done && left > 0) {
                size_t piece = left < step ? left : step;
                int err;
                size_t used = cf_http_body_execute(parser, req, p, piece, &err);

                if (used > piece)
                    FZ_FAIL();
                p += used;
                left -= used;
                if (err < 0 || (used == 0 && !req->message_done))
                    break;
            }
            if (req->body.len > FZ_BODY_MAX)
                FZ_FAIL();
        }
    } else if (rc < 100 || rc > 599) {
        FZ_FAIL();    /* the parser answers with an HTTP status */
    }

    free(parser);
    cf_buf_release(&req->body);
    cf_buf_release(&req->resp_head);
    cf_pool_free(req->pool);
    free(req);
    free(head);
    return 0;
}
