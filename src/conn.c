/*
 * conn.c: listeners, connections and the request/response cycle.
 *
 * A connection moves through these states:
 *   IDLE     waiting for the first byte of a request (idle timeout)
 *   HEAD     bytes arriving, no blank line yet (absolute header deadline;
 *            request-line and head limits checked on every read)
 *   BODY     the handler's begin() accepted the request; body bytes go to
 *            its sink as they arrive (body inactivity timeout)
 *   RESPOND  the response is being queued; a pipelined request waits in
 *            the input buffer (bounded by its read watermark) until this
 *            one is answered. Reading stays on, so that answering costs no
 *            epoll_ctl calls
 *   CLOSING  flushing the last response before closing
 * Response bodies are a list of parts (memory, or a file range sent with
 * sendfile) and optionally a producer that streams the rest as the output
 * drains, so neither a 1 GiB GET nor a 100,000-entry PROPFIND is ever held
 * in memory.
 *
 * This file knows HTTP framing only; what a request means is the handler's
 * business (struct cf_handler, passed in by main).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "coffer/conn.h"
#include "coffer/log.h"
#include "coffer/banned.h"

/* from http_parse.c */
size_t cf_http_body_execute(void *parser, struct cf_req *req, const char *p,
                            size_t len, int *err);
size_t cf_http_parser_size(void);

#define CF_PUMP_LOW        (256u * 1024)   /* refill output below this */
#define CF_PRODUCE_FIRST   (64u * 1024)    /* bigger than this goes chunked */
#define CF_PRODUCE_LOW     (64u * 1024)    /* produce more below this */
#define CF_TLS_PIECE       (64u * 1024)
#define CF_DISCARD_MAX     (64u * 1024)    /* bodies of refused requests we read */
#define CF_READ_MAX        (256u * 1024)
#define CF_READ_PIECE      (16u * 1024)    /* plain TCP: one read(2) into the input */
#define CF_INLINE_FILE     (64u * 1024)    /* smaller file parts are read, not sent */
#define CF_BODY_PIECE      (256u * 1024)   /* a body read straight from the socket */
#define CF_BODY_TURN       (16u * CF_BODY_PIECE) /* then let other connections in */
#define CF_BODY_WRITEBACK  (8u * 1024 * 1024) /* durable bodies: start writing back */

struct cf_resp_part {
    struct cf_resp_part *next;
    struct cf_buf mem;          /* used when fd < 0 and there is no ref */
    const void *ref;            /* borrowed bytes (cf_resp_ref), len of them */
    cf_release_fn release;
    void *release_arg;
    int fd;
    uint64_t off, len;
    bool framed;                /* chunk header already sent */
};

enum cf_conn_state { C_IDLE, C_HEAD, C_BODY, C_RESPOND, C_CLOSING };

struct cf_worker;

struct cf_conn {
    struct cf_conn *prev, *next;
    struct cf_conn *job_next;   /* in the blocking-work queue */
    cf_job_fn job_fn;
    int job_status;
    bool job_running;           /* a pool thread owns req right now */
    bool job_begin;             /* ... for begin(), which runs again after it */
    bool dead;                  /* closed while its job ran: free when it ends */
    struct cf_worker *w;
    struct bufferevent *bev;
    struct event *rev;          /* plain TCP: reading (cf_conn_on_readable) */
    bool reading;
    unsigned read_ms;           /* the read timeout read_tv holds */
    struct timeval read_tv;
    enum cf_conn_state state;
    char peer[INET6_ADDRSTRLEN];
    bool loopback;
    bool tls;
    bool req_active;
    bool begun;                 /* the handler's begin() ran */
    bool chunked_out;
    bool produced_done;
    int pending_status;         /* answer once the refused body is read */
    void *parser;
    struct event *head_timer;
    struct cf_resp_part *pump;
    struct cf_buf prodbuf;
    struct cf_buf head_out;
    struct cf_req req;
};

struct cf_worker {
    struct cf_server *srv;
    unsigned index;
    pthread_t thread;
    bool started;
    struct event_base *base;
    struct evconnlistener *lev;
    int listen_fd;
    struct event *stop_ev;
    struct event *deadline_ev;
    void *tctx;
    struct cf_conn *conns;
    unsigned nconns;
    bool stopping;
    atomic_uint jobs;           /* requests of this worker in the pool */
    int pipe[2];                /* for splice(2) of bodies, made on the first */
    bool pipe_failed;
    time_t date_t;
    char date[30];
};

struct cf_pool_thread {
    struct cf_server *srv;
    unsigned index;
    pthread_t thread;
    bool started;
};

struct cf_server {
    const struct cf_conf *conf;
    struct cf_handler handler;
    SSL_CTX *ssl;
    struct cf_worker *workers;
    unsigned nworkers;
    int port;
    atomic_uint nconns;
    unsigned grace_ms;
    struct cf_http_limits lim;
    /* the blocking-work pool (cf_req_defer) */
    pthread_mutex_t jmu;
    pthread_cond_t jcv;
    struct cf_conn *jhead, *jtail;
    bool jstop;
    struct cf_pool_thread *pool;
    unsigned npool;
};

static void cf_conn_process(struct cf_conn *c);
static void cf_conn_respond(struct cf_conn *c, int status);
static void cf_conn_free(struct cf_conn *c);
static void cf_conn_enqueue(struct cf_conn *c);
static void cf_conn_dispatch(struct cf_conn *c);
static void cf_conn_eventcb(struct bufferevent *bev, short what, void *arg);

/* ---- response building (called by handlers) ---- */

static struct cf_resp_part *
cf_resp_part_new(struct cf_req *req)
{
    struct cf_resp_part *p = cf_pool_calloc(req->pool, sizeof(*p));

    cf_buf_init(&p->mem);
    p->fd = -1;
    if (req->parts_tail != NULL)
        req->parts_tail->next = p;
    else
        req->parts = p;
    req->parts_tail = p;
    return p;
}

void
cf_resp_header(struct cf_req *req, const char *name, const char *fmt, ...)
{
    va_list ap;

    cf_buf_adds(&req->resp_head, name);
    cf_buf_add(&req->resp_head, ": ", 2);
    va_start(ap, fmt);
    /* most headers are a "%s" or a constant: no printf for them */
    if (fmt[0] == '%' && fmt[1] == 's' && fmt[2] == '\0')
        cf_buf_adds(&req->resp_head, va_arg(ap, const char *));
    else if (strchr(fmt, '%') == NULL)
        cf_buf_adds(&req->resp_head, fmt);
    else
        cf_buf_vaddf(&req->resp_head, fmt, ap);
    va_end(ap);
    cf_buf_add(&req->resp_head, "\r\n", 2);
}

void
cf_resp_add(struct cf_req *req, const void *p, size_t len)
{
    struct cf_resp_part *part = req->parts_tail;

    if (len == 0)
        return;
    if (part == NULL || part->fd >= 0 || part->ref != NULL || part->len != part->mem.len)
        part = cf_resp_part_new(req);
    cf_buf_add(&part->mem, p, len);
    part->len = part->mem.len;
    req->resp_len += len;
}

void
cf_resp_adds(struct cf_req *req, const char *s)
{
    cf_resp_add(req, s, strlen(s));
}

void
cf_resp_addbuf(struct cf_req *req, const struct cf_buf *b)
{
    cf_resp_add(req, b->data, b->len);
}

void
cf_resp_ref(struct cf_req *req, const void *p, size_t len, cf_release_fn release, void *arg)
{
    struct cf_resp_part *part;

    if (len == 0) {
        release(p, len, arg);
        return;
    }
    part = cf_resp_part_new(req);
    part->ref = p;
    part->len = len;
    part->release = release;
    part->release_arg = arg;
    req->resp_len += len;
}

void
cf_resp_file(struct cf_req *req, int fd, uint64_t off, uint64_t len)
{
    struct cf_resp_part *part;

    if (len == 0) {
        close(fd);
        return;
    }
    part = cf_resp_part_new(req);
    part->fd = fd;
    part->off = off;
    part->len = len;
    req->resp_len += len;
}

void
cf_resp_stream(struct cf_req *req, cf_producer_fn fn)
{
    req->producer = fn;
}

static void
cf_resp_parts_release(struct cf_req *req)
{
    for (struct cf_resp_part *p = req->parts; p != NULL; p = p->next) {
        if (p->fd >= 0)
            close(p->fd);
        p->fd = -1;
        if (p->ref != NULL)
            p->release(p->ref, (size_t)p->len, p->release_arg);
        p->ref = NULL;
        cf_buf_release(&p->mem);
    }
    req->parts = req->parts_tail = NULL;
    req->resp_len = 0;
}

void
cf_resp_reset(struct cf_req *req)
{
    cf_resp_parts_release(req);
    cf_buf_reset(&req->resp_head);
    req->producer = NULL;
}

/* ---- request lifecycle ---- */

static const char *
cf_worker_date(struct cf_worker *w)
{
    time_t now = time(NULL);

    if (now != w->date_t) {
        w->date_t = now;
        cf_http_date(now, w->date);
    }
    return w->date;
}

static int
cf_conn_on_body(struct cf_req *req, const char *p, size_t len);

static void
cf_conn_req_begin(struct cf_conn *c)
{
    struct cf_req *req = &c->req;
    struct cf_pool *pool = req->pool;
    struct cf_buf head = req->resp_head;

    if (pool == NULL)
        pool = cf_pool_new(4096);
    memset(req, 0, sizeof(*req));
    req->pool = pool;
    req->resp_head = head;
    if (req->resp_head.data == NULL)
        cf_buf_init(&req->resp_head);
    cf_buf_reset(&req->resp_head);
    cf_buf_init(&req->body);
    req->conn = c;
    req->conf = c->w->srv->conf;
    req->tctx = c->w->tctx;
    req->tls = c->tls;
    req->peer = c->peer;
    req->peer_loopback = c->loopback;
    req->body_fd = -1;
    req->on_body = cf_conn_on_body;
    req->body_max = req->conf->max_body;
    clock_gettime(CLOCK_MONOTONIC, &req->t_start);
    c->req_active = true;
    c->begun = false;
    c->pending_status = 0;
    c->chunked_out = false;
    c->produced_done = false;
    c->pump = NULL;
}

static void
cf_conn_access_log(struct cf_conn *c)
{
    struct cf_req *req = &c->req;
    struct timespec now;
    struct cf_buf line = CF_BUF_INIT;
    char date[30];
    long ms;

    if (!cf_access_enabled())
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (now.tv_sec - req->t_start.tv_sec) * 1000 +
         (now.tv_nsec - req->t_start.tv_nsec) / 1000000;
    cf_http_date(time(NULL), date);
    cf_buf_adds(&line, c->peer);
    cf_buf_adds(&line, " \"");
    if (req->user_login.len)
        cf_log_escape(&line, req->user_login, 64);
    else
        cf_buf_addc(&line, '-');
    cf_buf_addf(&line, "\" [%s] \"", date);
    cf_log_escape(&line, req->method_name.len ? req->method_name : CF_STR("-"), 16);
    cf_buf_addc(&line, ' ');
    cf_log_escape(&line, req->log_target.len ? req->log_target : req->target, 1024);
    cf_buf_addf(&line, " HTTP/%u.%u\" %d %llu %ldms \"", req->http_major,
                req->http_minor, req->status, (unsigned long long)req->bytes_out, ms);
    const struct cf_str *ua = req->headers ? cf_req_header(req, CF_STR("User-Agent")) : NULL;
    cf_log_escape(&line, ua ? *ua : CF_STR("-"), 200);
    cf_buf_adds(&line, "\"\n");
    cf_access_write(line.data, line.len);
    cf_buf_release(&line);
}

/* Ends the current request: logs it and releases what it held. */
static void
cf_conn_req_end(struct cf_conn *c, bool log)
{
    struct cf_req *req = &c->req;
    const struct cf_handler *h = &c->w->srv->handler;

    if (!c->req_active)
        return;
    if (log && req->status)
        cf_conn_access_log(c);
    if (c->begun && h->done != NULL)
        h->done(req);
    c->begun = false;
    cf_resp_parts_release(req);
    cf_buf_release(&req->body);
    cf_pool_reset(req->pool);
    c->req_active = false;
}

/* ---- connections ---- */

/*
 * Reading. A TLS connection reads through its bufferevent. A plain TCP
 * connection reads for itself (cf_conn_on_readable): libevent 2.1's socket
 * bufferevent asks the kernel how much is waiting (an ioctl) before every
 * read and then reads at most 4 KiB, which cost a small PUT a tenth of its
 * time. The bufferevent still holds the input buffer and does the writing
 * that cannot be done at once. Timeouts and EOF reach cf_conn_eventcb() as
 * they would from the bufferevent, which turns reading off first.
 */
static void
cf_conn_read_on(struct cf_conn *c)
{
    if (c->tls) {
        bufferevent_enable(c->bev, EV_READ);
        return;
    }
    event_add(c->rev, &c->read_tv);
    c->reading = true;
}

static void
cf_conn_read_off(struct cf_conn *c)
{
    if (c->tls) {
        bufferevent_disable(c->bev, EV_READ);
        return;
    }
    if (c->reading)
        event_del(c->rev);
    c->reading = false;
}

/*
 * Sets the read timeout, and starts its timer over. On plain TCP the timer
 * also starts over with every read, so a timeout that does not change (the
 * idle one, from request to request on a keep-alive connection) is left as
 * it is unless restart says so.
 */
static void
cf_conn_read_timeout(struct cf_conn *c, unsigned ms, bool restart)
{
    const struct cf_conf *conf = c->w->srv->conf;
    struct timeval wt = { conf->write_timeout_ms / 1000,
                          (conf->write_timeout_ms % 1000) * 1000 };

    if (!c->tls && !restart && c->read_ms == ms)
        return;
    c->read_ms = ms;
    c->read_tv.tv_sec = ms / 1000;
    c->read_tv.tv_usec = (ms % 1000) * 1000;
    if (c->tls) {
        bufferevent_set_timeouts(c->bev, &c->read_tv, &wt);
        return;
    }
    bufferevent_set_timeouts(c->bev, NULL, &wt);
    if (c->reading)
        event_add(c->rev, &c->read_tv);
}

static void
cf_conn_set_read_timeout(struct cf_conn *c, unsigned ms)
{
    cf_conn_read_timeout(c, ms, false);
}

static void
cf_conn_free(struct cf_conn *c)
{
    struct cf_worker *w = c->w;

    if (c->job_running) {
        /* a pool thread is using the request: finish when it is done */
        c->dead = true;
        cf_conn_read_off(c);
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        return;
    }
    cf_conn_req_end(c, c->req.status != 0);
    if (c->head_timer != NULL)
        event_free(c->head_timer);
    if (c->rev != NULL)
        event_free(c->rev);
    if (c->bev != NULL)
        bufferevent_free(c->bev);
    cf_pool_free(c->req.pool);
    cf_buf_release(&c->req.resp_head);
    cf_buf_release(&c->prodbuf);
    cf_buf_release(&c->head_out);
    free(c->parser);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    w->nconns--;
    atomic_fetch_sub(&w->srv->nconns, 1);
    free(c);
    if (w->stopping && w->nconns == 0)
        event_base_loopexit(w->base, NULL);
}

/*
 * Plain TCP: writes the queued output now rather than a loop turn later on
 * the write event, which costs two epoll_ctl calls to arm and disarm and
 * an epoll_wait; the write event is armed only while the socket would block.
 * A write error is left for that event to report (through cf_conn_eventcb).
 * A TLS bufferevent does its own writing. Returns whether output remains.
 */
static bool
cf_conn_flush(struct cf_conn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);

    if (c->tls)
        return evbuffer_get_length(out) > 0;
    /* a socket bufferevent keeps the front of its output frozen to others */
    evbuffer_unfreeze(out, 1);
    while (evbuffer_get_length(out) > 0) {
        int n = evbuffer_write(out, bufferevent_getfd(c->bev));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
    }
    evbuffer_freeze(out, 1);
    if (evbuffer_get_length(out) > 0) {
        bufferevent_enable(c->bev, EV_WRITE);
        return true;
    }
    bufferevent_disable(c->bev, EV_WRITE);
    return false;
}

/* Closes once the output has been written. */
static void
cf_conn_close_after_flush(struct cf_conn *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);

    c->state = C_CLOSING;
    cf_conn_read_off(c);
    if (c->head_timer != NULL)
        evtimer_del(c->head_timer);
    if (evbuffer_get_length(out) == 0) {
        cf_conn_free(c);
        return;
    }
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
}

/*
 * Queues more of the response while the output is short. Returns 1 when
 * everything has been queued, 0 when more remains, -1 on a failure that
 * leaves the connection unusable.
 */
static int
cf_conn_pump(struct cf_conn *c)
{
    struct cf_req *req = &c->req;
    struct evbuffer *out = bufferevent_get_output(c->bev);

    while (evbuffer_get_length(out) < CF_PUMP_LOW) {
        struct cf_resp_part *p = c->pump;

        if (p != NULL) {
            if (c->chunked_out && p->len > 0 && !p->framed) {
                /* every body byte of a chunked answer is framed */
                evbuffer_add_printf(out, "%llx\r\n", (unsigned long long)p->len);
                p->framed = true;
            }
            if (p->ref != NULL) {
                /* the output owns the reference now: it releases it once written */
                if (evbuffer_add_reference(out, p->ref, (size_t)p->len, p->release,
                                           p->release_arg) < 0)
                    return -1;
                p->ref = NULL;
                if (c->chunked_out)
                    evbuffer_add(out, "\r\n", 2);
                req->bytes_out += p->len;
                c->pump = p->next;
                continue;
            }
            if (p->fd < 0) {
                evbuffer_add(out, p->mem.data, p->mem.len);
                if (c->chunked_out)
                    evbuffer_add(out, "\r\n", 2);
                req->bytes_out += p->mem.len;
                c->pump = p->next;
                continue;
            }
            if (!c->tls && p->len > CF_INLINE_FILE) {
                struct evbuffer_file_segment *seg =
                    evbuffer_file_segment_new(p->fd, (ev_off_t)p->off,
                                              (ev_off_t)p->len, EVBUF_FS_CLOSE_ON_FREE);
                if (seg == NULL)
                    return -1;
                p->fd = -1;     /* the segment owns it now */
                if (evbuffer_add_file_segment(out, seg, 0, (ev_off_t)p->len) < 0) {
                    evbuffer_file_segment_free(seg);
                    return -1;
                }
                evbuffer_file_segment_free(seg);
                if (c->chunked_out)
                    evbuffer_add(out, "\r\n", 2);
                req->bytes_out += p->len;
                c->pump = p->next;
                continue;
            }
            /*
             * TLS cannot use sendfile: read a piece at a time. A small file is
             * read too, so that it leaves with the head in one write (one TCP
             * segment) instead of a writev and a sendfile a loop turn apart.
             */
            struct evbuffer_iovec v;
            size_t n = p->len < CF_TLS_PIECE ? (size_t)p->len : CF_TLS_PIECE;
            if (evbuffer_reserve_space(out, (ev_ssize_t)n, &v, 1) < 1)
                return -1;
            ssize_t r = pread(p->fd, v.iov_base, n, (off_t)p->off);
            if (r <= 0) {
                cf_log_errno(CF_LOG_WARN, "%s: reading a response file", __func__);
                return -1;
            }
            v.iov_len = (size_t)r;
            evbuffer_commit_space(out, &v, 1);
            p->off += (uint64_t)r;
            p->len -= (uint64_t)r;
            req->bytes_out += (uint64_t)r;
            if (p->len == 0) {
                close(p->fd);
                p->fd = -1;
                if (c->chunked_out)
                    evbuffer_add(out, "\r\n", 2);
                c->pump = p->next;
            }
            continue;
        }
        if (req->producer != NULL && !c->produced_done) {
            int r;

            /* produced bytes are memory, unlike a file's: keep less waiting */
            if (evbuffer_get_length(out) >= CF_PRODUCE_LOW)
                return 0;
            cf_buf_reset(&c->prodbuf);
            r = req->producer(req, &c->prodbuf);
            if (r < 0 || (r == 1 && c->prodbuf.len == 0))
                return -1;  /* a producer must make progress */
            if (c->prodbuf.len > 0) {
                if (c->chunked_out)
                    evbuffer_add_printf(out, "%zx\r\n", c->prodbuf.len);
                evbuffer_add(out, c->prodbuf.data, c->prodbuf.len);
                if (c->chunked_out)
                    evbuffer_add(out, "\r\n", 2);
                req->bytes_out += c->prodbuf.len;
            }
            if (r == 0) {
                c->produced_done = true;
                if (c->chunked_out)
                    evbuffer_add(out, "0\r\n\r\n", 5);
            }
            continue;
        }
        return 1;
    }
    return 0;
}

/* The response is fully queued: end the request and go on with the next. */
static void
cf_conn_response_queued(struct cf_conn *c)
{
    bool close = c->req.close_after || !c->req.keep_alive || c->w->stopping;

    cf_conn_flush(c);
    cf_conn_req_end(c, true);
    if (close) {
        cf_conn_close_after_flush(c);
        return;
    }
    c->state = C_IDLE;
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    cf_conn_set_read_timeout(c, c->w->srv->conf->idle_timeout_ms);
    cf_conn_read_on(c);
    /* a pipelined request may already be waiting */
    cf_conn_process(c);
}

static void
cf_conn_continue_response(struct cf_conn *c)
{
    for (;;) {
        int r = cf_conn_pump(c);

        if (r < 0) {
            /* the status line is gone: all we can do is close */
            c->req.close_after = true;
            cf_conn_req_end(c, true);
            cf_conn_free(c);
            return;
        }
        if (r == 1) {
            cf_conn_response_queued(c);
            return;
        }
        if (cf_conn_flush(c))
            break;
        /* the socket took it all: queue more now */
    }
    bufferevent_setwatermark(c->bev, EV_WRITE, CF_PUMP_LOW / 2, 0);
}

static void
cf_conn_respond(struct cf_conn *c, int status)
{
    struct cf_req *req = &c->req;
    struct cf_worker *w = c->w;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    struct cf_buf *h = &c->head_out;
    bool unknown_length = false;

    if (status < 200 || status > 599)
        status = 500;
    req->status = status;
    c->state = C_RESPOND;
    if (c->head_timer != NULL)
        evtimer_del(c->head_timer);
    req->no_body = req->method == CF_M_HEAD || status == 204 || status == 304;

    /* HEAD too: its Content-Length must be what GET would send (RFC 7230 3.3.2) */
    if (req->parts == NULL && req->producer == NULL && status >= 400 && status != 304) {
        /* A short plain error body; it never echoes request data. */
        cf_resp_header(req, "Content-Type", "text/plain; charset=utf-8");
        char line[160];
        int n = snprintf(line, sizeof(line), "%d %s%s%s\n", status, cf_http_reason(status),
                         req->err_msg ? ": " : "", req->err_msg ? req->err_msg : "");
        cf_resp_add(req, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0);
    }
    if (req->producer != NULL && req->method == CF_M_HEAD) {
        /* HEAD: the length GET would send, without keeping the bytes */
        int r = 1;

        while (r == 1) {
            cf_buf_reset(&c->prodbuf);
            r = req->producer(req, &c->prodbuf);
            req->resp_len += c->prodbuf.len;
        }
        req->producer = NULL;
    }
    if (req->producer != NULL && !req->no_body) {
        /* Run the producer a little: a short stream gets a Content-Length. */
        int r = 1;

        cf_buf_reset(&c->prodbuf);
        while (r == 1 && c->prodbuf.len < CF_PRODUCE_FIRST) {
            size_t before = c->prodbuf.len;

            r = req->producer(req, &c->prodbuf);
            if (r == 1 && c->prodbuf.len == before) {
                cf_log(CF_LOG_ERR, "%s: a producer made no progress", __func__);
                r = -EIO;
            }
        }
        if (r < 0) {
            cf_resp_reset(req);
            req->close_after = true;
            cf_conn_respond(c, 500);
            return;
        }
        if (c->prodbuf.len > 0) {
            struct cf_buf keep = c->prodbuf;

            cf_buf_init(&c->prodbuf);
            struct cf_resp_part *p = cf_resp_part_new(req);
            p->mem = keep;
            p->len = keep.len;
            req->resp_len += keep.len;
        }
        if (r == 0) {
            req->producer = NULL;
        } else {
            unknown_length = true;
            if (req->http_minor >= 1)
                c->chunked_out = true;
            else
                req->close_after = true;
        }
    }
    bool keep = req->keep_alive && !req->close_after && !w->stopping;
    if (!keep)
        req->close_after = true;

    /* without printf: this runs for every response */
    cf_buf_reset(h);
    cf_buf_adds(h, "HTTP/1.1 ");
    cf_buf_add_u64(h, (uint64_t)status);
    cf_buf_addc(h, ' ');
    cf_buf_adds(h, cf_http_reason(status));
    cf_buf_adds(h, "\r\nDate: ");
    cf_buf_adds(h, cf_worker_date(w));
    cf_buf_adds(h, "\r\nServer: Coffer/" PACKAGE_VERSION "\r\n");
    cf_buf_add(h, req->resp_head.data, req->resp_head.len);
    if (status != 204 && status != 304) {
        if (unknown_length) {
            if (c->chunked_out)
                cf_buf_adds(h, "Transfer-Encoding: chunked\r\n");
        } else {
            cf_buf_adds(h, "Content-Length: ");
            cf_buf_add_u64(h, req->resp_len);
            cf_buf_adds(h, "\r\n");
        }
    }
    if (!keep)
        cf_buf_adds(h, "Connection: close\r\n");
    else if (req->http_minor == 0)
        cf_buf_adds(h, "Connection: keep-alive\r\n");
    cf_buf_add(h, "\r\n", 2);
    evbuffer_add(out, h->data, h->len);

    if (req->no_body) {
        cf_resp_parts_release(req);
        req->producer = NULL;
        cf_conn_response_queued(c);
        return;
    }
    c->pump = req->parts;
    cf_conn_continue_response(c);
}

/* Answers a request that never reached a handler (a bad head, say). */
static void
cf_conn_fail(struct cf_conn *c, int status)
{
    if (!c->req_active)
        cf_conn_req_begin(c);
    c->req.close_after = true;
    cf_conn_respond(c, status);
}

static int
cf_conn_on_body(struct cf_req *req, const char *p, size_t len)
{
    req->body_received += len;
    if (req->body_received > req->body_max)
        return -1;
    switch (req->sink) {
    case CF_BODY_FD:
        while (len > 0 && req->body_errno == 0) {
            ssize_t n = write(req->body_fd, p, len);

            if (n < 0) {
                if (errno == EINTR)
                    continue;
                req->body_errno = errno;
                break;
            }
            p += n;
            len -= (size_t)n;
        }
        break;
    case CF_BODY_MEM:
        cf_buf_add(&req->body, p, len);
        break;
    default:
        break;
    }
    return 0;
}

/* ---- the blocking-work pool ---- */

int
cf_req_defer(struct cf_req *req, cf_job_fn fn)
{
    req->conn->job_fn = fn;
    return CF_DEFERRED;
}

/* Back on the loop thread: answer with what the job decided. */
static void
cf_conn_job_done(evutil_socket_t fd, short what, void *arg)
{
    struct cf_conn *c = arg;

    (void)fd;
    (void)what;
    c->job_running = false;
    c->job_fn = NULL;
    if (c->dead) {
        cf_conn_free(c);
        return;
    }
    if (c->job_begin) {
        c->job_begin = false;
        cf_conn_dispatch(c);
        return;
    }
    cf_conn_respond(c, c->job_status);
}

static void
cf_conn_enqueue(struct cf_conn *c)
{
    struct cf_server *srv = c->w->srv;

    c->state = C_RESPOND;
    c->job_running = true;
    c->job_next = NULL;
    atomic_fetch_add(&c->w->jobs, 1);
    pthread_mutex_lock(&srv->jmu);
    if (srv->jtail != NULL)
        srv->jtail->job_next = c;
    else
        srv->jhead = c;
    srv->jtail = c;
    pthread_cond_signal(&srv->jcv);
    pthread_mutex_unlock(&srv->jmu);
}

static void *
cf_pool_main(void *arg)
{
    struct cf_pool_thread *pt = arg;
    struct cf_server *srv = pt->srv;
    void *tctx = NULL;

    if (srv->handler.thread_init != NULL &&
        (tctx = srv->handler.thread_init(srv->handler.arg, 1000 + pt->index)) == NULL)
        cf_fatal("blocking-work thread %u: could not set up its context", pt->index);
    for (;;) {
        struct cf_conn *c;

        pthread_mutex_lock(&srv->jmu);
        while (srv->jhead == NULL && !srv->jstop)
            pthread_cond_wait(&srv->jcv, &srv->jmu);
        c = srv->jhead;
        if (c != NULL) {
            srv->jhead = c->job_next;
            if (srv->jhead == NULL)
                srv->jtail = NULL;
        }
        pthread_mutex_unlock(&srv->jmu);
        if (c == NULL)
            break;
        void *loop_ctx = c->req.tctx;
        struct cf_worker *w = c->w;
        struct timeval now = { 0, 0 };

        c->req.tctx = tctx;
        c->job_status = c->job_fn(&c->req);
        c->req.tctx = loop_ctx;
        event_base_once(w->base, -1, EV_TIMEOUT, cf_conn_job_done, c, &now);
        atomic_fetch_sub(&w->jobs, 1);
    }
    if (srv->handler.thread_free != NULL)
        srv->handler.thread_free(tctx);
    return NULL;
}

static void
cf_conn_finish(struct cf_conn *c)
{
    const struct cf_handler *h = &c->w->srv->handler;
    int status;

    c->state = C_RESPOND;   /* what arrives now is the next request's */
    if (c->pending_status) {
        cf_conn_respond(c, c->pending_status);
        return;
    }
    status = h->finish != NULL ? h->finish(&c->req) : 500;
    if (status == CF_DEFERRED && c->job_fn != NULL) {
        cf_conn_enqueue(c);
        return;
    }
    cf_conn_respond(c, status);
}

/* The worker's pipe for splice(2), made once; false if it cannot be had. */
static bool
cf_worker_pipe(struct cf_worker *w)
{
    if (w->pipe[0] >= 0)
        return true;
    if (w->pipe_failed)
        return false;
    if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        cf_log_errno(CF_LOG_WARN, "a worker cannot make its pipe for request bodies; "
                                  "they will be copied through memory");
        w->pipe_failed = true;
        return false;
    }
    /* a larger pipe moves more per call (the default is 64 KiB) */
    fcntl(w->pipe[1], F_SETPIPE_SZ, (int)CF_BODY_PIECE);
    return true;
}

static void
cf_worker_pipe_close(struct cf_worker *w)
{
    if (w->pipe[0] >= 0) {
        close(w->pipe[0]);
        close(w->pipe[1]);
    }
    w->pipe[0] = w->pipe[1] = -1;
}

/*
 * Empties n bytes from the worker's pipe into the body's file; after a
 * write error (kept for the handler to answer) they are read and dropped,
 * the body still being read. False if the pipe cannot be emptied.
 */
static bool
cf_conn_pipe_to_body(struct cf_worker *w, struct cf_req *req, size_t n)
{
    char drop[16384];

    while (n > 0) {
        ssize_t m = req->body_errno == 0
                        ? splice(w->pipe[0], NULL, req->body_fd, NULL, n, SPLICE_F_MOVE)
                        : read(w->pipe[0], drop, n < sizeof(drop) ? n : sizeof(drop));

        if (m < 0 && errno == EINTR)
            continue;
        if (m > 0) {
            n -= (size_t)m;
        } else if (req->body_errno == 0) {
            req->body_errno = m < 0 ? errno : EIO;
        } else {
            return false;
        }
    }
    return true;
}

/*
 * Plain TCP, a body going to a file: moves the rest of it from the socket to
 * the file with splice(2), through the worker's pipe, without copying it
 * through user space (and without a loop turn per CF_READ_PIECE read into
 * the input buffer and written out again). At most CF_BODY_TURN bytes per call,
 * so that a fast sender does not keep the other connections of this worker
 * waiting; the read event calls again. With fsync on, the handler will fsync
 * the file: every CF_BODY_WRITEBACK bytes the disk is asked to start on them
 * (sync_file_range), so that writing overlaps receiving and the final fsync
 * has little left to do. Without a pipe the body goes through the input
 * buffer as the others do.
 * Returns false when the client closed or the connection failed (the caller
 * frees it).
 */
static bool
cf_conn_read_body_direct(struct cf_conn *c)
{
    struct cf_req *req = &c->req;
    struct cf_worker *w = c->w;
    int fd = bufferevent_getfd(c->bev);
    size_t turn = 0;

    if (!cf_worker_pipe(w))
        return true;
    while (req->body_received < req->content_length && turn < CF_BODY_TURN) {
        uint64_t left = req->content_length - req->body_received;
        ssize_t n = splice(fd, NULL, w->pipe[1], NULL,
                           left < CF_BODY_PIECE ? (size_t)left : CF_BODY_PIECE,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return false;   /* closed in the middle of the body, or reset */
        if (!cf_conn_pipe_to_body(w, req, (size_t)n)) {
            cf_log_errno(CF_LOG_ERR, "%s: the body pipe could not be emptied", __func__);
            cf_worker_pipe_close(w);
            return false;
        }
        uint64_t from = req->body_received - req->body_received % CF_BODY_WRITEBACK;

        req->body_received += (uint64_t)n;
        turn += (size_t)n;
        if (req->conf->fsync && req->body_errno == 0 &&
            req->body_received - from >= CF_BODY_WRITEBACK)
            sync_file_range(req->body_fd, (off64_t)from, CF_BODY_WRITEBACK,
                            SYNC_FILE_RANGE_WRITE);
    }
    if (req->body_received == req->content_length)
        req->message_done = true;
    return true;
}

/* Reads body bytes from the input. Returns false if the conn was freed or
 * answered. */
static bool
cf_conn_read_body(struct cf_conn *c)
{
    struct cf_req *req = &c->req;
    struct evbuffer *in = bufferevent_get_input(c->bev);

    while (!req->message_done && evbuffer_get_length(in) > 0) {
        if (!req->chunked) {
            uint64_t left = req->content_length - req->body_received;
            size_t n = evbuffer_get_length(in);

            if (n > left)
                n = (size_t)left;
            if (req->sink == CF_BODY_FD && req->body_errno == 0) {
                /* straight from the socket buffers to the file (writev) */
                int w = evbuffer_write_atmost(in, req->body_fd, (ev_ssize_t)n);

                if (w < 0) {
                    if (errno == EINTR || errno == EAGAIN)
                        continue;
                    req->body_errno = errno;
                    evbuffer_drain(in, n);
                } else {
                    n = (size_t)w;
                }
            } else if (req->sink == CF_BODY_MEM) {
                size_t old = req->body.len;

                cf_buf_grow(&req->body, n);
                evbuffer_remove(in, req->body.data + old, n);
                req->body.len = old + n;
                req->body.data[req->body.len] = '\0';
            } else {
                evbuffer_drain(in, n);
            }
            req->body_received += n;
            if (req->body_received == req->content_length)
                req->message_done = true;
            continue;
        }
        /* chunked: the parser decodes and calls cf_conn_on_body */
        struct evbuffer_iovec v;
        int err;

        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        size_t used = cf_http_body_execute(c->parser, req, v.iov_base, v.iov_len, &err);
        evbuffer_drain(in, used);
        if (err == -EIO) {
            /* over the body limit */
            req->err_msg = "the request body is larger than allowed";
            cf_resp_reset(req);
            cf_conn_fail(c, 413);
            return false;
        }
        if (err < 0) {
            req->err_msg = "bad chunked encoding";
            cf_resp_reset(req);
            cf_conn_fail(c, 400);
            return false;
        }
        if (used == 0 && !req->message_done)
            break;
    }
    if (!req->message_done && !req->chunked && req->sink == CF_BODY_FD && !c->tls &&
        !cf_conn_read_body_direct(c)) {
        cf_conn_free(c);
        return false;
    }
    if (req->message_done) {
        cf_conn_finish(c);
        return false;
    }
    return true;
}

/* The head is parsed: let the handler decide, then read the body. */
static void
cf_conn_dispatch(struct cf_conn *c)
{
    struct cf_req *req = &c->req;
    const struct cf_handler *h = &c->w->srv->handler;
    bool body_pending = !req->message_done;
    int status;

    if (req->has_length && req->content_length > req->conf->max_body) {
        req->err_msg = "the request body is larger than allowed";
        cf_conn_fail(c, 413);
        return;
    }
    c->begun = true;
    status = h->begin != NULL ? h->begin(req) : 500;
    if (status == CF_DEFERRED && c->job_fn != NULL) {
        /* begin() needs a pool thread first; it runs again when that is done,
         * while what arrives meanwhile waits in the input buffer */
        c->job_begin = true;
        cf_conn_enqueue(c);
        return;
    }
    if (status == 0 && body_pending) {
        if (req->sink == CF_BODY_NONE) {
            /* the handler takes no body: read a short one, refuse a long one */
            if (req->chunked || req->content_length > CF_DISCARD_MAX) {
                req->err_msg = "this request takes no body";
                cf_resp_reset(req);
                cf_conn_fail(c, 413);
                return;
            }
            req->sink = CF_BODY_DISCARD;
        }
        if (req->sink == CF_BODY_MEM && req->has_length &&
            req->content_length > req->body_max) {
            req->err_msg = "the request body is larger than allowed";
            cf_resp_reset(req);
            cf_conn_fail(c, 413);
            return;
        }
    }
    if (status != 0) {
        if (!body_pending) {
            cf_conn_respond(c, status);
            return;
        }
        /*
         * Refused before the body: read a short body to keep the connection,
         * otherwise answer now and close (RFC 7230 6.6; with Expect:
         * 100-continue the client has not sent it yet, RFC 7231 5.1.1).
         */
        if (!req->expect_continue && req->has_length &&
            req->content_length <= CF_DISCARD_MAX) {
            c->pending_status = status;
            req->sink = CF_BODY_DISCARD;
        } else {
            req->close_after = true;
            cf_conn_respond(c, status);
            return;
        }
    } else if (req->expect_continue && body_pending) {
        evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
        cf_conn_flush(c);
    }
    if (!body_pending) {
        cf_conn_finish(c);
        return;
    }
    c->state = C_BODY;
    cf_conn_set_read_timeout(c, req->conf->body_timeout_ms);
    if (cf_conn_read_body(c))
        cf_conn_read_on(c);
}

static void
cf_conn_head_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct cf_conn *c = arg;

    (void)fd;
    (void)what;
    if (c->state == C_HEAD) {
        cf_conn_fail(c, 408);
    }
}

static void
cf_conn_process(struct cf_conn *c)
{
    struct cf_server *srv = c->w->srv;
    struct evbuffer *in = bufferevent_get_input(c->bev);

    switch (c->state) {
    case C_IDLE: {
        /* RFC 7230 3.5: ignore empty lines before a request line */
        for (;;) {
            size_t n = evbuffer_get_length(in);
            unsigned char *p = n > 0 ? evbuffer_pullup(in, n < 2 ? (ev_ssize_t)n : 2) : NULL;

            if (n >= 1 && (p[0] == '\n'))
                evbuffer_drain(in, 1);
            else if (n >= 2 && p[0] == '\r' && p[1] == '\n')
                evbuffer_drain(in, 2);
            else
                break;
        }
        if (evbuffer_get_length(in) == 0)
            return;
        if (c->w->stopping) {
            cf_conn_free(c);
            return;
        }
        c->state = C_HEAD;
        if (c->head_timer == NULL)
            c->head_timer = evtimer_new(c->w->base, cf_conn_head_timeout, c);
        struct timeval tv = { srv->conf->header_timeout_ms / 1000,
                              (srv->conf->header_timeout_ms % 1000) * 1000 };
        /* the head's deadline; reading keeps the idle timeout, which can only
         * answer 408 sooner (when it is the shorter) */
        evtimer_add(c->head_timer, &tv);
    }
        /* fall through */
    case C_HEAD: {
        size_t len = evbuffer_get_length(in);
        size_t look = len < srv->lim.max_head ? len : srv->lim.max_head;
        const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)look);
        ssize_t r = cf_http_head_end(p, look, &srv->lim);

        if (r == 0)
            return;
        if (r < 0) {
            cf_conn_fail(c, (int)-r);
            return;
        }
        cf_conn_req_begin(c);
        char *head = cf_pool_alloc(c->req.pool, (size_t)r + 1);
        evbuffer_remove(in, head, (size_t)r);
        head[r] = '\0';
        evtimer_del(c->head_timer);
        int rc = cf_http_head_parse(&c->req, head, (size_t)r, &srv->lim, c->parser);
        if (rc != 0) {
            cf_conn_fail(c, rc);
            return;
        }
        cf_conn_dispatch(c);
        return;
    }
    case C_BODY:
        cf_conn_read_body(c);
        return;
    case C_RESPOND:
    case C_CLOSING:
        return;
    }
}

static void
cf_conn_readcb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    cf_conn_process(arg);
}

/* Plain TCP: what cf_conn_read_on() waits for. */
static void
cf_conn_on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct cf_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer_iovec v[2];
    ssize_t n;
    int nv;

    if (what & EV_TIMEOUT) {
        cf_conn_read_off(c);
        cf_conn_eventcb(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, c);
        return;
    }
    if (evbuffer_get_length(in) >= CF_READ_MAX * 2) {
        /* a pipelining client is far ahead: the end of this response reads on */
        cf_conn_read_off(c);
        return;
    }
    /* a socket bufferevent keeps the end of its input frozen to others */
    evbuffer_unfreeze(in, 0);
    nv = evbuffer_reserve_space(in, CF_READ_PIECE, v, 2);
    do
        n = nv > 0 ? readv(fd, (struct iovec *)v, nv) : -1;
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        for (int i = 0, left = (int)n; i < nv; i++) {
            v[i].iov_len = (size_t)left < v[i].iov_len ? (size_t)left : v[i].iov_len;
            left -= (int)v[i].iov_len;
        }
        evbuffer_commit_space(in, v, nv);
    }
    evbuffer_freeze(in, 0);
    if (n > 0) {
        cf_conn_process(c);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        cf_conn_read_off(c);
        cf_conn_eventcb(c->bev, BEV_EVENT_READING | (n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR),
                        c);
    }
}

static void
cf_conn_writecb(struct bufferevent *bev, void *arg)
{
    struct cf_conn *c = arg;

    if (c->job_running)
        return;
    if (c->state == C_RESPOND) {
        cf_conn_continue_response(c);
    } else if (c->state == C_CLOSING) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            cf_conn_free(c);
    } else if (c->state == C_IDLE && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        /* the last response is out: the idle time starts now */
        cf_conn_read_timeout(c, c->w->srv->conf->idle_timeout_ms, true);
    }
}

static void
cf_conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
    struct cf_conn *c = arg;

    (void)bev;
    if (what == BEV_EVENT_CONNECTED)
        return;     /* the TLS handshake is done: nothing to do */
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
        (c->state == C_HEAD || c->state == C_BODY)) {
        /* RFC 7231 6.5.7: the client took too long to send its request */
        cf_conn_fail(c, 408);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
        (c->state == C_RESPOND ||
         (c->state == C_IDLE && evbuffer_get_length(bufferevent_get_output(bev)) > 0))) {
        /*
         * Nothing read while an answer goes out (a long download, say) is
         * no fault of the client's. The bufferevent turned reading off: the
         * end of the response turns it on again, or, once the response is
         * all queued, this does, and the idle timeout starts over.
         */
        if (c->state == C_IDLE)
            cf_conn_read_on(c);
        return;
    }
    if ((what & BEV_EVENT_EOF) && c->state == C_RESPOND) {
        /* the client half-closed; finish this answer, then close */
        c->req.close_after = true;
        return;
    }
    cf_conn_free(c);
}

/* ---- accepting ---- */

static void
cf_conn_reject(evutil_socket_t fd)
{
    static const char busy[] =
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n";

    if (write(fd, busy, sizeof(busy) - 1) < 0) {
        /* it is closed either way */
    }
    close(fd);
}

static void
cf_worker_accept(struct evconnlistener *lev, evutil_socket_t fd,
                 struct sockaddr *sa, int salen, void *arg)
{
    struct cf_worker *w = arg;
    struct cf_server *srv = w->srv;
    struct cf_conn *c;
    int one = 1;

    (void)lev;
    (void)salen;
    if (w->stopping) {
        close(fd);
        return;
    }
    if (atomic_fetch_add(&srv->nconns, 1) >= srv->conf->max_connections) {
        atomic_fetch_sub(&srv->nconns, 1);
        CF_LOG(CF_LOG_WARN, "%s: max-connections (%u) reached, refusing a connection",
               __func__, srv->conf->max_connections);
        cf_conn_reject(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c = cf_xcalloc(1, sizeof(*c));
    c->w = w;
    c->state = C_IDLE;
    c->parser = cf_xcalloc(1, cf_http_parser_size());
    cf_buf_init(&c->prodbuf);
    cf_buf_init(&c->head_out);
    cf_buf_init(&c->req.resp_head);
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, c->peer, sizeof(c->peer));
        c->loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, c->peer, sizeof(c->peer));
        c->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    } else {
        snprintf(c->peer, sizeof(c->peer), "unix");
        c->loopback = true;
    }
    if (srv->ssl != NULL) {
        SSL *ssl = SSL_new(srv->ssl);

        if (ssl == NULL) {
            close(fd);
            free(c->parser);
            free(c);
            atomic_fetch_sub(&srv->nconns, 1);
            return;
        }
        c->tls = true;
        c->bev = bufferevent_openssl_socket_new(w->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE);
    } else {
        c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (c->bev == NULL) {
        close(fd);
        free(c->parser);
        free(c);
        atomic_fetch_sub(&srv->nconns, 1);
        return;
    }
    c->next = w->conns;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    bufferevent_set_max_single_read(c->bev, CF_READ_MAX);
    bufferevent_setwatermark(c->bev, EV_READ, 0, CF_READ_MAX * 2);
    bufferevent_setcb(c->bev, cf_conn_readcb, cf_conn_writecb, cf_conn_eventcb, c);
    if (!c->tls &&
        (c->rev = event_new(w->base, fd, EV_READ | EV_PERSIST, cf_conn_on_readable, c)) == NULL) {
        cf_conn_free(c);
        return;
    }
    cf_conn_set_read_timeout(c, srv->conf->idle_timeout_ms);
    /* plain TCP arms the write event only when a write would block */
    if (c->tls)
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    cf_conn_read_on(c);
}

/* ---- workers and the server ---- */

static void
cf_worker_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct cf_worker *w = arg;

    (void)fd;
    (void)what;
    event_base_loopexit(w->base, NULL);
}

static void
cf_worker_stop(evutil_socket_t fd, short what, void *arg)
{
    struct cf_worker *w = arg;
    struct cf_conn *c, *next;
    unsigned grace = w->srv->grace_ms;
    struct timeval tv = { grace / 1000, (grace % 1000) * 1000 };

    (void)fd;
    (void)what;
    w->stopping = true;
    if (w->lev != NULL)
        evconnlistener_disable(w->lev);
    for (c = w->conns; c != NULL; c = next) {
        next = c->next;
        if (c->state == C_IDLE)
            cf_conn_free(c);
    }
    if (w->nconns == 0) {
        event_base_loopexit(w->base, NULL);
        return;
    }
    w->deadline_ev = evtimer_new(w->base, cf_worker_deadline, w);
    evtimer_add(w->deadline_ev, &tv);
}

static void *
cf_worker_main(void *arg)
{
    struct cf_worker *w = arg;
    struct cf_server *srv = w->srv;

    if (srv->handler.thread_init != NULL) {
        w->tctx = srv->handler.thread_init(srv->handler.arg, w->index);
        if (w->tctx == NULL)
            cf_fatal("worker %u: could not set up its context", w->index);
    }
    event_base_dispatch(w->base);
    /* let the pool finish this worker's jobs, then run their answers */
    while (atomic_load(&w->jobs) > 0)
        usleep(1000);
    event_base_loop(w->base, EVLOOP_NONBLOCK);
    while (w->conns != NULL) {
        struct cf_conn *c = w->conns;

        c->job_running = false;
        cf_conn_free(c);
    }
    if (srv->handler.thread_free != NULL)
        srv->handler.thread_free(w->tctx);
    w->tctx = NULL;
    cf_worker_pipe_close(w);
    return NULL;
}

static SSL_CTX *
cf_server_tls(const struct cf_conf *conf)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_cert) != 1) {
        cf_log(CF_LOG_ERR, "cannot load the TLS certificate '%s': %s", conf->tls_cert,
               ERR_reason_error_string(ERR_get_error()));
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        cf_log(CF_LOG_ERR, "cannot load the TLS key '%s' (or it does not match the "
               "certificate): %s", conf->tls_key, ERR_reason_error_string(ERR_get_error()));
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

struct cf_server *
cf_server_new(const struct cf_conf *conf, const struct cf_handler *handler)
{
    struct cf_server *srv = cf_xcalloc(1, sizeof(*srv));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    srv->conf = conf;
    srv->handler = *handler;
    srv->nworkers = conf->threads ? conf->threads : (ncpu > 0 ? (unsigned)ncpu : 1);
    srv->lim.max_request_line = conf->max_request_line;
    srv->lim.max_head = conf->max_head;
    srv->lim.max_headers = conf->max_headers;
    srv->grace_ms = 30000;
    atomic_init(&srv->nconns, 0);
    pthread_mutex_init(&srv->jmu, NULL);
    pthread_cond_init(&srv->jcv, NULL);
    srv->npool = srv->nworkers < 2 ? 2 : srv->nworkers;
    srv->pool = cf_xcalloc(srv->npool, sizeof(*srv->pool));
    if (conf->tls_cert != NULL) {
        srv->ssl = cf_server_tls(conf);
        if (srv->ssl == NULL) {
            free(srv);
            return NULL;
        }
    }
    srv->workers = cf_xcalloc(srv->nworkers, sizeof(*srv->workers));
    for (unsigned i = 0; i < srv->nworkers; i++) {
        struct cf_worker *w = &srv->workers[i];

        w->srv = srv;
        w->index = i;
        w->listen_fd = -1;
        w->pipe[0] = w->pipe[1] = -1;
        /*
         * The changelist folds the epoll_ctl calls of one loop turn into the
         * net change: an event turned off and on again within a turn (a write
         * event armed for a TLS answer sent at once, say) costs nothing.
         */
        struct event_config *ec = event_config_new();

        if (ec == NULL)
            cf_fatal("cannot create an event loop");
        event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
        w->base = event_base_new_with_config(ec);
        event_config_free(ec);
        if (w->base == NULL)
            cf_fatal("cannot create an event loop");
        w->stop_ev = event_new(w->base, -1, 0, cf_worker_stop, w);
    }
    return srv;
}

static int
cf_server_socket(const struct cf_conf *conf, unsigned port)
{
    struct addrinfo hints, *ai = NULL;
    char portstr[8];
    int fd, one = 1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%u", port);
    rc = getaddrinfo(conf->listen_host[0] ? conf->listen_host : NULL, portstr, &hints, &ai);
    if (rc != 0) {
        cf_log(CF_LOG_ERR, "listen address '%s': %s (give a numeric address such as "
               "127.0.0.1 or ::)", conf->listen_host, gai_strerror(rc));
        return -EINVAL;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        freeaddrinfo(ai);
        return rc;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        rc = -errno;
        cf_log_errno(CF_LOG_ERR, "cannot listen on %s:%u", conf->listen_host, port);
        close(fd);
        freeaddrinfo(ai);
        return rc;
    }
    freeaddrinfo(ai);
    return fd;
}

int
cf_server_listen(struct cf_server *srv)
{
    unsigned port = srv->conf->listen_port;

    for (unsigned i = 0; i < srv->nworkers; i++) {
        struct cf_worker *w = &srv->workers[i];
        int fd = cf_server_socket(srv->conf, port);

        if (fd < 0)
            return fd;
        if (i == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof(ss);

            if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
                port = ntohs(ss.ss_family == AF_INET6
                                 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                 : ((struct sockaddr_in *)&ss)->sin_port);
            srv->port = (int)port;
        }
        w->listen_fd = fd;
        w->lev = evconnlistener_new(w->base, cf_worker_accept, w,
                                    LEV_OPT_CLOSE_ON_FREE, 0, fd);
        if (w->lev == NULL) {
            close(fd);
            return -ENOMEM;
        }
    }
    return srv->port;
}

int
cf_server_start(struct cf_server *srv)
{
    for (unsigned i = 0; i < srv->npool; i++) {
        struct cf_pool_thread *pt = &srv->pool[i];
        int rc;

        pt->srv = srv;
        pt->index = i;
        if ((rc = pthread_create(&pt->thread, NULL, cf_pool_main, pt)) != 0)
            return -rc;
        pt->started = true;
    }
    for (unsigned i = 0; i < srv->nworkers; i++) {
        struct cf_worker *w = &srv->workers[i];
        int rc = pthread_create(&w->thread, NULL, cf_worker_main, w);

        if (rc != 0)
            return -rc;
        w->started = true;
    }
    return 0;
}

void
cf_server_stop(struct cf_server *srv, unsigned grace_ms)
{
    srv->grace_ms = grace_ms;
    for (unsigned i = 0; i < srv->nworkers; i++)
        event_active(srv->workers[i].stop_ev, EV_TIMEOUT, 0);
}

void
cf_server_join(struct cf_server *srv)
{
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i].started) {
            pthread_join(srv->workers[i].thread, NULL);
            srv->workers[i].started = false;
        }
    pthread_mutex_lock(&srv->jmu);
    srv->jstop = true;
    pthread_cond_broadcast(&srv->jcv);
    pthread_mutex_unlock(&srv->jmu);
    for (unsigned i = 0; i < srv->npool; i++)
        if (srv->pool[i].started) {
            pthread_join(srv->pool[i].thread, NULL);
            srv->pool[i].started = false;
        }
}

void
cf_server_free(struct cf_server *srv)
{
    if (srv == NULL)
        return;
    for (unsigned i = 0; i < srv->nworkers; i++) {
        struct cf_worker *w = &srv->workers[i];

        if (w->lev != NULL)
            evconnlistener_free(w->lev);
        if (w->stop_ev != NULL)
            event_free(w->stop_ev);
        if (w->deadline_ev != NULL)
            event_free(w->deadline_ev);
        if (w->base != NULL)
            event_base_free(w->base);
    }
    free(srv->workers);
    free(srv->pool);
    pthread_mutex_destroy(&srv->jmu);
    pthread_cond_destroy(&srv->jcv);
    if (srv->ssl != NULL)
        SSL_CTX_free(srv->ssl);
    free(srv);
}

unsigned
cf_server_connections(const struct cf_server *srv)
{
    return atomic_load(&((struct cf_server *)srv)->nconns);
}
