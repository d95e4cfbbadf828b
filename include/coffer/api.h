/*
 * api.h: the REST API under /api/v1 (DESIGN.md "REST essentials"; every
 * call is documented in docs/openapi.yaml).
 *
 * JSON in and out (jansson). Errors are the right status and
 * {"error": {"code": "...", "message": "..."}}; lists are
 * {"items": [...], "next": cursor-or-null} with ?limit= (1..500, default
 * 100) and ?cursor=. Names, not numbers, in paths.
 *
 * begin() runs on the event loop once the caller is known: it only checks
 * the body's type and size and keeps it in memory. finish() runs on the
 * blocking-work pool (argon2id, SQLite writes and SMTP may take a while),
 * parses the body and dispatches to one handler per call.
 */
#ifndef COFFER_API_H
#define COFFER_API_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "coffer/conf.h"
#include "coffer/http.h"
#include "coffer/ident.h"
#include "coffer/storage.h"

struct cf_auth;

/* What the API needs of the thread it runs on. */
struct cf_api_ctx {
    const struct cf_conf *conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct acl_epoch *epoch;
    struct cf_auth *auth;
    struct acl_engine *acl;
};

/* req is authenticated (req->user_id may be 0); returns 0 to read the body, or a status. */
int cf_api_begin(struct cf_api_ctx *ctx, struct cf_req *req);
/* Runs the call; returns the status (the body is JSON). */
int cf_api_finish(struct cf_api_ctx *ctx, struct cf_req *req);
/* A JSON error response for statuses decided before finish (401, 403, 429...). */
void cf_api_error_body(struct cf_req *req, int status);

/* ---- for the handlers (api_*.c) ---- */

#define CF_API_MAX_SEGS 8

struct cf_api_call {
    struct cf_req *req;
    struct cf_api_ctx *ctx;
    json_t *body;                       /* the request's JSON object, or NULL */
    struct stor_user me;                /* the caller (strings from req->pool) */
    uint32_t faculties;                 /* of his user role */
    struct acl_ident x;                 /* acting as him, for the audit log */
    const char *seg[CF_API_MAX_SEGS];   /* decoded path segments after /api/v1/ */
    size_t nseg;
};

/* Answers {"error": {...}} with status; message formatted. Returns status. */
int cf_api_error(struct cf_api_call *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answers an identity failure: maps rc to a status, with c->x.why as the message. */
int cf_api_fail(struct cf_api_call *c, int rc);
/* Answers obj as JSON with status (takes the reference). Returns status. */
int cf_api_reply(struct cf_api_call *c, int status, json_t *obj);
/* 204 No Content. */
int cf_api_no_content(struct cf_api_call *c);
/* 405 with the methods allowed ("GET, POST") in Allow. Returns 405. */
int cf_api_not_allowed(struct cf_api_call *c, const char *allow);
/* The request's method, HEAD counted as GET (the server drops the body). */
enum cf_method cf_api_method(const struct cf_api_call *c);
/* A failed read of the database: 5xx with a message saying so. */
int cf_api_db_fail(struct cf_api_call *c, int rc);

/* The decoded value of query parameter name (from req->pool), or NULL. */
const char *cf_api_query(struct cf_api_call *c, const char *name);
/* ?limit= within 1..500 (default 100); -1 after answering 400. */
int cf_api_limit(struct cf_api_call *c);

/*
 * Body fields. Each returns 0 with the value, 1 when the field is absent
 * (or null, with *out NULL / unchanged), or -1 after answering 400 naming the
 * field and the type it must have.
 */
int cf_api_str(struct cf_api_call *c, const char *key, const char **out);
int cf_api_bool(struct cf_api_call *c, const char *key, bool *out);
/* An RFC 3339 time as unix seconds; null gives 1 with *out 0. */
int cf_api_time(struct cf_api_call *c, const char *key, int64_t *out);
/* Answers 400 if the body has a key not in the NULL-terminated list. */
int cf_api_only(struct cf_api_call *c, const char *const *keys);

/* Parses RFC 3339 ("2026-12-31T18:00:00Z", offsets allowed). 0 or -EINVAL. */
int cf_api_parse_time(const char *s, int64_t *out);
/* RFC 3339 UTC string for t, or JSON null for 0. */
json_t *cf_api_time_json(int64_t t);

/* A user as JSON; full adds what only administrators and he himself see. */
json_t *cf_api_user_json(const struct stor_user *u, bool full);
/* Finds the user named by login: 0, or the status answered (404 if none or invisible to c). */
int cf_api_user_lookup(struct cf_api_call *c, const char *login, struct stor_user *u);
/* True if the caller holds the faculty; else answers 403 and returns false. */
bool cf_api_need(struct cf_api_call *c, uint32_t faculty);

/* Handlers (api_users.c, api_me.c): each returns the status it answered. */
int cf_api_users(struct cf_api_call *c);        /* /users... */
int cf_api_roles(struct cf_api_call *c);        /* /roles... */
int cf_api_audit(struct cf_api_call *c);        /* /audit */
int cf_api_me(struct cf_api_call *c);           /* /me... */

/* Handlers (api_groups.c, api_repos.c): each returns the status it answered. */
int cf_api_groups(struct cf_api_call *c);               /* /groups... */
int cf_api_principals(struct cf_api_call *c);           /* /principals */
int cf_api_group_roles(struct cf_api_call *c);          /* /group-roles... */
int cf_api_element_roles(struct cf_api_call *c);        /* /element-roles... */
int cf_api_repositories(struct cf_api_call *c);         /* /repositories... */
/* GET /users/{login}/groups, for cf_api_users (u: the user, visible to c). */
int cf_api_user_groups(struct cf_api_call *c, const struct stor_user *u);

/* Shared by api_groups.c and api_repos.c. */
/* Finds the group called name if c may see it: 0, or the status answered (404). */
int cf_api_group_lookup(struct cf_api_call *c, const char *name, struct stor_group *g);
/* A group as JSON: name, colour, personal, position, private, created. */
json_t *cf_api_group_json(const struct stor_group *g);
/* The names of element faculties (group false) or group faculties in f, as a JSON list. */
json_t *cf_api_faculties_json(unsigned f, bool group);

/*
 * Emails a link (kind "invite" or "reset") to u: makes the token, renders
 * the template with message (may be NULL) and sends it. Returns 0 with
 * *expires, or a status after answering.
 */
int cf_api_send_link(struct cf_api_call *c, const struct stor_user *u, const char *kind,
                     const char *message, int64_t *expires);

#endif
