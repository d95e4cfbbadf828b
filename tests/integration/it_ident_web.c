/*
 * it_ident_web.c: identity through the browser against the real cofferd:
 * the login form (session cookie, CSRF pair, second factor: wrong,
 * replayed and recovery codes), logout, CSRF refusals of a session on the
 * API and on WebDAV, invitation links (accepted once, unknown, expired),
 * the 2FA page, and a blocked user refused on every channel until he is
 * unblocked. The REST API's own tests are in it_ident.c.
 *
 * One server for all tests; each test makes users of its own.
 */
#include "config.h"

#include <dirent.h>
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
#include <sqlite3.h>

#include "harness.h"
#include "ident_lib.h"

/* The server runs with TI_CONF (ident_lib.h): a cheap argon2id, and a
 * throttle far from the failures made on purpose here. */

#define FORM "application/x-www-form-urlencoded"

/* ---- helpers (the HTTP, JSON, user and TOTP ones are in ident_lib.c) ---- */

/* "Cookie: coffer_session=...\n" and, with csrf, the X-CSRF-Token line. */
static const char *
sess(const char *session, const char *csrf)
{
    static char slot[4][512];
    static int next;
    char *out = slot[next++ % 4];

    snprintf(out, sizeof(slot[0]), "Cookie: coffer_session=%s\n%s%s%s", session,
             csrf ? "X-CSRF-Token: " : "", csrf ? csrf : "", csrf ? "\n" : "");
    return out;
}

/* Asserts status and that the body (JSON or a page) says needle. */
static void
expect_says(const struct t_resp *r, int status, const char *needle)
{
    ti_expect_status(r, status);
    if (!ti_has_ci(r->body, needle))
        fprintf(stderr, "# the %d answer does not say '%s':\n# %s\n", status, needle, r->body);
    assert_true(ti_has_ci(r->body, needle));
}

/* The user's field as admin sees it (static slot). */
static const char *
user_field(struct t_server *s, const char *login, const char *field)
{
    static char out[2][128];
    static int next;
    char path[128], *o = out[next++ % 2];
    json_t *j, *v;

    snprintf(path, sizeof(path), "/api/v1/users/%s", login);
    j = ti_api_json(s, "GET", path, T_AUTH, NULL, 200);
    v = json_object_get(j, field);
    if (json_is_string(v))
        snprintf(o, sizeof(out[0]), "%s", json_string_value(v));
    else if (json_is_boolean(v))
        snprintf(o, sizeof(out[0]), "%s", json_is_true(v) ? "true" : "false");
    else
        snprintf(o, sizeof(out[0]), "null");
    json_decref(j);
    return o;
}

/* A 6-digit code that is none of the codes of the steps around now. */
static void
totp_wrong(const char *b32, char out[8])
{
    char near[5][8];

    for (int d = -2; d <= 2; d++)
        ti_totp_code(b32, d, near[d + 2]);
    for (unsigned v = 314159;; v = (v + 7919) % 1000000) {
        int k;

        snprintf(out, 8, "%06u", v);
        for (k = 0; k < 5 && strcmp(out, near[k]) != 0; k++)
            ;
        if (k == 5)
            return;
    }
}

/*
 * The value of cookie name from the Set-Cookie headers of r into out; the
 * whole header line into line (if not NULL). False if there is none.
 */
static bool
set_cookie(const struct t_resp *r, const char *name, char *out, size_t cap, char *line,
           size_t linecap)
{
    size_t n = strlen(name);

    for (const char *p = r->head ? strstr(r->head, "\r\n") : NULL; p != NULL;
         p = strstr(p + 2, "\r\n")) {
        const char *v = p + 2, *e;

        if (strncasecmp(v, "Set-Cookie:", 11) != 0)
            continue;
        v += 11;
        while (*v == ' ')
            v++;
        if (strncmp(v, name, n) != 0 || v[n] != '=')
            continue;
        e = strstr(v, "\r\n");
        if (line != NULL)
            snprintf(line, linecap, "%.*s", (int)(e ? (size_t)(e - v) : strlen(v)), v);
        v += n + 1;
        snprintf(out, cap, "%.*s", (int)strcspn(v, ";\r\n"), v);
        return true;
    }
    return false;
}

/* The value attribute of the first form field named name in html (into out). */
static bool
html_field(const char *html, const char *name, char *out, size_t cap)
{
    char pat[2][80];

    snprintf(pat[0], sizeof(pat[0]), "name=\"%s\"", name);
    snprintf(pat[1], sizeof(pat[1]), "name='%s'", name);
    for (int k = 0; k < 2; k++) {
        const char *at = html ? strstr(html, pat[k]) : NULL, *open, *close, *v;

        if (at == NULL)
            continue;
        for (open = at; open > html && *open != '<'; open--)
            ;
        close = strchr(at, '>');
        if (close == NULL)
            continue;
        for (v = open; v < close; v++)
            if (strncmp(v, "value=", 6) == 0 && (v[6] == '"' || v[6] == '\'')) {
                char q = v[6];
                const char *e = strchr(v + 7, q);

                if (e == NULL || e > close)
                    break;
                snprintf(out, cap, "%.*s", (int)(e - v - 7), v + 7);
                return true;
            }
    }
    return false;
}

/* Percent-encodes a form value. */
static const char *
enc(const char *in)
{
    static char slot[6][512];
    static int next;
    char *out = slot[next++ % 6];
    size_t k = 0;

    for (; *in != '\0' && k + 4 < sizeof(slot[0]); in++) {
        unsigned char c = (unsigned char)*in;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, 4, "%%%02X", c);
    }
    out[k] = '\0';
    return out;
}

/*
 * A form page's CSRF pair: the hidden field (its name, as the page writes
 * it, and value) and the coffer_login_csrf cookie.
 */
struct form {
    char field[32];
    char csrf[256];
    char cookie[256];
};

/* GETs a form page (GET /login, /invite/...), expects 200 and keeps its CSRF pair. */
static void
get_form(struct t_server *s, const char *path, struct form *f)
{
    struct t_resp r;

    ti_send_req(s, &r, "GET", path, "Accept: text/html\n", NULL, NULL);
    ti_expect_status(&r, 200);
    assert_true(ti_has_ci(t_header(&r, "Content-Type"), "text/html"));
    /* the forms before a session name their token login_csrf (or csrf) */
    snprintf(f->field, sizeof(f->field), "login_csrf");
    if (!html_field(r.body, f->field, f->csrf, sizeof(f->csrf))) {
        snprintf(f->field, sizeof(f->field), "csrf");
        html_field(r.body, f->field, f->csrf, sizeof(f->csrf));
    }
    if (f->csrf[0] == '\0')
        fprintf(stderr, "# no csrf field in %s:\n# %s\n", path, r.body);
    assert_true(f->csrf[0] != '\0');
    if (!set_cookie(&r, "coffer_login_csrf", f->cookie, sizeof(f->cookie), NULL, 0))
        fprintf(stderr, "# no coffer_login_csrf cookie from %s:\n# %s\n", path, r.head);
    assert_true(f->cookie[0] != '\0');
    t_resp_release(&r);
}

/* POSTs the login form (code and remember may be NULL); the response stays in r. */
static int
post_login(struct t_server *s, struct t_resp *r, const char *login, const char *pw,
           const char *code, bool remember)
{
    struct form f = { "", "", "" };
    char body[1024], hdr[400];

    get_form(s, "/login", &f);
    snprintf(body, sizeof(body), "%s=%s&login=%s&password=%s&code=%s%s", f.field, enc(f.csrf),
             enc(login), enc(pw), code ? enc(code) : "", remember ? "&remember=on" : "");
    snprintf(hdr, sizeof(hdr), "Cookie: coffer_login_csrf=%s\n", f.cookie);
    return ti_send_req(s, r, "POST", "/login", hdr, FORM, body);
}

/* Logs in through the form, expects 303; the session cookie's value into session. */
static void
login(struct t_server *s, const char *user, const char *pw, const char *code, char session[128])
{
    struct t_resp r;

    post_login(s, &r, user, pw, code, false);
    ti_expect_status(&r, 303);
    assert_true(set_cookie(&r, "coffer_session", session, 128, NULL, 0));
    assert_true(session[0] != '\0');
    t_resp_release(&r);
}

/* The CSRF token of a session, from the hidden field of its /account/2fa page. */
static void
session_csrf(struct t_server *s, const char *session, char *out, size_t cap)
{
    struct t_resp r;

    ti_send_req(s, &r, "GET", "/account/2fa", sess(session, NULL), NULL, NULL);
    ti_expect_status(&r, 200);
    if (!html_field(r.body, "csrf", out, cap))
        fprintf(stderr, "# no csrf field in /account/2fa:\n# %s\n", r.body);
    assert_true(out[0] != '\0');
    t_resp_release(&r);
}

/*
 * The token of the /invite/ link mailed to email (from <data>/outbox) that
 * is not in the NULL-terminated list seen (the links mailed before).
 */
static bool
outbox_token(struct t_server *s, const char *email, const char *const *seen, char *out,
             size_t cap)
{
    char dir[400], path[800];
    struct dirent *d;
    DIR *dp;

    out[0] = '\0';
    snprintf(dir, sizeof(dir), "%s/outbox", s->data);
    if ((dp = opendir(dir)) == NULL)
        return false;
    while ((d = readdir(dp)) != NULL && out[0] == '\0') {
        size_t n = strlen(d->d_name);
        char *text, tok[128];
        const char *l;
        FILE *f;
        long len;

        if (n < 5 || strcmp(d->d_name + n - 4, ".eml") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        rewind(f);
        text = calloc(1, (size_t)len + 1);
        if (text != NULL && fread(text, 1, (size_t)len, f) == (size_t)len &&
            strstr(text, email) != NULL && (l = strstr(text, "/invite/")) != NULL) {
            bool old = false;

            l += 8;
            snprintf(tok, sizeof(tok), "%.*s",
                     (int)strspn(l, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_"), l);
            for (size_t i = 0; seen != NULL && seen[i] != NULL; i++)
                old = old || strcmp(seen[i], tok) == 0;
            if (!old)
                snprintf(out, cap, "%s", tok);
        }
        free(text);
        fclose(f);
    }
    closedir(dp);
    return out[0] != '\0';
}

/*
 * Invites login (who must have no password) and returns the new link's
 * token; seen lists the tokens of the links mailed to him before (or NULL).
 */
static void
invite(struct t_server *s, const char *login, const char *const *seen, char *token, size_t cap)
{
    char path[128], email[128];
    json_t *j;

    snprintf(path, sizeof(path), "/api/v1/users/%s/invite", login);
    snprintf(email, sizeof(email), "%s@example.com", login);
    j = ti_api_json(s, "POST", path, T_AUTH, "{\"message\":\"Welcome aboard\"}", 202);
    assert_string_equal(json_string_value(json_object_get(j, "sent_to")), email);
    json_decref(j);
    if (!outbox_token(s, email, seen, token, cap))
        fprintf(stderr, "# no new invitation mail to %s in %s/outbox\n", email, s->data);
    assert_true(strlen(token) >= 20);
}

/* Runs SQL on the server's database (beside the running server: WAL). */
static void
db_exec(struct t_server *s, const char *sql)
{
    char path[400];
    sqlite3 *db;
    char *err = NULL;

    snprintf(path, sizeof(path), "%s/coffer.db", s->data);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fprintf(stderr, "# %s: %s\n", sql, err ? err : "?");
    assert_null(err);
    assert_true(sqlite3_changes(db) > 0);
    sqlite3_close(db);
}

/* ---- the login form ---- */

static void
it_login_form_sets_httponly_samesite_session_cookie(void **state)
{
    struct t_server *s = *state;
    char session[128], line[512];
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "lena", "internal");
    post_login(s, &r, "lena", ti_pw_of("lena"), NULL, false);
    ti_expect_status(&r, 303);
    assert_non_null(t_header(&r, "Location"));
    assert_true(set_cookie(&r, "coffer_session", session, sizeof(session), line, sizeof(line)));
    assert_true(ti_has_ci(line, "HttpOnly"));
    assert_true(ti_has_ci(line, "SameSite=Lax"));
    assert_false(ti_has_ci(line, "Max-Age")); /* a browser-session cookie */
    t_resp_release(&r);
    /* the session lets him read through the API and WebDAV */
    j = ti_api_json(s, "GET", "/api/v1/me", sess(session, NULL), NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "lena");
    json_decref(j);
    assert_int_equal(ti_propfind(s, "/dav/lena/", sess(session, NULL)), 207);
    /* remember me: a persistent cookie */
    post_login(s, &r, "lena", ti_pw_of("lena"), NULL, true);
    ti_expect_status(&r, 303);
    assert_true(set_cookie(&r, "coffer_session", session, sizeof(session), line, sizeof(line)));
    assert_true(ti_has_ci(line, "Max-Age="));
    assert_true(ti_has_ci(line, "HttpOnly"));
    t_resp_release(&r);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 200);
    /* a made-up session is nobody */
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me",
                                   sess("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL), NULL),
                     401);
}

static void
it_login_with_wrong_password_is_401_page(void **state)
{
    struct t_server *s = *state;
    char session[128];
    struct t_resp r;

    ti_mkuser_pw(s, "wanda", "internal");
    post_login(s, &r, "wanda", "not-wandas-password", NULL, false);
    ti_expect_status(&r, 401);
    assert_true(ti_has_ci(t_header(&r, "Content-Type"), "text/html"));
    assert_false(set_cookie(&r, "coffer_session", session, sizeof(session), NULL, 0) &&
                 session[0] != '\0');
    t_resp_release(&r);
    post_login(s, &r, "no-such-user", "not-a-password-1", NULL, false);
    ti_expect_status(&r, 401);
    t_resp_release(&r);
    /* an invited user without a password yet cannot log in either */
    ti_mkuser(s, "wanda-inv", "internal", NULL);
    post_login(s, &r, "wanda-inv", "", NULL, false);
    assert_true(r.status == 401 || r.status == 400 || r.status == 403);
    t_resp_release(&r);
}

static void
it_login_without_csrf_pair_is_403(void **state)
{
    struct t_server *s = *state;
    struct form f = { "", "", "" };
    char body[512], hdr[400], session[128];
    struct t_resp r;

    ti_mkuser_pw(s, "cora", "internal");
    /* neither field nor cookie */
    snprintf(body, sizeof(body), "login=cora&password=%s", enc(ti_pw_of("cora")));
    ti_send_req(s, &r, "POST", "/login", "", FORM, body);
    ti_expect_status(&r, 403);
    assert_false(set_cookie(&r, "coffer_session", session, sizeof(session), NULL, 0) &&
                 session[0] != '\0');
    t_resp_release(&r);
    /* the field without its cookie */
    get_form(s, "/login", &f);
    snprintf(body, sizeof(body), "%s=%s&login=cora&password=%s", f.field, enc(f.csrf),
             enc(ti_pw_of("cora")));
    ti_send_req(s, &r, "POST", "/login", "", FORM, body);
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    /* the cookie without the field */
    snprintf(hdr, sizeof(hdr), "Cookie: coffer_login_csrf=%s\n", f.cookie);
    snprintf(body, sizeof(body), "login=cora&password=%s", enc(ti_pw_of("cora")));
    ti_send_req(s, &r, "POST", "/login", hdr, FORM, body);
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    /* a field that is not the cookie's */
    snprintf(body, sizeof(body), "%s=%s&login=cora&password=%s", f.field,
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", enc(ti_pw_of("cora")));
    ti_send_req(s, &r, "POST", "/login", hdr, FORM, body);
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    /* the pair: let in */
    snprintf(body, sizeof(body), "%s=%s&login=cora&password=%s", f.field, enc(f.csrf),
             enc(ti_pw_of("cora")));
    ti_send_req(s, &r, "POST", "/login", hdr, FORM, body);
    ti_expect_status(&r, 303);
    t_resp_release(&r);
}

/* ---- second factor at the login form ---- */

static void
it_login_2fa_needs_code_refuses_wrong_and_replayed_totp(void **state)
{
    struct t_server *s = *state;
    char secret[64], code[8], wrong[8], session[128];
    struct t_resp r;

    ti_mkuser_pw(s, "tess", "internal");
    ti_enable_2fa(s, ti_as("tess"), secret, NULL);
    /* the password alone: 428, and no session */
    post_login(s, &r, "tess", ti_pw_of("tess"), NULL, false);
    ti_expect_status(&r, 428);
    assert_false(set_cookie(&r, "coffer_session", session, sizeof(session), NULL, 0) &&
                 session[0] != '\0');
    t_resp_release(&r);
    /* a wrong code */
    totp_wrong(secret, wrong);
    post_login(s, &r, "tess", ti_pw_of("tess"), wrong, false);
    ti_expect_status(&r, 428);
    t_resp_release(&r);
    /* a right code with a wrong password is a wrong password */
    ti_totp_code(secret, 1, code);
    post_login(s, &r, "tess", "not-tess-password", code, false);
    ti_expect_status(&r, 401);
    t_resp_release(&r);
    /* the code of the next step (the enrolment spent this one) */
    login(s, "tess", ti_pw_of("tess"), code, session);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 200);
    /* the same code again: replayed, refused */
    post_login(s, &r, "tess", ti_pw_of("tess"), code, false);
    ti_expect_status(&r, 428);
    t_resp_release(&r);
    /* the step the enrolment used is spent too */
    ti_totp_code(secret, 0, code);
    post_login(s, &r, "tess", ti_pw_of("tess"), code, false);
    ti_expect_status(&r, 428);
    t_resp_release(&r);
}

static void
it_recovery_code_works_once(void **state)
{
    struct t_server *s = *state;
    char secret[64], codes[10][16], session[128], upper[16];
    struct t_resp r;

    ti_mkuser_pw(s, "rhea", "internal");
    ti_enable_2fa(s, ti_as("rhea"), secret, codes);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(strlen(codes[i]), 11);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(codes[i], codes[k]);
    }
    login(s, "rhea", ti_pw_of("rhea"), codes[0], session);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 200);
    post_login(s, &r, "rhea", ti_pw_of("rhea"), codes[0], false);
    ti_expect_status(&r, 428);
    t_resp_release(&r);
    /* the others still work once each, typed as people type them */
    for (size_t k = 0, j = 0; codes[1][k] != '\0'; k++)
        if (codes[1][k] != '-') {
            upper[j++] = (char)(codes[1][k] >= 'a' && codes[1][k] <= 'z' ? codes[1][k] - 32
                                                                        : codes[1][k]);
            upper[j] = '\0';
        }
    login(s, "rhea", ti_pw_of("rhea"), upper, session);
    post_login(s, &r, "rhea", ti_pw_of("rhea"), codes[1], false);
    ti_expect_status(&r, 428);
    t_resp_release(&r);
}

static void
it_role_requiring_2fa_lets_enrolled_user_in_through_session(void **state)
{
    struct t_server *s = *state;
    char secret[64], code[8], session[128], csrf[256], apw[64];
    struct t_resp r;
    json_t *j;

    assert_int_equal(ti_api_status(s, "PUT", "/api/v1/roles/web2fa", T_AUTH,
                                   "{\"faculties\":[\"upload\",\"personal-repository\"],"
                                   "\"require_2fa\":true}"),
                     200);
    ti_mkuser_pw(s, "sally", "web2fa");
    /* without 2FA: refused at the form, saying why */
    post_login(s, &r, "sally", ti_pw_of("sally"), NULL, false);
    assert_true(r.status == 403 || r.status == 303);
    t_resp_release(&r);
    assert_int_equal(ti_propfind(s, "/dav/sally/", ti_as("sally")), 403);
    ti_enable_2fa(s, ti_as("sally"), secret, NULL);
    ti_totp_code(secret, 1, code);
    login(s, "sally", ti_pw_of("sally"), code, session);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 200);
    /* the session makes an app password for his drive */
    session_csrf(s, session, csrf, sizeof(csrf));
    j = ti_api_json(s, "POST", "/api/v1/me/app-passwords", sess(session, csrf),
                    "{\"name\":\"drive\"}", 201);
    snprintf(apw, sizeof(apw), "%s", json_string_value(json_object_get(j, "password")));
    json_decref(j);
    assert_int_equal(ti_propfind(s, "/dav/sally/", ti_basic("sally", apw)), 207);
    assert_int_equal(ti_propfind(s, "/dav/sally/", ti_as("sally")), 401);
}

/* ---- CSRF ---- */

static void
it_session_without_csrf_token_is_403_on_api(void **state)
{
    struct t_server *s = *state;
    char session[128], csrf[256];
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "cleo", "internal");
    login(s, "cleo", ti_pw_of("cleo"), NULL, session);
    /* reading needs no token */
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 200);
    ti_api(s, &r, "POST", "/api/v1/me/tokens", sess(session, NULL), "{\"name\":\"x\"}");
    expect_says(&r, 403, "csrf");
    t_resp_release(&r);
    ti_api(s, &r, "PATCH", "/api/v1/me", sess(session, NULL), "{\"display_name\":\"Evil\"}");
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    ti_api(s, &r, "PATCH", "/api/v1/me", sess(session, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
           "{\"display_name\":\"Evil\"}");
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    assert_string_equal(user_field(s, "cleo", "display_name"), "cleo");
    /* with its token the session may */
    session_csrf(s, session, csrf, sizeof(csrf));
    j = ti_api_json(s, "PATCH", "/api/v1/me", sess(session, csrf), "{\"display_name\":\"Cleo\"}",
                    200);
    json_decref(j);
    assert_string_equal(user_field(s, "cleo", "display_name"), "Cleo");
    /* Basic needs no token: a script is no browser */
    assert_int_equal(
        ti_api_status(s, "PATCH", "/api/v1/me", ti_as("cleo"), "{\"display_name\":\"Cleo B\"}"),
        200);
}

static void
it_session_without_csrf_token_is_403_on_webdav_put(void **state)
{
    struct t_server *s = *state;
    char session[128], csrf[256];
    struct t_resp r;

    ti_mkuser_pw(s, "dora", "internal");
    login(s, "dora", ti_pw_of("dora"), NULL, session);
    ti_send_req(s, &r, "PUT", "/dav/dora/evil.txt", sess(session, NULL), "text/plain", "evil");
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    assert_int_equal(ti_propfind(s, "/dav/dora/evil.txt", ti_as("dora")), 404);
    ti_send_req(s, &r, "MKCOL", "/dav/dora/evil/", sess(session, NULL), NULL, NULL);
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    assert_int_equal(ti_propfind(s, "/dav/dora/evil/", ti_as("dora")), 404);
    /* with the token */
    session_csrf(s, session, csrf, sizeof(csrf));
    ti_send_req(s, &r, "PUT", "/dav/dora/good.txt", sess(session, csrf), "text/plain", "good");
    ti_expect_status(&r, 201);
    t_resp_release(&r);
    ti_send_req(s, &r, "DELETE", "/dav/dora/good.txt", sess(session, NULL), NULL, NULL);
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    ti_send_req(s, &r, "GET", "/dav/dora/good.txt", sess(session, NULL), NULL, NULL);
    ti_expect_status(&r, 200);
    assert_string_equal(r.body, "good");
    t_resp_release(&r);
}

static void
it_logout_needs_csrf_and_ends_the_session(void **state)
{
    struct t_server *s = *state;
    char session[128], csrf[256], body[300], line[512], cleared[128];
    struct t_resp r;

    ti_mkuser_pw(s, "lou", "internal");
    login(s, "lou", ti_pw_of("lou"), NULL, session);
    session_csrf(s, session, csrf, sizeof(csrf));
    ti_send_req(s, &r, "POST", "/logout", sess(session, NULL), FORM, "");
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    ti_send_req(s, &r, "POST", "/logout", sess(session, NULL), FORM,
                "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 200);
    snprintf(body, sizeof(body), "csrf=%s", enc(csrf));
    ti_send_req(s, &r, "POST", "/logout", sess(session, NULL), FORM, body);
    ti_expect_status(&r, 303);
    /* the cookie is cleared in the browser */
    assert_true(set_cookie(&r, "coffer_session", cleared, sizeof(cleared), line, sizeof(line)));
    assert_string_equal(cleared, "");
    t_resp_release(&r);
    /* and dead on the server, even if a copy of it is replayed */
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 401);
    assert_int_equal(ti_propfind(s, "/dav/lou/", sess(session, NULL)), 401);
}

/* ---- invitations ---- */

static void
it_invitation_link_activates_once_and_reuse_is_410(void **state)
{
    struct t_server *s = *state;
    char token[128], path[256], body[512], hdr[400], session[128];
    const char *newpw = "Ivys-own-password-1";
    struct form f = { "", "", "" };
    struct t_resp r;
    json_t *j;

    ti_mkuser(s, "ivy", "external", NULL);
    assert_string_equal(user_field(s, "ivy", "status"), "invited");
    invite(s, "ivy", NULL, token, sizeof(token));
    snprintf(path, sizeof(path), "/invite/%s", token);
    get_form(s, path, &f);
    snprintf(hdr, sizeof(hdr), "Cookie: coffer_login_csrf=%s\n", f.cookie);
    /* without the CSRF pair: refused, the link stays good */
    snprintf(body, sizeof(body), "password=%s&password2=%s", enc(newpw), enc(newpw));
    ti_send_req(s, &r, "POST", path, "", FORM, body);
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    /* two different passwords: refused, the link stays good */
    snprintf(body, sizeof(body), "%s=%s&password=%s&password2=%s", f.field, enc(f.csrf), enc(newpw),
             enc("Another-password-2"));
    ti_send_req(s, &r, "POST", path, hdr, FORM, body);
    assert_true(r.status >= 400 && r.status < 500 && r.status != 410);
    t_resp_release(&r);
    /* a weak password: refused, the link stays good */
    snprintf(body, sizeof(body), "%s=%s&password=123456&password2=123456", f.field,
             enc(f.csrf));
    ti_send_req(s, &r, "POST", path, hdr, FORM, body);
    assert_true(r.status >= 400 && r.status < 500 && r.status != 410);
    t_resp_release(&r);
    assert_string_equal(user_field(s, "ivy", "status"), "invited");
    /* accepted */
    snprintf(body, sizeof(body), "%s=%s&password=%s&password2=%s", f.field, enc(f.csrf), enc(newpw),
             enc(newpw));
    ti_send_req(s, &r, "POST", path, hdr, FORM, body);
    ti_expect_status(&r, 303);
    assert_non_null(t_header(&r, "Location"));
    assert_non_null(strstr(t_header(&r, "Location"), "/account/2fa?welcome=1"));
    assert_true(set_cookie(&r, "coffer_session", session, sizeof(session), NULL, 0));
    t_resp_release(&r);
    assert_string_equal(user_field(s, "ivy", "status"), "active");
    j = ti_api_json(s, "GET", "/api/v1/me", sess(session, NULL), NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "login")), "ivy");
    json_decref(j);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_basic("ivy", newpw), NULL), 200);
    assert_int_equal(ti_propfind(s, "/dav/ivy/", ti_basic("ivy", newpw)), 207);
    /* the link is spent */
    snprintf(body, sizeof(body), "%s=%s&password=%s&password2=%s", f.field, enc(f.csrf),
             enc("Takeover-password-3"), enc("Takeover-password-3"));
    ti_send_req(s, &r, "POST", path, hdr, FORM, body);
    ti_expect_status(&r, 410);
    t_resp_release(&r);
    ti_send_req(s, &r, "GET", path, "", NULL, NULL);
    ti_expect_status(&r, 410);
    t_resp_release(&r);
    assert_int_equal(
        ti_api_status(s, "GET", "/api/v1/me", ti_basic("ivy", "Takeover-password-3"), NULL), 401);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_basic("ivy", newpw), NULL), 200);
    /* an active user gets no more invitations */
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/users/ivy/invite", T_AUTH, "{}"), 400);
}

static void
it_invitation_unknown_is_404_and_expired_is_410(void **state)
{
    struct t_server *s = *state;
    char token[128], path[256], body[512], hdr[400];
    struct form f = { "", "", "" };
    struct t_resp r;

    ti_send_req(s, &r, "GET", "/invite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", NULL,
                NULL);
    ti_expect_status(&r, 404);
    t_resp_release(&r);
    ti_send_req(s, &r, "GET", "/invite/x", "", NULL, NULL);
    ti_expect_status(&r, 404);
    t_resp_release(&r);

    ti_mkuser(s, "ike", "external", NULL);
    invite(s, "ike", NULL, token, sizeof(token));
    snprintf(path, sizeof(path), "/invite/%s", token);
    get_form(s, path, &f);
    /* the link ran out (as if a week had passed) */
    db_exec(s, "UPDATE invitations SET expires = 1 WHERE user = "
               "(SELECT id FROM users WHERE login = 'ike')");
    ti_send_req(s, &r, "GET", path, "", NULL, NULL);
    expect_says(&r, 410, "expired");
    t_resp_release(&r);
    snprintf(hdr, sizeof(hdr), "Cookie: coffer_login_csrf=%s\n", f.cookie);
    snprintf(body, sizeof(body), "%s=%s&password=%s&password2=%s", f.field, enc(f.csrf),
             enc("Ikes-own-password-1"), enc("Ikes-own-password-1"));
    ti_send_req(s, &r, "POST", path, hdr, FORM, body);
    ti_expect_status(&r, 410);
    t_resp_release(&r);
    assert_string_equal(user_field(s, "ike", "status"), "invited");
    assert_int_equal(
        ti_api_status(s, "GET", "/api/v1/me", ti_basic("ike", "Ikes-own-password-1"), NULL), 401);
    /* a new invitation works again */
    {
        const char *const seen[] = { token, NULL };
        char token2[128];

        invite(s, "ike", seen, token2, sizeof(token2));
        snprintf(path, sizeof(path), "/invite/%s", token2);
        get_form(s, path, &f);
    }
}

/* ---- the 2FA page ---- */

static void
it_account_2fa_page_shows_qr_and_enables_with_recovery_codes(void **state)
{
    struct t_server *s = *state;
    char session[128], csrf[256], secret[64] = "", code[8], wrong[8], body[512];
    const char *p;
    struct t_resp r;
    int ncodes = 0;

    ti_mkuser_pw(s, "paige", "internal");
    login(s, "paige", ti_pw_of("paige"), NULL, session);
    ti_send_req(s, &r, "GET", "/account/2fa", sess(session, NULL), NULL, NULL);
    ti_expect_status(&r, 200);
    assert_non_null(strstr(r.body, "<svg"));
    assert_true(html_field(r.body, "csrf", csrf, sizeof(csrf)));
    /* the secret, for typing in by hand (in groups of four) */
    if ((p = strstr(r.body, "class=\"key\">")) != NULL) {
        size_t k = 0;

        for (p += 12; *p != '<' && *p != '\0' && k + 1 < sizeof(secret); p++)
            if (*p != ' ')
                secret[k++] = *p;
        secret[k] = '\0';
    }
    if (strlen(secret) != 32)
        fprintf(stderr, "# no base32 secret in the page:\n# %s\n", r.body);
    assert_int_equal(strlen(secret), 32);
    t_resp_release(&r);
    /* without the CSRF token: refused */
    ti_totp_code(secret, 0, code);
    snprintf(body, sizeof(body), "action=enable&code=%s", code);
    ti_send_req(s, &r, "POST", "/account/2fa", sess(session, NULL), FORM, body);
    ti_expect_status(&r, 403);
    t_resp_release(&r);
    /* a wrong code: not enabled */
    totp_wrong(secret, wrong);
    snprintf(body, sizeof(body), "action=enable&code=%s&csrf=%s", wrong, enc(csrf));
    ti_send_req(s, &r, "POST", "/account/2fa", sess(session, NULL), FORM, body);
    assert_true(r.status != 303);
    t_resp_release(&r);
    assert_string_equal(user_field(s, "paige", "two_factor"), "false");
    /* the right one: the recovery codes, shown once */
    snprintf(body, sizeof(body), "action=enable&code=%s&csrf=%s", code, enc(csrf));
    ti_send_req(s, &r, "POST", "/account/2fa", sess(session, NULL), FORM, body);
    ti_expect_status(&r, 200);
    for (p = r.body; *p != '\0'; p++) {
        size_t a = strspn(p, "abcdefghjkmnpqrstuvwxyz23456789");

        if (a == 5 && p[5] == '-' && strspn(p + 6, "abcdefghjkmnpqrstuvwxyz23456789") == 5) {
            ncodes++;
            p += 10;
        } else if (a > 0) {
            p += a - 1;
        }
    }
    if (ncodes < 10)
        fprintf(stderr, "# %d recovery codes in the page:\n# %s\n", ncodes, r.body);
    assert_true(ncodes >= 10);
    t_resp_release(&r);
    assert_string_equal(user_field(s, "paige", "two_factor"), "true");
    /* from now on the form wants a code */
    post_login(s, &r, "paige", ti_pw_of("paige"), NULL, false);
    ti_expect_status(&r, 428);
    t_resp_release(&r);
    assert_int_equal(ti_propfind(s, "/dav/paige/", ti_as("paige")), 401);
}

/* ---- blocking ---- */

static void
it_blocked_user_is_refused_on_every_channel_until_unblocked(void **state)
{
    struct t_server *s = *state;
    char apw[64], tok[128], session[128], session2[128];
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "bob", "internal");
    j = ti_api_json(s, "POST", "/api/v1/me/app-passwords", ti_as("bob"), "{\"name\":\"nas\"}", 201);
    snprintf(apw, sizeof(apw), "%s", json_string_value(json_object_get(j, "password")));
    json_decref(j);
    j = ti_api_json(s, "POST", "/api/v1/me/tokens", ti_as("bob"), "{\"name\":\"cron\"}", 201);
    snprintf(tok, sizeof(tok), "%s", json_string_value(json_object_get(j, "token")));
    json_decref(j);
    login(s, "bob", ti_pw_of("bob"), NULL, session);
    /* every channel works, and the credentials are cached */
    assert_int_equal(ti_propfind(s, "/dav/bob/", ti_as("bob")), 207);
    assert_int_equal(ti_propfind(s, "/dav/bob/", ti_basic("bob", apw)), 207);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_as("bob"), NULL), 200);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_bearer(tok), NULL), 200);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 200);

    j = ti_api_json(s, "POST", "/api/v1/users/bob/block", T_AUTH,
                    "{\"until\":\"2099-01-01T00:00:00Z\"}", 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "blocked");
    assert_string_equal(json_string_value(json_object_get(j, "blocked_until")),
                        "2099-01-01T00:00:00Z");
    json_decref(j);
    ti_send_req(s, &r, "PROPFIND", "/dav/bob/", ti_as("bob"), NULL, NULL);
    expect_says(&r, 403, "blocked");
    t_resp_release(&r);
    ti_send_req(s, &r, "PROPFIND", "/dav/bob/", ti_basic("bob", apw), NULL, NULL);
    expect_says(&r, 403, "blocked");
    t_resp_release(&r);
    ti_api(s, &r, "GET", "/api/v1/me", ti_as("bob"), NULL);
    expect_says(&r, 403, "blocked");
    t_resp_release(&r);
    ti_api(s, &r, "GET", "/api/v1/me", ti_bearer(tok), NULL);
    expect_says(&r, 403, "blocked");
    t_resp_release(&r);
    /* his open browser session is refused with the reason, and so is the form */
    ti_api(s, &r, "GET", "/api/v1/me", sess(session, NULL), NULL);
    expect_says(&r, 403, "blocked");
    t_resp_release(&r);
    post_login(s, &r, "bob", ti_pw_of("bob"), NULL, false);
    expect_says(&r, 403, "blocked");
    t_resp_release(&r);
    /* a wrong password does not tell that the account is blocked */
    post_login(s, &r, "bob", "not-bobs-password", NULL, false);
    ti_expect_status(&r, 401);
    assert_false(ti_has_ci(r.body, "blocked"));
    t_resp_release(&r);
    assert_string_equal(user_field(s, "bob", "status"), "blocked");

    /* unblocked: in again on the very next request */
    j = ti_api_json(s, "POST", "/api/v1/users/bob/unblock", T_AUTH, NULL, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "active");
    assert_true(json_is_null(json_object_get(j, "blocked_until")));
    json_decref(j);
    assert_int_equal(ti_propfind(s, "/dav/bob/", ti_as("bob")), 207);
    assert_int_equal(ti_propfind(s, "/dav/bob/", ti_basic("bob", apw)), 207);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_as("bob"), NULL), 200);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_bearer(tok), NULL), 200);
    /* the session from before the block ended with the unblocking */
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session, NULL), NULL), 401);
    login(s, "bob", ti_pw_of("bob"), NULL, session2);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", sess(session2, NULL), NULL), 200);

    /* a permanent block, and a block in the past is refused */
    j = ti_api_json(s, "POST", "/api/v1/users/bob/block", T_AUTH, "{\"until\":null}", 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "blocked");
    assert_true(json_is_null(json_object_get(j, "blocked_until")));
    json_decref(j);
    ti_api(s, &r, "GET", "/api/v1/me", ti_bearer(tok), NULL);
    expect_says(&r, 403, "blocked");
    t_resp_release(&r);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/users/bob/unblock", T_AUTH, NULL), 200);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/users/bob/block", T_AUTH,
                                   "{\"until\":\"2001-01-01T00:00:00Z\"}"),
                     400);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/users/bob/block", T_AUTH, "{}"), 400);
    assert_int_equal(ti_api_status(s, "GET", "/api/v1/me", ti_bearer(tok), NULL), 200);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(it_login_form_sets_httponly_samesite_session_cookie,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_login_with_wrong_password_is_401_page, ti_check_alive),
        cmocka_unit_test_teardown(it_login_without_csrf_pair_is_403, ti_check_alive),
        cmocka_unit_test_teardown(it_login_2fa_needs_code_refuses_wrong_and_replayed_totp,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_recovery_code_works_once, ti_check_alive),
        cmocka_unit_test_teardown(it_role_requiring_2fa_lets_enrolled_user_in_through_session,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_session_without_csrf_token_is_403_on_api, ti_check_alive),
        cmocka_unit_test_teardown(it_session_without_csrf_token_is_403_on_webdav_put,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_logout_needs_csrf_and_ends_the_session, ti_check_alive),
        cmocka_unit_test_teardown(it_invitation_link_activates_once_and_reuse_is_410,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_invitation_unknown_is_404_and_expired_is_410, ti_check_alive),
        cmocka_unit_test_teardown(it_account_2fa_page_shows_qr_and_enables_with_recovery_codes,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_blocked_user_is_refused_on_every_channel_until_unblocked,
                                  ti_check_alive),
    };

    return cmocka_run_group_tests(tests, ti_setup, t_teardown);
}
