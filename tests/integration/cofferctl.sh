#!/bin/sh
# cofferctl against a running cofferd on the same data directory: users
# added (invited, then with --password-stdin), listed and shown as JSON, a
# password set with passwd that works over WebDAV on the next request (and
# the old one that stops working), block/unblock taking effect at once, the
# password policy, role changes, the audit log with the "cli:<user>" actor,
# bad usage (exit 2) and failures (exit 1, nothing written).
#
# Every step checks cofferctl's exit status and what it printed, and the
# server's answer with curl; on failure the outputs are printed as TAP
# comments. Only 127.0.0.1 is used.
set -u
. "${COFFER_SRCDIR:-.}/tests/lib/server.sh"

for tool in curl python3; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "1..0 # SKIP $tool is not installed"
        exit 0
    fi
done

CTL=$(dirname "$T_BIN")/cofferctl
if [ ! -x "$CTL" ]; then
    echo "Bail out! no cofferctl beside cofferd ($CTL)"
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-ctl-XXXXXX")
cleanup() {
    t_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
t_start

ME=$(id -un 2>/dev/null) || ME=uid-$(id -u)
ACTOR="cli:$ME"
BOB_PW='Bob-first-pw-2718'
BOB_PW2='Bob-second-pw-3141'
CAROL_PW='Carol-pw-of-her-own-1'

# ctl WANT ARGS...: runs cofferctl on the server's data directory with stdin
# from $WORK/in (empty unless a step wrote it); stdout in $WORK/out, stderr
# in $WORK/err. Fails unless it exits WANT and the sanitizers kept quiet.
ctl() {
    want=$1
    shift
    [ -f "$WORK/in" ] || : >"$WORK/in"
    echo "\$ cofferctl --data \$T_DIR/data $*"
    "$CTL" --data "$T_DIR/data" "$@" <"$WORK/in" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    rm -f "$WORK/in"
    if [ $rc -ne "$want" ] || grep -q 'Sanitizer' "$WORK/err"; then
        echo "exit $rc, expected $want"
        echo "--- stdout"; cat "$WORK/out"
        echo "--- stderr"; cat "$WORK/err"
        return 1
    fi
    return 0
}

# stdin TEXT: the next ctl's standard input (one line)
stdin() {
    printf '%s\n' "$1" >"$WORK/in"
}

# json EXPR: EXPR (Python, the document as d) must hold for $WORK/out,
# which must be exactly one JSON document.
json() {
    python3 -c '
import json, sys, re, datetime
def rfc3339(s):
    return isinstance(s, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s)
d = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]):
    sys.exit("does not hold: " + sys.argv[2] + "\n" + json.dumps(d, indent=1))
' "$WORK/out" "$1"
}

# has FILE TEXT: FILE contains TEXT (fixed string)
has() {
    if ! grep -qF -- "$2" "$1"; then
        echo "'$2' not in $1:"
        cat "$1"
        return 1
    fi
}

# dav WANT CREDENTIALS METHOD PATH [CURL-ARGS...]: the status must be WANT;
# the body goes to $WORK/body.
dav() {
    want=$1 cred=$2 method=$3 path=$4
    shift 4
    echo "\$ curl -u ${cred%%:*}:... -X $method $path $*"
    got=$(curl -sS --noproxy '*' --max-time 30 -u "$cred" -X "$method" -o "$WORK/body" \
        -w '%{http_code}' "$@" "$T_URL$path")
    rc=$?
    if [ $rc -ne 0 ] || [ "$got" != "$want" ]; then
        echo "curl exit $rc, status $got, expected $want"
        head -c 2000 "$WORK/body" 2>/dev/null
        echo
        return 1
    fi
}

propfind() {
    dav "$1" "$2" PROPFIND "$3" -H 'Depth: 0'
}

# propfind_n N WANT CREDENTIALS PATH: N PROPFINDs in a row, each answered WANT.
# cofferd caches a good credential in each worker thread; several requests
# reach several threads, so a cache that outlives a change shows.
propfind_n() {
    n=$1
    shift
    while [ "$n" -gt 0 ]; do
        propfind "$@" || return 1
        n=$((n - 1))
    done
}
WARM=8

USER_KEYS="{'login','display_name','email','role','status','blocked_until','two_factor',\
'created','last_login','contact'}"

t_plan 51

# ---- adding users ----

step_add_invited() {
    ctl 0 user add bob --email bob@example.com --role external &&
        has "$WORK/out" "invited" &&
        ctl 0 --json user show bob &&
        json "set(d) == $USER_KEYS and d['login'] == 'bob' and d['status'] == 'invited' \
and d['email'] == 'bob@example.com' and d['role'] == 'external' \
and d['display_name'] == 'bob' and d['two_factor'] is False and d['blocked_until'] is None \
and d['last_login'] is None and d['contact'] is None and rfc3339(d['created'])"
}
t_check "user add without a password makes an invited user (show --json)" step_add_invited

step_invited_no_login() {
    propfind 401 "bob:$BOB_PW" /dav/
}
t_check "the invited user cannot log in over WebDAV" step_invited_no_login

step_add_with_password() {
    stdin "$CAROL_PW"
    ctl 0 --json user add carol --email carol@example.com --role internal \
        --name "Carol Example" --password-stdin &&
        json "set(d) == $USER_KEYS and d['login'] == 'carol' and d['status'] == 'active' \
and d['display_name'] == 'Carol Example' and d['role'] == 'internal'" &&
        propfind 207 "carol:$CAROL_PW" /dav/
}
t_check "user add --password-stdin: active, and the password works over WebDAV" \
    step_add_with_password

step_add_duplicate() {
    ctl 1 user add bob --email other@example.com --role guest &&
        has "$WORK/err" "user 'bob'" && has "$WORK/err" "exists already" &&
        ctl 0 --json user show bob && json "d['email'] == 'bob@example.com'"
}
t_check "adding an existing login fails (exit 1) and changes nothing" step_add_duplicate

step_add_refused_leaves_nothing() {
    ctl 1 user add dave --email not-an-address --role external &&
        has "$WORK/err" "email" &&
        ctl 1 user show dave && has "$WORK/err" "user 'dave': there is no such user" &&
        [ ! -e "$T_DIR/data/repos/dave" ] &&
        stdin "short" &&
        ctl 1 user add erin --email erin@example.com --role external --password-stdin &&
        has "$WORK/err" "too short" && ctl 1 user show erin
}
t_check "a refused user add (bad email, short password) leaves no user behind" \
    step_add_refused_leaves_nothing

# ---- listing and showing ----

step_list_json() {
    ctl 0 --json user list &&
        json "[u['login'] for u in d['items']] == ['admin', 'bob', 'carol'] \
and all(set(u) == $USER_KEYS for u in d['items']) \
and [u['status'] for u in d['items']] == ['active', 'invited', 'active']"
}
t_check "user list --json: every user with every field, in login order" step_list_json

step_list_query() {
    ctl 0 user list --query EXAMPLE.COM &&
        has "$WORK/out" "LOGIN" && has "$WORK/out" "carol@example.com" &&
        has "$WORK/out" "bob@example.com" && ! grep -q '^admin' "$WORK/out" &&
        ctl 0 --json user list --query carol && json "[u['login'] for u in d['items']] == ['carol']"
}
t_check "user list --query filters (table and JSON)" step_list_query

step_show_human() {
    ctl 0 user show carol &&
        has "$WORK/out" "display_name:   Carol Example" &&
        has "$WORK/out" "status:         active" &&
        has "$WORK/out" "two_factor:     off" &&
        grep -Eq "^last_login: +20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T" "$WORK/out"
}
t_check "user show prints every field" step_show_human

# ---- passwords ----

step_passwd_works_at_once() {
    stdin "$BOB_PW"
    ctl 0 user passwd bob && has "$WORK/out" "password of 'bob' changed" &&
        propfind 207 "bob:$BOB_PW" /dav/ &&
        propfind 401 "bob:wrong-$BOB_PW" /dav/
}
t_check "passwd on an invited user: the password works over WebDAV at once" \
    step_passwd_works_at_once

step_personal_repo_served() {
    propfind 207 "bob:$BOB_PW" /dav/bob/ &&
        dav 201 "bob:$BOB_PW" PUT /dav/bob/hello.txt --data-binary 'hello from bob' &&
        dav 200 "bob:$BOB_PW" GET /dav/bob/hello.txt && has "$WORK/body" "hello from bob"
}
t_check "the running server serves the personal repository cofferctl made (/dav/bob/)" \
    step_personal_repo_served

step_passwd_policy() {
    stdin "short"
    ctl 1 user passwd bob && has "$WORK/err" "user 'bob': the password is too short" &&
        stdin "Password123" &&
        ctl 1 user passwd bob && has "$WORK/err" "common" &&
        stdin "bob@example.com" &&
        ctl 1 user passwd bob && has "$WORK/err" "user 'bob': the password must not be the email" &&
        propfind 207 "bob:$BOB_PW" /dav/
}
t_check "passwd refuses a password against the policy (exit 1, the reason) and keeps the old" \
    step_passwd_policy

step_passwd_config() {
    printf 'password-min-length = 24\n' >"$WORK/strict.conf"
    stdin "$CAROL_PW-x" &&
        ctl 1 -c "$WORK/strict.conf" user passwd carol &&
        has "$WORK/err" "user 'carol': the password is too short" &&
        propfind 207 "carol:$CAROL_PW" /dav/ &&
        printf 'no-such-setting = 1\n' >"$WORK/bad.conf" &&
        ctl 1 -c "$WORK/bad.conf" user show carol && has "$WORK/err" "no-such-setting" &&
        stdin "$CAROL_PW-x" &&
        ctl 0 user passwd carol && propfind 207 "carol:$CAROL_PW-x" /dav/
}
t_check "-c FILE: the server's password policy applies; a bad config is an error" \
    step_passwd_config

step_passwd_no_input() {
    : >"$WORK/in"
    ctl 1 user passwd bob && has "$WORK/err" "no password" && propfind 207 "bob:$BOB_PW" /dav/
}
t_check "passwd with nothing on stdin fails and keeps the password" step_passwd_no_input

step_passwd_change_drops_old() {
    propfind_n $WARM 207 "bob:$BOB_PW" /dav/ &&  # the old password is now in the server's caches
        stdin "$BOB_PW2" &&
        ctl 0 --json user passwd bob && json "d['login'] == 'bob' and d['status'] == 'active'" &&
        propfind_n 4 401 "bob:$BOB_PW" /dav/ &&
        propfind 207 "bob:$BOB_PW2" /dav/
}
t_check "passwd again: the old password is refused on the very next request, the new works" \
    step_passwd_change_drops_old

# ---- blocking ----

step_block_at_once() {
    propfind_n $WARM 207 "bob:$BOB_PW2" /dav/ && # cached as a good credential
        ctl 0 user block bob && has "$WORK/out" "blocked" &&
        propfind 403 "bob:$BOB_PW2" /dav/ && has "$WORK/body" "blocked" &&
        propfind_n 3 403 "bob:$BOB_PW2" /dav/
}
t_check "block: the very next request is 403 and says 'blocked'" step_block_at_once

step_block_show() {
    ctl 0 --json user show bob &&
        json "d['status'] == 'blocked' and d['blocked_until'] is None"
}
t_check "a permanent block shows as status blocked, blocked_until null" step_block_show

step_unblock() {
    ctl 0 user unblock bob && has "$WORK/out" "unblocked" &&
        propfind_n 4 207 "bob:$BOB_PW2" /dav/ &&
        ctl 0 --json user show bob && json "d['status'] == 'active' and d['blocked_until'] is None"
}
t_check "unblock lets him in again at once" step_unblock

step_block_for() {
    ok=0
    ctl 0 --json user block bob --for 2h &&
        json "d['status'] == 'blocked' and rfc3339(d['blocked_until']) and \
abs(datetime.datetime.strptime(d['blocked_until'], '%Y-%m-%dT%H:%M:%SZ')\
.replace(tzinfo=datetime.timezone.utc).timestamp() - datetime.datetime.now(\
datetime.timezone.utc).timestamp() - 7200) < 120" &&
        propfind 403 "bob:$BOB_PW2" /dav/ && has "$WORK/body" "blocked" || ok=1
    # unblocked whatever happened above, so that one failure does not cascade
    ctl 0 user unblock bob && propfind_n 4 207 "bob:$BOB_PW2" /dav/ || ok=1
    return $ok
}
t_check "block --for 2h: blocked_until two hours ahead (RFC 3339), refused, then unblocked" \
    step_block_for

step_block_until() {
    ctl 0 --json user block carol --until 2099-01-02T03:04:05+01:00 &&
        json "d['blocked_until'] == '2099-01-02T02:04:05Z'" &&
        ctl 0 user unblock carol &&
        ctl 1 user block carol --until 2001-01-01T00:00:00Z && has "$WORK/err" "future" &&
        ctl 0 --json user show carol && json "d['status'] == 'active'"
}
t_check "block --until: offsets honoured; a past time is refused (exit 1)" step_block_until

step_block_last_admin() {
    ctl 1 user block admin && has "$WORK/err" "user 'admin'" &&
        has "$WORK/err" "last active administrator" &&
        propfind 207 "admin:$T_PW" /dav/
}
t_check "the last administrator cannot be blocked" step_block_last_admin

step_unblock_not_blocked() {
    ctl 1 user unblock carol && has "$WORK/err" "user 'carol': the user is not blocked"
}
t_check "unblock of a user who is not blocked fails with the reason" step_unblock_not_blocked

# ---- roles ----

step_role() {
    ctl 0 user role bob internal && has "$WORK/out" "external -> internal" &&
        ctl 0 --json user show bob && json "d['role'] == 'internal'" &&
        ctl 0 user show bob && has "$WORK/out" "role:           internal"
}
t_check "user role changes the role and show reports it" step_role

step_role_unknown() {
    ctl 1 user role bob emperor && has "$WORK/err" "role 'emperor': there is no such user role" &&
        ctl 0 --json user show bob && json "d['role'] == 'internal'"
}
t_check "an unknown role is refused (exit 1) and nothing changes" step_role_unknown

# ---- the audit log ----

step_audit_table() {
    ctl 0 audit &&
        has "$WORK/out" "ACTION" && grep "user.create" "$WORK/out" | grep -q "$ACTOR" &&
        grep "user.block" "$WORK/out" | grep "bob" | grep -qF "$ACTOR"
}
t_check "audit lists the changes with actor $ACTOR" step_audit_table

step_audit_json() {
    ctl 0 --json audit --target bob &&
        json "len(d['items']) >= 8 and all(e['target'] == 'bob' for e in d['items']) \
and all(e['actor'] == '$ACTOR' and e['peer'] == 'cli' for e in d['items'] \
        if not e['action'].startswith('login.')) \
and any(e['action'] == 'login.failed' and e['actor'] is None and e['peer'] == '127.0.0.1' \
        for e in d['items']) \
and all(rfc3339(e['at']) for e in d['items']) \
and [e['id'] for e in d['items']] == sorted([e['id'] for e in d['items']], reverse=True) \
and {'user.create', 'user.password-reset', 'user.block', 'user.unblock', 'user.role'} \
<= {e['action'] for e in d['items']} and d['items'][0]['action'] == 'user.role'"
}
t_check "audit --json --target: newest first, at in RFC 3339 UTC, every action recorded" \
    step_audit_json

step_audit_filters() {
    ctl 0 --json audit --action user.block --limit 1 &&
        json "len(d['items']) == 1 and d['items'][0]['action'] == 'user.block' \
and d['items'][0]['target'] == 'carol'" &&
        ctl 0 --json audit --action user. --actor "$ACTOR" --since 1h &&
        json "len(d['items']) >= 10 and all(e['action'].startswith('user.') for e in d['items'])" &&
        ctl 0 --json audit --until 2001-01-01 && json "d['items'] == []"
}
t_check "audit --action (exact and prefix), --actor, --since, --until, --limit" \
    step_audit_filters

# ---- usage and failures ----

step_bad_usage() {
    ctl 2 frobnicate && has "$WORK/err" "usage:" &&
        ctl 2 --bogus user list && has "$WORK/err" "unknown option" &&
        ctl 2 user && ctl 2 user frob &&
        ctl 2 user add zed --role external && has "$WORK/err" "--email" &&
        ctl 2 user list --bogus && has "$WORK/err" "'--bogus'" &&
        ctl 2 user show && ctl 2 user role bob &&
        ctl 2 user block bob --for soon && ctl 2 user block bob --for 1h --until 2099-01-01 &&
        ctl 2 audit --limit many && ctl 2 audit --since yesterday &&
        ctl 0 --json user show bob && json "d['status'] == 'active'"
}
t_check "bad usage exits 2 with the usage on stderr, and changes nothing" step_bad_usage

step_help() {
    ctl 0 help && has "$WORK/out" "usage: cofferctl" && has "$WORK/out" "user passwd" &&
        ctl 0 --help && has "$WORK/out" "audit"
}
t_check "help and --help print the usage on stdout (exit 0)" step_help

step_unknown_user() {
    ctl 1 user show nobody && has "$WORK/err" "cofferctl: user 'nobody': there is no such user" &&
        stdin "$BOB_PW" &&
        ctl 1 user passwd nobody && has "$WORK/err" "user 'nobody'" &&
        ctl 1 user block nobody && ctl 1 user unblock nobody && ctl 1 user role nobody guest &&
        ctl 1 --json user show nobody && [ ! -s "$WORK/out" ]
}
t_check "an unknown user fails with exit 1 and names him" step_unknown_user

step_no_database() {
    echo "\$ cofferctl --data \$WORK/nothing user list"
    "$CTL" --data "$WORK/nothing" user list >"$WORK/out" 2>"$WORK/err"
    rc=$?
    cat "$WORK/err"
    [ $rc -eq 1 ] && has "$WORK/err" "no database" && [ ! -e "$WORK/nothing" ]
}
t_check "a data directory without a database is an error, and none is created" step_no_database

# ---- repositories, groups, grants, access, roles ----

# jval EXPR: prints EXPR (Python, the document as d) of $WORK/out
jval() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
        "$WORK/out" "$1"
}

CAROL=carol:$CAROL_PW-x
BOB=bob:$BOB_PW2
ACME_GRANT=

step_repo_add() {
    ctl 0 --json repo add acme --owner carol --quota 10g &&
        json "d['name'] == 'acme' and d['owner'] == 'carol' and d['quota'] == 10 * 2**30 \
and d['used'] == 0 and len(d['grants']) == 1 and d['grants'][0]['group'] == 'carol' \
and d['grants'][0]['personal'] is True and d['grants'][0]['role'] == 'full' \
and d['grants'][0]['path'] == ''" &&
        ctl 0 repo show acme && has "$WORK/out" "quota:   10 GiB" &&
        has "$WORK/out" "user 'carol'  full" &&
        propfind 207 "$CAROL" /dav/acme/ &&
        dav 201 "$CAROL" MKCOL /dav/acme/reports &&
        dav 201 "$CAROL" MKCOL /dav/acme/reports/2026 &&
        dav 201 "$CAROL" PUT /dav/acme/reports/2026/q1.txt --data-binary 'first quarter' &&
        ctl 1 repo add acme --owner bob && has "$WORK/err" "repository 'acme'" &&
        has "$WORK/err" "exists" &&
        ctl 1 repo add other --owner nobody && has "$WORK/err" "user 'nobody'" &&
        ctl 1 repo show other
}
t_check "repo add: the owner has full control, and the server serves it at once" step_repo_add

step_repo_list_set() {
    ctl 0 --json repo list &&
        json "[r['name'] for r in d['items']] == ['acme', 'admin', 'bob', 'carol'] \
and [r['owner'] for r in d['items']] == ['carol', 'admin', 'bob', 'carol'] \
and all(set(r) == {'name', 'owner', 'quota', 'used'} for r in d['items'])" &&
        ctl 0 repo list && grep -q '^acme  *carol  *10 GiB' "$WORK/out" &&
        ctl 0 --json repo set acme --quota 1g && json "d['quota'] == 2**30" &&
        ctl 0 --json repo set acme --quota none && json "d['quota'] is None" &&
        ctl 0 --json repo show acme && json "d['quota'] is None and d['used'] == 13" &&
        ctl 2 repo set acme --quota 5x && ctl 2 repo set acme && ctl 2 repo add x &&
        ctl 1 repo set nothing --quota 1g && has "$WORK/err" "repository 'nothing'"
}
t_check "repo list, show (bytes used), set --quota SIZE|none" step_repo_list_set

step_grant_takes_effect() {
    propfind_n 3 404 "$BOB" /dav/acme/reports/ &&
        ctl 0 grant add acme --user bob --role read --path /reports/ &&
        grep -Eq "^grant #[0-9]+: user 'bob' has the role read on /reports in 'acme'$" \
            "$WORK/out" &&
        propfind 207 "$BOB" /dav/acme/reports/ &&
        dav 200 "$BOB" GET /dav/acme/reports/2026/q1.txt && has "$WORK/body" "first quarter" &&
        dav 403 "$BOB" PUT /dav/acme/reports/2026/q2.txt --data-binary 'no' &&
        propfind 404 "$BOB" /dav/carol/
}
t_check "grant add --user: the grantee's PROPFIND is 404 before, 207 on the very next request" \
    step_grant_takes_effect

step_grant_refused() {
    ctl 2 grant add acme --user bob --role read --path reports/../.. &&
        has "$WORK/err" "'..'" &&
        ctl 2 grant add acme --user bob --role read --path reports//2026 &&
        ctl 2 grant add acme --user bob --role read --path ./reports &&
        ctl 1 grant add acme --user bob --role read --path reports/2027 &&
        has "$WORK/err" "repository 'acme': there is no /reports/2027" &&
        ctl 1 grant add acme --user bob --role emperor &&
        has "$WORK/err" "no such element role" &&
        ctl 1 grant add acme --group Nobody --role read &&
        has "$WORK/err" "group 'Nobody': there is no such group" &&
        ctl 1 grant add acme --user bob --role read --path reports &&
        has "$WORK/err" "already" &&
        ctl 1 grant add nothing --user bob --role read && has "$WORK/err" "repository 'nothing'" &&
        ctl 2 grant add acme --role read && ctl 2 grant add acme --user bob &&
        ctl 2 grant add acme --user bob --group Nobody --role read &&
        ctl 0 --json grant list acme && json "len(d['items']) == 2"
}
t_check "grant add refuses '..', '.', '//' (exit 2), a missing path, role or group (exit 1)" \
    step_grant_refused

step_grant_list() {
    ctl 0 --json grant list acme &&
        json "[(g['path'], g['group'], g['personal'], g['role']) for g in d['items']] == \
[('', 'carol', True, 'full'), ('reports', 'bob', True, 'read')] \
and all(g['repo'] == 'acme' and g['creator'] == '$ACTOR' and rfc3339(g['created']) \
        for g in d['items'])" &&
        ctl 0 --json grant list acme --path reports && json "len(d['items']) == 1" &&
        ctl 0 --json grant list acme --path reports/2026 && json "d['items'] == []" &&
        ctl 0 grant list acme && has "$WORK/out" "bob (user)" && has "$WORK/out" "/reports"
}
t_check "grant list: every grant, or those at and beneath --path" step_grant_list

step_grant_remove() {
    ctl 0 --json grant list acme --path reports &&
        id=$(jval "d['items'][0]['id']") &&
        ctl 0 grant remove acme "$id" && has "$WORK/out" "grant #$id removed" &&
        propfind 404 "$BOB" /dav/acme/reports/ &&
        ctl 1 grant remove acme "$id" && has "$WORK/err" "no such grant" &&
        ctl 2 grant remove acme many && ctl 2 grant remove acme
}
t_check "grant remove: the access is gone on the next request; twice is an error" \
    step_grant_remove

step_group_add() {
    ctl 0 --json group add Accounting --colour '#00aa00' &&
        json "d['name'] == 'Accounting' and d['colour'] == '#00aa00' and d['private'] is False \
and d['position'] is False and d['personal'] is False and d['members'] == [] \
and d['other_permissions'] == [] and d['member_of'] == [] and d['grants'] == []" &&
        ctl 0 group add 'Head of accounting' --position && has "$WORK/out" "flags:    position" &&
        ctl 1 group add accounting && has "$WORK/err" "exists" &&
        ctl 1 group add 'Bad' --colour red && has "$WORK/err" "#rrggbb" &&
        ctl 1 group show Bad && has "$WORK/err" "group 'Bad': there is no such group" &&
        ctl 0 --json group list --query ACC &&
        json "[g['name'] for g in d['items']] == ['Accounting', 'Head of accounting'] \
and [g['member_count'] for g in d['items']] == [0, 0]" &&
        ctl 0 --json group list &&
        json "{'admin', 'bob', 'carol', 'Accounting'} <= {g['name'] for g in d['items']} \
and [g['user'] for g in d['items'] if g['name'] == 'bob'] == ['bob'] \
and all(g['personal'] == (g['name'] in ('admin', 'bob', 'carol')) for g in d['items'])" &&
        ctl 0 group list && grep -q '^bob  *personal  *1 ' "$WORK/out"
}
t_check "group add, list (--query), a taken name and a bad colour refused" step_group_add

step_nesting_grant() {
    ctl 0 group member add Accounting --group 'Head of accounting' --role reader &&
        has "$WORK/out" "group 'Head of accounting' is a member of 'Accounting'" &&
        ctl 0 group member add 'Head of accounting' --user bob --role reader &&
        ctl 0 --json grant add acme --group Accounting --role write --path reports &&
        json "d['group'] == 'Accounting' and d['role'] == 'write' and d['path'] == 'reports' \
and isinstance(d['id'], int)" &&
        dav 201 "$BOB" PUT /dav/acme/reports/2026/q2.txt --data-binary 'second quarter' &&
        dav 200 "$BOB" GET /dav/acme/reports/2026/q2.txt && has "$WORK/body" "second quarter"
}
t_check "a grant to a group reaches a member of a group nested in it, at once" \
    step_nesting_grant

step_access() {
    ctl 0 access acme --user bob --path /reports/2026 &&
        has "$WORK/out" "bob may read, write, delete, versions on /reports/2026 in 'acme' because:" &&
        grep -Eq "grant #[0-9]+ on /reports gives group 'Accounting' the role write" "$WORK/out" &&
        has "$WORK/out" "bob is a member of 'Accounting' through 'Head of accounting' (member, \
reader) -> 'Accounting' (reader)" &&
        ctl 0 --json access acme --user bob --path reports/2026 &&
        json "d['user'] == 'bob' and d['repo'] == 'acme' and d['path'] == 'reports/2026' \
and d['faculties'] == ['read', 'write', 'delete', 'versions'] and len(d['grants']) == 1 \
and [[h['group'] for h in c] for c in d['grants'][0]['via']] == \
[['Head of accounting', 'Accounting']] and d['grants'][0]['path'] == 'reports'" &&
        ctl 0 access acme --user bob && has "$WORK/out" "bob may do nothing on / in 'acme'" &&
        ctl 0 --json access acme --user carol --path reports &&
        json "d['faculties'] == ['read', 'write', 'delete', 'manage', 'versions'] \
and [g['group'] for g in d['grants']] == ['carol']" &&
        ctl 1 access acme --user nobody && ctl 2 access acme && ctl 2 access acme --user bob --path ..
}
t_check "access names the grants and the chain of groups that yields each faculty" step_access

step_cycle() {
    ctl 1 group member add 'Head of accounting' --group Accounting --role reader &&
        has "$WORK/err" "group 'Head of accounting'" && has "$WORK/err" "cycle" &&
        ctl 1 group member add Accounting --group Accounting --role reader &&
        has "$WORK/err" "cycle" &&
        ctl 0 --json group show 'Head of accounting' &&
        json "[(m['kind'], m['name'], m['role']) for m in d['members']] == \
[('user', 'bob', 'reader')] and d['member_of'] == [{'group': 'Accounting', 'role': 'reader'}]"
}
t_check "a nesting cycle is refused (exit 1, the reason) and nothing changes" step_cycle

step_group_show() {
    ctl 0 --json group show accounting &&
        json "d['name'] == 'Accounting' and d['members'] == [{'kind': 'group', \
'name': 'Head of accounting', 'role': 'reader'}] and len(d['grants']) == 1 \
and d['grants'][0]['repo'] == 'acme' and d['grants'][0]['path'] == 'reports' \
and d['grants'][0]['role'] == 'write'" &&
        ctl 0 group show 'Head of accounting' &&
        has "$WORK/out" "flags:    position" && grep -q '^  user  *bob  *reader$' "$WORK/out" &&
        grep -A1 '^member of:' "$WORK/out" | grep -q 'Accounting  *reader' &&
        ctl 1 group show Nobody
}
t_check "group show: flags, members, the groups it is nested in, its grants" step_group_show

step_other_permissions() {
    ctl 0 --json group member add Accounting --user carol --role publisher --other &&
        json "d['other_permissions'] == [{'kind': 'user', 'name': 'carol', 'role': 'publisher'}] \
and len(d['members']) == 1" &&
        ctl 1 group member add Accounting --group 'Head of accounting' --role reader --other &&
        has "$WORK/err" "members section" &&
        ctl 1 group member add Accounting --user carol --role emperor &&
        has "$WORK/err" "no such group role" &&
        ctl 1 group member remove Accounting --user carol && has "$WORK/err" "no such entry" &&
        ctl 0 --json group member remove Accounting --user carol --other &&
        json "d['other_permissions'] == []" &&
        ctl 2 group member add Accounting --user carol &&
        ctl 2 group member add Accounting --role reader &&
        ctl 2 group member remove Accounting --user carol --group Accounting
}
t_check "group member add/remove --other: the other-permissions section" step_other_permissions

step_member_remove() {
    ctl 0 group member remove 'Head of accounting' --user bob &&
        has "$WORK/out" "user 'bob' removed from 'Head of accounting'" &&
        dav 404 "$BOB" PUT /dav/acme/reports/2026/q3.txt --data-binary 'no' &&
        ctl 0 --json access acme --user bob --path reports && json "d['faculties'] == []"
}
t_check "group member remove: the nested access ends on the next request" step_member_remove

step_private_group() {
    ctl 2 group add Board --private && has "$WORK/err" "--admin" &&
        ctl 0 --json group add Board --private --admin carol &&
        json "d['private'] is True and d['members'] == [{'kind': 'user', 'name': 'carol', \
'role': 'administrator'}]" &&
        ctl 1 group member remove Board --user carol && has "$WORK/err" "administrator" &&
        ctl 1 group add Board2 --private --admin nobody && has "$WORK/err" "user 'nobody'" &&
        ctl 1 group show Board2 &&
        ctl 0 --json audit --target Board && json "[e['action'] for e in d['items']] == \
['group.update', 'group.member-put', 'group.create'] and d['items'][0]['detail'] == 'made private'"
}
t_check "group add --private --admin: a private group with its administrator, in one step" \
    step_private_group

step_group_set() {
    ctl 0 --json group set Accounting --name Finance --colour '#123456' --position &&
        json "d['name'] == 'Finance' and d['colour'] == '#123456' and d['position'] is True \
and len(d['grants']) == 1" &&
        ctl 1 group show Accounting &&
        ctl 1 group set Finance --private && has "$WORK/err" "administrator" &&
        ctl 0 --json group set Finance --no-position && json "d['position'] is False \
and d['private'] is False" &&
        ctl 0 --json group set Board --public && json "d['private'] is False" &&
        ctl 2 group set Finance && ctl 2 group set Finance --private --public &&
        ctl 2 group set Finance --position --no-position &&
        ctl 1 group set bob --name robert && has "$WORK/err" "personal group"
}
t_check "group set: rename, colour, flags; private needs an administrator member" step_group_set

step_role_element() {
    ctl 0 role set viewer --element --faculties read --description 'reads only' &&
        has "$WORK/out" "element role 'viewer': read" &&
        ctl 0 grant add acme --user bob --role viewer --path reports/2026 &&
        propfind 207 "$BOB" /dav/acme/reports/2026/ &&
        dav 403 "$BOB" PUT /dav/acme/reports/2026/q3.txt --data-binary 'third quarter' &&
        ctl 0 --json role set viewer --element --faculties read,write &&
        json "d == {'kind': 'element', 'name': 'viewer', 'faculties': ['read', 'write'], \
'preset': False, 'description': 'reads only'}" &&
        dav 201 "$BOB" PUT /dav/acme/reports/2026/q3.txt --data-binary 'third quarter' &&
        dav 403 "$BOB" DELETE /dav/acme/reports/2026/q3.txt
}
t_check "role set: a custom element role's new faculties take effect in the server at once" \
    step_role_element

step_role_list_delete() {
    ctl 0 --json role list --element &&
        json "[r['name'] for r in d['items']] == ['full', 'read', 'write', 'viewer'] \
and all(r['kind'] == 'element' for r in d['items']) \
and [r['preset'] for r in d['items']] == [True, True, True, False]" &&
        ctl 0 role list && has "$WORK/out" "administrator" && has "$WORK/out" "viewer" &&
        grep -q '^element  *viewer  *read,write  *no  *reads only$' "$WORK/out" &&
        ctl 1 role delete viewer --element && has "$WORK/err" "in use" &&
        ctl 1 role set full --element --faculties read && has "$WORK/err" "preset" &&
        ctl 1 role delete reader --group && has "$WORK/err" "preset" &&
        ctl 0 role set lookers --group --faculties read,publish &&
        ctl 0 --json role list --group && json "[r['faculties'] for r in d['items'] \
if r['name'] == 'lookers'] == [['read', 'publish']]" &&
        ctl 0 role delete lookers --group && ctl 0 --json role list --group &&
        json "'lookers' not in [r['name'] for r in d['items']]" &&
        ctl 1 role delete lookers --group && has "$WORK/err" "no such role" &&
        ctl 2 role set x --faculties read && ctl 2 role set x --group --element --faculties read &&
        ctl 2 role set x --element --faculties reed && has "$WORK/err" "'reed'" &&
        ctl 2 role set x --group --faculties write && ctl 2 role delete x
}
t_check "role list, set and delete: presets kept, a role in use kept, bad faculties refused" \
    step_role_list_delete

step_repo_delete() {
    ctl 2 repo delete acme && has "$WORK/err" "--yes" &&
        ctl 0 repo show acme && propfind 207 "$CAROL" /dav/acme/ &&
        ctl 0 --json repo delete acme --yes && json "d == {'name': 'acme', 'deleted': True}" &&
        propfind 404 "$CAROL" /dav/acme/ &&
        ctl 1 repo show acme && has "$WORK/err" "repository 'acme': there is no such repository" &&
        ctl 0 --json group show Finance && json "d['grants'] == []" &&
        ctl 1 repo delete acme --yes
}
t_check "repo delete: refused without --yes; with it the repository is gone at once" \
    step_repo_delete

step_group_delete() {
    ctl 0 group delete Finance && has "$WORK/out" "group 'Finance' deleted" &&
        ctl 1 group show Finance &&
        ctl 0 --json group show 'Head of accounting' && json "d['member_of'] == []" &&
        ctl 1 group delete bob && has "$WORK/err" "personal group" &&
        ctl 1 group delete Finance
}
t_check "group delete: gone with its entries; a personal group cannot go" step_group_delete

step_group_audit() {
    ctl 0 --json audit --action group. --actor "$ACTOR" &&
        json "{'group.create', 'group.update', 'group.delete', 'group.member-put', \
'group.member-remove'} <= {e['action'] for e in d['items']}" &&
        ctl 0 --json audit --target acme &&
        json "{'repository.create', 'repository.update', 'repository.delete', 'grant.add', \
'grant.remove'} <= {e['action'] for e in d['items']}"
}
t_check "the audit log records every change to groups, repositories and grants" step_group_audit

step_group_bad_usage() {
    ctl 2 group && has "$WORK/err" "add, list, show, set, delete, member" &&
        ctl 2 group frob && ctl 2 group member && ctl 2 group member frob &&
        ctl 2 group add && ctl 2 group show && ctl 2 group list extra &&
        ctl 2 repo && ctl 2 repo list extra && ctl 2 grant && ctl 2 grant list &&
        ctl 2 role && ctl 2 access && ctl 2 access bob --user bob extra &&
        ctl 0 help && has "$WORK/out" "group member add" && has "$WORK/out" "access REPO"
}
t_check "bad usage of the new commands exits 2" step_group_bad_usage

[ $t_failed -eq 0 ]
