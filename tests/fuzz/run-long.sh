#!/bin/bash
# Long fuzz run: each harness until 10^8 executions or
# LOCKDOWN_FUZZ_SECONDS (default 3600) per harness, whichever comes first,
# in libFuzzer's fork mode with LOCKDOWN_FUZZ_WORKERS processes (default 1;
# 2 uses both cores). Crashes, leaks, UB, timeouts and OOMs are counted and
# the run goes on (-ignore_crashes); the inputs are kept in
# tests/fuzz/work/long/. Prints a Markdown table, one row per harness (the
# long-run table of tests/fuzz/README.md, less its machine column), and
# exits non-zero when any harness found anything.
#   tests/fuzz/run-long.sh [harness...]
#   LOCKDOWN_FUZZ_RUNS=100000000 LOCKDOWN_FUZZ_SECONDS=3600 LOCKDOWN_FUZZ_WORKERS=2
set -euo pipefail
source "$(dirname "$0")/common.sh"
secs=${LOCKDOWN_FUZZ_SECONDS:-3600}
runs=${LOCKDOWN_FUZZ_RUNS:-100000000}
workers=${LOCKDOWN_FUZZ_WORKERS:-1}
[ $# -gt 0 ] && harnesses=("$@")

fuzz_build
work=$fuzzdir/work/long
mkdir -p "$work"
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
bad=0
printf '| date | commit | harness | executions | seconds | exec/s | crash/leak/UB | timeouts | OOMs |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for h in "${harnesses[@]}"; do
    mkdir -p "$work/$h"
    log=$work/$h.log
    start=$(date +%s)
    # shellcheck disable=SC2046
    "$build/tests/fuzz/fuzz_$h" -fork="$workers" -ignore_crashes=1 \
        -ignore_timeouts=1 -ignore_ooms=1 -runs="$runs" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        $(fuzz_dict "$h") -artifact_prefix="$work/$h-" \
        "$work/$h" $(fuzz_seeds "$h") >"$log" 2>&1 || true
    elapsed=$(($(date +%s) - start))
    # Fork mode reports "#RUNS: cov: ... oom/timeout/crash: O/T/C ...".
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
    n=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    otc=$(sed -E 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/\1/' <<<"$last")
    IFS=/ read -r ooms timeouts crashes <<<"${otc:-?/?/?}"
    [ -n "$n" ] || { n=0; crashes='?'; }
    rate=$((n / (elapsed > 0 ? elapsed : 1)))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(date -u +%F)" \
        "$commit" "$h" "$n" "$elapsed" "$rate" "$crashes" "$timeouts" "$ooms"
    if [ "$crashes" != 0 ] || [ "$timeouts" != 0 ] || [ "$ooms" != 0 ]; then
        bad=1
    fi
done
exit $bad
