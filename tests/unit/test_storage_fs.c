/*
 * test_storage_fs.c: repository files: path resolution (never out of the
 * root, never through a symbolic link), PUT atomicity, MKCOL, DELETE with
 * its check and fail callbacks, COPY, MOVE, listings, sizes and usage.
 *
 * Every test gets a fresh data directory under $TMPDIR (or /tmp) with two
 * repositories, "alpha" and "beta", and a directory "outside" next to
 * repos/ that no storage call may ever reach.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "coffer/pool.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "t_store.h"
#include "../lib/t_seccomp.h"

struct t_fx {
    char dir[1024];             /* the data directory */
    char outside[1100];         /* dir/outside: what links try to reach */
    struct stor_db *db;
    struct stor_repos *repos;
    struct stor_repo *r1, *r2;
    struct cf_pool *pool;
    int64_t uid;
};



static void
t_close(struct t_fx *fx)
{
    stor_repos_free(fx->repos);
    fx->repos = NULL;
    fx->r1 = fx->r2 = NULL;
    stor_db_free(fx->db);
    fx->db = NULL;
}

static void
t_reopen(struct t_fx *fx)
{
    char db[1100];

    t_close(fx);
    snprintf(db, sizeof(db), "%s/coffer.db", fx->dir);
    assert_int_equal(stor_db_open(db, &fx->db), 0);
    assert_int_equal(stor_repos_open(fx->dir, fx->db, &fx->repos), 0);
    fx->r1 = stor_repos_find(fx->repos, CF_STR("alpha"));
    fx->r2 = stor_repos_find(fx->repos, CF_STR("beta"));
    assert_non_null(fx->r1);
    assert_non_null(fx->r2);
}

static int
t_setup(void **state)
{
    struct t_fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    char db[1100], secret[1200];
    FILE *f;

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/coffer-stor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(db, sizeof(db), "%s/coffer.db", fx->dir);
    snprintf(fx->outside, sizeof(fx->outside), "%s/outside", fx->dir);
    snprintf(secret, sizeof(secret), "%s/secret", fx->outside);
    if (mkdir(fx->outside, 0755) < 0 || (f = fopen(secret, "w")) == NULL)
        goto fail;
    fputs("top secret", f);
    fclose(f);
    if (stor_db_open(db, &fx->db) != 0 ||
        stor_repos_open(fx->dir, fx->db, &fx->repos) != 0 ||
        stor_user_create(fx->db, "alice", "Alice", NULL, "admin", NULL, &fx->uid) != 0 ||
        stor_repo_create(fx->repos, fx->db, "alpha", fx->uid, 0, &fx->r1) != 0 ||
        stor_repo_create(fx->repos, fx->db, "beta", fx->uid, 0, &fx->r2) != 0)
        goto fail;
    fx->pool = cf_pool_new(4096);
    *state = fx;
    return 0;
fail:
    t_close(fx);
    t_rm_tree(fx->dir);
    free(fx);
    return -1;
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

/* ---- helpers: the files as the test sees them, without storage ---- */

/* The absolute path of rel in repo (from the pool). */
static const char *
t_abs(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    return cf_pool_printf(fx->pool, "%s/repos/%lld%s%s", fx->dir, (long long)r->id,
                          rel[0] ? "/" : "", rel);
}

static void
t_mkfile(struct t_fx *fx, struct stor_repo *r, const char *rel, const void *p, size_t n)
{
    int fd = open(t_abs(fx, r, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0)
        fail_msg("cannot create %s: %s", rel, strerror(errno));
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static void
t_mkfile_s(struct t_fx *fx, struct stor_repo *r, const char *rel, const char *s)
{
    t_mkfile(fx, r, rel, s, strlen(s));
}

static void
t_mkdir(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    if (mkdir(t_abs(fx, r, rel), 0755) < 0)
        fail_msg("cannot mkdir %s: %s", rel, strerror(errno));
}

static void
t_symlink(struct t_fx *fx, struct stor_repo *r, const char *target, const char *rel)
{
    if (symlink(target, t_abs(fx, r, rel)) < 0)
        fail_msg("cannot symlink %s: %s", rel, strerror(errno));
}

static bool
t_exists(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    struct stat sb;

    return lstat(t_abs(fx, r, rel), &sb) == 0;
}

static bool
t_is_dir(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    struct stat sb;

    return lstat(t_abs(fx, r, rel), &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The content of an absolute path as a string from the pool, or NULL. */
static char *
t_slurp_abs(struct t_fx *fx, const char *path, size_t *len)
{
    struct cf_buf b = CF_BUF_INIT;
    char chunk[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char *out;

    if (fd < 0)
        return NULL;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        cf_buf_add(&b, chunk, (size_t)n);
    close(fd);
    out = cf_pool_strndup(fx->pool, b.data ? b.data : "", b.len);
    if (len != NULL)
        *len = b.len;
    cf_buf_release(&b);
    return out;
}

static char *
t_slurp(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    return t_slurp_abs(fx, t_abs(fx, r, rel), NULL);
}

static char *
t_readlink(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(t_abs(fx, r, rel), buf, sizeof(buf));

    if (n < 0)
        return NULL;
    return cf_pool_strndup(fx->pool, buf, (size_t)n);
}

static int
t_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in an absolute directory, sorted, comma-separated (dirs end in "/"). */
static const char *
t_raw_ls_abs(struct t_fx *fx, const char *path)
{
    char *names[2048];
    size_t n = 0;
    struct cf_buf b = CF_BUF_INIT;
    struct dirent *de;
    DIR *d = opendir(path);
    const char *out;

    if (d == NULL)
        return NULL;
    while ((de = readdir(d)) != NULL && n < 2048) {
        struct stat sb;
        char *full;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        full = cf_pool_printf(fx->pool, "%s/%s", path, de->d_name);
        bool dir = lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode);
        names[n++] = cf_pool_printf(fx->pool, "%s%s", de->d_name, dir ? "/" : "");
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), t_name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cf_buf_addc(&b, ',');
        cf_buf_adds(&b, names[i]);
    }
    out = cf_pool_strndup(fx->pool, b.data ? b.data : "", b.len);
    cf_buf_release(&b);
    return out;
}

static const char *
t_raw_ls(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    return t_raw_ls_abs(fx, t_abs(fx, r, rel));
}

/* The names stor_dir_next gives for rel, sorted, comma-separated, dirs with
 * "/" and files with their size: "a:1,sub/". NULL if stor_dir_open fails.
 * *kept, if not NULL: whether the listing was the one kept from before. */
static const char *
t_stor_ls_kept(struct t_fx *fx, struct stor_repo *r, const char *rel, bool *kept)
{
    char *names[2048];
    size_t n = 0;
    struct cf_buf b = CF_BUF_INIT;
    struct stor_dir *d = NULL;
    struct stor_stat st;
    const char *name, *out;
    int rc;

    if (stor_dir_open(r, rel, &d) < 0)
        return NULL;
    if (kept != NULL)
        *kept = stor_dir_cached(d);
    while ((rc = stor_dir_next(d, &name, &st)) == 1 && n < 2048) {
        if (st.is_dir)
            names[n++] = cf_pool_printf(fx->pool, "%s/", name);
        else
            names[n++] = cf_pool_printf(fx->pool, "%s:%llu", name,
                                        (unsigned long long)st.size);
    }
    stor_dir_close(d);
    if (rc != 0)
        return cf_pool_printf(fx->pool, "stor_dir_next failed: %d", rc);
    qsort(names, n, sizeof(names[0]), t_name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cf_buf_addc(&b, ',');
        cf_buf_adds(&b, names[i]);
    }
    out = cf_pool_strndup(fx->pool, b.data ? b.data : "", b.len);
    cf_buf_release(&b);
    return out;
}

static const char *
t_stor_ls(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    return t_stor_ls_kept(fx, r, rel, NULL);
}

/* A manifest of a tree: one line per entry, sorted, with sizes and content
 * hashes of files, targets of links, and "|" for fifos. */
static void
t_manifest_add(struct t_fx *fx, const char *root, const char *rel, struct cf_buf *b)
{
    struct dirent **v;
    const char *dir = rel[0] ? cf_pool_printf(fx->pool, "%s/%s", root, rel) : root;
    int n = scandir(dir, &v, NULL, alphasort);

    if (n < 0) {
        cf_buf_addf(b, "!%s\n", rel);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *nm = v[i]->d_name;
        const char *r2, *full;
        struct stat sb;

        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0) {
            free(v[i]);
            continue;
        }
        r2 = rel[0] ? cf_pool_printf(fx->pool, "%s/%s", rel, nm) : cf_pool_printf(fx->pool,
                                                                                   "%s", nm);
        full = cf_pool_printf(fx->pool, "%s/%s", root, r2);
        free(v[i]);
        if (lstat(full, &sb) < 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            cf_buf_addf(b, "%s/\n", r2);
            t_manifest_add(fx, root, r2, b);
        } else if (S_ISREG(sb.st_mode)) {
            size_t len;
            char *c = t_slurp_abs(fx, full, &len);

            cf_buf_addf(b, "%s %zu %016llx\n", r2, len,
                        (unsigned long long)cf_hash(c, len));
        } else if (S_ISLNK(sb.st_mode)) {
            char t[PATH_MAX];
            ssize_t tl = readlink(full, t, sizeof(t) - 1);

            t[tl < 0 ? 0 : tl] = '\0';
            cf_buf_addf(b, "%s -> %s\n", r2, t);
        } else {
            cf_buf_addf(b, "%s |\n", r2);
        }
    }
    free(v);
}

static const char *
t_manifest_abs(struct t_fx *fx, const char *root)
{
    struct cf_buf b = CF_BUF_INIT;
    const char *out;

    t_manifest_add(fx, root, "", &b);
    out = cf_pool_strndup(fx->pool, b.data ? b.data : "", b.len);
    cf_buf_release(&b);
    return out;
}

static const char *
t_manifest(struct t_fx *fx, struct stor_repo *r, const char *rel)
{
    return t_manifest_abs(fx, t_abs(fx, r, rel));
}

/* Writes all of p (no cmocka asserts: the child processes below use it;
 * the tests check the bytes that arrived). */
static int
t_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);

        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* PUT through storage; returns the commit's result. */
static int
t_put(struct stor_repo *r, const char *path, const void *p, size_t n,
      const struct timespec *mtime, struct stor_stat *st)
{
    struct stor_put put;
    int rc = stor_put_begin(r, path, &put);

    if (rc < 0)
        return rc;
    if (t_write_all(put.fd, p, n) < 0) {
        stor_put_abort(&put);
        return -EIO;
    }
    return stor_put_commit(&put, true, mtime, st);
}

static int
t_put_s(struct stor_repo *r, const char *path, const char *s)
{
    struct stor_stat st;

    return t_put(r, path, s, strlen(s), NULL, &st);
}

/* The content stor_open_read gives for path, from the pool. */
static char *
t_read(struct t_fx *fx, struct stor_repo *r, const char *path)
{
    struct stor_stat st;
    struct cf_buf b = CF_BUF_INIT;
    char chunk[4096], *out;
    ssize_t n;
    int fd = -1;

    assert_int_equal(stor_open_read(r, path, &fd, &st), 0);
    assert_false(st.is_dir);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        cf_buf_add(&b, chunk, (size_t)n);
    close(fd);
    assert_int_equal(b.len, st.size);
    out = cf_pool_strndup(fx->pool, b.data ? b.data : "", b.len);
    cf_buf_release(&b);
    return out;
}

/* ---- the parent folder kept for a request (stor_request_begin/end) ---- */

static void
test_request_keeps_the_parent_it_resolved_and_only_for_itself(void **state)
{
    struct t_fx *fx = *state;
    struct stor_stat st, known;
    struct stor_put put;

    t_mkdir(fx, fx->r1, "k");
    t_mkfile_s(fx, fx->r1, "k/a.txt", "first a");
    t_mkfile_s(fx, fx->r1, "k/b.txt", "first b");
    stor_request_begin();
    assert_int_equal(stor_stat(fx->r1, "k/a.txt", &known), 0);
    /* the same folder serves the request's next calls, another folder too */
    assert_string_equal(t_read(fx, fx->r1, "k/b.txt"), "first b");
    assert_int_equal(stor_stat(fx->r1, "k/none.txt", &st), -ENOENT);
    assert_int_equal(stor_stat(fx->r2, "k/a.txt", &st), -ENOENT);
    assert_string_equal(t_read(fx, fx->r1, "k/a.txt"), "first a");
    /* a write with what the stat found */
    assert_int_equal(stor_put_begin_known(fx->r1, "k/a.txt", &known, &put), 0);
    assert_true(put.existed);
    assert_int_equal(put.old_size, 7);
    assert_int_equal(write(put.fd, "new a", 5), 5);
    assert_int_equal(stor_put_commit(&put, false, NULL, &st), 0);
    assert_string_equal(t_read(fx, fx->r1, "k/a.txt"), "new a");
    stor_request_end();
    /* a later request meets the folder that has the name now */
    assert_int_equal(rename(t_abs(fx, fx->r1, "k"), t_abs(fx, fx->r1, "k-old")), 0);
    t_mkdir(fx, fx->r1, "k");
    t_mkfile_s(fx, fx->r1, "k/a.txt", "second a");
    stor_request_begin();
    assert_int_equal(stor_stat(fx->r1, "k/a.txt", &st), 0);
    assert_int_equal(st.size, 8);
    assert_string_equal(t_read(fx, fx->r1, "k/a.txt"), "second a");
    stor_request_end();
    /* outside a request nothing is kept */
    assert_int_equal(stor_stat(fx->r1, "k/a.txt", &st), 0);
    assert_string_equal(t_read(fx, fx->r1, "k-old/a.txt"), "new a");
}

/* ---- small files' copies (stor_fcache) ---- */

static void
test_fcache_serves_the_version_a_stat_names(void **state)
{
    struct t_fx *fx = *state;
    struct stor_fcache *fc = stor_fcache_new();
    struct stor_mime *mime = stor_mime_new();
    const struct stor_fcached *e, *first;
    struct stor_stat st, st2;
    static char big[STOR_FCACHE_FILE + 1], mid[60000];

    t_mkfile_s(fx, fx->r1, "c.txt", "version one");
    assert_int_equal(stor_stat(fx->r1, "c.txt", &st), 0);
    assert_int_equal(stor_fcache_get(fc, mime, fx->r1, "c.txt", &st, &e), 0);
    assert_int_equal(e->st.size, 11);
    assert_memory_equal(e->data, "version one", 11);
    assert_string_equal(e->type, "text/plain");
    first = e;
    /* the same stat: the copy answers, not the file (gone now) */
    assert_int_equal(unlink(t_abs(fx, fx->r1, "c.txt")), 0);
    assert_int_equal(stor_fcache_get(fc, mime, fx->r1, "c.txt", &st, &e), 0);
    assert_ptr_equal(e, first);
    assert_memory_equal(e->data, "version one", 11);
    /* a new version of the same size: a new stat, a new read; bytes a
     * response holds outlive their copy */
    struct stor_fblob *held = stor_fcache_hold(e);
    const char *old = e->data;
    usleep(20 * 1000);
    t_mkfile_s(fx, fx->r1, "c.txt", "version two");
    assert_int_equal(stor_stat(fx->r1, "c.txt", &st), 0);
    assert_int_equal(stor_fcache_get(fc, mime, fx->r1, "c.txt", &st, &e), 0);
    assert_memory_equal(e->data, "version two", 11);
    assert_memory_equal(old, "version one", 11);
    stor_fcache_release(old, 11, held);
    /* another repository's file of the same path is its own */
    t_mkfile_s(fx, fx->r2, "c.txt", "beta's file");
    assert_int_equal(stor_stat(fx->r2, "c.txt", &st2), 0);
    assert_int_equal(stor_fcache_get(fc, mime, fx->r2, "c.txt", &st2, &e), 0);
    assert_memory_equal(e->data, "beta's file", 11);
    assert_int_equal(stor_fcache_get(fc, mime, fx->r1, "c.txt", &st, &e), 0);
    assert_memory_equal(e->data, "version two", 11);
    /* a stat made before a change, nothing kept yet: what is kept (and
     * answered) is the version read, with its own stat */
    t_mkfile_s(fx, fx->r2, "d.txt", "beta's file");
    assert_int_equal(stor_stat(fx->r2, "d.txt", &st2), 0);
    t_mkfile_s(fx, fx->r2, "d.txt", "beta, longer now");
    assert_int_equal(stor_fcache_get(fc, mime, fx->r2, "d.txt", &st2, &e), 0);
    assert_int_equal(e->st.size, 16);
    assert_memory_equal(e->data, "beta, longer now", 16);
    /* larger than STOR_FCACHE_FILE: served from the file */
    t_mkfile(fx, fx->r1, "big.bin", big, sizeof(big));
    assert_int_equal(stor_stat(fx->r1, "big.bin", &st), 0);
    assert_int_equal(stor_fcache_get(fc, mime, fx->r1, "big.bin", &st, &e), -EAGAIN);
    /* gone since its stat: storage's answer */
    t_mkfile_s(fx, fx->r1, "g.txt", "gone");
    assert_int_equal(stor_stat(fx->r1, "g.txt", &st), 0);
    assert_int_equal(unlink(t_abs(fx, fx->r1, "g.txt")), 0);
    assert_int_equal(stor_fcache_get(fc, mime, fx->r1, "g.txt", &st, &e), -ENOENT);
    /* more than the budget (4 MiB): copies are dropped, answers stay right */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 100; i++) {
            const char *name = cf_pool_printf(fx->pool, "m%02d.bin", i);

            if (pass == 0) {
                memset(mid, i, sizeof(mid));
                t_mkfile(fx, fx->r1, name, mid, sizeof(mid));
            }
            assert_int_equal(stor_stat(fx->r1, name, &st), 0);
            assert_int_equal(stor_fcache_get(fc, mime, fx->r1, name, &st, &e), 0);
            assert_int_equal(e->st.size, sizeof(mid));
            assert_int_equal(e->data[0], i);
            assert_int_equal(e->data[sizeof(mid) - 1], i);
        }
    }
    stor_mime_free(mime);
    stor_fcache_free(fc);
}

/* ---- symbolic links ---- */

/*
 * In alpha:
 *   d/           f.txt ("inside"), up -> ..
 *   out   -> /etc            (an absolute link out of the root)
 *   loop  -> out             (a link to a link)
 *   flink -> d/f.txt         (a link to a file inside the repository)
 *   dlink -> d               (a link to a collection inside)
 *   esc   -> <dir>/outside   (a writable place out of the root)
 */
static void
t_links(struct t_fx *fx)
{
    t_mkdir(fx, fx->r1, "d");
    t_mkfile_s(fx, fx->r1, "d/f.txt", "inside");
    t_symlink(fx, fx->r1, "..", "d/up");
    t_symlink(fx, fx->r1, "/etc", "out");
    t_symlink(fx, fx->r1, "out", "loop");
    t_symlink(fx, fx->r1, "d/f.txt", "flink");
    t_symlink(fx, fx->r1, "d", "dlink");
    t_symlink(fx, fx->r1, fx->outside, "esc");
}

/* The links, what they point to and the outside directory are unchanged. */
static void
t_links_intact(struct t_fx *fx)
{
    const char *want_out = cf_pool_printf(fx->pool, "secret 10 %016llx\n",
                                          (unsigned long long)cf_hash("top secret", 10));

    assert_string_equal(t_readlink(fx, fx->r1, "out"), "/etc");
    assert_string_equal(t_readlink(fx, fx->r1, "loop"), "out");
    assert_string_equal(t_readlink(fx, fx->r1, "flink"), "d/f.txt");
    assert_string_equal(t_readlink(fx, fx->r1, "dlink"), "d");
    assert_string_equal(t_readlink(fx, fx->r1, "esc"), fx->outside);
    assert_string_equal(t_readlink(fx, fx->r1, "d/up"), "..");
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "d/,dlink,esc,flink,loop,out");
    assert_string_equal(t_raw_ls(fx, fx->r1, "d"), "f.txt,up");
    assert_string_equal(t_slurp(fx, fx->r1, "d/f.txt"), "inside");
    assert_string_equal(t_manifest_abs(fx, fx->outside), want_out);
}

static void
test_stat_on_or_through_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = {
        "out", "loop", "flink", "dlink", "esc", "d/up",
        "out/passwd", "loop/passwd", "dlink/f.txt", "esc/secret", "d/up/d/f.txt",
    };
    struct stor_stat st;

    t_links(fx);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int rc = stor_stat(fx->r1, paths[i], &st);

        if (rc != -ELOOP)
            fail_msg("stor_stat(%s) = %d, want -ELOOP", paths[i], rc);
    }
    assert_int_equal(stor_stat(fx->r1, "d/f.txt", &st), 0);
    assert_int_equal(st.size, 6);
    t_links_intact(fx);
}

static void
test_open_read_on_or_through_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = {
        "out", "loop", "flink", "dlink", "esc", "d/up",
        "out/passwd", "loop/passwd", "dlink/f.txt", "esc/secret", "d/up/flink",
    };
    struct stor_stat st;

    t_links(fx);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int fd = -1;
        int rc = stor_open_read(fx->r1, paths[i], &fd, &st);

        if (rc != -ELOOP)
            fail_msg("stor_open_read(%s) = %d, want -ELOOP", paths[i], rc);
        assert_int_equal(fd, -1);
    }
    assert_string_equal(t_read(fx, fx->r1, "d/f.txt"), "inside");
    t_links_intact(fx);
}

static void
test_put_on_or_through_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = {
        "flink", "esc", "out", "loop", "dlink", "d/up",
        "esc/secret", "esc/new", "dlink/f.txt", "dlink/new", "out/coffer-test", "d/up/new",
    };

    t_links(fx);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct stor_put put;
        int rc = stor_put_begin(fx->r1, paths[i], &put);

        if (rc != -ELOOP) {
            if (rc == 0)
                stor_put_abort(&put);
            fail_msg("stor_put_begin(%s) = %d, want -ELOOP", paths[i], rc);
        }
        assert_int_equal(put.fd, -1);
        stor_put_abort(&put);           /* harmless after a failed begin */
    }
    t_links_intact(fx);
}

static void
test_mkcol_through_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = { "esc/new", "dlink/new", "d/up/new", "esc/a" };

    t_links(fx);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int rc = stor_mkcol(fx->r1, paths[i], false);

        if (rc != -ELOOP)
            fail_msg("stor_mkcol(%s) = %d, want -ELOOP", paths[i], rc);
    }
    t_links_intact(fx);
}

static void
test_mkcol_on_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = { "flink", "esc", "dlink", "loop" };

    t_links(fx);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int rc = stor_mkcol(fx->r1, paths[i], false);

        if (rc != -ELOOP)
            fail_msg("stor_mkcol(%s) = %d, want -ELOOP", paths[i], rc);
    }
    t_links_intact(fx);
}

static void
test_delete_on_or_through_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = {
        "flink", "esc", "dlink", "loop", "out", "d/up",
        "esc/secret", "dlink/f.txt", "d/up/flink", "out/coffer-no-such-file",
    };

    t_links(fx);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int rc = stor_delete(fx->r1, paths[i], NULL, NULL, NULL, false);

        if (rc != -ELOOP)
            fail_msg("stor_delete(%s) = %d, want -ELOOP", paths[i], rc);
    }
    t_links_intact(fx);
}

static void
test_dir_open_on_or_through_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = {
        "out", "loop", "dlink", "esc", "flink", "d/up", "out/ssl", "d/up/d",
    };

    t_links(fx);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct stor_dir *d = NULL;
        int rc = stor_dir_open(fx->r1, paths[i], &d);

        if (rc != -ELOOP) {
            stor_dir_close(d);
            fail_msg("stor_dir_open(%s) = %d, want -ELOOP", paths[i], rc);
        }
        assert_null(d);
    }
    t_links_intact(fx);
}

static void
test_copy_and_rename_through_symlink_are_eloop(void **state)
{
    struct t_fx *fx = *state;

    t_links(fx);
    /* sources on or through a link */
    assert_int_equal(stor_copy(fx->r1, "flink", fx->r1, "c1", true, NULL, NULL, false), -ELOOP);
    assert_int_equal(stor_copy(fx->r1, "dlink", fx->r1, "c2", true, NULL, NULL, false), -ELOOP);
    assert_int_equal(stor_copy(fx->r1, "esc", fx->r2, "c3", true, NULL, NULL, false), -ELOOP);
    assert_int_equal(stor_copy(fx->r1, "esc/secret", fx->r2, "c4", true, NULL, NULL, false),
                     -ELOOP);
    /* destinations through a link */
    assert_int_equal(stor_copy(fx->r1, "d/f.txt", fx->r1, "esc/c5", true, NULL, NULL, false),
                     -ELOOP);
    assert_int_equal(stor_copy(fx->r1, "d", fx->r1, "dlink/c6", true, NULL, NULL, false),
                     -ELOOP);
    assert_int_equal(stor_rename(fx->r1, "flink", fx->r1, "m1", false), -ELOOP);
    assert_int_equal(stor_rename(fx->r1, "esc/secret", fx->r2, "m2", false), -ELOOP);
    assert_int_equal(stor_rename(fx->r1, "d/f.txt", fx->r1, "esc/m3", false), -ELOOP);
    assert_int_equal(stor_rename(fx->r1, "d/f.txt", fx->r1, "dlink/m4", false), -ELOOP);
    t_links_intact(fx);
    assert_string_equal(t_raw_ls(fx, fx->r2, ""), "");
}

static void
test_set_mtime_on_or_through_symlink_is_eloop(void **state)
{
    struct t_fx *fx = *state;
    static const char *const paths[] = { "flink", "esc", "dlink/f.txt", "esc/secret" };
    struct timespec when = { 1000000000, 0 };
    struct stat before_link, before_target, before_secret, sb;
    char secret[1200];

    t_links(fx);
    snprintf(secret, sizeof(secret), "%s/secret", fx->outside);
    assert_int_equal(lstat(t_abs(fx, fx->r1, "flink"), &before_link), 0);
    assert_int_equal(stat(t_abs(fx, fx->r1, "d/f.txt"), &before_target), 0);
    assert_int_equal(stat(secret, &before_secret), 0);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        int rc = stor_set_mtime(fx->r1, paths[i], &when);

        if (rc != -ELOOP)
            fail_msg("stor_set_mtime(%s) = %d, want -ELOOP", paths[i], rc);
    }
    assert_int_equal(lstat(t_abs(fx, fx->r1, "flink"), &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, before_link.st_mtim.tv_sec);
    assert_int_equal(stat(t_abs(fx, fx->r1, "d/f.txt"), &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, before_target.st_mtim.tv_sec);
    assert_int_equal(stat(secret, &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, before_secret.st_mtim.tv_sec);
    t_links_intact(fx);
}

static void
test_tree_size_and_open_parent_through_symlink_are_eloop(void **state)
{
    struct t_fx *fx = *state;
    uint64_t n = 77;
    const char *leaf = NULL;
    int dirfd = -1;

    t_links(fx);
    assert_int_equal(stor_tree_size(fx->r1, "out", &n), -ELOOP);
    assert_int_equal(stor_tree_size(fx->r1, "esc", &n), -ELOOP);
    assert_int_equal(stor_tree_size(fx->r1, "dlink", &n), -ELOOP);
    assert_int_equal(stor_tree_size(fx->r1, "d/up", &n), -ELOOP);
    assert_int_equal(n, 77);
    assert_int_equal(stor_open_parent(fx->r1, "esc/x", &dirfd, &leaf), -ELOOP);
    assert_int_equal(stor_open_parent(fx->r1, "dlink/x", &dirfd, &leaf), -ELOOP);
    assert_int_equal(stor_open_parent(fx->r1, "d/up/d/x", &dirfd, &leaf), -ELOOP);
    assert_int_equal(dirfd, -1);
    /* the tree of the root does not follow links either: 6 bytes in d/f.txt */
    assert_int_equal(stor_tree_size(fx->r1, "", &n), 0);
    assert_int_equal(n, 6);
    assert_int_equal(stor_repo_usage(fx->r1), 0);   /* created empty, files made behind its back */
    t_links_intact(fx);
}

static void
test_delete_tree_removes_links_not_their_targets(void **state)
{
    struct t_fx *fx = *state;

    t_links(fx);
    t_mkdir(fx, fx->r1, "t");
    t_mkfile_s(fx, fx->r1, "t/f", "x");
    t_symlink(fx, fx->r1, fx->outside, "t/esc");
    t_symlink(fx, fx->r1, "../d", "t/dl");
    t_symlink(fx, fx->r1, "../d/f.txt", "t/fl");
    assert_int_equal(stor_delete(fx->r1, "t", NULL, NULL, NULL, true), 0);
    assert_false(t_exists(fx, fx->r1, "t"));
    t_links_intact(fx);
}

static void
test_copy_tree_skips_links(void **state)
{
    struct t_fx *fx = *state;

    t_links(fx);
    t_mkdir(fx, fx->r1, "t");
    t_mkfile_s(fx, fx->r1, "t/f", "x");
    t_symlink(fx, fx->r1, fx->outside, "t/esc");
    t_symlink(fx, fx->r1, "../d", "t/dl");
    assert_int_equal(stor_copy(fx->r1, "t", fx->r2, "t", true, NULL, NULL, false), 0);
    assert_string_equal(t_raw_ls(fx, fx->r2, "t"), "f");
    assert_string_equal(t_slurp(fx, fx->r2, "t/f"), "x");
    assert_int_equal(stor_copy(fx->r1, "d", fx->r2, "d", true, NULL, NULL, false), 0);
    assert_string_equal(t_raw_ls(fx, fx->r2, "d"), "f.txt");
    assert_int_equal(stor_rename(fx->r1, "t", fx->r2, "moved", false), 0);
    assert_string_equal(t_raw_ls(fx, fx->r2, "moved"), "dl,esc,f");
    assert_string_equal(t_manifest_abs(fx, fx->outside),
                        cf_pool_printf(fx->pool, "secret 10 %016llx\n",
                                       (unsigned long long)cf_hash("top secret", 10)));
}

/*
 * Code paths for older kernels and other filesystems: a child process
 * installs a seccomp filter that makes a system call fail (openat2 with
 * ENOSYS, open(O_TMPFILE) with EOPNOTSUPP), so that storage takes its
 * fallback, runs checks without cmocka (they would longjmp in the child) and
 * reports mismatches through a pipe.
 */
struct t_report {
    char text[8192];
    size_t len;
    int bad;
};

static void
t_report_add(struct t_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
t_report_add(struct t_report *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    r->bad++;
    if (r->len >= sizeof(r->text) - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof(r->text) - r->len ? (size_t)n : sizeof(r->text) - 1 - r->len;
}

#define T_CHECK(r, cond) \
    do { if (!(cond)) t_report_add((r), "line %d: %s\n", __LINE__, #cond); } while (0)

/* openat2 fails with ENOSYS, as on Linux before 5.6. */
static int
t_no_openat2(void)
{
    struct sock_filter f[] = {
        T_SECCOMP_OWN_ARCH,
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct open_how how = { .flags = O_RDONLY };

    if (t_seccomp(f, sizeof(f) / sizeof(f[0])) < 0)
        return -1;
    return syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how)) < 0 && errno == ENOSYS ? 0
                                                                                        : -1;
}

/* openat(O_TMPFILE) fails with EOPNOTSUPP, as on a filesystem without it. */
static int
t_no_tmpfile(void)
{
    struct sock_filter f[] = {
        T_SECCOMP_OWN_ARCH,
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 3),
        /* openat: the low word of flags (args[2]; little-endian), tested for
         * the kernel's own O_TMPFILE bit (glibc's __O_TMPFILE adds O_DIRECTORY) */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 020000000, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    int fd;

    if (t_seccomp(f, sizeof(f) / sizeof(f[0])) < 0)
        return -1;
    fd = openat(AT_FDCWD, ".", O_TMPFILE | O_WRONLY, 0600);
    if (fd >= 0) {
        close(fd);
        return -1;
    }
    return errno == EOPNOTSUPP ? 0 : -1;
}

/* linkat(AT_EMPTY_PATH) fails with ENOENT, as for a process without CAP_DAC_READ_SEARCH. */
static int
t_no_empty_path_link(void)
{
    struct sock_filter f[] = {
        T_SECCOMP_OWN_ARCH,
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_linkat, 0, 3),
        /* linkat: flags are args[4] */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOENT),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    int fd, rc;

    if (t_seccomp(f, sizeof(f) / sizeof(f[0])) < 0)
        return -1;
    if ((fd = openat(AT_FDCWD, "/tmp", O_TMPFILE | O_WRONLY, 0600)) < 0)
        return -1;
    rc = linkat(fd, "", AT_FDCWD, "/nonexistent-dir/x", AT_EMPTY_PATH) < 0 && errno == ENOENT
             ? 0 : -1;
    close(fd);
    return rc;
}

/* fsync and fdatasync fail with EIO, as on a disk that lost the write. */
static int
t_fsync_fails(void)
{
    struct sock_filter f[] = {
        T_SECCOMP_OWN_ARCH,
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fsync, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fdatasync, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EIO),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };

    if (t_seccomp(f, sizeof(f) / sizeof(f[0])) < 0)
        return -1;
    return fsync(STDERR_FILENO) < 0 && errno == EIO ? 0 : -1;
}

/* fsync of a file: counted, and of those the ones whose inode had no link yet */
static volatile sig_atomic_t t_fsyncs, t_fsyncs_unlinked;

#if defined(__x86_64__)
/* SIGSYS for a trapped fsync: looks at the file, then answers 0 in its place. */
static void
t_fsync_trap(int sig, siginfo_t *si, void *ctx)
{
    greg_t *reg = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    struct stat sb;

    (void)sig;
    (void)si;
    if (fstat((int)reg[REG_RDI], &sb) == 0 && S_ISREG(sb.st_mode)) {
        t_fsyncs++;
        if (sb.st_nlink == 0)
            t_fsyncs_unlinked++;
    }
    reg[REG_RAX] = 0;
}
#endif

/* fsync and fdatasync go to t_fsync_trap instead of the kernel (x86_64 only). */
static int
t_fsync_watched(void)
{
#if defined(__x86_64__)
    struct sock_filter f[] = {
        T_SECCOMP_OWN_ARCH,
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fsync, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fdatasync, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sigaction sa;
    int fd, rc;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = t_fsync_trap;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, NULL) < 0 || t_seccomp(f, sizeof(f) / sizeof(f[0])) < 0)
        return -1;
    if ((fd = openat(AT_FDCWD, "/tmp", O_TMPFILE | O_WRONLY, 0600)) < 0)
        return -1;
    rc = fsync(fd) == 0 && t_fsyncs == 1 && t_fsyncs_unlinked == 1 ? 0 : -1;
    close(fd);
    t_fsyncs = t_fsyncs_unlinked = 0;
    return rc;
#else
    return -1;
#endif
}

/* Runs body in a child under filter; fails with the child's report. */
static void
t_in_child(struct t_fx *fx, int (*filter)(void), void (*body)(struct t_fx *, struct t_report *))
{
    struct t_report rep;
    size_t got = 0;
    int pfd[2], status;
    pid_t pid;

    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct t_report r = { .len = 0 };

        close(pfd[0]);
        /* the child must not print TAP lines of its own */
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        alarm(60);      /* a child that goes wrong must not hang the run */
        if (filter() < 0)
            _exit(2);
        body(fx, &r);
        if (r.len > 0 && write(pfd[1], r.text, r.len) < 0)
            _exit(3);
        _exit(r.bad > 0);
    }
    close(pfd[1]);
    for (;;) {
        ssize_t n = read(pfd[0], rep.text + got, sizeof(rep.text) - 1 - got);

        if (n <= 0)
            break;
        got += (size_t)n;
    }
    rep.text[got] = '\0';
    close(pfd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2)
        skip();         /* no seccomp here */
    if (WEXITSTATUS(status) != 0) {
        fputs(rep.text, stderr);
        fail_msg("the child's checks failed (listed above)");
    }
}

enum t_op { T_STAT, T_READ, T_PUT, T_MKCOL, T_DELETE, T_DIROPEN, T_TREESIZE, T_COPY_SRC,
            T_COPY_DST, T_RENAME_SRC, T_PARENT };

static const char *const t_op_name[] = {
    "stor_stat", "stor_open_read", "stor_put_begin", "stor_mkcol", "stor_delete",
    "stor_dir_open", "stor_tree_size", "stor_copy (source)", "stor_copy (destination)",
    "stor_rename (source)", "stor_open_parent",
};

static int
t_op_run(struct t_fx *fx, enum t_op op, const char *path)
{
    struct stor_stat st;
    struct stor_put put;
    struct stor_dir *d = NULL;
    const char *leaf;
    uint64_t n;
    int fd = -1, rc = -1;

    switch (op) {
    case T_STAT:
        return stor_stat(fx->r1, path, &st);
    case T_READ:
        rc = stor_open_read(fx->r1, path, &fd, &st);
        if (rc == 0)
            close(fd);
        return rc;
    case T_PUT:
        rc = stor_put_begin(fx->r1, path, &put);
        if (rc == 0)
            stor_put_abort(&put);
        return rc;
    case T_MKCOL:
        return stor_mkcol(fx->r1, path, false);
    case T_DELETE:
        return stor_delete(fx->r1, path, NULL, NULL, NULL, false);
    case T_DIROPEN:
        rc = stor_dir_open(fx->r1, path, &d);
        stor_dir_close(d);
        return rc;
    case T_TREESIZE:
        return stor_tree_size(fx->r1, path, &n);
    case T_COPY_SRC:
        return stor_copy(fx->r1, path, fx->r2, "copied", true, NULL, NULL, false);
    case T_COPY_DST:
        return stor_copy(fx->r1, "d/f.txt", fx->r1, path, true, NULL, NULL, false);
    case T_RENAME_SRC:
        return stor_rename(fx->r1, path, fx->r2, "moved", false);
    case T_PARENT:
        rc = stor_open_parent(fx->r1, path, &fd, &leaf);
        if (rc == 0)
            close(fd);
        return rc;
    }
    return rc;
}

static void
t_walk_checks(struct t_fx *fx, struct t_report *r)
{
    static const struct {
        enum t_op op;
        const char *path;
    } checks[] = {
        { T_STAT, "out" }, { T_STAT, "flink" }, { T_STAT, "dlink" }, { T_STAT, "esc" },
        { T_STAT, "out/passwd" }, { T_STAT, "loop/passwd" }, { T_STAT, "dlink/f.txt" },
        { T_STAT, "esc/secret" }, { T_STAT, "d/up/d/f.txt" }, { T_STAT, "d/up/flink" },
        { T_READ, "flink" }, { T_READ, "out" }, { T_READ, "out/passwd" },
        { T_READ, "dlink/f.txt" }, { T_READ, "esc/secret" }, { T_READ, "d/up/d/f.txt" },
        { T_PUT, "flink" }, { T_PUT, "esc" }, { T_PUT, "esc/secret" }, { T_PUT, "esc/new" },
        { T_PUT, "dlink/new" }, { T_PUT, "d/up/new" },
        { T_MKCOL, "esc/new" }, { T_MKCOL, "dlink/new" }, { T_MKCOL, "d/up/new" },
        { T_DELETE, "flink" }, { T_DELETE, "esc" }, { T_DELETE, "esc/secret" },
        { T_DELETE, "dlink/f.txt" }, { T_DELETE, "d/up/flink" },
        { T_DIROPEN, "out" }, { T_DIROPEN, "loop" }, { T_DIROPEN, "dlink" },
        { T_DIROPEN, "esc" }, { T_DIROPEN, "d/up" }, { T_DIROPEN, "out/ssl" },
        { T_DIROPEN, "d/up/d" },
        { T_TREESIZE, "out" }, { T_TREESIZE, "esc" }, { T_TREESIZE, "dlink" },
        { T_TREESIZE, "d/up" },
        { T_COPY_SRC, "flink" }, { T_COPY_SRC, "dlink" }, { T_COPY_SRC, "esc/secret" },
        { T_COPY_DST, "esc/c" }, { T_COPY_DST, "dlink/c" },
        { T_RENAME_SRC, "flink" }, { T_RENAME_SRC, "esc/secret" },
        { T_RENAME_SRC, "dlink/f.txt" },
        { T_PARENT, "esc/x" }, { T_PARENT, "dlink/x" }, { T_PARENT, "d/up/d/x" },
    };
    struct stor_stat st;
    uint64_t n = 0;
    const char *ls;

    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        int rc = t_op_run(fx, checks[i].op, checks[i].path);

        if (rc != -ELOOP)
            t_report_add(r, "%s(%s) = %d (%s), want -ELOOP\n", t_op_name[checks[i].op],
                         checks[i].path, rc, rc < 0 ? strerror(-rc) : "ok");
    }
    /* and the walk still finds what is there */
    T_CHECK(r, stor_stat(fx->r1, "d/f.txt", &st) == 0 && st.size == 6);
    T_CHECK(r, stor_stat(fx->r1, "", &st) == 0 && st.is_dir);
    T_CHECK(r, stor_mkcol(fx->r1, "d/sub", false) == 0);
    T_CHECK(r, stor_mkcol(fx->r1, "d/sub/deeper", false) == 0);
    T_CHECK(r, t_put(fx->r1, "d/sub/deeper/new", "walk", 4, NULL, &st) == 0);
    T_CHECK(r, stor_tree_size(fx->r1, "d", &n) == 0 && n == 10);
    ls = t_stor_ls(fx, fx->r1, "d");
    T_CHECK(r, ls != NULL && strcmp(ls, "f.txt:6,sub/") == 0);
    ls = t_stor_ls(fx, fx->r1, "d/sub/deeper");
    T_CHECK(r, ls != NULL && strcmp(ls, "new:4") == 0);
    T_CHECK(r, stor_stat(fx->r1, "d/sub/deeper/missing", &st) == -ENOENT);
    T_CHECK(r, stor_stat(fx->r1, "d/f.txt/x", &st) == -ENOTDIR);
    T_CHECK(r, stor_copy(fx->r1, "d/sub", fx->r2, "sub", true, NULL, NULL, false) == 0);
    T_CHECK(r, stor_delete(fx->r1, "d/sub", NULL, NULL, NULL, false) == 0);
    T_CHECK(r, stor_delete(fx->r2, "sub", NULL, NULL, NULL, false) == 0);
}

static void
test_fallback_walk_without_openat2_refuses_symlinks_with_eloop(void **state)
{
    struct t_fx *fx = *state;

    t_links(fx);
    t_in_child(fx, t_no_openat2, t_walk_checks);
    /* whatever the errors said, nothing was followed or left behind */
    t_links_intact(fx);
    assert_string_equal(t_raw_ls(fx, fx->r2, ""), "");
}

static void
t_named_temp_checks(struct t_fx *fx, struct t_report *r)
{
    struct stor_put put;
    struct stor_stat st;
    const char *ls;
    char want[128];

    T_CHECK(r, t_put_s(fx->r1, "f", "old") == 0);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, ""), "f") == 0);

    /* while the body is written it has a hidden name nobody lists */
    T_CHECK(r, stor_put_begin(fx->r1, "f", &put) == 0);
    T_CHECK(r, stor_name_is_internal(put.tmpname, strlen(put.tmpname)));
    T_CHECK(r, strlen(put.tmpname) == 12 + 16);
    snprintf(want, sizeof(want), "%s,f", put.tmpname);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, ""), want) == 0);
    T_CHECK(r, t_write_all(put.fd, "never", 5) == 0);
    ls = t_stor_ls(fx, fx->r1, "");
    T_CHECK(r, ls != NULL && strcmp(ls, "f:3") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "f"), "old") == 0);
    stor_put_abort(&put);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, ""), "f") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "f"), "old") == 0);

    /* commit renames it over the target */
    T_CHECK(r, stor_put_begin(fx->r1, "f", &put) == 0);
    T_CHECK(r, t_write_all(put.fd, "new!", 4) == 0);
    T_CHECK(r, stor_put_commit(&put, true, NULL, &st) == 0 && st.size == 4);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, ""), "f") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "f"), "new!") == 0);

    /* a new file that is dropped leaves nothing */
    T_CHECK(r, stor_mkcol(fx->r1, "c", false) == 0);
    T_CHECK(r, stor_put_begin(fx->r1, "c/g", &put) == 0);
    stor_put_abort(&put);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, "c"), "") == 0);

    /* copies go through a temporary name too */
    T_CHECK(r, stor_copy(fx->r1, "f", fx->r1, "c/f", false, NULL, NULL, false) == 0);
    T_CHECK(r, stor_copy(fx->r1, "f", fx->r1, "c/f", false, NULL, NULL, false) == -EEXIST);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, "c"), "f") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "c/f"), "new!") == 0);
    T_CHECK(r, stor_copy(fx->r1, "c", fx->r2, "c", true, NULL, NULL, false) == 0);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r2, "c"), "f") == 0);
    T_CHECK(r, stor_repo_usage(fx->r1) == 8 && stor_repo_usage(fx->r2) == 4);
}

static void
test_put_uses_hidden_temp_names_without_o_tmpfile(void **state)
{
    struct t_fx *fx = *state;

    t_in_child(fx, t_no_tmpfile, t_named_temp_checks);
}

static void
t_proc_link_checks(struct t_fx *fx, struct t_report *r)
{
    struct stor_stat st;

    /* new files, replaced files and copies all get their names through /proc */
    for (int i = 0; i < 3; i++) {
        T_CHECK(r, t_put_s(fx->r1, "f", i == 0 ? "one" : i == 1 ? "two!" : "three") == 0);
        T_CHECK(r, stor_stat(fx->r1, "f", &st) == 0 && st.size == (i == 0 ? 3u : i == 1 ? 4u : 5u));
    }
    T_CHECK(r, t_put_s(fx->r1, "g", "gg") == 0);
    T_CHECK(r, stor_copy(fx->r1, "f", fx->r1, "h", false, NULL, NULL, false) == 0);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, ""), "f,g,h") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "f"), "three") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "h"), "three") == 0);
    T_CHECK(r, stor_repo_usage(fx->r1) == 12);
}

static void
test_put_names_files_through_proc_without_cap_dac_read_search(void **state)
{
    struct t_fx *fx = *state;

    t_in_child(fx, t_no_empty_path_link, t_proc_link_checks);
}

static void
t_fsync_fail_checks(struct t_fx *fx, struct t_report *r)
{
    struct stor_put put;
    struct stor_stat st;

    /* durable: the file is fsynced before it has its name, so a failed fsync names nothing */
    T_CHECK(r, t_put_s(fx->r1, "new", "lost") == -EIO);
    T_CHECK(r, stor_stat(fx->r1, "new", NULL) == -ENOENT);
    T_CHECK(r, stor_put_begin(fx->r1, "old", &put) == 0);
    T_CHECK(r, t_write_all(put.fd, "kept", 4) == 0);
    T_CHECK(r, stor_put_commit(&put, false, NULL, &st) == 0);
    T_CHECK(r, t_put_s(fx->r1, "old", "lost") == -EIO);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "old"), "kept") == 0);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, ""), "old") == 0);
    T_CHECK(r, stor_repo_usage(fx->r1) == 4);
}

static void
test_durable_put_whose_fsync_fails_leaves_the_old_content(void **state)
{
    struct t_fx *fx = *state;

    t_in_child(fx, t_fsync_fails, t_fsync_fail_checks);
}

static void
t_fsync_link_checks(struct t_fx *fx, struct t_report *r)
{
    struct stor_put put;
    struct stor_stat st;

    /* durable, new and existing: each file is fsynced when it already has a link */
    T_CHECK(r, t_put_s(fx->r1, "f", "one") == 0);
    T_CHECK(r, t_put_s(fx->r1, "f", "two") == 0);
    T_CHECK(r, t_fsyncs == 2);
    /* so is a durable copy */
    T_CHECK(r, stor_copy(fx->r1, "f", fx->r1, "h", false, NULL, NULL, true) == 0);
    T_CHECK(r, t_fsyncs == 3);
    T_CHECK(r, t_fsyncs_unlinked == 0);
    T_CHECK(r, stor_copy(fx->r1, "f", fx->r1, "i", false, NULL, NULL, false) == 0);
    /* not durable: no fsync at all */
    T_CHECK(r, stor_put_begin(fx->r1, "g", &put) == 0);
    T_CHECK(r, stor_put_commit(&put, false, NULL, &st) == 0);
    T_CHECK(r, t_fsyncs == 3);
    T_CHECK(r, strcmp(t_raw_ls(fx, fx->r1, ""), "f,g,h,i") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "h"), "two") == 0);
    T_CHECK(r, strcmp(t_slurp(fx, fx->r1, "f"), "two") == 0);
}

/*
 * fsync of a directory writes the directory, not the inodes linked into
 * it (ext4 without a journal): a durable PUT fsyncs its file once the file
 * has its hidden name, so the link count is on disk with the data before
 * the target's name points at it.
 */
static void
test_durable_put_fsyncs_the_file_once_it_has_a_link(void **state)
{
    struct t_fx *fx = *state;

    t_in_child(fx, t_fsync_watched, t_fsync_link_checks);
}

/*
 * A PUT of a new file whose name another writer took meanwhile replaces
 * that file, says so (put.existed: 204, not 201) and counts its bytes out
 * of the repository's usage.
 */
static void
test_put_of_a_file_made_meanwhile_replaces_it(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;
    struct stor_stat st;

    assert_int_equal(stor_put_begin(fx->r1, "f", &put), 0);
    assert_false(put.existed);
    assert_int_equal(t_write_all(put.fd, "mine", 4), 0);
    assert_int_equal(t_put_s(fx->r1, "f", "theirs"), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 6);
    assert_int_equal(stor_put_commit(&put, true, NULL, &st), 0);
    assert_true(put.existed);
    assert_int_equal(st.size, 4);
    assert_string_equal(t_slurp(fx, fx->r1, "f"), "mine");
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "f");
    assert_int_equal(stor_repo_usage(fx->r1), 4);
}

/* ---- listings ---- */

static void
test_name_is_internal(void **state)
{
    (void)state;
    assert_true(stor_name_is_internal(".coffer-tmp-0123456789abcdef", 28));
    assert_true(stor_name_is_internal(".coffer-tmp-", 12));
    assert_false(stor_name_is_internal(".coffer-tmp", 11));
    assert_false(stor_name_is_internal(".coffer-tmp-abc", 5));
    assert_false(stor_name_is_internal("coffer-tmp-abc", 14));
    assert_false(stor_name_is_internal(".Coffer-tmp-abc", 15));
    assert_false(stor_name_is_internal("x.coffer-tmp-abc", 16));
    assert_false(stor_name_is_internal(".coffer-temp-abc", 16));
    assert_false(stor_name_is_internal("", 0));
}

static void
test_dir_next_skips_links_fifos_and_internal_names(void **state)
{
    struct t_fx *fx = *state;
    struct stor_dir *d = NULL;
    struct stat sb;

    t_mkdir(fx, fx->r1, "L");
    t_mkfile_s(fx, fx->r1, "L/a", "1");
    t_mkfile_s(fx, fx->r1, "L/b", "22");
    t_mkfile_s(fx, fx->r1, "L/.hidden", "333");
    t_mkdir(fx, fx->r1, "L/sub");
    t_symlink(fx, fx->r1, "a", "L/ln");
    t_symlink(fx, fx->r1, "sub", "L/lnd");
    t_symlink(fx, fx->r1, "/etc", "L/out");
    t_symlink(fx, fx->r1, "nowhere", "L/dangling");
    assert_int_equal(mkfifo(t_abs(fx, fx->r1, "L/fifo"), 0644), 0);
    t_mkfile_s(fx, fx->r1, "L/.coffer-tmp-0011223344556677", "tmp");
    t_mkfile_s(fx, fx->r1, "L/.coffer-tmp-", "tmp");

    assert_string_equal(t_stor_ls(fx, fx->r1, "L"), ".hidden:3,a:1,b:2,sub/");
    assert_string_equal(t_stor_ls(fx, fx->r1, ""), "L/");
    assert_string_equal(t_stor_ls(fx, fx->r1, "L/sub"), "");
    assert_null(t_stor_ls(fx, fx->r1, "L/a"));
    /* the directory's fd opens its entries */
    assert_int_equal(stor_dir_open(fx->r1, "L", &d), 0);
    assert_int_equal(fstatat(stor_dir_fd(d), "b", &sb, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(sb.st_size, 2);
    stor_dir_close(d);
    stor_dir_close(NULL);
}

/* A write's hidden file an hour old was left by a crash: a listing removes
 * it; a younger one may belong to a write in progress and stays. */
static void
test_dir_next_removes_stale_hidden_files_of_writes(void **state)
{
    struct t_fx *fx = *state;
    struct timespec old[2] = { { time(NULL) - 7200, 0 }, { time(NULL) - 7200, 0 } };
    struct stat sb;

    t_mkdir(fx, fx->r1, "T");
    t_mkfile_s(fx, fx->r1, "T/a", "1");
    t_mkfile_s(fx, fx->r1, "T/.coffer-tmp-00000000000000aa", "left by a crash");
    t_mkfile_s(fx, fx->r1, "T/.coffer-tmp-00000000000000bb", "being written");
    t_mkdir(fx, fx->r1, "T/.coffer-tmp-00000000000000cc");
    assert_int_equal(utimensat(AT_FDCWD, t_abs(fx, fx->r1, "T/.coffer-tmp-00000000000000aa"), old,
                               0), 0);
    assert_int_equal(utimensat(AT_FDCWD, t_abs(fx, fx->r1, "T/.coffer-tmp-00000000000000cc"), old,
                               0), 0);
    assert_string_equal(t_stor_ls(fx, fx->r1, "T"), "a:1");
    assert_int_equal(stat(t_abs(fx, fx->r1, "T/.coffer-tmp-00000000000000aa"), &sb), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(stat(t_abs(fx, fx->r1, "T/.coffer-tmp-00000000000000bb"), &sb), 0);
    /* only files: a folder of that name is not ours to remove */
    assert_int_equal(stat(t_abs(fx, fx->r1, "T/.coffer-tmp-00000000000000cc"), &sb), 0);
}

/* ---- folder listings kept between requests (stor_dcache.c) ---- */

/* The stat stor_dir_next gives for dir/name; fails the test if none. */
static struct stor_stat
t_stor_entry(struct stor_repo *r, const char *dir, const char *name, bool *kept)
{
    struct stor_dir *d = NULL;
    struct stor_stat st, found;
    const char *n;
    bool seen = false;

    assert_int_equal(stor_dir_open(r, dir, &d), 0);
    *kept = stor_dir_cached(d);
    while (stor_dir_next(d, &n, &st) == 1)
        if (strcmp(n, name) == 0) {
            found = st;
            seen = true;
        }
    stor_dir_close(d);
    if (!seen)
        fail_msg("%s/%s not listed", dir, name);
    return found;
}

static void
t_append(struct t_fx *fx, struct stor_repo *r, const char *rel, const char *s)
{
    int fd = open(t_abs(fx, r, rel), O_WRONLY | O_APPEND | O_CLOEXEC);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
}

static void
test_listing_kept_until_the_folder_changes(void **state)
{
    struct t_fx *fx = *state;
    struct timespec when[2] = { { 1000000000, 5 }, { 1000000000, 5 } };
    struct stor_stat st;
    bool kept;

    t_mkdir(fx, fx->r1, "K");
    t_mkdir(fx, fx->r1, "K/s");
    t_mkfile_s(fx, fx->r1, "K/a", "1");
    t_mkfile_s(fx, fx->r1, "K/b", "22");
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "K", &kept), "a:1,b:2,s/");
    assert_false(kept);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "K", &kept), "a:1,b:2,s/");
    assert_true(kept);

    /* whoever changes the folder, the next listing shows it */
    t_append(fx, fx->r1, "K/a", "x");                          /* written in place */
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "K", &kept), "a:2,b:2,s/");
    assert_false(kept);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "K", &kept), "a:2,b:2,s/");
    assert_true(kept);
    t_mkfile_s(fx, fx->r1, "K/c", "333");                      /* created */
    assert_string_equal(t_stor_ls(fx, fx->r1, "K"), "a:2,b:2,c:3,s/");
    assert_int_equal(unlink(t_abs(fx, fx->r1, "K/b")), 0);     /* removed */
    assert_string_equal(t_stor_ls(fx, fx->r1, "K"), "a:2,c:3,s/");
    assert_int_equal(rename(t_abs(fx, fx->r1, "K/c"), t_abs(fx, fx->r1, "K/d")), 0);
    assert_string_equal(t_stor_ls(fx, fx->r1, "K"), "a:2,d:3,s/");
    t_mkfile_s(fx, fx->r1, "e", "4444");                       /* moved in */
    assert_int_equal(rename(t_abs(fx, fx->r1, "e"), t_abs(fx, fx->r1, "K/e")), 0);
    assert_string_equal(t_stor_ls(fx, fx->r1, "K"), "a:2,d:3,e:4,s/");
    assert_int_equal(truncate(t_abs(fx, fx->r1, "K/e"), 1), 0);  /* truncated */
    assert_string_equal(t_stor_ls(fx, fx->r1, "K"), "a:2,d:3,e:1,s/");
    assert_int_equal(utimensat(AT_FDCWD, t_abs(fx, fx->r1, "K/a"), when, 0), 0);
    st = t_stor_entry(fx->r1, "K", "a", &kept);
    assert_false(kept);
    assert_int_equal(st.mtime.tv_sec, 1000000000);
    assert_int_equal(st.mtime.tv_nsec, 5);
    /* storage's own writes are changes like any other */
    t_put_s(fx->r1, "K/a", "a new version");
    assert_string_equal(t_stor_ls(fx, fx->r1, "K"), "a:13,d:3,e:1,s/");
}

/*
 * A subfolder (its times change with what happens inside it) and a file with
 * another link elsewhere (written through it, this folder hears nothing) are
 * stat'ed again at each listing, even a kept one.
 */
static void
test_listing_kept_restats_folders_and_linked_files(void **state)
{
    struct t_fx *fx = *state;
    struct stor_stat st;
    struct stat sb;
    bool kept;

    t_mkdir(fx, fx->r1, "L");
    t_mkdir(fx, fx->r1, "L/sub");
    t_mkdir(fx, fx->r1, "other");
    t_mkfile_s(fx, fx->r1, "L/x", "1");
    assert_int_equal(link(t_abs(fx, fx->r1, "L/x"), t_abs(fx, fx->r1, "other/y")), 0);
    assert_string_equal(t_stor_ls(fx, fx->r1, "L"), "sub/,x:1");
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "L", &kept), "sub/,x:1");
    assert_true(kept);

    t_append(fx, fx->r1, "other/y", "more");
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "L", &kept), "sub/,x:5");
    assert_true(kept);

    usleep(10 * 1000);  /* a later mtime on any filesystem clock */
    t_mkfile_s(fx, fx->r1, "L/sub/f", "f");
    st = t_stor_entry(fx->r1, "L", "sub", &kept);
    assert_true(kept);
    assert_int_equal(stat(t_abs(fx, fx->r1, "L/sub"), &sb), 0);
    assert_int_equal(st.mtime.tv_sec, sb.st_mtim.tv_sec);
    assert_int_equal(st.mtime.tv_nsec, sb.st_mtim.tv_nsec);
}

/*
 * A write through a shared mapping reaches no inotify watch: a kept listing
 * is checked against the disk once it is two seconds old, which bounds how
 * long such a change goes unseen. Checked and found the same, it is kept on.
 */
static void
test_listing_checked_again_after_two_seconds(void **state)
{
    struct t_fx *fx = *state;
    struct stor_dir *d = NULL;
    struct stor_stat st;
    struct stat sb;
    const char *name;
    char last[16] = "", rel[32];
    char *m;
    int fd;
    bool kept;

    t_mkdir(fx, fx->r1, "M");
    for (int i = 0; i < 5; i++)
        t_mkfile(fx, fx->r1, cf_pool_printf(fx->pool, "M/f%d", i), "0123456789", 10);
    /* the entry the folder gives last: what matched before it is carried over */
    assert_int_equal(stor_dir_open(fx->r1, "M", &d), 0);
    while (stor_dir_next(d, &name, &st) == 1)
        snprintf(last, sizeof(last), "%s", name);
    stor_dir_close(d);
    snprintf(rel, sizeof(rel), "M/%s", last);
    fd = open(t_abs(fx, fx->r1, rel), O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    m = mmap(NULL, 10, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(m != MAP_FAILED);
    close(fd);          /* the mapping keeps the file open: IN_CLOSE_WRITE at munmap */
    assert_string_equal(t_stor_ls(fx, fx->r1, "M"), "f0:10,f1:10,f2:10,f3:10,f4:10");
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "M", &kept), "f0:10,f1:10,f2:10,f3:10,f4:10");
    assert_true(kept);
    usleep(10 * 1000);
    m[0] = 'X';         /* a new mtime, and no event */
    assert_int_equal(stat(t_abs(fx, fx->r1, rel), &sb), 0);
    st = t_stor_entry(fx->r1, "M", last, &kept);
    assert_true(kept);  /* not seen yet */
    usleep(2100 * 1000);
    st = t_stor_entry(fx->r1, "M", last, &kept);
    assert_false(kept);
    assert_int_equal(st.mtime.tv_sec, sb.st_mtim.tv_sec);
    assert_int_equal(st.mtime.tv_nsec, sb.st_mtim.tv_nsec);
    /* the listing kept from that reading has it, and the others as they were */
    st = t_stor_entry(fx->r1, "M", last, &kept);
    assert_true(kept);
    assert_int_equal(st.mtime.tv_nsec, sb.st_mtim.tv_nsec);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "M", &kept), "f0:10,f1:10,f2:10,f3:10,f4:10");
    assert_true(kept);
    /* two seconds on, nothing changed: checked once, then trusted again */
    usleep(2100 * 1000);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "M", &kept), "f0:10,f1:10,f2:10,f3:10,f4:10");
    assert_false(kept);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "M", &kept), "f0:10,f1:10,f2:10,f3:10,f4:10");
    assert_true(kept);
    munmap(m, 10);
}

/* A listing during which the folder changed, or not read to its end, is not kept. */
static void
test_listing_changed_or_cut_short_is_not_kept(void **state)
{
    struct t_fx *fx = *state;
    struct stor_dir *d = NULL;
    struct stor_stat st;
    const char *name;
    bool kept;

    t_mkdir(fx, fx->r1, "C");
    t_mkdir(fx, fx->r1, "E");
    for (int i = 0; i < 3; i++) {
        t_mkfile_s(fx, fx->r1, cf_pool_printf(fx->pool, "C/f%d", i), "x");
        t_mkfile_s(fx, fx->r1, cf_pool_printf(fx->pool, "E/f%d", i), "x");
    }
    assert_int_equal(stor_dir_open(fx->r1, "C", &d), 0);
    assert_int_equal(stor_dir_next(d, &name, &st), 1);
    t_mkfile_s(fx, fx->r1, "C/late", "y");
    while (stor_dir_next(d, &name, &st) == 1)
        ;
    stor_dir_close(d);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "C", &kept), "f0:1,f1:1,f2:1,late:1");
    assert_false(kept);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "C", &kept), "f0:1,f1:1,f2:1,late:1");
    assert_true(kept);

    assert_int_equal(stor_dir_open(fx->r1, "E", &d), 0);
    assert_int_equal(stor_dir_next(d, &name, &st), 1);
    stor_dir_close(d);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "E", &kept), "f0:1,f1:1,f2:1");
    assert_false(kept);
}

/* Two listings of a folder at once: the first keeps what it reads, the other only reads. */
static void
test_listing_read_by_two_at_once_is_kept_by_the_first(void **state)
{
    struct t_fx *fx = *state;
    struct stor_dir *d1 = NULL, *d2 = NULL;
    struct stor_stat st;
    const char *name;
    size_t n1 = 0, n2 = 0;
    bool kept;

    t_mkdir(fx, fx->r1, "T2");
    for (int i = 0; i < 5; i++)
        t_mkfile_s(fx, fx->r1, cf_pool_printf(fx->pool, "T2/f%d", i), "x");
    assert_int_equal(stor_dir_open(fx->r1, "T2", &d1), 0);
    assert_int_equal(stor_dir_open(fx->r1, "T2", &d2), 0);
    assert_false(stor_dir_cached(d1));
    assert_false(stor_dir_cached(d2));
    while (stor_dir_next(d2, &name, &st) == 1)
        n2++;
    stor_dir_close(d2);
    /* the second kept nothing: the first is still reading */
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "T2", &kept), "f0:1,f1:1,f2:1,f3:1,f4:1");
    assert_false(kept);
    while (stor_dir_next(d1, &name, &st) == 1)
        n1++;
    stor_dir_close(d1);
    assert_int_equal(n1, 5);
    assert_int_equal(n2, 5);
    assert_string_equal(t_stor_ls_kept(fx, fx->r1, "T2", &kept), "f0:1,f1:1,f2:1,f3:1,f4:1");
    assert_true(kept);
}

/* A folder whose listing would take more than a quarter of the budget is read each time. */
static void
test_listing_of_a_huge_folder_is_not_kept(void **state)
{
    struct t_fx *fx = *state;
    struct stor_dir *d = NULL;
    struct stor_stat st;
    const char *name;
    char pad[241], rel[300];
    size_t n;

    memset(pad, 'n', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    t_mkdir(fx, fx->r1, "H");
    /* 16,000 entries of some 290 bytes each: 4.6 MB, over the 2 MiB a listing may take */
    for (int i = 0; i < 16000; i++) {
        snprintf(rel, sizeof(rel), "H/%s%05d", pad, i);
        int fd = open(t_abs(fx, fx->r1, rel), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        close(fd);
    }
    for (int round = 0; round < 2; round++) {
        assert_int_equal(stor_dir_open(fx->r1, "H", &d), 0);
        assert_false(stor_dir_cached(d));
        n = 0;
        while (stor_dir_next(d, &name, &st) == 1)
            n++;
        stor_dir_close(d);
        assert_int_equal(n, 16000);
    }
}

static void
test_dir_next_ends_with_0_when_entries_vanish_during_the_listing(void **state)
{
    struct t_fx *fx = *state;
    struct stor_dir *d = NULL;
    struct stor_stat st;
    const char *name;
    char first[16];
    int rc, more = 0;

    t_mkdir(fx, fx->r1, "v");
    for (int i = 0; i < 10; i++)
        t_mkfile_s(fx, fx->r1, cf_pool_printf(fx->pool, "v/f%d", i), "x");
    assert_int_equal(stor_dir_open(fx->r1, "v", &d), 0);
    assert_int_equal(stor_dir_next(d, &name, &st), 1);
    snprintf(first, sizeof(first), "%s", name);
    /* another request deletes the rest while this listing is under way */
    for (int i = 0; i < 10; i++) {
        const char *n = cf_pool_printf(fx->pool, "f%d", i);

        if (strcmp(n, first) != 0)
            assert_int_equal(unlink(t_abs(fx, fx->r1, cf_pool_printf(fx->pool, "v/%s", n))),
                             0);
    }
    while ((rc = stor_dir_next(d, &name, &st)) == 1)
        more++;
    stor_dir_close(d);
    /* the vanished entries are skipped and the listing ends normally */
    assert_int_equal(rc, 0);
    assert_int_equal(more, 0);
}

static void
test_dir_open_errors(void **state)
{
    struct t_fx *fx = *state;
    struct stor_dir *d = NULL;

    t_mkfile_s(fx, fx->r1, "f", "x");
    assert_int_equal(stor_dir_open(fx->r1, "missing", &d), -ENOENT);
    assert_int_equal(stor_dir_open(fx->r1, "f", &d), -ENOTDIR);
    assert_int_equal(stor_dir_open(fx->r1, "f/x", &d), -ENOTDIR);
    assert_null(d);
}

static void
test_dir_listing_of_1000_files_returns_each_once(void **state)
{
    struct t_fx *fx = *state;
    int seen[1000] = { 0 };
    struct stor_dir *d = NULL;
    struct stor_stat st;
    const char *name;
    int dfd, rc, total = 0, dirs = 0;

    t_mkdir(fx, fx->r1, "big");
    dfd = open(t_abs(fx, fx->r1, "big"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    for (int i = 0; i < 1000; i++) {
        char nm[16];
        int fd;

        snprintf(nm, sizeof(nm), "f%04d", i);
        fd = openat(dfd, nm, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(t_write_all(fd, nm, (size_t)(i % 7)), 0);
        close(fd);
    }
    assert_int_equal(mkdirat(dfd, "zsub", 0755), 0);
    close(dfd);

    assert_int_equal(stor_dir_open(fx->r1, "big", &d), 0);
    while ((rc = stor_dir_next(d, &name, &st)) == 1) {
        int i;

        total++;
        if (strcmp(name, "zsub") == 0) {
            assert_true(st.is_dir);
            dirs++;
            continue;
        }
        assert_int_equal(strlen(name), 5);
        assert_int_equal(name[0], 'f');
        i = (name[1] - '0') * 1000 + (name[2] - '0') * 100 + (name[3] - '0') * 10 +
            (name[4] - '0');
        assert_in_range(i, 0, 999);
        assert_false(st.is_dir);
        assert_int_equal(st.size, (uint64_t)(i % 7));
        seen[i]++;
    }
    assert_int_equal(rc, 0);
    /* at the end it stays at the end */
    assert_int_equal(stor_dir_next(d, &name, &st), 0);
    stor_dir_close(d);
    assert_int_equal(total, 1001);
    assert_int_equal(dirs, 1);
    for (int i = 0; i < 1000; i++)
        if (seen[i] != 1)
            fail_msg("f%04d listed %d times", i, seen[i]);
}

/* ---- stat and read ---- */

static void
test_stat_and_open_read_kinds(void **state)
{
    struct t_fx *fx = *state;
    struct stor_stat st;
    struct stat sb;
    int fd = -1;

    t_mkdir(fx, fx->r1, "c");
    t_mkfile_s(fx, fx->r1, "c/f", "hello");
    assert_int_equal(mkfifo(t_abs(fx, fx->r1, "fifo"), 0644), 0);

    assert_int_equal(stor_stat(fx->r1, "", &st), 0);
    assert_true(st.is_dir);
    assert_int_equal(st.size, 0);
    assert_int_equal(stor_stat(fx->r1, "c", &st), 0);
    assert_true(st.is_dir);
    assert_int_equal(stor_stat(fx->r1, "c/f", &st), 0);
    assert_false(st.is_dir);
    assert_int_equal(st.size, 5);
    assert_int_equal(stat(t_abs(fx, fx->r1, "c/f"), &sb), 0);
    assert_int_equal(st.ino, sb.st_ino);
    assert_int_equal(st.mtime.tv_sec, sb.st_mtim.tv_sec);
    assert_int_equal(st.mtime.tv_nsec, sb.st_mtim.tv_nsec);
    assert_int_equal(stor_stat(fx->r1, "c/f", NULL), 0);
    assert_int_equal(stor_stat(fx->r1, "missing", &st), -ENOENT);
    assert_int_equal(stor_stat(fx->r1, "c/missing", &st), -ENOENT);
    assert_int_equal(stor_stat(fx->r1, "missing/x", &st), -ENOENT);
    assert_int_equal(stor_stat(fx->r1, "c/f/x", &st), -ENOTDIR);
    assert_int_equal(stor_stat(fx->r1, "fifo", &st), -EPERM);

    assert_string_equal(t_read(fx, fx->r1, "c/f"), "hello");
    assert_int_equal(stor_open_read(fx->r1, "c", &fd, &st), -EISDIR);
    assert_int_equal(stor_open_read(fx->r1, "", &fd, &st), -EISDIR);
    assert_int_equal(stor_open_read(fx->r1, "missing", &fd, &st), -ENOENT);
    assert_int_equal(stor_open_read(fx->r1, "c/missing", &fd, &st), -ENOENT);
    /* a fifo is refused without blocking */
    assert_int_equal(stor_open_read(fx->r1, "fifo", &fd, &st), -EPERM);
    assert_int_equal(fd, -1);
}

static void
test_open_parent_gives_directory_and_leaf(void **state)
{
    struct t_fx *fx = *state;
    const char *deep = "a/b/c", *top = "x", *leaf = NULL;
    struct stat sb, want;
    int dirfd = -1;

    assert_int_equal(stor_mkcol(fx->r1, "a", false), 0);
    assert_int_equal(stor_mkcol(fx->r1, "a/b", false), 0);
    assert_int_equal(t_put_s(fx->r1, "a/b/c", "c"), 0);

    assert_int_equal(stor_open_parent(fx->r1, deep, &dirfd, &leaf), 0);
    assert_ptr_equal(leaf, deep + 4);
    assert_int_equal(fstat(dirfd, &sb), 0);
    assert_int_equal(stat(t_abs(fx, fx->r1, "a/b"), &want), 0);
    assert_int_equal(sb.st_ino, want.st_ino);
    assert_int_equal(fstatat(dirfd, leaf, &sb, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(sb.st_size, 1);
    close(dirfd);

    /* one component: a copy of the root fd the caller may close */
    dirfd = -1;
    assert_int_equal(stor_open_parent(fx->r1, top, &dirfd, &leaf), 0);
    assert_ptr_equal(leaf, top);
    assert_true(dirfd >= 0 && dirfd != fx->r1->rootfd);
    assert_int_equal(fstat(dirfd, &sb), 0);
    assert_int_equal(fstat(fx->r1->rootfd, &want), 0);
    assert_int_equal(sb.st_ino, want.st_ino);
    close(dirfd);
    assert_true(fcntl(fx->r1->rootfd, F_GETFD) >= 0);

    dirfd = -1;
    assert_int_equal(stor_open_parent(fx->r1, "missing/x", &dirfd, &leaf), -ENOENT);
    assert_int_equal(stor_open_parent(fx->r1, "a/b/c/x", &dirfd, &leaf), -ENOTDIR);
    assert_int_equal(dirfd, -1);
}

/* ---- PUT ---- */

static void
test_put_old_content_visible_until_commit(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;
    struct stor_stat st;

    assert_int_equal(t_put_s(fx->r1, "f", "old"), 0);
    assert_int_equal(stor_put_begin(fx->r1, "f", &put), 0);
    assert_true(put.existed);
    assert_int_equal(put.old_size, 3);
    assert_int_equal(t_write_all(put.fd, "new content", 11), 0);
    /* a reader still sees the old bytes, and no other name appears */
    assert_string_equal(t_read(fx, fx->r1, "f"), "old");
    assert_int_equal(stor_stat(fx->r1, "f", &st), 0);
    assert_int_equal(st.size, 3);
    assert_string_equal(t_stor_ls(fx, fx->r1, ""), "f:3");
    memset(&st, 0, sizeof(st));
    assert_int_equal(stor_put_commit(&put, true, NULL, &st), 0);
    assert_false(st.is_dir);
    assert_int_equal(st.size, 11);
    assert_int_equal(put.fd, -1);
    assert_int_equal(put.dirfd, -1);
    assert_string_equal(t_read(fx, fx->r1, "f"), "new content");
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "f");
}

static void
test_put_new_file_in_subcollection(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;
    struct stor_stat st;
    struct stat sb;

    assert_int_equal(stor_mkcol(fx->r1, "a", true), 0);
    assert_int_equal(stor_mkcol(fx->r1, "a/b", false), 0);
    assert_int_equal(stor_put_begin(fx->r1, "a/b/new.txt", &put), 0);
    assert_false(put.existed);
    assert_int_equal(put.old_size, 0);
    assert_string_equal(put.leaf, "new.txt");
    assert_false(t_exists(fx, fx->r1, "a/b/new.txt"));
    assert_int_equal(t_write_all(put.fd, "abc", 3), 0);
    assert_int_equal(stor_put_commit(&put, false, NULL, &st), 0);
    assert_int_equal(st.size, 3);
    assert_int_equal(stat(t_abs(fx, fx->r1, "a/b/new.txt"), &sb), 0);
    assert_int_equal(st.ino, sb.st_ino);
    assert_string_equal(t_slurp(fx, fx->r1, "a/b/new.txt"), "abc");
    assert_string_equal(t_raw_ls(fx, fx->r1, "a/b"), "new.txt");
    /* an empty body makes an empty file */
    assert_int_equal(t_put(fx->r1, "a/empty", "", 0, NULL, &st), 0);
    assert_int_equal(st.size, 0);
    assert_string_equal(t_slurp(fx, fx->r1, "a/empty"), "");
}

static void
test_put_abort_keeps_old_content_and_leaves_no_temp(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;

    assert_int_equal(stor_mkcol(fx->r1, "c", false), 0);
    assert_int_equal(t_put_s(fx->r1, "c/f", "old"), 0);
    assert_int_equal(stor_put_begin(fx->r1, "c/f", &put), 0);
    assert_int_equal(t_write_all(put.fd, "never seen", 10), 0);
    stor_put_abort(&put);
    assert_int_equal(put.fd, -1);
    assert_int_equal(put.dirfd, -1);
    assert_string_equal(t_read(fx, fx->r1, "c/f"), "old");
    assert_string_equal(t_raw_ls(fx, fx->r1, "c"), "f");
    /* a second abort does nothing */
    stor_put_abort(&put);
    assert_string_equal(t_raw_ls(fx, fx->r1, "c"), "f");
    assert_int_equal(stor_repo_usage(fx->r1), 3);
}

static void
test_put_abort_of_new_file_leaves_nothing(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;

    assert_int_equal(stor_put_begin(fx->r1, "new", &put), 0);
    assert_int_equal(t_write_all(put.fd, "never seen", 10), 0);
    stor_put_abort(&put);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "");
    assert_int_equal(stor_stat(fx->r1, "new", NULL), -ENOENT);
    assert_int_equal(stor_repo_usage(fx->r1), 0);
}

static void
test_put_commit_sets_mtime(void **state)
{
    struct t_fx *fx = *state;
    struct timespec when = { 1234567890, 987654321 };
    struct stor_stat st, st2;
    struct stat sb;

    assert_int_equal(t_put(fx->r1, "f", "data", 4, &when, &st), 0);
    assert_int_equal(st.mtime.tv_sec, 1234567890);
    assert_int_equal(st.mtime.tv_nsec, 987654321);
    assert_int_equal(stat(t_abs(fx, fx->r1, "f"), &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, 1234567890);
    assert_int_equal(sb.st_mtim.tv_nsec, 987654321);
    assert_int_equal(stor_stat(fx->r1, "f", &st2), 0);
    assert_int_equal(st2.mtime.tv_sec, 1234567890);
    assert_int_equal(st2.mtime.tv_nsec, 987654321);
    /* without one, the file's time is now */
    assert_int_equal(t_put(fx->r1, "g", "data", 4, NULL, &st), 0);
    assert_true(st.mtime.tv_sec >= time(NULL) - 60);
}

static void
test_set_mtime_of_file_and_collection(void **state)
{
    struct t_fx *fx = *state;
    struct timespec when = { 1500000000, 5 };
    struct stor_stat st;

    assert_int_equal(t_put_s(fx->r1, "f", "x"), 0);
    assert_int_equal(stor_mkcol(fx->r1, "c", false), 0);
    assert_int_equal(stor_set_mtime(fx->r1, "f", &when), 0);
    assert_int_equal(stor_stat(fx->r1, "f", &st), 0);
    assert_int_equal(st.mtime.tv_sec, 1500000000);
    assert_int_equal(st.mtime.tv_nsec, 5);
    assert_int_equal(stor_set_mtime(fx->r1, "c", &when), 0);
    assert_int_equal(stor_stat(fx->r1, "c", &st), 0);
    assert_int_equal(st.mtime.tv_sec, 1500000000);
    assert_int_equal(stor_set_mtime(fx->r1, "missing", &when), -ENOENT);
}

static void
test_put_missing_parent_is_enoent(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;

    assert_int_equal(stor_put_begin(fx->r1, "nodir/f", &put), -ENOENT);
    assert_int_equal(put.fd, -1);
    stor_put_abort(&put);
    assert_int_equal(stor_put_begin(fx->r1, "no/such/dir/f", &put), -ENOENT);
    stor_put_abort(&put);
    assert_int_equal(t_put_s(fx->r1, "file", "x"), 0);
    assert_int_equal(stor_put_begin(fx->r1, "file/f", &put), -ENOTDIR);
    stor_put_abort(&put);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "file");
}

static void
test_put_on_collection_is_eisdir(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;

    assert_int_equal(stor_mkcol(fx->r1, "c", false), 0);
    assert_int_equal(stor_put_begin(fx->r1, "c", &put), -EISDIR);
    assert_int_equal(put.fd, -1);
    stor_put_abort(&put);
    assert_int_equal(stor_put_begin(fx->r1, "", &put), -EISDIR);
    stor_put_abort(&put);
    assert_true(t_is_dir(fx, fx->r1, "c"));
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "c/");
}

static void
test_usage_follows_puts_copies_renames_and_deletes(void **state)
{
    struct t_fx *fx = *state;
    char big[100];
    struct stor_stat st;
    uint64_t n;

    memset(big, 'x', sizeof(big));
    assert_int_equal(stor_repo_usage(fx->r1), 0);
    assert_int_equal(t_put(fx->r1, "a", big, 100, NULL, &st), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 100);
    assert_int_equal(t_put(fx->r1, "b", big, 50, NULL, &st), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 150);
    assert_int_equal(t_put(fx->r1, "a", big, 10, NULL, &st), 0);     /* overwrite */
    assert_int_equal(stor_repo_usage(fx->r1), 60);
    assert_int_equal(stor_mkcol(fx->r1, "d", false), 0);
    assert_int_equal(t_put(fx->r1, "d/x", big, 7, NULL, &st), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 67);
    assert_int_equal(stor_copy(fx->r1, "d", fx->r1, "e", true, NULL, NULL, false), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 74);
    assert_int_equal(stor_copy(fx->r1, "b", fx->r2, "b", false, NULL, NULL, false), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 74);
    assert_int_equal(stor_repo_usage(fx->r2), 50);
    assert_int_equal(stor_rename(fx->r1, "e", fx->r2, "e", false), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 67);
    assert_int_equal(stor_repo_usage(fx->r2), 57);
    assert_int_equal(stor_rename(fx->r1, "a", fx->r1, "a2", false), 0);   /* same repo */
    assert_int_equal(stor_repo_usage(fx->r1), 67);
    assert_int_equal(stor_delete(fx->r1, "b", NULL, NULL, NULL, false), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 17);
    assert_int_equal(stor_delete(fx->r1, "d", NULL, NULL, NULL, false), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 10);
    /* a failed PUT counts nothing */
    assert_int_equal(stor_put_begin(fx->r1, "none/x", &(struct stor_put){ 0 }), -ENOENT);
    assert_int_equal(stor_repo_usage(fx->r1), 10);
    /* the walk agrees, and a new registry walks to the same numbers */
    assert_int_equal(stor_tree_size(fx->r1, "", &n), 0);
    assert_int_equal(n, 10);
    assert_int_equal(stor_tree_size(fx->r2, "", &n), 0);
    assert_int_equal(n, 57);
    t_reopen(fx);
    assert_int_equal(stor_repo_usage(fx->r1), 10);
    assert_int_equal(stor_repo_usage(fx->r2), 57);
    assert_int_equal(t_put(fx->r1, "c", big, 5, NULL, &st), 0);
    assert_int_equal(stor_repo_usage(fx->r1), 15);
}

static void
test_put_commit_without_stat_still_counts_usage(void **state)
{
    struct t_fx *fx = *state;
    struct stor_put put;

    assert_int_equal(stor_repo_usage(fx->r1), 0);
    assert_int_equal(stor_put_begin(fx->r1, "f", &put), 0);
    assert_int_equal(t_write_all(put.fd, "0123456789", 10), 0);
    assert_int_equal(stor_put_commit(&put, false, NULL, NULL), 0);
    assert_string_equal(t_slurp(fx, fx->r1, "f"), "0123456789");
    assert_int_equal(stor_repo_usage(fx->r1), 10);
}

/* ---- MKCOL ---- */

static void
test_mkcol_existing_is_eexist(void **state)
{
    struct t_fx *fx = *state;

    assert_int_equal(stor_mkcol(fx->r1, "c", true), 0);
    assert_true(t_is_dir(fx, fx->r1, "c"));
    assert_int_equal(stor_mkcol(fx->r1, "c", true), -EEXIST);
    assert_int_equal(stor_mkcol(fx->r1, "c/d", false), 0);
    assert_int_equal(stor_mkcol(fx->r1, "c/d", false), -EEXIST);
    assert_int_equal(t_put_s(fx->r1, "f", "x"), 0);
    assert_int_equal(stor_mkcol(fx->r1, "f", false), -EEXIST);
    assert_int_equal(stor_mkcol(fx->r1, "", false), -EEXIST);
    assert_string_equal(t_slurp(fx, fx->r1, "f"), "x");
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "c/,f");
}

static void
test_mkcol_without_parent_is_enoent(void **state)
{
    struct t_fx *fx = *state;

    assert_int_equal(stor_mkcol(fx->r1, "a/b", false), -ENOENT);
    assert_int_equal(stor_mkcol(fx->r1, "a/b/c", false), -ENOENT);
    assert_int_equal(t_put_s(fx->r1, "f", "x"), 0);
    assert_int_equal(stor_mkcol(fx->r1, "f/x", false), -ENOTDIR);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "f");
}

/* ---- DELETE ---- */

struct t_calls {
    const char *refuse;         /* the path check refuses */
    int refuse_err;
    int nchecked;
    char checked[64][64];
    bool checked_dir[64];
    int nfailed;
    char failed[16][64];
    int failerr[16];
};

static int
t_check(void *arg, const char *path, bool is_dir)
{
    struct t_calls *c = arg;

    if (c->nchecked < 64) {
        snprintf(c->checked[c->nchecked], sizeof(c->checked[0]), "%s", path);
        c->checked_dir[c->nchecked] = is_dir;
    }
    c->nchecked++;
    if (c->refuse != NULL && strcmp(path, c->refuse) == 0)
        return c->refuse_err;
    return 0;
}

static void
t_fail(void *arg, const char *path, int err)
{
    struct t_calls *c = arg;

    if (c->nfailed < 16) {
        snprintf(c->failed[c->nfailed], sizeof(c->failed[0]), "%s", path);
        c->failerr[c->nfailed] = err;
    }
    c->nfailed++;
}

/* Index of path in c->checked, or -1. */
static int
t_checked(const struct t_calls *c, const char *path)
{
    for (int i = 0; i < c->nchecked && i < 64; i++)
        if (strcmp(c->checked[i], path) == 0)
            return i;
    return -1;
}

/*
 * t/ x  y/ z  keep  w/ deep    q/ r
 */
static void
t_tree(struct t_fx *fx, struct stor_repo *r)
{
    t_mkdir(fx, r, "t");
    t_mkfile_s(fx, r, "t/x", "x");
    t_mkdir(fx, r, "t/y");
    t_mkfile_s(fx, r, "t/y/z", "zz");
    t_mkfile_s(fx, r, "t/y/keep", "keep");
    t_mkdir(fx, r, "t/y/w");
    t_mkfile_s(fx, r, "t/y/w/deep", "deep!");
    t_mkdir(fx, r, "t/q");
    t_mkfile_s(fx, r, "t/q/r", "r");
}

static void
test_delete_file(void **state)
{
    struct t_fx *fx = *state;
    struct t_calls c = { 0 };

    assert_int_equal(t_put_s(fx->r1, "f", "12345"), 0);
    assert_int_equal(t_put_s(fx->r1, "g", "1"), 0);
    assert_int_equal(stor_delete(fx->r1, "f", t_check, t_fail, &c, true), 0);
    assert_int_equal(c.nchecked, 1);
    assert_string_equal(c.checked[0], "f");
    assert_false(c.checked_dir[0]);
    assert_int_equal(c.nfailed, 0);
    assert_int_equal(stor_stat(fx->r1, "f", NULL), -ENOENT);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "g");
    assert_int_equal(stor_repo_usage(fx->r1), 1);
    assert_int_equal(stor_delete(fx->r1, "f", NULL, NULL, NULL, false), -ENOENT);
    assert_int_equal(stor_delete(fx->r1, "nodir/f", NULL, NULL, NULL, false), -ENOENT);
}

static void
test_delete_tree(void **state)
{
    struct t_fx *fx = *state;
    struct t_calls c = { 0 };

    t_tree(fx, fx->r1);
    t_mkfile_s(fx, fx->r1, "t/.coffer-tmp-0123456789abcdef", "leftover");
    assert_int_equal(mkfifo(t_abs(fx, fx->r1, "t/q/fifo"), 0644), 0);
    t_mkfile_s(fx, fx->r1, "tt", "prefix neighbour");
    assert_int_equal(stor_delete(fx->r1, "t", t_check, t_fail, &c, true), 0);
    assert_int_equal(c.nfailed, 0);
    assert_false(t_exists(fx, fx->r1, "t"));
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "tt");
    /* every member was asked about, the top with its is_dir */
    assert_int_equal(c.checked_dir[t_checked(&c, "t")], true);
    assert_true(t_checked(&c, "t/y/w/deep") >= 0);
    assert_false(c.checked_dir[t_checked(&c, "t/y/w/deep")]);
    assert_true(c.checked_dir[t_checked(&c, "t/y/w")]);
    assert_true(t_checked(&c, "t/q/r") >= 0);
    assert_int_equal(t_checked(&c, "t/.coffer-tmp-0123456789abcdef"), -1);
}

static void
test_delete_check_refusing_a_file_keeps_it_and_its_ancestors(void **state)
{
    struct t_fx *fx = *state;
    struct t_calls c = { .refuse = "t/y/keep", .refuse_err = -ENOLCK };

    t_tree(fx, fx->r1);
    atomic_store(&fx->r1->used, -1);        /* unknown: the next call walks */
    assert_int_equal(stor_repo_usage(fx->r1), 13);
    assert_int_equal(stor_delete(fx->r1, "t", t_check, t_fail, &c, false), 1);
    assert_int_equal(c.nfailed, 1);
    assert_string_equal(c.failed[0], "t/y/keep");
    assert_int_equal(c.failerr[0], -ENOLCK);
    /* the member and its ancestors stay; everything else went */
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "t/");
    assert_string_equal(t_raw_ls(fx, fx->r1, "t"), "y/");
    assert_string_equal(t_raw_ls(fx, fx->r1, "t/y"), "keep");
    assert_string_equal(t_slurp(fx, fx->r1, "t/y/keep"), "keep");
    /* only the bytes that went are taken off */
    assert_int_equal(stor_repo_usage(fx->r1), 4);
}

static void
test_delete_check_refusing_a_collection_keeps_it_whole(void **state)
{
    struct t_fx *fx = *state;
    struct t_calls c = { .refuse = "t/y/w", .refuse_err = -EACCES };

    t_tree(fx, fx->r1);
    assert_int_equal(stor_delete(fx->r1, "t", t_check, t_fail, &c, false), 1);
    assert_int_equal(c.nfailed, 1);
    assert_string_equal(c.failed[0], "t/y/w");
    assert_int_equal(c.failerr[0], -EACCES);
    /* nothing beneath the refused collection was asked about or touched */
    assert_int_equal(t_checked(&c, "t/y/w/deep"), -1);
    assert_string_equal(t_raw_ls(fx, fx->r1, "t"), "y/");
    assert_string_equal(t_raw_ls(fx, fx->r1, "t/y"), "w/");
    assert_string_equal(t_slurp(fx, fx->r1, "t/y/w/deep"), "deep!");
    assert_int_equal(stor_repo_usage(fx->r1), 0);   /* made behind its back: clamps at 0 */
}

static void
test_delete_check_refusing_the_top_removes_nothing(void **state)
{
    struct t_fx *fx = *state;
    struct t_calls c = { .refuse = "t", .refuse_err = -ENOLCK };
    const char *before;

    t_tree(fx, fx->r1);
    before = t_manifest(fx, fx->r1, "");
    assert_int_equal(stor_delete(fx->r1, "t", t_check, t_fail, &c, false), -ENOLCK);
    assert_int_equal(c.nchecked, 1);
    assert_string_equal(t_manifest(fx, fx->r1, ""), before);
}

static void
test_delete_root_is_refused(void **state)
{
    struct t_fx *fx = *state;
    struct t_calls c = { 0 };

    assert_int_equal(t_put_s(fx->r1, "f", "x"), 0);
    assert_int_equal(stor_delete(fx->r1, "", t_check, t_fail, &c, false), -EBUSY);
    assert_int_equal(c.nchecked, 0);
    assert_int_equal(c.nfailed, 0);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "f");
    assert_int_equal(stor_stat(fx->r1, "", NULL), 0);
}

/* ---- COPY ---- */

static void
test_copy_file_keeps_bytes_and_mtime(void **state)
{
    struct t_fx *fx = *state;
    struct timespec when = { 1111111111, 222222222 };
    unsigned char data[70000];
    struct stor_stat st, cs;
    const char *copy;
    size_t len;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)((i * 7919u) >> 3);
    assert_int_equal(t_put(fx->r1, "src.bin", data, sizeof(data), &when, &st), 0);
    assert_int_equal(stor_copy(fx->r1, "src.bin", fx->r1, "dst.bin", false, NULL, NULL, true),
                     0);
    copy = t_slurp_abs(fx, t_abs(fx, fx->r1, "dst.bin"), &len);
    assert_non_null(copy);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(copy, data, sizeof(data));
    assert_int_equal(stor_stat(fx->r1, "dst.bin", &cs), 0);
    assert_int_equal(cs.size, sizeof(data));
    assert_int_equal(cs.mtime.tv_sec, 1111111111);
    assert_int_equal(cs.mtime.tv_nsec, 222222222);
    assert_true(cs.ino != st.ino);
    assert_int_equal(stor_repo_usage(fx->r1), 2 * sizeof(data));
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "dst.bin,src.bin");
    /* the source is unchanged */
    assert_int_equal(stor_stat(fx->r1, "src.bin", &cs), 0);
    assert_int_equal(cs.ino, st.ino);
    assert_int_equal(cs.mtime.tv_nsec, 222222222);
}

static void
test_copy_collection_depth0_copies_only_the_directory(void **state)
{
    struct t_fx *fx = *state;

    t_tree(fx, fx->r1);
    assert_int_equal(stor_copy(fx->r1, "t", fx->r1, "u", false, NULL, NULL, false), 0);
    assert_true(t_is_dir(fx, fx->r1, "u"));
    assert_string_equal(t_raw_ls(fx, fx->r1, "u"), "");
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "t/,u/");
    assert_int_equal(stor_repo_usage(fx->r1), 0);
}

static void
test_copy_collection_infinite_copies_tree_byte_exact(void **state)
{
    struct t_fx *fx = *state;
    unsigned char bin[200000];
    struct t_calls c = { 0 };
    const char *src;
    uint64_t n;

    for (size_t i = 0; i < sizeof(bin); i++)
        bin[i] = (unsigned char)(i ^ (i >> 8) ^ 0x5a);
    t_tree(fx, fx->r1);
    t_mkdir(fx, fx->r1, "t/empty");
    t_mkfile(fx, fx->r1, "t/y/w/bin", bin, sizeof(bin));
    t_mkfile(fx, fx->r1, "t/zero", "", 0);
    src = t_manifest(fx, fx->r1, "t");
    /* links, fifos and temporary files are not copied */
    t_symlink(fx, fx->r1, "/etc", "t/y/out");
    assert_int_equal(mkfifo(t_abs(fx, fx->r1, "t/q/fifo"), 0644), 0);
    t_mkfile_s(fx, fx->r1, "t/.coffer-tmp-00112233aabbccdd", "tmp");

    assert_int_equal(stor_copy(fx->r1, "t", fx->r1, "copy", true, t_fail, &c, false), 0);
    assert_int_equal(c.nfailed, 0);
    assert_string_equal(t_manifest(fx, fx->r1, "copy"), src);
    assert_true(strstr(src, "y/w/bin 200000 ") != NULL);
    assert_int_equal(stor_tree_size(fx->r1, "copy", &n), 0);
    assert_int_equal(n, sizeof(bin) + 1 + 2 + 4 + 5 + 1);
    assert_int_equal(stor_repo_usage(fx->r1), n);
}

static void
test_copy_onto_existing_destination_fails(void **state)
{
    struct t_fx *fx = *state;
    const char *before;

    assert_int_equal(t_put_s(fx->r1, "a", "aaa"), 0);
    assert_int_equal(t_put_s(fx->r1, "b", "bbbb"), 0);
    t_tree(fx, fx->r1);
    assert_int_equal(stor_mkcol(fx->r1, "c", false), 0);
    before = t_manifest(fx, fx->r1, "");

    assert_int_equal(stor_copy(fx->r1, "a", fx->r1, "b", false, NULL, NULL, false), -EEXIST);
    assert_int_equal(stor_copy(fx->r1, "a", fx->r1, "c", false, NULL, NULL, false), -EEXIST);
    assert_int_equal(stor_copy(fx->r1, "t", fx->r1, "c", true, NULL, NULL, false), -EEXIST);
    assert_int_equal(stor_copy(fx->r1, "t", fx->r1, "b", true, NULL, NULL, false), -EEXIST);
    assert_int_equal(stor_copy(fx->r1, "t", fx->r1, "c", false, NULL, NULL, false), -EEXIST);
    /* nothing changed, and no temporary file was left */
    assert_string_equal(t_manifest(fx, fx->r1, ""), before);
    assert_int_equal(stor_repo_usage(fx->r1), 7);
}

static void
test_copy_missing_source_or_destination_parent(void **state)
{
    struct t_fx *fx = *state;

    assert_int_equal(t_put_s(fx->r1, "a", "aaa"), 0);
    assert_int_equal(stor_copy(fx->r1, "missing", fx->r1, "x", true, NULL, NULL, false),
                     -ENOENT);
    assert_int_equal(stor_copy(fx->r1, "a", fx->r1, "no/x", true, NULL, NULL, false), -ENOENT);
    assert_int_equal(stor_copy(fx->r1, "a", fx->r2, "no/x", true, NULL, NULL, false), -ENOENT);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "a");
    assert_string_equal(t_raw_ls(fx, fx->r2, ""), "");
}

static void
test_copy_across_repositories(void **state)
{
    struct t_fx *fx = *state;
    struct timespec when = { 1300000000, 1 };
    struct stor_stat st;
    const char *src;

    t_tree(fx, fx->r1);
    assert_int_equal(t_put(fx->r1, "t/stamped", "ts", 2, &when, &st), 0);
    src = t_manifest(fx, fx->r1, "t");
    assert_int_equal(stor_mkcol(fx->r2, "in", false), 0);
    assert_int_equal(stor_copy(fx->r1, "t", fx->r2, "in/t", true, NULL, NULL, true), 0);
    assert_string_equal(t_manifest(fx, fx->r2, "in/t"), src);
    assert_string_equal(t_manifest(fx, fx->r1, "t"), src);
    assert_int_equal(stor_stat(fx->r2, "in/t/stamped", &st), 0);
    assert_int_equal(st.mtime.tv_sec, 1300000000);
    assert_int_equal(st.mtime.tv_nsec, 1);
    assert_int_equal(stor_copy(fx->r1, "t/y/keep", fx->r2, "k", false, NULL, NULL, false), 0);
    assert_string_equal(t_slurp(fx, fx->r2, "k"), "keep");
    assert_int_equal(stor_repo_usage(fx->r2), 1 + 2 + 4 + 5 + 1 + 2 + 4);
}

/* ---- MOVE ---- */

static void
test_rename_within_repository(void **state)
{
    struct t_fx *fx = *state;
    struct stor_stat before, after;
    const char *src;

    assert_int_equal(t_put_s(fx->r1, "a", "alpha"), 0);
    assert_int_equal(stor_stat(fx->r1, "a", &before), 0);
    t_tree(fx, fx->r1);
    assert_int_equal(stor_rename(fx->r1, "a", fx->r1, "t/y/b", true), 0);
    assert_int_equal(stor_stat(fx->r1, "a", NULL), -ENOENT);
    assert_int_equal(stor_stat(fx->r1, "t/y/b", &after), 0);
    assert_int_equal(after.ino, before.ino);
    assert_string_equal(t_read(fx, fx->r1, "t/y/b"), "alpha");
    src = t_manifest(fx, fx->r1, "t");
    assert_int_equal(stor_rename(fx->r1, "t", fx->r1, "u", false), 0);
    assert_false(t_exists(fx, fx->r1, "t"));
    assert_string_equal(t_manifest(fx, fx->r1, "u"), src);
    assert_int_equal(stor_rename(fx->r1, "missing", fx->r1, "v", false), -ENOENT);
    assert_int_equal(stor_rename(fx->r1, "u/x", fx->r1, "no/x", false), -ENOENT);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "u/");
}

static void
test_rename_across_repositories(void **state)
{
    struct t_fx *fx = *state;
    const char *src;

    t_tree(fx, fx->r1);
    assert_int_equal(t_put_s(fx->r1, "f", "file"), 0);
    src = t_manifest(fx, fx->r1, "t");
    assert_int_equal(stor_rename(fx->r1, "t", fx->r2, "t2", true), 0);
    assert_int_equal(stor_rename(fx->r1, "f", fx->r2, "t2/f", false), 0);
    assert_string_equal(t_raw_ls(fx, fx->r1, ""), "");
    assert_string_equal(t_raw_ls(fx, fx->r2, ""), "t2/");
    assert_string_equal(t_slurp(fx, fx->r2, "t2/f"), "file");
    assert_int_equal(unlink(t_abs(fx, fx->r2, "t2/f")), 0);
    assert_string_equal(t_manifest(fx, fx->r2, "t2"), src);
}

static void
test_rename_onto_existing_is_eexist(void **state)
{
    struct t_fx *fx = *state;
    const char *b1, *b2;

    assert_int_equal(t_put_s(fx->r1, "a", "aaa"), 0);
    assert_int_equal(t_put_s(fx->r1, "b", "bbbb"), 0);
    assert_int_equal(stor_mkcol(fx->r1, "c", false), 0);
    assert_int_equal(stor_mkcol(fx->r1, "d", false), 0);
    assert_int_equal(t_put_s(fx->r2, "a", "other"), 0);
    b1 = t_manifest(fx, fx->r1, "");
    b2 = t_manifest(fx, fx->r2, "");
    assert_int_equal(stor_rename(fx->r1, "a", fx->r1, "b", false), -EEXIST);
    assert_int_equal(stor_rename(fx->r1, "a", fx->r1, "c", false), -EEXIST);
    assert_int_equal(stor_rename(fx->r1, "c", fx->r1, "d", false), -EEXIST);
    assert_int_equal(stor_rename(fx->r1, "c", fx->r1, "a", false), -EEXIST);
    assert_int_equal(stor_rename(fx->r1, "a", fx->r2, "a", false), -EEXIST);
    assert_string_equal(t_manifest(fx, fx->r1, ""), b1);
    assert_string_equal(t_manifest(fx, fx->r2, ""), b2);
    assert_int_equal(stor_repo_usage(fx->r1), 7);
    assert_int_equal(stor_repo_usage(fx->r2), 5);
}

/* ---- sizes ---- */

static void
test_tree_size_sums_regular_files(void **state)
{
    struct t_fx *fx = *state;
    uint64_t n = 99;

    assert_int_equal(stor_tree_size(fx->r1, "", &n), 0);
    assert_int_equal(n, 0);
    t_mkdir(fx, fx->r1, "a");
    t_mkdir(fx, fx->r1, "a/b");
    t_mkdir(fx, fx->r1, "a/b/c");
    t_mkdir(fx, fx->r1, "a/empty");
    t_mkfile(fx, fx->r1, "a/one", "1", 1);
    t_mkfile(fx, fx->r1, "a/b/ten", "0123456789", 10);
    t_mkfile(fx, fx->r1, "a/b/c/hundred", "0123456789012345678901234567890123456789"
             "0123456789012345678901234567890123456789" "01234567890123456789", 100);
    t_mkfile(fx, fx->r1, "top", "12345", 5);
    t_symlink(fx, fx->r1, "/etc/passwd", "a/b/link");
    t_symlink(fx, fx->r1, "/etc", "a/dlink");
    assert_int_equal(mkfifo(t_abs(fx, fx->r1, "a/fifo"), 0644), 0);

    assert_int_equal(stor_tree_size(fx->r1, "a", &n), 0);
    assert_int_equal(n, 111);
    assert_int_equal(stor_tree_size(fx->r1, "a/b", &n), 0);
    assert_int_equal(n, 110);
    assert_int_equal(stor_tree_size(fx->r1, "a/empty", &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(stor_tree_size(fx->r1, "", &n), 0);
    assert_int_equal(n, 116);
    assert_int_equal(stor_tree_size(fx->r1, "top", &n), -ENOTDIR);
    assert_int_equal(stor_tree_size(fx->r1, "missing", &n), -ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)
        T(test_stat_on_or_through_symlink_is_eloop),
        T(test_open_read_on_or_through_symlink_is_eloop),
        T(test_fcache_serves_the_version_a_stat_names),
        T(test_request_keeps_the_parent_it_resolved_and_only_for_itself),
        T(test_put_on_or_through_symlink_is_eloop),
        T(test_mkcol_through_symlink_is_eloop),
        T(test_mkcol_on_symlink_is_eloop),
        T(test_delete_on_or_through_symlink_is_eloop),
        T(test_dir_open_on_or_through_symlink_is_eloop),
        T(test_copy_and_rename_through_symlink_are_eloop),
        T(test_set_mtime_on_or_through_symlink_is_eloop),
        T(test_tree_size_and_open_parent_through_symlink_are_eloop),
        T(test_delete_tree_removes_links_not_their_targets),
        T(test_copy_tree_skips_links),
        T(test_fallback_walk_without_openat2_refuses_symlinks_with_eloop),
        T(test_put_uses_hidden_temp_names_without_o_tmpfile),
        T(test_put_names_files_through_proc_without_cap_dac_read_search),
        T(test_put_of_a_file_made_meanwhile_replaces_it),
        T(test_durable_put_whose_fsync_fails_leaves_the_old_content),
        T(test_durable_put_fsyncs_the_file_once_it_has_a_link),
        T(test_name_is_internal),
        T(test_dir_next_skips_links_fifos_and_internal_names),
        T(test_dir_next_removes_stale_hidden_files_of_writes),
        T(test_dir_next_ends_with_0_when_entries_vanish_during_the_listing),
        T(test_listing_kept_until_the_folder_changes),
        T(test_listing_kept_restats_folders_and_linked_files),
        T(test_listing_checked_again_after_two_seconds),
        T(test_listing_changed_or_cut_short_is_not_kept),
        T(test_listing_read_by_two_at_once_is_kept_by_the_first),
        T(test_listing_of_a_huge_folder_is_not_kept),
        T(test_dir_open_errors),
        T(test_dir_listing_of_1000_files_returns_each_once),
        T(test_stat_and_open_read_kinds),
        T(test_open_parent_gives_directory_and_leaf),
        T(test_put_old_content_visible_until_commit),
        T(test_put_new_file_in_subcollection),
        T(test_put_abort_keeps_old_content_and_leaves_no_temp),
        T(test_put_abort_of_new_file_leaves_nothing),
        T(test_put_commit_sets_mtime),
        T(test_set_mtime_of_file_and_collection),
        T(test_put_missing_parent_is_enoent),
        T(test_put_on_collection_is_eisdir),
        T(test_usage_follows_puts_copies_renames_and_deletes),
        T(test_put_commit_without_stat_still_counts_usage),
        T(test_mkcol_existing_is_eexist),
        T(test_mkcol_without_parent_is_enoent),
        T(test_delete_file),
        T(test_delete_tree),
        T(test_delete_check_refusing_a_file_keeps_it_and_its_ancestors),
        T(test_delete_check_refusing_a_collection_keeps_it_whole),
        T(test_delete_check_refusing_the_top_removes_nothing),
        T(test_delete_root_is_refused),
        T(test_copy_file_keeps_bytes_and_mtime),
        T(test_copy_collection_depth0_copies_only_the_directory),
        T(test_copy_collection_infinite_copies_tree_byte_exact),
        T(test_copy_onto_existing_destination_fails),
        T(test_copy_missing_source_or_destination_parent),
        T(test_copy_across_repositories),
        T(test_rename_within_repository),
        T(test_rename_across_repositories),
        T(test_rename_onto_existing_is_eexist),
        T(test_tree_size_sums_regular_files),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
