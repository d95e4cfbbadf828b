/*
 * web.c: the browser pages of identity (web.h): logging in and out,
 * accepting an invitation or a password-reset link, and the second factor.
 *
 * It owns the HTML of those pages and their form handling; every rule
 * (passwords, throttling, links, 2FA) stays in auth.c and acl/, which this
 * file only calls. It must not echo a token or a password, in a page or a
 * log: the invitation form posts to its own URL (no action attribute), so
 * the token in that URL is never written into the page either.
 *
 * Pages share dav_index.c's look, so that the product looks like one thing.
 * No JavaScript: the Content-Security-Policy allows none.
 *
 * Cross-site request forgery: the session's forms carry the session's CSRF
 * token (auth.h); the login and invitation forms, which come before any
 * session, carry a double-submit token, the same random value in a
 * SameSite=Strict cookie scoped to the form's path and in a hidden field,
 * compared in constant time. That keeps another site from logging a
 * browser into an account of its choosing (login CSRF).
 *
 * RFC 7231 6.4.4: a form that succeeded answers 303 See Other, so a reload
 * does not post it again.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unistr.h>

#include "coffer/acl.h"
#include "coffer/auth.h"
#include "coffer/conf.h"
#include "coffer/ident.h"
#include "coffer/log.h"
#include "coffer/qr.h"
#include "coffer/storage.h"
#include "coffer/totp.h"
#include "coffer/web.h"
#include "coffer/banned.h"

#define CF_WEB_FORM_MAX (64 * 1024)         /* the largest form body read */
#define CF_WEB_CSRF_COOKIE "coffer_login_csrf"
#define CF_WEB_CSRF_FIELD "login_csrf"
#define CF_WEB_TOKEN_LEN 43                 /* base64url of 32 random bytes */
#define CF_WEB_NEXT_MAX 2048                /* the longest ?next= followed */
#define CF_WEB_QR_PX 240

enum cf_web_route {
    CF_WEB_NONE = 0,
    CF_WEB_LOGIN,
    CF_WEB_LOGOUT,
    CF_WEB_INVITE,
    CF_WEB_2FA,
};

static const char cf_web_css[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;"
    "padding:0 1em;color:#222}h1{font-size:1.3em}"
    "a{text-decoration:none}a:hover{text-decoration:underline}"
    "header{display:flex;justify-content:space-between;align-items:center;"
    "border-bottom:1px solid #eee;padding-bottom:.5em;margin-bottom:1em}"
    "header form{display:inline;margin-left:.6em}"
    "main{max-width:30em}"
    "label{display:block;margin:.9em 0 .25em;font-weight:600}"
    "label.check{font-weight:normal}"
    "input[type=text],input[type=password]{width:100%;box-sizing:border-box;"
    "padding:.45em .5em;font:inherit;border:1px solid #bbb;border-radius:4px}"
    "input[readonly]{background:#f4f4f4;color:#555}"
    "button{font:inherit;margin-top:1.2em;padding:.5em 1.3em;border:1px solid #2a5db0;"
    "border-radius:4px;background:#2f6fd6;color:#fff;cursor:pointer}"
    "button.plain{margin:0;padding:.2em .8em;background:#fff;color:#2a5db0}"
    ".msg{padding:.6em .8em;border-radius:4px;border:1px solid #f0b8b4;background:#fdeceb}"
    ".ok{border-color:#b6dcb6;background:#ebf7eb}"
    ".hint{color:#666;font-size:.9em;font-weight:normal}"
    ".key{font:1.15em/1.6 ui-monospace,monospace;letter-spacing:.05em;word-spacing:.4em}"
    "ol.codes{font:1.1em/1.7 ui-monospace,monospace}"
    "svg{display:block;margin:.6em 0}";

/* ---- small helpers ---- */

static enum cf_web_route
cf_web_route_of(struct cf_str p)
{
    static const struct cf_str invite = CF_STR("/invite/");

    if (cf_str_eq(p, CF_STR("/login")))
        return CF_WEB_LOGIN;
    if (cf_str_eq(p, CF_STR("/logout")))
        return CF_WEB_LOGOUT;
    if (cf_str_eq(p, CF_STR("/account/2fa")))
        return CF_WEB_2FA;
    if (cf_str_has_prefix(p, invite) && p.len > invite.len &&
        memchr(p.p + invite.len, '/', p.len - invite.len) == NULL)
        return CF_WEB_INVITE;
    return CF_WEB_NONE;
}

bool
cf_web_owns(struct cf_str path_raw)
{
    return cf_web_route_of(path_raw) != CF_WEB_NONE;
}

static int
cf_web_hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/*
 * Decodes len bytes at p into pool: %XX is a byte and, with plus, '+' a
 * space. NULL on a bad escape, a NUL byte or bytes that are not UTF-8.
 */
static char *
cf_web_decode(struct cf_pool *pool, const char *p, size_t len, bool plus)
{
    char *out = cf_pool_alloc(pool, len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '%') {
            int hi, lo;

            if (len - i < 3 || (hi = cf_web_hex((unsigned char)p[i + 1])) < 0 ||
                (lo = cf_web_hex((unsigned char)p[i + 2])) < 0)
                goto bad;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == '\0')
            goto bad;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (u8_check((const uint8_t *)out, n) != NULL)
        goto bad;
    return out;
bad:
    sodium_memzero(out, n);     /* it may be part of a password */
    return NULL;
}

/* True if the form-encoded name at p (len bytes) decodes to name. */
static bool
cf_web_name_is(const char *p, size_t len, const char *name, size_t nlen)
{
    size_t j = 0;

    for (size_t i = 0; i < len; i++, j++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '%') {
            int hi, lo;

            if (len - i < 3 || (hi = cf_web_hex((unsigned char)p[i + 1])) < 0 ||
                (lo = cf_web_hex((unsigned char)p[i + 2])) < 0)
                return false;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (j >= nlen || c != (unsigned char)name[j])
            return false;
    }
    return j == nlen;
}

const char *
cf_web_form_get(struct cf_pool *pool, struct cf_str body, const char *name)
{
    size_t nlen = strlen(name), i = 0;

    if (body.len == 0 || nlen == 0)
        return NULL;
    for (;;) {
        const char *s = body.p + i;
        const char *amp = memchr(s, '&', body.len - i);
        size_t flen = amp != NULL ? (size_t)(amp - s) : body.len - i;
        const char *eq = memchr(s, '=', flen);
        size_t klen = eq != NULL ? (size_t)(eq - s) : flen;

        if (cf_web_name_is(s, klen, name, nlen)) {
            if (eq == NULL)
                return cf_pool_strndup(pool, "", 0);
            return cf_web_decode(pool, eq + 1, flen - klen - 1, true);
        }
        if (amp == NULL)
            return NULL;
        i += flen + 1;
    }
}

/* Wipes a secret taken from the form (pool memory) once it has been used. */
static void
cf_web_wipe(const char *s)
{
    if (s != NULL)
        sodium_memzero((char *)(uintptr_t)s, strlen(s));
}

/* The field of the request's form body, or NULL. */
static const char *
cf_web_field(struct cf_req *req, const char *name)
{
    return cf_web_form_get(req->pool, cf_buf_str(&req->body), name);
}


/* Makes a fresh double-submit token and sets its cookie for path. */
static void
cf_web_form_token_new(struct cf_req *req, const char *path, char tok[CF_WEB_TOKEN_LEN + 1])
{
    unsigned char raw[32];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(tok, CF_WEB_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    cf_resp_header(req, "Set-Cookie", "%s=%s; Path=%s; HttpOnly; SameSite=Strict%s",
                   CF_WEB_CSRF_COOKIE, tok, path, req->tls ? "; Secure" : "");
}

static void
cf_web_form_token_clear(struct cf_req *req, const char *path)
{
    cf_resp_header(req, "Set-Cookie", "%s=; Path=%s; HttpOnly; SameSite=Strict; Max-Age=0%s",
                   CF_WEB_CSRF_COOKIE, path, req->tls ? "; Secure" : "");
}

/* True if the form's hidden token equals its cookie (constant time). */
static bool
cf_web_form_token_ok(struct cf_req *req)
{
    const char *field = cf_web_field(req, CF_WEB_CSRF_FIELD);
    struct cf_str c;

    if (field == NULL || strlen(field) != CF_WEB_TOKEN_LEN ||
        !cf_req_cookie(req, CF_STR(CF_WEB_CSRF_COOKIE), &c) || c.len != CF_WEB_TOKEN_LEN)
        return false;
    return sodium_memcmp(c.p, field, CF_WEB_TOKEN_LEN) == 0;
}

/*
 * True for a next= that stays on this server: a path that starts with one
 * '/' (not "//", which a browser reads as another host) and holds no '\'
 * (read as '/') and no control byte.
 */
static bool
cf_web_next_ok(const char *n)
{
    size_t len;

    if (n == NULL || n[0] != '/' || n[1] == '/')
        return false;
    for (len = 0; n[len] != '\0'; len++) {
        unsigned char c = (unsigned char)n[len];

        if (c < 0x20 || c == 0x7f || c == '\\')
            return false;
    }
    return len <= CF_WEB_NEXT_MAX;
}

/*
 * Appends a local path for a Location header: bytes a URI may not carry
 * (spaces, quotes, non-ASCII...) percent-encoded; '%' passes, so escapes
 * already in the path survive.
 */
static void
cf_web_add_location(struct cf_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c > 0x20 && c < 0x7f && strchr("\"<>\\^`{|}", c) == NULL)
            cf_buf_addc(b, (char)c);
        else
            cf_buf_addf(b, "%%%02X", c);
    }
}

static void
cf_web_esc(struct cf_buf *b, const char *s)
{
    cf_buf_add_xmlesc(b, cf_str_from(s));
}

/* Appends msg, escaped, as a sentence: a capital first and a full stop last. */
static void
cf_web_sentence(struct cf_buf *b, const char *msg)
{
    size_t n = strlen(msg);

    if (n == 0)
        return;
    if (msg[0] >= 'a' && msg[0] <= 'z') {
        cf_buf_addc(b, (char)(msg[0] - 'a' + 'A'));
        msg++;
        n--;
    }
    cf_buf_add_xmlesc(b, cf_str_make(msg, n));
    if (n > 0 && strchr(".!?", msg[n - 1]) == NULL)
        cf_buf_addc(b, '.');
}

/* A message box: cls "msg" (a problem) or "msg ok". */
static void
cf_web_msg(struct cf_buf *b, const char *cls, const char *msg)
{
    if (msg == NULL || msg[0] == '\0')
        return;
    cf_buf_addf(b, "<p class=\"%s\" role=\"%s\">", cls,
                strcmp(cls, "msg") == 0 ? "alert" : "status");
    cf_web_sentence(b, msg);
    cf_buf_adds(b, "</p>");
}

/* The logout button, for a browser with a session. */
static void
cf_web_logout_form(struct cf_buf *b, const struct cf_req *req, const char *cls)
{
    if (req->auth_via != CF_AUTH_SESSION || req->csrf == NULL)
        return;
    cf_buf_adds(b, "<form method=\"post\" action=\"/logout\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"");
    cf_web_esc(b, req->csrf);
    cf_buf_addf(b, "\"><button type=\"submit\"%s%s%s>Log out</button></form>",
                cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
}

/* Opens a page: the head, the header bar and <main> with its title. */
static void
cf_web_open(struct cf_buf *b, const struct cf_req *req, const char *title)
{
    cf_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<meta name=\"robots\" content=\"noindex\"><title>");
    cf_web_esc(b, title);
    cf_buf_addf(b, " - Coffer</title><style>%s</style></head><body><header>"
                "<strong>Coffer</strong>", cf_web_css);
    if (req->user_id != 0 && req->auth_via == CF_AUTH_SESSION && req->csrf != NULL) {
        cf_buf_adds(b, "<span>");
        cf_buf_add_xmlesc(b, req->user_login);
        cf_web_logout_form(b, req, "plain");
        cf_buf_adds(b, "</span>");
    }
    cf_buf_adds(b, "</header><main><h1>");
    cf_web_esc(b, title);
    cf_buf_adds(b, "</h1>");
}

/* Closes the page and answers it with status (b is released). */
static int
cf_web_send(struct cf_req *req, struct cf_buf *b, int status)
{
    cf_buf_adds(b, "</main></body></html>\n");
    cf_resp_header(req, "Content-Type", "%s", "text/html; charset=utf-8");
    cf_resp_header(req, "Cache-Control", "%s", "no-store");
    cf_resp_header(req, "X-Frame-Options", "%s", "DENY");
    cf_resp_header(req, "X-Content-Type-Options", "%s", "nosniff");
    /* an invitation page's URL holds its token: never send it on as a Referer */
    cf_resp_header(req, "Referrer-Policy", "%s", "no-referrer");
    cf_resp_header(req, "Content-Security-Policy", "%s",
                   "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                   "form-action 'self'; frame-ancestors 'none'");
    cf_resp_addbuf(req, b);
    cf_buf_release(b);
    return status;
}

/*
 * A page with a title, a message, a line of advice and a link (each but
 * the title may be NULL). href is ours, never the client's.
 */
static int
cf_web_notice(struct cf_req *req, int status, const char *title, const char *msg,
              const char *advice, const char *href, const char *link)
{
    struct cf_buf b = CF_BUF_INIT;

    cf_web_open(&b, req, title);
    cf_web_msg(&b, status < 400 ? "msg ok" : "msg", msg);
    if (advice != NULL) {
        cf_buf_adds(&b, "<p>");
        cf_web_sentence(&b, advice);
        cf_buf_adds(&b, "</p>");
    }
    if (href != NULL) {
        cf_buf_adds(&b, "<p><a href=\"");
        cf_web_esc(&b, href);
        cf_buf_adds(&b, "\">");
        cf_web_esc(&b, link);
        cf_buf_adds(&b, "</a></p>");
    }
    return cf_web_send(req, &b, status);
}

/* 303 See Other to location, a local path made safe for the header. */
static int
cf_web_redirect(struct cf_req *req, const char *location)
{
    struct cf_buf loc = CF_BUF_INIT, b = CF_BUF_INIT;

    cf_web_add_location(&loc, location);
    cf_resp_header(req, "Location", "%s", loc.data);
    cf_web_open(&b, req, "Continue");
    cf_buf_adds(&b, "<p><a href=\"");
    cf_buf_add_xmlesc(&b, cf_buf_str(&loc));
    cf_buf_adds(&b, "\">Continue</a></p>");
    cf_buf_release(&loc);
    return cf_web_send(req, &b, 303);
}

static int
cf_web_405(struct cf_req *req, const char *allow)
{
    cf_resp_header(req, "Allow", "%s", allow);
    return cf_web_notice(req, 405, "Not possible here", "this page cannot do that",
                         NULL, "/login", "Go to the login page");
}

/* The acting user for acl_*: x->why is filled on failure. */
static void
cf_web_ident(struct cf_web_ctx *ctx, struct cf_req *req, struct acl_ident *x, int64_t actor_id,
             const char *actor)
{
    memset(x, 0, sizeof(*x));
    x->conf = ctx->conf;
    x->db = ctx->db;
    x->repos = ctx->repos;
    x->epoch = ctx->epoch;
    x->actor_id = actor_id;
    x->actor = actor;
    x->peer = req->peer;
}

static bool
cf_web_has_session(const struct cf_req *req)
{
    return req->user_id != 0 && req->auth_via == CF_AUTH_SESSION && req->csrf != NULL;
}

/* ---- /login ---- */

/*
 * The login form, with status and msg (NULL: none). login is what was typed
 * (shown again, escaped); the password never is.
 */
static int
cf_web_login_form(struct cf_req *req, int status, const char *msg, const char *login,
                  const char *next, bool remember)
{
    char tok[CF_WEB_TOKEN_LEN + 1];
    struct cf_buf b = CF_BUF_INIT;
    bool have_login = login != NULL && login[0] != '\0';

    cf_web_form_token_new(req, "/login", tok);
    cf_web_open(&b, req, "Log in");
    cf_web_msg(&b, "msg", msg);
    if (status == 428)
        cf_buf_adds(&b, "<p>For your safety the password is not kept: type it again, "
                        "together with the code.</p>");
    if (cf_web_has_session(req)) {
        cf_buf_adds(&b, "<p>You are logged in as <strong>");
        cf_buf_add_xmlesc(&b, req->user_login);
        cf_buf_adds(&b, "</strong>. <a href=\"/dav/\">Go to your files</a>, or log in "
                        "below as someone else.</p>");
    }
    cf_buf_addf(&b, "<form method=\"post\" action=\"/login\">"
                "<input type=\"hidden\" name=\"%s\" value=\"%s\">", CF_WEB_CSRF_FIELD, tok);
    if (next != NULL) {
        cf_buf_adds(&b, "<input type=\"hidden\" name=\"next\" value=\"");
        cf_web_esc(&b, next);
        cf_buf_adds(&b, "\">");
    }
    cf_buf_adds(&b, "<label for=\"login\">Login</label>"
                    "<input id=\"login\" name=\"login\" type=\"text\" autocomplete=\"username\" "
                    "autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"64\"");
    if (have_login) {
        cf_buf_adds(&b, " value=\"");
        cf_web_esc(&b, login);
        cf_buf_adds(&b, "\">");
    } else {
        cf_buf_adds(&b, " autofocus>");
    }
    cf_buf_addf(&b, "<label for=\"password\">Password</label>"
                "<input id=\"password\" name=\"password\" type=\"password\" "
                "autocomplete=\"current-password\" required%s>"
                "<label for=\"code\">Code from your authenticator app "
                "<span class=\"hint\">(only if two-factor authentication is on)</span></label>"
                "<input id=\"code\" name=\"code\" type=\"text\" autocomplete=\"one-time-code\" "
                "autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"32\">"
                "<p class=\"hint\">Lost your phone? Type one of your recovery codes "
                "instead of the code.</p>"
                "<label class=\"check\"><input type=\"checkbox\" name=\"remember\" "
                "value=\"1\"%s> Remember me on this computer</label>"
                "<button type=\"submit\">Log in</button></form>"
                "<p class=\"hint\">Forgot your password? Ask the person who gave you your "
                "account for a link to choose a new one.</p>",
                have_login ? " autofocus" : "", remember ? " checked" : "");
    return cf_web_send(req, &b, status);
}

/* The ?next= of the request, if it is local. */
static const char *
cf_web_next_of_query(struct cf_req *req)
{
    const char *n = cf_web_form_get(req->pool, req->query, "next");

    return cf_web_next_ok(n) ? n : NULL;
}

/* Lower-cases an ASCII login and drops the spaces a phone keyboard adds. */
static const char *
cf_web_login_clean(struct cf_pool *pool, const char *s)
{
    struct cf_str t = cf_str_trim(cf_str_from(s));
    char *out = cf_pool_strndup(pool, t.p != NULL ? t.p : "", t.len);

    for (char *p = out; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

static int
cf_web_login_post(struct cf_web_ctx *ctx, struct cf_req *req)
{
    const char *login = cf_web_field(req, "login");
    const char *pw = cf_web_field(req, "password");
    const char *code = cf_web_field(req, "code");
    const char *next = cf_web_field(req, "next");
    const char *rem = cf_web_field(req, "remember");
    bool remember = rem != NULL && rem[0] != '\0';
    struct acl_ident x;
    struct stor_user u;
    int rc;

    if (!cf_web_next_ok(next))
        next = NULL;
    login = cf_web_login_clean(req->pool, login != NULL ? login : "");
    if (!cf_web_form_token_ok(req)) {
        cf_web_wipe(pw);
        cf_web_wipe(code);
        return cf_web_login_form(req, 403, "the form expired, so it has been reloaded: "
                                 "enter your password again (if this keeps happening, "
                                 "allow cookies for this site)", login, next, remember);
    }
    cf_web_ident(ctx, req, &x, 0, NULL);
    rc = cf_auth_form_login(ctx->auth, &x, req, login, pw != NULL ? pw : "",
                            code != NULL ? code : "", &u);
    cf_web_wipe(pw);
    cf_web_wipe(code);
    if (rc != 0)    /* 401, 403, 428, 429 (Retry-After is set already) */
        return cf_web_login_form(req, rc, req->err_msg, login, next, remember);
    if (cf_auth_session_start(ctx->auth, ctx->db, req, u.id, remember) < 0)
        return cf_web_login_form(req, 500, "your login was right, but the server could not "
                                 "start your session: try again in a moment", login, next,
                                 remember);
    cf_web_form_token_clear(req, "/login");
    return cf_web_redirect(req, next != NULL ? next : "/dav/");
}

/* ---- /logout ---- */

/*
 * The logout page: GET /logout (405: a link must not log anyone out) and a
 * POST whose token was stale (403) offer the button, which posts with the
 * session's token.
 */
static int
cf_web_logout_page(struct cf_req *req, int status, const char *msg)
{
    struct cf_buf b = CF_BUF_INIT;

    if (status == 405)
        cf_resp_header(req, "Allow", "%s", "POST");
    cf_web_open(&b, req, "Log out");
    cf_web_msg(&b, "msg", msg);
    if (cf_web_has_session(req)) {
        cf_buf_adds(&b, "<p>To log out, press the button.</p>");
        cf_web_logout_form(&b, req, NULL);
    } else {
        cf_buf_adds(&b, "<p>You are not logged in.</p>"
                        "<p><a href=\"/login\">Go to the login page</a></p>");
    }
    return cf_web_send(req, &b, status);
}

static int
cf_web_logout_post(struct cf_web_ctx *ctx, struct cf_req *req)
{
    const char *t = cf_web_field(req, "csrf");

    if (req->auth_via != CF_AUTH_SESSION)
        return cf_web_notice(req, 403, "Log out", "you are not logged in (your session may "
                             "have ended already)", NULL, "/login", "Go to the login page");
    if (t == NULL || !cf_auth_csrf_ok(req, cf_str_from(t)))
        return cf_web_logout_page(req, 403, "the page you came from had expired, so you are "
                                  "still logged in");
    cf_auth_session_end(ctx->db, req);
    return cf_web_redirect(req, "/login");
}

/* ---- /invite/<token> ---- */

/* The page for a link that cannot be used (rc from acl_link_*). */
static int
cf_web_link_error(struct cf_req *req, int rc, const struct stor_invite *inv)
{
    bool reset = inv != NULL && inv->kind != NULL && strcmp(inv->kind, "reset") == 0;

    switch (rc) {
    case -EALREADY:
        return cf_web_notice(req, 410, "Link used", "this link has been used already",
                             "if you chose your password with it, log in with your login and "
                             "that password; otherwise ask for a new link",
                             "/login", "Go to the login page");
    case -ETIME:
        return cf_web_notice(req, 410, "Link expired", reset
                             ? "this link has expired; ask your administrator for a new one"
                             : "this link has expired; ask the person who invited you for a "
                               "new one", NULL, "/login", "Go to the login page");
    case -ENOENT:
    case -EINVAL:
        return cf_web_notice(req, 404, "Link not valid", "this link is not valid",
                             "check that you opened the whole link from the email (long "
                             "links are sometimes cut in two); if it still does not work, "
                             "ask the person who sent it for a new one", NULL, NULL);
    default:
        return cf_web_notice(req, 500, "Something went wrong", "the server could not check "
                             "this link", "try again in a moment", NULL, NULL);
    }
}

static int
cf_web_invite_form(struct cf_web_ctx *ctx, struct cf_req *req, int status, const char *msg,
                   const struct stor_invite *inv, const struct stor_user *u)
{
    bool reset = strcmp(inv->kind, "reset") == 0;
    char tok[CF_WEB_TOKEN_LEN + 1];
    struct cf_buf b = CF_BUF_INIT;
    unsigned min = ctx->conf->password_min;

    cf_web_form_token_new(req, "/invite", tok);
    cf_web_open(&b, req, reset ? "Choose a new password" : "Welcome");
    cf_web_msg(&b, "msg", msg);
    if (reset)
        cf_buf_adds(&b, "<p>Choose a new password for your account.</p>");
    else
        cf_buf_adds(&b, "<p>Your account is almost ready: choose the password you will log in "
                        "with.</p>");
    /* no action attribute: the form posts to this URL, whose token is not written here */
    cf_buf_addf(&b, "<form method=\"post\">"
                "<input type=\"hidden\" name=\"%s\" value=\"%s\">"
                "<label for=\"login\">Your login <span class=\"hint\">(the name you log in "
                "with)</span></label>"
                "<input id=\"login\" name=\"username\" type=\"text\" autocomplete=\"username\" "
                "readonly value=\"", CF_WEB_CSRF_FIELD, tok);
    cf_web_esc(&b, u->login);
    cf_buf_addf(&b, "\"><label for=\"password\">New password</label>"
                "<input id=\"password\" name=\"password\" type=\"password\" "
                "autocomplete=\"new-password\" required minlength=\"%u\" autofocus>"
                "<label for=\"password2\">The same password again</label>"
                "<input id=\"password2\" name=\"password2\" type=\"password\" "
                "autocomplete=\"new-password\" required minlength=\"%u\">"
                "<p class=\"hint\">At least %u characters. A few unrelated words make a "
                "password that is long and easy to remember.</p>"
                "<button type=\"submit\">%s</button></form>",
                min, min, min, reset ? "Save the new password" : "Save and continue");
    return cf_web_send(req, &b, status);
}

static int
cf_web_invite(struct cf_web_ctx *ctx, struct cf_req *req)
{
    static const struct cf_str prefix = CF_STR("/invite/");
    struct cf_str raw = cf_str_make(req->path_raw.p + prefix.len, req->path_raw.len - prefix.len);
    const char *token = cf_web_decode(req->pool, raw.p, raw.len, false);
    const char *pw = NULL, *pw2 = NULL;
    struct stor_invite inv;
    struct stor_user u;
    struct acl_ident x;
    int64_t user = 0;
    int rc;

    memset(&inv, 0, sizeof(inv));
    if (token == NULL)
        return cf_web_link_error(req, -ENOENT, NULL);
    cf_web_ident(ctx, req, &x, 0, NULL);
    if ((rc = acl_link_check(&x, token, req->pool, &inv)) < 0)
        return cf_web_link_error(req, rc, &inv);
    if (stor_user_get_by_id(ctx->db, inv.user, req->pool, &u) < 0)
        return cf_web_link_error(req, -ENOENT, &inv);
    if (req->method != CF_M_POST)
        return cf_web_invite_form(ctx, req, 200, NULL, &inv, &u);

    pw = cf_web_field(req, "password");
    pw2 = cf_web_field(req, "password2");
    if (!cf_web_form_token_ok(req)) {
        rc = cf_web_invite_form(ctx, req, 403, "the form expired, so it has been reloaded: "
                                "type your new password again (if this keeps happening, allow "
                                "cookies for this site)", &inv, &u);
        goto out;
    }
    if (pw == NULL || pw2 == NULL || pw[0] == '\0') {
        rc = cf_web_invite_form(ctx, req, 400, "type your new password in both fields", &inv,
                                &u);
        goto out;
    }
    if (strcmp(pw, pw2) != 0) {
        rc = cf_web_invite_form(ctx, req, 400, "the two passwords are not the same: type the "
                                "same password in both fields", &inv, &u);
        goto out;
    }
    rc = acl_link_accept(&x, token, pw, &user);
    if (rc == -EINVAL) {
        rc = cf_web_invite_form(ctx, req, 400, x.why, &inv, &u);
        goto out;
    }
    if (rc == -EALREADY || rc == -ETIME || rc == -ENOENT) {
        rc = cf_web_link_error(req, rc, &inv);
        goto out;
    }
    if (rc < 0) {
        rc = cf_web_invite_form(ctx, req, 500, "the server could not save your password: try "
                                "again in a moment", &inv, &u);
        goto out;
    }
    cf_web_form_token_clear(req, "/invite");
    if (cf_auth_session_start(ctx->auth, ctx->db, req, user, false) < 0) {
        rc = cf_web_notice(req, 200, "Password saved", "your password is saved",
                           "log in with your login and the new password", "/login",
                           "Go to the login page");
        goto out;
    }
    rc = cf_web_redirect(req, "/account/2fa?welcome=1");
out:
    cf_web_wipe(pw);
    cf_web_wipe(pw2);
    return rc;
}

/* ---- /account/2fa ---- */

/* Writes the base32 secret in groups of four, as apps ask it to be typed. */
static void
cf_web_add_key(struct cf_buf *b, const char *secret)
{
    for (size_t i = 0; secret[i] != '\0'; i++) {
        if (i > 0 && i % 4 == 0)
            cf_buf_addc(b, ' ');
        cf_buf_addc(b, secret[i]);
    }
}

static void
cf_web_files_link(struct cf_buf *b, const char *text)
{
    cf_buf_adds(b, "<p><a href=\"/dav/\">");
    cf_web_esc(b, text);
    cf_buf_adds(b, "</a></p>");
}

/*
 * The enrolment page: the QR code of the otpauth:// URI for secret, the
 * secret to type by hand, and the form that confirms with a code.
 */
static int
cf_web_2fa_enrol_page(struct cf_web_ctx *ctx, struct cf_req *req, const struct stor_user *u,
                      const char *secret, int status, const char *msg, bool welcome)
{
    struct cf_buf b = CF_BUF_INIT, uri = CF_BUF_INIT;

    acl_totp_uri(&uri, ctx->conf->realm, u->login, secret);
    cf_web_open(&b, req, "Two-factor authentication");
    if (welcome)
        cf_buf_adds(&b, "<p class=\"msg ok\" role=\"status\">Your account is ready. You may "
                        "turn on two-factor authentication now, or skip this and "
                        "<a href=\"/dav/\">go to your files</a>.</p>");
    cf_web_msg(&b, "msg", msg);
    cf_buf_adds(&b, "<p>Two-factor authentication keeps your account safe even if someone "
                    "learns your password: to log in, you type your password and a six-digit "
                    "code that an app on your phone shows.</p><ol>"
                    "<li><p>Install an authenticator app on your phone, such as Google "
                    "Authenticator, Microsoft Authenticator, FreeOTP or Aegis.</p></li>"
                    "<li><p>In the app, add an account and scan this code:</p>");
    if (cf_qr_svg(&b, uri.data, CF_WEB_QR_PX) < 0)
        cf_buf_adds(&b, "<p class=\"hint\">(The picture could not be drawn: type the key "
                        "below instead.)</p>");
    cf_buf_adds(&b, "<p>If you cannot scan it, choose to enter a key by hand in the app, "
                    "with the time-based type, and type this key:</p><p class=\"key\">");
    cf_web_add_key(&b, secret);
    cf_buf_adds(&b, "</p></li><li><form method=\"post\" action=\"/account/2fa\">"
                    "<input type=\"hidden\" name=\"action\" value=\"enable\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"");
    cf_web_esc(&b, req->csrf != NULL ? req->csrf : "");
    cf_buf_adds(&b, "\"><label for=\"code\">Type the six-digit code the app shows now</label>"
                    "<input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" "
                    "autocomplete=\"one-time-code\" maxlength=\"16\" required autofocus>"
                    "<button type=\"submit\">Turn on two-factor authentication</button>"
                    "</form></li></ol>");
    if (!welcome)
        cf_web_files_link(&b, "Not now: go to your files");
    sodium_memzero(uri.data, uri.len);
    cf_buf_release(&uri);
    return cf_web_send(req, &b, status);
}

/* Starts a new enrolment (a new secret) and shows it. */
static int
cf_web_2fa_enrol_new(struct cf_web_ctx *ctx, struct cf_req *req, struct acl_ident *x,
                     const struct stor_user *u, int status, const char *msg, bool welcome)
{
    char secret[ACL_TOTP_B32_LEN + 1];
    struct cf_buf uri = CF_BUF_INIT;
    int rc;

    if (acl_2fa_begin(x, u->id, secret, &uri) < 0) {
        cf_buf_release(&uri);
        return cf_web_notice(req, 500, "Two-factor authentication", x->why,
                             "try again in a moment", "/dav/", "Go to your files");
    }
    sodium_memzero(uri.data, uri.len);
    cf_buf_release(&uri);
    rc = cf_web_2fa_enrol_page(ctx, req, u, secret, status, msg, welcome);
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

/* The page of a user with 2FA on: recovery codes left, and the form to turn it off. */
static int
cf_web_2fa_status_page(struct cf_web_ctx *ctx, struct cf_req *req, const struct stor_user *u,
                       int status, const char *msg)
{
    struct cf_buf b = CF_BUF_INIT;
    int64_t left = -1;

    if (stor_recovery_left(ctx->db, u->id, &left) < 0)
        left = -1;
    cf_web_open(&b, req, "Two-factor authentication");
    cf_web_msg(&b, "msg", msg);
    cf_buf_adds(&b, "<p class=\"msg ok\">Two-factor authentication is on: to log in, you type "
                    "your password and the code from your authenticator app.</p>");
    if (left >= 0)
        cf_buf_addf(&b, "<p>You have <strong>%lld</strong> unused recovery code%s.</p>",
                    (long long)left, left == 1 ? "" : "s");
    if (left >= 0 && left <= 3)
        cf_buf_adds(&b, "<p>Few are left: turn two-factor authentication off and on again to "
                        "get ten new ones.</p>");
    cf_buf_adds(&b, "<form method=\"post\" action=\"/account/2fa\">"
                    "<input type=\"hidden\" name=\"action\" value=\"disable\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"");
    cf_web_esc(&b, req->csrf != NULL ? req->csrf : "");
    cf_buf_adds(&b, "\"><label for=\"password\">To turn it off, type your password</label>"
                    "<input id=\"password\" name=\"password\" type=\"password\" "
                    "autocomplete=\"current-password\" required>"
                    "<button type=\"submit\">Turn off two-factor authentication</button>"
                    "</form>");
    cf_web_files_link(&b, "Go to your files");
    return cf_web_send(req, &b, status);
}

/* Shown once: the ten recovery codes acl_2fa_enable() made. */
static int
cf_web_2fa_codes_page(struct cf_req *req, char codes[][12], size_t n)
{
    struct cf_buf b = CF_BUF_INIT;

    cf_web_open(&b, req, "Two-factor authentication is on");
    cf_buf_adds(&b, "<p class=\"msg ok\" role=\"status\">Two-factor authentication is on. "
                    "From now on you log in with your password and the code from the "
                    "app.</p><p>These are your <strong>recovery codes</strong>. If you lose "
                    "your phone, each of them lets you log in once, typed in place of the "
                    "code. <strong>Store them now</strong> somewhere safe: print this page, "
                    "or save them in your password manager. They will not be shown again."
                    "</p><ol class=\"codes\">");
    for (size_t i = 0; i < n; i++) {
        cf_buf_adds(&b, "<li>");
        cf_web_esc(&b, codes[i]);
        cf_buf_adds(&b, "</li>");
    }
    cf_buf_adds(&b, "</ol><p class=\"hint\">Programs that connect to your files (a mapped "
                    "drive, a sync app) no longer take your account password: they need an "
                    "app password.</p>");
    cf_web_files_link(&b, "I have stored them: go to your files");
    return cf_web_send(req, &b, 200);
}

static int
cf_web_2fa_post(struct cf_web_ctx *ctx, struct cf_req *req, struct acl_ident *x,
                const struct stor_user *u)
{
    const char *csrf = cf_web_field(req, "csrf");
    const char *action = cf_web_field(req, "action");
    int rc;

    if (csrf == NULL || !cf_auth_csrf_ok(req, cf_str_from(csrf)))
        return cf_web_notice(req, 403, "Two-factor authentication", "this page had expired, "
                             "so nothing was changed", "open the page again and retry",
                             "/account/2fa", "Open the page again");
    if (action != NULL && strcmp(action, "enable") == 0) {
        char codes[ACL_RECOVERY_CODES][12];
        const char *code = cf_web_field(req, "code");

        if (u->totp_on)
            return cf_web_2fa_status_page(ctx, req, u, 409,
                                          "two-factor authentication is on already");
        rc = acl_2fa_enable(x, u->id, code != NULL ? code : "", codes, ACL_RECOVERY_CODES);
        if (rc == 0) {
            rc = cf_web_2fa_codes_page(req, codes, ACL_RECOVERY_CODES);
            sodium_memzero(codes, sizeof(codes));
            return rc;
        }
        if (rc == -EACCES && u->totp_secret != NULL)   /* same secret: no new scan */
            return cf_web_2fa_enrol_page(ctx, req, u, u->totp_secret, 400, x->why, false);
        if (rc == -EINVAL || rc == -EACCES)
            return cf_web_2fa_enrol_new(ctx, req, x, u, 400, x->why, false);
        if (rc == -EALREADY)
            return cf_web_2fa_status_page(ctx, req, u, 409, x->why);
        return cf_web_notice(req, 500, "Two-factor authentication",
                             x->why != NULL ? x->why : "the change could not be saved",
                             "try again in a moment", "/account/2fa", "Open the page again");
    }
    if (action != NULL && strcmp(action, "disable") == 0) {
        const char *pw = cf_web_field(req, "password");
        bool ok;

        if (!u->totp_on)
            return cf_web_2fa_enrol_new(ctx, req, x, u, 409,
                                        "two-factor authentication is off already", false);
        ok = pw != NULL && u->pw_hash != NULL && acl_password_verify(u->pw_hash, pw, strlen(pw));
        cf_web_wipe(pw);
        if (!ok) {
            acl_audit(x, "user.2fa-off-refused", u->login, "wrong password");
            return cf_web_2fa_status_page(ctx, req, u, 403, "the password is wrong: "
                                          "two-factor authentication is still on");
        }
        if ((rc = acl_2fa_disable(x, u->id)) < 0)
            return cf_web_notice(req, 500, "Two-factor authentication",
                                 x->why != NULL ? x->why : "the change could not be saved",
                                 "try again in a moment", "/account/2fa",
                                 "Open the page again");
        return cf_web_notice(req, 200, "Two-factor authentication is off",
                             "two-factor authentication is off: your password alone logs you in",
                             "you can turn it on again at any time", "/account/2fa",
                             "Turn two-factor authentication on");
    }
    return cf_web_notice(req, 400, "Two-factor authentication", "the form was not understood",
                         "open the page again and retry", "/account/2fa", "Open the page again");
}

static int
cf_web_2fa(struct cf_web_ctx *ctx, struct cf_req *req)
{
    struct acl_ident x;
    struct stor_user u;
    const char *welcome;

    if (stor_user_get_by_id(ctx->db, req->user_id, req->pool, &u) < 0)
        return cf_web_notice(req, 500, "Two-factor authentication", "your account could not be "
                             "read", "try again in a moment", NULL, NULL);
    cf_web_ident(ctx, req, &x, u.id, u.login);
    if (req->method == CF_M_POST)
        return cf_web_2fa_post(ctx, req, &x, &u);
    if (u.totp_on)
        return cf_web_2fa_status_page(ctx, req, &u, 200, NULL);
    welcome = cf_web_form_get(req->pool, req->query, "welcome");
    return cf_web_2fa_enrol_new(ctx, req, &x, &u, 200, NULL,
                                welcome != NULL && strcmp(welcome, "1") == 0);
}

/* ---- entry points ---- */

/* True if the body is a urlencoded form (parameters such as charset allowed). */
static bool
cf_web_is_form(const struct cf_req *req)
{
    static const struct cf_str form = CF_STR("application/x-www-form-urlencoded");
    const struct cf_str *ct = cf_req_header(req, CF_STR("Content-Type"));
    struct cf_str v;
    ssize_t semi;

    if (ct == NULL)
        return false;
    v = *ct;
    if ((semi = cf_str_find(v, ';')) >= 0)
        v.len = (size_t)semi;
    return cf_str_eq_ci(cf_str_trim(v), form);
}

int
cf_web_begin(struct cf_web_ctx *ctx, struct cf_req *req)
{
    enum cf_web_route r = cf_web_route_of(req->path_raw);
    bool get = req->method == CF_M_GET || req->method == CF_M_HEAD;
    bool post = req->method == CF_M_POST;

    (void)ctx;
    switch (r) {
    case CF_WEB_LOGOUT:
        if (!post)
            return cf_web_logout_page(req, 405, NULL);
        break;
    case CF_WEB_LOGIN:
    case CF_WEB_INVITE:
    case CF_WEB_2FA:
        if (!get && !post)
            return cf_web_405(req, "GET, HEAD, POST");
        break;
    default:
        return 404;
    }
    if (r == CF_WEB_2FA && !cf_web_has_session(req)) {
        if (get)
            return cf_web_redirect(req, "/login?next=%2Faccount%2F2fa");
        return cf_web_notice(req, 403, "Two-factor authentication", "you are not logged in "
                             "(your session may have ended), so nothing was changed",
                             "log in, then open this page again",
                             "/login?next=%2Faccount%2F2fa", "Log in");
    }
    if (!post)
        return 0;
    if (!cf_web_is_form(req))
        return cf_web_notice(req, 415, "Not understood", "this page takes only the forms of "
                             "its own pages", NULL, "/login", "Go to the login page");
    req->sink = CF_BODY_MEM;
    req->body_max = CF_WEB_FORM_MAX;
    return 0;
}

int
cf_web_finish(struct cf_web_ctx *ctx, struct cf_req *req)
{
    enum cf_web_route r = cf_web_route_of(req->path_raw);
    bool post = req->method == CF_M_POST;
    int status;

    switch (r) {
    case CF_WEB_LOGIN:
        status = post ? cf_web_login_post(ctx, req)
                      : cf_web_login_form(req, 200, NULL, NULL, cf_web_next_of_query(req), false);
        break;
    case CF_WEB_LOGOUT:
        status = cf_web_logout_post(ctx, req);
        break;
    case CF_WEB_INVITE:
        status = cf_web_invite(ctx, req);
        break;
    case CF_WEB_2FA:
        status = cf_web_2fa(ctx, req);
        break;
    default:
        status = 404;
        break;
    }
    /* the body may hold passwords */
    if (req->body.len > 0)
        sodium_memzero(req->body.data, req->body.len);
    return status;
}
