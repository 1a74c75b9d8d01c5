#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench: see bench.py, tracking.py, rrl.py, restart.py, flips.py, fleet.sh, dnstap.py and BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
/usr/bin/python3 test/bench/bench.py
/usr/bin/python3 test/bench/tracking.py
/usr/bin/python3 test/bench/rrl.py
/usr/bin/python3 test/bench/restart.py
/usr/bin/python3 test/bench/flips.py
test/bench/fleet.sh
exec /usr/bin/python3 test/bench/dnstap.py
