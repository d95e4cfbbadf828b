/*
 * api_groups.c: /api/v1/groups, /api/v1/users/{login}/groups,
 * /api/v1/principals, /api/v1/group-roles and /api/v1/element-roles
 * (DESIGN.md "The access model", "REST essentials"; seed 001).
 *
 * Every rule about who may change what lives in the group service
 * (groups.h): this file parses, looks names up, calls it and shapes the
 * answers. What it must get right itself is visibility: a group the caller
 * may not see (acl_group_visible: a private group he has no entry in,
 * administrators included; for an external user or a guest every group he
 * is not in) never appears in a list, a count, a member list or an error
 * message, and a name that finds it answers 404 exactly as a name that
 * finds nothing. Users he may not see (acl_user_scope) are left out of
 * member lists the same way.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "coffer/acl.h"
#include "coffer/api.h"
#include "coffer/groups.h"
#include "coffer/banned.h"




/*
 * Reads the query parameter name as a boolean: 0 with *val set, 1 when it
 * is absent, -1 after answering 400.
 */
static int
cf_api_groups_qbool(struct cf_api_call *c, const char *name, bool *val)
{
    const char *v = cf_api_query(c, name);

    if (v == NULL || v[0] == '\0')
        return 1;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        *val = v[0] == 't';
        return 0;
    }
    cf_api_error(c, 400, "invalid", "%s is true or false", name);
    return -1;
}

/* ---- shared with api_repos.c ---- */

json_t *
cf_api_faculties_json(unsigned f, bool group)
{
    json_t *a = json_array();

    for (unsigned b = 1; b != 0 && b <= (group ? (unsigned)ACL_G_ALL : (unsigned)ACL_ALL);
         b <<= 1) {
        const char *n = group ? acl_group_faculty_name(b) : acl_faculty_name(b);

        if ((f & b) && n != NULL)
            json_array_append_new(a, json_string(n));
    }
    return a;
}

json_t *
cf_api_group_json(const struct stor_group *g)
{
    return json_pack("{s:s,s:s,s:b,s:b,s:b,s:o}", "name", g->name, "colour",
                     g->colour != NULL ? g->colour : "#607d8b", "personal", g->personal,
                     "position", g->position, "private", g->private_, "created",
                     cf_api_time_json(g->created));
}

int
cf_api_group_lookup(struct cf_api_call *c, const char *name, struct stor_group *g)
{
    int rc = acl_group_find(&c->x, c->faculties, name, c->req->pool, g);

    if (rc == -ENOENT)
        return cf_api_error(c, 404, "not_found", "there is no such group");
    if (rc < 0)
        return cf_api_db_fail(c, rc);
    return 0;
}

/* ---- every group, read once ---- */

/*
 * The groups are read into an array before anything else is asked of the
 * database or the service (which may query it too), so no statement is
 * stepped while another call resets it. Strings come from the request's pool;
 * the array itself is freed with cf_api_glist_release().
 */
struct cf_api_glist {
    struct stor_group *v;
    size_t n, cap;
    struct cf_pool *pool;
};

static int
cf_api_glist_fn(void *arg, const struct stor_group *g)
{
    struct cf_api_glist *l = arg;
    struct stor_group copy = *g;

    copy.name = cf_pool_strndup(l->pool, g->name, strlen(g->name));
    copy.colour = g->colour != NULL ? cf_pool_strndup(l->pool, g->colour, strlen(g->colour))
                                    : NULL;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = cf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = copy;
    return 0;
}

static int
cf_api_glist_load(struct cf_api_call *c, struct cf_api_glist *l)
{
    memset(l, 0, sizeof(*l));
    l->pool = c->req->pool;
    return stor_groups_each(c->ctx->db, cf_api_glist_fn, l);
}

static void
cf_api_glist_release(struct cf_api_glist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* ---- GET /groups ---- */

static int
cf_api_groups_list(struct cf_api_call *c)
{
    const char *q = cf_api_query(c, "q"), *cursor = cf_api_query(c, "cursor");
    bool position = false, personal = false;
    int limit = cf_api_limit(c), fpos, fpers, rc;
    struct cf_api_glist l;
    const char *last = NULL;
    bool more = false;
    json_t *items;

    if (limit < 0)
        return 400;
    if ((fpos = cf_api_groups_qbool(c, "position", &position)) < 0 ||
        (fpers = cf_api_groups_qbool(c, "personal", &personal)) < 0)
        return 400;
    if ((rc = cf_api_glist_load(c, &l)) < 0) {
        cf_api_glist_release(&l);
        return cf_api_db_fail(c, rc);
    }
    items = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const struct stor_group *g = &l.v[i];

        /* the store gives them in name order, without regard to case */
        if (cursor != NULL && cursor[0] != '\0' && strcasecmp(g->name, cursor) <= 0)
            continue;
        if (q != NULL && q[0] != '\0' && strcasestr(g->name, q) == NULL)
            continue;
        if ((fpos == 0 && g->position != position) || (fpers == 0 && g->personal != personal))
            continue;
        if (!acl_group_visible(&c->x, c->faculties, g))
            continue;
        if (json_array_size(items) == (size_t)limit) {
            more = true;
            break;
        }
        json_array_append_new(items, cf_api_group_json(g));
        last = g->name;
    }
    rc = cf_api_reply(c, 200, json_pack("{s:o,s:o}", "items", items, "next",
                                        more ? json_string(last) : json_null()));
    cf_api_glist_release(&l);
    return rc;
}

/* ---- POST /groups ---- */

/* Reads name, colour, private and position into g (absent: as g was). -1 after a 400. */
static int
cf_api_groups_fields(struct cf_api_call *c, struct stor_group *g)
{
    static const char *const keys[] = { "name", "colour", "private", "position", NULL };
    const char *name = NULL, *colour = NULL;

    if (cf_api_only(c, keys) < 0 || cf_api_str(c, "name", &name) < 0 ||
        cf_api_str(c, "colour", &colour) < 0 || cf_api_bool(c, "private", &g->private_) < 0 ||
        cf_api_bool(c, "position", &g->position) < 0)
        return -1;
    if (name != NULL && !acl_group_name_ok(name)) {
        cf_api_error(c, 400, "invalid", "a group name is 1 to 64 characters, without control "
                     "characters or '/', and not blank");
        return -1;
    }
    if (colour != NULL && !acl_colour_ok(colour)) {
        cf_api_error(c, 400, "invalid", "colour is \"#rrggbb\" (six hexadecimal digits)");
        return -1;
    }
    g->name = name;
    g->colour = colour;
    return 0;
}

static int
cf_api_groups_create(struct cf_api_call *c)
{
    struct stor_group g = { 0 }, got;
    int64_t id;
    int rc;

    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send {name} as JSON");
    if (cf_api_groups_fields(c, &g) < 0)
        return 400;
    if (g.name == NULL)
        return cf_api_error(c, 400, "invalid", "name is required");
    if ((rc = acl_group_create(&c->x, c->faculties, &g, &id)) < 0)
        return cf_api_fail(c, rc);
    if ((rc = stor_group_get(c->ctx->db, NULL, id, c->req->pool, &got)) < 0)
        return cf_api_error(c, 500, "internal", "the group was created but cannot be read");
    struct cf_buf loc = CF_BUF_INIT;

    cf_buf_add_urlenc(&loc, cf_str_from(got.name));   /* names may hold spaces */
    cf_resp_header(c->req, "Location", "/api/v1/groups/%s", loc.data);
    cf_buf_release(&loc);
    return cf_api_reply(c, 201, cf_api_group_json(&got));
}

/* ---- GET /groups/{name} ---- */

struct cf_api_entries {
    struct stor_member *v;
    size_t n, cap;
    struct cf_pool *pool;
};

static int
cf_api_entries_fn(void *arg, const struct stor_member *m)
{
    struct cf_api_entries *l = arg;
    struct stor_member copy = *m;

    copy.role = cf_pool_strndup(l->pool, m->role, strlen(m->role));
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = cf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = copy;
    return 0;
}

/*
 * The entry m as JSON for the caller, or NULL when he may not see the
 * principal it names (then it is left out: a hidden group's name is never
 * shown, not even as a placeholder).
 */
static json_t *
cf_api_entry_json(struct cf_api_call *c, const struct stor_member *m)
{
    if (m->kind == STOR_KIND_USER) {
        struct stor_user u;

        if (stor_user_get_by_id(c->ctx->db, m->principal, c->req->pool, &u) < 0 ||
            !acl_user_seen(&c->x, c->faculties, u.id))
            return NULL;
        return json_pack("{s:s,s:s,s:s,s:s}", "kind", "user", "name", u.login, "display_name",
                         u.display_name ? u.display_name : "", "role", m->role);
    }
    struct stor_group g;

    if (stor_group_get(c->ctx->db, NULL, m->principal, c->req->pool, &g) < 0 ||
        !acl_group_visible(&c->x, c->faculties, &g))
        return NULL;
    return json_pack("{s:s,s:s,s:s,s:s,s:b}", "kind", "group", "name", g.name, "role", m->role,
                     "colour", g.colour ? g.colour : "#607d8b", "position", g.position);
}

static int
cf_api_groups_get(struct cf_api_call *c, const struct stor_group *g)
{
    struct cf_api_entries l = { .pool = c->req->pool };
    json_t *o, *members, *other;
    int rc;

    if ((rc = stor_members_each(c->ctx->db, g->id, cf_api_entries_fn, &l)) < 0) {
        free(l.v);
        return cf_api_db_fail(c, rc);
    }
    members = json_array();
    other = json_array();
    for (size_t i = 0; i < l.n; i++) {
        json_t *e = cf_api_entry_json(c, &l.v[i]);

        if (e != NULL)
            json_array_append_new(l.v[i].section == STOR_SECTION_OTHER ? other : members, e);
    }
    free(l.v);
    o = cf_api_group_json(g);
    json_object_set_new(o, "members", members);
    json_object_set_new(o, "other", other);
    json_object_set_new(o, "your_faculties",
                        cf_api_faculties_json(acl_engine_group_faculties(c->ctx->acl, c->me.id,
                                                                         g->id), true));
    return cf_api_reply(c, 200, o);
}

/* ---- PATCH and DELETE /groups/{name} ---- */

static int
cf_api_groups_patch(struct cf_api_call *c, const struct stor_group *g)
{
    struct stor_group upd = *g, got;
    int rc;

    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send the fields to change as JSON");
    if (cf_api_groups_fields(c, &upd) < 0)
        return 400;
    upd.id = g->id;
    if ((rc = acl_group_update(&c->x, c->faculties, g->id, &upd)) < 0)
        return cf_api_fail(c, rc);
    if (stor_group_get(c->ctx->db, NULL, g->id, c->req->pool, &got) < 0)
        return cf_api_error(c, 500, "internal", "the group was changed but cannot be read");
    return cf_api_reply(c, 200, cf_api_group_json(&got));
}

/* ---- /groups/{name}/members/{kind}/{principal} ---- */

/*
 * Finds the principal of kind ("user" or "group") called name, as the
 * caller may see it: 0 with *id (and the name as stored in *shown), or the
 * status answered.
 */
static int
cf_api_principal_lookup(struct cf_api_call *c, enum stor_kind kind, const char *name,
                        int64_t *id, const char **shown)
{
    int rc;

    if (kind == STOR_KIND_USER) {
        struct stor_user u;

        if ((rc = cf_api_user_lookup(c, name, &u)) != 0)
            return rc;
        *id = u.id;
        *shown = u.login;
        return 0;
    }
    struct stor_group g;

    if ((rc = cf_api_group_lookup(c, name, &g)) != 0)
        return rc;
    *id = g.id;
    *shown = g.name;
    return 0;
}

static int
cf_api_section_parse(struct cf_api_call *c, const char *s, enum stor_section *out)
{
    if (s == NULL || strcmp(s, "member") == 0) {
        *out = STOR_SECTION_MEMBER;
        return 0;
    }
    if (strcmp(s, "other") == 0) {
        *out = STOR_SECTION_OTHER;
        return 0;
    }
    cf_api_error(c, 400, "invalid", "section is \"member\" or \"other\"");
    return -1;
}

static int
cf_api_members(struct cf_api_call *c)
{
    static const char *const keys[] = { "role", "section", NULL };
    enum cf_method m = cf_api_method(c);
    const char *kind_s = c->seg[3], *shown, *role = NULL, *section = NULL;
    struct stor_member e = { 0 };
    struct stor_group g;
    int rc;

    if (m != CF_M_PUT && m != CF_M_DELETE)
        return cf_api_not_allowed(c, "PUT, DELETE");
    if (strcmp(kind_s, "user") == 0)
        e.kind = STOR_KIND_USER;
    else if (strcmp(kind_s, "group") == 0)
        e.kind = STOR_KIND_GROUP;
    else
        return cf_api_error(c, 404, "not_found", "there is no such API call: the kind is "
                            "\"user\" or \"group\"");
    if (m == CF_M_PUT) {
        if (c->body == NULL)
            return cf_api_error(c, 400, "invalid", "send {role, section} as JSON");
        if (cf_api_only(c, keys) < 0 || cf_api_str(c, "role", &role) < 0 ||
            cf_api_str(c, "section", &section) < 0)
            return 400;
        if (role == NULL)
            return cf_api_error(c, 400, "invalid", "role is required: a group role's name "
                                "(GET /api/v1/group-roles)");
    } else {
        section = cf_api_query(c, "section");
    }
    if (cf_api_section_parse(c, section, &e.section) < 0)
        return 400;
    if (e.kind == STOR_KIND_GROUP && e.section == STOR_SECTION_OTHER)
        return cf_api_error(c, 400, "invalid", "only users hold other permissions; a group "
                            "is always in the member section");
    if ((rc = cf_api_group_lookup(c, c->seg[1], &g)) != 0)
        return rc;
    if ((rc = cf_api_principal_lookup(c, e.kind, c->seg[4], &e.principal, &shown)) != 0)
        return rc;
    e.grp = g.id;
    if (m == CF_M_DELETE) {
        if ((rc = acl_member_remove(&c->x, c->faculties, g.id, e.kind, e.principal,
                                    e.section)) < 0)
            return cf_api_fail(c, rc);
        return cf_api_no_content(c);
    }
    e.role = role;
    if ((rc = acl_member_put(&c->x, c->faculties, &e)) < 0)
        return cf_api_fail(c, rc);
    return cf_api_reply(c, 200, json_pack("{s:s,s:s,s:s,s:s,s:s}", "group", g.name, "kind",
                                          kind_s, "name", shown, "role", role, "section",
                                          e.section == STOR_SECTION_OTHER ? "other"
                                                                          : "member"));
}

int
cf_api_groups(struct cf_api_call *c)
{
    enum cf_method m = cf_api_method(c);
    struct stor_group g;
    int rc;

    if (c->nseg == 1) {
        if (m == CF_M_GET)
            return cf_api_groups_list(c);
        if (m == CF_M_POST)
            return cf_api_groups_create(c);
        return cf_api_not_allowed(c, "GET, POST");
    }
    if (c->nseg == 5 && strcmp(c->seg[2], "members") == 0)
        return cf_api_members(c);
    if (c->nseg != 2)
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    if (m != CF_M_GET && m != CF_M_PATCH && m != CF_M_DELETE)
        return cf_api_not_allowed(c, "GET, PATCH, DELETE");
    if ((rc = cf_api_group_lookup(c, c->seg[1], &g)) != 0)
        return rc;
    if (m == CF_M_GET)
        return cf_api_groups_get(c, &g);
    if (m == CF_M_PATCH)
        return cf_api_groups_patch(c, &g);
    if ((rc = acl_group_delete(&c->x, c->faculties, g.id)) < 0)
        return cf_api_fail(c, rc);
    return cf_api_no_content(c);
}

/* ---- GET /users/{login}/groups ---- */

/* The direct entries of one user: group id and section. */
struct cf_api_direct {
    struct { int64_t grp; enum stor_section section; } *v;
    size_t n, cap;
};

static int
cf_api_direct_fn(void *arg, const struct stor_member *m)
{
    struct cf_api_direct *d = arg;

    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = cf_xrealloc(d->v, d->cap * sizeof(*d->v));
    }
    d->v[d->n].grp = m->grp;
    d->v[d->n].section = m->section;
    d->n++;
    return 0;
}

int
cf_api_user_groups(struct cf_api_call *c, const struct stor_user *u)
{
    struct cf_api_direct d = { 0 };
    struct cf_api_glist l;
    bool position = false;
    int fpos, rc;
    json_t *items;

    if (cf_api_method(c) != CF_M_GET)
        return cf_api_not_allowed(c, "GET");
    if ((fpos = cf_api_groups_qbool(c, "position", &position)) < 0)
        return 400;
    if ((rc = stor_entries_of(c->ctx->db, STOR_KIND_USER, u->id, cf_api_direct_fn, &d)) < 0) {
        free(d.v);
        return cf_api_db_fail(c, rc);
    }
    if ((rc = cf_api_glist_load(c, &l)) < 0) {
        free(d.v);
        cf_api_glist_release(&l);
        return cf_api_db_fail(c, rc);
    }
    items = json_array();
    for (size_t i = 0; i < l.n; i++) {
        const struct stor_group *g = &l.v[i];
        json_t *o, *sections;

        if (!acl_engine_in_group(c->ctx->acl, u->id, g->id))
            continue;
        if (fpos == 0 && g->position != position)
            continue;
        if (!acl_group_visible(&c->x, c->faculties, g))
            continue;
        o = cf_api_group_json(g);
        sections = json_array();
        for (size_t j = 0; j < d.n; j++)
            if (d.v[j].grp == g->id)
                json_array_append_new(sections, json_string(d.v[j].section == STOR_SECTION_OTHER
                                                            ? "other" : "member"));
        json_object_set_new(o, "how", json_string(json_array_size(sections) > 0 ? "direct"
                                                                                 : "nested"));
        json_object_set_new(o, "sections", sections);
        json_object_set_new(o, "member", json_boolean(acl_engine_is_member(c->ctx->acl, u->id,
                                                                           g->id)));
        json_object_set_new(o, "faculties",
                            cf_api_faculties_json(acl_engine_group_faculties(c->ctx->acl, u->id,
                                                                             g->id), true));
        json_array_append_new(items, o);
    }
    free(d.v);
    cf_api_glist_release(&l);
    return cf_api_reply(c, 200, json_pack("{s:o,s:n}", "items", items, "next"));
}

/* ---- GET /principals ---- */

struct cf_api_found {
    struct cf_api_call *c;
    json_t *items;
    size_t n, limit;
};

static int
cf_api_found_user(void *arg, const struct stor_user *u)
{
    struct cf_api_found *f = arg;

    /* the listing may hold users the caller may not see (external users' peers) */
    if (!acl_user_seen(&f->c->x, f->c->faculties, u->id))
        return 0;
    json_array_append_new(f->items, json_pack("{s:s,s:s,s:s}", "kind", "user", "name", u->login,
                                              "display_name",
                                              u->display_name ? u->display_name : ""));
    return ++f->n == f->limit ? 1 : 0;
}

static int
cf_api_principal_cmp(const void *a, const void *b)
{
    json_t *const *x = a, *const *y = b;
    int r = strcasecmp(json_string_value(json_object_get(*x, "name")),
                       json_string_value(json_object_get(*y, "name")));

    /* the same name: the user before his (or another) group */
    return r != 0 ? r : strcmp(json_string_value(json_object_get(*y, "kind")),
                               json_string_value(json_object_get(*x, "kind")));
}

int
cf_api_principals(struct cf_api_call *c)
{
    const char *q = cf_api_query(c, "q"), *kind = cf_api_query(c, "kind");
    struct cf_api_found f;
    struct cf_api_glist l;
    bool users = true, groups = true, position = false;
    int limit, fpos, rc;
    json_t **v, *items;
    size_t n;

    if (c->nseg != 1)
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    if (cf_api_method(c) != CF_M_GET)
        return cf_api_not_allowed(c, "GET");
    if ((limit = cf_api_limit(c)) < 0)
        return 400;
    if ((fpos = cf_api_groups_qbool(c, "position", &position)) < 0)
        return 400;
    if (kind != NULL && kind[0] != '\0') {
        users = strcmp(kind, "user") == 0;
        groups = strcmp(kind, "group") == 0;
        if (!users && !groups)
            return cf_api_error(c, 400, "invalid", "kind is \"user\" or \"group\"");
    }
    /* position=true asks for position groups: users are not posts */
    if (fpos == 0 && position)
        users = false;
    f = (struct cf_api_found){ c, json_array(), 0, (size_t)limit };
    if (users && (rc = stor_users_list(c->ctx->db, acl_user_scope(c->faculties), c->me.id, q,
                                       NULL, UINT_MAX, cf_api_found_user, &f)) < 0) {
        json_decref(f.items);
        return cf_api_db_fail(c, rc);
    }
    if (groups) {
        size_t ngroups = 0;

        if ((rc = cf_api_glist_load(c, &l)) < 0) {
            cf_api_glist_release(&l);
            json_decref(f.items);
            return cf_api_db_fail(c, rc);
        }
        for (size_t i = 0; i < l.n && ngroups < (size_t)limit; i++) {
            const struct stor_group *g = &l.v[i];

            /* a personal group stands for its user, who is listed as such */
            if (g->personal || (q != NULL && q[0] != '\0' && strcasestr(g->name, q) == NULL))
                continue;
            if (fpos == 0 && g->position != position)
                continue;
            if (!acl_group_visible(&c->x, c->faculties, g))
                continue;
            json_array_append_new(f.items, json_pack("{s:s,s:s,s:s,s:b}", "kind", "group",
                                                     "name", g->name, "colour",
                                                     g->colour ? g->colour : "#607d8b",
                                                     "position", g->position));
            ngroups++;
        }
        cf_api_glist_release(&l);
    }
    /* both kinds in one list by name, at most limit */
    n = json_array_size(f.items);
    v = cf_xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(f.items, i));
    qsort(v, n, sizeof(*v), cf_api_principal_cmp);
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i < (size_t)limit)
            json_array_append(items, v[i]);
        json_decref(v[i]);
    }
    free(v);
    json_decref(f.items);
    return cf_api_reply(c, 200, json_pack("{s:o,s:n}", "items", items, "next"));
}

/* ---- /group-roles and /element-roles ---- */

struct cf_api_roles2 {
    json_t *items;
    bool group;
    const char *only;           /* one role's name, or NULL for all */
};

static int
cf_api_role2_item(void *arg, const struct stor_role *r)
{
    struct cf_api_roles2 *l = arg;

    if (l->only != NULL && strcmp(l->only, r->name) != 0)
        return 0;
    json_array_append_new(l->items,
                          json_pack("{s:s,s:o,s:b,s:s}", "name", r->name, "faculties",
                                    cf_api_faculties_json(r->faculties, l->group), "preset",
                                    r->preset, "description",
                                    r->description ? r->description : ""));
    return 0;
}

/* Answers one role (name) or, with name NULL, the list. */
static int
cf_api_roles2_answer(struct cf_api_call *c, enum stor_role_kind k, const char *name, int status)
{
    struct cf_api_roles2 l = { json_array(), k == STOR_ROLES_GROUP, name };
    json_t *one;
    int rc;

    if ((rc = stor_roles2_each(c->ctx->db, k, cf_api_role2_item, &l)) < 0) {
        json_decref(l.items);
        return cf_api_db_fail(c, rc);
    }
    if (name == NULL)
        return cf_api_reply(c, status, json_pack("{s:o,s:n}", "items", l.items, "next"));
    if (json_array_size(l.items) == 0) {
        json_decref(l.items);
        return cf_api_error(c, 404, "not_found", "there is no such role");
    }
    one = json_incref(json_array_get(l.items, 0));
    json_decref(l.items);
    return cf_api_reply(c, status, one);
}

static int
cf_api_roles2_put(struct cf_api_call *c, enum stor_role_kind k, const char *name)
{
    static const char *const keys[] = { "faculties", "description", NULL };
    bool group = k == STOR_ROLES_GROUP;
    struct stor_role r = { .name = name };
    json_t *fac, *v;
    size_t i;
    int rc;

    if (!acl_login_ok(cf_str_from(name)))
        return cf_api_error(c, 400, "invalid", "a role name is 1 to 64 of a-z, 0-9, '.', '_' "
                            "and '-'");
    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send {faculties: [...]} as JSON");
    if (cf_api_only(c, keys) < 0 || cf_api_str(c, "description", &r.description) < 0)
        return 400;
    fac = json_object_get(c->body, "faculties");
    if (!json_is_array(fac))
        return cf_api_error(c, 400, "invalid", "'faculties' must be a list of faculty names");
    json_array_foreach(fac, i, v) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        unsigned bit = group ? acl_group_faculty_parse(s) : acl_faculty_parse(s);

        if (bit == 0)
            return cf_api_error(c, 400, "invalid", "unknown faculty at position %zu: the "
                                "faculties are %s", i,
                                group ? "read, administer, publish"
                                      : "read, write, delete, manage, versions");
        r.faculties |= bit;
    }
    if (r.description != NULL && strlen(r.description) > 500)
        return cf_api_error(c, 400, "invalid", "the description is longer than 500 bytes");
    if ((rc = acl_roles2_put(&c->x, c->faculties, k, &r)) < 0)
        return cf_api_fail(c, rc);
    return cf_api_roles2_answer(c, k, name, 200);
}

static int
cf_api_roles2(struct cf_api_call *c, enum stor_role_kind k)
{
    enum cf_method m = cf_api_method(c);
    int rc;

    if (c->nseg == 1) {
        if (m != CF_M_GET)
            return cf_api_not_allowed(c, "GET");
        return cf_api_roles2_answer(c, k, NULL, 200);
    }
    if (c->nseg != 2)
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    if (m == CF_M_GET)
        return cf_api_roles2_answer(c, k, c->seg[1], 200);
    if (m == CF_M_PUT)
        return cf_api_roles2_put(c, k, c->seg[1]);
    if (m != CF_M_DELETE)
        return cf_api_not_allowed(c, "GET, PUT, DELETE");
    if ((rc = acl_roles2_delete(&c->x, c->faculties, k, c->seg[1])) < 0)
        return cf_api_fail(c, rc);      /* still in use: -EEXIST, 409 */
    return cf_api_no_content(c);
}

int
cf_api_group_roles(struct cf_api_call *c)
{
    return cf_api_roles2(c, STOR_ROLES_GROUP);
}

int
cf_api_element_roles(struct cf_api_call *c)
{
    return cf_api_roles2(c, STOR_ROLES_ELEMENT);
}
