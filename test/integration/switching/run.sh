#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Switching end to end: health webhooks flip a name to the origin and back
# after the hold, an armed warning lowers the TTL, a pin beats signals and
# expires on its own, bad requests change nothing, and kill -9 loses no
# acknowledged change.
. "$(dirname "$0")/../lib.sh"
P=15361 H=15362
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
write_t_zone "$T_DIR/t.zone" 10
write_t_config 2
cat >>"$T_DIR/routerd.yaml" <<CONF
switch_defaults: { ttl: 30s, ttl_armed: 5s, failback_hold: 2s }
brake: { max_share: 1.0, min_switches: 10 }   # the brake has its own checks below
switches:
  - name: www.t.test
    cdn: { cname: cust.cdn.example.net }
    origin: { a: [192.0.2.9] }
CONF
post() { curl -s -o "$T_DIR/body" -w '%{http_code}' -X POST --data-binary "$2" "http://127.0.0.1:$H$1"; }
answer() { q @127.0.0.1 -p $P www.t.test A +noall +answer | awk '{print $2, $4, $5}' | head -1; }
serial() { q @127.0.0.1 -p $P t.test SOA +short | awk '{print $3}'; }
wait_answer_is() { # WHAT WANT [SECONDS]
	for _ in $(seq 1 $(( ${3:-5} * 10 ))); do [ "$(answer)" == "$2" ] && { ok "$1"; return; }; sleep 0.1; done
	fail "$1: [$(answer)], wanted [$2]"
}

start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
expect_eq "starts on the CDN" "$(answer)" "30 CNAME cust.cdn.example.net."
s0=$(serial)

expect_eq "a down signal is accepted" "$(post /api/v1/signal '{"switch":"www.t.test","target":"cdn","status":"down","id":"probe-1","reason":"503s"}')" "200"
expect_match "and flips one switch" "$(cat "$T_DIR/body")" '"flips":1'
expect_eq "served from the origin at once" "$(answer)" "30 A 192.0.2.9"
expect_eq "the flip is a new zone serial" "$(serial)" "$((s0 + 1))"
expect_eq "a repeated signal is accepted" "$(post /api/v1/signal '{"switch":"www.t.test","target":"cdn","status":"down","id":"probe-1"}')" "200"
expect_match "and changes nothing" "$(cat "$T_DIR/body")" '"flips":0'
expect_eq "nor the serial" "$(serial)" "$((s0 + 1))"

# Bad requests: 4xx with a JSON error, nothing changed.
expect_eq "unknown switch: 422" "$(post /api/v1/signal '{"switch":"nope.t.test","target":"cdn","status":"down"}')" "422"
expect_match "with a JSON error" "$(cat "$T_DIR/body")" '^\{"error":"no switch named nope.t.test"\}'
expect_eq "malformed JSON: 400" "$(post /api/v1/signal '{"switch":')" "400"
expect_eq "a wrong target: 400" "$(post /api/v1/signal '{"switch":"www.t.test","target":"edge","status":"up"}')" "400"
expect_eq "GET on a webhook: 405" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$H/api/v1/signal)" "405"
expect_eq "an error report for a known switch is stored" "$(post /api/v1/errors '{"switch":"www.t.test","target":"cdn","window_s":60,"requests":1000,"errors":40}')" "200"
expect_eq "negative counts: 400" "$(post /api/v1/errors '{"switch":"www.t.test","target":"cdn","requests":-1,"errors":0}')" "400"
expect_eq "errors for an unknown switch: 422" "$(post /api/v1/errors '{"switch":"x.t.test","target":"cdn","requests":1,"errors":0}')" "422"
expect_eq "still on the origin after the bad requests" "$(answer)" "30 A 192.0.2.9"

# Recovery: up, then back to the CDN after failback_hold (2 s), not at once.
expect_eq "an up signal is accepted" "$(post /api/v1/signal '{"switch":"www.t.test","target":"cdn","status":"up","id":"probe-1"}')" "200"
expect_eq "no failback before the hold" "$(answer)" "30 A 192.0.2.9"
wait_answer_is "back to the CDN after the hold" "30 CNAME cust.cdn.example.net." 5

# An Alertmanager warning arms the low TTL; its resolution disarms it.
am() { printf '{"version":"4","status":"%s","receiver":"routerd","groupKey":"{}","truncatedAlerts":0,"alerts":[{"status":"%s","labels":{"alertname":"Edge5xxRising","routerd_switch":"www.t.test","severity":"warning"},"annotations":{},"startsAt":"2026-11-24T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"warn-1"}]}' "$1" "$1"; }
expect_eq "an Alertmanager warning is accepted" "$(post /api/v1/alertmanager "$(am firing)")" "200"
expect_eq "armed: the low TTL" "$(answer)" "5 CNAME cust.cdn.example.net."
post /api/v1/alertmanager "$(am resolved)" >/dev/null
expect_eq "resolved: the normal TTL" "$(answer)" "30 CNAME cust.cdn.example.net."

# A pin beats the signals and runs out on its own.
out=$($CTL pin www.t.test origin --reason "maintenance test" --for 2s); expect_eq "pin exits 0" "$?" "0"
expect_eq "pinned to the origin" "$(answer)" "30 A 192.0.2.9"
$CTL pin www.t.test origin >/dev/null 2>&1; expect_eq "a pin without --reason is refused (exit 1)" "$?" "1"
$CTL pin 'nomatch.*' origin --reason x >/dev/null 2>&1; expect_eq "a glob matching nothing is refused" "$?" "1"
expect_match "the pin is in the list" "$($CTL list --pinned)" "www.t.test. +origin +pin +true"
wait_answer_is "the pin expires: back to the CDN" "30 CNAME cust.cdn.example.net." 5
expect_match "history has the flips with their causes and actor" "$($CTL history www.t.test)" "pin_expired"
expect_match "the pin names who set it" "$($CTL --json history www.t.test)" "uid $(id -u)|$(id -un)"

# kill -9 right after an acknowledged flip: the restart serves it.
expect_eq "down again" "$(post /api/v1/signal '{"switch":"www.t.test","target":"cdn","status":"down","id":"probe-2"}')" "200"
kill -9 "$RD_PID"; wait "$RD_PID" 2>/dev/null
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd2.log"
wait_answer 127.0.0.1 $P t.test || { fail "no answer after the restart"; finish; }
expect_eq "after kill -9 the acknowledged flip is still served" "$(answer)" "30 A 192.0.2.9"
expect_match "and its signal is still active" "$($CTL --json show www.t.test)" '"probe-2"'
post /api/v1/signal '{"switch":' >/dev/null   # a 400, to be counted
m=$(curl -s http://127.0.0.1:$H/metrics)
expect_match "metrics: the side" "$m" 'routerd_switch_side\{switch="www.t.test.",side="origin"\} 1'
expect_match "metrics: active signals" "$m" '^routerd_signals_active 1'
expect_match "metrics: webhook requests by code" "$m" 'routerd_webhook_requests_total\{endpoint="signal",code="400"\} 1'
# The workers record every query for a switched name; the control thread
# folds them into the (switch, resolver) table the propagation report reads.
for i in 1 2 3; do answer >/dev/null; done
sleep 0.5
m=$(curl -s http://127.0.0.1:$H/metrics)
expect_match "metrics: the tracker took the queries" "$m" '^routerd_track_observations_total [3-9]'
expect_match "metrics: one resolver (127.0.0.1) for one switch" "$m" '^routerd_track_entries 1$'
stop_routerd "$T_DIR/routerd2.log"
finish
