#!/usr/bin/env python3
"""Speak the milter protocol directly, for what miltertest cannot send.

usage: rawclient.py SOCKET SCENARIO WANT
  SOCKET    unix:/path of the running lockdown-milter
  SCENARIO  unix        connect from an AF_UNIX client (family 'L')
            mail-first  MAIL before any connect (no session state)
            reuse       a transaction from 192.0.2.40, QUIT_NC, then a
                        connect from 192.0.2.7 without a new negotiation
  WANT      the expected reply, e.g. "t" (tempfail) or "y:451 4.3.0"
            (a custom reply starting with that text)

Prints the reply and exits 0 when it is the expected one, 1 otherwise.
"""
import socket
import struct
import sys

SMFIC_OPTNEG = b"O"
SMFIC_MACRO = b"D"
SMFIC_CONNECT = b"C"
SMFIC_MAIL = b"M"
SMFIC_RCPT = b"R"
SMFIC_BODYEOB = b"E"
SMFIC_QUIT = b"Q"
SMFIC_QUIT_NC = b"K"
SMFI_VERSION = 6
ALL_ACTIONS = 0x1FF
ALL_PROTOCOL = 0x1FFFFF


def send(sock, cmd, data=b""):
    sock.sendall(struct.pack("!I", len(data) + 1) + cmd + data)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("milter closed the connection")
        buf += chunk
    return buf


def recv(sock):
    (length,) = struct.unpack("!I", recv_exact(sock, 4))
    data = recv_exact(sock, length)
    return data[:1], data[1:]


def negotiate(sock):
    send(sock, SMFIC_OPTNEG,
         struct.pack("!III", SMFI_VERSION, ALL_ACTIONS, ALL_PROTOCOL))
    cmd, _ = recv(sock)
    if cmd != SMFIC_OPTNEG:
        raise RuntimeError("negotiate: got %r" % cmd)


def expect(sock, want):
    cmd, data = recv(sock)
    got = describe(cmd, data)
    print("step reply %s" % got)
    if not got.startswith(want):
        raise RuntimeError("got reply %r, want %r" % (got, want))


def describe(cmd, data):
    text = data.rstrip(b"\0").decode("ascii", "replace")
    return cmd.decode("ascii") + (":" + text if text else "")


def main():
    if len(sys.argv) != 4 or not sys.argv[1].startswith("unix:"):
        sys.stderr.write(__doc__)
        return 2
    path, scenario, want = sys.argv[1][5:], sys.argv[2], sys.argv[3]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(20)
    sock.connect(path)
    negotiate(sock)
    if scenario == "unix":
        send(sock, SMFIC_MACRO, b"C{daemon_port}\x0025\x00")
        send(sock, SMFIC_CONNECT,
             b"localhost\x00L" + struct.pack("!H", 0) + b"/run/client.sock\x00")
    elif scenario == "reuse":
        # A whole transaction first: libmilter takes QUIT_NC only after
        # the end of a message.
        send(sock, SMFIC_MACRO, b"C{daemon_port}\x0025\x00")
        send(sock, SMFIC_CONNECT,
             b"first.example\x004" + struct.pack("!H", 40000) +
             b"192.0.2.40\x00")
        expect(sock, "c")
        send(sock, SMFIC_MAIL, b"<a@example.com>\x00")
        expect(sock, "c")
        send(sock, SMFIC_RCPT, b"<b@example.com>\x00")
        expect(sock, "c")
        send(sock, SMFIC_BODYEOB)
        expect(sock, "c")
        send(sock, SMFIC_QUIT_NC)
        send(sock, SMFIC_MACRO, b"C{daemon_port}\x0025\x00")
        send(sock, SMFIC_CONNECT,
             b"second.example\x004" + struct.pack("!H", 40001) +
             b"192.0.2.7\x00")
    elif scenario == "mail-first":
        send(sock, SMFIC_MAIL, b"<someone@example.org>\x00")
    else:
        sys.stderr.write("unknown scenario %s\n" % scenario)
        return 2
    cmd, data = recv(sock)
    got = describe(cmd, data)
    send(sock, SMFIC_QUIT)
    sock.close()
    print("reply %s" % got)
    if got.startswith(want):
        return 0
    print("got reply %r, want %r" % (got, want))
    return 1


if __name__ == "__main__":
    sys.exit(main())
