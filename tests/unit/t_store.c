/*
 * t_store.c: see t_store.h.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "coffer/storage.h"
#include "t_store.h"

static int
t_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
t_rm_tree(const char *dir)
{
    nftw(dir, t_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
t_mk(struct stor_repo *r, const char *path)
{
    char buf[256];
    size_t n = strlen(path);

    assert_true(n < sizeof(buf));
    memcpy(buf, path, n + 1);
    for (size_t i = 0; i <= n; i++) {
        const char *leaf;
        struct stor_put put;
        struct stor_stat st;
        int rc;

        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        leaf = strrchr(buf, '/');
        leaf = leaf != NULL ? leaf + 1 : buf;
        if (i < n || strchr(leaf, '.') == NULL) {
            rc = stor_mkcol(r, buf, false);
            assert_true(rc == 0 || rc == -EEXIST);
        } else if (stor_stat(r, buf, &st) < 0) {
            assert_int_equal(stor_put_begin(r, buf, &put), 0);
            assert_int_equal(stor_put_commit(&put, false, NULL, &st), 0);
        }
        buf[i] = path[i];
    }
}
