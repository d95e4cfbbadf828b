/*
 * it_groups.c: groups, group and element roles, repositories, grants and
 * the access explanation through the REST API, against the real cofferd,
 * with WebDAV reads as the proof of what a change does (DESIGN.md "The
 * access model"; seed 001): who sees which groups (internal, external,
 * guest, administrator, and a private group), the private group's last
 * administrator, nesting cycles, a Publisher who is not a Reader, the
 * other-permissions section that does not travel, "Legal area" nested in
 * "Administration area", a position changing hands, the explanation of a
 * user's access, and role changes taking effect at once.
 *
 * The tests share one server; each makes users, groups and repositories
 * of its own (names carry the test's prefix).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "ident_lib.h"

/* ---- helpers ---- */

/* name with spaces as %20, for a path. Static slot, valid for 3 more calls. */
static const char *
tg_enc(const char *name)
{
    static char slot[4][256];
    static int next;
    char *out = slot[next++ % 4];
    size_t o = 0;

    for (const char *p = name; *p != '\0' && o + 4 < sizeof(slot[0]); p++) {
        if (*p == ' ') {
            memcpy(out + o, "%20", 3);
            o += 3;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return out;
}

/* Sends json to the path made from fmt as auth; returns the status. */
static int
tg_call(struct t_server *s, const char *method, const char *auth, const char *json,
        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
tg_call(struct t_server *s, const char *method, const char *auth, const char *json,
        const char *fmt, ...)
{
    char path[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return ti_api_status(s, method, path, auth, json);
}

/* GET path (from fmt) as auth; asserts 200 and returns the JSON (caller decrefs). */
static json_t *
tg_get(struct t_server *s, const char *auth, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *
tg_get(struct t_server *s, const char *auth, const char *fmt, ...)
{
    char path[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return ti_api_json(s, "GET", path, auth, NULL, 200);
}

/* Creates a group as auth with extra JSON members (",\"private\":true" or ""); asserts 201. */
static void
tg_group(struct t_server *s, const char *auth, const char *name, const char *extra)
{
    char body[512];

    snprintf(body, sizeof(body), "{\"name\":\"%s\"%s}", name, extra ? extra : "");
    json_decref(ti_api_json(s, "POST", "/api/v1/groups", auth, body, 201));
}

/* PUT an entry (section NULL: member); returns the status. */
static int
tg_put(struct t_server *s, const char *auth, const char *group, const char *kind,
       const char *who, const char *role, const char *section)
{
    char body[256];

    snprintf(body, sizeof(body), "{\"role\":\"%s\"%s%s%s}", role, section ? ",\"section\":\"" : "",
             section ? section : "", section ? "\"" : "");
    return tg_call(s, "PUT", auth, body, "/api/v1/groups/%s/members/%s/%s", tg_enc(group), kind,
                   tg_enc(who));
}

/* DELETE an entry (section NULL: the default); returns the status. */
static int
tg_del(struct t_server *s, const char *auth, const char *group, const char *kind,
       const char *who, const char *section)
{
    return tg_call(s, "DELETE", auth, NULL, "/api/v1/groups/%s/members/%s/%s%s%s", tg_enc(group),
                   kind, tg_enc(who), section ? "?section=" : "", section ? section : "");
}

/* Creates repository name as the administrator (so he owns it: full control). */
static void
tg_repo(struct t_server *s, const char *name)
{
    char body[128];

    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    json_decref(ti_api_json(s, "POST", "/api/v1/repositories", T_AUTH, body, 201));
}

/* Writes a file over WebDAV as the administrator; asserts 201 or 204. */
static void
tg_file(struct t_server *s, const char *repo, const char *path, const char *content)
{
    char url[512];
    struct t_resp r;
    int st;

    snprintf(url, sizeof(url), "/dav/%s/%s", repo, path);
    st = ti_send_req(s, &r, "PUT", url, T_AUTH, "text/plain", content);
    if (st != 201 && st != 204)
        ti_expect_status(&r, 201);
    t_resp_release(&r);
}

static void
tg_mkcol(struct t_server *s, const char *repo, const char *path)
{
    char url[512];
    struct t_resp r;

    snprintf(url, sizeof(url), "/dav/%s/%s/", repo, path);
    ti_send_req(s, &r, "MKCOL", url, T_AUTH, NULL, NULL);
    ti_expect_status(&r, 201);
    t_resp_release(&r);
}

/* A WebDAV method on /dav/repo/path as login; returns the status. */
static int
tg_dav(struct t_server *s, const char *method, const char *repo, const char *path,
       const char *login, const char *body)
{
    char url[512], head[600];
    struct t_resp r;
    int st;

    snprintf(url, sizeof(url), "/dav/%s/%s", repo, path);
    snprintf(head, sizeof(head), "%s%s", ti_as(login),
             strcmp(method, "PROPFIND") == 0 ? "Depth: 1\n" : "");
    st = ti_send_req(s, &r, method, url, head, body ? "text/plain" : NULL, body);
    t_resp_release(&r);
    return st;
}

static int
tg_read(struct t_server *s, const char *repo, const char *path, const char *login)
{
    return tg_dav(s, "GET", repo, path, login, NULL);
}

/*
 * Adds a grant on repo as auth: who is the JSON member naming the grantee
 * ("\"group\":\"X\"" or "\"user\":\"x\""), path NULL for the root. Asserts
 * want; returns the id when it is 201, else 0.
 */
static int64_t
tg_grant(struct t_server *s, const char *auth, const char *repo, const char *who,
         const char *role, const char *path, int want)
{
    char body[512], url[256];
    struct t_resp r;
    int64_t id = 0;

    snprintf(body, sizeof(body), "{%s,\"role\":\"%s\"%s%s%s}", who, role,
             path ? ",\"path\":\"" : "", path ? path : "", path ? "\"" : "");
    snprintf(url, sizeof(url), "/api/v1/repositories/%s/grants", repo);
    ti_api(s, &r, "POST", url, auth, body);
    ti_expect_status(&r, want);
    if (want == 201) {
        json_t *j = ti_jbody(&r);

        id = json_integer_value(json_object_get(j, "id"));
        assert_true(id > 0);
        json_decref(j);
    }
    t_resp_release(&r);
    return id;
}

/* The item of arr whose key is val, or NULL. Borrowed. */
static json_t *
tg_find(json_t *arr, const char *key, const char *val)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(json_object_get(v, key));

        if (s != NULL && strcmp(s, val) == 0)
            return v;
    }
    return NULL;
}

/* True if the list answer j has an item named name. */
static bool
tg_listed(json_t *j, const char *name)
{
    return tg_find(json_object_get(j, "items"), "name", name) != NULL;
}

/* True if the JSON array arr holds the string s. */
static bool
tg_has_str(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

/* The error code of a JSON error answer r. Static slot. */
static const char *
tg_code(const struct t_resp *r)
{
    static char code[64];
    json_t *j = ti_jbody(r);

    snprintf(code, sizeof(code), "%s",
             json_string_value(json_object_get(json_object_get(j, "error"), "code"))
                 ? json_string_value(json_object_get(json_object_get(j, "error"), "code"))
                 : "");
    json_decref(j);
    return code;
}

/* ---- groups: create, read, change, delete ---- */

static void
it_group_create_read_patch_delete(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "crud-int", "internal");
    ti_mkuser_pw(s, "crud-ext", "external");
    ti_api(s, &r, "POST", "/api/v1/groups", ti_as("crud-int"),
           "{\"name\":\"Crud team\",\"colour\":\"#123abc\",\"position\":true}");
    ti_expect_status(&r, 201);
    assert_string_equal(t_header(&r, "Location"), "/api/v1/groups/Crud%20team");
    j = ti_jbody(&r);
    t_resp_release(&r);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "Crud team");
    assert_string_equal(json_string_value(json_object_get(j, "colour")), "#123abc");
    assert_true(json_is_true(json_object_get(j, "position")));
    assert_true(json_is_false(json_object_get(j, "private")));
    assert_true(json_is_false(json_object_get(j, "personal")));
    json_decref(j);

    /* names are unique without regard to case; bad input names the fault */
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/groups", ti_as("crud-int"),
                                   "{\"name\":\"crud TEAM\"}"), 409);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/groups", ti_as("crud-ext"),
                                   "{\"name\":\"Ext team\"}"), 403);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/groups", T_AUTH, "{\"name\":\"a/b\"}"),
                     400);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/groups", T_AUTH,
                                   "{\"name\":\"x\",\"colour\":\"red\"}"), 400);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/groups", T_AUTH,
                                   "{\"name\":\"x\",\"owner\":\"crud-int\"}"), 400);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/groups", T_AUTH, "{}"), 400);

    /* the creator holds the administrator role, in other permissions */
    j = tg_get(s, ti_as("crud-int"), "/api/v1/groups/crud%%20TEAM");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "Crud team");
    assert_int_equal(json_array_size(json_object_get(j, "members")), 0);
    json_t *e = tg_find(json_object_get(j, "other"), "name", "crud-int");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "role")), "administrator");
    assert_true(tg_has_str(json_object_get(j, "your_faculties"), "administer"));
    json_decref(j);

    j = ti_api_json(s, "PATCH", "/api/v1/groups/Crud%20team", ti_as("crud-int"),
                    "{\"name\":\"Crud squad\",\"colour\":\"#000000\"}", 200);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "Crud squad");
    assert_string_equal(json_string_value(json_object_get(j, "colour")), "#000000");
    assert_true(json_is_true(json_object_get(j, "position")));     /* kept */
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", ti_as("crud-int"), NULL, "/api/v1/groups/Crud%%20team"),
                     404);
    /* an external user who is not in it does not see it at all */
    assert_int_equal(tg_call(s, "PATCH", ti_as("crud-ext"), "{\"colour\":\"#ffffff\"}",
                             "/api/v1/groups/Crud%%20squad"), 404);
    assert_int_equal(tg_call(s, "PATCH", ti_as("crud-int"), "{\"private\":\"yes\"}",
                             "/api/v1/groups/Crud%%20squad"), 400);
    assert_int_equal(tg_call(s, "POST", ti_as("crud-int"), "{}", "/api/v1/groups/Crud%%20squad"),
                     405);
    assert_int_equal(tg_call(s, "DELETE", ti_as("crud-int"), NULL,
                             "/api/v1/groups/Crud%%20squad"), 204);
    assert_int_equal(tg_call(s, "GET", ti_as("crud-int"), NULL, "/api/v1/groups/Crud%%20squad"),
                     404);
    assert_int_equal(tg_call(s, "DELETE", ti_as("crud-int"), NULL,
                             "/api/v1/groups/Crud%%20squad"), 404);
    /* personal groups are the system's */
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/groups/crud-ext"), 403);
}

static void
it_group_members_put_change_remove(void **state)
{
    struct t_server *s = *state;
    const char *own = "mem-int";
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, own, "internal");
    ti_mkuser_pw(s, "mem-a", "external");
    ti_mkuser_pw(s, "mem-b", "external");
    tg_group(s, ti_as(own), "Mem team", NULL);

    ti_api(s, &r, "PUT", "/api/v1/groups/Mem%20team/members/user/mem-a", ti_as(own),
           "{\"role\":\"reader\"}");
    ti_expect_status(&r, 200);
    j = ti_jbody(&r);
    t_resp_release(&r);
    assert_string_equal(json_string_value(json_object_get(j, "group")), "Mem team");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "user");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "mem-a");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "reader");
    assert_string_equal(json_string_value(json_object_get(j, "section")), "member");
    json_decref(j);
    /* the same PUT changes the role */
    assert_int_equal(tg_put(s, ti_as(own), "Mem team", "user", "mem-a", "publisher", NULL), 200);
    assert_int_equal(tg_put(s, ti_as(own), "Mem team", "user", "mem-b", "reader", "other"), 200);
    j = tg_get(s, ti_as(own), "/api/v1/groups/Mem%%20team");
    assert_int_equal(json_array_size(json_object_get(j, "members")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            tg_find(json_object_get(j, "members"), "name", "mem-a"), "role")),
                        "publisher");
    assert_non_null(tg_find(json_object_get(j, "other"), "name", "mem-b"));
    assert_non_null(tg_find(json_object_get(j, "other"), "name", own));
    json_decref(j);

    /* what is wrong is said */
    assert_int_equal(tg_put(s, ti_as(own), "Mem team", "robot", "mem-a", "reader", NULL), 404);
    ti_api(s, &r, "PUT", "/api/v1/groups/Mem%20team/members/user/mem-a", ti_as(own),
           "{\"role\":\"nonsense\"}");
    ti_expect_status(&r, 400);
    assert_string_equal(tg_code(&r), "invalid");
    t_resp_release(&r);
    assert_int_equal(tg_call(s, "PUT", ti_as(own), "{}",
                             "/api/v1/groups/Mem%%20team/members/user/mem-a"), 400);
    assert_int_equal(tg_put(s, ti_as(own), "Mem team", "user", "mem-a", "reader", "x"), 400);
    assert_int_equal(tg_put(s, ti_as(own), "Mem team", "user", "nobody-here", "reader", NULL),
                     404);
    assert_int_equal(tg_put(s, ti_as(own), "Mem team", "group", "mem-a", "reader", "other"),
                     400);
    /* a personal group keeps its one member */
    assert_int_equal(tg_put(s, T_AUTH, "mem-a", "user", "mem-b", "reader", NULL), 403);
    /* a member who does not administer the group may not change it, nor promote himself */
    assert_int_equal(tg_put(s, ti_as("mem-a"), "Mem team", "user", "mem-a", "administrator",
                            NULL), 403);

    assert_int_equal(tg_del(s, ti_as(own), "Mem team", "user", "mem-b", "other"), 204);
    assert_int_equal(tg_del(s, ti_as(own), "Mem team", "user", "mem-b", "other"), 404);
    assert_int_equal(tg_del(s, ti_as(own), "Mem team", "user", "mem-a", "nope"), 400);
    /* anyone may leave */
    j = tg_get(s, ti_as("mem-a"), "/api/v1/users/mem-a/groups");
    assert_true(tg_listed(j, "Mem team"));
    json_decref(j);
    assert_int_equal(tg_del(s, ti_as("mem-a"), "Mem team", "user", "mem-a", NULL), 204);
    j = tg_get(s, ti_as("mem-a"), "/api/v1/users/mem-a/groups");
    assert_false(tg_listed(j, "Mem team"));
    json_decref(j);
    j = tg_get(s, ti_as(own), "/api/v1/groups/Mem%%20team");
    assert_int_equal(json_array_size(json_object_get(j, "members")), 0);
    json_decref(j);
}

/* ---- who sees which groups ---- */

static void
it_group_visibility_by_user_role(void **state)
{
    struct t_server *s = *state;
    json_t *j;

    ti_mkuser_pw(s, "vis-own", "internal");
    ti_mkuser_pw(s, "vis-int", "internal");
    ti_mkuser_pw(s, "vis-ext", "external");
    ti_mkuser_pw(s, "vis-ext2", "external");
    ti_mkuser_pw(s, "vis-guest", "guest");
    ti_mkuser_pw(s, "vis-guest2", "guest");
    tg_group(s, ti_as("vis-own"), "Vis secret", ",\"private\":true");
    tg_group(s, ti_as("vis-own"), "Vis public", NULL);
    assert_int_equal(tg_put(s, ti_as("vis-own"), "Vis public", "user", "vis-ext", "reader", NULL),
                     200);
    assert_int_equal(tg_put(s, ti_as("vis-own"), "Vis public", "user", "vis-guest", "reader",
                            NULL), 200);

    /* administrators: every group but the private one, which is not even counted */
    j = tg_get(s, T_AUTH, "/api/v1/groups?q=vis");
    assert_true(tg_listed(j, "Vis public"));
    assert_false(tg_listed(j, "Vis secret"));
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/groups?q=secret");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/groups/Vis%%20secret"), 404);
    assert_int_equal(tg_call(s, "PATCH", T_AUTH, "{\"private\":false}",
                             "/api/v1/groups/Vis%%20secret"), 404);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/groups/Vis%%20secret"), 404);
    assert_int_equal(tg_put(s, T_AUTH, "Vis secret", "user", "vis-int", "reader", NULL), 404);
    assert_int_equal(tg_put(s, T_AUTH, "Vis public", "group", "Vis secret", "reader", NULL), 404);
    j = tg_get(s, T_AUTH, "/api/v1/principals?q=vis");
    assert_true(tg_listed(j, "Vis public"));
    assert_false(tg_listed(j, "Vis secret"));
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/users/vis-own/groups");
    assert_true(tg_listed(j, "Vis public"));
    assert_false(tg_listed(j, "Vis secret"));
    json_decref(j);

    /* internal users: every non-private group */
    j = tg_get(s, ti_as("vis-int"), "/api/v1/groups?q=vis");
    assert_true(tg_listed(j, "Vis public"));
    assert_false(tg_listed(j, "Vis secret"));
    json_decref(j);
    /* who is in it sees it */
    j = tg_get(s, ti_as("vis-own"), "/api/v1/groups?q=vis");
    assert_true(tg_listed(j, "Vis public"));
    assert_true(tg_listed(j, "Vis secret"));
    json_decref(j);
    j = tg_get(s, ti_as("vis-own"), "/api/v1/users/vis-own/groups");
    assert_true(tg_listed(j, "Vis secret"));
    json_decref(j);

    /* external users: only the groups they are in */
    j = tg_get(s, ti_as("vis-ext"), "/api/v1/groups?q=vis");
    assert_true(tg_listed(j, "Vis public"));
    assert_false(tg_listed(j, "Vis secret"));
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", ti_as("vis-ext2"), NULL, "/api/v1/groups/Vis%%20public"),
                     404);
    j = tg_get(s, ti_as("vis-ext2"), "/api/v1/groups?q=vis%%20");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);

    /* guests: their own group and the groups they are in, nothing else */
    j = tg_get(s, ti_as("vis-guest"), "/api/v1/groups");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    assert_true(tg_listed(j, "Vis public"));
    assert_true(tg_listed(j, "vis-guest"));
    json_decref(j);
    j = tg_get(s, ti_as("vis-guest2"), "/api/v1/groups");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    assert_true(tg_listed(j, "vis-guest2"));
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", ti_as("vis-guest2"), NULL, "/api/v1/groups/Vis%%20public"),
                     404);

    /* an entry in other permissions is enough to see a private group */
    assert_int_equal(tg_put(s, ti_as("vis-own"), "Vis secret", "user", "vis-int", "reader",
                            "other"), 200);
    j = tg_get(s, ti_as("vis-int"), "/api/v1/groups/Vis%%20secret");
    assert_true(json_is_true(json_object_get(j, "private")));
    json_decref(j);
    /* and the administrators still do not see it */
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/groups/Vis%%20secret"), 404);
    /* nor can they grant it anything */
    tg_repo(s, "visrepo");
    tg_grant(s, T_AUTH, "visrepo", "\"group\":\"Vis secret\"", "read", NULL, 404);
}

static void
it_private_group_keeps_an_administrator(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "pa-own", "internal");
    ti_mkuser_pw(s, "pa-two", "internal");
    tg_group(s, ti_as("pa-own"), "Pa private", ",\"private\":true");
    j = tg_get(s, ti_as("pa-own"), "/api/v1/groups/Pa%%20private");
    assert_non_null(tg_find(json_object_get(j, "members"), "name", "pa-own"));
    json_decref(j);

    /* the last administrator can neither leave nor be demoted */
    ti_api(s, &r, "DELETE", "/api/v1/groups/Pa%20private/members/user/pa-own", ti_as("pa-own"),
           NULL);
    ti_expect_status(&r, 403);
    assert_string_equal(tg_code(&r), "forbidden");
    t_resp_release(&r);
    assert_int_equal(tg_put(s, ti_as("pa-own"), "Pa private", "user", "pa-own", "reader", NULL),
                     403);
    j = tg_get(s, ti_as("pa-own"), "/api/v1/groups/Pa%%20private");
    assert_string_equal(json_string_value(json_object_get(
                            tg_find(json_object_get(j, "members"), "name", "pa-own"), "role")),
                        "administrator");
    json_decref(j);

    /* with a second one, he may step down; then the second is the last */
    assert_int_equal(tg_put(s, ti_as("pa-own"), "Pa private", "user", "pa-two", "administrator",
                            NULL), 200);
    assert_int_equal(tg_put(s, ti_as("pa-own"), "Pa private", "user", "pa-own", "reader", NULL),
                     200);
    assert_int_equal(tg_del(s, ti_as("pa-two"), "Pa private", "user", "pa-two", NULL), 403);
    assert_int_equal(tg_del(s, ti_as("pa-own"), "Pa private", "user", "pa-own", NULL), 204);
    assert_int_equal(tg_call(s, "GET", ti_as("pa-own"), NULL, "/api/v1/groups/Pa%%20private"),
                     404);

    /* a group becomes private only with a member holding the administrator role */
    tg_group(s, ti_as("pa-own"), "Pa public", NULL);
    assert_int_equal(tg_call(s, "PATCH", ti_as("pa-own"), "{\"private\":true}",
                             "/api/v1/groups/Pa%%20public"), 403);
    assert_int_equal(tg_put(s, ti_as("pa-own"), "Pa public", "user", "pa-own", "administrator",
                            NULL), 200);
    j = ti_api_json(s, "PATCH", "/api/v1/groups/Pa%20public", ti_as("pa-own"),
                    "{\"private\":true}", 200);
    assert_true(json_is_true(json_object_get(j, "private")));
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/groups/Pa%%20public"), 404);
}

/* ---- nesting ---- */

static void
it_nesting_cycle_is_refused_and_changes_nothing(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "cy-u", "external");
    tg_group(s, T_AUTH, "Cy A", NULL);
    tg_group(s, T_AUTH, "Cy B", NULL);
    tg_group(s, T_AUTH, "Cy C", NULL);
    assert_int_equal(tg_put(s, T_AUTH, "Cy C", "user", "cy-u", "reader", NULL), 200);
    assert_int_equal(tg_put(s, T_AUTH, "Cy A", "group", "Cy B", "reader", NULL), 200);
    assert_int_equal(tg_put(s, T_AUTH, "Cy B", "group", "Cy C", "reader", NULL), 200);
    j = tg_get(s, T_AUTH, "/api/v1/users/cy-u/groups");
    size_t before = json_array_size(json_object_get(j, "items"));
    assert_string_equal(json_string_value(json_object_get(
                            tg_find(json_object_get(j, "items"), "name", "Cy A"), "how")),
                        "nested");
    json_decref(j);

    ti_api(s, &r, "PUT", "/api/v1/groups/Cy%20C/members/group/Cy%20A", T_AUTH,
           "{\"role\":\"reader\"}");
    ti_expect_status(&r, 409);
    assert_string_equal(tg_code(&r), "cycle");
    t_resp_release(&r);
    ti_api(s, &r, "PUT", "/api/v1/groups/Cy%20A/members/group/Cy%20A", T_AUTH,
           "{\"role\":\"reader\"}");
    ti_expect_status(&r, 409);
    assert_string_equal(tg_code(&r), "cycle");
    t_resp_release(&r);

    /* nothing changed: C holds only its user, the user the same groups */
    j = tg_get(s, T_AUTH, "/api/v1/groups/Cy%%20C");
    assert_int_equal(json_array_size(json_object_get(j, "members")), 1);
    assert_null(tg_find(json_object_get(j, "members"), "kind", "group"));
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/users/cy-u/groups");
    assert_int_equal(json_array_size(json_object_get(j, "items")), before);
    json_decref(j);
}

/* ---- publishers, readers, sections, nesting: proved by WebDAV reads ---- */

static void
it_publisher_who_is_not_reader_grants_but_cannot_read(void **state)
{
    struct t_server *s = *state;
    int64_t id;
    json_t *j, *e;

    ti_mkuser_pw(s, "pub-p", "internal");
    ti_mkuser_pw(s, "pub-n", "internal");
    ti_mkuser_pw(s, "pub-r", "external");
    tg_repo(s, "pubrepo");
    tg_file(s, "pubrepo", "order.txt", "order 42");
    /* both may manage grants in the repository, and nothing else */
    json_decref(ti_api_json(s, "PUT", "/api/v1/element-roles/pub-manage", T_AUTH,
                            "{\"faculties\":[\"manage\"]}", 200));
    tg_grant(s, T_AUTH, "pubrepo", "\"user\":\"pub-p\"", "pub-manage", NULL, 201);
    tg_grant(s, T_AUTH, "pubrepo", "\"user\":\"pub-n\"", "pub-manage", NULL, 201);
    tg_group(s, T_AUTH, "Pub orders", NULL);
    assert_int_equal(tg_put(s, T_AUTH, "Pub orders", "user", "pub-p", "publisher", "other"), 200);
    assert_int_equal(tg_put(s, T_AUTH, "Pub orders", "user", "pub-r", "reader", NULL), 200);

    /* without the publisher role: refused */
    tg_grant(s, ti_as("pub-n"), "pubrepo", "\"group\":\"Pub orders\"", "read", NULL, 403);
    assert_int_equal(tg_read(s, "pubrepo", "order.txt", "pub-r"), 404);
    /* the publisher includes the group; its readers read, he does not */
    id = tg_grant(s, ti_as("pub-p"), "pubrepo", "\"group\":\"Pub orders\"", "read", NULL, 201);
    assert_int_equal(tg_read(s, "pubrepo", "order.txt", "pub-r"), 200);
    assert_int_equal(tg_dav(s, "PROPFIND", "pubrepo", "order.txt", "pub-p", NULL), 404);
    assert_int_equal(tg_read(s, "pubrepo", "order.txt", "pub-p"), 404);

    /* the explanation says why */
    j = tg_get(s, ti_as("pub-p"), "/api/v1/repositories/pubrepo/access?path=order.txt");
    assert_false(tg_has_str(json_object_get(j, "faculties"), "read"));
    assert_true(tg_has_str(json_object_get(j, "faculties"), "manage"));
    e = tg_find(json_object_get(j, "not_reaching"), "group", "Pub orders");
    assert_non_null(e);
    assert_true(json_is_true(json_object_get(e, "in_group")));
    assert_true(tg_has_str(json_object_get(e, "group_faculties"), "publish"));
    assert_false(tg_has_str(json_object_get(e, "group_faculties"), "read"));
    json_decref(j);

    /* and he may exclude it again */
    assert_int_equal(tg_call(s, "DELETE", ti_as("pub-n"), NULL,
                             "/api/v1/repositories/pubrepo/grants/%lld", (long long)id), 403);
    assert_int_equal(tg_call(s, "DELETE", ti_as("pub-p"), NULL,
                             "/api/v1/repositories/pubrepo/grants/%lld", (long long)id), 204);
    assert_int_equal(tg_read(s, "pubrepo", "order.txt", "pub-r"), 404);
}

static void
it_other_permissions_gain_nothing_in_the_parent(void **state)
{
    struct t_server *s = *state;
    json_t *j, *e;

    ti_mkuser_pw(s, "os-m", "external");
    ti_mkuser_pw(s, "os-o", "external");
    tg_repo(s, "osrepo");
    tg_file(s, "osrepo", "parent.txt", "p");
    tg_file(s, "osrepo", "child.txt", "c");
    tg_group(s, T_AUTH, "Os parent", NULL);
    tg_group(s, T_AUTH, "Os child", NULL);
    assert_int_equal(tg_put(s, T_AUTH, "Os parent", "group", "Os child", "reader", NULL), 200);
    assert_int_equal(tg_put(s, T_AUTH, "Os child", "user", "os-m", "reader", NULL), 200);
    assert_int_equal(tg_put(s, T_AUTH, "Os child", "user", "os-o", "reader", "other"), 200);
    tg_grant(s, T_AUTH, "osrepo", "\"group\":\"Os parent\"", "read", "parent.txt", 201);
    tg_grant(s, T_AUTH, "osrepo", "\"group\":\"Os child\"", "read", "child.txt", 201);

    /* in the child itself both read; in the parent only the member */
    assert_int_equal(tg_read(s, "osrepo", "child.txt", "os-m"), 200);
    assert_int_equal(tg_read(s, "osrepo", "child.txt", "os-o"), 200);
    assert_int_equal(tg_read(s, "osrepo", "parent.txt", "os-m"), 200);
    assert_int_equal(tg_read(s, "osrepo", "parent.txt", "os-o"), 404);

    j = tg_get(s, T_AUTH, "/api/v1/users/os-o/groups");
    e = tg_find(json_object_get(j, "items"), "name", "Os child");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "how")), "direct");
    assert_true(tg_has_str(json_object_get(e, "sections"), "other"));
    assert_true(json_is_false(json_object_get(e, "member")));
    assert_false(tg_listed(j, "Os parent"));
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/users/os-m/groups");
    e = tg_find(json_object_get(j, "items"), "name", "Os parent");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "how")), "nested");
    assert_true(json_is_true(json_object_get(e, "member")));
    assert_true(tg_has_str(json_object_get(e, "faculties"), "read"));
    json_decref(j);
}

static void
it_legal_area_nested_in_administration_area(void **state)
{
    struct t_server *s = *state;

    ti_mkuser_pw(s, "lg-u", "external");
    ti_mkuser_pw(s, "lg-x", "external");
    ti_mkuser_pw(s, "ad-u", "internal");
    tg_repo(s, "adminrepo");
    tg_mkcol(s, "adminrepo", "minutes");
    tg_file(s, "adminrepo", "minutes/2026.txt", "minutes of 2026");
    tg_file(s, "adminrepo", "budget.txt", "not for them");
    tg_group(s, T_AUTH, "Administration area", NULL);
    tg_group(s, T_AUTH, "Legal area", NULL);
    assert_int_equal(tg_put(s, T_AUTH, "Administration area", "user", "ad-u", "reader", NULL),
                     200);
    assert_int_equal(tg_put(s, T_AUTH, "Legal area", "user", "lg-u", "reader", NULL), 200);
    tg_grant(s, T_AUTH, "adminrepo", "\"group\":\"Administration area\"", "read", "minutes",
             201);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "lg-u"), 404);

    assert_int_equal(tg_put(s, T_AUTH, "Administration area", "group", "Legal area", "reader",
                            NULL), 200);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "ad-u"), 200);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "lg-u"), 200);
    assert_int_equal(tg_dav(s, "PROPFIND", "adminrepo", "minutes/", "lg-u", NULL), 207);
    assert_int_equal(tg_read(s, "adminrepo", "budget.txt", "lg-u"), 404);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "lg-x"), 404);

    /* removing Legal from Administration, or him from Legal, takes it away at once */
    assert_int_equal(tg_del(s, T_AUTH, "Administration area", "group", "Legal area", NULL), 204);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "lg-u"), 404);
    assert_int_equal(tg_put(s, T_AUTH, "Administration area", "group", "Legal area", "reader",
                            NULL), 200);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "lg-u"), 200);
    assert_int_equal(tg_del(s, T_AUTH, "Legal area", "user", "lg-u", NULL), 204);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "lg-u"), 404);
    assert_int_equal(tg_read(s, "adminrepo", "minutes/2026.txt", "ad-u"), 200);
}

static void
it_position_change_moves_access_in_every_group(void **state)
{
    struct t_server *s = *state;
    json_t *j;

    ti_mkuser_pw(s, "pos-old", "internal");
    ti_mkuser_pw(s, "pos-new", "internal");
    tg_repo(s, "posrepo");
    tg_file(s, "posrepo", "sales.txt", "sales");
    tg_file(s, "posrepo", "exec.txt", "exec");
    tg_group(s, T_AUTH, "Head of sales", ",\"position\":true");
    tg_group(s, T_AUTH, "Sales dept", NULL);
    tg_group(s, T_AUTH, "Exec committee", NULL);
    assert_int_equal(tg_put(s, T_AUTH, "Sales dept", "group", "Head of sales", "reader", NULL),
                     200);
    assert_int_equal(tg_put(s, T_AUTH, "Exec committee", "group", "Head of sales", "reader",
                            NULL), 200);
    tg_grant(s, T_AUTH, "posrepo", "\"group\":\"Sales dept\"", "read", "sales.txt", 201);
    tg_grant(s, T_AUTH, "posrepo", "\"group\":\"Exec committee\"", "read", "exec.txt", 201);
    assert_int_equal(tg_put(s, T_AUTH, "Head of sales", "user", "pos-old", "reader", NULL), 200);
    assert_int_equal(tg_read(s, "posrepo", "sales.txt", "pos-old"), 200);
    assert_int_equal(tg_read(s, "posrepo", "exec.txt", "pos-old"), 200);
    assert_int_equal(tg_read(s, "posrepo", "sales.txt", "pos-new"), 404);
    j = tg_get(s, T_AUTH, "/api/v1/users/pos-old/groups?position=true");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    assert_true(tg_listed(j, "Head of sales"));
    json_decref(j);

    /* the post changes hands */
    assert_int_equal(tg_del(s, T_AUTH, "Head of sales", "user", "pos-old", NULL), 204);
    assert_int_equal(tg_put(s, T_AUTH, "Head of sales", "user", "pos-new", "reader", NULL), 200);
    assert_int_equal(tg_read(s, "posrepo", "sales.txt", "pos-old"), 404);
    assert_int_equal(tg_read(s, "posrepo", "exec.txt", "pos-old"), 404);
    assert_int_equal(tg_read(s, "posrepo", "sales.txt", "pos-new"), 200);
    assert_int_equal(tg_read(s, "posrepo", "exec.txt", "pos-new"), 200);
    j = tg_get(s, T_AUTH, "/api/v1/users/pos-old/groups?position=true");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/users/pos-new/groups?position=true");
    assert_true(tg_listed(j, "Head of sales"));
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/users/pos-new/groups?position=false");
    assert_false(tg_listed(j, "Head of sales"));
    assert_true(tg_listed(j, "Sales dept"));
    assert_true(tg_listed(j, "Exec committee"));
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/users/pos-new/groups?position=yes"),
                     400);
    assert_int_equal(tg_call(s, "POST", T_AUTH, "{}", "/api/v1/users/pos-new/groups"), 405);
}

/* ---- the access explanation ---- */

static void
it_access_explains_the_group_chain(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j, *g, *via, *e;

    ti_mkuser_pw(s, "ax-own", "internal");
    ti_mkuser_pw(s, "ax-l", "external");
    ti_mkuser_pw(s, "ax-p", "external");
    ti_mkuser_pw(s, "ax-n", "external");
    tg_repo(s, "axrepo");
    tg_file(s, "axrepo", "plan.txt", "the plan");
    tg_group(s, ti_as("ax-own"), "Ax admin area", NULL);
    tg_group(s, ti_as("ax-own"), "Ax legal area", NULL);
    tg_group(s, ti_as("ax-own"), "Ax private", ",\"private\":true");
    assert_int_equal(tg_put(s, ti_as("ax-own"), "Ax admin area", "group", "Ax legal area",
                            "reader", NULL), 200);
    assert_int_equal(tg_put(s, ti_as("ax-own"), "Ax admin area", "group", "Ax private", "reader",
                            NULL), 200);
    assert_int_equal(tg_put(s, ti_as("ax-own"), "Ax legal area", "user", "ax-l", "reader", NULL),
                     200);
    assert_int_equal(tg_put(s, ti_as("ax-own"), "Ax private", "user", "ax-p", "reader", NULL),
                     200);
    tg_grant(s, T_AUTH, "axrepo", "\"group\":\"Ax admin area\"", "read", NULL, 201);
    assert_int_equal(tg_read(s, "axrepo", "plan.txt", "ax-p"), 200);

    /* the chain: his entry in Legal, Legal's in Administration */
    j = tg_get(s, T_AUTH, "/api/v1/repositories/axrepo/access?user=ax-l&path=/plan.txt");
    assert_string_equal(json_string_value(json_object_get(j, "user")), "ax-l");
    assert_string_equal(json_string_value(json_object_get(j, "repository")), "axrepo");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "plan.txt");
    assert_true(json_is_true(json_object_get(j, "exists")));
    assert_true(tg_has_str(json_object_get(j, "faculties"), "read"));
    assert_false(tg_has_str(json_object_get(j, "faculties"), "write"));
    g = tg_find(json_object_get(j, "grants"), "group", "Ax admin area");
    assert_non_null(g);
    assert_string_equal(json_string_value(json_object_get(g, "path")), "");
    via = json_array_get(json_object_get(g, "via"), 0);
    assert_int_equal(json_array_size(via), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(via, 0), "group")),
                        "Ax legal area");
    assert_string_equal(json_string_value(json_object_get(json_array_get(via, 0), "section")),
                        "member");
    assert_string_equal(json_string_value(json_object_get(json_array_get(via, 1), "group")),
                        "Ax admin area");
    assert_non_null(strstr(json_string_value(json_object_get(j, "summary")), "ax-l may read"));
    json_decref(j);

    /* through a private group: the administrator learns the chain, not its name */
    ti_api(s, &r, "GET", "/api/v1/repositories/axrepo/access?user=ax-p&path=plan.txt", T_AUTH,
           NULL);
    ti_expect_status(&r, 200);
    assert_null(strstr(r.body, "Ax private"));
    j = ti_jbody(&r);
    t_resp_release(&r);
    g = tg_find(json_object_get(j, "grants"), "group", "Ax admin area");
    assert_non_null(g);
    via = json_array_get(json_object_get(g, "via"), 0);
    assert_true(json_is_null(json_object_get(json_array_get(via, 0), "group")));
    assert_true(json_is_true(json_object_get(json_array_get(via, 0), "hidden")));
    json_decref(j);
    /* who is in it sees the name */
    j = tg_get(s, ti_as("ax-p"), "/api/v1/repositories/axrepo/access?path=plan.txt");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_array_get(json_object_get(
                                json_array_get(json_object_get(j, "grants"), 0), "via"), 0), 0),
                            "group")), "Ax private");
    assert_null(json_object_get(j, "not_reaching"));   /* for managers only */
    json_decref(j);

    /* no access: the grants that do not reach him, and why */
    j = tg_get(s, T_AUTH, "/api/v1/repositories/axrepo/access?user=ax-n&path=plan.txt");
    assert_int_equal(json_array_size(json_object_get(j, "faculties")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "grants")), 0);
    e = tg_find(json_object_get(j, "not_reaching"), "group", "Ax admin area");
    assert_non_null(e);
    assert_true(json_is_false(json_object_get(e, "in_group")));
    assert_non_null(strstr(json_string_value(json_object_get(e, "reason")), "no entry"));
    assert_non_null(strstr(json_string_value(json_object_get(j, "summary")), "no access"));
    json_decref(j);

    /* who may ask */
    assert_int_equal(tg_call(s, "GET", ti_as("ax-l"), NULL,
                             "/api/v1/repositories/axrepo/access?user=ax-p&path=plan.txt"), 403);
    /* ax-own reads it (a member of Ax private, nested), but may not manage grants */
    assert_int_equal(tg_call(s, "GET", ti_as("ax-own"), NULL,
                             "/api/v1/repositories/axrepo/access?user=ax-l"), 403);
    assert_int_equal(tg_call(s, "GET", ti_as("ax-n"), NULL,
                             "/api/v1/repositories/axrepo/access"), 404);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL,
                             "/api/v1/repositories/axrepo/access?user=nobody-at-all"), 404);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL,
                             "/api/v1/repositories/axrepo/access?user=ax-l&path=a/../b"), 400);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL,
                             "/api/v1/repositories/axrepo/access?user=ax-l&path=a%%00b"), 400);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL,
                             "/api/v1/repositories/no-such-repo/access?user=ax-l"), 404);
}

/* ---- roles ---- */

static void
it_role_changes_take_effect_at_once(void **state)
{
    struct t_server *s = *state;
    json_t *j;

    ti_mkuser_pw(s, "rc-u", "external");
    ti_mkuser_pw(s, "rc-g", "external");
    tg_repo(s, "rcrepo");
    tg_file(s, "rcrepo", "f.txt", "first");
    tg_file(s, "rcrepo", "g.txt", "second");

    j = ti_api_json(s, "PUT", "/api/v1/element-roles/rc-custom", T_AUTH,
                    "{\"faculties\":[\"read\"],\"description\":\"test\"}", 200);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "rc-custom");
    assert_int_equal(json_array_size(json_object_get(j, "faculties")), 1);
    assert_true(json_is_false(json_object_get(j, "preset")));
    json_decref(j);
    tg_grant(s, T_AUTH, "rcrepo", "\"user\":\"rc-u\"", "rc-custom", NULL, 201);
    assert_int_equal(tg_read(s, "rcrepo", "f.txt", "rc-u"), 200);
    assert_int_equal(tg_dav(s, "PUT", "rcrepo", "f.txt", "rc-u", "changed"), 403);

    json_decref(ti_api_json(s, "PUT", "/api/v1/element-roles/rc-custom", T_AUTH,
                            "{\"faculties\":[\"read\",\"write\"]}", 200));
    assert_int_equal(tg_dav(s, "PUT", "rcrepo", "f.txt", "rc-u", "changed"), 204);
    json_decref(ti_api_json(s, "PUT", "/api/v1/element-roles/rc-custom", T_AUTH,
                            "{\"faculties\":[]}", 200));
    assert_int_equal(tg_read(s, "rcrepo", "f.txt", "rc-u"), 404);
    j = tg_get(s, ti_as("rc-u"), "/api/v1/element-roles/rc-custom");
    assert_int_equal(json_array_size(json_object_get(j, "faculties")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "description")), "test");
    json_decref(j);

    /* in use, preset, wrong: refused */
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/element-roles/rc-custom"), 409);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/element-roles/full"), 403);
    assert_int_equal(tg_call(s, "PUT", T_AUTH, "{\"faculties\":[\"read\"]}",
                             "/api/v1/element-roles/full"), 403);
    assert_int_equal(tg_call(s, "PUT", T_AUTH, "{\"faculties\":[\"fly\"]}",
                             "/api/v1/element-roles/rc-x"), 400);
    assert_int_equal(tg_call(s, "PUT", T_AUTH, "{\"faculties\":[\"read\"]}",
                             "/api/v1/element-roles/Bad%%20Name"), 400);
    assert_int_equal(tg_call(s, "PUT", ti_as("rc-u"), "{\"faculties\":[\"read\"]}",
                             "/api/v1/element-roles/rc-x"), 403);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/element-roles/rc-x"), 404);

    /* a group role's faculties too */
    json_decref(ti_api_json(s, "PUT", "/api/v1/group-roles/rc-gcustom", T_AUTH,
                            "{\"faculties\":[\"publish\"]}", 200));
    tg_group(s, T_AUTH, "Rc group", NULL);
    assert_int_equal(tg_put(s, T_AUTH, "Rc group", "user", "rc-g", "rc-gcustom", NULL), 200);
    tg_grant(s, T_AUTH, "rcrepo", "\"group\":\"Rc group\"", "read", "g.txt", 201);
    assert_int_equal(tg_read(s, "rcrepo", "g.txt", "rc-g"), 404);
    json_decref(ti_api_json(s, "PUT", "/api/v1/group-roles/rc-gcustom", T_AUTH,
                            "{\"faculties\":[\"read\"]}", 200));
    assert_int_equal(tg_read(s, "rcrepo", "g.txt", "rc-g"), 200);
    j = tg_get(s, ti_as("rc-g"), "/api/v1/group-roles");
    assert_true(tg_listed(j, "reader"));
    assert_true(tg_listed(j, "administrator"));
    assert_true(tg_listed(j, "publisher"));
    assert_true(tg_listed(j, "rc-gcustom"));
    json_decref(j);
    assert_int_equal(tg_call(s, "PUT", T_AUTH, "{\"faculties\":[\"write\"]}",
                             "/api/v1/group-roles/rc-x"), 400);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/group-roles/rc-gcustom"), 409);
    assert_int_equal(tg_del(s, T_AUTH, "Rc group", "user", "rc-g", NULL), 204);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/group-roles/rc-gcustom"), 204);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/group-roles/rc-gcustom"), 404);
}

/* ---- repositories ---- */

static void
it_repositories_create_read_patch_delete(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    json_t *j;

    ti_mkuser_pw(s, "rp-int", "internal");
    ti_mkuser_pw(s, "rp-ext", "external");
    ti_api(s, &r, "POST", "/api/v1/repositories", ti_as("rp-int"),
           "{\"name\":\"rp-shared\",\"quota\":5000}");
    ti_expect_status(&r, 201);
    assert_string_equal(t_header(&r, "Location"), "/api/v1/repositories/rp-shared");
    j = ti_jbody(&r);
    t_resp_release(&r);
    assert_string_equal(json_string_value(json_object_get(j, "owner")), "rp-int");
    assert_int_equal(json_integer_value(json_object_get(j, "quota")), 5000);
    assert_int_equal(json_integer_value(json_object_get(j, "used")), 0);
    json_decref(j);

    assert_int_equal(ti_api_status(s, "POST", "/api/v1/repositories", ti_as("rp-ext"),
                                   "{\"name\":\"rp-ext-own\"}"), 403);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/repositories", T_AUTH,
                                   "{\"name\":\"Bad Name\"}"), 400);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/repositories", T_AUTH,
                                   "{\"name\":\"rp-shared\"}"), 409);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/repositories", T_AUTH,
                                   "{\"name\":\"rp-int\"}"), 409);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/repositories", T_AUTH,
                                   "{\"name\":\"rp-q\",\"quota\":-1}"), 400);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/repositories", T_AUTH,
                                   "{\"name\":\"rp-q\",\"quota\":\"1k\"}"), 400);
    assert_int_equal(ti_api_status(s, "POST", "/api/v1/repositories", T_AUTH,
                                   "{\"name\":\"rp-q\",\"owner\":\"nobody-at-all\"}"), 404);
    j = ti_api_json(s, "POST", "/api/v1/repositories", T_AUTH,
                    "{\"name\":\"rp-other\",\"owner\":\"rp-ext\"}", 201);
    assert_string_equal(json_string_value(json_object_get(j, "owner")), "rp-ext");
    assert_true(json_is_null(json_object_get(j, "quota")));
    json_decref(j);

    /* who sees what */
    j = tg_get(s, T_AUTH, "/api/v1/repositories");
    assert_true(tg_listed(j, "rp-shared"));
    assert_true(tg_listed(j, "rp-other"));
    json_decref(j);
    j = tg_get(s, ti_as("rp-ext"), "/api/v1/repositories");
    assert_true(tg_listed(j, "rp-other"));
    assert_true(tg_listed(j, "rp-ext"));
    assert_false(tg_listed(j, "rp-shared"));
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", ti_as("rp-ext"), NULL, "/api/v1/repositories/rp-shared"),
                     404);
    j = tg_get(s, T_AUTH, "/api/v1/repositories?limit=1");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    const char *next = json_string_value(json_object_get(j, "next"));
    assert_non_null(next);
    json_t *j2 = tg_get(s, T_AUTH, "/api/v1/repositories?limit=1&cursor=%s", next);
    assert_string_not_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(j2, "items"), 0), "name")), next);
    json_decref(j2);
    json_decref(j);

    /* the bytes in use, the quota changed and removed */
    assert_int_equal(tg_dav(s, "PUT", "rp-shared", "ten.txt", "rp-int", "0123456789"), 201);
    j = tg_get(s, ti_as("rp-int"), "/api/v1/repositories/rp-shared");
    assert_int_equal(json_integer_value(json_object_get(j, "used")), 10);
    json_decref(j);
    j = ti_api_json(s, "PATCH", "/api/v1/repositories/rp-shared", ti_as("rp-int"),
                    "{\"quota\":100}", 200);
    assert_int_equal(json_integer_value(json_object_get(j, "quota")), 100);
    json_decref(j);
    j = ti_api_json(s, "PATCH", "/api/v1/repositories/rp-shared", ti_as("rp-int"),
                    "{\"quota\":null}", 200);
    assert_true(json_is_null(json_object_get(j, "quota")));
    json_decref(j);
    assert_int_equal(tg_call(s, "PATCH", ti_as("rp-int"), "{\"owner\":\"nobody-at-all\"}",
                             "/api/v1/repositories/rp-shared"), 404);
    assert_int_equal(tg_call(s, "PATCH", ti_as("rp-int"), "{\"name\":\"x\"}",
                             "/api/v1/repositories/rp-shared"), 400);
    assert_int_equal(tg_call(s, "PATCH", ti_as("rp-ext"), "{\"quota\":1}",
                             "/api/v1/repositories/rp-shared"), 404);
    j = ti_api_json(s, "PATCH", "/api/v1/repositories/rp-other", ti_as("rp-ext"),
                    "{\"quota\":2000}", 200);
    assert_int_equal(json_integer_value(json_object_get(j, "quota")), 2000);
    json_decref(j);

    assert_int_equal(tg_call(s, "DELETE", ti_as("rp-ext"), NULL, "/api/v1/repositories/rp-shared"),
                     404);
    assert_int_equal(tg_call(s, "DELETE", ti_as("rp-int"), NULL, "/api/v1/repositories/rp-shared"),
                     204);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/repositories/rp-shared"), 404);
    assert_int_equal(tg_read(s, "rp-shared", "ten.txt", "rp-int"), 404);
}

static void
it_grants_add_list_remove(void **state)
{
    struct t_server *s = *state;
    int64_t sub, other, priv;
    struct t_resp r;
    json_t *j, *g;

    ti_mkuser_pw(s, "gr-u", "external");
    ti_mkuser_pw(s, "gp-own", "internal");
    tg_repo(s, "grrepo");
    tg_repo(s, "grrepo2");
    tg_mkcol(s, "grrepo", "folder");
    tg_mkcol(s, "grrepo", "folder/sub");
    tg_file(s, "grrepo", "folder/sub/x.txt", "x");
    tg_mkcol(s, "grrepo", "other");
    tg_group(s, T_AUTH, "Gr team", NULL);

    ti_api(s, &r, "POST", "/api/v1/repositories/grrepo/grants", T_AUTH,
           "{\"group\":\"Gr team\",\"role\":\"read\",\"path\":\"/folder/sub/\"}");
    ti_expect_status(&r, 201);
    j = ti_jbody(&r);
    sub = json_integer_value(json_object_get(j, "id"));
    char loc[128];
    snprintf(loc, sizeof(loc), "/api/v1/repositories/grrepo/grants/%lld", (long long)sub);
    assert_string_equal(t_header(&r, "Location"), loc);
    t_resp_release(&r);
    assert_string_equal(json_string_value(json_object_get(j, "path")), "folder/sub");
    assert_string_equal(json_string_value(json_object_get(j, "group")), "Gr team");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "read");
    assert_string_equal(json_string_value(json_object_get(j, "creator")), "admin");
    assert_true(json_is_false(json_object_get(j, "personal")));
    json_decref(j);

    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"Gr team\"", "read", "folder/sub", 409);
    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"Gr team\"", "read", "folder/../other", 400);
    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"Gr team\"", "read", "folder//sub", 400);
    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"Gr team\"", "read", "./folder", 400);
    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"Gr team\"", "read", "missing", 404);
    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"Gr team\"", "nope", "folder", 400);
    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"No such team\"", "read", "folder", 404);
    tg_grant(s, T_AUTH, "grrepo", "\"group\":\"Gr team\",\"user\":\"gr-u\"", "read", NULL, 400);
    tg_grant(s, T_AUTH, "grrepo", "\"path\":\"folder\"", "read", NULL, 400);
    tg_grant(s, T_AUTH, "no-such-repo", "\"group\":\"Gr team\"", "read", NULL, 404);
    j = ti_api_json(s, "POST", "/api/v1/repositories/grrepo/grants", T_AUTH,
                    "{\"user\":\"gr-u\",\"role\":\"write\",\"path\":\"other\"}", 201);
    other = json_integer_value(json_object_get(j, "id"));
    assert_string_equal(json_string_value(json_object_get(j, "group")), "gr-u");
    assert_true(json_is_true(json_object_get(j, "personal")));
    json_decref(j);
    assert_int_equal(tg_dav(s, "PUT", "grrepo", "other/new.txt", "gr-u", "new"), 201);
    assert_int_equal(tg_read(s, "grrepo", "folder/sub/x.txt", "gr-u"), 404);

    /* the list: all of them, or those that apply to a path */
    j = tg_get(s, T_AUTH, "/api/v1/repositories/grrepo/grants");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 3);   /* admin's own too */
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/repositories/grrepo/grants?path=folder/sub/x.txt");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    assert_non_null(tg_find(json_object_get(j, "items"), "path", ""));
    assert_non_null(tg_find(json_object_get(j, "items"), "path", "folder/sub"));
    assert_null(tg_find(json_object_get(j, "items"), "path", "other"));
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", ti_as("gr-u"), NULL,
                             "/api/v1/repositories/grrepo/grants?path=other"), 403);

    /* a private group's grant is not shown to the administrator */
    tg_group(s, ti_as("gp-own"), "Gr private", ",\"private\":true");
    assert_int_equal(tg_put(s, ti_as("gp-own"), "Gr private", "user", "gp-own", "publisher",
                            "other"), 200);
    tg_grant(s, T_AUTH, "grrepo", "\"user\":\"gp-own\"", "full", NULL, 201);
    priv = tg_grant(s, ti_as("gp-own"), "grrepo", "\"group\":\"Gr private\"", "read", "folder",
                    201);
    ti_api(s, &r, "GET", "/api/v1/repositories/grrepo/grants", T_AUTH, NULL);
    ti_expect_status(&r, 200);
    assert_null(strstr(r.body, "Gr private"));
    t_resp_release(&r);
    j = tg_get(s, ti_as("gp-own"), "/api/v1/repositories/grrepo/grants?path=folder");
    g = tg_find(json_object_get(j, "items"), "group", "Gr private");
    assert_non_null(g);
    json_decref(j);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/repositories/grrepo/grants/%lld",
                             (long long)priv), 404);
    assert_int_equal(tg_call(s, "DELETE", ti_as("gp-own"), NULL,
                             "/api/v1/repositories/grrepo/grants/%lld", (long long)priv), 204);

    /* removing */
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/repositories/grrepo2/grants/%lld",
                             (long long)sub), 404);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/repositories/grrepo/grants/%lld",
                             (long long)sub), 204);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/repositories/grrepo/grants/%lld",
                             (long long)sub), 404);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/repositories/grrepo/grants/abc"),
                     404);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/repositories/grrepo/grants/%lld",
                             (long long)other), 405);
    assert_int_equal(tg_call(s, "DELETE", T_AUTH, NULL, "/api/v1/repositories/grrepo/grants/%lld",
                             (long long)other), 204);
    assert_int_equal(tg_dav(s, "PUT", "grrepo", "other/new2.txt", "gr-u", "new"), 404);
}

/* ---- the quick search ---- */

static void
it_principals_quick_search(void **state)
{
    struct t_server *s = *state;
    json_t *j, *items;
    size_t i;
    json_t *v;

    ti_mkuser_pw(s, "prq-ext", "external");
    ti_mkuser_pw(s, "prq-peer", "external");
    ti_mkuser_pw(s, "prq-far", "external");
    tg_group(s, T_AUTH, "Prq team", NULL);
    tg_group(s, T_AUTH, "Prq post", ",\"position\":true");
    assert_int_equal(tg_put(s, T_AUTH, "Prq team", "user", "prq-ext", "reader", NULL), 200);
    assert_int_equal(tg_put(s, T_AUTH, "Prq team", "user", "prq-peer", "reader", NULL), 200);

    j = tg_get(s, T_AUTH, "/api/v1/principals?q=PRQ");
    items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), 5);
    assert_string_equal(json_string_value(json_object_get(tg_find(items, "name", "Prq team"),
                                                          "kind")), "group");
    assert_string_equal(json_string_value(json_object_get(tg_find(items, "name", "prq-far"),
                                                          "kind")), "user");
    /* personal groups are not listed: their user is */
    json_array_foreach(items, i, v)
        if (strcmp(json_string_value(json_object_get(v, "name")), "prq-far") == 0)
            assert_string_equal(json_string_value(json_object_get(v, "kind")), "user");
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/principals?q=prq&kind=group");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/principals?q=prq&kind=user");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 3);
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/principals?q=prq&position=true");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    assert_true(tg_listed(j, "Prq post"));
    json_decref(j);
    j = tg_get(s, T_AUTH, "/api/v1/principals?q=prq&limit=2");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    json_decref(j);
    assert_int_equal(tg_call(s, "GET", T_AUTH, NULL, "/api/v1/principals?kind=robot"), 400);

    /* an external user finds his peers and his groups only */
    j = tg_get(s, ti_as("prq-ext"), "/api/v1/principals?q=prq");
    assert_true(tg_listed(j, "prq-ext"));
    assert_true(tg_listed(j, "prq-peer"));
    assert_true(tg_listed(j, "Prq team"));
    assert_false(tg_listed(j, "prq-far"));
    assert_false(tg_listed(j, "Prq post"));
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(it_group_create_read_patch_delete, ti_check_alive),
        cmocka_unit_test_teardown(it_group_members_put_change_remove, ti_check_alive),
        cmocka_unit_test_teardown(it_group_visibility_by_user_role, ti_check_alive),
        cmocka_unit_test_teardown(it_private_group_keeps_an_administrator, ti_check_alive),
        cmocka_unit_test_teardown(it_nesting_cycle_is_refused_and_changes_nothing,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_publisher_who_is_not_reader_grants_but_cannot_read,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_other_permissions_gain_nothing_in_the_parent,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_legal_area_nested_in_administration_area, ti_check_alive),
        cmocka_unit_test_teardown(it_position_change_moves_access_in_every_group,
                                  ti_check_alive),
        cmocka_unit_test_teardown(it_access_explains_the_group_chain, ti_check_alive),
        cmocka_unit_test_teardown(it_role_changes_take_effect_at_once, ti_check_alive),
        cmocka_unit_test_teardown(it_repositories_create_read_patch_delete, ti_check_alive),
        cmocka_unit_test_teardown(it_grants_add_list_remove, ti_check_alive),
        cmocka_unit_test_teardown(it_principals_quick_search, ti_check_alive),
    };

    return cmocka_run_group_tests(tests, ti_setup, t_teardown);
}
