#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# it: alone
# The status page and the propagation picture end to end: a switch flips
# (a pin), error reports come in, GET / (no credentials, like /metrics)
# shows the switches with the served side marked, the pin, the brake and
# the flip's picture inline; headless Chromium renders it (the screenshot
# is kept as build/it/statuspage.png); `routerctl propagation` prints the
# report, and --svg writes a well-formed picture.
. "$(dirname "$0")/../lib.sh"
# 15411/15412 are the propagation case's: two cases may run at once.
P=15431 H=15432
HERE=$(cd "$(dirname "$0")" && pwd)
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
printf 'page-test-token\n' >"$T_DIR/token"
write_t_zone "$T_DIR/t.zone"
write_t_config 1
# The webhooks need the token; GET / must not.
sed -i "s|^http: .*|http: { listen: \"127.0.0.1:$H\", auth: { bearer_token_file: $T_DIR/token } }|" "$T_DIR/routerd.yaml"
cat >>"$T_DIR/routerd.yaml" <<CONF
switch_defaults: { ttl: 5s }
switches:
  - name: www.t.test
    cdn: { cname: cust.cdn.example.net }
    origin: { a: [192.0.2.9] }
  - name: api.t.test
    cdn: { cname: api.cdn.example.net }
    origin: { a: [192.0.2.10], aaaa: ["2001:db8::10"] }
CONF
post() {
	curl -s -o "$T_DIR/body" -w '%{http_code}' -H 'Authorization: Bearer page-test-token' -X POST \
		--data-binary "$2" "http://127.0.0.1:$H$1"
}
page() { curl -s -D "$T_DIR/headers" -o "$T_DIR/page.html" -w '%{http_code}' "http://127.0.0.1:$H/"; }
ask() { for _ in $(seq 1 "$1"); do q @127.0.0.1 -p $P www.t.test A +short >/dev/null; sleep 0.2; done; }

start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }

# Before any flip.
expect_eq "GET / without credentials: 200" "$(page)" "200"
expect_match "as HTML in UTF-8" "$(cat "$T_DIR/headers")" '^content-type: text/html; charset=utf-8'
html=$(cat "$T_DIR/page.html")
expect_match "no flip yet" "$html" 'No flip yet'
expect_match "www on the CDN, marked as served" "$html" \
	'<td class="name">www\.t\.test\.</td><td class="side cdn active"><span class="tag on">serving</span> CNAME cust\.cdn\.example\.net\.</td><td class="side origin">A 192\.0\.2\.9</td>'
$CTL propagation www.t.test >/dev/null 2>&1
expect_eq "propagation before a flip: the daemon says no (exit 1)" "$?" "1"

# A resolver asks, errors on the CDN come in, the operator pins to the origin.
ask 5
expect_eq "CDN errors before the flip are taken" \
	"$(post /api/v1/errors '{"switch":"www.t.test","target":"cdn","window_s":60,"requests":1000,"errors":80}')" "200"
$CTL pin www.t.test origin --reason "CDN incident <4711> & more" --for 1h >/dev/null
expect_eq "pin exits 0" "$?" "0"
ask 10
expect_eq "CDN errors after the flip" \
	"$(post /api/v1/errors '{"switch":"www.t.test","target":"cdn","window_s":60,"requests":200,"errors":30}')" "200"
expect_eq "origin errors after the flip" \
	"$(post /api/v1/errors '{"switch":"www.t.test","target":"origin","window_s":60,"requests":800,"errors":2}')" "200"

expect_eq "GET / after the flip: 200" "$(page)" "200"
html=$(cat "$T_DIR/page.html")
expect_match "www now served by the origin, marked" "$html" \
	'<td class="name">www\.t\.test\.</td><td class="side cdn">CNAME cust\.cdn\.example\.net\.</td><td class="side origin active"><span class="tag on">serving</span> A 192\.0\.2\.9</td>'
expect_match "api still on the CDN, both families of its origin listed" "$html" \
	'<td class="name">api\.t\.test\.</td><td class="side cdn active">.*</td><td class="side origin">A 192\.0\.2\.10, 2001:db8::10</td>'
expect_match_case "www's row comes first (on the origin)" "$(grep -o 'class="name">[a-z.]*<' "$T_DIR/page.html" | head -1)" 'www\.t\.test\.'
expect_match "the pin, its end and reason, escaped" "$html" 'pinned</span> origin until [0-9T:-]+Z: CDN incident &lt;4711&gt; &amp; more'
expect_match "the brake" "$html" 'Safety brake released: 1 of [0-9]+ automatic flips|Safety brake released: [0-9]+ of'
expect_match "the latest flip's numbers" "$html" 'cdn → origin at [0-9T:.-]+Z, TTL 5s'
expect_match "its picture inline" "$html" '<figure>'
expect_match "with the band" "$html" '<path class="band"'
expect_match "and the error bars" "$html" '<g class="errors-old"'
expect_no_match "no script, nothing fetched" "$html" '<script|<link|src=|href='
expect_eq "POST / is 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "http://127.0.0.1:$H/")" "405"
expect_eq "another path is still 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$H/status")" "404"
expect_eq "the webhooks still want the token" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "http://127.0.0.1:$H/api/v1/errors")" "401"

# routerctl propagation: the tables, --json, --svg, and its exit codes.
out=$($CTL propagation www.t.test)
expect_eq "propagation exits 0" "$?" "0"
expect_match "header: the switch" "$out" '^switch +www\.t\.test\.$'
expect_match "header: flip 1 of 1" "$out" '^flip +1 of 1, (running|done)$'
expect_match "header: from and to" "$out" '^flipped +[0-9T:.-]+Z, cdn -> origin$'
expect_match "header: the shares now" "$out" '^now +lower [0-9.<e%-]+, expected [0-9.<e%-]+, upper [0-9.<e%-]+'
expect_match "the curve from 0 s" "$out" '^0s +[0-9.]+%'
expect_match "the laggards table" "$out" '^resolver +server +weight +hold +class +last before +first after'
expect_match "the resolver that asked" "$out" '^127\.0\.0\.1 '
expect_match "errors per minute" "$out" '^minute from +old requests +old errors +old rate'
# The reports land in the minutes they came in: one row, or two if a
# minute ended between them. Summed: what was posted.
expect_eq "every error report is in the minutes" \
	"$(printf '%s\n' "$out" | awk '/^minute from/ { on = 1; next } on && NF == 7 { a += $2; b += $3; c += $5; d += $6 } END { print a, b, c, d }')" \
	"1200 110 800 2"

json=$($CTL propagation www.t.test --json)
expect_eq "--json is the report" "$(printf '%s' "$json" | $PY -c 'import json,sys; r=json.load(sys.stdin); print(r["switch"], r["from"], r["to"], r["flip"])')" "www.t.test. cdn origin 1"
out=$($CTL propagation www.t.test --svg "$T_DIR/www.svg")
expect_eq "--svg exits 0" "$?" "0"
expect_match "and says where it wrote" "$out" "wrote the picture to $T_DIR/www.svg"
expect_eq "no temporary file left" "$(ls "$T_DIR" | grep -c 'www.svg.tmp')" "0"
if "$PY" "$HERE/svg_check.py" "$T_DIR/www.svg" www.t.test. >"$T_DIR/svg_check.out"; then
	ok "the SVG: $(grep -c '^ok' "$T_DIR/svg_check.out") checks"
else
	fail "the SVG:"$'\n'"$(grep FAIL "$T_DIR/svg_check.out")"
fi
$CTL propagation nope.t.test >/dev/null 2>&1
expect_eq "an unknown switch: exit 1" "$?" "1"
$CTL propagation www.t.test --flip 9 >/dev/null 2>&1
expect_eq "no such flip: exit 1" "$?" "1"
$CTL propagation >/dev/null 2>&1
expect_eq "no switch named: exit 2" "$?" "2"
$CTL propagation www.t.test --flip x >/dev/null 2>&1
expect_eq "--flip x: exit 2" "$?" "2"
"$TOP/build/routerctl" -s "$T_DIR/nothere.sock" propagation www.t.test >/dev/null 2>&1
expect_eq "no daemon: exit 3" "$?" "3"
$CTL propagation www.t.test --svg "$T_DIR/no/such/dir/x.svg" >/dev/null 2>&1
expect_eq "an unwritable --svg: exit 1" "$?" "1"

# Headless Chromium renders the page: a screenshot that is a page, not a blank.
if [ ! -x "$CHROMIUM" ]; then
	fail "no $CHROMIUM (tools/install-deps.sh installs chromium)"
else
	shot=$T_DIR/statuspage.png
	mkdir -p "$T_DIR/home"
	HOME=$T_DIR/home "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T_DIR/home/profile" --screenshot="$shot" --window-size=1200,900 \
		"http://127.0.0.1:$H/" >"$T_DIR/chromium.log" 2>&1 {T_LOCK}>&- &
	CR_PID=$!
	T_PIDS+=("$CR_PID")
	for _ in $(seq 1 600); do kill -0 "$CR_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$CR_PID" 2>/dev/null; then
		fail "chromium (pid $CR_PID) still running after 60 s: killed"
		kill -KILL "$CR_PID"
	fi
	wait "$CR_PID"
	expect_eq "chromium exits 0" "$?" "0"
	if [ -s "$shot" ]; then
		cp "$shot" "$TOP/build/it/statuspage.png"
		if "$PY" "$HERE/png_check.py" "$shot" >"$T_DIR/png_check.out"; then
			ok "the screenshot: $(grep '^ok' "$T_DIR/png_check.out" | sed 's/^ok: //' | paste -sd ';' | sed 's/;/; /g')"
		else
			fail "the screenshot (build/it/statuspage.png):"$'\n'"$(cat "$T_DIR/png_check.out")"
		fi
	else
		fail "chromium wrote no screenshot; its log:"$'\n'"$(tail -n 20 "$T_DIR/chromium.log")"
	fi
fi

stop_routerd
finish
