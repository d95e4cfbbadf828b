/*
 * main.c: cofferd. Reads the configuration, opens the data directory,
 * creates the administrator on first start, starts one worker per core and
 * waits for signals: SIGTERM and SIGINT finish the requests in flight and
 * exit, SIGHUP reopens the logs.
 *
 *   cofferd [-c FILE] [--listen ADDR:PORT] [--data DIR] [--port-file FILE]
 *           [--tls-cert FILE --tls-key FILE]
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/thread.h>
#include <libxml/parser.h>
#include <sodium.h>

#include "coffer/acl.h"
#include "coffer/app.h"
#include "coffer/auth.h"
#include "coffer/conf.h"
#include "coffer/conn.h"
#include "coffer/ident.h"
#include "coffer/log.h"
#include "coffer/mail.h"
#include "coffer/storage.h"
#include "coffer/banned.h"

static void
cf_usage(FILE *f)
{
    fprintf(f,
            "usage: cofferd [-c FILE] [--listen ADDR:PORT] [--data DIR] [--port-file FILE]\n"
            "               [--tls-cert FILE --tls-key FILE]\n"
            "\n"
            "Serves the repositories of DIR (default ./data) over WebDAV at /dav/ on\n"
            "ADDR:PORT (default 127.0.0.1:8080). Port 0 takes a free port; --port-file\n"
            "writes the port it got. The first start creates the administrator 'admin'.\n");
}

/* mkdir -p */
static int
cf_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0750) < 0 && errno != EEXIST)
            return -errno;
        buf[i] = c;
    }
    return 0;
}

static int
cf_write_port_file(const char *path, int port)
{
    char tmp[PATH_MAX];
    FILE *f;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return -ENAMETOOLONG;
    if ((f = fopen(tmp, "we")) == NULL)
        return -errno;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) < 0)
        return -errno;
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "listen", required_argument, NULL, 'l' },
        { "data", required_argument, NULL, 'd' },
        { "port-file", required_argument, NULL, 'p' },
        { "tls-cert", required_argument, NULL, 'C' },
        { "tls-key", required_argument, NULL, 'K' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct { const char *key, *value; } cli[8];
    int ncli = 0, c, port, rc;
    const char *conf_file = NULL;
    struct cf_conf conf;
    struct cf_app app;
    struct stor_db *db = NULL;
    struct cf_server *srv;
    char dbpath[PATH_MAX], access[PATH_MAX];
    sigset_t sigs;

    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf_file = optarg; break;
        case 'l': cli[ncli].key = "listen"; cli[ncli++].value = optarg; break;
        case 'd': cli[ncli].key = "data"; cli[ncli++].value = optarg; break;
        case 'p': cli[ncli].key = "port-file"; cli[ncli++].value = optarg; break;
        case 'C': cli[ncli].key = "tls-cert"; cli[ncli++].value = optarg; break;
        case 'K': cli[ncli].key = "tls-key"; cli[ncli++].value = optarg; break;
        case 'h': cf_usage(stdout); return 0;
        case 'V': printf("cofferd %s\n", PACKAGE_VERSION); return 0;
        default: cf_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        cf_usage(stderr);
        return 2;
    }
    cf_conf_defaults(&conf);
    rc = conf_file != NULL ? cf_conf_load(&conf, conf_file) : 0;
    for (int i = 0; i < ncli && rc == 0; i++)
        rc = cf_conf_set(&conf, cli[i].key, cli[i].value, "command line");
    if (rc < 0 || cf_conf_check(&conf) < 0) {
        cf_conf_release(&conf);
        return 1;
    }
    cf_log_level = conf.log_level;

    if (sodium_init() < 0)
        cf_fatal("libsodium could not initialise");
    xmlInitParser();
    evthread_use_pthreads();
    cf_mail_global_init();
    signal(SIGPIPE, SIG_IGN);

    if ((rc = cf_mkdirs(conf.data_dir)) < 0)
        cf_fatal("cannot create the data directory '%s': %s", conf.data_dir, strerror(-rc));
    snprintf(access, sizeof(access), "%s/access.log", conf.data_dir);
    if ((rc = cf_log_open(conf.error_log, conf.access_log ? conf.access_log : access)) < 0)
        cf_fatal("cannot open the logs: %s", strerror(-rc));
    if ((size_t)snprintf(dbpath, sizeof(dbpath), "%s/coffer.db", conf.data_dir) >= sizeof(dbpath))
        cf_fatal("the data directory path is too long");
    if (stor_db_open(dbpath, &db) < 0)
        cf_fatal("cannot open the database '%s'", dbpath);

    memset(&app, 0, sizeof(app));
    app.conf = &conf;
    app.db_path = dbpath;
    if ((rc = stor_repos_open(conf.data_dir, db, &app.repos)) < 0)
        cf_fatal("cannot open the repositories under '%s': %s", conf.data_dir, strerror(-rc));
    if ((rc = acl_epoch_open(conf.data_dir, &app.epoch)) < 0)
        cf_fatal("cannot open '%s/auth.epoch': %s", conf.data_dir, strerror(-rc));
    if ((rc = cf_app_bootstrap(&app, db)) < 0)
        cf_fatal("cannot create the administrator: %s", strerror(-rc));
    if ((rc = cf_mail_templates_install(&conf)) < 0)
        cf_log(CF_LOG_WARN, "the email templates could not be written: %s (the embedded "
               "ones are used)", strerror(-rc));
    app.acl = acl_engine_new(app.repos);
    {
        unsigned ep = acl_epoch_picture(app.epoch);

        if ((rc = acl_engine_load(app.acl, db)) < 0)
            cf_fatal("cannot load the groups and grants from the database");
        acl_engine_set_epoch(app.acl, ep);
    }
    app.auth = cf_auth_new(&conf, app.epoch);

    struct cf_handler handler = {
        .thread_init = cf_app_thread_init,
        .thread_free = cf_app_thread_free,
        .begin = cf_app_begin,
        .finish = cf_app_finish,
        .done = cf_app_done,
        .arg = &app,
    };
    if ((srv = cf_server_new(&conf, &handler)) == NULL)
        return 1;
    if ((port = cf_server_listen(srv)) < 0)
        return 1;
    if (conf.port_file != NULL && (rc = cf_write_port_file(conf.port_file, port)) < 0)
        cf_fatal("cannot write the port file '%s': %s", conf.port_file, strerror(-rc));

    /* the workers inherit a mask with the signals blocked; main waits for them */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if ((rc = cf_server_start(srv)) < 0)
        cf_fatal("cannot start the worker threads: %s", strerror(-rc));
    cf_log(CF_LOG_INFO, "cofferd %s serving '%s' on %s://%s:%d/dav/", PACKAGE_VERSION,
           conf.data_dir, conf.tls_cert ? "https" : "http", conf.listen_host, port);

    for (;;) {
        int sig;

        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            cf_log_reopen();
            cf_log(CF_LOG_INFO, "logs reopened");
            continue;
        }
        cf_log(CF_LOG_INFO, "%s: finishing the requests in flight",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    cf_server_stop(srv, 10000);
    cf_server_join(srv);
    cf_server_free(srv);
    cf_auth_free(app.auth);
    acl_engine_free(app.acl);
    acl_epoch_free(app.epoch);
    stor_repos_free(app.repos);
    stor_db_free(db);
    xmlCleanupParser();
    cf_mail_global_cleanup();
    cf_log(CF_LOG_INFO, "stopped");
    cf_log_close();
    cf_conf_release(&conf);
    return 0;
}
