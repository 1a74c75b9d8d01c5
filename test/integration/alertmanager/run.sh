#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end with a real Alertmanager (Debian's): an alert posted to
# Alertmanager is routed to routerd's webhook, with a bearer token, and the
# name flips to the origin with its low TTL; the alert's resolution brings
# the CDN back after failback_hold.
. "$(dirname "$0")/../lib.sh"
P=15381 H=15382 AM=15383
printf 's3cret-for-am\n' >"$T_DIR/token"
write_t_zone "$T_DIR/t.zone" 1
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
http: { listen: "127.0.0.1:$H", auth: { bearer_token_file: $T_DIR/token } }
zones: [ { name: t.test, file: $T_DIR/t.zone } ]
switch_defaults: { ttl: 20s, failback_hold: 3s }
switches:
  - { name: www.t.test, cdn: { cname: cust.cdn.example.net }, origin: { a: [192.0.2.9] } }
CONF
cat >"$T_DIR/alertmanager.yml" <<CONF
route:
  receiver: routerd
  group_by: [ routerd_switch, alertname ]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: routerd
    webhook_configs:
      - url: http://127.0.0.1:$H/api/v1/alertmanager
        send_resolved: true
        http_config: { authorization: { credentials_file: $T_DIR/token } }
CONF
answer() { q @127.0.0.1 -p $P www.t.test A +noall +answer | awk '{print $2, $4, $5}' | head -1; }
wait_for() { # WHAT WANT SECONDS
	for _ in $(seq 1 $(( $3 * 10 ))); do [ "$(answer)" == "$2" ] && { ok "$1"; return; }; sleep 0.1; done
	fail "$1: [$(answer)], wanted [$2]"
}
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
expect_eq "without the token the webhook is 401" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' http://127.0.0.1:$H/api/v1/alertmanager)" "401"
expect_eq "with a wrong token 403" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' -X POST -d '{}' http://127.0.0.1:$H/api/v1/alertmanager)" "403"

prometheus-alertmanager --config.file="$T_DIR/alertmanager.yml" --storage.path="$T_DIR/am" \
	--web.listen-address=127.0.0.1:$AM --cluster.listen-address= >"$T_DIR/am.log" 2>&1 &
T_PIDS+=("$!")
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$AM/-/ready >/dev/null && break; sleep 0.1; done
expect_eq "Alertmanager is ready" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$AM/-/ready)" "200"

alert() { # ENDS_AT
	printf '[{"labels":{"alertname":"Edge503","routerd_switch":"www.t.test","severity":"critical"},"annotations":{"summary":"CDN edge returns 503"},"startsAt":"%s","endsAt":"%s"}]' \
		"$(date -u -d '-1 min' +%Y-%m-%dT%H:%M:%SZ)" "$1"
}
expect_eq "the alert is posted to Alertmanager" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d "$(alert "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)")" http://127.0.0.1:$AM/api/v2/alerts)" "200"
wait_for "Alertmanager's notification flips the name to the origin, low TTL" "20 A 192.0.2.9" 20
expect_match "the flip names Alertmanager's alert" "$("$TOP/build/routerctl" -s "$T_DIR/ctl.sock" history www.t.test)" "alertmanager"

curl -s -o /dev/null -H 'Content-Type: application/json' -d "$(alert "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" \
	http://127.0.0.1:$AM/api/v2/alerts
wait_for "its resolution brings the CDN back after the hold" "20 CNAME cust.cdn.example.net." 30
stop_routerd
finish
