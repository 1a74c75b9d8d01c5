#!/usr/bin/env bash
# SIGHUP: a good change is served; a broken zone or config is refused,
# logged, and the previous data keeps serving.
. "$(dirname "$0")/../lib.sh"
P=15321
zone=$T_DIR/r.zone
write_zone() {
	cat >"$zone.tmp" <<Z
\$ORIGIN r.test.
\$TTL 300
@ SOA ns hostmaster $1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
www A $2
Z
	mv "$zone.tmp" "$zone"
}
write_zone 1 192.0.2.10
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 2 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones: [ { name: r.test, file: $zone } ]
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P r.test || { fail "no answer"; finish; }
expect_eq "first data" "$(q @127.0.0.1 -p $P www.r.test +short)" "192.0.2.10"

# wait_for WHAT WANT: the answer changes within 5 s.
wait_for() {
	for _ in $(seq 1 50); do
		[ "$(q @127.0.0.1 -p $P www.r.test +short)" == "$2" ] && { ok "$1"; return; }
		sleep 0.1
	done
	fail "$1: still [$(q @127.0.0.1 -p $P www.r.test +short)], wanted [$2]"
}
write_zone 2 192.0.2.20
kill -HUP "$RD_PID"
wait_for "SIGHUP serves the new zone" "192.0.2.20"
expect_match "the new serial too" "$(q @127.0.0.1 -p $P r.test SOA +short)" " 2 3600"

# Queries keep flowing during reloads: none may fail.
( for i in $(seq 1 300); do q @127.0.0.1 -p $P www.r.test +short; done ) >"$T_DIR/during.txt" &
qpid=$!
for i in $(seq 1 10); do kill -HUP "$RD_PID"; sleep 0.1; done
wait $qpid
expect_eq "no query failed during 10 reloads" "$(grep -cv '^192.0.2.20$' "$T_DIR/during.txt")" "0"

printf 'www CNAME ns\n' >>"$zone"   # CNAME beside the A record
kill -HUP "$RD_PID"; sleep 1
expect_eq "a broken zone is refused: old data serves" "$(q @127.0.0.1 -p $P www.r.test +short)" "192.0.2.20"
expect_match "the zone error is logged" "$(cat "$T_DIR/routerd.log")" "r.zone:7: error: CNAME beside other data"
expect_match "and the reload is said to have failed" "$(cat "$T_DIR/routerd.log")" "reload failed"

write_zone 3 192.0.2.30
printf 'bogus: 1\n' >>"$T_DIR/routerd.yaml"
kill -HUP "$RD_PID"; sleep 1
expect_eq "a broken config is refused: old data serves" "$(q @127.0.0.1 -p $P www.r.test +short)" "192.0.2.20"
expect_match "the config error is logged" "$(cat "$T_DIR/routerd.log")" "routerd.yaml:5:1: error: unknown key \"bogus\""
sed -i '/^bogus/d' "$T_DIR/routerd.yaml"
kill -HUP "$RD_PID"
wait_for "fixed again: the new zone serves" "192.0.2.30"
kill -0 "$RD_PID" && ok "still running"
stop_routerd
finish
