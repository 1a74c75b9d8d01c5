#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh [nsd|routerd]... -- zonemaster-cli (undelegated tests) on the
# example zones, served on port 53 of 127.0.0.2 and 127.0.0.3 (ns1 and ns2),
# first by NSD as the reference, then by routerd. Any WARNING, ERROR or
# CRITICAL message fails the test; so does a test case that did not run.
#
# profile.json is Zonemaster's default profile (Debian's
# /usr/share/perl5/auto/share/dist/Zonemaster-Engine/profile.json) with
# IPv6 off (the name servers have no AAAA) and four test cases left out:
#   address01      not a network test, but it reports an ERROR for a name
#                  server on a special-purpose address (IANA registry, kept
#                  locally), and ours are on 127/8 by necessity;
#   address02      reverse (PTR) lookups of the servers' addresses through
#   address03      the global DNS, from the root: in-addr.arpa is not ours;
#   connectivity03 AS lookups of the servers' addresses through
#                  asnlookup.zonemaster.net / Cymru / RIPE whois.
# Every other case queries only the servers given with --ns, which
# zm_check.py verifies from the DEBUG messages. The one exception is the
# engine's lookup of the zone's parent from the root hints (BASIC01, and
# before the DNSSEC tests): offline it fails at once and the root is taken
# as parent, which only shows in a NOTICE (DNSSEC07: no DS and no DNSKEY).
# Undelegated tests need no parent otherwise: --ns is the delegation.
. "$(dirname "$0")/../zonemaster/ns53.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v zonemaster-cli >/dev/null || skip "zonemaster-cli is not installed"

# In the host's namespace, keep the parent lookup off the internet too:
# root hints naming an address where nothing listens (one 10 s timeout,
# then the engine blacklists it). In the private namespace the real hints
# fail at once: there is no route.
hints=()
if [ "$NS53_NETNS" = 0 ]; then
	printf '. 3600000 NS offline.invalid.\noffline.invalid. 3600000 A 127.0.0.4\n' >"$T_DIR/hints"
	hints=(--hints "$T_DIR/hints")
fi

# zm OUT ZONE NS...: one zonemaster-cli run, every message as JSON lines.
# Bounded: on loopback a run takes about a second.
zm() {
	local out=$1 zone=$2 ns=() n
	shift 2
	for n in "$@"; do ns+=(--ns "$n"); done
	ns53_run 60 zonemaster-cli --profile "$here/profile.json" "${hints[@]}" --no-progress \
		--json-stream --json-translate --level DEBUG "${ns[@]}" "$zone" >"$out" 2>"$out.err"
	local rc=$?
	[ $rc -ne 0 ] && sed -n '1,20p' "$out.err"
	return $rc
}

negative_done=0
for target in $(ns53_targets "$@"); do
	ns53_start "$target" || continue
	for zone in $NS53_ZONES; do
		out=$T_DIR/$target/$zone.zm.json
		zm "$out" "$zone" "ns1.$zone/127.0.0.2" "ns2.$zone/127.0.0.3"
		expect_eq "$target: zonemaster-cli on $zone exits 0" "$?" "0"
		$PY "$here/zm_check.py" "$target $zone" "$out" "$here/profile.json" 127.0.0.2 127.0.0.3 ||
			T_FAILS=$((T_FAILS + 1))
	done
	# Negative control, once: a delegation naming ns3 where the zone says
	# ns2 must be reported, or the checks above would prove nothing.
	if [ $negative_done -eq 0 ]; then
		out=$T_DIR/$target/negative.zm.json
		zm "$out" example.com ns1.example.com/127.0.0.2 ns3.example.com/127.0.0.3
		$PY "$here/zm_check.py" "$target negative control (ns3 in the delegation)" "$out" \
			"$here/profile.json" 127.0.0.2 127.0.0.3 --expect-findings || T_FAILS=$((T_FAILS + 1))
		negative_done=1
	fi
	ns53_stop
done
finish
