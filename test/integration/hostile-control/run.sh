#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Hostile clients and faults on the control plane (issue 14):
# - 6,000 short admin lines in one write each get a reply; a client that
#   never reads is closed at control.idle_timeout with routerd's memory flat;
#   control.max_clients holds;
# - routerctl pin --until 99999999999999999 is a clear error, no overflow;
#   routerctl as a user the socket refuses says "permission denied";
# - one flipped byte in journal record 4 of 11: routerd refuses to start,
#   `routerd --recover` keeps records 1-3 and sets the rest aside; a torn
#   last record is only cut;
# - state_dir full (a small tmpfs, as root): a refused flip is logged as
#   refused, never as "cdn -> origin", and a pin that expired meanwhile
#   expires as soon as the journal can be written again.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=16110 H=16111
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
write_t_zone "$T_DIR/t.zone"
conf() {
	cat <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock, mode: "0600", max_clients: 8, idle_timeout: 3s }
http: { listen: "127.0.0.1:$H" }
zones: [ { name: t.test, file: $T_DIR/t.zone } ]
brake: { max_share: 1.0, min_switches: 1000 }
switch_defaults: { failback_hold: 0s }
switches:
CONF
	for n in s1 s2 s3 s4 s5 s6 s7 s8 s9 s10 x w a-pinned-switch-with-a-rather-long-name; do
		echo "  - { name: $n.t.test, cdn: { cname: $n.cdn.example.net }, origin: { a: [192.0.2.9] } }"
	done
}
conf >"$T_DIR/routerd.yaml"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$RD_PID/status"; }

# ---- the admin socket --------------------------------------------------------
# Memory first, on the plain build: the sanitizer's quarantine keeps freed
# memory (up to 256 MB) and would hide what routerd itself holds.
if [ -x "$TOP/build/routerd" ] && [ -z "${HC_SKIP_PLAIN:-}" ]; then
	SAN=$ROUTERD
	ROUTERD=$TOP/build/routerd
	start_routerd "$T_DIR/routerd.yaml" "$T_DIR/plain.log"
	wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
	idle=$(rss)
	pids=()
	for i in 1 2 3 4 5; do $PY "$here/admin.py" noread "$T_DIR/ctl.sock" 30 >"$T_DIR/noread.$i" & pids+=($!); done
	sleep 2
	during=$(rss)
	wait "${pids[@]}"
	$PY "$here/admin.py" lines "$T_DIR/ctl.sock" 6000 >/dev/null
	after=$(rss)
	ok "plain build: RSS idle ${idle} kB, with five clients that never read ${during} kB, after them and 6,000 lines ${after} kB"
	[ "$during" -lt $((idle * 3 / 2)) ] || fail "RSS grew from $idle kB to $during kB with clients that never read"
	[ "$after" -lt $((idle * 3 / 2)) ] || fail "RSS grew from $idle kB to $after kB"
	expect_eq "all five were closed at the idle timeout" "$(cat "$T_DIR"/noread.* | grep -c '^closed_after [0-9]')" "5"
	stop_routerd
	ROUTERD=$SAN
fi
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
out=$($PY "$here/admin.py" lines "$T_DIR/ctl.sock" 6000)
expect_eq "6,000 short admin lines in one write: 6,000 replies" "$out" "replies 6000 ok 6000"
out=$($PY "$here/admin.py" noread "$T_DIR/ctl.sock" 30)
expect_match "a client that never reads is closed at the idle timeout (3 s)" "$out" '^closed_after [0-9]'
expect_eq "control.max_clients 8: 4 of 12 connections refused" "$($PY "$here/admin.py" cap "$T_DIR/ctl.sock" 12)" "refused 4"
out=$($CTL status); expect_eq "routerctl still works" "$?" "0"

# ---- times and permissions -----------------------------------------------------
out=$($CTL pin s1.t.test origin --reason t --until 99999999999999999 2>&1); rc=$?
expect_eq "pin --until 99999999999999999 exits 1" "$rc" "1"
expect_match "and says it is out of range" "$out" 'out of range'
out=$($CTL pin s1.t.test origin --reason t --until 99999999999999999999999 2>&1)
expect_match "an --until past int64 says so too" "$out" 'out of range'
rd_alive && ok "routerd alive after the --until overflow attempts" || { fail "routerd died"; finish; }
expect_eq "nothing was pinned" "$($CTL --json list --pinned)" '{"ok":true,"data":[]}'
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $CTL status 2>&1); rc=$?
expect_match "a user the socket refuses: permission denied" "$out" 'permission denied'
expect_eq "exit 1, not 3 (not running)" "$rc" "1"

# ---- a damaged journal, and a torn one ---------------------------------------
for i in 2 3 4 5 6 7 8 9 10 11; do
	$CTL pin s$((i - 1)).t.test origin --reason "record $i" >/dev/null || fail "pin for record $i"
done
stop_routerd
records=$($PY - "$T_DIR/state/journal" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off, n = 0, 0
while off < len(b):
    off += 8 + struct.unpack("<I", b[off:off + 4])[0]
    n += 1
print(n)
PY
)
expect_eq "the journal holds 11 records" "$records" "11"
cp "$T_DIR/state/journal" "$T_DIR/journal.good"
$PY - "$T_DIR/state/journal" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
off = 0
for _ in range(3):
    off += 8 + struct.unpack("<I", b[off:off + 4])[0]
n = struct.unpack("<I", b[off:off + 4])[0]
b[off + 8 + n // 2] ^= 0x20  # one byte in the middle of record 4's payload
open(p, "wb").write(b)
PY
size=$(stat -c %s "$T_DIR/state/journal")
"$ROUTERD" -c "$T_DIR/routerd.yaml" 2>"$T_DIR/refused.log"
expect_eq "a flipped byte in record 4 of 11: routerd refuses to start (exit 1)" "$?" "1"
log=$(cat "$T_DIR/refused.log")
expect_match "the log names the damage and its offset" "$log" 'checksum mismatch at offset [0-9]+, and good records follow'
expect_match "and the way out" "$log" 'routerd --recover'
expect_eq "nothing was cut from the journal" "$(stat -c %s "$T_DIR/state/journal")" "$size"
check_sanitizers "$T_DIR/refused.log"
out=$("$ROUTERD" --recover -c "$T_DIR/routerd.yaml" 2>&1); rc=$?
expect_eq "routerd --recover exits 0" "$rc" "0"
expect_match "and says what it kept" "$out" '3 records kept, [0-9]+ bytes set aside'
aside=$(ls "$T_DIR"/state/journal.corrupt-* 2>/dev/null | head -1)
[ -n "$aside" ] && ok "the rest is in $(basename "$aside")" || fail "no journal.corrupt-* in state_dir"
expect_eq "journal + set aside = the damaged journal" \
	"$(( $(stat -c %s "$T_DIR/state/journal") + $(stat -c %s "$aside") ))" "$size"
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd2.log"
wait_answer 127.0.0.1 $P t.test || { fail "no answer after --recover"; finish; }
expect_eq "records 2-3 kept: s1 and s2 pinned, s3 (record 4) not" \
	"$($CTL --json list --pinned | grep -o '"switch":"s[0-9]*.t.test."' | tr '\n' ' ')" \
	'"switch":"s1.t.test." "switch":"s2.t.test." '
stop_routerd
# A torn last record (a crash mid-write) is cut, and the start goes on.
cp "$T_DIR/journal.good" "$T_DIR/state/journal"
rm -f "$T_DIR"/state/snapshot.json "$T_DIR"/state/journal.corrupt-*
printf '\x40\x00\x00\x00\x01\x02\x03\x04{"seq":12,"t":' >>"$T_DIR/state/journal"
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd3.log"
wait_answer 127.0.0.1 $P t.test || { fail "no answer with a torn last record"; finish; }
expect_match "a torn last record is cut with a warning" "$(cat "$T_DIR/routerd3.log")" 'short record at offset [0-9]+, the last record'
expect_eq "and the 10 pins before it are kept" "$($CTL --json list --pinned | grep -o '"switch":"s[0-9]*' | wc -l)" "10"
$CTL unpin 's*' >/dev/null
stop_routerd

# ---- state_dir full ------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP part: state_dir full needs root (a tmpfs mount)"
	finish
fi
umount "$T_DIR/state" 2>/dev/null # left by a run that was killed
rm -rf "$T_DIR/state"
mkdir -p "$T_DIR/state"
mount -t tmpfs -o size=512k tmpfs "$T_DIR/state" || { fail "cannot mount a tmpfs"; finish; }
# Unmounted however the case ends: finished, failed, or stopped by run-all's timeout.
trap 'cleanup; umount "$T_DIR/state" 2>/dev/null' EXIT
trap 'exit 1' TERM INT
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd4.log"
wait_answer 127.0.0.1 $P t.test || { fail "no answer on the tmpfs"; finish; }
PS=a-pinned-switch-with-a-rather-long-name.t.test
$CTL pin $PS origin --reason "expires during the outage" --for 8s >/dev/null || fail "pin"
expect_eq "the pinned switch serves origin" "$(q @127.0.0.1 -p $P $PS +short)" "192.0.2.9"
dd if=/dev/zero of="$T_DIR/state/filler" bs=4k 2>/dev/null
# Fill the journal's last page with warnings (small records) until one is refused.
for i in $(seq 1 100); do
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary \
		'{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"routerd_switch":"w.t.test","severity":"warning"},"fingerprint":"f'$i'"}]}' \
		http://127.0.0.1:$H/api/v1/alertmanager)
	[ "$code" = 500 ] && break
done
expect_eq "state_dir full: a change is refused (500)" "$code" "500"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary \
	'{"switch":"x.t.test","target":"cdn","status":"down","id":"full"}' http://127.0.0.1:$H/api/v1/signal)
expect_eq "a signal that would flip x is refused (500)" "$code" "500"
expect_eq "x still serves cdn" "$(q @127.0.0.1 -p $P x.t.test +short)" "x.cdn.example.net."
log=$(cat "$T_DIR/routerd4.log")
expect_match "the log says the flip was refused" "$log" 'switch x.t.test.: flip cdn -> origin \(signal\) refused'
expect_no_match "and never that x went cdn -> origin" "$log" 'switch x.t.test.: cdn -> origin'
$CTL pin s5.t.test origin --reason full >/dev/null 2>"$T_DIR/pin.err"; rc=$?
expect_eq "routerctl pin on a full state_dir exits 1" "$rc" "1"
expect_match "saying the journal failed" "$(cat "$T_DIR/pin.err")" 'journal failure'
# The pin runs out (8 s) while nothing can be written: still served, as on disk.
for i in $(seq 1 100); do
	grep -q "switch $PS.: flip origin -> cdn (pin_expired) refused" "$T_DIR/routerd4.log" && break
	sleep 0.2
done
expect_match "the pin's expiry is refused too, and logged so" "$(cat "$T_DIR/routerd4.log")" "switch $PS.: flip origin -> cdn \\(pin_expired\\) refused"
expect_eq "and the switch still serves origin" "$(q @127.0.0.1 -p $P $PS +short)" "192.0.2.9"
rm -f "$T_DIR/state/filler"
t0=$(date +%s.%N)
for i in $(seq 1 150); do
	[ "$(q @127.0.0.1 -p $P $PS +short)" = "${PS%.t.test}.cdn.example.net." ] && break
	sleep 0.2
done
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
expect_eq "space back: the expired pin ends ($secs s after, not at a 60 s timer)" "$(q @127.0.0.1 -p $P $PS +short)" "${PS%.t.test}.cdn.example.net."
expect_match "the log says the journal works again" "$(cat "$T_DIR/routerd4.log")" 'the journal takes changes again'
expect_match "and the flip is logged once made" "$(cat "$T_DIR/routerd4.log")" "switch $PS.: origin -> cdn \\(pin_expired"
stop_routerd
finish
