/*
 * pool.h: the request-lifetime arena (nginx's r->pool). Everything a request
 * borrows (the copied head, decoded paths, names from an XML body) is taken
 * from its pool and released in one go when the response is finished;
 * nothing in a pool is freed one by one.
 *
 * A pool keeps its first block across cf_pool_reset(), so a keep-alive
 * connection serves request after request without touching malloc.
 */
#ifndef COFFER_POOL_H
#define COFFER_POOL_H

#include <stdarg.h>
#include <stddef.h>

#include "coffer/str.h"

struct cf_pool;

/* Makes a pool whose blocks hold block_size bytes. Caller frees with cf_pool_free. */
struct cf_pool *cf_pool_new(size_t block_size);
/* Frees the pool and everything taken from it; NULL is allowed. */
void cf_pool_free(struct cf_pool *pool);
/* Forgets everything taken from the pool but keeps its first block. */
void cf_pool_reset(struct cf_pool *pool);

/* Returns n bytes aligned for any type; never NULL. */
void *cf_pool_alloc(struct cf_pool *pool, size_t n);
void *cf_pool_calloc(struct cf_pool *pool, size_t n);
char *cf_pool_strndup(struct cf_pool *pool, const char *s, size_t n);
struct cf_str cf_pool_strdup(struct cf_pool *pool, struct cf_str s);
char *cf_pool_printf(struct cf_pool *pool, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes currently taken from the system by the pool (for tests and stats). */
size_t cf_pool_footprint(const struct cf_pool *pool);

#endif
