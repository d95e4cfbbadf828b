/*
 * cofferctl.c: the offline administration CLI. It works on a data
 * directory directly (SQLite in WAL mode, so it is safe while cofferd runs)
 * and goes through the identity service (ident.h) for every change, so the
 * rules, the audit log and the auth epoch are the same as for the REST API:
 * a password changed or a user blocked here takes effect in the running
 * server on its very next request.
 *
 *   cofferctl [--data DIR] [-c FILE] [--json] COMMAND ...
 *
 * It must not write anything itself: no SQL, no files, only ident.h and
 * storage.h reads. Exit status: 0 done, 1 failed (a message on stderr
 * names what was wrong), 2 bad usage. With --json, exactly one JSON
 * document goes to stdout.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "coffer/conf.h"
#include "coffer/ident.h"
#include "coffer/log.h"
#include "coffer/pool.h"
#include "coffer/storage.h"
#include "coffer/str.h"
#include "coffer/banned.h"

#define CF_CTL_OK 0
#define CF_CTL_FAIL 1
#define CF_CTL_USAGE 2

#define CF_CTL_AUDIT_LIMIT 100u         /* entries shown without --limit */
#define CF_CTL_AUDIT_LIMIT_MAX 1000000u
#define CF_CTL_DURATION_MAX (100ull * 366 * 86400)  /* a century */

/* Everything a command works with; main owns it and frees it. */
struct cf_ctl {
    const char *conf_file;      /* -c, or NULL */
    const char *data_dir;       /* --data, or NULL: the config's (./data) */
    bool json;
    bool conf_ready;
    struct cf_conf conf;
    struct stor_db *db;
    struct stor_repos *repos;
    struct acl_epoch *epoch;
    struct acl_ident x;
    char actor[96];             /* "cli:" and the Unix user name */
};

static void
cf_ctl_usage(FILE *f)
{
    fprintf(f,
        "usage: cofferctl [--data DIR] [-c FILE] [--json] COMMAND ...\n"
        "\n"
        "Administers the data directory of cofferd (default ./data) directly. It is\n"
        "safe while cofferd runs, and the server sees every change at once.\n"
        "\n"
        "  user add LOGIN --email EMAIL --role ROLE [--name NAME] [--password-stdin]\n"
        "                         without --password-stdin the user is invited (no\n"
        "                         password yet); with it, one line of stdin is his\n"
        "                         password\n"
        "  user list [--query Q]  users whose login, name or email contains Q\n"
        "  user show LOGIN\n"
        "  user block LOGIN [--until TIME | --for DURATION]   no option: for good\n"
        "  user unblock LOGIN\n"
        "  user passwd LOGIN      new password from stdin (asked twice on a terminal)\n"
        "  user role LOGIN ROLE   administrator, internal, external, guest or your own\n"
        "  audit [--actor LOGIN] [--target NAME] [--action ACTION] [--since TIME]\n"
        "        [--until TIME] [--limit N]\n"
        "                         newest first, 100 entries unless --limit; an ACTION\n"
        "                         ending in '.' matches as a prefix (\"user.\")\n"
        "  help\n"
        "\n"
        "  -c FILE       the cofferd config file (password policy, argon2 cost, data)\n"
        "  --data DIR    the data directory (overrides the config file)\n"
        "  --json        print one JSON document on stdout\n"
        "\n"
        "TIME is RFC 3339 (2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00) or a date\n"
        "(2025-06-01, midnight UTC); audit's --since and --until also take a DURATION,\n"
        "meaning that long ago. DURATION is a number and s, m, h, d or w (90m, 2h, 3d).\n"
        "Exit status: 0 done, 1 failed, 2 bad usage.\n");
}

/* Prints "cofferctl: ..." on stderr; returns CF_CTL_FAIL. */
static int cf_ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
cf_ctl_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("cofferctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CF_CTL_FAIL;
}

/* A usage mistake: the message, a pointer to help; returns CF_CTL_USAGE. */
static int cf_ctl_bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
cf_ctl_bad_usage(const char *fmt, ...)
{
    va_list ap;

    fputs("cofferctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    cf_ctl_usage(stderr);
    return CF_CTL_USAGE;
}

/* The reason an identity call failed, for the person at the terminal. */
static const char *
cf_ctl_why(const struct cf_ctl *c, int rc)
{
    if (c->x.why != NULL)
        return c->x.why;
    if (rc == -EBUSY)
        return "the database is busy; try again";
    return strerror(rc < 0 ? -rc : rc);
}

/* ---- times and durations ---- */

/* "2025-06-01T12:00:00Z" into buf (at least 21 bytes). */
static const char *
cf_ctl_time_fmt(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "@%" PRId64, t);
    return buf;
}

/* Exactly n digits at p (the string may be shorter), at most max. */
static bool
cf_ctl_digits(const char *p, size_t n, unsigned max, unsigned *out)
{
    uint64_t v;

    if (strnlen(p, n) != n || cf_parse_u64(p, n, max, &v) < 0)
        return false;
    *out = (unsigned)v;
    return true;
}

/*
 * Parses an RFC 3339 time (section 5.6: date "T" time, fraction ignored,
 * "Z" or a numeric offset) or a bare date, meaning midnight UTC. Returns
 * 0 with the unix time, or -EINVAL.
 */
static int
cf_ctl_time_parse(const char *s, int64_t *out)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
    int sign = 0;
    struct tm tm, back;
    const char *p = s;
    time_t t;

    if (!cf_ctl_digits(p, 4, 9999, &y) || p[4] != '-' || !cf_ctl_digits(p + 5, 2, 12, &mo) ||
        p[7] != '-' || !cf_ctl_digits(p + 8, 2, 31, &d) || y < 1970 || mo < 1 || d < 1)
        return -EINVAL;
    p += 10;
    if (*p != '\0') {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -EINVAL;
        if (!cf_ctl_digits(p + 1, 2, 23, &h) || p[3] != ':' ||
            !cf_ctl_digits(p + 4, 2, 59, &mi) || p[6] != ':' ||
            !cf_ctl_digits(p + 7, 2, 60, &sec))
            return -EINVAL;
        p += 9;
        if (*p == '.') {
            if (p[1] < '0' || p[1] > '9')
                return -EINVAL;
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p == '+' ? 1 : -1;
            if (!cf_ctl_digits(p + 1, 2, 23, &oh) || p[3] != ':' ||
                !cf_ctl_digits(p + 4, 2, 59, &om))
                return -EINVAL;
            p += 6;
        } else {
            return -EINVAL;     /* RFC 3339 times carry their offset */
        }
        if (*p != '\0')
            return -EINVAL;
    }
    if (sec == 60)
        sec = 59;               /* a leap second: the second before will do */
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)h;
    tm.tm_min = (int)mi;
    tm.tm_sec = (int)sec;
    if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
        back.tm_mday != (int)d || back.tm_mon != (int)mo - 1)
        return -EINVAL;         /* 31 April, 29 February of a common year */
    *out = (int64_t)t - sign * (int64_t)(oh * 3600 + om * 60);
    return 0;
}

/* "90m", "2h", "3d", "1w", or plain seconds; at least one second. */
static int
cf_ctl_duration_parse(const char *s, int64_t *out)
{
    size_t n = strspn(s, "0123456789");
    uint64_t v, mul;

    if (n == 0 || cf_parse_u64(s, n, CF_CTL_DURATION_MAX, &v) < 0)
        return -EINVAL;
    switch (s[n]) {
    case '\0': case 's': mul = 1; break;
    case 'm': mul = 60; break;
    case 'h': mul = 3600; break;
    case 'd': mul = 86400; break;
    case 'w': mul = 7 * 86400; break;
    default: return -EINVAL;
    }
    if (s[n] != '\0' && s[n + 1] != '\0')
        return -EINVAL;
    if (v == 0 || v > CF_CTL_DURATION_MAX / mul)
        return -EINVAL;
    *out = (int64_t)(v * mul);
    return 0;
}

/* ---- JSON ---- */

/* A JSON string, null for NULL; bytes that are not UTF-8 become '?'. */
static json_t *
cf_ctl_jstr(const char *s)
{
    json_t *j;
    char *copy;

    if (s == NULL)
        return json_null();
    if ((j = json_string(s)) != NULL)
        return j;
    copy = cf_xstrdup(s);
    for (char *p = copy; *p != '\0'; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j != NULL ? j : json_null();
}

static json_t *
cf_ctl_jtime(int64_t t)
{
    char buf[32];

    return json_string(cf_ctl_time_fmt(t, buf, sizeof(buf)));
}

static json_t *
cf_ctl_user_json(const struct stor_user *u)
{
    json_t *o = json_object();
    bool blocked = u->status != NULL && strcmp(u->status, "blocked") == 0;

    json_object_set_new(o, "login", cf_ctl_jstr(u->login));
    json_object_set_new(o, "display_name", cf_ctl_jstr(u->display_name));
    json_object_set_new(o, "email", cf_ctl_jstr(u->email));
    json_object_set_new(o, "role", cf_ctl_jstr(u->role));
    json_object_set_new(o, "status", cf_ctl_jstr(u->status));
    json_object_set_new(o, "blocked_until",
                        blocked && u->blocked_until > 0 ? cf_ctl_jtime(u->blocked_until)
                                                        : json_null());
    json_object_set_new(o, "two_factor", json_boolean(u->totp_on));
    json_object_set_new(o, "created", cf_ctl_jtime(u->created));
    json_object_set_new(o, "last_login",
                        u->last_login > 0 ? cf_ctl_jtime(u->last_login) : json_null());
    json_object_set_new(o, "contact",
                        u->contact > 0 ? json_integer((json_int_t)u->contact) : json_null());
    return o;
}

/* Prints doc on stdout and drops it. */
static void
cf_ctl_json_print(json_t *doc)
{
    json_dumpf(doc, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(doc);
}

/* ---- human output ---- */

static void
cf_ctl_user_print(const struct stor_user *u)
{
    char t[32];

    printf("login:          %s\n", u->login);
    printf("display_name:   %s\n", u->display_name ? u->display_name : "");
    printf("email:          %s\n", u->email ? u->email : "");
    printf("role:           %s\n", u->role);
    printf("status:         %s\n", u->status);
    if (strcmp(u->status, "blocked") == 0)
        printf("blocked_until:  %s\n", u->blocked_until > 0
                   ? cf_ctl_time_fmt(u->blocked_until, t, sizeof(t)) : "permanent");
    else
        printf("blocked_until:  -\n");
    printf("two_factor:     %s\n", u->totp_on ? "on" : "off");
    printf("created:        %s\n", cf_ctl_time_fmt(u->created, t, sizeof(t)));
    printf("last_login:     %s\n",
           u->last_login > 0 ? cf_ctl_time_fmt(u->last_login, t, sizeof(t)) : "never");
    if (u->contact > 0)
        printf("contact:        %" PRId64 "\n", u->contact);
    else
        printf("contact:        -\n");
}

/*
 * Prints the objects of items as a table: one column per key (heads[i] its
 * title), each as wide as its widest cell but the last; a null cell shows
 * as nulls[i].
 */
static void
cf_ctl_table_print(json_t *items, const char *const *keys, const char *const *heads,
                   const char *const *nulls, size_t ncols)
{
    size_t width[8], i;
    json_t *row;

    if (ncols > 8)
        ncols = 8;
    for (size_t k = 0; k < ncols; k++)
        width[k] = strlen(heads[k]);
    json_array_foreach(items, i, row) {
        for (size_t k = 0; k < ncols; k++) {
            json_t *v = json_object_get(row, keys[k]);
            size_t n = strlen(json_is_string(v) ? json_string_value(v) : nulls[k]);

            if (n > width[k])
                width[k] = n;
        }
    }
    for (size_t k = 0; k < ncols; k++) {
        if (k + 1 < ncols)
            printf("%-*s  ", (int)width[k], heads[k]);
        else
            printf("%s\n", heads[k]);
    }
    json_array_foreach(items, i, row) {
        for (size_t k = 0; k < ncols; k++) {
            json_t *v = json_object_get(row, keys[k]);
            const char *s = json_is_string(v) ? json_string_value(v) : nulls[k];

            if (k + 1 < ncols)
                printf("%-*s  ", (int)width[k], s);
            else
                printf("%s\n", s);
        }
    }
}

/* ---- opening the data directory ---- */

/* Reads the config, opens the database, the repositories and the auth epoch. */
static int
cf_ctl_open(struct cf_ctl *c)
{
    char dbpath[PATH_MAX];
    struct passwd *pw;
    struct stat st;
    int rc;

    cf_conf_defaults(&c->conf);
    c->conf_ready = true;
    if (c->conf_file != NULL && cf_conf_load(&c->conf, c->conf_file) < 0)
        return cf_ctl_fail("cannot use the config file '%s' (see above)", c->conf_file);
    if (c->data_dir != NULL && cf_conf_set(&c->conf, "data", c->data_dir, "--data") < 0)
        return CF_CTL_FAIL;
    if (cf_conf_check(&c->conf) < 0)
        return CF_CTL_FAIL;
    /* storage's notes are for a server's log; the CLI reports failures itself */
    cf_log_level = c->conf.log_level < CF_LOG_WARN ? c->conf.log_level : CF_LOG_WARN;

    if ((size_t)snprintf(dbpath, sizeof(dbpath), "%s/coffer.db", c->conf.data_dir) >=
        sizeof(dbpath))
        return cf_ctl_fail("the data directory path '%s' is too long", c->conf.data_dir);
    /* never create a database here: a mistyped --data would get an empty one */
    if (stat(dbpath, &st) < 0)
        return cf_ctl_fail("no database at '%s': %s (is --data right? cofferd creates it on "
                           "its first start)", dbpath, strerror(errno));
    if ((rc = stor_db_open(dbpath, &c->db)) < 0)
        return cf_ctl_fail("cannot open the database '%s': %s", dbpath, strerror(-rc));
    if ((rc = stor_repos_open(c->conf.data_dir, c->db, &c->repos)) < 0)
        return cf_ctl_fail("cannot open the repositories under '%s': %s", c->conf.data_dir,
                           strerror(-rc));
    if ((rc = acl_epoch_open(c->conf.data_dir, &c->epoch)) < 0)
        return cf_ctl_fail("cannot open '%s/auth.epoch': %s", c->conf.data_dir, strerror(-rc));

    /* the audit log names the Unix account that acted */
    pw = getpwuid(geteuid());
    if (pw == NULL || pw->pw_name == NULL ||
        (size_t)snprintf(c->actor, sizeof(c->actor), "cli:%s", pw->pw_name) >= sizeof(c->actor))
        snprintf(c->actor, sizeof(c->actor), "cli:uid-%lu", (unsigned long)geteuid());
    c->x.conf = &c->conf;
    c->x.db = c->db;
    c->x.repos = c->repos;
    c->x.epoch = c->epoch;
    c->x.actor_id = 0;          /* the system: no "yourself" rules apply */
    c->x.actor = c->actor;
    c->x.peer = "cli";
    c->x.why = NULL;
    return CF_CTL_OK;
}

static void
cf_ctl_close(struct cf_ctl *c)
{
    acl_epoch_free(c->epoch);
    stor_repos_free(c->repos);
    stor_db_free(c->db);
    if (c->conf_ready)
        cf_conf_release(&c->conf);
}

/* Loads user login into *u (strings from pool); reports a failure. */
static int
cf_ctl_user_load(struct cf_ctl *c, const char *login, struct cf_pool *pool,
                 struct stor_user *u)
{
    int rc = stor_user_get(c->db, cf_str_from(login), pool, u);

    if (rc == -ENOENT)
        return cf_ctl_fail("user '%s': there is no such user", login);
    if (rc < 0)
        return cf_ctl_fail("user '%s': the database could not be read: %s", login,
                           strerror(-rc));
    return CF_CTL_OK;
}

static int
cf_ctl_role_name(void *arg, const struct stor_role *r)
{
    struct cf_buf *b = arg;

    if (b->len > 0)
        cf_buf_adds(b, ", ");
    cf_buf_adds(b, r->name);
    return 0;
}

/* Fails, listing the roles there are, unless role names a user role. */
static int
cf_ctl_role_check(struct cf_ctl *c, const char *role)
{
    struct cf_buf names;
    uint32_t fac;
    int rc = stor_role_get(c->db, role, &fac, NULL);

    if (rc == 0)
        return CF_CTL_OK;
    if (rc != -ENOENT)
        return cf_ctl_fail("role '%s': the database could not be read: %s", role,
                           strerror(-rc));
    cf_buf_init(&names);
    stor_roles_each(c->db, cf_ctl_role_name, &names);
    rc = cf_ctl_fail("role '%s': there is no such user role (there are: %s)", role,
                     names.len > 0 ? names.data : "none");
    cf_buf_release(&names);
    return rc;
}

/* Prints user id after a change: the whole user (JSON, or show), or line. */
static int
cf_ctl_user_done(struct cf_ctl *c, int64_t id, bool show, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
cf_ctl_user_done(struct cf_ctl *c, int64_t id, bool show, const char *fmt, ...)
{
    struct cf_pool *pool = cf_pool_new(1024);
    struct stor_user u;
    va_list ap;
    int rc;

    /* the change is made: a failure to read it back is still a failure to report */
    if ((rc = stor_user_get_by_id(c->db, id, pool, &u)) < 0) {
        cf_pool_free(pool);
        return cf_ctl_fail("the change was saved, but the user could not be read back: %s",
                           strerror(-rc));
    }
    if (c->json) {
        cf_ctl_json_print(cf_ctl_user_json(&u));
    } else {
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        if (show)
            cf_ctl_user_print(&u);
    }
    cf_pool_free(pool);
    return CF_CTL_OK;
}

/* ---- reading a password ---- */

static struct termios cf_ctl_tty_saved;
static volatile sig_atomic_t cf_ctl_tty_quiet;

/* ^C while echo is off: give the terminal its echo back, then die of the signal. */
static void
cf_ctl_tty_signal(int sig)
{
    if (cf_ctl_tty_quiet)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &cf_ctl_tty_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Wipes and frees a line from getline. */
static void
cf_ctl_line_free(char *line, size_t cap)
{
    if (line != NULL) {
        sodium_memzero(line, cap);
        free(line);
    }
}

/*
 * Reads one line from stdin without its line ending: 0 with *line (wipe and
 * free with cf_ctl_line_free(*line, *cap)), or -1 at the end of the input.
 * With prompt and a terminal, asks without echo.
 */
static int
cf_ctl_line_read(const char *prompt, char **line, size_t *cap)
{
    struct termios quiet;
    bool tty = prompt != NULL && tcgetattr(STDIN_FILENO, &cf_ctl_tty_saved) == 0;
    ssize_t n;

    *line = NULL;
    *cap = 0;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        quiet = cf_ctl_tty_saved;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        cf_ctl_tty_quiet = 1;
        signal(SIGINT, cf_ctl_tty_signal);
        signal(SIGTERM, cf_ctl_tty_signal);
        signal(SIGQUIT, cf_ctl_tty_signal);
        signal(SIGTSTP, SIG_IGN);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    n = getline(line, cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &cf_ctl_tty_saved);
        cf_ctl_tty_quiet = 0;
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTSTP, SIG_DFL);
        fputc('\n', stderr);    /* the Enter the terminal did not echo */
    }
    if (n < 0) {
        cf_ctl_line_free(*line, *cap);
        *line = NULL;
        return -1;
    }
    if (n > 0 && (*line)[n - 1] == '\n')
        (*line)[--n] = '\0';
    if (n > 0 && (*line)[n - 1] == '\r')
        (*line)[--n] = '\0';
    if (strlen(*line) != (size_t)n)
        (*line)[0] = '\x01';    /* a NUL inside: let the policy refuse a control character */
    return 0;
}

/*
 * The new password of login: one line of stdin or, on a terminal, asked
 * twice without echo. Returns CF_CTL_OK with *pw (cf_ctl_line_free it with
 * *cap), or reports the failure.
 */
static int
cf_ctl_password_read(const char *login, char **pw, size_t *cap)
{
    char prompt[128], *again = NULL;
    size_t again_cap = 0;
    bool tty = isatty(STDIN_FILENO);
    int rc = CF_CTL_OK;

    snprintf(prompt, sizeof(prompt), "New password for '%s': ", login);
    if (cf_ctl_line_read(tty ? prompt : NULL, pw, cap) < 0)
        return cf_ctl_fail("user '%s': no password on standard input", login);
    if (!tty)
        return CF_CTL_OK;
    if (cf_ctl_line_read("Type it again: ", &again, &again_cap) < 0 ||
        strcmp(*pw, again) != 0) {
        rc = cf_ctl_fail("user '%s': the two passwords differ; nothing changed", login);
        cf_ctl_line_free(*pw, *cap);
        *pw = NULL;
    }
    cf_ctl_line_free(again, again_cap);
    return rc;
}

/* ---- option parsing shared by the commands ---- */

/*
 * getopt_long over a command's arguments (argv[0] is the command's name):
 * returns the option, -1 at the end, or '?' after reporting a bad one.
 * --json and --help are taken everywhere.
 */
static int
cf_ctl_getopt(struct cf_ctl *c, const char *cmd, int argc, char **argv,
              const struct option *opts, bool *help)
{
    int o;

    for (;;) {
        o = getopt_long(argc, argv, ":", opts, NULL);
        if (o == 'j') {
            c->json = true;
            continue;
        }
        if (o == 'h') {
            *help = true;
            continue;
        }
        break;
    }
    if (o == ':') {
        cf_ctl_bad_usage("%s: option '%s' needs a value", cmd, argv[optind - 1]);
        return '?';
    }
    if (o == '?') {
        if (optopt != 0)
            cf_ctl_bad_usage("%s: unknown option '-%c'", cmd, optopt);
        else
            cf_ctl_bad_usage("%s: unknown option '%s'", cmd, argv[optind - 1]);
        return '?';
    }
    return o;
}

#define CF_CTL_COMMON_OPTS { "json", no_argument, NULL, 'j' }, \
                           { "help", no_argument, NULL, 'h' }

/* ---- user commands ---- */

static int
cf_ctl_user_add(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "email", required_argument, NULL, 'e' },
        { "role", required_argument, NULL, 'r' },
        { "name", required_argument, NULL, 'n' },
        { "password-stdin", no_argument, NULL, 'p' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    struct acl_user_new n;
    bool help = false, pw_stdin = false;
    char *pw = NULL;
    size_t pw_cap = 0;
    int64_t id;
    int o, rc;

    memset(&n, 0, sizeof(n));
    while ((o = cf_ctl_getopt(c, "user add", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'e': n.email = optarg; break;
        case 'r': n.role = optarg; break;
        case 'n': n.display_name = optarg; break;
        case 'p': pw_stdin = true; break;
        default: return CF_CTL_USAGE;
        }
    }
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc - optind != 1)
        return cf_ctl_bad_usage("user add: give one LOGIN");
    n.login = argv[optind];
    if (n.email == NULL || n.role == NULL)
        return cf_ctl_bad_usage("user add: --email and --role are required");

    if ((rc = cf_ctl_open(c)) != CF_CTL_OK || (rc = cf_ctl_role_check(c, n.role)) != CF_CTL_OK)
        return rc;
    if (pw_stdin) {
        if ((rc = cf_ctl_password_read(n.login, &pw, &pw_cap)) != CF_CTL_OK)
            return rc;
        n.password = pw;
    }
    rc = acl_user_add(&c->x, &n, &id);
    cf_ctl_line_free(pw, pw_cap);
    if (rc < 0)
        return cf_ctl_fail("user '%s': %s", n.login, cf_ctl_why(c, rc));
    return cf_ctl_user_done(c, id, true, "created user '%s'%s", n.login,
                            pw_stdin ? "" : " (invited: no password yet; set one with "
                                            "'cofferctl user passwd')");
}

struct cf_ctl_list {
    json_t *items;
};

static int
cf_ctl_user_list_one(void *arg, const struct stor_user *u)
{
    struct cf_ctl_list *l = arg;

    json_array_append_new(l->items, cf_ctl_user_json(u));
    return 0;
}

static int
cf_ctl_user_list(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "query", required_argument, NULL, 'q' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    static const char *const keys[] = { "login", "role", "status", "email" };
    static const char *const heads[] = { "LOGIN", "ROLE", "STATUS", "EMAIL" };
    static const char *const nulls[] = { "", "", "", "" };
    struct cf_ctl_list l;
    const char *q = NULL;
    bool help = false;
    int o, rc;

    while ((o = cf_ctl_getopt(c, "user list", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'q': q = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc != optind)
        return cf_ctl_bad_usage("user list: unexpected argument '%s'", argv[optind]);
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    l.items = json_array();
    if ((rc = stor_users_list(c->db, STOR_USERS_ALL, 0, q, NULL, UINT_MAX,
                              cf_ctl_user_list_one, &l)) < 0) {
        json_decref(l.items);
        return cf_ctl_fail("the users could not be read: %s", strerror(-rc));
    }
    if (c->json) {
        json_t *doc = json_object();

        json_object_set_new(doc, "items", l.items);
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_table_print(l.items, keys, heads, nulls, 4);
        json_decref(l.items);
    }
    return CF_CTL_OK;
}

/* Parses the arguments of a command taking LOGIN and nargs more positionals. */
static int
cf_ctl_simple_args(struct cf_ctl *c, const char *cmd, int argc, char **argv, int nargs,
                   const char *what)
{
    static const struct option opts[] = {
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    bool help = false;
    int o;

    while ((o = cf_ctl_getopt(c, cmd, argc, argv, opts, &help)) != -1)
        if (o == '?')
            return CF_CTL_USAGE;
    if (help) {
        cf_ctl_usage(stdout);
        return -1;
    }
    if (argc - optind != nargs)
        return cf_ctl_bad_usage("%s: give %s", cmd, what);
    return CF_CTL_OK;
}

static int
cf_ctl_user_show(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_user u;
    int rc;

    if ((rc = cf_ctl_simple_args(c, "user show", argc, argv, 1, "one LOGIN")) != CF_CTL_OK)
        return rc < 0 ? CF_CTL_OK : rc;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_user_load(c, argv[optind], pool, &u)) == CF_CTL_OK) {
        if (c->json)
            cf_ctl_json_print(cf_ctl_user_json(&u));
        else
            cf_ctl_user_print(&u);
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_user_block(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "until", required_argument, NULL, 'u' },
        { "for", required_argument, NULL, 'f' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *until_s = NULL, *for_s = NULL;
    struct cf_pool *pool;
    struct stor_user u;
    int64_t until = 0, d;
    bool help = false;
    char t[32];
    int o, rc;

    while ((o = cf_ctl_getopt(c, "user block", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'u': until_s = optarg; break;
        case 'f': for_s = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc - optind != 1)
        return cf_ctl_bad_usage("user block: give one LOGIN");
    if (until_s != NULL && for_s != NULL)
        return cf_ctl_bad_usage("user block: give --until or --for, not both");
    if (until_s != NULL && cf_ctl_time_parse(until_s, &until) < 0)
        return cf_ctl_bad_usage("user block: --until '%s' is not an RFC 3339 time "
                                "(2025-06-01T12:00:00Z) or a date", until_s);
    if (for_s != NULL) {
        if (cf_ctl_duration_parse(for_s, &d) < 0)
            return cf_ctl_bad_usage("user block: --for '%s' is not a duration (90m, 2h, 3d)",
                                    for_s);
        until = (int64_t)time(NULL) + d;
    }
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_user_load(c, argv[optind], pool, &u)) == CF_CTL_OK) {
        int err = acl_user_block(&c->x, u.id, until);

        if (err < 0)
            rc = cf_ctl_fail("user '%s': %s", u.login, cf_ctl_why(c, err));
        else if (until > 0)
            rc = cf_ctl_user_done(c, u.id, false, "user '%s' is blocked until %s", u.login,
                                  cf_ctl_time_fmt(until, t, sizeof(t)));
        else
            rc = cf_ctl_user_done(c, u.id, false, "user '%s' is blocked until unblocked",
                                  u.login);
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_user_unblock(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_user u;
    int rc;

    if ((rc = cf_ctl_simple_args(c, "user unblock", argc, argv, 1, "one LOGIN")) != CF_CTL_OK)
        return rc < 0 ? CF_CTL_OK : rc;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_user_load(c, argv[optind], pool, &u)) == CF_CTL_OK) {
        int err = acl_user_unblock(&c->x, u.id);

        if (err < 0)
            rc = cf_ctl_fail("user '%s': %s", u.login, cf_ctl_why(c, err));
        else
            rc = cf_ctl_user_done(c, u.id, false, "user '%s' is unblocked", u.login);
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_user_passwd(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_user u;
    char *pw = NULL;
    size_t pw_cap = 0;
    int rc;

    if ((rc = cf_ctl_simple_args(c, "user passwd", argc, argv, 1, "one LOGIN")) != CF_CTL_OK)
        return rc < 0 ? CF_CTL_OK : rc;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    /* look him up first: no point asking for a password of nobody */
    if ((rc = cf_ctl_user_load(c, argv[optind], pool, &u)) == CF_CTL_OK &&
        (rc = cf_ctl_password_read(u.login, &pw, &pw_cap)) == CF_CTL_OK) {
        bool invited = strcmp(u.status, "invited") == 0;
        int err = acl_user_set_password(&c->x, u.id, pw);

        if (err < 0)
            rc = cf_ctl_fail("user '%s': %s", u.login, cf_ctl_why(c, err));
        else
            rc = cf_ctl_user_done(c, u.id, false, "password of '%s' changed%s", u.login,
                                  invited ? "; the account is active" : "");
    }
    cf_ctl_line_free(pw, pw_cap);
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_user_role(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_user u;
    const char *role;
    int rc;

    if ((rc = cf_ctl_simple_args(c, "user role", argc, argv, 2, "LOGIN and ROLE")) != CF_CTL_OK)
        return rc < 0 ? CF_CTL_OK : rc;
    role = argv[optind + 1];
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_user_load(c, argv[optind], pool, &u)) == CF_CTL_OK &&
        (rc = cf_ctl_role_check(c, role)) == CF_CTL_OK) {
        int err = acl_user_set_role(&c->x, u.id, role);

        if (err < 0)
            rc = cf_ctl_fail("user '%s': %s", u.login, cf_ctl_why(c, err));
        else if (strcmp(u.role, role) == 0)
            rc = cf_ctl_user_done(c, u.id, false, "user '%s' has the role '%s' already",
                                  u.login, role);
        else
            rc = cf_ctl_user_done(c, u.id, false, "role of '%s': %s -> %s", u.login, u.role,
                                  role);
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_user(struct cf_ctl *c, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(struct cf_ctl *, int, char **);
    } cmds[] = {
        { "add", cf_ctl_user_add },       { "list", cf_ctl_user_list },
        { "show", cf_ctl_user_show },     { "block", cf_ctl_user_block },
        { "unblock", cf_ctl_user_unblock }, { "passwd", cf_ctl_user_passwd },
        { "role", cf_ctl_user_role },
    };

    if (argc < 2)
        return cf_ctl_bad_usage("user: which command? (add, list, show, block, unblock, "
                                "passwd, role)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[1], cmds[i].name) == 0) {
            optind = 0;         /* glibc: start a fresh scan */
            return cmds[i].run(c, argc - 1, argv + 1);
        }
    return cf_ctl_bad_usage("user: unknown command '%s'", argv[1]);
}

/* ---- audit ---- */

static int
cf_ctl_audit_one(void *arg, const struct stor_audit *a)
{
    struct cf_ctl_list *l = arg;
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer((json_int_t)a->id));
    json_object_set_new(o, "at", cf_ctl_jtime(a->at));
    json_object_set_new(o, "actor", cf_ctl_jstr(a->actor));
    json_object_set_new(o, "action", cf_ctl_jstr(a->action));
    json_object_set_new(o, "target", cf_ctl_jstr(a->target));
    json_object_set_new(o, "peer", cf_ctl_jstr(a->peer));
    json_object_set_new(o, "detail", cf_ctl_jstr(a->detail));
    json_array_append_new(l->items, o);
    return 0;
}

/* --since/--until: an RFC 3339 time, a date, or a duration ago. */
static int
cf_ctl_audit_time(const char *opt, const char *s, int64_t *out)
{
    int64_t d;

    if (cf_ctl_time_parse(s, out) == 0)
        return 0;
    if (cf_ctl_duration_parse(s, &d) == 0) {
        *out = (int64_t)time(NULL) - d;
        return 0;
    }
    cf_ctl_bad_usage("audit: %s '%s' is neither an RFC 3339 time (2025-06-01T12:00:00Z), "
                     "a date nor a duration (2h, 3d)", opt, s);
    return -1;
}

static int
cf_ctl_audit(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "actor", required_argument, NULL, 'a' },
        { "target", required_argument, NULL, 't' },
        { "action", required_argument, NULL, 'A' },
        { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' },
        { "limit", required_argument, NULL, 'l' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    static const char *const keys[] = { "at", "actor", "action", "target", "peer", "detail" };
    static const char *const heads[] = { "AT", "ACTOR", "ACTION", "TARGET", "PEER", "DETAIL" };
    static const char *const nulls[] = { "", "system", "", "-", "-", "" };
    const char *actor = NULL, *target = NULL, *action = NULL;
    int64_t since = 0, until = 0;
    uint64_t limit = CF_CTL_AUDIT_LIMIT;
    struct cf_ctl_list l;
    bool help = false;
    int o, rc;

    while ((o = cf_ctl_getopt(c, "audit", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'a': actor = optarg; break;
        case 't': target = optarg; break;
        case 'A': action = optarg; break;
        case 's':
            if (cf_ctl_audit_time("--since", optarg, &since) < 0)
                return CF_CTL_USAGE;
            break;
        case 'u':
            if (cf_ctl_audit_time("--until", optarg, &until) < 0)
                return CF_CTL_USAGE;
            break;
        case 'l':
            if (cf_parse_u64(optarg, strlen(optarg), CF_CTL_AUDIT_LIMIT_MAX, &limit) < 0 ||
                limit == 0)
                return cf_ctl_bad_usage("audit: --limit '%s' is not a number from 1 to %u",
                                        optarg, CF_CTL_AUDIT_LIMIT_MAX);
            break;
        default: return CF_CTL_USAGE;
        }
    }
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc != optind)
        return cf_ctl_bad_usage("audit: unexpected argument '%s'", argv[optind]);
    if (since > 0 && until > 0 && since > until)
        return cf_ctl_bad_usage("audit: --since is later than --until");
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    l.items = json_array();
    /* 0 means "no bound" to storage: a bound before 1970 is no bound either */
    if ((rc = stor_audit_list(c->db, actor, target, action, since > 0 ? since : 0,
                              until > 0 ? until : 0, 0, (unsigned)limit, cf_ctl_audit_one,
                              &l)) < 0) {
        json_decref(l.items);
        return cf_ctl_fail("the audit log could not be read: %s", strerror(-rc));
    }
    if (c->json) {
        json_t *doc = json_object();

        json_object_set_new(doc, "items", l.items);
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_table_print(l.items, keys, heads, nulls, 6);
        json_decref(l.items);
    }
    return CF_CTL_OK;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct cf_ctl c;
    const char *cmd;
    int o, rc;

    memset(&c, 0, sizeof(c));
    opterr = 0;
    /* "+": the global options end at the command */
    while ((o = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': c.data_dir = optarg; break;
        case 'c': c.conf_file = optarg; break;
        case 'j': c.json = true; break;
        case 'h': cf_ctl_usage(stdout); return CF_CTL_OK;
        case 'V': printf("cofferctl %s\n", PACKAGE_VERSION); return CF_CTL_OK;
        case ':': return cf_ctl_bad_usage("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt != 0)
                return cf_ctl_bad_usage("unknown option '-%c'", optopt);
            return cf_ctl_bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cf_ctl_bad_usage("which command?");
    cmd = argv[optind];
    if (strcmp(cmd, "help") == 0) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (strcmp(cmd, "user") != 0 && strcmp(cmd, "audit") != 0)
        return cf_ctl_bad_usage("unknown command '%s'", cmd);

    if (sodium_init() < 0)
        return cf_ctl_fail("libsodium could not initialise");
    argc -= optind;
    argv += optind;
    optind = 0;                 /* glibc: a fresh scan of the command's arguments */
    if (strcmp(cmd, "user") == 0)
        rc = cf_ctl_user(&c, argc, argv);
    else
        rc = cf_ctl_audit(&c, argc, argv);
    cf_ctl_close(&c);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cofferctl: cannot write the output: %s\n", strerror(errno));
        if (rc == CF_CTL_OK)
            rc = CF_CTL_FAIL;
    }
    return rc;
}
