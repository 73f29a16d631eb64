#!/bin/bash
# startup.sh - lockdown-milter start-up and refusals, exit codes (sysexits)
# and messages: a broken config never opens the socket, a file that is not
# a socket is never removed, a live socket is never stolen, privileges are
# dropped, -n checks, the daemon leaves the terminal without -f.
#
# usage: startup.sh DAEMON SOURCE_DIR [POLL_FOREVER_SO]
set -u
daemon=$1
top=$2
poll_forever=${3:-}
# shellcheck source=../lib/milter.sh
. "$top/tests/lib/milter.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ldm-startup.XXXXXX")
pass=0
failed=0
pids=()

cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    if [ "$failed" -eq 0 ]; then
        rm -rf "$tmp"
    else
        echo "files kept in $tmp"
    fi
}
trap cleanup EXIT

ok() {
    pass=$((pass + 1))
    echo "ok   $*"
}
bad() {
    failed=$((failed + 1))
    echo "FAIL $*"
}

# expect_exit NAME WANT_RC WANT_TEXT CMD...: run CMD, check its exit code
# and that its stderr contains WANT_TEXT.
expect_exit() {
    local name=$1 want=$2 text=$3
    shift 3
    local out rc
    out=$("$@" 2>&1 </dev/null)
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "$name: got exit $rc, want $want; output: $out"
    elif ! grep -F -q -- "$text" <<<"$out"; then
        bad "$name: output lacks \"$text\": $out"
    else
        ok "$name (exit $rc)"
    fi
}

wait_for() {
    local i
    for i in $(seq 1 100); do
        eval "$1" && return 0
        sleep 0.1
    done
    return 1
}

cp -r "$top/etc/providers" "$tmp/providers"
sed 's#^  socket: .*#  socket: "unix:'"$tmp"'/default.sock"#' \
    "$top/etc/lockdown.yaml" >"$tmp/good.yaml"
printf 'mode: enforce\nproviders_dir: providers\nproviders:\n  mailroute: maybe\n' \
    >"$tmp/bad.yaml"
sed 's/^  socket_mode: .*/  socket_mode: "0666"/' "$tmp/good.yaml" \
    >"$tmp/worldwritable.yaml"

# --- usage and checks
expect_exit "-V" 0 "lockdown-milter " "$daemon" -V
expect_exit "unknown option" 64 "unknown option -x" "$daemon" -x
expect_exit "missing value" 64 "option -c needs a value" "$daemon" -c
expect_exit "extra argument" 64 "unexpected argument \"extra\"" \
    "$daemon" -n -c "$tmp/good.yaml" extra
expect_exit "-n good config" 0 \
    "$tmp/good.yaml: OK: 1 provider enabled (mailroute), 1 trusted entry, socket unix:$tmp/default.sock" \
    "$daemon" -n -c "$tmp/good.yaml"
expect_exit "-n shipped config" 0 "OK: 1 provider enabled (mailroute)" \
    "$daemon" -n -c "$top/etc/lockdown.yaml"
expect_exit "-n bad config" 78 "$tmp/bad.yaml:4:14: " \
    "$daemon" -n -c "$tmp/bad.yaml"
expect_exit "-n missing config" 78 "$tmp/none.yaml" \
    "$daemon" -n -c "$tmp/none.yaml"
expect_exit "-n bad -p" 64 \
    "-p: socket \"inet:65536@127.0.0.1\": port \"65536\" out of range 1-65535" \
    "$daemon" -n -c "$tmp/good.yaml" -p inet:65536@127.0.0.1
expect_exit "-n relative -p" 64 "must be absolute" \
    "$daemon" -n -c "$tmp/good.yaml" -p unix:relative.sock
expect_exit "-n world-writable socket mode" 78 "daemon.socket_mode: \"0666\"" \
    "$daemon" -n -c "$tmp/worldwritable.yaml"
expect_exit "-n unknown user" 67 "-u: user \"no-such-user-ldm\": no such user" \
    "$daemon" -n -c "$tmp/good.yaml" -u no-such-user-ldm
expect_exit "-n unknown group" 67 "group \"no-such-group-ldm\"" \
    "$daemon" -n -c "$tmp/good.yaml" -u "root:no-such-group-ldm"

# --- a broken config never opens the socket
expect_exit "start with bad config" 78 "refusing to start" \
    "$daemon" -f -c "$tmp/bad.yaml" -p "unix:$tmp/bad.sock"
if [ -e "$tmp/bad.sock" ]; then
    bad "socket created despite the bad config"
else
    ok "no socket for a bad config"
fi

# --- never remove what is not a socket
echo "precious" >"$tmp/file.sock"
expect_exit "regular file at the socket path" 73 \
    "$tmp/file.sock exists and is not a socket: refusing to remove it" \
    "$daemon" -f -c "$tmp/good.yaml" -p "unix:$tmp/file.sock"
if [ "$(cat "$tmp/file.sock")" = precious ]; then
    ok "regular file left intact"
else
    bad "regular file changed"
fi
ln -s "$tmp/file.sock" "$tmp/link.sock"
expect_exit "symlink at the socket path" 73 "is not a socket" \
    "$daemon" -f -c "$tmp/good.yaml" -p "unix:$tmp/link.sock"
expect_exit "missing socket directory" 73 \
    "socket directory $tmp/nodir does not exist" \
    "$daemon" -f -c "$tmp/good.yaml" -p "unix:$tmp/nodir/m.sock"

# --- a stale socket (nobody listening) is replaced
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
    "$tmp/stale.sock"
"$daemon" -f -c "$tmp/good.yaml" -p "unix:$tmp/stale.sock" 2>"$tmp/stale.log" &
p=$!
pids+=("$p")
if wait_for "grep -q starting '$tmp/stale.log'" &&
    grep -q "removed stale socket $tmp/stale.sock" "$tmp/stale.log"; then
    ok "stale socket replaced"
else
    bad "stale socket: $(cat "$tmp/stale.log")"
fi
if grep -q "running as root: no user configured" "$tmp/stale.log" ||
    [ "$(id -u)" != 0 ]; then
    ok "warning when running as root without a user"
else
    bad "no root warning: $(cat "$tmp/stale.log")"
fi

# --- a live socket is never stolen
expect_exit "socket in use" 73 "is in use: another milter is listening" \
    "$daemon" -f -c "$tmp/good.yaml" -p "unix:$tmp/stale.sock"
if kill -0 "$p" 2>/dev/null && [ -S "$tmp/stale.sock" ]; then
    ok "first daemon still serving"
else
    bad "first daemon lost its socket"
fi
daemon_stop "$p"
rc=$?
[ "$rc" -eq 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"

# --- SIGTERM does not wait for libmilter's listener. The listener sees a
# stop request only when its poll() returns (5 s timeout, or a
# connection); with poll_forever preloaded it never returns, so a daemon
# that waits for it never exits: the limit below is not a timing bound.
# ASan's runtime must not object to the preloaded module.
if [ -n "$poll_forever" ] && [ -f "$poll_forever" ]; then
    for s in TERM INT HUP; do
        LD_PRELOAD=$poll_forever ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
            "$daemon" -f -c "$tmp/good.yaml" -p "unix:$tmp/prompt.sock" \
            2>"$tmp/prompt-$s.log" &
        p=$!
        pids+=("$p")
        if ! wait_for "grep -q starting '$tmp/prompt-$s.log'"; then
            bad "SIG$s with a listener that never wakes: no start: $(cat "$tmp/prompt-$s.log")"
            continue
        fi
        daemon_stop "$p" "${LOCKDOWN_TEST_PATIENCE:-30}" "$s"
        rc=$?
        if [ "$rc" -eq 0 ] && grep -q "stopping on SIG$s" "$tmp/prompt-$s.log" &&
            [ ! -e "$tmp/prompt.sock" ]; then
            ok "SIG$s with a listener that never wakes: exit 0, socket removed"
        else
            bad "SIG$s with a listener that never wakes: got exit $rc, want 0: $(cat "$tmp/prompt-$s.log")"
        fi
    done
else
    echo "skip prompt SIGTERM (no poll_forever module given)"
fi

# --- SIGHUP stops the milter (as libmilter does): reload is SIGUSR1
"$daemon" -f -c "$tmp/good.yaml" -p "unix:$tmp/hup.sock" 2>"$tmp/hup.log" &
p=$!
pids+=("$p")
wait_for "grep -q starting '$tmp/hup.log'"
daemon_stop "$p" "" HUP
rc=$?
if [ "$rc" -eq 0 ] && grep -q stopping "$tmp/hup.log"; then
    ok "SIGHUP stops cleanly"
else
    bad "SIGHUP: exit $rc: $(cat "$tmp/hup.log")"
fi

# --- root drops to the configured user; socket owner and mode applied
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    group=$(id -gn nobody)
    chmod 755 "$tmp"
    mkdir -m 1777 "$tmp/shared"
    sed -e 's#^\# socket_owner: .*#  socket_owner: "nobody:'"$group"'"#' \
        -e 's#^\# user: .*#  user: nobody#' "$tmp/good.yaml" >"$tmp/user.yaml"
    "$daemon" -f -c "$tmp/user.yaml" -p "unix:$tmp/shared/u.sock" \
        -P "$tmp/shared/u.pid" 2>"$tmp/user.log" &
    p=$!
    pids+=("$p")
    if wait_for "grep -q starting '$tmp/user.log'"; then
        uid=$(awk '/^Uid:/ {print $2 "/" $3 "/" $4 "/" $5}' "/proc/$p/status")
        want=$(id -u nobody)
        if [ "$uid" = "$want/$want/$want/$want" ]; then
            ok "running as nobody (uid $uid)"
        else
            bad "uids $uid, want $want"
        fi
        groups=$(awk '/^Groups:/ {$1=""; print}' "/proc/$p/status")
        if grep -qw 0 <<<"$groups"; then
            bad "still in group root: $groups"
        else
            ok "supplementary groups dropped ($groups)"
        fi
        owner=$(stat -c '%U:%G %a' "$tmp/shared/u.sock")
        if [ "$owner" = "nobody:$group 660" ]; then
            ok "socket nobody:$group 0660"
        else
            bad "socket is $owner"
        fi
        grep -q "running as user nobody" "$tmp/user.log" &&
            ok "drop logged" || bad "drop not logged"
    else
        bad "daemon as nobody did not start: $(cat "$tmp/user.log")"
    fi
    daemon_stop "$p"
    rc=$?
    [ "$rc" -eq 0 ] && ok "nobody: exit 0" || bad "nobody: exit $rc"
    [ ! -e "$tmp/shared/u.pid" ] && ok "pidfile removed" ||
        bad "pidfile left"
else
    echo "skip privilege drop (not root or no user nobody)"
fi

# --- without -f: leaves the terminal, pidfile names the daemon
"$daemon" -c "$tmp/good.yaml" -p "unix:$tmp/bg.sock" -P "$tmp/bg.pid" \
    >"$tmp/bg.out" 2>&1
rc=$?
# The parent waits for the daemon to be ready: socket and pidfile exist as
# soon as the command returns.
if [ "$rc" -eq 0 ] && [ -s "$tmp/bg.pid" ] && [ -S "$tmp/bg.sock" ]; then
    p=$(cat "$tmp/bg.pid")
    pids+=("$p")
    sid=$(ps -o sid= -p "$p" | tr -d ' ')
    cwd=$(readlink "/proc/$p/cwd")
    fd0=$(readlink "/proc/$p/fd/0")
    if [ "$cwd" = / ] && [ "$fd0" = /dev/null ] && [ "$sid" != "$$" ]; then
        ok "daemonized (pid $p, cwd /, stdin /dev/null)"
    else
        bad "daemon state: cwd=$cwd stdin=$fd0 sid=$sid"
    fi
    daemon_stop "$p" && ok "background daemon stopped" ||
        bad "background daemon still running"
    [ ! -e "$tmp/bg.pid" ] && ok "pidfile removed" || bad "pidfile left"
else
    bad "background start: exit $rc: $(cat "$tmp/bg.out")"
fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
