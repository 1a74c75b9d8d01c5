#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Judge one `dnsviz grok` report: dv_check.py LABEL GROK_JSON ZONE [--only CODE,...]

Prints "ok: ..." and "FAIL: ..." lines and exits 1 on any failure:

- any "errors" or "warnings" entry anywhere in the report (each printed
  with where it was found, its code and its description);
- the zone's SOA not answered by both 127.0.0.2 and 127.0.0.3;
- no delegation analysis, or glue that differs from the servers' own A
  records for ns1 and ns2 (dnsviz leaves these checks out when the servers
  are given with -x instead of a delegation with -N: this proves they ran).

With --only CODE,... the report must hold exactly these codes and nothing
else (the test's negative control: grok without -P).
"""
import json
import sys

SERVERS = {"ns1": "127.0.0.2", "ns2": "127.0.0.3"}


def findings(obj, path, out):
    """Collect (path, code, description) of every error and warning."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("errors", "warnings") and isinstance(v, list):
                for e in v:
                    out.append(("%s/%s" % (path, k), e.get("code", "?"), e.get("description", json.dumps(e))))
            else:
                findings(v, "%s/%s" % (path, k), out)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            findings(v, "%s[%d]" % (path, i), out)
    return out


def main(argv):
    only = None
    if "--only" in argv:
        i = argv.index("--only")
        only = sorted(argv[i + 1].split(","))
        argv = argv[:i] + argv[i + 2:]
    label, report_file, zone = argv[1], argv[2], argv[3].rstrip(".") + "."
    d = json.load(open(report_file))
    fails = 0

    def report(good, what):
        nonlocal fails
        print(("ok: " if good else "FAIL: ") + label + ": " + what)
        fails += 0 if good else 1

    found = findings(d, "", [])
    if only is not None:
        codes = sorted({code for _, code, _ in found})
        report(codes == only, "grok reports exactly %s (got %s)" % (" ".join(only), " ".join(codes) or "nothing"))
        return 1 if fails else 0
    for where, code, desc in found:
        report(False, "%s %s: %s" % (where, code, desc))
    report(not found, "no warning or error in grok's report")

    z = d.get(zone, {})
    soa = z.get("queries", {}).get(zone + "/IN/SOA", {}).get("answer", [])
    got = sorted(soa[0]["servers"]) if soa else []
    report(got == sorted(SERVERS.values()), "SOA answered by both servers (%s)" % " ".join(got))

    report("status" in z.get("delegation", {}), "delegation analysed (status %s)" % z.get("delegation", {}).get("status"))
    servers = z.get("zone", {}).get("servers", {})
    for ns, ip in SERVERS.items():
        s = servers.get("%s.%s" % (ns, zone), {})
        report(s.get("glue") == [ip] and s.get("auth") == [ip],
               "%s.%s: glue %s, zone's own A %s, wanted %s" % (ns, zone, s.get("glue"), s.get("auth"), ip))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
