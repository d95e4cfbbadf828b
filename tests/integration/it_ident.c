/*
 * it_ident.c: identity through the REST API, HTTP Basic, Bearer tokens and
 * app passwords, against the real cofferd: users and their personal
 * repositories, validation, who sees which users, tokens, app passwords,
 * password changes, 2FA over Basic, roles that require 2FA, the audit log,
 * the last administrator, and the login throttle. The browser pages
 * (login, 2FA codes, invitations, CSRF, blocking) are in it_ident_web.c.
 *
 * The tests share one server and each makes users of its own. Tests that
 * need another configuration, or that could leave the administrator locked
 * out if the server got it wrong, get a server of their own.
 */
#include "config.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "harness.h"
#include "ident_lib.h"

/*
 * The shared server runs with TI_CONF (ident_lib.h): a cheap argon2id and a
 * throttle far from the failures these tests make on purpose;
 * it_throttle_* has its own server. The HTTP, JSON, user and TOTP helpers
 * shared with it_ident_web.c are in ident_lib.c.
 */

/* ---- helpers ---- */

/* Asserts a JSON error with status whose message contains needle (any case). */
static void
expect_error(const struct t_resp *r, int status, const char *needle)
{
    json_t *j, *e;
    const char *msg;

    ti_expect_status(r, status);
    j = ti_jbody(r);
    e = json_object_get(j, "error");
    assert_non_null(json_string_value(json_object_get(e, "code")));
    msg = json_string_value(json_object_get(e, "message"));
    assert_non_null(msg);
    if (needle != NULL && !ti_has_ci(msg, needle))
        fprintf(stderr, "# the message '%s' does not say '%s'\n", msg, needle);
    assert_true(needle == NULL || ti_has_ci(msg, needle));
    json_decref(j);
}

/* Makes an app password for the user auth belongs to; secret into out. Returns its id. */
static json_int_t
make_app_password(struct t_server *s, const char *auth, const char *name, char *out, size_t cap)
{
    char body[256];
    json_t *j;
    json_int_t id;

    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    j = ti_api_json(s, "POST", "/api/v1/me/app-passwords", auth, body, 201);
    assert_non_null(json_string_value(json_object_get(j, "password")));
    assert_string_equal(json_string_value(json_object_get(j, "name")), name);
    snprintf(out, cap, "%s", json_string_value(json_object_get(j, "password")));
    id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

/* Makes an API token that never expires; the token into out. Returns its id. */
static json_int_t
make_token(struct t_server *s, const char *auth, const char *name, char *out, size_t cap)
{
    char body[256];
    json_t *j;
    json_int_t id;

    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    j = ti_api_json(s, "POST", "/api/v1/me/tokens", auth, body, 201);
    assert_non_null(json_string_value(json_object_get(j, "token")));
    assert_true(strncmp(json_string_value(json_object_get(j, "token")), "cft_", 4) == 0);
    snprintf(out, cap, "%s", json_string_value(json_object_get(j, "token")));
    id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

/* True if the list body has an item whose login is login. */
static bool
list_has(json_t *list, const char *login)
{
    json_t *items = json_object_get(list, "items"), *u;
    size_t i;

    json_array_foreach(items, i, u)
        if (strcmp(json_string_value(json_object_get(u, "login")), login) == 0)
            return true;
    return false;
}

/* GET /api/v1/audit?query as admin (caller decrefs). */
static json_t *
audit(struct t_server *s, const char *query)
{
    char path[512];

    snprintf(path, sizeof(path), "/api/v1/audit?%s", query);
    return ti_api_json(s, "GET", path, T_AUTH, NULL, 200);
}

/* Asserts an audit entry for action on target by actor (NULL: null) from 127.0.0.1. */
static void
expect_audit(struct t_server *s, const char *action, const char *target, const char *actor)
{
    char q[256];
    json_t *j, *items, *e;
    size_t i;
    bool found = false;

    snprintf(q, sizeof(q), "action=%s&target=%s", action, target);
    j = audit(s, q);
    items = json_object_get(j, "items");
    json_array_foreach(items, i, e) {
        const char *a = json_string_value(json_object_get(e, "actor"));
        const char *t = json_string_value(json_object_get(e, "target"));
        const char *p = json_string_value(json_object_get(e, "peer"));
        const char *act = json_string_value(json_object_get(e, "action"));

        assert_string_equal(act, action);   /* the filter filters */
        /* actor NULL: nobody known acted (a failed login), recorded as null */
        if ((actor == NULL ? json_is_null(json_object_get(e, "actor"))
                           : a != NULL && strcmp(a, actor) == 0) && t != NULL && p != NULL &&
            strcmp(t, target) == 0 && strcmp(p, "127.0.0.1") == 0 &&
            json_string_value(json_object_get(e, "at")) != NULL)
            found = true;
    }
    if (!found) {
        char *dump = json_dumps(j, JSON_COMPACT);
        fprintf(stderr, "# no audit entry %s on %s by %s from 127.0.0.1 in %s\n", action,
                target, actor ? actor : "(null)", dump);
        free(dump);
    }
    assert_true(found);
    json_decref(j);
}

/*
 * ---- fixtures ----
 * The group server: ti_setup, t_teardown, and ti_check_alive after each
 * test. Tests of their own get a server of their own from these, stopped
 * by t_teardown.
 */

static int
own_main(void **state)
{
    return ti_start(state, TI_CONF);
}

static int
own_throttle(void **state)
{
    return ti_start(state, "argon2-mem = 1m\nargon2-ops = 1\nthrottle-after = 3\n"
                           "throttle-max = 10s\n");
}

/* ---- users and their repositories ---- */

static void
it_user_create_makes_personal_repo_and_guest_gets_none(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"carol\",\"email\":\"carol@example.com\",\"role\":\"internal\","
           "\"password\":\"Tst-carol-pw-42\",\"display_name\":\"Carol C\"}");
    ti_expect_status(&r, 201);
    j = ti_jbody(&r);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "carol");
    assert_string_equal(json_string_value(json_object_get(j, "display_name")), "Carol C");
    assert_string_equal(json_string_value(json_object_get(j, "email")), "carol@example.com");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "internal");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "active");
    assert_true(json_is_false(json_object_get(j, "two_factor")));
    assert_true(json_is_null(json_object_get(j, "blocked_until")));
    assert_non_null(json_string_value(json_object_get(j, "created")));
    json_decref(j);
    t_resp_release(&r);
    /* his repository answers him, and nobody made it by hand */
    assert_int_equal(ti_propfind(s, "/dav/carol/", ti_as("carol")), 207);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/users/carol", T_AUTH, NULL), 200);

    ti_mkuser_pw(s, "gina", "guest");
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_as("gina"), NULL), 200);
    assert_int_equal(ti_propfind(s, "/dav/gina/", ti_as("gina")), 404);
    assert_int_equal(ti_propfind(s, "/dav/gina/", T_AUTH), 404);
}

static void
it_user_create_validation_errors_say_what_is_wrong(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"Bad Login!\",\"email\":\"b@example.com\",\"role\":\"internal\"}");
    expect_error(&r, 400, "login");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"val1\",\"email\":\"not an email\",\"role\":\"internal\"}");
    expect_error(&r, 400, "email");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"val1\",\"email\":\"val1@example.com\",\"role\":\"wizard\"}");
    expect_error(&r, 400, "role");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"val1\",\"email\":\"val1@example.com\",\"role\":\"internal\","
           "\"password\":\"password\"}");
    expect_error(&r, 400, "password");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"val1\",\"email\":\"val1@example.com\",\"role\":\"internal\","
           "\"password\":\"short\"}");
    expect_error(&r, 400, "password");
    t_resp_release(&r);
    /* none of the refused ones was made */
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/users/val1", T_AUTH, NULL), 404);

    ti_mkuser_pw(s, "val1", "external");
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"val1\",\"email\":\"other@example.com\",\"role\":\"internal\"}");
    expect_error(&r, 409, "exists");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"val2\",\"email\":\"val2@example.com\",\"role\":\"internal\","
           "\"colour\":\"red\"}");
    expect_error(&r, 400, "colour");
    t_resp_release(&r);
    ti_send_req(s, &r, "POST", "/api/v1/users", T_AUTH, "text/plain",
                "login=val2&email=val2@example.com&role=internal");
    expect_error(&r, 415, "json");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH, "{\"login\":\"val2\",");
    expect_error(&r, 400, "json");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH,
           "{\"login\":\"val2\",\"email\":7,"
           "\"role\":\"internal\"}");
    expect_error(&r, 400, "email");
    t_resp_release(&r);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/users/val2", T_AUTH, NULL), 404);
}

static void
it_non_admins_get_403_on_create_user_and_audit(void **state)
{
    struct t_server *s = *state;
    static const char *const roles[] = { "internal", "external", "guest" };
    static const char *const logins[] = { "na-int", "na-ext", "na-guest" };
    struct t_resp r;

    for (int i = 0; i < 3; i++) {
        ti_mkuser_pw(s, logins[i], roles[i]);
        ti_api(s, &r, "POST", "/api/v1/users", ti_as(logins[i]),
               "{\"login\":\"na-made\",\"email\":\"na@example.com\",\"role\":\"administrator\","
               "\"password\":\"Tst-na-made-pw-42\"}");
        expect_error(&r, 403, NULL);
        t_resp_release(&r);
        ti_api(s, &r, "GET", "/api/v1/audit", ti_as(logins[i]), NULL);
        expect_error(&r, 403, NULL);
        t_resp_release(&r);
        ti_api(s, &r, "PATCH", "/api/v1/users/admin", ti_as(logins[i]), "{\"role\":\"guest\"}");
        assert_true(r.status == 403 || r.status == 404);
        t_resp_release(&r);
    }
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/users/na-made", T_AUTH, NULL), 404);
    /* and the administrator may */
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/audit?limit=1", T_AUTH, NULL), 200);
}

static void
it_users_list_visibility_follows_user_role(void **state)
{
    struct t_server *s = *state;
    json_t *j;

    ti_mkuser_pw(s, "vis-int", "internal");
    ti_mkuser_pw(s, "vis-ext", "external");
    ti_mkuser_pw(s, "vis-guest", "guest");
    ti_mkuser_pw(s, "vis-admin2", "administrator");

    /* administrators and internal users see everyone */
    const char *const seers[] = { "admin", "vis-int", "vis-admin2" };
    for (int i = 0; i < 3; i++) {
        const char *auth = i == 0 ? T_AUTH : ti_as(seers[i]);

        j = ti_api_json(s, "GET", "/api/v1/users?limit=500", auth, NULL, 200);
        assert_true(list_has(j, "admin"));
        assert_true(list_has(j, "vis-int"));
        assert_true(list_has(j, "vis-ext"));
        assert_true(list_has(j, "vis-guest"));
        assert_true(list_has(j, "vis-admin2"));
        assert_true(json_array_size(json_object_get(j, "items")) >= 5);
        assert_non_null(json_object_get(j, "next"));
        json_decref(j);
        assert_int_equal(ti_api_status(s, "GET", "/api/v1/users/vis-guest", auth, NULL), 200);
    }
    /* q narrows it */
    j = ti_api_json(s, "GET", "/api/v1/users?q=vis-gu", ti_as("vis-int"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    assert_true(list_has(j, "vis-guest"));
    json_decref(j);

    /* external users (no shared groups yet) and guests see themselves only */
    const char *const selves[] = { "vis-ext", "vis-guest" };
    for (int i = 0; i < 2; i++) {
        j = ti_api_json(s, "GET", "/api/v1/users?limit=500", ti_as(selves[i]), NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
        assert_true(list_has(j, selves[i]));
        json_decref(j);
        j = ti_api_json(s, "GET", "/api/v1/users?q=admin", ti_as(selves[i]), NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
        json_decref(j);
        assert_int_equal(ti_api_status(s, "GET", "/api/v1/users/admin", ti_as(selves[i]), NULL),
                         404);
        assert_int_equal(ti_api_status(s, "GET", "/api/v1/users/vis-int", ti_as(selves[i]), NULL),
                         404);
        assert_int_equal(ti_api_status(s, "GET",
                                       i == 0 ? "/api/v1/users/vis-guest" : "/api/v1/users/vis-ext",
                                       ti_as(selves[i]), NULL),
                         404);
        /* the same 404 as for a user who does not exist */
        assert_int_equal(
            ti_api_status(s, "GET", "/api/v1/users/nobody-here", ti_as(selves[i]), NULL), 404);
        assert_int_equal(ti_api_status(s, "GET",
                                       i == 0 ? "/api/v1/users/vis-ext" : "/api/v1/users/vis-guest",
                                       ti_as(selves[i]), NULL),
                         200);
    }
}

static void
it_user_list_pages_with_limit_and_cursor(void **state)
{
    struct t_server *s = *state;
    char path[256];
    json_t *a, *b;
    const char *next;

    ti_mkuser_pw(s, "page-a", "internal");
    ti_mkuser_pw(s, "page-b", "internal");
    ti_mkuser_pw(s, "page-c", "internal");
    a = ti_api_json(s, "GET", "/api/v1/users?q=page-&limit=2", T_AUTH, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(a, "items")), 2);
    next = json_string_value(json_object_get(a, "next"));
    assert_non_null(next);
    snprintf(path, sizeof(path), "/api/v1/users?q=page-&limit=2&cursor=%s", next);
    b = ti_api_json(s, "GET", path, T_AUTH, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(b, "items")), 1);
    assert_true(list_has(b, "page-c"));
    assert_true(json_is_null(json_object_get(b, "next")));
    json_decref(a);
    json_decref(b);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/users?limit=0", T_AUTH, NULL), 400);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/users?limit=501", T_AUTH, NULL), 400);
}

static void
it_no_credentials_is_401_json_with_challenge(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    ti_api(s, &r, "GET", "/api/v1/me", "", NULL);
    expect_error(&r, 401, NULL);
    assert_non_null(t_header(&r, "WWW-Authenticate"));
    assert_true(ti_has_ci(t_header(&r, "WWW-Authenticate"), "Basic"));
    t_resp_release(&r);
    ti_api(s, &r, "GET", "/api/v1/users", ti_basic("admin", "wrong-password-1"), NULL);
    expect_error(&r, 401, NULL);
    assert_non_null(t_header(&r, "WWW-Authenticate"));
    t_resp_release(&r);
}

static void
it_me_get_and_patch(void **state)
{
    struct t_server *s = *state;
    json_t *j;
    struct t_resp r;

    ti_mkuser_pw(s, "mia", "external");
    j = ti_api_json(s, "GET", "/api/v1/me", ti_as("mia"), NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "mia");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "external");
    json_decref(j);
    j = ti_api_json(s, "PATCH", "/api/v1/me", ti_as("mia"),
                    "{\"display_name\":\"Mia M\",\"email\":\"mia2@example.com\"}", 200);
    assert_string_equal(json_string_value(json_object_get(j, "display_name")), "Mia M");
    json_decref(j);
    j = ti_api_json(s, "GET", "/api/v1/users/mia", T_AUTH, NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "email")), "mia2@example.com");
    assert_string_equal(json_string_value(json_object_get(j, "display_name")), "Mia M");
    json_decref(j);
    ti_api(s, &r, "PATCH", "/api/v1/me", ti_as("mia"), "{\"email\":\"no-at-sign\"}");
    expect_error(&r, 400, "email");
    t_resp_release(&r);
    /* he cannot make himself an administrator */
    ti_api(s, &r, "PATCH", "/api/v1/me", ti_as("mia"), "{\"role\":\"administrator\"}");
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    ti_api(s, &r, "PATCH", "/api/v1/users/mia", ti_as("mia"), "{\"role\":\"administrator\"}");
    expect_error(&r, 403, NULL);
    t_resp_release(&r);
    j = ti_api_json(s, "GET", "/api/v1/me", ti_as("mia"), NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "role")), "external");
    json_decref(j);
}

/* ---- tokens and app passwords ---- */

static void
it_token_works_on_api_not_on_webdav_and_revoked_is_401(void **state)
{
    struct t_server *s = *state;
    char tok[128], path[128];
    json_int_t id;
    json_t *j;

    ti_mkuser_pw(s, "tom", "internal");
    id = make_token(s, ti_as("tom"), "ci script", tok, sizeof(tok));
    j = ti_api_json(s, "GET", "/api/v1/me", ti_bearer(tok), NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "tom");
    json_decref(j);
    /* listed, without the secret */
    j = ti_api_json(s, "GET", "/api/v1/me/tokens", ti_as("tom"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    {
        char *dump = json_dumps(j, JSON_COMPACT);
        assert_null(strstr(dump, tok));
        free(dump);
    }
    json_decref(j);
    /* WebDAV takes no tokens */
    assert_int_equal(ti_propfind(s, "/dav/tom/", ti_bearer(tok)), 401);
    assert_int_equal(ti_propfind(s, "/dav/tom/", ti_as("tom")), 207);
    /* someone else cannot revoke it */
    ti_mkuser_pw(s, "tom2", "internal");
    snprintf(path, sizeof(path), "/api/v1/me/tokens/%lld", (long long)id);
    assert_int_equal(ti_api_status(s, "DELETE", path, ti_as("tom2"), NULL), 404);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_bearer(tok), NULL), 200);
    /* revoked: refused at once */
    assert_int_equal(ti_api_status(s, "DELETE", path, ti_as("tom"), NULL), 204);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_bearer(tok), NULL), 401);
    /* a made-up token too */
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me",
                                   ti_bearer("cft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                                   NULL),
                     401);
}

static void
it_token_with_expiry_in_the_past_is_400(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "tex", "internal");
    ti_api(s, &r, "POST", "/api/v1/me/tokens", ti_as("tex"),
           "{\"name\":\"old\",\"expires\":\"2001-01-01T00:00:00Z\"}");
    expect_error(&r, 400, "expires");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/me/tokens", ti_as("tex"),
           "{\"name\":\"bad\",\"expires\":\"next tuesday\"}");
    expect_error(&r, 400, "expires");
    t_resp_release(&r);
    j = ti_api_json(s, "GET", "/api/v1/me/tokens", ti_as("tex"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    /* one that expires later works, and says when */
    j = ti_api_json(s, "POST", "/api/v1/me/tokens", ti_as("tex"),
                    "{\"name\":\"later\",\"expires\":\"2099-01-01T00:00:00Z\"}", 201);
    assert_string_equal(json_string_value(json_object_get(j, "expires")),
                        "2099-01-01T00:00:00Z");
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me",
                                   ti_bearer(json_string_value(json_object_get(j, "token"))), NULL),
                     200);
    json_decref(j);
}

static void
it_app_password_revoked_is_refused_at_once(void **state)
{
    struct t_server *s = *state;
    char apw[64], path[128];
    json_int_t id;
    json_t *j;

    ti_mkuser_pw(s, "anna", "internal");
    id = make_app_password(s, ti_as("anna"), "laptop", apw, sizeof(apw));
    assert_int_equal(strlen(apw), 24);
    assert_int_equal(ti_propfind(s, "/dav/anna/", ti_basic("anna", apw)), 207);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_basic("anna", apw), NULL), 200);
    /* another user's app password is not hers */
    assert_int_equal(ti_propfind(s, "/dav/anna/", ti_basic("admin", apw)), 401);
    j = ti_api_json(s, "GET", "/api/v1/me/app-passwords", ti_as("anna"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    {
        char *dump = json_dumps(j, JSON_COMPACT);
        assert_null(strstr(dump, apw));
        free(dump);
    }
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/me/app-passwords/%lld", (long long)id);
    assert_int_equal(ti_api_status(s, "DELETE", path, ti_as("anna"), NULL), 204);
    /* the credential was cached by the requests above: still refused at once */
    assert_int_equal(ti_propfind(s, "/dav/anna/", ti_basic("anna", apw)), 401);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_basic("anna", apw), NULL), 401);
    assert_int_equal(ti_propfind(s, "/dav/anna/", ti_as("anna")), 207);
}

/* ---- password changes ---- */

static void
it_password_change_by_admin_takes_effect_on_next_request(void **state)
{
    struct t_server *s = *state;
    const char *newpw = "Brand-new-pw-for-pat";
    struct t_resp r;
    char body[256];
    int fd;

    ti_mkuser_pw(s, "pat", "internal");
    fd = t_conn_open(s);
    assert_true(fd >= 0);
    /* cached on this connection */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            t_conn_send(fd, "PROPFIND /dav/pat/ HTTP/1.1\nHost: x\n%sDepth: 0\n\n", ti_as("pat")),
            0);
        assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
        ti_expect_status(&r, 207);
        t_resp_release(&r);
    }
    snprintf(body, sizeof(body), "{\"password\":\"%s\"}", newpw);
    assert_int_equal(ti_api_status(s, "PATCH", "/api/v1/users/pat", T_AUTH, body), 200);
    assert_int_equal(
        t_conn_send(fd, "PROPFIND /dav/pat/ HTTP/1.1\nHost: x\n%sDepth: 0\n\n", ti_as("pat")), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    ti_expect_status(&r, 401);
    t_resp_release(&r);
    assert_int_equal(t_conn_send(fd, "PROPFIND /dav/pat/ HTTP/1.1\nHost: x\n%sDepth: 0\n\n",
                                 ti_basic("pat", newpw)),
                     0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    ti_expect_status(&r, 207);
    t_resp_release(&r);
    close(fd);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_as("pat"), NULL), 401);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_basic("pat", newpw), NULL), 200);
    /* an administrator setting it is a reset; the user's own change is user.password */
    expect_audit(s, "user.password-reset", "pat", "admin");
    /* the policy holds for administrators too */
    ti_api(s, &r, "PATCH", "/api/v1/users/pat", T_AUTH, "{\"password\":\"pat\"}");
    expect_error(&r, 400, "password");
    t_resp_release(&r);
}

static void
it_password_change_by_user_takes_effect_on_next_request(void **state)
{
    struct t_server *s = *state;
    const char *newpw = "Brand-new-pw-for-una";
    struct t_resp r;
    char body[256];
    int fd;

    ti_mkuser_pw(s, "una", "external");
    fd = t_conn_open(s);
    assert_true(fd >= 0);
    assert_int_equal(t_conn_send(fd, "GET /api/v1/me HTTP/1.1\nHost: x\n%s\n", ti_as("una")), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    ti_expect_status(&r, 200);
    t_resp_release(&r);
    /* the current password must be right */
    snprintf(body, sizeof(body), "{\"current\":\"wrong-current-pw\",\"new\":\"%s\"}", newpw);
    ti_api(s, &r, "POST", "/api/v1/me/password", ti_as("una"), body);
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    snprintf(body, sizeof(body), "{\"current\":\"%s\",\"new\":\"123456\"}", ti_pw_of("una"));
    ti_api(s, &r, "POST", "/api/v1/me/password", ti_as("una"), body);
    expect_error(&r, 400, "password");
    t_resp_release(&r);
    snprintf(body, sizeof(body), "{\"current\":\"%s\",\"new\":\"%s\"}", ti_pw_of("una"), newpw);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/me/password", ti_as("una"), body), 204);
    assert_int_equal(t_conn_send(fd, "GET /api/v1/me HTTP/1.1\nHost: x\n%s\n", ti_as("una")), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    ti_expect_status(&r, 401);
    t_resp_release(&r);
    assert_int_equal(
        t_conn_send(fd, "GET /api/v1/me HTTP/1.1\nHost: x\n%s\n", ti_basic("una", newpw)), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    ti_expect_status(&r, 200);
    t_resp_release(&r);
    close(fd);
    assert_int_equal(ti_propfind(s, "/dav/una/", ti_as("una")), 401);
    assert_int_equal(ti_propfind(s, "/dav/una/", ti_basic("una", newpw)), 207);
    expect_audit(s, "user.password", "una", "una");
}

/* ---- second factor over Basic ---- */

static void
it_2fa_on_refuses_account_password_over_basic_app_password_works(void **state)
{
    struct t_server *s = *state;
    char secret[64], apw[64], pw[64];
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "zoe", "internal");
    /* cached before 2FA */
    assert_int_equal(ti_propfind(s, "/dav/zoe/", ti_as("zoe")), 207);
    make_app_password(s, ti_as("zoe"), "phone", apw, sizeof(apw));
    ti_enable_2fa(s, ti_as("zoe"), secret, NULL);
    j = ti_api_json(s, "GET", "/api/v1/users/zoe", T_AUTH, NULL, 200);
    assert_true(json_is_true(json_object_get(j, "two_factor")));
    json_decref(j);
    expect_audit(s, "user.2fa-on", "zoe", "zoe");
    /* the account password: refused on WebDAV and on the API, saying why */
    assert_int_equal(ti_propfind(s, "/dav/zoe/", ti_as("zoe")), 401);
    ti_api(s, &r, "GET", "/api/v1/me", ti_as("zoe"), NULL);
    expect_error(&r, 401, "app password");
    t_resp_release(&r);
    /* the app password: let in */
    assert_int_equal(ti_propfind(s, "/dav/zoe/", ti_basic("zoe", apw)), 207);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_basic("zoe", apw), NULL), 200);
    /* a second enrolment is refused while it is on */
    ti_api(s, &r, "POST", "/api/v1/me/2fa", ti_basic("zoe", apw), NULL);
    assert_true(r.status == 409 || r.status == 400);
    t_resp_release(&r);
    /* turning it off takes the account password */
    ti_api(s, &r, "DELETE", "/api/v1/me/2fa", ti_basic("zoe", apw),
           "{\"password\":\"wrong-pw-zoe\"}");
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    snprintf(pw, sizeof(pw), "{\"password\":\"%s\"}", ti_pw_of("zoe"));
    assert_int_equal(ti_api_status(s, "DELETE", "/api/v1/me/2fa", ti_basic("zoe", apw), pw), 204);
    assert_int_equal(ti_propfind(s, "/dav/zoe/", ti_as("zoe")), 207);
}

static void
it_2fa_confirm_with_wrong_code_leaves_it_off(void **state)
{
    struct t_server *s = *state;
    char secret[64], codes[3][8], wrong[8], body[64];
    struct t_resp r;
    json_t *j;
    unsigned v;

    ti_mkuser_pw(s, "wes", "internal");
    j = ti_api_json(s, "POST", "/api/v1/me/2fa", ti_as("wes"), NULL, 200);
    snprintf(secret, sizeof(secret), "%s", json_string_value(json_object_get(j, "secret")));
    json_decref(j);
    for (int d = -1; d <= 1; d++)
        ti_totp_code(secret, d, codes[d + 1]);
    for (v = 123456;; v = (v + 1) % 1000000) {
        snprintf(wrong, sizeof(wrong), "%06u", v);
        if (strcmp(wrong, codes[0]) && strcmp(wrong, codes[1]) && strcmp(wrong, codes[2]))
            break;
    }
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", wrong);
    ti_api(s, &r, "POST", "/api/v1/me/2fa/confirm", ti_as("wes"), body);
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    j = ti_api_json(s, "GET", "/api/v1/me", ti_as("wes"), NULL, 200);
    assert_true(json_is_false(json_object_get(j, "two_factor")));
    json_decref(j);
}

static void
it_role_requiring_2fa_refuses_users_without_it(void **state)
{
    struct t_server *s = *state;
    char secret[64];
    struct t_resp r;
    json_t *j;

    j = ti_api_json(s, "PUT", "/api/v1/roles/staff2fa", T_AUTH,
                    "{\"faculties\":[\"upload\",\"see-all-users\",\"personal-repository\"],"
                    "\"require_2fa\":true}",
                    200);
    assert_true(json_is_true(json_object_get(j, "require_2fa")));
    json_decref(j);
    j = ti_api_json(s, "GET", "/api/v1/roles", T_AUTH, NULL, 200);
    {
        char *dump = json_dumps(j, JSON_COMPACT);
        assert_non_null(strstr(dump, "staff2fa"));
        assert_non_null(strstr(dump, "administrator"));
        free(dump);
    }
    json_decref(j);
    ti_mkuser_pw(s, "sam", "staff2fa");
    ti_api(s, &r, "GET", "/api/v1/me", ti_as("sam"), NULL);
    expect_error(&r, 403, "two-factor");
    t_resp_release(&r);
    ti_send_req(s, &r, "PROPFIND", "/dav/sam/", ti_as("sam"), NULL, NULL);
    ti_expect_status(&r, 403);
    assert_true(ti_has_ci(r.body, "two-factor"));
    t_resp_release(&r);
    /* the enrolment itself is let through (it_ident_web.c logs him in afterwards) */
    ti_enable_2fa(s, ti_as("sam"), secret, NULL);
    j = ti_api_json(s, "GET", "/api/v1/users/sam", T_AUTH, NULL, 200);
    assert_true(json_is_true(json_object_get(j, "two_factor")));
    json_decref(j);
    /* the role cannot be deleted while he holds it */
    ti_api(s, &r, "DELETE", "/api/v1/roles/staff2fa", T_AUTH, NULL);
    assert_true(r.status == 409 || r.status == 400);
    t_resp_release(&r);
    /* a preset role cannot be deleted */
    ti_api(s, &r, "DELETE", "/api/v1/roles/guest", T_AUTH, NULL);
    expect_error(&r, 403, "preset");
    t_resp_release(&r);
    /* and only administrators change roles */
    ti_mkuser_pw(s, "rint", "internal");
    assert_int_equal(ti_api_status(s, "PUT", "/api/v1/roles/mine", ti_as("rint"),
                                   "{\"faculties\":[\"administer\"]}"),
                     403);
}

/* ---- audit ---- */

static void
it_audit_records_actor_target_and_peer(void **state)
{
    struct t_server *s = *state;
    char tok[128];
    struct t_resp r;

    ti_mkuser_pw(s, "aud", "external");
    /* login.failed: on the login tried, from where; who tried is unknown */
    assert_int_equal(ti_propfind(s, "/dav/aud/", ti_basic("aud", "not-his-password")), 401);
    expect_audit(s, "login.failed", "aud", NULL);
    expect_audit(s, "user.create", "aud", "admin");
    assert_int_equal(
        ti_api_status(s, "PATCH", "/api/v1/users/aud", T_AUTH, "{\"role\":\"internal\"}"), 200);
    expect_audit(s, "user.role", "aud", "admin");
    assert_int_equal(
        ti_api_status(s, "POST", "/api/v1/users/aud/block", T_AUTH, "{\"until\":null}"), 200);
    expect_audit(s, "user.block", "aud", "admin");
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/users/aud/unblock", T_AUTH, NULL), 200);
    expect_audit(s, "user.unblock", "aud", "admin");
    make_token(s, ti_as("aud"), "audit-token", tok, sizeof(tok));
    expect_audit(s, "token.create", "aud", "aud");
    ti_mkuser(s, "aud-inv", "external", NULL);
    ti_api(s, &r, "POST", "/api/v1/users/aud-inv/invite", T_AUTH, "{\"message\":\"welcome\"}");
    ti_expect_status(&r, 202);
    t_resp_release(&r);
    expect_audit(s, "user.invite", "aud-inv", "admin");
    /* the filters: by actor, and limit */
    {
        json_t *j = audit(s, "actor=aud&limit=500"), *e;
        size_t i;

        assert_true(json_array_size(json_object_get(j, "items")) >= 1);
        json_array_foreach(json_object_get(j, "items"), i, e)
            assert_string_equal(json_string_value(json_object_get(e, "actor")), "aud");
        json_decref(j);
        j = audit(s, "limit=1");
        assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
        assert_non_null(json_string_value(json_object_get(j, "next")));
        json_decref(j);
    }
}

/* ---- the last administrator (own server: a bug here must not lock the others out) ---- */

static void
it_last_administrator_cannot_be_blocked_or_demoted(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    /* an operator with the administer faculty, without the administrator role */
    assert_int_equal(ti_api_status(s, "PUT", "/api/v1/roles/operator", T_AUTH,
                                   "{\"faculties\":[\"administer\",\"see-all-users\"]}"),
                     200);
    ti_mkuser_pw(s, "op", "operator");
    ti_api(s, &r, "POST", "/api/v1/users/admin/block", ti_as("op"), "{\"until\":null}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users/admin/block", ti_as("op"),
           "{\"until\":\"2099-01-01T00:00:00Z\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    ti_api(s, &r, "PATCH", "/api/v1/users/admin", ti_as("op"), "{\"role\":\"internal\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    ti_api(s, &r, "PATCH", "/api/v1/users/admin", T_AUTH, "{\"role\":\"internal\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    ti_api(s, &r, "POST", "/api/v1/users/admin/block", T_AUTH, "{\"until\":null}");
    expect_error(&r, 403, NULL);
    t_resp_release(&r);
    ti_api(s, &r, "DELETE", "/api/v1/users/admin?data=delete", ti_as("op"), NULL);
    expect_error(&r, 403, NULL);
    t_resp_release(&r);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", T_AUTH, NULL), 200);
    {
        json_t *j = ti_api_json(s, "GET", "/api/v1/users/admin", T_AUTH, NULL, 200);

        assert_string_equal(json_string_value(json_object_get(j, "role")), "administrator");
        assert_string_equal(json_string_value(json_object_get(j, "status")), "active");
        json_decref(j);
    }
    /* with a second administrator, one of them may go */
    ti_mkuser_pw(s, "admin2", "administrator");
    assert_int_equal(
        ti_api_status(s, "POST", "/api/v1/users/admin2/block", ti_as("op"), "{\"until\":null}"),
        200);
    /* a blocked administrator does not count: admin is still the last active one */
    ti_api(s, &r, "PATCH", "/api/v1/users/admin", ti_as("op"), "{\"role\":\"internal\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/users/admin2/unblock", ti_as("op"), NULL),
                     200);
    assert_int_equal(
        ti_api_status(s, "PATCH", "/api/v1/users/admin2", ti_as("op"), "{\"role\":\"internal\"}"),
        200);
}

/* ---- throttling (own server: throttle-after = 3) ---- */

/*
 * Sleeps until just past the next second: the throttle counts whole
 * seconds, so a burst started here stays within one second.
 */
static void
next_second(void)
{
    struct timespec now, d;

    clock_gettime(CLOCK_REALTIME, &now);
    d.tv_sec = 0;
    d.tv_nsec = 1000000000L - now.tv_nsec + 30 * 1000000L;
    if (d.tv_nsec >= 1000000000L) {
        d.tv_sec = 1;
        d.tv_nsec -= 1000000000L;
    }
    nanosleep(&d, NULL);
}

static void
it_throttle_after_failures_gives_429_until_retry_after(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *ra;
    long wait;

    ti_mkuser_pw(s, "thea", "internal");
    ti_mkuser_pw(s, "theo", "internal");
    next_second();
    for (int i = 0; i < 3; i++)
        assert_int_equal(ti_propfind(s, "/dav/thea/", ti_basic("thea", "wrong-password-1")), 401);
    /* the right password, inside the wait: 429 and not even checked */
    ti_send_req(s, &r, "PROPFIND", "/dav/thea/", ti_as("thea"), NULL, NULL);
    ti_expect_status(&r, 429);
    ra = t_header(&r, "Retry-After");
    assert_non_null(ra);
    wait = strtol(ra, NULL, 10);
    assert_true(wait >= 1 && wait <= 10);
    t_resp_release(&r);
    /* the address is slowed down, whichever account it tries, on every channel */
    ti_api(s, &r, "GET", "/api/v1/me", ti_as("theo"), NULL);
    expect_error(&r, 429, NULL);
    assert_non_null(t_header(&r, "Retry-After"));
    t_resp_release(&r);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me",
                                   ti_bearer("cft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                                   NULL),
                     429);
    /* after the wait the right password works */
    usleep((useconds_t)(wait * 1000000 + 200000));
    assert_int_equal(ti_propfind(s, "/dav/thea/", ti_as("thea")), 207);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_as("theo"), NULL), 200);
    /* the success cleared the address: one more failure is a plain 401 */
    assert_int_equal(ti_propfind(s, "/dav/thea/", ti_basic("thea", "wrong-password-2")), 401);
    assert_int_equal(ti_propfind(s, "/dav/thea/", ti_as("thea")), 207);
    expect_audit(s, "login.failed", "thea", NULL);
}

static void
it_throttle_delay_doubles_with_each_failure(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    ti_mkuser_pw(s, "tina", "internal");
    next_second();
    for (int i = 0; i < 3; i++)
        assert_int_equal(ti_propfind(s, "/dav/tina/", ti_basic("tina", "wrong-password-1")), 401);
    ti_send_req(s, &r, "PROPFIND", "/dav/tina/", ti_basic("tina", "wrong-password-1"), NULL, NULL);
    ti_expect_status(&r, 429);
    assert_non_null(t_header(&r, "Retry-After"));
    assert_string_equal(t_header(&r, "Retry-After"), "1");
    t_resp_release(&r);
    /* the wait is over: one more failure, and the next wait is 2 s */
    next_second();
    assert_int_equal(ti_propfind(s, "/dav/tina/", ti_basic("tina", "wrong-password-2")), 401);
    ti_send_req(s, &r, "PROPFIND", "/dav/tina/", ti_as("tina"), NULL, NULL);
    ti_expect_status(&r, 429);
    assert_non_null(t_header(&r, "Retry-After"));
    assert_string_equal(t_header(&r, "Retry-After"), "2");
    t_resp_release(&r);
    next_second();
    assert_int_equal(ti_propfind(s, "/dav/tina/", ti_as("tina")), 429);
    next_second();
    assert_int_equal(ti_propfind(s, "/dav/tina/", ti_as("tina")), 207);
}

/* One event loop, and password checks dearer than the default (argon2id, 8 passes). */
static int
own_one_loop(void **state)
{
    return ti_start(state, "threads = 1\nargon2-ops = 8\nthrottle-after = 200\n");
}

/* A PROPFIND (Depth 0) of /dav/<repo>/ on connection fd, answered 207. */
static void
loop_propfind(int fd, const char *repo, const char *auth)
{
    struct t_resp r;

    assert_int_equal(t_conn_send(fd, "PROPFIND /dav/%s/ HTTP/1.1\nHost: x\nDepth: 0\n%s\n",
                                 repo, auth), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    assert_int_equal(r.status, 207);
    t_resp_release(&r);
}

/*
 * A first Basic login costs an argon2id run (here some 100 ms). It runs on
 * a pool thread, so that the event loop goes on answering its other
 * connections meanwhile: with one loop, eight first logins read before a
 * request of a cached user are not all answered before it. (When the loop
 * ran them itself, it answered the eight first: they came first.) Then each
 * login is cached by the loop: its next request is answered too.
 */
static void
it_first_logins_do_not_hold_up_the_loop(void **state)
{
    struct t_server *s = *state;
    enum { N = 8 };
    char login[N][16];
    int fd[N], a, answered = 0;
    struct t_resp r;

    for (int i = 0; i < N; i++) {
        snprintf(login[i], sizeof(login[i]), "loop%d", i);
        ti_mkuser_pw(s, login[i], "internal");
    }
    a = t_conn_open(s);
    assert_true(a >= 0);
    /* the administrator is logged in (cached by the loop) */
    assert_int_equal(t_conn_send(a, "OPTIONS /dav/admin/ HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(t_conn_read(a, &r, false, 0), 0);
    t_resp_release(&r);
    loop_propfind(a, "admin", T_AUTH);
    for (int i = 0; i < N; i++) {
        fd[i] = t_conn_open(s);
        assert_true(fd[i] >= 0);
        assert_int_equal(t_conn_send(fd[i], "PROPFIND /dav/%s/ HTTP/1.1\nHost: x\nDepth: 0\n%s\n",
                                     login[i], ti_as(login[i])), 0);
    }
    usleep(50 * 1000);      /* the loop has read the eight */
    loop_propfind(a, "admin", T_AUTH);
    for (int i = 0; i < N; i++) {
        struct pollfd p = { fd[i], POLLIN, 0 };

        answered += poll(&p, 1, 0) == 1;
    }
    assert_true(answered < N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(t_conn_read(fd[i], &r, false, 0), 0);
        assert_int_equal(r.status, 207);
        t_resp_release(&r);
        loop_propfind(fd[i], login[i], ti_as(login[i]));
        close(fd[i]);
    }
    close(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(it_user_create_makes_personal_repo_and_guest_gets_none,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_user_create_validation_errors_say_what_is_wrong,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_non_admins_get_403_on_create_user_and_audit, ti_check_alive),
        cmocka_unit_test_teardown(it_users_list_visibility_follows_user_role, ti_check_alive),
        cmocka_unit_test_teardown(it_user_list_pages_with_limit_and_cursor, ti_check_alive),
        cmocka_unit_test_teardown(it_no_credentials_is_401_json_with_challenge, ti_check_alive),
        cmocka_unit_test_teardown(it_me_get_and_patch, ti_check_alive),
        cmocka_unit_test_teardown(it_token_works_on_api_not_on_webdav_and_revoked_is_401,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_token_with_expiry_in_the_past_is_400, ti_check_alive),
        cmocka_unit_test_teardown(it_app_password_revoked_is_refused_at_once, ti_check_alive),
        cmocka_unit_test_teardown(it_password_change_by_admin_takes_effect_on_next_request,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_password_change_by_user_takes_effect_on_next_request,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_2fa_on_refuses_account_password_over_basic_app_password_works,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_2fa_confirm_with_wrong_code_leaves_it_off, ti_check_alive),
        cmocka_unit_test_teardown(it_role_requiring_2fa_refuses_users_without_it, ti_check_alive),
        cmocka_unit_test_teardown(it_audit_records_actor_target_and_peer, ti_check_alive),
        cmocka_unit_test_setup_teardown(it_last_administrator_cannot_be_blocked_or_demoted,
                                        own_main, t_teardown),
        cmocka_unit_test_setup_teardown(it_throttle_after_failures_gives_429_until_retry_after,
                                        own_throttle, t_teardown),
        cmocka_unit_test_setup_teardown(it_first_logins_do_not_hold_up_the_loop, own_one_loop,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(it_throttle_delay_doubles_with_each_failure, own_throttle,
                                        t_teardown),
    };

    return cmocka_run_group_tests(tests, ti_setup, t_teardown);
}
