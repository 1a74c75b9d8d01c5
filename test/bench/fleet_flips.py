#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""fleet_flips.py -- webhook posted until every secondary answers the new
side, over N flips; then a glob pin of every bulk switch until the whole
fleet serves it. Prints the figures BENCHMARKS.md quotes.

usage: fleet_flips.py HTTP_PORT CTL SECONDARY... [--flips N] [--bulk N] [--gap S] [--self IP:PORT]
  --gap: seconds between one flip served everywhere and the next (1.0).
  --self: routerd itself, measured the same way (the flip's own latency:
  webhook, policy, journal fsync), for comparison.
  SECONDARY is ip:port; CTL the routerctl command line (quoted).
"""
import json
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

import dns.message
import dns.query
import dns.rdatatype


def answer(addr, name):
    ip, port = addr.rsplit(":", 1)
    q = dns.message.make_query(name, "A")
    try:
        r = dns.query.udp(q, ip, port=int(port), timeout=0.05)
    except Exception:
        return None
    for rr in r.answer:
        for x in rr:
            return x.to_text()
    return None


def post(port, body):
    req = urllib.request.Request("http://127.0.0.1:%s/api/v1/signal" % port, data=json.dumps(body).encode(),
                                 method="POST")
    urllib.request.urlopen(req, timeout=5).read()


def metric(port, name):
    text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def until_all(secs, name, want, limit=30, each=None):
    t0 = time.monotonic()
    pending = list(secs)
    while pending and time.monotonic() - t0 < limit:
        still = []
        for s in pending:
            if answer(s, name) != want:
                still.append(s)
            elif each is not None:
                each.setdefault(s, []).append(time.monotonic())
        pending = still
    return None if pending else time.monotonic()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    args = sys.argv[1:]
    flips, bulk = 200, 10000
    if "--flips" in args:
        i = args.index("--flips"); flips = int(args[i + 1]); del args[i:i + 2]
    gap = 1.0
    if "--gap" in args:
        i = args.index("--gap"); gap = float(args[i + 1]); del args[i:i + 2]
    if "--bulk" in args:
        i = args.index("--bulk"); bulk = int(args[i + 1]); del args[i:i + 2]
    own = None
    verbose = "--verbose" in args
    if verbose:
        args.remove("--verbose")
    if "--self" in args:
        i = args.index("--self"); own = args[i + 1]; del args[i:i + 2]
    port, ctl, secs = args[0], shlex.split(args[1]), args[2:]
    lat = []
    per = {}
    for k in range(flips):
        time.sleep(gap)
        down = k % 2 == 0
        want = "192.0.2.9" if down else "cust.cdn.example.net."
        t0 = time.monotonic()
        post(port, {"switch": "www.t.test", "target": "cdn", "status": "down" if down else "up", "id": "bench"})
        each = {}
        t1 = until_all(secs + ([own] if own else []), "www.t.test", want, each=each)
        for s_, ts in each.items():
            per.setdefault(s_, []).append((ts[0] - t0) * 1000)
        if verbose:
            print(k, " ".join("%s=%.0f" % (s_, (ts[0] - t0) * 1000) for s_, ts in sorted(each.items())), flush=True)
        if t1 is None:
            sys.exit("flip %d: not every secondary answered %s within 30 s" % (k, want))
        lat.append((t1 - t0) * 1000)
    print("webhook to all %d secondaries, %d flips %.1f s apart: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(secs), flips, gap, pct(lat, 50), pct(lat, 99), max(lat)))
    for s_ in secs + ([own] if own else []):
        print("  %-20s p50 %.1f ms, p99 %.1f ms" % (s_, pct(per[s_], 50), pct(per[s_], 99)))
    b0 = metric(port, "routerd_xfr_bytes_total")
    last = "s%05d.bulk.test" % (bulk - 1)
    want = "192.0.2.%d" % (1 + (bulk - 1) % 250)
    t0 = time.monotonic()
    subprocess.run(ctl + ["pin", "*.bulk.test", "origin", "--reason", "bench"], check=True, stdout=subprocess.DEVNULL)
    t_pin = time.monotonic()
    t1 = until_all(secs, last, want, 120)
    if t1 is None:
        sys.exit("the pin did not reach every secondary within 120 s")
    time.sleep(1)
    b1 = metric(port, "routerd_xfr_bytes_total")
    print("pin of %d switches: routerctl %.0f ms, whole fleet serving %.0f ms after the pin was asked, "
          "%.0f bytes of transfers (%.0f per secondary)" % (bulk, (t_pin - t0) * 1000, (t1 - t0) * 1000, b1 - b0,
                                                          (b1 - b0) / len(secs)))


main()
