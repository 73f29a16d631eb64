#!/bin/bash
# failure.sh - the milter dies or stalls under load (issue 5, item 4).
#
# A real, private Postfix (tests/lib/postfix.sh) on loopback, in this
# script's own network namespace (only lo exists: nothing can leave
# 127.0.0.0/8), with smtpd_milters = { unix:..., default_action=tempfail }
# and short milter_connect_timeout / milter_command_timeout. smtpload.py
# runs SMTP sessions without pause, each presenting a client address with
# XCLIENT: unlisted addresses (203.0.113.0/24, 198.51.100.0/24) and a few
# MailRoute ones. Each cycle:
#   kill:  kill -9 the milter; it stays dead DOWN seconds; then it is
#          started again (the stale socket left behind is its to replace);
#   stall: SIGSTOP the milter for STALL seconds, past Postfix's milter
#          timeouts; then SIGCONT.
# Goals:
#   - 100% of the sessions from unlisted addresses got a 4xx or 5xx at
#     XCLIENT, MAIL or RCPT; none was accepted (2xx at RCPT, so DATA);
#     none ended without an answer;
#   - while the milter was dead or stopped, every session got a 4xx;
#   - after each restart and each SIGCONT, the first correct decision (an
#     unlisted address refused with the milter's 5xx, or a provider
#     accepted) came within 1 s;
#   - the restarted milter replaced its stale socket and logged it.
# The config alternates between refuse.at: connect and refuse.at: mail at
# each restart (a milter killed between connect and MAIL must not let the
# outsider through at MAIL either).
#
# usage: failure.sh [--long] [--cycles N] [--concurrency C]
#   default (CI): 1 cycle (up 1 s, dead 1 s, stopped 3.5 s); --long: 10
#   cycles (up 2 s, dead 3 s, stopped 5 s). Needs root (Postfix).
set -u
. "$(dirname "$0")/lib.sh"

CYCLES=1
CONC=12
MODE=short
UP=1       # seconds of normal service between events
DOWN=1     # seconds the milter stays dead
STALL=3.5  # seconds the milter stays stopped (> milter_command_timeout 2s)
GOAL=1.0   # seconds to the first correct decision
while [ $# -gt 0 ]; do
    case "$1" in
        --long) MODE=long; CYCLES=10; UP=2; DOWN=3; STALL=5 ;;
        --cycles) CYCLES=$2; shift ;;
        --concurrency) CONC=$2; shift ;;
        *) echo "usage: $0 [--long] [--cycles N] [--concurrency C]" >&2; exit 64 ;;
    esac
    shift
done
case "$CYCLES$CONC" in *[!0-9]*) echo "bad number" >&2; exit 64 ;; esac

[ "$(id -u)" = 0 ] || h_skip "needs root (Postfix's master)"
command -v postconf >/dev/null || h_skip "postfix not installed (contrib/deps.sh)"
command -v unshare >/dev/null || h_skip "unshare (util-linux) missing"
# Own namespaces: network (only lo), mount (Postfix's private /etc/postfix),
# PID (whatever this script leaves behind dies with it).
if [ "${LOCKDOWN_IN_NS:-}" != 1 ]; then
    LOCKDOWN_IN_NS=1 exec unshare --mount --net --pid --fork \
        --kill-child=SIGTERM --mount-proc -- "$BASH" "$0" "$@"
fi
ip link set lo up || { echo "cannot bring lo up" >&2; exit 1; }
. "$H_SRC/tests/lib/postfix.sh"

PORT=10025
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CONFSRC=$H_SRC/tests/hardening/conf/failure.yaml

h_init "failure-$MODE"
# smtpd (group postfix) must reach the socket: setgid postfix directory.
chgrp postfix "$H_DIR/run" && chmod 2750 "$H_DIR/run" || exit 1

now() { date +%s.%N; }

# conf_install connect|mail
conf_install() {
    sed "s/REFUSE_AT/$1/" "$CONFSRC" >"$H_DIR/conf/next.yaml" &&
        h_conf "$H_DIR/conf/next.yaml"
}

# Start the daemon without touching its socket path: after a kill -9 the
# stale socket is the daemon's to replace.
milter_up() {
    local i
    "$H_MILTER" -f -c "$H_CONF" -p "unix:$H_SOCK" </dev/null >>"$H_MLOG" 2>&1 &
    H_MILTER_PID=$!
    for i in $(seq 1 400); do
        h_alive "$H_MILTER_PID" || { echo "milter died at start-up" >&2; return 1; }
        [ "$(grep -c ' starting: ' "$H_MLOG")" -gt "$1" ] && return 0
        sleep 0.005
    done
    return 1
}

conf_install mail || exit 1
milter_up 0 || exit 1
pf_init "$H_DIR/pf" "$PORT" || exit 1
pf_milter "$H_DIR/pf" "unix:$H_SOCK" || exit 1
pf_set "$H_DIR/pf" 'milter_connect_timeout = 1s' 'milter_command_timeout = 2s' \
    'milter_content_timeout = 5s' || exit 1
h_on_exit pf_stop "$H_DIR/pf"
pf_start "$H_DIR/pf" || exit 1

"$PY" "$H_SRC/tests/hardening/smtpload.py" --server "127.0.0.1:$PORT" \
    --concurrency "$CONC" --duration "$((CYCLES * 30 + 60))" \
    --stop-file "$H_DIR/stop" --outside 203.0.113.0/24 \
    --outside 198.51.100.0/24 --provider 199.89.0.0/21 \
    --provider-ratio 0.2 --timeout 20 --log "$H_DIR/sessions.log" \
    2>"$H_DIR/load.err" &
LOAD_PID=$!
h_bg "$LOAD_PID"

# events: "KIND T_begin T_end" — the window the milter was unusable, then
# the time service should resume.
: >"$H_DIR/events"
sleep "$UP"
starts=1
refuse_at=mail
for c in $(seq 1 "$CYCLES"); do
    # --- kill -9, dead for DOWN s, restart
    t_kill=$(now)
    kill -KILL "$H_MILTER_PID"
    wait "$H_MILTER_PID" 2>/dev/null
    sleep "$DOWN"
    [ "$refuse_at" = mail ] && refuse_at=connect || refuse_at=mail
    conf_install "$refuse_at" || exit 1
    t_restart=$(now)
    milter_up "$starts" || { echo "restart $c failed" >&2; exit 1; }
    t_ready=$(now)
    starts=$((starts + 1))
    echo "kill $t_kill $t_restart $t_ready $refuse_at" >>"$H_DIR/events"
    sleep "$UP"
    # --- SIGSTOP for STALL s, SIGCONT
    t_stop=$(now)
    kill -STOP "$H_MILTER_PID"
    sleep "$STALL"
    t_cont=$(now)
    kill -CONT "$H_MILTER_PID"
    echo "stall $t_stop $t_cont $t_cont $refuse_at" >>"$H_DIR/events"
    sleep "$UP"
done
touch "$H_DIR/stop"
for i in $(seq 1 600); do
    h_alive "$LOAD_PID" || break
    sleep 0.05
done
wait "$LOAD_PID" 2>/dev/null
sed 's/^/# /' "$H_DIR/load.err"

L=$H_DIR/sessions.log
outside=$(awk '$4 == "outside"' "$L" | wc -l)
out_acc=$(awk '$4 == "outside" && $11 == "accepted"' "$L" | wc -l)
out_none=$(awk '$4 == "outside" && $11 == "noanswer"' "$L" | wc -l)
out_refused=$(awk '$4 == "outside" && ($11 == "reject5" || $11 == "tempfail4")' "$L" | wc -l)
prov=$(awk '$4 == "provider"' "$L" | wc -l)
prov_acc=$(awk '$4 == "provider" && $11 == "accepted"' "$L" | wc -l)
all_none=$(awk '$11 == "noanswer"' "$L" | wc -l)

# Sessions wholly inside an outage (from the kill or SIGSTOP until the
# restart or SIGCONT): each must have got a 4xx.
read -r in_outage in_outage_4xx < <(awk '
    NR == FNR { b[NR] = $2; e[NR] = $3; n = NR; next }
    {
        for (i = 1; i <= n; i++)
            if ($1 >= b[i] && $3 <= e[i]) { t++; if ($11 == "tempfail4") f++; break }
    }
    END { print t + 0, f + 0 }' "$H_DIR/events" "$L")

# First correct decision after each restart / SIGCONT.
awk '
    NR == FNR { k[NR] = $1; r[NR] = $3; n = NR; next }
    ($4 == "outside" && $11 == "reject5") || ($4 == "provider" && $11 == "accepted") {
        for (i = 1; i <= n; i++)
            if ($2 >= r[i] && (!(i in first) || $2 < first[i])) first[i] = $2
    }
    END {
        for (i = 1; i <= n; i++)
            printf "%s %.3f\n", k[i], (i in first) ? first[i] - r[i] : 999
    }' "$H_DIR/events" "$L" >"$H_DIR/latency"
max_kill=$(awk '$1 == "kill" && $2 > m { m = $2 } END { printf "%.3f", m }' "$H_DIR/latency")
max_stall=$(awk '$1 == "stall" && $2 > m { m = $2 } END { printf "%.3f", m }' "$H_DIR/latency")
list_kill=$(awk '$1 == "kill" { printf "%s%s", s, $2; s = " " }' "$H_DIR/latency")
list_stall=$(awk '$1 == "stall" { printf "%s%s", s, $2; s = " " }' "$H_DIR/latency")
ready=$(awk '$1 == "kill" { printf "%s%.3f", s, $4 - $3; s = " " }' "$H_DIR/events")
span=$(awk 'NR == 1 { a = $1 } { b = $3 } END { printf "%.1f", b - a }' "$L")

h_figure "sessions" "$((outside + prov)) in ${span} s, concurrency $CONC ($outside unlisted, $prov provider)"
h_figure "unlisted" "$out_refused refused (5xx: $(awk '$4 == "outside" && $11 == "reject5"' "$L" | wc -l), 4xx: $(awk '$4 == "outside" && $11 == "tempfail4"' "$L" | wc -l)), $out_acc accepted, $out_none unanswered"
h_figure "providers accepted" "$prov_acc of $prov"
h_figure "sessions inside outages" "$in_outage, $in_outage_4xx of them 4xx"
h_figure "first correct decision after restart (s)" "$list_kill (daemon ready after: $ready)"
h_figure "first correct decision after SIGCONT (s)" "$list_stall"

h_ge "unlisted sessions run" "$outside" 1
h_eq "unlisted sessions accepted" "$out_acc" 0
h_eq "unlisted sessions refused (4xx or 5xx)" "$out_refused" "$outside"
h_eq "sessions without an answer" "$all_none" 0
h_ge "sessions inside outages" "$in_outage" "$CYCLES"
h_eq "sessions inside outages that got 4xx" "$in_outage_4xx" "$in_outage"
h_ge "providers accepted while the milter was up" "$prov_acc" 1
h_le "first correct decision after kill -9 and restart (s, worst)" "$max_kill" "$GOAL"
h_le "first correct decision after SIGSTOP and SIGCONT (s, worst)" "$max_stall" "$GOAL"
h_eq "restarts that replaced the stale socket" "$(grep -c "removed stale socket $H_SOCK" "$H_MLOG")" "$CYCLES"
# Postfix saw what each event is meant to cause.
PFLOG=$(pf_logfile "$H_DIR/pf")
h_ge "Postfix: milter connections refused (milter dead)" \
    "$(grep -c "connect to Milter service unix:$H_SOCK: Connection refused" "$PFLOG")" "$CYCLES"
h_ge "Postfix: milter replies timed out (milter stopped)" \
    "$(grep -c "milter unix:$H_SOCK: .*Connection timed out" "$PFLOG")" "$CYCLES"
h_eq "Postfix: messages queued from unlisted addresses" \
    "$(grep -E 'client=unknown\[(203\.0\.113|198\.51\.100)\.' "$PFLOG" | wc -l)" 0
h_eq "internal errors logged" "$(grep -c 'internal error' "$H_MLOG")" 0
pf_stop "$H_DIR/pf"
h_milter_stop
h_eq "daemon exit status" "${H_MILTER_RC:-none}" 0
h_done
