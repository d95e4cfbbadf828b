/*
 * it_smoke.c: the server starts, answers OPTIONS without credentials,
 * challenges without them, and round-trips a file.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static void
it_options_without_credentials_is_200(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;

    assert_int_equal(t_http(s, &r, "OPTIONS / HTTP/1.1\nHost: x\n\n"), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "DAV"), "1, 2");
    assert_string_equal(t_header(&r, "MS-Author-Via"), "DAV");
    t_resp_release(&r);
}

static void
it_put_then_get_round_trips(void **state)
{
    struct t_server *s = *state;
    struct t_resp r;
    size_t len;
    char *disk;

    assert_int_equal(t_http(s, &r, "PUT /dav/admin/smoke.txt HTTP/1.1\nHost: x\n" T_AUTH
                                   "Content-Length: 5\n\nhello"), 0);
    assert_int_equal(r.status, 201);
    t_resp_release(&r);
    disk = t_file_read(s, "smoke.txt", &len);
    assert_non_null(disk);
    assert_int_equal(len, 5);
    assert_memory_equal(disk, "hello", 5);
    free(disk);
    assert_int_equal(t_http(s, &r, "GET /dav/admin/smoke.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "hello", 5);
    t_resp_release(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(it_options_without_credentials_is_200),
        cmocka_unit_test(it_put_then_get_round_trips),
    };

    return cmocka_run_group_tests(tests, t_setup, t_teardown);
}
