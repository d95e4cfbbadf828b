/*
 * dav_xml.c: XML request bodies in, multistatus pieces out.
 *
 * Input is parsed with libxml2 from the complete, capped body with network
 * access off, no DTD loading and no entity substitution; a DOCTYPE is
 * refused outright (WebDAV never needs one, and it is where XXE and
 * "billion laughs" live), as is any namespace error (litmus propfind_invalid2)
 * and nesting deeper than max-xml-depth. Elements are matched by namespace
 * URI and local name, never by prefix.
 *
 * Output never declares a default namespace, so property values written
 * back inside it keep their own meaning.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "dav_int.h"
#include "coffer/banned.h"

static size_t
dav_xml_depth(xmlNodePtr n, size_t limit)
{
    size_t max = 0;

    for (xmlNodePtr c = n; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (limit == 0)
            return 1;   /* already too deep */
        size_t dd = 1 + dav_xml_depth(c->children, limit - 1);
        if (dd > max)
            max = dd;
    }
    return max;
}

xmlDocPtr
dav_xml_parse(struct dav_req *d, int *status)
{
    struct cf_buf *b = &d->req->body;
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;

    *status = 400;
    if (b->len == 0)
        return NULL;
    if (memmem(b->data, b->len, "<!DOCTYPE", 9) != NULL) {
        d->req->err_msg = "a DOCTYPE is not allowed in a request body";
        return NULL;
    }
    if ((ctxt = xmlNewParserCtxt()) == NULL) {
        *status = 500;
        return NULL;
    }
    doc = xmlCtxtReadMemory(ctxt, b->data, (int)b->len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed) {
        d->req->err_msg = "the request body is not well-formed XML";
        goto fail;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        d->req->err_msg = "a DOCTYPE is not allowed in a request body";
        goto fail;
    }
    if (dav_xml_depth(xmlDocGetRootElement(doc), d->ctx->conf->max_xml_depth) >
        d->ctx->conf->max_xml_depth) {
        d->req->err_msg = "the request body nests too deeply";
        goto fail;
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
fail:
    if (doc != NULL)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return NULL;
}

bool
dav_xml_is(const xmlNode *n, const char *ns, const char *name)
{
    if (n == NULL || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
        return false;
    if (ns == NULL || ns[0] == '\0')
        return n->ns == NULL || n->ns->href == NULL || n->ns->href[0] == '\0';
    return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

xmlNodePtr
dav_xml_next(xmlNodePtr n)
{
    for (n = n ? n->next : NULL; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

xmlNodePtr
dav_xml_first(xmlNodePtr n)
{
    for (n = n ? n->children : NULL; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

char *
dav_xml_content(struct cf_pool *pool, xmlNodePtr n, bool *xml)
{
    struct cf_buf b = CF_BUF_INIT;
    char *out;

    *xml = false;
    for (xmlNodePtr c = n->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            *xml = true;
    for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            const char *t = (const char *)c->content;

            if (t == NULL)
                continue;
            if (*xml)
                cf_buf_add_xmlesc(&b, cf_str_from(t));
            else
                cf_buf_adds(&b, t);
        } else if (c->type == XML_ELEMENT_NODE) {
            /*
             * Copy into a document of its own: libxml2 then declares every
             * namespace the subtree uses on the copy's top element.
             */
            xmlDocPtr tmp = xmlNewDoc(BAD_CAST "1.0");
            xmlNodePtr copy = tmp ? xmlDocCopyNode(c, tmp, 1) : NULL;
            xmlBufferPtr xb = xmlBufferCreate();

            if (copy != NULL && xb != NULL) {
                xmlDocSetRootElement(tmp, copy);
                xmlNodeDump(xb, tmp, copy, 0, 0);
                cf_buf_add(&b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
            }
            if (xb != NULL)
                xmlBufferFree(xb);
            if (tmp != NULL)
                xmlFreeDoc(tmp);
        }
    }
    out = cf_pool_strndup(pool, b.data, b.len);
    cf_buf_release(&b);
    return out;
}

void
dav_xml_head(struct cf_buf *b)
{
    cf_buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
}

void
dav_xml_status(struct cf_buf *b, int status)
{
    cf_buf_addf(b, "<D:status>HTTP/1.1 %d %s</D:status>", status, cf_http_reason(status));
}

void
dav_xml_prop_open(struct cf_buf *b, const char *ns, const char *name, const char *lang,
                  bool empty, struct cf_buf *close)
{
    if (strcmp(ns, DAV_NS) == 0) {
        cf_buf_addf(b, "<D:%s", name);
        if (close != NULL)
            cf_buf_addf(close, "</D:%s>", name);
    } else if (ns[0] == '\0') {
        cf_buf_addf(b, "<%s", name);
        if (close != NULL)
            cf_buf_addf(close, "</%s>", name);
    } else {
        /* each property declares its own prefix: no clash, no bookkeeping */
        cf_buf_addf(b, "<X:%s xmlns:X=\"", name);
        cf_buf_add_xmlesc(b, cf_str_from(ns));
        cf_buf_addc(b, '"');
        if (close != NULL)
            cf_buf_addf(close, "</X:%s>", name);
    }
    if (lang != NULL) {
        cf_buf_adds(b, " xml:lang=\"");
        cf_buf_add_xmlesc(b, cf_str_from(lang));
        cf_buf_addc(b, '"');
    }
    cf_buf_adds(b, empty ? "/>" : ">");
    if (empty && close != NULL)
        cf_buf_reset(close);
}
