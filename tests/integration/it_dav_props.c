/*
 * it_dav_props.c: PROPFIND (RFC 4918 9.1) and PROPPATCH (9.2) against the
 * real cofferd, with the 207 bodies read through XPath ("D:" is DAV:, "T:"
 * http://example.com/t). Tests that need a configuration of their own start
 * a server of their own.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "harness.h"

/* ---- helpers ---- */

static int
it_put(struct t_server *s, const char *path, const char *body)
{
    return t_status(s, "PUT", path, NULL, body);
}

/* printf into a static buffer (one of eight, for nesting in a call). */
static const char *
it_fmt(const char *fmt, ...)
{
    static char buf[8][4096];
    static int next;
    char *out = buf[next++ % 8];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, sizeof(buf[0]), fmt, ap);
    va_end(ap);
    return out;
}

/* The string value of an XPath (malloc'd), asserting that it exists. */
static char *
it_xs(const struct t_resp *r, const char *xpath)
{
    char *v = t_xpath_string(r, xpath);

    if (v == NULL)
        fail_msg("no match for %s in:\n%s", xpath, r->body);
    return v;
}

static void
it_assert_xs(const struct t_resp *r, const char *xpath, const char *want)
{
    char *v = it_xs(r, xpath);

    if (strcmp(v, want) != 0) {
        fail_msg("%s is \"%s\", expected \"%s\"", xpath, v, want);
    }
    free(v);
}

static void
it_assert_xc(const struct t_resp *r, const char *xpath, int want)
{
    int n = t_xpath_count(r, xpath);

    if (n != want)
        fail_msg("%d matches for %s, expected %d, in:\n%.4000s", n, xpath, want, r->body);
}

/* Keeps a copy of a string from it_fmt, whose buffers are reused. */
#define IT_HOLD(var, expr) \
    char var[1024];        \
    snprintf(var, sizeof(var), "%s", (expr))

/* The prop element of response href in its propstat of status. */
static const char *
it_prop(const char *href, int status)
{
    return it_fmt("/D:multistatus/D:response[D:href='%s']/D:propstat[contains(D:status,' %d ')]"
                  "/D:prop", href, status);
}

static const char it_propfind_allprop[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    "<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>";

/* Sums the sizes of regular files under a directory. */
static uint64_t it_du_sum;

static int
it_du_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F && S_ISREG(st->st_mode))
        it_du_sum += (uint64_t)st->st_size;
    return 0;
}

static uint64_t
it_du(const char *dir)
{
    it_du_sum = 0;
    assert_int_equal(nftw(dir, it_du_cb, 16, FTW_PHYS), 0);
    return it_du_sum;
}

/* ---- PROPFIND ---- */

static void
it_propfind_depth_0_describes_only_the_resource(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pf0/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pf0/a.txt", "a"), 201);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pf0/", "Depth: 0\n",
                             it_propfind_allprop), 0);
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, "/D:multistatus/D:response", 1);
    it_assert_xs(&r, "/D:multistatus/D:response/D:href", "/dav/admin/pf0/");
    t_resp_release(&r);
}

static int
it_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Runs with a server of its own (it_fixture_fresh): a response of more than
 * 32 KiB once sent a worker thread into an endless loop (dav_pf_produce
 * returned "more" without producing while cf_conn_respond asked for 64 KiB),
 * and every later request on that worker hung.
 */
static void
it_propfind_depth_1_lists_2000_members_each_once(void **state)
{
    struct t_server *s = *state;
    enum { N = 2000 };
    struct t_resp r;
    char **hrefs, **want;
    size_t nh = 0;

    assert_int_equal(t_mkdir(s, "pf2k"), 0);
    for (int i = 0; i < N; i++) {
        char rel[64];

        snprintf(rel, sizeof(rel), "pf2k/f%04d.txt", i);
        assert_int_equal(t_file_write(s, rel, rel, strlen(rel)), 0);
    }
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pf2k/", "Depth: 1\n",
                             it_propfind_allprop), 0);
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, "/D:multistatus/D:response", N + 1);
    it_assert_xc(&r, "/D:multistatus/D:response/D:href", N + 1);

    /* every href once: the hrefs, sorted, are exactly the expected ones */
    hrefs = calloc(N + 2, sizeof(*hrefs));
    want = calloc(N + 1, sizeof(*want));
    for (const char *p = r.body; (p = strstr(p, "<D:href>")) != NULL && nh < N + 2;) {
        const char *e;

        p += 8;
        e = strstr(p, "</D:href>");
        assert_non_null(e);
        /* lockroot hrefs are inside lockdiscovery: there are no locks here */
        hrefs[nh++] = strndup(p, (size_t)(e - p));
        p = e;
    }
    assert_int_equal(nh, N + 1);
    for (int i = 0; i < N; i++)
        assert_true(asprintf(&want[i], "/dav/admin/pf2k/f%04d.txt", i) > 0);
    want[N] = strdup("/dav/admin/pf2k/");
    qsort(hrefs, nh, sizeof(*hrefs), it_strcmp_p);
    qsort(want, N + 1, sizeof(*want), it_strcmp_p);
    for (size_t i = 0; i < nh; i++) {
        if (strcmp(hrefs[i], want[i]) != 0)
            fail_msg("href %zu is %s, expected %s", i, hrefs[i], want[i]);
    }
    for (size_t i = 0; i < nh; i++)
        free(hrefs[i]);
    for (int i = 0; i <= N; i++)
        free(want[i]);
    free(hrefs);
    free(want);
    t_resp_release(&r);
}

static void
it_propfind_depth_infinity_walks_the_tree(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    static const char *const hrefs[] = {
        "/dav/admin/pfi/", "/dav/admin/pfi/a.txt", "/dav/admin/pfi/s/",
        "/dav/admin/pfi/s/b.txt", "/dav/admin/pfi/s/t/", "/dav/admin/pfi/s/t/c.txt",
    };

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfi/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfi/a.txt", "a"), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfi/s/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfi/s/b.txt", "b"), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfi/s/t/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfi/s/t/c.txt", "c"), 201);

    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfi/", "Depth: infinity\n",
                             it_propfind_allprop), 0);
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, "/D:multistatus/D:response", 6);
    for (size_t i = 0; i < sizeof(hrefs) / sizeof(hrefs[0]); i++)
        it_assert_xc(&r, it_fmt("/D:multistatus/D:response[D:href='%s']", hrefs[i]), 1);
    t_resp_release(&r);

    /* RFC 4918 9.1: no Depth header means infinity */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfi/s/", NULL, it_propfind_allprop), 0);
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, "/D:multistatus/D:response", 4);
    t_resp_release(&r);

    /* and Depth 1 stops at the members */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfi/", "Depth: 1\n",
                             it_propfind_allprop), 0);
    it_assert_xc(&r, "/D:multistatus/D:response", 3);
    it_assert_xc(&r, "/D:multistatus/D:response[D:href='/dav/admin/pfi/s/b.txt']", 0);
    t_resp_release(&r);
}

/* Counts the occurrences of needle in the body. */
static int
it_count(const struct t_resp *r, const char *needle)
{
    int n = 0;

    for (const char *p = r->body; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/*
 * Every member gets its own dead properties, though they come from one
 * query per collection: 200 members (the table of them grows four times),
 * a second namespace on every third, nine namespaces on one (more than are
 * declared on the multistatus) and, for Depth infinity, a collection below
 * whose namespace is new. A namespace the members share is declared once.
 */
static void
it_propfind_members_get_their_own_dead_properties(void **state)
{
    struct t_server *s = *state;
    enum { N = 200 };
    struct t_resp r;
    char path[128], body[2048], more[1024];
    size_t at = 0;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfd/", NULL, NULL), 201);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof(path), "/dav/admin/pfd/m%03d.txt", i);
        assert_int_equal(it_put(s, path, "m"), 201);
        snprintf(body, sizeof(body),
                 "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                 "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"http://example.com/t\">"
                 "<D:set><D:prop><T:n>%d</T:n>%s</D:prop></D:set></D:propertyupdate>",
                 i, i % 3 == 0 ? "<B:third xmlns:B=\"urn:example:b\">yes</B:third>" : "");
        assert_int_equal(t_status(s, "PROPPATCH", path, NULL, body), 207);
    }
    for (int k = 0; k < 9; k++)
        at += (size_t)snprintf(more + at, sizeof(more) - at,
                               "<Q:p%d xmlns:Q=\"urn:example:ns%d\">v%d</Q:p%d>", k, k, k, k);
    assert_int_equal(it_put(s, "/dav/admin/pfd/nine.txt", "9"), 201);
    snprintf(body, sizeof(body),
             "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propertyupdate xmlns:D=\"DAV:\">"
             "<D:set><D:prop>%s</D:prop></D:set></D:propertyupdate>", more);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/pfd/nine.txt", NULL, body), 207);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfd/sub/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfd/sub/deep.txt", "d"), 201);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/pfd/sub/deep.txt", NULL,
                              "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                              "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop>"
                              "<Z:deep xmlns:Z=\"urn:example:deep\">down</Z:deep>"
                              "</D:prop></D:set></D:propertyupdate>"), 207);

    for (int round = 0; round < 2; round++) {
        assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfd/",
                                 round == 0 ? "Depth: 1\n" : "Depth: infinity\n",
                                 it_propfind_allprop), 0);
        assert_int_equal(r.status, 207);
        it_assert_xc(&r, "/D:multistatus/D:response", N + 3 + round);
        for (int i = 0; i < N; i++) {
            IT_HOLD(prop, it_prop(it_fmt("/dav/admin/pfd/m%03d.txt", i), 200));

            it_assert_xs(&r, it_fmt("%s/T:n", prop), it_fmt("%d", i));
            it_assert_xc(&r, it_fmt("%s/*[namespace-uri()='urn:example:b']", prop),
                         i % 3 == 0);
            it_assert_xc(&r, it_fmt("%s/*[namespace-uri()!='DAV:']", prop),
                         1 + (i % 3 == 0));
        }
        IT_HOLD(nine, it_prop("/dav/admin/pfd/nine.txt", 200));
        for (int k = 0; k < 9; k++)
            it_assert_xs(&r, it_fmt("%s/*[local-name()='p%d' and "
                                    "namespace-uri()='urn:example:ns%d']", nine, k, k),
                         it_fmt("v%d", k));
        /* the shared namespace is declared once, on the multistatus */
        assert_int_equal(it_count(&r, "\"http://example.com/t\""), 1);
        it_assert_xc(&r, "/D:multistatus/namespace::*[.='http://example.com/t']", 1);
        if (round == 1)
            it_assert_xs(&r, it_fmt("%s/*[local-name()='deep' and "
                                    "namespace-uri()='urn:example:deep']",
                                    it_prop("/dav/admin/pfd/sub/deep.txt", 200)), "down");
        t_resp_release(&r);
    }
}

/*
 * RFC 4918 15.8: lockdiscovery is there and empty (in its short form)
 * while nothing is locked, and shows the lock once there is one.
 */
static void
it_propfind_lockdiscovery_is_empty_until_locked(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char token[256];
    const char *h;
    IT_HOLD(prop, it_prop("/dav/admin/pfl.txt", 200));

    assert_int_equal(it_put(s, "/dav/admin/pfl.txt", "l"), 201);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfl.txt", "Depth: 0\n",
                             it_propfind_allprop), 0);
    it_assert_xc(&r, it_fmt("%s/D:lockdiscovery", prop), 1);
    it_assert_xc(&r, it_fmt("%s/D:lockdiscovery/node()", prop), 0);
    assert_non_null(strstr(r.body, "<D:lockdiscovery/>"));
    t_resp_release(&r);

    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/pfl.txt", "Timeout: Second-60\n",
                             "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                             "<D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/>"
                             "</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"),
                     0);
    assert_int_equal(r.status, 200);
    assert_non_null(h = t_header(&r, "Lock-Token"));
    snprintf(token, sizeof(token), "Lock-Token: %s\n", h);
    t_resp_release(&r);

    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfl.txt", "Depth: 0\n",
                             it_propfind_allprop), 0);
    it_assert_xc(&r, it_fmt("%s/D:lockdiscovery/D:activelock", prop), 1);
    it_assert_xc(&r, it_fmt("%s/D:lockdiscovery/D:activelock/D:lockscope/D:exclusive", prop),
                 1);
    t_resp_release(&r);
    assert_int_equal(t_status(s, "UNLOCK", "/dav/admin/pfl.txt", token, NULL), 204);
}

static void
it_propfind_allprop_of_a_file_has_the_live_properties(void **state)
{
    struct t_server *s = *state;
    static const char *const live[] = {
        "creationdate", "displayname", "getcontentlength", "getcontenttype", "getetag",
        "getlastmodified", "resourcetype", "lockdiscovery", "supportedlock",
    };
    struct t_resp r;
    IT_HOLD(prop, it_prop("/dav/admin/pfa.txt", 200));

    assert_int_equal(it_put(s, "/dav/admin/pfa.txt", "twelve bytes"), 201);
    /* an allprop body, and no body at all, which means allprop (9.1) */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfa.txt", "Depth: 0\n",
                                 round == 0 ? it_propfind_allprop : NULL), 0);
        assert_int_equal(r.status, 207);
        for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
            it_assert_xc(&r, it_fmt("%s/D:%s", prop, live[i]), 1);
        it_assert_xs(&r, it_fmt("%s/D:getcontentlength", prop), "12");
        it_assert_xs(&r, it_fmt("%s/D:getcontenttype", prop), "text/plain");
        it_assert_xs(&r, it_fmt("%s/D:displayname", prop), "pfa.txt");
        it_assert_xc(&r, it_fmt("%s/D:resourcetype/*", prop), 0);
        it_assert_xc(&r, it_fmt("%s/D:supportedlock/D:lockentry", prop), 2);
        /* RFC 4331 3: the quota properties are not part of allprop */
        it_assert_xc(&r, "//D:quota-available-bytes", 0);
        it_assert_xc(&r, "//D:propstat[not(contains(D:status,' 200 '))]", 0);
        t_resp_release(&r);
    }
}

static void
it_propfind_collection_is_a_collection_with_a_slash_href(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfc/", NULL, NULL), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfc/sub/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfc/file.txt", "f"), 201);
    /* asked without the slash, the href still ends in one (RFC 4918 8.3) */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfc", "Depth: 1\n",
                             it_propfind_allprop), 0);
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, "/D:multistatus/D:response", 3);
    it_assert_xc(&r, it_fmt("%s/D:resourcetype/D:collection", it_prop("/dav/admin/pfc/", 200)), 1);
    it_assert_xc(&r, it_fmt("%s/D:resourcetype/D:collection",
                            it_prop("/dav/admin/pfc/sub/", 200)), 1);
    it_assert_xc(&r, it_fmt("%s/D:resourcetype/*", it_prop("/dav/admin/pfc/file.txt", 200)), 0);
    /* a collection has no getcontentlength in allprop */
    it_assert_xc(&r, it_fmt("%s/D:getcontentlength", it_prop("/dav/admin/pfc/sub/", 200)), 0);
    t_resp_release(&r);
}

/*
 * The server keeps folder listings between requests (storage/stor_dcache.c):
 * a file changed on the disk behind its back, in place or replaced, and a
 * file added, show in the next listing.
 */
static void
it_propfind_listing_shows_changes_made_on_the_disk(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    IT_HOLD(prop, it_prop("/dav/admin/pfdisk/f.txt", 200));

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfdisk/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfdisk/f.txt", "four"), 201);
    for (int round = 0; round < 4; round++) {
        static const char *const body[] = { "four", "four", "now ten by", "3!!" };
        static const char *const len[] = { "4", "4", "10", "3" };

        if (round == 2) {
            /* in place, as an editor that keeps the inode would */
            int fd = open(it_fmt("%s/pfdisk/f.txt", s->repo_admin), O_WRONLY | O_TRUNC);

            assert_true(fd >= 0);
            assert_int_equal(write(fd, body[2], 10), 10);
            close(fd);
        } else if (round == 3) {
            assert_int_equal(t_file_write(s, "pfdisk/f.txt", body[3], 3), 0);
            assert_int_equal(t_file_write(s, "pfdisk/new.txt", "n", 1), 0);
        }
        assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfdisk/", "Depth: 1\n",
                                 it_propfind_allprop), 0);
        assert_int_equal(r.status, 207);
        it_assert_xs(&r, it_fmt("%s/D:getcontentlength", prop), len[round]);
        it_assert_xc(&r, "/D:multistatus/D:response", round == 3 ? 3 : 2);
        t_resp_release(&r);
    }
}

/* PROPPATCH setting T:v of path to value (or removing it, value NULL). */
static const char *
it_patch_v(const char *value)
{
    return value != NULL
        ? it_fmt("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                 "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"urn:example:t\">"
                 "<D:set><D:prop><T:v>%s</T:v></D:prop></D:set></D:propertyupdate>", value)
        : "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
          "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"urn:example:t\">"
          "<D:remove><D:prop><T:v/></D:prop></D:remove></D:propertyupdate>";
}

/* What a Depth 1 listing of /dav/admin/pfv/ says T:v of member is ("" if none). */
static const char *
it_listed_v(struct t_resp *r, const char *member)
{
    char *v;
    const char *out;

    assert_int_equal(r->status, 207);
    v = t_xpath_string(r, it_fmt("%s/*[local-name()='v']",
                                  it_prop(it_fmt("/dav/admin/pfv/%s", member), 200)));
    out = it_fmt("%s", v != NULL ? v : "");
    free(v);
    return out;
}

/*
 * A thread keeps the dead properties of the collection it listed last while
 * its database connection sees no write: every change, made on the same
 * connection or another, by PROPPATCH, MOVE or DELETE, shows in the next
 * listing.
 */
static void
it_propfind_dead_properties_follow_every_change(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char req[2048];
    int fd;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfv/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfv/a.txt", "a"), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfv/b.txt", "b"), 201);
    /* new connections: either worker thread, in turn */
    for (int round = 0; round < 6; round++) {
        char v[8];

        snprintf(v, sizeof(v), "v%d", round);

        assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/pfv/a.txt", NULL, it_patch_v(v)),
                         207);
        for (int again = 0; again < 2; again++) {
            assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfv/", "Depth: 1\n",
                                     it_propfind_allprop), 0);
            assert_string_equal(it_listed_v(&r, "a.txt"), v);
            t_resp_release(&r);
        }
    }
    /* one connection: the same thread lists, changes and lists again */
    fd = t_conn_open(s);
    assert_true(fd >= 0);
    for (int round = 0; round < 3; round++) {
        char want[16], body[512];

        snprintf(want, sizeof(want), round == 2 ? "" : "same%d", round);
        snprintf(body, sizeof(body), "%s", it_patch_v(round == 2 ? NULL : want));

        snprintf(req, sizeof(req), "PROPPATCH /dav/admin/pfv/b.txt HTTP/1.1\r\nHost: x\r\n"
                 "Authorization: Basic YWRtaW46Q29mZmVyLXRlc3QtcHcx\r\n"
                 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
        assert_int_equal(t_conn_send_raw(fd, req, strlen(req)), 0);
        assert_int_equal(t_conn_read(fd, &r, false, 5000), 0);
        assert_int_equal(r.status, 207);
        t_resp_release(&r);
        snprintf(req, sizeof(req), "PROPFIND /dav/admin/pfv/ HTTP/1.1\r\nHost: x\r\n"
                 "Authorization: Basic YWRtaW46Q29mZmVyLXRlc3QtcHcx\r\nDepth: 1\r\n"
                 "Content-Length: %zu\r\n\r\n%s", strlen(it_propfind_allprop),
                 it_propfind_allprop);
        assert_int_equal(t_conn_send_raw(fd, req, strlen(req)), 0);
        assert_int_equal(t_conn_read(fd, &r, false, 5000), 0);
        assert_string_equal(it_listed_v(&r, "b.txt"), want);
        t_resp_release(&r);
    }
    close(fd);
    /* properties travel with a MOVE and go with a DELETE */
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/pfv/a.txt",
                              "Destination: /dav/admin/pfv/c.txt\n", NULL), 201);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfv/", "Depth: 1\n",
                             it_propfind_allprop), 0);
    assert_string_equal(it_listed_v(&r, "c.txt"), "v5");
    it_assert_xc(&r, "/D:multistatus/D:response[D:href='/dav/admin/pfv/a.txt']", 0);
    t_resp_release(&r);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/pfv/c.txt", NULL, NULL), 204);
    assert_int_equal(it_put(s, "/dav/admin/pfv/c.txt", "new"), 201);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfv/", "Depth: 1\n",
                             it_propfind_allprop), 0);
    assert_string_equal(it_listed_v(&r, "c.txt"), "");
    t_resp_release(&r);
}

static void
it_propfind_hrefs_are_percent_encoded(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char *href;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfenc/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/pfenc/a%20b%20%C3%A9.txt", "u"), 201);
    assert_true(t_file_exists(s, "pfenc/a b \xC3\xA9.txt"));
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/pfenc/dir%20x%E2%82%AC/", NULL, NULL), 201);
    assert_true(t_file_exists(s, "pfenc/dir x\xE2\x82\xAC"));

    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfenc/", "Depth: 1\n",
                             it_propfind_allprop), 0);
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, "/D:multistatus/D:response", 3);
    /* RFC 4918 8.3.1: hrefs are URIs; the hex digits' case is free */
    href = it_xs(&r, "/D:multistatus/D:response[D:propstat/D:prop/D:displayname="
                     "'a b \xC3\xA9.txt']/D:href");
    assert_true(strcasecmp(href, "/dav/admin/pfenc/a%20b%20%C3%A9.txt") == 0);
    free(href);
    href = it_xs(&r, "/D:multistatus/D:response[D:propstat/D:prop/D:displayname="
                     "'dir x\xE2\x82\xAC']/D:href");
    assert_true(strcasecmp(href, "/dav/admin/pfenc/dir%20x%E2%82%AC/") == 0);
    free(href);
    /* no raw space or byte above 0x7f in any href */
    it_assert_xc(&r, "//D:href[contains(., ' ')]", 0);
    t_resp_release(&r);
    /* and the href, sent back, names the resource */
    assert_int_equal(t_status(s, "GET", "/dav/admin/pfenc/a%20b%20%C3%A9.txt", NULL, NULL), 200);
}

static void
it_propfind_allprop_include_adds_quota_available_bytes(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                       "<D:propfind xmlns:D=\"DAV:\"><D:allprop/><D:include>"
                       "<D:quota-available-bytes/></D:include></D:propfind>";
    char *v;
    IT_HOLD(prop, it_prop("/dav/admin/", 200));

    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/", "Depth: 0\n", body), 0);
    assert_int_equal(r.status, 207);
    /* RFC 4918 9.1: include adds to allprop */
    it_assert_xc(&r, it_fmt("%s/D:quota-available-bytes", prop), 1);
    it_assert_xc(&r, it_fmt("%s/D:getetag", prop), 1);
    it_assert_xc(&r, it_fmt("%s/D:resourcetype/D:collection", prop), 1);
    v = it_xs(&r, it_fmt("%s/D:quota-available-bytes", prop));
    assert_true(strtoull(v, NULL, 10) > 0);
    free(v);
    t_resp_release(&r);
}

static void
it_propfind_propname_lists_names_as_empty_elements(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *pp = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:note>has a value</T:note>"
                     "</D:prop></D:set></D:propertyupdate>";
    const char *body = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:propname/>"
                       "</D:propfind>";
    IT_HOLD(prop, it_prop("/dav/admin/pfn.txt", 200));

    assert_int_equal(it_put(s, "/dav/admin/pfn.txt", "names"), 201);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/pfn.txt", NULL, pp), 207);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfn.txt", "Depth: 0\n", body), 0);
    assert_int_equal(r.status, 207);
    /* RFC 4918 9.1: names only, live and dead, no values */
    it_assert_xc(&r, it_fmt("%s/D:getcontentlength", prop), 1);
    it_assert_xc(&r, it_fmt("%s/D:getetag", prop), 1);
    it_assert_xc(&r, it_fmt("%s/D:resourcetype", prop), 1);
    it_assert_xc(&r, it_fmt("%s/D:lockdiscovery", prop), 1);
    it_assert_xc(&r, it_fmt("%s/T:note", prop), 1);
    it_assert_xc(&r, it_fmt("%s/*[node()]", prop), 0);
    it_assert_xc(&r, it_fmt("%s/*", prop), 10);
    t_resp_release(&r);
}

static void
it_propfind_prop_gives_200_and_404_propstats(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *body = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" "
                       "xmlns:T=\"http://example.com/t\"><D:prop><D:getcontentlength/>"
                       "<T:nosuchprop/></D:prop></D:propfind>";

    assert_int_equal(it_put(s, "/dav/admin/pfp.txt", "1234567"), 201);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pfp.txt", "Depth: 0\n", body), 0);
    assert_int_equal(r.status, 207);
    /* RFC 4918 9.1.2: 200 for the ones found, 404 for the others */
    it_assert_xc(&r, "//D:propstat", 2);
    it_assert_xs(&r, it_fmt("%s/D:getcontentlength", it_prop("/dav/admin/pfp.txt", 200)), "7");
    it_assert_xc(&r, it_fmt("%s/*", it_prop("/dav/admin/pfp.txt", 200)), 1);
    it_assert_xc(&r, it_fmt("%s/T:nosuchprop", it_prop("/dav/admin/pfp.txt", 404)), 1);
    it_assert_xc(&r, it_fmt("%s/*", it_prop("/dav/admin/pfp.txt", 404)), 1);
    t_resp_release(&r);
}

/* Runs with a server of its own (it_fixture_fresh): the count starts at 0. */
static void
it_propfind_quota_used_bytes_is_the_bytes_stored(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *body = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
                       "<D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>";
    char big[5000];
    char *v;
    IT_HOLD(prop, it_prop("/dav/admin/", 200));

    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    /* RFC 4331: before anything is stored */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/", "Depth: 0\n", body), 0);
    assert_int_equal(r.status, 207);
    it_assert_xs(&r, it_fmt("%s/D:quota-used-bytes", prop), "0");
    t_resp_release(&r);

    assert_int_equal(it_put(s, "/dav/admin/q1.txt", big), 201);                 /* 4999 */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/qd/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/qd/q2.txt", "0123456789"), 201);    /* 10 */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/qd/", "Destination: /dav/admin/qe/\n", NULL),
                     201);                                                       /* 10 */
    assert_int_equal(it_put(s, "/dav/admin/q1.txt", "shrunk"), 204);            /* 6 */
    assert_int_equal(it_put(s, "/dav/admin/q3.txt", "abc"), 201);               /* 3 */
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/q3.txt", NULL, NULL), 204);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/qd/", "Destination: /dav/admin/qf/\n", NULL),
                     201);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/", "Depth: 0\n", body), 0);
    assert_int_equal(r.status, 207);
    v = it_xs(&r, it_fmt("%s/D:quota-used-bytes", prop));
    assert_int_equal(strtoull(v, NULL, 10), 26);
    assert_int_equal(strtoull(v, NULL, 10), it_du(s->repo_admin));
    free(v);
    v = it_xs(&r, it_fmt("%s/D:quota-available-bytes", prop));
    assert_true(strtoull(v, NULL, 10) > 0);
    free(v);
    t_resp_release(&r);
}

static void
it_propfind_missing_resource_is_404(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "PROPFIND", "/dav/admin/pf-none.txt", "Depth: 0\n",
                           it_propfind_allprop), 404);
    assert_int_equal(t_status(s, "PROPFIND", "/dav/admin/pf-none/x/", "Depth: 1\n", NULL), 404);
}

static void
it_propfind_invalid_depth_is_400(void **state)
{
    struct t_server *s = *state;

    /* RFC 4918 10.2: 0, 1 or infinity */
    assert_int_equal(t_status(s, "PROPFIND", "/dav/admin/", "Depth: 2\n", it_propfind_allprop), 400);
    assert_int_equal(t_status(s, "PROPFIND", "/dav/admin/", "Depth: one\n", NULL), 400);
    assert_int_equal(t_status(s, "PROPFIND", "/dav/admin/", "Depth: -1\n", NULL), 400);
}

/* Runs with "propfind-infinity = off" (it_fixture_finite). */
static void
it_propfind_infinity_off_is_403_propfind_finite_depth(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    /* RFC 4918 9.1: 403 with the propfind-finite-depth precondition */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/", "Depth: infinity\n",
                             it_propfind_allprop), 0);
    assert_int_equal(r.status, 403);
    it_assert_xc(&r, "/D:error/D:propfind-finite-depth", 1);
    t_resp_release(&r);
    /* no Depth header is infinity too */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/", NULL, it_propfind_allprop), 0);
    assert_int_equal(r.status, 403);
    it_assert_xc(&r, "/D:error/D:propfind-finite-depth", 1);
    t_resp_release(&r);
    assert_int_equal(t_status(s, "PROPFIND", "/dav/admin/", "Depth: 1\n", NULL), 207);
}

/* ---- PROPPATCH ---- */

static void
it_proppatch_sets_properties_with_namespaces_lang_and_xml_values(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *pp =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"http://example.com/t\"><D:set><D:prop>"
        "<T:color xml:lang=\"fr\">rouge &amp; noir</T:color>"
        "<V:size xmlns:V=\"urn:example:other\">42</V:size>"
        "<T:shape><Z:poly xmlns:Z=\"urn:example:z\" Z:sides=\"3\"><Z:point>0,0</Z:point>"
        "<W:note xmlns:W=\"urn:example:w\">tri</W:note></Z:poly></T:shape>"
        "<T:doc><p xmlns=\"urn:example:default\">hi <b>there</b></p></T:doc>"
        "</D:prop></D:set></D:propertyupdate>";
    const char *pf =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        "<D:propfind xmlns:D=\"DAV:\" xmlns:T=\"http://example.com/t\"><D:prop>"
        "<T:color/><V:size xmlns:V=\"urn:example:other\"/><T:shape/><T:doc/>"
        "</D:prop></D:propfind>";
    IT_HOLD(ok, it_prop("/dav/admin/pp.txt", 200));

    assert_int_equal(it_put(s, "/dav/admin/pp.txt", "props"), 201);
    assert_int_equal(t_reqs(s, &r, "PROPPATCH", "/dav/admin/pp.txt", NULL, pp), 0);
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, it_fmt("%s/*", ok), 4);
    it_assert_xc(&r, "//D:propstat", 1);
    t_resp_release(&r);

    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pp.txt", "Depth: 0\n", pf), 0);
    assert_int_equal(r.status, 207);
    it_assert_xs(&r, it_fmt("%s/T:color", ok), "rouge & noir");
    /* RFC 4918 4.3: xml:lang is part of the value */
    it_assert_xs(&r, it_fmt("%s/T:color/@xml:lang", ok), "fr");
    it_assert_xs(&r, it_fmt("%s/*[local-name()='size' and namespace-uri()='urn:example:other']",
                            ok), "42");
    /* 4.4: an XML value keeps the namespaces of its elements */
    IT_HOLD(poly, it_fmt("%s/T:shape/*[local-name()='poly' and "
                              "namespace-uri()='urn:example:z']", ok));
    it_assert_xc(&r, poly, 1);
    it_assert_xs(&r, it_fmt("%s/@*[local-name()='sides' and namespace-uri()='urn:example:z']",
                            poly), "3");
    it_assert_xs(&r, it_fmt("%s/*[local-name()='point' and namespace-uri()='urn:example:z']",
                            poly), "0,0");
    it_assert_xs(&r, it_fmt("%s/*[local-name()='note' and namespace-uri()='urn:example:w']",
                            poly), "tri");
    IT_HOLD(p, it_fmt("%s/T:doc/*[local-name()='p' and namespace-uri()='urn:example:default']",
                      ok));
    it_assert_xs(&r, p, "hi there");
    it_assert_xc(&r, it_fmt("%s/*[local-name()='b' and namespace-uri()='urn:example:default']", p),
                 1);
    t_resp_release(&r);

    /* 9.1: allprop carries dead properties too */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pp.txt", "Depth: 0\n",
                             it_propfind_allprop), 0);
    it_assert_xc(&r, it_fmt("%s/T:color[@xml:lang='fr']", ok), 1);
    it_assert_xc(&r, it_fmt("%s/T:shape", ok), 1);
    t_resp_release(&r);
}

static void
it_proppatch_remove_and_removing_an_absent_property_are_200(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *set = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                      "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:gone>soon</T:gone>"
                      "<T:stays>here</T:stays></D:prop></D:set></D:propertyupdate>";
    const char *rm = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:remove><D:prop><T:gone/><T:never/>"
                     "</D:prop></D:remove></D:propertyupdate>";
    const char *pf = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:prop><T:gone/><T:stays/></D:prop>"
                     "</D:propfind>";

    assert_int_equal(it_put(s, "/dav/admin/pprm.txt", "rm"), 201);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/pprm.txt", NULL, set), 207);
    assert_int_equal(t_reqs(s, &r, "PROPPATCH", "/dav/admin/pprm.txt", NULL, rm), 0);
    assert_int_equal(r.status, 207);
    /* RFC 4918 14.23: removing a property that does not exist is not an error */
    it_assert_xc(&r, it_fmt("%s/T:gone", it_prop("/dav/admin/pprm.txt", 200)), 1);
    it_assert_xc(&r, it_fmt("%s/T:never", it_prop("/dav/admin/pprm.txt", 200)), 1);
    it_assert_xc(&r, "//D:propstat", 1);
    t_resp_release(&r);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/pprm.txt", "Depth: 0\n", pf), 0);
    it_assert_xc(&r, it_fmt("%s/T:gone", it_prop("/dav/admin/pprm.txt", 404)), 1);
    it_assert_xs(&r, it_fmt("%s/T:stays", it_prop("/dav/admin/pprm.txt", 200)), "here");
    t_resp_release(&r);
}

static void
it_proppatch_protected_property_fails_the_whole_request(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *pp = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:set><D:prop>"
                     "<T:innocent>value</T:innocent><D:getetag>\"forged\"</D:getetag>"
                     "</D:prop></D:set></D:propertyupdate>";
    const char *pf = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:prop><T:innocent/><D:getetag/></D:prop>"
                     "</D:propfind>";
    char *etag;

    assert_int_equal(it_put(s, "/dav/admin/ppprot.txt", "prot"), 201);
    assert_int_equal(t_reqs(s, &r, "PROPPATCH", "/dav/admin/ppprot.txt", NULL, pp), 0);
    /* RFC 4918 9.2: all or nothing; 9.2.1: 403 for the protected one with
     * cannot-modify-protected-property, 424 for the others */
    assert_int_equal(r.status, 207);
    it_assert_xc(&r, it_fmt("%s/D:getetag", it_prop("/dav/admin/ppprot.txt", 403)), 1);
    it_assert_xc(&r, it_fmt("%s/T:innocent", it_prop("/dav/admin/ppprot.txt", 424)), 1);
    it_assert_xc(&r, "//D:propstat[contains(D:status,' 200 ')]", 0);
    it_assert_xc(&r, "//D:propstat[contains(D:status,' 403 ')]/D:error/"
                     "D:cannot-modify-protected-property", 1);
    t_resp_release(&r);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/ppprot.txt", "Depth: 0\n", pf), 0);
    it_assert_xc(&r, it_fmt("%s/T:innocent", it_prop("/dav/admin/ppprot.txt", 404)), 1);
    etag = it_xs(&r, it_fmt("%s/D:getetag", it_prop("/dav/admin/ppprot.txt", 200)));
    assert_string_not_equal(etag, "\"forged\"");
    free(etag);
    t_resp_release(&r);
}

static void
it_proppatch_missing_resource_is_404(void **state)
{
    struct t_server *s = *state;
    const char *pp = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:x>1</T:x>"
                     "</D:prop></D:set></D:propertyupdate>";

    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/pp-none.txt", NULL, pp), 404);
    assert_false(t_file_exists(s, "pp-none.txt"));
}

/* ---- fixtures: tests that need a server of their own ---- */

static int
it_fixture_fresh(void **state)
{
    return t_setup(state);
}

static int
it_fixture_finite(void **state)
{
    struct t_server *s = calloc(1, sizeof(*s));

    if (s == NULL || t_server_start(s, "propfind-infinity = off\n") < 0) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(it_propfind_depth_0_describes_only_the_resource),
        cmocka_unit_test_setup_teardown(it_propfind_depth_1_lists_2000_members_each_once,
                                        it_fixture_fresh, t_teardown),
        cmocka_unit_test(it_propfind_depth_infinity_walks_the_tree),
        cmocka_unit_test(it_propfind_members_get_their_own_dead_properties),
        cmocka_unit_test(it_propfind_lockdiscovery_is_empty_until_locked),
        cmocka_unit_test(it_propfind_allprop_of_a_file_has_the_live_properties),
        cmocka_unit_test(it_propfind_collection_is_a_collection_with_a_slash_href),
        cmocka_unit_test(it_propfind_listing_shows_changes_made_on_the_disk),
        cmocka_unit_test(it_propfind_dead_properties_follow_every_change),
        cmocka_unit_test(it_propfind_hrefs_are_percent_encoded),
        cmocka_unit_test(it_propfind_allprop_include_adds_quota_available_bytes),
        cmocka_unit_test(it_propfind_propname_lists_names_as_empty_elements),
        cmocka_unit_test(it_propfind_prop_gives_200_and_404_propstats),
        cmocka_unit_test_setup_teardown(it_propfind_quota_used_bytes_is_the_bytes_stored,
                                        it_fixture_fresh, t_teardown),
        cmocka_unit_test(it_propfind_missing_resource_is_404),
        cmocka_unit_test(it_propfind_invalid_depth_is_400),
        cmocka_unit_test_setup_teardown(it_propfind_infinity_off_is_403_propfind_finite_depth,
                                        it_fixture_finite, t_teardown),
        cmocka_unit_test(it_proppatch_sets_properties_with_namespaces_lang_and_xml_values),
        cmocka_unit_test(it_proppatch_remove_and_removing_an_absent_property_are_200),
        cmocka_unit_test(it_proppatch_protected_property_fails_the_whole_request),
        cmocka_unit_test(it_proppatch_missing_resource_is_404),
    };

    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
