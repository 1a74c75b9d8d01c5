#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""admin.py -- hostile clients on routerd's admin socket (issue 14).

  admin.py lines SOCK N          N short requests in one write: prints the replies counted
  admin.py noread SOCK SECONDS   a client that writes requests and never reads: prints
                                 how long until routerd closed it and how much it took
  admin.py cap SOCK N            N connections at once: prints how many were refused
"""
import socket
import sys
import threading
import time

REQ = b'{"v":1,"cmd":"status"}\n'


def lines(sock, n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    payload = REQ * n
    # Send from a thread: routerd stops reading while our replies wait,
    # and a single-threaded client that only writes would deadlock.
    def send():
        try:
            s.sendall(payload)
        except OSError:
            pass  # closed by routerd: the count of replies says how far it got

    t = threading.Thread(target=send)
    t.start()
    data = b""
    deadline = time.time() + 60
    s.settimeout(5)
    while data.count(b"\n") < n and time.time() < deadline:
        try:
            d = s.recv(1 << 20)
        except (socket.timeout, ConnectionResetError):
            break
        if not d:
            break
        data += d
    t.join(10)
    print("replies %d ok %d" % (data.count(b"\n"), data.count(b'"ok":true')))


def noread(sock, seconds):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.setblocking(False)
    sent = 0
    t0 = time.time()
    closed = None
    while time.time() - t0 < seconds:
        try:
            sent += s.send(REQ * 200)
        except BlockingIOError:
            time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            closed = time.time() - t0
            break
    print("closed_after %s sent %d" % ("never" if closed is None else "%.1f" % closed, sent))


def cap(sock, n):
    conns = []
    for _ in range(n):
        c = socket.socket(socket.AF_UNIX)
        c.connect(sock)
        conns.append(c)
    time.sleep(0.5)
    refused = 0
    for c in conns:
        c.settimeout(0.3)
        try:
            if b"too many admin connections" in c.recv(300):
                refused += 1
        except socket.timeout:
            pass
    print("refused %d" % refused)


if __name__ == "__main__":
    what, sock, arg = sys.argv[1], sys.argv[2], float(sys.argv[3])
    {"lines": lambda: lines(sock, int(arg)), "noread": lambda: noread(sock, arg),
     "cap": lambda: cap(sock, int(arg))}[what]()
