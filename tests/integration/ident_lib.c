/*
 * ident_lib.c: helpers shared by the identity integration tests (see
 * ident_lib.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "coffer/totp.h"
#include "ident_lib.h"


bool
ti_has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

const char *
ti_pw_of(const char *login)
{
    static char slot[4][128];
    static int next;
    char *out = slot[next++ % 4];

    snprintf(out, sizeof(slot[0]), "Tst-%s-pw-42", login);
    return out;
}

const char *
ti_basic(const char *login, const char *pw)
{
    static char slot[4][512];
    static int next;
    char raw[256], *out = slot[next++ % 4];
    int n = snprintf(raw, sizeof(raw), "%s:%s", login, pw);

    memcpy(out, "Authorization: Basic ", 21);
    sodium_bin2base64(out + 21, sizeof(slot[0]) - 23, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_ORIGINAL);
    strcat(out, "\n");
    return out;
}

const char *
ti_as(const char *login)
{
    return ti_basic(login, ti_pw_of(login));
}

const char *
ti_bearer(const char *token)
{
    static char slot[2][256];
    static int next;
    char *out = slot[next++ % 2];

    snprintf(out, sizeof(slot[0]), "Authorization: Bearer %s\n", token);
    return out;
}

int
ti_send_req(struct t_server *s, struct t_resp *r, const char *method, const char *path,
            const char *headers, const char *ctype, const char *body)
{
    /* t_http turns the head's "\n" into CRLF and sends the body as given */
    int rc = t_http(s, r, "%s %s HTTP/1.1\nHost: 127.0.0.1:%d\n%s%s%s%sContent-Length: %zu\n\n%s",
                    method, path, s->port, headers ? headers : "", ctype ? "Content-Type: " : "",
                    ctype ? ctype : "", ctype ? "\n" : "", body ? strlen(body) : 0,
                    body ? body : "");

    assert_int_equal(rc, 0);
    return r->status;
}

int
ti_api(struct t_server *s, struct t_resp *r, const char *method, const char *path,
       const char *auth, const char *json)
{
    return ti_send_req(s, r, method, path, auth, json ? "application/json" : NULL, json);
}

int
ti_api_status(struct t_server *s, const char *method, const char *path, const char *auth,
              const char *json)
{
    struct t_resp r;
    int st = ti_api(s, &r, method, path, auth, json);

    t_resp_release(&r);
    return st;
}

int
ti_propfind(struct t_server *s, const char *path, const char *auth)
{
    struct t_resp r;
    int st = ti_send_req(s, &r, "PROPFIND", path, auth ? auth : "", NULL, NULL);

    t_resp_release(&r);
    return st;
}

void
ti_expect_status(const struct t_resp *r, int status)
{
    if (r->status != status)
        fprintf(stderr, "# expected %d, got %d:\n# %s\n# %s\n", status, r->status,
                r->head ? r->head : "", r->body ? r->body : "");
    assert_int_equal(r->status, status);
}

json_t *
ti_jbody(const struct t_resp *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, &e);

    if (j == NULL)
        fprintf(stderr, "# not JSON (status %d): %s\n", r->status, r->body ? r->body : "");
    assert_non_null(j);
    return j;
}

json_t *
ti_api_json(struct t_server *s, const char *method, const char *path, const char *auth,
            const char *json, int status)
{
    struct t_resp r;
    json_t *j;

    ti_api(s, &r, method, path, auth, json);
    ti_expect_status(&r, status);
    j = ti_jbody(&r);
    t_resp_release(&r);
    return j;
}

void
ti_mkuser(struct t_server *s, const char *login, const char *role, const char *pw)
{
    char body[512];
    struct t_resp r;

    snprintf(body, sizeof(body), "{\"login\":\"%s\",\"email\":\"%s@example.com\","
             "\"role\":\"%s\"%s%s%s}", login, login, role,
             pw ? ",\"password\":\"" : "", pw ? pw : "", pw ? "\"" : "");
    ti_api(s, &r, "POST", "/api/v1/users", T_AUTH, body);
    ti_expect_status(&r, 201);
    t_resp_release(&r);
}

void
ti_mkuser_pw(struct t_server *s, const char *login, const char *role)
{
    ti_mkuser(s, login, role, ti_pw_of(login));
}

void
ti_totp_code(const char *b32, int delta, char out[8])
{
    unsigned char key[64];
    ssize_t n = acl_totp_base32_decode(b32, key, sizeof(key));
    uint64_t step = acl_totp_step(time(NULL));

    assert_true(n > 0);
    snprintf(out, 8, "%06u", acl_totp_hotp(key, (size_t)n, step + (uint64_t)(int64_t)delta, 6));
}

void
ti_enable_2fa(struct t_server *s, const char *auth, char secret[64], char codes[10][16])
{
    char body[64], code[8];
    json_t *j, *rc;

    j = ti_api_json(s, "POST", "/api/v1/me/2fa", auth, NULL, 200);
    assert_non_null(json_string_value(json_object_get(j, "secret")));
    snprintf(secret, 64, "%s", json_string_value(json_object_get(j, "secret")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "uri")), "otpauth://totp/"));
    assert_non_null(strstr(json_string_value(json_object_get(j, "qr_svg")), "<svg"));
    json_decref(j);
    ti_totp_code(secret, 0, code);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    j = ti_api_json(s, "POST", "/api/v1/me/2fa/confirm", auth, body, 200);
    rc = json_object_get(j, "recovery_codes");
    assert_int_equal(json_array_size(rc), 10);
    for (size_t i = 0; codes != NULL && i < 10; i++)
        snprintf(codes[i], 16, "%s", json_string_value(json_array_get(rc, i)));
    json_decref(j);
}

int
ti_start(void **state, const char *conf)
{
    struct t_server *s = calloc(1, sizeof(*s));

    *state = s;
    if (s == NULL)
        return -1;
    if (t_server_start(s, conf) == 0)
        return 0;
    t_print_log(s);
    t_teardown(state);
    *state = NULL;
    return -1;
}

int
ti_setup(void **state)
{
    return ti_start(state, TI_CONF);
}

int
ti_check_alive(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    if (t_http(s, &r, "OPTIONS / HTTP/1.1\nHost: x\n\n") == 0 && r.status == 200) {
        t_resp_release(&r);
        return 0;
    }
    fprintf(stderr, "# cofferd died during this test; its log:\n");
    t_print_log(s);
    return t_server_restart(s, TI_CONF);
}
