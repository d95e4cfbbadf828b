/*
 * harness.c: start cofferd, speak raw HTTP to it, look at the files it
 * wrote and at the XML it answered (see harness.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "harness.h"
#include "../lib/t_seccomp.h"

static const char *
t_bin(void)
{
    const char *b = getenv("COFFER_BIN");

    return b && *b ? b : "./cofferd";
}

int
t_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* In the child before exec: from now on the call fails as f says. */
static int
t_fail_install(const struct t_fail *f)
{
    struct sock_filter prog[] = {
        T_SECCOMP_OWN_ARCH,
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)f->nr, 0, 3),
        /* the low word of the argument (little-endian) */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                 offsetof(struct seccomp_data, args) + 8 * (unsigned int)f->arg),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, f->value, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned int)f->err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };

    if (f->arg < 0 || f->arg > 5)
        return -1;
    return t_seccomp(prog, sizeof(prog) / sizeof(prog[0]));
}

static int
t_server_spawn(struct t_server *s, const char *extra_conf)
{
    char portfile[400], conffile[400], logfile[400];
    struct timespec ts = { 0, 20 * 1000 * 1000 };

    snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
    snprintf(conffile, sizeof(conffile), "%s/cofferd.conf", s->dir);
    snprintf(logfile, sizeof(logfile), "%s/cofferd.log", s->dir);
    unlink(portfile);
    if (extra_conf != NULL) {
        FILE *f = fopen(conffile, "w");

        if (f == NULL)
            return -1;
        fputs(extra_conf, f);
        fclose(f);
    }
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);

        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setenv("COFFER_ADMIN_PASSWORD", T_ADMIN_PW, 1);
        if (s->fail.set && t_fail_install(&s->fail) < 0) {
            perror("cannot install the seccomp filter");
            _exit(127);
        }
        if (extra_conf != NULL)
            execl(t_bin(), "cofferd", "-c", conffile, "--data", s->data, "--listen",
                  "127.0.0.1:0", "--port-file", portfile, (char *)NULL);
        else
            execl(t_bin(), "cofferd", "--data", s->data, "--listen", "127.0.0.1:0",
                  "--port-file", portfile, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1500; i++) {
        FILE *f = fopen(portfile, "r");
        int st;

        if (f != NULL) {
            int port = 0;

            if (fscanf(f, "%d", &port) == 1 && port > 0) {
                fclose(f);
                s->port = port;
                return 0;
            }
            fclose(f);
        }
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            fprintf(stderr, "cofferd exited during startup; see %s\n", logfile);
            s->pid = 0;
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "cofferd did not write its port within 30 s\n");
    return -1;
}

/* A new data directory under $TMPDIR, and the server started on it. */
static int
t_server_new(struct t_server *s, const char *extra_conf, const struct t_fail *fail)
{
    const char *base = getenv("TMPDIR");

    memset(s, 0, sizeof(*s));
    if (fail != NULL) {
        s->fail = *fail;
        s->fail.set = true;
    }
    snprintf(s->dir, sizeof(s->dir), "%s/coffer-it-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    snprintf(s->data, sizeof(s->data), "%s/data", s->dir);
    /* the bootstrap administrator's repository is the first one: id 1 */
    snprintf(s->repo_admin, sizeof(s->repo_admin), "%s/repos/1", s->data);
    return t_server_spawn(s, extra_conf);
}

int
t_server_start(struct t_server *s, const char *extra_conf)
{
    return t_server_new(s, extra_conf, NULL);
}

int
t_server_start_failing(struct t_server *s, const char *extra_conf, struct t_fail fail)
{
    return t_server_new(s, extra_conf, &fail);
}

void
t_server_kill(struct t_server *s)
{
    int st;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        for (int i = 0; i < 1000; i++) {
            if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
                s->pid = 0;
                break;
            }
            usleep(10000);
        }
        if (s->pid > 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
        }
        s->pid = 0;
    }
}

int
t_server_restart(struct t_server *s, const char *extra_conf)
{
    t_server_kill(s);
    return t_server_spawn(s, extra_conf);
}

void
t_server_stop(struct t_server *s)
{
    t_server_kill(s);
    if (s->dir[0] != '\0' && getenv("T_KEEP") == NULL)
        t_sh("rm -rf '%s'", s->dir);
}

int
t_setup(void **state)
{
    struct t_server *s = calloc(1, sizeof(*s));

    if (s == NULL || t_server_start(s, NULL) < 0) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

int
t_teardown(void **state)
{
    struct t_server *s = *state;

    if (s != NULL) {
        t_server_stop(s);
        free(s);
    }
    return 0;
}

/* ---- connections ---- */

int
t_conn_open(struct t_server *s)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)s->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
t_conn_send_raw(int fd, const void *p, size_t len)
{
    const char *c = p;

    while (len > 0) {
        ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Converts the head part of text (up to the first blank line) to CRLF. */
static char *
t_crlf(const char *text, size_t *outlen)
{
    size_t n = strlen(text);
    char *out = malloc(n * 2 + 1);
    size_t k = 0;
    const char *body = strstr(text, "\n\n");
    size_t head_end = body ? (size_t)(body - text) + 2 : n;

    for (size_t i = 0; i < n; i++) {
        if (i < head_end && text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            out[k++] = '\r';
        out[k++] = text[i];
    }
    out[k] = '\0';
    *outlen = k;
    return out;
}

static int
t_vsend(int fd, const char *fmt, va_list ap)
{
    char *text = NULL, *wire;
    size_t len;
    int rc;

    if (vasprintf(&text, fmt, ap) < 0)
        return -1;
    wire = t_crlf(text, &len);
    rc = t_conn_send_raw(fd, wire, len);
    free(wire);
    free(text);
    return rc;
}

int
t_conn_send(int fd, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = t_vsend(fd, fmt, ap);
    va_end(ap);
    return rc;
}

struct t_rbuf {
    int fd;
    char *p;
    size_t len, cap, off;
    int timeout_ms;
};

static int
t_rbuf_fill(struct t_rbuf *b)
{
    struct pollfd pfd = { b->fd, POLLIN, 0 };
    ssize_t n;

    if (poll(&pfd, 1, b->timeout_ms) <= 0)
        return -1;
    if (b->cap - b->len < 65536) {
        b->cap = b->cap * 2 + 65536;
        b->p = realloc(b->p, b->cap + 1);
    }
    n = recv(b->fd, b->p + b->len, b->cap - b->len, 0);
    if (n <= 0)
        return n == 0 ? 0 : -1;
    b->len += (size_t)n;
    b->p[b->len] = '\0';
    return 1;
}

/* Bytes read ahead beyond one response, per fd (pipelining tests). */
static struct {
    int fd;
    char *p;
    size_t len;
} t_ahead[64];

static void
t_ahead_take(int fd, struct t_rbuf *b)
{
    for (int i = 0; i < 64; i++)
        if (t_ahead[i].fd == fd && t_ahead[i].p != NULL) {
            b->cap = t_ahead[i].len + 65536;
            b->p = malloc(b->cap + 1);
            memcpy(b->p, t_ahead[i].p, t_ahead[i].len);
            b->len = t_ahead[i].len;
            b->p[b->len] = '\0';
            free(t_ahead[i].p);
            t_ahead[i].p = NULL;
            return;
        }
}

static void
t_ahead_keep(int fd, const char *p, size_t len)
{
    if (len == 0)
        return;
    for (int i = 0; i < 64; i++)
        if (t_ahead[i].p == NULL) {
            t_ahead[i].fd = fd;
            t_ahead[i].p = malloc(len);
            memcpy(t_ahead[i].p, p, len);
            t_ahead[i].len = len;
            return;
        }
}

int
t_conn_read(int fd, struct t_resp *r, bool head_only, int timeout_ms)
{
    struct t_rbuf b = { .fd = fd, .timeout_ms = timeout_ms > 0 ? timeout_ms : 10000 };
    char *end;
    size_t head_len;
    int rc;

    memset(r, 0, sizeof(*r));
    t_ahead_take(fd, &b);
    for (;;) {
        /* skip interim 1xx responses (100 Continue) */
        while (b.p != NULL && (end = strstr(b.p, "\r\n\r\n")) != NULL &&
               strncmp(b.p, "HTTP/1.1 1", 10) == 0) {
            size_t n = (size_t)(end - b.p) + 4;
            memmove(b.p, b.p + n, b.len - n + 1);
            b.len -= n;
        }
        if (b.p != NULL && (end = strstr(b.p, "\r\n\r\n")) != NULL)
            break;
        rc = t_rbuf_fill(&b);
        if (rc <= 0) {
            free(b.p);
            return b.len == 0 && rc == 0 ? 1 : -1;
        }
    }
    head_len = (size_t)(end - b.p) + 4;
    r->head = strndup(b.p, head_len - 2);
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) {
        free(b.p);
        return -1;
    }
    b.off = head_len;
    const char *te = t_header(r, "Transfer-Encoding");
    const char *cl = t_header(r, "Content-Length");
    bool no_body = head_only || r->status == 204 || r->status == 304;
    char *body = malloc(1);
    size_t blen = 0;

    if (no_body) {
        /* nothing */
    } else if (te != NULL && strcasecmp(te, "chunked") == 0) {
        for (;;) {
            char *eol;
            while ((eol = strstr(b.p + b.off, "\r\n")) == NULL)
                if (t_rbuf_fill(&b) <= 0)
                    goto fail;
            size_t n = strtoul(b.p + b.off, NULL, 16);
            b.off = (size_t)(eol - b.p) + 2;
            while (b.len - b.off < n + 2)
                if (t_rbuf_fill(&b) <= 0)
                    goto fail;
            if (n == 0) {
                b.off += 2;
                break;
            }
            body = realloc(body, blen + n + 1);
            memcpy(body + blen, b.p + b.off, n);
            blen += n;
            b.off += n + 2;
        }
    } else if (cl != NULL) {
        size_t n = strtoul(cl, NULL, 10);
        while (b.len - b.off < n)
            if (t_rbuf_fill(&b) <= 0)
                goto fail;
        body = realloc(body, n + 1);
        memcpy(body, b.p + b.off, n);
        blen = n;
        b.off += n;
    } else {
        while ((rc = t_rbuf_fill(&b)) > 0)
            ;
        blen = b.len - b.off;
        body = realloc(body, blen + 1);
        memcpy(body, b.p + b.off, blen);
        b.off = b.len;
    }
    body[blen] = '\0';
    r->body = body;
    r->body_len = blen;
    t_ahead_keep(fd, b.p + b.off, b.len - b.off);
    free(b.p);
    return 0;
fail:
    free(body);
    free(b.p);
    return -1;
}

bool
t_conn_closed(int fd, int timeout_ms)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    char c;

    if (poll(&pfd, 1, timeout_ms) <= 0)
        return false;
    return recv(fd, &c, 1, MSG_PEEK) == 0 || (pfd.revents & (POLLHUP | POLLERR));
}

int
t_http_raw(struct t_server *s, struct t_resp *r, const char *raw, size_t len)
{
    int fd = t_conn_open(s), rc;

    if (fd < 0)
        return -1;
    if (t_conn_send_raw(fd, raw, len) < 0) {
        close(fd);
        return -1;
    }
    rc = t_conn_read(fd, r, strncmp(raw, "HEAD ", 5) == 0, 0);
    close(fd);
    return rc == 0 ? 0 : -1;
}

int
t_http(struct t_server *s, struct t_resp *r, const char *fmt, ...)
{
    char *text = NULL, *wire;
    size_t len;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    wire = t_crlf(text, &len);
    rc = t_http_raw(s, r, wire, len);
    free(wire);
    free(text);
    return rc;
}

int
t_req(struct t_server *s, struct t_resp *r, const char *method, const char *path,
      const char *headers, const void *body, size_t len)
{
    char *head = NULL, *wire;
    size_t k = 0, n;
    int rc;

    if (asprintf(&head, "%s %s HTTP/1.1\nHost: 127.0.0.1:%d\n" T_AUTH "%sContent-Length: %zu\n\n",
                 method, path, s->port, headers ? headers : "", len) < 0)
        return -1;
    n = strlen(head);
    wire = malloc(n * 2 + len + 1);
    for (size_t i = 0; i < n; i++) {
        if (head[i] == '\n')
            wire[k++] = '\r';
        wire[k++] = head[i];
    }
    if (len > 0)
        memcpy(wire + k, body, len);
    k += len;
    rc = t_http_raw(s, r, wire, k);
    free(wire);
    free(head);
    return rc;
}

int
t_reqs(struct t_server *s, struct t_resp *r, const char *method, const char *path,
       const char *headers, const char *body)
{
    return t_req(s, r, method, path, headers, body, body ? strlen(body) : 0);
}

int
t_status(struct t_server *s, const char *method, const char *path, const char *headers,
         const char *body)
{
    struct t_resp r;
    int status;

    if (t_req(s, &r, method, path, headers, body, body ? strlen(body) : 0) < 0)
        return -1;
    status = r.status;
    t_resp_release(&r);
    return status;
}

void
t_resp_release(struct t_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

const char *
t_header(const struct t_resp *r, const char *name)
{
    static char slot[4][4096];
    static int next;
    size_t n = strlen(name);
    const char *p;

    if (r->head == NULL)
        return NULL;
    for (p = strstr(r->head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;

        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1, *e = strstr(v, "\r\n");
            size_t len;

            while (*v == ' ')
                v++;
            len = e ? (size_t)(e - v) : strlen(v);
            char *out = slot[next++ % 4];
            if (len >= sizeof(slot[0]))
                len = sizeof(slot[0]) - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
    }
    return NULL;
}

/* ---- XML ---- */

static xmlXPathObjectPtr
t_xpath(const struct t_resp *r, const char *expr, xmlDocPtr *docp)
{
    xmlDocPtr doc = xmlReadMemory(r->body, (int)r->body_len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr obj;

    *docp = doc;
    if (doc == NULL)
        return NULL;
    ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "D", BAD_CAST "DAV:");
    xmlXPathRegisterNs(ctx, BAD_CAST "M", BAD_CAST "urn:schemas-microsoft-com:");
    xmlXPathRegisterNs(ctx, BAD_CAST "T", BAD_CAST "http://example.com/t");
    obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    xmlXPathFreeContext(ctx);
    return obj;
}

int
t_xpath_count(const struct t_resp *r, const char *expr)
{
    xmlDocPtr doc;
    xmlXPathObjectPtr obj = t_xpath(r, expr, &doc);
    int n = -1;

    if (obj != NULL) {
        n = obj->nodesetval ? obj->nodesetval->nodeNr : 0;
        xmlXPathFreeObject(obj);
    }
    if (doc != NULL)
        xmlFreeDoc(doc);
    return n;
}

char *
t_xpath_string(const struct t_resp *r, const char *expr)
{
    xmlDocPtr doc;
    xmlXPathObjectPtr obj = t_xpath(r, expr, &doc);
    char *out = NULL;

    if (obj != NULL) {
        xmlChar *s = xmlXPathCastToString(obj);

        if (s != NULL && (obj->type != XPATH_NODESET ||
                          (obj->nodesetval && obj->nodesetval->nodeNr > 0)))
            out = strdup((const char *)s);
        xmlFree(s);
        xmlXPathFreeObject(obj);
    }
    if (doc != NULL)
        xmlFreeDoc(doc);
    return out;
}

/* ---- files ---- */

const char *
t_path(struct t_server *s, const char *rel)
{
    static char buf[4][1024];
    static int next;
    char *out = buf[next++ % 4];

    snprintf(out, sizeof(buf[0]), "%s/%s", s->repo_admin, rel);
    return out;
}

bool
t_file_exists(struct t_server *s, const char *rel)
{
    struct stat st;

    return lstat(t_path(s, rel), &st) == 0;
}

char *
t_file_read(struct t_server *s, const char *rel, size_t *len)
{
    FILE *f = fopen(t_path(s, rel), "rb");
    char *p = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap * 2 + 65536;
            p = realloc(p, cap + 1);
        }
        size_t r = fread(p + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    p[n] = '\0';
    if (len != NULL)
        *len = n;
    return p;
}

int
t_file_write(struct t_server *s, const char *rel, const void *p, size_t len)
{
    FILE *f = fopen(t_path(s, rel), "wb");

    if (f == NULL)
        return -1;
    if (len > 0 && fwrite(p, 1, len, f) != len) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

int
t_mkdir(struct t_server *s, const char *rel)
{
    return mkdir(t_path(s, rel), 0755);
}

void
t_print_log(struct t_server *s)
{
    char log[600], line[512];
    FILE *f;

    snprintf(log, sizeof(log), "%s/cofferd.log", s->dir);
    if ((f = fopen(log, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL)
        fprintf(stderr, "#   %s", line);
    fclose(f);
}
