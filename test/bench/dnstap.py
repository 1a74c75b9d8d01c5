#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dnstap.py -- the dnstap collector's cost (BENCHMARKS.md "dnstap").

1. Record: Knot (mod-dnstap) answers dnsperf for the switched name and its
   dnstap goes to fstrm_capture: a real stream, AUTH_QUERY and
   AUTH_RESPONSE, written to a file.
2. Ingest: the recorded frames, repeated, are written at full speed into
   routerd's dnstap socket (test/integration/dnstap/tap.py replay). The
   collector thread's CPU time (/proc/PID/task/TID/stat) gives messages per
   second on one core; the wall time the rate it kept up with; drops are
   routerd_dnstap_dropped_total. Three runs, the worst reported.
3. Knot's query throughput (dnsperf, 10 s) with dnstap to routerd off and
   on, interleaved, and Knot's CPU time per query.

The machine is shared and noisy: compare columns of one run.
Ports 16450-16459 on 127.0.0.1.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
D = os.path.join(TOP, "build/bench-dnstap")
RD_P, H_P, KNOT_P = 16450, 16451, 16452
TICK = os.sysconf("SC_CLK_TCK")
procs = []


def start(args, log):
    p = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_for(path_or_port, secs=10):
    for _ in range(secs * 10):
        if isinstance(path_or_port, str) and os.path.exists(path_or_port):
            return
        if isinstance(path_or_port, int) and subprocess.run(
                ["kdig", "@127.0.0.1", "-p", str(path_or_port), "+time=1", "+retry=0", "t.test", "SOA"],
                capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    sys.exit("dnstap bench: %s did not come up" % path_or_port)


def zone(path, answer):
    with open(path, "w") as f:
        f.write("$ORIGIN t.test.\n$TTL 300\n@ SOA ns hostmaster 1 14400 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n")
        f.write("www 30 %s\n" % answer)


def knot_conf(name, sink):
    rundir = os.path.join(D, name)
    os.makedirs(os.path.join(rundir, "storage"), exist_ok=True)
    conf = os.path.join(rundir, "knot.conf")
    with open(conf, "w") as f:
        f.write("server:\n  listen: 127.0.0.1@%d\n  rundir: %s\n  background-workers: 1\n  udp-workers: 1\n"
                "database:\n  storage: %s/storage\nlog:\n  - target: stderr\n    any: error\n" % (KNOT_P, rundir, rundir))
        if sink:
            f.write("mod-dnstap:\n  - id: tap\n    sink: unix:%s\n    identity: knot1\n"
                    "    log-queries: on\n    log-responses: on\n" % sink)
        f.write("template:\n  - id: default\n    zonefile-sync: -1\n    journal-content: none\n")
        if sink:
            f.write("    global-module: mod-dnstap/tap\n")
        f.write("zone:\n  - domain: t.test\n    file: %s/t.zone\n" % D)
    return conf


def dnsperf(secs=None, runs=None):
    args = ["dnsperf", "-s", "127.0.0.1", "-p", str(KNOT_P), "-d", os.path.join(D, "queries"), "-c", "4", "-q", "200"]
    args += ["-l", str(secs)] if secs else ["-n", str(runs)]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
    return qps, sent


def cpu_of(pid, tid=None):
    path = "/proc/%d/task/%d/stat" % (pid, tid) if tid else "/proc/%d/stat" % pid
    f = open(path).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def thread_of(pid, name):
    for tid in os.listdir("/proc/%d/task" % pid):
        if open("/proc/%d/task/%s/comm" % (pid, tid)).read().strip() == name:
            return int(tid)
    sys.exit("dnstap bench: no %s thread" % name)


def metric(name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % H_P, timeout=5).read().decode()
    return sum(float(m.group(1)) for m in re.finditer(r"^%s(?:\{[^}]*\})? (\S+)$" % name, text, re.M))


def main():
    shutil.rmtree(D, ignore_errors=True)
    os.makedirs(D)
    zone(os.path.join(D, "t.zone"), "CNAME cust.cdn.example.net.")
    with open(os.path.join(D, "queries"), "w") as f:
        f.write("www.t.test A\nwww.t.test AAAA\n" * 500)
    # 1. Record a real stream.
    cap_sock, rec = os.path.join(D, "cap.sock"), os.path.join(D, "rec.fstrm")
    cap = start(["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", cap_sock, "-w", rec], os.path.join(D, "cap.log"))
    wait_for(cap_sock)
    knot = start(["knotd", "-c", knot_conf("knot-rec", cap_sock)], os.path.join(D, "knot-rec.log"))
    wait_for(KNOT_P)
    dnsperf(runs=20)
    time.sleep(2)
    stop(knot)
    cap.send_signal(signal.SIGINT)
    cap.wait(10)
    frames = int(re.search(r"wrote (\d+) frames", open(os.path.join(D, "cap.log")).read()).group(1))
    print("recorded %d dnstap frames from Knot (%s)" % (frames, rec))

    # 2. Ingest.
    rd_sock = os.path.join(D, "dnstap.sock")
    with open(os.path.join(D, "routerd.yaml"), "w") as f:
        f.write('server: { listen: ["127.0.0.1:%d"], workers: 1 }\nstate_dir: %s/state\ncontrol: { socket: %s/ctl.sock }\n'
                'http: { listen: "127.0.0.1:%d" }\nzones: [ { name: t.test, file: %s/rd.zone } ]\n'
                "switches:\n  - name: www.t.test\n    cdn: { cname: cust.cdn.example.net }\n    origin: { a: [192.0.2.9] }\n"
                'fleet:\n  dnstap:\n    listen: ["unix:%s"]\n' % (RD_P, D, D, H_P, D, rd_sock))
    with open(os.path.join(D, "rd.zone"), "w") as f:
        f.write("$ORIGIN t.test.\n$TTL 300\n@ SOA ns hostmaster 1 14400 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n")
    rd = start([os.path.join(TOP, "build/routerd"), "-c", os.path.join(D, "routerd.yaml")], os.path.join(D, "routerd.log"))
    wait_for(rd_sock)
    wait_for(RD_P)
    tid = thread_of(rd.pid, "routerd-dnstap")
    ttid = thread_of(rd.pid, "routerd-track")
    times = max(1, 600000 // max(frames, 1))
    runs = []
    for _ in range(3):
        f0, o0, c0 = metric("routerd_dnstap_frames_total"), metric("routerd_dnstap_observations_total"), cpu_of(rd.pid, tid)
        t0, d0 = cpu_of(rd.pid, ttid), metric("routerd_dnstap_dropped_total")
        out = subprocess.run(["/usr/bin/python3", os.path.join(TOP, "test/integration/dnstap/tap.py"), "unix:" + rd_sock,
                              "replay", rec, "--times", str(times)], capture_output=True, text=True).stdout.split()
        sent, wall = int(out[0]), float(out[1])
        time.sleep(0.5)
        f1, o1, c1 = metric("routerd_dnstap_frames_total"), metric("routerd_dnstap_observations_total"), cpu_of(rd.pid, tid)
        t1, d1 = cpu_of(rd.pid, ttid), metric("routerd_dnstap_dropped_total")
        cpu = max(c1 - c0, 1.0 / TICK)
        runs.append({"messages": sent, "read": int(f1 - f0), "observations": int(o1 - o0), "wall_s": round(wall, 3),
                     "wall_rate": round(sent / wall), "cpu_s": round(cpu, 3), "per_core": round((f1 - f0) / cpu),
                     "tracker_cpu_s": round(t1 - t0, 3), "dropped": int(d1 - d0)})
    dropped = metric("routerd_dnstap_dropped_total")
    stop(rd)
    print("\n| run | messages sent | read | responses tracked | dropped | wall s | messages/s (wall) | collector CPU s | messages/s per collector core | tracker CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(runs, 1):
        print("| %d | %d | %d | %d | %d | %.3f | %d | %.2f | %d | %.2f |" % (
            i, r["messages"], r["read"], r["observations"], r["dropped"], r["wall_s"], r["wall_rate"], r["cpu_s"],
            r["per_core"], r["tracker_cpu_s"]))
    worst = min(runs, key=lambda r: r["per_core"])
    print("worst: %d messages/s per core; dropped: %d; every message read: %s" % (
        worst["per_core"], dropped, all(r["read"] == r["messages"] for r in runs)))

    # 3. Knot with dnstap to routerd off and on.
    rd = start([os.path.join(TOP, "build/routerd"), "-c", os.path.join(D, "routerd.yaml")], os.path.join(D, "routerd2.log"))
    wait_for(rd_sock)
    rows = []
    for label, sink in (("off", None), ("on", rd_sock), ("off", None), ("on", rd_sock)):
        knot = start(["knotd", "-c", knot_conf("knot-" + label, sink)], os.path.join(D, "knot-%s.log" % label))
        wait_for(KNOT_P)
        c0 = cpu_of(knot.pid)
        qps, sent = dnsperf(secs=10)
        cpu = cpu_of(knot.pid) - c0
        stop(knot)
        rows.append((label, qps, sent, cpu, cpu / sent * 1e6))
    got = metric("routerd_dnstap_frames_total")
    dropped2 = metric("routerd_dnstap_dropped_total")
    stop(rd)
    print("\n| dnstap to routerd | Knot QPS (dnsperf) | queries | Knot CPU s | Knot CPU µs/query |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| %s | %.0f | %d | %.2f | %.1f |" % r)
    print("routerd read %d dnstap frames from Knot, dropped %d" % (got, dropped2))
    json.dump({"frames_recorded": frames, "ingest": runs, "dropped": dropped, "knot": rows},
              open(os.path.join(D, "result.json"), "w"), indent=1)


try:
    main()
finally:
    for p in procs:
        stop(p)
