# shellcheck shell=bash disable=SC2034
# common.sh - shared by the real-MTA integration tests (sourced).
#
# Environment (set by CMakeLists.txt; defaults for a manual run from a
# build directory "build" next to the sources):
#   LOCKDOWN_MILTER    the lockdown-milter binary
#   LOCKDOWN_SRC       the source tree
#   LOCKDOWN_WORK      where each test gets its own directory (default
#                      ${TMPDIR:-/tmp}: see tests/lib/workdir.sh)
#   LOCKDOWN_KEEP=1    keep the work directory even when the test passes
#   LOCKDOWN_TEST_PATIENCE  seconds to wait for a daemon to stop (milter.sh)
#   LOCKDOWN_SM_CACHE  where the sendmail .debs are unpacked (sendmail tests)
#
# Every test runs in its own namespaces (t_enter_ns): mount (Postfix's
# /etc/postfix and Sendmail's /etc/hosts are private bind mounts), network
# (only lo exists: nothing can leave loopback, and ports never collide with
# the host or another test), UTS (Sendmail's FQDN host name) and PID (when
# the test ends, even killed by a ctest timeout, the kernel kills every
# daemon it started).
#
# Assertions print "ok"/"FAIL" with got and want, count failures, and never
# stop the test: t_done exits 1 if anything failed.

T_SRC=${LOCKDOWN_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T_MILTER=${LOCKDOWN_MILTER:-$T_SRC/build/milter/lockdown-milter}
T_CLIENT="perl $T_SRC/tests/lib/smtp-client.pl"
T_FAILS=0
T_CHECKS=0
T_MILTER_PID=
T_LOGMARK=0
declare -A CODE TEXT

# shellcheck source=../lib/milter.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/milter.sh"
# shellcheck source=../lib/workdir.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/workdir.sh"

t_skip() {
    echo "SKIP: $*"
    exit 77
}

# Re-run the calling script inside fresh namespaces (see above).
t_enter_ns() {
    [ "$(id -u)" = 0 ] || t_skip "needs root (Postfix and Sendmail daemons, namespaces)"
    if [ "${LOCKDOWN_IN_NS:-}" != 1 ]; then
        command -v unshare >/dev/null || t_skip "unshare (util-linux) missing"
        LOCKDOWN_IN_NS=1 exec unshare --mount --net --uts --pid --fork \
            --kill-child=SIGTERM --mount-proc -- "$BASH" "$0" "$@"
    fi
    ip link set lo up || { echo "cannot bring lo up in the test namespace" >&2; exit 1; }
}

# t_init NAME: a fresh work directory $T_DIR and the cleanup trap.
t_init() {
    T_NAME=$1
    [ -x "$T_MILTER" ] || { echo "no milter binary at $T_MILTER" >&2; exit 1; }
    # Postfix's and Sendmail's daemons drop privileges and must reach the
    # queue and the milter socket: never under the build tree.
    T_DIR=$(work_dir_make "$T_NAME") || exit 1
    mkdir -p "$T_DIR/conf/providers" "$T_DIR/run" || exit 1
    chmod 755 "$T_DIR/conf"
    # The milter socket lives here: setgid group postfix, so the socket
    # (mode 0660 from the config) is group postfix and smtpd may connect.
    if getent group postfix >/dev/null; then
        chgrp postfix "$T_DIR/run" && chmod 2750 "$T_DIR/run"
    fi
    T_CONF=$T_DIR/conf/lockdown.yaml
    T_SOCK=$T_DIR/run/milter.sock
    T_MLOG=$T_DIR/milter.log
    T_TRANSCRIPT=$T_DIR/smtp.transcript
    trap t_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    echo "# $T_NAME: work directory $T_DIR"
}

# Hooks the test adds (pf_stop, sm_stop...) run first, the milter last.
T_CLEANUP=()
t_on_exit() {
    T_CLEANUP+=("$*")
}

t_cleanup() {
    local rc=$? c
    trap - EXIT
    for c in "${T_CLEANUP[@]}"; do
        eval "$c" || true
    done
    # The milter must still be there and stop cleanly: a crash, a
    # sanitizer report or a leak at exit fails the test.
    if [ -n "$T_MILTER_PID" ] && [ "$rc" = 0 ]; then
        if ! milter_running; then
            echo "FAIL lockdown-milter died during the test"
            rc=1
        fi
        milter_stop
        if [ "$T_MILTER_RC" != 0 ]; then
            echo "FAIL lockdown-milter exit status on SIGTERM: got '$T_MILTER_RC', want '0'"
            rc=1
        fi
    fi
    milter_stop >/dev/null 2>&1
    if [ -f "$T_MLOG" ] && grep -E 'Sanitizer|runtime error:' "$T_MLOG" >/dev/null; then
        echo "FAIL sanitizer report in $T_MLOG:"
        grep -E -A5 'Sanitizer|runtime error:' "$T_MLOG" | head -n 30
        rc=1
    fi
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        echo "---- milter log ($T_MLOG), last 40 lines"
        tail -n 40 "$T_MLOG" 2>/dev/null
        echo "---- work directory kept: $T_DIR"
    elif [ "${LOCKDOWN_KEEP:-0}" != 1 ] && [ -n "${T_DIR:-}" ]; then
        rm -rf "$T_DIR"
    fi
    exit "$rc"
}

# t_conf FILE: install tests/integration/conf/FILE as the live config,
# with the shipped provider profiles and the test-only ones it names.
t_conf() {
    local src=$T_SRC/tests/integration/conf/$1 p name
    [ -f "$src" ] || { echo "no test config $src" >&2; return 1; }
    cp "$T_SRC"/etc/providers/*.yaml "$T_DIR/conf/providers/" || return
    for p in "$T_SRC"/tests/integration/providers/*.yaml; do
        name=$(basename "$p" .yaml)
        grep -q "^  $name:" "$src" && cp "$p" "$T_DIR/conf/providers/"
    done
    # Write then rename: the milter never reads a half-written file.
    cp "$src" "$T_CONF.tmp" && mv -f "$T_CONF.tmp" "$T_CONF"
}

milter_running() {
    [ -n "$T_MILTER_PID" ] && proc_alive "$T_MILTER_PID"
}

milter_start() {
    local i tries=200 wrap=()
    # LOCKDOWN_MILTER_WRAPPER (e.g. "valgrind --error-exitcode=99 ..."):
    # run the daemon under it, with more time to start.
    if [ -n "${LOCKDOWN_MILTER_WRAPPER:-}" ]; then
        read -ra wrap <<<"$LOCKDOWN_MILTER_WRAPPER"
        tries=1200
    fi
    rm -f "$T_SOCK" "$T_DIR/run/milter.pid"
    "${wrap[@]}" "$T_MILTER" -f -c "$T_CONF" -p "unix:$T_SOCK" \
        -P "$T_DIR/run/milter.pid" </dev/null >>"$T_MLOG" 2>&1 &
    T_MILTER_PID=$!
    # The socket file appears at bind(), before listen(); the pidfile is
    # written once the socket listens and has its owner and mode.
    for i in $(seq 1 "$tries"); do
        [ -S "$T_SOCK" ] && [ -s "$T_DIR/run/milter.pid" ] && return 0
        if ! proc_alive "$T_MILTER_PID"; then
            echo "lockdown-milter exited during start-up:" >&2
            cat "$T_MLOG" >&2
            T_MILTER_PID=
            return 1
        fi
        sleep 0.05
    done
    echo "lockdown-milter: no socket $T_SOCK after 10 s" >&2
    return 1
}

# milter_stop: SIGTERM and the shared patient wait (daemon_stop);
# T_MILTER_RC holds the exit status.
milter_stop() {
    T_MILTER_RC=
    [ -n "$T_MILTER_PID" ] || return 0
    daemon_stop "$T_MILTER_PID"
    T_MILTER_RC=$?
    T_MILTER_PID=
}

# milter_reload: SIGUSR1, then wait for the daemon to say how it went.
# Status 0 "reloaded", 1 "reload failed", 2 no answer within 10 s;
# expect_log then looks at what was logged since the signal.
milter_reload() {
    local before i
    T_LOGMARK=$(wc -l <"$T_MLOG")
    before=$(grep -c -e 'reloaded configuration' -e 'reload failed' "$T_MLOG")
    kill -USR1 "$T_MILTER_PID" || return 2
    for i in $(seq 1 200); do
        if [ "$(grep -c -e 'reloaded configuration' -e 'reload failed' "$T_MLOG")" -gt "$before" ]; then
            T_RELOAD_LINE=$(grep -e 'reloaded configuration' -e 'reload failed' "$T_MLOG" | tail -n 1)
            case "$T_RELOAD_LINE" in
                *'reload failed'*) return 1 ;;
                *) return 0 ;;
            esac
        fi
        sleep 0.05
    done
    T_RELOAD_LINE=
    return 2
}

# smtp DESC CLIENT-ARGS...: one SMTP session; CODE[step] and TEXT[step]
# hold the reply codes (rcpt: comma-separated, one per recipient).
smtp() {
    local desc=$1 out
    shift
    T_DESC=$desc
    T_LOGMARK=$(wc -l <"$T_MLOG" 2>/dev/null || echo 0)
    echo "== $desc" >>"$T_TRANSCRIPT"
    out=$($T_CLIENT --timeout 10 --transcript "$T_TRANSCRIPT" "$@")
    smtp_parse "$out"
}

# smtp_parse OUTPUT: fill CODE[] and TEXT[] from the client's output.
smtp_parse() {
    local out=$1 line k v kv
    CODE=()
    TEXT=()
    while IFS= read -r line; do
        case "$line" in
            text.*=*)
                k=${line%%=*}
                TEXT[${k#text.}]=${line#*=}
                ;;
            *)
                for kv in $line; do
                    k=${kv%%=*}
                    v=${kv#*=}
                    CODE[$k]=$v
                done
                ;;
        esac
    done <<<"$out"
    echo "-- $T_DESC: $(head -n 1 <<<"$out")"
}

# smtp_held DESC CLIENT-ARGS...: start a session that stops after MAIL
# (--hold); returns once it is held. smtp_release then lets it send its
# recipients and parses the result like smtp.
smtp_held() {
    local desc=$1 i
    shift
    T_HELD_DESC=$desc
    T_HELD_FILE=$T_DIR/held.go
    T_HELD_TR=$T_DIR/held.transcript
    rm -f "$T_HELD_FILE" "$T_HELD_TR"
    $T_CLIENT --timeout 10 --transcript "$T_HELD_TR" --hold "$T_HELD_FILE" "$@" \
        >"$T_DIR/held.out" 2>&1 &
    T_HELD_PID=$!
    for i in $(seq 1 200); do
        grep -q '^== held' "$T_HELD_TR" 2>/dev/null && return 0
        kill -0 "$T_HELD_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "held session '$desc' never got past MAIL:" >&2
    cat "$T_HELD_TR" >&2
    return 1
}

smtp_release() {
    touch "$T_HELD_FILE"
    wait "$T_HELD_PID"
    T_DESC=$T_HELD_DESC
    { echo "== $T_DESC"; cat "$T_HELD_TR"; } >>"$T_TRANSCRIPT"
    smtp_parse "$(cat "$T_DIR/held.out")"
}

t_result() {
    local ok=$1 what=$2 got=$3 want=$4
    T_CHECKS=$((T_CHECKS + 1))
    if [ "$ok" = 1 ]; then
        echo "ok   $what: got '$got'"
    else
        T_FAILS=$((T_FAILS + 1))
        echo "FAIL $what: got '$got', want '$want'"
    fi
}

# expect_code STEP PATTERN: the last session's reply code at STEP matches
# the shell pattern (554, 5*, 2*, "4*", ...). For rcpt with several
# recipients, give the comma-separated list ("250,554").
expect_code() {
    local step=$1 want=$2 got=${CODE[$1]:-none}
    local ok=0
    # shellcheck disable=SC2053
    [[ $got == $want ]] && ok=1
    t_result "$ok" "$T_DESC: $step" "$got" "$want"
}

# expect_text STEP SUBSTRING: the last line of the reply at STEP contains it.
expect_text() {
    local step=$1 want=$2 got=${TEXT[$1]:-none}
    local ok=0
    [[ $got == *"$want"* ]] && ok=1
    t_result "$ok" "$T_DESC: $step text" "$got" "*$want*"
}

# Nothing was accepted in the last session: no recipient got a 2xx, DATA
# never got its 354 (so no message can have been queued).
expect_nothing_accepted() {
    local got="rcpt=${CODE[rcpt]:-none} data=${CODE[data]:-none}"
    if [[ ${CODE[rcpt]:-} == *2[0-9][0-9]* || ${CODE[data]:-} == 354 ]]; then
        t_result 0 "$T_DESC: nothing accepted" "$got" "no 2xx at RCPT, no 354 at DATA"
    else
        t_result 1 "$T_DESC: nothing accepted" "$got" "no 2xx at RCPT, no 354 at DATA"
    fi
}

# expect_log DESC ERE...: one milter log line written since the last
# session matches every extended regular expression given.
expect_log() {
    local desc=$1 lines re try
    shift
    # The milter logs before it answers the MTA, so the line is normally
    # there already; allow a moment for a slow machine.
    for try in 1 2 3 4 5; do
        lines=$(tail -n +"$((T_LOGMARK + 1))" "$T_MLOG")
        for re in "$@"; do
            lines=$(grep -E -- "$re" <<<"$lines")
        done
        [ -n "$lines" ] && break
        sleep 0.1
    done
    if [ -n "$lines" ]; then
        t_result 1 "$T_DESC: log $desc" "$(head -n 1 <<<"$lines")" "$*"
    else
        # Show what was logged about the same client (the first pattern),
        # or else the last lines.
        lines=$(tail -n +"$((T_LOGMARK + 1))" "$T_MLOG" | grep -E -- "$1")
        [ -n "$lines" ] || lines=$(tail -n +"$((T_LOGMARK + 1))" "$T_MLOG" | tail -n 3)
        t_result 0 "$T_DESC: log $desc" "$(tr '\n' '|' <<<"${lines:-nothing logged}")" "a line matching all of: $*"
    fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
    local ok=0
    [ "$2" = "$3" ] && ok=1
    t_result "$ok" "$1" "$2" "$3"
}

# Log regexps for one decision: addr as in the log, "[192.0.2.1]:".
re_addr() {
    local a=$1
    echo "\\[${a//./\\.}\\]:"
}

t_done() {
    echo "# $T_NAME: $T_CHECKS checks, $T_FAILS failed"
    [ "$T_FAILS" = 0 ] || exit 1
    exit 0
}
