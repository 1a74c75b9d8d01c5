#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench: restart time and memory with a 1M-record mixed zone, routerd
against NSD, and routerd's memory peak during a reload.

The zone (genzone.py --mixed, BENCH_BIG records): A, AAAA, CNAME, MX, TXT
and delegations with glue. Rounds are interleaved (routerd, NSD, routerd,
...), each server pinned to CPU 0 as in bench.py:
- first answer: seconds from the process start until it answers an A query
  for ns1.bench.test (probed every 20 ms, 50 ms timeout);
- Pss: summed over the server's processes, 2 s after its first answer
  (NSD forks its serving child, which shares the zone copy-on-write);
- reload peak (routerd): its peak resident set (VmHWM, reset through
  /proc/PID/clear_refs) while a SIGHUP reload of the same zone builds the
  new view beside the old one, against its resident set before.
BENCH_BASELINE=/path/to/another/routerd adds that binary to the rounds
(e.g. the main branch's build, to show what a change did).
"""
import os
import re
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

ROUNDS = bench.ROUNDS
BIG = bench.BIG


class Baseline(bench.Routerd):
    def binary(self):
        return os.environ["BENCH_BASELINE"]


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^%s:\s+(\d+)" % key, f.read(), re.M).group(1))


def reload_peak(server):
    """(RSS before, peak RSS during, seconds) of a SIGHUP reload, in KiB."""
    pid = server.proc.pid
    log = os.path.join(server.dir, "log")
    with open(log) as f:
        before_lines = f.read().count("reloaded:")
    rss0 = status_kib(pid, "VmRSS")
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    t0 = time.monotonic()
    os.kill(pid, signal.SIGHUP)
    while True:
        with open(log) as f:
            if f.read().count("reloaded:") > before_lines:
                break
        if time.monotonic() - t0 > 300:
            raise RuntimeError("routerd did not finish reloading in 300 s")
        time.sleep(0.05)
    return rss0, status_kib(pid, "VmHWM"), time.monotonic() - t0


def main():
    bench.stop_on_signal(bench.TIMEOUT)
    os.makedirs(bench.OUT, exist_ok=True)
    zone = os.path.join(bench.OUT, "mixed.zone")
    bench.sh("/usr/bin/python3", os.path.join(bench.TOP, "test", "bench", "genzone.py"), "--mixed", str(BIG), zone)
    servers = [bench.Routerd("routerd", 15531), bench.NSD("NSD", 15532)]
    if os.environ.get("BENCH_BASELINE"):
        servers.append(Baseline("baseline", 15533))
    res = {s.name: {"load": [], "pss": []} for s in servers}
    peaks = []
    try:
        for r in range(ROUNDS):
            for s in servers:
                try:
                    secs = s.start(zone, wait=300)
                    time.sleep(2)
                    pss, rss = bench.memory_kib(s.proc.pid)
                    res[s.name]["load"].append(secs)
                    res[s.name]["pss"].append(pss)
                    line = "round %d %-8s first answer %.2f s  Pss %.0f MiB" % (r + 1, s.name, secs, pss / 1024)
                    if s.name in ("routerd", "baseline"):
                        rss0, peak, rsecs = reload_peak(s)
                        if s.name == "routerd":
                            peaks.append((rss0, peak, rsecs))
                        line += "  reload: RSS %.0f MiB, peak %.0f MiB (x%.2f), %.1f s" % (
                            rss0 / 1024, peak / 1024, peak / rss0, rsecs)
                    print(line, flush=True)
                finally:
                    s.stop()
    finally:
        for s in servers:
            s.stop()
    med = {n: {k: statistics.median(v) for k, v in d.items() if v} for n, d in res.items()}
    print("\n%d-record mixed zone, %d interleaved rounds, median:" % (BIG, ROUNDS))
    print("| server | first answer s | Pss MiB | vs NSD: time | vs NSD: Pss |")
    print("|---|---:|---:|---:|---:|")
    for s in servers:
        m = med.get(s.name)
        if m:
            print("| %s | %.2f | %.0f | %s | %s |" % (s.name, m["load"], m["pss"] / 1024,
                                                    bench.ratio(m["load"], med["NSD"]["load"]),
                                                    bench.ratio(m["pss"], med["NSD"]["pss"])))
    if peaks:
        worst = max(peaks, key=lambda p: p[1] / p[0])
        print("routerd reload peak: RSS %.0f MiB before, %.0f MiB at the peak (x%.2f, worst of %d), %.1f s"
              % (worst[0] / 1024, worst[1] / 1024, worst[1] / worst[0], len(peaks), worst[2]))


if __name__ == "__main__":
    try:
        main()
    except bench.Timeout as e:
        sys.exit("restart bench: stopped (%s); every server was stopped" % e)
