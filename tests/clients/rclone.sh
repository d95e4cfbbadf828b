#!/bin/sh
# rclone (Debian's 1.60) against a fresh server: copy a tree up, check it
# byte for byte, list it, keep modification times, move, delete and purge,
# and after every step compare the server's files on disk with cmp.
#
# Vendor: "owncloud". With it rclone sends X-OC-Mtime on every PUT and
# trusts the server's mtimes (CLIENTS.md, rclone #5171), so modification
# times survive and a second copy transfers nothing; with "other" rclone
# cannot set times at all (it reports the upload time and would re-check by
# size only). Both are run: the full scenario with owncloud, and a copy and
# check with "other", the generic path most users configure.
#
# rclone never reads the user's configuration: the remotes come from
# RCLONE_CONFIG_* variables and --config names an empty file of our own.
set -u
. "${COFFER_SRCDIR:-.}/tests/lib/server.sh"

if ! command -v rclone >/dev/null 2>&1; then
    echo "1..0 # SKIP rclone is not installed"
    exit 0
fi

t_cleanup() {
    t_stop
}
trap t_cleanup EXIT
t_start

SRC=$T_DIR/src
DISK=$T_DIR/data/repos/1
LOG=$T_DIR/step.log
mkdir -p "$T_DIR/home"
: >"$T_DIR/rclone.conf"

HOME=$T_DIR/home
XDG_CONFIG_HOME=$T_DIR/home/.config
XDG_CACHE_HOME=$T_DIR/home/.cache
export HOME XDG_CONFIG_HOME XDG_CACHE_HOME
RCLONE_CONFIG_COFFER_TYPE=webdav
RCLONE_CONFIG_COFFER_URL=$T_URL/dav/admin/
RCLONE_CONFIG_COFFER_VENDOR=owncloud
RCLONE_CONFIG_COFFER_USER=admin
RCLONE_CONFIG_COFFER_PASS=$(rclone --config "$T_DIR/rclone.conf" obscure "$T_PW")
RCLONE_CONFIG_OTHER_TYPE=webdav
RCLONE_CONFIG_OTHER_URL=$T_URL/dav/admin/
RCLONE_CONFIG_OTHER_VENDOR=other
RCLONE_CONFIG_OTHER_USER=admin
RCLONE_CONFIG_OTHER_PASS=$RCLONE_CONFIG_COFFER_PASS
export RCLONE_CONFIG_COFFER_TYPE RCLONE_CONFIG_COFFER_URL RCLONE_CONFIG_COFFER_VENDOR \
    RCLONE_CONFIG_COFFER_USER RCLONE_CONFIG_COFFER_PASS RCLONE_CONFIG_OTHER_TYPE \
    RCLONE_CONFIG_OTHER_URL RCLONE_CONFIG_OTHER_VENDOR RCLONE_CONFIG_OTHER_USER \
    RCLONE_CONFIG_OTHER_PASS

# rclone without retries (a failure must show, not be retried away) and
# without any configuration but ours.
rc() {
    echo "\$ rclone $*" >&2
    rclone --config "$T_DIR/rclone.conf" --retries 1 --low-level-retries 1 \
        --contimeout 10s --timeout 60s "$@"
}

# tree_same A B: the same names (files and folders) and byte-identical files.
tree_same() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort) >"$T_DIR/tree.a"
    (cd "$2" && find . -mindepth 1 | LC_ALL=C sort) >"$T_DIR/tree.b"
    if ! diff -u "$T_DIR/tree.a" "$T_DIR/tree.b"; then
        echo "the trees $1 and $2 differ (above)"
        return 1
    fi
    (cd "$1" && find . -type f) | while IFS= read -r f; do
        if ! cmp "$1/$f" "$2/$f"; then
            echo "FAIL"
        fi
    done >"$T_DIR/cmp.out" 2>&1
    if grep -q . "$T_DIR/cmp.out"; then
        cat "$T_DIR/cmp.out"
        return 1
    fi
    return 0
}

# mtimes_same A B: every file has the same mtime (whole seconds) on both sides.
mtimes_same() {
    rcm=0
    (cd "$1" && find . -type f) >"$T_DIR/files"
    while IFS= read -r f; do
        a=$(stat -c %Y "$1/$f")
        b=$(stat -c %Y "$2/$f" 2>/dev/null || echo missing)
        if [ "$a" != "$b" ]; then
            echo "mtime of $f: $a in $1, $b in $2"
            rcm=1
        fi
    done <"$T_DIR/files"
    return $rcm
}

# The source tree: nested folders, an empty file, an empty folder, a 5 MiB
# random file, names with spaces and UTF-8; whole-second mtimes in the past.
mkdir -p "$SRC/nested/a/b/c" "$SRC/with space" "$SRC/Ünïcödé ✓" "$SRC/empty folder"
: >"$SRC/empty.txt"
head -c 5242880 /dev/urandom >"$SRC/big.bin"
echo "deep" >"$SRC/nested/a/b/c/deep.txt"
echo "sibling" >"$SRC/nested/a/sibling.md"
printf 'one\ntwo\n' >"$SRC/with space/file one.txt"
echo "nihongo" >"$SRC/Ünïcödé ✓/日本語 ファイル.txt"
head -c 70000 /dev/urandom >"$SRC/nested/medium.dat"
i=0
find "$SRC" -type f | while IFS= read -r f; do
    i=$((i + 1))
    touch -d "@$((1136214245 + i * 86400))" "$f"
done

t_plan 18

# 1
if rc copy --create-empty-src-dirs "$SRC" coffer: >"$LOG" 2>&1; then
    t_ok "rclone copy (owncloud) uploads the tree"
else
    t_not_ok "rclone copy (owncloud) uploads the tree" "$LOG"
fi
# 2
t_check "after copy: the files on disk are the source, byte for byte" tree_same "$SRC" "$DISK"
# 3
t_check "rclone check --download passes" rc check --download "$SRC" coffer:
# 4
lsf_same() {
    rc lsf -R "$SRC" | LC_ALL=C sort >"$T_DIR/lsf.local" || return 1
    rc lsf -R coffer: | LC_ALL=C sort >"$T_DIR/lsf.remote" || return 1
    diff -u "$T_DIR/lsf.local" "$T_DIR/lsf.remote" || return 1
    # and it really lists everything: files and folders
    [ "$(wc -l <"$T_DIR/lsf.remote")" -eq 14 ] || {
        echo "expected 14 entries"
        return 1
    }
}
t_check "rclone lsf -R lists every file and folder" lsf_same
# 5
lsl_same() {
    rc lsl "$SRC" | LC_ALL=C sort -k4 >"$T_DIR/lsl.local" || return 1
    rc lsl coffer: | LC_ALL=C sort -k4 >"$T_DIR/lsl.remote" || return 1
    diff -u "$T_DIR/lsl.local" "$T_DIR/lsl.remote" || return 1
    mtimes_same "$SRC" "$DISK"
}
t_check "modification times survive (rclone lsl and the files on disk)" lsl_same
# 6
nothing_to_do() {
    rc copy -v "$SRC" coffer: >"$T_DIR/copy2.log" 2>&1 || {
        cat "$T_DIR/copy2.log"
        return 1
    }
    cat "$T_DIR/copy2.log"
    ! grep -E "Copied|Updated modification time" "$T_DIR/copy2.log"
}
t_check "a second rclone copy transfers nothing (sizes and times match)" nothing_to_do
# 7
changed() {
    head -c 5242880 /dev/urandom >"$SRC/big.bin"
    touch -d "@1500000000" "$SRC/big.bin"
    rc copy "$SRC" coffer: || return 1
    cmp "$SRC/big.bin" "$DISK/big.bin" && mtimes_same "$SRC" "$DISK"
}
t_check "a changed file is uploaded again, byte-exact, with its time" changed
# 8
cat_same() {
    rc cat "coffer:Ünïcödé ✓/日本語 ファイル.txt" >"$T_DIR/cat.out" || return 1
    cmp "$T_DIR/cat.out" "$SRC/Ünïcödé ✓/日本語 ファイル.txt"
}
t_check "rclone cat of a UTF-8 name gives its bytes" cat_same
# 9
moveto_file() {
    rc moveto "coffer:with space/file one.txt" "coffer:with space/file two.txt" || return 1
    [ ! -e "$DISK/with space/file one.txt" ] || {
        echo "the old name is still on disk"
        return 1
    }
    cmp "$SRC/with space/file one.txt" "$DISK/with space/file two.txt"
}
t_check "rclone moveto renames a file (on disk too)" moveto_file
# 10
moveto_dir() {
    rc moveto coffer:nested "coffer:moved nested" || return 1
    [ ! -e "$DISK/nested" ] || {
        echo "nested is still on disk"
        return 1
    }
    tree_same "$SRC/nested" "$DISK/moved nested"
}
t_check "rclone moveto moves a folder with its contents (on disk too)" moveto_dir
# 11
delete_dir() {
    rc delete "coffer:moved nested/a" || return 1
    left=$(find "$DISK/moved nested/a" -type f | wc -l)
    [ "$left" -eq 0 ] || {
        echo "$left files left"
        return 1
    }
    # rclone delete keeps the folders; the other files stay
    [ -d "$DISK/moved nested/a/b/c" ] && cmp "$SRC/nested/medium.dat" "$DISK/moved nested/medium.dat"
}
t_check "rclone delete removes the files of a folder and nothing else" delete_dir
# 12
purge_dir() {
    rc purge "coffer:moved nested" || return 1
    [ ! -e "$DISK/moved nested" ] || {
        echo "still on disk:"
        find "$DISK/moved nested"
        return 1
    }
    cmp "$SRC/big.bin" "$DISK/big.bin"
}
t_check "rclone purge removes a folder tree (on disk too)" purge_dir
# 13
rmdirs() {
    rc rmdir "coffer:empty folder" || return 1
    [ ! -e "$DISK/empty folder" ]
}
t_check "rclone rmdir removes an empty folder" rmdirs
# 14
sync_del() {
    rm "$SRC/empty.txt"
    mv "$SRC/with space/file one.txt" "$SRC/with space/file two.txt"
    rm -r "$SRC/nested" "$SRC/empty folder"
    rc sync "$SRC" coffer: || return 1
    tree_same "$SRC" "$DISK" && rc check --download "$SRC" coffer:
}
t_check "rclone sync mirrors deletions and renames (disk equals source)" sync_del
# 15
about() {
    rc about --json coffer: >"$T_DIR/about.json" || return 1
    cat "$T_DIR/about.json"
    # CLIENTS.md 8: free space from quota-available-bytes, never 0
    grep -Eq '"free": *[1-9][0-9]*' "$T_DIR/about.json" &&
        grep -Eq '"used": *[0-9]+' "$T_DIR/about.json"
}
t_check "rclone about reports free and used space (RFC 4331 quota)" about
# 16
other_copy() {
    rc copy --create-empty-src-dirs "$SRC" "other:vendor other" || return 1
    tree_same "$SRC" "$DISK/vendor other" && rc check --download "$SRC" "other:vendor other"
}
t_check "vendor other: rclone copy and check --download (disk equals source)" other_copy
# 17
other_lsf() {
    rc lsf -R "$SRC" | LC_ALL=C sort >"$T_DIR/lsf.local" || return 1
    rc lsf -R "other:vendor other" | LC_ALL=C sort >"$T_DIR/lsf.remote" || return 1
    diff -u "$T_DIR/lsf.local" "$T_DIR/lsf.remote"
}
t_check "vendor other: rclone lsf -R lists everything" other_lsf
# 18
other_purge() {
    rc purge "other:vendor other" || return 1
    [ ! -e "$DISK/vendor other" ] && tree_same "$SRC" "$DISK"
}
t_check "vendor other: rclone purge removes the tree, the rest stays" other_purge

[ $t_failed -eq 0 ]
