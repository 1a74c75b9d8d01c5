#!/usr/bin/python3
"""Differential test: generate a query corpus from the zone files, send it to
a reference server and to routerd, and compare what comes back.

usage: compare.py ZONEDIR REF_PORT ROUTERD_PORT [--min N] [--label NAME]

Compared per query: rcode, the header flags, the answer and authority
sections as sets of records (owner names without regard to case), the
additional section (the glue on referrals; empty otherwise with minimal
responses), and the question echoed with the exact case it was sent in.

ANY is compared by RFC 8482's rules: both servers answer one RRset of the
name. NSD picks the first "preferred" type (A, AAAA, SOA, MX, PTR) in the
order of its internal lists; routerd the lowest-numbered one. The two must
agree on whether a preferred type was chosen, and the RRsets must be equal
when the types are.
"""
import random
import sys
from collections import defaultdict

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.zone

TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "SRV", "DS", "CAA", "PTR", "HINFO", "TYPE65280"]


def load_names(zonedir):
    import os
    names = {}
    for f in sorted(os.listdir(zonedir)):
        if not f.endswith(".zone"):
            continue
        origin = f[: -len(".zone")] + "."
        z = dns.zone.from_file(os.path.join(zonedir, f), origin=origin, relativize=False, check_origin=False)
        owners = set(z.nodes.keys())
        ents = set()
        apex = dns.name.from_text(origin)
        for n in owners:
            p = n.parent()
            while p != apex and p.is_subdomain(apex) and p not in owners:
                ents.add(p)
                p = p.parent()
        names[apex] = (sorted(owners), sorted(ents))
    return names


def random_case(rng, name):
    text = name.to_text()
    return dns.name.from_text("".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text))


def corpus(zonedir, minimum, seed=20261124):
    rng = random.Random(seed)
    names = load_names(zonedir)
    targets = []
    for apex, (owners, ents) in names.items():
        for n in owners + ents:
            targets.append(n)
            if n.labels[0] != b"*":
                targets.append(dns.name.Name((b"below",) + n.labels))
                targets.append(dns.name.Name((b"two", b"below") + n.labels))
            else:
                # Wildcard hits with one and several labels.
                targets.append(dns.name.Name((b"hit",) + n.labels[1:]))
                targets.append(dns.name.Name((b"a", b"b", b"c") + n.labels[1:]))
        for i in range(20):
            targets.append(dns.name.Name((("nx%d" % i).encode(),) + apex.labels))
    targets.append(dns.name.from_text("www.not-served.example."))
    queries = []
    for n in targets:
        for t in TYPES + ["ANY"]:
            queries.append((n, t))
    out = []
    # Every (name, type) once with the common settings, then random variants
    # until the corpus is large enough.
    for n, t in queries:
        out.append(dict(name=n, type=t, edns=True, payload=1232, rd=False, tcp=False))
        # Without EDNS the limit is 512 bytes: the large RRsets must truncate.
        if t in ("A", "AAAA", "TXT", "MX", "ANY"):
            out.append(dict(name=n, type=t, edns=False, payload=512, rd=True, tcp=False))
    while len(out) < minimum:
        n, t = rng.choice(queries)
        edns = rng.random() < 0.6
        payload = rng.choice([512, 1232, 4096]) if edns else 512
        out.append(dict(name=random_case(rng, n) if rng.random() < 0.7 else n, type=t, edns=edns,
                        payload=payload, rd=rng.random() < 0.5, tcp=rng.random() < 0.1))
    return out


def ask(q, port):
    m = dns.message.make_query(q["name"], q["type"], use_edns=0 if q["edns"] else False,
                               payload=q["payload"])
    if not q["rd"]:
        m.flags &= ~dns.flags.RD
    fn = dns.query.tcp if q["tcp"] else dns.query.udp
    for attempt in range(3):
        try:
            return m, fn(m, "127.0.0.1", port=port, timeout=2, ignore_trailing=True)
        except dns.exception.Timeout:
            continue
    return m, None


def rrset_texts(section):
    out = set()
    for rrset in section:
        for rd in rrset:
            out.add("%s %d %s %s" % (rrset.name.to_text().lower(), rrset.ttl,
                                     dns.rdatatype.to_text(rrset.rdtype), rd.to_text().lower()))
    return out


def rrset_groups(section):
    return {(r.name.to_text().lower(), r.rdtype): rrset_texts([r]) for r in section}


PREFERRED = {dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.SOA, dns.rdatatype.MX, dns.rdatatype.PTR}

FLAGS = [("qr", dns.flags.QR), ("aa", dns.flags.AA), ("tc", dns.flags.TC), ("rd", dns.flags.RD),
         ("ra", dns.flags.RA), ("ad", dns.flags.AD), ("cd", dns.flags.CD)]


def flags_text(r):
    return " ".join(n for n, f in FLAGS if r.flags & f)


def compare(q, sent, ref, ours, knot=False):
    """Return a mismatch class name, or None when the answers agree.
    KNOT: the reference fills the additional section of authoritative
    answers (it has no minimal-responses mode); compare it on referrals only."""
    if ref is None and ours is None:
        return None
    if ref is None or ours is None:
        return "one side did not answer"
    if ours.question and ours.question[0].name.to_text() != sent.question[0].name.to_text():
        return "question case not preserved"
    if ref.rcode() != ours.rcode():
        return "rcode"
    if flags_text(ref) != flags_text(ours):
        return "flags"
    if q["type"] == "ANY":
        ref_groups, our_groups = rrset_groups(ref.answer), rrset_groups(ours.answer)
        if len(ref_groups) != len(our_groups) or len(our_groups) > 1:
            return "ANY: not one RRset"
        for (rk, rv), (ok_, ov) in zip(ref_groups.items(), our_groups.items()):
            if (rk[1] in PREFERRED) != (ok_[1] in PREFERRED):
                return "ANY: a different kind of RRset"
            if rk == ok_ and rv != ov:
                return "ANY: same type, different records"
    elif rrset_texts(ref.answer) != rrset_texts(ours.answer):
        return "answer section"
    if rrset_texts(ref.authority) != rrset_texts(ours.authority):
        return "authority section"
    if knot and ref.flags & dns.flags.AA:
        pass
    elif rrset_texts(ref.additional) != rrset_texts(ours.additional):
        return "additional section (glue)"
    if (ref.edns >= 0) != (ours.edns >= 0):
        return "EDNS presence"
    return None


def main():
    zonedir, ref_port, our_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    minimum = int(sys.argv[sys.argv.index("--min") + 1]) if "--min" in sys.argv else 5000
    label = sys.argv[sys.argv.index("--label") + 1] if "--label" in sys.argv else "reference"
    qs = corpus(zonedir, minimum)
    # --agree-with PORT: a second reference; only queries on which the two
    # references agree count (where NSD and Knot differ, routerd follows NSD).
    other_port = int(sys.argv[sys.argv.index("--agree-with") + 1]) if "--agree-with" in sys.argv else None
    knot = "--knot" in sys.argv
    classes = defaultdict(list)
    disagree = defaultdict(int)
    tcs = 0
    for q in qs:
        sent, ref = ask(q, ref_port)
        if other_port is not None:
            _, other = ask(q, other_port)
            why = compare(q, sent, other, ref, knot=knot)
            if why:
                disagree[why] += 1
                continue
        _, ours = ask(q, our_port)
        if ref is not None and ref.flags & dns.flags.TC:
            tcs += 1
        why = compare(q, sent, ref, ours, knot=knot)
        if why:
            classes[why].append((q, ref, ours))
    bad = sum(len(v) for v in classes.values())
    skipped = sum(disagree.values())
    print("%s vs routerd: %d queries (%d truncated), %d identical, %d different"
          % (label, len(qs) - skipped, tcs, len(qs) - skipped - bad, bad))
    for why, n in sorted(disagree.items()):
        print("   left out, the references disagree (%s): %d queries" % (why, n))
    for why, items in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        print("\n== %s: %d queries" % (why, len(items)))
        for q, ref, ours in items[:3]:
            print("-- %s %s edns=%s payload=%d tcp=%s" % (q["name"], q["type"], q["edns"], q["payload"], q["tcp"]))
            print("   %s:\n%s" % (label, "\n".join("     " + l for l in str(ref).splitlines())))
            print("   routerd:\n%s" % "\n".join("     " + l for l in str(ours).splitlines()))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
