#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine (as root):
#   installs the packages, builds, runs every test (unit, integration with a
#   real Postfix and Sendmail, miltertest), then the same suite under
#   ASan+UBSan, then short fuzz runs.
# Set LOCKDOWN_QUICK=1 to skip the sanitizer and fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash contrib/deps.sh
jobs=$(nproc)

echo "=== build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ "${LOCKDOWN_QUICK:-0}" != 1 ]; then
    echo "=== build (ASan+UBSan) and test"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLOCKDOWN_SANITIZE=ON \
        -DCMAKE_C_COMPILER=clang >/dev/null
    cmake --build build-asan -j"$jobs"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs"
fi
echo "=== all tests passed ($top)"
