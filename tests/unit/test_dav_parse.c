/*
 * test_dav_parse.c: the WebDAV header parsers and the path normaliser
 * (dav/dav_path.c), and the If header (dav/dav_if.c) parsed and evaluated
 * against fake resource states.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coffer/dav.h"
#include "coffer/pool.h"
#include "coffer/str.h"
#include "dav_int.h"
#include "coffer/banned.h"

#define T_MAX_PATH 4096

/* dav_if.c caps conditions per list, lists per production and productions. */
#define T_IF_MAX 64

struct t_fix {
    struct cf_pool *pool;
    struct cf_buf b;            /* scratch, released by t_teardown */
};

static int
t_setup(void **state)
{
    struct t_fix *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->pool = cf_pool_new(4096);
    cf_buf_init(&f->b);
    *state = f;
    return 0;
}

static int
t_teardown(void **state)
{
    struct t_fix *f = *state;

    cf_pool_free(f->pool);
    cf_buf_release(&f->b);
    free(f);
    return 0;
}

static int
t_norm(struct t_fix *f, const char *raw, struct dav_path *out)
{
    return dav_path_normalize(f->pool, cf_str_from(raw), T_MAX_PATH, out);
}

static void
assert_path(const struct dav_path *p, const char *want)
{
    assert_non_null(p->path);
    assert_int_equal(p->len, strlen(want));
    assert_memory_equal(p->path, want, p->len);
    assert_int_equal(p->path[p->len], '\0');
}

static void
assert_str(struct cf_str s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.p, want, s.len);
}

/* ---- dav_path_normalize ---- */

static void
test_path_root(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/", &p), 0);
    assert_path(&p, "/");
    assert_null(p.raw);
}

static void
test_path_plain_is_unchanged(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/dav/admin/file.txt", &p), 0);
    assert_path(&p, "/dav/admin/file.txt");
    assert_false(p.slash);
    assert_null(p.raw);
}

static void
test_path_repeated_slashes_collapse_and_trailing_slash_is_noted(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "//a///b/", &p), 0);
    assert_path(&p, "/a/b");
    assert_true(p.slash);
    assert_int_equal(t_norm(f, "/dav/admin/dir/", &p), 0);
    assert_path(&p, "/dav/admin/dir");
    assert_true(p.slash);
}

static void
test_path_dot_segments_vanish(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/a/./b", &p), 0);
    assert_path(&p, "/a/b");
    assert_int_equal(t_norm(f, "/./a/.", &p), 0);
    assert_path(&p, "/a");
}

static void
test_path_dotdot_removes_previous_segment(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/a/b/../c", &p), 0);
    assert_path(&p, "/a/c");
    assert_int_equal(t_norm(f, "/a/b/..", &p), 0);
    assert_path(&p, "/a");
    assert_int_equal(t_norm(f, "/a/..", &p), 0);
    assert_path(&p, "/");
}

static void
test_path_more_dots_are_plain_names(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/a/.../..b/.c", &p), 0);
    assert_path(&p, "/a/.../..b/.c");
}

static void
test_path_dotdot_above_root_is_400(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/..", &p), 400);
    assert_int_equal(t_norm(f, "/../a", &p), 400);
    assert_int_equal(t_norm(f, "/a/../..", &p), 400);
    assert_int_equal(t_norm(f, "/a/../../b", &p), 400);
}

static void
test_path_encoded_dotdot_is_decoded_then_resolved(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    /* Decoding comes first, so "%2e%2e" is a ".." segment like any other. */
    assert_int_equal(t_norm(f, "/a/%2e%2e/b", &p), 0);
    assert_path(&p, "/b");
    assert_int_equal(t_norm(f, "/%2e%2e", &p), 400);
    assert_int_equal(t_norm(f, "/%2E%2e/etc/passwd", &p), 400);
    assert_int_equal(t_norm(f, "/a/.%2E/..", &p), 400);
}

static void
test_path_encoded_slash_separates_segments(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    /* "%2F" decodes to '/' and then splits segments as a literal one does:
     * no file name can contain '/', and ".." behind it still climbs. */
    assert_int_equal(t_norm(f, "/a%2Fb", &p), 0);
    assert_path(&p, "/a/b");
    assert_int_equal(t_norm(f, "/a%2f..%2fb", &p), 0);
    assert_path(&p, "/b");
    assert_int_equal(t_norm(f, "/a%2F..%2F..", &p), 400);
    assert_int_equal(t_norm(f, "/a%2F", &p), 0);
    assert_path(&p, "/a");
    assert_true(p.slash);
}

static void
test_path_encoded_space_is_kept(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/dav/a%20b", &p), 0);
    assert_path(&p, "/dav/a b");
}

static void
test_path_nul_is_400(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/a%00b", &p), 400);
    assert_int_equal(t_norm(f, "/a%00", &p), 400);
}

static void
test_path_control_characters_are_400(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/a%0Ab", &p), 400);
    assert_int_equal(t_norm(f, "/a%0db", &p), 400);
    assert_int_equal(t_norm(f, "/a%1F", &p), 400);
    assert_int_equal(t_norm(f, "/a%7F", &p), 400);
    assert_int_equal(t_norm(f, "/a\tb", &p), 400);
    /* The first printable byte on each side is fine. */
    assert_int_equal(t_norm(f, "/a%20%7E", &p), 0);
    assert_path(&p, "/a ~");
}

static void
test_path_bad_escapes_are_400(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/a%zz", &p), 400);
    assert_int_equal(t_norm(f, "/a%G0", &p), 400);
    assert_int_equal(t_norm(f, "/a%0G", &p), 400);
    assert_int_equal(t_norm(f, "/a%4", &p), 400);
    assert_int_equal(t_norm(f, "/a%", &p), 400);
    /* The same escape complete at the very end is fine. */
    assert_int_equal(t_norm(f, "/a%41", &p), 0);
    assert_path(&p, "/aA");
}

static void
test_path_without_leading_slash_is_400(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "a/b", &p), 400);
    assert_int_equal(t_norm(f, "", &p), 400);
    assert_int_equal(t_norm(f, "*", &p), 400);
    assert_int_equal(t_norm(f, "%2Fa", &p), 400);
    assert_int_equal(t_norm(f, "http://host/a", &p), 400);
}

static void
test_path_decoded_length_exactly_max_is_accepted(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    cf_buf_addc(&f->b, '/');
    for (size_t i = 1; i < T_MAX_PATH; i++)
        cf_buf_addc(&f->b, 'a');
    assert_int_equal(dav_path_normalize(f->pool, cf_buf_str(&f->b), T_MAX_PATH, &p), 0);
    assert_int_equal(p.len, T_MAX_PATH);
    assert_memory_equal(p.path, f->b.data, T_MAX_PATH);
}

static void
test_path_decoded_length_one_over_max_is_414(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    cf_buf_addc(&f->b, '/');
    for (size_t i = 0; i < T_MAX_PATH; i++)
        cf_buf_addc(&f->b, 'a');
    assert_int_equal(dav_path_normalize(f->pool, cf_buf_str(&f->b), T_MAX_PATH, &p), 414);
}

static void
test_path_length_limit_counts_decoded_bytes(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    /* Three times as many raw bytes as the limit, but max bytes decoded. */
    cf_buf_addc(&f->b, '/');
    for (size_t i = 1; i < T_MAX_PATH; i++)
        cf_buf_adds(&f->b, "%61");
    assert_int_equal(dav_path_normalize(f->pool, cf_buf_str(&f->b), T_MAX_PATH, &p), 0);
    assert_int_equal(p.len, T_MAX_PATH);
    assert_int_equal(p.path[T_MAX_PATH - 1], 'a');
    cf_buf_adds(&f->b, "%61");
    assert_int_equal(dav_path_normalize(f->pool, cf_buf_str(&f->b), T_MAX_PATH, &p), 414);
}

static void
test_path_small_max_both_sides(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(dav_path_normalize(f->pool, CF_STR("/abcdefg"), 8, &p), 0);
    assert_path(&p, "/abcdefg");
    assert_int_equal(dav_path_normalize(f->pool, CF_STR("/abcdefgh"), 8, &p), 414);
}

static void
test_path_valid_utf8_is_kept(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/caf%C3%A9", &p), 0);
    assert_path(&p, "/caf\xc3\xa9");
    assert_null(p.raw);
    /* Raw (unescaped) UTF-8 bytes are read the same way. */
    assert_int_equal(t_norm(f, "/caf\xc3\xa9", &p), 0);
    assert_path(&p, "/caf\xc3\xa9");
    assert_int_equal(t_norm(f, "/%E2%82%AC", &p), 0);
    assert_path(&p, "/\xe2\x82\xac");
}

static void
test_path_cp1252_byte_becomes_utf8(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/caf%E9", &p), 0);
    assert_path(&p, "/caf\xc3\xa9");
    /* 0x80 is the euro sign in Windows-1252. */
    assert_int_equal(t_norm(f, "/%80", &p), 0);
    assert_path(&p, "/\xe2\x82\xac");
}

static void
test_path_undefined_cp1252_byte_is_400(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/a%81", &p), 400);
    assert_int_equal(t_norm(f, "/a%8D", &p), 400);
    assert_int_equal(t_norm(f, "/a%8F", &p), 400);
    assert_int_equal(t_norm(f, "/a%90", &p), 400);
    assert_int_equal(t_norm(f, "/a%9D", &p), 400);
}

static void
test_path_nfd_becomes_nfc_with_raw_kept(void **state)
{
    struct t_fix *f = *state;
    struct dav_path p;

    assert_int_equal(t_norm(f, "/dav/u%CC%88ber", &p), 0);
    assert_path(&p, "/dav/\xc3\xbc" "ber");
    assert_non_null(p.raw);
    assert_string_equal(p.raw, "/dav/u\xcc\x88" "ber");
    assert_false(p.slash);
}

/* ---- Depth, Overwrite, Timeout, Lock-Token ---- */

static void
test_depth_values(void **state)
{
    int depth = 42;

    (void)state;
    assert_int_equal(dav_parse_depth(CF_STR("0"), &depth), 0);
    assert_int_equal(depth, 0);
    assert_int_equal(dav_parse_depth(CF_STR("1"), &depth), 0);
    assert_int_equal(depth, 1);
    assert_int_equal(dav_parse_depth(CF_STR("infinity"), &depth), 0);
    assert_int_equal(depth, DAV_DEPTH_INFINITY);
    depth = 42;
    assert_int_equal(dav_parse_depth(CF_STR("Infinity"), &depth), 0);
    assert_int_equal(depth, DAV_DEPTH_INFINITY);
}

static void
test_depth_other_values_are_einval(void **state)
{
    int depth = 42;

    (void)state;
    assert_int_equal(dav_parse_depth(CF_STR("2"), &depth), -EINVAL);
    assert_int_equal(dav_parse_depth(CF_STR(""), &depth), -EINVAL);
    assert_int_equal(dav_parse_depth(CF_STR("-1"), &depth), -EINVAL);
    assert_int_equal(dav_parse_depth(CF_STR("01"), &depth), -EINVAL);
    assert_int_equal(dav_parse_depth(CF_STR("infinite"), &depth), -EINVAL);
    assert_int_equal(dav_parse_depth(CF_STR("1,0"), &depth), -EINVAL);
    assert_int_equal(depth, 42);
}

static void
test_overwrite_values(void **state)
{
    bool ow = false;

    (void)state;
    assert_int_equal(dav_parse_overwrite(CF_STR("T"), &ow), 0);
    assert_true(ow);
    assert_int_equal(dav_parse_overwrite(CF_STR("F"), &ow), 0);
    assert_false(ow);
    assert_int_equal(dav_parse_overwrite(CF_STR("X"), &ow), -EINVAL);
    assert_int_equal(dav_parse_overwrite(CF_STR(""), &ow), -EINVAL);
    assert_int_equal(dav_parse_overwrite(CF_STR("TF"), &ow), -EINVAL);
    assert_int_equal(dav_parse_overwrite(CF_STR("true"), &ow), -EINVAL);
    assert_false(ow);
}

static void
test_timeout_seconds(void **state)
{
    (void)state;
    assert_int_equal(dav_parse_timeout(CF_STR("Second-100"), 3600, 86400), 100);
    assert_int_equal(dav_parse_timeout(CF_STR("Second-1"), 3600, 86400), 1);
    assert_int_equal(dav_parse_timeout(CF_STR("second-20"), 3600, 86400), 20);
}

static void
test_timeout_infinite_is_max(void **state)
{
    (void)state;
    assert_int_equal(dav_parse_timeout(CF_STR("Infinite"), 3600, 86400), 86400);
}

static void
test_timeout_is_capped_at_max_both_sides(void **state)
{
    (void)state;
    assert_int_equal(dav_parse_timeout(CF_STR("Second-86399"), 3600, 86400), 86399);
    assert_int_equal(dav_parse_timeout(CF_STR("Second-86400"), 3600, 86400), 86400);
    assert_int_equal(dav_parse_timeout(CF_STR("Second-86401"), 3600, 86400), 86400);
    assert_int_equal(dav_parse_timeout(CF_STR("Second-4294967295"), 3600, 86400), 86400);
}

static void
test_timeout_zero_or_garbage_gives_default(void **state)
{
    (void)state;
    assert_int_equal(dav_parse_timeout(CF_STR("Second-0"), 3600, 86400), 3600);
    assert_int_equal(dav_parse_timeout(CF_STR(""), 3600, 86400), 3600);
    assert_int_equal(dav_parse_timeout(CF_STR("soon"), 3600, 86400), 3600);
    assert_int_equal(dav_parse_timeout(CF_STR("Second-"), 3600, 86400), 3600);
    assert_int_equal(dav_parse_timeout(CF_STR("Second-abc"), 3600, 86400), 3600);
    assert_int_equal(dav_parse_timeout(CF_STR("Second--5"), 3600, 86400), 3600);
    assert_int_equal(dav_parse_timeout(CF_STR(" , "), 3600, 86400), 3600);
}

static void
test_timeout_list_takes_first_understood(void **state)
{
    (void)state;
    assert_int_equal(dav_parse_timeout(CF_STR("Infinite, Second-4100"), 3600, 86400), 86400);
    assert_int_equal(dav_parse_timeout(CF_STR("Second-4100, Infinite"), 3600, 86400), 4100);
    assert_int_equal(dav_parse_timeout(CF_STR("Extend, Second-50"), 3600, 86400), 50);
    assert_int_equal(dav_parse_timeout(CF_STR(" Second-7 ,Second-8"), 3600, 86400), 7);
}

static void
test_lock_token_coded_url_and_bare(void **state)
{
    struct cf_str tok = CF_STR_NULL;

    (void)state;
    assert_int_equal(dav_parse_lock_token(CF_STR("<opaquelocktoken:1234-ab>"), &tok), 0);
    assert_str(tok, "opaquelocktoken:1234-ab");
    assert_int_equal(dav_parse_lock_token(CF_STR("opaquelocktoken:1234-ab"), &tok), 0);
    assert_str(tok, "opaquelocktoken:1234-ab");
    assert_int_equal(dav_parse_lock_token(CF_STR("  <urn:uuid:x>  "), &tok), 0);
    assert_str(tok, "urn:uuid:x");
}

static void
test_lock_token_empty_or_spaced_is_einval(void **state)
{
    struct cf_str tok = CF_STR("unchanged");

    (void)state;
    assert_int_equal(dav_parse_lock_token(CF_STR(""), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("   "), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("<>"), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("<a b>"), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("a b"), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("<a"), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("a>"), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("<<a>>"), &tok), -EINVAL);
    assert_str(tok, "unchanged");
}

static void
test_lock_token_with_tab_inside_is_einval(void **state)
{
    struct cf_str tok = CF_STR("unchanged");

    (void)state;
    /* A Coded-URL holds an absolute-URI, which has no whitespace of any kind. */
    assert_int_equal(dav_parse_lock_token(CF_STR("<a\tb>"), &tok), -EINVAL);
    assert_int_equal(dav_parse_lock_token(CF_STR("a\tb"), &tok), -EINVAL);
    assert_str(tok, "unchanged");
}

static void
test_lock_token_length_limit_both_sides(void **state)
{
    struct t_fix *f = *state;
    struct cf_str tok;

    /* dav_path.c accepts tokens of up to 200 bytes. */
    cf_buf_addc(&f->b, '<');
    for (int i = 0; i < 200; i++)
        cf_buf_addc(&f->b, 'k');
    cf_buf_addc(&f->b, '>');
    assert_int_equal(dav_parse_lock_token(cf_buf_str(&f->b), &tok), 0);
    assert_int_equal(tok.len, 200);
    cf_buf_reset(&f->b);
    cf_buf_addc(&f->b, '<');
    for (int i = 0; i < 201; i++)
        cf_buf_addc(&f->b, 'k');
    cf_buf_addc(&f->b, '>');
    assert_int_equal(dav_parse_lock_token(cf_buf_str(&f->b), &tok), -EINVAL);
}

/* ---- If header: parsing ---- */

static int
t_if(struct t_fix *f, const char *v, struct dav_if **h)
{
    *h = NULL;
    return dav_if_parse(f->pool, cf_str_from(v), h);
}

static void
test_if_untagged_lists_parse(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "(<opaquelocktoken:a>)", &h), 0);
    assert_non_null(h);
    assert_int_equal(dav_if_token_count(h), 1);
    assert_int_equal(t_if(f, "(<opaquelocktoken:a>) (<opaquelocktoken:b>)", &h), 0);
    assert_int_equal(dav_if_token_count(h), 2);
    assert_int_equal(t_if(f, "  (<urn:a>)(<urn:b>)  ", &h), 0);
    assert_int_equal(dav_if_token_count(h), 2);
}

static void
test_if_tagged_lists_parse(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "<http://x/dav/f> (<urn:a>) (<urn:b>) "
                             "</dav/g> (<urn:c>)", &h), 0);
    assert_int_equal(dav_if_token_count(h), 3);
    assert_true(dav_if_has_token(h, CF_STR("urn:a")));
    assert_true(dav_if_has_token(h, CF_STR("urn:b")));
    assert_true(dav_if_has_token(h, CF_STR("urn:c")));
}

static void
test_if_not_and_etags_parse(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "(Not <urn:a> [\"e1\"])", &h), 0);
    assert_int_equal(dav_if_token_count(h), 1);
    assert_int_equal(t_if(f, "([W/\"weak\"])", &h), 0);
    assert_int_equal(dav_if_token_count(h), 0);
    assert_int_equal(t_if(f, "(not [\"e\"] NOT <urn:b>)", &h), 0);
    assert_int_equal(dav_if_token_count(h), 1);
}

static void
test_if_mixing_tagged_and_untagged_is_einval(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "(<urn:a>) <http://x/dav/f> (<urn:b>)", &h), -EINVAL);
}

static void
test_if_empty_list_is_einval(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "()", &h), -EINVAL);
    assert_int_equal(t_if(f, "( )", &h), -EINVAL);
    assert_int_equal(t_if(f, "(<urn:a>) ()", &h), -EINVAL);
    assert_int_equal(t_if(f, "<http://x/f> ()", &h), -EINVAL);
}

static void
test_if_unbalanced_is_einval(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "(<urn:a>", &h), -EINVAL);
    assert_int_equal(t_if(f, "<urn:a>)", &h), -EINVAL);
    assert_int_equal(t_if(f, "(<urn:a>))", &h), -EINVAL);
    assert_int_equal(t_if(f, "((<urn:a>))", &h), -EINVAL);
    assert_int_equal(t_if(f, "(<urn:a)", &h), -EINVAL);
    assert_int_equal(t_if(f, "([\"e\")", &h), -EINVAL);
    assert_int_equal(t_if(f, "([\"e])", &h), -EINVAL);
}

static void
test_if_malformed_is_einval(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "", &h), -EINVAL);
    assert_int_equal(t_if(f, "   ", &h), -EINVAL);
    assert_int_equal(t_if(f, "(<>)", &h), -EINVAL);
    assert_int_equal(t_if(f, "(Not)", &h), -EINVAL);
    assert_int_equal(t_if(f, "([e])", &h), -EINVAL);
    assert_int_equal(t_if(f, "(urn:a)", &h), -EINVAL);
    assert_int_equal(t_if(f, "<http://x/f>", &h), -EINVAL);
    assert_int_equal(t_if(f, "<> (<urn:a>)", &h), -EINVAL);
    assert_int_equal(t_if(f, "urn:a", &h), -EINVAL);
}

static void
test_if_weak_prefix_must_be_w_slash(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    /* RFC 7232 2.3: weak = %x57.2F ("W/"); "Wx" before the quote is not an etag. */
    assert_int_equal(t_if(f, "([W/\"a\"])", &h), 0);
    assert_int_equal(t_if(f, "([Wx\"a\"])", &h), -EINVAL);
    assert_int_equal(t_if(f, "([W\"a\"])", &h), -EINVAL);
}

static void
test_if_conditions_per_list_limit_both_sides(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    cf_buf_addc(&f->b, '(');
    for (int i = 0; i < T_IF_MAX; i++)
        cf_buf_addf(&f->b, "<urn:t%d> ", i);
    assert_int_equal(t_if(f, f->b.data, &h), -EINVAL);   /* not closed yet */
    cf_buf_addc(&f->b, ')');
    assert_int_equal(t_if(f, f->b.data, &h), 0);
    assert_int_equal(dav_if_token_count(h), T_IF_MAX);
    f->b.len--;
    cf_buf_adds(&f->b, "<urn:one-more>)");
    assert_int_equal(t_if(f, f->b.data, &h), -EINVAL);
}

static void
test_if_untagged_lists_limit_both_sides(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    for (int i = 0; i < T_IF_MAX; i++)
        cf_buf_addf(&f->b, "(<urn:t%d>) ", i);
    assert_int_equal(t_if(f, f->b.data, &h), 0);
    assert_int_equal(dav_if_token_count(h), T_IF_MAX);
    cf_buf_adds(&f->b, "(<urn:one-more>)");
    assert_int_equal(t_if(f, f->b.data, &h), -EINVAL);
}

static void
test_if_lists_per_tag_limit_both_sides(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    cf_buf_adds(&f->b, "</dav/f> ");
    for (int i = 0; i < T_IF_MAX; i++)
        cf_buf_addf(&f->b, "(<urn:t%d>) ", i);
    assert_int_equal(t_if(f, f->b.data, &h), 0);
    assert_int_equal(dav_if_token_count(h), T_IF_MAX);
    cf_buf_adds(&f->b, "(<urn:one-more>)");
    assert_int_equal(t_if(f, f->b.data, &h), -EINVAL);
}

/* ---- If header: evaluation ---- */

/* The lock tokens that cover a fake resource. */
struct t_locks {
    const char *tokens[4];
};

static bool
t_covers(void *arg, struct cf_str token)
{
    const struct t_locks *l = arg;

    for (size_t i = 0; i < 4 && l->tokens[i] != NULL; i++)
        if (cf_str_eq(token, cf_str_from(l->tokens[i])))
            return true;
    return false;
}

static struct t_locks t_self_locks = { { "urn:a", NULL } };
static struct t_locks t_other_locks = { { "urn:o", NULL } };

/* The Request-URI: exists, etag "e1", locked by urn:a. */
static const struct dav_if_state t_self = {
    .exists = true,
    .etag = "\"e1\"",
    .token_covers = t_covers,
    .arg = &t_self_locks,
};

/* Records what a resolve callback was asked. */
struct t_resolve_log {
    int calls;
    char last[64];
};

/* "/dav/other" exists with etag "o1" and lock urn:o; anything else is unknown. */
static int
t_resolve(void *arg, struct cf_str tag, struct dav_if_state *st)
{
    struct t_resolve_log *log = arg;

    if (log != NULL) {
        log->calls++;
        snprintf(log->last, sizeof(log->last), CF_STR_FMT, CF_STR_ARG(tag));
    }
    if (cf_str_eq(tag, CF_STR("http://x/dav/other")) || cf_str_eq(tag, CF_STR("/dav/other"))) {
        st->exists = true;
        st->etag = "\"o1\"";
        st->token_covers = t_covers;
        st->arg = &t_other_locks;
        return 0;
    }
    /* A careless resolver may leave garbage behind before failing. */
    st->exists = true;
    st->etag = "\"e1\"";
    st->token_covers = t_covers;
    st->arg = &t_self_locks;
    return -1;
}

/* Parses v (which must be valid) and evaluates it against t_self. */
static bool
t_eval(struct t_fix *f, const char *v)
{
    struct dav_if *h;

    assert_int_equal(t_if(f, v, &h), 0);
    return dav_if_eval(h, &t_self, t_resolve, NULL);
}

static void
test_if_eval_token_true_only_when_covered(void **state)
{
    struct t_fix *f = *state;

    assert_true(t_eval(f, "(<urn:a>)"));
    assert_false(t_eval(f, "(<urn:b>)"));
    assert_false(t_eval(f, "(<urn:o>)"));
}

static void
test_if_eval_not_token(void **state)
{
    struct t_fix *f = *state;

    assert_true(t_eval(f, "(Not <urn:b>)"));
    assert_false(t_eval(f, "(Not <urn:a>)"));
    /* The usual "whatever the lock" idiom of clients. */
    assert_true(t_eval(f, "(<urn:zzz>) (Not <DAV:no-lock>)"));
}

static void
test_if_eval_etag(void **state)
{
    struct t_fix *f = *state;

    assert_true(t_eval(f, "([\"e1\"])"));
    assert_false(t_eval(f, "([\"e2\"])"));
    assert_true(t_eval(f, "(Not [\"e2\"])"));
    assert_false(t_eval(f, "(Not [\"e1\"])"));
}

static void
test_if_eval_etag_on_missing_resource_is_false(void **state)
{
    struct t_fix *f = *state;
    struct dav_if_state gone = { .exists = false, .etag = NULL,
                                 .token_covers = t_covers, .arg = &t_self_locks };
    struct dav_if *h;

    assert_int_equal(t_if(f, "([\"e1\"])", &h), 0);
    assert_false(dav_if_eval(h, &gone, t_resolve, NULL));
    assert_int_equal(t_if(f, "(Not [\"e1\"])", &h), 0);
    assert_true(dav_if_eval(h, &gone, t_resolve, NULL));
}

static void
test_if_eval_two_lists_are_or(void **state)
{
    struct t_fix *f = *state;

    assert_true(t_eval(f, "(<urn:b>) (<urn:a>)"));
    assert_true(t_eval(f, "(<urn:a>) (<urn:b>)"));
    assert_false(t_eval(f, "(<urn:b>) (<urn:c>)"));
    assert_true(t_eval(f, "([\"e9\"]) ([\"e1\"])"));
}

static void
test_if_eval_conditions_in_a_list_are_and(void **state)
{
    struct t_fix *f = *state;

    assert_true(t_eval(f, "(<urn:a> [\"e1\"])"));
    assert_false(t_eval(f, "(<urn:a> [\"e2\"])"));
    assert_false(t_eval(f, "(<urn:b> [\"e1\"])"));
    assert_true(t_eval(f, "(<urn:a> Not <urn:b> Not [\"e2\"])"));
    assert_false(t_eval(f, "(<urn:a> Not <urn:a>)"));
}

static void
test_if_eval_tagged_uses_the_tagged_resource(void **state)
{
    struct t_fix *f = *state;
    struct t_resolve_log log = { 0 };
    struct dav_if *h;

    assert_int_equal(t_if(f, "<http://x/dav/other> (<urn:o>)", &h), 0);
    assert_true(dav_if_eval(h, &t_self, t_resolve, &log));
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.last, "http://x/dav/other");
    /* urn:a covers the Request-URI, not the tagged resource. */
    assert_int_equal(t_if(f, "<http://x/dav/other> (<urn:a>)", &h), 0);
    assert_false(dav_if_eval(h, &t_self, t_resolve, &log));
    assert_int_equal(t_if(f, "</dav/other> ([\"o1\"])", &h), 0);
    assert_true(dav_if_eval(h, &t_self, t_resolve, &log));
    assert_int_equal(t_if(f, "</dav/other> ([\"e1\"])", &h), 0);
    assert_false(dav_if_eval(h, &t_self, t_resolve, &log));
}

static void
test_if_eval_unknown_tagged_resource_has_no_state(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    /* RFC 4918 10.4.4: an unmapped resource has no lock and no etag. */
    assert_int_equal(t_if(f, "<http://x/dav/missing> (<urn:a>)", &h), 0);
    assert_false(dav_if_eval(h, &t_self, t_resolve, NULL));
    assert_int_equal(t_if(f, "<http://x/dav/missing> ([\"e1\"])", &h), 0);
    assert_false(dav_if_eval(h, &t_self, t_resolve, NULL));
    assert_int_equal(t_if(f, "<http://x/dav/missing> (Not <urn:a>)", &h), 0);
    assert_true(dav_if_eval(h, &t_self, t_resolve, NULL));
    assert_int_equal(t_if(f, "<http://x/dav/missing> (Not [\"e1\"])", &h), 0);
    assert_true(dav_if_eval(h, &t_self, t_resolve, NULL));
}

static void
test_if_eval_without_resolver_tagged_has_no_state(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "<http://x/dav/other> (<urn:o>)", &h), 0);
    assert_false(dav_if_eval(h, &t_self, NULL, NULL));
    assert_int_equal(t_if(f, "<http://x/dav/other> (Not <urn:o>)", &h), 0);
    assert_true(dav_if_eval(h, &t_self, NULL, NULL));
}

static void
test_if_eval_any_tagged_production_may_hold(void **state)
{
    struct t_fix *f = *state;

    assert_true(t_eval(f, "<http://x/dav/missing> (<urn:a>) <http://x/dav/other> (<urn:o>)"));
    assert_false(t_eval(f, "<http://x/dav/missing> (<urn:a>) <http://x/dav/other> (<urn:a>)"));
    /* Several lists under one tag are alternatives too. */
    assert_true(t_eval(f, "<http://x/dav/other> (<urn:a>) ([\"o1\"])"));
}

static void
test_if_has_token_finds_tokens_anywhere(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "<http://x/dav/f> ([\"e\"] Not <urn:neg>) (<urn:pos>) "
                             "<http://x/dav/g> (<urn:third>)", &h), 0);
    assert_true(dav_if_has_token(h, CF_STR("urn:neg")));
    assert_true(dav_if_has_token(h, CF_STR("urn:pos")));
    assert_true(dav_if_has_token(h, CF_STR("urn:third")));
    assert_false(dav_if_has_token(h, CF_STR("urn:po")));
    assert_false(dav_if_has_token(h, CF_STR("<urn:pos>")));
    /* An entity tag is not a state token. */
    assert_false(dav_if_has_token(h, CF_STR("\"e\"")));
    assert_false(dav_if_has_token(NULL, CF_STR("urn:pos")));
}

static void
test_if_token_count_counts_state_tokens_only(void **state)
{
    struct t_fix *f = *state;
    struct dav_if *h;

    assert_int_equal(t_if(f, "(<urn:a> [\"e\"] Not <urn:b>) (<urn:c>) ([\"f\"])", &h), 0);
    assert_int_equal(dav_if_token_count(h), 3);
    assert_int_equal(t_if(f, "</dav/f> (<urn:a>) (Not <urn:a>)", &h), 0);
    assert_int_equal(dav_if_token_count(h), 2);
    assert_int_equal(t_if(f, "([\"e\"])", &h), 0);
    assert_int_equal(dav_if_token_count(h), 0);
    assert_int_equal(dav_if_token_count(NULL), 0);
}

/* The entity tag is the quoted inode, size and nanosecond mtime in hex. */
static void
test_etag_is_inode_size_mtime_in_hex(void **state)
{
    struct stor_stat st = { .ino = 0xa8893c, .size = 4096 };
    char out[80];

    (void)state;
    st.mtime.tv_sec = 1796625428;
    st.mtime.tv_nsec = 123456789;
    dav_etag(&st, out);
    assert_string_equal(out, "\"a8893c-1000-18eee54ed5bb9515\"");
    memset(&st, 0, sizeof(st));
    dav_etag(&st, out);
    assert_string_equal(out, "\"0-0-0\"");
    st.ino = UINT64_MAX;
    st.size = 0x10;
    st.mtime.tv_sec = 1;
    dav_etag(&st, out);
    assert_string_equal(out, "\"ffffffffffffffff-10-3b9aca00\"");
}

#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_path_root),
        T(test_path_plain_is_unchanged),
        T(test_path_repeated_slashes_collapse_and_trailing_slash_is_noted),
        T(test_path_dot_segments_vanish),
        T(test_path_dotdot_removes_previous_segment),
        T(test_path_more_dots_are_plain_names),
        T(test_path_dotdot_above_root_is_400),
        T(test_path_encoded_dotdot_is_decoded_then_resolved),
        T(test_path_encoded_slash_separates_segments),
        T(test_path_encoded_space_is_kept),
        T(test_path_nul_is_400),
        T(test_path_control_characters_are_400),
        T(test_path_bad_escapes_are_400),
        T(test_path_without_leading_slash_is_400),
        T(test_path_decoded_length_exactly_max_is_accepted),
        T(test_path_decoded_length_one_over_max_is_414),
        T(test_path_length_limit_counts_decoded_bytes),
        T(test_path_small_max_both_sides),
        T(test_path_valid_utf8_is_kept),
        T(test_path_cp1252_byte_becomes_utf8),
        T(test_path_undefined_cp1252_byte_is_400),
        T(test_path_nfd_becomes_nfc_with_raw_kept),
        T(test_depth_values),
        T(test_depth_other_values_are_einval),
        T(test_overwrite_values),
        T(test_timeout_seconds),
        T(test_timeout_infinite_is_max),
        T(test_timeout_is_capped_at_max_both_sides),
        T(test_timeout_zero_or_garbage_gives_default),
        T(test_timeout_list_takes_first_understood),
        T(test_lock_token_coded_url_and_bare),
        T(test_lock_token_empty_or_spaced_is_einval),
        T(test_lock_token_with_tab_inside_is_einval),
        T(test_lock_token_length_limit_both_sides),
        T(test_if_untagged_lists_parse),
        T(test_if_tagged_lists_parse),
        T(test_if_not_and_etags_parse),
        T(test_if_mixing_tagged_and_untagged_is_einval),
        T(test_if_empty_list_is_einval),
        T(test_if_unbalanced_is_einval),
        T(test_if_malformed_is_einval),
        T(test_if_weak_prefix_must_be_w_slash),
        T(test_if_conditions_per_list_limit_both_sides),
        T(test_if_untagged_lists_limit_both_sides),
        T(test_if_lists_per_tag_limit_both_sides),
        T(test_if_eval_token_true_only_when_covered),
        T(test_if_eval_not_token),
        T(test_if_eval_etag),
        T(test_if_eval_etag_on_missing_resource_is_false),
        T(test_if_eval_two_lists_are_or),
        T(test_if_eval_conditions_in_a_list_are_and),
        T(test_if_eval_tagged_uses_the_tagged_resource),
        T(test_if_eval_unknown_tagged_resource_has_no_state),
        T(test_if_eval_without_resolver_tagged_has_no_state),
        T(test_if_eval_any_tagged_production_may_hold),
        T(test_if_has_token_finds_tokens_anywhere),
        T(test_if_token_count_counts_state_tokens_only),
        T(test_etag_is_inode_size_mtime_in_hex),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
