#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two routerd binaries side by side: server CPU per answer, bench.py's method.

usage: ab.py BEFORE_BINARY AFTER_BINARY

For a change to the query path: build the old tree's build/routerd
somewhere (git archive REV | tar -x -C DIR; make -C DIR build/routerd) and
compare it with this tree's. Both serve bench.py's generated zone with one
worker pinned to the server CPU; rounds alternate which goes first, so the
shared machine's noise falls on both alike. Prints every round and the
medians; the per-round ratio after/before shows the noise.

Environment: AB_ROUNDS (6), AB_PORT (16520: the two servers take it and the
next), BENCH_NAMES and BENCH_SECONDS as for bench.py.
"""
import os
import statistics
import sys

import bench


class Binary(bench.Routerd):
    def __init__(self, name, port, path):
        super().__init__(name, port)
        self.path = path
        self.dir = os.path.join(bench.OUT, "ab-" + name)

    def binary(self):
        return self.path


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bench.stop_on_signal(bench.TIMEOUT)
    os.makedirs(bench.OUT, exist_ok=True)
    zone, queries = os.path.join(bench.OUT, "bench.test.zone"), os.path.join(bench.OUT, "queries.txt")
    bench.sh("/usr/bin/python3", os.path.join(bench.TOP, "test", "bench", "genzone.py"), str(bench.NAMES), zone,
             queries)
    port = int(os.environ.get("AB_PORT", 16520))
    servers = [Binary("before", port, os.path.abspath(sys.argv[1])),
               Binary("after", port + 1, os.path.abspath(sys.argv[2]))]
    cpu = {s.name: [] for s in servers}
    qps = {s.name: [] for s in servers}
    try:
        for s in servers:
            s.start(zone)
        for r in range(int(os.environ.get("AB_ROUNDS", 6))):
            for s in (servers if r % 2 == 0 else servers[::-1]):
                q, c, lost, nx, size = bench.saturate(s, queries)
                cpu[s.name].append(c)
                qps[s.name].append(q)
                print("round %d %-6s %8.0f QPS  %.3f CPU s/100k  lost %d  NXDOMAIN %.1f%%  %d B/response"
                      % (r + 1, s.name, q, c, lost, nx * 100, size), flush=True)
    finally:
        for s in servers:
            s.stop()
    b, a = statistics.median(cpu["before"]), statistics.median(cpu["after"])
    ratios = [x / y for x, y in zip(cpu["after"], cpu["before"])]
    print("median server CPU s/100k answers: before %.3f, after %.3f (after/before %.3f); per-round after/before "
          "median %.3f, range %.3f-%.3f; median QPS before %.0f, after %.0f"
          % (b, a, a / b, statistics.median(ratios), min(ratios), max(ratios), statistics.median(qps["before"]),
             statistics.median(qps["after"])))


if __name__ == "__main__":
    main()
