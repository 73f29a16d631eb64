# shellcheck shell=bash
# milter.sh - process and socket helpers for scripts that drive a
# lockdown-milter under test. Sourced by tests/hardening/lib.sh and
# tests/integration/common.sh.
#
#   proc_alive PID   true while PID exists and is not a zombie
#   sock_knock SOCK  connect once to the unix socket SOCK (1 s at most)

# A zombie counts as gone. (In the integration tests' PID namespace the
# script is init: orphans such as Postfix's master are its children, and
# kill -0 succeeds on them until they are reaped.)
proc_alive() {
    local state
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ]
}

# libmilter's listener notices a stop request only at its next poll timeout
# (5 s) or connection: a knock makes the daemon see SIGTERM at once.
sock_knock() {
    python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX)
s.settimeout(1)
try: s.connect(sys.argv[1])
except OSError: pass' "$1" 2>/dev/null
}
