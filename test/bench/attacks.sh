#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# attacks.sh -- the hostile-client table of BENCHMARKS.md: routerd (and,
# with OLD_ROUTERD=path, an older build beside it), NSD and Knot under the
# attacks of test/integration/attacks/attack.py, one after another, on
# loopback ports 16230-16249. Prints one JSON line per (server, attack).
#   test/bench/attacks.sh [ROUTERD]   (default build/routerd)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
NEW=${1:-$top/build/routerd}
OLD=${OLD_ROUTERD:-}
A=$top/test/integration/attacks/attack.py
PY=/usr/bin/python3
D=$top/build/bench-attacks
rm -rf "$D" && mkdir -p "$D"
ulimit -n 8192 2>/dev/null || true
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT

{
	echo "\$ORIGIN t.test."
	echo "\$TTL 300"
	echo "@ SOA ns hostmaster 1 14400 3600 1209600 300"
	echo "@ NS ns"
	echo "ns A 192.0.2.1"
	for i in $(seq -w 0 15); do printf 'big TXT "%s%0240d"\n' "$i" 0; done
} >"$D/t.zone"

rd_conf() { # NAME DNSPORT HTTPPORT [TCP_MAX [EXTRA_YAML]]
	mkdir -p "$D/$1"
	cat >"$D/$1/routerd.yaml" <<CONF
server: { listen: ["127.0.0.1:$2"], workers: 2, tcp_max_clients: ${4:-1000} }
state_dir: $D/$1/state
control: { socket: $D/$1/ctl.sock }
http: { listen: "127.0.0.1:$3" }
${5:-}
zones: [ { name: t.test, file: $D/t.zone } ]
switches:
  - { name: www.t.test, cdn: { cname: cdn.example.net }, origin: { a: [192.0.2.10] } }
CONF
	for i in $(seq 1 9); do
		echo "  - { name: s$i.t.test, cdn: { cname: cdn.example.net }, origin: { a: [192.0.2.1$i] } }"
	done >>"$D/$1/routerd.yaml"
}
wait_dns() { for _ in $(seq 1 100); do kdig @127.0.0.1 -p "$1" ns.t.test +time=1 +retry=0 2>/dev/null | grep -q NOERROR && return 0; sleep 0.1; done; return 1; }
start() { # LIMIT CMD...: sets SPID
	local lim=$1
	shift
	(ulimit -n "$lim" && exec "$@") >"$D/last.log" 2>&1 &
	SPID=$!
	pids+=("$SPID")
}
stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
row() { echo "{\"server\": \"$1\", \"attack\": \"$2\", \"result\": $3}"; }

nsd_start() { # PORT LIMIT
	mkdir -p "$D/nsd"
	cat >"$D/nsd/nsd.conf" <<C
server:
  ip-address: 127.0.0.1
  port: $1
  username: ""
  chroot: ""
  database: ""
  server-count: 2
  minimal-responses: yes
  rrl-ratelimit: 0
  pidfile: "$D/nsd/nsd.pid"
  xfrdfile: "$D/nsd/xfrd.state"
  zonelistfile: "$D/nsd/zone.list"
remote-control:
  control-enable: no
zone:
  name: t.test
  zonefile: "$D/t.zone"
C
	start "$2" nsd -d -c "$D/nsd/nsd.conf"
}
knot_start() { # PORT LIMIT
	rm -rf "$D/knot" && mkdir -p "$D/knot/storage"
	cat >"$D/knot/knot.conf" <<C
server:
  listen: 127.0.0.1@$1
  rundir: $D/knot
  user: root
  udp-workers: 2
  tcp-workers: 2
  background-workers: 1
database:
  storage: $D/knot/storage
template:
  - id: default
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: t.test
    file: $D/t.zone
C
	start "$2" knotd -c "$D/knot/knot.conf"
}
servers=("routerd:$NEW")
[ -n "$OLD" ] && servers+=("routerd-old:$OLD")

# DNS rows: routerd(s), NSD, Knot.
port=16230
for s in "${servers[@]}" nsd knot; do
	name=${s%%:*} bin=${s#*:}
	port=$((port + 2))
	case $name in
	routerd*) rd_conf "$name" $port $((port + 1)) && start 8192 "$bin" -c "$D/$name/routerd.yaml" ;;
	nsd) nsd_start $port 8192 ;;
	knot) knot_start $port 8192 ;;
	esac
	wait_dns $port || { echo "$name did not start"; cat "$D/last.log"; continue; }
	pid=$SPID
	# NSD serves from the processes it forks: watch the newest child of ours.
	[ "$name" = nsd ] && pid=$(pgrep -P "$SPID" -n nsd || echo "$SPID")
	row "$name" "dns-pipe 200 conns 10 s" "$($PY "$A" dns-pipe "$pid" $port big.t.test 200 10)"
	stop
done

# RLIMIT_NOFILE 1024 and 1,100 TCP clients: new TCP queries still answered.
# routerd refuses to start with the default tcp_max_clients (1000 x 2
# workers) under 1024, so it runs with 300; an older build (no budget) runs
# with the default, as in issue 14.
for s in "${servers[@]}" nsd knot; do
	name=${s%%:*} bin=${s#*:}
	port=$((port + 2))
	max=300
	[ "$name" = routerd-old ] && max=1000
	case $name in
	routerd*) rd_conf "$name-fd" $port $((port + 1)) $max && start 1024 "$bin" -c "$D/$name-fd/routerd.yaml" ;;
	nsd) nsd_start $port 1024 ;;
	knot) knot_start $port 1024 ;;
	esac
	wait_dns $port || { echo "$name did not start under 1024"; cat "$D/last.log"; continue; }
	ctl=/nonexistent
	case $name in routerd*) ctl=$D/$name-fd/ctl.sock ;; esac
	row "$name" "1100 TCP clients, RLIMIT_NOFILE 1024" "$($PY "$A" tcp-flood "$SPID" $port 1100 3 "$ctl")"
	stop
done

# HTTP and webhook rows: routerd only.
for s in "${servers[@]}"; do
	name=${s%%:*} bin=${s#*:}
	port=$((port + 2))
	h=$((port + 1))
	rd_conf "$name-http" $port $h
	start 8192 "$bin" -c "$D/$name-http/routerd.yaml"
	wait_dns $port || { echo "$name did not start"; continue; }
	row "$name" "GET /metrics pipelined, 4 conns 8 s" "$($PY "$A" http-pipe "$SPID" $h /metrics 4 8)"
	row "$name" "slowloris 2000 conns 25 s, 1 byte / 3 s" "$($PY "$A" slowloris "$SPID" $h 2000 25 3)"
	row "$name" "200 parallel webhooks" "$($PY "$A" webhooks "$SPID" $h 200 www.t.test)"
	row "$name" "7000 alerts on *" "$($PY "$A" alerts "$SPID" $h 7000 '*' "$D/$name-http/ctl.sock")"
	stop
	[ "$name" = routerd ] || continue
	# The same with bounds high enough to take every signal (70,000 and
	# 100,000 of them), and 10,000 alerts.
	port=$((port + 2))
	h=$((port + 1))
	rd_conf "$name-big" $port $h 1000 "signals: { max_per_switch: 20000, max_total: 200000 }"
	sed -i "s|^http: .*|http: { listen: \"127.0.0.1:$h\", max_body: 4M }|" "$D/$name-big/routerd.yaml"
	start 8192 "$bin" -c "$D/$name-big/routerd.yaml"
	wait_dns $port || { echo "$name did not start"; continue; }
	row "$name (bounds raised)" "7000 alerts on *" "$($PY "$A" alerts "$SPID" $h 7000 '*' "$D/$name-big/ctl.sock")"
	stop
	rm -rf "$D/$name-big/state"
	start 8192 "$bin" -c "$D/$name-big/routerd.yaml"
	wait_dns $port || { echo "$name did not start"; continue; }
	row "$name (bounds raised)" "10000 alerts on *" "$($PY "$A" alerts "$SPID" $h 10000 '*' "$D/$name-big/ctl.sock")"
	stop
done
