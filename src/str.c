/*
 * str.c: cf_str views, cf_buf owned buffers, the strict digit parser and
 * the escapers used for every byte Coffer writes into a URL, XML or HTML.
 * Nothing here knows about HTTP or WebDAV.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <sodium.h>

#include "coffer/str.h"
#include "coffer/banned.h"

char cf_buf_empty[1];

static void
cf_oom(size_t n)
{
    /* Never returns: every size reaching here was bounded by the caller. */
    fprintf(stderr, "coffer: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
cf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        cf_oom(n);
    return p;
}

void *
cf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        cf_oom(n * size);
    return p;
}

void *
cf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        cf_oom(n);
    return q;
}

char *
cf_xstrndup(const char *s, size_t n)
{
    char *p = cf_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
cf_xstrdup(const char *s)
{
    return cf_xstrndup(s, strlen(s));
}

static inline unsigned char
cf_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool
cf_str_eq_ci(struct cf_str a, struct cf_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (cf_lower((unsigned char)a.p[i]) != cf_lower((unsigned char)b.p[i]))
            return false;
    return true;
}

bool
cf_str_has_prefix(struct cf_str s, struct cf_str prefix)
{
    return s.len >= prefix.len && memcmp(s.p, prefix.p, prefix.len) == 0;
}

bool
cf_str_has_prefix_ci(struct cf_str s, struct cf_str prefix)
{
    return s.len >= prefix.len &&
           cf_str_eq_ci(cf_str_make(s.p, prefix.len), prefix);
}

struct cf_str
cf_str_trim(struct cf_str s)
{
    while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

ssize_t
cf_str_find(struct cf_str s, char c)
{
    const char *q = s.len ? memchr(s.p, c, s.len) : NULL;

    return q != NULL ? q - s.p : -1;
}

int
cf_parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)p[i] - '0';

        if (d > 9)
            return -EINVAL;
        if (d > max || v > (max - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

ssize_t
cf_base64_decode(struct cf_str in, unsigned char *out, size_t outcap)
{
    size_t outlen = 0;
    const char *end = NULL;

    if (sodium_base642bin(out, outcap, in.p, in.len, NULL, &outlen, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    if (end != in.p + in.len)
        return -1;
    return (ssize_t)outlen;
}

void
cf_buf_init(struct cf_buf *b)
{
    b->data = cf_buf_empty;
    b->len = b->cap = 0;
}

void
cf_buf_release(struct cf_buf *b)
{
    if (b->cap)
        free(b->data);
    cf_buf_init(b);
}

void
cf_buf_grow(struct cf_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;

    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (b->cap == 0) {
        b->data = cf_xmalloc(cap);
        b->data[0] = '\0';
    } else {
        b->data = cf_xrealloc(b->data, cap);
    }
    b->cap = cap;
}

void
cf_buf_add(struct cf_buf *b, const void *p, size_t len)
{
    if (len == 0)
        return;
    cf_buf_grow(b, len);
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void
cf_buf_addc(struct cf_buf *b, char c)
{
    cf_buf_grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void
cf_buf_adds(struct cf_buf *b, const char *s)
{
    cf_buf_add(b, s, strlen(s));
}

void
cf_buf_addstr(struct cf_buf *b, struct cf_str s)
{
    cf_buf_add(b, s.p, s.len);
}

void
cf_buf_vaddf(struct cf_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    cf_buf_grow(b, 64);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        cf_buf_grow(b, (size_t)n);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        if (n < 0)
            return;
    }
    b->len += (size_t)n;
}

void
cf_buf_add_u64(struct cf_buf *b, uint64_t v)
{
    char d[20];
    size_t n = sizeof(d);

    do {
        d[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    cf_buf_add(b, d + n, sizeof(d) - n);
}

void
cf_buf_addf(struct cf_buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cf_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

void
cf_buf_reset(struct cf_buf *b)
{
    b->len = 0;
    if (b->cap)
        b->data[0] = '\0';
}

char *
cf_buf_detach(struct cf_buf *b, size_t *len)
{
    char *p = b->cap ? b->data : cf_xstrdup("");

    if (len != NULL)
        *len = b->len;
    cf_buf_init(b);
    return p;
}

static const char cf_hex[] = "0123456789ABCDEF";

static inline bool
cf_url_keep(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '/';
}

void
cf_buf_add_urlenc(struct cf_buf *b, struct cf_str s)
{
    cf_buf_grow(b, s.len * 3);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if (cf_url_keep(c)) {
            b->data[b->len++] = (char)c;
        } else {
            b->data[b->len++] = '%';
            b->data[b->len++] = cf_hex[c >> 4];
            b->data[b->len++] = cf_hex[c & 15];
        }
    }
    b->data[b->len] = '\0';
}

void
cf_buf_add_xmlesc(struct cf_buf *b, struct cf_str s)
{
    size_t start = 0;

    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        const char *rep;

        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                rep = "";
            else
                continue;
        }
        cf_buf_add(b, s.p + start, i - start);
        cf_buf_adds(b, rep);
        start = i + 1;
    }
    cf_buf_add(b, s.p + start, s.len - start);
}

uint64_t
cf_hash(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}
