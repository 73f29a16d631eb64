# shellcheck shell=bash
# postfix.sh - a private Postfix instance on loopback, for tests, benchmarks
# and the quick start. Source it from bash; run as root (Postfix's master
# must start as root).
#
#   . tests/lib/postfix.sh
#   pf_init   DIR PORT            create an instance in DIR (absolute path, no
#                                 spaces, reachable by user postfix: not
#                                 under a 0700 directory such as /root;
#                                 tests/lib/workdir.sh) listening on
#                                 127.0.0.1:PORT
#   pf_listen DIR PORT [-o k=v]... add another smtpd listener on 127.0.0.1:PORT,
#                                 optionally with per-service -o overrides
#   pf_set    DIR 'key = value'...  set main.cf parameters (postconf -e)
#   pf_milter DIR SOCKSPEC        smtpd_milters = { SOCKSPEC, default_action=tempfail }
#                                 plus short milter timeouts (fail closed: a
#                                 milter that is down or slow gives 4xx)
#   pf_start  DIR                 start; returns when every listener listens,
#                                 non-zero (with the log on stderr) otherwise
#   pf_reload DIR                 postfix reload (re-reads main.cf/master.cf)
#   pf_stop   DIR                 stop master and all its children; safe to
#                                 call from a trap, also when not running
#   pf_running DIR                status 0 when the instance's master runs
#   pf_log    DIR                 print the instance's log
#   pf_logfile DIR                print the log's path (DIR/log/maillog)
#   pf_postconf DIR ARGS...       run postconf on the instance (postconf -c)
#
# What the instance is:
#   DIR/etc      config_directory (main.cf, master.cf, meta files)
#   DIR/default  bind-mounted over /etc/postfix, in a private mount namespace
#                (unshare --mount), while a postfix command runs: its main.cf
#                lists DIR/etc in alternate_config_directories, as Postfix
#                requires of -c, so the host's /etc/postfix is never read nor
#                modified (a Debian install with "No configuration" has no
#                main.cf there at all)
#   DIR/queue    queue_directory; DIR/data data_directory
#   DIR/log/maillog  maillog_file, written by the postlogd service: no syslog
#
#   inet_interfaces = 127.0.0.1, IPv4 only, no chroot (so a milter socket
#   anywhere works), every delivery goes to the discard transport, relay and
#   recipient restrictions permit everything (so that the milter's decision
#   is what a test observes), any local recipient is accepted, and
#   smtpd_authorized_xclient_hosts = 127.0.0.0/8: a client on loopback
#   presents any address with "XCLIENT ADDR=..." (and "LOGIN=user", which
#   Postfix hands to milters as {auth_authen}); Postfix re-runs the milter's
#   connect stage after XCLIENT. Nothing leaves loopback.
#
# Every function returns non-zero on failure and says why on stderr; they
# work the same with and without "set -euo pipefail" in the caller.

# shellcheck source=milter.sh
. "$(dirname "${BASH_SOURCE[0]}")/milter.sh"
# shellcheck source=workdir.sh
. "$(dirname "${BASH_SOURCE[0]}")/workdir.sh"

PF_DAEMON_DIR=${PF_DAEMON_DIR:-$(postconf -dh daemon_directory 2>/dev/null || echo /usr/lib/postfix/sbin)}

pf__die() {
    echo "postfix.sh: $*" >&2
    return 1
}

pf__check_dir() {
    case "$1" in
        /*) ;;
        *) pf__die "instance directory must be absolute: '$1'" || return ;;
    esac
    case "$1" in
        *[[:space:]]*) pf__die "instance directory must not contain spaces: '$1'" || return ;;
    esac
}

# Run a postfix/postconf command for the instance inside a private mount
# namespace where DIR/default is /etc/postfix.
pf__ns() {
    local dir=$1
    shift
    unshare --mount --propagation private -- /bin/sh -c '
        dir=$1; shift
        mount --bind "$dir/default" /etc/postfix || exit 1
        MAIL_CONFIG="$dir/etc"; export MAIL_CONFIG
        exec "$@"' pf-ns "$dir" "$@"
}

pf_postconf() {
    local dir=$1
    shift
    postconf -c "$dir/etc" "$@"
}

pf_init() {
    local dir=$1 port=$2 f
    pf__check_dir "$dir" || return
    case "$port" in
        '' | *[!0-9]*) pf__die "pf_init: bad port '$port'" || return ;;
    esac
    [ -d /etc/postfix ] || pf__die "/etc/postfix missing: install postfix (contrib/deps.sh)" || return
    getent passwd postfix >/dev/null || pf__die "no 'postfix' user: install postfix" || return
    mkdir -p "$dir" || return
    # master, postdrop and smtpd run as postfix: said here, not as a
    # "cannot open lock file" from master.
    work_dir_reachable "$dir" postfix ||
        pf__die "pf_init: $dir is out of reach of user postfix (a directory above it is not searchable, e.g. /root is 0700): use a directory under /tmp (tests/lib/workdir.sh)" || return
    rm -rf "${dir:?}/etc" "$dir/default" "$dir/queue" "$dir/data" "$dir/log"
    mkdir -p "$dir/etc" "$dir/default" "$dir/queue" "$dir/data" "$dir/log" || return
    # Postfix checks that root owns the queue directory and that it is not
    # group or world writable; data_directory belongs to the mail owner.
    chmod 755 "$dir/queue" "$dir/etc" "$dir/default"
    chown postfix "$dir/data" || return
    chmod 700 "$dir/data"

    # The meta files Postfix reads from meta_directory (they come with the
    # package, also without a main.cf).
    for f in postfix-files dynamicmaps.cf; do
        [ -e "/etc/postfix/$f" ] && cp "/etc/postfix/$f" "$dir/etc/"
    done
    for f in postfix-files.d dynamicmaps.cf.d; do
        mkdir -p "$dir/etc/$f"
        [ -d "/etc/postfix/$f" ] && cp -r "/etc/postfix/$f/." "$dir/etc/$f/"
    done

    cat >"$dir/default/main.cf" <<EOF || return
# The default main.cf as seen by this instance's postfix commands only
# (bind-mounted over /etc/postfix in a private mount namespace).
compatibility_level = 3.6
alternate_config_directories = $dir/etc
maillog_file_prefixes = $dir
maillog_file = $dir/log/maillog
meta_directory = $dir/etc
EOF
    if [ -e "$dir/etc/postfix-files" ]; then cp "$dir/etc/postfix-files" "$dir/default/"; fi
    touch "$dir/default/master.cf"

    cat >"$dir/etc/main.cf" <<EOF || return
# Private test instance: loopback only, nothing delivered.
compatibility_level = 3.6
meta_directory = $dir/etc
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/log/maillog
maillog_file_prefixes = $dir
syslog_name = postfix-test
myhostname = mta.example.test
mydomain = example.test
myorigin = \$mydomain
mydestination = example.test, \$myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_bind_address = 127.0.0.1
relayhost =
biff = no
alias_maps =
alias_database =
local_recipient_maps =
default_transport = discard
local_transport = discard:\$myhostname
relay_transport = discard
virtual_transport = discard
# Postfix insists on a reject_unauth_destination; static:OK permits first.
smtpd_relay_restrictions = check_client_access static:OK, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP test instance
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_junk_command_limit = 1000
smtputf8_enable = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
EOF

    cat >"$dir/etc/master.cf" <<EOF || return
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    echo "$port" >"$dir/ports"
}

pf_listen() {
    local dir=$1 port=$2 line
    shift 2
    case "$port" in
        '' | *[!0-9]*) pf__die "pf_listen: bad port '$port'" || return ;;
    esac
    [ -f "$dir/etc/master.cf" ] || pf__die "pf_listen: $dir: not initialised (pf_init)" || return
    line="127.0.0.1:$port inet n - n - - smtpd"
    while [ $# -gt 0 ]; do
        [ "$1" = -o ] && [ $# -ge 2 ] || pf__die "pf_listen: expected '-o key=value', got '$1'" || return
        line="$line
  -o $2"
        shift 2
    done
    printf '%s\n' "$line" >>"$dir/etc/master.cf" && echo "$port" >>"$dir/ports"
}

pf_set() {
    local dir=$1
    shift
    [ -f "$dir/etc/main.cf" ] || pf__die "pf_set: $dir: not initialised (pf_init)" || return
    [ $# -gt 0 ] || return 0
    postconf -c "$dir/etc" -e "$@"
}

pf_milter() {
    local dir=$1 spec=$2
    pf_set "$dir" "smtpd_milters = { $spec, default_action=tempfail }" \
        'non_smtpd_milters =' \
        'milter_default_action = tempfail' \
        'milter_protocol = 6' \
        'milter_connect_timeout = 5s' \
        'milter_command_timeout = 10s' \
        'milter_content_timeout = 30s'
}

pf_logfile() {
    echo "$1/log/maillog"
}

pf_log() {
    cat "$1/log/maillog" 2>/dev/null
}

# Exists and is not a zombie: a caller that is init of a PID namespace
# inherits master as an orphan, and kill -0 succeeds until it reaps it.
pf__alive() {
    local state
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || true
    [ -n "$state" ] && [ "$state" != Z ]
}

pf__master_pid() {
    local pid
    pid=$(sed -n '1{s/[^0-9]//g;p;}' "$1/queue/pid/master.pid" 2>/dev/null) || true
    [ -n "$pid" ] && pf__alive "$pid" && echo "$pid"
}

pf_running() {
    pf__master_pid "$1" >/dev/null
}

# Create the queue and data directories as postfix-files describes them,
# and skip postfix-script's checks (a "quick-start" file): its
# "post-install create-missing" alone takes seconds, the instance is
# brand new and made by pf_init. PF_FULL_CHECK=1 runs the full checks.
pf__mkqueue() {
    local dir=$1 owner group line path type o g mode
    [ "${PF_FULL_CHECK:-0}" = 1 ] && return 0
    [ -d "$dir/queue/pid" ] && return 0
    [ -f "$dir/etc/postfix-files" ] || return 0
    owner=$(postconf -c "$dir/etc" -h mail_owner) || return
    group=$(postconf -c "$dir/etc" -h setgid_group) || return
    while IFS=: read -r path type o g mode _; do
        [ "$type" = d ] || continue
        case "$path" in
            '$queue_directory'*) path=$dir/queue${path#\$queue_directory} ;;
            '$data_directory'*) path=$dir/data${path#\$data_directory} ;;
            *) continue ;;
        esac
        [ "$o" = '$mail_owner' ] && o=$owner
        [ "$g" = '$setgid_group' ] && g=$group
        [ "$g" = - ] && g=root
        install -d -o "$o" -g "$g" -m "$mode" "$path" || return
    done <"$dir/etc/postfix-files"
    [ -d "$dir/queue/pid" ] && touch "$dir/queue/quick-start"
    return 0
}

pf_start() {
    local dir=$1 port i
    [ -f "$dir/etc/main.cf" ] || pf__die "pf_start: $dir: not initialised (pf_init)" || return
    if pf_running "$dir"; then
        pf__die "pf_start: $dir: already running" || return
    fi
    pf__mkqueue "$dir" || return
    if ! pf__ns "$dir" postfix -c "$dir/etc" start >"$dir/log/start.out" 2>&1; then
        echo "postfix.sh: postfix start failed for $dir:" >&2
        cat "$dir/log/start.out" "$dir/log/maillog" >&2 2>/dev/null
        return 1
    fi
    # master -w returns once initialised; still check every listener.
    for port in $(cat "$dir/ports"); do
        for i in $(seq 1 100); do
            # (no "| grep -q": under pipefail, ss could die of SIGPIPE)
            [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
            sleep 0.05
        done
        if [ "$i" = 100 ]; then
            echo "postfix.sh: nothing listens on 127.0.0.1:$port after start" >&2
            pf_log "$dir" >&2
            return 1
        fi
    done
}

pf_reload() {
    local dir=$1
    pf__ns "$dir" postfix -c "$dir/etc" reload >>"$dir/log/start.out" 2>&1 ||
        pf__die "pf_reload: postfix reload failed for $dir (see $dir/log/maillog)"
}

pf_stop() {
    local dir=$1 pid pids i
    pid=$(pf__master_pid "$dir") || return 0
    # master leads its own process group: its children are in it too.
    pids=$(pgrep -g "$pid" 2>/dev/null | tr '\n' ' ') || true
    daemon_stop "$pid"
    for pid in $pids; do
        pf__alive "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    for i in $(seq 1 40); do
        pids=$(for p in $pids; do if pf__alive "$p"; then echo "$p"; fi; done)
        [ -z "$pids" ] && return 0
        sleep 0.05
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    return 0
}
