/*
 * auth.h: who is calling. The one place that turns an Authorization header
 * into a user id.
 *
 * HTTP Basic: the password is checked with argon2id once; the verified
 * credential is then kept in a per-thread cache keyed by a keyed BLAKE2b
 * hash of login and password (the password itself is never kept), so the
 * next requests cost a hash and a lookup. Entries expire (auth-cache) and
 * are all dropped when cf_auth_invalidate() is called, which the user
 * administration does whenever a password or a status changes.
 */
#ifndef COFFER_AUTH_H
#define COFFER_AUTH_H

#include <stdint.h>

#include "coffer/conf.h"
#include "coffer/http.h"

struct stor_db;
struct cf_auth;
struct cf_auth_cache;

/* Process-wide state (cache key, cost, generation). */
struct cf_auth *cf_auth_new(const struct cf_conf *conf);
void cf_auth_free(struct cf_auth *a);
/* Drops every cached credential in every thread. Safe from any thread. */
void cf_auth_invalidate(struct cf_auth *a);

/* One cache per worker thread. */
struct cf_auth_cache *cf_auth_cache_new(struct cf_auth *a);
void cf_auth_cache_free(struct cf_auth_cache *c);

/*
 * Authenticates req. Returns 0 with req->user_id and req->user_login set
 * (user_id 0 when no credentials came), 401 for credentials that do not
 * verify, or 400 for a malformed Authorization header.
 */
int cf_auth_request(struct cf_auth_cache *c, struct stor_db *db, struct cf_req *req);

/* Adds the WWW-Authenticate challenge of a 401 to req. */
void cf_auth_challenge(struct cf_req *req);

#endif
