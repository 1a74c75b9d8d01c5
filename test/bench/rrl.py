#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make bench: what response rate limiting (server.rrl) saves and costs.

1. Amplification under a blast: dnsperf sends a large TXT query (EDNS, a
   1,000-byte answer) at a fixed 100,000 QPS from one source (127.0.0.1,
   dnsperf's sockets) for BENCH_SECONDS, to routerd with RRL off and with
   RRL on (200 per second, slip 2, the NSD and Knot defaults). Reported:
   the amplification factor (bytes routerd sent / bytes it received, from
   dnsperf's counts and mean packet sizes), the full answers per second the
   source got (routerd's own counters: queries - slipped - dropped), the
   truncated slips per second, and routerd's CPU per query received.
2. CPU per answer on the ordinary query mix (bench.py's), saturating: RRL
   off against RRL on with a rate no key reaches (10,000,000 per second),
   so every answer pays the bucket bookkeeping and none is limited.

One worker pinned to CPU 0, dnsperf to CPU 1, as in bench.py; rounds are
interleaved (off, on, off, on...) and the median is reported.
"""
import os
import re
import statistics
import sys
import urllib.request

import dns.message
import dns.query

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

SECONDS = bench.SECONDS
ROUNDS = bench.ROUNDS
BLAST_QPS = int(os.environ.get("BENCH_BLAST_QPS", 100000))
TXT = '"%s" "%s" "%s" "%s"' % tuple(c * 250 for c in "abcd")


class Routerd(bench.Routerd):
    def __init__(self, name, port, rrl):
        super().__init__(name, port)
        self.rrl, self.http = rrl, port + 1

    def command(self, zonefile):
        conf = os.path.join(self.dir, "routerd.yaml")
        with open(conf, "w") as f:
            f.write('server: { listen: ["127.0.0.1:%d"], workers: 1%s }\n'
                    % (self.port, ", rrl: { %s }" % self.rrl if self.rrl else ""))
            f.write("state_dir: %s/state\ncontrol: { socket: %s/ctl.sock }\n" % (self.dir, self.dir))
            f.write('http: { listen: "127.0.0.1:%d" }\n' % self.http)
            f.write("tracking: { enabled: false }\n")
            f.write("zones: [ { name: bench.test, file: %s } ]\n" % zonefile)
        return [self.binary(), "-c", conf]

    def counters(self):
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.http, timeout=5).read().decode()
        q = sum(int(m.group(1)) for m in re.finditer(r'^routerd_dns_queries_total\{proto="udp"[^}]*\} (\d+)', text, re.M))
        s = re.search(r'^routerd_rrl_limited_total\{action="slipped"\} (\d+)', text, re.M)
        d = re.search(r'^routerd_rrl_limited_total\{action="dropped"\} (\d+)', text, re.M)
        return q, int(s.group(1)) if s else 0, int(d.group(1)) if d else 0


def sizes(port):
    """(query bytes, full answer bytes) of amp.bench.test TXT with EDNS (the
    same records over UDP; asked over TCP, which RRL never limits)."""
    q = dns.message.make_query("amp.bench.test", "TXT", use_edns=0, payload=4096)
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=2)  # never rate limited
    return len(q.to_wire()), len(r.to_wire())


def blast(server, queries):
    """Fixed-rate blast: (amplification, answers/s, slips/s, CPU s per 100k queries, QPS received).

    Amplification is what routerd sent over what it received, from its own
    counters: full answers at the full size, slips (the question and OPT
    echoed) at the query's size. dnsperf's own counts would also charge
    routerd for the replies dnsperf's sockets had no room for.
    """
    req, full_size = sizes(server.port)
    q0, s0, d0 = server.counters()
    c0 = bench.cpu_seconds(server.proc.pid)
    # Dropped queries stay outstanding until dnsperf's timeout: a 1 s
    # timeout and room for every query of a second keep the rate up.
    out = bench.dnsperf(server.port, queries, ["-l", str(SECONDS), "-Q", str(BLAST_QPS), "-c", "8",
                                               "-q", "65000", "-t", "1", "-e"], SECONDS)
    # Per second of blast (-l): routerd answers nothing after it, while
    # dnsperf waits out its timeouts.
    secs = SECONDS
    cpu = bench.cpu_seconds(server.proc.pid) - c0
    q1, s1, d1 = server.counters()
    if "Queries sent" not in out:
        raise RuntimeError("dnsperf failed: %s" % out[-500:])
    got = q1 - q0
    full = got - (s1 - s0) - (d1 - d0)
    amp = (full * full_size + (s1 - s0) * req) / max(got * req, 1)
    return amp, full / secs, (s1 - s0) / secs, cpu / max(got, 1) * 100000, got / secs


def main():
    bench.stop_on_signal(bench.TIMEOUT)
    os.makedirs(bench.OUT, exist_ok=True)
    zone, queries = os.path.join(bench.OUT, "rrl.zone"), os.path.join(bench.OUT, "queries.txt")
    bench.sh("/usr/bin/python3", os.path.join(bench.TOP, "test", "bench", "genzone.py"), str(bench.NAMES), zone, queries)
    with open(zone, "a") as f:
        f.write("amp TXT %s\n" % TXT)
    amp_q = os.path.join(bench.OUT, "amp-queries.txt")
    with open(amp_q, "w") as f:
        f.write("amp.bench.test TXT\n")
    off = Routerd("routerd-rrl-off", 15521, None)
    on = Routerd("routerd-rrl-200", 15523, "responses_per_second: 200, slip: 2")
    wide = Routerd("routerd-rrl-unreached", 15525, "responses_per_second: 10000000")
    servers = [off, on, wide]
    res = {s.name: {"amp": [], "full": [], "slip": [], "bcpu": [], "rx": [], "cpu": []} for s in servers}
    try:
        for s in servers:
            s.start(zone)
        for r in range(ROUNDS):
            for s in (off, on):
                amp, full, slip, bcpu, rx = blast(s, amp_q)
                for k, v in (("amp", amp), ("full", full), ("slip", slip), ("bcpu", bcpu), ("rx", rx)):
                    res[s.name][k].append(v)
                print("round %d %-22s blast: received %7.0f QPS  amplification %.2f  full answers %7.0f/s  "
                      "slips %7.0f/s  CPU %.3f s/100k queries" % (r + 1, s.name, rx, amp, full, slip, bcpu), flush=True)
            for s in (off, wide):
                _, cpu, lost, _, _ = bench.saturate(s, queries)
                res[s.name]["cpu"].append(cpu)
                print("round %d %-22s mix: %.3f CPU s/100k answers (lost %d)" % (r + 1, s.name, cpu, lost), flush=True)
    finally:
        for s in servers:
            s.stop()
    med = {n: {k: statistics.median(v) for k, v in d.items() if v} for n, d in res.items()}
    print("\n%d QPS blast of amp.bench.test TXT (EDNS) from one source, %d rounds of %d s, median:" % (BLAST_QPS, ROUNDS, SECONDS))
    print("| routerd | received QPS | amplification (bytes out / in) | full answers/s | truncated slips/s | CPU s / 100k queries |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in (off, on):
        m = med[s.name]
        print("| %s | %.0f | %.2f | %.0f | %.0f | %.3f |" % (s.name, m["rx"], m["amp"], m["full"], m["slip"], m["bcpu"]))
    print("\nquery mix, saturating, CPU per answer, median:")
    print("| routerd | CPU s / 100k answers | vs RRL off |")
    print("|---|---:|---:|")
    for s in (off, wide):
        print("| %s | %.3f | %s |" % (s.name, med[s.name]["cpu"], bench.ratio(med[s.name]["cpu"], med[off.name]["cpu"])))


if __name__ == "__main__":
    try:
        main()
    except bench.Timeout as e:
        sys.exit("rrl bench: stopped (%s); every server was stopped" % e)
