/*
 * auth.c: HTTP Basic with a verified-credential cache (see auth.h).
 *
 * The cache is direct-mapped, one per worker thread, so a lookup takes no
 * lock: slot = first bytes of the keyed hash. A wrong password is never
 * cached; an unknown login still costs one argon2id run against a dummy
 * hash, so timing does not tell which logins exist.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/auth.h"
#include "coffer/log.h"
#include "coffer/storage.h"
#include "coffer/banned.h"

#define CF_AUTH_SLOTS 1024
#define CF_AUTH_MAX_DECODED 1024
#define CF_LOGIN_MAX 64

struct cf_auth {
    unsigned char key[crypto_generichash_KEYBYTES];
    char dummy_hash[ACL_HASH_MAX];
    atomic_uint gen;
    unsigned ttl;
};

struct cf_auth_slot {
    unsigned char h[16];
    int64_t user;
    time_t expires;
    unsigned gen;
    char login[CF_LOGIN_MAX + 1];
};

struct cf_auth_cache {
    struct cf_auth *a;
    struct cf_auth_slot slot[CF_AUTH_SLOTS];
};

struct cf_auth *
cf_auth_new(const struct cf_conf *conf)
{
    struct cf_auth *a = cf_xcalloc(1, sizeof(*a));
    unsigned char rnd[16];

    randombytes_buf(a->key, sizeof(a->key));
    randombytes_buf(rnd, sizeof(rnd));
    /* a hash nobody knows the password of, at the configured cost */
    if (acl_password_hash((const char *)rnd, sizeof(rnd), conf->argon2_ops, conf->argon2_mem,
                          a->dummy_hash) < 0)
        cf_fatal("argon2id: cannot hash with argon2-mem=%zu", conf->argon2_mem);
    atomic_init(&a->gen, 1);
    a->ttl = conf->auth_cache_s;
    return a;
}

void
cf_auth_free(struct cf_auth *a)
{
    if (a == NULL)
        return;
    sodium_memzero(a->key, sizeof(a->key));
    free(a);
}

void
cf_auth_invalidate(struct cf_auth *a)
{
    atomic_fetch_add(&a->gen, 1);
}

struct cf_auth_cache *
cf_auth_cache_new(struct cf_auth *a)
{
    struct cf_auth_cache *c = cf_xcalloc(1, sizeof(*c));

    c->a = a;
    return c;
}

void
cf_auth_cache_free(struct cf_auth_cache *c)
{
    if (c == NULL)
        return;
    sodium_memzero(c, sizeof(*c));
    free(c);
}

void
cf_auth_challenge(struct cf_req *req)
{
    cf_resp_header(req, "WWW-Authenticate", "Basic realm=\"%s\", charset=\"UTF-8\"",
                   req->conf->realm);
}

int
cf_auth_request(struct cf_auth_cache *c, struct stor_db *db, struct cf_req *req)
{
    const struct cf_str *h = cf_req_header(req, CF_STR("Authorization"));
    unsigned char dec[CF_AUTH_MAX_DECODED + 1];
    unsigned char hash[16];
    struct cf_str v, login, pw;
    struct stor_user u;
    ssize_t n;
    int rc = 401;

    req->user_id = 0;
    if (h == NULL)
        return 0;
    v = cf_str_trim(*h);
    if (!cf_str_has_prefix_ci(v, CF_STR("Basic ")))
        return 401;     /* a scheme we do not speak: challenge with ours */
    v = cf_str_trim(cf_str_make(v.p + 6, v.len - 6));
    if (v.len > (CF_AUTH_MAX_DECODED / 3 + 1) * 4)
        return 400;
    if ((n = cf_base64_decode(v, dec, CF_AUTH_MAX_DECODED)) < 0)
        return 400;
    dec[n] = '\0';
    ssize_t colon = cf_str_find(cf_str_make((const char *)dec, (size_t)n), ':');
    if (colon <= 0) {
        rc = colon == 0 ? 401 : 400;
        goto out;
    }
    login = cf_str_make((const char *)dec, (size_t)colon);
    pw = cf_str_make((const char *)dec + colon + 1, (size_t)n - (size_t)colon - 1);
    /* Windows may send DOMAIN\user */
    ssize_t bs;
    while ((bs = cf_str_find(login, '\\')) >= 0)
        login = cf_str_make(login.p + bs + 1, login.len - (size_t)bs - 1);
    if (login.len == 0 || login.len > CF_LOGIN_MAX)
        goto out;

    crypto_generichash(hash, sizeof(hash), dec + (login.p - (const char *)dec),
                       (size_t)n - (size_t)(login.p - (const char *)dec), c->a->key,
                       sizeof(c->a->key));
    struct cf_auth_slot *s = &c->slot[(hash[0] | (hash[1] << 8)) % CF_AUTH_SLOTS];
    unsigned gen = atomic_load_explicit(&c->a->gen, memory_order_acquire);
    time_t now = time(NULL);
    if (s->user > 0 && s->gen == gen && s->expires > now &&
        sodium_memcmp(s->h, hash, sizeof(hash)) == 0) {
        req->user_id = s->user;
        req->user_login = cf_pool_strdup(req->pool, cf_str_from(s->login));
        rc = 0;
        goto out;
    }
    if (stor_user_get(db, login, req->pool, &u) < 0 || u.pw_hash == NULL) {
        /* spend the same time as a real check */
        acl_password_verify(c->a->dummy_hash, pw.p, pw.len);
        CF_LOG(CF_LOG_INFO, "login failed for an unknown user from %s", req->peer);
        goto out;
    }
    if (!acl_password_verify(u.pw_hash, pw.p, pw.len)) {
        cf_log(CF_LOG_INFO, "login failed for '%s' from %s: wrong password", u.login, req->peer);
        goto out;
    }
    if (strcmp(u.status, "active") != 0) {
        cf_log(CF_LOG_INFO, "login refused for '%s' from %s: account %s", u.login, req->peer,
               u.status);
        req->err_msg = "this account is blocked";
        rc = 403;
        goto out;
    }
    memcpy(s->h, hash, sizeof(hash));
    s->user = u.id;
    s->gen = gen;
    s->expires = now + (time_t)c->a->ttl;
    size_t ll = strlen(u.login);
    memcpy(s->login, u.login, ll < CF_LOGIN_MAX ? ll + 1 : CF_LOGIN_MAX);
    s->login[CF_LOGIN_MAX] = '\0';
    req->user_id = u.id;
    req->user_login = cf_str_from(u.login);
    rc = 0;
out:
    sodium_memzero(dec, sizeof(dec));
    return rc;
}
