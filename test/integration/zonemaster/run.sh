#!/usr/bin/env bash
# zonemaster-cli (undelegated) on the example zones, served by routerd on
# port 53 of 127.0.0.2 and 127.0.0.3, the addresses of ns1 and ns2.
# profile.json is Zonemaster's default test list less the cases that need
# the internet: connectivity03 (AS lookups) and address01-03 (reverse DNS
# and address registries). Any WARNING, ERROR or CRITICAL fails the test.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
serve_example_zones
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
