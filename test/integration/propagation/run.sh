#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# it: alone
# Propagation against real resolvers (issue 4, point 5).
#
# Five recursive resolvers -- Unbound, Knot Resolver, BIND 9, PowerDNS
# Recursor and dnsmasq -- each forward t.test to routerd from its own
# loopback address, so routerd sees five resolvers. Their cache settings
# differ (the hold is the time between two upstream fetches of www.t.test
# under continuous demand; the switch TTL is 10 s):
#
#   source      software        setting                               hold  measured  class
#   127.0.0.21  unbound 1.17    prefetch: yes, serve-expired: yes     9 s   9.0       prefetch (0.9 x TTL)
#   127.0.0.22  kresd 5.6       cache.min_ttl(20), serve_stale        20 s  21.0      floor
#   127.0.0.23  named 9.18      min-cache-ttl 30, prefetch 0,         30 s  30.0      floor
#                               stale-answer-enable, client-timeout 0
#   127.0.0.24  pdns_recursor   minimum-ttl-override=15,              15 s  15.0      floor
#               4.8             serve-stale-extensions
#   127.0.0.25  dnsmasq 2.90    the TTL as served, --use-stale-cache  10 s  10.7-11.1 ttl
#
# ("measured": the median gap between fetches seen from the resolver side
# in the runs of November 2026. Whole-second clocks add up to a second:
# dnsmasq expires an entry only once the second after its TTL has begun.
# kresd hands out the floor on the answer that fetched, then the served
# TTL counting down to 0, and holds on to the floor.)
#
# The floors are short so that each resolver shows many gaps in ten
# minutes: a resolver's weight is estimated from its waits, whose
# relative error is about 1 / sqrt(gaps).
#
# None validates DNSSEC for t.test (validation off, or a stub mode). Every
# outgoing socket is bound to a 127.0.0.x source, which the kernel never
# routes off the host: root priming and the like fail at once, locally.
# propagation.py then drives a heavy-tailed load through them (see its
# header for the rates), learns for 200 s, pins the switch to the origin
# and keeps the load for 300 s, and compares routerd's propagation report
# (routerctl --json propagation) with the truth: what each resolver served
# the load generator, at each moment. The real hold of each resolver is
# measured from the resolver side (the TTL it returns to clients restarts
# at each upstream fetch), never from routerd's side, which is under test.
#
# Ports: routerd 127.0.0.1:15411 (DNS) and :15412 (HTTP); the resolvers
# query routerd from 127.0.0.21-25 and listen on port 15413 of the same
# address, except named (127.0.0.1:15414, see LISTEN below). 15401-15403
# are the differential case's.
# A resolver that cannot start here fails the test; it does not skip.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=15411 H=15412 RP=15413
LEARN_S=${PROP_LEARN_S:-300} AFTER_S=${PROP_AFTER_S:-300}
NAMES=(unbound kresd named pdns dnsmasq)
# SRC: the address each one queries routerd from (routerd's view of it);
# LISTEN: where the load generator asks it. named listens only on addresses
# configured on an interface, and lo has 127.0.0.1/8 alone (adding one would
# change the host), so named listens on 127.0.0.1:15414 and queries from
# 127.0.0.23 (query-source needs no interface address).
declare -A ADDR=([unbound]=127.0.0.21 [kresd]=127.0.0.22 [named]=127.0.0.23 [pdns]=127.0.0.24 [dnsmasq]=127.0.0.25)
declare -A LISTEN=([unbound]=127.0.0.21:15413 [kresd]=127.0.0.22:15413 [named]=127.0.0.1:15414 [pdns]=127.0.0.24:15413 [dnsmasq]=127.0.0.25:15413)
# The hold each one's configuration implies (the table above).
declare -A CLASS=([unbound]=prefetch [kresd]=floor [named]=floor [pdns]=floor [dnsmasq]=ttl)
declare -A HOLD=([unbound]=9 [kresd]=20 [named]=30 [pdns]=15 [dnsmasq]=10)
declare -A BIN=([unbound]=unbound [kresd]=kresd [named]=named [pdns]=pdns_recursor [dnsmasq]=dnsmasq)

$PY -c 'import dns.asyncquery' 2>/dev/null || { fail "no dnspython for $PY (tools/install-deps.sh)"; finish; }
[ -x "$TOP/build/routerctl" ] || { fail "no build/routerctl (make)"; finish; }
for n in "${NAMES[@]}"; do
	command -v "${BIN[$n]}" >/dev/null ||
		fail "${BIN[$n]} is not installed (tools/install-deps.sh installs it): this test needs it"
done
[ "$T_FAILS" -eq 0 ] || finish
for p in $P $H; do
	port_listening $p && { fail "port $p is taken (another run of this test?)"; finish; }
done
for n in "${NAMES[@]}"; do
	a=${LISTEN[$n]%:*} p=${LISTEN[$n]#*:}
	ss -Hlnu "( sport = :$p )" 2>/dev/null | grep -Eq "($a|0\.0\.0\.0|\*):$p" &&
		{ fail "${LISTEN[$n]} is taken"; finish; }
done

# routerd: the zone, one switch with addresses on both sides, TTL 10 s in
# every state. client_hold 0: the load generator keeps no cache of its own
# (and with no hold, client_share counts for nothing).
write_t_zone "$T_DIR/t.zone" 1
write_t_config 2
cat >>"$T_DIR/routerd.yaml" <<CONF
tracking: { client_hold: 0s }
switch_defaults: { ttl: 10s, ttl_armed: 10s }
switches:
  - name: www.t.test
    cdn: { a: [198.51.100.1], aaaa: ["2001:db8::1"] }
    origin: { a: [192.0.2.9], aaaa: ["2001:db8::9"] }
CONF

# start NAME CMD...: run a resolver in the background (not holding the
# test's lock), its output in $T_DIR/NAME/log, its PID recorded.
declare -A PIDOF
start() {
	local n=$1
	shift
	"$@" >"$T_DIR/$n/log" 2>&1 {T_LOCK}>&- &
	PIDOF[$n]=$!
	T_PIDS+=("$!")
	echo "$!" >"$T_DIR/$n/pid.started"
}

# Unbound: forward-zone to routerd, prefetch and serve-expired; the
# iterator alone (no validator); "test." is one of Unbound's default
# local zones (RFC 6761), so it is turned off.
d=$T_DIR/unbound
mkdir -p "$d"
cat >"$d/unbound.conf" <<CONF
server:
  interface: ${ADDR[unbound]}
  port: $RP
  outgoing-interface: ${ADDR[unbound]}
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$d"
  pidfile: "$d/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  domain-insecure: "t.test"
  local-zone: "test." nodefault
  prefetch: yes
  serve-expired: yes
  serve-expired-ttl: 3600
  serve-expired-client-timeout: 0
  cache-min-ttl: 0
remote-control:
  control-enable: no
forward-zone:
  name: "t.test"
  forward-addr: 127.0.0.1@$P
CONF

# Knot Resolver: a stub to routerd for t.test (STUB never validates), and
# no trust anchor anyway; a 20 s TTL floor; serve_stale. The root priming
# and the trust anchor updater would only send queries nowhere.
d=$T_DIR/kresd
mkdir -p "$d/cache"
cat >"$d/kresd.conf" <<CONF
net.listen('${ADDR[kresd]}', $RP, { kind = 'dns' })
net.ipv6 = false
net.outgoing_v4('${ADDR[kresd]}')
modules.unload('priming')
modules.unload('ta_update')
modules.unload('detect_time_skew')
trust_anchors.remove('.')
cache.open(20 * MB, 'lmdb://$d/cache')
cache.min_ttl(20)
modules.load('serve_stale < cache')
policy.add(policy.suffix(policy.STUB({'127.0.0.1@$P'}), { todname('t.test.') }))
CONF

# BIND: a forward-only zone, no validation; a 30 s floor (min-cache-ttl,
# at most 90); its default prefetch ("2 9") off, so the floor alone is the
# hold; stale answers at once (client timeout 0) while it refreshes.
d=$T_DIR/named
mkdir -p "$d"
cat >"$d/named.conf" <<CONF
options {
	directory "$d";
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	managed-keys-directory "$d";
	listen-on port ${LISTEN[named]#*:} { ${LISTEN[named]%:*}; };
	listen-on-v6 { none; };
	query-source address ${ADDR[named]};
	recursion yes;
	allow-query { 127.0.0.0/8; };
	allow-recursion { 127.0.0.0/8; };
	dnssec-validation no;
	notify no;
	min-cache-ttl 30;
	prefetch 0;
	stale-cache-enable yes;
	stale-answer-enable yes;
	stale-answer-client-timeout 0;
	max-stale-ttl 3600;
};
controls { };
zone "t.test" { type forward; forward only; forwarders { 127.0.0.1 port $P; }; };
CONF

# PowerDNS Recursor: forward-zones to routerd, no DNSSEC processing, a
# 15 s floor (minimum-ttl-override), serve-stale-extensions.
d=$T_DIR/pdns
mkdir -p "$d"
cat >"$d/recursor.conf" <<CONF
local-address=${ADDR[pdns]}
local-port=$RP
query-local-address=${ADDR[pdns]}
allow-from=127.0.0.0/8
forward-zones=t.test=127.0.0.1:$P
dnssec=off
minimum-ttl-override=15
serve-stale-extensions=10
security-poll-suffix=
socket-dir=$d
daemon=no
write-pid=no
threads=1
loglevel=4
CONF

# dnsmasq: t.test to routerd from its own address; no resolv.conf or
# hosts; the TTL as served (no min-cache-ttl); stale answers while it
# refreshes.
d=$T_DIR/dnsmasq
mkdir -p "$d"

start unbound unbound -d -c "$T_DIR/unbound/unbound.conf"
start kresd kresd -n -c "$T_DIR/kresd/kresd.conf" "$T_DIR/kresd"
start named named -g -4 -n 1 -c "$T_DIR/named/named.conf"
start pdns pdns_recursor --config-dir="$T_DIR/pdns"
start dnsmasq dnsmasq --keep-in-foreground --log-facility=- --conf-file=/dev/null \
	--no-resolv --no-hosts --no-poll --user=root --group=root \
	--pid-file="$T_DIR/dnsmasq/dnsmasq.pid" \
	--listen-address="${ADDR[dnsmasq]}" --bind-interfaces --port=$RP \
	--server="/t.test/127.0.0.1#$P@${ADDR[dnsmasq]}" \
	--cache-size=1000 --use-stale-cache

start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "routerd does not answer"; finish; }

# Each resolver must be up and answer www.t.test with the CDN's address
# through routerd (20 s: kresd and named take a moment to start).
for n in "${NAMES[@]}"; do
	got=""
	for _ in $(seq 1 40); do
		kill -0 "${PIDOF[$n]}" 2>/dev/null || break
		got=$(q @"${LISTEN[$n]%:*}" -p "${LISTEN[$n]#*:}" www.t.test A +short 2>/dev/null)
		# AAAA right after: both types cached together, as under the load
		[ "$got" == "198.51.100.1" ] &&
			q @"${LISTEN[$n]%:*}" -p "${LISTEN[$n]#*:}" www.t.test AAAA +short >/dev/null 2>&1 && break
		sleep 0.5
	done
	if [ "$got" == "198.51.100.1" ]; then
		ok "$n (${BIN[$n]}) on ${LISTEN[$n]} answers www.t.test through routerd"
	else
		fail "$n (${BIN[$n]}) on ${LISTEN[$n]}: got [$got] for www.t.test A, wanted [198.51.100.1]; its log:"
		sed -n '1,40p' "$T_DIR/$n/log"
		kill -0 "${PIDOF[$n]}" 2>/dev/null || echo "($n exited)"
	fi
done
[ "$T_FAILS" -eq 0 ] || finish
# The tracker folds the workers' rings every 100 ms.
for _ in $(seq 1 20); do
	m=$(curl -s "http://127.0.0.1:$H/metrics" | grep '^routerd_track_entries ')
	[ "$m" == "routerd_track_entries 5" ] && break
	sleep 0.2
done
expect_eq "routerd sees five resolvers, one per source address" "$m" "routerd_track_entries 5"

specs=()
for n in "${NAMES[@]}"; do specs+=(--resolver "$n=${ADDR[$n]},${LISTEN[$n]},${CLASS[$n]},${HOLD[$n]}"); done
$PY "$here/propagation.py" --dir "$T_DIR" --ctl "$TOP/build/routerctl" --sock "$T_DIR/ctl.sock" \
	--learn "$LEARN_S" --after "$AFTER_S" "${specs[@]}"
T_FAILS=$((T_FAILS + $?))

for n in "${NAMES[@]}"; do
	if kill -0 "${PIDOF[$n]}" 2>/dev/null; then
		ok "$n still running at the end"
	else
		fail "$n exited during the test; its log:"
		tail -n 20 "$T_DIR/$n/log"
	fi
done
stop_routerd
finish
