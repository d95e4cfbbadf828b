/*
 * dav_path.c: the one normaliser for Request-URIs, Destination headers and
 * If-header resource tags.
 *
 * Order (lighttpd's, for Destination): percent-decode once; refuse NUL and
 * control bytes; check UTF-8, reading bytes that are not UTF-8 as
 * Windows-1252 (old Windows clients) when every one of them has a meaning
 * there; collapse "//" and "." and resolve ".." without ever climbing above
 * "/"; cap the decoded length; normalise to NFC, since macOS sends
 * decomposed names (CLIENTS.md, Finder) and two spellings of one name must
 * reach one file.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>
#include <unistr.h>

#include "coffer/dav.h"
#include "coffer/banned.h"

static int
dav_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Windows-1252 0x80..0x9F; 0 where the code page leaves a byte undefined. */
static const uint16_t dav_cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Transcodes Windows-1252 bytes to UTF-8. Returns false on an undefined byte. */
static bool
dav_from_cp1252(struct cf_pool *pool, const unsigned char *s, size_t n, char **out,
                size_t *outlen)
{
    char *o = cf_pool_alloc(pool, n * 3 + 1);
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];

        if (c >= 0x80 && c < 0xA0) {
            c = dav_cp1252[c - 0x80];
            if (c == 0)
                return false;
        }
        if (c < 0x80) {
            o[k++] = (char)c;
        } else if (c < 0x800) {
            o[k++] = (char)(0xC0 | (c >> 6));
            o[k++] = (char)(0x80 | (c & 0x3F));
        } else {
            o[k++] = (char)(0xE0 | (c >> 12));
            o[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
            o[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    o[k] = '\0';
    *out = o;
    *outlen = k;
    return true;
}

int
dav_path_normalize(struct cf_pool *pool, struct cf_str raw, size_t max, struct dav_path *out)
{
    char *dec, *res;
    size_t n = 0, k = 0;
    bool high = false;

    memset(out, 0, sizeof(*out));
    if (raw.len == 0 || raw.p[0] != '/')
        return 400;
    if (raw.len > max * 3)
        return 414;
    /* 1. percent-decode exactly once */
    dec = cf_pool_alloc(pool, raw.len + 1);
    for (size_t i = 0; i < raw.len; i++) {
        unsigned char c = (unsigned char)raw.p[i];

        if (c == '%') {
            int hi, lo;

            if (i + 2 >= raw.len)
                return 400;
            hi = dav_hexval(raw.p[i + 1]);
            lo = dav_hexval(raw.p[i + 2]);
            if (hi < 0 || lo < 0)
                return 400;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        /* 2. NUL and control bytes never name a file here */
        if (c < 0x20 || c == 0x7f)
            return 400;
        if (c >= 0x80)
            high = true;
        dec[n++] = (char)c;
    }
    dec[n] = '\0';
    if (n > max)
        return 414;
    /* 3. UTF-8, or Windows-1252 as a second reading */
    if (high && u8_check((const uint8_t *)dec, n) != NULL) {
        char *conv;
        size_t convlen;

        if (!dav_from_cp1252(pool, (const unsigned char *)dec, n, &conv, &convlen))
            return 400;
        dec = conv;
        n = convlen;
        if (n > max)
            return 414;
    }
    /* C1 controls (U+0080..U+009F) are control characters too */
    for (size_t i = 0; high && i + 1 < n; i++)
        if ((unsigned char)dec[i] == 0xC2 && (unsigned char)dec[i + 1] >= 0x80 &&
            (unsigned char)dec[i + 1] <= 0x9F)
            return 400;
    /* 4. segments: "//" and "." vanish, ".." climbs but never above "/" */
    res = cf_pool_alloc(pool, n + 2);
    for (size_t i = 0; i < n;) {
        size_t j = i;

        while (j < n && dec[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg == 0 || (seg == 1 && dec[i] == '.')) {
            /* nothing */
        } else if (seg == 2 && dec[i] == '.' && dec[i + 1] == '.') {
            if (k == 0)
                return 400;
            while (k > 0 && res[k - 1] != '/')
                k--;
            if (k > 0)
                k--;        /* drop the "/" too */
        } else {
            res[k++] = '/';
            memcpy(res + k, dec + i, seg);
            k += seg;
        }
        i = j + 1;
    }
    if (k == 0)
        res[k++] = '/';
    res[k] = '\0';
    out->slash = n > 1 && dec[n - 1] == '/';
    out->path = res;
    out->len = k;
    /* 5. NFC */
    if (high) {
        size_t nlen = 0;
        uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)res, k, NULL, &nlen);

        if (nfc == NULL)
            return 400;
        if (nlen != k || memcmp(nfc, res, k) != 0) {
            out->raw = res;
            out->path = cf_pool_strndup(pool, (const char *)nfc, nlen);
            out->len = nlen;
        }
        free(nfc);
        if (out->len > max)
            return 414;
    }
    return 0;
}

int
dav_parse_depth(struct cf_str v, int *depth)
{
    v = cf_str_trim(v);
    if (cf_str_eq(v, CF_STR("0")))
        *depth = 0;
    else if (cf_str_eq(v, CF_STR("1")))
        *depth = 1;
    else if (cf_str_eq_ci(v, CF_STR("infinity")))
        *depth = DAV_DEPTH_INFINITY;
    else
        return -EINVAL;
    return 0;
}

int
dav_parse_overwrite(struct cf_str v, bool *overwrite)
{
    v = cf_str_trim(v);
    if (cf_str_eq_ci(v, CF_STR("T")))
        *overwrite = true;
    else if (cf_str_eq_ci(v, CF_STR("F")))
        *overwrite = false;
    else
        return -EINVAL;
    return 0;
}

unsigned
dav_parse_timeout(struct cf_str v, unsigned dflt, unsigned max)
{
    while (v.len > 0) {
        ssize_t comma = cf_str_find(v, ',');
        struct cf_str t = cf_str_trim(cf_str_make(v.p, comma < 0 ? v.len : (size_t)comma));
        uint64_t secs;

        v = comma < 0 ? cf_str_make(v.p + v.len, 0)
                      : cf_str_make(v.p + comma + 1, v.len - (size_t)comma - 1);
        if (cf_str_eq_ci(t, CF_STR("Infinite")))
            return max;
        if (cf_str_has_prefix_ci(t, CF_STR("Second-")) &&
            cf_parse_u64(t.p + 7, t.len - 7, UINT64_MAX, &secs) == 0) {
            if (secs == 0)
                return dflt;
            return secs > max ? max : (unsigned)secs;
        }
    }
    return dflt;
}

int
dav_parse_lock_token(struct cf_str v, struct cf_str *token)
{
    v = cf_str_trim(v);
    if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>') {
        v.p++;
        v.len -= 2;
    }
    v = cf_str_trim(v);
    if (v.len == 0 || v.len > 200)
        return -EINVAL;
    /* a Coded-URL holds an absolute URI: no whitespace, no control, no <> */
    for (size_t i = 0; i < v.len; i++)
        if ((unsigned char)v.p[i] <= 0x20 || v.p[i] == 0x7f || v.p[i] == '<' || v.p[i] == '>')
            return -EINVAL;
    *token = v;
    return 0;
}
