#!/bin/sh
# in_netns.sh COMMAND... - run COMMAND in a new, private network namespace
# (only lo, down), so that the firewall tests never touch the host's rules.
# LOCKDOWN_OUTER_NETNS names the namespace we left: the test refuses to run
# when it finds itself still in it. Exit 77 (ctest: skipped) when no
# namespace can be made (not root).
LOCKDOWN_OUTER_NETNS=$(readlink /proc/self/ns/net) || exit 77
export LOCKDOWN_OUTER_NETNS
unshare --net true 2>/dev/null || exit 77
exec unshare --net -- "$@"
