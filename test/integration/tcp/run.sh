#!/usr/bin/env bash
# DNS over TCP per RFC 7766: pipelining, split messages, idle timeout, the
# connection cap (the longest idle client makes room), garbage.
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
P=15331
cat >"$T_DIR/routerd.yaml" <<CONF
server:
  listen: ["127.0.0.1:$P"]
  workers: 1
  tcp_idle_timeout: 2s
  tcp_max_clients: 4
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones: [ { name: t.test, file: $here/t.zone } ]
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.t.test || { fail "no answer"; finish; }
$PY - $P <<'PY' || T_FAILS=$((T_FAILS + 1))
import socket, struct, sys, time
port = int(sys.argv[1])
fails = 0
def check(what, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + what)
    fails += 0 if cond else 1
def query(qid, name=b"\x03www\x01t\x04test\x00", qtype=1):
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", qtype, 1)
    return struct.pack(">H", len(msg)) + msg
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s
def read_msg(s):
    hdr = b""
    while len(hdr) < 2:
        c = s.recv(2 - len(hdr))
        if not c:
            return None
        hdr += c
    n = struct.unpack(">H", hdr)[0]
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            return None
        body += c
    return body

s = conn()
s.sendall(query(1) + query(2, qtype=28) + query(3, b"\x02nx\x01t\x04test\x00"))
ids = [struct.unpack(">H", read_msg(s)[:2])[0] for _ in range(3)]
check("three pipelined queries, three answers in order %s" % ids, ids == [1, 2, 3])
q = query(4)
s.sendall(q[:7]); time.sleep(0.3); s.sendall(q[7:])
r = read_msg(s)
check("a query split over two writes is answered", r is not None and r[:2] == b"\x00\x04")
s.close()

s = conn()
t0 = time.time()
s.settimeout(6)
closed = s.recv(10) == b""
dt = time.time() - t0
check("an idle connection is closed after the timeout (%.1fs)" % dt, closed and 1.0 <= dt <= 5.0)
s.close()

idle = [conn() for _ in range(4)]
time.sleep(0.2)
s = conn()
s.sendall(query(5))
r = read_msg(s)
check("a fifth client is served while four sit idle", r is not None and r[:2] == b"\x00\x05")
idle[0].settimeout(1)
try:
    first_closed = idle[0].recv(10) == b""
except socket.timeout:
    first_closed = False
check("the longest idle connection made room", first_closed)
for c in idle:
    c.close()
s.close()

s = conn()
s.sendall(b"\x00\x05abcde")   # shorter than a DNS header
s.settimeout(2)
try:
    gone = s.recv(10) == b""
except socket.timeout:
    gone = False
check("garbage closes the connection", gone)
s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
u.sendto(query(6)[2:], ("127.0.0.1", port))
check("UDP still answers", u.recv(512)[:2] == b"\x00\x06")
sys.exit(1 if fails else 0)
PY
stop_routerd
finish
