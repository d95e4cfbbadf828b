/*
 * stor_db.c: the SQLite connection of one thread, its prepared statements,
 * schema migrations, and the user rows.
 *
 * Settings: WAL (readers never wait for the writer, and cofferctl can work
 * while the server runs), synchronous=NORMAL (in WAL mode a crash of the
 * process loses nothing; a power cut can lose the last transactions, never
 * corrupt the file), foreign keys on, a busy timeout so that writers from
 * the other threads queue instead of failing.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stor_int.h"
#include "coffer/log.h"
#include "coffer/banned.h"

static const char *const stor_sql_text[STOR_SQL_COUNT] = {
    [STOR_SQL_USER_BY_LOGIN] =
        "SELECT " STOR_USER_COLS " FROM users WHERE login = ?1",
    [STOR_SQL_USER_BY_ID] =
        "SELECT " STOR_USER_COLS " FROM users WHERE id = ?1",
    [STOR_SQL_USER_INSERT] =
        "INSERT INTO users (login, display_name, email, role, pw_hash, created) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STOR_SQL_USER_SET_PW] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1",
    [STOR_SQL_USER_COUNT] = "SELECT count(*) FROM users",
    [STOR_SQL_REPO_ALL] = "SELECT id, name, owner, quota FROM repos ORDER BY name",
    [STOR_SQL_REPO_INSERT] =
        "INSERT INTO repos (name, owner, quota, created) VALUES (?1, ?2, ?3, ?4)",
    [STOR_SQL_NODE_GET] = "SELECT id FROM nodes WHERE repo = ?1 AND dir = ?2 AND name = ?3",
    [STOR_SQL_NODE_INSERT] = "INSERT INTO nodes (repo, dir, name) VALUES (?1, ?2, ?3)",
    [STOR_SQL_PROPS_OF_NODE] =
        "SELECT p.ns, p.name, p.lang, p.xml, p.value FROM nodes n JOIN props p ON p.node = n.id "
        "WHERE n.repo = ?1 AND n.dir = ?2 AND n.name = ?3",
    [STOR_SQL_PROPS_OF_CHILDREN] =
        "SELECT n.name, p.ns, p.name, p.lang, p.xml, p.value FROM nodes n "
        "JOIN props p ON p.node = n.id WHERE n.repo = ?1 AND n.dir = ?2 AND n.name <> ''",
    [STOR_SQL_PROP_SET] =
        "INSERT INTO props (node, ns, name, lang, xml, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (node, ns, name) DO UPDATE SET lang = excluded.lang, xml = excluded.xml, "
        "value = excluded.value",
    [STOR_SQL_PROP_REMOVE] = "DELETE FROM props WHERE node = ?1 AND ns = ?2 AND name = ?3",
    /* ?1 repo ?2 dir ?3 name -> ?4 repo ?5 dir ?6 name */
    [STOR_SQL_NODE_MOVE_ONE] =
        "UPDATE nodes SET repo = ?4, dir = ?5, name = ?6 WHERE repo = ?1 AND dir = ?2 AND name = ?3",
    /* members of ?2 (a path) -> ?4 repo, ?3 new path; '/' < '0' bounds the prefix */
    [STOR_SQL_NODE_MOVE_BELOW] =
        "UPDATE nodes SET repo = ?4, dir = ?3 || substr(dir, length(?2) + 1) "
        "WHERE repo = ?1 AND (dir = ?2 OR (dir >= ?2 || '/' AND dir < ?2 || '0'))",
    [STOR_SQL_NODE_DELETE_ONE] = "DELETE FROM nodes WHERE repo = ?1 AND dir = ?2 AND name = ?3",
    [STOR_SQL_NODE_DELETE_BELOW] =
        "DELETE FROM nodes WHERE repo = ?1 AND (dir = ?2 OR (dir >= ?2 || '/' AND dir < ?2 || '0'))",
    [STOR_SQL_NODES_COPY_SELECT] =
        "SELECT id, dir, name FROM nodes WHERE repo = ?1 AND "
        "((dir = ?2 AND name = ?3) OR (?5 AND (?4 = '' OR dir = ?4 OR "
        "(dir >= ?4 || '/' AND dir < ?4 || '0')))) "
        "AND EXISTS (SELECT 1 FROM props WHERE node = nodes.id)",
    [STOR_SQL_PROPS_COPY] =
        "INSERT OR REPLACE INTO props (node, ns, name, lang, xml, value) "
        "SELECT ?2, ns, name, lang, xml, value FROM props WHERE node = ?1",
    [STOR_SQL_LOCKS_OF_REPO] =
        "SELECT token, path, infinite, exclusive, owner, principal, timeout, expires "
        "FROM locks WHERE repo = ?1 AND expires > ?2",
    [STOR_SQL_LOCK_INSERT] =
        "INSERT INTO locks (token, repo, path, infinite, exclusive, owner, principal, timeout, "
        "expires, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [STOR_SQL_LOCK_GET] =
        "SELECT token, path, infinite, exclusive, owner, principal, timeout, expires, repo "
        "FROM locks WHERE token = ?1 AND expires > ?2",
    [STOR_SQL_LOCK_REFRESH] =
        "UPDATE locks SET timeout = ?2, expires = ?3 WHERE token = ?1 AND expires > ?4",
    [STOR_SQL_LOCK_DELETE] = "DELETE FROM locks WHERE token = ?1",
    [STOR_SQL_LOCKS_DELETE_TREE] =
        "DELETE FROM locks WHERE repo = ?1 AND (path = ?2 OR ?2 = '' OR "
        "(path >= ?2 || '/' AND path < ?2 || '0'))",
    [STOR_SQL_LOCKS_PURGE] = "DELETE FROM locks WHERE expires <= ?1",
};

int
stor_sqlite_err(struct stor_db *db, int rc, const char *what)
{
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        CF_LOG(CF_LOG_WARN, "%s: database busy", what);
        return -EBUSY;
    }
    if (rc == SQLITE_CONSTRAINT)
        return db != NULL && sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_FOREIGNKEY
                   ? -ENOENT : -EEXIST;     /* a missing owner, or a duplicate */
    if (rc == SQLITE_FULL)
        return -ENOSPC;
    cf_log(CF_LOG_ERR, "%s: sqlite: %s", what, db ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
    return -EIO;
}

sqlite3_stmt *
stor_stmt(struct stor_db *db, enum stor_sql id)
{
    if (db->stmt[id] == NULL) {
        int rc = sqlite3_prepare_v3(db->h, stor_sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &db->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            cf_log(CF_LOG_ERR, "%s: preparing statement %d: %s", __func__, (int)id,
                   sqlite3_errmsg(db->h));
            return NULL;
        }
    }
    return db->stmt[id];
}

sqlite3_stmt *
stor_sql(struct stor_db *db, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 3) % STOR_SQL_CACHE;

    for (size_t i = 0; i < STOR_SQL_CACHE; i++) {
        struct stor_sql_slot *s = &db->cache[(h + i) % STOR_SQL_CACHE];

        if (s->sql == sql)
            return s->st;
        if (s->sql == NULL) {
            int rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);

            if (rc != SQLITE_OK) {
                cf_log(CF_LOG_ERR, "%s: preparing '%.60s...': %s", __func__, sql,
                       sqlite3_errmsg(db->h));
                s->st = NULL;
                return NULL;
            }
            s->sql = sql;
            return s->st;
        }
    }
    cf_log(CF_LOG_ERR, "%s: more than %d distinct statements", __func__, STOR_SQL_CACHE);
    return NULL;
}

int
stor_exec(struct stor_db *db, sqlite3_stmt *st, const char *what)
{
    int rc;

    if (st == NULL)
        return -EIO;
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return stor_sqlite_err(db, rc, what);
    return 0;
}

int
stor_change(struct stor_db *db, sqlite3_stmt *st, const char *what)
{
    int rc;

    if (st == NULL)
        return -EIO;
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, what);
    return sqlite3_changes(db->h) > 0 ? 0 : -ENOENT;
}

int
stor_walk_end(struct stor_db *db, sqlite3_stmt *st, int rc, int cb, const char *what)
{
    stor_stmt_done(st);
    if (cb != 0)
        return cb < 0 ? cb : 0;     /* the callback stopped the walk */
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, what);
}

char *
stor_col_text(sqlite3_stmt *st, int col, struct cf_pool *pool)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    if (t == NULL)
        return NULL;
    return cf_pool_strndup(pool, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

void
stor_stmt_done(sqlite3_stmt *st)
{
    if (st != NULL) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

int
stor_db_schema_version(void)
{
    return stor_schema_nsteps;
}

static int
stor_db_exec(struct stor_db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        cf_log(CF_LOG_ERR, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return rc == SQLITE_BUSY ? -EBUSY : -EIO;
    }
    return 0;
}

static int
stor_db_user_version(struct stor_db *db, int *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL);

    if (rc != SQLITE_OK)
        return stor_sqlite_err(db, rc, __func__);
    rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : stor_sqlite_err(db, rc, __func__);
}

static int
stor_db_migrate(struct stor_db *db)
{
    int first = -1;             /* the version found: a new database logs nothing */

    for (;;) {
        int v, rc;
        char sql[64];

        if ((rc = stor_db_exec(db, "BEGIN IMMEDIATE")) < 0)
            return rc;
        if ((rc = stor_db_user_version(db, &v)) < 0)
            goto fail;
        if (first < 0)
            first = v;
        if (v > stor_schema_nsteps) {
            cf_log(CF_LOG_ERR, "the database has schema %d, newer than this Coffer "
                   "(schema %d): use the Coffer that wrote it", v, stor_schema_nsteps);
            rc = -EPROTO;
            goto fail;
        }
        if (v == stor_schema_nsteps) {
            stor_db_exec(db, "COMMIT");
            return 0;
        }
        if ((rc = stor_db_exec(db, stor_schema_steps[v])) < 0)
            goto fail;
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if ((rc = stor_db_exec(db, sql)) < 0 || (rc = stor_db_exec(db, "COMMIT")) < 0)
            goto fail;
        if (first > 0)
            cf_log(CF_LOG_INFO, "database schema moved from %d to %d", v, v + 1);
        continue;
fail:
        stor_db_exec(db, "ROLLBACK");
        return rc;
    }
}

int
stor_db_mark(struct stor_db *db, struct stor_db_mark *m)
{
    sqlite3_stmt *st = stor_sql(db, "PRAGMA data_version");
    int rc;

    if (st == NULL)
        return -EIO;
    rc = sqlite3_step(st);
    m->version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    stor_stmt_done(st);
    m->changes = sqlite3_total_changes64(db->h);
    return rc == SQLITE_ROW ? 0 : stor_sqlite_err(db, rc, __func__);
}

int
stor_db_open(const char *path, struct stor_db **out)
{
    struct stor_db *db = cf_xcalloc(1, sizeof(*db));
    int rc;

    rc = sqlite3_open_v2(path, &db->h,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        cf_log(CF_LOG_ERR, "cannot open the database '%s': %s", path,
               db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
        sqlite3_close(db->h);
        free(db);
        return -EIO;
    }
    sqlite3_busy_timeout(db->h, 10000);
    if ((rc = stor_db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                               "PRAGMA foreign_keys = ON;")) < 0 ||
        (rc = stor_db_migrate(db)) < 0) {
        stor_db_free(db);
        return rc;
    }
    *out = db;
    return 0;
}

void
stor_db_free(struct stor_db *db)
{
    if (db == NULL)
        return;
    for (int i = 0; i < STOR_SQL_COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    for (int i = 0; i < STOR_SQL_CACHE; i++)
        sqlite3_finalize(db->cache[i].st);
    sqlite3_close(db->h);
    free(db);
}

/*
 * Transactions nest: the outermost is BEGIN IMMEDIATE (the writer lock at
 * once, so no deadlock upgrading later), the inner ones are savepoints, so
 * that an inner failure undoes only its own work and the caller decides.
 */
int
stor_db_begin(struct stor_db *db)
{
    char sql[32];
    int rc;

    if (db->depth == 0) {
        rc = stor_db_exec(db, "BEGIN IMMEDIATE");
    } else {
        snprintf(sql, sizeof(sql), "SAVEPOINT s%d", db->depth);
        rc = stor_db_exec(db, sql);
    }
    if (rc == 0)
        db->depth++;
    return rc;
}

int
stor_db_commit(struct stor_db *db)
{
    char sql[32];
    int rc;

    if (db->depth == 0)
        return 0;
    db->depth--;
    if (db->depth > 0) {
        snprintf(sql, sizeof(sql), "RELEASE s%d", db->depth);
        return stor_db_exec(db, sql);
    }
    rc = stor_db_exec(db, "COMMIT");
    if (rc < 0)
        stor_db_exec(db, "ROLLBACK");
    return rc;
}

void
stor_db_rollback(struct stor_db *db)
{
    char sql[64];

    if (db->depth == 0)
        return;
    db->depth--;
    if (db->depth > 0) {
        snprintf(sql, sizeof(sql), "ROLLBACK TO s%d; RELEASE s%d", db->depth, db->depth);
        stor_db_exec(db, sql);
        return;
    }
    stor_db_exec(db, "ROLLBACK");
}

/* ---- users ---- */

static char *
stor_col_dup(sqlite3_stmt *st, int col, struct cf_pool *pool)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    if (t == NULL)
        return NULL;
    return cf_pool_strndup(pool, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

void
stor_user_from_row(sqlite3_stmt *st, struct cf_pool *pool, struct stor_user *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->login = stor_col_dup(st, 1, pool);
    out->display_name = stor_col_dup(st, 2, pool);
    out->email = stor_col_dup(st, 3, pool);
    out->role = stor_col_dup(st, 4, pool);
    out->pw_hash = stor_col_dup(st, 5, pool);
    out->status = stor_col_dup(st, 6, pool);
    out->created = sqlite3_column_int64(st, 7);
    out->contact = sqlite3_column_int64(st, 8);
    out->blocked_until = sqlite3_column_int64(st, 9);
    out->last_login = sqlite3_column_int64(st, 10);
    out->totp_secret = stor_col_dup(st, 11, pool);
    out->totp_on = sqlite3_column_int(st, 12) != 0;
    out->totp_last = sqlite3_column_int64(st, 13);
}

static int
stor_user_row(struct stor_db *db, sqlite3_stmt *st, struct cf_pool *pool,
              struct stor_user *out)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        stor_user_from_row(st, pool, out);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = -ENOENT;
    } else {
        rc = stor_sqlite_err(db, rc, __func__);
    }
    stor_stmt_done(st);
    return rc;
}

int
stor_user_get(struct stor_db *db, struct cf_str login, struct cf_pool *pool,
              struct stor_user *out)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_USER_BY_LOGIN);

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, login.p, (int)login.len, SQLITE_STATIC);
    return stor_user_row(db, st, pool, out);
}

int
stor_user_get_by_id(struct stor_db *db, int64_t id, struct cf_pool *pool,
                    struct stor_user *out)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_USER_BY_ID);

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return stor_user_row(db, st, pool, out);
}

int
stor_user_create(struct stor_db *db, const char *login, const char *display_name,
                 const char *email, const char *role, const char *pw_hash, int64_t *id)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_USER_INSERT);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, display_name ? display_name : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, email ? email : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
    if (pw_hash != NULL)
        sqlite3_bind_text(st, 5, pw_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

int
stor_user_set_password(struct stor_db *db, int64_t id, const char *pw_hash)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_USER_SET_PW);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, pw_hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    return sqlite3_changes(db->h) ? 0 : -ENOENT;
}

int
stor_user_count(struct stor_db *db, int64_t *n)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_USER_COUNT);
    int rc;

    if (st == NULL)
        return -EIO;
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    stor_stmt_done(st);
    return rc == SQLITE_ROW ? 0 : stor_sqlite_err(db, rc, __func__);
}

void
stor_path_split(const char *path, struct cf_str *dir, struct cf_str *name)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        *dir = cf_str_make(path, 0);
        *name = cf_str_from(path);
    } else {
        *dir = cf_str_make(path, (size_t)(slash - path));
        *name = cf_str_from(slash + 1);
    }
}
