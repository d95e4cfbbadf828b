/*
 * it_http_limits.c: every limit and timeout of the HTTP layer, each with a
 * small configured value and on both sides of its boundary (STYLE.md 11):
 * max-request-line, max-head, max-headers, max-body, max-xml-body,
 * max-path, header-timeout, idle-timeout, body-timeout, max-connections.
 *
 * Every test starts its own server with the configuration it needs; the
 * per-test teardown stops it even when an assertion fails.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- local helpers ---- */

static struct t_server it_srv;

/* The response a test is looking at; the teardown releases it. */
static struct t_resp it_r;

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

static int
it_teardown(void **state)
{
    (void)state;
    while (it_nfds > 0)
        close(it_fds[--it_nfds]);
    while (it_nmem > 0)
        free(it_mem[--it_nmem]);
    t_resp_release(&it_r);
    t_server_stop(&it_srv);
    memset(&it_srv, 0, sizeof(it_srv));
    return 0;
}

static struct t_server *
it_start(const char *conf)
{
    assert_int_equal(t_server_start(&it_srv, conf), 0);
    return &it_srv;
}

static long long
it_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Receives until n bytes, the peer's close, or timeout_ms of silence. */
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

/* n copies of c (NUL-terminated; freed by the teardown). */
static char *
it_fill(char c, size_t n)
{
    char *p = it_keep(malloc(n + 1));

    memset(p, c, n);
    p[n] = '\0';
    return p;
}

static void
it_assert_disk(struct t_server *s, const char *rel, const void *want, size_t len)
{
    size_t got;
    char *disk = it_keep(t_file_read(s, rel, &got));

    assert_int_equal(got, len);
    assert_memory_equal(disk, want, len);
}

/* A chunked body of n bytes of c in chunks of at most piece bytes. */
static char *
it_chunked(char c, size_t n, size_t piece)
{
    size_t cap = n + (n / piece + 2) * 16 + 8, k = 0;
    char *p = it_keep(malloc(cap));

    while (n > 0) {
        size_t m = n < piece ? n : piece;

        k += (size_t)snprintf(p + k, cap - k, "%zx\r\n", m);
        memset(p + k, c, m);
        k += m;
        memcpy(p + k, "\r\n", 2);
        k += 2;
        n -= m;
    }
    memcpy(p + k, "0\r\n\r\n", 6);
    return p;
}

/*
 * Sends "OPTIONS /?<pad> HTTP/1.1" of exactly len bytes (CRLF not counted)
 * and a Host header; returns the status.
 */
static int
it_request_line_status(struct t_server *s, size_t len)
{
    const size_t fixed = strlen("OPTIONS /?") + strlen(" HTTP/1.1");
    char *pad = it_fill('q', len - fixed);
    int status;

    assert_int_equal(t_http(s, &it_r, "OPTIONS /?%s HTTP/1.1\nHost: x\n\n", pad), 0);
    status = it_r.status;
    t_resp_release(&it_r);
    return status;
}

/* ---- max-request-line ---- */

static void
it_request_line_just_under_limit_is_served(void **state)
{
    struct t_server *s = it_start("max-request-line = 256\n");

    (void)state;
    assert_int_equal(it_request_line_status(s, 255), 200);
}

static void
it_request_line_of_exactly_the_limit_is_served(void **state)
{
    struct t_server *s = it_start("max-request-line = 256\n");

    (void)state;
    /* the limit counts the line without its CRLF (http.h, cf_http_head_end) */
    assert_int_equal(it_request_line_status(s, 256), 200);
}

static void
it_request_line_just_over_limit_is_414(void **state)
{
    struct t_server *s = it_start("max-request-line = 256\n");
    char buf[1024], *pad;
    size_t n;
    int fd;

    (void)state;
    assert_int_equal(it_request_line_status(s, 257), 414);
    /* a longer line is refused before its end arrives */
    fd = it_open(s);
    pad = it_fill('q', 400);
    assert_int_equal(t_conn_send_raw(fd, "GET /", 5), 0);
    assert_int_equal(t_conn_send_raw(fd, pad, 400), 0);
    n = it_recv(fd, buf, sizeof(buf) - 1, 3000);
    buf[n] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 414 ", 13) == 0);
    assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
}

/* ---- max-head ---- */

/* OPTIONS with one X-Pad header sized so that the head is len bytes. */
static int
it_head_status(struct t_server *s, size_t len)
{
    const size_t fixed = strlen("OPTIONS / HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n");
    char *pad = it_fill('h', len - fixed);
    int status;

    assert_int_equal(t_http(s, &it_r, "OPTIONS / HTTP/1.1\nHost: x\nX-Pad: %s\n\n", pad), 0);
    status = it_r.status;
    t_resp_release(&it_r);
    return status;
}

static void
it_head_of_exactly_max_head_is_served(void **state)
{
    struct t_server *s = it_start("max-request-line = 1k\nmax-head = 2k\n");

    (void)state;
    assert_int_equal(it_head_status(s, 2047), 200);
    assert_int_equal(it_head_status(s, 2048), 200);
}

static void
it_head_just_over_max_head_is_431(void **state)
{
    struct t_server *s = it_start("max-request-line = 1k\nmax-head = 2k\n");
    char buf[1024], *pad;
    size_t n;
    int fd;

    (void)state;
    assert_int_equal(it_head_status(s, 2049), 431);
    /* a head that keeps growing is refused before it ends (bound before you buffer) */
    fd = it_open(s);
    pad = it_fill('h', 3000);
    assert_int_equal(t_conn_send(fd, "OPTIONS / HTTP/1.1\nHost: x\nX-Pad: %s\n", pad), 0);
    n = it_recv(fd, buf, sizeof(buf) - 1, 3000);
    buf[n] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 431 ", 13) == 0);
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
}

/* ---- max-headers ---- */

/* OPTIONS with Host and count - 1 more header fields. */
static int
it_headers_status(struct t_server *s, unsigned count)
{
    char head[4096];
    size_t k;
    int status;

    k = (size_t)snprintf(head, sizeof(head), "OPTIONS / HTTP/1.1\nHost: x\n");
    for (unsigned i = 1; i < count; i++)
        k += (size_t)snprintf(head + k, sizeof(head) - k, "X-H%u: %u\n", i, i);
    snprintf(head + k, sizeof(head) - k, "\n");
    assert_int_equal(t_http(s, &it_r, "%s", head), 0);
    status = it_r.status;
    t_resp_release(&it_r);
    return status;
}

static void
it_header_count_at_limit_is_served(void **state)
{
    struct t_server *s = it_start("max-headers = 8\n");

    (void)state;
    assert_int_equal(it_headers_status(s, 7), 200);
    assert_int_equal(it_headers_status(s, 8), 200);
}

static void
it_header_count_over_limit_is_431(void **state)
{
    struct t_server *s = it_start("max-headers = 8\n");

    (void)state;
    assert_int_equal(it_headers_status(s, 9), 431);
    assert_int_equal(it_headers_status(s, 50), 431);
}

/* ---- max-body ---- */

static void
it_content_length_over_max_body_is_413_before_body(void **state)
{
    struct t_server *s = it_start("max-body = 1k\n");
    int fd;

    (void)state;
    fd = it_open(s);
    /* only the head: the answer must come without the body */
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/big.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "Content-Length: 1025\n\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 3000), 0);
    assert_int_equal(it_r.status, 413);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
    assert_false(t_file_exists(s, "big.txt"));
}

static void
it_content_length_at_max_body_is_stored(void **state)
{
    struct t_server *s = it_start("max-body = 1k\n");
    char *body = it_fill('b', 1024);

    (void)state;
    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/exact.txt HTTP/1.1\nHost: x\n" T_AUTH
                                      "Content-Length: 1024\n\n%s", body), 0);
    assert_int_equal(it_r.status, 201);
    t_resp_release(&it_r);
    it_assert_disk(s, "exact.txt", body, 1024);
}

static void
it_chunked_body_growing_over_max_body_is_413(void **state)
{
    struct t_server *s = it_start("max-body = 1k\n");
    char *body = it_chunked('c', 1025, 300);

    (void)state;
    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/chunkbig.txt HTTP/1.1\nHost: x\n" T_AUTH
                                      "Transfer-Encoding: chunked\n\n%s", body), 0);
    assert_int_equal(it_r.status, 413);
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
    assert_false(t_file_exists(s, "chunkbig.txt"));
}

static void
it_chunked_body_at_max_body_is_stored(void **state)
{
    struct t_server *s = it_start("max-body = 1k\n");
    char *body = it_chunked('c', 1024, 300);
    char *want = it_fill('c', 1024);

    (void)state;
    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/chunkok.txt HTTP/1.1\nHost: x\n" T_AUTH
                                      "Transfer-Encoding: chunked\n\n%s", body), 0);
    assert_int_equal(it_r.status, 201);
    t_resp_release(&it_r);
    it_assert_disk(s, "chunkok.txt", want, 1024);
}

/* ---- max-xml-body ---- */

/* A PROPFIND allprop body of exactly len bytes (padded inside a comment). */
static char *
it_propfind_body(size_t len)
{
    static const char pre[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!--";
    static const char post[] = "-->\n<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>\n";
    size_t fixed = sizeof(pre) - 1 + sizeof(post) - 1;
    char *p = it_keep(malloc(len + 1));

    assert_true(len > fixed);
    memcpy(p, pre, sizeof(pre) - 1);
    memset(p + sizeof(pre) - 1, 'x', len - fixed);
    memcpy(p + len - (sizeof(post) - 1), post, sizeof(post) - 1);
    p[len] = '\0';
    return p;
}

static int
it_propfind_status(struct t_server *s, size_t len)
{
    char *body = it_propfind_body(len);
    int status;

    assert_int_equal(t_http(s, &it_r, "PROPFIND /dav/admin/ HTTP/1.1\nHost: x\n" T_AUTH
                                      "Depth: 0\nContent-Type: application/xml\n"
                                      "Content-Length: %zu\n\n%s", len, body), 0);
    status = it_r.status;
    if (status == 207)
        assert_int_equal(t_xpath_count(&it_r, "/D:multistatus/D:response"), 1);
    t_resp_release(&it_r);
    return status;
}

static void
it_propfind_body_at_max_xml_body_is_served(void **state)
{
    struct t_server *s = it_start("max-xml-body = 1k\n");

    (void)state;
    assert_int_equal(it_propfind_status(s, 1024), 207);
}

static void
it_propfind_body_over_max_xml_body_is_413(void **state)
{
    struct t_server *s = it_start("max-xml-body = 1k\n");
    char *body = it_propfind_body(1025);
    char *chunked;
    int fd;

    (void)state;
    assert_int_equal(it_propfind_status(s, 1025), 413);
    /* refused from the Content-Length, before the body is sent */
    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PROPFIND /dav/admin/ HTTP/1.1\nHost: x\n" T_AUTH
                                     "Depth: 0\nContent-Length: 1025\n\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 3000), 0);
    assert_int_equal(it_r.status, 413);
    t_resp_release(&it_r);
    it_close(fd);
    /* and a chunked one that grows over it */
    chunked = it_keep(malloc(1200));
    snprintf(chunked, 1200, "200\r\n%.512s\r\n201\r\n%s\r\n0\r\n\r\n", body, body + 512);
    assert_int_equal(t_http(s, &it_r, "PROPFIND /dav/admin/ HTTP/1.1\nHost: x\n" T_AUTH
                                      "Depth: 0\nTransfer-Encoding: chunked\n\n%s", chunked), 0);
    assert_int_equal(it_r.status, 413);
    t_resp_release(&it_r);
}

/* ---- max-path ---- */

static void
it_path_of_max_path_is_served(void **state)
{
    struct t_server *s = it_start("max-path = 256\n");
    const size_t prefix = strlen("/dav/admin/");
    char *name = it_fill('p', 256 - prefix);

    (void)state;
    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/%s HTTP/1.1\nHost: x\n" T_AUTH
                                      "Content-Length: 4\n\npath", name), 0);
    assert_int_equal(it_r.status, 201);
    t_resp_release(&it_r);
    it_assert_disk(s, name, "path", 4);
    assert_int_equal(t_http(s, &it_r, "GET /dav/admin/%s HTTP/1.1\nHost: x\n"
                                      T_AUTH "\n", name), 0);
    assert_int_equal(it_r.status, 200);
    assert_int_equal(it_r.body_len, 4);
    t_resp_release(&it_r);
}

static void
it_path_over_max_path_is_414(void **state)
{
    struct t_server *s = it_start("max-path = 256\n");
    const size_t prefix = strlen("/dav/admin/");
    char *name = it_fill('p', 257 - prefix);

    (void)state;
    assert_int_equal(t_http(s, &it_r, "PUT /dav/admin/%s HTTP/1.1\nHost: x\n" T_AUTH
                                      "Content-Length: 4\n\npath", name), 0);
    assert_int_equal(it_r.status, 414);
    t_resp_release(&it_r);
    assert_false(t_file_exists(s, name));
    assert_int_equal(t_http(s, &it_r, "GET /dav/admin/%s HTTP/1.1\nHost: x\n"
                                      T_AUTH "\n", name), 0);
    assert_int_equal(it_r.status, 414);
    t_resp_release(&it_r);
}

/* ---- timeouts ---- */

static void
it_header_timeout_answers_408_and_closes(void **state)
{
    struct t_server *s = it_start("header-timeout = 500ms\n");
    char buf[1024];
    long long t0, dt;
    size_t n;
    int fd;

    (void)state;
    fd = it_open(s);
    t0 = it_now_ms();
    assert_int_equal(t_conn_send_raw(fd, "GET /dav/ad", 11), 0);
    n = it_recv(fd, buf, sizeof(buf) - 1, 5000);
    dt = it_now_ms() - t0;
    buf[n] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
    assert_true(dt >= 400);
    assert_true(dt < 3000);
    assert_true(t_conn_closed(fd, 2000));
    it_close(fd);
}

static void
it_header_timeout_is_a_deadline_for_a_trickling_head(void **state)
{
    struct t_server *s = it_start("header-timeout = 500ms\n");
    static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa";
    char buf[1024];
    long long t0;
    size_t n = 0, i;
    int fd;

    (void)state;
    fd = it_open(s);
    t0 = it_now_ms();
    /* one byte every 100 ms: each read is recent, the head never ends */
    for (i = 0; i < sizeof(head) - 1 && it_now_ms() - t0 < 3000; i++) {
        struct pollfd pfd = { fd, POLLIN, 0 };

        if (poll(&pfd, 1, 0) > 0)
            break;
        if (t_conn_send_raw(fd, head + i, 1) < 0)
            break;
        usleep(100 * 1000);
    }
    n = it_recv(fd, buf, sizeof(buf) - 1, 3000);
    buf[n] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    assert_true(it_now_ms() - t0 < 2500);
    it_close(fd);
}

/*
 * Reading stays on while a response goes out (a pipelined request may come),
 * so its timeout can run out during a long download to a slow reader: that
 * is no fault of the client's; nor is it idle while the response is queued
 * but not yet written. The download completes, and the connection serves
 * the next request.
 */
static void
it_slow_download_outlives_the_read_timeouts(void **state)
{
    struct t_server *s = it_start("header-timeout = 300ms\nidle-timeout = 1s\n");
    const size_t size = 24u * 1024 * 1024;
    char *data = it_keep(malloc(size)), *buf = it_keep(malloc(size + 4096));
    size_t got = 0, want = 0;
    long long t0;
    int fd, small = 16 * 1024;

    (void)state;
    for (size_t i = 0; i < size; i++)
        data[i] = (char)('a' + i % 23);
    assert_int_equal(t_file_write(s, "slow.bin", data, size), 0);
    fd = it_open(s);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    assert_int_equal(t_conn_send(fd, "GET /dav/admin/slow.bin HTTP/1.1\nHost: x\n" T_AUTH "\n"),
                     0);
    t0 = it_now_ms();
    /* 2.5 s of slow reading: over twice the idle timeout */
    while (got < size + 4096) {
        size_t ask = want != 0 && want - got < 64 * 1024 ? want - got : 64 * 1024;
        size_t n = it_recv(fd, buf + got, ask, 5000);

        if (n == 0)
            break;
        got += n;
        if (want == 0) {
            const char *end = memmem(buf, got, "\r\n\r\n", 4);

            if (end != NULL)
                want = (size_t)(end - buf) + 4 + size;
        }
        if (want != 0 && got >= want)
            break;
        if (it_now_ms() - t0 < 2500)
            usleep(10 * 1000);
    }
    assert_true(it_now_ms() - t0 >= 2500);
    assert_true(want > 0);
    assert_int_equal(got, want);
    assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
    assert_memory_equal(buf + want - size, data, size);
    /* the same connection goes on: its idle time began when the last byte left */
    assert_int_equal(t_conn_send(fd, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 5000), 0);
    assert_int_equal(it_r.status, 200);
    it_close(fd);
}

static void
it_idle_timeout_closes_keep_alive_connection(void **state)
{
    struct t_server *s = it_start("idle-timeout = 500ms\n");
    long long t0;
    int fd;

    (void)state;
    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(t_conn_read(fd, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    assert_null(t_header(&it_r, "Connection"));
    t_resp_release(&it_r);
    t0 = it_now_ms();
    assert_false(t_conn_closed(fd, 250));
    assert_true(t_conn_closed(fd, 3000));
    assert_true(it_now_ms() - t0 >= 400);
    it_close(fd);
}

static void
it_body_timeout_answers_408_or_closes(void **state)
{
    struct t_server *s = it_start("body-timeout = 500ms\n");
    char buf[1024];
    long long t0, dt;
    size_t n;
    int fd;

    (void)state;
    fd = it_open(s);
    assert_int_equal(t_conn_send(fd, "PUT /dav/admin/slow.txt HTTP/1.1\nHost: x\n" T_AUTH
                                     "Content-Length: 100\n\n0123456789"), 0);
    t0 = it_now_ms();
    n = it_recv(fd, buf, sizeof(buf) - 1, 5000);
    dt = it_now_ms() - t0;
    buf[n] = '\0';
    if (n > 0)
        assert_true(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    assert_true(t_conn_closed(fd, 1000));
    assert_true(dt >= 400);
    assert_true(dt < 3000);
    it_close(fd);
    assert_false(t_file_exists(s, "slow.txt"));
}

static void
it_stalled_head_does_not_delay_other_clients(void **state)
{
    struct t_server *s = it_start(NULL);
    long long t0, dt;
    int stalled[4];

    (void)state;
    assert_int_equal(t_file_write(s, "other.txt", "served", 6), 0);
    /* several clients stop in the middle of their heads, one per worker or more */
    for (int i = 0; i < 4; i++) {
        stalled[i] = it_open(s);
        assert_int_equal(t_conn_send_raw(stalled[i], "GET /dav/admin/other.txt HTTP/1.1\r\nHo",
                                         37), 0);
    }
    usleep(100 * 1000);
    t0 = it_now_ms();
    assert_int_equal(t_http(s, &it_r, "GET /dav/admin/other.txt HTTP/1.1\nHost: x\n"
                                      T_AUTH "\n"), 0);
    dt = it_now_ms() - t0;
    assert_int_equal(it_r.status, 200);
    assert_memory_equal(it_r.body, "served", 6);
    t_resp_release(&it_r);
    /* the default header timeout is 10 s; the answer must not wait for it */
    assert_true(dt < 3000);
    for (int i = 0; i < 4; i++) {
        assert_false(t_conn_closed(stalled[i], 0));
        it_close(stalled[i]);
    }
}

/* ---- max-connections ---- */

static void
it_max_connections_refuses_third_with_503(void **state)
{
    struct t_server *s = it_start("max-connections = 2\n");
    long long deadline;
    int a, b, c;

    (void)state;
    a = it_open(s);
    b = it_open(s);
    /* both accepted and served */
    assert_int_equal(t_conn_send(a, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(t_conn_read(a, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    t_resp_release(&it_r);
    assert_int_equal(t_conn_send(b, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(t_conn_read(b, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    t_resp_release(&it_r);

    c = it_open(s);
    assert_int_equal(t_conn_read(c, &it_r, false, 3000), 0);
    assert_int_equal(it_r.status, 503);
    assert_non_null(t_header(&it_r, "Retry-After"));
    assert_string_equal(t_header(&it_r, "Connection"), "close");
    t_resp_release(&it_r);
    assert_true(t_conn_closed(c, 2000));
    it_close(c);

    /* the first two still work */
    assert_int_equal(t_conn_send(a, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(t_conn_read(a, &it_r, false, 0), 0);
    assert_int_equal(it_r.status, 200);
    t_resp_release(&it_r);

    /* once one closes, a new connection is served again */
    it_close(b);
    deadline = it_now_ms() + 3000;
    for (;;) {
        int d = it_open(s);
        int rc;

        assert_int_equal(t_conn_send(d, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
        rc = t_conn_read(d, &it_r, false, 3000);
        it_close(d);
        assert_int_equal(rc, 0);
        if (it_r.status == 200) {
            t_resp_release(&it_r);
            break;
        }
        /* the server may not have seen the close yet */
        assert_int_equal(it_r.status, 503);
        t_resp_release(&it_r);
        assert_true(it_now_ms() < deadline);
        usleep(50 * 1000);
    }
    it_close(a);
}

int
main(void)
{
#define T(f) cmocka_unit_test_teardown(f, it_teardown)
    const struct CMUnitTest tests[] = {
        T(it_request_line_just_under_limit_is_served),
        T(it_request_line_of_exactly_the_limit_is_served),
        T(it_request_line_just_over_limit_is_414),
        T(it_head_of_exactly_max_head_is_served),
        T(it_head_just_over_max_head_is_431),
        T(it_header_count_at_limit_is_served),
        T(it_header_count_over_limit_is_431),
        T(it_content_length_over_max_body_is_413_before_body),
        T(it_content_length_at_max_body_is_stored),
        T(it_chunked_body_growing_over_max_body_is_413),
        T(it_chunked_body_at_max_body_is_stored),
        T(it_propfind_body_at_max_xml_body_is_served),
        T(it_propfind_body_over_max_xml_body_is_413),
        T(it_path_of_max_path_is_served),
        T(it_path_over_max_path_is_414),
        T(it_header_timeout_answers_408_and_closes),
        T(it_header_timeout_is_a_deadline_for_a_trickling_head),
        T(it_slow_download_outlives_the_read_timeouts),
        T(it_idle_timeout_closes_keep_alive_connection),
        T(it_body_timeout_answers_408_or_closes),
        T(it_stalled_head_does_not_delay_other_clients),
        T(it_max_connections_refuses_third_with_503),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
