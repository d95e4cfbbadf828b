/*
 * stor_group.c: the tables of the role engine (schema step 3): groups and
 * their entries, group roles and element roles, grants.
 *
 * Group entries name their principal without a foreign key (a user or a
 * group), so removing a group removes the entries that name it here.
 * Grants on a file or folder reference its file id (table nodes): a MOVE
 * carries them, a DELETE removes them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stor_int.h"
#include "coffer/log.h"
#include "coffer/banned.h"

/* ---- groups ---- */

#define STOR_GROUP_COLS "id, name, colour, personal, position, private, coalesce(owner, 0), created"

static void
stor_group_row(sqlite3_stmt *st, struct stor_group *g)
{
    g->id = sqlite3_column_int64(st, 0);
    g->name = (const char *)sqlite3_column_text(st, 1);
    g->colour = (const char *)sqlite3_column_text(st, 2);
    g->personal = sqlite3_column_int(st, 3) != 0;
    g->position = sqlite3_column_int(st, 4) != 0;
    g->private_ = sqlite3_column_int(st, 5) != 0;
    g->owner = sqlite3_column_int64(st, 6);
    g->created = sqlite3_column_int64(st, 7);
}

int
stor_group_create(struct stor_db *db, const struct stor_group *g, int64_t *id)
{
    sqlite3_stmt *st = stor_sql(db, "INSERT INTO groups (name, colour, position, private, "
                                    "created) VALUES (?1, coalesce(?2, '#607d8b'), ?3, ?4, ?5)");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, g->name, -1, SQLITE_TRANSIENT);
    if (g->colour != NULL)
        sqlite3_bind_text(st, 2, g->colour, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, g->position);
    sqlite3_bind_int(st, 4, g->private_);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    if ((rc = stor_exec(db, st, __func__)) < 0)
        return rc;
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

int
stor_group_get(struct stor_db *db, const char *name, int64_t id, struct cf_pool *pool,
               struct stor_group *out)
{
    sqlite3_stmt *st = name != NULL
        ? stor_sql(db, "SELECT " STOR_GROUP_COLS " FROM groups WHERE name = ?1")
        : stor_sql(db, "SELECT " STOR_GROUP_COLS " FROM groups WHERE id = ?2");
    int rc;

    if (st == NULL)
        return -EIO;
    if (name != NULL)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 2, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        stor_group_row(st, out);
        out->name = cf_pool_strndup(pool, out->name, strlen(out->name));
        out->colour = cf_pool_strndup(pool, out->colour, strlen(out->colour));
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : stor_sqlite_err(db, rc, __func__);
    }
    stor_stmt_done(st);
    return rc;
}

int
stor_group_update(struct stor_db *db, const struct stor_group *g)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE groups SET name = coalesce(?2, name), "
                                    "colour = coalesce(?3, colour), position = ?4, "
                                    "private = ?5 WHERE id = ?1");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, g->id);
    if (g->name != NULL)
        sqlite3_bind_text(st, 2, g->name, -1, SQLITE_TRANSIENT);
    if (g->colour != NULL)
        sqlite3_bind_text(st, 3, g->colour, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, g->position);
    sqlite3_bind_int(st, 5, g->private_);
    return stor_change(db, st, __func__);
}

int
stor_principal_delete(struct stor_db *db, enum stor_kind kind, int64_t id)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    /*
     * Entries name principals without a foreign key (users or groups): the
     * ones naming it go here; its own entries and grants go by cascade.
     */
    st = stor_sql(db, "DELETE FROM group_members WHERE kind = ?1 AND principal = ?2");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, kind == STOR_KIND_USER ? "user" : "group", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
    }
    if ((rc = stor_exec(db, st, __func__)) < 0)
        goto fail;
    st = kind == STOR_KIND_USER ? stor_sql(db, "DELETE FROM users WHERE id = ?1")
                                : stor_sql(db, "DELETE FROM groups WHERE id = ?1");
    if (st != NULL)
        sqlite3_bind_int64(st, 1, id);
    if ((rc = stor_change(db, st, __func__)) < 0)
        goto fail;
    return stor_db_commit(db);
fail:
    stor_db_rollback(db);
    return rc;
}

int
stor_group_delete(struct stor_db *db, int64_t id)
{
    return stor_principal_delete(db, STOR_KIND_GROUP, id);
}

int
stor_groups_each(struct stor_db *db, stor_group_fn fn, void *arg)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT " STOR_GROUP_COLS " FROM groups ORDER BY name");
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_group g;

        stor_group_row(st, &g);
        if ((cb = fn(arg, &g)) != 0)
            break;
    }
    return stor_walk_end(db, st, rc, cb, __func__);
}

/* ---- entries ---- */

static const char *const stor_kinds[] = { "user", "group" };
static const char *const stor_sections[] = { "member", "other" };

int
stor_member_put(struct stor_db *db, const struct stor_member *m)
{
    sqlite3_stmt *st = stor_sql(db, "INSERT INTO group_members (grp, kind, principal, role, "
                                    "section) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT "
                                    "(grp, kind, principal, section) DO UPDATE SET role = ?4");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, m->grp);
    sqlite3_bind_text(st, 2, stor_kinds[m->kind], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->principal);
    sqlite3_bind_text(st, 4, m->role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, stor_sections[m->section], -1, SQLITE_STATIC);
    return stor_exec(db, st, __func__);
}

int
stor_member_remove(struct stor_db *db, int64_t grp, enum stor_kind kind, int64_t principal,
                   enum stor_section section)
{
    sqlite3_stmt *st = stor_sql(db, "DELETE FROM group_members WHERE grp = ?1 AND kind = ?2 "
                                    "AND principal = ?3 AND section = ?4");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, grp);
    sqlite3_bind_text(st, 2, stor_kinds[kind], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, principal);
    sqlite3_bind_text(st, 4, stor_sections[section], -1, SQLITE_STATIC);
    return stor_change(db, st, __func__);
}

int
stor_members_each(struct stor_db *db, int64_t grp, stor_member_fn fn, void *arg)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT grp, kind = 'group', principal, role, "
                                    "section = 'other' FROM group_members "
                                    "WHERE ?1 = 0 OR grp = ?1 ORDER BY grp, kind, principal");
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, grp);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_member m = {
            .grp = sqlite3_column_int64(st, 0),
            .kind = sqlite3_column_int(st, 1) ? STOR_KIND_GROUP : STOR_KIND_USER,
            .principal = sqlite3_column_int64(st, 2),
            .role = (const char *)sqlite3_column_text(st, 3),
            .section = sqlite3_column_int(st, 4) ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER,
        };
        if ((cb = fn(arg, &m)) != 0)
            break;
    }
    return stor_walk_end(db, st, rc, cb, __func__);
}

int
stor_group_admins(struct stor_db *db, int64_t grp, int64_t skip_user, int64_t *n)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT count(*) FROM group_members m JOIN group_roles r "
                                    "ON r.name = m.role WHERE m.grp = ?1 AND m.kind = 'user' "
                                    "AND m.section = 'member' AND (r.faculties & 2) != 0 "
                                    "AND m.principal != ?2");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, grp);
    sqlite3_bind_int64(st, 2, skip_user);
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    stor_stmt_done(st);
    return rc == SQLITE_ROW ? 0 : stor_sqlite_err(db, rc, __func__);
}

int
stor_entries_remove_except(struct stor_db *db, enum stor_kind kind, int64_t principal,
                           int64_t keep_grp)
{
    sqlite3_stmt *st = stor_sql(db, "DELETE FROM group_members WHERE kind = ?1 AND "
                                    "principal = ?2 AND grp != ?3");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, stor_kinds[kind], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, principal);
    sqlite3_bind_int64(st, 3, keep_grp);
    return stor_exec(db, st, __func__);
}

int
stor_groups_without_admin(struct stor_db *db, int64_t *n)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT count(*) FROM groups g WHERE g.private AND NOT "
                                    "EXISTS (SELECT 1 FROM group_members m JOIN group_roles r "
                                    "ON r.name = m.role WHERE m.grp = g.id AND m.kind = 'user' "
                                    "AND m.section = 'member' AND (r.faculties & 2) != 0)");
    int rc;

    if (st == NULL)
        return -EIO;
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    stor_stmt_done(st);
    return rc == SQLITE_ROW ? 0 : stor_sqlite_err(db, rc, __func__);
}

bool
stor_group_would_cycle(struct stor_db *db, int64_t child, int64_t parent)
{
    /* the groups parent is nested in, transitively, and parent itself */
    sqlite3_stmt *st = stor_sql(db, "WITH RECURSIVE up(g) AS (SELECT ?1 UNION "
                                    "SELECT m.grp FROM group_members m JOIN up ON "
                                    "m.kind = 'group' AND m.principal = up.g) "
                                    "SELECT 1 FROM up WHERE g = ?2");
    bool cycle;

    if (st == NULL)
        return true;            /* fail closed */
    sqlite3_bind_int64(st, 1, parent);
    sqlite3_bind_int64(st, 2, child);
    cycle = sqlite3_step(st) != SQLITE_DONE;
    stor_stmt_done(st);
    return cycle;
}

int
stor_entries_of(struct stor_db *db, enum stor_kind kind, int64_t principal, stor_member_fn fn,
                void *arg)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT grp, role, section = 'other' FROM group_members "
                                    "WHERE kind = ?1 AND principal = ?2 ORDER BY grp");
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, stor_kinds[kind], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, principal);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_member m = {
            .grp = sqlite3_column_int64(st, 0),
            .kind = kind,
            .principal = principal,
            .role = (const char *)sqlite3_column_text(st, 1),
            .section = sqlite3_column_int(st, 2) ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER,
        };
        if ((cb = fn(arg, &m)) != 0)
            break;
    }
    return stor_walk_end(db, st, rc, cb, __func__);
}

/* ---- group roles and element roles ---- */

int
stor_role2_get(struct stor_db *db, enum stor_role_kind k, const char *name, uint32_t *faculties)
{
    sqlite3_stmt *st = k == STOR_ROLES_GROUP
        ? stor_sql(db, "SELECT faculties FROM group_roles WHERE name = ?1")
        : stor_sql(db, "SELECT faculties FROM element_roles WHERE name = ?1");
    int rc;

    if (k == STOR_ROLES_USER)
        return -EINVAL;         /* user roles: stor_role_*() */
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *faculties = (uint32_t)sqlite3_column_int64(st, 0);
    stor_stmt_done(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -ENOENT : stor_sqlite_err(db, rc, __func__);
}

int
stor_roles2_each(struct stor_db *db, enum stor_role_kind k, stor_role_fn fn, void *arg)
{
    sqlite3_stmt *st = k == STOR_ROLES_GROUP
        ? stor_sql(db, "SELECT name, faculties, preset, description, 0 FROM group_roles "
                       "ORDER BY preset DESC, name")
        : k == STOR_ROLES_ELEMENT
        ? stor_sql(db, "SELECT name, faculties, preset, description, 0 FROM element_roles "
                       "ORDER BY preset DESC, name")
        : stor_sql(db, "SELECT name, faculties, preset, description, require_2fa "
                       "FROM user_roles ORDER BY preset DESC, name");
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_role r = {
            .name = (const char *)sqlite3_column_text(st, 0),
            .faculties = (uint32_t)sqlite3_column_int64(st, 1),
            .preset = sqlite3_column_int(st, 2) != 0,
            .description = (const char *)sqlite3_column_text(st, 3),
            .require_2fa = sqlite3_column_int(st, 4) != 0,
        };
        if ((cb = fn(arg, &r)) != 0)
            break;
    }
    return stor_walk_end(db, st, rc, cb, __func__);
}

int
stor_role2_put(struct stor_db *db, enum stor_role_kind k, const struct stor_role *r)
{
    sqlite3_stmt *st = k == STOR_ROLES_GROUP
        ? stor_sql(db, "INSERT INTO group_roles (name, faculties, description) "
                       "VALUES (?1, ?2, coalesce(?3, '')) ON CONFLICT (name) DO UPDATE SET "
                       "faculties = ?2, description = coalesce(?3, description) "
                       "WHERE NOT preset OR faculties = ?2")
        : stor_sql(db, "INSERT INTO element_roles (name, faculties, description) "
                       "VALUES (?1, ?2, coalesce(?3, '')) ON CONFLICT (name) DO UPDATE SET "
                       "faculties = ?2, description = coalesce(?3, description) "
                       "WHERE NOT preset OR faculties = ?2");
    int rc;

    if (k == STOR_ROLES_USER)
        return -EINVAL;         /* user roles: stor_role_*() */
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->faculties);
    if (r->description != NULL)
        sqlite3_bind_text(st, 3, r->description, -1, SQLITE_TRANSIENT);
    rc = stor_change(db, st, __func__);
    return rc == -ENOENT ? -EPERM : rc;     /* the upsert's WHERE kept a preset */
}

int
stor_role2_delete(struct stor_db *db, enum stor_role_kind k, const char *name)
{
    sqlite3_stmt *st = k == STOR_ROLES_GROUP
        ? stor_sql(db, "SELECT preset, EXISTS (SELECT 1 FROM group_members WHERE role = ?1) "
                       "FROM group_roles WHERE name = ?1")
        : k == STOR_ROLES_ELEMENT
        ? stor_sql(db, "SELECT preset, EXISTS (SELECT 1 FROM grants WHERE role = ?1) "
                       "FROM element_roles WHERE name = ?1")
        : stor_sql(db, "SELECT preset, EXISTS (SELECT 1 FROM users WHERE role = ?1) "
                       "FROM user_roles WHERE name = ?1");
    int rc, preset = 0, used = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        preset = sqlite3_column_int(st, 0);
        used = sqlite3_column_int(st, 1);
    }
    stor_stmt_done(st);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    if (rc != SQLITE_ROW)
        return stor_sqlite_err(db, rc, __func__);
    if (preset)
        return -EPERM;
    if (used)
        return -EBUSY;
    st = k == STOR_ROLES_GROUP
        ? stor_sql(db, "DELETE FROM group_roles WHERE name = ?1 AND NOT preset")
        : k == STOR_ROLES_ELEMENT
        ? stor_sql(db, "DELETE FROM element_roles WHERE name = ?1 AND NOT preset")
        : stor_sql(db, "DELETE FROM user_roles WHERE name = ?1 AND NOT preset");
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    return stor_change(db, st, __func__);
}

/* ---- grants ---- */

#define STOR_GRANT_COLS \
    "g.id, g.repo, CASE WHEN n.id IS NULL THEN '' WHEN n.dir = '' THEN n.name " \
    "ELSE n.dir || '/' || n.name END, g.grp, g.role, g.created, g.creator"

static void
stor_grant_row(sqlite3_stmt *st, struct stor_grant *g)
{
    g->id = sqlite3_column_int64(st, 0);
    g->repo = sqlite3_column_int64(st, 1);
    g->path = (const char *)sqlite3_column_text(st, 2);
    g->grp = sqlite3_column_int64(st, 3);
    g->role = (const char *)sqlite3_column_text(st, 4);
    g->created = sqlite3_column_int64(st, 5);
    g->creator = (const char *)sqlite3_column_text(st, 6);
}

int
stor_grant_add(struct stor_db *db, struct stor_repo *repo, const char *path, int64_t grp,
               const char *role, const char *creator, int64_t *id)
{
    sqlite3_stmt *st;
    int64_t node = 0;
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    if (path[0] != '\0' && (rc = stor_node_id(db, repo, path, true, &node)) < 0)
        goto fail;
    st = stor_sql(db, "INSERT INTO grants (repo, node, grp, role, created, creator) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (st == NULL) {
        rc = -EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, repo->id);
    if (node > 0)
        sqlite3_bind_int64(st, 2, node);
    sqlite3_bind_int64(st, 3, grp);
    sqlite3_bind_text(st, 4, role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    if (creator != NULL)
        sqlite3_bind_text(st, 6, creator, -1, SQLITE_TRANSIENT);
    if ((rc = stor_exec(db, st, __func__)) < 0)
        goto fail;
    *id = sqlite3_last_insert_rowid(db->h);
    return stor_db_commit(db);
fail:
    stor_db_rollback(db);
    return rc;
}

int
stor_grant_get(struct stor_db *db, int64_t id, struct cf_pool *pool, struct stor_grant *out)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT " STOR_GRANT_COLS " FROM grants g "
                                    "LEFT JOIN nodes n ON n.id = g.node WHERE g.id = ?1");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        stor_grant_row(st, out);
        out->path = cf_pool_strndup(pool, out->path, strlen(out->path));
        out->role = cf_pool_strndup(pool, out->role, strlen(out->role));
        if (out->creator != NULL)
            out->creator = cf_pool_strndup(pool, out->creator, strlen(out->creator));
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : stor_sqlite_err(db, rc, __func__);
    }
    stor_stmt_done(st);
    return rc;
}

int
stor_grant_delete(struct stor_db *db, int64_t id)
{
    sqlite3_stmt *st = stor_sql(db, "DELETE FROM grants WHERE id = ?1");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return stor_change(db, st, __func__);
}

int
stor_grants_each(struct stor_db *db, int64_t repo, stor_grant_fn fn, void *arg)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT " STOR_GRANT_COLS " FROM grants g "
                                    "LEFT JOIN nodes n ON n.id = g.node "
                                    "WHERE ?1 = 0 OR g.repo = ?1 ORDER BY g.repo, 3, g.id");
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, repo);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_grant g;

        stor_grant_row(st, &g);
        if ((cb = fn(arg, &g)) != 0)
            break;
    }
    return stor_walk_end(db, st, rc, cb, __func__);
}
