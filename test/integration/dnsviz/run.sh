#!/usr/bin/env bash
# dnsviz probe (authoritative analysis, explicit delegation, no root
# needed) then dnsviz grok on the example zones served by routerd on port 53
# of 127.0.0.2 and 127.0.0.3. Any "warning" or "error" in grok's report
# fails the test. The zones are unsigned: dnsviz reports that as a status,
# not as a warning.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
serve_example_zones
for zone in example.com example.org; do
	ns="ns1.$zone=127.0.0.2,ns2.$zone=127.0.0.3"
	timeout 300 $PY "$here/loopback_probe.py" probe -A -a $zone -x "$zone:$ns" -N "$zone:$ns" $zone \
		>"$T_DIR/$zone.probe.json" 2>"$T_DIR/$zone.probe.log"
	expect_eq "dnsviz probe of $zone exits 0" "$?" "0"
	timeout 120 dnsviz grok <"$T_DIR/$zone.probe.json" >"$T_DIR/$zone.grok.json"
	$PY - "$T_DIR/$zone.grok.json" "$zone" <<'PY' || T_FAILS=$((T_FAILS + 1))
import json, sys
d = json.load(open(sys.argv[1]))
zone = sys.argv[2] + "."
found = []
def walk(o, path):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("warning", "warnings", "error", "errors"):
                found.append("%s/%s: %s" % (path, k, json.dumps(v)[:400]))
            walk(v, path + "/" + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            walk(v, "%s[%d]" % (path, i))
walk(d, "")
# The report must hold the zone's answers from both servers, or it proves nothing.
soa = d.get(zone, {}).get("queries", {}).get(zone + "/IN/SOA", {}).get("answer", [])
servers = sorted(soa[0]["servers"]) if soa else []
print(("ok: " if servers == ["127.0.0.2", "127.0.0.3"] else "FAIL: ") + "dnsviz got the SOA from both servers: %s" % servers)
for f in found:
    print("FAIL: dnsviz: " + f)
print(("ok: " if not found else "FAIL: ") + "dnsviz grok: no warning or error on " + zone)
sys.exit(1 if found or servers != ["127.0.0.2", "127.0.0.3"] else 0)
PY
done
stop_routerd
finish
