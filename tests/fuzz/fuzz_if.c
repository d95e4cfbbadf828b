/*
 * fuzz_if.c: the If header (dav/dav_if.c, RFC 4918 10.4): dav_if_parse,
 * then dav_if_eval against fake resources and dav_if_has_token.
 *
 * The fake world: the lock "opaquelocktoken:a" covers every resource that
 * exists; the Request-URI exists with entity tag "abc"; a tagged resource
 * whose tag has an even length exists with entity tag "tagged", one with
 * an odd length is unknown (resolve returns -1).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav_int.h"
#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: say where, then crash. */
#define FZ_FAIL() \
    (fprintf(stderr, "%s:%d: invariant broken\n", __FILE__, __LINE__), abort())

#define FZ_TOKEN "opaquelocktoken:a"

static bool
fz_token_covers(void *arg, struct cf_str token)
{
    const struct cf_str *in = arg;

    /* tokens point into the header value */
    if (token.len == 0 || token.p < in->p || token.p + token.len > in->p + in->len)
        FZ_FAIL();
    return cf_str_eq(token, CF_STR(FZ_TOKEN));
}

static int
fz_resolve(void *arg, struct cf_str tag, struct dav_if_state *st)
{
    const struct cf_str *in = arg;

    if (tag.len == 0 || tag.p < in->p || tag.p + tag.len > in->p + in->len)
        FZ_FAIL();
    if (tag.len % 2)
        return -1;
    st->exists = true;
    st->etag = "\"tagged\"";
    st->token_covers = fz_token_covers;
    st->arg = arg;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cf_str in = cf_str_make((const char *)data, size);
    struct cf_pool *pool = cf_pool_new(4096);
    struct dav_if *h = NULL;
    struct dav_if_state self = {
        .exists = true,
        .etag = "\"abc\"",
        .token_covers = fz_token_covers,
        .arg = &in,
    };
    struct dav_if_state none = { .exists = false };

    if (dav_if_parse(pool, in, &h) == 0) {
        bool has;
        size_t ntok;

        if (h == NULL)
            FZ_FAIL();
        (void)dav_if_eval(h, &self, fz_resolve, &in);
        (void)dav_if_eval(h, &self, NULL, NULL);
        (void)dav_if_eval(h, &none, fz_resolve, &in);
        has = dav_if_has_token(h, CF_STR(FZ_TOKEN));
        ntok = dav_if_token_count(h);
        if (has && ntok == 0)
            FZ_FAIL();
        (void)dav_if_has_token(h, CF_STR(""));
    }
    cf_pool_free(pool);
    return 0;
}
