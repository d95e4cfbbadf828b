/*
 * dav_index.c: what a browser sees for GET on a collection (CLIENTS.md 9):
 * the members sorted folders first, names HTML-escaped, links
 * percent-encoded, UTF-8 throughout. AppleDouble and .DS_Store files are
 * hidden like in listings. Access as in PROPFIND: only the members the
 * caller may see (acl_path_visible), a folder on the way to something
 * granted to him included.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dav_int.h"
#include "coffer/banned.h"

struct dav_ix_entry {
    char *name;
    bool dir;
    uint64_t size;
    time_t mtime;
};

struct dav_ix {
    struct dav_ix_entry *v;
    size_t n, cap;
};

static void
dav_ix_add(struct dav_ix *ix, const char *name, bool dir, uint64_t size, time_t mtime)
{
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 64;
        ix->v = cf_xrealloc(ix->v, ix->cap * sizeof(*ix->v));
    }
    ix->v[ix->n].name = cf_xstrdup(name);
    ix->v[ix->n].dir = dir;
    ix->v[ix->n].size = size;
    ix->v[ix->n].mtime = mtime;
    ix->n++;
}

static int
dav_ix_cmp(const void *a, const void *b)
{
    const struct dav_ix_entry *x = a, *y = b;

    if (x->dir != y->dir)
        return x->dir ? -1 : 1;
    return strcmp(x->name, y->name);
}

struct dav_ix_repos {
    struct dav_req *d;
    struct dav_ix *ix;
};

static int
dav_ix_repo_cb(struct stor_repo *r, void *arg)
{
    struct dav_ix_repos *x = arg;
    struct stor_stat st;

    if (acl_repo_visible(x->d->ctx->acl, x->d->req->user_id, r) && stor_stat(r, "", &st) == 0)
        dav_ix_add(x->ix, r->name, true, 0,
                   acl_check(x->d->ctx->acl, x->d->req->user_id, r, "", ACL_READ)
                       ? st.mtime.tv_sec : 0);
    return 0;
}

static void
dav_ix_size(struct cf_buf *b, uint64_t n)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)n;
    int u = 0;

    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        cf_buf_addf(b, "%llu B", (unsigned long long)n);
    else
        cf_buf_addf(b, "%.1f %s", v, unit[u]);
}

int
dav_index(struct dav_req *d)
{
    struct cf_req *req = d->req;
    struct dav_res *r = &d->res;
    struct dav_ix ix = { 0 };
    struct cf_buf b = CF_BUF_INIT, href = CF_BUF_INIT;
    int rc;

    if (r->kind == DAV_SERVER_ROOT) {
        dav_ix_add(&ix, "dav", true, 0, 0);
    } else if (r->kind == DAV_DAV_ROOT) {
        struct dav_ix_repos x = { d, &ix };
        stor_repos_each(d->ctx->repos, dav_ix_repo_cb, &x);
    } else {
        struct stor_dir *dir;
        struct stor_stat st;
        const char *name;

        if ((rc = stor_dir_open(r->repo, r->path, &dir)) < 0)
            return dav_status_from_stor(rc, 404);
        while (stor_dir_next(dir, &name, &st) > 0) {
            char path[4200];

            if (dav_is_apple_file(name))
                continue;
            int n = snprintf(path, sizeof(path), "%s%s%s", r->path, r->path[0] ? "/" : "",
                             name);
            /* as PROPFIND: never a name he may not see; a folder on the
             * way to something granted to him is listed */
            if (n < 0 || (size_t)n >= sizeof(path) ||
                !acl_path_visible(d->ctx->acl, req->user_id, r->repo, path))
                continue;
            if (!acl_check(d->ctx->acl, req->user_id, r->repo, path, ACL_READ)) {
                st.mtime.tv_sec = 0;    /* seen, not read: its name only */
                st.size = 0;
            }
            dav_ix_add(&ix, name, st.is_dir, st.size, st.mtime.tv_sec);
        }
        stor_dir_close(dir);
    }
    if (ix.n > 1)
        qsort(ix.v, ix.n, sizeof(*ix.v), dav_ix_cmp);

    dav_href(&href, r);
    if (href.len == 0 || href.data[href.len - 1] != '/')
        cf_buf_addc(&href, '/');
    const char *path = d->url.path;
    cf_buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>");
    cf_buf_add_xmlesc(&b, cf_str_from(path));
    cf_buf_adds(&b, " - Coffer</title><style>"
                    "body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;"
                    "padding:0 1em;color:#222}h1{font-size:1.3em;word-break:break-all}"
                    "table{border-collapse:collapse;width:100%}"
                    "td,th{padding:.35em .6em;border-bottom:1px solid #eee;text-align:left}"
                    "td.n{text-align:right;white-space:nowrap}a{text-decoration:none}"
                    "a:hover{text-decoration:underline}</style></head><body><h1>");
    cf_buf_add_xmlesc(&b, cf_str_from(path));
    cf_buf_adds(&b, "</h1><table><thead><tr><th>Name</th><th class=\"n\">Size</th>"
                    "<th>Modified (UTC)</th></tr></thead><tbody>");
    if (r->kind != DAV_SERVER_ROOT) {
        /* absolute: "../" would skip a level when the URL came without its "/" */
        size_t cut = href.len - 1;

        while (cut > 0 && href.data[cut - 1] != '/')
            cut--;
        cf_buf_adds(&b, "<tr><td><a href=\"");
        cf_buf_add_xmlesc(&b, cf_str_make(href.data, cut));
        cf_buf_adds(&b, "\">../</a></td><td></td><td></td></tr>");
    }
    for (size_t i = 0; i < ix.n; i++) {
        struct dav_ix_entry *e = &ix.v[i];
        char date[32] = "";
        struct tm tm;

        if (e->mtime) {
            gmtime_r(&e->mtime, &tm);
            strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
        }
        cf_buf_adds(&b, "<tr><td><a href=\"");
        struct cf_buf link = CF_BUF_INIT;
        cf_buf_addstr(&link, cf_buf_str(&href));
        cf_buf_add_urlenc(&link, cf_str_from(e->name));
        if (e->dir)
            cf_buf_addc(&link, '/');
        cf_buf_add_xmlesc(&b, cf_buf_str(&link));
        cf_buf_release(&link);
        cf_buf_adds(&b, "\">");
        cf_buf_add_xmlesc(&b, cf_str_from(e->name));
        if (e->dir)
            cf_buf_addc(&b, '/');
        cf_buf_adds(&b, "</a></td><td class=\"n\">");
        if (!e->dir)
            dav_ix_size(&b, e->size);
        cf_buf_addf(&b, "</td><td>%s</td></tr>", date);
        free(e->name);
    }
    cf_buf_addf(&b, "</tbody></table><p>%zu item%s</p></body></html>\n", ix.n,
                ix.n == 1 ? "" : "s");
    free(ix.v);
    cf_resp_header(req, "Content-Type", "text/html; charset=utf-8");
    cf_resp_header(req, "Cache-Control", "no-cache");
    cf_resp_header(req, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    cf_resp_addbuf(req, &b);
    cf_buf_release(&b);
    cf_buf_release(&href);
    return 200;
}
