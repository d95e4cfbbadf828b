/*
 * auth.c: who is calling (see auth.h).
 *
 * The Basic cache is one per worker thread, so a lookup takes no lock. It
 * is keyed by a keyed hash (SipHash, 128 bits) of the credentials as sent,
 * so a hit neither decodes nor keeps them. It is set-associative: the first
 * bytes of the hash pick a set of CF_AUTH_WAYS entries, and a new credential
 * takes an empty or stale entry of its set, else the one used least
 * recently. (A
 * direct-mapped cache made two logins that meet in one slot evict each
 * other on every request, each time paying an argon2id run: with 200 users
 * in 1,024 slots some twenty pairs do.) An entry is good while its epoch
 * equals the shared auth epoch. A wrong password is never cached; an
 * unknown login still costs one argon2id run against a dummy hash, so timing
 * does not tell which logins exist. Whether the account is blocked is told
 * only after the password verified, so the message is no oracle either.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/auth.h"
#include "coffer/ident.h"
#include "coffer/log.h"
#include "coffer/storage.h"
#include "coffer/throttle.h"
#include "coffer/banned.h"

_Static_assert(CF_AUTH_HASH_BYTES == crypto_shorthash_siphashx24_BYTES,
               "the cache's key is a SipHash-2-4 with a 128-bit output");

#define CF_AUTH_WAYS 8
#define CF_AUTH_SETS 128        /* 1,024 credentials a thread */
#define CF_AUTH_MAX_DECODED 1024
#define CF_LOGIN_MAX 64
#define CF_WHY_MAX 160

struct cf_auth {
    const struct cf_conf *conf;
    unsigned char key[crypto_shorthash_siphashx24_KEYBYTES];
    char dummy_hash[ACL_HASH_MAX];
    struct acl_epoch *epoch;
    struct cf_throttle *thr;
    unsigned ttl;
};

struct cf_auth_slot {
    unsigned char h[CF_AUTH_HASH_BYTES];
    int64_t user;               /* 0: empty */
    time_t expires;
    uint64_t used;              /* the cache's clock at the last hit */
    unsigned epoch;
    char login[CF_LOGIN_MAX + 1];
};

struct cf_auth_cache {
    struct cf_auth *a;
    int64_t bench_user;         /* bench-as-user, looked up once */
    char bench_login[CF_LOGIN_MAX + 1];
    uint64_t clock;             /* counts lookups and stores, for least recently used */
    struct cf_auth_slot slot[CF_AUTH_SETS][CF_AUTH_WAYS];
};

struct cf_auth *
cf_auth_new(const struct cf_conf *conf, struct acl_epoch *epoch)
{
    struct cf_auth *a = cf_xcalloc(1, sizeof(*a));
    unsigned char rnd[16];

    a->conf = conf;
    randombytes_buf(a->key, sizeof(a->key));
    randombytes_buf(rnd, sizeof(rnd));
    /* a hash nobody knows the password of, at the configured cost */
    if (acl_password_hash((const char *)rnd, sizeof(rnd), conf->argon2_ops, conf->argon2_mem,
                          a->dummy_hash) < 0)
        cf_fatal("argon2id: cannot hash with argon2-mem=%zu", conf->argon2_mem);
    a->epoch = epoch;
    a->thr = cf_throttle_new(conf->throttle_after, conf->throttle_max_s);
    a->ttl = conf->auth_cache_s;
    return a;
}

void
cf_auth_free(struct cf_auth *a)
{
    if (a == NULL)
        return;
    cf_throttle_free(a->thr);
    sodium_memzero(a->key, sizeof(a->key));
    free(a);
}

void
cf_auth_invalidate(struct cf_auth *a)
{
    acl_epoch_bump(a->epoch);
}

struct cf_auth_cache *
cf_auth_cache_new(struct cf_auth *a)
{
    struct cf_auth_cache *c = cf_xcalloc(1, sizeof(*c));

    c->a = a;
    c->bench_user = -1;
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

static struct cf_auth_slot *
cf_auth_cache_set(struct cf_auth_cache *c, const unsigned char h[CF_AUTH_HASH_BYTES])
{
    return c->slot[(h[0] | (h[1] << 8)) % CF_AUTH_SETS];
}

static bool
cf_auth_slot_is_live(const struct cf_auth_slot *s, unsigned epoch, time_t now)
{
    return s->user > 0 && s->epoch == epoch && s->expires > now;
}

/* True if a should be replaced before b: a dead entry first, then the least recently used. */
static bool
cf_auth_slot_goes_before(const struct cf_auth_slot *a, const struct cf_auth_slot *b,
                         unsigned epoch, time_t now)
{
    bool la = cf_auth_slot_is_live(a, epoch, now), lb = cf_auth_slot_is_live(b, epoch, now);

    if (la != lb)
        return !la;
    return a->used < b->used;
}

int64_t
cf_auth_cache_find(struct cf_auth_cache *c, const unsigned char h[CF_AUTH_HASH_BYTES],
                   unsigned epoch, time_t now, const char **login)
{
    struct cf_auth_slot *set = cf_auth_cache_set(c, h);

    for (int i = 0; i < CF_AUTH_WAYS; i++) {
        struct cf_auth_slot *s = &set[i];

        if (cf_auth_slot_is_live(s, epoch, now) &&
            sodium_memcmp(s->h, h, CF_AUTH_HASH_BYTES) == 0) {
            s->used = ++c->clock;
            *login = s->login;
            return s->user;
        }
    }
    return 0;
}

void
cf_auth_cache_store(struct cf_auth_cache *c, const unsigned char h[CF_AUTH_HASH_BYTES],
                    int64_t user, const char *login, unsigned epoch, time_t now)
{
    struct cf_auth_slot *set = cf_auth_cache_set(c, h), *s = NULL;

    for (int i = 0; i < CF_AUTH_WAYS; i++) {
        struct cf_auth_slot *e = &set[i];

        if (e->user > 0 && sodium_memcmp(e->h, h, CF_AUTH_HASH_BYTES) == 0) {
            s = e;              /* the same credential: refreshed in place */
            break;
        }
        if (s == NULL || cf_auth_slot_goes_before(e, s, epoch, now))
            s = e;
    }
    memcpy(s->h, h, CF_AUTH_HASH_BYTES);
    s->user = user;
    s->epoch = epoch;
    s->expires = now + (time_t)c->a->ttl;
    s->used = ++c->clock;
    snprintf(s->login, sizeof(s->login), "%s", login);
}

void
cf_auth_challenge(struct cf_req *req)
{
    cf_resp_header(req, "WWW-Authenticate", "Basic realm=\"%s\", charset=\"UTF-8\"",
                   req->conf->realm);
}

/* The login as the audit log records it: only well-formed logins are echoed. */
static const char *
cf_auth_audit_login(struct cf_str login, char *buf, size_t cap)
{
    if (!acl_login_ok(login) || login.len >= cap)
        return "(not a valid login)";
    memcpy(buf, login.p, login.len);
    buf[login.len] = '\0';
    return buf;
}

/* Records a failed or refused login in the log and the audit log. */
static void
cf_auth_record(struct stor_db *db, struct cf_req *req, const char *action, const char *login,
               const char *detail)
{
    /* the actor of a failed login is whoever tried: unknown */
    struct stor_audit e = {
        .at = (int64_t)time(NULL),
        .actor = NULL,
        .action = action,
        .target = login,
        .peer = req->peer,
        .detail = detail,
    };

    cf_log(CF_LOG_INFO, "%s: '%s' from %s: %s", action, login, req->peer, detail);
    if (stor_audit_add(db, &e) < 0)
        cf_log(CF_LOG_ERR, "audit: could not record %s of '%s'", action, login);
}

static int
cf_auth_throttled(struct cf_req *req, unsigned wait)
{
    cf_resp_header(req, "Retry-After", "%u", wait);
    req->err_msg = "too many failed logins: wait before trying again";
    return 429;
}

/* True for the requests a user must be able to make to turn 2FA on. */
static bool
cf_auth_enrolling(const struct cf_req *req)
{
    return cf_str_has_prefix(req->path_raw, CF_STR("/account/2fa")) ||
           cf_str_eq(req->path_raw, CF_STR("/logout")) ||
           cf_str_eq(req->path_raw, CF_STR("/login")) ||
           cf_str_has_prefix(req->path_raw, CF_STR("/api/v1/me/2fa"));
}

/*
 * Refuses u when he may not log in now (blocked, invited, closed), or when
 * his user role requires 2FA and he has not turned it on (but for the pages
 * that turn it on): 403 with a message saying why, which the pool keeps for
 * the error body.
 */
static int
cf_auth_refuse(struct stor_db *db, struct cf_req *req, const struct stor_user *u)
{
    char why[CF_WHY_MAX];
    bool need2fa = false;

    if (!acl_user_may_login(u, (int64_t)time(NULL), why, sizeof(why))) {
        req->err_msg = cf_pool_strndup(req->pool, why, strlen(why));
        cf_auth_record(db, req, "login.refused", u->login, why);
        return 403;
    }
    if (!u->totp_on && !cf_auth_enrolling(req))
        acl_role_faculties(db, u->role, &need2fa);
    if (need2fa) {
        req->err_msg = "your user role requires two-factor authentication: turn it on at "
                       "/account/2fa, then use app passwords for drives and apps";
        cf_auth_record(db, req, "login.refused", u->login, "2FA required by the user role");
        return 403;
    }
    return 0;
}

/* Verifies a password for u: an app password, or (without 2FA) his own. */
static bool
cf_auth_password_ok(struct stor_db *db, const struct stor_user *u, struct cf_str pw,
                    bool *via_app)
{
    *via_app = false;
    /* app passwords are "xxxx-xxxx-xxxx-xxxx-xxxx": cheap to try first */
    if (pw.len == 24 && pw.p[4] == '-' && pw.p[9] == '-' &&
        acl_apppw_verify(db, u->id, pw.p, pw.len)) {
        *via_app = true;
        return true;
    }
    if (u->totp_on)
        return false;           /* with 2FA on, Basic takes app passwords only */
    return acl_password_verify(u->pw_hash, pw.p, pw.len);
}

/* The credentials of a Basic Authorization header, or false for none. */
static bool
cf_auth_basic_value(const struct cf_req *req, struct cf_str *v)
{
    const struct cf_str *h = cf_req_header(req, CF_STR("Authorization"));
    struct cf_str t;

    if (h == NULL)
        return false;
    t = cf_str_trim(*h);
    if (!cf_str_has_prefix_ci(t, CF_STR("Basic ")))
        return false;
    *v = cf_str_trim(cf_str_make(t.p + 6, t.len - 6));
    return true;
}

/* The key of credentials v in the cache. */
static void
cf_auth_basic_hash(const struct cf_auth *a, struct cf_str v, unsigned char h[CF_AUTH_HASH_BYTES])
{
    /* SipHash with a 128-bit output: keyed, and a fraction of BLAKE2b's cost on a
     * few dozen bytes (it runs for every request) */
    crypto_shorthash_siphashx24(h, (const unsigned char *)v.p, v.len, a->key);
}

/* RFC 7617 4: Basic sends the password in the clear; refused off the machine without TLS */
static bool
cf_auth_basic_allowed(const struct cf_req *req)
{
    return req->tls || req->peer_loopback || req->conf->plain_basic;
}

/*
 * Looks credentials v up in c: true with req's identity set from the cache.
 * Fills h with their key and req->auth_epoch with the epoch looked up in.
 */
static bool
cf_auth_cache_hit(struct cf_auth_cache *c, struct cf_req *req, struct cf_str v,
                  unsigned char h[CF_AUTH_HASH_BYTES])
{
    const char *login;
    int64_t user;

    cf_auth_basic_hash(c->a, v, h);
    req->auth_epoch = acl_epoch_get(c->a->epoch);
    if ((user = cf_auth_cache_find(c, h, req->auth_epoch, time(NULL), &login)) == 0)
        return false;
    req->user_id = user;
    req->user_login = cf_pool_strdup(req->pool, cf_str_from(login));
    req->auth_via = CF_AUTH_BASIC;
    return true;
}

int
cf_auth_cached(struct cf_auth_cache *c, struct cf_req *req)
{
    unsigned char h[CF_AUTH_HASH_BYTES];
    struct cf_str v;

    if (!cf_auth_basic_value(req, &v) || !cf_auth_basic_allowed(req) ||
        v.len > (CF_AUTH_MAX_DECODED / 3 + 1) * 4)
        return -1;
    return cf_auth_cache_hit(c, req, v, h) ? 0 : 1;
}

void
cf_auth_adopt(struct cf_auth_cache *c, const struct cf_req *req)
{
    unsigned char h[CF_AUTH_HASH_BYTES];
    char login[CF_LOGIN_MAX + 1];
    struct cf_str v;

    if (req->auth_via != CF_AUTH_BASIC || req->user_id <= 0 || !cf_auth_basic_value(req, &v) ||
        req->user_login.len > CF_LOGIN_MAX)
        return;
    cf_auth_basic_hash(c->a, v, h);
    memcpy(login, req->user_login.p, req->user_login.len);
    login[req->user_login.len] = '\0';
    /* verified in an epoch since gone, it is stale at once */
    cf_auth_cache_store(c, h, req->user_id, login, req->auth_epoch, time(NULL));
}

static int
cf_auth_basic(struct cf_auth_cache *c, struct stor_db *db, struct cf_req *req, struct cf_str v)
{
    struct cf_auth *a = c->a;
    unsigned char dec[CF_AUTH_MAX_DECODED + 1];
    unsigned char hash[CF_AUTH_HASH_BYTES];
    char lbuf[CF_LOGIN_MAX + 1];
    struct cf_str login, pw;
    struct stor_user u;
    bool via_app;
    ssize_t n;
    int rc = 401;

    if (!cf_auth_basic_allowed(req)) {
        req->err_msg = "Basic authentication over plain HTTP is refused: use HTTPS";
        return 403;
    }
    if (v.len > (CF_AUTH_MAX_DECODED / 3 + 1) * 4)
        return 400;
    /* the cache is keyed by the credentials as sent: a hit decodes nothing */
    if (cf_auth_cache_hit(c, req, v, hash))
        return 0;
    unsigned epoch = req->auth_epoch;
    time_t now = time(NULL);
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

    const char *who = cf_auth_audit_login(login, lbuf, sizeof(lbuf));
    unsigned wait = cf_throttle_wait(a->thr, who, req->peer, now);
    if (wait > 0) {
        rc = cf_auth_throttled(req, wait);
        goto out;
    }
    if (stor_user_get(db, login, req->pool, &u) < 0 || u.pw_hash == NULL) {
        /* spend the same time as a real check */
        acl_password_verify(a->dummy_hash, pw.p, pw.len);
        cf_throttle_fail(a->thr, who, req->peer, now);
        cf_auth_record(db, req, "login.failed", who, "basic: unknown user or no password");
        req->err_msg = "wrong login or password";
        goto out;
    }
    if (!cf_auth_password_ok(db, &u, pw, &via_app)) {
        cf_throttle_fail(a->thr, u.login, req->peer, now);
        cf_auth_record(db, req, "login.failed", u.login,
                       u.totp_on ? "basic: not an app password (2FA is on)"
                                 : "basic: wrong password");
        req->err_msg = u.totp_on ? "two-factor authentication is on for this account: "
                                   "use an app password"
                                 : "wrong login or password";
        goto out;
    }
    if ((rc = cf_auth_refuse(db, req, &u)) != 0)
        goto out;
    cf_throttle_success(a->thr, u.login, req->peer, now);
    stor_user_touch_login(db, u.id, (int64_t)now);
    cf_auth_cache_store(c, hash, u.id, u.login, epoch, now);
    req->user_id = u.id;
    req->user_login = cf_str_from(u.login);
    req->auth_via = CF_AUTH_BASIC;
    rc = 0;
out:
    sodium_memzero(dec, sizeof(dec));
    return rc;
}

/* The session cookie's value, when there is a non-empty one. */
static bool
cf_auth_cookie(const struct cf_req *req, struct cf_str *out)
{
    return cf_req_cookie(req, CF_STR(CF_SESSION_COOKIE), out) && out->len > 0;
}

/* Loads user id and checks he may log in now; 0 or a status. */
static int
cf_auth_as(struct stor_db *db, struct cf_req *req, int64_t id, enum cf_auth_via via)
{
    struct stor_user u;
    int rc;

    if (stor_user_get_by_id(db, id, req->pool, &u) < 0) {
        req->err_msg = "the account no longer exists";
        return 401;
    }
    if ((rc = cf_auth_refuse(db, req, &u)) != 0)
        return rc;
    req->user_id = u.id;
    req->user_login = cf_str_from(u.login);
    req->auth_via = via;
    return 0;
}

static int
cf_auth_session(struct stor_db *db, struct cf_req *req, struct cf_str value)
{
    char hash[65];
    char *csrf;
    int64_t user;

    if (value.len != 43)
        return 0;               /* not ours, or mangled: treated as no cookie */
    acl_secret_hash(value.p, value.len, hash);
    if (stor_session_get(db, hash, (int64_t)time(NULL), req->pool, &user, &csrf) < 0)
        return 0;               /* expired or logged out: anonymous, the page asks again */
    req->csrf = csrf;
    return cf_auth_as(db, req, user, CF_AUTH_SESSION);
}

static int
cf_auth_bench(struct cf_auth_cache *c, struct stor_db *db, struct cf_req *req)
{
    struct stor_user u;

    if (c->bench_user < 0) {
        if (stor_user_get(db, cf_str_from(req->conf->bench_as_user), req->pool, &u) < 0)
            return 0;
        c->bench_user = u.id;
        snprintf(c->bench_login, sizeof(c->bench_login), "%s", u.login);
    }
    req->user_id = c->bench_user;
    req->user_login = cf_str_from(c->bench_login);
    req->auth_via = CF_AUTH_BENCH;
    return 0;
}

int
cf_auth_request(struct cf_auth_cache *c, struct stor_db *db, struct cf_req *req,
                bool allow_bearer)
{
    const struct cf_str *h = cf_req_header(req, CF_STR("Authorization"));
    struct cf_str v;

    req->user_id = 0;
    req->auth_via = CF_AUTH_NONE;
    if (cf_auth_basic_value(req, &v))
        return cf_auth_basic(c, db, req, v);
    if (h == NULL) {
        if (cf_auth_cookie(req, &v))
            return cf_auth_session(db, req, v);
        if (req->conf->bench_as_user != NULL)
            return cf_auth_bench(c, db, req);
        return 0;
    }
    v = cf_str_trim(*h);
    if (allow_bearer && cf_str_has_prefix_ci(v, CF_STR("Bearer "))) {
        int64_t user;
        time_t now = time(NULL);
        unsigned wait = cf_throttle_wait(c->a->thr, "(token)", req->peer, now);

        if (wait > 0)
            return cf_auth_throttled(req, wait);
        v = cf_str_trim(cf_str_make(v.p + 7, v.len - 7));
        if (acl_token_verify(db, v, &user) < 0) {
            cf_throttle_fail(c->a->thr, "(token)", req->peer, now);
            cf_auth_record(db, req, "login.failed", "(token)", "bearer: unknown or expired token");
            req->err_msg = "the token is not valid (unknown, revoked or expired)";
            return 401;
        }
        return cf_auth_as(db, req, user, CF_AUTH_TOKEN);
    }
    return 401;                 /* a scheme we do not speak: challenge with ours */
}

int
cf_auth_form_login(struct cf_auth *a, struct acl_ident *x, struct cf_req *req,
                   const char *login, const char *pw, const char *code, struct stor_user *u)
{
    char lbuf[CF_LOGIN_MAX + 1];
    struct cf_str l = cf_str_from(login);
    const char *who = cf_auth_audit_login(l, lbuf, sizeof(lbuf));
    time_t now = time(NULL);
    unsigned wait = cf_throttle_wait(a->thr, who, req->peer, now);
    int rc;

    if (wait > 0)
        return cf_auth_throttled(req, wait);
    if (l.len == 0 || l.len > CF_LOGIN_MAX || stor_user_get(x->db, l, req->pool, u) < 0 ||
        u->pw_hash == NULL) {
        acl_password_verify(a->dummy_hash, pw, strlen(pw));
        cf_throttle_fail(a->thr, who, req->peer, now);
        cf_auth_record(x->db, req, "login.failed", who, "form: unknown user or no password");
        req->err_msg = "wrong login or password";
        return 401;
    }
    if (!acl_password_verify(u->pw_hash, pw, strlen(pw))) {
        cf_throttle_fail(a->thr, u->login, req->peer, now);
        cf_auth_record(x->db, req, "login.failed", u->login, "form: wrong password");
        req->err_msg = "wrong login or password";
        return 401;
    }
    if ((rc = cf_auth_refuse(x->db, req, u)) != 0)
        return rc;
    if (u->totp_on) {
        if (code == NULL || code[0] == '\0') {
            req->err_msg = "enter the code from your authenticator app";
            return 428;
        }
        if (acl_2fa_check(x, u, code) < 0) {
            cf_throttle_fail(a->thr, u->login, req->peer, now);
            cf_auth_record(x->db, req, "login.failed", u->login, "form: wrong second factor");
            req->err_msg = "the code is wrong or was used already";
            return 428;
        }
    }
    cf_throttle_success(a->thr, u->login, req->peer, now);
    stor_user_touch_login(x->db, u->id, (int64_t)now);
    return 0;
}

int
cf_auth_session_start(struct cf_auth *a, struct stor_db *db, struct cf_req *req, int64_t user,
                      bool remember)
{
    unsigned char raw[32], craw[24];
    char value[48], csrf[40], hash[65];
    unsigned life = remember ? a->conf->remember_s : a->conf->session_s;
    int rc;

    randombytes_buf(raw, sizeof(raw));
    randombytes_buf(craw, sizeof(craw));
    sodium_bin2base64(value, sizeof(value), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2base64(csrf, sizeof(csrf), craw, sizeof(craw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    acl_secret_hash(value, strlen(value), hash);
    rc = stor_session_add(db, hash, user, csrf, (int64_t)time(NULL) + life, remember, req->peer);
    if (rc == 0) {
        char maxage[32] = "";

        if (remember)
            snprintf(maxage, sizeof(maxage), "; Max-Age=%u", life);
        cf_resp_header(req, "Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s",
                       CF_SESSION_COOKIE, value, req->tls ? "; Secure" : "", maxage);
        req->csrf = cf_pool_strndup(req->pool, csrf, strlen(csrf));
    }
    sodium_memzero(raw, sizeof(raw));
    sodium_memzero(value, sizeof(value));
    return rc;
}

void
cf_auth_session_end(struct stor_db *db, struct cf_req *req)
{
    struct cf_str v;
    char hash[65];

    if (cf_auth_cookie(req, &v)) {
        acl_secret_hash(v.p, v.len, hash);
        stor_session_delete(db, hash);
    }
    cf_resp_header(req, "Set-Cookie", "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
                   CF_SESSION_COOKIE, req->tls ? "; Secure" : "");
    req->csrf = NULL;
}

bool
cf_auth_csrf_ok(const struct cf_req *req, struct cf_str t)
{
    size_t n;

    if (req->csrf == NULL)
        return false;
    n = strlen(req->csrf);
    return t.len == n && n > 0 && sodium_memcmp(t.p, req->csrf, n) == 0;
}
