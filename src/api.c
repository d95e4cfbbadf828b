/*
 * api.c: the REST API's frame (see api.h): body checks, JSON in and out,
 * errors, query and field helpers, and the dispatch to the handlers of
 * api_users.c and api_me.c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/api.h"
#include "coffer/auth.h"
#include "coffer/log.h"
#include "coffer/mail.h"
#include "coffer/web.h"
#include "coffer/banned.h"

#define CF_API_PREFIX "/api/v1/"

static const char *
cf_api_code_of(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthenticated";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 410: return "gone";
    case 413: return "too_large";
    case 415: return "unsupported_media_type";
    case 429: return "too_many_requests";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "error";
    }
}

/* Appends {"error": {...}} to req's body. */
static void
cf_api_error_json(struct cf_req *req, const char *code, const char *message)
{
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    char *s = json_dumps(o, JSON_COMPACT);

    cf_resp_reset(req);
    cf_resp_header(req, "Content-Type", "application/json");
    cf_resp_header(req, "Cache-Control", "no-store");
    if (s != NULL) {
        cf_resp_adds(req, s);
        cf_resp_adds(req, "\n");
    }
    free(s);
    json_decref(o);
}

void
cf_api_error_body(struct cf_req *req, int status)
{
    struct cf_buf keep = CF_BUF_INIT;

    /* keep the headers auth added (WWW-Authenticate, Retry-After) */
    cf_buf_add(&keep, req->resp_head.data, req->resp_head.len);
    cf_api_error_json(req, cf_api_code_of(status),
                      req->err_msg ? req->err_msg : cf_http_reason(status));
    cf_buf_add(&req->resp_head, keep.data, keep.len);
    cf_buf_release(&keep);
}

int
cf_api_error(struct cf_api_call *c, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cf_api_error_json(c->req, code != NULL ? code : cf_api_code_of(status), msg);
    return status;
}

int
cf_api_fail(struct cf_api_call *c, int rc)
{
    const char *why = c->x.why != NULL ? c->x.why : "the request failed";

    switch (-rc) {
    case EINVAL: return cf_api_error(c, 400, "invalid", "%s", why);
    case ENOENT: return cf_api_error(c, 404, "not_found", "%s", why);
    case EEXIST: return cf_api_error(c, 409, "exists", "%s", why);
    case EALREADY: return cf_api_error(c, 409, "conflict", "%s", why);
    case ELOOP: return cf_api_error(c, 409, "cycle", "%s", why);    /* a nesting cycle */
    case EPERM: return cf_api_error(c, 403, "forbidden", "%s", why);
    case EACCES: return cf_api_error(c, 403, "forbidden", "%s", why);
    case ETIME: return cf_api_error(c, 410, "expired", "%s", why);
    case EBUSY: return cf_api_error(c, 503, "busy", "the database is busy: try again");
    default:
        cf_log(CF_LOG_ERR, "api: %s %s: %s (%d)", cf_method_name(c->req->method),
               c->nseg > 0 ? c->seg[0] : "", why, rc);
        return cf_api_error(c, 500, "internal", "%s", why);
    }
}

int
cf_api_reply(struct cf_api_call *c, int status, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);

    json_decref(obj);
    if (s == NULL)
        return cf_api_error(c, 500, "internal", "the answer could not be encoded");
    cf_resp_header(c->req, "Content-Type", "application/json");
    cf_resp_header(c->req, "Cache-Control", "no-store");
    cf_resp_adds(c->req, s);
    cf_resp_adds(c->req, "\n");
    free(s);
    return status;
}

int
cf_api_no_content(struct cf_api_call *c)
{
    return 204;
}

int
cf_api_not_allowed(struct cf_api_call *c, const char *allow)
{
    /* RFC 9110 15.5.6: a 405 names the methods in Allow; after the body, which resets */
    cf_api_error(c, 405, "method_not_allowed", "this path accepts only %s", allow);
    cf_resp_header(c->req, "Allow", "%s", allow);
    return 405;
}

enum cf_method
cf_api_method(const struct cf_api_call *c)
{
    return c->req->method == CF_M_HEAD ? CF_M_GET : c->req->method;
}

int
cf_api_db_fail(struct cf_api_call *c, int rc)
{
    c->x.why = "the database could not be read";
    return cf_api_fail(c, rc);
}

/* ---- query and body fields ---- */

const char *
cf_api_query(struct cf_api_call *c, const char *name)
{
    return cf_web_form_get(c->req->pool, c->req->query, name);
}

int
cf_api_limit(struct cf_api_call *c)
{
    const char *v = cf_api_query(c, "limit");
    uint64_t n;

    if (v == NULL)
        return 100;
    if (cf_parse_u64(v, strlen(v), 500, &n) < 0 || n == 0) {
        cf_api_error(c, 400, "invalid", "limit must be a whole number from 1 to 500");
        return -1;
    }
    return (int)n;
}

static json_t *
cf_api_field(struct cf_api_call *c, const char *key)
{
    json_t *v = c->body != NULL ? json_object_get(c->body, key) : NULL;

    return v != NULL && !json_is_null(v) ? v : NULL;
}

int
cf_api_str(struct cf_api_call *c, const char *key, const char **out)
{
    json_t *v = cf_api_field(c, key);

    if (v == NULL) {
        *out = NULL;
        return 1;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        cf_api_error(c, 400, "invalid", "'%s' must be a string (without NUL bytes)", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int
cf_api_bool(struct cf_api_call *c, const char *key, bool *out)
{
    json_t *v = cf_api_field(c, key);

    if (v == NULL)
        return 1;
    if (!json_is_boolean(v)) {
        cf_api_error(c, 400, "invalid", "'%s' must be true or false", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

int
cf_api_time(struct cf_api_call *c, const char *key, int64_t *out)
{
    const char *s;
    int rc = cf_api_str(c, key, &s);

    *out = 0;
    if (rc != 0)
        return rc;
    if (cf_api_parse_time(s, out) < 0) {
        cf_api_error(c, 400, "invalid", "'%s' must be an RFC 3339 time like "
                     "2026-12-31T18:00:00Z", key);
        return -1;
    }
    return 0;
}

int
cf_api_only(struct cf_api_call *c, const char *const *keys)
{
    const char *k;
    json_t *v;

    if (c->body == NULL)
        return 0;
    json_object_foreach(c->body, k, v) {
        size_t i;

        for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
            ;
        if (keys[i] == NULL) {
            struct cf_buf esc = CF_BUF_INIT;

            cf_log_escape(&esc, cf_str_from(k), 40);
            cf_api_error(c, 400, "invalid", "unknown field '%s'", esc.data);
            cf_buf_release(&esc);
            return -1;
        }
        (void)v;
    }
    return 0;
}

/* ---- times ---- */

static bool
cf_api_digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int
cf_api_parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0;
    struct tm tm;
    const char *p;
    time_t t;

    /* RFC 3339 5.6: date-time = full-date "T" full-time */
    if (strlen(s) < 20 || !cf_api_digits(s, 4, &y) || s[4] != '-' ||
        !cf_api_digits(s + 5, 2, &mo) || s[7] != '-' || !cf_api_digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !cf_api_digits(s + 11, 2, &h) ||
        s[13] != ':' || !cf_api_digits(s + 14, 2, &mi) || s[16] != ':' ||
        !cf_api_digits(s + 17, 2, &sec))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return -EINVAL;
    p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        if (!cf_api_digits(p + 1, 2, &oh) || p[3] != ':' || !cf_api_digits(p + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -EINVAL;
        if (*p == '-') {
            oh = -oh;
            om = -om;
        }
        p += 6;
    } else {
        return -EINVAL;
    }
    if (*p != '\0')
        return -EINVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec == 60 ? 59 : sec;
    if ((t = timegm(&tm)) == (time_t)-1)
        return -EINVAL;
    *out = (int64_t)t - (oh * 3600 + om * 60);
    return 0;
}

json_t *
cf_api_time_json(int64_t t)
{
    char buf[32];
    struct tm tm;
    time_t tt = (time_t)t;

    if (t == 0)
        return json_null();
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

/* ---- users ---- */

json_t *
cf_api_user_json(const struct stor_user *u, bool full)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "login", u->login, "display_name",
                          u->display_name ? u->display_name : "", "email",
                          u->email ? u->email : "");

    if (!full)
        return o;
    json_object_set_new(o, "role", json_string(u->role));
    json_object_set_new(o, "status", json_string(u->status));
    json_object_set_new(o, "blocked_until",
                        strcmp(u->status, "blocked") == 0 ? cf_api_time_json(u->blocked_until)
                                                          : json_null());
    json_object_set_new(o, "two_factor", json_boolean(u->totp_on));
    json_object_set_new(o, "contact", u->contact > 0 ? json_integer(u->contact) : json_null());
    json_object_set_new(o, "created", cf_api_time_json(u->created));
    json_object_set_new(o, "last_login", cf_api_time_json(u->last_login));
    return o;
}

int
cf_api_user_lookup(struct cf_api_call *c, const char *login, struct stor_user *u)
{
    int rc = stor_user_get(c->ctx->db, cf_str_from(login), c->req->pool, u);

    if (rc == 0 && !acl_user_seen(&c->x, c->faculties, u->id))
        rc = -ENOENT;
    if (rc == -ENOENT) {
        /* the same answer whether he does not exist or may not be seen */
        return cf_api_error(c, 404, "not_found", "there is no such user");
    }
    if (rc < 0) {
        c->x.why = "the database could not be read";
        return cf_api_fail(c, rc);
    }
    return 0;
}

bool
cf_api_need(struct cf_api_call *c, uint32_t faculty)
{
    if ((c->faculties & faculty) == faculty)
        return true;
    cf_api_error(c, 403, "forbidden", "your user role (%s) does not allow this", c->me.role);
    return false;
}

int
cf_api_send_link(struct cf_api_call *c, const struct stor_user *u, const char *kind,
                 const char *message, int64_t *expires)
{
    char token[ACL_SECRET_MAX], when[40], *link;
    const struct cf_conf *conf = c->ctx->conf;
    struct tm tm;
    time_t t;
    int rc;

    if (u->email == NULL || !acl_email_ok(u->email))
        return cf_api_error(c, 409, "no_email", "the user has no valid email address to "
                            "send the link to");
    if ((rc = acl_link_create(&c->x, u->id, kind, token, expires)) < 0)
        return cf_api_fail(c, rc);
    if (conf->public_url != NULL)
        link = cf_pool_printf(c->req->pool, "%s/invite/%s", conf->public_url, token);
    else
        link = cf_pool_printf(c->req->pool, "%s://%s/invite/%s", c->req->tls ? "https" : "http",
                              c->req->host.len > 0 ? cf_pool_strndup(c->req->pool, c->req->host.p,
                                                                     c->req->host.len)
                                                   : conf->listen_host,
                              token);
    t = (time_t)*expires;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
    struct cf_mail_var vars[] = {
        { "display_name", u->display_name },
        { "login", u->login },
        { "inviter", c->me.display_name[0] ? c->me.display_name : c->me.login },
        { "message", message != NULL ? message : "" },
        { "link", link },
        { "expires", when },
    };
    size_t nvars = strcmp(kind, "invite") == 0 ? 6 : 3;

    if (nvars == 3) {
        vars[2] = vars[4];      /* reset: display_name, login, link, expires */
        vars[3] = vars[5];
        nvars = 4;
    }
    rc = cf_mail_send_template(conf, kind, u->email, u->display_name, vars, nvars);
    sodium_memzero(token, sizeof(token));
    if (rc < 0)
        return cf_api_error(c, 502, "mail_failed", "the link was made but the email could not "
                            "be sent: check the mail settings (smtp-url) and the templates");
    return 0;
}

/* ---- begin and finish ---- */

int
cf_api_begin(struct cf_api_ctx *ctx, struct cf_req *req)
{
    const struct cf_str *ct;

    if (req->user_id == 0) {
        cf_auth_challenge(req);
        req->err_msg = "log in: HTTP Basic or a Bearer token";
        cf_api_error_body(req, 401);
        return 401;
    }
    /* a browser session writes only with its CSRF token (double submit by header) */
    if (req->auth_via == CF_AUTH_SESSION && req->method != CF_M_GET &&
        req->method != CF_M_HEAD) {
        const struct cf_str *t = cf_req_header(req, CF_STR("X-CSRF-Token"));

        if (t == NULL || !cf_auth_csrf_ok(req, cf_str_trim(*t))) {
            req->err_msg = "missing or wrong X-CSRF-Token header";
            cf_api_error_body(req, 403);
            return 403;
        }
    }
    if ((req->has_length && req->content_length > 0) || req->chunked) {
        ct = cf_req_header(req, CF_STR("Content-Type"));
        if (ct == NULL || !cf_str_has_prefix_ci(cf_str_trim(*ct), CF_STR("application/json"))) {
            req->err_msg = "send the body as application/json";
            cf_api_error_body(req, 415);
            return 415;
        }
        if (req->has_length && req->content_length > ctx->conf->max_xml_body) {
            req->err_msg = "the request body is larger than allowed (max-xml-body)";
            cf_api_error_body(req, 413);
            return 413;
        }
        req->sink = CF_BODY_MEM;
        req->body_max = ctx->conf->max_xml_body;
    }
    return 0;
}

/* Splits the path after /api/v1/ into decoded segments. */
static bool
cf_api_split(struct cf_api_call *c)
{
    struct cf_str p = c->req->path_raw;
    size_t n = strlen(CF_API_PREFIX);

    if (p.len < n - 1)
        return false;
    p = p.len >= n ? cf_str_make(p.p + n, p.len - n) : cf_str_make(p.p, 0);
    while (p.len > 0 && p.p[p.len - 1] == '/')
        p.len--;
    c->nseg = 0;
    while (p.len > 0) {
        ssize_t slash = cf_str_find(p, '/');
        struct cf_str s = cf_str_make(p.p, slash < 0 ? p.len : (size_t)slash);
        char *raw, *dec;

        if (c->nseg == CF_API_MAX_SEGS || s.len == 0)
            return false;
        /* decoded like a form value, so "%40" and "+" mean what they say */
        raw = cf_pool_printf(c->req->pool, "v=%.*s", (int)s.len, s.p);
        dec = (char *)cf_web_form_get(c->req->pool, cf_str_from(raw), "v");
        if (dec == NULL || dec[0] == '\0' || strchr(dec, '/') != NULL)
            return false;
        c->seg[c->nseg++] = dec;
        if (slash < 0)
            break;
        p = cf_str_make(p.p + slash + 1, p.len - (size_t)slash - 1);
    }
    return true;
}

int
cf_api_finish(struct cf_api_ctx *ctx, struct cf_req *req)
{
    struct cf_api_call c;
    json_error_t jerr;
    int rc;

    memset(&c, 0, sizeof(c));
    c.req = req;
    c.ctx = ctx;
    if (req->body_errno != 0)
        return cf_api_error(&c, 413, "too_large", "the request body is larger than allowed");
    if (!cf_api_split(&c))
        return cf_api_error(&c, 404, "not_found", "there is no such API call");
    if (req->body.len > 0) {
        c.body = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
        if (c.body == NULL)
            return cf_api_error(&c, 400, "bad_json", "the body is not valid JSON (line %d: %s)",
                                jerr.line, jerr.text);
        if (!json_is_object(c.body)) {
            json_decref(c.body);
            return cf_api_error(&c, 400, "bad_json", "the body must be a JSON object");
        }
    }
    if (stor_user_get_by_id(ctx->db, req->user_id, req->pool, &c.me) < 0) {
        rc = cf_api_error(&c, 401, "unauthenticated", "the account no longer exists");
        goto out;
    }
    c.faculties = acl_role_faculties(ctx->db, c.me.role, NULL);
    c.x.conf = ctx->conf;
    c.x.db = ctx->db;
    c.x.repos = ctx->repos;
    c.x.epoch = ctx->epoch;
    c.x.engine = ctx->acl;
    c.x.actor_id = c.me.id;
    c.x.actor = c.me.login;
    c.x.peer = req->peer;
    if (c.nseg == 0)
        rc = cf_api_error(&c, 404, "not_found", "there is no such API call: see "
                          "docs/openapi.yaml");
    else if (strcmp(c.seg[0], "users") == 0)
        rc = cf_api_users(&c);
    else if (strcmp(c.seg[0], "roles") == 0)
        rc = cf_api_roles(&c);
    else if (strcmp(c.seg[0], "audit") == 0)
        rc = cf_api_audit(&c);
    else if (strcmp(c.seg[0], "me") == 0)
        rc = cf_api_me(&c);
    else if (strcmp(c.seg[0], "groups") == 0)
        rc = cf_api_groups(&c);
    else if (strcmp(c.seg[0], "principals") == 0)
        rc = cf_api_principals(&c);
    else if (strcmp(c.seg[0], "group-roles") == 0)
        rc = cf_api_group_roles(&c);
    else if (strcmp(c.seg[0], "element-roles") == 0)
        rc = cf_api_element_roles(&c);
    else if (strcmp(c.seg[0], "repositories") == 0)
        rc = cf_api_repositories(&c);
    else
        rc = cf_api_error(&c, 404, "not_found", "there is no such API call: see "
                          "docs/openapi.yaml");
out:
    json_decref(c.body);
    return rc;
}
