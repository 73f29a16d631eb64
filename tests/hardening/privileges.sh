#!/bin/bash
# privileges.sh - privileges and files: the cases
# tests/milter/startup.sh does not already cover.
#
# Already in tests/milter/startup.sh (not repeated here):
#   daemon.user from the config -> uid/gid nobody, supplementary groups
#   dropped, "running as user" logged; the root warning with no user; socket
#   0660 with socket_owner; -n refusing socket_mode 0666; a regular file and
#   a symlink to a regular file at the socket path refused and left intact;
#   a stale socket replaced; a live socket never stolen; a missing socket
#   directory. The config loader's "writable by others" message is in
#   tests/unit/test_config.c (main file and profile).
#
# Here:
#   A. drop before serving (root only): -u USER and -u USER:GROUP; strace
#      shows umask, bind, chmod, setgroups, setgid, setuid in that order,
#      setuid before the first accept() and before any thread exists, and
#      setuid(0) failing afterwards; every thread of a serving daemon runs
#      as the user; -u overrides daemon.user.
#   B. socket mode: born under a umask that keeps it from being world-
#      writable; 0660 by default even when started with umask 000; 0600
#      honoured; a world-writable socket_mode (0666, 0662) refused at a
#      real start (not only -n), exit 78, no socket.
#   C. stale socket: a symlink to a stale socket, a FIFO, a directory at
#      the socket path: refused (exit 73), left exactly as they were.
#   D. config writable by others: at start (main file, profile) exit 78
#      with FILE:1:1 and the chmod hint, no socket; group-writable accepted;
#      on reload the old config keeps answering and the log says why.
#
# usage: privileges.sh (no long mode: it is all deterministic)
set -u
. "$(dirname "$0")/lib.sh"
[ -x "$H_GEN" ] || { echo "no miltergen at $H_GEN" >&2; exit 1; }

h_init privileges
ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1
BASE=$H_SRC/tests/hardening/conf/privileges.yaml
cp "$BASE" "$H_DIR/conf/base.yaml" && chmod 644 "$H_DIR/conf/base.yaml"
h_conf "$BASE"

# run_start NAME WANT_RC WANT_TEXT SOCKPATH [daemon args...]: a start that
# must fail; checks the status, the message and that no socket appeared.
run_start() {
    local name=$1 want=$2 text=$3 sock=$4 out rc
    shift 4
    out=$(timeout 20 "$H_MILTER" -f -p "unix:$sock" "$@" 2>&1 </dev/null)
    rc=$?
    h_eq "$name: exit status" "$rc" "$want"
    if grep -F -q -- "$text" <<<"$out"; then
        h_result 1 "$name: message" "\"$text\"" ""
    else
        h_result 0 "$name: message" "\"$out\"" "a line containing \"$text\""
    fi
}

# probe SOCK VERDICT: one session from 192.0.2.77 must get VERDICT.
probe() {
    "$H_GEN" --socket "unix:$1" --sessions 1 --canary-every 1 \
        --canary "192.0.2.77=$2" --quiet >/dev/null 2>&1
}

# start_bg LOG ARGS...: start a daemon in the background, wait for it.
start_bg() {
    local log=$1 i
    shift
    "$H_MILTER" -f "$@" </dev/null >"$log" 2>&1 &
    BG_PID=$!
    h_bg "$BG_PID"
    for i in $(seq 1 200); do
        grep -q ' starting: ' "$log" && return 0
        proc_alive "$BG_PID" || return 1
        sleep 0.05
    done
    return 1
}

stop_bg() {
    daemon_stop "$BG_PID"
    BG_RC=$?
}

# ---------------------------------------------------------------- A
if [ "$ROOT" = 1 ] && id nobody >/dev/null 2>&1; then
    NUID=$(id -u nobody)
    NGROUP=$(id -gn nobody)
    # The socket directory must let nobody remove its socket at exit.
    mkdir -m 1777 "$H_DIR/shared"
    if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
        T=$H_DIR/trace
        strace -f -o "$T" -e trace=umask,bind,chmod,fchmod,fchmodat,setgroups,setgid,setuid,setresgid,setresuid,accept,accept4,clone,clone3 \
            "$H_MILTER" -f -c "$H_CONF" -p "unix:$H_DIR/shared/s.sock" -u nobody \
            </dev/null >"$H_DIR/strace.log" 2>&1 &
        SPID=$!
        h_bg "$SPID"
        for i in $(seq 1 200); do
            grep -q ' starting: ' "$H_DIR/strace.log" && break
            sleep 0.05
        done
        probe "$H_DIR/shared/s.sock" reject
        h_eq "-u nobody under strace: a session served" "$?" 0
        # The daemon is strace's child: stop it, then strace ends.
        daemon_stop "$(pgrep -P "$SPID" | head -n 1)"
        daemon_stop "$SPID"
        # Line numbers of the first occurrence of each event (strace -f
        # writes one chronological stream).
        first() { grep -n -m 1 -E "$1" "$T" | cut -d: -f1; }
        sock=$H_DIR/shared/s.sock
        l_bind=$(first "bind\(.*\"$sock\"")
        # The umask in force at bind(): the last one set before it.
        l_umask=$(head -n "$((${l_bind:-1} - 1))" "$T" | grep -n -E 'umask\(' | tail -n 1 | cut -d: -f1)
        l_chmod=$(first "chmod\(\"$sock\", 0660\)")
        l_groups=$(first "setgroups\(1, \[$NUID\]\) += 0|setgroups\(1, \[[0-9]+\]\) += 0")
        l_gid=$(first 'set(res)?gid\([0-9]+.*= 0')
        l_uid=$(first "set(res)?uid\($NUID.*= 0")
        l_uid0=$(first 'setuid\(0\) += -1 EPERM')
        l_accept=$(first 'accept4?\(|accept4? resumed')
        l_clone=$(first 'clone3?\(')
        umask_val=$(sed -n "${l_umask:-0}p" "$T" | sed -n 's/.*umask(\(0[0-7]*\)).*/\1/p')
        order="umask@${l_umask:-none} bind@${l_bind:-none} chmod@${l_chmod:-none} setgroups@${l_groups:-none} setgid@${l_gid:-none} setuid@${l_uid:-none} setuid0-refused@${l_uid0:-none} first-thread@${l_clone:-none} first-accept@${l_accept:-none}"
        ok=0
        if [ -n "$l_umask" ] && [ -n "$l_bind" ] && [ -n "$l_chmod" ] && [ -n "$l_groups" ] &&
            [ -n "$l_gid" ] && [ -n "$l_uid" ] && [ -n "$l_uid0" ] && [ -n "$l_accept" ] &&
            [ -n "$l_clone" ] && [ "$l_umask" -lt "$l_bind" ] && [ "$l_bind" -lt "$l_chmod" ] &&
            [ "$l_chmod" -lt "$l_groups" ] && [ "$l_groups" -lt "$l_gid" ] &&
            [ "$l_gid" -lt "$l_uid" ] && [ "$l_uid" -lt "$l_uid0" ] &&
            [ "$l_uid0" -lt "$l_clone" ] && [ "$l_uid0" -lt "$l_accept" ]; then
            ok=1
        fi
        h_result "$ok" "syscall order: socket born under umask, chmod, drop, then threads and accept" "$order" \
            "umask < bind < chmod < setgroups < setgid < setuid < setuid(0) EPERM < first thread, first accept"
        # The umask in force at bind() must take o+w (and x) away.
        ok=0
        [ -n "$umask_val" ] && [ $((8#$umask_val & 8#0007)) = 7 ] && [ $((8#$umask_val & 8#0117)) = $((8#0117)) ] && ok=1
        h_result "$ok" "umask at bind() keeps the socket to 0660 or less" "umask ${umask_val:-none}" "umask including 0117"
    else
        echo "skip strace order checks (strace missing or ptrace not permitted)"
    fi

    # -u user:group overrides daemon.user; every thread runs as it.
    sed 's/^#USER#/  user: root/' "$BASE" >"$H_DIR/conf/user.yaml"
    chmod 644 "$H_DIR/conf/user.yaml"
    if start_bg "$H_DIR/ug.log" -c "$H_DIR/conf/user.yaml" -p "unix:$H_DIR/shared/ug.sock" -u "nobody:$NGROUP"; then
        # Once a session was served, every thread the daemon has runs as
        # the user.
        probe "$H_DIR/shared/ug.sock" reject
        h_eq "-u nobody:$NGROUP: a session served" "$?" 0
        bad_tasks=0
        ntasks=0
        for st in /proc/"$BG_PID"/task/*/status; do
            ntasks=$((ntasks + 1))
            u=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "$st")
            g=$(awk '/^Gid:/ {print $2 $3 $4 $5}' "$st")
            gs=$(awk '/^Groups:/ {$1 = ""; print}' "$st" | tr -d ' ')
            [ "$u" = "$NUID$NUID$NUID$NUID" ] || bad_tasks=$((bad_tasks + 1))
            gid=$(getent group "$NGROUP" | cut -d: -f3)
            [ "$g" = "$gid$gid$gid$gid" ] || bad_tasks=$((bad_tasks + 1))
            case " $gs " in *" 0 "* | 0) bad_tasks=$((bad_tasks + 1)) ;; esac
        done
        h_eq "-u overrides daemon.user: threads not running as nobody:$NGROUP (of $ntasks)" "$bad_tasks" 0
        h_eq "-u logged" "$(grep -c "running as user nobody, group $NGROUP" "$H_DIR/ug.log")" 1
        h_eq "no root warning with -u" "$(grep -c 'running as root' "$H_DIR/ug.log")" 0
        stop_bg
        h_eq "-u nobody:$NGROUP: exit status" "$BG_RC" 0
    else
        h_result 0 "-u nobody:$NGROUP start" "$(cat "$H_DIR/ug.log")" "started"
    fi
else
    echo "skip privilege drop checks (not root or no user nobody)"
fi

# ---------------------------------------------------------------- B
# Default mode, started under umask 000.
sock=$H_DIR/run/umask.sock
(umask 000 && start_bg "$H_DIR/umask.log" -c "$H_CONF" -p "unix:$sock" && mode=$(stat -c %a "$sock") && echo "$mode" >"$H_DIR/umask.mode"; stop_bg)
h_eq "default socket mode, started with umask 000" "$(cat "$H_DIR/umask.mode" 2>/dev/null || echo none)" 660
sed 's/^#MODE#/  socket_mode: "0600"/' "$BASE" >"$H_DIR/conf/m600.yaml"
chmod 644 "$H_DIR/conf/m600.yaml"
sock=$H_DIR/run/m600.sock
(umask 000 && start_bg "$H_DIR/m600.log" -c "$H_DIR/conf/m600.yaml" -p "unix:$sock" && stat -c %a "$sock" >"$H_DIR/m600.mode"; stop_bg)
h_eq "socket_mode 0600 honoured" "$(cat "$H_DIR/m600.mode" 2>/dev/null || echo none)" 600
for m in 0666 0662; do
    sed "s/^#MODE#/  socket_mode: \"$m\"/" "$BASE" >"$H_DIR/conf/m$m.yaml"
    chmod 644 "$H_DIR/conf/m$m.yaml"
    run_start "start with socket_mode $m" 78 "daemon.socket_mode: \"$m\" makes the socket writable by others" \
        "$H_DIR/run/m$m.sock" -c "$H_DIR/conf/m$m.yaml"
    h_eq "socket_mode $m: no socket created" "$([ -e "$H_DIR/run/m$m.sock" ] && echo created || echo none)" none
done

# ---------------------------------------------------------------- C
# A stale socket reached through a symlink: refuse, touch neither.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$H_DIR/run/target.sock"
ln -s "$H_DIR/run/target.sock" "$H_DIR/run/link.sock"
before=$(stat -c '%i %F' "$H_DIR/run/target.sock")
run_start "symlink to a stale socket" 73 "$H_DIR/run/link.sock exists and is not a socket" \
    "$H_DIR/run/link.sock" -c "$H_CONF"
h_eq "symlink left as it was" "$(readlink "$H_DIR/run/link.sock")" "$H_DIR/run/target.sock"
h_eq "its target socket left as it was" "$(stat -c '%i %F' "$H_DIR/run/target.sock")" "$before"
mkfifo "$H_DIR/run/fifo.sock"
run_start "FIFO at the socket path" 73 "$H_DIR/run/fifo.sock exists and is not a socket" \
    "$H_DIR/run/fifo.sock" -c "$H_CONF"
h_eq "FIFO left as it was" "$(stat -c %F "$H_DIR/run/fifo.sock")" fifo
mkdir "$H_DIR/run/dir.sock"
touch "$H_DIR/run/dir.sock/keep"
run_start "directory at the socket path" 73 "$H_DIR/run/dir.sock exists and is not a socket" \
    "$H_DIR/run/dir.sock" -c "$H_CONF"
h_eq "directory left as it was" "$(ls "$H_DIR/run/dir.sock")" keep

# ---------------------------------------------------------------- D
HINT="refusing a file writable by others (mode 0666): anyone could open the server; run chmod o-w on it"
cp "$BASE" "$H_DIR/conf/ow.yaml" && chmod 666 "$H_DIR/conf/ow.yaml"
run_start "start with a config writable by others" 78 "$H_DIR/conf/ow.yaml:1:1: $HINT" \
    "$H_DIR/run/ow.sock" -c "$H_DIR/conf/ow.yaml"
h_eq "config writable by others: no socket created" "$([ -e "$H_DIR/run/ow.sock" ] && echo created || echo none)" none
out=$("$H_MILTER" -n -c "$H_DIR/conf/ow.yaml" 2>&1)
h_eq "-n with a config writable by others: exit status" "$?" 78
h_result "$(grep -F -q "$H_DIR/conf/ow.yaml:1:1: $HINT" <<<"$out" && echo 1 || echo 0)" \
    "-n with a config writable by others: message" "$out" "FILE:1:1: $HINT"
chmod 664 "$H_DIR/conf/ow.yaml"
out=$("$H_MILTER" -n -c "$H_DIR/conf/ow.yaml" 2>&1)
h_eq "group-writable config accepted (-n)" "$?" 0
# A profile writable by others.
mkdir -p "$H_DIR/pconf"
cp -r "$H_DIR/conf/providers" "$H_DIR/pconf/"
cp "$BASE" "$H_DIR/pconf/lockdown.yaml"
chmod 644 "$H_DIR/pconf/lockdown.yaml"
chmod 646 "$H_DIR/pconf/providers/mailroute.yaml"
run_start "start with a profile writable by others" 78 \
    "$H_DIR/pconf/providers/mailroute.yaml:1:1: refusing a file writable by others (mode 0646)" \
    "$H_DIR/run/pw.sock" -c "$H_DIR/pconf/lockdown.yaml"
# On reload: the new file would trust the probe address; it must not.
h_conf "$BASE"
h_milter_start || exit 1
probe "$H_SOCK" reject
h_eq "before the reload: probe refused" "$?" 0
sed 's/^#CANARY#//' "$BASE" >"$H_CONF.tmp" && chmod 666 "$H_CONF.tmp" && mv -f "$H_CONF.tmp" "$H_CONF"
off=$(log_size)
kill -USR1 "$H_MILTER_PID"
line=
for i in $(seq 1 200); do
    line=$(log_since "$off" | grep -m 1 -E 'reloaded configuration|reload failed')
    [ -n "$line" ] && break
    sleep 0.05
done
want="reload failed, keeping the current configuration: $H_CONF:1:1: $HINT"
h_result "$([[ $line == *"$want" ]] && echo 1 || echo 0)" "reload of a config writable by others" "\"$line\"" "\"*$want\""
probe "$H_SOCK" reject
h_eq "after the refused reload: the old config still refuses the probe" "$?" 0
chmod 644 "$H_CONF"
off=$(log_size)
kill -USR1 "$H_MILTER_PID"
for i in $(seq 1 200); do
    line=$(log_since "$off" | grep -m 1 -E 'reloaded configuration|reload failed')
    [ -n "$line" ] && break
    sleep 0.05
done
h_eq "same file after chmod o-w: reloaded" "${line##*: }" "reloaded configuration $H_CONF"
probe "$H_SOCK" accept
h_eq "after chmod o-w and reload: the new config trusts the probe" "$?" 0
h_milter_stop
h_eq "daemon exit status" "${H_MILTER_RC:-none}" 0
h_done
