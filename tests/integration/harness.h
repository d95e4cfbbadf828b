/*
 * harness.h: integration tests drive the real cofferd over loopback.
 *
 * t_server_start() runs the cofferd binary (COFFER_BIN, default ./cofferd)
 * on port 0 with a throwaway data directory and --port-file, and waits for
 * the port. Requests are written as plain text; t_http() turns every "\n"
 * of the head into CRLF (the body, after the first blank line, is sent as
 * given) so tests read like raw HTTP. Responses are read whole: status,
 * headers, body (Content-Length, chunked, or until close).
 *
 * The administrator is "admin" with password T_ADMIN_PW; T_AUTH is the
 * matching Authorization header line (with its "\n").
 */
#ifndef COFFER_T_HARNESS_H
#define COFFER_T_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define T_ADMIN_PW "Coffer-test-pw1"
/* base64("admin:Coffer-test-pw1") */
#define T_AUTH "Authorization: Basic YWRtaW46Q29mZmVyLXRlc3QtcHcx\n"

struct t_server {
    pid_t pid;
    int port;
    char dir[256];              /* the temporary directory */
    char data[300];             /* dir/data */
    char repo_admin[400];       /* data/repos/<id of admin> */
    struct t_fail {             /* a system call the server finds failing */
        bool set;
        int nr;                 /* its number (SYS_...) */
        int arg;                /* when the low word of this argument ... */
        unsigned int value;     /* ... is this */
        int err;                /* it fails with this errno */
    } fail;
};

struct t_resp {
    int status;
    char *head;                 /* status line and headers, NUL-terminated */
    char *body;                 /* NUL-terminated (may also contain NULs) */
    size_t body_len;
};

/*
 * Starts cofferd. extra_conf, when not NULL, is written to a config file
 * passed with -c (one "key = value" per line). Returns 0 or -1.
 */
int t_server_start(struct t_server *s, const char *extra_conf);
/*
 * As t_server_start, the server running under a seccomp filter that makes
 * one system call fail as fail says: the error paths of a full disk or of
 * a process out of file descriptors, without either. Returns -1 also where
 * seccomp filters cannot be had.
 */
int t_server_start_failing(struct t_server *s, const char *extra_conf, struct t_fail fail);
/* SIGTERM, wait, and remove the directory. */
void t_server_stop(struct t_server *s);
/* SIGTERM and wait, keeping the directory (for restart tests). */
void t_server_kill(struct t_server *s);
/* Starts again on the same data directory. */
int t_server_restart(struct t_server *s, const char *extra_conf);

/* cmocka group fixtures: *state becomes a started struct t_server. */
int t_setup(void **state);
int t_teardown(void **state);

/*
 * Sends one request (printf format) on a new connection and reads the
 * response; for HEAD requests the body is not read. Returns 0 or -1.
 */
int t_http(struct t_server *s, struct t_resp *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, sending exactly len bytes of raw (no CRLF conversion). */
int t_http_raw(struct t_server *s, struct t_resp *r, const char *raw, size_t len);

/* A connection kept open for keep-alive and pipelining tests. */
int t_conn_open(struct t_server *s);
/* Converts the head's "\n" to CRLF like t_http and sends it. */
int t_conn_send(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int t_conn_send_raw(int fd, const void *p, size_t len);
/* Reads one response; head_only for a HEAD request. timeout_ms <= 0: 10 s.
 * Returns 0, -1 on error, or 1 if the connection closed before a response. */
int t_conn_read(int fd, struct t_resp *r, bool head_only, int timeout_ms);
/* True if the peer closed the connection within timeout_ms. */
bool t_conn_closed(int fd, int timeout_ms);

/*
 * Sends "method path" with the server's Host, the admin's credentials, the
 * header lines in headers (each ending in "\n", or NULL), a Content-Length
 * and len bytes of body, on a new connection. Returns 0 or -1.
 */
int t_req(struct t_server *s, struct t_resp *r, const char *method, const char *path,
          const char *headers, const void *body, size_t len);
/* t_req with a NUL-terminated body (or NULL). */
int t_reqs(struct t_server *s, struct t_resp *r, const char *method, const char *path,
           const char *headers, const char *body);
/* t_req with a NUL-terminated body (or NULL); returns the status or -1. */
int t_status(struct t_server *s, const char *method, const char *path, const char *headers,
             const char *body);

void t_resp_release(struct t_resp *r);
/* The value of header name (case-insensitive), malloc'd into a static slot:
 * valid until the next call. NULL if absent. */
const char *t_header(const struct t_resp *r, const char *name);

/* Number of nodes matching xpath in the XML body ("D:" is DAV:). -1 if the
 * body is not XML. */
int t_xpath_count(const struct t_resp *r, const char *xpath);
/* The string value of xpath (malloc'd, caller frees), or NULL. */
char *t_xpath_string(const struct t_resp *r, const char *xpath);

/* Paths under the admin repository's directory on disk. */
bool t_file_exists(struct t_server *s, const char *rel);
/* Contents of a file (malloc'd, NUL-terminated), *len set; NULL if absent. */
char *t_file_read(struct t_server *s, const char *rel, size_t *len);
int t_file_write(struct t_server *s, const char *rel, const void *p, size_t len);
int t_mkdir(struct t_server *s, const char *rel);
/* Full path of rel under the admin repository (static buffer). */
const char *t_path(struct t_server *s, const char *rel);

/* Prints the server's log (dir/cofferd.log) as TAP comments on stderr. */
void t_print_log(struct t_server *s);

/* Runs a shell command, returns its exit status. */
int t_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
