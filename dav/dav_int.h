/*
 * dav_int.h: what the WebDAV files share among themselves.
 */
#ifndef COFFER_DAV_INT_H
#define COFFER_DAV_INT_H

#include <libxml/tree.h>

#include "coffer/acl.h"
#include "coffer/conf.h"
#include "coffer/dav.h"
#include "coffer/log.h"
#include "coffer/storage.h"

#define DAV_NS "DAV:"
#define DAV_MS_NS "urn:schemas-microsoft-com:"
#define DAV_ALLOW "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, " \
                  "LOCK, UNLOCK"

/* Where a URL leads. */
enum dav_kind {
    DAV_SERVER_ROOT,            /* "/": a virtual collection holding "dav/" */
    DAV_DAV_ROOT,               /* "/dav/": the repositories the caller may see */
    DAV_REPO,                   /* "/dav/<repo>/<path>" */
};

struct dav_res {
    enum dav_kind kind;
    struct stor_repo *repo;     /* DAV_REPO only */
    const char *path;           /* repo-relative, "" for the repository root */
    bool exists;
    struct stor_stat st;
};

struct dav_if;
struct dav_propfind;

/* Per-request state (req->state). */
struct dav_req {
    struct dav_ctx *ctx;
    struct cf_req *req;
    struct dav_path url;
    struct dav_res res;
    struct dav_if *ifh;         /* parsed If header, or NULL */
    bool if_parsed;
    /* PUT */
    struct stor_put put;
    bool put_open;
    bool has_mtime;
    struct timespec mtime;
    /* PROPFIND, streamed */
    struct dav_propfind *pf;
};

/* ---- dav.c: resources, access, errors ---- */

/*
 * Resolves a normalised URL path to a resource and stats it. Returns 0, or
 * 404 for a URL outside the WebDAV tree or naming a repository the caller
 * may not see.
 */
int dav_resolve(struct dav_req *d, const struct dav_path *url, struct dav_res *out);

/*
 * The single place WebDAV asks whether the caller may act on r (DESIGN.md,
 * "The access model"). want is a set of ACL_* faculties the caller must
 * hold on r, or DAV_A_VISIBLE for "he may see that it exists" (PROPFIND,
 * the index view, UNLOCK). With DAV_A_NEW, a resource that is unmapped,
 * or mapped but hidden from the caller (so that, to him, it does not
 * exist), is a new member of its parent collection: what is asked then is
 * ACL_WRITE on the parent (RFC 3744 Appendix B: PUT, MKCOL, LOCK, COPY and
 * MOVE to a new URL need DAV:bind on the parent collection).
 *
 * Returns 0; 403 when he may see what was asked about but not do this;
 * 404 when he may not see it (so a hidden name and a missing one answer
 * alike).
 */
#define DAV_A_VISIBLE 0u
#define DAV_A_NEW (1u << 16)
int dav_allowed(struct dav_req *d, const struct dav_res *r, unsigned want);

/*
 * Depth: infinity on a collection: checks, before anything is done, that
 * every member below r allows want too. Refused members are collected in
 * refusals, to be answered with dav_refusals_finish().
 */
struct dav_refusals {
    struct cf_buf body;         /* <D:response> elements, 403 each */
    struct cf_buf named;        /* paths named so far, NUL-separated */
    size_t n;
    bool root;                  /* a hidden member whose nearest visible
                                   ancestor is a request root */
};
void dav_refusals_init(struct dav_refusals *x);
void dav_refusals_release(struct dav_refusals *x);
void dav_allowed_below(struct dav_req *d, const struct dav_res *r, unsigned want,
                       struct dav_refusals *x);
/*
 * Turns what dav_allowed_below() collected into the answer: 0 when
 * nothing was refused; 403 when a hidden member can only be reported as
 * the request root; otherwise 207 with each refused member (403) and,
 * when failed is not NULL, failed itself as 424 Failed Dependency.
 */
int dav_refusals_finish(struct dav_req *d, struct dav_refusals *x, const struct dav_res *failed);
/* Answers 207 with a multistatus holding the responses given (already XML). */
int dav_multistatus_send(struct dav_req *d, struct cf_str responses);

/* The faculties the caller holds on r (ACL_READ on the virtual collections). */
unsigned dav_faculties(struct dav_req *d, const struct dav_res *r);

/*
 * After a MOVE or DELETE (or the removal of an overwritten destination)
 * whose tree held grants, once the metadata change committed: rereads
 * the grants of repository a and of b (NULL, or a again, for none), so
 * that the engine's picture follows the file ids the database moved or
 * dropped. A failure is logged; the picture then lags until the next
 * reload, and the database stays right.
 */
void dav_grants_follow(struct dav_req *d, const struct stor_repo *a, const struct stor_repo *b);

/* The parent of a repo-relative path ("" for a top-level name), from the pool. */
const char *dav_parent_path(struct dav_req *d, const char *path);

/*
 * Turns a Destination value or an If-header resource tag (an absolute URL
 * naming this server, or an absolute path) into a normalised path.
 * Returns 0, 400, or 502 for a URL naming another server (RFC 4918 9.8.5).
 */
int dav_url_to_path(struct dav_req *d, struct cf_str url, struct dav_path *out);

/* Maps a storage error to a status; missing is what ENOENT means here. */
int dav_status_from_stor(int err, int missing);

/* Appends the percent-encoded href of r ("/" after collections). */
void dav_href(struct cf_buf *b, const struct dav_res *r);
void dav_href_path(struct cf_buf *b, const struct stor_repo *repo, const char *path,
                   bool collection);

/* The strong entity tag of a file or collection, quotes included. */
void dav_etag(const struct stor_stat *st, char out[80]);

/* Sets an XML error body <D:error><D:cond>[<D:href>href</D:href>]</D:cond></D:error>. */
void dav_error_body(struct cf_req *req, const char *condition, const struct cf_buf *hrefs);

/* True for ._* AppleDouble files and .DS_Store (hidden from listings). */
bool dav_is_apple_file(const char *name);

/* ---- dav_if.c: the If header and lock tokens (RFC 4918 10.4, 7) ---- */

struct dav_if_state {
    bool exists;
    const char *etag;           /* quoted, or NULL */
    /* true if token names a lock that covers the resource */
    bool (*token_covers)(void *arg, struct cf_str token);
    void *arg;
};

/* Resolves a resource tag to its state; returns 0 or -1 (unknown resource). */
typedef int (*dav_if_resolve_fn)(void *arg, struct cf_str tag, struct dav_if_state *st);

/* Parses an If header value into pool memory. Returns 0 or -EINVAL. */
int dav_if_parse(struct cf_pool *pool, struct cf_str v, struct dav_if **out);
/* RFC 4918 10.4.3: true if at least one list of one production holds. */
bool dav_if_eval(const struct dav_if *h, const struct dav_if_state *self,
                 dav_if_resolve_fn resolve, void *arg);
/* True if token appears in the header (it is then "submitted", 10.4.1). */
bool dav_if_has_token(const struct dav_if *h, struct cf_str token);
/* Number of state tokens in the header. */
size_t dav_if_token_count(const struct dav_if *h);

/* What a state-changing method touches, for dav_check_write(). */
enum {
    DAV_W_TARGET = 1,           /* the resource itself (content or properties) */
    DAV_W_MEMBERSHIP = 2,       /* its parent's membership (create, remove) */
    DAV_W_BELOW = 4,            /* every member of a collection (DELETE, MOVE) */
    DAV_W_WIN32_PROPS = 8,      /* Win32 props only: the user's own locks count */
};

/*
 * Evaluates the If header for r (412 when it fails, 400 when it is
 * malformed) and checks that the caller submitted a token for every lock
 * protecting what the method changes (423 with lock-token-submitted).
 * Locks rooted below r are checked only with DAV_W_BELOW; with a non-NULL
 * locked_below they are not refused but collected there (for DELETE).
 */
int dav_check_write(struct dav_req *d, const struct dav_res *r, unsigned what,
                    struct cf_buf *locked_below);

/* True if path lies in a lock subtree listed in locked (NUL-separated roots). */
bool dav_path_in_roots(const struct cf_buf *roots, const char *path);

/* ---- dav_xml.c ---- */

/*
 * Parses req->body as an XML request body: no network, no DTD, no entity
 * expansion; a DOCTYPE, a namespace error or nesting deeper than
 * max-xml-depth is refused. Returns the document (free with xmlFreeDoc) or
 * NULL with *status set (400).
 */
xmlDocPtr dav_xml_parse(struct dav_req *d, int *status);
/* True if n is the element {ns}name. */
bool dav_xml_is(const xmlNode *n, const char *ns, const char *name);
/* The first element child of n, or the next element sibling. */
xmlNodePtr dav_xml_first(xmlNodePtr n);
xmlNodePtr dav_xml_next(xmlNodePtr n);
/*
 * Serialises the content of element n (its children) so that it can be
 * written back inside any element: namespaces used below are declared on
 * the top-level child elements. *xml is false when the content is text.
 */
char *dav_xml_content(struct cf_pool *pool, xmlNodePtr n, bool *xml);

/* Writers: all on a cf_buf, all text escaped. */
void dav_xml_head(struct cf_buf *b);
/* <D:status>HTTP/1.1 200 OK</D:status> */
void dav_xml_status(struct cf_buf *b, int status);
/* Writes <prefix:name xmlns:prefix="ns"> for a property; returns the closing tag in close. */
void dav_xml_prop_open(struct cf_buf *b, const char *ns, const char *name, const char *lang,
                       bool empty, struct cf_buf *close);

/* ---- dav_props.c: PROPFIND and PROPPATCH ---- */

int dav_propfind_begin(struct dav_req *d);
int dav_propfind_finish(struct dav_req *d);
void dav_propfind_done(struct dav_req *d);
int dav_proppatch_finish(struct dav_req *d);
/* Writes lockdiscovery for r into b (the element included). */
void dav_write_lockdiscovery(struct dav_req *d, const struct dav_res *r, struct cf_buf *b);

/* ---- dav_lock.c ---- */

int dav_lock_finish(struct dav_req *d);
int dav_unlock(struct dav_req *d);

/* ---- dav_methods.c ---- */

int dav_get(struct dav_req *d);
int dav_put_begin(struct dav_req *d);
int dav_put_finish(struct dav_req *d);
int dav_delete(struct dav_req *d);
int dav_mkcol(struct dav_req *d);
int dav_copymove(struct dav_req *d);

/* ---- dav_index.c: the HTML view of a collection ---- */

int dav_index(struct dav_req *d);

#endif
