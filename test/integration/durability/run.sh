#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# kill -9 in the middle of a stream of webhook flips: after a restart every
# acknowledged change is in the state, and nothing after the one request in
# flight when the daemon died.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=15391 H=15392
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
write_t_zone "$T_DIR/t.zone"
write_t_config 1
cat >>"$T_DIR/routerd.yaml" <<CONF
switch_defaults: { failback_hold: 0s }
brake: { max_share: 1.0, min_switches: 1000000 }
switches:
  - { name: www.t.test, cdn: { cname: cust.cdn.example.net }, origin: { a: [192.0.2.9] } }
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
$PY "$here/stream.py" $H >"$T_DIR/stream.json" &
spid=$!
sleep 1.5
kill -9 "$RD_PID"; wait "$RD_PID" 2>/dev/null
wait $spid
start_routerd "$T_DIR/routerd.yaml" "$T_DIR/routerd2.log"
wait_answer 127.0.0.1 $P t.test || { fail "no answer after the restart"; finish; }
$CTL --json history www.t.test >"$T_DIR/history.json"
$CTL --json show www.t.test >"$T_DIR/show.json"
$PY - "$T_DIR/stream.json" "$T_DIR/history.json" "$T_DIR/show.json" <<'PY' || T_FAILS=$((T_FAILS + 1))
import json, sys
stream = json.load(open(sys.argv[1]))
hist = json.load(open(sys.argv[2]))["data"]
show = json.load(open(sys.argv[3]))["data"]
acked = [tuple(x) for x in stream["acked"]]
inflight = tuple(stream["failed_at"]) if stream["failed_at"] else None
events = [(h["event"], h["detail"].split(":")[0].split("/")[1]) for h in hist if h["event"] in ("down", "up")]
fails = 0
def check(what, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + what)
    fails += 0 if cond else 1
check("the stream was cut mid-way (%d acknowledged)" % len(acked), len(acked) > 20 and inflight is not None)
check("every acknowledged signal is in the recovered history, in order",
      events[:len(acked)] == acked)
extra = events[len(acked):]
check("nothing after the request in flight (%s)" % extra, extra == [] or extra == [inflight])
last = (extra or acked)[-1]
want = "origin" if last[0] == "down" else "cdn"
check("the side served is the last durable change's (%s)" % want, show["side"] == want)
sys.exit(1 if fails else 0)
PY
stop_routerd "$T_DIR/routerd2.log"
finish
