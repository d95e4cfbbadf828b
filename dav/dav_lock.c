/*
 * dav_lock.c: LOCK and UNLOCK (RFC 4918 9.10, 9.11; locks in 6 and 7).
 *
 * Write locks, exclusive or shared, Depth 0 or infinity, with a Timeout
 * that is honoured and capped (CLIENTS.md 5: clients leave locks behind).
 * A LOCK without a body refreshes the lock named in the If header. A LOCK
 * on an unmapped URL creates an empty file (9.10.4). The owner element is
 * kept verbatim and given back in lockdiscovery.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "dav_int.h"
#include "coffer/banned.h"

static void
dav_lock_body(struct dav_req *d, const struct stor_lock *lk, bool collection, time_t now)
{
    struct cf_buf b = CF_BUF_INIT;

    dav_xml_head(&b);
    cf_buf_addf(&b, "<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery><D:activelock>"
                    "<D:locktype><D:write/></D:locktype>"
                    "<D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth>",
                lk->scope == STOR_LOCK_EXCLUSIVE ? "exclusive" : "shared",
                lk->infinite ? "infinity" : "0");
    if (lk->owner != NULL)
        cf_buf_addf(&b, "<D:owner>%s</D:owner>", lk->owner);
    long left = (long)(lk->expires - now);
    cf_buf_addf(&b, "<D:timeout>Second-%ld</D:timeout>"
                    "<D:locktoken><D:href>%s</D:href></D:locktoken><D:lockroot><D:href>",
                left > 0 ? left : 0, lk->token);
    dav_href_path(&b, d->res.repo, lk->path, collection);
    cf_buf_adds(&b, "</D:href></D:lockroot></D:activelock></D:lockdiscovery></D:prop>\n");
    cf_resp_header(d->req, "Content-Type", "application/xml; charset=utf-8");
    cf_resp_addbuf(d->req, &b);
    cf_buf_release(&b);
}

/* A LOCK without a body: refresh the lock whose token the If header names. */
static int
dav_lock_refresh(struct dav_req *d, unsigned timeout)
{
    struct cf_req *req = d->req;
    const struct cf_str *h = cf_req_header(req, CF_STR("If"));
    int rc;

    if (h == NULL) {
        req->err_msg = "a LOCK without a body refreshes a lock: send its token in If";
        return 400;
    }
    if ((rc = dav_check_write(d, &d->res, 0, NULL)) != 0)
        return rc;
    /* try each token of the header: the one that covers this resource */
    for (const char *p = h->p, *end = h->p + h->len; p < end; p++) {
        const char *q;
        char tok[128];
        struct stor_lock lk;
        int64_t expires;

        if (*p != '<' || (q = memchr(p, '>', (size_t)(end - p))) == NULL)
            continue;
        size_t n = (size_t)(q - p - 1);
        if (n == 0 || n >= sizeof(tok) || strncmp(p + 1, "opaquelocktoken:", 16) != 0) {
            p = q;
            continue;
        }
        memcpy(tok, p + 1, n);
        tok[n] = '\0';
        p = q;
        if (stor_lock_get(d->ctx->db, tok, req->pool, &lk) < 0 || lk.repo != d->res.repo->id)
            continue;
        if (!stor_lock_covers(lk.path, lk.infinite, d->res.path))
            continue;
        if (lk.principal != req->user_id) {
            req->err_msg = "that lock belongs to someone else";
            return 403;
        }
        if ((rc = stor_lock_refresh(d->ctx->db, tok, timeout, &expires)) < 0)
            return dav_status_from_stor(rc, 412);
        lk.timeout = timeout;
        lk.expires = expires;
        /* the lock's root is this resource or a collection above it */
        dav_lock_body(d, &lk, strcmp(lk.path, d->res.path) != 0 || d->res.st.is_dir,
                      time(NULL));
        return 200;
    }
    /* RFC 4918 9.10.2: no lock of this resource was named */
    req->err_msg = "no lock of this resource is named in the If header";
    dav_error_body(req, "lock-token-matches-request-uri", NULL);
    return 412;
}

int
dav_lock_finish(struct dav_req *d)
{
    struct cf_req *req = d->req;
    const struct cf_conf *conf = d->ctx->conf;
    const struct cf_str *h;
    struct stor_lock lk;
    const char *conflict = NULL;
    unsigned timeout;
    bool created = false;
    int depth = DAV_DEPTH_INFINITY, rc, status;
    xmlDocPtr doc;
    xmlNodePtr root;

    if (d->res.kind != DAV_REPO) {
        cf_resp_header(req, "Allow", "OPTIONS, GET, HEAD, PROPFIND");
        return 405;
    }
    h = cf_req_header(req, CF_STR("Timeout"));
    timeout = h ? dav_parse_timeout(*h, conf->lock_timeout_s, conf->lock_timeout_max_s)
                : conf->lock_timeout_s;
    if ((h = cf_req_header(req, CF_STR("Depth"))) != NULL &&
        (dav_parse_depth(*h, &depth) < 0 || depth == 1)) {
        req->err_msg = "LOCK takes Depth 0 or infinity";
        return 400;     /* RFC 4918 9.10.3 */
    }
    /*
     * A write lock keeps others from writing, so it takes ACL_WRITE on the
     * resource (RFC 3744 3.2: DAV:write controls the methods that lock).
     * RFC 4918 7.3 / 9.10.4: a LOCK on an unmapped URL creates an empty
     * resource there, a new member of the parent collection: it asks what
     * a PUT of a new file asks, ACL_WRITE on the parent (RFC 3744
     * Appendix B: DAV:bind on the parent), never only a right on a name
     * that does not exist yet.
     */
    if ((rc = dav_allowed(d, &d->res, ACL_WRITE | DAV_A_NEW)) != 0)
        return rc;
    if (req->body.len == 0) {
        if (!d->res.exists)
            return 404;
        return dav_lock_refresh(d, timeout);
    }
    if ((doc = dav_xml_parse(d, &status)) == NULL)
        return status;
    memset(&lk, 0, sizeof(lk));
    root = xmlDocGetRootElement(doc);
    if (!dav_xml_is(root, DAV_NS, "lockinfo")) {
        xmlFreeDoc(doc);
        req->err_msg = "expected a DAV:lockinfo element";
        return 400;
    }
    bool has_type = false;
    for (xmlNodePtr c = dav_xml_first(root); c != NULL; c = dav_xml_next(c)) {
        if (dav_xml_is(c, DAV_NS, "lockscope")) {
            xmlNodePtr s = dav_xml_first(c);

            if (dav_xml_is(s, DAV_NS, "exclusive"))
                lk.scope = STOR_LOCK_EXCLUSIVE;
            else if (dav_xml_is(s, DAV_NS, "shared"))
                lk.scope = STOR_LOCK_SHARED;
        } else if (dav_xml_is(c, DAV_NS, "locktype")) {
            has_type = dav_xml_is(dav_xml_first(c), DAV_NS, "write");
        } else if (dav_xml_is(c, DAV_NS, "owner")) {
            bool xml;
            char *v = dav_xml_content(req->pool, c, &xml);

            if (!xml) {
                /* kept as it will be written back: escaped text */
                struct cf_buf e = CF_BUF_INIT;
                cf_buf_add_xmlesc(&e, cf_str_from(v));
                v = cf_pool_strndup(req->pool, e.data, e.len);
                cf_buf_release(&e);
            }
            lk.owner = v;
        }
    }
    xmlFreeDoc(doc);
    if (lk.scope == 0 || !has_type) {
        req->err_msg = "lockinfo needs a lockscope (exclusive or shared) and locktype write";
        return 400;
    }
    if (depth == DAV_DEPTH_INFINITY && d->res.exists && d->res.st.is_dir) {
        /*
         * A Depth: infinity lock covers every member: each must allow
         * ACL_WRITE, checked before the lock is taken. RFC 4918 9.10.3
         * (and 9.10.9's example): a 207 naming the refused members (403)
         * and, since they are not the resource requested, the Request-URI
         * with 424 Failed Dependency.
         */
        struct dav_refusals x;

        dav_refusals_init(&x);
        dav_allowed_below(d, &d->res, ACL_WRITE, &x);
        rc = dav_refusals_finish(d, &x, &d->res);
        dav_refusals_release(&x);
        if (rc != 0)
            return rc;
    }
    /* the If header is evaluated; lock tokens are not needed to take a lock */
    if ((rc = dav_check_write(d, &d->res, d->res.exists ? 0 : DAV_W_MEMBERSHIP, NULL)) != 0)
        return rc;
    lk.path = d->res.path;
    lk.infinite = depth == DAV_DEPTH_INFINITY;
    lk.timeout = timeout;
    lk.principal = req->user_id;
    if (d->res.path[0] == '\0' && !d->res.exists)
        return 404;
    rc = stor_lock_create(d->ctx->db, d->res.repo, &lk, req->pool, &conflict);
    if (rc == -EBUSY) {
        struct cf_buf hrefs = CF_BUF_INIT;

        cf_buf_adds(&hrefs, "<D:href>");
        dav_href_path(&hrefs, d->res.repo, conflict ? conflict : d->res.path, true);
        cf_buf_adds(&hrefs, "</D:href>");
        dav_error_body(req, "no-conflicting-lock", &hrefs);
        cf_buf_release(&hrefs);
        return 423;     /* RFC 4918 9.10.6 */
    }
    if (rc < 0)
        return dav_status_from_stor(rc, 500);
    if (!d->res.exists) {
        /* 9.10.4: an unmapped URL becomes an empty resource */
        struct stor_put put;
        struct stor_stat st;

        rc = stor_put_begin_known(d->res.repo, d->res.path, NULL, &put);
        if (rc == 0)
            rc = stor_put_commit(&put, conf->fsync, NULL, &st);
        if (rc < 0) {
            stor_lock_remove(d->ctx->db, lk.token);
            return dav_status_from_stor(rc, 409);
        }
        created = true;
    }
    cf_resp_header(req, "Lock-Token", "<%s>", lk.token);
    dav_lock_body(d, &lk, d->res.exists && d->res.st.is_dir, time(NULL));
    return created ? 201 : 200;
}

int
dav_unlock(struct dav_req *d)
{
    struct cf_req *req = d->req;
    const struct cf_str *h = cf_req_header(req, CF_STR("Lock-Token"));
    struct cf_str token;
    struct stor_lock lk;
    char tok[128];
    int rc;

    if (d->res.kind != DAV_REPO)
        return 405;
    if (h == NULL || dav_parse_lock_token(*h, &token) < 0 || token.len >= sizeof(tok)) {
        req->err_msg = "UNLOCK needs a Lock-Token header";
        return 400;
    }
    /* RFC 3744 3.5: the lock's owner may always UNLOCK (and here nobody
     * else may): he need only still see the resource */
    if ((rc = dav_allowed(d, &d->res, DAV_A_VISIBLE)) != 0)
        return rc;
    memcpy(tok, token.p, token.len);
    tok[token.len] = '\0';
    rc = stor_lock_get(d->ctx->db, tok, req->pool, &lk);
    if (rc == -ENOENT || (rc == 0 && lk.repo != d->res.repo->id)) {
        dav_error_body(req, "lock-token-matches-request-uri", NULL);
        return 409;     /* RFC 4918 9.11.1 */
    }
    if (rc < 0)
        return dav_status_from_stor(rc, 500);
    if (!stor_lock_covers(lk.path, lk.infinite, d->res.path)) {
        dav_error_body(req, "lock-token-matches-request-uri", NULL);
        return 409;
    }
    if (lk.principal != req->user_id) {
        req->err_msg = "that lock belongs to someone else";
        return 403;
    }
    if ((rc = stor_lock_remove(d->ctx->db, tok)) < 0)
        return dav_status_from_stor(rc, 409);
    return 204;
}
