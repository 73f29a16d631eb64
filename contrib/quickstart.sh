#!/bin/bash
# quickstart.sh - see lockdown-milter work, on a fresh Debian 12 machine, as
# root, from a clone of the repository:
#
#   bash contrib/quickstart.sh
#
# It installs what is needed (contrib/deps.sh), builds (build/), starts
# lockdown-milter with the SHIPPED configuration (etc/lockdown.yaml: MailRoute
# enabled, loopback trusted, port 25 locked) in front of a private Postfix
# listening on 127.0.0.1:25, and shows two SMTP sessions: a MailRoute address
# accepted and an outsider refused. Clients present those addresses with
# Postfix's XCLIENT; no traffic leaves loopback. Everything runs in a private
# network namespace (only lo, so port 25 never collides with a real MTA) and
# a private mount namespace (the host's /etc/postfix is never touched).
#
# Then it keeps running until Ctrl-C, SIGTERM or SIGHUP (also without a
# terminal), prints how to try more sessions, and cleans up on the way out.
# LOCKDOWN_BUILD_DIR=dir builds elsewhere than build/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${LOCKDOWN_BUILD_DIR:-build}
case "$build" in /*) ;; *) build=$top/$build ;; esac

if [ "${LOCKDOWN_QUICKSTART_INNER:-}" != 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "quickstart: run as root (it installs packages and starts Postfix)" >&2
        exit 77
    fi
    cd "$top"
    echo "=== installing packages (contrib/deps.sh)"
    bash contrib/deps.sh
    echo "=== building ($build)"
    cmake -S . -B "$build" >/dev/null
    cmake --build "$build" -j"$(nproc)" --target lockdown-milter lockdownctl >/dev/null
    echo "=== checking the shipped configuration"
    "$build/milter/lockdown-milter" -n -c etc/lockdown.yaml
    # A directory the postfix user can reach (a clone under /root cannot
    # be), removed at the end.
    run=$(mktemp -d /tmp/lockdown-quickstart.XXXXXX)
    chmod 755 "$run"
    export LOCKDOWN_QUICKSTART_INNER=1 LOCKDOWN_QUICKSTART_RUN=$run LOCKDOWN_BUILD_DIR=$build
    # exec: the process the user sees (and may signal) is the one that
    # cleans up.
    exec unshare --net --mount -- "$BASH" "$0" "$@"
fi

# ---- inside the private network and mount namespaces
run=$LOCKDOWN_QUICKSTART_RUN
milter=$build/milter/lockdown-milter
config=$top/etc/lockdown.yaml
sock=$run/milter/lockdown-milter.sock
mlog=$run/milter.log
pf=$run/postfix
client="perl $top/tests/lib/smtp-client.pl"
. "$top/tests/lib/postfix.sh"

ip link set lo up
mpid=
spid=
status=0
cleanup() {
    trap - EXIT INT TERM HUP
    set +e
    echo
    echo "=== stopping"
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    pf_stop "$pf"
    if [ -n "$mpid" ]; then
        kill -TERM "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
    fi
    # Keep the logs where the build is; the rest goes.
    mkdir -p "$build/quickstart"
    cp "$mlog" "$build/quickstart/lockdown-milter.log" 2>/dev/null
    cp "$(pf_logfile "$pf")" "$build/quickstart/postfix.log" 2>/dev/null
    rm -rf "$run"
    echo "stopped; logs kept in $build/quickstart/"
}
trap cleanup EXIT
trap 'exit $status' INT TERM HUP

# The socket directory is setgid postfix: the socket (mode 0660 from the
# shipped config) then belongs to group postfix, so smtpd may connect.
mkdir -p "$run/milter"
chgrp postfix "$run/milter"
chmod 2750 "$run/milter"

echo "=== starting lockdown-milter -c $config -p unix:$sock"
"$milter" -f -c "$config" -p "unix:$sock" -P "$run/milter/lockdown-milter.pid" \
    </dev/null >"$mlog" 2>&1 &
mpid=$!
for _ in $(seq 1 100); do
    [ -S "$sock" ] && break
    kill -0 "$mpid" 2>/dev/null || { cat "$mlog" >&2; exit 1; }
    sleep 0.05
done
[ -S "$sock" ] || { echo "no milter socket after 5 s" >&2; cat "$mlog" >&2; exit 1; }

echo "=== starting a private Postfix on 127.0.0.1:25 (config in $pf/etc)"
pf_init "$pf" 25
pf_milter "$pf" "unix:$sock"
pf_start "$pf"

# show DESC ADDR WANT: one session via XCLIENT, the dialogue, the milter's
# verdict line, and whether it went as WANT (accepted/refused) says.
show() {
    local desc=$1 addr=$2 want=$3 tr=$run/session-$2.txt out got
    : >"$tr"
    out=$($client --server 127.0.0.1:25 --xclient "ADDR=$addr" \
        --to postmaster@example.test --data --transcript "$tr")
    echo
    echo "--- $desc: XCLIENT ADDR=$addr"
    # The dialogue, EHLO's feature list folded into its first line.
    awk '/^==/ { next }
         /^<- [0-9][0-9][0-9]-/ { if (!ml) print $0 " ..."; ml = 1; next }
         ml && /^<- [0-9][0-9][0-9] / { ml = 0; next }
         { print }' "$tr" | sed 's/^/    /'
    echo "    summary: $(head -n 1 <<<"$out")"
    if grep -q 'message=250' <<<"$out"; then got=accepted; else got=refused; fi
    echo "    milter:  $(grep -F "[$addr]: stage=" "$mlog" | tail -n 1 | sed 's/^.*\]: stage=/stage=/')"
    if [ "$got" = "$want" ]; then
        echo "    => $got, as expected"
    else
        echo "    => $got, but it should have been $want" >&2
        status=1
    fi
}

echo
echo "=== two SMTP sessions on 127.0.0.1:25"
show "a MailRoute server (199.89.0.0/21, enabled in etc/lockdown.yaml)" 199.89.0.10 accepted
show "an outsider (not listed anywhere)" 192.0.2.1 refused

cat <<EOF

=== running; logs:
    lockdown-milter: $mlog
    Postfix:         $(pf_logfile "$pf")
    (copied to $build/quickstart/ when this stops)
Try more sessions from another terminal (this network namespace only has lo).
A Postini address (Postini is disabled in the shipped config: refused):
    nsenter --net --target $$ perl $top/tests/lib/smtp-client.pl \\
        --server 127.0.0.1:25 --xclient 'ADDR=64.18.0.1' --to postmaster@example.test
Another MailRoute address, with swaks (accepted):
    nsenter --net --target $$ swaks --server 127.0.0.1:25 --xclient-addr 199.89.3.4 --to postmaster@example.test --quit-after RCPT
Reload after editing $config:  kill -USR1 $mpid
Press Ctrl-C (or send SIGTERM) to stop and clean up.
EOF
[ "$status" = 0 ] || echo "quickstart: the sessions did not go as expected, see above" >&2

# Wait for a signal; works without a terminal (e.g. under nohup or CI).
while :; do
    sleep 3600 &
    spid=$!
    wait "$spid" || true
    kill -0 "$mpid" 2>/dev/null || { echo "lockdown-milter exited:" >&2; tail -n 5 "$mlog" >&2; exit 1; }
done
