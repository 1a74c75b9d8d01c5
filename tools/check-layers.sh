#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check-layers.sh: the folders of routerd/ depend on each other one way
# (README "Code map"). Each folder may include only the folders listed for
# it here; a file at the top (main, server, config) may include anything.
# Prints every include that breaks the rule and exits 1, or prints a count.
set -eu
cd "$(dirname "$0")/.."

allowed() {
	case $1 in
	lib) echo "lib" ;;
	zone) echo "lib zone config.h" ;;
	dns) echo "lib zone dns config.h" ;;
	track) echo "lib track" ;;
	switch) echo "lib zone switch config.h" ;;
	fleet) echo "lib zone dns switch fleet config.h dnstap.pb-c.h" ;; # the last: generated from dnstap.proto
	probe) echo "lib switch probe config.h" ;;
	admin) echo "lib zone dns switch track fleet probe admin config.h server.h" ;;
	*) echo "" ;;
	esac
}

bad=0 n=0
for f in routerd/*/*.[ch]; do
	dir=$(basename "$(dirname "$f")")
	ok=$(allowed "$dir")
	if [ -z "$ok" ]; then
		echo "$f: folder $dir has no rule in tools/check-layers.sh"
		bad=1
		continue
	fi
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		n=$((n + 1))
		target=${inc%%/*}
		[ "$target" = "$inc" ] && target=$inc # a top-level header
		case " $ok " in
		*" $target "*) ;;
		*)
			echo "$f: includes $inc, but $dir/ may use only: $ok"
			bad=1
			;;
		esac
	done
done
[ $bad -eq 0 ] || exit 1
echo "layers: $n includes, all one way"
