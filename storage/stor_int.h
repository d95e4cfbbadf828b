/*
 * stor_int.h: what the storage files share and nobody else sees.
 */
#ifndef COFFER_STOR_INT_H
#define COFFER_STOR_INT_H

#include <sqlite3.h>

#include "coffer/storage.h"

/* Every statement storage runs, prepared once per connection on first use. */
enum stor_sql {
    STOR_SQL_USER_BY_LOGIN,
    STOR_SQL_USER_BY_ID,
    STOR_SQL_USER_INSERT,
    STOR_SQL_USER_SET_PW,
    STOR_SQL_USER_COUNT,
    STOR_SQL_REPO_ALL,
    STOR_SQL_REPO_INSERT,
    STOR_SQL_NODE_GET,
    STOR_SQL_NODE_INSERT,
    STOR_SQL_PROPS_OF_NODE,
    STOR_SQL_PROPS_OF_CHILDREN,
    STOR_SQL_PROP_SET,
    STOR_SQL_PROP_REMOVE,
    STOR_SQL_NODE_MOVE_ONE,
    STOR_SQL_NODE_MOVE_BELOW,
    STOR_SQL_NODE_DELETE_ONE,
    STOR_SQL_NODE_DELETE_BELOW,
    STOR_SQL_NODES_COPY_SELECT,
    STOR_SQL_PROPS_COPY,
    STOR_SQL_LOCKS_OF_REPO,
    STOR_SQL_LOCK_INSERT,
    STOR_SQL_LOCK_GET,
    STOR_SQL_LOCK_REFRESH,
    STOR_SQL_LOCK_DELETE,
    STOR_SQL_LOCKS_DELETE_TREE,
    STOR_SQL_LOCKS_PURGE,
    STOR_SQL_COUNT
};

#define STOR_SQL_CACHE 256       /* statements prepared by stor_sql() */

struct stor_sql_slot {
    const char *sql;
    sqlite3_stmt *st;
};

struct stor_db {
    sqlite3 *h;
    sqlite3_stmt *stmt[STOR_SQL_COUNT];
    struct stor_sql_slot cache[STOR_SQL_CACHE];
    int depth;                  /* nesting of stor_db_begin */
};

/* Returns the prepared statement id, ready to bind; NULL after logging. */
sqlite3_stmt *stor_stmt(struct stor_db *db, enum stor_sql id);
/*
 * Returns the statement for sql, prepared on first use and kept: sql must
 * be a string literal (its address is the key), so the SQL stays beside
 * the code that runs it. NULL after logging.
 */
sqlite3_stmt *stor_sql(struct stor_db *db, const char *sql);
/* Steps a statement that returns no rows, resets it; 0 or a negative errno. */
int stor_exec(struct stor_db *db, sqlite3_stmt *st, const char *what);
/* Steps a statement expected to change rows: 0, -ENOENT when none changed, or an error. */
int stor_change(struct stor_db *db, sqlite3_stmt *st, const char *what);
/*
 * Ends a walk over a statement's rows: resets it and returns what the
 * callback said (cb < 0 an error, > 0 stop: 0) or the last step's result.
 */
int stor_walk_end(struct stor_db *db, sqlite3_stmt *st, int rc, int cb, const char *what);
/* Text column copied into pool (NULL stays NULL). */
char *stor_col_text(sqlite3_stmt *st, int col, struct cf_pool *pool);
/* Resets a statement after use (always call it). */
void stor_stmt_done(sqlite3_stmt *st);
/* Maps an SQLite result code to a negative errno (and logs faults). */
int stor_sqlite_err(struct stor_db *db, int rc, const char *what);

/* Removes a user or group row and the group entries that name it. */
int stor_principal_delete(struct stor_db *db, enum stor_kind kind, int64_t id);

/* Removes the directory name under parentfd and everything in it. */
int stor_tree_remove(int parentfd, const char *name);

/* The columns of a user row, in the order stor_user_from_row() reads them. */
#define STOR_USER_COLS "id, login, display_name, email, role, pw_hash, status, created, " \
    "coalesce(contact, 0), coalesce(blocked_until, 0), coalesce(last_login, 0), " \
    "totp_secret, totp_on, totp_last"
/* Fills out from the current row of a statement selecting STOR_USER_COLS. */
void stor_user_from_row(sqlite3_stmt *st, struct cf_pool *pool, struct stor_user *out);

/* Splits path into its parent and last component ("" and "" for the root). */
void stor_path_split(const char *path, struct cf_str *dir, struct cf_str *name);

/* The schema steps, in order (stor_schema.c). */
extern const char *const stor_schema_steps[];
extern const int stor_schema_nsteps;

/*
 * Folder listings kept between requests (stor_dcache.c). stor_dcache_get()
 * answers a held listing of the folder open as dirfd, or NULL: then, if
 * fill->on, the caller reads the folder from the disk, hands each entry to
 * stor_dfill_add() and, having read it to the end, calls stor_dfill_end(),
 * which publishes it unless the folder changed meanwhile; stor_dfill_drop()
 * when it stops early.
 */
struct stor_dent;
struct stor_dlist;
struct stor_dfill {
    bool on;
    int wd;
    uint64_t gen;
    int64_t born_ms;
    uint64_t dev;
    struct stor_dlist *check;   /* the kept listing, too old, checked against this read */
    struct stor_dent *e;        /* mappings of STOR_DC_LIST_MAX bytes */
    size_t n;
    char *names;
    size_t nlen;
};
struct stor_dlist *stor_dcache_get(int dirfd, struct stor_dfill *fill);
void stor_dfill_add(struct stor_dfill *f, const char *name, const struct stor_stat *st);
void stor_dfill_end(struct stor_dfill *f);
void stor_dfill_drop(struct stor_dfill *f);
/* The entry at *i, then *i moves on; false at the end. *restat: stat it anew. */
bool stor_dlist_next(struct stor_dlist *l, size_t *i, const char **name, struct stor_stat *st,
                     bool *restat);
void stor_dlist_release(struct stor_dlist *l);

#endif
