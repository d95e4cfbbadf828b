/*
 * acl_totp.c: the second factor's primitives (see coffer/totp.h).
 *
 *   RFC 4226 5.3   HOTP: HMAC-SHA-1 over the 8-byte big-endian counter, then
 *                  dynamic truncation to 31 bits, then mod 10^digits.
 *   RFC 6238 4     TOTP: the counter is floor(unix time / 30).
 *   RFC 6238 5.2   one step either side is accepted for clock drift, and a
 *                  verifier must not accept the same code twice: hence the
 *                  last_step the caller keeps.
 *   RFC 4648 6     base32, the alphabet A-Z2-7.
 *
 * This file owns no state and touches no database or HTTP; the caller stores
 * secrets, steps and recovery code hashes. HMAC comes from OpenSSL, random
 * bytes and SHA-256 from libsodium.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "coffer/log.h"
#include "coffer/str.h"
#include "coffer/totp.h"
#include "coffer/banned.h"

static const char acl_totp_b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/*
 * Recovery code alphabet: digits and lower-case letters without the
 * look-alikes 0/o, 1/l/i, so a code read off paper is typed back right.
 */
static const char acl_recovery_alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";
#define ACL_RECOVERY_ALPHABET_LEN (sizeof(acl_recovery_alphabet) - 1)
#define ACL_RECOVERY_HALF 5

void
acl_totp_secret_new(unsigned char secret[ACL_TOTP_SECRET_LEN])
{
    randombytes_buf(secret, ACL_TOTP_SECRET_LEN);
}

void
acl_totp_base32_encode(const unsigned char *in, size_t len, char *out)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = acl_totp_b32_alphabet[(acc >> bits) & 31];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)       /* RFC 4648 6: the last group is padded with zero bits */
        out[o++] = acl_totp_b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

/* The value of base32 character c, or -1. */
static int
acl_totp_b32_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

ssize_t
acl_totp_base32_decode(const char *in, unsigned char *out, size_t outcap)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t nchars = 0, o = 0;

    for (const char *p = in; *p != '\0'; p++) {
        int v;

        if (*p == ' ' || *p == '=')
            continue;
        if ((v = acl_totp_b32_value((unsigned char)*p)) < 0)
            return -1;
        nchars++;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outcap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /*
     * RFC 4648 6: a final quantum holds 2, 4, 5 or 7 characters, never 1, 3
     * or 6; and the bits past the last byte must be zero (3.5), so that each
     * byte string has one spelling.
     */
    switch (nchars % 8) {
    case 1: case 3: case 6:
        return -1;
    default:
        break;
    }
    if (acc != 0)
        return -1;
    if (o > (size_t)SSIZE_MAX)
        return -1;
    return (ssize_t)o;
}

/*
 * RFC 4226 5.3 for digits in 6..8. Returns 0 and sets *value, or -EIO when
 * HMAC fails (logged), so a broken OpenSSL can never make "000000" a match.
 */
static int
acl_totp_hotp_compute(const unsigned char *key, size_t keylen, uint64_t counter,
                      unsigned digits, uint32_t *value)
{
    static const uint32_t pow10[] = { 1000000u, 10000000u, 100000000u };
    static const unsigned char nokey[1];
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0, off;
    uint32_t bin;

    if (keylen > INT_MAX)
        return -EINVAL;
    /* RFC 4226 5.2: the counter is hashed as 8 bytes, big-endian. */
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (HMAC(EVP_sha1(), keylen > 0 ? (const void *)key : (const void *)nokey, (int)keylen,
             msg, sizeof(msg), mac, &maclen) == NULL || maclen != 20) {
        cf_log(CF_LOG_ERR, "%s: HMAC-SHA-1 failed", __func__);
        return -EIO;
    }
    /* RFC 4226 5.3: dynamic truncation, then the top bit is masked off. */
    off = mac[19] & 0x0f;
    bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
          ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    sodium_memzero(mac, sizeof(mac));
    *value = bin % pow10[digits - 6];
    return 0;
}

uint32_t
acl_totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, unsigned digits)
{
    uint32_t v = 0;

    if (digits < 6)
        digits = 6;
    if (digits > 8)
        digits = 8;
    if (acl_totp_hotp_compute(key, keylen, counter, digits, &v) < 0)
        return 0;
    return v;
}

uint64_t
acl_totp_step(time_t t)
{
    if (t < 0)
        return 0;
    return (uint64_t)t / ACL_TOTP_PERIOD;
}

/*
 * Reads the code a user typed: exactly ACL_TOTP_DIGITS digits, with spaces
 * ignored. Returns 0 and sets *value, or -EINVAL.
 */
static int
acl_totp_code_parse(const char *code, uint32_t *value)
{
    uint32_t v = 0;
    unsigned n = 0;

    if (code == NULL)
        return -EINVAL;
    for (const char *p = code; *p != '\0'; p++) {
        unsigned d = (unsigned char)*p - '0';

        if (*p == ' ')
            continue;
        if (d > 9 || n == ACL_TOTP_DIGITS)
            return -EINVAL;
        v = v * 10 + d;
        n++;
    }
    if (n != ACL_TOTP_DIGITS)
        return -EINVAL;
    *value = v;
    return 0;
}

bool
acl_totp_verify(const unsigned char *secret, size_t len, const char *code, time_t now,
                uint64_t last_step, uint64_t *step)
{
    uint64_t cur = acl_totp_step(now), best = 0, found = 0;
    uint32_t want;
    bool failed = false;

    if (secret == NULL || len == 0 || acl_totp_code_parse(code, &want) < 0)
        return false;
    /*
     * Every candidate is computed and compared whether or not an earlier one
     * matched, and the comparison is arithmetic rather than a branch, so the
     * time taken says nothing about which step (if any) the code belongs to.
     * Ascending order makes the latest matching step win, which burns the
     * most steps should two candidates share a code.
     */
    for (int k = -1; k <= 1; k++) {
        uint64_t s, usable, mask;
        uint32_t value = 0, diff;

        if (k < 0 && cur == 0)
            continue;           /* no step before the epoch */
        s = k < 0 ? cur - 1 : cur + (uint64_t)k;
        if (acl_totp_hotp_compute(secret, len, s, ACL_TOTP_DIGITS, &value) < 0)
            failed = true;
        diff = value ^ want;
        /* 1 when diff is 0, else 0: diff - 1 wraps only from 0. */
        usable = ((uint64_t)diff - 1) >> 63;
        usable &= s > last_step;        /* RFC 6238 5.2: never the same code twice */
        mask = (uint64_t)0 - usable;
        best = (best & ~mask) | (s & mask);
        found |= usable;
    }
    if (failed || !found)
        return false;           /* fail closed */
    *step = best;
    return true;
}

/*
 * Appends s percent-encoded, keeping only RFC 3986's unreserved characters:
 * the otpauth label uses ':' as its separator and '/' would end the path, so
 * cf_buf_add_urlenc() (which keeps '/') will not do.
 */
static void
acl_totp_add_pct(struct cf_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        unsigned char c = *p;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            cf_buf_addc(out, (char)c);
        } else {
            cf_buf_addc(out, '%');
            cf_buf_addc(out, hex[c >> 4]);
            cf_buf_addc(out, hex[c & 15]);
        }
    }
}

void
acl_totp_uri(struct cf_buf *out, const char *issuer, const char *account,
             const char *secret_b32)
{
    cf_buf_adds(out, "otpauth://totp/");
    acl_totp_add_pct(out, issuer);
    cf_buf_addc(out, ':');
    acl_totp_add_pct(out, account);
    cf_buf_adds(out, "?secret=");
    acl_totp_add_pct(out, secret_b32);
    cf_buf_adds(out, "&issuer=");
    acl_totp_add_pct(out, issuer);
    cf_buf_addf(out, "&algorithm=SHA1&digits=%d&period=%d", ACL_TOTP_DIGITS, ACL_TOTP_PERIOD);
}

void
acl_recovery_code_new(char out[ACL_RECOVERY_LEN + 1])
{
    size_t o = 0;

    for (int i = 0; i < 2 * ACL_RECOVERY_HALF; i++) {
        if (i == ACL_RECOVERY_HALF)
            out[o++] = '-';
        /* randombytes_uniform: no modulo bias for a 31-symbol alphabet. */
        out[o++] = acl_recovery_alphabet[randombytes_uniform(ACL_RECOVERY_ALPHABET_LEN)];
    }
    out[o] = '\0';
}

int
acl_recovery_code_normalise(const char *in, char out[ACL_RECOVERY_LEN + 1])
{
    size_t o = 0;
    int n = 0;

    out[0] = '\0';
    if (in == NULL)
        return -EINVAL;
    for (const char *p = in; *p != '\0'; p++) {
        char c = *p;

        if (c == ' ' || c == '-')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (n == 2 * ACL_RECOVERY_HALF ||
            memchr(acl_recovery_alphabet, c, ACL_RECOVERY_ALPHABET_LEN) == NULL) {
            out[0] = '\0';
            return -EINVAL;
        }
        if (n == ACL_RECOVERY_HALF)
            out[o++] = '-';
        out[o++] = c;
        n++;
    }
    if (n != 2 * ACL_RECOVERY_HALF) {
        out[0] = '\0';
        return -EINVAL;
    }
    out[o] = '\0';
    return 0;
}

void
acl_recovery_code_hash(const char *canonical, char out[ACL_RECOVERY_HASH_LEN + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, (const unsigned char *)canonical, strlen(canonical));
    sodium_bin2hex(out, ACL_RECOVERY_HASH_LEN + 1, h, sizeof(h));
}
