/*
 * acl-bench.c: make bench-acl (issue 4, "Speed"). The role engine against
 * an organisation of realistic size, built in a temporary data directory:
 *
 *   100,000 users, each with his personal group; 10,000 groups (a tree of
 *   departments 7 levels deep with some cross-nesting, positions, teams
 *   nested up to 10 groups deep, a few big groups with thousands of
 *   members); 1,000 repositories with 100,000 grants on roots, folders at
 *   depth 1-5 and single files.
 *
 * It prints how long the database took to build, how long the engine took
 * to load it and how much memory that took, the speed of checks
 * (acl_engine_faculties) on one thread and on two, the time one membership
 * change takes to apply (acl_engine_member_put / _remove), and a summary
 * against the targets of issue 4: a check's median under 1 us, a change's
 * median under 10 ms. Exits 1 when a target is missed, 2 on a fault.
 *
 * The database is built by a child process, so that the parent's heap and
 * RSS are untouched by SQLite's work when it measures the engine's load.
 * The random seed is fixed (printed; -s N or ACL_BENCH_SEED change it) so
 * that runs compare. -q builds a tenth of everything, to try the program
 * out; its figures mean nothing.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "acl_int.h"
#include "coffer/acl.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "coffer/banned.h"

/* ---- sizes ---- */

#define B_BATCH 100             /* checks per timed batch */
#define B_SINGLE 200000         /* checks timed one by one */
#define B_THREADS 2
#define B_WORST_REPS 3
#define B_CHECK_TARGET_NS 1000.0
#define B_CHANGE_TARGET_NS 10e6

struct b_sizes {
    uint32_t users, depts, positions, bigs, teams, repos, grants, checks, changes;
    uint32_t big_min, big_max;
};

static struct b_sizes b_sz;

static void
b_sizes_set(bool quick)
{
    uint32_t d = quick ? 10 : 1;

    b_sz.users = 100000 / d;
    b_sz.depts = 2000 / d;
    b_sz.positions = 2000 / d;
    b_sz.bigs = 30;
    b_sz.teams = 10000 / d - b_sz.depts - b_sz.positions - b_sz.bigs;
    b_sz.repos = 1000 / d;
    b_sz.grants = 100000 / d;
    b_sz.checks = 1000000 / d;
    b_sz.changes = 1000 / d;
    b_sz.big_min = 1000 / d;
    b_sz.big_max = 8000 / d;
}

/* ---- clock, random numbers, small arrays ---- */

static uint64_t
b_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t b_rng;

/* splitmix64: small, fast, and the same sequence everywhere for a seed */
static uint64_t
b_next(void)
{
    uint64_t z = (b_rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t
b_rnd(uint32_t n)
{
    return (uint32_t)(((unsigned __int128)b_next() * n) >> 64);
}

/* True with probability pct percent. */
static bool
b_pct(uint32_t pct)
{
    return b_rnd(100) < pct;
}

struct b_ids {
    int32_t *v;
    uint32_t n, cap;
};

static void
b_ids_push(struct b_ids *a, int32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4;
        a->v = cf_xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = x;
}

static int
b_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted values. */
static double
b_q(const double *v, size_t n, double q)
{
    return n ? v[(size_t)(q * (double)(n - 1) + 0.5)] : 0;
}

/* "123 ns", "4.56 us", "7.89 ms", "1.23 s" */
static const char *
b_dur(double ns, char *buf, size_t len)
{
    if (ns < 1e3)
        snprintf(buf, len, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, len, "%.2f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, len, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", ns / 1e9);
    return buf;
}

#define B_DUR(ns) b_dur((ns), (char[32]){ 0 }, 32)

/* ---- the organisation, in memory ---- */

enum b_gkind { B_DEPT, B_POS, B_BIG, B_TEAM };
static const char *const b_gkind_names[] = { "department", "position", "big group", "team" };

enum b_grole { B_READER, B_PUBLISHER, B_ADMIN };
static const char *const b_grole_names[] = { "reader", "publisher", "administrator" };

enum b_erole { B_E_READ, B_E_WRITE, B_E_FULL };
static const char *const b_erole_names[] = { "read", "write", "full" };

struct b_group {
    uint8_t kind, level;
    /* member-section entries only (other-permissions entries do not travel) */
    struct b_ids users_read;    /* users with role reader: they read what the group is granted */
    struct b_ids users_all;     /* users in the members section, any role */
    struct b_ids kids_read;     /* member groups nested with role reader */
    struct b_ids kids_all;      /* member groups, any role */
};

struct b_entry {
    int32_t grp;                /* group index */
    int32_t principal;          /* user index or group index */
    uint8_t kind;               /* enum stor_kind */
    uint8_t section;            /* enum stor_section */
    uint8_t role;               /* enum b_grole */
};

struct b_grant {
    int32_t repo;
    int32_t grantee;            /* group index, or -1 - user index: his personal group */
    uint32_t path;              /* offset into the path arena */
    uint8_t role;               /* enum b_erole */
    uint8_t depth;
    bool file;
};

struct b_arena {
    char *p;
    size_t n, cap;
};

struct b_check {
    const struct stor_repo *repo;
    int64_t user;
    uint32_t path;
    uint8_t cat;                /* enum b_cat */
    int32_t uidx, ridx;         /* before ids are known */
};

enum b_cat { B_CAT_REACHED, B_CAT_GRANTED_PATH, B_CAT_RANDOM, B_NCAT };
static const char *const b_cat_names[] = {
    "on or below a grant, user below the grantee",
    "on or below a grant, random user",
    "random path, random user",
};

struct b_model {
    uint32_t ngroups;
    struct b_group *groups;
    int32_t *repo_owner;        /* user index */
    struct b_entry *entries;
    size_t nentries, capentries;
    size_t n_user_entries, n_group_entries, n_other_entries;
    struct b_grant *grants;
    size_t ngrants;
    struct b_arena paths;
    struct b_check *checks;
    size_t nchecks;
    uint32_t dept_level_n[8];
    uint32_t max_level;
    uint32_t big_members_min, big_members_max;
};

/* Ids the child process got from the database, shared with the parent. */
struct b_shared {
    int status;
    double t_users, t_groups, t_entries, t_repos, t_grants;
    uint64_t dup_grants;
    int64_t target_gid;
    int64_t db_bytes;
    int64_t ids[];              /* users, personal groups, groups, repositories */
};

static int64_t *b_uid, *b_pgid, *b_gid, *b_rid;

static uint32_t
b_arena_add(struct b_arena *a, const char *s, size_t len)
{
    uint32_t off;

    if (a->n + len + 1 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1 << 20;
        while (a->cap < a->n + len + 1)
            a->cap *= 2;
        a->p = cf_xrealloc(a->p, a->cap);
    }
    off = (uint32_t)a->n;
    memcpy(a->p + a->n, s, len);
    a->p[a->n + len] = '\0';
    a->n += len + 1;
    return off;
}

static void
b_entry_add(struct b_model *m, int32_t grp, enum stor_kind kind, int32_t principal,
            enum stor_section section, enum b_grole role)
{
    struct b_group *g = &m->groups[grp];
    struct b_entry e = { grp, principal, (uint8_t)kind, (uint8_t)section, (uint8_t)role };

    if (m->nentries == m->capentries) {
        m->capentries = m->capentries ? m->capentries * 2 : 1 << 16;
        m->entries = cf_xrealloc(m->entries, m->capentries * sizeof(*m->entries));
    }
    m->entries[m->nentries++] = e;
    if (kind == STOR_KIND_GROUP) {
        m->n_group_entries++;
        b_ids_push(&g->kids_all, principal);
        if (role == B_READER)
            b_ids_push(&g->kids_read, principal);
        return;
    }
    m->n_user_entries++;
    if (section == STOR_SECTION_OTHER) {
        m->n_other_entries++;
        return;
    }
    b_ids_push(&g->users_all, principal);
    if (role == B_READER)
        b_ids_push(&g->users_read, principal);
}

/* A group role: in the members section mostly reader, in other permissions more varied. */
static enum b_grole
b_pick_role(enum stor_section s, uint32_t admin_pct, uint32_t pub_pct)
{
    uint32_t r = b_rnd(100);

    if (s == STOR_SECTION_OTHER) {
        admin_pct = 20;
        pub_pct = 10;
    }
    return r < admin_pct ? B_ADMIN : r < admin_pct + pub_pct ? B_PUBLISHER : B_READER;
}

static const char *const b_folders[] = {
    "projects", "clients", "archive", "design", "finance", "reports", "shared", "internal",
};

/* Appends a random component to buf (a folder, or with file a file name). */
static size_t
b_component(char *buf, size_t len, size_t at, bool file)
{
    int n;

    if (file)
        n = snprintf(buf + at, len - at, "%snotes-%02u.odt", at ? "/" : "", b_rnd(40));
    else
        n = snprintf(buf + at, len - at, "%s%s", at ? "/" : "", b_folders[b_rnd(8)]);
    return at + (size_t)n;
}

/* A user below group g who reads what g is granted, or -1 if there is none. */
static int32_t
b_user_below(const struct b_model *m, int32_t g)
{
    const struct b_group *gr = &m->groups[g];
    uint32_t n = gr->users_read.n + gr->kids_read.n, r;

    if (n == 0)
        return -1;
    if ((r = b_rnd(n)) < gr->users_read.n)
        return gr->users_read.v[r];
    g = gr->kids_read.v[r - gr->users_read.n];
    /* below a reader edge every member counts, whatever his role there */
    for (int step = 0; step < 64; step++) {
        gr = &m->groups[g];
        if ((n = gr->users_all.n + gr->kids_all.n) == 0)
            return -1;
        if ((r = b_rnd(n)) < gr->users_all.n)
            return gr->users_all.v[r];
        g = gr->kids_all.v[r - gr->users_all.n];
    }
    return -1;
}

/* A small open-addressing set of 64-bit keys (no 0), to keep grants unique. */
struct b_set {
    uint64_t *k;
    size_t cap;
};

static bool
b_set_add(struct b_set *s, uint64_t key)
{
    key |= 1;
    for (size_t i = (key * 0x9e3779b97f4a7c15ull) >> 20 & (s->cap - 1);;
         i = (i + 1) & (s->cap - 1)) {
        if (s->k[i] == key)
            return false;
        if (s->k[i] == 0) {
            s->k[i] = key;
            return true;
        }
    }
}

static uint64_t
b_fnv(const char *p)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return h;
}

static void
b_model_build(struct b_model *m)
{
    static const uint32_t dept_frac[7] = { 0, 3, 15, 75, 200, 300, 407 };  /* per 1000 */
    uint32_t nu = b_sz.users, ng;
    int32_t *perm, *pool;
    uint32_t npool = 0;
    int32_t at = 0;
    char buf[256];

    m->ngroups = ng = b_sz.depts + b_sz.positions + b_sz.bigs + b_sz.teams;
    m->groups = cf_xcalloc(ng, sizeof(*m->groups));
    pool = cf_xmalloc(ng * sizeof(*pool));

    /* departments: a tree, levels 0 (the whole organisation) to 6 */
    uint32_t dept_start[8], left = b_sz.depts - 1;
    dept_start[0] = 0;
    m->dept_level_n[0] = 1;
    for (int l = 1; l < 7; l++) {
        uint32_t n = l == 6 ? left : b_sz.depts * dept_frac[l] / 1000;

        n = n ? n : 1;
        n = n > left ? left : n;
        m->dept_level_n[l] = n;
        left -= n;
    }
    for (int l = 0; l < 7; l++) {
        dept_start[l] = (uint32_t)at;
        for (uint32_t i = 0; i < m->dept_level_n[l]; i++, at++) {
            m->groups[at].kind = B_DEPT;
            m->groups[at].level = (uint8_t)l;
            if (l == 0)
                continue;
            int32_t parent = (int32_t)(dept_start[l - 1] + b_rnd(m->dept_level_n[l - 1]));

            b_entry_add(m, parent, STOR_KIND_GROUP, at, STOR_SECTION_MEMBER,
                        b_pick_role(STOR_SECTION_MEMBER, 2, 3));
            /* matrix organisation: some departments also belong to another one higher up */
            if (l >= 2 && dept_start[l] > 2 && b_pct(8)) {
                int32_t other;

                do
                    other = (int32_t)(1 + b_rnd(dept_start[l] - 1));
                while (other == parent);
                b_entry_add(m, other, STOR_KIND_GROUP, at, STOR_SECTION_MEMBER,
                            b_pick_role(STOR_SECTION_MEMBER, 2, 3));
            }
        }
    }
    dept_start[7] = (uint32_t)at;

    /* positions: posts in the organisation chart, each in a department */
    for (uint32_t i = 0; i < b_sz.positions; i++, at++) {
        int32_t d = (int32_t)b_rnd(b_sz.depts);

        m->groups[at].kind = B_POS;
        m->groups[at].level = (uint8_t)(m->groups[d].level + 1);
        b_entry_add(m, d, STOR_KIND_GROUP, at, STOR_SECTION_MEMBER, B_READER);
    }

    /* big groups: thousands of direct members each, nested in nothing */
    int32_t big_start = at;
    for (uint32_t i = 0; i < b_sz.bigs; i++, at++) {
        m->groups[at].kind = B_BIG;
        m->groups[at].level = 1;
    }

    /*
     * teams: levels 3 to 9, each nested in 0-3 groups of a lower level
     * (departments, big groups, teams), so there is no cycle and no chain
     * is longer than 10 groups
     */
    uint32_t per_level[10] = { 0 };
    for (uint32_t i = 0; i < b_sz.teams; i++)
        per_level[3 + b_rnd(7)]++;
    for (uint32_t l = 0; l < 10; l++) {
        /* the pool of possible parents: every group of a level below l */
        npool = 0;
        for (int32_t g = 0; g < at; g++)
            if (m->groups[g].kind != B_POS && m->groups[g].level < l)
                pool[npool++] = g;
        for (uint32_t i = 0; i < per_level[l]; i++, at++) {
            uint32_t r = b_rnd(100), np = r < 15 ? 0 : r < 70 ? 1 : r < 95 ? 2 : 3;
            int32_t parents[3];

            m->groups[at].kind = B_TEAM;
            m->groups[at].level = (uint8_t)l;
            if (l > m->max_level)
                m->max_level = l;
            for (uint32_t k = 0; k < np; k++) {
                bool dup;

                do {
                    parents[k] = pool[b_rnd(npool)];
                    dup = false;
                    for (uint32_t j = 0; j < k; j++)
                        dup |= parents[j] == parents[k];
                } while (dup);
                b_entry_add(m, parents[k], STOR_KIND_GROUP, at, STOR_SECTION_MEMBER,
                            b_pick_role(STOR_SECTION_MEMBER, 6, 6));
            }
        }
    }

    /* users: one department (level 3 or deeper), 0-3 teams */
    uint32_t deep = dept_start[3], ndeep = dept_start[7] - dept_start[3];
    int32_t team_start = big_start + (int32_t)b_sz.bigs;
    for (uint32_t u = 0; u < nu; u++) {
        uint32_t r = b_rnd(100), nt = r < 25 ? 0 : r < 60 ? 1 : r < 85 ? 2 : 3;
        int32_t teams[3];

        b_entry_add(m, (int32_t)(deep + b_rnd(ndeep)), STOR_KIND_USER, (int32_t)u,
                    STOR_SECTION_MEMBER, b_pct(4) ? B_ADMIN : B_READER);
        for (uint32_t k = 0; k < nt; k++) {
            bool dup;

            do {
                teams[k] = team_start + (int32_t)b_rnd(b_sz.teams);
                dup = false;
                for (uint32_t j = 0; j < k; j++)
                    dup |= teams[j] == teams[k];
            } while (dup);
            enum stor_section s = b_pct(8) ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER;
            b_entry_add(m, teams[k], STOR_KIND_USER, (int32_t)u, s, b_pick_role(s, 9, 6));
        }
    }
    /* positions: one holder, sometimes two or three */
    perm = cf_xmalloc(nu * sizeof(*perm));
    for (uint32_t i = 0; i < nu; i++)
        perm[i] = (int32_t)i;
    for (uint32_t i = 0; i < b_sz.positions; i++) {
        uint32_t n = b_pct(90) ? 1 : 2 + b_rnd(2);

        for (uint32_t k = 0; k < n; k++) {
            uint32_t j = k + b_rnd(nu - k);
            int32_t t = perm[k];

            perm[k] = perm[j];
            perm[j] = t;
            b_entry_add(m, (int32_t)(dept_start[7] + i), STOR_KIND_USER, perm[k],
                        STOR_SECTION_MEMBER, B_READER);
        }
    }
    /* big groups: distinct random members (a partial Fisher-Yates shuffle each) */
    m->big_members_min = UINT32_MAX;
    for (uint32_t i = 0; i < b_sz.bigs; i++) {
        uint32_t n = b_sz.big_min + b_rnd(b_sz.big_max - b_sz.big_min + 1);

        if (n < m->big_members_min)
            m->big_members_min = n;
        if (n > m->big_members_max)
            m->big_members_max = n;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t j = k + b_rnd(nu - k);
            int32_t t = perm[k];

            perm[k] = perm[j];
            perm[j] = t;
            enum stor_section s = b_pct(3) ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER;
            b_entry_add(m, big_start + (int32_t)i, STOR_KIND_USER, perm[k], s,
                        b_pick_role(s, 3, 2));
        }
    }
    free(perm);
    free(pool);

    /* repositories: owned by random users, who get a full grant on the root */
    struct b_set seen = { cf_xcalloc(1u << 19, sizeof(uint64_t)), 1u << 19 };
    m->repo_owner = cf_xmalloc(b_sz.repos * sizeof(*m->repo_owner));
    m->grants = cf_xmalloc(b_sz.grants * sizeof(*m->grants));
    for (uint32_t r = 0; r < b_sz.repos; r++) {
        struct b_grant g = { (int32_t)r, -1 - (int32_t)b_rnd(nu), 0, B_E_FULL, 0, false };

        m->repo_owner[r] = -1 - g.grantee;
        g.path = b_arena_add(&m->paths, "", 0);
        b_set_add(&seen, b_fnv("") ^ ((uint64_t)r << 40) ^ (uint64_t)(g.grantee + (1 << 24)));
        m->grants[m->ngrants++] = g;
    }
    /* the other grants: a few repositories hold many, paths mostly folders */
    while (m->ngrants < b_sz.grants) {
        struct b_grant g = { 0 };
        uint32_t r = b_rnd(100), depth;
        double u = (double)(b_next() >> 11) * 0x1.0p-53;
        size_t len = 0;

        g.repo = b_pct(70) ? (int32_t)b_rnd(b_sz.repos) : (int32_t)(u * u * b_sz.repos);
        if (r < 4) {
            depth = 0;
        } else if (r < 80) {
            r = b_rnd(100);
            depth = r < 25 ? 1 : r < 55 ? 2 : r < 80 ? 3 : r < 92 ? 4 : 5;
        } else {
            depth = 1 + b_rnd(6);
            g.file = true;
        }
        for (uint32_t k = 0; k < depth; k++)
            len = b_component(buf, sizeof(buf), len, g.file && k + 1 == depth);
        buf[len] = '\0';
        g.depth = (uint8_t)depth;
        r = b_rnd(100);
        if (r < 35)
            g.grantee = -1 - (int32_t)b_rnd(nu);
        else if (r < 60)
            g.grantee = (int32_t)b_rnd(b_sz.depts);
        else if (r < 85)
            g.grantee = team_start + (int32_t)b_rnd(b_sz.teams);
        else if (r < 93)
            g.grantee = (int32_t)(dept_start[7] + b_rnd(b_sz.positions));
        else
            g.grantee = big_start + (int32_t)b_rnd(b_sz.bigs);
        r = b_rnd(100);
        g.role = r < 55 ? B_E_READ : r < 90 ? B_E_WRITE : B_E_FULL;
        if (!b_set_add(&seen, b_fnv(buf) ^ ((uint64_t)g.repo << 40) ^
                                  (uint64_t)(g.grantee + (1 << 24))))
            continue;
        g.path = b_arena_add(&m->paths, buf, len);
        m->grants[m->ngrants++] = g;
    }
    free(seen.k);

    /*
     * checks: half on or below a granted path (most for a user below the
     * grantee, the rest for anyone), half a random path of depth 1-6 in a
     * random repository for a random user
     */
    m->checks = cf_xmalloc(b_sz.checks * sizeof(*m->checks));
    for (uint32_t i = 0; i < b_sz.checks; i++) {
        struct b_check c = { 0 };
        size_t len = 0;
        uint32_t depth;

        if (b_pct(50)) {
            const struct b_grant *g = &m->grants[b_rnd((uint32_t)m->ngrants)];
            int32_t user = -1;

            memcpy(buf, m->paths.p + g->path, (len = strlen(m->paths.p + g->path)) + 1);
            depth = g->file ? g->depth : g->depth + b_rnd(7 - g->depth);
            if (depth == 0)
                depth = 1;
            for (uint32_t k = g->depth; k < depth; k++)
                len = b_component(buf, sizeof(buf), len, k + 1 == depth && b_pct(50));
            if (b_pct(60))
                user = g->grantee < 0 ? -1 - g->grantee : b_user_below(m, g->grantee);
            c.cat = user >= 0 ? B_CAT_REACHED : B_CAT_GRANTED_PATH;
            c.uidx = user >= 0 ? user : (int32_t)b_rnd(nu);
            c.ridx = g->repo;
        } else {
            depth = 1 + b_rnd(6);
            for (uint32_t k = 0; k < depth; k++)
                len = b_component(buf, sizeof(buf), len, k + 1 == depth && b_pct(50));
            c.cat = B_CAT_RANDOM;
            c.uidx = (int32_t)b_rnd(nu);
            c.ridx = (int32_t)b_rnd(b_sz.repos);
        }
        buf[len] = '\0';
        c.path = b_arena_add(&m->paths, buf, len);
        m->checks[m->nchecks++] = c;
    }
}

static void
b_model_free(struct b_model *m)
{
    for (uint32_t i = 0; i < m->ngroups; i++) {
        free(m->groups[i].users_read.v);
        free(m->groups[i].users_all.v);
        free(m->groups[i].kids_read.v);
        free(m->groups[i].kids_all.v);
    }
    free(m->groups);
    free(m->repo_owner);
    free(m->entries);
    free(m->grants);
    free(m->paths.p);
    free(m->checks);
}

/*
 * What a check has to look at, from the model: the prefixes of its path
 * ("", "a", "a/b", ... the path), those of them that hold grants, and the
 * grants there (each one a binary search in the user's effective groups).
 * Upper bounds: the engine stops once it found every faculty.
 */
struct b_cmap {
    uint64_t *k;
    uint32_t *v;
    size_t cap;
};

static uint32_t *
b_cmap_slot(struct b_cmap *c, uint64_t key, bool add)
{
    key |= 1;
    for (size_t i = (key * 0x9e3779b97f4a7c15ull) >> 20 & (c->cap - 1);;
         i = (i + 1) & (c->cap - 1)) {
        if (c->k[i] == key)
            return &c->v[i];
        if (c->k[i] == 0) {
            if (!add)
                return NULL;
            c->k[i] = key;
            return &c->v[i];
        }
    }
}

static uint64_t
b_pkey(int32_t repo, const char *path, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)path[i]) * 0x100000001b3ull;
    return h ^ ((uint64_t)(repo + 1) * 0xc2b2ae3d27d4eb4full);
}

static void
b_check_work(const struct b_model *m, double *prefixes, double *holding, double *grants)
{
    struct b_cmap c = { 0 };
    uint64_t np = 0, nh = 0, ng = 0;

    c.cap = 1;
    while (c.cap < m->ngrants * 2)
        c.cap *= 2;
    c.k = cf_xcalloc(c.cap, sizeof(*c.k));
    c.v = cf_xcalloc(c.cap, sizeof(*c.v));
    for (size_t i = 0; i < m->ngrants; i++) {
        const char *p = m->paths.p + m->grants[i].path;

        (*b_cmap_slot(&c, b_pkey(m->grants[i].repo, p, strlen(p)), true))++;
    }
    for (size_t i = 0; i < m->nchecks; i++) {
        const char *p = m->paths.p + m->checks[i].path;
        size_t len = strlen(p);

        for (size_t j = 0;; j++) {
            if (j == 0 || j == len || p[j] == '/') {
                const uint32_t *v = b_cmap_slot(&c, b_pkey(m->checks[i].ridx, p, j), false);

                np++;
                nh += v != NULL;
                ng += v != NULL ? *v : 0;
            }
            if (j >= len)
                break;
        }
    }
    *prefixes = (double)np / (double)m->nchecks;
    *holding = (double)nh / (double)m->nchecks;
    *grants = (double)ng / (double)m->nchecks;
    free(c.k);
    free(c.v);
}

/*
 * The size of each user's effective groups, as the engine keeps them: his
 * personal group, every group he has an entry in, and every group above
 * one where he is a member (through nesting). Mean, median and maximum.
 */
static void
b_eff_stats(const struct b_model *m, double *mean, uint32_t *median, uint32_t *max)
{
    uint32_t nu = b_sz.users, ng = m->ngroups;
    uint32_t *ustart = cf_xcalloc(nu + 1, sizeof(uint32_t)), *gstart = cf_xcalloc(ng + 1, 4);
    uint32_t *uent, *gpar, *stamp = cf_xcalloc(ng, sizeof(uint32_t)), *sizes;
    struct b_ids queue = { 0 };
    uint64_t total = 0;

    for (size_t i = 0; i < m->nentries; i++) {
        if (m->entries[i].kind == STOR_KIND_USER)
            ustart[m->entries[i].principal + 1]++;
        else
            gstart[m->entries[i].principal + 1]++;
    }
    for (uint32_t i = 0; i < nu; i++)
        ustart[i + 1] += ustart[i];
    for (uint32_t i = 0; i < ng; i++)
        gstart[i + 1] += gstart[i];
    uent = cf_xmalloc((ustart[nu] + 1) * sizeof(uint32_t));
    gpar = cf_xmalloc((gstart[ng] + 1) * sizeof(uint32_t));
    uint32_t *ufill = cf_xcalloc(nu, sizeof(uint32_t)), *gfill = cf_xcalloc(ng, sizeof(uint32_t));
    for (size_t i = 0; i < m->nentries; i++) {
        const struct b_entry *e = &m->entries[i];

        if (e->kind == STOR_KIND_USER)
            uent[ustart[e->principal] + ufill[e->principal]++] = (uint32_t)i;
        else
            gpar[gstart[e->principal] + gfill[e->principal]++] = (uint32_t)e->grp;
    }
    sizes = cf_xmalloc(nu * sizeof(uint32_t));
    for (uint32_t u = 0; u < nu; u++) {
        uint32_t n = 1;         /* the personal group */

        queue.n = 0;
        for (uint32_t k = ustart[u]; k < ustart[u + 1]; k++) {
            const struct b_entry *e = &m->entries[uent[k]];

            if (stamp[e->grp] != u + 1) {
                stamp[e->grp] = u + 1;
                n++;
            }
            if (e->section == STOR_SECTION_MEMBER)
                b_ids_push(&queue, e->grp);
        }
        for (uint32_t q = 0; q < queue.n; q++)
            for (uint32_t k = gstart[queue.v[q]]; k < gstart[queue.v[q] + 1]; k++)
                if (stamp[gpar[k]] != u + 1) {
                    stamp[gpar[k]] = u + 1;
                    n++;
                    b_ids_push(&queue, (int32_t)gpar[k]);
                }
        /* a group reached both by an entry (other permissions) and by nesting counts once */
        sizes[u] = n;
        total += n;
    }
    double *d = cf_xmalloc(nu * sizeof(double));
    for (uint32_t u = 0; u < nu; u++)
        d[u] = sizes[u];
    qsort(d, nu, sizeof(double), b_dbl_cmp);
    *mean = (double)total / nu;
    *median = (uint32_t)b_q(d, nu, 0.5);
    *max = (uint32_t)d[nu - 1];
    free(d);
    free(sizes);
    free(ufill);
    free(gfill);
    free(uent);
    free(gpar);
    free(ustart);
    free(gstart);
    free(stamp);
    free(queue.v);
}

/* The number of distinct users below group g (members through nesting). */
static uint32_t
b_count_below(const struct b_model *m, int32_t g, uint32_t *ustamp, uint32_t *gstamp,
              uint32_t stamp)
{
    struct b_ids stack = { 0 };
    uint32_t n = 0;

    b_ids_push(&stack, g);
    gstamp[g] = stamp;
    while (stack.n > 0) {
        const struct b_group *gr = &m->groups[stack.v[--stack.n]];

        for (uint32_t i = 0; i < gr->users_all.n; i++)
            if (ustamp[gr->users_all.v[i]] != stamp) {
                ustamp[gr->users_all.v[i]] = stamp;
                n++;
            }
        for (uint32_t i = 0; i < gr->kids_all.n; i++)
            if (gstamp[gr->kids_all.v[i]] != stamp) {
                gstamp[gr->kids_all.v[i]] = stamp;
                b_ids_push(&stack, gr->kids_all.v[i]);
            }
    }
    free(stack.v);
    return n;
}

/* ---- building the database (in a child process) ---- */

#define B_TX 20000              /* rows per transaction */

static int
b_fail(const char *what, int rc)
{
    fprintf(stderr, "acl-bench: %s: %s\n", what, strerror(-rc));
    return rc;
}

/* The database's path in dir: false if it does not fit. */
static bool
b_db_path(char *buf, size_t len, const char *dir)
{
    int n = snprintf(buf, len, "%s/coffer.db", dir);

    return n > 0 && (size_t)n < len;
}

/* Commits every B_TX calls and begins again. */
static int
b_tx_step(struct stor_db *db, size_t i)
{
    int rc = 0;

    if (i > 0 && i % B_TX == 0 && ((rc = stor_db_commit(db)) < 0 || (rc = stor_db_begin(db)) < 0))
        return b_fail("commit", rc);
    return 0;
}

static int
b_build_db(const char *dir, const struct b_model *m, struct b_shared *sh)
{
    static const char *const user_roles[] = { "internal", "external", "guest" };
    struct stor_db *db = NULL;
    struct stor_repos *repos = NULL;
    struct stor_repo **rp = NULL;
    char path[PATH_MAX], login[32], email[64], name[64];
    uint64_t t;
    int rc;

    if (!b_db_path(path, sizeof(path), dir)) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    if ((rc = stor_db_open(path, &db)) < 0 || (rc = stor_repos_open(dir, db, &repos)) < 0) {
        b_fail("opening the store", rc);
        goto out;
    }

    /* users and their personal groups */
    t = b_now();
    if ((rc = stor_db_begin(db)) < 0)
        goto out;
    for (uint32_t u = 0; u < b_sz.users; u++) {
        uint32_t r = b_rnd(100);

        if ((rc = b_tx_step(db, u)) < 0)
            goto out;
        snprintf(login, sizeof(login), "u%06" PRIu32, u);
        snprintf(email, sizeof(email), "%s@example.com", login);
        snprintf(name, sizeof(name), "User %06" PRIu32, u);
        if ((rc = stor_user_create(db, login, name, email, user_roles[r < 90 ? 0 : r < 98 ? 1 : 2],
                                   NULL, &b_uid[u])) < 0 ||
            (rc = stor_group_create_personal(db, b_uid[u], login, &b_pgid[u])) < 0) {
            b_fail("a user", rc);
            goto out;
        }
    }
    if ((rc = stor_db_commit(db)) < 0)
        goto out;
    sh->t_users = (double)(b_now() - t);

    /* groups */
    t = b_now();
    if ((rc = stor_db_begin(db)) < 0)
        goto out;
    for (uint32_t i = 0; i < m->ngroups; i++) {
        static const char *const pre[] = { "dept", "post", "all", "team" };
        struct stor_group g = { 0 };

        snprintf(name, sizeof(name), "%s-%05" PRIu32, pre[m->groups[i].kind], i);
        g.name = name;
        g.position = m->groups[i].kind == B_POS;
        g.private_ = m->groups[i].kind == B_TEAM && b_pct(5);
        if ((rc = stor_group_create(db, &g, &b_gid[i])) < 0) {
            b_fail("a group", rc);
            goto out;
        }
    }
    struct stor_group target = { .name = "bench-target" };
    if ((rc = stor_group_create(db, &target, &sh->target_gid)) < 0 ||
        (rc = stor_db_commit(db)) < 0)
        goto out;
    sh->t_groups = (double)(b_now() - t);

    /* entries */
    t = b_now();
    if ((rc = stor_db_begin(db)) < 0)
        goto out;
    for (size_t i = 0; i < m->nentries; i++) {
        const struct b_entry *e = &m->entries[i];
        struct stor_member sm = {
            .grp = b_gid[e->grp], .kind = e->kind,
            .principal = e->kind == STOR_KIND_GROUP ? b_gid[e->principal] : b_uid[e->principal],
            .role = b_grole_names[e->role], .section = e->section,
        };
        if ((rc = b_tx_step(db, i)) < 0)
            goto out;
        if ((rc = stor_member_put(db, &sm)) < 0) {
            b_fail("an entry", rc);
            goto out;
        }
    }
    if ((rc = stor_db_commit(db)) < 0)
        goto out;
    sh->t_entries = (double)(b_now() - t);

    /* repositories */
    t = b_now();
    rp = cf_xcalloc(b_sz.repos, sizeof(*rp));
    if ((rc = stor_db_begin(db)) < 0)
        goto out;
    for (uint32_t r = 0; r < b_sz.repos; r++) {
        snprintf(name, sizeof(name), "repo-%04" PRIu32, r);
        if ((rc = stor_repo_create(repos, db, name, b_uid[m->repo_owner[r]], 0, &rp[r])) < 0) {
            b_fail("a repository", rc);
            goto out;
        }
        b_rid[r] = rp[r]->id;
    }
    if ((rc = stor_db_commit(db)) < 0)
        goto out;
    sh->t_repos = (double)(b_now() - t);

    /* grants */
    t = b_now();
    if ((rc = stor_db_begin(db)) < 0)
        goto out;
    for (size_t i = 0; i < m->ngrants; i++) {
        const struct b_grant *g = &m->grants[i];
        int64_t gid = g->grantee < 0 ? b_pgid[-1 - g->grantee] : b_gid[g->grantee], id;

        if ((rc = b_tx_step(db, i)) < 0)
            goto out;
        rc = stor_grant_add(db, rp[g->repo], m->paths.p + g->path, gid,
                            b_erole_names[g->role], "bench", &id);
        if (rc == -EEXIST) {
            sh->dup_grants++;       /* the model keeps them unique; this should not happen */
        } else if (rc < 0) {
            b_fail("a grant", rc);
            goto out;
        }
    }
    if ((rc = stor_db_commit(db)) < 0)
        goto out;
    sh->t_grants = (double)(b_now() - t);
    rc = 0;
out:
    if (rc < 0 && db != NULL)
        stor_db_rollback(db);
    free(rp);
    stor_repos_free(repos);
    stor_db_free(db);
    struct stat st;
    sh->db_bytes = stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
    return rc;
}

/* ---- memory ---- */

static long
b_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t flen = strlen(field);
    long v = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            v = strtol(line + flen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static double
b_heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();

    return (double)mi.uordblks + (double)mi.hblkhd;
#else
    return -1;
#endif
}

/* ---- checks ---- */

struct b_run {
    struct acl_engine *e;
    const struct b_model *m;
    size_t start;               /* the first check (the runs start at different places) */
    size_t limit;               /* only the first limit checks, again and again (0: all) */
    size_t nbatches;
    double *lat;                /* per batch: ns per check */
    uint64_t granted[B_NCAT], count[B_NCAT];
    pthread_barrier_t *barrier;
    double wall;
};

static void *
b_run_checks(void *arg)
{
    struct b_run *r = arg;
    const struct b_model *m = r->m;
    size_t n = r->limit ? r->limit : m->nchecks, k = r->start;

    if (r->barrier != NULL)
        pthread_barrier_wait(r->barrier);
    uint64_t t_all = b_now();
    for (size_t b = 0; b < r->nbatches; b++) {
        unsigned f[B_BATCH];
        size_t k0 = k;
        uint64_t t0 = b_now();

        for (size_t i = 0; i < B_BATCH; i++) {
            const struct b_check *c = &m->checks[k];

            f[i] = acl_engine_faculties(r->e, c->user, c->repo, m->paths.p + c->path);
            k = k + 1 == n ? 0 : k + 1;
        }
        uint64_t t1 = b_now();

        r->lat[b] = (double)(t1 - t0) / B_BATCH;
        for (size_t i = 0; i < B_BATCH; i++) {
            const struct b_check *c = &m->checks[(k0 + i) % n];

            r->count[c->cat]++;
            r->granted[c->cat] += f[i] != 0;
        }
    }
    r->wall = (double)(b_now() - t_all);
    return NULL;
}

/* ---- output ---- */

static void
b_rule(void)
{
    puts("-----------------------------------------------------------------------------");
}

static void
b_title(const char *t)
{
    printf("\n%s\n", t);
    b_rule();
}

static void
b_lat_row(const char *what, double *lat, size_t n, double total_checks, double wall)
{
    qsort(lat, n, sizeof(*lat), b_dbl_cmp);
    printf("%-12s %12.0f %11s %11s %11s %11s\n", what, total_checks / (wall / 1e9),
           B_DUR(b_q(lat, n, 0.5)), B_DUR(b_q(lat, n, 0.99)), B_DUR(b_q(lat, n, 0.999)),
           B_DUR(lat[n - 1]));
}

/* ---- membership changes ---- */

struct b_times {
    double *v;
    size_t n;
};

static void
b_times_add(struct b_times *t, double ns)
{
    t->v[t->n++] = ns;
}

static void
b_change_row(const char *what, struct b_times *t)
{
    qsort(t->v, t->n, sizeof(*t->v), b_dbl_cmp);
    printf("%-36s %6zu %10s %10s %10s\n", what, t->n, B_DUR(b_q(t->v, t->n, 0.5)),
           B_DUR(b_q(t->v, t->n, 0.99)), B_DUR(t->n ? t->v[t->n - 1] : 0));
}

static int
b_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int
main(int argc, char **argv)
{
    uint64_t seed = 20261123;
    bool quick = false;
    const char *tmp = getenv("TMPDIR"), *env_seed = getenv("ACL_BENCH_SEED");
    char dir[PATH_MAX], path[PATH_MAX];
    struct b_model m = { 0 };
    struct b_shared *sh;
    struct stor_db *db = NULL;
    struct stor_repos *repos = NULL;
    struct acl_engine *e = NULL;
    int opt, rc = 2;
    bool pass_check = true, pass_change = true;
    double med1 = 0, med2 = 0, chg_med = 0, chg_max = 0, worst_max = 0;

    if (env_seed != NULL && *env_seed)
        seed = strtoull(env_seed, NULL, 0);
    while ((opt = getopt(argc, argv, "qs:")) != -1) {
        if (opt == 'q')
            quick = true;
        else if (opt == 's')
            seed = strtoull(optarg, NULL, 0);
        else {
            fprintf(stderr, "usage: acl-bench [-q] [-s seed]\n");
            return 2;
        }
    }
    b_sizes_set(quick);
    b_rng = seed;
    setvbuf(stdout, NULL, _IOLBF, 0);

    printf("acl-bench: the role engine at scale (make bench-acl, issue 4)\n");
    printf("seed %" PRIu64 " (-s N or ACL_BENCH_SEED=N to change)%s\n", seed,
           quick ? "; QUICK MODE (-q): a tenth of the data, figures mean nothing" : "");

    /* ---- the model ---- */
    uint64_t t = b_now();
    b_model_build(&m);
    double t_model = (double)(b_now() - t);

    size_t nids = b_sz.users * 2 + m.ngroups + b_sz.repos;
    size_t shbytes = sizeof(*sh) + nids * sizeof(int64_t);
    sh = mmap(NULL, shbytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("acl-bench: mmap");
        return 2;
    }
    b_uid = sh->ids;
    b_pgid = b_uid + b_sz.users;
    b_gid = b_pgid + b_sz.users;
    b_rid = b_gid + m.ngroups;

    snprintf(dir, sizeof(dir), "%s/coffer-aclbench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("acl-bench: mkdtemp");
        return 2;
    }

    /* ---- 1. the database ---- */
    b_title("1. the database (built with the storage calls, in transactions of 20,000 rows)");
    {
        uint32_t n_dept_levels = 0;
        size_t nroot = 0, nfolder = 0, nfile = 0, ngrant_personal = 0;

        for (int l = 0; l < 8; l++)
            n_dept_levels += m.dept_level_n[l] != 0;
        for (size_t i = 0; i < m.ngrants; i++) {
            nroot += m.grants[i].depth == 0;
            nfile += m.grants[i].file;
            ngrant_personal += m.grants[i].grantee < 0;
        }
        nfolder = m.ngrants - nroot - nfile;
        printf("users                %8" PRIu32 "  each with a personal group\n", b_sz.users);
        printf("groups               %8" PRIu32 "  %" PRIu32 " departments in %" PRIu32
               " levels (%" PRIu32 "/%" PRIu32 "/%" PRIu32 "/%" PRIu32 "/%" PRIu32 "/%" PRIu32
               "/%" PRIu32 "),\n",
               m.ngroups, b_sz.depts, n_dept_levels, m.dept_level_n[0], m.dept_level_n[1],
               m.dept_level_n[2], m.dept_level_n[3], m.dept_level_n[4], m.dept_level_n[5],
               m.dept_level_n[6]);
        printf("                               %" PRIu32 " positions, %" PRIu32
               " big groups (%" PRIu32 "-%" PRIu32 " members each),\n",
               b_sz.positions, b_sz.bigs, m.big_members_min, m.big_members_max);
        printf("                               %" PRIu32 " teams at nesting levels 3-%" PRIu32
               " (chains up to %" PRIu32 " groups)\n",
               b_sz.teams, m.max_level, m.max_level + 1);
        printf("entries              %8zu  %zu user entries (%zu in other permissions),\n",
               m.nentries + b_sz.users, m.n_user_entries + b_sz.users, m.n_other_entries);
        printf("                               %zu group-in-group, %" PRIu32
               " personal; roles reader/publisher/administrator\n",
               m.n_group_entries, b_sz.users);
        double eff_mean;
        uint32_t eff_med, eff_max;
        b_eff_stats(&m, &eff_mean, &eff_med, &eff_max);
        printf("effective groups     per user: mean %.1f, median %" PRIu32 ", max %" PRIu32
               " (the groups a check searches)\n", eff_mean, eff_med, eff_max);
        printf("repositories         %8" PRIu32 "\n", b_sz.repos);
        printf("grants               %8zu  %zu roots (%" PRIu32 " of them the owners'), %zu folders"
               " (depth 1-5),\n", m.ngrants, nroot, b_sz.repos, nfolder);
        printf("                               %zu files (depth 1-6); %zu to personal groups;"
               " read/write/full\n", nfile, ngrant_personal);
    }
    fflush(stdout);
    t = b_now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("acl-bench: fork");
        goto out;
    }
    if (pid == 0) {
        sh->status = b_build_db(dir, &m, sh) < 0 ? 1 : 0;
        fflush(stdout);
        _exit(sh->status);
    }
    int wst;
    if (waitpid(pid, &wst, 0) < 0 || !WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
        fprintf(stderr, "acl-bench: building the database failed\n");
        goto out;
    }
    double t_build = (double)(b_now() - t);
    printf("model (in memory)    %8s\n", B_DUR(t_model));
    printf("build                %8s  users+personal groups %s, groups %s, entries %s,\n",
           B_DUR(t_build), B_DUR(sh->t_users), B_DUR(sh->t_groups), B_DUR(sh->t_entries));
    printf("                               repositories %s, grants %s; database %.1f MiB\n",
           B_DUR(sh->t_repos), B_DUR(sh->t_grants), (double)sh->db_bytes / 1048576.0);
    if (sh->dup_grants)
        printf("WARNING: %" PRIu64 " grants were duplicates and skipped\n", sh->dup_grants);

    /* ---- 2. the engine's load ---- */
    b_title("2. loading the engine (acl_engine_load, from the database in the page cache)");
    if (!b_db_path(path, sizeof(path), dir)) {
        fprintf(stderr, "acl-bench: %s: the path is too long\n", dir);
        goto out;
    }
    if ((rc = stor_db_open(path, &db)) < 0 || (rc = stor_repos_open(dir, db, &repos)) < 0) {
        b_fail("opening the store", rc);
        rc = 2;
        goto out;
    }
    rc = 2;
    for (size_t i = 0; i < m.nchecks; i++) {
        m.checks[i].repo = stor_repos_find_id(repos, b_rid[m.checks[i].ridx]);
        m.checks[i].user = b_uid[m.checks[i].uidx];
    }
    e = acl_engine_new(repos);
    long rss0 = b_status_kb("VmRSS");
    double heap0 = b_heap_bytes();
    t = b_now();
    if (acl_engine_load(e, db) < 0) {
        fprintf(stderr, "acl-bench: acl_engine_load failed\n");
        goto out;
    }
    double t_load = (double)(b_now() - t);
    long rss1 = b_status_kb("VmRSS");
    double heap1 = b_heap_bytes();
    printf("load time            %10s\n", B_DUR(t_load));
    printf("VmRSS before/after   %7.1f / %.1f MiB: +%.1f MiB (includes SQLite's page cache"
           " of the read)\n", (double)rss0 / 1024, (double)rss1 / 1024,
           (double)(rss1 - rss0) / 1024);
    if (heap0 >= 0)
        printf("heap in use (malloc) %10.1f MiB more after the load (mallinfo2)\n",
               (heap1 - heap0) / 1048576.0);

    /* ---- 3. checks ---- */
    b_title("3. checks: acl_engine_faculties(user, repository, path)");
    printf("%zu (user, repository, path) triples, made before timing:\n", m.nchecks);
    {
        size_t cat[B_NCAT] = { 0 };

        for (size_t i = 0; i < m.nchecks; i++)
            cat[m.checks[i].cat]++;
        for (int c = 0; c < B_NCAT; c++)
            printf("  %5.1f %%  %s\n", 100.0 * (double)cat[c] / (double)m.nchecks,
                   b_cat_names[c]);
    }
    printf("paths at depth 1-6. Latency: clock_gettime(CLOCK_MONOTONIC) around each batch of\n"
           "%d checks, divided by %d (per-check figures are batch averages; p99 is the 99th\n"
           "percentile of the batches). Each thread runs all %zu triples once, after a\n"
           "warm-up pass over 10 %%; with 2 threads both run at once, from different places.\n",
           B_BATCH, B_BATCH, m.nchecks);
    {
        size_t nb = m.nchecks / B_BATCH, warm = nb / 10 ? nb / 10 : 1;
        struct b_run w = { .e = e, .m = &m, .nbatches = warm };
        struct b_run one = { .e = e, .m = &m, .nbatches = nb };
        struct b_run two[B_THREADS];
        pthread_t th[B_THREADS];
        pthread_barrier_t bar;
        double *merged;

        w.lat = cf_xmalloc(warm * sizeof(double));
        b_run_checks(&w);
        free(w.lat);
        one.lat = cf_xmalloc(nb * sizeof(double));
        b_run_checks(&one);

        pthread_barrier_init(&bar, NULL, B_THREADS + 1);
        for (int i = 0; i < B_THREADS; i++) {
            two[i] = (struct b_run){ .e = e, .m = &m, .nbatches = nb, .barrier = &bar,
                                     .start = (m.nchecks / B_THREADS) * (size_t)i };
            two[i].lat = cf_xmalloc(nb * sizeof(double));
            if (pthread_create(&th[i], NULL, b_run_checks, &two[i]) != 0) {
                fprintf(stderr, "acl-bench: pthread_create failed\n");
                exit(2);
            }
        }
        pthread_barrier_wait(&bar);
        t = b_now();
        for (int i = 0; i < B_THREADS; i++)
            pthread_join(th[i], NULL);
        double wall2 = (double)(b_now() - t);
        pthread_barrier_destroy(&bar);

        /* the same few triples again and again: the picture's parts they touch stay in cache */
        struct b_run hot = { .e = e, .m = &m, .nbatches = nb / 10 ? nb / 10 : 1, .limit = 1000 };
        hot.lat = cf_xmalloc(hot.nbatches * sizeof(double));
        b_run_checks(&hot);

        /* single checks, each timed on its own, against the cost of the clock itself */
        size_t ns = m.nchecks < B_SINGLE ? m.nchecks : B_SINGLE;
        double *single = cf_xmalloc(ns * sizeof(double)), *clk = cf_xmalloc(ns * sizeof(double));
        double *by_depth[7], *by_cat[B_NCAT];
        size_t nd[7] = { 0 }, ncat[B_NCAT] = { 0 };
        unsigned sink = 0;
        for (int d = 0; d < 7; d++)
            by_depth[d] = cf_xmalloc(ns * sizeof(double));
        for (int c = 0; c < B_NCAT; c++)
            by_cat[c] = cf_xmalloc(ns * sizeof(double));
        for (size_t i = 0; i < ns; i++) {
            const struct b_check *c = &m.checks[(i * 7919) % m.nchecks];
            const char *cp = m.paths.p + c->path;
            size_t depth = 1;

            for (const char *q = cp; *q; q++)
                depth += *q == '/';
            uint64_t t0 = b_now();

            sink |= acl_engine_faculties(e, c->user, c->repo, cp);
            uint64_t t1 = b_now();
            single[i] = (double)(t1 - t0);
            uint64_t t2 = b_now();
            clk[i] = (double)(t2 - t1);
            depth = depth > 6 ? 6 : depth;
            by_depth[depth][nd[depth]++] = single[i];
            by_cat[c->cat][ncat[c->cat]++] = single[i];
        }
        qsort(single, ns, sizeof(double), b_dbl_cmp);
        qsort(clk, ns, sizeof(double), b_dbl_cmp);

        printf("\n%-12s %12s %11s %11s %11s %11s\n", "threads", "checks/s", "median", "p99",
               "p99.9", "max batch");
        b_lat_row("1", one.lat, nb, (double)nb * B_BATCH, one.wall);
        med1 = b_q(one.lat, nb, 0.5);
        merged = cf_xmalloc(nb * B_THREADS * sizeof(double));
        for (int i = 0; i < B_THREADS; i++)
            memcpy(merged + nb * (size_t)i, two[i].lat, nb * sizeof(double));
        b_lat_row("2 (together)", merged, nb * B_THREADS, (double)(nb * B_BATCH * B_THREADS),
                  wall2);
        med2 = b_q(merged, nb * B_THREADS, 0.5);
        for (int i = 0; i < B_THREADS; i++) {
            char label[32];

            snprintf(label, sizeof(label), "  thread %d", i + 1);
            b_lat_row(label, two[i].lat, nb, (double)nb * B_BATCH, two[i].wall);
        }
        b_lat_row("1, hot set", hot.lat, hot.nbatches, (double)hot.nbatches * B_BATCH, hot.wall);
        printf("(hot set: the first 1,000 triples over and over, %zu checks: what a check costs\n"
               "when the parts of the picture it reads are in the CPU's cache)\n",
               hot.nbatches * B_BATCH);
        free(hot.lat);
        printf("single checks timed one by one (%zu): median %s, p99 %s; the clock itself:"
               " median %s\n", ns, B_DUR(b_q(single, ns, 0.5)), B_DUR(b_q(single, ns, 0.99)),
               B_DUR(b_q(clk, ns, 0.5)));
        printf("  median by path depth (components):");
        for (int d = 1; d < 7; d++) {
            qsort(by_depth[d], nd[d], sizeof(double), b_dbl_cmp);
            printf(" %d: %s%s", d, B_DUR(b_q(by_depth[d], nd[d], 0.5)), d < 6 ? "," : "\n");
            free(by_depth[d]);
        }
        free(by_depth[0]);
        for (int c = 0; c < B_NCAT; c++) {
            qsort(by_cat[c], ncat[c], sizeof(double), b_dbl_cmp);
            printf("  median %9s, p99 %9s  %s\n", B_DUR(b_q(by_cat[c], ncat[c], 0.5)),
                   B_DUR(b_q(by_cat[c], ncat[c], 0.99)), b_cat_names[c]);
            free(by_cat[c]);
        }
        double wp, wh, wg;
        b_check_work(&m, &wp, &wh, &wg);
        printf("per check, on average (at most: the engine stops when it found every faculty):\n"
               "  %.2f prefixes looked up, %.2f of them hold grants, %.2f grants examined\n",
               wp, wh, wg);
        printf("checks that found a faculty (1 thread):\n");
        for (int c = 0; c < B_NCAT; c++)
            printf("  %5.1f %%  of %s\n",
                   one.count[c] ? 100.0 * (double)one.granted[c] / (double)one.count[c] : 0,
                   b_cat_names[c]);
        if (one.count[B_CAT_REACHED] != one.granted[B_CAT_REACHED])
            printf("WARNING: a user below a grantee found no faculty on a path under the grant"
                   " (%" PRIu64 " times): the engine or the model is wrong\n",
                   one.count[B_CAT_REACHED] - one.granted[B_CAT_REACHED]);
        if (sink == 0xdead)     /* keeps the calls from being optimised away */
            puts("");
        pass_check = med1 < B_CHECK_TARGET_NS && med2 < B_CHECK_TARGET_NS;
        free(one.lat);
        for (int i = 0; i < B_THREADS; i++)
            free(two[i].lat);
        free(merged);
        free(single);
        free(clk);
    }

    /* ---- 4. membership changes ---- */
    b_title("4. membership changes applied to the engine (the patch call only, not the SQL)");
    printf("each timed alone with clock_gettime(CLOCK_MONOTONIC); the write lock is taken\n"
           "inside the call. Users and groups drawn at random; the group entries added are\n"
           "then removed (in reverse order), so the picture ends as it began.\n\n");
    {
        size_t nc = b_sz.changes;
        struct b_times up = { cf_xmalloc(nc * sizeof(double)), 0 };
        struct b_times gp = { cf_xmalloc(nc * sizeof(double)), 0 };
        struct b_times ur = { cf_xmalloc(nc * sizeof(double)), 0 };
        struct b_times gr = { cf_xmalloc(nc * sizeof(double)), 0 };
        struct b_times cy = { cf_xmalloc(nc * 4 * sizeof(double)), 0 };
        struct stor_member *uadd = cf_xmalloc(nc * sizeof(*uadd));
        struct stor_member *gadd = cf_xmalloc(nc * sizeof(*gadd));
        size_t cycles = 0;
        int32_t team_start = (int32_t)(b_sz.depts + b_sz.positions + b_sz.bigs);
        double slow_ns = 0;
        int32_t slow_child = -1;

        /* a user into a group */
        for (size_t i = 0; i < nc; i++) {
            enum stor_section s = b_pct(10) ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER;
            uadd[i] = (struct stor_member){
                .grp = b_gid[b_rnd(m.ngroups)], .kind = STOR_KIND_USER,
                .principal = b_uid[b_rnd(b_sz.users)],
                .role = b_grole_names[b_pick_role(s, 7, 5)], .section = s,
            };
            uint64_t t0 = b_now();
            acl_engine_member_put(e, &uadd[i]);
            b_times_add(&up, (double)(b_now() - t0));
        }
        /* a group into a group: departments, positions or teams into departments, big groups
         * or teams, after the cycle check */
        for (size_t i = 0; i < nc;) {
            int32_t child = b_pct(50) ? team_start + (int32_t)b_rnd(b_sz.teams)
                                      : (int32_t)b_rnd(b_sz.depts + b_sz.positions);
            int32_t parent = b_pct(60) ? team_start + (int32_t)b_rnd(b_sz.teams)
                                       : b_pct(80) ? (int32_t)b_rnd(b_sz.depts)
                                                   : (int32_t)(b_sz.depts + b_sz.positions +
                                                               b_rnd(b_sz.bigs));
            uint64_t t0 = b_now();
            bool cyc = acl_engine_would_cycle(e, b_gid[child], b_gid[parent]);

            if (cy.n < nc * 4)
                b_times_add(&cy, (double)(b_now() - t0));
            if (cyc) {
                cycles++;
                continue;
            }
            gadd[i] = (struct stor_member){ .grp = b_gid[parent], .kind = STOR_KIND_GROUP,
                                            .principal = b_gid[child], .role = "reader",
                                            .section = STOR_SECTION_MEMBER };
            t0 = b_now();
            acl_engine_member_put(e, &gadd[i]);
            double d = (double)(b_now() - t0);
            b_times_add(&gp, d);
            if (d > slow_ns) {
                slow_ns = d;
                slow_child = child;
            }
            i++;
        }
        for (size_t i = nc; i-- > 0;) {
            uint64_t t0 = b_now();

            acl_engine_member_remove(e, uadd[i].grp, STOR_KIND_USER, uadd[i].principal,
                                     uadd[i].section);
            b_times_add(&ur, (double)(b_now() - t0));
        }
        for (size_t i = nc; i-- > 0;) {
            uint64_t t0 = b_now();

            acl_engine_member_remove(e, gadd[i].grp, STOR_KIND_GROUP, gadd[i].principal,
                                     STOR_SECTION_MEMBER);
            b_times_add(&gr, (double)(b_now() - t0));
        }

        printf("%-36s %6s %10s %10s %10s\n", "change", "n", "median", "p99", "max");
        b_change_row("a user into a group", &up);
        b_change_row("a group into a group", &gp);
        b_change_row("a user's entry removed", &ur);
        b_change_row("a group's entry removed", &gr);
        b_change_row("(acl_engine_would_cycle, before)", &cy);
        printf("cycles refused: %zu\n", cycles);

        uint32_t *ustamp = cf_xcalloc(b_sz.users, sizeof(uint32_t));
        uint32_t *gstamp = cf_xcalloc(m.ngroups, sizeof(uint32_t));
        uint32_t stamp = 0;
        if (slow_child >= 0)
            printf("slowest group added: %s %" PRId32 " with %" PRIu32 " users below it"
                   " (before the other random additions), %s\n",
                   b_gkind_names[m.groups[slow_child].kind], slow_child,
                   b_count_below(&m, slow_child, ustamp, gstamp, ++stamp), B_DUR(slow_ns));

        /* worst cases: groups with many users below them into an empty group, and out */
        int32_t big_best = (int32_t)(b_sz.depts + b_sz.positions), l1_best = 1;
        uint32_t l1_n = 0;
        for (uint32_t i = 0; i < b_sz.bigs; i++)
            if (m.groups[b_sz.depts + b_sz.positions + i].users_all.n >
                m.groups[big_best].users_all.n)
                big_best = (int32_t)(b_sz.depts + b_sz.positions + i);
        for (uint32_t i = 1; i < 1 + m.dept_level_n[1]; i++) {
            uint32_t n = b_count_below(&m, (int32_t)i, ustamp, gstamp, ++stamp);

            if (n > l1_n) {
                l1_n = n;
                l1_best = (int32_t)i;
            }
        }
        struct {
            const char *what;
            int32_t g;
        } worst[] = {
            { "the whole organisation (root dept)", 0 },
            { "the largest level-1 department", l1_best },
            { "the largest big group", big_best },
        };
        printf("\nworst cases: a group with many users below it made a member of an empty\n"
               "group (bench-target), then removed; %d times each, median (max):\n\n",
               B_WORST_REPS);
        printf("%-36s %8s %22s %22s\n", "group added", "users", "put", "remove");
        for (size_t w = 0; w < sizeof(worst) / sizeof(worst[0]); w++) {
            double put[B_WORST_REPS], rem[B_WORST_REPS];
            struct stor_member sm = { .grp = sh->target_gid, .kind = STOR_KIND_GROUP,
                                      .principal = b_gid[worst[w].g], .role = "reader",
                                      .section = STOR_SECTION_MEMBER };
            char pbuf[48], rbuf[48];

            for (int i = 0; i < B_WORST_REPS; i++) {
                uint64_t t0 = b_now();

                acl_engine_member_put(e, &sm);
                put[i] = (double)(b_now() - t0);
                t0 = b_now();
                acl_engine_member_remove(e, sm.grp, STOR_KIND_GROUP, sm.principal,
                                         STOR_SECTION_MEMBER);
                rem[i] = (double)(b_now() - t0);
            }
            qsort(put, B_WORST_REPS, sizeof(double), b_dbl_cmp);
            qsort(rem, B_WORST_REPS, sizeof(double), b_dbl_cmp);
            snprintf(pbuf, sizeof(pbuf), "%s (%s)", B_DUR(put[B_WORST_REPS / 2]),
                     B_DUR(put[B_WORST_REPS - 1]));
            snprintf(rbuf, sizeof(rbuf), "%s (%s)", B_DUR(rem[B_WORST_REPS / 2]),
                     B_DUR(rem[B_WORST_REPS - 1]));
            printf("%-36s %8" PRIu32 " %22s %22s\n", worst[w].what,
                   b_count_below(&m, worst[w].g, ustamp, gstamp, ++stamp), pbuf, rbuf);
            worst_max = put[B_WORST_REPS - 1] > worst_max ? put[B_WORST_REPS - 1] : worst_max;
            worst_max = rem[B_WORST_REPS - 1] > worst_max ? rem[B_WORST_REPS - 1] : worst_max;
        }
        free(ustamp);
        free(gstamp);

        /* a full reload, as after a change by another process */
        t = b_now();
        if (acl_engine_load(e, db) < 0) {
            fprintf(stderr, "acl-bench: acl_engine_load (again) failed\n");
            goto out;
        }
        printf("\na full reload (acl_engine_load again, the old picture freed): %s\n",
               B_DUR((double)(b_now() - t)));

        double meds[4] = { b_q(up.v, up.n, 0.5), b_q(gp.v, gp.n, 0.5), b_q(ur.v, ur.n, 0.5),
                           b_q(gr.v, gr.n, 0.5) };
        double maxs[4] = { up.v[up.n - 1], gp.v[gp.n - 1], ur.v[ur.n - 1], gr.v[gr.n - 1] };
        for (int i = 0; i < 4; i++) {
            chg_med = meds[i] > chg_med ? meds[i] : chg_med;
            chg_max = maxs[i] > chg_max ? maxs[i] : chg_max;
        }
        free(up.v);
        free(gp.v);
        free(ur.v);
        free(gr.v);
        free(cy.v);
        free(uadd);
        free(gadd);
    }

    b_title("5. summary against the targets (issue 4)");
    pass_check = med1 < B_CHECK_TARGET_NS && med2 < B_CHECK_TARGET_NS;
    pass_change = chg_med < B_CHANGE_TARGET_NS;
    printf("check median < 1 us: %s\n", pass_check ? "PASS" : "FAIL");
    printf("    median per check: 1 thread %s, 2 threads %s\n", B_DUR(med1), B_DUR(med2));
    printf("change applied < 10 ms (median; max shown): %s\n", pass_change ? "PASS" : "FAIL");
    printf("    highest median of the four kinds %s, max of the random changes %s,\n"
           "    max of the worst cases (a group with many users below it) %s\n",
           B_DUR(chg_med), B_DUR(chg_max), B_DUR(worst_max));
    rc = pass_check && pass_change ? 0 : 1;
    if (rc != 0)
        printf("a target was missed: exit 1\n");
out:
    acl_engine_free(e);
    stor_repos_free(repos);
    stor_db_free(db);
    b_model_free(&m);
    nftw(dir, b_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    munmap(sh, shbytes);
    return rc;
}
