#!/bin/sh
# ident_netns.sh: HTTP Basic over plain HTTP from an address that is not
# loopback is refused with a 403 that says to use HTTPS (RFC 7617 4: the
# password would cross the network in the clear), on WebDAV and on the
# API, right password or not; with `plain-basic = on` it is let through.
#
# The client must come from a non-loopback address, so the test runs in a
# network namespace of its own (unshare --net, as root: CI runs as root)
# where 192.0.2.1 (TEST-NET-1) sits on lo. If the namespace cannot be
# made, the test fails saying so: it does not skip.
set -u
. "${COFFER_SRCDIR:-.}/tests/lib/server.sh"

ADDR=192.0.2.1

if [ -z "${IDENT_NETNS_INNER:-}" ]; then
    for tool in unshare ip curl; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            t_plan 1
            t_not_ok "'$tool' is needed (packages util-linux, iproute2, curl)"
            exit 1
        fi
    done
    if ! err=$(unshare --net true 2>&1); then
        t_plan 1
        t_not_ok "unshare --net failed (this test needs root): $err"
        exit 1
    fi
    IDENT_NETNS_INNER=1 exec unshare --net sh "$0" "$@"
fi

# ---- inside the namespace ----

t_plan 7
if ! err=$( { ip link set lo up && ip addr add "$ADDR/32" dev lo; } 2>&1); then
    t_not_ok "cannot put $ADDR on lo in the namespace: $err"
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-netns-XXXXXX")
cleanup() {
    t_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

# req NAME EXPECTED-STATUS [NEEDLE] CURL-ARGS...: one request; ok if the
# status is the expected one and the body contains NEEDLE (may be "").
req() {
    name=$1 want=$2 needle=$3
    shift 3
    code=$(curl -s --noproxy '*' -o "$WORK/body" -D "$WORK/head" -w '%{http_code}' "$@" \
        2>"$WORK/curl.err")
    if [ "$code" = "$want" ] && { [ -z "$needle" ] || grep -qi -- "$needle" "$WORK/body"; }; then
        t_ok "$name"
    else
        {
            echo "expected $want${needle:+ saying '$needle'}, got '$code'"
            cat "$WORK/curl.err" "$WORK/head" "$WORK/body"
            echo "--- server log:"
            tail -n 20 "$T_DIR/cofferd.log"
        } >"$WORK/fail.log" 2>/dev/null
        t_not_ok "$name" "$WORK/fail.log"
    fi
}

# The last --listen wins: t_start's 127.0.0.1:0 comes first.
t_start --listen "$ADDR:0"
URL="http://$ADDR:$T_PORT"

req "PROPFIND with Basic from $ADDR over plain HTTP is 403 saying HTTPS" 403 "HTTPS" \
    -X PROPFIND -H 'Depth: 0' -u "admin:$T_PW" "$URL/dav/admin/"
req "API call with Basic from $ADDR over plain HTTP is 403 saying HTTPS" 403 "HTTPS" \
    -u "admin:$T_PW" "$URL/api/v1/me"
req "a wrong password gets the same 403 (no password oracle)" 403 "HTTPS" \
    -X PROPFIND -H 'Depth: 0' -u "admin:not-the-password" "$URL/dav/admin/"
req "without credentials the challenge is still a 401" 401 "" \
    -X PROPFIND -H 'Depth: 0' "$URL/dav/admin/"
t_stop

echo "plain-basic = on" >"$WORK/plain.conf"
t_start -c "$WORK/plain.conf" --listen "$ADDR:0"
URL="http://$ADDR:$T_PORT"
req "with plain-basic = on, PROPFIND from $ADDR is 207" 207 "" \
    -X PROPFIND -H 'Depth: 0' -u "admin:$T_PW" "$URL/dav/admin/"
req "with plain-basic = on, the API from $ADDR is 200" 200 "admin" \
    -u "admin:$T_PW" "$URL/api/v1/me"
req "with plain-basic = on, a wrong password is 401" 401 "" \
    -X PROPFIND -H 'Depth: 0' -u "admin:not-the-password" "$URL/dav/admin/"

[ "$t_failed" -eq 0 ]
