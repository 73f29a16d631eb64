# shellcheck shell=bash
# sendmail.sh - a real Debian sendmail 8.17 on loopback, next to an installed
# Postfix, for tests. Source it from bash; run as root.
#
# sendmail-bin conflicts with postfix as a package, so it is never
# installed: its .debs are fetched with apt-get download and unpacked with
# dpkg -x into a cache directory (once; later runs reuse it).
#
#   . tests/lib/sendmail.sh
#   sm_fetch CACHE             download + unpack sendmail-bin/-base/-cf into
#                              CACHE/root unless already there (flock-safe)
#   sm_ns_setup DIR            call inside "unshare --mount --net --uts" (see
#                              below): FQDN host name, lo up, private
#                              /etc/hosts, nsswitch.conf, resolv.conf
#   sm_init DIR CACHE PORT [MSAPORT]
#                              create an instance in DIR (absolute, no spaces)
#                              with a daemon on 127.0.0.1:PORT, and a second
#                              one on MSAPORT if given
#   sm_milter DIR SOCKSPEC     INPUT_MAIL_FILTER(lockdown, S=SOCKSPEC, F=T, ...)
#   sm_mc DIR 'm4 line'...     append lines to the .mc
#   sm_start DIR               build the .cf, start the daemon, return when it
#                              listens (polls ss: a probe would be a milter
#                              connect); non-zero with the log otherwise
#   sm_stop DIR                stop it (safe from a trap, also when stopped)
#   sm_log DIR                 print the sendmail log (its syslog lines and
#                              milter debug, from -D/-d)
#
# sm_start runs sendmail as a background job of the calling shell: call
# sm_stop from that same shell. Functions return non-zero on failure and
# say why on stderr, with or without "set -euo pipefail" in the caller.
#
# Facts this relies on, learned the hard way:
#  - With an unqualified host name sendmail sleeps 60 s at every start
#    ("unable to qualify my own domain name"): the namespace gives it
#    mta.example.test, and private hosts/nsswitch/resolv.conf keep every
#    lookup in files (no DNS; the new network namespace has only lo, so
#    nothing can leave loopback anyway).
#  - "-D file" must come before "-d": the debug output then goes to the
#    file, not down the SMTP socket. -d99.100 keeps the daemon in the
#    foreground; -d89.8 copies its syslog lines into the file.
#  - F=T: the MTA tempfails when the milter is unreachable (fail closed).
#  - Sendmail has no XCLIENT: clients bind to loopback aliases (any
#    127.x.y.z works on lo), so a test config needs profiles inside
#    127.0.0.0/8.
#  - OSTYPE(linux), not debian (that one pulls Debian's own paths).
#  - By default sendmail stops accepting connections ("rejecting
#    connections on daemon MTA: load average: 45") when the load average
#    passes 12 per CPU, which a machine shared with other work does: the
#    load limits are set out of reach.
#  - Paths sendmail reads must not sit in group/world-writable directories
#    (DontBlameSendmail=TrustStickyBit allows /tmp); the queue directory
#    must be root-owned, mode 700.

# shellcheck source=milter.sh
. "$(dirname "${BASH_SOURCE[0]}")/milter.sh"

SM_HOSTNAME=mta.example.test

sm__die() {
    echo "sendmail.sh: $*" >&2
    return 1
}

sm__bin() {
    echo "$1/root/usr/libexec/sendmail/sendmail"
}

sm_fetch() {
    local cache=$1 tmp d
    case "$cache" in
        /*) ;;
        *) sm__die "sm_fetch: cache directory must be absolute: '$cache'" || return ;;
    esac
    mkdir -p "$cache" || return
    (
        flock 9 || exit 1
        if [ -x "$(sm__bin "$cache")" ] && [ -f "$cache/root/usr/share/sendmail/cf/m4/cf.m4" ]; then
            exit 0
        fi
        tmp=$cache/debs
        rm -rf "$tmp" "$cache/root"
        mkdir -p "$tmp" && chmod 777 "$tmp" # apt-get download runs as _apt
        fetch() { (cd "$tmp" && apt-get download -q sendmail-bin sendmail-base sendmail-cf) >"$cache/fetch.log" 2>&1; }
        if ! fetch; then
            # stale package lists on a fresh machine
            apt-get update -qq >>"$cache/fetch.log" 2>&1
            fetch || { cat "$cache/fetch.log" >&2; exit 1; }
        fi
        for d in "$tmp"/*.deb; do
            dpkg -x "$d" "$cache/root" || exit 1
        done
        if ldd "$(sm__bin "$cache")" | grep 'not found' >&2; then
            echo "sendmail.sh: sendmail needs libraries that are missing (contrib/deps.sh)" >&2
            exit 1
        fi
    ) 9>"$cache/.lock"
}

sm_ns_setup() {
    local dir=$1 f
    mkdir -p "$dir/ns" || return
    printf '127.0.0.1 %s mta localhost\n::1 %s mta localhost\n' \
        "$SM_HOSTNAME" "$SM_HOSTNAME" >"$dir/ns/hosts"
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nprotocols: files\n' \
        >"$dir/ns/nsswitch.conf"
    printf 'nameserver 127.0.0.1\n' >"$dir/ns/resolv.conf"
    for f in hosts nsswitch.conf resolv.conf; do
        mount --bind "$dir/ns/$f" "/etc/$f" || sm__die "cannot bind-mount /etc/$f: not in a private mount namespace?" || return
    done
    hostname "$SM_HOSTNAME" || return
    ip link set lo up
}

sm_init() {
    local dir=$1 cache=$2 port=$3 msaport=${4:-}
    case "$dir" in
        /*) ;;
        *) sm__die "sm_init: directory must be absolute: '$dir'" || return ;;
    esac
    case "$dir" in *[[:space:]]*) sm__die "sm_init: no spaces please: '$dir'" || return ;; esac
    [ -x "$(sm__bin "$cache")" ] || sm__die "sm_init: no sendmail in $cache (sm_fetch)" || return
    mkdir -p "$dir" || return
    rm -rf "${dir:?}/etc" "$dir/queue"
    mkdir -p "$dir/etc" "$dir/queue" || return
    chmod 755 "$dir" "$dir/etc"
    chmod 700 "$dir/queue"
    echo "$cache" >"$dir/cache"
    printf 'example.test\n%s\nlocalhost\n' "$SM_HOSTNAME" >"$dir/etc/local-host-names"
    printf 'postmaster: root\nMAILER-DAEMON: postmaster\n' >"$dir/etc/aliases"
    printf 'hosts files\naliases files\n' >"$dir/etc/service.switch"
    printf '127.0.0.1 %s mta localhost\n' "$SM_HOSTNAME" >"$dir/etc/hosts"
    : >"$dir/sendmail.st"
    echo "$port" >"$dir/ports"
    cat >"$dir/etc/test.mc" <<EOF
divert(0)dnl
VERSIONID(\`lockdown-milter test')OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$SM_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$dir/queue')define(\`STATUS_FILE', \`$dir/sendmail.st')dnl
define(\`ALIAS_FILE', \`$dir/etc/aliases')define(\`confCW_FILE', \`$dir/etc/local-host-names')dnl
define(\`confPID_FILE', \`$dir/sendmail.pid')define(\`confDEAD_LETTER_DROP', \`$dir/dead.letter')dnl
define(\`confSERVICE_SWITCH_FILE', \`$dir/etc/service.switch')define(\`confHOSTS_FILE', \`$dir/etc/hosts')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')define(\`confTO_IDENT', \`0s')define(\`confAUTH_MECHANISMS', \`')dnl
define(\`confDELIVERY_MODE', \`queueonly')define(\`confLOG_LEVEL', \`14')define(\`confMILTER_LOG_LEVEL', \`14')dnl
define(\`confPRIVACY_FLAGS', \`noetrn')dnl
define(\`confREFUSE_LA', \`100000')define(\`confQUEUE_LA', \`100000')define(\`confDELAY_LA', \`0')dnl
FEATURE(\`no_default_msa')FEATURE(\`use_cw_file')FEATURE(\`nocanonify')FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
EOF
    if [ -n "$msaport" ]; then
        echo "$msaport" >>"$dir/ports"
        echo "DAEMON_OPTIONS(\`Port=$msaport, Addr=127.0.0.1, Name=MSA')dnl" >>"$dir/etc/test.mc"
    fi
}

sm_mc() {
    local dir=$1
    shift
    [ -f "$dir/etc/test.mc" ] || sm__die "sm_mc: $dir: not initialised (sm_init)" || return
    printf '%s\n' "$@" >>"$dir/etc/test.mc"
}

sm_milter() {
    local dir=$1 spec=$2
    sm_mc "$dir" "INPUT_MAIL_FILTER(\`lockdown', \`S=$spec, F=T, T=S:10s;R:10s;E:5m')dnl"
}

sm_log() {
    cat "$1/sendmail.log" 2>/dev/null
}

sm__pid() {
    local pid
    pid=$(cat "$1/run.pid" 2>/dev/null) || true
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

sm_start() {
    local dir=$1 cache sm pid port i
    cache=$(cat "$dir/cache" 2>/dev/null) || sm__die "sm_start: $dir: not initialised (sm_init)" || return
    sm=$(sm__bin "$cache")
    [ "$(hostname)" = "$SM_HOSTNAME" ] ||
        sm__die "sm_start: host name is '$(hostname)', not $SM_HOSTNAME: call sm_ns_setup in a private namespace first (else sendmail sleeps 60 s)" || return
    if sm__pid "$dir" >/dev/null; then
        sm__die "sm_start: $dir: already running" || return
    fi
    if ! grep -q '^MAILER(' "$dir/etc/test.mc"; then
        echo "MAILER(\`local')MAILER(\`smtp')dnl" >>"$dir/etc/test.mc"
    fi
    m4 "$cache/root/usr/share/sendmail/cf/m4/cf.m4" "$dir/etc/test.mc" >"$dir/etc/test.cf" ||
        sm__die "sm_start: m4 failed on $dir/etc/test.mc" || return
    : >"$dir/sendmail.log"
    # -D before -d (else debug goes to the SMTP socket); -d99.100: foreground.
    "$sm" -C "$dir/etc/test.cf" -bd -D "$dir/sendmail.log" -d89.8 -d99.100 \
        </dev/null >"$dir/sendmail.out" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/run.pid"
    for port in $(cat "$dir/ports"); do
        for i in $(seq 1 200); do
            # (no "| grep -q": under pipefail, ss could die of SIGPIPE)
            [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "sendmail.sh: sendmail exited during start:" >&2
                cat "$dir/sendmail.out" "$dir/sendmail.log" >&2
                return 1
            fi
            sleep 0.05
        done
        if [ "$i" = 200 ]; then
            echo "sendmail.sh: nothing listens on 127.0.0.1:$port after 10 s" >&2
            cat "$dir/sendmail.out" "$dir/sendmail.log" >&2
            return 1
        fi
    done
}

sm_stop() {
    local dir=$1 pid kids i
    pid=$(sm__pid "$dir") || return 0
    kids=$(pgrep -P "$pid" | tr '\n' ' ') || true
    daemon_stop "$pid"
    # children (one per SMTP session) must not outlive a trap either
    # shellcheck disable=SC2086
    [ -n "$kids" ] && kill -TERM $kids 2>/dev/null
    rm -f "$dir/run.pid"
    return 0
}
