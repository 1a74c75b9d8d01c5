#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The basics over real sockets: kdig over UDP and TCP, IPv4 and IPv6, two
# zones at once, negative answers, REFUSED, the header bits, EDNS, size
# limits, malformed packets (checks.py), and the command line.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=15301
cat >"$T_DIR/routerd.yaml" <<CONF
server:
  listen: ["127.0.0.1:$P", "[::1]:$P"]
  workers: 2
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones:
  - { name: example.com, file: $here/example.com.zone }
  - { name: Example.NET., file: $here/example.net.zone }
CONF

# -- The command line.
out=$("$ROUTERD" -t -c "$T_DIR/routerd.yaml" 2>"$T_DIR/t.err"); rc=$?
expect_eq "-t on a good config exits 0" "$rc" "0"
expect_match "-t says it loaded both zones" "$out" "2 zones"
expect_eq "-t on a good config prints nothing on stderr" "$(cat "$T_DIR/t.err")" ""
port_listening $P && fail "-t left something listening on $P" || ok "-t does not stay listening"
out=$("$ROUTERD" -V 2>&1); rc=$?
expect_eq "-V exits 0" "$rc" "0"
expect_match "-V prints the version" "$out" "^routerd [0-9]+\.[0-9]+"
out=$("$ROUTERD" -h 2>&1); rc=$?
expect_eq "-h exits 0" "$rc" "0"
expect_match "-h prints usage with -c" "$out" "usage: routerd .*-c FILE"
expect_match "-h mentions -t" "$out" "-t"
"$ROUTERD" -x >/dev/null 2>&1
expect_eq "an unknown option exits 2 (usage)" "$?" "2"
"$ROUTERD" >/dev/null 2>&1
expect_eq "no -c exits 2 (usage)" "$?" "2"
"$ROUTERD" -t -c "$T_DIR/does-not-exist.yaml" >/dev/null 2>&1
expect_eq "-t on a missing config exits 1" "$?" "1"

# -- Serving.
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.example.com || { fail "routerd did not answer on 127.0.0.1:$P"; finish; }
wait_answer ::1 $P www.example.com || { fail "routerd did not answer on [::1]:$P"; finish; }

ws='[[:space:]]+'
for addr in 127.0.0.1 ::1; do
	for proto in +notcp +tcp; do
		r=$(q @$addr -p $P $proto www.example.com A)
		expect_match "kdig $addr $proto: NOERROR" "$r" "status: NOERROR"
		expect_match "kdig $addr $proto: flags qr aa rd" "$r" "flags: qr aa rd;"
		expect_match "kdig $addr $proto: one answer" "$r" "ANSWER: 1;"
		expect_match "kdig $addr $proto: the A record with its own TTL" "$r" \
			"^www\.example\.com\.${ws}1234${ws}IN${ws}A${ws}192\.0\.2\.80$"
		r=$(q @$addr -p $P $proto nx.example.com A)
		expect_match "kdig $addr $proto: NXDOMAIN" "$r" "status: NXDOMAIN"
		expect_match "kdig $addr $proto: NXDOMAIN is authoritative" "$r" "flags: qr aa rd;"
		expect_match "kdig $addr $proto: NXDOMAIN SOA, TTL min(3600, 300)" "$r" \
			"^example\.com\.${ws}300${ws}IN${ws}SOA${ws}ns1\.example\.com\. hostmaster\.example\.com\. 2024010101 "
		r=$(q @$addr -p $P $proto host.example.net A)
		expect_match "kdig $addr $proto: the second zone" "$r" \
			"^host\.example\.net\.${ws}600${ws}IN${ws}A${ws}198\.51\.100\.4$"
	done
done
r=$(q @127.0.0.1 -p $P nx.example.net A)
expect_match "kdig: NXDOMAIN SOA in example.net, TTL min(60, 900)" "$r" "^example\.net\.${ws}60${ws}IN${ws}SOA"
r=$(q @127.0.0.1 -p $P www.example.com MX)
expect_match "kdig: NODATA is NOERROR" "$r" "status: NOERROR"
expect_match "kdig: NODATA: no answer, the SOA" "$r" "ANSWER: 0; AUTHORITY: 1;"
expect_match "kdig: NODATA SOA TTL" "$r" "^example\.com\.${ws}300${ws}IN${ws}SOA"
r=$(q @127.0.0.1 -p $P www.example.org A)
expect_match "kdig: outside every zone: REFUSED" "$r" "status: REFUSED"
expect_match "kdig: REFUSED has no AA" "$r" "flags: qr rd;"
expect_match "kdig +rec: RD copied" "$(q @127.0.0.1 -p $P +rec www.example.com)" "flags: qr aa rd;"
expect_match "kdig +norec: RD clear" "$(q @127.0.0.1 -p $P +norec www.example.com)" "flags: qr aa;"
r=$(q @127.0.0.1 -p $P +edns=0 www.example.com)
expect_match "kdig +edns: OPT echoed" "$r" "EDNS PSEUDOSECTION:"
expect_match "kdig +edns: version 0" "$r" "Version: 0;"
r=$(q @127.0.0.1 -p $P +edns=1 www.example.com)
expect_match "kdig +edns=1: BADVERS" "$r" "status: BADVERS"
expect_match "kdig +edns=1: with an OPT" "$r" "EDNS PSEUDOSECTION:"
expect_no_match "kdig +noedns: no OPT" "$(q @127.0.0.1 -p $P +noedns www.example.com)" "EDNS PSEUDOSECTION"
# dig sends the name as typed; kdig too, but both, to be sure.
r=$(dig +time=2 +tries=1 +norec @127.0.0.1 -p $P WwW.ExAmPlE.CoM A)
expect_match_case "dig: the question keeps its case" "$r" "^;WwW\.ExAmPlE\.CoM\.${ws}IN${ws}A$"
expect_match "dig: and is answered" "$r" "192\.0\.2\.80"

# -- The fine print, with dnspython and raw packets.
if $PY "$here/checks.py" $P; then ok "checks.py"; else fail "checks.py (see its FAIL lines above)"; fi

rd_alive && ok "routerd survived the malformed packets" || fail "routerd died"
stop_routerd
finish
