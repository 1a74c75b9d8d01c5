#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Conformance corners found by public suites (issue 15), each against NSD
# and Knot serving the same zone: an unknown opcode with a malformed
# question is NOTIMP (the opcode is judged first); UDP queries larger than
# 4,096 bytes are answered (FORMERR when malformed), not dropped. Then
# `routerd -t`: a zone with a DNAME loads; a switch below a DNAME is refused.
# (DNAME answers and DS at served cuts are compared in differential/.)
#
# Ports: routerd 16500, NSD 16501, Knot 16502 on 127.0.0.1.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
RD_P=16500 NSD_P=16501 KNOT_P=16502

command -v nsd >/dev/null || skip "no nsd"
command -v knotd >/dev/null || skip "no knotd"
for p in $RD_P $NSD_P $KNOT_P; do
	port_listening $p && { fail "port $p is taken (another run of this test?)"; finish; }
done

mkdir -p "$T_DIR/nsd" "$T_DIR/knot/storage"
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
  minimal-responses: yes
  server-count: 1
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: t.test
  zonefile: "$here/t.test.zone"
CONF
nsd -d -c "$T_DIR/nsd/nsd.conf" >"$T_DIR/nsd/log" 2>&1 &
T_PIDS+=("$!")
cat >"$T_DIR/knot/knot.conf" <<CONF
server:
  listen: 127.0.0.1@$KNOT_P
  rundir: $T_DIR/knot
  user: $(id -un)
database:
  storage: $T_DIR/knot/storage
log:
  - target: stderr
    any: warning
zone:
  - domain: t.test
    file: $here/t.test.zone
    zonefile-sync: -1
    journal-content: none
CONF
knotd -c "$T_DIR/knot/knot.conf" >"$T_DIR/knot/log" 2>&1 &
T_PIDS+=("$!")
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$RD_P"], workers: 1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones: [ { name: t.test, file: $here/t.test.zone } ]
CONF
start_routerd "$T_DIR/routerd.yaml"
for p in $RD_P $NSD_P $KNOT_P; do
	wait_answer 127.0.0.1 $p t.test || { fail "no server on port $p"; finish; }
done

out=$($PY "$here/packets.py" routerd=$RD_P nsd=$NSD_P knot=$KNOT_P) || fail "packets.py"
echo "$out" >"$T_DIR/packets.txt"
for name in $(echo "$out" | awk '{print $1}' | sort -u); do
	rd=$(echo "$out" | awk -v n="$name" '$1 == n && $2 == "routerd" { $1 = $2 = ""; print }')
	nsd=$(echo "$out" | awk -v n="$name" '$1 == n && $2 == "nsd" { $1 = $2 = ""; print }')
	knot=$(echo "$out" | awk -v n="$name" '$1 == n && $2 == "knot" { $1 = $2 = ""; print }')
	expect_eq "$name: routerd answers as NSD does" "$rd" "$nsd"
	expect_eq "$name: the same rcode as Knot" "${rd%% *}" "${knot%% *}"
done
expect_match "an unknown opcode with a malformed question is NOTIMP" \
	"$(echo "$out" | grep '^opcode15-badlabel routerd')" "rcode=4 qd=0"
expect_match "a 65,000-byte query gets its answer" "$(echo "$out" | grep '^udp-65000 routerd')" "rcode=0 qd=1 an=1"

rd_alive || fail "routerd died"
stop_routerd

# A zone with DNAMEs loads (it was refused before), and a switch at or
# below a DNAME owner is refused at check time with a clear error.
cat >"$T_DIR/dn.zone" <<Z
\$ORIGIN dn.test.
\$TTL 300
@    SOA ns hostmaster 1 14400 3600 1209600 300
@    NS  ns
ns   A   192.0.2.1
old  DNAME new.example.
Z
cat >"$T_DIR/dn.yaml" <<CONF
server: { listen: ["127.0.0.1:$RD_P"] }
state_dir: $T_DIR/state2
control: { socket: $T_DIR/ctl2.sock }
zones: [ { name: dn.test, file: $T_DIR/dn.zone } ]
CONF
out=$("$ROUTERD" -t -c "$T_DIR/dn.yaml" 2>&1); rc=$?
expect_eq "-t on a zone with a DNAME exits 0" "$rc" "0"
cat >>"$T_DIR/dn.yaml" <<CONF
switches:
  - name: www.old.dn.test
    cdn: { cname: cust.cdn.example.net }
    origin: { a: [198.51.100.7] }
CONF
out=$("$ROUTERD" -t -c "$T_DIR/dn.yaml" 2>&1); rc=$?
expect_eq "-t with a switch below a DNAME exits 1" "$rc" "1"
expect_match "the error names the switch, its line and the DNAME" "$out" \
	"dn\.yaml:6:[0-9]+: error: switch www\.old\.dn\.test\.? is at or below the DNAME at old\.dn\.test\."
echo "$out" >"$T_DIR/check-dname.out"
check_sanitizers "$T_DIR/check-dname.out"
finish
