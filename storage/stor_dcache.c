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
 *   let go (the file's last close). A listing is therefore checked against
 *   the disk once it is STOR_DC_AGE_MS old, which bounds how long such a
 *   change can go unseen, as NFS clients bound their attribute caches: the
 *   next reader reads the folder and compares; if nothing differs, the
 *   listing is trusted again, otherwise what he read replaces it.
 *
 * One cache for the process, under a mutex held only to look up, publish
 * and read the event queue. A published listing does not change; a reader
 * holds a reference to it and walks it without the lock. One reader at a
 * time reads a folder to keep it (the others meanwhile read it and keep
 * nothing), and what he read is published only if no event for the folder
 * arrived since its watch was set, which was before he began. If inotify
 * cannot be had (or its watches run out) listings are read from the disk as
 * before.
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
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "coffer/log.h"
#include "coffer/str.h"
#include "stor_int.h"
#include "coffer/banned.h"

#define STOR_DC_DIRS     256                    /* folders watched at once */
#define STOR_DC_BUDGET   (8u * 1024 * 1024)     /* bytes of listings in all */
#define STOR_DC_LIST_MAX (STOR_DC_BUDGET / 4)   /* a larger folder is not kept */
#define STOR_DC_AGE_MS   2000
#define STOR_DC_MASK     (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | \
                          IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |    \
                          IN_ONLYDIR)

/* One entry of a listing: what stor_dir_next() gave, in 48 bytes. */
struct stor_dent {
    uint64_t size, ino;
    int64_t mtime, ctime, btime;    /* nanoseconds since the epoch */
    uint32_t off;                   /* of its name in names */
    bool restat;                    /* kept by name only: stat'ed at each listing */
};
_Static_assert(sizeof(struct stor_dent) == 48, "a kept entry takes 48 bytes");

/*
 * A listing's entries and names live in two private mappings, reserved at
 * STOR_DC_LIST_MAX each when the folder is read and cut to their size when
 * the listing is kept: only the pages written are resident, and a dropped
 * listing gives its memory back at once (malloc would keep it in the arena
 * of whichever thread read the folder).
 */
struct stor_dlist {
    atomic_uint refs;           /* the cache's and each reader's */
    size_t n, nlen;             /* entries, and bytes of names */
    size_t bytes;               /* resident: the two mappings */
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
    bool filling;               /* one reader is keeping what he reads */
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

static size_t
stor_dc_pages(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);

    return (n + pg - 1) / pg * pg;
}

static void
stor_dc_unmap(void *p, size_t len)
{
    if (p != NULL)
        munmap(p, stor_dc_pages(len));
}

void
stor_dlist_release(struct stor_dlist *l)
{
    if (l != NULL && atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1) {
        stor_dc_unmap(l->e, l->n * sizeof(*l->e));
        stor_dc_unmap(l->names, l->nlen);
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
            dd->filling = false;
        }
        dd->used = ++stor_dc.tick;
        if (dd->list != NULL && stor_dc_now_ms() - dd->list->born_ms < STOR_DC_AGE_MS) {
            l = dd->list;
            atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
        } else if (!dd->filling) {
            /*
             * This reader keeps what he reads; the others meanwhile just
             * read. A listing too old to trust is checked against what he
             * reads, and if nothing differs it is trusted again: the usual
             * case costs no memory.
             */
            dd->filling = true;
            fill->on = true;
            fill->wd = wd;
            fill->gen = dd->gen;
            fill->born_ms = stor_dc_now_ms();
            if ((fill->check = dd->list) != NULL) {
                atomic_fetch_add_explicit(&fill->check->refs, 1, memory_order_relaxed);
                fill->dev = fill->check->dev;
            }
        }
    }
    pthread_mutex_unlock(&stor_dc.mu);
    return l;
}

/* Lock held: the folder's one fill is over, kept or not. */
static void
stor_dc_fill_over(int wd)
{
    struct stor_ddir *dd = stor_dc_find(wd);

    if (dd != NULL)
        dd->filling = false;
}

static void *
stor_dc_reserve(void)
{
    void *p = mmap(NULL, STOR_DC_LIST_MAX, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

/* Nanoseconds since the epoch; false if they do not fit in 64 bits. */
static bool
stor_dc_ns(const struct timespec *ts, int64_t *out)
{
    if (ts->tv_sec > INT64_MAX / 1000000000 - 1 || ts->tv_sec < INT64_MIN / 1000000000 + 1)
        return false;
    *out = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
    return true;
}

/* The first n entries of the listing being checked, copied to begin a new one. */
static bool
stor_dc_fork(struct stor_dfill *f)
{
    const struct stor_dlist *c = f->check;

    if ((f->e = stor_dc_reserve()) == NULL || (f->names = stor_dc_reserve()) == NULL)
        return false;
    f->nlen = f->n < c->n ? c->e[f->n].off : c->nlen;
    memcpy(f->e, c->e, f->n * sizeof(*f->e));
    memcpy(f->names, c->names, f->nlen);
    f->dev = c->dev;
    return true;
}

void
stor_dfill_add(struct stor_dfill *f, const char *name, const struct stor_stat *st)
{
    size_t len = strlen(name) + 1;
    struct stor_dent ne;

    if (!f->on)
        return;
    if (f->n == 0 && f->check == NULL)
        f->dev = st->dev;
    memset(&ne, 0, sizeof(ne));   /* the padding too: entries are compared whole */
    ne.off = (uint32_t)f->nlen;
    ne.size = st->size;
    ne.ino = st->ino;
    /* see the top of the file: only a file with one link is kept whole
     * (and one mounted over this folder's entry would not be seen at all) */
    ne.restat = st->is_dir || st->nlink != 1 || st->dev != f->dev ||
                !stor_dc_ns(&st->mtime, &ne.mtime) || !stor_dc_ns(&st->ctime, &ne.ctime) ||
                !stor_dc_ns(&st->btime, &ne.btime);
    if (ne.restat) {
        ne.size = ne.ino = 0;
        ne.mtime = ne.ctime = ne.btime = 0;
    }
    if (f->check != NULL) {
        const struct stor_dlist *c = f->check;

        if (f->n < c->n && memcmp(&c->e[f->n], &ne, sizeof(ne)) == 0 &&
            memcmp(c->names + ne.off, name, len) == 0) {
            f->n++;
            f->nlen += len;
            return;
        }
        /* it differs from here: a new listing, begun with what matched */
        if (!stor_dc_fork(f)) {
            stor_dfill_drop(f);
            return;
        }
        stor_dlist_release(f->check);
        f->check = NULL;
    }
    if (f->e == NULL && ((f->e = stor_dc_reserve()) == NULL ||
                         (f->names = stor_dc_reserve()) == NULL)) {
        stor_dfill_drop(f);
        return;
    }
    if ((f->n + 1) * sizeof(struct stor_dent) + f->nlen + len > STOR_DC_LIST_MAX) {
        stor_dfill_drop(f);     /* too large to keep */
        return;
    }
    f->e[f->n++] = ne;
    memcpy(f->names + f->nlen, name, len);
    f->nlen += len;
}

void
stor_dfill_drop(struct stor_dfill *f)
{
    if (f->on) {
        pthread_mutex_lock(&stor_dc.mu);
        stor_dc_fill_over(f->wd);
        pthread_mutex_unlock(&stor_dc.mu);
    }
    stor_dlist_release(f->check);
    if (f->e != NULL)
        munmap(f->e, STOR_DC_LIST_MAX);
    if (f->names != NULL)
        munmap(f->names, STOR_DC_LIST_MAX);
    memset(f, 0, sizeof(*f));
}

/* Cuts a reserved mapping to the pages of its first len bytes (len > 0). */
static void
stor_dc_cut(void *p, size_t len)
{
    size_t keep = stor_dc_pages(len);

    if (keep < STOR_DC_LIST_MAX)
        munmap((char *)p + keep, STOR_DC_LIST_MAX - keep);
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
    if (f->check != NULL && f->n < f->check->n && !stor_dc_fork(f)) {
        stor_dfill_drop(f);     /* entries at the end are gone */
        return;
    }
    if (f->check != NULL && f->e == NULL) {
        /* the same listing, entry for entry: trusted again from when it was read */
        pthread_mutex_lock(&stor_dc.mu);
        stor_dc_fill_over(wd);
        stor_dc_drain();
        if ((dd = stor_dc_find(wd)) != NULL && dd->gen == gen && dd->list == f->check)
            dd->list->born_ms = f->born_ms;
        pthread_mutex_unlock(&stor_dc.mu);
        stor_dlist_release(f->check);
        memset(f, 0, sizeof(*f));
        return;
    }
    stor_dlist_release(f->check);
    f->check = NULL;
    l = cf_xcalloc(1, sizeof(*l));
    atomic_init(&l->refs, 1);
    l->n = f->n;
    l->nlen = f->nlen;
    l->dev = f->dev;
    l->e = f->e;
    l->names = f->names;
    l->bytes = sizeof(*l);
    if (l->e != NULL) {     /* not an empty folder */
        stor_dc_cut(l->e, l->n * sizeof(*l->e));
        stor_dc_cut(l->names, l->nlen);
        l->bytes += stor_dc_pages(l->n * sizeof(*l->e)) + stor_dc_pages(l->nlen);
    }
    l->born_ms = f->born_ms;
    memset(f, 0, sizeof(*f));
    pthread_mutex_lock(&stor_dc.mu);
    stor_dc_fill_over(wd);
    stor_dc_drain();
    /* the folder unchanged since its watch was set, before it was read */
    if ((dd = stor_dc_find(wd)) != NULL && dd->gen == gen) {
        stor_dc_unpublish(dd);  /* the one it replaces, if any */
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

/* Back from nanoseconds since the epoch. */
static struct timespec
stor_dc_ts(int64_t ns)
{
    struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

    if (ts.tv_nsec < 0) {
        ts.tv_sec--;
        ts.tv_nsec += 1000000000;
    }
    return ts;
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
    if (e->restat)
        return true;    /* the caller stats it */
    st->is_dir = false;
    st->size = e->size;
    st->ino = e->ino;
    st->dev = l->dev;
    st->nlink = 1;
    st->mtime = stor_dc_ts(e->mtime);
    st->ctime = stor_dc_ts(e->ctime);
    st->btime = stor_dc_ts(e->btime);
    return true;
}
