/*
 * app.c: the request handler main gives the server: per-thread contexts,
 * authentication, and routing to the WebDAV module.
 *
 * Order for every request: OPTIONS is answered before anything else
 * (Windows and Office must see the DAV headers without credentials), then
 * the caller is identified (one place: cf_auth_request), then the URL
 * decides who handles it. A request without credentials gets a 401 with a
 * challenge, never a 403 (CLIENTS.md: clients send credentials only when
 * challenged).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/app.h"
#include "coffer/auth.h"
#include "coffer/dav.h"
#include "coffer/log.h"
#include "coffer/storage.h"
#include "coffer/banned.h"

enum { CF_ROUTE_NONE, CF_ROUTE_DAV };

struct cf_app_thread {
    struct cf_app *app;
    struct stor_db *db;
    struct stor_mime *mime;
    struct cf_auth_cache *cache;
    struct dav_ctx dav;
};

void *
cf_app_thread_init(void *arg, unsigned index)
{
    struct cf_app *app = arg;
    struct cf_app_thread *t = cf_xcalloc(1, sizeof(*t));

    (void)index;
    t->app = app;
    if (stor_db_open(app->db_path, &t->db) < 0) {
        free(t);
        return NULL;
    }
    t->mime = stor_mime_new();
    t->cache = cf_auth_cache_new(app->auth);
    t->dav.conf = app->conf;
    t->dav.db = t->db;
    t->dav.repos = app->repos;
    t->dav.mime = t->mime;
    t->dav.acl = app->acl;
    return t;
}

void
cf_app_thread_free(void *tctx)
{
    struct cf_app_thread *t = tctx;

    if (t == NULL)
        return;
    cf_auth_cache_free(t->cache);
    stor_mime_free(t->mime);
    stor_db_free(t->db);
    free(t);
}

static bool
cf_app_path_is(struct cf_str p, const char *prefix)
{
    size_t n = strlen(prefix);

    return p.len >= n && memcmp(p.p, prefix, n) == 0 && (p.len == n || p.p[n] == '/');
}

int
cf_app_begin(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;
    struct cf_str path = req->path_raw;
    int rc;

    if (cf_str_eq(path, CF_STR("/favicon.ico")) &&
        (req->method == CF_M_GET || req->method == CF_M_HEAD))
        return 204;     /* answered quietly (CLIENTS.md 9) */
    if (!cf_app_path_is(path, "/dav") && !cf_str_eq(path, CF_STR("/")) &&
        path.len > 0 && path.p[0] == '/') {
        if (req->method == CF_M_OPTIONS)
            return dav_options(req);
        return 404;
    }
    req->route = CF_ROUTE_DAV;
    if (req->method == CF_M_OPTIONS)
        return dav_begin(&t->dav, req);
    if ((rc = cf_auth_request(t->cache, t->db, req)) != 0) {
        if (rc == 401)
            cf_auth_challenge(req);
        return rc;
    }
    if (req->user_id == 0) {
        cf_auth_challenge(req);
        req->err_msg = "log in to continue";
        return 401;
    }
    return dav_begin(&t->dav, req);
}

/* Runs on a blocking-work thread: req->tctx is that thread's context. */
static int
cf_app_dav_job(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;

    return dav_finish(&t->dav, req);
}

int
cf_app_finish(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;

    if (req->route == CF_ROUTE_DAV) {
        if (dav_blocking(req))
            return cf_req_defer(req, cf_app_dav_job);
        return dav_finish(&t->dav, req);
    }
    return 500;
}

void
cf_app_done(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;

    if (req->route == CF_ROUTE_DAV)
        dav_done(&t->dav, req);
}

int
cf_app_bootstrap(struct cf_app *app, struct stor_db *db)
{
    const struct cf_conf *conf = app->conf;
    char hash[ACL_HASH_MAX], gen[32];
    const char *pw = getenv("COFFER_ADMIN_PASSWORD");
    int64_t n, id;
    int rc;

    if ((rc = stor_user_count(db, &n)) < 0 || n > 0)
        return rc;
    if (pw == NULL || pw[0] == '\0') {
        /* 20 characters from an alphabet without look-alikes */
        static const char abc[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        for (int i = 0; i < 20; i++)
            gen[i] = abc[randombytes_uniform(sizeof(abc) - 1)];
        gen[20] = '\0';
        pw = gen;
    }
    if ((rc = acl_password_hash(pw, strlen(pw), conf->argon2_ops, conf->argon2_mem, hash)) < 0)
        return rc;
    if ((rc = stor_user_create(db, "admin", "Administrator", "", "administrator", hash, &id)) < 0)
        return rc;
    if ((rc = stor_repo_create(app->repos, db, "admin", id, 0, NULL)) < 0 && rc != -EEXIST)
        return rc;
    if (pw == gen) {
        printf("Created the administrator 'admin' with the password: %s\n"
               "(shown this once only; set COFFER_ADMIN_PASSWORD before the first start to "
               "choose it)\n", gen);
        fflush(stdout);
    } else {
        cf_log(CF_LOG_INFO, "created the administrator 'admin' with the password from "
               "COFFER_ADMIN_PASSWORD");
    }
    sodium_memzero(gen, sizeof(gen));
    return 0;
}
