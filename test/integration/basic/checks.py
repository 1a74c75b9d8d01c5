#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""checks.py PORT -- the basic test's DNS checks against a server on
127.0.0.1 and ::1, port PORT, serving example.com.zone and example.net.zone.

Each check prints "ok: ..." or "FAIL: ... (wanted ..., got ...)"; the exit
status is 1 if any failed. dnspython parses the answers; raw sockets send
what no DNS library would (QR set, bad opcodes, malformed questions).
"""
import socket
import struct
import os
import sys

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checklib  # noqa: E402
from checklib import check  # noqa: E402

PORT = int(sys.argv[1])
TIMEOUT = 2.0


def eq(what, got, want):
    check(what, got == want, "wanted %r, got %r" % (want, got))


def ask(name, rdtype="A", addr="127.0.0.1", tcp=False, **kw):
    """One query with dnspython; returns the response (or None on timeout)."""
    flags = kw.pop("flags", None)
    version = kw.pop("edns_version", None)
    q = dns.message.make_query(name, rdtype, **kw)
    if flags is not None:
        q.flags = flags
    if version is not None:  # make_query(use_edns=1) means "EDNS 0"
        q.use_edns(edns=version)
    try:
        if tcp:
            return dns.query.tcp(q, addr, port=PORT, timeout=TIMEOUT)
        return dns.query.udp(q, addr, port=PORT, timeout=TIMEOUT, ignore_trailing=False)
    except dns.exception.Timeout:
        return None


def raw_udp(pkt, addr="127.0.0.1", timeout=1.0):
    """Send PKT as is; the reply's bytes, or None if none came in TIMEOUT."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(pkt, (addr, PORT))
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()


def rrs(section):
    """A section as sorted (owner, ttl, type, rdata) tuples, lower-case owners."""
    out = []
    for rrset in section:
        for rd in rrset:
            out.append((rrset.name.to_text().lower(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype),
                        rd.to_text()))
    return sorted(out)


def flagset(r):
    return dns.flags.to_text(r.flags)


SOA_COM = ("example.com.", 300, "SOA", "ns1.example.com. hostmaster.example.com. 2024010101 7200 900 1209600 300")
NS_COM = ("example.com.", 3600, "NS", "ns1.example.com.")
SOA_NET = ("example.net.", 60, "SOA", "ns1.example.com. hostmaster.example.com. 7 3600 900 604800 900")

# -- Positive answers, on every transport and address family.
for addr in ("127.0.0.1", "::1"):
    for tcp in (False, True):
        how = "%s %s" % (addr, "TCP" if tcp else "UDP")
        r = ask("www.example.com", "A", addr, tcp)
        if r is None:
            check(how + ": www.example.com A answered", False, "timeout")
            continue
        eq(how + ": www A rcode", dns.rcode.to_text(r.rcode()), "NOERROR")
        eq(how + ": www A flags (AA, RD copied)", flagset(r), "QR AA RD")
        eq(how + ": www A answer, its own TTL 1234", rrs(r.answer), [("www.example.com.", 1234, "A", "192.0.2.80")])
        check(how + ": www A authority empty or the zone's NS", rrs(r.authority) in ([], [NS_COM]), rrs(r.authority))
        r = ask("multi.example.com", "A", addr, tcp)
        eq(how + ": the whole A RRset of three", [x[3] for x in rrs(r.answer)] if r else None,
           ["192.0.2.11", "192.0.2.12", "192.0.2.13"])
        r = ask("host.example.net", "A", addr, tcp)
        eq(how + ": the second zone answers", rrs(r.answer) if r else None,
           [("host.example.net.", 600, "A", "198.51.100.4")])

r = ask("www.example.com", "AAAA")
eq("AAAA from $TTL", rrs(r.answer), [("www.example.com.", 3600, "AAAA", "2001:db8::80")])
r = ask("alias.example.com", "A")
eq("a CNAME is followed inside the zone", rrs(r.answer),
   [("alias.example.com.", 3600, "CNAME", "www.example.com."), ("www.example.com.", 1234, "A", "192.0.2.80")])
eq("CNAME answer is authoritative", flagset(r), "QR AA RD")

# -- Negative answers (RFC 2308): SOA in authority, TTL min(SOA TTL, MINIMUM).
for tcp in (False, True):
    how = "TCP" if tcp else "UDP"
    r = ask("nx.example.com", "A", tcp=tcp)
    eq(how + ": NXDOMAIN rcode", dns.rcode.to_text(r.rcode()), "NXDOMAIN")
    eq(how + ": NXDOMAIN is authoritative", flagset(r), "QR AA RD")
    eq(how + ": NXDOMAIN has no answer", rrs(r.answer), [])
    eq(how + ": NXDOMAIN: the SOA, TTL min(3600, 300) = 300", rrs(r.authority), [SOA_COM])
r = ask("deep.nx.example.net", "A")
eq("NXDOMAIN in the second zone", dns.rcode.to_text(r.rcode()), "NXDOMAIN")
eq("NXDOMAIN: the SOA, TTL min(60, 900) = 60", rrs(r.authority), [SOA_NET])
r = ask("www.example.com", "MX")
eq("NODATA rcode", dns.rcode.to_text(r.rcode()), "NOERROR")
eq("NODATA is authoritative", flagset(r), "QR AA RD")
eq("NODATA has no answer", rrs(r.answer), [])
eq("NODATA: the SOA with the negative TTL", rrs(r.authority), [SOA_COM])
r = ask("host.example.net", "TXT")
eq("NODATA in the second zone: SOA TTL 60", (rrs(r.answer), rrs(r.authority)), ([], [SOA_NET]))

# -- Outside every served zone: REFUSED, not authoritative, empty.
for q in ("www.example.org", "com", "."):
    r = ask(q, "A")
    eq("%s: REFUSED" % q, dns.rcode.to_text(r.rcode()), "REFUSED")
    eq("%s: REFUSED without AA" % q, flagset(r), "QR RD")
    eq("%s: REFUSED is empty" % q, (rrs(r.answer), rrs(r.authority)), ([], []))
r = ask("xexample.com", "A")  # shares a suffix of characters, not of labels
eq("a name that only ends in the same letters is REFUSED", dns.rcode.to_text(r.rcode()), "REFUSED")

# -- Header bits.
r = ask("www.example.com", "A", flags=0)
eq("RD clear in, RD clear out", flagset(r), "QR AA")

# The question comes back exactly as sent, case and all (0x20 resolvers
# compare it byte for byte).
mixed = dns.name.from_text("WwW.ExAmPlE.CoM.").to_wire()
pkt = struct.pack(">HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + mixed + struct.pack(">HH", 1, 1)
raw = raw_udp(pkt)
check("mixed case: answered", raw is not None)
if raw:
    eq("mixed case: the question echoed byte for byte", raw[12:12 + len(mixed) + 4], pkt[12:])
    r = dns.message.from_wire(raw)
    eq("mixed case: the answer found", [x[3] for x in rrs(r.answer)], ["192.0.2.80"])
    eq("mixed case: ID echoed", raw[:2], b"\xbe\xef")

# -- EDNS (RFC 6891).
r = ask("www.example.com", "A", use_edns=0, payload=4096)
eq("EDNS: OPT in the answer, version 0", r.edns, 0)
eq("EDNS: we offer 1232 bytes (the default udp_payload_max)", r.payload, 1232)
eq("EDNS: still the right answer", rrs(r.answer), [("www.example.com.", 1234, "A", "192.0.2.80")])
r = ask("www.example.com", "A")
eq("no EDNS in, no OPT out", r.edns, -1)
r = ask("www.example.com", "A", use_edns=0, want_dnssec=True)
check("EDNS: DO copied (RFC 3225 3)", r.edns == 0 and bool(r.ednsflags & dns.flags.DO), "flags %x" % r.ednsflags)
r = ask("www.example.com", "A", use_edns=0)
check("EDNS: DO clear when clear", r.edns == 0 and not r.ednsflags & dns.flags.DO, "flags %x" % r.ednsflags)
for tcp in (False, True):
    how = "TCP" if tcp else "UDP"
    r = ask("www.example.com", "A", tcp=tcp, edns_version=1)
    eq(how + ": EDNS version 1: BADVERS (extended rcode 16)", r.rcode(), 16)
    eq(how + ": BADVERS carries an OPT of version 0", r.edns, 0)
    eq(how + ": BADVERS has no answer", rrs(r.answer), [])
r = ask("www.example.com", "A", use_edns=0, options=[dns.edns.GenericOption(65001, b"\xab\xcd")])
eq("an unknown EDNS option is ignored", (dns.rcode.to_text(r.rcode()), r.edns), ("NOERROR", 0))
r = ask("www.example.com", "A", use_edns=0, options=[dns.edns.ECSOption("192.0.2.0", 24)])
eq("a query with ECS is answered", rrs(r.answer), [("www.example.com.", 1234, "A", "192.0.2.80")])

# -- Size: UDP answers never exceed what the client can take; TCP gets it all.
q = dns.message.make_query("big.example.com", "TXT")
raw = raw_udp(q.to_wire())
check("no EDNS: big answer fits 512 bytes", raw is not None and len(raw) <= 512, "len %s" % (raw and len(raw)))
if raw:
    r = dns.message.from_wire(raw)
    check("no EDNS: big answer has TC", bool(r.flags & dns.flags.TC), flagset(r))
q = dns.message.make_query("big.example.com", "TXT", use_edns=0, payload=4096)
raw = raw_udp(q.to_wire())
check("EDNS 4096: big answer fits our 1232 bytes", raw is not None and len(raw) <= 1232,
      "len %s" % (raw and len(raw)))
if raw:
    check("EDNS 4096: big answer has TC", bool(dns.message.from_wire(raw).flags & dns.flags.TC))
r = ask("big.example.com", "TXT", tcp=True)
eq("TCP: the whole 40-record answer, no TC", (len(rrs(r.answer)), bool(r.flags & dns.flags.TC)), (40, False))

# -- Raw packets no DNS library sends.
base = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
qname = b"\x03www\x07example\x03com\x00"
good = base + qname + b"\x00\x01\x00\x01"


def rcode_of(raw):
    return None if raw is None else raw[3] & 0x0F


raw = raw_udp(good)
eq("a hand-made query: rcode", rcode_of(raw), 0)
eq("a packet with QR set gets no reply", raw_udp(b"\x12\x34\x81\x00" + good[4:]), None)
eq("a response with an error rcode gets no reply either", raw_udp(b"\x12\x34\x81\x05" + good[4:]), None)
for op in (1, 2, 3):
    raw = raw_udp(struct.pack(">HH", 0x1234, 0x0100 | op << 11) + good[4:])
    eq("opcode %d: NOTIMP" % op, rcode_of(raw), 4)
    if raw:
        eq("opcode %d: QR set, opcode and ID echoed" % op, (raw[:2], raw[2] & 0x80, (raw[2] >> 3) & 0xF),
           (b"\x12\x34", 0x80, op))
raw = raw_udp(base[:4] + b"\x00\x02" + base[6:] + qname + b"\x00\x01\x00\x01")
eq("qdcount 2, one question present: FORMERR", rcode_of(raw), 1)
raw = raw_udp(base[:4] + b"\x00\x02" + base[6:] + (qname + b"\x00\x01\x00\x01") * 2)
eq("qdcount 2, both present: FORMERR (RFC 9619)", rcode_of(raw), 1)
raw = raw_udp(good[:-3])
eq("a question cut short: FORMERR", rcode_of(raw), 1)
if raw:
    eq("FORMERR: QR set and ID echoed", (raw[:2], raw[2] & 0x80), (b"\x12\x34", 0x80))
raw = raw_udp(base + b"\x03www\x07example\x03com")  # no root label
eq("a name without its end: FORMERR", rcode_of(raw), 1)
raw = raw_udp(base + b"\xc0\x0c\x00\x01\x00\x01")  # a pointer to itself
eq("a compression pointer in the question: FORMERR", rcode_of(raw), 1)
raw = raw_udp(base + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01")  # label type 01: reserved
eq("a reserved label type: FORMERR", rcode_of(raw), 1)
eq("a runt (5 bytes) gets no reply", raw_udp(b"\x00" * 5), None)
eq("an empty datagram gets no reply", raw_udp(b""), None)
raw = raw_udp(good)
eq("still answering after all that", (rcode_of(raw), raw and raw[:2]), (0, b"\x12\x34"))
raw = raw_udp(good, "::1")
eq("and over IPv6", rcode_of(raw), 0)

sys.exit(1 if checklib.failures else 0)
