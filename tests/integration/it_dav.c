/*
 * it_dav.c: the WebDAV methods against the real cofferd (RFC 4918):
 * PUT, MKCOL, DELETE, COPY and MOVE, and GET with its conditional and
 * range requests. Each test uses names of its own, so that the tests of
 * the group share one server without depending on each other. PROPFIND
 * and PROPPATCH are in it_dav_props.c, LOCK, UNLOCK and If in
 * it_dav_locks.c.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- helpers ---- */

static int
it_put(struct t_server *s, const char *path, const char *body)
{
    return t_status(s, "PUT", path, NULL, body);
}

/* The ETag header of a response, copied (caller frees), or NULL. */
static char *
it_etag(const struct t_resp *r)
{
    const char *e = t_header(r, "ETag");

    return e ? strdup(e) : NULL;
}

/* printf into a static buffer (one of four, for nesting in a call). */
static const char *
it_fmt(const char *fmt, ...)
{
    static char buf[4][2048];
    static int next;
    char *out = buf[next++ % 4];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, sizeof(buf[0]), fmt, ap);
    va_end(ap);
    return out;
}

/* Destination/tag URL of path on this server. */
static const char *
it_url(struct t_server *s, const char *path)
{
    return it_fmt("http://127.0.0.1:%d%s", s->port, path);
}

static bool
it_is_dir(struct t_server *s, const char *rel)
{
    struct stat st;

    return lstat(t_path(s, rel), &st) == 0 && S_ISDIR(st.st_mode);
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

/* ---- PUT (RFC 4918 9.7) ---- */

static void
it_put_new_is_201_and_overwrite_is_204_with_exact_bytes(void **state)
{
    struct t_server *s = *state;
    unsigned char data[3000];
    struct t_resp r;
    size_t len;
    char *disk;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + (i >> 8));
    data[10] = '\0';
    data[11] = '\r';
    data[12] = '\n';
    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/put-new.bin", NULL, data, sizeof(data)), 0);
    assert_int_equal(r.status, 201);
    assert_non_null(t_header(&r, "ETag"));
    t_resp_release(&r);
    disk = t_file_read(s, "put-new.bin", &len);
    assert_non_null(disk);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(disk, data, sizeof(data));
    free(disk);

    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/put-new.bin", NULL, "short", 5), 0);
    assert_int_equal(r.status, 204);
    t_resp_release(&r);
    it_assert_disk(s, "put-new.bin", "short");

    /* an empty body makes an empty file */
    assert_int_equal(it_put(s, "/dav/admin/put-new.bin", NULL), 204);
    it_assert_disk(s, "put-new.bin", "");
}

static void
it_put_without_parent_is_409(void **state)
{
    struct t_server *s = *state;

    /* RFC 4918 9.7.1: intermediate collections are not created: 409 */
    assert_int_equal(it_put(s, "/dav/admin/put-noparent/x.txt", "abc"), 409);
    assert_false(t_file_exists(s, "put-noparent"));
}

static void
it_put_on_collection_is_405(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/put-coll/", NULL, NULL), 201);
    /* RFC 4918 9.7.2: PUT on an existing collection is 405 */
    assert_int_equal(it_put(s, "/dav/admin/put-coll", "abc"), 405);
    assert_int_equal(it_put(s, "/dav/admin/put-coll/", "abc"), 405);
    assert_true(it_is_dir(s, "put-coll"));
}

static void
it_put_if_none_match_star_on_existing_is_412(void **state)
{
    struct t_server *s = *state;

    /* RFC 7232 3.2: If-None-Match: * creates only */
    assert_int_equal(t_status(s, "PUT", "/dav/admin/put-inm.txt", "If-None-Match: *\n", "one"), 201);
    assert_int_equal(t_status(s, "PUT", "/dav/admin/put-inm.txt", "If-None-Match: *\n", "two"), 412);
    it_assert_disk(s, "put-inm.txt", "one");
}

static void
it_put_if_match_current_is_204_and_stale_is_412(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char *e1, *e2;

    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/put-im.txt", NULL, "first", 5), 0);
    assert_int_equal(r.status, 201);
    e1 = it_etag(&r);
    assert_non_null(e1);
    t_resp_release(&r);

    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/put-im.txt",
                            it_fmt("If-Match: %s\n", e1), "second", 6), 0);
    assert_int_equal(r.status, 204);
    e2 = it_etag(&r);
    assert_non_null(e2);
    t_resp_release(&r);
    assert_string_not_equal(e1, e2);
    it_assert_disk(s, "put-im.txt", "second");

    /* RFC 7232 3.1: the old tag no longer matches */
    assert_int_equal(t_status(s, "PUT", "/dav/admin/put-im.txt", it_fmt("If-Match: %s\n", e1),
                           "third"), 412);
    it_assert_disk(s, "put-im.txt", "second");
    /* If-Match on nothing is false as well */
    assert_int_equal(t_status(s, "PUT", "/dav/admin/put-im-none.txt", "If-Match: *\n", "x"), 412);
    assert_false(t_file_exists(s, "put-im-none.txt"));
    free(e1);
    free(e2);
}

static void
it_put_etag_equals_get_and_propfind_getetag(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char *put_etag, *get_etag, *pf_etag;

    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/put-etag.txt", NULL, "etag body", 9), 0);
    assert_int_equal(r.status, 201);
    put_etag = it_etag(&r);
    assert_non_null(put_etag);
    t_resp_release(&r);

    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/put-etag.txt", NULL, NULL, 0), 0);
    assert_int_equal(r.status, 200);
    get_etag = it_etag(&r);
    t_resp_release(&r);
    assert_non_null(get_etag);
    assert_string_equal(put_etag, get_etag);

    const char *body = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
                       "<D:getetag/></D:prop></D:propfind>";
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/put-etag.txt", "Depth: 0\n", body,
                            strlen(body)), 0);
    assert_int_equal(r.status, 207);
    pf_etag = t_xpath_string(&r, "/D:multistatus/D:response/D:propstat/D:prop/D:getetag");
    t_resp_release(&r);
    assert_non_null(pf_etag);
    assert_string_equal(put_etag, pf_etag);
    free(put_etag);
    free(get_etag);
    free(pf_etag);
}

/* ---- MKCOL (RFC 4918 9.3) ---- */

static void
it_mkcol_new_is_201(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mk-new/", NULL, NULL), 201);
    assert_true(it_is_dir(s, "mk-new"));
    /* without the trailing slash too */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mk-new/inner", NULL, NULL), 201);
    assert_true(it_is_dir(s, "mk-new/inner"));
}

static void
it_mkcol_existing_is_405(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mk-twice/", NULL, NULL), 201);
    /* RFC 4918 9.3.1: 405 when the resource exists, collection or not */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mk-twice/", NULL, NULL), 405);
    assert_int_equal(it_put(s, "/dav/admin/mk-file.txt", "x"), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mk-file.txt", NULL, NULL), 405);
    it_assert_disk(s, "mk-file.txt", "x");
}

static void
it_mkcol_without_parent_is_409(void **state)
{
    struct t_server *s = *state;

    /* RFC 4918 9.3.1: 409 when an intermediate collection is missing */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mk-noparent/child/", NULL, NULL), 409);
    assert_false(t_file_exists(s, "mk-noparent"));
}

static void
it_mkcol_with_body_is_415(void **state)
{
    struct t_server *s = *state;

    /* RFC 4918 9.3.1: a body the server does not understand is 415 */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mk-body/", "Content-Type: text/xml\n",
                           "<?xml version=\"1.0\"?><x/>"), 415);
    assert_false(t_file_exists(s, "mk-body"));
}

/* ---- DELETE (RFC 4918 9.6) ---- */

static void
it_delete_file_is_204(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/del-file.txt", "bye"), 201);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-file.txt", NULL, NULL), 204);
    assert_false(t_file_exists(s, "del-file.txt"));
    assert_int_equal(t_status(s, "GET", "/dav/admin/del-file.txt", NULL, NULL), 404);
}

static void
it_delete_tree_is_204(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-tree/", NULL, NULL), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-tree/sub/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-tree/a.txt", "a"), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-tree/sub/b.txt", "b"), 201);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-tree/", NULL, NULL), 204);
    assert_false(t_file_exists(s, "del-tree"));
    /* an explicit Depth: infinity is the same */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-tree2/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-tree2/c.txt", "c"), 201);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-tree2", "Depth: infinity\n", NULL), 204);
    assert_false(t_file_exists(s, "del-tree2"));
}

static void
it_delete_missing_is_404(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-never-was.txt", NULL, NULL), 404);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-never-was/", NULL, NULL), 404);
}

static void
it_delete_collection_with_depth_0_is_400(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-d0/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-d0/keep.txt", "k"), 201);
    /* RFC 4918 9.6.1: a client MUST NOT send Depth other than infinity */
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-d0/", "Depth: 0\n", NULL), 400);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-d0/", "Depth: 1\n", NULL), 400);
    assert_true(it_is_dir(s, "del-d0"));
    it_assert_disk(s, "del-d0/keep.txt", "k");
}

static void
it_delete_repository_root_is_403(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/del-root-canary.txt", "still here"), 201);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/", NULL, NULL), 403);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin", NULL, NULL), 403);
    it_assert_disk(s, "del-root-canary.txt", "still here");
}

static const char it_lockinfo_excl[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    "<D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/></D:lockscope>"
    "<D:locktype><D:write/></D:locktype></D:lockinfo>";

static void
it_delete_collection_with_locked_member_is_207_and_keeps_it(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-lk/", NULL, NULL), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-lk/keep/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-lk/keep/locked.txt", "locked"), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-lk/keep/other.txt", "o1"), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-lk/other.txt", "o2"), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-lk/gone/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-lk/gone/x.txt", "x"), 201);
    assert_int_equal(t_status(s, "LOCK", "/dav/admin/del-lk/keep/locked.txt", "Depth: 0\n",
                           it_lockinfo_excl), 200);

    assert_int_equal(t_req(s, &r, "DELETE", "/dav/admin/del-lk/", NULL, NULL, 0), 0);
    /* RFC 4918 9.6.1: the members that could not be deleted in a 207; no
     * 424 for their ancestors */
    assert_int_equal(r.status, 207);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response"), 1);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response"
                                       "[D:href='/dav/admin/del-lk/keep/locked.txt']"
                                       "[contains(D:status, ' 423 ')]"), 1);
    t_resp_release(&r);
    it_assert_disk(s, "del-lk/keep/locked.txt", "locked");
    assert_true(it_is_dir(s, "del-lk/keep"));
    assert_true(it_is_dir(s, "del-lk"));
    assert_false(t_file_exists(s, "del-lk/keep/other.txt"));
    assert_false(t_file_exists(s, "del-lk/other.txt"));
    assert_false(t_file_exists(s, "del-lk/gone"));
}

static void
it_delete_partial_forgets_dead_properties_of_removed_members(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *pp = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:color>red</T:color>"
                     "</D:prop></D:set></D:propertyupdate>";
    const char *pf = "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:prop><T:color/></D:prop></D:propfind>";

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-pp/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-pp/locked.txt", "l"), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-pp/painted.txt", "p"), 201);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/del-pp/painted.txt", NULL, pp), 207);
    assert_int_equal(t_status(s, "LOCK", "/dav/admin/del-pp/locked.txt", "Depth: 0\n",
                           it_lockinfo_excl), 200);
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-pp/", NULL, NULL), 207);
    assert_false(t_file_exists(s, "del-pp/painted.txt"));

    /* a new resource at the same URL is a new resource: RFC 4918 9.6 says
     * DELETE removes the resource with its properties */
    assert_int_equal(it_put(s, "/dav/admin/del-pp/painted.txt", "new"), 201);
    assert_int_equal(t_req(s, &r, "PROPFIND", "/dav/admin/del-pp/painted.txt", "Depth: 0\n",
                            pf, strlen(pf)), 0);
    int status = r.status;
    int missing = t_xpath_count(&r, "//D:propstat[contains(D:status,' 404 ')]/D:prop/T:color");
    int found = t_xpath_count(&r, "//D:propstat[contains(D:status,' 200 ')]/D:prop/T:color");
    t_resp_release(&r);
    assert_int_equal(status, 207);
    assert_int_equal(found, 0);
    assert_int_equal(missing, 1);
}

static void
it_delete_partial_destroys_locks_of_removed_members(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char token[256];
    const char *lt;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/del-pl/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-pl/mine.txt", "m"), 201);
    assert_int_equal(it_put(s, "/dav/admin/del-pl/theirs.txt", "t"), 201);
    assert_int_equal(t_req(s, &r, "LOCK", "/dav/admin/del-pl/mine.txt", "Depth: 0\n",
                            it_lockinfo_excl, strlen(it_lockinfo_excl)), 0);
    assert_int_equal(r.status, 200);
    lt = t_header(&r, "Lock-Token");
    assert_non_null(lt);
    snprintf(token, sizeof(token), "%s", lt);
    t_resp_release(&r);
    assert_int_equal(t_status(s, "LOCK", "/dav/admin/del-pl/theirs.txt", "Depth: 0\n",
                           it_lockinfo_excl), 200);
    /* the token of mine.txt is submitted (tagged, RFC 4918 10.4.2), the
     * other is not: mine.txt goes, theirs.txt stays */
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/del-pl/",
                           it_fmt("If: <%s> (%s)\n", it_url(s, "/dav/admin/del-pl/mine.txt"),
                                  token), NULL), 207);
    assert_false(t_file_exists(s, "del-pl/mine.txt"));
    it_assert_disk(s, "del-pl/theirs.txt", "t");
    /* RFC 4918 9.6: DELETE MUST destroy locks rooted on a deleted resource;
     * a new file at that URL is not locked */
    assert_int_equal(it_put(s, "/dav/admin/del-pl/mine.txt", "new"), 201);
    it_assert_disk(s, "del-pl/mine.txt", "new");
}

/* ---- COPY and MOVE (RFC 4918 9.8, 9.9) ---- */

static void
it_copy_to_new_destination_is_201(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cp-src.txt", "copy me"), 201);
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cp-src.txt",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cp-dst.txt")),
                           NULL), 201);
    it_assert_disk(s, "cp-dst.txt", "copy me");
    it_assert_disk(s, "cp-src.txt", "copy me");
}

static void
it_copy_overwrite_t_is_204_and_f_is_412(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cpo-src.txt", "source"), 201);
    assert_int_equal(it_put(s, "/dav/admin/cpo-dst.txt", "old destination"), 201);
    /* RFC 4918 9.8.4: Overwrite F and an existing destination: 412 */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpo-src.txt",
                           it_fmt("Destination: %s\nOverwrite: F\n",
                                  it_url(s, "/dav/admin/cpo-dst.txt")), NULL), 412);
    it_assert_disk(s, "cpo-dst.txt", "old destination");
    /* 9.8.5: 204 when an existing destination was overwritten */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpo-src.txt",
                           it_fmt("Destination: %s\nOverwrite: T\n",
                                  it_url(s, "/dav/admin/cpo-dst.txt")), NULL), 204);
    it_assert_disk(s, "cpo-dst.txt", "source");
    /* no Overwrite header means T (10.6) */
    assert_int_equal(it_put(s, "/dav/admin/cpo-src.txt", "source 2"), 204);
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpo-src.txt",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cpo-dst.txt")),
                           NULL), 204);
    it_assert_disk(s, "cpo-dst.txt", "source 2");
}

static void
it_move_to_new_is_201_and_removes_source(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/mv-src.txt", "moving"), 201);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/mv-src.txt",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/mv-dst.txt")),
                           NULL), 201);
    assert_false(t_file_exists(s, "mv-src.txt"));
    it_assert_disk(s, "mv-dst.txt", "moving");
    assert_int_equal(t_status(s, "GET", "/dav/admin/mv-src.txt", NULL, NULL), 404);

    /* a collection with its members */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mv-coll/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/mv-coll/m.txt", "member"), 201);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/mv-coll/",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/mv-coll2/")),
                           NULL), 201);
    assert_false(t_file_exists(s, "mv-coll"));
    it_assert_disk(s, "mv-coll2/m.txt", "member");
}

static void
it_move_overwrite_t_is_204_and_f_is_412(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/mvo-src.txt", "source"), 201);
    assert_int_equal(it_put(s, "/dav/admin/mvo-dst.txt", "old"), 201);
    /* RFC 4918 9.9.4: 412 with Overwrite F; nothing moves */
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/mvo-src.txt",
                           it_fmt("Destination: %s\nOverwrite: F\n",
                                  it_url(s, "/dav/admin/mvo-dst.txt")), NULL), 412);
    it_assert_disk(s, "mvo-dst.txt", "old");
    it_assert_disk(s, "mvo-src.txt", "source");
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/mvo-src.txt",
                           it_fmt("Destination: %s\nOverwrite: T\n",
                                  it_url(s, "/dav/admin/mvo-dst.txt")), NULL), 204);
    it_assert_disk(s, "mvo-dst.txt", "source");
    assert_false(t_file_exists(s, "mvo-src.txt"));

    /* a collection replaced by a file: the old members are gone (9.9.3) */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/mvo-coll/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/mvo-coll/old.txt", "o"), 201);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/mvo-dst.txt",
                           it_fmt("Destination: %s\nOverwrite: T\n",
                                  it_url(s, "/dav/admin/mvo-coll")), NULL), 204);
    it_assert_disk(s, "mvo-coll", "source");
}

static void
it_copy_depth_0_copies_only_the_collection(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/cp0/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/cp0/member.txt", "m"), 201);
    /* RFC 4918 9.8.3: Depth 0 copies the collection and its properties only */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cp0/",
                           it_fmt("Destination: %s\nDepth: 0\n", it_url(s, "/dav/admin/cp0-copy/")),
                           NULL), 201);
    assert_true(it_is_dir(s, "cp0-copy"));
    assert_false(t_file_exists(s, "cp0-copy/member.txt"));
    it_assert_disk(s, "cp0/member.txt", "m");
}

static void
it_copy_depth_infinity_copies_the_tree(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/cpi/", NULL, NULL), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/cpi/sub/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/cpi/a.txt", "a"), 201);
    assert_int_equal(it_put(s, "/dav/admin/cpi/sub/b.txt", "bb"), 201);
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpi/",
                           it_fmt("Destination: %s\nDepth: infinity\n",
                                  it_url(s, "/dav/admin/cpi-copy/")), NULL), 201);
    it_assert_disk(s, "cpi-copy/a.txt", "a");
    it_assert_disk(s, "cpi-copy/sub/b.txt", "bb");
    it_assert_disk(s, "cpi/sub/b.txt", "bb");
}

static void
it_copy_depth_1_is_400(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/cp1/", NULL, NULL), 201);
    /* RFC 4918 9.8.3: Depth 0 or infinity only */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cp1/",
                           it_fmt("Destination: %s\nDepth: 1\n", it_url(s, "/dav/admin/cp1-copy/")),
                           NULL), 400);
    assert_false(t_file_exists(s, "cp1-copy"));
}

static void
it_copy_and_move_without_destination_parent_are_409(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cpp-src.txt", "p"), 201);
    /* RFC 4918 9.8.5, 9.9.4: 409 when an intermediate collection is missing */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpp-src.txt",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cpp-none/x.txt")),
                           NULL), 409);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/cpp-src.txt",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cpp-none/x.txt")),
                           NULL), 409);
    assert_false(t_file_exists(s, "cpp-none"));
    it_assert_disk(s, "cpp-src.txt", "p");
}

static void
it_copy_to_another_host_is_502(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cph-src.txt", "h"), 201);
    /* RFC 4918 9.8.5: the destination is on another server: 502 */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cph-src.txt",
                           "Destination: http://other.example/dav/admin/cph-dst.txt\n", NULL), 502);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/cph-src.txt",
                           "Destination: http://other.example/dav/admin/cph-dst.txt\n", NULL), 502);
    assert_false(t_file_exists(s, "cph-dst.txt"));
    it_assert_disk(s, "cph-src.txt", "h");
}

static void
it_copy_and_move_onto_itself_are_403(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cps.txt", "self"), 201);
    /* RFC 4918 9.8.5, 9.9.4: source and destination the same: 403 */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cps.txt",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cps.txt")), NULL),
                     403);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/cps.txt",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cps.txt")), NULL),
                     403);
    it_assert_disk(s, "cps.txt", "self");
}

static void
it_copy_and_move_collection_into_itself_are_403(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/cpin/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/cpin/a.txt", "a"), 201);
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpin/",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cpin/sub/")), NULL),
                     403);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/cpin/",
                           it_fmt("Destination: %s\n", it_url(s, "/dav/admin/cpin/sub/")), NULL),
                     403);
    assert_false(t_file_exists(s, "cpin/sub"));
    it_assert_disk(s, "cpin/a.txt", "a");
}

static void
it_copy_destination_as_absolute_path_works(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cpa-src.txt", "abs"), 201);
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpa-src.txt",
                           "Destination: /dav/admin/cpa-dst.txt\n", NULL), 201);
    it_assert_disk(s, "cpa-dst.txt", "abs");
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/cpa-dst.txt",
                           "Destination: /dav/admin/cpa-moved.txt\n", NULL), 201);
    it_assert_disk(s, "cpa-moved.txt", "abs");
    assert_false(t_file_exists(s, "cpa-dst.txt"));
}

/* PROPFIND of {http://example.com/t}name on path; returns its value or NULL. */
static char *
it_dead_prop(struct t_server *s, const char *path, const char *name, int *status)
{
    struct t_resp r;
    char *v;
    const char *body = it_fmt("<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\" "
                              "xmlns:T=\"http://example.com/t\"><D:prop><T:%s/></D:prop>"
                              "</D:propfind>", name);

    assert_int_equal(t_req(s, &r, "PROPFIND", path, "Depth: 0\n", body, strlen(body)), 0);
    *status = r.status;
    v = t_xpath_string(&r, it_fmt("//D:propstat[contains(D:status,' 200 ')]/D:prop/T:%s", name));
    t_resp_release(&r);
    return v;
}

static void
it_copy_and_move_carry_dead_properties(void **state)
{
    struct t_server *s = *state;
    const char *pp = "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                     "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:tag>blue</T:tag>"
                     "</D:prop></D:set></D:propertyupdate>";
    char *v;
    int st;

    assert_int_equal(it_put(s, "/dav/admin/cpd-src.txt", "dead"), 201);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/cpd-src.txt", NULL, pp), 207);
    /* RFC 4918 9.8.2: dead properties are duplicated by COPY */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpd-src.txt",
                           "Destination: /dav/admin/cpd-copy.txt\n", NULL), 201);
    v = it_dead_prop(s, "/dav/admin/cpd-copy.txt", "tag", &st);
    assert_int_equal(st, 207);
    assert_non_null(v);
    assert_string_equal(v, "blue");
    free(v);
    v = it_dead_prop(s, "/dav/admin/cpd-src.txt", "tag", &st);
    assert_non_null(v);
    assert_string_equal(v, "blue");
    free(v);
    /* 9.9.1: MOVE keeps the dead properties; the source is gone */
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/cpd-copy.txt",
                           "Destination: /dav/admin/cpd-moved.txt\n", NULL), 201);
    v = it_dead_prop(s, "/dav/admin/cpd-moved.txt", "tag", &st);
    assert_int_equal(st, 207);
    assert_non_null(v);
    assert_string_equal(v, "blue");
    free(v);
    v = it_dead_prop(s, "/dav/admin/cpd-copy.txt", "tag", &st);
    assert_int_equal(st, 404);
    assert_null(v);

    /* members of a copied collection keep theirs too */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/cpd-coll/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/cpd-coll/in.txt", "in"), 201);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/cpd-coll/in.txt", NULL, pp), 207);
    assert_int_equal(t_status(s, "COPY", "/dav/admin/cpd-coll/",
                           "Destination: /dav/admin/cpd-coll2/\n", NULL), 201);
    v = it_dead_prop(s, "/dav/admin/cpd-coll2/in.txt", "tag", &st);
    assert_non_null(v);
    assert_string_equal(v, "blue");
    free(v);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/cpd-coll2/",
                           "Destination: /dav/admin/cpd-coll3/\n", NULL), 201);
    v = it_dead_prop(s, "/dav/admin/cpd-coll3/in.txt", "tag", &st);
    assert_non_null(v);
    assert_string_equal(v, "blue");
    free(v);
}

/* ---- GET (RFC 7231, 7232, 7233) ---- */

static const char it_alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";

/*
 * GETs of small files are answered from a copy each thread keeps
 * (storage/stor_fcache.c). A change made beside Coffer shows on the next
 * GET whatever thread answers it: in place with the old modification time
 * put back (only the change time and the bytes differ), and a new file
 * renamed over the old one.
 */
static void
it_get_small_file_changed_on_disk_is_served_fresh(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char want[3000], path[600], tmp[600];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/fresh.txt", s->repo_admin);
    snprintf(tmp, sizeof(tmp), "%s/fresh.tmp", s->repo_admin);
    for (int round = 0; round < 3; round++) {
        memset(want, 'a' + round, sizeof(want));
        if (round == 0) {
            assert_int_equal(t_file_write(s, "fresh.txt", want, sizeof(want)), 0);
        } else {
            struct timespec keep[2];

            assert_int_equal(stat(path, &sb), 0);
            keep[0] = sb.st_atim;
            keep[1] = sb.st_mtim;
            usleep(20 * 1000);      /* past a tick of the filesystem's clock */
            if (round == 1) {
                assert_int_equal(t_file_write(s, "fresh.txt", want, sizeof(want)), 0);
                assert_int_equal(utimensat(AT_FDCWD, path, keep, 0), 0);
            } else {
                assert_int_equal(t_file_write(s, "fresh.tmp", want, sizeof(want)), 0);
                assert_int_equal(utimensat(AT_FDCWD, tmp, keep, 0), 0);
                assert_int_equal(rename(tmp, path), 0);
            }
        }
        /* new connections: every worker thread gets to answer */
        for (int i = 0; i < 8; i++) {
            assert_int_equal(t_req(s, &r, "GET", "/dav/admin/fresh.txt", NULL, NULL, 0), 0);
            assert_int_equal(r.status, 200);
            assert_int_equal(r.body_len, sizeof(want));
            assert_memory_equal(r.body, want, sizeof(want));
            t_resp_release(&r);
        }
    }
    /* a HEAD from the copy has the length GET sends */
    assert_int_equal(t_req(s, &r, "HEAD", "/dav/admin/fresh.txt", NULL, NULL, 0), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "Content-Length"), "3000");
    assert_int_equal(r.body_len, 0);
    t_resp_release(&r);
}

static void
it_get_single_range_is_206(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(it_put(s, "/dav/admin/rg1.txt", it_alnum), 201);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rg1.txt", "Range: bytes=2-5\n", NULL, 0), 0);
    assert_int_equal(r.status, 206);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes 2-5/36");
    assert_int_equal(r.body_len, 4);
    assert_memory_equal(r.body, "2345", 4);
    t_resp_release(&r);
    /* an open end runs to the last byte */
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rg1.txt", "Range: bytes=30-\n", NULL, 0), 0);
    assert_int_equal(r.status, 206);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes 30-35/36");
    assert_int_equal(r.body_len, 6);
    assert_memory_equal(r.body, "uvwxyz", 6);
    t_resp_release(&r);
}

static void
it_get_two_ranges_are_multipart_byteranges(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *ct;
    char boundary[128], *p;

    assert_int_equal(it_put(s, "/dav/admin/rg2.txt", it_alnum), 201);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rg2.txt", "Range: bytes=0-1,10-12\n",
                            NULL, 0), 0);
    assert_int_equal(r.status, 206);
    ct = t_header(&r, "Content-Type");
    assert_non_null(ct);
    assert_true(strncmp(ct, "multipart/byteranges; boundary=", 31) == 0);
    snprintf(boundary, sizeof(boundary), "--%s", ct + 31);
    /* RFC 7233 4.1: each part with its Content-Range, then the bytes */
    p = strstr(r.body, boundary);
    assert_non_null(p);
    assert_non_null(strstr(p, "Content-Range: bytes 0-1/36\r\n\r\n01\r\n"));
    assert_non_null(strstr(p, "Content-Range: bytes 10-12/36\r\n\r\nabc\r\n"));
    assert_true(strstr(p, "bytes 0-1/36") < strstr(p, "bytes 10-12/36"));
    assert_non_null(strstr(r.body, it_fmt("%s--\r\n", boundary)));
    assert_null(t_header(&r, "Content-Range"));
    t_resp_release(&r);
}

static void
it_get_suffix_range_is_the_last_bytes(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(it_put(s, "/dav/admin/rgs.txt", it_alnum), 201);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rgs.txt", "Range: bytes=-10\n", NULL, 0), 0);
    assert_int_equal(r.status, 206);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes 26-35/36");
    assert_int_equal(r.body_len, 10);
    assert_memory_equal(r.body, "qrstuvwxyz", 10);
    t_resp_release(&r);
}

static void
it_get_unsatisfiable_range_is_416(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(it_put(s, "/dav/admin/rgu.txt", it_alnum), 201);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rgu.txt", "Range: bytes=100-200\n",
                            NULL, 0), 0);
    /* RFC 7233 4.4: 416 with Content-Range: bytes * / length */
    assert_int_equal(r.status, 416);
    assert_string_equal(t_header(&r, "Content-Range"), "bytes */36");
    t_resp_release(&r);
}

static void
it_get_if_range_with_old_etag_is_200_whole(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char *old;

    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/rgi.txt", NULL, "old content", 11), 0);
    assert_int_equal(r.status, 201);
    old = it_etag(&r);
    t_resp_release(&r);
    assert_int_equal(it_put(s, "/dav/admin/rgi.txt", it_alnum), 204);
    /* RFC 7233 3.2: the validator does not match: the whole representation */
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rgi.txt",
                            it_fmt("Range: bytes=0-3\nIf-Range: %s\n", old), NULL, 0), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 36);
    assert_memory_equal(r.body, it_alnum, 36);
    assert_null(t_header(&r, "Content-Range"));
    t_resp_release(&r);
    /* and the current one gives the range */
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rgi.txt", NULL, NULL, 0), 0);
    char *cur = it_etag(&r);
    t_resp_release(&r);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/rgi.txt",
                            it_fmt("Range: bytes=0-3\nIf-Range: %s\n", cur), NULL, 0), 0);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.body_len, 4);
    assert_memory_equal(r.body, "0123", 4);
    t_resp_release(&r);
    free(old);
    free(cur);
}

static void
it_get_if_none_match_current_is_304_without_body(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char *etag;
    int fd;

    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/cond-inm.txt", NULL, "cached", 6), 0);
    etag = it_etag(&r);
    t_resp_release(&r);
    assert_non_null(etag);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/cond-inm.txt",
                            it_fmt("If-None-Match: %s\n", etag), NULL, 0), 0);
    assert_int_equal(r.status, 304);
    assert_string_equal(t_header(&r, "ETag"), etag);
    t_resp_release(&r);
    /* RFC 7232 4.1: a 304 has no body. On one connection, the response to
     * the next request must follow the 304's head at once. */
    fd = t_conn_open(s);
    assert_true(fd >= 0);
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/cond-inm.txt HTTP/1.1\nHost: 127.0.0.1:%d\n"
                                     T_AUTH "If-None-Match: %s\n\n", s->port, etag), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 5000), 0);
    assert_int_equal(r.status, 304);
    t_resp_release(&r);
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/cond-inm.txt HTTP/1.1\nHost: 127.0.0.1:%d\n"
                                     T_AUTH "\n", s->port), 0);
    assert_int_equal(t_conn_read(fd, &r, false, 5000), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 6);
    assert_memory_equal(r.body, "cached", 6);
    t_resp_release(&r);
    close(fd);
    free(etag);
}

static void
it_get_if_match_other_is_412(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cond-im.txt", "x"), 201);
    /* RFC 7232 3.1 */
    assert_int_equal(t_status(s, "GET", "/dav/admin/cond-im.txt", "If-Match: \"not-this-one\"\n",
                           NULL), 412);
    assert_int_equal(t_status(s, "GET", "/dav/admin/cond-im.txt", "If-Match: *\n", NULL), 200);
}

static void
it_get_if_modified_since_future_is_304(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cond-ims.txt", "x"), 201);
    /* RFC 7232 3.3: not modified since that date */
    assert_int_equal(t_status(s, "GET", "/dav/admin/cond-ims.txt",
                           "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\n", NULL), 304);
    assert_int_equal(t_status(s, "GET", "/dav/admin/cond-ims.txt",
                           "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\n", NULL), 200);
}

static void
it_get_if_unmodified_since_past_is_412(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/cond-ius.txt", "x"), 201);
    /* RFC 7232 3.4 */
    assert_int_equal(t_status(s, "GET", "/dav/admin/cond-ius.txt",
                           "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT\n", NULL), 412);
    assert_int_equal(t_status(s, "GET", "/dav/admin/cond-ius.txt",
                           "If-Unmodified-Since: Fri, 01 Jan 2100 00:00:00 GMT\n", NULL), 200);
}

/* A 1x1 PNG. */
static const unsigned char it_png[] = {
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
};

static void
it_get_content_type_from_extension_and_from_magic(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(it_put(s, "/dav/admin/ctype.pdf", "not really a pdf"), 201);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/ctype.pdf", NULL, NULL, 0), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "Content-Type"), "application/pdf");
    t_resp_release(&r);

    assert_int_equal(t_req(s, &r, "PUT", "/dav/admin/ctype-picture", NULL, it_png,
                            sizeof(it_png)), 0);
    assert_int_equal(r.status, 201);
    t_resp_release(&r);
    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/ctype-picture", NULL, NULL, 0), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "Content-Type"), "image/png");
    assert_int_equal(r.body_len, sizeof(it_png));
    assert_memory_equal(r.body, it_png, sizeof(it_png));
    t_resp_release(&r);
}

static void
it_get_collection_lists_members_html_escaped(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *ct;

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/ix/", NULL, NULL), 201);
    /* the name <b>&"x */
    assert_int_equal(it_put(s, "/dav/admin/ix/%3Cb%3E%26%22x", "esc"), 201);
    it_assert_disk(s, "ix/<b>&\"x", "esc");
    assert_int_equal(it_put(s, "/dav/admin/ix/plain.txt", "p"), 201);
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/ix/folder/", NULL, NULL), 201);

    assert_int_equal(t_req(s, &r, "GET", "/dav/admin/ix/", NULL, NULL, 0), 0);
    assert_int_equal(r.status, 200);
    ct = t_header(&r, "Content-Type");
    assert_non_null(ct);
    assert_true(strncmp(ct, "text/html", 9) == 0);
    assert_non_null(strstr(r.body, ">&lt;b&gt;&amp;&quot;x<"));
    assert_non_null(strstr(r.body, "href=\"/dav/admin/ix/%3Cb%3E%26%22x\""));
    assert_null(strstr(r.body, "<b>&"));
    assert_non_null(strstr(r.body, "href=\"/dav/admin/ix/plain.txt\""));
    assert_non_null(strstr(r.body, "href=\"/dav/admin/ix/folder/\""));
    t_resp_release(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(it_put_new_is_201_and_overwrite_is_204_with_exact_bytes),
        cmocka_unit_test(it_put_without_parent_is_409),
        cmocka_unit_test(it_put_on_collection_is_405),
        cmocka_unit_test(it_put_if_none_match_star_on_existing_is_412),
        cmocka_unit_test(it_put_if_match_current_is_204_and_stale_is_412),
        cmocka_unit_test(it_put_etag_equals_get_and_propfind_getetag),
        cmocka_unit_test(it_mkcol_new_is_201),
        cmocka_unit_test(it_mkcol_existing_is_405),
        cmocka_unit_test(it_mkcol_without_parent_is_409),
        cmocka_unit_test(it_mkcol_with_body_is_415),
        cmocka_unit_test(it_delete_file_is_204),
        cmocka_unit_test(it_delete_tree_is_204),
        cmocka_unit_test(it_delete_missing_is_404),
        cmocka_unit_test(it_delete_collection_with_depth_0_is_400),
        cmocka_unit_test(it_delete_repository_root_is_403),
        cmocka_unit_test(it_delete_collection_with_locked_member_is_207_and_keeps_it),
        cmocka_unit_test(it_delete_partial_forgets_dead_properties_of_removed_members),
        cmocka_unit_test(it_delete_partial_destroys_locks_of_removed_members),
        cmocka_unit_test(it_copy_to_new_destination_is_201),
        cmocka_unit_test(it_copy_overwrite_t_is_204_and_f_is_412),
        cmocka_unit_test(it_move_to_new_is_201_and_removes_source),
        cmocka_unit_test(it_move_overwrite_t_is_204_and_f_is_412),
        cmocka_unit_test(it_copy_depth_0_copies_only_the_collection),
        cmocka_unit_test(it_copy_depth_infinity_copies_the_tree),
        cmocka_unit_test(it_copy_depth_1_is_400),
        cmocka_unit_test(it_copy_and_move_without_destination_parent_are_409),
        cmocka_unit_test(it_copy_to_another_host_is_502),
        cmocka_unit_test(it_copy_and_move_onto_itself_are_403),
        cmocka_unit_test(it_copy_and_move_collection_into_itself_are_403),
        cmocka_unit_test(it_copy_destination_as_absolute_path_works),
        cmocka_unit_test(it_copy_and_move_carry_dead_properties),
        cmocka_unit_test(it_get_small_file_changed_on_disk_is_served_fresh),
        cmocka_unit_test(it_get_single_range_is_206),
        cmocka_unit_test(it_get_two_ranges_are_multipart_byteranges),
        cmocka_unit_test(it_get_suffix_range_is_the_last_bytes),
        cmocka_unit_test(it_get_unsatisfiable_range_is_416),
        cmocka_unit_test(it_get_if_range_with_old_etag_is_200_whole),
        cmocka_unit_test(it_get_if_none_match_current_is_304_without_body),
        cmocka_unit_test(it_get_if_match_other_is_412),
        cmocka_unit_test(it_get_if_modified_since_future_is_304),
        cmocka_unit_test(it_get_if_unmodified_since_past_is_412),
        cmocka_unit_test(it_get_content_type_from_extension_and_from_magic),
        cmocka_unit_test(it_get_collection_lists_members_html_escaped),
    };

    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
