#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# it: alone
# Publishing a change stays linear in the number of switches after a reload
# that reorders them. The state keeps its switches in the order they were
# added, the view in the config's; publish() finds each switch's slot in
# the view, and a linear search there made every commit O(n^2) once a
# reload had reordered the config (20,000 switches: 2 x 10^8 name
# comparisons per webhook). No timing threshold: the commit time after the
# reversing reload is held to a ratio of the same commit's time before it,
# on the same daemon, median of several. Ports 16020-16021.
. "$(dirname "$0")/../lib.sh"
P=16020 H=16021
N=${PUBLISH_SCALE_N:-20000}
RUNS=7
write_t_zone "$T_DIR/t.zone"
# switches IN-ORDER: the config with N switches, forward or reversed.
config() {
	write_t_config 1
	cat >>"$T_DIR/routerd.yaml" <<CONF
switch_defaults: { failback_hold: 0s }
brake: { max_share: 1.0, min_switches: 1000000 }
switches:
CONF
	seq 1 "$N" | { [ "$1" = reversed ] && tac || cat; } |
		awk '{ printf "  - { name: s%d.t.test, cdn: { cname: c.cdn.example.net }, origin: { a: [192.0.2.9] } }\n", $1 }' \
		>>"$T_DIR/routerd.yaml"
}
# commit_times: RUNS down/up signals for the first switch; prints the median
# of their request times in microseconds.
commit_times() {
	local i st t all=()
	for i in $(seq 1 "$RUNS"); do
		[ $((i % 2)) -eq 1 ] && st=down || st=up
		t=$(curl -sf -o /dev/null -w '%{time_total}' -X POST -H 'Content-Type: application/json' \
			--data "{\"switch\":\"s1.t.test\",\"target\":\"cdn\",\"status\":\"$st\",\"id\":\"scale\"}" \
			"http://127.0.0.1:$H/api/v1/signal") || { echo fail; return; }
		all+=("$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000000 }')")
	done
	printf '%s\n' "${all[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

config forward
start_routerd "$T_DIR/routerd.yaml"
for i in $(seq 1 600); do q @127.0.0.1 -p $P t.test SOA 2>/dev/null | grep -q 'status: NOERROR' && break; sleep 0.1; done
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
before=$(commit_times)
config reversed
kill -HUP "$RD_PID"
wait_log "reloaded: 1 zones, $N switches" 120 || fail "the reload did not finish"
after=$(commit_times)
echo "median commit with $N switches: ${before} us in config order, ${after} us after the reversing reload"
if [ "$before" = fail ] || [ "$after" = fail ]; then
	fail "a signal was refused"
else
	# Generous: the same work either way, so about 1 (up to 3 under ASan);
	# the linear search made it over 100.
	ratio=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.1f", a / b }')
	if awk -v r="$ratio" 'BEGIN { exit !(r < 10) }'; then
		ok "a commit after the reversing reload takes ${ratio}x the time it took before (under 10x)"
	else
		fail "a commit after the reversing reload takes ${ratio}x the time it took before (wanted under 10x: publish is not linear)"
	fi
fi
stop_routerd
finish
