/*
 * it_concurrency.c: work that blocks runs beside the event loop, not on it
 * (DESIGN.md, Architecture: "work that can block for long must not stall
 * the other connections").
 *
 * The server runs a single event loop (threads = 1). The test holds the
 * database's write lock, so a COPY, which records the copied properties in
 * the database, cannot finish; meanwhile a GET on another connection must
 * be answered. Releasing the lock lets the COPY finish. No timing is
 * measured: the order of events decides.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

static void
it_blocked_copy_does_not_stall_a_get_on_the_same_loop(void **state)
{
    struct t_server s;
    struct t_resp r;
    sqlite3 *db;
    char path[512];
    int a, b;

    (void)state;
    assert_int_equal(t_server_start(&s, "threads = 1\n"), 0);
    assert_int_equal(t_http(&s, &r, "PUT /dav/admin/src.txt HTTP/1.1\nHost: x\n" T_AUTH
                                    "Content-Length: 3\n\nabc"), 0);
    assert_int_equal(r.status, 201);
    t_resp_release(&r);

    /* hold the write lock: the COPY's metadata step must wait for it */
    snprintf(path, sizeof(path), "%s/coffer.db", s.data);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    a = t_conn_open(&s);
    assert_true(a >= 0);
    assert_int_equal(t_conn_send(a, "COPY /dav/admin/src.txt HTTP/1.1\nHost: x\n" T_AUTH
                                    "Destination: /dav/admin/dst.txt\n\n"), 0);
    /* the COPY cannot answer while the lock is held */
    assert_false(t_conn_closed(a, 300));

    b = t_conn_open(&s);
    assert_true(b >= 0);
    assert_int_equal(t_conn_send(b, "GET /dav/admin/src.txt HTTP/1.1\nHost: x\n" T_AUTH "\n"), 0);
    assert_int_equal(t_conn_read(b, &r, false, 5000), 0);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.body, "abc", 3);
    t_resp_release(&r);

    /* the COPY is still waiting: nothing has arrived on its connection */
    struct t_resp none;
    assert_int_not_equal(t_conn_read(a, &none, false, 200), 0);

    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(t_conn_read(a, &r, false, 15000), 0);
    assert_int_equal(r.status, 201);
    t_resp_release(&r);
    assert_true(t_file_exists(&s, "dst.txt"));
    close(a);
    close(b);
    t_server_stop(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(it_blocked_copy_does_not_stall_a_get_on_the_same_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
