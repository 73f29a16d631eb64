#!/bin/bash
# run.sh - every benchmark, side by side with the baselines,
# measured in the same run and interleaved (ABAB...), written to
# tests/bench/results/latest.md (Markdown) and latest.csv.
#
#   tests/bench/run.sh [--quick] [--reps N] [--only SECTIONS] [--keep]
#                      [--build-dir DIR] [--out DIR] [--duration S]
#
#   --quick        small sizes, 1 repetition, short runs (< 1 minute); the
#                  figures are for checking the pipeline, not for reading
#   --reps N       repetitions (default 5; at least 5 for real numbers)
#   --only LIST    comma-separated sections: lookup,sessions,idle,ab,e2e
#                  (default all but ab)
#   --duration S   seconds per milter load run (default 2)
#   --build-dir D  where to build (default build-bench, Release)
#   --out DIR      where latest.md/latest.csv go (default tests/bench/results;
#                  --only ab writes ab.md, ab.csv and ab-raw.csv; --quick
#                  writes quick.md.tmp and quick.csv.tmp instead, so a check
#                  never replaces the recorded results)
#   --keep         keep the work directory (raw samples, logs)
#
# Sections:
#   lookup    bench_lookup (addrset vs linear scan) and postmap -q over the
#             same cidr table, 10 to 1M prefixes
#   sessions  miltergen against lockdown-milter, the null milter and the
#             pymilter script, concurrency 1/16/64, then with 1M prefixes
#   idle      the same load with 1,000 idle sessions held open
#   ab        where lockdown-milter's gap to the null milter goes: the log
#             line (log: decisions vs refusals), the reply packet (all
#             accepted vs all refused), the negotiated stages (MAIL and
#             RCPT), each against the null milter run the same way
#   e2e       a private Postfix (tests/lib/postfix.sh) driven by smtp-source:
#             no restriction / check_client_access cidr: / null milter /
#             lockdown-milter (/ a null milter accepting at connect, for
#             the analysis)
# Needs root for e2e (Postfix's master). Exit status: 0 when every program
# ran without error (targets missed are reported, not fatal), 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
quick=0
reps=""
only="lookup,sessions,idle,e2e"
build="$top/build-bench"
out="$here/results"
keep=0
duration=""
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --reps) reps=$2; shift ;;
    --only) only=$2; shift ;;
    --duration) duration=$2; shift ;;
    --build-dir) build=$2; shift ;;
    --out) out=$2; shift ;;
    --keep) keep=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
case "$reps" in '' | *[!0-9]*) [ -z "$reps" ] || { echo "run.sh: bad --reps" >&2; exit 64; } ;; esac

if [ "$quick" = 1 ]; then
    reps=${reps:-1}
    duration=${duration:-0.5}
    warmup=100
    concs="1 16 64"
    idle_concs="16"
    idle_n=200
    big=10000
    lookup_sizes="10,1000,10000"
    lookup_queries=20000
    postmap_min=100
    postmap_max=20000
    e2e_clients=8
    e2e_msgs=150
else
    reps=${reps:-5}
    duration=${duration:-2}
    warmup=500
    concs="1 16 64"
    idle_concs="16 64"
    idle_n=1000
    big=1000000
    lookup_sizes="10,1000,10000,100000,1000000"
    lookup_queries=1000000
    postmap_min=500
    postmap_max=200000
    e2e_clients=16
    e2e_msgs=2000
fi
want() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }

t0=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
busy_start=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 >= 5 { printf "%s%s %s%%", s, $2, $1; s = ", " }' | head -c 300)
say() { printf '[run.sh %4ds] %s\n' $(($(date +%s) - t0)) "$*" >&2; }
failures=()
fail() {
    say "FAILED: $*"
    failures+=("$*")
}

work=$(mktemp -d /tmp/ldbench.XXXXXX)
chmod 755 "$work"

# ---- build -------------------------------------------------------------
say "building in $build (Release)"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; rm -rf "$work"; exit 1; }
targets="miltergen nullmilter"
[ -f "$here/bench_lookup.c" ] && targets="$targets bench_lookup"
[ -f "$top/milter/CMakeLists.txt" ] && targets="$targets lockdown-milter"
# shellcheck disable=SC2086
cmake --build "$build" -j"$(nproc)" --target $targets >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; rm -rf "$work"; exit 1; }
MG=$build/tests/bench/miltergen
NULLM=$build/tests/bench/nullmilter
LOOKUP=$build/tests/bench/bench_lookup
LDM=$build/milter/lockdown-milter
PY=/usr/bin/python3

raw=$work/raw.csv
echo "section,bench,impl,param,metric,value,rep" >"$raw"
declare -A PID=()
pf_dir=""

stop_pid() {
    local p=$1 _
    kill "$p" 2>/dev/null || return 0
    for _ in $(seq 1 60); do
        kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
        sleep 0.05
    done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}
cleanup() {
    local n
    [ -n "$pf_dir" ] && pf_stop "$pf_dir"
    for n in "${!PID[@]}"; do
        stop_pid "${PID[$n]}"
    done
    if [ "$keep" = 1 ]; then
        say "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every session and every idle session is a descriptor, in the generator
# and in the milter (children inherit this).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# start NAME SOCKET LOG CMD...: run CMD in the background, wait for its
# socket (up to 120 s: the pymilter script parses 1M ranges slowly).
start() {
    local name=$1 sock=$2 log=$3 _
    shift 3
    rm -f "$sock"
    "$@" >"$log" 2>&1 &
    PID[$name]=$!
    for _ in $(seq 1 2400); do
        [ -S "$sock" ] && return 0
        if ! kill -0 "${PID[$name]}" 2>/dev/null; then
            fail "$name did not start: $(tail -3 "$log" 2>/dev/null)"
            unset "PID[$name]"
            return 1
        fi
        sleep 0.05
    done
    fail "$name: no socket after 120 s"
    return 1
}

# add SECTION REP < CSV (bench,impl,param,metric,value; header skipped)
add() {
    awk -F, -v s="$1" -v r="$2" 'NR == 1 && $1 == "bench" { next }
        NF == 5 { print s "," $0 "," r }' >>"$raw"
}

# rotate N WORDS...: the words, shifted by N (each repetition starts with
# another one, so that no variant always runs first).
rotate() {
    local n=$1 k
    shift
    local a=("$@")
    for ((k = 0; k < ${#a[@]}; k++)); do
        printf '%s ' "${a[$(((k + n) % ${#a[@]}))]}"
    done
}

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# ---- lookup ------------------------------------------------------------
# postmap_time TABLE QUERIES: sets ms to the wall time of postmap -q - over
# the queries.
postmap_time() {
    local t1 t2 rc
    t1=$(now_ms)
    postmap -c "$work/pmconf" -q - "cidr:$1" <"$2" >/dev/null
    rc=$?
    t2=$(now_ms)
    # 1: no query found anything (the 10-prefix table against another
    # set's queries); only worse is an error.
    [ "$rc" -le 1 ] || fail "postmap -q - cidr:$1 exited $rc"
    ms=$((t2 - t1))
}

lookup_section() {
    local rep n q ms lookup_base=${lookup_sizes%%,*}
    if [ ! -x "$LOOKUP" ]; then
        say "lookup: bench_lookup not built, skipped"
        return
    fi
    mkdir -p "$work/lookup" "$work/pmconf"
    : >"$work/pmconf/main.cf" # postmap needs no host config
    for rep in $(seq 1 "$reps"); do
        say "lookup rep $rep/$reps: bench_lookup --sizes $lookup_sizes"
        local pmdir=()
        [ "$rep" = 1 ] && pmdir=(--postmap-dir "$work/lookup")
        if ! "$LOOKUP" --sizes "$lookup_sizes" --queries "$lookup_queries" \
            --reps 1 --seed 1 "${pmdir[@]}" >"$work/lookup.csv" \
            2>>"$work/lookup.err"; then
            fail "bench_lookup exited non-zero (rep $rep): $(tail -2 "$work/lookup.err")"
        fi
        add lookup "$rep" <"$work/lookup.csv"
        for n in ${lookup_sizes//,/ }; do
            [ -f "$work/lookup/cidr_$n.txt" ] || continue
            # About a second of lookups at ~8 ns per entry scanned, within
            # [postmap_min, postmap_max] queries; the 10-prefix table runs
            # the same queries, for the start-up cost to subtract.
            q=$((1000000000 / (8 * n)))
            [ "$q" -lt "$postmap_min" ] && q=$postmap_min
            [ "$q" -gt "$postmap_max" ] && q=$postmap_max
            head -n "$q" "$work/lookup/queries_$n.txt" >"$work/q.txt"
            head -n 1 "$work/lookup/queries_$n.txt" >"$work/q1.txt"
            q=$(wc -l <"$work/q.txt")
            postmap_time "$work/lookup/cidr_$lookup_base.txt" "$work/q.txt"
            echo "postmap,postmap,$n,base_ms,$ms" | add lookup "$rep"
            postmap_time "$work/lookup/cidr_$n.txt" "$work/q.txt"
            echo "postmap,postmap,$n,wall_ms,$ms" | add lookup "$rep"
            postmap_time "$work/lookup/cidr_$n.txt" "$work/q1.txt"
            echo "postmap,postmap,$n,load_ms,$ms" | add lookup "$rep"
            echo "postmap,postmap,$n,queries,$q" | add lookup "$rep"
        done
    done
}

# ---- milter configs ------------------------------------------------------
# write_config DIR PORTS EXTRA_PROVIDER [SOCKET_OWNER]: a lockdown.yaml like
# the shipped one (MailRoute enabled, loopback trusted), plus a generated
# profile.
write_config() {
    local dir=$1 ports=$2 extra=$3 owner=${4:-}
    mkdir -p "$dir/providers"
    cp "$top"/etc/providers/*.yaml "$dir/providers/"
    {
        echo "mode: enforce"
        echo "providers_dir: providers"
        echo "providers:"
        echo "  mailroute: enabled"
        echo "  postini: disabled"
        echo "  arrowmail: disabled"
        [ -n "$extra" ] && echo "  $extra: enabled"
        echo "trusted:"
        echo "  - name: loopback"
        echo "    ranges: [127.0.0.0/8, \"::1\"]"
        echo "    relay: true"
        echo "scope:"
        echo "  ports: [$ports]"
        echo "refuse:"
        echo "  at: connect"
        echo "  reply: \"554 5.7.1 Mail must arrive through the filtering service\""
        echo "unknown_client: tempfail"
        if [ -n "$owner" ]; then
            echo "daemon:"
            echo "  socket_owner: \"$owner\""
            echo "  socket_mode: \"0660\""
        fi
    } >"$dir/lockdown.yaml"
}

# The macro lists lockdown-milter asks for (milter/callbacks.c), so that
# the null milter costs the MTA side the same; MAIL and RCPT only when it
# negotiates those stages.
NULL_MACROS="{daemon_port}"
NULL_MAIL_MACROS="{auth_authen} {auth_type}"
NULL_RCPT_MACROS="{rcpt_addr} {rcpt_host} {rcpt_mailer}"
POOL_BASIC=(--inside 199.89.0.0/21 --outside 203.0.113.0/24 --outside 198.51.100.0/24)

milters_started=0
start_milters() {
    [ "$milters_started" = 1 ] && return 0
    milters_started=1
    say "generating a provider profile with $big ranges"
    write_config "$work/cfg" 25 ""
    write_config "$work/cfgbig" 25 bench1m
    "$PY" "$here/gen_ranges.py" --count "$big" --seed 1 \
        --yaml "$work/cfgbig/providers/bench1m.yaml" \
        --sample "$work/inside-big.txt" --sample-count 10000 ||
        fail "gen_ranges.py"
    say "starting the milters (the pymilter script parses $big ranges slowly)"
    if [ -x "$LDM" ]; then
        # Per-session log lines go to /dev/null: a real write per session,
        # as syslog would do, without filling the disk.
        "$LDM" -n -c "$work/cfg/lockdown.yaml" >"$work/ld-check.log" 2>&1 ||
            fail "lockdown-milter -n: $(cat "$work/ld-check.log")"
        [ -n "${PID[ld]:-}" ] || start ld "$work/ld.sock" /dev/null "$LDM" -f \
            -c "$work/cfg/lockdown.yaml" -p "unix:$work/ld.sock"
        start ldbig "$work/ldbig.sock" /dev/null "$LDM" -f \
            -c "$work/cfgbig/lockdown.yaml" -p "unix:$work/ldbig.sock"
    else
        say "lockdown-milter not built: its rows are skipped"
    fi
    [ -n "${PID[null]:-}" ] || start null "$work/null.sock" "$work/null.log" \
        "$NULLM" -p "unix:$work/null.sock" -m "$NULL_MACROS"
    start py "$work/py.sock" "$work/py.log" "$PY" "$here/pymilter_lockdown.py" \
        -c "$work/cfg/lockdown.yaml" -p "unix:$work/py.sock"
    start pybig "$work/pybig.sock" "$work/pybig.log" "$PY" \
        "$here/pymilter_lockdown.py" -c "$work/cfgbig/lockdown.yaml" \
        -p "unix:$work/pybig.sock"
}

# gen BENCH IMPL REP CONC [miltergen args...]: one load run, its rows added.
gen() {
    local bench=$1 impl=$2 name
    case $impl in
    lockdown*) name=ld ;;
    null*) name=null ;;
    pymilter*) name=py ;;
    esac
    case $impl in *-1m) name=${name}big ;; esac
    gen_on "$name" "$@"
}

# gen_on MILTER BENCH IMPL REP CONC [miltergen args...]: the same, against
# the milter started under the name MILTER.
gen_on() {
    local name=$1 bench=$2 impl=$3 rep=$4 c=$5 sock pid exp
    shift 5
    [ -n "${PID[$name]:-}" ] || return 0
    sock=$work/$name.sock
    pid=${PID[$name]}
    case $name in
    ld*) exp=(--expect-inside "accept,continue" --expect-outside reject) ;;
    nullaccept) exp=(--expect-inside accept --expect-outside accept) ;;
    null*) exp=(--expect-inside continue --expect-outside continue) ;;
    py*) exp=(--expect-inside accept --expect-outside reject) ;;
    esac
    if ! "$MG" --socket "unix:$sock" --bench "$bench" --impl "$impl" \
        --concurrency "$c" --duration "$duration" --warmup "$warmup" \
        --max-time "$(awk -v d="$duration" 'BEGIN { print d * 5 + 30 }')" \
        --port 25 --seed "$rep" --server-pid "$pid" --csv "${exp[@]}" "$@" \
        >"$work/gen.csv" 2>>"$work/gen.err"; then
        fail "miltergen $bench/$impl c=$c rep $rep: $(tail -2 "$work/gen.err" | tr '\n' ' ')"
    fi
    add "$bench" "$rep" <"$work/gen.csv"
}

sessions_section() {
    local rep c impl pool
    start_milters
    for rep in $(seq 1 "$reps"); do
        for c in $concs; do
            say "sessions rep $rep/$reps, concurrency $c"
            for impl in $(rotate "$rep" lockdown null pymilter lockdown-1m pymilter-1m); do
                case $impl in
                *-1m) pool=(--inside-file "$work/inside-big.txt"
                    --outside 203.0.113.0/24 --outside 198.51.100.0/24
                    --outside 2001:db8::/32) ;;
                *) pool=("${POOL_BASIC[@]}") ;;
                esac
                gen sessions "$impl" "$rep" "$c" "${pool[@]}"
            done
        done
    done
}

idle_section() {
    local rep c impl extra
    start_milters
    for rep in $(seq 1 "$reps"); do
        for c in $idle_concs; do
            say "idle rep $rep/$reps, concurrency $c, $idle_n idle sessions"
            for impl in $(rotate "$rep" lockdown "lockdown+idle$idle_n" null "null+idle$idle_n"); do
                extra=()
                case $impl in *+idle*) extra=(--idle "$idle_n") ;; esac
                gen idle "$impl" "$rep" "$c" "${POOL_BASIC[@]}" "${extra[@]}"
            done
        done
    done
}

# ---- where the gap to the null milter goes ----------------------------------
# Each variant: the milter it runs against and its miltergen arguments
# beyond the basic pool. summarize.py pairs each with its null milter.
declare -A AB_ON=(
    [null]=null [null-accept]=nullaccept
    [lockdown]=ld [lockdown-refusals]=ldref
    [null-hit1]=null [lockdown-hit1]=ld [lockdown-refusals-hit1]=ldref
    [null-hit0]=null [lockdown-hit0]=ld
    [null-stages]=nullstages [lockdown-stages]=ldstages
)
declare -A AB_ARGS=(
    [null-hit1]="--hit-ratio 1" [lockdown-hit1]="--hit-ratio 1"
    [lockdown-refusals-hit1]="--hit-ratio 1"
    [null-hit0]="--hit-ratio 0" [lockdown-hit0]="--hit-ratio 0"
    [null-stages]="--mail sender.test --rcpt example.com"
    [lockdown-stages]="--mail sender.test --rcpt example.com"
)
AB_ORDER="null null-accept lockdown lockdown-refusals null-hit1 lockdown-hit1
    lockdown-refusals-hit1 null-hit0 lockdown-hit0 null-stages lockdown-stages"

ab_start_milters() {
    if [ ! -x "$LDM" ]; then
        say "ab: lockdown-milter not built, skipped"
        return 1
    fi
    [ -f "$work/cfg/lockdown.yaml" ] || write_config "$work/cfg" 25 ""
    write_config "$work/cfgref" 25 ""
    echo "log: refusals" >>"$work/cfgref/lockdown.yaml"
    # Outsiders are refused at MAIL and recipients are judged: the daemon
    # negotiates MAIL and RCPT and continues at CONNECT.
    write_config "$work/cfgstages" 25 ""
    sed -i 's/^  at: connect$/  at: mail/' "$work/cfgstages/lockdown.yaml"
    printf 'relay:
  local_domains: [example.com]
' \
        >>"$work/cfgstages/lockdown.yaml"
    local n
    for n in cfgref cfgstages; do
        "$LDM" -n -c "$work/$n/lockdown.yaml" >"$work/ld-check.log" 2>&1 ||
            { fail "lockdown-milter -n ($n): $(cat "$work/ld-check.log")"; return 1; }
    done
    [ -n "${PID[ld]:-}" ] || start ld "$work/ld.sock" /dev/null "$LDM" -f \
        -c "$work/cfg/lockdown.yaml" -p "unix:$work/ld.sock" || return 1
    start ldref "$work/ldref.sock" /dev/null "$LDM" -f \
        -c "$work/cfgref/lockdown.yaml" -p "unix:$work/ldref.sock" || return 1
    start ldstages "$work/ldstages.sock" /dev/null "$LDM" -f \
        -c "$work/cfgstages/lockdown.yaml" -p "unix:$work/ldstages.sock" ||
        return 1
    [ -n "${PID[null]:-}" ] || start null "$work/null.sock" "$work/null.log" \
        "$NULLM" -p "unix:$work/null.sock" -m "$NULL_MACROS" || return 1
    start nullaccept "$work/nullaccept.sock" "$work/nullaccept.log" "$NULLM" -a \
        -p "unix:$work/nullaccept.sock" -m "$NULL_MACROS" || return 1
    start nullstages "$work/nullstages.sock" "$work/nullstages.log" "$NULLM" \
        -s connect,mail,rcpt -m "$NULL_MACROS" -M "$NULL_MAIL_MACROS" \
        -R "$NULL_RCPT_MACROS" -p "unix:$work/nullstages.sock" || return 1
}

ab_section() {
    local rep c v extra
    ab_start_milters || return
    for rep in $(seq 1 "$reps"); do
        for c in 16 64; do
            say "ab rep $rep/$reps, concurrency $c (load $(cut -d' ' -f1 /proc/loadavg))"
            echo "load,machine,$c,loadavg_1min,$(cut -d' ' -f1 /proc/loadavg)" |
                add ab "$rep"
            # shellcheck disable=SC2086
            for v in $(rotate "$rep" $AB_ORDER); do
                read -r -a extra <<<"${AB_ARGS[$v]:-}"
                gen_on "${AB_ON[$v]}" ab "$v" "$rep" "$c" "${POOL_BASIC[@]}" \
                    "${extra[@]}"
            done
        done
    done
}

# ---- end to end ----------------------------------------------------------
free_port() {
    local p
    for p in $(seq "$1" $(($1 + 500))); do
        ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
    done
    return 1
}

# Wait until the instance's queue is empty: each run starts from the same
# state, with no delivery of the last run still eating CPU.
pf_drain() {
    local _
    for _ in $(seq 1 600); do
        [ -z "$(find "$pf_dir/queue/incoming" "$pf_dir/queue/active" \
            "$pf_dir/queue/maildrop" -type f 2>/dev/null | head -1)" ] && return 0
        sleep 0.05
    done
    say "e2e: queue not empty after 30 s"
}

# e2e_cpu: CPU ticks used so far by the Postfix instance (master, the
# children it reaped, its live process group) and the e2e milters. Immune to
# other load on the machine, unlike wall-clock rates.
e2e_cpu() {
    "$PY" - "$(sed -n '1{s/[^0-9]//g;p;}' "$pf_dir/queue/pid/master.pid")" \
        "${PID[lde2e]:-0}" "${PID[nulle2e]:-0}" "${PID[nullacc]:-0}" <<'EOF'
import os, sys
master = int(sys.argv[1])
extra = {int(p) for p in sys.argv[2:] if p != "0"}
def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()
total = 0
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    pid = int(d)
    try:
        f = stat(pid)
    except OSError:
        continue
    # after ")": state ppid pgrp ... utime(12) stime(13) cutime(14) cstime(15)
    if pid == master:
        total += sum(int(x) for x in f[11:15])
    elif int(f[2]) == master or pid in extra:
        total += int(f[11]) + int(f[12])
print(total)
EOF
}

e2e_section() {
    local rep v t1 t2 c1 c2 base p_a p_b p_c p_d p_e
    if [ "$(id -u)" != 0 ]; then
        say "e2e: needs root (Postfix), skipped"
        return
    fi
    if [ ! -x "$LDM" ]; then
        say "e2e: lockdown-milter not built, skipped"
        return
    fi
    command -v smtp-source >/dev/null || PATH=$PATH:/usr/sbin
    # shellcheck source=../lib/postfix.sh
    . "$top/tests/lib/postfix.sh" || { fail "tests/lib/postfix.sh"; return; }
    base=$((20000 + RANDOM % 20000))
    p_a=$(free_port "$base") && p_b=$(free_port $((p_a + 1))) &&
        p_c=$(free_port $((p_b + 1))) && p_d=$(free_port $((p_c + 1))) &&
        p_e=$(free_port $((p_d + 1))) ||
        { fail "e2e: no free ports"; return; }
    # Their own milter instances, with sockets Postfix's smtpd (user
    # postfix) may open; lockdown's scope.ports must hold (d)'s port.
    write_config "$work/cfge2e" "$p_d" "" postfix:postfix
    start lde2e "$work/lde2e.sock" "$work/lde2e.log" "$LDM" -f \
        -c "$work/cfge2e/lockdown.yaml" -p "unix:$work/lde2e.sock" || return
    start nulle2e "$work/nulle2e.sock" "$work/nulle2e.log" /bin/sh -c \
        'umask 0; exec "$@"' nullmilter "$NULLM" \
        -p "unix:$work/nulle2e.sock" -m "$NULL_MACROS" || return
    # For the analysis: a null milter that accepts at connect, as
    # lockdown-milter does for a listed client.
    start nullacc "$work/nullacc.sock" "$work/nullacc.log" /bin/sh -c \
        'umask 0; exec "$@"' nullmilter "$NULLM" -a \
        -p "unix:$work/nullacc.sock" -m "$NULL_MACROS" || return
    printf '127.0.0.0/8 OK\n199.89.0.0/21 OK\n' >"$work/lockdown.cidr"
    pf_dir=$work/pf
    pf_init "$pf_dir" "$p_a" &&
        pf_listen "$pf_dir" "$p_b" -o 'smtpd_client_restrictions=$bench_lockdown' &&
        pf_listen "$pf_dir" "$p_c" -o "smtpd_milters=unix:$work/nulle2e.sock" &&
        pf_listen "$pf_dir" "$p_d" -o "smtpd_milters=unix:$work/lde2e.sock" &&
        pf_listen "$pf_dir" "$p_e" -o "smtpd_milters=unix:$work/nullacc.sock" &&
        pf_set "$pf_dir" \
            "bench_lockdown = check_client_access cidr:$work/lockdown.cidr, reject" \
            "default_process_limit = $((e2e_clients * 4 + 50))" \
            'milter_default_action = tempfail' 'milter_protocol = 6' \
            'milter_connect_timeout = 5s' 'milter_command_timeout = 10s' \
            'milter_content_timeout = 30s' &&
        pf_start "$pf_dir" || { fail "e2e: Postfix did not start"; pf_dir=""; return; }
    declare -A port=([a_none]=$p_a [b_cidr]=$p_b [c_null]=$p_c [d_lockdown]=$p_d
        [e_null_accept]=$p_e)
    local variants=(a_none b_cidr c_null d_lockdown e_null_accept)
    say "e2e: Postfix on 127.0.0.1:$p_a-$p_e, $e2e_clients clients, $e2e_msgs messages per run"
    for v in "${variants[@]}"; do # warm up every listener
        smtp-source -s "$e2e_clients" -m $((e2e_clients * 4)) -l 200 \
            -f bench@client.test -t user@example.test -M client.test \
            "127.0.0.1:${port[$v]}" >/dev/null 2>>"$work/e2e.err" ||
            fail "e2e warm-up $v: $(tail -1 "$work/e2e.err")"
    done
    pf_drain
    for rep in $(seq 1 "$reps"); do
        say "e2e rep $rep/$reps"
        for v in $(rotate "$rep" "${variants[@]}"); do
            c1=$(e2e_cpu)
            t1=$(now_ms)
            if ! smtp-source -s "$e2e_clients" -m "$e2e_msgs" -l 200 \
                -f bench@client.test -t user@example.test -M client.test \
                "127.0.0.1:${port[$v]}" >/dev/null 2>>"$work/e2e.err"; then
                fail "e2e $v rep $rep: $(tail -1 "$work/e2e.err")"
            fi
            t2=$(now_ms)
            pf_drain # the deliveries of this run are part of its cost
            c2=$(e2e_cpu)
            awk -v v="$v" -v c="$e2e_clients" -v m="$e2e_msgs" -v ms=$((t2 - t1)) \
                -v ticks=$((c2 - c1)) -v hz="$(getconf CLK_TCK)" \
                'BEGIN { printf "e2e,%s,%s,sessions_per_s,%.3f\n", v, c, m * 1000 / ms
                         printf "e2e,%s,%s,elapsed_ms,%d\n", v, c, ms
                         printf "e2e,%s,%s,server_cpu_us_per_session,%.1f\n", v, c, ticks * 1e6 / hz / m }' |
                add e2e "$rep"
        done
    done
    # The milters were really in the path, and nothing was refused.
    local judged refused
    judged=$(grep -c 'verdict=accept' "$work/lde2e.log")
    refused=$(grep -c -E 'milter-reject|NOQUEUE: reject' "$pf_dir/log/maillog")
    echo "e2e,d_lockdown,$e2e_clients,milter_accepts,$judged" | add e2e 0
    echo "e2e,all,$e2e_clients,postfix_rejects,$refused" | add e2e 0
    [ "$judged" -gt 0 ] || fail "e2e: lockdown-milter logged no verdict"
    [ "$refused" = 0 ] || fail "e2e: Postfix refused $refused sessions"
}

# ---- run -----------------------------------------------------------------
want lookup && lookup_section
want sessions && sessions_section
want idle && idle_section
want ab && ab_section
want e2e && e2e_section

# ---- report --------------------------------------------------------------
mkdir -p "$out"
md=$out/latest.md csv=$out/latest.csv rawout=$out/raw.csv
if [ "$only" = ab ]; then # keeps the recorded figures of the other sections
    md=$out/ab.md csv=$out/ab.csv rawout=$out/ab-raw.csv
fi
if [ "$quick" = 1 ]; then
    md=$out/quick.md.tmp csv=$out/quick.csv.tmp rawout=$out/quick-raw.csv.tmp
fi
{
    echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet 2>/dev/null || echo ' (with local changes)'), $reps repetition(s) interleaved$([ "$quick" = 1 ] && echo ', QUICK MODE: small sizes, not the real figures'); load runs of ${duration} s."
    echo
    echo "Load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg); processes using 5% CPU or more at start: ${busy_start:-none}. Other load on the machine widens the min–max ranges; the ratios compare runs interleaved within each repetition."
    echo
    echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); Debian $(cat /etc/debian_version 2>/dev/null), postfix $(dpkg-query -W -f '${Version}' postfix 2>/dev/null), libmilter $(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null), python3-milter $(dpkg-query -W -f '${Version}' python3-milter 2>/dev/null), $(cc --version | head -1)."
} >"$work/meta.txt"
"$PY" "$here/summarize.py" "$raw" "$work/meta.txt" "$md" "$csv" ||
    fail "summarize.py"
cp "$raw" "$rawout"
say "wrote $md and $csv"
if [ ${#failures[@]} -gt 0 ]; then
    say "${#failures[@]} failure(s):"
    printf '  %s\n' "${failures[@]}" >&2
    exit 1
fi
exit 0
