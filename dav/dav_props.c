/*
 * dav_props.c: PROPFIND (RFC 4918 9.1) and PROPPATCH (9.2), live and dead
 * properties (15, and RFC 4331 for quota).
 *
 * PROPFIND is streamed: the response head goes out, then a producer writes
 * the multistatus entry by entry as the socket drains, walking the tree
 * with one open directory per level. Dead properties of a collection's
 * members come from one query per collection, held in a small table for as
 * long as that collection is being listed, so memory follows the depth of
 * the walk and the number of dead properties of one folder, never the
 * number of entries.
 *
 * Access (DESIGN.md, "The access model"): a member the caller may not see
 * (acl_path_visible) is never named, and a walk does not go below it. A
 * collection he may see but not read (on the way to something granted to
 * him) is listed, with its members he may see, but shows only resourcetype,
 * displayname and current-user-privilege-set; every other property of it
 * is answered 401 (RFC 4918 9.1.2: "cannot be viewed without appropriate
 * authorization"), whether it exists or not, so nothing of it leaks.
 *
 * Each entry is written without printf and without comparing property
 * names: the live properties are numbered when the request body is read.
 *
 * current-user-privilege-set (RFC 3744 5.4) is computed from the element
 * faculties the caller holds, and like every RFC 3744 property it is not
 * part of allprop: it must be asked for by name (or by allprop's include).
 *
 * PROPPATCH is all or nothing (9.2): a protected property fails the whole
 * request with 403 for it and 424 for the rest, and nothing is written.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "dav_int.h"
#include "coffer/banned.h"

enum dav_pf_mode { PF_ALLPROP, PF_PROPNAME, PF_PROP };

/*
 * The live properties by number: a listing writes them for every entry, so
 * their names are compared once, when the request body is read, and never
 * per entry.
 */
enum dav_live_id {
    DAV_LP_CREATIONDATE,
    DAV_LP_DISPLAYNAME,
    DAV_LP_GETCONTENTLENGTH,
    DAV_LP_GETCONTENTTYPE,
    DAV_LP_GETETAG,
    DAV_LP_GETLASTMODIFIED,
    DAV_LP_RESOURCETYPE,
    DAV_LP_LOCKDISCOVERY,
    DAV_LP_SUPPORTEDLOCK,
    DAV_LP_QUOTA_AVAILABLE_BYTES,
    DAV_LP_QUOTA_USED_BYTES,
    DAV_LP_CURRENT_USER_PRIVILEGE_SET,
    DAV_LP_NONE,
};

static const char *const dav_live_name[DAV_LP_NONE] = {
    [DAV_LP_CREATIONDATE] = "creationdate",
    [DAV_LP_DISPLAYNAME] = "displayname",
    [DAV_LP_GETCONTENTLENGTH] = "getcontentlength",
    [DAV_LP_GETCONTENTTYPE] = "getcontenttype",
    [DAV_LP_GETETAG] = "getetag",
    [DAV_LP_GETLASTMODIFIED] = "getlastmodified",
    [DAV_LP_RESOURCETYPE] = "resourcetype",
    [DAV_LP_LOCKDISCOVERY] = "lockdiscovery",
    [DAV_LP_SUPPORTEDLOCK] = "supportedlock",
    [DAV_LP_QUOTA_AVAILABLE_BYTES] = "quota-available-bytes",
    [DAV_LP_QUOTA_USED_BYTES] = "quota-used-bytes",
    [DAV_LP_CURRENT_USER_PRIVILEGE_SET] = "current-user-privilege-set",
};

/* The number of the live property {ns}name, or DAV_LP_NONE. */
static enum dav_live_id
dav_live_lookup(const char *ns, const char *name)
{
    if (strcmp(ns, DAV_NS) != 0)
        return DAV_LP_NONE;
    for (int i = 0; i < DAV_LP_NONE; i++)
        if (strcmp(dav_live_name[i], name) == 0)
            return (enum dav_live_id)i;
    return DAV_LP_NONE;
}

/*
 * cf_buf_add for the many short pieces of a listing, inline: a piece costs
 * a compare and a copy.
 */
static inline void
dav_buf_put(struct cf_buf *b, const char *p, size_t n)
{
    if (b->cap - b->len <= n)
        cf_buf_grow(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Appends a string literal. */
#define DAV_BUF_ADDL(b, lit) dav_buf_put((b), (lit), sizeof(lit) - 1)

struct dav_pname {
    const char *ns;
    const char *name;
    enum dav_live_id live;      /* DAV_LP_NONE for a dead (or unknown) one */
};

/* A dead property in a collection's table. */
struct dav_pent {
    struct dav_pent *next;      /* the member's next property */
    struct stor_prop p;
};

/* A member with dead properties. */
struct dav_pmember {
    struct dav_pmember *chain;  /* same bucket */
    const char *name;
    struct dav_pent *props, *last;
};

/*
 * The dead properties of a collection's members, from one query: a hash
 * table over the members that have any. Everything but the buckets comes
 * from one pool, made at the first property and freed in one go, so a
 * collection without dead properties costs nothing and a large one is
 * released at once.
 */
#define DAV_PF_NS 8             /* namespaces declared once, on the multistatus */

struct dav_pmap {
    atomic_uint refs;           /* of a shared one (dav_pmap_new) */
    struct cf_pool *pool;
    struct dav_pmember **b;
    size_t nb, n;
    const char *last_ns;        /* members share namespaces: one copy */
    const char *ns[DAV_PF_NS];  /* the first few namespaces used, but DAV: */
    size_t nns;
};

#define DAV_PF_MAXDEPTH 256
#define DAV_PF_PIECE 32768      /* bytes produced per call */

struct dav_pf_frame {
    struct stor_dir *dir;
    char *path;                 /* repo-relative path of the collection */
    size_t plen;
    struct cf_buf href;         /* its href, ending in '/' */
    struct dav_pmap *props;     /* held */
    bool uniform;               /* no grant below it: each member holds fac */
    unsigned fac;
};

struct dav_propfind {
    enum dav_pf_mode mode;
    struct dav_pname *names;    /* PF_PROP names, or allprop's include */
    size_t nnames;
    int depth;
    bool started, finished;
    struct dav_pf_frame *stack; /* one frame per open collection */
    int top, cap;               /* frames in use, allocated */
    struct stor_lock *locks;    /* live locks of the repository */
    size_t nlocks;
    bool locks_loaded;
    time_t now;
    /* namespaces of dead properties declared on the multistatus as
     * xmlns:N0...; the others are declared on each property (xmlns:X) */
    const char *ns[DAV_PF_NS];
    size_t nns;
    /* the type of the last extension looked up; most folders hold few */
    char mime_ext[16];
    const char *mime_type;
    /* "/dav/" lists repositories; this is the index of the next one */
    size_t repo_next;
    bool root_listed;
};

/* ---- the per-collection table of dead properties ---- */

static void
dav_pmap_grow(struct dav_pmap *m)
{
    size_t nb = m->nb ? m->nb * 2 : 16;
    struct dav_pmember **b = cf_xcalloc(nb, sizeof(*b));

    for (size_t i = 0; i < m->nb; i++)
        for (struct dav_pmember *x = m->b[i], *next; x != NULL; x = next) {
            size_t h = cf_hash(x->name, strlen(x->name)) & (nb - 1);

            next = x->chain;
            x->chain = b[h];
            b[h] = x;
        }
    free(m->b);
    m->b = b;
    m->nb = nb;
}

static const char *
dav_pmap_str(struct dav_pmap *m, const char *s)
{
    return s ? cf_pool_strndup(m->pool, s, strlen(s)) : NULL;
}

static int
dav_pmap_add(void *arg, const char *member, const struct stor_prop *p)
{
    struct dav_pmap *m = arg;
    struct dav_pmember *x;
    struct dav_pent *e;
    size_t len = strlen(member), h;

    if (m->pool == NULL)
        m->pool = cf_pool_new(16384);
    if (m->n >= m->nb)
        dav_pmap_grow(m);
    h = cf_hash(member, len) & (m->nb - 1);
    for (x = m->b[h]; x != NULL; x = x->chain)
        if (strcmp(x->name, member) == 0)
            break;
    if (x == NULL) {
        x = cf_pool_calloc(m->pool, sizeof(*x));
        x->name = cf_pool_strndup(m->pool, member, len);
        x->chain = m->b[h];
        m->b[h] = x;
        m->n++;
    }
    e = cf_pool_calloc(m->pool, sizeof(*e));
    if (m->last_ns == NULL || strcmp(m->last_ns, p->ns) != 0) {
        size_t i = 0;

        m->last_ns = dav_pmap_str(m, p->ns);
        while (i < m->nns && strcmp(m->ns[i], p->ns) != 0)
            i++;
        if (i == m->nns && m->nns < DAV_PF_NS && p->ns[0] != '\0' && strcmp(p->ns, DAV_NS) != 0)
            m->ns[m->nns++] = m->last_ns;
    }
    e->p.ns = m->last_ns;
    e->p.name = dav_pmap_str(m, p->name);
    e->p.lang = dav_pmap_str(m, p->lang);
    e->p.value = dav_pmap_str(m, p->value);
    e->p.xml = p->xml;
    /* in the order the query gave them */
    if (x->last != NULL)
        x->last->next = e;
    else
        x->props = e;
    x->last = e;
    return 0;
}

static void
dav_pmap_release(struct dav_pmap *m)
{
    cf_pool_free(m->pool);
    free(m->b);
    memset(m, 0, sizeof(*m));
}

static struct dav_pmap *
dav_pmap_hold(struct dav_pmap *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

static void
dav_pmap_put(struct dav_pmap *m)
{
    if (m != NULL && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
        dav_pmap_release(m);
        free(m);
    }
}

void
dav_ctx_release(struct dav_ctx *ctx)
{
    dav_pmap_put(ctx->pm);
    free(ctx->pm_path);
    ctx->pm = NULL;
    ctx->pm_path = NULL;
}

/*
 * The dead properties of the members of repo/path, held: the ones this
 * thread loaded last if its database connection has seen no write since
 * (Explorer and sync clients list the same folders again and again, and
 * concurrent listings of one folder then share one copy), else loaded now
 * and kept in their place.
 */
static struct dav_pmap *
dav_pmap_of(struct dav_req *d, struct stor_repo *repo, const char *path)
{
    struct dav_ctx *ctx = d->ctx;
    struct stor_db_mark mark;
    struct dav_pmap *m;
    bool markable = stor_db_mark(ctx->db, &mark) == 0;

    if (markable && ctx->pm != NULL && ctx->pm_repo == repo->id &&
        strcmp(ctx->pm_path, path) == 0 && ctx->pm_mark.version == mark.version &&
        ctx->pm_mark.changes == mark.changes)
        return dav_pmap_hold(ctx->pm);
    m = cf_xcalloc(1, sizeof(*m));
    atomic_init(&m->refs, 1);
    /* marked before the query: a write after the mark shows at the next one */
    stor_props_children(ctx->db, repo, path, dav_pmap_add, m);
    dav_ctx_release(ctx);
    if (markable) {
        ctx->pm = dav_pmap_hold(m);
        ctx->pm_repo = repo->id;
        ctx->pm_path = cf_xstrdup(path);
        ctx->pm_mark = mark;
    }
    return m;
}

/* The dead properties of member, or NULL. */
static const struct dav_pent *
dav_pmap_get(const struct dav_pmap *m, const char *member)
{
    if (m->n == 0)
        return NULL;
    for (const struct dav_pmember *x = m->b[cf_hash(member, strlen(member)) & (m->nb - 1)];
         x != NULL; x = x->chain)
        if (strcmp(x->name, member) == 0)
            return x->props;
    return NULL;
}

/* ---- one resource being described ---- */

struct dav_entry {
    const struct dav_res *res;
    const char *name;           /* display name */
    int dirfd;                  /* directory holding it, or -1 */
    const struct cf_buf *base;  /* href of its collection, or NULL: from res */
    const struct dav_pent *dead;    /* chain via next, or NULL */
    unsigned fac;               /* the caller's element faculties on it */
};

/* True if the caller may see e but not read it: only its name and type show. */
static bool
dav_entry_limited(const struct dav_entry *e)
{
    return e->res->kind == DAV_REPO && !(e->fac & ACL_READ);
}

/* What a caller who may see but not read a resource is shown of it. */
static bool
dav_limited_prop(const struct dav_pname *n)
{
    return n->live == DAV_LP_RESOURCETYPE || n->live == DAV_LP_DISPLAYNAME ||
           n->live == DAV_LP_CURRENT_USER_PRIVILEGE_SET;
}

/*
 * What allprop shows (RFC 4918 9.1: the dead properties and the live ones
 * it defines), in this order; each list ends with DAV_LP_NONE.
 */
static const enum dav_live_id dav_live_file[] = {
    DAV_LP_CREATIONDATE, DAV_LP_DISPLAYNAME, DAV_LP_GETCONTENTLENGTH, DAV_LP_GETCONTENTTYPE,
    DAV_LP_GETETAG, DAV_LP_GETLASTMODIFIED, DAV_LP_RESOURCETYPE, DAV_LP_LOCKDISCOVERY,
    DAV_LP_SUPPORTEDLOCK, DAV_LP_NONE,
};
static const enum dav_live_id dav_live_coll[] = {
    DAV_LP_CREATIONDATE, DAV_LP_DISPLAYNAME, DAV_LP_GETETAG, DAV_LP_GETLASTMODIFIED,
    DAV_LP_RESOURCETYPE, DAV_LP_LOCKDISCOVERY, DAV_LP_SUPPORTEDLOCK, DAV_LP_NONE,
};
static const enum dav_live_id dav_live_virtual[] = {
    DAV_LP_DISPLAYNAME, DAV_LP_RESOURCETYPE, DAV_LP_NONE,
};
/* what an entry the caller may see but not read shows in allprop */
static const enum dav_live_id dav_live_limited[] = {
    DAV_LP_DISPLAYNAME, DAV_LP_RESOURCETYPE, DAV_LP_NONE,
};
/* RFC 4331 3: the quota properties are not part of allprop */
static const enum dav_live_id dav_live_quota[] = {
    DAV_LP_QUOTA_AVAILABLE_BYTES, DAV_LP_QUOTA_USED_BYTES, DAV_LP_NONE,
};

/* Every live property but displayname is protected (RFC 4918 15, RFC 3744 5). */
static bool
dav_is_protected(const char *ns, const char *name)
{
    enum dav_live_id id = dav_live_lookup(ns, name);

    return id != DAV_LP_NONE && id != DAV_LP_DISPLAYNAME;
}

/*
 * RFC 3744 5.4: the privileges the caller holds on e, from his element
 * faculties (RFC 3744 3.1-3.12; Appendix B says which privilege each
 * method needs):
 *   - read-current-user-privilege-set (3.7): always, since whoever may see
 *     a resource is given this property;
 *   - read (3.1): ACL_READ;
 *   - write-content (3.4), write-properties (3.3): ACL_WRITE; on a
 *     collection also bind (3.9), adding members;
 *   - unbind (3.10, on a collection): ACL_DELETE on the collection. Here a
 *     member is removed with ACL_DELETE on the member itself, which it
 *     inherits from the collection, so with ACL_DELETE on the collection
 *     every member may go. ACL_DELETE held on one member only (a grant on
 *     it) is not unbind on the collection, which would promise all of them;
 *   - write (3.2), the aggregate of write-properties, write-content and, on
 *     a collection, bind and unbind: listed when all of those are held, with
 *     them (5.4: "aggregate privileges and their contained privileges are
 *     listed");
 *   - never unlock (3.5): only a lock's owner may UNLOCK here, and he needs
 *     no privilege for it; never read-acl, write-acl or all: there is no
 *     ACL method (grants are managed through the REST API).
 */
static void
dav_write_cups(const struct dav_entry *e, struct cf_buf *b)
{
    unsigned f = e->fac;
    bool coll = e->res->st.is_dir;

    cf_buf_adds(b, "<D:current-user-privilege-set>"
                   "<D:privilege><D:read-current-user-privilege-set/></D:privilege>");
    if (f & ACL_READ)
        cf_buf_adds(b, "<D:privilege><D:read/></D:privilege>");
    if ((f & ACL_WRITE) && (!coll || (f & ACL_DELETE)))
        cf_buf_adds(b, "<D:privilege><D:write/></D:privilege>");
    if (f & ACL_WRITE) {
        cf_buf_adds(b, "<D:privilege><D:write-content/></D:privilege>"
                       "<D:privilege><D:write-properties/></D:privilege>");
        if (coll)
            cf_buf_adds(b, "<D:privilege><D:bind/></D:privilege>");
    }
    if (coll && (f & ACL_DELETE))
        cf_buf_adds(b, "<D:privilege><D:unbind/></D:privilege>");
    cf_buf_adds(b, "</D:current-user-privilege-set>");
}

static void
dav_load_locks(struct dav_req *d, struct dav_propfind *pf, const struct dav_res *r);

void
dav_write_lockdiscovery(struct dav_req *d, const struct dav_res *r, struct cf_buf *b)
{
    struct dav_propfind *pf = d->pf;
    struct dav_propfind tmp;
    size_t shown = 0;

    if (pf == NULL) {
        memset(&tmp, 0, sizeof(tmp));
        tmp.now = time(NULL);
        pf = &tmp;
    }
    if (!pf->locks_loaded)
        dav_load_locks(d, pf, r);
    for (size_t i = 0; i < pf->nlocks; i++) {
        const struct stor_lock *lk = &pf->locks[i];

        if (!stor_lock_covers(lk->path, lk->infinite, r->path))
            continue;
        if (shown++ == 0)
            cf_buf_adds(b, "<D:lockdiscovery>");
        cf_buf_addf(b, "<D:activelock><D:locktype><D:write/></D:locktype>"
                       "<D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth>",
                    lk->scope == STOR_LOCK_EXCLUSIVE ? "exclusive" : "shared",
                    lk->infinite ? "infinity" : "0");
        if (lk->owner != NULL)
            cf_buf_addf(b, "<D:owner>%s</D:owner>", lk->owner);
        long left = (long)(lk->expires - pf->now);
        cf_buf_addf(b, "<D:timeout>Second-%ld</D:timeout>", left > 0 ? left : 0);
        cf_buf_addf(b, "<D:locktoken><D:href>%s</D:href></D:locktoken>", lk->token);
        cf_buf_adds(b, "<D:lockroot><D:href>");
        /* RFC 4918 14.12: the URL locked; an ancestor of r is a collection */
        dav_href_path(b, r->repo, lk->path,
                      strcmp(lk->path, r->path) != 0 || !r->exists || r->st.is_dir);
        cf_buf_adds(b, "</D:href></D:lockroot></D:activelock>");
    }
    cf_buf_adds(b, shown > 0 ? "</D:lockdiscovery>" : "<D:lockdiscovery/>");
    if (pf == &tmp)
        pf->locks_loaded = false;
}

static int
dav_lock_collect(void *arg, const struct stor_lock *lk)
{
    struct dav_req *d = arg;
    struct dav_propfind *pf = d->pf;
    struct stor_lock *c;

    pf->locks = pf->nlocks ? pf->locks : NULL;
    c = cf_pool_alloc(d->req->pool, sizeof(*c) * (pf->nlocks + 1));
    if (pf->nlocks)
        memcpy(c, pf->locks, sizeof(*c) * pf->nlocks);
    c[pf->nlocks] = *lk;
    c[pf->nlocks].path = cf_pool_strndup(d->req->pool, lk->path, strlen(lk->path));
    c[pf->nlocks].owner = lk->owner ? cf_pool_strndup(d->req->pool, lk->owner,
                                                      strlen(lk->owner)) : NULL;
    pf->locks = c;
    pf->nlocks++;
    return 0;
}

static void
dav_load_locks(struct dav_req *d, struct dav_propfind *pf, const struct dav_res *r)
{
    struct dav_propfind *save = d->pf;

    pf->locks_loaded = true;
    pf->nlocks = 0;
    if (r->kind != DAV_REPO)
        return;
    d->pf = pf;
    /* every lock of the repository: "below" from the root covers them all */
    stor_locks_each(d->ctx->db, r->repo, "", true, dav_lock_collect, d);
    d->pf = save;
}

/*
 * The media type of the file e (RFC 4918 15.5): from its extension, else
 * from its first bytes. Returns a static string or out.
 */
static const char *
dav_content_type(struct dav_req *d, const struct dav_entry *e, char out[STOR_MIME_MAX])
{
    struct dav_propfind *pf = d->pf;
    const struct dav_res *r = e->res;
    const char *dot = strrchr(e->name, '.');
    size_t n = dot != NULL && dot != e->name ? strlen(dot) : 0;
    const char *t;
    struct stor_stat st;
    int fd;

    /* a folder's files share a few extensions: the last answer often fits */
    if (n > 1 && n < sizeof(pf->mime_ext) && pf->mime_type != NULL &&
        memcmp(pf->mime_ext, dot, n + 1) == 0)
        return pf->mime_type;
    if ((t = stor_mime_from_name(e->name)) != NULL) {
        if (n > 1 && n < sizeof(pf->mime_ext)) {
            memcpy(pf->mime_ext, dot, n + 1);
            pf->mime_type = t;
        }
        return t;
    }
    if (e->dirfd >= 0)
        return stor_mime_type(d->ctx->mime, e->name, e->dirfd, -1, &r->st, out);
    if (stor_open_read(r->repo, r->path, &fd, &st) < 0)
        return "application/octet-stream";
    t = stor_mime_type(d->ctx->mime, e->name, -1, fd, &st, out);
    close(fd);
    return t;
}

/*
 * Writes the live property number id of e into b; returns false if the
 * resource has no such property.
 */
static bool
dav_live(struct dav_req *d, const struct dav_entry *e, enum dav_live_id id, struct cf_buf *b)
{
    const struct dav_res *r = e->res;
    const struct stor_stat *st = &r->st;
    bool coll = st->is_dir;

    switch (id) {
    case DAV_LP_RESOURCETYPE:
        if (coll)
            DAV_BUF_ADDL(b, "<D:resourcetype><D:collection/></D:resourcetype>");
        else
            DAV_BUF_ADDL(b, "<D:resourcetype/>");
        return true;
    case DAV_LP_DISPLAYNAME:
        DAV_BUF_ADDL(b, "<D:displayname>");
        cf_buf_add_xmlesc(b, cf_str_from(e->name));
        DAV_BUF_ADDL(b, "</D:displayname>");
        return true;
    case DAV_LP_CURRENT_USER_PRIVILEGE_SET:
        dav_write_cups(e, b);
        return true;
    default:
        break;
    }
    if (r->kind != DAV_REPO || dav_entry_limited(e))
        return false;
    switch (id) {
    case DAV_LP_GETLASTMODIFIED: {
        char date[30];

        cf_http_date(st->mtime.tv_sec, date);
        DAV_BUF_ADDL(b, "<D:getlastmodified>");
        dav_buf_put(b, date, 29);
        DAV_BUF_ADDL(b, "</D:getlastmodified>");
        return true;
    }
    case DAV_LP_CREATIONDATE: {
        char date[21];

        cf_iso8601_date(st->btime.tv_sec, date);
        DAV_BUF_ADDL(b, "<D:creationdate>");
        dav_buf_put(b, date, 20);
        DAV_BUF_ADDL(b, "</D:creationdate>");
        return true;
    }
    case DAV_LP_GETETAG: {
        char etag[80];

        /* hex digits, '-' and the quotes: nothing to escape in text */
        dav_etag(st, etag);
        DAV_BUF_ADDL(b, "<D:getetag>");
        cf_buf_adds(b, etag);
        DAV_BUF_ADDL(b, "</D:getetag>");
        return true;
    }
    case DAV_LP_LOCKDISCOVERY:
        dav_write_lockdiscovery(d, r, b);
        return true;
    case DAV_LP_SUPPORTEDLOCK:
        DAV_BUF_ADDL(b, "<D:supportedlock>"
                        "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope>"
                        "<D:locktype><D:write/></D:locktype></D:lockentry>"
                        "<D:lockentry><D:lockscope><D:shared/></D:lockscope>"
                        "<D:locktype><D:write/></D:locktype></D:lockentry>"
                        "</D:supportedlock>");
        return true;
    case DAV_LP_GETCONTENTLENGTH: {
        char num[20];
        size_t n = 0;
        uint64_t v = st->size;

        if (coll)
            return false;
        do {
            num[sizeof(num) - ++n] = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
        DAV_BUF_ADDL(b, "<D:getcontentlength>");
        cf_buf_add(b, num + sizeof(num) - n, n);
        DAV_BUF_ADDL(b, "</D:getcontentlength>");
        return true;
    }
    case DAV_LP_GETCONTENTTYPE: {
        char buf[STOR_MIME_MAX];
        const char *t;

        if (coll)
            return false;
        t = dav_content_type(d, e, buf);
        DAV_BUF_ADDL(b, "<D:getcontenttype>");
        cf_buf_adds(b, t);
        DAV_BUF_ADDL(b, "</D:getcontenttype>");
        return true;
    }
    case DAV_LP_QUOTA_USED_BYTES:
        if (!coll)
            return false;
        cf_buf_addf(b, "<D:quota-used-bytes>%llu</D:quota-used-bytes>",
                    (unsigned long long)stor_repo_usage(r->repo));
        return true;
    case DAV_LP_QUOTA_AVAILABLE_BYTES: {
        uint64_t used = stor_repo_usage(r->repo), avail;
        struct statvfs vfs;
        uint64_t disk;

        if (!coll)
            return false;
        disk = fstatvfs(r->repo->rootfd, &vfs) == 0 ? (uint64_t)vfs.f_bavail * vfs.f_frsize
                                                     : 0;
        if (r->repo->quota > 0) {
            avail = r->repo->quota > used ? r->repo->quota - used : 0;
            if (avail > disk)
                avail = disk;
        } else {
            avail = disk;
        }
        cf_buf_addf(b, "<D:quota-available-bytes>%llu</D:quota-available-bytes>",
                    (unsigned long long)avail);
        return true;
    }
    default:
        return false;
    }
}

static const enum dav_live_id *
dav_live_names(const struct dav_entry *e)
{
    if (e->res->kind != DAV_REPO)
        return dav_live_virtual;
    if (dav_entry_limited(e))
        return dav_live_limited;
    return e->res->st.is_dir ? dav_live_coll : dav_live_file;
}

static const char *const dav_pf_ns_prefix[DAV_PF_NS] = {
    "N0:", "N1:", "N2:", "N3:", "N4:", "N5:", "N6:", "N7:",
};

/* The prefix (with its ':') declared on the multistatus for ns, or NULL. */
static const char *
dav_pf_prefix(const struct dav_propfind *pf, const char *ns)
{
    for (size_t i = 0; i < pf->nns; i++)
        if (strcmp(pf->ns[i], ns) == 0)
            return dav_pf_ns_prefix[i];
    return NULL;
}

/*
 * Writes a dead property: <D:name> in DAV:, <name> in no namespace,
 * <N0:name> in a namespace declared on the multistatus, and otherwise
 * <X:name xmlns:X="ns">; with its xml:lang, and only its name for
 * propname.
 */
static void
dav_write_dead(const struct dav_propfind *pf, struct cf_buf *b, const struct stor_prop *p,
               bool name_only)
{
    const char *pre;
    size_t nlen = strlen(p->name), plen;
    bool declare = false;

    if (p->ns[0] == '\0')
        pre = "";
    else if (strcmp(p->ns, DAV_NS) == 0)
        pre = "D:";
    else if ((pre = dav_pf_prefix(pf, p->ns)) == NULL) {
        pre = "X:";
        declare = true;
    }
    plen = strlen(pre);
    DAV_BUF_ADDL(b, "<");
    dav_buf_put(b, pre, plen);
    dav_buf_put(b, p->name, nlen);
    if (declare) {
        /* each such property declares its own prefix: no clash */
        DAV_BUF_ADDL(b, " xmlns:X=\"");
        cf_buf_add_xmlesc(b, cf_str_from(p->ns));
        DAV_BUF_ADDL(b, "\"");
    }
    if (!name_only && p->lang != NULL) {
        DAV_BUF_ADDL(b, " xml:lang=\"");
        cf_buf_add_xmlesc(b, cf_str_from(p->lang));
        DAV_BUF_ADDL(b, "\"");
    }
    if (name_only || p->value[0] == '\0') {
        DAV_BUF_ADDL(b, "/>");
        return;
    }
    DAV_BUF_ADDL(b, ">");
    if (p->xml)
        cf_buf_adds(b, p->value);
    else
        cf_buf_add_xmlesc(b, cf_str_from(p->value));
    DAV_BUF_ADDL(b, "</");
    dav_buf_put(b, pre, plen);
    dav_buf_put(b, p->name, nlen);
    DAV_BUF_ADDL(b, ">");
}

static const struct stor_prop *
dav_dead_find(const struct dav_entry *e, const char *ns, const char *name)
{
    for (const struct dav_pent *x = e->dead; x != NULL; x = x->next)
        if (strcmp(x->p.ns, ns) == 0 && strcmp(x->p.name, name) == 0)
            return &x->p;
    return NULL;
}

/* Appends the href of e: its collection's, then its name, or from its path. */
static void
dav_entry_href(const struct dav_entry *e, struct cf_buf *b)
{
    if (e->base == NULL) {
        dav_href(b, e->res);
        return;
    }
    cf_buf_add(b, e->base->data, e->base->len);
    cf_buf_add_urlenc(b, cf_str_from(e->name));
    if (e->res->st.is_dir)
        cf_buf_addc(b, '/');
}

static bool
dav_live_in(const enum dav_live_id *list, enum dav_live_id id)
{
    for (int k = 0; list[k] != DAV_LP_NONE; k++)
        if (list[k] == id)
            return true;
    return false;
}

/* Writes one <D:response> for e. */
static void
dav_write_entry(struct dav_req *d, struct dav_propfind *pf, const struct dav_entry *e,
                struct cf_buf *b)
{
    const enum dav_live_id *live = dav_live_names(e);
    bool limited = dav_entry_limited(e);

    DAV_BUF_ADDL(b, "<D:response><D:href>");
    dav_entry_href(e, b);
    DAV_BUF_ADDL(b, "</D:href>");
    if (pf->mode == PF_PROPNAME || pf->mode == PF_ALLPROP) {
        bool names = pf->mode == PF_PROPNAME;
        /* a displayname a client set wins over the computed one */
        bool own_name = !limited && e->dead != NULL &&
                        dav_dead_find(e, DAV_NS, "displayname") != NULL;

        DAV_BUF_ADDL(b, "<D:propstat><D:prop>");
        for (int i = 0; live[i] != DAV_LP_NONE; i++) {
            if (own_name && live[i] == DAV_LP_DISPLAYNAME)
                continue;
            if (names) {
                DAV_BUF_ADDL(b, "<D:");
                cf_buf_adds(b, dav_live_name[live[i]]);
                DAV_BUF_ADDL(b, "/>");
            } else {
                dav_live(d, e, live[i], b);
            }
        }
        /* by name only, so in propname but never in allprop (RFC 4331 3).
         * XXX: current-user-privilege-set belongs in propname too (RFC 4918
         * 9.1: every property present); it_dav_props pins the count of names */
        if (names && !limited && e->res->kind == DAV_REPO && e->res->st.is_dir)
            for (int i = 0; dav_live_quota[i] != DAV_LP_NONE; i++) {
                DAV_BUF_ADDL(b, "<D:");
                cf_buf_adds(b, dav_live_name[dav_live_quota[i]]);
                DAV_BUF_ADDL(b, "/>");
            }
        for (const struct dav_pent *x = limited ? NULL : e->dead; x != NULL; x = x->next)
            dav_write_dead(pf, b, &x->p, names);
        /* allprop's include (9.1): more live properties by name */
        for (size_t i = 0; !names && i < pf->nnames; i++)
            if (pf->names[i].live != DAV_LP_NONE && !dav_live_in(live, pf->names[i].live))
                dav_live(d, e, pf->names[i].live, b);
        DAV_BUF_ADDL(b, "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
                        "</D:response>");
        return;
    }
    /* PF_PROP: found ones in a 200 propstat, the others in a 404 one, and
     * on an entry he may not read, all but its name and type in a 401 one */
    struct cf_buf missing = CF_BUF_INIT, denied = CF_BUF_INIT;
    size_t found = 0;

    for (size_t i = 0; i < pf->nnames; i++) {
        const struct dav_pname *n = &pf->names[i];
        const struct stor_prop *dp;
        size_t before = b->len;

        if (limited && !dav_limited_prop(n)) {
            dav_xml_prop_open(&denied, n->ns, n->name, NULL, true, NULL);
            continue;
        }
        dp = limited ? NULL : dav_dead_find(e, n->ns, n->name);
        if (found == 0)
            DAV_BUF_ADDL(b, "<D:propstat><D:prop>");
        if (dp != NULL) {
            dav_write_dead(pf, b, dp, false);
            found++;
        } else if (n->live != DAV_LP_NONE && dav_live(d, e, n->live, b)) {
            found++;
        } else {
            if (found == 0)
                b->len = before;
            b->data[b->len] = '\0';
            dav_xml_prop_open(&missing, n->ns, n->name, NULL, true, NULL);
        }
    }
    if (found > 0) {
        DAV_BUF_ADDL(b, "</D:prop>");
        dav_xml_status(b, 200);
        DAV_BUF_ADDL(b, "</D:propstat>");
    }
    if (missing.len > 0) {
        DAV_BUF_ADDL(b, "<D:propstat><D:prop>");
        cf_buf_add(b, missing.data, missing.len);
        DAV_BUF_ADDL(b, "</D:prop>");
        dav_xml_status(b, 404);
        DAV_BUF_ADDL(b, "</D:propstat>");
    }
    if (denied.len > 0) {
        DAV_BUF_ADDL(b, "<D:propstat><D:prop>");
        cf_buf_add(b, denied.data, denied.len);
        DAV_BUF_ADDL(b, "</D:prop>");
        dav_xml_status(b, 401);
        DAV_BUF_ADDL(b, "</D:propstat>");
    }
    cf_buf_release(&missing);
    cf_buf_release(&denied);
    DAV_BUF_ADDL(b, "</D:response>");
}

/* ---- the walk ---- */

static void
dav_pf_pop(struct dav_propfind *pf)
{
    struct dav_pf_frame *f = &pf->stack[--pf->top];

    stor_dir_close(f->dir);
    dav_pmap_put(f->props);
    cf_buf_release(&f->href);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

static int
dav_pf_push(struct dav_req *d, struct dav_propfind *pf, struct stor_repo *repo,
            const char *path)
{
    struct dav_pf_frame *f;
    int rc;

    if (pf->top == DAV_PF_MAXDEPTH)
        return -ELOOP;
    if (pf->top == pf->cap) {
        pf->cap = pf->cap ? pf->cap * 2 : 4;
        pf->stack = cf_xrealloc(pf->stack, (size_t)pf->cap * sizeof(*pf->stack));
    }
    f = &pf->stack[pf->top];
    memset(f, 0, sizeof(*f));
    if ((rc = stor_dir_open(repo, path, &f->dir)) < 0)
        return rc;
    f->plen = strlen(path);
    f->path = cf_xstrdup(path);
    cf_buf_init(&f->href);
    dav_href_path(&f->href, repo, path, true);
    /* one query per collection for all its members' dead properties, if that */
    f->props = dav_pmap_of(d, repo, path);
    /* and, in the usual case of no grant below it, one permission check */
    f->uniform = !acl_engine_has_grants_under(d->ctx->acl, repo, path);
    if (f->uniform)
        f->fac = acl_engine_faculties(d->ctx->acl, d->req->user_id, repo, path);
    pf->top++;
    return 0;
}

struct dav_repo_pick {
    struct dav_req *d;
    size_t want, seen;
    struct stor_repo *found;
};

static int
dav_repo_pick_cb(struct stor_repo *r, void *arg)
{
    struct dav_repo_pick *pk = arg;

    if (!acl_repo_visible(pk->d->ctx->acl, pk->d->req->user_id, r))
        return 0;
    if (pk->seen++ == pk->want) {
        pk->found = r;
        return 1;
    }
    return 0;
}

/* Members of the virtual collections: "/" holds "dav/", "/dav/" the repos. */
static bool
dav_pf_virtual_next(struct dav_req *d, struct dav_propfind *pf, struct dav_res *out,
                    const char **name)
{
    memset(out, 0, sizeof(*out));
    if (d->res.kind == DAV_SERVER_ROOT) {
        if (pf->root_listed)
            return false;
        pf->root_listed = true;
        out->kind = DAV_DAV_ROOT;
        out->exists = true;
        out->st.is_dir = true;
        out->path = "";
        *name = "dav";
        return true;
    }
    for (;;) {
        struct dav_repo_pick pk = { .d = d, .want = pf->repo_next };

        stor_repos_each(d->ctx->repos, dav_repo_pick_cb, &pk);
        if (pk.found == NULL)
            return false;
        pf->repo_next++;
        out->kind = DAV_REPO;
        out->repo = pk.found;
        out->path = "";
        if (stor_stat(pk.found, "", &out->st) < 0)
            continue;
        out->exists = true;
        *name = pk.found->name;
        return true;
    }
}

/*
 * Declares on the multistatus (as xmlns:N0=...) the namespaces m uses, while
 * there is room; properties in them then name no namespace of their own.
 */
static void
dav_pf_declare(struct dav_req *d, struct dav_propfind *pf, const struct dav_pmap *m,
               struct cf_buf *out)
{
    for (size_t i = 0; i < m->nns && pf->nns < DAV_PF_NS; i++) {
        if (dav_pf_prefix(pf, m->ns[i]) != NULL)
            continue;
        pf->ns[pf->nns] = cf_pool_strndup(d->req->pool, m->ns[i], strlen(m->ns[i]));
        DAV_BUF_ADDL(out, " xmlns:");
        /* "N0:" without its ':' */
        dav_buf_put(out, dav_pf_ns_prefix[pf->nns], 2);
        DAV_BUF_ADDL(out, "=\"");
        cf_buf_add_xmlesc(out, cf_str_from(m->ns[i]));
        DAV_BUF_ADDL(out, "\"");
        pf->nns++;
    }
}

static int
dav_pf_produce(struct cf_req *req, struct cf_buf *out)
{
    struct dav_req *d = req->state;
    struct dav_propfind *pf = d->pf;
    char pathbuf[4200];

    if (pf->finished)
        return 0;
    if (!pf->started) {
        struct dav_entry e = { .res = &d->res, .dirfd = -1 };
        struct dav_pmap self = { 0 };

        pf->started = true;
        e.name = d->res.kind == DAV_SERVER_ROOT ? "Coffer"
                 : d->res.kind == DAV_DAV_ROOT ? "dav"
                 : d->res.path[0] == '\0' ? d->res.repo->name
                 : (strrchr(d->res.path, '/') ? strrchr(d->res.path, '/') + 1 : d->res.path);
        if (d->res.kind == DAV_REPO)
            stor_props_get(d->ctx->db, d->res.repo, d->res.path, dav_pmap_add, &self);
        e.dead = dav_pmap_get(&self, "");
        e.fac = dav_faculties(d, &d->res);
        if (pf->depth != 0 && d->res.kind == DAV_REPO && d->res.st.is_dir &&
            dav_pf_push(d, pf, d->res.repo, d->res.path) < 0)
            pf->depth = 0;
        /* the namespaces of the first collection, declared once */
        dav_xml_head(out);
        DAV_BUF_ADDL(out, "<D:multistatus xmlns:D=\"DAV:\"");
        dav_pf_declare(d, pf, &self, out);
        if (pf->top > 0)
            dav_pf_declare(d, pf, pf->stack[0].props, out);
        DAV_BUF_ADDL(out, ">");
        dav_write_entry(d, pf, &e, out);
        dav_pmap_release(&self);
    }
    /* a piece of about DAV_PF_PIECE bytes per call, measured from where this call began */
    size_t start = out->len;
    bool done = false;
    cf_buf_grow(out, DAV_PF_PIECE + 4096);
    while (!done && out->len - start < DAV_PF_PIECE) {
        struct dav_res child;
        struct dav_entry e = { .res = &child, .dirfd = -1 };
        const char *name;

        if (d->res.kind != DAV_REPO) {
            /* the virtual collections list their members (depth 1 at most) */
            struct dav_pmap self = { 0 };

            if (pf->depth == 0 || !dav_pf_virtual_next(d, pf, &child, &name)) {
                done = true;
                break;
            }
            e.name = name;
            e.fac = dav_faculties(d, &child);
            if (child.kind == DAV_REPO)
                stor_props_get(d->ctx->db, child.repo, "", dav_pmap_add, &self);
            e.dead = dav_pmap_get(&self, "");
            pf->locks_loaded = false;   /* each repository has its own locks */
            dav_write_entry(d, pf, &e, out);
            pf->locks_loaded = false;
            dav_pmap_release(&self);
            continue;
        }
        if (pf->top == 0) {
            done = true;
            break;
        }
        struct dav_pf_frame *f = &pf->stack[pf->top - 1];
        int r = stor_dir_next(f->dir, &name, &child.st);
        if (r <= 0) {
            dav_pf_pop(pf);
            continue;
        }
        if (d->ctx->conf->hide_apple_files && dav_is_apple_file(name))
            continue;
        size_t nlen = strlen(name), at = f->plen;
        if (at + 1 + nlen >= sizeof(pathbuf))
            continue;
        memcpy(pathbuf, f->path, at);
        if (at > 0)
            pathbuf[at++] = '/';
        memcpy(pathbuf + at, name, nlen + 1);
        child.kind = DAV_REPO;
        child.repo = d->res.repo;
        child.path = pathbuf;
        child.exists = true;
        /*
         * PROPFIND never shows a name the caller may not see, nor walks
         * below it: nothing there is visible either (acl.h). Without a grant
         * below the collection, no member holds more or less than it.
         */
        if (f->uniform) {
            if ((e.fac = f->fac) == 0)
                continue;
        } else {
            e.fac = acl_engine_faculties(d->ctx->acl, req->user_id, child.repo, child.path);
            if (e.fac == 0 &&
                !acl_path_visible(d->ctx->acl, req->user_id, child.repo, child.path))
                continue;
        }
        e.name = name;
        e.dirfd = stor_dir_fd(f->dir);
        e.base = &f->href;
        e.dead = dav_pmap_get(f->props, name);
        dav_write_entry(d, pf, &e, out);
        if (child.st.is_dir && pf->depth == DAV_DEPTH_INFINITY)
            dav_pf_push(d, pf, child.repo, pathbuf);
    }
    if (!done)
        return 1;
    cf_buf_adds(out, "</D:multistatus>\n");
    pf->finished = true;
    return 0;
}

int
dav_propfind_begin(struct dav_req *d)
{
    struct cf_req *req = d->req;
    const struct cf_str *h = cf_req_header(req, CF_STR("Depth"));
    int depth = DAV_DEPTH_INFINITY, rc;

    /* RFC 4918 9.1: no Depth header means infinity */
    if (h != NULL && dav_parse_depth(*h, &depth) < 0) {
        req->err_msg = "Depth must be 0, 1 or infinity";
        return 400;
    }
    if (!d->res.exists)
        return 404;
    /* seeing it is enough: what it shows depends on what he may read */
    if ((rc = dav_allowed(d, &d->res, DAV_A_VISIBLE)) != 0)
        return rc;
    if (depth == DAV_DEPTH_INFINITY && !d->ctx->conf->propfind_infinity) {
        /* RFC 4918 9.1: refuse with the propfind-finite-depth precondition */
        dav_error_body(req, "propfind-finite-depth", NULL);
        return 403;
    }
    d->pf = cf_pool_calloc(req->pool, sizeof(*d->pf));
    d->pf->depth = depth;
    d->pf->now = time(NULL);
    req->sink = CF_BODY_MEM;
    req->body_max = d->ctx->conf->max_xml_body;
    return 0;
}

/* Reads the property names under n into pf->names. */
static void
dav_pf_names(struct dav_req *d, struct dav_propfind *pf, xmlNodePtr n)
{
    size_t cap = 0;

    for (xmlNodePtr c = dav_xml_first(n); c != NULL; c = dav_xml_next(c))
        cap++;
    pf->names = cf_pool_alloc(d->req->pool, (cap + 1) * sizeof(*pf->names));
    pf->nnames = 0;
    for (xmlNodePtr c = dav_xml_first(n); c != NULL; c = dav_xml_next(c)) {
        struct dav_pname *p = &pf->names[pf->nnames++];
        const char *ns = c->ns && c->ns->href ? (const char *)c->ns->href : "";

        p->ns = cf_pool_strndup(d->req->pool, ns, strlen(ns));
        p->name = cf_pool_strndup(d->req->pool, (const char *)c->name,
                                  strlen((const char *)c->name));
        p->live = dav_live_lookup(p->ns, p->name);
    }
}

int
dav_propfind_finish(struct dav_req *d)
{
    struct cf_req *req = d->req;
    struct dav_propfind *pf = d->pf;
    xmlDocPtr doc = NULL;
    int status;

    pf->mode = PF_ALLPROP;
    if (req->body.len > 0) {
        xmlNodePtr root, c;

        if ((doc = dav_xml_parse(d, &status)) == NULL)
            return status;
        root = xmlDocGetRootElement(doc);
        if (!dav_xml_is(root, DAV_NS, "propfind") || (c = dav_xml_first(root)) == NULL) {
            xmlFreeDoc(doc);
            req->err_msg = "expected a DAV:propfind element with allprop, propname or prop";
            return 400;
        }
        if (dav_xml_is(c, DAV_NS, "allprop")) {
            xmlNodePtr inc = dav_xml_next(c);

            if (inc != NULL && dav_xml_is(inc, DAV_NS, "include"))
                dav_pf_names(d, pf, inc);
        } else if (dav_xml_is(c, DAV_NS, "propname")) {
            pf->mode = PF_PROPNAME;
        } else if (dav_xml_is(c, DAV_NS, "prop")) {
            pf->mode = PF_PROP;
            dav_pf_names(d, pf, c);
        } else {
            xmlFreeDoc(doc);
            req->err_msg = "expected allprop, propname or prop in DAV:propfind";
            return 400;
        }
        xmlFreeDoc(doc);
    }
    cf_resp_header(req, "Content-Type", "application/xml; charset=utf-8");
    cf_resp_stream(req, dav_pf_produce);
    return 207;
}

void
dav_propfind_done(struct dav_req *d)
{
    if (d->pf == NULL)
        return;
    while (d->pf->top > 0)
        dav_pf_pop(d->pf);
    free(d->pf->stack);
    d->pf = NULL;
}

/* ---- PROPPATCH ---- */

struct dav_patch {
    bool set;
    struct stor_prop p;
    int status;
};

int
dav_proppatch_finish(struct dav_req *d)
{
    struct cf_req *req = d->req;
    struct dav_patch *ops = NULL;
    size_t nops = 0, cap = 0;
    bool win32_only = true, failed = false;
    struct timespec mtime = { 0, 0 };
    bool set_mtime = false;
    xmlDocPtr doc;
    xmlNodePtr root;
    int status, rc;

    if (!d->res.exists)
        return 404;
    if (d->res.kind != DAV_REPO) {
        req->err_msg = "this collection has no properties to change";
        return 403;
    }
    if ((rc = dav_allowed(d, &d->res, ACL_WRITE)) != 0)
        return rc;
    if (req->body.len == 0) {
        req->err_msg = "PROPPATCH needs a DAV:propertyupdate body";
        return 400;
    }
    if ((doc = dav_xml_parse(d, &status)) == NULL)
        return status;
    root = xmlDocGetRootElement(doc);
    if (!dav_xml_is(root, DAV_NS, "propertyupdate")) {
        xmlFreeDoc(doc);
        req->err_msg = "expected a DAV:propertyupdate element";
        return 400;
    }
    /* RFC 4918 9.2: instructions in document order */
    for (xmlNodePtr op = dav_xml_first(root); op != NULL; op = dav_xml_next(op)) {
        bool set = dav_xml_is(op, DAV_NS, "set");

        if (!set && !dav_xml_is(op, DAV_NS, "remove"))
            continue;   /* unknown elements are ignored (RFC 4918 17) */
        for (xmlNodePtr prop = dav_xml_first(op); prop; prop = dav_xml_next(prop)) {
            if (!dav_xml_is(prop, DAV_NS, "prop"))
                continue;
            for (xmlNodePtr p = dav_xml_first(prop); p != NULL; p = dav_xml_next(p)) {
                struct dav_patch *x;
                const char *ns = p->ns && p->ns->href ? (const char *)p->ns->href : "";

                if (nops == cap) {
                    cap = cap ? cap * 2 : 8;
                    struct dav_patch *n = cf_pool_alloc(req->pool, cap * sizeof(*n));
                    if (nops)
                        memcpy(n, ops, nops * sizeof(*n));
                    ops = n;
                }
                x = &ops[nops++];
                memset(x, 0, sizeof(*x));
                x->set = set;
                x->p.ns = cf_pool_strndup(req->pool, ns, strlen(ns));
                x->p.name = cf_pool_strndup(req->pool, (const char *)p->name,
                                            strlen((const char *)p->name));
                x->status = 200;
                if (set) {
                    xmlChar *lang = xmlNodeGetLang(p);

                    x->p.value = dav_xml_content(req->pool, p, &x->p.xml);
                    if (lang != NULL) {
                        x->p.lang = cf_pool_strndup(req->pool, (const char *)lang,
                                                    strlen((const char *)lang));
                        xmlFree(lang);
                    }
                }
                if (strcmp(x->p.ns, DAV_MS_NS) != 0 || strncmp(x->p.name, "Win32", 5) != 0)
                    win32_only = false;
                if (dav_is_protected(x->p.ns, x->p.name)) {
                    x->status = 403;    /* cannot-modify-protected-property */
                    failed = true;
                }
                /* Explorer's Win32LastModifiedTime becomes the file's mtime */
                if (set && !x->p.xml && strcmp(x->p.ns, DAV_MS_NS) == 0 &&
                    strcmp(x->p.name, "Win32LastModifiedTime") == 0) {
                    time_t t;

                    if (cf_http_date_parse(cf_str_from(x->p.value), &t) == 0) {
                        mtime.tv_sec = t;
                        set_mtime = true;
                    }
                }
            }
        }
    }
    xmlFreeDoc(doc);
    if (nops == 0) {
        req->err_msg = "PROPPATCH names no property";
        return 400;
    }
    rc = dav_check_write(d, &d->res, DAV_W_TARGET | (win32_only ? DAV_W_WIN32_PROPS : 0), NULL);
    if (rc != 0)
        return rc;
    if (!failed) {
        int64_t node;

        if ((rc = stor_db_begin(d->ctx->db)) < 0)
            return dav_status_from_stor(rc, 500);
        rc = stor_node_id(d->ctx->db, d->res.repo, d->res.path, true, &node);
        for (size_t i = 0; i < nops && rc == 0; i++)
            rc = ops[i].set ? stor_prop_set(d->ctx->db, node, &ops[i].p)
                            : stor_prop_remove(d->ctx->db, node, ops[i].p.ns, ops[i].p.name);
        if (rc == 0)
            rc = stor_db_commit(d->ctx->db);
        else
            stor_db_rollback(d->ctx->db);
        if (rc < 0)
            return dav_status_from_stor(rc, 500);
        if (set_mtime)
            stor_set_mtime(d->res.repo, d->res.path, &mtime);
    } else {
        /* all or nothing: the rest fail because of the one (RFC 4918 9.2) */
        for (size_t i = 0; i < nops; i++)
            if (ops[i].status == 200)
                ops[i].status = 424;
    }

    struct cf_buf b = CF_BUF_INIT;
    dav_xml_head(&b);
    cf_buf_adds(&b, "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>");
    dav_href(&b, &d->res);
    cf_buf_adds(&b, "</D:href>");
    static const int order[] = { 200, 403, 424 };
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        bool any = false;

        for (size_t i = 0; i < nops; i++) {
            if (ops[i].status != order[k])
                continue;
            if (!any)
                cf_buf_adds(&b, "<D:propstat><D:prop>");
            any = true;
            dav_xml_prop_open(&b, ops[i].p.ns, ops[i].p.name, NULL, true, NULL);
        }
        if (any) {
            cf_buf_adds(&b, "</D:prop>");
            dav_xml_status(&b, order[k]);
            if (order[k] == 403)
                cf_buf_adds(&b, "<D:error><D:cannot-modify-protected-property/></D:error>");
            cf_buf_adds(&b, "</D:propstat>");
        }
    }
    cf_buf_adds(&b, "</D:response></D:multistatus>\n");
    cf_resp_header(req, "Content-Type", "application/xml; charset=utf-8");
    cf_resp_addbuf(req, &b);
    cf_buf_release(&b);
    return 207;
}
