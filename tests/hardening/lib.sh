# shellcheck shell=bash
# lib.sh - shared by the hardening scripts (sourced): work directory,
# cleanup trap, the daemon under test, checks that print got/want, figures.
#
# Environment (set by CMakeLists.txt; defaults for a manual run):
#   LOCKDOWN_MILTER     the lockdown-milter binary
#   LOCKDOWN_MILTERGEN  tests/bench's miltergen (milter protocol load)
#   LOCKDOWN_SRC        the source tree
#   LOCKDOWN_WORK       where each script gets its own directory (default
#                       ${TMPDIR:-/tmp}: see tests/lib/workdir.sh)
#   LOCKDOWN_KEEP=1     keep the work directory even when all goals are met
#   LOCKDOWN_TEST_PATIENCE  seconds to wait for a daemon to stop (milter.sh)
#
# Every check prints "ok"/"FAIL" with the figure got and the goal wanted,
# and is counted; h_done exits 1 when any goal was missed. Every loop and
# wait in these scripts is bounded.

H_SRC=${LOCKDOWN_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
H_BUILD=${LOCKDOWN_BUILD:-$H_SRC/build-hardening}
H_MILTER=${LOCKDOWN_MILTER:-$H_BUILD/milter/lockdown-milter}
H_GEN=${LOCKDOWN_MILTERGEN:-$H_BUILD/tests/bench/miltergen}
H_FAILS=0
H_CHECKS=0
H_PIDS=()
H_CLEANUP=()
H_MILTER_PID=
H_FIGURES=()

# shellcheck source=../lib/milter.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/milter.sh"
# shellcheck source=../lib/workdir.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/workdir.sh"

h_skip() {
    echo "SKIP: $*"
    exit 77
}

# h_init NAME: fresh work directory $H_DIR, cleanup trap.
h_init() {
    H_NAME=$1
    [ -x "$H_MILTER" ] || { echo "no lockdown-milter binary at $H_MILTER" >&2; exit 1; }
    H_DIR=$(work_dir_make "$H_NAME") || exit 1
    mkdir -p "$H_DIR/conf" "$H_DIR/run" || exit 1
    chmod 755 "$H_DIR/conf" "$H_DIR/run"
    cp -r "$H_SRC/etc/providers" "$H_DIR/conf/providers" || exit 1
    H_CONF=$H_DIR/conf/lockdown.yaml
    H_SOCK=$H_DIR/run/milter.sock
    H_MLOG=$H_DIR/milter.log
    : >"$H_MLOG"
    trap h_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    echo "# $H_NAME: work directory $H_DIR ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
}

# h_on_exit CMD: run CMD at exit (before the daemons are killed).
h_on_exit() {
    H_CLEANUP+=("$*")
}

# h_bg PID: a background process to kill at exit.
h_bg() {
    H_PIDS+=("$1")
}

h_cleanup() {
    local rc=$? c p
    trap - EXIT
    for c in "${H_CLEANUP[@]}"; do
        eval "$c" || true
    done
    for p in "${H_PIDS[@]}" $H_MILTER_PID; do
        if proc_alive "$p"; then
            kill -CONT "$p" 2>/dev/null
            kill -KILL "$p" 2>/dev/null
        fi
    done
    wait 2>/dev/null
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        echo "---- milter log ($H_MLOG), last 30 lines"
        tail -n 30 "$H_MLOG" 2>/dev/null
        echo "---- work directory kept: $H_DIR"
    elif [ "${LOCKDOWN_KEEP:-0}" != 1 ] && [ -n "${H_DIR:-}" ]; then
        rm -rf "$H_DIR"
    fi
    exit "$rc"
}

# h_conf FILE: install FILE as the live config by rename, so the daemon
# never reads a half-written file.
h_conf() {
    cp "$1" "$H_CONF.tmp" && chmod 644 "$H_CONF.tmp" && mv -f "$H_CONF.tmp" "$H_CONF"
}

# h_milter_start [ARGS...]: the daemon in the foreground (-f), logging to
# $H_MLOG, on $H_SOCK; returns once the socket answers.
h_milter_start() {
    local i
    rm -f "$H_SOCK"
    "$H_MILTER" -f -c "$H_CONF" -p "unix:$H_SOCK" "$@" </dev/null >>"$H_MLOG" 2>&1 &
    H_MILTER_PID=$!
    for i in $(seq 1 400); do
        if [ -S "$H_SOCK" ] && grep -q ' starting: ' "$H_MLOG"; then
            return 0
        fi
        if ! proc_alive "$H_MILTER_PID"; then
            echo "lockdown-milter exited during start-up:" >&2
            tail -n 20 "$H_MLOG" >&2
            H_MILTER_PID=
            return 1
        fi
        sleep 0.025
    done
    echo "lockdown-milter: not ready after 10 s" >&2
    return 1
}

# h_milter_stop: SIGTERM and the shared patient wait (daemon_stop);
# H_MILTER_RC is its status.
h_milter_stop() {
    H_MILTER_RC=
    [ -n "$H_MILTER_PID" ] || return 0
    kill -CONT "$H_MILTER_PID" 2>/dev/null
    daemon_stop "$H_MILTER_PID"
    H_MILTER_RC=$?
    H_MILTER_PID=
}

h_result() {
    local ok=$1 what=$2 got=$3 want=$4
    H_CHECKS=$((H_CHECKS + 1))
    if [ "$ok" = 1 ]; then
        echo "ok   $what: $got"
    else
        H_FAILS=$((H_FAILS + 1))
        echo "FAIL $what: got $got, want $want"
    fi
}

# h_eq WHAT GOT WANT
h_eq() {
    local ok=0
    [ "$2" = "$3" ] && ok=1
    h_result "$ok" "$1" "$2" "$3"
}

# h_le WHAT GOT MAX / h_ge WHAT GOT MIN: numeric (integers or decimals).
h_le() {
    local ok=0
    awk -v g="$2" -v m="$3" 'BEGIN { exit !(g + 0 <= m + 0) }' && ok=1
    h_result "$ok" "$1" "$2" "<= $3"
}
h_ge() {
    local ok=0
    awk -v g="$2" -v m="$3" 'BEGIN { exit !(g + 0 >= m + 0) }' && ok=1
    h_result "$ok" "$1" "$2" ">= $3"
}

# h_figure NAME VALUE: a figure for the summary (and tests/README.md).
h_figure() {
    H_FIGURES+=("$1=$2")
}

# csv_get FILE METRIC: a value from miltergen --csv output, or "".
csv_get() {
    awk -F, -v m="$2" '$4 == m { v = $5 } END { print v }' "$1"
}

# Process figures from /proc.
proc_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
proc_threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
proc_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# log_since OFFSET: the daemon log from byte OFFSET on.
log_since() {
    tail -c +"$(($1 + 1))" "$H_MLOG"
}
log_size() {
    stat -c %s "$H_MLOG"
}

h_done() {
    local f
    echo "# $H_NAME figures:"
    for f in "${H_FIGURES[@]}"; do
        echo "#   $f"
    done
    echo "# $H_NAME: $H_CHECKS checks, $H_FAILS failed"
    [ "$H_FAILS" = 0 ] || exit 1
    exit 0
}
