#!/bin/bash
# run-case.sh - run one miltertest case against the real lockdown-milter.
#
# usage: run-case.sh DAEMON SOURCE_DIR CASE.lua
#
# Starts the daemon in the foreground (-f) on a unix socket in a fresh temp
# dir, with the config named by the case's "-- config: NAME" line
# (tests/milter/configs/NAME, the shipped provider profiles beside it, and
# the test-only ones in configs/NAME-without-.yaml.providers/) and a
# pidfile; runs miltertest on the case; stops the daemon with SIGTERM; then
# checks: miltertest passed, the daemon exited 0, the pidfile held its pid
# and is gone, every "-- expect-log: LINE" is a whole line of the daemon log
# (after the "TIME lockdown-milter[PID]: " prefix) and no "-- forbid-log:
# TEXT" appears in it.
#
# LOCKDOWN_MILTER_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") is put
# in front of the daemon; sanitizer reports in its log fail the case.
set -u

daemon=$1
top=$2
case_file=$3
here=$top/tests/milter
# shellcheck source=../lib/milter.sh
. "$top/tests/lib/milter.sh"
name=$(basename "$case_file" .lua)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ldm-$name.XXXXXX")
dpid=
failures=0

cleanup() {
    if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
        kill -KILL "$dpid" 2>/dev/null
        wait "$dpid" 2>/dev/null
    fi
    if [ "$failures" -eq 0 ] && [ -z "${LOCKDOWN_KEEP:-}" ]; then
        rm -rf "$tmp"
    else
        echo "run-case: files kept in $tmp"
    fi
}
trap cleanup EXIT

fail() {
    echo "FAIL $name: $*"
    failures=$((failures + 1))
}

config=$(sed -n 's/^-- config: *//p' "$case_file" | head -n1)
if [ -z "$config" ] || [ ! -f "$here/configs/$config" ]; then
    echo "FAIL $name: no usable \"-- config:\" line"
    failures=1
    exit 1
fi
cp -r "$top/etc/providers" "$tmp/providers"
# A config's own test-only profiles, if any: configs/NAME.providers/.
if [ -d "$here/configs/${config%.yaml}.providers" ]; then
    cp "$here/configs/${config%.yaml}.providers"/*.yaml "$tmp/providers/"
fi
cp "$here/configs/$config" "$tmp/lockdown.yaml"
sock=$tmp/milter.sock
log=$tmp/daemon.log
pidfile=$tmp/milter.pid

# shellcheck disable=SC2086
${LOCKDOWN_MILTER_WRAPPER:-} "$daemon" -f -c "$tmp/lockdown.yaml" \
    -p "unix:$sock" -P "$pidfile" 2>"$log" &
dpid=$!

# Valgrind starts slowly: wait up to 60 s for the socket and the pidfile.
for _ in $(seq 1 600); do
    [ -S "$sock" ] && [ -s "$pidfile" ] && break
    if ! kill -0 "$dpid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ ! -S "$sock" ]; then
    fail "daemon did not create $sock"
    cat "$log"
    exit 1
fi
if [ "$(cat "$pidfile")" != "$dpid" ]; then
    fail "pidfile holds \"$(cat "$pidfile")\", want $dpid"
fi
if [ "$(stat -c %a "$sock")" != 660 ]; then
    fail "socket mode $(stat -c %a "$sock"), want 660"
fi

miltertest -s "$case_file" -D sock="unix:$sock" -D pid="$dpid" \
    -D dir="$tmp" -D log="$log" -D src="$here"
mrc=$?
[ "$mrc" -eq 0 ] || fail "miltertest exited $mrc"

daemon_stop "$dpid"
drc=$?
dpid=
[ "$drc" -eq 0 ] || fail "daemon exited $drc after SIGTERM, want 0"
[ ! -e "$pidfile" ] || fail "pidfile $pidfile left behind"
[ ! -e "$sock" ] || fail "socket $sock left behind"

# The log without its "TIME lockdown-milter[PID]: " prefix.
messages=$tmp/messages
sed -n 's/^[^ ]* lockdown-milter\[[0-9]*\]: //p' "$log" >"$messages"

while IFS= read -r want; do
    grep -F -x -q -- "$want" "$messages" || fail "log lacks line: $want"
done < <(sed -n 's/^-- expect-log: //p' "$case_file")
while IFS= read -r bad; do
    ! grep -F -q -- "$bad" "$messages" || fail "log has forbidden: $bad"
done < <(sed -n 's/^-- forbid-log: //p' "$case_file")
for bad in "ERROR: AddressSanitizer" "ERROR: LeakSanitizer" \
    "runtime error:" "internal error at connect" "stopping" ; do
    if [ "$bad" = stopping ]; then
        grep -F -x -q "stopping on SIGTERM" "$messages" ||
            fail "log lacks line: stopping on SIGTERM"
        continue
    fi
    ! grep -F -q -- "$bad" "$log" || fail "daemon log has: $bad"
done

if [ "$failures" -ne 0 ]; then
    echo "--- daemon log ($log)"
    cat "$log"
    exit 1
fi
echo "PASS $name"
exit 0
