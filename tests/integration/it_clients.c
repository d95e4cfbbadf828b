/*
 * it_clients.c: what real WebDAV clients need from the server, one test per
 * requirement of /work/shared/CLIENTS.md, each named after the symptom a
 * client shows when the server gets it wrong. The comment above each test
 * cites the CLIENTS.md item it checks.
 *
 * All tests share one server (group fixture) and work in folders of their
 * own. Tests that need another configuration get a server of their own
 * (per-test fixture). If a test leaves the server dead, its teardown prints
 * the server's log and starts it again on the same data directory, so one
 * crash fails one test, not all that follow.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- helpers ---- */

#define LOCKINFO                                                                   \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"                                 \
    "<D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/></D:lockscope>"       \
    "<D:locktype><D:write/></D:locktype><D:owner>it_clients</D:owner></D:lockinfo>"

/* Explorer's and Office's PROPPATCH after an upload (sabre.io msoffice.md) */
#define WIN32_PROPPATCH                                                            \
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"                                \
    "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:Z=\"urn:schemas-microsoft-com:\">"   \
    "<D:set><D:prop>"                                                              \
    "<Z:Win32CreationTime>Mon, 12 Dec 2011 17:37:08 GMT</Z:Win32CreationTime>"     \
    "<Z:Win32LastAccessTime>Mon, 12 Dec 2011 17:37:08 GMT</Z:Win32LastAccessTime>" \
    "<Z:Win32LastModifiedTime>Mon, 02 Jan 2006 15:04:05 GMT</Z:Win32LastModifiedTime>" \
    "<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>"                      \
    "</D:prop></D:set></D:propertyupdate>"

#define DEAD_PROPPATCH                                                             \
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"                                \
    "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"http://example.com/t\">"         \
    "<D:set><D:prop><T:color>blue</T:color></D:prop></D:set></D:propertyupdate>"

/* 2006-01-02T15:04:05Z */
#define T_MTIME 1136214245

static void nap_ms(long ms);


/*
 * Per-test teardown: if the test left the server dead or dying (a request
 * it cannot answer), show its log and start it again on the same data
 * directory, so one crash fails one test only.
 */
static int
revive(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    int st, ok;

    ok = t_http(s, &r, "OPTIONS / HTTP/1.1\nHost: x\n\n") == 0;
    if (ok) {
        ok = r.status == 200;
        t_resp_release(&r);
    }
    if (ok && waitpid(s->pid, &st, WNOHANG) == 0)
        return 0;
    /* give a dying server the time to write its report and exit */
    for (int i = 0; i < 500 && s->pid > 0; i++) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid)
            s->pid = 0;     /* reaped: t_server_restart must not signal it */
        else
            nap_ms(10);
    }
    fprintf(stderr, "# cofferd died during this test; its log:\n");
    t_print_log(s);
    return t_server_restart(s, NULL);
}

/*
 * Per-test fixtures for tests that need a configuration of their own: the
 * test's state becomes a server of its own, stopped by own_stop even when
 * the test fails.
 */
static int
own_start(void **state, const char *conf)
{
    struct t_server *own = calloc(1, sizeof(*own));

    if (own == NULL)
        return -1;
    if (t_server_start(own, conf) < 0) {
        t_print_log(own);
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

    t_server_stop(own);
    free(own);
    return 0;
}

/* The group server. */
static struct t_server *
srv(void **state)
{
    return *state;
}

/* Sends one request whose body may hold any bytes: head uses "\n" like t_http. */
static int
req_body(struct t_server *s, struct t_resp *r, const char *head, const void *body, size_t len)
{
    size_t hl = strlen(head), k = 0;
    char *wire = malloc(hl * 2 + len + 1);
    int rc;

    assert_non_null(wire);
    for (size_t i = 0; i < hl; i++) {
        if (head[i] == '\n')
            wire[k++] = '\r';
        wire[k++] = head[i];
    }
    memcpy(wire + k, body, len);
    rc = t_http_raw(s, r, wire, k + len);
    free(wire);
    return rc;
}

/* PUT of len bytes; extra is more header lines (each ending in "\n") or "". */
static int
put(struct t_server *s, const char *path, const void *body, size_t len, const char *extra)
{
    char head[2048];
    struct t_resp r;
    int status;

    snprintf(head, sizeof(head), "PUT %s HTTP/1.1\nHost: x\n" T_AUTH "%sContent-Length: %zu\n\n",
             path, extra, len);
    assert_int_equal(req_body(s, &r, head, body, len), 0);
    status = r.status;
    t_resp_release(&r);
    return status;
}

static int
put_str(struct t_server *s, const char *path, const char *body)
{
    return put(s, path, body, strlen(body), "");
}

static int
mkcol(struct t_server *s, const char *path)
{
    struct t_resp r;
    int status;

    assert_int_equal(t_http(s, &r, "MKCOL %s HTTP/1.1\nHost: x\n" T_AUTH "\n", path), 0);
    status = r.status;
    t_resp_release(&r);
    return status;
}

/* Plain request without a body (t_http with Host and T_AUTH); returns the status. */
static int
simple(struct t_server *s, const char *method, const char *path, const char *extra)
{
    struct t_resp r;
    int status;

    assert_int_equal(t_http(s, &r, "%s %s HTTP/1.1\nHost: x\n" T_AUTH "%s\n", method, path,
                            extra), 0);
    status = r.status;
    t_resp_release(&r);
    return status;
}

/* PROPFIND with a body (NULL: allprop, no body). */
static void
propfind(struct t_server *s, struct t_resp *r, const char *path, const char *depth,
         const char *body)
{
    char dh[64] = "";

    if (depth != NULL)
        snprintf(dh, sizeof(dh), "Depth: %s\n", depth);
    if (body == NULL)
        body = "";
    assert_int_equal(t_http(s, r, "PROPFIND %s HTTP/1.1\nHost: x\n" T_AUTH "%s"
                                  "Content-Type: application/xml\nContent-Length: %zu\n\n%s",
                            path, dh, strlen(body), body), 0);
}

static int
xcount(const struct t_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
xcount(const struct t_resp *r, const char *fmt, ...)
{
    char expr[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(expr, sizeof(expr), fmt, ap);
    va_end(ap);
    return t_xpath_count(r, expr);
}

static char *
xstr(const struct t_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *
xstr(const struct t_resp *r, const char *fmt, ...)
{
    char expr[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(expr, sizeof(expr), fmt, ap);
    va_end(ap);
    return t_xpath_string(r, expr);
}

/* LOCK; returns the status and the token without <> in tok (or ""). */
static int
lock(struct t_server *s, const char *path, const char *extra, char *tok, size_t cap)
{
    struct t_resp r;
    const char *h;
    int status;

    assert_int_equal(t_http(s, &r, "LOCK %s HTTP/1.1\nHost: x\n" T_AUTH "%s"
                                   "Content-Type: application/xml\nContent-Length: %zu\n\n%s",
                            path, extra, strlen(LOCKINFO), LOCKINFO), 0);
    status = r.status;
    tok[0] = '\0';
    if ((h = t_header(&r, "Lock-Token")) != NULL) {
        size_t n = strlen(h);

        if (n >= 2 && h[0] == '<' && h[n - 1] == '>' && n - 2 < cap) {
            memcpy(tok, h + 1, n - 2);
            tok[n - 2] = '\0';
        }
    }
    t_resp_release(&r);
    return status;
}

static int
unlock(struct t_server *s, const char *path, const char *tok)
{
    char h[300];

    snprintf(h, sizeof(h), "Lock-Token: <%s>\n", tok);
    return simple(s, "UNLOCK", path, h);
}

static bool
file_is(struct t_server *s, const char *rel, const void *want, size_t len)
{
    size_t n;
    char *p = t_file_read(s, rel, &n);
    bool ok = p != NULL && n == len && memcmp(p, want, len) == 0;

    free(p);
    return ok;
}

static struct stat
stat_of(struct t_server *s, const char *rel)
{
    struct stat st;

    memset(&st, 0, sizeof(st));
    assert_int_equal(stat(t_path(s, rel), &st), 0);
    return st;
}

static void
nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A deterministic pattern: no two 64 KiB blocks alike. */
static unsigned char *
pattern(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);

    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 7) ^ (i >> 8) ^ (i >> 16));
    return p;
}

/* Percent-decodes s into out (same size or more). */
static void
pct_decode(const char *s, char *out)
{
    size_t k = 0;

    for (size_t i = 0; s[i]; i++) {
        unsigned v;

        if (s[i] == '%' && s[i + 1] && s[i + 2] && sscanf(s + i + 1, "%2x", &v) == 1) {
            out[k++] = (char)v;
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
}

/* True if every byte of an href is allowed unescaped in a URI path. */
static bool
href_is_encoded(const char *h)
{
    for (const unsigned char *p = (const unsigned char *)h; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("<>\"{}|\\^`", *p) != NULL)
            return false;
    return true;
}

/*
 * RFC 4918 14.16 and 14.24: every response has one href and either a
 * status or propstats, every propstat one prop and one status.
 */
static void
assert_multistatus_well_formed(const struct t_resp *r)
{
    assert_int_equal(r->status, 207);
    assert_true(xcount(r, "/D:multistatus/D:response") > 0);
    assert_int_equal(xcount(r, "/D:multistatus/D:response[count(D:href) != 1]"), 0);
    assert_int_equal(xcount(r, "/D:multistatus/D:response[not(D:propstat) and not(D:status)]"),
                     0);
    assert_int_equal(xcount(r, "//D:propstat[count(D:prop) != 1 or count(D:status) != 1]"), 0);
    assert_int_equal(xcount(r, "//D:status[not(starts-with(normalize-space(.), 'HTTP/1.1 '))]"),
                     0);
    assert_int_equal(xcount(r, "//D:response/D:href[normalize-space(.) = '']"), 0);
}

/* ---- CLIENTS.md 2: collections without the trailing slash ---- */

/* CLIENTS.md 2 "A collection must answer at its URL without the trailing
 * slash, with no 301": gvfs and Explorer omit the slash and fail on a 301;
 * hrefs of collections in the 207 still end in '/'. */
static void
it_slashless_collection_propfind_is_207_not_301(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(mkcol(s, "/dav/admin/ns"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/ns/sub"), 201);
    assert_int_equal(put_str(s, "/dav/admin/ns/file.txt", "x"), 201);

    propfind(s, &r, "/dav/admin/ns", "1", NULL);
    assert_int_equal(r.status, 207);
    assert_null(t_header(&r, "Location"));
    assert_int_equal(xcount(&r, "/D:multistatus/D:response"), 3);
    /* the collection itself, its sub-collection: '/'; the file: none */
    assert_int_equal(xcount(&r, "//D:response/D:href[. = '/dav/admin/ns/']"), 1);
    assert_int_equal(xcount(&r, "//D:response/D:href[. = '/dav/admin/ns/sub/']"), 1);
    assert_int_equal(xcount(&r, "//D:response/D:href[. = '/dav/admin/ns/file.txt']"), 1);
    assert_int_equal(xcount(&r, "//D:response[D:propstat/D:prop/D:resourcetype/D:collection]"
                                "/D:href[substring(., string-length(.)) != '/']"), 0);
    t_resp_release(&r);

    /* the repository root and /dav without their slash, too */
    propfind(s, &r, "/dav/admin", "0", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:response/D:href[. = '/dav/admin/']"), 1);
    t_resp_release(&r);
    propfind(s, &r, "/dav", "0", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:response/D:href[. = '/dav/']"), 1);
    t_resp_release(&r);
}

/* CLIENTS.md 2: OPTIONS on a slashless collection, with and without
 * credentials, is 200 with the DAV headers (no 301). */
static void
it_slashless_collection_options_is_200_not_301(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(mkcol(s, "/dav/admin/nso"), 201);
    assert_int_equal(t_http(s, &r, "OPTIONS /dav/admin/nso HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "DAV"), "1, 2");
    assert_null(t_header(&r, "Location"));
    t_resp_release(&r);
    assert_int_equal(t_http(s, &r, "OPTIONS /dav/admin/nso HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "DAV"), "1, 2");
    t_resp_release(&r);
}

/* CLIENTS.md 2: GET and HEAD on a slashless collection: 200, no redirect. */
static void
it_slashless_collection_get_head_are_200_not_301(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(mkcol(s, "/dav/admin/nsg"), 201);
    assert_int_equal(put_str(s, "/dav/admin/nsg/in.txt", "in"), 201);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/nsg HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_null(t_header(&r, "Location"));
    assert_non_null(strstr(r.body, "in.txt"));
    t_resp_release(&r);
    assert_int_equal(t_http(s, &r, "HEAD /dav/admin/nsg HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_null(t_header(&r, "Location"));
    t_resp_release(&r);
}

/* CLIENTS.md 2 (Explorer omits the slash on every request): LOCK, UNLOCK,
 * PROPPATCH, MOVE and DELETE on slashless collection URLs work. */
static void
it_slashless_collection_lock_move_delete_work(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200], ifh[300];

    assert_int_equal(mkcol(s, "/dav/admin/nsl"), 201);
    assert_int_equal(lock(s, "/dav/admin/nsl", "", tok, sizeof(tok)), 200);
    assert_true(strncmp(tok, "opaquelocktoken:", 16) == 0);
    assert_int_equal(unlock(s, "/dav/admin/nsl", tok), 204);

    snprintf(ifh, sizeof(ifh), "Content-Length: %zu\n", strlen(DEAD_PROPPATCH));
    assert_int_equal(t_http(s, &r, "PROPPATCH /dav/admin/nsl HTTP/1.1\nHost: x\n" T_AUTH
                                   "Content-Type: application/xml\n%s\n%s", ifh,
                            DEAD_PROPPATCH), 0);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:propstat[contains(D:status, ' 200 ')]/D:prop/T:color"), 1);
    t_resp_release(&r);

    assert_int_equal(simple(s, "MOVE", "/dav/admin/nsl",
                            "Destination: /dav/admin/nsl2\n"), 201);
    assert_true(t_file_exists(s, "nsl2"));
    assert_false(t_file_exists(s, "nsl"));
    assert_int_equal(simple(s, "DELETE", "/dav/admin/nsl2", ""), 204);
    assert_false(t_file_exists(s, "nsl2"));
}

/* ---- Windows Explorer and Office: OPTIONS and authentication ---- */

/* CLIENTS.md "Windows Explorer": unauthenticated OPTIONS must not get a 401;
 * 200 with "DAV: 1, 2" and "MS-Author-Via: DAV" on the root, the mount point
 * and the repository (Office probes the root). LOCK must be in Allow or
 * Explorer mounts read-only. */
static void
it_unauthenticated_options_is_200_with_dav_headers(void **state)
{
    struct t_server *s = srv(state);
    static const char *const paths[] = { "/", "/dav/", "/dav/admin/", "/dav", "/dav/admin" };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct t_resp r;
        const char *allow;

        assert_int_equal(t_http(s, &r, "OPTIONS %s HTTP/1.1\nHost: x\n"
                                       "User-Agent: Microsoft-WebDAV-MiniRedir/10.0.19045\n\n",
                                paths[i]), 0);
        print_message("OPTIONS %s -> %d\n", paths[i], r.status);
        assert_int_equal(r.status, 200);
        assert_string_equal(t_header(&r, "DAV"), "1, 2");
        assert_string_equal(t_header(&r, "MS-Author-Via"), "DAV");
        assert_null(t_header(&r, "WWW-Authenticate"));
        allow = t_header(&r, "Allow");
        assert_non_null(allow);
        assert_non_null(strstr(allow, "LOCK"));
        assert_non_null(strstr(allow, "UNLOCK"));
        assert_non_null(strstr(allow, "PROPFIND"));
        t_resp_release(&r);
    }
}

/* CLIENTS.md "General HTTP hygiene" and "Windows Explorer": without
 * credentials PROPFIND, GET and PUT get a 401 with a Basic challenge, never
 * a 403 (clients send credentials only when challenged). */
static void
it_unauthenticated_requests_get_401_basic_challenge(void **state)
{
    struct t_server *s = srv(state);
    static const char *const reqs[] = {
        "PROPFIND /dav/admin/ HTTP/1.1\nHost: x\nDepth: 1\nContent-Length: 0\n\n",
        "PROPFIND / HTTP/1.1\nHost: x\nDepth: 0\nContent-Length: 0\n\n",
        "GET /dav/admin/ HTTP/1.1\nHost: x\n\n",
        "GET /dav/admin/nothing-here.txt HTTP/1.1\nHost: x\n\n",
        "GET /dav/no-such-repo/ HTTP/1.1\nHost: x\n\n",
        "PUT /dav/admin/anon.txt HTTP/1.1\nHost: x\nContent-Length: 4\n\nanon",
        "LOCK /dav/admin/anon2.txt HTTP/1.1\nHost: x\nContent-Length: 0\n\n",
    };

    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        struct t_resp r;
        const char *ch;

        assert_int_equal(t_http(s, &r, "%s", reqs[i]), 0);
        print_message("%.*s -> %d\n", (int)strcspn(reqs[i], "\n"), reqs[i], r.status);
        assert_int_equal(r.status, 401);
        ch = t_header(&r, "WWW-Authenticate");
        assert_non_null(ch);
        assert_true(strncmp(ch, "Basic realm=\"", 13) == 0);
        t_resp_release(&r);
    }
    assert_false(t_file_exists(s, "anon.txt"));
    assert_false(t_file_exists(s, "anon2.txt"));
}

/* CLIENTS.md "General HTTP hygiene": a wrong password or an unknown user is
 * a 401 with a challenge (the client asks again), not a 403. */
static void
it_wrong_password_is_401_not_403(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    /* admin:wrong-password */
    assert_int_equal(t_http(s, &r, "PROPFIND /dav/admin/ HTTP/1.1\nHost: x\nDepth: 0\n"
                                   "Authorization: Basic YWRtaW46d3JvbmctcGFzc3dvcmQ=\n"
                                   "Content-Length: 0\n\n"), 0);
    assert_int_equal(r.status, 401);
    assert_non_null(t_header(&r, "WWW-Authenticate"));
    assert_true(strncmp(t_header(&r, "WWW-Authenticate"), "Basic realm=\"", 13) == 0);
    t_resp_release(&r);
    /* nobody:Coffer-test-pw1 */
    assert_int_equal(t_http(s, &r, "GET /dav/admin/ HTTP/1.1\nHost: x\n"
                                   "Authorization: Basic bm9ib2R5OkNvZmZlci10ZXN0LXB3MQ==\n\n"),
                     0);
    assert_int_equal(r.status, 401);
    assert_non_null(t_header(&r, "WWW-Authenticate"));
    t_resp_release(&r);
}

/* CLIENTS.md "Windows Explorer", other quirks: Explorer may send
 * "DOMAIN\admin" as the Basic user name; it must be accepted. */
static void
it_domain_backslash_user_is_accepted(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    /* base64("WORKGROUP\admin:Coffer-test-pw1") */
    assert_int_equal(t_http(s, &r, "PROPFIND /dav/admin/ HTTP/1.1\nHost: x\nDepth: 0\n"
                                   "Authorization: Basic V09SS0dST1VQXGFkbWluOkNvZmZlci10ZXN0LXB3MQ==\n"
                                   "Content-Length: 0\n\n"), 0);
    assert_int_equal(r.status, 207);
    t_resp_release(&r);
    assert_int_equal(t_http(s, &r, "PUT /dav/admin/domain.txt HTTP/1.1\nHost: x\n"
                                   "Authorization: Basic V09SS0dST1VQXGFkbWluOkNvZmZlci10ZXN0LXB3MQ==\n"
                                   "Content-Length: 2\n\nok"), 0);
    assert_int_equal(r.status, 201);
    t_resp_release(&r);
    assert_true(file_is(s, "domain.txt", "ok", 2));
}

/* CLIENTS.md "Windows Explorer", LOCK/UNLOCK needed for writing: Explorer
 * creates a file with PUT empty, LOCK, PUT body, PROPPATCH, UNLOCK; every
 * step must succeed or the copy fails. */
static void
it_explorer_create_sequence_succeeds(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200], ifh[300];

    assert_int_equal(put(s, "/dav/admin/explorer.txt", "", 0, ""), 201);
    assert_int_equal(lock(s, "/dav/admin/explorer.txt", "Timeout: Second-3600\n", tok,
                          sizeof(tok)), 200);
    snprintf(ifh, sizeof(ifh), "If: (<%s>)\n", tok);
    assert_int_equal(put(s, "/dav/admin/explorer.txt", "from explorer", 13, ifh), 204);
    assert_int_equal(t_http(s, &r, "PROPPATCH /dav/admin/explorer.txt HTTP/1.1\nHost: x\n"
                                   T_AUTH "%sContent-Type: text/xml\nContent-Length: %zu\n\n%s",
                            ifh, strlen(WIN32_PROPPATCH), WIN32_PROPPATCH), 0);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:propstat[contains(D:status, ' 200 ')]/D:prop/*"), 4);
    assert_int_equal(xcount(&r, "//D:propstat[not(contains(D:status, ' 200 '))]"), 0);
    t_resp_release(&r);
    assert_int_equal(unlock(s, "/dav/admin/explorer.txt", tok), 204);
    assert_true(file_is(s, "explorer.txt", "from explorer", 13));
}

/* CLIENTS.md "Windows Explorer" (creating new files) and RFC 4918 9.10.4:
 * a LOCK on an unmapped URL creates an empty file and answers 201. */
static void
it_lock_on_unmapped_url_creates_empty_file(void **state)
{
    struct t_server *s = srv(state);
    char tok[200];

    assert_int_equal(lock(s, "/dav/admin/lock-new.docx", "", tok, sizeof(tok)), 201);
    assert_true(t_file_exists(s, "lock-new.docx"));
    assert_int_equal(stat_of(s, "lock-new.docx").st_size, 0);
    assert_int_equal(unlock(s, "/dav/admin/lock-new.docx", tok), 204);
}

/* ---- Win32 properties ---- */

/* CLIENTS.md "Windows Explorer", Win32 properties: the PROPPATCH is
 * answered 207 with 200 for each property, and the properties come back
 * in PROPFIND with a prefix bound to urn:schemas-microsoft-com:. */
static void
it_win32_proppatch_is_200_each_and_props_come_back(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    static const char *const names[] = { "Win32CreationTime", "Win32LastAccessTime",
                                         "Win32LastModifiedTime", "Win32FileAttributes" };
    char *v;

    assert_int_equal(put_str(s, "/dav/admin/win32.txt", "w"), 201);
    assert_int_equal(t_http(s, &r, "PROPPATCH /dav/admin/win32.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "Content-Type: text/xml\nContent-Length: %zu\n\n%s",
                            strlen(WIN32_PROPPATCH), WIN32_PROPPATCH), 0);
    assert_multistatus_well_formed(&r);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(xcount(&r, "//D:propstat[normalize-space(D:status) = "
                                    "'HTTP/1.1 200 OK']/D:prop/M:%s", names[i]), 1);
    assert_int_equal(xcount(&r, "//D:propstat"), 1);
    t_resp_release(&r);

    propfind(s, &r, "/dav/admin/win32.txt", "0",
             "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" "
             "xmlns:Z=\"urn:schemas-microsoft-com:\"><D:prop><Z:Win32CreationTime/>"
             "<Z:Win32LastAccessTime/><Z:Win32LastModifiedTime/><Z:Win32FileAttributes/>"
             "</D:prop></D:propfind>");
    assert_multistatus_well_formed(&r);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(xcount(&r, "//D:propstat[contains(D:status, ' 200 ')]/D:prop/M:%s",
                                names[i]), 1);
    v = xstr(&r, "//M:Win32FileAttributes");
    assert_non_null(v);
    assert_string_equal(v, "00000020");
    free(v);
    v = xstr(&r, "//M:Win32CreationTime");
    assert_non_null(v);
    assert_string_equal(v, "Mon, 12 Dec 2011 17:37:08 GMT");
    free(v);
    t_resp_release(&r);

    /* and in allprop, as dead properties */
    propfind(s, &r, "/dav/admin/win32.txt", "0", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:prop/M:Win32FileAttributes"), 1);
    t_resp_release(&r);
}

/* CLIENTS.md "Windows Explorer", Win32 properties: Win32LastModifiedTime is
 * mapped onto the file's mtime so timestamps survive an upload. */
static void
it_win32_last_modified_time_sets_mtime(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char *v;

    assert_int_equal(put_str(s, "/dav/admin/win32-mtime.txt", "m"), 201);
    assert_int_equal(t_http(s, &r, "PROPPATCH /dav/admin/win32-mtime.txt HTTP/1.1\nHost: x\n"
                                   T_AUTH "Content-Type: text/xml\nContent-Length: %zu\n\n%s",
                            strlen(WIN32_PROPPATCH), WIN32_PROPPATCH), 0);
    assert_int_equal(r.status, 207);
    t_resp_release(&r);
    assert_int_equal(stat_of(s, "win32-mtime.txt").st_mtime, T_MTIME);
    propfind(s, &r, "/dav/admin/win32-mtime.txt", "0",
             "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getlastmodified/></D:prop></D:propfind>");
    v = xstr(&r, "//D:getlastmodified");
    assert_non_null(v);
    assert_string_equal(v, "Mon, 02 Jan 2006 15:04:05 GMT");
    free(v);
    t_resp_release(&r);
}

/* CLIENTS.md "Microsoft Office": Office sends its Win32 PROPPATCH without
 * the lock token it holds; allow it. Any other property still needs the
 * token (423). */
static void
it_office_win32_proppatch_without_token_under_own_lock_is_200(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200];

    assert_int_equal(put_str(s, "/dav/admin/office.docx", "docx"), 201);
    assert_int_equal(lock(s, "/dav/admin/office.docx", "", tok, sizeof(tok)), 200);

    assert_int_equal(t_http(s, &r, "PROPPATCH /dav/admin/office.docx HTTP/1.1\nHost: x\n"
                                   T_AUTH "User-Agent: Microsoft Office Word 2014\n"
                                   "Content-Type: text/xml\nContent-Length: %zu\n\n%s",
                            strlen(WIN32_PROPPATCH), WIN32_PROPPATCH), 0);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:propstat[contains(D:status, ' 200 ')]/D:prop/*"), 4);
    t_resp_release(&r);
    assert_int_equal(stat_of(s, "office.docx").st_mtime, T_MTIME);

    assert_int_equal(t_http(s, &r, "PROPPATCH /dav/admin/office.docx HTTP/1.1\nHost: x\n"
                                   T_AUTH "Content-Type: text/xml\nContent-Length: %zu\n\n%s",
                            strlen(DEAD_PROPPATCH), DEAD_PROPPATCH), 0);
    assert_int_equal(r.status, 423);
    t_resp_release(&r);
    assert_int_equal(unlock(s, "/dav/admin/office.docx", tok), 204);
}

/* ---- CLIENTS.md 1: strong ETags ---- */

/* CLIENTS.md 1 "Strong ETags, always, including right after a write": davfs2
 * sends If-Match with the ETag it got from the PUT; a weak or stale ETag
 * gives 412 and a lost edit. */
static void
it_etag_right_after_put_is_strong_and_if_match_succeeds(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char e1[128], e2[128], h[200];
    char *pe;

    assert_int_equal(t_http(s, &r, "PUT /dav/admin/etag.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "Content-Length: 4\n\naaaa"), 0);
    assert_int_equal(r.status, 201);
    assert_non_null(t_header(&r, "ETag"));
    snprintf(e1, sizeof(e1), "%s", t_header(&r, "ETag"));
    t_resp_release(&r);
    assert_true(strncmp(e1, "W/", 2) != 0);
    assert_true(e1[0] == '"' && e1[strlen(e1) - 1] == '"' && strlen(e1) > 2);

    /* the same second, the same size: the ETag must still change */
    snprintf(h, sizeof(h), "If-Match: %s\n", e1);
    assert_int_equal(t_http(s, &r, "PUT /dav/admin/etag.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "%sContent-Length: 4\n\nbbbb", h), 0);
    assert_int_equal(r.status, 204);
    assert_non_null(t_header(&r, "ETag"));
    snprintf(e2, sizeof(e2), "%s", t_header(&r, "ETag"));
    t_resp_release(&r);
    assert_true(strncmp(e2, "W/", 2) != 0);
    assert_string_not_equal(e1, e2);
    assert_true(file_is(s, "etag.txt", "bbbb", 4));

    /* the old ETag no longer matches: the lost update is refused */
    assert_int_equal(t_http(s, &r, "PUT /dav/admin/etag.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "%sContent-Length: 4\n\ncccc", h), 0);
    assert_int_equal(r.status, 412);
    t_resp_release(&r);
    assert_true(file_is(s, "etag.txt", "bbbb", 4));

    /* GET and PROPFIND give the same strong ETag */
    assert_int_equal(t_http(s, &r, "GET /dav/admin/etag.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "ETag"), e2);
    t_resp_release(&r);
    propfind(s, &r, "/dav/admin/etag.txt", "0",
             "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getetag/></D:prop></D:propfind>");
    pe = xstr(&r, "//D:getetag");
    assert_non_null(pe);
    assert_string_equal(pe, e2);
    free(pe);
    t_resp_release(&r);

    /* If-None-Match on GET with it: 304 */
    snprintf(h, sizeof(h), "If-None-Match: %s\n", e2);
    assert_int_equal(simple(s, "GET", "/dav/admin/etag.txt", h), 304);
}

/* ---- CLIENTS.md 3: 409 and 423 ---- */

/* CLIENTS.md 3: PUT into a missing parent is 409 (Apache: 500). */
static void
it_put_into_missing_parent_is_409(void **state)
{
    struct t_server *s = srv(state);

    assert_int_equal(put_str(s, "/dav/admin/no-such-dir/file.txt", "x"), 409);
    assert_false(t_file_exists(s, "no-such-dir"));
}

/* CLIENTS.md 3: MKCOL into a missing parent is 409 (RFC 4918 9.3.1). */
static void
it_mkcol_into_missing_parent_is_409(void **state)
{
    struct t_server *s = srv(state);

    assert_int_equal(mkcol(s, "/dav/admin/no-such-dir2/new"), 409);
    assert_false(t_file_exists(s, "no-such-dir2"));
}

/* CLIENTS.md 3: COPY and MOVE into a missing parent are 409 (9.8.5, 9.9.4). */
static void
it_copy_move_into_missing_parent_are_409(void **state)
{
    struct t_server *s = srv(state);

    assert_int_equal(put_str(s, "/dav/admin/cm-src.txt", "src"), 201);
    assert_int_equal(simple(s, "COPY", "/dav/admin/cm-src.txt",
                            "Destination: /dav/admin/no-such-dir3/c.txt\n"), 409);
    assert_int_equal(simple(s, "MOVE", "/dav/admin/cm-src.txt",
                            "Destination: /dav/admin/no-such-dir3/m.txt\n"), 409);
    assert_true(file_is(s, "cm-src.txt", "src", 3));
    assert_false(t_file_exists(s, "no-such-dir3"));
    /* a collection, by absolute URL, too */
    assert_int_equal(mkcol(s, "/dav/admin/cm-dir"), 201);
    assert_int_equal(simple(s, "MOVE", "/dav/admin/cm-dir",
                            "Destination: http://x/dav/admin/no-such-dir3/d/\n"), 409);
    assert_true(t_file_exists(s, "cm-dir"));
}

/* CLIENTS.md 3 "423, never 2xx, for a write refused because of a lock":
 * PUT, PROPPATCH, DELETE and MOVE of a locked file without its token. */
static void
it_write_refused_by_lock_is_423_not_207(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200], ifh[300];

    assert_int_equal(mkcol(s, "/dav/admin/lk"), 201);
    assert_int_equal(put_str(s, "/dav/admin/lk/locked.txt", "locked"), 201);
    assert_int_equal(put_str(s, "/dav/admin/lk/other.txt", "other"), 201);
    assert_int_equal(lock(s, "/dav/admin/lk/locked.txt", "Depth: 0\n", tok, sizeof(tok)), 200);

    assert_int_equal(t_http(s, &r, "PUT /dav/admin/lk/locked.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "Content-Length: 3\n\nnew"), 0);
    assert_int_equal(r.status, 423);
    /* RFC 4918 7.4 / 16: the precondition names the lock */
    assert_int_equal(xcount(&r, "/D:error/D:lock-token-submitted"), 1);
    t_resp_release(&r);

    assert_int_equal(t_http(s, &r, "PROPPATCH /dav/admin/lk/locked.txt HTTP/1.1\nHost: x\n"
                                   T_AUTH "Content-Type: text/xml\nContent-Length: %zu\n\n%s",
                            strlen(DEAD_PROPPATCH), DEAD_PROPPATCH), 0);
    assert_int_equal(r.status, 423);
    t_resp_release(&r);

    assert_int_equal(simple(s, "DELETE", "/dav/admin/lk/locked.txt", ""), 423);
    assert_int_equal(simple(s, "MOVE", "/dav/admin/lk/locked.txt",
                            "Destination: /dav/admin/lk/moved.txt\n"), 423);
    /* a MOVE that would overwrite the locked file */
    assert_int_equal(simple(s, "MOVE", "/dav/admin/lk/other.txt",
                            "Destination: /dav/admin/lk/locked.txt\nOverwrite: T\n"), 423);
    assert_true(file_is(s, "lk/locked.txt", "locked", 6));
    assert_true(file_is(s, "lk/other.txt", "other", 5));
    assert_false(t_file_exists(s, "lk/moved.txt"));

    /* with the token, the same writes go through */
    snprintf(ifh, sizeof(ifh), "If: (<%s>)\n", tok);
    assert_int_equal(put(s, "/dav/admin/lk/locked.txt", "new", 3, ifh), 204);
    assert_true(file_is(s, "lk/locked.txt", "new", 3));
    assert_int_equal(simple(s, "DELETE", "/dav/admin/lk/locked.txt", ifh), 204);
    assert_false(t_file_exists(s, "lk/locked.txt"));
}

/* CLIENTS.md 3: a lock on a collection protects its membership: creating a
 * member without the token is 423 too (RFC 4918 7.4). */
static void
it_create_in_locked_collection_is_423(void **state)
{
    struct t_server *s = srv(state);
    char tok[200], ifh[300];

    assert_int_equal(mkcol(s, "/dav/admin/lkc"), 201);
    assert_int_equal(put_str(s, "/dav/admin/lkc-src.txt", "s"), 201);
    assert_int_equal(lock(s, "/dav/admin/lkc/", "Depth: 0\n", tok, sizeof(tok)), 200);
    assert_int_equal(put_str(s, "/dav/admin/lkc/new.txt", "n"), 423);
    assert_int_equal(mkcol(s, "/dav/admin/lkc/newdir"), 423);
    assert_int_equal(simple(s, "COPY", "/dav/admin/lkc-src.txt",
                            "Destination: /dav/admin/lkc/copy.txt\n"), 423);
    assert_false(t_file_exists(s, "lkc/new.txt"));
    assert_false(t_file_exists(s, "lkc/newdir"));
    assert_false(t_file_exists(s, "lkc/copy.txt"));
    /* the collection's token, tagged with the collection (RFC 4918 10.4.2) */
    snprintf(ifh, sizeof(ifh), "If: </dav/admin/lkc/> (<%s>)\n", tok);
    assert_int_equal(put(s, "/dav/admin/lkc/new.txt", "n", 1, ifh), 201);
    assert_int_equal(unlock(s, "/dav/admin/lkc", tok), 204);
}

/* CLIENTS.md 3: DELETE of a collection holding a member locked by another
 * lock never removes that member and never answers a plain success. RFC
 * 4918 9.6.2 allows a 207 naming the member with 423; 423 is fine too. */
static void
it_delete_folder_with_locked_member_keeps_it(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200];

    assert_int_equal(mkcol(s, "/dav/admin/lkd"), 201);
    assert_int_equal(put_str(s, "/dav/admin/lkd/keep.txt", "keep"), 201);
    assert_int_equal(lock(s, "/dav/admin/lkd/keep.txt", "", tok, sizeof(tok)), 200);
    assert_int_equal(t_http(s, &r, "DELETE /dav/admin/lkd HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    print_message("DELETE of a folder with a locked member -> %d\n", r.status);
    assert_true(r.status == 423 || r.status == 207);
    if (r.status == 207)
        assert_int_equal(xcount(&r, "//D:response[contains(D:href, 'keep.txt') and "
                                    "contains(D:status, ' 423 ')]"), 1);
    t_resp_release(&r);
    assert_true(file_is(s, "lkd/keep.txt", "keep", 4));
    assert_int_equal(unlock(s, "/dav/admin/lkd/keep.txt", tok), 204);
}

/* ---- CLIENTS.md 4: Lock-Token with and without <> ---- */

/* CLIENTS.md 4: the npm webdav client and some Windows versions send the
 * bare token on UNLOCK; the server always sends a Coded-URL. */
static void
it_unlock_accepts_bare_and_bracketed_token(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200], h[300];
    const char *lt;
    char *href;

    assert_int_equal(put_str(s, "/dav/admin/unlock.txt", "u"), 201);

    assert_int_equal(t_http(s, &r, "LOCK /dav/admin/unlock.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "Content-Type: application/xml\nContent-Length: %zu\n\n%s",
                            strlen(LOCKINFO), LOCKINFO), 0);
    assert_int_equal(r.status, 200);
    lt = t_header(&r, "Lock-Token");
    assert_non_null(lt);
    assert_true(strncmp(lt, "<opaquelocktoken:", 17) == 0);
    assert_int_equal(lt[strlen(lt) - 1], '>');
    snprintf(tok, sizeof(tok), "%.*s", (int)strlen(lt) - 2, lt + 1);
    href = xstr(&r, "/D:prop/D:lockdiscovery/D:activelock/D:locktoken/D:href");
    assert_non_null(href);
    assert_string_equal(href, tok);
    free(href);
    t_resp_release(&r);

    /* bare */
    snprintf(h, sizeof(h), "Lock-Token: %s\n", tok);
    assert_int_equal(simple(s, "UNLOCK", "/dav/admin/unlock.txt", h), 204);
    assert_int_equal(put_str(s, "/dav/admin/unlock.txt", "free"), 204);

    /* bracketed */
    assert_int_equal(lock(s, "/dav/admin/unlock.txt", "", tok, sizeof(tok)), 200);
    assert_true(strncmp(tok, "opaquelocktoken:", 16) == 0);
    snprintf(h, sizeof(h), "Lock-Token: <%s>\n", tok);
    assert_int_equal(simple(s, "UNLOCK", "/dav/admin/unlock.txt", h), 204);
    assert_int_equal(put_str(s, "/dav/admin/unlock.txt", "free again"), 204);
}

/* ---- CLIENTS.md 5: locks expire ---- */

/* CLIENTS.md 5 "Locks must expire": cadaver never UNLOCKs; a lock with
 * Timeout: Second-1 is gone after 2 seconds, while a lock with a longer
 * timeout taken at the same moment still holds. (Expiry is counted in whole
 * seconds, so the short lock may be gone at once: it is not probed early.) */
static void
it_lock_with_one_second_timeout_expires(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200], tok2[200];

    assert_int_equal(put_str(s, "/dav/admin/expire.txt", "e"), 201);
    assert_int_equal(put_str(s, "/dav/admin/expire-not.txt", "n"), 201);
    assert_int_equal(lock(s, "/dav/admin/expire.txt", "Timeout: Second-1\n", tok, sizeof(tok)),
                     200);
    assert_int_equal(lock(s, "/dav/admin/expire-not.txt", "Timeout: Second-60\n", tok2,
                          sizeof(tok2)), 200);
    nap_ms(2200);
    assert_int_equal(put_str(s, "/dav/admin/expire.txt", "after expiry"), 204);
    assert_true(file_is(s, "expire.txt", "after expiry", 12));
    propfind(s, &r, "/dav/admin/expire.txt", "0",
             "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:lockdiscovery/></D:prop></D:propfind>");
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:lockdiscovery/D:activelock"), 0);
    t_resp_release(&r);
    /* its token names no lock any more */
    assert_int_equal(unlock(s, "/dav/admin/expire.txt", tok), 409);
    /* the longer lock still protects its file */
    assert_int_equal(put_str(s, "/dav/admin/expire-not.txt", "too early"), 423);
    assert_true(file_is(s, "expire-not.txt", "n", 1));
    assert_int_equal(unlock(s, "/dav/admin/expire-not.txt", tok2), 204);
}

/* CLIENTS.md 5 "cap Infinite": Timeout: Infinite gets a finite Second-N,
 * in the LOCK answer and in lockdiscovery. */
static void
it_lock_timeout_infinite_is_capped(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200];
    char *t;
    unsigned long n;

    assert_int_equal(put_str(s, "/dav/admin/infinite.txt", "i"), 201);
    assert_int_equal(t_http(s, &r, "LOCK /dav/admin/infinite.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "Timeout: Infinite\nContent-Type: application/xml\n"
                                   "Content-Length: %zu\n\n%s", strlen(LOCKINFO), LOCKINFO), 0);
    assert_int_equal(r.status, 200);
    t = xstr(&r, "//D:activelock/D:timeout");
    assert_non_null(t);
    print_message("Timeout: Infinite -> %s\n", t);
    assert_true(strncmp(t, "Second-", 7) == 0);
    n = strtoul(t + 7, NULL, 10);
    assert_true(n > 0 && n <= 86400);   /* lock-timeout-max's default */
    free(t);
    snprintf(tok, sizeof(tok), "%s", t_header(&r, "Lock-Token") + 1);
    tok[strlen(tok) - 1] = '\0';
    t_resp_release(&r);

    propfind(s, &r, "/dav/admin/infinite.txt", "0",
             "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:lockdiscovery/></D:prop></D:propfind>");
    t = xstr(&r, "//D:activelock/D:timeout");
    assert_non_null(t);
    assert_true(strncmp(t, "Second-", 7) == 0);
    n = strtoul(t + 7, NULL, 10);
    assert_true(n > 0 && n <= 86400);
    free(t);
    t_resp_release(&r);
    assert_int_equal(unlock(s, "/dav/admin/infinite.txt", tok), 204);
}

/* CLIENTS.md 5: with lock-timeout-max set, Infinite and larger requests get
 * exactly that cap. */
static int
own_lock_cap(void **state)
{
    return own_start(state, "lock-timeout = 60\nlock-timeout-max = 120\n");
}

static void
it_lock_timeout_cap_follows_configuration(void **state)
{
    struct t_server *own = *state;
    char tok[200];
    struct t_resp r;
    char *t;
    unsigned long n;

    assert_int_equal(put_str(own, "/dav/admin/cap.txt", "c"), 201);
    assert_int_equal(t_http(own, &r, "LOCK /dav/admin/cap.txt HTTP/1.1\nHost: x\n" T_AUTH
                                      "Timeout: Infinite, Second-4100000000\n"
                                      "Content-Type: application/xml\n"
                                      "Content-Length: %zu\n\n%s", strlen(LOCKINFO), LOCKINFO),
                     0);
    assert_int_equal(r.status, 200);
    t = xstr(&r, "//D:activelock/D:timeout");
    assert_non_null(t);
    n = strtoul(t + 7, NULL, 10);
    assert_true(strncmp(t, "Second-", 7) == 0 && n >= 119 && n <= 120);
    free(t);
    t_resp_release(&r);
    assert_int_equal(lock(own, "/dav/admin/cap2.txt", "Timeout: Second-4100000000\n", tok,
                          sizeof(tok)), 201);
    propfind(own, &r, "/dav/admin/cap2.txt", "0",
             "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:lockdiscovery/></D:prop></D:propfind>");
    t = xstr(&r, "//D:activelock/D:timeout");
    assert_non_null(t);
    n = strtoul(t + 7, NULL, 10);
    assert_true(n >= 119 && n <= 120);
    free(t);
    t_resp_release(&r);
}

/* CLIENTS.md "Microsoft Office": Word refreshes its lock every few minutes
 * with a LOCK without body naming the token in If. */
static void
it_lock_refresh_extends_timeout(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200];
    char *t;

    assert_int_equal(put_str(s, "/dav/admin/refresh.docx", "r"), 201);
    assert_int_equal(lock(s, "/dav/admin/refresh.docx", "Timeout: Second-60\n", tok,
                          sizeof(tok)), 200);
    assert_int_equal(t_http(s, &r, "LOCK /dav/admin/refresh.docx HTTP/1.1\nHost: x\n" T_AUTH
                                   "If: (<%s>)\nTimeout: Second-600\nContent-Length: 0\n\n", tok),
                     0);
    assert_int_equal(r.status, 200);
    t = xstr(&r, "//D:activelock/D:timeout");
    assert_non_null(t);
    assert_true(strcmp(t, "Second-600") == 0 || strcmp(t, "Second-599") == 0);
    free(t);
    t = xstr(&r, "//D:activelock/D:locktoken/D:href");
    assert_non_null(t);
    assert_string_equal(t, tok);
    free(t);
    t_resp_release(&r);
    assert_int_equal(unlock(s, "/dav/admin/refresh.docx", tok), 204);
}

/* ---- CLIENTS.md 6: Depth: infinity ---- */

/* CLIENTS.md 6: a Depth: infinity PROPFIND is answered with the whole tree,
 * never with a depth-1 answer (the npm webdav deep listing trusts it). */
static void
it_propfind_depth_infinity_returns_whole_tree(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(mkcol(s, "/dav/admin/deep"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/deep/a"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/deep/a/b"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/deep/a/b/c"), 201);
    assert_int_equal(put_str(s, "/dav/admin/deep/a/b/c/leaf.txt", "leaf"), 201);
    assert_int_equal(put_str(s, "/dav/admin/deep/top.txt", "top"), 201);

    propfind(s, &r, "/dav/admin/deep/", "infinity", NULL);
    assert_multistatus_well_formed(&r);
    assert_int_equal(xcount(&r, "/D:multistatus/D:response"), 6);
    assert_int_equal(xcount(&r, "//D:href[. = '/dav/admin/deep/a/b/c/leaf.txt']"), 1);
    assert_int_equal(xcount(&r, "//D:href[. = '/dav/admin/deep/a/b/c/']"), 1);
    assert_int_equal(xcount(&r, "//D:href[. = '/dav/admin/deep/top.txt']"), 1);
    t_resp_release(&r);

    /* RFC 4918 9.1: no Depth header means infinity */
    propfind(s, &r, "/dav/admin/deep/", NULL, NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "/D:multistatus/D:response"), 6);
    t_resp_release(&r);

    /* and Depth 1 really is shallower */
    propfind(s, &r, "/dav/admin/deep/", "1", NULL);
    assert_int_equal(xcount(&r, "/D:multistatus/D:response"), 3);
    t_resp_release(&r);
}

/* CLIENTS.md 6: with propfind-infinity = off, Depth: infinity is refused
 * with 403 and a DAV:propfind-finite-depth body, not answered shallowly. */
static int
own_infinity_off(void **state)
{
    return own_start(state, "propfind-infinity = off\n");
}

static void
it_propfind_infinity_off_is_403_finite_depth(void **state)
{
    struct t_server *own = *state;
    struct t_resp r;

    propfind(own, &r, "/dav/admin/", "infinity", NULL);
    assert_int_equal(r.status, 403);
    assert_int_equal(xcount(&r, "/D:error/D:propfind-finite-depth"), 1);
    t_resp_release(&r);
    propfind(own, &r, "/dav/admin/", NULL, NULL);
    assert_int_equal(r.status, 403);
    assert_int_equal(xcount(&r, "/D:error/D:propfind-finite-depth"), 1);
    t_resp_release(&r);
    propfind(own, &r, "/dav/admin/", "1", NULL);
    assert_int_equal(r.status, 207);
    t_resp_release(&r);
}

/* ---- CLIENTS.md 7 and Finder: chunked PUT ---- */

/* Builds a chunked body of data in chunks of the given sizes (repeated). */
static char *
chunked(const unsigned char *data, size_t len, size_t *outlen)
{
    static const size_t sizes[] = { 1, 4095, 65536, 100000, 7, 32768 };
    /* at most 16 bytes of framing per chunk; the sizes sum to 203407 per round */
    char *out = malloc(len + 16 * 6 * (len / 203407 + 1) + 16);
    size_t k = 0, off = 0, i = 0;

    assert_non_null(out);
    while (off < len) {
        size_t n = sizes[i++ % 6];

        if (n > len - off)
            n = len - off;
        k += (size_t)sprintf(out + k, "%zx\r\n", n);
        memcpy(out + k, data + off, n);
        k += n;
        memcpy(out + k, "\r\n", 2);
        k += 2;
        off += n;
    }
    memcpy(out + k, "0\r\n\r\n", 5);
    *outlen = k + 5;
    return out;
}

/* CLIENTS.md 7 and "macOS Finder": Finder PUTs with Transfer-Encoding:
 * chunked, no Content-Length, X-Expected-Entity-Length and If: (<token>)
 * while it holds the lock; the whole body must be stored (not 0 bytes,
 * not 411). */
static void
it_finder_chunked_put_with_lock_stores_whole_body(void **state)
{
    struct t_server *s = srv(state);
    const size_t n = 300000;
    unsigned char *data = pattern(n);
    struct t_resp r;
    char tok[200], head[1024];
    size_t blen;
    char *body = chunked(data, n, &blen);

    assert_int_equal(lock(s, "/dav/admin/finder.bin", "", tok, sizeof(tok)), 201);
    snprintf(head, sizeof(head), "PUT /dav/admin/finder.bin HTTP/1.1\nHost: x\n" T_AUTH
                                 "User-Agent: WebDAVFS/3.0.0 (03008000) Darwin/22.1.0\n"
                                 "If: (<%s>)\nX-Expected-Entity-Length: %zu\n"
                                 "Transfer-Encoding: chunked\n\n", tok, n);
    assert_int_equal(req_body(s, &r, head, body, blen), 0);
    assert_true(r.status == 201 || r.status == 204);
    t_resp_release(&r);
    assert_true(file_is(s, "finder.bin", data, n));
    assert_int_equal(unlock(s, "/dav/admin/finder.bin", tok), 204);

    /* a plain chunked PUT, no hints at all */
    snprintf(head, sizeof(head), "PUT /dav/admin/chunked.bin HTTP/1.1\nHost: x\n" T_AUTH
                                 "Transfer-Encoding: chunked\n\n");
    assert_int_equal(req_body(s, &r, head, body, blen), 0);
    assert_int_equal(r.status, 201);
    t_resp_release(&r);
    assert_true(file_is(s, "chunked.bin", data, n));
    free(body);
    free(data);
}

/* CLIENTS.md "macOS Finder": a chunked body that does not match
 * X-Expected-Entity-Length is refused with 400 and the old content stays. */
static void
it_chunked_put_with_wrong_expected_length_is_400_keeps_old(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    const char *body = "5\r\nshort\r\n0\r\n\r\n";

    assert_int_equal(put_str(s, "/dav/admin/xeel.txt", "old content"), 201);
    assert_int_equal(req_body(s, &r, "PUT /dav/admin/xeel.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "X-Expected-Entity-Length: 11\n"
                                     "Transfer-Encoding: chunked\n\n", body, strlen(body)), 0);
    assert_int_equal(r.status, 400);
    t_resp_release(&r);
    assert_true(file_is(s, "xeel.txt", "old content", 11));
    /* a new file is not created by a refused PUT either */
    assert_int_equal(req_body(s, &r, "PUT /dav/admin/xeel-new.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "X-Expected-Entity-Length: 999\n"
                                     "Transfer-Encoding: chunked\n\n", body, strlen(body)), 0);
    assert_int_equal(r.status, 400);
    t_resp_release(&r);
    assert_false(t_file_exists(s, "xeel-new.txt"));
}

/* ---- CLIENTS.md 8: quota ---- */

/* CLIENTS.md 8 and "macOS Finder": quota-available-bytes (> 0, or GUI
 * programs refuse to write) and quota-used-bytes on collections. */
static void
it_quota_properties_on_collections(void **state)
{
    struct t_server *s = srv(state);
    static const char *const where[] = { "/dav/admin/", "/dav/admin/quota", "/dav/admin/quota/" };
    unsigned char *data = pattern(10000);

    assert_int_equal(mkcol(s, "/dav/admin/quota"), 201);
    assert_int_equal(put(s, "/dav/admin/quota/q.bin", data, 10000, ""), 201);
    free(data);
    for (size_t i = 0; i < 3; i++) {
        struct t_resp r;
        char *avail, *used, *end;
        unsigned long long a, u;

        propfind(s, &r, where[i], "0",
                 "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
                 "<D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>");
        assert_multistatus_well_formed(&r);
        avail = xstr(&r, "//D:propstat[contains(D:status, ' 200 ')]//D:quota-available-bytes");
        used = xstr(&r, "//D:propstat[contains(D:status, ' 200 ')]//D:quota-used-bytes");
        assert_non_null(avail);
        assert_non_null(used);
        print_message("%s: available %s, used %s\n", where[i], avail, used);
        a = strtoull(avail, &end, 10);
        assert_true(*avail != '\0' && *end == '\0' && a > 0);
        u = strtoull(used, &end, 10);
        assert_true(*used != '\0' && *end == '\0' && u >= 10000);
        free(avail);
        free(used);
        t_resp_release(&r);
    }
}

/* ---- CLIENTS.md 9: the browser view ---- */

/* Collects every href="..." of an HTML body, HTML-unescaped, into out. */
static size_t
html_hrefs(const char *body, char out[][600], size_t max)
{
    size_t n = 0;

    for (const char *p = strstr(body, "href=\""); p != NULL && n < max;
         p = strstr(p, "href=\"")) {
        const char *q;
        size_t k = 0;

        p += 6;
        q = strchr(p, '"');
        if (q == NULL)
            break;
        for (const char *c = p; c < q && k < 599; c++) {
            if (strncmp(c, "&amp;", 5) == 0) {
                out[n][k++] = '&';
                c += 4;
            } else {
                out[n][k++] = *c;
            }
        }
        out[n][k] = '\0';
        n++;
        p = q;
    }
    return n;
}

/* CLIENTS.md 9 "Browser index view": GET on a collection is text/html with
 * names HTML-escaped, links percent-encoded, and UTF-8 names as UTF-8. */
static void
it_browser_index_escapes_names_and_encodes_links(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char hrefs[64][600];
    size_t n;
    bool found_evil = false, found_utf8 = false;

    assert_int_equal(mkcol(s, "/dav/admin/ix"), 201);
    /* a<b>&"c'.txt, "ü ñ.txt" */
    assert_int_equal(put_str(s, "/dav/admin/ix/a%3Cb%3E%26%22c'.txt", "evil"), 201);
    assert_int_equal(put_str(s, "/dav/admin/ix/%C3%BC%20%C3%B1.txt", "utf8"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/ix/sub%20dir"), 201);
    assert_true(file_is(s, "ix/a<b>&\"c'.txt", "evil", 4));

    assert_int_equal(t_http(s, &r, "GET /dav/admin/ix/ HTTP/1.1\nHost: x\n" T_AUTH
                                   "Accept: text/html\n\n"), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(t_header(&r, "Content-Type"));
    assert_true(strncasecmp(t_header(&r, "Content-Type"), "text/html", 9) == 0);
    assert_non_null(strcasestr(t_header(&r, "Content-Type"), "charset=utf-8"));
    /* escaped text, never the raw markup */
    assert_null(strstr(r.body, "a<b>"));
    assert_non_null(strstr(r.body, "a&lt;b&gt;&amp;"));
    /* the UTF-8 name as UTF-8 text */
    assert_non_null(strstr(r.body, "\xc3\xbc \xc3\xb1.txt"));
    n = html_hrefs(r.body, hrefs, 64);
    for (size_t i = 0; i < n; i++) {
        char dec[600];

        assert_true(href_is_encoded(hrefs[i]));
        pct_decode(hrefs[i], dec);
        if (strstr(dec, "a<b>&\"c'.txt") != NULL)
            found_evil = true;
        if (strstr(dec, "\xc3\xbc \xc3\xb1.txt") != NULL)
            found_utf8 = true;
    }
    assert_true(found_evil);
    assert_true(found_utf8);
    t_resp_release(&r);
}

/* Resolves a relative reference against a base path (RFC 3986 5.2, paths). */
static void
resolve_ref(const char *base, const char *ref, char *out, size_t cap)
{
    char buf[1024];
    char *segs[64];
    size_t n = 0, k = 0;

    int w;

    if (ref[0] == '/') {
        w = snprintf(buf, sizeof(buf), "%s", ref);
    } else {
        const char *slash = strrchr(base, '/');

        w = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(slash - base), base, ref);
    }
    if (w < 0 || (size_t)w >= sizeof(buf)) {
        snprintf(out, cap, "(too long)");
        return;
    }
    /* remove dot segments */
    for (char *save, *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, ".") == 0)
            continue;
        if (strcmp(t, "..") == 0) {
            if (n > 0)
                n--;
            continue;
        }
        if (n < 64)
            segs[n++] = t;
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(out + k, cap - k, "/%s", segs[i]);
    if (n == 0 || ref[strlen(ref) - 1] == '/')
        snprintf(out + k, cap - k, "/");
}

/* CLIENTS.md 2 and 9: the index of a collection fetched without the
 * trailing slash (as Explorer and people type it) must have links that
 * lead to the right place: the parent link goes to the parent. */
static void
it_browser_index_links_work_without_trailing_slash(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char hrefs[64][600];
    size_t n;
    bool parent_ok = false, member_ok = false, wrong = false;

    assert_int_equal(mkcol(s, "/dav/admin/ixs"), 201);
    assert_int_equal(put_str(s, "/dav/admin/ixs/member.txt", "m"), 201);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/ixs HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    n = html_hrefs(r.body, hrefs, 64);
    for (size_t i = 0; i < n; i++) {
        char abs[1024];

        resolve_ref("/dav/admin/ixs", hrefs[i], abs, sizeof(abs));
        print_message("link %s -> %s\n", hrefs[i], abs);
        if (strcmp(abs, "/dav/admin/") == 0)
            parent_ok = true;       /* the link up leads to the parent */
        if (strcmp(abs, "/dav/") == 0)
            wrong = true;           /* "../" read from /dav/admin/ixs skips a level */
        if (strstr(hrefs[i], "member.txt") != NULL)
            member_ok = strcmp(abs, "/dav/admin/ixs/member.txt") == 0;
    }
    t_resp_release(&r);
    assert_true(member_ok);
    assert_false(wrong);
    assert_true(parent_ok);
}

/* CLIENTS.md 9: answer /favicon.ico at the root quietly (no 401, no 404). */
static void
it_favicon_is_answered_quietly(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(t_http(s, &r, "GET /favicon.ico HTTP/1.1\nHost: x\n\n"), 0);
    assert_true(r.status >= 200 && r.status < 300);
    t_resp_release(&r);
    assert_int_equal(t_http(s, &r, "GET /favicon.ico HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_true(r.status >= 200 && r.status < 300);
    t_resp_release(&r);
    assert_int_equal(t_http(s, &r, "HEAD /favicon.ico HTTP/1.1\nHost: x\n\n"), 0);
    assert_true(r.status >= 200 && r.status < 300);
    t_resp_release(&r);
}

/* CLIENTS.md 9: the index of an empty folder is a page too (a new folder
 * is the first thing a user opens in the browser). */
static void
it_browser_index_of_empty_folder_is_200(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    int rc;

    assert_int_equal(mkcol(s, "/dav/admin/ixempty"), 201);
    rc = t_http(s, &r, "GET /dav/admin/ixempty/ HTTP/1.1\nHost: x\n" T_AUTH "\n");
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, 200);
    assert_true(strncasecmp(t_header(&r, "Content-Type"), "text/html", 9) == 0);
    assert_non_null(strstr(r.body, "</html>"));
    t_resp_release(&r);
}

/* ---- Microsoft Office ---- */

/* CLIENTS.md "Microsoft Office": HEAD on a collection must not give 501
 * (Office checks whether a folder exists with HEAD); also on an empty one
 * and on the repository root (ccViewer, CLIENTS.md mobile apps). */
static void
it_head_on_collection_is_200_not_501(void **state)
{
    struct t_server *s = srv(state);
    static const char *const paths[] = {
        "/dav/admin/headfull/", "/dav/admin/headfull", "/dav/admin/", "/dav/",
        "/dav/admin/headempty/", "/dav/admin/headempty",
    };

    assert_int_equal(mkcol(s, "/dav/admin/headfull"), 201);
    assert_int_equal(put_str(s, "/dav/admin/headfull/f.txt", "f"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/headempty"), 201);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct t_resp r;
        int rc = t_http(s, &r, "HEAD %s HTTP/1.1\nHost: x\n" T_AUTH "\n", paths[i]);

        print_message("HEAD %s -> %s %d\n", paths[i], rc == 0 ? "status" : "no answer",
                      rc == 0 ? r.status : -1);
        assert_int_equal(rc, 0);
        assert_int_equal(r.status, 200);
        t_resp_release(&r);
    }
    /* the empty folder's GET, for the same reason */
    assert_int_equal(simple(s, "GET", "/dav/admin/headempty/", ""), 200);
}

/* CLIENTS.md "Microsoft Office" and "macOS Finder" (class 2, locks must
 * really work): supportedlock lists exclusive write in plain encoding;
 * lockdiscovery shows an active lock with its token, depth and timeout. */
static void
it_supportedlock_and_lockdiscovery_are_present(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200];
    char *v;

    assert_int_equal(put_str(s, "/dav/admin/sl.docx", "sl"), 201);
    /* Office 2011 for Mac's PROPFIND (sabre.io msoffice.md) */
    propfind(s, &r, "/dav/admin/sl.docx", "0",
             "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
             "<D:resourcetype/><D:getetag/><D:getcontentlength/><D:getmodifiedby/>"
             "<D:creationdate/><D:getlastmodified/><D:lockdiscovery/><D:supportedlock/>"
             "</D:prop></D:propfind>");
    assert_multistatus_well_formed(&r);
    assert_int_equal(xcount(&r, "//D:propstat[contains(D:status, ' 200 ')]/D:prop/"
                                "D:supportedlock/D:lockentry[D:lockscope/D:exclusive and "
                                "D:locktype/D:write]"), 1);
    assert_int_equal(xcount(&r, "//D:propstat[contains(D:status, ' 200 ')]/D:prop/"
                                "D:lockdiscovery"), 1);
    assert_int_equal(xcount(&r, "//D:propstat[contains(D:status, ' 404 ')]/D:prop/"
                                "D:getmodifiedby"), 1);
    /* plain encodings: no attributes on getlastmodified or supportedlock */
    assert_int_equal(xcount(&r, "//D:getlastmodified/@* | //D:supportedlock//@*"), 0);
    t_resp_release(&r);

    assert_int_equal(lock(s, "/dav/admin/sl.docx", "Depth: infinity\nTimeout: Second-180\n", tok,
                          sizeof(tok)), 200);
    propfind(s, &r, "/dav/admin/sl.docx", "0",
             "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:lockdiscovery/></D:prop></D:propfind>");
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:lockdiscovery/D:activelock"), 1);
    assert_int_equal(xcount(&r, "//D:activelock[D:locktype/D:write and D:lockscope/D:exclusive]"),
                     1);
    v = xstr(&r, "//D:activelock/D:locktoken/D:href");
    assert_non_null(v);
    assert_string_equal(v, tok);
    free(v);
    v = xstr(&r, "//D:activelock/D:owner");
    assert_non_null(v);
    assert_string_equal(v, "it_clients");
    free(v);
    t_resp_release(&r);
    assert_int_equal(unlock(s, "/dav/admin/sl.docx", tok), 204);
}

/* CLIENTS.md "Microsoft Office": Office locks on open, with its own lockinfo
 * (owner as an href holding DOMAIN\\user); a LOCK refused with 400 opens the
 * document read-only. The owner comes back as sent. */
static void
it_office_lock_request_is_accepted(void **state)
{
    struct t_server *s = srv(state);
    static const char body[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\" ?><D:lockinfo xmlns:D=\"DAV:\">"
        "<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
        "<D:owner><D:href>WORKGROUP\\admin</D:href></D:owner></D:lockinfo>";
    struct t_resp r;
    char tok[200];
    char *v;

    assert_int_equal(put_str(s, "/dav/admin/report.docx", "PK"), 201);
    assert_int_equal(t_http(s, &r, "LOCK /dav/admin/report.docx HTTP/1.1\nHost: x\n" T_AUTH
                                   "User-Agent: Microsoft Office Word 2014\n"
                                   "Timeout: Second-3600\nDepth: 0\n"
                                   "Content-Type: text/xml; charset=\"utf-8\"\n"
                                   "Content-Length: %zu\n\n%s", strlen(body), body), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(t_header(&r, "Lock-Token"));
    snprintf(tok, sizeof(tok), "%s", t_header(&r, "Lock-Token") + 1);
    tok[strlen(tok) - 1] = '\0';
    v = xstr(&r, "//D:activelock/D:owner/D:href");
    assert_non_null(v);
    assert_string_equal(v, "WORKGROUP\\admin");
    free(v);
    t_resp_release(&r);
    assert_int_equal(unlock(s, "/dav/admin/report.docx", tok), 204);
}

/* ---- macOS Finder ---- */

/* CLIENTS.md "macOS Finder": ._name and .DS_Store are accepted (201) and
 * stored (rejecting them fails the whole Finder copy), readable directly,
 * and hidden from listings and the HTML index. */
static void
it_finder_appledouble_files_are_stored_and_hidden(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(mkcol(s, "/dav/admin/mac"), 201);
    assert_int_equal(put_str(s, "/dav/admin/mac/photo.jpg", "jpeg"), 201);
    assert_int_equal(put_str(s, "/dav/admin/mac/._photo.jpg", "fork"), 201);
    assert_int_equal(put_str(s, "/dav/admin/mac/.DS_Store", "dsstore"), 201);
    assert_true(file_is(s, "mac/._photo.jpg", "fork", 4));
    assert_true(file_is(s, "mac/.DS_Store", "dsstore", 7));

    assert_int_equal(t_http(s, &r, "GET /dav/admin/mac/._photo.jpg HTTP/1.1\nHost: x\n" T_AUTH
                                   "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 4);
    assert_memory_equal(r.body, "fork", 4);
    t_resp_release(&r);
    /* Finder PROPFINDs the forks directly; missing ones make it loop */
    propfind(s, &r, "/dav/admin/mac/._photo.jpg", "0", NULL);
    assert_int_equal(r.status, 207);
    t_resp_release(&r);
    propfind(s, &r, "/dav/admin/mac/.DS_Store", "0", NULL);
    assert_int_equal(r.status, 207);
    t_resp_release(&r);

    propfind(s, &r, "/dav/admin/mac/", "1", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "/D:multistatus/D:response"), 2);
    assert_int_equal(xcount(&r, "//D:href[contains(., 'photo.jpg')]"), 1);
    assert_int_equal(xcount(&r, "//D:href[contains(., '._') or contains(., 'DS_Store')]"), 0);
    t_resp_release(&r);
    propfind(s, &r, "/dav/admin/mac/", "infinity", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:href[contains(., '._') or contains(., 'DS_Store')]"), 0);
    t_resp_release(&r);

    assert_int_equal(t_http(s, &r, "GET /dav/admin/mac/ HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "photo.jpg"));
    assert_null(strstr(r.body, "._photo"));
    assert_null(strstr(r.body, "DS_Store"));
    t_resp_release(&r);

    /* Finder deletes the folder with its hidden files */
    assert_int_equal(simple(s, "DELETE", "/dav/admin/mac/", ""), 204);
    assert_false(t_file_exists(s, "mac"));
}

/* CLIENTS.md "macOS Finder", character sets: a name sent decomposed (NFD)
 * and later requested composed (NFC) reaches the same file, and the other
 * way round; a listing shows one entry. */
static void
it_finder_nfd_name_reaches_composed_file(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(mkcol(s, "/dav/admin/nfd"), 201);
    assert_int_equal(put_str(s, "/dav/admin/nfd/u%CC%88.txt", "umlaut"), 201);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/nfd/%%C3%%BC.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 6);
    assert_memory_equal(r.body, "umlaut", 6);
    t_resp_release(&r);
    /* writing through the composed name replaces it, no second file */
    assert_int_equal(put_str(s, "/dav/admin/nfd/%C3%BC.txt", "again"), 204);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/nfd/u%%CC%%88.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "again", 5);
    t_resp_release(&r);
    propfind(s, &r, "/dav/admin/nfd/", "1", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "/D:multistatus/D:response"), 2);
    t_resp_release(&r);
    /* a folder name too */
    assert_int_equal(mkcol(s, "/dav/admin/nfd/Cafe%CC%81"), 201);
    assert_int_equal(put_str(s, "/dav/admin/nfd/Caf%C3%A9/in.txt", "in"), 201);
    assert_int_equal(simple(s, "GET", "/dav/admin/nfd/Cafe%CC%81/in.txt", ""), 200);
}

/* CLIENTS.md "macOS Finder": getlastmodified in GMT (RFC 1123), and GET
 * answers carry Content-Length (not chunked). */
static void
it_finder_getlastmodified_is_gmt_and_get_has_content_length(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    struct tm tm;
    char *v;
    const char *end;

    assert_int_equal(put_str(s, "/dav/admin/gmt.txt", "0123456789"), 201);
    assert_int_equal(put(s, "/dav/admin/empty.txt", "", 0, ""), 201);
    propfind(s, &r, "/dav/admin/gmt.txt", "0", NULL);
    v = xstr(&r, "//D:getlastmodified");
    assert_non_null(v);
    assert_true(strlen(v) > 4 && strcmp(v + strlen(v) - 4, " GMT") == 0);
    memset(&tm, 0, sizeof(tm));
    end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_non_null(end);
    assert_int_equal(*end, '\0');
    assert_true(llabs((long long)timegm(&tm) - (long long)stat_of(s, "gmt.txt").st_mtime) <= 1);
    free(v);
    t_resp_release(&r);

    assert_int_equal(t_http(s, &r, "GET /dav/admin/gmt.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(t_header(&r, "Content-Length"));
    assert_string_equal(t_header(&r, "Content-Length"), "10");
    assert_null(t_header(&r, "Transfer-Encoding"));
    assert_non_null(t_header(&r, "Last-Modified"));
    assert_non_null(strstr(t_header(&r, "Last-Modified"), " GMT"));
    t_resp_release(&r);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/empty.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    assert_int_equal(r.status, 200);
    assert_non_null(t_header(&r, "Content-Length"));
    assert_string_equal(t_header(&r, "Content-Length"), "0");
    t_resp_release(&r);
}

/* CLIENTS.md "macOS Finder": GET and PROPFIND must not block on the
 * client's own write lock (no token is sent on reads). */
static void
it_finder_reads_of_locked_file_work_without_token(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char tok[200];

    assert_int_equal(put_str(s, "/dav/admin/readlocked.txt", "readable"), 201);
    assert_int_equal(lock(s, "/dav/admin/readlocked.txt", "", tok, sizeof(tok)), 200);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/readlocked.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 8);
    t_resp_release(&r);
    propfind(s, &r, "/dav/admin/readlocked.txt", "0", NULL);
    assert_int_equal(r.status, 207);
    t_resp_release(&r);
    assert_int_equal(simple(s, "HEAD", "/dav/admin/readlocked.txt", ""), 200);
    assert_int_equal(unlock(s, "/dav/admin/readlocked.txt", tok), 204);
}

/* ---- iOS / Android apps ---- */

/* CLIENTS.md "iOS / Android apps": resourcetype empty for files and exactly
 * D:collection for collections (else Documents shows files as folders);
 * getcontenttype and getcontentlength for files. */
static void
it_mobile_resourcetype_and_content_props_are_exact(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char *v;

    assert_int_equal(mkcol(s, "/dav/admin/mob"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/mob/folder"), 201);
    assert_int_equal(put_str(s, "/dav/admin/mob/song.mp3", "ID3-not-really"), 201);
    propfind(s, &r, "/dav/admin/mob/", "1", NULL);
    assert_multistatus_well_formed(&r);
    /* the file */
    assert_int_equal(xcount(&r, "//D:response[D:href = '/dav/admin/mob/song.mp3']"
                                "//D:prop/D:resourcetype"), 1);
    assert_int_equal(xcount(&r, "//D:response[D:href = '/dav/admin/mob/song.mp3']"
                                "//D:prop/D:resourcetype/node()"), 0);
    v = xstr(&r, "//D:response[D:href = '/dav/admin/mob/song.mp3']//D:getcontentlength");
    assert_non_null(v);
    assert_string_equal(v, "14");
    free(v);
    v = xstr(&r, "//D:response[D:href = '/dav/admin/mob/song.mp3']//D:getcontenttype");
    assert_non_null(v);
    assert_true(strlen(v) > 3 && strchr(v, '/') != NULL);
    print_message("song.mp3 is %s\n", v);
    free(v);
    /* the collections */
    assert_int_equal(xcount(&r, "//D:response[D:href = '/dav/admin/mob/folder/' or "
                                "D:href = '/dav/admin/mob/']//D:prop/D:resourcetype"
                                "[count(*) = 1 and D:collection]"), 2);
    t_resp_release(&r);
}

/* CLIENTS.md "iOS / Android apps": a well-formed multistatus (href plus
 * propstats with status; Infuse, Solid Explorer) for allprop, named props
 * with unknown ones, propname, and the virtual collections. */
static void
it_mobile_multistatus_is_well_formed(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    static const char *const bodies[] = {
        NULL,
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>",
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:propname/></D:propfind>",
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" xmlns:E=\"urn:x-unknown\"><D:prop>"
        "<D:displayname/><D:getcontentlength/><D:resourcetype/><E:nothing/>"
        "<D:quota-available-bytes/></D:prop></D:propfind>",
    };
    static const char *const paths[] = { "/dav/admin/msf/", "/dav/admin/", "/dav/", "/" };

    assert_int_equal(mkcol(s, "/dav/admin/msf"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/msf/d"), 201);
    assert_int_equal(put_str(s, "/dav/admin/msf/f.txt", "f"), 201);
    for (size_t p = 0; p < 4; p++)
        for (size_t b = 0; b < 4; b++) {
            print_message("PROPFIND %s body %zu\n", paths[p], b);
            propfind(s, &r, paths[p], "1", bodies[b]);
            assert_multistatus_well_formed(&r);
            t_resp_release(&r);
        }
    /* unknown properties come back in a 404 propstat of every response */
    propfind(s, &r, "/dav/admin/msf/", "1", bodies[3]);
    assert_int_equal(xcount(&r, "/D:multistatus/D:response"), 3);
    assert_int_equal(xcount(&r, "//D:response[D:propstat[contains(D:status, ' 404 ')]/D:prop/"
                                "*[local-name() = 'nothing']]"), 3);
    t_resp_release(&r);
}

/* CLIENTS.md "iOS / Android apps" and "Windows Explorer": a non-empty
 * displayname (PotPlayer, Infuse) for a file, a collection, the repository
 * root and the virtual roots, equal to the path segment. */
static void
it_mobile_displayname_is_non_empty_and_equals_segment(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    char *v;

    assert_int_equal(mkcol(s, "/dav/admin/dn"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/dn/sub%20folder"), 201);
    assert_int_equal(put_str(s, "/dav/admin/dn/na%C3%AFve%20file.txt", "x"), 201);
    propfind(s, &r, "/dav/admin/dn/", "1", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:response[not(.//D:displayname) or "
                                ".//D:displayname = '']"), 0);
    v = xstr(&r, "//D:response[D:href = '/dav/admin/dn/na%%C3%%AFve%%20file.txt']"
                 "//D:displayname");
    assert_non_null(v);
    assert_string_equal(v, "na\xc3\xafve file.txt");
    free(v);
    v = xstr(&r, "//D:response[D:href = '/dav/admin/dn/sub%%20folder/']//D:displayname");
    assert_non_null(v);
    assert_string_equal(v, "sub folder");
    free(v);
    v = xstr(&r, "//D:response[D:href = '/dav/admin/dn/']//D:displayname");
    assert_non_null(v);
    assert_string_equal(v, "dn");
    free(v);
    t_resp_release(&r);

    propfind(s, &r, "/dav/admin/", "0", NULL);
    v = xstr(&r, "//D:displayname");
    assert_non_null(v);
    assert_string_equal(v, "admin");
    free(v);
    t_resp_release(&r);
    propfind(s, &r, "/dav/", "1", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:response[not(.//D:displayname) or "
                                ".//D:displayname = '']"), 0);
    t_resp_release(&r);
    propfind(s, &r, "/", "1", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(xcount(&r, "//D:response[not(.//D:displayname) or "
                                ".//D:displayname = '']"), 0);
    t_resp_release(&r);
}

/* CLIENTS.md "iOS / Android apps": HEAD on files works (ccViewer): 200,
 * Content-Length and ETag, no body (the connection stays usable). */
static void
it_mobile_head_on_file_works(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    int fd;

    assert_int_equal(put_str(s, "/dav/admin/head.txt", "twelve bytes"), 201);
    fd = t_conn_open(s);
    assert_true(fd >= 0);
    assert_int_equal(t_conn_send(fd, "HEAD /dav/admin/head.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    assert_int_equal(t_conn_read(fd, &r, true, 0), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(t_header(&r, "Content-Length"));
    assert_string_equal(t_header(&r, "Content-Length"), "12");
    assert_non_null(t_header(&r, "ETag"));
    t_resp_release(&r);
    /* had HEAD sent a body, this answer would not parse */
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/head.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    assert_int_equal(t_conn_read(fd, &r, false, 0), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 12);
    assert_memory_equal(r.body, "twelve bytes", 12);
    t_resp_release(&r);
    close(fd);
}

/* CLIENTS.md "iOS / Android apps", correct byte ranges (Infuse, VLC,
 * DAVx5's 416 at exact 2 MiB multiples). */
static void
it_mobile_ranges_at_2mib_boundaries(void **state)
{
    struct t_server *s = srv(state);
    const size_t n = 2097152;
    unsigned char *data = pattern(n);
    struct t_resp r;

    assert_int_equal(put(s, "/dav/admin/two.bin", data, n, ""), 201);
    assert_true(file_is(s, "two.bin", data, n));

    assert_int_equal(t_http(s, &r, "GET /dav/admin/two.bin HTTP/1.1\nHost: x\n" T_AUTH
                                   "Range: bytes=0-2097151\n\n"), 0);
    assert_int_equal(r.status, 206);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes 0-2097151/2097152");
    assert_int_equal(r.body_len, n);
    assert_memory_equal(r.body, data, n);
    t_resp_release(&r);

    assert_int_equal(t_http(s, &r, "GET /dav/admin/two.bin HTTP/1.1\nHost: x\n" T_AUTH
                                   "Range: bytes=2097152-\n\n"), 0);
    assert_int_equal(r.status, 416);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes */2097152");
    t_resp_release(&r);

    assert_int_equal(t_http(s, &r, "GET /dav/admin/two.bin HTTP/1.1\nHost: x\n" T_AUTH
                                   "Range: bytes=1048576-4194303\n\n"), 0);
    assert_int_equal(r.status, 206);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes 1048576-2097151/2097152");
    assert_int_equal(r.body_len, n / 2);
    assert_memory_equal(r.body, data + n / 2, n / 2);
    t_resp_release(&r);

    /* the last byte, and a suffix range */
    assert_int_equal(t_http(s, &r, "GET /dav/admin/two.bin HTTP/1.1\nHost: x\n" T_AUTH
                                   "Range: bytes=2097151-2097151\n\n"), 0);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.body_len, 1);
    assert_int_equal((unsigned char)r.body[0], data[n - 1]);
    t_resp_release(&r);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/two.bin HTTP/1.1\nHost: x\n" T_AUTH
                                   "Range: bytes=-100\n\n"), 0);
    assert_int_equal(r.status, 206);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes 2097052-2097151/2097152");
    assert_int_equal(r.body_len, 100);
    assert_memory_equal(r.body, data + n - 100, 100);
    t_resp_release(&r);
    free(data);
}

/* CLIENTS.md "iOS / Android apps", avoid redirects (some apps cannot follow
 * a 302 on PROPFIND): no 3xx and no Location anywhere. */
static void
it_no_redirects_anywhere(void **state)
{
    struct t_server *s = srv(state);
    static const char *const methods[] = { "OPTIONS", "PROPFIND", "GET", "HEAD" };
    static const char *const paths[] = {
        "/", "/dav", "/dav/", "/dav/admin", "/dav/admin/", "/dav/admin/redir",
        "/dav/admin/redir/", "/dav/admin/redir/f.txt", "/dav//admin///redir",
        "/dav/admin/./redir/../redir", "/dav/admin/missing", "/index.html",
    };

    assert_int_equal(mkcol(s, "/dav/admin/redir"), 201);
    assert_int_equal(put_str(s, "/dav/admin/redir/f.txt", "f"), 201);
    for (size_t m = 0; m < 4; m++)
        for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
            for (int auth = 0; auth < 2; auth++) {
                struct t_resp r;

                assert_int_equal(t_http(s, &r, "%s %s HTTP/1.1\nHost: x\n%sDepth: 0\n"
                                               "Content-Length: 0\n\n", methods[m], paths[p],
                                        auth ? T_AUTH : ""), 0);
                if (r.status >= 300 && r.status < 400)
                    print_message("%s %s -> %d\n", methods[m], paths[p], r.status);
                assert_false(r.status >= 300 && r.status < 400);
                assert_null(t_header(&r, "Location"));
                t_resp_release(&r);
            }
}

/* ---- rclone ---- */

/* CLIENTS.md "Win32 properties" (rclone #5171) and rclone's owncloud vendor:
 * X-OC-Mtime on PUT sets the file's mtime and is acknowledged with
 * "X-OC-Mtime: accepted", or rclone re-uploads every file. */
static void
it_rclone_x_oc_mtime_sets_mtime(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    struct stat st;

    assert_int_equal(t_http(s, &r, "PUT /dav/admin/ocmtime.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "X-OC-Mtime: 1136214245\nContent-Length: 2\n\nok"), 0);
    assert_int_equal(r.status, 201);
    assert_non_null(t_header(&r, "X-OC-Mtime"));
    assert_string_equal(t_header(&r, "X-OC-Mtime"), "accepted");
    t_resp_release(&r);
    st = stat_of(s, "ocmtime.txt");
    assert_int_equal(st.st_mtime, T_MTIME);

    /* with a fraction (rclone sends nanoseconds when it has them) */
    assert_int_equal(t_http(s, &r, "PUT /dav/admin/ocmtime.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "X-OC-Mtime: 1136214245.5\nContent-Length: 3\n\nok2"), 0);
    assert_int_equal(r.status, 204);
    assert_string_equal(t_header(&r, "X-OC-Mtime"), "accepted");
    t_resp_release(&r);
    st = stat_of(s, "ocmtime.txt");
    assert_int_equal(st.st_mtim.tv_sec, T_MTIME);
    assert_int_equal(st.st_mtim.tv_nsec, 500000000);

    /* without the header the mtime is now, and no acknowledgement */
    assert_int_equal(t_http(s, &r, "PUT /dav/admin/ocmtime2.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "Content-Length: 2\n\nok"), 0);
    assert_int_equal(r.status, 201);
    assert_null(t_header(&r, "X-OC-Mtime"));
    t_resp_release(&r);
    assert_true(llabs((long long)stat_of(s, "ocmtime2.txt").st_mtime - (long long)time(NULL)) <
                60);
}

/* ---- General HTTP hygiene ---- */

/* CLIENTS.md "General HTTP hygiene": accept Windows-1252 input where it can
 * be decoded: %E9 reaches the file named with UTF-8 %C3%A9. */
static void
it_windows1252_path_reaches_utf8_file(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(put_str(s, "/dav/admin/caf%C3%A9.txt", "coffee"), 201);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/caf%%E9.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 6);
    assert_memory_equal(r.body, "coffee", 6);
    t_resp_release(&r);
    /* written through the Windows-1252 spelling: stored as UTF-8 */
    assert_int_equal(put_str(s, "/dav/admin/na%EFve.txt", "naive"), 201);
    assert_true(file_is(s, "na\xc3\xafve.txt", "naive", 5));
    assert_int_equal(simple(s, "GET", "/dav/admin/na%C3%AFve.txt", ""), 200);
}

/* CLIENTS.md "General HTTP hygiene": hrefs are UTF-8, percent-encoded, and
 * lead back to the resource. */
static void
it_hrefs_are_percent_encoded_utf8(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;
    int n;

    assert_int_equal(mkcol(s, "/dav/admin/hr"), 201);
    assert_int_equal(put_str(s, "/dav/admin/hr/%C3%BC%20%C3%B1%20%23%3F%25.txt", "x"), 201);
    assert_int_equal(mkcol(s, "/dav/admin/hr/d%C3%AEr%20x"), 201);
    propfind(s, &r, "/dav/admin/hr/", "1", NULL);
    assert_int_equal(r.status, 207);
    n = xcount(&r, "//D:response/D:href");
    assert_int_equal(n, 3);
    for (int i = 1; i <= n; i++) {
        char *h = xstr(&r, "(//D:response/D:href)[%d]", i);
        char dec[600];
        struct t_resp g;

        assert_non_null(h);
        print_message("href %s\n", h);
        assert_true(href_is_encoded(h));
        assert_null(strchr(h, '#'));
        assert_null(strchr(h, '?'));
        pct_decode(h, dec);
        assert_true(strncmp(dec, "/dav/admin/hr/", 14) == 0);
        /* the href leads back */
        assert_int_equal(t_http(s, &g, "PROPFIND %s HTTP/1.1\nHost: x\n" T_AUTH
                                       "Depth: 0\nContent-Length: 0\n\n", h), 0);
        assert_int_equal(g.status, 207);
        t_resp_release(&g);
        free(h);
    }
    assert_int_equal(xcount(&r, "//D:href[. = '/dav/admin/hr/%%C3%%BC%%20%%C3%%B1%%20%%23%%3F"
                                "%%25.txt']"), 1);
    t_resp_release(&r);
}

/* CLIENTS.md "General HTTP hygiene", no XML whitespace problems (old
 * Windows): the 207 starts with the XML declaration and has no whitespace
 * text between elements. */
static void
it_multistatus_has_no_stray_whitespace(void **state)
{
    struct t_server *s = srv(state);
    struct t_resp r;

    assert_int_equal(mkcol(s, "/dav/admin/ws"), 201);
    assert_int_equal(put_str(s, "/dav/admin/ws/f.txt", "f"), 201);
    propfind(s, &r, "/dav/admin/ws/", "1", NULL);
    assert_int_equal(r.status, 207);
    assert_true(strncmp(r.body, "<?xml", 5) == 0);
    assert_int_equal(xcount(&r, "/D:multistatus//*[*]/text()[normalize-space(.) = '']"), 0);
    t_resp_release(&r);
}

#define T(f) cmocka_unit_test_teardown(f, revive)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(it_slashless_collection_propfind_is_207_not_301),
        T(it_slashless_collection_options_is_200_not_301),
        T(it_slashless_collection_get_head_are_200_not_301),
        T(it_slashless_collection_lock_move_delete_work),
        T(it_unauthenticated_options_is_200_with_dav_headers),
        T(it_unauthenticated_requests_get_401_basic_challenge),
        T(it_wrong_password_is_401_not_403),
        T(it_domain_backslash_user_is_accepted),
        T(it_explorer_create_sequence_succeeds),
        T(it_lock_on_unmapped_url_creates_empty_file),
        T(it_win32_proppatch_is_200_each_and_props_come_back),
        T(it_win32_last_modified_time_sets_mtime),
        T(it_office_win32_proppatch_without_token_under_own_lock_is_200),
        T(it_etag_right_after_put_is_strong_and_if_match_succeeds),
        T(it_put_into_missing_parent_is_409),
        T(it_mkcol_into_missing_parent_is_409),
        T(it_copy_move_into_missing_parent_are_409),
        T(it_write_refused_by_lock_is_423_not_207),
        T(it_create_in_locked_collection_is_423),
        T(it_delete_folder_with_locked_member_keeps_it),
        T(it_unlock_accepts_bare_and_bracketed_token),
        T(it_lock_with_one_second_timeout_expires),
        T(it_lock_timeout_infinite_is_capped),
        cmocka_unit_test_setup_teardown(it_lock_timeout_cap_follows_configuration,
                                        own_lock_cap, own_stop),
        T(it_lock_refresh_extends_timeout),
        T(it_propfind_depth_infinity_returns_whole_tree),
        cmocka_unit_test_setup_teardown(it_propfind_infinity_off_is_403_finite_depth,
                                        own_infinity_off, own_stop),
        T(it_finder_chunked_put_with_lock_stores_whole_body),
        T(it_chunked_put_with_wrong_expected_length_is_400_keeps_old),
        T(it_quota_properties_on_collections),
        T(it_browser_index_escapes_names_and_encodes_links),
        T(it_browser_index_links_work_without_trailing_slash),
        T(it_favicon_is_answered_quietly),
        T(it_browser_index_of_empty_folder_is_200),
        T(it_head_on_collection_is_200_not_501),
        T(it_supportedlock_and_lockdiscovery_are_present),
        T(it_office_lock_request_is_accepted),
        T(it_finder_appledouble_files_are_stored_and_hidden),
        T(it_finder_nfd_name_reaches_composed_file),
        T(it_finder_getlastmodified_is_gmt_and_get_has_content_length),
        T(it_finder_reads_of_locked_file_work_without_token),
        T(it_mobile_resourcetype_and_content_props_are_exact),
        T(it_mobile_multistatus_is_well_formed),
        T(it_mobile_displayname_is_non_empty_and_equals_segment),
        T(it_mobile_head_on_file_works),
        T(it_mobile_ranges_at_2mib_boundaries),
        T(it_no_redirects_anywhere),
        T(it_rclone_x_oc_mtime_sets_mtime),
        T(it_windows1252_path_reaches_utf8_file),
        T(it_hrefs_are_percent_encoded_utf8),
        T(it_multistatus_has_no_stray_whitespace),
    };

    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
