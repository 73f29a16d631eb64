#!/usr/bin/python3
"""smtpload.py - SMTP sessions without pause against an MTA on loopback, for
the failure test (tests/hardening/failure.sh).

Each of --concurrency threads runs sessions one after the other until
--duration seconds have passed or STOP_FILE exists:
  banner, EHLO, [XCLIENT ADDR=<addr>, EHLO,] MAIL, RCPT, and DATA + a short
  message only when RCPT got 2xx (so that an acceptance is seen through),
  QUIT. Like a spammer, it carries on after refusals.
The client address: --mode xclient presents it with XCLIENT (Postfix);
--mode bind binds the client socket to it (Sendmail, which has no XCLIENT;
the addresses must then be loopback aliases in 127.0.0.0/8).
Addresses: --outside CIDR (unlisted, must never be accepted) with
probability 1 - --provider-ratio, else --provider CIDR.

One line per session on --log (times are Unix epoch seconds):
  start decided end class addr banner xclient mail rcpt data message outcome
outcome:
  accepted   RCPT 2xx (and the message, if sent, 2xx or not)
  reject5    a 5xx at the banner, XCLIENT, MAIL or RCPT, nothing accepted
  tempfail4  a 4xx at the banner, XCLIENT, MAIL or RCPT, nothing accepted
  noanswer   the session ended (timeout, reset) before any of the above
"decided" is when the reply that settled the outcome arrived.

Loopback only: the server (and in bind mode every client address) must be
in 127.0.0.0/8.
"""
import argparse
import ipaddress
import os
import random
import socket
import sys
import threading
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", default="127.0.0.1:25")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--stop-file", default=None)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--outside", action="append", default=[])
    p.add_argument("--provider", action="append", default=[])
    p.add_argument("--provider-ratio", type=float, default=0.2)
    p.add_argument("--rcpt", default="postmaster@example.test")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mode", choices=("xclient", "bind"), default="xclient")
    p.add_argument("--log", required=True)
    a = p.parse_args()
    loop = ipaddress.ip_network("127.0.0.0/8")
    host, _, port = a.server.rpartition(":")
    if not ipaddress.ip_address(host) in loop:
        p.error("--server must be on 127.0.0.0/8 (loopback only)")
    a.host, a.port = host, int(port)
    a.outside = [ipaddress.ip_network(c) for c in (a.outside or ["203.0.113.0/24"])]
    a.provider = [ipaddress.ip_network(c) for c in (a.provider or ["199.89.0.0/21"])]
    if a.mode == "bind" and not all(n.subnet_of(loop) for n in a.outside + a.provider):
        p.error("--mode bind: client addresses must be in 127.0.0.0/8")
    if not 1 <= a.concurrency <= 1000 or not 0 < a.duration <= 86400:
        p.error("concurrency 1..1000, duration up to a day")
    return a


def draw(rng, nets):
    net = rng.choice(nets)
    return str(net.network_address + rng.randrange(net.num_addresses))


class Session:
    """One SMTP dialogue; raises OSError/TimeoutError when the line dies."""

    def __init__(self, host, port, timeout, local=None):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(local, 0) if local is not None else None)
        self.buf = b""

    def reply(self):
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(4096)
                if not data:
                    raise ConnectionError("connection closed")
                self.buf += data
            line, _, self.buf = self.buf.partition(b"\n")
            line = line.rstrip(b"\r")
            if len(line) >= 3 and (len(line) == 3 or line[3:4] == b" "):
                return int(line[:3]), line.decode("latin-1")

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def run_session(a, cls, addr):
    codes = {k: "-" for k in ("banner", "xclient", "mail", "rcpt", "data", "message")}
    start = time.time()
    decided = None
    outcome = "noanswer"
    s = None

    def refusal(code):
        return 400 <= code < 600

    try:
        s = Session(a.host, a.port, a.timeout, addr if a.mode == "bind" else None)
        code, _ = s.reply()
        codes["banner"] = code
        if refusal(code):
            decided, outcome = time.time(), "reject5" if code >= 500 else "tempfail4"
        s.cmd("EHLO load.example.test")
        if a.mode == "xclient":
            code, _ = s.cmd("XCLIENT ADDR=%s" % addr)
            codes["xclient"] = code
            if decided is None and refusal(code):
                decided, outcome = time.time(), "reject5" if code >= 500 else "tempfail4"
            elif not refusal(code):
                s.cmd("EHLO load.example.test")
        code, _ = s.cmd("MAIL FROM:<load@sender.example>")
        codes["mail"] = code
        if decided is None and refusal(code):
            decided, outcome = time.time(), "reject5" if code >= 500 else "tempfail4"
        code, _ = s.cmd("RCPT TO:<%s>" % a.rcpt)
        codes["rcpt"] = code
        if 200 <= code < 300:
            # Whatever was answered before, a 2xx recipient is an acceptance.
            decided, outcome = time.time(), "accepted"
            code, _ = s.cmd("DATA")
            codes["data"] = code
            if code == 354:
                code, _ = s.cmd("Subject: lockdown failure test\r\n\r\ntest\r\n.")
                codes["message"] = code
        elif decided is None and refusal(code):
            decided, outcome = time.time(), "reject5" if code >= 500 else "tempfail4"
        s.cmd("QUIT")
    except (OSError, ConnectionError, ValueError):
        pass
    finally:
        if s is not None:
            s.close()
    end = time.time()
    return "%.6f %.6f %.6f %s %s %s %s %s %s %s %s %s" % (
        start, decided if decided is not None else end, end, cls, addr,
        codes["banner"], codes["xclient"], codes["mail"], codes["rcpt"],
        codes["data"], codes["message"], outcome)


def main():
    a = parse_args()
    deadline = time.time() + a.duration
    lock = threading.Lock()
    out = open(a.log, "w", buffering=1)
    counts = {}

    def stopped():
        return time.time() >= deadline or (
            a.stop_file is not None and os.path.exists(a.stop_file))

    def worker(n):
        rng = random.Random(a.seed * 1000 + n)
        while not stopped():
            if rng.random() < a.provider_ratio:
                cls, addr = "provider", draw(rng, a.provider)
            else:
                cls, addr = "outside", draw(rng, a.outside)
            line = run_session(a, cls, addr)
            key = (cls, line.rsplit(" ", 1)[1])
            with lock:
                out.write(line + "\n")
                counts[key] = counts.get(key, 0) + 1
            if line.endswith("noanswer"):
                time.sleep(0.01)  # Postfix itself gone: do not spin

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()
    for (cls, outcome), n in sorted(counts.items()):
        print("smtpload: %s %s %d" % (cls, outcome, n), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
