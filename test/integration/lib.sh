# SPDX-License-Identifier: BSD-3-Clause
# lib.sh -- sourced by every test/integration/<case>/run.sh.
#
# Start routerd (or a reference server) in the background, wait for it to
# answer, stop it by PID, check its stderr for sanitizer reports, and assert
# with messages that say what was expected and what came. A run.sh exits
# through finish(): 0 pass, 1 fail; `exit 77` means skip.
#
# Processes are only ever signalled by the PID we started them with (never
# by name): other tests, and other people's daemons, share this machine.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUTERD=${ROUTERD:-$TOP/build/routerd-san}
PY=/usr/bin/python3 # the system one: it has dnspython
T_NAME=$(basename "$(cd "$(dirname "$0")" && pwd)")
T_DIR=$TOP/build/it/$T_NAME
mkdir -p "$TOP/build/it"
# Two runs of the same case at once (two people running `make integration`
# in one checkout) would share its ports and its T_DIR and talk to each
# other's daemons: the second waits for the first. Children do not keep
# the lock (see start_routerd).
# The lock is per machine, not per checkout: two clones of the repository
# running one case would share its ports too.
exec {T_LOCK}>"/tmp/routerd-it.$T_NAME.lock"
if ! flock -w 900 "$T_LOCK"; then
	echo "FAIL: another run of $T_NAME held /tmp/routerd-it.$T_NAME.lock for 15 minutes"
	exit 1
fi
rm -rf "$T_DIR"
mkdir -p "$T_DIR"
T_PIDS=()  # every background process to reap on exit (routerd, NSD, Knot...)
T_FAILS=0
RD_PID=""
RD_LOG=""

# Patterns that mean a sanitizer found something, whatever the exit code.
SAN_RE='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'

# Stop every process this test started, by PID: TERM, then KILL after 5 s.
cleanup() {
	local p i
	for p in "${T_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for i in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; T_FAILS=$((T_FAILS + 1)); }
ok() { echo "ok: $*"; }
skip() { echo "SKIP: $*"; exit 77; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: got [$2], wanted [$3]"; fi
}
# expect_match WHAT TEXT REGEX: extended regex, any case (expect_match_case:
# exact case). expect_no_match: TEXT must not match.
expect_match() {
	if printf '%s' "$2" | grep -Eiq -- "$3"; then ok "$1"; else fail "$1: wanted /$3/ in:"$'\n'"$2"; fi
}
expect_match_case() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else fail "$1: wanted /$3/ (exact case) in:"$'\n'"$2"; fi
}
expect_no_match() {
	if printf '%s' "$2" | grep -Eiq -- "$3"; then fail "$1: did not want /$3/ in:"$'\n'"$2"; else ok "$1"; fi
}

# start_routerd CONFIG [LOG]: run routerd in the background with its stderr
# in LOG (default $T_DIR/routerd.log). Sets RD_PID and RD_LOG and writes
# the PID to $T_DIR/routerd.pid.
start_routerd() {
	local conf=$1
	RD_LOG=${2:-$T_DIR/routerd.log}
	if [ ! -x "$ROUTERD" ]; then
		fail "no routerd binary at $ROUTERD (make build/routerd-san)"
		finish
	fi
	"$ROUTERD" -c "$conf" 2>"$RD_LOG" {T_LOCK}>&- &
	RD_PID=$!
	T_PIDS+=("$RD_PID")
	echo "$RD_PID" >"$T_DIR/routerd.pid"
}

# rd_alive: is the routerd we started still running?
rd_alive() { [ -n "$RD_PID" ] && kill -0 "$RD_PID" 2>/dev/null; }

# foreign_routerd PORT: print the listeners on PORT that are a routerd
# other than ours (a leftover, or someone else's run).
foreign_routerd() {
	ss -Hlnutp "( sport = :$1 )" 2>/dev/null | grep -o '"routerd[^"]*",pid=[0-9]*' |
		grep -v "pid=${RD_PID:-none}\$" | sort -u
}

# wait_answer ADDR PORT NAME: up to 10 s for a server to answer NAME (any
# rcode). Gives up at once if the routerd we started has died, and refuses
# an answer from a routerd that is not ours.
wait_answer() {
	local i other
	for i in $(seq 1 100); do
		if [ -n "$RD_PID" ] && ! rd_alive; then
			echo "routerd (pid $RD_PID) died while starting; its stderr:"
			sed -n '1,60p' "$RD_LOG"
			return 1
		fi
		if kdig @"$1" -p "$2" "$3" +time=1 +retry=0 2>/dev/null | grep -q 'status: '; then
			other=$(foreign_routerd "$2")
			if [ -n "$other" ]; then
				echo "port $2 is served by another routerd: $other"
				return 1
			fi
			return 0
		fi
		sleep 0.1
	done
	echo "no answer from $1 port $2 within 10 s"
	return 1
}

# wait_log REGEX [SECONDS]: until routerd's stderr matches (default 5 s).
wait_log() {
	local i n=$(( ${2:-5} * 10 ))
	for i in $(seq 1 "$n"); do
		grep -Eq -- "$1" "$RD_LOG" && return 0
		sleep 0.1
	done
	return 1
}

# check_sanitizers LOG: fail if LOG holds a sanitizer report.
check_sanitizers() {
	if grep -Eq "$SAN_RE" "$1"; then
		fail "sanitizer report in $1:"
		grep -E -A 30 "$SAN_RE" "$1" | sed -n '1,60p'
	else
		ok "no sanitizer report in $(basename "$1")"
	fi
}

# stop_routerd: SIGTERM by PID, expect exit status 0 within 10 s and a
# stderr without sanitizer reports. A routerd that hangs is killed and fails.
stop_routerd() {
	local i rc
	if ! rd_alive; then
		wait "$RD_PID"
		fail "routerd (pid $RD_PID) was already gone before SIGTERM (exit $?)"
		sed -n '1,60p' "$RD_LOG"
		RD_PID=""
		return
	fi
	kill -TERM "$RD_PID"
	for i in $(seq 1 100); do
		kill -0 "$RD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$RD_PID" 2>/dev/null; then
		fail "routerd still running 10 s after SIGTERM: killed"
		kill -KILL "$RD_PID"
	fi
	wait "$RD_PID"
	rc=$?
	expect_eq "routerd exits 0 on SIGTERM" "$rc" "0"
	check_sanitizers "$RD_LOG"
	RD_PID=""
}

# q ARGS...: kdig with a short timeout and no retry.
q() { kdig +time=2 +retry=0 "$@"; }

# port_listening PORT: something on this host listens on PORT (UDP or TCP).
port_listening() { ss -Hlnut "( sport = :$1 )" 2>/dev/null | grep -q .; }

# write_t_zone FILE [SERIAL]: a minimal zone t.test (SOA, NS, ns A) for
# tests whose subject is not the zone itself.
write_t_zone() {
	cat >"$1" <<Z
\$ORIGIN t.test.
\$TTL 300
@ SOA ns hostmaster ${2:-1} 14400 3600 1209600 300
@ NS ns
ns A 192.0.2.1
Z
}

# write_t_config WORKERS: the head of a routerd.yaml serving t.test
# ($T_DIR/t.zone) on 127.0.0.1:$P, with the admin socket and HTTP on $H;
# the caller appends what its test is about.
write_t_config() {
	cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$P"], workers: $1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
http: { listen: "127.0.0.1:$H" }
zones: [ { name: t.test, file: $T_DIR/t.zone } ]
CONF
}

finish() {
	if [ "$T_FAILS" -eq 0 ]; then
		echo "all checks passed"
		exit 0
	fi
	echo "$T_FAILS checks failed"
	exit 1
}
