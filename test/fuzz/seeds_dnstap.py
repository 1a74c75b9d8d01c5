#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""seeds_dnstap.py DIR -- write fuzz_dnstap's seed corpus into DIR: Frame
Streams byte streams (bidirectional and not) carrying dnstap AUTH_QUERY and
AUTH_RESPONSE messages for the switched names of fuzz.yaml, both sides,
IPv4 and IPv6 resolvers, with ECS; and single dnstap frames. The protobuf
is encoded here by hand (dnstap.proto's field numbers): the seeds need no
protobuf package.
"""
import os
import struct
import sys

import dns.edns
import dns.message
import dns.rrset

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
CT = b"protobuf:dnstap.Dnstap"


def varint(v):
    b = b""
    while True:
        byte = v & 0x7F
        v >>= 7
        if v:
            b += bytes([byte | 0x80])
        else:
            return b + bytes([byte])


def field(num, wire, value):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(value)
    if wire == 5:
        return key + struct.pack("<I", value)
    return key + varint(len(value)) + value


def message(kind, addr, q, r):
    m = field(1, 0, kind) + field(2, 0, 1 if len(addr) == 4 else 2) + field(3, 0, 1) + field(4, 2, addr)
    m += field(8, 0, 1796000000) + field(9, 5, 1234) + field(10, 2, q)
    if r is not None:
        m += field(12, 0, 1796000000) + field(13, 5, 5678) + field(14, 2, r)
    return field(1, 2, b"ns1") + field(2, 2, b"nsd 4.6.1") + field(15, 0, 1) + field(14, 2, m)


def control(kind, ct=True):
    p = struct.pack(">I", kind)
    if ct:
        p += struct.pack(">II", 1, len(CT)) + CT
    return struct.pack(">II", 0, len(p)) + p


def frame(b):
    return struct.pack(">I", len(b)) + b


frames = []
for name, rdtype, answers in [("sw.fuzz.test.", "A", [("CNAME", "cust.cdn.example.net.")]),
                              ("sw.fuzz.test.", "A", [("A", "192.0.2.9"), ("A", "192.0.2.10")]),
                              ("sw.fuzz.test.", "AAAA", [("AAAA", "2001:db8::9")]),
                              ("fuzz.test.", "A", [("A", "198.51.100.1"), ("A", "198.51.100.2")]),
                              ("www.fuzz.test.", "A", [])]:
    q = dns.message.make_query(name, rdtype, use_edns=0,
                               options=[dns.edns.ECSOption("203.0.113.0", 24)])
    r = dns.message.make_response(q)
    for t, v in answers:
        r.answer.append(dns.rrset.from_text(name, 30, "IN", t, v))
    for addr in (bytes([192, 0, 2, 7]), bytes(15) + b"\x01"):
        frames.append(message(1, addr, q.to_wire(), None))
        frames.append(message(2, addr, q.to_wire(), r.to_wire()))

seeds = []
# Odd first byte: one dnstap frame. Even: a stream, fed whole (second byte 0) or in pieces.
for f in frames:
    seeds.append(b"\x01" + f)
body = b"".join(frame(f) for f in frames)
seeds.append(b"\x00\x00" + control(4) + control(2) + body + control(3, False))   # READY START ... STOP
seeds.append(b"\x00\x07" + control(2) + body + control(3, False))                # unidirectional, 7-byte reads
seeds.append(b"\x02\x00" + body)                                                  # START put in front
seeds.append(b"\x00\x00" + control(4, False))                                     # READY without a content type
for i, s in enumerate(seeds):
    with open(os.path.join(out, "d%03d" % i), "wb") as fh:
        fh.write(s)
