/*
 * http.h: one HTTP/1.1 request as the handlers see it, the response they
 * build, and the pure parsers for request heads and header values.
 *
 * A request is handled in two steps (struct cf_handler):
 *   begin()  runs as soon as the head is complete, before any body byte is
 *            read: it authenticates, checks preconditions and chooses where
 *            the body goes (nowhere, a capped memory buffer, or an fd such as
 *            a temporary file beside a PUT target). It returns 0 to read the
 *            body, or the status to answer at once.
 *   finish() runs when the body is complete and returns the status.
 *   done()   runs when the response has been sent or the connection lost,
 *            to release what begin() took (a temporary file, say).
 * Handlers return HTTP statuses, nginx style; they add headers and body
 * parts with the cf_resp_* calls. Everything they borrow comes from
 * req->pool, which lives until done() returns.
 */
#ifndef COFFER_HTTP_H
#define COFFER_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "coffer/pool.h"
#include "coffer/str.h"

struct cf_conf;
struct cf_conn;
struct cf_req;

enum cf_method {
    CF_M_OTHER = 0,
    CF_M_GET, CF_M_HEAD, CF_M_PUT, CF_M_POST, CF_M_DELETE, CF_M_OPTIONS,
    CF_M_PROPFIND, CF_M_PROPPATCH, CF_M_MKCOL, CF_M_COPY, CF_M_MOVE,
    CF_M_LOCK, CF_M_UNLOCK, CF_M_PATCH, CF_M_TRACE,
};

struct cf_header {
    struct cf_str name;
    struct cf_str value;
};

enum cf_body_sink {
    CF_BODY_NONE = 0,   /* no body expected; one that comes is a 413 */
    CF_BODY_DISCARD,    /* read and drop */
    CF_BODY_MEM,        /* req->body, capped at req->body_max */
    CF_BODY_FD,         /* written to req->body_fd (borrowed) */
};

/*
 * A producer appends the next piece of a streamed body to out and returns
 * 1 when it has more, 0 when it is done, or a negative errno (the
 * connection is then closed, since the status line is long gone).
 */
typedef int (*cf_producer_fn)(struct cf_req *req, struct cf_buf *out);

struct cf_resp_part;

struct cf_req {
    struct cf_pool *pool;
    struct cf_conn *conn;
    const struct cf_conf *conf;
    void *tctx;                 /* the handler's per-thread context */
    void *state;                /* the handler's per-request state */
    int route;                  /* which part of the handler took it */

    enum cf_method method;
    struct cf_str method_name;
    struct cf_str target;       /* the request-target as sent */
    struct cf_str path_raw;     /* target up to '?', still percent-encoded */
    struct cf_str query;        /* after '?', without it */
    struct cf_str log_target;   /* set by a handler: what the access log shows
                                   instead of target (a secret in the URL hidden) */
    unsigned short http_major, http_minor;
    struct cf_header *headers;
    size_t nheaders;
    struct cf_str host;         /* Host header, or empty */

    bool keep_alive;
    bool expect_continue;
    bool chunked;
    bool has_length;
    uint64_t content_length;
    bool tls;
    const char *peer;           /* numeric address of the client */
    bool peer_loopback;

    /* body, as chosen by begin() */
    enum cf_body_sink sink;
    int body_fd;
    struct cf_buf body;
    uint64_t body_max;
    uint64_t body_received;
    int body_errno;             /* first write error into body_fd */
    bool headers_done;          /* parser state: the head is complete */
    bool message_done;          /* parser state: the body is complete */
    /* Where body bytes go while the parser decodes them (set by conn). */
    int (*on_body)(struct cf_req *req, const char *p, size_t len);

    /* who is calling (set by the application's authentication) */
    int64_t user_id;            /* 0: anonymous */
    struct cf_str user_login;
    int auth_via;               /* how: the application's enum (auth.h) */
    const char *csrf;           /* a browser session's CSRF token, or NULL */
    unsigned auth_epoch;        /* the auth epoch a Basic login was verified in */
    bool auth_done;             /* a pool thread authenticated: auth_status says */
    int auth_status;

    /* response */
    int status;
    struct cf_buf resp_head;    /* extra header lines, CRLF-terminated */
    struct cf_resp_part *parts, *parts_tail;
    uint64_t resp_len;          /* sum of the parts' lengths */
    cf_producer_fn producer;
    const char *err_msg;        /* short reason for an error body, no client data */
    bool close_after;           /* send Connection: close */
    bool no_body;               /* 1xx/204/304 or HEAD */

    struct timespec t_start;
    uint64_t bytes_out;
};

/*
 * Work that may block for long (a big COPY or DELETE, fsync) runs on a pool
 * of threads so that the event loop goes on serving its other connections.
 * A handler's finish() returns cf_req_defer(req, fn): fn then runs on a pool
 * thread, with req->tctx set to that thread's own context (made by the same
 * thread_init), and its return value is the status. begin() may return it
 * too, for work it needs done before it can decide (a password check): fn's
 * return value is then ignored, and begin() is called again, on the loop
 * thread, once fn is done.
 */
#define CF_DEFERRED (-2)
typedef int (*cf_job_fn)(struct cf_req *req);
int cf_req_defer(struct cf_req *req, cf_job_fn fn);

struct cf_handler {
    /* Per-thread context, made by each worker thread before it serves. */
    void *(*thread_init)(void *arg, unsigned index);
    void (*thread_free)(void *tctx);
    int (*begin)(struct cf_req *req);
    int (*finish)(struct cf_req *req);
    void (*done)(struct cf_req *req);
    void *arg;
};

/* ---- request accessors ---- */

/* Returns the first header called name (case-insensitive), or NULL. */
const struct cf_str *cf_req_header(const struct cf_req *req, struct cf_str name);
/*
 * Finds the first cookie called name (without "=") in the Cookie headers:
 * true with *out its value (possibly empty), false if none.
 */
bool cf_req_cookie(const struct cf_req *req, struct cf_str name, struct cf_str *out);
/* Counts headers called name. */
size_t cf_req_header_count(const struct cf_req *req, struct cf_str name);
/* Returns the method's name for logs, e.g. "PROPFIND". */
const char *cf_method_name(enum cf_method m);

/* ---- response ---- */

/* Adds "name: value" (value formatted) to the response head. */
void cf_resp_header(struct cf_req *req, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends bytes to the body (kept in memory: for small bodies). */
void cf_resp_add(struct cf_req *req, const void *p, size_t len);
void cf_resp_adds(struct cf_req *req, const char *s);
/* Appends a whole cf_buf to the body. */
void cf_resp_addbuf(struct cf_req *req, const struct cf_buf *b);
/*
 * Appends len bytes at p without copying them: they must stay as they are
 * until release(p, len, arg) is called, once the connection has written them
 * or dropped the response (on the connection's thread).
 */
typedef void (*cf_release_fn)(const void *p, size_t len, void *arg);
void cf_resp_ref(struct cf_req *req, const void *p, size_t len, cf_release_fn release,
                 void *arg);
/*
 * Appends len bytes of fd from off to the body; sent with sendfile on plain
 * connections and read piece by piece under TLS. Takes ownership of fd
 * (several parts may share one fd: pass dup'ed fds or use cf_resp_file_ref).
 */
void cf_resp_file(struct cf_req *req, int fd, uint64_t off, uint64_t len);
/* Streams the rest of the body from fn after the parts added so far. */
void cf_resp_stream(struct cf_req *req, cf_producer_fn fn);
/* Drops everything added to the body and the extra headers. */
void cf_resp_reset(struct cf_req *req);

/* Reason phrase for a status, "" when unknown. */
const char *cf_http_reason(int status);

/* ---- parsers (pure; unit-tested and fuzzed) ---- */

#define CF_AGAIN 1

struct cf_http_limits {
    size_t max_request_line;
    size_t max_head;
    size_t max_headers;
};

/*
 * Looks for the end of a request head in the first len bytes of p.
 * Returns the head's length (including the blank line) when found, 0 when
 * more bytes are needed, or minus the status to answer: -414 when the
 * request line is longer than max_request_line, -431 when the head is
 * longer than max_head.
 */
ssize_t cf_http_head_end(const char *p, size_t len, const struct cf_http_limits *lim);

/*
 * Parses a complete head (as found by cf_http_head_end) into req, taking
 * memory from req->pool; the caller keeps head alive for the request.
 * Returns 0, or the status to answer (400, 414, 431, 501, 505).
 * On success *parser_state holds the http_parser positioned at the body.
 */
int cf_http_head_parse(struct cf_req *req, char *head, size_t len,
                       const struct cf_http_limits *lim, void *parser);

/* Formats t as an IMF-fixdate (RFC 7231 7.1.1.1) into out[30]. */
void cf_http_date(time_t t, char out[30]);
/* Formats t as an RFC 3339 date-time in UTC, "1994-11-06T08:49:37Z", into out[21]. */
void cf_iso8601_date(time_t t, char out[21]);
/*
 * Parses an HTTP date in any of the three forms of RFC 7231 7.1.1.1.
 * Returns 0 or -EINVAL.
 */
int cf_http_date_parse(struct cf_str s, time_t *out);

struct cf_range {
    uint64_t first, last;   /* inclusive */
};

#define CF_MAX_RANGES 16

/*
 * Parses a Range header value against a representation of size bytes
 * (RFC 7233 2.1, 4.4). Returns the number of satisfiable ranges (1..max,
 * merged when they overlap), 0 when the header is to be ignored (not
 * "bytes=", malformed, or too many ranges: RFC 7233 3.1 lets us ignore
 * it), or -1 when no range can be satisfied (416).
 */
int cf_http_range_parse(struct cf_str value, uint64_t size,
                        struct cf_range *out, int max);

/*
 * Decides whether an entity tag list (If-Match / If-None-Match value)
 * matches etag. "*" matches any existing representation (exists must be
 * true). weak selects RFC 7232's weak comparison (for If-None-Match).
 */
bool cf_http_etag_match(struct cf_str list, struct cf_str etag, bool exists,
                        bool weak);

#endif
