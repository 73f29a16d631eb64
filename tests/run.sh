#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine (as root):
#   1. installs the packages (contrib/deps.sh), builds, runs every ctest
#      suite: unit, lockdownctl, daemon (miltertest), real Postfix and
#      Sendmail on loopback, export formats, fuzz corpus replays, short
#      hardening runs, benchmark smoke runs;
#   2. the same suite built with clang, ASan and UBSan;
#   3. valgrind memcheck over the unit tests, lockdownctl and the daemon;
#   4. short libFuzzer runs of every harness.
# LOCKDOWN_QUICK=1 runs step 1 only. Long runs are separate scripts
# (tests/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash contrib/deps.sh
jobs=$(nproc)
start=$SECONDS
step() { echo "=== $* ($((SECONDS - start)) s)"; }

step "build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ "${LOCKDOWN_QUICK:-0}" != 1 ]; then
    step "build (clang, ASan+UBSan) and test"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLOCKDOWN_SANITIZE=ON \
        -DCMAKE_C_COMPILER=clang >/dev/null
    cmake --build build-asan -j"$jobs"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs"

    step "valgrind memcheck"
    bash tests/memcheck.sh "$top/build-memcheck"

    step "short fuzz runs"
    LOCKDOWN_FUZZ_SECONDS=${LOCKDOWN_FUZZ_SECONDS:-15} bash tests/fuzz/run-short.sh
fi
step "all tests passed ($top)"
