/*
 * conf.h: the configuration, read once at startup into an immutable
 * struct cf_conf. Runtime code reads fields and never parses.
 *
 * The file is "key = value" lines; "#" starts a comment. Sizes take k, m, g
 * suffixes (powers of 1024), times s, ms, m, h, d. An unknown key or a bad
 * value stops the server before the listener opens, naming file:line.
 */
#ifndef COFFER_CONF_H
#define COFFER_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Named defaults for every limit (STYLE: bound before you buffer). */
#define CF_DEFAULT_LISTEN            "127.0.0.1:8080"
#define CF_DEFAULT_DATA              "./data"
#define CF_DEFAULT_MAX_REQUEST_LINE  (8u * 1024)
#define CF_DEFAULT_MAX_HEAD          (16u * 1024)
#define CF_DEFAULT_MAX_HEADERS       100u
#define CF_DEFAULT_MAX_BODY          (1024ull * 1024 * 1024 * 1024)  /* 1 TiB */
#define CF_DEFAULT_MAX_XML_BODY      (1024u * 1024)
#define CF_DEFAULT_MAX_XML_DEPTH     32u
#define CF_DEFAULT_MAX_PATH          4096u
#define CF_DEFAULT_MAX_CONNECTIONS   16384u
#define CF_DEFAULT_HEADER_TIMEOUT_MS 10000u
#define CF_DEFAULT_IDLE_TIMEOUT_MS   75000u
#define CF_DEFAULT_BODY_TIMEOUT_MS   60000u
#define CF_DEFAULT_WRITE_TIMEOUT_MS  60000u
#define CF_DEFAULT_LOCK_TIMEOUT_S    3600u
#define CF_DEFAULT_LOCK_TIMEOUT_MAX_S 86400u
#define CF_DEFAULT_AUTH_CACHE_S      300u
#define CF_DEFAULT_ARGON2_OPS        2u
#define CF_DEFAULT_ARGON2_MEM        (19u * 1024 * 1024)
#define CF_DEFAULT_PASSWORD_MIN      10u
#define CF_DEFAULT_SESSION_S         (12u * 3600)
#define CF_DEFAULT_REMEMBER_S        (30u * 86400)
#define CF_DEFAULT_INVITE_S          (7u * 86400)
#define CF_DEFAULT_THROTTLE_AFTER    5u      /* failures before delays start */
#define CF_DEFAULT_THROTTLE_MAX_S    900u    /* the longest delay */
#define CF_DEFAULT_MAIL_FROM         "Coffer <coffer@localhost>"

struct cf_conf {
    char *file;               /* the config file read, or NULL */
    char *listen_host;        /* numeric address */
    unsigned listen_port;     /* 0: a free port */
    char *data_dir;
    char *port_file;
    char *tls_cert;
    char *tls_key;
    char *access_log;         /* NULL: <data>/access.log */
    char *error_log;          /* NULL: stderr */
    char *realm;
    int log_level;
    unsigned threads;         /* 0: one per core */

    size_t max_request_line;
    size_t max_head;
    size_t max_headers;
    uint64_t max_body;
    size_t max_xml_body;
    size_t max_xml_depth;
    size_t max_path;
    unsigned max_connections;

    unsigned header_timeout_ms;
    unsigned idle_timeout_ms;
    unsigned body_timeout_ms;
    unsigned write_timeout_ms;

    bool propfind_infinity;   /* Depth: infinity on PROPFIND allowed */
    bool fsync;               /* fsync file and directory on every write */
    bool hide_apple_files;    /* ._* and .DS_Store kept but not listed */
    unsigned lock_timeout_s;
    unsigned lock_timeout_max_s;
    unsigned auth_cache_s;
    unsigned long long argon2_ops;
    size_t argon2_mem;

    /* identity */
    bool plain_basic;         /* Basic over plain HTTP from non-loopback peers */
    unsigned password_min;    /* shortest password accepted */
    unsigned session_s;       /* browser session lifetime */
    unsigned remember_s;      /* "remember me" session lifetime */
    unsigned invite_s;        /* invitation link lifetime */
    unsigned throttle_after;  /* failed logins before delays start */
    unsigned throttle_max_s;  /* the longest delay between attempts */
    char *public_url;         /* base of links in emails; NULL: from listen */
    char *smtp_url;           /* smtp:// or smtps://; NULL: write <data>/outbox */
    char *smtp_user;
    char *smtp_password;
    char *mail_from;
    char *templates;          /* email templates; NULL: <data>/templates */
    char *bench_as_user;      /* benchmarks only: serve anonymous requests as him */
};

/* Fills c with the embedded defaults. */
void cf_conf_defaults(struct cf_conf *c);

/*
 * Reads path into c (which holds defaults or earlier values). Returns 0, or
 * -1 after logging "file:line: what is wrong".
 */
int cf_conf_load(struct cf_conf *c, const char *path);

/*
 * Applies one "key", "value" pair (from the file or the command line);
 * where names the origin for messages. Returns 0 or -1 after logging.
 */
int cf_conf_set(struct cf_conf *c, const char *key, const char *value,
                const char *where);

/* Checks the finished configuration (cross-field rules). Returns 0 or -1. */
int cf_conf_check(struct cf_conf *c);

void cf_conf_release(struct cf_conf *c);

/* Parsers shared with tests: sizes ("16k") and durations ("10s") */
int cf_conf_parse_size(const char *s, uint64_t *out);
int cf_conf_parse_ms(const char *s, uint64_t *out);

#endif
