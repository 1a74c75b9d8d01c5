#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# dnstap from real NSD, Knot (mod-dnstap) and BIND to routerd's collector.
# Each serves its own copy of the zone (a secondary that has not
# transferred yet serves the old side): after a flip, the report must name
# each resolver with the server it asked and say when each server first
# answered from the new side, by the answers' records, not the time.
# Faults: garbage, oversized, truncated and non-dnstap streams on the Unix
# socket and TCP; a flood of random resolvers (the table stays at
# tracking.max_entries); a secondary restarting; routerd restarting while
# the secondaries keep answering.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v nsd >/dev/null || skip "no nsd"
command -v knotd >/dev/null || skip "no knotd"
command -v named >/dev/null || skip "no named"
[ -f /usr/lib/x86_64-linux-gnu/knot/modules-3.2/dnstap.so ] || skip "no knot-module-dnstap"
P=16400 H=16401 TAP_TCP=16402 NSD_P=16410 KNOT_P=16411 BIND_P=16412
SOCK=$T_DIR/dnstap.sock
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
TAP="$PY $here/tap.py"

write_t_zone "$T_DIR/t.zone" 1
write_t_config 1
cat >>"$T_DIR/routerd.yaml" <<CONF
tracking: { max_entries: 2000 }
switches:
  - name: www.t.test
    cdn: { cname: cust.cdn.example.net }
    origin: { a: [192.0.2.9] }
fleet:
  dnstap:
    listen: ["unix:$SOCK", "127.0.0.1:$TAP_TCP"]
CONF
# A server's copy: SERIAL, and the CDN's or the origin's answer for www.
copy() { write_t_zone "$1" "$2"; echo "www 30 ${3:-CNAME cust.cdn.example.net.}" >>"$1"; }

start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "routerd does not answer"; finish; }

mkdir -p "$T_DIR/nsd" "$T_DIR/knot/storage" "$T_DIR/bind"
copy "$T_DIR/nsd/t.zone" 1
copy "$T_DIR/knot/t.zone" 1
copy "$T_DIR/bind/t.zone" 1
cat >"$T_DIR/nsd/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1
  port: $NSD_P
  username: ""
  chroot: ""
  database: ""
  pidfile: "$T_DIR/nsd/nsd.pid"
  xfrdfile: "$T_DIR/nsd/xfrd.state"
  zonelistfile: "$T_DIR/nsd/zone.list"
  server-count: 1
  rrl-ratelimit: 0
  verbosity: 1
dnstap:
  dnstap-enable: yes
  dnstap-socket-path: "$SOCK"
  dnstap-send-identity: yes
  dnstap-identity: "nsd1"
  dnstap-log-auth-query-messages: yes
  dnstap-log-auth-response-messages: yes
remote-control:
  control-enable: no
zone:
  name: "t.test"
  zonefile: "$T_DIR/nsd/t.zone"
CONF
cat >"$T_DIR/knot/knot.conf" <<CONF
server:
  listen: 127.0.0.1@$KNOT_P
  rundir: $T_DIR/knot
  user: $(id -un)
database:
  storage: $T_DIR/knot/storage
log:
  - target: stderr
    any: notice
mod-dnstap:
  - id: tap
    sink: unix:$SOCK
    identity: knot1
    log-queries: on
    log-responses: on
template:
  - id: default
    global-module: mod-dnstap/tap
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: t.test
    file: $T_DIR/knot/t.zone
CONF
cat >"$T_DIR/bind/named.conf" <<CONF
options {
  directory "$T_DIR/bind";
  pid-file "$T_DIR/bind/named.pid";
  listen-on port $BIND_P { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  dnstap { auth; };
  dnstap-output unix "$SOCK";
  dnstap-identity "bind1";
};
controls { };
zone "t.test" { type primary; file "$T_DIR/bind/t.zone"; };
CONF
NSD_PID="" KNOT_PID="" BIND_PID=""
start_nsd() { nsd -d -c "$T_DIR/nsd/nsd.conf" >>"$T_DIR/nsd/log" 2>&1 & NSD_PID=$!; T_PIDS+=("$NSD_PID"); }
start_knot() { knotd -c "$T_DIR/knot/knot.conf" >>"$T_DIR/knot/log" 2>&1 & KNOT_PID=$!; T_PIDS+=("$KNOT_PID"); }
start_bind() { named -g -c "$T_DIR/bind/named.conf" >>"$T_DIR/bind/log" 2>&1 & BIND_PID=$!; T_PIDS+=("$BIND_PID"); }
start_nsd
start_knot
start_bind
for p in $NSD_P $KNOT_P $BIND_P; do
	wait_answer 127.0.0.1 $p t.test || { fail "no answer on $p"; sed -n 1,20p "$T_DIR"/*/log; finish; }
done

stats() { $CTL --json stats; }
# dnstap_field SERVER FIELD: one number of routerctl stats' dnstap.servers.
dnstap_field() {
	stats | $PY -c 'import json,sys
d = json.load(sys.stdin)["data"]["dnstap"]
print(next((s[sys.argv[2]] for s in d["servers"] if s["server"] == sys.argv[1]), "none"))' "$1" "$2"
}
# wait_until WHAT SECONDS CMD...: until CMD succeeds.
wait_until() {
	local what=$1 n=$(( $2 * 5 )) i
	shift 2
	for i in $(seq 1 $n); do "$@" && { ok "$what"; return 0; }; sleep 0.2; done
	fail "$what (not within ${n}x0.2 s)"
	return 1
}
connected() { [ "$(dnstap_field "$1" connections)" != none ] && [ "$(dnstap_field "$1" connections)" -ge 1 ]; }
observed_at_least() { local v; v=$(dnstap_field "$1" observations); [ "$v" != none ] && [ "$v" -ge "$2" ]; }
# ask PORT SOURCE: one A query for www from resolver address SOURCE.
# +norec as a resolver asks: BIND logs an answer to RD=1 as CLIENT_RESPONSE, not AUTH_RESPONSE.
ask() { kdig @127.0.0.1 -p "$1" -b "$2" +norec +time=2 +retry=0 www.t.test A +short; }

# Each server sends only once it has something to say: one query each.
ask $NSD_P 127.0.0.31 >/dev/null; ask $KNOT_P 127.0.0.32 >/dev/null; ask $BIND_P 127.0.0.33 >/dev/null
for s in nsd1 knot1 bind1; do wait_until "$s connects and is named by its identity" 20 connected $s; done

# Before the flip: every server serves the CDN's answer.
for i in 1 2 3; do
	ask $NSD_P 127.0.0.31 >/dev/null; ask $KNOT_P 127.0.0.32 >/dev/null; ask $BIND_P 127.0.0.33 >/dev/null
	for p in $NSD_P $KNOT_P $BIND_P; do ask $p 127.0.0.34 >/dev/null; done
	sleep 0.3
done
for s in nsd1 knot1 bind1; do wait_until "$s: responses become observations" 10 observed_at_least $s 7; done
expect_eq "AUTH_QUERY counted apart" "$( [ "$(dnstap_field knot1 queries)" -ge 7 ] && echo yes)" "yes"

# The flip. Knot gets the new zone first; NSD and BIND still serve the old one.
$CTL pin www.t.test origin --reason dnstap-test --for 1h >/dev/null || fail "pin"
sleep 1.2
copy "$T_DIR/knot/t.zone" 2 "A 192.0.2.9"
knotc -c "$T_DIR/knot/knot.conf" zone-reload t.test >/dev/null 2>&1 || kill -HUP "$KNOT_PID"
wait_until "Knot serves the new side" 10 bash -c "[ \"\$(kdig @127.0.0.1 -p $KNOT_P www.t.test A +short)\" = 192.0.2.9 ]"
for i in 1 2 3; do
	ask $NSD_P 127.0.0.31 >/dev/null; ask $KNOT_P 127.0.0.32 >/dev/null; ask $BIND_P 127.0.0.33 >/dev/null
	for p in $NSD_P $KNOT_P $BIND_P; do ask $p 127.0.0.34 >/dev/null; done
	sleep 0.3
done
sleep 2.5 # the servers' fstrm queues flush within a second; the tracker drains every 100 ms
report() { $CTL --json propagation www.t.test; }
# server_row NAME FIELD: a field of the report's servers row for NAME.
server_row() {
	report | $PY -c 'import json,sys
r = json.load(sys.stdin)
print(next((str(s.get(sys.argv[2])) for s in r["servers"] if s["server"] == sys.argv[1]), "missing"))' "$1" "$2"
}
expect_match "Knot first served the new side after the flip" "$(server_row knot1 first_new_s)" '^[0-9]+\.[0-9]+$'
expect_eq "NSD has not served the new side" "$(server_row nsd1 first_new_s)" "None"
expect_match "NSD served the old side after the flip" "$(server_row nsd1 last_old_s)" '^[0-9]+\.[0-9]+$'
expect_eq "BIND has not served the new side" "$(server_row bind1 first_new_s)" "None"
expect_match "BIND served the old side after the flip" "$(server_row bind1 last_old_s)" '^[0-9]+\.[0-9]+$'
expect_eq "every server is observed" "$(server_row nsd1 observed) $(server_row knot1 observed) $(server_row bind1 observed)" "True True True"
pairs=$(report | $PY -c 'import json,sys
r = json.load(sys.stdin)
print(" ".join(sorted("%s@%s" % (x["resolver"], x["server"]) for x in r["resolvers_top"])))')
for pair in 127.0.0.31@nsd1 127.0.0.32@knot1 127.0.0.33@bind1 127.0.0.34@nsd1 127.0.0.34@knot1 127.0.0.34@bind1; do
	expect_match "the report names resolver ${pair%@*} with ${pair#*@}" "$pairs" "$pair"
done
remaining=$(report | $PY -c 'import json,sys
r = json.load(sys.stdin)
print(sum(s.get("remaining_share", 0) for s in r["servers"]))')
expect_match "the remaining shares add up to the whole" "$remaining" '^(0\.99|1\.0)'

# NSD and BIND transfer too.
copy "$T_DIR/nsd/t.zone" 2 "A 192.0.2.9"
copy "$T_DIR/bind/t.zone" 2 "A 192.0.2.9"
kill -HUP "$NSD_PID" "$BIND_PID"
wait_until "NSD serves the new side" 10 bash -c "[ \"\$(kdig @127.0.0.1 -p $NSD_P www.t.test A +short)\" = 192.0.2.9 ]"
wait_until "BIND serves the new side" 10 bash -c "[ \"\$(kdig @127.0.0.1 -p $BIND_P www.t.test A +short)\" = 192.0.2.9 ]"
ask $NSD_P 127.0.0.31 >/dev/null; ask $BIND_P 127.0.0.33 >/dev/null
wait_until "NSD's first new-side answer is in the report" 10 bash -c "[ \"\$($CTL --json propagation www.t.test | $PY -c 'import json,sys; print([s[\"first_new_s\"] for s in json.load(sys.stdin)[\"servers\"] if s[\"server\"]==\"nsd1\"][0])')\" != None ]"
wait_until "so is BIND's" 10 bash -c "[ \"\$($CTL --json propagation www.t.test | $PY -c 'import json,sys; print([s[\"first_new_s\"] for s in json.load(sys.stdin)[\"servers\"] if s[\"server\"]==\"bind1\"][0])')\" != None ]"
$CTL propagation www.t.test >"$T_DIR/report.txt" || fail "routerctl propagation (text)"
expect_match "the text report has a row per server" "$(cat "$T_DIR/report.txt")" "knot1"
metrics=$(curl -s http://127.0.0.1:$H/metrics)
expect_match "metrics: observations by server" "$metrics" 'routerd_dnstap_observations_total\{server="knot1"\} [1-9]'
expect_match "metrics: the tracker by server" "$metrics" 'routerd_track_server_observations_total\{server="bind1"\} [1-9]'

# A stream over TCP, the bidirectional handshake as fstrm's writers do it.
expect_eq "TCP: ACCEPT and FINISH" "$($TAP 127.0.0.1:$TAP_TCP stream --count 50 --identity tcp1)" "accept finish"
wait_until "TCP: its responses are observed" 5 observed_at_least tcp1 50

# Bad streams: closed, counted, logged; the secondaries' streams go on.
for kind in garbage oversized content_type truncated; do
	expect_eq "unix: a $kind stream is closed" "$($TAP unix:$SOCK $kind)" "closed"
	expect_eq "tcp: a $kind stream is closed" "$($TAP 127.0.0.1:$TAP_TCP $kind)" "closed"
done
sleep 0.3
bad=$(curl -s http://127.0.0.1:$H/metrics | grep '^routerd_dnstap_bad_streams_total')
for r in garbage oversized content_type truncated; do
	expect_match "counted: $r" "$bad" "reason=\"$r\"} 2"
done
wait_log 'dnstap: .*bad frame stream \(garbage\), connection closed' 2 && ok "a log line says why" || fail "no log line for a bad stream"
expect_eq "rate-limited: fewer lines than bad streams" "$( [ "$(grep -c 'bad frame stream' "$RD_LOG")" -lt 8 ] && echo yes)" "yes"
before=$(dnstap_field knot1 observations)
ask $KNOT_P 127.0.0.32 >/dev/null
wait_until "Knot's stream is unaffected" 10 observed_at_least knot1 $((before + 1))

# A flood of random resolvers: the table stays at tracking.max_entries.
expect_eq "flood: 20000 responses, random resolvers" "$($TAP 127.0.0.1:$TAP_TCP stream --count 20000 --random --identity flood)" "accept finish"
wait_until "flood: all observed" 20 observed_at_least flood 20000
# The collector's count is of observations pushed to its ring; the tracker
# takes them from there on its own thread a moment later.
evicted() { curl -s http://127.0.0.1:$H/metrics | grep -Eq '^routerd_track_evicted_total [1-9]'; }
wait_until "flood: the tracker took them" 20 evicted
metrics=$(curl -s http://127.0.0.1:$H/metrics)
entries=$(echo "$metrics" | awk '$1 == "routerd_track_entries" {print $2}')
expect_eq "flood: the table holds at most max_entries" "$( [ "$entries" -le 2000 ] && echo yes)" "yes"
expect_match "flood: entries were evicted" "$metrics" 'routerd_track_evicted_total [1-9]'
expect_match "flood: routerd still answers" "$(q @127.0.0.1 -p $P www.t.test A +short)" "192.0.2.9"

# A secondary restarts: its new stream is the same server.
kill -TERM "$KNOT_PID"; wait "$KNOT_PID" 2>/dev/null
start_knot
wait_answer 127.0.0.1 $KNOT_P t.test || fail "Knot does not come back"
before=$(dnstap_field knot1 observations)
ask $KNOT_P 127.0.0.32 >/dev/null
wait_until "Knot reconnects: observations go on under knot1" 20 observed_at_least knot1 $((before + 1))
expect_eq "no second knot1 server" "$(stats | $PY -c 'import json,sys; print(sum(1 for s in json.load(sys.stdin)["data"]["dnstap"]["servers"] if s["server"].startswith("knot")))')" "1"

# routerd restarts while the secondaries answer: they never wait for it.
timed() { # PORT: seconds for 100 queries
	local t0 t1
	t0=$(date +%s.%N)
	for i in $(seq 1 100); do kdig @127.0.0.1 -p "$1" +time=2 +retry=0 www.t.test A +short >/dev/null || echo lost; done
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}
base=$(timed $BIND_P)
stop_routerd
for p in $NSD_P $KNOT_P $BIND_P; do
	out=$(for i in $(seq 1 100); do kdig @127.0.0.1 -p $p +time=2 +retry=0 www.t.test A +short || echo lost; done)
	expect_eq "routerd down: port $p answers every query" "$(echo "$out" | grep -c 192.0.2.9)" "100"
done
down=$(timed $BIND_P)
expect_eq "routerd down: BIND as fast as with it (within 3x)" "$(echo "$base $down" | awk '{print ($2 < 3 * $1 + 0.5) ? "yes" : "no (" $1 " s then " $2 " s)"}')" "yes"
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd2.log"
wait_answer 127.0.0.1 $P t.test || { fail "routerd does not come back"; finish; }
for s in nsd1 knot1 bind1; do
	case $s in nsd1) p=$NSD_P ;; knot1) p=$KNOT_P ;; bind1) p=$BIND_P ;; esac
	wait_until "after routerd's restart, $s reconnects" 40 bash -c "kdig @127.0.0.1 -p $p -b 127.0.0.35 +norec www.t.test A >/dev/null; $CTL --json stats | grep -q '\"server\":\"$s\",\"connections\":1'"
done
stop_routerd
for pid in $NSD_PID $KNOT_PID $BIND_PID; do kill -0 "$pid" 2>/dev/null || fail "a secondary (pid $pid) died"; done
finish
