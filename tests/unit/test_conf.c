/*
 * test_conf.c: the configuration reader of src/conf.c: sizes, durations,
 * every kind of key with its bounds on both sides, whole files, and the
 * cross-field checks. Files are written to a temporary directory that the
 * group teardown removes. cf_conf_* report errors on stderr; that output
 * is expected here.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coffer/conf.h"
#include "coffer/log.h"
#include "coffer/str.h"
#include "coffer/banned.h"

static char t_dir[256];

static int
t_group_setup(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(t_dir, sizeof(t_dir), "%s/coffer-test-conf-XXXXXX",
             tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    return mkdtemp(t_dir) != NULL ? 0 : -1;
}

static int
t_group_teardown(void **state)
{
    DIR *d = opendir(t_dir);
    struct dirent *e;
    char path[512];

    (void)state;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", t_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(t_dir);
}

/* Each test starts from the defaults; teardown releases what it set. */
static int
t_setup(void **state)
{
    struct cf_conf *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return -1;
    cf_conf_defaults(c);
    *state = c;
    return 0;
}

static int
t_teardown(void **state)
{
    struct cf_conf *c = *state;

    cf_conf_release(c);
    free(c);
    return 0;
}

/* Writes text to name in the temporary directory; returns the path. */
static const char *
t_write(const char *name, const char *text)
{
    static char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", t_dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static int
t_set(struct cf_conf *c, const char *key, const char *value)
{
    return cf_conf_set(c, key, value, "test");
}

/* ---- cf_conf_parse_size ---- */

static void
test_parse_size_suffixes_are_powers_of_1024(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_conf_parse_size("16k", &v), 0);
    assert_int_equal(v, 16384);
    assert_int_equal(cf_conf_parse_size("16K", &v), 0);
    assert_int_equal(v, 16384);
    assert_int_equal(cf_conf_parse_size("1m", &v), 0);
    assert_int_equal(v, 1048576);
    assert_int_equal(cf_conf_parse_size("1g", &v), 0);
    assert_int_equal(v, 1073741824);
    assert_int_equal(cf_conf_parse_size("1t", &v), 0);
    assert_int_equal(v, 1099511627776ull);
}

static void
test_parse_size_plain_bytes(void **state)
{
    uint64_t v = 1;

    (void)state;
    assert_int_equal(cf_conf_parse_size("123", &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(cf_conf_parse_size("0", &v), 0);
    assert_int_equal(v, 0);
}

static void
test_parse_size_kb_means_k(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_conf_parse_size("1kb", &v), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(cf_conf_parse_size("2MB", &v), 0);
    assert_int_equal(v, 2097152);
}

static void
test_parse_size_bad_suffix_is_einval(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_int_equal(cf_conf_parse_size("1x", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_size("1kbb", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_size("1kx", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_size("1 k", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_size("", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_size("k", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_size("-1", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_size("1.5k", &v), -EINVAL);
    assert_int_equal(v, 7);
}

static void
test_parse_size_overflow_with_suffix_is_erange(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_conf_parse_size("16777215t", &v), 0);
    assert_int_equal(v, 16777215ull << 40);
    assert_int_equal(cf_conf_parse_size("16777216t", &v), -ERANGE);
    assert_int_equal(cf_conf_parse_size("17179869183g", &v), 0);
    assert_int_equal(cf_conf_parse_size("17179869184g", &v), -ERANGE);
}

static void
test_parse_size_overflow_of_digits_is_erange(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_conf_parse_size("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    /* One more than fits is out of range, not malformed. */
    assert_int_equal(cf_conf_parse_size("18446744073709551616", &v), -ERANGE);
    assert_int_equal(cf_conf_parse_size("99999999999999999999k", &v), -ERANGE);
}

/* ---- cf_conf_parse_ms ---- */

static void
test_parse_ms_units(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_conf_parse_ms("250ms", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(cf_conf_parse_ms("10s", &v), 0);
    assert_int_equal(v, 10000);
    assert_int_equal(cf_conf_parse_ms("5m", &v), 0);
    assert_int_equal(v, 300000);
    assert_int_equal(cf_conf_parse_ms("2h", &v), 0);
    assert_int_equal(v, 7200000);
    assert_int_equal(cf_conf_parse_ms("1d", &v), 0);
    assert_int_equal(v, 86400000);
}

static void
test_parse_ms_bare_number_is_seconds(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_conf_parse_ms("10", &v), 0);
    assert_int_equal(v, 10000);
    assert_int_equal(cf_conf_parse_ms("0", &v), 0);
    assert_int_equal(v, 0);
}

static void
test_parse_ms_bad_suffix_is_einval(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_int_equal(cf_conf_parse_ms("10x", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_ms("10sec", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_ms("10 s", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_ms("1.5s", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_ms("ms", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_ms("", &v), -EINVAL);
    assert_int_equal(cf_conf_parse_ms("10mss", &v), -EINVAL);
    assert_int_equal(v, 7);
}

static void
test_parse_ms_overflow_is_erange(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_conf_parse_ms("18446744073709551s", &v), 0);
    assert_true(v == 18446744073709551000ull);
    assert_int_equal(cf_conf_parse_ms("18446744073709552s", &v), -ERANGE);
}

/* ---- cf_conf_set ---- */

static void
test_set_listen_ipv4_port_zero(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "listen", "127.0.0.1:0"), 0);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 0);
}

static void
test_set_listen_bracketed_ipv6(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "listen", "[::1]:8080"), 0);
    assert_string_equal(c->listen_host, "::1");
    assert_int_equal(c->listen_port, 8080);
}

static void
test_set_listen_port_range_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "listen", "0.0.0.0:65535"), 0);
    assert_string_equal(c->listen_host, "0.0.0.0");
    assert_int_equal(c->listen_port, 65535);
    assert_int_equal(t_set(c, "listen", "127.0.0.1:65536"), -1);
    /* A refused value leaves the previous one. */
    assert_string_equal(c->listen_host, "0.0.0.0");
    assert_int_equal(c->listen_port, 65535);
}

static void
test_set_listen_bad_forms_are_refused(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "listen", "127.0.0.1"), -1);
    assert_int_equal(t_set(c, "listen", "127.0.0.1:"), -1);
    assert_int_equal(t_set(c, "listen", "127.0.0.1:http"), -1);
    assert_int_equal(t_set(c, "listen", "127.0.0.1:-1"), -1);
    assert_int_equal(t_set(c, "listen", "127.0.0.1: 80"), -1);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
}

static void
test_set_unknown_key_is_refused(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "no-such-key", "1"), -1);
    assert_int_equal(t_set(c, "", "1"), -1);
    assert_int_equal(t_set(c, "max-head ", "16k"), -1);
}

static void
test_set_bools(void **state)
{
    struct cf_conf *c = *state;

    assert_true(c->fsync);
    assert_int_equal(t_set(c, "fsync", "off"), 0);
    assert_false(c->fsync);
    assert_int_equal(t_set(c, "fsync", "on"), 0);
    assert_true(c->fsync);
    assert_int_equal(t_set(c, "propfind-infinity", "no"), 0);
    assert_false(c->propfind_infinity);
    assert_int_equal(t_set(c, "propfind-infinity", "yes"), 0);
    assert_true(c->propfind_infinity);
    assert_int_equal(t_set(c, "hide-apple-files", "off"), 0);
    assert_false(c->hide_apple_files);
    assert_int_equal(t_set(c, "hide-apple-files", "maybe"), -1);
    assert_false(c->hide_apple_files);
    assert_int_equal(t_set(c, "fsync", ""), -1);
    assert_true(c->fsync);
}

static void
test_set_strings(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "tls-cert", "/etc/coffer/cert.pem"), 0);
    assert_string_equal(c->tls_cert, "/etc/coffer/cert.pem");
    assert_int_equal(t_set(c, "realm", "My Files"), 0);
    assert_string_equal(c->realm, "My Files");
    /* An empty value unsets a string. */
    assert_int_equal(t_set(c, "tls-cert", ""), 0);
    assert_null(c->tls_cert);
}

static void
test_set_log_level(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "log-level", "debug"), 0);
    assert_int_equal(c->log_level, CF_LOG_DEBUG);
    assert_int_equal(t_set(c, "log-level", "error"), 0);
    assert_int_equal(c->log_level, CF_LOG_ERR);
    assert_int_equal(t_set(c, "log-level", "verbose"), -1);
    assert_int_equal(c->log_level, CF_LOG_ERR);
}

static void
test_set_max_head_minimum_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-head", "1023"), -1);
    assert_int_equal(c->max_head, CF_DEFAULT_MAX_HEAD);
    assert_int_equal(t_set(c, "max-head", "1024"), 0);
    assert_int_equal(c->max_head, 1024);
    assert_int_equal(t_set(c, "max-head", "1k"), 0);
    assert_int_equal(c->max_head, 1024);
}

static void
test_set_max_head_maximum_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-head", "4m"), 0);
    assert_int_equal(c->max_head, 4194304);
    assert_int_equal(t_set(c, "max-head", "4194305"), -1);
    assert_int_equal(c->max_head, 4194304);
}

static void
test_set_max_request_line_bounds_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-request-line", "255"), -1);
    assert_int_equal(t_set(c, "max-request-line", "256"), 0);
    assert_int_equal(c->max_request_line, 256);
    assert_int_equal(t_set(c, "max-request-line", "1m"), 0);
    assert_int_equal(c->max_request_line, 1048576);
    assert_int_equal(t_set(c, "max-request-line", "1048577"), -1);
    assert_int_equal(c->max_request_line, 1048576);
}

static void
test_set_max_headers_bounds_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-headers", "7"), -1);
    assert_int_equal(t_set(c, "max-headers", "8"), 0);
    assert_int_equal(c->max_headers, 8);
    assert_int_equal(t_set(c, "max-headers", "10000"), 0);
    assert_int_equal(c->max_headers, 10000);
    assert_int_equal(t_set(c, "max-headers", "10001"), -1);
    /* A whole number takes no suffix. */
    assert_int_equal(t_set(c, "max-headers", "1k"), -1);
    assert_int_equal(c->max_headers, 10000);
}

static void
test_set_max_connections_bounds_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-connections", "0"), -1);
    assert_int_equal(c->max_connections, CF_DEFAULT_MAX_CONNECTIONS);
    assert_int_equal(t_set(c, "max-connections", "1"), 0);
    assert_int_equal(c->max_connections, 1);
    assert_int_equal(t_set(c, "max-connections", "4194304"), 0);
    assert_int_equal(c->max_connections, 4194304);
    assert_int_equal(t_set(c, "max-connections", "4194305"), -1);
}

static void
test_set_max_path_minimum_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-path", "255"), -1);
    assert_int_equal(t_set(c, "max-path", "256"), 0);
    assert_int_equal(c->max_path, 256);
}

static void
test_set_max_path_default_4096_is_accepted(void **state)
{
    struct cf_conf *c = *state;

    /* README documents 4096 as the default: writing it down must work. */
    assert_int_equal(t_set(c, "max-path", "256"), 0);
    assert_int_equal(t_set(c, "max-path", "4096"), 0);
    assert_int_equal(c->max_path, CF_DEFAULT_MAX_PATH);
}

static void
test_set_threads_bounds(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "threads", "0"), 0);
    assert_int_equal(c->threads, 0);
    assert_int_equal(t_set(c, "threads", "256"), 0);
    assert_int_equal(c->threads, 256);
    assert_int_equal(t_set(c, "threads", "257"), -1);
    assert_int_equal(t_set(c, "threads", "-1"), -1);
    assert_int_equal(c->threads, 256);
}

static void
test_set_timeout_ms_bounds_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "header-timeout", "99ms"), -1);
    assert_int_equal(c->header_timeout_ms, CF_DEFAULT_HEADER_TIMEOUT_MS);
    assert_int_equal(t_set(c, "header-timeout", "100ms"), 0);
    assert_int_equal(c->header_timeout_ms, 100);
    assert_int_equal(t_set(c, "header-timeout", "1h"), 0);
    assert_int_equal(c->header_timeout_ms, 3600000);
    assert_int_equal(t_set(c, "header-timeout", "3600001ms"), -1);
    assert_int_equal(t_set(c, "idle-timeout", "1d"), 0);
    assert_int_equal(c->idle_timeout_ms, 86400000);
    assert_int_equal(t_set(c, "idle-timeout", "86400001ms"), -1);
    assert_int_equal(t_set(c, "body-timeout", "30"), 0);
    assert_int_equal(c->body_timeout_ms, 30000);
    assert_int_equal(t_set(c, "write-timeout", "2m"), 0);
    assert_int_equal(c->write_timeout_ms, 120000);
    assert_int_equal(t_set(c, "write-timeout", "soon"), -1);
}

static void
test_set_seconds_keys(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "lock-timeout", "1h"), 0);
    assert_int_equal(c->lock_timeout_s, 3600);
    assert_int_equal(t_set(c, "lock-timeout", "90"), 0);
    assert_int_equal(c->lock_timeout_s, 90);
    /* Whole seconds only. */
    assert_int_equal(t_set(c, "lock-timeout", "1500ms"), -1);
    assert_int_equal(t_set(c, "lock-timeout", "2000ms"), 0);
    assert_int_equal(c->lock_timeout_s, 2);
    /* One second minimum, a year maximum. */
    assert_int_equal(t_set(c, "lock-timeout", "0"), -1);
    assert_int_equal(t_set(c, "lock-timeout", "1"), 0);
    assert_int_equal(t_set(c, "lock-timeout-max", "365d"), 0);
    assert_int_equal(c->lock_timeout_max_s, 31536000);
    assert_int_equal(t_set(c, "lock-timeout-max", "31536001"), -1);
    assert_int_equal(c->lock_timeout_max_s, 31536000);
    assert_int_equal(t_set(c, "auth-cache", "0"), 0);
    assert_int_equal(c->auth_cache_s, 0);
}

static void
test_set_argon2_bounds_both_sides(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "argon2-mem", "8191"), -1);
    assert_int_equal(t_set(c, "argon2-mem", "8k"), 0);
    assert_int_equal(c->argon2_mem, 8192);
    assert_int_equal(t_set(c, "argon2-mem", "4g"), 0);
    assert_int_equal(c->argon2_mem, 4294967296ull);
    assert_int_equal(t_set(c, "argon2-mem", "4194305k"), -1);
    assert_int_equal(t_set(c, "argon2-ops", "0"), -1);
    assert_int_equal(t_set(c, "argon2-ops", "64"), 0);
    assert_int_equal(c->argon2_ops, 64);
    assert_int_equal(t_set(c, "argon2-ops", "65"), -1);
    assert_int_equal(c->argon2_ops, 64);
}

static void
test_set_max_body_takes_the_full_range(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-body", "0"), 0);
    assert_int_equal(c->max_body, 0);
    assert_int_equal(t_set(c, "max-body", "1t"), 0);
    assert_int_equal(c->max_body, CF_DEFAULT_MAX_BODY);
    assert_int_equal(t_set(c, "max-body", "18446744073709551615"), 0);
    assert_true(c->max_body == UINT64_MAX);
}

static void
test_set_every_readme_default_gives_the_defaults(void **state)
{
    /* The defaults as README.md documents them, key by key. */
    static const char *const kv[][2] = {
        { "listen", "127.0.0.1:8080" }, { "data", "./data" }, { "log-level", "info" },
        { "max-request-line", "8k" }, { "max-head", "16k" }, { "max-headers", "100" },
        { "max-body", "1t" }, { "max-xml-body", "1m" }, { "max-xml-depth", "32" },
        { "max-path", "4096" }, { "max-connections", "16384" },
        { "header-timeout", "10s" }, { "idle-timeout", "75s" },
        { "body-timeout", "60s" }, { "write-timeout", "60s" },
        { "propfind-infinity", "on" }, { "fsync", "on" }, { "hide-apple-files", "on" },
        { "lock-timeout", "1h" }, { "lock-timeout-max", "1d" }, { "auth-cache", "5m" },
        { "argon2-ops", "2" }, { "argon2-mem", "19m" }, { "realm", "Coffer" },
    };
    struct cf_conf *c = *state;
    int refused = 0;

    /* Start from nothing at all, so every field below comes from kv. */
    cf_conf_release(c);
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        if (t_set(c, kv[i][0], kv[i][1]) != 0) {
            print_message("# refused: %s = %s\n", kv[i][0], kv[i][1]);
            refused++;
        }
    }
    assert_int_equal(refused, 0);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    assert_string_equal(c->data_dir, CF_DEFAULT_DATA);
    assert_string_equal(c->realm, "Coffer");
    assert_int_equal(c->log_level, CF_LOG_INFO);
    assert_int_equal(c->max_request_line, CF_DEFAULT_MAX_REQUEST_LINE);
    assert_int_equal(c->max_head, CF_DEFAULT_MAX_HEAD);
    assert_int_equal(c->max_headers, CF_DEFAULT_MAX_HEADERS);
    assert_int_equal(c->max_body, CF_DEFAULT_MAX_BODY);
    assert_int_equal(c->max_xml_body, CF_DEFAULT_MAX_XML_BODY);
    assert_int_equal(c->max_xml_depth, CF_DEFAULT_MAX_XML_DEPTH);
    assert_int_equal(c->max_path, CF_DEFAULT_MAX_PATH);
    assert_int_equal(c->max_connections, CF_DEFAULT_MAX_CONNECTIONS);
    assert_int_equal(c->header_timeout_ms, CF_DEFAULT_HEADER_TIMEOUT_MS);
    assert_int_equal(c->idle_timeout_ms, CF_DEFAULT_IDLE_TIMEOUT_MS);
    assert_int_equal(c->body_timeout_ms, CF_DEFAULT_BODY_TIMEOUT_MS);
    assert_int_equal(c->write_timeout_ms, CF_DEFAULT_WRITE_TIMEOUT_MS);
    assert_true(c->propfind_infinity);
    assert_true(c->fsync);
    assert_true(c->hide_apple_files);
    assert_int_equal(c->lock_timeout_s, CF_DEFAULT_LOCK_TIMEOUT_S);
    assert_int_equal(c->lock_timeout_max_s, CF_DEFAULT_LOCK_TIMEOUT_MAX_S);
    assert_int_equal(c->auth_cache_s, CF_DEFAULT_AUTH_CACHE_S);
    assert_int_equal(c->argon2_ops, CF_DEFAULT_ARGON2_OPS);
    assert_int_equal(c->argon2_mem, CF_DEFAULT_ARGON2_MEM);
}

/* ---- cf_conf_load ---- */

static void
test_load_file_with_comments_and_blank_lines(void **state)
{
    struct cf_conf *c = *state;
    const char *path = t_write("good.conf",
                               "# Coffer test configuration\n"
                               "\n"
                               "listen = 127.0.0.1:0   # any free port\n"
                               "data=/srv/coffer\n"
                               "   max-head\t=\t32k   \n"
                               "\t\n"
                               "realm = a#b\n"
                               "fsync = off\r\n"
                               "# max-headers = 9999\n"
                               "idle-timeout = 5m");

    assert_int_equal(cf_conf_load(c, path), 0);
    assert_string_equal(c->file, path);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 0);
    assert_string_equal(c->data_dir, "/srv/coffer");
    assert_int_equal(c->max_head, 32768);
    /* '#' starts a comment only at the line start or after a blank. */
    assert_string_equal(c->realm, "a#b");
    assert_false(c->fsync);
    assert_int_equal(c->max_headers, CF_DEFAULT_MAX_HEADERS);
    /* The last line needs no newline. */
    assert_int_equal(c->idle_timeout_ms, 300000);
}

static void
test_load_line_without_equals_is_refused(void **state)
{
    struct cf_conf *c = *state;
    const char *path = t_write("noeq.conf",
                               "fsync = off\n"
                               "this is not a setting\n"
                               "realm = later\n");

    assert_int_equal(cf_conf_load(c, path), -1);
    /* Lines before the bad one were applied, the ones after it not. */
    assert_false(c->fsync);
    assert_string_equal(c->realm, "Coffer");
}

static void
test_load_unknown_key_is_refused(void **state)
{
    struct cf_conf *c = *state;
    const char *path = t_write("unknown.conf", "max-heads = 16k\n");

    assert_int_equal(cf_conf_load(c, path), -1);
}

static void
test_load_bad_value_is_refused(void **state)
{
    struct cf_conf *c = *state;
    const char *path = t_write("badvalue.conf", "\n\nmax-head = 1000\n");

    assert_int_equal(cf_conf_load(c, path), -1);
    assert_int_equal(c->max_head, CF_DEFAULT_MAX_HEAD);
}

static void
test_load_missing_file_is_refused(void **state)
{
    struct cf_conf *c = *state;
    char path[512];

    snprintf(path, sizeof(path), "%s/does-not-exist.conf", t_dir);
    assert_int_equal(cf_conf_load(c, path), -1);
}

static void
test_load_line_length_limit_both_sides(void **state)
{
    struct cf_conf *c = *state;
    char line[4200];
    size_t n;

    /* conf.c reads lines into 4096 bytes: 4094 characters and the newline
     * (and the NUL) fit, one more character does not. */
    memcpy(line, "realm = ", 8);
    memset(line + 8, 'r', 4094 - 8);
    n = 4094;
    line[n] = '\n';
    line[n + 1] = '\0';
    assert_int_equal(cf_conf_load(c, t_write("long-ok.conf", line)), 0);
    assert_int_equal(strlen(c->realm), 4094 - 8);

    line[n] = 'r';
    line[n + 1] = '\n';
    line[n + 2] = '\0';
    assert_int_equal(cf_conf_load(c, t_write("long-bad.conf", line)), -1);
}

/* ---- cf_conf_check ---- */

static void
test_check_defaults_pass(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(cf_conf_check(c), 0);
}

static void
test_check_tls_cert_without_key_is_refused(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "tls-cert", "/x/cert.pem"), 0);
    assert_int_equal(cf_conf_check(c), -1);
    assert_int_equal(t_set(c, "tls-key", "/x/key.pem"), 0);
    assert_int_equal(cf_conf_check(c), 0);
    assert_int_equal(t_set(c, "tls-cert", ""), 0);
    assert_int_equal(cf_conf_check(c), -1);
}

static void
test_check_request_line_longer_than_head_is_refused(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "max-head", "4k"), 0);
    assert_int_equal(t_set(c, "max-request-line", "4k"), 0);
    assert_int_equal(cf_conf_check(c), 0);
    assert_int_equal(t_set(c, "max-request-line", "4097"), 0);
    assert_int_equal(cf_conf_check(c), -1);
}

static void
test_check_lock_timeout_above_max_is_lowered_to_max(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "lock-timeout", "2h"), 0);
    assert_int_equal(t_set(c, "lock-timeout-max", "2h"), 0);
    assert_int_equal(cf_conf_check(c), 0);
    assert_int_equal(c->lock_timeout_s, 7200);
    /* a cap below the lifetime asked for wins: the server still starts */
    assert_int_equal(t_set(c, "lock-timeout", "7201"), 0);
    assert_int_equal(cf_conf_check(c), 0);
    assert_int_equal(c->lock_timeout_s, 7200);
}

static void
test_check_data_unset_is_refused(void **state)
{
    struct cf_conf *c = *state;

    assert_int_equal(t_set(c, "data", ""), 0);
    assert_null(c->data_dir);
    assert_int_equal(cf_conf_check(c), -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_parse_size_suffixes_are_powers_of_1024),
        T(test_parse_size_plain_bytes),
        T(test_parse_size_kb_means_k),
        T(test_parse_size_bad_suffix_is_einval),
        T(test_parse_size_overflow_with_suffix_is_erange),
        T(test_parse_size_overflow_of_digits_is_erange),
        T(test_parse_ms_units),
        T(test_parse_ms_bare_number_is_seconds),
        T(test_parse_ms_bad_suffix_is_einval),
        T(test_parse_ms_overflow_is_erange),
        T(test_set_listen_ipv4_port_zero),
        T(test_set_listen_bracketed_ipv6),
        T(test_set_listen_port_range_both_sides),
        T(test_set_listen_bad_forms_are_refused),
        T(test_set_unknown_key_is_refused),
        T(test_set_bools),
        T(test_set_strings),
        T(test_set_log_level),
        T(test_set_max_head_minimum_both_sides),
        T(test_set_max_head_maximum_both_sides),
        T(test_set_max_request_line_bounds_both_sides),
        T(test_set_max_headers_bounds_both_sides),
        T(test_set_max_connections_bounds_both_sides),
        T(test_set_max_path_minimum_both_sides),
        T(test_set_max_path_default_4096_is_accepted),
        T(test_set_threads_bounds),
        T(test_set_timeout_ms_bounds_both_sides),
        T(test_set_seconds_keys),
        T(test_set_argon2_bounds_both_sides),
        T(test_set_max_body_takes_the_full_range),
        T(test_set_every_readme_default_gives_the_defaults),
        T(test_load_file_with_comments_and_blank_lines),
        T(test_load_line_without_equals_is_refused),
        T(test_load_unknown_key_is_refused),
        T(test_load_bad_value_is_refused),
        T(test_load_missing_file_is_refused),
        T(test_load_line_length_limit_both_sides),
        T(test_check_defaults_pass),
        T(test_check_tls_cert_without_key_is_refused),
        T(test_check_request_line_longer_than_head_is_refused),
        T(test_check_lock_timeout_above_max_is_lowered_to_max),
        T(test_check_data_unset_is_refused),
    };

    return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
