/*
 * test_web.c: the form parser of src/web.c (cf_web_form_get), which reads
 * every field the login, invitation and 2FA pages receive, and the paths
 * the module claims (cf_web_owns).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/web.h"
#include "coffer/banned.h"

static int
t_setup(void **state)
{
    *state = cf_pool_new(4096);
    return 0;
}

static int
t_teardown(void **state)
{
    cf_pool_free(*state);
    return 0;
}

/* The value of name in body (a C string), or NULL. */
static const char *
t_get(void **state, const char *body, const char *name)
{
    return cf_web_form_get(*state, cf_str_from(body), name);
}

static void
test_plain_fields(void **state)
{
    const char *body = "login=alice&password=secret&remember=1";

    assert_string_equal(t_get(state, body, "login"), "alice");
    assert_string_equal(t_get(state, body, "password"), "secret");
    assert_string_equal(t_get(state, body, "remember"), "1");
    assert_null(t_get(state, body, "code"));
    assert_null(t_get(state, "", "login"));
}

static void
test_plus_is_space(void **state)
{
    assert_string_equal(t_get(state, "msg=hello+world+", "msg"), "hello world ");
    /* an encoded plus stays a plus */
    assert_string_equal(t_get(state, "pw=a%2Bb+c", "pw"), "a+b c");
}

static void
test_percent_decoding(void **state)
{
    assert_string_equal(t_get(state, "next=%2Fdav%2Falice%2F", "next"), "/dav/alice/");
    /* both cases of hex digits */
    assert_string_equal(t_get(state, "x=%3d%3D%26", "x"), "==&");
    /* decoded once only */
    assert_string_equal(t_get(state, "next=%2Fa%2520b", "next"), "/a%20b");
    /* UTF-8: "é" and "€" */
    assert_string_equal(t_get(state, "n=%C3%A9%E2%82%AC", "n"), "\xc3\xa9\xe2\x82\xac");
    /* raw UTF-8 bytes are taken as they are */
    assert_string_equal(t_get(state, "n=\xc3\xa9t\xc3\xa9", "n"), "\xc3\xa9t\xc3\xa9");
    /* names are decoded too */
    assert_string_equal(t_get(state, "log%69n=bob", "login"), "bob");
}

static void
test_bad_escapes_refused(void **state)
{
    assert_null(t_get(state, "pw=abc%", "pw"));
    assert_null(t_get(state, "pw=abc%4", "pw"));
    assert_null(t_get(state, "pw=%4G", "pw"));
    assert_null(t_get(state, "pw=%G4&x=1", "pw"));
    assert_null(t_get(state, "pw=%%41", "pw"));
    /* a bad escape elsewhere does not hide a good field */
    assert_string_equal(t_get(state, "x=%zz&pw=ok", "pw"), "ok");
}

static void
test_prefix_names_distinct(void **state)
{
    const char *body = "password=long&pass=short&password2=again";

    assert_string_equal(t_get(state, body, "pass"), "short");
    assert_string_equal(t_get(state, body, "password"), "long");
    assert_string_equal(t_get(state, body, "password2"), "again");
    assert_null(t_get(state, "password=x", "pass"));
    assert_null(t_get(state, "pass=x", "password"));
    /* the name is not matched inside a value */
    assert_null(t_get(state, "a=pass%3Dx", "pass"));
    assert_null(t_get(state, "a=pass=x", "pass"));
}

static void
test_first_occurrence_wins(void **state)
{
    assert_string_equal(t_get(state, "next=/one&next=/two", "next"), "/one");
    /* even when the first is empty */
    assert_string_equal(t_get(state, "code=&code=123456", "code"), "");
    /* and when the first is malformed: it is refused, not skipped */
    assert_null(t_get(state, "code=%zz&code=123456", "code"));
}

static void
test_empty_values(void **state)
{
    assert_string_equal(t_get(state, "code=&login=a", "code"), "");
    assert_string_equal(t_get(state, "login=a&code=", "code"), "");
    /* a field without '=' has the empty value */
    assert_string_equal(t_get(state, "remember&login=a", "remember"), "");
    /* empty pieces are skipped */
    assert_string_equal(t_get(state, "&&login=a&", "login"), "a");
    assert_string_equal(t_get(state, "=x&login=b", "login"), "b");
}

static void
test_nul_refused(void **state)
{
    assert_null(t_get(state, "pw=abc%00def", "pw"));
    assert_null(t_get(state, "pw=%00", "pw"));
    /* a NUL byte in the body itself */
    assert_null(cf_web_form_get(*state, cf_str_make("pw=a\0b", 6), "pw"));
    /* a field after a raw NUL elsewhere is still found */
    assert_string_equal(cf_web_form_get(*state, cf_str_make("x=\0&pw=ok", 9), "pw"), "ok");
}

static void
test_invalid_utf8_refused(void **state)
{
    assert_null(t_get(state, "n=%C3", "n"));               /* truncated */
    assert_null(t_get(state, "n=%C3%28", "n"));            /* bad continuation */
    assert_null(t_get(state, "n=%C0%AF", "n"));            /* overlong "/" */
    assert_null(t_get(state, "n=%ED%A0%80", "n"));         /* a UTF-16 surrogate */
    assert_null(t_get(state, "n=%F4%90%80%80", "n"));      /* past U+10FFFF */
    assert_null(t_get(state, "n=%FF", "n"));
    assert_null(t_get(state, "n=\xff", "n"));              /* raw bytes are checked too */
}

static void
test_length_bounded(void **state)
{
    /* the value ends at its '&', not at the end of the body */
    struct cf_str body = cf_str_make("a=12&b=34XXXX", 9);

    assert_string_equal(cf_web_form_get(*state, body, "a"), "12");
    assert_string_equal(cf_web_form_get(*state, body, "b"), "34");
    assert_null(cf_web_form_get(*state, CF_STR_NULL, "a"));
}

static void
test_owns(void **state)
{
    (void)state;
    assert_true(cf_web_owns(CF_STR("/login")));
    assert_true(cf_web_owns(CF_STR("/logout")));
    assert_true(cf_web_owns(CF_STR("/account/2fa")));
    assert_true(cf_web_owns(CF_STR("/invite/abcdef0123456789abcdef")));
    assert_false(cf_web_owns(CF_STR("/invite/")));
    assert_false(cf_web_owns(CF_STR("/invite/abc/def")));
    assert_false(cf_web_owns(CF_STR("/login/")));
    assert_false(cf_web_owns(CF_STR("/loginx")));
    assert_false(cf_web_owns(CF_STR("/dav/login")));
    assert_false(cf_web_owns(CF_STR("/account")));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_fields, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_plus_is_space, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_percent_decoding, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_bad_escapes_refused, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_prefix_names_distinct, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_first_occurrence_wins, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_empty_values, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_nul_refused, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_refused, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_length_bounded, t_setup, t_teardown),
        cmocka_unit_test(test_owns),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
