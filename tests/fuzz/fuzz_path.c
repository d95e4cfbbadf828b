/*
 * fuzz_path.c: the one path normaliser (dav/dav_path.c) that Request-URIs,
 * Destination headers and If-header tags go through, with the default
 * max-path and with a small one so that the 414 edges are reached.
 *
 * On success the target checks the promises of dav.h: "/" followed by
 * segments without empty, "." or ".." ones, no control byte, valid UTF-8,
 * within max; and normalising the result again changes nothing (when it
 * holds no '%', which a second pass would decode).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "coffer/dav.h"
#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: say where, then crash. */
#define FZ_FAIL() \
    (fprintf(stderr, "%s:%d: invariant broken\n", __FILE__, __LINE__), abort())

static void
fz_check_path(struct cf_pool *pool, const struct dav_path *out, size_t max)
{
    const char *p = out->path;
    struct dav_path again;

    if (p == NULL || out->len == 0 || p[0] != '/' || strlen(p) != out->len)
        FZ_FAIL();
    if (out->len > max)
        FZ_FAIL();
    if (out->len > 1 && p[out->len - 1] == '/')
        FZ_FAIL();
    if (u8_check((const uint8_t *)p, out->len) != NULL)
        FZ_FAIL();
    for (size_t i = 0; i < out->len; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c < 0x20 || c == 0x7f)
            FZ_FAIL();
    }
    /* segments */
    for (size_t i = 1; out->len > 1 && i <= out->len;) {
        size_t j = i;

        while (j < out->len && p[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg == 0 || (seg == 1 && p[i] == '.') || (seg == 2 && p[i] == '.' && p[i + 1] == '.'))
            FZ_FAIL();
        i = j + 1;
    }
    if (memchr(p, '%', out->len) != NULL)
        return;
    if (dav_path_normalize(pool, cf_str_make(p, out->len), max, &again) != 0)
        FZ_FAIL();
    if (again.len != out->len || memcmp(again.path, p, out->len) != 0)
        FZ_FAIL();
}

static void
fz_one(const char *in, size_t size, size_t max)
{
    struct cf_pool *pool = cf_pool_new(4096);
    struct dav_path out;
    int rc = dav_path_normalize(pool, cf_str_make(in, size), max, &out);

    if (rc == 0)
        fz_check_path(pool, &out, max);
    else if (rc != 400 && rc != 414)
        FZ_FAIL();
    cf_pool_free(pool);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_one((const char *)data, size, 4096);
    fz_one((const char *)data, size, 64);
    return 0;
}
