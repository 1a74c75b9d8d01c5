#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""seeds.py DIR -- write fuzz_packet's seed corpus into DIR: valid queries
for every name of fuzz.zone and other.zone over many types, with and
without EDNS, DO, ECS (IPv4 and IPv6) and other options, in mixed case;
plus a few near-misses (header bits, EDNS versions, odd OPT records) that
take the parser down its error paths.
"""
import os
import struct
import sys

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = []

names = ["fuzz.test.", "www.fuzz.test.", "alias2.fuzz.test.", "ext.fuzz.test.", "dangling.fuzz.test.",
         "toother.fuzz.test.", "towild.fuzz.test.", "loop1.fuzz.test.", "a.b.wild.fuzz.test.", "x.wild.fuzz.test.",
         "q.wcname.fuzz.test.", "b.c.ent.fuzz.test.", "c.ent.fuzz.test.", "sub.fuzz.test.", "host.sub.fuzz.test.",
         "outdeleg.fuzz.test.", "sw.fuzz.test.", "big.fuzz.test.", "nx.fuzz.test.", "a\\.dot.fuzz.test.",
         "_sip._tcp.fuzz.test.", "ptr.fuzz.test.", "other.test.", "host.other.test.", "any.other.test.",
         "www.example.org.", ".", "test.", "WwW.FuZz.TeSt.", "www.dn.fuzz.test.", "a.b.dnext.fuzz.test.",
         "x.dl1.fuzz.test.", "x.dngrow.fuzz.test.", "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq.dnlong.fuzz.test.",
         "todn.fuzz.test.", "kid.fuzz.test.", "www.kid.fuzz.test."]
types = ["A", "AAAA", "TXT", "MX", "NS", "DS", "SOA", "CNAME", "SRV", "PTR", "CAA", "ANY", "RRSIG", "AXFR",
         "IXFR", "TYPE65280"]
i = 0
for n in names:
    for t in types:
        edns = i % 3 != 0
        opts = []
        if edns and i % 4 == 1:
            opts.append(dns.edns.ECSOption("192.0.2.0", 24))
        elif edns and i % 4 == 2:
            opts.append(dns.edns.ECSOption("2001:db8::", 56))
        elif edns and i % 4 == 3:
            opts.append(dns.edns.GenericOption(10, b"\x01\x02\x03\x04\x05\x06\x07\x08"))  # COOKIE
        q = dns.message.make_query(n, t, use_edns=0 if edns else False, payload=512 + (i % 5) * 1024,
                                   options=opts, want_dnssec=edns and i % 2 == 0)
        if i % 7 == 0:
            q.flags &= ~dns.flags.RD
        seeds.append(q.to_wire())
        i += 1

base = dns.message.make_query("www.fuzz.test.", "A", use_edns=0).to_wire()
noedns = dns.message.make_query("www.fuzz.test.", "A").to_wire()
# Header variants: QR, opcodes, TC, rcode bits, counts off by one.
for flags in (0x8100, 0x0900, 0x1100, 0x2100, 0x2800, 0x0300, 0x010F, 0x0170):
    seeds.append(noedns[:2] + struct.pack(">H", flags) + noedns[4:])
for counts in ((0, 0, 0, 0), (2, 0, 0, 0), (1, 1, 0, 0), (1, 0, 1, 0), (1, 0, 0, 2), (65535, 0, 0, 0)):
    seeds.append(base[:4] + struct.pack(">HHHH", *counts) + base[12:])
seeds.append(noedns[:-3])  # question cut short
seeds.append(noedns[:12])  # header only
# EDNS variants: version 1, two OPTs, an OPT not at the root, an OPT in the
# answer section, a bad ECS (prefix longer than the family), padding.
q = dns.message.make_query("www.fuzz.test.", "A")
q.use_edns(edns=1)
seeds.append(q.to_wire())
opt = base[-11:]
seeds.append(base[:10] + b"\x00\x02" + base[12:] + opt)
seeds.append(base[:-11] + b"\x03www" + opt[1:])
seeds.append(noedns[:6] + b"\x00\x01\x00\x00\x00\x00" + noedns[12:] + opt)
seeds.append(base[:-2] + b"\x00\x0c\x00\x08\x00\x08\x00\x01\x21\x00\xc0\x00\x02\x01")
seeds.append(base[:-2] + b"\x00\x0b\x00\x08\x00\x08\x00\x02\x80\x00\x20\x01\x0d\xb8")
seeds.append(base[:-2] + b"\x00\x08\x00\x0c\x00\x00\x00\x08" + b"\x00" * 8)
seeds.append(base[:-2] + b"\x00\x05\x00\x0c\x00\x01")  # option longer than the RDATA
# Names: compression pointers in the question, long labels, maximal names.
seeds.append(noedns[:12] + b"\xc0\x0c\x00\x01\x00\x01")
seeds.append(noedns[:12] + b"\x3f" + b"a" * 63 + b"\x04fuzz\x04test\x00\x00\x01\x00\x01")
seeds.append(noedns[:12] + (b"\x01a" * 127) + b"\x00\x00\x01\x00\x01")

for k, s in enumerate(seeds):
    with open(os.path.join(out, "seed%04d" % k), "wb") as f:
        f.write(s)
print("%d seeds in %s" % (len(seeds), out))
