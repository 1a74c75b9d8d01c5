#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench, part two: what switching costs.

- Flip latency: from posting a signal to the webhook until a UDP query gets
  the new side, p50 and p99 over BENCH_FLIPS (1000) flips.
- One glob pin moving BENCH_SWITCHES (10,000) switches: the time
  `routerctl pin` takes (journal fsync and publication included).
- Worker CPU per answer with dnsperf running, steady and while a switch
  flips continuously: only the worker threads (routerd-w*) are counted, so
  the control thread's own work on the flips does not hide the effect on
  the query path.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import dns.message
import dns.query

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(TOP, "build", "bench", "flips")
N_SW = int(os.environ.get("BENCH_SWITCHES", 10000))
N_FLIPS = int(os.environ.get("BENCH_FLIPS", 1000))
SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
DNS, HTTP = 15521, 15522
HZ = os.sysconf("SC_CLK_TCK")


def setup():
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["rm", "-rf", os.path.join(OUT, "state")], check=True)
    with open(os.path.join(OUT, "z.zone"), "w") as z:
        z.write("$ORIGIN bench.test.\n$TTL 300\n@ SOA ns hostmaster 1 14400 3600 1209600 300\n@ NS ns\n"
                "ns A 127.0.0.1\n")
    with open(os.path.join(OUT, "routerd.yaml"), "w") as f:
        f.write('server: { listen: ["127.0.0.1:%d"], workers: 1 }\n' % DNS)
        f.write("state_dir: %s/state\ncontrol: { socket: %s/ctl.sock }\n" % (OUT, OUT))
        f.write('http: { listen: "127.0.0.1:%d" }\n' % HTTP)
        f.write("zones: [ { name: bench.test, file: %s/z.zone } ]\n" % OUT)
        f.write("switch_defaults: { failback_hold: 0s }\nbrake: { max_share: 1.0, min_switches: 1000000 }\n")
        f.write("switches:\n")
        for i in range(N_SW):
            f.write("  - { name: s%d.bench.test, cdn: { cname: c%d.cdn.example.net }, origin: { a: [192.0.2.9] } }\n"
                    % (i, i))
    with open(os.path.join(OUT, "queries.txt"), "w") as q:
        for i in range(20000):
            q.write("s%d.bench.test A\n" % (i % N_SW))


def post(status, ident):
    body = json.dumps({"switch": "s0.bench.test", "target": "cdn", "status": status, "id": ident}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/signal" % HTTP, data=body, method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def side_of_s0():
    r = dns.query.udp(dns.message.make_query("s0.bench.test.", "A"), "127.0.0.1", port=DNS, timeout=2)
    return "origin" if any(rr.rdtype == 1 for rr in r.answer) else "cdn"


def worker_cpu(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if not f.read().startswith("routerd-w"):
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / HZ


def dnsperf_cpu(pid):
    before = worker_cpu(pid)
    out = subprocess.run(["taskset", "-c", "1", "dnsperf", "-s", "127.0.0.1", "-p", str(DNS), "-d",
                          os.path.join(OUT, "queries.txt"), "-l", str(SECONDS), "-c", "4", "-q", "200"],
                         capture_output=True, text=True).stdout
    done = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    return (worker_cpu(pid) - before) / done * 100000, done / SECONDS


def main():
    setup()
    proc = subprocess.Popen(["taskset", "-c", "0", os.path.join(TOP, "build", "routerd"), "-c",
                             os.path.join(OUT, "routerd.yaml")], stderr=open(os.path.join(OUT, "log"), "w"))
    try:
        for _ in range(300):
            try:
                side_of_s0()
                break
            except Exception:
                time.sleep(0.1)
        lat = []
        for i in range(N_FLIPS):
            status = "down" if i % 2 == 0 else "up"
            want = "origin" if status == "down" else "cdn"
            t0 = time.perf_counter()
            post(status, "lat")
            while side_of_s0() != want:
                pass
            lat.append((time.perf_counter() - t0) * 1000)
        lat.sort()
        print("flip latency, webhook posted to new answer on UDP, %d flips: p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              % (N_FLIPS, statistics.median(lat), lat[int(len(lat) * 0.99)], lat[-1]))

        t0 = time.perf_counter()
        subprocess.run([os.path.join(TOP, "build", "routerctl"), "-s", os.path.join(OUT, "ctl.sock"), "pin",
                        "s*.bench.test", "origin", "--reason", "bench"], check=True, stdout=subprocess.DEVNULL)
        pin_s = time.perf_counter() - t0
        r = dns.query.udp(dns.message.make_query("s%d.bench.test." % (N_SW - 1), "A"), "127.0.0.1", port=DNS)
        moved = any(rr.rdtype == 1 for rr in r.answer)
        print("one glob pin moving %d switches: %.2f s (durable and served; last switch on the origin: %s)"
              % (N_SW, pin_s, moved))
        subprocess.run([os.path.join(TOP, "build", "routerctl"), "-s", os.path.join(OUT, "ctl.sock"), "unpin",
                        "s*.bench.test"], check=True, stdout=subprocess.DEVNULL)

        steady, qps1 = dnsperf_cpu(proc.pid)
        stop = threading.Event()
        flips = [0]

        def flipper():
            i = 0
            while not stop.is_set():
                post("down" if i % 2 == 0 else "up", "cpu")
                i += 1
            flips[0] = i

        t = threading.Thread(target=flipper)
        t.start()
        busy, qps2 = dnsperf_cpu(proc.pid)
        stop.set()
        t.join()
        print("worker CPU s / 100k answers: steady %.3f (%.0f QPS), flipping %.3f (%.0f QPS, %.0f flips/s): %+.1f%%"
              % (steady, qps1, busy, qps2, flips[0] / SECONDS, (busy / steady - 1) * 100))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


if __name__ == "__main__":
    sys.exit(main())
