#!/bin/bash
# bench/compare.sh: Coffer side by side with nginx, lighttpd and Apache (make bench, issue 5).
#
# Starts cofferd twice (the durable default, fsync = on, and fsync = off) and
# three anchors from Debian's packages, each on its own 127.0.0.1 port with
# its own configuration written into a temporary directory and run in the
# foreground (the system's own sites are never touched):
#
#   nginx     + libnginx-mod-http-dav-ext (PROPFIND, LOCK; nginx has no PROPPATCH)
#   lighttpd  + mod_webdav (dead properties and locks in SQLite)
#   Apache    event MPM + mod_dav, mod_dav_fs, mod_dav_lock
#
# makes the fixtures through WebDAV itself (MKCOL, PUT, PROPPATCH) and, for
# Coffer, the users, groups and grants through the REST API, then measures
# each workload against each server in rounds that interleave the servers,
# and prints the medians, the ratios Coffer / anchor and PASS or MISS for each
# target of the issue. The report also goes to bench/results/<date>.md.
#
#   COFFER_BIN=./cofferd COFFER_SRCDIR=.. bash bench/compare.sh
#
# BENCH_QUICK=1: a smoke run of about 3 minutes (fewer, shorter rounds; its
# figures are only indicative). BENCH_RESULTS=DIR: where the report goes
# (default $COFFER_SRCDIR/bench/results; BENCH_RESULTS=- for none).
# BENCH_KEEP=1 keeps the temporary directory. BENCH_MIX_SERVERS: servers of
# the mixed workload (default "coffer coffer-nf apache nginx lighttpd").
# BENCH_ACL_GROUPS: the group counts of the permission-check curve (default
# "1000 10000"; through HTTP 100000 adds some 12 minutes). BENCH_COMMIT: the
# commit named in the report when $COFFER_SRCDIR is no git work tree.
#
# As root it installs what is missing with apt-get (wrk, nginx,
# libnginx-mod-http-dav-ext, lighttpd, lighttpd-mod-webdav, apache2), with a
# policy-rc.d in place meanwhile so that no package starts its service, and
# the anchors drop to www-data. Needs curl, python3, a C compiler (for
# bench/davload.c), about 2 GiB free in ${TMPDIR:-/tmp}. Traffic goes to
# 127.0.0.1 only. The figures mean something only for a build without
# sanitizers.
set -u

COFFER_SRCDIR=${COFFER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$COFFER_SRCDIR/tests/lib/server.sh"     # T_BIN, T_PW
BENCHDIR=$COFFER_SRCDIR/bench
BUILDDIR=${BENCH_BUILDDIR:-$(cd "$(dirname "$T_BIN")" && pwd)}
QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
RESULTS_DIR=${BENCH_RESULTS:-$COFFER_SRCDIR/bench/results}
MIX_SERVERS=${BENCH_MIX_SERVERS:-coffer coffer-nf apache nginx lighttpd}
PY=${PYTHON:-python3}
BASE=${TMPDIR:-/tmp}

# ---- sizes: full run (about 20 minutes) and BENCH_QUICK=1 (about 3) ----
if [ "$QUICK" = 1 ]; then
    R_GET=2 S_GET=2                  # workload 1: rounds, seconds a round
    R_BIG=1 N_BIG=2                  # workload 2: rounds, GETs a round
    R_PF=1 S_PF=2                    # workload 3
    R_PUT=1                          # workload 4
    R_SEQ=1 N_SEQ=500                # workload 5
    R_MIX=1 S_MIX=5                  # workload 7
    SCALE_NS="100 1000 10000" R_SCALE=3
    ACL_NS="1000" R_ACL=1 S_ACL=2
else
    R_GET=5 S_GET=4
    R_BIG=3 N_BIG=2
    R_PF=3 S_PF=3
    R_PUT=3
    R_SEQ=3 N_SEQ=2000
    R_MIX=2 S_MIX=30
    SCALE_NS="100 1000 10000 100000" R_SCALE=5
    ACL_NS="1000 10000" R_ACL=2 S_ACL=3
fi
# through HTTP, 100,000 groups take Coffer some 12 minutes to make (see
# bench/README.md): only when asked for, BENCH_ACL_GROUPS="1000 10000 100000"
ACL_NS=${BENCH_ACL_GROUPS:-$ACL_NS}
GET_CONNS=64                         # workload 1 (wrk -t1)
PF_CONNS=4                           # workload 3
IDLE_N=10000                         # workload 6
MIX_USERS=200 MIX_FILES=100          # workload 7
BIG_GET=$((64 * 1024 * 1024))
BIG_PUT=$((256 * 1024 * 1024))

W=
SAMPLER=
declare -A PORT PID PFX RAUTH WAUTH TOKEN
STARTED=""
T0=$(date +%s)
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

say() { printf '%s\n' "$*"; }
note() { printf '%s\n' "$*" >>"$W/notes"; say "note: $*"; }
die() { say "bench: $*"; exit 1; }

cleanup() {
    if [ -n "$SAMPLER" ]; then
        kill "$SAMPLER" 2>/dev/null
        wait "$SAMPLER" 2>/dev/null
        SAMPLER=
    fi
    for s in $STARTED; do stop_server "$s"; done
    STARTED=
    if [ -n "$W" ] && [ -z "${BENCH_KEEP:-}" ]; then
        rm -rf "$W"
    elif [ -n "$W" ]; then
        say "bench: kept $W"
    fi
    W=
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- what is needed ----

[ -x "$T_BIN" ] || die "no cofferd at '$T_BIN' (set COFFER_BIN)"
if { nm "$T_BIN"; nm -D "$T_BIN"; } 2>/dev/null | grep -q '__asan' ||
   grep -q __asan_init "$T_BIN" 2>/dev/null; then
    say "WARNING: $T_BIN is built with AddressSanitizer: its speed and memory figures"
    say "WARNING: are not meaningful; configure a build without --enable-sanitizers"
fi

NGINX_DAV=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so
LIGHTTPD_DAV=/usr/lib/lighttpd/mod_webdav.so
APACHE_MODS=/usr/lib/apache2/modules
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
[ -x /usr/sbin/nginx ] || missing="$missing nginx"
[ -e "$NGINX_DAV" ] || missing="$missing libnginx-mod-http-dav-ext"
[ -x /usr/sbin/lighttpd ] || missing="$missing lighttpd"
[ -e "$LIGHTTPD_DAV" ] || missing="$missing lighttpd-mod-webdav"
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        die "missing:$missing (apt-get install$missing, as root)"
    fi
    say "bench: installing$missing"
    # no package may start its service (nginx and Apache would take port 80)
    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d &&
            policy=1
    fi
    # shellcheck disable=SC2086 # a list of package names
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
        >"$BASE/coffer-bench-apt.log" 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$BASE/coffer-bench-apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
            >>"$BASE/coffer-bench-apt.log" 2>&1 || {
            [ -n "$policy" ] && rm -f /usr/sbin/policy-rc.d
            tail -n 20 "$BASE/coffer-bench-apt.log"
            die "apt-get install$missing failed"
        }
    fi
    [ -n "$policy" ] && rm -f /usr/sbin/policy-rc.d
fi
for tool in curl "$PY" dd awk sort "${CC:-cc}"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done

# 10,000 idle connections: the client and each server need that many files
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
if [ "$NOFILE" -lt $((IDLE_N + 500)) ]; then
    IDLE_N=$((NOFILE - 500))
fi

W=$(mktemp -d "$BASE/coffer-bench-XXXXXX") || exit 1
chmod 755 "$W"
mkdir -p "$W/res"
: >"$W/notes"
echo setup >"$W/phase"

avail_kb=$(df -Pk "$W" | awk 'NR == 2 { print $4 }')
[ "${avail_kb:-0}" -ge 2097152 ] || die "needs about 2 GiB free in $BASE"

"${CC:-cc}" -O2 -Wall -pthread -o "$W/davload" "$BENCHDIR/davload.c" || die "cannot build davload"
DAVLOAD=$W/davload
LIB="$PY $BENCHDIR/benchlib.py"

ROOT=0
[ "$(id -u)" -eq 0 ] && ROOT=1
RUNUSER=www-data

# ---- servers ----

free_port() {
    $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
    local i=0
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[$1]}/")" != 000 ]; do
        i=$((i + 1))
        if [ $i -gt 200 ] || ! kill -0 "${PID[$1]}" 2>/dev/null; then
            say "bench: $1 did not start:"
            tail -n 20 "$W/$1"/*.log 2>/dev/null
            exit 1
        fi
        sleep 0.05
    done
}

# start_coffer NAME [config lines...]
start_coffer() {
    local name=$1 d i
    shift
    d=$W/$name
    mkdir -p "$d"
    printf '%s\n' "access-log = off" "auth-cache = 1h" "$@" >"$d/cofferd.conf"
    COFFER_ADMIN_PASSWORD=$T_PW "$T_BIN" -c "$d/cofferd.conf" --data "$d/data" \
        --listen 127.0.0.1:0 --port-file "$d/port" >"$d/cofferd.log" 2>&1 &
    PID[$name]=$!
    STARTED="$STARTED $name"
    i=0
    while [ ! -s "$d/port" ]; do
        i=$((i + 1))
        if [ $i -gt 1500 ] || ! kill -0 "${PID[$name]}" 2>/dev/null; then
            say "bench: cofferd ($name) did not start:"
            cat "$d/cofferd.log"
            exit 1
        fi
        sleep 0.02
    done
    PORT[$name]=$(cat "$d/port")
    PFX[$name]=/dav/bench
    RAUTH[$name]=$(printf 'reader:%s' "reader-Bench-pw-5" | base64 -w0)
    WAUTH[$name]=$(printf 'writer:%s' "writer-Bench-pw-5" | base64 -w0)
}

anchor_dirs() {
    local d=$W/$1
    mkdir -p "$d/data" "$d/tmp" "$d/db" "$d/run"
    [ $ROOT = 1 ] && chown -R "$RUNUSER:" "$d"
    PORT[$1]=$(free_port)
    PFX[$1]=/bench
    RAUTH[$1]=-
    WAUTH[$1]=-
}

start_nginx() {
    local d=$W/nginx
    anchor_dirs nginx
    {
        echo "daemon off;"
        echo "master_process on;"
        echo "worker_processes 2;"
        [ $ROOT = 1 ] && echo "user $RUNUSER;"
        echo "pid $d/run/nginx.pid;"
        echo "error_log $d/error.log warn;"
        echo "load_module $NGINX_DAV;"
        echo "worker_rlimit_nofile $NOFILE;"
        echo "events { worker_connections $((NOFILE / 2)); }"
        cat <<EOF
http {
    access_log off;
    default_type application/octet-stream;
    types { text/plain txt; application/zip zip; }
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 300s;
    keepalive_requests 100000000;
    client_max_body_size 0;
    client_body_temp_path $d/tmp;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    dav_ext_lock_zone zone=bench:16m;
    server {
        listen 127.0.0.1:${PORT[nginx]};
        root $d/data;
        location / {
            dav_methods PUT DELETE MKCOL COPY MOVE;
            dav_ext_methods PROPFIND OPTIONS LOCK UNLOCK;
            dav_ext_lock zone=bench;
            create_full_put_path on;
            dav_access user:rw group:rw all:r;
        }
    }
}
EOF
    } >"$d/nginx.conf"
    /usr/sbin/nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" >"$d/stdout.log" 2>&1 &
    PID[nginx]=$!
    STARTED="$STARTED nginx"
    wait_http nginx
}

start_lighttpd() {
    local d=$W/lighttpd
    anchor_dirs lighttpd
    {
        echo 'server.modules = ( "mod_webdav" )'
        echo "server.document-root = \"$d/data\""
        echo 'server.bind = "127.0.0.1"'
        echo "server.port = ${PORT[lighttpd]}"
        [ $ROOT = 1 ] && echo "server.username = \"$RUNUSER\"" && echo "server.groupname = \"$RUNUSER\""
        echo "server.errorlog = \"$d/error.log\""
        echo "server.upload-dirs = ( \"$d/tmp\" )"
        echo "server.max-fds = $NOFILE"
        echo "server.max-connections = $((NOFILE / 2))"
        echo 'server.max-keep-alive-requests = 65535'
        echo 'server.max-keep-alive-idle = 300'
        echo 'server.max-read-idle = 300'
        echo 'server.max-request-size = 0'
        echo 'server.network-backend = "sendfile"'
        echo 'mimetype.assign = ( ".txt" => "text/plain", ".zip" => "application/zip", "" => "application/octet-stream" )'
        echo 'webdav.activate = "enable"'
        echo 'webdav.is-readonly = "disable"'
        echo "webdav.sqlite-db-name = \"$d/db/webdav.sqlite\""
    } >"$d/lighttpd.conf"
    /usr/sbin/lighttpd -D -f "$d/lighttpd.conf" >"$d/stdout.log" 2>&1 &
    PID[lighttpd]=$!
    STARTED="$STARTED lighttpd"
    wait_http lighttpd
}

start_apache() {
    local d=$W/apache M=$APACHE_MODS m
    anchor_dirs apache
    {
        echo "ServerRoot \"$d\""
        echo "ServerName 127.0.0.1"
        echo "Listen 127.0.0.1:${PORT[apache]}"
        echo "PidFile $d/run/httpd.pid"
        echo "DefaultRuntimeDir $d/run"
        for m in mpm_event authz_core mime dav dav_fs dav_lock; do
            echo "LoadModule ${m}_module $M/mod_$m.so"
        done
        [ $ROOT = 1 ] && echo "User $RUNUSER" && echo "Group $RUNUSER"
        cat <<EOF
ErrorLog $d/error.log
LogLevel warn
TypesConfig /dev/null
AddType text/plain .txt
AddType application/zip .zip
DocumentRoot "$d/data"
DAVLockDB "$d/db/DAVLock"
EnableSendfile On
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 300
Timeout 60
StartServers 16
ServerLimit 16
ThreadsPerChild 64
MaxRequestWorkers 1024
MinSpareThreads 64
MaxSpareThreads 1024
AsyncRequestWorkerFactor 10
LimitRequestBody 0
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$d/data">
    Dav On
    AllowOverride None
    Require all granted
</Directory>
EOF
    } >"$d/httpd.conf"
    /usr/sbin/apache2 -d "$d" -f "$d/httpd.conf" -DFOREGROUND >"$d/stdout.log" 2>&1 &
    PID[apache]=$!
    STARTED="$STARTED apache"
    wait_http apache
}

stop_server() {
    if [ -n "${PID[$1]:-}" ]; then
        kill "${PID[$1]}" 2>/dev/null
        wait "${PID[$1]}" 2>/dev/null
        PID[$1]=
    fi
}

url() { printf 'http://127.0.0.1:%s%s' "${PORT[$1]}" "$2"; }

# auth_args AUTH: curl's header arguments for a base64 Basic credential or "-"
auth_hdr() { [ "$1" = - ] && echo "X-No-Auth: 1" || echo "Authorization: Basic $1"; }

# the administrator's Basic credential for the fixtures (anchors: none)
admin_auth() {
    case $1 in coffer*) printf 'admin:%s' "$T_PW" | base64 -w0 ;; *) echo - ;; esac
}

# dav SERVER METHOD PATH [curl args...]: prints the HTTP status
dav() {
    local s=$1 m=$2 p=$3
    shift 3
    curl -s -o /dev/null -w '%{http_code}' -X "$m" -H "$(auth_hdr "$(admin_auth "$s")")" "$@" \
        "$(url "$s" "$p")"
}

# rss_kb SERVER: the server's resident set in KiB (all its processes)
rss_kb() {
    case $1 in
    coffer*) awk '/^VmRSS:/ { print $2 }' "/proc/${PID[$1]}/status" ;;
    *) $LIB rss "${PID[$1]}" ;;
    esac
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# ---- Coffer's RSS, sampled every 50 ms with the phase the script is in ----

sampler() {
    local ph n p r k v
    while :; do
        ph=
        read -r ph <"$W/phase"
        for n in coffer coffer-nf; do
            p=${PID[$n]:-}
            [ -n "$p" ] || continue
            r=
            while read -r k v _; do
                [ "$k" = VmRSS: ] && r=$v
            done <"/proc/$p/status" 2>/dev/null
            [ -n "$r" ] && echo "$ph $n $r"
        done
        sleep 0.05
    done >"$W/rss.log" 2>/dev/null
}
phase() { echo "$1" >"$W/phase"; }
# phase_max PHASE SERVER: the highest sample, KiB
phase_max() {
    awk -v p="$1" -v s="$2" '$1 == p && $2 == s && $3 > m { m = $3 } END { print m + 0 }' "$W/rss.log"
}

# ---- statistics ----

# add KEY SERVER VALUE...: one round's figures
add() { local k=$1 s=$2; shift 2; echo "$*" >>"$W/res/$k.$s"; }
# med KEY SERVER [COLUMN]: the median of a column over the rounds, or "-"
med() {
    local f=$W/res/$1.$2
    [ -s "$f" ] || { echo -; return; }
    awk -v c="${3:-1}" '{ print $c }' "$f" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# ratio A B: A/B with two decimals, or "-"
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
                                     else printf "%.2f\n", a / b }'
}
# best KEY COLUMN SERVERS...: "server value" of the highest median
best() {
    local k=$1 c=$2 s
    shift 2
    for s in "$@"; do echo "$s $(med "$k" "$s" "$c")"; done |
        awk '$2 != "-" && ($2 + 0 > m || !n) { m = $2 + 0; b = $0; n = 1 } END { print b }'
}
# verdict RATIO OP TARGET: PASS or MISS
verdict() {
    awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN { if (r == "-") { print "n/a"; exit }
        ok = (op == ">=") ? (r + 0 >= t + 0) : (r + 0 <= t + 0); print ok ? "PASS" : "MISS" }'
}
# rotate N LIST...: the list starting at element N mod its length
rotate() {
    local n=$1 a c i
    shift
    a=("$@")
    c=${#a[@]}
    for ((i = 0; i < c; i++)); do printf '%s ' "${a[$(((n + i) % c))]}"; done
}

# ---- wrk ----

# wrk_run SERVER CONNS SECONDS PATH [-s script]: prints "req/s p99_ms errors"
wrk_run() {
    local s=$1 c=$2 secs=$3 p=$4
    shift 4
    wrk -t1 -c"$c" -d"${secs}s" --latency -H "$(auth_hdr "${RAUTH[$s]}")" "$@" "$(url "$s" "$p")" 2>&1 |
        awk '/Requests\/sec/ { rps = $2 }
             /^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; p99 = v }
             /Non-2xx/ { err += $NF }
             /Socket errors/ { for (i = 4; i <= NF; i += 2) { x = $i; sub(/,/, "", x); err += x } }
             END { printf "%.1f %.3f %d\n", rps, p99, err }'
}

cat >"$W/propfind.lua" <<'EOF'
wrk.method = "PROPFIND"
wrk.headers["Depth"] = "1"
wrk.headers["Content-Type"] = "application/xml; charset=utf-8"
wrk.body = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
EOF
PROPFIND_BODY='<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'

# ---- start ----

say "bench: Coffer against nginx, lighttpd and Apache$([ $QUICK = 1 ] && echo ' (BENCH_QUICK=1: a smoke run)')"
say "bench: $T_BIN, $(nproc) cores, work directory $W (open files: $NOFILE)"

start_coffer coffer
start_coffer coffer-nf "fsync = off"
start_nginx
start_lighttpd
start_apache
SERVERS="coffer coffer-nf nginx lighttpd apache"
READ_SERVERS="coffer nginx lighttpd apache"
versions="cofferd (${BENCH_COMMIT:-$(cd "$COFFER_SRCDIR" && git rev-parse --short HEAD 2>/dev/null || echo '?')})"
versions="$versions, $(/usr/sbin/nginx -v 2>&1 | sed 's/.*: //'), $(/usr/sbin/lighttpd -v 2>&1 | head -1 | awk '{ print $1 }')"
versions="$versions, $(/usr/sbin/apache2 -v | awk -F': ' '/version/ { print $2 }' | awk '{ print $1 }'), $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }')"
for s in $SERVERS; do say "  $s: 127.0.0.1:${PORT[$s]} (pid ${PID[$s]})"; done

# ---- Coffer: users, groups and grants through the REST API ----

for s in coffer coffer-nf; do
    TOKEN[$s]=$($LIB token "${PORT[$s]}" "$T_PW") || die "no API token from $s"
    why=$($LIB coffer-setup "${PORT[$s]}" "${TOKEN[$s]}") || die "REST set-up of $s failed"
done
say "bench: Coffer: reader in r-a, r-a nested in r-b, r-b granted read on 'bench': $why"

# ---- fixtures, through WebDAV ----

say "bench: fixtures (MKCOL, PUT, PROPPATCH) ..."
t_fix=$(date +%s)
head -c 4096 /dev/urandom | base64 -w 76 | head -c 4096 >"$W/small.txt"
if command -v openssl >/dev/null 2>&1; then
    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
        -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null | head -c "$BIG_PUT" >"$W/big.bin"
else
    head -c "$BIG_PUT" /dev/urandom >"$W/big.bin"
fi
head -c "$BIG_GET" "$W/big.bin" >"$W/big64.bin"

# putmany SERVER PATH COUNT: COUNT 4 KiB files in PATH/ (made here), every
# tenth with two dead properties where the server has PROPPATCH
putmany() {
    local s=$1 p=$2 n=$3 props=10 code out
    [ "$s" = nginx ] && props=0
    code=$(dav "$s" MKCOL "$p/")
    [ "$code" = 201 ] || die "MKCOL $p/ on $s: HTTP $code"
    out=$("$DAVLOAD" putmany "${PORT[$s]}" "$(admin_auth "$s")" "$p/f" "$n" 4096 4 "$props") ||
        die "PUTs into $p on $s failed: $out"
}

for s in $SERVERS; do
    p=${PFX[$s]}
    case $s in coffer*) ;; *) code=$(dav "$s" MKCOL "$p/"); [ "$code" = 201 ] || die "MKCOL on $s: $code" ;; esac
    for f in small.txt:small.txt big64.zip:big64.bin; do
        code=$(dav "$s" PUT "$p/${f%%:*}" -T "$W/${f#*:}")
        [ "$code" = 201 ] || die "PUT $p/${f%%:*} on $s: HTTP $code"
    done
    code=$(dav "$s" MKCOL "$p/seq/")
    [ "$code" = 201 ] || die "MKCOL $p/seq/ on $s: HTTP $code"
    code=$(dav "$s" MKCOL "$p/up/")
    [ "$code" = 201 ] || die "MKCOL $p/up/ on $s: HTTP $code"
done
for s in $READ_SERVERS; do
    for n in 1000 10000; do putmany "$s" "${PFX[$s]}/p$n" $n; done
done
# the scaling curve: Coffer (fsync = off: only the set-up is faster) and nginx
# at every size; lighttpd and Apache up to 10,000
SCALE_SERVERS="coffer-nf nginx lighttpd apache"
for n in $SCALE_NS; do
    for s in $SCALE_SERVERS; do
        [ "$n" -gt 10000 ] && [ "$s" != coffer-nf ] && [ "$s" != nginx ] && continue
        if [ "$s" != coffer-nf ] && { [ "$n" = 1000 ] || [ "$n" = 10000 ]; }; then
            continue                             # those made above
        fi
        putmany "$s" "${PFX[$s]}/s$n" "$n"
    done
done
# a sanity check: the reader (nested groups) reads the small file
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$(auth_hdr "${RAUTH[coffer]}")" "$(url coffer /dav/bench/small.txt)")
[ "$code" = 200 ] || die "the reader cannot GET the small file on coffer: HTTP $code"
# first logins (argon2) before anything is timed: each worker thread
for s in coffer coffer-nf; do
    for i in 1 2 3 4 5 6 7 8 9 10; do
        curl -s -o /dev/null -H "$(auth_hdr "${RAUTH[$s]}")" "$(url "$s" /dav/bench/small.txt)"
        curl -s -o /dev/null -H "$(auth_hdr "${WAUTH[$s]}")" "$(url "$s" /dav/bench/small.txt)"
    done
done
say "bench: fixtures made in $(($(date +%s) - t_fix)) s"
sync

sampler &
SAMPLER=$!

# ---- 1. GET of a 4 KiB file, keep-alive, 64 connections ----

say ""
say "== 1. GET 4 KiB, keep-alive, $GET_CONNS connections (wrk -t1), $R_GET rounds of ${S_GET} s"
for ((r = 0; r < R_GET; r++)); do
    for s in $(rotate $r $READ_SERVERS); do
        phase "get4k"
        set -- $(wrk_run "$s" $GET_CONNS "$S_GET" "${PFX[$s]}/small.txt")
        phase idle
        add get4k "$s" "$1" "$2" "$3"
        [ "$3" != 0 ] && note "workload 1: $s had $3 errors in round $((r + 1))"
        printf '  round %d %-9s %10s req/s  p99 %8s ms\n' $((r + 1)) "$s" "$1" "$2"
    done
done

# ---- 2. GET of a 64 MiB file ----

say ""
say "== 2. GET 64 MiB (curl to /dev/null), $R_BIG rounds of $N_BIG GETs"
for ((r = 0; r < R_BIG; r++)); do
    for s in $(rotate $r $READ_SERVERS); do
        for ((k = 0; k < N_BIG; k++)); do
            phase "single"
            out=$(curl -s -o /dev/null -H "$(auth_hdr "${RAUTH[$s]}")" \
                -w '%{http_code} %{time_total} %{size_download}' "$(url "$s" "${PFX[$s]}/big64.zip")")
            phase idle
            set -- $out
            [ "$1" = 200 ] && [ "$3" = "$BIG_GET" ] || { note "workload 2: $s answered $out"; continue; }
            mbs=$(awk -v b="$3" -v t="$2" 'BEGIN { printf "%.1f", b / t / 1e6 }')
            add get64 "$s" "$mbs"
            printf '  round %d %-9s %8s MB/s\n' $((r + 1)) "$s" "$mbs"
        done
    done
done

# ---- 3. PROPFIND Depth 1, allprop, 1,000 and 10,000 entries ----

say ""
say "== 3. PROPFIND Depth 1 allprop, $PF_CONNS connections (wrk -t1), $R_PF rounds of ${S_PF} s"
for n in 1000 10000; do
    for ((r = 0; r < R_PF; r++)); do
        for s in $(rotate $r $READ_SERVERS); do
            phase "pf$n"
            set -- $(wrk_run "$s" $PF_CONNS "$S_PF" "${PFX[$s]}/p$n/" -s "$W/propfind.lua")
            phase idle
            add "pf$n" "$s" "$1" "$2" "$3"
            [ "$3" != 0 ] && note "workload 3: $s had $3 errors on $n entries in round $((r + 1))"
            printf '  %5d entries round %d %-9s %8s req/s  p99 %8s ms\n' "$n" $((r + 1)) "$s" "$1" "$2"
        done
    done
    for s in $READ_SERVERS; do
        sz=$(curl -s -o /dev/null -w '%{size_download}' -X PROPFIND -H 'Depth: 1' \
            -H 'Content-Type: application/xml' --data "$PROPFIND_BODY" \
            -H "$(auth_hdr "${RAUTH[$s]}")" "$(url "$s" "${PFX[$s]}/p$n/")")
        add "pfsize$n" "$s" "$sz"
    done
done

# ---- 4. PUT of a 256 MiB file, and dd conv=fsync ----

say ""
say "== 4. PUT 256 MiB (curl -T), $R_PUT rounds; dd bs=1M conv=fsync on the same disk"
PUT_SERVERS="coffer coffer-nf nginx lighttpd apache dd"
for ((r = 0; r < R_PUT; r++)); do
    for s in $(rotate $r $PUT_SERVERS); do
        sync
        if [ "$s" = dd ]; then
            t0=$(date +%s.%N)
            dd if="$W/big.bin" of="$W/dd.out" bs=1M conv=fsync 2>/dev/null
            t1=$(date +%s.%N)
            rm -f "$W/dd.out"
            mbs=$(awk -v b="$BIG_PUT" -v a="$t0" -v c="$t1" 'BEGIN { printf "%.1f", b / (c - a) / 1e6 }')
        else
            phase "single"
            out=$(curl -s -o /dev/null -H "$(auth_hdr "${WAUTH[$s]}")" -T "$W/big.bin" \
                -w '%{http_code} %{time_total} %{size_upload}' "$(url "$s" "${PFX[$s]}/up/big-$r.zip")")
            phase idle
            set -- $out
            case $1 in 201 | 204) ;; *) note "workload 4: $s answered $out"; continue ;; esac
            mbs=$(awk -v b="$BIG_PUT" -v t="$2" 'BEGIN { printf "%.1f", b / t / 1e6 }')
            case $s in coffer*) a=${WAUTH[$s]} ;; *) a=- ;; esac
            curl -s -o /dev/null -X DELETE -H "$(auth_hdr "$a")" "$(url "$s" "${PFX[$s]}/up/big-$r.zip")"
        fi
        add put256 "$s" "$mbs"
        printf '  round %d %-9s %8s MB/s\n' $((r + 1)) "$s" "$mbs"
    done
done
rm -f "$W/big.bin"

# ---- 5. sequential PUTs of 4 KiB on one connection ----

say ""
say "== 5. $N_SEQ sequential PUTs of 4 KiB on one connection, $R_SEQ rounds"
SEQ_SERVERS="coffer coffer-nf nginx lighttpd apache"
for ((r = 0; r < R_SEQ; r++)); do
    for s in $(rotate $r $SEQ_SERVERS); do
        sync
        phase "single"
        out=$("$DAVLOAD" seqput "${PORT[$s]}" "${WAUTH[$s]}" "${PFX[$s]}/seq/r$r-" "$N_SEQ" 4096)
        phase idle
        ops=$(echo "$out" | sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p')
        err=$(echo "$out" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')
        p99=$(echo "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
        [ "${err:-1}" != 0 ] && note "workload 5: $s: $out"
        add seqput "$s" "${ops:-0}" "${p99:-0}"
        printf '  round %d %-9s %8s PUT/s  p99 %8s ms\n' $((r + 1)) "$s" "$ops" "$p99"
    done
done

# ---- scaling curve: PROPFIND Depth 1 time by entry count ----

say ""
say "== PROPFIND Depth 1 allprop, one request at a time (median of $R_SCALE), by entry count"
SCALE_RSS0=$(rss_kb coffer-nf)
for n in $SCALE_NS; do
    for s in $SCALE_SERVERS; do
        case $s in coffer-nf | nginx) ;; *) [ "$n" -gt 10000 ] && continue ;; esac
        case $n in 1000 | 10000) [ "$s" = coffer-nf ] && col=s$n || col=p$n ;; *) col=s$n ;; esac
        for ((k = 0; k < R_SCALE; k++)); do
            phase "scale$n"
            out=$(curl -s -o /dev/null -X PROPFIND -H 'Depth: 1' -H 'Content-Type: application/xml' \
                --data "$PROPFIND_BODY" -H "$(auth_hdr "${RAUTH[$s]}")" \
                -w '%{http_code} %{time_total} %{size_download}' "$(url "$s" "${PFX[$s]}/$col/")")
            phase idle
            set -- $out
            [ "$1" = 207 ] || { note "scaling: $s, $n entries: HTTP $1"; continue; }
            add "scale$n" "$s" "$(awk -v t="$2" 'BEGIN { printf "%.2f", t * 1000 }')" "$3"
        done
        printf '  %6d entries %-9s %10s ms  (%s bytes)\n' "$n" "$s" "$(med "scale$n" "$s")" "$(med "scale$n" "$s" 2)"
    done
done

# ---- 6. 10,000 idle keep-alive connections ----

say ""
say "== 6. $IDLE_N idle keep-alive connections (each has served one GET of 4 KiB)"
for s in $READ_SERVERS; do
    before=$(rss_kb "$s")
    phase "conns"
    "$DAVLOAD" idle "${PORT[$s]}" "${RAUTH[$s]}" "${PFX[$s]}/small.txt" "$IDLE_N" 8 >"$W/idle.out" 2>"$W/idle.err" &
    lp=$!
    i=0
    while ! grep -q '^ready' "$W/idle.out" 2>/dev/null && kill -0 $lp 2>/dev/null && [ $i -lt 1200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    sleep 1
    during=$(rss_kb "$s")
    wait $lp
    phase idle
    ok=$(sed -n 's/^ready ok=\([0-9]*\).*/\1/p' "$W/idle.out")
    still=$(sed -n 's/^still-open=\([0-9]*\).*/\1/p' "$W/idle.out")
    add idle "$s" "$(mib "$during")" "$(mib "$before")" "${ok:-0}" "${still:-0}"
    printf '  %-9s RSS %s MiB before, %s MiB with %s connections open (%s still open after 8 s)\n' \
        "$s" "$(mib "$before")" "$(mib "$during")" "${ok:-0}" "${still:-0}"
    [ "${ok:-0}" != "$IDLE_N" ] && note "workload 6: $s held ${ok:-0} of $IDLE_N connections: $(head -c 300 "$W/idle.err")"
    sleep 1
done

# ---- 7. the mixed workload ----

say ""
say "== 7. mixed: $MIX_USERS users (half write in their own folder, half only read), $R_MIX rounds of ${S_MIX} s"
MIX_OK=""
for s in $MIX_SERVERS; do
    case $s in coffer*) kind=coffer tok=${TOKEN[$s]} ;; *) kind=anchor tok=- ;; esac
    if ! $LIB mixed-setup $kind "${PORT[$s]}" "$(admin_auth "$s")" "$tok" $MIX_USERS $MIX_FILES \
        "$W/mixed-$s.spec" >"$W/mixed-setup-$s.log" 2>&1; then
        note "workload 7: the set-up on $s failed: $(tail -n 3 "$W/mixed-setup-$s.log")"
        continue
    fi
    MIX_OK="$MIX_OK $s"
done
for s in $MIX_OK; do
    case $s in coffer*) ;; *) continue ;; esac
    t_w=$(date +%s.%N)
    $LIB warm "${PORT[$s]}" "$W/mixed-$s.spec" || note "workload 7: warming up the logins on $s failed"
    say "  ($s: the first logins of $MIX_USERS users on each worker thread, argon2, not timed:" \
        "$(awk -v a="$t_w" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
done
for ((r = 0; r < R_MIX; r++)); do
    # shellcheck disable=SC2086
    for s in $(rotate $r $MIX_OK); do
        phase "mixed"
        out=$("$DAVLOAD" mixed "${PORT[$s]}" "$W/mixed-$s.spec" "$S_MIX" 2>"$W/mixed-$s.err")
        phase idle
        line=$(echo "$out" | head -1)
        ops=$(echo "$line" | sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p')
        err=$(echo "$line" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')
        p99=$(echo "$line" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
        add mixed "$s" "${ops:-0}" "${err:-1}" "${p99:-0}"
        printf '  round %d %-9s %8s ops/s  errors %s  p99 %8s ms   (%s)\n' $((r + 1)) "$s" "$ops" "$err" "$p99" \
            "$(echo "$out" | awk '/^op / { printf "%s%s %s", sep, $2, $3; sep = ", " }')"
        [ "${err:-1}" != 0 ] && note "workload 7: $s, round $((r + 1)): $err errors: $(head -c 400 "$W/mixed-$s.err" | tr '\n' ' ')"
        sleep 1
    done
done

kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
SAMPLER=
HWM_CF=$(awk '/^VmHWM:/ { print $2 }' "/proc/${PID[coffer]}/status")
HWM_NF=$(awk '/^VmHWM:/ { print $2 }' "/proc/${PID[coffer-nf]}/status")
for s in $STARTED; do stop_server "$s"; done
STARTED=

# ---- permission checks by number of groups ----

say ""
ACL_MODE=http
if grep -q 'acl-bench' "$BENCHDIR/local.am" 2>/dev/null && [ -f "$BENCHDIR/acl-bench.c" ] &&
   grep -q 'getopt([^)]*"[^"]*g:' "$BENCHDIR/acl-bench.c"; then
    if make -C "$BUILDDIR" bench/acl-bench >"$W/acl-build.log" 2>&1 && [ -x "$BUILDDIR/bench/acl-bench" ]; then
        ACL_MODE=engine
    fi
fi
if [ $ACL_MODE = engine ]; then
    say "== permission checks by number of groups (bench/acl-bench -g N, in process)"
    for n in $ACL_NS; do
        say "-- $n groups"
        "$BUILDDIR/bench/acl-bench" -g "$n" 2>&1 | tee "$W/acl-$n.out" | sed 's/^/  /'
    done
else
    say "== permission checks by number of groups, through HTTP: 4 KiB GET (wrk, $GET_CONNS connections)"
    say "   as a user at the deepest leaf of a 10-ary tree of N groups; the root and every"
    say "   100th group granted read on the repository (N/100 grants at its root)"
    start_coffer coffer-acl "fsync = off"
    TOKEN[coffer-acl]=$($LIB token "${PORT[coffer-acl]}" "$T_PW") || die "no API token"
    RAUTH[coffer-acl]=$(printf 'deep:%s' "deep-Bench-pw-5" | base64 -w0)
    PFX[coffer-acl]=/dav/aclrepo
    have=0
    for n in $ACL_NS; do
        t_a=$(date +%s.%N)
        shape=$($LIB acl-grow "${PORT[coffer-acl]}" "${TOKEN[coffer-acl]}" $have "$n") ||
            die "growing the groups to $n failed"
        secs=$(awk -v a="$t_a" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        if [ $have = 0 ]; then
            code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$T_PW" -T "$W/small.txt" \
                "$(url coffer-acl /dav/aclrepo/small.txt)")
            [ "$code" = 201 ] || die "PUT into aclrepo: HTTP $code"
        fi
        have=$n
        # every group change drops cached logins: log in again on each thread
        for i in 1 2 3 4 5 6 7 8 9 10; do
            curl -s -o /dev/null -H "$(auth_hdr "${RAUTH[coffer-acl]}")" "$(url coffer-acl /dav/aclrepo/small.txt)"
        done
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "$(auth_hdr "${RAUTH[coffer-acl]}")" \
            "$(url coffer-acl /dav/aclrepo/small.txt)")
        [ "$code" = 200 ] || die "the deep user cannot GET at $n groups: HTTP $code"
        for ((r = 0; r < R_ACL; r++)); do
            set -- $(wrk_run coffer-acl $GET_CONNS "$S_ACL" /dav/aclrepo/small.txt)
            add "acl$n" coffer "$1" "$2" "$3"
        done
        rss=$(rss_kb coffer-acl)
        add "aclrss$n" coffer "$rss"
        add "aclsetup$n" coffer "$secs"
        printf '  %6d groups (%s): %10s req/s  p99 %7s ms  RSS %s MiB  (groups made in %s s)\n' "$n" \
            "$shape" "$(med "acl$n" coffer)" "$(med "acl$n" coffer 2)" "$(mib "$rss")" "$secs"
    done
    stop_server coffer-acl
fi

# ---- the report ----

ELAPSED=$(($(date +%s) - T0))
DATE=$(date +%Y-%m-%d)
R=$W/report.md
fmt() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else if (v + 0 >= 100) printf "%.0f", v; else printf "%.3g", v }'; }

set -- $(best get4k 1 nginx lighttpd apache)
B1=$1
c1=$(med get4k coffer)
r1=$(ratio "$c1" "$(med get4k "$B1")")
p1=$(med get4k coffer 2)
pb1=$(med get4k "$B1" 2)
set -- $(best get64 1 nginx lighttpd apache)
B2=$1
r2=$(ratio "$(med get64 coffer)" "$(med get64 "$B2")")
r3a=$(ratio "$(med pf1000 coffer)" "$(med pf1000 nginx)")
r3b=$(ratio "$(med pf10000 coffer)" "$(med pf10000 nginx)")
rss3a=$(phase_max pf1000 coffer)
rss3b=$(phase_max pf10000 coffer)
set -- $(best put256 1 nginx lighttpd apache)
B4=$1
r4a=$(ratio "$(med put256 coffer)" "$(med put256 dd)")
r4b=$(ratio "$(med put256 coffer-nf)" "$(med put256 "$B4")")
set -- $(best seqput 1 nginx lighttpd apache)
B5=$1
r5a=$(ratio "$(med seqput coffer-nf)" "$(med seqput "$B5")")
r5b=$(ratio "$(med seqput coffer)" "$(med seqput "$B5")")
idle_c=$(med idle coffer 1)
idle_ok=$(med idle coffer 3)
single=$(awk '$1 == "single" && $3 > m { m = $3 } END { print m + 0 }' "$W/rss.log")
mix_c=$(med mixed coffer)
mix_a=$(med mixed apache)
r7=$(ratio "$mix_c" "$mix_a")
mix_err=$(awk '{ e += $2 } END { print e + 0 }' "$W/res/mixed.coffer" 2>/dev/null)

v_p99=$(awk -v a="$p1" -v b="$pb1" 'BEGIN { if (a == "-" || b == "-") print "n/a"; else print (a + 0 <= b + 0) ? "PASS" : "MISS" }')
v_rss3=$(awk -v a="$rss3a" -v b="$rss3b" 'BEGIN { g = b - a; lim = a * 0.10; if (lim < 2048) lim = 2048;
    if (a == 0 || b == 0) print "n/a"; else print (g <= lim) ? "PASS" : "MISS" }')
v_idle=$(awk -v r="$idle_c" -v ok="$idle_ok" -v n="$IDLE_N" 'BEGIN { if (r == "-") print "n/a";
    else print (r + 0 < 100 && ok + 0 >= n) ? "PASS" : "MISS" }')
v_single=$(awk -v r="$single" 'BEGIN { if (r == 0) print "n/a"; else print (r <= 32768) ? "PASS" : "MISS" }')
v_mixerr=$(awk -v e="$mix_err" -v c="$mix_c" 'BEGIN { if (c == "-") print "n/a"; else print (e == 0) ? "PASS" : "MISS" }')

{
    echo "# make bench: Coffer against nginx, lighttpd and Apache ($DATE)"
    echo ""
    echo "$([ $QUICK = 1 ] && echo '**BENCH_QUICK=1: a smoke run, few and short rounds; the figures are indicative only.** ')Run by \`make bench\` (bench/compare.sh) in ${ELAPSED} s on $(nproc) cores"
    echo "($(uname -m), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average before the run: $LOAD0),"
    echo "filesystem of the data directories: $(df -PT "$BASE" | awk 'NR == 2 { print $2 }') ($BASE). $versions."
    echo "Every server on 127.0.0.1, access logs off; Coffer with Basic authentication and"
    echo "the role engine, as users reaching the files through nested groups; the anchors"
    echo "without authentication. Medians over the rounds; the servers take turns within"
    echo "each round. Ratios are Coffer / anchor."
    echo ""
    echo "## Figures"
    echo ""
    echo "| workload | unit | Coffer | Coffer fsync off | nginx | lighttpd | Apache | other |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    row() { # label unit key col other (no globals touched)
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(fmt "$(med "$3" coffer "$4")")" \
            "$(fmt "$(med "$3" coffer-nf "$4")")" "$(fmt "$(med "$3" nginx "$4")")" \
            "$(fmt "$(med "$3" lighttpd "$4")")" "$(fmt "$(med "$3" apache "$4")")" "$5"
    }
    row "1. GET 4 KiB, 64 conns" "req/s" get4k 1 ""
    row "1. GET 4 KiB, 64 conns" "p99 ms" get4k 2 ""
    row "2. GET 64 MiB" "MB/s" get64 1 ""
    row "3. PROPFIND D1 allprop, 1,000" "req/s" pf1000 1 "Coffer RSS peak $(mib "$rss3a") MiB"
    row "3. PROPFIND D1 allprop, 10,000" "req/s" pf10000 1 "Coffer RSS peak $(mib "$rss3b") MiB"
    row "3. response, 1,000 entries" "bytes" pfsize1000 1 ""
    row "4. PUT 256 MiB" "MB/s" put256 1 "dd conv=fsync: $(fmt "$(med put256 dd)") MB/s"
    row "5. $N_SEQ PUTs 4 KiB, 1 conn" "PUT/s" seqput 1 ""
    row "6. $IDLE_N idle connections" "RSS MiB" idle 1 "before: Coffer $(med idle coffer 2) MiB; sampled peak $(mib "$(phase_max conns coffer)") MiB"
    row "7. mixed, $MIX_USERS users, ${S_MIX} s" "ops/s" mixed 1 "errors (all rounds): $(for s in $MIX_OK; do printf '%s %s; ' "$s" "$(awk '{ e += $2 } END { print e + 0 }' "$W/res/mixed.$s" 2>/dev/null)"; done)"
    row "7. mixed" "p99 ms" mixed 3 "Coffer RSS peak $(mib "$(phase_max mixed coffer)") / $(mib "$(phase_max mixed coffer-nf)") MiB"
    echo ""
    echo "Row 6: the resident set of all the server's processes with the connections open."
    echo "The anchors' mixed workload has no access control: every user may do everything."
    echo ""
    echo "## Targets"
    echo ""
    echo "| target | figures | ratio | verdict |"
    echo "| --- | --- | ---: | --- |"
    echo "| 4 KiB GET ≥ 1.0× the best anchor ($B1) | $(fmt "$c1") vs $(fmt "$(med get4k "$B1")") req/s | $r1 | $(verdict "$r1" ">=" 1.0) |"
    echo "| 4 KiB GET p99 no worse than $B1 | $p1 vs $pb1 ms | $(ratio "$p1" "$pb1") | $v_p99 |"
    echo "| 64 MiB GET ≥ 0.95× the best anchor ($B2) | $(fmt "$(med get64 coffer)") vs $(fmt "$(med get64 "$B2")") MB/s | $r2 | $(verdict "$r2" ">=" 0.95) |"
    echo "| PROPFIND 1,000 entries ≥ 2× nginx | $(fmt "$(med pf1000 coffer)") vs $(fmt "$(med pf1000 nginx)") req/s | $r3a | $(verdict "$r3a" ">=" 2) |"
    echo "| PROPFIND 10,000 entries ≥ 2× nginx | $(fmt "$(med pf10000 coffer)") vs $(fmt "$(med pf10000 nginx)") req/s | $r3b | $(verdict "$r3b" ">=" 2) |"
    echo "| Coffer's RSS not growing with the entries (1,000 → 10,000; at most +10 % or 2 MiB) | $(mib "$rss3a") → $(mib "$rss3b") MiB | $(ratio "$rss3b" "$rss3a") | $v_rss3 |"
    echo "| PUT 256 MiB durable ≥ 0.9× dd conv=fsync | $(fmt "$(med put256 coffer)") vs $(fmt "$(med put256 dd)") MB/s | $r4a | $(verdict "$r4a" ">=" 0.9) |"
    echo "| PUT 256 MiB fsync off ≥ 1.0× the best anchor ($B4) | $(fmt "$(med put256 coffer-nf)") vs $(fmt "$(med put256 "$B4")") MB/s | $r4b | $(verdict "$r4b" ">=" 1.0) |"
    echo "| $N_SEQ small PUTs, fsync off ≥ 1.0× the best anchor ($B5) | $(fmt "$(med seqput coffer-nf)") vs $(fmt "$(med seqput "$B5")") PUT/s | $r5a | $(verdict "$r5a" ">=" 1.0) |"
    echo "| $N_SEQ small PUTs, durable ≥ 0.5× the best anchor ($B5) | $(fmt "$(med seqput coffer)") vs $(fmt "$(med seqput "$B5")") PUT/s | $r5b | $(verdict "$r5b" ">=" 0.5) |"
    echo "| $IDLE_N idle connections under 100 MiB RSS | $idle_c MiB, $idle_ok held | - | $v_idle |"
    echo "| peak RSS in single-connection workloads (2, 4, 5) ≤ 32 MiB | $(mib "$single") MiB (sampled every 50 ms; VmHWM over the whole run $(mib "$HWM_CF") / $(mib "$HWM_NF") MiB) | - | $v_single |"
    echo "| mixed: 0 errors | $mix_err | - | $v_mixerr |"
    echo "| mixed ≥ 1.0× Apache (no access control) | $(fmt "$mix_c") vs $(fmt "$mix_a") ops/s | $r7 | $(verdict "$r7" ">=" 1.0) |"
    echo ""
    echo "## PROPFIND Depth 1 allprop by entry count (ms per request, one at a time)"
    echo ""
    echo "Coffer's RSS (the fsync-off instance) was $(mib "$SCALE_RSS0") MiB before the first request."
    echo ""
    echo "| entries | Coffer (fsync off instance) | nginx | lighttpd | Apache | Coffer RSS peak MiB |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    for n in $SCALE_NS; do
        echo "| $n | $(med "scale$n" coffer-nf) | $(med "scale$n" nginx) | $(med "scale$n" lighttpd) | $(med "scale$n" apache) | $(mib "$(phase_max "scale$n" coffer-nf)") |"
    done
    echo ""
    if [ $ACL_MODE = engine ]; then
        echo "## Permission checks by number of groups (bench/acl-bench -g N)"
        echo ""
        echo '```'
        for n in $ACL_NS; do echo "-- $n groups"; cat "$W/acl-$n.out"; done
        echo '```'
    else
        echo "## Permission checks by number of groups (through HTTP)"
        echo ""
        echo "4 KiB GET, wrk -t1 -c$GET_CONNS, as a user at the deepest leaf of a 10-ary tree of N groups"
        echo "(the root and every 100th group granted read on the repository). Groups made through the REST API."
        echo ""
        echo "| groups | req/s | p99 ms | ratio to 1,000 | Coffer RSS MiB | groups made in s |"
        echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
        first=$(med acl1000 coffer)
        for n in $ACL_NS; do
            echo "| $n | $(fmt "$(med "acl$n" coffer)") | $(med "acl$n" coffer 2) | $(ratio "$(med "acl$n" coffer)" "$first") | $(mib "$(med "aclrss$n" coffer)") | $(med "aclsetup$n" coffer) |"
        done
    fi
    echo ""
    if [ -s "$W/notes" ]; then
        echo "## Notes"
        echo ""
        sed 's/^/- /' "$W/notes"
        echo ""
    fi
    echo "## Rounds"
    echo ""
    echo '```'
    for f in "$W"/res/*; do
        printf '%-22s %s\n' "$(basename "$f")" "$(tr '\n' ';' <"$f" | sed 's/;$//; s/;/ ; /g')"
    done
    echo '```'
} >"$R"

say ""
cat "$R"
if [ "$RESULTS_DIR" != - ]; then
    mkdir -p "$RESULTS_DIR"
    out=$RESULTS_DIR/$DATE$([ $QUICK = 1 ] && echo -quick).md
    k=2
    while [ -e "$out" ]; do
        out=$RESULTS_DIR/$DATE$([ $QUICK = 1 ] && echo -quick)-$k.md
        k=$((k + 1))
    done
    cp "$R" "$out" && say "" && say "bench: results written to $out"
fi
say "bench: done in ${ELAPSED} s"
