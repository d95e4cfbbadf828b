/*
 * acl_engine.c: access decisions. For now a repository's owner holds every
 * element faculty on it and nobody else holds any (the identity issue's
 * interim rule); the role engine will keep this interface.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "coffer/banned.h"

struct acl_engine {
    struct stor_repos *repos;
};

struct acl_engine *
acl_engine_new(struct stor_repos *repos)
{
    struct acl_engine *e = cf_xcalloc(1, sizeof(*e));

    e->repos = repos;
    return e;
}

void
acl_engine_free(struct acl_engine *e)
{
    free(e);
}

unsigned
acl_engine_faculties(struct acl_engine *e, int64_t user, const struct stor_repo *repo,
                     const char *path)
{
    (void)e;
    (void)path;
    if (user <= 0 || repo == NULL)
        return 0;
    return repo->owner == user ? ACL_ALL : 0;
}

bool
acl_check(struct acl_engine *e, int64_t user, const struct stor_repo *repo, const char *path,
          unsigned want)
{
    return (acl_engine_faculties(e, user, repo, path) & want) == want;
}

bool
acl_repo_visible(struct acl_engine *e, int64_t user, const struct stor_repo *repo)
{
    return acl_engine_faculties(e, user, repo, "") != 0;
}

int
acl_password_hash(const char *pw, size_t len, unsigned long long ops, size_t mem,
                  char out[ACL_HASH_MAX])
{
    char tmp[crypto_pwhash_STRBYTES];

    if (crypto_pwhash_str_alg(tmp, pw, len, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -ENOMEM;
    memcpy(out, tmp, sizeof(tmp) < ACL_HASH_MAX ? sizeof(tmp) : ACL_HASH_MAX);
    out[ACL_HASH_MAX - 1] = '\0';
    sodium_memzero(tmp, sizeof(tmp));
    return 0;
}

bool
acl_password_verify(const char *hash, const char *pw, size_t len)
{
    if (hash == NULL || hash[0] == '\0')
        return false;
    return crypto_pwhash_str_verify(hash, pw, len) == 0;
}
