/*
 * test_storage_meta.c: file ids, dead properties, the metadata of MOVE,
 * COPY and DELETE, and locks.
 *
 * Every test gets a fresh data directory under $TMPDIR (or /tmp) with two
 * repositories, "alpha" and "beta". Metadata is keyed by path, so the
 * tests need no files.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stor_int.h"           /* db->h, to count rows */
#include "coffer/pool.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "t_store.h"

struct t_fx {
    char dir[1024];
    struct stor_db *db;
    struct stor_repos *repos;
    struct stor_repo *r1, *r2;
    struct cf_pool *pool;
    int64_t uid;
};


static void
t_close(struct t_fx *fx)
{
    stor_repos_free(fx->repos);
    fx->repos = NULL;
    fx->r1 = fx->r2 = NULL;
    stor_db_free(fx->db);
    fx->db = NULL;
}

static void
t_reopen(struct t_fx *fx)
{
    char db[1100];

    t_close(fx);
    snprintf(db, sizeof(db), "%s/coffer.db", fx->dir);
    assert_int_equal(stor_db_open(db, &fx->db), 0);
    assert_int_equal(stor_repos_open(fx->dir, fx->db, &fx->repos), 0);
    fx->r1 = stor_repos_find(fx->repos, CF_STR("alpha"));
    fx->r2 = stor_repos_find(fx->repos, CF_STR("beta"));
    assert_non_null(fx->r1);
    assert_non_null(fx->r2);
}

static int
t_setup(void **state)
{
    struct t_fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    char db[1100];

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/coffer-stor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(db, sizeof(db), "%s/coffer.db", fx->dir);
    if (stor_db_open(db, &fx->db) != 0 ||
        stor_repos_open(fx->dir, fx->db, &fx->repos) != 0 ||
        stor_user_create(fx->db, "alice", "Alice", NULL, "admin", NULL, &fx->uid) != 0 ||
        stor_repo_create(fx->repos, fx->db, "alpha", fx->uid, 0, &fx->r1) != 0 ||
        stor_repo_create(fx->repos, fx->db, "beta", fx->uid, 0, &fx->r2) != 0) {
        t_close(fx);
        t_rm_tree(fx->dir);
        free(fx);
        return -1;
    }
    fx->pool = cf_pool_new(4096);
    *state = fx;
    return 0;
}

static int
t_teardown(void **state)
{
    struct t_fx *fx = *state;

    t_close(fx);
    cf_pool_free(fx->pool);
    t_rm_tree(fx->dir);
    free(fx);
    return 0;
}

/* ---- helpers ---- */

static int64_t
t_node(struct t_fx *fx, struct stor_repo *r, const char *path)
{
    int64_t id = -1;

    assert_int_equal(stor_node_id(fx->db, r, path, true, &id), 0);
    assert_true(id > 0);
    return id;
}

/* The id of path, or -1 when it has none. */
static int64_t
t_node_of(struct t_fx *fx, struct stor_repo *r, const char *path)
{
    int64_t id = -1;
    int rc = stor_node_id(fx->db, r, path, false, &id);

    if (rc == -ENOENT)
        return -1;
    assert_int_equal(rc, 0);
    return id;
}

static void
t_set(struct t_fx *fx, struct stor_repo *r, const char *path, const char *ns,
      const char *name, const char *value)
{
    struct stor_prop p = { .ns = ns, .name = name, .value = value };

    assert_int_equal(stor_prop_set(fx->db, t_node(fx, r, path), &p), 0);
}

static int
t_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct t_lines {
    struct t_fx *fx;
    char *v[256];
    size_t n;
    int stop_after;             /* 0: never */
    int stop_with;
};

/* The lines, sorted, joined with ";" (from the pool). */
static const char *
t_join(struct t_lines *l)
{
    struct cf_buf b = CF_BUF_INIT;
    const char *out;

    qsort(l->v, l->n, sizeof(l->v[0]), t_name_cmp);
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0)
            cf_buf_addc(&b, ';');
        cf_buf_adds(&b, l->v[i]);
    }
    out = cf_pool_strndup(l->fx->pool, b.data, b.len);
    cf_buf_release(&b);
    return out;
}

/* "member:{ns}name@lang#=value" (member, @lang and # only when present). */
static int
t_prop_line(void *arg, const char *member, const struct stor_prop *p)
{
    struct t_lines *l = arg;

    assert_non_null(member);
    assert_true(l->n < 256);
    l->v[l->n++] = cf_pool_printf(l->fx->pool, "%s%s{%s}%s%s%s%s=%s", member,
                                  member[0] ? ":" : "", p->ns, p->name, p->lang ? "@" : "",
                                  p->lang ? p->lang : "", p->xml ? "#" : "", p->value);
    if (l->stop_after > 0 && (int)l->n == l->stop_after)
        return l->stop_with;
    return 0;
}

static const char *
t_props(struct t_fx *fx, struct stor_repo *r, const char *path)
{
    struct t_lines l = { .fx = fx };

    assert_int_equal(stor_props_get(fx->db, r, path, t_prop_line, &l), 0);
    return t_join(&l);
}

static const char *
t_children(struct t_fx *fx, struct stor_repo *r, const char *path)
{
    struct t_lines l = { .fx = fx };

    assert_int_equal(stor_props_children(fx->db, r, path, t_prop_line, &l), 0);
    return t_join(&l);
}

static int64_t
t_count(struct t_fx *fx, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;

    assert_int_equal(sqlite3_prepare_v2(fx->db->h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/*
 * Properties on a subtree and on its neighbours by name:
 *   a, a/b, a/b/c      the subtree
 *   ab, ab/c           "a" is a prefix of their names
 *   a.b, a-b/c, a0/x   sort right before and after "a/"
 */
static void
t_meta_tree(struct t_fx *fx, struct stor_repo *r)
{
    static const char *const paths[] = {
        "a", "a/b", "a/b/c", "ab", "ab/c", "a.b", "a-b/c", "a0/x",
    };

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        t_set(fx, r, paths[i], "urn:t", "where", paths[i]);
    t_set(fx, r, "a/b/c", "urn:t", "color", "red");
}

static void
t_neighbours_intact(struct t_fx *fx, struct stor_repo *r)
{
    assert_string_equal(t_props(fx, r, "ab"), "{urn:t}where=ab");
    assert_string_equal(t_props(fx, r, "ab/c"), "{urn:t}where=ab/c");
    assert_string_equal(t_props(fx, r, "a.b"), "{urn:t}where=a.b");
    assert_string_equal(t_props(fx, r, "a-b/c"), "{urn:t}where=a-b/c");
    assert_string_equal(t_props(fx, r, "a0/x"), "{urn:t}where=a0/x");
}

/* ---- file ids ---- */

static void
test_node_id_create_and_lookup(void **state)
{
    struct t_fx *fx = *state;
    int64_t id = 0, id2 = 0, other, root;

    assert_int_equal(stor_node_id(fx->db, fx->r1, "a/b", false, &id), -ENOENT);
    assert_int_equal(stor_node_id(fx->db, fx->r1, "a/b", true, &id), 0);
    assert_true(id > 0);
    assert_int_equal(stor_node_id(fx->db, fx->r1, "a/b", false, &id2), 0);
    assert_int_equal(id2, id);
    assert_int_equal(stor_node_id(fx->db, fx->r1, "a/b", true, &id2), 0);
    assert_int_equal(id2, id);
    /* the parent has no id of its own until asked for */
    assert_int_equal(t_node_of(fx, fx->r1, "a"), -1);
    other = t_node(fx, fx->r1, "a");
    assert_true(other != id);
    assert_true(t_node(fx, fx->r1, "a/bb") != id);
    assert_true(t_node(fx, fx->r2, "a/b") != id);
    root = t_node(fx, fx->r1, "");
    assert_true(root != id && root != other);
    assert_int_equal(t_node_of(fx, fx->r1, ""), root);
    /* ids survive a reopen */
    t_reopen(fx);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b"), id);
    assert_int_equal(t_node_of(fx, fx->r1, ""), root);
}

/* ---- dead properties ---- */

static void
test_prop_set_get_remove_with_namespaces_and_lang(void **state)
{
    struct t_fx *fx = *state;
    int64_t n = t_node(fx, fx->r1, "doc.txt");
    struct stor_prop p1 = { .ns = "http://example.com/ns", .name = "color", .lang = "en",
                            .value = "red" };
    struct stor_prop p2 = { .ns = "", .name = "color", .value = "blue" };
    struct stor_prop p3 = { .ns = "urn:x", .name = "color", .xml = true,
                            .value = "<x:b xmlns:x=\"urn:x\">bold</x:b>" };
    struct stor_prop p4 = { .ns = "urn:x", .name = "empty", .value = "" };

    assert_string_equal(t_props(fx, fx->r1, "doc.txt"), "");
    assert_int_equal(stor_prop_set(fx->db, n, &p1), 0);
    assert_int_equal(stor_prop_set(fx->db, n, &p2), 0);
    assert_int_equal(stor_prop_set(fx->db, n, &p3), 0);
    assert_int_equal(stor_prop_set(fx->db, n, &p4), 0);
    assert_string_equal(t_props(fx, fx->r1, "doc.txt"),
                        "{http://example.com/ns}color@en=red;"
                        "{urn:x}color#=<x:b xmlns:x=\"urn:x\">bold</x:b>;"
                        "{urn:x}empty=;"
                        "{}color=blue");
    /* another path and another repository see none of them */
    assert_string_equal(t_props(fx, fx->r1, "doc.txt2"), "");
    assert_string_equal(t_props(fx, fx->r1, "doc"), "");
    assert_string_equal(t_props(fx, fx->r2, "doc.txt"), "");

    /* removing is by namespace and name */
    assert_int_equal(stor_prop_remove(fx->db, n, "urn:x", "color"), 0);
    assert_string_equal(t_props(fx, fx->r1, "doc.txt"),
                        "{http://example.com/ns}color@en=red;{urn:x}empty=;{}color=blue");
    assert_int_equal(stor_prop_remove(fx->db, n, "", "color"), 0);
    assert_int_equal(stor_prop_remove(fx->db, n, "urn:nope", "color"), 0);
    assert_string_equal(t_props(fx, fx->r1, "doc.txt"),
                        "{http://example.com/ns}color@en=red;{urn:x}empty=");
    /* kept across a reopen */
    t_reopen(fx);
    assert_string_equal(t_props(fx, fx->r1, "doc.txt"),
                        "{http://example.com/ns}color@en=red;{urn:x}empty=");
}

static void
test_prop_set_replaces_value_lang_and_kind(void **state)
{
    struct t_fx *fx = *state;
    int64_t n = t_node(fx, fx->r1, "f");
    struct stor_prop p = { .ns = "urn:a", .name = "title", .lang = "de", .value = "Titel" };

    assert_int_equal(stor_prop_set(fx->db, n, &p), 0);
    assert_string_equal(t_props(fx, fx->r1, "f"), "{urn:a}title@de=Titel");
    p.lang = NULL;
    p.xml = true;
    p.value = "<i>Title</i>";
    assert_int_equal(stor_prop_set(fx->db, n, &p), 0);
    assert_string_equal(t_props(fx, fx->r1, "f"), "{urn:a}title#=<i>Title</i>");
    assert_int_equal(t_count(fx, "SELECT count(*) FROM props"), 1);
}

static void
test_props_get_stops_when_callback_says_so(void **state)
{
    struct t_fx *fx = *state;
    struct t_lines l = { .stop_after = 1, .stop_with = 1 };

    l.fx = fx;
    t_set(fx, fx->r1, "f", "urn:a", "one", "1");
    t_set(fx, fx->r1, "f", "urn:a", "two", "2");
    t_set(fx, fx->r1, "f", "urn:a", "three", "3");
    assert_int_equal(stor_props_get(fx->db, fx->r1, "f", t_prop_line, &l), 0);
    assert_int_equal(l.n, 1);
    memset(&l, 0, sizeof(l));
    l.fx = fx;
    l.stop_after = 2;
    l.stop_with = -EIO;
    assert_int_equal(stor_props_get(fx->db, fx->r1, "f", t_prop_line, &l), -EIO);
    assert_int_equal(l.n, 2);
    /* the statement was reset: a new call sees all three */
    assert_string_equal(t_props(fx, fx->r1, "f"), "{urn:a}one=1;{urn:a}three=3;{urn:a}two=2");
}

static void
test_props_children_returns_members_with_names_in_one_call(void **state)
{
    struct t_fx *fx = *state;

    t_set(fx, fx->r1, "", "urn:t", "p", "root");
    t_set(fx, fx->r1, "c", "urn:t", "p", "c itself");
    t_set(fx, fx->r1, "c/a", "urn:t", "p", "ca");
    t_set(fx, fx->r1, "c/a", "", "q", "ca2");
    t_set(fx, fx->r1, "c/b", "urn:t", "p", "cb");
    t_set(fx, fx->r1, "c/sub", "urn:t", "p", "csub");
    t_set(fx, fx->r1, "c/sub/deep", "urn:t", "p", "deep");
    t_set(fx, fx->r1, "cx/z", "urn:t", "p", "cxz");
    t_set(fx, fx->r1, "cx", "urn:t", "p", "cx");
    t_set(fx, fx->r2, "c/other", "urn:t", "p", "other repo");
    (void)t_node(fx, fx->r1, "c/noprops");

    assert_string_equal(t_children(fx, fx->r1, "c"),
                        "a:{urn:t}p=ca;a:{}q=ca2;b:{urn:t}p=cb;sub:{urn:t}p=csub");
    assert_string_equal(t_children(fx, fx->r1, "c/sub"), "deep:{urn:t}p=deep");
    assert_string_equal(t_children(fx, fx->r1, "c/a"), "");
    assert_string_equal(t_children(fx, fx->r1, ""),
                        "c:{urn:t}p=c itself;cx:{urn:t}p=cx");
    assert_string_equal(t_children(fx, fx->r2, "c"), "other:{urn:t}p=other repo");
}

/* ---- MOVE ---- */

static void
test_meta_move_carries_subtree_ids(void **state)
{
    struct t_fx *fx = *state;
    int64_t ida, idb, idc;

    t_meta_tree(fx, fx->r1);
    ida = t_node_of(fx, fx->r1, "a");
    idb = t_node_of(fx, fx->r1, "a/b");
    idc = t_node_of(fx, fx->r1, "a/b/c");
    assert_int_equal(stor_meta_move(fx->db, fx->r1, "a", fx->r1, "x"), 0);
    assert_string_equal(t_props(fx, fx->r1, "x"), "{urn:t}where=a");
    assert_string_equal(t_props(fx, fx->r1, "x/b"), "{urn:t}where=a/b");
    assert_string_equal(t_props(fx, fx->r1, "x/b/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    assert_int_equal(t_node_of(fx, fx->r1, "x"), ida);
    assert_int_equal(t_node_of(fx, fx->r1, "x/b"), idb);
    assert_int_equal(t_node_of(fx, fx->r1, "x/b/c"), idc);
    /* nothing is left at the source */
    assert_int_equal(t_node_of(fx, fx->r1, "a"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b/c"), -1);
    assert_string_equal(t_props(fx, fx->r1, "a/b/c"), "");
    assert_string_equal(t_children(fx, fx->r1, "x/b"), "c:{urn:t}color=red;c:{urn:t}where=a/b/c");
    t_neighbours_intact(fx, fx->r1);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM nodes"), 8);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM props"), 9);
}

static void
test_meta_move_deeper_and_shallower(void **state)
{
    struct t_fx *fx = *state;

    t_meta_tree(fx, fx->r1);
    assert_int_equal(stor_meta_move(fx->db, fx->r1, "a/b", fx->r1, "n/e/w"), 0);
    assert_string_equal(t_props(fx, fx->r1, "n/e/w"), "{urn:t}where=a/b");
    assert_string_equal(t_props(fx, fx->r1, "n/e/w/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    assert_string_equal(t_props(fx, fx->r1, "a"), "{urn:t}where=a");
    assert_int_equal(stor_meta_move(fx->db, fx->r1, "n/e/w", fx->r1, "top"), 0);
    assert_string_equal(t_props(fx, fx->r1, "top/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    assert_int_equal(t_node_of(fx, fx->r1, "n/e/w/c"), -1);
    t_neighbours_intact(fx, fx->r1);
}

static void
test_meta_move_replaces_destination_metadata(void **state)
{
    struct t_fx *fx = *state;

    t_meta_tree(fx, fx->r1);
    t_set(fx, fx->r1, "x", "urn:t", "old", "x was here");
    t_set(fx, fx->r1, "x/old", "urn:t", "old", "x/old was here");
    t_set(fx, fx->r1, "x/b", "urn:t", "old", "x/b was here");
    assert_int_equal(stor_meta_move(fx->db, fx->r1, "a", fx->r1, "x"), 0);
    assert_string_equal(t_props(fx, fx->r1, "x"), "{urn:t}where=a");
    assert_string_equal(t_props(fx, fx->r1, "x/b"), "{urn:t}where=a/b");
    assert_int_equal(t_node_of(fx, fx->r1, "x/old"), -1);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM props WHERE name = 'old'"), 0);
}

static void
test_meta_move_across_repositories(void **state)
{
    struct t_fx *fx = *state;
    int64_t idc;

    t_meta_tree(fx, fx->r1);
    t_meta_tree(fx, fx->r2);
    idc = t_node_of(fx, fx->r1, "a/b/c");
    assert_int_equal(stor_meta_move(fx->db, fx->r1, "a", fx->r2, "y"), 0);
    assert_string_equal(t_props(fx, fx->r2, "y"), "{urn:t}where=a");
    assert_string_equal(t_props(fx, fx->r2, "y/b/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    assert_int_equal(t_node_of(fx, fx->r2, "y/b/c"), idc);
    assert_int_equal(t_node_of(fx, fx->r1, "a"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b/c"), -1);
    /* the same paths in the destination repository were not touched */
    assert_string_equal(t_props(fx, fx->r2, "a/b/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    t_neighbours_intact(fx, fx->r1);
    t_neighbours_intact(fx, fx->r2);
    /* and back, onto a path that "a"'s tree in beta would collide with */
    assert_int_equal(stor_meta_move(fx->db, fx->r2, "y", fx->r1, "a"), 0);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b/c"), idc);
    assert_int_equal(t_node_of(fx, fx->r2, "y"), -1);
}

static void
test_meta_move_of_a_file_leaves_prefix_neighbours(void **state)
{
    struct t_fx *fx = *state;

    t_meta_tree(fx, fx->r1);
    assert_int_equal(stor_meta_move(fx->db, fx->r1, "ab", fx->r1, "zz"), 0);
    assert_string_equal(t_props(fx, fx->r1, "zz"), "{urn:t}where=ab");
    assert_string_equal(t_props(fx, fx->r1, "zz/c"), "{urn:t}where=ab/c");
    assert_string_equal(t_props(fx, fx->r1, "a"), "{urn:t}where=a");
    assert_string_equal(t_props(fx, fx->r1, "a/b"), "{urn:t}where=a/b");
    assert_string_equal(t_props(fx, fx->r1, "ab"), "");
}

static struct stor_lock
t_lk(const char *path, bool infinite, enum stor_lock_scope scope, int64_t timeout)
{
    struct stor_lock lk;

    memset(&lk, 0, sizeof(lk));
    lk.path = path;
    lk.infinite = infinite;
    lk.scope = scope;
    lk.timeout = timeout;
    lk.principal = 1;
    return lk;
}

static int
t_lock_line(void *arg, const struct stor_lock *lk)
{
    struct t_lines *l = arg;

    assert_true(l->n < 256);
    assert_true(strncmp(lk->token, "opaquelocktoken:", 16) == 0);
    l->v[l->n++] = cf_pool_printf(l->fx->pool, "%s%s%s", lk->path[0] ? lk->path : "/",
                                  lk->infinite ? "*" : "",
                                  lk->scope == STOR_LOCK_EXCLUSIVE ? "!" : "");
    return 0;
}

/* The live locks of repo covering path (and below it): "a*" for an
 * infinite lock on a, "b!" for an exclusive one, "/" for the root. */
static const char *
t_locks(struct t_fx *fx, struct stor_repo *r, const char *path, bool below)
{
    struct t_lines l = { .fx = fx };

    assert_int_equal(stor_locks_each(fx->db, r, path, below, t_lock_line, &l), 0);
    return t_join(&l);
}

static void
t_lock_ok(struct t_fx *fx, struct stor_repo *r, struct stor_lock *lk)
{
    const char *conflict = NULL;

    assert_int_equal(stor_lock_create(fx->db, r, lk, fx->pool, &conflict), 0);
    assert_null(conflict);
}

static void
t_lock_busy(struct t_fx *fx, struct stor_repo *r, struct stor_lock *lk, const char *with)
{
    const char *conflict = NULL;

    assert_int_equal(stor_lock_create(fx->db, r, lk, fx->pool, &conflict), -EBUSY);
    assert_non_null(conflict);
    assert_string_equal(conflict, with);
}

static void
test_meta_move_drops_locks_of_the_source_tree(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock l1 = t_lk("a", true, STOR_LOCK_SHARED, 600);
    struct stor_lock l2 = t_lk("a/b", false, STOR_LOCK_SHARED, 600);
    struct stor_lock l3 = t_lk("ab", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock l4 = t_lk("a", false, STOR_LOCK_EXCLUSIVE, 600);

    t_meta_tree(fx, fx->r1);
    t_lock_ok(fx, fx->r1, &l1);
    t_lock_ok(fx, fx->r1, &l2);
    t_lock_ok(fx, fx->r1, &l3);
    t_lock_ok(fx, fx->r2, &l4);
    assert_int_equal(stor_meta_move(fx->db, fx->r1, "a", fx->r1, "x"), 0);
    /* RFC 4918 7.7: locks do not travel; the neighbour's and beta's stay */
    assert_string_equal(t_locks(fx, fx->r1, "", true), "ab!");
    assert_string_equal(t_locks(fx, fx->r2, "a", true), "a!");
}

/* ---- COPY ---- */

static void
test_meta_copy_infinite_copies_to_new_ids(void **state)
{
    struct t_fx *fx = *state;
    int64_t ida, idz;

    t_meta_tree(fx, fx->r1);
    (void)t_node(fx, fx->r1, "a/noprops");
    t_set(fx, fx->r1, "a/b/c/d/e", "urn:t", "deep", "yes");
    ida = t_node_of(fx, fx->r1, "a");
    assert_int_equal(stor_meta_copy(fx->db, fx->r1, "a", fx->r1, "z", true), 0);
    assert_string_equal(t_props(fx, fx->r1, "z"), "{urn:t}where=a");
    assert_string_equal(t_props(fx, fx->r1, "z/b"), "{urn:t}where=a/b");
    assert_string_equal(t_props(fx, fx->r1, "z/b/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    assert_string_equal(t_props(fx, fx->r1, "z/b/c/d/e"), "{urn:t}deep=yes");
    idz = t_node_of(fx, fx->r1, "z");
    assert_true(idz > 0 && idz != ida);
    assert_true(t_node_of(fx, fx->r1, "z/b/c") != t_node_of(fx, fx->r1, "a/b/c"));
    /* ids for members without properties are not made */
    assert_int_equal(t_node_of(fx, fx->r1, "z/noprops"), -1);
    /* the source is unchanged, and the copies are independent */
    assert_string_equal(t_props(fx, fx->r1, "a"), "{urn:t}where=a");
    assert_int_equal(t_node_of(fx, fx->r1, "a"), ida);
    t_set(fx, fx->r1, "z/b", "urn:t", "where", "changed");
    assert_string_equal(t_props(fx, fx->r1, "a/b"), "{urn:t}where=a/b");
    /* neighbours by prefix are neither copied nor touched */
    assert_int_equal(t_node_of(fx, fx->r1, "zb"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "z.b"), -1);
    assert_string_equal(t_children(fx, fx->r1, "z"), "b:{urn:t}where=changed");
    t_neighbours_intact(fx, fx->r1);
}

static void
test_meta_copy_depth0_copies_only_the_collection(void **state)
{
    struct t_fx *fx = *state;

    t_meta_tree(fx, fx->r1);
    assert_int_equal(stor_meta_copy(fx->db, fx->r1, "a", fx->r1, "z", false), 0);
    assert_string_equal(t_props(fx, fx->r1, "z"), "{urn:t}where=a");
    assert_int_equal(t_node_of(fx, fx->r1, "z/b"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "z/b/c"), -1);
    assert_string_equal(t_children(fx, fx->r1, "z"), "");
    assert_string_equal(t_props(fx, fx->r1, "a/b"), "{urn:t}where=a/b");
}

static void
test_meta_copy_of_a_member_and_across_repositories(void **state)
{
    struct t_fx *fx = *state;

    t_meta_tree(fx, fx->r1);
    assert_int_equal(stor_meta_copy(fx->db, fx->r1, "a/b", fx->r2, "in/q", true), 0);
    assert_string_equal(t_props(fx, fx->r2, "in/q"), "{urn:t}where=a/b");
    assert_string_equal(t_props(fx, fx->r2, "in/q/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    assert_int_equal(t_node_of(fx, fx->r2, "a/b"), -1);
    assert_string_equal(t_props(fx, fx->r1, "a/b/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    /* a file (no members) copies alone, the prefix neighbour's tree stays out */
    assert_int_equal(stor_meta_copy(fx->db, fx->r1, "ab", fx->r2, "ab2", true), 0);
    assert_string_equal(t_props(fx, fx->r2, "ab2"), "{urn:t}where=ab");
    assert_string_equal(t_props(fx, fx->r2, "ab2/c"), "{urn:t}where=ab/c");
    assert_int_equal(stor_meta_copy(fx->db, fx->r1, "a.b", fx->r2, "ab3", true), 0);
    assert_string_equal(t_props(fx, fx->r2, "ab3"), "{urn:t}where=a.b");
    assert_string_equal(t_children(fx, fx->r2, "ab3"), "");
    /* nothing to copy is not an error */
    assert_int_equal(stor_meta_copy(fx->db, fx->r1, "none", fx->r2, "none", true), 0);
    assert_int_equal(t_node_of(fx, fx->r2, "none"), -1);
}

/* ---- DELETE ---- */

static void
test_meta_delete_removes_subtree_rows(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock l1 = t_lk("a/b", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock l2 = t_lk("ab", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock l3 = t_lk("a.b", false, STOR_LOCK_EXCLUSIVE, 600);

    t_meta_tree(fx, fx->r1);
    t_meta_tree(fx, fx->r2);
    t_lock_ok(fx, fx->r1, &l1);
    t_lock_ok(fx, fx->r1, &l2);
    t_lock_ok(fx, fx->r1, &l3);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM nodes"), 16);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM props"), 18);

    assert_int_equal(stor_meta_delete(fx->db, fx->r1, "a"), 0);
    assert_int_equal(t_node_of(fx, fx->r1, "a"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b"), -1);
    assert_int_equal(t_node_of(fx, fx->r1, "a/b/c"), -1);
    /* the rows are gone, properties with their nodes */
    assert_int_equal(t_count(fx, "SELECT count(*) FROM nodes"), 13);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM props"), 14);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM props WHERE node NOT IN "
                                 "(SELECT id FROM nodes)"), 0);
    t_neighbours_intact(fx, fx->r1);
    /* beta's "a" is another file */
    assert_string_equal(t_props(fx, fx->r2, "a/b/c"), "{urn:t}color=red;{urn:t}where=a/b/c");
    /* the locks of the tree went, the neighbours' stayed */
    assert_string_equal(t_locks(fx, fx->r1, "", true), "a.b!;ab!");
    /* a lone file */
    assert_int_equal(stor_meta_delete(fx->db, fx->r1, "ab/c"), 0);
    assert_int_equal(t_node_of(fx, fx->r1, "ab/c"), -1);
    assert_string_equal(t_props(fx, fx->r1, "ab"), "{urn:t}where=ab");
    /* nothing there is not an error */
    assert_int_equal(stor_meta_delete(fx->db, fx->r1, "none"), 0);
}

/* ---- locks ---- */

static void
test_lock_exclusive_then_exclusive_is_ebusy(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock a = t_lk("f", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock b = t_lk("f", false, STOR_LOCK_EXCLUSIVE, 600);
    time_t now = time(NULL);

    t_lock_ok(fx, fx->r1, &a);
    assert_int_equal(a.repo, fx->r1->id);
    assert_true(a.expires >= now + 600 && a.expires <= time(NULL) + 600);
    t_lock_busy(fx, fx->r1, &b, "f");
    assert_string_equal(t_locks(fx, fx->r1, "f", false), "f!");
    /* the same path in another repository is another resource */
    t_lock_ok(fx, fx->r2, &b);
}

static void
test_lock_shared_and_shared_coexist(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock a = t_lk("f", false, STOR_LOCK_SHARED, 600);
    struct stor_lock b = t_lk("f", true, STOR_LOCK_SHARED, 600);
    struct stor_lock c = t_lk("f", false, STOR_LOCK_EXCLUSIVE, 600);

    t_lock_ok(fx, fx->r1, &a);
    t_lock_ok(fx, fx->r1, &b);
    assert_string_not_equal(a.token, b.token);
    assert_string_equal(t_locks(fx, fx->r1, "f", false), "f;f*");
    t_lock_busy(fx, fx->r1, &c, "f");
}

static void
test_lock_shared_then_exclusive_is_ebusy(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock a = t_lk("dir/f", false, STOR_LOCK_SHARED, 600);
    struct stor_lock b = t_lk("dir/f", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock c = t_lk("dir", true, STOR_LOCK_EXCLUSIVE, 600);

    t_lock_ok(fx, fx->r1, &a);
    t_lock_busy(fx, fx->r1, &b, "dir/f");
    t_lock_busy(fx, fx->r1, &c, "dir/f");
}

static void
test_lock_exclusive_then_shared_is_ebusy(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock a = t_lk("f", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock b = t_lk("f", false, STOR_LOCK_SHARED, 600);

    t_lock_ok(fx, fx->r1, &a);
    t_lock_busy(fx, fx->r1, &b, "f");
}

static void
test_lock_depth_infinity_covers_descendants_depth0_does_not(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock inf = t_lk("a", true, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock zero = t_lk("a", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock deep = t_lk("a/b/c", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock shared_deep = t_lk("a/b/c", false, STOR_LOCK_SHARED, 600);

    t_lock_ok(fx, fx->r1, &inf);
    t_lock_busy(fx, fx->r1, &deep, "a");
    t_lock_busy(fx, fx->r1, &shared_deep, "a");
    assert_int_equal(stor_lock_remove(fx->db, inf.token), 0);

    t_lock_ok(fx, fx->r1, &zero);
    t_lock_ok(fx, fx->r1, &deep);
    assert_string_equal(t_locks(fx, fx->r1, "a", true), "a!;a/b/c!");
}

static void
test_lock_on_descendant_blocks_infinite_lock_on_ancestor(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock deep = t_lk("a/b/c", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock inf = t_lk("a", true, STOR_LOCK_SHARED, 600);
    struct stor_lock root = t_lk("", true, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock zero = t_lk("a", false, STOR_LOCK_EXCLUSIVE, 600);

    t_lock_ok(fx, fx->r1, &deep);
    t_lock_busy(fx, fx->r1, &inf, "a/b/c");
    t_lock_busy(fx, fx->r1, &root, "a/b/c");
    t_lock_ok(fx, fx->r1, &zero);
}

static void
test_lock_prefix_neighbour_does_not_conflict(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock inf = t_lk("a", true, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock ab = t_lk("ab", true, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock ab2 = t_lk("ab/c", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock adot = t_lk("a.b", false, STOR_LOCK_EXCLUSIVE, 600);

    t_lock_ok(fx, fx->r1, &inf);
    t_lock_ok(fx, fx->r1, &ab);
    t_lock_ok(fx, fx->r1, &adot);
    t_lock_busy(fx, fx->r1, &ab2, "ab");
    assert_string_equal(t_locks(fx, fx->r1, "ab/c", false), "ab*!");
    assert_string_equal(t_locks(fx, fx->r1, "a/x", false), "a*!");
}

static void
test_lock_on_root_with_depth_infinity_covers_everything(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock root = t_lk("", true, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock f = t_lk("x/y/z", false, STOR_LOCK_SHARED, 600);
    struct stor_lock root0 = t_lk("", false, STOR_LOCK_SHARED, 600);

    t_lock_ok(fx, fx->r1, &root);
    t_lock_busy(fx, fx->r1, &f, "");
    assert_string_equal(t_locks(fx, fx->r1, "x/y/z", false), "/*!");
    assert_int_equal(stor_lock_remove(fx->db, root.token), 0);
    /* a depth-0 lock on the root covers the root only */
    t_lock_ok(fx, fx->r1, &root0);
    t_lock_ok(fx, fx->r1, &f);
    assert_string_equal(t_locks(fx, fx->r1, "x/y/z", false), "x/y/z");
    assert_string_equal(t_locks(fx, fx->r1, "", false), "/");
    assert_string_equal(t_locks(fx, fx->r1, "", true), "/;x/y/z");
}

static void
test_locks_each_reports_covering_and_below(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock l[] = {
        t_lk("a", true, STOR_LOCK_SHARED, 600),
        t_lk("a/b", false, STOR_LOCK_SHARED, 600),
        t_lk("a/b/c", false, STOR_LOCK_SHARED, 600),
        t_lk("a/b/c/d", true, STOR_LOCK_SHARED, 600),
        t_lk("ab", true, STOR_LOCK_SHARED, 600),
        t_lk("a/bc", false, STOR_LOCK_SHARED, 600),
        t_lk("x", false, STOR_LOCK_SHARED, 600),
    };
    struct stor_lock other = t_lk("a/b", true, STOR_LOCK_EXCLUSIVE, 600);

    for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++)
        t_lock_ok(fx, fx->r1, &l[i]);
    t_lock_ok(fx, fx->r2, &other);

    assert_string_equal(t_locks(fx, fx->r1, "a/b", false), "a*;a/b");
    assert_string_equal(t_locks(fx, fx->r1, "a/b", true), "a*;a/b;a/b/c;a/b/c/d*");
    assert_string_equal(t_locks(fx, fx->r1, "a/b/c", false), "a*;a/b/c");
    assert_string_equal(t_locks(fx, fx->r1, "a/b/c/d/e", false), "a*;a/b/c/d*");
    assert_string_equal(t_locks(fx, fx->r1, "a", false), "a*");
    assert_string_equal(t_locks(fx, fx->r1, "a", true), "a*;a/b;a/b/c;a/b/c/d*;a/bc");
    assert_string_equal(t_locks(fx, fx->r1, "ab", true), "ab*");
    assert_string_equal(t_locks(fx, fx->r1, "y", true), "");
    assert_string_equal(t_locks(fx, fx->r1, "", false), "");
    assert_string_equal(t_locks(fx, fx->r1, "", true),
                        "a*;a/b;a/b/c;a/b/c/d*;a/bc;ab*;x");
    assert_string_equal(t_locks(fx, fx->r2, "a/b/q", true), "a/b*!");
}

static bool
t_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return false;
    return true;
}

static void
test_lock_token_is_opaquelocktoken_uuid_v4(void **state)
{
    struct t_fx *fx = *state;
    char seen[20][64];

    for (int i = 0; i < 20; i++) {
        struct stor_lock lk = t_lk(cf_pool_printf(fx->pool, "f%d", i), false,
                                   STOR_LOCK_EXCLUSIVE, 600);
        const char *u;

        t_lock_ok(fx, fx->r1, &lk);
        assert_int_equal(strlen(lk.token), 16 + 36);
        assert_memory_equal(lk.token, "opaquelocktoken:", 16);
        u = lk.token + 16;
        /* xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower-case hex */
        assert_true(t_hex(u, 8));
        assert_int_equal(u[8], '-');
        assert_true(t_hex(u + 9, 4));
        assert_int_equal(u[13], '-');
        assert_int_equal(u[14], '4');
        assert_true(t_hex(u + 15, 3));
        assert_int_equal(u[18], '-');
        assert_non_null(strchr("89ab", u[19]));
        assert_true(t_hex(u + 20, 3));
        assert_int_equal(u[23], '-');
        assert_true(t_hex(u + 24, 12));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[j], lk.token);
        snprintf(seen[i], sizeof(seen[i]), "%s", lk.token);
    }
}

static void
test_lock_get_refresh_remove(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock a = t_lk("d/f", true, STOR_LOCK_SHARED, 600);
    struct stor_lock b = t_lk("g", false, STOR_LOCK_EXCLUSIVE, 30);
    struct stor_lock got;
    int64_t expires = 0;
    time_t before;

    a.owner = "<D:href xmlns:D=\"DAV:\">mailto:alice@example.com</D:href>";
    a.principal = fx->uid;
    t_lock_ok(fx, fx->r1, &a);
    t_lock_ok(fx, fx->r2, &b);

    memset(&got, 0, sizeof(got));
    assert_int_equal(stor_lock_get(fx->db, a.token, fx->pool, &got), 0);
    assert_string_equal(got.token, a.token);
    assert_int_equal(got.repo, fx->r1->id);
    assert_string_equal(got.path, "d/f");
    assert_true(got.infinite);
    assert_int_equal(got.scope, STOR_LOCK_SHARED);
    assert_string_equal(got.owner, a.owner);
    assert_int_equal(got.principal, fx->uid);
    assert_int_equal(got.timeout, 600);
    assert_int_equal(got.expires, a.expires);

    assert_int_equal(stor_lock_get(fx->db, b.token, fx->pool, &got), 0);
    assert_int_equal(got.repo, fx->r2->id);
    assert_string_equal(got.path, "g");
    assert_false(got.infinite);
    assert_int_equal(got.scope, STOR_LOCK_EXCLUSIVE);
    assert_null(got.owner);
    assert_int_equal(got.timeout, 30);

    assert_int_equal(stor_lock_get(fx->db, "opaquelocktoken:nope", fx->pool, &got), -ENOENT);

    /* refresh: a new timeout and a new expiry */
    before = time(NULL);
    assert_int_equal(stor_lock_refresh(fx->db, b.token, 3600, &expires), 0);
    assert_true(expires >= before + 3600 && expires <= time(NULL) + 3600);
    assert_int_equal(stor_lock_get(fx->db, b.token, fx->pool, &got), 0);
    assert_int_equal(got.timeout, 3600);
    assert_int_equal(got.expires, expires);
    assert_int_equal(stor_lock_refresh(fx->db, "opaquelocktoken:nope", 60, &expires), -ENOENT);

    /* remove: once */
    assert_int_equal(stor_lock_remove(fx->db, b.token), 0);
    assert_int_equal(stor_lock_remove(fx->db, b.token), -ENOENT);
    assert_int_equal(stor_lock_get(fx->db, b.token, fx->pool, &got), -ENOENT);
    assert_int_equal(stor_lock_refresh(fx->db, b.token, 60, &expires), -ENOENT);
    assert_string_equal(t_locks(fx, fx->r2, "", true), "");
    /* the other lock is still there, and survives a reopen */
    t_reopen(fx);
    assert_int_equal(stor_lock_get(fx->db, a.token, fx->pool, &got), 0);
    assert_string_equal(got.path, "d/f");
    assert_string_equal(t_locks(fx, fx->r1, "d/f/x", false), "d/f*");
}

static void
test_expired_lock_is_invisible_and_does_not_conflict(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock a = t_lk("f", true, STOR_LOCK_EXCLUSIVE, 1);
    struct stor_lock live = t_lk("g", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock b = t_lk("f", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock c = t_lk("f/x", false, STOR_LOCK_EXCLUSIVE, 600);
    struct stor_lock got;
    int64_t expires;

    t_lock_ok(fx, fx->r1, &a);
    t_lock_ok(fx, fx->r1, &live);
    assert_int_equal(stor_lock_get(fx->db, a.token, fx->pool, &got), 0);
    sleep(2);
    assert_int_equal(stor_lock_get(fx->db, a.token, fx->pool, &got), -ENOENT);
    assert_string_equal(t_locks(fx, fx->r1, "f", true), "");
    assert_string_equal(t_locks(fx, fx->r1, "", true), "g!");
    assert_int_equal(stor_lock_refresh(fx->db, a.token, 600, &expires), -ENOENT);
    t_lock_ok(fx, fx->r1, &b);
    t_lock_ok(fx, fx->r1, &c);
    assert_string_equal(t_locks(fx, fx->r1, "", true), "f!;f/x!;g!");
    /* taking a lock purged the expired one */
    assert_int_equal(t_count(fx, "SELECT count(*) FROM locks"), 3);
}

static void
test_locks_remove_tree(void **state)
{
    struct t_fx *fx = *state;
    struct stor_lock l[] = {
        t_lk("a", false, STOR_LOCK_SHARED, 600),
        t_lk("a/b", false, STOR_LOCK_SHARED, 600),
        t_lk("a/b/c", true, STOR_LOCK_SHARED, 600),
        t_lk("ab", false, STOR_LOCK_SHARED, 600),
        t_lk("a.b", false, STOR_LOCK_SHARED, 600),
        t_lk("a0", false, STOR_LOCK_SHARED, 600),
        t_lk("b", false, STOR_LOCK_SHARED, 600),
    };
    struct stor_lock other = t_lk("a", true, STOR_LOCK_SHARED, 600);

    for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++)
        t_lock_ok(fx, fx->r1, &l[i]);
    t_lock_ok(fx, fx->r2, &other);
    assert_int_equal(stor_locks_remove_tree(fx->db, fx->r1, "a/b/c"), 0);
    assert_string_equal(t_locks(fx, fx->r1, "", true), "a;a.b;a/b;a0;ab;b");
    assert_int_equal(stor_locks_remove_tree(fx->db, fx->r1, "a"), 0);
    assert_string_equal(t_locks(fx, fx->r1, "", true), "a.b;a0;ab;b");
    assert_int_equal(stor_lock_get(fx->db, l[0].token, fx->pool, &(struct stor_lock){ 0 }),
                     -ENOENT);
    assert_string_equal(t_locks(fx, fx->r2, "", true), "a*");
    assert_int_equal(stor_locks_remove_tree(fx->db, fx->r1, "none"), 0);
    assert_int_equal(stor_locks_remove_tree(fx->db, fx->r1, ""), 0);
    assert_string_equal(t_locks(fx, fx->r1, "", true), "");
    assert_string_equal(t_locks(fx, fx->r2, "", true), "a*");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)
        T(test_node_id_create_and_lookup),
        T(test_prop_set_get_remove_with_namespaces_and_lang),
        T(test_prop_set_replaces_value_lang_and_kind),
        T(test_props_get_stops_when_callback_says_so),
        T(test_props_children_returns_members_with_names_in_one_call),
        T(test_meta_move_carries_subtree_ids),
        T(test_meta_move_deeper_and_shallower),
        T(test_meta_move_replaces_destination_metadata),
        T(test_meta_move_across_repositories),
        T(test_meta_move_of_a_file_leaves_prefix_neighbours),
        T(test_meta_move_drops_locks_of_the_source_tree),
        T(test_meta_copy_infinite_copies_to_new_ids),
        T(test_meta_copy_depth0_copies_only_the_collection),
        T(test_meta_copy_of_a_member_and_across_repositories),
        T(test_meta_delete_removes_subtree_rows),
        T(test_lock_exclusive_then_exclusive_is_ebusy),
        T(test_lock_shared_and_shared_coexist),
        T(test_lock_shared_then_exclusive_is_ebusy),
        T(test_lock_exclusive_then_shared_is_ebusy),
        T(test_lock_depth_infinity_covers_descendants_depth0_does_not),
        T(test_lock_on_descendant_blocks_infinite_lock_on_ancestor),
        T(test_lock_prefix_neighbour_does_not_conflict),
        T(test_lock_on_root_with_depth_infinity_covers_everything),
        T(test_locks_each_reports_covering_and_below),
        T(test_lock_token_is_opaquelocktoken_uuid_v4),
        T(test_lock_get_refresh_remove),
        T(test_expired_lock_is_invisible_and_does_not_conflict),
        T(test_locks_remove_tree),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
