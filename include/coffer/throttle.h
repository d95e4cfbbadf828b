/*
 * throttle.h: failed logins slow down, per client address and per account,
 * so that a password cannot be guessed, without letting an attacker lock a
 * real user out from elsewhere.
 *
 * After `after` failures a key (an address, or an account) must wait before
 * its next attempt: 1 s, then 2, 4, 8 ... up to max_s, counted from the last
 * failure; an attempt inside the wait is answered 429 with Retry-After and
 * is not even checked. The account's own counter (which sees failures from
 * every address, at twice the threshold) is not applied to addresses from
 * which that account logged in successfully in the last 30 days: the
 * guesser is slowed down, the owner at his usual address is not. A success
 * clears the address's and the account's counters.
 *
 * One table for the process, behind a mutex; it is touched only on logins
 * that are not in the credential cache. Bounded: 16384 keys; the stalest
 * is replaced when full.
 */
#ifndef COFFER_THROTTLE_H
#define COFFER_THROTTLE_H

#include <time.h>

struct cf_throttle;

struct cf_throttle *cf_throttle_new(unsigned after, unsigned max_s);
void cf_throttle_free(struct cf_throttle *t);
/* Seconds login from peer must still wait (0: go ahead). */
unsigned cf_throttle_wait(struct cf_throttle *t, const char *login, const char *peer, time_t now);
/* A failed attempt (wrong password, unknown login, wrong second factor). */
void cf_throttle_fail(struct cf_throttle *t, const char *login, const char *peer, time_t now);
/* A successful login: clears the counters, remembers the address for the account. */
void cf_throttle_success(struct cf_throttle *t, const char *login, const char *peer, time_t now);

#endif
