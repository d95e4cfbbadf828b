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

#include "coffer/totp.h"
#include "harness.h"

/*
 * A cheap argon2id (the tests hash many passwords), and a throttle far from
 * the failures these tests make on purpose: it_throttle_* has its own server.
 */
#define CONF_MAIN "argon2-mem = 1m\nargon2-ops = 1\nthrottle-after = 200\n"

/* ---- helpers ---- */

static void
print_log(struct t_server *s)
{
    char log[600], line[512];
    FILE *f;

    snprintf(log, sizeof(log), "%s/cofferd.log", s->dir);
    if ((f = fopen(log, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL)
        fprintf(stderr, "#   %s", line);
    fclose(f);
}

static bool
has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* Every user's password: long enough, not common, not his login. */
static const char *
pw_of(const char *login)
{
    static char slot[4][128];
    static int next;
    char *out = slot[next++ % 4];

    snprintf(out, sizeof(slot[0]), "Tst-%s-pw-42", login);
    return out;
}

/* "Authorization: Basic ...\n" for login:pw (static slot, valid for 3 more calls). */
static const char *
basic(const char *login, const char *pw)
{
    static char slot[4][512];
    static int next;
    char raw[256], *out = slot[next++ % 4];
    int n = snprintf(raw, sizeof(raw), "%s:%s", login, pw);

    memcpy(out, "Authorization: Basic ", 21);
    sodium_bin2base64(out + 21, sizeof(slot[0]) - 23, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_ORIGINAL);
    strcat(out, "\n");
    return out;
}

/* Basic with the user's own password (pw_of). */
static const char *
as(const char *login)
{
    return basic(login, pw_of(login));
}

static const char *
bearer(const char *token)
{
    static char slot[2][256];
    static int next;
    char *out = slot[next++ % 2];

    snprintf(out, sizeof(slot[0]), "Authorization: Bearer %s\n", token);
    return out;
}

/* Turns the head's "\n" into CRLF and appends body. */
static char *
wire_of(const char *head, const char *body, size_t *len)
{
    size_t hl = strlen(head), bl = body ? strlen(body) : 0, k = 0;
    char *w = malloc(hl * 2 + bl + 1);

    assert_non_null(w);
    for (size_t i = 0; i < hl; i++) {
        if (head[i] == '\n')
            w[k++] = '\r';
        w[k++] = head[i];
    }
    if (bl > 0)
        memcpy(w + k, body, bl);
    *len = k + bl;
    return w;
}

/* The head of a request: Host, headers ("" or lines ending in "\n"), a body's length. */
static char *
head_of(struct t_server *s, const char *method, const char *path, const char *headers,
        const char *ctype, const char *body)
{
    char *head = NULL;
    int rc = asprintf(&head, "%s %s HTTP/1.1\nHost: 127.0.0.1:%d\n%s%s%s%sContent-Length: %zu\n\n",
                      method, path, s->port, headers ? headers : "", ctype ? "Content-Type: " : "",
                      ctype ? ctype : "", ctype ? "\n" : "", body ? strlen(body) : 0);

    assert_true(rc > 0);
    return head;
}

/* One request on a new connection; returns the status. */
static int
send_req(struct t_server *s, struct t_resp *r, const char *method, const char *path,
         const char *headers, const char *ctype, const char *body)
{
    char *head = head_of(s, method, path, headers, ctype, body), *w;
    size_t len;

    w = wire_of(head, body, &len);
    assert_int_equal(t_http_raw(s, r, w, len), 0);
    free(w);
    free(head);
    return r->status;
}

/* An API call: json (or NULL) is sent as application/json. */
static int
api(struct t_server *s, struct t_resp *r, const char *method, const char *path,
    const char *auth, const char *json)
{
    return send_req(s, r, method, path, auth, json ? "application/json" : NULL, json);
}

static int
api_status(struct t_server *s, const char *method, const char *path, const char *auth,
           const char *json)
{
    struct t_resp r;
    int st = api(s, &r, method, path, auth, json);

    t_resp_release(&r);
    return st;
}

/* PROPFIND Depth 0 with the given Authorization line; returns the status. */
static int
propfind(struct t_server *s, const char *path, const char *auth)
{
    struct t_resp r;
    int st = send_req(s, &r, "PROPFIND", path, auth ? auth : "", NULL, NULL);

    t_resp_release(&r);
    return st;
}

static json_t *
jbody(const struct t_resp *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, &e);

    if (j == NULL)
        fprintf(stderr, "# not JSON (status %d): %s\n", r->status, r->body ? r->body : "");
    assert_non_null(j);
    return j;
}

/* Asserts the status; prints the whole response if it is another. */
static void
expect_status(const struct t_resp *r, int status)
{
    if (r->status != status)
        fprintf(stderr, "# expected %d, got %d:\n# %s\n# %s\n", status, r->status,
                r->head ? r->head : "", r->body ? r->body : "");
    assert_int_equal(r->status, status);
}

/* Asserts a JSON error with status whose message contains needle (any case). */
static void
expect_error(const struct t_resp *r, int status, const char *needle)
{
    json_t *j, *e;
    const char *msg;

    expect_status(r, status);
    j = jbody(r);
    e = json_object_get(j, "error");
    assert_non_null(json_string_value(json_object_get(e, "code")));
    msg = json_string_value(json_object_get(e, "message"));
    assert_non_null(msg);
    if (needle != NULL && !has_ci(msg, needle))
        fprintf(stderr, "# the message '%s' does not say '%s'\n", msg, needle);
    assert_true(needle == NULL || has_ci(msg, needle));
    json_decref(j);
}

/* Creates a user as admin (pw NULL: invited); asserts 201. */
static void
mkuser(struct t_server *s, const char *login, const char *role, const char *pw)
{
    char body[512];
    struct t_resp r;

    if (pw != NULL)
        snprintf(body, sizeof(body), "{\"login\":\"%s\",\"email\":\"%s@example.com\","
                 "\"role\":\"%s\",\"password\":\"%s\"}", login, login, role, pw);
    else
        snprintf(body, sizeof(body), "{\"login\":\"%s\",\"email\":\"%s@example.com\","
                 "\"role\":\"%s\"}", login, login, role);
    api(s, &r, "POST", "/api/v1/users", T_AUTH, body);
    expect_status(&r, 201);
    t_resp_release(&r);
}

/* A user with the password pw_of(login). */
static void
mkuser_pw(struct t_server *s, const char *login, const char *role)
{
    mkuser(s, login, role, pw_of(login));
}

/* Sends json to path as auth, expects status, returns the body (caller decrefs). */
static json_t *
api_json(struct t_server *s, const char *method, const char *path, const char *auth,
         const char *json, int status)
{
    struct t_resp r;
    json_t *j;

    api(s, &r, method, path, auth, json);
    expect_status(&r, status);
    j = jbody(&r);
    t_resp_release(&r);
    return j;
}

/* Makes an app password for the user auth belongs to; secret into out. Returns its id. */
static json_int_t
make_app_password(struct t_server *s, const char *auth, const char *name, char *out, size_t cap)
{
    char body[256];
    json_t *j;
    json_int_t id;

    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    j = api_json(s, "POST", "/api/v1/me/app-passwords", auth, body, 201);
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
    j = api_json(s, "POST", "/api/v1/me/tokens", auth, body, 201);
    assert_non_null(json_string_value(json_object_get(j, "token")));
    assert_true(strncmp(json_string_value(json_object_get(j, "token")), "cft_", 4) == 0);
    snprintf(out, cap, "%s", json_string_value(json_object_get(j, "token")));
    id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

/* The TOTP code of secret (base32) for the current time step plus delta. */
static void
totp_code(const char *b32, int delta, char out[8])
{
    unsigned char key[64];
    ssize_t n = acl_totp_base32_decode(b32, key, sizeof(key));
    uint64_t step = acl_totp_step(time(NULL));

    assert_true(n > 0);
    snprintf(out, 8, "%06u", acl_totp_hotp(key, (size_t)n, step + (uint64_t)(int64_t)delta, 6));
}

/*
 * Turns 2FA on for the user auth belongs to through /api/v1/me/2fa; the
 * secret goes to secret (33 bytes), the recovery codes to codes if not NULL.
 */
static void
enable_2fa(struct t_server *s, const char *auth, char secret[64], char codes[10][16])
{
    char body[64], code[8];
    json_t *j, *rc;
    size_t i;

    j = api_json(s, "POST", "/api/v1/me/2fa", auth, NULL, 200);
    assert_non_null(json_string_value(json_object_get(j, "secret")));
    snprintf(secret, 64, "%s", json_string_value(json_object_get(j, "secret")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "uri")), "otpauth://totp/"));
    assert_non_null(strstr(json_string_value(json_object_get(j, "qr_svg")), "<svg"));
    json_decref(j);
    totp_code(secret, 0, code);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    j = api_json(s, "POST", "/api/v1/me/2fa/confirm", auth, body, 200);
    rc = json_object_get(j, "recovery_codes");
    assert_int_equal(json_array_size(rc), 10);
    for (i = 0; codes != NULL && i < 10; i++)
        snprintf(codes[i], 16, "%s", json_string_value(json_array_get(rc, i)));
    json_decref(j);
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
    return api_json(s, "GET", path, T_AUTH, NULL, 200);
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

/* ---- fixtures ---- */

static int
main_setup(void **state)
{
    struct t_server *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return -1;
    if (t_server_start(s, CONF_MAIN) < 0) {
        print_log(s);
        t_server_stop(s);
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

static int
main_teardown(void **state)
{
    return t_teardown(state);
}

/* Per-test teardown for the shared server: show its log if the test killed it. */
static int
check_alive(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    if (t_http(s, &r, "OPTIONS / HTTP/1.1\nHost: x\n\n") == 0 && r.status == 200) {
        t_resp_release(&r);
        return 0;
    }
    fprintf(stderr, "# cofferd died during this test; its log:\n");
    print_log(s);
    return t_server_restart(s, CONF_MAIN);
}

/* A server of the test's own with config conf. */
static int
own_start(void **state, const char *conf)
{
    struct t_server *own = calloc(1, sizeof(*own));

    if (own == NULL)
        return -1;
    if (t_server_start(own, conf) < 0) {
        print_log(own);
        t_server_stop(own);
        free(own);
        return -1;
    }
    *state = own;
    return 0;
}

static int
own_stop(void **state)
{
    struct t_server *own = *state;

    if (own != NULL) {
        t_server_stop(own);
        free(own);
    }
    return 0;
}

static int
own_main(void **state)
{
    return own_start(state, CONF_MAIN);
}

static int
own_throttle(void **state)
{
    return own_start(state, "argon2-mem = 1m\nargon2-ops = 1\nthrottle-after = 3\n"
                     "throttle-max = 10s\n");
}

/* ---- users and their repositories ---- */

static void
it_user_create_makes_personal_repo_and_guest_gets_none(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"carol\",\"email\":\"carol@example.com\",\"role\":\"internal\","
        "\"password\":\"Tst-carol-pw-42\",\"display_name\":\"Carol C\"}");
    expect_status(&r, 201);
    j = jbody(&r);
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
    assert_int_equal(propfind(s, "/dav/carol/", as("carol")), 207);
    assert_int_equal(api_status(s, "GET", "/api/v1/users/carol", T_AUTH, NULL), 200);

    mkuser_pw(s, "gina", "guest");
    assert_int_equal(api_status(s, "GET", "/api/v1/me", as("gina"), NULL), 200);
    assert_int_equal(propfind(s, "/dav/gina/", as("gina")), 404);
    assert_int_equal(propfind(s, "/dav/gina/", T_AUTH), 404);
}

static void
it_user_create_validation_errors_say_what_is_wrong(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"Bad Login!\",\"email\":\"b@example.com\",\"role\":\"internal\"}");
    expect_error(&r, 400, "login");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"val1\",\"email\":\"not an email\",\"role\":\"internal\"}");
    expect_error(&r, 400, "email");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"val1\",\"email\":\"val1@example.com\",\"role\":\"wizard\"}");
    expect_error(&r, 400, "role");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"val1\",\"email\":\"val1@example.com\",\"role\":\"internal\","
        "\"password\":\"password\"}");
    expect_error(&r, 400, "password");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"val1\",\"email\":\"val1@example.com\",\"role\":\"internal\","
        "\"password\":\"short\"}");
    expect_error(&r, 400, "password");
    t_resp_release(&r);
    /* none of the refused ones was made */
    assert_int_equal(api_status(s, "GET", "/api/v1/users/val1", T_AUTH, NULL), 404);

    mkuser_pw(s, "val1", "external");
    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"val1\",\"email\":\"other@example.com\",\"role\":\"internal\"}");
    expect_error(&r, 409, "exists");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users", T_AUTH,
        "{\"login\":\"val2\",\"email\":\"val2@example.com\",\"role\":\"internal\","
        "\"colour\":\"red\"}");
    expect_error(&r, 400, "colour");
    t_resp_release(&r);
    send_req(s, &r, "POST", "/api/v1/users", T_AUTH, "text/plain",
             "login=val2&email=val2@example.com&role=internal");
    expect_error(&r, 415, "json");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users", T_AUTH, "{\"login\":\"val2\",");
    expect_error(&r, 400, "json");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users", T_AUTH, "{\"login\":\"val2\",\"email\":7,"
        "\"role\":\"internal\"}");
    expect_error(&r, 400, "email");
    t_resp_release(&r);
    assert_int_equal(api_status(s, "GET", "/api/v1/users/val2", T_AUTH, NULL), 404);
}

static void
it_non_admins_get_403_on_create_user_and_audit(void **state)
{
    struct t_server *s = *state;
    static const char *const roles[] = { "internal", "external", "guest" };
    static const char *const logins[] = { "na-int", "na-ext", "na-guest" };
    struct t_resp r;

    for (int i = 0; i < 3; i++) {
        mkuser_pw(s, logins[i], roles[i]);
        api(s, &r, "POST", "/api/v1/users", as(logins[i]),
            "{\"login\":\"na-made\",\"email\":\"na@example.com\",\"role\":\"administrator\","
            "\"password\":\"Tst-na-made-pw-42\"}");
        expect_error(&r, 403, NULL);
        t_resp_release(&r);
        api(s, &r, "GET", "/api/v1/audit", as(logins[i]), NULL);
        expect_error(&r, 403, NULL);
        t_resp_release(&r);
        api(s, &r, "PATCH", "/api/v1/users/admin", as(logins[i]), "{\"role\":\"guest\"}");
        assert_true(r.status == 403 || r.status == 404);
        t_resp_release(&r);
    }
    assert_int_equal(api_status(s, "GET", "/api/v1/users/na-made", T_AUTH, NULL), 404);
    /* and the administrator may */
    assert_int_equal(api_status(s, "GET", "/api/v1/audit?limit=1", T_AUTH, NULL), 200);
}

static void
it_users_list_visibility_follows_user_role(void **state)
{
    struct t_server *s = *state;
    json_t *j;

    mkuser_pw(s, "vis-int", "internal");
    mkuser_pw(s, "vis-ext", "external");
    mkuser_pw(s, "vis-guest", "guest");
    mkuser_pw(s, "vis-admin2", "administrator");

    /* administrators and internal users see everyone */
    const char *const seers[] = { "admin", "vis-int", "vis-admin2" };
    for (int i = 0; i < 3; i++) {
        const char *auth = i == 0 ? T_AUTH : as(seers[i]);

        j = api_json(s, "GET", "/api/v1/users?limit=500", auth, NULL, 200);
        assert_true(list_has(j, "admin"));
        assert_true(list_has(j, "vis-int"));
        assert_true(list_has(j, "vis-ext"));
        assert_true(list_has(j, "vis-guest"));
        assert_true(list_has(j, "vis-admin2"));
        assert_true(json_array_size(json_object_get(j, "items")) >= 5);
        assert_non_null(json_object_get(j, "next"));
        json_decref(j);
        assert_int_equal(api_status(s, "GET", "/api/v1/users/vis-guest", auth, NULL), 200);
    }
    /* q narrows it */
    j = api_json(s, "GET", "/api/v1/users?q=vis-gu", as("vis-int"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    assert_true(list_has(j, "vis-guest"));
    json_decref(j);

    /* external users (no shared groups yet) and guests see themselves only */
    const char *const selves[] = { "vis-ext", "vis-guest" };
    for (int i = 0; i < 2; i++) {
        j = api_json(s, "GET", "/api/v1/users?limit=500", as(selves[i]), NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
        assert_true(list_has(j, selves[i]));
        json_decref(j);
        j = api_json(s, "GET", "/api/v1/users?q=admin", as(selves[i]), NULL, 200);
        assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
        json_decref(j);
        assert_int_equal(api_status(s, "GET", "/api/v1/users/admin", as(selves[i]), NULL), 404);
        assert_int_equal(api_status(s, "GET", "/api/v1/users/vis-int", as(selves[i]), NULL),
                         404);
        assert_int_equal(api_status(s, "GET", i == 0 ? "/api/v1/users/vis-guest"
                                                     : "/api/v1/users/vis-ext",
                                    as(selves[i]), NULL), 404);
        /* the same 404 as for a user who does not exist */
        assert_int_equal(api_status(s, "GET", "/api/v1/users/nobody-here", as(selves[i]), NULL),
                         404);
        assert_int_equal(api_status(s, "GET", i == 0 ? "/api/v1/users/vis-ext"
                                                     : "/api/v1/users/vis-guest",
                                    as(selves[i]), NULL), 200);
    }
}

static void
it_user_list_pages_with_limit_and_cursor(void **state)
{
    struct t_server *s = *state;
    char path[256];
    json_t *a, *b;
    const char *next;

    mkuser_pw(s, "page-a", "internal");
    mkuser_pw(s, "page-b", "internal");
    mkuser_pw(s, "page-c", "internal");
    a = api_json(s, "GET", "/api/v1/users?q=page-&limit=2", T_AUTH, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(a, "items")), 2);
    next = json_string_value(json_object_get(a, "next"));
    assert_non_null(next);
    snprintf(path, sizeof(path), "/api/v1/users?q=page-&limit=2&cursor=%s", next);
    b = api_json(s, "GET", path, T_AUTH, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(b, "items")), 1);
    assert_true(list_has(b, "page-c"));
    assert_true(json_is_null(json_object_get(b, "next")));
    json_decref(a);
    json_decref(b);
    assert_int_equal(api_status(s, "GET", "/api/v1/users?limit=0", T_AUTH, NULL), 400);
    assert_int_equal(api_status(s, "GET", "/api/v1/users?limit=501", T_AUTH, NULL), 400);
}

static void
it_no_credentials_is_401_json_with_challenge(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    api(s, &r, "GET", "/api/v1/me", "", NULL);
    expect_error(&r, 401, NULL);
    assert_non_null(t_header(&r, "WWW-Authenticate"));
    assert_true(has_ci(t_header(&r, "WWW-Authenticate"), "Basic"));
    t_resp_release(&r);
    api(s, &r, "GET", "/api/v1/users", basic("admin", "wrong-password-1"), NULL);
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

    mkuser_pw(s, "mia", "external");
    j = api_json(s, "GET", "/api/v1/me", as("mia"), NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "mia");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "external");
    json_decref(j);
    j = api_json(s, "PATCH", "/api/v1/me", as("mia"),
                 "{\"display_name\":\"Mia M\",\"email\":\"mia2@example.com\"}", 200);
    assert_string_equal(json_string_value(json_object_get(j, "display_name")), "Mia M");
    json_decref(j);
    j = api_json(s, "GET", "/api/v1/users/mia", T_AUTH, NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "email")), "mia2@example.com");
    assert_string_equal(json_string_value(json_object_get(j, "display_name")), "Mia M");
    json_decref(j);
    api(s, &r, "PATCH", "/api/v1/me", as("mia"), "{\"email\":\"no-at-sign\"}");
    expect_error(&r, 400, "email");
    t_resp_release(&r);
    /* he cannot make himself an administrator */
    api(s, &r, "PATCH", "/api/v1/me", as("mia"), "{\"role\":\"administrator\"}");
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    api(s, &r, "PATCH", "/api/v1/users/mia", as("mia"), "{\"role\":\"administrator\"}");
    expect_error(&r, 403, NULL);
    t_resp_release(&r);
    j = api_json(s, "GET", "/api/v1/me", as("mia"), NULL, 200);
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

    mkuser_pw(s, "tom", "internal");
    id = make_token(s, as("tom"), "ci script", tok, sizeof(tok));
    j = api_json(s, "GET", "/api/v1/me", bearer(tok), NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "tom");
    json_decref(j);
    /* listed, without the secret */
    j = api_json(s, "GET", "/api/v1/me/tokens", as("tom"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    {
        char *dump = json_dumps(j, JSON_COMPACT);
        assert_null(strstr(dump, tok));
        free(dump);
    }
    json_decref(j);
    /* WebDAV takes no tokens */
    assert_int_equal(propfind(s, "/dav/tom/", bearer(tok)), 401);
    assert_int_equal(propfind(s, "/dav/tom/", as("tom")), 207);
    /* someone else cannot revoke it */
    mkuser_pw(s, "tom2", "internal");
    snprintf(path, sizeof(path), "/api/v1/me/tokens/%lld", (long long)id);
    assert_int_equal(api_status(s, "DELETE", path, as("tom2"), NULL), 404);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", bearer(tok), NULL), 200);
    /* revoked: refused at once */
    assert_int_equal(api_status(s, "DELETE", path, as("tom"), NULL), 204);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", bearer(tok), NULL), 401);
    /* a made-up token too */
    assert_int_equal(api_status(s, "GET", "/api/v1/me",
                                bearer("cft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), NULL),
                     401);
}

static void
it_token_with_expiry_in_the_past_is_400(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    mkuser_pw(s, "tex", "internal");
    api(s, &r, "POST", "/api/v1/me/tokens", as("tex"),
        "{\"name\":\"old\",\"expires\":\"2001-01-01T00:00:00Z\"}");
    expect_error(&r, 400, "expires");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/me/tokens", as("tex"),
        "{\"name\":\"bad\",\"expires\":\"next tuesday\"}");
    expect_error(&r, 400, "expires");
    t_resp_release(&r);
    j = api_json(s, "GET", "/api/v1/me/tokens", as("tex"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    /* one that expires later works, and says when */
    j = api_json(s, "POST", "/api/v1/me/tokens", as("tex"),
                 "{\"name\":\"later\",\"expires\":\"2099-01-01T00:00:00Z\"}", 201);
    assert_string_equal(json_string_value(json_object_get(j, "expires")),
                        "2099-01-01T00:00:00Z");
    assert_int_equal(api_status(s, "GET", "/api/v1/me",
                                bearer(json_string_value(json_object_get(j, "token"))), NULL),
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

    mkuser_pw(s, "anna", "internal");
    id = make_app_password(s, as("anna"), "laptop", apw, sizeof(apw));
    assert_int_equal(strlen(apw), 24);
    assert_int_equal(propfind(s, "/dav/anna/", basic("anna", apw)), 207);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", basic("anna", apw), NULL), 200);
    /* another user's app password is not hers */
    assert_int_equal(propfind(s, "/dav/anna/", basic("admin", apw)), 401);
    j = api_json(s, "GET", "/api/v1/me/app-passwords", as("anna"), NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    {
        char *dump = json_dumps(j, JSON_COMPACT);
        assert_null(strstr(dump, apw));
        free(dump);
    }
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/me/app-passwords/%lld", (long long)id);
    assert_int_equal(api_status(s, "DELETE", path, as("anna"), NULL), 204);
    /* the credential was cached by the requests above: still refused at once */
    assert_int_equal(propfind(s, "/dav/anna/", basic("anna", apw)), 401);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", basic("anna", apw), NULL), 401);
    assert_int_equal(propfind(s, "/dav/anna/", as("anna")), 207);
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

    mkuser_pw(s, "pat", "internal");
    fd = t_conn_open(s);
    assert_true(fd >= 0);
    /* cached on this connection */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t_conn_send(fd, "PROPFIND /dav/pat/ HTTP/1.1\nHost: x\n%sDepth: 0\n\n",
                                     as("pat")), 0);
        assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
        expect_status(&r, 207);
        t_resp_release(&r);
    }
    snprintf(body, sizeof(body), "{\"password\":\"%s\"}", newpw);
    assert_int_equal(api_status(s, "PATCH", "/api/v1/users/pat", T_AUTH, body), 200);
    assert_int_equal(t_conn_send(fd, "PROPFIND /dav/pat/ HTTP/1.1\nHost: x\n%sDepth: 0\n\n",
                                 as("pat")), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    expect_status(&r, 401);
    t_resp_release(&r);
    assert_int_equal(t_conn_send(fd, "PROPFIND /dav/pat/ HTTP/1.1\nHost: x\n%sDepth: 0\n\n",
                                 basic("pat", newpw)), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    expect_status(&r, 207);
    t_resp_release(&r);
    close(fd);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", as("pat"), NULL), 401);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", basic("pat", newpw), NULL), 200);
    /* an administrator setting it is a reset; the user's own change is user.password */
    expect_audit(s, "user.password-reset", "pat", "admin");
    /* the policy holds for administrators too */
    api(s, &r, "PATCH", "/api/v1/users/pat", T_AUTH, "{\"password\":\"pat\"}");
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

    mkuser_pw(s, "una", "external");
    fd = t_conn_open(s);
    assert_true(fd >= 0);
    assert_int_equal(t_conn_send(fd, "GET /api/v1/me HTTP/1.1\nHost: x\n%s\n", as("una")), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    expect_status(&r, 200);
    t_resp_release(&r);
    /* the current password must be right */
    snprintf(body, sizeof(body), "{\"current\":\"wrong-current-pw\",\"new\":\"%s\"}", newpw);
    api(s, &r, "POST", "/api/v1/me/password", as("una"), body);
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    snprintf(body, sizeof(body), "{\"current\":\"%s\",\"new\":\"123456\"}", pw_of("una"));
    api(s, &r, "POST", "/api/v1/me/password", as("una"), body);
    expect_error(&r, 400, "password");
    t_resp_release(&r);
    snprintf(body, sizeof(body), "{\"current\":\"%s\",\"new\":\"%s\"}", pw_of("una"), newpw);
    assert_int_equal(api_status(s, "POST", "/api/v1/me/password", as("una"), body), 204);
    assert_int_equal(t_conn_send(fd, "GET /api/v1/me HTTP/1.1\nHost: x\n%s\n", as("una")), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    expect_status(&r, 401);
    t_resp_release(&r);
    assert_int_equal(t_conn_send(fd, "GET /api/v1/me HTTP/1.1\nHost: x\n%s\n",
                                 basic("una", newpw)), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    expect_status(&r, 200);
    t_resp_release(&r);
    close(fd);
    assert_int_equal(propfind(s, "/dav/una/", as("una")), 401);
    assert_int_equal(propfind(s, "/dav/una/", basic("una", newpw)), 207);
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

    mkuser_pw(s, "zoe", "internal");
    /* cached before 2FA */
    assert_int_equal(propfind(s, "/dav/zoe/", as("zoe")), 207);
    make_app_password(s, as("zoe"), "phone", apw, sizeof(apw));
    enable_2fa(s, as("zoe"), secret, NULL);
    j = api_json(s, "GET", "/api/v1/users/zoe", T_AUTH, NULL, 200);
    assert_true(json_is_true(json_object_get(j, "two_factor")));
    json_decref(j);
    expect_audit(s, "user.2fa-on", "zoe", "zoe");
    /* the account password: refused on WebDAV and on the API, saying why */
    assert_int_equal(propfind(s, "/dav/zoe/", as("zoe")), 401);
    api(s, &r, "GET", "/api/v1/me", as("zoe"), NULL);
    expect_error(&r, 401, "app password");
    t_resp_release(&r);
    /* the app password: let in */
    assert_int_equal(propfind(s, "/dav/zoe/", basic("zoe", apw)), 207);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", basic("zoe", apw), NULL), 200);
    /* a second enrolment is refused while it is on */
    api(s, &r, "POST", "/api/v1/me/2fa", basic("zoe", apw), NULL);
    assert_true(r.status == 409 || r.status == 400);
    t_resp_release(&r);
    /* turning it off takes the account password */
    api(s, &r, "DELETE", "/api/v1/me/2fa", basic("zoe", apw), "{\"password\":\"wrong-pw-zoe\"}");
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    snprintf(pw, sizeof(pw), "{\"password\":\"%s\"}", pw_of("zoe"));
    assert_int_equal(api_status(s, "DELETE", "/api/v1/me/2fa", basic("zoe", apw), pw), 204);
    assert_int_equal(propfind(s, "/dav/zoe/", as("zoe")), 207);
}

static void
it_2fa_confirm_with_wrong_code_leaves_it_off(void **state)
{
    struct t_server *s = *state;
    char secret[64], codes[3][8], wrong[8], body[64];
    struct t_resp r;
    json_t *j;
    unsigned v;

    mkuser_pw(s, "wes", "internal");
    j = api_json(s, "POST", "/api/v1/me/2fa", as("wes"), NULL, 200);
    snprintf(secret, sizeof(secret), "%s", json_string_value(json_object_get(j, "secret")));
    json_decref(j);
    for (int d = -1; d <= 1; d++)
        totp_code(secret, d, codes[d + 1]);
    for (v = 123456;; v = (v + 1) % 1000000) {
        snprintf(wrong, sizeof(wrong), "%06u", v);
        if (strcmp(wrong, codes[0]) && strcmp(wrong, codes[1]) && strcmp(wrong, codes[2]))
            break;
    }
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", wrong);
    api(s, &r, "POST", "/api/v1/me/2fa/confirm", as("wes"), body);
    assert_true(r.status == 400 || r.status == 403);
    t_resp_release(&r);
    j = api_json(s, "GET", "/api/v1/me", as("wes"), NULL, 200);
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

    j = api_json(s, "PUT", "/api/v1/roles/staff2fa", T_AUTH,
                 "{\"faculties\":[\"upload\",\"see-all-users\",\"personal-repository\"],"
                 "\"require_2fa\":true}", 200);
    assert_true(json_is_true(json_object_get(j, "require_2fa")));
    json_decref(j);
    j = api_json(s, "GET", "/api/v1/roles", T_AUTH, NULL, 200);
    {
        char *dump = json_dumps(j, JSON_COMPACT);
        assert_non_null(strstr(dump, "staff2fa"));
        assert_non_null(strstr(dump, "administrator"));
        free(dump);
    }
    json_decref(j);
    mkuser_pw(s, "sam", "staff2fa");
    api(s, &r, "GET", "/api/v1/me", as("sam"), NULL);
    expect_error(&r, 403, "two-factor");
    t_resp_release(&r);
    send_req(s, &r, "PROPFIND", "/dav/sam/", as("sam"), NULL, NULL);
    expect_status(&r, 403);
    assert_true(has_ci(r.body, "two-factor"));
    t_resp_release(&r);
    /* the enrolment itself is let through (it_ident_web.c logs him in afterwards) */
    enable_2fa(s, as("sam"), secret, NULL);
    j = api_json(s, "GET", "/api/v1/users/sam", T_AUTH, NULL, 200);
    assert_true(json_is_true(json_object_get(j, "two_factor")));
    json_decref(j);
    /* the role cannot be deleted while he holds it */
    api(s, &r, "DELETE", "/api/v1/roles/staff2fa", T_AUTH, NULL);
    assert_true(r.status == 409 || r.status == 400);
    t_resp_release(&r);
    /* a preset role cannot be deleted */
    api(s, &r, "DELETE", "/api/v1/roles/guest", T_AUTH, NULL);
    expect_error(&r, 403, "preset");
    t_resp_release(&r);
    /* and only administrators change roles */
    mkuser_pw(s, "rint", "internal");
    assert_int_equal(api_status(s, "PUT", "/api/v1/roles/mine", as("rint"),
                                "{\"faculties\":[\"administer\"]}"), 403);
}

/* ---- audit ---- */

static void
it_audit_records_actor_target_and_peer(void **state)
{
    struct t_server *s = *state;
    char tok[128];
    struct t_resp r;

    mkuser_pw(s, "aud", "external");
    /* login.failed: on the login tried, from where; who tried is unknown */
    assert_int_equal(propfind(s, "/dav/aud/", basic("aud", "not-his-password")), 401);
    expect_audit(s, "login.failed", "aud", NULL);
    expect_audit(s, "user.create", "aud", "admin");
    assert_int_equal(api_status(s, "PATCH", "/api/v1/users/aud", T_AUTH,
                                "{\"role\":\"internal\"}"), 200);
    expect_audit(s, "user.role", "aud", "admin");
    assert_int_equal(api_status(s, "POST", "/api/v1/users/aud/block", T_AUTH,
                                "{\"until\":null}"), 200);
    expect_audit(s, "user.block", "aud", "admin");
    assert_int_equal(api_status(s, "POST", "/api/v1/users/aud/unblock", T_AUTH, NULL), 200);
    expect_audit(s, "user.unblock", "aud", "admin");
    make_token(s, as("aud"), "audit-token", tok, sizeof(tok));
    expect_audit(s, "token.create", "aud", "aud");
    mkuser(s, "aud-inv", "external", NULL);
    api(s, &r, "POST", "/api/v1/users/aud-inv/invite", T_AUTH, "{\"message\":\"welcome\"}");
    expect_status(&r, 202);
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
    assert_int_equal(api_status(s, "PUT", "/api/v1/roles/operator", T_AUTH,
                                "{\"faculties\":[\"administer\",\"see-all-users\"]}"), 200);
    mkuser_pw(s, "op", "operator");
    api(s, &r, "POST", "/api/v1/users/admin/block", as("op"), "{\"until\":null}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users/admin/block", as("op"),
        "{\"until\":\"2099-01-01T00:00:00Z\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    api(s, &r, "PATCH", "/api/v1/users/admin", as("op"), "{\"role\":\"internal\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    api(s, &r, "PATCH", "/api/v1/users/admin", T_AUTH, "{\"role\":\"internal\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    api(s, &r, "POST", "/api/v1/users/admin/block", T_AUTH, "{\"until\":null}");
    expect_error(&r, 403, NULL);
    t_resp_release(&r);
    api(s, &r, "DELETE", "/api/v1/users/admin?data=delete", as("op"), NULL);
    expect_error(&r, 403, NULL);
    t_resp_release(&r);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", T_AUTH, NULL), 200);
    {
        json_t *j = api_json(s, "GET", "/api/v1/users/admin", T_AUTH, NULL, 200);

        assert_string_equal(json_string_value(json_object_get(j, "role")), "administrator");
        assert_string_equal(json_string_value(json_object_get(j, "status")), "active");
        json_decref(j);
    }
    /* with a second administrator, one of them may go */
    mkuser_pw(s, "admin2", "administrator");
    assert_int_equal(api_status(s, "POST", "/api/v1/users/admin2/block", as("op"),
                                "{\"until\":null}"), 200);
    /* a blocked administrator does not count: admin is still the last active one */
    api(s, &r, "PATCH", "/api/v1/users/admin", as("op"), "{\"role\":\"internal\"}");
    expect_error(&r, 403, "administrator");
    t_resp_release(&r);
    assert_int_equal(api_status(s, "POST", "/api/v1/users/admin2/unblock", as("op"), NULL), 200);
    assert_int_equal(api_status(s, "PATCH", "/api/v1/users/admin2", as("op"),
                                "{\"role\":\"internal\"}"), 200);
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

    mkuser_pw(s, "thea", "internal");
    mkuser_pw(s, "theo", "internal");
    next_second();
    for (int i = 0; i < 3; i++)
        assert_int_equal(propfind(s, "/dav/thea/", basic("thea", "wrong-password-1")), 401);
    /* the right password, inside the wait: 429 and not even checked */
    send_req(s, &r, "PROPFIND", "/dav/thea/", as("thea"), NULL, NULL);
    expect_status(&r, 429);
    ra = t_header(&r, "Retry-After");
    assert_non_null(ra);
    wait = strtol(ra, NULL, 10);
    assert_true(wait >= 1 && wait <= 10);
    t_resp_release(&r);
    /* the address is slowed down, whichever account it tries, on every channel */
    api(s, &r, "GET", "/api/v1/me", as("theo"), NULL);
    expect_error(&r, 429, NULL);
    assert_non_null(t_header(&r, "Retry-After"));
    t_resp_release(&r);
    assert_int_equal(api_status(s, "GET", "/api/v1/me",
                                bearer("cft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), NULL),
                     429);
    /* after the wait the right password works */
    usleep((useconds_t)(wait * 1000000 + 200000));
    assert_int_equal(propfind(s, "/dav/thea/", as("thea")), 207);
    assert_int_equal(api_status(s, "GET", "/api/v1/me", as("theo"), NULL), 200);
    /* the success cleared the address: one more failure is a plain 401 */
    assert_int_equal(propfind(s, "/dav/thea/", basic("thea", "wrong-password-2")), 401);
    assert_int_equal(propfind(s, "/dav/thea/", as("thea")), 207);
    expect_audit(s, "login.failed", "thea", NULL);
}

static void
it_throttle_delay_doubles_with_each_failure(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    mkuser_pw(s, "tina", "internal");
    next_second();
    for (int i = 0; i < 3; i++)
        assert_int_equal(propfind(s, "/dav/tina/", basic("tina", "wrong-password-1")), 401);
    send_req(s, &r, "PROPFIND", "/dav/tina/", basic("tina", "wrong-password-1"), NULL, NULL);
    expect_status(&r, 429);
    assert_non_null(t_header(&r, "Retry-After"));
    assert_string_equal(t_header(&r, "Retry-After"), "1");
    t_resp_release(&r);
    /* the wait is over: one more failure, and the next wait is 2 s */
    next_second();
    assert_int_equal(propfind(s, "/dav/tina/", basic("tina", "wrong-password-2")), 401);
    send_req(s, &r, "PROPFIND", "/dav/tina/", as("tina"), NULL, NULL);
    expect_status(&r, 429);
    assert_non_null(t_header(&r, "Retry-After"));
    assert_string_equal(t_header(&r, "Retry-After"), "2");
    t_resp_release(&r);
    next_second();
    assert_int_equal(propfind(s, "/dav/tina/", as("tina")), 429);
    next_second();
    assert_int_equal(propfind(s, "/dav/tina/", as("tina")), 207);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(it_user_create_makes_personal_repo_and_guest_gets_none,
                                  check_alive),
        cmocka_unit_test_teardown(it_user_create_validation_errors_say_what_is_wrong,
                                  check_alive),
        cmocka_unit_test_teardown(it_non_admins_get_403_on_create_user_and_audit, check_alive),
        cmocka_unit_test_teardown(it_users_list_visibility_follows_user_role, check_alive),
        cmocka_unit_test_teardown(it_user_list_pages_with_limit_and_cursor, check_alive),
        cmocka_unit_test_teardown(it_no_credentials_is_401_json_with_challenge, check_alive),
        cmocka_unit_test_teardown(it_me_get_and_patch, check_alive),
        cmocka_unit_test_teardown(it_token_works_on_api_not_on_webdav_and_revoked_is_401,
                                  check_alive),
        cmocka_unit_test_teardown(it_token_with_expiry_in_the_past_is_400, check_alive),
        cmocka_unit_test_teardown(it_app_password_revoked_is_refused_at_once, check_alive),
        cmocka_unit_test_teardown(it_password_change_by_admin_takes_effect_on_next_request,
                                  check_alive),
        cmocka_unit_test_teardown(it_password_change_by_user_takes_effect_on_next_request,
                                  check_alive),
        cmocka_unit_test_teardown(it_2fa_on_refuses_account_password_over_basic_app_password_works,
                                  check_alive),
        cmocka_unit_test_teardown(it_2fa_confirm_with_wrong_code_leaves_it_off, check_alive),
        cmocka_unit_test_teardown(it_role_requiring_2fa_refuses_users_without_it, check_alive),
        cmocka_unit_test_teardown(it_audit_records_actor_target_and_peer, check_alive),
        cmocka_unit_test_setup_teardown(it_last_administrator_cannot_be_blocked_or_demoted,
                                        own_main, own_stop),
        cmocka_unit_test_setup_teardown(it_throttle_after_failures_gives_429_until_retry_after,
                                        own_throttle, own_stop),
        cmocka_unit_test_setup_teardown(it_throttle_delay_doubles_with_each_failure,
                                        own_throttle, own_stop),
    };

    return cmocka_run_group_tests(tests, main_setup, main_teardown);
}
