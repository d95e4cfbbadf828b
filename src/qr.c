/*
 * qr.c: draws QR codes as SVG (see coffer/qr.h). libqrencode chooses the
 * version and masks; this file only turns its module matrix into markup.
 *
 * The dark modules of each row are merged into horizontal runs, and every run
 * becomes one closed rectangle of a single <path>: a 29x29 code is a few
 * hundred bytes of path data rather than hundreds of <rect> elements.
 * shape-rendering="crispEdges" keeps neighbouring runs from showing seams
 * when the browser scales the code.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <qrencode.h>

#include "coffer/qr.h"
#include "coffer/str.h"
#include "coffer/banned.h"

#define CF_QR_DEFAULT_PX_PER_MODULE 4

/* Appends the path data of the dark modules of qr, offset by the quiet zone. */
static void
cf_qr_path_data(struct cf_buf *out, const QRcode *qr)
{
    int w = qr->width;

    for (int y = 0; y < w; y++) {
        const unsigned char *row = qr->data + (size_t)y * (size_t)w;

        for (int x = 0; x < w;) {
            int run = 0;

            /* libqrencode: bit 0 of each byte is 1 for a dark module. */
            while (x + run < w && (row[x + run] & 1))
                run++;
            if (run == 0) {
                x++;
                continue;
            }
            cf_buf_addf(out, "M%d %dh%dv1h-%dz", x + CF_QR_QUIET, y + CF_QR_QUIET, run, run);
            x += run;
        }
    }
}

int
cf_qr_svg(struct cf_buf *out, const char *text, unsigned px)
{
    QRcode *qr;
    int size;

    if (text == NULL || text[0] == '\0')
        return -EINVAL;
    /*
     * Version 0 lets libqrencode pick the smallest version that fits. It
     * fails with ERANGE when even version 40 cannot hold the text, EINVAL
     * for bad input, ENOMEM when out of memory.
     */
    errno = 0;
    qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (qr == NULL)
        return errno == ENOMEM ? -ENOMEM : -EINVAL;
    size = qr->width + 2 * CF_QR_QUIET;
    if (px == 0)
        px = (unsigned)size * CF_QR_DEFAULT_PX_PER_MODULE;
    cf_buf_addf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                "width=\"%u\" height=\"%u\" role=\"img\" aria-label=\"QR code\" "
                "shape-rendering=\"crispEdges\">"
                "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
                "<path fill=\"#000\" d=\"",
                size, size, px, px, size, size);
    cf_qr_path_data(out, qr);
    cf_buf_adds(out, "\"/></svg>");
    QRcode_free(qr);
    return 0;
}
