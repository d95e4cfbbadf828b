/*
 * acl.h: who may do what. Every WebDAV and API decision about access is
 * taken here, and only here (DESIGN.md, "The access model"; seed 001).
 *
 * The role engine keeps an in-memory picture of users, groups, their
 * memberships and the grants on repositories:
 *
 *   - A group has members (users, or groups nested in it) and "other
 *     permissions" users; each entry holds a group role, a set of group
 *     faculties (ACL_G_*).
 *   - Nesting: when group C is a member of P with role R, every member of C,
 *     transitively through C's member groups, is a member of P with role R.
 *     Roles held inside C do not travel; C's other-permissions users do not
 *     travel at all.
 *   - A grant gives a group an element role (a set of ACL_* faculties) on a
 *     repository, a folder or a file; grants inherit downwards and add up.
 *   - A user holds on a resource the union of the element roles of every
 *     grant on it or an ancestor whose group he holds the read group
 *     faculty in (as a member, through nesting, or in other permissions).
 *
 * Each user's effective groups (group id -> group faculties) are computed
 * when memberships change, so a check is a few hash lookups along the
 * path, never a query. The engine is shared by every thread: checks take a
 * read lock, changes a write lock, and the very next check sees a change.
 *
 * Failures inside the engine fail closed: no faculty.
 */
#ifndef COFFER_ACL_H
#define COFFER_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stor_db;
struct stor_repo;
struct stor_repos;
struct cf_buf;

/* Element faculties (what one may do with a file or folder). */
enum acl_faculty {
    ACL_READ = 1u << 0,         /* see it, list it, download it */
    ACL_WRITE = 1u << 1,        /* change content and properties, create members, lock */
    ACL_DELETE = 1u << 2,       /* remove it (and move it away) */
    ACL_MANAGE = 1u << 3,       /* manage grants */
    ACL_VERSIONS = 1u << 4,     /* see earlier versions */
    ACL_ALL = 0x1f,
};

/* Group faculties (what a group role lets one do with the group). */
enum acl_group_faculty {
    ACL_G_READ = 1u << 0,       /* reach what the group is granted */
    ACL_G_ADMIN = 1u << 1,      /* edit members and roles, rename, delete the group */
    ACL_G_PUBLISH = 1u << 2,    /* include the group in repositories (grants) */
    ACL_G_ALL = 0x7,
};

struct acl_engine;

/* An empty engine; acl_engine_load() fills it. */
struct acl_engine *acl_engine_new(struct stor_repos *repos);
void acl_engine_free(struct acl_engine *e);
/*
 * (Re)builds the whole picture from the database: roles, users, groups,
 * memberships, grants. Used at startup and when another process
 * (cofferctl) changed something. Returns 0 or a negative errno; on failure
 * the old picture stays.
 */
int acl_engine_load(struct acl_engine *e, struct stor_db *db);

/*
 * The auth epoch (ident.h) the picture reflects. A caller that sees the
 * shared epoch differ reloads (another process changed groups or grants)
 * and then records the epoch it loaded at.
 */
unsigned acl_engine_epoch(struct acl_engine *e);
void acl_engine_set_epoch(struct acl_engine *e, unsigned v);

/* ---- checks (hot path) ---- */

/* The element faculties user holds on path (repo-relative, normalised) in repo. */
unsigned acl_engine_faculties(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
                              const char *path);

/* True if user holds every faculty of want on path. */
bool acl_check(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
               const char *path, unsigned want);

/*
 * The union of the faculties user holds anywhere in repo (0: none): a
 * role that manages grants without reading still has the repository to
 * manage through the API.
 */
unsigned acl_engine_reach(struct acl_engine *e, int64_t user, const struct stor_repo *repo);

/* True if user may see that repo exists: he may read something in it. */
bool acl_repo_visible(struct acl_engine *e, int64_t user, const struct stor_repo *repo);

/*
 * True if user may see that path exists: he may read it, or it is a
 * folder on the way to something he may read (then he sees only the
 * members that are themselves visible). Other faculties without read (a
 * role that only manages grants) show nothing: a refusal there is a 404.
 */
bool acl_path_visible(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
                      const char *path);

/* True if some grant sits at or below path in repo (so a MOVE or DELETE there concerns grants). */
bool acl_engine_has_grants_below(struct acl_engine *e, const struct stor_repo *repo,
                                 const char *path);
/* True if some grant sits strictly below path: without one, every member
 * of path holds what path holds (grants inherit downwards). */
bool acl_engine_has_grants_under(struct acl_engine *e, const struct stor_repo *repo,
                                 const char *path);

/*
 * Keeps the picture in step after a MOVE or DELETE carried grants along
 * (grants follow the file id): rereads the grants of repo from db.
 */
int acl_engine_reload_grants(struct acl_engine *e, struct stor_db *db,
                             const struct stor_repo *repo);

/* ---- groups (for the API's visibility rules and explanations) ---- */

/* The group faculties user holds in group gid (through any path), 0 if none. */
unsigned acl_engine_group_faculties(struct acl_engine *e, int64_t user, int64_t gid);
/* True if user is a member of gid, directly or through nesting. */
bool acl_engine_is_member(struct acl_engine *e, int64_t user, int64_t gid);
/* True if user has any entry in gid (a member, nested or direct, or in other permissions). */
bool acl_engine_in_group(struct acl_engine *e, int64_t user, int64_t gid);
/*
 * True if users a and b are both members (directly or through nesting) of
 * some group that is not a personal one: an external user sees such peers.
 */
bool acl_engine_peers(struct acl_engine *e, int64_t a, int64_t b);
/* True if making child a member of parent would close a cycle (or child == parent). */
bool acl_engine_would_cycle(struct acl_engine *e, int64_t child, int64_t parent);

/*
 * Appends to out, as JSON text, why user holds what he holds on path:
 * {"faculties": [...], "grants": [{"id", "path", "group", "role",
 * "faculties", "via": [[{"group", "role", "section"}, {"group", "role"},
 * ...], ...]}]} where each via is one chain of groups from the entry the
 * user holds (with its section) to the granted group, each hop with the
 * role held there. Used by the access call of the API and cofferctl.
 * Returns the faculties.
 */
unsigned acl_engine_explain(struct acl_engine *e, struct stor_db *db, int64_t user,
                            const struct stor_repo *repo, const char *path, struct cf_buf *out);

/* The API names of element faculties ("read", "write", ...) and group faculties. */
const char *acl_faculty_name(unsigned bit);
unsigned acl_faculty_parse(const char *name);
const char *acl_group_faculty_name(unsigned bit);
unsigned acl_group_faculty_parse(const char *name);

/* ---- passwords (argon2id, libsodium) ---- */

#define ACL_HASH_MAX 128

/*
 * Hashes a password with argon2id at the given cost into out (NUL-terminated
 * string for crypto_pwhash_str_verify). Returns 0 or -ENOMEM.
 */
int acl_password_hash(const char *pw, size_t len, unsigned long long ops, size_t mem,
                      char out[ACL_HASH_MAX]);
/* True if pw matches hash. Runs in time independent of where they differ. */
bool acl_password_verify(const char *hash, const char *pw, size_t len);

#endif
