/*
 * stor_mime.c: media types. The file name's extension decides first (a
 * sorted table, looked up by binary search, case-insensitively); only a
 * name without a known extension costs a libmagic look at the first bytes.
 * A magic_t is not thread-safe, so each worker thread owns one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <magic.h>

#include "coffer/storage.h"
#include "coffer/log.h"
#include "coffer/banned.h"

#define STOR_MIME_CACHE 512       /* direct-mapped; one per thread */

/* A type libmagic found, for the file of that identity and version. */
struct stor_mime_slot {
    uint64_t dev, ino, size;
    int64_t mtime_s, mtime_ns;
    char type[STOR_MIME_MAX];   /* "" when free */
};

struct stor_mime {
    magic_t magic;
    struct stor_mime_slot cache[STOR_MIME_CACHE];
};

struct stor_mime_ext {
    const char *ext;
    const char *type;
};

/* Sorted by extension (lower case). */
static const struct stor_mime_ext stor_mime_table[] = {
    { "7z", "application/x-7z-compressed" },
    { "aac", "audio/aac" },
    { "ai", "application/postscript" },
    { "avi", "video/x-msvideo" },
    { "avif", "image/avif" },
    { "bmp", "image/bmp" },
    { "bz2", "application/x-bzip2" },
    { "c", "text/x-c" },
    { "css", "text/css" },
    { "csv", "text/csv" },
    { "doc", "application/msword" },
    { "docm", "application/vnd.ms-word.document.macroEnabled.12" },
    { "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
    { "dotx", "application/vnd.openxmlformats-officedocument.wordprocessingml.template" },
    { "eml", "message/rfc822" },
    { "eps", "application/postscript" },
    { "epub", "application/epub+zip" },
    { "flac", "audio/flac" },
    { "gif", "image/gif" },
    { "gz", "application/gzip" },
    { "h", "text/x-c" },
    { "heic", "image/heic" },
    { "htm", "text/html" },
    { "html", "text/html" },
    { "ico", "image/vnd.microsoft.icon" },
    { "ics", "text/calendar" },
    { "jpeg", "image/jpeg" },
    { "jpg", "image/jpeg" },
    { "js", "text/javascript" },
    { "json", "application/json" },
    { "key", "application/vnd.apple.keynote" },
    { "log", "text/plain" },
    { "m4a", "audio/mp4" },
    { "m4v", "video/mp4" },
    { "md", "text/markdown" },
    { "mkv", "video/x-matroska" },
    { "mov", "video/quicktime" },
    { "mp3", "audio/mpeg" },
    { "mp4", "video/mp4" },
    { "mpeg", "video/mpeg" },
    { "mpg", "video/mpeg" },
    { "msg", "application/vnd.ms-outlook" },
    { "numbers", "application/vnd.apple.numbers" },
    { "odg", "application/vnd.oasis.opendocument.graphics" },
    { "odp", "application/vnd.oasis.opendocument.presentation" },
    { "ods", "application/vnd.oasis.opendocument.spreadsheet" },
    { "odt", "application/vnd.oasis.opendocument.text" },
    { "oga", "audio/ogg" },
    { "ogg", "audio/ogg" },
    { "ogv", "video/ogg" },
    { "opus", "audio/opus" },
    { "otf", "font/otf" },
    { "pages", "application/vnd.apple.pages" },
    { "pdf", "application/pdf" },
    { "png", "image/png" },
    { "potx", "application/vnd.openxmlformats-officedocument.presentationml.template" },
    { "pps", "application/vnd.ms-powerpoint" },
    { "ppsx", "application/vnd.openxmlformats-officedocument.presentationml.slideshow" },
    { "ppt", "application/vnd.ms-powerpoint" },
    { "pptm", "application/vnd.ms-powerpoint.presentation.macroEnabled.12" },
    { "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
    { "ps", "application/postscript" },
    { "psd", "image/vnd.adobe.photoshop" },
    { "py", "text/x-python" },
    { "rar", "application/vnd.rar" },
    { "rtf", "application/rtf" },
    { "sh", "application/x-sh" },
    { "svg", "image/svg+xml" },
    { "tar", "application/x-tar" },
    { "tgz", "application/gzip" },
    { "tif", "image/tiff" },
    { "tiff", "image/tiff" },
    { "ttf", "font/ttf" },
    { "txt", "text/plain" },
    { "vcf", "text/vcard" },
    { "vsd", "application/vnd.visio" },
    { "vsdx", "application/vnd.ms-visio.drawing" },
    { "wav", "audio/wav" },
    { "weba", "audio/webm" },
    { "webm", "video/webm" },
    { "webp", "image/webp" },
    { "woff", "font/woff" },
    { "woff2", "font/woff2" },
    { "xhtml", "application/xhtml+xml" },
    { "xls", "application/vnd.ms-excel" },
    { "xlsb", "application/vnd.ms-excel.sheet.binary.macroEnabled.12" },
    { "xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12" },
    { "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
    { "xltx", "application/vnd.openxmlformats-officedocument.spreadsheetml.template" },
    { "xml", "application/xml" },
    { "xz", "application/x-xz" },
    { "yaml", "application/yaml" },
    { "yml", "application/yaml" },
    { "zip", "application/zip" },
    { "zst", "application/zstd" },
};

const char *
stor_mime_from_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t lo = 0, hi = sizeof(stor_mime_table) / sizeof(stor_mime_table[0]);

    if (dot == NULL || dot == name || dot[1] == '\0')
        return NULL;
    dot++;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcasecmp(dot, stor_mime_table[mid].ext);

        if (c == 0)
            return stor_mime_table[mid].type;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

struct stor_mime *
stor_mime_new(void)
{
    struct stor_mime *m = cf_xcalloc(1, sizeof(*m));

    m->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                          MAGIC_ERROR);
    if (m->magic != NULL && magic_load(m->magic, NULL) != 0) {
        cf_log(CF_LOG_WARN, "libmagic: %s; content types come from extensions only",
               magic_error(m->magic));
        magic_close(m->magic);
        m->magic = NULL;
    }
    if (m->magic != NULL) {
        size_t bytes = 16384;
        magic_setparam(m->magic, MAGIC_PARAM_BYTES_MAX, &bytes);
    }
    return m;
}

void
stor_mime_free(struct stor_mime *m)
{
    if (m == NULL)
        return;
    if (m->magic != NULL)
        magic_close(m->magic);
    free(m);
}

const char *
stor_mime_type(struct stor_mime *m, const char *name, int dirfd, int fd,
               const struct stor_stat *st, char out[STOR_MIME_MAX])
{
    const char *t = stor_mime_from_name(name);
    struct stor_mime_slot *slot = NULL;
    char buf[4096];
    ssize_t n;
    int own = -1;

    if (t != NULL)
        return t;
    if (m == NULL || m->magic == NULL)
        return "application/octet-stream";
    /*
     * libmagic reads and matches 4 KiB every time, several times the cost
     * of the rest of a small GET: remember its answer for this version of
     * the file (device, inode, size and modification time).
     */
    if (st != NULL) {
        slot = &m->cache[(st->ino * 0x9e3779b97f4a7c15ull >> 20) % STOR_MIME_CACHE];
        if (slot->type[0] != '\0' && slot->dev == st->dev && slot->ino == st->ino &&
            slot->size == st->size && slot->mtime_s == (int64_t)st->mtime.tv_sec &&
            slot->mtime_ns == (int64_t)st->mtime.tv_nsec) {
            memcpy(out, slot->type, strlen(slot->type) + 1);
            return out;
        }
    }
    if (fd < 0) {
        own = fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return "application/octet-stream";
    }
    n = pread(fd, buf, sizeof(buf), 0);
    if (own >= 0)
        close(own);
    if (n <= 0)
        return "application/octet-stream";
    t = magic_buffer(m->magic, buf, (size_t)n);
    if (t == NULL || strchr(t, '/') == NULL || strlen(t) >= STOR_MIME_MAX)
        t = "application/octet-stream";
    memcpy(out, t, strlen(t) + 1);
    if (slot != NULL) {
        slot->dev = st->dev;
        slot->ino = st->ino;
        slot->size = st->size;
        slot->mtime_s = (int64_t)st->mtime.tv_sec;
        slot->mtime_ns = (int64_t)st->mtime.tv_nsec;
        memcpy(slot->type, out, strlen(out) + 1);
    }
    return out;
}
