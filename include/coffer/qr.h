/*
 * qr.h: QR codes drawn as inline SVG, for the otpauth:// URI a user scans
 * when turning on the second factor. Encoding is libqrencode's; this module
 * only draws.
 */
#ifndef COFFER_QR_H
#define COFFER_QR_H

#include "coffer/str.h"

#define CF_QR_QUIET 4                   /* modules of light margin (ISO 18004 6.3.8) */

/*
 * Renders text as a QR code (libqrencode, error correction M, 8-bit mode,
 * the smallest version that holds it) in SVG, appended to out: a square
 * <svg> whose viewBox is in module units and includes a 4-module quiet zone
 * on every side, a white background, and the dark modules drawn as one
 * <path>. width and height are px pixels (0 means 4 pixels per module). The
 * element carries role="img" and aria-label="QR code"; the text itself is not
 * written anywhere but in the modules.
 *
 * Returns 0, -EINVAL when text cannot be encoded (NULL, empty, or too long
 * for version 40: out is then unchanged), or -ENOMEM.
 */
int cf_qr_svg(struct cf_buf *out, const char *text, unsigned px);

#endif
