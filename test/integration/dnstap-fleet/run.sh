#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The fleet's propagation, end to end: routerd is the hidden primary of
# real NSD, Knot and BIND secondaries (NOTIFY, IXFR, TSIG), each sending
# dnstap back to routerd; real resolvers sit in front of different
# secondaries (Unbound before NSD, Knot Resolver before Knot, another
# Unbound before BIND) with different TTL floors, and clients keep asking
# them. After a flip the report must name each resolver with the secondary
# it used, say when each secondary first served the new side, name a
# listed secondary that sends no dnstap as unobserved, and its estimate
# must fall to nothing once every resolver, asked directly, serves the new
# answer.
. "$(dirname "$0")/../lib.sh"
for c in nsd knotd named unbound kresd; do command -v $c >/dev/null || skip "no $c"; done
[ -f /usr/lib/x86_64-linux-gnu/knot/modules-3.2/dnstap.so ] || skip "no knot-module-dnstap"
P=16460 H=16461 SP=16420 BSP=16422 RP=16430
# BIND listens only on addresses of an interface (lo has 127.0.0.1): it
# answers on 127.0.0.1:$BSP and sends from 127.0.4.3.
NSD=127.0.4.1 KNOT=127.0.4.2 BIND=127.0.4.3
UNB1=127.0.4.11 KRES=127.0.4.12 UNB2=127.0.4.13
SOCK=$T_DIR/dnstap.sock
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
KEY=xfr.routerd.
SECRET=$(head -c 32 /dev/urandom | base64)
echo "$SECRET" >"$T_DIR/xfr.key"

write_t_zone "$T_DIR/t.zone" 100
write_t_config 1
cat >>"$T_DIR/routerd.yaml" <<CONF
tracking: { client_hold: 0s }
switch_defaults: { ttl: 3s }
fleet:
  keys: [ { name: $KEY, algorithm: hmac-sha256, secret_file: $T_DIR/xfr.key } ]
  secondaries:
    - { name: nsd1,  address: "$NSD:$SP",  key: $KEY }
    - { name: knot1, address: "$KNOT:$SP", key: $KEY }
    - { name: bind1, address: "127.0.0.1:$BSP", key: $KEY }
    - { name: ns4,   address: "127.0.4.4:$SP", key: $KEY }   # listed, sends no dnstap
  require_key: true
  dnstap:
    listen: ["unix:$SOCK"]
switches:
  - name: www.t.test
    cdn: { a: [198.51.100.1] }       # addresses: the resolvers need not chase a CNAME off loopback
    origin: { a: [192.0.2.9] }
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "routerd does not answer"; finish; }

# The secondaries: transfers with TSIG from their own address, dnstap to routerd.
mkdir -p "$T_DIR/nsd" "$T_DIR/knot" "$T_DIR/bind"
cat >"$T_DIR/nsd/nsd.conf" <<CONF
server:
  ip-address: $NSD@$SP
  username: ""
  chroot: ""
  zonesdir: "$T_DIR/nsd"
  database: ""
  pidfile: "$T_DIR/nsd/nsd.pid"
  xfrdfile: "$T_DIR/nsd/xfrd.state"
  xfrdir: "$T_DIR/nsd"
  zonelistfile: "$T_DIR/nsd/zone.list"
  server-count: 1
  xfrd-reload-timeout: 0
  zonefiles-write: 0
  rrl-ratelimit: 0
dnstap:
  dnstap-enable: yes
  dnstap-socket-path: "$SOCK"
  dnstap-send-identity: yes
  dnstap-identity: "nsd1"
  dnstap-log-auth-query-messages: no
  dnstap-log-auth-response-messages: yes
remote-control:
  control-enable: no
key:
  name: "$KEY"
  algorithm: hmac-sha256
  secret: "$SECRET"
zone:
  name: "t.test"
  allow-notify: 127.0.0.0/8 $KEY
  request-xfr: 127.0.0.1@$P $KEY
  outgoing-interface: $NSD
CONF
cat >"$T_DIR/knot/knot.conf" <<CONF
server:
  rundir: "$T_DIR/knot"
  listen: $KNOT@$SP
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
log:
  - target: stderr
    any: notice
database:
  storage: "$T_DIR/knot"
key:
  - id: $KEY
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: routerd
    address: 127.0.0.1@$P
    key: $KEY
    via: $KNOT
acl:
  - id: notify
    address: 127.0.0.0/8
    key: $KEY
    action: notify
mod-dnstap:
  - id: tap
    sink: unix:$SOCK
    identity: knot1
    log-queries: off
    log-responses: on
template:
  - id: default
    storage: "$T_DIR/knot"
    master: routerd
    acl: notify
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
    global-module: mod-dnstap/tap
zone:
  - domain: t.test
CONF
cat >"$T_DIR/bind/named.conf" <<CONF
options {
  directory "$T_DIR/bind";
  listen-on port $BSP { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file "$T_DIR/bind/named.pid";
  session-keyfile "$T_DIR/bind/session.key";
  recursion no;
  dnssec-validation no;
  notify no;
  transfer-source $BIND;
  query-source address $BIND;
  notify-source $BIND;
  dnstap { auth response; client response; };   # RD=1 answers are CLIENT_RESPONSE
  dnstap-output unix "$SOCK";
  dnstap-identity "bind1";
};
controls { };
key "$KEY" { algorithm hmac-sha256; secret "$SECRET"; };
primaries routerd { 127.0.0.1 port $P key "$KEY"; };
zone "t.test" { type secondary; file "t.test.db"; primaries { routerd; }; allow-notify { key "$KEY"; }; };
CONF
nsd -d -c "$T_DIR/nsd/nsd.conf" >"$T_DIR/nsd/log" 2>&1 {T_LOCK}>&- & T_PIDS+=($!)
knotd -c "$T_DIR/knot/knot.conf" >"$T_DIR/knot/log" 2>&1 {T_LOCK}>&- & T_PIDS+=($!)
named -g -n 1 -c "$T_DIR/bind/named.conf" >"$T_DIR/bind/log" 2>&1 {T_LOCK}>&- & T_PIDS+=($!)

# wait_until WHAT SECONDS CMD...
wait_until() {
	local what=$1 n=$(( $2 * 5 )) i
	shift 2
	for i in $(seq 1 $n); do "$@" && { ok "$what"; return 0; }; sleep 0.2; done
	fail "$what (not within $((n / 5)) s)"
	return 1
}
serves() { [ "$(kdig @"$1" -p "$2" +norec +time=1 +retry=0 www.t.test A +short 2>/dev/null | tail -1)" == "$3" ]; }
for s in $NSD:$SP $KNOT:$SP 127.0.0.1:$BSP; do
	wait_until "secondary $s transferred the zone" 30 serves ${s%:*} ${s#*:} 198.51.100.1
done

# The resolvers, each before one secondary, with their own floors.
mkdir -p "$T_DIR/unbound1" "$T_DIR/unbound2" "$T_DIR/kresd/cache"
# A forward zone: its queries have RD=1, which BIND logs as CLIENT_RESPONSE
# (with AA set: routerd takes those as authoritative answers).
unbound_conf() { # DIR ADDR SECONDARY@PORT FLOOR
	cat >"$1/unbound.conf" <<CONF
server:
  interface: $2
  port: $RP
  outgoing-interface: $2
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$1"
  pidfile: "$1/unbound.pid"
  use-syslog: no
  logfile: ""
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  domain-insecure: "t.test"
  local-zone: "test." nodefault
  cache-min-ttl: $4
remote-control:
  control-enable: no
forward-zone:
  name: "t.test"
  forward-addr: $3
CONF
}
unbound_conf "$T_DIR/unbound1" $UNB1 $NSD@$SP 0
unbound_conf "$T_DIR/unbound2" $UNB2 127.0.0.1@$BSP 8
cat >"$T_DIR/kresd/kresd.conf" <<CONF
net.listen('$KRES', $RP, { kind = 'dns' })
net.ipv6 = false
net.outgoing_v4('$KRES')
modules.unload('priming')
modules.unload('ta_update')
modules.unload('detect_time_skew')
trust_anchors.remove('.')
cache.open(20 * MB, 'lmdb://$T_DIR/kresd/cache')
cache.min_ttl(5)
policy.add(policy.suffix(policy.STUB({'$KNOT@$SP'}), { todname('t.test.') }))
CONF
unbound -d -c "$T_DIR/unbound1/unbound.conf" >"$T_DIR/unbound1/log" 2>&1 {T_LOCK}>&- & T_PIDS+=($!)
unbound -d -c "$T_DIR/unbound2/unbound.conf" >"$T_DIR/unbound2/log" 2>&1 {T_LOCK}>&- & T_PIDS+=($!)
kresd -n -c "$T_DIR/kresd/kresd.conf" "$T_DIR/kresd" >"$T_DIR/kresd/log" 2>&1 {T_LOCK}>&- & T_PIDS+=($!)
for r in $UNB1 $KRES $UNB2; do
	wait_until "resolver $r answers through its secondary" 20 bash -c "kdig @$r -p $RP +time=1 +retry=0 www.t.test A +short | grep -qx 198.51.100.1"
done

# Clients: each resolver asked for A and AAAA about 3 times a second.
(
	while :; do
		for r in $UNB1 $KRES $UNB2; do
			kdig @$r -p $RP +time=1 +retry=0 www.t.test A >/dev/null 2>&1 &
			kdig @$r -p $RP +time=1 +retry=0 www.t.test AAAA >/dev/null 2>&1 &
		done
		wait
		sleep 0.3
	done
) {T_LOCK}>&- &
T_PIDS+=($!)
sleep 15 # the tracker learns each resolver's refetch gaps

$CTL pin www.t.test origin --reason dnstap-fleet --for 1h >/dev/null || fail "pin"
for s in $NSD:$SP $KNOT:$SP 127.0.0.1:$BSP; do
	wait_until "secondary $s serves the new side (NOTIFY, IXFR)" 30 serves ${s%:*} ${s#*:} 192.0.2.9
done
# Truth: every resolver, asked directly, serves the new answer.
for r in $UNB1 $KRES $UNB2; do
	wait_until "resolver $r serves the new answer" 40 bash -c "kdig @$r -p $RP +time=1 +retry=0 www.t.test A +short | grep -qx 192.0.2.9"
done
sleep 3
report() { $CTL --json propagation www.t.test; }
report >"$T_DIR/report.json"
field() { $PY -c "import json,sys; r=json.load(open('$T_DIR/report.json')); print($1)"; }
pairs=$(field '" ".join(sorted("%s@%s" % (x["resolver"], x["server"]) for x in r["resolvers_top"]))')
for pair in $UNB1@nsd1 $KRES@knot1 $UNB2@bind1; do
	expect_match "the report names resolver ${pair%@*} with the secondary it used, ${pair#*@}" "$pairs" "$pair"
done
for s in nsd1 knot1 bind1; do
	expect_match "$s: when it first served the new side" \
		"$(field "[x['first_new_s'] for x in r['servers'] if x['server']=='$s'][0]")" '^[0-9]+\.[0-9]+$'
done
expect_eq "the listed secondary without dnstap is unobserved" "$(field 'r["unobserved"]')" "['ns4']"
expect_eq "and so is a quarter of the fleet" "$(field 'r["unobserved_share"]')" "0.25"
expect_eq "routerd's own workers saw no resolver: not a row" "$(field '[x["server"] for x in r["servers"] if x["server"]=="routerd"]')" "[]"
sleep 3
expect_eq "every resolver moved: the estimate is under 1%" "$($CTL --json propagation www.t.test | $PY -c 'import json,sys; print(json.load(sys.stdin)["now"]["expected"] < 0.01)')" "True"
$CTL propagation www.t.test --svg "$T_DIR/report.svg" >"$T_DIR/report.txt" || fail "routerctl propagation --svg"
expect_match "the text report lists the servers" "$(cat "$T_DIR/report.txt")" "ns4 +unobserved"
stop_routerd
finish
