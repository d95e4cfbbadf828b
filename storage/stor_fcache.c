/*
 * stor_fcache.c: a thread's copies of small files.
 *
 * A GET of a small file spends most of its system time opening, fstat-ing,
 * reading and closing it, every time. A thread keeps the bytes of the small
 * files it served, keyed by repository and path, and trusts a copy only
 * while a fresh stat of the path (the one every request makes to resolve
 * its target) shows the same file in the same version: device, inode, size,
 * and modification and change times to the nanosecond. Coffer replaces a
 * file by renaming a new one over it (a new inode) and an edit in place
 * moves the change time, so either shows at once. What stat cannot show, a
 * same-size edit in place within one tick of the filesystem's clock, would
 * leave the ETag unchanged too.
 *
 * Direct-mapped slots, a byte budget per thread, and a clock hand that frees
 * slots when a new copy would go over it. A struct stor_fcache belongs to
 * one thread: no locks. A response sends a copy's bytes without copying them
 * (stor_fcache_hold): they are reference-counted, and freed by the last of
 * the cache and the responses to let go.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coffer/storage.h"
#include "coffer/str.h"
#include "coffer/banned.h"

#define STOR_FCACHE_SLOTS  1024
#define STOR_FCACHE_BUDGET (4u * 1024 * 1024)   /* bytes of file data per thread */

/* A copy's bytes, shared by the cache and the responses that send them. */
struct stor_fblob {
    atomic_uint refs;
    char data[];
};

struct stor_fcache {
    struct stor_fcached slot[STOR_FCACHE_SLOTS];
    size_t bytes;
    unsigned hand;
};

struct stor_fcache *
stor_fcache_new(void)
{
    return cf_xcalloc(1, sizeof(struct stor_fcache));
}

struct stor_fblob *
stor_fcache_hold(const struct stor_fcached *e)
{
    atomic_fetch_add_explicit(&e->blob->refs, 1, memory_order_relaxed);
    return e->blob;
}

void
stor_fcache_release(const void *data, size_t len, void *blob)
{
    struct stor_fblob *b = blob;

    (void)data;
    (void)len;
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        free(b);
}

static void
stor_fcache_drop(struct stor_fcache *fc, struct stor_fcached *e)
{
    fc->bytes -= e->st.size;
    free(e->path);
    stor_fcache_release(NULL, 0, e->blob);
    memset(e, 0, sizeof(*e));
}

void
stor_fcache_free(struct stor_fcache *fc)
{
    if (fc == NULL)
        return;
    for (unsigned i = 0; i < STOR_FCACHE_SLOTS; i++)
        if (fc->slot[i].path != NULL)
            stor_fcache_drop(fc, &fc->slot[i]);
    free(fc);
}

static bool
stor_fcache_same(const struct stor_stat *a, const struct stor_stat *b)
{
    return a->ino == b->ino && a->dev == b->dev && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* FNV-1a over the repository id and the path */
static unsigned
stor_fcache_slot(int64_t repo, const char *path)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)repo;

    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (unsigned)(h ^ (h >> 32)) % STOR_FCACHE_SLOTS;
}

/* Frees slots at the clock hand until need more bytes fit the budget. */
static void
stor_fcache_make_room(struct stor_fcache *fc, size_t need)
{
    for (unsigned n = 0; fc->bytes + need > STOR_FCACHE_BUDGET && n < STOR_FCACHE_SLOTS; n++) {
        struct stor_fcached *e = &fc->slot[fc->hand];

        fc->hand = (fc->hand + 1) % STOR_FCACHE_SLOTS;
        if (e->path != NULL)
            stor_fcache_drop(fc, e);
    }
}

int
stor_fcache_get(struct stor_fcache *fc, struct stor_mime *mime, struct stor_repo *repo,
                const char *path, const struct stor_stat *st, const struct stor_fcached **out)
{
    struct stor_fcached *e = &fc->slot[stor_fcache_slot(repo->id, path)];
    struct stor_stat now;
    char tbuf[STOR_MIME_MAX];
    const char *name, *type;
    struct stor_fblob *blob;
    char *data;
    int fd, rc;

    if (e->path != NULL && e->repo == repo->id && stor_fcache_same(&e->st, st) &&
        strcmp(e->path, path) == 0) {
        *out = e;
        return 0;
    }
    if ((rc = stor_open_read(repo, path, &fd, &now)) < 0)
        return rc;
    /* the file may have changed since st: what is kept is what was read */
    if (now.size > STOR_FCACHE_FILE) {
        close(fd);
        return -EAGAIN;
    }
    blob = cf_xmalloc(sizeof(*blob) + (now.size ? now.size : 1));
    atomic_init(&blob->refs, 1);       /* the cache's */
    data = blob->data;
    for (size_t got = 0; got < now.size;) {
        ssize_t n = pread(fd, data + got, now.size - got, (off_t)got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* shorter than its stat said: it is being written; not kept */
            rc = n < 0 ? -errno : -EAGAIN;
            close(fd);
            free(blob);
            return rc;
        }
        got += (size_t)n;
    }
    name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    type = stor_mime_type(mime, name, -1, fd, &now, tbuf);
    close(fd);

    if (e->path != NULL)
        stor_fcache_drop(fc, e);
    stor_fcache_make_room(fc, now.size);
    e->repo = repo->id;
    e->path = cf_xstrdup(path);
    e->st = now;
    e->blob = blob;
    e->data = data;
    snprintf(e->type, sizeof(e->type), "%s", type);
    fc->bytes += now.size;
    *out = e;
    return 0;
}
