/*
 * log.c: error and access logs. Both are plain fds written with a single
 * write() per line (O_APPEND for files), which keeps lines from the worker
 * threads whole without a lock. SIGHUP reopens both files (logrotate).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coffer/log.h"
#include "coffer/banned.h"

int cf_log_level = CF_LOG_INFO;

static int cf_err_fd = 2;
static int cf_acc_fd = 1;
static char *cf_err_path;
static char *cf_acc_path;
static pthread_mutex_t cf_log_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *const cf_level_names[] = { "error", "warn", "info", "debug" };

static void cf_log_write(int level, const char *fmt, va_list ap, int err)
    __attribute__((format(printf, 2, 0)));

static void
cf_log_write(int level, const char *fmt, va_list ap, int err)
{
    char line[2048];
    struct tm tm;
    time_t now = time(NULL);
    size_t n;
    int m;

    gmtime_r(&now, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
    m = snprintf(line + n, sizeof(line) - n, "[%s] ",
                 cf_level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    if (m > 0)
        n += (size_t)m;
    m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (m > 0)
        n = n + (size_t)m >= sizeof(line) ? sizeof(line) - 1 : n + (size_t)m;
    if (err && n < sizeof(line) - 1) {
        m = snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
        if (m > 0)
            n = n + (size_t)m >= sizeof(line) ? sizeof(line) - 1 : n + (size_t)m;
    }
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    if (write(cf_err_fd, line, n) < 0) {
        /* nowhere left to report it */
    }
}

void
cf_log(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > cf_log_level)
        return;
    va_start(ap, fmt);
    cf_log_write(level, fmt, ap, 0);
    va_end(ap);
}

void
cf_log_errno(int level, const char *fmt, ...)
{
    va_list ap;
    int err = errno;

    if (level > cf_log_level)
        return;
    va_start(ap, fmt);
    cf_log_write(level, fmt, ap, err);
    va_end(ap);
}

void
cf_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cf_log_write(CF_LOG_ERR, fmt, ap, 0);
    va_end(ap);
    exit(1);
}

static int
cf_log_open_one(const char *path, int dflt)
{
    int fd;

    if (path == NULL || strcmp(path, "-") == 0)
        return dflt;
    if (strcmp(path, "off") == 0)
        return -1;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno - 1000;   /* distinguishes an error from "off" */
    return fd;
}

static void
cf_log_swap(int *slot, int fd, int dflt)
{
    int old = *slot;

    *slot = fd;
    if (old >= 0 && old != dflt && old != fd)
        close(old);
}

int
cf_log_open(const char *error_path, const char *access_path)
{
    int efd, afd;

    pthread_mutex_lock(&cf_log_mu);
    free(cf_err_path);
    free(cf_acc_path);
    cf_err_path = error_path ? cf_xstrdup(error_path) : NULL;
    cf_acc_path = access_path ? cf_xstrdup(access_path) : NULL;
    pthread_mutex_unlock(&cf_log_mu);
    efd = cf_log_open_one(error_path, 2);
    if (efd < -1)
        return efd + 1000;
    afd = cf_log_open_one(access_path, 1);
    if (afd < -1) {
        if (efd > 2)
            close(efd);
        return afd + 1000;
    }
    cf_log_swap(&cf_err_fd, efd, 2);
    cf_log_swap(&cf_acc_fd, afd, 1);
    return 0;
}

int
cf_log_reopen(void)
{
    int efd, afd;

    pthread_mutex_lock(&cf_log_mu);
    efd = cf_log_open_one(cf_err_path, 2);
    afd = cf_log_open_one(cf_acc_path, 1);
    pthread_mutex_unlock(&cf_log_mu);
    if (efd >= -1)
        cf_log_swap(&cf_err_fd, efd, 2);
    if (afd >= -1)
        cf_log_swap(&cf_acc_fd, afd, 1);
    if (efd < -1 || afd < -1) {
        cf_log(CF_LOG_ERR, "%s: could not reopen a log file: %s", __func__,
               strerror(-(efd < -1 ? efd : afd) - 1000));
        return -EIO;
    }
    return 0;
}

void
cf_log_close(void)
{
    cf_log_swap(&cf_err_fd, 2, 2);
    cf_log_swap(&cf_acc_fd, 1, 1);
    free(cf_err_path);
    free(cf_acc_path);
    cf_err_path = cf_acc_path = NULL;
}

int
cf_access_enabled(void)
{
    return cf_acc_fd >= 0;
}

void
cf_access_write(const char *line, size_t len)
{
    if (cf_acc_fd < 0)
        return;
    if (write(cf_acc_fd, line, len) < 0) {
        /* an access log that cannot be written must not stop the request */
    }
}

void
cf_log_escape(struct cf_buf *b, struct cf_str s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = s.len < max ? s.len : max;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

            cf_buf_add(b, e, 4);
        } else {
            cf_buf_addc(b, (char)c);
        }
    }
    if (s.len > max)
        cf_buf_adds(b, "...");
}
