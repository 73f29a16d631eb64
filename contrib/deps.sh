#!/bin/sh
# Install what lockdown-milter needs to build and test, from Debian 12's
# packages. Idempotent; run as root. Postfix is installed with "No
# configuration" so that nothing on the host starts listening: the tests run
# their own private instance on loopback.
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="build-essential cmake pkg-config libyaml-dev libcmocka-dev libmilter-dev
 postfix swaks libnet-ssleay-perl
 libio-socket-inet6-perl miltertest m4 libwrap0 libdb5.3 libldap-2.5-0 libnsl2
 libsasl2-2 libssl3 iproute2 util-linux procps psmisc python3-milter
 python3-yaml
 python3 nftables iptables clang libclang-rt-14-dev valgrind strace"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing; run as root" >&2
    exit 1
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
