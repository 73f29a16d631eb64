#!/bin/bash
# postfix_test.sh SCENARIO - lockdown-milter in front of a real, private
# Postfix on loopback (tests/lib/postfix.sh). Clients present any address
# with XCLIENT (ADDR=, LOGIN=); the verdict is read from SMTP reply codes,
# the milter's log line is checked as well.
#
# Scenarios: enforce (providers at both edges of every shipped range,
# outsiders just outside them, a disabled profile, a trusted LAN, an
# unlocked port, relay by a provider / a LAN / a copier with relay: false),
# mail (refuse.at: mail with and without an authenticated user), monitor,
# reload (a good reload flips verdicts, bad ones keep them, nothing is
# restarted), milter-down (Postfix answers 4xx, nothing accepted).
#
# Ports inside the test's own network namespace: 10025 is locked by the test
# configs' scope, 10587 is a second smtpd listener that is not.
set -u
# shellcheck disable=SC2034 # T_DESC and friends are read by common.sh
. "$(dirname "$0")/common.sh"
t_enter_ns "$@"
. "$T_SRC/tests/lib/postfix.sh"

SCENARIO=${1:?usage: postfix_test.sh enforce|mail|monitor|reload|milter-down}
LOCKED=10025
OPEN=10587
REFUSE_TEXT="Mail must arrive through the filtering service"
RELAY_TEXT="Relay access denied"
LOCAL_RCPT=postmaster@example.test
REMOTE_RCPT=someone@remote.example.org

t_init "postfix-$SCENARIO"

# pf DESC PORT XCLIENT-ATTRS [client args]
pf() {
    local desc=$1 port=$2 x=$3
    shift 3
    smtp "$desc" --server "127.0.0.1:$port" --xclient "$x" "$@"
}

# accepted DESC ADDR ENTRY [client args]: through on the locked port.
accepted() {
    local desc=$1 addr=$2 entry=$3
    shift 3
    pf "$desc" "$LOCKED" "ADDR=$addr" --to "$LOCAL_RCPT" "$@"
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 250
    expect_log "connect verdict" "$(re_addr "$addr") stage=connect port=$LOCKED verdict=(accept|continue) reason=[a-z-]+ entry=$entry( |$)"
}

# refused DESC ADDR [DISABLED]: refused at connect on the locked port,
# and nothing accepted when the client carries on regardless.
refused() {
    local desc=$1 addr=$2 disabled=${3:-}
    pf "$desc" "$LOCKED" "ADDR=$addr" --to "$LOCAL_RCPT" --data
    # Postfix answers a connect-stage 5xx with its own "554 <host> ESMTP not
    # accepting connections", then the configured text at MAIL.
    expect_code xclient 554
    expect_code mail 554
    expect_text mail "$REFUSE_TEXT"
    expect_nothing_accepted
    if [ -n "$disabled" ]; then
        expect_log "reject naming the disabled profile" "$(re_addr "$addr") stage=connect port=$LOCKED verdict=reject reason=not-listed entry=- disabled=$disabled"
    else
        expect_log "reject" "$(re_addr "$addr") stage=connect port=$LOCKED verdict=reject reason=not-listed entry=-" "reply=\"554 5.7.1 $REFUSE_TEXT\""
    fi
}

start_all() {
    local conf=$1
    t_conf "$conf" || exit 1
    milter_start || exit 1
    pf_init "$T_DIR/pf" "$LOCKED" || exit 1
    pf_listen "$T_DIR/pf" "$OPEN" -o syslog_name=postfix-test/submission || exit 1
    pf_milter "$T_DIR/pf" "unix:$T_SOCK" || exit 1
    t_on_exit pf_stop "$T_DIR/pf"
    t_on_exit 'echo "---- postfix log: $(pf_logfile "$T_DIR/pf")"'
    pf_start "$T_DIR/pf" || exit 1
}

scenario_enforce() {
    local a
    start_all postfix-enforce.yaml
    # Both edges of every shipped range (etc/providers/*.yaml).
    accepted "MailRoute low edge" 199.89.0.0 mailroute
    accepted "MailRoute high edge" 199.89.7.255 mailroute
    accepted "Postini 208.123.79.0/24 low edge" 208.123.79.0 postini
    accepted "Postini 208.123.79.0/24 high edge" 208.123.79.255 postini
    accepted "Postini 64.18.0.0/20 low edge" 64.18.0.0 postini
    accepted "Postini 64.18.0.0/20 high edge" 64.18.15.255 postini
    accepted "Arrowmail" 83.245.15.239 arrowmail
    # Just outside each of them.
    for a in 199.88.255.255 199.89.8.0 208.123.78.255 208.123.80.0 \
        64.17.255.255 64.18.16.0 83.245.15.238 83.245.15.240; do
        refused "outside a provider range: $a" "$a"
    done
    refused "outsider 192.0.2.1" 192.0.2.1
    refused "disabled profile oldfilter" 198.51.100.7 oldfilter
    accepted "trusted office LAN" 192.168.10.77 office-lan

    # The unlocked port is not judged: an outsider gets a message queued.
    pf "outsider on the unlocked port $OPEN" "$OPEN" "ADDR=192.0.2.1" --to "$LOCAL_RCPT" --data
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 250
    expect_code message 250
    expect_log "port not locked" "$(re_addr 192.0.2.1) stage=connect port=$OPEN verdict=accept reason=port-not-locked"

    # Relay (relay.local_domains: [example.test]); Postfix itself permits
    # relaying in this instance, so the milter's decision is what shows.
    pf "provider relays" "$LOCKED" "ADDR=199.89.3.3" --to "$REMOTE_RCPT" --data
    expect_code rcpt 250
    expect_code message 250
    pf "trusted LAN (relay: true) relays" "$LOCKED" "ADDR=192.168.10.77" --to "$REMOTE_RCPT"
    expect_code rcpt 250
    pf "copier (relay: false): local yes, relay no" "$LOCKED" "ADDR=172.16.5.40" \
        --to "$LOCAL_RCPT" --to "$REMOTE_RCPT" --to "Postmaster@Example.TEST"
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 250,554,250
    expect_log "relay denied" "$(re_addr 172.16.5.40) stage=rcpt port=$LOCKED verdict=reject reason=relay-denied entry=copier" "rcpt=<$REMOTE_RCPT>"
    pf "copier relay refusal text" "$LOCKED" "ADDR=172.16.5.40" --to "$REMOTE_RCPT" --data
    expect_code rcpt 554
    expect_text rcpt "$RELAY_TEXT"
    expect_nothing_accepted
}

scenario_mail() {
    start_all postfix-mail.yaml
    pf "anonymous outsider, refuse.at mail" "$LOCKED" "ADDR=192.0.2.1" --to "$LOCAL_RCPT" --data
    expect_code xclient 220
    expect_code mail 554
    expect_text mail "$REFUSE_TEXT"
    expect_nothing_accepted
    expect_log "connect deferred" "$(re_addr 192.0.2.1) stage=connect port=$LOCKED verdict=continue reason=deferred"
    expect_log "refused at MAIL" "$(re_addr 192.0.2.1) stage=mail port=$LOCKED verdict=reject reason=not-listed"

    pf "authenticated user from an outsider address" "$LOCKED" "ADDR=192.0.2.1 LOGIN=alice" \
        --to "$LOCAL_RCPT" --to "$REMOTE_RCPT" --data
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 250,250 # relay.authenticated: true
    expect_code message 250
    expect_log "authenticated at MAIL" "$(re_addr 192.0.2.1) stage=mail port=$LOCKED verdict=(accept|continue) reason=authenticated" "user=alice"

    pf "disabled profile, anonymous" "$LOCKED" "ADDR=198.51.100.7" --to "$LOCAL_RCPT"
    expect_code mail 554
    expect_nothing_accepted
    expect_log "refused at MAIL naming the profile" "$(re_addr 198.51.100.7) stage=mail .*verdict=reject.* disabled=oldfilter"

    accepted "provider, anonymous" 199.89.0.10 mailroute
}

scenario_monitor() {
    start_all postfix-monitor.yaml
    pf "outsider in monitor mode" "$LOCKED" "ADDR=192.0.2.1" --to "$LOCAL_RCPT" --data
    expect_code xclient 220
    expect_code mail 250
    expect_code rcpt 250
    expect_code message 250
    expect_log "would-reject" "$(re_addr 192.0.2.1) stage=connect port=$LOCKED verdict=would-reject reason=not-listed entry=-" "reply=\"554 5.7.1 $REFUSE_TEXT\""
    pf "disabled profile in monitor mode" "$LOCKED" "ADDR=198.51.100.7" --to "$LOCAL_RCPT"
    expect_code mail 250
    expect_log "would-reject naming the profile" "$(re_addr 198.51.100.7) stage=connect .*verdict=would-reject.* disabled=oldfilter"
    pf "copier relays in monitor mode" "$LOCKED" "ADDR=172.16.5.40" --to "$REMOTE_RCPT"
    expect_code rcpt 250
    expect_log "relay would-reject" "$(re_addr 172.16.5.40) stage=rcpt port=$LOCKED verdict=would-reject reason=relay-denied entry=copier"
    accepted "provider in monitor mode" 199.89.0.10 mailroute
    if grep -E 'verdict=reject|verdict=tempfail' "$T_MLOG" >/dev/null; then
        t_result 0 "monitor mode refused nothing" "$(grep -E 'verdict=(reject|tempfail)' "$T_MLOG" | head -n 1)" "no verdict=reject/tempfail"
    else
        t_result 1 "monitor mode refused nothing" "no verdict=reject/tempfail" "no verdict=reject/tempfail"
    fi
}

# Verdicts of the enforce config (before) or the reload config (after).
# (The copier's relay: false -> true is checked in scenario_reload.)
check_before() {
    accepted "$1: MailRoute" 199.89.0.10 mailroute
    refused "$1: partner network" 203.0.113.5
}
check_after() {
    refused "$1: MailRoute, now disabled" 199.89.0.10 mailroute
    accepted "$1: partner network, now trusted" 203.0.113.5 partner
}

scenario_reload() {
    local mpid pfpid rc
    start_all postfix-enforce.yaml
    mpid=$T_MILTER_PID
    pfpid=$(tr -d ' ' <"$T_DIR/pf/queue/pid/master.pid")
    check_before "before reload"

    # A session that starts before the reload keeps the config it started
    # with: the copier may not relay in the old one, may in the new one.
    smtp_held "copier session open across the reload" --server "127.0.0.1:$LOCKED" \
        --xclient "ADDR=172.16.5.40" --to "$REMOTE_RCPT" || exit 1

    T_DESC="good reload"
    t_conf postfix-reload.yaml
    milter_reload
    rc=$?
    expect_eq "good reload taken" "$rc" 0
    expect_log "says so" "reloaded configuration $T_CONF"

    smtp_release
    expect_code mail 250
    expect_code rcpt 554
    pf "copier, new session after the reload" "$LOCKED" "ADDR=172.16.5.40" --to "$REMOTE_RCPT"
    expect_code rcpt 250
    check_after "after reload"

    # Broken configs: the daemon keeps the one it has, says where and why.
    T_DESC="bad reload (YAML syntax)"
    t_conf bad-syntax.yaml
    milter_reload
    rc=$?
    expect_eq "YAML error: reload refused" "$rc" 1
    expect_log "names file:line:col" "reload failed, keeping the current configuration: $T_CONF:[0-9]+:[0-9]+: "
    check_after "after a bad reload (syntax)"

    T_DESC="bad reload (host bits)"
    t_conf bad-hostbits.yaml
    milter_reload
    rc=$?
    expect_eq "host bits: reload refused" "$rc" 1
    expect_log "names file:line:col and the value" "reload failed, keeping the current configuration: $T_CONF:[0-9]+:[0-9]+: .*203\\.0\\.113\\.1/24"
    check_after "after a bad reload (host bits)"

    # And back: a good file is taken again.
    t_conf postfix-enforce.yaml
    milter_reload
    rc=$?
    expect_eq "reload back to the first config" "$rc" 0
    check_before "after reloading the first config"

    # Nothing was restarted.
    expect_eq "same milter process" "$(milter_running && echo "$T_MILTER_PID")" "$mpid"
    expect_eq "same Postfix master" "$(tr -d ' ' <"$T_DIR/pf/queue/pid/master.pid")" "$pfpid"
}

scenario_milter-down() {
    start_all postfix-enforce.yaml
    accepted "milter up: provider" 199.89.0.10 mailroute
    milter_stop
    expect_eq "milter exits 0 on SIGTERM" "${T_MILTER_RC:-none}" 0
    # smtpd_milters default_action=tempfail: 4xx for everyone, on every port.
    pf "milter down: provider" "$LOCKED" "ADDR=199.89.0.10" --to "$LOCAL_RCPT" --data
    expect_code mail 4*
    expect_nothing_accepted
    pf "milter down: outsider" "$LOCKED" "ADDR=192.0.2.1" --to "$LOCAL_RCPT" --data
    expect_code mail 4*
    expect_nothing_accepted
    pf "milter down: unlocked port" "$OPEN" "ADDR=192.0.2.1" --to "$LOCAL_RCPT" --data
    expect_code mail 4*
    expect_nothing_accepted
    # Started again, it is used again at once: Postfix connects per session.
    milter_start || exit 1
    accepted "milter back: provider" 199.89.0.10 mailroute
    refused "milter back: outsider" 192.0.2.1
}

case "$SCENARIO" in
    enforce | mail | monitor | reload | milter-down) "scenario_$SCENARIO" ;;
    *)
        echo "unknown scenario '$SCENARIO'" >&2
        exit 64
        ;;
esac
t_done
