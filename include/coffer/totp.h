/*
 * totp.h: the primitives of the second factor. Time-based one-time passwords
 * (RFC 6238 over RFC 4226's HOTP, HMAC-SHA-1, 6 digits, 30-second steps),
 * the base32 text authenticator apps exchange secrets in (RFC 4648 6), the
 * otpauth:// URI they scan, and single-use recovery codes.
 *
 * Everything here is a pure function of its arguments, apart from the
 * random number generator (libsodium's randombytes, which needs
 * sodium_init() to have run). Nothing is stored: the caller keeps the secret,
 * the last accepted step and the recovery code hashes, and wipes secrets with
 * sodium_memzero() once used.
 */
#ifndef COFFER_TOTP_H
#define COFFER_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "coffer/str.h"

#define ACL_TOTP_SECRET_LEN 20          /* bytes, 160 bits as RFC 4226 4 recommends */
#define ACL_TOTP_B32_LEN 32             /* base32 of 20 bytes, no padding */
#define ACL_TOTP_DIGITS 6               /* what the user types */
#define ACL_TOTP_PERIOD 30              /* seconds per time step (RFC 6238 5.2) */

/*
 * Fills secret with ACL_TOTP_SECRET_LEN random bytes (randombytes_buf).
 */
void acl_totp_secret_new(unsigned char secret[ACL_TOTP_SECRET_LEN]);

/*
 * Writes len bytes of in as RFC 4648 base32 (A-Z2-7), without '=' padding,
 * NUL-terminated. out must hold ACL_TOTP_B32_SIZE(len) bytes, that is
 * ((len * 8 + 4) / 5) + 1; for a secret, ACL_TOTP_B32_LEN + 1.
 */
#define ACL_TOTP_B32_SIZE(len) ((((len) * 8 + 4) / 5) + 1)
void acl_totp_base32_encode(const unsigned char *in, size_t len, char *out);

/*
 * Decodes the base32 text in (NUL-terminated) into out, at most outcap bytes.
 * Letters may be in either case; spaces and '=' padding are ignored, so a
 * secret typed in groups ("JBSW Y3DP ...") decodes too. Returns the number of
 * bytes written, or -1 when in holds another character, when its length
 * cannot be base32 (1, 3 or 6 characters left over a multiple of 8), or when
 * the bytes do not fit in outcap.
 */
ssize_t acl_totp_base32_decode(const char *in, unsigned char *out, size_t outcap);

/*
 * The HOTP value of counter under key (RFC 4226 5.3: HMAC-SHA-1, dynamic
 * truncation), reduced to digits decimal digits. digits is 6, 7 or 8; other
 * values are clamped to that range. Returns 0 if HMAC fails (it cannot with
 * a working OpenSSL), after logging.
 */
uint32_t acl_totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter,
                       unsigned digits);

/*
 * RFC 6238 4.2: the time step of t, floor(t / 30) counted from the Unix
 * epoch. Times before the epoch are step 0.
 */
uint64_t acl_totp_step(time_t t);

/*
 * Checks a 6-digit code typed by a user at time now against secret (len
 * bytes). Steps now-1, now and now+1 are accepted, to allow for clock drift
 * (RFC 6238 5.2), but only steps greater than last_step, so a code that was
 * used once is never accepted again: the caller stores *step as the new
 * last_step after a success (0 when no code was ever used).
 *
 * code is text: exactly 6 ASCII digits, with spaces allowed anywhere and
 * ignored (authenticator apps show "123 456"). Anything else, including an
 * empty code, is refused.
 *
 * Returns true and sets *step to the matched step (the latest, should two
 * match), or false and leaves *step alone. The candidates are all computed
 * and compared in constant time, whether or not one matches.
 */
bool acl_totp_verify(const unsigned char *secret, size_t len, const char *code, time_t now,
                     uint64_t last_step, uint64_t *step);

/*
 * Appends to out the otpauth:// URI that authenticator apps scan (Google's
 * Key Uri Format):
 *   otpauth://totp/<Issuer>:<account>?secret=<B32>&issuer=<Issuer>
 *       &algorithm=SHA1&digits=6&period=30
 * issuer and account are percent-encoded, every byte outside RFC 3986's
 * unreserved set included (so ' ' is %20, '@' is %40, ':' and '/' too).
 */
void acl_totp_uri(struct cf_buf *out, const char *issuer, const char *account,
                  const char *secret_b32);

/* ---- recovery codes ---- */

#define ACL_RECOVERY_CODES 10           /* how many a user is given at once */
#define ACL_RECOVERY_LEN 11             /* "xxxxx-xxxxx" */
#define ACL_RECOVERY_HASH_LEN 64        /* hex of SHA-256 */

/*
 * Makes one random recovery code: 10 characters drawn uniformly from an
 * alphabet of lower-case letters and digits without look-alikes (no 0, o, 1,
 * l or i; 31 symbols, about 49 bits), with a dash after the fifth. out holds
 * ACL_RECOVERY_LEN + 1 bytes and is NUL-terminated.
 */
void acl_recovery_code_new(char out[ACL_RECOVERY_LEN + 1]);

/*
 * Turns what a user typed into the canonical form acl_recovery_code_new()
 * makes: upper case folded to lower, spaces and dashes dropped wherever
 * they are, and the dash put back after the fifth character. Returns 0, or
 * -EINVAL (out is then an empty string) when what is left is not exactly
 * 10 characters of the alphabet.
 */
int acl_recovery_code_normalise(const char *in, char out[ACL_RECOVERY_LEN + 1]);

/*
 * The stored form of a canonical code: the lower-case hex of its SHA-256
 * (crypto_hash_sha256), ACL_RECOVERY_HASH_LEN characters and a NUL. The codes
 * carry enough entropy that a fast hash suffices; compare stored hashes with
 * sodium_memcmp().
 */
void acl_recovery_code_hash(const char *canonical, char out[ACL_RECOVERY_HASH_LEN + 1]);

#endif
