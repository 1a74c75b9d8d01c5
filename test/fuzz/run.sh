#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh -- build fuzz_packet (libFuzzer, ASan, UBSan) from every routerd
# module but main.c, replay test/fuzz/regressions/, then fuzz for
# FUZZ_SECONDS (default 60) from a fresh seed corpus of valid queries plus
# the corpus kept in build/fuzz/corpus. Exit 1 on any crash, sanitizer
# report, leak, timeout or broken answer contract; the input that did it is
# left in build/fuzz/ (replay: build/fuzz/fuzz_packet FILE).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build/fuzz
PKGS="ldns libuv yaml-0.1 jansson libcrypto libsystemd libfstrm libprotobuf-c" # as in the Makefile
LLHTTP_SRC=/usr/share/llhttp
LLHTTP_INC=/usr/share/include/llhttp
mkdir -p "$B/llhttp"

# Third-party llhttp: plain objects, neither instrumented nor our warnings.
for f in api http llhttp; do
	clang -O2 -g -I"$LLHTTP_INC" -c -o "$B/llhttp/$f.o" "$LLHTTP_SRC/$f.c"
done
# The dnstap decoder protoc-c generates (the Makefile knows how).
make -s build/proto/dnstap.pb-c.c
# Read once, without the "Entering directory" lines a make under make prints.
VERSION=$(make -s --no-print-directory version)
srcs="$(find routerd -name "*.c" ! -path routerd/main.c | sort) build/proto/dnstap.pb-c.c"
# clang warns about the constant arms of wire.c's lower-case table that are
# never taken; gcc with -Werror is the build that judges warnings.
if ! clang -g -O1 -std=gnu11 -D_GNU_SOURCE -DROUTERD_VERSION="\"$VERSION\"" -pthread -Irouterd -Ibuild/proto -I"$LLHTTP_INC" $(pkg-config --cflags $PKGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-o "$B/fuzz_packet" test/fuzz/fuzz_packet.c $srcs "$B"/llhttp/*.o \
	$(pkg-config --libs $PKGS) -pthread >"$B/build.log" 2>&1; then
	grep -E 'error' "$B/build.log" | head -n 30
	echo "fuzz: the fuzz target does not build (build/fuzz/build.log)"
	exit 1
fi
echo "fuzz: built $B/fuzz_packet ($(grep -c 'warning:' "$B/build.log" || true) clang warnings in $B/build.log)"

rm -rf "$B/seeds"
/usr/bin/python3 test/fuzz/seeds.py "$B/seeds"
mkdir -p "$B/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Inputs that once crashed it, or walk an edge of the contract (512 bytes
# without EDNS, 1232 with it, FORMERR, no reply), must keep passing. The
# folder is part of the tree: without it the replay would silently skip.
if ! ls test/fuzz/regressions/* >/dev/null 2>&1; then
	echo "fuzz: test/fuzz/regressions/ is missing or empty: nothing to replay"
	exit 1
fi
"$B/fuzz_packet" test/fuzz/regressions/* >"$B/regressions.log" 2>&1 || {
	tail -n 40 "$B/regressions.log"
	echo "fuzz: a regression input fails again (build/fuzz/regressions.log)"
	exit 1
}
echo "fuzz: $(ls test/fuzz/regressions | wc -l) regression inputs replayed"

secs=${FUZZ_SECONDS:-60}
rc=0
"$B/fuzz_packet" -max_total_time="$secs" -max_len=4096 -timeout=5 -print_final_stats=1 \
	-dict=test/fuzz/dns.dict -artifact_prefix="$B/" "$B/corpus" "$B/seeds" >"$B/fuzz.log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
	grep -E -A 40 '==[0-9]+==ERROR|runtime error|deadly signal|Test unit written|timeout after' "$B/fuzz.log" | head -n 80
	echo "fuzz: FAILED (exit $rc) after fuzzing; full log build/fuzz/fuzz.log"
	echo "fuzz: keep the input in test/fuzz/regressions/ once fixed"
	exit 1
fi
grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done|cov: ' "$B/fuzz.log" | tail -n 4
echo "fuzz: no crash in ${secs} s"

# The control plane's parsers of network input: webhook bodies, error
# reports, credentials. Seeded with real payload shapes.
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -DROUTERD_VERSION="\"$VERSION\"" -Irouterd $(pkg-config --cflags jansson) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-o "$B/fuzz_webhook" test/fuzz/fuzz_webhook.c routerd/admin/webhook.c routerd/admin/auth.c routerd/lib/log.c routerd/lib/side.c routerd/lib/err.c \
	$(pkg-config --libs jansson libcrypto) >"$B/build-webhook.log" 2>&1 || {
	tail -n 20 "$B/build-webhook.log"; echo "fuzz: fuzz_webhook does not build"; exit 1; }
rm -rf "$B/seeds-webhook"; mkdir -p "$B/seeds-webhook" "$B/corpus-webhook"
/usr/bin/python3 - "$B/seeds-webhook" <<'PY'
import json, sys, os
d = sys.argv[1]
alert = {"status": "firing", "labels": {"alertname": "Edge503", "routerd_switch": "www.example.com",
         "routerd_target": "origin", "severity": "warning"}, "annotations": {}, "fingerprint": "a1b2"}
am = {"version": "4", "status": "firing", "receiver": "routerd", "groupKey": "{}", "truncatedAlerts": 1,
      "alerts": [alert, dict(alert, status="resolved")]}
seeds = [b"\x00" + json.dumps(am).encode(), b"\x01" + json.dumps(dict(am, version="1")).encode(),
         b"\x02" + b'{"switch":"www.example.com","target":"cdn","status":"down","id":"p","reason":"r"}',
         b"\x03" + b'{"switch":"www.example.com","target":"cdn","window_s":60,"requests":10,"errors":2}',
         b"\x04" + b"Basic YW06ZnV6ei1zZWNyZXQ=", b"\x04" + b"sha256=00ff"]
for i, s in enumerate(seeds):
    open(os.path.join(d, "s%d" % i), "wb").write(s)
PY
wsecs=${FUZZ_WEBHOOK_SECONDS:-20}
"$B/fuzz_webhook" -max_total_time="$wsecs" -max_len=8192 -timeout=5 -artifact_prefix="$B/webhook-" \
	"$B/corpus-webhook" "$B/seeds-webhook" >"$B/fuzz-webhook.log" 2>&1 || {
	grep -E -A 30 '==[0-9]+==ERROR|runtime error|deadly signal' "$B/fuzz-webhook.log" | head -n 60
	echo "fuzz: fuzz_webhook FAILED; full log build/fuzz/fuzz-webhook.log"; exit 1; }
echo "fuzz: webhook and auth parsers, no crash in ${wsecs} s"

# The dnstap collector's parser: Frame Streams, dnstap protobuf, the
# response inside matched against fuzz.yaml's switches.
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -DROUTERD_VERSION="\"$VERSION\"" -pthread -Irouterd -Ibuild/proto -I"$LLHTTP_INC" \
	$(pkg-config --cflags $PKGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-o "$B/fuzz_dnstap" test/fuzz/fuzz_dnstap.c $srcs "$B"/llhttp/*.o $(pkg-config --libs $PKGS) -pthread \
	>"$B/build-dnstap.log" 2>&1 || {
	grep -E 'error' "$B/build-dnstap.log" | head -n 30; echo "fuzz: fuzz_dnstap does not build"; exit 1; }
rm -rf "$B/seeds-dnstap"; mkdir -p "$B/corpus-dnstap"
/usr/bin/python3 test/fuzz/seeds_dnstap.py "$B/seeds-dnstap"
if ls test/fuzz/regressions-dnstap/* >/dev/null 2>&1; then
	"$B/fuzz_dnstap" test/fuzz/regressions-dnstap/* >"$B/regressions-dnstap.log" 2>&1 || {
		tail -n 40 "$B/regressions-dnstap.log"; echo "fuzz: a dnstap regression input fails again"; exit 1; }
fi
dsecs=${FUZZ_DNSTAP_SECONDS:-30}
"$B/fuzz_dnstap" -max_total_time="$dsecs" -max_len=8192 -timeout=5 -print_final_stats=1 -artifact_prefix="$B/dnstap-" \
	"$B/corpus-dnstap" "$B/seeds-dnstap" >"$B/fuzz-dnstap.log" 2>&1 || {
	grep -E -A 40 '==[0-9]+==ERROR|runtime error|deadly signal|Test unit written|timeout after' "$B/fuzz-dnstap.log" | head -n 80
	echo "fuzz: fuzz_dnstap FAILED; full log build/fuzz/fuzz-dnstap.log"; exit 1; }
grep -E '^stat::number_of_executed_units|cov: ' "$B/fuzz-dnstap.log" | tail -n 2
echo "fuzz: dnstap parser, no crash in ${dsecs} s"

# The zone reader's fast path against ldns (zone/zone_fast.c): a line it
# takes must be one ldns reads into the very same record.
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Irouterd $(pkg-config --cflags ldns) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-o "$B/fuzz_zone_line" test/fuzz/fuzz_zone_line.c routerd/zone/zone_fast.c \
	$(pkg-config --libs ldns) >"$B/build-zone-line.log" 2>&1 || {
	tail -n 20 "$B/build-zone-line.log"; echo "fuzz: fuzz_zone_line does not build"; exit 1; }
rm -rf "$B/seeds-zone-line"; mkdir -p "$B/seeds-zone-line" "$B/corpus-zone-line"
i=0
for l in 'www A 192.0.2.1' 'mx 300 IN MX 10 mail' ' TXT "a b" "c"' '@ AAAA 2001:db8::1' 'c.d CNAME x.example.' \
	'_s._tcp PTR p' 'sub 60 NS ns.sub'; do
	printf '%s' "$l" >"$B/seeds-zone-line/s$i"
	i=$((i + 1))
done
zsecs=${FUZZ_ZONE_SECONDS:-20}
"$B/fuzz_zone_line" -max_total_time="$zsecs" -max_len=200 -timeout=5 -dict=test/fuzz/zone_line.dict \
	-artifact_prefix="$B/zone-line-" "$B/corpus-zone-line" "$B/seeds-zone-line" >"$B/fuzz-zone-line.log" 2>&1 || {
	grep -E -A 30 '==[0-9]+==ERROR|runtime error|deadly signal|fast path' "$B/fuzz-zone-line.log" | head -n 60
	echo "fuzz: fuzz_zone_line FAILED; full log build/fuzz/fuzz-zone-line.log"; exit 1; }
echo "fuzz: zone fast path against ldns, no difference in ${zsecs} s"
