#!/usr/bin/env bash
# The basics over real sockets: UDP and TCP, IPv4 and IPv6, two zones, the
# RFC corners of the header, EDNS and malformed packets, and the command line.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=15301
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$P", "[::1]:$P"], workers: 2 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones:
  - { name: t.test, file: $here/t.zone }
  - { name: u.test, file: $here/u.zone }
CONF

out=$("$ROUTERD" -t -c "$T_DIR/routerd.yaml" 2>&1); rc=$?
expect_eq "-t on a good config exits 0" "$rc" "0"
expect_match "-t reports what it loaded" "$out" "ok: 2 zones"
expect_match "-V prints the version" "$("$ROUTERD" -V)" "^routerd [0-9]"
expect_match "-h prints usage" "$("$ROUTERD" -h)" "usage: routerd -c FILE"
"$ROUTERD" -x >/dev/null 2>&1; expect_eq "an unknown option exits 2" "$?" "2"

start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.t.test || { fail "routerd did not answer"; finish; }

for addr in 127.0.0.1 ::1; do
	for proto in +notcp +tcp; do
		r=$(q @$addr -p $P $proto www.t.test A)
		expect_match "$addr $proto: NOERROR" "$r" "status: NOERROR"
		expect_match "$addr $proto: AA set" "$r" "flags: qr aa"
		expect_match "$addr $proto: the A record with its TTL" "$r" "www.t.test.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.80"
	done
done

r=$(q @127.0.0.1 -p $P nothere.t.test A)
expect_match "NXDOMAIN" "$r" "status: NXDOMAIN"
expect_match "NXDOMAIN: SOA in authority with the RFC 2308 TTL min(3600, 300)" "$r" "t.test.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA"
r=$(q @127.0.0.1 -p $P www.t.test MX)
expect_match "NODATA is NOERROR" "$r" "status: NOERROR"
expect_match "NODATA has no answer" "$r" "ANSWER: 0"
expect_match "NODATA has the SOA" "$r" "AUTHORITY: 1"
r=$(q @127.0.0.1 -p $P host.u.test A)
expect_match "the second zone answers" "$r" "198.51.100.4"
r=$(q @127.0.0.1 -p $P www.example.org A)
expect_match "outside every zone: REFUSED" "$r" "status: REFUSED"
expect_match "REFUSED is not authoritative" "$r" "flags: qr rd;"
r=$(dig +time=2 +tries=1 @127.0.0.1 -p $P WwW.T.TeSt A)  # dig sends the case as typed
expect_match_case "the question keeps its case (0x20)" "$r" "WwW.T.TeSt."
expect_match "RD copied when set" "$(q @127.0.0.1 -p $P +rec www.t.test)" "flags: qr aa rd;"
expect_match "RD clear when clear" "$(q @127.0.0.1 -p $P +norec www.t.test)" "flags: qr aa;"
r=$(q @127.0.0.1 -p $P +edns=0 +bufsize=4096 www.t.test)
expect_match "EDNS: OPT echoed" "$r" "EDNS PSEUDOSECTION"
expect_match "EDNS: our buffer size" "$r" "UDP size: 1232"
r=$(q @127.0.0.1 -p $P +edns=1 www.t.test)
expect_match "EDNS version 1: BADVERS" "$r" "status: BADVERS"
r=$(q @127.0.0.1 -p $P +noedns www.t.test)
if printf '%s' "$r" | grep -q "EDNS PSEUDOSECTION"; then fail "no EDNS in, no OPT out"; else ok "no EDNS in, no OPT out"; fi
r=$(q @127.0.0.1 -p $P +ednsopt=65001:abcd www.t.test)
expect_match "unknown EDNS options are ignored" "$r" "status: NOERROR"

# Raw packets that kdig will not send.
$PY - "$P" <<'PY' || T_FAILS=$((T_FAILS + 1))
import socket, struct, sys
port = int(sys.argv[1])
def ask(pkt, expect_reply=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        data = s.recv(4096)
    except socket.timeout:
        data = None
    s.close()
    return data
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x01t\x04test\x00\x00\x01\x00\x01"
fails = 0
def check(what, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + what)
    fails += 0 if cond else 1
r = ask(q)
check("a raw query is answered", r is not None and r[:2] == b"\x12\x34" and r[3] & 0xf == 0)
r = ask(b"\x12\x34\x81\x00" + q[4:])
check("a packet with QR set gets no reply", r is None)
r = ask(b"\x12\x34\x11\x00" + q[4:])  # opcode 2 (STATUS)
check("opcode STATUS: NOTIMP", r is not None and r[3] & 0xf == 4)
r = ask(q[:4] + b"\x00\x02" + q[6:])  # two questions, one present
check("qdcount 2: FORMERR", r is not None and r[3] & 0xf == 1)
r = ask(q[:-3])
check("a cut-short question: FORMERR", r is not None and r[3] & 0xf == 1)
r = ask(b"\x00" * 5)
check("a runt gets no reply", r is None)
r = ask(q)
check("still answering after garbage", r is not None and r[3] & 0xf == 0)
sys.exit(1 if fails else 0)
PY

stop_routerd
finish
