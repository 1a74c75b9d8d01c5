#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run-all.sh [CASE...] -- run every test/integration/*/run.sh, or only the
# named cases, against $ROUTERD (default: the sanitizer build).
#
# Cases run side by side, IT_JOBS at a time (default 3): each has its own
# ports (README "Tests"), so they cannot talk to each other's daemons. A
# case whose run.sh has the line "# it: alone" measures something that
# other load would disturb (memory or latency against its own idle
# baseline, or real resolvers' timing); those run after the others, one at
# a time, with nothing beside them.
#
# Prints PASS/FAIL/SKIP per case with its time as it ends, the tail of a
# failing case's log (the whole log is in build/it-<case>.log), and closes
# with the line "N passed, N failed, N skipped". Exits 1 if any case failed.
# A case's run.sh exits 0 pass, 77 skip, anything else fail; one that runs
# longer than IT_TIMEOUT seconds (default 900) is stopped and fails.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export ROUTERD=${ROUTERD:-$top/build/routerd-san}
case $ROUTERD in /*) ;; *) ROUTERD=$PWD/$ROUTERD ;; esac
# Leaks count; the first report aborts so the exit status shows it too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
jobs=${IT_JOBS:-3}
res=$top/build/it/results.$$
mkdir -p "$top/build/it" "$res"
trap 'rm -rf "$res"' EXIT

if [ ! -x "$ROUTERD" ]; then
	echo "no routerd binary at $ROUTERD (make build/routerd-san)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

# run_case NAME SCRIPT: run one case, print its verdict, leave its exit
# status in $res/NAME.
run_case() {
	local name=$1 t=$2 log=$top/build/it-$1.log rc secs start
	start=$(date +%s.%N)
	# timeout signals its whole process group: the case and its daemons.
	# Written aside and moved in place: a concurrent run-all has its own.
	timeout -k 10 "${IT_TIMEOUT:-900}" bash "$t" </dev/null >"$log.$$" 2>&1
	rc=$?
	mv -f "$log.$$" "$log"
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	{
		case $rc in
		0) echo "PASS $name (${secs}s)" ;;
		77) echo "SKIP $name (${secs}s): $(tail -n 1 "$log")" ;;
		*)
			[ $rc -eq 124 ] && echo "timed out after ${IT_TIMEOUT:-900}s" >>"$log"
			echo "FAIL $name (${secs}s, exit $rc), log build/it-$name.log:"
			grep -E '^FAIL' "$log" | sed -n '1,20p' | sed 's/^/    /'
			echo "    --- last lines:"
			tail -n 15 "$log" | sed 's/^/    /'
			;;
		esac
	} >"$res/$name.out"
	# One write per verdict: lines of cases ending together do not mix.
	cat "$res/$name.out"
	echo $rc >"$res/$name"
}

shared=() alone=()
for t in "$top"/test/integration/*/run.sh; do
	name=$(basename "$(dirname "$t")")
	if [ $# -gt 0 ]; then
		want=0
		for a in "$@"; do [ "$a" == "$name" ] && want=1; done
		[ $want -eq 1 ] || continue
	fi
	if grep -qx '# it: alone' "$t"; then alone+=("$name"); else shared+=("$name"); fi
done

running=0
for name in "${shared[@]}"; do
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_case "$name" "$top/test/integration/$name/run.sh" &
	running=$((running + 1))
done
wait
for name in "${alone[@]}"; do
	run_case "$name" "$top/test/integration/$name/run.sh"
done

pass=0 fail=0 skip=0
for name in "${shared[@]}" "${alone[@]}"; do
	case $(cat "$res/$name" 2>/dev/null || echo 1) in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
