#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate the benchmark zone and query file.

usage: genzone.py NAMES ZONEFILE [QUERYFILE]
       genzone.py --mixed RECORDS ZONEFILE

--mixed: RECORDS records of every common kind, for the restart and memory
test: per 100 records, 40 A, 20 AAAA, 15 CNAME, 10 MX, 10 TXT and 5 in
delegations (an NS pair for a child zone, and glue for every tenth).

The zone bench.test has NAMES names: most with A and AAAA, every fifth a
CNAME to another name. Without QUERYFILE each name gets one record only
(A or CNAME), for the load-time and memory test in records. The query file mixes A and AAAA hits (60%), CNAME
hits (15%), NXDOMAIN (15%) and NODATA (10%, MX at an address-only name).
"""
import random
import sys



def mixed(records, path):
    """About RECORDS records: names h<i> in groups of ten, each group 40 A,
    20 AAAA, 15 CNAME, 10 MX, 10 TXT, 5 delegation records per 100."""
    with open(path, "w") as z:
        z.write("$ORIGIN bench.test.\n$TTL 3600\n"
                "@ SOA ns1 hostmaster 1 14400 3600 1209600 300\n@ NS ns1\nns1 A 127.0.0.1\n")
        n = 0
        i = 0
        while n < records:
            k = i % 20
            if k < 8:  # an address name: A, AAAA for half, MX and TXT for some
                z.write("h%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
                n += 1
                if k < 4:
                    z.write("h%d AAAA 2001:db8::%x:%x\n" % (i, i >> 16, i & 0xffff))
                    n += 1
                if k in (0, 3):
                    z.write("h%d MX 10 mail.h%d\n" % (i, i - k))
                    n += 1
                if k in (1, 2):
                    z.write('h%d TXT "v=spf1 ip4:10.%d.%d.0/24 -all"\n' % (i, (i >> 16) & 255, (i >> 8) & 255))
                    n += 1
            elif k < 11:  # CNAMEs to an address name
                z.write("h%d CNAME h%d\n" % (i, i - k))
                n += 1
            elif k == 11:  # a delegation: NS pair, glue for one in ten
                z.write("d%d NS ns1.d%d\nd%d NS ns.example.net.\n" % (i, i, i))
                n += 2
                if i % 200 == 11:
                    z.write("ns1.d%d A 192.0.2.%d\n" % (i, i % 250 + 1))
                    n += 1
            else:
                z.write("h%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
                n += 1
            i += 1


if sys.argv[1] == "--mixed":
    mixed(int(sys.argv[2]), sys.argv[3])
    sys.exit(0)
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
