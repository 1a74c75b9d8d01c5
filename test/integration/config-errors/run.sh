#!/usr/bin/env bash
# Bad configs and zones: `routerd -t` and `routerd -c` both exit 1 with
# "file:line[:col]: error: reason", and nothing is left listening.
. "$(dirname "$0")/../lib.sh"
P=15311
good_zone=$T_DIR/good.zone
cat >"$good_zone" <<'Z'
$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
Z
base="server: { listen: [\"127.0.0.1:$P\"], workers: 1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }"

# check NAME YAML-BODY EXPECTED-REGEX
check() {
	local conf=$T_DIR/$1.yaml out rc
	printf '%s\n' "$2" >"$conf"
	out=$("$ROUTERD" -t -c "$conf" 2>&1); rc=$?
	expect_eq "$1: -t exits 1" "$rc" "1"
	expect_match_case "$1: -t says where and why" "$out" "$3"
	out=$(timeout 10 "$ROUTERD" -c "$conf" 2>&1); rc=$?
	expect_eq "$1: routerd -c exits 1" "$rc" "1"
	expect_match_case "$1: routerd -c says where and why" "$out" "$3"
}
zone_check() {
	printf '%s\n' "$2" >"$T_DIR/$1.zone"
	check "$1" "$base
zones: [ { name: ok.test, file: $T_DIR/$1.zone } ]" "$3"
}

check unknown-key "$base
zones: [ { name: ok.test, file: $good_zone } ]
zonez: []" "$T_DIR/unknown-key.yaml:5:1: error: unknown key \"zonez\""
check wrong-type "server: { listen: \"127.0.0.1:$P\" }
zones: [ { name: ok.test, file: $good_zone } ]" "wrong-type.yaml:1:19: error: listen must be a list"
check bad-address "server: { listen: [\"127.0.0.1:99999\"] }
zones: [ { name: ok.test, file: $good_zone } ]" "bad-address.yaml:1:20: error: bad listen address"
check duplicate-key "$base
zones: [ { name: ok.test, file: $good_zone, name: x.test } ]" "duplicate-key.yaml:4:[0-9]+: error: duplicate key \"name\""
check missing-zones "$base" "missing-zones.yaml:1:1: error: zones is required"
check missing-file "$base
zones: [ { name: ok.test, file: $T_DIR/nonexistent.zone } ]" "nonexistent.zone: error: cannot open zone file"
zone_check no-soa '$ORIGIN ok.test.
@ 300 NS ns
ns 300 A 192.0.2.1' "no-soa.zone:1: error: no SOA record"
zone_check cname-and-data '$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
www CNAME ns' "cname-and-data.zone:7: error: CNAME beside other data at www.ok.test."
zone_check out-of-zone '$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
www.elsewhere.test. A 192.0.2.2' "out-of-zone.zone:6: error: www.elsewhere.test. is outside the zone"
zone_check unparsable '$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.999' "unparsable.zone:5: error:"

# Nothing may be listening after all these refusals.
r=$(kdig +time=1 +retry=0 @127.0.0.1 -p $P ok.test 2>&1)
if printf '%s' "$r" | grep -q "status: NOERROR"; then fail "something answers on port $P"; else ok "nothing listens after the refusals"; fi
finish
