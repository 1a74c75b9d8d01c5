#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Life under systemd, without systemd: a socket of our own plays the
# service manager's end of sd_notify. routerd says READY=1 once it serves,
# RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM,
# and with WATCHDOG_USEC set pings WATCHDOG=1 only while every worker's
# loop turns: one worker thread (its event loop, or a UDP thread) stopped
# (freeze.py, ptrace) stops the pings, and they resume when it runs again. The shipped unit
# conf/routerd.service scores at most 2.5 in systemd-analyze security.
. "$(dirname "$0")/../lib.sh"
P=16600
HERE=$(cd "$(dirname "$0")" && pwd)
NLOG=$T_DIR/notify.log
write_t_zone "$T_DIR/t.zone"
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 2 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones: [ { name: t.test, file: $T_DIR/t.zone } ]
CONF

# The unit's score, as systemd computes it, without a running systemd.
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze security --offline=true "$TOP/conf/routerd.service" 2>&1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for routerd.service: \([0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		fail "systemd-analyze security printed no score:"$'\n'"$out"
	elif awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then
		ok "conf/routerd.service exposure $score <= 2.5"
	else
		fail "conf/routerd.service exposure $score > 2.5:"$'\n'"$(printf '%s\n' "$out" | grep '✗')"
	fi
else
	fail "systemd-analyze missing (package systemd)"
fi

: >"$NLOG"
$PY "$HERE/notify.py" "$T_DIR/notify.sock" "$NLOG" {T_LOCK}>&- &
T_PIDS+=("$!")
for i in $(seq 1 50); do [ -S "$T_DIR/notify.sock" ] && break; sleep 0.1; done

# A 1 s watchdog: routerd checks every 0.5 s, each worker beats every 125 ms.
NOTIFY_SOCKET=$T_DIR/notify.sock WATCHDOG_USEC=1000000 start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "routerd did not start"; finish; }

# wait_notify WHAT REGEX [N]: the notify log holds at least N (1) lines
# matching REGEX within 5 s.
wait_notify() {
	local i
	for i in $(seq 1 50); do
		[ "$(grep -Ec -- "$2" "$NLOG")" -ge "${3:-1}" ] && { ok "$1"; return 0; }
		sleep 0.1
	done
	fail "$1: wanted ${3:-1} of /$2/ in the notify log:"$'\n'"$(tail -n 20 "$NLOG")"
}
pings() { grep -c 'WATCHDOG=1' "$NLOG"; }

wait_notify "READY=1 once serving" 'READY=1'
sleep 2
n=$(pings)
if [ "$n" -ge 2 ]; then ok "watchdog pings while every worker runs ($n in 2 s)"; else fail "only $n watchdog pings in 2 s"; fi

kill -HUP "$RD_PID"
wait_notify "RELOADING=1 on SIGHUP" 'RELOADING=1\|MONOTONIC_USEC=[0-9]+'
# READY=1 after RELOADING=1.
for i in $(seq 1 50); do
	sed -n '/RELOADING=1/,$p' "$NLOG" | grep -q '[0-9] READY=1' && break
	sleep 0.1
done
if sed -n '/RELOADING=1/,$p' "$NLOG" | grep -q '[0-9] READY=1'; then ok "READY=1 after the reload"; else fail "no READY=1 after RELOADING=1:"$'\n'"$(cat "$NLOG")"; fi

# Stop worker 1's thread for 4 s: within one check (0.5 s) the pings stop.
tid=""
for t in /proc/$RD_PID/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" == "routerd-w1" ] && tid=$(basename "$t")
done
if [ -z "$tid" ]; then
	fail "no thread routerd-w1 in routerd (pid $RD_PID)"
else
	$PY "$HERE/freeze.py" "$tid" 4 >"$T_DIR/freeze.out" 2>&1 {T_LOCK}>&- &
	fpid=$!
	T_PIDS+=("$fpid")
	for i in $(seq 1 50); do grep -q frozen "$T_DIR/freeze.out" && break; sleep 0.1; done
	if ! grep -q frozen "$T_DIR/freeze.out"; then
		fail "could not stop worker thread $tid: $(cat "$T_DIR/freeze.out")"
	else
		sleep 1.2 # one check may still see the beats from before the stop
		a=$(pings)
		sleep 2
		b=$(pings)
		expect_eq "no watchdog ping while worker 1 is stuck" "$b" "$a"
		expect_match "the log names the stuck worker" "$(cat "$RD_LOG")" 'watchdog: worker 1 has not turned its loop'
		wait "$fpid"
		sleep 1.5
		c=$(pings)
		if [ "$c" -gt "$b" ]; then ok "pings resume once the worker runs ($((c - b)) in 1.5 s)"; else fail "no ping after the worker was released"; fi
		expect_match "the log says the pings resumed" "$(cat "$RD_LOG")" 'pings resumed'
	fi
fi

# The same for a UDP thread (each socket has one, blocking in recvmmsg).
utid=""
for t in /proc/$RD_PID/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" == "routerd-u0.0" ] && utid=$(basename "$t")
done
if [ -z "$utid" ]; then
	fail "no thread routerd-u0.0 in routerd (pid $RD_PID)"
else
	$PY "$HERE/freeze.py" "$utid" 3 >"$T_DIR/freeze-udp.out" 2>&1 {T_LOCK}>&- &
	fpid=$!
	T_PIDS+=("$fpid")
	for i in $(seq 1 50); do grep -q frozen "$T_DIR/freeze-udp.out" && break; sleep 0.1; done
	sleep 1.2
	a=$(pings)
	sleep 1.5
	b=$(pings)
	expect_eq "no watchdog ping while a UDP thread is stuck" "$b" "$a"
	expect_match "the log names the stuck UDP thread" "$(cat "$RD_LOG")" 'watchdog: worker 0 UDP thread 0 has not turned'
	wait "$fpid"
	sleep 1.5
	if [ "$(pings)" -gt "$b" ]; then ok "pings resume once the UDP thread runs"; else fail "no ping after the UDP thread was released"; fi
fi

expect_match "watchdog announced" "$(cat "$RD_LOG")" 'watchdog: pinging every 500 ms'

stop_routerd
wait_notify "STOPPING=1 on SIGTERM" 'STOPPING=1'
finish
