#!/bin/bash
# failure.sh - the milter dies or stalls under load.
#
# A real MTA on loopback, in this script's own network namespace (only lo
# exists: nothing can leave 127.0.0.0/8):
#   --mta postfix (default): a private Postfix (tests/lib/postfix.sh) with
#     smtpd_milters = { unix:..., default_action=tempfail } and
#     milter_connect_timeout 1s, milter_command_timeout 2s; clients present
#     their address with XCLIENT: unlisted 203.0.113.0/24, 198.51.100.0/24,
#     providers from MailRoute's 199.89.0.0/21;
#   --mta sendmail: Debian's sendmail 8.17 (tests/lib/sendmail.sh) with
#     INPUT_MAIL_FILTER(..., F=T, T=C:1s;S:1s;R:2s;E:10s); clients bind to
#     loopback aliases: unlisted 127.0.1.0/24, "provider" 127.0.2.0/24.
# smtpload.py runs SMTP sessions without pause. Each cycle:
#   kill:  kill -9 the milter; it stays dead DOWN seconds; then it is
#          started again (the stale socket left behind is its to replace);
#   stall: SIGSTOP the milter for STALL seconds, past the MTA's milter
#          timeouts; then SIGCONT.
# Goals:
#   - 100% of the sessions from unlisted addresses got a 4xx or 5xx (at the
#     banner, XCLIENT, MAIL or RCPT); none was accepted (2xx at RCPT);
#     no session ended without an answer;
#   - every session wholly inside an outage got a 4xx;
#   - after each restart and each SIGCONT, the first correct decision (an
#     unlisted address refused with a 5xx, or a provider accepted) came
#     within 1 s;
#   - the restarted milter replaced its stale socket and logged it; the
#     MTA logged refused milter connections and milter timeouts; it queued
#     no message from an unlisted address.
# The config alternates between refuse.at: connect and refuse.at: mail at
# each restart (a milter killed between connect and MAIL must not let the
# outsider through at MAIL either).
#
# usage: failure.sh [--long] [--mta postfix|sendmail] [--cycles N]
#                   [--concurrency C]
#   default (CI): 1 cycle (up 1 s, dead 1 s, stopped 3.5 s); --long: 10
#   cycles (up 2 s, dead 3 s, stopped 5 s). Needs root.
set -u
. "$(dirname "$0")/lib.sh"

CYCLES=1
CONC=12
MODE=short
MTA=postfix
ARGS=("$@")
UP=1       # seconds of normal service between events
DOWN=1     # seconds the milter stays dead
STALL=3.5  # seconds the milter stays stopped (> the 2 s reply timeout)
GOAL=1.0   # seconds to the first correct decision
while [ $# -gt 0 ]; do
    case "$1" in
        --long) MODE=long; CYCLES=10; UP=2; DOWN=3; STALL=5 ;;
        --mta) MTA=$2; shift ;;
        --cycles) CYCLES=$2; shift ;;
        --concurrency) CONC=$2; shift ;;
        *) echo "usage: $0 [--long] [--mta postfix|sendmail] [--cycles N] [--concurrency C]" >&2; exit 64 ;;
    esac
    shift
done
case "$CYCLES$CONC" in *[!0-9]*) echo "bad number" >&2; exit 64 ;; esac
case "$MTA" in postfix | sendmail) ;; *) echo "--mta postfix|sendmail" >&2; exit 64 ;; esac

[ "$(id -u)" = 0 ] || h_skip "needs root (the MTA's daemons)"
command -v unshare >/dev/null || h_skip "unshare (util-linux) missing"
SM_CACHE=${LOCKDOWN_SM_CACHE:-$H_BUILD/tests/integration/sendmail-cache}
if [ "$MTA" = postfix ]; then
    command -v postconf >/dev/null || h_skip "postfix not installed (contrib/deps.sh)"
elif [ "${LOCKDOWN_IN_NS:-}" != 1 ]; then
    # Before the namespace: in there, there is no network to fetch with.
    . "$H_SRC/tests/lib/sendmail.sh"
    sm_fetch "$SM_CACHE" || { echo "cannot fetch sendmail's packages" >&2; exit 1; }
fi
# Own namespaces: network (only lo), mount (the MTA's private files), UTS
# (Sendmail's FQDN), PID (whatever this script leaves behind dies with it).
if [ "${LOCKDOWN_IN_NS:-}" != 1 ]; then
    LOCKDOWN_IN_NS=1 exec unshare --mount --net --uts --pid --fork \
        --kill-child=SIGTERM --mount-proc -- "$BASH" "$0" "${ARGS[@]}"
fi
ip link set lo up || { echo "cannot bring lo up" >&2; exit 1; }

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
CONFSRC=$H_SRC/tests/hardening/conf/failure-$MTA.yaml

h_init "failure-$MTA-$MODE"
now() { date +%s.%N; }

# conf_install connect|mail
conf_install() {
    sed "s/REFUSE_AT/$1/" "$CONFSRC" >"$H_DIR/conf/next.yaml" &&
        h_conf "$H_DIR/conf/next.yaml"
}

# Start the daemon without touching its socket path (after a kill -9 the
# stale socket is the daemon's to replace); return once it logged its
# (N+1)th start-up line.
milter_up() {
    local i
    "$H_MILTER" -f -c "$H_CONF" -p "unix:$H_SOCK" </dev/null >>"$H_MLOG" 2>&1 &
    H_MILTER_PID=$!
    for i in $(seq 1 400); do
        proc_alive "$H_MILTER_PID" || { echo "milter died at start-up" >&2; return 1; }
        [ "$(grep -c ' starting: ' "$H_MLOG")" -gt "$1" ] && return 0
        sleep 0.005
    done
    return 1
}

if [ "$MTA" = postfix ]; then
    . "$H_SRC/tests/lib/postfix.sh"
    PORT=10025
    # smtpd (group postfix) must reach the socket: setgid postfix directory.
    chgrp postfix "$H_DIR/run" && chmod 2750 "$H_DIR/run" || exit 1
    LOAD_ARGS=(--mode xclient --outside 203.0.113.0/24 --outside 198.51.100.0/24
        --provider 199.89.0.0/21)
    OUTSIDE_RE='(203\.0\.113|198\.51\.100)\.'
    mta_start() {
        pf_init "$H_DIR/mta" "$PORT" &&
            pf_milter "$H_DIR/mta" "unix:$H_SOCK" &&
            pf_set "$H_DIR/mta" 'milter_connect_timeout = 1s' \
                'milter_command_timeout = 2s' 'milter_content_timeout = 5s' &&
            pf_start "$H_DIR/mta"
    }
    mta_stop() { pf_stop "$H_DIR/mta"; }
    mta_log() { pf_logfile "$H_DIR/mta"; }
    RE_REFUSED="connect to Milter service unix:$H_SOCK: Connection refused"
    RE_TIMEOUT="milter unix:$H_SOCK: .*Connection timed out"
    # A queue file was opened for the client.
    RE_QUEUED="client=unknown\\[$OUTSIDE_RE"
else
    . "$H_SRC/tests/lib/sendmail.sh"
    PORT=25
    sm_ns_setup "$H_DIR" || exit 1
    LOAD_ARGS=(--mode bind --outside 127.0.1.0/24 --provider 127.0.2.0/24)
    OUTSIDE_RE='127\.0\.1\.'
    mta_start() {
        sm_init "$H_DIR/mta" "$SM_CACHE" "$PORT" &&
            sm_mc "$H_DIR/mta" \
                "INPUT_MAIL_FILTER(\`lockdown', \`S=unix:$H_SOCK, F=T, T=C:1s;S:1s;R:2s;E:10s')dnl" \
                "define(\`confREFUSE_LA', \`1000')define(\`confQUEUE_LA', \`1000')dnl" \
                "define(\`confDELAY_LA', \`0')define(\`confMAX_DAEMON_CHILDREN', \`0')dnl" \
                "define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl" &&
            sm_start "$H_DIR/mta"
    }
    mta_stop() { sm_stop "$H_DIR/mta"; }
    mta_log() { echo "$H_DIR/mta/sendmail.log"; }
    RE_REFUSED="Milter \\(lockdown\\): error connecting to filter: Connection refused"
    RE_TIMEOUT="Milter \\(lockdown\\): (timeout|.*timed out)"
    # A message was taken (a from= line with recipients) from the client.
    RE_QUEUED="from=.*nrcpts=[1-9].*relay=\\[$OUTSIDE_RE"
fi

conf_install mail || exit 1
milter_up 0 || exit 1
h_on_exit mta_stop
mta_start || exit 1

"$PY" "$H_SRC/tests/hardening/smtpload.py" --server "127.0.0.1:$PORT" \
    --concurrency "$CONC" --duration "$((CYCLES * 30 + 60))" \
    --stop-file "$H_DIR/stop" "${LOAD_ARGS[@]}" --provider-ratio 0.2 \
    --timeout 20 --log "$H_DIR/sessions.log" 2>"$H_DIR/load.err" &
LOAD_PID=$!
h_bg "$LOAD_PID"

# events: "KIND T_begin T_resume T_ready CONFIG": the milter was unusable
# from T_begin until T_resume (the restart command or SIGCONT).
: >"$H_DIR/events"
sleep "$UP"
starts=1
refuse_at=mail
for c in $(seq 1 "$CYCLES"); do
    # --- kill -9, dead for DOWN s, restart
    # Outages are timed from after the signal, so that no session the
    # milter answered just before it counts as inside.
    kill -KILL "$H_MILTER_PID"
    wait "$H_MILTER_PID" 2>/dev/null
    t_kill=$(now)
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
    kill -STOP "$H_MILTER_PID"
    t_stop=$(now)
    sleep "$STALL"
    t_cont=$(now)
    kill -CONT "$H_MILTER_PID"
    echo "stall $t_stop $t_cont $t_cont $refuse_at" >>"$H_DIR/events"
    sleep "$UP"
done
touch "$H_DIR/stop"
for i in $(seq 1 600); do
    proc_alive "$LOAD_PID" || break
    sleep 0.05
done
wait "$LOAD_PID" 2>/dev/null
sed 's/^/# /' "$H_DIR/load.err"

# Session log: start decided end class addr banner xclient mail rcpt data
# message outcome.
L=$H_DIR/sessions.log
count() { awk "$1" "$L" | wc -l; }
outside=$(count '$4 == "outside"')
out_acc=$(count '$4 == "outside" && $NF == "accepted"')
out_none=$(count '$4 == "outside" && $NF == "noanswer"')
out_5=$(count '$4 == "outside" && $NF == "reject5"')
out_4=$(count '$4 == "outside" && $NF == "tempfail4"')
prov=$(count '$4 == "provider"')
prov_acc=$(count '$4 == "provider" && $NF == "accepted"')
all_none=$(count '$NF == "noanswer"')

# Sessions wholly inside an outage: each must have got a 4xx.
read -r in_outage in_outage_4xx < <(awk '
    NR == FNR { b[NR] = $2; e[NR] = $3; n = NR; next }
    {
        for (i = 1; i <= n; i++)
            if ($1 >= b[i] && $3 <= e[i]) { t++; if ($NF == "tempfail4") f++; break }
    }
    END { print t + 0, f + 0 }' "$H_DIR/events" "$L")

# First correct decision after each restart / SIGCONT.
awk '
    NR == FNR { k[NR] = $1; r[NR] = $3; n = NR; next }
    ($4 == "outside" && $NF == "reject5") || ($4 == "provider" && $NF == "accepted") {
        for (i = 1; i <= n; i++)
            if ($2 >= r[i] && (!(i in first) || $2 < first[i])) first[i] = $2
    }
    END {
        for (i = 1; i <= n; i++)
            printf "%s %.3f\n", k[i], (i in first) ? first[i] - r[i] : 999
    }' "$H_DIR/events" "$L" >"$H_DIR/latency"
worst() { awk -v k="$1" '$1 == k && $2 > m { m = $2 } END { printf "%.3f", m }' "$H_DIR/latency"; }
list() { awk -v k="$1" '$1 == k { printf "%s%s", s, $2; s = " " }' "$H_DIR/latency"; }
ready=$(awk '$1 == "kill" { printf "%s%.3f", s, $4 - $3; s = " " }' "$H_DIR/events")
span=$(awk 'NR == 1 { a = $1 } { b = $3 } END { printf "%.1f", b - a }' "$L")

h_figure "MTA" "$MTA, $CYCLES cycle(s): up ${UP} s, dead ${DOWN} s, stopped ${STALL} s"
h_figure "sessions" "$((outside + prov)) in ${span} s, concurrency $CONC ($outside unlisted, $prov provider)"
h_figure "unlisted" "$((out_5 + out_4)) refused (5xx: $out_5, 4xx: $out_4), $out_acc accepted, $out_none unanswered"
h_figure "providers accepted" "$prov_acc of $prov"
h_figure "sessions inside outages" "$in_outage, $in_outage_4xx of them 4xx"
h_figure "first correct decision after restart (s)" "$(list kill) (daemon ready after: $ready)"
h_figure "first correct decision after SIGCONT (s)" "$(list stall)"

h_ge "unlisted sessions run" "$outside" 1
h_eq "unlisted sessions accepted" "$out_acc" 0
h_eq "unlisted sessions refused (4xx or 5xx)" "$((out_5 + out_4))" "$outside"
h_eq "sessions without an answer" "$all_none" 0
h_ge "sessions inside outages" "$in_outage" "$CYCLES"
h_eq "sessions inside outages that got 4xx" "$in_outage_4xx" "$in_outage"
h_ge "providers accepted while the milter was up" "$prov_acc" 1
h_le "first correct decision after kill -9 and restart (s, worst)" "$(worst kill)" "$GOAL"
h_le "first correct decision after SIGSTOP and SIGCONT (s, worst)" "$(worst stall)" "$GOAL"
h_eq "restarts that replaced the stale socket" "$(grep -c "removed stale socket $H_SOCK" "$H_MLOG")" "$CYCLES"
# The MTA saw what each event is meant to cause.
MLOGF=$(mta_log)
h_ge "$MTA: milter connections refused (milter dead)" "$(grep -c -E "$RE_REFUSED" "$MLOGF")" "$CYCLES"
h_ge "$MTA: milter replies timed out (milter stopped)" "$(grep -c -E "$RE_TIMEOUT" "$MLOGF")" "$CYCLES"
h_eq "$MTA: messages queued from unlisted addresses" "$(grep -c -E "$RE_QUEUED" "$MLOGF")" 0
h_eq "internal errors logged" "$(grep -c 'internal error' "$H_MLOG")" 0
mta_stop
h_milter_stop
h_eq "daemon exit status" "${H_MILTER_RC:-none}" 0
h_done
