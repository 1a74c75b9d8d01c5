#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# DNS over TCP per RFC 7766 (tcp.py): pipelining, messages split across
# writes, the idle timeout, the connection cap (the longest idle client
# makes room, UDP keeps answering), garbage; kdig over TCP for good measure.
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
zones:
  - { name: example.com, file: $here/../basic/example.com.zone }
  - { name: example.net, file: $here/../basic/example.net.zone }
CONF
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P www.example.com || { fail "routerd did not answer"; finish; }

r=$(q @127.0.0.1 -p $P +tcp big.example.com TXT)
expect_match "kdig +tcp: a 2 KB answer whole, without TC" "$r" "flags: qr aa rd; QUERY: 1; ANSWER: 40;"
# kdig +keepopen sends its queries one after another on one connection.
r=$(kdig +time=2 +retry=0 +tcp +keepopen @127.0.0.1 -p $P www.example.com A nx.example.com A host.example.net A)
expect_eq "kdig +keepopen: three answers on one connection" "$(printf '%s\n' "$r" | grep -c 'status: ')" "3"

if $PY "$here/tcp.py" $P; then ok "tcp.py"; else fail "tcp.py (see its FAIL lines above)"; fi

rd_alive && ok "routerd alive after the TCP abuse" || fail "routerd died"
stop_routerd
finish
