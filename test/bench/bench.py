#!/usr/bin/python3
"""make bench: routerd against NSD, Knot and gdnsd on one generated zone.

Each server runs with one worker thread pinned to CPU 0; dnsperf runs
pinned to CPU 1. On two cores dnsperf saturates near 160k QPS, so raw QPS
says more about dnsperf than about the server: the figure that compares
servers is the server's own CPU time per answer (utime + stime of the
server's processes, from /proc, over the run).

Rounds are interleaved (routerd, NSD, Knot, gdnsd, routerd, ...) so that
noise from the shared machine falls on every server alike; the median of
the rounds is reported.

Environment: BENCH_NAMES (10000), BENCH_ROUNDS (3), BENCH_SECONDS (10),
BENCH_RATE (20000, for the latency run), BENCH_BIG (1000000 records).
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(TOP, "build", "bench")
NAMES = int(os.environ.get("BENCH_NAMES", 10000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
RATE = int(os.environ.get("BENCH_RATE", 20000))
BIG = int(os.environ.get("BENCH_BIG", 1000000))
HZ = os.sysconf("SC_CLK_TCK")
SERVER_CPU, CLIENT_CPU = "0", "1"


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def descendants(pid):
    """PID and every process below it (NSD forks its serving children)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / HZ


def rss_kib(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                m = re.search(r"VmRSS:\s+(\d+)", f.read())
            total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total


def answers(port, name="ns1.bench.test"):
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), name, "+time=1", "+retry=0"],
                       capture_output=True, text=True)
    return "status: NOERROR" in r.stdout


class Server:
    def __init__(self, name, port):
        self.name, self.port, self.proc = name, port, None
        self.dir = os.path.join(OUT, name.lower())

    def start(self, zonefile):
        os.makedirs(self.dir, exist_ok=True)
        cmd = self.command(zonefile)
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU] + cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "log"), "w"))
        t0 = time.time()
        while not answers(self.port):
            if self.proc.poll() is not None or time.time() - t0 > 600:
                raise RuntimeError("%s did not start; see %s/log" % (self.name, self.dir))
            time.sleep(0.05)
        return time.time() - t0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Routerd(Server):
    def command(self, zonefile):
        conf = os.path.join(self.dir, "routerd.yaml")
        with open(conf, "w") as f:
            f.write('server: { listen: ["127.0.0.1:%d"], workers: 1 }\n' % self.port)
            f.write("state_dir: %s/state\ncontrol: { socket: %s/ctl.sock }\n" % (self.dir, self.dir))
            f.write("zones: [ { name: bench.test, file: %s } ]\n" % zonefile)
        return [os.path.join(TOP, "build", "routerd"), "-c", conf]


class NSD(Server):
    def command(self, zonefile):
        conf = os.path.join(self.dir, "nsd.conf")
        with open(conf, "w") as f:
            f.write('server:\n  ip-address: 127.0.0.1\n  port: %d\n  username: ""\n  chroot: ""\n'
                    '  database: ""\n  server-count: 1\n  minimal-responses: yes\n  rrl-ratelimit: 0\n'
                    '  pidfile: "%s/nsd.pid"\n  xfrdfile: "%s/xfrd.state"\n  zonelistfile: "%s/zone.list"\n'
                    'remote-control:\n  control-enable: no\n'
                    'zone:\n  name: bench.test\n  zonefile: "%s"\n' % (self.port, self.dir, self.dir, self.dir, zonefile))
        return ["nsd", "-d", "-c", conf]


class Knot(Server):
    def command(self, zonefile):
        conf = os.path.join(self.dir, "knot.conf")
        os.makedirs(os.path.join(self.dir, "storage"), exist_ok=True)
        with open(conf, "w") as f:
            f.write("server:\n  listen: 127.0.0.1@%d\n  rundir: %s\n  user: root\n  udp-workers: 1\n"
                    "  tcp-workers: 1\n  background-workers: 1\n"
                    "database:\n  storage: %s/storage\n"
                    "template:\n  - id: default\n    zonefile-sync: -1\n    journal-content: none\n"
                    "zone:\n  - domain: bench.test\n    file: %s\n" % (self.port, self.dir, self.dir, zonefile))
        return ["knotd", "-c", conf]


class Gdnsd(Server):
    def command(self, zonefile):
        os.makedirs(os.path.join(self.dir, "zones"), exist_ok=True)
        shutil.copy(zonefile, os.path.join(self.dir, "zones", "bench.test"))
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("options => {\n  listen => [ 127.0.0.1:%d ]\n  udp_threads => 1\n  tcp_threads => 1\n}\n"
                    % self.port)
        return ["gdnsd", "-c", self.dir, "start"]


def dnsperf(port, queries, extra):
    cmd = ["taskset", "-c", CLIENT_CPU, "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries] + extra
    return subprocess.run(cmd, capture_output=True, text=True).stdout


def saturate(server, queries):
    before = cpu_seconds(server.proc.pid)
    out = dnsperf(server.port, queries, ["-l", str(SECONDS), "-c", "4", "-q", "500"])
    cpu = cpu_seconds(server.proc.pid) - before
    done = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    return qps, cpu / done * 100000, lost


def latency_p99(server, queries):
    out = dnsperf(server.port, queries, ["-l", "5", "-Q", str(RATE), "-c", "4", "-v"])
    lat = sorted(float(m.group(1)) for m in re.finditer(r"^> \S+ .* ([\d.]+)$", out, re.M))
    if not lat:
        return float("nan")
    return lat[int(len(lat) * 0.99)] * 1000


def main():
    os.makedirs(OUT, exist_ok=True)
    zone, queries = os.path.join(OUT, "bench.test.zone"), os.path.join(OUT, "queries.txt")
    sh("/usr/bin/python3", os.path.join(TOP, "test", "bench", "genzone.py"), str(NAMES), zone, queries)
    servers = [Routerd("routerd", 15501), NSD("NSD", 15502), Knot("Knot", 15503), Gdnsd("gdnsd", 15504)]
    results = {s.name: {"qps": [], "cpu": [], "p99": [], "lost": 0} for s in servers}
    try:
        for s in servers:
            s.start(zone)
        for r in range(ROUNDS):
            for s in servers:
                qps, cpu, lost = saturate(s, queries)
                results[s.name]["qps"].append(qps)
                results[s.name]["cpu"].append(cpu)
                results[s.name]["lost"] += lost
                results[s.name]["p99"].append(latency_p99(s, queries))
                print("round %d %-8s %9.0f QPS  %.3f CPU s/100k  lost %d" % (r + 1, s.name, qps, cpu, lost),
                      flush=True)
    finally:
        for s in servers:
            s.stop()

    med = {n: {k: statistics.median(v[k]) for k in ("qps", "cpu", "p99")} for n, v in results.items()}
    base = med["routerd"]["cpu"]
    print("\n%d names, %d rounds of %d s, 1 server thread on CPU %s, dnsperf on CPU %s (median of rounds)"
          % (NAMES, ROUNDS, SECONDS, SERVER_CPU, CLIENT_CPU))
    print("| server | QPS (saturated) | server CPU s / 100k answers | p99 ms @ %d QPS | CPU per answer vs routerd |" % RATE)
    print("|---|---:|---:|---:|---:|")
    for s in servers:
        m = med[s.name]
        print("| %s | %.0f | %.3f | %.3f | %.2f |" % (s.name, m["qps"], m["cpu"], m["p99"], m["cpu"] / base))
    cheapest = min(med[n]["cpu"] for n in ("NSD", "Knot", "gdnsd"))
    print("target (no more CPU per answer than the cheapest of NSD, Knot, gdnsd): %s (routerd %.3f, cheapest %.3f)"
          % ("met" if base <= cheapest else "NOT met", base, cheapest))

    big = os.path.join(OUT, "big.zone")
    sh("/usr/bin/python3", os.path.join(TOP, "test", "bench", "genzone.py"), str(BIG), big)
    print("\n%d-record zone: load time and resident memory" % BIG)
    print("| server | load s | RSS MiB | bytes per record |")
    print("|---|---:|---:|---:|")
    for s in (Routerd("routerd", 15511), NSD("NSD", 15512)):
        try:
            secs = s.start(big)
            time.sleep(1)
            kib = rss_kib(s.proc.pid)
            print("| %s | %.1f | %.0f | %.0f |" % (s.name, secs, kib / 1024, kib * 1024 / BIG))
        finally:
            s.stop()


if __name__ == "__main__":
    main()
