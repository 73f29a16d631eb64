#!/bin/bash
# sendmail_tls_test.sh - TLS client identity behind a real Sendmail with
# STARTTLS (confCACERT_PATH, confCACERT, confSERVER_CERT, confSERVER_KEY in
# the test .mc). A test CA is made with openssl at test time
# (tests/lib/testca.sh); each session is one swaks run from a loopback
# alias or ::1 (Sendmail has no XCLIENT). Sendmail asks every STARTTLS
# client for a certificate and tells the milter {verify} (OK, FAIL, NO...),
# {cn_subject} and {cert_subject}: only {verify} OK lets a name count.
#
# Cases, each checked by SMTP reply code and by the milter's decision line:
#   CN mx1.mailroute.test (tlsroute's tls_names) from the unlisted
#     127.0.0.200: accepted at MAIL (reason tls-name, verify=OK)
#   a CN no profile names, signed by the CA: refused at MAIL (verify=OK)
#   the right CN signed by a CA Sendmail does not trust: refused at MAIL
#     (verify=FAIL), although {cn_subject} is the right name
#   no certificate: refused at MAIL (verify=NO); no STARTTLS: refused
#   tlsonly (tls_required) at 127.0.0.25 and at ::1: without a verified
#     certificate refused at MAIL (reason tls-required), with one accepted
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
. "$T_SRC/tests/lib/testca.sh"
. "$T_SRC/tests/integration/tls.sh"
perl -MIO::Socket::INET6 -e 1 2>/dev/null ||
    t_skip "swaks cannot do IPv6: IO::Socket::INET6 missing (libio-socket-inet6-perl, contrib/deps.sh)"

LOCKED=25
REFUSE_TEXT="Mail must arrive through the filtering service"
LOCAL_RCPT=postmaster@example.test

t_init sendmail-tls

# st DESC FROM [--cert NAME | --plain] [swaks args]: a session from the
# loopback address FROM (127.x or ::1) to Sendmail on the same family.
st() {
    local desc=$1 from=$2 opts=() server=127.0.0.1
    shift 2
    while [ $# -gt 0 ]; do
        case "$1" in
            --cert) opts+=("$1" "$2"); shift 2 ;;
            --plain) opts+=("$1"); shift ;;
            *) break ;;
        esac
    done
    [ "$from" = ::1 ] && server=::1
    tls_smtp "$desc" "${opts[@]}" --server "$server" --port "$LOCKED" \
        --local-interface "$from" "$@"
}

# Sendmail hands over the DN as "/O=.../CN=...", xtext-encoded (a space
# is "+20").
dn_re() {
    local cn=${1//./\\.}
    echo "/O=lockdown-milter\\+20tests/CN=$cn"
}
ISSUER='issuer="/O=lockdown-milter\+20tests/CN=Lockdown\+20Test\+20CA"'
ROGUE_ISSUER='issuer="/O=lockdown-milter\+20tests/CN=Lockdown\+20Rogue\+20CA"'

# tls_accepted DESC FROM CERT ENTRY MATCH CN: through at MAIL. (Relaying
# is Sendmail's own business here: it denies it to these clients itself.)
tls_accepted() {
    local desc=$1 from=$2 cert=$3 entry=$4 match=$5 cn=$6
    st "$desc" "$from" --cert "$cert" --to "$LOCAL_RCPT"
    expect_code banner 220
    expect_code tls ok
    expect_code mail 250
    expect_code rcpt 250
    expect_code message 250
    expect_log "accepted on the certificate" \
        "$(re_addr "$from") stage=mail port=$LOCKED verdict=(accept|continue) reason=tls-name entry=$entry match=$match cert=\"$(dn_re "$cn")\" $ISSUER verify=OK\$"
}

# tls_refused DESC FROM REASON FIELDS TAIL [st options]: refused at MAIL.
# FIELDS: after the reason (entry, match); TAIL: after the reply (the
# certificate and {verify}, or nothing).
tls_refused() {
    local desc=$1 from=$2 reason=$3 fields=$4 tail=$5
    shift 5
    st "$desc" "$from" "$@" --to "$LOCAL_RCPT"
    expect_code banner 220
    expect_code mail 554
    expect_text mail "$REFUSE_TEXT"
    expect_nothing_accepted
    expect_log "refused at MAIL" \
        "$(re_addr "$from") stage=mail port=$LOCKED verdict=reject reason=$reason $fields reply=\"554 5\\.7\\.1 $REFUSE_TEXT\"$tail\$"
}

T_CA=$T_DIR/ca
ca_make "$T_CA" || exit 1
t_conf sendmail-tls.yaml || exit 1
sm_ns_setup "$T_DIR" || exit 1
ip -6 addr show dev lo | grep -q 'inet6 ::1/' ||
    { echo "no ::1 on lo in the test namespace (IPv6 disabled?)" >&2; exit 1; }
milter_start || exit 1
sm_init "$T_DIR/sm" "$T_CACHE" "$LOCKED" || exit 1
sm_mc "$T_DIR/sm" \
    "DAEMON_OPTIONS(\`Port=$LOCKED, Addr=::1, Family=inet6, Name=MTA6')dnl" \
    "define(\`confCACERT_PATH', \`$T_CA/cacerts')dnl" \
    "define(\`confCACERT', \`$T_CA/ca.crt')dnl" \
    "define(\`confSERVER_CERT', \`$T_CA/server.crt')dnl" \
    "define(\`confSERVER_KEY', \`$T_CA/server.key')dnl" || exit 1
sm_milter "$T_DIR/sm" "unix:$T_SOCK" || exit 1
t_on_exit sm_stop "$T_DIR/sm"
t_on_exit 'echo "---- sendmail log: $T_DIR/sm/sendmail.log"'
sm_start "$T_DIR/sm" || exit 1

OUT=127.0.0.200
tls_accepted "CN mx1.mailroute.test from unlisted $OUT" "$OUT" good tlsroute tls-name mx1.mailroute.test
expect_log "connect deferred to MAIL" "$(re_addr "$OUT") stage=connect port=$LOCKED verdict=continue reason=deferred"
tls_refused "wrong CN from $OUT" "$OUT" not-listed "entry=-" \
    " cert=\"$(dn_re mx1.wrongroute.test)\" $ISSUER verify=OK" --cert wrong
tls_refused "right CN, untrusted CA, from $OUT: verify=FAIL" "$OUT" not-listed "entry=-" \
    " cert=\"$(dn_re mx1.mailroute.test)\" $ROGUE_ISSUER verify=FAIL" --cert rogue
expect_code tls ok
tls_refused "STARTTLS without a certificate from $OUT: verify=NO" "$OUT" not-listed "entry=-" \
    " verify=NO"
expect_code tls ok
tls_refused "no STARTTLS from $OUT" "$OUT" not-listed "entry=-" "" --plain
expect_code tls none

for a in 127.0.0.25 ::1; do
    tls_refused "tls_required, in range, no certificate: $a" "$a" tls-required \
        "entry=tlsonly match=range" " verify=NO"
    expect_code tls ok
    tls_refused "tls_required, in range, no STARTTLS: $a" "$a" tls-required \
        "entry=tlsonly match=range" "" --plain
    tls_refused "tls_required, in range, untrusted CA: $a" "$a" tls-required \
        "entry=tlsonly match=range" \
        " cert=\"$(dn_re mx1.mailroute.test)\" $ROGUE_ISSUER verify=FAIL" --cert rogue
    tls_refused "tls_required, in range, a CN no profile names: $a" "$a" tls-required \
        "entry=tlsonly match=range" \
        " cert=\"$(dn_re mx1.wrongroute.test)\" $ISSUER verify=OK" --cert wrong
    tls_accepted "tls_required, in range, its certificate: $a" "$a" secure tlsonly \
        range,tls-name relay.securefilter.test
done
# Any enabled profile's certificate makes the client that provider.
tls_accepted "tls_required range, tlsroute's certificate: ::1" ::1 good tlsroute \
    tls-name mx1.mailroute.test

t_done
