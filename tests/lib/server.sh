# tests/lib/server.sh: start and stop a throwaway cofferd from shell tests.
#
#   . "$COFFER_SRCDIR/tests/lib/server.sh"
#   t_start            # sets T_DIR, T_PORT, T_URL (http://127.0.0.1:port), T_PW
#   ...
#   t_stop
#
# TAP helpers: t_plan N, t_ok "name", t_not_ok "name" (with the log as
# comments), t_check "name" command... (ok if the command succeeds).

T_BIN=${COFFER_BIN:-./cofferd}
T_PW=Coffer-test-pw1
t_n=0
t_failed=0

t_start() {
    T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/coffer-sh-XXXXXX")
    COFFER_ADMIN_PASSWORD=$T_PW "$T_BIN" --data "$T_DIR/data" --listen 127.0.0.1:0 \
        --port-file "$T_DIR/port" "$@" >"$T_DIR/cofferd.log" 2>&1 &
    T_PID=$!
    i=0
    while [ ! -s "$T_DIR/port" ]; do
        i=$((i + 1))
        if [ $i -gt 1500 ] || ! kill -0 "$T_PID" 2>/dev/null; then
            echo "Bail out! cofferd did not start:"
            sed 's/^/# /' "$T_DIR/cofferd.log"
            exit 1
        fi
        sleep 0.02
    done
    T_PORT=$(cat "$T_DIR/port")
    T_URL="http://127.0.0.1:$T_PORT"
}

t_stop() {
    if [ -n "${T_PID:-}" ]; then
        kill "$T_PID" 2>/dev/null
        wait "$T_PID" 2>/dev/null
        T_PID=
    fi
    if [ -n "${T_DIR:-}" ] && [ -z "${T_KEEP:-}" ]; then
        rm -rf "$T_DIR"
    fi
}

t_plan() { echo "1..$1"; }

t_ok() {
    t_n=$((t_n + 1))
    echo "ok $t_n - $1"
}

t_not_ok() {
    t_n=$((t_n + 1))
    t_failed=$((t_failed + 1))
    echo "not ok $t_n - $1"
    if [ -n "${2:-}" ] && [ -f "$2" ]; then
        tail -n 60 "$2" | sed 's/^/# /'
    fi
}

# t_check NAME CMD...: runs CMD with its output in $T_DIR/step.log
t_check() {
    name=$1
    shift
    if "$@" >"$T_DIR/step.log" 2>&1; then
        t_ok "$name"
    else
        t_not_ok "$name" "$T_DIR/step.log"
    fi
}
