#!/bin/bash
# sendmail_test.sh SCENARIO - lockdown-milter in front of a real Debian
# sendmail 8.17 (tests/lib/sendmail.sh: the .debs unpacked, never
# installed, next to Postfix). Sendmail has no XCLIENT: each client binds to
# a loopback alias, and the test config's profiles live in 127.0.0.0/8
# (conf/sendmail-*.yaml). Verdicts are read from SMTP reply codes; the
# milter's log line is checked as well.
#
# Scenarios: connect (provider at both edges, outsiders, a disabled
# profile, a trusted host, an unlocked port), monitor, reload (good and bad
# reloads, nothing restarted), milter-down (F=T: 4xx, nothing accepted).
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

SCENARIO=${1:?usage: sendmail_test.sh connect|monitor|reload|milter-down}
LOCKED=25
OPEN=587
LOCAL_RCPT=postmaster@example.test

t_init "sendmail-$SCENARIO"

# sm DESC FROM-ADDR PORT [client args]
sm() {
    local desc=$1 addr=$2 port=$3
    shift 3
    smtp "$desc" --server "127.0.0.1:$port" --local "$addr" --to "$LOCAL_RCPT" "$@"
}

accepted() {
    local desc=$1 addr=$2 entry=$3
    sm "$desc" "$addr" "$LOCKED" --data
    expect_code banner 220
    expect_code mail 250
    expect_code rcpt 250
    expect_code message 250
    expect_log "connect verdict" "$(re_addr "$addr") stage=connect port=$LOCKED verdict=(accept|continue) reason=[a-z-]+ entry=$entry( |$)"
}

# Sendmail drops the milter's text at connect: its client is greeted with
# "554 <host> ESMTP not accepting messages" and every later command gets
# "550 5.0.0 Command rejected"; the configured text is in the milter's log.
refused() {
    local desc=$1 addr=$2 disabled=${3:-}
    sm "$desc" "$addr" "$LOCKED" --data
    expect_code banner 554
    expect_text banner "not accepting messages"
    expect_code mail 5*
    expect_nothing_accepted
    if [ -n "$disabled" ]; then
        expect_log "reject naming the disabled profile" "$(re_addr "$addr") stage=connect port=$LOCKED verdict=reject reason=not-listed entry=- disabled=$disabled"
    else
        expect_log "reject" "$(re_addr "$addr") stage=connect port=$LOCKED verdict=reject reason=not-listed entry=-" 'reply="554 5\.7\.1 Mail must arrive through the filtering service"'
    fi
}

start_all() {
    t_conf "$1" || exit 1
    sm_ns_setup "$T_DIR" || exit 1
    milter_start || exit 1
    sm_init "$T_DIR/sm" "$T_CACHE" "$LOCKED" "$OPEN" || exit 1
    sm_milter "$T_DIR/sm" "unix:$T_SOCK" || exit 1
    t_on_exit sm_stop "$T_DIR/sm"
    t_on_exit 'echo "---- sendmail log: $T_DIR/sm/sendmail.log"'
    sm_start "$T_DIR/sm" || exit 1
}

scenario_connect() {
    start_all sendmail-enforce.yaml
    accepted "provider low edge" 127.0.0.8 loopfilter
    accepted "provider high edge" 127.0.0.15 loopfilter
    refused "just below the provider" 127.0.0.7
    refused "outsider" 127.0.0.200
    refused "disabled profile" 127.0.0.17 loopold
    accepted "trusted host" 127.0.0.33 lan
    sm "outsider on the unlocked port $OPEN" 127.0.0.200 "$OPEN" --data
    expect_code banner 220
    expect_code rcpt 250
    expect_code message 250
    expect_log "port not locked" "$(re_addr 127.0.0.200) stage=connect port=$OPEN verdict=accept reason=port-not-locked"
}

scenario_monitor() {
    start_all sendmail-monitor.yaml
    sm "outsider in monitor mode" 127.0.0.200 "$LOCKED" --data
    expect_code banner 220
    expect_code rcpt 250
    expect_code message 250
    expect_log "would-reject" "$(re_addr 127.0.0.200) stage=connect port=$LOCKED verdict=would-reject reason=not-listed entry=-"
    sm "disabled profile in monitor mode" 127.0.0.17 "$LOCKED"
    expect_code banner 220
    expect_code rcpt 250
    expect_log "would-reject naming the profile" "$(re_addr 127.0.0.17) stage=connect .*verdict=would-reject.* disabled=loopold"
    accepted "provider in monitor mode" 127.0.0.9 loopfilter
    if grep -E 'verdict=(reject|tempfail)' "$T_MLOG" >/dev/null; then
        t_result 0 "monitor mode refused nothing" "$(grep -E 'verdict=(reject|tempfail)' "$T_MLOG" | head -n 1)" "no verdict=reject/tempfail"
    else
        t_result 1 "monitor mode refused nothing" "no verdict=reject/tempfail" "no verdict=reject/tempfail"
    fi
}

check_before() {
    accepted "$1: provider" 127.0.0.9 loopfilter
    refused "$1: outsider" 127.0.0.200
}
check_after() {
    refused "$1: provider, now disabled" 127.0.0.9 loopfilter
    accepted "$1: outsider, now trusted" 127.0.0.200 newhost
}

scenario_reload() {
    local mpid smpid rc
    start_all sendmail-enforce.yaml
    mpid=$T_MILTER_PID
    smpid=$(cat "$T_DIR/sm/run.pid")
    check_before "before reload"

    T_DESC="good reload"
    t_conf sendmail-reload.yaml
    milter_reload
    rc=$?
    expect_eq "good reload taken" "$rc" 0
    expect_log "says so" "reloaded configuration $T_CONF"
    check_after "after reload"

    T_DESC="bad reload (YAML syntax)"
    t_conf bad-syntax.yaml
    milter_reload
    rc=$?
    expect_eq "YAML error: reload refused" "$rc" 1
    expect_log "names file:line:col" "reload failed, keeping the current configuration: $T_CONF:[0-9]+:[0-9]+: "
    check_after "after a bad reload"

    expect_eq "same milter process" "$(milter_running && echo "$T_MILTER_PID")" "$mpid"
    expect_eq "same sendmail daemon" "$(proc_alive "$smpid" && cat "$T_DIR/sm/run.pid")" "$smpid"
}

scenario_milter-down() {
    start_all sendmail-enforce.yaml
    accepted "milter up: provider" 127.0.0.9 loopfilter
    milter_stop
    expect_eq "milter exits 0 on SIGTERM" "${T_MILTER_RC:-none}" 0
    # F=T: sendmail tempfails when the milter is unreachable; it still
    # greets with 220 and answers MAIL with 451.
    sm "milter down: provider" 127.0.0.9 "$LOCKED" --data
    expect_code mail 4*
    expect_nothing_accepted
    sm "milter down: outsider" 127.0.0.200 "$LOCKED" --data
    expect_code mail 4*
    expect_nothing_accepted
    sm "milter down: unlocked port" 127.0.0.200 "$OPEN" --data
    expect_code mail 4*
    expect_nothing_accepted
    milter_start || exit 1
    accepted "milter back: provider" 127.0.0.9 loopfilter
    refused "milter back: outsider" 127.0.0.200
}

case "$SCENARIO" in
    connect | monitor | reload | milter-down) "scenario_$SCENARIO" ;;
    *)
        echo "unknown scenario '$SCENARIO'" >&2
        exit 64
        ;;
esac
t_done
