/*
 * mail.c: outgoing email: templates, message building, and delivery
 * through SMTP (libcurl) or to the outbox directory.
 *
 * What it owns: reading and substituting the templates of <templates>
 * (or the embedded defaults), the RFC 5322 message (RFC 2047 encoded-words
 * for non-ASCII display names and subjects, RFC 2045 quoted-printable when
 * a body line would exceed the 998 octets of RFC 5322 2.1.1), and the
 * delivery. It must not: let a value reach a header unfiltered (CR and LF
 * in a Subject value become spaces, a recipient address with anything but
 * one plain address in it is refused), log the SMTP password (the URL is
 * logged without its userinfo), or overwrite an administrator's template.
 *
 * Nothing here knows about HTTP, users or tokens: callers pass the values.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "coffer/conf.h"
#include "coffer/log.h"
#include "coffer/mail.h"
#include "coffer/str.h"
#include "coffer/banned.h"

#define CF_MAIL_TEMPLATE_MAX   (64u * 1024)  /* an edited template, bounded */
#define CF_MAIL_NAME_MAX       64u           /* template names */
#define CF_MAIL_ADDR_MAX       254u          /* RFC 5321 4.5.3.1.3, less <> */
#define CF_MAIL_LINE_MAX       998u          /* RFC 5322 2.1.1 */
#define CF_MAIL_PHRASE_PLAIN   70u           /* longer names are encoded */
#define CF_MAIL_SUBJECT_PLAIN  900u          /* longer subjects are encoded */
#define CF_MAIL_EW_BYTES       45u           /* 60 base64 chars: words <= 75 */
#define CF_MAIL_QP_COLS        76u           /* RFC 2045 6.7 (5) */
#define CF_MAIL_SMTP_TIMEOUT_S 30L
#define CF_MAIL_SMTP_CONNECT_S 10L

/*
 * The embedded templates. cf_mail_templates_install() writes them to the
 * templates directory for administrators to edit; cf_mail_render() falls
 * back to them when no file is there.
 */
struct cf_mail_default {
    const char *name;
    const char *text;
};

static const struct cf_mail_default cf_mail_defaults[] = {
    { "invite",
      "Subject: {{inviter}} has invited you to share files on Coffer\n"
      "\n"
      "Hello {{display_name}},\n"
      "\n"
      "{{inviter}} has invited you to Coffer, a private place where you can\n"
      "receive and exchange documents safely.\n"
      "\n"
      "{{message}}\n"
      "\n"
      "To accept the invitation, open this link in your web browser and\n"
      "choose a password:\n"
      "\n"
      "{{link}}\n"
      "\n"
      "Your user name is: {{login}}\n"
      "\n"
      "This link can be used only once, until {{expires}}.\n"
      "If it has expired, just ask {{inviter}} to send you a new one.\n"
      "\n"
      "If you do not know {{inviter}} or did not expect this email, you do\n"
      "not need to do anything: just ignore it, and the link will stop\n"
      "working by itself. Please do not forward this email, since the link\n"
      "is meant for you alone.\n"
      "\n"
      "This message was sent automatically; replies to it may not be read.\n" },
    { "reset",
      "Subject: Choose a new password for Coffer\n"
      "\n"
      "Hello {{display_name}},\n"
      "\n"
      "Someone, hopefully you, asked to reset the password of your Coffer\n"
      "account \"{{login}}\".\n"
      "\n"
      "To choose a new password, open this link in your web browser:\n"
      "\n"
      "{{link}}\n"
      "\n"
      "The link works only once and expires on {{expires}}.\n"
      "\n"
      "If you did not ask for this, you can ignore this email: your\n"
      "password stays as it is and nobody can use the link after it\n"
      "expires.\n"
      "\n"
      "This message was sent automatically; replies to it may not be read.\n" },
};

#define CF_MAIL_NDEFAULTS \
    (sizeof(cf_mail_defaults) / sizeof(cf_mail_defaults[0]))

static bool cf_mail_curl_ready;

void
cf_mail_global_init(void)
{
    CURLcode res;

    if (cf_mail_curl_ready)
        return;
    res = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (res != CURLE_OK) {
        cf_log(CF_LOG_ERR, "%s: curl_global_init: %s", __func__,
               curl_easy_strerror(res));
        return;
    }
    cf_mail_curl_ready = true;
}

void
cf_mail_global_cleanup(void)
{
    if (!cf_mail_curl_ready)
        return;
    curl_global_cleanup();
    cf_mail_curl_ready = false;
}

/* ---- small helpers ---- */

/*
 * Returns the length of the well-formed UTF-8 sequence at p (at most len
 * bytes), or 0 when it is malformed: overlong forms, surrogates and code
 * points above U+10FFFF are refused (RFC 3629 4).
 */
static size_t
cf_mail_utf8_seq(const unsigned char *p, size_t len)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (len < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

static void
cf_mail_add_hex(struct cf_buf *out, const unsigned char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        cf_buf_addc(out, hex[p[i] >> 4]);
        cf_buf_addc(out, hex[p[i] & 15]);
    }
}

static void
cf_mail_add_base64(struct cf_buf *out, const unsigned char *p, size_t len)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

        cf_buf_addc(out, b64[v >> 18 & 63]);
        cf_buf_addc(out, b64[v >> 12 & 63]);
        cf_buf_addc(out, b64[v >> 6 & 63]);
        cf_buf_addc(out, b64[v & 63]);
    }
    if (len - i == 1) {
        unsigned v = (unsigned)p[i] << 16;

        cf_buf_addc(out, b64[v >> 18 & 63]);
        cf_buf_addc(out, b64[v >> 12 & 63]);
        cf_buf_adds(out, "==");
    } else if (len - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

        cf_buf_addc(out, b64[v >> 18 & 63]);
        cf_buf_addc(out, b64[v >> 12 & 63]);
        cf_buf_addc(out, b64[v >> 6 & 63]);
        cf_buf_addc(out, '=');
    }
}

/*
 * Writes the directory of the templates to dir: the templates setting, or
 * <data>/templates. Leaves dir empty when neither is known.
 */
static void
cf_mail_templates_dir(const struct cf_conf *conf, struct cf_buf *dir)
{
    if (conf->templates != NULL && conf->templates[0] != '\0')
        cf_buf_adds(dir, conf->templates);
    else if (conf->data_dir != NULL && conf->data_dir[0] != '\0')
        cf_buf_addf(dir, "%s/templates", conf->data_dir);
}

/* Template names become file names: letters, digits, '-' and '_' only. */
static bool
cf_mail_name_is_valid(const char *name)
{
    size_t len = name != NULL ? strlen(name) : 0;

    if (len == 0 || len > CF_MAIL_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/*
 * A recipient or sender address: one local part, one '@', one domain, and
 * nothing that could end a header, start another address or need quoting
 * (no CR, LF, space or control byte, none of < > , ; : " ( ) [ ] \).
 * Non-ASCII addresses would need SMTPUTF8 and are refused too.
 */
static bool
cf_mail_addr_is_valid(const char *a)
{
    size_t len, at = 0, ats = 0;

    if (a == NULL)
        return false;
    len = strlen(a);
    if (len == 0 || len > CF_MAIL_ADDR_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)a[i];

        if (c <= 0x20 || c >= 0x7f || strchr("<>,;:\"()[]\\", c) != NULL)
            return false;
        if (c == '@') {
            ats++;
            at = i;
        }
    }
    return ats == 1 && at > 0 && at < len - 1;
}

/*
 * Copies s to out for a header: CR, LF and tabs (runs of them) become one
 * space, other control bytes are dropped, and the ends are trimmed.
 */
static void
cf_mail_add_header_text(struct cf_buf *out, struct cf_str s)
{
    size_t start = out->len;
    bool space = false;

    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if (c == '\r' || c == '\n' || c == '\t') {
            space = true;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            continue;
        if (space && out->len > start && out->data[out->len - 1] != ' ')
            cf_buf_addc(out, ' ');
        space = false;
        cf_buf_addc(out, (char)c);
    }
    while (out->len > start && out->data[out->len - 1] == ' ')
        out->len--;
    out->data[out->len] = '\0';
}

/* ---- templates ---- */

/*
 * Loads template name into text, from the templates directory or else the
 * embedded defaults; origin names it for messages (the file's path).
 */
static int
cf_mail_template_load(const struct cf_conf *conf, const char *name,
                      struct cf_buf *text, struct cf_buf *origin)
{
    struct cf_buf dir = CF_BUF_INIT;
    struct stat st;
    int fd = -1, rc = 0;

    cf_mail_templates_dir(conf, &dir);
    if (dir.len > 0) {
        cf_buf_addf(origin, "%s/%s.txt", dir.data, name);
        fd = open(origin->data, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT) {
            rc = -errno;
            cf_log_errno(CF_LOG_ERR, "%s: open '%s'", __func__, origin->data);
            goto out;
        }
    }
    if (fd >= 0) {
        if (fstat(fd, &st) < 0) {
            rc = -errno;
            cf_log_errno(CF_LOG_ERR, "%s: fstat '%s'", __func__, origin->data);
            goto out;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CF_MAIL_TEMPLATE_MAX) {
            cf_log(CF_LOG_ERR, "%s: '%s' is not a regular file of at most %u "
                   "bytes", __func__, origin->data, CF_MAIL_TEMPLATE_MAX);
            rc = -EINVAL;
            goto out;
        }
        for (;;) {
            ssize_t r;

            cf_buf_grow(text, 4096);
            r = read(fd, text->data + text->len, text->cap - text->len - 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = -errno;
                cf_log_errno(CF_LOG_ERR, "%s: read '%s'", __func__,
                             origin->data);
                goto out;
            }
            if (r == 0)
                break;
            text->len += (size_t)r;
            text->data[text->len] = '\0';
            if (text->len > CF_MAIL_TEMPLATE_MAX) {
                cf_log(CF_LOG_ERR, "%s: '%s' is larger than %u bytes",
                       __func__, origin->data, CF_MAIL_TEMPLATE_MAX);
                rc = -EINVAL;
                goto out;
            }
        }
        goto out;
    }
    for (size_t i = 0; i < CF_MAIL_NDEFAULTS; i++) {
        if (strcmp(cf_mail_defaults[i].name, name) == 0) {
            cf_buf_reset(origin);
            cf_buf_addf(origin, "(embedded)/%s.txt", name);
            cf_buf_adds(text, cf_mail_defaults[i].text);
            goto out;
        }
    }
    cf_log(CF_LOG_ERR, "%s: no template '%s' (looked in '%s' and the "
           "embedded defaults)", __func__, name, dir.len > 0 ? dir.data : "-");
    rc = -ENOENT;
out:
    if (fd >= 0)
        close(fd);
    cf_buf_release(&dir);
    return rc;
}

/*
 * Appends s to out with every {{key}} replaced by the value of key in
 * vars. In a header (header true) values go through
 * cf_mail_add_header_text(). line is the line s starts on, for messages.
 */
static int
cf_mail_subst(struct cf_str s, const char *origin, unsigned line,
              const struct cf_mail_var *vars, size_t n, bool header,
              struct cf_buf *out)
{
    size_t i = 0;

    while (i < s.len) {
        const char *open = NULL, *close;
        struct cf_str key;
        size_t k;

        for (size_t j = i; j + 1 < s.len; j++) {
            if (s.p[j] == '{' && s.p[j + 1] == '{') {
                open = s.p + j;
                break;
            }
        }
        if (open == NULL) {
            cf_buf_add(out, s.p + i, s.len - i);
            break;
        }
        for (const char *q = s.p + i; q < open; q++)
            if (*q == '\n')
                line++;
        cf_buf_add(out, s.p + i, (size_t)(open - (s.p + i)));
        key = cf_str_make(open + 2, s.len - (size_t)(open + 2 - s.p));
        close = NULL;
        for (size_t j = 0; j + 1 < key.len && key.p[j] != '\n'; j++) {
            if (key.p[j] == '}' && key.p[j + 1] == '}') {
                close = key.p + j;
                break;
            }
        }
        if (close == NULL) {
            cf_log(CF_LOG_ERR, "%s:%u: '{{' without '}}' on the same line",
                   origin, line);
            return -EINVAL;
        }
        key.len = (size_t)(close - key.p);
        key = cf_str_trim(key);
        for (k = 0; k < n; k++)
            if (vars[k].key != NULL && cf_str_eq(key, cf_str_from(vars[k].key)))
                break;
        if (k == n) {
            struct cf_buf esc = CF_BUF_INIT;

            cf_log_escape(&esc, key, 64);
            cf_log(CF_LOG_ERR, "%s:%u: unknown placeholder '{{%s}}'", origin,
                   line, esc.data);
            cf_buf_release(&esc);
            return -EINVAL;
        }
        if (header)
            cf_mail_add_header_text(out, cf_str_from(vars[k].value));
        else if (vars[k].value != NULL)
            cf_buf_adds(out, vars[k].value);
        i = (size_t)(close + 2 - s.p);
    }
    return 0;
}

/*
 * Appends body to out with LF line ends, trailing spaces stripped, blank
 * lines at either end dropped and runs of blank lines collapsed to one.
 */
static void
cf_mail_body_tidy(struct cf_str body, struct cf_buf *out)
{
    size_t i = 0;
    bool blank = false;

    while (i < body.len) {
        size_t e = i, next;

        while (e < body.len && body.p[e] != '\r' && body.p[e] != '\n')
            e++;
        next = e;
        if (next < body.len && body.p[next] == '\r')
            next++;
        if (next < body.len && body.p[next] == '\n' &&
            (next == e || body.p[e] == '\r'))
            next++;
        while (e > i && (body.p[e - 1] == ' ' || body.p[e - 1] == '\t'))
            e--;
        if (e == i) {
            blank = true;
        } else {
            if (blank && out->len > 0)
                cf_buf_addc(out, '\n');
            blank = false;
            cf_buf_add(out, body.p + i, e - i);
            cf_buf_addc(out, '\n');
        }
        i = next;
    }
}

/*
 * Parses text (the headers, a blank line, the body), checks it is UTF-8,
 * and substitutes the values into subject and body.
 */
static int
cf_mail_template_apply(struct cf_str text, const char *origin,
                       const struct cf_mail_var *vars, size_t n,
                       struct cf_buf *subject, struct cf_buf *body)
{
    struct cf_buf raw = CF_BUF_INIT;
    struct cf_str trimmed;
    bool have_subject = false;
    unsigned line = 1;
    size_t i = 0;
    int rc;

    for (size_t j = 0; j < text.len;) {
        size_t len = text.p[j] != '\0'
            ? cf_mail_utf8_seq((const unsigned char *)text.p + j, text.len - j)
            : 0;

        if (len == 0) {
            cf_log(CF_LOG_ERR, "%s:%u: not UTF-8 text (byte %zu)", origin,
                   line, j);
            return -EINVAL;
        }
        if (text.p[j] == '\n')
            line++;
        j += len;
    }
    line = 1;
    for (;;) {
        const char *nl = memchr(text.p + i, '\n', text.len - i);
        struct cf_str l, hname, value;
        ssize_t colon;

        if (nl == NULL) {
            cf_log(CF_LOG_ERR, "%s:%u: no blank line between the headers "
                   "and the body", origin, line);
            return -EINVAL;
        }
        l = cf_str_make(text.p + i, (size_t)(nl - (text.p + i)));
        if (l.len > 0 && l.p[l.len - 1] == '\r')
            l.len--;
        i = (size_t)(nl + 1 - text.p);
        if (l.len == 0)
            break;
        colon = cf_str_find(l, ':');
        hname = colon > 0 ? cf_str_trim(cf_str_make(l.p, (size_t)colon))
                          : CF_STR_NULL;
        if (colon <= 0 || !cf_str_eq_ci(hname, CF_STR("Subject")) ||
            hname.p != l.p) {
            struct cf_buf esc = CF_BUF_INIT;

            cf_log_escape(&esc, colon > 0 ? hname : l, 64);
            cf_log(CF_LOG_ERR, "%s:%u: header '%s' not allowed: a template "
                   "starts with 'Subject: ...', then a blank line", origin,
                   line, esc.data);
            cf_buf_release(&esc);
            return -EINVAL;
        }
        if (have_subject) {
            cf_log(CF_LOG_ERR, "%s:%u: a second Subject", origin, line);
            return -EINVAL;
        }
        value = cf_str_trim(cf_str_make(l.p + colon + 1,
                                        l.len - (size_t)colon - 1));
        if ((rc = cf_mail_subst(value, origin, line, vars, n, true,
                                subject)) < 0)
            return rc;
        have_subject = true;
        line++;
    }
    if (!have_subject) {
        cf_log(CF_LOG_ERR, "%s:%u: no Subject header", origin, line);
        return -EINVAL;
    }
    /* a value at either end may have brought spaces: trim the whole */
    trimmed = cf_str_trim(cf_buf_str(subject));
    if (subject->cap > 0) {
        memmove(subject->data, trimmed.p, trimmed.len);
        subject->len = trimmed.len;
        subject->data[subject->len] = '\0';
    }
    rc = cf_mail_subst(cf_str_make(text.p + i, text.len - i), origin,
                       line + 1, vars, n, false, &raw);
    if (rc == 0)
        cf_mail_body_tidy(cf_buf_str(&raw), body);
    cf_buf_release(&raw);
    return rc;
}

int
cf_mail_render(const struct cf_conf *conf, const char *name,
               const struct cf_mail_var *vars, size_t n, char **subject,
               char **body)
{
    struct cf_buf text = CF_BUF_INIT, origin = CF_BUF_INIT;
    struct cf_buf subj = CF_BUF_INIT, bod = CF_BUF_INIT;
    int rc;

    *subject = NULL;
    *body = NULL;
    if (!cf_mail_name_is_valid(name)) {
        struct cf_buf esc = CF_BUF_INIT;

        cf_log_escape(&esc, cf_str_from(name), 64);
        cf_log(CF_LOG_ERR, "%s: bad template name '%s'", __func__, esc.data);
        cf_buf_release(&esc);
        return -EINVAL;
    }
    if ((rc = cf_mail_template_load(conf, name, &text, &origin)) < 0)
        goto out;
    rc = cf_mail_template_apply(cf_buf_str(&text), origin.data, vars, n,
                                &subj, &bod);
    if (rc == 0) {
        *subject = cf_buf_detach(&subj, NULL);
        *body = cf_buf_detach(&bod, NULL);
    }
out:
    cf_buf_release(&text);
    cf_buf_release(&origin);
    cf_buf_release(&subj);
    cf_buf_release(&bod);
    return rc;
}

/* ---- the message ---- */

/*
 * Appends s as RFC 2047 B encoded-words of UTF-8, each holding whole
 * characters (RFC 2047 5), folded onto continuation lines so that no line
 * is longer than 76 characters (RFC 2047 2); col is where the first word
 * starts on its line.
 */
static void
cf_mail_add_encoded_words(struct cf_buf *out, struct cf_str s, size_t col)
{
    size_t i = 0;

    while (i < s.len) {
        size_t j = i, room = col < 40 ? (64 - col) / 4 * 3 : 18;

        if (room > CF_MAIL_EW_BYTES)
            room = CF_MAIL_EW_BYTES;

        while (j < s.len) {
            size_t len = cf_mail_utf8_seq((const unsigned char *)s.p + j,
                                          s.len - j);

            if (len == 0)
                len = 1;        /* a stray byte travels alone */
            if (j + len - i > room)
                break;
            j += len;
        }
        if (i > 0)
            cf_buf_adds(out, "\r\n ");
        cf_buf_adds(out, "=?UTF-8?B?");
        cf_mail_add_base64(out, (const unsigned char *)s.p + i, j - i);
        cf_buf_adds(out, "?=");
        i = j;
        col = 1;
    }
}

/* RFC 5322 3.2.3 atext: what a display name may hold without quotes. */
static bool
cf_mail_is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * Appends a display name (RFC 5322 3.4 display-name): as atoms when it can
 * be, as a quoted-string when it is ASCII with specials, as encoded-words
 * when it is not ASCII or is long.
 */
static void
cf_mail_add_phrase(struct cf_buf *out, struct cf_str name, size_t col)
{
    bool ascii = name.len <= CF_MAIL_PHRASE_PLAIN, atoms = true;

    for (size_t i = 0; i < name.len && ascii; i++) {
        unsigned char c = (unsigned char)name.p[i];

        if (c < 0x20 || c >= 0x7f)
            ascii = false;
        else if (c != ' ' && !cf_mail_is_atext(c))
            atoms = false;
        if (c == '=' && i + 1 < name.len && name.p[i + 1] == '?')
            ascii = false;      /* would read as an encoded-word */
    }
    if (!ascii) {
        cf_mail_add_encoded_words(out, name, col);
    } else if (atoms) {
        cf_buf_addstr(out, name);
    } else {
        cf_buf_addc(out, '"');
        for (size_t i = 0; i < name.len; i++) {
            if (name.p[i] == '"' || name.p[i] == '\\')
                cf_buf_addc(out, '\\');
            cf_buf_addc(out, name.p[i]);
        }
        cf_buf_addc(out, '"');
    }
}

/*
 * Appends "Name <addr>" or "addr" (RFC 5322 3.4 mailbox) to a header line
 * whose name takes col characters.
 */
static void
cf_mail_add_mailbox(struct cf_buf *out, size_t col, const char *name,
                    const char *addr)
{
    struct cf_buf clean = CF_BUF_INIT;

    cf_mail_add_header_text(&clean, cf_str_from(name));
    if (clean.len > 0) {
        cf_mail_add_phrase(out, cf_buf_str(&clean), col);
        cf_buf_addf(out, " <%s>", addr);
    } else {
        cf_buf_adds(out, addr);
    }
    cf_buf_release(&clean);
}

/*
 * Splits mail-from ("Name <addr>", "\"Name\" <addr>" or "addr") into its
 * display name and its address. Returns 0 or -EINVAL (logged).
 */
static int
cf_mail_from_parse(const char *from, struct cf_buf *name, struct cf_buf *addr)
{
    struct cf_str s = cf_str_trim(cf_str_from(from));
    const char *lt = s.len > 0 ? memchr(s.p, '<', s.len) : NULL;

    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
            goto bad;
    if (lt == NULL) {
        cf_buf_addstr(addr, s);
    } else {
        struct cf_str n = cf_str_trim(cf_str_make(s.p, (size_t)(lt - s.p)));

        if (s.p[s.len - 1] != '>')
            goto bad;
        cf_buf_add(addr, lt + 1, (size_t)(s.p + s.len - 1 - (lt + 1)));
        if (n.len >= 2 && n.p[0] == '"' && n.p[n.len - 1] == '"') {
            for (size_t i = 1; i + 1 < n.len; i++) {
                if (n.p[i] == '\\' && i + 2 < n.len)
                    i++;
                cf_buf_addc(name, n.p[i]);
            }
        } else {
            cf_buf_addstr(name, n);
        }
    }
    if (cf_mail_addr_is_valid(addr->data))
        return 0;
bad:
    cf_log(CF_LOG_ERR, "%s: mail-from '%s' is neither 'Name <address>' nor "
           "an address", __func__, from != NULL ? from : "");
    return -EINVAL;
}

/* RFC 5322 3.3 date-time, in UTC and without the locale's names. */
static void
cf_mail_add_date(struct cf_buf *out, time_t now)
{
    static const char days[7][4] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };
    static const char months[12][4] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };
    struct tm tm;

    gmtime_r(&now, &tm);
    cf_buf_addf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
                days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Appends body with CRLF line ends (whatever it had) and a final CRLF;
 * *longest gets the longest line in octets, CRLF excluded.
 */
static void
cf_mail_body_crlf(struct cf_buf *out, struct cf_str body, size_t *longest)
{
    size_t i = 0;

    *longest = 0;
    while (i < body.len) {
        size_t e = i;

        while (e < body.len && body.p[e] != '\r' && body.p[e] != '\n')
            e++;
        cf_buf_add(out, body.p + i, e - i);
        cf_buf_adds(out, "\r\n");
        if (e - i > *longest)
            *longest = e - i;
        if (e < body.len && body.p[e] == '\r' && e + 1 < body.len &&
            body.p[e + 1] == '\n')
            e++;
        i = e + 1;
    }
}

/*
 * Appends text (CRLF lines) as quoted-printable (RFC 2045 6.7): lines of
 * at most 76 characters, soft breaks never inside an =XX.
 */
static void
cf_mail_add_qp(struct cf_buf *out, struct cf_str text)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;

    while (i < text.len) {
        const char *crlf = memchr(text.p + i, '\r', text.len - i);
        size_t e = crlf != NULL ? (size_t)(crlf - text.p) : text.len;
        size_t col = 0;

        for (size_t k = i; k < e; k++) {
            unsigned char c = (unsigned char)text.p[k];
            bool lit = (c >= 33 && c <= 126 && c != '=') ||
                       ((c == ' ' || c == '\t') && k + 1 < e);
            size_t w = lit ? 1 : 3;

            if (col + w > CF_MAIL_QP_COLS - 1) {
                cf_buf_adds(out, "=\r\n");
                col = 0;
            }
            if (lit) {
                cf_buf_addc(out, (char)c);
            } else {
                cf_buf_addc(out, '=');
                cf_buf_addc(out, hex[c >> 4]);
                cf_buf_addc(out, hex[c & 15]);
            }
            col += w;
        }
        cf_buf_adds(out, "\r\n");
        i = e + 2;
    }
}

/*
 * Builds the whole message into msg and the envelope sender into from_addr.
 * Returns 0 or -EINVAL (logged).
 */
static int
cf_mail_build(const struct cf_conf *conf, const char *to_addr,
              const char *to_name, const char *subject, const char *body,
              struct cf_buf *msg, struct cf_buf *from_addr)
{
    struct cf_buf from_name = CF_BUF_INIT, subj = CF_BUF_INIT;
    struct cf_buf text = CF_BUF_INIT;
    const char *host;
    unsigned char rnd[16];
    bool plain = true;
    size_t longest;
    int rc;

    rc = cf_mail_from_parse(conf->mail_from != NULL ? conf->mail_from
                                                    : CF_DEFAULT_MAIL_FROM,
                            &from_name, from_addr);
    if (rc < 0)
        goto out;
    host = strchr(from_addr->data, '@') + 1;

    cf_mail_add_date(msg, time(NULL));
    cf_buf_adds(msg, "From: ");
    cf_mail_add_mailbox(msg, 6, from_name.data, from_addr->data);
    cf_buf_adds(msg, "\r\nTo: ");
    cf_mail_add_mailbox(msg, 4, to_name, to_addr);
    cf_buf_adds(msg, "\r\nSubject: ");
    cf_mail_add_header_text(&subj, cf_str_from(subject));
    for (size_t i = 0; i < subj.len && plain; i++) {
        unsigned char c = (unsigned char)subj.data[i];

        if (c >= 0x7f || (c == '=' && subj.data[i + 1] == '?'))
            plain = false;
    }
    if (plain && subj.len <= CF_MAIL_SUBJECT_PLAIN)
        cf_buf_addstr(msg, cf_buf_str(&subj));
    else
        cf_mail_add_encoded_words(msg, cf_buf_str(&subj), 9);
    randombytes_buf(rnd, sizeof(rnd));
    cf_buf_adds(msg, "\r\nMessage-ID: <");
    cf_mail_add_hex(msg, rnd, sizeof(rnd));
    cf_buf_addf(msg, "@%s>\r\n", host);
    cf_buf_adds(msg, "Auto-Submitted: auto-generated\r\n");   /* RFC 3834 */
    cf_buf_adds(msg, "MIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=UTF-8\r\n");

    cf_mail_body_crlf(&text, cf_str_from(body), &longest);
    if (longest <= CF_MAIL_LINE_MAX) {
        cf_buf_adds(msg, "Content-Transfer-Encoding: 8bit\r\n\r\n");
        cf_buf_addstr(msg, cf_buf_str(&text));
    } else {
        /* RFC 5322 2.1.1: no line over 998 octets; QP folds them */
        cf_buf_adds(msg, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        cf_mail_add_qp(msg, cf_buf_str(&text));
    }
out:
    cf_buf_release(&from_name);
    cf_buf_release(&subj);
    cf_buf_release(&text);
    return rc;
}

/* ---- delivery ---- */

static int
cf_mail_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/*
 * Writes len bytes to dir/tmp, fsyncs them, then puts the file in place
 * as dir/name: rename, or link when replace is false (which, unlike
 * rename, fails with -EEXIST instead of replacing a file). The temp file
 * never outlives the call. Returns 0 or a negative errno, logged except
 * for -EEXIST.
 */
static int
cf_mail_file_put(const char *dir, const char *tmp, const char *name,
                 const char *p, size_t len, bool replace)
{
    struct cf_buf tpath = CF_BUF_INIT, path = CF_BUF_INIT;
    int fd, rc, dfd;

    cf_buf_addf(&tpath, "%s/%s", dir, tmp);
    cf_buf_addf(&path, "%s/%s", dir, name);
    fd = open(tpath.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        rc = -errno;
        cf_log_errno(CF_LOG_ERR, "%s: open '%s'", __func__, tpath.data);
        goto out;
    }
    rc = cf_mail_write_all(fd, p, len);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc < 0) {
        errno = -rc;
        cf_log_errno(CF_LOG_ERR, "%s: write '%s'", __func__, tpath.data);
    } else if (replace ? rename(tpath.data, path.data) < 0
                       : link(tpath.data, path.data) < 0) {
        rc = -errno;
        if (rc != -EEXIST)
            cf_log_errno(CF_LOG_ERR, "%s: %s '%s' to '%s'", __func__,
                         replace ? "rename" : "link", tpath.data, path.data);
    }
    if (rc < 0 || !replace)
        unlink(tpath.data);
    if (rc == 0 && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)fsync(dfd);       /* the new name, durable too */
        close(dfd);
    }
out:
    cf_buf_release(&tpath);
    cf_buf_release(&path);
    return rc;
}

static int
cf_mail_mkdir(const char *dir)
{
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        int rc = -errno;

        cf_log_errno(CF_LOG_ERR, "%s: mkdir '%s'", __func__, dir);
        return rc;
    }
    return 0;
}

/* Writes the message to <data>/outbox/<unix-time>-<16 hex>.eml. */
static int
cf_mail_outbox_put(const struct cf_conf *conf, const char *to_addr,
                   struct cf_str msg)
{
    struct cf_buf dir = CF_BUF_INIT, name = CF_BUF_INIT, tmp = CF_BUF_INIT;
    unsigned char rnd[8];
    int rc;

    if (conf->data_dir == NULL) {
        cf_log(CF_LOG_ERR, "%s: no data directory for the outbox", __func__);
        return -EINVAL;
    }
    cf_buf_addf(&dir, "%s/outbox", conf->data_dir);
    if ((rc = cf_mail_mkdir(dir.data)) < 0)
        goto out;
    randombytes_buf(rnd, sizeof(rnd));
    cf_buf_addf(&name, "%lld-", (long long)time(NULL));
    cf_mail_add_hex(&name, rnd, sizeof(rnd));
    cf_buf_adds(&name, ".eml");
    cf_buf_addf(&tmp, ".%s.tmp", name.data);
    rc = cf_mail_file_put(dir.data, tmp.data, name.data, msg.p, msg.len, true);
    if (rc == 0)
        cf_log(CF_LOG_INFO, "%s: mail to '%s' written to '%s/%s'", __func__,
               to_addr, dir.data, name.data);
out:
    cf_buf_release(&dir);
    cf_buf_release(&name);
    cf_buf_release(&tmp);
    return rc;
}

/* Appends url without its userinfo, so no password reaches a log. */
static void
cf_mail_add_url_redacted(struct cf_buf *out, const char *url)
{
    const char *auth = strstr(url, "://"), *end, *at = NULL;

    if (auth == NULL) {
        cf_buf_adds(out, url);
        return;
    }
    auth += 3;
    end = auth + strcspn(auth, "/?#");
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            at = q;
    cf_buf_add(out, url, (size_t)(auth - url));
    cf_buf_adds(out, at != NULL ? at + 1 : auth);
}

struct cf_mail_upload {
    const char *p;
    size_t len;
    size_t off;
};

static size_t
cf_mail_upload_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct cf_mail_upload *u = arg;
    size_t n = u->len - u->off;

    if (n > nmemb * size)
        n = nmemb * size;
    memcpy(ptr, u->p + u->off, n);
    u->off += n;
    return n;
}

/* Hands the message to the SMTP server of smtp-url. */
static int
cf_mail_smtp_put(const struct cf_conf *conf, const char *from_addr,
                 const char *to_addr, struct cf_str msg)
{
    struct cf_buf url = CF_BUF_INIT, from = CF_BUF_INIT, rcpt = CF_BUF_INIT;
    struct cf_mail_upload up = { msg.p, msg.len, 0 };
    struct curl_slist *rcpts = NULL;
    char err[CURL_ERROR_SIZE];
    CURL *c = NULL;
    CURLcode res = CURLE_OK;
    struct cf_str surl = cf_str_from(conf->smtp_url);
    int rc = 0;

    cf_mail_add_url_redacted(&url, conf->smtp_url);
    if (!cf_str_has_prefix_ci(surl, CF_STR("smtp://")) &&
        !cf_str_has_prefix_ci(surl, CF_STR("smtps://"))) {
        cf_log(CF_LOG_ERR, "%s: smtp-url '%s' is neither smtp:// nor smtps://",
               __func__, url.data);
        rc = -EINVAL;
        goto out;
    }
    cf_buf_addf(&from, "<%s>", from_addr);
    cf_buf_addf(&rcpt, "<%s>", to_addr);
    err[0] = '\0';
    if ((c = curl_easy_init()) == NULL ||
        (rcpts = curl_slist_append(NULL, rcpt.data)) == NULL) {
        cf_log(CF_LOG_ERR, "%s: cannot set up libcurl", __func__);
        rc = -EIO;
        goto out;
    }
#define CF_MAIL_SETOPT(opt, val) \
    do { \
        if (res == CURLE_OK) \
            res = curl_easy_setopt(c, (opt), (val)); \
    } while (0)
    CF_MAIL_SETOPT(CURLOPT_ERRORBUFFER, err);
    CF_MAIL_SETOPT(CURLOPT_URL, conf->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    CF_MAIL_SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    CF_MAIL_SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    /* smtp://: STARTTLS when the server offers it; smtps:// is TLS anyway */
    CF_MAIL_SETOPT(CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    CF_MAIL_SETOPT(CURLOPT_MAIL_FROM, from.data);
    CF_MAIL_SETOPT(CURLOPT_MAIL_RCPT, rcpts);
    CF_MAIL_SETOPT(CURLOPT_UPLOAD, 1L);
    CF_MAIL_SETOPT(CURLOPT_READFUNCTION, cf_mail_upload_read);
    CF_MAIL_SETOPT(CURLOPT_READDATA, &up);
    CF_MAIL_SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
    CF_MAIL_SETOPT(CURLOPT_TIMEOUT, CF_MAIL_SMTP_TIMEOUT_S);
    CF_MAIL_SETOPT(CURLOPT_CONNECTTIMEOUT, CF_MAIL_SMTP_CONNECT_S);
    CF_MAIL_SETOPT(CURLOPT_NOSIGNAL, 1L);   /* worker threads: no SIGALRM */
    if (conf->smtp_user != NULL && conf->smtp_user[0] != '\0') {
        CF_MAIL_SETOPT(CURLOPT_USERNAME, conf->smtp_user);
        if (conf->smtp_password != NULL)
            CF_MAIL_SETOPT(CURLOPT_PASSWORD, conf->smtp_password);
    }
#undef CF_MAIL_SETOPT
    if (res == CURLE_OK)
        res = curl_easy_perform(c);
    if (res != CURLE_OK) {
        cf_log(CF_LOG_ERR, "%s: mail to '%s' through '%s': %s", __func__,
               to_addr, url.data,
               err[0] != '\0' ? err : curl_easy_strerror(res));
        rc = -EIO;
        goto out;
    }
    cf_log(CF_LOG_INFO, "%s: mail to '%s' handed to '%s'", __func__, to_addr,
           url.data);
out:
    curl_slist_free_all(rcpts);
    if (c != NULL)
        curl_easy_cleanup(c);
    cf_buf_release(&url);
    cf_buf_release(&from);
    cf_buf_release(&rcpt);
    return rc;
}

int
cf_mail_send(const struct cf_conf *conf, const char *to_addr,
             const char *to_name, const char *subject, const char *body)
{
    struct cf_buf msg = CF_BUF_INIT, from_addr = CF_BUF_INIT;
    int rc;

    if (!cf_mail_addr_is_valid(to_addr)) {
        struct cf_buf esc = CF_BUF_INIT;

        cf_log_escape(&esc, cf_str_from(to_addr), 256);
        cf_log(CF_LOG_WARN, "%s: refusing recipient '%s': not a single plain "
               "address", __func__, esc.data);
        cf_buf_release(&esc);
        return -EINVAL;
    }
    rc = cf_mail_build(conf, to_addr, to_name, subject != NULL ? subject : "",
                       body != NULL ? body : "", &msg, &from_addr);
    if (rc < 0)
        goto out;
    if (conf->smtp_url != NULL && conf->smtp_url[0] != '\0')
        rc = cf_mail_smtp_put(conf, from_addr.data, to_addr, cf_buf_str(&msg));
    else
        rc = cf_mail_outbox_put(conf, to_addr, cf_buf_str(&msg));
out:
    cf_buf_release(&msg);
    cf_buf_release(&from_addr);
    return rc;
}

int
cf_mail_send_template(const struct cf_conf *conf, const char *name,
                      const char *to_addr, const char *to_name,
                      const struct cf_mail_var *vars, size_t n)
{
    char *subject, *body;
    int rc;

    if ((rc = cf_mail_render(conf, name, vars, n, &subject, &body)) < 0)
        return rc;
    rc = cf_mail_send(conf, to_addr, to_name, subject, body);
    free(subject);
    free(body);
    return rc;
}

int
cf_mail_templates_install(const struct cf_conf *conf)
{
    struct cf_buf dir = CF_BUF_INIT, path = CF_BUF_INIT;
    struct cf_buf name = CF_BUF_INIT, tmp = CF_BUF_INIT;
    int rc = 0;

    cf_mail_templates_dir(conf, &dir);
    if (dir.len == 0) {
        cf_log(CF_LOG_ERR, "%s: neither templates nor data is set", __func__);
        return -EINVAL;
    }
    if ((rc = cf_mail_mkdir(dir.data)) < 0)
        goto out;
    for (size_t i = 0; i < CF_MAIL_NDEFAULTS; i++) {
        const struct cf_mail_default *d = &cf_mail_defaults[i];
        unsigned char rnd[8];
        struct stat st;

        cf_buf_reset(&name);
        cf_buf_reset(&path);
        cf_buf_reset(&tmp);
        cf_buf_addf(&name, "%s.txt", d->name);
        cf_buf_addf(&path, "%s/%s", dir.data, name.data);
        if (lstat(path.data, &st) == 0)
            continue;           /* the administrator's, or ours from before */
        if (errno != ENOENT) {
            rc = -errno;
            cf_log_errno(CF_LOG_ERR, "%s: stat '%s'", __func__, path.data);
            goto out;
        }
        randombytes_buf(rnd, sizeof(rnd));
        cf_buf_addf(&tmp, ".%s.", name.data);
        cf_mail_add_hex(&tmp, rnd, sizeof(rnd));
        cf_buf_adds(&tmp, ".tmp");
        rc = cf_mail_file_put(dir.data, tmp.data, name.data, d->text,
                              strlen(d->text), false);
        if (rc == -EEXIST) {
            rc = 0;             /* someone else's, just now: keep it */
            continue;
        }
        if (rc < 0)
            goto out;
        cf_log(CF_LOG_INFO, "%s: wrote the default template '%s'", __func__,
               path.data);
    }
out:
    cf_buf_release(&dir);
    cf_buf_release(&path);
    cf_buf_release(&name);
    cf_buf_release(&tmp);
    return rc;
}
