#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fleet: routerd as the hidden primary of real NSD, Knot and BIND
# secondaries (Debian packages) on loopback, each with TSIG. A flip via the
# webhook is served by all three; a glob pin of 10,000 switches reaches all
# three; refusals (no key, unknown key, wrong MAC, unlisted address) are
# counted and change nothing; a secondary stopped during 100 flips catches
# up by IXFR; routerd killed with -9 mid-stream restarts with serials that
# never went backwards and the fleet converges on what it reports; a stalled
# transfer does not stall the others; malformed requests get a clear error.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"
P=16301 H=16302 SP=16310 BP=16311
NSD=127.0.3.1 KNOT=127.0.3.2 BIND=127.0.3.3
# Where each secondary answers (named listens on 127.0.0.1, see fleet_lib.sh).
SECS="$NSD:$SP $KNOT:$SP 127.0.0.1:$BP"
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
KEY=xfr.routerd.
fleet_key $KEY "$T_DIR/xfr.key"
SECRET=$FLEET_SECRET
N_BULK=${N_BULK:-10000}

write_t_zone "$T_DIR/t.zone" 100
{
	printf '$ORIGIN bulk.test.\n$TTL 300\n@ SOA ns hostmaster 1 14400 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n'
} >"$T_DIR/bulk.zone"
write_t_config 2
cat >>"$T_DIR/routerd.yaml" <<CONF
  - { name: bulk.test, file: $T_DIR/bulk.zone }
brake: { max_share: 1.0, min_switches: 100000 }
fleet:
  keys: [ { name: $KEY, algorithm: hmac-sha256, secret_file: $T_DIR/xfr.key } ]
  secondaries:
    - { name: nsd,  address: "$NSD:$SP",  key: $KEY }
    - { name: knot, address: "$KNOT:$SP", key: $KEY }
    - { name: bind, address: "127.0.0.1:$BP", key: $KEY, source: $BIND }
  transfer_allow: ["127.0.0.1"]   # this test's own probes
  require_key: true
  ixfr_versions: 1000
switches:
  - name: www.t.test
    cdn: { cname: cust.cdn.example.net }
    origin: { a: [192.0.2.9] }
CONF
# zones: is a flow list in write_t_config; turn it into a block list we can append to.
sed -i "s|^zones: \[ { name: t.test, file: $T_DIR/t.zone } \]|zones:\n  - { name: t.test, file: $T_DIR/t.zone }|" "$T_DIR/routerd.yaml"
"$PY" - "$N_BULK" >>"$T_DIR/routerd.yaml" <<'PYEOF'
import sys
for i in range(int(sys.argv[1])):
    print("  - { name: s%05d.bulk.test, cdn: { cname: c%05d.cdn.example.net }, origin: { a: [192.0.2.%d] } }" % (i, i, 1 + i % 250))
PYEOF

post() { curl -s -o "$T_DIR/body" -w '%{http_code}' -X POST --data-binary "$2" "http://127.0.0.1:$H$1"; }
rd_serial() { soa_serial 127.0.0.1 $P "$1"; }
answer_at() { kdig +time=1 +retry=0 @"$1" -p "$2" "$3" A +short 2>/dev/null | tail -1; }
# wait_all_answer WHAT NAME WANT [SECONDS]: every secondary answers NAME A with WANT.
wait_all_answer() {
	local s a ok_all i
	for i in $(seq 1 $(( ${4:-20} * 20 ))); do
		ok_all=1
		for s in $SECS; do
			a=$(answer_at ${s%:*} ${s#*:} "$2")
			[ "$a" == "$3" ] || { ok_all=0; break; }
		done
		[ $ok_all -eq 1 ] && { ok "$1"; return 0; }
		sleep 0.05
	done
	for s in $SECS; do echo "  $s answers [$(answer_at ${s%:*} ${s#*:} "$2")]"; done
	fail "$1: not every secondary answers $2 with $3"
	return 1
}
wait_all_serial() { # WHAT ZONE SERIAL [SECONDS]
	local s bad=""
	for s in $SECS; do
		wait_serial ${s%:*} ${s#*:} "$2" "$3" "${4:-20}" || bad="$bad $s=$(soa_serial ${s%:*} ${s#*:} "$2")"
	done
	if [ -z "$bad" ]; then ok "$1"; else fail "$1: wanted serial $3 at$bad"; fi
}

start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "routerd does not answer"; finish; }
start_nsd "$T_DIR/nsd" $NSD $SP 127.0.0.1 $P $KEY "$SECRET" t.test bulk.test
start_knot "$T_DIR/knot" $KNOT $SP 127.0.0.1 $P $KEY "$SECRET" t.test bulk.test
start_bind "$T_DIR/bind" $BIND $BP 127.0.0.1 $P $KEY "$SECRET" t.test bulk.test

# ---- the first transfer ----
s0=$(rd_serial t.test)
expect_eq "routerd serves the zone file's serial" "$s0" "100"
wait_all_serial "every secondary transferred t.test" t.test "$s0" 30
wait_all_serial "every secondary transferred bulk.test" bulk.test "$(rd_serial bulk.test)" 60
wait_all_answer "every secondary serves www.t.test from the CDN" www.t.test "cust.cdn.example.net."

# ---- a flip via the webhook ----
expect_eq "a down signal is accepted" "$(post /api/v1/signal '{"switch":"www.t.test","target":"cdn","status":"down","id":"p1"}')" "200"
wait_all_answer "the flip is served by all three secondaries" www.t.test "192.0.2.9" 10
s1=$(rd_serial t.test)
expect_eq "the flip is one new serial" "$s1" "$((s0 + 1))"
wait_all_serial "all three at the new serial" t.test "$s1" 10

# ---- a glob pin of $N_BULK switches ----
b0=$(rd_serial bulk.test)
$CTL pin '*.bulk.test' origin --reason "fleet test" >/dev/null || fail "glob pin failed"
b1=$(rd_serial bulk.test)
last=$(printf 's%05d.bulk.test' $((N_BULK - 1)))
wait_all_answer "the glob pin of $N_BULK switches reaches all three" "$last" "192.0.2.$(( 1 + (N_BULK - 1) % 250 ))" 60
wait_all_serial "all three at bulk.test's new serial" bulk.test "$b1" 30
versions=$($CTL --json fleet | "$PY" -c 'import json,sys; d=json.load(sys.stdin)["data"]; print([z["versions"] for z in d["zones"] if z["zone"]=="bulk.test."][0])')
if [ "$versions" -le 6 ]; then ok "the pin is a few versions, not $N_BULK ($((versions - 1)) after the base)"; else fail "the pin made $((versions - 1)) versions"; fi

# ---- routerctl fleet ----
st=$($CTL fleet)
echo "$st"
expect_match "routerctl fleet lists nsd at t.test's serial with 0 behind" "$st" "nsd +$NSD:$SP +t\.test\. +$s1 +0 "
expect_match "and knot" "$st" "knot +$KNOT:$SP +t\.test\. +$s1 +0 "
expect_match "and bind" "$st" "bind +127.0.0.1:$BP +t\.test\. +$s1 +0 "
expect_match "routerctl fleet config nsd prints a zone for t.test" "$($CTL fleet config nsd)" 'name: "t\.test\."'
expect_match "metrics: routerd_fleet_serial" "$(curl -s http://127.0.0.1:$H/metrics)" "routerd_fleet_serial\{secondary=\"knot\",zone=\"t\.test\.\"\} $s1"

# ---- refusals and bad requests: a clear answer, a counter, nothing changes ----
PROBE="$PY $(dirname "$0")/xfr_probe.py"
OTHER=$(head -c 32 /dev/urandom | base64)
before=$(rd_serial t.test)
expect_match "a signed AXFR from an allowed address is served" "$($PROBE request 127.0.0.1 $P t.test $KEY "$SECRET")" "^rcode=NOERROR tsig=NOERROR records=[1-9]"
expect_eq "no key: REFUSED" "$($PROBE request 127.0.0.1 $P t.test)" "rcode=REFUSED tsig=None records=0"
expect_eq "an unknown key: NOTAUTH BADKEY" "$($PROBE request 127.0.0.1 $P t.test other.key. "$SECRET")" "rcode=NOTAUTH tsig=BADKEY records=0"
expect_eq "a wrong secret: NOTAUTH BADSIG" "$($PROBE request 127.0.0.1 $P t.test $KEY "$OTHER")" "rcode=NOTAUTH tsig=BADSIG records=0"
expect_eq "a signature an hour old: NOTAUTH BADTIME" "$($PROBE request 127.0.0.1 $P t.test $KEY "$SECRET" -3600)" "rcode=NOTAUTH tsig=BADTIME records=0"
expect_eq "an unlisted address: REFUSED" "$($PROBE request 127.0.0.1 $P t.test $KEY "$SECRET" --source 127.0.4.9)" "rcode=REFUSED tsig=NOERROR records=0"
expect_eq "a zone not served: NOTAUTH" "$($PROBE request 127.0.0.1 $P nothere.test $KEY "$SECRET")" "rcode=NOTAUTH tsig=NOERROR records=0"
expect_eq "a truncated request: the connection is closed" "$($PROBE truncated 127.0.0.1 $P)" "closed"
expect_match "garbage: FORMERR or closed" "$($PROBE garbage 127.0.0.1 $P)" "^(rcode=FORMERR|closed|rcode=NOTIMP|rcode=REFUSED)$"
expect_match "a query signed with an unknown key gets NOTAUTH BADKEY (RFC 8945 5.2.1)" \
	"$(kdig +time=2 +retry=0 @127.0.0.1 -p $P -y hmac-sha256:other.key.:$SECRET www.t.test A 2>/dev/null)" "status: (BADKEY|NOTAUTH)"
expect_eq "nothing changed: the serial" "$(rd_serial t.test)" "$before"
m=$(curl -s http://127.0.0.1:$H/metrics)
expect_match "refusals counted" "$m" 'routerd_xfr_requests_total\{type="axfr",result="refused"\} [2-9]'
expect_match "TSIG failures counted" "$m" 'routerd_xfr_requests_total\{type="axfr",result="notauth"\} [3-9]'
expect_match "the log says why" "$(cat "$RD_LOG")" "refused: TSIG BADSIG"

# ---- a stalled transfer does not stall the others ----
$PROBE stall 127.0.0.1 $P bulk.test $KEY "$SECRET" 30 >"$T_DIR/stall.out" &
STALL=$!
T_PIDS+=($STALL)
sleep 0.5
$CTL pin www.t.test cdn --reason "while a transfer stalls" >/dev/null
wait_all_answer "a flip reaches every secondary while another transfer stalls" www.t.test "cust.cdn.example.net." 10
kill $STALL 2>/dev/null

# ---- a secondary stopped during 100 flips catches up by IXFR ----
knot_failures() { $CTL --json fleet | "$PY" -c 'import json,sys; print([s["notify_failures"] for s in json.load(sys.stdin)["data"]["secondaries"] if s["name"]=="knot"][0])'; }
nf0=$(knot_failures)
KPID=${FLEET_PIDS[1]}
kill -TERM "$KPID"; wait "$KPID" 2>/dev/null
for i in $(seq 1 50); do
	$CTL pin www.t.test origin --reason "flip $i" >/dev/null && $CTL pin www.t.test cdn --reason "flop $i" >/dev/null || fail "flip $i"
done
$CTL pin www.t.test origin --reason "last" >/dev/null
sN=$(rd_serial t.test)
# A dead secondary does not slow the others: NSD and BIND have every flip.
for s in "$NSD $SP" "127.0.0.1 $BP"; do
	wait_serial $s t.test "$sN" 10 && ok "with Knot down, $s has serial $sN" || fail "with Knot down, $s lags: $(soa_serial $s t.test)"
done
for _ in $(seq 1 40); do nf1=$(knot_failures); [ "$nf1" -gt "$nf0" ] && break; sleep 0.1; done
if [ "$nf1" -gt "$nf0" ]; then ok "routerctl fleet counts Knot's unanswered NOTIFYs ($nf0 -> $nf1)"; else fail "Knot's notify failures stayed at $nf0"; fi

start_knot "$T_DIR/knot" $KNOT $SP 127.0.0.1 $P $KEY "$SECRET" t.test bulk.test
wait_all_serial "after 101 flips, every secondary (Knot restarted) at serial $sN" t.test "$sN" 30
wait_all_answer "and serves the last side" www.t.test "192.0.2.9" 10
expect_match "Knot caught up by IXFR" "$(grep "to $KNOT:" "$RD_LOG" | grep "of t.test." | tail -3)" "IXFR from [0-9]+ of t\.test\."

# ---- routerd killed with -9 in the middle of a stream of flips ----
( for i in $(seq 1 40); do $CTL pin www.t.test cdn --reason "k$i" >/dev/null 2>&1; $CTL pin www.t.test origin --reason "k$i" >/dev/null 2>&1; done ) &
FLIPPER=$!
sleep 1
kill -KILL "$RD_PID"
wait "$RD_PID" 2>/dev/null
kill $FLIPPER 2>/dev/null; wait $FLIPPER 2>/dev/null
check_sanitizers "$T_DIR/routerd.log"
highest=0
for s in $SECS; do
	a=$(answer_at ${s%:*} ${s#*:} www.t.test)
	[ -n "$a" ] || fail "secondary $s stopped serving while routerd is down"
	v=$(soa_serial ${s%:*} ${s#*:} t.test)
	[ "${v:-0}" -gt "$highest" ] && highest=$v
done
ok "the secondaries keep serving while routerd is down (highest serial $highest)"
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd2.log"
wait_answer 127.0.0.1 $P t.test || { fail "routerd does not restart"; finish; }
sR=$(rd_serial t.test)
if [ $(( (sR - highest + 4294967296) % 4294967296 )) -lt 2147483648 ]; then ok "after kill -9 the serial did not go backwards ($highest -> $sR)"; else fail "serial went backwards: $highest -> $sR"; fi
want=$(answer_at 127.0.0.1 $P www.t.test)
wait_all_serial "the fleet converges on the restarted routerd's serial" t.test "$sR" 30
wait_all_answer "and on the state it reports ($want)" www.t.test "$want" 10

# ---- a reload that changes zone data: a newer serial, the whole zone ----
sB=$(rd_serial t.test)
echo "new A 192.0.2.77" >>"$T_DIR/t.zone"
kill -HUP "$RD_PID"
wait_log "reloaded" 10 || fail "no reload"
sC=$(rd_serial t.test)
if [ $(( (sC - sB + 4294967296) % 4294967296 )) -gt 0 ] && [ $(( (sC - sB + 4294967296) % 4294967296 )) -lt 2147483648 ]; then
	ok "a data-changing reload is a newer serial ($sB -> $sC)"
else
	fail "a data-changing reload: serial $sB -> $sC"
fi
wait_all_answer "every secondary serves the reloaded data" new.t.test "192.0.2.77" 20
expect_match "across the reload IXFR answers with the whole zone" "$(grep 'of t.test.' "$RD_LOG" | tail -3)" "IXFR \(whole zone\)"

# ---- after a reboot (fleet-serials from another boot): past the fsync'ed ceiling ----
sD=$(rd_serial t.test)
stop_routerd
sed -i '1s/.*/boot another-boot/' "$T_DIR/state/fleet-serials"
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd3.log"
wait_answer 127.0.0.1 $P t.test || { fail "routerd does not restart"; finish; }
sE=$(rd_serial t.test)
d=$(( (sE - sD + 4294967296) % 4294967296 ))
if [ "$d" -gt 0 ] && [ "$d" -lt 2147483648 ]; then ok "after a 'reboot' the serial continues past the ceiling ($sD -> $sE)"; else fail "after a 'reboot': $sD -> $sE"; fi
wait_all_serial "and the fleet follows" t.test "$sE" 30

stop_routerd
finish
