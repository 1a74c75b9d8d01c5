#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Response rate limiting (server.rrl): one source over the rate gets a few
# answers, then every second limited response truncated (slip 2: TC, the
# question only, OPT kept) and the rest dropped; the limit is per source
# and per response kind (a flood of answers does not limit the same
# source's NXDOMAIN, a flood of random NXDOMAIN names is one key); an
# exempt source is never limited; TCP is never limited; and a real
# resolver (Unbound) whose source is flooded retries over TCP on the TC
# and gets its answer. /metrics counts what was limited.
. "$(dirname "$0")/../lib.sh"
P=16620 # routerd DNS
H=16621 # routerd HTTP (/metrics)
RP=16622 # Unbound
HERE=$(cd "$(dirname "$0")" && pwd)
FLOOD=127.0.0.65 EXEMPT=127.0.0.66 OTHER=127.0.0.68 RESOLVER=127.0.0.67
write_t_zone "$T_DIR/t.zone"
echo 'www A 192.0.2.10' >>"$T_DIR/t.zone"
echo 'big TXT "'"$(printf 'x%.0s' $(seq 1 200))"'" "'"$(printf 'y%.0s' $(seq 1 200))"'"' >>"$T_DIR/t.zone"
# 10 per second over 2 workers: 5 per worker and key, 5 to start with.
write_t_config 2
cat >>"$T_DIR/routerd.yaml" <<CONF
CONF
sed -i "s|workers: 2 }|workers: 2, rrl: { responses_per_second: 10, slip: 2, ipv4_prefix: 32, exempt: [\"$EXEMPT/32\"] } }|" "$T_DIR/routerd.yaml"
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "routerd did not start"; finish; }

blast() { $PY "$HERE/blast.py" 127.0.0.1 $P "$@"; }
jget() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, d))' "$1" "$2"; }

# 1000 queries for one large answer from one source, 8 source ports.
r=$(blast $FLOOD 1000 big.t.test TXT --sockets 8 --edns)
echo "flood: $r"
answers=$(jget "$r" answers) tc=$(jget "$r" truncated)
if [ "$answers" -lt 200 ]; then ok "flooding source got $answers of 1000 full answers"; else fail "flooding source got $answers of 1000 full answers (limit 10/s)"; fi
if [ "$tc" -ge 300 ] && [ "$tc" -le 600 ]; then ok "about every second limited response slipped ($tc TC)"; else fail "$tc TC responses, wanted about half of the limited ones"; fi
expect_eq "slipped responses are the question only" "$(jget "$r" tc_bad)" "0"
expect_eq "slipped responses keep EDNS" "$(jget "$r" opt)" "$tc"
total=$(( answers + tc ))
if [ "$total" -le 700 ]; then ok "limited responses beyond the slips dropped ($total of 1000 sent back)"; else fail "$total of 1000 got a response: nothing dropped"; fi

# Same source, another kind: NXDOMAIN is its own key.
r=$(blast $FLOOD 3 nothere.t.test A)
expect_eq "the flooded source's NXDOMAIN is not limited by its answer flood" "$(jget "$r" answers)" "3"
# A flood of random names is one NXDOMAIN key.
r=$(blast $OTHER 600 t.test A --random --sockets 8)
echo "nxdomain flood: $r"
if [ "$(jget "$r" answers)" -lt 200 ]; then ok "random-name NXDOMAIN flood limited ($(jget "$r" answers) of 600 answered)"; else fail "random-name NXDOMAIN flood not limited: $r"; fi

# The exempt source: every query answered.
r=$(blast $EXEMPT 1000 big.t.test TXT --sockets 8 --edns)
echo "exempt: $r"
expect_eq "exempt source: all 1000 answered in full" "$(jget "$r" answers)" "1000"
# TCP is never limited, even for the flooding source.
n=0
for i in $(seq 1 20); do
	kdig @127.0.0.1 -p $P -b $FLOOD +tcp +time=2 +retry=0 +short big.t.test TXT | grep -q xxx && n=$((n + 1))
done
expect_eq "TCP answers for the flooding source" "$n" "20"

# A real resolver: its source flooded (as an attacker spoofing it would),
# Unbound gets TC, retries over TCP, and answers its client.
if command -v unbound >/dev/null; then
	ud=$T_DIR/unbound
	mkdir -p "$ud"
	cat >"$ud/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $RP
  outgoing-interface: $RESOLVER
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$ud"
  pidfile: "$ud/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  domain-insecure: "t.test"
  local-zone: "test." nodefault
remote-control:
  control-enable: no
forward-zone:
  name: "t.test"
  forward-addr: 127.0.0.1@$P
CONF
	unbound -d -c "$ud/unbound.conf" >"$ud/log" 2>&1 {T_LOCK}>&- &
	T_PIDS+=("$!")
	for i in $(seq 1 50); do kdig @127.0.0.1 -p $RP +time=1 +retry=0 t.test SOA 2>/dev/null | grep -q 'status: ' && break; sleep 0.1; done
	metric() { curl -s "http://127.0.0.1:$H/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
	tcp0=$(metric 'routerd_dns_queries_total{proto="tcp",qtype="TXT"}')
	# Flood from Unbound's address on 16 ports for 4 s, and ask meanwhile.
	blast $RESOLVER 4000 big.t.test TXT --sockets 16 --seconds 4 >"$T_DIR/resolver-flood.json" &
	bp=$!
	sleep 1
	got=$(kdig @127.0.0.1 -p $RP +time=5 +retry=1 +short big.t.test TXT)
	wait $bp
	expect_match "Unbound answers its client despite the flood" "$got" 'xxxx'
	tcp1=$(metric 'routerd_dns_queries_total{proto="tcp",qtype="TXT"}')
	if [ "${tcp1:-0}" -gt "${tcp0:-0}" ]; then ok "Unbound retried over TCP ($tcp0 -> $tcp1 TCP TXT queries)"; else fail "no TCP query from Unbound ($tcp0 -> $tcp1)"; fi
else
	fail "unbound missing (package unbound)"
fi

m=$(curl -s "http://127.0.0.1:$H/metrics" | grep '^routerd_rrl_limited_total')
expect_match "metrics count slipped responses" "$m" 'action="slipped"} [1-9]'
expect_match "metrics count dropped responses" "$m" 'action="dropped"} [1-9]'
stop_routerd
finish
