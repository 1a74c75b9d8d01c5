#!/usr/bin/env bash
# routerd against NSD (minimal-responses: yes) and Knot on the same zones,
# over a generated corpus of more than 5,000 queries (compare.py).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
NSD_P=15402 KNOT_P=15403 RD_P=15401

# NSD
mkdir -p "$T_DIR/nsd"
{
	echo "server:"
	echo "  ip-address: 127.0.0.1"
	echo "  port: $NSD_P"
	echo "  username: \"\""
	echo "  chroot: \"\""
	echo "  zonesdir: \"$here/zones\""
	echo "  database: \"\""
	echo "  pidfile: \"$T_DIR/nsd/nsd.pid\""
	echo "  xfrdfile: \"$T_DIR/nsd/xfrd.state\""
	echo "  zonelistfile: \"$T_DIR/nsd/zone.list\""
	echo "  minimal-responses: yes"
	echo "  server-count: 1"
	echo "  hide-version: yes"
	echo "  rrl-ratelimit: 0      # rate limiting would truncate our burst of NXDOMAINs"
	echo "remote-control:"
	echo "  control-enable: no"
	for z in "$here"/zones/*.zone; do
		n=$(basename "$z" .zone)
		printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$n" "$z"
	done
} >"$T_DIR/nsd/nsd.conf"
nsd -d -c "$T_DIR/nsd/nsd.conf" >"$T_DIR/nsd/log" 2>&1 &
T_PIDS+=("$!")

# Knot
mkdir -p "$T_DIR/knot/storage"
{
	echo "server:"
	echo "  listen: 127.0.0.1@$KNOT_P"
	echo "  rundir: $T_DIR/knot"
	echo "  user: root"
	echo "database:"
	echo "  storage: $T_DIR/knot/storage"
	echo "template:"
	echo "  - id: default"
	echo "    storage: $here/zones"
	echo "    zonefile-sync: -1"
	echo "    journal-content: none"
	echo "zone:"
	for z in "$here"/zones/*.zone; do
		n=$(basename "$z" .zone)
		echo "  - domain: $n"
		echo "    file: $z"
	done
} >"$T_DIR/knot/knot.conf"
knotd -c "$T_DIR/knot/knot.conf" >"$T_DIR/knot/log" 2>&1 &
T_PIDS+=("$!")

cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$RD_P"], workers: 2 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones:
  - { name: diff.test, file: $here/zones/diff.test.zone }
  - { name: other.test, file: $here/zones/other.test.zone }
CONF
start_routerd "$T_DIR/routerd.yaml"

wait_answer 127.0.0.1 $NSD_P diff.test || { cat "$T_DIR/nsd/log"; fail "NSD did not start"; finish; }
wait_answer 127.0.0.1 $KNOT_P diff.test || { cat "$T_DIR/knot/log"; fail "Knot did not start"; finish; }
wait_answer 127.0.0.1 $RD_P diff.test || { fail "routerd did not start"; finish; }

if $PY "$here/compare.py" "$here/zones" $NSD_P $RD_P --min 5000 --label NSD; then
	ok "routerd answers as NSD does"
else
	fail "routerd differs from NSD"
fi
# Knot has no minimal-responses switch: it adds the addresses of MX, SRV
# and NS targets to authoritative answers. Where NSD and Knot answer
# differently (Knot does not follow a CNAME into another zone it serves,
# and picks another RRset for ANY), routerd follows NSD; on every other
# query it must answer as Knot does.
if $PY "$here/compare.py" "$here/zones" $KNOT_P $RD_P --min 5000 --label Knot --knot --agree-with $NSD_P; then
	ok "routerd answers as Knot does (additional records of authoritative answers aside)"
else
	fail "routerd differs from Knot"
fi
stop_routerd
finish
