/*
 * api_users.c: /api/v1/users, /api/v1/roles and /api/v1/audit (DESIGN.md
 * "REST essentials"). Who sees which users follows his user role
 * (acl_user_scope): administrators and internal users see everyone, an
 * external user himself and the users he shares a group with, a guest
 * himself only; a user he may not see is a 404, like one who does not exist.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coffer/api.h"
#include "coffer/banned.h"



/* ---- GET /users ---- */

struct cf_api_list {
    json_t *items;
    bool full;
    unsigned n, limit;
    bool more;
    char *last;
    struct cf_api_call *c;      /* filters by what the caller may see; NULL: no filter */
    struct cf_pool *pool;
};

static int
cf_api_users_item(void *arg, const struct stor_user *u)
{
    struct cf_api_list *l = arg;

    if (l->c != NULL && !acl_user_seen(&l->c->x, l->c->faculties, u->id))
        return 0;
    if (l->n == l->limit) {
        l->more = true;         /* one more than asked: there is a next page */
        return 1;
    }
    json_array_append_new(l->items, cf_api_user_json(u, l->full));
    l->last = cf_pool_strndup(l->pool, u->login, strlen(u->login));
    l->n++;
    return 0;
}

static int
cf_api_users_list(struct cf_api_call *c)
{
    int limit = cf_api_limit(c);
    struct cf_api_list l = { .full = (c->faculties & ACL_U_ADMIN) != 0, .pool = c->req->pool };
    int rc;

    if (limit < 0)
        return 400;
    l.limit = (unsigned)limit;
    l.items = json_array();
    l.c = c;
    rc = stor_users_list(c->ctx->db, acl_user_scope(c->faculties), c->me.id,
                         cf_api_query(c, "q"), cf_api_query(c, "cursor"), UINT32_MAX,
                         cf_api_users_item, &l);
    if (rc < 0) {
        json_decref(l.items);
        c->x.why = "the database could not be read";
        return cf_api_fail(c, rc);
    }
    return cf_api_reply(c, 200, json_pack("{s:o,s:o}", "items", l.items, "next",
                                          l.more ? json_string(l.last) : json_null()));
}

/* ---- POST /users ---- */

static int
cf_api_users_create(struct cf_api_call *c)
{
    static const char *const keys[] = { "login", "email", "role", "password", "display_name",
                                        NULL };
    struct acl_user_new n = { 0 };
    struct stor_user u;
    int64_t id;
    int rc;

    if (!cf_api_need(c, ACL_U_ADMIN))
        return 403;
    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send {login, email, role} as JSON");
    if (cf_api_only(c, keys) < 0 || cf_api_str(c, "login", &n.login) < 0 ||
        cf_api_str(c, "email", &n.email) < 0 || cf_api_str(c, "role", &n.role) < 0 ||
        cf_api_str(c, "password", &n.password) < 0 ||
        cf_api_str(c, "display_name", &n.display_name) < 0)
        return 400;
    if (n.login == NULL || n.email == NULL || n.role == NULL)
        return cf_api_error(c, 400, "invalid", "login, email and role are required");
    if ((rc = acl_user_add(&c->x, &n, &id)) < 0)
        return cf_api_fail(c, rc);
    if (stor_user_get_by_id(c->ctx->db, id, c->req->pool, &u) < 0)
        return cf_api_error(c, 500, "internal", "the user was created but cannot be read");
    cf_resp_header(c->req, "Location", "/api/v1/users/%s", u.login);
    return cf_api_reply(c, 201, cf_api_user_json(&u, true));
}

/* ---- PATCH /users/{login} ---- */

static int
cf_api_users_patch(struct cf_api_call *c, struct stor_user *u)
{
    static const char *const keys[] = { "display_name", "email", "role", "password", NULL };
    const char *name, *email, *role, *pw;
    bool admin = (c->faculties & ACL_U_ADMIN) != 0;
    int rc;

    if (!admin && u->id != c->me.id)
        return cf_api_error(c, 403, "forbidden", "only administrators change other users");
    if (c->body == NULL)
        return cf_api_error(c, 400, "invalid", "send the fields to change as JSON");
    if (cf_api_only(c, keys) < 0 || cf_api_str(c, "display_name", &name) < 0 ||
        cf_api_str(c, "email", &email) < 0 || cf_api_str(c, "role", &role) < 0 ||
        cf_api_str(c, "password", &pw) < 0)
        return 400;
    if ((role != NULL || pw != NULL) && !admin)
        return cf_api_error(c, 403, "forbidden", "only administrators change roles and reset "
                            "passwords here; change your own password with POST "
                            "/api/v1/me/password");
    if ((name != NULL || email != NULL) &&
        (rc = acl_user_update(&c->x, u->id, name, email)) < 0)
        return cf_api_fail(c, rc);
    if (role != NULL && (rc = acl_user_set_role(&c->x, u->id, role)) < 0)
        return cf_api_fail(c, rc);
    if (pw != NULL && (rc = acl_user_set_password(&c->x, u->id, pw)) < 0)
        return cf_api_fail(c, rc);
    if (stor_user_get_by_id(c->ctx->db, u->id, c->req->pool, u) < 0)
        return cf_api_error(c, 500, "internal", "the user was changed but cannot be read");
    return cf_api_reply(c, 200, cf_api_user_json(u, true));
}

/* ---- DELETE /users/{login}?data=delete|transfer&to=&keep_profile= ---- */

static int
cf_api_users_delete(struct cf_api_call *c, struct stor_user *u)
{
    const char *data = cf_api_query(c, "data"), *to = cf_api_query(c, "to");
    const char *keep = cf_api_query(c, "keep_profile");
    struct stor_user tu;
    int64_t to_id = 0;
    int rc;

    if (!cf_api_need(c, ACL_U_ADMIN))
        return 403;
    if (data == NULL || (strcmp(data, "delete") != 0 && strcmp(data, "transfer") != 0))
        return cf_api_error(c, 400, "invalid", "say what happens to the user's files: "
                            "?data=delete, or ?data=transfer&to=LOGIN");
    if (keep != NULL && strcmp(keep, "true") != 0 && strcmp(keep, "false") != 0)
        return cf_api_error(c, 400, "invalid", "keep_profile is true or false");
    if (strcmp(data, "transfer") == 0) {
        if (to == NULL)
            return cf_api_error(c, 400, "invalid", "?data=transfer needs &to=LOGIN");
        if (stor_user_get(c->ctx->db, cf_str_from(to), c->req->pool, &tu) < 0)
            return cf_api_error(c, 400, "invalid", "the user to transfer the data to does not "
                                "exist");
        to_id = tu.id;
    }
    if ((rc = acl_user_remove(&c->x, u->id, to_id, keep != NULL && strcmp(keep, "true") == 0))
        < 0)
        return cf_api_fail(c, rc);
    return cf_api_no_content(c);
}

/* ---- /users/{login}/{invite,reset-password,block,unblock} ---- */

static int
cf_api_users_action(struct cf_api_call *c, struct stor_user *u, const char *action)
{
    int64_t until = 0, expires;
    const char *msg = NULL;
    int rc;

    if (strcmp(action, "invite") != 0 && strcmp(action, "reset-password") != 0 &&
        strcmp(action, "block") != 0 && strcmp(action, "unblock") != 0)
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    if (c->req->method != CF_M_POST)
        return cf_api_not_allowed(c, "POST");
    if (!cf_api_need(c, ACL_U_ADMIN))
        return 403;
    if (strcmp(action, "invite") == 0 || strcmp(action, "reset-password") == 0) {
        static const char *const keys[] = { "message", NULL };
        bool invite = action[0] == 'i';

        if (cf_api_only(c, keys) < 0 || cf_api_str(c, "message", &msg) < 0)
            return 400;
        if (msg != NULL && strlen(msg) > 4000)
            return cf_api_error(c, 400, "invalid", "the message is longer than 4000 bytes");
        if ((rc = cf_api_send_link(c, u, invite ? "invite" : "reset", msg, &expires)) != 0)
            return rc;
        return cf_api_reply(c, 202, json_pack("{s:s,s:o}", "sent_to", u->email, "expires",
                                              cf_api_time_json(expires)));
    }
    if (strcmp(action, "block") == 0) {
        static const char *const keys[] = { "until", NULL };

        if (c->body == NULL || json_object_get(c->body, "until") == NULL)
            return cf_api_error(c, 400, "invalid", "send {\"until\": RFC 3339 time} or "
                                "{\"until\": null} for a permanent block");
        if (cf_api_only(c, keys) < 0 || cf_api_time(c, "until", &until) < 0)
            return 400;
        if ((rc = acl_user_block(&c->x, u->id, until)) < 0)
            return cf_api_fail(c, rc);
    } else if (strcmp(action, "unblock") == 0) {
        if ((rc = acl_user_unblock(&c->x, u->id)) < 0)
            return cf_api_fail(c, rc);
    } else {
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    }
    if (stor_user_get_by_id(c->ctx->db, u->id, c->req->pool, u) < 0)
        return cf_api_error(c, 500, "internal", "the user was changed but cannot be read");
    return cf_api_reply(c, 200, cf_api_user_json(u, true));
}

int
cf_api_users(struct cf_api_call *c)
{
    enum cf_method m = cf_api_method(c);
    struct stor_user u;
    int rc;

    if (c->nseg == 1) {
        if (m == CF_M_GET)
            return cf_api_users_list(c);
        if (m == CF_M_POST)
            return cf_api_users_create(c);
        return cf_api_not_allowed(c, "GET, POST");
    }
    if (c->nseg > 3)
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    if ((rc = cf_api_user_lookup(c, c->seg[1], &u)) != 0)
        return rc;
    if (c->nseg == 3 && strcmp(c->seg[2], "groups") == 0)
        return cf_api_user_groups(c, &u);
    if (c->nseg == 3)
        return cf_api_users_action(c, &u, c->seg[2]);
    switch (m) {
    case CF_M_GET:
        return cf_api_reply(c, 200, cf_api_user_json(&u, (c->faculties & ACL_U_ADMIN) ||
                                                          u.id == c->me.id));
    case CF_M_PATCH:
        return cf_api_users_patch(c, &u);
    case CF_M_DELETE:
        return cf_api_users_delete(c, &u);
    default:
        return cf_api_not_allowed(c, "GET, PATCH, DELETE");
    }
}

/* ---- /roles ---- */

static int
cf_api_role_item(void *arg, const struct stor_role *r)
{
    json_t *fac = json_array();

    for (unsigned i = 0; i < 32; i++)
        if ((r->faculties & (1u << i)) && acl_user_faculty_name(1u << i) != NULL)
            json_array_append_new(fac, json_string(acl_user_faculty_name(1u << i)));
    json_array_append_new((json_t *)arg,
                          json_pack("{s:s,s:o,s:b,s:b,s:s}", "name", r->name, "faculties", fac,
                                    "preset", r->preset, "require_2fa", r->require_2fa,
                                    "description", r->description ? r->description : ""));
    return 0;
}

static int
cf_api_roles_put(struct cf_api_call *c, const char *name)
{
    static const char *const keys[] = { "faculties", "require_2fa", "description", NULL };
    struct stor_role r = { .name = name };
    json_t *fac, *v;
    size_t i;
    int rc;

    if (!acl_login_ok(cf_str_from(name)))
        return cf_api_error(c, 400, "invalid", "a role name is 1 to 64 of a-z, 0-9, '.', '_' "
                            "and '-'");
    if (c->body == NULL || cf_api_only(c, keys) < 0)
        return c->body == NULL ? cf_api_error(c, 400, "invalid", "send {faculties: [...]}")
                               : 400;
    fac = json_object_get(c->body, "faculties");
    if (!json_is_array(fac))
        return cf_api_error(c, 400, "invalid", "'faculties' must be a list of faculty names");
    json_array_foreach(fac, i, v) {
        uint32_t bit = json_is_string(v) ? acl_user_faculty_parse(json_string_value(v)) : 0;

        if (bit == 0)
            return cf_api_error(c, 400, "invalid", "unknown faculty at position %zu: the "
                                "faculties are administer, create-groups, "
                                "create-repositories, upload, see-all-users, see-all-groups, "
                                "see-group-peers, personal-repository", i);
        r.faculties |= bit;
    }
    if (cf_api_bool(c, "require_2fa", &r.require_2fa) < 0 ||
        cf_api_str(c, "description", &r.description) < 0)
        return 400;
    if ((rc = stor_role_put(c->ctx->db, &r)) < 0) {
        c->x.why = rc == -EPERM ? "the faculties of a preset role cannot change"
                                : "the database could not save the role";
        return cf_api_fail(c, rc);
    }
    acl_audit(&c->x, "role.put", name, NULL);
    acl_epoch_bump(c->ctx->epoch);
    json_t *items = json_array();
    struct stor_role got = r;
    bool req2fa;

    got.faculties = acl_role_faculties(c->ctx->db, name, &req2fa);
    got.require_2fa = req2fa;
    cf_api_role_item(items, &got);
    json_t *one = json_incref(json_array_get(items, 0));
    json_decref(items);
    return cf_api_reply(c, 200, one);
}

int
cf_api_roles(struct cf_api_call *c)
{
    enum cf_method m = cf_api_method(c);
    int rc;

    if (c->nseg == 1) {
        json_t *items;

        if (m != CF_M_GET)
            return cf_api_not_allowed(c, "GET");
        items = json_array();
        if ((rc = stor_roles_each(c->ctx->db, cf_api_role_item, items)) < 0) {
            json_decref(items);
            c->x.why = "the database could not be read";
            return cf_api_fail(c, rc);
        }
        return cf_api_reply(c, 200, json_pack("{s:o,s:n}", "items", items, "next"));
    }
    if (c->nseg != 2)
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    if (m != CF_M_PUT && m != CF_M_DELETE)
        return cf_api_not_allowed(c, "PUT, DELETE");
    if (!cf_api_need(c, ACL_U_ADMIN))
        return 403;
    if (m == CF_M_PUT)
        return cf_api_roles_put(c, c->seg[1]);
    if ((rc = stor_role_delete(c->ctx->db, c->seg[1])) < 0) {
        c->x.why = rc == -EPERM ? "a preset role cannot be deleted"
                   : rc == -EBUSY ? "users still hold this role: give them another first"
                   : rc == -ENOENT ? "there is no such role" : "the database failed";
        return cf_api_fail(c, rc == -EBUSY ? -EEXIST : rc);
    }
    acl_audit(&c->x, "role.delete", c->seg[1], NULL);
    return cf_api_no_content(c);
}

/* ---- GET /audit ---- */

struct cf_api_audit_list {
    json_t *items;
    int64_t last;
    unsigned n;
};

static int
cf_api_audit_item(void *arg, const struct stor_audit *a)
{
    struct cf_api_audit_list *l = arg;

    json_array_append_new(l->items,
                          json_pack("{s:I,s:o,s:s?,s:s,s:s?,s:s?,s:s?}", "id", (json_int_t)a->id,
                                    "at", cf_api_time_json(a->at), "actor", a->actor, "action",
                                    a->action, "target", a->target, "peer", a->peer, "detail",
                                    a->detail));
    l->last = a->id;
    l->n++;
    return 0;
}

int
cf_api_audit(struct cf_api_call *c)
{
    const char *since_s = cf_api_query(c, "since"), *until_s = cf_api_query(c, "until");
    const char *cursor = cf_api_query(c, "cursor");
    struct cf_api_audit_list l = { 0 };
    int64_t since = 0, until = 0;
    uint64_t before = 0;
    int limit, rc;

    if (c->nseg != 1)
        return cf_api_error(c, 404, "not_found", "there is no such API call");
    if (cf_api_method(c) != CF_M_GET)
        return cf_api_not_allowed(c, "GET");
    if (!cf_api_need(c, ACL_U_ADMIN))
        return 403;
    if ((limit = cf_api_limit(c)) < 0)
        return 400;
    if ((since_s != NULL && cf_api_parse_time(since_s, &since) < 0) ||
        (until_s != NULL && cf_api_parse_time(until_s, &until) < 0))
        return cf_api_error(c, 400, "invalid", "since and until are RFC 3339 times like "
                            "2026-12-31T18:00:00Z");
    if (cursor != NULL && cf_parse_u64(cursor, strlen(cursor), INT64_MAX, &before) < 0)
        return cf_api_error(c, 400, "invalid", "cursor is the 'next' value of the previous "
                            "page");
    l.items = json_array();
    rc = stor_audit_list(c->ctx->db, cf_api_query(c, "actor"), cf_api_query(c, "target"),
                         cf_api_query(c, "action"), since, until, (int64_t)before,
                         (unsigned)limit, cf_api_audit_item, &l);
    if (rc < 0) {
        json_decref(l.items);
        c->x.why = "the database could not be read";
        return cf_api_fail(c, rc);
    }
    char next[24];
    snprintf(next, sizeof(next), "%" PRId64, l.last);
    return cf_api_reply(c, 200, json_pack("{s:o,s:o}", "items", l.items, "next",
                                          l.n == (unsigned)limit && l.last > 1
                                              ? json_string(next) : json_null()));
}
