/*
 * mail.h: outgoing email (invitations, password resets).
 *
 * A message is rendered from a template, then sent. Templates are files
 * <templates>/<name>.txt that an administrator may edit (templates defaults
 * to <data>/templates); a template missing there falls back to the one
 * embedded in the server ("invite" and "reset"). A template is
 *
 *     Subject: Welcome, {{display_name}}
 *     <blank line>
 *     the plain-text body, UTF-8, with {{key}} placeholders
 *
 * Subject is the only header allowed. A placeholder the caller gave no
 * value for is an error, so a typo in an edited template is caught instead
 * of being mailed. In the Subject, CR and LF in values become spaces (no
 * header injection); in the body, runs of more than one blank line are
 * collapsed to one, so a line holding only an empty value (an invitation
 * without a personal message) leaves no hole.
 *
 * Sending builds an RFC 5322 message (RFC 2047 encoded-words for non-ASCII
 * names and subjects, text/plain; charset=UTF-8, CRLF line ends, no line
 * over 998 octets). With smtp-url set it goes out through libcurl
 * (smtp:// with STARTTLS when the server offers it, or smtps://);
 * otherwise it is written to <data>/outbox/<unix-time>-<16 hex>.eml, which
 * is what the integration tests read.
 *
 * Every function returns 0 or a negative errno and logs the cause itself.
 * Functions are safe to call from several threads once
 * cf_mail_global_init() has run.
 */
#ifndef COFFER_MAIL_H
#define COFFER_MAIL_H

#include <stddef.h>

struct cf_conf;

/* One placeholder value: {{key}} is replaced by value (UTF-8). */
struct cf_mail_var {
    const char *key;
    const char *value;
};

/*
 * Initialises libcurl once for the process; main calls it at startup,
 * before any thread starts, and tests call it too. Failure is logged and
 * later SMTP sends fail with -EIO.
 */
void cf_mail_global_init(void);

/* Releases what cf_mail_global_init() set up; call at shutdown. */
void cf_mail_global_cleanup(void);

/*
 * Renders template name (letters, digits, '-' and '_') with the n values
 * of vars. On 0, *subject (one line, no CR or LF) and *body (LF line ends)
 * are malloc'd strings the caller frees. Returns -ENOENT when neither the
 * templates directory nor the embedded defaults have name, -EINVAL when
 * the template is malformed (logged with file:line: a header other than
 * Subject, no blank line after the headers, invalid UTF-8, an unknown or
 * unterminated placeholder), or another negative errno when the file
 * cannot be read.
 */
int cf_mail_render(const struct cf_conf *conf, const char *name,
                   const struct cf_mail_var *vars, size_t n, char **subject,
                   char **body);

/*
 * Sends one message to to_addr; to_name (the display name, may be NULL or
 * empty) and subject are UTF-8, body is UTF-8 text with any line ends.
 * Returns 0; -EINVAL when to_addr is not a single plain address (it holds
 * CR, LF, '<', '>', ',', a space or a control byte, or not exactly one
 * '@') or mail-from is malformed, and nothing is sent; -EIO when the SMTP
 * server could not be reached or refused the message (logged with the
 * server URL, never the password); or another negative errno when the
 * outbox file cannot be written.
 */
int cf_mail_send(const struct cf_conf *conf, const char *to_addr,
                 const char *to_name, const char *subject, const char *body);

/*
 * cf_mail_render() then cf_mail_send(): returns the first error of the two.
 */
int cf_mail_send_template(const struct cf_conf *conf, const char *name,
                          const char *to_addr, const char *to_name,
                          const struct cf_mail_var *vars, size_t n);

/*
 * Writes each embedded template to the templates directory (made 0750 if
 * missing) when no file of that name is there yet, so an administrator
 * finds them to edit. Existing files are never overwritten, even by a
 * concurrent writer: the file appears whole or not at all. Returns 0 or a
 * negative errno.
 */
int cf_mail_templates_install(const struct cf_conf *conf);

#endif
