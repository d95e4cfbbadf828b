/*
 * throttle.c: the failed-login table (see throttle.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coffer/str.h"
#include "coffer/throttle.h"
#include "coffer/banned.h"

#define CF_THR_SLOTS 16384
#define CF_THR_PROBE 8
#define CF_THR_KEY 96
#define CF_THR_KNOWN 8
#define CF_THR_KNOWN_S (30 * 86400)

struct cf_thr_entry {
    char key[CF_THR_KEY];       /* "a:<addr>" or "u:<login>"; "" when free */
    unsigned fails;
    time_t last;                /* last failure or success */
    /* accounts: addresses he logged in from */
    char known[CF_THR_KNOWN][48];
    time_t known_at[CF_THR_KNOWN];
};

struct cf_throttle {
    pthread_mutex_t mu;
    unsigned after, max_s;
    struct cf_thr_entry *slot;
};

struct cf_throttle *
cf_throttle_new(unsigned after, unsigned max_s)
{
    struct cf_throttle *t = cf_xcalloc(1, sizeof(*t));

    pthread_mutex_init(&t->mu, NULL);
    t->after = after;
    t->max_s = max_s;
    t->slot = cf_xcalloc(CF_THR_SLOTS, sizeof(*t->slot));
    return t;
}

void
cf_throttle_free(struct cf_throttle *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t->slot);
    free(t);
}

/* The wait a key with fails failures still owes at now (threshold after). */
static unsigned
cf_thr_owed(const struct cf_throttle *t, const struct cf_thr_entry *e, unsigned after, time_t now)
{
    uint64_t delay;

    if (e == NULL || e->fails < after)
        return 0;
    delay = e->fails - after >= 20 ? t->max_s : 1ull << (e->fails - after);
    if (delay > t->max_s)
        delay = t->max_s;
    if (e->last + (time_t)delay <= now)
        return 0;
    return (unsigned)(e->last + (time_t)delay - now);
}

/* Finds key; with create, makes it (replacing the stalest of its probe window). */
static struct cf_thr_entry *
cf_thr_find(struct cf_throttle *t, const char *kind, const char *name, bool create, time_t now)
{
    char key[CF_THR_KEY];
    struct cf_thr_entry *victim = NULL;
    size_t h;

    snprintf(key, sizeof(key), "%s%s", kind, name);
    h = (size_t)cf_hash(key, strlen(key));
    for (unsigned i = 0; i < CF_THR_PROBE; i++) {
        struct cf_thr_entry *e = &t->slot[(h + i) % CF_THR_SLOTS];

        if (strcmp(e->key, key) == 0)
            return e;
        if (victim == NULL || e->key[0] == '\0' ||
            (victim->key[0] != '\0' && e->last < victim->last))
            victim = e;
    }
    if (!create)
        return NULL;
    (void)now;
    memset(victim, 0, sizeof(*victim));
    memcpy(victim->key, key, strlen(key) + 1);
    return victim;
}

static bool
cf_thr_known(const struct cf_thr_entry *u, const char *peer, time_t now)
{
    for (int i = 0; u != NULL && i < CF_THR_KNOWN; i++)
        if (strcmp(u->known[i], peer) == 0 && u->known_at[i] + CF_THR_KNOWN_S > now)
            return true;
    return false;
}

unsigned
cf_throttle_wait(struct cf_throttle *t, const char *login, const char *peer, time_t now)
{
    unsigned a, u = 0;

    pthread_mutex_lock(&t->mu);
    a = cf_thr_owed(t, cf_thr_find(t, "a:", peer, false, now), t->after, now);
    struct cf_thr_entry *ue = cf_thr_find(t, "u:", login, false, now);
    if (!cf_thr_known(ue, peer, now))
        u = cf_thr_owed(t, ue, t->after * 2, now);
    pthread_mutex_unlock(&t->mu);
    return a > u ? a : u;
}

void
cf_throttle_fail(struct cf_throttle *t, const char *login, const char *peer, time_t now)
{
    struct cf_thr_entry *e;

    pthread_mutex_lock(&t->mu);
    e = cf_thr_find(t, "a:", peer, true, now);
    e->fails++;
    e->last = now;
    e = cf_thr_find(t, "u:", login, true, now);
    e->fails++;
    e->last = now;
    pthread_mutex_unlock(&t->mu);
}

void
cf_throttle_success(struct cf_throttle *t, const char *login, const char *peer, time_t now)
{
    struct cf_thr_entry *e;
    int slot = 0;

    pthread_mutex_lock(&t->mu);
    if ((e = cf_thr_find(t, "a:", peer, false, now)) != NULL)
        e->fails = 0;
    e = cf_thr_find(t, "u:", login, true, now);
    e->fails = 0;
    e->last = now;
    for (int i = 0; i < CF_THR_KNOWN; i++) {
        if (strcmp(e->known[i], peer) == 0) {
            slot = i;
            break;
        }
        if (e->known_at[i] < e->known_at[slot])
            slot = i;
    }
    snprintf(e->known[slot], sizeof(e->known[slot]), "%s", peer);
    e->known_at[slot] = now;
    pthread_mutex_unlock(&t->mu);
}
