#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Differential test: routerd, NSD (minimal-responses: yes) and Knot serve
# the same zones (zones/); a corpus of more than 10,000 queries generated
# from them (gen_corpus.py, fixed seed) goes to all three, and compare.py
# holds routerd to NSD on rcode, flags, question, every section and EDNS,
# and to Knot wherever NSD and Knot agree. NSD-vs-Knot differences are
# printed for information; their known classes are documented in
# compare.py. The full report is in build/it/differential/report.txt.
#
# The zones include DNAMEs (RFC 6672: at an apex, below it, chained with
# CNAMEs and with another DNAME, too long for YXDOMAIN, a wildcard DNAME)
# and a parent served together with two children (child.diff.test with a
# DS at the cut, child2.diff.test without), so DS, NS and address queries
# around a cut between two served zones are compared too.
#
# Ports: routerd 15401, NSD 15402, Knot 15403 on 127.0.0.1.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
RD_P=15401 NSD_P=15402 KNOT_P=15403

command -v nsd >/dev/null || skip "no nsd"
command -v knotd >/dev/null || skip "no knotd"
$PY -c 'import dns.message' 2>/dev/null || skip "no dnspython for $PY"
for p in $RD_P $NSD_P $KNOT_P; do
	port_listening $p && { fail "port $p is taken (another run of this test?)"; finish; }
done

zones=()
for z in "$here"/zones/*.zone; do zones+=("$(basename "$z" .zone)"); done

# NSD: minimal responses as the contract; refuse-any off (it would answer
# ANY over UDP with TC; we want its RFC 8482 one-RRset answer); no RRL,
# which would truncate or drop our burst of NXDOMAINs.
mkdir -p "$T_DIR/nsd"
{
	cat <<-CONF
	server:
	  ip-address: 127.0.0.1
	  port: $NSD_P
	  username: ""
	  chroot: ""
	  zonesdir: "$here/zones"
	  database: ""
	  pidfile: "$T_DIR/nsd/nsd.pid"
	  xfrdfile: "$T_DIR/nsd/xfrd.state"
	  zonelistfile: "$T_DIR/nsd/zone.list"
	  minimal-responses: yes
	  refuse-any: no
	  server-count: 1
	  hide-version: yes
	  rrl-ratelimit: 0
	  verbosity: 1
	remote-control:
	  control-enable: no
	CONF
	for n in "${zones[@]}"; do
		printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$n" "$here/zones/$n.zone"
	done
} >"$T_DIR/nsd/nsd.conf"
nsd -d -c "$T_DIR/nsd/nsd.conf" >"$T_DIR/nsd/log" 2>&1 &
T_PIDS+=("$!")

# Knot: no DNSSEC, the zone files read as they are and never written back.
mkdir -p "$T_DIR/knot/storage"
{
	cat <<-CONF
	server:
	  listen: 127.0.0.1@$KNOT_P
	  rundir: $T_DIR/knot
	  user: $(id -un)
	database:
	  storage: $T_DIR/knot/storage
	log:
	  - target: stderr
	    any: warning
	template:
	  - id: default
	    storage: $here/zones
	    zonefile-sync: -1
	    zonefile-load: whole
	    journal-content: none
	    dnssec-signing: off
	    semantic-checks: on
	zone:
	CONF
	for n in "${zones[@]}"; do
		printf '  - domain: %s\n    file: %s\n' "$n" "$here/zones/$n.zone"
	done
} >"$T_DIR/knot/knot.conf"
knotd -c "$T_DIR/knot/knot.conf" >"$T_DIR/knot/log" 2>&1 &
T_PIDS+=("$!")

{
	echo "server: { listen: [\"127.0.0.1:$RD_P\"], workers: 2 }"
	echo "state_dir: $T_DIR/state"
	echo "control: { socket: $T_DIR/ctl.sock }"
	echo "zones:"
	for n in "${zones[@]}"; do echo "  - { name: $n, file: $here/zones/$n.zone }"; done
} >"$T_DIR/routerd.yaml"
start_routerd "$T_DIR/routerd.yaml"

# Every server must have loaded every zone: ask each one for each SOA.
for srv in "NSD $NSD_P $T_DIR/nsd/log" "Knot $KNOT_P $T_DIR/knot/log" "routerd $RD_P $T_DIR/routerd.log"; do
	set -- $srv
	if ! wait_answer 127.0.0.1 "$2" "${zones[0]}"; then
		fail "$1 did not start; its log:"
		sed -n '1,40p' "$3"
		finish
	fi
	for n in "${zones[@]}"; do
		got=$(q @127.0.0.1 -p "$2" "$n" SOA +norec +short)
		[ -n "$got" ] || { fail "$1 does not serve $n"; sed -n '1,40p' "$3"; }
	done
done
[ "$T_FAILS" -eq 0 ] || finish

$PY "$here/gen_corpus.py" "$here/zones" "$T_DIR/corpus.jsonl" || { fail "corpus generation"; finish; }
n=$(wc -l <"$T_DIR/corpus.jsonl")
[ "$n" -ge 5000 ] && ok "corpus of $n queries (sha256 $(sha256sum "$T_DIR/corpus.jsonl" | cut -c1-16))" ||
	fail "corpus of only $n queries"

$PY "$here/compare.py" "$T_DIR/corpus.jsonl" --nsd $NSD_P --knot $KNOT_P --routerd $RD_P \
	>"$T_DIR/report.txt" 2>&1
rc=$?
# The report can be long: here the class headers, then (on failure) the
# first examples, and last the routerd mismatch classes one per line and
# the summary, so that the tail run-all.sh shows says what is wrong.
grep -E '^(corpus|===|---|    (types|kinds|names|[A-Z])|SUMMARY|STOPPED)' "$T_DIR/report.txt"
if [ $rc -eq 0 ]; then
	ok "routerd answers as NSD does, and as Knot does where the two agree"
else
	echo
	echo "--- first mismatch examples (all of them in $T_DIR/report.txt):"
	sed -n '/^=== routerd vs NSD/,$p' "$T_DIR/report.txt" | sed -n '1,150p'
	echo
	echo "routerd mismatch classes (kind [fields]: count; examples above and in report.txt):"
	sed -n '/^=== routerd vs NSD/,/^=== routerd vs Knot/p' "$T_DIR/report.txt" | grep '^--- ' | sed 's/^--- /  /'
	grep -E '^(SUMMARY|STOPPED)' "$T_DIR/report.txt"
	fail "routerd differs from the reference servers (compare.py exit $rc)"
fi

rd_alive || fail "routerd died during the comparison"
stop_routerd
finish
