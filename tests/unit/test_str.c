/*
 * test_str.c: the string helpers of src/str.c (cf_str views, the strict
 * digit parser, base64, cf_buf and its escapers) and the request arena of
 * src/pool.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/banned.h"

/* ---- cf_parse_u64 ---- */

static void
test_parse_u64_empty_is_einval(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_int_equal(cf_parse_u64("", 0, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(v, 7);
}

static void
test_parse_u64_non_digit_is_einval(void **state)
{
    uint64_t v;

    (void)state;
    assert_int_equal(cf_parse_u64("12a", 3, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(cf_parse_u64("a12", 3, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(cf_parse_u64(" 12", 3, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(cf_parse_u64("12 ", 3, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(cf_parse_u64("1.5", 3, UINT64_MAX, &v), -EINVAL);
}

static void
test_parse_u64_sign_is_einval(void **state)
{
    uint64_t v;

    (void)state;
    assert_int_equal(cf_parse_u64("+1", 2, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(cf_parse_u64("-1", 2, UINT64_MAX, &v), -EINVAL);
}

static void
test_parse_u64_reads_only_len_bytes(void **state)
{
    uint64_t v = 0;

    (void)state;
    /* The bytes after len are not part of the number. */
    assert_int_equal(cf_parse_u64("123x", 3, UINT64_MAX, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(cf_parse_u64("0042", 4, UINT64_MAX, &v), 0);
    assert_int_equal(v, 42);
}

static void
test_parse_u64_max_exactly_is_accepted(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_parse_u64("100", 3, 100, &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(cf_parse_u64("65535", 5, 65535, &v), 0);
    assert_int_equal(v, 65535);
}

static void
test_parse_u64_max_plus_one_is_erange(void **state)
{
    uint64_t v = 7;

    (void)state;
    assert_int_equal(cf_parse_u64("101", 3, 100, &v), -ERANGE);
    assert_int_equal(cf_parse_u64("65536", 5, 65535, &v), -ERANGE);
    assert_int_equal(cf_parse_u64("1000", 4, 100, &v), -ERANGE);
    assert_int_equal(v, 7);
}

static void
test_parse_u64_single_digit_above_small_max_is_erange(void **state)
{
    uint64_t v = 7;

    (void)state;
    /* A max below 9 must still refuse a larger single digit. */
    assert_int_equal(cf_parse_u64("5", 1, 5, &v), 0);
    assert_int_equal(v, 5);
    v = 7;
    assert_int_equal(cf_parse_u64("6", 1, 5, &v), -ERANGE);
    assert_int_equal(v, 7);
    assert_int_equal(cf_parse_u64("9", 1, 0, &v), -ERANGE);
    assert_int_equal(v, 7);
}

static void
test_parse_u64_uint64_max_boundary(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_int_equal(cf_parse_u64("18446744073709551615", 20, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(cf_parse_u64("18446744073709551616", 20, UINT64_MAX, &v), -ERANGE);
    assert_int_equal(cf_parse_u64("99999999999999999999", 20, UINT64_MAX, &v), -ERANGE);
    assert_int_equal(cf_parse_u64("184467440737095516150", 21, UINT64_MAX, &v), -ERANGE);
}

/* ---- cf_base64_decode ---- */

static void
test_base64_decodes_valid_input(void **state)
{
    unsigned char out[32];

    (void)state;
    memset(out, 0, sizeof(out));
    assert_int_equal(cf_base64_decode(CF_STR("YWRtaW46c2VjcmV0"), out, sizeof(out)), 12);
    assert_memory_equal(out, "admin:secret", 12);
}

static void
test_base64_decodes_padding(void **state)
{
    unsigned char out[32];

    (void)state;
    assert_int_equal(cf_base64_decode(CF_STR("aGk="), out, sizeof(out)), 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(cf_base64_decode(CF_STR("aA=="), out, sizeof(out)), 1);
    assert_memory_equal(out, "h", 1);
    assert_int_equal(cf_base64_decode(CF_STR(""), out, sizeof(out)), 0);
}

static void
test_base64_missing_padding_is_refused(void **state)
{
    unsigned char out[32];

    (void)state;
    /* Standard base64 carries its padding. */
    assert_int_equal(cf_base64_decode(CF_STR("aGk"), out, sizeof(out)), -1);
}

static void
test_base64_invalid_char_is_refused(void **state)
{
    unsigned char out[32];

    (void)state;
    assert_int_equal(cf_base64_decode(CF_STR("aG*="), out, sizeof(out)), -1);
    assert_int_equal(cf_base64_decode(CF_STR("aGk=x"), out, sizeof(out)), -1);
    /* The URL-safe alphabet is another variant. */
    assert_int_equal(cf_base64_decode(CF_STR("_-8="), out, sizeof(out)), -1);
    assert_int_equal(cf_base64_decode(CF_STR("aG k="), out, sizeof(out)), -1);
}

static void
test_base64_output_exactly_fits_vs_one_byte_short(void **state)
{
    unsigned char out[5];

    (void)state;
    assert_int_equal(cf_base64_decode(CF_STR("aGVsbG8="), out, 5), 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(cf_base64_decode(CF_STR("aGVsbG8="), out, 4), -1);
}

/* ---- cf_str ---- */

static void
test_str_trim_strips_spaces_and_tabs_only(void **state)
{
    struct cf_str s;

    (void)state;
    s = cf_str_trim(CF_STR(" \t a b \t "));
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.p, "a b", 3);
    s = cf_str_trim(CF_STR(" \t \t"));
    assert_int_equal(s.len, 0);
    s = cf_str_trim(CF_STR(""));
    assert_int_equal(s.len, 0);
    /* CR and LF are not OWS. */
    s = cf_str_trim(CF_STR("\r x\n"));
    assert_int_equal(s.len, 4);
    assert_memory_equal(s.p, "\r x\n", 4);
}

static void
test_str_eq_ci_folds_ascii_letters_only(void **state)
{
    (void)state;
    assert_true(cf_str_eq_ci(CF_STR("Content-Length"), CF_STR("content-LENGTH")));
    assert_true(cf_str_eq_ci(CF_STR(""), CF_STR("")));
    assert_false(cf_str_eq_ci(CF_STR("Host"), CF_STR("Hosts")));
    assert_false(cf_str_eq_ci(CF_STR("a"), CF_STR("b")));
    /* '@' and '`', '[' and '{' differ by 32 but are not letters. */
    assert_false(cf_str_eq_ci(CF_STR("@"), CF_STR("`")));
    assert_false(cf_str_eq_ci(CF_STR("["), CF_STR("{")));
    /* Bytes above ASCII are compared exactly. */
    assert_false(cf_str_eq_ci(CF_STR("\xc3\xbc"), CF_STR("\xc3\x9c")));
}

static void
test_str_find_returns_index_or_minus_one(void **state)
{
    (void)state;
    assert_int_equal(cf_str_find(CF_STR("a?b?c"), '?'), 1);
    assert_int_equal(cf_str_find(CF_STR("abc"), '?'), -1);
    assert_int_equal(cf_str_find(CF_STR_NULL, '?'), -1);
}

/* ---- cf_buf ---- */

static void
test_buf_init_data_is_empty_string_never_null(void **state)
{
    struct cf_buf a = CF_BUF_INIT;
    struct cf_buf b;

    (void)state;
    memset(&b, 0xa5, sizeof(b));
    cf_buf_init(&b);
    assert_non_null(a.data);
    assert_non_null(b.data);
    assert_int_equal(a.len, 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(a.data[0], '\0');
    assert_int_equal(b.data[0], '\0');
    assert_string_equal(b.data, "");
    cf_buf_release(&a);
    cf_buf_release(&b);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
}

static void
test_buf_add_u64_writes_decimal_digits(void **state)
{
    struct cf_buf b = CF_BUF_INIT;
    static const struct { uint64_t v; const char *s; } cases[] = {
        { 0, "0" }, { 7, "7" }, { 10, "10" }, { 404, "404" }, { 1000000, "1000000" },
        { UINT64_MAX, "18446744073709551615" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cf_buf_reset(&b);
        cf_buf_adds(&b, "n=");
        cf_buf_add_u64(&b, cases[i].v);
        assert_string_equal(b.data + 2, cases[i].s);
        assert_int_equal(b.len, 2 + strlen(cases[i].s));
    }
    cf_buf_release(&b);
}

static void
test_buf_add_grows_and_stays_nul_terminated(void **state)
{
    struct cf_buf b = CF_BUF_INIT;
    char expect[1001];

    (void)state;
    for (size_t i = 0; i < 1000; i++) {
        char c = (char)('a' + i % 26);

        cf_buf_add(&b, &c, 1);
        expect[i] = c;
        assert_int_equal(b.len, i + 1);
        assert_int_equal(b.data[b.len], '\0');
        assert_true(b.cap > b.len);
    }
    expect[1000] = '\0';
    assert_string_equal(b.data, expect);
    cf_buf_release(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
}

static void
test_buf_add_empty_keeps_buffer_valid(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    cf_buf_add(&b, "", 0);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    cf_buf_adds(&b, "ab");
    cf_buf_addc(&b, 'c');
    cf_buf_addstr(&b, CF_STR("de"));
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "abcde");
    cf_buf_release(&b);
}

static void
test_buf_addf_formats_short_and_long_output(void **state)
{
    struct cf_buf b = CF_BUF_INIT;
    char big[301];

    (void)state;
    cf_buf_addf(&b, "%d-%s", 42, "x");
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "42-x");
    /* Longer than the first guess: the second vsnprintf must finish it. */
    memset(big, 'q', 300);
    big[300] = '\0';
    cf_buf_addf(&b, "[%s]", big);
    assert_int_equal(b.len, 4 + 302);
    assert_int_equal(b.data[4], '[');
    assert_int_equal(b.data[5], 'q');
    assert_int_equal(b.data[304], 'q');
    assert_int_equal(b.data[305], ']');
    assert_int_equal(b.data[306], '\0');
    assert_int_equal(strlen(b.data), 306);
    cf_buf_release(&b);
}

static void
test_buf_reset_keeps_allocation_and_empties(void **state)
{
    struct cf_buf b = CF_BUF_INIT;
    size_t cap;

    (void)state;
    cf_buf_adds(&b, "hello");
    cap = b.cap;
    assert_true(cap > 5);
    cf_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    cf_buf_adds(&b, "x");
    assert_string_equal(b.data, "x");
    cf_buf_release(&b);

    /* Resetting an untouched buffer leaves it valid. */
    cf_buf_reset(&b);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
}

static void
test_buf_detach_hands_over_bytes_and_reinits(void **state)
{
    struct cf_buf b = CF_BUF_INIT;
    size_t len = 99;
    char *p;

    (void)state;
    cf_buf_adds(&b, "payload");
    p = cf_buf_detach(&b, &len);
    assert_int_equal(len, 7);
    assert_string_equal(p, "payload");
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_true(b.data == cf_buf_empty);
    free(p);

    /* An empty buffer still hands over something to free(). */
    len = 99;
    p = cf_buf_detach(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, 0);
    assert_string_equal(p, "");
    assert_true(p != cf_buf_empty);
    free(p);
}

static void
test_urlenc_keeps_unreserved_and_slash(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    cf_buf_add_urlenc(&b, CF_STR("/AZaz09-._~/"));
    assert_string_equal(b.data, "/AZaz09-._~/");
    cf_buf_release(&b);
}

static void
test_urlenc_encodes_space_reserved_and_utf8_upper_hex(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    cf_buf_add_urlenc(&b, CF_STR("a b"));
    assert_string_equal(b.data, "a%20b");
    cf_buf_reset(&b);
    cf_buf_add_urlenc(&b, CF_STR("\xc3\xbc"));
    assert_string_equal(b.data, "%C3%BC");
    cf_buf_reset(&b);
    cf_buf_add_urlenc(&b, CF_STR("?#%&+:@;=[]"));
    assert_string_equal(b.data, "%3F%23%25%26%2B%3A%40%3B%3D%5B%5D");
    cf_buf_reset(&b);
    cf_buf_add_urlenc(&b, cf_str_make("\0\x7f", 2));
    assert_string_equal(b.data, "%00%7F");
    assert_int_equal(b.len, 6);
    cf_buf_release(&b);
}

static void
test_urlenc_appends_after_existing_content(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    cf_buf_adds(&b, "/dav/");
    cf_buf_add_urlenc(&b, CF_STR("a b"));
    assert_string_equal(b.data, "/dav/a%20b");
    assert_int_equal(b.len, 10);
    cf_buf_release(&b);
}

static void
test_xmlesc_escapes_the_five_specials(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    cf_buf_add_xmlesc(&b, CF_STR("a&b<c>d\"e'f"));
    assert_string_equal(b.data, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    cf_buf_release(&b);
}

static void
test_xmlesc_drops_control_bytes_keeps_tab_lf_cr(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    cf_buf_add_xmlesc(&b, cf_str_make("a\x01" "b\0c\x1f" "d\te\nf\rg", 13));
    assert_string_equal(b.data, "abcd\te\nf\rg");
    assert_int_equal(b.len, 10);
    cf_buf_reset(&b);
    cf_buf_add_xmlesc(&b, CF_STR("\xc3\xbc plain"));
    assert_string_equal(b.data, "\xc3\xbc plain");
    cf_buf_release(&b);
}

/* ---- cf_pool ---- */

static void
test_pool_alloc_is_aligned_for_any_type(void **state)
{
    struct cf_pool *pool = cf_pool_new(1024);

    (void)state;
    for (size_t n = 0; n < 200; n++) {
        void *p = cf_pool_alloc(pool, n % 37);

        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    }
    /* Large pieces are aligned too. */
    assert_int_equal((uintptr_t)cf_pool_alloc(pool, 5000) % _Alignof(max_align_t), 0);
    cf_pool_free(pool);
}

static void
test_pool_allocations_do_not_overlap(void **state)
{
    struct cf_pool *pool = cf_pool_new(256);
    unsigned char *p[64];

    (void)state;
    for (int i = 0; i < 64; i++) {
        p[i] = cf_pool_alloc(pool, 24);
        memset(p[i], i, 24);
    }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 24; j++)
            assert_int_equal(p[i][j], i);
    cf_pool_free(pool);
}

static void
test_pool_quarter_block_stays_in_block(void **state)
{
    struct cf_pool *pool = cf_pool_new(1024);
    size_t before = cf_pool_footprint(pool);

    (void)state;
    /* Exactly a quarter of a block is carved from the first block. */
    memset(cf_pool_alloc(pool, 256), 1, 256);
    assert_int_equal(cf_pool_footprint(pool), before);
    cf_pool_free(pool);
}

static void
test_pool_large_alloc_gets_own_piece(void **state)
{
    struct cf_pool *pool = cf_pool_new(1024);
    size_t before = cf_pool_footprint(pool);
    size_t after;
    char *big, *small;

    (void)state;
    /* One byte more than a quarter gets a piece of its own, sized to fit. */
    big = cf_pool_alloc(pool, 257);
    memset(big, 'x', 257);
    after = cf_pool_footprint(pool);
    assert_true(after >= before + 257);
    assert_true(after < before + 1024);

    /* A piece far larger than a block works as well. */
    big = cf_pool_alloc(pool, 100000);
    memset(big, 'y', 100000);
    assert_true(cf_pool_footprint(pool) >= after + 100000);

    /* The first block is still used for small pieces. */
    after = cf_pool_footprint(pool);
    small = cf_pool_alloc(pool, 16);
    memset(small, 'z', 16);
    assert_int_equal(cf_pool_footprint(pool), after);
    assert_int_equal(big[99999], 'y');
    cf_pool_free(pool);
}

static void
test_pool_reset_keeps_only_first_block(void **state)
{
    struct cf_pool *pool = cf_pool_new(1024);
    size_t first = cf_pool_footprint(pool);

    (void)state;
    assert_true(first >= 1024);
    for (int i = 0; i < 100; i++)
        memset(cf_pool_alloc(pool, 200), i, 200);
    cf_pool_alloc(pool, 10000);
    assert_true(cf_pool_footprint(pool) > first + 10000);
    cf_pool_reset(pool);
    assert_int_equal(cf_pool_footprint(pool), first);

    /* The pool serves again after a reset, and a second reset is the same. */
    for (int i = 0; i < 100; i++)
        memset(cf_pool_alloc(pool, 200), i, 200);
    cf_pool_reset(pool);
    assert_int_equal(cf_pool_footprint(pool), first);
    memset(cf_pool_alloc(pool, 100), 0, 100);
    assert_int_equal(cf_pool_footprint(pool), first);
    cf_pool_free(pool);
}

static void
test_pool_calloc_zeroes(void **state)
{
    struct cf_pool *pool = cf_pool_new(512);
    unsigned char *p;

    (void)state;
    /* Dirty the block, forget it, then ask for zeroed memory over it. */
    memset(cf_pool_alloc(pool, 100), 0xff, 100);
    cf_pool_reset(pool);
    p = cf_pool_calloc(pool, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(p[i], 0);
    cf_pool_free(pool);
}

static void
test_pool_strdup_copies_and_terminates(void **state)
{
    struct cf_pool *pool = cf_pool_new(512);
    char src[] = "hello world";
    struct cf_str s;
    char *p;

    (void)state;
    s = cf_pool_strdup(pool, cf_str_make(src, 5));
    assert_int_equal(s.len, 5);
    assert_string_equal(s.p, "hello");
    assert_true(s.p != src);
    src[0] = 'J';
    assert_string_equal(s.p, "hello");

    p = cf_pool_strndup(pool, "abc", 0);
    assert_string_equal(p, "");
    s = cf_pool_strdup(pool, CF_STR_NULL);
    assert_int_equal(s.len, 0);
    assert_string_equal(s.p, "");
    cf_pool_free(pool);
}

static void
test_pool_printf_short_and_longer_than_stack_buffer(void **state)
{
    struct cf_pool *pool = cf_pool_new(512);
    char big[1001];
    char *p;

    (void)state;
    p = cf_pool_printf(pool, "%s=%u", "n", 17u);
    assert_string_equal(p, "n=17");
    memset(big, 'k', 1000);
    big[1000] = '\0';
    p = cf_pool_printf(pool, "<%s>", big);
    assert_int_equal(strlen(p), 1002);
    assert_int_equal(p[0], '<');
    assert_int_equal(p[1000], 'k');
    assert_int_equal(p[1001], '>');
    /* Exactly the size of a 256-byte stack buffer, and one less. */
    p = cf_pool_printf(pool, "%.*s", 255, big);
    assert_int_equal(strlen(p), 255);
    p = cf_pool_printf(pool, "%.*s", 256, big);
    assert_int_equal(strlen(p), 256);
    assert_int_equal(p[255], 'k');
    cf_pool_free(pool);
}

static void
test_pool_free_null_is_allowed(void **state)
{
    struct cf_pool *pool = cf_pool_new(0);

    (void)state;
    /* A tiny block size still serves small pieces. */
    assert_non_null(cf_pool_alloc(pool, 1));
    assert_true(cf_pool_footprint(pool) > 0);
    cf_pool_free(pool);
    cf_pool_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64_empty_is_einval),
        cmocka_unit_test(test_parse_u64_non_digit_is_einval),
        cmocka_unit_test(test_parse_u64_sign_is_einval),
        cmocka_unit_test(test_parse_u64_reads_only_len_bytes),
        cmocka_unit_test(test_parse_u64_max_exactly_is_accepted),
        cmocka_unit_test(test_parse_u64_max_plus_one_is_erange),
        cmocka_unit_test(test_parse_u64_single_digit_above_small_max_is_erange),
        cmocka_unit_test(test_parse_u64_uint64_max_boundary),
        cmocka_unit_test(test_base64_decodes_valid_input),
        cmocka_unit_test(test_base64_decodes_padding),
        cmocka_unit_test(test_base64_missing_padding_is_refused),
        cmocka_unit_test(test_base64_invalid_char_is_refused),
        cmocka_unit_test(test_base64_output_exactly_fits_vs_one_byte_short),
        cmocka_unit_test(test_str_trim_strips_spaces_and_tabs_only),
        cmocka_unit_test(test_str_eq_ci_folds_ascii_letters_only),
        cmocka_unit_test(test_str_find_returns_index_or_minus_one),
        cmocka_unit_test(test_buf_init_data_is_empty_string_never_null),
        cmocka_unit_test(test_buf_add_u64_writes_decimal_digits),
        cmocka_unit_test(test_buf_add_grows_and_stays_nul_terminated),
        cmocka_unit_test(test_buf_add_empty_keeps_buffer_valid),
        cmocka_unit_test(test_buf_addf_formats_short_and_long_output),
        cmocka_unit_test(test_buf_reset_keeps_allocation_and_empties),
        cmocka_unit_test(test_buf_detach_hands_over_bytes_and_reinits),
        cmocka_unit_test(test_urlenc_keeps_unreserved_and_slash),
        cmocka_unit_test(test_urlenc_encodes_space_reserved_and_utf8_upper_hex),
        cmocka_unit_test(test_urlenc_appends_after_existing_content),
        cmocka_unit_test(test_xmlesc_escapes_the_five_specials),
        cmocka_unit_test(test_xmlesc_drops_control_bytes_keeps_tab_lf_cr),
        cmocka_unit_test(test_pool_alloc_is_aligned_for_any_type),
        cmocka_unit_test(test_pool_allocations_do_not_overlap),
        cmocka_unit_test(test_pool_quarter_block_stays_in_block),
        cmocka_unit_test(test_pool_large_alloc_gets_own_piece),
        cmocka_unit_test(test_pool_reset_keeps_only_first_block),
        cmocka_unit_test(test_pool_calloc_zeroes),
        cmocka_unit_test(test_pool_strdup_copies_and_terminates),
        cmocka_unit_test(test_pool_printf_short_and_longer_than_stack_buffer),
        cmocka_unit_test(test_pool_free_null_is_allowed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
