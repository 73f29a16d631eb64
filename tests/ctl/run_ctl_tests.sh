#!/bin/bash
# Tests of the built lockdownctl against the shipped etc/lockdown.yaml and
# the configs in tests/ctl/. Each assertion prints got/want when it fails.
#
# usage: run_ctl_tests.sh SECTION LOCKDOWNCTL SOURCE_DIR
#   SECTION: boundaries | exit-codes | lint | stdin | stdin-errors | list |
#            all (every section)
set -u

section=${1:?section}
ctl=${2:?path to lockdownctl}
src=${3:?source directory}
here=$src/tests/ctl
shipped=$src/etc/lockdown.yaml

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctl-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

checks=0
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# run ARGS...: runs lockdownctl, sets $out, $err, $status.
run() {
    out=$("$ctl" "$@" 2>"$tmp/stderr")
    status=$?
    err=$(cat "$tmp/stderr")
}

# expect NAME WANT_STATUS WANT_STDOUT ARGS...: exact stdout and status.
expect() {
    local name=$1 want_status=$2 want_out=$3
    shift 3
    run "$@"
    checks=$((checks + 1))
    if [ "$status" != "$want_status" ]; then
        fail "$name: exit status got $status, want $want_status (stderr: $err)"
    fi
    if [ "$out" != "$want_out" ]; then
        fail "$name: stdout got \"$out\", want \"$want_out\""
    fi
}

# expect_status NAME WANT_STATUS ARGS...: status only (stdout ignored).
expect_status() {
    local name=$1 want_status=$2
    shift 2
    run "$@"
    checks=$((checks + 1))
    if [ "$status" != "$want_status" ]; then
        fail "$name: exit status got $status, want $want_status (stdout: $out; stderr: $err)"
    fi
}

# expect_match NAME WHAT TEXT REGEX: TEXT (one of the captured streams)
# has a line matching the extended regex.
expect_match() {
    local name=$1 what=$2 text=$3 re=$4
    checks=$((checks + 1))
    if ! grep -Eq -- "$re" <<<"$text"; then
        fail "$name: $what got \"$text\", want a line matching /$re/"
    fi
}

expect_no_match() {
    local name=$1 what=$2 text=$3 re=$4
    checks=$((checks + 1))
    if grep -Eq -- "$re" <<<"$text"; then
        fail "$name: $what got \"$text\", want no line matching /$re/"
    fi
}

expect_eq() {
    local name=$1 got=$2 want=$3
    checks=$((checks + 1))
    if [ "$got" != "$want" ]; then
        fail "$name: got \"$got\", want \"$want\""
    fi
}

# --- boundaries of the three shipped profiles -------------------------------
section_boundaries() {
    local c=$shipped a=$here/all-enabled.yaml

    # Shipped: mailroute enabled, postini and arrowmail disabled.
    expect "mailroute first" 0 "accept provider mailroute" -c "$c" check 199.89.0.0 --port 25
    expect "mailroute last" 0 "accept provider mailroute" -c "$c" check 199.89.7.255 --port 25
    expect "mailroute below" 1 "reject not-listed -" -c "$c" check 199.88.255.255 --port 25
    expect "mailroute above" 1 "reject not-listed -" -c "$c" check 199.89.8.0 --port 25
    expect "mailroute mapped" 0 "accept provider mailroute" -c "$c" check ::ffff:199.89.4.1
    expect "mailroute mapped hex" 0 "accept provider mailroute" -c "$c" check ::ffff:c759:0001
    expect "mapped outsider" 1 "reject not-listed -" -c "$c" check ::ffff:199.89.8.0

    expect "postini first (disabled)" 1 "reject not-listed - in disabled profile postini" -c "$c" check 208.123.79.0
    expect "postini last (disabled)" 1 "reject not-listed - in disabled profile postini" -c "$c" check 208.123.79.255
    expect "postini below" 1 "reject not-listed -" -c "$c" check 208.123.78.255
    expect "postini above" 1 "reject not-listed -" -c "$c" check 208.123.80.0
    expect "postini 2nd first (disabled)" 1 "reject not-listed - in disabled profile postini" -c "$c" check 64.18.0.0
    expect "postini 2nd last (disabled)" 1 "reject not-listed - in disabled profile postini" -c "$c" check 64.18.15.255
    expect "postini 2nd below" 1 "reject not-listed -" -c "$c" check 64.17.255.255
    expect "postini 2nd above" 1 "reject not-listed -" -c "$c" check 64.18.16.0

    expect "arrowmail (disabled)" 1 "reject not-listed - in disabled profile arrowmail" -c "$c" check 83.245.15.239
    expect "arrowmail below" 1 "reject not-listed -" -c "$c" check 83.245.15.238
    expect "arrowmail above" 1 "reject not-listed -" -c "$c" check 83.245.15.240

    expect "loopback v4" 0 "accept trusted loopback" -c "$c" check 127.0.0.1
    expect "loopback v4 last" 0 "accept trusted loopback" -c "$c" check 127.255.255.255
    expect "loopback v6" 0 "accept trusted loopback" -c "$c" check ::1
    expect "outsider v6" 1 "reject not-listed -" -c "$c" check 2001:db8::1
    expect "outsider on 587" 0 "accept port-not-locked -" -c "$c" check 192.0.2.1 --port 587
    expect "outsider on 2525" 0 "accept port-not-locked -" -c "$c" check 192.0.2.1 --port=2525
    expect "unknown port is locked" 1 "reject not-listed -" -c "$c" check 192.0.2.1

    # All three enabled.
    expect "all: mailroute first" 0 "accept provider mailroute" -c "$a" check 199.89.0.0
    expect "all: mailroute last" 0 "accept provider mailroute" -c "$a" check 199.89.7.255
    expect "all: mailroute below" 1 "reject not-listed -" -c "$a" check 199.88.255.255
    expect "all: mailroute above" 1 "reject not-listed -" -c "$a" check 199.89.8.0
    expect "all: postini first" 0 "accept provider postini" -c "$a" check 208.123.79.0
    expect "all: postini last" 0 "accept provider postini" -c "$a" check 208.123.79.255
    expect "all: postini below" 1 "reject not-listed -" -c "$a" check 208.123.78.255
    expect "all: postini above" 1 "reject not-listed -" -c "$a" check 208.123.80.0
    expect "all: postini 2nd first" 0 "accept provider postini" -c "$a" check 64.18.0.0
    expect "all: postini 2nd last" 0 "accept provider postini" -c "$a" check 64.18.15.255
    expect "all: postini 2nd below" 1 "reject not-listed -" -c "$a" check 64.17.255.255
    expect "all: postini 2nd above" 1 "reject not-listed -" -c "$a" check 64.18.16.0
    expect "all: arrowmail" 0 "accept provider arrowmail" -c "$a" check 83.245.15.239
    expect "all: arrowmail below" 1 "reject not-listed -" -c "$a" check 83.245.15.238
    expect "all: arrowmail above" 1 "reject not-listed -" -c "$a" check 83.245.15.240
    expect "all: arrowmail mapped" 0 "accept provider arrowmail" -c "$a" check ::ffff:83.245.15.239
}

# --- exit codes and the other policy branches -------------------------------
section_exit_codes() {
    local c=$shipped d=$here/deferred.yaml m=$here/monitor.yaml

    # 0 / 1
    expect "accept exits 0" 0 "accept provider mailroute" -c "$c" check 199.89.1.1
    expect "reject exits 1" 1 "reject not-listed -" -c "$c" check 192.0.2.1
    expect "tempfail exits 1" 1 "tempfail unknown-client -" -c "$c" check unknown
    expect "monitor would-reject exits 0" 0 "would-reject not-listed -" -c "$m" check 192.0.2.1
    expect "monitor disabled profile" 0 "would-reject not-listed - in disabled profile postini" -c "$m" check 208.123.79.7
    expect "monitor provider" 0 "accept provider mailroute" -c "$m" check 199.89.1.1

    # deferred refusal, relaying, auth
    expect "deferred, no auth" 1 "reject not-listed -" -c "$d" check 192.0.2.1
    expect "deferred, disabled profile" 1 "reject not-listed - in disabled profile arrowmail" -c "$d" check 83.245.15.239
    expect "deferred, auth" 0 "continue authenticated -" -c "$d" check 192.0.2.1 --auth alice
    expect "deferred, auth relays" 0 "continue authenticated -" -c "$d" check 192.0.2.1 --auth alice --rcpt bob@other.example
    expect "deferred, auth local" 0 "continue local-recipient -" -c "$d" check 192.0.2.1 --auth alice --rcpt '<bob@Example.COM>'
    expect "trusted without relay, relaying" 1 "reject relay-denied office-lan" -c "$d" check 192.168.10.7 --rcpt bob@other.example
    expect "trusted without relay, local" 0 "continue local-recipient office-lan" -c "$d" check 192.168.10.7 --rcpt bob@example.com
    expect "trusted without relay, postmaster" 0 "continue local-recipient office-lan" -c "$d" check 192.168.10.7 --rcpt postmaster
    expect "trusted without relay, auth relays" 0 "continue authenticated office-lan" -c "$d" check 192.168.10.7 --auth carol --rcpt bob@other.example
    expect "trusted without relay, no rcpt" 0 "continue trusted office-lan" -c "$d" check 192.168.10.7
    expect "trusted copier relays (longest prefix)" 0 "accept trusted copier" -c "$d" check 192.168.10.40 --rcpt bob@other.example
    expect "provider relays: accept" 0 "accept provider mailroute" -c "$d" check 199.89.0.9 --rcpt bob@other.example
    expect "source route" 1 "reject relay-denied office-lan" -c "$d" check 192.168.10.7 --rcpt '<@relay.example.com:bob@other.example>'
    expect "second locked port" 1 "reject not-listed -" -c "$d" check 192.0.2.1 --port 2525
    expect "unknown client reject" 1 "reject unknown-client -" -c "$d" check unknown
    expect "unknown client on open port" 0 "accept port-not-locked -" -c "$d" check unknown --port 587
    expect "options before address" 0 "continue authenticated -" -c "$d" check --auth=alice --port 25 -- 192.0.2.1

    # 64: usage
    expect_status "no command" 64
    expect_status "unknown command" 64 -c "$c" frobnicate
    expect_status "unknown global option" 64 -x
    expect_status "-c without file" 64 -c
    expect_status "check without address" 64 -c "$c" check
    expect_status "check two addresses" 64 -c "$c" check 192.0.2.1 192.0.2.2
    expect_status "check short address" 64 -c "$c" check 1.2.3
    expect_match "check short address" stderr "$err" '"1\.2\.3"'
    expect_status "check octal address" 64 -c "$c" check 010.1.1.1
    expect_status "check zone id" 64 -c "$c" check 'fe80::1%eth0'
    expect_status "check prefix as address" 64 -c "$c" check 199.89.0.0/21
    expect_status "check port 0" 64 -c "$c" check 192.0.2.1 --port 0
    expect_status "check port 65536" 64 -c "$c" check 192.0.2.1 --port 65536
    expect_status "check port text" 64 -c "$c" check 192.0.2.1 --port smtp
    expect_status "check --port without value" 64 -c "$c" check 192.0.2.1 --port
    expect_status "check unknown option" 64 -c "$c" check 192.0.2.1 --bogus
    expect_status "check short unknown option" 64 -c "$c" check 192.0.2.1 -p 25
    expect_status "list extra argument" 64 -c "$c" list extra
    expect_status "lint extra argument" 64 -c "$c" lint extra
    # usage errors are found before the config is read
    expect_status "usage before config" 64 -c /nonexistent/lockdown.yaml check

    # 78: config
    expect_status "missing config" 78 -c "$tmp/nonexistent.yaml" check 192.0.2.1
    expect_match "missing config" stderr "$err" 'nonexistent\.yaml'
    expect_status "broken config, check" 78 -c "$here/broken/hostbits.yaml" check 192.0.2.1
    expect_status "broken config, list" 78 -c "$here/broken/hostbits.yaml" list
    expect_eq "broken config prints nothing on stdout" "$out" ""

    # -V, -h
    expect_status "-V" 0 -V
    expect_match "-V" stdout "$out" '^lockdownctl [0-9]+\.[0-9]+\.[0-9]+$'
    expect_status "-h" 0 -h
    expect_match "-h" stdout "$out" '^usage: lockdownctl'
    expect_match "-h lists check" stdout "$out" '^  check '
    expect_match "-h lists list" stdout "$out" '^  list'
    expect_match "-h lists lint" stdout "$out" '^  lint'
}

# --- lint --------------------------------------------------------------------
section_lint() {
    local b=$here/broken

    expect_status "lint shipped" 0 -c "$shipped" lint
    expect_match "lint shipped" stdout "$out" ': ok: 3 profiles \(1 enabled\), 1 trusted entries'
    expect_eq "lint shipped stderr" "$err" ""
    expect_status "lint all-enabled" 0 -c "$here/all-enabled.yaml" lint
    expect_match "lint all-enabled" stdout "$out" '3 profiles \(3 enabled\)'
    expect_status "lint deferred" 0 -c "$here/deferred.yaml" lint
    expect_status "lint monitor" 0 -c "$here/monitor.yaml" lint

    expect_status "lint host bits" 78 -c "$b/hostbits.yaml" lint
    expect_match "lint host bits" stderr "$err" "^$b/hostbits\.yaml:9:31: .*\"199\.89\.0\.1/21\": host bits set, did you mean \"199\.89\.0\.0/21\"\?"
    expect_eq "lint host bits stdout" "$out" ""
    expect_status "lint unknown key" 78 -c "$b/unknown-key.yaml" lint
    expect_match "lint unknown key" stderr "$err" "^$b/unknown-key\.yaml:9:3: .*portz"
    expect_status "lint syntax" 78 -c "$b/syntax.yaml" lint
    expect_match "lint syntax" stderr "$err" "^$b/syntax\.yaml:[56]:[0-9]+: "
    expect_status "lint bad enum" 78 -c "$b/bad-mode.yaml" lint
    expect_match "lint bad enum" stderr "$err" "^$b/bad-mode\.yaml:7:17: .*\"maybe\""
    expect_status "lint provider without file" 78 -c "$b/missing-provider.yaml" lint
    expect_match "lint provider without file" stderr "$err" "^$b/missing-provider\.yaml:7:[0-9]+: .*nosuch"
    expect_status "lint missing file" 78 -c "$tmp/none.yaml" lint

    # A profile file that providers: does not name is a warning: exit 0,
    # warning on stderr, for lint and for every other command.
    mkdir -p "$tmp/warn/providers"
    cp "$src"/etc/providers/*.yaml "$tmp/warn/providers/"
    printf '%s\n' 'providers_dir: providers' 'providers:' \
        '  mailroute: enabled' '  postini: disabled' >"$tmp/warn/lockdown.yaml"
    expect_status "lint warning" 0 -c "$tmp/warn/lockdown.yaml" lint
    expect_match "lint warning" stderr "$err" '^.*:[0-9]+:[0-9]+: warning: .*arrowmail'
    expect_match "lint warning summary" stdout "$out" '1 warnings$'
    expect "check warning" 0 "accept provider mailroute" -c "$tmp/warn/lockdown.yaml" check 199.89.0.1
    expect_match "check warning" stderr "$err" 'warning: .*arrowmail'
}

# --- check - : a generated million lines --------------------------------------
section_stdin() {
    local n=1000000 input=$tmp/clients.txt output=$tmp/verdicts.txt

    # Ten kinds of line, in turn; the expected counts follow from n.
    awk -v n=$n 'BEGIN {
        for (i = 0; i < n; i++) {
            k = i % 10; o = int(i / 10) % 256
            if (k == 0) print "199.89." (o % 8) "." o           # accept mailroute
            else if (k == 1) print "199.89.7.255 25"            # accept mailroute
            else if (k == 2) print "::ffff:199.89.0." o         # accept mailroute
            else if (k == 3) print "127.0.0." o                 # accept loopback
            else if (k == 4) print "192.0.2." o                 # reject
            else if (k == 5) print "208.123.79." o              # reject, disabled postini
            else if (k == 6) print "192.0.2." o " 587"          # accept, port not locked
            else if (k == 7) print "2001:db8::" o               # reject
            else if (k == 8) print "83.245.15.239\t25"          # reject, disabled arrowmail
            else print "  199.89.8." o "  "                     # reject
        }
    }' >"$input"
    checks=$((checks + 1))
    if [ "$(wc -l <"$input")" != $n ]; then
        fail "generated input: got $(wc -l <"$input") lines, want $n"
    fi

    "$ctl" -c "$shipped" check - <"$input" >"$output" 2>"$tmp/stderr"
    status=$?
    expect_eq "stdin: exit status (some refused)" "$status" 1
    expect_eq "stdin: stderr" "$(cat "$tmp/stderr")" ""
    expect_eq "stdin: output lines" "$(wc -l <"$output")" $n

    # Output fields: ADDRESS VERDICT ENTRY REASON [in disabled profile X].
    local counts want
    counts=$(awk '{ c[$2 " " $3 " " $4 " " (NF > 4 ? $NF : "-")]++ }
                  END { for (k in c) print k, c[k] }' "$output" | sort)
    want=$(printf '%s\n' \
        "accept - port-not-locked - $((n / 10))" \
        "accept mailroute provider - $((3 * n / 10))" \
        "accept loopback trusted - $((n / 10))" \
        "reject - not-listed - $((3 * n / 10))" \
        "reject - not-listed arrowmail $((n / 10))" \
        "reject - not-listed postini $((n / 10))" | sort)
    expect_eq "stdin: counts by verdict/entry/reason/disabled" "$counts" "$want"

    # Every output line names its input address, in order.
    local mismatch
    mismatch=$(awk 'NR == FNR { a[FNR] = $1; next } $1 != a[FNR] { print FNR ": got " $1 ", want " a[FNR]; exit }' \
        "$input" "$output")
    expect_eq "stdin: output addresses follow input" "$mismatch" ""

    # A run where nobody is refused exits 0.
    printf '199.89.0.1\n127.0.0.1 25\n192.0.2.1 587\n' >"$tmp/ok.txt"
    "$ctl" -c "$shipped" check - <"$tmp/ok.txt" >"$tmp/ok.out" 2>&1
    expect_eq "stdin: all let through exits 0" "$?" 0
    expect_eq "stdin: all let through output" "$(cat "$tmp/ok.out")" \
        "199.89.0.1 accept mailroute provider
127.0.0.1 accept loopback trusted
192.0.2.1 accept - port-not-locked"

    # Monitor mode: would-reject lines, exit 0.
    printf '192.0.2.1\n208.123.79.1\n' >"$tmp/mon.txt"
    "$ctl" -c "$here/monitor.yaml" check - <"$tmp/mon.txt" >"$tmp/mon.out" 2>&1
    expect_eq "stdin: monitor exits 0" "$?" 0
    expect_eq "stdin: monitor output" "$(cat "$tmp/mon.out")" \
        "192.0.2.1 would-reject - not-listed
208.123.79.1 would-reject - not-listed in disabled profile postini"

    # Options apply to every line; a port on the line overrides --port.
    printf '192.0.2.1\n192.0.2.1 25\n' >"$tmp/port.txt"
    "$ctl" -c "$shipped" check - --port 587 <"$tmp/port.txt" >"$tmp/port.out" 2>&1
    expect_eq "stdin: --port and line port" "$(cat "$tmp/port.out")" \
        "192.0.2.1 accept - port-not-locked
192.0.2.1 reject - not-listed"
}

section_stdin_errors() {
    printf '%s\n' '# a comment' '' '199.89.0.1' '1.2.3' '199.89.0.1 0' \
        '199.89.0.1 25 extra' '010.1.1.1' '   ' '192.0.2.1 25' \
        "$(head -c 2000 /dev/zero | tr '\0' 'x')" 'fe80::1%eth0' \
        '127.0.0.1' >"$tmp/bad.txt"
    printf '1.2.3.4\0x\n199.89.0.3\r\n' >>"$tmp/bad.txt" # NUL; CRLF
    printf '199.89.0.2' >>"$tmp/bad.txt" # last line without newline
    "$ctl" -c "$shipped" check - <"$tmp/bad.txt" >"$tmp/bad.out" 2>"$tmp/bad.err"
    expect_eq "bad lines: exit status" "$?" 65
    expect_eq "bad lines: stdout" "$(cat "$tmp/bad.out")" \
        "199.89.0.1 accept mailroute provider
1.2.3 error - bad-address
199.89.0.1 error - bad-port
199.89.0.1 error - bad-line
010.1.1.1 error - bad-address
192.0.2.1 reject - not-listed
- error - line-too-long
fe80::1%eth0 error - bad-address
127.0.0.1 accept loopback trusted
- error - bad-line
199.89.0.3 accept mailroute provider
199.89.0.2 accept mailroute provider"
    local e
    e=$(cat "$tmp/bad.err")
    expect_match "bad lines: line 4" stderr "$e" '^lockdownctl: stdin:4: .*"1\.2\.3"'
    expect_match "bad lines: line 5" stderr "$e" '^lockdownctl: stdin:5: "0": expected a port'
    expect_match "bad lines: line 6" stderr "$e" '^lockdownctl: stdin:6: .*too many fields'
    expect_match "bad lines: line 7" stderr "$e" '^lockdownctl: stdin:7: .*"010\.1\.1\.1"'
    expect_match "bad lines: line 10" stderr "$e" '^lockdownctl: stdin:10: line too long'
    expect_match "bad lines: line 11" stderr "$e" '^lockdownctl: stdin:11: .*fe80::1%eth0'
    expect_match "bad lines: line 13" stderr "$e" '^lockdownctl: stdin:13: NUL byte in line$'
    expect_eq "bad lines: stderr lines" "$(wc -l <<<"$e")" 7
}

# --- list ---------------------------------------------------------------------
section_list() {
    expect_status "list shipped" 0 -c "$shipped" list
    local o=$out
    expect_match "list: mailroute" stdout "$o" '^profile mailroute enabled relay yes mode enforce \(global\)$'
    expect_match "list: postini" stdout "$o" '^profile postini disabled relay yes mode enforce \(global\)$'
    expect_match "list: arrowmail" stdout "$o" '^profile arrowmail disabled relay yes mode enforce \(global\)$'
    expect_match "list: loopback" stdout "$o" '^trusted loopback enabled relay yes mode enforce \(global\)$'
    expect_match "list: MailRoute name" stdout "$o" '^    name    MailRoute$'
    expect_match "list: Postini name" stdout "$o" '^    name    Postini$'
    expect_match "list: Arrowmail name" stdout "$o" '^    name    Arrowmail$'
    expect_match "list: mailroute source" stdout "$o" '^    source  https://www\.mailroute\.net/'
    expect_match "list: arrowmail source" stdout "$o" '^    source  http://www\.arrowmail\.co\.uk/howto/limitexc\.aspx$'
    expect_match "list: mailroute range" stdout "$o" '^    range   199\.89\.0\.0/21$'
    expect_match "list: postini range 1" stdout "$o" '^    range   208\.123\.79\.0/24$'
    expect_match "list: postini range 2" stdout "$o" '^    range   64\.18\.0\.0/20$'
    expect_match "list: arrowmail range" stdout "$o" '^    range   83\.245\.15\.239$'
    expect_match "list: loopback v4" stdout "$o" '^    range   127\.0\.0\.0/8$'
    expect_match "list: loopback v6" stdout "$o" '^    range   ::1$'
    expect_match "list: defined at" stdout "$o" '^    defined .*mailroute\.yaml:[0-9]+:[0-9]+$'
    expect_match "list: ports" stdout "$o" '^ports 25$'
    expect_match "list: mode" stdout "$o" '^mode enforce$'
    expect_match "list: refuse-at" stdout "$o" '^refuse-at connect$'
    expect_match "list: no local domains" stdout "$o" '^local-domains none'
    expect_eq "list: entries" "$(grep -Ec '^(profile|trusted) ' <<<"$o")" 4

    expect_status "list deferred" 0 -c "$here/deferred.yaml" list
    o=$out
    expect_match "list deferred: refuse-at" stdout "$o" '^refuse-at mail$'
    expect_match "list deferred: ports" stdout "$o" '^ports 25 2525$'
    expect_match "list deferred: local" stdout "$o" '^local-domains example\.com$'
    expect_match "list deferred: office-lan" stdout "$o" '^trusted office-lan enabled relay no '
    expect_match "list deferred: copier" stdout "$o" '^trusted copier enabled relay yes '
    expect_match "list deferred: copier range" stdout "$o" '^    range   192\.168\.10\.40$'

    expect_status "list monitor" 0 -c "$here/monitor.yaml" list
    expect_match "list monitor" stdout "$out" '^profile mailroute enabled relay yes mode monitor \(global\)$'
}

case $section in
boundaries) section_boundaries ;;
exit-codes) section_exit_codes ;;
lint) section_lint ;;
stdin) section_stdin ;;
stdin-errors) section_stdin_errors ;;
list) section_list ;;
all)
    section_boundaries
    section_exit_codes
    section_lint
    section_stdin
    section_stdin_errors
    section_list
    ;;
*)
    echo "unknown section \"$section\"" >&2
    exit 2
    ;;
esac

echo "$section: $checks checks, $fails failed"
[ "$fails" -eq 0 ] && [ "$checks" -gt 0 ]
