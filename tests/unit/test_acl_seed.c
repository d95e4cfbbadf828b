/*
 * test_acl_seed.c: the situations of seed 001 (groups of users) as named
 * tests, over a real SQLite store and repository registry in a temporary
 * data directory, with a role engine that the group service patches. The
 * system (actor 0) sets things up; the users themselves act where the test
 * is about their rights, with the user faculties of their user role.
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
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "t_store.h"
#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/conf.h"
#include "coffer/groups.h"
#include "coffer/ident.h"
#include "coffer/pool.h"
#include "coffer/storage.h"

struct t_fx {
    char dir[1024];
    struct cf_conf conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct acl_epoch *epoch;
    struct acl_engine *engine;
    struct acl_ident sys;       /* the system: actor 0 */
    struct cf_pool *pool;
    int64_t root;               /* an administrator */
};

/* Someone acting: his identity and the user faculties of his user role. */
struct t_actor {
    struct acl_ident x;
    uint32_t ufac;
};


static int64_t t_user(struct t_fx *fx, const char *login, const char *role);

static int
t_setup(void **state)
{
    struct t_fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    char path[PATH_MAX];

    snprintf(fx->dir, sizeof(fx->dir), "%s/coffer-aclseed-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    cf_conf_defaults(&fx->conf);
    fx->conf.argon2_ops = 1;            /* users are made without passwords anyway */
    fx->conf.argon2_mem = 8192;
    snprintf(path, sizeof(path), "%s/coffer.db", fx->dir);
    if (stor_db_open(path, &fx->db) != 0 || stor_repos_open(fx->dir, fx->db, &fx->repos) != 0 ||
        acl_epoch_open(fx->dir, &fx->epoch) != 0)
        return -1;
    fx->engine = acl_engine_new(fx->repos);
    if (acl_engine_load(fx->engine, fx->db) != 0)
        return -1;
    fx->sys = (struct acl_ident){ .conf = &fx->conf, .db = fx->db, .repos = fx->repos,
                                  .epoch = fx->epoch, .engine = fx->engine, .actor_id = 0,
                                  .peer = "test" };
    fx->pool = cf_pool_new(4096);
    *state = fx;
    fx->root = t_user(fx, "root", "administrator");
    return 0;
}

static int
t_teardown(void **state)
{
    struct t_fx *fx = *state;

    acl_engine_free(fx->engine);
    acl_epoch_free(fx->epoch);
    stor_repos_free(fx->repos);
    stor_db_free(fx->db);
    cf_pool_free(fx->pool);
    cf_conf_release(&fx->conf);
    t_rm_tree(fx->dir);
    free(fx);
    return 0;
}

/* A user (invited: no password to hash), with his personal group. */
static int64_t
t_user(struct t_fx *fx, const char *login, const char *role)
{
    char email[128];
    struct acl_user_new n = { .login = login, .email = email, .role = role };
    int64_t id = 0;

    snprintf(email, sizeof(email), "%s@example.com", login);
    assert_int_equal(acl_user_add(&fx->sys, &n, &id), 0);
    return id;
}

/* user acting, with the faculties of his user role. */
static struct t_actor
t_as(struct t_fx *fx, int64_t user)
{
    struct t_actor a;
    struct stor_user u;

    assert_int_equal(stor_user_get_by_id(fx->db, user, fx->pool, &u), 0);
    a.x = fx->sys;
    a.x.actor_id = user;
    a.x.actor = u.login;
    a.ufac = acl_role_faculties(fx->db, u.role, NULL);
    return a;
}

/* A group made by the system (never private: the system cannot). */
static int64_t
t_group(struct t_fx *fx, const char *name, bool position)
{
    struct stor_group g = { .name = name, .position = position };
    int64_t id = 0;

    assert_int_equal(acl_group_create(&fx->sys, 0, &g, &id), 0);
    return id;
}

/* A private group made by user, who becomes its administrator member. */
static int64_t
t_private_group(struct t_fx *fx, int64_t user, const char *name)
{
    struct t_actor a = t_as(fx, user);
    struct stor_group g = { .name = name, .private_ = true };
    int64_t id = 0;

    assert_int_equal(acl_group_create(&a.x, a.ufac, &g, &id), 0);
    return id;
}

static int64_t
t_personal(struct t_fx *fx, const char *login)
{
    struct stor_group g;

    assert_int_equal(stor_group_get(fx->db, login, 0, fx->pool, &g), 0);
    assert_true(g.personal);
    return g.id;
}

static struct stor_group
t_load(struct t_fx *fx, int64_t gid)
{
    struct stor_group g;

    assert_int_equal(stor_group_get(fx->db, NULL, gid, fx->pool, &g), 0);
    return g;
}

static void
t_put(struct t_fx *fx, int64_t gid, enum stor_kind kind, int64_t principal, const char *role,
      enum stor_section section)
{
    struct stor_member m = { gid, kind, principal, role, section };

    assert_int_equal(acl_member_put(&fx->sys, 0, &m), 0);
}

static void
t_user_in(struct t_fx *fx, int64_t gid, int64_t user, const char *role)
{
    t_put(fx, gid, STOR_KIND_USER, user, role, STOR_SECTION_MEMBER);
}

static void
t_other_in(struct t_fx *fx, int64_t gid, int64_t user, const char *role)
{
    t_put(fx, gid, STOR_KIND_USER, user, role, STOR_SECTION_OTHER);
}

static void
t_nest(struct t_fx *fx, int64_t child, int64_t parent, const char *role)
{
    t_put(fx, parent, STOR_KIND_GROUP, child, role, STOR_SECTION_MEMBER);
}

/* A shared repository owned by root (his personal group gets full control of it). */
static struct stor_repo *
t_repo(struct t_fx *fx, const char *name)
{
    struct stor_repo *r = NULL;

    assert_int_equal(acl_repo_create(&fx->sys, 0, name, fx->root, 0, &r), 0);
    assert_non_null(r);
    return r;
}


static int64_t
t_grant(struct t_fx *fx, struct stor_repo *r, const char *path, int64_t gid, const char *role)
{
    int64_t id = 0;

    if (path[0] != '\0')
        t_mk(r, path);

    assert_int_equal(acl_grant_add(&fx->sys, 0, r, path, gid, role, &id), 0);
    return id;
}

static void
t_role(struct t_fx *fx, enum stor_role_kind k, const char *name, uint32_t fac)
{
    struct stor_role r = { .name = name, .faculties = fac };

    assert_int_equal(acl_roles2_put(&fx->sys, 0, k, &r), 0);
}

static unsigned
t_fac(struct t_fx *fx, int64_t user, struct stor_repo *r, const char *path)
{
    return acl_engine_faculties(fx->engine, user, r, path);
}

#define ACL_R (ACL_READ | ACL_VERSIONS)                     /* element role "read" */
#define ACL_W (ACL_READ | ACL_WRITE | ACL_DELETE | ACL_VERSIONS) /* "write" */

static void
test_legal_area_nested_in_administration_area(void **state)
{
    struct t_fx *fx = *state;
    int64_t alice = t_user(fx, "alice", "internal"), bob = t_user(fx, "bob", "external");
    int64_t carol = t_user(fx, "carol", "internal"), mia = t_user(fx, "mia", "external");
    int64_t legal = t_group(fx, "Legal area", false);
    int64_t admin = t_group(fx, "Administration area", false);
    int64_t contracts = t_group(fx, "Contracts team", false);
    struct stor_repo *docs = t_repo(fx, "admin-docs");

    /* Legal has a member group of its own, which has mia's personal group in it */
    t_nest(fx, t_personal(fx, "mia"), contracts, "reader");
    t_nest(fx, contracts, legal, "reader");
    t_user_in(fx, legal, alice, "reader");
    t_user_in(fx, legal, bob, "publisher");     /* his role in Legal does not matter above */
    t_other_in(fx, legal, carol, "reader");
    t_nest(fx, legal, admin, "reader");
    t_grant(fx, docs, "", admin, "read");

    assert_true(acl_check(fx->engine, alice, docs, "", ACL_READ));
    assert_true(acl_check(fx->engine, alice, docs, "contracts/2024/nda.pdf", ACL_READ));
    assert_int_equal(t_fac(fx, alice, docs, "contracts"), ACL_R);
    assert_true(acl_check(fx->engine, bob, docs, "contracts", ACL_READ));
    assert_true(acl_engine_is_member(fx->engine, alice, admin));
    assert_true(acl_engine_is_member(fx->engine, bob, admin));
    assert_int_equal(acl_engine_group_faculties(fx->engine, bob, admin), ACL_G_READ);
    /* Legal's other-permissions user: not a member of Administration area, no access */
    assert_false(acl_check(fx->engine, carol, docs, "", ACL_READ));
    assert_int_equal(t_fac(fx, carol, docs, "contracts"), 0);
    assert_false(acl_repo_visible(fx->engine, carol, docs));
    assert_false(acl_engine_is_member(fx->engine, carol, admin));
    assert_false(acl_engine_in_group(fx->engine, carol, admin));
    assert_true(acl_engine_in_group(fx->engine, carol, legal));
    assert_false(acl_engine_is_member(fx->engine, carol, legal));
    /* transitively: the members of Legal's member groups too */
    assert_true(acl_engine_is_member(fx->engine, mia, admin));
    assert_int_equal(t_fac(fx, mia, docs, "contracts"), ACL_R);
    /* and Legal taken out of Administration area: all of them lose it */
    assert_int_equal(acl_member_remove(&fx->sys, 0, admin, STOR_KIND_GROUP, legal,
                                       STOR_SECTION_MEMBER), 0);
    assert_int_equal(t_fac(fx, mia, docs, "contracts"), 0);
    assert_int_equal(t_fac(fx, alice, docs, "contracts"), 0);
    assert_false(acl_engine_is_member(fx->engine, mia, admin));
    assert_true(acl_engine_is_member(fx->engine, mia, legal));
}

static void
test_other_permissions_user_gains_nothing_in_parent(void **state)
{
    struct t_fx *fx = *state;
    int64_t carol = t_user(fx, "carol", "internal"), dan = t_user(fx, "dan", "internal");
    int64_t legal = t_group(fx, "Legal area", false);
    int64_t admin = t_group(fx, "Administration area", false);
    struct stor_repo *docs = t_repo(fx, "admin-docs"), *ldocs = t_repo(fx, "legal-docs");
    struct t_actor c = t_as(fx, carol);
    struct stor_member m = { admin, STOR_KIND_USER, dan, "reader", STOR_SECTION_MEMBER };

    t_role(fx, STOR_ROLES_GROUP, "everything", ACL_G_ALL);
    t_nest(fx, legal, admin, "everything");
    t_other_in(fx, legal, carol, "everything");
    t_grant(fx, docs, "", admin, "full");
    t_grant(fx, ldocs, "", legal, "write");

    /* in Legal itself she holds her role: she reaches what Legal is granted */
    assert_int_equal(acl_engine_group_faculties(fx->engine, carol, legal), ACL_G_ALL);
    assert_int_equal(t_fac(fx, carol, ldocs, "memo.odt"), ACL_W);
    /* in the parent, nothing at all: no role, no membership, no entry, no access */
    assert_int_equal(acl_engine_group_faculties(fx->engine, carol, admin), 0);
    assert_false(acl_engine_is_member(fx->engine, carol, admin));
    assert_false(acl_engine_in_group(fx->engine, carol, admin));
    assert_int_equal(t_fac(fx, carol, docs, ""), 0);
    assert_int_equal(t_fac(fx, carol, docs, "a/b"), 0);
    /* and she may not change the parent (she administers Legal only) */
    assert_int_equal(acl_member_put(&c.x, c.ufac, &m), -EACCES);
    assert_int_equal(acl_group_delete(&c.x, c.ufac, admin), -EACCES);
    m.grp = legal;
    assert_int_equal(acl_member_put(&c.x, c.ufac, &m), 0);
    /* moving her to Legal's members section makes her travel */
    t_user_in(fx, legal, carol, "reader");
    assert_true(acl_engine_is_member(fx->engine, carol, admin));
    assert_int_equal(t_fac(fx, carol, docs, "a/b"), ACL_ALL);
}

static void
test_member_roles_do_not_travel(void **state)
{
    struct t_fx *fx = *state;
    int64_t dave = t_user(fx, "dave", "internal"), eve = t_user(fx, "eve", "internal");
    int64_t legal = t_group(fx, "Legal area", false);
    int64_t admin = t_group(fx, "Administration area", false);
    struct t_actor d = t_as(fx, dave);
    struct stor_member m = { admin, STOR_KIND_USER, eve, "reader", STOR_SECTION_MEMBER };

    t_nest(fx, legal, admin, "reader");
    t_user_in(fx, legal, dave, "administrator");

    assert_int_equal(acl_engine_group_faculties(fx->engine, dave, legal), ACL_G_ADMIN);
    /* in the parent he holds the child's role there, not his own */
    assert_int_equal(acl_engine_group_faculties(fx->engine, dave, admin), ACL_G_READ);
    assert_true(acl_engine_is_member(fx->engine, dave, admin));
    assert_int_equal(acl_member_put(&d.x, d.ufac, &m), -EACCES);
    assert_int_equal(acl_group_delete(&d.x, d.ufac, admin), -EACCES);
    m.grp = legal;
    assert_int_equal(acl_member_put(&d.x, d.ufac, &m), 0);
    /* the child's role in the parent changes: his faculties there follow */
    t_nest(fx, legal, admin, "publisher");
    assert_int_equal(acl_engine_group_faculties(fx->engine, dave, admin), ACL_G_PUBLISH);
    assert_int_equal(acl_engine_group_faculties(fx->engine, eve, admin), ACL_G_PUBLISH);
    assert_int_equal(acl_engine_group_faculties(fx->engine, dave, legal), ACL_G_ADMIN);
    /* a direct entry in the parent adds up with what nesting brings */
    t_other_in(fx, admin, dave, "administrator");
    assert_int_equal(acl_engine_group_faculties(fx->engine, dave, admin),
                     ACL_G_PUBLISH | ACL_G_ADMIN);
    m.grp = admin;
    assert_int_equal(acl_member_put(&d.x, d.ufac, &m), 0);
}

static void
test_publisher_who_is_not_a_reader(void **state)
{
    struct t_fx *fx = *state;
    int64_t pat = t_user(fx, "pat", "internal"), olga = t_user(fx, "olga", "external");
    int64_t quinn = t_user(fx, "quinn", "internal");
    int64_t orders = t_group(fx, "Orders", false);
    struct stor_repo *r = t_repo(fx, "orders");
    struct t_actor p = t_as(fx, pat), q = t_as(fx, quinn);
    int64_t id = 0, id2 = 0;

    t_role(fx, STOR_ROLES_ELEMENT, "manage-only", ACL_MANAGE);
    t_other_in(fx, orders, pat, "publisher");
    t_user_in(fx, orders, olga, "reader");
    t_grant(fx, r, "2024", t_personal(fx, "pat"), "manage-only");
    t_grant(fx, r, "2024", t_personal(fx, "quinn"), "manage-only");

    t_mk(r, "2024/order-17");
    t_mk(r, "2024/order-18");
    t_mk(r, "2025");
    /* publisher in the group and manage on the folder: he includes the group */
    assert_int_equal(acl_grant_add(&p.x, p.ufac, r, "2024/order-17", orders, "write", &id), 0);
    assert_int_equal(t_fac(fx, olga, r, "2024/order-17/invoice.pdf"), ACL_W);
    /* ... but he does not read what he published */
    assert_false(acl_check(fx->engine, pat, r, "2024/order-17", ACL_READ));
    assert_false(acl_check(fx->engine, pat, r, "2024/order-17/invoice.pdf", ACL_READ));
    assert_int_equal(t_fac(fx, pat, r, "2024/order-17"), ACL_MANAGE);
    assert_false(acl_path_visible(fx->engine, pat, r, "2024/order-17"));
    assert_false(acl_repo_visible(fx->engine, pat, r));
    assert_int_equal(acl_engine_reach(fx->engine, pat, r), ACL_MANAGE);
    assert_int_equal(acl_engine_group_faculties(fx->engine, pat, orders), ACL_G_PUBLISH);
    /* without manage where he publishes: refused */
    assert_int_equal(acl_grant_add(&p.x, p.ufac, r, "2025", orders, "write", &id2), -EACCES);
    /* manage without the publisher role: refused */
    assert_int_equal(acl_grant_add(&q.x, q.ufac, r, "2024/order-18", orders, "read", &id2),
                     -EACCES);
    /* he may exclude it again */
    assert_int_equal(acl_grant_remove(&p.x, p.ufac, r, id), 0);
    assert_int_equal(t_fac(fx, olga, r, "2024/order-17/invoice.pdf"), 0);
}

static void
test_private_group_hidden_from_administrators(void **state)
{
    struct t_fx *fx = *state;
    int64_t erin = t_user(fx, "erin", "internal"), frank = t_user(fx, "frank", "external");
    int64_t gina = t_user(fx, "gina", "guest"), henry = t_user(fx, "henry", "internal");
    int64_t board = t_private_group(fx, erin, "Board");
    int64_t open = t_group(fx, "Open", false);
    struct t_actor root = t_as(fx, fx->root), e = t_as(fx, erin), f = t_as(fx, frank);
    struct t_actor g = t_as(fx, gina), h = t_as(fx, henry);
    struct stor_group bg = t_load(fx, board), og = t_load(fx, open), out;
    struct stor_member m = { board, STOR_KIND_USER, frank, "reader", STOR_SECTION_OTHER };

    assert_true(bg.private_);
    assert_true(acl_engine_is_member(fx->engine, erin, board));
    assert_int_equal(acl_engine_group_faculties(fx->engine, erin, board), ACL_G_ADMIN);
    /* an administrator without an entry does not see it, nor does anyone else */
    assert_false(acl_group_visible(&root.x, root.ufac, &bg));
    assert_false(acl_group_visible(&h.x, h.ufac, &bg));
    assert_int_equal(acl_group_find(&root.x, root.ufac, "Board", fx->pool, &out), -ENOENT);
    assert_int_equal(acl_group_find(&root.x, root.ufac, "board", fx->pool, &out), -ENOENT);
    assert_int_equal(acl_member_put(&root.x, root.ufac, &m), -ENOENT);
    assert_int_equal(acl_group_delete(&root.x, root.ufac, board), -ENOENT);
    assert_true(acl_group_visible(&root.x, root.ufac, &og));
    /* its members and its other-permissions users do */
    assert_true(acl_group_visible(&e.x, e.ufac, &bg));
    assert_int_equal(acl_member_put(&e.x, e.ufac, &m), 0);
    m = (struct stor_member){ board, STOR_KIND_USER, gina, "reader", STOR_SECTION_MEMBER };
    assert_int_equal(acl_member_put(&e.x, e.ufac, &m), 0);
    assert_true(acl_group_visible(&f.x, f.ufac, &bg));
    assert_true(acl_group_visible(&g.x, g.ufac, &bg));
    assert_int_equal(acl_group_find(&f.x, f.ufac, "Board", fx->pool, &out), 0);
    assert_int_equal(out.id, board);
    assert_int_equal(acl_group_find(&g.x, g.ufac, "Board", fx->pool, &out), 0);
    assert_int_equal(acl_group_find(&root.x, root.ufac, "Board", fx->pool, &out), -ENOENT);
    /* a guest does not see a public group he has no entry in */
    assert_false(acl_group_visible(&g.x, g.ufac, &og));
}

static void
test_last_administrator_of_private_group(void **state)
{
    struct t_fx *fx = *state;
    int64_t erin = t_user(fx, "erin", "internal"), frank = t_user(fx, "frank", "internal");
    int64_t holly = t_user(fx, "holly", "internal");
    int64_t board = t_private_group(fx, erin, "Board");
    struct t_actor e = t_as(fx, erin), f = t_as(fx, frank);
    struct stor_member demote = { board, STOR_KIND_USER, erin, "reader", STOR_SECTION_MEMBER };
    struct stor_member m;

    /* the only member administrator can neither leave nor be demoted */
    assert_int_equal(acl_member_remove(&e.x, e.ufac, board, STOR_KIND_USER, erin,
                                       STOR_SECTION_MEMBER), -EPERM);
    assert_int_equal(acl_member_put(&e.x, e.ufac, &demote), -EPERM);
    demote.role = "publisher";
    assert_int_equal(acl_member_put(&e.x, e.ufac, &demote), -EPERM);
    assert_int_equal(acl_member_remove(&fx->sys, 0, board, STOR_KIND_USER, erin,
                                       STOR_SECTION_MEMBER), -EPERM);
    /* an administrator in other permissions does not count */
    m = (struct stor_member){ board, STOR_KIND_USER, holly, "administrator", STOR_SECTION_OTHER };
    assert_int_equal(acl_member_put(&e.x, e.ufac, &m), 0);
    assert_int_equal(acl_member_remove(&e.x, e.ufac, board, STOR_KIND_USER, erin,
                                       STOR_SECTION_MEMBER), -EPERM);
    assert_true(acl_engine_is_member(fx->engine, erin, board));
    /* a second member administrator: now he can be demoted, and leave */
    m = (struct stor_member){ board, STOR_KIND_USER, frank, "administrator",
                              STOR_SECTION_MEMBER };
    assert_int_equal(acl_member_put(&e.x, e.ufac, &m), 0);
    assert_int_equal(acl_member_put(&e.x, e.ufac, &demote), 0);
    assert_int_equal(acl_engine_group_faculties(fx->engine, erin, board), ACL_G_PUBLISH);
    assert_int_equal(acl_member_remove(&e.x, e.ufac, board, STOR_KIND_USER, erin,
                                       STOR_SECTION_MEMBER), 0);
    assert_false(acl_engine_in_group(fx->engine, erin, board));
    /* and frank is the last one now */
    assert_int_equal(acl_member_remove(&f.x, f.ufac, board, STOR_KIND_USER, frank,
                                       STOR_SECTION_MEMBER), -EPERM);
    m.role = "reader";
    assert_int_equal(acl_member_put(&f.x, f.ufac, &m), -EPERM);
    assert_int_equal(acl_engine_group_faculties(fx->engine, frank, board), ACL_G_ADMIN);
}

static void
test_position_change(void **state)
{
    struct t_fx *fx = *state;
    int64_t hank = t_user(fx, "hank", "internal"), ivy = t_user(fx, "ivy", "internal");
    int64_t hr = t_user(fx, "hr", "internal");
    int64_t head = t_group(fx, "Head of accounting", true);
    int64_t finance = t_group(fx, "Finance committee", false);
    int64_t managers = t_group(fx, "Managers", false);
    int64_t accounting = t_group(fx, "Accounting", false);
    struct stor_repo *fin = t_repo(fx, "finance"), *mgmt = t_repo(fx, "mgmt");
    struct stor_repo *acc = t_repo(fx, "accounting");
    struct t_actor h = t_as(fx, hr);
    struct stor_member m = { head, STOR_KIND_USER, ivy, "reader", STOR_SECTION_MEMBER };

    assert_true(t_load(fx, head).position);
    t_role(fx, STOR_ROLES_GROUP, "lead", ACL_G_READ | ACL_G_PUBLISH);
    t_user_in(fx, head, hank, "reader");
    t_other_in(fx, head, hr, "administrator");  /* administers the post, not in it */
    t_user_in(fx, accounting, hank, "reader");
    t_nest(fx, head, finance, "reader");
    t_nest(fx, head, managers, "lead");
    t_grant(fx, fin, "", finance, "read");
    t_grant(fx, mgmt, "reports", managers, "write");
    t_grant(fx, acc, "", accounting, "read");

    assert_int_equal(t_fac(fx, hank, fin, "2024/q1.ods"), ACL_R);
    assert_int_equal(t_fac(fx, hank, mgmt, "reports/x"), ACL_W);
    assert_int_equal(acl_engine_group_faculties(fx->engine, hank, managers),
                     ACL_G_READ | ACL_G_PUBLISH);
    assert_int_equal(t_fac(fx, ivy, fin, "2024/q1.ods"), 0);
    assert_false(acl_engine_is_member(fx->engine, hr, finance));

    /* the post changes hands, by its administrator who is not a member */
    assert_int_equal(acl_member_remove(&h.x, h.ufac, head, STOR_KIND_USER, hank,
                                       STOR_SECTION_MEMBER), 0);
    assert_int_equal(acl_member_put(&h.x, h.ufac, &m), 0);

    assert_int_equal(t_fac(fx, hank, fin, "2024/q1.ods"), 0);
    assert_int_equal(t_fac(fx, hank, mgmt, "reports/x"), 0);
    assert_false(acl_repo_visible(fx->engine, hank, mgmt));
    assert_false(acl_engine_is_member(fx->engine, hank, head));
    assert_false(acl_engine_is_member(fx->engine, hank, finance));
    assert_false(acl_engine_is_member(fx->engine, hank, managers));
    assert_int_equal(acl_engine_group_faculties(fx->engine, hank, managers), 0);
    assert_int_equal(t_fac(fx, ivy, fin, "2024/q1.ods"), ACL_R);
    assert_int_equal(t_fac(fx, ivy, mgmt, "reports/x"), ACL_W);
    assert_int_equal(t_fac(fx, ivy, mgmt, "other"), 0);
    assert_true(acl_engine_is_member(fx->engine, ivy, finance));
    assert_true(acl_engine_is_member(fx->engine, ivy, managers));
    assert_int_equal(acl_engine_group_faculties(fx->engine, ivy, managers),
                     ACL_G_READ | ACL_G_PUBLISH);
    /* his other groups are untouched */
    assert_true(acl_engine_is_member(fx->engine, hank, accounting));
    assert_int_equal(t_fac(fx, hank, acc, "ledger"), ACL_R);
    assert_int_equal(t_fac(fx, ivy, acc, "ledger"), 0);
    /* the group role's faculties change: the post's holder follows at once */
    t_role(fx, STOR_ROLES_GROUP, "lead", ACL_G_PUBLISH);
    assert_int_equal(acl_engine_group_faculties(fx->engine, ivy, managers), ACL_G_PUBLISH);
    assert_int_equal(t_fac(fx, ivy, mgmt, "reports/x"), 0);
}

/* The entries of every group, as one number (a digest of the rows). */
static int
t_digest_entry(void *arg, const struct stor_member *m)
{
    uint64_t *h = arg;
    char row[256];

    snprintf(row, sizeof(row), "%lld/%d/%lld/%s/%d;", (long long)m->grp, (int)m->kind,
             (long long)m->principal, m->role, (int)m->section);
    for (const char *p = row; *p; p++)
        *h = (*h ^ (unsigned char)*p) * 0x100000001b3ull;
    return 0;
}

static uint64_t
t_entries_digest(struct t_fx *fx)
{
    uint64_t h = 0xcbf29ce484222325ull;

    assert_int_equal(stor_members_each(fx->db, 0, t_digest_entry, &h), 0);
    return h;
}

/* What the engine says about users in groups, as one number. */
static uint64_t
t_engine_digest(struct acl_engine *e, const int64_t *users, size_t nu, const int64_t *groups,
                size_t ng)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < nu; i++)
        for (size_t j = 0; j < ng; j++) {
            unsigned v = acl_engine_group_faculties(e, users[i], groups[j]) |
                         (acl_engine_is_member(e, users[i], groups[j]) ? 0x100u : 0) |
                         (acl_engine_in_group(e, users[i], groups[j]) ? 0x200u : 0);

            h = (h ^ v) * 0x100000001b3ull;
        }
    return h;
}

static void
test_cycle_refused(void **state)
{
    struct t_fx *fx = *state;
    int64_t ann = t_user(fx, "ann", "internal"), ben = t_user(fx, "ben", "internal");
    int64_t a = t_group(fx, "A", false), b = t_group(fx, "B", false);
    int64_t c = t_group(fx, "C", false);
    int64_t users[] = { ann, ben }, groups[] = { a, b, c };
    struct stor_member m = { a, STOR_KIND_GROUP, c, "reader", STOR_SECTION_MEMBER };
    uint64_t db0, en0;

    t_nest(fx, a, b, "reader");
    t_nest(fx, b, c, "administrator");
    t_user_in(fx, a, ann, "reader");
    t_user_in(fx, c, ben, "publisher");
    db0 = t_entries_digest(fx);
    en0 = t_engine_digest(fx->engine, users, 2, groups, 3);
    assert_true(acl_engine_is_member(fx->engine, ann, c));
    assert_false(acl_engine_is_member(fx->engine, ben, a));

    assert_int_equal(acl_member_put(&fx->sys, 0, &m), -ELOOP);     /* C in A */
    m.principal = b;
    assert_int_equal(acl_member_put(&fx->sys, 0, &m), -ELOOP);     /* B in A */
    m = (struct stor_member){ a, STOR_KIND_GROUP, a, "reader", STOR_SECTION_MEMBER };
    assert_int_equal(acl_member_put(&fx->sys, 0, &m), -ELOOP);     /* A in A */
    assert_non_null(fx->sys.why);
    /* nothing changed: the rows, the engine */
    assert_true(t_entries_digest(fx) == db0);
    assert_true(t_engine_digest(fx->engine, users, 2, groups, 3) == en0);
    assert_false(acl_engine_is_member(fx->engine, ben, a));
    assert_false(acl_engine_is_member(fx->engine, ben, b));
    assert_true(acl_engine_would_cycle(fx->engine, c, a));
    assert_false(acl_engine_would_cycle(fx->engine, a, c));
    /* what is not a cycle is accepted: A in C directly, again */
    m = (struct stor_member){ c, STOR_KIND_GROUP, a, "reader", STOR_SECTION_MEMBER };
    assert_int_equal(acl_member_put(&fx->sys, 0, &m), 0);
    assert_int_equal(acl_engine_group_faculties(fx->engine, ann, c),
                     ACL_G_READ | ACL_G_ADMIN);
}

static void
test_removal_propagates(void **state)
{
    struct t_fx *fx = *state;
    int64_t jack = t_user(fx, "jack", "guest"), kate = t_user(fx, "kate", "guest");
    int64_t lou = t_user(fx, "lou", "guest");
    int64_t parent = t_group(fx, "Parent", false), grand = t_group(fx, "Grand", false);
    int64_t child = t_group(fx, "Child", false), late;
    struct stor_repo *r = t_repo(fx, "family");
    struct t_actor j = t_as(fx, jack);

    t_nest(fx, child, parent, "reader");
    t_nest(fx, parent, grand, "reader");
    t_user_in(fx, child, jack, "reader");
    t_user_in(fx, child, kate, "reader");
    t_grant(fx, r, "", grand, "read");
    t_grant(fx, r, "kids", child, "full");
    t_other_in(fx, child, lou, "reader");
    assert_int_equal(t_fac(fx, lou, r, "kids"), ACL_ALL);
    assert_int_equal(t_fac(fx, lou, r, "photos"), 0);
    assert_true(acl_engine_is_member(fx->engine, jack, grand));
    assert_int_equal(t_fac(fx, jack, r, "photos"), ACL_R);

    /* he leaves the child himself: gone from every group it is nested in */
    assert_int_equal(acl_member_remove(&j.x, j.ufac, child, STOR_KIND_USER, jack,
                                       STOR_SECTION_MEMBER), 0);
    assert_false(acl_engine_is_member(fx->engine, jack, child));
    assert_false(acl_engine_is_member(fx->engine, jack, parent));
    assert_false(acl_engine_is_member(fx->engine, jack, grand));
    assert_false(acl_engine_in_group(fx->engine, jack, grand));
    assert_int_equal(t_fac(fx, jack, r, "photos"), 0);
    assert_true(acl_engine_is_member(fx->engine, kate, grand));
    assert_int_equal(t_fac(fx, kate, r, "photos"), ACL_R);
    /* the child group deleted: its members leave the groups above too */
    assert_int_equal(acl_group_delete(&fx->sys, 0, child), 0);
    assert_false(acl_engine_is_member(fx->engine, kate, parent));
    assert_false(acl_engine_is_member(fx->engine, kate, grand));
    assert_int_equal(t_fac(fx, kate, r, "photos"), 0);
    assert_false(acl_engine_in_group(fx->engine, lou, child));
    assert_int_equal(t_fac(fx, lou, r, "kids"), 0);
    /* its grants went with it, even for a group made next (which may get its id) */
    assert_false(acl_engine_has_grants_below(fx->engine, r, "kids"));
    late = t_group(fx, "Late", false);
    t_user_in(fx, late, kate, "reader");
    assert_int_equal(t_fac(fx, kate, r, "kids"), 0);
    (void)late;
    /* the link between parent and grand stays */
    t_user_in(fx, parent, jack, "reader");
    assert_int_equal(t_fac(fx, jack, r, "photos"), ACL_R);
}

static void
test_grants_inherit_and_add_up(void **state)
{
    struct t_fx *fx = *state;
    int64_t kim = t_user(fx, "kim", "internal"), lena = t_user(fx, "lena", "external");
    int64_t team = t_group(fx, "Team", false);
    struct stor_repo *r = t_repo(fx, "projects"), *other = t_repo(fx, "other");

    t_role(fx, STOR_ROLES_ELEMENT, "edit", ACL_WRITE | ACL_DELETE);
    t_user_in(fx, team, kim, "reader");
    t_grant(fx, r, "", team, "read");
    t_grant(fx, r, "plans", team, "edit");
    /* a file grant: the seed's send-to list, to lena's personal group */
    t_grant(fx, r, "plans/q3.odt", t_personal(fx, "lena"), "read");

    assert_int_equal(t_fac(fx, kim, r, ""), ACL_R);
    assert_int_equal(t_fac(fx, kim, r, "plans"), ACL_R | ACL_WRITE | ACL_DELETE);
    assert_int_equal(t_fac(fx, kim, r, "plans/q3.odt"), ACL_R | ACL_WRITE | ACL_DELETE);
    assert_int_equal(t_fac(fx, kim, r, "plans/2025/a/b.txt"), ACL_R | ACL_WRITE | ACL_DELETE);
    assert_int_equal(t_fac(fx, kim, r, "budget"), ACL_R);
    assert_int_equal(t_fac(fx, kim, r, "plansx"), ACL_R);       /* a sibling, not below */
    assert_int_equal(t_fac(fx, kim, other, "plans"), 0);
    /* the file, and only the file */
    assert_int_equal(t_fac(fx, lena, r, "plans/q3.odt"), ACL_R);
    assert_int_equal(t_fac(fx, lena, r, "plans"), 0);
    assert_int_equal(t_fac(fx, lena, r, ""), 0);
    assert_int_equal(t_fac(fx, lena, r, "plans/q3.odt.bak"), 0);
    assert_int_equal(t_fac(fx, lena, r, "plans/q4.odt"), 0);
    assert_true(acl_path_visible(fx->engine, lena, r, "plans"));    /* on the way */
    assert_false(acl_path_visible(fx->engine, lena, r, "budget"));
    assert_false(acl_path_visible(fx->engine, lena, r, "plans/q3"));   /* not a folder of it */
    assert_false(acl_path_visible(fx->engine, lena, r, "plans/q3.odt.bak"));
    assert_true(acl_repo_visible(fx->engine, lena, r));
    /* grants strictly below a folder: a listing checks each member only then */
    assert_true(acl_engine_has_grants_under(fx->engine, r, ""));
    assert_true(acl_engine_has_grants_under(fx->engine, r, "plans"));
    assert_false(acl_engine_has_grants_under(fx->engine, r, "plans/q3.odt"));  /* at, not under */
    assert_false(acl_engine_has_grants_under(fx->engine, r, "plans/2025"));
    assert_false(acl_engine_has_grants_under(fx->engine, r, "plan"));   /* a prefix of a name */
    assert_false(acl_engine_has_grants_under(fx->engine, r, "budget"));
    assert_false(acl_engine_has_grants_under(fx->engine, other, ""));
    /* an element role's faculties change: every grant with it follows */
    t_role(fx, STOR_ROLES_ELEMENT, "edit", ACL_WRITE);
    assert_int_equal(t_fac(fx, kim, r, "plans/q3.odt"), ACL_R | ACL_WRITE);
}

static void
test_engine_reload_equals_patched(void **state)
{
    struct t_fx *fx = *state;
    static const char *const logins[] = { "u1", "u2", "u3", "u4", "u5", "u6" };
    static const char *const paths[] = { "", "a", "a/b", "a/b/f.txt", "a/c", "d", "d/e.txt",
                                         "x/y" };
    int64_t users[7], groups[8], gr[4];
    struct stor_repo *r1 = t_repo(fx, "one"), *r2 = t_repo(fx, "two"), *repos[] = { r1, r2 };
    struct acl_engine *fresh;
    size_t nchecked = 0;

    for (size_t i = 0; i < 6; i++)
        users[i] = t_user(fx, logins[i], i % 2 ? "internal" : "guest");
    users[6] = fx->root;
    groups[0] = t_group(fx, "G0", false);
    groups[1] = t_group(fx, "G1", false);
    groups[2] = t_group(fx, "G2", true);
    groups[3] = t_group(fx, "G3", false);
    groups[4] = t_group(fx, "G4", false);
    groups[5] = t_personal(fx, "u1");
    groups[6] = t_personal(fx, "u4");
    groups[7] = t_private_group(fx, users[1], "Hidden");
    t_role(fx, STOR_ROLES_GROUP, "rp", ACL_G_READ | ACL_G_PUBLISH);
    t_role(fx, STOR_ROLES_ELEMENT, "wv", ACL_WRITE | ACL_VERSIONS);
    t_nest(fx, groups[0], groups[1], "reader");
    t_nest(fx, groups[1], groups[2], "rp");
    t_nest(fx, groups[5], groups[0], "reader");
    t_nest(fx, groups[6], groups[3], "publisher");
    t_nest(fx, groups[3], groups[2], "reader");
    t_nest(fx, groups[2], groups[4], "administrator");
    t_user_in(fx, groups[0], users[1], "administrator");
    t_other_in(fx, groups[0], users[2], "reader");
    t_other_in(fx, groups[1], users[3], "rp");
    t_user_in(fx, groups[3], users[4], "reader");
    t_user_in(fx, groups[7], users[5], "reader");
    t_nest(fx, groups[7], groups[4], "reader");
    gr[0] = t_grant(fx, r1, "", groups[2], "read");
    gr[1] = t_grant(fx, r1, "a/b", groups[0], "wv");
    gr[2] = t_grant(fx, r2, "d/e.txt", groups[6], "full");
    gr[3] = t_grant(fx, r2, "a", groups[4], "write");
    t_grant(fx, r2, "a/c", groups[1], "read");
    /* and then some changes */
    t_role(fx, STOR_ROLES_GROUP, "rp", ACL_G_READ);
    t_role(fx, STOR_ROLES_ELEMENT, "wv", ACL_WRITE | ACL_DELETE);
    t_nest(fx, groups[0], groups[1], "publisher");
    assert_int_equal(acl_member_remove(&fx->sys, 0, groups[3], STOR_KIND_GROUP, groups[6],
                                       STOR_SECTION_MEMBER), 0);
    t_nest(fx, groups[6], groups[1], "reader");
    assert_int_equal(acl_member_remove(&fx->sys, 0, groups[0], STOR_KIND_USER, users[2],
                                       STOR_SECTION_OTHER), 0);
    assert_int_equal(acl_grant_remove(&fx->sys, 0, r1, gr[0]), 0);
    t_grant(fx, r1, "", groups[1], "read");
    assert_int_equal(acl_group_delete(&fx->sys, 0, groups[3]), 0);
    (void)gr;

    fresh = acl_engine_new(fx->repos);
    assert_int_equal(acl_engine_load(fresh, fx->db), 0);
    for (size_t u = 0; u < 7; u++) {
        for (size_t g = 0; g < 8; g++) {
            assert_int_equal(acl_engine_group_faculties(fresh, users[u], groups[g]),
                             acl_engine_group_faculties(fx->engine, users[u], groups[g]));
            assert_int_equal(acl_engine_is_member(fresh, users[u], groups[g]),
                             acl_engine_is_member(fx->engine, users[u], groups[g]));
            assert_int_equal(acl_engine_in_group(fresh, users[u], groups[g]),
                             acl_engine_in_group(fx->engine, users[u], groups[g]));
        }
        for (size_t k = 0; k < 2; k++)
            for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
                unsigned want = acl_engine_faculties(fresh, users[u], repos[k], paths[p]);

                assert_int_equal(acl_engine_faculties(fx->engine, users[u], repos[k], paths[p]),
                                 want);
                assert_int_equal(acl_path_visible(fx->engine, users[u], repos[k], paths[p]),
                                 acl_path_visible(fresh, users[u], repos[k], paths[p]));
                nchecked += want != 0;
            }
    }
    /* the sequence left something to compare */
    assert_true(nchecked > 10);
    assert_int_equal(acl_engine_faculties(fresh, users[5], r2, "a/c"), ACL_W);
    acl_engine_free(fresh);
}

static void
test_private_group_keeps_its_administrator_through_roles_and_removal(void **state)
{
    struct t_fx *fx = *state;
    int64_t erin = t_user(fx, "erin", "internal"), frank = t_user(fx, "frank", "internal");
    int64_t board = t_private_group(fx, erin, "Board");
    struct t_actor e = t_as(fx, erin);
    struct stor_role boss = { .name = "boss", .faculties = ACL_G_ADMIN | ACL_G_READ };
    struct stor_member m = { board, STOR_KIND_USER, frank, "boss", STOR_SECTION_MEMBER };
    int64_t n = -1;

    /* frank holds the administer faculty through a custom role; erin leaves */
    assert_int_equal(acl_roles2_put(&fx->sys, 0, STOR_ROLES_GROUP, &boss), 0);
    assert_int_equal(acl_member_put(&e.x, e.ufac, &m), 0);
    assert_int_equal(acl_member_remove(&e.x, e.ufac, board, STOR_KIND_USER, erin,
                                       STOR_SECTION_MEMBER), 0);
    /* taking the faculty away from the role would orphan the group: refused, unchanged */
    boss.faculties = ACL_G_READ;
    assert_int_equal(acl_roles2_put(&fx->sys, 0, STOR_ROLES_GROUP, &boss), -EPERM);
    assert_int_equal(acl_engine_group_faculties(fx->engine, frank, board),
                     ACL_G_ADMIN | ACL_G_READ);
    /* so would removing frank, the last administrator member */
    assert_int_equal(acl_user_remove(&fx->sys, frank, 0, false), -EPERM);
    assert_true(acl_engine_is_member(fx->engine, frank, board));
    assert_int_equal(stor_groups_without_admin(fx->db, &n), 0);
    assert_int_equal(n, 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
    const struct CMUnitTest tests[] = {
        T(test_legal_area_nested_in_administration_area),
        T(test_other_permissions_user_gains_nothing_in_parent),
        T(test_member_roles_do_not_travel),
        T(test_publisher_who_is_not_a_reader),
        T(test_private_group_hidden_from_administrators),
        T(test_last_administrator_of_private_group),
        T(test_private_group_keeps_its_administrator_through_roles_and_removal),
        T(test_position_change),
        T(test_cycle_refused),
        T(test_removal_propagates),
        T(test_grants_inherit_and_add_up),
        T(test_engine_reload_equals_patched),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
