#!/usr/bin/env bash
# Run every test/integration/*/run.sh against the sanitizer build of
# routerd and close with "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export ROUTERD=${ROUTERD:-$top/build/routerd-san}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
pass=0 fail=0 skip=0 failed=""
only=${1:-}
for t in "$top"/test/integration/*/run.sh; do
	name=$(basename "$(dirname "$t")")
	[ -n "$only" ] && [ "$only" != "$name" ] && continue
	start=$(date +%s)
	bash "$t" >"$top/build/it-$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$top/build/it-$name.log")" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (${secs}s), log build/it-$name.log:"
	   tail -n 30 "$top/build/it-$name.log" | sed 's/^/    /' ;;
	esac
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
