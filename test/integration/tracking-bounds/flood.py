#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""flood.py DNS_PORT HTTP_PORT ROUTERD_PID SOURCES FIRST

Queries for the switched name www.t.test from SOURCES distinct resolver
addresses (127.10.0.1, 127.10.0.2, ...: Linux routes all of 127.0.0.0/8 to
lo, so a socket binds to any of them without setup), one query each, as
fast as Python sends them. After the first FIRST sources, and again after
all of them, it waits for the tracker to take the observations in (the
control thread drains the rings every 100 ms) and reads routerd's VmRSS:
the table is full from the first 1,000 sources on, so the 18,000 that
follow must not grow it.

While the rest of the flood is sent, a second thread runs kdig (+time=1,
+retry=0) against 127.0.0.1 over and over: every one must get an answer.

Checks are printed in lib.sh's format (ok:/FAIL:); the exit status is the
number of failures (capped). The figures go to stdout as "figure: ..." lines.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checklib  # noqa: E402
from checklib import check  # noqa: E402

DNS, HTTP, PID, SOURCES, FIRST = (int(a) for a in sys.argv[1:6])
# "A few MB". The table and the rings are allocated up front, but a ring's
# pages are touched only as its head first goes round (56 bytes an
# observation, 65,536 slots per worker): the 18,000 observations between
# the two readings touch about 1 MB of them. Anything per source address
# would show as far more.
RSS_SLACK_KB = 4096


def metrics():
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % HTTP, timeout=5) as r:
        text = r.read().decode()
    out = {}
    for m in re.finditer(r"^(routerd_track_\w+|routerd_dns_dropped_total) (\d+)$", text, re.M):
        out[m.group(1)] = int(m.group(2))
    q = re.search(r'^routerd_dns_queries_total\{proto="udp",qtype="A"\} (\d+)$', text, re.M)
    out["udp_a"] = int(q.group(1)) if q else 0
    return out


def vmrss_kb():
    with open("/proc/%d/status" % PID) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def source(i):
    """The i-th resolver address: 127.10.0.1 and on, 250 per third octet."""
    b, c = divmod(i, 250)
    return "127.%d.%d.%d" % (10 + b // 250, b % 250, c + 1)


QUERY = struct.pack("!HHHHHH", 0, 0x0100, 1, 0, 0, 0) + b"\x03www\x01t\x04test\x00" + struct.pack("!HH", 1, 1)


def send(lo, hi):
    """One query from each of sources lo..hi-1; returns how many sends failed."""
    failed = 0
    for i in range(lo, hi):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((source(i), 0))
            s.sendto(struct.pack("!H", i & 0xFFFF) + QUERY[2:], ("127.0.0.1", DNS))
        except OSError:
            failed += 1
        finally:
            s.close()
    return failed


def settle(base_obs, want, secs=10):
    """Until the tracker has taken WANT more observations (or stopped moving)."""
    deadline, last, still = time.time() + secs, -1, 0
    while time.time() < deadline:
        m = metrics()
        got = m.get("routerd_track_observations_total", 0) - base_obs
        if got >= want:
            return m
        still = still + 1 if got == last else 0
        if still >= 10:  # a second without progress: lost on the way
            return m
        last = got
        time.sleep(0.1)
    return metrics()


def main():
    m0 = metrics()
    rss0 = vmrss_kb()
    t0 = time.time()
    failed = send(0, FIRST)
    m1 = settle(m0.get("routerd_track_observations_total", 0), FIRST)
    rss1 = vmrss_kb()

    probes = []  # (start time, seconds, answered)
    stop = threading.Event()

    def prober():
        while not stop.is_set():
            t = time.time()
            r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(DNS), "www.t.test", "A", "+time=1", "+retry=0"],
                               capture_output=True, text=True)
            probes.append((t, time.time() - t, "status: NOERROR" in r.stdout))

    th = threading.Thread(target=prober)
    th.start()
    t1 = time.time()
    failed += send(FIRST, SOURCES)
    flood_s = time.time() - t1
    stop.set()
    th.join()
    during = sum(1 for p in probes if p[0] < t1 + flood_s)
    m2 = settle(m0.get("routerd_track_observations_total", 0), SOURCES + len(probes))
    rss2 = vmrss_kb()

    def d(key, a, b):
        return b.get(key, 0) - a.get(key, 0)

    obs = d("routerd_track_observations_total", m0, m2)
    evicted = d("routerd_track_evicted_total", m0, m2)
    dropped = d("routerd_track_ring_dropped_total", m0, m2)
    udp_a = d("udp_a", m0, m2)
    entries, cap = m2.get("routerd_track_entries"), m2.get("routerd_track_entries_max")
    print("figure: %d sources in %.2f s (%d after the first %d in %.2f s; %d sends failed)"
          % (SOURCES, time.time() - t0, SOURCES - FIRST, FIRST, flood_s, failed))
    print("figure: UDP A queries counted %d, observations %d, evicted %d, ring dropped %d, entries %s of %s"
          % (udp_a, obs, evicted, dropped, entries, cap))
    print("figure: VmRSS %d kB before, %d kB after %d sources, %d kB after %d (growth %+d kB)"
          % (rss0, rss1, FIRST, rss2, SOURCES, rss2 - rss1))
    lat = [p[1] for p in probes]
    print("figure: %d kdig probes (%d started during the flood), slowest %.3f s"
          % (len(probes), during, max(lat) if lat else float("nan")))

    check("every flood query sent", failed == 0, "%d failed" % failed)
    check("routerd counted every flood query (%d UDP A >= %d)" % (udp_a, SOURCES), udp_a >= SOURCES)
    check("observations counted (%d >= %d)" % (obs, SOURCES), obs >= SOURCES)
    check("routerd_track_entries_max is the configured 1000", cap == 1000, "got %s" % cap)
    check("routerd_track_entries (%s) <= routerd_track_entries_max (%s)" % (entries, cap),
          entries is not None and cap is not None and entries <= cap)
    check("routerd_track_evicted_total grew by at least %d (%d)" % (SOURCES - 1000, evicted),
          evicted >= SOURCES - 1000)
    check("no observation dropped by a full ring during the flood", dropped == 0, "%d dropped" % dropped)
    check("VmRSS grew by at most %d kB between %d and %d sources (%+d kB)" % (RSS_SLACK_KB, FIRST, SOURCES,
                                                                            rss2 - rss1),
          rss2 - rss1 <= RSS_SLACK_KB)
    check("a kdig probe ran during the flood", during >= 1)
    check("every kdig probe during the flood was answered within 1 s",
          probes and all(ok and t < 1.0 for _, t, ok in probes), "%s" % probes)
    return min(checklib.failures, 100)


if __name__ == "__main__":
    sys.exit(main())
