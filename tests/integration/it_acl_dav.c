/*
 * it_acl_dav.c: access on every WebDAV method, against the real cofferd
 * (DESIGN.md, "The access model"; issue 4, "Enforcement").
 *
 * Users, repositories and grants are made through the REST API as the
 * administrator; content is made over WebDAV by each repository's owner,
 * who holds full control there. Then each test acts as a grantee and
 * checks the status, the 207 bodies, and the files on disk:
 *
 *   - each method under each element role (read, write, full, none);
 *   - 403 for what the caller may see, 404 for what he may not, and a
 *     hidden name answering like a missing one;
 *   - COPY and MOVE across repositories with rights on one end only;
 *   - Depth: infinity DELETE, MOVE, COPY and LOCK over trees whose members
 *     hold other rights than their root;
 *   - PROPFIND (Depth 1 and infinity) and the index view never naming what
 *     the caller may not see, and listing a folder on the way to a grant;
 *   - current-user-privilege-set (RFC 3744 5.4);
 *   - grants following a folder across MOVE and going with DELETE;
 *   - 507 on quota for PUT (with a length and chunked), COPY and MOVE.
 *
 * The tests share one server; each makes users and repositories of its own.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "ident_lib.h"

/* ---- helpers ---- */

/* Makes an internal user (he may upload) with his own password. */
static void
mkuser(struct t_server *s, const char *login)
{
    ti_mkuser_pw(s, login, "internal");
}

/*
 * The id of the newest repository: the highest-numbered directory under
 * data/repos (the API names repositories, not ids; tests run one by one).
 */
static long long
newest_repo(struct t_server *s)
{
    char dir[512];
    struct dirent *de;
    long long max = 0;
    DIR *dp;

    snprintf(dir, sizeof(dir), "%s/repos", s->data);
    assert_non_null(dp = opendir(dir));
    while ((de = readdir(dp)) != NULL) {
        char *end;
        long long v = strtoll(de->d_name, &end, 10);

        if (*end == '\0' && end != de->d_name && v > max)
            max = v;
    }
    closedir(dp);
    return max;
}

/* Makes a shared repository owned by owner (quota 0: none); returns its id. */
static long long
mkrepo(struct t_server *s, const char *name, const char *owner, long long quota)
{
    char body[256];
    json_t *j;

    if (quota > 0)
        snprintf(body, sizeof(body), "{\"name\":\"%s\",\"owner\":\"%s\",\"quota\":%lld}", name,
                 owner, quota);
    else
        snprintf(body, sizeof(body), "{\"name\":\"%s\",\"owner\":\"%s\"}", name, owner);
    j = ti_api_json(s, "POST", "/api/v1/repositories", T_AUTH, body, 201);
    assert_string_equal(json_string_value(json_object_get(j, "name")), name);
    json_decref(j);
    return newest_repo(s);
}

/* Grants role to user login on path ("" for the whole repository); returns the grant's id. */
static long long
grant(struct t_server *s, const char *repo, const char *login, const char *role,
      const char *path)
{
    char url[256], body[512];
    json_t *j;
    long long id;

    snprintf(url, sizeof(url), "/api/v1/repositories/%s/grants", repo);
    if (path[0] != '\0')
        snprintf(body, sizeof(body), "{\"user\":\"%s\",\"role\":\"%s\",\"path\":\"%s\"}", login,
                 role, path);
    else
        snprintf(body, sizeof(body), "{\"user\":\"%s\",\"role\":\"%s\"}", login, role);
    j = ti_api_json(s, "POST", url, T_AUTH, body, 201);
    id = (long long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    assert_true(id > 0);
    return id;
}

/*
 * Sends method path as login (NULL: the administrator) with the header
 * lines headers (or NULL) and body (or NULL). The response stays in r.
 */
static int
dav(struct t_server *s, struct t_resp *r, const char *login, const char *method,
    const char *path, const char *headers, const char *body)
{
    char h[4096];

    snprintf(h, sizeof(h), "%s%s", login ? ti_as(login) : T_AUTH, headers ? headers : "");
    return ti_send_req(s, r, method, path, h, NULL, body);
}

/* Asserts a status, printing the request and the whole response first if it is another. */
#define EXPECT(want_, login_, method_, path_, headers_, body_)                           \
    do {                                                                                   \
        struct t_resp r_;                                                                  \
        int got_ = dav(s, &r_, (login_), (method_), (path_), (headers_), (body_));         \
        if (got_ != (want_))                                                               \
            fprintf(stderr, "# %s %s as %s: expected %d, got %d\n# %s\n", (method_),       \
                    (path_), (login_) ? (login_) : "admin", (want_), got_,                 \
                    r_.body ? r_.body : "");                                               \
        t_resp_release(&r_);                                                               \
        assert_int_equal(got_, (want_));                                                   \
    } while (0)

/* The path of rel in the repository with id on disk (static buffer). */
static const char *
disk(struct t_server *s, long long repo, const char *rel)
{
    static char p[1024];

    snprintf(p, sizeof(p), "%s/repos/%lld/%s", s->data, repo, rel);
    return p;
}

static bool
on_disk(struct t_server *s, long long repo, const char *rel)
{
    struct stat sb;

    return lstat(disk(s, repo, rel), &sb) == 0;
}

/* The content of a file on disk (caller frees), NULL if absent. */
static char *
disk_read(struct t_server *s, long long repo, const char *rel)
{
    FILE *f = fopen(disk(s, repo, rel), "rb");
    char *buf;
    size_t n;

    if (f == NULL)
        return NULL;
    buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void
assert_disk(struct t_server *s, long long repo, const char *rel, const char *want)
{
    char *got = disk_read(s, repo, rel);

    if (got == NULL || strcmp(got, want) != 0)
        fprintf(stderr, "# %s holds \"%s\", expected \"%s\"\n", rel, got ? got : "(nothing)",
                want);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* True if the response body contains needle. */
static bool
body_has(const struct t_resp *r, const char *needle)
{
    return r->body != NULL && strstr(r->body, needle) != NULL;
}

static const char *const LOCKINFO =
    "<?xml version=\"1.0\"?><D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/>"
    "</D:lockscope><D:locktype><D:write/></D:locktype><D:owner>t</D:owner></D:lockinfo>";

static const char *const PROPPATCH =
    "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"urn:t\"><D:set>"
    "<D:prop><T:note>x</T:note></D:prop></D:set></D:propertyupdate>";

static const char *const CUPS =
    "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
    "<D:current-user-privilege-set/></D:prop></D:propfind>";

/* Number of responses in a 207 whose href is exactly href. */
static int
hrefs(const struct t_resp *r, const char *href)
{
    char xp[512];

    snprintf(xp, sizeof(xp), "/D:multistatus/D:response[D:href='%s']", href);
    return t_xpath_count(r, xp);
}

/* ---- each method under each element role ---- */

/*
 * The owner mxowner made folders read/, write/, full/ and none/ in
 * repository mx, each with f.txt and g.txt ("orig") and sub/s.txt. User
 * mx<role> holds role on folder <role>; mxnone holds read on read/ only
 * (so the repository is visible to him) and acts in none/.
 */
static long long mx_id;

static void
mx_folder(struct t_server *s, const char *f)
{
    char p[256];

    snprintf(p, sizeof(p), "/dav/mx/%s", f);
    EXPECT(201, "mxowner", "MKCOL", p, NULL, NULL);
    snprintf(p, sizeof(p), "/dav/mx/%s/f.txt", f);
    EXPECT(201, "mxowner", "PUT", p, NULL, "orig");
    snprintf(p, sizeof(p), "/dav/mx/%s/g.txt", f);
    EXPECT(201, "mxowner", "PUT", p, NULL, "orig");
    snprintf(p, sizeof(p), "/dav/mx/%s/sub", f);
    EXPECT(201, "mxowner", "MKCOL", p, NULL, NULL);
    snprintf(p, sizeof(p), "/dav/mx/%s/sub/s.txt", f);
    EXPECT(201, "mxowner", "PUT", p, NULL, "orig");
}

/* Makes the repository mx the first time a test of the matrix asks for it. */
static void
mx_ensure(struct t_server *s)
{
    if (mx_id != 0)
        return;
    mkuser(s, "mxowner");
    mx_id = mkrepo(s, "mx", "mxowner", 0);
    mx_folder(s, "read");
    mx_folder(s, "write");
    mx_folder(s, "full");
    mx_folder(s, "none");
    mkuser(s, "mxread");
    mkuser(s, "mxwrite");
    mkuser(s, "mxfull");
    mkuser(s, "mxnone");
    grant(s, "mx", "mxread", "read", "read");
    grant(s, "mx", "mxwrite", "write", "write");
    grant(s, "mx", "mxfull", "full", "full");
    grant(s, "mx", "mxnone", "read", "read");
}

/*
 * Runs every method as user in folder; rd is the status a read gives, wr
 * what a write gives when it succeeds (the code for success) or the
 * refusal. After a refusal nothing may have changed on disk.
 */
static void
mx_run(struct t_server *s, const char *user, const char *folder, int rd, bool may_write,
       int refusal)
{
    char p[256], p2[256], dest[512], rel[256];
    struct t_resp r;

    mx_ensure(s);

#define W(code) (may_write ? (code) : refusal)
    snprintf(p, sizeof(p), "/dav/mx/%s/f.txt", folder);
    EXPECT(rd, user, "GET", p, NULL, NULL);
    EXPECT(rd, user, "HEAD", p, NULL, NULL);
    snprintf(p, sizeof(p), "/dav/mx/%s/", folder);
    EXPECT(rd == 200 ? 207 : rd, user, "PROPFIND", p, "Depth: 1\n", NULL);

    /* PROPPATCH: the property is there afterwards only when it was allowed */
    snprintf(p, sizeof(p), "/dav/mx/%s/f.txt", folder);
    EXPECT(W(207), user, "PROPPATCH", p, NULL, PROPPATCH);

    /* PUT over an existing file, and a new one */
    EXPECT(W(204), user, "PUT", p, NULL, "changed");
    snprintf(rel, sizeof(rel), "%s/f.txt", folder);
    assert_disk(s, mx_id, rel, may_write ? "changed" : "orig");
    snprintf(p, sizeof(p), "/dav/mx/%s/new.txt", folder);
    EXPECT(W(201), user, "PUT", p, NULL, "new");
    snprintf(rel, sizeof(rel), "%s/new.txt", folder);
    assert_int_equal(on_disk(s, mx_id, rel), may_write);

    /* MKCOL */
    snprintf(p, sizeof(p), "/dav/mx/%s/newdir", folder);
    EXPECT(W(201), user, "MKCOL", p, NULL, NULL);
    snprintf(rel, sizeof(rel), "%s/newdir", folder);
    assert_int_equal(on_disk(s, mx_id, rel), may_write);

    /* LOCK of an existing file, then UNLOCK with the token */
    snprintf(p, sizeof(p), "/dav/mx/%s/f.txt", folder);
    dav(s, &r, user, "LOCK", p, "Depth: 0\n", LOCKINFO);
    assert_int_equal(r.status, W(200));
    if (may_write) {
        char tok[256];

        snprintf(tok, sizeof(tok), "Lock-Token: %s\n", t_header(&r, "Lock-Token"));
        EXPECT(204, user, "UNLOCK", p, tok, NULL);
    }
    t_resp_release(&r);

    /* LOCK of an unmapped URL creates a file: a write on the parent */
    snprintf(p, sizeof(p), "/dav/mx/%s/locked-new.txt", folder);
    dav(s, &r, user, "LOCK", p, "Depth: 0\n", LOCKINFO);
    assert_int_equal(r.status, W(201));
    if (may_write) {
        char tok[256];

        snprintf(tok, sizeof(tok), "Lock-Token: %s\n", t_header(&r, "Lock-Token"));
        EXPECT(204, user, "UNLOCK", p, tok, NULL);
    }
    t_resp_release(&r);
    snprintf(rel, sizeof(rel), "%s/locked-new.txt", folder);
    assert_int_equal(on_disk(s, mx_id, rel), may_write);

    /* COPY inside the folder: read the source, write the parent of the copy */
    snprintf(p, sizeof(p), "/dav/mx/%s/g.txt", folder);
    snprintf(dest, sizeof(dest), "Destination: http://127.0.0.1:%d/dav/mx/%s/copy.txt\n",
             s->port, folder);
    EXPECT(W(201), user, "COPY", p, dest, NULL);
    snprintf(rel, sizeof(rel), "%s/copy.txt", folder);
    assert_int_equal(on_disk(s, mx_id, rel), may_write);

    /* MOVE: the source goes away only when it was allowed */
    snprintf(dest, sizeof(dest), "Destination: http://127.0.0.1:%d/dav/mx/%s/moved.txt\n",
             s->port, folder);
    EXPECT(W(201), user, "MOVE", p, dest, NULL);
    snprintf(rel, sizeof(rel), "%s/g.txt", folder);
    assert_int_equal(on_disk(s, mx_id, rel), !may_write);
    snprintf(rel, sizeof(rel), "%s/moved.txt", folder);
    assert_int_equal(on_disk(s, mx_id, rel), may_write);

    /* DELETE of a collection */
    snprintf(p2, sizeof(p2), "/dav/mx/%s/sub", folder);
    EXPECT(W(204), user, "DELETE", p2, NULL, NULL);
    snprintf(rel, sizeof(rel), "%s/sub/s.txt", folder);
    assert_int_equal(on_disk(s, mx_id, rel), !may_write);
#undef W
}

static void
it_methods_under_role_read(void **state)
{
    /* read: everything that reads, 403 for everything that writes */
    mx_run(*state, "mxread", "read", 200, false, 403);
}

static void
it_methods_under_role_write(void **state)
{
    mx_run(*state, "mxwrite", "write", 200, true, 0);
}

static void
it_methods_under_role_full(void **state)
{
    mx_run(*state, "mxfull", "full", 200, true, 0);
}

static void
it_methods_under_role_none(void **state)
{
    /* none: he may not see the folder, so every answer is 404 */
    mx_run(*state, "mxnone", "none", 404, false, 404);
}

static void
it_other_folders_stay_out_of_reach(void **state)
{
    struct t_server *s = *state;
    char dest[256];

    /* a reader of read/ is nobody in full/ */
    mx_ensure(s);
    EXPECT(404, "mxread", "GET", "/dav/mx/full/f.txt", NULL, NULL);
    EXPECT(404, "mxread", "PUT", "/dav/mx/full/x.txt", NULL, "x");
    EXPECT(404, "mxread", "PROPFIND", "/dav/mx/full/", "Depth: 0\n", NULL);
    snprintf(dest, sizeof(dest), "Destination: http://127.0.0.1:%d/dav/mx/read/stolen.txt\n",
             s->port);
    EXPECT(404, "mxread", "COPY", "/dav/mx/full/f.txt", dest, NULL);
    assert_false(on_disk(s, mx_id, "read/stolen.txt"));
    /* a user with no grant in mx does not see the repository at all */
    mkuser(s, "mxstranger");
    EXPECT(404, "mxstranger", "PROPFIND", "/dav/mx/", "Depth: 0\n", NULL);
    EXPECT(404, "mxstranger", "GET", "/dav/mx/read/f.txt", NULL, NULL);
}

/* ---- 403 against 404 ---- */

static void
it_refusal_is_403_when_seen_and_404_when_hidden(void **state)
{
    struct t_server *s = *state;
    long long id;

    mkuser(s, "vzowner");
    mkuser(s, "vzuser");
    id = mkrepo(s, "vz", "vzowner", 0);
    EXPECT(201, "vzowner", "MKCOL", "/dav/vz/pub", NULL, NULL);
    EXPECT(201, "vzowner", "PUT", "/dav/vz/pub/a.txt", NULL, "a");
    EXPECT(201, "vzowner", "MKCOL", "/dav/vz/priv", NULL, NULL);
    EXPECT(201, "vzowner", "PUT", "/dav/vz/priv/x.txt", NULL, "x");
    EXPECT(201, "vzowner", "PUT", "/dav/vz/secret.txt", NULL, "s");
    grant(s, "vz", "vzuser", "read", "pub");

    /* seen but not allowed: 403 */
    EXPECT(403, "vzuser", "DELETE", "/dav/vz/pub/a.txt", NULL, NULL);
    EXPECT(403, "vzuser", "PUT", "/dav/vz/pub/b.txt", NULL, "b");
    /* the repository root is on the way to pub/: seen, so a new file there is 403 */
    EXPECT(403, "vzuser", "PUT", "/dav/vz/new.txt", NULL, "n");
    EXPECT(403, "vzuser", "MKCOL", "/dav/vz/newdir", NULL, NULL);
    assert_false(on_disk(s, id, "new.txt"));
    assert_false(on_disk(s, id, "newdir"));

    /* hidden: 404, exactly as for what does not exist */
    EXPECT(404, "vzuser", "GET", "/dav/vz/secret.txt", NULL, NULL);
    EXPECT(404, "vzuser", "GET", "/dav/vz/nothing.txt", NULL, NULL);
    EXPECT(404, "vzuser", "DELETE", "/dav/vz/secret.txt", NULL, NULL);
    EXPECT(404, "vzuser", "PROPPATCH", "/dav/vz/secret.txt", NULL, PROPPATCH);
    EXPECT(404, "vzuser", "GET", "/dav/vz/priv/x.txt", NULL, NULL);
    EXPECT(404, "vzuser", "PROPFIND", "/dav/vz/priv/", "Depth: 0\n", NULL);
    /* a path under a folder he may not see is 404, existing or not */
    EXPECT(404, "vzuser", "PUT", "/dav/vz/priv/new.txt", NULL, "n");
    EXPECT(404, "vzuser", "PUT", "/dav/vz/priv/x.txt", NULL, "n");
    assert_false(on_disk(s, id, "priv/new.txt"));
    assert_disk(s, id, "priv/x.txt", "x");
    assert_disk(s, id, "secret.txt", "s");
    /* MKCOL on a hidden folder answers as on a missing one (403 here), not 405 */
    EXPECT(403, "vzuser", "MKCOL", "/dav/vz/priv", NULL, NULL);
    EXPECT(403, "vzuser", "MKCOL", "/dav/vz/notthere", NULL, NULL);
    /* LOCK of a hidden file answers as LOCK of a new one in a folder he sees */
    EXPECT(403, "vzuser", "LOCK", "/dav/vz/secret.txt", "Depth: 0\n", LOCKINFO);
    EXPECT(404, "vzuser", "LOCK", "/dav/vz/priv/x.txt", "Depth: 0\n", LOCKINFO);
    /*
     * An If header naming a hidden resource learns nothing of it: its
     * state is that of a missing resource, so a condition on its entity
     * tag fails (412) for him, while it holds for the owner, who sees it.
     */
    {
        struct t_resp r;
        char hdr[512];

        EXPECT(201, "vzowner", "MKCOL", "/dav/vz/wr", NULL, NULL);
        grant(s, "vz", "vzuser", "write", "wr");
        dav(s, &r, "vzowner", "HEAD", "/dav/vz/secret.txt", NULL, NULL);
        assert_int_equal(r.status, 200);
        snprintf(hdr, sizeof(hdr), "If: <http://127.0.0.1:%d/dav/vz/secret.txt> ([%s])\n",
                 s->port, t_header(&r, "ETag"));
        t_resp_release(&r);
        EXPECT(412, "vzuser", "PUT", "/dav/vz/wr/f.txt", hdr, "f");
        assert_false(on_disk(s, id, "wr/f.txt"));
        EXPECT(201, "vzowner", "PUT", "/dav/vz/wr/f.txt", hdr, "f");
    }
}

/* ---- COPY and MOVE across repositories ---- */

static void
it_copy_move_across_repositories_need_both_ends(void **state)
{
    struct t_server *s = *state;
    long long xa, xb;
    char dest[256];

    mkuser(s, "xowner");
    mkuser(s, "xuser");
    xa = mkrepo(s, "xa", "xowner", 0);     /* xuser: full on all of it */
    xb = mkrepo(s, "xb", "xowner", 0);     /* xuser: read on ro/, write on rw/ */
    mkrepo(s, "xc", "xowner", 0);          /* xuser: nothing */
    EXPECT(201, "xowner", "PUT", "/dav/xa/mine.txt", NULL, "mine");
    EXPECT(201, "xowner", "MKCOL", "/dav/xb/ro", NULL, NULL);
    EXPECT(201, "xowner", "PUT", "/dav/xb/ro/theirs.txt", NULL, "theirs");
    EXPECT(201, "xowner", "MKCOL", "/dav/xb/rw", NULL, NULL);
    EXPECT(201, "xowner", "MKCOL", "/dav/xb/hidden", NULL, NULL);
    EXPECT(201, "xowner", "PUT", "/dav/xc/c.txt", NULL, "c");
    grant(s, "xa", "xuser", "full", "");
    grant(s, "xb", "xuser", "read", "ro");
    grant(s, "xb", "xuser", "write", "rw");

    /* read on the source, write on the destination: allowed */
    snprintf(dest, sizeof(dest), "Destination: /dav/xa/copied.txt\n");
    EXPECT(201, "xuser", "COPY", "/dav/xb/ro/theirs.txt", dest, NULL);
    assert_disk(s, xa, "copied.txt", "theirs");
    /* MOVE also removes the source: a reader may not */
    snprintf(dest, sizeof(dest), "Destination: /dav/xa/moved.txt\n");
    EXPECT(403, "xuser", "MOVE", "/dav/xb/ro/theirs.txt", dest, NULL);
    assert_disk(s, xb, "ro/theirs.txt", "theirs");
    assert_false(on_disk(s, xa, "moved.txt"));
    /* into a folder he may only read: 403 */
    snprintf(dest, sizeof(dest), "Destination: /dav/xb/ro/mine.txt\n");
    EXPECT(403, "xuser", "COPY", "/dav/xa/mine.txt", dest, NULL);
    EXPECT(403, "xuser", "MOVE", "/dav/xa/mine.txt", dest, NULL);
    assert_false(on_disk(s, xb, "ro/mine.txt"));
    assert_disk(s, xa, "mine.txt", "mine");
    /* into a folder he may not see: as into a missing one, 409 */
    snprintf(dest, sizeof(dest), "Destination: /dav/xb/hidden/mine.txt\n");
    EXPECT(409, "xuser", "COPY", "/dav/xa/mine.txt", dest, NULL);
    assert_false(on_disk(s, xb, "hidden/mine.txt"));
    /* into a repository he may not see: 409 too */
    snprintf(dest, sizeof(dest), "Destination: /dav/xc/mine.txt\n");
    EXPECT(409, "xuser", "MOVE", "/dav/xa/mine.txt", dest, NULL);
    assert_disk(s, xa, "mine.txt", "mine");
    /* out of a repository he may not see: 404 */
    snprintf(dest, sizeof(dest), "Destination: /dav/xa/c.txt\n");
    EXPECT(404, "xuser", "COPY", "/dav/xc/c.txt", dest, NULL);
    assert_false(on_disk(s, xa, "c.txt"));
    /* write on the destination's folder: MOVE across repositories works */
    snprintf(dest, sizeof(dest), "Destination: /dav/xb/rw/mine.txt\n");
    EXPECT(201, "xuser", "MOVE", "/dav/xa/mine.txt", dest, NULL);
    assert_disk(s, xb, "rw/mine.txt", "mine");
    assert_false(on_disk(s, xa, "mine.txt"));
    /* overwriting takes write and delete on what is overwritten: a reader's file is safe */
    EXPECT(201, "xuser", "PUT", "/dav/xa/over.txt", NULL, "over");
    snprintf(dest, sizeof(dest), "Destination: /dav/xb/ro/theirs.txt\nOverwrite: T\n");
    EXPECT(403, "xuser", "COPY", "/dav/xa/over.txt", dest, NULL);
    assert_disk(s, xb, "ro/theirs.txt", "theirs");
}

/* ---- Depth: infinity over trees ---- */

/*
 * Tree t/ in repository dz: t/a/ (he holds write there), t/b/ (read) and
 * t/h/ (nothing: hidden from him). On t itself he holds nothing: it is on
 * the way. Acting on t as a whole is refused, and nothing is touched.
 */
static void
it_depth_infinity_over_a_tree_with_refused_members_does_nothing(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    long long id;
    char dest[256];

    mkuser(s, "dzowner");
    mkuser(s, "dzuser");
    id = mkrepo(s, "dz", "dzowner", 0);
    EXPECT(201, "dzowner", "MKCOL", "/dav/dz/t", NULL, NULL);
    EXPECT(201, "dzowner", "MKCOL", "/dav/dz/t/a", NULL, NULL);
    EXPECT(201, "dzowner", "PUT", "/dav/dz/t/a/1.txt", NULL, "1");
    EXPECT(201, "dzowner", "MKCOL", "/dav/dz/t/b", NULL, NULL);
    EXPECT(201, "dzowner", "PUT", "/dav/dz/t/b/2.txt", NULL, "2");
    EXPECT(201, "dzowner", "MKCOL", "/dav/dz/t/h", NULL, NULL);
    EXPECT(201, "dzowner", "PUT", "/dav/dz/t/h/3.txt", NULL, "3");
    EXPECT(201, "dzowner", "MKCOL", "/dav/dz/dst", NULL, NULL);
    grant(s, "dz", "dzuser", "write", "t/a");
    grant(s, "dz", "dzuser", "read", "t/b");
    grant(s, "dz", "dzuser", "write", "dst");

    /* t is seen (on the way), not his to remove: 403, nothing removed */
    dav(s, &r, "dzuser", "DELETE", "/dav/dz/t", NULL, NULL);
    assert_int_equal(r.status, 403);
    assert_false(body_has(&r, "/h"));
    t_resp_release(&r);
    snprintf(dest, sizeof(dest), "Destination: /dav/dz/dst/t\n");
    EXPECT(403, "dzuser", "MOVE", "/dav/dz/t", dest, NULL);
    EXPECT(403, "dzuser", "COPY", "/dav/dz/t", dest, NULL);
    EXPECT(403, "dzuser", "LOCK", "/dav/dz/t", "Depth: infinity\n", LOCKINFO);
    assert_disk(s, id, "t/a/1.txt", "1");
    assert_disk(s, id, "t/b/2.txt", "2");
    assert_disk(s, id, "t/h/3.txt", "3");
    assert_false(on_disk(s, id, "dst/t"));
    /* the read-only member alone: 403 for DELETE and MOVE, COPY of it is fine */
    EXPECT(403, "dzuser", "DELETE", "/dav/dz/t/b", NULL, NULL);
    snprintf(dest, sizeof(dest), "Destination: /dav/dz/dst/b\n");
    EXPECT(403, "dzuser", "MOVE", "/dav/dz/t/b", dest, NULL);
    assert_disk(s, id, "t/b/2.txt", "2");
    EXPECT(201, "dzuser", "COPY", "/dav/dz/t/b", dest, NULL);
    assert_disk(s, id, "dst/b/2.txt", "2");
    /* the hidden member: 404 whatever the method */
    EXPECT(404, "dzuser", "DELETE", "/dav/dz/t/h", NULL, NULL);
    assert_disk(s, id, "t/h/3.txt", "3");
}

/*
 * Grants add up and inherit downwards (DESIGN.md): a member that also
 * holds a lesser grant of its own still holds what its root gives, so a
 * Depth: infinity act on the root goes through, every member included.
 */
static void
it_depth_infinity_members_hold_at_least_their_root(void **state)
{
    struct t_server *s = *state;
    long long id;

    mkuser(s, "dyowner");
    mkuser(s, "dyuser");
    id = mkrepo(s, "dy", "dyowner", 0);
    EXPECT(201, "dyowner", "MKCOL", "/dav/dy/t", NULL, NULL);
    EXPECT(201, "dyowner", "MKCOL", "/dav/dy/t/ro", NULL, NULL);
    EXPECT(201, "dyowner", "PUT", "/dav/dy/t/ro/1.txt", NULL, "1");
    EXPECT(201, "dyowner", "MKCOL", "/dav/dy/d", NULL, NULL);
    grant(s, "dy", "dyuser", "full", "t");
    grant(s, "dy", "dyuser", "read", "t/ro");
    grant(s, "dy", "dyuser", "write", "d");

    EXPECT(201, "dyuser", "COPY", "/dav/dy/t", "Destination: /dav/dy/d/t\n", NULL);
    assert_disk(s, id, "d/t/ro/1.txt", "1");
    EXPECT(201, "dyuser", "MOVE", "/dav/dy/t", "Destination: /dav/dy/d/t2\n", NULL);
    assert_disk(s, id, "d/t2/ro/1.txt", "1");
    assert_false(on_disk(s, id, "t"));
    EXPECT(204, "dyuser", "DELETE", "/dav/dy/d/t2", NULL, NULL);
    assert_false(on_disk(s, id, "d/t2"));
}

/* ---- PROPFIND and the index view ---- */

static void
it_propfind_never_names_what_is_hidden(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    static const char *const hidden[] = { "secret", "hidden.txt", "inner", "x.txt", NULL };

    mkuser(s, "pfowner");
    mkuser(s, "pfuser");
    mkrepo(s, "pf", "pfowner", 0);
    mkrepo(s, "pfnone", "pfowner", 0);
    EXPECT(201, "pfowner", "MKCOL", "/dav/pf/open", NULL, NULL);
    EXPECT(201, "pfowner", "PUT", "/dav/pf/open/a.txt", NULL, "a");
    EXPECT(201, "pfowner", "MKCOL", "/dav/pf/open/deep", NULL, NULL);
    EXPECT(201, "pfowner", "PUT", "/dav/pf/open/deep/b.txt", NULL, "b");
    EXPECT(201, "pfowner", "MKCOL", "/dav/pf/secret", NULL, NULL);
    EXPECT(201, "pfowner", "PUT", "/dav/pf/secret/s.txt", NULL, "s");
    EXPECT(201, "pfowner", "MKCOL", "/dav/pf/way", NULL, NULL);
    EXPECT(201, "pfowner", "PUT", "/dav/pf/way/hidden.txt", NULL, "h");
    EXPECT(201, "pfowner", "PUT", "/dav/pf/way/granted.txt", NULL, "g");
    EXPECT(201, "pfowner", "MKCOL", "/dav/pf/way/inner", NULL, NULL);
    EXPECT(201, "pfowner", "PUT", "/dav/pf/way/inner/x.txt", NULL, "x");
    grant(s, "pf", "pfuser", "read", "open");
    grant(s, "pf", "pfuser", "read", "way/granted.txt");

    /* Depth 1 on the repository root (on the way): open/ and way/ only */
    dav(s, &r, "pfuser", "PROPFIND", "/dav/pf/", "Depth: 1\n", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response"), 3);
    assert_int_equal(hrefs(&r, "/dav/pf/"), 1);
    assert_int_equal(hrefs(&r, "/dav/pf/open/"), 1);
    assert_int_equal(hrefs(&r, "/dav/pf/way/"), 1);
    for (int i = 0; hidden[i]; i++)
        assert_false(body_has(&r, hidden[i]));
    t_resp_release(&r);

    /* Depth: infinity: everything he may see, and nothing else */
    dav(s, &r, "pfuser", "PROPFIND", "/dav/pf/", "Depth: infinity\n", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response"), 7);
    assert_int_equal(hrefs(&r, "/dav/pf/open/a.txt"), 1);
    assert_int_equal(hrefs(&r, "/dav/pf/open/deep/"), 1);
    assert_int_equal(hrefs(&r, "/dav/pf/open/deep/b.txt"), 1);
    assert_int_equal(hrefs(&r, "/dav/pf/way/granted.txt"), 1);
    for (int i = 0; hidden[i]; i++)
        assert_false(body_has(&r, hidden[i]));
    t_resp_release(&r);

    /* the folder on the way: listed with the granted file only; its own
     * properties but name and type are not his to read (401) */
    dav(s, &r, "pfuser", "PROPFIND", "/dav/pf/way/", "Depth: 1\n",
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/>"
        "<D:getlastmodified/><D:getetag/></D:prop></D:propfind>");
    assert_int_equal(r.status, 207);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response"), 2);
    assert_int_equal(hrefs(&r, "/dav/pf/way/granted.txt"), 1);
    assert_false(body_has(&r, "hidden.txt"));
    assert_false(body_has(&r, "inner"));
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response[D:href='/dav/pf/way/']"
                                       "/D:propstat[contains(D:status,' 401 ')]"
                                       "/D:prop/D:getlastmodified"), 1);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response[D:href='/dav/pf/way/']"
                                       "/D:propstat[contains(D:status,' 200 ')]"
                                       "/D:prop/D:resourcetype/D:collection"), 1);
    assert_int_equal(t_xpath_count(&r, "/D:multistatus/D:response[D:href='/dav/pf/way/"
                                       "granted.txt']/D:propstat[contains(D:status,' 200 ')]"
                                       "/D:prop/D:getetag"), 1);
    t_resp_release(&r);
    /* and the file itself he reads; its neighbours are not there for him */
    EXPECT(200, "pfuser", "GET", "/dav/pf/way/granted.txt", NULL, NULL);
    EXPECT(404, "pfuser", "GET", "/dav/pf/way/hidden.txt", NULL, NULL);
    EXPECT(404, "pfuser", "PROPFIND", "/dav/pf/way/inner/", "Depth: 0\n", NULL);
    EXPECT(404, "pfuser", "PROPFIND", "/dav/pf/secret/", "Depth: 1\n", NULL);

    /* the index view obeys the same rules */
    dav(s, &r, "pfuser", "GET", "/dav/pf/way/", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(body_has(&r, "granted.txt"));
    assert_false(body_has(&r, "hidden.txt"));
    assert_false(body_has(&r, "inner"));
    t_resp_release(&r);
    dav(s, &r, "pfuser", "GET", "/dav/pf/", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(body_has(&r, "open/"));
    assert_true(body_has(&r, "way/"));
    assert_false(body_has(&r, "secret"));
    t_resp_release(&r);

    /* /dav/ lists the repositories he may see: pf, not pfnone */
    dav(s, &r, "pfuser", "PROPFIND", "/dav/", "Depth: 1\n", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(hrefs(&r, "/dav/pf/"), 1);
    assert_false(body_has(&r, "pfnone"));
    t_resp_release(&r);
    dav(s, &r, "pfuser", "GET", "/dav/", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_false(body_has(&r, "pfnone"));
    t_resp_release(&r);
}

/* ---- current-user-privilege-set ---- */

/* The number of DAV:<priv> privileges in the 200 propstat of href. */
static int
priv(const struct t_resp *r, const char *href, const char *p)
{
    char xp[512];

    snprintf(xp, sizeof(xp), "/D:multistatus/D:response[D:href='%s']/D:propstat"
                             "[contains(D:status,' 200 ')]/D:prop/D:current-user-privilege-set"
                             "/D:privilege/D:%s", href, p);
    return t_xpath_count(r, xp);
}

static void
it_current_user_privilege_set_tells_read_only_from_full(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    mkuser(s, "cpowner");
    mkuser(s, "cpread");
    mkuser(s, "cpfull");
    mkrepo(s, "cp", "cpowner", 0);
    EXPECT(201, "cpowner", "MKCOL", "/dav/cp/d", NULL, NULL);
    EXPECT(201, "cpowner", "PUT", "/dav/cp/d/f.txt", NULL, "f");
    grant(s, "cp", "cpread", "read", "d");
    grant(s, "cp", "cpfull", "full", "d");

    dav(s, &r, "cpread", "PROPFIND", "/dav/cp/d/", "Depth: 1\n", CUPS);
    assert_int_equal(r.status, 207);
    assert_int_equal(priv(&r, "/dav/cp/d/", "read"), 1);
    assert_int_equal(priv(&r, "/dav/cp/d/", "read-current-user-privilege-set"), 1);
    assert_int_equal(priv(&r, "/dav/cp/d/", "write"), 0);
    assert_int_equal(priv(&r, "/dav/cp/d/", "write-content"), 0);
    assert_int_equal(priv(&r, "/dav/cp/d/", "bind"), 0);
    assert_int_equal(priv(&r, "/dav/cp/d/", "unbind"), 0);
    assert_int_equal(priv(&r, "/dav/cp/d/f.txt", "read"), 1);
    assert_int_equal(priv(&r, "/dav/cp/d/f.txt", "write-content"), 0);
    assert_int_equal(priv(&r, "/dav/cp/d/f.txt", "write-properties"), 0);
    t_resp_release(&r);

    dav(s, &r, "cpfull", "PROPFIND", "/dav/cp/d/", "Depth: 1\n", CUPS);
    assert_int_equal(r.status, 207);
    static const char *const all_coll[] = { "read", "write", "write-content",
                                            "write-properties", "bind", "unbind", NULL };
    for (int i = 0; all_coll[i]; i++)
        assert_int_equal(priv(&r, "/dav/cp/d/", all_coll[i]), 1);
    assert_int_equal(priv(&r, "/dav/cp/d/f.txt", "write-content"), 1);
    assert_int_equal(priv(&r, "/dav/cp/d/f.txt", "write"), 1);
    t_resp_release(&r);

    /* the repository root is only on the way for both: no read there */
    dav(s, &r, "cpread", "PROPFIND", "/dav/cp/", "Depth: 0\n", CUPS);
    assert_int_equal(r.status, 207);
    assert_int_equal(priv(&r, "/dav/cp/", "read"), 0);
    assert_int_equal(priv(&r, "/dav/cp/", "read-current-user-privilege-set"), 1);
    t_resp_release(&r);

    /* RFC 3744 5.4: asked for by name only, never in allprop */
    dav(s, &r, "cpfull", "PROPFIND", "/dav/cp/d/", "Depth: 0\n", NULL);
    assert_int_equal(r.status, 207);
    assert_false(body_has(&r, "current-user-privilege-set"));
    t_resp_release(&r);
}

/* ---- grants follow MOVE and go with DELETE ---- */

static void
it_grant_follows_its_folder_across_move_and_dies_with_delete(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    mkuser(s, "gfowner");
    mkuser(s, "gfuser");
    mkrepo(s, "gf", "gfowner", 0);
    EXPECT(201, "gfowner", "MKCOL", "/dav/gf/proj", NULL, NULL);
    EXPECT(201, "gfowner", "PUT", "/dav/gf/proj/f.txt", NULL, "f");
    EXPECT(201, "gfowner", "MKCOL", "/dav/gf/archive", NULL, NULL);
    grant(s, "gf", "gfuser", "read", "proj");
    EXPECT(200, "gfuser", "GET", "/dav/gf/proj/f.txt", NULL, NULL);

    /* moved: readable at the new path, gone at the old one */
    EXPECT(201, "gfowner", "MOVE", "/dav/gf/proj", "Destination: /dav/gf/archive/p2\n", NULL);
    EXPECT(200, "gfuser", "GET", "/dav/gf/archive/p2/f.txt", NULL, NULL);
    EXPECT(404, "gfuser", "GET", "/dav/gf/proj/f.txt", NULL, NULL);
    dav(s, &r, "gfuser", "PROPFIND", "/dav/gf/archive/", "Depth: 1\n", NULL);
    assert_int_equal(r.status, 207);
    assert_int_equal(hrefs(&r, "/dav/gf/archive/p2/"), 1);
    t_resp_release(&r);
    /* a new folder at the old path is not the granted one */
    EXPECT(201, "gfowner", "MKCOL", "/dav/gf/proj", NULL, NULL);
    EXPECT(201, "gfowner", "PUT", "/dav/gf/proj/f.txt", NULL, "new");
    EXPECT(404, "gfuser", "GET", "/dav/gf/proj/f.txt", NULL, NULL);

    /* across repositories: into the owner's personal repository */
    EXPECT(201, "gfowner", "MOVE", "/dav/gf/archive/p2", "Destination: /dav/gfowner/p3\n",
           NULL);
    EXPECT(200, "gfuser", "GET", "/dav/gfowner/p3/f.txt", NULL, NULL);
    EXPECT(404, "gfuser", "GET", "/dav/gf/archive/p2/f.txt", NULL, NULL);
    EXPECT(404, "gfuser", "GET", "/dav/gfowner/other.txt", NULL, NULL);

    /* deleted: the grant goes with it; the same name again gives nothing back */
    EXPECT(204, "gfowner", "DELETE", "/dav/gfowner/p3", NULL, NULL);
    EXPECT(201, "gfowner", "MKCOL", "/dav/gfowner/p3", NULL, NULL);
    EXPECT(201, "gfowner", "PUT", "/dav/gfowner/p3/f.txt", NULL, "again");
    EXPECT(404, "gfuser", "GET", "/dav/gfowner/p3/f.txt", NULL, NULL);
    EXPECT(404, "gfuser", "PROPFIND", "/dav/gfowner/", "Depth: 0\n", NULL);
}

/* ---- quota ---- */

static void
it_quota_is_507_for_put_chunked_put_copy_and_move(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    char big[601], chunked[2048];
    long long id;
    char *v;

    memset(big, 'q', 600);
    big[600] = '\0';
    mkuser(s, "qowner");
    id = mkrepo(s, "qt", "qowner", 1000);
    EXPECT(201, "qowner", "PUT", "/dav/qt/one.bin", NULL, big);
    /* with a Content-Length: refused before a byte is read */
    EXPECT(507, "qowner", "PUT", "/dav/qt/two.bin", NULL, big);
    assert_false(on_disk(s, id, "two.bin"));
    /* overwriting a file counts what it frees */
    EXPECT(204, "qowner", "PUT", "/dav/qt/one.bin", NULL, big);
    /* chunked, no length: measured at its end */
    snprintf(chunked, sizeof(chunked),
             "PUT /dav/qt/chunked.bin HTTP/1.1\nHost: 127.0.0.1:%d\n%s"
             "Transfer-Encoding: chunked\n\n258\r\n%s\r\n0\r\n\r\n", s->port, ti_as("qowner"),
             big);
    assert_int_equal(t_http(s, &r, "%s", chunked), 0);
    assert_int_equal(r.status, 507);
    t_resp_release(&r);
    assert_false(on_disk(s, id, "chunked.bin"));
    /* a small chunked body still fits */
    snprintf(chunked, sizeof(chunked),
             "PUT /dav/qt/small.bin HTTP/1.1\nHost: 127.0.0.1:%d\n%s"
             "Transfer-Encoding: chunked\n\n5\r\nsmall\r\n0\r\n\r\n", s->port, ti_as("qowner"));
    assert_int_equal(t_http(s, &r, "%s", chunked), 0);
    assert_int_equal(r.status, 201);
    t_resp_release(&r);
    /* COPY inside the repository, and COPY and MOVE into it from another */
    EXPECT(507, "qowner", "COPY", "/dav/qt/one.bin", "Destination: /dav/qt/copy.bin\n", NULL);
    assert_false(on_disk(s, id, "copy.bin"));
    EXPECT(201, "qowner", "PUT", "/dav/qowner/big.bin", NULL, big);
    EXPECT(507, "qowner", "COPY", "/dav/qowner/big.bin", "Destination: /dav/qt/big.bin\n",
           NULL);
    EXPECT(507, "qowner", "MOVE", "/dav/qowner/big.bin", "Destination: /dav/qt/big.bin\n",
           NULL);
    assert_false(on_disk(s, id, "big.bin"));
    EXPECT(200, "qowner", "GET", "/dav/qowner/big.bin", NULL, NULL);
    /* a MOVE inside the repository adds nothing */
    EXPECT(201, "qowner", "MOVE", "/dav/qt/one.bin", "Destination: /dav/qt/uno.bin\n", NULL);
    /* RFC 4331: the properties say it */
    dav(s, &r, "qowner", "PROPFIND", "/dav/qt/", "Depth: 0\n",
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>"
        "<D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>");
    assert_int_equal(r.status, 207);
    v = t_xpath_string(&r, "//D:quota-used-bytes");
    assert_non_null(v);
    assert_string_equal(v, "605");
    free(v);
    v = t_xpath_string(&r, "//D:quota-available-bytes");
    assert_non_null(v);
    assert_string_equal(v, "395");
    free(v);
    t_resp_release(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(it_methods_under_role_read),
        cmocka_unit_test(it_methods_under_role_write),
        cmocka_unit_test(it_methods_under_role_full),
        cmocka_unit_test(it_methods_under_role_none),
        cmocka_unit_test(it_other_folders_stay_out_of_reach),
        cmocka_unit_test(it_refusal_is_403_when_seen_and_404_when_hidden),
        cmocka_unit_test(it_copy_move_across_repositories_need_both_ends),
        cmocka_unit_test(it_depth_infinity_over_a_tree_with_refused_members_does_nothing),
        cmocka_unit_test(it_depth_infinity_members_hold_at_least_their_root),
        cmocka_unit_test(it_propfind_never_names_what_is_hidden),
        cmocka_unit_test(it_current_user_privilege_set_tells_read_only_from_full),
        cmocka_unit_test(it_grant_follows_its_folder_across_move_and_dies_with_delete),
        cmocka_unit_test(it_quota_is_507_for_put_chunked_put_copy_and_move),
    };

    return cmocka_run_group_tests_name("acl_dav", tests, ti_setup, t_teardown);
}
