/*
 * test_storage.c: the storage database (schema versions, users), the
 * registry of repositories, and content types.
 *
 * Every test gets a fresh data directory under $TMPDIR (or /tmp) holding
 * coffer.db and repos/, made by t_setup and removed by t_teardown.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sqlite3.h>

#include "coffer/pool.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "t_store.h"

struct t_fx {
    char dir[1024];             /* the data directory */
    char dbpath[PATH_MAX];
    struct stor_db *db;
    struct stor_repos *repos;
    struct cf_pool *pool;
    int64_t uid;                /* a user, owner of the repositories made here */
};



static void
t_open(struct t_fx *fx)
{
    assert_int_equal(stor_db_open(fx->dbpath, &fx->db), 0);
    assert_int_equal(stor_repos_open(fx->dir, fx->db, &fx->repos), 0);
}

static void
t_close(struct t_fx *fx)
{
    stor_repos_free(fx->repos);
    fx->repos = NULL;
    stor_db_free(fx->db);
    fx->db = NULL;
}

static int
t_setup(void **state)
{
    struct t_fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/coffer-stor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->dbpath, sizeof(fx->dbpath), "%s/coffer.db", fx->dir);
    if (stor_db_open(fx->dbpath, &fx->db) != 0 ||
        stor_repos_open(fx->dir, fx->db, &fx->repos) != 0 ||
        stor_user_create(fx->db, "alice", "Alice", "alice@example.com", "admin", NULL,
                         &fx->uid) != 0) {
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

/* PRAGMA user_version of the database file at path, read with sqlite3 itself. */
static int
t_user_version(const char *path)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int v = -1;

    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* The first column of the first row of sql, on the file at path (static). */
static const char *
t_pragma_text(const char *path, const char *sql)
{
    static char out[64];
    sqlite3 *h;
    sqlite3_stmt *st;

    out[0] = '\0';
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

/* Whether a user called login exists, asked through a second connection. */
static bool
t_user_committed(const char *path, const char *login)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    bool found;

    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT 1 FROM users WHERE login = ?1", -1, &st,
                                        NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    sqlite3_close(h);
    return found;
}

static void
t_exec(const char *path, const char *sql)
{
    sqlite3 *h;

    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static bool
t_is_dir(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* ---- schema ---- */

static void
test_new_database_has_current_schema_version(void **state)
{
    struct t_fx *fx = *state;

    assert_true(stor_db_schema_version() >= 1);
    assert_int_equal(t_user_version(fx->dbpath), stor_db_schema_version());
    assert_string_equal(t_pragma_text(fx->dbpath, "PRAGMA journal_mode"), "wal");
}

static void
test_reopening_current_database_keeps_version_and_rows(void **state)
{
    struct t_fx *fx = *state;
    struct stor_user u;
    int64_t n;

    t_close(fx);
    t_open(fx);
    assert_int_equal(t_user_version(fx->dbpath), stor_db_schema_version());
    assert_int_equal(stor_user_count(fx->db, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(stor_user_get(fx->db, CF_STR("alice"), fx->pool, &u), 0);
    assert_int_equal(u.id, fx->uid);
    assert_string_equal(u.display_name, "Alice");
    assert_string_equal(u.email, "alice@example.com");
    assert_string_equal(u.role, "admin");
    assert_null(u.pw_hash);
    assert_string_equal(u.status, "active");
}

static void
test_newer_schema_version_is_refused(void **state)
{
    struct t_fx *fx = *state;
    struct stor_db *db = (struct stor_db *)(uintptr_t)0x1;
    char path[PATH_MAX + 16], sql[64];
    int newer = stor_db_schema_version() + 1;

    snprintf(path, sizeof(path), "%s/newer.db", fx->dir);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", newer);
    t_exec(path, sql);
    assert_int_equal(t_user_version(path), newer);
    assert_int_equal(stor_db_open(path, &db), -EPROTO);
    assert_ptr_equal(db, (struct stor_db *)(uintptr_t)0x1);
    /* nothing was migrated or rewritten */
    assert_int_equal(t_user_version(path), newer);
}

static void
test_database_in_missing_directory_is_eio(void **state)
{
    struct t_fx *fx = *state;
    struct stor_db *db = NULL;
    char path[PATH_MAX + 32];

    snprintf(path, sizeof(path), "%s/no/such/dir/coffer.db", fx->dir);
    assert_int_equal(stor_db_open(path, &db), -EIO);
    assert_null(db);
}

static void
test_transactions_nest_and_roll_back(void **state)
{
    struct t_fx *fx = *state;
    int64_t id;

    /* rollback drops what the transaction did */
    assert_int_equal(stor_db_begin(fx->db), 0);
    assert_int_equal(stor_user_create(fx->db, "gone", NULL, NULL, "user", NULL, &id), 0);
    stor_db_rollback(fx->db);
    assert_false(t_user_committed(fx->dbpath, "gone"));
    /* nested: only the outermost commit commits */
    assert_int_equal(stor_db_begin(fx->db), 0);
    assert_int_equal(stor_db_begin(fx->db), 0);
    assert_int_equal(stor_user_create(fx->db, "kept", NULL, NULL, "user", NULL, &id), 0);
    assert_int_equal(stor_db_commit(fx->db), 0);
    assert_false(t_user_committed(fx->dbpath, "kept"));
    assert_int_equal(stor_db_commit(fx->db), 0);
    assert_true(t_user_committed(fx->dbpath, "kept"));
    /* extra commits and rollbacks outside a transaction do nothing */
    assert_int_equal(stor_db_commit(fx->db), 0);
    stor_db_rollback(fx->db);
    assert_true(t_user_committed(fx->dbpath, "kept"));
}

static void
test_failed_inner_call_does_not_silently_discard_outer_transaction(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *r;
    int64_t id;
    int rc;

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "docs", 0, 0, &r), 0);
    assert_int_equal(stor_db_begin(fx->db), 0);
    assert_int_equal(stor_user_create(fx->db, "outer", NULL, NULL, "user", NULL, &id), 0);
    /* a call that fails inside the caller's transaction */
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "docs", 0, 0, &r), -EEXIST);
    rc = stor_db_commit(fx->db);
    /* the caller's commit either reports a failure or commits the caller's work */
    if (rc == 0 && !t_user_committed(fx->dbpath, "outer"))
        fail_msg("stor_db_commit returned 0, but the outer transaction's user is gone "
                 "(the inner failure rolled it back)");
}

/* ---- users ---- */

static void
test_user_login_is_unique_case_insensitively(void **state)
{
    struct t_fx *fx = *state;
    struct stor_user u;
    int64_t id = 0, n;

    assert_int_equal(stor_user_create(fx->db, "ALICE", NULL, NULL, "user", NULL, &id), -EEXIST);
    assert_int_equal(stor_user_create(fx->db, "bob", NULL, NULL, "user", "$argon2id$x", &id), 0);
    assert_true(id > fx->uid);
    assert_int_equal(stor_user_count(fx->db, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(stor_user_get_by_id(fx->db, id, fx->pool, &u), 0);
    assert_string_equal(u.login, "bob");
    assert_string_equal(u.pw_hash, "$argon2id$x");
    assert_string_equal(u.display_name, "");
    assert_int_equal(stor_user_set_password(fx->db, id, "$argon2id$y"), 0);
    assert_int_equal(stor_user_get(fx->db, CF_STR("Bob"), fx->pool, &u), 0);
    assert_string_equal(u.pw_hash, "$argon2id$y");
    assert_int_equal(stor_user_set_password(fx->db, id + 100, "z"), -ENOENT);
    assert_int_equal(stor_user_get(fx->db, CF_STR("carol"), fx->pool, &u), -ENOENT);
}

/* ---- repositories ---- */

struct t_names {
    char names[8][65];
    int64_t ids[8];
    int n;
    int stop_after;
};

static int
t_collect_repo(struct stor_repo *r, void *arg)
{
    struct t_names *c = arg;

    if (c->n < 8) {
        snprintf(c->names[c->n], sizeof(c->names[c->n]), "%s", r->name);
        c->ids[c->n] = r->id;
    }
    c->n++;
    return c->n == c->stop_after ? 7 : 0;
}

/* Entries of fx->dir/sub, without "." and "..". */
static int
t_count_entries(struct t_fx *fx, const char *sub)
{
    char path[PATH_MAX + 64];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", fx->dir, sub);
    d = opendir(path);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void
test_repo_create_then_find_by_name_and_id(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *a = NULL, *b = NULL;

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "docs", fx->uid, 1000, &a), 0);
    assert_non_null(a);
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "photos", 0, 0, &b), 0);
    assert_non_null(b);
    assert_true(a->id > 0);
    assert_true(b->id != a->id);
    assert_string_equal(a->name, "docs");
    assert_int_equal(a->owner, fx->uid);
    assert_int_equal(a->quota, 1000);
    assert_true(a->rootfd >= 0);
    assert_int_equal(stor_repo_usage(a), 0);

    assert_ptr_equal(stor_repos_find(fx->repos, CF_STR("docs")), a);
    assert_ptr_equal(stor_repos_find(fx->repos, CF_STR("photos")), b);
    assert_null(stor_repos_find(fx->repos, CF_STR("doc")));
    assert_null(stor_repos_find(fx->repos, CF_STR("docs2")));
    assert_null(stor_repos_find(fx->repos, CF_STR("Docs")));
    assert_null(stor_repos_find(fx->repos, CF_STR("")));
    /* a name given by length, not NUL-terminated where it ends */
    assert_ptr_equal(stor_repos_find(fx->repos, cf_str_make("docs/x", 4)), a);

    assert_ptr_equal(stor_repos_find_id(fx->repos, a->id), a);
    assert_ptr_equal(stor_repos_find_id(fx->repos, b->id), b);
    assert_null(stor_repos_find_id(fx->repos, b->id + a->id + 100));
}

static void
test_repo_duplicate_name_is_eexist(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *a = NULL, *again = NULL;
    struct t_names c = { .stop_after = -1 };
    int64_t id;

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "docs", fx->uid, 0, &a), 0);
    id = a->id;
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "docs", 0, 0, &again), -EEXIST);
    assert_null(again);
    assert_ptr_equal(stor_repos_find(fx->repos, CF_STR("docs")), a);
    assert_int_equal(stor_repos_each(fx->repos, t_collect_repo, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(t_count_entries(fx, "repos"), 1);
    /* the table holds one too */
    t_close(fx);
    t_open(fx);
    memset(&c, 0, sizeof(c));
    c.stop_after = -1;
    assert_int_equal(stor_repos_each(fx->repos, t_collect_repo, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ids[0], id);
    assert_int_equal(stor_repos_find(fx->repos, CF_STR("docs"))->owner, fx->uid);
    /* and a failed create left the connection usable (no open transaction) */
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "docs", 0, 0, &again), -EEXIST);
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "other", 0, 0, &again), 0);
    t_close(fx);
    t_open(fx);
    assert_non_null(stor_repos_find(fx->repos, CF_STR("other")));
}

static void
test_repo_name_rules(void **state)
{
    char n64[65], n65[66];

    (void)state;
    memset(n64, 'a', 64);
    n64[64] = '\0';
    memset(n65, 'b', 65);
    n65[65] = '\0';

    assert_true(stor_repo_name_ok(CF_STR("a")));
    assert_true(stor_repo_name_ok(CF_STR("docs")));
    assert_true(stor_repo_name_ok(CF_STR("team-2024_v1.0")));
    assert_true(stor_repo_name_ok(CF_STR("0")));
    assert_true(stor_repo_name_ok(CF_STR("a.")));
    assert_true(stor_repo_name_ok(cf_str_from(n64)));

    assert_false(stor_repo_name_ok(cf_str_from(n65)));
    assert_false(stor_repo_name_ok(CF_STR("")));
    assert_false(stor_repo_name_ok(CF_STR("Docs")));
    assert_false(stor_repo_name_ok(CF_STR("DOCS")));
    assert_false(stor_repo_name_ok(CF_STR(".hidden")));
    assert_false(stor_repo_name_ok(CF_STR(".")));
    assert_false(stor_repo_name_ok(CF_STR("..")));
    assert_false(stor_repo_name_ok(CF_STR("a/b")));
    assert_false(stor_repo_name_ok(CF_STR("/")));
    assert_false(stor_repo_name_ok(CF_STR("a b")));
    assert_false(stor_repo_name_ok(CF_STR("a\\b")));
    assert_false(stor_repo_name_ok(CF_STR("caf\xc3\xa9")));
    assert_false(stor_repo_name_ok(cf_str_make("a\0b", 3)));
}

static void
test_repo_create_rejects_invalid_names(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *r = NULL;
    char n65[66];

    memset(n65, 'c', 65);
    n65[65] = '\0';
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "Docs", 0, 0, &r), -EINVAL);
    assert_int_equal(stor_repo_create(fx->repos, fx->db, ".x", 0, 0, &r), -EINVAL);
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "a/b", 0, 0, &r), -EINVAL);
    assert_int_equal(stor_repo_create(fx->repos, fx->db, n65, 0, 0, &r), -EINVAL);
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "", 0, 0, &r), -EINVAL);
    assert_null(r);
    assert_null(stor_repos_find(fx->repos, CF_STR("Docs")));
    /* no directory was made for them: repos/ is empty */
    assert_int_equal(t_count_entries(fx, "repos"), 0);
}

static void
test_repo_directory_is_named_by_id(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *a, *b;
    char path[PATH_MAX + 32];
    struct stat sb, rs;

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "zeta", 0, 0, &a), 0);
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "alpha", 0, 0, &b), 0);
    snprintf(path, sizeof(path), "%s/repos/%lld", fx->dir, (long long)a->id);
    assert_true(t_is_dir(path));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(fstat(a->rootfd, &rs), 0);
    assert_int_equal(sb.st_ino, rs.st_ino);
    snprintf(path, sizeof(path), "%s/repos/%lld", fx->dir, (long long)b->id);
    assert_true(t_is_dir(path));
    snprintf(path, sizeof(path), "%s/repos/zeta", fx->dir);
    assert_false(t_is_dir(path));
}

static void
test_repos_reload_after_reopen(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *r;
    int64_t idz, ida, idm;
    struct t_names c = { .stop_after = -1 };
    char path[PATH_MAX + 32];

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "zeta", fx->uid, 5000, &r), 0);
    idz = r->id;
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "alpha", 0, 0, &r), 0);
    ida = r->id;
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "mid", fx->uid, 0, &r), 0);
    idm = r->id;
    /* a file in zeta: usage is walked afresh after the reopen */
    snprintf(path, sizeof(path), "%s/repos/%lld/f", fx->dir, (long long)idz);
    {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("0123456789", f);
        fclose(f);
    }

    t_close(fx);
    t_open(fx);

    r = stor_repos_find(fx->repos, CF_STR("zeta"));
    assert_non_null(r);
    assert_int_equal(r->id, idz);
    assert_int_equal(r->owner, fx->uid);
    assert_int_equal(r->quota, 5000);
    assert_true(r->rootfd >= 0);
    assert_int_equal(stor_repo_usage(r), 10);
    assert_ptr_equal(stor_repos_find_id(fx->repos, idz), r);
    r = stor_repos_find(fx->repos, CF_STR("alpha"));
    assert_non_null(r);
    assert_int_equal(r->id, ida);
    assert_int_equal(r->owner, 0);
    assert_int_equal(r->quota, 0);
    assert_int_equal(stor_repo_usage(r), 0);
    assert_int_equal(stor_repos_find(fx->repos, CF_STR("mid"))->id, idm);

    /* each, in name order */
    assert_int_equal(stor_repos_each(fx->repos, t_collect_repo, &c), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.names[0], "alpha");
    assert_string_equal(c.names[1], "mid");
    assert_string_equal(c.names[2], "zeta");
    assert_int_equal(c.ids[0], ida);
    assert_int_equal(c.ids[2], idz);
    /* and stops when fn says so, returning its value */
    memset(&c, 0, sizeof(c));
    c.stop_after = 2;
    assert_int_equal(stor_repos_each(fx->repos, t_collect_repo, &c), 7);
    assert_int_equal(c.n, 2);
}

static void
test_repo_missing_directory_is_recreated_on_open(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *r;
    char path[PATH_MAX + 32];
    int64_t id;

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "gone", 0, 0, &r), 0);
    id = r->id;
    t_close(fx);
    snprintf(path, sizeof(path), "%s/repos/%lld", fx->dir, (long long)id);
    assert_int_equal(rmdir(path), 0);
    t_open(fx);
    r = stor_repos_find(fx->repos, CF_STR("gone"));
    assert_non_null(r);
    assert_true(t_is_dir(path));
    assert_int_equal(stor_repo_usage(r), 0);
}

static void
test_repo_usage_add_clamps_at_zero(void **state)
{
    struct t_fx *fx = *state;
    struct stor_repo *r;

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "u", 0, 0, &r), 0);
    stor_repo_usage_add(r, 100);
    assert_int_equal(stor_repo_usage(r), 100);
    stor_repo_usage_add(r, -30);
    assert_int_equal(stor_repo_usage(r), 70);
    stor_repo_usage_add(r, -1000);
    assert_int_equal(stor_repo_usage(r), 0);
}

/* ---- content types ---- */

static const struct {
    const char *ext;
    const char *type;
} t_mime_known[] = {
    { "7z", "application/x-7z-compressed" }, { "aac", "audio/aac" },
    { "ai", "application/postscript" }, { "avi", "video/x-msvideo" },
    { "avif", "image/avif" }, { "bmp", "image/bmp" }, { "bz2", "application/x-bzip2" },
    { "c", "text/x-c" }, { "css", "text/css" }, { "csv", "text/csv" },
    { "doc", "application/msword" },
    { "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
    { "eml", "message/rfc822" }, { "eps", "application/postscript" },
    { "epub", "application/epub+zip" }, { "flac", "audio/flac" }, { "gif", "image/gif" },
    { "gz", "application/gzip" }, { "h", "text/x-c" }, { "heic", "image/heic" },
    { "htm", "text/html" }, { "html", "text/html" }, { "ico", "image/vnd.microsoft.icon" },
    { "ics", "text/calendar" }, { "jpeg", "image/jpeg" }, { "jpg", "image/jpeg" },
    { "js", "text/javascript" }, { "json", "application/json" }, { "log", "text/plain" },
    { "m4a", "audio/mp4" }, { "md", "text/markdown" }, { "mkv", "video/x-matroska" },
    { "mov", "video/quicktime" }, { "mp3", "audio/mpeg" }, { "mp4", "video/mp4" },
    { "mpeg", "video/mpeg" }, { "mpg", "video/mpeg" },
    { "odt", "application/vnd.oasis.opendocument.text" }, { "ogg", "audio/ogg" },
    { "opus", "audio/opus" }, { "otf", "font/otf" }, { "pdf", "application/pdf" },
    { "png", "image/png" }, { "ppt", "application/vnd.ms-powerpoint" },
    { "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
    { "ps", "application/postscript" }, { "psd", "image/vnd.adobe.photoshop" },
    { "py", "text/x-python" }, { "rar", "application/vnd.rar" }, { "rtf", "application/rtf" },
    { "sh", "application/x-sh" }, { "svg", "image/svg+xml" }, { "tar", "application/x-tar" },
    { "tgz", "application/gzip" }, { "tif", "image/tiff" }, { "tiff", "image/tiff" },
    { "ttf", "font/ttf" }, { "txt", "text/plain" }, { "vcf", "text/vcard" },
    { "wav", "audio/wav" }, { "webm", "video/webm" }, { "webp", "image/webp" },
    { "woff", "font/woff" }, { "woff2", "font/woff2" },
    { "xhtml", "application/xhtml+xml" }, { "xls", "application/vnd.ms-excel" },
    { "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
    { "xml", "application/xml" }, { "xz", "application/x-xz" }, { "yaml", "application/yaml" },
    { "yml", "application/yaml" }, { "zip", "application/zip" }, { "zst", "application/zstd" },
};

static void
test_mime_from_name_known_extensions(void **state)
{
    char name[64];

    (void)state;
    for (size_t i = 0; i < sizeof(t_mime_known) / sizeof(t_mime_known[0]); i++) {
        const char *t;

        snprintf(name, sizeof(name), "file.%s", t_mime_known[i].ext);
        t = stor_mime_from_name(name);
        if (t == NULL || strcmp(t, t_mime_known[i].type) != 0)
            fail_msg("%s: got %s, want %s", name, t ? t : "NULL", t_mime_known[i].type);
    }
    /* the last extension decides */
    assert_string_equal(stor_mime_from_name("backup.tar.gz"), "application/gzip");
    assert_string_equal(stor_mime_from_name("report.final.pdf"), "application/pdf");
    assert_string_equal(stor_mime_from_name("a.b.c.d.png"), "image/png");
}

static void
test_mime_from_name_is_case_insensitive(void **state)
{
    char name[64];

    (void)state;
    assert_string_equal(stor_mime_from_name("PHOTO.JPG"), "image/jpeg");
    assert_string_equal(stor_mime_from_name("Report.Pdf"), "application/pdf");
    assert_string_equal(stor_mime_from_name("x.HtMl"), "text/html");
    for (size_t i = 0; i < sizeof(t_mime_known) / sizeof(t_mime_known[0]); i++) {
        const char *t;
        size_t n;

        n = (size_t)snprintf(name, sizeof(name), "F.%s", t_mime_known[i].ext);
        for (size_t j = 0; j < n; j++)
            if (name[j] >= 'a' && name[j] <= 'z')
                name[j] = (char)(name[j] - 'a' + 'A');
        t = stor_mime_from_name(name);
        if (t == NULL || strcmp(t, t_mime_known[i].type) != 0)
            fail_msg("%s: got %s, want %s", name, t ? t : "NULL", t_mime_known[i].type);
    }
}

static void
test_mime_from_name_unknown_or_missing_extension_is_null(void **state)
{
    (void)state;
    assert_null(stor_mime_from_name("file.qqq"));
    assert_null(stor_mime_from_name("file.pdfx"));
    assert_null(stor_mime_from_name("file.pd"));
    assert_null(stor_mime_from_name("file.0"));
    assert_null(stor_mime_from_name("file.zzzz"));
    assert_null(stor_mime_from_name("file.aaa"));
    assert_null(stor_mime_from_name("Makefile"));
    assert_null(stor_mime_from_name("README"));
    assert_null(stor_mime_from_name(""));
    assert_null(stor_mime_from_name("trailing."));
    assert_null(stor_mime_from_name(".png"));
    assert_null(stor_mime_from_name(".bashrc"));
}

/* The 8-byte PNG signature and a 1x1 IHDR chunk (with its CRC). */
static const unsigned char t_png[] = {
    0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a,
    0x00, 0x00, 0x00, 0x0d, 'I', 'H', 'D', 'R',
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
};

static int
t_write_at(int dirfd, const char *name, const void *p, size_t n)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    return 0;
}

static void
test_mime_type_sniffs_png_without_extension(void **state)
{
    struct t_fx *fx = *state;
    struct stor_mime *m = stor_mime_new();
    char buf[STOR_MIME_MAX];
    const char *t;
    int dirfd, fd;

    assert_non_null(m);
    dirfd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dirfd >= 0);
    t_write_at(dirfd, "picture", t_png, sizeof(t_png));

    /* through dirfd and name */
    memset(buf, 0, sizeof(buf));
    t = stor_mime_type(m, "picture", dirfd, -1, NULL, buf);
    assert_non_null(t);
    assert_string_equal(t, "image/png");
    /* through an open fd */
    fd = openat(dirfd, "picture", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    memset(buf, 0, sizeof(buf));
    t = stor_mime_type(m, "picture", -1, fd, NULL, buf);
    assert_string_equal(t, "image/png");
    /* the fd stays the caller's, still open */
    assert_true(fcntl(fd, F_GETFD) >= 0);
    close(fd);

    /* a known extension wins over the content, without reading it */
    assert_string_equal(stor_mime_type(m, "picture.txt", dirfd, -1, NULL, buf), "text/plain");
    /* plain text without an extension */
    t_write_at(dirfd, "notes", "hello, world\nsecond line\n", 25);
    assert_string_equal(stor_mime_type(m, "notes", dirfd, -1, NULL, buf), "text/plain");
    /* missing and empty files */
    assert_string_equal(stor_mime_type(m, "missing", dirfd, -1, NULL, buf),
                        "application/octet-stream");
    t_write_at(dirfd, "empty", "", 0);
    assert_string_equal(stor_mime_type(m, "empty", dirfd, -1, NULL, buf),
                        "application/octet-stream");
    /* without libmagic state */
    assert_string_equal(stor_mime_type(NULL, "picture", dirfd, -1, NULL, buf),
                        "application/octet-stream");
    assert_string_equal(stor_mime_type(NULL, "a.png", dirfd, -1, NULL, buf), "image/png");

    close(dirfd);
    stor_mime_free(m);
    stor_mime_free(NULL);
}

static void
test_mime_type_remembers_a_file_version(void **state)
{
    struct t_fx *fx = *state;
    struct stor_mime *m = stor_mime_new();
    struct stor_repo *r;
    struct stor_stat st, st2;
    char buf[STOR_MIME_MAX];
    int dirfd;

    assert_int_equal(stor_repo_create(fx->repos, fx->db, "mime", fx->uid, 0, &r), 0);
    dirfd = openat(r->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dirfd >= 0);
    t_write_at(dirfd, "blob", t_png, sizeof(t_png));
    assert_int_equal(stor_stat(r, "blob", &st), 0);
    assert_string_equal(stor_mime_type(m, "blob", dirfd, -1, &st, buf), "image/png");
    /* the same version is answered from memory: even unreadable now, it is a PNG */
    assert_int_equal(unlinkat(dirfd, "blob", 0), 0);
    assert_string_equal(stor_mime_type(m, "blob", dirfd, -1, &st, buf), "image/png");
    /* another version (other size and time) is sniffed again */
    t_write_at(dirfd, "blob", "just some words\n", 16);
    assert_int_equal(stor_stat(r, "blob", &st2), 0);
    assert_string_equal(stor_mime_type(m, "blob", dirfd, -1, &st2, buf), "text/plain");
    close(dirfd);
    stor_mime_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)
        T(test_new_database_has_current_schema_version),
        T(test_reopening_current_database_keeps_version_and_rows),
        T(test_newer_schema_version_is_refused),
        T(test_database_in_missing_directory_is_eio),
        T(test_transactions_nest_and_roll_back),
        T(test_failed_inner_call_does_not_silently_discard_outer_transaction),
        T(test_user_login_is_unique_case_insensitively),
        T(test_repo_create_then_find_by_name_and_id),
        T(test_repo_duplicate_name_is_eexist),
        T(test_repo_name_rules),
        T(test_repo_create_rejects_invalid_names),
        T(test_repo_directory_is_named_by_id),
        T(test_repos_reload_after_reopen),
        T(test_repo_missing_directory_is_recreated_on_open),
        T(test_repo_usage_add_clamps_at_zero),
        T(test_mime_from_name_known_extensions),
        T(test_mime_from_name_is_case_insensitive),
        T(test_mime_from_name_unknown_or_missing_extension_is_null),
        T(test_mime_type_sniffs_png_without_extension),
        T(test_mime_type_remembers_a_file_version),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
