/*
 * replay.c: runs a fuzz target over its corpus without libFuzzer, so that
 * gcc builds (make check) keep every seed and every input that once
 * crashed as a regression test (git's oss-fuzz/ shape, STYLE.md 11).
 *
 * Linked with one fuzz_<name>.c; FUZZ_NAME is <name>. Without arguments
 * it runs every file of $COFFER_SRCDIR/tests/fuzz/corpus/<name> in name
 * order, then a few built-in edge inputs; with arguments it runs those
 * files (to reproduce a crash under gdb). It prints TAP, one "ok" per
 * input; a crash or a sanitizer report aborts, and the test fails.
 *
 * Each input is copied into a buffer of exactly its size, as libFuzzer
 * does, so AddressSanitizer sees any read past its end.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coffer/str.h"
#include "coffer/banned.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME must name the target (-DFUZZ_NAME=\"head\")"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned t_count;

static void
t_run(const char *name, const void *p, size_t len)
{
    /* malloc(0) may return NULL; libFuzzer always passes a pointer */
    uint8_t *copy = cf_xmalloc(len ? len : 1);

    if (len > 0)
        memcpy(copy, p, len);
    /* names the input in the log should it crash */
    printf("# %s\n", name);
    fflush(stdout);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
    printf("ok %u - %s\n", ++t_count, name);
    fflush(stdout);
}

/* Reads a whole file into a malloc'ed buffer. Returns 0 or -errno. */
static int
t_slurp(const char *path, struct cf_buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (f == NULL)
        return -errno;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        cf_buf_add(out, chunk, n);
    if (ferror(f)) {
        fclose(f);
        return -EIO;
    }
    fclose(f);
    return 0;
}

static void
t_run_file(const char *path, const char *label)
{
    struct cf_buf b = CF_BUF_INIT;
    int rc = t_slurp(path, &b);

    if (rc < 0) {
        printf("not ok %u - %s: %s\n", ++t_count, label, strerror(-rc));
        fflush(stdout);
    } else {
        t_run(label, b.data, b.len);
    }
    cf_buf_release(&b);
}

static int
t_skip_dot(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Edge inputs every target gets, on top of its corpus. */
struct t_edge {
    const char *name;
    unsigned char byte;     /* the input is count copies of byte, after prefix */
    size_t count;
    const char *prefix;
};

static const struct t_edge t_edges[] = {
    { "edge: empty", 0, 0, "" },
    { "edge: one NUL", 0, 1, "" },
    { "edge: one 0xff", 0xff, 1, "" },
    { "edge: 64 KiB of 'A'", 'A', 65536, "" },
    { "edge: 64 KiB of NUL", 0, 65536, "" },
    { "edge: 16 KiB of '%'", '%', 16384, "" },
    { "edge: 16 KiB of '/'", '/', 16384, "" },
    { "edge: 16 KiB of '('", '(', 16384, "" },
    { "edge: 16 KiB of '<'", '<', 16384, "" },
    { "edge: 16 KiB of 0x80", 0x80, 16384, "/" },
    { "edge: CRLF run", '\n', 4096, "GET / HTTP/1.1\r" },
    { "edge: deep XML", '<', 4096, "<?xml version=\"1.0\"?>" },
};

int
main(int argc, char **argv)
{
    const char *srcdir = getenv("COFFER_SRCDIR");
    struct cf_buf dir = CF_BUF_INIT;
    struct dirent **ents = NULL;
    int n;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) {
        printf("1..%d\n", argc - 1);
        for (int i = 1; i < argc; i++)
            t_run_file(argv[i], argv[i]);
        return 0;
    }
    cf_buf_addf(&dir, "%s/tests/fuzz/corpus/%s", srcdir != NULL ? srcdir : ".", FUZZ_NAME);
    n = scandir(dir.data, &ents, t_skip_dot, alphasort);
    if (n < 0) {
        printf("1..1\nnot ok 1 - corpus %s: %s\n", dir.data, strerror(errno));
        cf_buf_release(&dir);
        return 1;
    }
    printf("1..%zu\n", (size_t)n + sizeof(t_edges) / sizeof(t_edges[0]));
    for (int i = 0; i < n; i++) {
        struct cf_buf path = CF_BUF_INIT, label = CF_BUF_INIT;

        cf_buf_addf(&path, "%s/%s", dir.data, ents[i]->d_name);
        cf_buf_addf(&label, "corpus/%s/%s", FUZZ_NAME, ents[i]->d_name);
        t_run_file(path.data, label.data);
        cf_buf_release(&path);
        cf_buf_release(&label);
        free(ents[i]);
    }
    free(ents);
    cf_buf_release(&dir);
    for (size_t i = 0; i < sizeof(t_edges) / sizeof(t_edges[0]); i++) {
        const struct t_edge *e = &t_edges[i];
        struct cf_buf in = CF_BUF_INIT;

        cf_buf_adds(&in, e->prefix);
        cf_buf_grow(&in, e->count);
        memset(in.data + in.len, e->byte, e->count);
        in.len += e->count;
        in.data[in.len] = '\0';
        t_run(e->name, in.data, in.len);
        cf_buf_release(&in);
    }
    return 0;
}
