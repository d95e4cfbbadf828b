/*
 * it_badinput.c: hostile and broken requests against the real cofferd.
 * Each test checks the status and that nothing in the repository changed:
 * a listing of the repository directory (names, sizes and mtimes of files,
 * kinds and targets of everything else) is taken before and after.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- helpers ---- */

/* Asserts the status of a request, naming it when it differs. */
static void
it_expect(struct t_server *s, int want, const char *method, const char *path,
          const char *headers, const char *body)
{
    int got = t_status(s, method, path, headers, body);

    if (got != want)
        fail_msg("%s %s [%s] gave %d, expected %d", method, path, headers ? headers : "", got,
                 want);
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

/* Writes a listing of the repository directory to <dir>/snap-<tag>. */
static void
it_snap(struct t_server *s, const char *tag)
{
    assert_int_equal(t_sh("cd '%s' && { find . -type f -printf '%%p %%s %%T@\\n'; "
                          "find . ! -type f -printf '%%p %%y %%l\\n'; } | LC_ALL=C sort "
                          "> '%s/snap-%s'", s->repo_admin, s->dir, tag), 0);
}

/* Asserts that the repository is as it was at it_snap(s, tag). */
static void
it_unchanged_since(struct t_server *s, const char *tag)
{
    it_snap(s, "now");
    if (t_sh("cmp -s '%s/snap-%s' '%s/snap-now'", s->dir, tag, s->dir) != 0) {
        t_sh("diff '%s/snap-%s' '%s/snap-now' >&2", s->dir, tag, s->dir);
        fail_msg("the repository changed");
    }
}

static void
it_assert_disk(struct t_server *s, const char *rel, const char *want)
{
    size_t len;
    char *disk = t_file_read(s, rel, &len);

    assert_non_null(disk);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(disk, want, len);
    free(disk);
}

/*
 * Runs it_expect for PROPFIND, PROPPATCH and LOCK with one body on
 * /dav/admin/<name>.txt, and for a LOCK on the unmapped <name>-new.txt.
 */
static void
it_expect_xml_methods(struct t_server *s, int want, const char *name, const char *body)
{
    const char *path = it_fmt("/dav/admin/%s.txt", name);

    it_expect(s, want, "PROPFIND", path, "Depth: 0\n", body);
    it_expect(s, want, "PROPPATCH", path, NULL, body);
    it_expect(s, want, "LOCK", path, NULL, body);
    /* a LOCK on an unmapped URL would create a file: it must not */
    it_expect(s, want, "LOCK", it_fmt("/dav/admin/%s-new.txt", name), NULL, body);
}

/* ---- XML bodies ---- */

static void
it_malformed_xml_bodies_are_400(void **state)
{
    struct t_server *s = *state;
    static const char *const bodies[] = {
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>",
        "this is not XML at all",
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:prop>",
        "<?xml version=\"1.0\"?><D:lockinfo xmlns:D=\"DAV:\"></D:lockinfo><D:junk/>",
        "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" a=\"1\" a=\"2\"/>",
        "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\">&undefined;"
        "</D:propertyupdate>",
        "<",
    };

    assert_int_equal(t_status(s, "PUT", "/dav/admin/bad-xml.txt", NULL, "target"), 201);
    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        it_expect_xml_methods(s, 400, "bad-xml", bodies[i]);
    it_unchanged_since(s, "before");
}

static void
it_external_entity_is_400_and_never_read(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    static const char *const bodies[] = {
        "<?xml version=\"1.0\"?><!DOCTYPE D:propfind [<!ENTITY xxe SYSTEM "
        "\"file:///etc/passwd\">]><D:propfind xmlns:D=\"DAV:\"><D:prop><D:displayname>&xxe;"
        "</D:displayname></D:prop></D:propfind>",
        "<?xml version=\"1.0\"?><!DOCTYPE D:propertyupdate [<!ENTITY xxe SYSTEM "
        "\"file:///etc/passwd\">]><D:propertyupdate xmlns:D=\"DAV:\" "
        "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:leak>&xxe;</T:leak></D:prop>"
        "</D:set></D:propertyupdate>",
        "<?xml version=\"1.0\"?><!DOCTYPE D:lockinfo [<!ENTITY xxe SYSTEM "
        "\"file:///etc/passwd\">]><D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/>"
        "</D:lockscope><D:locktype><D:write/></D:locktype><D:owner>&xxe;</D:owner>"
        "</D:lockinfo>",
        /* a parameter entity, pulled in by the internal subset */
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
        "<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>",
    };
    static const char *const methods[] = { "PROPFIND", "PROPPATCH", "LOCK" };

    assert_int_equal(t_status(s, "PUT", "/dav/admin/xxe.txt", NULL, "xxe"), 201);
    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        for (size_t m = 0; m < 3; m++) {
            assert_int_equal(t_req(s, &r, methods[m], "/dav/admin/xxe.txt", "Depth: 0\n",
                                    bodies[i], strlen(bodies[i])), 0);
            int status = r.status;
            bool leaked = memmem(r.body, r.body_len, "root:", 5) != NULL;
            t_resp_release(&r);
            assert_false(leaked);
            if (status != 400)
                fail_msg("%s with body %zu gave %d, expected 400", methods[m], i, status);
        }
    }
    it_unchanged_since(s, "before");
    /* nothing was stored as a property, nothing locked */
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/xxe.txt", "Depth: 0\n", NULL, 0), 0);
    assert_int_equal(r.status, 207);
    assert_null(memmem(r.body, r.body_len, "root:", 5));
    assert_int_equal(t_xpath_count(&r, "//T:leak"), 0);
    assert_int_equal(t_xpath_count(&r, "//D:activelock"), 0);
    t_resp_release(&r);
}

static void
it_external_entity_in_utf16_is_400(void **state)
{
    struct t_server *s = *state;
    const char *ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE D:propfind "
                        "[<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><D:propfind "
                        "xmlns:D=\"DAV:\"><D:prop><D:displayname>&xxe;</D:displayname>"
                        "</D:prop></D:propfind>";
    size_t n = strlen(ascii), len = 2 + n * 2;
    unsigned char *body = malloc(len);
    struct t_resp r;

    /* "<!DOCTYPE" in UTF-16 is not the ASCII bytes a byte search looks for */
    body[0] = 0xFF;
    body[1] = 0xFE;
    for (size_t i = 0; i < n; i++) {
        body[2 + i * 2] = (unsigned char)ascii[i];
        body[3 + i * 2] = 0;
    }
    assert_int_equal(t_status(s, "PUT", "/dav/admin/xxe16.txt", NULL, "x"), 201);
    it_snap(s, "before");
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/xxe16.txt", "Depth: 0\n"
                            "Content-Type: application/xml; charset=utf-16\n", body, len), 0);
    int status = r.status;
    bool leaked = memmem(r.body, r.body_len, "root:", 5) != NULL;
    t_resp_release(&r);
    free(body);
    assert_false(leaked);
    assert_int_equal(status, 400);
    it_unchanged_since(s, "before");
}

static void
it_entity_expansion_bomb_is_400(void **state)
{
    struct t_server *s = *state;
    const char *bomb =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
        "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
        "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
        "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
        "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
        "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
        "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>"
        "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"http://example.com/t\"><D:set><D:prop>"
        "<T:bomb>&lol9;</T:bomb></D:prop></D:set></D:propertyupdate>";

    assert_int_equal(t_status(s, "PUT", "/dav/admin/bad-bomb.txt", NULL, "target"), 201);
    it_snap(s, "before");
    it_expect_xml_methods(s, 400, "bad-bomb", bomb);
    it_unchanged_since(s, "before");
    /* and the server still answers */
    it_expect(s, 200, "GET", "/dav/admin/bad-bomb.txt", NULL, NULL);
}

/* A PROPPATCH whose elements nest depth levels deep in all. */
static char *
it_deep_proppatch(int depth, const char *name)
{
    /* propertyupdate, set, prop and the property are 4 levels */
    size_t cap = 512 + (size_t)depth * 16;
    char *b = malloc(cap);
    size_t k = 0;

    k += (size_t)snprintf(b + k, cap - k, "<?xml version=\"1.0\"?><D:propertyupdate "
                          "xmlns:D=\"DAV:\" xmlns:T=\"http://example.com/t\"><D:set><D:prop>"
                          "<T:%s>", name);
    for (int i = 4; i < depth; i++)
        k += (size_t)snprintf(b + k, cap - k, "<T:n>");
    k += (size_t)snprintf(b + k, cap - k, "x");
    for (int i = 4; i < depth; i++)
        k += (size_t)snprintf(b + k, cap - k, "</T:n>");
    snprintf(b + k, cap - k, "</T:%s></D:prop></D:set></D:propertyupdate>", name);
    return b;
}

static void
it_xml_deeper_than_max_xml_depth_is_400(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char *deep = it_deep_proppatch(33, "deep"), *limit = it_deep_proppatch(32, "limit");
    const char *pf = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:prop><T:deep/><T:limit/></D:prop>"
                     "</D:propfind>";

    assert_int_equal(t_status(s, "PUT", "/dav/admin/deep.txt", NULL, "deep"), 201);
    /* max-xml-depth is 32 by default: 33 levels are refused */
    it_expect(s, 400, "PROPPATCH", "/dav/admin/deep.txt", NULL, deep);
    it_expect(s, 400, "PROPFIND", "/dav/admin/deep.txt", "Depth: 0\n", deep);
    it_expect(s, 400, "LOCK", "/dav/admin/deep.txt", NULL, deep);
    /* and 32 are not */
    it_expect(s, 207, "PROPPATCH", "/dav/admin/deep.txt", NULL, limit);
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/deep.txt", "Depth: 0\n", pf,
                            strlen(pf)), 0);
    assert_int_equal(r.status, 207);
    assert_int_equal(t_xpath_count(&r, "//D:propstat[contains(D:status,' 200 ')]/D:prop/T:limit"),
                     1);
    assert_int_equal(t_xpath_count(&r, "//D:propstat[contains(D:status,' 404 ')]/D:prop/T:deep"),
                     1);
    t_resp_release(&r);
    free(deep);
    free(limit);
}

static void
it_namespace_errors_are_400(void **state)
{
    struct t_server *s = *state;
    static const char *const bodies[] = {
        /* an empty namespace name bound to a prefix (Namespaces in XML 1.0, 3) */
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" xmlns:x=\"\"><D:allprop/>"
        "</D:propfind>",
        /* an undeclared prefix */
        "<?xml version=\"1.0\"?><D:propfind><D:allprop/></D:propfind>",
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop><Q:x/></D:prop>"
        "</D:propfind>",
    };

    assert_int_equal(t_status(s, "PUT", "/dav/admin/bad-ns.txt", NULL, "target"), 201);
    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        it_expect_xml_methods(s, 400, "bad-ns", bodies[i]);
    it_unchanged_since(s, "before");
}

static void
it_propfind_with_another_root_element_is_400(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "PUT", "/dav/admin/bad-root.txt", NULL, "target"), 201);
    /* RFC 4918 14.20: the body is a DAV:propfind element */
    it_expect(s, 400, "PROPFIND", "/dav/admin/bad-root.txt", "Depth: 0\n",
              "<?xml version=\"1.0\"?><D:foo xmlns:D=\"DAV:\"><D:allprop/></D:foo>");
    it_expect(s, 400, "PROPFIND", "/dav/admin/bad-root.txt", "Depth: 0\n",
              "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:bogus/></D:propfind>");
    it_expect(s, 400, "PROPPATCH", "/dav/admin/bad-root.txt", NULL,
              "<?xml version=\"1.0\"?><D:foo xmlns:D=\"DAV:\"/>");
    it_expect(s, 400, "LOCK", "/dav/admin/bad-root.txt", NULL,
              "<?xml version=\"1.0\"?><D:foo xmlns:D=\"DAV:\"/>");
}

static void
it_elements_are_matched_by_namespace_not_prefix(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(t_status(s, "PUT", "/dav/admin/ns.txt", NULL, "12345"), 201);
    /* "DAVX:" is not "DAV:", whatever the prefix says */
    it_expect(s, 400, "PROPFIND", "/dav/admin/ns.txt", "Depth: 0\n",
              "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAVX:\"><D:allprop/></D:propfind>");
    it_expect(s, 400, "PROPFIND", "/dav/admin/ns.txt", "Depth: 0\n",
              "<?xml version=\"1.0\"?><propfind><allprop/></propfind>");
    /* another prefix, or the default namespace, for DAV: is the same thing */
    const char *z = "<?xml version=\"1.0\"?><Z:propfind xmlns:Z=\"DAV:\"><Z:prop>"
                    "<Z:getcontentlength/></Z:prop></Z:propfind>";
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/ns.txt", "Depth: 0\n", z, strlen(z)),
                     0);
    assert_int_equal(r.status, 207);
    char *v = t_xpath_string(&r, "//D:propstat[contains(D:status,' 200 ')]/D:prop/"
                                 "D:getcontentlength");
    t_resp_release(&r);
    assert_non_null(v);
    assert_string_equal(v, "5");
    free(v);
    const char *dflt = "<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><prop><getcontentlength/>"
                       "</prop></propfind>";
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/ns.txt", "Depth: 0\n", dflt,
                            strlen(dflt)), 0);
    assert_int_equal(r.status, 207);
    assert_int_equal(t_xpath_count(&r, "//D:propstat[contains(D:status,' 200 ')]/D:prop/"
                                       "D:getcontentlength"), 1);
    t_resp_release(&r);
}

/* ---- headers ---- */

static void
it_oversized_head_is_431(void **state)
{
    struct t_server *s = *state;
    size_t n = 20000;
    char *big = malloc(n + 16);

    /* max-head is 16 KiB by default */
    memcpy(big, "X-Big: ", 7);
    memset(big + 7, 'a', n);
    memcpy(big + 7 + n, "\n", 2);
    assert_int_equal(t_status(s, "PUT", "/dav/admin/big-head.txt", NULL, "x"), 201);
    it_snap(s, "before");
    it_expect(s, 431, "PUT", "/dav/admin/big-head.txt", big, "changed");
    it_expect(s, 431, "PUT", "/dav/admin/big-head-new.txt", big, "new");
    it_unchanged_since(s, "before");
    /* well under the limit is fine */
    big[7 + 10000] = '\n';
    big[7 + 10001] = '\0';
    it_expect(s, 200, "GET", "/dav/admin/big-head.txt", big, NULL);
    free(big);
}

static void
it_bad_depth_is_400(void **state)
{
    struct t_server *s = *state;
    static const char *const depths[] = { "2", "banana", "-1", "infinityx", "" };
    const char *li = "<?xml version=\"1.0\"?><D:lockinfo xmlns:D=\"DAV:\"><D:lockscope>"
                     "<D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
                     "</D:lockinfo>";

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/depth-coll/", NULL, NULL), 201);
    assert_int_equal(t_status(s, "PUT", "/dav/admin/depth-coll/f.txt", NULL, "f"), 201);
    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        const char *h = it_fmt("Depth: %s\nDestination: /dav/admin/depth-copy/\n", depths[i]);

        /* RFC 4918 10.2: 0, 1 or infinity */
        it_expect(s, 400, "PROPFIND", "/dav/admin/depth-coll/", h, NULL);
        it_expect(s, 400, "COPY", "/dav/admin/depth-coll/", h, NULL);
        it_expect(s, 400, "MOVE", "/dav/admin/depth-coll/", h, NULL);
        it_expect(s, 400, "DELETE", "/dav/admin/depth-coll/", h, NULL);
        it_expect(s, 400, "LOCK", "/dav/admin/depth-coll/", h, li);
        it_expect(s, 400, "LOCK", "/dav/admin/depth-new.txt", h, li);
    }
    /* 9.10.3: Depth 1 is not a LOCK depth */
    it_expect(s, 400, "LOCK", "/dav/admin/depth-new.txt", "Depth: 1\n", li);
    it_unchanged_since(s, "before");
}

static void
it_bad_overwrite_is_400(void **state)
{
    struct t_server *s = *state;
    static const char *const values[] = { "X", "yes", "TRUE", "", "T F" };

    assert_int_equal(t_status(s, "PUT", "/dav/admin/ow-src.txt", NULL, "src"), 201);
    assert_int_equal(t_status(s, "PUT", "/dav/admin/ow-dst.txt", NULL, "dst"), 201);
    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        /* RFC 4918 10.6: Overwrite = "T" | "F" */
        const char *h = it_fmt("Destination: /dav/admin/ow-dst.txt\nOverwrite: %s\n", values[i]);

        it_expect(s, 400, "COPY", "/dav/admin/ow-src.txt", h, NULL);
        it_expect(s, 400, "MOVE", "/dav/admin/ow-src.txt", h, NULL);
        h = it_fmt("Destination: /dav/admin/ow-new.txt\nOverwrite: %s\n", values[i]);
        it_expect(s, 400, "COPY", "/dav/admin/ow-src.txt", h, NULL);
    }
    it_unchanged_since(s, "before");
}

static void
it_bad_destination_is_400(void **state)
{
    struct t_server *s = *state;
    static const char *const values[] = {
        "not a url", "relative/path", "", "ftp://127.0.0.1/dav/admin/x", "dav/admin/x",
        "/dav/admin/%zz", "/dav/admin/a%00b",
    };

    assert_int_equal(t_status(s, "PUT", "/dav/admin/dst-src.txt", NULL, "src"), 201);
    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        const char *h = it_fmt("Destination: %s\n", values[i]);

        it_expect(s, 400, "COPY", "/dav/admin/dst-src.txt", h, NULL);
        it_expect(s, 400, "MOVE", "/dav/admin/dst-src.txt", h, NULL);
    }
    /* and no Destination at all */
    it_expect(s, 400, "COPY", "/dav/admin/dst-src.txt", NULL, NULL);
    it_expect(s, 400, "MOVE", "/dav/admin/dst-src.txt", NULL, NULL);
    it_unchanged_since(s, "before");
}

static void
it_destination_on_another_host_is_502(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "PUT", "/dav/admin/dst-host.txt", NULL, "src"), 201);
    it_snap(s, "before");
    /* RFC 4918 9.8.5, 9.9.4: 502 when the destination is another server */
    it_expect(s, 502, "COPY", "/dav/admin/dst-host.txt",
              "Destination: http://other.example/dav/admin/x\n", NULL);
    it_expect(s, 502, "MOVE", "/dav/admin/dst-host.txt",
              "Destination: http://other.example/dav/admin/x\n", NULL);
    /* another port of the same host is another server */
    it_expect(s, 502, "COPY", "/dav/admin/dst-host.txt",
              it_fmt("Destination: http://127.0.0.1:%d/dav/admin/x\n",
                     s->port == 65535 ? 1 : s->port + 1), NULL);
    it_unchanged_since(s, "before");
}

/* ---- paths ---- */

static void
it_dot_dot_out_of_the_dav_tree_serves_nothing(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    static const char *const paths[] = {
        "/dav/admin/../../etc/passwd", "/dav/admin/%2e%2e/%2e%2e/etc/passwd",
        "/dav/admin/..%2f..%2fetc%2fpasswd", "/dav/admin/%2E%2E/%2E%2E/etc/passwd",
    };

    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        assert_int_equal(t_req(s, &r, "GET", paths[i], NULL, NULL, 0), 0);
        int status = r.status;
        bool leaked = memmem(r.body, r.body_len, "root:", 5) != NULL;
        t_resp_release(&r);
        assert_false(leaked);
        /*
         * These climb to "/" and no further: RFC 3986 5.2.4 makes them
         * "/etc/passwd", a URL outside /dav/ that names nothing (404).
         * dav_path_normalize answers 400 only when ".." climbs above "/".
         */
        if (status != 404)
            fail_msg("GET %s gave %d, expected 404", paths[i], status);
        it_expect(s, 404, "PUT", paths[i], NULL, "overwrite");
        it_expect(s, 404, "DELETE", paths[i], NULL, NULL);
        it_expect(s, 404, "PROPFIND", paths[i], "Depth: 0\n", NULL);
    }
    it_unchanged_since(s, "before");
}

static void
it_dot_dot_above_the_root_is_400(void **state)
{
    struct t_server *s = *state;
    static const char *const paths[] = {
        "/dav/admin/../../../etc/passwd", "/dav/admin/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/dav/admin/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd", "/dav/../../x", "/dav/admin/../../..",
    };

    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        it_expect(s, 400, "GET", paths[i], NULL, NULL);
        it_expect(s, 400, "PUT", paths[i], NULL, "overwrite");
        it_expect(s, 400, "DELETE", paths[i], NULL, NULL);
        it_expect(s, 400, "PROPFIND", paths[i], "Depth: 0\n", NULL);
        it_expect(s, 400, "MKCOL", paths[i], NULL, NULL);
    }
    it_unchanged_since(s, "before");
}

static void
it_dot_dot_inside_the_repository_resolves(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    /* "/dav/admin/dd-a/../dd-b.txt" is "/dav/admin/dd-b.txt" */
    it_expect(s, 201, "PUT", "/dav/admin/dd-a/../dd-b.txt", NULL, "dotdot");
    it_assert_disk(s, "dd-b.txt", "dotdot");
    assert_false(t_file_exists(s, "dd-a"));
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/dd-b.txt", NULL, NULL, 0), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 6);
    assert_memory_equal(r.body, "dotdot", 6);
    t_resp_release(&r);
    it_expect(s, 200, "GET", "/dav/admin/./dd-x/%2e%2e/dd-b.txt", NULL, NULL);
    it_expect(s, 200, "GET", "/dav/admin//dd-b.txt", NULL, NULL);
}

static void
it_nul_and_control_bytes_in_the_path_are_400(void **state)
{
    struct t_server *s = *state;
    static const char *const paths[] = {
        "/dav/admin/x%00y", "/dav/admin/x%00", "/dav/admin/%00/", "/dav/admin/x%0ay",
        "/dav/admin/x%0d%0aSet-Cookie:%20a=b", "/dav/admin/x%7f",
    };

    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        it_expect(s, 400, "GET", paths[i], NULL, NULL);
        it_expect(s, 400, "PUT", paths[i], NULL, "nul");
        it_expect(s, 400, "MKCOL", paths[i], NULL, NULL);
    }
    it_unchanged_since(s, "before");
}

static void
it_invalid_percent_escapes_are_400(void **state)
{
    struct t_server *s = *state;
    static const char *const paths[] = {
        "/dav/admin/x%zz", "/dav/admin/x%4", "/dav/admin/x%", "/dav/admin/x%g0",
        "/dav/admin/%%41", "/dav/admin/x%4g/y",
    };

    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        it_expect(s, 400, "GET", paths[i], NULL, NULL);
        it_expect(s, 400, "PUT", paths[i], NULL, "esc");
        it_expect(s, 400, "MKCOL", paths[i], NULL, NULL);
    }
    it_unchanged_since(s, "before");
}

static void
it_destination_climbing_above_the_root_is_400(void **state)
{
    struct t_server *s = *state;
    static const char *const dests[] = {
        "/dav/admin/../../../etc/x", "/../x", "/dav/admin/%2e%2e/%2e%2e/%2e%2e/x",
    };

    assert_int_equal(t_status(s, "PUT", "/dav/admin/dst-dd.txt", NULL, "src"), 201);
    it_snap(s, "before");
    for (size_t i = 0; i < sizeof(dests) / sizeof(dests[0]); i++) {
        it_expect(s, 400, "COPY", "/dav/admin/dst-dd.txt", it_fmt("Destination: %s\n", dests[i]),
                  NULL);
        it_expect(s, 400, "MOVE", "/dav/admin/dst-dd.txt", it_fmt("Destination: %s\n", dests[i]),
                  NULL);
        it_expect(s, 400, "COPY", "/dav/admin/dst-dd.txt",
                  it_fmt("Destination: http://127.0.0.1:%d%s\n", s->port, dests[i]), NULL);
    }
    it_unchanged_since(s, "before");
}

/* ---- symbolic links ---- */

struct it_etc {
    struct stat passwd, etc;
};

static void
it_etc_stat(struct it_etc *e)
{
    assert_int_equal(stat("/etc/passwd", &e->passwd), 0);
    assert_int_equal(stat("/etc", &e->etc), 0);
}

static void
it_etc_unchanged(const struct it_etc *before)
{
    struct it_etc now;

    it_etc_stat(&now);
    assert_int_equal(now.passwd.st_size, before->passwd.st_size);
    assert_int_equal(now.passwd.st_mtime, before->passwd.st_mtime);
    assert_int_equal(now.passwd.st_ino, before->passwd.st_ino);
    assert_int_equal(now.etc.st_mtime, before->etc.st_mtime);
    assert_int_equal(now.etc.st_nlink, before->etc.st_nlink);
}

static void
it_make_links(struct t_server *s)
{
    if (!t_file_exists(s, "out"))
        assert_int_equal(symlink("/etc", t_path(s, "out")), 0);
    if (!t_file_exists(s, "pwlink"))
        assert_int_equal(symlink("/etc/passwd", t_path(s, "pwlink")), 0);
}

static void
it_symlinks_out_of_the_repository_are_403(void **state)
{
    struct t_server *s = *state;
    struct it_etc etc;
    static const char *const links[] = {
        "/dav/admin/out", "/dav/admin/out/", "/dav/admin/out/passwd", "/dav/admin/pwlink",
        "/dav/admin/out/coffer-new",
    };
    const char *li = "<?xml version=\"1.0\"?><D:lockinfo xmlns:D=\"DAV:\"><D:lockscope>"
                     "<D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
                     "</D:lockinfo>";
    const char *pp = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:x>1</T:x></D:prop>"
                     "</D:set></D:propertyupdate>";

    it_make_links(s);
    assert_int_equal(t_status(s, "PUT", "/dav/admin/sym-real.txt", NULL, "real"), 201);
    it_etc_stat(&etc);
    it_snap(s, "before");
    /*
     * dav_resolve: stor_stat of a link (or through one, openat2 with
     * RESOLVE_NO_SYMLINKS) fails with ELOOP, which is "there, but not ours
     * to serve": 403 (dav_status_from_stor).
     */
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        const char *p = links[i];

        it_expect(s, 403, "GET", p, NULL, NULL);
        it_expect(s, 403, "HEAD", p, NULL, NULL);
        it_expect(s, 403, "PUT", p, NULL, "overwritten through a link");
        it_expect(s, 403, "DELETE", p, NULL, NULL);
        it_expect(s, 403, "MOVE", p, "Destination: /dav/admin/sym-moved\n", NULL);
        it_expect(s, 403, "COPY", p, "Destination: /dav/admin/sym-copied\n", NULL);
        it_expect(s, 403, "PROPFIND", p, "Depth: 0\n", NULL);
        it_expect(s, 403, "PROPFIND", p, "Depth: 1\n", NULL);
        it_expect(s, 403, "PROPPATCH", p, NULL, pp);
        it_expect(s, 403, "LOCK", p, NULL, li);
        it_expect(s, 403, "MKCOL", p, NULL, NULL);
    }
    /* a link as the destination */
    it_expect(s, 403, "COPY", "/dav/admin/sym-real.txt",
              "Destination: /dav/admin/pwlink\nOverwrite: T\n", NULL);
    it_expect(s, 403, "MOVE", "/dav/admin/sym-real.txt",
              "Destination: /dav/admin/pwlink\nOverwrite: T\n", NULL);
    it_expect(s, 403, "COPY", "/dav/admin/sym-real.txt",
              "Destination: /dav/admin/out/passwd\nOverwrite: T\n", NULL);
    it_expect(s, 403, "MOVE", "/dav/admin/sym-real.txt",
              "Destination: /dav/admin/out/coffer-moved\n", NULL);
    it_expect(s, 403, "COPY", "/dav/admin/sym-real.txt", "Destination: /dav/admin/out\n", NULL);
    it_unchanged_since(s, "before");
    it_etc_unchanged(&etc);
    assert_false(t_file_exists(s, "sym-moved"));
    assert_false(t_file_exists(s, "sym-copied"));
}

static void
it_listings_do_not_show_symlinks(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    it_make_links(s);
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/", "Depth: 1\n", NULL, 0), 0);
    assert_int_equal(r.status, 207);
    assert_true(t_xpath_count(&r, "/D:multistatus/D:response") > 1);
    assert_int_equal(t_xpath_count(&r, "//D:href[.='/dav/admin/out' or .='/dav/admin/out/' or "
                                       ".='/dav/admin/pwlink' or .='/dav/admin/pwlink/']"), 0);
    assert_null(memmem(r.body, r.body_len, "root:", 5));
    t_resp_release(&r);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/", NULL, NULL, 0), 0);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "pwlink"));
    assert_null(strstr(r.body, "href=\"/dav/admin/out"));
    t_resp_release(&r);
}

static void
it_tree_operations_never_follow_symlinks(void **state)
{
    struct t_server *s = *state;
    struct it_etc etc;
    struct t_resp r;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/sym-tree/", NULL, NULL), 201);
    assert_int_equal(t_status(s, "PUT", "/dav/admin/sym-tree/real.txt", NULL, "r"), 201);
    assert_int_equal(symlink("/etc", t_path(s, "sym-tree/etc")), 0);
    assert_int_equal(symlink("/etc/passwd", t_path(s, "sym-tree/pw")), 0);
    it_etc_stat(&etc);

    /* a walk lists neither link nor what is behind it */
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/sym-tree/", "Depth: infinity\n",
                            NULL, 0), 0);
    assert_int_equal(r.status, 207);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response"), 2);
    t_resp_release(&r);
    /* a copy leaves the links behind */
    it_expect(s, 201, "COPY", "/dav/admin/sym-tree/", "Destination: /dav/admin/sym-tree2/\n",
              NULL);
    it_assert_disk(s, "sym-tree2/real.txt", "r");
    assert_false(t_file_exists(s, "sym-tree2/etc"));
    assert_false(t_file_exists(s, "sym-tree2/pw"));
    /* a delete removes the links, not their targets */
    it_expect(s, 204, "DELETE", "/dav/admin/sym-tree/", NULL, NULL);
    assert_false(t_file_exists(s, "sym-tree"));
    it_etc_unchanged(&etc);
    assert_int_equal(access("/etc/passwd", R_OK), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(it_malformed_xml_bodies_are_400),
        cmocka_unit_test(it_external_entity_is_400_and_never_read),
        cmocka_unit_test(it_external_entity_in_utf16_is_400),
        cmocka_unit_test(it_entity_expansion_bomb_is_400),
        cmocka_unit_test(it_xml_deeper_than_max_xml_depth_is_400),
        cmocka_unit_test(it_namespace_errors_are_400),
        cmocka_unit_test(it_propfind_with_another_root_element_is_400),
        cmocka_unit_test(it_elements_are_matched_by_namespace_not_prefix),
        cmocka_unit_test(it_oversized_head_is_431),
        cmocka_unit_test(it_bad_depth_is_400),
        cmocka_unit_test(it_bad_overwrite_is_400),
        cmocka_unit_test(it_bad_destination_is_400),
        cmocka_unit_test(it_destination_on_another_host_is_502),
        cmocka_unit_test(it_dot_dot_out_of_the_dav_tree_serves_nothing),
        cmocka_unit_test(it_dot_dot_above_the_root_is_400),
        cmocka_unit_test(it_dot_dot_inside_the_repository_resolves),
        cmocka_unit_test(it_nul_and_control_bytes_in_the_path_are_400),
        cmocka_unit_test(it_invalid_percent_escapes_are_400),
        cmocka_unit_test(it_destination_climbing_above_the_root_is_400),
        cmocka_unit_test(it_symlinks_out_of_the_repository_are_403),
        cmocka_unit_test(it_listings_do_not_show_symlinks),
        cmocka_unit_test(it_tree_operations_never_follow_symlinks),
    };

    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
