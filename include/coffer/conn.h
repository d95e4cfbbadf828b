/*
 * conn.h: the server's network side. One worker thread per core, each with
 * its own libevent loop and its own SO_REUSEPORT listening socket, so the
 * kernel spreads connections across cores and a slow request holds up only
 * the connections of its own loop. Each connection is one bufferevent
 * (plain or OpenSSL); requests are framed and parsed as bytes arrive, with
 * every limit and timeout of struct cf_conf applied, and handed to the
 * struct cf_handler that main gave the server.
 */
#ifndef COFFER_CONN_H
#define COFFER_CONN_H

#include "coffer/conf.h"
#include "coffer/http.h"

struct cf_server;

/*
 * Makes a server for conf (borrowed; it must outlive the server) that
 * hands requests to handler (copied). Opens the TLS context when conf
 * names a certificate. Returns NULL after logging.
 */
struct cf_server *cf_server_new(const struct cf_conf *conf,
                                const struct cf_handler *handler);

/*
 * Binds the listening sockets (one per worker). Returns the bound port, or
 * a negative errno after logging.
 */
int cf_server_listen(struct cf_server *srv);

/* Starts the worker threads; returns 0 or a negative errno. */
int cf_server_start(struct cf_server *srv);

/*
 * Asks every worker to stop accepting, finish the requests in flight and
 * close idle connections; safe from any thread. Workers exit once their
 * connections are gone, or after grace_ms.
 */
void cf_server_stop(struct cf_server *srv, unsigned grace_ms);

/* Waits for the workers to exit. */
void cf_server_join(struct cf_server *srv);

void cf_server_free(struct cf_server *srv);

/* Connections open right now, over all workers. */
unsigned cf_server_connections(const struct cf_server *srv);

#endif
