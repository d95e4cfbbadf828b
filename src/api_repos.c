/*
 * api_repos.c: /api/v1/repositories, their grants and the access
 * explanation (DESIGN.md "The access model", "REST essentials").
 *
 * Who may change what is decided by the group service (groups.h); this
 * file keeps what the caller may see: a repository he may not see
 * (acl_repo_visible; administrators see every one) is a 404 like one that
 * does not exist, a path inside it he may not see is a 404 like a missing
 * one, and a grant naming a group he may not see (a private group he has
 * no entry in) is left out of lists and, in explanations, shown without
 * its name. Paths are repository-relative, as storage.h wants them: no
 * leading or trailing '/', "" for the root.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "coffer/acl.h"
#include "coffer/api.h"
#include "coffer/groups.h"
#include "coffer/str.h"
#include "coffer/banned.h"



static bool
cf_api_repos_admin(const struct cf_api_call *c)
{
    return (c->faculties & ACL_U_ADMIN) != 0;
}


/* ---- paths ---- */

/*
 * Normalises a repository-relative path given to the API ("/a/b/" or
 * "a/b"): strips leading and trailing '/', refuses empty, "." and ".."
 * components and control characters, and caps the length at max-path.
 * 0 with *out (from the pool; "" for the root), or -1 after answering 400.
 */
static int
cf_api_repo_path(struct cf_api_call *c, const char *in, const char **out)
{
    size_t len = strlen(in), b = 0, e;

    if (len > c->ctx->conf->max_path) {
        cf_api_error(c, 400, "invalid", "the path is longer than allowed (max-path)");
        return -1;
    }
    while (b < len && in[b] == '/')
        b++;
    e = len;
    while (e > b && in[e - 1] == '/')
        e--;
    for (size_t i = b; i < e;) {
        const char *slash = memchr(in + i, '/', e - i);
        size_t n = slash != NULL ? (size_t)(slash - (in + i)) : e - i;

        if (n == 0 || (n == 1 && in[i] == '.') || (n == 2 && in[i] == '.' && in[i + 1] == '.')) {
            cf_api_error(c, 400, "invalid", "the path may not have empty, \".\" or \"..\" "
                         "components: give it as \"folder/sub\" from the repository's root");
            return -1;
        }
        for (size_t k = i; k < i + n; k++)
            if ((unsigned char)in[k] < 0x20 || in[k] == 0x7f) {
                cf_api_error(c, 400, "invalid", "the path may not hold control characters");
                return -1;
            }
        i += n + 1;
    }
    *out = cf_pool_strndup(c->req->pool, in + b, e - b);
    return 0;
}

/*
 * The query parameter path, normalised ("" when absent). A "%00" in the
 * query would be cut short by decoding, so it is refused first.
 */
static int
cf_api_query_path(struct cf_api_call *c, const char **out)
{
    struct cf_str q = c->req->query;
    const char *v;

    for (size_t i = 0; i + 2 < q.len; i++)
        if (q.p[i] == '%' && q.p[i + 1] == '0' && q.p[i + 2] == '0') {
            cf_api_error(c, 400, "invalid", "the query may not hold NUL bytes");
            return -1;
        }
    v = cf_api_query(c, "path");
    return cf_api_repo_path(c, v != NULL ? v : "", out);
}

/* ---- repositories ---- */

/* The repository called name, if the caller may see it: 0, or the 404 answered. */
static int
cf_api_repo_lookup(struct cf_api_call *c, const char *name, struct stor_repo **out)
{
    struct stor_repo *r = stor_repos_find(c->ctx->repos, cf_str_from(name));

    /* any faculty in it counts here: a manager who may not read still manages */
    if (r == NULL || (!cf_api_repos_admin(c) && acl_engine_reach(c->ctx->acl, c->me.id, r) == 0))
        return cf_api_error(c, 404, "not_found", "there is no such repository");
    *out = r;
    return 0;
}

static json_t *
cf_api_repo_json(struct cf_api_call *c, struct stor_repo *r)
{
    json_t *owner = json_null();
    struct stor_user u;

    /* the owner's login only to who may see him */
    if (r->owner > 0 && stor_user_get_by_id(c->ctx->db, r->owner, c->req->pool, &u) == 0 &&
        acl_user_seen(&c->x, c->faculties, u.id)) {
        json_decref(owner);
        owner = json_string(u.login);
    }
    return json_pack("{s:s,s:o,s:o,s:I}", "name", r->name, "owner", owner, "quota",
                     r->quota > 0 ? json_integer((json_int_t)r->quota) : json_null(), "used",
                     (json_int_t)stor_repo_usage(r));
}

/*
 * The field quota: 0 with *q (0: none) when it is a whole number of bytes
 * or null, 1 when absent, -1 after answering 400.
 */
static int
cf_api_quota(struct cf_api_call *c, uint64_t *q)
{
    json_t *v = c->body != NULL ? json_object_get(c->body, "quota") : NULL;

    if (v == NULL)
        return 1;
    if (json_is_null(v)) {
        *q = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        cf_api_error(c, 400, "invalid", "'quota' must be a whole number of bytes (0 or null: "
                     "no quota)");
        return -1;
    }
    *q = (uint64_t)json_integer_value(v);
    return 0;
}

/* The user named by the field key (a login): 0 with *id, 1 if absent, or the status answered. */
static int
cf_api_login_field(struct cf_api_call *c, const char *key, int64_t *id)
{
    struct stor_user u;
    const char *login;
    int rc;

    if ((rc = cf_api_str(c, key, &login)) != 0)
        return rc < 0 ? 400 : 1;
    if ((rc = cf_api_user_lookup(c, login, &u)) != 0)
        return rc;
    *id = u.id;
    return 0;
}

struct cf_api_rlist {
    struct stor_repo **v;
    size_t n, cap;
};

static int
cf_api_rlist_fn(struct stor_repo *r, void *arg)
{
    struct cf_api_rlist *l = arg;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = cf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = r;
    return 0;
}

static int
cf_api_repos_list(struct cf_api_call *c)
{
    const char *cursor = cf_api_query(c, "cursor"), *last = NULL;
    struct cf_api_rlist l = { 0 };
    int limit = cf_api_limit(c);
    bool more = false;
    json_t *items;

    if (limit < 0)
        return 400;
    /* the objects outlive the registry's lock: collect, then look */
    stor_repos_each(c->ctx->repos, cf_api_rlist_fn, &l);
    items = json_array();
    for (size_t i = 0; i < l.n; i++) {
        struct stor_repo *r = l.v[i];

        if (cursor != NULL && cursor[0] != '\0' && strcmp(r->name, cursor) <= 0)
            continue;
        if (!cf_api_repos_admin(c) && acl_engine_reach(c->ctx->acl, c->me.id, r) == 0)
            continue;
        if (json_array_size(items) == (size_t)limit) {
            more = true;
            break;
        }
        json_array_append_new(items, cf_api_repo_json(c, r));
        last = r->name;
    }
    json_t *next = more ? json_string(last) : json_null();

    free(l.v);
    return cf_api_reply(c, 200, json_pack("{s:o,s:o}", "items", items, "next", next));
}

static int
cf_api_repos_create(struct cf_api_call *c)
{
    static const char *const keys[] = { "name", "owner", "quota", NULL };
    struct stor_repo *r;
    const char *name;
    uint64_t quota = 0;
    int64_t owner = 0;
    int rc;

    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send {name} as JSON");
    if (cf_api_only(c, keys) < 0 || cf_api_str(c, "name", &name) < 0 || cf_api_quota(c, &quota) < 0)
        return 400;
    if (name == NULL)
        return cf_api_error(c, 400, "invalid", "name is required");
    if (!stor_repo_name_ok(cf_str_from(name)))
        return cf_api_error(c, 400, "invalid", "a repository name is 1 to 64 of a-z, 0-9, "
                            "'.', '_' and '-', not starting with '.'");
    if ((rc = cf_api_login_field(c, "owner", &owner)) != 0 && rc != 1)
        return rc;
    if ((rc = acl_repo_create(&c->x, c->faculties, name, owner, quota, &r)) < 0)
        return cf_api_fail(c, rc);
    cf_resp_header(c->req, "Location", "/api/v1/repositories/%s", r->name);
    return cf_api_reply(c, 201, cf_api_repo_json(c, r));
}

static int
cf_api_repos_patch(struct cf_api_call *c, struct stor_repo *r)
{
    static const char *const keys[] = { "quota", "owner", NULL };
    uint64_t quota = UINT64_MAX;
    int64_t owner = 0;
    int rc;

    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send the fields to change as JSON");
    if (cf_api_only(c, keys) < 0 || cf_api_quota(c, &quota) < 0)
        return 400;
    if ((rc = cf_api_login_field(c, "owner", &owner)) != 0 && rc != 1)
        return rc;
    /* called with nothing to change too: the caller's right is checked all the same */
    if ((rc = acl_repo_update(&c->x, c->faculties, r, quota, owner)) < 0)
        return cf_api_fail(c, rc);
    return cf_api_reply(c, 200, cf_api_repo_json(c, r));
}

/* ---- grants ---- */

static json_t *
cf_api_grant_json(const struct stor_grant *g, const struct stor_group *grp)
{
    return json_pack("{s:I,s:s,s:s,s:b,s:s,s:o,s:o}", "id", (json_int_t)g->id, "path", g->path,
                     "group", grp->name, "personal", grp->personal, "role", g->role, "created",
                     cf_api_time_json(g->created), "creator",
                     g->creator != NULL ? json_string(g->creator) : json_null());
}

struct cf_api_gl {
    struct stor_grant *v;
    size_t n, cap;
    struct cf_pool *pool;
};

static int
cf_api_gl_fn(void *arg, const struct stor_grant *g)
{
    struct cf_api_gl *l = arg;
    struct stor_grant copy = *g;

    copy.path = cf_pool_strndup(l->pool, g->path, strlen(g->path));
    copy.role = cf_pool_strndup(l->pool, g->role, strlen(g->role));
    copy.creator = g->creator ? cf_pool_strndup(l->pool, g->creator, strlen(g->creator)) : NULL;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = cf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = copy;
    return 0;
}

/* True if a grant on gpath applies to path: gpath is path or one of its ancestors. */
static bool
cf_api_path_covers(const char *gpath, const char *path)
{
    size_t n = strlen(gpath);

    return n == 0 || (strncmp(gpath, path, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

/* The grants of r that apply to path (all of them for ""), read into l. */
static int
cf_api_grants_load(struct cf_api_call *c, struct stor_repo *r, struct cf_api_gl *l)
{
    memset(l, 0, sizeof(*l));
    l->pool = c->req->pool;
    return stor_grants_each(c->ctx->db, r->id, cf_api_gl_fn, l);
}

static int
cf_api_grants_list(struct cf_api_call *c, struct stor_repo *r)
{
    struct cf_api_gl l;
    const char *path;
    json_t *items;
    int rc;

    if (cf_api_query_path(c, &path) < 0)
        return 400;
    if (!cf_api_repos_admin(c) && !acl_check(c->ctx->acl, c->me.id, r, path, ACL_MANAGE))
        return cf_api_error(c, 403, "forbidden", "only those who may manage grants here (or "
                            "administrators) see them");
    if ((rc = cf_api_grants_load(c, r, &l)) < 0) {
        free(l.v);
        return cf_api_db_fail(c, rc);
    }
    items = json_array();
    for (size_t i = 0; i < l.n; i++) {
        struct stor_group g;

        if (path[0] != '\0' && !cf_api_path_covers(l.v[i].path, path))
            continue;
        if (stor_group_get(c->ctx->db, NULL, l.v[i].grp, c->req->pool, &g) < 0 ||
            !acl_group_visible(&c->x, c->faculties, &g))
            continue;
        json_array_append_new(items, cf_api_grant_json(&l.v[i], &g));
    }
    free(l.v);
    return cf_api_reply(c, 200, json_pack("{s:o,s:n}", "items", items, "next"));
}

/* The group a grant names: {group: name} or {user: login} (his personal group). */
static int
cf_api_grant_group(struct cf_api_call *c, struct stor_group *g)
{
    const char *group, *user;
    struct stor_user u;
    int rc;

    if (cf_api_str(c, "group", &group) < 0 || cf_api_str(c, "user", &user) < 0)
        return 400;
    if ((group == NULL) == (user == NULL))
        return cf_api_error(c, 400, "invalid", "name either a group ({\"group\": name}) or a "
                            "user ({\"user\": login}, for his personal group)");
    if (group != NULL)
        return cf_api_group_lookup(c, group, g);
    if ((rc = cf_api_user_lookup(c, user, &u)) != 0)
        return rc;
    /* the personal group carries the login's name (stor_group_create_personal) */
    if (stor_group_get(c->ctx->db, u.login, 0, c->req->pool, g) < 0 || !g->personal ||
        g->owner != u.id)
        return cf_api_error(c, 500, "internal", "the user's personal group is missing");
    return 0;
}

static int
cf_api_grants_add(struct cf_api_call *c, struct stor_repo *r)
{
    static const char *const keys[] = { "group", "user", "role", "path", NULL };
    const char *role, *path_in, *path = "";
    struct stor_grant got;
    struct stor_group g;
    struct stor_stat st;
    int64_t id;
    int rc;

    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send {group or user, role, path?} as JSON");
    if (cf_api_only(c, keys) < 0 || cf_api_str(c, "role", &role) < 0 ||
        cf_api_str(c, "path", &path_in) < 0)
        return 400;
    if (role == NULL)
        return cf_api_error(c, 400, "invalid", "role is required: an element role's name "
                            "(GET /api/v1/element-roles)");
    if (path_in != NULL && cf_api_repo_path(c, path_in, &path) < 0)
        return 400;
    if ((rc = cf_api_grant_group(c, &g)) != 0)
        return rc;
    /* a path the caller may not see answers as a missing one */
    if ((!cf_api_repos_admin(c) && !acl_path_visible(c->ctx->acl, c->me.id, r, path) &&
         acl_engine_faculties(c->ctx->acl, c->me.id, r, path) == 0) ||
        ((rc = stor_stat(r, path, &st)) < 0 &&
         (rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP)))
        return cf_api_error(c, 404, "not_found", "there is no such file or folder");
    if (rc < 0) {
        c->x.why = "the file or folder could not be read";
        return cf_api_fail(c, rc);
    }
    if ((rc = acl_grant_add(&c->x, c->faculties, r, path, g.id, role, &id)) < 0)
        return cf_api_fail(c, rc);
    if (stor_grant_get(c->ctx->db, id, c->req->pool, &got) < 0)
        return cf_api_error(c, 500, "internal", "the grant was made but cannot be read");
    cf_resp_header(c->req, "Location", "/api/v1/repositories/%s/grants/%" PRId64, r->name, id);
    return cf_api_reply(c, 201, cf_api_grant_json(&got, &g));
}

static int
cf_api_grants_delete(struct cf_api_call *c, struct stor_repo *r, const char *id_s)
{
    struct stor_grant got;
    struct stor_group g;
    uint64_t id;
    int rc;

    if (cf_parse_u64(id_s, strlen(id_s), INT64_MAX, &id) < 0 || id == 0 ||
        stor_grant_get(c->ctx->db, (int64_t)id, c->req->pool, &got) < 0 || got.repo != r->id ||
        stor_group_get(c->ctx->db, NULL, got.grp, c->req->pool, &g) < 0 ||
        !acl_group_visible(&c->x, c->faculties, &g))
        return cf_api_error(c, 404, "not_found", "this repository has no such grant");
    if ((rc = acl_grant_remove(&c->x, c->faculties, r, (int64_t)id)) < 0)
        return cf_api_fail(c, rc);
    return cf_api_no_content(c);
}

/* ---- GET /repositories/{name}/access?user=&path= ---- */

/*
 * Replaces, in the explanation o, the names of groups the caller may not
 * see by null with "hidden": true: he learns that a grant or a link of the
 * chain exists (the faculties must add up), never the private group's name.
 */
static void
cf_api_access_mask(struct cf_api_call *c, json_t *o, json_t *seen)
{
    json_t *name = json_object_get(o, "group");
    const char *n = json_string_value(name);
    json_t *known;
    bool visible;

    if (n == NULL)
        return;
    if ((known = json_object_get(seen, n)) != NULL) {
        visible = json_is_true(known);
    } else {
        struct stor_group g;

        visible = stor_group_get(c->ctx->db, n, 0, c->req->pool, &g) == 0 &&
                  acl_group_visible(&c->x, c->faculties, &g);
        json_object_set_new(seen, n, json_boolean(visible));
    }
    if (!visible) {
        json_object_set_new(o, "group", json_null());
        json_object_set_new(o, "hidden", json_true());
    }
}

/* "read, write and see versions" from a JSON list of faculty names, into b. */
static void
cf_api_and_list(struct cf_buf *b, json_t *names)
{
    size_t n = json_array_size(names);

    for (size_t i = 0; i < n; i++) {
        const char *f = json_string_value(json_array_get(names, i));

        cf_buf_adds(b, i == 0 ? "" : i + 1 == n ? " and " : ", ");
        cf_buf_adds(b, strcmp(f, "manage") == 0 ? "manage grants"
                       : strcmp(f, "versions") == 0 ? "see versions" : f);
    }
}

/*
 * The grants at or above path that give u nothing, each with the reason,
 * for those who may manage grants: the answer to "why can't he see it?".
 */
static json_t *
cf_api_access_unreached(struct cf_api_call *c, struct stor_repo *r, const char *path,
                        const struct stor_user *u, json_t *reached, json_t *seen)
{
    json_t *out = json_array();
    struct cf_api_gl l;

    if (cf_api_grants_load(c, r, &l) < 0) {
        free(l.v);
        return out;
    }
    for (size_t i = 0; i < l.n; i++) {
        const struct stor_grant *gr = &l.v[i];
        bool found = false;
        struct stor_group g;
        uint32_t efac = 0;
        json_t *o;
        size_t j;
        json_t *v;

        if (!cf_api_path_covers(gr->path, path))
            continue;
        json_array_foreach(reached, j, v)
            if (json_integer_value(json_object_get(v, "id")) == gr->id)
                found = true;
        if (found || stor_group_get(c->ctx->db, NULL, gr->grp, c->req->pool, &g) < 0)
            continue;
        unsigned gfac = acl_engine_group_faculties(c->ctx->acl, u->id, g.id);
        bool in = acl_engine_in_group(c->ctx->acl, u->id, g.id);
        const char *reason;

        stor_role2_get(c->ctx->db, STOR_ROLES_ELEMENT, gr->role, &efac);
        if (!in)
            reason = cf_pool_printf(c->req->pool, "%s has no entry in this group, neither "
                                    "directly nor through a nested group", u->login);
        else if (!(gfac & ACL_G_READ))
            reason = cf_pool_printf(c->req->pool, "%s is in this group, but no group role he "
                                    "holds there has the read faculty", u->login);
        else
            reason = "the element role of this grant gives no faculty";
        o = json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:b,s:s}", "id", (json_int_t)gr->id, "path",
                      gr->path, "group", g.name, "role", gr->role, "faculties",
                      cf_api_faculties_json(efac, false), "group_faculties",
                      cf_api_faculties_json(gfac, true), "in_group", in, "reason", reason);
        cf_api_access_mask(c, o, seen);
        json_array_append_new(out, o);
    }
    free(l.v);
    return out;
}

static int
cf_api_access(struct cf_api_call *c, struct stor_repo *r)
{
    const char *login = cf_api_query(c, "user"), *path;
    struct cf_buf buf = CF_BUF_INIT;
    bool admin = cf_api_repos_admin(c), manage, self;
    json_t *o, *grants, *seen, *g, *chain, *hop;
    struct stor_user u;
    struct stor_stat st;
    json_error_t jerr;
    size_t i, j, k;
    int rc;

    if (cf_api_query_path(c, &path) < 0)
        return 400;
    if (login == NULL || login[0] == '\0')
        u = c->me;
    else if ((rc = cf_api_user_lookup(c, login, &u)) != 0)
        return rc;
    self = u.id == c->me.id;
    manage = acl_check(c->ctx->acl, c->me.id, r, path, ACL_MANAGE);
    if (!admin && !manage && !self)
        return cf_api_error(c, 403, "forbidden", "only administrators, those who may manage "
                            "grants here, and the user himself may ask this");
    acl_engine_explain(c->ctx->acl, c->ctx->db, u.id, r, path, &buf);
    o = json_loadb(buf.data, buf.len, 0, &jerr);
    cf_buf_release(&buf);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        return cf_api_error(c, 500, "internal", "the explanation could not be read");
    }
    seen = json_object();
    grants = json_object_get(o, "grants");
    json_array_foreach(grants, i, g) {
        cf_api_access_mask(c, g, seen);
        json_array_foreach(json_object_get(g, "via"), j, chain)
            json_array_foreach(chain, k, hop)
                cf_api_access_mask(c, hop, seen);
    }
    json_object_set_new(o, "user", json_string(u.login));
    json_object_set_new(o, "repository", json_string(r->name));
    json_object_set_new(o, "path", json_string(path));
    /* whether it exists, to those who may know */
    if (admin || manage || acl_path_visible(c->ctx->acl, c->me.id, r, path))
        json_object_set_new(o, "exists", json_boolean(stor_stat(r, path, &st) == 0));
    if (admin || manage)
        json_object_set_new(o, "not_reaching",
                            cf_api_access_unreached(c, r, path, &u, grants, seen));
    json_decref(seen);

    /* one sentence for the person reading it */
    struct cf_buf s = CF_BUF_INIT;
    json_t *facs = json_object_get(o, "faculties");
    size_t ng = json_array_size(grants);
    const char *where = path[0] ? path : "the root";

    if (json_array_size(facs) > 0) {
        cf_buf_addf(&s, "%s may ", u.login);
        cf_api_and_list(&s, facs);
        cf_buf_addf(&s, " on %s%s%s of '%s', through %zu grant%s", path[0] ? "'" : "", where,
                    path[0] ? "'" : "", r->name, ng, ng == 1 ? "" : "s");
    } else {
        cf_buf_addf(&s, "%s has no access to %s%s%s of '%s': no grant at or above it reaches "
                    "a group in which %s holds the read group faculty", u.login,
                    path[0] ? "'" : "", where, path[0] ? "'" : "", r->name, u.login);
    }
    json_object_set_new(o, "summary", json_string(s.data));
    cf_buf_release(&s);
    return cf_api_reply(c, 200, o);
}

/* ---- dispatch ---- */

int
cf_api_repositories(struct cf_api_call *c)
{
    enum cf_method m = cf_api_method(c);
    struct stor_repo *r;
    int rc;

    if (c->nseg == 1) {
        if (m == CF_M_GET)
            return cf_api_repos_list(c);
        if (m == CF_M_POST)
            return cf_api_repos_create(c);
        return cf_api_not_allowed(c, "GET, POST");
    }
    if (c->nseg == 2) {
        if (m != CF_M_GET && m != CF_M_PATCH && m != CF_M_DELETE)
            return cf_api_not_allowed(c, "GET, PATCH, DELETE");
        if ((rc = cf_api_repo_lookup(c, c->seg[1], &r)) != 0)
            return rc;
        if (m == CF_M_GET)
            return cf_api_reply(c, 200, cf_api_repo_json(c, r));
        if (m == CF_M_PATCH)
            return cf_api_repos_patch(c, r);
        if ((rc = acl_repo_delete(&c->x, c->faculties, r)) < 0)
            return cf_api_fail(c, rc);
        return cf_api_no_content(c);
    }
    if (c->nseg == 3 && strcmp(c->seg[2], "grants") == 0) {
        if (m != CF_M_GET && m != CF_M_POST)
            return cf_api_not_allowed(c, "GET, POST");
        if ((rc = cf_api_repo_lookup(c, c->seg[1], &r)) != 0)
            return rc;
        return m == CF_M_GET ? cf_api_grants_list(c, r) : cf_api_grants_add(c, r);
    }
    if (c->nseg == 4 && strcmp(c->seg[2], "grants") == 0) {
        if (m != CF_M_DELETE)
            return cf_api_not_allowed(c, "DELETE");
        if ((rc = cf_api_repo_lookup(c, c->seg[1], &r)) != 0)
            return rc;
        return cf_api_grants_delete(c, r, c->seg[3]);
    }
    if (c->nseg == 3 && strcmp(c->seg[2], "access") == 0) {
        if (m != CF_M_GET)
            return cf_api_not_allowed(c, "GET");
        if ((rc = cf_api_repo_lookup(c, c->seg[1], &r)) != 0)
            return rc;
        return cf_api_access(c, r);
    }
    return cf_api_error(c, 404, "not_found", "there is no such API call");
}
