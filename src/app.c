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
 *
 * Routes: /api/v1/ (the REST API, which also takes Bearer tokens),
 * /login, /logout, /invite/<token>, /account/2fa (the web pages of
 * identity), and /dav/ with "/" (WebDAV and the index view). A browser
 * session (cookie) may write through WebDAV only with its CSRF token in
 * X-CSRF-Token, so that another site cannot make the browser do it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/api.h"
#include "coffer/app.h"
#include "coffer/auth.h"
#include "coffer/dav.h"
#include "coffer/log.h"
#include "coffer/ident.h"
#include "coffer/storage.h"
#include "coffer/web.h"
#include "coffer/banned.h"

enum { CF_ROUTE_NONE, CF_ROUTE_DAV, CF_ROUTE_API, CF_ROUTE_WEB };

struct cf_app_thread {
    struct cf_app *app;
    struct stor_db *db;
    struct stor_mime *mime;
    struct stor_fcache *fcache;
    struct cf_auth_cache *cache;
    struct dav_ctx dav;
    struct cf_api_ctx api;
    struct cf_web_ctx web;
    unsigned epoch_seen;        /* the auth epoch the registry was synced at */
    bool loop;                  /* an event loop thread, not a pool thread */
};

void *
cf_app_thread_init(void *arg, unsigned index)
{
    struct cf_app *app = arg;
    struct cf_app_thread *t = cf_xcalloc(1, sizeof(*t));

    t->app = app;
    t->loop = index < 1000;     /* pool threads count from 1000 (conn.c) */
    if (stor_db_open(app->db_path, &t->db) < 0) {
        free(t);
        return NULL;
    }
    t->mime = stor_mime_new();
    t->fcache = stor_fcache_new();
    t->cache = cf_auth_cache_new(app->auth);
    t->dav.conf = app->conf;
    t->dav.db = t->db;
    t->dav.repos = app->repos;
    t->dav.mime = t->mime;
    t->dav.fcache = t->fcache;
    t->dav.acl = app->acl;
    t->api = (struct cf_api_ctx){ app->conf, t->db, app->repos, app->epoch, app->auth,
                                  app->acl };
    t->web = (struct cf_web_ctx){ app->conf, t->db, app->repos, app->epoch, app->auth };
    t->epoch_seen = acl_epoch_picture(app->epoch);
    return t;
}

void
cf_app_thread_free(void *tctx)
{
    struct cf_app_thread *t = tctx;

    if (t == NULL)
        return;
    cf_auth_cache_free(t->cache);
    dav_ctx_release(&t->dav);
    stor_mime_free(t->mime);
    stor_fcache_free(t->fcache);
    stor_db_free(t->db);
    free(t);
}

static bool
cf_app_path_is(struct cf_str p, const char *prefix)
{
    size_t n = strlen(prefix);

    return p.len >= n && memcmp(p.p, prefix, n) == 0 && (p.len == n || p.p[n] == '/');
}

/* A pool thread checks a password the loop thread has not cached. */
static int
cf_app_auth_job(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;

    req->auth_status = cf_auth_request(t->cache, t->db, req, req->route == CF_ROUTE_API);
    req->auth_done = true;
    return 0;
}

/*
 * Who is calling. A Basic login this loop thread has not cached costs an
 * argon2id run (some 30 ms), during which its other connections would wait:
 * it runs on a pool thread, and begin() comes back here with the answer.
 */
static int
cf_app_auth(struct cf_app_thread *t, struct cf_req *req, bool allow_bearer)
{
    if (req->auth_done) {
        if (req->auth_status == 0)
            cf_auth_adopt(t->cache, req);
        return req->auth_status;
    }
    if (t->loop) {
        int rc = cf_auth_cached(t->cache, req);

        if (rc == 0)
            return 0;
        if (rc > 0)
            return cf_req_defer(req, cf_app_auth_job);
    }
    return cf_auth_request(t->cache, t->db, req, allow_bearer);
}

/* True for methods that change nothing (RFC 7231 4.2.1, RFC 4918 9.1). */
static bool
cf_app_method_safe(enum cf_method m)
{
    return m == CF_M_GET || m == CF_M_HEAD || m == CF_M_OPTIONS || m == CF_M_PROPFIND;
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
    /*
     * The epoch moves when users or repositories change, here or in
     * cofferctl: then the registry rereads the repositories (one atomic
     * load per request otherwise).
     */
    unsigned epoch = acl_epoch_picture(t->app->epoch);
    if (epoch != t->epoch_seen) {
        stor_repos_sync(t->app->repos, t->db);
        /* another process changed groups or grants: the engine rereads them */
        if (acl_engine_epoch(t->app->acl) != epoch && acl_engine_load(t->app->acl, t->db) == 0)
            acl_engine_set_epoch(t->app->acl, epoch);
        t->epoch_seen = epoch;
    }
    if (cf_app_path_is(path, "/api/v1") || cf_str_eq(path, CF_STR("/api/v1/"))) {
        req->route = CF_ROUTE_API;
        if ((rc = cf_app_auth(t, req, true)) == CF_DEFERRED)
            return rc;
        if (rc != 0) {
            if (rc == 401)
                cf_auth_challenge(req);
            cf_api_error_body(req, rc);
            return rc;
        }
        return cf_api_begin(&t->api, req);
    }
    if (cf_web_owns(path)) {
        req->route = CF_ROUTE_WEB;
        /* the token of an invitation link is a credential: keep it out of the access log */
        if (cf_str_has_prefix(path, CF_STR("/invite/")))
            req->log_target = CF_STR("/invite/(token hidden)");
        if ((rc = cf_app_auth(t, req, false)) != 0 && rc != 401)
            return rc;      /* CF_DEFERRED too */
        if (rc == 401) {
            /* a page with a stale or wrong header: go on as anonymous, the page asks */
            req->user_id = 0;
            cf_resp_reset(req);
        }
        return cf_web_begin(&t->web, req);
    }
    if (!cf_app_path_is(path, "/dav") && !cf_str_eq(path, CF_STR("/")) &&
        path.len > 0 && path.p[0] == '/') {
        if (req->method == CF_M_OPTIONS)
            return dav_options(req);
        return 404;
    }
    req->route = CF_ROUTE_DAV;
    stor_request_begin();       /* the parent folder resolved is kept until done */
    if (req->method == CF_M_OPTIONS)
        return dav_begin(&t->dav, req);
    if ((rc = cf_app_auth(t, req, false)) != 0) {
        if (rc == 401)
            cf_auth_challenge(req);
        return rc;      /* CF_DEFERRED too */
    }
    if (req->user_id == 0) {
        cf_auth_challenge(req);
        req->err_msg = "log in to continue";
        return 401;
    }
    if (req->auth_via == CF_AUTH_SESSION && !cf_app_method_safe(req->method)) {
        const struct cf_str *tok = cf_req_header(req, CF_STR("X-CSRF-Token"));

        if (tok == NULL || !cf_auth_csrf_ok(req, cf_str_trim(*tok))) {
            req->err_msg = "a change from a browser session needs its X-CSRF-Token header";
            return 403;
        }
    }
    return dav_begin(&t->dav, req);
}

/* Runs on a blocking-work thread: req->tctx is that thread's context. */
static int
cf_app_dav_job(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;
    int status;

    stor_request_begin();
    status = dav_finish(&t->dav, req);
    stor_request_end();
    return status;
}

/* The API and the pages hash passwords, write SQLite and send mail: pool threads. */
static int
cf_app_api_job(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;

    return cf_api_finish(&t->api, req);
}

static int
cf_app_web_job(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;

    return cf_web_finish(&t->web, req);
}

int
cf_app_finish(struct cf_req *req)
{
    struct cf_app_thread *t = req->tctx;

    if (req->route == CF_ROUTE_API)
        return cf_req_defer(req, cf_app_api_job);
    if (req->route == CF_ROUTE_WEB)
        return cf_req_defer(req, cf_app_web_job);
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

    if (req->route == CF_ROUTE_DAV) {
        dav_done(&t->dav, req);
        stor_request_end();
    }
}

int
cf_app_bootstrap(struct cf_app *app, struct stor_db *db)
{
    const char *pw = getenv("COFFER_ADMIN_PASSWORD");
    struct acl_ident x = {
        .conf = app->conf, .db = db, .repos = app->repos, .epoch = app->epoch,
        .engine = app->acl, .actor = NULL, .peer = "startup",
    };
    struct acl_user_new n = {
        .login = "admin", .email = "admin@localhost", .role = "administrator",
        .display_name = "Administrator",
    };
    char gen[32];
    int64_t cnt, id;
    int rc;

    if ((rc = stor_user_count(db, &cnt)) < 0 || cnt > 0)
        return rc;
    if (pw == NULL || pw[0] == '\0') {
        /* 20 characters from an alphabet without look-alikes */
        static const char abc[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        for (int i = 0; i < 20; i++)
            gen[i] = abc[randombytes_uniform(sizeof(abc) - 1)];
        gen[20] = '\0';
        pw = gen;
    }
    n.password = pw;
    if ((rc = acl_user_add(&x, &n, &id)) < 0) {
        cf_log(CF_LOG_ERR, "cannot create the administrator 'admin': %s", x.why);
        sodium_memzero(gen, sizeof(gen));
        return rc;
    }
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
