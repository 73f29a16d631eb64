# shellcheck shell=bash
# workdir.sh - work directories for test scripts that start daemons
# (sourced by tests/hardening/lib.sh, tests/integration/common.sh).
#
#   work_dir_make NAME         print a fresh directory (mode 0755) for one
#                              run of test NAME: under LOCKDOWN_WORK when
#                              set, else under ${TMPDIR:-/tmp}
#   work_dir_reachable DIR USER
#                              true when USER may search DIR and every
#                              directory above it (needs root to tell; true
#                              otherwise, and when USER does not exist)
#
# Never the build tree: Postfix's master, postdrop and smtpd run as user
# postfix, Sendmail's helpers as smmsp, the milter as the user it drops to,
# and each must reach its directories. A clone in /root (mode 0700) puts
# the build tree out of their reach. The scripts print the directory they
# use, keep it when the test fails (and with LOCKDOWN_KEEP=1), and remove
# it otherwise.

work_dir_reachable() {
    [ "$(id -u)" = 0 ] || return 0
    getent passwd "$2" >/dev/null || return 0
    runuser -u "$2" -- test -x "$1" 2>/dev/null
}

work_dir_make() {
    local base=${LOCKDOWN_WORK:-${TMPDIR:-/tmp}} d
    mkdir -p "$base" || return
    d=$(mktemp -d "$base/lockdown-$1.XXXXXX") || return
    chmod 755 "$d" || return
    if ! work_dir_reachable "$d" nobody; then
        echo "work directory $d is out of reach of unprivileged users (postfix, smmsp, nobody): set LOCKDOWN_WORK or TMPDIR to a directory every user may search" >&2
        rmdir "$d"
        return 1
    fi
    echo "$d"
}
