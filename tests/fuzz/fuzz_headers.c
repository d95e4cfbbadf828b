/*
 * fuzz_headers.c: the header value parsers, one per input. The first byte
 * picks the parser (its value modulo FZ_NKINDS) and, in its high bits,
 * the flags some of them take; the rest is the header value:
 *
 *   0  Depth          dav_parse_depth
 *   1  Overwrite      dav_parse_overwrite
 *   2  Timeout        dav_parse_timeout (LOCK's default and maximum, and 0..UINT_MAX)
 *   3  Lock-Token     dav_parse_lock_token
 *   4  Range          cf_http_range_parse; 8 bytes of representation size first
 *   5  dates          cf_http_date_parse (If-Modified-Since, Win32LastModifiedTime)
 *   6  If-Match       cf_http_etag_match; "list\netag", flags: exists, weak
 *   7  Destination    dav_url_to_path against Host "localhost:8080"; flag: TLS
 *
 * Corpus files are named after the parser (depth-*, range-*...) so that a
 * reader sees which one they feed.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dav_int.h"
#include "coffer/conf.h"
#include "coffer/http.h"
#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: say where, then crash. */
#define FZ_FAIL() \
    (fprintf(stderr, "%s:%d: invariant broken\n", __FILE__, __LINE__), abort())

#define FZ_NKINDS 8

static void
fz_inside(struct cf_str s, struct cf_str in)
{
    if (s.len > 0 && (s.p < in.p || s.p + s.len > in.p + in.len))
        FZ_FAIL();
}

static void
fz_range(struct cf_str v)
{
    struct cf_range out[CF_MAX_RANGES];
    uint64_t size = 0;
    int n;

    if (v.len < 8)
        return;
    for (int i = 0; i < 8; i++)
        size = size << 8 | (unsigned char)v.p[i];
    /* small sizes reach the edges more often than 2^64 does */
    if (!(size >> 63))
        size &= 0xffff;
    v = cf_str_make(v.p + 8, v.len - 8);
    for (int max = 1; max <= CF_MAX_RANGES + 1; max += CF_MAX_RANGES) {
        n = cf_http_range_parse(v, size, out, max);
        if (n < -1 || n > max || n > CF_MAX_RANGES)
            FZ_FAIL();
        for (int i = 0; i < n; i++) {
            /* satisfiable, sorted, merged */
            if (out[i].first > out[i].last || out[i].last >= size)
                FZ_FAIL();
            if (i > 0 && out[i].first <= out[i - 1].last + 1)
                FZ_FAIL();
        }
    }
}

static void
fz_etag(struct cf_str v, unsigned flags)
{
    ssize_t nl = cf_str_find(v, '\n');
    struct cf_str list = v, etag = CF_STR("\"abc\"");

    if (nl >= 0) {
        list = cf_str_make(v.p, (size_t)nl);
        etag = cf_str_make(v.p + nl + 1, v.len - (size_t)nl - 1);
    }
    (void)cf_http_etag_match(list, etag, flags & 1, flags & 2);
}

static void
fz_destination(struct cf_str v, unsigned flags)
{
    struct cf_conf conf;
    struct cf_req req;
    struct dav_ctx ctx;
    struct dav_req d;
    struct dav_path out;
    int rc;

    cf_conf_defaults(&conf);
    memset(&req, 0, sizeof(req));
    memset(&ctx, 0, sizeof(ctx));
    memset(&d, 0, sizeof(d));
    req.pool = cf_pool_new(4096);
    req.conf = &conf;
    req.host = CF_STR("localhost:8080");
    req.tls = flags & 1;
    ctx.conf = &conf;
    d.ctx = &ctx;
    d.req = &req;
    rc = dav_url_to_path(&d, v, &out);
    if (rc == 0 && (out.path == NULL || out.path[0] != '/' || out.len > conf.max_path))
        FZ_FAIL();
    if (rc != 0 && rc != 400 && rc != 414 && rc != 502)
        FZ_FAIL();
    cf_pool_free(req.pool);
    cf_conf_release(&conf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cf_str v;
    unsigned kind, flags;

    if (size == 0)
        return 0;
    kind = data[0] % FZ_NKINDS;
    flags = data[0] / FZ_NKINDS;
    v = cf_str_make((const char *)data + 1, size - 1);

    switch (kind) {
    case 0: {
        int depth = 42;

        if (dav_parse_depth(v, &depth) == 0 && depth != 0 && depth != 1 &&
            depth != DAV_DEPTH_INFINITY)
            FZ_FAIL();
        break;
    }
    case 1: {
        bool ow;

        (void)dav_parse_overwrite(v, &ow);
        break;
    }
    case 2: {
        unsigned t = dav_parse_timeout(v, CF_DEFAULT_LOCK_TIMEOUT_S, CF_DEFAULT_LOCK_TIMEOUT_MAX_S);

        if (t > CF_DEFAULT_LOCK_TIMEOUT_MAX_S)
            FZ_FAIL();
        t = dav_parse_timeout(v, 0, UINT_MAX);
        (void)t;
        break;
    }
    case 3: {
        struct cf_str tok;

        if (dav_parse_lock_token(v, &tok) == 0) {
            fz_inside(tok, v);
            if (tok.len == 0 || tok.len > 200)
                FZ_FAIL();
        }
        break;
    }
    case 4:
        fz_range(v);
        break;
    case 5: {
        time_t t;

        (void)cf_http_date_parse(v, &t);
        break;
    }
    case 6:
        fz_etag(v, flags);
        break;
    case 7:
        fz_destination(v, flags);
        break;
    }
    return 0;
}
