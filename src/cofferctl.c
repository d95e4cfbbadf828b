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

#include "coffer/acl.h"
#include "coffer/conf.h"
#include "coffer/groups.h"
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
    struct acl_engine *engine;  /* loaded by the commands on groups, repositories, grants */
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
        "\n"
        "  group add NAME [--colour #rrggbb] [--private] [--position] [--admin LOGIN]\n"
        "                         --admin makes LOGIN a member with the administrator\n"
        "                         role; a private group needs one\n"
        "  group list [--query Q]\n"
        "  group show NAME        flags, members, other permissions, the groups it is\n"
        "                         nested in, its grants\n"
        "  group set NAME [--name NEW] [--colour #rrggbb] [--private | --public]\n"
        "                [--position | --no-position]\n"
        "  group delete NAME\n"
        "  group member add GROUP (--user LOGIN | --group NAME) --role ROLE [--other]\n"
        "                         --other: in the other permissions (users only)\n"
        "  group member remove GROUP (--user LOGIN | --group NAME) [--other]\n"
        "  repo add NAME --owner LOGIN [--quota SIZE]\n"
        "  repo list\n"
        "  repo show NAME         owner, quota, bytes used, grants\n"
        "  repo set NAME [--quota SIZE|none] [--owner LOGIN]\n"
        "  repo delete NAME --yes deletes the repository with all its files\n"
        "  grant add REPO (--group NAME | --user LOGIN) --role ROLE [--path PATH]\n"
        "                         --user: to his personal group; PATH must exist\n"
        "  grant list REPO [--path PATH]   the grants on PATH and beneath it\n"
        "  grant remove REPO ID\n"
        "  access REPO --user LOGIN [--path PATH]\n"
        "                         what he may do there, and every grant and chain of\n"
        "                         groups that gives it\n"
        "  role list [--group | --element]  group roles and element roles\n"
        "  role set NAME (--group | --element) --faculties F,F... [--description TEXT]\n"
        "                         element faculties: read, write, delete, manage,\n"
        "                         versions; group faculties: read, administer, publish\n"
        "  role delete NAME (--group | --element)\n"
        "  help\n"
        "\n"
        "  -c FILE       the cofferd config file (password policy, argon2 cost, data)\n"
        "  --data DIR    the data directory (overrides the config file)\n"
        "  --json        print one JSON document on stdout\n"
        "\n"
        "TIME is RFC 3339 (2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00) or a date\n"
        "(2025-06-01, midnight UTC); audit's --since and --until also take a DURATION,\n"
        "meaning that long ago. DURATION is a number and s, m, h, d or w (90m, 2h, 3d).\n"
        "SIZE is bytes, or a number and k, m, g or t (powers of 1024: 500m, 10g). PATH\n"
        "is inside the repository, from its root (reports/2026); none is the root.\n"
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

#define CF_CTL_GO (-1)          /* cf_ctl_operands(): go on with the command */

/*
 * After a command's options: with --help prints the usage (CF_CTL_OK);
 * with other than want operands says what cmd expects (a usage error);
 * else CF_CTL_GO.
 */
static int
cf_ctl_operands(bool help, int argc, int want, const char *cmd, const char *what)
{
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc - optind != want)
        return cf_ctl_bad_usage("%s: give %s", cmd, what);
    return CF_CTL_GO;
}

/* Returns from the command unless its options and operands let it go on. */
#define CF_CTL_OPERANDS(help, argc, want, cmd, what)                              \
    do {                                                                          \
        int op_rc_ = cf_ctl_operands((help), (argc), (want), (cmd), (what));      \
        if (op_rc_ != CF_CTL_GO)                                                  \
            return op_rc_;                                                        \
    } while (0)

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
    acl_engine_free(c->engine);     /* before the repositories it points to */
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
    CF_CTL_OPERANDS(help, argc, 1, "user add", "one LOGIN");
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

/*
 * Parses the arguments of a command without options of its own taking
 * nargs operands: CF_CTL_GO to go on, or what the command returns (after
 * --help, or a usage error).
 */
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
    return cf_ctl_operands(help, argc, nargs, cmd, what);
}

static int
cf_ctl_user_show(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_user u;
    int rc;

    if ((rc = cf_ctl_simple_args(c, "user show", argc, argv, 1, "one LOGIN")) != CF_CTL_GO)
        return rc;
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
    CF_CTL_OPERANDS(help, argc, 1, "user block", "one LOGIN");
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

    if ((rc = cf_ctl_simple_args(c, "user unblock", argc, argv, 1, "one LOGIN")) != CF_CTL_GO)
        return rc;
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

    if ((rc = cf_ctl_simple_args(c, "user passwd", argc, argv, 1, "one LOGIN")) != CF_CTL_GO)
        return rc;
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

    if ((rc = cf_ctl_simple_args(c, "user role", argc, argv, 2, "LOGIN and ROLE")) != CF_CTL_GO)
        return rc;
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

/* ---- groups, repositories, grants, roles (groups.h) ---- */

/*
 * The commands below go through the group service (groups.h) as the
 * system, with the role engine loaded: the service checks nesting cycles
 * with it and patches it; the auth epoch it bumps makes cofferd reload its
 * own picture on the next request.
 */

#define CF_CTL_SIZE_MAX (1ull << 60)    /* 1 EiB: quotas stay far from int64 */

/* The identity as the system, its last reason cleared (for a service call). */
static struct acl_ident *
cf_ctl_x(struct cf_ctl *c)
{
    c->x.why = NULL;
    return &c->x;
}

/* cf_ctl_open(), then the role engine, loaded from the database. */
static int
cf_ctl_open_engine(struct cf_ctl *c)
{
    int rc;

    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    c->engine = acl_engine_new(c->repos);
    if ((rc = acl_engine_load(c->engine, c->db)) < 0)
        return cf_ctl_fail("the groups and grants could not be read: %s", strerror(-rc));
    c->x.engine = c->engine;
    return CF_CTL_OK;
}

/* Loads group name into *g (strings from pool); reports a failure. */
static int
cf_ctl_group_load(struct cf_ctl *c, const char *name, struct cf_pool *pool, struct stor_group *g)
{
    int rc = acl_group_find(cf_ctl_x(c), ACL_U_ALL, name, pool, g);

    if (rc < 0)
        return cf_ctl_fail("group '%s': %s", name, cf_ctl_why(c, rc));
    return CF_CTL_OK;
}

/* The personal group of user u into *g; reports a failure. */
static int
cf_ctl_personal_group(struct cf_ctl *c, const struct stor_user *u, struct cf_pool *pool,
                      struct stor_group *g)
{
    int rc = stor_group_get(c->db, u->login, 0, pool, g);

    if (rc == 0 && (!g->personal || g->owner != u->id))
        rc = -ENOENT;
    if (rc == -ENOENT)
        return cf_ctl_fail("user '%s' has no personal group", u->login);
    if (rc < 0)
        return cf_ctl_fail("user '%s': the database could not be read: %s", u->login,
                           strerror(-rc));
    return CF_CTL_OK;
}

/* The repository called name, or NULL after reporting it. */
static struct stor_repo *
cf_ctl_repo_load(struct cf_ctl *c, const char *name)
{
    struct stor_repo *r = stor_repos_find(c->repos, cf_str_from(name));

    if (r == NULL)
        cf_ctl_fail("repository '%s': there is no such repository", name);
    return r;
}

/* The login of user id, or "#id" (from pool). */
static const char *
cf_ctl_login_of(struct cf_ctl *c, int64_t id, struct cf_pool *pool)
{
    struct stor_user u;

    if (stor_user_get_by_id(c->db, id, pool, &u) == 0)
        return u.login;
    return cf_pool_printf(pool, "#%" PRId64, id);
}

/* The name of group id, or "#id" (from pool). */
static const char *
cf_ctl_group_name_of(struct cf_ctl *c, int64_t id, struct cf_pool *pool)
{
    struct stor_group g;

    if (stor_group_get(c->db, NULL, id, pool, &g) == 0)
        return g.name;
    return cf_pool_printf(pool, "#%" PRId64, id);
}

/*
 * Normalises --path: leading and trailing '/' go; an empty, '.' or '..'
 * component, or a control character, is a usage error. "" is the root.
 */
static int
cf_ctl_path(const char *cmd, const char *in, char *out, size_t cap)
{
    const char *p = in, *end = in + strlen(in), *q;

    while (p < end && *p == '/')
        p++;
    while (end > p && end[-1] == '/')
        end--;
    if ((size_t)(end - p) >= cap)
        return cf_ctl_bad_usage("%s: the path is too long", cmd);
    for (q = p; q < end;) {
        const char *e = memchr(q, '/', (size_t)(end - q));
        size_t n;

        if (e == NULL)
            e = end;
        n = (size_t)(e - q);
        if (n == 0)
            return cf_ctl_bad_usage("%s: the path '%s' has an empty component ('//')", cmd, in);
        if ((n == 1 && q[0] == '.') || (n == 2 && q[0] == '.' && q[1] == '.'))
            return cf_ctl_bad_usage("%s: the path '%s' has a '.' or '..' component; give it "
                                    "from the repository's root, like folder/sub", cmd, in);
        for (const char *k = q; k < e; k++)
            if ((unsigned char)*k < 0x20 || *k == 0x7f)
                return cf_ctl_bad_usage("%s: the path '%s' has a control character", cmd, in);
        q = e + 1;
    }
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return CF_CTL_OK;
}

/* "10g", "500m", "2t", "4096": bytes, with k, m, g, t as powers of 1024; at least 1. */
static int
cf_ctl_size_parse(const char *s, uint64_t *out)
{
    size_t n = strspn(s, "0123456789");
    uint64_t v, mul;

    if (n == 0 || cf_parse_u64(s, n, CF_CTL_SIZE_MAX, &v) < 0)
        return -EINVAL;
    switch (s[n]) {
    case '\0': mul = 1; break;
    case 'k': case 'K': mul = 1ull << 10; break;
    case 'm': case 'M': mul = 1ull << 20; break;
    case 'g': case 'G': mul = 1ull << 30; break;
    case 't': case 'T': mul = 1ull << 40; break;
    default: return -EINVAL;
    }
    if (s[n] != '\0' && s[n + 1] != '\0')
        return -EINVAL;
    if (v == 0 || v > CF_CTL_SIZE_MAX / mul)
        return -EINVAL;
    *out = v * mul;
    return 0;
}

/* "10 GiB", "512 bytes". */
static const char *
cf_ctl_size_fmt(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double d = (double)v;
    size_t u = 0;

    if (v < 1024) {
        snprintf(buf, len, "%" PRIu64 " bytes", v);
        return buf;
    }
    for (d /= 1024; d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); d /= 1024)
        u++;
    if (d == (double)(uint64_t)d)
        snprintf(buf, len, "%" PRIu64 " %s", (uint64_t)d, units[u]);
    else
        snprintf(buf, len, "%.1f %s", d, units[u]);
    return buf;
}

/* Element (or, with group, group) faculty names. */
static const char *
cf_ctl_fac_name(bool group, unsigned bit)
{
    return group ? acl_group_faculty_name(bit) : acl_faculty_name(bit);
}

static json_t *
cf_ctl_facs_json(bool group, unsigned f)
{
    json_t *a = json_array();

    for (unsigned b = 1; b != 0 && b <= f; b <<= 1)
        if ((f & b) && cf_ctl_fac_name(group, b) != NULL)
            json_array_append_new(a, json_string(cf_ctl_fac_name(group, b)));
    return a;
}

/* Appends "read, write" (or sep-separated) to b. */
static void
cf_ctl_facs_add(struct cf_buf *b, bool group, unsigned f, const char *sep)
{
    bool first = true;

    for (unsigned bit = 1; bit != 0 && bit <= f; bit <<= 1)
        if ((f & bit) && cf_ctl_fac_name(group, bit) != NULL) {
            if (!first)
                cf_buf_adds(b, sep);
            cf_buf_adds(b, cf_ctl_fac_name(group, bit));
            first = false;
        }
    if (first)
        cf_buf_adds(b, "none");
}

/* Parses "read,write,..." into *out; a usage error names the faculties there are. */
static int
cf_ctl_facs_parse(const char *cmd, bool group, const char *s, unsigned *out)
{
    const char *p = s;
    struct cf_buf all;
    unsigned f = 0;

    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        char name[32];
        unsigned bit = 0;

        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n > 0 && n < sizeof(name)) {
            memcpy(name, p, n);
            name[n] = '\0';
            bit = group ? acl_group_faculty_parse(name) : acl_faculty_parse(name);
        }
        if (bit == 0) {
            cf_buf_init(&all);
            cf_ctl_facs_add(&all, group, group ? ACL_G_ALL : ACL_ALL, ", ");
            cf_ctl_bad_usage("%s: '%.*s' is not a%s faculty (there are: %s)", cmd, (int)n, p,
                             group ? " group" : "n element", all.data);
            cf_buf_release(&all);
            return CF_CTL_USAGE;
        }
        f |= bit;
        if (e == NULL)
            break;
        p = e + 1;
    }
    *out = f;
    return CF_CTL_OK;
}

/* Fails, listing the roles there are, unless role names a group (element) role. */
static int
cf_ctl_role2_check(struct cf_ctl *c, enum stor_role_kind k, const char *role)
{
    const char *what = k == STOR_ROLES_GROUP ? "group" : "element";
    struct cf_buf names;
    uint32_t fac;
    int rc = stor_role2_get(c->db, k, role, &fac);

    if (rc == 0)
        return CF_CTL_OK;
    if (rc != -ENOENT)
        return cf_ctl_fail("role '%s': the database could not be read: %s", role,
                           strerror(-rc));
    cf_buf_init(&names);
    stor_roles2_each(c->db, k, cf_ctl_role_name, &names);
    rc = cf_ctl_fail("role '%s': there is no such %s role (there are: %s)", role, what,
                     names.len > 0 ? names.data : "none");
    cf_buf_release(&names);
    return rc;
}

/* A success: prints doc (--json, then dropped) or the line. */
static int cf_ctl_done(struct cf_ctl *c, json_t *doc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cf_ctl_done(struct cf_ctl *c, json_t *doc, const char *fmt, ...)
{
    va_list ap;

    if (c->json) {
        cf_ctl_json_print(doc);
        return CF_CTL_OK;
    }
    va_start(ap, fmt);          /* the arguments may point into doc */
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    json_decref(doc);
    return CF_CTL_OK;
}

/* "/path" for people ("" is the root, "/"), from pool. */
static const char *
cf_ctl_slash(const char *path, struct cf_pool *pool)
{
    return cf_pool_printf(pool, "/%s", path);
}

/* ---- group ---- */

/* "personal, private, position", or "-" (buf of at least 32 bytes). */
static const char *
cf_ctl_group_flags(const struct stor_group *g, char *buf, size_t len)
{
    const char *f[3];
    size_t n = 0;

    if (g->personal)
        f[n++] = "personal";
    if (g->private_)
        f[n++] = "private";
    if (g->position)
        f[n++] = "position";
    snprintf(buf, len, "%s%s%s%s%s", n > 0 ? f[0] : "-", n > 1 ? ", " : "", n > 1 ? f[1] : "",
             n > 2 ? ", " : "", n > 2 ? f[2] : "");
    return buf;
}

static json_t *
cf_ctl_group_json(struct cf_ctl *c, const struct stor_group *g, struct cf_pool *pool)
{
    json_t *o = json_object();

    json_object_set_new(o, "name", cf_ctl_jstr(g->name));
    json_object_set_new(o, "colour", cf_ctl_jstr(g->colour));
    json_object_set_new(o, "personal", json_boolean(g->personal));
    json_object_set_new(o, "private", json_boolean(g->private_));
    json_object_set_new(o, "position", json_boolean(g->position));
    json_object_set_new(o, "user", g->personal && g->owner > 0
                                       ? cf_ctl_jstr(cf_ctl_login_of(c, g->owner, pool))
                                       : json_null());
    json_object_set_new(o, "created", cf_ctl_jtime(g->created));
    return o;
}

/* Entries collected first, named after the walk (no query inside another's walk). */
struct cf_ctl_entry {
    int64_t grp;
    enum stor_kind kind;
    int64_t principal;
    enum stor_section section;
    char *role;
};

struct cf_ctl_entries {
    struct cf_ctl_entry *v;
    size_t n, cap;
    struct cf_pool *pool;
};

static int
cf_ctl_entry_one(void *arg, const struct stor_member *m)
{
    struct cf_ctl_entries *l = arg;

    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = cf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = (struct cf_ctl_entry){ m->grp, m->kind, m->principal, m->section,
                                          cf_pool_strndup(l->pool, m->role, strlen(m->role)) };
    return 0;
}

struct cf_ctl_grants {
    int64_t grp;                /* only this group's, 0: all */
    const char *under;          /* only at or beneath this path, NULL: all */
    struct stor_grant *v;
    size_t n, cap;
    struct cf_pool *pool;
};

static int
cf_ctl_grant_one(void *arg, const struct stor_grant *g)
{
    struct cf_ctl_grants *l = arg;
    size_t ulen = l->under != NULL ? strlen(l->under) : 0;

    if (l->grp != 0 && g->grp != l->grp)
        return 0;
    if (ulen > 0 && !(strncmp(g->path, l->under, ulen) == 0 &&
                      (g->path[ulen] == '\0' || g->path[ulen] == '/')))
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = cf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n] = *g;
    l->v[l->n].path = cf_pool_strndup(l->pool, g->path, strlen(g->path));
    l->v[l->n].role = cf_pool_strndup(l->pool, g->role, strlen(g->role));
    l->v[l->n].creator = g->creator != NULL ? cf_pool_strndup(l->pool, g->creator,
                                                              strlen(g->creator)) : NULL;
    l->n++;
    return 0;
}

/* The grant as JSON: id, repo, path, group (and whether it is a user's own), role. */
static json_t *
cf_ctl_grant_json(struct cf_ctl *c, const struct stor_grant *g, struct cf_pool *pool)
{
    struct stor_repo *r = stor_repos_find_id(c->repos, g->repo);
    struct stor_group grp;
    json_t *o = json_object();
    bool have = stor_group_get(c->db, NULL, g->grp, pool, &grp) == 0;

    json_object_set_new(o, "id", json_integer((json_int_t)g->id));
    json_object_set_new(o, "repo", cf_ctl_jstr(r != NULL ? r->name : NULL));
    json_object_set_new(o, "path", cf_ctl_jstr(g->path));
    json_object_set_new(o, "group", cf_ctl_jstr(have ? grp.name
                                                     : cf_ctl_group_name_of(c, g->grp, pool)));
    json_object_set_new(o, "personal", json_boolean(have && grp.personal));
    json_object_set_new(o, "role", cf_ctl_jstr(g->role));
    json_object_set_new(o, "created", cf_ctl_jtime(g->created));
    json_object_set_new(o, "creator", cf_ctl_jstr(g->creator));
    return o;
}

/* Everything group show tells: the group, its two sections, where it is nested, its grants. */
static int
cf_ctl_group_doc(struct cf_ctl *c, int64_t gid, json_t **out)
{
    struct cf_pool *pool = cf_pool_new(4096);
    struct cf_ctl_entries ent = { .pool = pool }, up = { .pool = pool };
    struct cf_ctl_grants gr = { .grp = gid, .pool = pool };
    json_t *doc, *members, *other, *nested, *grants;
    struct stor_group g;
    int rc;

    if ((rc = stor_group_get(c->db, NULL, gid, pool, &g)) < 0 ||
        (rc = stor_members_each(c->db, gid, cf_ctl_entry_one, &ent)) < 0 ||
        (rc = stor_entries_of(c->db, STOR_KIND_GROUP, gid, cf_ctl_entry_one, &up)) < 0 ||
        (rc = stor_grants_each(c->db, 0, cf_ctl_grant_one, &gr)) < 0) {
        free(ent.v);
        free(up.v);
        free(gr.v);
        cf_pool_free(pool);
        return cf_ctl_fail("the group could not be read: %s", strerror(-rc));
    }
    doc = cf_ctl_group_json(c, &g, pool);
    members = json_array();
    other = json_array();
    for (size_t i = 0; i < ent.n; i++) {
        const struct cf_ctl_entry *e = &ent.v[i];
        json_t *o = json_object();

        json_object_set_new(o, "kind", json_string(e->kind == STOR_KIND_USER ? "user"
                                                                               : "group"));
        json_object_set_new(o, "name", cf_ctl_jstr(e->kind == STOR_KIND_USER
                                                   ? cf_ctl_login_of(c, e->principal, pool)
                                                   : cf_ctl_group_name_of(c, e->principal,
                                                                          pool)));
        json_object_set_new(o, "role", cf_ctl_jstr(e->role));
        json_array_append_new(e->section == STOR_SECTION_OTHER ? other : members, o);
    }
    nested = json_array();
    for (size_t i = 0; i < up.n; i++) {
        json_t *o = json_object();

        if (up.v[i].section != STOR_SECTION_MEMBER) {
            json_decref(o);
            continue;
        }
        json_object_set_new(o, "group", cf_ctl_jstr(cf_ctl_group_name_of(c, up.v[i].grp, pool)));
        json_object_set_new(o, "role", cf_ctl_jstr(up.v[i].role));
        json_array_append_new(nested, o);
    }
    grants = json_array();
    for (size_t i = 0; i < gr.n; i++) {
        json_t *o = cf_ctl_grant_json(c, &gr.v[i], pool);

        json_object_del(o, "group");
        json_object_del(o, "personal");
        json_array_append_new(grants, o);
    }
    json_object_set_new(doc, "members", members);
    json_object_set_new(doc, "other_permissions", other);
    json_object_set_new(doc, "member_of", nested);
    json_object_set_new(doc, "grants", grants);
    free(ent.v);
    free(up.v);
    free(gr.v);
    cf_pool_free(pool);
    *out = doc;
    return CF_CTL_OK;
}

static const char *
cf_ctl_jget(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string_value(v) : "";
}

/* group show, for people. */
static void
cf_ctl_group_print(json_t *doc)
{
    const char *const sections[] = { "members", "other_permissions" };
    const char *const titles[] = { "members:", "other permissions:" };
    json_t *v;
    size_t i;
    char flags[64];
    struct stor_group g = {
        .personal = json_is_true(json_object_get(doc, "personal")),
        .private_ = json_is_true(json_object_get(doc, "private")),
        .position = json_is_true(json_object_get(doc, "position")),
    };

    printf("name:     %s\n", cf_ctl_jget(doc, "name"));
    printf("colour:   %s\n", cf_ctl_jget(doc, "colour"));
    printf("flags:    %s\n", cf_ctl_group_flags(&g, flags, sizeof(flags)));
    if (g.personal)
        printf("user:     %s\n", cf_ctl_jget(doc, "user"));
    printf("created:  %s\n", cf_ctl_jget(doc, "created"));
    for (size_t s = 0; s < 2; s++) {
        json_t *a = json_object_get(doc, sections[s]);

        printf("%s%s\n", titles[s], json_array_size(a) == 0 ? " none" : "");
        json_array_foreach(a, i, v)
            printf("  %-5s  %-32s  %s\n", cf_ctl_jget(v, "kind"), cf_ctl_jget(v, "name"),
                   cf_ctl_jget(v, "role"));
    }
    printf("member of:%s\n", json_array_size(json_object_get(doc, "member_of")) ? "" : " none");
    json_array_foreach(json_object_get(doc, "member_of"), i, v)
        printf("  %-39s  %s\n", cf_ctl_jget(v, "group"), cf_ctl_jget(v, "role"));
    printf("grants:%s\n", json_array_size(json_object_get(doc, "grants")) ? "" : " none");
    json_array_foreach(json_object_get(doc, "grants"), i, v)
        printf("  #%-6" JSON_INTEGER_FORMAT "  %s:/%s  %s\n",
               json_integer_value(json_object_get(v, "id")), cf_ctl_jget(v, "repo"),
               cf_ctl_jget(v, "path"), cf_ctl_jget(v, "role"));
}

/* After a change of group gid: the whole group (JSON), or the line and, with show, the group. */
static int cf_ctl_group_done(struct cf_ctl *c, int64_t gid, bool show, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
cf_ctl_group_done(struct cf_ctl *c, int64_t gid, bool show, const char *fmt, ...)
{
    json_t *doc;
    va_list ap;

    if (cf_ctl_group_doc(c, gid, &doc) != CF_CTL_OK)
        return cf_ctl_fail("the change was saved, but the group could not be read back");
    if (c->json) {
        cf_ctl_json_print(doc);
        return CF_CTL_OK;
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    if (show)
        cf_ctl_group_print(doc);
    json_decref(doc);
    return CF_CTL_OK;
}

static int
cf_ctl_group_add(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "colour", required_argument, NULL, 'C' },
        { "color", required_argument, NULL, 'C' },
        { "private", no_argument, NULL, 'P' },
        { "position", no_argument, NULL, 'o' },
        { "admin", required_argument, NULL, 'a' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    struct stor_group g = { 0 };
    const char *admin = NULL;
    char why[256];
    struct cf_pool *pool;
    struct stor_user u;
    bool help = false, priv = false;
    int64_t gid;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "group add", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'C': g.colour = optarg; break;
        case 'P': priv = true; break;
        case 'o': g.position = true; break;
        case 'a': admin = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "group add", "one NAME");
    g.name = argv[optind];
    if (priv && admin == NULL)
        return cf_ctl_bad_usage("group add: a private group must keep a member holding the "
                                "administrator role: name him with --admin LOGIN");
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if (admin != NULL && (rc = cf_ctl_user_load(c, admin, pool, &u)) != CF_CTL_OK)
        goto out;
    /* the system may not make a private group (nobody to administer it): public first */
    if ((err = acl_group_create(cf_ctl_x(c), ACL_U_ALL, &g, &gid)) < 0) {
        rc = cf_ctl_fail("group '%s': %s", g.name, cf_ctl_why(c, err));
        goto out;
    }
    err = 0;
    if (admin != NULL) {
        struct stor_member m = { gid, STOR_KIND_USER, u.id, "administrator",
                                 STOR_SECTION_MEMBER };

        err = acl_member_put(cf_ctl_x(c), ACL_U_ALL, &m);
    }
    if (err == 0 && priv) {
        struct stor_group pg = { .position = g.position, .private_ = true };

        err = acl_group_update(cf_ctl_x(c), ACL_U_ALL, gid, &pg);
    }
    if (err < 0) {
        /* nothing half-made stays */
        snprintf(why, sizeof(why), "%s", cf_ctl_why(c, err));
        if ((rc = acl_group_delete(cf_ctl_x(c), ACL_U_ALL, gid)) < 0)
            rc = cf_ctl_fail("group '%s': %s; and the group, made already, could not be "
                             "removed: %s", g.name, why, cf_ctl_why(c, rc));
        else
            rc = cf_ctl_fail("group '%s': %s; nothing was made", g.name, why);
        goto out;
    }
    if (admin != NULL)
        rc = cf_ctl_group_done(c, gid, true, "created group '%s' with '%s' as its administrator",
                               g.name, u.login);
    else
        rc = cf_ctl_group_done(c, gid, true, "created group '%s'", g.name);
out:
    cf_pool_free(pool);
    return rc;
}

struct cf_ctl_group_rows {
    const char *q;
    json_t *items;
    struct stor_group *v;       /* strings from pool */
    size_t n, cap;
    struct cf_pool *pool;
};

static int
cf_ctl_group_list_one(void *arg, const struct stor_group *g)
{
    struct cf_ctl_group_rows *l = arg;

    if (l->q != NULL && strcasestr(g->name, l->q) == NULL)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 32;
        l->v = cf_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n] = *g;
    l->v[l->n].name = cf_pool_strndup(l->pool, g->name, strlen(g->name));
    l->v[l->n].colour = cf_pool_strndup(l->pool, g->colour, strlen(g->colour));
    l->n++;
    return 0;
}

static int
cf_ctl_count_one(void *arg, const struct stor_member *m)
{
    size_t *n = arg;

    if (m->section == STOR_SECTION_MEMBER)
        (*n)++;
    return 0;
}

static int
cf_ctl_group_list(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "query", required_argument, NULL, 'q' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    static const char *const keys[] = { "name", "flags", "members", "colour" };
    static const char *const heads[] = { "NAME", "FLAGS", "MEMBERS", "COLOUR" };
    static const char *const nulls[] = { "", "-", "", "" };
    struct cf_ctl_group_rows l = { 0 };
    json_t *rows;
    bool help = false;
    int o, rc;

    while ((o = cf_ctl_getopt(c, "group list", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'q': l.q = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc != optind)
        return cf_ctl_bad_usage("group list: unexpected argument '%s'", argv[optind]);
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    l.pool = cf_pool_new(4096);
    if ((rc = stor_groups_each(c->db, cf_ctl_group_list_one, &l)) < 0) {
        free(l.v);
        cf_pool_free(l.pool);
        return cf_ctl_fail("the groups could not be read: %s", strerror(-rc));
    }
    l.items = json_array();
    rows = json_array();
    for (size_t i = 0; i < l.n; i++) {
        json_t *o2 = cf_ctl_group_json(c, &l.v[i], l.pool), *row = json_object();
        size_t members = 0;
        char flags[64], num[32];

        stor_members_each(c->db, l.v[i].id, cf_ctl_count_one, &members);
        json_object_set_new(o2, "member_count", json_integer((json_int_t)members));
        json_array_append_new(l.items, o2);
        snprintf(num, sizeof(num), "%zu", members);
        json_object_set_new(row, "name", cf_ctl_jstr(l.v[i].name));
        json_object_set_new(row, "flags", json_string(cf_ctl_group_flags(&l.v[i], flags,
                                                                         sizeof(flags))));
        json_object_set_new(row, "members", json_string(num));
        json_object_set_new(row, "colour", cf_ctl_jstr(l.v[i].colour));
        json_array_append_new(rows, row);
    }
    free(l.v);
    cf_pool_free(l.pool);
    if (c->json) {
        json_t *doc = json_object();

        json_object_set_new(doc, "items", l.items);
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_table_print(rows, keys, heads, nulls, 4);
        json_decref(l.items);
    }
    json_decref(rows);
    return CF_CTL_OK;
}

static int
cf_ctl_group_show(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_group g;
    json_t *doc;
    int rc;

    if ((rc = cf_ctl_simple_args(c, "group show", argc, argv, 1, "one NAME")) != CF_CTL_GO)
        return rc;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_group_load(c, argv[optind], pool, &g)) == CF_CTL_OK &&
        (rc = cf_ctl_group_doc(c, g.id, &doc)) == CF_CTL_OK) {
        if (c->json) {
            cf_ctl_json_print(doc);
        } else {
            cf_ctl_group_print(doc);
            json_decref(doc);
        }
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_group_set(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' },
        { "colour", required_argument, NULL, 'C' },
        { "color", required_argument, NULL, 'C' },
        { "private", no_argument, NULL, 'P' },
        { "public", no_argument, NULL, 'U' },
        { "position", no_argument, NULL, 'o' },
        { "no-position", no_argument, NULL, 'O' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *name = NULL, *colour = NULL;
    int priv = -1, position = -1;
    struct cf_pool *pool;
    struct stor_group g, ng;
    bool help = false;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "group set", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'n': name = optarg; break;
        case 'C': colour = optarg; break;
        case 'P': case 'U':
            if (priv != -1 && priv != (o == 'P'))
                return cf_ctl_bad_usage("group set: give --private or --public, not both");
            priv = o == 'P';
            break;
        case 'o': case 'O':
            if (position != -1 && position != (o == 'o'))
                return cf_ctl_bad_usage("group set: give --position or --no-position, not "
                                        "both");
            position = o == 'o';
            break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "group set", "one NAME");
    if (name == NULL && colour == NULL && priv == -1 && position == -1)
        return cf_ctl_bad_usage("group set: nothing to change (--name, --colour, --private, "
                                "--public, --position, --no-position)");
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_group_load(c, argv[optind], pool, &g)) == CF_CTL_OK) {
        ng = (struct stor_group){
            .name = name, .colour = colour,
            .position = position == -1 ? g.position : position == 1,
            .private_ = priv == -1 ? g.private_ : priv == 1,
        };
        if ((err = acl_group_update(cf_ctl_x(c), ACL_U_ALL, g.id, &ng)) < 0)
            rc = cf_ctl_fail("group '%s': %s", g.name, cf_ctl_why(c, err));
        else
            rc = cf_ctl_group_done(c, g.id, false, "group '%s' changed", name ? name : g.name);
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_group_delete(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_group g;
    json_t *doc;
    int rc, err;

    if ((rc = cf_ctl_simple_args(c, "group delete", argc, argv, 1, "one NAME")) != CF_CTL_GO)
        return rc;
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_group_load(c, argv[optind], pool, &g)) == CF_CTL_OK) {
        if ((err = acl_group_delete(cf_ctl_x(c), ACL_U_ALL, g.id)) < 0) {
            rc = cf_ctl_fail("group '%s': %s", g.name, cf_ctl_why(c, err));
        } else {
            doc = json_object();
            json_object_set_new(doc, "name", cf_ctl_jstr(g.name));
            json_object_set_new(doc, "deleted", json_true());
            rc = cf_ctl_done(c, doc, "group '%s' deleted, with its entries and grants", g.name);
        }
    }
    cf_pool_free(pool);
    return rc;
}

/* group member add|remove GROUP (--user LOGIN | --group NAME) [--role ROLE] [--other] */
static int
cf_ctl_group_member_change(struct cf_ctl *c, int argc, char **argv, bool add)
{
    static const struct option opts_add[] = {
        { "user", required_argument, NULL, 'u' },
        { "group", required_argument, NULL, 'g' },
        { "role", required_argument, NULL, 'r' },
        { "other", no_argument, NULL, 'O' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    static const struct option opts_remove[] = {
        { "user", required_argument, NULL, 'u' },
        { "group", required_argument, NULL, 'g' },
        { "other", no_argument, NULL, 'O' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *cmd = add ? "group member add" : "group member remove";
    const char *user = NULL, *group = NULL, *role = NULL, *who;
    struct stor_member m = { 0 };
    struct cf_pool *pool;
    struct stor_group g, child;
    struct stor_user u;
    bool help = false, other = false;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, cmd, argc, argv, add ? opts_add : opts_remove, &help)) != -1) {
        switch (o) {
        case 'u': user = optarg; break;
        case 'g': group = optarg; break;
        case 'r': role = optarg; break;
        case 'O': other = true; break;
        default: return CF_CTL_USAGE;
        }
    }
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc - optind != 1)
        return cf_ctl_bad_usage("%s: give one GROUP", cmd);
    if ((user == NULL) == (group == NULL))
        return cf_ctl_bad_usage("%s: give --user LOGIN or --group NAME", cmd);
    if (add && role == NULL)
        return cf_ctl_bad_usage("%s: --role is required (a group role: reader, administrator, "
                                "publisher or your own)", cmd);
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_group_load(c, argv[optind], pool, &g)) != CF_CTL_OK)
        goto out;
    if (user != NULL) {
        if ((rc = cf_ctl_user_load(c, user, pool, &u)) != CF_CTL_OK)
            goto out;
        m.kind = STOR_KIND_USER;
        m.principal = u.id;
        who = cf_pool_printf(pool, "user '%s'", u.login);
    } else {
        if ((rc = cf_ctl_group_load(c, group, pool, &child)) != CF_CTL_OK)
            goto out;
        m.kind = STOR_KIND_GROUP;
        m.principal = child.id;
        who = cf_pool_printf(pool, "group '%s'", child.name);
    }
    m.grp = g.id;
    m.role = role;
    m.section = other ? STOR_SECTION_OTHER : STOR_SECTION_MEMBER;
    if (add) {
        if ((rc = cf_ctl_role2_check(c, STOR_ROLES_GROUP, role)) != CF_CTL_OK)
            goto out;
        err = acl_member_put(cf_ctl_x(c), ACL_U_ALL, &m);
    } else {
        err = acl_member_remove(cf_ctl_x(c), ACL_U_ALL, g.id, m.kind, m.principal, m.section);
    }
    if (err < 0)
        rc = cf_ctl_fail("group '%s': %s", g.name, cf_ctl_why(c, err));
    else if (add && other)
        rc = cf_ctl_group_done(c, g.id, false, "%s holds the role %s in '%s' (other "
                               "permissions)", who, role, g.name);
    else if (add)
        rc = cf_ctl_group_done(c, g.id, false, "%s is a member of '%s' with the role %s", who,
                               g.name, role);
    else
        rc = cf_ctl_group_done(c, g.id, false, "%s removed from '%s'%s", who, g.name,
                               other ? " (other permissions)" : "");
out:
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_group_member_add(struct cf_ctl *c, int argc, char **argv)
{
    return cf_ctl_group_member_change(c, argc, argv, true);
}

static int
cf_ctl_group_member_remove(struct cf_ctl *c, int argc, char **argv)
{
    return cf_ctl_group_member_change(c, argc, argv, false);
}

struct cf_ctl_cmd {
    const char *name;
    int (*run)(struct cf_ctl *, int, char **);
};

/* Runs the subcommand argv[1] of what from cmds. */
static int
cf_ctl_dispatch(struct cf_ctl *c, const char *what, const struct cf_ctl_cmd *cmds, size_t n,
                int argc, char **argv)
{
    struct cf_buf names;
    int rc;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    for (size_t i = 0; argc >= 2 && i < n; i++)
        if (strcmp(argv[1], cmds[i].name) == 0) {
            optind = 0;         /* glibc: start a fresh scan */
            return cmds[i].run(c, argc - 1, argv + 1);
        }
    cf_buf_init(&names);
    for (size_t i = 0; i < n; i++)
        cf_buf_addf(&names, "%s%s", i ? ", " : "", cmds[i].name);
    if (argc < 2)
        rc = cf_ctl_bad_usage("%s: which command? (%s)", what, names.data);
    else
        rc = cf_ctl_bad_usage("%s: unknown command '%s' (%s)", what, argv[1], names.data);
    cf_buf_release(&names);
    return rc;
}

static int
cf_ctl_group_member(struct cf_ctl *c, int argc, char **argv)
{
    static const struct cf_ctl_cmd cmds[] = {
        { "add", cf_ctl_group_member_add }, { "remove", cf_ctl_group_member_remove },
    };

    return cf_ctl_dispatch(c, "group member", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}

static int
cf_ctl_group(struct cf_ctl *c, int argc, char **argv)
{
    static const struct cf_ctl_cmd cmds[] = {
        { "add", cf_ctl_group_add },       { "list", cf_ctl_group_list },
        { "show", cf_ctl_group_show },     { "set", cf_ctl_group_set },
        { "delete", cf_ctl_group_delete }, { "member", cf_ctl_group_member },
    };

    return cf_ctl_dispatch(c, "group", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}

/* ---- repo ---- */

/* The repository as JSON: name, owner, quota (null: none), used bytes; with grants, its grants. */
static int
cf_ctl_repo_doc(struct cf_ctl *c, struct stor_repo *r, bool grants, json_t **out)
{
    struct cf_pool *pool = cf_pool_new(2048);
    json_t *o = json_object();

    json_object_set_new(o, "name", cf_ctl_jstr(r->name));
    json_object_set_new(o, "owner", r->owner > 0 ? cf_ctl_jstr(cf_ctl_login_of(c, r->owner, pool))
                                                 : json_null());
    json_object_set_new(o, "quota", r->quota > 0 ? json_integer((json_int_t)r->quota)
                                                 : json_null());
    json_object_set_new(o, "used", json_integer((json_int_t)stor_repo_usage(r)));
    if (grants) {
        struct cf_ctl_grants gr = { .pool = pool };
        json_t *a = json_array();
        int rc = stor_grants_each(c->db, r->id, cf_ctl_grant_one, &gr);

        for (size_t i = 0; rc == 0 && i < gr.n; i++) {
            json_t *g = cf_ctl_grant_json(c, &gr.v[i], pool);

            json_object_del(g, "repo");
            json_array_append_new(a, g);
        }
        free(gr.v);
        json_object_set_new(o, "grants", a);
        if (rc < 0) {
            json_decref(o);
            cf_pool_free(pool);
            return cf_ctl_fail("repository '%s': the grants could not be read: %s", r->name,
                               strerror(-rc));
        }
    }
    cf_pool_free(pool);
    *out = o;
    return CF_CTL_OK;
}

/* Adds "size" strings for people: quota and used. */
static void
cf_ctl_repo_print(json_t *doc)
{
    json_t *q = json_object_get(doc, "quota"), *g;
    char a[32], b[32];
    size_t i;

    printf("name:    %s\n", cf_ctl_jget(doc, "name"));
    printf("owner:   %s\n", json_is_string(json_object_get(doc, "owner"))
                                ? cf_ctl_jget(doc, "owner") : "-");
    printf("quota:   %s\n", json_is_integer(q) ? cf_ctl_size_fmt((uint64_t)json_integer_value(q),
                                                                 a, sizeof(a)) : "none");
    printf("used:    %s\n", cf_ctl_size_fmt((uint64_t)json_integer_value(
                                                json_object_get(doc, "used")), b, sizeof(b)));
    printf("grants:%s\n", json_array_size(json_object_get(doc, "grants")) ? "" : " none");
    json_array_foreach(json_object_get(doc, "grants"), i, g)
        printf("  #%-6" JSON_INTEGER_FORMAT "  /%-24s  %s '%s'  %s\n",
               json_integer_value(json_object_get(g, "id")), cf_ctl_jget(g, "path"),
               json_is_true(json_object_get(g, "personal")) ? "user" : "group",
               cf_ctl_jget(g, "group"), cf_ctl_jget(g, "role"));
}

/* After a change of repository r: JSON, or the line and, with show, the repository. */
static int cf_ctl_repo_done(struct cf_ctl *c, struct stor_repo *r, bool show, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));

static int
cf_ctl_repo_done(struct cf_ctl *c, struct stor_repo *r, bool show, const char *fmt, ...)
{
    json_t *doc;
    va_list ap;

    if (cf_ctl_repo_doc(c, r, true, &doc) != CF_CTL_OK)
        return CF_CTL_FAIL;
    if (c->json) {
        cf_ctl_json_print(doc);
        return CF_CTL_OK;
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    if (show)
        cf_ctl_repo_print(doc);
    json_decref(doc);
    return CF_CTL_OK;
}

/* --quota: SIZE, or with none_ok "none" (0). A usage error otherwise. */
static int
cf_ctl_quota_arg(const char *cmd, const char *s, uint64_t *q)
{
    if (strcmp(s, "none") == 0) {
        *q = 0;
        return CF_CTL_OK;
    }
    if (cf_ctl_size_parse(s, q) < 0)
        return cf_ctl_bad_usage("%s: --quota '%s' is not a size (4096, 500m, 10g, 2t) or "
                                "none", cmd, s);
    return CF_CTL_OK;
}

static int
cf_ctl_repo_add(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "owner", required_argument, NULL, 'o' },
        { "quota", required_argument, NULL, 'q' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *owner = NULL, *name;
    struct cf_pool *pool;
    struct stor_repo *r;
    struct stor_user u;
    uint64_t quota = 0;
    bool help = false;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "repo add", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'o': owner = optarg; break;
        case 'q':
            if (cf_ctl_quota_arg("repo add", optarg, &quota) != CF_CTL_OK)
                return CF_CTL_USAGE;
            break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "repo add", "one NAME");
    name = argv[optind];
    if (owner == NULL)
        return cf_ctl_bad_usage("repo add: --owner LOGIN is required");
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_user_load(c, owner, pool, &u)) == CF_CTL_OK) {
        if ((err = acl_repo_create(cf_ctl_x(c), ACL_U_ALL, name, u.id, quota, &r)) < 0)
            rc = cf_ctl_fail("repository '%s': %s", name, cf_ctl_why(c, err));
        else
            rc = cf_ctl_repo_done(c, r, true, "created repository '%s' (its owner '%s' has full "
                                  "control)", r->name, u.login);
    }
    cf_pool_free(pool);
    return rc;
}

struct cf_ctl_repo_rows {
    struct cf_ctl *c;
    json_t *items, *rows;
};

static int
cf_ctl_repo_list_one(struct stor_repo *r, void *arg)
{
    struct cf_ctl_repo_rows *l = arg;
    json_t *doc, *row;
    char a[32], b[32];

    if (cf_ctl_repo_doc(l->c, r, false, &doc) != CF_CTL_OK)
        return -EIO;
    row = json_object();
    json_object_set_new(row, "name", cf_ctl_jstr(r->name));
    json_object_set(row, "owner", json_object_get(doc, "owner"));
    json_object_set_new(row, "quota", r->quota > 0 ? json_string(cf_ctl_size_fmt(r->quota, a,
                                                                                 sizeof(a)))
                                                   : json_null());
    json_object_set_new(row, "used", json_string(cf_ctl_size_fmt(stor_repo_usage(r), b,
                                                                 sizeof(b))));
    json_array_append_new(l->items, doc);
    json_array_append_new(l->rows, row);
    return 0;
}

static int
cf_ctl_repo_list(struct cf_ctl *c, int argc, char **argv)
{
    static const char *const keys[] = { "name", "owner", "quota", "used" };
    static const char *const heads[] = { "NAME", "OWNER", "QUOTA", "USED" };
    static const char *const nulls[] = { "", "-", "none", "" };
    struct cf_ctl_repo_rows l = { c, NULL, NULL };
    int rc;

    if ((rc = cf_ctl_simple_args(c, "repo list", argc, argv, 0, "no argument")) != CF_CTL_GO)
        return rc;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    l.items = json_array();
    l.rows = json_array();
    if (stor_repos_each(c->repos, cf_ctl_repo_list_one, &l) != 0) {
        json_decref(l.items);
        json_decref(l.rows);
        return CF_CTL_FAIL;
    }
    if (c->json) {
        json_t *doc = json_object();

        json_object_set_new(doc, "items", l.items);
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_table_print(l.rows, keys, heads, nulls, 4);
        json_decref(l.items);
    }
    json_decref(l.rows);
    return CF_CTL_OK;
}

static int
cf_ctl_repo_show(struct cf_ctl *c, int argc, char **argv)
{
    struct stor_repo *r;
    json_t *doc;
    int rc;

    if ((rc = cf_ctl_simple_args(c, "repo show", argc, argv, 1, "one NAME")) != CF_CTL_GO)
        return rc;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    if ((r = cf_ctl_repo_load(c, argv[optind])) == NULL)
        return CF_CTL_FAIL;
    if ((rc = cf_ctl_repo_doc(c, r, true, &doc)) != CF_CTL_OK)
        return rc;
    if (c->json) {
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_repo_print(doc);
        json_decref(doc);
    }
    return CF_CTL_OK;
}

static int
cf_ctl_repo_set(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "owner", required_argument, NULL, 'o' },
        { "quota", required_argument, NULL, 'q' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *owner = NULL;
    struct cf_pool *pool;
    struct stor_repo *r;
    struct stor_user u;
    uint64_t quota = UINT64_MAX;
    bool help = false;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "repo set", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'o': owner = optarg; break;
        case 'q':
            if (cf_ctl_quota_arg("repo set", optarg, &quota) != CF_CTL_OK)
                return CF_CTL_USAGE;
            break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "repo set", "one NAME");
    if (owner == NULL && quota == UINT64_MAX)
        return cf_ctl_bad_usage("repo set: nothing to change (--quota, --owner)");
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    if ((r = cf_ctl_repo_load(c, argv[optind])) == NULL)
        return CF_CTL_FAIL;
    pool = cf_pool_new(1024);
    u.id = 0;
    if (owner == NULL || (rc = cf_ctl_user_load(c, owner, pool, &u)) == CF_CTL_OK) {
        if ((err = acl_repo_update(cf_ctl_x(c), ACL_U_ALL, r, quota, u.id)) < 0)
            rc = cf_ctl_fail("repository '%s': %s", r->name, cf_ctl_why(c, err));
        else
            rc = cf_ctl_repo_done(c, r, false, "repository '%s' changed", r->name);
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_repo_delete(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "yes", no_argument, NULL, 'y' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    struct stor_repo *r;
    bool help = false, yes = false;
    json_t *doc;
    char *name;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "repo delete", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'y': yes = true; break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "repo delete", "one NAME");
    if (!yes)
        return cf_ctl_bad_usage("repo delete: this deletes '%s' with all its files and grants; "
                                "add --yes to go ahead", argv[optind]);
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    if ((r = cf_ctl_repo_load(c, argv[optind])) == NULL)
        return CF_CTL_FAIL;
    name = cf_xstrdup(r->name);
    if ((err = acl_repo_delete(cf_ctl_x(c), ACL_U_ALL, r)) < 0) {
        rc = cf_ctl_fail("repository '%s': %s", name, cf_ctl_why(c, err));
    } else {
        doc = json_object();
        json_object_set_new(doc, "name", cf_ctl_jstr(name));
        json_object_set_new(doc, "deleted", json_true());
        rc = cf_ctl_done(c, doc, "repository '%s' deleted, with its files and grants", name);
    }
    free(name);
    return rc;
}

static int
cf_ctl_repo(struct cf_ctl *c, int argc, char **argv)
{
    static const struct cf_ctl_cmd cmds[] = {
        { "add", cf_ctl_repo_add },   { "list", cf_ctl_repo_list },
        { "show", cf_ctl_repo_show }, { "set", cf_ctl_repo_set },
        { "delete", cf_ctl_repo_delete },
    };

    return cf_ctl_dispatch(c, "repo", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}

/* ---- grant ---- */

/* The group a grant goes to: --group NAME, or --user LOGIN's personal group. */
static int
cf_ctl_grantee(struct cf_ctl *c, const char *group, const char *user, struct cf_pool *pool,
               struct stor_group *g)
{
    struct stor_user u;
    int rc;

    if (group != NULL)
        return cf_ctl_group_load(c, group, pool, g);
    if ((rc = cf_ctl_user_load(c, user, pool, &u)) != CF_CTL_OK)
        return rc;
    return cf_ctl_personal_group(c, &u, pool, g);
}

static int
cf_ctl_grant_add(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "group", required_argument, NULL, 'g' },
        { "user", required_argument, NULL, 'u' },
        { "role", required_argument, NULL, 'r' },
        { "path", required_argument, NULL, 'p' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *group = NULL, *user = NULL, *role = NULL, *path_arg = "";
    char path[PATH_MAX];
    struct cf_pool *pool;
    struct stor_group g;
    struct stor_grant gr;
    struct stor_stat st;
    struct stor_repo *r;
    bool help = false;
    int64_t id;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "grant add", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'g': group = optarg; break;
        case 'u': user = optarg; break;
        case 'r': role = optarg; break;
        case 'p': path_arg = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "grant add", "one REPO");
    if ((group == NULL) == (user == NULL))
        return cf_ctl_bad_usage("grant add: give --group NAME or --user LOGIN");
    if (role == NULL)
        return cf_ctl_bad_usage("grant add: --role is required (an element role: full, write, "
                                "read or your own)");
    if ((rc = cf_ctl_path("grant add", path_arg, path, sizeof(path))) != CF_CTL_OK)
        return rc;
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    if ((r = cf_ctl_repo_load(c, argv[optind])) == NULL)
        return CF_CTL_FAIL;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_grantee(c, group, user, pool, &g)) != CF_CTL_OK ||
        (rc = cf_ctl_role2_check(c, STOR_ROLES_ELEMENT, role)) != CF_CTL_OK)
        goto out;
    /* a grant follows a file id: the file must be there */
    if ((err = stor_stat(r, path, &st)) < 0) {
        if (err == -ENOENT || err == -ENOTDIR)
            rc = cf_ctl_fail("repository '%s': there is no /%s", r->name, path);
        else if (err == -ELOOP)
            rc = cf_ctl_fail("repository '%s': /%s is (or passes through) a symbolic link",
                             r->name, path);
        else
            rc = cf_ctl_fail("repository '%s': cannot look at /%s: %s", r->name, path,
                             strerror(-err));
        goto out;
    }
    if ((err = acl_grant_add(cf_ctl_x(c), ACL_U_ALL, r, path, g.id, role, &id)) < 0) {
        rc = cf_ctl_fail("repository '%s': %s", r->name, cf_ctl_why(c, err));
        goto out;
    }
    if (stor_grant_get(c->db, id, pool, &gr) < 0)
        gr = (struct stor_grant){ .id = id, .repo = r->id, .path = path, .grp = g.id,
                                  .role = role, .created = (int64_t)time(NULL),
                                  .creator = c->actor };
    rc = cf_ctl_done(c, cf_ctl_grant_json(c, &gr, pool), "grant #%" PRId64 ": %s '%s' has the "
                     "role %s on /%s in '%s'", id, g.personal ? "user" : "group", g.name, role,
                     path, r->name);
out:
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_grant_list(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "path", required_argument, NULL, 'p' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    static const char *const keys[] = { "id", "path", "group", "role", "created", "creator" };
    static const char *const heads[] = { "ID", "PATH", "GROUP", "ROLE", "CREATED", "CREATOR" };
    static const char *const nulls[] = { "", "", "", "", "", "system" };
    const char *path_arg = "";
    char path[PATH_MAX];
    struct cf_ctl_grants gr = { 0 };
    struct stor_repo *r;
    json_t *items, *rows;
    bool help = false;
    int o, rc;

    while ((o = cf_ctl_getopt(c, "grant list", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'p': path_arg = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "grant list", "one REPO");
    if ((rc = cf_ctl_path("grant list", path_arg, path, sizeof(path))) != CF_CTL_OK)
        return rc;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    if ((r = cf_ctl_repo_load(c, argv[optind])) == NULL)
        return CF_CTL_FAIL;
    gr.pool = cf_pool_new(2048);
    gr.under = path;
    if ((rc = stor_grants_each(c->db, r->id, cf_ctl_grant_one, &gr)) < 0) {
        free(gr.v);
        cf_pool_free(gr.pool);
        return cf_ctl_fail("repository '%s': the grants could not be read: %s", r->name,
                           strerror(-rc));
    }
    items = json_array();
    rows = json_array();
    for (size_t i = 0; i < gr.n; i++) {
        json_t *g = cf_ctl_grant_json(c, &gr.v[i], gr.pool), *row = json_deep_copy(g);
        char num[32];

        snprintf(num, sizeof(num), "%" PRId64, gr.v[i].id);
        json_object_set_new(row, "id", json_string(num));
        json_object_set_new(row, "path", json_string(cf_ctl_slash(gr.v[i].path, gr.pool)));
        if (json_is_true(json_object_get(g, "personal")))
            json_object_set_new(row, "group", json_string(cf_pool_printf(gr.pool, "%s (user)",
                                                          cf_ctl_jget(g, "group"))));
        json_array_append_new(items, g);
        json_array_append_new(rows, row);
    }
    free(gr.v);
    cf_pool_free(gr.pool);
    if (c->json) {
        json_t *doc = json_object();

        json_object_set_new(doc, "items", items);
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_table_print(rows, keys, heads, nulls, 6);
        json_decref(items);
    }
    json_decref(rows);
    return CF_CTL_OK;
}

static int
cf_ctl_grant_remove(struct cf_ctl *c, int argc, char **argv)
{
    struct cf_pool *pool;
    struct stor_grant gr;
    struct stor_repo *r;
    const char *ids;
    uint64_t id;
    json_t *doc = NULL;
    int rc, err;

    if ((rc = cf_ctl_simple_args(c, "grant remove", argc, argv, 2, "REPO and ID")) != CF_CTL_GO)
        return rc;
    ids = argv[optind + 1];
    if (ids[0] == '#')
        ids++;
    if (cf_parse_u64(ids, strlen(ids), INT64_MAX, &id) < 0 || id == 0)
        return cf_ctl_bad_usage("grant remove: '%s' is not a grant's id (a number, as grant "
                                "list shows)", argv[optind + 1]);
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    if ((r = cf_ctl_repo_load(c, argv[optind])) == NULL)
        return CF_CTL_FAIL;
    pool = cf_pool_new(1024);
    /* what it was, for the answer; the service decides whether it is there */
    if (stor_grant_get(c->db, (int64_t)id, pool, &gr) == 0 && gr.repo == r->id)
        doc = cf_ctl_grant_json(c, &gr, pool);
    if ((err = acl_grant_remove(cf_ctl_x(c), ACL_U_ALL, r, (int64_t)id)) < 0) {
        rc = cf_ctl_fail("repository '%s': grant #%" PRIu64 ": %s", r->name, id,
                         cf_ctl_why(c, err));
        json_decref(doc);
    } else {
        if (doc == NULL) {
            doc = json_object();
            json_object_set_new(doc, "id", json_integer((json_int_t)id));
        }
        json_object_set_new(doc, "removed", json_true());
        rc = cf_ctl_done(c, doc, "grant #%" PRIu64 " removed from '%s' (%s '%s', %s on /%s)", id,
                         r->name, json_is_true(json_object_get(doc, "personal")) ? "user"
                                                                                 : "group",
                         cf_ctl_jget(doc, "group"), cf_ctl_jget(doc, "role"),
                         cf_ctl_jget(doc, "path"));
    }
    cf_pool_free(pool);
    return rc;
}

static int
cf_ctl_grant(struct cf_ctl *c, int argc, char **argv)
{
    static const struct cf_ctl_cmd cmds[] = {
        { "add", cf_ctl_grant_add },
        { "list", cf_ctl_grant_list },
        { "remove", cf_ctl_grant_remove },
    };

    return cf_ctl_dispatch(c, "grant", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}

/* ---- access ---- */

/* Appends a JSON array of faculty names to b as "read, write". */
static void
cf_ctl_names_add(struct cf_buf *b, json_t *a)
{
    json_t *v;
    size_t i;

    if (json_array_size(a) == 0)
        cf_buf_adds(b, "nothing");
    json_array_foreach(a, i, v)
        cf_buf_addf(b, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v) : "?");
}

/* One chain of groups from the user to the granted group, for people. */
static void
cf_ctl_chain_add(struct cf_buf *b, const char *login, json_t *chain)
{
    size_t n = json_array_size(chain), i;
    json_t *first, *last, *hop;
    bool other;

    if (n == 0)
        return;
    first = json_array_get(chain, 0);
    last = json_array_get(chain, n - 1);
    other = strcmp(cf_ctl_jget(first, "section"), "other") == 0;
    if (n == 1 && other) {
        cf_buf_addf(b, "%s holds the role %s in '%s' (other permissions)", login,
                    cf_ctl_jget(first, "role"), cf_ctl_jget(first, "group"));
        return;
    }
    if (n == 1) {
        cf_buf_addf(b, "%s is a member of '%s' (%s)", login, cf_ctl_jget(first, "group"),
                    cf_ctl_jget(first, "role"));
        return;
    }
    cf_buf_addf(b, "%s is a member of '%s' through ", login, cf_ctl_jget(last, "group"));
    json_array_foreach(chain, i, hop) {
        if (i == 0)
            cf_buf_addf(b, "'%s' (%s, %s)", cf_ctl_jget(hop, "group"),
                        other ? "other permissions" : "member", cf_ctl_jget(hop, "role"));
        else
            cf_buf_addf(b, " -> '%s' (%s)", cf_ctl_jget(hop, "group"), cf_ctl_jget(hop, "role"));
    }
}

/* access, for people: the faculties, then each grant with the chains that reach it. */
static void
cf_ctl_access_print(json_t *doc)
{
    const char *login = cf_ctl_jget(doc, "user");
    json_t *grants = json_object_get(doc, "grants"), *g, *chain;
    struct cf_buf b;
    size_t i, k;

    cf_buf_init(&b);
    if (json_array_size(json_object_get(doc, "faculties")) == 0) {
        printf("%s may do nothing on /%s in '%s': no grant there or above reaches him\n", login,
               cf_ctl_jget(doc, "path"), cf_ctl_jget(doc, "repo"));
        cf_buf_release(&b);
        return;
    }
    cf_ctl_names_add(&b, json_object_get(doc, "faculties"));
    printf("%s may %s on /%s in '%s' because:\n", login, b.data, cf_ctl_jget(doc, "path"),
           cf_ctl_jget(doc, "repo"));
    json_array_foreach(grants, i, g) {
        cf_buf_reset(&b);
        cf_buf_addf(&b, "  grant #%" JSON_INTEGER_FORMAT " on /%s gives group '%s' the role %s (",
                    json_integer_value(json_object_get(g, "id")), cf_ctl_jget(g, "path"),
                    cf_ctl_jget(g, "group"), cf_ctl_jget(g, "role"));
        cf_ctl_names_add(&b, json_object_get(g, "faculties"));
        cf_buf_adds(&b, ")");
        json_array_foreach(json_object_get(g, "via"), k, chain) {
            cf_buf_adds(&b, k ? "; and " : "; ");
            cf_ctl_chain_add(&b, login, chain);
        }
        printf("%s\n", b.data);
    }
    cf_buf_release(&b);
}

static int
cf_ctl_access(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "user", required_argument, NULL, 'u' },
        { "path", required_argument, NULL, 'p' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *user = NULL, *path_arg = "";
    char path[PATH_MAX];
    struct cf_pool *pool;
    struct stor_repo *r;
    struct stor_user u;
    struct cf_buf out;
    json_error_t jerr;
    json_t *doc;
    bool help = false;
    int o, rc;

    while ((o = cf_ctl_getopt(c, "access", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'u': user = optarg; break;
        case 'p': path_arg = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "access", "one REPO");
    if (user == NULL)
        return cf_ctl_bad_usage("access: --user LOGIN is required");
    if ((rc = cf_ctl_path("access", path_arg, path, sizeof(path))) != CF_CTL_OK)
        return rc;
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    if ((r = cf_ctl_repo_load(c, argv[optind])) == NULL)
        return CF_CTL_FAIL;
    pool = cf_pool_new(1024);
    if ((rc = cf_ctl_user_load(c, user, pool, &u)) != CF_CTL_OK) {
        cf_pool_free(pool);
        return rc;
    }
    cf_buf_init(&out);
    acl_engine_explain(c->engine, c->db, u.id, r, path, &out);
    doc = json_loadb(out.data, out.len, 0, &jerr);
    cf_buf_release(&out);
    if (doc == NULL || !json_is_object(doc)) {
        json_decref(doc);
        cf_pool_free(pool);
        return cf_ctl_fail("the explanation could not be read: %s", jerr.text);
    }
    json_object_set_new(doc, "user", cf_ctl_jstr(u.login));
    json_object_set_new(doc, "repo", cf_ctl_jstr(r->name));
    json_object_set_new(doc, "path", cf_ctl_jstr(path));
    if (c->json) {
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_access_print(doc);
        json_decref(doc);
    }
    cf_pool_free(pool);
    return CF_CTL_OK;
}

/* ---- role (group and element roles) ---- */

struct cf_ctl_roles {
    enum stor_role_kind kind;
    const char *only;           /* one role's name, or NULL */
    json_t *items, *rows;
};

static int
cf_ctl_role2_one(void *arg, const struct stor_role *r)
{
    struct cf_ctl_roles *l = arg;
    bool group = l->kind == STOR_ROLES_GROUP;
    json_t *o, *row;
    struct cf_buf f;

    if (l->only != NULL && strcmp(r->name, l->only) != 0)
        return 0;
    o = json_object();
    json_object_set_new(o, "kind", json_string(group ? "group" : "element"));
    json_object_set_new(o, "name", cf_ctl_jstr(r->name));
    json_object_set_new(o, "faculties", cf_ctl_facs_json(group, r->faculties));
    json_object_set_new(o, "preset", json_boolean(r->preset));
    json_object_set_new(o, "description", cf_ctl_jstr(r->description ? r->description : ""));
    row = json_deep_copy(o);
    cf_buf_init(&f);
    cf_ctl_facs_add(&f, group, r->faculties, ",");
    json_object_set_new(row, "faculties", json_string(f.data));
    cf_buf_release(&f);
    json_object_set_new(row, "preset", json_string(r->preset ? "yes" : "no"));
    json_array_append_new(l->items, o);
    json_array_append_new(l->rows, row);
    return 0;
}

static int
cf_ctl_role_list(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "group", no_argument, NULL, 'g' },
        { "element", no_argument, NULL, 'e' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    static const char *const keys[] = { "kind", "name", "faculties", "preset", "description" };
    static const char *const heads[] = { "KIND", "NAME", "FACULTIES", "PRESET", "DESCRIPTION" };
    static const char *const nulls[] = { "", "", "", "", "" };
    struct cf_ctl_roles l = { 0 };
    bool help = false, group = false, element = false;
    int o, rc = 0;

    while ((o = cf_ctl_getopt(c, "role list", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'g': group = true; break;
        case 'e': element = true; break;
        default: return CF_CTL_USAGE;
        }
    }
    if (help) {
        cf_ctl_usage(stdout);
        return CF_CTL_OK;
    }
    if (argc != optind)
        return cf_ctl_bad_usage("role list: unexpected argument '%s'", argv[optind]);
    if (!group && !element)
        group = element = true;
    if ((rc = cf_ctl_open(c)) != CF_CTL_OK)
        return rc;
    l.items = json_array();
    l.rows = json_array();
    if (group) {
        l.kind = STOR_ROLES_GROUP;
        rc = stor_roles2_each(c->db, STOR_ROLES_GROUP, cf_ctl_role2_one, &l);
    }
    if (rc == 0 && element) {
        l.kind = STOR_ROLES_ELEMENT;
        rc = stor_roles2_each(c->db, STOR_ROLES_ELEMENT, cf_ctl_role2_one, &l);
    }
    if (rc < 0) {
        json_decref(l.items);
        json_decref(l.rows);
        return cf_ctl_fail("the roles could not be read: %s", strerror(-rc));
    }
    if (c->json) {
        json_t *doc = json_object();

        json_object_set_new(doc, "items", l.items);
        cf_ctl_json_print(doc);
    } else {
        cf_ctl_table_print(l.rows, keys, heads, nulls, 5);
        json_decref(l.items);
    }
    json_decref(l.rows);
    return CF_CTL_OK;
}

/* --group or --element, exactly one. */
static int
cf_ctl_role_kind(const char *cmd, bool group, bool element, enum stor_role_kind *k)
{
    if (group == element)
        return cf_ctl_bad_usage("%s: give --group (a group role) or --element (an element "
                                "role)", cmd);
    *k = group ? STOR_ROLES_GROUP : STOR_ROLES_ELEMENT;
    return CF_CTL_OK;
}

static int
cf_ctl_role_set(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "group", no_argument, NULL, 'g' },
        { "element", no_argument, NULL, 'e' },
        { "faculties", required_argument, NULL, 'f' },
        { "description", required_argument, NULL, 'd' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    const char *facs = NULL;
    struct stor_role r = { 0 };
    struct cf_ctl_roles l = { 0 };
    enum stor_role_kind k = STOR_ROLES_ELEMENT;    /* set by cf_ctl_role_kind */
    bool help = false, group = false, element = false;
    unsigned f = 0;
    uint32_t cur;
    json_t *doc;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "role set", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'g': group = true; break;
        case 'e': element = true; break;
        case 'f': facs = optarg; break;
        case 'd': r.description = optarg; break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "role set", "one NAME");
    if ((rc = cf_ctl_role_kind("role set", group, element, &k)) != CF_CTL_OK)
        return rc;
    if (facs == NULL && r.description == NULL)
        return cf_ctl_bad_usage("role set: give --faculties (and --description)");
    if (facs != NULL && (rc = cf_ctl_facs_parse("role set", group, facs, &f)) != CF_CTL_OK)
        return rc;
    r.name = argv[optind];
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    if (facs == NULL) {
        /* a new description only: the faculties stay */
        if ((err = stor_role2_get(c->db, k, r.name, &cur)) < 0)
            return err == -ENOENT ? cf_ctl_fail("role '%s': there is no such %s role; give "
                                                "--faculties to make it", r.name,
                                                group ? "group" : "element")
                                  : cf_ctl_fail("role '%s': the database could not be read: "
                                                "%s", r.name, strerror(-err));
        f = cur;
    }
    r.faculties = f;
    if ((err = acl_roles2_put(cf_ctl_x(c), ACL_U_ALL, k, &r)) < 0)
        return cf_ctl_fail("role '%s': %s", r.name, cf_ctl_why(c, err));
    l.kind = k;
    l.only = r.name;
    l.items = json_array();
    l.rows = json_array();
    stor_roles2_each(c->db, k, cf_ctl_role2_one, &l);
    doc = json_incref(json_array_get(l.items, 0));
    json_decref(l.items);
    json_decref(l.rows);
    if (doc == NULL)
        return cf_ctl_fail("role '%s': saved, but it could not be read back", r.name);
    {
        struct cf_buf fb;

        cf_buf_init(&fb);
        cf_ctl_facs_add(&fb, group, f, ", ");
        rc = cf_ctl_done(c, doc, "%s role '%s': %s", group ? "group" : "element", r.name,
                         fb.data);
        cf_buf_release(&fb);
    }
    return rc;
}

static int
cf_ctl_role_delete(struct cf_ctl *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "group", no_argument, NULL, 'g' },
        { "element", no_argument, NULL, 'e' },
        CF_CTL_COMMON_OPTS,
        { NULL, 0, NULL, 0 },
    };
    enum stor_role_kind k = STOR_ROLES_ELEMENT;    /* set by cf_ctl_role_kind */
    bool help = false, group = false, element = false;
    const char *name;
    json_t *doc;
    int o, rc, err;

    while ((o = cf_ctl_getopt(c, "role delete", argc, argv, opts, &help)) != -1) {
        switch (o) {
        case 'g': group = true; break;
        case 'e': element = true; break;
        default: return CF_CTL_USAGE;
        }
    }
    CF_CTL_OPERANDS(help, argc, 1, "role delete", "one NAME");
    if ((rc = cf_ctl_role_kind("role delete", group, element, &k)) != CF_CTL_OK)
        return rc;
    name = argv[optind];
    if ((rc = cf_ctl_open_engine(c)) != CF_CTL_OK)
        return rc;
    if ((err = acl_roles2_delete(cf_ctl_x(c), ACL_U_ALL, k, name)) < 0)
        return cf_ctl_fail("role '%s': %s", name, cf_ctl_why(c, err));
    doc = json_object();
    json_object_set_new(doc, "kind", json_string(group ? "group" : "element"));
    json_object_set_new(doc, "name", cf_ctl_jstr(name));
    json_object_set_new(doc, "deleted", json_true());
    return cf_ctl_done(c, doc, "%s role '%s' deleted", group ? "group" : "element", name);
}

static int
cf_ctl_role(struct cf_ctl *c, int argc, char **argv)
{
    static const struct cf_ctl_cmd cmds[] = {
        { "list", cf_ctl_role_list },
        { "set", cf_ctl_role_set },
        { "delete", cf_ctl_role_delete },
    };

    return cf_ctl_dispatch(c, "role", cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
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
    static const struct cf_ctl_cmd cmds[] = {
        { "user", cf_ctl_user },   { "audit", cf_ctl_audit }, { "group", cf_ctl_group },
        { "repo", cf_ctl_repo },   { "grant", cf_ctl_grant }, { "access", cf_ctl_access },
        { "role", cf_ctl_role },
    };
    const struct cf_ctl_cmd *run = NULL;
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
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            run = &cmds[i];
    if (run == NULL)
        return cf_ctl_bad_usage("unknown command '%s'", cmd);

    if (sodium_init() < 0)
        return cf_ctl_fail("libsodium could not initialise");
    argc -= optind;
    argv += optind;
    optind = 0;                 /* glibc: a fresh scan of the command's arguments */
    rc = run->run(&c, argc, argv);
    cf_ctl_close(&c);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cofferctl: cannot write the output: %s\n", strerror(errno));
        if (rc == CF_CTL_OK)
            rc = CF_CTL_FAIL;
    }
    return rc;
}
