/*
 * acl.h: who may do what. Every WebDAV and API decision about access is
 * taken here, and only here (DESIGN.md, "The access model").
 *
 * This first version knows repository owners only: the owner of a
 * repository holds every element faculty on it and nobody else holds any.
 * The nested-group role engine replaces the inside of acl_engine_faculties()
 * without changing its callers.
 *
 * Failures inside the engine fail closed: no faculty.
 */
#ifndef COFFER_ACL_H
#define COFFER_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stor_repo;
struct stor_repos;

/* Element faculties (what one may do with a file or folder). */
enum acl_faculty {
    ACL_READ = 1u << 0,         /* see it, list it, download it */
    ACL_WRITE = 1u << 1,        /* change content and properties, create members, lock */
    ACL_DELETE = 1u << 2,       /* remove it (and move it away) */
    ACL_MANAGE = 1u << 3,       /* manage grants */
    ACL_VERSIONS = 1u << 4,     /* see earlier versions */
    ACL_ALL = 0x1f,
};

struct acl_engine;

struct acl_engine *acl_engine_new(struct stor_repos *repos);
void acl_engine_free(struct acl_engine *e);

/* The element faculties user holds on path (repo-relative) in repo. */
unsigned acl_engine_faculties(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
                              const char *path);

/* True if user holds every faculty of want on path. */
bool acl_check(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
               const char *path, unsigned want);

/* True if user may see that repo exists (it is listed under /dav/). */
bool acl_repo_visible(struct acl_engine *e, int64_t user, const struct stor_repo *repo);

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
