/*
 * test_ident.c: the identity service (acl_user.c) over a real SQLite store
 * and repository registry in a temporary data directory: the password
 * policy, users with their personal group and repository, the last
 * administrator, blocking, app passwords, tokens, 2FA with replay
 * protection and recovery codes, invitation links, removal, the audit log,
 * the auth epoch, the failed-login throttle, and the cache of verified
 * Basic credentials.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "coffer/acl.h"
#include "coffer/auth.h"
#include "coffer/conf.h"
#include "coffer/groups.h"
#include "coffer/ident.h"
#include "coffer/pool.h"
#include "coffer/storage.h"
#include "coffer/throttle.h"
#include "coffer/totp.h"
#include "stor_int.h"
#include "t_store.h"

struct t_fx {
    char dir[1024];
    struct cf_conf conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct acl_epoch *epoch;
    struct acl_ident x;
    struct cf_pool *pool;
    int64_t admin;
};


static int
t_setup(void **state)
{
    struct t_fx *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    char path[PATH_MAX];
    struct acl_user_new n = { .login = "root", .email = "root@example.com",
                              .role = "administrator", .password = "Root-password-1" };

    snprintf(fx->dir, sizeof(fx->dir), "%s/coffer-ident-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    cf_conf_defaults(&fx->conf);
    fx->conf.argon2_ops = 1;            /* fast hashes: the cost is not under test */
    fx->conf.argon2_mem = 8192;
    snprintf(path, sizeof(path), "%s/coffer.db", fx->dir);
    if (stor_db_open(path, &fx->db) != 0 || stor_repos_open(fx->dir, fx->db, &fx->repos) != 0 ||
        acl_epoch_open(fx->dir, &fx->epoch) != 0)
        return -1;
    fx->x = (struct acl_ident){ .conf = &fx->conf, .db = fx->db, .repos = fx->repos,
                                .epoch = fx->epoch, .actor = "tester", .peer = "test" };
    if (acl_user_add(&fx->x, &n, &fx->admin) != 0)
        return -1;
    fx->pool = cf_pool_new(4096);
    *state = fx;
    return 0;
}

static int
t_teardown(void **state)
{
    struct t_fx *fx = *state;

    acl_epoch_free(fx->epoch);
    stor_repos_free(fx->repos);
    stor_db_free(fx->db);
    cf_pool_free(fx->pool);
    cf_conf_release(&fx->conf);
    t_rm_tree(fx->dir);
    free(fx);
    return 0;
}

static int64_t
t_user(struct t_fx *fx, const char *login, const char *role, const char *pw)
{
    char email[128];
    struct acl_user_new n = { .login = login, .email = email, .role = role, .password = pw };
    int64_t id = 0;

    snprintf(email, sizeof(email), "%s@example.com", login);
    assert_int_equal(acl_user_add(&fx->x, &n, &id), 0);
    return id;
}

static struct stor_user
t_get(struct t_fx *fx, int64_t id)
{
    struct stor_user u;

    assert_int_equal(stor_user_get_by_id(fx->db, id, fx->pool, &u), 0);
    return u;
}

/* Runs one SQL statement on the store's own connection (to age things). */
static void
t_sql(struct t_fx *fx, const char *sql)
{
    assert_int_equal(sqlite3_exec(fx->db->h, sql, NULL, NULL, NULL), SQLITE_OK);
}

static int64_t
t_count(struct t_fx *fx, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;

    assert_int_equal(sqlite3_prepare_v2(fx->db->h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void
test_password_policy(void **state)
{
    struct t_fx *fx = *state;
    const char *why = NULL;

    assert_int_equal(acl_password_policy(&fx->conf, "bob", "b@x.org", "short", &why), -EINVAL);
    assert_non_null(strstr(why, "short"));
    assert_int_equal(acl_password_policy(&fx->conf, "bobbobbobbob", NULL, "BOBBOBBOBBOB", &why),
                     -EINVAL);
    assert_non_null(strstr(why, "login"));
    assert_int_equal(acl_password_policy(&fx->conf, "bob", "bob@example.org",
                                         "bob@example.org", &why), -EINVAL);
    assert_int_equal(acl_password_policy(&fx->conf, "bob", NULL, "Password123", &why), -EINVAL);
    assert_non_null(strstr(why, "common"));
    assert_int_equal(acl_password_policy(&fx->conf, "bob", NULL, "abc\tdefghijkl", &why),
                     -EINVAL);
    /* characters, not bytes: ten UTF-8 characters pass, nine do not */
    assert_int_equal(acl_password_policy(&fx->conf, "bob", NULL,
                                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &why), 0);
    assert_int_equal(acl_password_policy(&fx->conf, "bob", NULL,
                                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &why), -EINVAL);
    assert_int_equal(acl_password_policy(&fx->conf, "bob", NULL, "correct horse battery", &why),
                     0);
}

static void
test_user_add_makes_group_and_repository(void **state)
{
    struct t_fx *fx = *state;
    int64_t alice = t_user(fx, "alice", "external", "Alice-password-1");
    int64_t guest = t_user(fx, "gus", "guest", NULL);
    struct stor_user u = t_get(fx, alice);
    struct stor_repo *r = stor_repos_find(fx->repos, CF_STR("alice"));

    assert_string_equal(u.status, "active");
    assert_string_equal(u.role, "external");
    assert_true(acl_password_verify(u.pw_hash, "Alice-password-1", 16));
    assert_non_null(r);
    assert_int_equal(r->owner, alice);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM groups g JOIN group_members m ON "
                                 "m.grp = g.id WHERE g.name = 'alice' AND g.personal AND "
                                 "m.kind = 'user'"), 1);
    /* a guest has a personal group but no repository, and no password yet: invited */
    assert_string_equal(t_get(fx, guest).status, "invited");
    assert_null(stor_repos_find(fx->repos, CF_STR("gus")));
    assert_int_equal(t_count(fx, "SELECT count(*) FROM groups WHERE name = 'gus'"), 1);
}

static void
test_user_add_refuses_bad_input_and_leaves_nothing(void **state)
{
    struct t_fx *fx = *state;
    struct acl_user_new n = { .login = "Bad Login", .email = "x@y.org", .role = "external" };
    int64_t id, users = t_count(fx, "SELECT count(*) FROM users");

    assert_int_equal(acl_user_add(&fx->x, &n, &id), -EINVAL);
    assert_non_null(strstr(fx->x.why, "login"));
    n.login = "carol";
    n.email = "not-an-address";
    assert_int_equal(acl_user_add(&fx->x, &n, &id), -EINVAL);
    assert_non_null(strstr(fx->x.why, "email"));
    n.email = "carol@example.org";
    n.role = "emperor";
    assert_int_equal(acl_user_add(&fx->x, &n, &id), -EINVAL);
    assert_non_null(strstr(fx->x.why, "role"));
    n.role = "external";
    n.password = "12345678";
    assert_int_equal(acl_user_add(&fx->x, &n, &id), -EINVAL);
    n.password = NULL;
    n.login = "root";           /* taken */
    assert_int_equal(acl_user_add(&fx->x, &n, &id), -EEXIST);
    /* a shared repository of that name blocks the personal one, and the user too */
    assert_int_equal(stor_repo_create(fx->repos, fx->db, "projects", fx->admin, 0, NULL), 0);
    n.login = "projects";
    assert_int_equal(acl_user_add(&fx->x, &n, &id), -EEXIST);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM users"), users);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM groups WHERE name = 'projects'"), 0);
}

static void
test_last_administrator_is_kept(void **state)
{
    struct t_fx *fx = *state;
    int64_t other;

    assert_int_equal(acl_user_set_role(&fx->x, fx->admin, "internal"), -EPERM);
    assert_int_equal(acl_user_block(&fx->x, fx->admin, 0), -EPERM);
    assert_int_equal(acl_user_remove(&fx->x, fx->admin, 0, false), -EPERM);
    other = t_user(fx, "second", "administrator", "Second-password-1");
    assert_int_equal(acl_user_set_role(&fx->x, fx->admin, "internal"), 0);
    assert_string_equal(t_get(fx, fx->admin).role, "internal");
    assert_int_equal(acl_user_set_role(&fx->x, other, "internal"), -EPERM);
}

static void
test_block_and_unblock(void **state)
{
    struct t_fx *fx = *state;
    int64_t bob = t_user(fx, "bob", "internal", "Bob-password-12");
    unsigned e0 = acl_epoch_get(fx->epoch);
    int64_t now = (int64_t)time(NULL);
    struct stor_user u;
    char why[160];

    assert_int_equal(acl_user_block(&fx->x, bob, now - 5), -EINVAL);
    assert_int_equal(acl_user_block(&fx->x, bob, now + 3600), 0);
    assert_true(acl_epoch_get(fx->epoch) != e0);    /* cached credentials dropped */
    u = t_get(fx, bob);
    assert_false(acl_user_may_login(&u, now, why, sizeof(why)));
    assert_non_null(strstr(why, "blocked until"));
    /* a temporary block runs out by itself */
    assert_true(acl_user_may_login(&u, now + 7200, why, sizeof(why)));
    assert_int_equal(acl_user_block(&fx->x, bob, 0), 0);
    u = t_get(fx, bob);
    assert_false(acl_user_may_login(&u, now + 365 * 86400, why, sizeof(why)));
    assert_non_null(strstr(why, "blocked"));
    assert_int_equal(acl_user_unblock(&fx->x, bob), 0);
    u = t_get(fx, bob);
    assert_true(acl_user_may_login(&u, now, why, sizeof(why)));
    assert_int_equal(acl_user_unblock(&fx->x, bob), -EINVAL);
}

static void
test_app_passwords(void **state)
{
    struct t_fx *fx = *state;
    int64_t bob = t_user(fx, "bob", "internal", "Bob-password-12");
    char secret[ACL_SECRET_MAX];
    int64_t id;
    unsigned e0;

    assert_int_equal(acl_apppw_create(&fx->x, bob, "", secret, &id), -EINVAL);
    assert_int_equal(acl_apppw_create(&fx->x, bob, "Laptop", secret, &id), 0);
    assert_int_equal(strlen(secret), 24);
    assert_true(acl_apppw_verify(fx->db, bob, secret, 24));
    assert_false(acl_apppw_verify(fx->db, fx->admin, secret, 24));  /* his, not root's */
    secret[0] = secret[0] == 'a' ? 'b' : 'a';
    assert_false(acl_apppw_verify(fx->db, bob, secret, 24));
    secret[0] = secret[0] == 'a' ? 'b' : 'a';
    /* the database keeps a hash only */
    assert_int_equal(t_count(fx, "SELECT count(*) FROM app_passwords WHERE length(hash) = 64"),
                     1);
    e0 = acl_epoch_get(fx->epoch);
    assert_int_equal(acl_apppw_revoke(&fx->x, fx->admin, id), -ENOENT);
    assert_int_equal(acl_apppw_revoke(&fx->x, bob, id), 0);
    assert_true(acl_epoch_get(fx->epoch) != e0);
    assert_false(acl_apppw_verify(fx->db, bob, secret, 24));
}

static void
test_tokens(void **state)
{
    struct t_fx *fx = *state;
    int64_t bob = t_user(fx, "bob", "internal", "Bob-password-12");
    char secret[ACL_SECRET_MAX];
    int64_t id, user = 0, tid;

    assert_int_equal(acl_token_create(&fx->x, bob, "ci", (int64_t)time(NULL) - 1, secret, &id),
                     -EINVAL);
    assert_int_equal(acl_token_create(&fx->x, bob, "ci", (int64_t)time(NULL) + 60, secret, &id),
                     0);
    assert_memory_equal(secret, "cft_", 4);
    assert_int_equal(acl_token_verify(fx->db, cf_str_from(secret), &user), 0);
    assert_int_equal(user, bob);
    /* expired: not found */
    assert_int_equal(stor_cred_find(fx->db, STOR_CRED_TOKEN, "x", 0, &user, &tid), -ENOENT);
    t_sql(fx, "UPDATE tokens SET expires = 1");
    assert_int_equal(acl_token_verify(fx->db, cf_str_from(secret), &user), -ENOENT);
    t_sql(fx, "UPDATE tokens SET expires = NULL");
    assert_int_equal(acl_token_verify(fx->db, cf_str_from(secret), &user), 0);
    assert_int_equal(acl_token_revoke(&fx->x, bob, id), 0);
    assert_int_equal(acl_token_verify(fx->db, cf_str_from(secret), &user), -ENOENT);
}

/* The code an authenticator app shows for secret at t. */
static void
t_code(const char *b32, time_t t, char out[8])
{
    unsigned char key[64];
    ssize_t n = acl_totp_base32_decode(b32, key, sizeof(key));

    assert_true(n > 0);
    snprintf(out, 8, "%06u", acl_totp_hotp(key, (size_t)n, acl_totp_step(t), 6));
}

static void
test_two_factor(void **state)
{
    struct t_fx *fx = *state;
    int64_t bob = t_user(fx, "bob", "internal", "Bob-password-12");
    char secret[ACL_TOTP_B32_LEN + 1], code[8], codes[ACL_RECOVERY_CODES][12];
    struct cf_buf uri = CF_BUF_INIT;
    struct stor_user u;

    assert_int_equal(acl_2fa_enable(&fx->x, bob, "123456", codes, ACL_RECOVERY_CODES), -EINVAL);
    assert_int_equal(acl_2fa_begin(&fx->x, bob, secret, &uri), 0);
    assert_non_null(strstr(uri.data, "otpauth://totp/"));
    assert_non_null(strstr(uri.data, secret));
    t_code(secret, time(NULL), code);
    code[0] = code[0] == '9' ? '0' : (char)(code[0] + 1);      /* a wrong code */
    assert_int_equal(acl_2fa_enable(&fx->x, bob, code, codes, ACL_RECOVERY_CODES), -EACCES);
    assert_false(t_get(fx, bob).totp_on);
    t_code(secret, time(NULL) - 30, code);          /* the previous step is accepted */
    assert_int_equal(acl_2fa_enable(&fx->x, bob, code, codes, ACL_RECOVERY_CODES), 0);
    u = t_get(fx, bob);
    assert_true(u.totp_on);
    /* the code that turned it on is spent; so is any earlier one */
    assert_int_equal(acl_2fa_check(&fx->x, &u, code), -EACCES);
    t_code(secret, time(NULL) + 30, code);
    assert_int_equal(acl_2fa_check(&fx->x, &u, code), 0);
    u = t_get(fx, bob);
    assert_int_equal(acl_2fa_check(&fx->x, &u, code), -EACCES);   /* replayed */
    /* a recovery code works once, typed loosely */
    char loose[96];
    snprintf(loose, sizeof(loose), " %.5s %s", codes[3], codes[3] + 6);
    for (char *p = loose; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(acl_2fa_check(&fx->x, &u, loose), 0);
    assert_int_equal(acl_2fa_check(&fx->x, &u, codes[3]), -EACCES);
    int64_t left;
    assert_int_equal(stor_recovery_left(fx->db, bob, &left), 0);
    assert_int_equal(left, 9);
    assert_int_equal(acl_2fa_disable(&fx->x, bob), 0);
    u = t_get(fx, bob);
    assert_false(u.totp_on);
    assert_int_equal(acl_2fa_check(&fx->x, &u, codes[4]), -EACCES);
    cf_buf_release(&uri);
}

static void
test_invitation_links(void **state)
{
    struct t_fx *fx = *state;
    int64_t carl = t_user(fx, "carl", "external", NULL), who = 0, exp;
    char token[ACL_SECRET_MAX], old[ACL_SECRET_MAX];
    struct stor_invite inv;

    assert_int_equal(acl_link_create(&fx->x, carl, "invite", old, &exp), 0);
    assert_int_equal(acl_link_create(&fx->x, carl, "invite", token, &exp), 0);
    /* the newer link replaces the older */
    assert_int_equal(acl_link_check(&fx->x, old, fx->pool, &inv), -ENOENT);
    assert_int_equal(acl_link_check(&fx->x, token, fx->pool, &inv), 0);
    assert_int_equal(inv.user, carl);
    assert_string_equal(inv.kind, "invite");
    /* a weak password is refused and the link stays usable */
    assert_int_equal(acl_link_accept(&fx->x, token, "abc", &who), -EINVAL);
    assert_int_equal(acl_link_accept(&fx->x, token, "Carl-password-1", &who), 0);
    assert_int_equal(who, carl);
    assert_string_equal(t_get(fx, carl).status, "active");
    assert_int_equal(acl_link_accept(&fx->x, token, "Carl-password-2", &who), -EALREADY);
    assert_int_equal(acl_link_check(&fx->x, token, fx->pool, &inv), -EALREADY);
    /* an active user gets reset links, not invitations */
    assert_int_equal(acl_link_create(&fx->x, carl, "invite", token, &exp), -EINVAL);
    assert_int_equal(acl_link_create(&fx->x, carl, "reset", token, &exp), 0);
    t_sql(fx, "UPDATE invitations SET expires = 1 WHERE used IS NULL");
    assert_int_equal(acl_link_check(&fx->x, token, fx->pool, &inv), -ETIME);
    assert_int_equal(acl_link_accept(&fx->x, token, "Carl-password-3", &who), -ETIME);
    assert_int_equal(acl_link_check(&fx->x, "nonsense-token-that-is-long", fx->pool, &inv),
                     -ENOENT);
    /* only hashes are stored */
    assert_int_equal(t_count(fx, "SELECT count(*) FROM invitations WHERE length(hash) = 64"), 2);
}

static void
test_password_change_bumps_epoch_and_ends_sessions(void **state)
{
    struct t_fx *fx = *state;
    int64_t bob = t_user(fx, "bob", "internal", "Bob-password-12");
    unsigned e0 = acl_epoch_get(fx->epoch);

    assert_int_equal(stor_session_add(fx->db, "h1", bob, "c", (int64_t)time(NULL) + 60, false,
                                      "1.2.3.4"), 0);
    assert_int_equal(acl_user_set_password(&fx->x, bob, "password"), -EINVAL);
    assert_int_equal(acl_epoch_get(fx->epoch), e0);
    assert_int_equal(acl_user_set_password(&fx->x, bob, "Bob-new-password-1"), 0);
    assert_true(acl_epoch_get(fx->epoch) != e0);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM sessions"), 0);
    assert_true(acl_password_verify(t_get(fx, bob).pw_hash, "Bob-new-password-1", 18));
}

static void
test_remove_user_transfer_or_delete(void **state)
{
    struct t_fx *fx = *state;
    int64_t dora = t_user(fx, "dora", "internal", "Dora-password-1");
    int64_t ed = t_user(fx, "ed", "internal", "Ed-password-123");
    struct stor_repo *r = stor_repos_find(fx->repos, CF_STR("dora"));
    struct stor_user u;

    assert_non_null(r);
    assert_int_equal(acl_user_remove(&fx->x, dora, dora, false), -EINVAL);
    assert_int_equal(acl_user_remove(&fx->x, dora, ed, false), 0);
    assert_int_equal(stor_user_get_by_id(fx->db, dora, fx->pool, &u), -ENOENT);
    assert_int_equal(stor_repos_find(fx->repos, CF_STR("dora"))->owner, ed);
    /* keep_profile: the row stays, closed, in his personal group only */
    {
        int64_t team = 0;
        struct stor_group g = { .name = "Team" };
        struct stor_member m = { 0, STOR_KIND_USER, ed, "reader", STOR_SECTION_MEMBER };

        assert_int_equal(stor_group_create(fx->db, &g, &team), 0);
        m.grp = team;
        assert_int_equal(stor_member_put(fx->db, &m), 0);
    }
    assert_int_equal(t_count(fx, "SELECT count(*) FROM group_members WHERE kind = 'user' AND "
                                 "principal = (SELECT id FROM users WHERE login = 'ed')"), 2);
    assert_int_equal(acl_user_remove(&fx->x, ed, 0, true), 0);
    assert_string_equal(t_get(fx, ed).status, "deleted");
    assert_int_equal(t_count(fx, "SELECT count(*) FROM group_members m JOIN groups g ON "
                                 "g.id = m.grp WHERE m.kind = 'user' AND g.personal = 0 AND "
                                 "m.principal = (SELECT id FROM users WHERE login = 'ed')"), 0);
    assert_int_equal(t_count(fx, "SELECT count(*) FROM group_members WHERE kind = 'user' AND "
                                 "principal = (SELECT id FROM users WHERE login = 'ed')"), 1);
    assert_null(stor_repos_find(fx->repos, CF_STR("ed")));
    assert_null(stor_repos_find(fx->repos, CF_STR("dora")));     /* his by transfer: gone */
}

static int
t_audit_count(void *arg, const struct stor_audit *a)
{
    (*(int *)arg)++;
    assert_string_equal(a->peer, "test");
    return 0;
}

static void
test_audit_records_who_what_from_where(void **state)
{
    struct t_fx *fx = *state;
    int64_t bob = t_user(fx, "bob", "internal", "Bob-password-12");
    int n = 0;

    assert_int_equal(acl_user_block(&fx->x, bob, 0), 0);
    assert_int_equal(acl_user_set_role(&fx->x, bob, "external"), 0);
    assert_int_equal(stor_audit_list(fx->db, "tester", "bob", "user.", 0, 0, 0, 100,
                                     t_audit_count, &n), 0);
    assert_int_equal(n, 3);     /* user.create, user.block, user.role */
    n = 0;
    assert_int_equal(stor_audit_list(fx->db, NULL, NULL, "user.block", 0, 0, 0, 100,
                                     t_audit_count, &n), 0);
    assert_int_equal(n, 1);
}

static void
test_throttle(void **state)
{
    struct cf_throttle *t = cf_throttle_new(3, 60);
    time_t now = 1000000;

    (void)state;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.9", now), 0);
        cf_throttle_fail(t, "bob", "10.0.0.9", now);
    }
    /* the fourth attempt must wait, 1 s, then 2, 4... */
    assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.9", now), 1);
    assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.9", now + 1), 0);
    cf_throttle_fail(t, "bob", "10.0.0.9", now + 1);
    assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.9", now + 1), 2);
    for (int i = 0; i < 20; i++)
        cf_throttle_fail(t, "bob", "10.0.0.9", now + 2);
    assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.9", now + 2), 60);    /* capped */
    /* the account's counter (6 failures here at twice the threshold) ... */
    assert_true(cf_throttle_wait(t, "bob", "10.0.0.7", now + 2) > 0);
    /* ... does not stop his owner at an address he logged in from before */
    cf_throttle_success(t, "bob", "10.0.0.8", now - 100);
    for (int i = 0; i < 10; i++)
        cf_throttle_fail(t, "bob", "10.0.0.9", now + 2);
    assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.8", now + 2), 0);
    assert_true(cf_throttle_wait(t, "bob", "10.0.0.7", now + 2) > 0);
    /* a success clears the address and the account */
    cf_throttle_success(t, "bob", "10.0.0.9", now + 3);
    assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.9", now + 3), 0);
    assert_int_equal(cf_throttle_wait(t, "bob", "10.0.0.7", now + 3), 0);
    cf_throttle_free(t);
}

static void
test_roles_are_data(void **state)
{
    struct t_fx *fx = *state;
    struct stor_role r = { .name = "auditor", .faculties = ACL_U_SEE_USERS };
    bool req2fa = false;

    assert_int_equal(acl_role_faculties(fx->db, "administrator", NULL), ACL_U_ALL);
    assert_int_equal(acl_role_faculties(fx->db, "guest", NULL), 0);
    assert_int_equal(acl_user_scope(acl_role_faculties(fx->db, "internal", NULL)),
                     STOR_USERS_ALL);
    assert_int_equal(acl_user_scope(acl_role_faculties(fx->db, "external", NULL)),
                     STOR_USERS_PEERS);
    assert_int_equal(acl_user_scope(0), STOR_USERS_SELF);
    assert_int_equal(stor_role_put(fx->db, &r), 0);
    assert_int_equal(acl_role_faculties(fx->db, "auditor", NULL), ACL_U_SEE_USERS);
    /* a preset keeps its faculties, but may require 2FA */
    r.name = "external";
    assert_int_equal(stor_role_put(fx->db, &r), -EPERM);
    r.faculties = acl_role_faculties(fx->db, "external", NULL);
    r.require_2fa = true;
    assert_int_equal(stor_role_put(fx->db, &r), 0);
    acl_role_faculties(fx->db, "external", &req2fa);
    assert_true(req2fa);
    assert_int_equal(stor_role_delete(fx->db, "external"), -EPERM);
    t_user(fx, "aud", "auditor", NULL);
    assert_int_equal(stor_role_delete(fx->db, "auditor"), -EBUSY);
    assert_string_equal(acl_user_faculty_name(ACL_U_UPLOAD), "upload");
    assert_int_equal(acl_user_faculty_parse("create-groups"), ACL_U_CREATE_GROUPS);
    assert_int_equal(acl_user_faculty_parse("fly"), 0);
}

static void
test_group_changes_keep_verified_logins(void **state)
{
    struct t_fx *fx = *state;
    struct stor_group g = { .name = "Accounting" };
    unsigned cred = acl_epoch_get(fx->epoch), pic = acl_epoch_picture(fx->epoch);
    int64_t gid, bob;

    /* a group made: other processes reread the picture, the cached logins stay */
    assert_int_equal(acl_group_create(&fx->x, ACL_U_ALL, &g, &gid), 0);
    assert_int_equal(acl_epoch_get(fx->epoch), cred);
    assert_true(acl_epoch_picture(fx->epoch) != pic);
    /* a user made: the same */
    pic = acl_epoch_picture(fx->epoch);
    bob = t_user(fx, "bob", "internal", "Bob-password-12");
    assert_int_equal(acl_epoch_get(fx->epoch), cred);
    assert_true(acl_epoch_picture(fx->epoch) != pic);
    /* a password changed: both move */
    pic = acl_epoch_picture(fx->epoch);
    assert_int_equal(acl_user_set_password(&fx->x, bob, "Bob-other-password-1"), 0);
    assert_true(acl_epoch_get(fx->epoch) != cred);
    assert_true(acl_epoch_picture(fx->epoch) != pic);
}

/* A cache key like a keyed hash's: set picks the cache set (the first bytes), k the rest. */
static void
t_key(unsigned char h[CF_AUTH_HASH_BYTES], unsigned set, unsigned k)
{
    unsigned char in[8] = { (unsigned char)k, (unsigned char)(k >> 8), 0x5a };

    crypto_generichash(h, CF_AUTH_HASH_BYTES, in, sizeof(in), NULL, 0);
    h[0] = (unsigned char)set;
    h[1] = 0;
}

/*
 * Logins whose hashes meet in one set are all kept: with a direct-mapped
 * cache two of them evicted each other on every request, and each request
 * then paid an argon2id run (the mixed workload of make bench).
 */
static void
test_auth_cache_keeps_logins_that_meet(void **state)
{
    struct t_fx *fx = *state;
    struct cf_auth *a = cf_auth_new(&fx->conf, fx->epoch);
    struct cf_auth_cache *c = cf_auth_cache_new(a);
    unsigned epoch = acl_epoch_get(fx->epoch);
    time_t now = time(NULL);
    unsigned char h[CF_AUTH_HASH_BYTES];
    const char *login = NULL;
    char name[32];

    for (unsigned k = 0; k < 8; k++) {
        t_key(h, 7, k);
        snprintf(name, sizeof(name), "u%u", k);
        cf_auth_cache_store(c, h, 100 + k, name, epoch, now);
    }
    for (unsigned k = 0; k < 8; k++) {
        t_key(h, 7, k);
        snprintf(name, sizeof(name), "u%u", k);
        assert_int_equal(cf_auth_cache_find(c, h, epoch, now, &login), 100 + k);
        assert_string_equal(login, name);
    }
    /* expired, or of an older epoch: not found */
    t_key(h, 7, 0);
    assert_int_equal(cf_auth_cache_find(c, h, epoch, now + (time_t)fx->conf.auth_cache_s, &login),
                     0);
    assert_int_equal(cf_auth_cache_find(c, h, epoch + 1, now, &login), 0);
    cf_auth_cache_free(c);
    /* 200 logins spread as the hash spreads them, as in the bench: all kept */
    c = cf_auth_cache_new(a);
    for (unsigned k = 0; k < 200; k++) {
        crypto_generichash(h, sizeof(h), (const unsigned char *)&k, sizeof(k), NULL, 0);
        cf_auth_cache_store(c, h, 1000 + k, "spread", epoch, now);
    }
    for (unsigned k = 0; k < 200; k++) {
        crypto_generichash(h, sizeof(h), (const unsigned char *)&k, sizeof(k), NULL, 0);
        assert_int_equal(cf_auth_cache_find(c, h, epoch, now, &login), 1000 + k);
    }
    cf_auth_cache_free(c);
    cf_auth_free(a);
}

/* A full set gives up its dead entries first, then the one used least recently. */
static void
test_auth_cache_evicts_dead_then_least_recent(void **state)
{
    struct t_fx *fx = *state;
    struct cf_auth *a = cf_auth_new(&fx->conf, fx->epoch);
    struct cf_auth_cache *c = cf_auth_cache_new(a);
    unsigned epoch = acl_epoch_get(fx->epoch);
    time_t now = time(NULL);
    unsigned char h[CF_AUTH_HASH_BYTES];
    const char *login;

    for (unsigned k = 0; k < 8; k++) {
        t_key(h, 3, k);
        cf_auth_cache_store(c, h, 100 + k, "x", k == 5 ? epoch - 1 : epoch, now);
    }
    for (unsigned k = 0; k < 8; k++) {
        t_key(h, 3, k);
        cf_auth_cache_find(c, h, epoch, now, &login);     /* all used, 0 first */
    }
    t_key(h, 3, 8);
    cf_auth_cache_store(c, h, 108, "x", epoch, now);    /* takes 5's (old epoch) */
    t_key(h, 3, 0);
    assert_int_equal(cf_auth_cache_find(c, h, epoch, now, &login), 100);
    t_key(h, 3, 9);
    cf_auth_cache_store(c, h, 109, "x", epoch, now);    /* takes 1's: 0 was just used */
    for (unsigned k = 0; k < 10; k++) {
        t_key(h, 3, k);
        assert_int_equal(cf_auth_cache_find(c, h, epoch, now, &login),
                         k == 1 || k == 5 ? 0 : 100 + k);
    }
    /* the same credential again refreshes its entry, it takes no second one */
    t_key(h, 3, 9);
    cf_auth_cache_store(c, h, 109, "x", epoch, now);
    t_key(h, 3, 2);
    assert_int_equal(cf_auth_cache_find(c, h, epoch, now, &login), 102);
    cf_auth_cache_free(c);
    cf_auth_free(a);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
    const struct CMUnitTest tests[] = {
        T(test_password_policy),
        T(test_user_add_makes_group_and_repository),
        T(test_user_add_refuses_bad_input_and_leaves_nothing),
        T(test_last_administrator_is_kept),
        T(test_block_and_unblock),
        T(test_app_passwords),
        T(test_tokens),
        T(test_two_factor),
        T(test_invitation_links),
        T(test_password_change_bumps_epoch_and_ends_sessions),
        T(test_remove_user_transfer_or_delete),
        T(test_audit_records_who_what_from_where),
        T(test_throttle),
        T(test_roles_are_data),
        T(test_group_changes_keep_verified_logins),
        T(test_auth_cache_keeps_logins_that_meet),
        T(test_auth_cache_evicts_dead_then_least_recent),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
