#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""tcp.py PORT -- DNS over TCP (RFC 7766) against a server on 127.0.0.1:PORT
serving example.com.zone, configured with tcp_idle_timeout 2s,
tcp_max_clients 4 and one worker.

Each check prints "ok: ..." or "FAIL: ..."; exit status 1 if any failed.
"""
import socket
import struct
import os
import sys
import time

import dns.message
import dns.rcode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checklib  # noqa: E402
from checklib import check  # noqa: E402

PORT = int(sys.argv[1])
ADDR = ("127.0.0.1", PORT)


def query(qid, name="www.example.com.", rdtype="A"):
    """A query with ID QID, with its 2-byte length prefix."""
    q = dns.message.make_query(name, rdtype)
    q.id = qid
    w = q.to_wire()
    return struct.pack(">H", len(w)) + w


def conn(timeout=5.0):
    return socket.create_connection(ADDR, timeout=timeout)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            return None
        buf += c
    return buf


def read_msg(s):
    """One length-prefixed message, parsed; None on EOF or timeout."""
    try:
        hdr = recv_exact(s, 2)
        if hdr is None:
            return None
        body = recv_exact(s, struct.unpack(">H", hdr)[0])
        return None if body is None else dns.message.from_wire(body)
    except (socket.timeout, ConnectionError):
        return None


def closed_within(s, seconds):
    """True if the peer closes S (EOF or reset) within SECONDS."""
    s.settimeout(seconds)
    try:
        return s.recv(100) == b""
    except socket.timeout:
        return False
    except ConnectionError:
        return True


def is_open(s):
    """True if S is neither closed nor has unread data right now."""
    s.setblocking(False)
    try:
        s.recv(1, socket.MSG_PEEK)
        return False
    except BlockingIOError:
        return True
    except ConnectionError:
        return False
    finally:
        s.setblocking(True)


def udp_ok(qid):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    try:
        u.sendto(query(qid)[2:], ADDR)
        r = dns.message.from_wire(u.recv(4096))
        return r.id == qid and r.rcode() == 0 and len(r.answer) == 1
    except socket.timeout:
        return False
    finally:
        u.close()


def answer_text(r):
    return [rr.to_text() for rrset in r.answer for rr in rrset] if r else None


# -- Pipelining (RFC 7766 6.2.1.1): three queries in one write.
s = conn()
s.sendall(query(1) + query(2, "www.example.com.", "AAAA") + query(3, "nx.example.com."))
rs = [read_msg(s) for _ in range(3)]
ids = [r.id if r else None for r in rs]
check("three pipelined queries: three answers, in order, IDs matching", ids == [1, 2, 3], "IDs %s" % ids)
if ids == [1, 2, 3]:
    check("pipelined #1: the A record", answer_text(rs[0]) == ["192.0.2.80"], str(answer_text(rs[0])))
    check("pipelined #2: the AAAA record", answer_text(rs[1]) == ["2001:db8::80"], str(answer_text(rs[1])))
    check("pipelined #3: NXDOMAIN", rs[2].rcode() == dns.rcode.NXDOMAIN, dns.rcode.to_text(rs[2].rcode()))

# Many more in one write: messages straddle the server's read boundaries.
names = ["www.example.com.", "multi.example.com.", "nx.example.com.", "host.example.net.", "alias.example.com."]
s.sendall(b"".join(query(1000 + i, names[i % len(names)]) for i in range(200)))
got = [read_msg(s) for _ in range(200)]
check("200 pipelined queries in one write: 200 answers, IDs in order",
      [r.id if r else None for r in got] == list(range(1000, 1200)))
check("  each answers its own question",
      all(r is not None and r.question[0].name.to_text() == names[i % len(names)] for i, r in enumerate(got)))

# -- One query split over two writes, 300 ms apart, even inside the prefix.
q = query(4)
s.sendall(q[:7])
time.sleep(0.3)
s.sendall(q[7:])
r = read_msg(s)
check("a query split over two writes is answered", r is not None and r.id == 4 and answer_text(r) == ["192.0.2.80"])
q = query(5)
s.sendall(q[:1])
time.sleep(0.3)
s.sendall(q[1:])
r = read_msg(s)
check("a query split inside its length prefix is answered", r is not None and r.id == 5)
s.close()

# A query followed at once by the client's FIN is still answered.
s = conn()
s.sendall(query(6))
s.shutdown(socket.SHUT_WR)
r = read_msg(s)
check("a query sent with FIN right after is answered", r is not None and r.id == 6)
s.close()

# -- Idle timeout (2 s): an idle connection is closed after about 2 s,
# never before 1 s; activity restarts the clock.
s = conn()
t0 = time.time()
closed = closed_within(s, 8)
dt = time.time() - t0
check("an idle connection is closed after ~2 s (took %.2f s)" % dt, closed and 1.0 <= dt <= 4.0)
s.close()
s = conn()
t0 = time.time()
ok = True
for i in range(3):  # a query every 1.2 s: never 2 s idle
    time.sleep(1.2)
    s.sendall(query(10 + i))
    r = read_msg(s)
    ok = ok and r is not None and r.id == 10 + i
check("queries every 1.2 s keep the connection open past 3.6 s", ok)
closed = closed_within(s, 8)
dt = time.time() - t0
check("  and it closes once idle (at %.2f s)" % dt, closed and dt >= 4.6)
s.close()

# -- The connection cap (4 per worker, one worker): with four idle clients
# connected, a fifth is served; the longest idle one makes room; UDP is
# answered throughout. Done well inside the 2 s idle timeout.
idle = []
for i in range(4):
    idle.append(conn())
    time.sleep(0.1)
check("UDP answered while four TCP clients sit idle", udp_ok(20))
t0 = time.time()
s = conn()
s.sendall(query(21))
r = read_msg(s)
check("a fifth TCP client is served", r is not None and r.id == 21)
check("  quickly (%.2f s), not after an idle timeout" % (time.time() - t0), time.time() - t0 < 0.9)
first_closed = closed_within(idle[0], 0.5)
others = [is_open(c) for c in idle[1:]]
check("the longest idle connection was closed to make room", first_closed,
      "still open after 0.5 s; the others open: %s" % others)
check("the most recent idle connection is still open", others[2])
idle[3].sendall(query(22))
r = read_msg(idle[3])
check("  and still answers", r is not None and r.id == 22)
check("UDP answered after the cap was hit", udp_ok(23))
for c in idle:
    c.close()
s.close()
time.sleep(0.2)

# Ten clients in a burst, each with a query: each gets its answer (the cap
# makes room by closing idle ones, never an active one before it answers).
clients = [conn() for _ in range(10)]
for i, c in enumerate(clients):
    c.sendall(query(100 + i))
answered = sum(1 for i, c in enumerate(clients) if (lambda r: r is not None and r.id == 100 + i)(read_msg(c)))
check("10 clients in a burst over a cap of 4: at least the last 4 answered (%d)" % answered, answered >= 4)
for c in clients:
    c.close()

# -- Garbage: the connection is closed, the server lives on.
s = conn()
s.sendall(b"\x00\x05abcde")  # shorter than a DNS header
check("a 5-byte message (shorter than a header) closes the connection", closed_within(s, 1.5))
s.close()
s = conn()
s.sendall(b"\x00\x00")  # a zero-length message
check("a zero-length message closes the connection", closed_within(s, 1.5))
s.close()
s = conn()
resp = bytearray(query(30))
resp[4] |= 0x80  # QR: a response, not a query
s.sendall(bytes(resp))
check("a response sent as a query gets no answer and the connection closes", closed_within(s, 1.5))
s.close()
s = conn()
s.sendall(b"\x00\x20" + bytes(range(200, 232)))  # 32 random bytes
r = read_msg(s)
check("32 bytes of junk: a FORMERR or a close, no crash",
      r is None or r.rcode() == dns.rcode.FORMERR, r and dns.rcode.to_text(r.rcode()))
s.close()
s = conn()
s.sendall(query(31))
r = read_msg(s)
check("TCP still answers after the garbage", r is not None and r.id == 31)
s.close()
check("UDP still answers after the garbage", udp_ok(32))

sys.exit(1 if checklib.failures else 0)
