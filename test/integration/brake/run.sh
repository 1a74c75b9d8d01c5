#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The safety brake: a signal naming every switch moves at most
# max(min_switches, max_share x switches) of them, says so in status and
# metrics, and pins still work; an operator's "brake clear" lets the rest go.
. "$(dirname "$0")/../lib.sh"
P=15371 H=15372
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
write_t_zone "$T_DIR/t.zone" 1
{
	echo "server: { listen: [\"127.0.0.1:$P\"], workers: 1 }"
	echo "state_dir: $T_DIR/state"
	echo "control: { socket: $T_DIR/ctl.sock }"
	echo "http: { listen: \"127.0.0.1:$H\" }"
	echo "zones: [ { name: t.test, file: $T_DIR/t.zone } ]"
	echo "brake: { max_share: 0.2, window: 10m, min_switches: 2 }"
	echo "switches:"
	for n in a b c d e f g h i j; do
		echo "  - { name: $n.t.test, cdn: { cname: $n.cdn.example.net }, origin: { a: [192.0.2.9] } }"
	done
} >"$T_DIR/routerd.yaml"
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
on_origin() { $CTL --json list --state origin | grep -o '"switch":"[a-j].t.test."' | wc -l; }

curl -s -X POST --data-binary '{"switch":"*.t.test","target":"cdn","status":"down","id":"broken-monitor"}' \
	http://127.0.0.1:$H/api/v1/signal >/dev/null
expect_eq "a signal for all 10 switches moves only 2 (max(2, 0.2 x 10))" "$(on_origin)" "2"
expect_match "status says the brake is engaged" "$($CTL --json status)" '"engaged":true'
expect_match "the metric says so too" "$(curl -s http://127.0.0.1:$H/metrics)" '^routerd_brake_engaged 1'
$CTL pin j.t.test origin --reason "operator decision" >/dev/null
expect_eq "a pin still moves a switch" "$(q @127.0.0.1 -p $P j.t.test +short)" "192.0.2.9"
$CTL brake clear >/dev/null; expect_eq "brake clear exits 0" "$?" "0"
expect_eq "after the clear the policy moves the next share" "$(on_origin)" "5"
expect_match "and the brake holds the rest again" "$($CTL --json status)" '"engaged":true'
expect_match "the clear is in the history, with its actor" "$($CTL --json history)" '"event":"brake_clear"[^}]*"actor":"[^"]*uid'
# A reload keeps state and pins; a switch gone from the config is dropped
# with a history record.
grep -v ' a.t.test,' "$T_DIR/routerd.yaml" >"$T_DIR/r2.yaml" && mv "$T_DIR/r2.yaml" "$T_DIR/routerd.yaml"
$CTL reload >/dev/null; expect_eq "reload exits 0" "$?" "0"
expect_match "the removed switch has a history record" "$($CTL --json history)" '"event":"removed","switch":"a.t.test."'
expect_match "the pin survived the reload" "$($CTL list --pinned)" "j.t.test. +origin +pin +true"
expect_eq "and is still served" "$(q @127.0.0.1 -p $P j.t.test +short)" "192.0.2.9"
stop_routerd
finish
