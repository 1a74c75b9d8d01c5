#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""tap.py -- a Frame Streams sender for the dnstap tests and the bench.

  tap.py ADDR stream --name NAME --count N [--random] [--side cdn|origin] [--identity ID]
      a bidirectional stream (READY, wait for ACCEPT, START, N dnstap
      AUTH_RESPONSE frames, STOP, wait for FINISH); resolvers 10.x.y.z
      (random ones with --random); prints "accept finish" as received.
  tap.py ADDR replay FILE [--times K]
      the data frames of a Frame Streams file (fstrm_capture's), K times,
      in one bidirectional stream written at full speed; prints the count.
  tap.py ADDR garbage|oversized|content_type|truncated
      a bad stream of that kind; prints how the connection ended.

ADDR is unix:/path or host:port. The protobuf is encoded by hand with
dnstap.proto's field numbers; the DNS responses come from dnspython.
"""
import random
import socket
import struct
import sys
import time

import dns.message
import dns.rrset

CT = b"protobuf:dnstap.Dnstap"


def varint(v):
    b = b""
    while True:
        byte = v & 0x7F
        v >>= 7
        if not v:
            return b + bytes([byte])
        b += bytes([byte | 0x80])


def field(num, wire, value):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(value)
    if wire == 5:
        return key + struct.pack("<I", value)
    return key + varint(len(value)) + value


def response(name, side):
    q = dns.message.make_query(name, "A")
    r = dns.message.make_response(q)
    if side == "cdn":
        r.answer.append(dns.rrset.from_text(name, 30, "IN", "CNAME", "cust.cdn.example.net."))
    else:
        r.answer.append(dns.rrset.from_text(name, 30, "IN", "A", "192.0.2.9"))
    return r.to_wire()


def dnstap(identity, addr, resp, t):
    sec, nsec = int(t), int((t % 1) * 1e9)
    m = field(1, 0, 2) + field(2, 0, 1) + field(3, 0, 1) + field(4, 2, addr)
    m += field(8, 0, sec) + field(9, 5, nsec) + field(12, 0, sec) + field(13, 5, nsec) + field(14, 2, resp)
    return field(1, 2, identity) + field(15, 0, 1) + field(14, 2, m)


def control(kind, ct=True):
    p = struct.pack(">I", kind)
    if ct:
        p += struct.pack(">II", 1, len(CT)) + CT
    return struct.pack(">II", 0, len(p)) + p


def frame(b):
    return struct.pack(">I", len(b)) + b


def connect(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)))
    s.settimeout(10)
    return s


def read_control(s):
    """The type of the next control frame, or None at EOF/reset."""
    try:
        head = b""
        while len(head) < 8:
            chunk = s.recv(8 - len(head))
            if not chunk:
                return None
            head += chunk
        n = struct.unpack(">I", head[4:])[0]
        body = b""
        while len(body) < n:
            chunk = s.recv(n - len(body))
            if not chunk:
                return None
            body += chunk
        return {1: "accept", 5: "finish"}.get(struct.unpack(">I", body[:4])[0], "other")
    except (ConnectionResetError, socket.timeout):
        return None


def send_stream(addr, frames):
    s = connect(addr)
    s.sendall(control(4))
    got = [read_control(s)]
    s.sendall(control(2) + b"".join(frames) + control(3, False))
    got.append(read_control(s))
    s.close()
    return got


def read_file_frames(path):
    data = open(path, "rb").read()
    off, frames = 0, []
    while off + 4 <= len(data):
        n = struct.unpack(">I", data[off:off + 4])[0]
        if n == 0:
            clen = struct.unpack(">I", data[off + 4:off + 8])[0]
            off += 8 + clen
            continue
        frames.append(data[off:off + 4 + n])
        off += 4 + n
    return frames


def bad(addr, kind):
    s = connect(addr)
    if kind == "garbage":
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    elif kind == "content_type":
        p = struct.pack(">III", 4, 1, 9) + b"text/html"
        s.sendall(struct.pack(">II", 0, len(p)) + p)
    elif kind == "oversized":
        s.sendall(control(2) + struct.pack(">I", 0x7FFFFFF0) + b"x" * 100)
    elif kind == "truncated":
        s.sendall(control(2) + struct.pack(">I", 1000) + b"x" * 10)
        s.shutdown(socket.SHUT_WR)
    try:
        s.settimeout(5)
        data = s.recv(100)
        print("closed" if not data else "answered")
    except ConnectionResetError:
        print("closed")
    except socket.timeout:
        print("open")


def main():
    addr, mode = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    opt = lambda k, d: args[args.index(k) + 1] if k in args else d
    if mode == "stream":
        n = int(opt("--count", "10"))
        resp = response(opt("--name", "www.t.test."), opt("--side", "cdn"))
        ident = opt("--identity", "tap").encode()
        rnd = random.Random(7)
        frames = []
        for i in range(n):
            a = bytes([10, rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)]) if "--random" in args \
                else bytes([10, 0, 0, 1 + i % 200])
            frames.append(frame(dnstap(ident, a, resp, time.time())))
        print(" ".join(str(x) for x in send_stream(addr, frames)))
    elif mode == "replay":
        frames = read_file_frames(args[0]) * int(opt("--times", "1"))
        t0 = time.time()
        got = send_stream(addr, frames)
        print(len(frames), "%.3f" % (time.time() - t0), " ".join(str(x) for x in got))
    else:
        bad(addr, mode)


main()
