#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A journal written by release 0.2.0 (fixture/, made by make-fixture.sh
# with that release's binaries) recovers to the same state: the same sides,
# signals, warnings, pin, brake and history. Its signal ids were computed by
# that release's label hash; an Alertmanager "resolved" for the same labels
# must still clear them, so the hash must not have changed. Ports 16000-16001.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=16000 H=16001
CTL="$TOP/build/routerctl -s $T_DIR/ctl.sock"
cp "$here/t.zone" "$T_DIR/t.zone"
cp -r "$here/fixture/state" "$T_DIR/state"
chmod -R u+w "$T_DIR/state"
sed -e "s|@DIR@|$T_DIR|g" -e "s|@P@|$P|g" -e "s|@H@|$H|g" "$here/routerd.yaml.in" >"$T_DIR/routerd.yaml"
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "no answer"; finish; }
expect_match "the journal of 0.2.0 recovers" "$(cat "$RD_LOG")" "state recovered from .*records"
for c in list health status history; do $CTL --json $c >"$T_DIR/$c.json"; done
for s in www api img shop blog old; do $CTL --json show $s.t.test >"$T_DIR/show-$s.json"; done
$PY - "$here/fixture" "$T_DIR" <<'PY' || T_FAILS=$((T_FAILS + 1))
import json, sys
old, new = sys.argv[1], sys.argv[2]
# What depends on the clock or the run, not on the journal.
VOLATILE = {"uptime_s", "config", "listen", "flips_in_window", "version"}
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
# What 0.2.0 said must be said the same now; fields a later release adds
# to its replies are not part of the comparison.
def same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and all(k in b and same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b
fails = 0
for f in ["list", "health", "status", "history"] + ["show-" + s for s in "www api img shop blog old".split()]:
    a = strip(json.load(open("%s/%s.json" % (old, f))))
    b = strip(json.load(open("%s/%s.json" % (new, f))))
    if f == "history":  # the restart adds nothing before the fixture's end
        b["data"] = b["data"][:len(a["data"])]
    if same(a, b):
        print("ok: routerctl %s is the same as 0.2.0's before the restart" % f)
    else:
        fails += 1
        print("FAIL: routerctl %s differs:\n  0.2.0: %s\n  now:   %s" % (f, json.dumps(a)[:1500], json.dumps(b)[:1500]))
sys.exit(1 if fails else 0)
PY
am() { # STATUS SWITCH TARGET [SEVERITY]: the fixture's alerts, same labels
	curl -sf -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data "{\"version\":\"4\",\"status\":\"$1\",\"alerts\":[{\"status\":\"$1\",\"labels\":{\"alertname\":\"Edge5xx\",\"routerd_switch\":\"$2\",\"routerd_target\":\"$3\"${4:+,\"severity\":\"$4\"}}}]}" \
		"http://127.0.0.1:$H/api/v1/alertmanager"
}
expect_eq "resolved for www (labels hash id) accepted" "$(am resolved www.t.test cdn)" "200"
expect_eq "resolved warning for img accepted" "$(am resolved img.t.test cdn warning)" "200"
show=$($CTL --json show www.t.test)
expect_match "www: the 0.2.0 signal is cleared by the same labels" "$show" '"signals": ?\[\]'
show=$($CTL --json show img.t.test)
expect_match "img: the 0.2.0 warning is cleared by the same labels" "$show" '"warnings": ?\[\]'
show=$($CTL --json show api.t.test)
expect_match "api: its signal stays" "$show" '"id": ?"labels-[0-9a-f]{16}"'
stop_routerd
finish
