/*
 * dav.c: the entry points of the WebDAV module, URL resolution, the one
 * access question, and the mapping of storage errors to statuses.
 *
 * URL space (DESIGN.md): "/" is a virtual collection whose only member is
 * "dav/"; "/dav/" lists the repositories the caller may see; everything
 * below "/dav/<repo>/" is files. A collection answers at its URL with or
 * without the trailing slash, never with a redirect (CLIENTS.md 2).
 *
 * Access: dav_allowed() is the one place a method asks acl; its answer
 * follows DESIGN.md's rule, 403 for a refusal of what the caller may see
 * and 404 for what he may not (acl_path_visible), so that a hidden name
 * and a missing one answer alike. dav_allowed_below() extends a Depth:
 * infinity question to every member of a tree before anything is done.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dav_int.h"
#include "coffer/banned.h"

int
dav_status_from_stor(int err, int missing)
{
    switch (-err) {
    case 0:
        return 200;
    case ENOENT:
    case ENOTDIR:
        return missing;
    case EEXIST:
        return 405;     /* RFC 4918 9.3.1: MKCOL on an existing resource */
    case EACCES:
    case EPERM:
    case ELOOP:         /* a symbolic link: never followed, never served */
    case EROFS:
        return 403;
    case ENOSPC:
    case EDQUOT:
        return 507;
    case ENAMETOOLONG:
        return 414;
    case EBUSY:
        return 503;
    case EISDIR:
        return 405;
    case ENOTEMPTY:
        return 409;
    case ENOLCK:
        return 423;     /* a member locked by someone else */
    default:
        return 500;
    }
}

bool
dav_is_apple_file(const char *name)
{
    return (name[0] == '.' && name[1] == '_') || strcmp(name, ".DS_Store") == 0;
}

void
dav_etag(const struct stor_stat *st, char out[80])
{
    uint64_t m = (uint64_t)st->mtime.tv_sec * 1000000000ull + (uint64_t)st->mtime.tv_nsec;

    const uint64_t v[3] = { st->ino, st->size, m };
    char *p = out;

    /* inode, size and nanosecond mtime: changes whenever a PUT lands (a new
     * inode every time), strong from the first moment (CLIENTS.md 1). In
     * lower-case hex, written by hand: a listing makes one per entry. */
    *p++ = '"';
    for (int i = 0; i < 3; i++) {
        int bits = v[i] ? (64 - __builtin_clzll(v[i]) + 3) / 4 * 4 : 4;

        while (bits > 0) {
            bits -= 4;
            *p++ = "0123456789abcdef"[(v[i] >> bits) & 15];
        }
        *p++ = i < 2 ? '-' : '"';
    }
    *p = '\0';
}

void
dav_href_path(struct cf_buf *b, const struct stor_repo *repo, const char *path,
              bool collection)
{
    cf_buf_adds(b, "/dav/");
    if (repo != NULL) {
        cf_buf_add_urlenc(b, cf_str_from(repo->name));
        cf_buf_addc(b, '/');
        if (path[0] != '\0') {
            cf_buf_add_urlenc(b, cf_str_from(path));
            if (collection)
                cf_buf_addc(b, '/');
        }
    }
}

void
dav_href(struct cf_buf *b, const struct dav_res *r)
{
    if (r->kind == DAV_SERVER_ROOT) {
        cf_buf_addc(b, '/');
        return;
    }
    dav_href_path(b, r->kind == DAV_REPO ? r->repo : NULL, r->kind == DAV_REPO ? r->path : "",
                  !r->exists || r->st.is_dir);
}

void
dav_error_body(struct cf_req *req, const char *condition, const struct cf_buf *hrefs)
{
    struct cf_buf b = CF_BUF_INIT;

    cf_resp_reset(req);
    dav_xml_head(&b);
    cf_buf_addf(&b, "<D:error xmlns:D=\"DAV:\"><D:%s>", condition);
    if (hrefs != NULL)
        cf_buf_add(&b, hrefs->data, hrefs->len);
    cf_buf_addf(&b, "</D:%s></D:error>\n", condition);
    cf_resp_header(req, "Content-Type", "application/xml; charset=utf-8");
    cf_resp_addbuf(req, &b);
    cf_buf_release(&b);
}

int
dav_resolve(struct dav_req *d, const struct dav_path *url, struct dav_res *out)
{
    struct cf_str p = cf_str_make(url->path, url->len);
    struct cf_str name, rest;
    ssize_t slash;
    int rc;

    memset(out, 0, sizeof(*out));
    if (cf_str_eq(p, CF_STR("/"))) {
        out->kind = DAV_SERVER_ROOT;
        out->exists = true;
        out->st.is_dir = true;
        out->path = "";
        return 0;
    }
    if (!cf_str_has_prefix(p, CF_STR("/dav")) || (p.len > 4 && p.p[4] != '/'))
        return 404;
    if (p.len <= 5) {
        out->kind = DAV_DAV_ROOT;
        out->exists = true;
        out->st.is_dir = true;
        out->path = "";
        return 0;
    }
    rest = cf_str_make(p.p + 5, p.len - 5);
    slash = cf_str_find(rest, '/');
    name = cf_str_make(rest.p, slash < 0 ? rest.len : (size_t)slash);
    out->kind = DAV_REPO;
    out->repo = stor_repos_find(d->ctx->repos, name);
    if (out->repo == NULL || !acl_repo_visible(d->ctx->acl, d->req->user_id, out->repo))
        return 404;
    out->path = slash < 0 ? "" : rest.p + slash + 1;
    rc = stor_stat(out->repo, out->path, &out->st);
    if (rc == -ENOENT && url->raw != NULL) {
        /* a name stored decomposed (NFD) by another program: try it as sent */
        struct dav_path raw = *url;
        struct dav_res r2;

        raw.path = url->raw;
        raw.len = strlen(url->raw);
        raw.raw = NULL;
        if (dav_resolve(d, &raw, &r2) == 0 && r2.exists) {
            *out = r2;
            return 0;
        }
    }
    out->exists = rc == 0;
    if (rc < 0 && rc != -ENOENT && rc != -ENOTDIR) {
        /* a link or a special file: it is there, but not ours to serve;
         * where the caller may not look, it is not there at all */
        if (!acl_path_visible(d->ctx->acl, d->req->user_id, out->repo, out->path))
            return 404;
        if (rc == -ELOOP || rc == -EPERM)
            return 403;
        return dav_status_from_stor(rc, 404);
    }
    if (out->exists && !out->st.is_dir && url->slash)
        return 404;     /* "file/" names nothing */
    return 0;
}

/* Host header or URL authority without a default port, for comparison. */
static struct cf_str
dav_authority(struct cf_str a, bool tls)
{
    struct cf_str dflt = tls ? CF_STR(":443") : CF_STR(":80");

    if (a.len > dflt.len && cf_str_eq(cf_str_make(a.p + a.len - dflt.len, dflt.len), dflt))
        a.len -= dflt.len;
    return a;
}

int
dav_url_to_path(struct dav_req *d, struct cf_str url, struct dav_path *out)
{
    struct cf_str path;
    ssize_t cut;

    url = cf_str_trim(url);
    if (cf_str_has_prefix_ci(url, CF_STR("http://")) ||
        cf_str_has_prefix_ci(url, CF_STR("https://"))) {
        bool https = url.p[4] == 's' || url.p[4] == 'S';
        size_t skip = https ? 8 : 7;
        struct cf_str rest = cf_str_make(url.p + skip, url.len - skip);
        ssize_t slash = cf_str_find(rest, '/');
        struct cf_str auth = cf_str_make(rest.p, slash < 0 ? rest.len : (size_t)slash);

        /* RFC 4918 9.8.5 / 9.9.4: a destination on another server is a 502 */
        if (!cf_str_eq_ci(dav_authority(auth, https), dav_authority(d->req->host, d->req->tls)))
            return 502;
        path = slash < 0 ? CF_STR("/") : cf_str_make(rest.p + slash, rest.len - (size_t)slash);
    } else if (url.len > 0 && url.p[0] == '/') {
        path = url;
    } else {
        return 400;
    }
    if ((cut = cf_str_find(path, '?')) >= 0)
        path.len = (size_t)cut;
    if ((cut = cf_str_find(path, '#')) >= 0)
        path.len = (size_t)cut;
    return dav_path_normalize(d->req->pool, path, d->ctx->conf->max_path, out);
}

const char *
dav_parent_path(struct dav_req *d, const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? cf_pool_strndup(d->req->pool, path, (size_t)(slash - path)) : "";
}

int
dav_allowed(struct dav_req *d, const struct dav_res *r, unsigned want)
{
    struct acl_engine *e = d->ctx->acl;
    int64_t user = d->req->user_id;
    const char *path = r->path;
    unsigned need = want & ACL_ALL;

    if (r->kind != DAV_REPO)
        return 0;       /* the virtual collections show only what is visible */
    if ((want & DAV_A_NEW) && path[0] != '\0' &&
        (!r->exists || !acl_path_visible(e, user, r->repo, path))) {
        /*
         * RFC 3744 Appendix B: creating a member is DAV:bind on the parent
         * collection, which is ACL_WRITE there. A hidden resource is
         * treated as unmapped, so the answer says nothing of it.
         */
        path = dav_parent_path(d, path);
        need = ACL_WRITE;
    }
    if (need == 0 ? acl_path_visible(e, user, r->repo, path)
                  : acl_check(e, user, r->repo, path, need))
        return 0;
    /* DESIGN.md: refusing what he may see is 403, what he may not see 404 */
    if (need == 0 || !acl_path_visible(e, user, r->repo, path))
        return 404;
    d->req->err_msg = "you do not have permission for this";
    return 403;
}

unsigned
dav_faculties(struct dav_req *d, const struct dav_res *r)
{
    if (r->kind != DAV_REPO)
        return ACL_READ;
    return acl_engine_faculties(d->ctx->acl, d->req->user_id, r->repo, r->path);
}

void
dav_refusals_init(struct dav_refusals *x)
{
    memset(x, 0, sizeof(*x));
    cf_buf_init(&x->body);
    cf_buf_init(&x->named);
}

void
dav_refusals_release(struct dav_refusals *x)
{
    cf_buf_release(&x->body);
    cf_buf_release(&x->named);
}

/* Names path in x once (403), unless it was named already. */
static void
dav_refusals_add(struct dav_refusals *x, const struct stor_repo *repo, const char *path,
                 bool is_dir)
{
    for (size_t off = 0; off < x->named.len;) {
        const char *p = x->named.data + off;

        if (strcmp(p, path) == 0)
            return;
        off += strlen(p) + 1;
    }
    if (x->n++ >= 1000)
        return;     /* enough to act on; the rest are like these */
    cf_buf_add(&x->named, path, strlen(path) + 1);
    cf_buf_adds(&x->body, "<D:response><D:href>");
    dav_href_path(&x->body, repo, path, is_dir);
    cf_buf_adds(&x->body, "</D:href>");
    dav_xml_status(&x->body, 403);
    cf_buf_adds(&x->body, "</D:response>");
}

struct dav_below {
    struct dav_req *d;
    const struct dav_res *root;
    unsigned want;
    struct dav_refusals *x;
    char path[4200];
};

#define DAV_BELOW_MAXDEPTH 256

/* A member the caller may not do want with: named, or its nearest visible ancestor. */
static void
dav_below_refuse(struct dav_below *w, const char *path, bool is_dir)
{
    struct acl_engine *e = w->d->ctx->acl;
    int64_t user = w->d->req->user_id;
    size_t rootlen = strlen(w->root->path);
    char anc[sizeof(w->path)];

    if (acl_path_visible(e, user, w->root->repo, path)) {
        dav_refusals_add(w->x, w->root->repo, path, is_dir);
        return;
    }
    /* never a hidden name: climb to the nearest ancestor he may see */
    snprintf(anc, sizeof(anc), "%s", path);
    for (;;) {
        char *slash = strrchr(anc, '/');

        if (slash == NULL || (size_t)(slash - anc) <= rootlen) {
            w->x->root = true;      /* that is the request root itself */
            return;
        }
        *slash = '\0';
        if (acl_path_visible(e, user, w->root->repo, anc)) {
            dav_refusals_add(w->x, w->root->repo, anc, true);
            return;
        }
    }
}

/* Walks the collection at w->path (len bytes), depth levels below the root. */
static void
dav_below_walk(struct dav_below *w, size_t len, int depth)
{
    struct stor_dir *dir;
    struct stor_stat st;
    const char *name;

    if (depth >= DAV_BELOW_MAXDEPTH || stor_dir_open(w->root->repo, w->path, &dir) < 0)
        return;     /* what cannot be walked cannot be acted on either */
    while (stor_dir_next(dir, &name, &st) > 0) {
        int n = snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len ? "/" : "", name);

        if (n < 0 || (size_t)n >= sizeof(w->path) - len)
            continue;
        if (!acl_check(w->d->ctx->acl, w->d->req->user_id, w->root->repo, w->path, w->want))
            dav_below_refuse(w, w->path, st.is_dir);
        if (st.is_dir)
            dav_below_walk(w, len + (size_t)n, depth + 1);
        w->path[len] = '\0';
    }
    stor_dir_close(dir);
}

void
dav_allowed_below(struct dav_req *d, const struct dav_res *r, unsigned want,
                  struct dav_refusals *x)
{
    struct dav_below w = { .d = d, .root = r, .want = want & ACL_ALL, .x = x };
    int n;

    if (r->kind != DAV_REPO || !r->exists || !r->st.is_dir)
        return;
    /*
     * Without a grant at or below r, every member holds exactly what r
     * holds (grants inherit downwards), which the caller checked already.
     */
    if (!acl_engine_has_grants_below(d->ctx->acl, r->repo, r->path))
        return;
    n = snprintf(w.path, sizeof(w.path), "%s", r->path);
    if (n < 0 || (size_t)n >= sizeof(w.path))
        return;
    dav_below_walk(&w, (size_t)n, 0);
}

int
dav_refusals_finish(struct dav_req *d, struct dav_refusals *x, const struct dav_res *failed)
{
    if (x->root) {
        d->req->err_msg = "you do not have permission for everything this touches";
        return 403;
    }
    if (x->n == 0)
        return 0;
    if (failed != NULL) {
        cf_buf_adds(&x->body, "<D:response><D:href>");
        dav_href(&x->body, failed);
        cf_buf_adds(&x->body, "</D:href>");
        dav_xml_status(&x->body, 424);
        cf_buf_adds(&x->body, "</D:response>");
    }
    return dav_multistatus_send(d, cf_buf_str(&x->body));
}

int
dav_multistatus_send(struct dav_req *d, struct cf_str responses)
{
    struct cf_buf b = CF_BUF_INIT;

    dav_xml_head(&b);
    cf_buf_adds(&b, "<D:multistatus xmlns:D=\"DAV:\">");
    cf_buf_addstr(&b, responses);
    cf_buf_adds(&b, "</D:multistatus>\n");
    cf_resp_reset(d->req);
    cf_resp_header(d->req, "Content-Type", "application/xml; charset=utf-8");
    cf_resp_addbuf(d->req, &b);
    cf_buf_release(&b);
    return 207;
}

void
dav_grants_follow(struct dav_req *d, const struct stor_repo *a, const struct stor_repo *b)
{
    int rc;

    if (a != NULL && (rc = acl_engine_reload_grants(d->ctx->acl, d->ctx->db, a)) < 0)
        CF_LOG(CF_LOG_ERR, "%s: rereading the grants of '%s': %s", __func__, a->name,
               strerror(-rc));
    if (b != NULL && b != a && (rc = acl_engine_reload_grants(d->ctx->acl, d->ctx->db, b)) < 0)
        CF_LOG(CF_LOG_ERR, "%s: rereading the grants of '%s': %s", __func__, b->name,
               strerror(-rc));
}

int
dav_options(struct cf_req *req)
{
    /* RFC 4918 10.1, 18: classes 1 and 2; MS-WDV 3.2.5.2: MS-Author-Via */
    cf_resp_header(req, "DAV", "1, 2");
    cf_resp_header(req, "MS-Author-Via", "DAV");
    cf_resp_header(req, "Allow", DAV_ALLOW);
    cf_resp_header(req, "Accept-Ranges", "bytes");
    return 200;
}

static void
dav_req_init(struct dav_req *d, struct dav_ctx *ctx, struct cf_req *req)
{
    memset(d, 0, sizeof(*d));
    d->ctx = ctx;
    d->req = req;
    d->put.fd = d->put.dirfd = -1;
}

int
dav_begin(struct dav_ctx *ctx, struct cf_req *req)
{
    struct dav_req *d = cf_pool_calloc(req->pool, sizeof(*d));
    int rc;

    dav_req_init(d, ctx, req);
    req->state = d;
    if ((rc = dav_path_normalize(req->pool, req->path_raw, ctx->conf->max_path, &d->url)) != 0) {
        req->err_msg = rc == 414 ? "the path is too long" : "the path is not valid";
        return rc;
    }
    if (req->method == CF_M_OPTIONS)
        return dav_options(req);
    if ((rc = dav_resolve(d, &d->url, &d->res)) != 0)
        return rc;

    switch (req->method) {
    case CF_M_GET:
    case CF_M_HEAD:
        return 0;
    case CF_M_PUT:
        return dav_put_begin(d);
    case CF_M_PROPFIND:
        return dav_propfind_begin(d);
    case CF_M_PROPPATCH:
    case CF_M_LOCK:
        req->sink = CF_BODY_MEM;
        req->body_max = ctx->conf->max_xml_body;
        return 0;
    case CF_M_MKCOL:
        /* RFC 4918 9.3: a body we do not understand is a 415 */
        if ((req->has_length && req->content_length > 0) || req->chunked) {
            req->err_msg = "MKCOL takes no body";
            return 415;
        }
        return 0;
    case CF_M_DELETE:
    case CF_M_COPY:
    case CF_M_MOVE:
    case CF_M_UNLOCK:
        return 0;
    default:
        cf_resp_header(req, "Allow", DAV_ALLOW);
        return 405;
    }
}

int
dav_finish(struct dav_ctx *ctx, struct cf_req *req)
{
    struct dav_req *d = req->state;

    /* a pool thread runs this with its own context (cf_req_defer) */
    d->ctx = ctx;
    switch (req->method) {
    case CF_M_GET:
    case CF_M_HEAD:
        return dav_get(d);
    case CF_M_PUT:
        return dav_put_finish(d);
    case CF_M_PROPFIND:
        return dav_propfind_finish(d);
    case CF_M_PROPPATCH:
        return dav_proppatch_finish(d);
    case CF_M_LOCK:
        return dav_lock_finish(d);
    case CF_M_UNLOCK:
        return dav_unlock(d);
    case CF_M_MKCOL:
        return dav_mkcol(d);
    case CF_M_DELETE:
        return dav_delete(d);
    case CF_M_COPY:
    case CF_M_MOVE:
        return dav_copymove(d);
    default:
        return 405;
    }
}

bool
dav_blocking(const struct cf_req *req)
{
    const struct dav_req *d = req->state;

    switch (req->method) {
    case CF_M_COPY:
    case CF_M_MOVE:
        return true;    /* whole trees, or a rename across filesystems */
    case CF_M_DELETE:
        return d->res.exists && d->res.st.is_dir;
    case CF_M_PUT:
    case CF_M_MKCOL:
        return req->conf->fsync;   /* fsync can take long on a busy disk */
    default:
        return false;
    }
}

void
dav_done(struct dav_ctx *ctx, struct cf_req *req)
{
    struct dav_req *d = req->state;

    (void)ctx;
    if (d == NULL)
        return;
    if (d->put_open) {
        stor_put_abort(&d->put);
        d->put_open = false;
    }
    dav_propfind_done(d);
    req->state = NULL;
}
