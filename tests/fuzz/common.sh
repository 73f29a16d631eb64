# Sourced by run-short.sh and run-long.sh: paths, the harness list and the
# libFuzzer build.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fuzzdir=$top/tests/fuzz
build=${LOCKDOWN_FUZZ_BUILD:-$top/build-fuzz}
harnesses=(range addrset config sockspec policy rcpt_domain namepat)
[ -f "$top/milter/macro.c" ] && harnesses+=(macro)
[ -f "$top/milter/callbacks.c" ] && [ -f /usr/include/libmilter/mfapi.h ] &&
    harnesses+=(callbacks)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fuzz_build() {
    local targets=() h
    for h in "${harnesses[@]}"; do
        targets+=(--target "fuzz_$h")
    done
    mkdir -p "$build"
    # One build at a time: run-short.sh and run-long.sh may share the dir.
    (
        flock 9
        cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_C_COMPILER=clang -DLOCKDOWN_FUZZ=ON >/dev/null &&
            cmake --build "$build" -j"${LOCKDOWN_FUZZ_JOBS:-$(nproc)}" \
                "${targets[@]}" >/dev/null
    ) 9>"$build/.fuzz-build.lock"
}

# The read-only seed directories of a harness: its corpus, its regressions.
fuzz_seeds() {
    local h=$1
    echo "$fuzzdir/corpus/$h"
    if [ -d "$fuzzdir/corpus/regressions/$h" ]; then
        echo "$fuzzdir/corpus/regressions/$h"
    fi
}

fuzz_dict() {
    local h=$1
    if [ -f "$fuzzdir/dict/$h.dict" ]; then
        echo "-dict=$fuzzdir/dict/$h.dict"
    fi
}
