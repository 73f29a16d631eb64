#!/bin/bash
# reload.sh - reload under load.
#
# While miltergen drives sessions against lockdown-milter (unix socket, -f)
# without pause, the config file is swapped by rename between two valid
# configs A and B and, one time in ten, a broken one, and SIGUSR1 is sent
# after each swap. Goals:
#   - 0 failed sessions (errors, timeouts, protocol), 0 unexpected verdicts;
#   - every canary session (192.0.2.77) shows exactly the stage pattern of A
#     or of B, never a mix: A answers connect continue, MAIL continue, RCPT
#     554 (relay denied); B answers connect continue, MAIL 451. A session
#     holding one config's connect state but judged by the other at MAIL or
#     RCPT ends in a pattern neither gives (see conf/reload-[ab].yaml);
#   - after each good reload the daemon logs "reloaded configuration" and a
#     new session gets the new config's verdict;
#   - after each bad one it logs "reload failed, keeping the current
#     configuration: FILE:LINE:COL: ..." with the expected position and a
#     new session still gets the old config's verdict;
#   - the daemon is alive at the end, never logged an internal error, and
#     both configs answered canaries under load;
#   - after the storm, new sessions get verdicts again (a short run with
#     no failed session), and libmilter logged no failure of its own
#     (its syslog messages reach the -f log, checked first with an
#     option negotiation it refuses).
# The box is meant to be busy, as it is when other builds and test runs
# share it: the script keeps both cores loaded (CPU, fork and fsync
# loops, bounded in time) while the storm runs.
#
# usage: reload.sh [--long] [--reloads N] [--concurrency C]
#                  [--interval S] [--min-rate R] [--no-compete]
#   default (CI): 60 reloads, 16 clients; --long: 600 reloads and at
#   least 1000 sessions/s of load.
set -u
. "$(dirname "$0")/lib.sh"

RELOADS=60
CONC=16
INTERVAL=0
MIN_RATE=0
MODE=short
COMPETE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --long)
            MODE=long
            RELOADS=600
            MIN_RATE=1000
            ;;
        --reloads) RELOADS=$2; shift ;;
        --concurrency) CONC=$2; shift ;;
        --interval) INTERVAL=$2; shift ;;
        --min-rate) MIN_RATE=$2; shift ;;
        --no-compete) COMPETE=0 ;;
        *) echo "usage: $0 [--long] [--reloads N] [--concurrency C] [--interval S] [--min-rate R] [--no-compete]" >&2; exit 64 ;;
    esac
    shift
done
case "$RELOADS$CONC" in *[!0-9]*) echo "bad number" >&2; exit 64 ;; esac
[ -x "$H_GEN" ] || { echo "no miltergen at $H_GEN" >&2; exit 1; }

CANARY=192.0.2.77
CONFDIR=$H_SRC/tests/hardening/conf
# Broken variants: file, then the position and message the reload must log.
BAD_FILES=(reload-bad-syntax.yaml reload-bad-hostbits.yaml reload-bad-provider.yaml)
BAD_WANT=("14:10: YAML syntax error"
    "13:14: trusted[1].ranges: \"192.0.2.77/24\": host bits set"
    "8:3: providers.nosuchfilter: cannot open the profile")
# Verdict of a canary session (miltergen's final verdict) under A and B.
declare -A CANARY_VERDICT=([a]=reject [b]=tempfail)
GEN_ARGS=(--mail sender.test --rcpt remote.test)

h_init "reload-$MODE"
h_conf "$CONFDIR/reload-a.yaml" || exit 1
h_milter_start || exit 1
MPID=$H_MILTER_PID

# libmilter logs its own failures with syslog(3) only; in -f mode they
# must reach the log too, or a wedged listener says nothing. An option
# negotiation with protocol version 1 makes libmilter log one.
python3 - "$H_SOCK" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
d = b"O" + struct.pack("!III", 1, 0x1FF, 0x1FFFFF)
s.sendall(struct.pack("!I", len(d)) + d)
try:
    s.recv(64)
except OSError:
    pass
PY
seen=0
for w in $(seq 1 200); do
    grep -q 'st_optionneg.*protocol version too old' "$H_MLOG" && { seen=1; break; }
    sleep 0.025
done
h_eq "libmilter's own messages reach the -f log" "$seen" 1
LM_OFF=$(log_size)

# Competing load, bounded in time: two CPU loops, a fork loop and an
# fsync loop, at the same priority as the daemon and the load generator,
# as on a shared box.
COMPETE_PIDS=()
if [ "$COMPETE" = 1 ]; then
    c_secs=$((RELOADS * 2 + 60))
    for k in 1 2; do
        timeout "$c_secs" sh -c 'while :; do :; done' &
        COMPETE_PIDS+=($!)
    done
    timeout "$c_secs" sh -c 'while :; do /bin/true; done' &
    COMPETE_PIDS+=($!)
    timeout "$c_secs" sh -c 'while :; do dd if=/dev/zero of="$1" bs=1M count=16 conv=fsync 2>/dev/null; done' sh "$H_DIR/compete.tmp" &
    COMPETE_PIDS+=($!)
    # timeout(1) passes a TERM on to its loop; a KILL would leave the loop
    # spinning, so TERM them before the cleanup's KILL.
    h_on_exit "kill -TERM ${COMPETE_PIDS[*]} 2>/dev/null"
    for p in "${COMPETE_PIDS[@]}"; do h_bg "$p"; done
fi

# probe WANT: one canary session on a fresh connection; 0 when its verdict
# is WANT's.
probe() {
    "$H_GEN" --socket "unix:$H_SOCK" --sessions 1 --canary-every 1 \
        --canary "$CANARY=${CANARY_VERDICT[$1]}" "${GEN_ARGS[@]}" \
        --timeout 5000 --quiet >/dev/null 2>>"$H_DIR/probe.err"
}

# Load: sessions until stopped (bounded by --max-time), every session
# logged with its per-stage replies.
"$H_GEN" --socket "unix:$H_SOCK" --duration 100000 --max-time 3000 \
    --concurrency "$CONC" "${GEN_ARGS[@]}" --canary-every 2 \
    --canary "$CANARY=reject,tempfail" --expect-inside accept \
    --expect-outside reject,tempfail --server-pid "$MPID" \
    --csv --log "$H_DIR/sessions.log" --bench reload --impl lockdown \
    >"$H_DIR/load.csv" 2>"$H_DIR/load.err" &
GEN_PID=$!
h_bg "$GEN_PID"
sleep 0.5

cur=a          # the config the daemon should be answering with
next_good=b
good=0
bad=0
reload_fail=0  # reloads whose log line or probe was wrong
no_answer=0
probe_fail=0
t0=$(date +%s.%N)
for i in $(seq 1 "$RELOADS"); do
    if ! proc_alive "$GEN_PID"; then
        echo "load generator ended early (reload $i)"
        break
    fi
    if [ $((i % 10)) = 0 ]; then
        k=$(((i / 10 - 1) % ${#BAD_FILES[@]}))
        h_conf "$CONFDIR/${BAD_FILES[$k]}" || exit 1
        kind=bad
    else
        h_conf "$CONFDIR/reload-$next_good.yaml" || exit 1
        kind=good
    fi
    off=$(log_size)
    kill -USR1 "$MPID" || break
    line=
    for w in $(seq 1 1000); do
        line=$(log_since "$off" | grep -m 1 -E 'reloaded configuration|reload failed')
        [ -n "$line" ] && break
        sleep 0.01
    done
    if [ -z "$line" ]; then
        no_answer=$((no_answer + 1))
        echo "FAIL reload $i ($kind): no reload line within 10 s"
        continue
    fi
    if [ "$kind" = good ]; then
        good=$((good + 1))
        if [[ $line != *"reloaded configuration $H_CONF" ]]; then
            reload_fail=$((reload_fail + 1))
            echo "FAIL reload $i (good, $next_good): $line"
        fi
        cur=$next_good
        [ "$cur" = a ] && next_good=b || next_good=a
    else
        bad=$((bad + 1))
        want="reload failed, keeping the current configuration: $H_CONF:${BAD_WANT[$k]}"
        if [[ $line != *"$want"* ]]; then
            reload_fail=$((reload_fail + 1))
            echo "FAIL reload $i (bad, ${BAD_FILES[$k]}): got '$line', want '*$want*'"
        fi
    fi
    if ! probe "$cur"; then
        probe_fail=$((probe_fail + 1))
        echo "FAIL reload $i ($kind): a new session did not get config $cur's verdict (${CANARY_VERDICT[$cur]})"
    fi
    [ "$INTERVAL" != 0 ] && sleep "$INTERVAL"
done
t1=$(date +%s.%N)
kill -INT "$GEN_PID" 2>/dev/null
for w in $(seq 1 600); do
    proc_alive "$GEN_PID" || break
    sleep 0.05
done
wait "$GEN_PID" 2>/dev/null

# The load is gone; a wedged daemon stays wedged.
for p in "${COMPETE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${COMPETE_PIDS[@]}"; do wait "$p" 2>/dev/null; done
rm -f "$H_DIR/compete.tmp"

# After the storm: new sessions must get verdicts again.
"$H_GEN" --socket "unix:$H_SOCK" --sessions 400 --concurrency 4 \
    --max-time 120 "${GEN_ARGS[@]}" --canary-every 2 \
    --canary "$CANARY=${CANARY_VERDICT[$cur]}" --expect-inside accept \
    --expect-outside reject,tempfail --csv \
    >"$H_DIR/after.csv" 2>"$H_DIR/after.err"
after_ok=$(csv_get "$H_DIR/after.csv" sessions_ok)
after_errors=$(csv_get "$H_DIR/after.csv" errors)
# libmilter's lines carry no timestamp: "lockdown-milter[PID]: ...".
log_since "$LM_OFF" | grep -E '^lockdown-milter\[[0-9]+\]: ' | head -n 5 >"$H_DIR/libmilter.lines"
lm_lines=$(wc -l <"$H_DIR/libmilter.lines")
[ "$lm_lines" = 0 ] || sed 's/^/#   libmilter: /' "$H_DIR/libmilter.lines"

reload_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
sessions=$(csv_get "$H_DIR/load.csv" sessions)
rate=$(csv_get "$H_DIR/load.csv" sessions_per_s)
errors=$(csv_get "$H_DIR/load.csv" errors)
mismatches=$(csv_get "$H_DIR/load.csv" mismatches)

# Stage patterns (connect, helo, mail, rcpt) per class from the session
# log: c continue, a accept, 5/4 reply code class, - not reached.
awk -v out="$H_DIR/patterns" '
    { n[$3 " " $6 " " $9]++ }
    $3 == "canary" && $6 == "c-c5" && $9 == "none" { ca++ ; next }
    $3 == "canary" && $6 == "c-4-" && $9 == "none" { cb++ ; next }
    $3 == "outside" && ($6 == "c-5-" || $6 == "c-4-") && $9 == "none" { next }
    $3 == "inside" && $6 == "a---" && $9 == "none" { next }
    { bad++; if (bad <= 5) print "unexpected session: " $0 > "/dev/stderr" }
    END {
        for (k in n) print n[k], k > out
        printf "%d %d %d\n", ca, cb, bad
    }' "$H_DIR/sessions.log" >"$H_DIR/canary.counts"
read -r canary_a canary_b wrong <"$H_DIR/canary.counts"
logged=$(wc -l <"$H_DIR/sessions.log")

# Why sessions failed, most common first (miltergen's reasons).
if [ "${errors:-0}" != 0 ]; then
    echo "# failed sessions under load, by reason:"
    sed -e 's/^miltergen: session [0-9]* ([a-z]* [0-9a-f.:]*): //' "$H_DIR/load.err" |
        sort | uniq -c | sort -rn | head -n 5 | sed 's/^/#   /'
fi
echo "# session patterns (count class connect-helo-mail-rcpt error):"
sort -rn "$H_DIR/patterns" | sed 's/^/#   /'
h_figure reloads "$((good + bad)) ($good good, $bad bad) in ${reload_s} s"
h_figure load "$sessions sessions, $rate/s, concurrency $CONC"
h_figure "canary sessions" "$canary_a config A, $canary_b config B, $wrong unexpected"

h_eq "reloads answered" "$((good + bad))" "$RELOADS"
h_eq "reloads without a reload line" "$no_answer" 0
h_eq "reload lines wrong (good: reloaded, bad: file:line:col)" "$reload_fail" 0
h_eq "new sessions after a reload answered by the wrong config" "$probe_fail" 0
h_eq "failed sessions under load" "${errors:-none}" 0
h_eq "unexpected verdicts under load" "${mismatches:-none}" 0
h_eq "sessions logged = sessions counted" "$logged" "${sessions:-none}"
h_eq "sessions with a pattern of neither A nor B (mixed or wrong)" "${wrong:-none}" 0
h_ge "canary sessions answered by A under load" "${canary_a:-0}" 1
h_ge "canary sessions answered by B under load" "${canary_b:-0}" 1
h_ge "sessions/s under load" "${rate:-0}" "$MIN_RATE"
h_eq "'reloaded configuration' lines" "$(grep -c 'reloaded configuration' "$H_MLOG")" "$good"
h_eq "'reload failed' lines" "$(grep -c 'reload failed' "$H_MLOG")" "$bad"
h_eq "internal errors logged" "$(grep -c 'internal error' "$H_MLOG")" 0
h_eq "sessions after the storm that failed" "${after_errors:-none}" 0
h_eq "sessions after the storm answered as expected" "${after_ok:-none}" 400
h_eq "libmilter failure lines during the storm" "$lm_lines" 0
if proc_alive "$MPID"; then
    h_result 1 "daemon alive after $((good + bad)) reloads" "pid $MPID" "alive"
else
    h_result 0 "daemon alive after $((good + bad)) reloads" "dead" "alive"
fi
h_milter_stop
h_eq "daemon exit status" "${H_MILTER_RC:-none}" 0
h_done
