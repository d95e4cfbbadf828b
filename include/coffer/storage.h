/*
 * storage.h: repository files and the SQLite store.
 *
 * Files: every path handed to storage is relative to a repository's root,
 * already normalised (no "", "." or ".." components, no leading or trailing
 * "/", NUL-terminated; "" is the root). Storage resolves it beneath the
 * repository's root directory fd only, with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) or, where the kernel lacks it, one openat(O_NOFOLLOW)
 * per component: never by joining strings, never through a symbolic link.
 * A symbolic link anywhere on the way is -ELOOP.
 *
 * Store: one struct stor_db per thread (SQLite connections are not shared),
 * WAL mode, numbered migrations in PRAGMA user_version, statements prepared
 * once per connection. Dead properties are keyed by a file id (table nodes)
 * that MOVE carries along; locks are keyed by their root path, since
 * RFC 4918 7.7 / 9.9 says a lock does not travel with a moved resource.
 *
 * Errors: 0 or a negative errno, as everywhere below dav: -EBUSY for
 * SQLITE_BUSY, -EIO for other SQLite faults.
 */
#ifndef COFFER_STORAGE_H
#define COFFER_STORAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "coffer/pool.h"
#include "coffer/str.h"

struct stor_db;
struct stor_repo;

/* ---- the database ---- */

/*
 * Opens (creating it if needed) the database at path and brings its schema
 * up to date. Caller frees with stor_db_free().
 */
int stor_db_open(const char *path, struct stor_db **out);
/*
 * A mark of the database's state as this connection sees it: equal marks
 * mean nothing was written between them, by another connection (its
 * data_version) or by this one (its count of changed rows). 0 or -EIO.
 */
struct stor_db_mark {
    int64_t version;
    int64_t changes;
};
int stor_db_mark(struct stor_db *db, struct stor_db_mark *m);
void stor_db_free(struct stor_db *db);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int stor_db_begin(struct stor_db *db);
int stor_db_commit(struct stor_db *db);
void stor_db_rollback(struct stor_db *db);
/* The schema version this build writes. */
int stor_db_schema_version(void);

/* ---- users ---- */

/*
 * A user row. Strings come from the pool given; a blocked user has status
 * "blocked" and blocked_until 0 (for good) or the unix time the block
 * ends. Other statuses: "invited" (no password yet), "active".
 */
struct stor_user {
    int64_t id;
    char *login;
    char *display_name;
    char *email;
    char *role;         /* a user role's name (table user_roles) */
    char *pw_hash;      /* argon2id string, or NULL */
    char *status;
    int64_t created;
    int64_t contact;    /* the contact it was made from, 0: none */
    int64_t blocked_until;
    int64_t last_login; /* 0: never */
    char *totp_secret;  /* base32, or NULL; in use when totp_on */
    bool totp_on;
    int64_t totp_last;  /* the last TOTP time step accepted */
};

int stor_user_get(struct stor_db *db, struct cf_str login, struct cf_pool *pool,
                  struct stor_user *out);
int stor_user_get_by_id(struct stor_db *db, int64_t id, struct cf_pool *pool,
                        struct stor_user *out);
int stor_user_create(struct stor_db *db, const char *login, const char *display_name,
                     const char *email, const char *role, const char *pw_hash,
                     int64_t *id);
int stor_user_set_password(struct stor_db *db, int64_t id, const char *pw_hash);
int stor_user_count(struct stor_db *db, int64_t *n);

/* The fields of a user that stor_user_set_field() changes. */
enum stor_user_field {
    STOR_USER_DISPLAY_NAME,
    STOR_USER_EMAIL,
    STOR_USER_ROLE,
    STOR_USER_STATUS,
    STOR_USER_CONTACT,          /* value: decimal id, or NULL */
};
/* Sets one text field (NULL stores NULL). -ENOENT if there is no such user. */
int stor_user_set_field(struct stor_db *db, int64_t id, enum stor_user_field f,
                        const char *value);
/* Blocks (status blocked, until 0: for good) or, with block false, unblocks. */
int stor_user_set_block(struct stor_db *db, int64_t id, bool block, int64_t until);
/* Stores a TOTP secret (NULL to drop it) and whether 2FA is on. */
int stor_user_set_totp(struct stor_db *db, int64_t id, const char *secret, bool on);
/*
 * Records that the TOTP time step was used, only if it is newer than the
 * last one: returns 0, or -EALREADY when that step (or a later one) was
 * used already, so the same code is never accepted twice even by two
 * threads at once.
 */
int stor_user_totp_use(struct stor_db *db, int64_t id, int64_t step);
int stor_user_touch_login(struct stor_db *db, int64_t id, int64_t now);
/* Removes the user and everything keyed by him (credentials, his personal group). */
int stor_user_delete(struct stor_db *db, int64_t id);

/* Counts the active users holding role. */
int stor_users_count_role(struct stor_db *db, const char *role, int64_t *n);

/* Which users a listing may show. */
enum stor_user_scope {
    STOR_USERS_ALL,
    STOR_USERS_PEERS,           /* himself and those sharing a group with him: storage lists
                                   all, the caller filters with acl_engine_peers() */
    STOR_USERS_SELF,
};
typedef int (*stor_user_fn)(void *arg, const struct stor_user *u);
/*
 * Calls fn for each user in scope (viewer: the asking user) whose login,
 * display name or email contains q (NULL: all), in login order, starting
 * after the login after (NULL: from the first), at most limit users. Strings
 * are valid during the call only.
 */
int stor_users_list(struct stor_db *db, enum stor_user_scope scope, int64_t viewer,
                    const char *q, const char *after, unsigned limit, stor_user_fn fn,
                    void *arg);

/* ---- user roles (sets of user faculties) ---- */

struct stor_role {
    const char *name;
    uint32_t faculties;
    bool preset;
    bool require_2fa;
    const char *description;
};
typedef int (*stor_role_fn)(void *arg, const struct stor_role *r);
/* -ENOENT if there is no such role. */
int stor_role_get(struct stor_db *db, const char *name, uint32_t *faculties, bool *require_2fa);
int stor_roles_each(struct stor_db *db, stor_role_fn fn, void *arg);
/* Creates or changes a role. Presets keep their faculties (-EPERM), but
 * their require_2fa may change. */
int stor_role_put(struct stor_db *db, const struct stor_role *r);
/* -EPERM for a preset, -EBUSY while a user holds it. */
int stor_role_delete(struct stor_db *db, const char *name);

/* ---- groups, memberships, group and element roles, grants ---- */

/* Creates the personal group of user, named after his login, with him as
 * its only member (group role reader). -EEXIST if a group of that name exists. */
int stor_group_create_personal(struct stor_db *db, int64_t user, const char *login,
                               int64_t *gid);

struct stor_group {
    int64_t id;
    const char *name;
    const char *colour;         /* "#rrggbb" */
    bool personal;              /* made and kept by the system */
    bool position;              /* a post in the organisation chart */
    bool private_;              /* seen only by those with an entry in it */
    int64_t owner;              /* the user of a personal group, else 0 */
    int64_t created;
};
typedef int (*stor_group_fn)(void *arg, const struct stor_group *g);

/* Creates a group. -EEXIST if the name (any case) is taken. */
int stor_group_create(struct stor_db *db, const struct stor_group *g, int64_t *id);
/* Finds a group by name (any case) or, with name NULL, by id; strings from pool. */
int stor_group_get(struct stor_db *db, const char *name, int64_t id, struct cf_pool *pool,
                   struct stor_group *out);
/* Changes name, colour and the flags (name NULL: unchanged). */
int stor_group_update(struct stor_db *db, const struct stor_group *g);
/* Removes a group, its entries, its memberships in other groups and its grants. */
int stor_group_delete(struct stor_db *db, int64_t id);
/* Calls fn for every group, in name order. */
int stor_groups_each(struct stor_db *db, stor_group_fn fn, void *arg);

enum stor_kind { STOR_KIND_USER = 0, STOR_KIND_GROUP = 1 };
enum stor_section { STOR_SECTION_MEMBER = 0, STOR_SECTION_OTHER = 1 };

/* One entry of a group: a user or a group in a section, with a group role. */
struct stor_member {
    int64_t grp;
    enum stor_kind kind;
    int64_t principal;          /* user id or group id */
    const char *role;           /* a group role's name */
    enum stor_section section;
};
typedef int (*stor_member_fn)(void *arg, const struct stor_member *m);

/* Adds an entry or changes its role. */
int stor_member_put(struct stor_db *db, const struct stor_member *m);
/* Removes an entry: -ENOENT if there is none. */
int stor_member_remove(struct stor_db *db, int64_t grp, enum stor_kind kind, int64_t principal,
                       enum stor_section section);
/* Calls fn for each entry of group grp (0: of every group). */
int stor_members_each(struct stor_db *db, int64_t grp, stor_member_fn fn, void *arg);
/*
 * Counts the users in the members section of grp whose group role has the
 * administer faculty (bit 2 of group_roles.faculties), but skip_user.
 */
int stor_group_admins(struct stor_db *db, int64_t grp, int64_t skip_user, int64_t *n);
/* Removes every entry naming the principal but the one in group keep_grp. */
int stor_entries_remove_except(struct stor_db *db, enum stor_kind kind, int64_t principal,
                               int64_t keep_grp);
/* Counts the private groups left without a member holding the administer faculty. */
int stor_groups_without_admin(struct stor_db *db, int64_t *n);
/* True if making child a member of parent closes a cycle (a database walk; true on error). */
bool stor_group_would_cycle(struct stor_db *db, int64_t child, int64_t parent);
/* Calls fn for each entry naming the principal, in whatever group. */
int stor_entries_of(struct stor_db *db, enum stor_kind kind, int64_t principal, stor_member_fn fn,
                    void *arg);

/*
 * Group roles and element roles: the same shape, two tables. User roles,
 * a third, go through stor_roles2_each() and stor_role2_delete() too; their
 * get and put have their own calls (require_2fa).
 */
enum stor_role_kind { STOR_ROLES_GROUP, STOR_ROLES_ELEMENT, STOR_ROLES_USER };
int stor_role2_get(struct stor_db *db, enum stor_role_kind k, const char *name,
                   uint32_t *faculties);
int stor_roles2_each(struct stor_db *db, enum stor_role_kind k, stor_role_fn fn, void *arg);
/* Creates or changes a role; a preset's faculties stay (-EPERM). */
int stor_role2_put(struct stor_db *db, enum stor_role_kind k, const struct stor_role *r);
/* -EPERM for a preset, -EBUSY while an entry or a grant uses it, -ENOENT. */
int stor_role2_delete(struct stor_db *db, enum stor_role_kind k, const char *name);

struct stor_grant {
    int64_t id;
    int64_t repo;
    const char *path;           /* repo-relative; "" for the whole repository */
    int64_t grp;
    const char *role;           /* an element role's name */
    int64_t created;
    const char *creator;        /* login, or NULL */
};
typedef int (*stor_grant_fn)(void *arg, const struct stor_grant *g);

/*
 * Grants group grp the element role on path of repo (the path gets a file
 * id, which the grant follows). -EEXIST when that group has a grant there
 * already.
 */
int stor_grant_add(struct stor_db *db, struct stor_repo *repo, const char *path, int64_t grp,
                   const char *role, const char *creator, int64_t *id);
/* Reads one grant; strings from pool. */
int stor_grant_get(struct stor_db *db, int64_t id, struct cf_pool *pool, struct stor_grant *out);
int stor_grant_delete(struct stor_db *db, int64_t id);
/* Calls fn for each grant of repo (0: of every repository), by path. */
int stor_grants_each(struct stor_db *db, int64_t repo, stor_grant_fn fn, void *arg);

/* ---- credentials kept as hashes ---- */

/*
 * App passwords and API tokens: hash is a hex digest of the secret (the
 * caller hashes; storage never sees a secret). expires 0: never.
 */
struct stor_cred {
    int64_t id;
    int64_t user;
    const char *name;
    int64_t created;
    int64_t last_used;          /* 0: never */
    int64_t expires;            /* tokens; 0: never */
};
typedef int (*stor_cred_fn)(void *arg, const struct stor_cred *c);

enum stor_cred_kind { STOR_CRED_APP_PASSWORD, STOR_CRED_TOKEN };

int stor_cred_add(struct stor_db *db, enum stor_cred_kind kind, int64_t user, const char *name,
                  const char *hash, int64_t expires, int64_t *id);
/* Calls fn for each of user's credentials of kind, newest first. */
int stor_cred_list(struct stor_db *db, enum stor_cred_kind kind, int64_t user, stor_cred_fn fn,
                   void *arg);
/* -ENOENT unless user has credential id. */
int stor_cred_delete(struct stor_db *db, enum stor_cred_kind kind, int64_t user, int64_t id);
/*
 * Finds the credential of kind with hash (for app passwords, it must
 * belong to user; for tokens user is filled in) that has not expired at
 * now, and records its use. Returns 0 with *id (and *user), or -ENOENT.
 */
int stor_cred_find(struct stor_db *db, enum stor_cred_kind kind, const char *hash, int64_t now,
                   int64_t *user, int64_t *id);

/* ---- browser sessions ---- */

int stor_session_add(struct stor_db *db, const char *hash, int64_t user, const char *csrf,
                     int64_t expires, bool remember, const char *peer);
/* Finds a live session (expires > now). *csrf from pool. -ENOENT if none. */
int stor_session_get(struct stor_db *db, const char *hash, int64_t now, struct cf_pool *pool,
                     int64_t *user, char **csrf);
int stor_session_delete(struct stor_db *db, const char *hash);
/* Ends every session of user (a password change, a block, 2FA turned on). */
int stor_sessions_delete_user(struct stor_db *db, int64_t user);

/* ---- 2FA recovery codes ---- */

/* Replaces user's recovery codes by the n hashes given. */
int stor_recovery_set(struct stor_db *db, int64_t user, const char *const *hashes, size_t n);
/* Uses an unused code: 0, or -ENOENT when none matches. */
int stor_recovery_use(struct stor_db *db, int64_t user, const char *hash, int64_t now);
int stor_recovery_left(struct stor_db *db, int64_t user, int64_t *n);

/* ---- invitation and password-reset links ---- */

struct stor_invite {
    int64_t user;
    const char *kind;           /* "invite" or "reset" */
    int64_t inviter;            /* user id, 0: none */
    int64_t created;
    int64_t expires;
    int64_t used;               /* 0: not yet */
};
int stor_invite_add(struct stor_db *db, const char *hash, int64_t user, const char *kind,
                    int64_t inviter, int64_t expires);
/* Strings from pool. -ENOENT if no link has that hash. */
int stor_invite_get(struct stor_db *db, const char *hash, struct cf_pool *pool,
                    struct stor_invite *out);
/* Marks the link used, once: 0, or -EALREADY if it was used already. */
int stor_invite_use(struct stor_db *db, const char *hash, int64_t now);

/* ---- audit log ---- */

struct stor_audit {
    int64_t id;
    int64_t at;
    const char *actor;          /* login, or NULL for the system */
    const char *action;         /* e.g. "login.failed", "user.block" */
    const char *target;
    const char *peer;
    const char *detail;
};
int stor_audit_add(struct stor_db *db, const struct stor_audit *a);
/*
 * Calls fn for entries matching every filter that is set (NULL / 0: any),
 * newest first, with ids below before_id (0: from the newest), at most
 * limit. action matches exactly or, ending in '.', as a prefix.
 */
int stor_audit_list(struct stor_db *db, const char *actor, const char *target,
                    const char *action, int64_t since, int64_t until, int64_t before_id,
                    unsigned limit, int (*fn)(void *arg, const struct stor_audit *a),
                    void *arg);

/* ---- repositories ---- */

struct stor_repo {
    int64_t id;
    char *name;
    int64_t owner;              /* user id, 0 for none */
    uint64_t quota;             /* bytes, 0: none */
    int rootfd;                 /* O_PATH|O_DIRECTORY of data/repos/<id> */
    atomic_llong used;          /* bytes in use, -1 while unknown */
};

struct stor_repos;

/*
 * Loads every repository of db and opens its root under data_dir/repos.
 * Caller frees with stor_repos_free(). Repositories live as long as the
 * registry; lookups are safe from every thread.
 */
int stor_repos_open(const char *data_dir, struct stor_db *db, struct stor_repos **out);
void stor_repos_free(struct stor_repos *repos);
/* Returns the repository called name, or NULL. */
struct stor_repo *stor_repos_find(struct stor_repos *repos, struct cf_str name);
struct stor_repo *stor_repos_find_id(struct stor_repos *repos, int64_t id);
/* Calls fn for each repository, in name order, while fn returns 0. */
int stor_repos_each(struct stor_repos *repos, int (*fn)(struct stor_repo *, void *), void *arg);
/* Creates a repository (row and directory). -EEXIST if the name is taken. */
int stor_repo_create(struct stor_repos *repos, struct stor_db *db, const char *name,
                     int64_t owner, uint64_t quota, struct stor_repo **out);
/*
 * Removes a repository: its row (and so its properties and locks) and,
 * with its files, the directory; without, the directory is kept, renamed
 * repos/<id>.removed, for an administrator to look at. The object stays
 * valid until the registry is freed (a request may still hold it) but is
 * no longer found.
 */
int stor_repo_remove(struct stor_repos *repos, struct stor_db *db, struct stor_repo *repo,
                     bool delete_files);
/* The two halves of stor_repo_remove(), for a caller that removes the row
 * inside a larger transaction and the rest once it committed. */
int stor_repo_delete_row(struct stor_db *db, struct stor_repo *repo);
void stor_repos_forget(struct stor_repos *repos, struct stor_repo *repo, bool delete_files);
/*
 * Brings the registry in step with the database after another process
 * (cofferctl) added, removed or changed repositories. Objects of removed
 * ones stay valid until the registry is freed.
 */
int stor_repos_sync(struct stor_repos *repos, struct stor_db *db);
/* Sets a repository's quota in bytes (0: none). */
int stor_repo_set_quota(struct stor_repos *repos, struct stor_db *db, struct stor_repo *repo,
                        uint64_t quota);
/* Gives a repository a new owner (user id). */
int stor_repo_set_owner(struct stor_repos *repos, struct stor_db *db, struct stor_repo *repo,
                        int64_t owner);
/* Calls fn for each repository owned by user. */
int stor_repos_owned(struct stor_repos *repos, int64_t user,
                     int (*fn)(struct stor_repo *, void *), void *arg);
/* True if name may name a repository: 1-64 of [a-z0-9._-], not starting with '.'. */
bool stor_repo_name_ok(struct cf_str name);

/*
 * Bytes stored in the repository. Computed by a walk the first time, then
 * kept up to date by the calls below.
 */
uint64_t stor_repo_usage(struct stor_repo *repo);
void stor_repo_usage_add(struct stor_repo *repo, int64_t delta);

/* ---- files ---- */

struct stor_stat {
    bool is_dir;
    uint64_t size;
    uint64_t ino;
    uint64_t dev;
    struct timespec mtime;
    struct timespec ctime;
    struct timespec btime;      /* birth time, or the earliest of mtime/ctime */
    uint32_t nlink;
};

/* True for names storage keeps to itself (temporary files of a PUT). */
bool stor_name_is_internal(const char *name, size_t len);

int stor_stat(struct stor_repo *repo, const char *path, struct stor_stat *st);
/*
 * Between these two, on one thread, the parent folder stor_stat() resolved
 * is kept for the calls that follow (a request's stat, then its PUT): the
 * application brackets each request's work with them.
 */
void stor_request_begin(void);
void stor_request_end(void);

/*
 * Opens a regular file for reading. Returns 0 with *fd (caller closes) and
 * *st, -EISDIR for a collection, -ELOOP for a symbolic link, -ENOENT.
 */
int stor_open_read(struct stor_repo *repo, const char *path, int *fd, struct stor_stat *st);

/* Opens the parent directory of path (O_PATH); *leaf points into path. */
int stor_open_parent(struct stor_repo *repo, const char *path, int *dirfd,
                     const char **leaf);

/*
 * A write in progress: the body goes to fd, an unnamed (O_TMPFILE) or hidden
 * temporary file in the target's directory, which stor_put_commit() fsyncs
 * and then names (a new file) or renames over the target, in one step each,
 * so no reader ever sees a partial file and a crash leaves the old or the
 * new content.
 */
struct stor_put {
    struct stor_repo *repo;
    int dirfd;
    int fd;
    const char *leaf;
    char tmpname[40];           /* the hidden name, when O_TMPFILE is unavailable */
    bool existed;
    uint64_t old_size;
};

/*
 * Starts a write of path. Returns 0, -ENOENT/-ENOTDIR when the parent
 * collection is missing, -EISDIR when path is a collection, -ELOOP for a
 * symbolic link.
 */
int stor_put_begin(struct stor_repo *repo, const char *path, struct stor_put *put);
/*
 * The same, with what the caller's own stor_stat() of path found a moment
 * ago (known; NULL: nothing is there), so that it is not looked up again.
 * stor_put_commit() still notices a file made since.
 */
int stor_put_begin_known(struct stor_repo *repo, const char *path,
                         const struct stor_stat *known, struct stor_put *put);
/*
 * Makes the written bytes the file's content, in one step: readers see the
 * old or the new content and never a part. With mtime, sets the file's
 * modification time first. With durable, fsyncs the file under a hidden
 * name before it takes the target's, then the directory. Without, a new
 * file is linked under its name directly. Fills *st with the new file's
 * status; put->existed becomes true when the file was made by someone else
 * since stor_put_begin() and so was replaced. Always releases put.
 */
int stor_put_commit(struct stor_put *put, bool durable, const struct timespec *mtime,
                    struct stor_stat *st);
/* Drops the write; always releases put. NULL-safe fields. */
void stor_put_abort(struct stor_put *put);

/* Creates a collection. -EEXIST if path exists, -ENOENT without a parent. */
int stor_mkcol(struct stor_repo *repo, const char *path, bool durable);

/* Sets a file's modification time. */
int stor_set_mtime(struct stor_repo *repo, const char *path, const struct timespec *mtime);

/*
 * Called for each member that could not be removed (or copied) with its
 * path and the negative errno; the walk goes on with the rest.
 */
typedef void (*stor_fail_fn)(void *arg, const char *path, int err);
/*
 * Decides whether a member may be touched: returns 0 to go on or a negative
 * errno to leave it (and so its ancestors) alone, reported through fail.
 */
typedef int (*stor_check_fn)(void *arg, const char *path, bool is_dir);

/*
 * Removes path and, for a collection, everything beneath it. Members that
 * check refuses or that fail are left and reported; returns 0 when all went,
 * 1 when some members were left (reported), or a negative errno when path
 * itself could not be removed for a reason of its own.
 */
int stor_delete(struct stor_repo *repo, const char *path, stor_check_fn check,
                stor_fail_fn fail, void *arg, bool durable);

/*
 * Copies src (in srepo) to dst (in drepo), which must not exist; depth 0
 * copies a collection without its members. Files are copied with
 * copy_file_range (a reflink where the filesystem can). Member failures are
 * reported and skipped; returns 0, 1 if some members failed, or a negative
 * errno if dst itself could not be made.
 */
int stor_copy(struct stor_repo *srepo, const char *src, struct stor_repo *drepo,
              const char *dst, bool infinite, stor_fail_fn fail, void *arg, bool durable);

/*
 * Renames src to dst (which must not exist), across repositories too;
 * falls back to copy and delete across filesystems.
 */
int stor_rename(struct stor_repo *srepo, const char *src, struct stor_repo *drepo,
                const char *dst, bool durable);

/* Directory listing, one entry at a time, symbolic links and internal
 * files skipped; from the folder listings kept between requests when the
 * folder has not changed since (storage/stor_dcache.c). */
struct stor_dir;
int stor_dir_open(struct stor_repo *repo, const char *path, struct stor_dir **out);
/* Returns 1 with an entry, 0 at the end, or a negative errno. *name is
 * valid until the next call. */
int stor_dir_next(struct stor_dir *d, const char **name, struct stor_stat *st);
/* The directory's fd (for openat on its entries). */
int stor_dir_fd(struct stor_dir *d);
/* True if the listing comes from the kept one, not from the disk. */
bool stor_dir_cached(const struct stor_dir *d);
void stor_dir_close(struct stor_dir *d);

/* Sum of the sizes of the regular files below path. */
int stor_tree_size(struct stor_repo *repo, const char *path, uint64_t *out);

/* ---- content types ---- */

struct stor_mime;
struct stor_mime *stor_mime_new(void);
void stor_mime_free(struct stor_mime *m);
/*
 * The media type of a file: from its name's extension, else from its first
 * bytes with libmagic (read through dirfd/name, or fd when >= 0). With st
 * (the file's status), libmagic's answer is remembered for that version of
 * the file. The result is a static string or written into buf. A
 * struct stor_mime belongs to one thread.
 */
#define STOR_MIME_MAX 128
const char *stor_mime_type(struct stor_mime *m, const char *name, int dirfd, int fd,
                           const struct stor_stat *st, char buf[STOR_MIME_MAX]);
/* The type from the extension only, or NULL. */
const char *stor_mime_from_name(const char *name);

/*
 * A thread's copies of small files (storage/stor_fcache.c), trusted only
 * while a fresh stat of the path shows the same file in the same version.
 * stor_fcache_get() answers from the copy when st (a stat of repo/path
 * made for this request) matches it; otherwise it reads the file and keeps
 * it. *out holds the version read (its st may be newer than the caller's),
 * its bytes and its media type, and stays valid until the thread's next
 * call. Returns 0, -EAGAIN when the file is (now) larger than
 * STOR_FCACHE_FILE or shrank while read (serve it from the file then), or
 * what stor_open_read() returns.
 */
#define STOR_FCACHE_FILE (64u * 1024)
struct stor_fblob;
struct stor_fcached {
    int64_t repo;
    char *path;                 /* NULL: a free slot */
    struct stor_stat st;
    const char *data;
    char type[STOR_MIME_MAX];
    struct stor_fblob *blob;    /* holds data */
};
struct stor_fcache;
struct stor_fcache *stor_fcache_new(void);
void stor_fcache_free(struct stor_fcache *fc);
int stor_fcache_get(struct stor_fcache *fc, struct stor_mime *mime, struct stor_repo *repo,
                    const char *path, const struct stor_stat *st,
                    const struct stor_fcached **out);
/*
 * Keeps e's bytes for a response that sends them without a copy, past the
 * copy's replacement: returns *blob for stor_fcache_release(data, len,
 * blob) (shaped as cf_release_fn), which any thread may call once.
 */
struct stor_fblob *stor_fcache_hold(const struct stor_fcached *e);
void stor_fcache_release(const void *data, size_t len, void *blob);

/* ---- dead properties ---- */

struct stor_prop {
    const char *ns;             /* namespace URI, "" for none */
    const char *name;
    const char *lang;           /* xml:lang or NULL */
    const char *value;          /* text, or XML content when xml */
    bool xml;
};

typedef int (*stor_prop_fn)(void *arg, const char *member, const struct stor_prop *p);

/*
 * The file id of path. With create, makes one when missing; without,
 * returns -ENOENT when the path has none.
 */
int stor_node_id(struct stor_db *db, struct stor_repo *repo, const char *path,
                 bool create, int64_t *id);

/* Calls fn for each dead property of path (member is ""). */
int stor_props_get(struct stor_db *db, struct stor_repo *repo, const char *path,
                   stor_prop_fn fn, void *arg);
/*
 * Calls fn for each dead property of each direct member of the collection
 * path, with the member's name: one query for the whole collection.
 */
int stor_props_children(struct stor_db *db, struct stor_repo *repo, const char *path,
                        stor_prop_fn fn, void *arg);
int stor_prop_set(struct stor_db *db, int64_t node, const struct stor_prop *p);
int stor_prop_remove(struct stor_db *db, int64_t node, const char *ns, const char *name);

/*
 * Keeps the metadata of a subtree in step with the files: after a MOVE
 * (ids travel), a COPY (properties copied to new ids) or a DELETE (rows
 * gone). Paths as for files; "" is never passed.
 */
int stor_meta_move(struct stor_db *db, struct stor_repo *srepo, const char *src,
                   struct stor_repo *drepo, const char *dst);
int stor_meta_copy(struct stor_db *db, struct stor_repo *srepo, const char *src,
                   struct stor_repo *drepo, const char *dst, bool infinite);
int stor_meta_delete(struct stor_db *db, struct stor_repo *repo, const char *path);
/*
 * After a DELETE that had to leave some members: drops the rows (and locks)
 * of the paths at or beneath path that no longer exist, keeps the others.
 */
int stor_meta_prune(struct stor_db *db, struct stor_repo *repo, const char *path);

/* ---- locks (RFC 4918 6, 7) ---- */

enum stor_lock_scope { STOR_LOCK_EXCLUSIVE = 1, STOR_LOCK_SHARED = 2 };

struct stor_lock {
    char token[64];             /* "opaquelocktoken:<uuid>" */
    int64_t repo;
    const char *path;           /* the lock root */
    bool infinite;              /* Depth: infinity */
    enum stor_lock_scope scope;
    const char *owner;          /* the owner XML, verbatim, or NULL */
    int64_t principal;          /* user id of who took it */
    int64_t timeout;            /* seconds asked for */
    int64_t expires;            /* unix time */
};

typedef int (*stor_lock_fn)(void *arg, const struct stor_lock *lk);

/* True if a lock rooted at root covers path: rooted there, or above it with
 * Depth: infinity (RFC 4918 6.1). */
bool stor_lock_covers(const char *root, bool infinite, const char *path);
/* True if root lies strictly beneath path. */
bool stor_path_below(const char *root, const char *path);

/*
 * Calls fn for each live lock of repo that covers path (rooted at path, or
 * at an ancestor with Depth: infinity) and, with below, for each lock
 * rooted beneath path. Strings are valid during the call only.
 */
int stor_locks_each(struct stor_db *db, struct stor_repo *repo, const char *path,
                    bool below, stor_lock_fn fn, void *arg);
/*
 * Takes a lock: checks for conflicts (RFC 4918 6.1, 7) and stores it in one
 * transaction. Fills lk->token and lk->expires. Returns -EBUSY on a
 * conflict, with *conflict_path (from pool) naming the conflicting lock's
 * root.
 */
int stor_lock_create(struct stor_db *db, struct stor_repo *repo, struct stor_lock *lk,
                     struct cf_pool *pool, const char **conflict_path);
/* Finds a live lock by token; strings from pool. -ENOENT if none. */
int stor_lock_get(struct stor_db *db, const char *token, struct cf_pool *pool,
                  struct stor_lock *out);
int stor_lock_refresh(struct stor_db *db, const char *token, int64_t timeout,
                      int64_t *expires);
int stor_lock_remove(struct stor_db *db, const char *token);
/* Drops every lock rooted at or beneath path. */
int stor_locks_remove_tree(struct stor_db *db, struct stor_repo *repo, const char *path);

#endif
