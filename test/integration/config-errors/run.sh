#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad configs and zones: `routerd -t -c` and `routerd -c` both exit 1 with
# "file:line:col: error: reason" (zone files: "file:line: error: reason"),
# print nothing else alarming (no sanitizer report), and leave nothing
# listening. The expected line and column are exact: an error that points
# at the wrong place is a bug too.
. "$(dirname "$0")/../lib.sh"
P=15311
D=$T_DIR

cat >"$D/good.zone" <<'Z'
$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
Z
# Lines 1-5 of every config below; line 6 is "zones:", line 7 its entry.
head="server:
  listen: [\"127.0.0.1:$P\"]
  workers: 1
state_dir: $D/state
control: { socket: $D/ctl.sock }"
good_zones="zones:
  - { name: ok.test, file: $D/good.zone }"

# A good config first, so a failure below is the error's and not the setup's.
printf '%s\n%s\n' "$head" "$good_zones" >"$D/good.yaml"
out=$("$ROUTERD" -t -c "$D/good.yaml" 2>&1)
expect_eq "the base config is good (-t exits 0) [$out]" "$?" "0"

# check NAME CONFIG-TEXT REGEX: REGEX must match a line of stderr, from its
# start (a "<N>" priority prefix is allowed when serving).
check() {
	local name=$1 conf=$D/$1.yaml re=$3 out err rc
	printf '%s\n' "$2" >"$conf"
	out=$("$ROUTERD" -t -c "$conf" 2>"$D/$name.t.err"); rc=$?
	err=$(cat "$D/$name.t.err")
	expect_eq "$name: -t exits 1" "$rc" "1"
	expect_match_case "$name: -t says where and why" "$err" "^$re"
	expect_no_match "$name: -t: no sanitizer report" "$err" "$SAN_RE"
	timeout 10 "$ROUTERD" -c "$conf" >/dev/null 2>"$D/$name.c.err"; rc=$?
	err=$(cat "$D/$name.c.err")
	expect_eq "$name: routerd -c exits 1 (not hanging, not crashing)" "$rc" "1"
	expect_match_case "$name: routerd -c says where and why" "$err" "^(<[0-7]>)?$re"
	expect_no_match "$name: -c: no sanitizer report" "$err" "$SAN_RE"
	port_listening $P && fail "$name: something listens on port $P" || ok "$name: nothing listens on $P"
}
# zone_check NAME ZONE-TEXT REGEX: the base config serving ok.test from ZONE-TEXT.
zone_check() {
	printf '%s\n' "$2" >"$D/$1.zone"
	check "$1" "$head
zones:
  - { name: ok.test, file: $D/$1.zone }" "$3"
}

# -- Config errors: file:line:col.
check unknown-key "$head
$good_zones
zonez: []" "$D/unknown-key\.yaml:8:1: error: .*unknown key \"zonez\""
check unknown-nested-key "server:
  listen: [\"127.0.0.1:$P\"]
  wrokers: 1
$good_zones" "$D/unknown-nested-key\.yaml:3:3: error: .*unknown key \"wrokers\""
check wrong-type-list "server:
  listen: \"127.0.0.1:$P\"
$good_zones" "$D/wrong-type-list\.yaml:2:11: error: .*listen"
check wrong-type-int "server:
  listen: [\"127.0.0.1:$P\"]
  workers: two
$good_zones" "$D/wrong-type-int\.yaml:3:12: error: .*workers"
check wrong-type-duration "server:
  listen: [\"127.0.0.1:$P\"]
  tcp_idle_timeout: 5x
$good_zones" "$D/wrong-type-duration\.yaml:3:21: error: .*tcp_idle_timeout"
check bad-port "server:
  listen: [\"127.0.0.1:$P\", \"127.0.0.1:99999\"]
$good_zones" "$D/bad-port\.yaml:2:31: error: .*bad listen address"
check bad-address "server:
  listen: [\"300.1.1.1:53\"]
$good_zones" "$D/bad-address\.yaml:2:12: error: .*bad listen address"
check no-port "server:
  listen: [\"[::1]\"]
$good_zones" "$D/no-port\.yaml:2:12: error: .*bad listen address"
check duplicate-key "server:
  listen: [\"127.0.0.1:$P\"]
  workers: 1
  workers: 2
$good_zones" "$D/duplicate-key\.yaml:4:3: error: .*duplicate key \"workers\""
check duplicate-key-flow "$head
zones:
  - { name: ok.test, file: $D/good.zone, name: x.test }" "$D/duplicate-key-flow\.yaml:7:[0-9]+: error: .*duplicate key \"name\""
check missing-zones "$head" "$D/missing-zones\.yaml:1:1: error: .*zones"
check missing-listen "server:
  workers: 1
$good_zones" "$D/missing-listen\.yaml:2:3: error: .*listen"
check switch-outside "$head
$good_zones
switches:
  - name: www.elsewhere.test
    cdn: { cname: c.cdn.example.net }
    origin: { a: [192.0.2.10] }" "$D/switch-outside\.yaml:9:5: error: .*www\.elsewhere\.test"
# The zone file cannot be opened: the error points at the config entry
# that names it, and says which file.
check missing-file "$head
zones:
  - { name: ok.test, file: $D/nonexistent.zone }" "$D/missing-file\.yaml:7:[0-9]+: error: .*nonexistent\.zone"

# -- Zone errors: file:line.
zone_check no-soa '$ORIGIN ok.test.
$TTL 300
@ NS ns
ns A 192.0.2.1' "$D/no-soa\.zone:[0-9]+: error: .*SOA"
zone_check cname-and-data '$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
www CNAME ns' "$D/cname-and-data\.zone:7: error: .*CNAME.*www\.ok\.test"
zone_check out-of-zone '$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
www.elsewhere.test. A 192.0.2.2' "$D/out-of-zone\.zone:6: error: .*www\.elsewhere\.test"
zone_check unparsable '$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.999' "$D/unparsable\.zone:5: error: "
zone_check bad-type '$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns BOGUS 192.0.2.1' "$D/bad-type\.zone:5: error: "

# -- A switch at or below a delegation: the referral would answer instead,
# so the switch could never have an effect (README "Configuration"). Below
# it, the name is not in the zone at all: the check must run once the
# switch's own node knows its cut.
deleg_zone='$ORIGIN ok.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
sub NS ns.sub
ns.sub A 192.0.2.53'
printf '%s\n' "$deleg_zone" >"$D/deleg.zone"
for sw in sub.ok.test foo.sub.ok.test a.b.sub.ok.test; do
	check "switch-under-cut-$sw" "$head
zones:
  - { name: ok.test, file: $D/deleg.zone }
switches:
  - { name: $sw, cdn: { cname: c.cdn.example.net }, origin: { a: [192.0.2.9] } }" \
		"$D/switch-under-cut-$sw\.yaml:9:5: error: switch ${sw//./\\.}\. is at or below the delegation sub\.ok\.test\."
done

port_listening $P && fail "something listens on port $P at the end" || ok "nothing listens on $P at the end"
finish
