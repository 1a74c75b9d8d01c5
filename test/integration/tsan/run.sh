#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ThreadSanitizer: build/routerd-tsan (make build/routerd-tsan) under a
# short mixed workload, everything at once: DNS over UDP and TCP on two
# workers (with tracking), webhooks (one large Alertmanager message applied
# in parts), pins and unpins, reloads (SIGHUP and routerctl), /metrics and
# status. Any ThreadSanitizer report fails the case.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
ROUTERD=${TSAN_ROUTERD:-$TOP/build/routerd-tsan}
CTL=$TOP/build/routerctl
P=16220 H=16221
# Report everything (not only the first), and exit 66 if anything was found.
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1"

write_t_zone "$T_DIR/t.zone"
write_t_config 2
cat >>"$T_DIR/routerd.yaml" <<CONF
switches:
  - { name: www.t.test, cdn: { cname: cdn.example.net }, origin: { a: [192.0.2.10] } }
  - { name: api.t.test, cdn: { cname: cdn.example.net }, origin: { a: [192.0.2.11] } }
  - { name: img.t.test, cdn: { cname: cdn.example.net }, origin: { a: [192.0.2.12] } }
brake: { min_switches: 1000 }
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.t.test || { fail "routerd-tsan did not answer"; finish; }
ctl() { "$CTL" -s "$T_DIR/ctl.sock" "$@"; }
SECS=20
end=$(($(date +%s) + SECS))

# DNS: UDP and TCP queries from several clients.
$PY - "$P" "$end" >"$T_DIR/dns.out" 2>&1 <<'PYEOF' &
import sys, time, threading
import dns.message, dns.query
port, end = int(sys.argv[1]), int(sys.argv[2])
counts = {"udp": 0, "tcp": 0, "err": 0}
def run(tcp, name):
    while time.time() < end:
        q = dns.message.make_query(name, "A")
        try:
            (dns.query.tcp if tcp else dns.query.udp)(q, "127.0.0.1", port=port, timeout=2)
            counts["tcp" if tcp else "udp"] += 1
        except Exception:
            counts["err"] += 1
ts = [threading.Thread(target=run, args=(i % 2 == 1, n)) for i, n in
      enumerate(["www.t.test", "api.t.test", "img.t.test", "ns.t.test"])]
for t in ts: t.start()
for t in ts: t.join()
print(counts)
PYEOF
dns=$!
T_PIDS+=("$dns")

# Webhooks: single signals up and down, and large Alertmanager messages.
(
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		st=$([ $((i % 2)) -eq 0 ] && echo down || echo up)
		curl -s -o /dev/null -X POST "127.0.0.1:$H/api/v1/signal" \
			-d "{\"switch\":\"*.t.test\",\"target\":\"cdn\",\"status\":\"$st\",\"id\":\"t$((i % 5))\"}"
		[ $((i % 10)) -eq 0 ] && $PY "$TOP/test/integration/attacks/attack.py" alerts 0 $H 3000 '*' \
			"$T_DIR/ctl.sock" >/dev/null
		curl -s -o /dev/null "127.0.0.1:$H/metrics"
	done
) &
hooks=$!
T_PIDS+=("$hooks")

# Pins, unpins, status; reloads by SIGHUP and by routerctl.
n_pin=0 n_reload=0
while [ "$(date +%s)" -lt "$end" ]; do
	ctl pin 'api.t.test' origin --reason tsan --for 1m >/dev/null && n_pin=$((n_pin + 1))
	ctl status >/dev/null
	ctl unpin 'api.t.test' >/dev/null
	kill -HUP "$RD_PID"
	ctl reload >/dev/null && n_reload=$((n_reload + 1))
	ctl show www.t.test >/dev/null
	sleep 0.2
done
wait "$hooks"
wait "$dns"
echo "dns: $(cat "$T_DIR/dns.out"), pins: $n_pin, reloads: $n_reload"
expect_match "DNS queries were answered over UDP and TCP" "$(cat "$T_DIR/dns.out")" "'udp': [1-9][0-9]*, 'tcp': [1-9]"
[ "$n_pin" -gt 3 ] && ok "pins applied ($n_pin)" || fail "only $n_pin pins applied"
[ "$n_reload" -gt 3 ] && ok "reloads done ($n_reload)" || fail "only $n_reload reloads"
rd_alive && ok "routerd-tsan alive after the workload" || fail "routerd-tsan died"
stop_routerd
if grep -q "WARNING: ThreadSanitizer" "$RD_LOG"; then
	fail "ThreadSanitizer reports ($(grep -c 'WARNING: ThreadSanitizer' "$RD_LOG")):"
	grep -A 40 "WARNING: ThreadSanitizer" "$RD_LOG" | sed -n '1,120p'
else
	ok "no ThreadSanitizer report"
fi
finish
