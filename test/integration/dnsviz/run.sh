#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh [nsd|routerd]... -- `dnsviz probe` then `dnsviz grok` on the
# example zones, served on port 53 of 127.0.0.2 and 127.0.0.3 (ns1 and
# ns2), first by NSD as the reference, then by routerd. Any warning or
# error in grok's report fails the test.
#
# probe -A            authoritative analysis: query the zone's servers
#                     themselves, no recursive resolver;
#       -a ZONE       start the analysis at the zone: nothing above it is
#                     queried (the parent is a stub);
#       -N ZONE:NS=IP the delegation the parent would give. dnsviz serves
#                     a made-up parent zone with these NS and glue (on
#                     ::1, with named), so the delegation checks run: NS
#                     sets of parent and child, glue against the zone's A
#                     records. (-x would name the servers without a
#                     delegation, and dnsviz would skip those checks.)
#       -E            EDNS diagnostics too: unknown EDNS version, option
#                     and flag, small buffer sizes, TCP.
# grok -P             allow private addresses for the servers. Without it
#                     grok reports two errors and nothing else, both about
#                     where the servers sit, not what they answer:
#                     NS_NAME_PRIVATE_IP and GLUE_PRIVATE_IP (127/8). The
#                     test checks that this is all -P hides.
# The zones are unsigned: dnsviz says so in the delegation status
# (INSECURE), which is neither a warning nor an error.
. "$(dirname "$0")/../zonemaster/ns53.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v dnsviz >/dev/null || skip "dnsviz is not installed"
command -v named >/dev/null || skip "named (bind9) is not installed: dnsviz probe -N needs it"

for target in $(ns53_targets "$@"); do
	ns53_start "$target" || continue
	for zone in $NS53_ZONES; do
		out=$T_DIR/$target/$zone
		ns53_run 90 dnsviz probe -A -E -a "$zone" -N "$zone:ns1.$zone=127.0.0.2,ns2.$zone=127.0.0.3" \
			-o "$out.probe.json" "$zone" 2>"$out.probe.log"
		rc=$?
		expect_eq "$target: dnsviz probe of $zone exits 0" "$rc" "0"
		[ $rc -eq 0 ] || { sed -n '1,30p' "$out.probe.log"; continue; }
		ns53_run 30 dnsviz grok -P -r "$out.probe.json" -o "$out.grok.json" 2>"$out.grok.log"
		expect_eq "$target: dnsviz grok of $zone exits 0" "$?" "0"
		$PY "$here/dv_check.py" "$target $zone" "$out.grok.json" "$zone" || T_FAILS=$((T_FAILS + 1))
		# Negative control: without -P, grok must report the loopback
		# addresses, and only them.
		ns53_run 30 dnsviz grok -r "$out.probe.json" -o "$out.grok-noP.json" 2>>"$out.grok.log"
		$PY "$here/dv_check.py" "$target $zone without -P" "$out.grok-noP.json" "$zone" \
			--only GLUE_PRIVATE_IP,NS_NAME_PRIVATE_IP || T_FAILS=$((T_FAILS + 1))
	done
	ns53_stop
done
finish
