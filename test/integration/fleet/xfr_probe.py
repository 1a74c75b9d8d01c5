# SPDX-License-Identifier: BSD-3-Clause
"""xfr_probe.py -- zone transfer requests a secondary would never send, for
the fleet test: each prints one line saying what routerd answered.

  request HOST PORT ZONE [KEYNAME SECRET [SKEW]] [--source ADDR]
      an AXFR, signed when KEYNAME is given (SKEW seconds off the clock);
      prints "rcode=NAME tsig=ERROR records=N"
  truncated HOST PORT     a length prefix promising more than is sent, then EOF
  garbage HOST PORT       a length-prefixed message of random bytes
  stall HOST PORT ZONE KEYNAME SECRET SECONDS
      a signed AXFR whose answer is never read, held open SECONDS
"""
import os
import socket
import struct
import sys
import time

import dns.message
import dns.name
import dns.rcode
import dns.tsig
import dns.tsigkeyring

TSIG_ERRORS = {0: "NOERROR", 16: "BADSIG", 17: "BADKEY", 18: "BADTIME"}


def axfr_wire(zone, key=None, secret=None, skew=0):
    q = dns.message.make_query(zone, "AXFR")
    if key:
        ring = dns.tsigkeyring.from_text({key: secret})
        q.use_tsig(ring, keyname=key, algorithm=dns.tsig.HMAC_SHA256)
        real = time.time
        time.time = lambda: real() + skew
        try:
            return q.to_wire()
        finally:
            time.time = real
    return q.to_wire()


def connect(host, port, source=None):
    s = socket.create_connection((host, int(port)), timeout=5, source_address=(source, 0) if source else None)
    return s


def read_msg(s):
    hdr = b""
    while len(hdr) < 2:
        c = s.recv(2 - len(hdr))
        if not c:
            return None
        hdr += c
    (n,) = struct.unpack("!H", hdr)
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            return None
        buf += c
    return buf


def tsig_error(wire):
    """The TSIG error of a response whose last record is a TSIG, or None."""
    if struct.unpack("!H", wire[10:12])[0] == 0:
        return None
    if wire[-2:] == b"\0\0":
        return struct.unpack("!H", wire[-4:-2])[0]
    if wire[-8:-6] == b"\0\x06":
        return struct.unpack("!H", wire[-10:-8])[0]
    return None


def request(args):
    source = None
    if "--source" in args:
        i = args.index("--source")
        source = args[i + 1]
        del args[i : i + 2]
    host, port, zone = args[0], args[1], args[2]
    key = args[3] if len(args) > 3 else None
    secret = args[4] if len(args) > 4 else None
    skew = int(args[5]) if len(args) > 5 else 0
    w = axfr_wire(zone, key, secret, skew)
    s = connect(host, port, source)
    s.sendall(struct.pack("!H", len(w)) + w)
    records = 0
    first = read_msg(s)
    if first is None:
        print("closed")
        return
    rcode = first[3] & 0xF
    records = struct.unpack("!H", first[6:8])[0]
    err = tsig_error(first)
    print("rcode=%s tsig=%s records=%d" % (dns.rcode.to_text(rcode), TSIG_ERRORS.get(err, err), records))


def truncated(host, port):
    s = connect(host, port)
    s.sendall(struct.pack("!H", 40) + os.urandom(20))
    s.shutdown(socket.SHUT_WR)
    print("closed" if read_msg(s) is None else "answered")


def garbage(host, port):
    s = connect(host, port)
    w = bytearray(os.urandom(40))
    w[2] &= 0x7F  # a query, not a response
    w[4:6] = b"\0\x01"
    s.sendall(struct.pack("!H", len(w)) + bytes(w))
    m = read_msg(s)
    print("closed" if m is None else "rcode=%s" % dns.rcode.to_text(m[3] & 0xF))


def stall(host, port, zone, key, secret, seconds):
    s = connect(host, port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    w = axfr_wire(zone, key, secret)
    s.sendall(struct.pack("!H", len(w)) + w)
    print("stalling", flush=True)
    time.sleep(float(seconds))


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "request":
        request(args)
    elif mode == "truncated":
        truncated(*args)
    elif mode == "garbage":
        garbage(*args)
    elif mode == "stall":
        stall(*args)
    else:
        sys.exit("unknown mode " + mode)


main()
