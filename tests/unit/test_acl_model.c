/*
 * test_acl_model.c: the role engine against a reference written here from
 * the definitions of DESIGN.md "The access model" and seed 001, sharing no
 * code with acl_engine.c: plain arrays (users, groups, entries, grants,
 * role faculty tables), a fixpoint over the entries for membership, and a
 * loop over the grants for faculties.
 *
 * Each sequence makes a fresh store in a temporary data directory and
 * applies random changes through the group service as the system (so the
 * engine is patched, never reloaded): groups made and deleted, entries put
 * and removed (cycles included: the service must refuse exactly the
 * cycles the reference sees), grants added and removed on a small tree,
 * custom role faculties changed. After every change the engine's answers
 * for every (user, repository, path) (faculties, visibility), every (user,
 * repository) (reach), every (user, group) (faculties, membership, entry)
 * and every pair of users (peers) are compared with the reference. At the
 * end of a sequence the rows in the database are compared with the
 * reference, and so is a fresh engine loaded from them.
 *
 * The seed is printed. COFFER_MODEL_SEED=<n> replays a run,
 * COFFER_MODEL_ONLY=<k> runs its sequence k alone, COFFER_MODEL_SEQS and
 * COFFER_MODEL_OPS change the length.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
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

#include "t_store.h"
#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/conf.h"
#include "coffer/groups.h"
#include "coffer/ident.h"
#include "coffer/pool.h"
#include "coffer/storage.h"

/* ---- the reference ---- */

#define M_USERS 6
#define M_REPOS 2
#define M_GROUPS 64             /* every group ever made in a sequence, personal ones included */
#define M_ENTRIES 512
#define M_GRANTS 256
#define M_ROLES 5

enum { M_USER = 0, M_GROUP = 1 };
enum { M_MEMBER = 0, M_OTHER = 1 };

/* Group roles, then element roles: three presets and two of our own each. */
static const char *const m_groles[M_ROLES] = { "reader", "administrator", "publisher",
                                               "gr-one", "gr-two" };
static const char *const m_eroles[M_ROLES] = { "full", "write", "read", "er-one", "er-two" };
static const unsigned m_grole_preset[3] = { 1, 2, 4 };
static const unsigned m_erole_preset[3] = { 31, 23, 17 };

/* Where grants go, and where we ask. */
static const char *const m_grant_paths[] = { "", "a", "a/b", "a/b/f.txt", "a/c", "d",
                                             "d/e.txt" };
#define M_NGPATHS (sizeof(m_grant_paths) / sizeof(m_grant_paths[0]))
static const char *const m_query_paths[] = { "", "a", "a/b", "a/b/f.txt", "a/c", "d", "d/e.txt",
                                             "a/b/g/h", "ab", "a/bc", "d/e.txtx", "x", "a/b/f",
                                             "d/e" };
#define M_NQPATHS (sizeof(m_query_paths) / sizeof(m_query_paths[0]))

struct m_group {
    int64_t id;
    bool personal;
    bool live;
};

struct m_entry {
    int64_t grp;
    int kind;                   /* M_USER, M_GROUP */
    int64_t principal;
    int role;                   /* index into m_groles */
    int section;                /* M_MEMBER, M_OTHER */
};

struct m_grant {
    int64_t id;
    int repo;                   /* index into the store's repositories */
    int path;                   /* index into m_grant_paths */
    int64_t grp;
    int role;                   /* index into m_eroles */
};

struct model {
    int64_t users[M_USERS];
    struct m_group groups[M_GROUPS];
    size_t ngroups;
    struct m_entry entries[M_ENTRIES];
    size_t nentries;
    struct m_grant grants[M_GRANTS];
    size_t ngrants;
    unsigned grole[M_ROLES];
    unsigned erole[M_ROLES];
};

static int
m_gidx(const struct model *m, int64_t gid)
{
    for (size_t i = 0; i < m->ngroups; i++)
        if (m->groups[i].id == gid)
            return (int)i;
    return -1;
}

/* member[i]: user is a member of group i, directly or through nesting (a fixpoint). */
static void
m_members(const struct model *m, int64_t user, bool member[M_GROUPS])
{
    bool changed = true;

    memset(member, 0, M_GROUPS * sizeof(bool));
    for (size_t i = 0; i < m->nentries; i++) {
        const struct m_entry *e = &m->entries[i];

        if (e->kind == M_USER && e->principal == user && e->section == M_MEMBER)
            member[m_gidx(m, e->grp)] = true;
    }
    while (changed) {
        changed = false;
        for (size_t i = 0; i < m->nentries; i++) {
            const struct m_entry *e = &m->entries[i];

            if (e->kind == M_GROUP && member[m_gidx(m, e->principal)] &&
                !member[m_gidx(m, e->grp)]) {
                member[m_gidx(m, e->grp)] = true;
                changed = true;
            }
        }
    }
}

/*
 * The group faculties user holds in group gi: the roles of his own entries
 * there (either section), and the role there of each member group he is a
 * member of.
 */
static unsigned
m_group_fac(const struct model *m, int64_t user, int gi, const bool member[M_GROUPS])
{
    unsigned f = 0;

    for (size_t i = 0; i < m->nentries; i++) {
        const struct m_entry *e = &m->entries[i];

        if (e->grp != m->groups[gi].id)
            continue;
        if (e->kind == M_USER && e->principal == user)
            f |= m->grole[e->role];
        if (e->kind == M_GROUP && member[m_gidx(m, e->principal)])
            f |= m->grole[e->role];
    }
    return f;
}

/* Any entry of his in gi: a member (directly or nested) or in other permissions. */
static bool
m_in_group(const struct model *m, int64_t user, int gi, const bool member[M_GROUPS])
{
    if (member[gi])
        return true;
    for (size_t i = 0; i < m->nentries; i++)
        if (m->entries[i].grp == m->groups[gi].id && m->entries[i].kind == M_USER &&
            m->entries[i].principal == user)
            return true;
    return false;
}

/* True if the grant path gp is path or one of its ancestors. */
static bool
m_covers(const char *gp, const char *path)
{
    size_t n = strlen(gp);

    return n == 0 || strcmp(gp, path) == 0 || (strncmp(gp, path, n) == 0 && path[n] == '/');
}

static unsigned
m_faculties(const struct model *m, int64_t user, int repo, const char *path)
{
    bool member[M_GROUPS];
    unsigned f = 0;

    m_members(m, user, member);
    for (size_t i = 0; i < m->ngrants; i++) {
        const struct m_grant *g = &m->grants[i];

        if (g->repo == repo && m_covers(m_grant_paths[g->path], path) &&
            (m_group_fac(m, user, m_gidx(m, g->grp), member) & ACL_G_READ))
            f |= m->erole[g->role];
    }
    return f;
}

/*
 * May user see that path exists: he may read it, or a grant he reaches
 * with the read faculty sits below it (a folder on the way).
 */
static bool
m_visible(const struct model *m, int64_t user, int repo, const char *path)
{
    bool member[M_GROUPS];

    if (m_faculties(m, user, repo, path) & ACL_READ)
        return true;
    m_members(m, user, member);
    for (size_t i = 0; i < m->ngrants; i++) {
        const struct m_grant *g = &m->grants[i];

        if (g->repo == repo && m_covers(path, m_grant_paths[g->path]) &&
            (m->erole[g->role] & ACL_READ) &&
            (m_group_fac(m, user, m_gidx(m, g->grp), member) & ACL_G_READ))
            return true;
    }
    return false;
}

/* The union of the faculties of every grant in repo that user reaches. */
static unsigned
m_reach(const struct model *m, int64_t user, int repo)
{
    bool member[M_GROUPS];
    unsigned f = 0;

    m_members(m, user, member);
    for (size_t i = 0; i < m->ngrants; i++)
        if (m->grants[i].repo == repo &&
            (m_group_fac(m, user, m_gidx(m, m->grants[i].grp), member) & ACL_G_READ))
            f |= m->erole[m->grants[i].role];
    return f;
}

/* Are a and b both members of some group that is not personal? */
static bool
m_peers(const struct model *m, int64_t a, int64_t b)
{
    bool ma[M_GROUPS], mb[M_GROUPS];

    if (a == b)
        return true;
    m_members(m, a, ma);
    m_members(m, b, mb);
    for (size_t i = 0; i < m->ngroups; i++)
        if (m->groups[i].live && !m->groups[i].personal && ma[i] && mb[i])
            return true;
    return false;
}

/* Would making child a member of parent close a cycle? (parent reaches child going up.) */
static bool
m_would_cycle(const struct model *m, int64_t child, int64_t parent)
{
    bool up[M_GROUPS] = { false }, changed = true;

    up[m_gidx(m, parent)] = true;
    while (changed) {
        changed = false;
        for (size_t i = 0; i < m->nentries; i++) {
            const struct m_entry *e = &m->entries[i];

            if (e->kind == M_GROUP && up[m_gidx(m, e->principal)] && !up[m_gidx(m, e->grp)]) {
                up[m_gidx(m, e->grp)] = true;
                changed = true;
            }
        }
    }
    return up[m_gidx(m, child)];
}

static int
m_entry_find(const struct model *m, int64_t grp, int kind, int64_t principal, int section)
{
    for (size_t i = 0; i < m->nentries; i++) {
        const struct m_entry *e = &m->entries[i];

        if (e->grp == grp && e->kind == kind && e->principal == principal &&
            e->section == section)
            return (int)i;
    }
    return -1;
}

static void
m_entry_put(struct model *m, int64_t grp, int kind, int64_t principal, int role, int section)
{
    int i = m_entry_find(m, grp, kind, principal, section);

    if (i >= 0) {
        m->entries[i].role = role;
        return;
    }
    assert_true(m->nentries < M_ENTRIES);
    m->entries[m->nentries++] = (struct m_entry){ grp, kind, principal, role, section };
}

static void
m_entry_del(struct model *m, size_t i)
{
    m->entries[i] = m->entries[--m->nentries];
}

static void
m_group_delete(struct model *m, int64_t gid)
{
    for (size_t i = 0; i < m->nentries; i++)
        if (m->entries[i].grp == gid || (m->entries[i].kind == M_GROUP &&
                                         m->entries[i].principal == gid))
            m_entry_del(m, i--);
    for (size_t i = 0; i < m->ngrants; i++)
        if (m->grants[i].grp == gid)
            m->grants[i--] = m->grants[--m->ngrants];
    m->groups[m_gidx(m, gid)].live = false;
}

/* ---- the store under test ---- */

struct m_store {
    char dir[1024];
    struct cf_conf conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct acl_epoch *epoch;
    struct acl_engine *engine;
    struct acl_ident x;         /* the system */
    struct stor_repo *repo[M_REPOS];
};



/* A fresh store with M_USERS users and M_REPOS repositories, and its model. */
static void
s_open(struct m_store *s, struct model *m)
{
    const char *tmp = getenv("TMPDIR");
    char path[PATH_MAX];

    memset(s, 0, sizeof(*s));
    memset(m, 0, sizeof(*m));
    snprintf(s->dir, sizeof(s->dir), "%s/coffer-aclmodel-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(s->dir));
    cf_conf_defaults(&s->conf);
    s->conf.argon2_ops = 1;
    s->conf.argon2_mem = 8192;
    snprintf(path, sizeof(path), "%s/coffer.db", s->dir);
    assert_int_equal(stor_db_open(path, &s->db), 0);
    assert_int_equal(stor_repos_open(s->dir, s->db, &s->repos), 0);
    assert_int_equal(acl_epoch_open(s->dir, &s->epoch), 0);
    s->x = (struct acl_ident){ .conf = &s->conf, .db = s->db, .repos = s->repos,
                               .epoch = s->epoch, .actor_id = 0, .peer = "test" };
    for (int i = 0; i < 3; i++) {
        m->grole[i] = m_grole_preset[i];
        m->erole[i] = m_erole_preset[i];
    }
    /*
     * Our own roles exist before the engine loads; adding roles to a loaded
     * engine is test_roles_added_after_load's business.
     */
    for (int i = 3; i < M_ROLES; i++) {
        struct stor_role r = { .name = m_groles[i], .faculties = (unsigned)i & ACL_G_ALL };

        assert_int_equal(acl_roles2_put(&s->x, 0, STOR_ROLES_GROUP, &r), 0);
        m->grole[i] = r.faculties;
        r = (struct stor_role){ .name = m_eroles[i], .faculties = (unsigned)(i * 5) & ACL_ALL };
        assert_int_equal(acl_roles2_put(&s->x, 0, STOR_ROLES_ELEMENT, &r), 0);
        m->erole[i] = r.faculties;
    }
    s->engine = acl_engine_new(s->repos);
    assert_int_equal(acl_engine_load(s->engine, s->db), 0);
    s->x.engine = s->engine;
    for (int i = 0; i < M_USERS; i++) {
        char login[16], email[32];
        struct acl_user_new n = { .login = login, .email = email, .role = "guest" };
        struct stor_group pg;
        struct cf_pool *pool = cf_pool_new(512);

        snprintf(login, sizeof(login), "u%d", i);
        snprintf(email, sizeof(email), "u%d@example.com", i);
        assert_int_equal(acl_user_add(&s->x, &n, &m->users[i]), 0);
        assert_int_equal(stor_group_get(s->db, login, 0, pool, &pg), 0);
        m->groups[m->ngroups++] = (struct m_group){ pg.id, true, true };
        m_entry_put(m, pg.id, M_USER, m->users[i], 0, M_MEMBER);
        cf_pool_free(pool);
    }
    for (int i = 0; i < M_REPOS; i++) {
        char name[16];

        snprintf(name, sizeof(name), "r%d", i);
        assert_int_equal(stor_repo_create(s->repos, s->db, name, m->users[0], 0, &s->repo[i]),
                         0);
        for (size_t p = 1; p < M_NGPATHS; p++)
            t_mk(s->repo[i], m_grant_paths[p]);
    }
}

static void
s_close(struct m_store *s)
{
    acl_engine_free(s->engine);
    acl_epoch_free(s->epoch);
    stor_repos_free(s->repos);
    stor_db_free(s->db);
    cf_conf_release(&s->conf);
    t_rm_tree(s->dir);
}

/* ---- randomness: splitmix64, one stream per sequence ---- */

static uint64_t
r_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned
r_below(uint64_t *st, unsigned n)
{
    return (unsigned)(r_next(st) % n);
}

/* ---- one run ---- */

struct run {
    uint64_t seed;
    unsigned seq, op;
    char what[200];             /* the operation just applied */
    struct m_store s;
    struct model m;
    uint64_t rng;
    unsigned ngroups_made;
    unsigned long checks, applied, refused;
    unsigned long why[5];       /* refusals: EPERM, EINVAL, ELOOP, ENOENT, EEXIST */
};

static void
run_fail(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
run_fail(const struct run *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("# MISMATCH seed=%" PRIu64 " sequence=%u operation=%u (%s): %s\n"
                "# replay: COFFER_MODEL_SEED=%" PRIu64 " COFFER_MODEL_ONLY=%u\n", r->seed, r->seq,
                r->op, r->what, msg, r->seed, r->seq);
    fail();
}

/* A random live group; with no_personal, a non-personal one when there is any (else -1). */
static int
run_pick_group(struct run *r, bool no_personal)
{
    int cand[M_GROUPS], n = 0;

    for (size_t i = 0; i < r->m.ngroups; i++)
        if (r->m.groups[i].live && !(no_personal && r->m.groups[i].personal))
            cand[n++] = (int)i;
    if (n == 0)
        return no_personal ? run_pick_group(r, false) : -1;
    return cand[r_below(&r->rng, (unsigned)n)];
}

/* Compares the engine e with the model: every user against every path and every group. */
static void
run_compare(struct run *r, struct acl_engine *e, const char *which)
{
    const struct model *m = &r->m;

    for (int u = 0; u < M_USERS; u++) {
        int64_t user = m->users[u];
        bool member[M_GROUPS];

        m_members(m, user, member);
        for (size_t gi = 0; gi < m->ngroups; gi++) {
            int64_t gid = m->groups[gi].id;
            unsigned want = m->groups[gi].live ? m_group_fac(m, user, (int)gi, member) : 0;
            unsigned got = acl_engine_group_faculties(e, user, gid);
            bool wm = m->groups[gi].live && member[gi];
            bool wi = m->groups[gi].live && m_in_group(m, user, (int)gi, member);

            if (got != want)
                run_fail(r, "%s engine: group faculties of user %" PRId64 " in group %" PRId64
                         ": engine %#x, model %#x", which, user, gid, got, want);
            if (acl_engine_is_member(e, user, gid) != wm)
                run_fail(r, "%s engine: user %" PRId64 " member of group %" PRId64
                         ": engine %d, model %d", which, user, gid, !wm, wm);
            if (acl_engine_in_group(e, user, gid) != wi)
                run_fail(r, "%s engine: user %" PRId64 " has an entry in group %" PRId64
                         ": engine %d, model %d", which, user, gid, !wi, wi);
            r->checks += 3;
        }
        for (int v = 0; v < M_USERS; v++) {
            bool want = m_peers(m, user, m->users[v]);

            if (acl_engine_peers(e, user, m->users[v]) != want)
                run_fail(r, "%s engine: users %" PRId64 " and %" PRId64 " peers: engine %d, "
                         "model %d", which, user, m->users[v], !want, want);
            r->checks++;
        }
        for (int k = 0; k < M_REPOS; k++) {
            unsigned want = m_reach(m, user, k), got = acl_engine_reach(e, user, r->s.repo[k]);

            if (got != want)
                run_fail(r, "%s engine: reach of user %" PRId64 " in r%d: engine %#x, model "
                         "%#x", which, user, k, got, want);
            r->checks++;
        }
        for (int k = 0; k < M_REPOS; k++)
            for (size_t p = 0; p < M_NQPATHS; p++) {
                unsigned want = m_faculties(m, user, k, m_query_paths[p]);
                unsigned got = acl_engine_faculties(e, user, r->s.repo[k], m_query_paths[p]);

                bool wv = m_visible(m, user, k, m_query_paths[p]);

                if (got != want)
                    run_fail(r, "%s engine: faculties of (user %" PRId64 ", r%d, \"%s\"): "
                             "engine %#x, model %#x", which, user, k, m_query_paths[p], got,
                             want);
                if (acl_path_visible(e, user, r->s.repo[k], m_query_paths[p]) != wv)
                    run_fail(r, "%s engine: (user %" PRId64 ", r%d, \"%s\") visible: engine "
                             "%d, model %d", which, user, k, m_query_paths[p], !wv, wv);
                if (p == 0 && acl_repo_visible(e, user, r->s.repo[k]) != wv)
                    run_fail(r, "%s engine: r%d visible to user %" PRId64 ": engine %d, "
                             "model %d", which, k, user, !wv, wv);
                r->checks += 2;
            }
    }
}

/* The entries and grants in the database are those of the model. */
static int
run_db_entry(void *arg, const struct stor_member *e)
{
    struct run *r = arg;
    int i = m_entry_find(&r->m, e->grp, e->kind == STOR_KIND_GROUP ? M_GROUP : M_USER,
                         e->principal, e->section == STOR_SECTION_OTHER ? M_OTHER : M_MEMBER);

    if (i < 0 || strcmp(m_groles[r->m.entries[i].role], e->role) != 0)
        run_fail(r, "database entry (group %" PRId64 ", %s %" PRId64 ", %s, %s) is %s",
                 e->grp, e->kind == STOR_KIND_GROUP ? "group" : "user", e->principal, e->role,
                 e->section == STOR_SECTION_OTHER ? "other" : "member",
                 i < 0 ? "not in the model" : "in the model with another role");
    return 0;
}

static int
run_db_grant(void *arg, const struct stor_grant *g)
{
    struct run *r = arg;
    size_t i;

    for (i = 0; i < r->m.ngrants; i++)
        if (r->m.grants[i].id == g->id)
            break;
    if (i == r->m.ngrants || r->m.grants[i].grp != g->grp ||
        r->s.repo[r->m.grants[i].repo]->id != g->repo ||
        strcmp(m_grant_paths[r->m.grants[i].path], g->path) != 0 ||
        strcmp(m_eroles[r->m.grants[i].role], g->role) != 0)
        run_fail(r, "database grant %" PRId64 " (group %" PRId64 ", \"%s\", %s) is not in "
                 "the model", g->id, g->grp, g->path, g->role);
    return 0;
}

static int
run_count(void *arg, const struct stor_member *e)
{
    (void)e;
    (*(size_t *)arg)++;
    return 0;
}

static int
run_count_grant(void *arg, const struct stor_grant *g)
{
    (void)g;
    (*(size_t *)arg)++;
    return 0;
}

static void
run_compare_db(struct run *r)
{
    size_t ne = 0, ng = 0;

    assert_int_equal(stor_members_each(r->s.db, 0, run_db_entry, r), 0);
    assert_int_equal(stor_grants_each(r->s.db, 0, run_db_grant, r), 0);
    assert_int_equal(stor_members_each(r->s.db, 0, run_count, &ne), 0);
    assert_int_equal(stor_grants_each(r->s.db, 0, run_count_grant, &ng), 0);
    if (ne != r->m.nentries || ng != r->m.ngrants)
        run_fail(r, "the database holds %zu entries and %zu grants, the model %zu and %zu", ne,
                 ng, r->m.nentries, r->m.ngrants);
}

/* Checks the service's answer against the one the model expects. */
static void
run_expect(struct run *r, int got, int want)
{
    if (got != want)
        run_fail(r, "the service returned %d (%s), the model expects %d", got,
                 r->s.x.why != NULL ? r->s.x.why : "-", want);
    if (got == 0)
        r->applied++;
    else
        r->refused++;
    r->why[0] += got == -EPERM;
    r->why[1] += got == -EINVAL;
    r->why[2] += got == -ELOOP;
    r->why[3] += got == -ENOENT;
    r->why[4] += got == -EEXIST;
}

static void
op_group_create(struct run *r)
{
    char name[32];
    struct stor_group g = { .name = name, .position = r_below(&r->rng, 4) == 0 };
    int64_t id = 0;

    if (r->m.ngroups >= M_GROUPS)
        return;
    snprintf(name, sizeof(name), "Group %u", r->ngroups_made++);
    snprintf(r->what, sizeof(r->what), "create group \"%s\"", name);
    run_expect(r, acl_group_create(&r->s.x, 0, &g, &id), 0);
    snprintf(r->what, sizeof(r->what), "create group \"%s\" = %" PRId64, name, id);
    /* SQLite gives the id of the last group deleted to the next one made */
    for (size_t i = 0; i < r->m.ngroups; i++)
        if (r->m.groups[i].id == id) {
            assert_false(r->m.groups[i].live);
            r->m.groups[i].live = true;
            return;
        }
    r->m.groups[r->m.ngroups++] = (struct m_group){ id, false, true };
}

static void
op_member_put_user(struct run *r)
{
    int gi = run_pick_group(r, r_below(&r->rng, 8) != 0);
    int u = (int)r_below(&r->rng, M_USERS), role = (int)r_below(&r->rng, M_ROLES);
    int section = r_below(&r->rng, 3) == 0 ? M_OTHER : M_MEMBER;
    const struct m_group *g = &r->m.groups[gi];
    struct stor_member e = { g->id, STOR_KIND_USER, r->m.users[u], m_groles[role],
                             section == M_OTHER ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER };
    int want = g->personal ? -EPERM : 0;

    snprintf(r->what, sizeof(r->what), "put user %" PRId64 " in group %" PRId64 " as %s (%s)",
             e.principal, e.grp, e.role, section == M_OTHER ? "other" : "member");
    run_expect(r, acl_member_put(&r->s.x, 0, &e), want);
    if (want == 0)
        m_entry_put(&r->m, g->id, M_USER, e.principal, role, section);
}

static void
op_member_put_group(struct run *r)
{
    int pi = run_pick_group(r, r_below(&r->rng, 10) != 0), ci = run_pick_group(r, false);
    int role = (int)r_below(&r->rng, M_ROLES);
    bool other = r_below(&r->rng, 12) == 0;
    int64_t parent = r->m.groups[pi].id, child = r->m.groups[ci].id;
    struct stor_member e = { parent, STOR_KIND_GROUP, child, m_groles[role],
                             other ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER };
    int want;

    if (r->m.groups[pi].personal)
        want = -EPERM;
    else if (other)
        want = -EINVAL;
    else if (m_would_cycle(&r->m, child, parent))
        want = -ELOOP;
    else
        want = 0;
    snprintf(r->what, sizeof(r->what), "put group %" PRId64 " in group %" PRId64 " as %s (%s)",
             child, parent, e.role, other ? "other" : "member");
    run_expect(r, acl_member_put(&r->s.x, 0, &e), want);
    if (want == 0)
        m_entry_put(&r->m, parent, M_GROUP, child, role, M_MEMBER);
}

static void
op_member_remove(struct run *r)
{
    struct m_entry e;
    int want, i = -1;

    if (r->m.nentries > 0 && r_below(&r->rng, 10) != 0) {
        /* mostly an entry of a group that is not personal: those are kept */
        for (int tries = 0; tries < 4; tries++) {
            i = (int)r_below(&r->rng, (unsigned)r->m.nentries);
            if (!r->m.groups[m_gidx(&r->m, r->m.entries[i].grp)].personal)
                break;
        }
        e = r->m.entries[i];
    } else {
        /* most likely not there */
        int gi = run_pick_group(r, true);

        e = (struct m_entry){ r->m.groups[gi].id, M_USER,
                              r->m.users[r_below(&r->rng, M_USERS)], 0,
                              (int)r_below(&r->rng, 2) };
        i = m_entry_find(&r->m, e.grp, e.kind, e.principal, e.section);
    }
    if (r->m.groups[m_gidx(&r->m, e.grp)].personal)
        want = -EPERM;
    else
        want = i >= 0 ? 0 : -ENOENT;
    snprintf(r->what, sizeof(r->what), "remove %s %" PRId64 " (%s) from group %" PRId64,
             e.kind == M_GROUP ? "group" : "user", e.principal,
             e.section == M_OTHER ? "other" : "member", e.grp);
    run_expect(r, acl_member_remove(&r->s.x, 0, e.grp,
                                    e.kind == M_GROUP ? STOR_KIND_GROUP : STOR_KIND_USER,
                                    e.principal,
                                    e.section == M_OTHER ? STOR_SECTION_OTHER
                                                         : STOR_SECTION_MEMBER), want);
    if (want == 0)
        m_entry_del(&r->m, (size_t)i);
}

static void
op_grant_add(struct run *r)
{
    int k = (int)r_below(&r->rng, M_REPOS), p = (int)r_below(&r->rng, M_NGPATHS);
    int gi = run_pick_group(r, r_below(&r->rng, 3) != 0), role = (int)r_below(&r->rng, M_ROLES);
    int64_t gid = r->m.groups[gi].id, id = 0;
    int want = 0;

    for (size_t i = 0; i < r->m.ngrants; i++)
        if (r->m.grants[i].repo == k && r->m.grants[i].path == p && r->m.grants[i].grp == gid)
            want = -EEXIST;
    snprintf(r->what, sizeof(r->what), "grant group %" PRId64 " %s on r%d \"%s\"", gid,
             m_eroles[role], k, m_grant_paths[p]);
    run_expect(r, acl_grant_add(&r->s.x, 0, r->s.repo[k], m_grant_paths[p], gid,
                                m_eroles[role], &id), want);
    if (want == 0) {
        assert_true(r->m.ngrants < M_GRANTS);
        r->m.grants[r->m.ngrants++] = (struct m_grant){ id, k, p, gid, role };
    }
}

static void
op_grant_remove(struct run *r)
{
    size_t i;

    if (r->m.ngrants == 0)
        return;
    i = r_below(&r->rng, (unsigned)r->m.ngrants);
    snprintf(r->what, sizeof(r->what), "remove grant %" PRId64 " (group %" PRId64 " on r%d "
             "\"%s\")", r->m.grants[i].id, r->m.grants[i].grp, r->m.grants[i].repo,
             m_grant_paths[r->m.grants[i].path]);
    run_expect(r, acl_grant_remove(&r->s.x, 0, r->s.repo[r->m.grants[i].repo],
                                   r->m.grants[i].id), 0);
    r->m.grants[i] = r->m.grants[--r->m.ngrants];
}

static void
op_group_delete(struct run *r)
{
    int gi = run_pick_group(r, r_below(&r->rng, 6) != 0);
    int64_t gid = r->m.groups[gi].id;
    int want = r->m.groups[gi].personal ? -EPERM : 0;

    snprintf(r->what, sizeof(r->what), "delete group %" PRId64, gid);
    run_expect(r, acl_group_delete(&r->s.x, 0, gid), want);
    if (want == 0)
        m_group_delete(&r->m, gid);
}

static void
op_role_change(struct run *r)
{
    bool group = r_below(&r->rng, 2) == 0;
    int i = 3 + (int)r_below(&r->rng, M_ROLES - 3);
    struct stor_role role = { .name = group ? m_groles[i] : m_eroles[i] };

    role.faculties = (uint32_t)r_below(&r->rng, group ? ACL_G_ALL + 1 : ACL_ALL + 1);
    snprintf(r->what, sizeof(r->what), "%s role %s gets faculties %#x",
             group ? "group" : "element", role.name, role.faculties);
    run_expect(r, acl_roles2_put(&r->s.x, 0, group ? STOR_ROLES_GROUP : STOR_ROLES_ELEMENT,
                                 &role), 0);
    if (group)
        r->m.grole[i] = role.faculties;
    else
        r->m.erole[i] = role.faculties;
    /* a preset keeps its faculties */
    if (r_below(&r->rng, 4) != 0)
        return;
    role.name = group ? m_groles[0] : m_eroles[0];
    role.faculties = group ? 0 : 1;
    run_expect(r, acl_roles2_put(&r->s.x, 0, group ? STOR_ROLES_GROUP : STOR_ROLES_ELEMENT,
                                 &role), -EPERM);
}

static void
run_sequence(struct run *r, unsigned nops)
{
    struct acl_engine *fresh;

    r->rng = r->seed ^ ((uint64_t)(r->seq + 1) * 0xd1b54a32d192ed03ull);
    r->ngroups_made = 0;
    r->op = 0;
    snprintf(r->what, sizeof(r->what), "setup");
    s_open(&r->s, &r->m);
    run_compare(r, r->s.engine, "patched");
    for (r->op = 1; r->op <= nops; r->op++) {
        unsigned k = r_below(&r->rng, 100);

        if (k < 10 || r->op <= 3)   /* a few groups first */
            op_group_create(r);
        else if (k < 32)
            op_member_put_user(r);
        else if (k < 52)
            op_member_put_group(r);
        else if (k < 66)
            op_member_remove(r);
        else if (k < 82)
            op_grant_add(r);
        else if (k < 89)
            op_grant_remove(r);
        else if (k < 94)
            op_group_delete(r);
        else
            op_role_change(r);
        run_compare(r, r->s.engine, "patched");
    }
    r->op = nops;
    snprintf(r->what, sizeof(r->what), "end of the sequence");
    run_compare_db(r);
    fresh = acl_engine_new(r->s.repos);
    assert_int_equal(acl_engine_load(fresh, r->s.db), 0);
    run_compare(r, fresh, "reloaded");
    acl_engine_free(fresh);
    s_close(&r->s);
}

static unsigned
env_unsigned(const char *name, unsigned dflt)
{
    const char *v = getenv(name);

    return v != NULL && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

/* The reference itself, on a case worked out by hand (seed 001's figure). */
static void
test_reference_by_hand(void **state)
{
    static struct model m;      /* large: not on the stack */
    bool member[M_GROUPS];

    (void)state;
    memset(&m, 0, sizeof(m));
    m.users[0] = 1;             /* alice: member of Legal */
    m.users[1] = 2;             /* carol: Legal's other permissions */
    m.groups[0] = (struct m_group){ 10, false, true };     /* Legal area */
    m.groups[1] = (struct m_group){ 11, false, true };     /* Administration area */
    m.groups[2] = (struct m_group){ 12, false, true };     /* Board */
    m.ngroups = 3;
    for (int i = 0; i < 3; i++) {
        m.grole[i] = m_grole_preset[i];
        m.erole[i] = m_erole_preset[i];
    }
    m_entry_put(&m, 10, M_USER, 1, 1, M_MEMBER);           /* alice administrator in Legal */
    m_entry_put(&m, 10, M_USER, 2, 0, M_OTHER);            /* carol reader, other */
    m_entry_put(&m, 11, M_GROUP, 10, 2, M_MEMBER);         /* Legal publisher in Admin */
    m_entry_put(&m, 12, M_GROUP, 11, 0, M_MEMBER);         /* Admin reader in Board */
    m.grants[m.ngrants++] = (struct m_grant){ 1, 0, 0, 12, 2 };   /* Board: read on r0 */
    m.grants[m.ngrants++] = (struct m_grant){ 2, 0, 1, 10, 1 };   /* Legal: write on "a" */

    m_members(&m, 1, member);
    assert_true(member[0] && member[1] && member[2]);
    assert_int_equal(m_group_fac(&m, 1, 0, member), ACL_G_ADMIN);
    assert_int_equal(m_group_fac(&m, 1, 1, member), ACL_G_PUBLISH);
    assert_int_equal(m_group_fac(&m, 1, 2, member), ACL_G_READ);
    assert_int_equal(m_faculties(&m, 1, 0, "a/b"), 17);    /* admin in Legal: not a reader */
    m_members(&m, 2, member);
    assert_true(!member[0] && !member[1] && !member[2]);
    assert_true(m_in_group(&m, 2, 0, member) && !m_in_group(&m, 2, 1, member));
    assert_int_equal(m_faculties(&m, 2, 0, "a/b"), 23);
    assert_int_equal(m_faculties(&m, 2, 0, "ab"), 0);
    assert_int_equal(m_faculties(&m, 2, 1, "a"), 0);
    assert_true(m_would_cycle(&m, 12, 10));                 /* Board in Legal */
    assert_true(m_would_cycle(&m, 10, 10));
    assert_false(m_would_cycle(&m, 10, 12));
}

static void
test_engine_follows_the_model(void **state)
{
    static struct run r;        /* large: not on the stack */
    unsigned nseq = env_unsigned("COFFER_MODEL_SEQS", 150);
    unsigned nops = env_unsigned("COFFER_MODEL_OPS", 25);
    const char *only = getenv("COFFER_MODEL_ONLY");
    const char *seed = getenv("COFFER_MODEL_SEED");
    struct timespec t0, t1;

    (void)state;
    memset(&r, 0, sizeof(r));
    if (seed != NULL && *seed)
        r.seed = strtoull(seed, NULL, 0);
    else
        r.seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
    printf("# model seed %" PRIu64 ": %u sequences of %u operations (COFFER_MODEL_SEED=%" PRIu64
           " replays)\n", r.seed, nseq, nops, r.seed);
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (r.seq = 0; r.seq < nseq; r.seq++) {
        if (only != NULL && *only && r.seq != (unsigned)strtoul(only, NULL, 0))
            continue;
        run_sequence(&r, nops);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("# %lu changes applied, %lu refused as the model expected (EPERM %lu, EINVAL %lu, "
           "ELOOP %lu, ENOENT %lu, EEXIST %lu), %lu answers compared, %.1f s\n", r.applied,
           r.refused, r.why[0], r.why[1], r.why[2], r.why[3], r.why[4], r.checks,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_true(r.applied > 0 && r.checks > 0);
}

/*
 * Roles made after the engine loaded, the API's way, enough of them that
 * the engine's role table grows: their faculties count at once. (The
 * reload indexed the table before growing it: a write through a freed
 * pointer, acl_engine_roles_reload.)
 */
static void
test_roles_added_after_load(void **state)
{
    static struct m_store s;
    static struct model m;
    int64_t gid = 0, id = 0;
    struct stor_group g = { .name = "Late" };
    struct stor_member e = { 0, STOR_KIND_USER, 0, "extra-5", STOR_SECTION_MEMBER };

    (void)state;
    s_open(&s, &m);
    for (int i = 0; i < 6; i++) {
        char name[16];
        struct stor_role r = { .name = name, .faculties = i == 5 ? ACL_G_READ : ACL_G_ADMIN };

        snprintf(name, sizeof(name), "extra-%d", i);
        assert_int_equal(acl_roles2_put(&s.x, 0, STOR_ROLES_GROUP, &r), 0);
        snprintf(name, sizeof(name), "extra-e%d", i);
        r.faculties = i == 5 ? ACL_WRITE : ACL_DELETE;
        assert_int_equal(acl_roles2_put(&s.x, 0, STOR_ROLES_ELEMENT, &r), 0);
    }
    assert_int_equal(acl_group_create(&s.x, 0, &g, &gid), 0);
    e.grp = gid;
    e.principal = m.users[0];
    assert_int_equal(acl_member_put(&s.x, 0, &e), 0);
    assert_int_equal(acl_grant_add(&s.x, 0, s.repo[0], "a", gid, "extra-e5", &id), 0);
    assert_int_equal(acl_engine_group_faculties(s.engine, m.users[0], gid), ACL_G_READ);
    assert_int_equal(acl_engine_faculties(s.engine, m.users[0], s.repo[0], "a/b"), ACL_WRITE);
    s_close(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_by_hand),
        cmocka_unit_test(test_engine_follows_the_model),
        cmocka_unit_test(test_roles_added_after_load),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
