#!/bin/bash
# smoke.sh - tiny runs of the benchmark programs, for ctest (label
# bench-smoke). Not a benchmark: it checks that each program runs, that the
# load generator sees the verdicts it should, and that it can fail.
#
#   smoke.sh null     MILTERGEN NULLMILTER
#   smoke.sh selftest MILTERGEN NULLMILTER
#   smoke.sh pymilter MILTERGEN PYMILTER_SCRIPT LOCKDOWN_YAML
#   smoke.sh lockdown MILTERGEN LOCKDOWN_MILTER ETC_DIR
set -u
mode=$1
shift
# shellcheck source=../lib/milter.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/milter.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ldsmoke.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        daemon_stop "$p"
    done
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    local f
    echo "FAIL: $*" >&2
    # The servers' own words, or a flake cannot be told from a bug.
    for f in "$work"/*.err; do
        [ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
    done
    exit 1
}

# wait_sock PATH PID: until the socket accepts a connection (10 s), or the
# server died. The file appears at bind(), before listen(): a connect then
# is refused, so existing is not enough.
wait_sock() {
    local _
    for _ in $(seq 1 200); do
        [ -S "$1" ] && python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$1" 2>/dev/null &&
            return 0
        kill -0 "$2" 2>/dev/null || fail "server for $1 exited early"
        sleep 0.05
    done
    fail "no socket $1 after 10 s"
}

# metric CSVFILE NAME: the value of a metric row (empty when absent).
metric() {
    awk -F, -v m="$2" '$4 == m { print $5 }' "$1"
}

# expect_metric CSVFILE NAME WANT
expect_metric() {
    local got
    got=$(metric "$1" "$2")
    [ "$got" = "$3" ] || fail "$2: got '${got}', want '$3' (in $1)"
}

case $mode in
null)
    gen=$1 null=$2
    "$null" -p "unix:$work/null.sock" -m "{daemon_port}" & pids+=($!)
    wait_sock "$work/null.sock" "${pids[0]}"
    # Connect only, then full MAIL/RCPT sessions with idle sessions held.
    "$gen" --socket "unix:$work/null.sock" --sessions 200 --concurrency 4 \
        --expect-inside continue --expect-outside continue --csv \
        --server-pid "${pids[0]}" >"$work/a.csv" || fail "connect-only run"
    expect_metric "$work/a.csv" sessions 200
    expect_metric "$work/a.csv" sessions_ok 200
    expect_metric "$work/a.csv" errors 0
    expect_metric "$work/a.csv" reply_connect_continue 200
    [ -n "$(metric "$work/a.csv" server_rss_kb)" ] || fail "no server stats"
    daemon_stop "${pids[0]}"
    pids=()
    "$null" -p "unix:$work/null2.sock" -s connect,mail,rcpt & pids+=($!)
    wait_sock "$work/null2.sock" "${pids[0]}"
    "$gen" --socket "unix:$work/null2.sock" --sessions 100 --concurrency 8 \
        --idle 20 --mail sender.test --rcpt rcpt.test --auth-ratio 0.5 \
        --expect-inside continue --expect-outside continue --csv \
        --log "$work/sessions.log" >"$work/b.csv" || fail "MAIL/RCPT run"
    expect_metric "$work/b.csv" reply_mail_continue 100
    expect_metric "$work/b.csv" reply_rcpt_continue 100
    expect_metric "$work/b.csv" idle 20
    expect_metric "$work/b.csv" idle_dropped 0
    [ "$(wc -l <"$work/sessions.log")" -eq 100 ] || fail "session log lines"
    ;;
selftest)
    gen=$1 null=$2
    # A wrong expectation must fail the run, with every session counted.
    "$null" -p "unix:$work/null.sock" & pids+=($!)
    wait_sock "$work/null.sock" "${pids[0]}"
    "$gen" --socket "unix:$work/null.sock" --sessions 50 --hit-ratio 0 \
        --expect-outside reject --csv --quiet >"$work/m.csv" 2>/dev/null
    rc=$?
    [ "$rc" = 1 ] || fail "mismatching run exited $rc, want 1"
    expect_metric "$work/m.csv" mismatches 50
    # Nothing listening: exit 69 (EX_UNAVAILABLE), at once.
    "$gen" --socket "unix:$work/none.sock" --sessions 5 --quiet 2>/dev/null
    rc=$?
    [ "$rc" = 69 ] || fail "missing socket exited $rc, want 69"
    # Bad flag: 64.
    "$gen" --socket "unix:$work/null.sock" --sessions x 2>/dev/null
    rc=$?
    [ "$rc" = 64 ] || fail "bad flag exited $rc, want 64"
    # Not loopback: refused as usage error.
    "$gen" --socket "inet:25@192.0.2.1" 2>/dev/null
    rc=$?
    [ "$rc" = 64 ] || fail "non-loopback socket exited $rc, want 64"
    # A milter that negotiates, then stalls: every session times out and
    # the run ends in bounded time with exit 1.
    /usr/bin/python3 - "$work/stall.sock" <<'EOF' & pids+=($!)
import socket, struct, sys, threading, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
def serve(c):
    try:
        c.recv(4096)  # OPTNEG: answer it, then say nothing more
        c.sendall(struct.pack(">IcIII", 13, b"O", 6, 0, 0))
        time.sleep(60)
    except OSError:
        pass
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
    wait_sock "$work/stall.sock" "${pids[1]}"
    start=$(date +%s)
    "$gen" --socket "unix:$work/stall.sock" --sessions 4 --concurrency 4 \
        --timeout 300 --csv --quiet >"$work/s.csv" 2>/dev/null
    rc=$?
    took=$(($(date +%s) - start))
    [ "$rc" = 1 ] || fail "stalled milter: exit $rc, want 1"
    expect_metric "$work/s.csv" errors_timeout 4
    [ "$took" -le 5 ] || fail "stalled milter: run took ${took}s"
    ;;
pymilter)
    gen=$1 script=$2 conf=$3
    /usr/bin/python3 "$script" -c "$conf" -p "unix:$work/py.sock" \
        2>"$work/py.err" & pids+=($!)
    wait_sock "$work/py.sock" "${pids[0]}"
    "$gen" --socket "unix:$work/py.sock" --sessions 200 --concurrency 4 \
        --expect-inside accept --expect-outside reject --csv \
        >"$work/p.csv" || fail "pymilter run"
    expect_metric "$work/p.csv" sessions_ok 200
    # Port 587 is not in scope.ports: accepted whoever connects.
    "$gen" --socket "unix:$work/py.sock" --sessions 20 --port 587 \
        --expect-inside accept --expect-outside accept --quiet ||
        fail "pymilter port 587"
    ;;
lockdown)
    gen=$1 daemon=$2 etc=$3
    "$daemon" -c "$etc/lockdown.yaml" -f -p "unix:$work/ld.sock" \
        2>"$work/ld.err" & pids+=($!)
    wait_sock "$work/ld.sock" "${pids[0]}"
    "$gen" --socket "unix:$work/ld.sock" --sessions 200 --concurrency 4 \
        --expect-inside accept,continue --expect-outside reject --csv \
        >"$work/l.csv" || { cat "$work/ld.err" >&2; fail "lockdown run"; }
    expect_metric "$work/l.csv" sessions_ok 200
    "$gen" --socket "unix:$work/ld.sock" --sessions 20 --port 587 \
        --expect-inside accept,continue --expect-outside accept,continue \
        --quiet || fail "lockdown port 587"
    daemon_stop "${pids[0]}"
    rc=$?
    pids=()
    [ "$rc" -eq 0 ] || fail "lockdown-milter exit status on SIGTERM: got '$rc', want '0'"
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac
echo "ok: $mode"
