/*
 * fuzz_xml.c: XML request bodies (dav/dav_xml.c). The input is the body of
 * a bare request; dav_xml_parse reads it with the default max-xml-depth,
 * and a document it accepts is walked the way each kind of body is:
 * PROPFIND (propfind/prop/allprop/include), PROPPATCH (propertyupdate/
 * set/remove/prop, values through dav_xml_content and xml:lang) and LOCK
 * (lockinfo/lockscope/locktype/owner); then every element of the tree
 * goes through dav_xml_content, as any of them may be a property value.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dav_int.h"
#include "coffer/conf.h"
#include "coffer/http.h"
#include "coffer/pool.h"
#include "coffer/str.h"
#include "coffer/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: say where, then crash. */
#define FZ_FAIL() \
    (fprintf(stderr, "%s:%d: invariant broken\n", __FILE__, __LINE__), abort())

/* What the handlers copy out of an element name (dav_pf_names and PROPPATCH). */
static void
fz_name(struct cf_pool *pool, xmlNodePtr c)
{
    const char *ns = c->ns && c->ns->href ? (const char *)c->ns->href : "";

    (void)cf_pool_strndup(pool, ns, strlen(ns));
    (void)cf_pool_strndup(pool, (const char *)c->name, strlen((const char *)c->name));
}

static void
fz_propfind(struct cf_pool *pool, xmlNodePtr root)
{
    xmlNodePtr c;

    if (!dav_xml_is(root, DAV_NS, "propfind") || (c = dav_xml_first(root)) == NULL)
        return;
    if (dav_xml_is(c, DAV_NS, "allprop")) {
        xmlNodePtr inc = dav_xml_next(c);

        if (inc != NULL && dav_xml_is(inc, DAV_NS, "include"))
            for (xmlNodePtr p = dav_xml_first(inc); p != NULL; p = dav_xml_next(p))
                fz_name(pool, p);
    } else if (dav_xml_is(c, DAV_NS, "prop")) {
        for (xmlNodePtr p = dav_xml_first(c); p != NULL; p = dav_xml_next(p))
            fz_name(pool, p);
    }
}

static void
fz_proppatch(struct cf_pool *pool, xmlNodePtr root)
{
    if (!dav_xml_is(root, DAV_NS, "propertyupdate"))
        return;
    for (xmlNodePtr op = dav_xml_first(root); op != NULL; op = dav_xml_next(op)) {
        bool set = dav_xml_is(op, DAV_NS, "set");

        if (!set && !dav_xml_is(op, DAV_NS, "remove"))
            continue;
        for (xmlNodePtr prop = dav_xml_first(op); prop; prop = dav_xml_next(prop)) {
            if (!dav_xml_is(prop, DAV_NS, "prop"))
                continue;
            for (xmlNodePtr p = dav_xml_first(prop); p != NULL; p = dav_xml_next(p)) {
                fz_name(pool, p);
                if (set) {
                    bool xml;
                    char *v = dav_xml_content(pool, p, &xml);
                    xmlChar *lang = xmlNodeGetLang(p);
                    time_t t;

                    if (v == NULL)
                        FZ_FAIL();
                    if (lang != NULL)
                        xmlFree(lang);
                    if (!xml)
                        (void)cf_http_date_parse(cf_str_from(v), &t);
                }
            }
        }
    }
}

static void
fz_lock(struct cf_pool *pool, xmlNodePtr root)
{
    if (!dav_xml_is(root, DAV_NS, "lockinfo"))
        return;
    for (xmlNodePtr c = dav_xml_first(root); c != NULL; c = dav_xml_next(c)) {
        if (dav_xml_is(c, DAV_NS, "lockscope")) {
            xmlNodePtr s = dav_xml_first(c);

            (void)(dav_xml_is(s, DAV_NS, "exclusive") || dav_xml_is(s, DAV_NS, "shared"));
        } else if (dav_xml_is(c, DAV_NS, "locktype")) {
            (void)dav_xml_is(dav_xml_first(c), DAV_NS, "write");
        } else if (dav_xml_is(c, DAV_NS, "owner")) {
            bool xml;
            char *v = dav_xml_content(pool, c, &xml);

            if (!xml) {
                struct cf_buf e = CF_BUF_INIT;

                cf_buf_add_xmlesc(&e, cf_str_from(v));
                (void)cf_pool_strndup(pool, e.data, e.len);
                cf_buf_release(&e);
            }
        }
    }
}

/* Every element, depth first (bounded by max-xml-depth, checked by the parser). */
static void
fz_all(struct cf_pool *pool, xmlNodePtr n, size_t depth, size_t max)
{
    for (xmlNodePtr c = n; c != NULL; c = dav_xml_next(c)) {
        bool xml;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (depth > max)
            FZ_FAIL();    /* dav_xml_parse let a deeper document through */
        if (dav_xml_content(pool, c, &xml) == NULL)
            FZ_FAIL();
        (void)dav_xml_is(c, DAV_NS, "prop");
        (void)dav_xml_is(c, "", (const char *)c->name);
        fz_all(pool, dav_xml_first(c), depth + 1, max);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cf_conf conf;
    struct dav_ctx ctx;
    struct cf_req *req;
    struct dav_req d;
    xmlDocPtr doc;
    int status = 0;

    cf_conf_defaults(&conf);
    if (size > conf.max_xml_body) {
        cf_conf_release(&conf);
        return 0;   /* the connection answers 413 before any parsing */
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.conf = &conf;
    req = cf_xcalloc(1, sizeof(*req));
    req->pool = cf_pool_new(4096);
    req->conf = &conf;
    cf_buf_init(&req->body);
    cf_buf_init(&req->resp_head);
    cf_buf_add(&req->body, data, size);
    memset(&d, 0, sizeof(d));
    d.ctx = &ctx;
    d.req = req;

    doc = dav_xml_parse(&d, &status);
    if (doc != NULL) {
        xmlNodePtr root = xmlDocGetRootElement(doc);

        fz_propfind(req->pool, root);
        fz_proppatch(req->pool, root);
        fz_lock(req->pool, root);
        fz_all(req->pool, root, 1, conf.max_xml_depth);
        xmlFreeDoc(doc);
    } else if (status != 400 && status != 500) {
        FZ_FAIL();
    }

    cf_buf_release(&req->body);
    cf_buf_release(&req->resp_head);
    cf_pool_free(req->pool);
    free(req);
    cf_conf_release(&conf);
    return 0;
}
