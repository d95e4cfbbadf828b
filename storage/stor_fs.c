/*
 * stor_fs.c: repository files, always beneath the repository's root fd.
 *
 * Resolution: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) does the whole
 * walk in the kernel and refuses ".." escapes and every symbolic link; on a
 * kernel without it (ENOSYS) we walk one component at a time with
 * openat(O_NOFOLLOW). A path of one component is looked up directly in the
 * root fd with AT_SYMLINK_NOFOLLOW, which saves a syscall on the commonest
 * requests. Names reaching here are already normalised (storage.h).
 *
 * Writes: PUT goes to an O_TMPFILE (or, where the filesystem lacks it, a
 * hidden ".coffer-tmp-*" name) in the target's directory. Durable (the
 * default): the file gets a hidden name, is fsynced, renamed over the
 * target, and the directory is fsynced, so that both the content and the
 * name survive a power cut. With fsync off, a new file is linked under its
 * name in one step (linkat, which never replaces) and an existing one is
 * renamed over.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <sodium.h>

#include "stor_int.h"
#include "coffer/log.h"
#include "coffer/banned.h"

#define STOR_TMP_PREFIX ".coffer-tmp-"
#define STOR_TMP_PREFIX_LEN (sizeof(STOR_TMP_PREFIX) - 1)

static atomic_int stor_have_openat2 = 1;

bool
stor_name_is_internal(const char *name, size_t len)
{
    return len >= STOR_TMP_PREFIX_LEN && memcmp(name, STOR_TMP_PREFIX, STOR_TMP_PREFIX_LEN) == 0;
}

/* The fallback walk: one openat(O_NOFOLLOW) per component. */
static int
stor_openat_walk(int dirfd, const char *path, int flags, mode_t mode)
{
    char buf[PATH_MAX];
    char *comp, *slash;
    int cur = dirfd, fd;

    if (path[0] == '\0') {
        fd = openat(dirfd, ".", flags | O_CLOEXEC, mode);
        return fd < 0 ? -errno : fd;
    }
    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, strlen(path) + 1);
    comp = buf;
    while ((slash = strchr(comp, '/')) != NULL) {
        *slash = '\0';
        fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        if (fd < 0) {
            struct stat sb;

            if (err == ENOTDIR && fstatat(cur, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(sb.st_mode))
                err = ELOOP;
            if (cur != dirfd)
                close(cur);
            return -err;
        }
        if (cur != dirfd)
            close(cur);
        cur = fd;
        comp = slash + 1;
    }
    fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    int err = errno;
    if (fd < 0 && err == ENOTDIR) {
        struct stat sb;

        /* O_DIRECTORY fails first on a link: say it is a link */
        if (fstatat(cur, comp, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
            err = ELOOP;
    }
    if (fd >= 0 && (flags & O_PATH)) {
        struct stat sb;

        if (fstat(fd, &sb) == 0 && S_ISLNK(sb.st_mode)) {
            close(fd);
            fd = -1;
            err = ELOOP;
        }
    }
    if (cur != dirfd)
        close(cur);
    return fd >= 0 ? fd : -err;
}

/* Opens path beneath dirfd, never through a symbolic link. Returns the fd or
 * a negative errno. */
static int
stor_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    if (atomic_load_explicit(&stor_have_openat2, memory_order_relaxed)) {
        struct open_how how;
        long fd;

        memset(&how, 0, sizeof(how));
        how.flags = (uint64_t)(flags | O_CLOEXEC);
        how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        fd = syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno != ENOSYS)
            return -errno;
        atomic_store(&stor_have_openat2, 0);
        cf_log(CF_LOG_INFO, "openat2 is not available: resolving paths one component "
               "at a time");
    }
    return stor_openat_walk(dirfd, path, flags, mode);
}

/*
 * The parent folder a request resolved (stor_stat), kept for the rest of
 * that request, so that its PUT or GET does not resolve it again (openat2
 * and close): one per thread, used only between stor_request_begin() and
 * stor_request_end(), so that no later request can meet a folder renamed
 * meanwhile under the same name.
 */
struct stor_memo {
    bool armed;
    int fd;                     /* -1: none */
    int64_t repo;
    char dir[PATH_MAX];
};
static __thread struct stor_memo stor_memo = { .fd = -1 };

void
stor_request_begin(void)
{
    stor_memo.armed = true;
}

void
stor_request_end(void)
{
    if (stor_memo.fd >= 0)
        close(stor_memo.fd);
    stor_memo.fd = -1;
    stor_memo.armed = false;
}

/*
 * Returns an fd of path's parent directory and its last component. The fd
 * may be borrowed (the root fd for a path of one component, or the one the
 * request resolved): release it with stor_parent_release.
 */
static int
stor_parent(struct stor_repo *repo, const char *path, const char **leaf)
{
    const char *slash = strrchr(path, '/');
    char buf[PATH_MAX];
    size_t n;

    if (slash == NULL) {
        *leaf = path;
        return repo->rootfd;
    }
    n = (size_t)(slash - path);
    if (n >= sizeof(buf))
        return -ENAMETOOLONG;
    *leaf = slash + 1;
    if (stor_memo.fd >= 0 && stor_memo.repo == repo->id &&
        strncmp(stor_memo.dir, path, n) == 0 && stor_memo.dir[n] == '\0')
        return stor_memo.fd;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return stor_openat(repo->rootfd, buf, O_PATH | O_DIRECTORY, 0);
}

static bool
stor_parent_borrowed(const struct stor_repo *repo, int fd)
{
    return fd == repo->rootfd || fd == stor_memo.fd;
}

static void
stor_parent_release(struct stor_repo *repo, int fd)
{
    if (fd >= 0 && !stor_parent_borrowed(repo, fd))
        close(fd);
}

/* Keeps fd, path's parent, for the request (or releases it). */
static void
stor_parent_keep(struct stor_repo *repo, const char *path, int fd)
{
    const char *slash = strrchr(path, '/');

    if (!stor_memo.armed || stor_parent_borrowed(repo, fd) || slash == NULL) {
        stor_parent_release(repo, fd);
        return;
    }
    if (stor_memo.fd >= 0)
        close(stor_memo.fd);
    stor_memo.fd = fd;
    stor_memo.repo = repo->id;
    memcpy(stor_memo.dir, path, (size_t)(slash - path));
    stor_memo.dir[slash - path] = '\0';
}

int
stor_open_parent(struct stor_repo *repo, const char *path, int *dirfd, const char **leaf)
{
    int fd = stor_parent(repo, path, leaf);

    if (fd < 0)
        return fd;
    if (stor_parent_borrowed(repo, fd) && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
        return -errno;
    *dirfd = fd;
    return 0;
}

static void
stor_fill(struct stor_stat *st, const struct statx *sx)
{
    st->is_dir = S_ISDIR(sx->stx_mode);
    st->size = st->is_dir ? 0 : sx->stx_size;
    st->ino = sx->stx_ino;
    st->dev = ((uint64_t)sx->stx_dev_major << 32) | sx->stx_dev_minor;
    st->mtime.tv_sec = sx->stx_mtime.tv_sec;
    st->mtime.tv_nsec = sx->stx_mtime.tv_nsec;
    st->ctime.tv_sec = sx->stx_ctime.tv_sec;
    st->ctime.tv_nsec = sx->stx_ctime.tv_nsec;
    st->nlink = sx->stx_nlink;
    if (sx->stx_mask & STATX_BTIME) {
        st->btime.tv_sec = sx->stx_btime.tv_sec;
        st->btime.tv_nsec = sx->stx_btime.tv_nsec;
    } else {
        st->btime = sx->stx_mtime.tv_sec < sx->stx_ctime.tv_sec ? st->mtime : st->ctime;
    }
}

/* statx of name in dirfd, not following a link; only files and directories. */
static int
stor_statat(int dirfd, const char *name, struct stor_stat *st)
{
    struct statx sx;

    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH),
              STATX_BASIC_STATS | STATX_BTIME, &sx) < 0)
        return -errno;
    if (S_ISLNK(sx.stx_mode))
        return -ELOOP;
    if (!S_ISREG(sx.stx_mode) && !S_ISDIR(sx.stx_mode))
        return -EPERM;
    if (st != NULL)
        stor_fill(st, &sx);
    return 0;
}

int
stor_stat(struct stor_repo *repo, const char *path, struct stor_stat *st)
{
    const char *leaf;
    int dirfd = stor_parent(repo, path, &leaf), rc;

    if (dirfd < 0)
        return dirfd;
    rc = stor_statat(dirfd, leaf, st);
    stor_parent_keep(repo, path, dirfd);
    return rc;
}

int
stor_open_read(struct stor_repo *repo, const char *path, int *fdp, struct stor_stat *st)
{
    const char *leaf;
    int dirfd = stor_parent(repo, path, &leaf), fd, rc;
    struct statx sx;

    if (dirfd < 0)
        return dirfd;
    fd = openat(dirfd, leaf[0] ? leaf : ".", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    rc = fd < 0 ? -errno : 0;
    stor_parent_release(repo, dirfd);
    if (rc < 0)
        return rc;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (!S_ISREG(sx.stx_mode)) {
        close(fd);
        return S_ISDIR(sx.stx_mode) ? -EISDIR : -EPERM;
    }
    stor_fill(st, &sx);
    *fdp = fd;
    return 0;
}

/* fsync of a directory given as an O_PATH fd (fsync needs a real open). */
static int
stor_fsync_dir(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* Opens an anonymous file in dirfd, or a hidden named one (put->tmpname). */
static int
stor_tmpfile(int dirfd, char *tmpname, size_t cap)
{
    int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);

    tmpname[0] = '\0';
    if (fd >= 0)
        return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return -errno;
    for (int tries = 0; tries < 8; tries++) {
        unsigned char rnd[8];
        char hex[17];

        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
        snprintf(tmpname, cap, "%s%s", STOR_TMP_PREFIX, hex);
        fd = openat(dirfd, tmpname, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        tmpname[0] = '\0';
        return -errno;
    }
    return fd;
}

/*
 * Gives the anonymous file fd the name name in dirfd, in one step and never
 * in place of another: -EEXIST if name is taken. linkat(AT_EMPTY_PATH) needs
 * CAP_DAC_READ_SEARCH and answers ENOENT without it; the link through
 * /proc/self/fd needs no privilege. Which of the two works is remembered.
 */
static int
stor_link_fd(int fd, int dirfd, const char *name)
{
    static atomic_int empty_path_works = 1;
    char proc[64];

    if (atomic_load_explicit(&empty_path_works, memory_order_relaxed)) {
        if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
            return 0;
        if (errno != ENOENT)
            return -errno;
    }
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0)
        return -errno;
    atomic_store_explicit(&empty_path_works, 0, memory_order_relaxed);
    return 0;
}

/* Gives an anonymous file a hidden name in dirfd so that it can be renamed. */
static int
stor_tmpfile_link(int fd, int dirfd, char *tmpname, size_t cap)
{
    for (int tries = 0; tries < 8; tries++) {
        unsigned char rnd[8];
        char hex[17];
        int rc;

        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
        snprintf(tmpname, cap, "%s%s", STOR_TMP_PREFIX, hex);
        if ((rc = stor_link_fd(fd, dirfd, tmpname)) != -EEXIST) {
            if (rc < 0)
                tmpname[0] = '\0';
            return rc;
        }
    }
    tmpname[0] = '\0';
    return -EEXIST;
}

/* look: stat path here; otherwise known is the caller's stat of it (NULL: none) */
static int
stor_put_start(struct stor_repo *repo, const char *path, bool look,
               const struct stor_stat *known, struct stor_put *put)
{
    struct stor_stat st;
    int rc;

    memset(put, 0, sizeof(*put));
    put->repo = repo;
    put->fd = -1;
    if (path[0] == '\0')
        return -EISDIR;
    if ((rc = stor_open_parent(repo, path, &put->dirfd, &put->leaf)) < 0) {
        put->dirfd = -1;
        return rc;
    }
    if (look) {
        rc = stor_statat(put->dirfd, put->leaf, &st);
    } else if (known != NULL) {
        st = *known;
        rc = 0;
    } else {
        rc = -ENOENT;
    }
    if (rc == 0) {
        if (st.is_dir) {
            rc = -EISDIR;
            goto fail;
        }
        put->existed = true;
        put->old_size = st.size;
    } else if (rc != -ENOENT) {
        goto fail;
    }
    if ((put->fd = stor_tmpfile(put->dirfd, put->tmpname, sizeof(put->tmpname))) < 0) {
        rc = put->fd;
        put->fd = -1;
        goto fail;
    }
    return 0;
fail:
    stor_put_abort(put);
    return rc;
}

int
stor_put_begin(struct stor_repo *repo, const char *path, struct stor_put *put)
{
    return stor_put_start(repo, path, true, NULL, put);
}

int
stor_put_begin_known(struct stor_repo *repo, const char *path, const struct stor_stat *known,
                     struct stor_put *put)
{
    return stor_put_start(repo, path, false, known, put);
}

/* The target appeared since stor_put_begin: it is replaced like any file. */
static void
stor_put_taken(struct stor_put *put)
{
    struct stor_stat old;

    if (stor_statat(put->dirfd, put->leaf, &old) == 0 && !old.is_dir) {
        put->existed = true;
        put->old_size = old.size;
    }
}

/* Renames the hidden name over the target; a new file never silently over another's. */
static int
stor_put_rename(struct stor_put *put)
{
    if (!put->existed) {
        if (renameat2(put->dirfd, put->tmpname, put->dirfd, put->leaf, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno == EEXIST)
            stor_put_taken(put);
        else if (errno != EINVAL)   /* EINVAL: no RENAME_NOREPLACE here */
            return -errno;
    }
    return renameat(put->dirfd, put->tmpname, put->dirfd, put->leaf) < 0 ? -errno : 0;
}

int
stor_put_commit(struct stor_put *put, bool durable, const struct timespec *mtime,
                struct stor_stat *st)
{
    struct statx sx;
    int rc = 0;

    if (mtime != NULL) {
        struct timespec ts[2] = { { 0, UTIME_NOW }, *mtime };

        if (futimens(put->fd, ts) < 0) {
            rc = -errno;
            goto out;
        }
    }
    if (!durable && put->tmpname[0] == '\0' && !put->existed) {
        /*
         * A new file, not durable: its name appears in one step, with all
         * its content, and never over a file that appeared meanwhile. That
         * saves the hidden name and the rename (two directory updates of
         * three).
         */
        if ((rc = stor_link_fd(put->fd, put->dirfd, put->leaf)) == 0)
            goto named;
        if (rc != -EEXIST)
            goto out;
        stor_put_taken(put);
    }
    if (put->tmpname[0] == '\0' &&
        (rc = stor_tmpfile_link(put->fd, put->dirfd, put->tmpname, sizeof(put->tmpname))) < 0)
        goto out;
    /*
     * Durable: fsynced once it has a (hidden) name, so that its link count
     * reaches the disk with the data. Fsync of the directory writes the
     * directory, not the inodes linked into it: on ext4 without a journal,
     * an anonymous file fsynced before linkat would come back after a
     * power cut as a name whose inode has no links.
     */
    if (durable && fsync(put->fd) < 0) {
        rc = -errno;
        goto out;
    }
    /* same directory, so the rename is atomic: old or new, never half */
    if ((rc = stor_put_rename(put)) < 0)
        goto out;
    put->tmpname[0] = '\0';
named:
    if (statx(put->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx) == 0) {
        stor_repo_usage_add(put->repo, (int64_t)sx.stx_size - (int64_t)put->old_size);
        if (st != NULL)
            stor_fill(st, &sx);
    } else if (st != NULL) {
        memset(st, 0, sizeof(*st));
    }
    if (durable && (rc = stor_fsync_dir(put->dirfd)) < 0)
        goto out;
out:
    stor_put_abort(put);
    return rc;
}

void
stor_put_abort(struct stor_put *put)
{
    if (put->fd >= 0)
        close(put->fd);
    if (put->tmpname[0] != '\0' && put->dirfd >= 0)
        unlinkat(put->dirfd, put->tmpname, 0);
    if (put->dirfd >= 0)
        close(put->dirfd);
    put->fd = put->dirfd = -1;
    put->tmpname[0] = '\0';
}

int
stor_mkcol(struct stor_repo *repo, const char *path, bool durable)
{
    const char *leaf;
    int dirfd, rc = 0;

    if (path[0] == '\0')
        return -EEXIST;
    if ((dirfd = stor_parent(repo, path, &leaf)) < 0)
        return dirfd;
    if (stor_statat(dirfd, leaf, NULL) == -ELOOP)
        rc = -ELOOP;    /* a link: not ours to replace or to call existing */
    else if (mkdirat(dirfd, leaf, 0777) < 0)
        rc = -errno;
    else if (durable)
        rc = stor_fsync_dir(dirfd);
    stor_parent_release(repo, dirfd);
    return rc;
}

int
stor_set_mtime(struct stor_repo *repo, const char *path, const struct timespec *mtime)
{
    const char *leaf;
    int dirfd, rc = 0;
    struct timespec ts[2] = { { 0, UTIME_OMIT }, *mtime };

    if ((dirfd = stor_parent(repo, path, &leaf)) < 0)
        return dirfd;
    if ((rc = stor_statat(dirfd, leaf, NULL)) == 0 &&
        utimensat(dirfd, leaf[0] ? leaf : ".", ts, AT_SYMLINK_NOFOLLOW) < 0)
        rc = -errno;
    stor_parent_release(repo, dirfd);
    return rc;
}

/* ---- trees ---- */

struct stor_walk {
    struct stor_repo *repo;
    struct cf_buf path;         /* the member's path, relative to the root */
    stor_check_fn check;
    stor_fail_fn fail;
    void *arg;
    uint64_t bytes;             /* regular file bytes removed or copied */
};

static void
stor_walk_fail(struct stor_walk *w, int err)
{
    if (w->fail != NULL)
        w->fail(w->arg, w->path.data, err);
}

/* Appends "/name" (or "name" at the root) to w->path; returns the old length. */
static size_t
stor_walk_push(struct stor_walk *w, const char *name)
{
    size_t old = w->path.len;

    if (old > 0)
        cf_buf_addc(&w->path, '/');
    cf_buf_adds(&w->path, name);
    return old;
}

static void
stor_walk_pop(struct stor_walk *w, size_t old)
{
    w->path.len = old;
    w->path.data[old] = '\0';
}

/* Removes the directory name in parent (w->path names it). Returns true if
 * it is gone. */
static bool
stor_delete_dir(struct stor_walk *w, int parent, const char *name, bool check_self)
{
    DIR *d;
    struct dirent *de;
    bool all = true;
    int fd, rc;

    if (check_self && w->check != NULL && (rc = w->check(w->arg, w->path.data, true)) < 0) {
        stor_walk_fail(w, rc);
        return false;
    }
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        stor_walk_fail(w, -errno);
        if (fd >= 0)
            close(fd);
        return false;
    }
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        struct stat sb;
        bool isdir;

        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        if (de->d_type == DT_UNKNOWN) {
            if (fstatat(fd, n, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            isdir = S_ISDIR(sb.st_mode);
        } else {
            isdir = de->d_type == DT_DIR;
        }
        size_t old = stor_walk_push(w, n);
        if (isdir) {
            if (!stor_delete_dir(w, fd, n, true))
                all = false;
        } else if (w->check != NULL && !stor_name_is_internal(n, strlen(n)) &&
                   (rc = w->check(w->arg, w->path.data, false)) < 0) {
            stor_walk_fail(w, rc);
            all = false;
        } else {
            struct statx sx;
            bool counted = statx(fd, n, AT_SYMLINK_NOFOLLOW, STATX_SIZE | STATX_TYPE, &sx) == 0 &&
                           S_ISREG(sx.stx_mode);

            if (unlinkat(fd, n, 0) < 0) {
                stor_walk_fail(w, -errno);
                all = false;
            } else if (counted) {
                w->bytes += sx.stx_size;
            }
        }
        stor_walk_pop(w, old);
    }
    closedir(d);
    if (!all)
        return false;
    if (unlinkat(parent, name, AT_REMOVEDIR) < 0) {
        stor_walk_fail(w, -errno);
        return false;
    }
    return true;
}

int
stor_tree_remove(int parentfd, const char *name)
{
    struct stor_walk w = { .repo = NULL };
    bool ok = stor_delete_dir(&w, parentfd, name, false);

    cf_buf_release(&w.path);
    return ok ? 0 : -EIO;
}

int
stor_delete(struct stor_repo *repo, const char *path, stor_check_fn check,
            stor_fail_fn fail, void *arg, bool durable)
{
    struct stor_walk w = { .repo = repo, .check = check, .fail = fail, .arg = arg };
    struct stor_stat st;
    const char *leaf;
    int dirfd, rc;

    if (path[0] == '\0')
        return -EBUSY;          /* a repository root is removed with the repository */
    if ((dirfd = stor_parent(repo, path, &leaf)) < 0)
        return dirfd;
    if ((rc = stor_statat(dirfd, leaf, &st)) < 0)
        goto out;
    if (check != NULL && (rc = check(arg, path, st.is_dir)) < 0)
        goto out;
    if (!st.is_dir) {
        rc = unlinkat(dirfd, leaf, 0) < 0 ? -errno : 0;
        if (rc == 0)
            w.bytes = st.size;
    } else {
        cf_buf_init(&w.path);
        cf_buf_adds(&w.path, path);
        /* the top was checked above; failures below are reported members */
        rc = stor_delete_dir(&w, dirfd, leaf, false) ? 0 : 1;
        cf_buf_release(&w.path);
    }
    if (rc >= 0 && durable)
        stor_fsync_dir(dirfd);
out:
    stor_repo_usage_add(repo, -(int64_t)w.bytes);
    stor_parent_release(repo, dirfd);
    return rc;
}

/* Copies the bytes of sfd into dfd: copy_file_range (a reflink where the
 * filesystem offers one), else read and write. */
static int
stor_copy_bytes(int sfd, int dfd, uint64_t size)
{
    uint64_t done = 0;
    bool plain = false;

    while (done < size) {
        ssize_t n;

        if (!plain) {
            n = copy_file_range(sfd, NULL, dfd, NULL, (size_t)(size - done > (1u << 30)
                                                               ? (1u << 30) : size - done), 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                          errno == EOPNOTSUPP)) {
                plain = true;
                continue;
            }
        } else {
            char buf[65536];
            n = read(sfd, buf, sizeof(buf));
            if (n > 0) {
                ssize_t off = 0;
                while (off < n) {
                    ssize_t w = write(dfd, buf + off, (size_t)(n - off));
                    if (w < 0) {
                        if (errno == EINTR)
                            continue;
                        return -errno;
                    }
                    off += w;
                }
            }
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;      /* the file shrank under us: copy what there is */
        done += (uint64_t)n;
    }
    return 0;
}

/* Copies the regular file sname in sdir to dname in ddir (which must not
 * exist), keeping its modification time. */
static int
stor_copy_file(int sdir, const char *sname, int ddir, const char *dname, bool durable,
               uint64_t *bytes)
{
    char tmpname[40];
    struct statx sx;
    int sfd, dfd = -1, rc;

    sfd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (sfd < 0)
        return -errno;
    if (statx(sfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0) {
        rc = -errno;
        goto out;
    }
    if (!S_ISREG(sx.stx_mode)) {
        rc = -EPERM;
        goto out;
    }
    if ((dfd = stor_tmpfile(ddir, tmpname, sizeof(tmpname))) < 0) {
        rc = dfd;
        dfd = -1;
        goto out;
    }
    if ((rc = stor_copy_bytes(sfd, dfd, sx.stx_size)) < 0)
        goto out;
    struct timespec ts[2] = { { 0, UTIME_NOW },
                              { sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec } };
    futimens(dfd, ts);
    if (!durable && tmpname[0] == '\0') {
        /* an anonymous file: named in one step, never over another */
        if ((rc = stor_link_fd(dfd, ddir, dname)) < 0)
            goto out;
        goto named;
    }
    if (tmpname[0] == '\0' && (rc = stor_tmpfile_link(dfd, ddir, tmpname, sizeof(tmpname))) < 0)
        goto out;
    /* durable: fsynced once it has a link, as stor_put_commit() does */
    if (durable && fsync(dfd) < 0) {
        rc = -errno;
        goto out;
    }
    if (renameat2(ddir, tmpname, ddir, dname, RENAME_NOREPLACE) < 0) {
        rc = -errno;
        if (rc == -EINVAL && renameat(ddir, tmpname, ddir, dname) == 0)
            rc = 0;
        if (rc < 0)
            goto out;
    }
    tmpname[0] = '\0';
named:
    *bytes += sx.stx_size;
    rc = 0;
out:
    if (dfd >= 0) {
        close(dfd);
        if (tmpname[0] != '\0')
            unlinkat(ddir, tmpname, 0);
    }
    close(sfd);
    return rc;
}

/* Copies the members of the directory sfd into dfd; w->path names the
 * destination collection. Returns true when every member came across. */
static bool
stor_copy_members(struct stor_walk *w, int sfd, int dfd, bool durable)
{
    int rfd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    bool all = true;

    if (rfd < 0 || (d = fdopendir(rfd)) == NULL) {
        stor_walk_fail(w, -errno);
        if (rfd >= 0)
            close(rfd);
        return false;
    }
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        struct stor_stat st;
        int rc;

        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        if (stor_name_is_internal(n, strlen(n)) || stor_statat(rfd, n, &st) < 0)
            continue;   /* links and special files are not copied */
        size_t old = stor_walk_push(w, n);
        if (!st.is_dir) {
            rc = stor_copy_file(rfd, n, dfd, n, durable, &w->bytes);
        } else if (mkdirat(dfd, n, 0777) < 0) {
            rc = -errno;
        } else {
            int s2 = openat(rfd, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int d2 = openat(dfd, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

            rc = (s2 < 0 || d2 < 0) ? -errno : 0;
            if (rc == 0 && !stor_copy_members(w, s2, d2, durable))
                all = false;
            if (s2 >= 0)
                close(s2);
            if (d2 >= 0)
                close(d2);
        }
        if (rc < 0) {
            stor_walk_fail(w, rc);
            all = false;
        }
        stor_walk_pop(w, old);
    }
    closedir(d);
    return all;
}

int
stor_copy(struct stor_repo *srepo, const char *src, struct stor_repo *drepo,
          const char *dst, bool infinite, stor_fail_fn fail, void *arg, bool durable)
{
    struct stor_walk w = { .repo = drepo, .fail = fail, .arg = arg };
    struct stor_stat st;
    const char *sleaf, *dleaf;
    int sdir, ddir = -1, rc;

    size_t sl = strlen(src);

    /* a collection copied into itself would never end */
    if (srepo == drepo && (sl == 0 || (strncmp(dst, src, sl) == 0 && dst[sl] == '/')))
        return -EINVAL;
    if ((sdir = stor_parent(srepo, src, &sleaf)) < 0)
        return sdir;
    if ((rc = stor_statat(sdir, sleaf, &st)) < 0)
        goto out;
    if ((ddir = stor_parent(drepo, dst, &dleaf)) < 0) {
        rc = ddir;
        goto out;
    }
    if (!st.is_dir) {
        rc = stor_copy_file(sdir, sleaf[0] ? sleaf : ".", ddir, dleaf, durable, &w.bytes);
    } else if (mkdirat(ddir, dleaf, 0777) < 0) {
        rc = -errno;
    } else if (infinite) {
        int s2 = stor_openat(srepo->rootfd, src, O_PATH | O_DIRECTORY, 0);
        int d2 = openat(ddir, dleaf, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (s2 < 0 || d2 < 0) {
            rc = s2 < 0 ? s2 : -errno;
        } else {
            cf_buf_init(&w.path);
            cf_buf_adds(&w.path, dst);
            rc = stor_copy_members(&w, s2, d2, durable) ? 0 : 1;
            cf_buf_release(&w.path);
        }
        if (s2 >= 0)
            close(s2);
        if (d2 >= 0)
            close(d2);
    }
    if (rc >= 0 && durable)
        stor_fsync_dir(ddir);
out:
    stor_repo_usage_add(drepo, (int64_t)w.bytes);
    stor_parent_release(srepo, sdir);
    if (ddir >= 0)
        stor_parent_release(drepo, ddir);
    return rc;
}

int
stor_rename(struct stor_repo *srepo, const char *src, struct stor_repo *drepo,
            const char *dst, bool durable)
{
    const char *sleaf, *dleaf;
    struct stor_stat st;
    int sdir, ddir = -1, rc;
    uint64_t moved = 0;

    if ((sdir = stor_parent(srepo, src, &sleaf)) < 0)
        return sdir;
    if ((rc = stor_statat(sdir, sleaf, &st)) < 0)
        goto out;
    if ((ddir = stor_parent(drepo, dst, &dleaf)) < 0) {
        rc = ddir;
        goto out;
    }
    if (srepo != drepo) {
        if (st.is_dir)
            stor_tree_size(srepo, src, &moved);
        else
            moved = st.size;
    }
    if (renameat2(sdir, sleaf, ddir, dleaf, RENAME_NOREPLACE) < 0) {
        rc = -errno;
        if (rc == -EXDEV) {
            /* another filesystem: copy, then remove the source */
            rc = stor_copy(srepo, src, drepo, dst, true, NULL, NULL, durable);
            if (rc == 0)
                rc = stor_delete(srepo, src, NULL, NULL, NULL, durable);
            goto out;
        }
        goto out;
    }
    if (durable) {
        stor_fsync_dir(sdir);
        if (ddir != sdir)
            stor_fsync_dir(ddir);
    }
    if (srepo != drepo) {
        stor_repo_usage_add(srepo, -(int64_t)moved);
        stor_repo_usage_add(drepo, (int64_t)moved);
    }
out:
    stor_parent_release(srepo, sdir);
    if (ddir >= 0)
        stor_parent_release(drepo, ddir);
    return rc;
}

/* ---- listings ---- */

/*
 * A listing reads the directory with getdents64 straight into its own
 * buffer: one system call per buffer of entries, and no DIR stream lock
 * taken per entry.
 */
#define STOR_DIR_BUF 32768

/*
 * A write's hidden file lives for the write only (an O_TMPFILE gets its
 * hidden name at commit, then is renamed); one untouched for this long was
 * left by a crash between the two, and a listing of its folder removes it.
 */
#define STOR_TMP_STALE_S 3600

static void
stor_tmp_reap(int dirfd, const char *name)
{
    struct statx sx;
    char link[64], dir[PATH_MAX];
    ssize_t n;

    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MTIME | STATX_SIZE, &sx) < 0 ||
        !S_ISREG(sx.stx_mode) || sx.stx_mtime.tv_sec >= time(NULL) - STOR_TMP_STALE_S ||
        unlinkat(dirfd, name, 0) < 0)
        return;
    /* the folder's path, for whoever reads the log (rare: no cost worth saving) */
    snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
    n = readlink(link, dir, sizeof(dir) - 1);
    dir[n > 0 ? n : 0] = '\0';
    cf_log(CF_LOG_INFO, "removed '%s/%s' (%llu bytes), left by a write a crash interrupted",
           n > 0 ? dir : "?", name, (unsigned long long)sx.stx_size);
}

struct stor_dir {
    int fd;
    struct stor_dlist *list;    /* the kept listing, or NULL: from the disk */
    size_t li;                  /* the next entry of list */
    struct stor_dfill fill;     /* what is read from the disk, to be kept */
    size_t pos, end;            /* the unread records in buf */
    bool eof;
    char buf[STOR_DIR_BUF] __attribute__((aligned(8)));
};

int
stor_dir_open(struct stor_repo *repo, const char *path, struct stor_dir **out)
{
    int fd = stor_openat(repo->rootfd, path, O_RDONLY | O_DIRECTORY, 0);
    struct stor_dir *d;

    if (fd < 0)
        return fd;
    d = cf_xmalloc(sizeof(*d));
    d->fd = fd;
    d->li = 0;
    d->pos = d->end = 0;
    d->eof = false;
    d->list = stor_dcache_get(fd, &d->fill);
    *out = d;
    return 0;
}

/* The next entry of the kept listing; 0 at its end. */
static int
stor_dir_next_kept(struct stor_dir *d, const char **name, struct stor_stat *st)
{
    bool restat;

    while (stor_dlist_next(d->list, &d->li, name, st, &restat)) {
        if (!restat || stor_statat(d->fd, *name, st) == 0)
            return 1;
    }
    return 0;
}

int
stor_dir_next(struct stor_dir *d, const char **name, struct stor_stat *st)
{
    if (d->list != NULL)
        return stor_dir_next_kept(d, name, st);
    for (;;) {
        if (d->pos >= d->end) {
            ssize_t n;

            if (d->eof)
                return 0;
            if ((n = getdents64(d->fd, d->buf, sizeof(d->buf))) < 0) {
                stor_dfill_drop(&d->fill);
                return -errno;
            }
            if (n == 0) {
                d->eof = true;
                stor_dfill_end(&d->fill);
                return 0;
            }
            d->pos = 0;
            d->end = (size_t)n;
        }
        const struct dirent64 *de = (const struct dirent64 *)(d->buf + d->pos);
        const char *n = de->d_name;

        d->pos += de->d_reclen;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        if (de->d_type == DT_LNK)
            continue;
        if (stor_name_is_internal(n, strlen(n))) {
            stor_tmp_reap(d->fd, n);
            continue;
        }
        if (stor_statat(d->fd, n, st) < 0)
            continue;   /* vanished, a link or a special file */
        stor_dfill_add(&d->fill, n, st);
        *name = n;
        return 1;
    }
}

int
stor_dir_fd(struct stor_dir *d)
{
    return d->fd;
}

bool
stor_dir_cached(const struct stor_dir *d)
{
    return d->list != NULL;
}

void
stor_dir_close(struct stor_dir *d)
{
    if (d == NULL)
        return;
    stor_dfill_drop(&d->fill);
    stor_dlist_release(d->list);
    close(d->fd);
    free(d);
}

static int
stor_tree_size_fd(int fd, uint64_t *sum, int depth)
{
    int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;

    if (depth > 256)
        return -ELOOP;
    if (rfd < 0 || (d = fdopendir(rfd)) == NULL) {
        if (rfd >= 0)
            close(rfd);
        return -errno;
    }
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        struct statx sx;

        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
        if (statx(rfd, n, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &sx) < 0)
            continue;
        if (S_ISREG(sx.stx_mode)) {
            *sum += sx.stx_size;
        } else if (S_ISDIR(sx.stx_mode)) {
            int c = openat(rfd, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (c >= 0) {
                stor_tree_size_fd(c, sum, depth + 1);
                close(c);
            }
        }
    }
    closedir(d);
    return 0;
}

int
stor_tree_size(struct stor_repo *repo, const char *path, uint64_t *out)
{
    int fd = stor_openat(repo->rootfd, path, O_PATH | O_DIRECTORY, 0);
    int rc;

    if (fd < 0)
        return fd;
    *out = 0;
    rc = stor_tree_size_fd(fd, out, 0);
    close(fd);
    return rc;
}
