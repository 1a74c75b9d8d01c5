#!/usr/bin/env bash
# Build the libFuzzer target with ASan and UBSan and run it for FUZZ_SECONDS
# (default 60) from a seed corpus of valid queries. Fails on any crash or
# sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build/fuzz
mkdir -p "$B"
srcs=$(ls routerd/*.c | grep -v routerd/main.c)
llhttp="/usr/share/llhttp/api.c /usr/share/llhttp/http.c /usr/share/llhttp/llhttp.c"
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Irouterd -I/usr/share/include/llhttp \
	$(pkg-config --cflags ldns libuv yaml-0.1 jansson) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-o "$B/fuzz_packet" test/fuzz/fuzz_packet.c $srcs $llhttp \
	$(pkg-config --libs ldns libuv yaml-0.1 jansson libcrypto libsystemd) -pthread
rm -rf "$B/seeds" "$B/corpus"
/usr/bin/python3 test/fuzz/seeds.py "$B/seeds"
mkdir -p "$B/corpus"
"$B/fuzz_packet" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 -timeout=5 -print_final_stats=1 \
	-artifact_prefix="$B/" "$B/corpus" "$B/seeds" 2>&1 | tail -n 25
echo "fuzz: no crash in ${FUZZ_SECONDS:-60} s"
