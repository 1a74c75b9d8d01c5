# SPDX-License-Identifier: BSD-3-Clause
"""attack.py -- hostile clients against a DNS/HTTP server on loopback, with
the server's RSS and the latency of well-behaved clients measured before
and during each attack (the attacks case and BENCHMARKS.md use it).

  attack.py dns-pipe PID PORT NAME CONNS SECS      TCP DNS queries pipelined, answers never read
  attack.py http-pipe PID HPORT PATH CONNS SECS    HTTP GETs pipelined, responses never read
  attack.py slowloris PID HPORT CONNS SECS GAP     one header byte per GAP s per connection
  attack.py webhooks PID HPORT N SWITCH            N parallel webhook clients at once
  attack.py alerts PID HPORT N GLOB CTLSOCK        one Alertmanager message of N alerts
  attack.py tcp-flood PID PORT CONNS SECS CTLSOCK  CONNS idle TCP DNS clients held open

Every command prints one JSON object: rss_idle_kb, rss_max_kb, and the
latencies (ms) of the probes it ran idle and under attack. PID 0: no RSS.
The probes: UDP DNS queries (dns-*, tcp-flood), webhooks (http-*,
slowloris), `routerctl status` over the admin socket (alerts, tcp-flood).
"""
import json
import multiprocessing
import os
import selectors
import socket
import struct
import sys
import threading
import time
import urllib.request

import dns.message
import dns.query

HOST = "127.0.0.1"


def rss_kb(pid):
    if pid == 0:
        return 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return -1
    return -1


class RssWatch(threading.Thread):
    """The largest RSS seen while it runs (sampled every 50 ms)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.max, self.stop = pid, rss_kb(pid), False

    def run(self):
        while not self.stop:
            self.max = max(self.max, rss_kb(self.pid))
            time.sleep(0.05)


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p * len(xs)))], 3)


def udp_probe(port, secs, name="ns.t.test"):
    """UDP query latencies (ms) for SECS; a timeout counts as 2000 ms."""
    lat, lost, end = [], 0, time.time() + secs
    while time.time() < end:
        q = dns.message.make_query(name, "A")
        t = time.perf_counter()
        try:
            dns.query.udp(q, HOST, port=port, timeout=2)
            lat.append((time.perf_counter() - t) * 1000)
        except Exception:
            lost += 1
            lat.append(2000.0)
        time.sleep(0.02)
    return {"n": len(lat), "lost": lost, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "max": pct(lat, 1.0)}


def post(hport, path, body, timeout=5):
    req = urllib.request.Request(f"http://{HOST}:{hport}{path}", data=body.encode(),
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            return r.status, (time.perf_counter() - t) * 1000
    except urllib.error.HTTPError as e:
        return e.code, (time.perf_counter() - t) * 1000
    except Exception:
        return 0, (time.perf_counter() - t) * 1000


def webhook_probe(hport, secs, switch="www.t.test"):
    """A signal webhook every 100 ms for SECS: latencies and failures."""
    lat, bad, end, i = [], 0, time.time() + secs, 0
    while time.time() < end:
        i += 1
        body = json.dumps({"switch": switch, "target": "origin", "status": "up", "id": f"probe{i % 4}"})
        code, ms = post(hport, "/api/v1/signal", body)
        lat.append(ms)
        bad += code != 200
        time.sleep(0.1)
    return {"n": len(lat), "failed": bad, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "max": pct(lat, 1.0)}


def ctl_status(sock_path, timeout=30):
    """Time (ms) for one `status` command over the admin socket; -1 on error."""
    t = time.perf_counter()
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(b'{"v":1,"cmd":"status"}\n')
        buf = b""
        while not buf.endswith(b"\n"):
            d = s.recv(65536)
            if not d:
                break
            buf += d
        s.close()
        if b'"ok":true' not in buf:
            return -1
    except OSError:
        return -1
    return (time.perf_counter() - t) * 1000


def ctl_probe(sock_path, secs):
    lat, bad, end = [], 0, time.time() + secs
    while time.time() < end:
        ms = ctl_status(sock_path)
        bad += ms < 0
        lat.append(ms if ms >= 0 else 30000)
        time.sleep(0.05)
    return {"n": len(lat), "failed": bad, "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "max": pct(lat, 1.0)}


class Background:
    """ATTACK in a child process, so that it does not slow the probes."""

    def __init__(self, fn):
        self.fn, self.result = fn, None
        self.q = multiprocessing.Queue()
        self.p = multiprocessing.Process(target=self._run, daemon=True)

    def _run(self):
        self.q.put(self.fn())

    def start(self):
        self.p.start()

    def join(self):
        self.result = self.q.get()
        self.p.join()


def dns_query_wire(name, qid):
    q = dns.message.make_query(name, "TXT")
    q.id = qid
    w = q.to_wire()
    return struct.pack("!H", len(w)) + w


def pipe_writers(port, payload, conns, secs):
    """CONNS connections writing PAYLOAD over and over, never reading."""
    sel = selectors.DefaultSelector()
    socks, sent = [], 0
    for _ in range(conns):
        s = socket.socket()
        # A small receive window: what the server holds is the server's.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        try:
            s.connect((HOST, port))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE)
    end = time.time() + secs
    while time.time() < end:
        for key, _ in sel.select(timeout=0.2):
            try:
                sent += key.fileobj.send(payload)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                sel.unregister(key.fileobj)
        # The buffers fill in milliseconds; the attacker need not take a
        # CPU from the probes on a 2-core machine.
        time.sleep(0.01)
    return socks, sent


def measure(pid, probe, attack, settle=1.0):
    """Probe idle, then run ATTACK in the background and probe under it."""
    out = {"rss_idle_kb": rss_kb(pid)}
    out["idle"] = probe()
    out["rss_idle_kb"] = max(out["rss_idle_kb"], rss_kb(pid))
    watch = RssWatch(pid)
    watch.start()
    bg = Background(attack)
    bg.start()
    time.sleep(settle)
    out["attack"] = probe()
    bg.join()
    watch.stop = True
    watch.join()
    out["rss_max_kb"] = watch.max
    out["rss_after_kb"] = rss_kb(pid)
    if isinstance(bg.result, dict):
        out.update(bg.result)
    return out


def main():
    cmd, pid = sys.argv[1], int(sys.argv[2])
    a = sys.argv[3:]
    if cmd == "dns-pipe":
        port, name, conns, secs = int(a[0]), a[1], int(a[2]), float(a[3])
        payload = b"".join(dns_query_wire(name, i) for i in range(200))

        def attack():
            socks, sent = pipe_writers(port, payload, conns, secs)
            return {"bytes_sent": sent, "conns": len(socks)}
        out = measure(pid, lambda: udp_probe(port, max(2.0, secs - 3)), attack)
    elif cmd == "http-pipe":
        hport, path, conns, secs = int(a[0]), a[1], int(a[2]), float(a[3])
        payload = (f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n" * 200).encode()

        def attack():
            socks, sent = pipe_writers(hport, payload, conns, secs)
            return {"bytes_sent": sent, "conns": len(socks)}
        out = measure(pid, lambda: webhook_probe(hport, max(2.0, secs - 3)), attack)
        time.sleep(1)
        out["rss_closed_kb"] = rss_kb(pid)
    elif cmd == "slowloris":
        hport, conns, secs, gap = int(a[0]), int(a[1]), float(a[2]), float(a[3])

        def attack():
            socks, opened = [], 0
            head = b"POST /api/v1/signal HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000
            end = time.time() + secs
            pos = {}
            while time.time() < end:
                # Keep CONNS connections open, reconnecting as they are closed.
                while len(socks) < conns and time.time() < end:
                    s = socket.socket()
                    s.setblocking(False)
                    try:
                        s.connect_ex((HOST, hport))
                    except OSError:
                        s.close()
                        break
                    socks.append(s)
                    pos[s] = 0
                    opened += 1
                    if opened % 100 == 0:
                        time.sleep(0.01)
                t0 = time.time()
                alive = []
                for s in socks:
                    try:
                        s.send(head[pos[s]:pos[s] + 1])
                        pos[s] += 1
                        alive.append(s)
                    except (BlockingIOError, InterruptedError):
                        alive.append(s)
                    except OSError:
                        s.close()
                        del pos[s]
                socks = alive
                time.sleep(max(0.0, gap - (time.time() - t0)))
            for s in socks:
                s.close()
            return {"opened": opened}
        out = measure(pid, lambda: webhook_probe(hport, max(2.0, secs - 4)), attack, settle=2.0)
    elif cmd == "webhooks":
        hport, n, switch = int(a[0]), int(a[1]), a[2]
        out = {"rss_idle_kb": rss_kb(pid)}
        codes, lat, go = [], [], threading.Event()

        def client(i):
            # A new down-signal each (on the origin: the CDN keeps serving):
            # every one is a journal write, fsynced before the answer.
            body = json.dumps({"switch": switch, "target": "origin", "status": "down", "id": f"par{i}"})
            go.wait()
            code, ms = post(hport, "/api/v1/signal", body, timeout=30)
            codes.append(code)
            lat.append(ms)
        ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        time.sleep(0.5)
        go.set()
        for t in ts:
            t.join()
        out["ok"] = sum(c == 200 for c in codes)
        out["codes"] = {str(c): codes.count(c) for c in set(codes)}
        out["p50"], out["p99"], out["max"] = pct(lat, 0.5), pct(lat, 0.99), pct(lat, 1.0)
        out["idle_one"] = post(hport, "/api/v1/signal", json.dumps(
            {"switch": switch, "target": "origin", "status": "up", "id": "one"}))[1]
        out["rss_max_kb"] = rss_kb(pid)
    elif cmd == "alerts":
        hport, n, glob, ctl = int(a[0]), int(a[1]), a[2], a[3]
        alerts = [{"status": "firing", "labels": {"alertname": f"a{i}", "routerd_switch": glob,
                                                   "routerd_target": "origin"},
                   "fingerprint": f"{i:016x}"} for i in range(n)]
        body = json.dumps({"version": "4", "status": "firing", "alerts": alerts})
        res = {}

        def attack():
            code, ms = post(hport, "/api/v1/alertmanager", body, timeout=120)
            res.update({"code": code, "apply_ms": round(ms, 1), "body_bytes": len(body)})
            return res
        out = measure(pid, lambda: ctl_probe(ctl, 3.0), attack, settle=0.05)
        out.update(res)
        small = json.dumps({"version": "4", "status": "firing", "alerts": alerts[:1]})
        out["one_alert_ms"] = round(post(hport, "/api/v1/alertmanager", small, timeout=30)[1], 1)
    elif cmd == "tcp-flood":
        port, conns, secs, ctl = int(a[0]), int(a[1]), float(a[2]), a[3]
        socks, refused = [], 0
        out = {"rss_idle_kb": rss_kb(pid), "idle": ctl_status(ctl)}
        for _ in range(conns):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect((HOST, port))
                socks.append(s)
            except OSError:
                s.close()
                refused += 1
        time.sleep(1)
        # The held connections, and new TCP queries, while the admin socket works.
        out["ctl_ms"] = [round(ctl_status(ctl), 1) for _ in range(5)]
        ok = 0
        for i in range(20):
            try:
                dns.query.tcp(dns.message.make_query("ns.t.test", "A"), HOST, port=port, timeout=3)
                ok += 1
            except Exception:
                pass
        out["new_tcp_ok"] = ok
        out["opened"], out["refused"] = len(socks), refused
        out["rss_max_kb"] = rss_kb(pid)
        time.sleep(max(0.0, secs - 1))
        for s in socks:
            s.close()
    else:
        sys.exit(f"unknown command {cmd}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
