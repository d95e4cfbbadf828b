/*
 * stor_repo.c: the registry of repositories. Each repository is a row in
 * repos and a directory data/repos/<id>/ (named by id, so a rename never
 * moves files), opened once as an O_PATH directory fd that every file
 * operation starts from. The registry is shared by the worker threads:
 * lookups take a read lock, creation a write lock, and repository objects
 * live until the registry is freed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stor_int.h"
#include "coffer/log.h"
#include "coffer/banned.h"

struct stor_repos {
    pthread_rwlock_t lock;
    int reposfd;                /* data/repos */
    struct stor_repo **v;       /* sorted by name */
    size_t n, cap;
    struct stor_repo **gone;    /* removed, freed with the registry */
    size_t ngone;
};

bool
stor_repo_name_ok(struct cf_str name)
{
    if (name.len == 0 || name.len > 64 || name.p[0] == '.')
        return false;
    for (size_t i = 0; i < name.len; i++) {
        char c = name.p[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

static int
stor_repo_cmp(const void *a, const void *b)
{
    const struct stor_repo *x = *(struct stor_repo *const *)a;
    const struct stor_repo *y = *(struct stor_repo *const *)b;

    return strcmp(x->name, y->name);
}

static int
stor_repo_open_root(struct stor_repos *repos, struct stor_repo *r, bool create)
{
    char name[32];

    snprintf(name, sizeof(name), "%lld", (long long)r->id);
    if (create && mkdirat(repos->reposfd, name, 0750) < 0 && errno != EEXIST)
        return -errno;
    r->rootfd = openat(repos->reposfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (r->rootfd < 0) {
        int err = errno;

        if (err == ENOENT && !create) {
            /* the row outlived its directory (a partial restore?): recreate it */
            cf_log(CF_LOG_WARN, "repository '%s': directory repos/%s was missing; "
                   "created it empty", r->name, name);
            return stor_repo_open_root(repos, r, true);
        }
        return -err;
    }
    return 0;
}

static void
stor_repos_insert(struct stor_repos *repos, struct stor_repo *r)
{
    if (repos->n == repos->cap) {
        repos->cap = repos->cap ? repos->cap * 2 : 16;
        repos->v = cf_xrealloc(repos->v, repos->cap * sizeof(*repos->v));
    }
    repos->v[repos->n++] = r;
    qsort(repos->v, repos->n, sizeof(*repos->v), stor_repo_cmp);
}

/* True-ish: r itself when it is in the registry (lock held). */
static struct stor_repo *
stor_repos_find_locked(struct stor_repos *repos, const struct stor_repo *r)
{
    for (size_t i = 0; i < repos->n; i++)
        if (repos->v[i] == r)
            return repos->v[i];
    return NULL;
}

static void
stor_repo_free(struct stor_repo *r)
{
    if (r->rootfd >= 0)
        close(r->rootfd);
    free(r->name);
    free(r);
}

int
stor_repos_open(const char *data_dir, struct stor_db *db, struct stor_repos **out)
{
    struct stor_repos *repos = cf_xcalloc(1, sizeof(*repos));
    char path[PATH_MAX];
    sqlite3_stmt *st;
    int rc;

    pthread_rwlock_init(&repos->lock, NULL);
    if ((size_t)snprintf(path, sizeof(path), "%s/repos", data_dir) >= sizeof(path)) {
        free(repos);
        return -ENAMETOOLONG;
    }
    if (mkdir(path, 0750) < 0 && errno != EEXIST) {
        rc = -errno;
        cf_log_errno(CF_LOG_ERR, "cannot create '%s'", path);
        free(repos);
        return rc;
    }
    repos->reposfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (repos->reposfd < 0) {
        rc = -errno;
        cf_log_errno(CF_LOG_ERR, "cannot open '%s'", path);
        free(repos);
        return rc;
    }
    if ((st = stor_stmt(db, STOR_SQL_REPO_ALL)) == NULL) {
        stor_repos_free(repos);
        return -EIO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_repo *r = cf_xcalloc(1, sizeof(*r));

        r->id = sqlite3_column_int64(st, 0);
        r->name = cf_xstrdup((const char *)sqlite3_column_text(st, 1));
        r->owner = sqlite3_column_int64(st, 2);
        r->quota = (uint64_t)sqlite3_column_int64(st, 3);
        atomic_init(&r->used, -1);
        r->rootfd = -1;
        int err = stor_repo_open_root(repos, r, false);
        if (err < 0) {
            errno = -err;
            cf_log_errno(CF_LOG_ERR, "repository '%s': cannot open its directory", r->name);
            stor_repo_free(r);
            stor_stmt_done(st);
            stor_repos_free(repos);
            return err;
        }
        stor_repos_insert(repos, r);
    }
    stor_stmt_done(st);
    if (rc != SQLITE_DONE) {
        stor_repos_free(repos);
        return stor_sqlite_err(db, rc, __func__);
    }
    *out = repos;
    return 0;
}

void
stor_repos_free(struct stor_repos *repos)
{
    if (repos == NULL)
        return;
    for (size_t i = 0; i < repos->n; i++)
        stor_repo_free(repos->v[i]);
    for (size_t i = 0; i < repos->ngone; i++)
        stor_repo_free(repos->gone[i]);
    free(repos->v);
    free(repos->gone);
    if (repos->reposfd >= 0)
        close(repos->reposfd);
    pthread_rwlock_destroy(&repos->lock);
    free(repos);
}

struct stor_repo *
stor_repos_find(struct stor_repos *repos, struct cf_str name)
{
    struct stor_repo *found = NULL;
    size_t lo = 0, hi;

    pthread_rwlock_rdlock(&repos->lock);
    hi = repos->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *n = repos->v[mid]->name;
        size_t nl = strlen(n);
        int c = memcmp(n, name.p, nl < name.len ? nl : name.len);

        if (c == 0)
            c = nl < name.len ? -1 : nl > name.len;
        if (c == 0) {
            found = repos->v[mid];
            break;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    pthread_rwlock_unlock(&repos->lock);
    return found;
}

struct stor_repo *
stor_repos_find_id(struct stor_repos *repos, int64_t id)
{
    struct stor_repo *found = NULL;

    pthread_rwlock_rdlock(&repos->lock);
    for (size_t i = 0; i < repos->n && found == NULL; i++)
        if (repos->v[i]->id == id)
            found = repos->v[i];
    pthread_rwlock_unlock(&repos->lock);
    return found;
}

int
stor_repos_each(struct stor_repos *repos, int (*fn)(struct stor_repo *, void *), void *arg)
{
    int rc = 0;

    pthread_rwlock_rdlock(&repos->lock);
    for (size_t i = 0; i < repos->n && rc == 0; i++)
        rc = fn(repos->v[i], arg);
    pthread_rwlock_unlock(&repos->lock);
    return rc;
}

int
stor_repo_create(struct stor_repos *repos, struct stor_db *db, const char *name,
                 int64_t owner, uint64_t quota, struct stor_repo **out)
{
    struct stor_repo *r;
    sqlite3_stmt *st;
    int rc;

    if (!stor_repo_name_ok(cf_str_from(name)))
        return -EINVAL;
    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    if ((st = stor_stmt(db, STOR_SQL_REPO_INSERT)) == NULL) {
        stor_db_rollback(db);
        return -EIO;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (owner > 0)
        sqlite3_bind_int64(st, 2, owner);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)quota);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE) {
        stor_db_rollback(db);
        return stor_sqlite_err(db, rc, __func__);
    }
    r = cf_xcalloc(1, sizeof(*r));
    r->id = sqlite3_last_insert_rowid(db->h);
    r->name = cf_xstrdup(name);
    r->owner = owner;
    r->quota = quota;
    r->rootfd = -1;
    atomic_init(&r->used, 0);
    if ((rc = stor_repo_open_root(repos, r, true)) < 0) {
        stor_db_rollback(db);
        stor_repo_free(r);
        return rc;
    }
    if ((rc = stor_db_commit(db)) < 0) {
        stor_repo_free(r);
        return rc;
    }
    pthread_rwlock_wrlock(&repos->lock);
    /* a stor_repos_sync() since the commit may have added it already */
    for (size_t i = 0; i < repos->n; i++)
        if (repos->v[i]->id == r->id) {
            stor_repo_free(r);
            r = repos->v[i];
            break;
        }
    if (r->name != NULL && stor_repos_find_locked(repos, r) == NULL)
        stor_repos_insert(repos, r);
    pthread_rwlock_unlock(&repos->lock);
    if (out != NULL)
        *out = r;
    return 0;
}

uint64_t
stor_repo_usage(struct stor_repo *repo)
{
    long long used = atomic_load(&repo->used);
    uint64_t n = 0;

    if (used >= 0)
        return (uint64_t)used;
    /* first use: walk once; concurrent walkers agree on the result */
    if (stor_tree_size(repo, "", &n) < 0)
        return 0;
    long long expect = -1;
    atomic_compare_exchange_strong(&repo->used, &expect, (long long)n);
    used = atomic_load(&repo->used);
    return used >= 0 ? (uint64_t)used : n;
}

void
stor_repo_usage_add(struct stor_repo *repo, int64_t delta)
{
    long long cur = atomic_load(&repo->used);

    /* while unknown, the first walk will count the change */
    while (cur >= 0) {
        long long next = cur + delta < 0 ? 0 : cur + delta;

        if (atomic_compare_exchange_weak(&repo->used, &cur, next))
            break;
    }
}

int
stor_repo_delete_row(struct stor_db *db, struct stor_repo *repo)
{
    sqlite3_stmt *st = stor_sql(db, "DELETE FROM repos WHERE id = ?1");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    return stor_exec(db, st, __func__);
}

void
stor_repos_forget(struct stor_repos *repos, struct stor_repo *repo, bool delete_files)
{
    char name[32], moved[48];

    pthread_rwlock_wrlock(&repos->lock);
    for (size_t i = 0; i < repos->n; i++) {
        if (repos->v[i] != repo)
            continue;
        memmove(&repos->v[i], &repos->v[i + 1], (repos->n - i - 1) * sizeof(*repos->v));
        repos->n--;
        repos->gone = cf_xrealloc(repos->gone, (repos->ngone + 1) * sizeof(*repos->gone));
        repos->gone[repos->ngone++] = repo;
        break;
    }
    pthread_rwlock_unlock(&repos->lock);
    /* the row is gone: what is left on disk is not reachable any more */
    snprintf(name, sizeof(name), "%lld", (long long)repo->id);
    snprintf(moved, sizeof(moved), "%lld.removed", (long long)repo->id);
    if (renameat(repos->reposfd, name, repos->reposfd, moved) < 0) {
        cf_log_errno(CF_LOG_WARN, "repository '%s': cannot rename repos/%s", repo->name, name);
        return;
    }
    if (delete_files && stor_tree_remove(repos->reposfd, moved) < 0)
        cf_log(CF_LOG_WARN, "repository '%s': some files of repos/%s were left", repo->name,
               moved);
}

int
stor_repo_remove(struct stor_repos *repos, struct stor_db *db, struct stor_repo *repo,
                 bool delete_files)
{
    int rc = stor_repo_delete_row(db, repo);

    if (rc == 0)
        stor_repos_forget(repos, repo, delete_files);
    return rc;
}

int
stor_repo_set_quota(struct stor_repos *repos, struct stor_db *db, struct stor_repo *repo,
                    uint64_t quota)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE repos SET quota = ?2 WHERE id = ?1");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)quota);
    if ((rc = stor_exec(db, st, __func__)) < 0)
        return rc;
    pthread_rwlock_wrlock(&repos->lock);
    repo->quota = quota;
    pthread_rwlock_unlock(&repos->lock);
    return 0;
}

int
stor_repo_set_owner(struct stor_repos *repos, struct stor_db *db, struct stor_repo *repo,
                    int64_t owner)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE repos SET owner = ?2 WHERE id = ?1");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    sqlite3_bind_int64(st, 2, owner);
    if ((rc = stor_exec(db, st, __func__)) < 0)
        return rc;
    pthread_rwlock_wrlock(&repos->lock);
    repo->owner = owner;
    pthread_rwlock_unlock(&repos->lock);
    return 0;
}

int
stor_repos_owned(struct stor_repos *repos, int64_t user, int (*fn)(struct stor_repo *, void *),
                 void *arg)
{
    struct stor_repo **mine;
    size_t n = 0;
    int rc = 0;

    /* copied first: fn may remove the repository it is given */
    pthread_rwlock_rdlock(&repos->lock);
    mine = cf_xcalloc(repos->n + 1, sizeof(*mine));
    for (size_t i = 0; i < repos->n; i++)
        if (repos->v[i]->owner == user)
            mine[n++] = repos->v[i];
    pthread_rwlock_unlock(&repos->lock);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(mine[i], arg);
    free(mine);
    return rc;
}

int
stor_repos_sync(struct stor_repos *repos, struct stor_db *db)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_REPO_ALL);
    bool *seen;
    int rc;

    if (st == NULL)
        return -EIO;
    pthread_rwlock_wrlock(&repos->lock);
    seen = cf_xcalloc(repos->n + 1, sizeof(*seen));
    size_t n0 = repos->n;       /* rows added below are not in seen[] */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        struct stor_repo *r = NULL;

        for (size_t i = 0; i < n0; i++)
            if (repos->v[i]->id == id) {
                r = repos->v[i];
                seen[i] = true;
                break;
            }
        if (r != NULL) {
            r->owner = sqlite3_column_int64(st, 2);
            r->quota = (uint64_t)sqlite3_column_int64(st, 3);
            continue;
        }
        r = cf_xcalloc(1, sizeof(*r));
        r->id = id;
        r->name = cf_xstrdup((const char *)sqlite3_column_text(st, 1));
        r->owner = sqlite3_column_int64(st, 2);
        r->quota = (uint64_t)sqlite3_column_int64(st, 3);
        atomic_init(&r->used, -1);
        r->rootfd = -1;
        if (stor_repo_open_root(repos, r, false) < 0) {
            cf_log(CF_LOG_WARN, "repository '%s': cannot open its directory", r->name);
            stor_repo_free(r);
            continue;
        }
        /* appended unsorted for now; n0 keeps the loop above to the old ones */
        if (repos->n == repos->cap) {
            repos->cap = repos->cap ? repos->cap * 2 : 16;
            repos->v = cf_xrealloc(repos->v, repos->cap * sizeof(*repos->v));
        }
        repos->v[repos->n++] = r;
    }
    stor_stmt_done(st);
    if (rc == SQLITE_DONE) {
        /* rows gone from the database leave the registry (kept alive until freed) */
        size_t w = 0;
        for (size_t i = 0; i < repos->n; i++) {
            if (i < n0 && !seen[i]) {
                repos->gone = cf_xrealloc(repos->gone,
                                          (repos->ngone + 1) * sizeof(*repos->gone));
                repos->gone[repos->ngone++] = repos->v[i];
                continue;
            }
            repos->v[w++] = repos->v[i];
        }
        repos->n = w;
        rc = 0;
    } else {
        rc = stor_sqlite_err(db, rc, __func__);
    }
    qsort(repos->v, repos->n, sizeof(*repos->v), stor_repo_cmp);
    pthread_rwlock_unlock(&repos->lock);
    free(seen);
    return rc;
}
