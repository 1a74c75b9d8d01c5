#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# blast.py SERVER PORT SOURCE COUNT NAME TYPE [--random] [--sockets N]
#          [--edns] [--seconds S]
# Send COUNT UDP queries for NAME/TYPE from address SOURCE (N sockets,
# so several source ports: the kernel spreads them over routerd's workers),
# then read every reply for a second. --random puts a random label in front
# of NAME (NXDOMAIN floods). --seconds spreads the queries over S seconds.
# Prints one JSON line: sent, answers (full responses), truncated (TC with
# no records), tc_bad (TC responses that were not an empty question echo),
# opt (TC responses that kept the OPT record), rcodes.
import json
import random
import select
import socket
import sys
import time

import dns.flags
import dns.message
import dns.rcode

a = sys.argv[1:]
server, port, source, count, name, qtype = a[0], int(a[1]), a[2], int(a[3]), a[4], a[5]
rand = "--random" in a
edns = "--edns" in a
nsock = int(a[a.index("--sockets") + 1]) if "--sockets" in a else 1
seconds = float(a[a.index("--seconds") + 1]) if "--seconds" in a else 0.0

socks = []
for _ in range(nsock):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((source, 0))
    s.setblocking(False)
    socks.append(s)

res = {"sent": 0, "answers": 0, "truncated": 0, "tc_bad": 0, "opt": 0, "rcodes": {}}


def drain(deadline):
    while True:
        left = deadline - time.monotonic()
        r, _, _ = select.select(socks, [], [], max(0.0, left))
        if not r:
            return
        for s in r:
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                m = dns.message.from_wire(data)
                rc = dns.rcode.to_text(m.rcode())
                res["rcodes"][rc] = res["rcodes"].get(rc, 0) + 1
                if m.flags & dns.flags.TC:
                    res["truncated"] += 1
                    if m.answer or m.authority or len(m.question) != 1:
                        res["tc_bad"] += 1
                    if m.edns >= 0:
                        res["opt"] += 1
                else:
                    res["answers"] += 1


start = time.monotonic()
for i in range(count):
    qn = ("r%08x." % random.getrandbits(32) + name) if rand else name
    q = dns.message.make_query(qn, qtype, use_edns=0 if edns else False)
    s = socks[i % nsock]
    try:
        s.sendto(q.to_wire(), (server, port))
        res["sent"] += 1
    except BlockingIOError:
        pass
    if seconds > 0:
        due = start + seconds * (i + 1) / count
        if due > time.monotonic():
            drain(due)
    elif i % 50 == 49:
        drain(time.monotonic())
drain(time.monotonic() + 1.0)
print(json.dumps(res))
