/*
 * str.h: the two string types every Coffer module speaks, and the strict
 * parsers for bytes that come from the wire.
 *
 * struct cf_str is a borrowed view: a pointer and a length, never assumed to
 * be NUL-terminated. Pass it by value.
 *
 * struct cf_buf owns its bytes. Its invariants follow git's strbuf: data is
 * never NULL (it points at a shared empty string until the first append) and
 * data[len] is always '\0', so the contents can be handed to libc directly.
 * Allocation failures abort (cf_xmalloc), which is safe because every size
 * that depends on a client is bounded before anything is appended.
 */
#ifndef COFFER_STR_H
#define COFFER_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct cf_str {
    const char *p;
    size_t len;
};

#define CF_STR(lit) ((struct cf_str){ (lit), sizeof(lit) - 1 })
#define CF_STR_NULL ((struct cf_str){ NULL, 0 })
#define CF_STR_FMT "%.*s"
#define CF_STR_ARG(s) (int)(s).len, (s).p

static inline struct cf_str
cf_str_from(const char *s)
{
    return (struct cf_str){ s, s != NULL ? strlen(s) : 0 };
}

static inline struct cf_str
cf_str_make(const char *p, size_t len)
{
    return (struct cf_str){ p, len };
}

static inline bool
cf_str_eq(struct cf_str a, struct cf_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ASCII case-insensitive comparison, for header names and tokens. */
bool cf_str_eq_ci(struct cf_str a, struct cf_str b);
bool cf_str_has_prefix(struct cf_str s, struct cf_str prefix);
bool cf_str_has_prefix_ci(struct cf_str s, struct cf_str prefix);

/* Strips spaces and horizontal tabs (HTTP's OWS) from both ends. */
struct cf_str cf_str_trim(struct cf_str s);

/* Returns the index of c in s, or -1. */
ssize_t cf_str_find(struct cf_str s, char c);

/*
 * Parses exactly len decimal digits: no sign, no spaces. Returns 0, -EINVAL
 * (empty or a non-digit) or -ERANGE (more than max).
 */
int cf_parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out);

/*
 * Decodes standard base64 (with padding) into out, at most outcap bytes.
 * Returns the decoded length, or -1 when the input is not base64 or does not
 * fit.
 */
ssize_t cf_base64_decode(struct cf_str in, unsigned char *out, size_t outcap);

struct cf_buf {
    char *data;
    size_t len;
    size_t cap;
};

extern char cf_buf_empty[];
#define CF_BUF_INIT { cf_buf_empty, 0, 0 }

void cf_buf_init(struct cf_buf *b);
/* Frees the bytes and leaves b as CF_BUF_INIT. */
void cf_buf_release(struct cf_buf *b);
/* Makes room for extra more bytes (and the NUL). */
void cf_buf_grow(struct cf_buf *b, size_t extra);
void cf_buf_add(struct cf_buf *b, const void *p, size_t len);
void cf_buf_addc(struct cf_buf *b, char c);
void cf_buf_adds(struct cf_buf *b, const char *s);
void cf_buf_addstr(struct cf_buf *b, struct cf_str s);
/* The decimal digits of v (the per-request path's "%llu" without printf). */
void cf_buf_add_u64(struct cf_buf *b, uint64_t v);
void cf_buf_addf(struct cf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cf_buf_vaddf(struct cf_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Keeps the allocation, empties the contents. */
void cf_buf_reset(struct cf_buf *b);
/* Hands the bytes to the caller (free() them); b is left as CF_BUF_INIT. */
char *cf_buf_detach(struct cf_buf *b, size_t *len);

static inline struct cf_str
cf_buf_str(const struct cf_buf *b)
{
    return (struct cf_str){ b->data, b->len };
}

/* Allocation that aborts on failure (see the file comment). */
void *cf_xmalloc(size_t n);
void *cf_xcalloc(size_t n, size_t size);
void *cf_xrealloc(void *p, size_t n);
char *cf_xstrdup(const char *s);
char *cf_xstrndup(const char *s, size_t n);

/*
 * Appends s to b with every byte outside RFC 3986's unreserved set and "/"
 * percent-encoded (upper-case hex). Used for hrefs and Location values.
 */
void cf_buf_add_urlenc(struct cf_buf *b, struct cf_str s);

/*
 * Appends s to b escaped for XML and HTML text and attribute values:
 * & < > " ' become entities. Control bytes other than TAB, LF and CR are
 * dropped, since XML 1.0 cannot carry them.
 */
void cf_buf_add_xmlesc(struct cf_buf *b, struct cf_str s);

/* FNV-1a, for the small in-process hash tables. */
uint64_t cf_hash(const void *p, size_t len);

#endif
