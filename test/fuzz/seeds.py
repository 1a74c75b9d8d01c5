#!/usr/bin/python3
"""Write a seed corpus of valid queries for fuzz_packet into DIR."""
import os
import sys

import dns.edns
import dns.flags
import dns.message

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
names = ["diff.test.", "www.diff.test.", "alias3.diff.test.", "x.y.wild.diff.test.", "a.wcname.diff.test.",
         "host.sub.diff.test.", "sub.diff.test.", "b.c.ent.diff.test.", "big.diff.test.", "nx.diff.test.",
         "sw.diff.test.", "toother.diff.test.", "www.example.org.", "WwW.DiFf.TeSt."]
types = ["A", "AAAA", "TXT", "MX", "NS", "DS", "ANY", "CNAME", "SOA", "SRV", "TYPE65280"]
i = 0
for n in names:
    for t in types:
        for edns in (False, True):
            opts = [dns.edns.ECSOption("192.0.2.0", 24)] if edns and i % 3 == 0 else []
            m = dns.message.make_query(n, t, use_edns=0 if edns else False, payload=512 + (i % 4) * 1024,
                                       options=opts, want_dnssec=edns and i % 2 == 0)
            with open(os.path.join(out, "q%04d" % i), "wb") as f:
                f.write(m.to_wire())
            i += 1
print("%d seeds in %s" % (i, out))
