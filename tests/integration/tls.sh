# shellcheck shell=bash disable=SC2034,SC2154
# tls.sh - STARTTLS sessions for the integration tests (sourced after
# common.sh): one swaks run per session, its reply codes parsed into
# CODE[] and TEXT[] like smtp() does, so expect_code, expect_text,
# expect_nothing_accepted and expect_log work on it.
#
#   tls_smtp DESC [--cert NAME] [--plain] SWAKS-ARGS...
#       --cert NAME   present $T_CA/NAME.crt and NAME.key (tests/lib/testca.sh)
#       --plain       no STARTTLS at all
#   Steps: banner ehlo xclient ehlo2 starttls tls ehlo3 mail rcpt data
#   message quit; "tls" is "ok" once the handshake is done, else "none".
#
# swaks (contrib/deps.sh) marks lines "-> "/"<- " in clear, "~> "/"<~ "
# inside TLS, "<** "/"<~* " for a reply it did not expect (it then QUITs:
# a refused MAIL ends the session there, so nothing later is accepted).

command -v swaks >/dev/null || t_skip "swaks missing (contrib/deps.sh)"
perl -MNet::SSLeay -e 1 2>/dev/null || t_skip "swaks cannot do TLS: Net::SSLeay missing (libnet-ssleay-perl, contrib/deps.sh)"

# tls_parse FILE: CODE[]/TEXT[] from a swaks transcript.
tls_parse() {
    local line dir rest step=banner code nehlo=0
    CODE=()
    TEXT=()
    CODE[tls]=none
    while IFS= read -r line; do
        line=${line%$'\r'}
        [[ $line =~ ^\ ?(->|~>|<-|<~|<\*\*|<~\*|===)\ +(.*)$ ]] || continue
        dir=${BASH_REMATCH[1]}
        rest=${BASH_REMATCH[2]}
        case "$dir" in
            '->' | '~>')
                case "${rest^^}" in
                    EHLO* | HELO*)
                        nehlo=$((nehlo + 1))
                        step=ehlo
                        [ "$nehlo" -gt 1 ] && step=ehlo$nehlo
                        ;;
                    XCLIENT*) step=xclient ;;
                    STARTTLS*) step=starttls ;;
                    'MAIL FROM:'*) step=mail ;;
                    'RCPT TO:'*) step=rcpt ;;
                    DATA) step=data ;;
                    .) step=message ;;
                    QUIT) step=quit ;;
                    *) ;; # message lines
                esac
                ;;
            '===')
                case "$rest" in
                    'TLS started'*) CODE[tls]=ok ;;
                esac
                ;;
            *)
                # the last line of a reply: "250 text" (not "250-text")
                [[ $rest =~ ^([0-9]{3})( |$) ]] || continue
                code=${BASH_REMATCH[1]}
                if [ "$step" = rcpt ] && [ -n "${CODE[rcpt]:-}" ]; then
                    CODE[rcpt]=${CODE[rcpt]},$code
                else
                    CODE[$step]=$code
                fi
                TEXT[$step]=$rest
                ;;
        esac
    done <"$1"
}

tls_smtp() {
    local desc=$1 cert='' plain=0 out summary k
    shift
    while [ $# -gt 0 ]; do
        case "$1" in
            --cert) cert=$2; shift 2 ;;
            --plain) plain=1; shift ;;
            *) break ;;
        esac
    done
    T_DESC=$desc
    T_LOGMARK=$(wc -l <"$T_MLOG" 2>/dev/null || echo 0)
    out=$T_DIR/swaks.out
    local args=(--timeout 10 --helo client.example.test
        --from sender@example.org)
    if [ "$plain" = 0 ]; then
        args+=(--tls)
        [ -n "$cert" ] && args+=(--tls-cert "$T_CA/$cert.crt" --tls-key "$T_CA/$cert.key")
    fi
    swaks "${args[@]}" "$@" >"$out" 2>&1
    { echo "== $desc: swaks ${args[*]} $*"; cat "$out"; } >>"$T_TRANSCRIPT"
    tls_parse "$out"
    summary=
    for k in banner xclient starttls tls mail rcpt data message; do
        [ -n "${CODE[$k]:-}" ] && summary="$summary $k=${CODE[$k]}"
    done
    echo "-- $desc:$summary"
}
