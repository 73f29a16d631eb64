# shellcheck shell=bash
# milter.sh - process helpers for scripts that drive a lockdown-milter (or
# any daemon) under test. Sourced by tests/hardening/lib.sh,
# tests/integration/common.sh and the other test scripts.
#
#   proc_alive PID              true while PID exists and is not a zombie
#   daemon_stop PID [LIMIT [SIG]]
#                               send SIG (TERM) and wait up to LIMIT seconds
#                               (LOCKDOWN_TEST_PATIENCE, default 120) for
#                               PID to go; then SIGKILL. Returns the exit
#                               status (for a child of this shell; 0 for
#                               another process that went), 137 when it had
#                               to be killed.
#
# LOCKDOWN_TEST_PATIENCE is the one patience setting of the test scripts
# (tests/milter/differential.py reads it too): raise it for valgrind or a
# very busy machine. A wait ends as soon as its condition holds, so a large
# value costs nothing when things work.

# A zombie counts as gone. (In the integration tests' PID namespace the
# script is init: orphans such as Postfix's master are its children, and
# kill -0 succeeds on them until they are reaped.) Gone is for good: no
# /proc entry, or a zombie (Z) or dead (X) task. A status that cannot be
# read while the entry is there (a process in the middle of exiting, a
# fork that failed on a loaded machine) counts as alive, so a caller never
# sees "gone" and then "alive" again.
proc_alive() {
    local state
    [ -n "$1" ] && [ -d "/proc/$1" ] || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [ "$state" != Z ] && [ "$state" != X ] && [ -d "/proc/$1" ]
}

daemon_stop() {
    local pid=$1 limit=${2:-${LOCKDOWN_TEST_PATIENCE:-120}} sig=${3:-TERM}
    local child=0 end rc
    [ -n "$pid" ] || return 0
    if [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$BASHPID" ]; then
        child=1
    fi
    kill -"$sig" "$pid" 2>/dev/null
    end=$((SECONDS + limit))
    while proc_alive "$pid" && [ "$SECONDS" -lt "$end" ]; do
        sleep 0.1
    done
    if proc_alive "$pid"; then
        echo "daemon_stop: pid $pid still running ${limit}s after SIG$sig: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
        [ "$child" -eq 1 ] && wait "$pid" 2>/dev/null
        return 137
    fi
    [ "$child" -eq 1 ] || return 0
    wait "$pid" 2>/dev/null
    rc=$?
    return "$rc"
}
