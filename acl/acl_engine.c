/*
 * acl_engine.c: the role engine (see acl.h). The picture:
 *
 *   roles    group roles and element roles: name -> faculties
 *   groups   id -> flags, the groups it is a member of (parent edges, with
 *            the role it holds there), the groups that are its members
 *            (child edges) and its direct user members, for the walk down
 *   users    id -> his direct entries (group, role, section) and his
 *            effective groups: a sorted array of (group id, faculties) with
 *            flags saying whether he is a member there and has any entry
 *   grants   (repository, path) -> the grants there; each repository keeps
 *            the list of its granted paths
 *
 * A user's effective groups come from a walk up from his direct entries:
 * an entry in G gives the entry's role in G; a member entry makes him a
 * member of G, and a member of every group G is nested in, with the role G
 * holds there (seed 001: the members of a nested group travel, their roles
 * inside it do not; other-permissions entries do not travel at all).
 *
 * A check walks the path's prefixes ("", "a", "a/b" ...), hashing them as
 * it goes, looks each up, and adds the element roles of the grants whose
 * group the user holds the read faculty in: one hash lookup per prefix and
 * a binary search per grant found. A membership change recomputes the
 * effective groups of the users below the changed entry only.
 *
 * One read-write lock: checks read, changes write.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "acl_int.h"
#include "coffer/acl.h"
#include "coffer/log.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "coffer/banned.h"

#define ACL_EFF_MEMBER (1u << 30)   /* a member there (directly or nested) */
#define ACL_EFF_ENTRY (1u << 29)    /* any entry there, other permissions included */
#define ACL_EFF_FAC 0xffffu

/* ---- small growable arrays and an id-keyed hash table ---- */

#define ACL_PUSH(arr, n, cap, val)                                                  \
    do {                                                                            \
        if ((n) == (cap)) {                                                         \
            (cap) = (cap) ? (cap) * 2 : 4;                                          \
            (arr) = cf_xrealloc((arr), (cap) * sizeof(*(arr)));                     \
        }                                                                           \
        (arr)[(n)++] = (val);                                                       \
    } while (0)

/* Key and value side by side: a lookup reads one cache line. */
struct acl_mslot {
    int64_t key;                /* 0: free */
    void *val;
};

struct acl_map {
    struct acl_mslot *slot;
    size_t cap, n;
};

static size_t
acl_map_slot(const struct acl_map *m, int64_t key)
{
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;

    return (size_t)(h >> 17) & (m->cap - 1);
}

static void *
acl_map_get(const struct acl_map *m, int64_t key)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = acl_map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->slot[i].key == key)
            return m->slot[i].val;
        if (m->slot[i].key == 0)
            return NULL;
    }
}

static void acl_map_put(struct acl_map *m, int64_t key, void *val);

static void
acl_map_grow(struct acl_map *m)
{
    struct acl_map old = *m;

    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->slot = cf_xcalloc(m->cap, sizeof(*m->slot));
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i].key != 0)
            acl_map_put(m, old.slot[i].key, old.slot[i].val);
    free(old.slot);
}

static void
acl_map_put(struct acl_map *m, int64_t key, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        acl_map_grow(m);
    for (size_t i = acl_map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->slot[i].key == key) {
            m->slot[i].val = val;
            return;
        }
        if (m->slot[i].key == 0) {
            m->slot[i].key = key;
            m->slot[i].val = val;
            m->n++;
            return;
        }
    }
}

/* Removes key (backward-shift deletion keeps the probe chains whole). */
static void
acl_map_del(struct acl_map *m, int64_t key)
{
    size_t i, j;

    if (m->cap == 0)
        return;
    for (i = acl_map_slot(m, key); m->slot[i].key != key; i = (i + 1) & (m->cap - 1))
        if (m->slot[i].key == 0)
            return;
    for (j = i;;) {
        j = (j + 1) & (m->cap - 1);
        if (m->slot[j].key == 0)
            break;
        size_t k = acl_map_slot(m, m->slot[j].key);
        /* move j back to i when its home slot k is not in (i, j] */
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            m->slot[i].key = m->slot[j].key;
            m->slot[i].val = m->slot[j].val;
            i = j;
        }
    }
    m->slot[i].key = 0;
    m->slot[i].val = NULL;
    m->n--;
}

static void
acl_map_free(struct acl_map *m)
{
    free(m->slot);
    memset(m, 0, sizeof(*m));
}

/* ---- the picture ---- */

struct acl_role {
    char *name;
    unsigned fac;
};

struct acl_roles {
    struct acl_role *v;
    size_t n, cap;
};

struct acl_edge {
    int64_t gid;                /* the other group */
    int role;                   /* index into the group roles */
};

struct acl_group {
    int64_t id;
    char *name;
    bool personal;
    struct acl_edge *up;        /* groups this one is a member of */
    size_t nup, capup;
    int64_t *down;              /* groups that are members of this one */
    size_t ndown, capdown;
    int64_t *users;             /* direct user members (section member) */
    size_t nusers, capusers;
};

struct acl_direct {
    int64_t gid;
    int role;
    bool other;                 /* section "other" */
};

struct acl_eff {
    int64_t gid;
    unsigned fac;               /* group faculties | ACL_EFF_* */
};

struct acl_user {
    int64_t id;
    uint64_t readmask[2];       /* a bit per group he may read through (hashed):
                                   most grants are passed over without a search */
    struct acl_eff *eff;        /* sorted by gid */
    size_t neff;
    struct acl_direct *direct;
    size_t ndirect, capdirect;
};

static unsigned
acl_gid_bit(int64_t gid)
{
    return (unsigned)(((uint64_t)gid * 0x9e3779b97f4a7c15ull) >> 57);    /* 0..127 */
}

struct acl_grant {
    int64_t id;
    int64_t gid;
    int role;                   /* index into the element roles */
};

#define ACL_GNODE_INL 3          /* grants kept inside the node */
#define ACL_GNODE_PATH 40         /* path bytes kept inside the node */

/*
 * A granted path. The first grants and a short path live inside the node
 * itself, so a check that finds it reads one or two adjacent cache lines
 * rather than three separate allocations.
 */
struct acl_gnode {
    int64_t repo;
    size_t plen;
    char *path;                 /* pbuf, or the heap for a long path */
    struct acl_grant *v;        /* inl, or the heap past ACL_GNODE_INL grants */
    size_t n, cap;
    struct acl_grant inl[ACL_GNODE_INL];
    char pbuf[ACL_GNODE_PATH];
    struct acl_gnode *next;     /* another node whose key is the same (rare) */
    uint64_t hash;              /* of the path */
    unsigned depth;             /* components in the path: 0 for the root */
};

#define ACL_DEPTHS 64

struct acl_repo_grants {
    struct acl_gnode **v;       /* the repository's granted paths */
    size_t n, cap;
    uint64_t depth_mask;        /* bit d: some granted path has d components */
    uint64_t bloom[8];          /* 512 bits, two per granted path: most prefixes
                                   without a grant are told without a probe */
    uint32_t depth_n[ACL_DEPTHS];
};

/* The two bloom bits of a (repo, path) key. */
static bool
acl_bloom_has(const uint64_t *b, uint64_t key)
{
    unsigned x = (unsigned)(key >> 40) & 511, y = (unsigned)(key >> 51) & 511;

    return (b[x >> 6] >> (x & 63) & 1) && (b[y >> 6] >> (y & 63) & 1);
}

static void
acl_bloom_add(uint64_t *b, uint64_t key)
{
    unsigned x = (unsigned)(key >> 40) & 511, y = (unsigned)(key >> 51) & 511;

    b[x >> 6] |= 1ull << (x & 63);
    b[y >> 6] |= 1ull << (y & 63);
}

/* One slot of the (repository, path) table: the key beside the pointer, so a
 * probe that finds nothing costs one cache line. */
struct acl_gslot {
    uint64_t key;               /* 0: free */
    struct acl_gnode *n;
};

struct acl_pic {
    struct acl_roles groles, eroles;
    struct acl_map groups;      /* id -> struct acl_group */
    struct acl_map users;       /* id -> struct acl_user */
    struct acl_map repos;       /* id -> struct acl_repo_grants */
    struct acl_gslot *gtab;     /* (repo, path) -> gnode, open addressing */
    size_t gcap, gn;
    struct acl_map grant_ids;   /* grant id -> gnode */
};

struct acl_engine {
    pthread_rwlock_t lock;
    struct stor_repos *repos;
    struct acl_pic *pic;
    unsigned epoch;
};

/* FNV-1a over bytes, continued from h (the same as cf_hash from the start). */
static uint64_t
acl_fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define ACL_FNV0 0xcbf29ce484222325ull

static uint64_t
acl_gkey(int64_t repo, uint64_t pathhash)
{
    return pathhash ^ ((uint64_t)repo * 0x9e3779b97f4a7c15ull);
}

static int
acl_role_index(struct acl_roles *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Index of name, adding it with no faculties when unknown (fails closed). */
static int
acl_role_intern(struct acl_roles *r, const char *name)
{
    int i = acl_role_index(r, name);
    struct acl_role nr;

    if (i >= 0)
        return i;
    nr.name = cf_xstrdup(name);
    nr.fac = 0;
    ACL_PUSH(r->v, r->n, r->cap, nr);
    return (int)r->n - 1;
}

static void
acl_roles_free(struct acl_roles *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].name);
    free(r->v);
    memset(r, 0, sizeof(*r));
}

static struct acl_group *
acl_group_get(struct acl_pic *p, int64_t gid, bool create)
{
    struct acl_group *g = acl_map_get(&p->groups, gid);

    if (g == NULL && create) {
        g = cf_xcalloc(1, sizeof(*g));
        g->id = gid;
        acl_map_put(&p->groups, gid, g);
    }
    return g;
}

static struct acl_user *
acl_user_get(struct acl_pic *p, int64_t uid, bool create)
{
    struct acl_user *u = acl_map_get(&p->users, uid);

    if (u == NULL && create) {
        u = cf_xcalloc(1, sizeof(*u));
        u->id = uid;
        acl_map_put(&p->users, uid, u);
    }
    return u;
}

static void
acl_group_free(struct acl_group *g)
{
    free(g->name);
    free(g->up);
    free(g->down);
    free(g->users);
    free(g);
}

static void
acl_user_free(struct acl_user *u)
{
    free(u->direct);
    free(u->eff);
    free(u);
}

static void
acl_gnode_free(struct acl_gnode *n)
{
    if (n->path != n->pbuf)
        free(n->path);
    if (n->v != n->inl)
        free(n->v);
    free(n);
}

static void
acl_gnode_push(struct acl_gnode *n, struct acl_grant g)
{
    if (n->n == n->cap) {
        struct acl_grant *v = cf_xmalloc(n->cap * 2 * sizeof(*v));

        memcpy(v, n->v, n->n * sizeof(*v));
        if (n->v != n->inl)
            free(n->v);
        n->v = v;
        n->cap *= 2;
    }
    n->v[n->n++] = g;
}

static void
acl_pic_free(struct acl_pic *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->groups.cap; i++)
        if (p->groups.slot[i].key != 0)
            acl_group_free(p->groups.slot[i].val);
    for (size_t i = 0; i < p->users.cap; i++)
        if (p->users.slot[i].key != 0)
            acl_user_free(p->users.slot[i].val);
    for (size_t i = 0; i < p->repos.cap; i++)
        if (p->repos.slot[i].key != 0) {
            struct acl_repo_grants *rg = p->repos.slot[i].val;

            for (size_t j = 0; j < rg->n; j++)
                acl_gnode_free(rg->v[j]);
            free(rg->v);
            free(rg);
        }
    free(p->gtab);
    acl_map_free(&p->groups);
    acl_map_free(&p->users);
    acl_map_free(&p->repos);
    acl_map_free(&p->grant_ids);
    acl_roles_free(&p->groles);
    acl_roles_free(&p->eroles);
    free(p);
}

/* ---- grants ---- */

/* The table key of (repo, path hash): never 0, which marks a free slot. */
static uint64_t
acl_gslot_key(int64_t repo, uint64_t pathhash)
{
    return acl_gkey(repo, pathhash) | 1;
}

static struct acl_gnode *
acl_gnode_find(const struct acl_pic *p, int64_t repo, uint64_t hash, const char *path,
               size_t plen)
{
    uint64_t key;

    if (p->gcap == 0)
        return NULL;
    key = acl_gslot_key(repo, hash);
    for (size_t i = (size_t)(key >> 7) & (p->gcap - 1);; i = (i + 1) & (p->gcap - 1)) {
        const struct acl_gslot *sl = &p->gtab[i];

        if (sl->key == 0)
            return NULL;
        if (sl->key != key)
            continue;
        for (struct acl_gnode *n = sl->n; n != NULL; n = n->next)
            if (n->repo == repo && n->plen == plen && memcmp(n->path, path, plen) == 0)
                return n;
        return NULL;
    }
}

/* The slot of key: the one holding it, or the free one where it goes. */
static struct acl_gslot *
acl_gslot_at(struct acl_pic *p, uint64_t key)
{
    for (size_t i = (size_t)(key >> 7) & (p->gcap - 1);; i = (i + 1) & (p->gcap - 1))
        if (p->gtab[i].key == key || p->gtab[i].key == 0)
            return &p->gtab[i];
}

static void
acl_gtab_grow(struct acl_pic *p)
{
    struct acl_gslot *old = p->gtab;
    size_t ocap = p->gcap;

    p->gcap = ocap ? ocap * 2 : 256;
    p->gtab = cf_xcalloc(p->gcap, sizeof(*p->gtab));
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key != 0)
            *acl_gslot_at(p, old[i].key) = old[i];
    free(old);
}

/* Components in a path: 0 for "", 1 for "a", 2 for "a/b". */
static unsigned
acl_path_depth(const char *path, size_t len)
{
    unsigned d = len > 0;

    for (size_t i = 0; i < len; i++)
        d += path[i] == '/';
    return d < ACL_DEPTHS ? d : ACL_DEPTHS - 1;
}

static struct acl_gnode *
acl_gnode_get(struct acl_pic *p, int64_t repo, const char *path)
{
    size_t plen = strlen(path);
    uint64_t h = acl_fnv(ACL_FNV0, path, plen);
    struct acl_gnode *n = acl_gnode_find(p, repo, h, path, plen);
    struct acl_repo_grants *rg;
    struct acl_gslot *sl;

    if (n != NULL)
        return n;
    if ((p->gn + 1) * 4 > p->gcap * 3)
        acl_gtab_grow(p);
    n = cf_xcalloc(1, sizeof(*n));
    n->repo = repo;
    n->hash = h;
    if (plen < sizeof(n->pbuf)) {
        memcpy(n->pbuf, path, plen);
        n->path = n->pbuf;
    } else {
        n->path = cf_xstrndup(path, plen);
    }
    n->plen = plen;
    n->v = n->inl;
    n->cap = ACL_GNODE_INL;
    n->depth = acl_path_depth(path, plen);
    sl = acl_gslot_at(p, acl_gslot_key(repo, h));
    if (sl->key == 0) {
        sl->key = acl_gslot_key(repo, h);
        p->gn++;
    }
    n->next = sl->n;
    sl->n = n;
    if ((rg = acl_map_get(&p->repos, repo)) == NULL) {
        rg = cf_xcalloc(1, sizeof(*rg));
        acl_map_put(&p->repos, repo, rg);
    }
    ACL_PUSH(rg->v, rg->n, rg->cap, n);
    rg->depth_n[n->depth]++;
    rg->depth_mask |= 1ull << n->depth;
    acl_bloom_add(rg->bloom, acl_gslot_key(repo, h));
    return n;
}

/* Unlinks a gnode from the table and its repository's list, and frees it. */
static void
acl_gnode_drop(struct acl_pic *p, struct acl_gnode *n)
{
    uint64_t key = acl_gslot_key(n->repo, n->hash);
    struct acl_gslot *sl = acl_gslot_at(p, key);
    struct acl_repo_grants *rg = acl_map_get(&p->repos, n->repo);
    struct acl_gnode **pp = &sl->n;

    while (*pp != n)
        pp = &(*pp)->next;
    *pp = n->next;
    if (sl->n == NULL) {
        /* free the slot, shifting back the ones that probed past it */
        size_t i = (size_t)(sl - p->gtab), j = i;

        for (;;) {
            j = (j + 1) & (p->gcap - 1);
            if (p->gtab[j].key == 0)
                break;
            size_t k = (size_t)(p->gtab[j].key >> 7) & (p->gcap - 1);
            if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
                p->gtab[i] = p->gtab[j];
                i = j;
            }
        }
        p->gtab[i].key = 0;
        p->gtab[i].n = NULL;
        p->gn--;
    }
    for (size_t i = 0; rg != NULL && i < rg->n; i++)
        if (rg->v[i] == n) {
            rg->v[i] = rg->v[--rg->n];
            if (--rg->depth_n[n->depth] == 0)
                rg->depth_mask &= ~(1ull << n->depth);
            /* a bloom filter forgets nothing: build it again from the rest */
            memset(rg->bloom, 0, sizeof(rg->bloom));
            for (size_t j = 0; j < rg->n; j++)
                acl_bloom_add(rg->bloom, acl_gslot_key(rg->v[j]->repo, rg->v[j]->hash));
            break;
        }
    acl_gnode_free(n);
}

static void
acl_pic_grant_put(struct acl_pic *p, const struct stor_grant *g)
{
    struct acl_gnode *n = acl_gnode_get(p, g->repo, g->path);
    struct acl_grant ng = { g->id, g->grp, acl_role_intern(&p->eroles, g->role) };

    for (size_t i = 0; i < n->n; i++)
        if (n->v[i].id == g->id) {
            n->v[i] = ng;
            return;
        }
    acl_gnode_push(n, ng);
    acl_map_put(&p->grant_ids, g->id, n);
}

static void
acl_pic_grant_remove(struct acl_pic *p, int64_t id)
{
    struct acl_gnode *n = acl_map_get(&p->grant_ids, id);

    if (n == NULL)
        return;
    acl_map_del(&p->grant_ids, id);
    for (size_t i = 0; i < n->n; i++)
        if (n->v[i].id == id) {
            n->v[i] = n->v[--n->n];
            break;
        }
    if (n->n == 0)
        acl_gnode_drop(p, n);
}

/* ---- effective groups ---- */

static int
acl_eff_cmp(const void *a, const void *b)
{
    const struct acl_eff *x = a, *y = b;

    return x->gid < y->gid ? -1 : x->gid > y->gid;
}

static const struct acl_eff *
acl_eff_find(const struct acl_user *u, int64_t gid)
{
    size_t lo = 0, hi = u->neff;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (u->eff[mid].gid == gid)
            return &u->eff[mid];
        if (u->eff[mid].gid < gid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/*
 * The groups above a group: those a member of it is a member of too,
 * through nesting, each with the faculties the nesting gives there. The
 * same for every member, so a batch of users computes it once per group.
 */
struct acl_closure {
    struct acl_eff *v;
    size_t n, cap;
};

/* Scratch for one batch of users: the closures met so far, and one user's groups. */
#define ACL_WALK_SCAN 32         /* past this many groups, a user's are hashed */

struct acl_walk {
    struct acl_map memo;        /* gid -> struct acl_closure */
    struct acl_eff *v;          /* one user's groups so far */
    size_t n, cap;
    struct acl_map seen;        /* gid -> index + 1 into v, once n > ACL_WALK_SCAN */
};

/* Adds (gid, fac) to a closure, merging with an entry for the same group. */
static void
acl_closure_add(struct acl_closure *c, int64_t gid, unsigned fac)
{
    struct acl_eff e = { gid, fac };

    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].gid == gid) {
            c->v[i].fac |= fac;
            return;
        }
    ACL_PUSH(c->v, c->n, c->cap, e);
}

static const struct acl_closure *
acl_closure_of(const struct acl_pic *p, struct acl_walk *w, int64_t gid)
{
    struct acl_closure *c = acl_map_get(&w->memo, gid);
    const struct acl_group *g;

    if (c != NULL)
        return c;
    c = cf_xcalloc(1, sizeof(*c));
    acl_map_put(&w->memo, gid, c);  /* before the recursion: nesting has no cycles, but */
    if ((g = acl_map_get(&p->groups, gid)) == NULL)
        return c;
    for (size_t i = 0; i < g->nup; i++) {
        const struct acl_closure *up;

        acl_closure_add(c, g->up[i].gid, p->groles.v[g->up[i].role].fac | ACL_EFF_ENTRY |
                                             ACL_EFF_MEMBER);
        up = acl_closure_of(p, w, g->up[i].gid);
        for (size_t j = 0; j < up->n; j++)
            acl_closure_add(c, up->v[j].gid, up->v[j].fac);
    }
    return c;
}

static void
acl_walk_add(struct acl_walk *w, int64_t gid, unsigned fac)
{
    struct acl_eff e = { gid, fac };

    /* most users are in a few dozen groups: a scan; someone in thousands, a hash */
    if (w->n <= ACL_WALK_SCAN) {
        for (size_t i = 0; i < w->n; i++)
            if (w->v[i].gid == gid) {
                w->v[i].fac |= fac;
                return;
            }
    } else {
        uintptr_t idx = (uintptr_t)acl_map_get(&w->seen, gid);

        if (idx != 0) {
            w->v[idx - 1].fac |= fac;
            return;
        }
    }
    ACL_PUSH(w->v, w->n, w->cap, e);
    if (w->n == ACL_WALK_SCAN + 1) {
        for (size_t i = 0; i < w->n; i++)
            acl_map_put(&w->seen, w->v[i].gid, (void *)(uintptr_t)(i + 1));
    } else if (w->n > ACL_WALK_SCAN + 1) {
        acl_map_put(&w->seen, gid, (void *)(uintptr_t)w->n);
    }
}

/* Recomputes u's effective groups (see the file comment). */
static void
acl_user_compute(struct acl_pic *p, struct acl_user *u, struct acl_walk *w)
{
    if (w->n > ACL_WALK_SCAN)
        acl_map_free(&w->seen);
    w->n = 0;
    for (size_t i = 0; i < u->ndirect; i++) {
        const struct acl_direct *d = &u->direct[i];

        acl_walk_add(w, d->gid, p->groles.v[d->role].fac | ACL_EFF_ENTRY |
                                    (d->other ? 0 : ACL_EFF_MEMBER));
        if (!d->other) {
            /* a member of d->gid is a member of every group above it */
            const struct acl_closure *c = acl_closure_of(p, w, d->gid);

            for (size_t j = 0; j < c->n; j++)
                acl_walk_add(w, c->v[j].gid, c->v[j].fac);
        }
    }
    if (w->n != u->neff) {
        free(u->eff);
        u->eff = w->n > 0 ? cf_xmalloc(w->n * sizeof(*u->eff)) : NULL;
    }
    u->neff = w->n;
    u->readmask[0] = u->readmask[1] = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].fac & ACL_G_READ) {
            unsigned b = acl_gid_bit(w->v[i].gid);

            u->readmask[b >> 6] |= 1ull << (b & 63);
        }
    if (w->n > 0) {
        memcpy(u->eff, w->v, w->n * sizeof(*u->eff));
        qsort(u->eff, u->neff, sizeof(*u->eff), acl_eff_cmp);
    }
}

static void
acl_walk_free(struct acl_walk *w)
{
    for (size_t i = 0; i < w->memo.cap; i++)
        if (w->memo.slot[i].key != 0) {
            struct acl_closure *c = w->memo.slot[i].val;

            free(c->v);
            free(c);
        }
    acl_map_free(&w->memo);
    acl_map_free(&w->seen);
    free(w->v);
}

/* Collects the users below group gid (its members, through nested groups) into out. */
static void
acl_users_below(struct acl_pic *p, int64_t gid, struct acl_map *out)
{
    struct acl_map seen = { 0 };
    int64_t *stack = NULL;
    size_t n = 0, cap = 0;

    ACL_PUSH(stack, n, cap, gid);
    acl_map_put(&seen, gid, (void *)1);
    while (n > 0) {
        const struct acl_group *g = acl_map_get(&p->groups, stack[--n]);

        if (g == NULL)
            continue;
        for (size_t i = 0; i < g->nusers; i++)
            acl_map_put(out, g->users[i], (void *)1);
        for (size_t i = 0; i < g->ndown; i++)
            if (acl_map_get(&seen, g->down[i]) == NULL) {
                acl_map_put(&seen, g->down[i], (void *)1);
                ACL_PUSH(stack, n, cap, g->down[i]);
            }
    }
    free(stack);
    acl_map_free(&seen);
}

static void
acl_recompute_set(struct acl_pic *p, const struct acl_map *set)
{
    struct acl_walk w = { 0 };

    for (size_t i = 0; i < set->cap; i++) {
        struct acl_user *u;

        if (set->slot[i].key != 0 && (u = acl_map_get(&p->users, set->slot[i].key)) != NULL)
            acl_user_compute(p, u, &w);
    }
    acl_walk_free(&w);
}

static void
acl_recompute_all(struct acl_pic *p)
{
    struct acl_walk w = { 0 };

    for (size_t i = 0; i < p->users.cap; i++)
        if (p->users.slot[i].key != 0)
            acl_user_compute(p, p->users.slot[i].val, &w);
    acl_walk_free(&w);
}

/* ---- building the picture ---- */

static int
acl_load_role(void *arg, const struct stor_role *r)
{
    struct acl_roles *roles = arg;
    struct acl_role nr = { cf_xstrdup(r->name), r->faculties };

    ACL_PUSH(roles->v, roles->n, roles->cap, nr);
    return 0;
}

static int
acl_load_group(void *arg, const struct stor_group *g)
{
    struct acl_group *ag = acl_group_get(arg, g->id, true);

    free(ag->name);
    ag->name = cf_xstrdup(g->name);
    ag->personal = g->personal;
    return 0;
}

static void
acl_pic_member_put(struct acl_pic *p, const struct stor_member *m)
{
    struct acl_group *g = acl_group_get(p, m->grp, true);
    int role = acl_role_intern(&p->groles, m->role);

    if (m->kind == STOR_KIND_GROUP) {
        struct acl_group *c = acl_group_get(p, m->principal, true);
        struct acl_edge e = { m->grp, role };
        size_t i;

        for (i = 0; i < c->nup && c->up[i].gid != m->grp; i++)
            ;
        if (i < c->nup) {
            c->up[i].role = role;
            return;
        }
        ACL_PUSH(c->up, c->nup, c->capup, e);
        ACL_PUSH(g->down, g->ndown, g->capdown, m->principal);
        return;
    }
    struct acl_user *u = acl_user_get(p, m->principal, true);
    bool other = m->section == STOR_SECTION_OTHER;
    struct acl_direct d = { m->grp, role, other };
    size_t i;

    for (i = 0; i < u->ndirect; i++)
        if (u->direct[i].gid == m->grp && u->direct[i].other == other) {
            u->direct[i].role = role;
            return;
        }
    ACL_PUSH(u->direct, u->ndirect, u->capdirect, d);
    if (!other)
        ACL_PUSH(g->users, g->nusers, g->capusers, m->principal);
}

static int
acl_load_member(void *arg, const struct stor_member *m)
{
    acl_pic_member_put(arg, m);
    return 0;
}

static int
acl_load_grant(void *arg, const struct stor_grant *g)
{
    acl_pic_grant_put(arg, g);
    return 0;
}

static int
acl_load_user(void *arg, const struct stor_user *u)
{
    acl_user_get(arg, u->id, true);
    return 0;
}

int
acl_engine_load(struct acl_engine *e, struct stor_db *db)
{
    struct acl_pic *p = cf_xcalloc(1, sizeof(*p)), *old;
    int rc;

    if ((rc = stor_roles2_each(db, STOR_ROLES_GROUP, acl_load_role, &p->groles)) < 0 ||
        (rc = stor_roles2_each(db, STOR_ROLES_ELEMENT, acl_load_role, &p->eroles)) < 0 ||
        (rc = stor_users_list(db, STOR_USERS_ALL, 0, NULL, NULL, UINT32_MAX, acl_load_user, p))
            < 0 ||
        (rc = stor_groups_each(db, acl_load_group, p)) < 0 ||
        (rc = stor_members_each(db, 0, acl_load_member, p)) < 0 ||
        (rc = stor_grants_each(db, 0, acl_load_grant, p)) < 0) {
        cf_log(CF_LOG_ERR, "role engine: the picture could not be read (%d); the old one stays",
               rc);
        acl_pic_free(p);
        return rc;
    }
    acl_recompute_all(p);
    pthread_rwlock_wrlock(&e->lock);
    old = e->pic;
    e->pic = p;
    pthread_rwlock_unlock(&e->lock);
    acl_pic_free(old);
    return 0;
}

struct acl_engine *
acl_engine_new(struct stor_repos *repos)
{
    struct acl_engine *e = cf_xcalloc(1, sizeof(*e));

    pthread_rwlock_init(&e->lock, NULL);
    e->repos = repos;
    e->pic = cf_xcalloc(1, sizeof(*e->pic));
    return e;
}

void
acl_engine_free(struct acl_engine *e)
{
    if (e == NULL)
        return;
    acl_pic_free(e->pic);
    pthread_rwlock_destroy(&e->lock);
    free(e);
}

unsigned
acl_engine_epoch(struct acl_engine *e)
{
    return __atomic_load_n(&e->epoch, __ATOMIC_ACQUIRE);
}

void
acl_engine_set_epoch(struct acl_engine *e, unsigned v)
{
    __atomic_store_n(&e->epoch, v, __ATOMIC_RELEASE);
}

void
acl_engine_epoch_note(struct acl_engine *e, unsigned v)
{
    unsigned expect = v - 1;

    /* only when nothing else moved the epoch since the picture was last in step */
    __atomic_compare_exchange_n(&e->epoch, &expect, v, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
}

/* ---- checks ---- */

/* The faculties of the grants at gnode n that u reaches. */
static unsigned
acl_gnode_faculties(const struct acl_pic *p, const struct acl_gnode *n, const struct acl_user *u)
{
    unsigned f = 0;

    for (size_t i = 0; i < n->n; i++) {
        unsigned b = acl_gid_bit(n->v[i].gid);
        const struct acl_eff *ef;

        if (!(u->readmask[b >> 6] >> (b & 63) & 1))
            continue;           /* surely not a group he reads through */
        ef = acl_eff_find(u, n->v[i].gid);
        if (ef != NULL && (ef->fac & ACL_G_READ))
            f |= p->eroles.v[n->v[i].role].fac;
    }
    return f;
}

/* The length of the prefix after the one of length i ("a" -> "a/b"). */
static size_t
acl_next_prefix(const char *path, size_t len, size_t i)
{
    size_t from = i == 0 ? 0 : i + 1;       /* past the '/' that ends prefix i */
    const char *slash = memchr(path + from, '/', len - from);

    return slash != NULL ? (size_t)(slash - path) : len;
}

/* The slot a key's probe starts at (for prefetching). */
static const struct acl_mslot *
acl_map_home(const struct acl_map *m, int64_t key)
{
    return m->cap != 0 ? &m->slot[acl_map_slot(m, key)] : NULL;
}

#define ACL_PREFIXES 16         /* prefixes looked at together; deeper ones in a second round */

static unsigned
acl_pic_faculties(const struct acl_pic *p, int64_t user, int64_t repo, const char *path)
{
    const struct acl_repo_grants *rg;
    const struct acl_user *u;
    const struct acl_gnode *cand[ACL_PREFIXES];
    uint64_t h = ACL_FNV0, keys[ACL_PREFIXES];
    size_t lens[ACL_PREFIXES], i = 0, len, nc;
    unsigned f = 0, depth = 0;

    if (user <= 0)
        return 0;
    /*
     * The picture is larger than the caches: a check is a handful of memory
     * misses. Start the independent ones together (the user, the
     * repository, then every prefix's slot), so they overlap instead of
     * following one another.
     */
    __builtin_prefetch(acl_map_home(&p->users, user));
    __builtin_prefetch(acl_map_home(&p->repos, repo));
    if ((u = acl_map_get(&p->users, user)) == NULL || u->neff == 0 ||
        (rg = acl_map_get(&p->repos, repo)) == NULL || rg->n == 0)
        return 0;
    __builtin_prefetch(u->eff);
    len = strlen(path);
    for (;;) {
        /*
         * "" then each prefix ending before a '/', then the whole path;
         * only at depths where the repository has grants, and only those
         * its bloom filter does not rule out.
         */
        nc = 0;
        for (;;) {
            if ((rg->depth_mask & (1ull << depth)) &&
                acl_bloom_has(rg->bloom, acl_gslot_key(repo, h))) {
                keys[nc] = h;
                lens[nc++] = i;
                __builtin_prefetch(&p->gtab[(acl_gslot_key(repo, h) >> 7) & (p->gcap - 1)]);
            }
            if (i == len || nc == ACL_PREFIXES || (rg->depth_mask >> (depth + 1)) == 0)
                break;
            size_t next = acl_next_prefix(path, len, i);

            h = acl_fnv(h, path + i, next - i);
            i = next;
            if (depth < ACL_DEPTHS - 1)
                depth++;
        }
        size_t nf = 0;
        for (size_t k = 0; k < nc; k++)
            if ((cand[nf] = acl_gnode_find(p, repo, keys[k], path, lens[k])) != NULL)
                __builtin_prefetch(cand[nf++]);
        for (size_t k = 0; k < nf && f != ACL_ALL; k++)
            f |= acl_gnode_faculties(p, cand[k], u);
        if (i == len || f == ACL_ALL || (rg->depth_mask >> (depth + 1)) == 0)
            break;
        /* sixteen prefixes taken: go on from the next one */
        size_t next = acl_next_prefix(path, len, i);

        h = acl_fnv(h, path + i, next - i);
        i = next;
        if (depth < ACL_DEPTHS - 1)
            depth++;
    }
    return f;
}

unsigned
acl_engine_faculties(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
                     const char *path)
{
    unsigned f;

    if (repo == NULL)
        return 0;
    pthread_rwlock_rdlock(&e->lock);
    f = acl_pic_faculties(e->pic, user, repo->id, path);
    pthread_rwlock_unlock(&e->lock);
    return f;
}

bool
acl_check(struct acl_engine *e, int64_t user, const struct stor_repo *repo, const char *path,
          unsigned want)
{
    return (acl_engine_faculties(e, user, repo, path) & want) == want;
}

/* True if some grant at or below path (prefix, plen) of repo is reached by u (or, u NULL, exists). */
static bool
acl_pic_below(const struct acl_pic *p, const struct acl_user *u, int64_t repo, const char *path,
              size_t plen)
{
    const struct acl_repo_grants *rg = acl_map_get(&p->repos, repo);

    for (size_t i = 0; rg != NULL && i < rg->n; i++) {
        const struct acl_gnode *n = rg->v[i];

        if (plen > 0 && !(n->plen >= plen && memcmp(n->path, path, plen) == 0 &&
                          (n->plen == plen || n->path[plen] == '/')))
            continue;
        if (u == NULL || (acl_gnode_faculties(p, n, u) & ACL_READ))
            return true;
    }
    return false;
}

bool
acl_repo_visible(struct acl_engine *e, int64_t user, const struct stor_repo *repo)
{
    const struct acl_user *u;
    bool v = false;

    if (repo == NULL || user <= 0)
        return false;
    pthread_rwlock_rdlock(&e->lock);
    /* a grant on the root (the usual case) answers without walking the others */
    if (acl_pic_faculties(e->pic, user, repo->id, "") & ACL_READ)
        v = true;
    else if ((u = acl_map_get(&e->pic->users, user)) != NULL)
        v = acl_pic_below(e->pic, u, repo->id, "", 0);
    pthread_rwlock_unlock(&e->lock);
    return v;
}

unsigned
acl_engine_reach(struct acl_engine *e, int64_t user, const struct stor_repo *repo)
{
    const struct acl_repo_grants *rg;
    const struct acl_user *u;
    unsigned f = 0;

    if (repo == NULL || user <= 0)
        return 0;
    pthread_rwlock_rdlock(&e->lock);
    u = acl_map_get(&e->pic->users, user);
    rg = acl_map_get(&e->pic->repos, repo->id);
    for (size_t i = 0; u != NULL && rg != NULL && i < rg->n; i++)
        f |= acl_gnode_faculties(e->pic, rg->v[i], u);
    pthread_rwlock_unlock(&e->lock);
    return f;
}

bool
acl_path_visible(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
                 const char *path)
{
    const struct acl_user *u;
    bool v = false;

    if (repo == NULL || user <= 0)
        return false;
    pthread_rwlock_rdlock(&e->lock);
    if (acl_pic_faculties(e->pic, user, repo->id, path) & ACL_READ)
        v = true;
    else if ((u = acl_map_get(&e->pic->users, user)) != NULL)
        v = acl_pic_below(e->pic, u, repo->id, path, strlen(path));
    pthread_rwlock_unlock(&e->lock);
    return v;
}

bool
acl_engine_has_grants_below(struct acl_engine *e, const struct stor_repo *repo,
                            const char *path)
{
    bool v;

    pthread_rwlock_rdlock(&e->lock);
    v = acl_pic_below(e->pic, NULL, repo->id, path, strlen(path));
    pthread_rwlock_unlock(&e->lock);
    return v;
}

bool
acl_engine_has_grants_under(struct acl_engine *e, const struct stor_repo *repo, const char *path)
{
    const struct acl_repo_grants *rg;
    size_t plen = strlen(path);
    bool v = false;

    pthread_rwlock_rdlock(&e->lock);
    rg = acl_map_get(&e->pic->repos, repo->id);
    for (size_t i = 0; rg != NULL && i < rg->n && !v; i++) {
        const struct acl_gnode *n = rg->v[i];

        v = n->plen > plen &&
            (plen == 0 || (memcmp(n->path, path, plen) == 0 && n->path[plen] == '/'));
    }
    pthread_rwlock_unlock(&e->lock);
    return v;
}

/* Frees the grant part of a scratch picture. */
static void
acl_pic_grants_free(struct acl_pic *t)
{
    for (size_t i = 0; i < t->repos.cap; i++)
        if (t->repos.slot[i].key != 0) {
            struct acl_repo_grants *rg = t->repos.slot[i].val;

            for (size_t j = 0; j < rg->n; j++)
                acl_gnode_free(rg->v[j]);
            free(rg->v);
            free(rg);
        }
    free(t->gtab);
    acl_map_free(&t->repos);
    acl_map_free(&t->grant_ids);
    acl_roles_free(&t->eroles);
}

int
acl_engine_reload_grants(struct acl_engine *e, struct stor_db *db, const struct stor_repo *repo)
{
    struct acl_pic tmp = { 0 };
    struct acl_repo_grants *rg, *fresh;
    struct acl_pic *p;
    int rc;

    /* read first, outside the lock, into a scratch picture */
    if ((rc = stor_grants_each(db, repo->id, acl_load_grant, &tmp)) < 0) {
        acl_pic_grants_free(&tmp);
        return rc;
    }
    pthread_rwlock_wrlock(&e->lock);
    p = e->pic;
    /* drop the repository's grants, then move the fresh ones in */
    while ((rg = acl_map_get(&p->repos, repo->id)) != NULL && rg->n > 0) {
        struct acl_gnode *gn = rg->v[rg->n - 1];

        for (size_t i = 0; i < gn->n; i++)
            acl_map_del(&p->grant_ids, gn->v[i].id);
        acl_gnode_drop(p, gn);
    }
    fresh = acl_map_get(&tmp.repos, repo->id);
    for (size_t i = 0; fresh != NULL && i < fresh->n; i++) {
        const struct acl_gnode *gn = fresh->v[i];

        for (size_t j = 0; j < gn->n; j++) {
            struct stor_grant g = {
                .id = gn->v[j].id, .repo = repo->id, .path = gn->path, .grp = gn->v[j].gid,
                .role = tmp.eroles.v[gn->v[j].role].name,
            };
            acl_pic_grant_put(p, &g);
        }
    }
    pthread_rwlock_unlock(&e->lock);
    acl_pic_grants_free(&tmp);
    return 0;
}

/* ---- groups ---- */

unsigned
acl_engine_group_faculties(struct acl_engine *e, int64_t user, int64_t gid)
{
    const struct acl_user *u;
    const struct acl_eff *ef = NULL;

    pthread_rwlock_rdlock(&e->lock);
    if ((u = acl_map_get(&e->pic->users, user)) != NULL)
        ef = acl_eff_find(u, gid);
    unsigned f = ef != NULL ? ef->fac & ACL_EFF_FAC : 0;
    pthread_rwlock_unlock(&e->lock);
    return f;
}

static bool
acl_engine_eff_flag(struct acl_engine *e, int64_t user, int64_t gid, unsigned flag)
{
    const struct acl_user *u;
    const struct acl_eff *ef = NULL;
    bool v;

    pthread_rwlock_rdlock(&e->lock);
    if ((u = acl_map_get(&e->pic->users, user)) != NULL)
        ef = acl_eff_find(u, gid);
    v = ef != NULL && (ef->fac & flag) != 0;
    pthread_rwlock_unlock(&e->lock);
    return v;
}

bool
acl_engine_is_member(struct acl_engine *e, int64_t user, int64_t gid)
{
    return acl_engine_eff_flag(e, user, gid, ACL_EFF_MEMBER);
}

bool
acl_engine_in_group(struct acl_engine *e, int64_t user, int64_t gid)
{
    return acl_engine_eff_flag(e, user, gid, ACL_EFF_ENTRY);
}

bool
acl_engine_peers(struct acl_engine *e, int64_t a, int64_t b)
{
    const struct acl_user *ua, *ub;
    bool v = a == b;

    pthread_rwlock_rdlock(&e->lock);
    ua = acl_map_get(&e->pic->users, a);
    ub = acl_map_get(&e->pic->users, b);
    /* both sorted by group id: walk them side by side */
    for (size_t i = 0, j = 0; !v && ua != NULL && ub != NULL && i < ua->neff && j < ub->neff;) {
        if (ua->eff[i].gid < ub->eff[j].gid) {
            i++;
        } else if (ua->eff[i].gid > ub->eff[j].gid) {
            j++;
        } else {
            const struct acl_group *g = acl_map_get(&e->pic->groups, ua->eff[i].gid);

            v = (ua->eff[i].fac & ub->eff[j].fac & ACL_EFF_MEMBER) && g != NULL && !g->personal;
            i++;
            j++;
        }
    }
    pthread_rwlock_unlock(&e->lock);
    return v;
}

bool
acl_engine_would_cycle(struct acl_engine *e, int64_t child, int64_t parent)
{
    struct acl_map seen = { 0 };
    int64_t *stack = NULL;
    size_t n = 0, cap = 0;
    bool cycle = child == parent;

    /* a cycle closes when parent already sits (transitively) inside child */
    pthread_rwlock_rdlock(&e->lock);
    ACL_PUSH(stack, n, cap, parent);
    while (!cycle && n > 0) {
        const struct acl_group *g = acl_map_get(&e->pic->groups, stack[--n]);

        for (size_t i = 0; g != NULL && i < g->nup && !cycle; i++) {
            if (g->up[i].gid == child)
                cycle = true;
            else if (acl_map_get(&seen, g->up[i].gid) == NULL) {
                acl_map_put(&seen, g->up[i].gid, (void *)1);
                ACL_PUSH(stack, n, cap, g->up[i].gid);
            }
        }
    }
    pthread_rwlock_unlock(&e->lock);
    free(stack);
    acl_map_free(&seen);
    return cycle;
}

/* ---- patches ---- */

void
acl_engine_group_put(struct acl_engine *e, const struct stor_group *g)
{
    pthread_rwlock_wrlock(&e->lock);
    acl_load_group(e->pic, g);
    pthread_rwlock_unlock(&e->lock);
}

/* Removes x from the array of n int64s (first match). */
static void
acl_ids_del(int64_t *v, size_t *n, int64_t x)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i] == x) {
            v[i] = v[--*n];
            return;
        }
}

static void
acl_pic_member_remove(struct acl_pic *p, int64_t grp, enum stor_kind kind, int64_t principal,
                      enum stor_section section)
{
    struct acl_group *g = acl_group_get(p, grp, false);

    if (kind == STOR_KIND_GROUP) {
        struct acl_group *c = acl_group_get(p, principal, false);

        for (size_t i = 0; c != NULL && i < c->nup; i++)
            if (c->up[i].gid == grp) {
                c->up[i] = c->up[--c->nup];
                break;
            }
        if (g != NULL)
            acl_ids_del(g->down, &g->ndown, principal);
        return;
    }
    struct acl_user *u = acl_user_get(p, principal, false);
    bool other = section == STOR_SECTION_OTHER;

    for (size_t i = 0; u != NULL && i < u->ndirect; i++)
        if (u->direct[i].gid == grp && u->direct[i].other == other) {
            u->direct[i] = u->direct[--u->ndirect];
            break;
        }
    if (!other && g != NULL)
        acl_ids_del(g->users, &g->nusers, principal);
}

/* The users an entry change touches: the user, or everyone below the member group. */
static void
acl_affected(struct acl_pic *p, enum stor_kind kind, int64_t principal, struct acl_map *set)
{
    if (kind == STOR_KIND_USER)
        acl_map_put(set, principal, (void *)1);
    else
        acl_users_below(p, principal, set);
}

void
acl_engine_member_put(struct acl_engine *e, const struct stor_member *m)
{
    struct acl_map set = { 0 };

    pthread_rwlock_wrlock(&e->lock);
    acl_pic_member_put(e->pic, m);
    acl_affected(e->pic, m->kind, m->principal, &set);
    acl_recompute_set(e->pic, &set);
    pthread_rwlock_unlock(&e->lock);
    acl_map_free(&set);
}

void
acl_engine_member_remove(struct acl_engine *e, int64_t grp, enum stor_kind kind,
                         int64_t principal, enum stor_section section)
{
    struct acl_map set = { 0 };

    pthread_rwlock_wrlock(&e->lock);
    acl_affected(e->pic, kind, principal, &set);    /* who was below it, before */
    acl_pic_member_remove(e->pic, grp, kind, principal, section);
    acl_recompute_set(e->pic, &set);
    pthread_rwlock_unlock(&e->lock);
    acl_map_free(&set);
}

void
acl_engine_group_remove(struct acl_engine *e, int64_t gid)
{
    struct acl_map set = { 0 };
    struct acl_pic *p;
    struct acl_group *g;

    pthread_rwlock_wrlock(&e->lock);
    p = e->pic;
    if ((g = acl_group_get(p, gid, false)) == NULL)
        goto out;
    /* everyone with an entry there: below it, and the other-permissions users */
    acl_users_below(p, gid, &set);
    for (size_t i = 0; i < p->users.cap; i++) {
        struct acl_user *u = p->users.slot[i].val;

        if (p->users.slot[i].key == 0)
            continue;
        for (size_t j = 0; j < u->ndirect; j++)
            if (u->direct[j].gid == gid) {
                acl_map_put(&set, u->id, (void *)1);
                u->direct[j--] = u->direct[--u->ndirect];
            }
    }
    while (g->nup > 0)
        acl_pic_member_remove(p, g->up[0].gid, STOR_KIND_GROUP, gid, STOR_SECTION_MEMBER);
    while (g->ndown > 0)
        acl_pic_member_remove(p, gid, STOR_KIND_GROUP, g->down[0], STOR_SECTION_MEMBER);
    /* its grants went with it (ON DELETE CASCADE) */
    int64_t *gone = NULL;
    size_t ngone = 0, capgone = 0;
    for (size_t i = 0; i < p->grant_ids.cap; i++) {
        const struct acl_gnode *n = p->grant_ids.slot[i].val;

        for (size_t j = 0; p->grant_ids.slot[i].key != 0 && j < n->n; j++)
            if (n->v[j].id == p->grant_ids.slot[i].key && n->v[j].gid == gid)
                ACL_PUSH(gone, ngone, capgone, n->v[j].id);
    }
    for (size_t i = 0; i < ngone; i++)
        acl_pic_grant_remove(p, gone[i]);
    free(gone);
    acl_map_del(&p->groups, gid);
    acl_group_free(g);
    acl_recompute_set(p, &set);
out:
    pthread_rwlock_unlock(&e->lock);
    acl_map_free(&set);
}

void
acl_engine_user_put(struct acl_engine *e, int64_t user)
{
    pthread_rwlock_wrlock(&e->lock);
    acl_user_get(e->pic, user, true);
    pthread_rwlock_unlock(&e->lock);
}

void
acl_engine_user_remove(struct acl_engine *e, int64_t user)
{
    struct acl_user *u;

    pthread_rwlock_wrlock(&e->lock);
    if ((u = acl_user_get(e->pic, user, false)) != NULL) {
        for (size_t i = 0; i < u->ndirect; i++) {
            struct acl_group *g = acl_group_get(e->pic, u->direct[i].gid, false);

            if (g != NULL && !u->direct[i].other)
                acl_ids_del(g->users, &g->nusers, user);
        }
        acl_map_del(&e->pic->users, user);
        acl_user_free(u);
    }
    pthread_rwlock_unlock(&e->lock);
}

void
acl_engine_grant_put(struct acl_engine *e, const struct stor_grant *g)
{
    pthread_rwlock_wrlock(&e->lock);
    acl_pic_grant_put(e->pic, g);
    pthread_rwlock_unlock(&e->lock);
}

void
acl_engine_grant_remove(struct acl_engine *e, int64_t id)
{
    pthread_rwlock_wrlock(&e->lock);
    acl_pic_grant_remove(e->pic, id);
    pthread_rwlock_unlock(&e->lock);
}

int
acl_engine_roles_reload(struct acl_engine *e, struct stor_db *db)
{
    struct acl_roles g = { 0 }, el = { 0 };
    int rc;

    if ((rc = stor_roles2_each(db, STOR_ROLES_GROUP, acl_load_role, &g)) < 0 ||
        (rc = stor_roles2_each(db, STOR_ROLES_ELEMENT, acl_load_role, &el)) < 0) {
        acl_roles_free(&g);
        acl_roles_free(&el);
        return rc;
    }
    pthread_rwlock_wrlock(&e->lock);
    /* indexes held by entries and grants must stay valid: update in place, append new */
    for (size_t i = 0; i < g.n; i++) {
        int k = acl_role_intern(&e->pic->groles, g.v[i].name);   /* may grow the array */

        e->pic->groles.v[k].fac = g.v[i].fac;
    }
    for (size_t i = 0; i < el.n; i++) {
        int k = acl_role_intern(&e->pic->eroles, el.v[i].name);

        e->pic->eroles.v[k].fac = el.v[i].fac;
    }
    /* a role that is gone leaves no faculty */
    for (size_t i = 0; i < e->pic->groles.n; i++)
        if (acl_role_index(&g, e->pic->groles.v[i].name) < 0)
            e->pic->groles.v[i].fac = 0;
    for (size_t i = 0; i < e->pic->eroles.n; i++)
        if (acl_role_index(&el, e->pic->eroles.v[i].name) < 0)
            e->pic->eroles.v[i].fac = 0;
    acl_recompute_all(e->pic);
    pthread_rwlock_unlock(&e->lock);
    acl_roles_free(&g);
    acl_roles_free(&el);
    return 0;
}

/* ---- names ---- */

static const char *const acl_fac_names[] = { "read", "write", "delete", "manage", "versions" };
static const char *const acl_gfac_names[] = { "read", "administer", "publish" };

static const char *
acl_name_of(const char *const *names, size_t n, unsigned bit)
{
    for (size_t i = 0; i < n; i++)
        if (bit == 1u << i)
            return names[i];
    return NULL;
}

static unsigned
acl_bit_of(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1u << i;
    return 0;
}

const char *
acl_faculty_name(unsigned bit)
{
    return acl_name_of(acl_fac_names, 5, bit);
}

unsigned
acl_faculty_parse(const char *name)
{
    return acl_bit_of(acl_fac_names, 5, name);
}

const char *
acl_group_faculty_name(unsigned bit)
{
    return acl_name_of(acl_gfac_names, 3, bit);
}

unsigned
acl_group_faculty_parse(const char *name)
{
    return acl_bit_of(acl_gfac_names, 3, name);
}

/* ---- explain ---- */

/* Appends a JSON string (escaped) to out. */
static void
acl_json_str(struct cf_buf *out, const char *s)
{
    cf_buf_addc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            cf_buf_addf(out, "\\%c", c);
        else if (c < 0x20)
            cf_buf_addf(out, "\\u%04x", c);
        else
            cf_buf_addc(out, (char)c);
    }
    cf_buf_addc(out, '"');
}

static void
acl_json_facs(struct cf_buf *out, unsigned f)
{
    bool first = true;

    cf_buf_addc(out, '[');
    for (unsigned b = 1; b <= ACL_VERSIONS; b <<= 1)
        if (f & b) {
            cf_buf_adds(out, first ? "" : ",");
            acl_json_str(out, acl_faculty_name(b));
            first = false;
        }
    cf_buf_addc(out, ']');
}

static const char *
acl_group_name(const struct acl_pic *p, int64_t gid)
{
    const struct acl_group *g = acl_map_get(&p->groups, gid);

    return g != NULL && g->name != NULL ? g->name : "?";
}

/*
 * Appends the chains of groups by which u reaches target with the read
 * faculty: each a JSON array of group names from the entry the user holds
 * to target, with the role of each hop.
 */
static void
acl_explain_chains(const struct acl_pic *p, const struct acl_user *u, int64_t target,
                   struct cf_buf *out)
{
    bool first = true;

    cf_buf_addc(out, '[');
    for (size_t i = 0; i < u->ndirect; i++) {
        const struct acl_direct *d = &u->direct[i];
        /* a depth-first walk up from this entry, keeping the chain */
        int64_t chain[32];
        int roles[32];
        size_t idx[32], depth = 0;

        chain[0] = d->gid;
        roles[0] = d->role;
        idx[0] = 0;
        for (;;) {
            const struct acl_group *g = acl_map_get(&p->groups, chain[depth]);

            if (chain[depth] == target && (p->groles.v[roles[depth]].fac & ACL_G_READ)) {
                cf_buf_adds(out, first ? "[" : ",[");
                first = false;
                for (size_t k = 0; k <= depth; k++) {
                    cf_buf_adds(out, k ? ",{\"group\":" : "{\"group\":");
                    acl_json_str(out, acl_group_name(p, chain[k]));
                    cf_buf_adds(out, ",\"role\":");
                    acl_json_str(out, p->groles.v[roles[k]].name);
                    if (k == 0)
                        cf_buf_adds(out, d->other ? ",\"section\":\"other\"" :
                                                    ",\"section\":\"member\"");
                    cf_buf_addc(out, '}');
                }
                cf_buf_addc(out, ']');
            }
            /* nesting travels only from member entries */
            bool can_go_up = !(depth == 0 && d->other) && g != NULL && depth + 1 < 32;
            if (can_go_up && idx[depth] < g->nup) {
                const struct acl_edge *up = &g->up[idx[depth]++];

                chain[depth + 1] = up->gid;
                roles[depth + 1] = up->role;
                idx[depth + 1] = 0;
                depth++;
                continue;
            }
            if (depth == 0)
                break;
            depth--;
        }
    }
    cf_buf_addc(out, ']');
}

unsigned
acl_engine_explain(struct acl_engine *e, struct stor_db *db, int64_t user,
                   const struct stor_repo *repo, const char *path, struct cf_buf *out)
{
    const struct acl_pic *p;
    const struct acl_user *u;
    uint64_t h = ACL_FNV0;
    size_t i = 0, len = strlen(path);
    unsigned total = 0;
    bool first = true;

    (void)db;
    pthread_rwlock_rdlock(&e->lock);
    p = e->pic;
    u = acl_map_get(&p->users, user);
    cf_buf_adds(out, "{\"grants\":[");
    for (;;) {
        const struct acl_gnode *n = u != NULL ? acl_gnode_find(p, repo->id, h, path, i) : NULL;

        for (size_t j = 0; n != NULL && j < n->n; j++) {
            const struct acl_eff *ef = acl_eff_find(u, n->v[j].gid);
            unsigned f = p->eroles.v[n->v[j].role].fac;

            if (ef == NULL || !(ef->fac & ACL_G_READ))
                continue;
            total |= f;
            cf_buf_adds(out, first ? "{" : ",{");
            first = false;
            cf_buf_addf(out, "\"id\":%" PRId64 ",\"path\":", n->v[j].id);
            acl_json_str(out, n->path);
            cf_buf_adds(out, ",\"group\":");
            acl_json_str(out, acl_group_name(p, n->v[j].gid));
            cf_buf_adds(out, ",\"role\":");
            acl_json_str(out, p->eroles.v[n->v[j].role].name);
            cf_buf_adds(out, ",\"faculties\":");
            acl_json_facs(out, f);
            cf_buf_adds(out, ",\"via\":");
            acl_explain_chains(p, u, n->v[j].gid, out);
            cf_buf_addc(out, '}');
        }
        if (i == len)
            break;
        size_t next = acl_next_prefix(path, len, i);

        h = acl_fnv(h, path + i, next - i);
        i = next;
    }
    cf_buf_adds(out, "],\"faculties\":");
    acl_json_facs(out, total);
    cf_buf_addc(out, '}');
    pthread_rwlock_unlock(&e->lock);
    return total;
}

/* ---- passwords ---- */

int
acl_password_hash(const char *pw, size_t len, unsigned long long ops, size_t mem,
                  char out[ACL_HASH_MAX])
{
    char tmp[crypto_pwhash_STRBYTES];

    if (crypto_pwhash_str_alg(tmp, pw, len, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -ENOMEM;
    memcpy(out, tmp, sizeof(tmp) < ACL_HASH_MAX ? sizeof(tmp) : ACL_HASH_MAX);
    out[ACL_HASH_MAX - 1] = '\0';
    sodium_memzero(tmp, sizeof(tmp));
    return 0;
}

bool
acl_password_verify(const char *hash, const char *pw, size_t len)
{
    if (hash == NULL || hash[0] == '\0')
        return false;
    return crypto_pwhash_str_verify(hash, pw, len) == 0;
}
