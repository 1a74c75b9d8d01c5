#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# notify.py SOCKET LOG: play the service manager's end of sd_notify(3):
# receive datagrams on the unix socket SOCKET and append each message to
# LOG, one line per message ("<monotonic seconds> <fields separated by |>"),
# until killed.
import os
import socket
import sys
import time

path, log = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode("utf-8", "replace").strip()
        out.write("%.3f %s\n" % (time.monotonic(), msg.replace("\n", "|")))
