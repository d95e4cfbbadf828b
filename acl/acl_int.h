/*
 * acl_int.h: what the acl files share and nobody else sees: the engine's
 * patch calls, which the group service (acl_group.c) and the identity
 * service (acl_user.c) make after their database change committed, so the
 * picture follows at once without a reload.
 */
#ifndef COFFER_ACL_INT_H
#define COFFER_ACL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "coffer/acl.h"
#include "coffer/storage.h"

/* A group appeared or its name or flags changed. */
void acl_engine_group_put(struct acl_engine *e, const struct stor_group *g);
/* A group is gone, with its entries, its memberships and its grants. */
void acl_engine_group_remove(struct acl_engine *e, int64_t gid);
/* An entry was added or its role changed (role: a group role's name). */
void acl_engine_member_put(struct acl_engine *e, const struct stor_member *m);
void acl_engine_member_remove(struct acl_engine *e, int64_t grp, enum stor_kind kind,
                              int64_t principal, enum stor_section section);
/* A user appeared (with no entries yet) or is gone with his entries. */
void acl_engine_user_put(struct acl_engine *e, int64_t user);
void acl_engine_user_remove(struct acl_engine *e, int64_t user);
/* A grant appeared or is gone. */
void acl_engine_grant_put(struct acl_engine *e, const struct stor_grant *g);
void acl_engine_grant_remove(struct acl_engine *e, int64_t id);
/* Group or element roles changed: reread them and recompute everyone. */
int acl_engine_roles_reload(struct acl_engine *e, struct stor_db *db);

/*
 * The auth epoch the picture reflects. After a change made in this process
 * and bumped to value v, acl_engine_epoch_note(e, v) keeps the engine from
 * reloading for its own change; a change by another process leaves a gap
 * and acl_engine_epoch_synced() tells the caller to reload.
 */
void acl_engine_epoch_note(struct acl_engine *e, unsigned v);

struct acl_ident;
/*
 * A change that may strip a private group of its last administrator member
 * indirectly (a role's faculties, a user's removal) runs between these:
 * begin opens a transaction and counts the private groups without one;
 * commit refuses (-EPERM, rolled back) if the count grew, else commits.
 */
int acl_keep_private_admins_begin(struct acl_ident *x, int64_t *before);
int acl_keep_private_admins_commit(struct acl_ident *x, int64_t before);
/* After a committed change: bumps the epoch so other processes follow, and
 * notes it in x->engine, which is in step already. */
void acl_changed(struct acl_ident *x);
/* The same for a change of groups, grants or repositories only: verified
 * logins stay cached. */
void acl_changed_picture(struct acl_ident *x);

#endif
