/*
 * acl_user.c: identity (see ident.h): users, user roles, the password
 * policy, app passwords, API tokens, the second factor, invitation links,
 * blocking, the audit log, and the auth epoch shared between processes.
 *
 * Secrets are made with randombytes_buf and shown once; the database keeps
 * their SHA-256 only. Unlike account passwords these secrets carry 100 bits
 * or more of randomness, so a fast hash is enough: nobody can guess one
 * from its hash.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "acl_int.h"
#include "coffer/acl.h"
#include "coffer/groups.h"
#include "coffer/ident.h"
#include "coffer/log.h"
#include "coffer/totp.h"
#include "coffer/banned.h"

/* ---- faculties ---- */

static const char *const acl_user_faculty_names[] = {
    "administer", "create-groups", "create-repositories", "upload",
    "see-all-users", "see-all-groups", "see-group-peers", "personal-repository",
};

const char *
acl_user_faculty_name(uint32_t bit)
{
    for (unsigned i = 0; i < sizeof(acl_user_faculty_names) / sizeof(acl_user_faculty_names[0]);
         i++)
        if (bit == 1u << i)
            return acl_user_faculty_names[i];
    return NULL;
}

uint32_t
acl_user_faculty_parse(const char *name)
{
    for (unsigned i = 0; i < sizeof(acl_user_faculty_names) / sizeof(acl_user_faculty_names[0]);
         i++)
        if (strcmp(name, acl_user_faculty_names[i]) == 0)
            return 1u << i;
    return 0;
}

/* ---- the auth epoch ---- */

struct acl_epoch {
    unsigned *v;                /* mapped MAP_SHARED: every process sees the same word */
};

int
acl_epoch_open(const char *data_dir, struct acl_epoch **out)
{
    char path[PATH_MAX];
    struct acl_epoch *e;
    int fd;
    void *m;

    if ((size_t)snprintf(path, sizeof(path), "%s/auth.epoch", data_dir) >= sizeof(path))
        return -ENAMETOOLONG;
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        int err = -errno;
        cf_log_errno(CF_LOG_ERR, "cannot open '%s'", path);
        return err;
    }
    if (ftruncate(fd, 4096) < 0 ||
        (m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        int err = -errno;
        cf_log_errno(CF_LOG_ERR, "cannot map '%s'", path);
        close(fd);
        return err;
    }
    close(fd);
    e = cf_xcalloc(1, sizeof(*e));
    e->v = m;
    *out = e;
    return 0;
}

void
acl_epoch_free(struct acl_epoch *e)
{
    if (e == NULL)
        return;
    munmap(e->v, 4096);
    free(e);
}

/* Word 0 counts credential changes, word 1 changes of the picture (groups,
 * grants, repositories): a group change keeps the verified logins cached. */
unsigned
acl_epoch_get(const struct acl_epoch *e)
{
    return __atomic_load_n(&e->v[0], __ATOMIC_ACQUIRE);
}

unsigned
acl_epoch_picture(const struct acl_epoch *e)
{
    return __atomic_load_n(&e->v[1], __ATOMIC_ACQUIRE);
}

unsigned
acl_epoch_bump_picture(struct acl_epoch *e)
{
    return e != NULL ? __atomic_add_fetch(&e->v[1], 1, __ATOMIC_ACQ_REL) : 0;
}

unsigned
acl_epoch_bump(struct acl_epoch *e)
{
    if (e == NULL)
        return 0;
    __atomic_add_fetch(&e->v[0], 1, __ATOMIC_ACQ_REL);
    return acl_epoch_bump_picture(e);
}

/* ---- audit ---- */

void
acl_audit(struct acl_ident *x, const char *action, const char *target, const char *detail)
{
    struct stor_audit a = {
        .at = (int64_t)time(NULL),
        .actor = x->actor,
        .action = action,
        .target = target,
        .peer = x->peer,
        .detail = detail,
    };

    if (stor_audit_add(x->db, &a) < 0)
        cf_log(CF_LOG_ERR, "audit: could not record %s of '%s' by '%s'", action,
               target ? target : "-", x->actor ? x->actor : "system");
}

void
acl_changed(struct acl_ident *x)
{
    unsigned v = acl_epoch_bump(x->epoch);

    if (x->engine != NULL && v != 0)
        acl_engine_epoch_note(x->engine, v);
}

void
acl_changed_picture(struct acl_ident *x)
{
    unsigned v = acl_epoch_bump_picture(x->epoch);

    if (x->engine != NULL && v != 0)
        acl_engine_epoch_note(x->engine, v);
}

/* Sets x->why and returns err. */
static int
acl_fail(struct acl_ident *x, int err, const char *why)
{
    x->why = why;
    return err;
}

/* ---- validation ---- */

bool
acl_login_ok(struct cf_str login)
{
    /* a login names the personal repository too: the same alphabet */
    if (login.len == 0 || login.len > 64)
        return false;
    if (!((login.p[0] >= 'a' && login.p[0] <= 'z') || (login.p[0] >= '0' && login.p[0] <= '9')))
        return false;
    return stor_repo_name_ok(login);
}

bool
acl_email_ok(const char *email)
{
    size_t n = strlen(email), at = 0, ats = 0;

    if (n < 3 || n > 254)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)email[i];

        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == '"' ||
            c == '(' || c == ')' || c == ';' || c == '\\')
            return false;
        if (c == '@') {
            at = i;
            ats++;
        }
    }
    return ats == 1 && at > 0 && at < n - 1;
}

/* The passwords tried first by every guesser (lower case; compared without case). */
static const char *const acl_common_passwords[] = {
    "123456", "123456789", "12345678", "1234567890", "12345", "1234567", "password",
    "password1", "password123", "passw0rd", "qwerty", "qwertyuiop", "qwerty123",
    "1q2w3e4r", "1q2w3e4r5t", "abc123", "abcd1234", "111111", "000000", "123123",
    "1234512345", "letmein", "welcome", "welcome1", "welcome123", "iloveyou", "admin",
    "admin123", "administrator", "monkey", "dragon", "football", "baseball", "sunshine",
    "princess", "master", "shadow", "superman", "trustno1", "starwars", "michael",
    "whatever", "zaq12wsx", "asdfghjkl", "changeme", "changeme123", "secret", "secret123",
    "test1234", "testtest", "p@ssw0rd", "p@ssword", "passwort", "motdepasse", "contrasena",
    "987654321", "0987654321", "aaaaaaaaaa", "qwertzuiop", "azertyuiop", "summer2024",
    "winter2024", "spring2024", "autumn2024", "summer2025", "winter2025", "summer2026",
    "winter2026", "coffer", "coffer123", "webdav", "webdav123", "letmein123",
};

int
acl_password_policy(const struct cf_conf *conf, const char *login, const char *email,
                    const char *pw, const char **why)
{
    size_t bytes = strlen(pw), chars = 0;

    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)pw[i] & 0xc0) != 0x80)
            chars++;
    if (chars < conf->password_min) {
        *why = "the password is too short";
        return -EINVAL;
    }
    if (bytes > 1024) {
        *why = "the password is longer than 1024 bytes";
        return -EINVAL;
    }
    for (size_t i = 0; i < bytes; i++)
        if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f) {
            *why = "the password contains a control character";
            return -EINVAL;
        }
    if (login != NULL && strcasecmp(pw, login) == 0) {
        *why = "the password must not be the login";
        return -EINVAL;
    }
    if (email != NULL && email[0] != '\0' && strcasecmp(pw, email) == 0) {
        *why = "the password must not be the email address";
        return -EINVAL;
    }
    for (size_t i = 0; i < sizeof(acl_common_passwords) / sizeof(acl_common_passwords[0]); i++)
        if (strcasecmp(pw, acl_common_passwords[i]) == 0) {
            *why = "the password is one of the most common passwords; choose another";
            return -EINVAL;
        }
    return 0;
}

/* ---- users ---- */

uint32_t
acl_role_faculties(struct stor_db *db, const char *name, bool *require_2fa)
{
    uint32_t f = 0;

    if (name == NULL || stor_role_get(db, name, &f, require_2fa) < 0)
        return 0;
    return f;
}

enum stor_user_scope
acl_user_scope(uint32_t faculties)
{
    if (faculties & (ACL_U_ADMIN | ACL_U_SEE_USERS))
        return STOR_USERS_ALL;
    if (faculties & ACL_U_SEE_PEERS)
        return STOR_USERS_PEERS;
    return STOR_USERS_SELF;
}

bool
acl_user_seen(struct acl_ident *x, uint32_t ufac, int64_t user)
{
    switch (acl_user_scope(ufac)) {
    case STOR_USERS_ALL:
        return true;
    case STOR_USERS_PEERS:
        return user == x->actor_id ||
               (x->engine != NULL && acl_engine_peers(x->engine, x->actor_id, user));
    default:
        return user == x->actor_id;
    }
}

bool
acl_user_may_login(const struct stor_user *u, int64_t now, char *why, size_t whylen)
{
    if (strcmp(u->status, "active") == 0)
        return true;
    if (strcmp(u->status, "blocked") == 0) {
        if (u->blocked_until > 0 && u->blocked_until <= now)
            return true;        /* the block has run out */
        if (u->blocked_until > 0) {
            struct tm tm;
            char when[32];
            time_t t = (time_t)u->blocked_until;

            gmtime_r(&t, &tm);
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
            snprintf(why, whylen, "this account is blocked until %s", when);
        } else {
            snprintf(why, whylen, "this account is blocked; ask an administrator");
        }
        return false;
    }
    if (strcmp(u->status, "invited") == 0)
        snprintf(why, whylen, "this account is not activated yet: use the link in the "
                 "invitation email");
    else
        snprintf(why, whylen, "this account is closed");
    return false;
}

int
acl_user_add(struct acl_ident *x, const struct acl_user_new *n, int64_t *id)
{
    char hash[ACL_HASH_MAX];
    struct stor_repo *repo = NULL;
    uint32_t fac;
    int64_t gid, grant = 0;
    int rc;

    if (n->login == NULL || !acl_login_ok(cf_str_from(n->login)))
        return acl_fail(x, -EINVAL, "a login is 1 to 64 of a-z, 0-9, '.', '_' and '-', "
                        "starting with a letter or digit");
    if (n->email == NULL || !acl_email_ok(n->email))
        return acl_fail(x, -EINVAL, "the email address is not valid");
    if (n->role == NULL || stor_role_get(x->db, n->role, &fac, NULL) < 0)
        return acl_fail(x, -EINVAL, "there is no such user role");
    if (n->display_name != NULL && strlen(n->display_name) > 200)
        return acl_fail(x, -EINVAL, "the display name is longer than 200 bytes");
    if (n->password != NULL) {
        if ((rc = acl_password_policy(x->conf, n->login, n->email, n->password, &x->why)) < 0)
            return rc;
        if (acl_password_hash(n->password, strlen(n->password), x->conf->argon2_ops,
                              x->conf->argon2_mem, hash) < 0)
            return acl_fail(x, -ENOMEM, "the password could not be hashed");
    }
    if ((fac & ACL_U_PERSONAL_REPO) && x->repos != NULL &&
        stor_repos_find(x->repos, cf_str_from(n->login)) != NULL)
        return acl_fail(x, -EEXIST, "a repository of that name exists already");
    if ((rc = stor_db_begin(x->db)) < 0)
        return acl_fail(x, rc, "the database is busy");
    rc = stor_user_create(x->db, n->login, n->display_name ? n->display_name : n->login,
                          n->email, n->role, n->password ? hash : NULL, id);
    if (rc == -EEXIST) {
        x->why = "a user with that login exists already";
        goto fail;
    }
    if (rc < 0)
        goto fail_db;
    if (n->password == NULL &&
        (rc = stor_user_set_field(x->db, *id, STOR_USER_STATUS, "invited")) < 0)
        goto fail_db;
    if (n->contact > 0) {
        char c[24];
        snprintf(c, sizeof(c), "%" PRId64, n->contact);
        if ((rc = stor_user_set_field(x->db, *id, STOR_USER_CONTACT, c)) < 0)
            goto fail_db;
    }
    rc = stor_group_create_personal(x->db, *id, n->login, &gid);
    if (rc == -EEXIST) {
        x->why = "a group with that name exists already";
        goto fail;
    }
    if (rc < 0)
        goto fail_db;
    if ((fac & ACL_U_PERSONAL_REPO) && x->repos != NULL) {
        /* last: it makes a directory, and nothing after it can fail but the commit */
        rc = stor_repo_create(x->repos, x->db, n->login, *id, 0, &repo);
        if (rc == -EEXIST) {
            x->why = "a repository of that name exists already";
            goto fail;
        }
        /* his personal group holds full control of his repository */
        if (rc < 0 || (rc = stor_grant_add(x->db, repo, "", gid, "full", x->actor, &grant)) < 0)
            goto fail_db;
    }
    acl_audit(x, "user.create", n->login, n->role);
    if ((rc = stor_db_commit(x->db)) < 0)
        return acl_fail(x, rc, "the database could not save the user");
    sodium_memzero(hash, sizeof(hash));
    if (x->engine != NULL) {
        struct stor_group pg = { .id = gid, .name = n->login, .personal = true, .owner = *id };
        struct stor_member m = { gid, STOR_KIND_USER, *id, "reader", STOR_SECTION_MEMBER };

        acl_engine_user_put(x->engine, *id);
        acl_engine_group_put(x->engine, &pg);
        acl_engine_member_put(x->engine, &m);
        if (repo != NULL) {
            struct stor_grant g = { .id = grant, .repo = repo->id, .path = "", .grp = gid,
                                    .role = "full" };
            acl_engine_grant_put(x->engine, &g);
        }
    }
    acl_changed_picture(x);     /* other processes pick up the new repository */
    return 0;
fail_db:
    x->why = "the database could not save the user";
fail:
    stor_db_rollback(x->db);
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

/* Loads user id into *u (strings from a pool the caller frees). */
static int
acl_user_load(struct acl_ident *x, int64_t id, struct cf_pool *pool, struct stor_user *u)
{
    int rc = stor_user_get_by_id(x->db, id, pool, u);

    if (rc == -ENOENT)
        x->why = "there is no such user";
    else if (rc < 0)
        x->why = "the database could not be read";
    return rc;
}

int
acl_user_update(struct acl_ident *x, int64_t id, const char *display_name, const char *email)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_user u;
    int rc;

    if ((rc = acl_user_load(x, id, pool, &u)) < 0)
        goto out;
    if (email != NULL && !acl_email_ok(email)) {
        rc = acl_fail(x, -EINVAL, "the email address is not valid");
        goto out;
    }
    if (display_name != NULL && (display_name[0] == '\0' || strlen(display_name) > 200)) {
        rc = acl_fail(x, -EINVAL, "a display name is 1 to 200 bytes");
        goto out;
    }
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((display_name != NULL &&
         (rc = stor_user_set_field(x->db, id, STOR_USER_DISPLAY_NAME, display_name)) < 0) ||
        (email != NULL && (rc = stor_user_set_field(x->db, id, STOR_USER_EMAIL, email)) < 0)) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the change";
        goto out;
    }
    acl_audit(x, "user.update", u.login, email != NULL ? "email" : "display_name");
    rc = stor_db_commit(x->db);
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_user_set_password(struct acl_ident *x, int64_t id, const char *pw)
{
    struct cf_pool *pool = cf_pool_new(1024);
    char hash[ACL_HASH_MAX];
    struct stor_user u;
    int rc;

    if ((rc = acl_user_load(x, id, pool, &u)) < 0)
        goto out;
    if ((rc = acl_password_policy(x->conf, u.login, u.email, pw, &x->why)) < 0)
        goto out;
    if (acl_password_hash(pw, strlen(pw), x->conf->argon2_ops, x->conf->argon2_mem, hash) < 0) {
        rc = acl_fail(x, -ENOMEM, "the password could not be hashed");
        goto out;
    }
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((rc = stor_user_set_password(x->db, id, hash)) < 0 ||
        (strcmp(u.status, "invited") == 0 &&
         (rc = stor_user_set_field(x->db, id, STOR_USER_STATUS, "active")) < 0) ||
        (rc = stor_sessions_delete_user(x->db, id)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the password";
        goto out;
    }
    acl_audit(x, x->actor_id == id ? "user.password" : "user.password-reset", u.login, NULL);
    if ((rc = stor_db_commit(x->db)) == 0)
        acl_changed(x);     /* the old password stops working now */
out:
    sodium_memzero(hash, sizeof(hash));
    cf_pool_free(pool);
    return rc;
}

/* True if u is the only active administrator left. */
static bool
acl_user_is_last_admin(struct acl_ident *x, const struct stor_user *u)
{
    int64_t n = 0;

    if (strcmp(u->role, "administrator") != 0 || strcmp(u->status, "active") != 0)
        return false;
    if (stor_users_count_role(x->db, "administrator", &n) < 0)
        return true;            /* when in doubt, keep him */
    return n <= 1;
}

int
acl_user_set_role(struct acl_ident *x, int64_t id, const char *role)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_user u;
    uint32_t fac;
    int rc;

    if ((rc = acl_user_load(x, id, pool, &u)) < 0)
        goto out;
    if (role == NULL || stor_role_get(x->db, role, &fac, NULL) < 0) {
        rc = acl_fail(x, -EINVAL, "there is no such user role");
        goto out;
    }
    if (strcmp(role, u.role) == 0)
        goto out;
    if (acl_user_is_last_admin(x, &u)) {
        rc = acl_fail(x, -EPERM, "this is the last active administrator: make another "
                      "administrator first");
        goto out;
    }
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((rc = stor_user_set_field(x->db, id, STOR_USER_ROLE, role)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the change";
        goto out;
    }
    {
        char detail[160];
        snprintf(detail, sizeof(detail), "%s -> %s", u.role, role);
        acl_audit(x, "user.role", u.login, detail);
    }
    if ((rc = stor_db_commit(x->db)) < 0) {
        x->why = "the database could not save the change";
        goto out;
    }
    acl_changed(x);
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_user_block(struct acl_ident *x, int64_t id, int64_t until)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_user u;
    char detail[64];
    int rc;

    if ((rc = acl_user_load(x, id, pool, &u)) < 0)
        goto out;
    if (until != 0 && until <= (int64_t)time(NULL)) {
        rc = acl_fail(x, -EINVAL, "'until' must be in the future (or null for a permanent "
                      "block)");
        goto out;
    }
    if (id == x->actor_id) {
        rc = acl_fail(x, -EPERM, "you cannot block yourself");
        goto out;
    }
    if (acl_user_is_last_admin(x, &u)) {
        rc = acl_fail(x, -EPERM, "this is the last active administrator and cannot be blocked");
        goto out;
    }
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    /*
     * His browser sessions stay, so that each of them is answered "blocked"
     * (auth refuses a blocked user on every request); unblocking ends them.
     */
    if ((rc = stor_user_set_block(x->db, id, true, until)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the block";
        goto out;
    }
    if (until > 0) {
        struct tm tm;
        time_t t = (time_t)until;
        gmtime_r(&t, &tm);
        strftime(detail, sizeof(detail), "until %Y-%m-%dT%H:%M:%SZ", &tm);
    } else {
        snprintf(detail, sizeof(detail), "permanent");
    }
    acl_audit(x, "user.block", u.login, detail);
    if ((rc = stor_db_commit(x->db)) == 0)
        acl_changed(x);     /* refused from the very next request */
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_user_unblock(struct acl_ident *x, int64_t id)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_user u;
    int rc;

    if ((rc = acl_user_load(x, id, pool, &u)) < 0)
        goto out;
    if (strcmp(u.status, "blocked") != 0) {
        rc = acl_fail(x, -EINVAL, "the user is not blocked");
        goto out;
    }
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    /* sessions from before the block end: he logs in afresh */
    if ((rc = stor_user_set_block(x->db, id, false, 0)) < 0 ||
        (rc = stor_sessions_delete_user(x->db, id)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the change";
        goto out;
    }
    acl_audit(x, "user.unblock", u.login, NULL);
    if ((rc = stor_db_commit(x->db)) < 0) {
        x->why = "the database could not save the change";
        goto out;
    }
    acl_changed(x);
out:
    cf_pool_free(pool);
    return rc;
}

struct acl_remove_ctx {
    struct stor_repo **v;
    size_t n;
};

static int
acl_user_remove_collect(struct stor_repo *r, void *arg)
{
    struct acl_remove_ctx *c = arg;

    c->v = cf_xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
    c->v[c->n++] = r;
    return 0;
}

int
acl_user_remove(struct acl_ident *x, int64_t id, int64_t transfer_to, bool keep_profile)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct acl_remove_ctx c = { NULL, 0 };
    struct stor_user u, to;
    int64_t personal = 0, orphans = 0;
    char detail[128];
    int rc;

    if ((rc = acl_user_load(x, id, pool, &u)) < 0)
        goto out;
    if (id == x->actor_id) {
        rc = acl_fail(x, -EPERM, "you cannot remove yourself");
        goto out;
    }
    if (acl_user_is_last_admin(x, &u)) {
        rc = acl_fail(x, -EPERM, "this is the last active administrator and cannot be removed");
        goto out;
    }
    if (transfer_to > 0) {
        if (transfer_to == id) {
            rc = acl_fail(x, -EINVAL, "the data cannot be transferred to the user removed");
            goto out;
        }
        if ((rc = acl_user_load(x, transfer_to, pool, &to)) < 0) {
            x->why = "the user to transfer the data to does not exist";
            rc = -EINVAL;
            goto out;
        }
        snprintf(detail, sizeof(detail), "data transferred to %s", to.login);
    } else {
        snprintf(detail, sizeof(detail), "data deleted");
    }
    if (x->repos != NULL)
        stor_repos_owned(x->repos, id, acl_user_remove_collect, &c);
    {
        struct stor_group pg;

        if (stor_group_get(x->db, u.login, 0, pool, &pg) == 0 && pg.personal && pg.owner == id)
            personal = pg.id;
    }
    /* the database first, all or nothing; the files once it committed */
    if ((rc = acl_keep_private_admins_begin(x, &orphans)) < 0)
        goto out;
    for (size_t i = 0; i < c.n && rc == 0; i++) {
        /* a transferred repository: its new owner gets full control, as its maker had */
        rc = transfer_to > 0 ? stor_repo_set_owner(x->repos, x->db, c.v[i], transfer_to)
                             : stor_repo_delete_row(x->db, c.v[i]);
        if (rc == 0 && transfer_to > 0) {
            rc = acl_repo_grant_owner(x, c.v[i], transfer_to);
            if (rc == -EEXIST)
                rc = 0;         /* he had a grant of his own there already */
        }
        if (rc == 0)
            acl_audit(x, transfer_to > 0 ? "repository.transfer" : "repository.delete",
                      c.v[i]->name, transfer_to > 0 ? to.login : NULL);
    }
    if (rc == 0 && keep_profile) {
        /* the profile stays for the record; his place in groups does not */
        rc = stor_user_set_field(x->db, id, STOR_USER_STATUS, "deleted");
        if (rc == 0)
            rc = stor_sessions_delete_user(x->db, id);
        if (rc == 0)
            rc = stor_entries_remove_except(x->db, STOR_KIND_USER, id, personal);
    } else if (rc == 0) {
        rc = stor_user_delete(x->db, id);
    }
    if (rc == 0)
        acl_audit(x, "user.delete", u.login, detail);
    if (rc < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not remove the user";
        goto out;
    }
    /* he must not have been the last administrator member of a private group */
    if ((rc = acl_keep_private_admins_commit(x, orphans)) < 0)
        goto out;
    for (size_t i = 0; transfer_to == 0 && i < c.n; i++)
        stor_repos_forget(x->repos, c.v[i], true);
    if (x->engine != NULL) {
        /* his personal group, its entries and grants went with him (ON DELETE CASCADE) */
        if (personal > 0 && !keep_profile)
            acl_engine_group_remove(x->engine, personal);
        acl_engine_user_remove(x->engine, id);
        if (keep_profile) {
            /* he stays, in his personal group only */
            struct stor_member m = { personal, STOR_KIND_USER, id, "reader",
                                     STOR_SECTION_MEMBER };

            acl_engine_user_put(x->engine, id);
            if (personal > 0)
                acl_engine_member_put(x->engine, &m);
        }
    }
    acl_changed(x);
out:
    free(c.v);
    cf_pool_free(pool);
    return rc;
}

/* ---- secrets ---- */

void
acl_secret_hash(const char *secret, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, (const unsigned char *)secret, len);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* n characters from an alphabet without look-alikes. */
static void
acl_random_chars(char *out, size_t n)
{
    static const char abc[] = "abcdefghjkmnpqrstuvwxyz23456789";

    for (size_t i = 0; i < n; i++)
        out[i] = abc[randombytes_uniform(sizeof(abc) - 1)];
}

static bool
acl_cred_name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;

    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

int
acl_apppw_create(struct acl_ident *x, int64_t user, const char *name,
                 char secret[ACL_SECRET_MAX], int64_t *id)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_user u;
    char hash[65];
    int rc;

    if (!acl_cred_name_ok(name)) {
        rc = acl_fail(x, -EINVAL, "name the device: 1 to 100 printable characters");
        goto out;
    }
    if ((rc = acl_user_load(x, user, pool, &u)) < 0)
        goto out;
    /* 5 groups of 4 from 31 characters: 99 bits */
    for (int g = 0; g < 5; g++) {
        acl_random_chars(secret + g * 5, 4);
        secret[g * 5 + 4] = g < 4 ? '-' : '\0';
    }
    acl_secret_hash(secret, strlen(secret), hash);
    if ((rc = stor_cred_add(x->db, STOR_CRED_APP_PASSWORD, user, name, hash, 0, id)) < 0) {
        x->why = "the database could not save the app password";
        goto out;
    }
    acl_audit(x, "app-password.create", u.login, name);
out:
    cf_pool_free(pool);
    return rc;
}

/* Revokes one of user's app passwords or tokens. */
static int
acl_cred_revoke(struct acl_ident *x, enum stor_cred_kind kind, int64_t user, int64_t id)
{
    struct cf_pool *pool = cf_pool_new(1024);
    bool app = kind == STOR_CRED_APP_PASSWORD;
    struct stor_user u;
    char detail[32];
    int rc;

    if ((rc = acl_user_load(x, user, pool, &u)) < 0)
        goto out;
    if ((rc = stor_cred_delete(x->db, kind, user, id)) < 0) {
        x->why = rc != -ENOENT ? "the database failed"
                 : app ? "there is no such app password" : "there is no such token";
        goto out;
    }
    snprintf(detail, sizeof(detail), "id %" PRId64, id);
    acl_audit(x, app ? "app-password.revoke" : "token.revoke", u.login, detail);
    acl_changed(x);         /* a device using it is refused at once */
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_apppw_revoke(struct acl_ident *x, int64_t user, int64_t id)
{
    return acl_cred_revoke(x, STOR_CRED_APP_PASSWORD, user, id);
}

bool
acl_apppw_verify(struct stor_db *db, int64_t user, const char *pw, size_t len)
{
    char hash[65];
    int64_t u = user, id;

    if (len != 24)
        return false;
    acl_secret_hash(pw, len, hash);
    return stor_cred_find(db, STOR_CRED_APP_PASSWORD, hash, (int64_t)time(NULL), &u, &id) == 0 &&
           u == user;
}

int
acl_token_create(struct acl_ident *x, int64_t user, const char *name, int64_t expires,
                 char secret[ACL_SECRET_MAX], int64_t *id)
{
    struct cf_pool *pool = cf_pool_new(1024);
    unsigned char raw[32];
    struct stor_user u;
    char hash[65];
    int rc;

    if (!acl_cred_name_ok(name)) {
        rc = acl_fail(x, -EINVAL, "name the token: 1 to 100 printable characters");
        goto out;
    }
    if (expires != 0 && expires <= (int64_t)time(NULL)) {
        rc = acl_fail(x, -EINVAL, "'expires' must be in the future (or null for never)");
        goto out;
    }
    if ((rc = acl_user_load(x, user, pool, &u)) < 0)
        goto out;
    randombytes_buf(raw, sizeof(raw));
    memcpy(secret, "cft_", 4);
    sodium_bin2base64(secret + 4, ACL_SECRET_MAX - 4, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    acl_secret_hash(secret, strlen(secret), hash);
    if ((rc = stor_cred_add(x->db, STOR_CRED_TOKEN, user, name, hash, expires, id)) < 0) {
        x->why = "the database could not save the token";
        goto out;
    }
    acl_audit(x, "token.create", u.login, name);
out:
    sodium_memzero(raw, sizeof(raw));
    cf_pool_free(pool);
    return rc;
}

int
acl_token_revoke(struct acl_ident *x, int64_t user, int64_t id)
{
    return acl_cred_revoke(x, STOR_CRED_TOKEN, user, id);
}

int
acl_token_verify(struct stor_db *db, struct cf_str token, int64_t *user)
{
    char hash[65];
    int64_t id;

    if (token.len < 8 || token.len > 100 || memcmp(token.p, "cft_", 4) != 0)
        return -ENOENT;
    acl_secret_hash(token.p, token.len, hash);
    return stor_cred_find(db, STOR_CRED_TOKEN, hash, (int64_t)time(NULL), user, &id);
}

/* ---- second factor ---- */

int
acl_2fa_begin(struct acl_ident *x, int64_t user, char *secret_b32, struct cf_buf *uri)
{
    struct cf_pool *pool = cf_pool_new(1024);
    unsigned char secret[ACL_TOTP_SECRET_LEN];
    struct stor_user u;
    int rc;

    if ((rc = acl_user_load(x, user, pool, &u)) < 0)
        goto out;
    if (u.totp_on) {
        rc = acl_fail(x, -EALREADY, "two-factor authentication is on already; turn it off "
                      "first to enrol another device");
        goto out;
    }
    acl_totp_secret_new(secret);
    acl_totp_base32_encode(secret, sizeof(secret), secret_b32);
    if ((rc = stor_user_set_totp(x->db, user, secret_b32, false)) < 0) {
        x->why = "the database could not save the secret";
        goto out;
    }
    acl_totp_uri(uri, x->conf->realm, u.login, secret_b32);
out:
    sodium_memzero(secret, sizeof(secret));
    cf_pool_free(pool);
    return rc;
}

/* Checks a TOTP code against u's stored secret and spends its time step. */
static int
acl_2fa_totp(struct acl_ident *x, const struct stor_user *u, const char *code)
{
    unsigned char secret[64];
    ssize_t n;
    uint64_t step;
    int rc = -EACCES;

    if (u->totp_secret == NULL ||
        (n = acl_totp_base32_decode(u->totp_secret, secret, sizeof(secret))) <= 0)
        return -EACCES;
    if (acl_totp_verify(secret, (size_t)n, code, time(NULL), (uint64_t)u->totp_last, &step))
        rc = stor_user_totp_use(x->db, u->id, (int64_t)step) == 0 ? 0 : -EACCES;
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

int
acl_2fa_enable(struct acl_ident *x, int64_t user, const char *code, char codes[][12],
               size_t ncodes)
{
    struct cf_pool *pool = cf_pool_new(1024);
    char hashes[ACL_RECOVERY_CODES][65];
    const char *hp[ACL_RECOVERY_CODES];
    struct stor_user u;
    int rc;

    if (ncodes < ACL_RECOVERY_CODES) {
        rc = acl_fail(x, -EINVAL, "room for the recovery codes is missing");
        goto out;
    }
    if ((rc = acl_user_load(x, user, pool, &u)) < 0)
        goto out;
    if (u.totp_on) {
        rc = acl_fail(x, -EALREADY, "two-factor authentication is on already");
        goto out;
    }
    if (u.totp_secret == NULL) {
        rc = acl_fail(x, -EINVAL, "start the enrolment first (it makes the secret to scan)");
        goto out;
    }
    if (code == NULL || acl_2fa_totp(x, &u, code) < 0) {
        rc = acl_fail(x, -EACCES, "the code does not match: check the clock of the device "
                      "and type the code it shows now");
        goto out;
    }
    for (int i = 0; i < ACL_RECOVERY_CODES; i++) {
        acl_recovery_code_new(codes[i]);
        acl_recovery_code_hash(codes[i], hashes[i]);
        hp[i] = hashes[i];
    }
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((rc = stor_user_set_totp(x->db, user, u.totp_secret, true)) < 0 ||
        (rc = stor_recovery_set(x->db, user, hp, ACL_RECOVERY_CODES)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the change";
        goto out;
    }
    acl_audit(x, "user.2fa-on", u.login, NULL);
    if ((rc = stor_db_commit(x->db)) == 0)
        acl_changed(x);     /* the account password stops working for Basic */
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_2fa_disable(struct acl_ident *x, int64_t user)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_user u;
    int rc;

    if ((rc = acl_user_load(x, user, pool, &u)) < 0)
        goto out;
    if ((rc = stor_db_begin(x->db)) < 0) {
        x->why = "the database is busy: try again";
        goto out;
    }
    if ((rc = stor_user_set_totp(x->db, user, NULL, false)) < 0 ||
        (rc = stor_recovery_set(x->db, user, NULL, 0)) < 0) {
        stor_db_rollback(x->db);
        x->why = "the database could not save the change";
        goto out;
    }
    acl_audit(x, "user.2fa-off", u.login, NULL);
    if ((rc = stor_db_commit(x->db)) == 0)
        acl_changed(x);
out:
    cf_pool_free(pool);
    return rc;
}

int
acl_2fa_check(struct acl_ident *x, const struct stor_user *u, const char *code)
{
    char canon[ACL_RECOVERY_LEN + 1], hash[65];

    if (code == NULL || !u->totp_on)
        return -EACCES;
    if (acl_2fa_totp(x, u, code) == 0)
        return 0;
    if (acl_recovery_code_normalise(code, canon) == 0) {
        acl_recovery_code_hash(canon, hash);
        if (stor_recovery_use(x->db, u->id, hash, (int64_t)time(NULL)) == 0) {
            acl_audit(x, "user.recovery-code", u->login, NULL);
            return 0;
        }
    }
    return -EACCES;
}

/* ---- links ---- */

int
acl_link_create(struct acl_ident *x, int64_t user, const char *kind, char token[ACL_SECRET_MAX],
                int64_t *expires)
{
    struct cf_pool *pool = cf_pool_new(1024);
    unsigned char raw[32];
    struct stor_user u;
    char hash[65];
    int rc;

    if ((rc = acl_user_load(x, user, pool, &u)) < 0)
        goto out;
    if (strcmp(kind, "invite") == 0 && strcmp(u.status, "invited") != 0) {
        rc = acl_fail(x, -EINVAL, "the user has activated his account already; send a "
                      "password reset instead");
        goto out;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(token, ACL_SECRET_MAX, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    acl_secret_hash(token, strlen(token), hash);
    *expires = (int64_t)time(NULL) + x->conf->invite_s;
    if ((rc = stor_invite_add(x->db, hash, user, kind, x->actor_id, *expires)) < 0) {
        x->why = "the database could not save the link";
        goto out;
    }
    acl_audit(x, strcmp(kind, "invite") == 0 ? "user.invite" : "user.reset-link", u.login, NULL);
out:
    sodium_memzero(raw, sizeof(raw));
    cf_pool_free(pool);
    return rc;
}

int
acl_link_check(struct acl_ident *x, const char *token, struct cf_pool *pool,
               struct stor_invite *inv)
{
    char hash[65];
    size_t n = strlen(token);
    int rc;

    if (n < 20 || n > 100)
        return acl_fail(x, -ENOENT, "this link is not valid");
    acl_secret_hash(token, n, hash);
    if ((rc = stor_invite_get(x->db, hash, pool, inv)) < 0)
        return acl_fail(x, rc == -ENOENT ? -ENOENT : rc, "this link is not valid");
    if (inv->used != 0)
        return acl_fail(x, -EALREADY, "this link has been used already; ask for a new one");
    if (inv->expires <= (int64_t)time(NULL))
        return acl_fail(x, -ETIME, "this link has expired; ask for a new one");
    return 0;
}

int
acl_link_accept(struct acl_ident *x, const char *token, const char *password, int64_t *user)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_invite inv;
    struct stor_user u;
    char hash[65];
    int rc;

    if ((rc = acl_link_check(x, token, pool, &inv)) < 0)
        goto out;
    if ((rc = acl_user_load(x, inv.user, pool, &u)) < 0)
        goto out;
    if ((rc = acl_password_policy(x->conf, u.login, u.email, password, &x->why)) < 0)
        goto out;
    acl_secret_hash(token, strlen(token), hash);
    /* spend the link first: of two submissions racing, one wins */
    if ((rc = stor_invite_use(x->db, hash, (int64_t)time(NULL))) < 0) {
        x->why = "this link has been used already; ask for a new one";
        goto out;
    }
    {
        const char *actor = x->actor;
        int64_t actor_id = x->actor_id;

        x->actor = u.login;     /* he acts on himself */
        x->actor_id = u.id;
        rc = acl_user_set_password(x, u.id, password);
        x->actor = actor;
        x->actor_id = actor_id;
    }
    if (rc == 0) {
        acl_audit(x, strcmp(inv.kind, "invite") == 0 ? "user.activate" : "user.reset",
                  u.login, NULL);
        *user = u.id;
    }
out:
    cf_pool_free(pool);
    return rc;
}
