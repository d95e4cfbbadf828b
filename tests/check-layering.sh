#!/bin/sh
# Keeps the layers honest (STYLE.md 1): calls go downwards only.
#   storage  includes no dav, acl, http, conn, auth or app header
#   acl      includes no dav, http, conn, auth or app header
#   dav      includes no conn, auth or app header
#   src/http_parse.c, src/conn.c include no dav, acl or storage header
set -u
cd "${COFFER_SRCDIR:-.}"
echo "1..4"
n=0
check() {
    n=$((n + 1))
    name=$1
    shift
    bad=$(grep -nE "#include \"coffer/($1)\.h\"" $2 2>/dev/null)
    if [ -z "$bad" ]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        echo "$bad" | sed 's/^/# /'
        failed=1
    fi
}
failed=0
check "storage calls nothing above it" "dav|acl|http|conn|auth|app" "storage/*.c storage/*.h"
check "acl calls only storage and core" "dav|http|conn|auth|app" "acl/*.c"
check "dav does not reach into the server" "conn|auth|app" "dav/*.c dav/*.h"
check "http framing knows no WebDAV" "dav|acl|storage|auth|app" "src/http_parse.c src/conn.c"
exit $failed
