#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate the benchmark zone and query file.

usage: genzone.py NAMES ZONEFILE [QUERYFILE]

The zone bench.test has NAMES names: most with A and AAAA, every fifth a
CNAME to another name. Without QUERYFILE each name gets one record only
(A or CNAME), for the load-time and memory test in records. The query file mixes A and AAAA hits (60%), CNAME
hits (15%), NXDOMAIN (15%) and NODATA (10%, MX at an address-only name).
"""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(42)
with open(sys.argv[2], "w") as z:
    z.write("$ORIGIN bench.test.\n$TTL 3600\n"
            "@ SOA ns1 hostmaster 1 14400 3600 1209600 300\n@ NS ns1\nns1 A 127.0.0.1\n")
    for i in range(n):
        if i % 5 == 4:
            z.write("h%d CNAME h%d\n" % (i, i - 1))
        else:
            z.write("h%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
            if len(sys.argv) > 3:
                z.write("h%d AAAA 2001:db8::%x\n" % (i, i))
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as q:
        for _ in range(200000):
            r = rng.random()
            i = rng.randrange(n)
            if r < 0.60:
                i -= (i % 5 == 4)
                q.write("h%d.bench.test %s\n" % (i, "A" if r < 0.40 else "AAAA"))
            elif r < 0.75:
                q.write("h%d.bench.test A\n" % (i - i % 5 + 4 if i - i % 5 + 4 < n else 4))
            elif r < 0.90:
                q.write("nx%d.bench.test A\n" % i)
            else:
                i -= (i % 5 == 4)
                q.write("h%d.bench.test MX\n" % i)
