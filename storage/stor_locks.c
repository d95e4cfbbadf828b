/*
 * stor_locks.c: write locks (RFC 4918 6 and 7), kept in SQLite so they
 * survive a restart and are shared by every worker thread (and, later, by
 * several servers on one database).
 *
 * A lock is rooted at a path; with Depth: infinity it covers everything
 * beneath. Two locks conflict when one covers the other's root and either
 * is exclusive (6.1). Expired locks are ignored by every query and purged
 * when a new lock is taken.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "stor_int.h"
#include "coffer/log.h"
#include "coffer/banned.h"

bool
stor_lock_covers(const char *root, bool infinite, const char *path)
{
    size_t n = strlen(root);

    if (strcmp(root, path) == 0)
        return true;
    if (!infinite)
        return false;
    if (n == 0)
        return true;
    return strncmp(root, path, n) == 0 && path[n] == '/';
}

bool
stor_path_below(const char *root, const char *path)
{
    size_t n = strlen(path);

    if (n == 0)
        return root[0] != '\0';
    return strncmp(root, path, n) == 0 && root[n] == '/';
}

static void
stor_lock_from_row(sqlite3_stmt *st, struct stor_lock *lk)
{
    const char *tok = (const char *)sqlite3_column_text(st, 0);

    memset(lk, 0, sizeof(*lk));
    snprintf(lk->token, sizeof(lk->token), "%s", tok ? tok : "");
    lk->path = (const char *)sqlite3_column_text(st, 1);
    lk->infinite = sqlite3_column_int(st, 2) != 0;
    lk->scope = sqlite3_column_int(st, 3) ? STOR_LOCK_EXCLUSIVE : STOR_LOCK_SHARED;
    lk->owner = (const char *)sqlite3_column_text(st, 4);
    lk->principal = sqlite3_column_int64(st, 5);
    lk->timeout = sqlite3_column_int64(st, 6);
    lk->expires = sqlite3_column_int64(st, 7);
}

int
stor_locks_each(struct stor_db *db, struct stor_repo *repo, const char *path, bool below,
                stor_lock_fn fn, void *arg)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_LOCKS_OF_REPO);
    int rc, stop = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_lock lk;

        stor_lock_from_row(st, &lk);
        lk.repo = repo->id;
        if (stor_lock_covers(lk.path, lk.infinite, path) ||
            (below && stor_path_below(lk.path, path)))
            stop = fn(arg, &lk);
    }
    stor_stmt_done(st);
    if (stop != 0)
        return stop < 0 ? stop : 0;
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
}

/* A version 4 UUID (RFC 4122 4.4) as a lock token (RFC 4918 20.1 allows
 * opaquelocktoken: with a UUID). */
static void
stor_lock_token(char *out, size_t cap)
{
    unsigned char u[16];

    randombytes_buf(u, sizeof(u));
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    snprintf(out, cap, "opaquelocktoken:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
             u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

int
stor_lock_create(struct stor_db *db, struct stor_repo *repo, struct stor_lock *lk,
                 struct cf_pool *pool, const char **conflict_path)
{
    sqlite3_stmt *st;
    time_t now = time(NULL);
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    if ((st = stor_stmt(db, STOR_SQL_LOCKS_PURGE)) != NULL) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
        sqlite3_step(st);
        stor_stmt_done(st);
    }
    /* RFC 4918 6.1: one exclusive lock, or any number of shared ones */
    if ((st = stor_stmt(db, STOR_SQL_LOCKS_OF_REPO)) == NULL) {
        rc = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, repo->id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
    rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct stor_lock other;

        stor_lock_from_row(st, &other);
        bool overlap = stor_lock_covers(other.path, other.infinite, lk->path) ||
                       stor_lock_covers(lk->path, lk->infinite, other.path);
        if (overlap && (other.scope == STOR_LOCK_EXCLUSIVE ||
                        lk->scope == STOR_LOCK_EXCLUSIVE)) {
            if (conflict_path != NULL)
                *conflict_path = cf_pool_strndup(pool, other.path, strlen(other.path));
            rc = -EBUSY;
        }
    }
    stor_stmt_done(st);
    if (rc < 0)
        goto fail;
    stor_lock_token(lk->token, sizeof(lk->token));
    lk->repo = repo->id;
    lk->expires = (int64_t)now + lk->timeout;
    if ((st = stor_stmt(db, STOR_SQL_LOCK_INSERT)) == NULL) {
        rc = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, lk->token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, repo->id);
    sqlite3_bind_text(st, 3, lk->path, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, lk->infinite);
    sqlite3_bind_int(st, 5, lk->scope == STOR_LOCK_EXCLUSIVE);
    if (lk->owner != NULL)
        sqlite3_bind_text(st, 6, lk->owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, lk->principal);
    sqlite3_bind_int64(st, 8, lk->timeout);
    sqlite3_bind_int64(st, 9, lk->expires);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)now);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE) {
        rc = stor_sqlite_err(db, rc, __func__);
        goto fail;
    }
    return stor_db_commit(db);
fail:
    stor_db_rollback(db);
    return rc;
}

int
stor_lock_get(struct stor_db *db, const char *token, struct cf_pool *pool,
              struct stor_lock *out)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_LOCK_GET);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        stor_lock_from_row(st, out);
        out->path = cf_pool_strndup(pool, out->path, strlen(out->path));
        if (out->owner != NULL)
            out->owner = cf_pool_strndup(pool, out->owner, strlen(out->owner));
        out->repo = sqlite3_column_int64(st, 8);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : stor_sqlite_err(db, rc, __func__);
    }
    stor_stmt_done(st);
    return rc;
}

int
stor_lock_refresh(struct stor_db *db, const char *token, int64_t timeout, int64_t *expires)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_LOCK_REFRESH);
    time_t now = time(NULL);
    int rc;

    if (st == NULL)
        return -EIO;
    *expires = (int64_t)now + timeout;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, timeout);
    sqlite3_bind_int64(st, 3, *expires);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int
stor_lock_remove(struct stor_db *db, const char *token)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_LOCK_DELETE);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int
stor_locks_remove_tree(struct stor_db *db, struct stor_repo *repo, const char *path)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_LOCKS_DELETE_TREE);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
}
