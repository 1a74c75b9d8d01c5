# Helpers for integration tests: start routerd (or a reference server) in the
# background, wait for it to answer, stop it by PID, check its stderr for
# sanitizer reports, and assert with messages that say what was expected.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUTERD=${ROUTERD:-$TOP/build/routerd-san}
PY=/usr/bin/python3
T_NAME=$(basename "$(cd "$(dirname "$0")" && pwd)")
T_DIR=$TOP/build/it/$T_NAME
rm -rf "$T_DIR"; mkdir -p "$T_DIR"
T_PIDS=()
T_FAILS=0

cleanup() {
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; T_FAILS=$((T_FAILS + 1)); }
ok() { echo "ok: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: got [$2], wanted [$3]"; fi
}
# expect_match WHAT TEXT REGEX (case-insensitive; expect_match_case: exact case)
expect_match() {
	if printf '%s' "$2" | grep -Eiq -- "$3"; then ok "$1"; else fail "$1: [$2] does not match /$3/"; fi
}
expect_match_case() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else fail "$1: [$2] does not match /$3/"; fi
}

# start_routerd CONFIG [LOG]: start in the background; sets RD_PID.
start_routerd() {
	local conf=$1 log=${2:-$T_DIR/routerd.log}
	"$ROUTERD" -c "$conf" 2>"$log" &
	RD_PID=$!
	T_PIDS+=("$RD_PID")
}

# wait_answer ADDR PORT NAME: up to 10 s for a server to answer NAME.
wait_answer() {
	for _ in $(seq 1 100); do
		kdig @"$1" -p "$2" "$3" +time=1 +retry=0 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "no answer from $1:$2"; return 1
}

# stop_routerd [LOG]: SIGTERM, expect exit 0 and a clean sanitizer report.
stop_routerd() {
	local log=${1:-$T_DIR/routerd.log} rc
	kill -TERM "$RD_PID"
	wait "$RD_PID"; rc=$?
	expect_eq "routerd exits 0 on SIGTERM" "$rc" "0"
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$log"; then
		fail "sanitizer report in $log"; sed -n '1,40p' "$log"
	fi
}

# q ARGS...: kdig with short timeouts.
q() { kdig +time=2 +retry=0 "$@"; }

finish() {
	if [ "$T_FAILS" -eq 0 ]; then echo "all checks passed"; exit 0; fi
	echo "$T_FAILS checks failed"; exit 1
}
