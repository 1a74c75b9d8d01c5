#!/usr/bin/env bash
# zonemaster-cli (undelegated) on the example zones, served by routerd on
# port 53 of 127.0.0.2 and 127.0.0.3, the addresses of ns1 and ns2.
# profile.json is Zonemaster's default test list less the cases that need
# the internet: connectivity03 (AS lookups) and address01-03 (reverse DNS
# and address registries). Any WARNING, ERROR or CRITICAL fails the test.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.2:53", "127.0.0.3:53"], workers: 1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones:
  - { name: example.com, file: $TOP/zones/example.com.zone }
  - { name: example.org, file: $TOP/zones/example.org.zone }
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.2 53 example.com || { fail "routerd did not answer on 127.0.0.2:53"; finish; }
for zone in example.com example.org; do
	out=$(timeout 300 zonemaster-cli --profile "$here/profile.json" --no-ipv6 --no-progress --level NOTICE \
		--show-testcase --ns ns1.$zone/127.0.0.2 --ns ns2.$zone/127.0.0.3 $zone 2>&1)
	echo "$out"
	# The run must have tested something: the SOA checks always report.
	expect_match "zonemaster ran its tests on $zone" "$(timeout 300 zonemaster-cli --profile "$here/profile.json" \
		--no-ipv6 --no-progress --level INFO --test zone --ns ns1.$zone/127.0.0.2 --ns ns2.$zone/127.0.0.3 $zone 2>&1)" \
		"SOA 'expire' value"
	if printf '%s\n' "$out" | grep -Eq '^ *[0-9.]+ +(WARNING|ERROR|CRITICAL)'; then
		fail "zonemaster reports warnings or errors on $zone"
	else
		ok "zonemaster: no warning or error on $zone"
	fi
done
stop_routerd
finish
