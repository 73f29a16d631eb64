#!/bin/bash
# sendmail_fetch.sh CACHE - fetch and unpack sendmail's .debs once (ctest
# fixture for the sendmail tests; they need no network afterwards).
set -u
. "$(dirname "$0")/../lib/sendmail.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
sm_fetch "${1:?usage: sendmail_fetch.sh CACHE}" || exit 1
# (No "sendmail -d0.1" here: outside the test namespace the host name may be
# unqualified, and sendmail would sleep a minute over it.)
ls "$1"/debs/*.deb
