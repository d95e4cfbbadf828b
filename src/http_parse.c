/*
 * http_parse.c: request heads and header values, as pure functions on bytes.
 *
 * The head is framed by us (cf_http_head_end, with the size limits checked
 * as bytes arrive) and parsed by Debian's libhttp-parser, which knows every
 * WebDAV method. Before the parser sees it, the head is screened for what
 * RFC 7230 lets a server reject and what request smuggling relies on: NUL
 * and bare CR bytes, obs-fold (3.2.4), Content-Length together with
 * Transfer-Encoding (3.3.3), a repeated Content-Length (3.3.2 allows
 * rejecting it; libhttp-parser does, even when the values agree), several
 * Host headers (5.4). Each of those is a 400; we reject rather than repair.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <http_parser.h>

#include "coffer/http.h"
#include "coffer/banned.h"

ssize_t
cf_http_head_end(const char *p, size_t len, const struct cf_http_limits *lim)
{
    size_t line_max = lim->max_request_line + 2;    /* the line and its CRLF */
    const char *eol = memchr(p, '\n', len < line_max ? len : line_max);
    const char *end;

    /* RFC 7230 3.1.1: a request line longer than we read is a 414 */
    if (eol == NULL)
        return len >= line_max ? -414 : 0;
    if ((size_t)(eol - p) > lim->max_request_line + 1)
        return -414;
    end = memmem(p, len < lim->max_head ? len : lim->max_head, "\r\n\r\n", 4);
    if (end != NULL)
        return end - p + 4;
    return len >= lim->max_head ? -431 : 0;
}

struct cf_http_pstate {
    struct cf_req *req;
    const struct cf_http_limits *lim;
    int status;                 /* first problem found, 0 if none */
    bool in_value;
};

static enum cf_method
cf_http_method_from(unsigned m)
{
    switch (m) {
    case HTTP_GET: return CF_M_GET;
    case HTTP_HEAD: return CF_M_HEAD;
    case HTTP_PUT: return CF_M_PUT;
    case HTTP_POST: return CF_M_POST;
    case HTTP_DELETE: return CF_M_DELETE;
    case HTTP_OPTIONS: return CF_M_OPTIONS;
    case HTTP_PROPFIND: return CF_M_PROPFIND;
    case HTTP_PROPPATCH: return CF_M_PROPPATCH;
    case HTTP_MKCOL: return CF_M_MKCOL;
    case HTTP_COPY: return CF_M_COPY;
    case HTTP_MOVE: return CF_M_MOVE;
    case HTTP_LOCK: return CF_M_LOCK;
    case HTTP_UNLOCK: return CF_M_UNLOCK;
    case HTTP_PATCH: return CF_M_PATCH;
    case HTTP_TRACE: return CF_M_TRACE;
    default: return CF_M_OTHER;
    }
}

static const char *const cf_method_names[] = {
    [CF_M_OTHER] = "OTHER", [CF_M_GET] = "GET", [CF_M_HEAD] = "HEAD",
    [CF_M_PUT] = "PUT", [CF_M_POST] = "POST", [CF_M_DELETE] = "DELETE",
    [CF_M_OPTIONS] = "OPTIONS", [CF_M_PROPFIND] = "PROPFIND",
    [CF_M_PROPPATCH] = "PROPPATCH", [CF_M_MKCOL] = "MKCOL", [CF_M_COPY] = "COPY",
    [CF_M_MOVE] = "MOVE", [CF_M_LOCK] = "LOCK", [CF_M_UNLOCK] = "UNLOCK",
    [CF_M_PATCH] = "PATCH", [CF_M_TRACE] = "TRACE",
};

const char *
cf_method_name(enum cf_method m)
{
    return (unsigned)m < sizeof(cf_method_names) / sizeof(cf_method_names[0])
               ? cf_method_names[m] : "OTHER";
}

/* The parser is handed the whole head at once, so every element arrives in
 * one callback; adjacent pieces are still joined, to be safe. */
static int
cf_http_on_url(http_parser *hp, const char *at, size_t len)
{
    struct cf_http_pstate *st = hp->data;
    struct cf_req *req = st->req;

    if (req->target.p != NULL && req->target.p + req->target.len == at)
        req->target.len += len;
    else
        req->target = cf_str_make(at, len);
    return 0;
}

static int
cf_http_on_field(http_parser *hp, const char *at, size_t len)
{
    struct cf_http_pstate *st = hp->data;
    struct cf_req *req = st->req;
    struct cf_header *h;

    if (req->headers_done)
        return 0;       /* chunked trailers: ignored */
    h = req->nheaders ? &req->headers[req->nheaders - 1] : NULL;
    if (h != NULL && !st->in_value && h->name.p + h->name.len == at) {
        h->name.len += len;
        return 0;
    }
    if (req->nheaders >= st->lim->max_headers) {
        st->status = 431;
        return 1;
    }
    h = &req->headers[req->nheaders++];
    h->name = cf_str_make(at, len);
    h->value = cf_str_make(at + len, 0);
    st->in_value = false;
    return 0;
}

static int
cf_http_on_value(http_parser *hp, const char *at, size_t len)
{
    struct cf_http_pstate *st = hp->data;
    struct cf_req *req = st->req;
    struct cf_header *h;

    if (req->headers_done || req->nheaders == 0)
        return 0;
    h = &req->headers[req->nheaders - 1];
    if (st->in_value && h->value.p + h->value.len == at)
        h->value.len += len;
    else
        h->value = cf_str_make(at, len);
    st->in_value = true;
    return 0;
}

static int
cf_http_on_headers_complete(http_parser *hp)
{
    struct cf_http_pstate *st = hp->data;
    struct cf_req *req = st->req;

    req->headers_done = true;
    req->method = cf_http_method_from(hp->method);
    req->method_name = cf_str_from(http_method_str(hp->method));
    req->http_major = hp->http_major;
    req->http_minor = hp->http_minor;
    req->keep_alive = http_should_keep_alive(hp) != 0;
    req->chunked = (hp->flags & F_CHUNKED) != 0;
    req->has_length = (hp->flags & F_CONTENTLENGTH) != 0;
    req->content_length = req->has_length ? hp->content_length : 0;
    return 0;
}

static int
cf_http_on_body(http_parser *hp, const char *at, size_t len)
{
    struct cf_http_pstate *st = hp->data;
    struct cf_req *req = st->req;

    if (req->on_body != NULL)
        return req->on_body(req, at, len) < 0 ? 1 : 0;
    return 0;
}

static int
cf_http_on_message_complete(http_parser *hp)
{
    struct cf_http_pstate *st = hp->data;

    st->req->message_done = true;
    /* Stop here: a pipelined request waits until this one is answered. */
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings cf_http_settings = {
    .on_url = cf_http_on_url,
    .on_header_field = cf_http_on_field,
    .on_header_value = cf_http_on_value,
    .on_headers_complete = cf_http_on_headers_complete,
    .on_body = cf_http_on_body,
    .on_message_complete = cf_http_on_message_complete,
};

/* Screens the raw head for bytes RFC 7230 lets us refuse (see file comment). */
static int
cf_http_head_screen(const char *head, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = head[i];

        if (c == '\0')
            return 400;
        if (c == '\r' && (i + 1 >= len || head[i + 1] != '\n'))
            return 400;
        if (c == '\n' && i + 1 < len && (head[i + 1] == ' ' || head[i + 1] == '\t'))
            return 400;     /* obs-fold (RFC 7230 3.2.4) */
        if (c == '\n' && (i == 0 || head[i - 1] != '\r'))
            return 400;     /* bare LF */
    }
    return 0;
}

static int
cf_http_check_headers(struct cf_req *req)
{
    const struct cf_str *te = NULL, *cl = NULL, *host = NULL;

    for (size_t i = 0; i < req->nheaders; i++) {
        struct cf_header *h = &req->headers[i];

        h->value = cf_str_trim(h->value);
        if (h->name.len == 0)
            return 400;
        if (cf_str_eq_ci(h->name, CF_STR("Transfer-Encoding"))) {
            te = &h->value;
        } else if (cf_str_eq_ci(h->name, CF_STR("Content-Length"))) {
            /* RFC 7230 3.3.2: differing values are an error */
            if (cl != NULL && !cf_str_eq(*cl, h->value))
                return 400;
            cl = &h->value;
        } else if (cf_str_eq_ci(h->name, CF_STR("Host"))) {
            if (host != NULL)
                return 400;     /* RFC 7230 5.4 */
            host = &h->value;
        } else if (cf_str_eq_ci(h->name, CF_STR("Expect"))) {
            if (!cf_str_eq_ci(h->value, CF_STR("100-continue")))
                return 417;     /* RFC 7231 5.1.1 */
            req->expect_continue = req->http_minor >= 1;
        }
    }
    /* RFC 7230 3.3.3: both framings at once are how requests get smuggled */
    if (te != NULL && cl != NULL)
        return 400;
    /* RFC 7230 3.3.1: chunked is the only transfer coding we decode */
    if (te != NULL && !cf_str_eq_ci(*te, CF_STR("chunked")))
        return 501;
    if (req->http_minor >= 1 && host == NULL)
        return 400;     /* RFC 7230 5.4: HTTP/1.1 requires Host */
    if (host != NULL)
        req->host = *host;
    return 0;
}

int
cf_http_head_parse(struct cf_req *req, char *head, size_t len,
                   const struct cf_http_limits *lim, void *parser)
{
    http_parser *hp = parser;
    struct cf_http_pstate st = { .req = req, .lim = lim };
    const char *eol;
    size_t n;
    int rc;

    if ((rc = cf_http_head_screen(head, len)) != 0)
        return rc;
    eol = memchr(head, '\n', len);
    if (eol == NULL)
        return 400;
    if ((size_t)(eol - head) > lim->max_request_line + 1)     /* the line and its CR */
        return 414;
    /* one header per line at most: size the array from the head itself */
    size_t lines = 0;
    for (const char *q = head; (q = memchr(q, '\n', len - (size_t)(q - head))) != NULL; q++)
        lines++;
    if (lines > lim->max_headers + 2)
        return 431;
    req->headers = cf_pool_alloc(req->pool, (lines + 1) * sizeof(*req->headers));
    req->nheaders = 0;
    http_parser_init(hp, HTTP_REQUEST);
    hp->data = &st;
    n = http_parser_execute(hp, &cf_http_settings, head, len);
    hp->data = NULL;
    if (st.status != 0)
        return st.status;
    if (HTTP_PARSER_ERRNO(hp) != HPE_OK && HTTP_PARSER_ERRNO(hp) != HPE_PAUSED) {
        switch (HTTP_PARSER_ERRNO(hp)) {
        case HPE_INVALID_METHOD:
            return 501;
        case HPE_INVALID_VERSION:
            return 505;
        case HPE_INVALID_TRANSFER_ENCODING:
            return 501;
        default:
            return 400;
        }
    }
    if (n != len && HTTP_PARSER_ERRNO(hp) != HPE_PAUSED)
        return 400;
    if (!req->headers_done || req->target.len == 0)
        return 400;
    if (req->http_major != 1)
        return 505;
    if ((rc = cf_http_check_headers(req)) != 0)
        return rc;
    /* Split the target into path and query; "*" and absolute forms too. */
    struct cf_str t = req->target;
    if (t.len > 7 && (cf_str_has_prefix_ci(t, CF_STR("http://")) ||
                      cf_str_has_prefix_ci(t, CF_STR("https://")))) {
        /* RFC 7230 5.3.2 absolute-form: the path starts at the third '/' */
        size_t skip = t.p[4] == ':' ? 7 : 8;
        ssize_t slash = cf_str_find(cf_str_make(t.p + skip, t.len - skip), '/');
        if (slash < 0)
            t = CF_STR("/");
        else
            t = cf_str_make(t.p + skip + slash, t.len - skip - (size_t)slash);
    }
    ssize_t q = cf_str_find(t, '?');
    if (q >= 0) {
        req->path_raw = cf_str_make(t.p, (size_t)q);
        req->query = cf_str_make(t.p + q + 1, t.len - (size_t)q - 1);
    } else {
        req->path_raw = t;
        req->query = cf_str_make(t.p + t.len, 0);
    }
    /* RFC 7230 5.3: a request-target has no fragment; acting on the part
     * before '#' could DELETE what the client did not name */
    if (cf_str_find(req->target, '#') >= 0)
        return 400;
    return 0;
}

/* The body half of the parser, used by conn.c for chunked bodies. */
size_t cf_http_body_execute(void *parser, struct cf_req *req, const char *p,
                            size_t len, int *err);

size_t
cf_http_body_execute(void *parser, struct cf_req *req, const char *p,
                     size_t len, int *err)
{
    http_parser *hp = parser;
    struct cf_http_limits lim = { 0, 0, 0 };
    struct cf_http_pstate st = { .req = req, .lim = &lim };
    size_t n;

    hp->data = &st;
    n = http_parser_execute(hp, &cf_http_settings, p, len);
    hp->data = NULL;
    *err = 0;
    if (HTTP_PARSER_ERRNO(hp) == HPE_PAUSED)
        http_parser_pause(hp, 0);
    else if (HTTP_PARSER_ERRNO(hp) == HPE_CB_body)
        *err = -EIO;
    else if (HTTP_PARSER_ERRNO(hp) != HPE_OK)
        *err = -EINVAL;
    return n;
}

size_t cf_http_parser_size(void);

size_t
cf_http_parser_size(void)
{
    return sizeof(http_parser);
}

const struct cf_str *
cf_req_header(const struct cf_req *req, struct cf_str name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (cf_str_eq_ci(req->headers[i].name, name))
            return &req->headers[i].value;
    return NULL;
}

size_t
cf_req_header_count(const struct cf_req *req, struct cf_str name)
{
    size_t n = 0;

    for (size_t i = 0; i < req->nheaders; i++)
        if (cf_str_eq_ci(req->headers[i].name, name))
            n++;
    return n;
}

bool
cf_req_cookie(const struct cf_req *req, struct cf_str name, struct cf_str *out)
{
    /* RFC 6265 5.4: cookie-string = cookie-pair *( ";" SP cookie-pair ) */
    for (size_t i = 0; i < req->nheaders; i++) {
        struct cf_str v;

        if (!cf_str_eq_ci(req->headers[i].name, CF_STR("Cookie")))
            continue;
        v = req->headers[i].value;
        while (v.len > 0) {
            ssize_t semi = cf_str_find(v, ';');
            struct cf_str part = cf_str_trim(cf_str_make(v.p, semi < 0 ? v.len : (size_t)semi));

            if (part.len > name.len && part.p[name.len] == '=' &&
                memcmp(part.p, name.p, name.len) == 0) {
                *out = cf_str_make(part.p + name.len + 1, part.len - name.len - 1);
                return true;
            }
            if (semi < 0)
                break;
            v = cf_str_make(v.p + semi + 1, v.len - (size_t)semi - 1);
        }
    }
    return false;
}

const char *
cf_http_reason(int status)
{
    switch (status) {
#define XX(num, name, string) case num: return #string;
    HTTP_STATUS_MAP(XX)
#undef XX
    default: return "";
    }
}

/* ---- dates (RFC 7231 7.1.1.1) ---- */

static const char cf_wkday[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char cf_month[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Broken-down UTC time, years clamped to 0000-9999 (what four digits hold). */
struct cf_civil {
    int year, mon, mday, wday, hour, min, sec;
};

/*
 * gmtime_r without the time zone lock and the struct tm: days since the
 * epoch to a proleptic Gregorian date by eras of 400 years (Howard
 * Hinnant's civil_from_days). A listing formats two dates per entry.
 */
static void
cf_civil_from_time(time_t t, struct cf_civil *c)
{
    const int64_t lo = -62167219200LL, hi = 253402300799LL;    /* 0000-01-01, 9999-12-31 */
    int64_t s = t < lo ? lo : t > hi ? hi : (int64_t)t;
    int64_t days = (s >= 0 ? s : s - 86399) / 86400;
    int64_t rem = s - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    c->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->mon = (int)(mp < 10 ? mp + 2 : mp - 10);         /* 0 = January */
    c->year = (int)(yoe + era * 400 + (c->mon <= 1));
    c->wday = (int)((days % 7 + 11) % 7);              /* 1970-01-01 was a Thursday */
    c->hour = (int)(rem / 3600);
    c->min = (int)(rem / 60 % 60);
    c->sec = (int)(rem % 60);
}

static char *
cf_put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

static char *
cf_put4(char *p, int v)
{
    p = cf_put2(p, v / 100);
    return cf_put2(p, v % 100);
}

void
cf_http_date(time_t t, char out[30])
{
    struct cf_civil c;
    char *p = out;

    cf_civil_from_time(t, &c);
    memcpy(p, cf_wkday[c.wday], 3);
    p[3] = ',';
    p[4] = ' ';
    p = cf_put2(p + 5, c.mday);
    *p++ = ' ';
    memcpy(p, cf_month[c.mon], 3);
    p[3] = ' ';
    p = cf_put4(p + 4, c.year);
    *p++ = ' ';
    p = cf_put2(p, c.hour);
    *p++ = ':';
    p = cf_put2(p, c.min);
    *p++ = ':';
    p = cf_put2(p, c.sec);
    memcpy(p, " GMT", 5);
}

void
cf_iso8601_date(time_t t, char out[21])
{
    struct cf_civil c;
    char *p = out;

    cf_civil_from_time(t, &c);
    p = cf_put4(p, c.year);
    *p++ = '-';
    p = cf_put2(p, c.mon + 1);
    *p++ = '-';
    p = cf_put2(p, c.mday);
    *p++ = 'T';
    p = cf_put2(p, c.hour);
    *p++ = ':';
    p = cf_put2(p, c.min);
    *p++ = ':';
    p = cf_put2(p, c.sec);
    memcpy(p, "Z", 2);
}

/* Reads n digits at *p; advances p. */
static int
cf_date_num(struct cf_str *s, size_t n, uint64_t max, int *out)
{
    uint64_t v;

    if (s->len < n || cf_parse_u64(s->p, n, max, &v) < 0)
        return -1;
    s->p += n;
    s->len -= n;
    *out = (int)v;
    return 0;
}

static int
cf_date_lit(struct cf_str *s, const char *lit)
{
    size_t n = strlen(lit);

    if (s->len < n || memcmp(s->p, lit, n) != 0)
        return -1;
    s->p += n;
    s->len -= n;
    return 0;
}

static int
cf_date_month(struct cf_str *s, int *mon)
{
    for (int i = 0; i < 12; i++)
        if (s->len >= 3 && memcmp(s->p, cf_month[i], 3) == 0) {
            s->p += 3;
            s->len -= 3;
            *mon = i;
            return 0;
        }
    return -1;
}

static int
cf_date_time(struct cf_str *s, struct tm *tm)
{
    if (cf_date_num(s, 2, 23, &tm->tm_hour) || cf_date_lit(s, ":") ||
        cf_date_num(s, 2, 59, &tm->tm_min) || cf_date_lit(s, ":") ||
        cf_date_num(s, 2, 60, &tm->tm_sec))
        return -1;
    return 0;
}

int
cf_http_date_parse(struct cf_str s, time_t *out)
{
    struct tm tm;
    ssize_t comma;
    int year;

    memset(&tm, 0, sizeof(tm));
    s = cf_str_trim(s);
    comma = cf_str_find(s, ',');
    if (comma == 3) {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        if (s.len < 5)
            return -EINVAL;
        s.p += 5;
        s.len -= 5;
        if (cf_date_num(&s, 2, 31, &tm.tm_mday) || cf_date_lit(&s, " ") ||
            cf_date_month(&s, &tm.tm_mon) || cf_date_lit(&s, " ") ||
            cf_date_num(&s, 4, 9999, &year) || cf_date_lit(&s, " ") ||
            cf_date_time(&s, &tm) || cf_date_lit(&s, " GMT") || s.len != 0)
            return -EINVAL;
    } else if (comma > 3) {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        if (s.len < (size_t)comma + 2)
            return -EINVAL;
        s.p += comma + 2;
        s.len -= (size_t)comma + 2;
        if (cf_date_num(&s, 2, 31, &tm.tm_mday) || cf_date_lit(&s, "-") ||
            cf_date_month(&s, &tm.tm_mon) || cf_date_lit(&s, "-") ||
            cf_date_num(&s, 2, 99, &year) || cf_date_lit(&s, " ") ||
            cf_date_time(&s, &tm) || cf_date_lit(&s, " GMT") || s.len != 0)
            return -EINVAL;
        {
            /* RFC 7231 7.1.1.1: a two-digit year more than 50 years ahead is
             * the most recent past year with those digits */
            time_t now = time(NULL);
            struct tm cur;

            gmtime_r(&now, &cur);
            int this_year = cur.tm_year + 1900;
            year += this_year - this_year % 100;
            if (year > this_year + 50)
                year -= 100;
        }
    } else {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        if (s.len < 4)
            return -EINVAL;
        s.p += 4;
        s.len -= 4;
        if (cf_date_month(&s, &tm.tm_mon) || cf_date_lit(&s, " "))
            return -EINVAL;
        if (s.len > 0 && s.p[0] == ' ') {
            s.p++;
            s.len--;
            if (cf_date_num(&s, 1, 9, &tm.tm_mday))
                return -EINVAL;
        } else if (cf_date_num(&s, 2, 31, &tm.tm_mday)) {
            return -EINVAL;
        }
        if (cf_date_lit(&s, " ") || cf_date_time(&s, &tm) || cf_date_lit(&s, " ") ||
            cf_date_num(&s, 4, 9999, &year) || s.len != 0)
            return -EINVAL;
    }
    if (tm.tm_mday < 1)
        return -EINVAL;
    tm.tm_year = year - 1900;
    int mday = tm.tm_mday;
    *out = timegm(&tm);
    if (tm.tm_mday != mday)
        return -EINVAL;     /* 31 Feb: timegm rolled it into March */
    return 0;
}

/* ---- ranges (RFC 7233) ---- */

static int
cf_range_cmp(const void *a, const void *b)
{
    const struct cf_range *x = a, *y = b;

    return x->first < y->first ? -1 : x->first > y->first;
}

int
cf_http_range_parse(struct cf_str value, uint64_t size, struct cf_range *out, int max)
{
    struct cf_range tmp[CF_MAX_RANGES];
    int n = 0, any_valid = 0, any_spec = 0;

    value = cf_str_trim(value);
    if (!cf_str_has_prefix_ci(value, CF_STR("bytes=")))
        return 0;
    value.p += 6;
    value.len -= 6;
    if (max > CF_MAX_RANGES)
        max = CF_MAX_RANGES;
    while (value.len > 0) {
        ssize_t comma = cf_str_find(value, ',');
        struct cf_str spec = cf_str_trim(cf_str_make(value.p,
                                                     comma < 0 ? value.len : (size_t)comma));
        ssize_t dash = cf_str_find(spec, '-');
        uint64_t a = 0, b = 0;
        bool has_a, has_b;

        value = comma < 0 ? cf_str_make(value.p + value.len, 0)
                          : cf_str_make(value.p + comma + 1, value.len - (size_t)comma - 1);
        if (spec.len == 0)
            continue;   /* RFC 7230 7: empty list elements are allowed */
        any_spec = 1;
        if (dash < 0)
            return 0;
        has_a = dash > 0;
        has_b = (size_t)dash + 1 < spec.len;
        if (has_a && cf_parse_u64(spec.p, (size_t)dash, UINT64_MAX, &a) < 0)
            return 0;
        if (has_b && cf_parse_u64(spec.p + dash + 1, spec.len - (size_t)dash - 1,
                                  UINT64_MAX, &b) < 0)
            return 0;
        if (!has_a && !has_b)
            return 0;
        if (has_a && has_b && b < a)
            return 0;   /* syntactically invalid: ignore the header */
        struct cf_range r;
        if (!has_a) {
            /* suffix-byte-range-spec: the last b bytes */
            if (b == 0 || size == 0)
                continue;
            r.first = b >= size ? 0 : size - b;
            r.last = size - 1;
        } else {
            if (a >= size)
                continue;   /* unsatisfiable on its own */
            r.first = a;
            r.last = has_b && b < size ? b : size - 1;
        }
        any_valid = 1;
        if (n >= max)
            return 0;   /* too many ranges: serve the whole representation */
        tmp[n++] = r;
    }
    if (!any_spec)
        return 0;   /* "bytes=" names no range: malformed, ignored */
    if (!any_valid)
        return -1;
    /* merge overlapping or adjacent ranges (RFC 7233 4.1 allows it) */
    qsort(tmp, (size_t)n, sizeof(tmp[0]), cf_range_cmp);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m > 0 && tmp[i].first <= out[m - 1].last + 1) {
            if (tmp[i].last > out[m - 1].last)
                out[m - 1].last = tmp[i].last;
        } else {
            out[m++] = tmp[i];
        }
    }
    return m;
}

/* ---- entity tags (RFC 7232 2.3) ---- */

bool
cf_http_etag_match(struct cf_str list, struct cf_str etag, bool exists, bool weak)
{
    bool etag_weak = cf_str_has_prefix(etag, CF_STR("W/"));
    struct cf_str opaque = etag_weak ? cf_str_make(etag.p + 2, etag.len - 2) : etag;

    list = cf_str_trim(list);
    if (cf_str_eq(list, CF_STR("*")))
        return exists;
    if (!exists)
        return false;
    while (list.len > 0) {
        ssize_t comma;
        struct cf_str tag;
        bool tag_weak;

        /* entity tags are quoted strings without escapes; find the end quote */
        list = cf_str_trim(list);
        if (list.len > 0 && list.p[0] == ',') {
            list.p++;
            list.len--;
            continue;
        }
        tag_weak = cf_str_has_prefix(list, CF_STR("W/"));
        size_t start = tag_weak ? 2 : 0;
        if (list.len <= start || list.p[start] != '"')
            return false;
        ssize_t endq = cf_str_find(cf_str_make(list.p + start + 1, list.len - start - 1), '"');
        if (endq < 0)
            return false;
        tag = cf_str_make(list.p + start, (size_t)endq + 2);
        if (cf_str_eq(tag, opaque) && (weak || (!tag_weak && !etag_weak)))
            return true;
        list = cf_str_make(tag.p + tag.len, list.len - start - tag.len);
        comma = cf_str_find(list, ',');
        if (comma < 0)
            break;
        list = cf_str_make(list.p + comma + 1, list.len - (size_t)comma - 1);
    }
    return false;
}
