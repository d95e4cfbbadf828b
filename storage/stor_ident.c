/*
 * stor_ident.c: the identity tables (schema step 2): user fields beyond the
 * basics, user roles, personal groups, credentials kept as hashes (app
 * passwords, API tokens, browser sessions, recovery codes, invitation
 * links) and the audit log.
 *
 * Storage never sees a secret: callers hand in hex digests. Every check
 * that must hold once only (a TOTP step, a recovery code, an invitation
 * link) is one conditional UPDATE, so two threads racing on the same code
 * cannot both win.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stor_int.h"
#include "coffer/log.h"
#include "coffer/banned.h"

/* ---- users ---- */

int
stor_user_set_field(struct stor_db *db, int64_t id, enum stor_user_field f, const char *value)
{
    sqlite3_stmt *st = NULL;

    switch (f) {
    case STOR_USER_DISPLAY_NAME:
        st = stor_sql(db, "UPDATE users SET display_name = ?2 WHERE id = ?1");
        break;
    case STOR_USER_EMAIL:
        st = stor_sql(db, "UPDATE users SET email = ?2 WHERE id = ?1");
        break;
    case STOR_USER_ROLE:
        st = stor_sql(db, "UPDATE users SET role = ?2 WHERE id = ?1");
        break;
    case STOR_USER_STATUS:
        st = stor_sql(db, "UPDATE users SET status = ?2, blocked_until = NULL WHERE id = ?1");
        break;
    case STOR_USER_CONTACT:
        st = stor_sql(db, "UPDATE users SET contact = CAST(?2 AS INTEGER) WHERE id = ?1");
        break;
    }
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    if (value != NULL)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    else if (f == STOR_USER_DISPLAY_NAME || f == STOR_USER_EMAIL)
        sqlite3_bind_text(st, 2, "", 0, SQLITE_STATIC);
    return stor_change(db, st, __func__);
}

int
stor_user_set_block(struct stor_db *db, int64_t id, bool block, int64_t until)
{
    sqlite3_stmt *st;

    if (block) {
        st = stor_sql(db, "UPDATE users SET status = 'blocked', blocked_until = ?2 WHERE id = ?1");
        if (st != NULL && until > 0)
            sqlite3_bind_int64(st, 2, until);
    } else {
        /* an invited user who never set a password stays invited */
        st = stor_sql(db, "UPDATE users SET blocked_until = NULL, status = CASE WHEN "
                          "pw_hash IS NULL THEN 'invited' ELSE 'active' END WHERE id = ?1");
    }
    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return stor_change(db, st, __func__);
}

int
stor_user_set_totp(struct stor_db *db, int64_t id, const char *secret, bool on)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE users SET totp_secret = ?2, totp_on = ?3 "
                                    "WHERE id = ?1");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    if (secret != NULL)
        sqlite3_bind_text(st, 2, secret, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, on);
    return stor_change(db, st, __func__);
}

int
stor_user_totp_use(struct stor_db *db, int64_t id, int64_t step)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE users SET totp_last = ?2 "
                                    "WHERE id = ?1 AND totp_last < ?2");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, step);
    rc = stor_change(db, st, __func__);
    return rc == -ENOENT ? -EALREADY : rc;
}

int
stor_user_touch_login(struct stor_db *db, int64_t id, int64_t now)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE users SET last_login = ?2 WHERE id = ?1");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    return stor_change(db, st, __func__);
}

int
stor_user_delete(struct stor_db *db, int64_t id)
{
    return stor_principal_delete(db, STOR_KIND_USER, id);
}

int
stor_users_count_role(struct stor_db *db, const char *role, int64_t *n)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT count(*) FROM users WHERE role = ?1 AND "
                                    "status = 'active'");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, role, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    stor_stmt_done(st);
    return rc == SQLITE_ROW ? 0 : stor_sqlite_err(db, rc, __func__);
}

int
stor_users_list(struct stor_db *db, enum stor_user_scope scope, int64_t viewer, const char *q,
                const char *after, unsigned limit, stor_user_fn fn, void *arg)
{
    /* ?1: only the viewer ?2 himself (STOR_USERS_SELF) */
    sqlite3_stmt *st = stor_sql(db,
        "SELECT " STOR_USER_COLS " FROM users u WHERE (?1 = 0 OR u.id = ?2) "
        "AND (?3 IS NULL OR instr(lower(u.login), lower(?3)) > 0 "
        "  OR instr(lower(u.display_name), lower(?3)) > 0 "
        "  OR instr(lower(u.email), lower(?3)) > 0) "
        "AND (?4 IS NULL OR u.login > ?4 COLLATE NOCASE) "
        "ORDER BY u.login COLLATE NOCASE LIMIT ?5");
    struct cf_pool *pool;
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    pool = cf_pool_new(4096);
    sqlite3_bind_int(st, 1, scope == STOR_USERS_SELF);
    sqlite3_bind_int64(st, 2, viewer);
    if (q != NULL && q[0] != '\0')
        sqlite3_bind_text(st, 3, q, -1, SQLITE_TRANSIENT);
    if (after != NULL && after[0] != '\0')
        sqlite3_bind_text(st, 4, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_user u;

        cf_pool_reset(pool);
        stor_user_from_row(st, pool, &u);
        if ((cb = fn(arg, &u)) != 0)
            break;
    }
    stor_stmt_done(st);
    cf_pool_free(pool);
    if (cb != 0)
        return cb < 0 ? cb : 0;     /* the callback stopped the walk */
    return rc == SQLITE_DONE ? 0 : stor_sqlite_err(db, rc, __func__);
}

/* ---- user roles ---- */

int
stor_role_get(struct stor_db *db, const char *name, uint32_t *faculties, bool *require_2fa)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT faculties, require_2fa FROM user_roles "
                                    "WHERE name = ?1");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *faculties = (uint32_t)sqlite3_column_int64(st, 0);
        if (require_2fa != NULL)
            *require_2fa = sqlite3_column_int(st, 1) != 0;
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : stor_sqlite_err(db, rc, __func__);
    }
    stor_stmt_done(st);
    return rc;
}

int
stor_roles_each(struct stor_db *db, stor_role_fn fn, void *arg)
{
    return stor_roles2_each(db, STOR_ROLES_USER, fn, arg);
}

int
stor_role_put(struct stor_db *db, const struct stor_role *r)
{
    uint32_t cur;
    bool cur2fa;
    sqlite3_stmt *st;
    int rc = stor_role_get(db, r->name, &cur, &cur2fa);

    if (rc < 0 && rc != -ENOENT)
        return rc;
    if (rc == 0) {
        st = stor_sql(db, "UPDATE user_roles SET faculties = CASE WHEN preset THEN faculties "
                          "ELSE ?2 END, require_2fa = ?3, description = coalesce(?4, description) "
                          "WHERE name = ?1 AND (NOT preset OR faculties = ?2)");
    } else {
        st = stor_sql(db, "INSERT INTO user_roles (name, faculties, require_2fa, description) "
                          "VALUES (?1, ?2, ?3, coalesce(?4, ''))");
    }
    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->faculties);
    sqlite3_bind_int(st, 3, r->require_2fa);
    if (r->description != NULL)
        sqlite3_bind_text(st, 4, r->description, -1, SQLITE_TRANSIENT);
    rc = stor_change(db, st, __func__);
    return rc == -ENOENT ? -EPERM : rc;     /* a preset's faculties stay */
}

int
stor_role_delete(struct stor_db *db, const char *name)
{
    return stor_role2_delete(db, STOR_ROLES_USER, name);
}

/* ---- personal groups ---- */

int
stor_group_create_personal(struct stor_db *db, int64_t user, const char *login, int64_t *gid)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    st = stor_sql(db, "INSERT INTO groups (name, personal, owner, created) VALUES (?1, 1, ?2, ?3)");
    if (st == NULL) {
        rc = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, user);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    if ((rc = stor_exec(db, st, __func__)) < 0)
        goto fail;
    *gid = sqlite3_last_insert_rowid(db->h);
    st = stor_sql(db, "INSERT INTO group_members (grp, kind, principal, role) "
                      "VALUES (?1, 'user', ?2, 'reader')");
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, *gid);
        sqlite3_bind_int64(st, 2, user);
    }
    if ((rc = stor_exec(db, st, __func__)) < 0)
        goto fail;
    return stor_db_commit(db);
fail:
    stor_db_rollback(db);
    return rc;
}

/* ---- app passwords and tokens ---- */

int
stor_cred_add(struct stor_db *db, enum stor_cred_kind kind, int64_t user, const char *name,
              const char *hash, int64_t expires, int64_t *id)
{
    sqlite3_stmt *st = kind == STOR_CRED_TOKEN
        ? stor_sql(db, "INSERT INTO tokens (user, name, hash, expires, created) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)")
        : stor_sql(db, "INSERT INTO app_passwords (user, name, hash, created) "
                       "VALUES (?1, ?2, ?3, ?5)");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, user);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
    if (kind == STOR_CRED_TOKEN && expires > 0)
        sqlite3_bind_int64(st, 4, expires);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    if ((rc = stor_exec(db, st, __func__)) < 0)
        return rc;
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

int
stor_cred_list(struct stor_db *db, enum stor_cred_kind kind, int64_t user, stor_cred_fn fn,
               void *arg)
{
    sqlite3_stmt *st = kind == STOR_CRED_TOKEN
        ? stor_sql(db, "SELECT id, name, created, coalesce(last_used, 0), coalesce(expires, 0) "
                       "FROM tokens WHERE user = ?1 ORDER BY id DESC")
        : stor_sql(db, "SELECT id, name, created, coalesce(last_used, 0), 0 "
                       "FROM app_passwords WHERE user = ?1 ORDER BY id DESC");
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, user);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_cred c = {
            .id = sqlite3_column_int64(st, 0),
            .user = user,
            .name = (const char *)sqlite3_column_text(st, 1),
            .created = sqlite3_column_int64(st, 2),
            .last_used = sqlite3_column_int64(st, 3),
            .expires = sqlite3_column_int64(st, 4),
        };
        if ((cb = fn(arg, &c)) != 0)
            break;
    }
    return stor_walk_end(db, st, rc, cb, __func__);
}

int
stor_cred_delete(struct stor_db *db, enum stor_cred_kind kind, int64_t user, int64_t id)
{
    sqlite3_stmt *st = kind == STOR_CRED_TOKEN
        ? stor_sql(db, "DELETE FROM tokens WHERE id = ?1 AND user = ?2")
        : stor_sql(db, "DELETE FROM app_passwords WHERE id = ?1 AND user = ?2");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, user);
    return stor_change(db, st, __func__);
}

int
stor_cred_find(struct stor_db *db, enum stor_cred_kind kind, const char *hash, int64_t now,
               int64_t *user, int64_t *id)
{
    /* RETURNING (SQLite 3.35) finds and records the use in one statement */
    sqlite3_stmt *st = kind == STOR_CRED_TOKEN
        ? stor_sql(db, "UPDATE tokens SET last_used = ?2 WHERE hash = ?1 AND "
                       "(expires IS NULL OR expires > ?2) RETURNING id, user")
        : stor_sql(db, "UPDATE app_passwords SET last_used = ?2 WHERE hash = ?1 AND "
                       "user = ?3 RETURNING id, user");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    if (kind == STOR_CRED_APP_PASSWORD)
        sqlite3_bind_int64(st, 3, *user);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *user = sqlite3_column_int64(st, 1);
        rc = sqlite3_step(st);      /* finish the statement */
    }
    stor_stmt_done(st);
    if (rc != SQLITE_DONE)
        return stor_sqlite_err(db, rc, __func__);
    return sqlite3_changes(db->h) > 0 ? 0 : -ENOENT;
}

/* ---- sessions ---- */

int
stor_session_add(struct stor_db *db, const char *hash, int64_t user, const char *csrf,
                 int64_t expires, bool remember, const char *peer)
{
    sqlite3_stmt *st = stor_sql(db, "INSERT INTO sessions (hash, user, csrf, created, expires, "
                                    "remember, peer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    sqlite3_stmt *purge = stor_sql(db, "DELETE FROM sessions WHERE expires <= ?1");

    if (st == NULL || purge == NULL)
        return -EIO;
    /* each login sweeps the expired sessions: the table never grows without end */
    sqlite3_bind_int64(purge, 1, (sqlite3_int64)time(NULL));
    stor_exec(db, purge, __func__);
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, user);
    sqlite3_bind_text(st, 3, csrf, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    sqlite3_bind_int64(st, 5, expires);
    sqlite3_bind_int(st, 6, remember);
    if (peer != NULL)
        sqlite3_bind_text(st, 7, peer, -1, SQLITE_TRANSIENT);
    return stor_exec(db, st, __func__);
}

int
stor_session_get(struct stor_db *db, const char *hash, int64_t now, struct cf_pool *pool,
                 int64_t *user, char **csrf)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT user, csrf FROM sessions WHERE hash = ?1 "
                                    "AND expires > ?2");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *user = sqlite3_column_int64(st, 0);
        *csrf = stor_col_text(st, 1, pool);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : stor_sqlite_err(db, rc, __func__);
    }
    stor_stmt_done(st);
    return rc;
}

int
stor_session_delete(struct stor_db *db, const char *hash)
{
    sqlite3_stmt *st = stor_sql(db, "DELETE FROM sessions WHERE hash = ?1");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    return stor_change(db, st, __func__);
}

int
stor_sessions_delete_user(struct stor_db *db, int64_t user)
{
    sqlite3_stmt *st = stor_sql(db, "DELETE FROM sessions WHERE user = ?1");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, user);
    return stor_exec(db, st, __func__);
}

/* ---- recovery codes ---- */

int
stor_recovery_set(struct stor_db *db, int64_t user, const char *const *hashes, size_t n)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    st = stor_sql(db, "DELETE FROM recovery_codes WHERE user = ?1");
    if (st != NULL)
        sqlite3_bind_int64(st, 1, user);
    if ((rc = stor_exec(db, st, __func__)) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        st = stor_sql(db, "INSERT INTO recovery_codes (user, hash) VALUES (?1, ?2)");
        if (st != NULL) {
            sqlite3_bind_int64(st, 1, user);
            sqlite3_bind_text(st, 2, hashes[i], -1, SQLITE_TRANSIENT);
        }
        if ((rc = stor_exec(db, st, __func__)) < 0)
            goto fail;
    }
    return stor_db_commit(db);
fail:
    stor_db_rollback(db);
    return rc;
}

int
stor_recovery_use(struct stor_db *db, int64_t user, const char *hash, int64_t now)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE recovery_codes SET used = ?3 WHERE user = ?1 "
                                    "AND hash = ?2 AND used IS NULL");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, user);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    return stor_change(db, st, __func__);
}

int
stor_recovery_left(struct stor_db *db, int64_t user, int64_t *n)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT count(*) FROM recovery_codes WHERE user = ?1 "
                                    "AND used IS NULL");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, user);
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    stor_stmt_done(st);
    return rc == SQLITE_ROW ? 0 : stor_sqlite_err(db, rc, __func__);
}

/* ---- invitation links ---- */

int
stor_invite_add(struct stor_db *db, const char *hash, int64_t user, const char *kind,
                int64_t inviter, int64_t expires)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = stor_db_begin(db)) < 0)
        return rc;
    /* a new link replaces the unused ones of the same kind */
    st = stor_sql(db, "DELETE FROM invitations WHERE user = ?1 AND kind = ?2 AND used IS NULL");
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, user);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    }
    if ((rc = stor_exec(db, st, __func__)) < 0)
        goto fail;
    st = stor_sql(db, "INSERT INTO invitations (hash, user, kind, inviter, created, expires) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (st != NULL) {
        sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, user);
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
        if (inviter > 0)
            sqlite3_bind_int64(st, 4, inviter);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
        sqlite3_bind_int64(st, 6, expires);
    }
    if ((rc = stor_exec(db, st, __func__)) < 0)
        goto fail;
    return stor_db_commit(db);
fail:
    stor_db_rollback(db);
    return rc;
}

int
stor_invite_get(struct stor_db *db, const char *hash, struct cf_pool *pool,
                struct stor_invite *out)
{
    sqlite3_stmt *st = stor_sql(db, "SELECT user, kind, coalesce(inviter, 0), created, expires, "
                                    "coalesce(used, 0) FROM invitations WHERE hash = ?1");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->user = sqlite3_column_int64(st, 0);
        out->kind = stor_col_text(st, 1, pool);
        out->inviter = sqlite3_column_int64(st, 2);
        out->created = sqlite3_column_int64(st, 3);
        out->expires = sqlite3_column_int64(st, 4);
        out->used = sqlite3_column_int64(st, 5);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : stor_sqlite_err(db, rc, __func__);
    }
    stor_stmt_done(st);
    return rc;
}

int
stor_invite_use(struct stor_db *db, const char *hash, int64_t now)
{
    sqlite3_stmt *st = stor_sql(db, "UPDATE invitations SET used = ?2 WHERE hash = ?1 "
                                    "AND used IS NULL");
    int rc;

    if (st == NULL)
        return -EIO;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    rc = stor_change(db, st, __func__);
    return rc == -ENOENT ? -EALREADY : rc;
}

/* ---- audit log ---- */

int
stor_audit_add(struct stor_db *db, const struct stor_audit *a)
{
    sqlite3_stmt *st = stor_sql(db, "INSERT INTO audit (at, actor, action, target, peer, detail) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

    if (st == NULL)
        return -EIO;
    sqlite3_bind_int64(st, 1, a->at > 0 ? a->at : (sqlite3_int64)time(NULL));
    if (a->actor != NULL)
        sqlite3_bind_text(st, 2, a->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, a->action, -1, SQLITE_TRANSIENT);
    if (a->target != NULL)
        sqlite3_bind_text(st, 4, a->target, -1, SQLITE_TRANSIENT);
    if (a->peer != NULL)
        sqlite3_bind_text(st, 5, a->peer, -1, SQLITE_TRANSIENT);
    if (a->detail != NULL)
        sqlite3_bind_text(st, 6, a->detail, -1, SQLITE_TRANSIENT);
    return stor_exec(db, st, __func__);
}

int
stor_audit_list(struct stor_db *db, const char *actor, const char *target, const char *action,
                int64_t since, int64_t until, int64_t before_id, unsigned limit,
                int (*fn)(void *arg, const struct stor_audit *a), void *arg)
{
    sqlite3_stmt *st = stor_sql(db,
        "SELECT id, at, actor, action, target, peer, detail FROM audit WHERE "
        "(?1 IS NULL OR actor = ?1 COLLATE NOCASE) AND (?2 IS NULL OR target = ?2 COLLATE NOCASE) "
        "AND (?3 IS NULL OR action = ?3 OR (substr(?3, -1) = '.' AND "
        "     substr(action, 1, length(?3)) = ?3)) "
        "AND (?4 = 0 OR at >= ?4) AND (?5 = 0 OR at <= ?5) AND (?6 = 0 OR id < ?6) "
        "ORDER BY id DESC LIMIT ?7");
    int rc, cb = 0;

    if (st == NULL)
        return -EIO;
    if (actor != NULL)
        sqlite3_bind_text(st, 1, actor, -1, SQLITE_TRANSIENT);
    if (target != NULL)
        sqlite3_bind_text(st, 2, target, -1, SQLITE_TRANSIENT);
    if (action != NULL)
        sqlite3_bind_text(st, 3, action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, since);
    sqlite3_bind_int64(st, 5, until);
    sqlite3_bind_int64(st, 6, before_id);
    sqlite3_bind_int64(st, 7, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct stor_audit a = {
            .id = sqlite3_column_int64(st, 0),
            .at = sqlite3_column_int64(st, 1),
            .actor = (const char *)sqlite3_column_text(st, 2),
            .action = (const char *)sqlite3_column_text(st, 3),
            .target = (const char *)sqlite3_column_text(st, 4),
            .peer = (const char *)sqlite3_column_text(st, 5),
            .detail = (const char *)sqlite3_column_text(st, 6),
        };
        if ((cb = fn(arg, &a)) != 0)
            break;
    }
    return stor_walk_end(db, st, rc, cb, __func__);
}
