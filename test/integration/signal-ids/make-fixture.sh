#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# make-fixture.sh ROUTERD ROUTERCTL: write fixture/ (a state_dir journal
# and what routerctl said about it) with a given release's binaries. The
# committed fixture/ was written by release 0.2.0 (commit dcb5eb3), before
# the hash and the switch model were unified; run.sh checks that today's
# build recovers the same state from it. Uses ports 16000-16001.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
RD=$1 CTL=$2
P=16000 H=16001
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cp "$here/t.zone" "$work/t.zone"
sed -e "s|@DIR@|$work|g" -e "s|@P@|$P|g" -e "s|@H@|$H|g" "$here/routerd.yaml.in" >"$work/routerd.yaml"
"$RD" -c "$work/routerd.yaml" 2>"$work/log" &
pid=$!
for i in $(seq 50); do [ -S "$work/ctl.sock" ] && break; sleep 0.1; done
post() { curl -sf -X POST -H 'Content-Type: application/json' --data "$2" "http://127.0.0.1:$H$1" >/dev/null; }
# An Alertmanager alert without a fingerprint: its signal id is a hash of
# its labels ("labels-<16 hex>"), the id the journal keeps.
am() { # STATUS SWITCH TARGET [SEVERITY]
	post /api/v1/alertmanager "{\"version\":\"4\",\"status\":\"$1\",\"alerts\":[{\"status\":\"$1\",\"labels\":{\"alertname\":\"Edge5xx\",\"routerd_switch\":\"$2\",\"routerd_target\":\"$3\"${4:+,\"severity\":\"$4\"}}}]}"
}
am firing www.t.test cdn
am firing api.t.test origin
am firing img.t.test cdn warning
post /api/v1/signal '{"switch":"shop.t.test","target":"cdn","status":"down","id":"probe-7","reason":"probe"}'
"$CTL" -s "$work/ctl.sock" pin 'blog.t.test' origin --reason "fixture pin" >/dev/null
"$CTL" -s "$work/ctl.sock" pin 'old.t.test' origin --reason "pinned then unpinned" >/dev/null
"$CTL" -s "$work/ctl.sock" unpin 'old.t.test' >/dev/null
mkdir -p "$work/out"
for c in list health status; do "$CTL" -s "$work/ctl.sock" --json $c >"$work/out/$c.json"; done
for s in www api img shop blog old; do "$CTL" -s "$work/ctl.sock" --json show $s.t.test >"$work/out/show-$s.json"; done
"$CTL" -s "$work/ctl.sock" --json history >"$work/out/history.json"
kill -TERM $pid; wait $pid
rm -rf "$here/fixture"
mkdir -p "$here/fixture"
cp -r "$work/state" "$here/fixture/state"
cp "$work"/out/*.json "$here/fixture/"
echo "fixture written by $("$RD" -V)"
