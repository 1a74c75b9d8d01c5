#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench: routerd against NSD, Knot and gdnsd on one generated zone.

Each server runs with one serving thread pinned to CPU 0; dnsperf runs
pinned to CPU 1. On two cores dnsperf saturates one core, so raw QPS says
as much about dnsperf as about the server: the figure that compares servers
is the server's own CPU time per answer (utime + stime of the server's
processes, from /proc/PID/stat, over the run).

Rounds are interleaved (routerd, NSD, Knot, gdnsd, routerd, ...) so that
noise from the shared machine falls on every server alike; the median of
the rounds is reported.

Memory is the proportional set size (Pss in /proc/PID/smaps_rollup) summed
over the server's processes. NSD forks its serving child after loading the
zone, so the child shares the parent's zone pages copy-on-write: summing
VmRSS would count the zone twice.

Environment: BENCH_NAMES (10000), BENCH_ROUNDS (3), BENCH_SECONDS (10),
BENCH_RATE (20000, for the latency run), BENCH_BIG (1000000 records),
BENCH_TIMEOUT (900: the whole run is stopped after this many seconds).
"""
import os
import re
import shutil
import signal
import socket
import statistics
import struct
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
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", 900))
LAT_SECONDS = 5
HZ = os.sysconf("SC_CLK_TCK")
SERVER_CPU, CLIENT_CPU = "0", "1"
# Share of each response code the query file asks for (genzone.py): every
# server must answer the same mix, or its CPU figure is not comparable.
EXPECTED_NXDOMAIN = 0.15


class Timeout(Exception):
    pass


def sh(*args, **kw):
    return subprocess.run(args, check=True, timeout=300, **kw)


def descendants(pid):
    """PID and every process below it (NSD forks its main and serving processes)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, pending = [], [pid]
    while pending:
        p = pending.pop()
        out.append(p)
        pending.extend(children.get(p, []))
    return out


def cpu_seconds(pid):
    """utime + stime of PID and its descendants (every thread of each)."""
    total = 0
    for p in descendants(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / HZ


def memory_kib(pid):
    """(summed Pss, summed VmRSS) in KiB over PID and its descendants."""
    pss = rss = 0
    for p in descendants(pid):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                m = re.search(r"^Pss:\s+(\d+)", f.read(), re.M)
            pss += int(m.group(1)) if m else 0
            with open("/proc/%d/status" % p) as f:
                m = re.search(r"VmRSS:\s+(\d+)", f.read())
            rss += int(m.group(1)) if m else 0
        except OSError:
            pass
    return pss, rss


def answers(port, name="ns1.bench.test", timeout=0.05):
    """True when the server answers NOERROR with an answer for NAME/A.

    A hand-built query instead of kdig: no process per probe, and a timeout
    well under kdig's one-second minimum, so the load time is not rounded up.
    """
    qid = os.getpid() & 0xFFFF
    wire = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    wire += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    wire += struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(("127.0.0.1", port))
            s.send(wire)
            r = s.recv(512)
        except OSError:
            return False
    if len(r) < 12:
        return False
    rid, flags, _, an = struct.unpack("!HHHH", r[:8])
    return rid == qid and flags & 0x8000 and flags & 0xF == 0 and an > 0


class Server:
    def __init__(self, name, port):
        self.name, self.port, self.proc, self.pids = name, port, None, []
        self.dir = os.path.join(OUT, name.lower())

    def start(self, zonefile, wait=120):
        """Start the server pinned to SERVER_CPU; return seconds until it answers."""
        os.makedirs(self.dir, exist_ok=True)
        cmd = self.command(zonefile)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU] + cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "log"), "w"))
        while not answers(self.port):
            if self.proc.poll() is not None or time.monotonic() - t0 > wait:
                self.stop()
                raise RuntimeError("%s did not answer; see %s/log" % (self.name, self.dir))
            time.sleep(0.02)
        secs = time.monotonic() - t0
        self.pids = descendants(self.proc.pid)
        return secs

    def stop(self):
        """TERM the server's PID, KILL it after 15 s, then KILL any child it left."""
        if not self.proc:
            return
        pids = set(self.pids) | set(descendants(self.proc.pid)) if self.proc.poll() is None else set(self.pids)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        time.sleep(0.2)
        for p in pids - {self.proc.pid}:
            try:
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    alive = self.binary().encode() in f.read()
                if alive:
                    os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        self.proc, self.pids = None, []


class Routerd(Server):
    def binary(self):
        return os.path.join(TOP, "build", "routerd")

    def command(self, zonefile):
        conf = os.path.join(self.dir, "routerd.yaml")
        with open(conf, "w") as f:
            f.write('server: { listen: ["127.0.0.1:%d"], workers: 1 }\n' % self.port)
            f.write("state_dir: %s/state\ncontrol: { socket: %s/ctl.sock }\n" % (self.dir, self.dir))
            f.write("zones: [ { name: bench.test, file: %s } ]\n" % zonefile)
        return [self.binary(), "-c", conf]


class NSD(Server):
    def binary(self):
        return "nsd"

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
    def binary(self):
        return "knotd"

    def command(self, zonefile):
        conf = os.path.join(self.dir, "knot.conf")
        shutil.rmtree(os.path.join(self.dir, "storage"), ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "storage"))
        with open(conf, "w") as f:
            f.write("server:\n  listen: 127.0.0.1@%d\n  rundir: %s\n  user: root\n  udp-workers: 1\n"
                    "  tcp-workers: 1\n  background-workers: 1\n"
                    "database:\n  storage: %s/storage\n"
                    "template:\n  - id: default\n    zonefile-sync: -1\n    journal-content: none\n"
                    "zone:\n  - domain: bench.test\n    file: %s\n" % (self.port, self.dir, self.dir, zonefile))
        return ["knotd", "-c", conf]


class Gdnsd(Server):
    def binary(self):
        return "gdnsd"

    def command(self, zonefile):
        os.makedirs(os.path.join(self.dir, "zones"), exist_ok=True)
        shutil.copy(zonefile, os.path.join(self.dir, "zones", "bench.test"))
        # Own run and state directories: the default /run/gdnsd control
        # socket would collide with any other gdnsd on the machine (gdnsd 3
        # refuses to start, or with "replace" takes the other one over).
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("options => {\n  listen => [ 127.0.0.1:%d ]\n  udp_threads => 1\n  tcp_threads => 1\n"
                    "  run_dir => %s/run\n  state_dir => %s/state\n}\n" % (self.port, self.dir, self.dir))
        return ["gdnsd", "-c", self.dir, "start"]


def dnsperf(port, queries, extra, secs):
    cmd = ["taskset", "-c", CLIENT_CPU, "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries] + extra
    return subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60).stdout


def saturate(server, queries):
    """Saturating run: (QPS, server CPU s per 100k answers, lost, NXDOMAIN share, mean response bytes).

    200 outstanding queries saturate every server here. More do not add
    QPS, and dnsperf opens (and refills after each timeout) with a burst of
    that many: Knot and gdnsd keep the kernel's default socket receive
    buffer, which holds about 300 small datagrams, and drop the rest.
    """
    before = cpu_seconds(server.proc.pid)
    out = dnsperf(server.port, queries, ["-l", str(SECONDS), "-c", "4", "-q", "200"], SECONDS)
    cpu = cpu_seconds(server.proc.pid) - before
    done = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    nx = re.search(r"NXDOMAIN (\d+)", out)
    size = re.search(r"response (\d+)", out)
    return (qps, cpu / max(done, 1) * 100000, lost, (int(nx.group(1)) if nx else 0) / max(done, 1),
            int(size.group(1)) if size else 0)


def latency_p99(server, queries):
    """p99 in ms of a fixed-rate run, from dnsperf's per-query lines (-v).

    A lost query counts as slower than every answer: with more than 1% lost
    the p99 is infinite.
    """
    out = dnsperf(server.port, queries, ["-l", str(LAT_SECONDS), "-Q", str(RATE), "-c", "4", "-v"], LAT_SECONDS)
    lat = sorted(float(m.group(1)) for m in re.finditer(r"^> \S+ .* ([\d.]+)$", out, re.M))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    lat += [float("inf")] * lost
    if not lat:
        return float("nan")
    return lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000


def ratio(a, b):
    return "%.2f" % (a / b) if b and b == b and a == a else "n/a"


def on_signal(signum, frame):
    raise Timeout("signal %d" % signum)


def stop_on_signal(timeout_s):
    """Turn SIGTERM, SIGINT and an alarm after TIMEOUT_S into Timeout, so
    that every server started is stopped on the way out."""
    for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    signal.alarm(timeout_s)


def main():
    stop_on_signal(TIMEOUT)
    os.makedirs(OUT, exist_ok=True)
    zone, queries = os.path.join(OUT, "bench.test.zone"), os.path.join(OUT, "queries.txt")
    sh("/usr/bin/python3", os.path.join(TOP, "test", "bench", "genzone.py"), str(NAMES), zone, queries)
    candidates = [NSD("NSD", 15502), Knot("Knot", 15503), Gdnsd("gdnsd", 15504)]
    if os.access(os.path.join(TOP, "build", "routerd"), os.X_OK):
        candidates.insert(0, Routerd("routerd", 15501))
    else:
        print("build/routerd not built: comparing the reference servers only", flush=True)
    servers = []
    results = {}
    try:
        for s in candidates:
            try:
                s.start(zone)
                servers.append(s)
                results[s.name] = {"qps": [], "cpu": [], "p99": [], "lost": 0, "nx": [], "size": []}
            except RuntimeError as e:
                print("skipped: %s" % e, flush=True)
        for r in range(ROUNDS):
            for s in servers:
                qps, cpu, lost, nx, size = saturate(s, queries)
                p99 = latency_p99(s, queries)
                res = results[s.name]
                res["qps"].append(qps)
                res["cpu"].append(cpu)
                res["lost"] += lost
                res["nx"].append(nx)
                res["size"].append(size)
                res["p99"].append(p99)
                print("round %d %-8s %9.0f QPS  %.3f CPU s/100k  lost %d  NXDOMAIN %.1f%%  %d B/response  p99 %.3f ms"
                      % (r + 1, s.name, qps, cpu, lost, nx * 100, size, p99), flush=True)
    finally:
        for s in candidates:
            s.stop()

    med = {n: {k: statistics.median(v[k]) for k in ("qps", "cpu", "p99", "nx", "size")} for n, v in results.items()}
    base = med.get("routerd", {"qps": float("nan"), "cpu": float("nan"), "p99": float("nan")})
    print("\n%d names, %d rounds of %d s, 1 server thread on CPU %s, dnsperf on CPU %s (median of rounds)"
          % (NAMES, ROUNDS, SECONDS, SERVER_CPU, CLIENT_CPU))
    print("| server | QPS (saturated) | server CPU s / 100k answers | p99 ms @ %d QPS | lost | mean response B | "
          "QPS vs routerd | CPU per answer vs routerd | p99 vs routerd |" % RATE)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in servers:
        m = med[s.name]
        print("| %s | %.0f | %.3f | %.3f | %d | %.0f | %s | %s | %s |"
              % (s.name, m["qps"], m["cpu"], m["p99"], results[s.name]["lost"], m["size"],
                 ratio(m["qps"], base["qps"]), ratio(m["cpu"], base["cpu"]), ratio(m["p99"], base["p99"])))
    odd = [n for n in med if abs(med[n]["nx"] - EXPECTED_NXDOMAIN) > 0.02]
    if odd:
        print("WARNING: NXDOMAIN share off the query mix for %s: their answers differ" % ", ".join(odd))
    others = [med[n]["cpu"] for n in ("NSD", "Knot", "gdnsd") if n in med]
    if "routerd" in med and others:
        cheapest = min(others)
        print("target CPU (no more per answer than the cheapest of NSD, Knot, gdnsd): %s "
              "(routerd %.3f, cheapest %.3f s/100k)" % ("met" if base["cpu"] <= cheapest else "NOT met",
                                                        base["cpu"], cheapest), flush=True)

    big = os.path.join(OUT, "big.zone")
    sh("/usr/bin/python3", os.path.join(TOP, "test", "bench", "genzone.py"), str(BIG), big)
    print("\n%d-record zone: load time and memory (Pss summed over the server's processes)" % BIG)
    print("| server | processes | load s | Pss MiB | bytes per record | VmRSS sum MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    per_record = {}
    for s in [c for c in candidates if c.name in ("routerd", "NSD")]:
        s.port += 10
        try:
            secs = s.start(big, wait=300)
            time.sleep(2)  # let the server free its parse-time memory
            pss, rss = memory_kib(s.proc.pid)
            per_record[s.name] = pss * 1024 / BIG
            print("| %s | %d | %.1f | %.0f | %.0f | %.0f |" % (s.name, len(descendants(s.proc.pid)), secs,
                                                           pss / 1024, pss * 1024 / BIG, rss / 1024), flush=True)
        except RuntimeError as e:
            print("| %s | failed: %s |" % (s.name, e))
        finally:
            s.stop()
    if len(per_record) == 2:
        print("target memory (no more per record than NSD): %s (routerd %.0f, NSD %.0f bytes per record)"
              % ("met" if per_record["routerd"] <= per_record["NSD"] else "NOT met",
                 per_record["routerd"], per_record["NSD"]))


if __name__ == "__main__":
    try:
        main()
    except Timeout as e:
        sys.exit("bench: stopped (%s); every server was stopped" % e)
