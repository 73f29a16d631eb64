#!/bin/bash
# soak.sh - soak: memory, descriptors and threads under a long load.
#
# lockdown-milter (unix socket, -f) under miltergen: a warm-up run, then one
# run of SESSIONS sessions (connect, MAIL, RCPT; providers, a trusted LAN
# that may not relay, outsiders deferred to MAIL, authenticated outsiders
# whose MAIL passes and whose relaying is refused; IPv4 and IPv6), each
# run also holding IDLE concurrent sessions open (negotiated, then silent)
# from its start to its end. Goals:
#   - 0 failed sessions and 0 unexpected verdicts in both runs;
#   - the IDLE held sessions all opened and none dropped (0 errors);
#   - RSS after the run minus RSS after the warm-up < 1024 kB (both read
#     with the same state: runs over, the held sessions closed);
#   - open file descriptors and threads back to their counts at start-up.
#
# usage: soak.sh [--long] [--sessions N] [--warmup N] [--idle K]
#                [--concurrency C]
#                [--rss-goal KB]
#   default (CI): 20,000 sessions after 5,000 of warm-up, 1,000 held;
#   --long: 1,000,000 sessions after 50,000 of warm-up, 1,000 held.
#   --rss-goal 0 reports the RSS growth without judging it (a sanitizer
#   build, whose allocator quarantines freed memory).
set -u
. "$(dirname "$0")/lib.sh"

SESSIONS=20000
WARMUP=5000
IDLE=1000
CONC=8
MODE=short
RSS_GOAL_KB=1024
while [ $# -gt 0 ]; do
    case "$1" in
        --long)
            MODE=long
            SESSIONS=1000000
            WARMUP=50000
            ;;
        --sessions) SESSIONS=$2; shift ;;
        --warmup) WARMUP=$2; shift ;;
        --idle) IDLE=$2; shift ;;
        --concurrency) CONC=$2; shift ;;
        --rss-goal) RSS_GOAL_KB=$2; shift ;;
        *) echo "usage: $0 [--long] [--sessions N] [--warmup N] [--idle K] [--concurrency C] [--rss-goal KB]" >&2; exit 64 ;;
    esac
    shift
done
case "$SESSIONS$WARMUP$IDLE$CONC$RSS_GOAL_KB" in *[!0-9]*) echo "bad number" >&2; exit 64 ;; esac
[ -x "$H_GEN" ] || { echo "no miltergen at $H_GEN" >&2; exit 1; }

# Each held session is a descriptor in the daemon and in miltergen: raise
# the limit for both (they inherit it from this shell).
need=$((IDLE + CONC + 256))
if ! ulimit -n "$need" 2>/dev/null; then
    ulimit -Hn "$need" 2>/dev/null && ulimit -n "$need" 2>/dev/null
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    echo "cannot raise the open files limit to $need (ulimit -n is $(ulimit -n))" >&2
    exit 1
fi

h_init "soak-$MODE"
h_conf "$H_SRC/tests/hardening/conf/soak.yaml" || exit 1
h_milter_start || exit 1
MPID=$H_MILTER_PID
sleep 0.2
fd0=$(proc_fds "$MPID")
thr0=$(proc_threads "$MPID")
rss0=$(proc_rss_kb "$MPID")

# Sample RSS, threads and fds once a second for the whole soak.
(
    while proc_alive "$MPID"; do
        echo "$(date +%s) $(proc_rss_kb "$MPID") $(proc_threads "$MPID") $(proc_fds "$MPID")"
        sleep 1
    done
) >"$H_DIR/samples" 2>/dev/null &
h_bg $!

gen() {
    local name=$1 n=$2
    shift 2
    "$H_GEN" --socket "unix:$H_SOCK" --sessions "$n" --concurrency "$CONC" \
        --idle "$IDLE" --max-time "$((n / 200 + 120))" --timeout 10000 \
        --inside 199.89.0.0/21 --inside 208.123.79.0/24 --inside 64.18.0.0/20 \
        --inside 83.245.15.239/32 --outside 203.0.113.0/24 \
        --outside 2001:db8:99::/48 --hit-ratio 0.4 \
        --mail sender.test --rcpt remote.test --auth-ratio 0.1 \
        --canary 192.0.2.10=reject --canary-every 10 \
        --expect-inside accept --expect-outside reject \
        --expect-auth reject --server-pid "$MPID" \
        --bench "soak-$name" --impl lockdown --csv "$@" \
        >"$H_DIR/$name.csv" 2>"$H_DIR/$name.err"
}

# settle: wait (at most 10 s) until the daemon is back to its start-up
# threads and fds, as it should be once every session closed.
settle() {
    local i
    for i in $(seq 1 100); do
        [ "$(proc_threads "$MPID")" = "$thr0" ] && [ "$(proc_fds "$MPID")" = "$fd0" ] && break
        sleep 0.1
    done
    sleep 0.5
}

t0=$(date +%s.%N)
gen warmup "$WARMUP"
warm_rc=$?
settle
rss_warm=$(proc_rss_kb "$MPID")
fd_warm=$(proc_fds "$MPID")
thr_warm=$(proc_threads "$MPID")

t1=$(date +%s.%N)
gen run "$SESSIONS"
run_rc=$?
t2=$(date +%s.%N)
settle
rss_end=$(proc_rss_kb "$MPID")
fd_end=$(proc_fds "$MPID")
thr_end=$(proc_threads "$MPID")

c=$H_DIR/run.csv
sessions=$(csv_get "$c" sessions)
rate=$(csv_get "$c" sessions_per_s)
growth=$((rss_end - rss_warm))
rss_max=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$H_DIR/samples")
thr_max=$(awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' "$H_DIR/samples")
fd_max=$(awk 'BEGIN { m = 0 } $4 > m { m = $4 } END { print m }' "$H_DIR/samples")
run_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
sed 's/^/# warm-up: /' "$H_DIR/warmup.err"
sed 's/^/# run: /' "$H_DIR/run.err"

h_figure "sessions" "$WARMUP warm-up + $sessions in ${run_s} s ($rate/s, concurrency $CONC, $IDLE held)"
h_figure "RSS kB" "start $rss0, after warm-up $rss_warm, after run $rss_end (growth $growth), max sampled $rss_max"
h_figure "fds" "start $fd0, after warm-up $fd_warm, after run $fd_end, max sampled $fd_max"
h_figure "threads" "start $thr0, after warm-up $thr_warm, after run $thr_end, max sampled $thr_max"
h_figure "CPU us/session" "$(csv_get "$c" server_cpu_us_per_session)"

h_eq "warm-up: miltergen exit" "$warm_rc" 0
h_eq "warm-up: failed sessions" "$(csv_get "$H_DIR/warmup.csv" errors)" 0
h_eq "warm-up: unexpected verdicts" "$(csv_get "$H_DIR/warmup.csv" mismatches)" 0
h_eq "run: miltergen exit" "$run_rc" 0
h_eq "run: sessions" "${sessions:-none}" "$SESSIONS"
h_eq "run: sessions as expected" "$(csv_get "$c" sessions_ok)" "$SESSIONS"
h_eq "run: failed sessions" "$(csv_get "$c" errors)" 0
h_eq "run: unexpected verdicts" "$(csv_get "$c" mismatches)" 0
h_eq "run: concurrent sessions held" "$(csv_get "$c" idle)" "$IDLE"
h_eq "run: held sessions that failed to open" "$(csv_get "$c" idle_errors)" 0
h_eq "run: held sessions dropped by the daemon" "$(csv_get "$c" idle_dropped)" 0
h_ge "run: daemon fds while holding them" "$(csv_get "$c" server_fds)" "$IDLE"
if [ "$RSS_GOAL_KB" -gt 0 ]; then
    h_le "RSS growth after warm-up (kB)" "$growth" "$((RSS_GOAL_KB - 1))"
else
    echo "(RSS growth after warm-up not judged: --rss-goal 0)"
fi
h_eq "fds back to start-up count" "$fd_end" "$fd0"
h_eq "threads back to start-up count" "$thr_end" "$thr0"
h_eq "internal errors logged" "$(grep -c 'internal error' "$H_MLOG")" 0
h_eq "'out of memory' or 'failed' logged" "$(grep -c -E 'out of memory|failed' "$H_MLOG")" 0
h_milter_stop
h_eq "daemon exit status" "${H_MILTER_RC:-none}" 0
# The decision log of a long run is large: keep only its tail.
if [ "$H_FAILS" = 0 ]; then
    tail -n 1000 "$H_MLOG" >"$H_MLOG.tail" && mv -f "$H_MLOG.tail" "$H_MLOG"
fi
h_done
