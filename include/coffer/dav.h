/*
 * dav.h: WebDAV (RFC 4918 classes 1 and 2) under /dav/, plus the virtual
 * collections "/" and "/dav/".
 *
 * The application authenticates the caller, then hands the request to
 * dav_begin() / dav_finish() / dav_done() (the shape of struct cf_handler).
 * Handlers return HTTP statuses. Access is asked of acl through one
 * function (dav_allowed, dav_int.h); storage errors become statuses in one
 * function (dav_status_from_stor).
 *
 * The parsers for the WebDAV request headers and the path normaliser are
 * public so that unit tests and fuzz targets reach them.
 */
#ifndef COFFER_DAV_H
#define COFFER_DAV_H

#include <stdbool.h>
#include <stdint.h>

#include "coffer/http.h"
#include "coffer/storage.h"
#include "coffer/str.h"

struct acl_engine;
struct dav_pmap;

/* What a worker thread gives the WebDAV handlers (borrowed). */
struct dav_ctx {
    const struct cf_conf *conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct stor_mime *mime;
    struct stor_fcache *fcache;
    struct acl_engine *acl;
    /* the dead properties of the members of the collection this thread
     * listed last, while its database connection sees no write (dav_props.c) */
    struct dav_pmap *pm;
    int64_t pm_repo;
    char *pm_path;
    struct stor_db_mark pm_mark;
};
/* Frees what the thread's ctx keeps between requests. */
void dav_ctx_release(struct dav_ctx *ctx);

int dav_begin(struct dav_ctx *ctx, struct cf_req *req);
/* May run on a blocking-work thread with that thread's ctx (see below). */
int dav_finish(struct dav_ctx *ctx, struct cf_req *req);
void dav_done(struct dav_ctx *ctx, struct cf_req *req);
/*
 * True when dav_finish() may block for long (whole trees, fsync): the
 * application then runs it through cf_req_defer().
 */
bool dav_blocking(const struct cf_req *req);

/*
 * OPTIONS at any URL, answered before authentication (Windows' WebClient
 * and Office give up after a 401 on OPTIONS): DAV: 1, 2, MS-Author-Via: DAV,
 * Allow.
 */
int dav_options(struct cf_req *req);

/* ---- parsers ---- */

#define DAV_DEPTH_INFINITY (-1)

/* RFC 4918 10.2: "0", "1" or "infinity". Returns 0 or -EINVAL. */
int dav_parse_depth(struct cf_str v, int *depth);
/* RFC 4918 10.6: "T" or "F". Returns 0 or -EINVAL. */
int dav_parse_overwrite(struct cf_str v, bool *overwrite);
/*
 * RFC 4918 10.7: the first understood TimeType of a list ("Second-N",
 * "Infinite"), capped at max; an empty or unreadable value gives dflt.
 */
unsigned dav_parse_timeout(struct cf_str v, unsigned dflt, unsigned max);
/*
 * RFC 4918 10.5: Lock-Token is a Coded-URL ("<token>"); the bare token is
 * accepted too (the npm webdav client and some Windows versions send it).
 * Returns 0 with *token pointing into v, or -EINVAL.
 */
int dav_parse_lock_token(struct cf_str v, struct cf_str *token);

/*
 * A request path, percent-decoded once, checked and normalised:
 * "/" followed by segments joined with "/", no empty, "." or ".." segment,
 * no trailing "/" (slash says whether one was sent). Invalid UTF-8 is read
 * as Windows-1252 where that makes sense of it; the result is NFC.
 */
struct dav_path {
    const char *path;           /* e.g. "/dav/admin/a b" (from the pool) */
    size_t len;
    const char *raw;            /* the same before NFC, or NULL if equal */
    bool slash;
};

/*
 * Normalises raw (as it appears in a request line). Returns 0, or the
 * status to answer: 400 (bad escape, NUL, control character, undecodable
 * bytes, ".." above the root, not starting with "/"), 414 (longer than max
 * after decoding).
 */
int dav_path_normalize(struct cf_pool *pool, struct cf_str raw, size_t max,
                       struct dav_path *out);

#endif
