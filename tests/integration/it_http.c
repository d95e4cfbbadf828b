/*
 * it_http.c: the HTTP/1.1 layer of cofferd (src/conn.c, src/http_parse.c)
 * seen from the wire: keep-alive and Connection, pipelining, chunked
 * request bodies, Expect: 100-continue, the framing errors RFC 7230 makes a
 * 400, HEAD, the access log, SIGHUP and SIGTERM.
 *
 * Most tests share the group's server; those that read the access log,
 * send signals or could bring the server down start their own (it_own),
 * which the per-test teardown stops even when an assertion fails.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- local helpers ---- */

/* A server of a test's own (see it_own_teardown). */
static struct t_server it_own;

/* The response a test is looking at; the teardown releases it. */
static struct t_resp it_r;

/* Connections a test opened; closed by the teardown if an assertion fails. */
static int it_fds[16];
static int it_nfds;

static int
it_open(struct t_server *s)
{
    int fd = t_conn_open(s);

    assert_true(fd >= 0);
    if (it_nfds < (int)(sizeof(it_fds) / sizeof(it_fds[0])))
        it_fds[it_nfds++] = fd;
    return fd;
}

static void
it_close(int fd)
{
    for (int i = 0; i < it_nfds; i++)
        if (it_fds[i] == fd) {
            it_fds[i] = it_fds[--it_nfds];
            break;
        }
    close(fd);
}

/* Memory a test allocated; freed by the teardown, also after a failure. */
static void *it_mem[16];
static int it_nmem;

static void *
it_keep(void *p)
{
    assert_non_null(p);
    assert_true(it_nmem < (int)(sizeof(it_mem) / sizeof(it_mem[0])));
    it_mem[it_nmem++] = p;
    return p;
}

static void *
it_alloc(size_t n)
{
    return it_keep(malloc(n));
}

static int
it_own_teardown(void **state)
{
    (void)state;
    while (it_nfds > 0)
        close(it_fds[--it_nfds]);
    while (it_nmem > 0)
        free(it_mem[--it_nmem]);
    t_resp_release(&it_r);
    t_server_stop(&it_own);
    memset(&it_own, 0, sizeof(it_own));
    return 0;
}

static long long
it_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Receives into buf until n bytes have come, the peer closed, or nothing
 * arrived for timeout_ms. Returns the number of bytes received.
 */
static size_t
it_recv(int fd, char *buf, size_t n, int timeout_ms)
{
    size_t got = 0;

    while (got < n) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        ssize_t r;

        if (poll(&pfd, 1, timeout_ms) <= 0)
            break;
        r = recv(fd, buf + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* Sends text with every "\n" turned into CRLF (heads only, no body). */
static void
it_send_crlf(int fd, const char *text)
{
    size_t n = strlen(text), k = 0;
    char *wire = malloc(n * 2 + 1);
    int rc;

    assert_non_null(wire);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n')
            wire[k++] = '\r';
        wire[k++] = text[i];
    }
    rc = t_conn_send_raw(fd, wire, k);
    free(wire);
    assert_int_equal(rc, 0);
}

/* Sends the head of a PUT of size bytes to /dav/admin/name, as admin. */
static void
it_send_put_head(int fd, const char *name, size_t size)
{
    char head[512];

    snprintf(head, sizeof(head), "PUT /dav/admin/%s HTTP/1.1\nHost: x\n" T_AUTH
                                 "Content-Length: %zu\n\n", name, size);
    it_send_crlf(fd, head);
}

/* Reads the next response on fd: a 200 whose body is size bytes of data. */
static void
it_read_200_with(int fd, const void *data, size_t size)
{
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_int_equal(it_r.body_len, size);
    assert_memory_equal(it_r.body, data, size);
    t_resp_release(&it_r);
}

/* A whole PUT on the connection; its response is left in it_r. */
static int
it_put_on(int fd, const char *name, const void *data, size_t size)
{
    it_send_put_head(fd, name, size);
    assert_int_equal(t_conn_send_raw(fd, data, size), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 10000), 0);
    return it_r.status;
}

/* Bytes of a test file: not text, so a shifted copy cannot compare equal. */
static char *
it_pattern(size_t n)
{
    char *p = it_alloc(n + 1);

    for (size_t i = 0; i < n; i++)
        p[i] = (char)((i * 7 + (i >> 12)) % 251);
    p[n] = '\0';
    return p;
}

/* Asserts that rel holds exactly want (len bytes) on disk. */
static void
it_assert_disk(struct t_server *s, const char *rel, const void *want, size_t len)
{
    size_t got;
    char *disk = it_keep(t_file_read(s, rel, &got));

    assert_int_equal(got, len);
    assert_memory_equal(disk, want, len);
}

/* The contents of a file under the server's data directory, or NULL. */
static char *
it_data_read(struct t_server *s, const char *name)
{
    char path[512];
    FILE *f;
    char *p;
    long n;

    snprintf(path, sizeof(path), "%s/%s", s->data, name);
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = calloc(1, (size_t)n + 1);
    if (p != NULL && n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

static int
it_count_lines(const char *text)
{
    int n = 0;

    for (const char *p = text; p != NULL && *p != '\0'; p++)
        if (*p == '\n')
            n++;
    return n;
}

/* Waits up to timeout_ms for <data>/name to hold at least want lines. */
static char *
it_wait_lines(struct t_server *s, const char *name, int want, int timeout_ms)
{
    long long end = it_now_ms() + timeout_ms;
    char *text;

    for (;;) {
        text = it_data_read(s, name);
        if ((text != NULL && it_count_lines(text) >= want) || it_now_ms() > end)
            return text;
        free(text);
        usleep(20 * 1000);
    }
}

/* Waits up to timeout_ms for the server's own log (stderr) to contain what. */
static bool
it_wait_server_log(struct t_server *s, const char *what, int timeout_ms)
{
    long long end = it_now_ms() + timeout_ms;
    char path[400];

    snprintf(path, sizeof(path), "%s/cofferd.log", s->dir);
    for (;;) {
        FILE *f = fopen(path, "r");
        char line[1024];
        bool found = false;

        if (f != NULL) {
            while (!found && fgets(line, sizeof(line), f) != NULL)
                found = strstr(line, what) != NULL;
            fclose(f);
        }
        if (found)
            return true;
        if (it_now_ms() > end)
            return false;
        usleep(20 * 1000);
    }
}

/* One access log line, split (cf_conn_access_log's format:
 * peer "user" [date] "METHOD target HTTP/x.y" status bytes Nms "agent"). */
struct it_logline {
    char peer[64];
    char user[80];
    char method[32];
    char target[512];
    int status;
    unsigned long long bytes;
};

static void
it_parse_logline(const char *line, struct it_logline *l)
{
    int n;

    memset(l, 0, sizeof(*l));
    n = sscanf(line, "%63s \"%79[^\"]\" [%*[^]]] \"%31s %511s HTTP/1.%*d\" %d %llu",
               l->peer, l->user, l->method, l->target, &l->status, &l->bytes);
    if (n != 6)
        fail_msg("access log line not understood (%d fields): %s", n, line);
}

/*
 * The one line of an access log whose request is "method target", parsed.
 * Two event loops write the log, each line once its response has gone out,
 * so sequential requests from a client may appear in either order.
 */
static void
it_logline_of(const char *log, const char *method, const char *target, struct it_logline *out)
{
    char want[600], line[2048];
    const char *p, *e, *found = NULL;
    size_t len;

    snprintf(want, sizeof(want), "\"%s %s HTTP/", method, target);
    for (p = log; p != NULL && *p != '\0'; p = e + 1) {
        e = strchr(p, '\n');
        assert_non_null(e);
        len = (size_t)(e - p);
        if (memmem(p, len, want, strlen(want)) == NULL)
            continue;
        if (found != NULL)
            fail_msg("two access log lines for %s %s", method, target);
        assert_true(len < sizeof(line));
        memcpy(line, p, len);
        line[len] = '\0';
        found = p;
    }
    if (found == NULL)
        fail_msg("no access log line for %s %s in:\n%s", method, target, log);
    it_parse_logline(line, out);
}

/* ---- keep-alive and Connection ---- */

static void
it_keep_alive_serves_two_requests_on_one_connection(void **state)
{
    struct t_server *s = *state;
    int fd;

    assert_int_equal(t_file_write(s, "ka1.txt", "one", 3), 0);
    assert_int_equal(t_file_write(s, "ka2.txt", "second", 6), 0);
    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/ka1.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_null(t_header(&it_r, "Connection"));
    assert_int_equal(it_r.body_len, 3);
    assert_memory_equal(it_r.body, "one", 3);
    t_resp_release(&it_r);
    assert_false(t_conn_closed(fd, 200));
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/ka2.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_int_equal(it_r.body_len, 6);
    assert_memory_equal(it_r.body, "second", 6);
    t_resp_release(&it_r);
    assert_false(t_conn_closed(fd, 200));
    it_close(fd);
}

static void
it_http10_without_keep_alive_closes_after_response(void **state)
{
    struct t_server *s = *state;
    int fd;

    assert_int_equal(t_file_write(s, "h10.txt", "ten", 3), 0);
    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/h10.txt HTTP/1.0\n" T_AUTH "\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_string_equal(t_header(&it_r, "Content-Length"), "3");
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    assert_memory_equal(it_r.body, "ten", 3);
    t_resp_release(&it_r);
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
}

static void
it_http10_with_keep_alive_stays_open(void **state)
{
    struct t_server *s = *state;
    int fd;

    assert_int_equal(t_file_write(s, "h10ka.txt", "alive", 5), 0);
    fd = it_open(s);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t_conn_send(fd, "GET /dav/admin/h10ka.txt HTTP/1.0\n"
                                         "Connection: keep-alive\n" T_AUTH "\n"), 0);
        assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
        assert_int_equal(it_r.status, 200);
        assert_string_equal(t_header(&it_r, "Connection"), "keep-alive");
        assert_string_equal(t_header(&it_r, "Content-Length"), "5");
        assert_memory_equal(it_r.body, "alive", 5);
        t_resp_release(&it_r);
        assert_false(t_conn_closed(fd, 300));
    }
    it_close(fd);
}

static void
it_connection_close_closes_after_response(void **state)
{
    struct t_server *s = *state;
    int fd;

    assert_int_equal(t_file_write(s, "cc.txt", "bye", 3), 0);
    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/cc.txt HTTP/1.1\nHost: x\n"
                                     "Connection: close\n" T_AUTH "\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    assert_memory_equal(it_r.body, "bye", 3);
    t_resp_release(&it_r);
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
}

/* ---- pipelining ---- */

static void
it_pipelined_requests_are_answered_in_order(void **state)
{
    struct t_server *s = *state;
    int fd;

    assert_int_equal(t_file_write(s, "pipe1.txt", "first", 5), 0);
    fd = it_open(s);
    /* all three in one send: GET, PUT with a body, GET of what PUT wrote */
    it_send_crlf(fd, "GET /dav/admin/pipe1.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"
                     "PUT /dav/admin/pipe2.txt HTTP/1.1\nHost: x\n" T_AUTH
                     "Content-Length: 6\n\nsecond"
                     "GET /dav/admin/pipe2.txt HTTP/1.1\nHost: x\n" T_AUTH "\n");
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_int_equal(it_r.body_len, 5);
    assert_memory_equal(it_r.body, "first", 5);
    t_resp_release(&it_r);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 201);
    assert_non_null(t_header(&it_r, "ETag"));
    t_resp_release(&it_r);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_int_equal(it_r.body_len, 6);
    assert_memory_equal(it_r.body, "second", 6);
    t_resp_release(&it_r);
    assert_false(t_conn_closed(fd, 200));
    it_close(fd);
    it_assert_disk(s, "pipe2.txt", "second", 6);
}

/* ---- large bodies (read straight from the socket, src/conn.c) ---- */

/*
 * A large body arriving in pieces, the last one in the same packet as a
 * pipelined GET: the body ends exactly at its Content-Length and the GET
 * that follows it is answered.
 */
static void
it_large_put_in_pieces_then_pipelined_get(void **state)
{
    struct t_server *s = *state;
    const size_t size = 6u * 1024 * 1024 + 123, piece = 1024 * 1024;
    char *data = it_pattern(size), *tail;
    const char *get_lf = "GET /dav/admin/pieces.bin HTTP/1.1\nHost: x\n" T_AUTH "\n";
    char get[512];
    size_t sent = 0, glen = 0;
    int fd;

    for (const char *p = get_lf; *p; p++) {
        if (*p == '\n')
            get[glen++] = '\r';
        get[glen++] = *p;
    }

    fd = it_open(s);
    it_send_put_head(fd, "pieces.bin", size);
    while (size - sent > piece) {
        assert_int_equal(t_conn_send_raw(fd, data + sent, piece), 0);
        sent += piece;
        usleep(30 * 1000);      /* the server drains the socket and waits */
    }
    tail = it_alloc(size - sent + glen);
    memcpy(tail, data + sent, size - sent);
    memcpy(tail + size - sent, get, glen);
    assert_int_equal(t_conn_send_raw(fd, tail, size - sent + glen), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 201);
    t_resp_release(&it_r);
    it_read_200_with(fd, data, size);
    it_close(fd);
    it_assert_disk(s, "pieces.bin", data, size);
}

/* The number of entries in a directory, hidden ones too. */
static int
it_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* A client gone in the middle of a large body leaves nothing behind. */
static void
it_put_cut_off_midway_leaves_nothing(void **state)
{
    struct t_server *s = *state;
    const size_t size = 8u * 1024 * 1024;
    char *data = it_pattern(size);
    int fd, entries;

    assert_int_equal(t_file_write(s, "cut.bin", "before", 6), 0);
    entries = it_entries(s->repo_admin);
    fd = it_open(s);
    it_send_put_head(fd, "cut.bin", size);
    assert_int_equal(t_conn_send_raw(fd, data, size / 2), 0);
    usleep(100 * 1000);
    it_close(fd);
    usleep(200 * 1000);
    /* the file is as it was, and no temporary file shows */
    it_assert_disk(s, "cut.bin", "before", 6);
    assert_int_equal(it_entries(s->repo_admin), entries);
    /* and the server goes on */
    assert_int_equal(t_status(s, "GET", "/dav/admin/cut.bin", NULL, NULL), 200);
}

/*
 * A worker that cannot make its splice pipe (out of file descriptors) copies
 * bodies through its input buffer: the file is whole all the same.
 */
static void
it_put_without_a_body_pipe_is_stored_whole(void **state)
{
    const size_t size = 4u * 1024 * 1024;
    struct t_fail no_pipe = { .nr = SYS_pipe2, .arg = 1, .value = O_CLOEXEC | O_NONBLOCK,
                              .err = EMFILE };
    char *data = it_pattern(size);
    int fd;

    (void)state;
    assert_int_equal(t_server_start_failing(&it_own, NULL, no_pipe), 0);
    for (int round = 0; round < 2; round++) {
        fd = it_open(&it_own);
        assert_int_equal(it_put_on(fd, "nopipe.bin", data, size), round == 0 ? 201 : 204);
        t_resp_release(&it_r);
        it_close(fd);
        it_assert_disk(&it_own, "nopipe.bin", data, size);
    }
    assert_true(it_wait_server_log(&it_own, "cannot make its pipe for request bodies", 3000));
}

/*
 * The disk fails while a body is spliced into its file (ENOSPC on the
 * pipe-to-file splice): 507 with a message, the old content kept, no
 * temporary file left, and the connection still in step.
 */
static void
it_disk_full_during_put_is_507_and_keeps_the_old_file(void **state)
{
    const size_t size = 4u * 1024 * 1024;
    struct t_fail full = { .nr = SYS_splice, .arg = 5, .value = SPLICE_F_MOVE, .err = ENOSPC };
    char *data = it_pattern(size);
    int fd, entries;

    (void)state;
    assert_int_equal(t_server_start_failing(&it_own, NULL, full), 0);
    assert_int_equal(t_file_write(&it_own, "full.bin", "before", 6), 0);
    entries = it_entries(it_own.repo_admin);
    fd = it_open(&it_own);
    assert_int_equal(it_put_on(fd, "full.bin", data, size), 507);
    assert_non_null(strstr(it_r.body, "disk is full"));
    t_resp_release(&it_r);
    it_assert_disk(&it_own, "full.bin", "before", 6);
    assert_int_equal(it_entries(it_own.repo_admin), entries);
    /* the rest of the body was read: the next request is understood */
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/full.bin HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 5000), 0);
    assert_int_equal(it_r.status, 200);
    assert_int_equal(it_r.body_len, 6);
    t_resp_release(&it_r);
    it_close(fd);
    assert_true(it_wait_server_log(&it_own, "No space left on device", 3000));
}

/* ---- chunked request bodies ---- */

static void
it_chunked_put_stores_exact_bytes(void **state)
{
    struct t_server *s = *state;
    int fd;
    static const char body[] =
        "5;name=value\r\nhello\r\n"          /* a chunk extension */
        "1\r\n \r\n"
        "A\r\n0123456789\r\n"                /* upper-case hex */
        "6; a=\"quoted\"; b\r\nworld!\r\n"
        "0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n";  /* a trailer */

    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/chunked.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "Transfer-Encoding: chunked\n\n%s", body), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 201);
    t_resp_release(&it_r);
    it_assert_disk(s, "chunked.txt", "hello 0123456789world!", 22);
    /* the connection is still in step: the trailer was consumed */
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/chunked.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_int_equal(it_r.body_len, 22);
    assert_memory_equal(it_r.body, "hello 0123456789world!", 22);
    t_resp_release(&it_r);
    it_close(fd);
}

static void
it_chunked_put_with_bad_chunk_size_is_400(void **state)
{
    struct t_server *s = *state;
    int fd;

    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/badchunk.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "Transfer-Encoding: chunked\n\n"
                                     "5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 400);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
    assert_false(t_file_exists(s, "badchunk.txt"));
}

/* ---- Expect: 100-continue ---- */

static void
it_expect_continue_sends_100_before_body(void **state)
{
    struct t_server *s = *state;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    char buf[256];
    size_t n;
    int fd;

    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/expect.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "Content-Length: 5\nExpect: 100-continue\n\n"), 0);
    /* the body has not been sent: only the interim response may come */
    n = it_recv(fd, buf, sizeof(cont) - 1, 5000);
    buf[n] = '\0';
    assert_string_equal(buf, cont);
    assert_false(t_file_exists(s, "expect.txt"));
    assert_int_equal(t_conn_send_raw(fd, "hello", 5), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 201);
    t_resp_release(&it_r);
    it_close(fd);
    it_assert_disk(s, "expect.txt", "hello", 5);
}

static void
it_expect_continue_without_credentials_is_401_without_100(void **state)
{
    struct t_server *s = *state;
    char buf[4096];
    size_t n;
    int fd;

    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/expect401.txt HTTP/1.1\nHost: x\n"
                                     "Content-Length: 5\nExpect: 100-continue\n\n"), 0);
    /* the whole answer, up to the close, without sending the body */
    n = it_recv(fd, buf, sizeof(buf) - 1, 5000);
    buf[n] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 401 ", 13) == 0);
    assert_null(strstr(buf, "100 Continue"));
    assert_non_null(strstr(buf, "\r\nWWW-Authenticate: Basic "));
    assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
    assert_false(t_file_exists(s, "expect401.txt"));
}

/* ---- framing errors (RFC 7230 3.3.3, 3.2.4) ---- */

static void
it_content_length_with_transfer_encoding_is_400(void **state)
{
    struct t_server *s = *state;
    int fd;

    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/smuggle.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "Content-Length: 5\nTransfer-Encoding: chunked\n\n"
                                     "5\r\nhello\r\n0\r\n\r\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 400);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
    /* nothing after it is read as another request */
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
    assert_false(t_file_exists(s, "smuggle.txt"));
}

static void
it_differing_content_lengths_are_400(void **state)
{
    struct t_server *s = *state;
    int fd;

    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/twocl.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "Content-Length: 5\nContent-Length: 3\n\nhello"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 400);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
    assert_false(t_file_exists(s, "twocl.txt"));
}

static void
it_unsupported_transfer_coding_is_501(void **state)
{
    struct t_server *s = *state;

    /* RFC 7230 3.3.1: a transfer coding the server does not understand is a 501 */
    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/gzip1.txt HTTP/1.1\nHost: x\n" T_AUTH
                                      "Transfer-Encoding: gzip\n\nhello"), 0);
    assert_int_equal(it_r.status, 501);
    t_resp_release(&it_r);
    assert_false(t_file_exists(s, "gzip1.txt"));
    /* also when chunked comes last: the gzip coding must not be dropped silently */
    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/gzip2.txt HTTP/1.1\nHost: x\n" T_AUTH
                                      "Transfer-Encoding: gzip, chunked\n\n"
                                      "5\r\nhello\r\n0\r\n\r\n"), 0);
    assert_int_equal(it_r.status, 501);
    t_resp_release(&it_r);
    assert_false(t_file_exists(s, "gzip2.txt"));
}

static void
it_unknown_expectation_is_417(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/expect417.txt HTTP/1.1\nHost: x\n" T_AUTH
                                      "Content-Length: 5\nExpect: 200-ok\n\nhello"), 0);
    assert_int_equal(it_r.status, 417);
    t_resp_release(&it_r);
    assert_false(t_file_exists(s, "expect417.txt"));
}

static void
it_refused_short_body_is_read_and_connection_kept(void **state)
{
    struct t_server *s = *state;
    int fd;

    /* refused before its body, which is short: read it, keep the connection */
    fd = it_open(s);
    it_send_crlf(fd, "PUT /dav/admin/refused.txt HTTP/1.1\nHost: x\nContent-Length: 5\n\n");
    assert_int_equal(t_conn_send_raw(fd, "hello", 5), 0);
    it_send_crlf(fd, "OPTIONS / HTTP/1.1\nHost: x\n\n");
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 401);
    assert_null(t_header(&it_r, "Connection"));
    t_resp_release(&it_r);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_string_equal(t_header(&it_r, "DAV"), "1, 2");
    t_resp_release(&it_r);
    it_close(fd);
    assert_false(t_file_exists(s, "refused.txt"));
}

/* ---- HEAD ---- */

static void
it_head_has_get_length_and_no_body(void **state)
{
    struct t_server *s = *state;
    const size_t size = 100000;
    char *data = it_pattern(size);
    char cl_get[32];
    struct pollfd pfd;
    int fd;

    assert_int_equal(t_file_write(s, "head.bin", data, size), 0);
    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/head.bin HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_non_null(t_header(&it_r, "Content-Length"));
    snprintf(cl_get, sizeof(cl_get), "%s", t_header(&it_r, "Content-Length"));
    assert_string_equal(cl_get, "100000");
    assert_int_equal(it_r.body_len, size);
    assert_memory_equal(it_r.body, data, size);
    t_resp_release(&it_r);

    assert_int_equal(t_conn_send(fd, "HEAD /dav/admin/head.bin HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    assert_int_equal(t_conn_read(fd, &it_r, true, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_string_equal(t_header(&it_r, "Content-Length"), cl_get);
    t_resp_release(&it_r);
    /* no body follows the HEAD answer */
    pfd.fd = fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    assert_int_equal(poll(&pfd, 1, 300), 0);

    /* and the next answer on the connection starts cleanly */
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/head.bin HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    it_read_200_with(fd, data, size);
    it_close(fd);
}

static void
it_head_of_error_has_get_length(void **state)
{
    struct t_server *s = *state;
    char cl_get[32];
    const char *cl;

    /* RFC 7230 3.3.2: Content-Length on a HEAD answer is the length GET would send */
    assert_int_equal(t_http(s, &it_r, "GET /dav/admin/no-such HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 404);
    assert_non_null(t_header(&it_r, "Content-Length"));
    snprintf(cl_get, sizeof(cl_get), "%s", t_header(&it_r, "Content-Length"));
    assert_int_equal(strtoul(cl_get, NULL, 10), it_r.body_len);
    t_resp_release(&it_r);
    assert_int_equal(t_http(s, &it_r, "HEAD /dav/admin/no-such HTTP/1.1\nHost: x\n"
                                      T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 404);
    cl = t_header(&it_r, "Content-Length");
    if (cl != NULL && strcmp(cl, cl_get) != 0)
        fail_msg("HEAD 404 says Content-Length: %s, GET sends %s bytes", cl, cl_get);
    t_resp_release(&it_r);
}

/* ---- bad request heads ---- */

static void
it_unknown_method_is_501(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_http(s, &it_r, "BREW /dav/admin/pot HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 501);
    t_resp_release(&it_r);
}

static void
it_fragment_in_target_is_400(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_file_write(s, "frag.txt", "keep", 4), 0);
    /* acting on the part before '#' would delete what the client never named */
    assert_int_equal(t_http(s, &it_r, "DELETE /dav/admin/frag.txt#x HTTP/1.1\nHost: x\n"
                                      T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 400);
    t_resp_release(&it_r);
    assert_true(t_file_exists(s, "frag.txt"));
}

static void
it_nul_in_head_is_400(void **state)
{
    struct t_server *s = *state;
    static const char req[] = "GET /dav/admin/ HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";

    assert_int_equal(t_http_raw(s, &it_r, req, sizeof(req) - 1), 0);
    assert_int_equal(it_r.status, 400);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
}

static void
it_obs_fold_is_400(void **state)
{
    struct t_server *s = *state;

    assert_int_equal(t_http(s, &it_r, "OPTIONS / HTTP/1.1\nHost: x\nX-Folded: a\n b\n\n"), 0);
    assert_int_equal(it_r.status, 400);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
}

static void
it_request_arriving_one_byte_at_a_time_is_served(void **state)
{
    static const char req[] = "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd;

    (void)state;
    assert_int_equal(t_server_start(&it_own, NULL), 0);
    fd = it_open(&it_own);
    /* TCP may deliver a request in pieces of any size, the first one too */
    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        assert_int_equal(t_conn_send_raw(fd, req + i, 1), 0);
        usleep(10 * 1000);
    }
    assert_int_equal(t_conn_read(fd, &it_r, false, 5000), 0);
    assert_int_equal(it_r.status, 200);
    assert_string_equal(t_header(&it_r, "DAV"), "1, 2");
    t_resp_release(&it_r);
    /* and again on the same, kept-alive connection */
    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        assert_int_equal(t_conn_send_raw(fd, req + i, 1), 0);
        usleep(10 * 1000);
    }
    assert_int_equal(t_conn_read(fd, &it_r, false, 5000), 0);
    assert_int_equal(it_r.status, 200);
    t_resp_release(&it_r);
    it_close(fd);
    /* the server is still there for others */
    assert_int_equal(t_http(&it_own, &it_r, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(it_r.status, 200);
    t_resp_release(&it_r);
}

/* ---- the access log ---- */

static void
it_access_log_has_one_line_per_request(void **state)
{
    struct it_logline l;
    size_t bytes[3];
    char *log;

    (void)state;
    assert_int_equal(t_server_start(&it_own, NULL), 0);
    assert_int_equal(t_file_write(&it_own, "log.txt", "logged!", 7), 0);
    assert_int_equal(t_http(&it_own, &it_r, "GET /dav/admin/log.txt HTTP/1.1\nHost: x\n"
                                            T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 200);
    bytes[0] = it_r.body_len;
    t_resp_release(&it_r);
    assert_int_equal(t_http(&it_own, &it_r, "PROPFIND /dav/admin/ HTTP/1.1\nHost: x\nDepth: 0\n\n"),
                     0);
    assert_int_equal(it_r.status, 401);
    bytes[1] = it_r.body_len;
    t_resp_release(&it_r);
    assert_int_equal(t_http(&it_own, &it_r, "GET /dav/admin/missing HTTP/1.1\nHost: x\n"
                                            T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 404);
    bytes[2] = it_r.body_len;
    t_resp_release(&it_r);

    log = it_keep(it_wait_lines(&it_own, "access.log", 3, 3000));
    assert_int_equal(it_count_lines(log), 3);

    it_logline_of(log, "GET", "/dav/admin/log.txt", &l);
    assert_string_equal(l.peer, "127.0.0.1");
    assert_string_equal(l.user, "admin");
    assert_int_equal(l.status, 200);
    assert_int_equal(l.bytes, 7);
    assert_int_equal(l.bytes, bytes[0]);

    it_logline_of(log, "PROPFIND", "/dav/admin/", &l);
    assert_string_equal(l.peer, "127.0.0.1");
    assert_string_equal(l.user, "-");
    assert_int_equal(l.status, 401);
    assert_int_equal(l.bytes, bytes[1]);

    it_logline_of(log, "GET", "/dav/admin/missing", &l);
    assert_string_equal(l.peer, "127.0.0.1");
    assert_string_equal(l.user, "admin");
    assert_int_equal(l.status, 404);
    assert_int_equal(l.bytes, bytes[2]);
}

/* ---- signals ---- */

static void
it_sighup_reopens_access_log(void **state)
{
    struct it_logline l;
    char old[512], cur[512];
    char *log;

    (void)state;
    assert_int_equal(t_server_start(&it_own, NULL), 0);
    assert_int_equal(t_file_write(&it_own, "before.txt", "b", 1), 0);
    assert_int_equal(t_file_write(&it_own, "after.txt", "a", 1), 0);
    assert_int_equal(t_http(&it_own, &it_r, "GET /dav/admin/before.txt HTTP/1.1\nHost: x\n"
                                            T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 200);
    t_resp_release(&it_r);
    log = it_keep(it_wait_lines(&it_own, "access.log", 1, 3000));
    assert_int_equal(it_count_lines(log), 1);

    /* what logrotate does */
    snprintf(cur, sizeof(cur), "%s/access.log", it_own.data);
    snprintf(old, sizeof(old), "%s/access.log.1", it_own.data);
    assert_int_equal(rename(cur, old), 0);
    assert_int_equal(kill(it_own.pid, SIGHUP), 0);
    assert_true(it_wait_server_log(&it_own, "logs reopened", 5000));
    assert_int_equal(access(cur, F_OK), 0);

    assert_int_equal(t_http(&it_own, &it_r, "GET /dav/admin/after.txt HTTP/1.1\nHost: x\n"
                                            T_AUTH "\n"), 0);
    assert_int_equal(it_r.status, 200);
    t_resp_release(&it_r);
    log = it_keep(it_wait_lines(&it_own, "access.log", 1, 3000));
    assert_int_equal(it_count_lines(log), 1);
    it_logline_of(log, "GET", "/dav/admin/after.txt", &l);
    assert_int_equal(l.status, 200);
    /* the rotated file kept the old line only */
    log = it_keep(it_data_read(&it_own, "access.log.1"));
    assert_int_equal(it_count_lines(log), 1);
    assert_non_null(strstr(log, "/dav/admin/before.txt"));
}

static void
it_sigterm_finishes_large_get_in_flight(void **state)
{
    const size_t size = 50u * 1024 * 1024;
    char *data = it_pattern(size);
    char *buf;
    size_t cap = size + 65536, got = 0, head_len;
    char *end;
    long long deadline;
    int fd, st = 0;
    pid_t pid;

    (void)state;
    assert_int_equal(t_server_start(&it_own, NULL), 0);
    assert_int_equal(t_file_write(&it_own, "big.bin", data, size), 0);
    buf = it_alloc(cap + 1);
    fd = it_open(&it_own);
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/big.bin HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    /* read about 1 MiB slowly */
    while (got < 1024 * 1024) {
        size_t n = it_recv(fd, buf + got, 64 * 1024, 5000);

        assert_true(n > 0);
        got += n;
        usleep(20 * 1000);
    }
    pid = it_own.pid;
    assert_int_equal(kill(pid, SIGTERM), 0);
    usleep(300 * 1000);     /* let the server see it while the body is in flight */
    for (;;) {
        size_t n = it_recv(fd, buf + got, cap - got, 15000);

        if (n == 0)
            break;
        got += n;
    }
    buf[got] = '\0';
    end = strstr(buf, "\r\n\r\n");
    assert_non_null(end);
    head_len = (size_t)(end - buf) + 4;
    assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    assert_non_null(strstr(buf, "\r\nContent-Length: 52428800\r\n"));
    assert_int_equal(got - head_len, size);
    assert_memory_equal(buf + head_len, data, size);
    it_close(fd);

    /* then the server exits, cleanly */
    deadline = it_now_ms() + 15000;
    while (waitpid(pid, &st, WNOHANG) != pid) {
        if (it_now_ms() > deadline)
            fail_msg("cofferd did not exit within 15 s of SIGTERM");
        usleep(20 * 1000);
    }
    it_own.pid = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(it_keep_alive_serves_two_requests_on_one_connection,
                                  it_own_teardown),
        cmocka_unit_test_teardown(it_http10_without_keep_alive_closes_after_response,
                                  it_own_teardown),
        cmocka_unit_test_teardown(it_http10_with_keep_alive_stays_open, it_own_teardown),
        cmocka_unit_test_teardown(it_connection_close_closes_after_response, it_own_teardown),
        cmocka_unit_test_teardown(it_pipelined_requests_are_answered_in_order, it_own_teardown),
        cmocka_unit_test_teardown(it_large_put_in_pieces_then_pipelined_get, it_own_teardown),
        cmocka_unit_test_teardown(it_put_cut_off_midway_leaves_nothing, it_own_teardown),
        cmocka_unit_test_teardown(it_put_without_a_body_pipe_is_stored_whole, it_own_teardown),
        cmocka_unit_test_teardown(it_disk_full_during_put_is_507_and_keeps_the_old_file,
                                  it_own_teardown),
        cmocka_unit_test_teardown(it_chunked_put_stores_exact_bytes, it_own_teardown),
        cmocka_unit_test_teardown(it_chunked_put_with_bad_chunk_size_is_400, it_own_teardown),
        cmocka_unit_test_teardown(it_expect_continue_sends_100_before_body, it_own_teardown),
        cmocka_unit_test_teardown(it_expect_continue_without_credentials_is_401_without_100,
                                  it_own_teardown),
        cmocka_unit_test_teardown(it_content_length_with_transfer_encoding_is_400,
                                  it_own_teardown),
        cmocka_unit_test_teardown(it_differing_content_lengths_are_400, it_own_teardown),
        cmocka_unit_test_teardown(it_unsupported_transfer_coding_is_501, it_own_teardown),
        cmocka_unit_test_teardown(it_unknown_expectation_is_417, it_own_teardown),
        cmocka_unit_test_teardown(it_refused_short_body_is_read_and_connection_kept,
                                  it_own_teardown),
        cmocka_unit_test_teardown(it_head_has_get_length_and_no_body, it_own_teardown),
        cmocka_unit_test_teardown(it_head_of_error_has_get_length, it_own_teardown),
        cmocka_unit_test_teardown(it_unknown_method_is_501, it_own_teardown),
        cmocka_unit_test_teardown(it_fragment_in_target_is_400, it_own_teardown),
        cmocka_unit_test_teardown(it_nul_in_head_is_400, it_own_teardown),
        cmocka_unit_test_teardown(it_obs_fold_is_400, it_own_teardown),
        cmocka_unit_test_teardown(it_request_arriving_one_byte_at_a_time_is_served,
                                  it_own_teardown),
        cmocka_unit_test_teardown(it_access_log_has_one_line_per_request, it_own_teardown),
        cmocka_unit_test_teardown(it_sighup_reopens_access_log, it_own_teardown),
        cmocka_unit_test_teardown(it_sigterm_finishes_large_get_in_flight, it_own_teardown),
    };

    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
