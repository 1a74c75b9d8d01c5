#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The log, as README "Command line" promises: -v logs at debug (lines with
# the <7> priority) and without it nothing at debug is printed; SIGUSR1
# reopens a log file that stderr was redirected to, so that after logrotate
# moved it away routerd writes to a new file under the old name.
# Ports 16010-16011.
. "$(dirname "$0")/../lib.sh"
P=16010 H=16011
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
write_t_zone "$T_DIR/t.zone"
write_t_config 1
cat >>"$T_DIR/routerd.yaml" <<CONF
switch_defaults: { failback_hold: 0s }
switches:
  - { name: www.t.test, cdn: { cname: cust.cdn.example.net }, origin: { a: [192.0.2.9] } }
CONF
signal() { # STATUS: a down/up signal for www's cdn side
	curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data "{\"switch\":\"www.t.test\",\"target\":\"cdn\",\"status\":\"$1\",\"id\":\"logs\"}" \
		"http://127.0.0.1:$H/api/v1/signal"
}

# start_v LOG ARGS...: routerd with extra ARGS (-v), stderr appended to LOG.
start_v() {
	local log=$1
	shift
	"$ROUTERD" "$@" -c "$T_DIR/routerd.yaml" 2>>"$log" {T_LOCK}>&- &
	RD_PID=$!
	RD_LOG=$log
	T_PIDS+=("$RD_PID")
}

# Without -v: nothing at debug.
start_v "$T_DIR/plain.log"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
signal down && signal up || fail "signals refused"
expect_no_match "without -v no debug line" "$(cat "$T_DIR/plain.log")" '^<7>'
stop_routerd

# With -v: what the control side does is logged at debug.
rm -rf "$T_DIR/state"
start_v "$T_DIR/debug.log" -v
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
signal down || fail "signal refused"
wait_log 'switch www.t.test.: serving origin' || true
log=$(cat "$T_DIR/debug.log")
expect_match_case "-v: the webhook request at debug" "$log" '^<7>http: POST /api/v1/signal: 200'
expect_match_case "-v: the journal append at debug" "$log" '^<7>journal: appending a transaction of [0-9]+ ops'
expect_match_case "-v: the new side published at debug" "$log" '^<7>switch www\.t\.test\.: serving origin'

# SIGUSR1 after a rotation: a new file under the old name takes the lines.
mv "$T_DIR/debug.log" "$T_DIR/debug.log.1"
kill -USR1 "$RD_PID"
for i in $(seq 50); do [ -s "$T_DIR/debug.log" ] && break; sleep 0.1; done
if [ -f "$T_DIR/debug.log" ]; then ok "SIGUSR1 opened the log file again by name"; else fail "no new log file after SIGUSR1"; fi
RD_LOG=$T_DIR/debug.log
wait_log 'log file reopened' || true
expect_match_case "the reopened file says so" "$(cat "$T_DIR/debug.log" 2>/dev/null)" '^<5>SIGUSR1: log file reopened'
signal up || fail "signal refused"
wait_log 'serving cdn' || true
expect_match_case "later lines go to the new file" "$(cat "$T_DIR/debug.log" 2>/dev/null)" '^<7>switch www\.t\.test\.: serving cdn'
expect_no_match "and none to the rotated one" "$(cat "$T_DIR/debug.log.1")" 'serving cdn|reopened'
# stop_routerd checks both files for sanitizer reports through RD_LOG.
check_sanitizers "$T_DIR/debug.log.1"
stop_routerd
finish
