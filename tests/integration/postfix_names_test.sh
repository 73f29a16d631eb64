#!/bin/bash
# postfix_names_test.sh SCENARIO - provider host names and per-domain
# locking, through a real, private Postfix on loopback (tests/lib/postfix.sh).
# XCLIENT presents the client: ADDR= its address, NAME= its verified host
# name (what Postfix hands milters as {client_name}), REVERSE_NAME= the
# unverified one ({client_ptr}, which the milter must ignore). Each verdict
# is read from the SMTP reply codes and the milter's decision line, and
# lockdownctl check on the same config must give the same verdict word.
#
# Scenarios: names (a matching name from an unlisted address gets the drift
# reply, 4xx; a name that does not match, an unverified name and a disabled
# profile's pattern get 554; IPv4 and IPv6), names-monitor (the same, only
# logged), domains (scope.domains: in one transaction an outsider's RCPT to
# a locked domain gets 554 and to an unlocked one 250; a provider passes
# both).
#
# Ports inside the test's own network namespace: 10025 is locked by the
# configs' scope, 10587 is a second smtpd listener that is not.
set -u
# shellcheck disable=SC2034 # T_DESC and friends are read by common.sh
. "$(dirname "$0")/common.sh"
t_enter_ns "$@"
. "$T_SRC/tests/lib/postfix.sh"

SCENARIO=${1:?usage: postfix_names_test.sh names|names-monitor|domains}
T_CTL=${LOCKDOWN_CTL:-$T_SRC/build/ctl/lockdownctl}
LOCKED=10025
OPEN=10587
REFUSE_TEXT="Mail must arrive through the filtering service"
DRIFT_TEXT="Provider server not in the lockdown ranges, try again later"
LOCAL_RCPT=postmaster@example.test

t_init "postfix-$SCENARIO"
[ -x "$T_CTL" ] || { echo "no lockdownctl binary at $T_CTL (LOCKDOWN_CTL)" >&2; exit 1; }

# pf DESC PORT XCLIENT-ATTRS [client args]
pf() {
    local desc=$1 port=$2 x=$3
    shift 3
    smtp "$desc" --server "127.0.0.1:$port" --xclient "$x" "$@"
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

# ctl_agrees DAEMON-VERDICT CHECK-ARGS...: lockdownctl check, on the config
# the daemon runs, gives the daemon's verdict word.
ctl_agrees() {
    local want=$1 out
    shift
    out=$("$T_CTL" -c "$T_CONF" check "$@" 2>&1)
    expect_eq "$T_DESC: lockdownctl check $* agrees with the daemon" "${out%% *}" "$want"
}

# Log regexps: the decision line for ADDR at the connect stage of the
# locked port.
re_connect() {
    echo "$(re_addr "$1") stage=connect port=$LOCKED "
}

# drift DESC ADDR XCLIENT-ADDR NAME: a matching verified name from an
# address in no range: 4xx (the drift reply), nothing accepted, a warning
# that names the profile and the host; never 5xx, never accepted.
drift() {
    local desc=$1 addr=$2 xaddr=$3 name=$4 lname
    lname=$(tr '[:upper:]' '[:lower:]' <<<"$name")
    pf "$desc" "$LOCKED" "ADDR=$xaddr NAME=$name" --to "$LOCAL_RCPT" --data
    # Postfix greets as usual after a connect-stage 4xx (unlike a 5xx) and
    # answers every later command with the milter's reply.
    expect_code xclient 220
    expect_code mail 451
    expect_text mail "$DRIFT_TEXT"
    expect_nothing_accepted
    expect_log "tempfail naming profile and host" \
        "$(re_connect "$addr")verdict=tempfail reason=provider-name-unlisted entry=mailroute name=($name|$lname)( |$)" \
        "reply=\"451 4\\.7\\.1 $DRIFT_TEXT\""
    ctl_agrees "$(verdict_of "$(re_connect "$addr")")" "$addr" --port "$LOCKED" --name "$name"
}

# refused DESC ADDR XCLIENT-ATTRS [CHECK-ARGS]: a 554 at connect (Postfix's
# own "not accepting connections" to XCLIENT, the configured text at MAIL),
# nothing accepted, logged as not-listed with no profile and no name.
refused() {
    local desc=$1 addr=$2 x=$3
    shift 3
    pf "$desc" "$LOCKED" "$x" --to "$LOCAL_RCPT" --data
    expect_code xclient 554
    expect_code mail 554
    expect_text mail "$REFUSE_TEXT"
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

start_all() {
    t_conf "$1" || exit 1
    milter_start || exit 1
    pf_init "$T_DIR/pf" "$LOCKED" || exit 1
    pf_listen "$T_DIR/pf" "$OPEN" -o syslog_name=postfix-test/submission || exit 1
    pf_milter "$T_DIR/pf" "unix:$T_SOCK" || exit 1
    # Postfix takes "XCLIENT ADDR=IPV6:..." only with IPv6 among its
    # protocols; it still listens on 127.0.0.1 alone (inet_interfaces).
    pf_set "$T_DIR/pf" "inet_protocols = all" || exit 1
    t_on_exit pf_stop "$T_DIR/pf"
    t_on_exit 'echo "---- postfix log: $(pf_logfile "$T_DIR/pf")"'
    pf_start "$T_DIR/pf" || exit 1
}

scenario_names() {
    start_all postfix-names.yaml
    drift "matching name, unlisted IPv4 address" 192.0.2.1 192.0.2.1 mx9.mailroute.net
    drift "matching name at depth, in capitals" 192.0.2.2 192.0.2.2 A.B.MailRoute.NET
    drift "matching name, unlisted IPv6 address" 2001:db8::5 IPV6:2001:db8::5 mx9.mailroute.net

    refused "name that does not match" 192.0.2.1 "ADDR=192.0.2.1 NAME=mx9.example.net" \
        --name mx9.example.net
    refused "the wildcard's own domain does not match" 192.0.2.1 "ADDR=192.0.2.1 NAME=mailroute.net" \
        --name mailroute.net
    refused "name that does not match, IPv6" 2001:db8::6 "ADDR=IPV6:2001:db8::6 NAME=mx9.example.net" \
        --name mx9.example.net
    # Postfix's {client_name} is "unknown" unless the name forward-confirms;
    # the PTR name it could not confirm ({client_ptr}) must not count.
    refused "NAME=unknown with a matching REVERSE_NAME" 192.0.2.3 \
        "ADDR=192.0.2.3 NAME=unknown REVERSE_NAME=mx9.mailroute.net"
    refused "NAME=[UNAVAILABLE] with a matching REVERSE_NAME" 192.0.2.3 \
        "ADDR=192.0.2.3 NAME=[UNAVAILABLE] REVERSE_NAME=mx9.mailroute.net"
    refused "a disabled profile's pattern" 192.0.2.4 "ADDR=192.0.2.4 NAME=mx.oldnames.test" \
        --name mx.oldnames.test

    # A name never stands in the way of a listed address, nor locks a port.
    pf "provider in its range, with its name" "$LOCKED" "ADDR=199.89.0.10 NAME=mx1.mailroute.net" \
        --to "$LOCAL_RCPT" --data
    expect_code xclient 220
    expect_code rcpt 250
    expect_code message 250
    expect_log "accepted as the provider" "$(re_connect 199.89.0.10)verdict=accept reason=provider entry=mailroute( |$)"
    ctl_agrees "$(verdict_of "$(re_connect 199.89.0.10)")" 199.89.0.10 --port "$LOCKED" --name mx1.mailroute.net
    pf "matching name on the unlocked port $OPEN" "$OPEN" "ADDR=192.0.2.1 NAME=mx9.mailroute.net" \
        --to "$LOCAL_RCPT" --data
    expect_code xclient 220
    expect_code rcpt 250
    expect_code message 250
    expect_log "port not locked" "$(re_addr 192.0.2.1) stage=connect port=$OPEN verdict=accept reason=port-not-locked"
    ctl_agrees "$(verdict_of "$(re_addr 192.0.2.1) stage=connect port=$OPEN ")" 192.0.2.1 --port "$OPEN" --name mx9.mailroute.net
}

scenario_names-monitor() {
    local line
    start_all postfix-names-monitor.yaml
    pf "matching name, unlisted address, monitor mode" "$LOCKED" "ADDR=192.0.2.1 NAME=mx9.mailroute.net" \
        --to "$LOCAL_RCPT" --data
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 250
    expect_code message 250
    expect_log "would-tempfail naming profile and host" \
        "$(re_connect 192.0.2.1)verdict=would-tempfail reason=provider-name-unlisted entry=mailroute name=mx9.mailroute.net( |$)" \
        "reply=\"451 4\\.7\\.1 $DRIFT_TEXT\""
    ctl_agrees "$(verdict_of "$(re_connect 192.0.2.1)")" 192.0.2.1 --port "$LOCKED" --name mx9.mailroute.net

    pf "matching name, IPv6, monitor mode" "$LOCKED" "ADDR=IPV6:2001:db8::5 NAME=mx9.mailroute.net" \
        --to "$LOCAL_RCPT"
    expect_code mail 250
    expect_code rcpt 250
    expect_log "would-tempfail" "$(re_connect 2001:db8::5)verdict=would-tempfail reason=provider-name-unlisted entry=mailroute name=mx9.mailroute.net"
    ctl_agrees "$(verdict_of "$(re_connect 2001:db8::5)")" 2001:db8::5 --port "$LOCKED" --name mx9.mailroute.net

    for line in "name that does not match|192.0.2.1|NAME=mx9.example.net|--name mx9.example.net" \
        "NAME=unknown with a matching REVERSE_NAME|192.0.2.3|NAME=unknown REVERSE_NAME=mx9.mailroute.net|" \
        "a disabled profile's pattern|192.0.2.4|NAME=mx.oldnames.test|--name mx.oldnames.test"; do
        IFS='|' read -r desc addr attrs args <<<"$line"
        pf "$desc, monitor mode" "$LOCKED" "ADDR=$addr $attrs" --to "$LOCAL_RCPT"
        expect_code mail 250
        expect_code rcpt 250
        expect_log "would-reject" "$(re_connect "$addr")verdict=would-reject reason=not-listed entry=-" \
            "reply=\"554 5\\.7\\.1 $REFUSE_TEXT\""
        # shellcheck disable=SC2086 # args is a word list
        ctl_agrees "$(verdict_of "$(re_connect "$addr")")" "$addr" --port "$LOCKED" $args
    done

    if grep -E 'verdict=(reject|tempfail)' "$T_MLOG" >/dev/null; then
        t_result 0 "monitor mode refused nothing" "$(grep -E 'verdict=(reject|tempfail)' "$T_MLOG" | head -n 1)" "no verdict=reject/tempfail"
    else
        t_result 1 "monitor mode refused nothing" "no verdict=reject/tempfail" "no verdict=reject/tempfail"
    fi
}

scenario_domains() {
    local locked=postmaster@example.test unlocked=someone@open.example.test
    local locked2=Postmaster@EXAMPLE.TEST
    start_all postfix-domains.yaml

    pf "outsider: locked, unlocked, locked in capitals" "$LOCKED" "ADDR=192.0.2.1" \
        --to "$locked" --to "$unlocked" --to "$locked2" --data
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 554,250,554
    expect_text rcpt "$REFUSE_TEXT"
    expect_code message 250
    expect_log "not refused at connect" "$(re_connect 192.0.2.1)verdict=continue "
    expect_log "locked domain refused" "$(re_addr 192.0.2.1) stage=rcpt port=$LOCKED verdict=reject reason=not-listed entry=-" \
        "rcpt=<$locked>" "reply=\"554 5\\.7\\.1 $REFUSE_TEXT\""
    ctl_agrees "$(verdict_of "$(re_addr 192.0.2.1) stage=rcpt " "rcpt=<$locked>")" 192.0.2.1 --port "$LOCKED" --rcpt "$locked"
    expect_log "unlocked domain passes" "$(re_addr 192.0.2.1) stage=rcpt port=$LOCKED verdict=(continue|accept) reason=domain-not-locked entry=-" \
        "rcpt=<$unlocked>"
    ctl_agrees "$(verdict_of "$(re_addr 192.0.2.1) stage=rcpt " "rcpt=<$unlocked>")" 192.0.2.1 --port "$LOCKED" --rcpt "$unlocked"
    expect_log "locked domain in capitals refused" "$(re_addr 192.0.2.1) stage=rcpt port=$LOCKED verdict=reject reason=not-listed" \
        "rcpt=<$locked2>"

    # Only the unlocked recipient: the message goes through.
    pf "outsider, unlocked domain only" "$LOCKED" "ADDR=192.0.2.1" --to "$unlocked" --data
    expect_code rcpt 250
    expect_code message 250

    pf "provider: locked and unlocked" "$LOCKED" "ADDR=199.89.0.10" \
        --to "$locked" --to "$unlocked" --data
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 250,250
    expect_code message 250
    expect_log "provider accepted" "$(re_connect 199.89.0.10)verdict=accept reason=provider entry=mailroute( |$)"
    ctl_agrees "$(verdict_of "$(re_connect 199.89.0.10)")" 199.89.0.10 --port "$LOCKED" --rcpt "$locked"
    ctl_agrees "$(verdict_of "$(re_connect 199.89.0.10)")" 199.89.0.10 --port "$LOCKED" --rcpt "$unlocked"

    # The unlocked port is not judged, whatever the domain.
    pf "outsider on the unlocked port $OPEN" "$OPEN" "ADDR=192.0.2.1" --to "$locked" --data
    expect_code rcpt 250
    expect_code message 250
    expect_log "port not locked" "$(re_addr 192.0.2.1) stage=connect port=$OPEN verdict=accept reason=port-not-locked"
}

case "$SCENARIO" in
    names | names-monitor | domains) "scenario_$SCENARIO" ;;
    *)
        echo "unknown scenario '$SCENARIO'" >&2
        exit 64
        ;;
esac
t_done
