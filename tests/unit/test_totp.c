/*
 * test_totp.c: the second factor's primitives of acl/acl_totp.c (HOTP and
 * TOTP against the RFC vectors, base32, verification with drift and replay,
 * the otpauth URI, recovery codes) and the QR code drawing of src/qr.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <qrencode.h>
#include <sodium.h>

#include "coffer/qr.h"
#include "coffer/str.h"
#include "coffer/totp.h"
#include "coffer/banned.h"

/* RFC 4226 Appendix D and RFC 6238 Appendix B: the ASCII of "1234567890" twice. */
static const unsigned char t_rfc_key[] = "12345678901234567890";
#define T_RFC_KEY_LEN 20

/* ---- HOTP and TOTP ---- */

static void
test_hotp_rfc4226_vectors(void **state)
{
    static const uint32_t want[10] = {
        755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
    };

    (void)state;
    for (uint64_t c = 0; c < 10; c++)
        assert_int_equal(acl_totp_hotp(t_rfc_key, T_RFC_KEY_LEN, c, 6), want[c]);
}

static void
test_totp_rfc6238_sha1_vectors(void **state)
{
    static const struct {
        time_t t;
        uint64_t step;
        uint32_t code;
    } v[] = {
        { 59, 0x1, 94287082 },
        { 1111111109, 0x23523EC, 7081804 },
        { 1111111111, 0x23523ED, 14050471 },
        { 1234567890, 0x273EF07, 89005924 },
        { 2000000000, 0x3F940AA, 69279037 },
        { (time_t)20000000000LL, 0x27BC86AA, 65353130 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint64_t step = acl_totp_step(v[i].t);

        assert_int_equal(step, v[i].step);
        assert_int_equal(acl_totp_hotp(t_rfc_key, T_RFC_KEY_LEN, step, 8), v[i].code);
    }
}

static void
test_totp_step_edges(void **state)
{
    (void)state;
    assert_int_equal(acl_totp_step(0), 0);
    assert_int_equal(acl_totp_step(29), 0);
    assert_int_equal(acl_totp_step(30), 1);
    assert_int_equal(acl_totp_step(-1), 0);
}

static void
test_hotp_digits_clamped(void **state)
{
    (void)state;
    /* 7 digits: the same truncated value mod 10^7 (RFC 4226 D: 1284755224). */
    assert_int_equal(acl_totp_hotp(t_rfc_key, T_RFC_KEY_LEN, 0, 7), 4755224);
    assert_int_equal(acl_totp_hotp(t_rfc_key, T_RFC_KEY_LEN, 0, 8), 84755224);
    assert_int_equal(acl_totp_hotp(t_rfc_key, T_RFC_KEY_LEN, 0, 3), 755224);
    assert_int_equal(acl_totp_hotp(t_rfc_key, T_RFC_KEY_LEN, 0, 12), 84755224);
}

/* ---- base32 ---- */

static void
test_base32_rfc4648_vectors(void **state)
{
    static const struct {
        const char *plain, *b32;
    } v[] = {
        { "", "" },
        { "f", "MY" },
        { "fo", "MZXQ" },
        { "foo", "MZXW6" },
        { "foob", "MZXW6YQ" },
        { "fooba", "MZXW6YTB" },
        { "foobar", "MZXW6YTBOI" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t n = strlen(v[i].plain);
        char enc[32];
        unsigned char dec[16];

        acl_totp_base32_encode((const unsigned char *)v[i].plain, n, enc);
        assert_string_equal(enc, v[i].b32);
        assert_int_equal(acl_totp_base32_decode(v[i].b32, dec, sizeof(dec)), (ssize_t)n);
        assert_memory_equal(dec, v[i].plain, n);
    }
}

static void
test_base32_decode_lenient_forms(void **state)
{
    unsigned char dec[16];

    (void)state;
    /* RFC 4648's padded spelling, lower case, and groups with spaces. */
    assert_int_equal(acl_totp_base32_decode("MZXW6YQ=", dec, sizeof(dec)), 4);
    assert_memory_equal(dec, "foob", 4);
    assert_int_equal(acl_totp_base32_decode("mzxw6ytboi", dec, sizeof(dec)), 6);
    assert_memory_equal(dec, "foobar", 6);
    assert_int_equal(acl_totp_base32_decode("MZXW 6YTB OI", dec, sizeof(dec)), 6);
    assert_memory_equal(dec, "foobar", 6);
    assert_int_equal(acl_totp_base32_decode("MY======", dec, sizeof(dec)), 1);
    assert_memory_equal(dec, "f", 1);
}

static void
test_base32_decode_rejects_bad_input(void **state)
{
    unsigned char dec[16];

    (void)state;
    assert_int_equal(acl_totp_base32_decode("MZ1W", dec, sizeof(dec)), -1);      /* 1 */
    assert_int_equal(acl_totp_base32_decode("MY0", dec, sizeof(dec)), -1);       /* 0 */
    assert_int_equal(acl_totp_base32_decode("MZXW6!", dec, sizeof(dec)), -1);
    assert_int_equal(acl_totp_base32_decode("MZXW-6YQ", dec, sizeof(dec)), -1);
    assert_int_equal(acl_totp_base32_decode("MZ\xc3\x89", dec, sizeof(dec)), -1);
    assert_int_equal(acl_totp_base32_decode("M", dec, sizeof(dec)), -1);         /* 5 bits */
    assert_int_equal(acl_totp_base32_decode("MZX", dec, sizeof(dec)), -1);       /* 15 bits */
    assert_int_equal(acl_totp_base32_decode("MZXW6Y", dec, sizeof(dec)), -1);    /* 30 bits */
    assert_int_equal(acl_totp_base32_decode("MZ", dec, sizeof(dec)), -1);        /* bits left over */
    /* Does not fit. */
    assert_int_equal(acl_totp_base32_decode("MZXW6YTBOI", dec, 5), -1);
    assert_int_equal(acl_totp_base32_decode("MZXW6YTBOI", dec, 6), 6);
}

static void
test_base32_secret_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        unsigned char secret[ACL_TOTP_SECRET_LEN], back[ACL_TOTP_SECRET_LEN + 4];
        char b32[ACL_TOTP_B32_LEN + 1];

        acl_totp_secret_new(secret);
        acl_totp_base32_encode(secret, sizeof(secret), b32);
        assert_int_equal(strlen(b32), ACL_TOTP_B32_LEN);
        assert_int_equal(strspn(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), ACL_TOTP_B32_LEN);
        assert_int_equal(acl_totp_base32_decode(b32, back, sizeof(back)), ACL_TOTP_SECRET_LEN);
        assert_memory_equal(back, secret, ACL_TOTP_SECRET_LEN);
    }
    assert_int_equal(ACL_TOTP_B32_SIZE(ACL_TOTP_SECRET_LEN), ACL_TOTP_B32_LEN + 1);
}

static void
test_secret_new_is_random(void **state)
{
    unsigned char a[ACL_TOTP_SECRET_LEN], b[ACL_TOTP_SECRET_LEN];

    (void)state;
    acl_totp_secret_new(a);
    acl_totp_secret_new(b);
    assert_memory_not_equal(a, b, ACL_TOTP_SECRET_LEN);
}

/* ---- verify ---- */

/*
 * At T_NOW the step is 3, so the RFC 4226 values of counters 2, 3 and 4 are
 * the codes of the previous, current and next steps.
 */
#define T_NOW ((time_t)(3 * 30 + 5))

static bool
t_verify(const char *code, time_t now, uint64_t last, uint64_t *step)
{
    return acl_totp_verify(t_rfc_key, T_RFC_KEY_LEN, code, now, last, step);
}

static void
test_verify_current_code(void **state)
{
    uint64_t step = 0;

    (void)state;
    assert_true(t_verify("969429", T_NOW, 0, &step));
    assert_int_equal(step, 3);
}

static void
test_verify_drift_one_step(void **state)
{
    uint64_t step = 0;

    (void)state;
    assert_true(t_verify("359152", T_NOW, 0, &step));   /* previous step */
    assert_int_equal(step, 2);
    assert_true(t_verify("338314", T_NOW, 0, &step));   /* next step */
    assert_int_equal(step, 4);
}

static void
test_verify_two_steps_away_refused(void **state)
{
    uint64_t step = 77;

    (void)state;
    assert_false(t_verify("287082", T_NOW, 0, &step));  /* step 1 */
    assert_false(t_verify("254676", T_NOW, 0, &step));  /* step 5 */
    assert_false(t_verify("969430", T_NOW, 0, &step));  /* one digit off */
    assert_int_equal(step, 77);
}

static void
test_verify_replay_refused(void **state)
{
    uint64_t step = 77;

    (void)state;
    /* RFC 6238 5.2: the code of step 3 is used up once step 3 was accepted. */
    assert_false(t_verify("969429", T_NOW, 3, &step));
    /* And so is every earlier step still inside the window. */
    assert_false(t_verify("359152", T_NOW, 3, &step));
    assert_false(t_verify("359152", T_NOW, 2, &step));
    assert_int_equal(step, 77);
    /* A later step is still good. */
    assert_true(t_verify("338314", T_NOW, 3, &step));
    assert_int_equal(step, 4);
    assert_true(t_verify("969429", T_NOW, 2, &step));
    assert_int_equal(step, 3);
}

static void
test_verify_malformed_codes_refused(void **state)
{
    uint64_t step = 77;

    (void)state;
    assert_false(t_verify("96942", T_NOW, 0, &step));
    assert_false(t_verify("9694290", T_NOW, 0, &step));
    assert_false(t_verify("0969429", T_NOW, 0, &step));
    assert_false(t_verify("96942a", T_NOW, 0, &step));
    assert_false(t_verify("96942\t9", T_NOW, 0, &step));
    assert_false(t_verify("-969429", T_NOW, 0, &step));
    assert_false(t_verify("", T_NOW, 0, &step));
    assert_false(t_verify("      ", T_NOW, 0, &step));
    assert_false(t_verify(NULL, T_NOW, 0, &step));
    assert_false(acl_totp_verify(t_rfc_key, 0, "969429", T_NOW, 0, &step));
    assert_int_equal(step, 77);
}

static void
test_verify_spaces_ignored(void **state)
{
    uint64_t step = 0;

    (void)state;
    assert_true(t_verify("969 429", T_NOW, 0, &step));
    assert_int_equal(step, 3);
    assert_true(t_verify(" 96 94 29 ", T_NOW, 2, &step));
    assert_int_equal(step, 3);
    assert_false(t_verify("969 430", T_NOW, 0, &step));
}

static void
test_verify_at_epoch(void **state)
{
    uint64_t step = 77;

    (void)state;
    /* Step 0 is never greater than last_step 0; step 1 (next) is. */
    assert_false(t_verify("755224", 10, 0, &step));
    assert_true(t_verify("287082", 10, 0, &step));
    assert_int_equal(step, 1);
}

static void
test_verify_fresh_secret(void **state)
{
    unsigned char secret[ACL_TOTP_SECRET_LEN];
    char code[16];
    time_t now = 1700000000;
    uint64_t step = 0, s = acl_totp_step(now);

    (void)state;
    acl_totp_secret_new(secret);
    snprintf(code, sizeof(code), "%06u", (unsigned)acl_totp_hotp(secret, sizeof(secret), s, 6));
    assert_true(acl_totp_verify(secret, sizeof(secret), code, now, s - 1, &step));
    assert_int_equal(step, s);
    assert_false(acl_totp_verify(secret, sizeof(secret), code, now, step, &step));
}

/* ---- otpauth URI ---- */

static void
test_uri_exact(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    acl_totp_uri(&b, "Coffer Cloud", "alice smith@example.org", "JBSWY3DPEHPK3PXP");
    assert_string_equal(b.data,
                        "otpauth://totp/Coffer%20Cloud:alice%20smith%40example.org"
                        "?secret=JBSWY3DPEHPK3PXP&issuer=Coffer%20Cloud"
                        "&algorithm=SHA1&digits=6&period=30");
    cf_buf_release(&b);
}

static void
test_uri_encodes_separators(void **state)
{
    struct cf_buf b = CF_BUF_INIT;

    (void)state;
    acl_totp_uri(&b, "A&B", "x/y:z?#=\xc3\xa9~._-", "MY");
    assert_string_equal(b.data,
                        "otpauth://totp/A%26B:x%2Fy%3Az%3F%23%3D%C3%A9~._-"
                        "?secret=MY&issuer=A%26B&algorithm=SHA1&digits=6&period=30");
    cf_buf_release(&b);
}

/* ---- recovery codes ---- */

static void
t_assert_recovery_format(const char *c)
{
    assert_int_equal(strlen(c), ACL_RECOVERY_LEN);
    for (int i = 0; i < ACL_RECOVERY_LEN; i++) {
        if (i == 5) {
            assert_int_equal(c[i], '-');
            continue;
        }
        assert_non_null(strchr("23456789abcdefghjkmnpqrstuvwxyz", c[i]));
    }
}

static void
test_recovery_code_format_and_distinct(void **state)
{
    char codes[ACL_RECOVERY_CODES][ACL_RECOVERY_LEN + 1];

    (void)state;
    for (int i = 0; i < ACL_RECOVERY_CODES; i++) {
        char canon[ACL_RECOVERY_LEN + 1];

        acl_recovery_code_new(codes[i]);
        t_assert_recovery_format(codes[i]);
        /* A fresh code is already canonical. */
        assert_int_equal(acl_recovery_code_normalise(codes[i], canon), 0);
        assert_string_equal(canon, codes[i]);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
    }
}

static void
test_recovery_code_alphabet_used(void **state)
{
    /* Over many codes every symbol should turn up, and no look-alike. */
    char seen[256] = { 0 };
    int distinct = 0;

    (void)state;
    for (int i = 0; i < 200; i++) {
        char c[ACL_RECOVERY_LEN + 1];

        acl_recovery_code_new(c);
        t_assert_recovery_format(c);
        for (int k = 0; k < ACL_RECOVERY_LEN; k++) {
            if (k != 5 && !seen[(unsigned char)c[k]]) {
                seen[(unsigned char)c[k]] = 1;
                distinct++;
            }
        }
    }
    assert_int_equal(distinct, 31);
}

static void
test_recovery_normalise(void **state)
{
    static const char *good[] = {
        "ABCDE FGHJK", "abcde-fghjk", "abcdefghjk", "  aBcDe - FgHjK  ", "a-b-c-d-e-f-g-h-j-k",
    };
    static const char *bad[] = {
        "", "   ", "-", "abcde-fghj", "abcde-fghjkm", "abcde-fghj0", "abcdo-fghjk",
        "abcde-fghj1", "abcdl-fghjk", "abcdi-fghjk", "abcde_fghjk", "abcde-fghj\xc3\xa9",
    };
    char out[ACL_RECOVERY_LEN + 1];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(acl_recovery_code_normalise(good[i], out), 0);
        assert_string_equal(out, "abcde-fghjk");
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(acl_recovery_code_normalise(bad[i], out), -EINVAL);
        assert_string_equal(out, "");
    }
    assert_int_equal(acl_recovery_code_normalise(NULL, out), -EINVAL);
}

static void
test_recovery_hash(void **state)
{
    char h1[ACL_RECOVERY_HASH_LEN + 1], h2[ACL_RECOVERY_HASH_LEN + 1];

    (void)state;
    acl_recovery_code_hash("abcde-fghjk", h1);
    /* SHA-256("abcde-fghjk"), from Python's hashlib. */
    assert_string_equal(h1, "f43fe8875771ca2cb43a28612878e3569ceac3b56c1d88bd558122e69097db18");
    acl_recovery_code_hash("abcde-fghjk", h2);
    assert_string_equal(h1, h2);
    acl_recovery_code_hash("abcde-fghjm", h2);
    assert_string_not_equal(h1, h2);
    assert_int_equal(strlen(h2), 64);
    assert_int_equal(strspn(h2, "0123456789abcdef"), 64);
}

/* ---- QR codes ---- */

/*
 * Reads the path data back into a size x size grid: every "Mx yhNv1h-Nz"
 * rectangle marks N modules of row y dark. Returns the number of
 * rectangles, or -1 on anything else.
 */
static int
t_qr_grid(const char *svg, int size, unsigned char *grid)
{
    const char *p = strstr(svg, " d=\"");
    int rects = 0;

    if (p == NULL)
        return -1;
    p += 4;
    memset(grid, 0, (size_t)size * (size_t)size);
    while (*p != '"') {
        int x, y, n, n2, used = 0;

        if (sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used) != 4 || used == 0)
            return -1;
        if (n != n2 || n <= 0 || x < 0 || y < 0 || y >= size || x + n > size)
            return -1;
        for (int i = 0; i < n; i++) {
            if (grid[y * size + x + i])
                return -1;      /* overlapping runs */
            grid[y * size + x + i] = 1;
        }
        rects++;
        p += used;
    }
    return rects;
}

static void
t_qr_check_against_libqrencode(const char *text, const char *svg, int size)
{
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    unsigned char *grid = calloc((size_t)size * (size_t)size, 1);

    assert_non_null(qr);
    assert_non_null(grid);
    assert_int_equal(qr->width + 2 * CF_QR_QUIET, size);
    assert_true(t_qr_grid(svg, size, grid) > 0);
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
            int mx = x - CF_QR_QUIET, my = y - CF_QR_QUIET, dark = 0;

            if (mx >= 0 && my >= 0 && mx < qr->width && my < qr->width)
                dark = qr->data[my * qr->width + mx] & 1;
            assert_int_equal(grid[y * size + x], dark);
        }
    }
    /* The top-left finder pattern: a dark 7x7 ring just inside the quiet zone. */
    for (int i = 0; i < 7; i++) {
        assert_int_equal(grid[CF_QR_QUIET * size + CF_QR_QUIET + i], 1);
        assert_int_equal(grid[(CF_QR_QUIET + i) * size + CF_QR_QUIET], 1);
    }
    free(grid);
    QRcode_free(qr);
}

static void
test_qr_short_text_is_version1(void **state)
{
    struct cf_buf b = CF_BUF_INIT;
    size_t len;

    (void)state;
    assert_int_equal(cf_qr_svg(&b, "hello", 200), 0);
    assert_true(strncmp(b.data, "<svg", 4) == 0);
    assert_non_null(strstr(b.data, "xmlns=\"http://www.w3.org/2000/svg\""));
    /* Version 1 is 21 modules; 4 quiet modules either side make 29. */
    assert_non_null(strstr(b.data, "viewBox=\"0 0 29 29\""));
    assert_non_null(strstr(b.data, "width=\"200\""));
    assert_non_null(strstr(b.data, "height=\"200\""));
    assert_non_null(strstr(b.data, "role=\"img\""));
    assert_non_null(strstr(b.data, "aria-label=\""));
    /* One path for the modules, and the text is not written out. */
    assert_non_null(strstr(b.data, "<path"));
    assert_null(strstr(strstr(b.data, "<path") + 1, "<path"));
    assert_null(strstr(b.data, "hello"));
    len = strlen(b.data);
    assert_true(len > 6 && strcmp(b.data + len - 6, "</svg>") == 0);
    t_qr_check_against_libqrencode("hello", b.data, 29);
    cf_buf_release(&b);
}

static void
test_qr_otpauth_uri_draws_exactly(void **state)
{
    struct cf_buf uri = CF_BUF_INIT, svg = CF_BUF_INIT;
    QRcode *qr;
    char vb[64];
    int size;

    (void)state;
    acl_totp_uri(&uri, "Coffer", "alice@example.org", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    qr = QRcode_encodeString8bit(uri.data, 0, QR_ECLEVEL_M);
    assert_non_null(qr);
    size = qr->width + 2 * CF_QR_QUIET;
    QRcode_free(qr);
    /* Appends: what was in the buffer stays. */
    cf_buf_adds(&svg, "<p>");
    assert_int_equal(cf_qr_svg(&svg, uri.data, 0), 0);
    assert_true(strncmp(svg.data, "<p><svg", 7) == 0);
    snprintf(vb, sizeof(vb), "viewBox=\"0 0 %d %d\"", size, size);
    assert_non_null(strstr(svg.data, vb));
    snprintf(vb, sizeof(vb), "width=\"%d\"", size * 4);
    assert_non_null(strstr(svg.data, vb));
    t_qr_check_against_libqrencode(uri.data, svg.data + 3, size);
    cf_buf_release(&svg);
    cf_buf_release(&uri);
}

static void
test_qr_too_long_is_einval(void **state)
{
    struct cf_buf b = CF_BUF_INIT;
    char *big = malloc(5001);

    (void)state;
    assert_non_null(big);
    memset(big, 'a', 5000);
    big[5000] = '\0';
    cf_buf_adds(&b, "keep");
    assert_int_equal(cf_qr_svg(&b, big, 200), -EINVAL);
    assert_string_equal(b.data, "keep");
    assert_int_equal(cf_qr_svg(&b, "", 200), -EINVAL);
    assert_int_equal(cf_qr_svg(&b, NULL, 200), -EINVAL);
    assert_string_equal(b.data, "keep");
    free(big);
    cf_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotp_rfc4226_vectors),
        cmocka_unit_test(test_totp_rfc6238_sha1_vectors),
        cmocka_unit_test(test_totp_step_edges),
        cmocka_unit_test(test_hotp_digits_clamped),
        cmocka_unit_test(test_base32_rfc4648_vectors),
        cmocka_unit_test(test_base32_decode_lenient_forms),
        cmocka_unit_test(test_base32_decode_rejects_bad_input),
        cmocka_unit_test(test_base32_secret_round_trip),
        cmocka_unit_test(test_secret_new_is_random),
        cmocka_unit_test(test_verify_current_code),
        cmocka_unit_test(test_verify_drift_one_step),
        cmocka_unit_test(test_verify_two_steps_away_refused),
        cmocka_unit_test(test_verify_replay_refused),
        cmocka_unit_test(test_verify_malformed_codes_refused),
        cmocka_unit_test(test_verify_spaces_ignored),
        cmocka_unit_test(test_verify_at_epoch),
        cmocka_unit_test(test_verify_fresh_secret),
        cmocka_unit_test(test_uri_exact),
        cmocka_unit_test(test_uri_encodes_separators),
        cmocka_unit_test(test_recovery_code_format_and_distinct),
        cmocka_unit_test(test_recovery_code_alphabet_used),
        cmocka_unit_test(test_recovery_normalise),
        cmocka_unit_test(test_recovery_hash),
        cmocka_unit_test(test_qr_short_text_is_version1),
        cmocka_unit_test(test_qr_otpauth_uri_draws_exactly),
        cmocka_unit_test(test_qr_too_long_is_einval),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
