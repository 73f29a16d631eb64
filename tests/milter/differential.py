#!/usr/bin/env python3
"""The daemon under miltertest against lockdownctl check: equal verdicts.

usage: differential.py DAEMON LOCKDOWNCTL SOURCE_DIR [CONFIG...]

For each config (tests/milter/configs/NAME, every one with a full policy by
default) it starts the real daemon on a unix socket, drives one miltertest
session per case (client address, local port, SMTP AUTH, recipient) through
connect, MAIL and RCPT as far as the milter lets it go, then stops the
daemon. Each case is also asked of `lockdownctl -c CONFIG check`. The
daemon's verdict is its decision log for that session, read the way
policy_evaluate() reads the stages: the first verdict that is not a plain
continue, else the last one. For every case:

  - the verdict words are equal (accept, continue, reject, tempfail,
    would-reject, would-tempfail);
  - reason and entry are equal, whenever both looked at the same stage;
  - the milter's answer on the wire matches the word (accept: SMFIR_ACCEPT,
    reject and tempfail: a reply code, continue and would-*: continue);
  - check's exit status is 1 exactly for reject and tempfail.

Any difference is printed as got/want and fails the test.
"""
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CONFIGS = ["base.yaml", "connect-only.yaml", "monitor.yaml",
           "refuse-4xx.yaml", "refuse-mail.yaml", "reload-b.yaml"]

# Addresses of the shipped profiles and the test configs' trusted entries,
# outsiders from the documentation ranges, IPv6, IPv4-mapped, and a client
# with no address. None of them is ever contacted.
ADDRESSES = ["199.89.0.10", "199.89.7.255", "64.18.0.5", "83.245.15.239",
             "192.0.2.7", "192.0.2.200", "203.0.113.9", "2001:db8:1::5",
             "2001:db8:2::5", "::ffff:199.89.0.10", "::ffff:203.0.113.9",
             "unknown"]
PORTS = [25, 587, None]          # None: no {daemon_port}, judged as locked
AUTHS = [None, "alice"]
RCPTS = [None, "<user@example.com>", "<victim@elsewhere.example.org>",
         "<postmaster>"]

FINAL_REPLY = {"accept": "accept", "reject": "replycode",
               "tempfail": "replycode", "continue": "continue",
               "would-reject": "continue", "would-tempfail": "continue"}

LOG_RE = re.compile(r"^\S+ lockdown-milter\[\d+\]: case-(\d+)\.test \[[^]]*\]: "
                    r"stage=(\w+) port=\S+ verdict=(\S+) reason=(\S+) "
                    r"entry=(\S+)")
REPLY_RE = re.compile(r"^case (\d+) (connect|mail|rcpt) (\w+)$")

# Generous: an ASan or valgrind daemon on a loaded machine is slow.
PATIENCE = float(os.environ.get("LOCKDOWN_TEST_PATIENCE", "120"))


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cases():
    return list(itertools.product(ADDRESSES, PORTS, AUTHS, RCPTS))


def lua_script(cs):
    out = ["local names = {[SMFIR_CONTINUE] = 'continue',",
           " [SMFIR_ACCEPT] = 'accept', [SMFIR_REJECT] = 'reject',",
           " [SMFIR_TEMPFAIL] = 'tempfail', [SMFIR_REPLYCODE] = 'replycode'}",
           "local function say(i, stage, conn)",
           "  local r = mt.getreply(conn)",
           "  print(string.format('case %d %s %s', i, stage,",
           "                      names[r] or tostring(r)))",
           "  return r",
           "end"]
    for i, (addr, port, auth, rcpt) in enumerate(cs):
        ip = "unspec" if addr == "unknown" else addr
        out.append("do")
        out.append("  local conn = mt.connect(sock, 50, 0.1)")
        out.append("  if conn == nil then error('cannot connect') end")
        if port is not None:
            out.append("  mt.macro(conn, SMFIC_CONNECT, '{daemon_port}', "
                       "%s)" % lua_str(str(port)))
        out.append("  local e = mt.conninfo(conn, %s, %s)"
                   % (lua_str("case-%d.test" % i), lua_str(ip)))
        out.append("  if e ~= nil then error('conninfo: ' .. e) end")
        out.append("  local r = say(%d, 'connect', conn)" % i)
        out.append("  if r == SMFIR_CONTINUE then")
        if auth is not None:
            out.append("    mt.macro(conn, SMFIC_MAIL, '{auth_authen}', %s, "
                       "'{auth_type}', 'PLAIN')" % lua_str(auth))
        out.append("    e = mt.mailfrom(conn, '<sender@example.net>')")
        out.append("    if e ~= nil then error('mailfrom: ' .. e) end")
        out.append("    r = say(%d, 'mail', conn)" % i)
        out.append("  end")
        if rcpt is not None:
            out.append("  if r == SMFIR_CONTINUE then")
            out.append("    mt.macro(conn, SMFIC_RCPT, '{rcpt_mailer}', "
                       "'esmtp', '{rcpt_addr}', %s)" % lua_str(rcpt))
            out.append("    e = mt.rcptto(conn, %s)" % lua_str(rcpt))
            out.append("    if e ~= nil then error('rcptto: ' .. e) end")
            out.append("    r = say(%d, 'rcpt', conn)" % i)
            out.append("  end")
        out.append("  mt.disconnect(conn)")
        out.append("end")
    return "\n".join(out) + "\n"


def wait_for(pred, what):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("gave up after %g s waiting for %s" % (PATIENCE, what))


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError("daemon still running %g s after SIGTERM"
                           % PATIENCE)


def daemon_verdicts(log_text):
    """case -> (stage, word, reason, entry), read like policy_evaluate()."""
    lines = {}
    for line in log_text.splitlines():
        m = LOG_RE.match(line)
        if m:
            lines.setdefault(int(m.group(1)), []).append(m.groups()[1:])
    got = {}
    for i, ls in lines.items():
        final = [x for x in ls if x[1] != "continue"]
        got[i] = final[0] if final else ls[-1]
    return got


def check_verdict(ctl, cfg, case):
    addr, port, auth, rcpt = case
    argv = [ctl, "-c", cfg, "check"]
    if port is not None:
        argv += ["--port", str(port)]
    if auth is not None:
        argv += ["--auth", auth]
    if rcpt is not None:
        argv += ["--rcpt", rcpt]
    argv += ["--", addr]
    p = subprocess.run(argv, capture_output=True, text=True)
    fields = p.stdout.split()
    if p.returncode not in (0, 1) or len(fields) < 3:
        raise RuntimeError("%s: exit %d, stdout %r, stderr %r"
                           % (" ".join(argv), p.returncode, p.stdout,
                              p.stderr))
    return fields[0], fields[1], fields[2], p.returncode


def run_config(daemon, ctl, top, name):
    here = os.path.join(top, "tests", "milter")
    tmp = tempfile.mkdtemp(prefix="ldm-diff-%s." % name.split(".")[0])
    failures = []
    keep = bool(os.environ.get("LOCKDOWN_KEEP"))
    try:
        shutil.copytree(os.path.join(top, "etc", "providers"),
                        os.path.join(tmp, "providers"))
        cfg = os.path.join(tmp, "lockdown.yaml")
        shutil.copy(os.path.join(here, "configs", name), cfg)
        sock = os.path.join(tmp, "milter.sock")
        pidfile = os.path.join(tmp, "milter.pid")
        log_path = os.path.join(tmp, "daemon.log")
        cs = cases()
        lua = os.path.join(tmp, "cases.lua")
        with open(lua, "w") as f:
            f.write(lua_script(cs))
        wrapper = os.environ.get("LOCKDOWN_MILTER_WRAPPER", "").split()
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                wrapper + [daemon, "-f", "-c", cfg, "-p", "unix:" + sock,
                           "-P", pidfile],
                stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_for(lambda: proc.poll() is not None or
                     (os.path.exists(pidfile) and os.path.getsize(pidfile)),
                     "the daemon's pidfile")
            if proc.poll() is not None:
                raise RuntimeError("daemon exited %d at start" % proc.returncode)
            mt = subprocess.run(["miltertest", "-s", lua, "-D",
                                 "sock=unix:" + sock],
                                capture_output=True, text=True)
        finally:
            rc = stop(proc)
        if mt.returncode != 0:
            failures.append("miltertest exited %d: %s" % (mt.returncode,
                                                          mt.stderr.strip()))
        if rc != 0:
            failures.append("daemon exited %d after SIGTERM, want 0" % rc)
        with open(log_path) as f:
            log_text = f.read()
        for bad in ("ERROR: AddressSanitizer", "runtime error:",
                    "ERROR: LeakSanitizer"):
            if bad in log_text:
                failures.append("daemon log has: " + bad)
        replies = {}
        for line in mt.stdout.splitlines():
            m = REPLY_RE.match(line)
            if m:
                replies[(int(m.group(1)), m.group(2))] = m.group(3)
        got = daemon_verdicts(log_text)
        for i, case in enumerate(cs):
            what = "%s: %s port %s auth %s rcpt %s" % (
                name, case[0], case[1] or "-", case[2] or "-", case[3] or "-")
            word, reason, entry, crc = check_verdict(ctl, cfg, case)
            if i not in got:
                failures.append("%s: no decision logged; check says %s %s %s"
                                % (what, word, reason, entry))
                continue
            stage, dword, dreason, dentry = got[i]
            deepest = "rcpt" if case[3] is not None else "mail"
            same_stage = word != "continue" or stage == deepest
            if dword != word or (same_stage and (dreason, dentry) !=
                                 (reason, entry)):
                failures.append("%s:\n  daemon %s %s %s (at %s)\n  check  "
                                "%s %s %s" % (what, dword, dreason, dentry,
                                              stage, word, reason, entry))
            wire = replies.get((i, stage))
            if wire != FINAL_REPLY[dword]:
                failures.append("%s: daemon logged %s at %s but answered %s"
                                % (what, dword, stage, wire))
            want_rc = 1 if word in ("reject", "tempfail") else 0
            if crc != want_rc:
                failures.append("%s: check exited %d for %s, want %d"
                                % (what, crc, word, want_rc))
        print("%s: %d cases, %d differences" % (name, len(cs), len(failures)))
        return failures
    finally:
        if failures or keep:
            print("files kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    daemon, ctl, top = sys.argv[1:4]
    configs = sys.argv[4:] or CONFIGS
    failures = []
    for name in configs:
        failures += run_config(daemon, ctl, top, name)
    for f in failures:
        print("FAIL " + f)
    print("%d configs, %d cases each, %d differences"
          % (len(configs), len(cases()), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
