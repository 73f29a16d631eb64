#!/bin/bash
# private_build.sh SOURCE_DIR BINARY_DIR SCRIPT [ARGS...] - run a test
# script as if the source and build trees sat in a directory that only root
# may enter (mode 0700, like /root, where a new user clones as root).
#
# The trees are reached through symlinks in a fresh 0700 directory, and
# SCRIPT, LOCKDOWN_SRC and every LOCKDOWN_* setting that points into them
# are rewritten to go through it. Postfix's master, postdrop and smtpd run
# as user postfix: a test that puts an MTA's directories under the build
# (or source) tree then fails, as it would for that user. Exit 77
# (skipped) when not root or without a postfix user.
set -u
src=$1
bin=$2
script=$3
shift 3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
getent passwd postfix >/dev/null || { echo "SKIP: no user postfix"; exit 77; }

jail=$(mktemp -d "${TMPDIR:-/tmp}/lockdown-private.XXXXXX") || exit 1
trap 'rm -rf "$jail"; echo "# private_build: $jail/build was $bin, $jail/src was $src"' EXIT
chmod 700 "$jail"
ln -s "$src" "$jail/src" && ln -s "$bin" "$jail/build" || exit 1
# The premise, checked: else a pass would prove nothing.
if runuser -u postfix -- test -x "$jail/build/."; then
    echo "FAIL: user postfix can enter $jail/build, want: cannot"
    exit 1
fi

# into_jail PATH: PATH rewritten through the jail when it is in a tree
# (the build tree first: it may sit inside the source tree).
into_jail() {
    case $1 in
        "$bin" | "$bin"/*) echo "$jail/build${1#"$bin"}" ;;
        "$src" | "$src"/*) echo "$jail/src${1#"$src"}" ;;
        *) echo "$1" ;;
    esac
}
while IFS= read -r var; do
    export "$var=$(into_jail "${!var}")"
done < <(compgen -e | grep '^LOCKDOWN_')
export LOCKDOWN_SRC=$jail/src
echo "# private_build: source $jail/src, build $jail/build (mode 0700 above them)"
bash "$(into_jail "$script")" "$@"
