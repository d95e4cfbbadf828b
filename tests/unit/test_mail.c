/*
 * test_mail.c: outgoing email (src/mail.c): rendering the embedded and the
 * administrator's templates, installing the defaults, the messages written
 * to the outbox (headers, encodings, refused addresses), and delivery to
 * a real SMTP server: tests/unit/smtp_sink.py, found through COFFER_SRCDIR,
 * on 127.0.0.1 and a port of its choosing.
 *
 * Each test gets its own data directory under $TMPDIR, removed by the
 * teardown together with any sink it started. Errors that the tests provoke
 * are logged on stderr; that output is expected.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coffer/conf.h"
#include "coffer/log.h"
#include "coffer/mail.h"
#include "coffer/str.h"
#include "coffer/banned.h"

struct t_mail {
    char dir[256];              /* the data directory */
    struct cf_conf conf;
    pid_t sink;                 /* smtp_sink.py, or 0 */
    char sink_out[300];         /* where the sink writes messages */
};

static const struct cf_mail_var t_invite_vars[] = {
    { "display_name", "Jane Client" },
    { "login", "jclient" },
    { "inviter", "Paul Partner" },
    { "message", "Here are the contracts we spoke about." },
    { "link", "https://files.example.org/invite/tok3n" },
    { "expires", "2031-05-04 12:00 UTC" },
};
#define T_NINVITE (sizeof(t_invite_vars) / sizeof(t_invite_vars[0]))

/* ---- fixtures and helpers ---- */

static int
t_setup(void **state)
{
    struct t_mail *t = calloc(1, sizeof(*t));
    const char *tmp = getenv("TMPDIR");

    if (t == NULL)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "%s/coffer-test-mail-XXXXXX",
             tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(t->dir) == NULL) {
        free(t);
        return -1;
    }
    cf_conf_defaults(&t->conf);
    free(t->conf.data_dir);
    t->conf.data_dir = cf_xstrdup(t->dir);
    *state = t;
    return 0;
}

static int
t_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
t_teardown(void **state)
{
    struct t_mail *t = *state;
    int rc;

    if (t->sink > 0) {
        kill(t->sink, SIGTERM);
        waitpid(t->sink, NULL, 0);
    }
    rc = nftw(t->dir, t_rm, 16, FTW_DEPTH | FTW_PHYS);
    cf_conf_release(&t->conf);
    free(t);
    return rc;
}

static void
t_set(char **field, const char *value)
{
    free(*field);
    *field = value != NULL ? cf_xstrdup(value) : NULL;
}

/* Reads a whole file into b (emptied first); fails the test if it cannot. */
static void
t_read(const char *path, struct cf_buf *b)
{
    char chunk[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r;

    assert_true(fd >= 0);
    cf_buf_reset(b);
    while ((r = read(fd, chunk, sizeof(chunk))) > 0)
        cf_buf_add(b, chunk, (size_t)r);
    assert_int_equal(r, 0);
    close(fd);
}

static void
t_write(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

/* Writes text as <data>/templates/<name>.txt. */
static void
t_template(struct t_mail *t, const char *name, const char *text)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/templates", t->dir);
    if (mkdir(path, 0750) < 0)
        assert_int_equal(errno, EEXIST);
    snprintf(path, sizeof(path), "%s/templates/%s.txt", t->dir, name);
    t_write(path, text);
}

/*
 * Lists dir: returns the number of entries and copies the name of the last
 * one to name (if given). A missing directory has 0 entries.
 */
static int
t_list(const char *dir, char *name, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (name != NULL)
            snprintf(name, size, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

/* Reads the only message of <data>/outbox into b, checking its name. */
static void
t_outbox_one(struct t_mail *t, struct cf_buf *b)
{
    char dir[512], name[256], path[800];
    const char *dash;

    snprintf(dir, sizeof(dir), "%s/outbox", t->dir);
    assert_int_equal(t_list(dir, name, sizeof(name)), 1);
    /* <unix-time>-<16 hex>.eml, and no temp file left beside it */
    dash = strchr(name, '-');
    assert_non_null(dash);
    assert_true(dash > name);
    for (const char *p = name; p < dash; p++)
        assert_true(*p >= '0' && *p <= '9');
    assert_int_equal(strlen(dash), 1 + 16 + 4);
    for (const char *p = dash + 1; p < dash + 17; p++)
        assert_non_null(strchr("0123456789abcdef", *p));
    assert_string_equal(dash + 17, ".eml");
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    t_read(path, b);
}

/* Every LF is part of a CRLF, and no line is longer than max octets. */
static void
t_assert_crlf_lines(struct cf_str m, size_t max)
{
    size_t start = 0;

    for (size_t i = 0; i < m.len; i++) {
        if (m.p[i] == '\r')
            assert_true(i + 1 < m.len && m.p[i + 1] == '\n');
        if (m.p[i] == '\n') {
            assert_true(i > 0 && m.p[i - 1] == '\r');
            assert_true(i - 1 - start <= max);
            start = i + 1;
        }
    }
    assert_true(m.len >= 2 && m.p[m.len - 2] == '\r' && m.p[m.len - 1] == '\n');
}

/* The message's header block (up to the blank line), for strstr checks. */
static void
t_head(const struct cf_buf *msg, struct cf_buf *head)
{
    const char *end = strstr(msg->data, "\r\n\r\n");

    assert_non_null(end);
    cf_buf_reset(head);
    cf_buf_adds(head, "\r\n");         /* so "\r\nTo: " matches the first */
    cf_buf_add(head, msg->data, (size_t)(end - msg->data) + 2);
}

/* ---- cf_mail_render ---- */

static void
test_render_invite_default_has_every_value(void **state)
{
    struct t_mail *t = *state;
    char *subject = NULL, *body = NULL;

    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &subject, &body), 0);
    assert_non_null(strstr(subject, "Paul Partner"));
    assert_null(strchr(subject, '\n'));
    for (size_t i = 0; i < T_NINVITE; i++)
        assert_non_null(strstr(body, t_invite_vars[i].value));
    assert_null(strstr(body, "{{"));
    assert_null(strstr(body, "}}"));
    /* the link on a line of its own, so mail readers make it clickable */
    assert_non_null(strstr(body, "\nhttps://files.example.org/invite/tok3n\n"));
    free(subject);
    free(body);
}

static void
test_render_invite_without_message_leaves_no_hole(void **state)
{
    struct t_mail *t = *state;
    struct cf_mail_var v[T_NINVITE];
    char *subject = NULL, *body = NULL;

    memcpy(v, t_invite_vars, sizeof(v));
    for (size_t i = 0; i < T_NINVITE; i++)
        if (strcmp(v[i].key, "message") == 0)
            v[i].value = "";
    assert_int_equal(cf_mail_render(&t->conf, "invite", v, T_NINVITE,
                                    &subject, &body), 0);
    assert_null(strstr(body, "\n\n\n"));
    assert_non_null(strstr(body, "jclient"));
    free(subject);
    free(body);
}

static void
test_render_reset_default_has_every_value(void **state)
{
    struct t_mail *t = *state;
    static const struct cf_mail_var v[] = {
        { "display_name", "Jane Client" },
        { "login", "jclient" },
        { "link", "https://files.example.org/reset/r3set" },
        { "expires", "2031-05-04 12:00 UTC" },
    };
    char *subject = NULL, *body = NULL;

    assert_int_equal(cf_mail_render(&t->conf, "reset", v, 4, &subject,
                                    &body), 0);
    assert_true(strlen(subject) > 0);
    for (size_t i = 0; i < 4; i++)
        assert_non_null(strstr(body, v[i].value));
    assert_null(strstr(body, "{{"));
    free(subject);
    free(body);
}

static void
test_render_file_overrides_default(void **state)
{
    struct t_mail *t = *state;
    char *subject = NULL, *body = NULL;
    char other[512];

    t_template(t, "invite", "Subject: Hi {{ login }}\r\n\r\n"
                            "Body {{link}} for {{display_name}}\r\n");
    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &subject, &body), 0);
    assert_string_equal(subject, "Hi jclient");
    assert_string_equal(body, "Body https://files.example.org/invite/tok3n "
                              "for Jane Client\n");
    free(subject);
    free(body);

    /* "templates" names another directory: the file there wins */
    snprintf(other, sizeof(other), "%s/elsewhere", t->dir);
    assert_int_equal(mkdir(other, 0750), 0);
    t_set(&t->conf.templates, other);
    snprintf(other, sizeof(other), "%s/elsewhere/invite.txt", t->dir);
    t_write(other, "Subject: Elsewhere\n\nfrom elsewhere\n");
    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &subject, &body), 0);
    assert_string_equal(subject, "Elsewhere");
    assert_string_equal(body, "from elsewhere\n");
    free(subject);
    free(body);

    /* a template of the administrator's own, with no embedded default */
    t_template(t, "welcome", "Subject: x\n\ny\n");
    assert_int_equal(cf_mail_render(&t->conf, "welcome", NULL, 0, &subject,
                                    &body), -ENOENT);  /* not in "elsewhere" */
    t_set(&t->conf.templates, NULL);
    assert_int_equal(cf_mail_render(&t->conf, "welcome", NULL, 0, &subject,
                                    &body), 0);
    assert_string_equal(body, "y\n");
    free(subject);
    free(body);
}

static void
test_render_unknown_placeholder_is_einval(void **state)
{
    struct t_mail *t = *state;
    char *subject = (char *)"x", *body = (char *)"x";

    t_template(t, "invite", "Subject: Hello\n\nOpen {{lnik}}\n");
    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &subject, &body), -EINVAL);
    assert_null(subject);
    assert_null(body);

    t_template(t, "invite", "Subject: Hello {{nobody}}\n\nOpen {{link}}\n");
    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &subject, &body), -EINVAL);

    /* "{{" with no "}}" on its line */
    t_template(t, "invite", "Subject: Hello\n\nOpen {{link\n}}\n");
    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &subject, &body), -EINVAL);
}

static void
test_render_subject_value_newlines_removed(void **state)
{
    struct t_mail *t = *state;
    static const struct cf_mail_var v[] = {
        { "display_name", "Eve\r\nBcc: victim@example.org\n" },
        { "login", "eve" },
        { "link", "https://x/" },
        { "expires", "never" },
    };
    char *subject = NULL, *body = NULL;

    t_template(t, "reset", "Subject: Hello {{display_name}}, again\n\n"
                           "{{login}}\n");
    assert_int_equal(cf_mail_render(&t->conf, "reset", v, 4, &subject,
                                    &body), 0);
    assert_null(strchr(subject, '\r'));
    assert_null(strchr(subject, '\n'));
    assert_string_equal(subject, "Hello Eve Bcc: victim@example.org, again");
    free(subject);
    free(body);
}

static void
test_render_bad_templates_are_einval(void **state)
{
    struct t_mail *t = *state;
    char *subject = NULL, *body = NULL;
    static const char *const bad[] = {
        "Subject: x\nFrom: evil@example.org\n\nbody\n",   /* other header */
        "Bcc: evil@example.org\n\nbody\n",
        "Subject: x\n body continued\n\nbody\n",          /* folded */
        "Subject: x\nSubject: y\n\nbody\n",
        "\nbody only\n",                                  /* no Subject */
        "Subject: x\nbody without a blank line\n",
        "Subject: x",
        "Subject: x\n\nnot UTF-8: \xc3\x28\n",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t_template(t, "reset", bad[i]);
        assert_int_equal(cf_mail_render(&t->conf, "reset", t_invite_vars,
                                        T_NINVITE, &subject, &body), -EINVAL);
        assert_null(subject);
    }
    /* the same shapes, fixed, render */
    t_template(t, "reset", "subject: x\n\nnot UTF-8: \xc3\xa9\n");
    assert_int_equal(cf_mail_render(&t->conf, "reset", NULL, 0, &subject,
                                    &body), 0);
    free(subject);
    free(body);
    /* names that are not file names, and names nobody has */
    assert_int_equal(cf_mail_render(&t->conf, "../invite", NULL, 0, &subject,
                                    &body), -EINVAL);
    assert_int_equal(cf_mail_render(&t->conf, "nosuch", NULL, 0, &subject,
                                    &body), -ENOENT);
}

/* ---- cf_mail_templates_install ---- */

static void
test_templates_install_once_never_overwrites(void **state)
{
    struct t_mail *t = *state;
    struct cf_buf b = CF_BUF_INIT;
    char dir[512], path[600];
    struct stat st;

    snprintf(dir, sizeof(dir), "%s/templates", t->dir);
    assert_int_equal(cf_mail_templates_install(&t->conf), 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    assert_int_equal(t_list(dir, NULL, 0), 2);      /* no temp files */
    snprintf(path, sizeof(path), "%s/invite.txt", dir);
    t_read(path, &b);
    assert_true(strncmp(b.data, "Subject: ", 9) == 0);
    assert_non_null(strstr(b.data, "{{link}}"));
    snprintf(path, sizeof(path), "%s/reset.txt", dir);
    t_read(path, &b);
    assert_non_null(strstr(b.data, "{{link}}"));

    /* the administrator edits one and deletes the other */
    snprintf(path, sizeof(path), "%s/invite.txt", dir);
    t_write(path, "Subject: mine\n\nmine {{link}}\n");
    snprintf(path, sizeof(path), "%s/reset.txt", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(cf_mail_templates_install(&t->conf), 0);
    assert_int_equal(t_list(dir, NULL, 0), 2);
    snprintf(path, sizeof(path), "%s/invite.txt", dir);
    t_read(path, &b);
    assert_string_equal(b.data, "Subject: mine\n\nmine {{link}}\n");
    snprintf(path, sizeof(path), "%s/reset.txt", dir);
    t_read(path, &b);
    assert_true(strncmp(b.data, "Subject: ", 9) == 0);
    cf_buf_release(&b);
}

static void
test_templates_installed_render_like_embedded(void **state)
{
    struct t_mail *t = *state;
    char *s1, *b1, *s2, *b2;

    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &s1, &b1), 0);
    assert_int_equal(cf_mail_templates_install(&t->conf), 0);
    assert_int_equal(cf_mail_render(&t->conf, "invite", t_invite_vars,
                                    T_NINVITE, &s2, &b2), 0);
    assert_string_equal(s1, s2);
    assert_string_equal(b1, b2);
    free(s1);
    free(b1);
    free(s2);
    free(b2);
}

/* ---- cf_mail_send to the outbox ---- */

static void
test_outbox_message_headers_and_crlf(void **state)
{
    struct t_mail *t = *state;
    struct cf_buf m = CF_BUF_INIT, h = CF_BUF_INIT;
    char dir[512];

    assert_int_equal(cf_mail_send(&t->conf, "client@example.org", "Jane Doe",
                                  "Your invitation", "line one\nline two\n"
                                  ".dot line\n"), 0);
    t_outbox_one(t, &m);
    t_assert_crlf_lines(cf_buf_str(&m), 998);
    t_head(&m, &h);
    assert_true(strncmp(m.data, "Date: ", 6) == 0);
    assert_non_null(strstr(h.data, "\r\nFrom: Coffer <coffer@localhost>\r\n"));
    assert_non_null(strstr(h.data, "\r\nTo: Jane Doe "
                                   "<client@example.org>\r\n"));
    assert_non_null(strstr(h.data, "\r\nSubject: Your invitation\r\n"));
    assert_non_null(strstr(h.data, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(h.data, "\r\nContent-Type: text/plain; "
                                   "charset=UTF-8\r\n"));
    assert_non_null(strstr(h.data, "\r\nContent-Transfer-Encoding: 8bit\r\n"));
    assert_non_null(strstr(h.data, "\r\nMessage-ID: <"));
    assert_non_null(strstr(h.data, "@localhost>\r\n"));
    assert_non_null(strstr(m.data, "\r\n\r\nline one\r\nline two\r\n"
                                   ".dot line\r\n"));
    /* no Bcc, no Cc: one recipient */
    assert_null(strstr(h.data, "\r\nBcc:"));
    assert_null(strstr(h.data, "\r\nCc:"));

    /* a second message: a second file */
    assert_int_equal(cf_mail_send(&t->conf, "other@example.org", NULL, "x",
                                  "y"), 0);
    snprintf(dir, sizeof(dir), "%s/outbox", t->dir);
    assert_int_equal(t_list(dir, NULL, 0), 2);
    cf_buf_release(&m);
    cf_buf_release(&h);
}

static void
test_outbox_utf8_subject_and_name_encoded(void **state)
{
    struct t_mail *t = *state;
    struct cf_buf m = CF_BUF_INIT, h = CF_BUF_INIT;

    t_set(&t->conf.mail_from, "\"Files, Inc.\" <files@coffer.example>");
    assert_int_equal(cf_mail_send(&t->conf, "zoe@example.org",
                                  "Zo\xc3\xab M\xc3\xbcller",
                                  "Dossier \xc3\xa9t\xc3\xa9 2024",
                                  "Bonjour Zo\xc3\xab\n"), 0);
    t_outbox_one(t, &m);
    t_assert_crlf_lines(cf_buf_str(&m), 998);
    t_head(&m, &h);
    /* RFC 2047: B-encoded UTF-8; no raw 8-bit byte in the header */
    assert_non_null(strstr(h.data, "\r\nSubject: =?UTF-8?B?"
                                   "RG9zc2llciDDqXTDqSAyMDI0?=\r\n"));
    assert_non_null(strstr(h.data, "\r\nTo: =?UTF-8?B?Wm/DqyBNw7xsbGVy?= "
                                   "<zoe@example.org>\r\n"));
    for (size_t i = 0; i < h.len; i++)
        assert_true((unsigned char)h.data[i] < 0x80);
    /* specials in an ASCII name: a quoted-string */
    assert_non_null(strstr(h.data, "\r\nFrom: \"Files, Inc.\" "
                                   "<files@coffer.example>\r\n"));
    assert_non_null(strstr(h.data, "@coffer.example>\r\n"));
    assert_non_null(strstr(m.data, "\r\n\r\nBonjour Zo\xc3\xab\r\n"));
    cf_buf_release(&m);
    cf_buf_release(&h);
}

static void
test_outbox_long_subject_and_lines_stay_short(void **state)
{
    struct t_mail *t = *state;
    struct cf_buf m = CF_BUF_INIT, h = CF_BUF_INIT, subj = CF_BUF_INIT;
    struct cf_buf body = CF_BUF_INIT;

    for (int i = 0; i < 100; i++)
        cf_buf_adds(&subj, "\xc3\xa9t\xc3\xa9 ");
    for (int i = 0; i < 300; i++)
        cf_buf_adds(&body, "a=b \xc3\xa9 ");
    cf_buf_adds(&body, "\nshort\n");
    assert_int_equal(cf_mail_send(&t->conf, "client@example.org", NULL,
                                  subj.data, body.data), 0);
    t_outbox_one(t, &m);
    /* RFC 2047 2 and RFC 2045 6.7: header and QP lines of at most 76 */
    t_assert_crlf_lines(cf_buf_str(&m), 76);
    t_head(&m, &h);
    assert_non_null(strstr(h.data, "\r\nTo: client@example.org\r\n"));
    assert_non_null(strstr(h.data, "\r\nSubject: =?UTF-8?B?"));
    assert_non_null(strstr(h.data, "?=\r\n =?UTF-8?B?"));
    assert_non_null(strstr(h.data, "\r\nContent-Transfer-Encoding: "
                                   "quoted-printable\r\n"));
    assert_non_null(strstr(m.data, "\r\n\r\na=3Db =C3=A9 a=3Db"));
    assert_non_null(strstr(m.data, "\r\nshort\r\n"));
    cf_buf_release(&m);
    cf_buf_release(&h);
    cf_buf_release(&subj);
    cf_buf_release(&body);
}

static void
test_outbox_bad_addresses_are_einval(void **state)
{
    struct t_mail *t = *state;
    static const char *const bad[] = {
        "a@b\r\nBcc: x@y", "a,b@c", "nobody", "a@b@c", "<a@b>", "a@b>",
        "", "@b", "a@", "a b@c", "a@b\n", "a@b;c@d",
    };
    char dir[512];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cf_mail_send(&t->conf, bad[i], "X", "s", "b"),
                         -EINVAL);
    assert_int_equal(cf_mail_send(&t->conf, NULL, "X", "s", "b"), -EINVAL);
    snprintf(dir, sizeof(dir), "%s/outbox", t->dir);
    assert_int_equal(t_list(dir, NULL, 0), 0);

    /* a display name cannot add a header or a recipient either */
    assert_int_equal(cf_mail_send(&t->conf, "a@b.example",
                                  "X\r\nBcc: x@y.example", "s", "b"), 0);
    {
        struct cf_buf m = CF_BUF_INIT, h = CF_BUF_INIT;

        t_outbox_one(t, &m);
        t_head(&m, &h);
        assert_null(strstr(h.data, "\r\nBcc:"));
        assert_non_null(strstr(h.data, "\r\nTo: \"X Bcc: x@y.example\" "
                                       "<a@b.example>\r\n"));
        cf_buf_release(&m);
        cf_buf_release(&h);
    }
}

static void
test_send_template_writes_rendered_message(void **state)
{
    struct t_mail *t = *state;
    struct cf_buf m = CF_BUF_INIT;

    assert_int_equal(cf_mail_send_template(&t->conf, "invite",
                                           "client@example.org", "Jane Client",
                                           t_invite_vars, T_NINVITE), 0);
    t_outbox_one(t, &m);
    assert_non_null(strstr(m.data, "\r\nhttps://files.example.org/invite/"
                                   "tok3n\r\n"));
    assert_int_equal(cf_mail_send_template(&t->conf, "nosuch",
                                           "client@example.org", NULL, NULL, 0),
                     -ENOENT);
    cf_buf_release(&m);
}

/* ---- cf_mail_send through SMTP ---- */

/* Starts smtp_sink.py and points smtp_url at it. */
static void
t_sink_start(struct t_mail *t)
{
    const char *src = getenv("COFFER_SRCDIR");
    char script[512], port_file[400], url[64], parent[32];
    struct cf_buf b = CF_BUF_INIT;
    uint64_t port = 0;

    snprintf(script, sizeof(script), "%s/tests/unit/smtp_sink.py",
             src != NULL && *src != '\0' ? src : ".");
    snprintf(port_file, sizeof(port_file), "%s/sink.port", t->dir);
    snprintf(t->sink_out, sizeof(t->sink_out), "%s/sink", t->dir);
    snprintf(parent, sizeof(parent), "%ld", (long)getpid());
    assert_int_equal(access(script, R_OK), 0);
    t->sink = fork();
    assert_true(t->sink >= 0);
    if (t->sink == 0) {
        execlp("python3", "python3", script, "--port-file", port_file,
               "--out", t->sink_out, "--parent", parent, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && access(port_file, R_OK) != 0; i++) {
        assert_int_equal(waitpid(t->sink, NULL, WNOHANG), 0);
        usleep(50 * 1000);
    }
    t_read(port_file, &b);
    while (b.len > 0 && b.data[b.len - 1] == '\n')
        b.len--;
    assert_int_equal(cf_parse_u64(b.data, b.len, 65535, &port), 0);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", (unsigned)port);
    t_set(&t->conf.smtp_url, url);
    cf_buf_release(&b);
}

static void
test_smtp_delivers_to_sink(void **state)
{
    struct t_mail *t = *state;
    struct cf_buf m = CF_BUF_INIT;
    char path[600], dir[512];

    t_sink_start(t);
    assert_int_equal(cf_mail_send(&t->conf, "client@example.org", "Jane",
                                  "Over SMTP", "Hello over SMTP\n"
                                  ".a line that starts with a dot\n"), 0);
    /* the sink answers 250 only after writing the file */
    snprintf(path, sizeof(path), "%s/1.eml", t->sink_out);
    t_read(path, &m);
    assert_non_null(strstr(m.data, "X-Sink-Mail-From: <coffer@localhost>\r\n"));
    assert_non_null(strstr(m.data, "X-Sink-Rcpt-To: <client@example.org>\r\n"));
    assert_int_equal(t_list(t->sink_out, NULL, 0), 1);
    assert_non_null(strstr(m.data, "\r\nTo: Jane <client@example.org>\r\n"));
    assert_non_null(strstr(m.data, "\r\nSubject: Over SMTP\r\n"));
    assert_non_null(strstr(m.data, "\r\n\r\nHello over SMTP\r\n"
                                   ".a line that starts with a dot\r\n"));
    /* one recipient only */
    assert_null(strstr(strstr(m.data, "X-Sink-Rcpt-To:") + 1,
                       "X-Sink-Rcpt-To:"));
    /* nothing went to the outbox */
    snprintf(dir, sizeof(dir), "%s/outbox", t->dir);
    assert_int_equal(t_list(dir, NULL, 0), 0);
    cf_buf_release(&m);
}

static void
test_smtp_closed_port_is_eio_quickly_without_password(void **state)
{
    struct t_mail *t = *state;
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    struct cf_buf log = CF_BUF_INIT;
    char url[128], logpath[512];
    struct timespec t0, t1;
    int s, saved, lfd;

    /* a port that was free a moment ago and has no listener now */
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    close(s);
    snprintf(url, sizeof(url), "smtp://mailer:s3cr3t-in-url@127.0.0.1:%u",
             (unsigned)ntohs(sa.sin_port));
    t_set(&t->conf.smtp_url, url);
    t_set(&t->conf.smtp_user, "mailer");
    t_set(&t->conf.smtp_password, "s3cr3t-in-conf");

    /* the error log goes to stderr (fd 2): capture it for this call */
    snprintf(logpath, sizeof(logpath), "%s/err.log", t->dir);
    lfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(lfd >= 0);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(lfd, 2), 2);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s = cf_mail_send(&t->conf, "client@example.org", NULL, "s", "b");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dup2(saved, 2);
    close(saved);
    close(lfd);

    assert_int_equal(s, -EIO);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    t_read(logpath, &log);
    assert_non_null(strstr(log.data, "127.0.0.1"));
    assert_null(strstr(log.data, "s3cr3t"));
    cf_buf_release(&log);
}

static void
test_smtp_url_scheme_must_be_smtp(void **state)
{
    struct t_mail *t = *state;

    t_set(&t->conf.smtp_url, "http://127.0.0.1:1/");
    assert_int_equal(cf_mail_send(&t->conf, "client@example.org", NULL, "s",
                                  "b"), -EINVAL);
}

static int
t_group_setup(void **state)
{
    (void)state;
    cf_mail_global_init();
    return 0;
}

static int
t_group_teardown(void **state)
{
    (void)state;
    cf_mail_global_cleanup();
    return 0;
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, t_setup, t_teardown)
    const struct CMUnitTest tests[] = {
        T(test_render_invite_default_has_every_value),
        T(test_render_invite_without_message_leaves_no_hole),
        T(test_render_reset_default_has_every_value),
        T(test_render_file_overrides_default),
        T(test_render_unknown_placeholder_is_einval),
        T(test_render_subject_value_newlines_removed),
        T(test_render_bad_templates_are_einval),
        T(test_templates_install_once_never_overwrites),
        T(test_templates_installed_render_like_embedded),
        T(test_outbox_message_headers_and_crlf),
        T(test_outbox_utf8_subject_and_name_encoded),
        T(test_outbox_long_subject_and_lines_stay_short),
        T(test_outbox_bad_addresses_are_einval),
        T(test_send_template_writes_rendered_message),
        T(test_smtp_delivers_to_sink),
        T(test_smtp_closed_port_is_eio_quickly_without_password),
        T(test_smtp_url_scheme_must_be_smtp),
    };
#undef T

    return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
