/*
 * auth.h: who is calling. The one place that turns a request's credentials
 * into a user: HTTP Basic (account password or app password), a browser
 * session cookie, or a personal access token (Bearer, for the REST API).
 *
 * HTTP Basic: the password is checked with argon2id once; the verified
 * credential is then kept in a per-thread cache keyed by a keyed hash
 * (SipHash, 128 bits) of the Authorization value as sent (the password
 * itself is never kept), so the next requests cost a hash and a lookup.
 * Entries expire (auth-cache) and are all dropped when the auth epoch
 * moves (ident.h), which every change of a password, a status, a role or
 * 2FA does, in cofferd or in cofferctl.
 *
 * A user with 2FA on can use only app passwords over Basic. Failures are
 * throttled (throttle.h) and written to the audit log.
 */
#ifndef COFFER_AUTH_H
#define COFFER_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "coffer/conf.h"
#include "coffer/http.h"

struct stor_db;
struct stor_user;
struct acl_epoch;
struct acl_ident;
struct cf_auth;
struct cf_auth_cache;

/* req->auth_via */
enum cf_auth_via {
    CF_AUTH_NONE = 0,
    CF_AUTH_BASIC,
    CF_AUTH_SESSION,            /* a browser: unsafe methods need the CSRF token */
    CF_AUTH_TOKEN,
    CF_AUTH_BENCH,              /* bench-as-user */
};

#define CF_SESSION_COOKIE "coffer_session"

/* Process-wide state (cache key, cost, epoch, throttle). epoch is borrowed. */
struct cf_auth *cf_auth_new(const struct cf_conf *conf, struct acl_epoch *epoch);
void cf_auth_free(struct cf_auth *a);
/* Drops every cached credential in every thread and process. */
void cf_auth_invalidate(struct cf_auth *a);

/* One cache per worker thread. */
struct cf_auth_cache *cf_auth_cache_new(struct cf_auth *a);
void cf_auth_cache_free(struct cf_auth_cache *c);

/* The size of the keyed hash of the credentials that keys the cache. */
#define CF_AUTH_HASH_BYTES 16

/*
 * The cache's two halves, which cf_auth_request() uses (public for the
 * tests). cf_auth_cache_find() returns the user id cached for hash h while
 * the entry is of epoch and not expired at now, with *login pointing into
 * the cache (valid until the next store), or 0. cf_auth_cache_store() keeps
 * h for user for auth-cache seconds from now; it evicts, within h's set of
 * entries, an empty, expired or older-epoch entry first, else the one used
 * least recently.
 */
int64_t cf_auth_cache_find(struct cf_auth_cache *c, const unsigned char h[CF_AUTH_HASH_BYTES],
                           unsigned epoch, time_t now, const char **login);
void cf_auth_cache_store(struct cf_auth_cache *c, const unsigned char h[CF_AUTH_HASH_BYTES],
                         int64_t user, const char *login, unsigned epoch, time_t now);

/*
 * Basic credentials c holds: 0 with req->user_id set as cf_auth_request()
 * would; 1 when they need a password check (argon2id, some 30 ms) c has
 * not cached, which an event loop thread leaves to a pool thread's
 * cf_auth_request(), so that its other connections do not wait, keeping
 * the answer with cf_auth_adopt(); -1 for anything else (no Basic
 * credentials, or Basic refused here): cf_auth_request() answers.
 */
int cf_auth_cached(struct cf_auth_cache *c, struct cf_req *req);
/* Keeps in c the Basic login another thread's cf_auth_request() verified for req. */
void cf_auth_adopt(struct cf_auth_cache *c, const struct cf_req *req);

/*
 * Authenticates req from its Authorization header or session cookie;
 * Bearer tokens only with allow_bearer. Returns 0 with req->user_id,
 * req->user_login and req->auth_via set (user_id 0 when no credentials
 * came), or the status to answer with req->err_msg set: 401 (wrong
 * credentials), 400 (a malformed header), 403 (a blocked account, Basic
 * over plain HTTP), 429 (throttled; Retry-After added).
 */
int cf_auth_request(struct cf_auth_cache *c, struct stor_db *db, struct cf_req *req,
                    bool allow_bearer);

/* Adds the WWW-Authenticate challenge of a 401 to req. */
void cf_auth_challenge(struct cf_req *req);

/*
 * The login form: checks login and password and, when the user has 2FA on,
 * the code (TOTP or recovery code). Returns 0 with *u filled (strings from
 * req->pool), or a status with req->err_msg set: 401 wrong login or
 * password, 403 refused (blocked...), 429 throttled, or 428 when the
 * password was right but a second-factor code is needed (or was wrong).
 */
int cf_auth_form_login(struct cf_auth *a, struct acl_ident *x, struct cf_req *req,
                       const char *login, const char *pw, const char *code,
                       struct stor_user *u);

/*
 * Starts a browser session for user: stores it (hashed) and adds the
 * Set-Cookie header (HttpOnly, SameSite=Lax, Secure under TLS; with
 * remember, persistent for remember-lifetime, else a session cookie valid
 * session-lifetime). Sets req->csrf. Returns 0 or a negative errno.
 */
int cf_auth_session_start(struct cf_auth *a, struct stor_db *db, struct cf_req *req,
                          int64_t user, bool remember);
/* Ends the request's session (if any) and clears the cookie. */
void cf_auth_session_end(struct stor_db *db, struct cf_req *req);
/* True if t equals the session's CSRF token (constant time). */
bool cf_auth_csrf_ok(const struct cf_req *req, struct cf_str t);

#endif
