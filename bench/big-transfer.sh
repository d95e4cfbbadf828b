#!/bin/sh
# bench/big-transfer.sh: 1 GiB through cofferd and back (make bench-big).
#
# For each of two servers, the default one (fsync = on) and one started with
# a config saying fsync = off, it PUTs a 1 GiB file with a Content-Length,
# GETs it back, PUTs it again with Transfer-Encoding: chunked, and prints
# the throughput of each transfer, the server's resident memory (VmRSS
# sampled every 50 ms while each transfer runs, and VmHWM, the kernel's peak
# for the whole process) and whether the sha256 of the original, of the
# files the server stored and of the downloaded copy agree.
#
# Exits non-zero if a transfer fails, the checksums differ or the peak RSS
# reaches 64 MiB. Needs about 4 GiB free in ${TMPDIR:-/tmp}; curl and
# sha256sum; openssl makes the test data faster than /dev/urandom.
#
#   COFFER_BIN=./cofferd COFFER_SRCDIR=. sh bench/big-transfer.sh
#
# The figures mean something only for a build without sanitizers.
set -u

COFFER_SRCDIR=${COFFER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$COFFER_SRCDIR/tests/lib/server.sh"

SIZE=1073741824                 # 1 GiB
LIMIT_KB=65536                  # 64 MiB
NEED_KB=4194304                 # source + stored + downloaded + a PUT's temp file
BASE=${TMPDIR:-/tmp}
W=
SAMPLER=
fail=0

say() { printf '%s\n' "$*"; }

cleanup() {
    if [ -n "$SAMPLER" ]; then
        kill "$SAMPLER" 2>/dev/null
        wait "$SAMPLER" 2>/dev/null
        SAMPLER=
    fi
    t_stop
    [ -n "$W" ] && rm -rf "$W"
    W=
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

for tool in curl sha256sum df awk; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "bench-big: $tool is not installed"
        exit 1
    fi
done
if [ ! -x "$T_BIN" ]; then
    say "bench-big: no cofferd at '$T_BIN' (set COFFER_BIN)"
    exit 1
fi

# ---- preconditions ----

if { nm "$T_BIN"; nm -D "$T_BIN"; } 2>/dev/null | grep -q '__asan' ||
   { ! command -v nm >/dev/null 2>&1 && strings "$T_BIN" 2>/dev/null | grep -q '__asan'; }; then
    say "WARNING: $T_BIN is built with AddressSanitizer: its speed and memory figures"
    say "WARNING: are not meaningful; configure a build without --enable-sanitizers"
fi

avail_kb=$(df -Pk "$BASE" 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -z "$avail_kb" ]; then
    say "bench-big: cannot tell the free space in $BASE"
    exit 1
fi
if [ "$avail_kb" -lt "$NEED_KB" ]; then
    say "bench-big: NOT ENOUGH DISK SPACE: needs about 4 GiB free in $BASE," \
        "there are $((avail_kb / 1024)) MiB; point TMPDIR at a roomier directory"
    exit 1
fi

W=$(mktemp -d "$BASE/coffer-bench-XXXXXX") || exit 1
SRC=$W/source.bin
DOWN=$W/download.bin

# ---- helpers ----

# rate BYTES SECONDS: decimal megabytes a second
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.000001; printf "%.0f MB/s (%.2f s)", b / s / 1e6, s }'; }

# mib KB
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# status_kb FIELD: a field of /proc/$T_PID/status, in kB
status_kb() {
    v=
    while read -r k n _; do
        [ "$k" = "$1:" ] && v=$n
    done <"/proc/$T_PID/status"
    echo "${v:-0}"
}

# The sampler writes "PHASE VmRSS-kB RssAnon-kB" every 50 ms; PHASE comes
# from a file the script rewrites around each transfer.
phase() { echo "$1" >"$W/phase"; }

sampler() {
    while [ -r "/proc/$T_PID/status" ]; do
        ph=
        read -r ph <"$W/phase"
        r=
        a=
        while read -r k n _; do
            case $k in
            VmRSS:) r=$n ;;
            RssAnon:) a=$n ;;
            esac
        done <"/proc/$T_PID/status" 2>/dev/null
        [ -n "$ph" ] && [ -n "$r" ] && echo "$ph $r ${a:-0}"
        sleep 0.05
    done >"$W/rss.log" 2>/dev/null
}

# phase_max PHASE [COLUMN]: the highest sampled VmRSS (2) or RssAnon (3) of
# PHASE, in MiB
phase_max() {
    awk -v p="$1" -v c="${2:-2}" '$1 == p && $c > m { m = $c } END { printf "%.1f", m / 1024 }' \
        "$W/rss.log"
}

sha() { sha256sum "$1" | awk '{ print $1 }'; }

# transfer LABEL EXPECT-CODE CURL-ARGS...: runs curl, prints the rate line
transfer() {
    label=$1
    expect=$2
    shift 2
    # write back what earlier steps left dirty, so no transfer pays for
    # another's data
    sync
    out=$(curl -sS -u "admin:$T_PW" -w '%{http_code} %{time_total} %{size_upload} %{size_download}' "$@" \
        2>"$W/curl.err")
    rc=$?
    # shellcheck disable=SC2086 # four numbers, split on purpose
    set -- $out
    code=${1:-000}
    secs=${2:-0}
    up=${3:-0}
    down=${4:-0}
    case "$up$down" in '' | *[!0-9]*) up=0 down=0 ;; esac
    bytes=$up
    [ "$down" -gt "$up" ] && bytes=$down
    # a chunked upload counts its framing too; the rate is of the payload
    if [ $rc -ne 0 ] || [ "$code" != "$expect" ] || [ "$bytes" -lt "$SIZE" ]; then
        say "$label: FAILED (curl exit $rc, HTTP $code, $bytes bytes; expected HTTP $expect, $SIZE bytes)"
        sed 's/^/  curl: /' "$W/curl.err"
        tail -n 5 "$T_DIR/cofferd.log" | sed 's/^/  cofferd: /'
        fail=1
        return 1
    fi
    say "$label: $(rate "$SIZE" "$secs")"
}

# ---- the test data ----

t0=$(date +%s.%N)
if command -v openssl >/dev/null 2>&1; then
    how="openssl aes-128-ctr keystream"
    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
        -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null | head -c "$SIZE" >"$SRC"
else
    how="/dev/urandom"
    head -c "$SIZE" /dev/urandom >"$SRC"
fi
t1=$(date +%s.%N)
if [ "$(wc -c <"$SRC")" -ne "$SIZE" ]; then
    say "bench-big: could not write 1 GiB of test data to $SRC"
    exit 1
fi
want=$(sha "$SRC")
say "bench-big: $T_BIN, $(nproc 2>/dev/null || echo '?') cores, 1 GiB of test data in $BASE" \
    "($how, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'))"

# ---- one round against one server ----

# round TITLE [cofferd args...]
round() {
    title=$1
    shift
    say ""
    say "== $title"
    t_start "$@"
    repo=$T_DIR/data/repos/1
    say "RSS at start: $(mib "$(status_kb VmRSS)") (VmHWM $(mib "$(status_kb VmHWM)"))"
    phase idle
    sampler &
    SAMPLER=$!

    phase put
    transfer "PUT 1 GiB (Content-Length)" 201 -T "$SRC" "$T_URL/dav/admin/big.bin"
    phase idle
    stored=$(sha "$repo/big.bin" 2>/dev/null)

    phase get
    transfer "GET 1 GiB (to a file)" 200 -o "$DOWN" "$T_URL/dav/admin/big.bin"
    phase idle
    got=$(sha "$DOWN" 2>/dev/null)
    rm -f "$DOWN"
    # the same without the client's disk in the way
    phase get
    transfer "GET 1 GiB (to /dev/null)" 200 -o /dev/null "$T_URL/dav/admin/big.bin"
    phase idle

    phase chunked
    transfer "PUT 1 GiB (chunked)" 201 -H "Transfer-Encoding: chunked" -T - \
        "$T_URL/dav/admin/big-chunked.bin" <"$SRC"
    phase idle
    chunked=$(sha "$repo/big-chunked.bin" 2>/dev/null)

    sleep 0.1
    kill "$SAMPLER" 2>/dev/null
    wait "$SAMPLER" 2>/dev/null
    SAMPLER=
    hwm=$(status_kb VmHWM)
    rss=$(status_kb VmRSS)
    say "RSS during PUT / GET / chunked PUT (highest 50 ms sample):" \
        "$(phase_max put) / $(phase_max get) / $(phase_max chunked) MiB," \
        "anonymous $(phase_max put 3) / $(phase_max get 3) / $(phase_max chunked 3) MiB;" \
        "after: $(mib "$rss")"
    # the sampled VmRSS can run a little ahead of VmHWM (the kernel's
    # counters are per thread and folded in lazily): the limit holds for both
    top=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$W/rss.log")
    if [ "$hwm" -lt "$LIMIT_KB" ] && [ "$top" -lt "$LIMIT_KB" ]; then
        say "peak RSS (VmHWM): $(mib "$hwm") (limit 64 MiB)"
    else
        say "peak RSS (VmHWM): $(mib "$hwm"), highest sample $(mib "$top") (limit 64 MiB):" \
            "OVER THE LIMIT"
        grep -E '^(Vm|Rss|Threads)' "/proc/$T_PID/status" | sed 's/^/  /'
        if [ -r "/proc/$T_PID/smaps" ]; then
            say "  largest mappings (Rss kB):"
            awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 ? $6 : "[anon]" } /^Rss:/ { print "   ", $2, name }' \
                "/proc/$T_PID/smaps" | sort -k1,1nr | head -n 8
        fi
        fail=1
    fi
    if [ "$stored" = "$want" ] && [ "$got" = "$want" ] && [ "$chunked" = "$want" ]; then
        say "sha256 match: yes"
    else
        say "sha256 match: NO"
        say "  original             $want"
        say "  stored (PUT)         ${stored:-missing}"
        say "  downloaded (GET)     ${got:-missing}"
        say "  stored (chunked PUT) ${chunked:-missing}"
        fail=1
    fi
    t_stop
}

round "fsync = on (the default)"
printf 'fsync = off\n' >"$W/fsync-off.conf"
round "fsync = off" -c "$W/fsync-off.conf"

say ""
if [ $fail -ne 0 ]; then
    say "bench-big: FAILED"
    exit 1
fi
say "bench-big: ok"
