/*
 * dav_if.c: the If header (RFC 4918 10.4) and the lock checks of every
 * method that changes state (RFC 4918 7).
 *
 *   If           = "If" ":" ( 1*No-tag-list | 1*Tagged-list )
 *   No-tag-list  = List
 *   Tagged-list  = Resource-Tag 1*List
 *   List         = "(" 1*Condition ")"
 *   Condition    = ["Not"] (State-token | "[" entity-tag "]")
 *
 * 10.4.3: a Condition holds when the resource has that state token (a lock
 * token of a lock covering it) or that entity tag; "Not" inverts it. A List
 * holds when all its Conditions do; the header holds when at least one List
 * of at least one production does. Untagged lists apply to the Request-URI,
 * tagged ones to the tagged resource (10.4.4: an unmapped one has no state
 * and no entity tag). 10.4.1: a token that appears anywhere in the header
 * has been "submitted".
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "dav_int.h"
#include "coffer/banned.h"

struct dav_if_cond {
    bool not;
    bool etag;
    struct cf_str value;        /* the token without <>, or the quoted etag */
};

struct dav_if_list {
    struct dav_if_cond *c;
    size_t n;
};

struct dav_if_prod {
    struct cf_str tag;          /* empty: untagged */
    struct dav_if_list *lists;
    size_t n;
};

struct dav_if {
    struct dav_if_prod *p;
    size_t n;
};

#define DAV_IF_MAX 64           /* conditions, lists and productions, each */

static void
dav_if_ws(struct cf_str *s)
{
    while (s->len > 0 && (s->p[0] == ' ' || s->p[0] == '\t')) {
        s->p++;
        s->len--;
    }
}

/* Reads "<...>" at s; returns the inside. */
static int
dav_if_angle(struct cf_str *s, struct cf_str *out)
{
    ssize_t end;

    if (s->len == 0 || s->p[0] != '<')
        return -EINVAL;
    end = cf_str_find(cf_str_make(s->p + 1, s->len - 1), '>');
    if (end < 0)
        return -EINVAL;
    *out = cf_str_make(s->p + 1, (size_t)end);
    s->p += end + 2;
    s->len -= (size_t)end + 2;
    return out->len > 0 ? 0 : -EINVAL;
}

static int
dav_if_list_parse(struct cf_pool *pool, struct cf_str *s, struct dav_if_list *out)
{
    struct dav_if_cond tmp[DAV_IF_MAX];
    size_t n = 0;

    if (s->len == 0 || s->p[0] != '(')
        return -EINVAL;
    s->p++;
    s->len--;
    for (;;) {
        struct dav_if_cond c = { 0 };

        dav_if_ws(s);
        if (s->len == 0)
            return -EINVAL;
        if (s->p[0] == ')') {
            s->p++;
            s->len--;
            break;
        }
        if (n == DAV_IF_MAX)
            return -EINVAL;
        if (s->len >= 3 && cf_str_eq_ci(cf_str_make(s->p, 3), CF_STR("Not"))) {
            c.not = true;
            s->p += 3;
            s->len -= 3;
            dav_if_ws(s);
        }
        if (s->len > 0 && s->p[0] == '<') {
            if (dav_if_angle(s, &c.value) < 0)
                return -EINVAL;
        } else if (s->len > 0 && s->p[0] == '[') {
            /* an entity tag: [W/]"...", then ']' */
            size_t i = 1;

            if (i < s->len && s->p[i] == 'W') {
                if (i + 1 >= s->len || s->p[i + 1] != '/')
                    return -EINVAL;
                i += 2;
            }
            if (i >= s->len || s->p[i] != '"')
                return -EINVAL;
            ssize_t q = cf_str_find(cf_str_make(s->p + i + 1, s->len - i - 1), '"');
            if (q < 0)
                return -EINVAL;
            size_t end = i + 1 + (size_t)q + 1;
            if (end >= s->len || s->p[end] != ']')
                return -EINVAL;
            c.etag = true;
            c.value = cf_str_make(s->p + 1, end - 1);
            s->p += end + 1;
            s->len -= end + 1;
        } else {
            return -EINVAL;
        }
        tmp[n++] = c;
    }
    if (n == 0)
        return -EINVAL;
    out->c = cf_pool_alloc(pool, n * sizeof(*out->c));
    memcpy(out->c, tmp, n * sizeof(*out->c));
    out->n = n;
    return 0;
}

int
dav_if_parse(struct cf_pool *pool, struct cf_str v, struct dav_if **out)
{
    struct dav_if *h = cf_pool_calloc(pool, sizeof(*h));
    struct dav_if_prod *prods = cf_pool_calloc(pool, DAV_IF_MAX * sizeof(*prods));
    int tagged = -1;

    h->p = prods;
    for (;;) {
        struct dav_if_prod *p;
        struct dav_if_list lists[DAV_IF_MAX];
        size_t nl = 0;
        struct cf_str tag = CF_STR_NULL;

        dav_if_ws(&v);
        if (v.len == 0)
            break;
        if (h->n == DAV_IF_MAX)
            return -EINVAL;
        if (v.p[0] == '<') {
            if (tagged == 0 || dav_if_angle(&v, &tag) < 0)
                return -EINVAL;     /* 1*No-tag-list | 1*Tagged-list, not both */
            tagged = 1;
            dav_if_ws(&v);
        } else {
            if (tagged == 1)
                return -EINVAL;
            tagged = 0;
        }
        /* one untagged list per production; a tag takes every list that follows */
        do {
            if (nl == DAV_IF_MAX || dav_if_list_parse(pool, &v, &lists[nl]) < 0)
                return -EINVAL;
            nl++;
            dav_if_ws(&v);
        } while (tagged == 1 && v.len > 0 && v.p[0] == '(');
        p = &prods[h->n++];
        p->tag = tag;
        p->n = nl;
        p->lists = cf_pool_alloc(pool, nl * sizeof(*p->lists));
        memcpy(p->lists, lists, nl * sizeof(*p->lists));
    }
    if (h->n == 0)
        return -EINVAL;
    *out = h;
    return 0;
}

static bool
dav_if_cond_holds(const struct dav_if_cond *c, const struct dav_if_state *st)
{
    bool match;

    if (c->etag) {
        /* 10.4.3 compares entity tags; strong ones are what we issue */
        match = st->exists && st->etag != NULL && cf_str_eq(c->value, cf_str_from(st->etag));
    } else {
        match = st->token_covers != NULL && st->token_covers(st->arg, c->value);
    }
    return c->not ? !match : match;
}

bool
dav_if_eval(const struct dav_if *h, const struct dav_if_state *self, dav_if_resolve_fn resolve,
            void *arg)
{
    for (size_t i = 0; i < h->n; i++) {
        const struct dav_if_prod *p = &h->p[i];
        struct dav_if_state tagged;
        const struct dav_if_state *st = self;

        if (p->tag.len > 0) {
            memset(&tagged, 0, sizeof(tagged));
            if (resolve == NULL || resolve(arg, p->tag, &tagged) < 0)
                memset(&tagged, 0, sizeof(tagged));     /* unknown: no state at all */
            st = &tagged;
        }
        for (size_t j = 0; j < p->n; j++) {
            bool all = true;

            for (size_t k = 0; k < p->lists[j].n && all; k++)
                all = dav_if_cond_holds(&p->lists[j].c[k], st);
            if (all)
                return true;
        }
    }
    return false;
}

bool
dav_if_has_token(const struct dav_if *h, struct cf_str token)
{
    if (h == NULL)
        return false;
    for (size_t i = 0; i < h->n; i++)
        for (size_t j = 0; j < h->p[i].n; j++)
            for (size_t k = 0; k < h->p[i].lists[j].n; k++) {
                const struct dav_if_cond *c = &h->p[i].lists[j].c[k];

                if (!c->etag && cf_str_eq(c->value, token))
                    return true;
            }
    return false;
}

size_t
dav_if_token_count(const struct dav_if *h)
{
    size_t n = 0;

    if (h == NULL)
        return 0;
    for (size_t i = 0; i < h->n; i++)
        for (size_t j = 0; j < h->p[i].n; j++)
            for (size_t k = 0; k < h->p[i].lists[j].n; k++)
                n += !h->p[i].lists[j].c[k].etag;
    return n;
}

/* ---- evaluating against our resources ---- */

struct dav_if_res {
    struct dav_req *d;
    struct dav_res res;
    char etag[80];
};

/* Does a lock called token cover the resource of arg? */
static bool
dav_if_token_covers(void *arg, struct cf_str token)
{
    struct dav_if_res *ir = arg;
    struct dav_req *d = ir->d;
    struct stor_lock lk;
    char tok[128];

    if (ir->res.kind != DAV_REPO || token.len >= sizeof(tok))
        return false;
    memcpy(tok, token.p, token.len);
    tok[token.len] = '\0';
    if (stor_lock_get(d->ctx->db, tok, d->req->pool, &lk) < 0)
        return false;       /* unknown or expired, DAV:no-lock included */
    if (lk.repo != ir->res.repo->id)
        return false;
    return stor_lock_covers(lk.path, lk.infinite, ir->res.path);
}

static void
dav_if_state_of(struct dav_if_res *ir, struct dav_if_state *st)
{
    memset(st, 0, sizeof(*st));
    st->exists = ir->res.exists;
    if (ir->res.exists && ir->res.kind == DAV_REPO) {
        dav_etag(&ir->res.st, ir->etag);
        st->etag = ir->etag;
    }
    st->token_covers = dav_if_token_covers;
    st->arg = ir;
}

/* Resolves a resource tag (absolute URL or path) for a tagged list. */
static int
dav_if_resolve(void *arg, struct cf_str tag, struct dav_if_state *st)
{
    struct dav_if_res *self = arg;
    struct dav_req *d = self->d;
    struct dav_if_res *ir = cf_pool_calloc(d->req->pool, sizeof(*ir));
    struct dav_path url;

    ir->d = d;
    if (dav_url_to_path(d, tag, &url) != 0 || dav_resolve(d, &url, &ir->res) != 0)
        return -1;
    /* a resource he may not see answers as a missing one: no state, no etag */
    if (ir->res.exists && dav_allowed(d, &ir->res, DAV_A_VISIBLE) != 0) {
        ir->res.exists = false;
        memset(&ir->res.st, 0, sizeof(ir->res.st));
    }
    dav_if_state_of(ir, st);
    return 0;
}

/* Collects lock checks for dav_check_write. */
struct dav_lockscan {
    struct dav_req *d;
    const struct stor_repo *repo;
    const char *path;
    unsigned what;
    bool target_locked, target_ok;
    struct cf_buf target_roots;
    struct cf_buf below_roots;  /* unsatisfied locks rooted below */
};

static bool
dav_lock_satisfied(struct dav_req *d, const struct stor_lock *lk, unsigned what)
{
    bool own = lk->principal == d->req->user_id;

    /* 6.4: a token counts only for the principal that holds the lock */
    if (own && dav_if_has_token(d->ifh, cf_str_from(lk->token)))
        return true;
    /* Office sends its Win32 PROPPATCH without the token it holds (CLIENTS.md) */
    return own && (what & DAV_W_WIN32_PROPS);
}

static void
dav_add_root_href(const struct stor_repo *repo, struct cf_buf *b, const char *root)
{
    cf_buf_adds(b, "<D:href>");
    dav_href_path(b, repo, root, false);
    cf_buf_adds(b, "</D:href>");
}

static int
dav_lockscan_cb(void *arg, const struct stor_lock *lk)
{
    struct dav_lockscan *ls = arg;
    size_t n = strlen(lk->path);
    bool covers = stor_lock_covers(lk->path, lk->infinite, ls->path);
    bool ok = dav_lock_satisfied(ls->d, lk, ls->what);

    if (covers) {
        ls->target_locked = true;
        if (ok)
            ls->target_ok = true;
        else
            dav_add_root_href(ls->repo, &ls->target_roots, lk->path);
    } else if (!ok) {
        /* rooted below: remember the root (NUL-separated) */
        cf_buf_add(&ls->below_roots, lk->path, n + 1);
    }
    return 0;
}

/*
 * A PUT of a new member checks the target and its parent collection: one
 * pass over the repository's locks does both (one SQLite read, not two).
 */
struct dav_lockscan_pair {
    struct dav_lockscan *target, *parent;
    bool below;
};

static int
dav_lockscan_pair_cb(void *arg, const struct stor_lock *lk)
{
    struct dav_lockscan_pair *p = arg;

    if (p->target != NULL && (stor_lock_covers(lk->path, lk->infinite, p->target->path) ||
                              (p->below && stor_path_below(lk->path, p->target->path))))
        dav_lockscan_cb(p->target, lk);
    if (p->parent != NULL && stor_lock_covers(lk->path, lk->infinite, p->parent->path))
        dav_lockscan_cb(p->parent, lk);
    return 0;
}

bool
dav_path_in_roots(const struct cf_buf *roots, const char *path)
{
    for (size_t off = 0; off < roots->len;) {
        const char *root = roots->data + off;
        size_t n = strlen(root);

        if (strcmp(root, path) == 0 ||
            (strncmp(root, path, n) == 0 && (path[n] == '/' || n == 0)))
            return true;
        off += n + 1;
    }
    return false;
}

int
dav_check_write(struct dav_req *d, const struct dav_res *r, unsigned what,
                struct cf_buf *locked_below)
{
    struct cf_req *req = d->req;
    const struct cf_str *hdr = cf_req_header(req, CF_STR("If"));
    int rc = 0;

    if (r->kind != DAV_REPO)
        return 0;
    if (hdr != NULL && !d->if_parsed) {
        if (dav_if_parse(req->pool, *hdr, &d->ifh) < 0) {
            req->err_msg = "the If header is malformed";
            return 400;
        }
        d->if_parsed = true;
    }
    if (d->ifh != NULL) {
        struct dav_if_res self = { .d = d, .res = *r };
        struct dav_if_state st;

        dav_if_state_of(&self, &st);
        if (!dav_if_eval(d->ifh, &st, dav_if_resolve, &self)) {
            req->err_msg = "the If header's conditions do not hold";
            return 412;     /* RFC 4918 10.4.1 */
        }
    }

    struct dav_lockscan ls = { .d = d, .repo = r->repo, .path = r->path, .what = what };
    struct dav_lockscan ps = { .d = d, .repo = r->repo, .what = what & ~DAV_W_WIN32_PROPS };
    /* 7.4: a lock on the parent collection protects its membership */
    bool parent = (what & DAV_W_MEMBERSHIP) && r->path[0] != '\0';

    cf_buf_init(&ls.target_roots);
    cf_buf_init(&ls.below_roots);
    cf_buf_init(&ps.target_roots);
    cf_buf_init(&ps.below_roots);
    if (parent) {
        const char *slash = strrchr(r->path, '/');

        ps.path = slash ? cf_pool_strndup(req->pool, r->path, (size_t)(slash - r->path)) : "";
    }
    if ((what & DAV_W_TARGET) && parent) {
        struct dav_lockscan_pair pair = { &ls, &ps, (what & DAV_W_BELOW) != 0 };

        rc = stor_locks_each(d->ctx->db, r->repo, "", true, dav_lockscan_pair_cb, &pair);
    } else if (what & DAV_W_TARGET) {
        rc = stor_locks_each(d->ctx->db, r->repo, r->path, (what & DAV_W_BELOW) != 0,
                             dav_lockscan_cb, &ls);
    } else if (parent) {
        rc = stor_locks_each(d->ctx->db, r->repo, ps.path, false, dav_lockscan_cb, &ps);
    }
    if (rc < 0) {
        rc = dav_status_from_stor(rc, 500);
        goto out;
    }
    if (ls.target_locked && !ls.target_ok) {
        /* RFC 4918 7.4: writing a locked resource needs its lock token */
        dav_error_body(req, "lock-token-submitted", &ls.target_roots);
        rc = 423;
        goto out;
    }
    if (ls.below_roots.len > 0) {
        if (locked_below != NULL) {
            cf_buf_addstr(locked_below, cf_buf_str(&ls.below_roots));
        } else {
            struct cf_buf hrefs = CF_BUF_INIT;

            for (size_t off = 0; off < ls.below_roots.len;) {
                const char *root = ls.below_roots.data + off;
                dav_add_root_href(r->repo, &hrefs, root);
                off += strlen(root) + 1;
            }
            dav_error_body(req, "lock-token-submitted", &hrefs);
            cf_buf_release(&hrefs);
            rc = 423;
            goto out;
        }
    }
    if (parent && ps.target_locked && !ps.target_ok) {
        dav_error_body(req, "lock-token-submitted", &ps.target_roots);
        rc = 423;
    }
out:
    cf_buf_release(&ls.target_roots);
    cf_buf_release(&ls.below_roots);
    cf_buf_release(&ps.target_roots);
    cf_buf_release(&ps.below_roots);
    return rc;
}
