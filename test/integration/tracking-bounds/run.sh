#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The propagation tracker against bad input:
# - POST /api/v1/errors with bad bodies: each refused (4xx, a JSON error)
#   and nothing stored: /metrics and the propagation report unchanged;
# - a flood of 20,000 distinct resolver addresses against
#   tracking.max_entries 1000: the table stays within its bound (evicting),
#   routerd's memory does not grow with the flood, and it keeps answering;
# - garbage `routerctl propagation` commands: a non-zero exit with a clear
#   message, and routerd alive.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=15421 H=15422
CTL="${ROUTERCTL:-$TOP/build/routerctl} -s $T_DIR/ctl.sock"
URL=http://127.0.0.1:$H
write_t_zone "$T_DIR/t.zone" 1
write_t_config 2
cat >>"$T_DIR/routerd.yaml" <<CONF
tracking: { max_entries: 1000 }
switch_defaults: { failback_hold: 0s }
switches:
  - { name: www.t.test, cdn: { cname: cust.cdn.example.net }, origin: { a: [192.0.2.9] } }
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.t.test || { fail "no answer"; finish; }

alive() {
	if rd_alive && q @127.0.0.1 -p $P www.t.test +time=1 | grep -q 'status: NOERROR'; then
		ok "routerd alive and answering $1"
	else
		fail "routerd not answering $1"
		finish
	fi
}

# The metrics a stored error report could move: all but the request
# counters (which count the refusals, by design) and the propagation gauges
# of a running flip that move with the clock alone (residual_*, age_seconds).
metrics_state() {
	curl -s "$URL/metrics" | grep -v '^#' |
		grep -Ev '^(routerd_webhook_requests_total|routerd_propagation_(residual_[a-z_]*ratio|age_seconds))[{ ]'
}
metric() { curl -s "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

# A flip, so that www.t.test has a propagation report (with its errors).
for _ in 1 2 3; do q @127.0.0.1 -p $P www.t.test >/dev/null; done
out=$(curl -s -X POST "$URL/api/v1/signal" -d '{"switch":"www.t.test","target":"cdn","status":"down","id":"it"}')
expect_match "a signal flips www.t.test to the origin" "$out" '"flips":1'
expect_match "www.t.test answers the origin's address" "$(q @127.0.0.1 -p $P www.t.test A)" 'www\.t\.test\..*A[[:space:]]+192\.0\.2\.9'
for _ in 1 2 3; do q @127.0.0.1 -p $P www.t.test >/dev/null; done
# --json: the report (or the reply line {"ok":true,"data":{...}} around it).
expect_match "routerctl propagation www.t.test --json gives the report of the flip" \
	"$($CTL --json propagation www.t.test 2>&1)" '^\{("ok":true,"data":\{)?"switch":"www\.t\.test\.?"'
# The report's error series, as sorted JSON.
prop_errors() {
	$CTL --json propagation www.t.test 2>/dev/null |
		$PY -c '
import json, sys
r = json.load(sys.stdin)
r = r.get("data", {}) if "ok" in r else r
print(json.dumps(r.get("errors"), sort_keys=True))'
}

# ---- POST /api/v1/errors with bad bodies ------------------------------------

sleep 0.5 # the control thread drains the rings every 100 ms: let the queries above land
before_metrics=$(metrics_state)
before_errors=$(prop_errors)
n400=0 n4xx=0
# post_errors WHAT WANT_CODE BODY: the code, and a JSON {"error": "..."} body.
post_errors() {
	local code body
	code=$(curl -s -o "$T_DIR/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$3" "$URL/api/v1/errors")
	body=$(cat "$T_DIR/resp")
	if [ "$code" == "$2" ] && printf '%s' "$body" | grep -Eq '^\{"error":".+"\}$'; then
		ok "errors report refused, $1: $code $body"
	else
		fail "errors report, $1: wanted $2 and a JSON error, got $code $body (body sent: ${3:0:200})"
	fi
	case $code in 400) n400=$((n400 + 1)) ;; 4??) n4xx=$((n4xx + 1)) ;; esac
}
W='"switch":"www.t.test","target":"cdn","window_s":60'
post_errors "an unknown switch" 422 '{"switch":"nosuch.t.test","target":"cdn","window_s":60,"requests":10,"errors":1}'
post_errors "a glob for the switch" 422 '{"switch":"*.t.test","target":"cdn","window_s":60,"requests":10,"errors":1}'
post_errors "negative requests" 400 "{$W,\"requests\":-1,\"errors\":0}"
post_errors "negative errors" 400 "{$W,\"requests\":10,\"errors\":-1}"
post_errors "requests a fraction" 400 "{$W,\"requests\":10.5,\"errors\":1}"
post_errors "errors a fraction" 400 "{$W,\"requests\":10,\"errors\":0.5}"
post_errors "requests written as a real (10.0)" 400 "{$W,\"requests\":10.0,\"errors\":1}"
post_errors "requests a string" 400 "{$W,\"requests\":\"10\",\"errors\":1}"
post_errors "errors a boolean" 400 "{$W,\"requests\":10,\"errors\":true}"
post_errors "requests null" 400 "{$W,\"requests\":null,\"errors\":1}"
post_errors "errors an array" 400 "{$W,\"requests\":10,\"errors\":[1]}"
post_errors "errors > requests" 400 "{$W,\"requests\":10,\"errors\":11}"
post_errors "errors > requests, requests 0" 400 "{$W,\"requests\":0,\"errors\":1}"
post_errors "absurd requests, 10^12 + 1" 400 "{$W,\"requests\":1000000000001,\"errors\":0}"
post_errors "absurd requests, 10^13" 400 "{$W,\"requests\":10000000000000,\"errors\":5}"
post_errors "absurd requests and errors, 10^15" 400 "{$W,\"requests\":1000000000000000,\"errors\":1000000000000000}"
post_errors "requests 2^53" 400 "{$W,\"requests\":9007199254740992,\"errors\":0}"
post_errors "requests above 2^63 (jansson overflow)" 400 "{$W,\"requests\":18446744073709551616,\"errors\":0}"
post_errors "requests 1e13 written as a real" 400 "{$W,\"requests\":1e13,\"errors\":0}"
post_errors "window_s 0" 400 '{"switch":"www.t.test","target":"cdn","window_s":0,"requests":10,"errors":1}'
post_errors "window_s negative" 400 '{"switch":"www.t.test","target":"cdn","window_s":-60,"requests":10,"errors":1}'
post_errors "window_s a day and a second (86401)" 400 '{"switch":"www.t.test","target":"cdn","window_s":86401,"requests":10,"errors":1}'
post_errors "window_s a year" 400 '{"switch":"www.t.test","target":"cdn","window_s":31536000,"requests":10,"errors":1}'
post_errors "window_s a string" 400 '{"switch":"www.t.test","target":"cdn","window_s":"60","requests":10,"errors":1}'
post_errors "window_s a fraction" 400 '{"switch":"www.t.test","target":"cdn","window_s":0.5,"requests":10,"errors":1}'
post_errors "window_s null" 400 '{"switch":"www.t.test","target":"cdn","window_s":null,"requests":10,"errors":1}'
post_errors "no switch" 400 '{"target":"cdn","window_s":60,"requests":10,"errors":1}'
post_errors "an empty switch" 400 '{"switch":"","target":"cdn","window_s":60,"requests":10,"errors":1}'
post_errors "a switch that is a number" 400 '{"switch":5,"target":"cdn","window_s":60,"requests":10,"errors":1}'
post_errors "a 300-character switch name" 400 "{\"switch\":\"$(printf 'a%.0s' $(seq 1 300)).t.test\",\"target\":\"cdn\",\"window_s\":60,\"requests\":10,\"errors\":1}"
post_errors "no target" 400 '{"switch":"www.t.test","window_s":60,"requests":10,"errors":1}'
post_errors "no requests" 400 '{"switch":"www.t.test","target":"cdn","window_s":60,"errors":1}'
post_errors "no errors" 400 '{"switch":"www.t.test","target":"cdn","window_s":60,"requests":10}'
post_errors "nothing at all ({})" 400 '{}'
post_errors "target both" 400 '{"switch":"www.t.test","target":"both","window_s":60,"requests":10,"errors":1}'
post_errors "target empty" 400 '{"switch":"www.t.test","target":"","window_s":60,"requests":10,"errors":1}'
post_errors "target a number" 400 '{"switch":"www.t.test","target":1,"window_s":60,"requests":10,"errors":1}'
post_errors "target with a trailing space" 400 '{"switch":"www.t.test","target":"cdn ","window_s":60,"requests":10,"errors":1}'
post_errors "a duplicate key" 400 "{$W,\"requests\":10,\"errors\":1,\"errors\":0}"
post_errors "an array body" 400 "[{$W,\"requests\":10,\"errors\":1}]"
post_errors "an empty body" 400 ''
post_errors "malformed JSON" 400 "{$W,\"requests\":10,"
post_errors "a NUL in the body" 400 $'{"switch":"www.t.test\\u0000x","target":"cdn","window_s":60,"requests":10,"errors":1}'

after_metrics=$(metrics_state)
after_errors=$(prop_errors)
if [ "$before_metrics" == "$after_metrics" ]; then
	ok "/metrics unchanged by the refused reports (request counters aside)"
else
	fail "/metrics changed by refused reports:"$'\n'"$(diff <(echo "$before_metrics") <(echo "$after_metrics"))"
fi
expect_eq "the errors endpoint counted no success" "$(metric 'routerd_webhook_requests_total{endpoint="errors",code="200"}')" ""
expect_eq "the errors endpoint counted every 400" "$(metric 'routerd_webhook_requests_total{endpoint="errors",code="400"}')" "$n400"
expect_eq "the errors endpoint counted every other 4xx (422)" "$(metric 'routerd_webhook_requests_total{endpoint="errors",code="422"}')" "$n4xx"
expect_eq "the propagation report's errors unchanged by the refused reports" "$after_errors" "$before_errors"
alive "after the bad error reports"

# The report's error series summed: "REQUESTS ERRORS LOWEST" (exact
# integers; LOWEST is the smallest count in any bin, or 0).
err_sums() {
	prop_errors | $PY -c '
import json, sys
bins = json.load(sys.stdin) or []
keys = ("old_requests", "new_requests", "old_errors", "new_errors")
print(sum(b[k] for b in bins for k in keys[:2]), sum(b[k] for b in bins for k in keys[2:]),
      min([b[k] for b in bins for k in keys] + [0]))'
}

# A good report after them: stored, and seen (so the checks above could
# have seen a change).
sums0=$(err_sums)
code=$(curl -s -o "$T_DIR/resp" -w '%{http_code}' -X POST --data-binary "{$W,\"requests\":1000,\"errors\":7}" "$URL/api/v1/errors")
expect_eq "a valid report is stored (200)" "$code" "200"
sums1=$(err_sums)
expect_eq "the valid report adds its 1000 requests and 7 errors to the propagation report" \
	"$($PY -c 'import sys; a, b = (list(map(int, x.split())) for x in sys.argv[1:]); print(b[0] - a[0], b[1] - a[1])' "$sums0" "$sums1")" "1000 7"

# The counts of accepted reports add up per minute: the largest count one
# report may carry must not let the sums overflow (or turn negative in the
# report's JSON) after a thousand reports. 2,100 reports, so that at least
# 1,050 fall into one minute even if a minute boundary passes.
out=$($PY - "$H" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
codes = {}
for i in range(2100):
    body = json.dumps({"switch": "www.t.test", "target": "cdn", "window_s": 60,
                       "requests": 2**53 - 1, "errors": 0})
    c.request("POST", "/api/v1/errors", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    codes[r.status] = codes.get(r.status, 0) + 1
print(codes.get(200, 0), codes)
PY
)
accepted=${out%% *}
echo "note: 2,100 reports of 2^53-1 requests: status codes ${out#* }"
sums2=$(err_sums)
expect_eq "the report's requests add up after $accepted accepted reports of 2^53-1 each (got, wanted, lowest bin)" \
	"$($PY -c 'import sys; a, b = (list(map(int, x.split())) for x in sys.argv[1:3]); n = int(sys.argv[3])
print("ok" if b[0] - a[0] == n * (2**53 - 1) and b[2] >= 0 else "%d %d %d" % (b[0], a[0] + n * (2**53 - 1), b[2]))' \
		"$sums1" "$sums2" "$accepted")" "ok"

# ---- routerctl propagation with garbage ------------------------------------

long300=$(printf 'a%.0s' $(seq 1 300)).t.test
long70k=$(head -c 70000 /dev/zero | tr '\0' a).t.test
# ctl_bad WHAT REGEX ARGS...: exit status non-zero, a message matching
# REGEX, routerd alive.
ctl_bad() {
	local what=$1 re=$2 out rc i
	shift 2
	# Up to REPEAT tries, stopping at the first without a message: a
	# failure that depends on timing (a SIGPIPE) shows every time.
	for i in $(seq 1 "${REPEAT:-1}"); do
		out=$($CTL propagation "$@" 2>&1)
		rc=$?
		[ $rc -ne 0 ] && [ -n "$out" ] || break
	done
	if [ $rc -ne 0 ] && [ -n "$out" ]; then
		ok "routerctl propagation $what: exit $rc: ${out:0:160}"
	else
		fail "routerctl propagation $what: wanted a non-zero exit and a message, got exit $rc$([ $rc -eq 141 ] && echo ' (killed by SIGPIPE)') and [${out:0:300}]"
	fi
	if [ $rc -ne 0 ] && [ -n "$out" ]; then
		expect_match "routerctl propagation $what: the message says what is wrong" "${out:0:1000}" "$re"
	fi
	if rd_alive; then ok "routerd alive after propagation $what"; else fail "routerd died after propagation $what"; finish; fi
}
ctl_bad "without a switch" 'usage|switch'
ctl_bad "of an unknown switch" 'nosuch\.t\.test|no (such )?switch|unknown' nosuch.t.test
expect_eq "--flip 0 is the latest flip, as without --flip" "$($CTL --json propagation www.t.test --flip 0 | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["flip"])')" \
	"$($CTL --json propagation www.t.test | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["flip"])')"
ctl_bad "--flip -1" 'flip' www.t.test --flip -1
ctl_bad "--flip 999999" 'flip' www.t.test --flip 999999
ctl_bad "--flip 99999999999999999999" 'flip' www.t.test --flip 99999999999999999999
ctl_bad "--flip abc" 'flip' www.t.test --flip abc
ctl_bad "--flip 1x" 'flip' www.t.test --flip 1x
ctl_bad "--flip ''" 'flip' www.t.test --flip ''
ctl_bad "--flip without a value" 'flip|value' www.t.test --flip
ctl_bad "of a 300-character name" 'no (such )?switch|unknown|too long|name' "$long300"
# Longer than the admin socket's line limit (64 KiB): the daemon answers and
# closes while routerctl may still be writing; ten tries.
REPEAT=10 ctl_bad "of a 70,000-character name" 'too long|longer than|name' "$long70k"
alive "after the bad propagation commands"

# ---- a flood of distinct resolver addresses ---------------------------------

out=$($PY "$here/flood.py" $P $H "$RD_PID" 20000 2000)
rc=$?
printf '%s\n' "$out"
T_FAILS=$((T_FAILS + $(printf '%s\n' "$out" | grep -c '^FAIL')))
[ $rc -eq 0 ] || [ "$(printf '%s\n' "$out" | grep -c '^FAIL')" -gt 0 ] || fail "flood.py exited $rc"
t0=$(date +%s.%N)
out=$(kdig @127.0.0.1 -p $P www.t.test A +time=1 +retry=0)
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
expect_match "after the flood a kdig query is answered within 1 s (${secs} s)" "$out" 'status: NOERROR'
expect_eq "routerd_track_entries_max after the flood" "$(metric routerd_track_entries_max)" "1000"
alive "after the flood"

stop_routerd
finish
