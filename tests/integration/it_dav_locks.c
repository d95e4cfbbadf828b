/*
 * it_dav_locks.c: LOCK and UNLOCK (RFC 4918 9.10, 9.11), what locks
 * protect (7), and the If header (10.4), against the real cofferd.
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

#include <cmocka.h>

#include "harness.h"

/* ---- helpers ---- */

static int
it_put(struct t_server *s, const char *path, const char *headers, const char *body)
{
    return t_status(s, "PUT", path, headers, body);
}

/* printf into a static buffer (one of eight, for nesting in a call). */
static const char *
it_fmt(const char *fmt, ...)
{
    static char buf[8][2048];
    static int next;
    char *out = buf[next++ % 8];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, sizeof(buf[0]), fmt, ap);
    va_end(ap);
    return out;
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

static void
it_assert_xc(const struct t_resp *r, const char *xpath, int want)
{
    int n = t_xpath_count(r, xpath);

    if (n != want)
        fail_msg("%d matches for %s, expected %d, in:\n%.4000s", n, xpath, want, r->body);
}

static char *
it_xs(const struct t_resp *r, const char *xpath)
{
    char *v = t_xpath_string(r, xpath);

    if (v == NULL)
        fail_msg("no match for %s in:\n%.4000s", xpath, r->body);
    return v;
}

/* A lockinfo body: scope "exclusive" or "shared", owner XML or NULL. */
static const char *
it_lockinfo(const char *scope, const char *owner)
{
    return it_fmt("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                  "<D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:%s/></D:lockscope>"
                  "<D:locktype><D:write/></D:locktype>%s</D:lockinfo>",
                  scope, owner ? owner : "");
}

/*
 * LOCKs path; returns the status and, on success, the token (without the
 * angle brackets) in token. headers may add Depth or Timeout.
 */
static int
it_lock(struct t_server *s, const char *path, const char *scope, const char *headers,
        char *token, size_t cap)
{
    struct t_resp r;
    int status;

    assert_int_equal(t_reqs(s, &r, "LOCK", path, headers, it_lockinfo(scope, NULL)), 0);
    status = r.status;
    if (token != NULL && (status == 200 || status == 201)) {
        const char *lt = t_header(&r, "Lock-Token");
        size_t n;

        assert_non_null(lt);
        n = strlen(lt);
        assert_true(n > 2 && lt[0] == '<' && lt[n - 1] == '>');
        assert_true(n - 2 < cap);
        memcpy(token, lt + 1, n - 2);
        token[n - 2] = '\0';
    }
    t_resp_release(&r);
    return status;
}

/* The number in "Second-N" of the first activelock's timeout, or -1. */
static long
it_timeout_of(const struct t_resp *r)
{
    char *v = it_xs(r, "//D:lockdiscovery/D:activelock/D:timeout");
    long n = -1;

    if (strncmp(v, "Second-", 7) == 0)
        n = strtol(v + 7, NULL, 10);
    free(v);
    return n;
}

static char *
it_etag_of(struct t_server *s, const char *path)
{
    struct t_resp r;
    const char *e;
    char *out;

    assert_int_equal(t_reqs(s, &r, "HEAD", path, NULL, NULL), 0);
    assert_int_equal(r.status, 200);
    e = t_header(&r, "ETag");
    assert_non_null(e);
    out = strdup(e);
    t_resp_release(&r);
    return out;
}

/* ---- LOCK ---- */

static void
it_lock_exclusive_gives_token_and_owner_back(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    const char *owner = "<D:owner><D:href>http://example.com/~alice</D:href></D:owner>";
    const char *lt;
    char *v, token[256];

    assert_int_equal(it_put(s, "/dav/admin/lk-excl.txt", NULL, "locked"), 201);
    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/lk-excl.txt", "Depth: 0\n",
                            it_lockinfo("exclusive", owner)), 0);
    /* RFC 4918 9.10.1: 200 with lockdiscovery, the token in Lock-Token */
    assert_int_equal(r.status, 200);
    lt = t_header(&r, "Lock-Token");
    assert_non_null(lt);
    assert_true(lt[0] == '<' && lt[strlen(lt) - 1] == '>');
    snprintf(token, sizeof(token), "%.*s", (int)strlen(lt) - 2, lt + 1);
    const char *al = "/D:prop/D:lockdiscovery/D:activelock";
    it_assert_xc(&r, al, 1);
    it_assert_xc(&r, it_fmt("%s/D:lockscope/D:exclusive", al), 1);
    it_assert_xc(&r, it_fmt("%s/D:locktype/D:write", al), 1);
    v = it_xs(&r, it_fmt("%s/D:locktoken/D:href", al));
    assert_string_equal(v, token);
    free(v);
    v = it_xs(&r, it_fmt("%s/D:depth", al));
    assert_string_equal(v, "0");
    free(v);
    /* 14.17: the owner is given back as the client sent it */
    v = it_xs(&r, it_fmt("%s/D:owner/D:href", al));
    assert_string_equal(v, "http://example.com/~alice");
    free(v);
    t_resp_release(&r);

    /* and PROPFIND lockdiscovery shows the same */
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/lk-excl.txt", "Depth: 0\n",
                            "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
                            "<D:lockdiscovery/></D:prop></D:propfind>"), 0);
    assert_int_equal(r.status, 207);
    v = it_xs(&r, "//D:lockdiscovery/D:activelock/D:owner/D:href");
    assert_string_equal(v, "http://example.com/~alice");
    free(v);
    v = it_xs(&r, "//D:lockdiscovery/D:activelock/D:locktoken/D:href");
    assert_string_equal(v, token);
    free(v);
    t_resp_release(&r);
}

/* The lockroot href of the LOCK response and of PROPFIND lockdiscovery. */
static void
it_lockroots(struct t_server *s, const char *path, const char *depth, char *lock_root,
             char *pf_root, size_t cap)
{
    struct t_resp r;
    char *v;

    assert_int_equal(t_reqs(s, &r, "LOCK", path, depth, it_lockinfo("exclusive", NULL)), 0);
    assert_int_equal(r.status, 200);
    v = it_xs(&r, "/D:prop/D:lockdiscovery/D:activelock/D:lockroot/D:href");
    snprintf(lock_root, cap, "%s", v);
    free(v);
    t_resp_release(&r);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", path, "Depth: 0\n",
                            "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
                            "<D:lockdiscovery/></D:prop></D:propfind>"), 0);
    assert_int_equal(r.status, 207);
    v = it_xs(&r, "//D:lockdiscovery/D:activelock/D:lockroot/D:href");
    snprintf(pf_root, cap, "%s", v);
    free(v);
    t_resp_release(&r);
}

static void
it_lockroot_of_a_file_has_no_trailing_slash(void **state)
{
    struct t_server *s = *state;
    char lock_root[512], pf_root[512];

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/lk-root-coll/", NULL, NULL), 201);
    it_lockroots(s, "/dav/admin/lk-root-coll", "Depth: infinity\n", lock_root, pf_root,
                 sizeof(lock_root));
    assert_string_equal(lock_root, "/dav/admin/lk-root-coll/");
    assert_string_equal(pf_root, "/dav/admin/lk-root-coll/");

    /* RFC 4918 14.12: the lockroot is the URL that was locked; a file's URL
     * has no trailing slash (and this server answers 404 to "file/") */
    assert_int_equal(it_put(s, "/dav/admin/lk-root.txt", NULL, "x"), 201);
    it_lockroots(s, "/dav/admin/lk-root.txt", "Depth: 0\n", lock_root, pf_root,
                 sizeof(lock_root));
    assert_int_equal(t_status(s, "GET", it_fmt("%s", lock_root), NULL, NULL), 200);
    assert_string_equal(lock_root, "/dav/admin/lk-root.txt");
    assert_string_equal(pf_root, "/dav/admin/lk-root.txt");
}

static void
it_lock_second_exclusive_is_423_no_conflicting_lock(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(it_put(s, "/dav/admin/lk-twice.txt", NULL, "x"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-twice.txt", "exclusive", NULL, NULL, 0), 200);
    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/lk-twice.txt", NULL,
                            it_lockinfo("exclusive", NULL)), 0);
    /* RFC 4918 9.10.6: 423 with the no-conflicting-lock precondition */
    assert_int_equal(r.status, 423);
    it_assert_xc(&r, "/D:error/D:no-conflicting-lock", 1);
    t_resp_release(&r);
    /* a shared one conflicts with the exclusive one as well */
    assert_int_equal(it_lock(s, "/dav/admin/lk-twice.txt", "shared", NULL, NULL, 0), 423);
}

static void
it_lock_two_shared_locks_coexist(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char t1[256], t2[256];

    assert_int_equal(it_put(s, "/dav/admin/lk-shared.txt", NULL, "x"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-shared.txt", "shared", NULL, t1, sizeof(t1)), 200);
    assert_int_equal(it_lock(s, "/dav/admin/lk-shared.txt", "shared", NULL, t2, sizeof(t2)), 200);
    assert_string_not_equal(t1, t2);
    /* RFC 4918 6.2: an exclusive one cannot join them */
    assert_int_equal(it_lock(s, "/dav/admin/lk-shared.txt", "exclusive", NULL, NULL, 0), 423);
    assert_int_equal(t_reqs(s, &r, "PROPFIND", "/dav/admin/lk-shared.txt", "Depth: 0\n",
                            "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
                            "<D:lockdiscovery/></D:prop></D:propfind>"), 0);
    it_assert_xc(&r, "//D:lockdiscovery/D:activelock[D:lockscope/D:shared]", 2);
    t_resp_release(&r);
    /* either token lets a PUT through */
    assert_int_equal(it_put(s, "/dav/admin/lk-shared.txt", it_fmt("If: (<%s>)\n", t2), "y"), 204);
}

static void
it_put_on_locked_file_needs_the_token(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char token[256];

    assert_int_equal(it_put(s, "/dav/admin/lk-put.txt", NULL, "before"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-put.txt", "exclusive", NULL, token, sizeof(token)),
                     200);
    assert_int_equal(t_reqs(s, &r, "PUT", "/dav/admin/lk-put.txt", NULL, "sneaky"), 0);
    /* RFC 4918 7.4, 9.7: 423 with lock-token-submitted naming the lock root */
    assert_int_equal(r.status, 423);
    it_assert_xc(&r, "/D:error/D:lock-token-submitted/D:href", 1);
    char *v = it_xs(&r, "/D:error/D:lock-token-submitted/D:href");
    assert_string_equal(v, "/dav/admin/lk-put.txt");
    free(v);
    t_resp_release(&r);
    it_assert_disk(s, "lk-put.txt", "before");
    /* DELETE, MOVE and PROPPATCH are refused too */
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/lk-put.txt", NULL, NULL), 423);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/lk-put.txt",
                           "Destination: /dav/admin/lk-put-moved.txt\n", NULL), 423);
    assert_int_equal(t_status(s, "PROPPATCH", "/dav/admin/lk-put.txt", NULL,
                           "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" "
                           "xmlns:T=\"http://example.com/t\"><D:set><D:prop><T:x>1</T:x>"
                           "</D:prop></D:set></D:propertyupdate>"), 423);
    assert_false(t_file_exists(s, "lk-put-moved.txt"));

    assert_int_equal(it_put(s, "/dav/admin/lk-put.txt", it_fmt("If: (<%s>)\n", token), "after"),
                     204);
    it_assert_disk(s, "lk-put.txt", "after");
}

static void
it_lock_depth_infinity_protects_a_new_member(void **state)
{
    struct t_server *s = *state;
    char token[256];

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/lk-coll/", NULL, NULL), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-coll/", "exclusive", "Depth: infinity\n", token,
                             sizeof(token)), 200);
    /* RFC 4918 7.4: adding a member changes the locked collection */
    assert_int_equal(it_put(s, "/dav/admin/lk-coll/new.txt", NULL, "n"), 423);
    assert_false(t_file_exists(s, "lk-coll/new.txt"));
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/lk-coll/sub/", NULL, NULL), 423);
    /* 10.4.2: a tagged list naming the collection submits the token */
    assert_int_equal(it_put(s, "/dav/admin/lk-coll/new.txt",
                            it_fmt("If: <http://127.0.0.1:%d/dav/admin/lk-coll/> (<%s>)\n",
                                   s->port, token), "n"), 201);
    it_assert_disk(s, "lk-coll/new.txt", "n");
    /* the new member is covered by the depth-infinity lock from now on */
    assert_int_equal(it_put(s, "/dav/admin/lk-coll/new.txt", NULL, "m"), 423);
    assert_int_equal(it_put(s, "/dav/admin/lk-coll/new.txt", it_fmt("If: (<%s>)\n", token), "m"),
                     204);
}

static void
it_lock_timeout_second_100_is_at_most_100(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    long t;

    assert_int_equal(it_put(s, "/dav/admin/lk-t100.txt", NULL, "x"), 201);
    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/lk-t100.txt", "Timeout: Second-100\n",
                            it_lockinfo("exclusive", NULL)), 0);
    assert_int_equal(r.status, 200);
    /* RFC 4918 10.7: the server may shorten, never lengthen past the request */
    t = it_timeout_of(&r);
    assert_true(t > 0 && t <= 100);
    t_resp_release(&r);
}

/* Runs with "lock-timeout-max = 10m" (it_fixture_short_locks). */
static void
it_lock_timeout_infinite_is_capped_by_lock_timeout_max(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    long t;

    assert_int_equal(it_put(s, "/dav/admin/lk-inf.txt", NULL, "x"), 201);
    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/lk-inf.txt", "Timeout: Infinite\n",
                            it_lockinfo("exclusive", NULL)), 0);
    assert_int_equal(r.status, 200);
    t = it_timeout_of(&r);
    /* a second may pass between the lock and its description */
    assert_true(t >= 599 && t <= 600);
    t_resp_release(&r);
    /* a longer Second-N is capped the same way */
    assert_int_equal(it_put(s, "/dav/admin/lk-inf2.txt", NULL, "x"), 201);
    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/lk-inf2.txt", "Timeout: Second-86400\n",
                            it_lockinfo("exclusive", NULL)), 0);
    assert_int_equal(r.status, 200);
    t = it_timeout_of(&r);
    assert_true(t >= 599 && t <= 600);
    t_resp_release(&r);
}

static void
it_lock_refresh_without_body_is_200(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char token[256], *v;

    assert_int_equal(it_put(s, "/dav/admin/lk-refresh.txt", NULL, "x"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-refresh.txt", "exclusive", "Timeout: Second-60\n",
                             token, sizeof(token)), 200);
    /* RFC 4918 9.10.2: a LOCK without a body and the token in If refreshes */
    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/lk-refresh.txt",
                            it_fmt("If: (<%s>)\nTimeout: Second-120\n", token), NULL), 0);
    assert_int_equal(r.status, 200);
    v = it_xs(&r, "//D:lockdiscovery/D:activelock/D:locktoken/D:href");
    assert_string_equal(v, token);
    free(v);
    long t = it_timeout_of(&r);
    assert_true(t > 60 && t <= 120);
    t_resp_release(&r);
    /* without the If header there is nothing to refresh */
    assert_int_equal(t_status(s, "LOCK", "/dav/admin/lk-refresh.txt", NULL, NULL), 400);
}

static void
it_lock_on_unmapped_url_creates_an_empty_file(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    struct stat st;

    assert_int_equal(t_reqs(s, &r, "LOCK", "/dav/admin/lk-new.txt", "Depth: 0\n",
                            it_lockinfo("exclusive", NULL)), 0);
    /* RFC 4918 9.10.4: an empty resource, locked, and 201 */
    assert_int_equal(r.status, 201);
    assert_non_null(t_header(&r, "Lock-Token"));
    t_resp_release(&r);
    assert_int_equal(stat(t_path(s, "lk-new.txt"), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 0);
    assert_int_equal(it_put(s, "/dav/admin/lk-new.txt", NULL, "x"), 423);
}

static void
it_unlock_unknown_token_is_409(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(it_put(s, "/dav/admin/lk-unk.txt", NULL, "x"), 201);
    assert_int_equal(t_reqs(s, &r, "UNLOCK", "/dav/admin/lk-unk.txt",
                            "Lock-Token: <opaquelocktoken:00000000-0000-4000-8000-000000000000>\n",
                            NULL), 0);
    /* RFC 4918 9.11.1: 409 with lock-token-matches-request-uri */
    assert_int_equal(r.status, 409);
    it_assert_xc(&r, "/D:error/D:lock-token-matches-request-uri", 1);
    t_resp_release(&r);
}

static void
it_unlock_is_204_and_then_put_needs_no_token(void **state)
{
    struct t_server *s = *state;
    char token[256];

    assert_int_equal(it_put(s, "/dav/admin/lk-unlock.txt", NULL, "x"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-unlock.txt", "exclusive", NULL, token,
                             sizeof(token)), 200);
    assert_int_equal(it_put(s, "/dav/admin/lk-unlock.txt", NULL, "y"), 423);
    /* RFC 4918 9.11.1: 204 */
    assert_int_equal(t_status(s, "UNLOCK", "/dav/admin/lk-unlock.txt",
                           it_fmt("Lock-Token: <%s>\n", token), NULL), 204);
    assert_int_equal(it_put(s, "/dav/admin/lk-unlock.txt", NULL, "y"), 204);
    it_assert_disk(s, "lk-unlock.txt", "y");
    /* the token is gone: a second UNLOCK is 409 */
    assert_int_equal(t_status(s, "UNLOCK", "/dav/admin/lk-unlock.txt",
                           it_fmt("Lock-Token: <%s>\n", token), NULL), 409);
}

static void
it_locks_survive_a_restart(void **state)
{
    struct t_server *s = *state;
    char token[256];

    assert_int_equal(it_put(s, "/dav/admin/lk-restart.txt", NULL, "kept"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-restart.txt", "exclusive", NULL, token,
                             sizeof(token)), 200);
    assert_int_equal(t_server_restart(s, NULL), 0);
    assert_int_equal(it_put(s, "/dav/admin/lk-restart.txt", NULL, "lost"), 423);
    it_assert_disk(s, "lk-restart.txt", "kept");
    assert_int_equal(it_put(s, "/dav/admin/lk-restart.txt", it_fmt("If: (<%s>)\n", token),
                            "new"), 204);
}

static void
it_lock_depth_0_on_a_collection_protects_its_membership(void **state)
{
    struct t_server *s = *state;
    char token[256];

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/lk-d0c/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/lk-d0c/old.txt", NULL, "old"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-d0c/", "exclusive", "Depth: 0\n", token,
                             sizeof(token)), 200);
    /* RFC 4918 7.4: adding or removing a member changes the collection */
    assert_int_equal(it_put(s, "/dav/admin/lk-d0c/new.txt", NULL, "n"), 423);
    assert_false(t_file_exists(s, "lk-d0c/new.txt"));
    assert_int_equal(t_status(s, "DELETE", "/dav/admin/lk-d0c/old.txt", NULL, NULL), 423);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/lk-d0c/old.txt",
                           "Destination: /dav/admin/lk-d0c-out.txt\n", NULL), 423);
    it_assert_disk(s, "lk-d0c/old.txt", "old");
    /* but a depth-0 lock does not cover the content of a member */
    assert_int_equal(it_put(s, "/dav/admin/lk-d0c/old.txt", NULL, "changed"), 204);
    it_assert_disk(s, "lk-d0c/old.txt", "changed");
    assert_int_equal(it_put(s, "/dav/admin/lk-d0c/new.txt",
                            it_fmt("If: </dav/admin/lk-d0c/> (<%s>)\n", token), "n"), 201);
}

/* A lock on a member protects that member only: its siblings come and go. */
static void
it_lock_on_a_member_leaves_new_siblings_free(void **state)
{
    struct t_server *s = *state;
    char token[256];

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/lk-sib/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/lk-sib/a.txt", NULL, "a"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-sib/a.txt", "exclusive", "Depth: 0\n", token,
                             sizeof(token)), 200);
    assert_int_equal(it_put(s, "/dav/admin/lk-sib/b.txt", NULL, "b"), 201);
    assert_int_equal(it_put(s, "/dav/admin/lk-sib/b.txt", NULL, "b2"), 204);
    assert_int_equal(it_put(s, "/dav/admin/lk-sib/a.txt", NULL, "a2"), 423);
    it_assert_disk(s, "lk-sib/a.txt", "a");
    it_assert_disk(s, "lk-sib/b.txt", "b2");
}

static void
it_move_of_a_collection_with_a_locked_member_is_423(void **state)
{
    struct t_server *s = *state;
    char token[256];

    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/lk-mv/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/lk-mv/m.txt", NULL, "m"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-mv/m.txt", "exclusive", "Depth: 0\n", token,
                             sizeof(token)), 200);
    /* RFC 4918 9.9.2: MOVE removes the source's members, locked ones too */
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/lk-mv/", "Destination: /dav/admin/lk-mv2/\n",
                           NULL), 423);
    it_assert_disk(s, "lk-mv/m.txt", "m");
    assert_false(t_file_exists(s, "lk-mv2"));
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/lk-mv/",
                           it_fmt("Destination: /dav/admin/lk-mv2/\n"
                                  "If: </dav/admin/lk-mv/m.txt> (<%s>)\n", token), NULL), 201);
    it_assert_disk(s, "lk-mv2/m.txt", "m");
    /* 9.9.4: the lock did not move with it */
    assert_int_equal(it_put(s, "/dav/admin/lk-mv2/m.txt", NULL, "free"), 204);
}

static void
it_copy_onto_a_locked_destination_is_423(void **state)
{
    struct t_server *s = *state;
    char token[256];

    assert_int_equal(it_put(s, "/dav/admin/lk-cp-src.txt", NULL, "src"), 201);
    assert_int_equal(it_put(s, "/dav/admin/lk-cp-dst.txt", NULL, "dst"), 201);
    assert_int_equal(it_lock(s, "/dav/admin/lk-cp-dst.txt", "exclusive", NULL, token,
                             sizeof(token)), 200);
    /* RFC 4918 7.4: overwriting a locked resource needs its token */
    assert_int_equal(t_status(s, "COPY", "/dav/admin/lk-cp-src.txt",
                           "Destination: /dav/admin/lk-cp-dst.txt\nOverwrite: T\n", NULL), 423);
    assert_int_equal(t_status(s, "MOVE", "/dav/admin/lk-cp-src.txt",
                           "Destination: /dav/admin/lk-cp-dst.txt\nOverwrite: T\n", NULL), 423);
    it_assert_disk(s, "lk-cp-dst.txt", "dst");
    it_assert_disk(s, "lk-cp-src.txt", "src");
}

static void
it_lock_on_unmapped_url_without_parent_is_409(void **state)
{
    struct t_server *s = *state;

    /* RFC 4918 9.10.4 creates the resource as PUT would: 409 without parent */
    assert_int_equal(it_lock(s, "/dav/admin/lk-noparent/x.txt", "exclusive", NULL, NULL, 0), 409);
    assert_false(t_file_exists(s, "lk-noparent"));
    /* and no lock is left behind for that URL */
    assert_int_equal(t_status(s, "MKCOL", "/dav/admin/lk-noparent/", NULL, NULL), 201);
    assert_int_equal(it_put(s, "/dav/admin/lk-noparent/x.txt", NULL, "x"), 201);
}

/* ---- the If header (RFC 4918 10.4) ---- */

static void
it_if_not_dav_no_lock_holds(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/if-nolock.txt", NULL, "x"), 201);
    /* 10.4.8: DAV:no-lock never matches, so Not <DAV:no-lock> always holds */
    assert_int_equal(it_put(s, "/dav/admin/if-nolock.txt", "If: (Not <DAV:no-lock>)\n", "y"), 204);
    it_assert_disk(s, "if-nolock.txt", "y");
    /* and without Not it never does */
    assert_int_equal(it_put(s, "/dav/admin/if-nolock.txt", "If: (<DAV:no-lock>)\n", "z"), 412);
    it_assert_disk(s, "if-nolock.txt", "y");
}

static void
it_if_wrong_etag_is_412(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(it_put(s, "/dav/admin/if-etag-bad.txt", NULL, "x"), 201);
    /* 10.4.1: a false If header is 412 */
    assert_int_equal(it_put(s, "/dav/admin/if-etag-bad.txt", "If: ([\"no-such-etag\"])\n", "y"),
                     412);
    it_assert_disk(s, "if-etag-bad.txt", "x");
}

static void
it_if_current_etag_holds(void **state)
{
    struct t_server *s = *state;
    char *etag;

    assert_int_equal(it_put(s, "/dav/admin/if-etag-ok.txt", NULL, "x"), 201);
    etag = it_etag_of(s, "/dav/admin/if-etag-ok.txt");
    assert_int_equal(it_put(s, "/dav/admin/if-etag-ok.txt", it_fmt("If: ([%s])\n", etag), "y"),
                     204);
    it_assert_disk(s, "if-etag-ok.txt", "y");
    /* the etag changed with the PUT: the same header fails now */
    assert_int_equal(it_put(s, "/dav/admin/if-etag-ok.txt", it_fmt("If: ([%s])\n", etag), "z"),
                     412);
    /* one of two lists holding is enough */
    free(etag);
    etag = it_etag_of(s, "/dav/admin/if-etag-ok.txt");
    assert_int_equal(it_put(s, "/dav/admin/if-etag-ok.txt",
                            it_fmt("If: ([\"stale\"]) ([%s])\n", etag), "w"), 204);
    free(etag);
}

static void
it_if_malformed_is_400(void **state)
{
    struct t_server *s = *state;
    static const char *const bad[] = {
        "If: <opaquelocktoken:x>\n",            /* a tag without a list */
        "If: (\n",                              /* an open list */
        "If: ()\n",                             /* an empty list */
        "If: ([\"unterminated)\n",              /* an entity tag without its ] */
        "If: (<a> <b>) <http://x/> (<c>)\n",    /* untagged and tagged mixed */
        "If: banana\n",
    };

    assert_int_equal(it_put(s, "/dav/admin/if-bad.txt", NULL, "x"), 201);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int st = it_put(s, "/dav/admin/if-bad.txt", bad[i], "y");

        if (st != 400)
            fail_msg("%s gave %d, expected 400", bad[i], st);
    }
    it_assert_disk(s, "if-bad.txt", "x");
}

/* ---- fixtures ---- */

static int
it_fixture_short_locks(void **state)
{
    struct t_server *s = calloc(1, sizeof(*s));

    /* lock-timeout (the default, 1h) may not exceed lock-timeout-max */
    if (s == NULL || t_server_start(s, "lock-timeout = 5m\nlock-timeout-max = 10m\n") < 0) {
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
        cmocka_unit_test(it_lock_exclusive_gives_token_and_owner_back),
        cmocka_unit_test(it_lockroot_of_a_file_has_no_trailing_slash),
        cmocka_unit_test(it_lock_second_exclusive_is_423_no_conflicting_lock),
        cmocka_unit_test(it_lock_two_shared_locks_coexist),
        cmocka_unit_test(it_put_on_locked_file_needs_the_token),
        cmocka_unit_test(it_lock_depth_infinity_protects_a_new_member),
        cmocka_unit_test(it_lock_timeout_second_100_is_at_most_100),
        cmocka_unit_test_setup_teardown(it_lock_timeout_infinite_is_capped_by_lock_timeout_max,
                                        it_fixture_short_locks, t_teardown),
        cmocka_unit_test(it_lock_refresh_without_body_is_200),
        cmocka_unit_test(it_lock_on_unmapped_url_creates_an_empty_file),
        cmocka_unit_test(it_unlock_unknown_token_is_409),
        cmocka_unit_test(it_unlock_is_204_and_then_put_needs_no_token),
        cmocka_unit_test(it_lock_depth_0_on_a_collection_protects_its_membership),
        cmocka_unit_test(it_lock_on_a_member_leaves_new_siblings_free),
        cmocka_unit_test(it_move_of_a_collection_with_a_locked_member_is_423),
        cmocka_unit_test(it_copy_onto_a_locked_destination_is_423),
        cmocka_unit_test(it_lock_on_unmapped_url_without_parent_is_409),
        cmocka_unit_test(it_locks_survive_a_restart),
        cmocka_unit_test(it_if_not_dav_no_lock_holds),
        cmocka_unit_test(it_if_wrong_etag_is_412),
        cmocka_unit_test(it_if_current_etag_holds),
        cmocka_unit_test(it_if_malformed_is_400),
    };

    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
