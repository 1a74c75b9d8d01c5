#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw-packet checks for the conform case: send each packet over UDP to
every server given and print one line per packet and server:
  NAME SERVER rcode=R qd=N an=N   (or "no-reply")
so run.sh can compare routerd's line with NSD's.

usage: packets.py NAME=PORT...
"""
import socket
import struct
import sys


def header(qid, opcode=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HBBHHHH", qid, opcode << 3, 0, qd, an, ns, ar)


WWW = b"\x03www\x01t\x04test\x00" + struct.pack("!HH", 1, 1)


def opt(payload_len, broken=False):
    """An OPT record with a padding option (RFC 7830) of PAYLOAD_LEN bytes."""
    rdlen = payload_len + 4 + (9 if broken else 0)
    return (b"\x00" + struct.pack("!HHIH", 41, 1232, 0, rdlen) +
            struct.pack("!HH", 12, payload_len) + b"\x00" * payload_len)


def big(total, broken=False):
    head = header(0x4242, ar=1) + WWW
    return head + opt(total - len(head) - 15, broken)


PACKETS = [
    # Unknown opcodes with a malformed question: NOTIMP (NSD, Knot).
    ("opcode15-badlabel", header(0x1111, opcode=15) + b"\x3fwww\x00\x00\x01\x00\x01"),
    ("opcode2-pointer", header(0x1112, opcode=2) + b"\xc0\x0c\x00\x01\x00\x01"),
    ("opcode15-short", header(0x1113, opcode=15) + b"\x03www"),
    ("opcode15-noquestion", header(0x1114, opcode=15, qd=0)),
    ("opcode0-badlabel", header(0x1115) + b"\x3fwww\x00\x00\x01\x00\x01"),
    # Queries larger than 4,096 bytes: answered (FORMERR when malformed).
    ("udp-4096", big(4096)),
    ("udp-4097", big(4097)),
    ("udp-8000", big(8000)),
    ("udp-65000", big(65000)),
    ("udp-8000-malformed", big(8000, broken=True)),
    ("udp-512", big(512)),
]


def ask(port, pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        for _ in range(3):
            s.sendto(pkt, ("127.0.0.1", port))
            try:
                r = s.recv(65535)
            except socket.timeout:
                continue
            qd, an = struct.unpack("!HH", r[4:8])
            return "rcode=%d qd=%d an=%d" % (r[3] & 15, qd, an)
        return "no-reply"
    finally:
        s.close()


def main():
    servers = [a.split("=") for a in sys.argv[1:]]
    for name, pkt in PACKETS:
        for srv, port in servers:
            print(name, srv, ask(int(port), pkt))


if __name__ == "__main__":
    main()
