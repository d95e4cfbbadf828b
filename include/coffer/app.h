/*
 * app.h: the application that main wires together: the shared services
 * (repositories, the acl engine, authentication) and the request handler
 * functions given to the server (struct cf_handler).
 */
#ifndef COFFER_APP_H
#define COFFER_APP_H

#include "coffer/conf.h"
#include "coffer/http.h"

struct acl_engine;
struct acl_epoch;
struct cf_auth;
struct stor_db;
struct stor_repos;

struct cf_app {
    const struct cf_conf *conf;
    char *db_path;
    struct stor_repos *repos;
    struct acl_engine *acl;
    struct acl_epoch *epoch;
    struct cf_auth *auth;
};

void *cf_app_thread_init(void *arg, unsigned index);
void cf_app_thread_free(void *tctx);
int cf_app_begin(struct cf_req *req);
int cf_app_finish(struct cf_req *req);
void cf_app_done(struct cf_req *req);

/*
 * On an empty database, creates the administrator "admin" (password from
 * COFFER_ADMIN_PASSWORD, or generated and printed once on stdout) and his
 * personal repository. Returns 0 or a negative errno.
 */
int cf_app_bootstrap(struct cf_app *app, struct stor_db *db);

#endif
