/*
 * log.h: the error log and the access log.
 *
 * The error log goes to stderr or a file; one write() per line, so lines
 * from the worker threads never interleave. CF_LOG skips evaluating its
 * arguments when the level is off (redis's serverLog). cf_log_errno appends
 * ": strerror(errno)" (OpenBSD's log_warn; cf_log is log_warnx).
 *
 * Bytes that came from a client reach a log only through cf_log_escape(),
 * and Authorization headers and passwords never reach one.
 */
#ifndef COFFER_LOG_H
#define COFFER_LOG_H

#include <stddef.h>

#include "coffer/str.h"

enum cf_log_level {
    CF_LOG_ERR = 0,
    CF_LOG_WARN = 1,
    CF_LOG_INFO = 2,
    CF_LOG_DEBUG = 3,
};

extern int cf_log_level;

void cf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cf_log_errno(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CF_LOG(level, ...) \
    do { if ((level) <= cf_log_level) cf_log((level), __VA_ARGS__); } while (0)

/* Exits the process: for startup failures only. */
void cf_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Opens (or reopens, on SIGHUP) the error log and the access log. A NULL or
 * "-" path means stderr for errors and stdout for access lines; "off" turns
 * the access log off. Returns 0 or a negative errno.
 */
int cf_log_open(const char *error_path, const char *access_path);
int cf_log_reopen(void);
void cf_log_close(void);

/* Writes one access line (already formatted, without the newline). */
void cf_access_write(const char *line, size_t len);
int cf_access_enabled(void);

/*
 * Appends s to b with non-printable bytes, quotes and backslashes written as
 * \xNN, and at most max input bytes (then "...").
 */
void cf_log_escape(struct cf_buf *b, struct cf_str s, size_t max);

#endif
