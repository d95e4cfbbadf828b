/*
 * conf.c: reads the configuration file into struct cf_conf. The table
 * below is the single list of keys; each entry names the field, its kind
 * and its bounds, so reading, checking and documenting stay in one place.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coffer/conf.h"
#include "coffer/log.h"
#include "coffer/str.h"
#include "coffer/banned.h"

enum cf_conf_kind { K_STR, K_SIZE, K_MS, K_SEC, K_UINT, K_BOOL, K_LISTEN, K_LEVEL };

struct cf_conf_key {
    const char *name;
    enum cf_conf_kind kind;
    size_t off;
    size_t width;         /* sizeof the field, for integers */
    uint64_t min, max;
};

#define F(field) offsetof(struct cf_conf, field), sizeof(((struct cf_conf *)0)->field)

static const struct cf_conf_key cf_conf_keys[] = {
    { "listen",            K_LISTEN, 0, 0, 0, 0 },
    { "data",              K_STR,  F(data_dir), 0, 0 },
    { "port-file",         K_STR,  F(port_file), 0, 0 },
    { "tls-cert",          K_STR,  F(tls_cert), 0, 0 },
    { "tls-key",           K_STR,  F(tls_key), 0, 0 },
    { "access-log",        K_STR,  F(access_log), 0, 0 },
    { "error-log",         K_STR,  F(error_log), 0, 0 },
    { "realm",             K_STR,  F(realm), 0, 0 },
    { "log-level",         K_LEVEL, F(log_level), 0, 3 },
    { "threads",           K_UINT, F(threads), 0, 256 },
    { "max-request-line",  K_SIZE, F(max_request_line), 256, 1u << 20 },
    { "max-head",          K_SIZE, F(max_head), 1024, 1u << 22 },
    { "max-headers",       K_UINT, F(max_headers), 8, 10000 },
    { "max-body",          K_SIZE, F(max_body), 0, UINT64_MAX },
    { "max-xml-body",      K_SIZE, F(max_xml_body), 1024, 1u << 30 },
    { "max-xml-depth",     K_UINT, F(max_xml_depth), 4, 1024 },
    { "max-path",          K_SIZE, F(max_path), 256, 4096 },
    { "max-connections",   K_UINT, F(max_connections), 1, 1u << 22 },
    { "header-timeout",    K_MS,   F(header_timeout_ms), 100, 3600000 },
    { "idle-timeout",      K_MS,   F(idle_timeout_ms), 100, 86400000 },
    { "body-timeout",      K_MS,   F(body_timeout_ms), 100, 86400000 },
    { "write-timeout",     K_MS,   F(write_timeout_ms), 100, 86400000 },
    { "propfind-infinity", K_BOOL, F(propfind_infinity), 0, 1 },
    { "fsync",             K_BOOL, F(fsync), 0, 1 },
    { "hide-apple-files",  K_BOOL, F(hide_apple_files), 0, 1 },
    { "lock-timeout",      K_SEC,  F(lock_timeout_s), 1, 365u * 86400 },
    { "lock-timeout-max",  K_SEC,  F(lock_timeout_max_s), 1, 365u * 86400 },
    { "auth-cache",        K_SEC,  F(auth_cache_s), 0, 86400 },
    { "argon2-ops",        K_UINT, F(argon2_ops), 1, 64 },
    { "argon2-mem",        K_SIZE, F(argon2_mem), 8192, 1ull << 32 },
    { "plain-basic",       K_BOOL, F(plain_basic), 0, 1 },
    { "password-min-length", K_UINT, F(password_min), 6, 256 },
    { "session-lifetime",  K_SEC,  F(session_s), 60, 365u * 86400 },
    { "remember-lifetime", K_SEC,  F(remember_s), 60, 3650u * 86400 },
    { "invite-lifetime",   K_SEC,  F(invite_s), 60, 365u * 86400 },
    { "throttle-after",    K_UINT, F(throttle_after), 1, 1000 },
    { "throttle-max",      K_SEC,  F(throttle_max_s), 1, 86400 },
    { "public-url",        K_STR,  F(public_url), 0, 0 },
    { "smtp-url",          K_STR,  F(smtp_url), 0, 0 },
    { "smtp-user",         K_STR,  F(smtp_user), 0, 0 },
    { "smtp-password",     K_STR,  F(smtp_password), 0, 0 },
    { "mail-from",         K_STR,  F(mail_from), 0, 0 },
    { "templates",         K_STR,  F(templates), 0, 0 },
    { "bench-as-user",     K_STR,  F(bench_as_user), 0, 0 },
};

void
cf_conf_defaults(struct cf_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->listen_host = cf_xstrdup("127.0.0.1");
    c->listen_port = 8080;
    c->data_dir = cf_xstrdup(CF_DEFAULT_DATA);
    c->realm = cf_xstrdup("Coffer");
    c->log_level = CF_LOG_INFO;
    c->max_request_line = CF_DEFAULT_MAX_REQUEST_LINE;
    c->max_head = CF_DEFAULT_MAX_HEAD;
    c->max_headers = CF_DEFAULT_MAX_HEADERS;
    c->max_body = CF_DEFAULT_MAX_BODY;
    c->max_xml_body = CF_DEFAULT_MAX_XML_BODY;
    c->max_xml_depth = CF_DEFAULT_MAX_XML_DEPTH;
    c->max_path = CF_DEFAULT_MAX_PATH;
    c->max_connections = CF_DEFAULT_MAX_CONNECTIONS;
    c->header_timeout_ms = CF_DEFAULT_HEADER_TIMEOUT_MS;
    c->idle_timeout_ms = CF_DEFAULT_IDLE_TIMEOUT_MS;
    c->body_timeout_ms = CF_DEFAULT_BODY_TIMEOUT_MS;
    c->write_timeout_ms = CF_DEFAULT_WRITE_TIMEOUT_MS;
    c->propfind_infinity = true;
    c->fsync = true;
    c->hide_apple_files = true;
    c->lock_timeout_s = CF_DEFAULT_LOCK_TIMEOUT_S;
    c->lock_timeout_max_s = CF_DEFAULT_LOCK_TIMEOUT_MAX_S;
    c->auth_cache_s = CF_DEFAULT_AUTH_CACHE_S;
    c->argon2_ops = CF_DEFAULT_ARGON2_OPS;
    c->argon2_mem = CF_DEFAULT_ARGON2_MEM;
    c->password_min = CF_DEFAULT_PASSWORD_MIN;
    c->session_s = CF_DEFAULT_SESSION_S;
    c->remember_s = CF_DEFAULT_REMEMBER_S;
    c->invite_s = CF_DEFAULT_INVITE_S;
    c->throttle_after = CF_DEFAULT_THROTTLE_AFTER;
    c->throttle_max_s = CF_DEFAULT_THROTTLE_MAX_S;
    c->mail_from = cf_xstrdup(CF_DEFAULT_MAIL_FROM);
}

void
cf_conf_release(struct cf_conf *c)
{
    free(c->file);
    free(c->listen_host);
    free(c->data_dir);
    free(c->port_file);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->access_log);
    free(c->error_log);
    free(c->realm);
    free(c->public_url);
    free(c->smtp_url);
    free(c->smtp_user);
    free(c->smtp_password);
    free(c->mail_from);
    free(c->templates);
    free(c->bench_as_user);
    memset(c, 0, sizeof(*c));
}

/* Splits "123k" into digits and a suffix; returns the suffix, or NULL with
 * *err set (-EINVAL, or -ERANGE for too many digits). */
static const char *
cf_conf_number(const char *s, uint64_t *v, int *err)
{
    size_t n = 0;

    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if ((*err = cf_parse_u64(s, n, UINT64_MAX, v)) < 0)
        return NULL;
    return s + n;
}

int
cf_conf_parse_size(const char *s, uint64_t *out)
{
    uint64_t v, mul = 1;
    int err;
    const char *suf = cf_conf_number(s, &v, &err);

    if (suf == NULL)
        return err;
    if (*suf == 'k' || *suf == 'K')
        mul = 1024;
    else if (*suf == 'm' || *suf == 'M')
        mul = 1024 * 1024;
    else if (*suf == 'g' || *suf == 'G')
        mul = 1024ull * 1024 * 1024;
    else if (*suf == 't' || *suf == 'T')
        mul = 1024ull * 1024 * 1024 * 1024;
    else if (*suf != '\0')
        return -EINVAL;
    if (*suf != '\0' && suf[1] != '\0' && !(suf[1] == 'b' || suf[1] == 'B'))
        return -EINVAL;
    if (*suf != '\0' && suf[1] != '\0' && suf[2] != '\0')
        return -EINVAL;
    if (v > UINT64_MAX / mul)
        return -ERANGE;
    *out = v * mul;
    return 0;
}

int
cf_conf_parse_ms(const char *s, uint64_t *out)
{
    uint64_t v, mul;
    int err;
    const char *suf = cf_conf_number(s, &v, &err);

    if (suf == NULL)
        return err;
    if (strcmp(suf, "ms") == 0)
        mul = 1;
    else if (strcmp(suf, "s") == 0 || *suf == '\0')
        mul = 1000;
    else if (strcmp(suf, "m") == 0)
        mul = 60 * 1000;
    else if (strcmp(suf, "h") == 0)
        mul = 3600 * 1000;
    else if (strcmp(suf, "d") == 0)
        mul = 86400ull * 1000;
    else
        return -EINVAL;
    if (v > UINT64_MAX / mul)
        return -ERANGE;
    *out = v * mul;
    return 0;
}

static int
cf_conf_parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
        *out = true;
    else if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
        *out = false;
    else
        return -EINVAL;
    return 0;
}

static void
cf_conf_store_uint(void *field, size_t width, uint64_t v)
{
    switch (width) {
    case sizeof(uint64_t): memcpy(field, &v, sizeof(uint64_t)); break;
    case sizeof(uint32_t): { uint32_t x = (uint32_t)v; memcpy(field, &x, sizeof(x)); break; }
    default: { int x = (int)v; memcpy(field, &x, sizeof(x)); break; }
    }
}

static int
cf_conf_parse_listen(struct cf_conf *c, const char *value, const char *where)
{
    const char *colon = strrchr(value, ':');
    const char *host = value;
    size_t hostlen;
    uint64_t port;

    if (colon == NULL) {
        cf_log(CF_LOG_ERR, "%s: listen: expected ADDR:PORT, got '%s'", where, value);
        return -1;
    }
    hostlen = (size_t)(colon - value);
    if (hostlen >= 2 && host[0] == '[' && host[hostlen - 1] == ']') {
        host++;
        hostlen -= 2;
    }
    if (cf_parse_u64(colon + 1, strlen(colon + 1), 65535, &port) < 0) {
        cf_log(CF_LOG_ERR, "%s: listen: bad port in '%s' (0..65535)", where, value);
        return -1;
    }
    free(c->listen_host);
    c->listen_host = cf_xstrndup(host, hostlen);
    c->listen_port = (unsigned)port;
    return 0;
}

int
cf_conf_set(struct cf_conf *c, const char *key, const char *value,
            const char *where)
{
    const struct cf_conf_key *k = NULL;
    uint64_t v = 0;
    int rc = 0;

    for (size_t i = 0; i < sizeof(cf_conf_keys) / sizeof(cf_conf_keys[0]); i++)
        if (strcmp(cf_conf_keys[i].name, key) == 0)
            k = &cf_conf_keys[i];
    if (k == NULL) {
        cf_log(CF_LOG_ERR, "%s: unknown setting '%s'", where, key);
        return -1;
    }
    void *field = (char *)c + k->off;
    switch (k->kind) {
    case K_LISTEN:
        return cf_conf_parse_listen(c, value, where);
    case K_STR: {
        char **s = field;
        free(*s);
        *s = *value ? cf_xstrdup(value) : NULL;
        return 0;
    }
    case K_BOOL: {
        bool b;
        if (cf_conf_parse_bool(value, &b) < 0) {
            cf_log(CF_LOG_ERR, "%s: %s: expected on or off, got '%s'", where, key, value);
            return -1;
        }
        memcpy(field, &b, sizeof(b));
        return 0;
    }
    case K_LEVEL:
        if (!strcmp(value, "error")) v = CF_LOG_ERR;
        else if (!strcmp(value, "warn")) v = CF_LOG_WARN;
        else if (!strcmp(value, "info")) v = CF_LOG_INFO;
        else if (!strcmp(value, "debug")) v = CF_LOG_DEBUG;
        else {
            cf_log(CF_LOG_ERR, "%s: %s: expected error, warn, info or debug, got '%s'",
                   where, key, value);
            return -1;
        }
        break;
    case K_SIZE:
        rc = cf_conf_parse_size(value, &v);
        break;
    case K_MS:
        rc = cf_conf_parse_ms(value, &v);
        break;
    case K_SEC:
        rc = cf_conf_parse_ms(value, &v);
        if (rc == 0 && v % 1000 != 0)
            rc = -EINVAL;
        v /= 1000;
        break;
    case K_UINT:
        rc = cf_parse_u64(value, strlen(value), UINT64_MAX, &v);
        break;
    }
    if (rc < 0) {
        cf_log(CF_LOG_ERR, "%s: %s: cannot read '%s' as a %s", where, key, value,
               k->kind == K_SIZE ? "size (like 16k or 1m)" :
               k->kind == K_UINT ? "whole number" : "duration (like 10s or 5m)");
        return -1;
    }
    if (v < k->min || v > k->max) {
        cf_log(CF_LOG_ERR, "%s: %s: %s is out of range", where, key, value);
        return -1;
    }
    cf_conf_store_uint(field, k->width, v);
    return 0;
}

static char *
cf_conf_strip(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

int
cf_conf_load(struct cf_conf *c, const char *path)
{
    FILE *f = fopen(path, "re");
    char line[4096], where[PATH_MAX + 32];
    unsigned lineno = 0;
    int rc = 0;

    if (f == NULL) {
        cf_log_errno(CF_LOG_ERR, "cannot open config file '%s'", path);
        return -1;
    }
    free(c->file);
    c->file = cf_xstrdup(path);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *hash, *eq, *key, *value;

        lineno++;
        snprintf(where, sizeof(where), "%s:%u", path, lineno);
        if (strchr(line, '\n') == NULL && !feof(f)) {
            cf_log(CF_LOG_ERR, "%s: line too long", where);
            rc = -1;
            break;
        }
        /* "#" starts a comment at the line start or after a blank */
        for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
            if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
                *hash = '\0';
                break;
            }
        key = cf_conf_strip(line);
        if (*key == '\0')
            continue;
        eq = strchr(key, '=');
        if (eq == NULL) {
            cf_log(CF_LOG_ERR, "%s: expected 'key = value'", where);
            rc = -1;
            break;
        }
        *eq = '\0';
        value = cf_conf_strip(eq + 1);
        key = cf_conf_strip(key);
        if (cf_conf_set(c, key, value, where) < 0) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int
cf_conf_check(struct cf_conf *c)
{
    const char *where = c->file ? c->file : "configuration";

    if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
        cf_log(CF_LOG_ERR, "%s: tls-cert and tls-key go together", where);
        return -1;
    }
    if (c->max_request_line > c->max_head) {
        cf_log(CF_LOG_ERR, "%s: max-request-line cannot exceed max-head", where);
        return -1;
    }
    if (c->lock_timeout_s > c->lock_timeout_max_s) {
        cf_log(CF_LOG_INFO, "%s: lock-timeout lowered to lock-timeout-max (%us)", where,
               c->lock_timeout_max_s);
        c->lock_timeout_s = c->lock_timeout_max_s;
    }
    if (c->bench_as_user != NULL && strcmp(c->listen_host, "127.0.0.1") != 0 &&
        strcmp(c->listen_host, "::1") != 0) {
        cf_log(CF_LOG_ERR, "%s: bench-as-user serves requests without credentials and is "
               "for benchmarks on a loopback address only (listen is '%s')", where,
               c->listen_host);
        return -1;
    }
    if (c->mail_from == NULL) {
        cf_log(CF_LOG_ERR, "%s: mail-from must not be empty", where);
        return -1;
    }
    if (c->data_dir == NULL) {
        cf_log(CF_LOG_ERR, "%s: data must be set", where);
        return -1;
    }
    return 0;
}
