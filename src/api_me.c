/*
 * api_me.c: /api/v1/me, what a user manages about himself: his profile,
 * his password, his second factor, his app passwords and his API tokens
 * (DESIGN.md "REST essentials"; documented in docs/openapi.yaml).
 *
 *   GET    /me                      his profile, faculties, recovery codes left
 *   PATCH  /me                      {display_name?, email?}
 *   POST   /me/password             {current, new}
 *   POST   /me/2fa                  {} starts enrolment: secret, URI, QR code
 *   POST   /me/2fa/confirm          {code} turns 2FA on: ten recovery codes
 *   DELETE /me/2fa                  {password} turns 2FA off
 *   GET    /me/app-passwords        POST {name}    DELETE /me/app-passwords/{id}
 *   GET    /me/tokens               POST {name, expires?}  DELETE /me/tokens/{id}
 *
 * Every call acts on the caller only (c->me), whatever his faculties, so
 * nothing here checks one; the rules themselves live in ident.h. What this
 * file must not do: take a password from the URL (a query string ends up
 * in logs and browser history), or show a secret (app password, token,
 * TOTP secret, recovery code) anywhere but in the one response that
 * creates it. Secrets on the stack are wiped once copied into the reply.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/api.h"
#include "coffer/http.h"
#include "coffer/ident.h"
#include "coffer/qr.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "coffer/totp.h"
#include "coffer/banned.h"

#define API_ME_ALLOW_SELF "GET, HEAD, PATCH"
#define API_ME_ALLOW_POST "POST"
#define API_ME_ALLOW_2FA  "POST, DELETE"
#define API_ME_ALLOW_LIST "GET, HEAD, POST"
#define API_ME_ALLOW_ITEM "DELETE"


static int
api_me_not_found(struct cf_api_call *c)
{
    return cf_api_error(c, 404, "not_found", "there is no such path under /api/v1/me");
}

static bool
api_me_is_get(const struct cf_api_call *c)
{
    return c->req->method == CF_M_GET || c->req->method == CF_M_HEAD;
}

/*
 * A required string field: 0 with *out, or the status after answering 400
 * (absent, null, or not a string).
 */
static int
api_me_need_str(struct cf_api_call *c, const char *key, const char **out)
{
    int rc = cf_api_str(c, key, out);

    if (rc < 0)
        return 400;
    if (rc > 0 || *out == NULL)
        return cf_api_error(c, 400, "invalid", "the field '%s' is required", key);
    return 0;
}

/*
 * Checks the caller's account password (argon2id: this is slow on purpose).
 * A wrong one is written to the audit log, so that guessing from a stolen
 * session or token leaves a trace.
 */
static bool
api_me_password_ok(struct cf_api_call *c, const char *pw)
{
    if (c->me.pw_hash != NULL && acl_password_verify(c->me.pw_hash, pw, strlen(pw)))
        return true;
    acl_audit(&c->x, "user.password-wrong", c->me.login, NULL);
    return false;
}

/* Parses a credential id from the path: decimal digits, 1..INT64_MAX; -1 if not. */
static int64_t
api_me_id(const char *seg)
{
    uint64_t v;

    if (cf_parse_u64(seg, strlen(seg), INT64_MAX, &v) < 0 || v == 0)
        return -1;
    return (int64_t)v;
}

/* ---- GET / PATCH /me ---- */

/* His profile as the owner sees it, with his faculties and recovery codes left. */
static int
api_me_show(struct cf_api_call *c)
{
    json_t *o = cf_api_user_json(&c->me, true), *fac = json_array();

    for (unsigned i = 0; i < 32; i++) {
        const char *name;

        if ((c->faculties & (1u << i)) != 0 && (name = acl_user_faculty_name(1u << i)) != NULL)
            json_array_append_new(fac, json_string(name));
    }
    json_object_set_new(o, "faculties", fac);
    if (c->me.totp_on) {
        int64_t left = 0;

        if (stor_recovery_left(c->ctx->db, c->me.id, &left) < 0) {
            json_decref(o);
            return cf_api_error(c, 500, "internal", "the recovery codes could not be counted");
        }
        json_object_set_new(o, "recovery_codes_left", json_integer(left));
    }
    return cf_api_reply(c, 200, o);
}

static int
api_me_patch(struct cf_api_call *c)
{
    static const char *const keys[] = {"display_name", "email", NULL};
    const char *display_name = NULL, *email = NULL;
    int rc;

    if (cf_api_only(c, keys) < 0 || cf_api_str(c, "display_name", &display_name) < 0 ||
        cf_api_str(c, "email", &email) < 0)
        return 400;
    /* an empty patch changes nothing and shows the profile (RFC 7396) */
    if (display_name != NULL || email != NULL) {
        if ((rc = acl_user_update(&c->x, c->me.id, display_name, email)) < 0)
            return cf_api_fail(c, rc);
        if (stor_user_get_by_id(c->ctx->db, c->me.id, c->req->pool, &c->me) < 0)
            return cf_api_error(c, 500, "internal", "the profile could not be read back");
    }
    return api_me_show(c);
}

/* ---- POST /me/password ---- */

/*
 * Changes his own password. The current one is asked for whatever way he
 * came in (a session, a token or an app password may be in someone else's
 * hands; the password is what proves it is him). acl_user_set_password()
 * ends all his browser sessions, this one included, and bumps the auth
 * epoch, which drops every cached Basic credential, so clients that still
 * send the old password are refused from now on; app passwords and tokens
 * keep working.
 */
static int
api_me_password(struct cf_api_call *c)
{
    static const char *const keys[] = {"current", "new", NULL};
    const char *cur, *pw;
    int rc;

    if (cf_api_only(c, keys) < 0)
        return 400;
    if ((rc = api_me_need_str(c, "current", &cur)) != 0 ||
        (rc = api_me_need_str(c, "new", &pw)) != 0)
        return rc;
    if (!api_me_password_ok(c, cur))
        return cf_api_error(c, 403, "wrong_password", "the current password is wrong");
    if ((rc = acl_user_set_password(&c->x, c->me.id, pw)) < 0) {
        if (rc == -EINVAL)
            return cf_api_error(c, 400, "password_policy", "%s",
                                c->x.why != NULL ? c->x.why : "the new password is refused");
        return cf_api_fail(c, rc);
    }
    return cf_api_no_content(c);
}

/* ---- /me/2fa ---- */

/*
 * Starts enrolment: a new secret, not in force until confirmed. The reply
 * is the only place the secret appears: as base32 for typing, as the
 * otpauth:// URI, and drawn as a QR code of that URI.
 */
static int
api_me_2fa_begin(struct cf_api_call *c)
{
    static const char *const keys[] = {NULL};
    char b32[ACL_TOTP_B32_LEN + 1];
    struct cf_buf uri = CF_BUF_INIT, svg = CF_BUF_INIT;
    int rc, status;

    if (cf_api_only(c, keys) < 0)
        return 400;
    if (c->me.totp_on)
        return cf_api_error(c, 409, "2fa_already_on",
                            "two-factor authentication is on already; turn it off first "
                            "to enrol another device");
    if ((rc = acl_2fa_begin(&c->x, c->me.id, b32, &uri)) < 0) {
        status = rc == -EALREADY ? cf_api_error(c, 409, "2fa_already_on", "%s", c->x.why)
                                 : cf_api_fail(c, rc);
        goto out;
    }
    if (cf_qr_svg(&svg, uri.data, 0) < 0) {
        status = cf_api_error(c, 500, "internal",
                              "the QR code could not be drawn; type the secret into the "
                              "app instead");
        goto out;
    }
    status = cf_api_reply(
        c, 200, json_pack("{s:s, s:s, s:s}", "secret", b32, "uri", uri.data, "qr_svg", svg.data));
out:
    sodium_memzero(b32, sizeof(b32));
    sodium_memzero(uri.data, uri.len);
    sodium_memzero(svg.data, svg.len);
    cf_buf_release(&uri);
    cf_buf_release(&svg);
    return status;
}

/* Confirms enrolment with the code the app shows; the recovery codes are shown once. */
static int
api_me_2fa_confirm(struct cf_api_call *c)
{
    static const char *const keys[] = {"code", NULL};
    char codes[ACL_RECOVERY_CODES][ACL_RECOVERY_LEN + 1];
    const char *code;
    json_t *list;
    int rc;

    if (cf_api_only(c, keys) < 0)
        return 400;
    if ((rc = api_me_need_str(c, "code", &code)) != 0)
        return rc;
    rc = acl_2fa_enable(&c->x, c->me.id, code, codes, ACL_RECOVERY_CODES);
    switch (rc) {
    case 0:
        break;
    case -EACCES:
        return cf_api_error(c, 400, "wrong_code", "%s", c->x.why);
    case -EALREADY:
        return cf_api_error(c, 409, "2fa_already_on", "%s", c->x.why);
    case -EINVAL:
        return cf_api_error(c, 409, "2fa_not_started", "%s: POST /api/v1/me/2fa", c->x.why);
    default:
        return cf_api_fail(c, rc);
    }
    list = json_array();
    for (size_t i = 0; i < ACL_RECOVERY_CODES; i++)
        json_array_append_new(list, json_string(codes[i]));
    sodium_memzero(codes, sizeof(codes));
    return cf_api_reply(c, 200,
                        json_pack("{s:o, s:s}", "recovery_codes", list, "note",
                                  "each recovery code works once in place of a "
                                  "code from the app; they are shown only now"));
}

/*
 * Turns 2FA off. The password goes in a JSON body ({"password": ...}),
 * never in the query string, which would put it in access logs.
 */
static int
api_me_2fa_disable(struct cf_api_call *c)
{
    static const char *const keys[] = {"password", NULL};
    const char *pw;
    int rc;

    if (cf_api_query(c, "password") != NULL)
        return cf_api_error(c, 400, "invalid",
                            "passwords are never taken from the URL: send "
                            "{\"password\": \"...\"} as a JSON body");
    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid",
                            "send the account password as a JSON body "
                            "{\"password\": \"...\"}; passwords are never taken from the URL");
    if (cf_api_only(c, keys) < 0)
        return 400;
    if ((rc = api_me_need_str(c, "password", &pw)) != 0)
        return rc;
    if (!c->me.totp_on)
        return cf_api_error(c, 409, "2fa_not_on", "two-factor authentication is not on");
    if (!api_me_password_ok(c, pw))
        return cf_api_error(c, 403, "wrong_password", "the password is wrong");
    if ((rc = acl_2fa_disable(&c->x, c->me.id)) < 0)
        return cf_api_fail(c, rc);
    return cf_api_no_content(c);
}

/* ---- /me/app-passwords and /me/tokens ---- */

struct api_me_list {
    json_t *items;
    enum stor_cred_kind kind;
};

static int
api_me_cred_item(void *arg, const struct stor_cred *cr)
{
    struct api_me_list *l = arg;
    json_t *o =
        json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)cr->id, "name", cr->name, "created",
                  cf_api_time_json(cr->created), "last_used", cf_api_time_json(cr->last_used));

    if (o == NULL)
        return -ENOMEM;
    if (l->kind == STOR_CRED_TOKEN)
        json_object_set_new(o, "expires", cf_api_time_json(cr->expires));
    json_array_append_new(l->items, o);
    return 0;
}

static int
api_me_cred_list(struct cf_api_call *c, enum stor_cred_kind kind)
{
    struct api_me_list l = {json_array(), kind};

    if (stor_cred_list(c->ctx->db, kind, c->me.id, api_me_cred_item, &l) < 0) {
        json_decref(l.items);
        return cf_api_error(c, 500, "internal", "the list could not be read");
    }
    /* a user has a handful of these: one page, newest first */
    return cf_api_reply(c, 200, json_pack("{s:o, s:n}", "items", l.items, "next"));
}

static int
api_me_apppw_create(struct cf_api_call *c)
{
    static const char *const keys[] = {"name", NULL};
    char secret[ACL_SECRET_MAX];
    const char *name;
    int64_t id;
    int rc;

    if (cf_api_only(c, keys) < 0)
        return 400;
    if ((rc = api_me_need_str(c, "name", &name)) != 0)
        return rc;
    if ((rc = acl_apppw_create(&c->x, c->me.id, name, secret, &id)) < 0)
        return cf_api_fail(c, rc);
    rc = cf_api_reply(c, 201,
                      json_pack("{s:I, s:s, s:s, s:o, s:s}", "id", (json_int_t)id, "name", name,
                                "password", secret, "created",
                                cf_api_time_json((int64_t)time(NULL)), "note",
                                "this password is shown only now: enter it "
                                "in the device, with your login as the user name"));
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

static int
api_me_token_create(struct cf_api_call *c)
{
    static const char *const keys[] = {"name", "expires", NULL};
    char secret[ACL_SECRET_MAX];
    const char *name;
    int64_t id, expires = 0;
    int rc;

    if (cf_api_only(c, keys) < 0)
        return 400;
    if ((rc = api_me_need_str(c, "name", &name)) != 0)
        return rc;
    if (cf_api_time(c, "expires", &expires) < 0)
        return 400;
    if ((rc = acl_token_create(&c->x, c->me.id, name, expires, secret, &id)) < 0)
        return cf_api_fail(c, rc);
    rc =
        cf_api_reply(c, 201,
                     json_pack("{s:I, s:s, s:s, s:o, s:o, s:s}", "id", (json_int_t)id, "name", name,
                               "token", secret, "created", cf_api_time_json((int64_t)time(NULL)),
                               "expires", cf_api_time_json(expires), "note",
                               "this token is shown only now: send it as "
                               "\"Authorization: Bearer <token>\""));
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

static int
api_me_cred_revoke(struct cf_api_call *c, enum stor_cred_kind kind, const char *seg)
{
    const char *what = kind == STOR_CRED_TOKEN ? "token" : "app password";
    int64_t id = api_me_id(seg);
    int rc;

    if (id < 0)
        return cf_api_error(c, 404, "not_found", "you have no such %s", what);
    rc = kind == STOR_CRED_TOKEN ? acl_token_revoke(&c->x, c->me.id, id)
                                 : acl_apppw_revoke(&c->x, c->me.id, id);
    if (rc == -ENOENT)
        return cf_api_error(c, 404, "not_found", "you have no such %s", what);
    if (rc < 0)
        return cf_api_fail(c, rc);
    return cf_api_no_content(c);
}

/* /me/app-passwords[/{id}] and /me/tokens[/{id}] */
static int
api_me_creds(struct cf_api_call *c, enum stor_cred_kind kind)
{
    if (c->nseg == 3) {
        if (api_me_id(c->seg[2]) < 0)
            return api_me_not_found(c);
        if (c->req->method != CF_M_DELETE)
            return cf_api_not_allowed(c, API_ME_ALLOW_ITEM);
        return api_me_cred_revoke(c, kind, c->seg[2]);
    }
    if (api_me_is_get(c))
        return api_me_cred_list(c, kind);
    if (c->req->method == CF_M_POST)
        return kind == STOR_CRED_TOKEN ? api_me_token_create(c) : api_me_apppw_create(c);
    return cf_api_not_allowed(c, API_ME_ALLOW_LIST);
}

/* ---- dispatch ---- */

int
cf_api_me(struct cf_api_call *c)
{
    enum cf_method m = c->req->method;
    const char *what = c->nseg >= 2 ? c->seg[1] : "";

    if (c->nseg == 0 || c->nseg > 3)
        return api_me_not_found(c);
    if (c->nseg == 1) {
        if (api_me_is_get(c))
            return api_me_show(c);
        if (m == CF_M_PATCH)
            return api_me_patch(c);
        return cf_api_not_allowed(c, API_ME_ALLOW_SELF);
    }
    if (c->nseg == 2 && strcmp(what, "password") == 0) {
        if (m != CF_M_POST)
            return cf_api_not_allowed(c, API_ME_ALLOW_POST);
        return api_me_password(c);
    }
    if (c->nseg == 2 && strcmp(what, "2fa") == 0) {
        if (m == CF_M_POST)
            return api_me_2fa_begin(c);
        if (m == CF_M_DELETE)
            return api_me_2fa_disable(c);
        return cf_api_not_allowed(c, API_ME_ALLOW_2FA);
    }
    if (c->nseg == 3 && strcmp(what, "2fa") == 0 && strcmp(c->seg[2], "confirm") == 0) {
        if (m != CF_M_POST)
            return cf_api_not_allowed(c, API_ME_ALLOW_POST);
        return api_me_2fa_confirm(c);
    }
    if (strcmp(what, "app-passwords") == 0)
        return api_me_creds(c, STOR_CRED_APP_PASSWORD);
    if (strcmp(what, "tokens") == 0)
        return api_me_creds(c, STOR_CRED_TOKEN);
    return api_me_not_found(c);
}
