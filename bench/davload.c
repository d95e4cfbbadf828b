/*
 * bench/davload.c: the load generator of bench/compare.sh (make bench) for
 * the workloads wrk cannot do. Plain HTTP/1.1 over loopback, blocking
 * sockets, one thread per connection; it builds on its own (cc -O2 -pthread)
 * and needs nothing from Coffer.
 *
 *   davload seqput  PORT AUTH PREFIX COUNT SIZE
 *       COUNT PUTs of SIZE bytes, one after the other on one keep-alive
 *       connection, to PREFIX000000.txt, PREFIX000001.txt ...
 *   davload putmany PORT AUTH PREFIX COUNT SIZE CONNS PROPS_EVERY
 *       the same spread over CONNS connections (fixtures); every
 *       PROPS_EVERY-th file also gets two dead properties (PROPPATCH),
 *       none when 0
 *   davload mixed   PORT SPECFILE SECONDS
 *       one thread and connection per line of SPECFILE:
 *         r AUTH COMMON NFILES              a reader
 *         w AUTH COMMON NFILES OWNDIR       a writer
 *       readers PROPFIND (Depth 1) COMMON/ and GET its files
 *       COMMON/f000.txt ... ; writers PUT, PROPFIND, GET, LOCK, PUT under
 *       the lock, UNLOCK and MOVE in OWNDIR, and read COMMON too
 *   davload idle    PORT AUTH PATH COUNT HOLD_SECONDS
 *       opens COUNT connections, GETs PATH once on each (so that each is
 *       an idle keep-alive connection that has served a request), prints
 *       "ready ok=N failed=M", holds them HOLD_SECONDS and closes them
 *
 * AUTH is "-" (no credentials) or the base64 of "login:password" (Basic).
 * seqput, putmany and mixed print one line:
 *   ops=N secs=S ops_per_s=R errors=E p50_ms=A p99_ms=B
 * and the first few errors on stderr. Only 127.0.0.1 is ever connected to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

static int g_port;
static atomic_int g_errprinted;

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
errmsg(const char *fmt, ...)
{
    va_list ap;

    if (atomic_fetch_add(&g_errprinted, 1) >= 10)
        return;
    va_start(ap, fmt);
    fputs("davload: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- one connection ---- */

struct conn {
    int fd;
    char buf[65536];
    size_t len, off;            /* bytes in buf, bytes consumed */
};

struct resp {
    int status;
    long long body;             /* body bytes read */
    char lock_token[256];       /* Lock-Token header, with its <> */
};

static int
conn_open(struct conn *c)
{
    struct sockaddr_in sa;
    int one = 1;

    c->len = c->off = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)g_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return 0;
}

static void
conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = c->off = 0;
}

static int
send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* more bytes into the buffer; 0 on EOF, -1 on error */
static int
fill(struct conn *c)
{
    ssize_t r;

    if (c->off > 0 && c->off == c->len)
        c->off = c->len = 0;
    if (c->len == sizeof(c->buf)) {
        if (c->off == 0)
            return -1;
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    do
        r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return r == 0 ? 0 : -1;
    c->len += (size_t)r;
    return 1;
}

/* a line ending in CRLF, without it; NULL on EOF or error */
static char *
getline_crlf(struct conn *c)
{
    for (;;) {
        char *s = c->buf + c->off;
        char *e = memmem(s, c->len - c->off, "\r\n", 2);

        if (e != NULL) {
            *e = '\0';
            c->off = (size_t)(e - c->buf) + 2;
            return s;
        }
        if (fill(c) <= 0)
            return NULL;
    }
}

static int
skip_bytes(struct conn *c, long long n, struct resp *r)
{
    while (n > 0) {
        size_t have = c->len - c->off;

        if (have == 0) {
            if (fill(c) <= 0)
                return -1;
            continue;
        }
        if ((long long)have > n)
            have = (size_t)n;
        c->off += have;
        n -= (long long)have;
        r->body += (long long)have;
    }
    return 0;
}

/*
 * One request and its response. extra: more header lines, each ending in
 * CRLF. Returns 0 with r->status set, -1 when the connection failed (it is
 * closed then).
 */
static int
request(struct conn *c, const char *method, const char *path, const char *auth,
        const char *extra, const char *body, size_t blen, struct resp *r)
{
    char head[4096];
    int n, chunked = 0, close_after = 0, head_only;
    long long clen = -1;
    char *line;

    memset(r, 0, sizeof(*r));
    if (c->fd < 0 && conn_open(c) < 0)
        return -1;
    n = snprintf(head, sizeof(head),
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: davload\r\n"
                 "%s%s%s%sContent-Length: %zu\r\n\r\n",
                 method, path, g_port, auth ? "Authorization: Basic " : "", auth ? auth : "",
                 auth ? "\r\n" : "", extra ? extra : "", blen);
    if (n < 0 || (size_t)n >= sizeof(head))
        return -1;
    if (send_all(c->fd, head, (size_t)n) < 0 || (blen > 0 && send_all(c->fd, body, blen) < 0))
        goto broken;
    /* status line, skipping 1xx */
    for (;;) {
        line = getline_crlf(c);
        if (line == NULL || strncmp(line, "HTTP/1.", 7) != 0 || strlen(line) < 12)
            goto broken;
        r->status = atoi(line + 9);
        while ((line = getline_crlf(c)) != NULL && *line != '\0') {
            if (strncasecmp(line, "Content-Length:", 15) == 0)
                clen = atoll(line + 15);
            else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strcasestr(line, "chunked"))
                chunked = 1;
            else if (strncasecmp(line, "Connection:", 11) == 0 && strcasestr(line, "close"))
                close_after = 1;
            else if (strncasecmp(line, "Lock-Token:", 11) == 0) {
                const char *v = line + 11;

                while (*v == ' ')
                    v++;
                snprintf(r->lock_token, sizeof(r->lock_token), "%s", v);
            }
        }
        if (line == NULL)
            goto broken;
        if (r->status >= 200)
            break;
        clen = -1;
        chunked = close_after = 0;
    }
    head_only = strcmp(method, "HEAD") == 0 || r->status == 204 || r->status == 304;
    if (head_only) {
        /* no body */
    } else if (chunked) {
        for (;;) {
            long long sz;

            if ((line = getline_crlf(c)) == NULL)
                goto broken;
            sz = strtoll(line, NULL, 16);
            if (sz == 0) {
                /* trailers up to the empty line */
                while ((line = getline_crlf(c)) != NULL && *line != '\0')
                    ;
                if (line == NULL)
                    goto broken;
                break;
            }
            if (skip_bytes(c, sz, r) < 0 || getline_crlf(c) == NULL)
                goto broken;
        }
    } else if (clen >= 0) {
        if (skip_bytes(c, clen, r) < 0)
            goto broken;
    } else {
        /* until the server closes */
        while (fill(c) > 0) {
            r->body += (long long)(c->len - c->off);
            c->off = c->len;
        }
        close_after = 1;
    }
    if (close_after)
        conn_close(c);
    return 0;
broken:
    conn_close(c);
    return -1;
}

/* ---- latencies ---- */

struct lat {
    double *v;
    size_t n, cap;
};

static void
lat_add(struct lat *l, double x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->v = realloc(l->v, l->cap * sizeof(double));
        if (l->v == NULL) {
            perror("davload");
            exit(2);
        }
    }
    l->v[l->n++] = x;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
pct(struct lat *l, double p)
{
    size_t i;

    if (l->n == 0)
        return 0;
    i = (size_t)(p * (double)(l->n - 1) + 0.5);
    return l->v[i];
}

static void
report(struct lat *all, long long errors, double secs)
{
    qsort(all->v, all->n, sizeof(double), cmp_double);
    printf("ops=%zu secs=%.3f ops_per_s=%.1f errors=%lld p50_ms=%.3f p99_ms=%.3f\n", all->n, secs,
           secs > 0 ? (double)all->n / secs : 0, errors, pct(all, 0.5) * 1e3, pct(all, 0.99) * 1e3);
}

static const char *
auth_arg(const char *a)
{
    return strcmp(a, "-") == 0 ? NULL : a;
}

/* ---- PUTs ---- */

struct putjob {
    const char *auth, *prefix;
    long count, size, props_every;
    atomic_long *next;
    struct lat lat;
    long long errors;
};

static const char proppatch_body[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:B=\"urn:coffer-bench\"><D:set><D:prop>"
    "<B:author>Bench Author</B:author><B:project>issue-5 fixtures</B:project>"
    "</D:prop></D:set></D:propertyupdate>\n";

static void *
put_thread(void *arg)
{
    struct putjob *j = arg;
    struct conn c = {.fd = -1};
    char *body = malloc((size_t)j->size + 1);
    char path[2048];
    struct resp r;
    long i;

    if (body == NULL)
        return NULL;
    for (long k = 0; k < j->size; k++)
        body[k] = (char)('a' + (k * 7 + k / 61) % 26);
    while ((i = atomic_fetch_add(j->next, 1)) < j->count) {
        double t0 = now();

        snprintf(path, sizeof(path), "%s%06ld.txt", j->prefix, i);
        /* vary the first bytes so no two files are the same */
        if (j->size >= 9) {
            char tag[32];

            snprintf(tag, sizeof(tag), "%08ld\n", i % 100000000L);
            memcpy(body, tag, 9);
        }
        if (request(&c, "PUT", path, j->auth, "Content-Type: text/plain\r\n", body, (size_t)j->size,
                    &r) < 0) {
            errmsg("PUT %s: connection failed", path);
            j->errors++;
            continue;
        }
        if (r.status != 201 && r.status != 204) {
            errmsg("PUT %s: HTTP %d", path, r.status);
            j->errors++;
            continue;
        }
        if (j->props_every > 0 && i % j->props_every == 0) {
            if (request(&c, "PROPPATCH", path, j->auth,
                        "Content-Type: application/xml; charset=utf-8\r\n", proppatch_body,
                        sizeof(proppatch_body) - 1, &r) < 0 ||
                (r.status != 207 && r.status != 204 && r.status != 200)) {
                errmsg("PROPPATCH %s: HTTP %d", path, r.status);
                j->errors++;
                continue;
            }
        }
        lat_add(&j->lat, now() - t0);
    }
    conn_close(&c);
    free(body);
    return NULL;
}

static int
run_puts(const char *auth, const char *prefix, long count, long size, int conns, long props_every)
{
    pthread_t *th = calloc((size_t)conns, sizeof(*th));
    struct putjob *jobs = calloc((size_t)conns, sizeof(*jobs));
    atomic_long next = 0;
    struct lat all = {0};
    long long errors = 0;
    double t0, t1;

    if (th == NULL || jobs == NULL)
        return 2;
    t0 = now();
    for (int k = 0; k < conns; k++) {
        jobs[k] = (struct putjob){.auth = auth, .prefix = prefix, .count = count, .size = size,
                                  .props_every = props_every, .next = &next};
        pthread_create(&th[k], NULL, put_thread, &jobs[k]);
    }
    for (int k = 0; k < conns; k++) {
        pthread_join(th[k], NULL);
        for (size_t m = 0; m < jobs[k].lat.n; m++)
            lat_add(&all, jobs[k].lat.v[m]);
        errors += jobs[k].errors;
    }
    t1 = now();
    report(&all, errors, t1 - t0);
    return errors ? 1 : 0;
}

/* ---- the mixed workload ---- */

enum { OP_PROPFIND, OP_GET, OP_PUT, OP_LOCK, OP_UNLOCK, OP_MOVE, OP_N };
static const char *const op_names[OP_N] = {"PROPFIND", "GET", "PUT", "LOCK", "UNLOCK", "MOVE"};

struct user {
    char kind;
    char auth[256], common[1024], own[1024];
    int nfiles;
    double deadline;
    unsigned seed;
    struct lat lat;
    long long ops[OP_N], errors[OP_N];
};

static const char propfind_allprop[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>\n";
static const char lock_body[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:lockinfo xmlns:D=\"DAV:\"><D:lockscope><D:exclusive/></D:lockscope>"
    "<D:locktype><D:write/></D:locktype><D:owner>davload</D:owner></D:lockinfo>\n";

/* one timed operation; want: acceptable statuses, 0-terminated */
static int
op(struct user *u, struct conn *c, int kind, const char *method, const char *path,
   const char *extra, const char *body, size_t blen, const int *want, struct resp *r)
{
    double t0 = now();
    int ok = 0;

    if (request(c, method, path, auth_arg(u->auth), extra, body, blen, r) == 0) {
        for (const int *w = want; *w; w++)
            ok |= r->status == *w;
        if (!ok)
            errmsg("%s %s: HTTP %d", method, path, r->status);
    } else {
        errmsg("%s %s: connection failed", method, path);
    }
    u->ops[kind]++;
    if (!ok) {
        u->errors[kind]++;
        return -1;
    }
    lat_add(&u->lat, now() - t0);
    return 0;
}

static void *
mixed_thread(void *arg)
{
    static const int w207[] = {207, 0}, w200[] = {200, 0}, w201[] = {201, 204, 0},
                     w204[] = {204, 200, 0};
    struct user *u = arg;
    struct conn c = {.fd = -1};
    char body[4096], path[2048], path2[2048], extra[2048];
    struct resp r;
    unsigned long cycle = 0;

    for (size_t k = 0; k < sizeof(body); k++)
        body[k] = (char)('A' + k % 23);
    while (now() < u->deadline) {
        int f = (int)(rand_r(&u->seed) % (unsigned)u->nfiles);

        cycle++;
        snprintf(path, sizeof(path), "%s/", u->common);
        op(u, &c, OP_PROPFIND, "PROPFIND", path, "Depth: 1\r\nContent-Type: application/xml\r\n",
           propfind_allprop, sizeof(propfind_allprop) - 1, w207, &r);
        for (int g = 0; g < 2; g++) {
            snprintf(path, sizeof(path), "%s/f%03d.txt", u->common, (f + g * 7) % u->nfiles);
            op(u, &c, OP_GET, "GET", path, NULL, NULL, 0, w200, &r);
        }
        if (u->kind != 'w')
            continue;
        if (now() >= u->deadline)
            break;
        /* PUT, PROPFIND, GET, LOCK, PUT under the lock, UNLOCK, MOVE */
        snprintf(path, sizeof(path), "%s/doc.txt", u->own);
        {
            char tag[32];

            snprintf(tag, sizeof(tag), "%012lu\n", cycle % 1000000000000UL);
            memcpy(body, tag, 13);
        }
        if (op(u, &c, OP_PUT, "PUT", path, "Content-Type: text/plain\r\n", body, sizeof(body), w201,
               &r) < 0)
            continue;
        snprintf(path2, sizeof(path2), "%s/", u->own);
        op(u, &c, OP_PROPFIND, "PROPFIND", path2, "Depth: 1\r\nContent-Type: application/xml\r\n",
           propfind_allprop, sizeof(propfind_allprop) - 1, w207, &r);
        op(u, &c, OP_GET, "GET", path, NULL, NULL, 0, w200, &r);
        if (op(u, &c, OP_LOCK, "LOCK", path,
               "Timeout: Second-600\r\nContent-Type: application/xml\r\n", lock_body,
               sizeof(lock_body) - 1, w200, &r) == 0 && r.lock_token[0] == '<') {
            char token[256];

            snprintf(token, sizeof(token), "%s", r.lock_token);
            snprintf(extra, sizeof(extra), "If: (%s)\r\nContent-Type: text/plain\r\n", token);
            op(u, &c, OP_PUT, "PUT", path, extra, body, sizeof(body), w201, &r);
            snprintf(extra, sizeof(extra), "Lock-Token: %s\r\n", token);
            op(u, &c, OP_UNLOCK, "UNLOCK", path, extra, NULL, 0, w204, &r);
        } else if (r.status == 200) {
            errmsg("LOCK %s: no Lock-Token header", path);
            u->errors[OP_LOCK]++;
        }
        snprintf(extra, sizeof(extra), "Destination: http://127.0.0.1:%d%s/moved.txt\r\nOverwrite: T\r\n",
                 g_port, u->own);
        op(u, &c, OP_MOVE, "MOVE", path, extra, NULL, 0, w201, &r);
    }
    conn_close(&c);
    return NULL;
}

static int
run_mixed(const char *spec, double secs)
{
    FILE *f = fopen(spec, "r");
    struct user *users = NULL;
    size_t n = 0, cap = 0;
    char line[4096];
    pthread_t *th;
    struct lat all = {0};
    long long ops[OP_N] = {0}, errs[OP_N] = {0}, errors = 0;
    double t0, t1, deadline;

    if (f == NULL) {
        perror(spec);
        return 2;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        struct user u = {0};
        int got;

        got = sscanf(line, "%c %255s %1023s %d %1023s", &u.kind, u.auth, u.common, &u.nfiles, u.own);
        if (got < 4 || u.nfiles <= 0 || (u.kind == 'w' && got < 5))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            users = realloc(users, cap * sizeof(*users));
            if (users == NULL)
                return 2;
        }
        users[n++] = u;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "davload: no users in %s\n", spec);
        return 2;
    }
    th = calloc(n, sizeof(*th));
    t0 = now();
    deadline = t0 + secs;
    for (size_t k = 0; k < n; k++) {
        users[k].deadline = deadline;
        users[k].seed = (unsigned)(k * 2654435761u + 17);
        if (pthread_create(&th[k], NULL, mixed_thread, &users[k]) != 0) {
            perror("pthread_create");
            return 2;
        }
    }
    for (size_t k = 0; k < n; k++) {
        pthread_join(th[k], NULL);
        for (size_t m = 0; m < users[k].lat.n; m++)
            lat_add(&all, users[k].lat.v[m]);
        for (int o = 0; o < OP_N; o++) {
            ops[o] += users[k].ops[o];
            errs[o] += users[k].errors[o];
            errors += users[k].errors[o];
        }
    }
    t1 = now();
    /* the rate counts failed operations too: report() counts successes */
    report(&all, errors, t1 - t0);
    for (int o = 0; o < OP_N; o++)
        printf("op %s %lld errors %lld\n", op_names[o], ops[o], errs[o]);
    return 0;
}

/* ---- idle connections ---- */

static int
run_idle(const char *auth, const char *path, long count, int hold)
{
    struct conn *cs = calloc((size_t)count, sizeof(*cs));
    long ok = 0, failed = 0;
    const long batch = 200;

    if (cs == NULL)
        return 2;
    for (long b = 0; b < count; b += batch) {
        long e = b + batch < count ? b + batch : count;
        char head[1024];
        int n = snprintf(head, sizeof(head),
                         "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s\r\n", path, g_port,
                         auth ? "Authorization: Basic " : "", auth ? auth : "", auth ? "\r\n" : "");

        /* connect and send a batch, then read its answers: the server
         * accepts as it goes and the listen backlog never overflows */
        for (long i = b; i < e; i++) {
            cs[i].fd = -1;
            if (conn_open(&cs[i]) < 0 || send_all(cs[i].fd, head, (size_t)n) < 0) {
                if (failed++ < 3)
                    errmsg("idle connection %ld: %s", i, strerror(errno));
                conn_close(&cs[i]);
            }
        }
        for (long i = b; i < e; i++) {
            struct resp r = {0};
            char *line;
            long long clen = 0;

            if (cs[i].fd < 0)
                continue;
            line = getline_crlf(&cs[i]);
            if (line == NULL || strlen(line) < 12 || atoi(line + 9) != 200) {
                if (failed++ < 3)
                    errmsg("idle connection %ld: %s", i, line ? line : "closed");
                conn_close(&cs[i]);
                continue;
            }
            while ((line = getline_crlf(&cs[i])) != NULL && *line != '\0')
                if (strncasecmp(line, "Content-Length:", 15) == 0)
                    clen = atoll(line + 15);
            if (line == NULL || skip_bytes(&cs[i], clen, &r) < 0) {
                failed++;
                conn_close(&cs[i]);
                continue;
            }
            ok++;
        }
    }
    printf("ready ok=%ld failed=%ld\n", ok, failed);
    fflush(stdout);
    sleep((unsigned)hold);
    /* how many are still open (the server may have closed idle ones) */
    {
        long open_ = 0;

        for (long i = 0; i < count; i++) {
            char ch;

            if (cs[i].fd < 0)
                continue;
            if (recv(cs[i].fd, &ch, 1, MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                open_++;
            close(cs[i].fd);
        }
        printf("still-open=%ld\n", open_);
    }
    return 0;
}

static void
usage(void)
{
    fputs("usage: davload seqput PORT AUTH PREFIX COUNT SIZE\n"
          "       davload putmany PORT AUTH PREFIX COUNT SIZE CONNS PROPS_EVERY\n"
          "       davload mixed PORT SPECFILE SECONDS\n"
          "       davload idle PORT AUTH PATH COUNT HOLD_SECONDS\n",
          stderr);
    exit(2);
}

int
main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    g_port = atoi(argv[2]);
    if (g_port <= 0 || g_port > 65535)
        usage();
    if (strcmp(argv[1], "seqput") == 0 && argc == 7)
        return run_puts(auth_arg(argv[3]), argv[4], atol(argv[5]), atol(argv[6]), 1, 0);
    if (strcmp(argv[1], "putmany") == 0 && argc == 9)
        return run_puts(auth_arg(argv[3]), argv[4], atol(argv[5]), atol(argv[6]), atoi(argv[7]),
                        atol(argv[8]));
    if (strcmp(argv[1], "mixed") == 0 && argc == 5)
        return run_mixed(argv[3], atof(argv[4]));
    if (strcmp(argv[1], "idle") == 0 && argc == 7)
        return run_idle(auth_arg(argv[3]), argv[4], atol(argv[5]), atoi(argv[6]));
    usage();
    return 2;
}
