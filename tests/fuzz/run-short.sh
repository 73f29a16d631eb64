#!/bin/bash
# Short fuzz run for CI: builds the libFuzzer harnesses
# (clang, ASan+UBSan, -DLOCKDOWN_FUZZ=ON) in build-fuzz/, runs each for
# LOCKDOWN_FUZZ_SECONDS (default 20) from the committed corpus, and fails on
# any crash, leak, UB, timeout or out-of-memory.
#   tests/fuzz/run-short.sh [harness...]
# New corpus entries go to tests/fuzz/work/short/ (ignored by git);
# a failing input is saved as tests/fuzz/work/short/<harness>-crash-*.
set -euo pipefail
source "$(dirname "$0")/common.sh"
secs=${LOCKDOWN_FUZZ_SECONDS:-20}
[ $# -gt 0 ] && harnesses=("$@")

fuzz_build
work=$fuzzdir/work/short
mkdir -p "$work"
failed=()
for h in "${harnesses[@]}"; do
    mkdir -p "$work/$h"
    log=$work/$h.log
    # shellcheck disable=SC2046
    if "$build/tests/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 $(fuzz_dict "$h") \
        -artifact_prefix="$work/$h-" "$work/$h" $(fuzz_seeds "$h") \
        >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $h: ok, ${runs:-?} executions in ${secs}s"
    else
        echo "fuzz $h: FAILED (log $log)"
        grep -E 'ERROR|invariant failed|SUMMARY|Test unit written' "$log" | head -20
        failed+=("$h")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: all ${#harnesses[@]} harnesses clean"
