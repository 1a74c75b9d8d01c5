#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# fleet.sh -- the fleet's figures for BENCHMARKS.md, with the optimized
# build/routerd and real NSD, Knot and BIND secondaries (fleet_lib.sh):
#   1. webhook posted until every secondary answers the new side, 200 flips;
#   2. a glob pin of 10,000 switches until the whole fleet serves it, bytes;
#   3. a 1M-record AXFR from routerd and from NSD as the primary of the same
#      zone file, and routerd's answer latency while it streams.
# usage: test/bench/fleet.sh [FLIPS] [RECORDS]    (defaults 200, 1000000)
set -u
cd "$(dirname "$0")/../.."
export ROUTERD=${ROUTERD:-$PWD/build/routerd}
# lib.sh names its directory after the case: build/it/bench.
. test/integration/lib.sh
. test/integration/fleet_lib.sh
FLIPS=${1:-200} RECORDS=${2:-1000000}
P=16341 H=16342 SP=16350 BP=16351 NP=16352
NSD=127.0.3.11 KNOT=127.0.3.12 BIND=127.0.3.13
KEY=xfr.routerd.
fleet_key $KEY "$T_DIR/xfr.key"
write_t_zone "$T_DIR/t.zone" 1
printf '$ORIGIN bulk.test.\n$TTL 300\n@ SOA ns hostmaster 1 14400 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n' >"$T_DIR/bulk.zone"
$PY test/bench/genzone.py "$RECORDS" "$T_DIR/big.zone"
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
http: { listen: "127.0.0.1:$H" }
zones:
  - { name: t.test, file: $T_DIR/t.zone }
  - { name: bulk.test, file: $T_DIR/bulk.zone }
  - { name: bench.test, file: $T_DIR/big.zone }
brake: { max_share: 1.0, min_switches: 100000 }
switch_defaults: { failback_hold: 0s }
fleet:
  keys: [ { name: $KEY, secret_file: $T_DIR/xfr.key } ]
  secondaries:
    - { name: nsd,  address: "$NSD:$SP",  key: $KEY }
    - { name: knot, address: "$KNOT:$SP", key: $KEY }
    - { name: bind, address: "127.0.0.1:$BP", key: $KEY, source: $BIND }
  transfer_allow: ["127.0.0.1"]
  require_key: false
switches:
  - { name: www.t.test, cdn: { cname: cust.cdn.example.net }, origin: { a: [192.0.2.9] } }
CONF
$PY - >>"$T_DIR/routerd.yaml" <<'PYEOF'
for i in range(10000):
    print("  - { name: s%05d.bulk.test, cdn: { cname: c%05d.cdn.example.net }, origin: { a: [192.0.2.%d] } }" % (i, i, 1 + i % 250))
PYEOF
start_routerd "$T_DIR/routerd.yaml"
for i in $(seq 1 600); do soa_serial 127.0.0.1 $P t.test | grep -q . && break; sleep 0.1; done
start_nsd "$T_DIR/nsd" $NSD $SP 127.0.0.1 $P $KEY "$FLEET_SECRET" t.test bulk.test
start_knot "$T_DIR/knot" $KNOT $SP 127.0.0.1 $P $KEY "$FLEET_SECRET" t.test bulk.test
start_bind "$T_DIR/bind" $BIND $BP 127.0.0.1 $P $KEY "$FLEET_SECRET" t.test bulk.test
for s in "$NSD $SP" "$KNOT $SP" "127.0.0.1 $BP"; do
	wait_serial $s bulk.test 1 60 || echo "secondary $s did not load bulk.test"
done
echo "== $FLIPS flips, 10000-switch pin (routerd -> NSD 4.6, Knot 3.2, BIND 9.18 on loopback)"
$PY test/bench/fleet_flips.py $H "$TOP/build/routerctl -s $T_DIR/ctl.sock" "$NSD:$SP" "$KNOT:$SP" "127.0.0.1:$BP" --flips "$FLIPS" --gap "${FLEET_GAP:-1}" --self "127.0.0.1:$P" ${FLEET_VERBOSE:+--verbose}

echo "== AXFR of bench.test, $RECORDS records + SOA/NS: routerd vs NSD as primary of the same file"
mkdir -p "$T_DIR/nsdp"
cat >"$T_DIR/nsdp/nsd.conf" <<C
server:
	ip-address: 127.0.0.1@$NP
	username: ""
	chroot: ""
	database: ""
	pidfile: "$T_DIR/nsdp/nsd.pid"
	xfrdfile: "$T_DIR/nsdp/xfrd.state"
	zonelistfile: "$T_DIR/nsdp/zone.list"
	server-count: 1
remote-control:
	control-enable: no
zone:
	name: bench.test
	zonefile: "$T_DIR/big.zone"
	provide-xfr: 127.0.0.1 NOKEY
C
nsd -d -c "$T_DIR/nsdp/nsd.conf" 2>"$T_DIR/nsdp/nsd.log" {T_LOCK}>&- &
T_PIDS+=($!)
for i in $(seq 1 600); do soa_serial 127.0.0.1 $NP bench.test | grep -q . && break; sleep 0.1; done
for run in 1 2 3; do
	for who in "routerd $P" "nsd $NP"; do
		set -- $who
		t0=$(date +%s.%N)
		n=$(kdig +time=30 @127.0.0.1 -p $2 bench.test AXFR 2>/dev/null | grep -c 'IN')
		t1=$(date +%s.%N)
		printf 'run %d %-8s %8d records in %6.0f ms\n' $run $1 "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) * 1000 }')"
	done
done
# Answer latency while routerd streams: queries during an AXFR vs idle.
lat() { for i in $(seq 1 50); do kdig +time=2 +retry=0 @127.0.0.1 -p $P www.t.test A 2>/dev/null | sed -n 's/.* in \([0-9.]*\) ms$/\1/p'; done | sort -n | awk '{a[NR]=$1} END {printf "p50 %.2f ms, p99 %.2f ms (kdig, 50 queries)\n", a[int(NR*0.5)], a[int(NR*0.99)]}'; }
echo "idle:             $(lat)"
( for i in 1 2 3; do kdig +time=30 @127.0.0.1 -p $P bench.test AXFR >/dev/null 2>&1; done ) &
AX=$!
sleep 0.2
echo "during 1M AXFRs:  $(lat)"
wait $AX
$TOP/build/routerctl -s "$T_DIR/ctl.sock" fleet | head -12
stop_routerd
