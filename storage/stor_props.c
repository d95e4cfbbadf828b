/*
 * stor_props.c: file ids and dead properties (RFC 4918 4, 9.2).
 *
 * A file id is the nodes row of (repo, dir, name); it is made the first
 * time something is attached to a file and follows the file through MOVE
 * (stor_meta_move rewrites dir and name in place, for a whole subtree in
 * one statement). A property is stored with its namespace URI, its name,
 * its xml:lang and its value: either text, or the XML content of the
 * property element with every namespace it uses declared on its top-level
 * elements, so it can be written back under any prefix.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stor_int.h"
#include "coffer/log.h"
#include "coffer/banned.h"

static void
stor_bind_dirname(sqlite3_stmt *st, int col, const char *path)
{
    struct cf_str dir, name;

    stor_path_split(path, &dir, &name);
    sqlite3_bind_text(st, col, dir.p, (int)dir.len, SQLITE_STATIC);
    sqlite3_bind_text(st, col + 1, name.p, (int)name.len, SQLITE_STATIC);
}

int
stor_node_id(struct stor_db *db, struct stor_repo *repo, const char *path, bool create,
             int64_t *id)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_NODE_GET);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    stor_bind_dirname(st, 2, path);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    stor_stmt_done(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    if (!create)
        return -ENOENT;
    if ((st = stor_stmt(db, STOR_SQL_NODE_INSERT)) == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    stor_bind_dirname(st, 2, path);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

static void
stor_prop_from_row(sqlite3_stmt *st, int col, struct stor_prop *p)
{
    p->ns = (const char *)sqlite3_column_text(st, col);
    p->name = (const char *)sqlite3_column_text(st, col + 1);
    p->lang = (const char *)sqlite3_column_text(st, col + 2);
    p->xml = sqlite3_column_int(st, col + 3) != 0;
    p->value = (const char *)sqlite3_column_text(st, col + 4);
    if (p->value == NULL)
        p->value = "";
}

int
stor_props_get(struct stor_db *db, struct stor_repo *repo, const char *path,
               stor_prop_fn fn, void *arg)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_PROPS_OF_NODE);
    int rc, stop = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    stor_bind_dirname(st, 2, path);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_prop p;

        stor_prop_from_row(st, 0, &p);
        stop = fn(arg, "", &p);
    }
    stor_stmt_done(st);
    if (stop != 0)
        return stop < 0 ? stop : 0;
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
}

int
stor_props_children(struct stor_db *db, struct stor_repo *repo, const char *path,
                    stor_prop_fn fn, void *arg)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_PROPS_OF_CHILDREN);
    int rc, stop = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_prop p;

        stor_prop_from_row(st, 1, &p);
        stop = fn(arg, (const char *)sqlite3_column_text(st, 0), &p);
    }
    stor_stmt_done(st);
    if (stop != 0)
        return stop < 0 ? stop : 0;
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
}

int
stor_prop_set(struct stor_db *db, int64_t node, const struct stor_prop *p)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_PROP_SET);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, node);
    sqlite3_bind_text(st, 2, p->ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->name, -1, SQLITE_STATIC);
    if (p->lang != NULL)
        sqlite3_bind_text(st, 4, p->lang, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, p->xml);
    sqlite3_bind_text(st, 6, p->value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
}

int
stor_prop_remove(struct stor_db *db, int64_t node, const char *ns, const char *name)
{
    sqlite3_stmt *st = stor_stmt(db, STOR_SQL_PROP_REMOVE);
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, node);
    sqlite3_bind_text(st, 2, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
}

/* Deletes the rows of path and of everything beneath it (not in a txn). */
static int
stor_meta_delete_rows(struct stor_db *db, struct stor_repo *repo, const char *path)
{
    sqlite3_stmt *st;
    int rc;

    if ((st = stor_stmt(db, STOR_SQL_NODE_DELETE_ONE)) == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    stor_bind_dirname(st, 2, path);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    if ((st = stor_stmt(db, STOR_SQL_NODE_DELETE_BELOW)) == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    return 0;
}

int
stor_meta_delete(struct stor_db *db, struct stor_repo *repo, const char *path)
{
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    if ((rc = stor_meta_delete_rows(db, repo, path)) < 0 ||
        (rc = stor_locks_remove_tree(db, repo, path)) < 0) {
        stor_db_rollback(db);
        return rc;
    }
    return stor_db_commit(db);
}

int
stor_meta_move(struct stor_db *db, struct stor_repo *srepo, const char *src,
               struct stor_repo *drepo, const char *dst)
{
    struct cf_str ddir, dname;
    sqlite3_stmt *st;
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    /* what was at the destination is gone; its ids with it */
    if ((rc = stor_meta_delete_rows(db, drepo, dst)) < 0)
        goto fail;
    /* RFC 4918 9.9.4: locks do not move with the resource */
    if ((rc = stor_locks_remove_tree(db, srepo, src)) < 0)
        goto fail;
    if ((st = stor_stmt(db, STOR_SQL_NODE_MOVE_ONE)) == NULL) {
        rc = -EIO;
        goto fail;
    }
    stor_path_split(dst, &ddir, &dname);
    sqlite3_bind_int64(st, 1, srepo->id);
    stor_bind_dirname(st, 2, src);
    sqlite3_bind_int64(st, 4, drepo->id);
    sqlite3_bind_text(st, 5, ddir.p, (int)ddir.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, dname.p, (int)dname.len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stor_stmt_done(st);
    if (rc != SQLITE_DONE) {
        rc = stor_sqlite_err(db, rc, __func__);
        goto fail;
    }
    if ((st = stor_stmt(db, STOR_SQL_NODE_MOVE_BELOW)) == NULL) {
        rc = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, srepo->id);
    sqlite3_bind_text(st, 2, src, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, dst, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, drepo->id);
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

struct stor_copy_row {
    int64_t id;
    char *rel;                  /* path below src: "" or "/a/b" */
};

int
stor_meta_copy(struct stor_db *db, struct stor_repo *srepo, const char *src,
               struct stor_repo *drepo, const char *dst, bool infinite)
{
    struct stor_copy_row *rows = NULL;
    size_t n = 0, cap = 0, srclen = strlen(src);
    sqlite3_stmt *st;
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    if ((st = stor_stmt(db, STOR_SQL_NODES_COPY_SELECT)) == NULL) {
        rc = -EIO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, srepo->id);
    stor_bind_dirname(st, 2, src);
    sqlite3_bind_text(st, 4, src, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, infinite);
    /* collect first: the inserts below must not feed the running select */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *dir = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        struct cf_buf path = CF_BUF_INIT;

        if (dir[0] != '\0') {
            cf_buf_adds(&path, dir);
            if (name[0] != '\0')
                cf_buf_addc(&path, '/');
        }
        cf_buf_adds(&path, name);
        if (path.len < srclen || memcmp(path.data, src, srclen) != 0) {
            cf_buf_release(&path);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rows = cf_xrealloc(rows, cap * sizeof(*rows));
        }
        rows[n].id = sqlite3_column_int64(st, 0);
        /* for the root, members' paths have no leading "/": add it */
        if (srclen == 0 && path.len > 0) {
            struct cf_buf rel = CF_BUF_INIT;
            cf_buf_addc(&rel, '/');
            cf_buf_addstr(&rel, cf_buf_str(&path));
            rows[n].rel = cf_buf_detach(&rel, NULL);
        } else {
            rows[n].rel = cf_xstrdup(path.data + srclen);
        }
        n++;
        cf_buf_release(&path);
    }
    stor_stmt_done(st);
    if (rc != SQLITE_DONE) {
        rc = stor_sqlite_err(db, rc, __func__);
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct cf_buf dpath = CF_BUF_INIT;
        int64_t id;

        cf_buf_adds(&dpath, dst);
        cf_buf_adds(&dpath, rows[i].rel);
        rc = stor_node_id(db, drepo, dpath.data, true, &id);
        cf_buf_release(&dpath);
        if (rc < 0)
            break;
        if ((st = stor_stmt(db, STOR_SQL_PROPS_COPY)) == NULL) {
            rc = -EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, rows[i].id);
        sqlite3_bind_int64(st, 2, id);
        int r = sqlite3_step(st);
        stor_stmt_done(st);
        if (r != SQLITE_DONE)
            rc = stor_sqlite_err(db, r, __func__);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(rows[i].rel);
    free(rows);
    if (rc < 0) {
        stor_db_rollback(db);
        return rc;
    }
    return stor_db_commit(db);
}

struct stor_prune_row {
    int64_t id;
    char *path;
};

int
stor_meta_prune(struct stor_db *db, struct stor_repo *repo, const char *path)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT id, dir, name FROM nodes WHERE repo = ?1 AND "
                                    "((dir = ?2 AND name = ?3) OR dir = ?4 OR "
                                    "(dir >= ?4 || '/' AND dir < ?4 || '0'))");
    struct stor_prune_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo->id);
    stor_bind_dirname(st, 2, path);
    sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *dir = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        struct cf_buf p = CF_BUF_INIT;

        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            rows = cf_xrealloc(rows, cap * sizeof(*rows));
        }
        if (dir[0] != '\0') {
            cf_buf_adds(&p, dir);
            cf_buf_addc(&p, '/');
        }
        cf_buf_adds(&p, name);
        rows[n].id = sqlite3_column_int64(st, 0);
        rows[n++].path = cf_buf_detach(&p, NULL);
    }
    stor_stmt_done(st);
    rc = rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
    /* locks rooted beneath, on files that never had an id, go too (RFC 4918 9.6) */
    st = stor_sql(db, "SELECT DISTINCT path FROM locks WHERE repo = ?1 AND (path = ?2 OR "
                      "(path >= ?2 || '/' AND path < ?2 || '0'))");
    if (rc == 0 && st != NULL) {
        sqlite3_bind_int64(st, 1, repo->id);
        sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                rows = cf_xrealloc(rows, cap * sizeof(*rows));
            }
            rows[n].id = 0;     /* a lock root only */
            rows[n++].path = cf_xstrdup((const char *)sqlite3_column_text(st, 0));
        }
        stor_stmt_done(st);
    }
    if (rc == 0)
        rc = stor_db_begin(db);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stor_stat sst;
        int e = stor_stat(repo, rows[i].path, &sst);

        if (e != -ENOENT && e != -ENOTDIR)
            continue;   /* still there (or not ours to judge): keep its id */
        if (rows[i].id > 0) {
            st = stor_sql(db, "DELETE FROM nodes WHERE id = ?1");
            if (st != NULL)
                sqlite3_bind_int64(st, 1, rows[i].id);
            rc = stor_exec(db, st, __func__);
        }
        if (rc == 0)
            rc = stor_locks_remove_tree(db, repo, rows[i].path);
    }
    if (n > 0 || rc == 0) {
        if (rc == 0)
            rc = stor_db_commit(db);
        else
            stor_db_rollback(db);
    }
    for (size_t i = 0; i < n; i++)
        free(rows[i].path);
    free(rows);
    return rc;
}
