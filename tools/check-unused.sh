#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# check-unused.sh: every function a routerd header declares is called
# somewhere other than where it is defined (routerd/, tools/, test/). A
# declaration nobody calls is dead code that still has to be read and kept
# right. Prints each one and exits 1, or prints a count.
set -eu
cd "$(dirname "$0")/.."
bad=0 n=0
for h in routerd/*.h routerd/*/*.h; do
	# Top-level prototypes: "type name(" at the start of a line, not static.
	for f in $(sed -n 's/^[a-z][a-z0-9_ *]*[ *]\([a-z_][a-z0-9_]*\)(.*/\1/p' "$h" | sort -u); do
		case $f in main | LLVMFuzzer*) continue ;; esac
		n=$((n + 1))
		c=${h%.h}.c
		uses=$(grep -rlw --include='*.c' --include='*.h' "$f" routerd tools test | grep -v -x -e "$h" -e "$c" | head -n 1)
		# Used inside its own .c or header (a macro) beyond its definition
		# and declaration counts too.
		own=$(cat "$h" "$c" 2>/dev/null | grep -cw "$f" || true)
		if [ -z "$uses" ] && [ "$own" -le 2 ]; then
			echo "$h: $f is declared but never called"
			bad=1
		fi
	done
done
[ $bad -eq 0 ] || exit 1
echo "unused: $n declared functions, each one called"
