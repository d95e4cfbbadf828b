/*
 * pool.c: a chain of blocks carved front to back, plus a list of large
 * pieces that got an allocation of their own (more than a quarter of a
 * block), so that one big name does not waste the rest of a block.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coffer/pool.h"
#include "coffer/banned.h"

struct cf_pool_block {
    struct cf_pool_block *next;
    size_t size;
    size_t used;
    max_align_t data[];
};

struct cf_pool {
    struct cf_pool_block *head;   /* the block being carved; first is last */
    struct cf_pool_block *first;  /* kept across resets */
    struct cf_pool_block *large;  /* pieces with a block of their own */
    size_t block_size;
    size_t footprint;
};

#define CF_POOL_ALIGN (sizeof(max_align_t))

static struct cf_pool_block *
cf_pool_block_new(struct cf_pool *pool, size_t size)
{
    struct cf_pool_block *b = cf_xmalloc(sizeof(*b) + size);

    b->next = NULL;
    b->size = size;
    b->used = 0;
    pool->footprint += sizeof(*b) + size;
    return b;
}

static void
cf_pool_free_until(struct cf_pool *pool, struct cf_pool_block *b,
                   struct cf_pool_block *stop)
{
    while (b != stop) {
        struct cf_pool_block *next = b->next;

        pool->footprint -= sizeof(*b) + b->size;
        free(b);
        b = next;
    }
}

struct cf_pool *
cf_pool_new(size_t block_size)
{
    struct cf_pool *pool = cf_xcalloc(1, sizeof(*pool));

    pool->block_size = block_size < 256 ? 256 : block_size;
    pool->first = pool->head = cf_pool_block_new(pool, pool->block_size);
    return pool;
}

void
cf_pool_free(struct cf_pool *pool)
{
    if (pool == NULL)
        return;
    cf_pool_free_until(pool, pool->large, NULL);
    cf_pool_free_until(pool, pool->head, NULL);
    free(pool);
}

void
cf_pool_reset(struct cf_pool *pool)
{
    cf_pool_free_until(pool, pool->large, NULL);
    pool->large = NULL;
    cf_pool_free_until(pool, pool->head, pool->first);
    pool->head = pool->first;
    pool->first->used = 0;
}

void *
cf_pool_alloc(struct cf_pool *pool, size_t n)
{
    size_t need = (n + CF_POOL_ALIGN - 1) & ~(CF_POOL_ALIGN - 1);
    struct cf_pool_block *b = pool->head;

    if (need == 0)
        need = CF_POOL_ALIGN;
    if (need > pool->block_size / 4) {
        b = cf_pool_block_new(pool, need);
        b->used = need;
        b->next = pool->large;
        pool->large = b;
        return b->data;
    }
    if (b->size - b->used < need) {
        b = cf_pool_block_new(pool, pool->block_size);
        b->next = pool->head;
        pool->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += need;
    return p;
}

void *
cf_pool_calloc(struct cf_pool *pool, size_t n)
{
    void *p = cf_pool_alloc(pool, n);

    memset(p, 0, n);
    return p;
}

char *
cf_pool_strndup(struct cf_pool *pool, const char *s, size_t n)
{
    char *p = cf_pool_alloc(pool, n + 1);

    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

struct cf_str
cf_pool_strdup(struct cf_pool *pool, struct cf_str s)
{
    return cf_str_make(cf_pool_strndup(pool, s.p, s.len), s.len);
}

char *
cf_pool_printf(struct cf_pool *pool, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return cf_pool_strndup(pool, "", 0);
    char *p = cf_pool_alloc(pool, (size_t)n + 1);
    if ((size_t)n < sizeof(small)) {
        memcpy(p, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return p;
}

size_t
cf_pool_footprint(const struct cf_pool *pool)
{
    return pool->footprint;
}
