#!/usr/bin/env python3
"""run_export_tests.py - `lockdownctl export` checked by the tools that
consume each format, and against `lockdownctl check` (the differential).

  run_export_tests.py SECTION LOCKDOWNCTL EXPORT_ADDRS SRCDIR WORKDIR

WORKDIR "-" means a fresh directory under $LOCKDOWN_WORK or ${TMPDIR:-/tmp}
(Postfix's and Sendmail's users must reach it, which they cannot under a
0700 home such as /root); it is removed on success and kept on failure or
with LOCKDOWN_KEEP=1.

SECTION is one of:
  postfix   postmap -q on both cidr tables; for a config with scope.domains
            on the class table and the postfix-domains regexp table
  postfix-smtpd  a real, private Postfix on loopback built from the header's
            main.cf / master.cf lines of the scope.domains tables (and of
            --all-domains), clients presented with XCLIENT; run it inside
            `unshare -n` (CMake does)
  sendmail  makemap hash + editmap -q, then sendmail -bt running the real
            check_relay and Relay_ok rulesets of a cf built with
            FEATURE(`access_db') over the generated access db
  nftables  nft -c -f, nft -f (twice), the loaded ruleset read back with
            nft -j and evaluated, and TCP probes on loopback; run it inside
            `unshare -n` (CMake does), never on the host's firewall
  iptables  iptables-restore / ip6tables-restore --test, loaded twice, read
            back with iptables-save and evaluated, TCP probes; `unshare -n`
  exchange  the PowerShell against golden files (no PowerShell here), and
            its RemoteIPRanges evaluated against check
  cli       lockdownctl export's options and exit codes

For every config in configs/ (and the shipped etc/lockdown.yaml) the
addresses are the edges of every range of every entry, enabled or not, plus
seeded random ones (export_addrs). The oracle is `lockdownctl check -`:
port 25 for "may connect", plus --rcpt to a remote domain for "may relay".
Exit 0 when every verdict agrees, 1 with got/want lines otherwise, 77 when
the section cannot run here (not root, no network namespace).
"""

import ipaddress
import json
import os
import re
import selectors
import shutil
import socket
import tempfile
import subprocess
import sys
import time

SKIP = 77
NRANDOM = 2500
# sendmail -bt traces every ruleset call, one write per token: fewer random
# addresses there (the edges are all kept) keep it quick on a loaded machine.
NRANDOM_SENDMAIL = 1500
CONFIGS = [
    ("shipped", "etc/lockdown.yaml", 1),
    ("all", "tests/export/configs/all.yaml", 2),
    ("mixed", "tests/export/configs/mixed.yaml", 3),
    ("wide", "tests/export/configs/wide.yaml", 4),
]
# A locked port (in every config above) and one no config locks.
LOCKED, UNLOCKED = 25, 587
REMOTE_RCPT = "postmaster@relay-test.invalid"
# scope.domains: example.com, example.org, locked-only.example.net. Every
# recipient domain below is a local domain there, so that relaying never
# decides: the verdict is the scope's alone.
SCOPED = "tests/export/configs/scoped.yaml"
SCOPED_RCPTS = [
    ("postmaster@example.com", True),
    ("Someone@EXAMPLE.Com", True),
    ("postmaster@example.com.", True),
    ("postmaster@example.org", True),
    ("postmaster@locked-only.example.net", True),
    ("postmaster@sub.example.com", False),
    ("postmaster@xexample.com", False),
    ("postmaster@example.com.open.example", False),
    ("postmaster@example.net", False),
    ("postmaster@open.example", False),
    ('"u@example.com"@open.example', False),
]
SCOPED_LOCKED_RCPT = "postmaster@example.com"
SCOPED_OPEN_RCPT = "postmaster@open.example"
SCOPED_OUTSIDER = "192.0.2.99"

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 40:
        print("FAIL: " + msg, file=sys.stderr)


def run(cmd, inp=None, check=True, cwd=None):
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True,
                       cwd=cwd)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s%s" % (" ".join(cmd), p.returncode,
                                                   p.stdout[-2000:],
                                                   p.stderr[-2000:]))
    return p


class Ctx:
    def __init__(self, ctl, addrs_bin, src, work):
        self.ctl = ctl
        self.addrs_bin = addrs_bin
        self.src = src
        self.work = work
        os.makedirs(work, exist_ok=True)

    def export(self, cfg, fmt, *opts):
        p = run([self.ctl, "-c", cfg, "export", fmt] + list(opts),
                cwd=self.src)
        return p.stdout

    def export_file(self, name, cfg, fmt, *opts):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(self.export(cfg, fmt, *opts))
        return path

    def addresses(self, cfg, seed, nrandom=NRANDOM):
        p = run([self.addrs_bin, cfg, str(seed), str(nrandom)], cwd=self.src)
        seen = {}
        for line in p.stdout.split():
            seen.setdefault(line, None)
        return list(seen)

    def check(self, cfg, addrs, port, rcpt=None):
        """addr -> (allowed, verdict line) from lockdownctl check -."""
        cmd = [self.ctl, "-c", cfg, "check", "-", "--port", str(port)]
        if rcpt is not None:
            cmd += ["--rcpt", rcpt]
        p = run(cmd, inp="".join(a + "\n" for a in addrs), check=False,
                cwd=self.src)
        if p.returncode not in (0, 1):
            raise RuntimeError("check - exit %d: %s" % (p.returncode,
                                                        p.stderr[-2000:]))
        out = {}
        for line in p.stdout.splitlines():
            f = line.split()
            if len(f) < 2:
                raise RuntimeError("check -: odd line %r" % line)
            if f[1] not in ("continue", "accept", "reject", "tempfail"):
                raise RuntimeError("check -: unexpected verdict in %r "
                                   "(test configs are enforce mode)" % line)
            out[f[0]] = (f[1] in ("continue", "accept"), line)
        missing = [a for a in addrs if a not in out]
        if missing:
            raise RuntimeError("check - gave no verdict for %s" % missing[:5])
        return out

    def oracle(self, cfg, seed, nrandom=NRANDOM):
        addrs = self.addresses(cfg, seed, nrandom)
        conn = self.check(cfg, addrs, LOCKED)
        relay = self.check(cfg, addrs, LOCKED, REMOTE_RCPT)
        return addrs, conn, relay


def compare(what, addrs, got, want):
    bad = 0
    for a in addrs:
        if got[a] != want[a][0]:
            bad += 1
            if bad <= 8:
                fail("%s: %s: got %s, want %s (check: %s)" % (
                    what, a, "allow" if got[a] else "deny",
                    "allow" if want[a][0] else "deny", want[a][1]))
    if bad > 8:
        fail("%s: %d more disagreements" % (what, bad - 8))
    return len(addrs) - bad


# ---------------------------------------------------------------- postfix

def section_postfix(x):
    pfconf = os.path.join(x.work, "postfix-conf")
    os.makedirs(pfconf, exist_ok=True)
    # An empty main.cf: postmap must not depend on the host's /etc/postfix.
    open(os.path.join(pfconf, "main.cf"), "w").close()
    reply_re = re.compile(r"^[45]\d\d [245]\.\d{1,3}\.\d{1,3} \S")
    for name, cfg, seed in CONFIGS:
        addrs, conn, relay = x.oracle(cfg, seed)
        for fmt, want, is_relay in (("postfix-client", conn, False),
                                    ("postfix-relay", relay, True)):
            path = x.export_file("%s.%s.cidr" % (name, fmt), cfg, fmt)
            p = run(["postmap", "-c", pfconf, "-q", "-", "cidr:" + path],
                    inp="".join(a + "\n" for a in addrs), check=False)
            if p.returncode not in (0, 1) or p.stderr.strip():
                fail("%s %s: postmap exit %d: %s" % (name, fmt, p.returncode,
                                                     p.stderr.strip()))
                continue
            found = {}
            for line in p.stdout.splitlines():
                k, _, v = line.partition("\t")
                found[k] = v
            got = {}
            for a in addrs:
                v = found.get(a)
                if is_relay:
                    # OK relays; DUNNO and no match fall through to
                    # reject_unauth_destination.
                    if v not in (None, "OK", "DUNNO"):
                        fail("%s %s: %s: unexpected action %r" % (name, fmt,
                                                                   a, v))
                    got[a] = v == "OK"
                else:
                    # 0.0.0.0/0 and ::/0 catch everyone else.
                    if v is None or (v != "OK" and not reply_re.match(v)):
                        fail("%s %s: %s: got %r, want OK or the reply" %
                             (name, fmt, a, v))
                    got[a] = v == "OK"
            n = compare("%s %s (postmap)" % (name, fmt), addrs, got, want)
            print("%s %s: %d/%d addresses agree with check" %
                  (name, fmt, n, len(addrs)))
    postfix_scoped(x, pfconf)


def postmap_q(pfconf, table, keys):
    """key -> value (None: no match) from postmap -q - over table."""
    p = run(["postmap", "-c", pfconf, "-q", "-", table],
            inp="".join(k + "\n" for k in keys), check=False)
    if p.returncode not in (0, 1) or p.stderr.strip():
        raise RuntimeError("postmap -q %s: exit %d: %s" % (
            table, p.returncode, p.stderr.strip()))
    found = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition("\t")
        found[k] = v
    return {k: found.get(k) for k in keys}


def postfix_scoped(x, pfconf):
    """scope.domains: the class table (DUNNO or the reply) against check
    with a locked recipient, the regexp table against check's verdict per
    recipient, and --all-domains against the same locked verdicts."""
    reply_re = re.compile(r"^[45]\d\d [245]\.\d{1,3}\.\d{1,3} \S")
    addrs = x.addresses(SCOPED, 5)
    locked = x.check(SCOPED, addrs, LOCKED, SCOPED_LOCKED_RCPT)
    opened = x.check(SCOPED, addrs, LOCKED, SCOPED_OPEN_RCPT)
    for a in addrs:
        if not opened[a][0]:
            fail("scoped: check refuses %s for an unlocked domain: %s" %
                 (a, opened[a][1]))
    for fmt, opts, listed in (("postfix-client", [], "DUNNO"),
                              ("postfix-client", ["--all-domains"], "OK")):
        what = "scoped %s %s" % (fmt, " ".join(opts))
        path = x.export_file("scoped.%s%s.cidr" % (fmt, "".join(opts)),
                             SCOPED, fmt, *opts)
        found = postmap_q(pfconf, "cidr:" + path, addrs)
        got = {}
        for a in addrs:
            v = found[a]
            if v is None or (v != listed and not reply_re.match(v)):
                fail("%s: %s: got %r, want %s or the reply" % (what, a, v,
                                                               listed))
            got[a] = v == listed
        n = compare(what + " (postmap)", addrs, got, locked)
        print("%s: %d/%d addresses agree with check" % (what, n, len(addrs)))
    path = x.export_file("scoped.postfix-domains.regexp", SCOPED,
                         "postfix-domains")
    found = postmap_q(pfconf, "regexp:" + path, [r for r, _ in SCOPED_RCPTS])
    for rcpt, want in SCOPED_RCPTS:
        v = found[rcpt]
        if v not in (None, "lockdown_locked"):
            fail("scoped postfix-domains: %s: unexpected action %r" % (rcpt,
                                                                       v))
        c = x.check(SCOPED, [SCOPED_OUTSIDER], LOCKED, rcpt)[SCOPED_OUTSIDER]
        if c[0] == want:
            fail("scoped: check for %s: %s, want %s (the test's list is "
                 "wrong)" % (rcpt, c[1], "refused" if want else "allowed"))
        if (v is not None) != want:
            fail("scoped postfix-domains (postmap): %s: got %s, want %s "
                 "(check: %s)" % (rcpt, "locked" if v else "not locked",
                                  "locked" if want else "not locked", c[1]))
    print("scoped postfix-domains: %d recipients checked" % len(SCOPED_RCPTS))


# ---------------------------------------------------------- postfix-smtpd

PF_LOCKED_PORT, PF_ALL_PORT = 10025, 10027


def pf_sh(x, script, *args):
    """Run bash with tests/lib/postfix.sh sourced."""
    lib = os.path.join(x.src, "tests", "lib", "postfix.sh")
    return run(["bash", "-c", '. "$0" && ' + script, lib] + list(args))


def header_lines(text, start):
    """The header's instruction beginning with start ("#   name = ..."),
    with its continuation lines ("#       more"), as one line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#   " + start) or \
                line.startswith("#     " + start):
            out = line[1:].strip()
            for more in lines[i + 1:]:
                if not more.startswith("#       "):
                    break
                out += " " + more[1:].strip()
            return out
    raise RuntimeError("no %r line in the header:\n%s" % (start, text))


class Smtp:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.f = self.s.makefile("rb")

    def reply(self):
        lines = []
        while True:
            line = self.f.readline().decode("utf-8", "replace")
            if not line:
                raise RuntimeError("connection closed after %r" % lines)
            lines.append(line.rstrip("\r\n"))
            if len(line) < 4 or line[3] != "-":
                return lines[-1]

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.cmd("QUIT")
        except (OSError, RuntimeError):
            pass
        self.s.close()


def smtp_rcpts(port, addr, rcpts):
    """rcpt -> the reply to RCPT, for a client presented as addr."""
    c = Smtp(port)
    try:
        steps = [("banner", c.reply()), ("ehlo", c.cmd("EHLO client.test"))]
        xaddr = "IPV6:" + addr if ":" in addr else addr
        steps.append(("xclient", c.cmd("XCLIENT ADDR=%s NAME=[UNAVAILABLE]"
                                       % xaddr)))
        steps.append(("ehlo2", c.cmd("EHLO client.test")))
        steps.append(("mail", c.cmd("MAIL FROM:<sender@client.test>")))
        for name, r in steps:
            if not r.startswith("2"):
                raise RuntimeError("%s from %s: %r" % (name, addr, r))
        return {r: c.cmd("RCPT TO:<%s>" % r) for r in rcpts}
    finally:
        c.close()


def section_postfix_smtpd(x):
    """The scope.domains tables in a real Postfix, set up from the lines the
    headers give (paths moved to the work directory): an outsider's RCPT to
    a locked domain gets the milter's reply, to another domain 250; a
    provider or trusted client gets 250 for both; with --all-domains the
    outsider is refused for every domain. check is the oracle. (IPv6 on:
    XCLIENT refuses an IPv6 ADDR otherwise; Postfix still listens on
    127.0.0.1 only.)"""
    in_netns_or_skip()
    run(["ip", "link", "set", "lo", "up"])
    pfdir = os.path.join(x.work, "pf")
    cidr = x.export_file("lockdown-client.cidr", SCOPED, "postfix-client")
    regexp = x.export_file("lockdown-domains.regexp", SCOPED,
                           "postfix-domains")
    allcidr = x.export_file("lockdown-client-all.cidr", SCOPED,
                            "postfix-client", "--all-domains")
    with open(cidr) as f:
        head = f.read()
    with open(regexp) as f:
        if header_lines(f.read(), "smtpd_restriction_classes") != \
                header_lines(head, "smtpd_restriction_classes"):
            fail("postfix-domains and postfix-client headers differ")
    with open(allcidr) as f:
        allhead = f.read()

    def local(line):
        return line.replace("/etc/postfix/lockdown-client.cidr", cidr) \
                   .replace("/etc/postfix/lockdown-domains.regexp", regexp)

    classes = local(header_lines(head, "smtpd_restriction_classes"))
    klass = local(header_lines(head, "lockdown_locked = "))
    rcpt_o = local(header_lines(head, "-o smtpd_recipient_restrictions="))
    all_o = header_lines(allhead, "-o smtpd_client_restrictions=").replace(
        "/etc/postfix/lockdown-client.cidr", allcidr)
    print("main.cf: %s\nmain.cf: %s\nmaster.cf: %s\nmaster.cf (all): %s" %
          (classes, klass, rcpt_o, all_o))
    pf_sh(x, 'pf_stop "$1"; pf_init "$1" 10024 && '
          'pf_listen "$1" "$2" -o "$3" && pf_listen "$1" "$4" -o "$5" && '
          'pf_set "$1" "$6" "$7" "inet_protocols = all" && pf_start "$1"',
          pfdir, str(PF_LOCKED_PORT), rcpt_o[len("-o "):],
          str(PF_ALL_PORT), all_o[len("-o "):], classes, klass)
    try:
        postfix_smtpd_probe(x)
    finally:
        pf_sh(x, 'pf_stop "$1"', pfdir)


def postfix_smtpd_probe(x):
    clients = [
        (SCOPED_OUTSIDER, False),      # in no entry
        ("2001:db8:1::25", False),     # in no entry, IPv6
        ("199.89.0.10", True),         # provider mailroute
        ("64.18.15.255", True),        # provider postini, last address
        ("10.1.2.3", True),            # trusted lan
        ("2001:db8:ab00::1", True),    # trusted v6-office
        ("199.89.8.0", False),         # just past mailroute
    ]
    rcpts = [r for r, _ in SCOPED_RCPTS if '"' not in r]
    reply = None
    for addr, listed in clients:
        got = smtp_rcpts(PF_LOCKED_PORT, addr, rcpts)
        for rcpt, locked in SCOPED_RCPTS:
            if rcpt not in got:
                continue
            want_ok = listed or not locked
            c = x.check(SCOPED, [addr], LOCKED, rcpt)[addr]
            if c[0] != want_ok:
                fail("smtpd: check %s --rcpt %s: %s, want %s (the test's "
                     "list is wrong)" % (addr, rcpt, c[1],
                                         "allow" if want_ok else "refuse"))
            r = got[rcpt]
            if r.startswith("250") != want_ok:
                fail("smtpd: %s RCPT %s: %r, want %s (check: %s)" % (
                    addr, rcpt, r, "250" if want_ok else "the refusal",
                    c[1]))
            if not want_ok:
                reply = r
        allgot = smtp_rcpts(PF_ALL_PORT, addr, [SCOPED_OPEN_RCPT,
                                                SCOPED_LOCKED_RCPT])
        for rcpt, r in allgot.items():
            if r.startswith("250") != listed:
                fail("smtpd --all-domains: %s RCPT %s: %r, want %s" % (
                    addr, rcpt, r, "250" if listed else "the refusal"))
    # The refusal is refuse.reply's code, status and text; Postfix puts
    # "<name[addr]>: Client host rejected: " before an access table's text.
    want = re.compile(r"^550 5\.7\.1 <[^>]*>: Client host rejected: "
                      r"Mail for this domain must arrive through the filter$")
    if reply is None or not want.match(reply):
        fail("smtpd: refusal %r, want refuse.reply (%s)" % (reply,
                                                           want.pattern))
    print("postfix-smtpd: %d clients x %d recipients, and --all-domains" %
          (len(clients), len(rcpts)))


# --------------------------------------------------------------- sendmail

SM_MC = """divert(0)dnl
VERSIONID(`lockdown-milter export test')OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `mta.example.test')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confCR_FILE', `-o {work}/relay-domains')dnl
define(`confCW_FILE', `-o {work}/local-host-names')dnl
define(`confSERVICE_SWITCH_FILE', `{work}/service.switch')dnl
define(`confHOSTS_FILE', `{work}/hosts')dnl
define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl
FEATURE(`access_db', `hash -T<TMPF> {work}/access')dnl
MAILER(`local')MAILER(`smtp')dnl
LOCAL_RULESETS
# check_relay exactly as sendmail calls it for a client without a PTR
# name: {{client_name}} is "[address]", then {{client_addr}}.
Stest_connect
R$+\t\t$: $>check_relay [ $1 ] $| $1
"""


# sendmail resolves its own host name before it reads the cf, and sleeps
# 60 s when the name is not qualified: give it a qualified one in private
# UTS, mount and network namespaces, with lookups in files only.
SM_NS = ["unshare", "--mount", "--uts", "--net", "--propagation", "private",
         "--", "sh", "-c",
         'mount --bind "$1/hosts" /etc/hosts && '
         'mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf && '
         'hostname mta.example.test && shift && exec "$@"', "sendmail-bt"]


def sendmail_fetch(x):
    cache = os.environ.get("LOCKDOWN_SENDMAIL_CACHE",
                           os.path.join(x.work, "..", "sendmail-cache"))
    cache = os.path.abspath(cache)
    lib = os.path.join(x.src, "tests", "lib", "sendmail.sh")
    if os.path.exists(lib):
        # The integration suite's fetcher: apt-get download + dpkg -x, once.
        run(["bash", "-c", '. "$1" && sm_fetch "$2"', "fetch", lib, cache])
    else:
        root = os.path.join(cache, "root")
        if not os.path.exists(os.path.join(root, "usr/libexec/sendmail/"
                                                 "sendmail")):
            debs = os.path.join(cache, "debs")
            shutil.rmtree(debs, ignore_errors=True)
            os.makedirs(debs)
            os.chmod(debs, 0o777)
            cmd = ["apt-get", "download", "-q", "sendmail-bin",
                   "sendmail-base", "sendmail-cf"]
            if run(cmd, cwd=debs, check=False).returncode != 0:
                run(["apt-get", "update", "-qq"])
                run(cmd, cwd=debs)
            for d in sorted(os.listdir(debs)):
                run(["dpkg", "-x", os.path.join(debs, d), root])
    return os.path.join(cache, "root")


def sendmail_addr(a):
    """{client_addr} as sendmail writes it (IPV6_FULL: every group, no
    leading zeros, never "::"), from Python's own formatting."""
    ip = ipaddress.ip_address(a)
    if ip.version == 4:
        return str(ip)
    return "IPv6:" + ":".join("%x" % int(g, 16)
                              for g in ip.exploded.split(":"))


def section_sendmail(x):
    root = sendmail_fetch(x)
    sm = os.path.join(root, "usr/libexec/sendmail/sendmail")
    makemap = os.path.join(root, "usr/libexec/sendmail/makemap")
    editmap = os.path.join(root, "usr/libexec/sendmail/editmap")
    cfm4 = os.path.join(root, "usr/share/sendmail/cf/m4/cf.m4")
    work = os.path.join(x.work, "sendmail")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)
    with open(os.path.join(work, "service.switch"), "w") as f:
        f.write("hosts files\naliases files\n")
    with open(os.path.join(work, "hosts"), "w") as f:
        f.write("127.0.0.1 mta.example.test mta localhost\n")
    with open(os.path.join(work, "nsswitch.conf"), "w") as f:
        f.write("hosts: files\npasswd: files\ngroup: files\n")
    mc = os.path.join(work, "test.mc")
    with open(mc, "w") as f:
        f.write(SM_MC.format(work=work))
    cf = os.path.join(work, "test.cf")
    with open(cf, "w") as f:
        f.write(run(["m4", cfm4, mc]).stdout)

    for name, cfg, seed in CONFIGS:
        addrs, conn, relay = x.oracle(cfg, seed, NRANDOM_SENDMAIL)
        text = x.export(cfg, "sendmail-access")
        access = os.path.join(work, "access")
        for old in (access, access + ".db"):
            if os.path.exists(old):
                os.unlink(old)
        with open(access, "w") as f:
            f.write(text)
        p = run([makemap, "-C", cf, "hash", access], inp=text, check=False)
        # A checkout under /tmp makes makemap warn about the world-writable
        # ancestor; that says nothing about the map, so it is not a failure.
        warns = "\n".join(l for l in p.stderr.splitlines()
                          if "World writable directory" not in l)
        if p.returncode != 0 or warns.strip():
            # makemap warns about duplicate keys: there must be none.
            fail("%s: makemap exit %d: %s" % (name, p.returncode,
                                               warns.strip()[:500]))
            continue
        lines = [l.split("\t", 1) for l in text.splitlines()
                 if l and not l.startswith("#")]
        keys = {k.lower(): v for k, v in lines}
        if len(keys) != len(lines):
            fail("%s: %d lines but %d distinct keys" % (name, len(lines),
                                                        len(keys)))
        # A few lookups straight in the db: the map holds what we wrote.
        for k, v in (lines[:3] + lines[-3:]):
            got = run([editmap, "-C", cf, "-q", "hash", access, k],
                      check=False).stdout.strip()
            if got != v:
                fail("%s: editmap -q %s: got %r, want %r" % (name, k, got, v))
        # The real rulesets: check_relay (connect) and Relay_ok (RCPT).
        script = []
        for a in addrs:
            s = sendmail_addr(a)
            script.append("test_connect %s\n.D{client_addr}%s\nRelay_ok x\n"
                          % (s, s))
        t0 = time.time()
        # -bt writes one token at a time: into a file, not a pipe.
        bt_in = os.path.join(work, "bt.in")
        bt_out = os.path.join(work, "bt.out")
        with open(bt_in, "w") as f:
            f.write("".join(script))
        with open(bt_in) as fin, open(bt_out, "w") as fout:
            rc = subprocess.run(SM_NS + [work, sm, "-C", cf, "-bt"],
                                stdin=fin, stdout=fout,
                                stderr=subprocess.STDOUT).returncode
        with open(bt_out) as f:
            out = f.read()
        got_conn = re.findall(r"^test_connect\s+returns: (.*)$", out, re.M)
        got_relay = re.findall(r"^Relay_ok\s+returns: (.*)$", out, re.M)
        if len(got_conn) != len(addrs) or len(got_relay) != len(addrs):
            fail("%s: sendmail -bt answered %d/%d of %d (exit %d): %s" % (
                name, len(got_conn), len(got_relay), len(addrs), rc,
                out[-1500:]))
            continue
        gc = {}
        gr = {}
        for a, c, r in zip(addrs, got_conn, got_relay):
            # check_relay returns the access value for OK/RELAY, "$# error"
            # for a refusal.
            gc[a] = c.strip() in ("OK", "RELAY")
            if not gc[a] and "error" not in c:
                fail("%s: %s: check_relay returned %r" % (name, a, c))
            gr[a] = r.strip() == "RELAY"
        # Relay_ok always lets these relay ("originated locally"): a known
        # difference, documented in the export's header.
        for a in ("127.0.0.1", "::1"):
            if a in gr and not relay[a][0]:
                gr[a] = False
        n1 = compare("%s sendmail check_relay" % name, addrs, gc, conn)
        n2 = compare("%s sendmail Relay_ok" % name, addrs, gr, relay)
        print("%s sendmail-access: %d keys; %d/%d connect and %d/%d relay "
              "verdicts agree with check (%.1f s)" % (
                  name, len(lines), n1, len(addrs), n2, len(addrs),
                  time.time() - t0))


# --------------------------------------------------------------- firewalls

def in_netns_or_skip():
    """Go on only in a private network namespace (never the host's): the
    one in_netns.sh made, which is not the one it was started in."""
    outer = os.environ.get("LOCKDOWN_OUTER_NETNS")
    own = os.readlink("/proc/self/ns/net")
    if not outer or own == outer:
        print("refusing to touch this namespace's firewall: run this "
              "section through tests/export/in_netns.sh", file=sys.stderr)
        sys.exit(1)
    if [n for _, n in socket.if_nameindex() if n != "lo"]:
        print("refusing: this namespace has interfaces besides lo",
              file=sys.stderr)
        sys.exit(1)


def probe_targets(addrs, conn, per_family=5):
    """A few ordinary unicast clients of each verdict and family."""
    picked = []
    for fam in (4, 6):
        for want in (True, False):
            n = 0
            for a in addrs:
                ip = ipaddress.ip_address(a)
                if ip.version != fam or conn[a][0] != want:
                    continue
                if (ip.is_multicast or ip.is_unspecified or ip.is_loopback
                        or ip.is_link_local or ip.is_reserved
                        or (fam == 4 and (ip.packed[3] in (0, 255)))):
                    continue
                picked.append(a)
                n += 1
                if n == per_family:
                    break
    return picked


def tcp_probe(sources, ports):
    """In this (private) namespace: put each source address on lo, listen
    on 127.0.0.1 and ::1, connect from each source to each port; a SYN the
    firewall drops never completes. Returns {(src, port): connected}."""
    run(["ip", "link", "set", "lo", "up"])
    usable = []
    for s in sources:
        ip = ipaddress.ip_address(s)
        if ip.version == 4:
            cmd = ["ip", "addr", "add", s + "/32", "dev", "lo"]
        else:
            cmd = ["ip", "-6", "addr", "add", s + "/128", "dev", "lo",
                   "nodad"]
        if run(cmd, check=False).returncode == 0:
            usable.append(s)
    listeners = []
    for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6,
                                                       "::1")):
        for port in ports:
            ls = socket.socket(fam, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((host, port))
            ls.listen(128)
            listeners.append(ls)
    # A first SYN from a new source address is now and then lost on lo
    # (retransmitted 1 s later): one unjudged connection from each source
    # to the unlocked port first, so the probes below meet a warm path.
    for s in usable:
        v6 = ipaddress.ip_address(s).version == 6
        for attempt in range(3):
            c = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                              socket.SOCK_STREAM)
            c.settimeout(3.5)
            c.bind((s, 0))
            try:
                c.connect(("::1" if v6 else "127.0.0.1", ports[-1]))
                break
            except OSError:
                pass
            finally:
                c.close()
    sel = selectors.DefaultSelector()
    pending = {}
    result = {}
    for s in usable:
        v6 = ipaddress.ip_address(s).version == 6
        for port in ports:
            c = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                              socket.SOCK_STREAM)
            c.setblocking(False)
            c.bind((s, 0))
            try:
                c.connect(("::1" if v6 else "127.0.0.1", port))
            except BlockingIOError:
                pass
            sel.register(c, selectors.EVENT_WRITE, (s, port))
            pending[(s, port)] = c
            result[(s, port)] = False
    deadline = time.time() + 2.2
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=max(0, deadline - time.time())):
            s, port = key.data
            c = key.fileobj
            sel.unregister(c)
            del pending[(s, port)]
            result[(s, port)] = c.getsockopt(socket.SOL_SOCKET,
                                             socket.SO_ERROR) == 0
            c.close()
    for c in pending.values():
        c.close()
    for ls in listeners:
        ls.close()
    return result


def check_probes(x, what, cfg, addrs, conn):
    srcs = probe_targets(addrs, conn)
    res = tcp_probe(srcs, [LOCKED, UNLOCKED])  # UNLOCKED last: warm-up
    unlocked = x.check(cfg, srcs, UNLOCKED)
    n = 0
    for (s, port), ok in sorted(res.items()):
        want = conn[s] if port == LOCKED else unlocked[s]
        if ok != want[0]:
            fail("%s probe %s -> port %d: got %s, want %s (check: %s)" % (
                what, s, port, "connected" if ok else "dropped",
                "connected" if want[0] else "dropped", want[1]))
        n += 1
    if n < 8:
        fail("%s: only %d probes could run" % (what, n))
    print("%s: %d TCP probes from %d sources agree with check" %
          (what, n, len(srcs)))


def ip_in(intervals, a):
    ip = ipaddress.ip_address(a)
    for lo, hi in intervals.get(ip.version, []):
        if lo <= ip <= hi:
            return True
    return False


# nftables: the loaded ruleset read back as JSON and run on a packet.
def nft_elem_interval(e):
    if isinstance(e, str):
        ip = ipaddress.ip_address(e)
        return ip, ip
    if "prefix" in e:
        n = ipaddress.ip_network("%s/%d" % (e["prefix"]["addr"],
                                            e["prefix"]["len"]))
        return n[0], n[-1]
    if "range" in e:
        return (ipaddress.ip_address(e["range"][0]),
                ipaddress.ip_address(e["range"][1]))
    if "elem" in e:
        return nft_elem_interval(e["elem"]["val"])
    raise ValueError("unknown set element %r" % (e,))


class NftRuleset:
    def __init__(self, doc):
        self.sets = {}
        self.chains = {}
        self.base = []
        for obj in doc["nftables"]:
            if "set" in obj:
                s = obj["set"]
                iv = [nft_elem_interval(e) for e in s.get("elem", [])]
                self.sets[s["name"]] = iv
            elif "chain" in obj:
                ch = obj["chain"]
                self.chains.setdefault(ch["name"], [])
                if "hook" in ch:
                    self.base.append(ch)
            elif "rule" in obj:
                r = obj["rule"]
                self.chains.setdefault(r["chain"], []).append(r["expr"])

    def match(self, m, pkt):
        left = m["left"]["payload"]
        key = (left["protocol"], left["field"])
        if key == ("tcp", "dport"):
            val = pkt["dport"]
        elif key == ("ip", "saddr"):
            if pkt["family"] != 4:
                return False
            val = pkt["saddr"]
        elif key == ("ip6", "saddr"):
            if pkt["family"] != 6:
                return False
            val = pkt["saddr"]
        else:
            raise ValueError("unknown match %r" % (m,))
        right = m["right"]
        if isinstance(right, str) and right.startswith("@"):
            found = any(lo <= ipaddress.ip_address(val) <= hi
                        for lo, hi in self.sets[right[1:]])
        elif isinstance(right, dict) and "set" in right:
            found = val in right["set"]
        elif isinstance(right, int):
            found = val == right
        else:
            raise ValueError("unknown right side %r" % (right,))
        if m["op"] in ("==", "in"):
            return found
        if m["op"] == "!=":
            return not found
        raise ValueError("unknown op %r" % (m,))

    def run_chain(self, name, pkt, depth=0):
        """"accept", "drop", or None (fell off the end / return)."""
        if depth > 8:
            raise ValueError("jump loop")
        for expr in self.chains[name]:
            verdict = None
            ok = True
            for e in expr:
                if "match" in e:
                    if not self.match(e["match"], pkt):
                        ok = False
                        break
                elif "counter" in e:
                    continue
                elif "accept" in e:
                    verdict = "accept"
                elif "drop" in e:
                    verdict = "drop"
                elif "return" in e:
                    verdict = "return"
                elif "jump" in e:
                    v = self.run_chain(e["jump"]["target"], pkt, depth + 1)
                    if v is not None:
                        return v
                    ok = False  # came back: go on with the next rule
                    break
                else:
                    raise ValueError("unknown expression %r" % (e,))
            if ok and verdict == "return":
                return None
            if ok and verdict is not None:
                return verdict
        return None

    def verdict(self, saddr, dport):
        ip = ipaddress.ip_address(saddr)
        pkt = {"family": ip.version, "saddr": saddr, "dport": dport}
        for ch in self.base:
            if ch["hook"] != "input":
                continue
            v = self.run_chain(ch["name"], pkt) or ch.get("policy", "accept")
            if v == "drop":
                return False
        return True


def section_nftables(x):
    in_netns_or_skip()
    for name, cfg, seed in CONFIGS:
        addrs, conn, _ = x.oracle(cfg, seed)
        path = x.export_file("%s.nft" % name, cfg, "nftables")
        p = run(["nft", "-c", "-f", path], check=False)
        if p.returncode != 0:
            fail("%s: nft -c -f: %s" % (name, p.stderr.strip()[:800]))
            continue
        # The first load (no table yet) and a reload must both work.
        for attempt in ("first load", "reload"):
            p = run(["nft", "-f", path], check=False)
            if p.returncode != 0:
                fail("%s: nft -f (%s): %s" % (name, attempt,
                                              p.stderr.strip()[:800]))
        doc = json.loads(run(["nft", "-j", "list", "table", "inet",
                              "lockdown"]).stdout)
        rs = NftRuleset(doc)
        got = {a: rs.verdict(a, LOCKED) for a in addrs}
        n = compare("%s nftables (loaded ruleset)" % name, addrs, got, conn)
        unlocked_bad = [a for a in addrs if not rs.verdict(a, UNLOCKED)]
        if unlocked_bad:
            fail("%s nftables: port %d is not locked but %s is dropped" %
                 (name, UNLOCKED, unlocked_bad[:3]))
        print("%s nftables: %d/%d addresses agree with check" %
              (name, n, len(addrs)))
        check_probes(x, "%s nftables" % name, cfg, addrs, conn)
        run(["nft", "delete", "table", "inet", "lockdown"])
        for a in probe_targets(addrs, conn):
            run(["ip", "addr", "del",
                 a + ("/32" if ":" not in a else "/128"), "dev", "lo"],
                check=False)


# iptables: iptables-save read back and run on a packet.
def ipt_parse(text):
    chains = {}
    policy = {}
    table = None
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:]
        if table != "filter":
            continue
        if line.startswith(":"):
            name, pol = line[1:].split()[:2]
            chains.setdefault(name, [])
            policy[name] = pol
        elif line.startswith("-A "):
            toks = line.split()
            chains.setdefault(toks[1], []).append(toks[2:])
    return chains, policy


def ipt_rule_matches(toks, pkt):
    i = 0
    target = None
    while i < len(toks):
        t = toks[i]
        if t == "-p":
            if toks[i + 1] != "tcp":
                return False, None
            i += 2
        elif t == "-m" and toks[i + 1] in ("tcp", "multiport"):
            i += 2
        elif t == "--dports":
            if str(pkt["dport"]) not in toks[i + 1].split(","):
                return False, None
            i += 2
        elif t == "--dport":
            if str(pkt["dport"]) != toks[i + 1]:
                return False, None
            i += 2
        elif t == "-s":
            if ipaddress.ip_address(pkt["saddr"]) not in \
                    ipaddress.ip_network(toks[i + 1]):
                return False, None
            i += 2
        elif t == "-j":
            target = toks[i + 1]
            i += 2
        else:
            raise ValueError("unknown iptables token %r in %r" % (t, toks))
    return True, target


def ipt_run(chains, name, pkt, depth=0):
    if depth > 8:
        raise ValueError("jump loop")
    for toks in chains.get(name, []):
        ok, target = ipt_rule_matches(toks, pkt)
        if not ok or target is None:
            continue
        if target in ("ACCEPT", "DROP"):
            return target
        if target == "RETURN":
            return None
        v = ipt_run(chains, target, pkt, depth + 1)
        if v is not None:
            return v
    return None


def section_iptables(x):
    in_netns_or_skip()
    hook = ["-p", "tcp", "-j", "lockdown-input"]
    for name, cfg, seed in CONFIGS:
        addrs, conn, _ = x.oracle(cfg, seed)
        saved = {}
        for fam, restore, save, ipt in (
                ("4", "iptables-restore", "iptables-save", "iptables"),
                ("6", "ip6tables-restore", "ip6tables-save", "ip6tables")):
            text = x.export(cfg, "iptables", "--family", fam)
            p = run([restore, "--test", "--noflush"], inp=text, check=False)
            if p.returncode != 0:
                fail("%s: %s --test: %s" % (name, restore,
                                            p.stderr.strip()[:800]))
                continue
            counts = []
            for attempt in range(2):
                p = run([restore, "--noflush"], inp=text, check=False)
                if p.returncode != 0:
                    fail("%s: %s (load %d): %s" % (name, restore, attempt + 1,
                                                   p.stderr.strip()[:800]))
                # The hook idiom from the header, twice: one hook only.
                if run([ipt, "-C", "INPUT"] + hook,
                       check=False).returncode != 0:
                    run([ipt, "-I", "INPUT"] + hook)
                chains, _ = ipt_parse(run([save]).stdout)
                counts.append((len(chains.get("lockdown-allow", [])),
                               len(chains.get("INPUT", []))))
            if counts[0] != counts[1] or counts[1][1] != 1:
                fail("%s %s: reload is not idempotent: (allow rules, INPUT "
                     "rules) %s" % (name, restore, counts))
            saved[fam] = ipt_parse(run([save]).stdout)
        if len(saved) != 2:
            continue
        got = {}
        for a in addrs:
            fam = "6" if ":" in a else "4"
            chains, policy = saved[fam]
            pkt = {"saddr": a, "dport": LOCKED}
            v = ipt_run(chains, "INPUT", pkt) or policy.get("INPUT", "ACCEPT")
            got[a] = v != "DROP"
            pkt["dport"] = UNLOCKED
            if ipt_run(chains, "INPUT", pkt) == "DROP":
                fail("%s iptables: %s dropped on unlocked port %d" %
                     (name, a, UNLOCKED))
        n = compare("%s iptables (loaded rules)" % name, addrs, got, conn)
        print("%s iptables: %d/%d addresses agree with check" %
              (name, n, len(addrs)))
        check_probes(x, "%s iptables" % name, cfg, addrs, conn)
        for ipt in ("iptables", "ip6tables"):
            run([ipt, "-D", "INPUT"] + hook, check=False)
            for ch in ("lockdown-input", "lockdown-allow"):
                run([ipt, "-F", ch], check=False)
                run([ipt, "-X", ch], check=False)
        for a in probe_targets(addrs, conn):
            run(["ip", "addr", "del",
                 a + ("/32" if ":" not in a else "/128"), "dev", "lo"],
                check=False)


# --------------------------------------------------------------- exchange

GOLDEN = [
    ("exchange-shipped.ps1", "etc/lockdown.yaml", []),
    ("exchange-all.ps1", "tests/export/configs/all.yaml", []),
    ("exchange-mixed.ps1", "tests/export/configs/mixed.yaml", []),
    ("exchange-wide.ps1", "tests/export/configs/wide.yaml", []),
    ("exchange-all-server.ps1", "tests/export/configs/all.yaml",
     ["--server", "EX01"]),
    ("exchange-all-identity.ps1", "tests/export/configs/all.yaml",
     ["--identity", "EX01\\Inbound from O'Brien's filter"]),
]


def exchange_ranges(text):
    """RemoteIPRanges as Exchange reads them: address, CIDR or a-b."""
    body = text.split("$RemoteIPRanges = @(", 1)[1].split("\n)", 1)[0]
    iv = {4: [], 6: []}
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"'([^']+)'", line)
        if not m:
            raise ValueError("odd RemoteIPRanges line %r" % line)
        r = m.group(1)
        if "-" in r:
            lo, hi = (ipaddress.ip_address(s) for s in r.split("-"))
        elif "/" in r:
            n = ipaddress.ip_network(r)  # strict: host bits refused
            lo, hi = n[0], n[-1]
        else:
            lo = hi = ipaddress.ip_address(r)
        if lo.version != hi.version or lo > hi:
            raise ValueError("bad range %r" % r)
        iv[lo.version].append((lo, hi))
    return iv


def section_exchange(x):
    gdir = os.path.join(x.src, "tests", "export", "golden")
    update = os.environ.get("LOCKDOWN_UPDATE_GOLDEN") == "1"
    for gname, cfg, opts in GOLDEN:
        got = x.export(cfg, "exchange", *opts)
        path = os.path.join(gdir, gname)
        if update:
            with open(path, "w") as f:
                f.write(got)
            print("updated %s" % path)
            continue
        try:
            with open(path) as f:
                want = f.read()
        except OSError as e:
            fail("%s: %s (LOCKDOWN_UPDATE_GOLDEN=1 writes it)" % (gname, e))
            continue
        if got != want:
            p = subprocess.run(["diff", "-u", path, "-"], input=got,
                               capture_output=True, text=True)
            fail("%s differs from the golden file:\n%s" % (gname, p.stdout))
        else:
            print("%s: matches" % gname)
    # The golden content also has to mean what check means.
    for name, cfg, seed in CONFIGS:
        addrs, conn, _ = x.oracle(cfg, seed)
        iv = exchange_ranges(x.export(cfg, "exchange"))
        got = {a: ip_in(iv, a) for a in addrs}
        n = compare("%s exchange RemoteIPRanges" % name, addrs, got, conn)
        print("%s exchange: %d/%d addresses agree with check" %
              (name, n, len(addrs)))


# -------------------------------------------------------------------- cli

def section_cli(x):
    shipped = "etc/lockdown.yaml"
    allports = "tests/export/configs/allports.yaml"
    rows = [
        # args, exit code, stdout must contain ("" = must be empty)
        ([shipped, "postfix-client"], 0, "0.0.0.0/0\t554 5.7.1"),
        ([shipped, "postfix-relay"], 0, "199.89.0.0/21\tOK"),
        ([shipped, "sendmail-access"], 0, "Connect:199.89.7\tRELAY"),
        ([shipped, "nftables"], 0, "tcp dport { 25 } jump check"),
        ([shipped, "iptables"], 0, "-s 199.89.0.0/21 -j RETURN"),
        ([shipped, "iptables", "--family", "6"], 0, "-s ::1/128 -j RETURN"),
        ([shipped, "iptables", "--family=4"], 0, "(IPv4)"),
        ([shipped, "exchange"], 0, "'199.89.0.0/21'"),
        ([shipped, "exchange", "--server", "EX01"], 0,
         "'EX01\\Default Frontend EX01'"),
        ([allports, "nftables"], 78, ""),
        ([allports, "iptables"], 78, ""),
        ([allports, "nftables", "--ports", "25,465"], 0,
         "tcp dport { 25, 465 }"),
        ([allports, "iptables", "--ports=2525,25"], 0, "--dports 25,2525"),
        ([allports, "postfix-client"], 0, "smtpd_client_restrictions = "),
        ([shipped], 64, ""),
        ([shipped, "postfix"], 64, ""),
        ([shipped, "nftables", "extra"], 64, ""),
        ([shipped, "postfix-client", "--ports", "25"], 64, ""),
        ([shipped, "nftables", "--ports", "0"], 64, ""),
        ([shipped, "nftables", "--ports", "25,,26"], 64, ""),
        ([shipped, "nftables", "--ports", "65536"], 64, ""),
        ([shipped, "nftables", "--ports", "025"], 64, ""),
        ([shipped, "nftables", "--ports"], 64, ""),
        ([shipped, "iptables", "--family", "5"], 64, ""),
        ([shipped, "nftables", "--family", "6"], 64, ""),
        ([shipped, "exchange", "--server", "A", "--identity", "B"], 64, ""),
        ([shipped, "exchange", "--identity", "caf\u00e9"], 64, ""),
        ([shipped, "nftables", "-x"], 64, ""),
        # scope.domains: only postfix can say it; the rest refuse, or lock
        # every domain with --all-domains.
        ([SCOPED, "postfix-client"], 0, "\tDUNNO\n"),
        ([SCOPED, "postfix-client", "--all-domains"], 0, "\tOK\n"),
        ([SCOPED, "postfix-domains"], 0, "\tlockdown_locked\n"),
        ([SCOPED, "postfix-relay"], 0, "199.89.0.0/21\tOK"),
        ([SCOPED, "postfix-domains", "--all-domains"], 64, ""),
        ([shipped, "postfix-domains"], 78, ""),
        ([SCOPED, "sendmail-access"], 78, ""),
        ([SCOPED, "nftables"], 78, ""),
        ([SCOPED, "iptables"], 78, ""),
        ([SCOPED, "exchange"], 78, ""),
        ([SCOPED, "sendmail-access", "--all-domains"], 0,
         "Connect:199.89.7\tRELAY"),
        ([SCOPED, "nftables", "--all-domains"], 0, "counter drop"),
        ([SCOPED, "--all-domains", "iptables", "--family", "6"], 0,
         "-s 2001:db8:ab00::/40 -j RETURN"),
        ([SCOPED, "exchange", "--all-domains"], 0, "'199.89.0.0/21'"),
        ([shipped, "nftables", "--all-domains"], 0, "counter drop"),
        # A value that looks like the flag stays a value.
        ([shipped, "exchange", "--identity", "--all-domains"], 0,
         "-Identity '--all-domains'"),
        (["tests/export/configs/no-such.yaml", "nftables"], 78, ""),
    ]
    for args, code, want in rows:
        cfg, rest = args[0], args[1:]
        p = run([x.ctl, "-c", cfg, "export"] + rest, check=False, cwd=x.src)
        what = "lockdownctl -c %s export %s" % (cfg, " ".join(rest))
        if p.returncode != code:
            fail("%s: exit %d, want %d (%s)" % (what, p.returncode, code,
                                                p.stderr.strip()[:300]))
        if want and want not in p.stdout:
            fail("%s: %r not in the output" % (what, want))
        if not want and p.stdout:
            fail("%s: wrote %d bytes on stdout, want none" % (what,
                                                              len(p.stdout)))
        if code != 0 and not p.stderr.strip():
            fail("%s: failed without a message" % what)
        if code == 78 and cfg == SCOPED and not (
                "scope.domains" in p.stderr and
                "--all-domains" in p.stderr):
            fail("%s: the refusal does not name scope.domains and "
                 "--all-domains: %r" % (what, p.stderr.strip()))
    # Reproducible: no time stamp, the same bytes twice.
    for fmt in ("postfix-client", "sendmail-access", "nftables", "exchange"):
        a = x.export(shipped, fmt)
        time.sleep(1.1 if fmt == "postfix-client" else 0)
        b = x.export(shipped, fmt)
        if a != b:
            fail("export %s is not reproducible" % fmt)
        if "# Generated by: lockdownctl -c %s export %s" % (shipped, fmt) \
                not in a:
            fail("export %s: the header does not name the config" % fmt)
    # Monitor mode enforces in the artefact: say so on stderr.
    mon = os.path.join(x.work, "monitor.yaml")
    with open(mon, "w") as f:
        f.write("mode: monitor\nproviders_dir: %s/etc/providers\n"
                "providers: {mailroute: enabled, postini: disabled, "
                "arrowmail: disabled}\n" % x.src)
    p = run([x.ctl, "-c", mon, "export", "postfix-client"], check=False)
    if p.returncode != 0 or "monitor mode" not in p.stderr or \
            "# WARNING: the configuration is in monitor mode" not in p.stdout:
        fail("monitor config: exit %d, stderr %r: want 0, a warning on "
             "stderr and in the header" % (p.returncode, p.stderr))
    print("cli: %d option rows checked" % len(rows))


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 64
    section, ctl, addrs_bin, src, work = sys.argv[1:]
    fresh = work == "-"
    if fresh:
        parent = os.environ.get("LOCKDOWN_WORK") or \
            os.environ.get("TMPDIR") or "/tmp"
        os.makedirs(parent, exist_ok=True)
        work = tempfile.mkdtemp(prefix="ldexport-%s." % section, dir=parent)
        os.chmod(work, 0o755)
        print("# %s: work directory %s" % (section, work))
    else:
        work = os.path.join(work, section)
    x = Ctx(os.path.abspath(ctl), os.path.abspath(addrs_bin),
            os.path.abspath(src), os.path.abspath(work))
    sections = {
        "postfix": section_postfix,
        "postfix-smtpd": section_postfix_smtpd,
        "sendmail": section_sendmail,
        "nftables": section_nftables,
        "iptables": section_iptables,
        "exchange": section_exchange,
        "cli": section_cli,
    }
    if section not in sections:
        print("unknown section %r" % section, file=sys.stderr)
        return 64
    if section in ("nftables", "iptables", "sendmail", "postfix-smtpd") and \
            os.geteuid() != 0:
        print("skip: %s needs root" % section)
        return SKIP
    t0 = time.time()
    sections[section](x)
    print("%s: %d failure(s), %.1f s" % (section, len(failures),
                                         time.time() - t0))
    if fresh:
        if failures or os.environ.get("LOCKDOWN_KEEP") == "1":
            print("# work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
