#!/bin/bash
# Valgrind memcheck pass: builds without sanitizers in
# build-memcheck/ and runs under valgrind, failing on any memory error and
# on any definite or indirect leak:
#   - every unit test (tests/unit/test_*.c, tests/milter/test_macro),
#   - the fuzz corpus replays (every committed corpus input, every harness),
#   - lockdownctl, through the whole tests/ctl driver (a wrapper puts
#     valgrind in front of each call) and a few export calls,
#   - the daemon, through the tests labelled "valgrind" when the tree has
#     them (tests/milter: LOCKDOWN_MILTER_WRAPPER).
# usage: tests/memcheck.sh [BUILD_DIR]    (default build-memcheck)
# Exit 0 when clean, 1 otherwise; logs in BUILD_DIR/memcheck/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-memcheck}
build=$(cd "$(dirname "$build")" && pwd)/$(basename "$build")
logs=$build/memcheck
jobs=${LOCKDOWN_MEMCHECK_JOBS:-$(nproc)}

# 99: only valgrind uses it, so it is never mistaken for a program's own
# exit status (lockdownctl uses 0, 1, 64, 78...).
vgopts=(--quiet --error-exitcode=99 --leak-check=full
    --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-fds=no
    --num-callers=30)

command -v valgrind >/dev/null || {
    echo "memcheck: valgrind not installed (contrib/deps.sh)" >&2
    exit 1
}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLOCKDOWN_SANITIZE=OFF -DLOCKDOWN_FUZZ=OFF >/dev/null || exit 1
rm -rf "$logs"
mkdir -p "$logs"
failed=()
ran=0

# Keep going past a broken target so one run reports everything; the
# failure still fails the pass.
if ! cmake --build "$build" -j"$jobs" -- -k >"$logs/build.out" 2>&1; then
    echo "memcheck: FAILED  build ($logs/build.out)"
    failed+=(build)
fi

# vg NAME CMD...: one program under valgrind; its log is kept.
vg() {
    local name=$1
    shift
    ran=$((ran + 1))
    if valgrind "${vgopts[@]}" --log-file="$logs/$name.vg" "$@" \
        >"$logs/$name.out" 2>&1; then
        echo "memcheck: ok      $name"
    else
        echo "memcheck: FAILED  $name (exit $?; $logs/$name.vg, .out)"
        failed+=("$name")
    fi
}

echo "=== unit tests"
for src in "$top"/tests/unit/test_*.c; do
    name=$(basename "$src" .c)
    if [ -x "$build/tests/$name" ]; then
        vg "unit-$name" "$build/tests/$name"
    else
        echo "memcheck: FAILED  unit-$name (not built)"
        failed+=("unit-$name")
    fi
done

# The daemon's pure helpers have their unit test in tests/milter.
if [ -x "$build/tests/milter/test_macro" ]; then
    vg unit-test_macro "$build/tests/milter/test_macro"
fi

echo "=== fuzz corpus replay"
for exe in "$build"/tests/fuzz/*_replay; do
    [ -x "$exe" ] || continue
    h=$(basename "$exe" _replay)
    dirs=("$top/tests/fuzz/corpus/$h")
    [ -d "$top/tests/fuzz/corpus/regressions/$h" ] &&
        dirs+=("$top/tests/fuzz/corpus/regressions/$h")
    vg "fuzz-$h" "$exe" "${dirs[@]}"
done

echo "=== lockdownctl"
wrapper=$logs/lockdownctl-valgrind
cat >"$wrapper" <<EOF
#!/bin/sh
# Each call gets its own log; memcheck.sh reads them all afterwards.
exec valgrind ${vgopts[*]} --log-file="$logs/ctl.%p.vg" \
    "$build/ctl/lockdownctl" "\$@"
EOF
chmod +x "$wrapper"
ctl_ok=1
if [ -f "$top/tests/ctl/run_ctl_tests.sh" ]; then
    ran=$((ran + 1))
    if ! bash "$top/tests/ctl/run_ctl_tests.sh" all "$wrapper" "$top" \
        >"$logs/ctl-tests.out" 2>&1; then
        echo "memcheck: FAILED  tests/ctl driver ($logs/ctl-tests.out)"
        ctl_ok=0
    fi
fi
for fmt in postfix-client postfix-relay sendmail-access nftables iptables \
    exchange; do
    if ! "$wrapper" -c "$top/etc/lockdown.yaml" export "$fmt" \
        >"$logs/ctl-export-$fmt.out" 2>&1; then
        echo "memcheck: FAILED  lockdownctl export $fmt ($logs/ctl-export-$fmt.out)"
        ctl_ok=0
    fi
done
# Any report in any per-call log is a failure (exit codes are the driver's).
bad_logs=$(grep -l . "$logs"/ctl.*.vg 2>/dev/null || true)
if [ -n "$bad_logs" ]; then
    echo "memcheck: FAILED  lockdownctl, see:" $bad_logs
    ctl_ok=0
fi
if [ "$ctl_ok" = 1 ]; then
    echo "memcheck: ok      lockdownctl ($(ls "$logs"/ctl.*.vg 2>/dev/null | wc -l) calls)"
else
    failed+=(lockdownctl)
fi

echo "=== daemon (ctest -L valgrind)"
if ctest --test-dir "$build" -N -L valgrind 2>/dev/null |
    grep -q 'Total Tests: [1-9]'; then
    ran=$((ran + 1))
    if ctest --test-dir "$build" -L valgrind --output-on-failure \
        -j"$jobs" >"$logs/daemon.out" 2>&1; then
        echo "memcheck: ok      daemon ($(grep -c 'Passed' "$logs/daemon.out") tests)"
    else
        echo "memcheck: FAILED  daemon ($logs/daemon.out)"
        failed+=(daemon)
    fi
else
    echo "memcheck: no tests labelled valgrind in this tree"
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "memcheck: ${#failed[@]} failed: ${failed[*]}"
    exit 1
fi
echo "memcheck: all clean"
