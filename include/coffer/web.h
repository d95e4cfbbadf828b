/*
 * web.h: the browser pages of identity (DESIGN.md "URL layout"): the login
 * form, logging out, accepting an invitation or a password-reset link, and
 * turning two-factor authentication on and off.
 *
 *   GET/POST /login[?next=/dav/...]   the login form; 303 to next on success
 *   POST     /logout                  ends the session (GET is a 405: a link
 *                                     must not log anyone out)
 *   GET/POST /invite/<token>          choose a password; 303 to /account/2fa
 *   GET/POST /account/2fa             enrol (QR code), recovery codes, turn off
 *
 * Pages are HTML5 in UTF-8 without JavaScript, never cached or framed
 * (Cache-Control: no-store, X-Frame-Options: DENY, a Content-Security-Policy
 * that allows inline styles and data: images only). Everything a client sent
 * is HTML-escaped before it is shown; tokens and passwords are never shown
 * or logged.
 *
 * Forms are protected against cross-site requests: the login and invitation
 * forms, which have no session yet, by a double-submit token (a cookie
 * coffer_login_csrf scoped to the form's path and SameSite=Strict, and the
 * same value in a hidden field); the forms of a session by the session's
 * CSRF token (auth.h).
 */
#ifndef COFFER_WEB_H
#define COFFER_WEB_H

#include <stdbool.h>

#include "coffer/http.h"
#include "coffer/pool.h"
#include "coffer/str.h"

struct cf_conf;
struct stor_db;
struct stor_repos;
struct acl_epoch;
struct cf_auth;

/* What the pages need of the thread they run on; every member is borrowed. */
struct cf_web_ctx {
    const struct cf_conf *conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct acl_epoch *epoch;
    struct cf_auth *auth;
};

/*
 * True for the paths this module serves, as sent (still percent-encoded):
 * /login, /logout, /account/2fa, and /invite/<token> where the token is not
 * empty and holds no '/'. The query plays no part.
 */
bool cf_web_owns(struct cf_str path_raw);

/*
 * Runs once the head is complete and the caller authenticated (req->user_id
 * is 0 for anonymous; a session cookie sets req->auth_via to
 * CF_AUTH_SESSION and req->csrf). Checks the method (405 with Allow
 * otherwise) and, for a form, its Content-Type
 * (application/x-www-form-urlencoded, else 415) and chooses the body sink:
 * CF_BODY_MEM, at most 64 KiB. Pages that need a session and have none get
 * a 303 to the login page here. Returns 0 to go on to cf_web_finish(), or
 * the status of the answer it has built (an HTML page).
 */
int cf_web_begin(struct cf_web_ctx *ctx, struct cf_req *req);

/*
 * Builds the page for a request cf_web_begin() accepted and returns its
 * status: 200, 303 (with Location), or an error page (400, 403, 404, 405,
 * 410, 428, 429, 500...). Runs on a blocking-work pool thread: password
 * checks are argon2id runs, and it writes to the database. The request body
 * (it may hold passwords) is wiped before it returns.
 */
int cf_web_finish(struct cf_web_ctx *ctx, struct cf_req *req);

/*
 * Finds field name in an application/x-www-form-urlencoded body (or a query
 * string) and returns its decoded value, NUL-terminated, from pool: '+' is a
 * space and %XX a byte. The first field of that name counts; a field
 * without '=' has the empty value. Returns NULL when the field is absent or
 * when its value is malformed: a bad %-escape, a NUL byte, or bytes that are
 * not UTF-8. Field names are compared whole and after decoding.
 */
const char *cf_web_form_get(struct cf_pool *pool, struct cf_str body, const char *name);

#endif
