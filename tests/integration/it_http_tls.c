/*
 * it_http_tls.c: cofferd over TLS (tls-cert, tls-key). A self-signed
 * certificate is made with the openssl command line in a temporary
 * directory; curl -k is the client. Plain HTTP on the TLS port must not be
 * served, and a key that does not match the certificate stops the server
 * at startup with a message.
 */
#include "config.h"

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
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- local helpers ---- */

static struct t_server it_srv;
static char it_tmp[256];        /* certificates and client files */
static int it_fd = -1;
static struct t_resp it_r;

/* Memory a test allocated; freed by the teardown, also after a failure. */
static void *it_mem[8];
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
    if (it_fd >= 0)
        close(it_fd);
    it_fd = -1;
    while (it_nmem > 0)
        free(it_mem[--it_nmem]);
    t_resp_release(&it_r);
    t_server_stop(&it_srv);
    memset(&it_srv, 0, sizeof(it_srv));
    if (it_tmp[0] != '\0' && getenv("T_KEEP") == NULL)
        t_sh("rm -rf '%s'", it_tmp);
    it_tmp[0] = '\0';
    return 0;
}

static void
it_mktmp(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(it_tmp, sizeof(it_tmp), "%s/coffer-it-tls-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(it_tmp));
}

/* A self-signed certificate for 127.0.0.1: <tmp>/<name>-key.pem, -cert.pem. */
static void
it_make_cert(const char *name)
{
    assert_int_equal(t_sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                          "-subj /CN=127.0.0.1 -keyout '%s/%s-key.pem' -out '%s/%s-cert.pem' "
                          ">/dev/null 2>&1",
                          it_tmp, name, it_tmp, name), 0);
}

static void
it_start_tls(const char *cert, const char *key)
{
    char conf[1024];

    snprintf(conf, sizeof(conf), "tls-cert = %s/%s-cert.pem\ntls-key = %s/%s-key.pem\n",
             it_tmp, cert, it_tmp, key);
    assert_int_equal(t_server_start(&it_srv, conf), 0);
}

/* Runs a command and returns the first line it printed (static buffer). */
static const char *
it_run(const char *cmd)
{
    static char out[256];
    FILE *p = popen(cmd, "r");

    assert_non_null(p);
    out[0] = '\0';
    if (fgets(out, sizeof(out), p) == NULL)
        out[0] = '\0';
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static char *
it_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    if (n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* ---- tests ---- */

static void
it_tls_put_and_get_round_trip_3mib(void **state)
{
    const size_t size = 3u * 1024 * 1024 + 123;
    char up[512], down[512], cmd[2048];
    char *data, *got, *disk;
    size_t len;
    FILE *f;

    (void)state;
    it_mktmp();
    it_make_cert("srv");
    it_start_tls("srv", "srv");
    /* a client that speaks plain HTTP first does not disturb the others */
    it_fd = t_conn_open(&it_srv);
    assert_true(it_fd >= 0);
    assert_int_equal(t_conn_send(it_fd, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_true(t_conn_closed(it_fd, 3000));

    snprintf(cmd, sizeof(cmd), "curl -sk --max-time 10 -o /dev/null -w '%%{http_code}' "
             "-X OPTIONS https://127.0.0.1:%d/", it_srv.port);
    assert_string_equal(it_run(cmd), "200");

    data = it_keep(malloc(size));
    for (size_t i = 0; i < size; i++)
        data[i] = (char)((i * 13 + (i >> 10)) % 253);
    snprintf(up, sizeof(up), "%s/up.bin", it_tmp);
    snprintf(down, sizeof(down), "%s/down.bin", it_tmp);
    f = fopen(up, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    assert_int_equal(fclose(f), 0);

    snprintf(cmd, sizeof(cmd), "curl -sk --max-time 30 -u admin:%s -T '%s' -o /dev/null "
             "-w '%%{http_code}' https://127.0.0.1:%d/dav/admin/tls.bin",
             T_ADMIN_PW, up, it_srv.port);
    assert_string_equal(it_run(cmd), "201");
    disk = it_keep(t_file_read(&it_srv, "tls.bin", &len));
    assert_int_equal(len, size);
    assert_memory_equal(disk, data, size);

    snprintf(cmd, sizeof(cmd), "curl -sk --max-time 30 -u admin:%s -o '%s' "
             "-w '%%{http_code}' https://127.0.0.1:%d/dav/admin/tls.bin",
             T_ADMIN_PW, down, it_srv.port);
    assert_string_equal(it_run(cmd), "200");
    got = it_keep(it_read_file(down, &len));
    assert_int_equal(len, size);
    assert_memory_equal(got, data, size);

    /* HTTP/1.1 keep-alive over TLS: two requests on one connection */
    snprintf(cmd, sizeof(cmd), "curl -sk --max-time 30 -u admin:%s -o /dev/null -o /dev/null "
             "-w '%%{http_code} %%{num_connects}\\n' https://127.0.0.1:%d/dav/admin/tls.bin "
             "https://127.0.0.1:%d/dav/admin/tls.bin | tail -n 1",
             T_ADMIN_PW, it_srv.port, it_srv.port);
    assert_string_equal(it_run(cmd), "200 0");
}

static void
it_plain_http_on_tls_port_is_not_served(void **state)
{
    int rc;

    (void)state;
    it_mktmp();
    it_make_cert("srv");
    it_start_tls("srv", "srv");

    it_fd = t_conn_open(&it_srv);
    assert_true(it_fd >= 0);
    assert_int_equal(t_conn_send(it_fd, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    rc = t_conn_read(it_fd, &it_r, false, 3000);
    /* no HTTP answer in clear: the handshake fails and the connection ends */
    if (rc == 0)
        fail_msg("plain HTTP on the TLS port was answered with status %d", it_r.status);
    t_resp_release(&it_r);
    assert_true(t_conn_closed(it_fd, 3000));
    close(it_fd);
    it_fd = -1;
}

static void
it_tls_key_not_matching_certificate_stops_startup(void **state)
{
    char conf[1024], log[512];
    size_t len;
    char *text;

    (void)state;
    it_mktmp();
    it_make_cert("one");
    it_make_cert("two");
    snprintf(conf, sizeof(conf), "tls-cert = %s/one-cert.pem\ntls-key = %s/two-key.pem\n",
             it_tmp, it_tmp);
    assert_int_equal(t_server_start(&it_srv, conf), -1);
    assert_int_equal(it_srv.pid, 0);
    snprintf(log, sizeof(log), "%s/cofferd.log", it_srv.dir);
    text = it_keep(it_read_file(log, &len));
    text[len] = '\0';
    if (strstr(text, "does not match") == NULL || strstr(text, "two-key.pem") == NULL)
        fail_msg("no message about the key in cofferd.log: %s", text);
    /* and no port was ever written */
    char port[512];
    snprintf(port, sizeof(port), "%s/port", it_srv.dir);
    assert_int_not_equal(access(port, F_OK), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(it_tls_put_and_get_round_trip_3mib, it_teardown),
        cmocka_unit_test_teardown(it_plain_http_on_tls_port_is_not_served, it_teardown),
        cmocka_unit_test_teardown(it_tls_key_not_matching_certificate_stops_startup,
                                  it_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
