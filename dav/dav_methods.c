/*
 * dav_methods.c: GET/HEAD (RFC 7231, 7232, 7233), PUT (RFC 4918 9.7),
 * DELETE (9.6), MKCOL (9.3), COPY and MOVE (9.8, 9.9).
 *
 * Every method that changes state evaluates the If header and the locks
 * through dav_check_write(), asks acl through dav_allowed(), and turns
 * storage errors into statuses through dav_status_from_stor().
 *
 * What each method asks (DESIGN.md, "The access model"; RFC 3744
 * Appendix B gives the same shape in DAV privileges):
 *   GET, HEAD      ACL_READ on a file; on a collection, only that he may
 *                  see it (the index then lists what he may see in it)
 *   PUT            ACL_WRITE on the file; on the parent for a new one
 *   MKCOL          ACL_WRITE on the parent
 *   DELETE         ACL_DELETE on it and on every member below
 *   COPY           source: ACL_READ (every member for Depth: infinity);
 *                  destination: ACL_WRITE on its parent when new, ACL_WRITE
 *                  and ACL_DELETE on it (and ACL_DELETE below) when it is
 *                  overwritten; across repositories alike
 *   MOVE           as COPY, with ACL_DELETE on the source too
 * Trees are checked whole before anything is done. A resource the caller
 * may not see answers as a missing one. Quota (RFC 4331): a PUT, COPY or
 * MOVE that would take a repository past its quota is a 507.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "dav_int.h"
#include "coffer/banned.h"

/* ---- GET and HEAD ---- */

/* RFC 7232 6: the order in which preconditions are evaluated. */
static int
dav_get_preconditions(struct cf_req *req, const char *etag, time_t mtime)
{
    const struct cf_str *h;
    time_t t;

    if ((h = cf_req_header(req, CF_STR("If-Match"))) != NULL) {
        if (!cf_http_etag_match(*h, cf_str_from(etag), true, false))
            return 412;
    } else if ((h = cf_req_header(req, CF_STR("If-Unmodified-Since"))) != NULL &&
               cf_http_date_parse(*h, &t) == 0 && mtime > t) {
        return 412;
    }
    if ((h = cf_req_header(req, CF_STR("If-None-Match"))) != NULL) {
        if (cf_http_etag_match(*h, cf_str_from(etag), true, true))
            return 304;
    } else if ((h = cf_req_header(req, CF_STR("If-Modified-Since"))) != NULL &&
               cf_http_date_parse(*h, &t) == 0 && mtime <= t) {
        return 304;
    }
    return 0;
}

/* RFC 7233 3.2: serve the range only if If-Range still names this version. */
static bool
dav_if_range_holds(struct cf_req *req, const char *etag, time_t mtime)
{
    const struct cf_str *h = cf_req_header(req, CF_STR("If-Range"));
    time_t t;

    if (h == NULL)
        return true;
    if (h->len > 0 && (h->p[0] == '"' || h->p[0] == 'W'))
        return cf_http_etag_match(*h, cf_str_from(etag), true, false);
    return cf_http_date_parse(*h, &t) == 0 && t == mtime;
}

/* len bytes of the file from off: from the thread's copy, or from fd (taken) */
static void
dav_get_send(struct cf_req *req, const struct stor_fcached *fc, int fd, uint64_t off,
             uint64_t len)
{
    if (fc != NULL)
        cf_resp_ref(req, fc->data + off, (size_t)len, stor_fcache_release, stor_fcache_hold(fc));
    else if (len > 0)
        cf_resp_file(req, fd, off, len);
    else
        close(fd);
}

int
dav_get(struct dav_req *d)
{
    struct cf_req *req = d->req;
    struct dav_res *r = &d->res;
    struct cf_range ranges[CF_MAX_RANGES];
    struct stor_stat st;
    const struct stor_fcached *fc = NULL;
    char etag[80], date[30], tbuf[STOR_MIME_MAX];
    const char *type, *name;
    int fd = -1, rc, n = 0;

    if (!r->exists)
        return 404;
    /* a collection he may only see (on the way to something granted) is
     * listed with what he may see in it, as PROPFIND lists it */
    if ((rc = dav_allowed(d, r, r->st.is_dir ? DAV_A_VISIBLE : ACL_READ)) != 0)
        return rc;
    if (r->st.is_dir || r->kind != DAV_REPO)
        return dav_index(d);
    /* a small file is served from the thread's copy while r->st still names it */
    rc = r->st.size <= STOR_FCACHE_FILE
             ? stor_fcache_get(d->ctx->fcache, d->ctx->mime, r->repo, r->path, &r->st, &fc)
             : -EAGAIN;
    if (rc == -EAGAIN)
        rc = stor_open_read(r->repo, r->path, &fd, &st);
    else if (rc == 0)
        st = fc->st;
    if (rc < 0)
        return dav_status_from_stor(rc, 404);
    dav_etag(&st, etag);
    cf_http_date(st.mtime.tv_sec, date);
    if ((rc = dav_get_preconditions(req, etag, st.mtime.tv_sec)) != 0) {
        if (fd >= 0)
            close(fd);
        if (rc == 304) {
            cf_resp_header(req, "ETag", "%s", etag);
            cf_resp_header(req, "Last-Modified", "%s", date);
        }
        return rc;
    }
    name = strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 : r->path;
    type = fc != NULL ? fc->type : stor_mime_type(d->ctx->mime, name, -1, fd, &st, tbuf);
    cf_resp_header(req, "ETag", "%s", etag);
    cf_resp_header(req, "Last-Modified", "%s", date);
    cf_resp_header(req, "Accept-Ranges", "bytes");
    /* a stored HTML or SVG file must not run script in our origin */
    cf_resp_header(req, "Content-Security-Policy", "sandbox");
    cf_resp_header(req, "X-Content-Type-Options", "nosniff");

    const struct cf_str *range = cf_req_header(req, CF_STR("Range"));
    if (range != NULL && dav_if_range_holds(req, etag, st.mtime.tv_sec))
        n = cf_http_range_parse(*range, st.size, ranges, CF_MAX_RANGES);
    if (n < 0) {
        if (fd >= 0)
            close(fd);
        cf_resp_header(req, "Content-Range", "bytes */%llu", (unsigned long long)st.size);
        return 416;
    }
    if (n == 0) {
        cf_resp_header(req, "Content-Type", "%s", type);
        dav_get_send(req, fc, fd, 0, st.size);
        return 200;
    }
    if (n == 1) {
        cf_resp_header(req, "Content-Type", "%s", type);
        cf_resp_header(req, "Content-Range", "bytes %llu-%llu/%llu",
                       (unsigned long long)ranges[0].first, (unsigned long long)ranges[0].last,
                       (unsigned long long)st.size);
        dav_get_send(req, fc, fd, ranges[0].first, ranges[0].last - ranges[0].first + 1);
        return 206;
    }
    /* RFC 7233 4.1: several ranges as multipart/byteranges */
    unsigned char rnd[8];
    char boundary[17];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(boundary, sizeof(boundary), rnd, sizeof(rnd));
    cf_resp_header(req, "Content-Type", "multipart/byteranges; boundary=%s", boundary);
    for (int i = 0; i < n; i++) {
        struct cf_buf part = CF_BUF_INIT;
        int pfd = fc != NULL ? -1 : i + 1 < n ? dup(fd) : fd;

        cf_buf_addf(&part, "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu"
                           "\r\n\r\n", boundary, type, (unsigned long long)ranges[i].first,
                    (unsigned long long)ranges[i].last, (unsigned long long)st.size);
        cf_resp_addbuf(req, &part);
        cf_buf_release(&part);
        if (fc == NULL && pfd < 0) {
            close(fd);
            return 500;
        }
        dav_get_send(req, fc, pfd, ranges[i].first, ranges[i].last - ranges[i].first + 1);
    }
    struct cf_buf end = CF_BUF_INIT;
    cf_buf_addf(&end, "\r\n--%s--\r\n", boundary);
    cf_resp_addbuf(req, &end);
    cf_buf_release(&end);
    return 206;
}

/* ---- PUT ---- */

/* X-OC-Mtime (rclone, ownCloud clients): seconds since the epoch, maybe with
 * a fraction. */
static int
dav_parse_oc_mtime(struct cf_str v, struct timespec *out)
{
    ssize_t dot = cf_str_find(v, '.');
    uint64_t s, frac = 0;
    size_t flen = 0;

    v = cf_str_trim(v);
    dot = cf_str_find(v, '.');
    if (cf_parse_u64(v.p, dot < 0 ? v.len : (size_t)dot, (uint64_t)INT32_MAX * 4, &s) < 0)
        return -EINVAL;
    if (dot >= 0) {
        flen = v.len - (size_t)dot - 1;
        if (flen == 0 || flen > 9 || cf_parse_u64(v.p + dot + 1, flen, 999999999, &frac) < 0)
            return -EINVAL;
        for (size_t i = flen; i < 9; i++)
            frac *= 10;
    }
    out->tv_sec = (time_t)s;
    out->tv_nsec = (long)frac;
    return 0;
}

/*
 * RFC 4331: true if writing size bytes in place of old ones would take
 * repo past its quota (none when quota is 0).
 */
static bool
dav_over_quota(struct stor_repo *repo, uint64_t old, uint64_t size)
{
    uint64_t used;

    if (repo->quota == 0)
        return false;
    used = stor_repo_usage(repo);
    used -= old < used ? old : used;
    return size > repo->quota || used > repo->quota - size;
}

/* The bytes a COPY or MOVE of r would write (0 for a collection without its members). */
static uint64_t
dav_res_bytes(const struct dav_res *r, bool infinite)
{
    uint64_t n = 0;

    if (!r->exists)
        return 0;
    if (!r->st.is_dir)
        return r->st.size;
    if (infinite && stor_tree_size(r->repo, r->path, &n) < 0)
        return 0;
    return n;
}

int
dav_put_begin(struct dav_req *d)
{
    struct cf_req *req = d->req;
    struct dav_res *r = &d->res;
    const struct cf_str *h;
    char etag[80];
    uint64_t expect;
    time_t t;
    int rc;

    if (r->kind != DAV_REPO || r->path[0] == '\0') {
        /* RFC 4918 9.7.2: PUT on a collection */
        cf_resp_header(req, "Allow", "OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, "
                                     "MKCOL, COPY, MOVE, LOCK, UNLOCK");
        req->err_msg = "a collection cannot be written with PUT";
        return 405;
    }
    /* write on the file; for a new one, on its parent (RFC 3744 Appendix B) */
    if ((rc = dav_allowed(d, r, ACL_WRITE | DAV_A_NEW)) != 0)
        return rc;
    if (r->exists && r->st.is_dir) {
        cf_resp_header(req, "Allow", "OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, "
                                     "MKCOL, COPY, MOVE, LOCK, UNLOCK");
        req->err_msg = "a collection cannot be written with PUT";
        return 405;
    }
    if (d->url.slash) {
        req->err_msg = "a file name cannot end with /";
        return 400;
    }
    if (cf_req_header(req, CF_STR("Content-Range")) != NULL) {
        /* RFC 7231 4.3.4: a partial PUT must be refused */
        req->err_msg = "PUT with Content-Range is not supported";
        return 400;
    }
    if (r->exists)
        dav_etag(&r->st, etag);
    /* RFC 7232: If-Match, If-None-Match (* = create only), If-Unmodified-Since */
    if ((h = cf_req_header(req, CF_STR("If-Match"))) != NULL &&
        !cf_http_etag_match(*h, cf_str_from(r->exists ? etag : ""), r->exists, false))
        return 412;
    if ((h = cf_req_header(req, CF_STR("If-None-Match"))) != NULL &&
        cf_http_etag_match(*h, cf_str_from(r->exists ? etag : ""), r->exists, true))
        return 412;
    if (r->exists && (h = cf_req_header(req, CF_STR("If-Unmodified-Since"))) != NULL &&
        cf_http_date_parse(*h, &t) == 0 && r->st.mtime.tv_sec > t)
        return 412;
    if ((h = cf_req_header(req, CF_STR("X-OC-Mtime"))) != NULL) {
        if (dav_parse_oc_mtime(*h, &d->mtime) < 0) {
            req->err_msg = "X-OC-Mtime must be seconds since 1970";
            return 400;
        }
        d->has_mtime = true;
    }
    /*
     * RFC 4331 / RFC 4918 11.5: 507 before a byte is read when the length
     * is known: Content-Length, or Finder's X-Expected-Entity-Length on a
     * chunked body. Any other chunked body is measured at its end.
     */
    if (req->has_length) {
        expect = req->content_length;
    } else if ((h = cf_req_header(req, CF_STR("X-Expected-Entity-Length"))) == NULL ||
               cf_parse_u64(cf_str_trim(*h).p, cf_str_trim(*h).len, UINT64_MAX, &expect) < 0) {
        expect = 0;
    }
    if (dav_over_quota(r->repo, r->exists ? r->st.size : 0, expect)) {
        req->err_msg = "the repository's quota would be exceeded";
        return 507;
    }
    if ((rc = dav_check_write(d, r, DAV_W_TARGET | (r->exists ? 0 : DAV_W_MEMBERSHIP), NULL)))
        return rc;
    /* what dav_resolve found a moment ago; stor_put_commit notices a file made since */
    if ((rc = stor_put_begin_known(r->repo, r->path, r->exists ? &r->st : NULL, &d->put)) < 0) {
        if (rc == -ENOENT || rc == -ENOTDIR)
            req->err_msg = "the parent collection does not exist";
        return dav_status_from_stor(rc, 409);   /* RFC 4918 9.7.1 */
    }
    d->put_open = true;
    req->sink = CF_BODY_FD;
    req->body_fd = d->put.fd;
    return 0;
}

int
dav_put_finish(struct dav_req *d)
{
    struct cf_req *req = d->req;
    const struct cf_str *h;
    struct stor_stat st;
    bool existed;
    char etag[80];
    uint64_t expect;
    int rc;

    if (req->body_errno != 0) {
        rc = -req->body_errno;
        CF_LOG(CF_LOG_WARN, "%s: writing '%s' in '%s' failed: %s", __func__, d->res.path,
               d->res.repo->name, strerror(req->body_errno));
        /* the temporary file goes in dav_done(); the old content stays */
        req->err_msg = rc == -ENOSPC || rc == -EDQUOT
                           ? "the server's disk is full; the file was not stored"
                           : "the server could not write the file; it was not stored";
        return dav_status_from_stor(rc, 409);
    }
    /* Finder's chunked PUT says how long it should be (CLIENTS.md) */
    if ((h = cf_req_header(req, CF_STR("X-Expected-Entity-Length"))) != NULL &&
        cf_parse_u64(cf_str_trim(*h).p, cf_str_trim(*h).len, UINT64_MAX, &expect) == 0 &&
        expect != req->body_received) {
        req->err_msg = "the body is shorter or longer than X-Expected-Entity-Length";
        return 400;
    }
    /* RFC 4331: what a chunked body came to, against the quota, before it lands */
    if (dav_over_quota(d->res.repo, d->put.existed ? d->put.old_size : 0, req->body_received)) {
        d->put_open = false;
        stor_put_abort(&d->put);
        req->err_msg = "the repository's quota would be exceeded";
        return 507;
    }
    d->put_open = false;
    rc = stor_put_commit(&d->put, d->ctx->conf->fsync, d->has_mtime ? &d->mtime : NULL, &st);
    existed = d->put.existed;   /* true also when another writer made it meanwhile */
    if (rc < 0)
        return dav_status_from_stor(rc, 409);
    dav_etag(&st, etag);
    cf_resp_header(req, "ETag", "%s", etag);
    if (d->has_mtime)
        cf_resp_header(req, "X-OC-Mtime", "accepted");
    return existed ? 204 : 201;
}

/* ---- DELETE, and the multistatus of failed members ---- */

struct dav_fail {
    struct dav_req *d;
    const struct stor_repo *repo;
    struct cf_buf body;         /* <D:response> elements */
    size_t count;
    const struct cf_buf *locked;
};

static void
dav_fail_cb(void *arg, const char *path, int err)
{
    struct dav_fail *f = arg;
    int status = dav_status_from_stor(err, 404);

    if (f->count++ > 1000)
        return;     /* enough to act on; the rest are like these */
    cf_buf_adds(&f->body, "<D:response><D:href>");
    dav_href_path(&f->body, f->repo, path, false);
    cf_buf_adds(&f->body, "</D:href>");
    dav_xml_status(&f->body, status);
    if (status == 423)
        cf_buf_adds(&f->body, "<D:error><D:lock-token-submitted/></D:error>");
    cf_buf_adds(&f->body, "</D:response>");
}

static int
dav_delete_check(void *arg, const char *path, bool is_dir)
{
    struct dav_fail *f = arg;

    (void)is_dir;
    if (f->locked != NULL && dav_path_in_roots(f->locked, path))
        return -ENOLCK;     /* locked by a token that was not submitted */
    return 0;
}

static int
dav_multistatus(struct dav_req *d, struct dav_fail *f)
{
    return dav_multistatus_send(d, cf_buf_str(&f->body));
}

/*
 * Removes r (a file, or a collection with everything in it). Returns 0 when
 * all is gone, 207 after writing the failed members, or another status.
 */
static int
dav_remove(struct dav_req *d, const struct dav_res *r, const struct cf_buf *locked)
{
    struct dav_fail f = { .d = d, .repo = r->repo, .locked = locked };
    /* grants go with the file ids the database drops (acl.h) */
    bool grants = acl_engine_has_grants_below(d->ctx->acl, r->repo, r->path);
    int rc;

    cf_buf_init(&f.body);
    rc = stor_delete(r->repo, r->path, dav_delete_check, dav_fail_cb, &f, d->ctx->conf->fsync);
    if (rc == 0) {
        stor_meta_delete(d->ctx->db, r->repo, r->path);
    } else if (rc == 1) {
        /* RFC 4918 9.6.1: the members that could not go, in a 207 */
        stor_meta_prune(d->ctx->db, r->repo, r->path);
        rc = dav_multistatus(d, &f);
    } else {
        rc = dav_status_from_stor(rc, 404);
    }
    if (grants)
        dav_grants_follow(d, r->repo, NULL);
    cf_buf_release(&f.body);
    return rc;
}

int
dav_delete(struct dav_req *d)
{
    struct cf_req *req = d->req;
    struct dav_res *r = &d->res;
    const struct cf_str *h = cf_req_header(req, CF_STR("Depth"));
    struct cf_buf locked = CF_BUF_INIT;
    int depth = DAV_DEPTH_INFINITY, rc;

    if (r->kind != DAV_REPO) {
        cf_resp_header(req, "Allow", "OPTIONS, GET, HEAD, PROPFIND");
        return 405;
    }
    if (!r->exists)
        return 404;
    if (r->path[0] == '\0') {
        req->err_msg = "a repository is removed by an administrator, not with DELETE";
        return 403;
    }
    /* RFC 4918 9.6.1: DELETE on a collection acts as Depth: infinity */
    if (h != NULL && (dav_parse_depth(*h, &depth) < 0 ||
                      (r->st.is_dir && depth != DAV_DEPTH_INFINITY))) {
        req->err_msg = "DELETE of a collection takes Depth: infinity only";
        return 400;
    }
    if ((rc = dav_allowed(d, r, ACL_DELETE)) != 0)
        return rc;
    {
        /*
         * Every member goes, so every member must allow it, and the whole
         * tree is checked before anything is removed. RFC 4918 9.6.1: the
         * 207 names the members; 424 SHOULD NOT be given for DELETE.
         */
        struct dav_refusals x;

        dav_refusals_init(&x);
        dav_allowed_below(d, r, ACL_DELETE, &x);
        rc = dav_refusals_finish(d, &x, NULL);
        dav_refusals_release(&x);
        if (rc != 0)
            return rc;
    }
    if ((rc = dav_check_write(d, r, DAV_W_TARGET | DAV_W_MEMBERSHIP | DAV_W_BELOW, &locked)))
        goto out;
    rc = dav_remove(d, r, &locked);
    if (rc == 0)
        rc = 204;
out:
    cf_buf_release(&locked);
    return rc;
}

/* ---- MKCOL ---- */

int
dav_mkcol(struct dav_req *d)
{
    struct dav_res *r = &d->res;
    int rc;

    /* RFC 4918 9.3.1: MKCOL on an existing resource (one he may see: a
     * hidden one is, to him, unmapped, and what he may do there decides) */
    if (r->kind != DAV_REPO || (r->exists && dav_allowed(d, r, DAV_A_VISIBLE) == 0)) {
        cf_resp_header(d->req, "Allow", "OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, "
                                        "COPY, MOVE, LOCK, UNLOCK");
        return 405;
    }
    /* RFC 3744 Appendix B: MKCOL is DAV:bind on the parent */
    if ((rc = dav_allowed(d, r, ACL_WRITE | DAV_A_NEW)) != 0)
        return rc;
    if ((rc = dav_check_write(d, r, DAV_W_TARGET | DAV_W_MEMBERSHIP, NULL)) != 0)
        return rc;
    rc = stor_mkcol(r->repo, r->path, d->ctx->conf->fsync);
    if (rc == -ENOENT || rc == -ENOTDIR)
        d->req->err_msg = "the parent collection does not exist";
    return rc == 0 ? 201 : dav_status_from_stor(rc, 409);
}

/* ---- COPY and MOVE ---- */

static bool
dav_path_within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);

    if (n == 0)
        return true;
    return strncmp(inner, outer, n) == 0 && (inner[n] == '/' || inner[n] == '\0');
}

int
dav_copymove(struct dav_req *d)
{
    struct cf_req *req = d->req;
    struct dav_res *src = &d->res, dst;
    struct dav_path url;
    const struct cf_str *h;
    bool move = req->method == CF_M_MOVE, overwrite = true, existed, grants;
    /* the source is read, and for MOVE also removed (RFC 3744 Appendix B:
     * DAV:unbind, which is ACL_DELETE on what goes) */
    unsigned src_want = ACL_READ | (move ? ACL_DELETE : 0);
    int depth = DAV_DEPTH_INFINITY, rc;
    struct dav_fail f = { .d = d };

    if (src->kind != DAV_REPO) {
        req->err_msg = "this collection cannot be copied or moved";
        return 403;
    }
    if (!src->exists)
        return 404;
    /* before anything that could tell a hidden source from a missing one */
    if ((rc = dav_allowed(d, src, src_want)) != 0)
        return rc;
    if ((h = cf_req_header(req, CF_STR("Destination"))) == NULL) {
        req->err_msg = "a Destination header is required";
        return 400;
    }
    if ((rc = dav_url_to_path(d, *h, &url)) != 0) {
        req->err_msg = rc == 502 ? "the Destination names another server"
                                 : "the Destination is not a valid URL";
        return rc;
    }
    if ((rc = dav_resolve(d, &url, &dst)) != 0)
        return rc == 404 ? 409 : rc;    /* no such repository: nowhere to put it */
    if (dst.kind != DAV_REPO || dst.path[0] == '\0') {
        req->err_msg = "the Destination cannot be replaced";
        return 403;
    }
    if ((h = cf_req_header(req, CF_STR("Depth"))) != NULL &&
        (dav_parse_depth(*h, &depth) < 0 || depth == 1 ||
         (move && src->st.is_dir && depth != DAV_DEPTH_INFINITY))) {
        /* RFC 4918 9.8.3: 0 or infinity; 9.9.2: MOVE of a collection is infinity */
        req->err_msg = move ? "MOVE takes Depth: infinity" : "COPY takes Depth 0 or infinity";
        return 400;
    }
    if ((h = cf_req_header(req, CF_STR("Overwrite"))) != NULL &&
        dav_parse_overwrite(*h, &overwrite) < 0) {
        req->err_msg = "Overwrite must be T or F";
        return 400;
    }
    if (src->repo == dst.repo && strcmp(src->path, dst.path) == 0) {
        req->err_msg = "the source and the destination are the same";
        return 403;     /* RFC 4918 9.8.5 */
    }
    if (src->repo == dst.repo && src->st.is_dir && dav_path_within(dst.path, src->path)) {
        req->err_msg = "a collection cannot be copied or moved into itself";
        return 403;
    }
    if (src->repo == dst.repo && dst.exists && dav_path_within(src->path, dst.path)) {
        req->err_msg = "the destination contains the source";
        return 403;
    }
    /*
     * The destination: a new member needs ACL_WRITE on its parent (DAV:bind);
     * one that is overwritten is replaced and removed, so ACL_WRITE and
     * ACL_DELETE on it. A parent he may not see is, to him, a missing one:
     * 409 (RFC 4918 9.8.5), as for a repository he may not see.
     */
    rc = dav_allowed(d, &dst, ACL_WRITE | ACL_DELETE | DAV_A_NEW);
    if (rc == 404) {
        req->err_msg = "the destination's parent collection does not exist";
        return 409;
    }
    if (rc != 0)
        return rc;
    existed = dst.exists;
    {
        /*
         * Depth: infinity: every member of the source, and every member of
         * an overwritten destination, must allow it too; both trees are
         * checked before anything is done. RFC 4918 9.8.5 / 9.9.4: the 207
         * names each refused member by "the most appropriate of the source
         * and destination URLs"; as in 9.8.8's example, the Request-URI is
         * not listed (no 424: the RFC asks for one only with LOCK).
         */
        struct dav_refusals x;

        dav_refusals_init(&x);
        if (depth == DAV_DEPTH_INFINITY)
            dav_allowed_below(d, src, src_want, &x);
        if (existed && overwrite)
            dav_allowed_below(d, &dst, ACL_DELETE, &x);
        rc = dav_refusals_finish(d, &x, NULL);
        dav_refusals_release(&x);
        if (rc != 0)
            return rc;
    }
    if (existed && !overwrite) {
        req->err_msg = "the destination exists and Overwrite is F";
        return 412;     /* RFC 4918 9.8.4, 9.9.3 */
    }
    {
        /* the destination's parent must exist: 409 (9.8.5) */
        const char *slash = strrchr(dst.path, '/');
        struct stor_stat pst;

        if (slash != NULL) {
            char *parent = cf_pool_strndup(req->pool, dst.path, (size_t)(slash - dst.path));

            if (stor_stat(dst.repo, parent, &pst) < 0 || !pst.is_dir) {
                req->err_msg = "the destination's parent collection does not exist";
                return 409;
            }
        }
    }
    /*
     * RFC 4331: the bytes written into the destination's repository, less
     * those of what they overwrite; a MOVE inside one repository adds none.
     */
    if (dst.repo->quota > 0 && (!move || src->repo != dst.repo) &&
        dav_over_quota(dst.repo, existed ? dav_res_bytes(&dst, true) : 0,
                       dav_res_bytes(src, depth != 0))) {
        req->err_msg = "the repository's quota would be exceeded";
        return 507;
    }
    if (move && (rc = dav_check_write(d, src, DAV_W_TARGET | DAV_W_MEMBERSHIP | DAV_W_BELOW,
                                      NULL)) != 0)
        return rc;
    if ((rc = dav_check_write(d, &dst, DAV_W_TARGET | DAV_W_MEMBERSHIP |
                                       (existed ? DAV_W_BELOW : 0), NULL)) != 0)
        return rc;
    if (existed) {
        /* 9.8.4 / 9.9.3: Overwrite: T deletes the destination first */
        if ((rc = dav_remove(d, &dst, NULL)) != 0)
            return rc == 207 ? 424 : rc;
    }
    f.repo = dst.repo;
    cf_buf_init(&f.body);
    if (move) {
        /* grants follow the file ids (acl.h); COPY makes new ids, without grants */
        grants = acl_engine_has_grants_below(d->ctx->acl, src->repo, src->path);
        rc = stor_rename(src->repo, src->path, dst.repo, dst.path, d->ctx->conf->fsync);
        if (rc == 0) {
            stor_meta_move(d->ctx->db, src->repo, src->path, dst.repo, dst.path);
            if (grants)
                dav_grants_follow(d, src->repo, dst.repo);
        }
    } else {
        rc = stor_copy(src->repo, src->path, dst.repo, dst.path, depth != 0, dav_fail_cb, &f,
                       d->ctx->conf->fsync);
        if (rc >= 0)
            stor_meta_copy(d->ctx->db, src->repo, src->path, dst.repo, dst.path, depth != 0);
    }
    if (rc == 1) {
        rc = dav_multistatus(d, &f);
    } else if (rc < 0) {
        rc = dav_status_from_stor(rc, 409);
    } else {
        rc = existed ? 204 : 201;
    }
    cf_buf_release(&f.body);
    return rc;
}
