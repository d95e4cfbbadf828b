#!/bin/sh
# cadaver 0.24 (neon 0.32) against a fresh server: put, get, mkcol, move,
# copy, lock, unlock, propset, propget, delete, ls, and a lock left behind
# by a cadaver that quit (CLIENTS.md 5: cadaver never UNLOCKs) broken with
# "steal". The files on disk are checked after every step.
#
# cadaver reads its commands from stdin (not a tty), logs in from the .netrc
# of a temporary HOME (never the user's ~/.netrc or ~/.cadaverrc), and exits
# 0 whatever happens, so every command's own answer is checked: cadaver
# echoes "dav:/path/> command" before each one, which splits the output
# into one block per command.
set -u
. "${COFFER_SRCDIR:-.}/tests/lib/server.sh"

if ! command -v cadaver >/dev/null 2>&1; then
    echo "1..0 # SKIP cadaver is not installed"
    exit 0
fi

trap t_stop EXIT
t_start

DISK=$T_DIR/data/repos/1
WORK=$T_DIR/work
OUT=$T_DIR/cadaver.out
mkdir -p "$T_DIR/home" "$WORK"
printf 'machine 127.0.0.1\nlogin admin\npassword %s\n' "$T_PW" >"$T_DIR/home/.netrc"
chmod 600 "$T_DIR/home/.netrc"

# cad: one cadaver session; the commands on stdin, the output in $OUT
cad() {
    (cd "$WORK" && HOME=$T_DIR/home timeout 60 cadaver "$T_URL/dav/admin/") >"$OUT" 2>&1
}

# block N: the output of the Nth command of the last session
block() {
    awk -v n="$1" '/^dav:\//{b++} b==n' "$OUT"
}

# ok_block N: the Nth command said "succeeded" and did not fail
ok_block() {
    block "$1" >"$T_DIR/block"
    grep -q "succeeded" "$T_DIR/block" && ! grep -q "failed" "$T_DIR/block"
}

# report NAME CONDITION...: a TAP line; on failure the whole session as comments
report() {
    name=$1
    shift
    if "$@" >"$T_DIR/check.log" 2>&1; then
        t_ok "$name"
    else
        t_not_ok "$name" "$T_DIR/check.log"
        sed 's/^/# /' "$OUT"
    fi
}

head -c 300000 /dev/urandom >"$WORK/blob.bin"
printf 'plain text\n' >"$WORK/note.txt"
printf 'ü and spaces\n' >"$WORK/naïve name.txt"

t_plan 16

# session 1: upload, list, download, folders
cat <<'EOF' | cad
put blob.bin
put note.txt
put "naïve name.txt"
ls
get blob.bin blob.back
get "naïve name.txt" "naïve.back"
mkcol folder
mkcol missing/child
quit
EOF
report "put: a 300 kB binary file and a text file are stored byte-exact" \
    eval 'ok_block 1 && ok_block 2 && cmp "$WORK/blob.bin" "$DISK/blob.bin" &&
          cmp "$WORK/note.txt" "$DISK/note.txt"'
report "put: a name with spaces and UTF-8 is stored under that name" \
    eval 'ok_block 3 && cmp "$WORK/naïve name.txt" "$DISK/naïve name.txt"'
report "ls lists the files with their sizes" \
    eval 'ok_block 4 && block 4 | grep -Eq "blob.bin +300000 " && block 4 | grep -Eq "note.txt +11 " &&
          block 4 | grep -q "naïve name.txt"'
report "get: the downloads equal the uploads (cmp)" \
    eval 'ok_block 5 && ok_block 6 && cmp "$WORK/blob.bin" "$WORK/blob.back" &&
          cmp "$WORK/naïve name.txt" "$WORK/naïve.back"'
report "mkcol creates a folder on disk" eval 'ok_block 7 && [ -d "$DISK/folder" ]'
report "mkcol in a missing parent fails with 409 and creates nothing" \
    eval 'block 8 | grep -q "failed" && block 8 | grep -q "409" && [ ! -e "$DISK/missing" ]'

# session 2: move, copy, properties
cat <<'EOF' | cad
move note.txt folder/moved.txt
copy blob.bin folder/copy.bin
propset folder/moved.txt color "deep blue"
propget folder/moved.txt color
propnames folder/moved.txt
ls folder
quit
EOF
report "move: the file has its new name on disk and the old one is gone" \
    eval 'ok_block 1 && [ ! -e "$DISK/note.txt" ] && cmp "$WORK/note.txt" "$DISK/folder/moved.txt"'
report "copy: both files are on disk, byte-identical" \
    eval 'ok_block 2 && cmp "$WORK/blob.bin" "$DISK/blob.bin" && cmp "$WORK/blob.bin" "$DISK/folder/copy.bin"'
report "propset then propget: the value comes back" \
    eval 'ok_block 3 && block 4 | grep -q "Value of color is: deep blue" &&
          block 5 | grep -q "cadaver/custom-properties/ color"'
report "ls of a folder lists its members" \
    eval 'ok_block 6 && block 6 | grep -q "moved.txt" && block 6 | grep -q "copy.bin"'

# session 3: lock, write under the lock, unlock
printf 'changed under the lock\n' >"$WORK/v2.txt"
cat <<'EOF' | cad
lock folder/moved.txt
discover folder/moved.txt
put v2.txt folder/moved.txt
unlock folder/moved.txt
discover folder/moved.txt
quit
EOF
report "lock: discover shows an exclusive write lock with an opaquelocktoken" \
    eval 'ok_block 1 && block 2 | grep -q "<opaquelocktoken:" && block 2 | grep -q "Scope: exclusive"'
report "put by the lock holder, then unlock: written, and no lock is left" \
    eval 'ok_block 3 && ok_block 4 && cmp "$WORK/v2.txt" "$DISK/folder/moved.txt" &&
          ! block 5 | grep -q "opaquelocktoken"'

# sessions 4-6: a lock left behind by a cadaver that quit, and steal
cat <<'EOF' | cad
lock blob.bin
quit
EOF
cp "$OUT" "$T_DIR/session4.out"
cat <<'EOF' | cad
put note.txt blob.bin
quit
EOF
report "a lock left by a cadaver that quit still protects the file (423)" \
    eval 'grep -q "succeeded" "$T_DIR/session4.out" && block 1 | grep -q "423" &&
          cmp "$WORK/blob.bin" "$DISK/blob.bin"'
cat <<'EOF' | cad
steal blob.bin
unlock blob.bin
put note.txt blob.bin
quit
EOF
report "steal and unlock break the stale lock; the next put succeeds" \
    eval 'block 1 | grep -q "opaquelocktoken" && ok_block 2 && ok_block 3 &&
          cmp "$WORK/note.txt" "$DISK/blob.bin"'

# session 7: delete and rmcol
cat <<'EOF' | cad
delete blob.bin
rmcol folder
ls
quit
EOF
report "delete removes the file on disk" eval 'ok_block 1 && [ ! -e "$DISK/blob.bin" ]'
report "rmcol removes the folder and its contents; ls no longer lists them" \
    eval 'ok_block 2 && [ ! -e "$DISK/folder" ] && ok_block 3 && ! block 3 | grep -q "folder" &&
          ! block 3 | grep -q "blob.bin" && block 3 | grep -q "naïve name.txt"'

[ $t_failed -eq 0 ]
