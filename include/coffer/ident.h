/*
 * ident.h: identity. Users and user roles, passwords and their policy, the
 * credentials a user holds besides his password (app passwords, API
 * tokens, TOTP second factor and recovery codes), invitation and reset
 * links, blocking, and the audit log. cofferd's REST API and web pages and
 * cofferctl call these, so that every rule lives in one place whichever
 * way an administrator comes in.
 *
 * Errors: 0 or a negative errno, with x->why set to a sentence for the
 * person on the other end (never containing a secret): -EINVAL bad input,
 * -ENOENT no such user/credential, -EEXIST a name taken, -EPERM a rule
 * forbids it (the last administrator, a preset role), -EALREADY a
 * single-use thing used already, -ETIME expired.
 *
 * Every change that affects who may log in (password, status, role, 2FA,
 * app passwords) bumps the auth epoch, which drops every cached credential
 * in cofferd at once, cofferctl's changes included.
 */
#ifndef COFFER_IDENT_H
#define COFFER_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coffer/conf.h"
#include "coffer/storage.h"
#include "coffer/str.h"

/* User faculties: what a user role lets its holders do (DESIGN.md). */
enum acl_user_faculty {
    ACL_U_ADMIN = 1u << 0,          /* administer the system */
    ACL_U_CREATE_GROUPS = 1u << 1,
    ACL_U_CREATE_REPOS = 1u << 2,   /* shared repositories */
    ACL_U_UPLOAD = 1u << 3,
    ACL_U_SEE_USERS = 1u << 4,      /* every user */
    ACL_U_SEE_GROUPS = 1u << 5,     /* every non-private group */
    ACL_U_SEE_PEERS = 1u << 6,      /* the users he shares a group with */
    ACL_U_PERSONAL_REPO = 1u << 7,  /* has a personal repository */
    ACL_U_ALL = 0xff,
};

/* The faculty's name in the API ("create-groups"), NULL for an unknown bit. */
const char *acl_user_faculty_name(uint32_t bit);
/* The bit of a faculty name, 0 if unknown. */
uint32_t acl_user_faculty_parse(const char *name);

/* ---- the auth epoch: a counter shared by every process on a data directory ---- */

struct acl_epoch;
/* Maps <data_dir>/auth.epoch (made when missing). Caller frees with acl_epoch_free(). */
int acl_epoch_open(const char *data_dir, struct acl_epoch **out);
void acl_epoch_free(struct acl_epoch *e);
/* The credentials counter: one atomic load. */
unsigned acl_epoch_get(const struct acl_epoch *e);
/*
 * The picture counter: it moves with every change of groups, grants,
 * repositories or users (and with every credentials change), telling other
 * processes to reread them; the credential caches stay.
 */
unsigned acl_epoch_picture(const struct acl_epoch *e);
unsigned acl_epoch_bump_picture(struct acl_epoch *e);
/*
 * Drops every cached credential in every process using the data directory,
 * and moves the picture counter too. Returns the new picture value (0 when
 * e is NULL).
 */
unsigned acl_epoch_bump(struct acl_epoch *e);

/* ---- who acts ---- */

struct acl_engine;

struct acl_ident {
    const struct cf_conf *conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct acl_epoch *epoch;
    struct acl_engine *engine;  /* patched after each change; NULL: none here */
    int64_t actor_id;           /* 0: the system (bootstrap, cofferctl) */
    const char *actor;          /* login for the audit log, NULL: "system" */
    const char *peer;           /* client address, or "cli" */
    const char *why;            /* set on failure: what was wrong */
};

/* Writes an audit entry (actor and peer from x); detail may be NULL. */
void acl_audit(struct acl_ident *x, const char *action, const char *target, const char *detail);

/* ---- users ---- */

struct acl_user_new {
    const char *login;          /* 1-64 of [a-z0-9._-], starting with a letter or digit */
    const char *email;
    const char *role;           /* a user role's name */
    const char *password;       /* NULL: the user is invited and sets it himself */
    const char *display_name;   /* NULL: the login */
    int64_t contact;            /* 0: none */
};

/* True for a login that may be created (and name his personal repository). */
bool acl_login_ok(struct cf_str login);
/* True for a plausible email address (one '@', no spaces or controls, <= 254). */
bool acl_email_ok(const char *email);
/*
 * Checks a new password against the policy: at least conf->password_min
 * characters (UTF-8 characters, not bytes), at most 1024 bytes, not the
 * login or the email, not in the list of common passwords. Returns 0 or
 * -EINVAL with *why set.
 */
int acl_password_policy(const struct cf_conf *conf, const char *login, const char *email,
                        const char *pw, const char **why);

/*
 * Creates a user, his personal group and, when his role has the
 * personal-repository faculty, his repository /dav/<login>/, all or nothing.
 */
int acl_user_add(struct acl_ident *x, const struct acl_user_new *n, int64_t *id);
/* Changes display name and/or email (NULL: unchanged). */
int acl_user_update(struct acl_ident *x, int64_t id, const char *display_name,
                    const char *email);
/* Sets a password (policy checked); an invited user becomes active. */
int acl_user_set_password(struct acl_ident *x, int64_t id, const char *pw);
/* Changes the user role; the last active administrator keeps his. */
int acl_user_set_role(struct acl_ident *x, int64_t id, const char *role);
/*
 * Blocks until a unix time (0: for good); never the last active
 * administrator. Every way in refuses him from the next request on, saying
 * he is blocked; unblocking ends the browser sessions he had.
 */
int acl_user_block(struct acl_ident *x, int64_t id, int64_t until);
int acl_user_unblock(struct acl_ident *x, int64_t id);
/*
 * Removes a user. With transfer_to > 0 his repositories go to that user;
 * otherwise they are deleted with their files. keep_profile keeps the user
 * row with status "deleted" (no way in) for the record.
 */
int acl_user_remove(struct acl_ident *x, int64_t id, int64_t transfer_to, bool keep_profile);

/*
 * True if u may log in now: active, or blocked until a time that has
 * passed. Otherwise *why says why not ("this account is blocked until ...").
 */
bool acl_user_may_login(const struct stor_user *u, int64_t now, char *why, size_t whylen);

/* The faculties of user role name (0 for an unknown role). */
uint32_t acl_role_faculties(struct stor_db *db, const char *name, bool *require_2fa);
/* Which users someone with these faculties may see (GET /api/v1/users). */
enum stor_user_scope acl_user_scope(uint32_t faculties);
/*
 * True if the actor of x, with user faculties ufac, may see user: everyone
 * (administrators, internal users), himself and the users sharing a group
 * with him through the engine (external), himself only (guests).
 */
bool acl_user_seen(struct acl_ident *x, uint32_t ufac, int64_t user);

/* ---- secrets shown once ---- */

#define ACL_SECRET_MAX 64
/* SHA-256 of a secret, in hex (64 characters and a NUL). */
void acl_secret_hash(const char *secret, size_t len, char out[65]);

/* An app password: "xxxx-xxxx-xxxx-xxxx-xxxx" (100 bits), shown once. */
int acl_apppw_create(struct acl_ident *x, int64_t user, const char *name,
                     char secret[ACL_SECRET_MAX], int64_t *id);
int acl_apppw_revoke(struct acl_ident *x, int64_t user, int64_t id);
/* True if pw is one of user's app passwords (records its use). */
bool acl_apppw_verify(struct stor_db *db, int64_t user, const char *pw, size_t len);

/* A personal access token: "cft_" and 43 base64url characters (256 bits). expires 0: never. */
int acl_token_create(struct acl_ident *x, int64_t user, const char *name, int64_t expires,
                     char secret[ACL_SECRET_MAX], int64_t *id);
int acl_token_revoke(struct acl_ident *x, int64_t user, int64_t id);
/* Finds the live token: 0 with *user, or -ENOENT. */
int acl_token_verify(struct stor_db *db, struct cf_str token, int64_t *user);

/* ---- second factor ---- */

/*
 * Starts enrolment: a new secret, stored but not yet in force. Fills
 * secret_b32 (ACL_TOTP_B32_LEN + 1) and appends the otpauth:// URI to uri.
 */
int acl_2fa_begin(struct acl_ident *x, int64_t user, char *secret_b32, struct cf_buf *uri);
/*
 * Confirms enrolment with a code from the app: 2FA is on from now, the
 * account password no longer works for Basic authentication, and ten new
 * recovery codes are written to codes (each ACL_RECOVERY_LEN + 1).
 */
int acl_2fa_enable(struct acl_ident *x, int64_t user, const char *code,
                   char codes[][12], size_t ncodes);
int acl_2fa_disable(struct acl_ident *x, int64_t user);
/*
 * Checks a second factor: a TOTP code (each time step once only) or an
 * unused recovery code (then spent). Returns 0 or -EACCES.
 */
int acl_2fa_check(struct acl_ident *x, const struct stor_user *u, const char *code);

/* ---- invitation and password-reset links ---- */

/* Makes a single-use link token for user; kind "invite" or "reset". Only its hash is kept. */
int acl_link_create(struct acl_ident *x, int64_t user, const char *kind,
                    char token[ACL_SECRET_MAX], int64_t *expires);
/*
 * Checks a link token: 0 with *inv (strings from pool), -ENOENT unknown,
 * -EALREADY used, -ETIME expired.
 */
int acl_link_check(struct acl_ident *x, const char *token, struct cf_pool *pool,
                   struct stor_invite *inv);
/* Uses the link: sets the password and activates the user, once. */
int acl_link_accept(struct acl_ident *x, const char *token, const char *password,
                    int64_t *user);

#endif
