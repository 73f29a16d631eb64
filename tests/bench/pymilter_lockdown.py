#!/usr/bin/python3
"""pymilter_lockdown.py - the peer baseline: the lockdown as a short
pymilter script (Debian python3-milter), the way an admin would write it.

Reads the same lockdown.yaml and provider files as lockdown-milter (enabled
providers and trusted entries), keeps the ranges with the ipaddress module
(one set of network numbers per prefix length, longest first, so that a
million prefixes stay usable), and at CONNECT: a port outside scope.ports
is accepted, an unknown client gets unknown_client, an inside client is
accepted, anyone else is rejected with refuse.reply. Only refuse.at:
connect is implemented (the benchmark's setting).

usage: pymilter_lockdown.py -c lockdown.yaml -p unix:/path [-t timeout]
Run it with /usr/bin/python3 (Debian's): that is where python3-milter is.
"""

import argparse
import ipaddress
import os
import socket
import sys

import Milter
import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_range(text):
    """CIDR, netmask, bare address or 'a-b' range -> list of networks."""
    text = str(text).strip()
    if "-" in text:
        lo, hi = (ipaddress.ip_address(p.strip()) for p in text.split("-", 1))
        return list(ipaddress.summarize_address_range(lo, hi))
    return [ipaddress.ip_network(text, strict=True)]


class Prefixes:
    """Longest-prefix membership: per family, per length, a set of ints."""

    def __init__(self):
        self.by_len = {4: {}, 6: {}}
        self.count = 0

    def add(self, net):
        fam = net.version
        bits = net.max_prefixlen
        key = int(net.network_address) >> (bits - net.prefixlen)
        self.by_len[fam].setdefault(net.prefixlen, set()).add(key)
        self.count += 1

    def freeze(self):
        self.lens = {
            f: sorted(d.items(), key=lambda kv: -kv[0])
            for f, d in self.by_len.items()
        }

    def __contains__(self, ip):
        bits = ip.max_prefixlen
        n = int(ip)
        for plen, keys in self.lens[ip.version]:
            if (n >> (bits - plen)) in keys:
                return True
        return False


def load_config(path):
    with open(path, encoding="utf-8") as f:
        main = yaml.load(f, Loader=Loader)
    base = os.path.dirname(os.path.abspath(path))
    pdir = os.path.join(base, main.get("providers_dir", "providers"))
    allowed = Prefixes()
    for name, state in (main.get("providers") or {}).items():
        if state != "enabled":
            continue
        with open(os.path.join(pdir, name + ".yaml"), encoding="utf-8") as f:
            prov = yaml.load(f, Loader=Loader)
        for r in prov.get("ranges") or []:
            for net in parse_range(r):
                allowed.add(net)
    for entry in main.get("trusted") or []:
        for r in entry.get("ranges") or []:
            for net in parse_range(r):
                allowed.add(net)
    allowed.freeze()
    scope = main.get("scope") or {}
    ports = set(int(p) for p in (scope.get("ports") or []))
    reply = (main.get("refuse") or {}).get(
        "reply", "554 5.7.1 Mail must arrive through the filtering service")
    rcode, xcode, text = (reply.split(" ", 2) + ["", ""])[:3]
    unknown = main.get("unknown_client", "tempfail")
    return allowed, ports, (rcode, xcode, text), unknown


ALLOWED = None
PORTS = set()
REPLY = ("554", "5.7.1", "Mail must arrive through the filtering service")
UNKNOWN = "tempfail"


class LockdownMilter(Milter.Base):

    @Milter.symlist("{daemon_port}")
    def connect(self, hostname, family, hostaddr):
        port = self.getsymval("{daemon_port}")
        if PORTS and port is not None and port.isdigit() \
                and int(port) not in PORTS:
            return Milter.ACCEPT
        if family not in (socket.AF_INET, socket.AF_INET6) or not hostaddr:
            if UNKNOWN == "accept":
                return Milter.ACCEPT
            if UNKNOWN == "reject":
                return Milter.REJECT
            return Milter.TEMPFAIL
        try:
            ip = ipaddress.ip_address(hostaddr[0])
        except ValueError:
            return Milter.TEMPFAIL
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip in ALLOWED:
            return Milter.ACCEPT
        self.setreply(*REPLY)
        return Milter.REJECT


def main():
    global ALLOWED, PORTS, REPLY, UNKNOWN
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", "--config", required=True)
    ap.add_argument("-p", "--socket", required=True)
    ap.add_argument("-t", "--timeout", type=int, default=600)
    args = ap.parse_args()
    try:
        ALLOWED, PORTS, REPLY, UNKNOWN = load_config(args.config)
    except (OSError, ValueError, yaml.YAMLError, AttributeError) as e:
        print("pymilter_lockdown: %s: %s" % (args.config, e), file=sys.stderr)
        return 78  # EX_CONFIG
    print("pymilter_lockdown: %d prefixes, listening on %s" %
          (ALLOWED.count, args.socket), file=sys.stderr, flush=True)
    Milter.factory = LockdownMilter
    Milter.runmilter("pylockdown", args.socket, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
