/*
 * acl_group.c: groups, their entries, repositories, grants and roles, with
 * the rights of groups.h. Each change: check, one transaction, audit, then
 * (committed) patch the engine and bump the epoch.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl_int.h"
#include "coffer/groups.h"
#include "coffer/log.h"
#include "coffer/banned.h"

static int
acl_g_fail(struct acl_ident *x, int err, const char *why)
{
    x->why = why;
    return err;
}

/* The system (cofferctl, actor 0) is trusted with everything. */
static bool
acl_g_system(const struct acl_ident *x)
{
    return x->actor_id == 0;
}

static bool
acl_g_in(struct acl_ident *x, int64_t gid)
{
    return x->engine != NULL && acl_engine_in_group(x->engine, x->actor_id, gid);
}

static unsigned
acl_g_fac(struct acl_ident *x, int64_t gid)
{
    return x->engine != NULL ? acl_engine_group_faculties(x->engine, x->actor_id, gid) : 0;
}

bool
acl_group_visible(struct acl_ident *x, uint32_t ufac, const struct stor_group *g)
{
    if (acl_g_system(x) || acl_g_in(x, g->id))
        return true;
    if (g->private_)
        return false;           /* not even administrators */
    if (ufac & (ACL_U_ADMIN | ACL_U_SEE_GROUPS))
        return true;
    if (g->personal && g->owner > 0) {
        /* a personal group is as visible as its user */
        struct stor_user u;
        struct cf_pool *pool = cf_pool_new(512);
        bool seen = false;

        if (stor_user_get_by_id(x->db, g->owner, pool, &u) == 0)
            seen = acl_user_seen(x, ufac, u.id);
        cf_pool_free(pool);
        return seen;
    }
    return false;
}

int
acl_group_find(struct acl_ident *x, uint32_t ufac, const char *name, struct cf_pool *pool,
               struct stor_group *out)
{
    int rc = stor_group_get(x->db, name, 0, pool, out);

    if (rc == 0 && !acl_group_visible(x, ufac, out))
        rc = -ENOENT;
    if (rc == -ENOENT)
        x->why = "there is no such group";
    else if (rc < 0)
        x->why = "the database could not be read";
    return rc;
}

bool
acl_group_name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    bool blank = true;

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20 || c == 0x7f || c == '/')
            return false;
        if (c != ' ')
            blank = false;
    }
    return !blank && name[0] != ' ' && name[n - 1] != ' ';
}

bool
acl_colour_ok(const char *c)
{
    if (c == NULL || strlen(c) != 7 || c[0] != '#')
        return false;
    for (int i = 1; i < 7; i++)
        if (!((c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f') ||
              (c[i] >= 'A' && c[i] <= 'F')))
            return false;
    return true;
}

/* May the actor change group g (entries, flags) or delete it? 0 or an error. */
static int
acl_g_may_admin(struct acl_ident *x, uint32_t ufac, const struct stor_group *g)
{
    if (g->personal)
        return acl_g_fail(x, -EPERM, "a personal group is kept by the system: its user is "
                          "its only member");
    if (acl_g_system(x) || (acl_g_fac(x, g->id) & ACL_G_ADMIN))
        return 0;
    if (!g->private_ && (ufac & ACL_U_ADMIN))
        return 0;
    return acl_g_fail(x, -EACCES, "you need the administrator group role in this group");
}

/* Counts the user members of gid holding a role with the administer faculty, but skip. */
static int
acl_g_admins(struct acl_ident *x, int64_t gid, int64_t skip_user, int *n)
{
    int64_t cnt = 0;
    int rc = stor_group_admins(x->db, gid, skip_user, &cnt);

    *n = (int)cnt;
    return rc;
}

int
acl_group_create(struct acl_ident *x, uint32_t ufac, const struct stor_group *g, int64_t *id)
{
    struct stor_member m;
    int rc;

    if (!acl_g_system(x) && !(ufac & ACL_U_CREATE_GROUPS))
        return acl_g_fail(x, -EACCES, "your user role does not allow creating groups");
    if (!acl_group_name_ok(g->name))
        return acl_g_fail(x, -EINVAL, "a group name is 1 to 64 characters, without '/' or "
                          "control characters, not starting or ending with a space");
    if (g->colour != NULL && !acl_colour_ok(g->colour))
        return acl_g_fail(x, -EINVAL, "a colour is written #rrggbb");
    if (g->private_ && acl_g_system(x))
        return acl_g_fail(x, -EINVAL, "a private group needs a member holding the "
                          "administrator role: create it as that user");
    if ((rc = stor_db_begin(x->db)) < 0)
        return acl_g_fail(x, rc, "the database is busy: try again");
    if ((rc = stor_group_create(x->db, g, id)) < 0) {
        stor_db_rollback(x->db);
        /* a private group's name is not told: the same answer as any taken name */
        return acl_g_fail(x, rc, rc == -EEXIST ? "a group (or user) of that name exists"
                                               : "the database could not save the group");
    }
    m = (struct stor_member){ *id, STOR_KIND_USER, x->actor_id, "administrator",
                              g->private_ ? STOR_SECTION_MEMBER : STOR_SECTION_OTHER };
    if (!acl_g_system(x) && (rc = stor_member_put(x->db, &m)) < 0) {
        stor_db_rollback(x->db);
        return acl_g_fail(x, rc, "the database could not save the group");
    }
    acl_audit(x, "group.create", g->name, g->private_ ? "private" : NULL);
    if ((rc = stor_db_commit(x->db)) < 0)
        return acl_g_fail(x, rc, "the database could not save the group");
    if (x->engine != NULL) {
        struct stor_group ng = *g;

        ng.id = *id;
        acl_engine_group_put(x->engine, &ng);
        if (!acl_g_system(x))
            acl_engine_member_put(x->engine, &m);
    }
    acl_changed_picture(x);
    return 0;
}

/* Loads group gid as the actor may see it. */
static int
acl_g_load(struct acl_ident *x, uint32_t ufac, int64_t gid, struct cf_pool *pool,
           struct stor_group *g)
{
    int rc = stor_group_get(x->db, NULL, gid, pool, g);

    if (rc == 0 && !acl_group_visible(x, ufac, g))
        rc = -ENOENT;
    if (rc == -ENOENT)
        return acl_g_fail(x, rc, "there is no such group");
    return rc < 0 ? acl_g_fail(x, rc, "the database could not be read") : 0;
}

int
acl_group_update(struct acl_ident *x, uint32_t ufac, int64_t gid, const struct stor_group *g)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_group cur, ng;
    int rc, admins;

    if ((rc = acl_g_load(x, ufac, gid, pool, &cur)) < 0 ||
        (rc = acl_g_may_admin(x, ufac, &cur)) < 0)
        goto out;
    if (g->name != NULL && !acl_group_name_ok(g->name)) {
        rc = acl_g_fail(x, -EINVAL, "a group name is 1 to 64 characters, without '/' or "
                        "control characters, not starting or ending with a space");
        goto out;
    }
    if (g->colour != NULL && !acl_colour_ok(g->colour)) {
        rc = acl_g_fail(x, -EINVAL, "a colour is written #rrggbb");
        goto out;
    }
    if (g->private_ && !cur.private_) {
        if ((rc = acl_g_admins(x, gid, 0, &admins)) < 0)
            goto out;
        if (admins == 0) {
            rc = acl_g_fail(x, -EPERM, "a private group needs a member holding the "
                            "administrator role: add one first");
            goto out;
        }
    }
    ng = *g;
    ng.id = gid;
    if ((rc = stor_group_update(x->db, &ng)) < 0) {
        x->why = rc == -EEXIST ? "a group of that name exists" : "the database failed";
        goto out;
    }
    acl_audit(x, "group.update", g->name != NULL ? g->name : cur.name,
              g->private_ != cur.private_ ? (g->private_ ? "made private" : "made public")
                                          : NULL);
    if (x->engine != NULL) {
        ng.name = g->name != NULL ? g->name : cur.name;
        ng.personal = cur.personal;
        acl_engine_group_put(x->engine, &ng);
    }
    acl_changed_picture(x);
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_group_delete(struct acl_ident *x, uint32_t ufac, int64_t gid)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_group cur;
    int rc;

    if ((rc = acl_g_load(x, ufac, gid, pool, &cur)) < 0 ||
        (rc = acl_g_may_admin(x, ufac, &cur)) < 0)
        goto out;
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((rc = stor_group_delete(x->db, gid)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not remove the group";
        goto out;
    }
    acl_audit(x, "group.delete", cur.name, NULL);
    if ((rc = stor_db_commit(x->db)) < 0) {
        x->why = "the database could not remove the group";
        goto out;
    }
    if (x->engine != NULL)
        acl_engine_group_remove(x->engine, gid);
    acl_changed_picture(x);
out:
    cf_pool_free(pool);
    return rc;
}

/* "user alice" / "group Legal area" for the audit log. */
static const char *
acl_g_principal(struct acl_ident *x, struct cf_pool *pool, enum stor_kind kind, int64_t id)
{
    if (kind == STOR_KIND_USER) {
        struct stor_user u;

        if (stor_user_get_by_id(x->db, id, pool, &u) == 0)
            return cf_pool_printf(pool, "user %s", u.login);
    } else {
        struct stor_group g;

        if (stor_group_get(x->db, NULL, id, pool, &g) == 0)
            return cf_pool_printf(pool, "group %s", g.name);
    }
    return cf_pool_printf(pool, "%s #%" PRId64, kind == STOR_KIND_USER ? "user" : "group", id);
}

/*
 * Would removing (or demoting, with role) the entry leave private group g
 * without a member holding the administrator faculty?
 */
static int
acl_g_last_admin(struct acl_ident *x, const struct stor_group *g, const struct stor_member *m,
                 const char *role)
{
    uint32_t fac = 0;
    int admins, rc;

    if (!g->private_ || m->kind != STOR_KIND_USER || m->section != STOR_SECTION_MEMBER)
        return 0;
    if (role != NULL && stor_role2_get(x->db, STOR_ROLES_GROUP, role, &fac) == 0 &&
        (fac & ACL_G_ADMIN))
        return 0;               /* stays an administrator */
    if ((rc = acl_g_admins(x, g->id, m->principal, &admins)) < 0)
        return acl_g_fail(x, rc, "the database could not be read");
    if (admins == 0)
        return acl_g_fail(x, -EPERM, "a private group must keep a member holding the "
                          "administrator role: give the role to another member first");
    return 0;
}

int
acl_member_put(struct acl_ident *x, uint32_t ufac, const struct stor_member *m)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_group g, child;
    uint32_t fac;
    int rc;

    if ((rc = acl_g_load(x, ufac, m->grp, pool, &g)) < 0 ||
        (rc = acl_g_may_admin(x, ufac, &g)) < 0)
        goto out;
    if (m->role == NULL || stor_role2_get(x->db, STOR_ROLES_GROUP, m->role, &fac) < 0) {
        rc = acl_g_fail(x, -EINVAL, "there is no such group role");
        goto out;
    }
    if (m->kind == STOR_KIND_GROUP) {
        if (m->section != STOR_SECTION_MEMBER) {
            rc = acl_g_fail(x, -EINVAL, "a group can only be in the members section (other "
                            "permissions are for users)");
            goto out;
        }
        if ((rc = acl_g_load(x, ufac, m->principal, pool, &child)) < 0)
            goto out;
        if (x->engine != NULL ? acl_engine_would_cycle(x->engine, m->principal, m->grp)
                              : stor_group_would_cycle(x->db, m->principal, m->grp)) {
            rc = acl_g_fail(x, -ELOOP, "this would nest the group inside itself (a cycle)");
            goto out;
        }
    } else {
        struct stor_user u;

        if (stor_user_get_by_id(x->db, m->principal, pool, &u) < 0) {
            rc = acl_g_fail(x, -ENOENT, "there is no such user");
            goto out;
        }
    }
    if ((rc = acl_g_last_admin(x, &g, m, m->role)) < 0)
        goto out;
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((rc = stor_member_put(x->db, m)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the entry";
        goto out;
    }
    acl_audit(x, "group.member-put", g.name,
              cf_pool_printf(pool, "%s as %s (%s)", acl_g_principal(x, pool, m->kind,
                             m->principal), m->role,
                             m->section == STOR_SECTION_OTHER ? "other permissions" : "member"));
    if ((rc = stor_db_commit(x->db)) < 0) {
        x->why = "the database could not save the entry";
        goto out;
    }
    if (x->engine != NULL)
        acl_engine_member_put(x->engine, m);
    acl_changed_picture(x);
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_member_remove(struct acl_ident *x, uint32_t ufac, int64_t gid, enum stor_kind kind,
                  int64_t principal, enum stor_section section)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_member m = { gid, kind, principal, NULL, section };
    struct stor_group g;
    int rc;

    if ((rc = acl_g_load(x, ufac, gid, pool, &g)) < 0)
        goto out;
    /* a user may always leave a group himself; otherwise the group's administrators decide */
    if (!(kind == STOR_KIND_USER && principal == x->actor_id && !g.personal) &&
        (rc = acl_g_may_admin(x, ufac, &g)) < 0)
        goto out;
    if ((rc = acl_g_last_admin(x, &g, &m, NULL)) < 0)
        goto out;
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((rc = stor_member_remove(x->db, gid, kind, principal, section)) < 0) {
        stor_db_rollback(x->db);
        x->why = rc == -ENOENT ? "there is no such entry in the group"
                               : "the database could not remove the entry";
        goto out;
    }
    acl_audit(x, "group.member-remove", g.name, acl_g_principal(x, pool, kind, principal));
    if ((rc = stor_db_commit(x->db)) < 0) {
        x->why = "the database could not remove the entry";
        goto out;
    }
    if (x->engine != NULL)
        acl_engine_member_remove(x->engine, gid, kind, principal, section);
    acl_changed_picture(x);
out:
    cf_pool_free(pool);
    return rc;
}

/* ---- repositories ---- */

/* The grant of full control to user's personal group on the whole of repo. */
static int
acl_g_owner_grant(struct acl_ident *x, struct stor_repo *repo, int64_t user,
                  struct stor_grant *out)
{
    struct cf_pool *pool = cf_pool_new(512);
    struct stor_user u;
    struct stor_group g;
    int rc;

    if ((rc = stor_user_get_by_id(x->db, user, pool, &u)) < 0 ||
        (rc = stor_group_get(x->db, u.login, 0, pool, &g)) < 0 || !g.personal ||
        g.owner != user) {
        cf_pool_free(pool);
        return rc < 0 ? rc : -ENOENT;
    }
    *out = (struct stor_grant){ .repo = repo->id, .path = "", .grp = g.id, .role = "full" };
    rc = stor_grant_add(x->db, repo, "", g.id, "full", x->actor, &out->id);
    cf_pool_free(pool);
    return rc;
}

int
acl_repo_grant_owner(struct acl_ident *x, struct stor_repo *repo, int64_t user)
{
    struct stor_grant g;
    int rc = acl_g_owner_grant(x, repo, user, &g);

    if (rc == 0 && x->engine != NULL)
        acl_engine_grant_put(x->engine, &g);
    return rc;
}

int
acl_repo_create(struct acl_ident *x, uint32_t ufac, const char *name, int64_t owner,
                uint64_t quota, struct stor_repo **out)
{
    struct stor_grant g;
    struct stor_repo *r;
    int rc;

    if (!acl_g_system(x) && !(ufac & ACL_U_CREATE_REPOS))
        return acl_g_fail(x, -EACCES, "your user role does not allow creating repositories");
    if (!stor_repo_name_ok(cf_str_from(name)))
        return acl_g_fail(x, -EINVAL, "a repository name is 1 to 64 of a-z, 0-9, '.', '_' "
                          "and '-', not starting with '.'");
    if (owner == 0)
        owner = x->actor_id;
    if (owner == 0)
        return acl_g_fail(x, -EINVAL, "name the owner of the repository");
    if ((rc = stor_db_begin(x->db)) < 0)
        return acl_g_fail(x, rc, "the database is busy: try again");
    if ((rc = stor_repo_create(x->repos, x->db, name, owner, quota, &r)) < 0) {
        stor_db_rollback(x->db);
        return acl_g_fail(x, rc, rc == -EEXIST ? "a repository (or user) of that name exists"
                                               : "the repository could not be created");
    }
    if ((rc = acl_g_owner_grant(x, r, owner, &g)) < 0) {
        stor_db_rollback(x->db);
        return acl_g_fail(x, rc, "the owner's grant could not be saved");
    }
    acl_audit(x, "repository.create", name, NULL);
    if ((rc = stor_db_commit(x->db)) < 0)
        return acl_g_fail(x, rc, "the repository could not be saved");
    if (x->engine != NULL)
        acl_engine_grant_put(x->engine, &g);
    acl_changed_picture(x);
    if (out != NULL)
        *out = r;
    return 0;
}

/* The administer user faculty, or manage on the repository's root. */
static int
acl_g_may_manage(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo, const char *path)
{
    if (acl_g_system(x) || (ufac & ACL_U_ADMIN))
        return 0;
    if (x->engine != NULL && acl_check(x->engine, x->actor_id, repo, path, ACL_MANAGE))
        return 0;
    return acl_g_fail(x, -EACCES, "you need the manage faculty here (an element role like "
                      "full control)");
}

int
acl_repo_update(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo, uint64_t quota,
                int64_t owner)
{
    int rc;

    if ((rc = acl_g_may_manage(x, ufac, repo, "")) < 0)
        return rc;
    if ((rc = stor_db_begin(x->db)) < 0)
        return acl_g_fail(x, rc, "the database is busy: try again");
    if (quota != UINT64_MAX && (rc = stor_repo_set_quota(x->repos, x->db, repo, quota)) < 0)
        goto fail;
    if (owner > 0 && (rc = stor_repo_set_owner(x->repos, x->db, repo, owner)) < 0)
        goto fail;
    /* the new owner gets full control, as the maker had (unless he has a grant there) */
    if (owner > 0 && (rc = acl_repo_grant_owner(x, repo, owner)) < 0 && rc != -EEXIST)
        goto fail;
    if (quota == UINT64_MAX && owner <= 0) {
        stor_db_rollback(x->db);
        return 0;               /* nothing to change */
    }
    acl_audit(x, "repository.update", repo->name,
              quota != UINT64_MAX ? (owner > 0 ? "quota, owner" : "quota") : "owner");
    if ((rc = stor_db_commit(x->db)) < 0)
        return acl_g_fail(x, rc, "the database could not save the change");
    acl_changed_picture(x);
    return 0;
fail:
    stor_db_rollback(x->db);
    return acl_g_fail(x, rc, "the database could not save the change");
}

int
acl_repo_delete(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo)
{
    int rc;

    if ((rc = acl_g_may_manage(x, ufac, repo, "")) < 0)
        return rc;
    if ((rc = stor_db_begin(x->db)) < 0)
        return acl_g_fail(x, rc, "the database is busy: try again");
    if ((rc = stor_repo_delete_row(x->db, repo)) < 0) {
        stor_db_rollback(x->db);
        return acl_g_fail(x, rc, "the database could not remove the repository");
    }
    acl_audit(x, "repository.delete", repo->name, NULL);
    if ((rc = stor_db_commit(x->db)) < 0)
        return acl_g_fail(x, rc, "the database could not remove the repository");
    stor_repos_forget(x->repos, repo, true);
    if (x->engine != NULL)
        acl_engine_reload_grants(x->engine, x->db, repo);
    acl_changed_picture(x);
    return 0;
}

/* ---- grants ---- */

/* May the actor include (or exclude) group g here? */
static int
acl_g_may_publish(struct acl_ident *x, uint32_t ufac, const struct stor_group *g,
                  struct stor_repo *repo, const char *path)
{
    bool publish;

    if (acl_g_system(x))
        return 0;
    if ((ufac & ACL_U_ADMIN) && !g->private_)
        return 0;
    /* a personal group is included by anyone who may see its user: sharing with a person */
    publish = (acl_g_fac(x, g->id) & ACL_G_PUBLISH) || (g->personal &&
                                                       acl_group_visible(x, ufac, g));
    if (!publish)
        return acl_g_fail(x, -EACCES, "you need the publisher group role in that group to "
                          "include it");
    if (x->engine == NULL || !acl_check(x->engine, x->actor_id, repo, path, ACL_MANAGE))
        return acl_g_fail(x, -EACCES, "you need the manage faculty here (an element role "
                          "like full control)");
    return 0;
}

int
acl_grant_add(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo, const char *path,
              int64_t gid, const char *role, int64_t *id)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_group g;
    struct stor_grant ng;
    uint32_t fac;
    int rc;

    if ((rc = acl_g_load(x, ufac, gid, pool, &g)) < 0 ||
        (rc = acl_g_may_publish(x, ufac, &g, repo, path)) < 0)
        goto out;
    if (role == NULL || stor_role2_get(x->db, STOR_ROLES_ELEMENT, role, &fac) < 0) {
        rc = acl_g_fail(x, -EINVAL, "there is no such element role");
        goto out;
    }
    {
        struct stor_stat st;

        /* a grant names something that is there (it gets its file id) */
        if (stor_stat(repo, path, &st) < 0) {
            rc = acl_g_fail(x, -ENOENT, "there is no such file or folder");
            goto out;
        }
    }
    if ((rc = stor_grant_add(x->db, repo, path, gid, role, x->actor, id)) < 0) {
        x->why = rc == -EEXIST ? "that group has a grant there already: remove it first to "
                                 "change its role"
                               : "the database could not save the grant";
        goto out;
    }
    acl_audit(x, "grant.add", repo->name,
              cf_pool_printf(pool, "/%s: group %s as %s", path, g.name, role));
    ng = (struct stor_grant){ .id = *id, .repo = repo->id, .path = path, .grp = gid,
                              .role = role };
    if (x->engine != NULL)
        acl_engine_grant_put(x->engine, &ng);
    acl_changed_picture(x);
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_grant_remove(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo, int64_t id)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_grant gr;
    struct stor_group g;
    int rc;

    if ((rc = stor_grant_get(x->db, id, pool, &gr)) < 0 || gr.repo != repo->id) {
        rc = acl_g_fail(x, -ENOENT, "there is no such grant in this repository");
        goto out;
    }
    if ((rc = acl_g_load(x, ufac, gr.grp, pool, &g)) < 0) {
        rc = acl_g_fail(x, -ENOENT, "there is no such grant in this repository");
        goto out;
    }
    if ((rc = acl_g_may_publish(x, ufac, &g, repo, gr.path)) < 0)
        goto out;
    if ((rc = stor_grant_delete(x->db, id)) < 0) {
        x->why = "the database could not remove the grant";
        goto out;
    }
    acl_audit(x, "grant.remove", repo->name,
              cf_pool_printf(pool, "/%s: group %s as %s", gr.path, g.name, gr.role));
    if (x->engine != NULL)
        acl_engine_grant_remove(x->engine, id);
    acl_changed_picture(x);
out:
    cf_pool_free(pool);
    return rc;
}

/* ---- the private-group rule, for changes that reach it indirectly ---- */

int
acl_keep_private_admins_begin(struct acl_ident *x, int64_t *before)
{
    int rc;

    if ((rc = stor_db_begin(x->db)) < 0)
        return acl_g_fail(x, rc, "the database is busy: try again");
    if ((rc = stor_groups_without_admin(x->db, before)) < 0) {
        stor_db_rollback(x->db);
        return acl_g_fail(x, rc, "the database could not be read");
    }
    return 0;
}

int
acl_keep_private_admins_commit(struct acl_ident *x, int64_t before)
{
    int64_t after;
    int rc;

    if ((rc = stor_groups_without_admin(x->db, &after)) < 0) {
        stor_db_rollback(x->db);
        return acl_g_fail(x, rc, "the database could not be read");
    }
    if (after > before) {
        /* no name: the group may be private to the one asking */
        stor_db_rollback(x->db);
        return acl_g_fail(x, -EPERM, "this would leave a private group without a member "
                          "holding the administrator role; its members must give the role to "
                          "another member first");
    }
    if ((rc = stor_db_commit(x->db)) < 0)
        return acl_g_fail(x, rc, "the database could not save the change");
    return 0;
}

/* ---- roles ---- */

int
acl_roles2_put(struct acl_ident *x, uint32_t ufac, enum stor_role_kind k,
               const struct stor_role *r)
{
    int64_t before;
    int rc;

    if (!acl_g_system(x) && !(ufac & ACL_U_ADMIN))
        return acl_g_fail(x, -EACCES, "only administrators change roles");
    if (!acl_login_ok(cf_str_from(r->name)))
        return acl_g_fail(x, -EINVAL, "a role name is 1 to 64 of a-z, 0-9, '.', '_' and '-'");
    if ((rc = acl_keep_private_admins_begin(x, &before)) < 0)
        return rc;
    if ((rc = stor_role2_put(x->db, k, r)) < 0) {
        stor_db_rollback(x->db);
        return acl_g_fail(x, rc, rc == -EPERM ? "the faculties of a preset role cannot change"
                                              : "the database could not save the role");
    }
    /* a group role losing the administer faculty must not orphan a private group */
    if ((rc = acl_keep_private_admins_commit(x, before)) < 0)
        return rc;
    acl_audit(x, k == STOR_ROLES_GROUP ? "group-role.put" : "element-role.put", r->name, NULL);
    if (x->engine != NULL)
        acl_engine_roles_reload(x->engine, x->db);
    acl_changed_picture(x);
    return 0;
}

int
acl_roles2_delete(struct acl_ident *x, uint32_t ufac, enum stor_role_kind k, const char *name)
{
    int rc;

    if (!acl_g_system(x) && !(ufac & ACL_U_ADMIN))
        return acl_g_fail(x, -EACCES, "only administrators change roles");
    if ((rc = stor_role2_delete(x->db, k, name)) < 0)
        return acl_g_fail(x, rc == -EBUSY ? -EEXIST : rc,
                          rc == -EPERM ? "a preset role cannot be deleted"
                          : rc == -EBUSY ? "the role is still in use: change those entries or "
                                           "grants first"
                          : rc == -ENOENT ? "there is no such role"
                                          : "the database could not remove the role");
    acl_audit(x, k == STOR_ROLES_GROUP ? "group-role.delete" : "element-role.delete", name,
              NULL);
    if (x->engine != NULL)
        acl_engine_roles_reload(x->engine, x->db);
    acl_changed_picture(x);
    return 0;
}
