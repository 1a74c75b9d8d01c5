#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Post a stream of down/up signals (each flips the switch), noting which
were acknowledged, until the daemon dies under it. Prints one JSON line:
{"acked": [ids...], "failed_at": id}."""
import json
import sys
import urllib.request

port = int(sys.argv[1])
acked = []
failed_at = None
for i in range(100000):
    status = "down" if i % 2 == 0 else "up"
    body = json.dumps({"switch": "www.t.test", "target": "cdn", "status": status, "id": "s%d" % (i // 2)})
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/signal" % port, data=body.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            if r.status == 200:
                acked.append((status, "s%d" % (i // 2)))
                continue
    except Exception:
        pass
    failed_at = (status, "s%d" % (i // 2))
    break
print(json.dumps({"acked": acked, "failed_at": failed_at}))
