/*
 * stor_dcache.c: folder listings kept between requests.
 *
 * A PROPFIND of a folder spends most of its time in the kernel: a getdents64
 * for every few hundred names and a statx for every one. Clients list the
 * same folders again and again (Explorer and Finder on every window refresh,
 * sync clients on every round), and between two listings a folder rarely
 * changes. The process keeps the listings it read, with each entry's stat,
 * and an inotify watch on each such folder, and trusts a listing until the
 * watch reports a change in it:
 *
 * - Every change of a name in the folder (create, delete, rename in or out,
 *   a hard link made to it) reaches the folder's own watch, whoever made it.
 * - A write, truncation or change of times or mode of a file reaches the
 *   watch of the folder it was opened through. A file with one link can be
 *   opened only through this folder, so its entry is kept. A file with
 *   several links, and every subfolder (whose own times change with what
 *   happens inside it), is kept by name only and stat'ed at each listing.
 * - The kernel queues an event before the write that causes it returns, and
 *   every use of the cache first reads the queue: a listing begun after a
 *   change has returned never shows the folder as it was before it.
 * - A write through a shared mmap() reaches no watch until the mapping is
 *   let go (the file's last close). A listing is therefore read again from
 *   the disk once it is STOR_DC_AGE_MS old, which bounds how long such a
 *   change can go unseen, as NFS clients bound their attribute caches.
 *
 * One cache for the process, under a mutex held only to look up, publish
 * and read the event queue. A published listing does not change; a reader
 * holds a reference to it and walks it without the lock. A listing read
 * from the disk is published only if no event for its folder arrived since
 * its watch was set, which the caller set before reading. If inotify cannot
 * be had (or its watches run out) listings are read from the disk as before.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "coffer/log.h"
#include "coffer/str.h"
#include "stor_int.h"
#include "coffer/banned.h"

#define STOR_DC_DIRS     256                    /* folders watched at once */
#define STOR_DC_BUDGET   (8u * 1024 * 1024)     /* bytes of listings in all */
#define STOR_DC_LIST_MAX (STOR_DC_BUDGET / 2)   /* a larger folder is not kept */
#define STOR_DC_AGE_MS   2000
#define STOR_DC_MASK     (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | \
                          IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |    \
                          IN_ONLYDIR)

/* One entry of a listing: what stor_dir_next() gave, in 64 bytes. */
struct stor_dent {
    uint64_t size, ino;
    int64_t mtime_s, ctime_s, btime_s;
    uint32_t mtime_ns, ctime_ns, btime_ns;
    uint32_t off;               /* of its name in names */
    bool restat;                /* kept by name only: stat'ed at each listing */
};
_Static_assert(sizeof(struct stor_dent) == 64, "a kept entry takes 64 bytes");

struct stor_dlist {
    atomic_uint refs;           /* the cache's and each reader's */
    size_t n;
    size_t bytes;
    int64_t born_ms;
    uint64_t dev;               /* of every entry kept whole */
    struct stor_dent *e;
    char *names;
};

/* A watched folder. */
struct stor_ddir {
    int wd;                     /* -1: a free slot */
    uint64_t gen;               /* events seen for it */
    uint64_t used;              /* the cache's tick when last looked up */
    struct stor_dlist *list;    /* the published listing, or NULL */
};

static struct {
    pthread_mutex_t mu;
    pthread_once_t once;
    int ifd;                    /* -1: no cache */
    size_t bytes;
    uint64_t tick;
    struct stor_ddir dir[STOR_DC_DIRS];
} stor_dc = { .mu = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT, .ifd = -1 };

static int64_t
stor_dc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
stor_dc_init(void)
{
    for (size_t i = 0; i < STOR_DC_DIRS; i++)
        stor_dc.dir[i].wd = -1;
    stor_dc.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (stor_dc.ifd < 0)
        cf_log_errno(CF_LOG_WARN, "no inotify: folder listings are read from the disk each time");
}

void
stor_dlist_release(struct stor_dlist *l)
{
    if (l != NULL && atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1) {
        free(l->e);
        free(l->names);
        free(l);
    }
}

/* Lock held: the folder's listing is no longer trusted. */
static void
stor_dc_unpublish(struct stor_ddir *dd)
{
    if (dd->list != NULL) {
        stor_dc.bytes -= dd->list->bytes;
        stor_dlist_release(dd->list);
        dd->list = NULL;
    }
}

static struct stor_ddir *
stor_dc_find(int wd)
{
    for (size_t i = 0; i < STOR_DC_DIRS; i++)
        if (stor_dc.dir[i].wd == wd)
            return &stor_dc.dir[i];
    return NULL;
}

/* Lock held: stops watching the folder (its IN_IGNORED will find no slot). */
static void
stor_dc_forget(struct stor_ddir *dd)
{
    stor_dc_unpublish(dd);
    inotify_rm_watch(stor_dc.ifd, dd->wd);
    dd->wd = -1;
}

/* Lock held: reads every queued event and drops what they make stale. */
static void
stor_dc_drain(void)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;

    while ((n = read(stor_dc.ifd, buf, sizeof(buf))) > 0) {
        for (size_t at = 0; at + sizeof(struct inotify_event) <= (size_t)n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(buf + at);
            struct stor_ddir *dd;

            at += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                /* events were lost: nothing kept can be trusted */
                for (size_t i = 0; i < STOR_DC_DIRS; i++)
                    if (stor_dc.dir[i].wd >= 0) {
                        stor_dc.dir[i].gen++;
                        stor_dc_unpublish(&stor_dc.dir[i]);
                    }
                continue;
            }
            if ((dd = stor_dc_find(ev->wd)) == NULL)
                continue;
            dd->gen++;
            stor_dc_unpublish(dd);
            if (ev->mask & IN_IGNORED)
                dd->wd = -1;    /* the folder is gone; the kernel dropped the watch */
        }
    }
}

/* Lock held: a slot for a new watch, the least recently used one if need be. */
static struct stor_ddir *
stor_dc_slot(void)
{
    struct stor_ddir *old = &stor_dc.dir[0];

    for (size_t i = 0; i < STOR_DC_DIRS; i++) {
        if (stor_dc.dir[i].wd < 0)
            return &stor_dc.dir[i];
        if (stor_dc.dir[i].used < old->used)
            old = &stor_dc.dir[i];
    }
    stor_dc_forget(old);
    return old;
}

struct stor_dlist *
stor_dcache_get(int dirfd, struct stor_dfill *fill)
{
    struct stor_dlist *l = NULL;
    struct stor_ddir *dd;
    char path[40];
    int wd;

    memset(fill, 0, sizeof(*fill));
    pthread_once(&stor_dc.once, stor_dc_init);
    if (stor_dc.ifd < 0)
        return NULL;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
    pthread_mutex_lock(&stor_dc.mu);
    stor_dc_drain();
    /* under the lock: a watch removed by another thread meanwhile would
     * otherwise come back as the same wd with its IN_IGNORED already read */
    wd = inotify_add_watch(stor_dc.ifd, path, STOR_DC_MASK);
    if (wd >= 0) {
        if ((dd = stor_dc_find(wd)) == NULL) {
            dd = stor_dc_slot();
            dd->wd = wd;
            dd->gen = 0;
        }
        dd->used = ++stor_dc.tick;
        if (dd->list != NULL && stor_dc_now_ms() - dd->list->born_ms < STOR_DC_AGE_MS) {
            l = dd->list;
            atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
        } else {
            stor_dc_unpublish(dd);
            fill->on = true;
            fill->wd = wd;
            fill->gen = dd->gen;
            fill->born_ms = stor_dc_now_ms();
        }
    }
    pthread_mutex_unlock(&stor_dc.mu);
    return l;
}

void
stor_dfill_add(struct stor_dfill *f, const char *name, const struct stor_stat *st)
{
    size_t len = strlen(name) + 1;

    if (!f->on)
        return;
    if (f->bytes + sizeof(struct stor_dent) + len > STOR_DC_LIST_MAX) {
        stor_dfill_drop(f);     /* too large to keep */
        return;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->e = cf_xrealloc(f->e, f->cap * sizeof(*f->e));
    }
    if (f->nlen + len > f->ncap) {
        while (f->nlen + len > f->ncap)
            f->ncap = f->ncap ? f->ncap * 2 : 1024;
        f->names = cf_xrealloc(f->names, f->ncap);
    }
    struct stor_dent *e = &f->e[f->n++];

    if (f->n == 1)
        f->dev = st->dev;
    e->off = (uint32_t)f->nlen;
    /* see the top of the file: only a file with one link is kept whole
     * (and one mounted over this folder's entry would not be seen at all) */
    e->restat = st->is_dir || st->nlink != 1 || st->dev != f->dev;
    e->size = st->size;
    e->ino = st->ino;
    e->mtime_s = st->mtime.tv_sec;
    e->mtime_ns = (uint32_t)st->mtime.tv_nsec;
    e->ctime_s = st->ctime.tv_sec;
    e->ctime_ns = (uint32_t)st->ctime.tv_nsec;
    e->btime_s = st->btime.tv_sec;
    e->btime_ns = (uint32_t)st->btime.tv_nsec;
    memcpy(f->names + f->nlen, name, len);
    f->nlen += len;
    f->bytes += sizeof(struct stor_dent) + len;
}

void
stor_dfill_drop(struct stor_dfill *f)
{
    free(f->e);
    free(f->names);
    memset(f, 0, sizeof(*f));
}

void
stor_dfill_end(struct stor_dfill *f)
{
    struct stor_dlist *l;
    struct stor_ddir *dd;
    int wd = f->wd;
    uint64_t gen = f->gen;

    if (!f->on)
        return;
    l = cf_xcalloc(1, sizeof(*l));
    atomic_init(&l->refs, 1);
    l->n = f->n;
    l->dev = f->dev;
    /* what doubling left over goes back (the larger blocks are mappings) */
    l->e = f->n ? cf_xrealloc(f->e, f->n * sizeof(*f->e)) : f->e;
    l->names = f->nlen ? cf_xrealloc(f->names, f->nlen) : f->names;
    l->bytes = f->bytes + sizeof(*l);
    l->born_ms = f->born_ms;
    memset(f, 0, sizeof(*f));
    pthread_mutex_lock(&stor_dc.mu);
    stor_dc_drain();
    /* the folder unchanged since its watch was set, before it was read */
    if ((dd = stor_dc_find(wd)) != NULL && dd->gen == gen &&
        dd->list == NULL) {
        dd->list = l;
        stor_dc.bytes += l->bytes;
        l = NULL;
        /* over the budget: the least recently used others go */
        while (stor_dc.bytes > STOR_DC_BUDGET) {
            struct stor_ddir *old = NULL;

            for (size_t i = 0; i < STOR_DC_DIRS; i++)
                if (stor_dc.dir[i].list != NULL && &stor_dc.dir[i] != dd &&
                    (old == NULL || stor_dc.dir[i].used < old->used))
                    old = &stor_dc.dir[i];
            if (old == NULL)
                break;
            stor_dc_unpublish(old);
        }
    }
    pthread_mutex_unlock(&stor_dc.mu);
    stor_dlist_release(l);
}

bool
stor_dlist_next(struct stor_dlist *l, size_t *i, const char **name, struct stor_stat *st,
                bool *restat)
{
    if (*i >= l->n)
        return false;
    const struct stor_dent *e = &l->e[(*i)++];

    *name = l->names + e->off;
    *restat = e->restat;
    st->is_dir = false;     /* a folder is always stat'ed anew */
    st->size = e->size;
    st->ino = e->ino;
    st->dev = l->dev;
    st->nlink = 1;
    st->mtime.tv_sec = e->mtime_s;
    st->mtime.tv_nsec = e->mtime_ns;
    st->ctime.tv_sec = e->ctime_s;
    st->ctime.tv_nsec = e->ctime_ns;
    st->btime.tv_sec = e->btime_s;
    st->btime.tv_nsec = e->btime_ns;
    return true;
}
