#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The control plane against the running daemon: routerctl over the admin
# socket (tables, --json, exit codes, garbage on the socket) and the HTTP
# listener (/metrics, health, limits).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=15341 H=15342
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 2 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock, mode: "0600" }
http: { listen: "127.0.0.1:$H", max_body: 2k, max_header: 1k, idle_timeout: 1s }
zones: [ { name: t.test, file: $here/t.zone } ]
switches:
  - name: sw.t.test
    cdn: { cname: cust.cdn.example.net }
    origin: { a: [192.0.2.9] }
CONF

$CTL status >/dev/null 2>&1
expect_eq "routerctl: daemon not running is exit 3" "$?" "3"
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.t.test || { fail "no answer"; finish; }

expect_eq "the socket has the configured mode" "$(stat -c %a "$T_DIR/ctl.sock")" "600"
out=$($CTL status); expect_eq "status exits 0" "$?" "0"
expect_match "status shows the switch count" "$out" "switches +1"
out=$($CTL list)
expect_match "list is a table with a header" "$out" "^switch +side +cause +pinned +armed"
expect_match "list shows the switch on the CDN" "$out" "sw.t.test. +cdn +initial +false"
out=$($CTL --json list 'sw.*')
expect_match "--json gives the reply line" "$out" '^\{"ok":true,"data":\[\{"switch":"sw.t.test."'
expect_eq "--json after the command works too" "$($CTL list 'sw.*' --json)" "$out"
expect_eq "options before the command" "$($CTL --state cdn --json list)" "$($CTL list --json --state cdn)"
out=$($CTL list --reason x 2>&1); expect_eq "an option the command does not take exits 2" "$?" "2"
expect_match "and says which it takes" "$out" "list does not take --reason; it takes --state --pinned"
expect_match "history prints times as ISO 8601 UTC, not epoch ms" "$($CTL history)" '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z +added'
expect_match "status prints max_share as configured" "$($CTL status)" 'max_share +0\.2$'
expect_no_match "and without binary noise" "$($CTL status)" '0\.2000000'
expect_match "--json keeps the raw numbers" "$($CTL --json status)" '"max_share":0\.2[0-9]*,'
expect_eq "a glob that matches nothing: empty list" "$($CTL --json list 'nothing.*')" '{"ok":true,"data":[]}'
out=$($CTL show sw.t.test)
expect_match "show gives both sides" "$out" "cname +cust.cdn.example.net."
$CTL show nosuch.t.test >/dev/null 2>&1; expect_eq "show of an unknown switch exits 1" "$?" "1"
$CTL frobnicate >/dev/null 2>&1; expect_eq "an unknown command exits 1" "$?" "1"
$CTL list --bogus >/dev/null 2>&1; expect_eq "an unknown option exits 2" "$?" "2"
$CTL >/dev/null 2>&1; expect_eq "no command exits 2" "$?" "2"
q @127.0.0.1 -p $P www.t.test >/dev/null
expect_match "stats count the queries" "$($CTL --json stats)" '"A":[1-9]'
out=$($CTL reload); expect_eq "reload exits 0" "$?" "0"
# `brake` without arguments shows the brake; it once leaked the status
# object on every call (LeakSanitizer says so at stop_routerd).
for i in 1 2 3; do out=$($CTL --json brake); done
expect_match "brake shows the brake" "$out" '^\{"ok":true,"data":\{"engaged":false'

# Garbage on the socket: an error reply per line, and the daemon serves on.
out=$($PY - "$T_DIR/ctl.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'garbage\n{"v":2,"cmd":"status"}\n[1,2]\n{"v":1,"cmd":"status"}\n')
data = b""
deadline = time.time() + 3
while data.count(b"\n") < 4 and time.time() < deadline:
    data += s.recv(65536)
print(data.decode())
PY
)
expect_match "malformed JSON gets an error reply" "$out" '"ok":false,"error":"malformed JSON'
expect_match "a wrong version gets an error reply" "$out" 'unsupported protocol version'
expect_match "the same connection still answers" "$out" '"ok":true,"data":\{"version"'
expect_eq "DNS still answers" "$(q @127.0.0.1 -p $P www.t.test +short)" "192.0.2.80"

# HTTP
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect_eq "/-/healthy" "$(code http://127.0.0.1:$H/-/healthy)" "200"
expect_eq "/-/ready" "$(code http://127.0.0.1:$H/-/ready)" "200"
expect_eq "an unknown path is 404" "$(code http://127.0.0.1:$H/nope)" "404"
expect_eq "POST /metrics is 405" "$(code -X POST http://127.0.0.1:$H/metrics)" "405"
m=$(curl -s http://127.0.0.1:$H/metrics)
expect_match "metrics: build info" "$m" '^routerd_build_info\{version="[0-9.]+"\} 1'
expect_match "metrics: switch side" "$m" 'routerd_switch_side\{switch="sw.t.test.",side="cdn"\} 1'
expect_match "metrics: queries by type" "$m" 'routerd_dns_queries_total\{proto="udp",qtype="A"\} [1-9]'
head -c 3000 /dev/zero | tr '\0' x >"$T_DIR/big"
expect_eq "a body over max_body is 413" "$(code -X POST --data-binary @"$T_DIR/big" http://127.0.0.1:$H/metrics)" "413"
expect_eq "headers over max_header are 431" "$(code -H "X-Long: $(head -c 2000 /dev/zero | tr '\0' y)" http://127.0.0.1:$H/-/healthy)" "431"
raw=$($PY -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $H), timeout=3)
s.sendall(b'BLAH /\\x00 HTTP/9\\r\\n\\r\\n')
print(s.recv(200).decode(errors='replace').split('\\r\\n')[0])")
expect_match "malformed HTTP is 400" "$raw" "^HTTP/1.1 400"
slow=$($PY -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $H), timeout=5)
s.sendall(b'POST /api/v1/signal HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\n{')
t = time.time()
try:
    while s.recv(100):
        pass
except Exception:
    pass
print('closed after %.1f s' % (time.time() - t))")
expect_match "a slow client is cut off at the idle timeout (1 s)" "$slow" "closed after (0\.[5-9]|1\.[0-9]|2\.[0-9])"
expect_eq "still serving after bad requests" "$(code http://127.0.0.1:$H/-/healthy)" "200"
stop_routerd
[ ! -e "$T_DIR/ctl.sock" ] && ok "the socket is removed on exit" || fail "the socket is left behind"
finish
