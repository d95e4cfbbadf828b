/*
 * ident_lib.h: helpers shared by the identity integration tests
 * (it_ident.c, it_ident_web.c): Authorization lines for the test users,
 * requests with any credentials (harness.h's t_req always sends the
 * administrator's), JSON answers, users made through the API, TOTP codes,
 * and the fixtures of a server started with TI_CONF.
 *
 * Functions returning const char * write into a small ring of static
 * slots: the result stays valid for a few more calls of the same function.
 * Failures are cmocka assertions.
 */
#ifndef COFFER_TI_IDENT_LIB_H
#define COFFER_TI_IDENT_LIB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "harness.h"

/*
 * A cheap argon2id (the tests hash many passwords), and a throttle far from
 * the failures the tests make on purpose.
 */
#define TI_CONF "argon2-mem = 1m\nargon2-ops = 1\nthrottle-after = 200\n"


/* True if needle occurs in hay, ignoring case; false when hay is NULL. */
bool ti_has_ci(const char *hay, const char *needle);

/* The password of every test user: "Tst-<login>-pw-42" (long enough, not
 * common, not the login). Static slot, valid for 3 more calls. */
const char *ti_pw_of(const char *login);

/* "Authorization: Basic ...\n" for login:pw. Static slot, valid for 3 more calls. */
const char *ti_basic(const char *login, const char *pw);

/* ti_basic with the user's own password, ti_pw_of(login). */
const char *ti_as(const char *login);

/* "Authorization: Bearer <token>\n". Static slot, valid for 1 more call. */
const char *ti_bearer(const char *token);

/*
 * Sends one request on a new connection: Host, the header lines in headers
 * (each ending in "\n"; NULL or "" for none, so no credentials), a
 * Content-Type when ctype is not NULL, and body (NULL: empty) with its
 * length. Asserts that a response came; it stays in r (release it).
 * Returns its status.
 */
int ti_send_req(struct t_server *s, struct t_resp *r, const char *method, const char *path,
                const char *headers, const char *ctype, const char *body);

/* An API call with the Authorization line auth; json (or NULL) is sent as
 * application/json. The response stays in r; returns its status. */
int ti_api(struct t_server *s, struct t_resp *r, const char *method, const char *path,
           const char *auth, const char *json);

/* ti_api that releases the response and returns only its status. */
int ti_api_status(struct t_server *s, const char *method, const char *path, const char *auth,
                  const char *json);

/* PROPFIND with the Authorization line auth (NULL: none); returns the status. */
int ti_propfind(struct t_server *s, const char *path, const char *auth);

/* Asserts r's status; prints the whole response first if it is another. */
void ti_expect_status(const struct t_resp *r, int status);

/* The body of r parsed as JSON (caller decrefs); asserts that it is JSON. */
json_t *ti_jbody(const struct t_resp *r);

/* Sends json to path as auth, asserts status, and returns the JSON body
 * (caller decrefs). */
json_t *ti_api_json(struct t_server *s, const char *method, const char *path, const char *auth,
                    const char *json, int status);

/*
 * Creates the user login with role as the administrator, e-mail
 * <login>@example.com, with password pw, or without one (invited) when pw
 * is NULL. Asserts 201.
 */
void ti_mkuser(struct t_server *s, const char *login, const char *role, const char *pw);

/* ti_mkuser with the user's own password, ti_pw_of(login). */
void ti_mkuser_pw(struct t_server *s, const char *login, const char *role);

/* The 6-digit TOTP code of the base32 secret for the current time step
 * plus delta steps. */
void ti_totp_code(const char *b32, int delta, char out[8]);

/*
 * Turns 2FA on through /api/v1/me/2fa and its confirmation for the user the
 * Authorization line auth belongs to, asserting the otpauth URI and the QR
 * SVG; the secret goes to secret, the 10 recovery codes to codes if not NULL.
 */
void ti_enable_2fa(struct t_server *s, const char *auth, char secret[64], char codes[10][16]);

/*
 * Fixture: *state becomes a server of its own started with config conf
 * (printing its log if it does not start). Returns 0 or -1. harness.h's
 * t_teardown stops and frees it.
 */
int ti_start(void **state, const char *conf);

/* ti_start with TI_CONF: the group setup of both test files. */
int ti_setup(void **state);

/*
 * Per-test teardown for the shared server: if the test left it dead, prints
 * its log and starts it again with TI_CONF on the same data directory.
 */
int ti_check_alive(void **state);

#endif
