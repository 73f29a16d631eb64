#!/bin/bash
# postfix_tls_test.sh - TLS client identity behind a real Postfix with
# STARTTLS (smtpd_tls_ask_ccert = yes, the test CA in smtpd_tls_CAfile,
# contrib/postfix-tls-identity.cf). A test CA is made with openssl at test
# time (tests/lib/testca.sh); each session is one swaks run: XCLIENT first
# (it resets the session), then STARTTLS with or without a client
# certificate, then MAIL. Postfix hands the milter {cert_subject} (the CN)
# only for a certificate it verified, and {cert_issuer}.
#
# Cases, IPv4 and IPv6 (XCLIENT ADDR=IPv6:...), each checked by SMTP
# reply code and by the milter's decision line:
#   CN mx1.mailroute.test (tlsroute's tls_names) from an unlisted address:
#     accepted at MAIL (reason tls-name), may relay
#   a CN no profile names, signed by the CA: refused at MAIL
#   the right CN signed by a CA Postfix does not trust: refused at MAIL
#   no certificate (STARTTLS without one, or no STARTTLS): refused at MAIL
#   tlsonly (tls_required) address without a certificate: refused at MAIL
#     (reason tls-required); with its own certificate: accepted
set -u
# shellcheck disable=SC2034 # T_DESC and friends are read by common.sh
. "$(dirname "$0")/common.sh"
t_enter_ns "$@"
. "$T_SRC/tests/lib/postfix.sh"
. "$T_SRC/tests/lib/testca.sh"
. "$T_SRC/tests/integration/tls.sh"

LOCKED=10025
REFUSE_TEXT="Mail must arrive through the filtering service"
LOCAL_RCPT=postmaster@example.test
REMOTE_RCPT=someone@remote.example.org

t_init postfix-tls

# pt DESC ADDR [--cert NAME | --plain] [swaks args]: XCLIENT ADDR, then
# STARTTLS, on the locked port. ADDR as XCLIENT wants it (IPv6:...).
pt() {
    local desc=$1 addr=$2 opts=()
    shift 2
    while [ $# -gt 0 ]; do
        case "$1" in
            --cert) opts+=("$1" "$2"); shift 2 ;;
            --plain) opts+=("$1"); shift ;;
            *) break ;;
        esac
    done
    tls_smtp "$desc" "${opts[@]}" --server 127.0.0.1 --port "$LOCKED" \
        --xclient "ADDR=$addr" --xclient-before-starttls "$@"
}

# log_addr ADDR: the address as the milter logs it.
log_addr() {
    re_addr "${1#IPv6:}"
}

# tls_accepted DESC ADDR CERT ENTRY MATCH CN: through at MAIL on its
# certificate, and may relay (both profiles have relay: true).
tls_accepted() {
    local desc=$1 addr=$2 cert=$3 entry=$4 match=$5 cn=$6
    pt "$desc" "$addr" --cert "$cert" --to "$LOCAL_RCPT,$REMOTE_RCPT"
    expect_code xclient 220
    expect_code tls ok
    expect_code mail 250
    expect_code rcpt 250,250
    expect_code message 250
    expect_log "accepted on the certificate" \
        "$(log_addr "$addr") stage=mail port=$LOCKED verdict=(accept|continue) reason=tls-name entry=$entry match=$match cert=\"${cn//./\\.}\" issuer=\"Lockdown Test CA\"\$"
}

# tls_refused DESC ADDR REASON FIELDS TAIL [pt options]: refused at MAIL
# with refuse.reply. FIELDS: what the line says after the reason (entry,
# match); TAIL: what follows the reply, the certificate or nothing ("").
tls_refused() {
    local desc=$1 addr=$2 reason=$3 fields=$4 tail=$5
    shift 5
    pt "$desc" "$addr" "$@" --to "$LOCAL_RCPT"
    expect_code xclient 220
    expect_code mail 554
    expect_text mail "$REFUSE_TEXT"
    expect_nothing_accepted
    expect_log "refused at MAIL" \
        "$(log_addr "$addr") stage=mail port=$LOCKED verdict=reject reason=$reason $fields reply=\"554 5\\.7\\.1 $REFUSE_TEXT\"$tail\$"
}

# The connect stage only defers: the certificate is not known yet.
connect_deferred() {
    expect_log "connect deferred to MAIL" \
        "$(log_addr "$1") stage=connect port=$LOCKED verdict=continue reason=deferred"
}

T_CA=$T_DIR/ca
ca_make "$T_CA" || exit 1
t_conf postfix-tls.yaml || exit 1
milter_start || exit 1
pf_init "$T_DIR/pf" "$LOCKED" || exit 1
pf_milter "$T_DIR/pf" "unix:$T_SOCK" || exit 1
pf_set "$T_DIR/pf" \
    "smtpd_tls_cert_file = $T_CA/server.crt" \
    "smtpd_tls_key_file = $T_CA/server.key" \
    "smtpd_tls_CAfile = $T_CA/ca.crt" \
    'smtpd_tls_security_level = may' \
    'smtpd_tls_ask_ccert = yes' \
    'smtpd_tls_loglevel = 1' \
    'inet_protocols = all' || exit 1
# (inet_protocols: XCLIENT takes ADDR=IPv6:... only when Postfix does IPv6;
# it still listens on 127.0.0.1 only.)
# smtpd gets its TLS session keys and entropy from tlsmgr: without it,
# "no entropy for TLS key generation: disabling TLS support".
echo 'tlsmgr unix - - n 1000? 1 tlsmgr' >>"$T_DIR/pf/etc/master.cf" || exit 1
t_on_exit pf_stop "$T_DIR/pf"
t_on_exit 'echo "---- postfix log: $(pf_logfile "$T_DIR/pf")"'
pf_start "$T_DIR/pf" || exit 1

WRONG=' cert="mx1\.wrongroute\.test" issuer="Lockdown Test CA"'
for a in 192.0.2.1 IPv6:2001:db8:dead::1; do
    tls_accepted "CN mx1.mailroute.test from unlisted $a" "$a" good tlsroute tls-name mx1.mailroute.test
    connect_deferred "$a"
    tls_refused "wrong CN from $a" "$a" not-listed "entry=-" "$WRONG" --cert wrong
    expect_code tls ok
    # Postfix sets no {cert_subject} for a certificate it does not trust.
    tls_refused "right CN, untrusted CA, from $a" "$a" not-listed "entry=-" "" --cert rogue
    expect_code tls ok
    tls_refused "STARTTLS without a certificate from $a" "$a" not-listed "entry=-" ""
    expect_code tls ok
    tls_refused "no STARTTLS from $a" "$a" not-listed "entry=-" "" --plain
    expect_code tls none
done
# Postfix itself saw the rogue certificate and did not trust it.
if grep -q 'Untrusted TLS connection established' "$(pf_logfile "$T_DIR/pf")"; then
    t_result 1 "postfix log: untrusted client certificate" "Untrusted TLS connection established" "Untrusted TLS connection established"
else
    t_result 0 "postfix log: untrusted client certificate" "$(grep 'TLS connection' "$(pf_logfile "$T_DIR/pf")" | tail -n 1)" "Untrusted TLS connection established"
fi

for a in 198.18.0.5 IPv6:2001:db8:18::5; do
    tls_refused "tls_required, in range, no certificate: $a" "$a" tls-required \
        "entry=tlsonly match=range" ""
    expect_code tls ok
    tls_refused "tls_required, in range, no STARTTLS: $a" "$a" tls-required \
        "entry=tlsonly match=range" "" --plain
    tls_refused "tls_required, in range, untrusted CA: $a" "$a" tls-required \
        "entry=tlsonly match=range" "" --cert rogue
    tls_refused "tls_required, in range, a CN no profile names: $a" "$a" tls-required \
        "entry=tlsonly match=range" "$WRONG" --cert wrong
    tls_accepted "tls_required, in range, its certificate: $a" "$a" secure tlsonly \
        range,tls-name relay.securefilter.test
done

# An address in a tls_names profile's ranges needs no certificate.
pt "tlsroute by address, no certificate" 203.0.113.9 --to "$LOCAL_RCPT"
expect_code mail 250
expect_code rcpt 250
expect_log "accepted on the range" "$(log_addr 203.0.113.9) stage=connect port=$LOCKED verdict=(accept|continue) reason=provider entry=tlsroute"

t_done
