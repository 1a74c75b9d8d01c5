#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send the differential corpus to NSD, Knot and routerd; compare the answers.

usage: compare.py CORPUS.jsonl --nsd PORT [--knot PORT] [--routerd PORT]
                  [--host ADDR] [--examples N] [--replay ID]

Without --routerd it compares the two references only (useful while
working on the zones). --replay ID sends the one corpus query with that ID.

What is compared, per query (a "field" each):
  rcode     the RCODE, extended by the OPT record's upper bits (BADVERS)
  flags     the opcode and QR AA TC RD RA AD CD
  question  the question section, octet for octet with the case it was sent
            in (resolvers using 0x20 case randomisation match it exactly);
            checked against the query, so it cannot hide behind the other
            server doing the same
  answer, authority, additional
            each a multiset of records, order-insensitive: owner names
            without regard to case (compression may point into the query
            name, whatever its case), TTLs exactly, RDATA in the canonical
            form of RFC 4034 6.2 (domain names inside lowercased, for the
            same reason; TXT and other strings exact). The OPT record is
            not part of the additional section here
  edns      presence of an OPT record, its version, the DO bit (RFC 3225 3:
            copied from the query), and the option codes (EDE with its
            INFO-CODE, RFC 8914)
  payload   the UDP payload size the server advertises in its OPT record
A server that does not answer (three tries) or sends what does not parse
differs on the field "reply".

The verdict: routerd is held to NSD (minimal-responses: yes, refuse-any:
no) on every field, and a difference fails the test (exit 1), except on the
few fields where NSD is not RFC-correct (NSD_DEVIATIONS: routerd is held to
Knot there, or to a listed value). Where NSD and Knot give the same value
for a field, routerd must give it too. Where NSD and Knot differ, the
query also counts as an informational NSD-vs-Knot difference.

What the references do, checked on NSD 4.6.1 and Knot 3.2.6:
  - TC: a UDP answer that does not fit the requester's limit (512 octets
    without EDNS, RFC 1035 4.2.1; max(512, the EDNS payload) with EDNS,
    RFC 6891 6.2.5) comes back with TC set, the question, an OPT record if
    the query had one, and empty answer, authority and additional sections:
    neither server sends part of an RRset. That is deterministic, so TC
    answers are compared on every field like any other.
  - ANY (RFC 8482 4.1): both answer with one RRset, on UDP and TCP alike,
    or NODATA when the name has none. NSD (query.c, answer_domain) walks the
    node's RRsets in the order their types first appear in the zone file
    and takes the first of A, AAAA, SOA, MX, PTR; failing that the last of
    the others in that order (DNSKEY, RRSIG and NSEC only when nothing else
    is there). Knot takes the RRset with the lowest type number. routerd
    is held to NSD's choice.
  - CD and AD: both clear them in every answer (no DNSSEC here; RFC 4035
    3.1.6 and RFC 6840 5.7 leave both bits to validating resolvers).
  - EDNS: both advertise a 1232-octet payload, copy DO, and answer EDNS
    version 1 with BADVERS and an OPT record of version 0 (RFC 6891
    6.1.3). A name in no served zone is REFUSED by both, with EDE 20 (Not
    Authoritative, RFC 8914 4.21) when the query had EDNS.
  - Meta types: both answer NODATA for OPT, RRSIG, NSEC, DNSKEY, NSEC3,
    NSEC3PARAM, TKEY, TSIG, MAILA, MAILB at an existing name; QTYPE 0 is
    NODATA for NSD and NOTIMP for Knot. AXFR over UDP is NOTIMP for both.

Where NSD and Knot differ on these zones (informational, KNOWN_CLASSES
below; every run prints its own tally with examples):
  - knot-additional: Knot has no minimal-responses mode; it adds the A and
    AAAA of in-zone MX, SRV and NS targets to authoritative answers, NSD
    adds nothing outside referrals. Additional data is optional (RFC 1034
    4.3.2 step 6; RFC 2181 9), so both are right; routerd follows NSD.
  - any-choice: a different single RRset for ANY (see above). Both follow
    RFC 8482; routerd follows NSD.
  - cname-cross-zone: NSD follows a CNAME into another zone it serves
    (RFC 1034 4.3.2 step 3a: start again with the canonical name), down to
    a NODATA or NXDOMAIN there with that zone's SOA and the final rcode
    (RFC 6604 2.1); Knot stops at the CNAME. NSD's is the RFC 1034
    algorithm; Knot's is allowed (the resolver restarts the query).
    routerd follows NSD.
  - qclass: classes other than IN. For HS, NONE and unassigned classes
    NSD answers REFUSED without the question (and with EDE 21, Not
    Supported), Knot REFUSED with it; CH is REFUSED by both (NSD with EDE
    21). For QCLASS * (ANY, 255) both answer from the IN data, NSD without
    AA (RFC 6895 3.2: such an answer is authoritative only if the server
    knows every class) and without the SOA of a NODATA, Knot with AA.
  - opcode: IQUERY, STATUS and unassigned opcodes get NOTIMP from both;
    NSD drops the question and the OPT record, Knot keeps both. NOTIFY:
    REFUSED at an apex and NXDOMAIN elsewhere from NSD, NOTAUTH from Knot;
    UPDATE: NOTIMP from NSD, NOTAUTH from Knot.
  - xfr: AXFR/IXFR over TCP (and IXFR over UDP) from a server that allows
    none: REFUSED with EDE 18 (Prohibited) from NSD, NOTAUTH from Knot.
  - meta-type: QTYPE 0 (see above).
  - dname: DNAME corners (RFC 6672), where Knot 3.2 is the odd one out:
    NSD adds EDE 0 (Other) to YXDOMAIN, Knot no option; a substitution of
    exactly 256 octets and more is YXDOMAIN for NSD, NXDOMAIN with the SOA
    for Knot when the target's zone is ours; a truncated answer keeps the
    final rcode with NSD (NXDOMAIN), NOERROR with Knot; below a literal
    '*' owner of a DNAME, Knot writes the DNAME with the query name as its
    owner, NSD with its own owner. routerd follows NSD.
Any other NSD-vs-Knot difference is printed as "unexplained".
"""
import json
import socket
import struct
import sys
import time
from collections import Counter, defaultdict

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

# NSD-vs-Knot classes: name -> what it is (see the docstring for the RFCs).
KNOWN_CLASSES = {
    "knot-additional": "Knot adds the addresses of MX/SRV/NS targets; NSD is minimal",
    "any-choice": "ANY: NSD's first preferred RRset in file order, Knot's lowest type",
    "cname-cross-zone": "NSD follows a CNAME into another served zone, Knot stops at the CNAME",
    "qclass": "classes other than IN: question/EDE on REFUSED, AA for QCLASS *",
    "opcode": "opcodes other than QUERY: rcode, question and OPT of the refusal",
    "xfr": "zone transfers refused: REFUSED + EDE 18 (NSD) against NOTAUTH (Knot)",
    "meta-type": "QTYPE 0: NODATA (NSD) against NOTIMP (Knot)",
    "dname": "DNAME corners: EDE on YXDOMAIN, rcode when truncated or too long, '*' owners",
    "outside": "names in no served zone",
    "unexplained": "not one of the documented classes: look at the examples",
}

# Where NSD's answer is not the RFC-correct one: (category prefix, field,
# what routerd must give instead, why). "Knot" means Knot's value; a set
# lists the values accepted besides NSD's. Everything else is held to NSD.
NSD_DEVIATIONS = [
    ("opcode/", "edns", "Knot",
     "NSD answers other opcodes without an OPT record; RFC 6891 6.1.1: a responder MUST "
     "include one when the request had one (Knot does)"),
    ("opcode/", "payload", "Knot", "follows from the OPT record above"),
    ("opcode/", "question", "Knot",
     "NSD's NOTIMP/REFUSED to other opcodes drop the question; a resolver matches an answer "
     "by its question (RFC 5452 9.1), Knot echoes it"),
    ("qclass/", "question", "Knot",
     "NSD's REFUSED to classes HS, NONE and unknown ones drop the question (RFC 5452 9.1), "
     "Knot echoes it"),
    ("opcode/4", "rcode", {"NOTIMP"},
     "NOTIFY: NSD implements it and refuses it (REFUSED, or NXDOMAIN below the apex); a server "
     "that implements no NOTIFY answers NOTIMP (RFC 1035 4.1.1, RFC 1996 has no other rule)"),
    ("opcode/5", "rcode", {"NOTIMP"}, "UPDATE: as NOTIFY; NSD itself says NOTIMP"),
]

# Corpus category prefixes that only say how a query was varied.
VARIANTS = ("tcp", "flag-rd", "flag-cd", "flag-ad", "edns-do", "edns-512")

FLAGS = [("qr", dns.flags.QR), ("aa", dns.flags.AA), ("tc", dns.flags.TC), ("rd", dns.flags.RD),
         ("ra", dns.flags.RA), ("z", 0x0040), ("ad", dns.flags.AD), ("cd", dns.flags.CD)]
FIELDS = ["rcode", "flags", "question", "answer", "authority", "additional", "edns", "payload"]


def make_query(q):
    name = dns.name.from_text(q["name"])
    edns = q["edns"] is not None
    rdclass = dns.rdataclass.from_text(q.get("class", "IN"))
    m = dns.message.make_query(name, dns.rdatatype.from_text(q["type"]), rdclass,
                               use_edns=q["ednsver"] if edns else False,
                               payload=q["edns"] if edns else 0, want_dnssec=q["do"])
    m.id = q["id"]
    m.flags = 0
    for flag, bit in (("rd", dns.flags.RD), ("cd", dns.flags.CD), ("ad", dns.flags.AD)):
        if q[flag]:
            m.flags |= bit
    m.set_opcode(q.get("opcode", 0))
    if "ixfr" in q:
        m.authority.append(dns.rrset.from_text(name, 0, rdclass, "SOA",
                                               ". . %d 0 0 0 0" % q["ixfr"]))
    return m


def exchange(wire, tcp, host, port, timeout=2.0, tries=3):
    """Send WIRE over UDP or TCP; the raw reply, or None after TRIES timeouts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(tries):
        s = socket.socket(family, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            s.connect((host, port))
            if tcp:
                s.sendall(struct.pack("!H", len(wire)) + wire)
                buf = b""
                while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                    chunk = s.recv(65537)
                    if not chunk:
                        break
                    buf += chunk
                if len(buf) >= 2:
                    return buf[2:2 + struct.unpack("!H", buf[:2])[0]]
            else:
                s.send(wire)
                while True:  # skip a late reply to an earlier try
                    data = s.recv(65535)
                    if data[:2] == wire[:2]:
                        return data
        except OSError:  # timeouts and refused connections: try again
            time.sleep(0.05)
        finally:
            s.close()
    return None


def canon_rr(name, ttl, rd):
    try:
        digest = rd.to_digestable()
        text = dns.rdata.from_wire(rd.rdclass, rd.rdtype, digest, 0, len(digest)).to_text()
    except Exception:
        text = rd.to_text()
    return "%s %d %s %s" % (name.to_text().lower(), ttl, dns.rdatatype.to_text(rd.rdtype), text)


def section(rrsets):
    return tuple(sorted(canon_rr(r.name, r.ttl, rd) for r in rrsets for rd in r
                        if r.rdtype != dns.rdatatype.OPT))


def wire_question(wire):
    """The question section's raw octets (the name as sent, type, class)."""
    if wire is None or len(wire) < 12 or struct.unpack("!H", wire[4:6])[0] == 0:
        return None
    i = 12
    while i < len(wire) and wire[i] != 0:
        if wire[i] & 0xC0:
            return wire[12:i + 2]
        i += wire[i] + 1
    return wire[12:i + 5]


def normalize(wire, sent):
    """The compared fields of a reply; {"reply": why} if there is none."""
    if wire is None:
        return {"reply": "no answer (3 tries)"}
    if wire[:2] != sent[:2]:
        return {"reply": "an answer with another ID"}
    if len(wire) < 12:
        return {"reply": "shorter than a header: %r" % wire}
    # The header by hand: dnspython refuses unassigned opcodes, so they are
    # read here and zeroed for the parse of the sections.
    hflags = struct.unpack("!H", wire[2:4])[0]
    opcode = (hflags >> 11) & 0xF
    try:
        m = dns.message.from_wire(wire[:2] + struct.pack("!H", hflags & ~0x7800) + wire[4:],
                                  ignore_trailing=True, one_rr_per_rrset=True)
    except Exception as e:
        return {"reply": "unparseable: %s: %s" % (type(e).__name__, e)}
    q = wire_question(wire)
    try:
        optext = dns.opcode.to_text(opcode)
    except ValueError:
        optext = "OPCODE%d" % opcode
    f = {
        "reply": "ok",
        "rcode": dns.rcode.to_text(m.rcode()),
        "flags": "%s %s" % (optext, " ".join(n for n, b in FLAGS if hflags & b)),
        "question": "echoed" if q == wire_question(sent) else "NOT echoed: %r" % (q,),
        "answer": section(m.answer),
        "authority": section(m.authority),
        "additional": section(m.additional),
        "edns": "none",
        "payload": "-",
    }
    if m.edns >= 0:
        opts = sorted("EDE(%d)" % o.code if o.otype == dns.edns.EDE else dns.edns.OptionType.to_text(o.otype)
                      for o in m.options)
        f["edns"] = "v%d do=%d opts=[%s]" % (m.edns, 1 if m.ednsflags & dns.flags.DO else 0, " ".join(opts))
        f["payload"] = str(m.payload)
    return f


def strip_variants(cat):
    """CAT without the prefixes that only say how the query was varied."""
    parts = cat.split("/")
    while parts and parts[0] in VARIANTS:
        parts = parts[1:]
    return "/".join(parts)


def deviation_fields(q):
    """The fields on which routerd is held to Knot rather than NSD."""
    c = strip_variants(q["cat"])
    return [fld for prefix, fld, want, _ in NSD_DEVIATIONS if c.startswith(prefix) and want == "Knot"]


def deviation_ok(q, fld, r):
    """Is routerd's FLD right by a documented NSD deviation?"""
    for prefix, dfld, want, _ in NSD_DEVIATIONS:
        if dfld != fld or not strip_variants(q["cat"]).startswith(prefix):
            continue
        got = r["routerd"].get(fld)
        if want == "Knot":
            return "Knot" in r and r["Knot"].get("reply") == "ok" and got == r["Knot"].get(fld)
        return got == r["NSD"].get(fld) or got in want
    return False


def diff_fields(a, b):
    """The fields on which two normalized replies differ."""
    if a.get("reply") != "ok" or b.get("reply") != "ok":
        return [] if a == b else ["reply"]
    return [k for k in FIELDS if a[k] != b[k]]


def kind_of(cat):
    """The query's kind for grouping: its category without the variant
    prefixes, and for owner/below queries the owner's kind too."""
    parts = strip_variants(cat).split("/")
    if parts and parts[0] in ("owner", "below1", "below2", "qclass"):
        return "/".join(parts[:2])
    return parts[0] if parts else cat


def nsd_knot_class(q, nsd, knot, fields):
    """Which documented class an NSD-vs-Knot difference belongs to."""
    kind = kind_of(q["cat"])
    if kind.split("/")[0] in ("qclass", "opcode", "xfr", "meta-type", "outside"):
        return kind.split("/")[0]
    if fields == ["additional"] and not nsd["additional"] and \
            all(rr.split()[2] in ("A", "AAAA") for rr in knot["additional"]):
        return "knot-additional"
    if q["type"] == "ANY" and set(fields) <= {"answer", "additional"}:
        return "any-choice"
    cname = [rr for rr in knot["answer"] if rr.split()[2] == "CNAME"]
    if cname and set(fields) <= {"answer", "authority", "rcode", "additional"}:
        # Knot's chain ends in a CNAME to a name it did not follow; NSD's
        # answer holds that same chain and goes on.
        if all(rr in nsd["answer"] for rr in knot["answer"]):
            return "cname-cross-zone"
    if any(rr.split()[2] == "DNAME" for rr in nsd["answer"] + knot["answer"]):
        return "dname"
    return "unexplained"


def describe(q):
    flags = "".join(" +" + f for f in ("rd", "cd", "ad", "do") if q[f])
    if "class" in q:
        flags += " class " + q["class"]
    if "opcode" in q:
        flags += " opcode %d" % q["opcode"]
    if "ixfr" in q:
        flags += " ixfr-serial %d" % q["ixfr"]
    if q["edns"] is None:
        edns = "noedns"
    else:
        edns = "edns%s=%d" % ("-v%d" % q["ednsver"] if q["ednsver"] else "", q["edns"])
    return "#%d %s %s %s%s %s [%s]" % (q["id"], q["name"], q["type"], edns, flags,
                                       "tcp" if q["tcp"] else "udp", q["cat"])


def show(label, f, fields):
    if f.get("reply") != "ok":
        return "   %s: %s" % (label, f.get("reply"))
    lines = ["   %s: %s, %s, question %s, edns %s payload %s" % (
        label, f["rcode"], f["flags"], f["question"], f["edns"], f["payload"])]
    for sec in ("answer", "authority", "additional"):
        if f[sec] or sec in fields:
            lines.append("     %s%s:" % (sec, " (differs)" if sec in fields else ""))
            lines.extend("       " + rr for rr in f[sec][:12])
            if len(f[sec]) > 12:
                lines.append("       ... %d more" % (len(f[sec]) - 12))
    return "\n".join(lines)


def report(title, classes, labels, nexamples, notes=None):
    n = sum(len(v) for v in classes.values())
    print("\n=== %s: %d queries in %d classes" % (title, n, len(classes)))
    for key, items in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        types = Counter(q["type"] for q, _ in items)
        kinds = Counter(kind_of(q["cat"]) for q, _ in items)
        print("\n--- %s: %d queries" % (" ".join(key), len(items)))
        print("    types: %s" % ", ".join("%s %d" % kv for kv in sorted(types.items())))
        qnames = sorted({q["name"].lower() for q, _ in items})
        print("    names: %s%s" % (" ".join(qnames[:8]), " and %d more" % (len(qnames) - 8) if len(qnames) > 8 else ""))
        if len(kinds) > 1:
            print("    kinds: %s" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
        if notes and key[0] in notes:
            print("    %s" % notes[key[0]])
        for q, r, fields in ((q, r, key[-1].strip("[]").split(",")) for q, r in items[:nexamples]):
            print(" " + describe(q))
            for label in labels:
                print(show(label, r[label], fields))


def opt(name, default=None, conv=str):
    return conv(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def main():
    if len(sys.argv) < 2 or "--nsd" not in sys.argv:
        sys.exit(__doc__)
    corpus = [json.loads(line) for line in open(sys.argv[1])]
    host = opt("--host", "127.0.0.1")
    servers = [(n, p) for n, p in (("NSD", opt("--nsd", conv=int)), ("Knot", opt("--knot", conv=int)),
                                   ("routerd", opt("--routerd", conv=int))) if p]
    names = [n for n, _ in servers]
    nexamples = opt("--examples", 3, int)
    if "--replay" in sys.argv:
        corpus = [q for q in corpus if q["id"] == opt("--replay", conv=int)]

    nk = defaultdict(list)       # NSD vs Knot (informational)
    nr = defaultdict(list)       # routerd vs NSD (fails)
    kr = defaultdict(list)       # routerd vs Knot where NSD and Knot agree (fails)
    with_nsd = Counter()         # routerd as NSD where Knot differs, by class
    tc = Counter()
    identical = 0
    silent = Counter()  # consecutive unanswered queries per server
    stopped = None
    done = 0
    for n, q in enumerate(corpus):
        wire = make_query(q).to_wire()
        r = {name: normalize(exchange(wire, q["tcp"], host, port), wire) for name, port in servers}
        for name in names:
            silent[name] = silent[name] + 1 if r[name].get("reply", "").startswith("no answer") else 0
            if silent[name] >= 10:
                # Dead, not slow: 10 queries x 3 tries x 2 s. Stop rather
                # than wait hours for the rest of the corpus.
                stopped = "%s stopped answering (10 queries in a row) at query %d of %d" % (
                    name, n + 1, len(corpus))
        if stopped:
            break
        done += 1
        for name, f in r.items():
            if f.get("reply") == "ok" and "tc" in f["flags"].split():
                tc[name] += 1
        kind = kind_of(q["cat"])
        agreed = set(FIELDS)
        nkclass = None
        if "Knot" in r:
            d = diff_fields(r["NSD"], r["Knot"])
            agreed -= set(d)
            if d:
                nkclass = nsd_knot_class(q, r["NSD"], r["Knot"], d) if "reply" not in d else "unexplained"
                nk[(nkclass, "[%s]" % ",".join(d))].append((q, r))
        if "routerd" not in r:
            continue
        d = [fld for fld in diff_fields(r["NSD"], r["routerd"]) if not deviation_ok(q, fld, r)]
        # A documented deviation can also fail where NSD and routerd agree.
        d += [fld for fld in deviation_fields(q) if fld not in d and r["routerd"].get("reply") == "ok"
              and not deviation_ok(q, fld, r)]
        # No blanket "Knot's answer will do where the references differ":
        # routerd is held to NSD there too (the contract is minimal-responses
        # NSD), except on the fields of NSD_DEVIATIONS, where NSD is not
        # RFC-correct. Where both references are right (the additional
        # section, CNAMEs into other zones), routerd follows NSD. One
        # exception: which single RRset answers ANY. RFC 8482 4.1 leaves the
        # choice to the server; NSD's depends on zone-file order, which
        # routerd does not keep, so Knot's choice (the lowest type) is
        # accepted there, and only there.
        if d and nkclass == "any-choice" and set(d) <= {"answer", "additional"} and \
                not diff_fields(r["Knot"], r["routerd"]):
            d = []
        if d:
            nr[(kind, "[%s]" % ",".join(d))].append((q, r))
        else:
            identical += 1
        if "Knot" in r:
            dk = [fld for fld in diff_fields(r["Knot"], r["routerd"]) if fld in agreed or fld == "reply"]
            if dk:
                kr[(kind, "[%s]" % ",".join(dk))].append((q, r))
            elif nkclass and not d:
                with_nsd[nkclass] += 1

    if stopped:
        print("STOPPED: %s" % stopped)
    print("corpus %s: %d queries (%d over TCP), servers %s; TC answers: %s" % (
        sys.argv[1], len(corpus), sum(1 for q in corpus if q["tcp"]),
        ", ".join("%s :%d" % s for s in servers), ", ".join("%s %d" % (n, tc[n]) for n in names)))
    if "Knot" in names:
        report("NSD vs Knot differences (informational)", nk, ("NSD", "Knot"), nexamples, KNOWN_CLASSES)
    if "routerd" not in names:
        if stopped:
            print("\nSTOPPED: %s" % stopped)
            sys.exit(1)
        print("\nSUMMARY: %d queries, %d NSD-vs-Knot differences (%s)" % (
            done, sum(len(v) for v in nk.values()),
            ", ".join("%s %d" % kv for kv in sorted(Counter(k[0] for k, v in nk.items() for _ in v).items()))))
        return
    print("\nNSD deviations (routerd is held to Knot, or to the listed values, on these fields):")
    for prefix, fld, want, why in NSD_DEVIATIONS:
        print("  %s %s -> %s: %s" % (prefix, fld, want if want == "Knot" else "NSD or " + "/".join(sorted(want)), why))
    report("routerd vs NSD mismatches", nr, ("NSD", "routerd", "Knot"), nexamples)
    if "Knot" in names:
        report("routerd vs Knot mismatches on fields where NSD and Knot agree", kr, ("Knot", "routerd", "NSD"),
               nexamples)
    nbad_n = sum(len(v) for v in nr.values())
    nbad_k = sum(len(v) for v in kr.values())
    if stopped:
        print("\nSTOPPED: %s" % stopped)
    print("\nSUMMARY: %d queries, %d identical to NSD; %d NSD mismatches in %d classes; "
          "%d Knot mismatches where NSD and Knot agree; %d NSD-vs-Knot differences (informational), "
          "routerd right where they differ: %s" % (
              done, identical, nbad_n, len(nr), nbad_k, sum(len(v) for v in nk.values()),
              ", ".join("%s %d" % kv for kv in sorted(with_nsd.items())) or "none"))
    sys.exit(1 if nbad_n or nbad_k or stopped else 0)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
