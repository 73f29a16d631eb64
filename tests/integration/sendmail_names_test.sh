#!/bin/bash
# sendmail_names_test.sh SCENARIO - provider host names through a real
# Debian sendmail 8.17 (tests/lib/sendmail.sh), which resolves its clients
# itself: each client binds to a loopback alias, and the namespace's
# private hosts file names the aliases. Sendmail sets {client_resolve} OK
# when the name forward-confirms, FORGED when the name's addresses do not
# include the client's; only with OK is {client_name} the name (otherwise
# Sendmail hands the bracketed address, and the PTR name only as
# {client_ptr}). Verdicts are read from SMTP reply codes and the milter's
# decision line; lockdownctl check on the same config must give the same
# verdict word.
#
# Scenarios: names (a forward-confirmed name under *.mailroute.net from an
# outsider alias gets the 4xx drift reply, also written with a trailing
# dot; a FORGED one, a confirmed name that does not match, and no name at
# all get 554), names-monitor (the same, only logged).
#
# Sendmail listens on 127.0.0.1:25 (locked by the config's scope) and
# 127.0.0.1:587 (not locked), in the test's own network namespace.
set -u
# shellcheck disable=SC2034 # T_DESC and friends are read by common.sh
. "$(dirname "$0")/common.sh"
. "$T_SRC/tests/lib/sendmail.sh"
T_CACHE=${LOCKDOWN_SM_CACHE:-$T_SRC/build/tests/integration/sendmail-cache}
if [ "${LOCKDOWN_IN_NS:-}" != 1 ]; then
    # Before entering the namespaces: in there, there is no network at all.
    [ "$(id -u)" = 0 ] || t_skip "needs root"
    sm_fetch "$T_CACHE" || { echo "cannot fetch sendmail's packages (apt-get download)" >&2; exit 1; }
fi
t_enter_ns "$@"

SCENARIO=${1:?usage: sendmail_names_test.sh names|names-monitor}
T_CTL=${LOCKDOWN_CTL:-$T_SRC/build/ctl/lockdownctl}
LOCKED=25
OPEN=587
LOCAL_RCPT=postmaster@example.test
DRIFT_TEXT="Provider server not in the lockdown ranges, try again later"
REFUSE_TEXT="Mail must arrive through the filtering service"

# The aliases and their names. CONFIRMED's name resolves back to it, and
# so does DOTTED's, written with a trailing dot in the hosts file; FORGED's
# name resolves to FORGED_TO only (see names_setup); OTHER's name is
# confirmed but matches no profile; NONAME has no name at all.
CONFIRMED=127.0.0.51 CONFIRMED_NAME=mx1.mailroute.net
FORGED=127.0.0.52 FORGED_NAME=forged.mailroute.net FORGED_TO=127.0.0.99
OTHER=127.0.0.53 OTHER_NAME=mx.example.net
NONAME=127.0.0.54
DOTTED=127.0.0.55 DOTTED_NAME=mx2.mailroute.net.

t_init "sendmail-$SCENARIO"
[ -x "$T_CTL" ] || { echo "no lockdownctl binary at $T_CTL (LOCKDOWN_CTL)" >&2; exit 1; }

# The names, in both hosts files sendmail may read: the system one (the
# private /etc/hosts of sm_ns_setup, for its address and name lookups) and
# its own confHOSTS_FILE. The forward entry of FORGED_NAME comes first, and
# the resolver returns only the first match ("multi off", in a private
# host.conf): FORGED_NAME resolves to FORGED_TO alone, while FORGED's
# reverse lookup still gives FORGED_NAME.
names_setup() {
    local f entries
    entries="$FORGED_TO $FORGED_NAME
$FORGED $FORGED_NAME
$CONFIRMED $CONFIRMED_NAME
$OTHER $OTHER_NAME
$DOTTED $DOTTED_NAME"
    for f in "$T_DIR/ns/hosts" "$T_DIR/sm/etc/hosts"; do
        printf '%s\n' "$entries" >>"$f" || return
    done
    printf 'multi off\n' >"$T_DIR/ns/host.conf" || return
    mount --bind "$T_DIR/ns/host.conf" /etc/host.conf ||
        { echo "cannot bind-mount /etc/host.conf" >&2; return 1; }
    # The premise, as the system resolver sees it (gethostbyname, as
    # sendmail; getaddrinfo's AI_ADDRCONFIG finds no address in a namespace
    # that has only lo).
    expect_eq "resolver: reverse of $CONFIRMED" "$(resolve_addr "$CONFIRMED")" "$CONFIRMED_NAME"
    expect_eq "resolver: forward of $CONFIRMED_NAME" "$(resolve_name "$CONFIRMED_NAME")" "$CONFIRMED"
    expect_eq "resolver: reverse of $FORGED" "$(resolve_addr "$FORGED")" "$FORGED_NAME"
    expect_eq "resolver: forward of $FORGED_NAME" "$(resolve_name "$FORGED_NAME")" "$FORGED_TO"
}

resolve_addr() {
    perl -MSocket -e 'print scalar(gethostbyaddr(inet_aton($ARGV[0]), AF_INET)) // "none"' "$1"
}
resolve_name() {
    perl -MSocket -e 'my @h = gethostbyname($ARGV[0]); print @h ? join(" ", map { inet_ntoa($_) } @h[4 .. $#h]) : "none"' "$1"
}

# expect_sm_log DESC ERE: sendmail's log has a line matching ERE (it is
# written by the session's own process: allow it a moment).
expect_sm_log() {
    local desc=$1 re=$2 line
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        line=$(grep -E -- "$re" "$T_DIR/sm/sendmail.log" | tail -n 1)
        [ -n "$line" ] && break
        sleep 0.2
    done
    if [ -n "$line" ]; then
        t_result 1 "$T_DESC: sendmail log $desc" "$line" "$re"
    else
        t_result 0 "$T_DESC: sendmail log $desc" "nothing matching" "$re"
    fi
}

# sm DESC FROM-ADDR PORT [client args]
sm() {
    local desc=$1 addr=$2 port=$3
    shift 3
    smtp "$desc" --server "127.0.0.1:$port" --local "$addr" --to "$LOCAL_RCPT" "$@"
}

# verdict_of ERE...: the verdict word of the last milter log line written
# since the last session that matches every ERE; "none" when none does.
verdict_of() {
    local lines re
    lines=$(tail -n +"$((T_LOGMARK + 1))" "$T_MLOG")
    for re in "$@"; do
        lines=$(grep -E -- "$re" <<<"$lines")
    done
    lines=$(tail -n 1 <<<"$lines")
    if [[ $lines =~ verdict=([a-z-]+) ]]; then
        echo "${BASH_REMATCH[1]}"
    else
        echo none
    fi
}

# ctl_agrees DAEMON-VERDICT CHECK-ARGS...
ctl_agrees() {
    local want=$1 out
    shift
    out=$("$T_CTL" -c "$T_CONF" check "$@" 2>&1)
    expect_eq "$T_DESC: lockdownctl check $* agrees with the daemon" "${out%% *}" "$want"
}

re_connect() {
    echo "$(re_addr "$1") stage=connect port=$LOCKED "
}

# The milter's refusals at connect: sendmail drops the milter's text there
# (the text is in the milter's log). A 5xx greets the client with "554
# ... not accepting messages", a 4xx leaves the greeting alone and answers
# the commands with 4xx; either way nothing is accepted.
scenario_names() {
    start_all sendmail-names.yaml

    drift "forward-confirmed matching name, outsider address" "$CONFIRMED" "$CONFIRMED_NAME"
    expect_sm_log "resolved, not forged" "connect from ${CONFIRMED_NAME//./\\.} \\[${CONFIRMED//./\\.}\\]\$"
    drift "forward-confirmed matching name with a trailing dot" "$DOTTED" "$DOTTED_NAME"

    refused "FORGED matching name" "$FORGED"
    expect_sm_log "may be forged" "connect from ${FORGED_NAME//./\\.} \\[${FORGED//./\\.}\\] \\(may be forged\\)"
    expect_log "host name handed to the milter is the bracketed address" \
        "^[^ ]+ [^ ]+ \\[${FORGED//./\\.}\\] $(re_connect "$FORGED")"
    refused "forward-confirmed name that does not match" "$OTHER" --name "$OTHER_NAME"
    refused "no name at all" "$NONAME"

    sm "provider in its range" 127.0.0.9 "$LOCKED" --data
    expect_code banner 220
    expect_code rcpt 250
    expect_code message 250
    expect_log "accepted" "$(re_connect 127.0.0.9)verdict=accept reason=provider entry=loopfilter( |$)"

    sm "forward-confirmed matching name on the unlocked port $OPEN" "$CONFIRMED" "$OPEN" --data
    expect_code banner 220
    expect_code rcpt 250
    expect_code message 250
    expect_log "port not locked" "$(re_addr "$CONFIRMED") stage=connect port=$OPEN verdict=accept reason=port-not-locked"
}

# drift DESC ADDR NAME: the drift reply (4xx), nothing accepted, the
# warning names the profile and the host.
drift() {
    local desc=$1 addr=$2 name=$3
    sm "$desc" "$addr" "$LOCKED" --data
    expect_code banner 220
    expect_code mail 4*
    expect_nothing_accepted
    expect_log "tempfail naming profile and host" \
        "$(re_connect "$addr")verdict=tempfail reason=provider-name-unlisted entry=mailroute name=${name//./\\.}( |$)" \
        "reply=\"451 4\\.7\\.1 $DRIFT_TEXT\""
    ctl_agrees "$(verdict_of "$(re_connect "$addr")")" "$addr" --port "$LOCKED" --name "$name"
}

# refused DESC ADDR [CHECK-ARGS]: 554 at connect, logged as not-listed
# with no profile and no name.
refused() {
    local desc=$1 addr=$2
    shift 2
    sm "$desc" "$addr" "$LOCKED" --data
    expect_code banner 554
    expect_text banner "not accepting messages"
    expect_code mail 5*
    expect_nothing_accepted
    expect_log "reject, no drift" "$(re_connect "$addr")verdict=reject reason=not-listed entry=-" \
        "reply=\"554 5\\.7\\.1 $REFUSE_TEXT\""
    if grep -E -- "$(re_addr "$addr") .*name=" <(tail -n +"$((T_LOGMARK + 1))" "$T_MLOG") >/dev/null; then
        t_result 0 "$T_DESC: log names no host" "a name= field" "none"
    else
        t_result 1 "$T_DESC: log names no host" "none" "none"
    fi
    ctl_agrees "$(verdict_of "$(re_connect "$addr")")" "$addr" --port "$LOCKED" "$@"
}

scenario_names-monitor() {
    local line desc addr args
    start_all sendmail-names-monitor.yaml
    sm "forward-confirmed matching name, monitor mode" "$CONFIRMED" "$LOCKED" --data
    expect_code banner 220
    expect_code mail 250
    expect_code rcpt 250
    expect_code message 250
    expect_log "would-tempfail naming profile and host" \
        "$(re_connect "$CONFIRMED")verdict=would-tempfail reason=provider-name-unlisted entry=mailroute name=$CONFIRMED_NAME( |$)"
    ctl_agrees "$(verdict_of "$(re_connect "$CONFIRMED")")" "$CONFIRMED" --port "$LOCKED" --name "$CONFIRMED_NAME"
    for line in "FORGED matching name|$FORGED|" \
        "forward-confirmed name that does not match|$OTHER|--name $OTHER_NAME"; do
        IFS='|' read -r desc addr args <<<"$line"
        sm "$desc, monitor mode" "$addr" "$LOCKED"
        expect_code banner 220
        expect_code rcpt 250
        expect_log "would-reject" "$(re_connect "$addr")verdict=would-reject reason=not-listed entry=-"
        # shellcheck disable=SC2086 # args is a word list
        ctl_agrees "$(verdict_of "$(re_connect "$addr")")" "$addr" --port "$LOCKED" $args
    done
    if grep -E 'verdict=(reject|tempfail)' "$T_MLOG" >/dev/null; then
        t_result 0 "monitor mode refused nothing" "$(grep -E 'verdict=(reject|tempfail)' "$T_MLOG" | head -n 1)" "no verdict=reject/tempfail"
    else
        t_result 1 "monitor mode refused nothing" "no verdict=reject/tempfail" "no verdict=reject/tempfail"
    fi
}

start_all() {
    t_conf "$1" || exit 1
    sm_ns_setup "$T_DIR" || exit 1
    milter_start || exit 1
    sm_init "$T_DIR/sm" "$T_CACHE" "$LOCKED" "$OPEN" || exit 1
    names_setup || exit 1
    sm_milter "$T_DIR/sm" "unix:$T_SOCK" || exit 1
    t_on_exit sm_stop "$T_DIR/sm"
    t_on_exit 'echo "---- sendmail log: $T_DIR/sm/sendmail.log"'
    sm_start "$T_DIR/sm" || exit 1
}

case "$SCENARIO" in
    names | names-monitor) "scenario_$SCENARIO" ;;
    *)
        echo "unknown scenario '$SCENARIO'" >&2
        exit 64
        ;;
esac
t_done
