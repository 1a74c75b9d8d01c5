#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate the differential test's query corpus from the zone files.

usage: gen_corpus.py ZONEDIR OUT.jsonl [--seed N] [--tcp-sample N]

Writes one JSON object per line:
  {"id": 4711, "name": "WwW.diff.test.", "type": "A", "edns": 1232,
   "do": false, "rd": false, "cd": false, "ad": false, "ednsver": 0,
   "tcp": false, "cat": "owner/plain"}
"edns" is the advertised UDP payload size, or null for a query without
EDNS. Rare fields appear only where set: "class" (default IN), "opcode"
(default 0, QUERY), "ixfr" (the SOA serial an IXFR query carries). "name" is in presentation format with RFC 1035 escapes. "cat" says
why the query is in the corpus; compare.py groups its findings by it.

The output depends on the zone files and the seed only (the zones are
walked in sorted order and every random choice comes from one seeded
generator), so a finding can be replayed from the same corpus line.

What is covered:
  - every owner and every empty non-terminal with the common types, ANY
    and an unknown type, three times: EDNS 1232 with the name as written,
    EDNS 4096 in random 0x20 case, and without EDNS (512 octets, RD set);
  - names one and two labels below every owner and empty non-terminal
    (wildcard hits, NXDOMAIN, and referrals below the cuts);
  - wildcard hits with one to three labels in place of the asterisk;
  - random names that do not exist, and names in no served zone;
  - every large RRset at 512 octets (no EDNS, EDNS 512 and EDNS 100,
    which RFC 6891 section 6.2.5 says to treat as 512) so that TC is set;
  - header and EDNS variants: RD, CD, AD (RFC 6840 section 5.7), DO, and
    EDNS version 1 (BADVERS);
  - the odd questions at a few names: meta and DNSSEC types, classes other
    than IN, opcodes other than QUERY, AXFR and IXFR over UDP and TCP;
  - below every DNAME owner (RFC 6672): substitutions just within and just
    over 255 octets (YXDOMAIN), and the common types two labels below;
  - a sample of the whole corpus again over TCP.
"""
import json
import os
import random
import sys

import dns.name
import dns.rdatatype
import dns.zone

# The types asked at every owner. TYPE65280 is from the private-use range
# (RFC 6895 section 3.1): one owner in diff.test has it, every other name
# must answer NODATA for it; TYPE1234 is unassigned and nowhere.
TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "SRV", "DS", "CAA",
         "PTR", "HINFO", "ANY", "TYPE65280", "TYPE1234"]
# Fewer types below the owners: what matters there is the name's kind
# (wildcard, NXDOMAIN, referral), and the type choice of each kind.
BELOW_TYPES = ["A", "AAAA", "TXT", "MX", "NS", "DS", "CNAME", "ANY", "TYPE65280"]
NX_TYPES = ["A", "TXT", "MX", "NS", "DS", "SOA", "ANY"]
# Names in no zone we serve: every server must refuse them (RFC 1034 4.3.2
# step 2 does not apply; an authoritative-only server has no answer).
OUTSIDE = ["www.not-served.example.", "test.", ".", "evil.", "com.",
           "xdiff.test.", "diff.test.evil."]
# Types that are not data: reserved 0, the OPT pseudo-type, the DNSSEC
# types of an unsigned zone, TKEY/TSIG (only meaningful with TSIG), the
# obsolete MAILA/MAILB meta types, and a type from the top of the range.
META_TYPES = ["TYPE0", "OPT", "RRSIG", "NSEC", "DNSKEY", "NSEC3", "NSEC3PARAM",
              "TKEY", "TSIG", "MAILA", "MAILB", "TYPE65535"]
# Classes other than IN (RFC 1035 3.2.4, RFC 2136 for NONE, RFC 6895 3.2)
# and opcodes other than QUERY (RFC 6895 2.2; 3 and 6-15 are unassigned).
CLASSES = ["CH", "HS", "NONE", "ANY", "CLASS42"]
OPCODES = [1, 2, 3, 4, 5, 6, 15]


def load_zones(zonedir):
    """[(apex, zone)] for every ZONEDIR/<name>.zone, sorted by name."""
    zones = []
    for f in sorted(os.listdir(zonedir)):
        if f.endswith(".zone"):
            apex = dns.name.from_text(f[: -len(".zone")])
            zones.append((apex, dns.zone.from_file(os.path.join(zonedir, f), origin=apex,
                                                   relativize=False)))
    return zones


def classify(apex, zone):
    """{name: kind} for every owner and empty non-terminal of ZONE. The kind
    is one of apex, cut, occluded (at or below a cut: glue, or data a cut
    hides), cname, wildcard, ent, plain."""
    owners = set(zone.nodes.keys())
    cuts = {n for n in owners if n != apex and zone.get_rdataset(n, "NS") is not None}
    names = set(owners)
    for n in owners:
        p = n.parent()
        while p != apex and p.is_subdomain(apex):
            names.add(p)
            p = p.parent()
    kinds = {}
    for n in names:
        if n == apex:
            kinds[n] = "apex"
        elif n in cuts:
            kinds[n] = "cut"
        elif any(n.is_subdomain(c) for c in cuts):
            kinds[n] = "occluded"
        elif n not in owners:
            kinds[n] = "ent"
        elif n.is_wild():
            kinds[n] = "wildcard"
        elif zone.get_rdataset(n, "CNAME") is not None:
            kinds[n] = "cname"
        else:
            kinds[n] = "plain"
    return kinds


def random_case(rng, name):
    """NAME with every ASCII letter in random case (draft-vixie-dnsext-dns0x20)."""
    labels = []
    for label in name.labels:
        labels.append(bytes(c ^ 0x20 if (65 <= c <= 90 or 97 <= c <= 122) and rng.random() < 0.5
                            else c for c in label))
    return dns.name.Name(labels)


def child(labels, name):
    """NAME with LABELS prepended, or None when that would exceed 255 octets."""
    try:
        return dns.name.Name(tuple(labels) + name.labels)
    except dns.name.NameTooLong:
        return None


def random_label(rng, n=8):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n)).encode()


def generate(zonedir, seed=20261124, tcp_sample=500):
    rng = random.Random(seed)
    out = []

    def add(name, qtype, cat, edns=1232, rd=False, do=False, cd=False, ad=False, ednsver=0,
            qclass="IN", opcode=0, tcp=False, ixfr=None):
        q = dict(name=name.to_text(), type=qtype, edns=edns, do=do, rd=rd, cd=cd, ad=ad,
                 ednsver=ednsver, tcp=tcp, cat=cat)
        # Rare fields only where they are set: the common line stays short.
        if qclass != "IN":
            q["class"] = qclass
        if opcode:
            q["opcode"] = opcode
        if ixfr is not None:
            q["ixfr"] = ixfr  # the serial of the IXFR query's authority SOA
        out.append(q)

    def three_ways(name, qtype, cat):
        add(name, qtype, cat)
        add(random_case(rng, name), qtype, cat, edns=4096)
        add(name, qtype, cat, edns=None, rd=True)

    big = []  # owners of RRsets over 512 octets
    for apex, zone in load_zones(zonedir):
        kinds = classify(apex, zone)
        for name in sorted(kinds):
            kind = kinds[name]
            node = zone.nodes.get(name)
            # An RRset whose records (a compressed owner, 10 octets of type,
            # class, TTL and length, and the RDATA each) come near 512 octets.
            if node is not None and any(sum(12 + len(rd.to_digestable()) for rd in rds) > 400
                                        for rds in node.rdatasets):
                big.append((name, [dns.rdatatype.to_text(rds.rdtype) for rds in node.rdatasets]))
            for t in TYPES:
                three_ways(name, t, "%s/%s" % ("owner", kind))
            if kind == "wildcard":
                # Hits with one, two and three labels in place of the '*'.
                base = dns.name.Name(name.labels[1:])
                for k in (1, 2, 3):
                    hit = child([random_label(rng, 5) for _ in range(k)], base)
                    if hit is None:
                        continue
                    for t in TYPES:
                        add(hit, t, "wildcard-hit/%d" % k)
                        add(random_case(rng, hit), t, "wildcard-hit/%d" % k, edns=None, rd=True)
            for depth in (1, 2):
                below = child([random_label(rng, 6) for _ in range(depth)], name)
                if below is None:
                    continue
                for t in BELOW_TYPES:
                    add(below, t, "below%d/%s" % (depth, kind))
                    if rng.random() < 0.5:
                        add(random_case(rng, below), t, "below%d/%s" % (depth, kind), edns=None)
        for i in range(40):
            n = child([random_label(rng, rng.randint(1, 12))], apex)
            add(random_case(rng, n) if i % 2 else n, rng.choice(NX_TYPES), "nxdomain",
                edns=rng.choice([None, 1232, 4096]))
    for text in OUTSIDE:
        for t in ("A", "SOA", "NS", "ANY"):
            add(dns.name.from_text(text), t, "outside")

    # 512-octet limits on every large RRset: without EDNS, with EDNS 512,
    # and with EDNS 100 (below 512: treated as 512, RFC 6891 6.2.5). ANY
    # too: if the server's pick of one RRset is a large one, it truncates.
    for name, types in big:
        for t in types + ["ANY"]:
            for edns in (None, 512, 100, 1232):
                add(name, t, "large", edns=edns)
                add(random_case(rng, name), t, "large", edns=edns, rd=True)

    # Header and EDNS variants, each on a random sample of what is there.
    base = list(out)
    for q in rng.sample(base, 300):
        out.append(dict(q, rd=True, cat="flag-rd/" + q["cat"]))
    for q in rng.sample(base, 200):
        out.append(dict(q, cd=True, cat="flag-cd/" + q["cat"]))
    for q in rng.sample(base, 150):
        out.append(dict(q, ad=True, cat="flag-ad/" + q["cat"]))
    for q in rng.sample(base, 200):
        out.append(dict(q, edns=q["edns"] or 1232, do=True, cat="edns-do/" + q["cat"]))
    for q in rng.sample(base, 200):
        out.append(dict(q, edns=512, cat="edns-512/" + q["cat"]))
    for q in rng.sample(base, 10):
        out.append(dict(q, edns=1232, ednsver=1, cat="edns-version1"))

    # The odd questions (after the variants above: RD or CD on an UPDATE
    # says nothing), at a few names of each kind: every apex, a plain
    # name, a name that does not exist, a wildcard hit and a name below a
    # delegation.
    apexes = [apex for apex, _ in load_zones(zonedir)]
    odd = apexes + [dns.name.from_text(n) for n in
                    ("www.diff.test.", "nothere.diff.test.", "hit.wild.diff.test.", "host.sub.diff.test.")]
    for name in odd:
        for t in META_TYPES:
            add(name, t, "meta-type")
            add(name, t, "meta-type", tcp=True)
        for c in CLASSES:
            for t in ("A", "SOA", "ANY"):
                add(name, t, "qclass/" + c, qclass=c)
        for op in OPCODES:
            add(name, "SOA", "opcode/%d" % op, opcode=op)
    # DNAME (RFC 6672): the names one and two labels below every owner come
    # from the loops above; here, for every DNAME owner, substitutions just
    # within and just over 255 octets (YXDOMAIN, RFC 6672 2.2), each type
    # class of answer, and the same in random case.
    for apex, zone in load_zones(zonedir):
        for name in sorted(zone.nodes):
            rds = zone.get_rdataset(name, "DNAME")
            if rds is None:
                continue
            target = len(rds[0].target.to_wire())
            for over in (-1, 0, 1, 9):
                # A prefix of PREFIX octets: the substitution is
                # PREFIX + target long, 255 + OVER.
                prefix = 255 + over - target
                room = 255 - len(name.to_wire())
                if prefix < 2 or prefix > room:
                    continue
                labels = []
                while prefix > 0:
                    n = min(63, prefix - 1) if prefix - 1 <= 63 or prefix - 64 >= 2 else prefix - 3
                    labels.append(random_label(rng, n))
                    prefix -= n + 1
                long = child(labels, name)
                if long is None:
                    continue
                for t in ("A", "CNAME", "DNAME", "TXT"):
                    add(long, t, "dname-length/%+d" % over)
                    add(random_case(rng, long), t, "dname-length/%+d" % over, edns=None, rd=True)
            for t in ("A", "AAAA", "MX", "TXT", "CNAME", "DNAME", "NS", "SOA", "DS", "ANY"):
                add(child([b"www"], name), t, "dname-below")
                add(random_case(rng, child([b"host", b"x"], name)), t, "dname-below", tcp=True)

    # Zone transfers from a server that allows none (RFC 5936): AXFR and
    # IXFR (RFC 1995) over TCP, and over UDP.
    for apex in apexes:
        for tcp in (False, True):
            add(apex, "AXFR", "xfr", tcp=tcp)
            add(apex, "IXFR", "xfr", tcp=tcp, ixfr=1)

    # The same questions over TCP, where no size limit applies.
    for q in rng.sample([q for q in out if not q["tcp"]], tcp_sample):
        out.append(dict(q, tcp=True, cat="tcp/" + q["cat"]))

    for i, q in enumerate(out):
        # A fixed ID per query: the corpus replays byte for byte.
        q["id"] = (i * 7919 + 1) & 0xFFFF
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20261124
    tcp = int(sys.argv[sys.argv.index("--tcp-sample") + 1]) if "--tcp-sample" in sys.argv else 500
    qs = generate(sys.argv[1], seed, tcp)
    with open(sys.argv[2], "w") as f:
        for q in qs:
            f.write(json.dumps(q, sort_keys=True) + "\n")
    cats = {}
    for q in qs:
        top = q["cat"].split("/")[0]
        cats[top] = cats.get(top, 0) + 1
    print("corpus: %d queries (%s)" % (len(qs), ", ".join("%s %d" % kv for kv in sorted(cats.items()))))


if __name__ == "__main__":
    main()
