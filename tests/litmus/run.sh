#!/bin/sh
# Debian's litmus 0.13 against a throwaway repository: every suite must end
# with 0 failed and no warning (STYLE.md 11). One TAP line per suite.
set -u
. "${COFFER_SRCDIR:-.}/tests/lib/server.sh"

if ! command -v litmus >/dev/null 2>&1; then
    echo "Bail out! litmus is not installed (apt-get install litmus)"
    exit 1
fi
trap t_stop EXIT
t_start
suites="basic copymove props locks http"
t_plan 5
for suite in $suites; do
    log="$T_DIR/litmus-$suite.log"
    (cd "$T_DIR" && TESTS=$suite litmus "$T_URL/dav/admin/" admin "$T_PW") >"$log" 2>&1
    rc=$?
    summary=$(grep "summary for" "$log" | sed 's/.*summary for //')
    if [ $rc -eq 0 ] && grep -q " 0 failed" "$log" && ! grep -qi "warning" "$log"; then
        t_ok "litmus $suite: $summary"
    else
        t_not_ok "litmus $suite: ${summary:-did not finish}" "$log"
    fi
done
[ $t_failed -eq 0 ]
