/*
 * groups.h: the rules of seed 001 for who may change groups, repositories
 * and grants, in one place for the REST API and cofferctl. Each call
 * checks the actor's right, changes the database in one transaction,
 * writes the audit log, patches the role engine (x->engine, when there is
 * one) and bumps the auth epoch so other processes follow.
 *
 * The actor is x->actor_id with the user faculties ufac of his user role
 * (ident.h); actor_id 0 is the system (cofferctl), which may do anything
 * but see into private groups... except that the system, run by whoever
 * holds the data directory, is trusted: cofferctl may.
 *
 * Rights:
 *   - Create a group: the create-groups user faculty. The creator gets the
 *     administrator group role in it (a member of a private group, since a
 *     private group must keep a member holding it; else in other
 *     permissions, so that nesting does not carry him along).
 *   - Change a group, its entries, or delete it: the administer group
 *     faculty in it, or the administer user faculty for a group that is
 *     not private. Personal groups are kept by the system: nobody changes
 *     their entries or deletes them.
 *   - A private group is invisible (ENOENT, as if it did not exist) to
 *     everyone without an entry in it, administrators included, and always
 *     keeps a member holding the administrator group role.
 *   - Include a group in a repository (add a grant) or exclude it: the
 *     publish group faculty in it (for a personal group: being able to see
 *     its user), plus the manage element faculty on the resource; or the
 *     administer user faculty, for groups that are not private.
 *   - Create a shared repository: the create-repositories user faculty;
 *     its owner's personal group gets a full-control grant on it.
 *
 * Errors as in ident.h: 0 or a negative errno with x->why set; -ENOENT
 * also for what the actor may not see; -EACCES for a right he lacks;
 * -ELOOP for a nesting cycle; -EPERM for a rule (personal group, last
 * administrator of a private group).
 */
#ifndef COFFER_GROUPS_H
#define COFFER_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "coffer/acl.h"
#include "coffer/ident.h"
#include "coffer/storage.h"

/* True if the actor may see group g (lists, searches, counts, errors). */
bool acl_group_visible(struct acl_ident *x, uint32_t ufac, const struct stor_group *g);
/* Loads the group called name if the actor may see it, else -ENOENT. */
int acl_group_find(struct acl_ident *x, uint32_t ufac, const char *name, struct cf_pool *pool,
                   struct stor_group *out);
/* True for a group name: 1-64 characters, no control characters, no '/', not blank. */
bool acl_group_name_ok(const char *name);
/* True for a colour "#rrggbb". */
bool acl_colour_ok(const char *colour);

/* g->name, colour (NULL: default), position, private_ are used. */
int acl_group_create(struct acl_ident *x, uint32_t ufac, const struct stor_group *g, int64_t *id);
/* Changes name (NULL: kept), colour (NULL: kept), position and private_ of group gid. */
int acl_group_update(struct acl_ident *x, uint32_t ufac, int64_t gid, const struct stor_group *g);
int acl_group_delete(struct acl_ident *x, uint32_t ufac, int64_t gid);

/* Adds an entry or changes its role (m->role: a group role's name). */
int acl_member_put(struct acl_ident *x, uint32_t ufac, const struct stor_member *m);
/* Removes an entry; a user may always remove himself (leave), but for the last rule. */
int acl_member_remove(struct acl_ident *x, uint32_t ufac, int64_t gid, enum stor_kind kind,
                      int64_t principal, enum stor_section section);

/* Creates a shared repository owned by owner (0: the actor). quota 0: none. */
int acl_repo_create(struct acl_ident *x, uint32_t ufac, const char *name, int64_t owner,
                    uint64_t quota, struct stor_repo **out);
/* Gives user's personal group full control of repo (a repository made for him). */
int acl_repo_grant_owner(struct acl_ident *x, struct stor_repo *repo, int64_t user);
/* Changes quota (UINT64_MAX: kept) and owner (0: kept): administer faculty or manage on the root. */
int acl_repo_update(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo, uint64_t quota,
                    int64_t owner);
/* Removes a repository with its files: administer user faculty, or manage on its root. */
int acl_repo_delete(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo);

/* Grants group gid the element role on path (normalised, "" for the root) of repo. */
int acl_grant_add(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo, const char *path,
                  int64_t gid, const char *role, int64_t *id);
/* Removes grant id of repo. */
int acl_grant_remove(struct acl_ident *x, uint32_t ufac, struct stor_repo *repo, int64_t id);

/*
 * Group and element roles: create or change (a preset keeps its
 * faculties), delete (not a preset, not while in use). Administer user
 * faculty. The engine follows at once.
 */
int acl_roles2_put(struct acl_ident *x, uint32_t ufac, enum stor_role_kind k,
                   const struct stor_role *r);
int acl_roles2_delete(struct acl_ident *x, uint32_t ufac, enum stor_role_kind k,
                      const char *name);

#endif
