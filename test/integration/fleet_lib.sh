# SPDX-License-Identifier: BSD-3-Clause
# fleet_lib.sh -- start real NSD, Knot and BIND secondaries of routerd on
# loopback, each configured the way an operator would (its own address,
# TSIG for NOTIFY and transfers), for the fleet tests and any other case
# that needs a fleet (dnstap). Source it after lib.sh.
#
#   fleet_key NAME FILE               write a fresh hmac-sha256 secret (base64) to FILE; sets FLEET_SECRET
#   start_nsd  DIR ADDR PORT PRIMARY PPORT KEYNAME SECRET ZONE...
#   start_knot DIR ADDR PORT PRIMARY PPORT KEYNAME SECRET ZONE...
#   start_bind DIR ADDR PORT PRIMARY PPORT KEYNAME SECRET ZONE...
#       each writes its config under DIR, starts the server in the
#       foreground (PID in the array FLEET_PIDS and T_PIDS, log DIR/*.log),
#       transfers from PRIMARY@PPORT with KEYNAME, takes NOTIFY from
#       127.0.0.0/8 signed with KEYNAME, and sends from ADDR (so routerd
#       tells the secondaries apart by address). NSD and Knot listen on
#       ADDR@PORT; named listens only on addresses of an interface, so it
#       listens on 127.0.0.1@PORT and still sends from ADDR (routerd's
#       fleet.secondaries entry for it says `source: ADDR`).
#   start_knot_catalog / start_bind_catalog DIR ADDR PORT PRIMARY PPORT KEYNAME SECRET CATALOG
#       the same, but the zones come from the RFC 9432 catalog zone CATALOG.
#   soa_serial ADDR PORT ZONE         the serial a server answers for ZONE (empty: none)
#   wait_serial ADDR PORT ZONE SERIAL [SECONDS]   until the server serves SERIAL (or newer)
#
# The addresses are 127.0.3.x: any of them reach the host on Linux loopback.

FLEET_PIDS=()

fleet_key() {
	FLEET_SECRET=$(head -c 32 /dev/urandom | base64)
	printf '%s\n' "$FLEET_SECRET" >"$2"
}

start_nsd() {
	local dir=$1 addr=$2 port=$3 prim=$4 pport=$5 key=$6 secret=$7 z
	shift 7
	mkdir -p "$dir"
	{
		cat <<C
server:
	ip-address: $addr@$port
	username: ""
	chroot: ""
	zonesdir: "$dir"
	database: ""
	pidfile: "$dir/nsd.pid"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	zonelistfile: "$dir/zone.list"
	logfile: "$dir/nsd.log"
	verbosity: 2
	server-count: 1
	xfrd-reload-timeout: 0
	zonefiles-write: 0
remote-control:
	control-enable: no
key:
	name: "$key"
	algorithm: hmac-sha256
	secret: "$secret"
C
		for z in "$@"; do
			cat <<C
zone:
	name: "$z"
	allow-notify: 127.0.0.0/8 $key
	request-xfr: $prim@$pport $key
	outgoing-interface: $addr
C
		done
	} >"$dir/nsd.conf"
	nsd -d -c "$dir/nsd.conf" 2>>"$dir/nsd.log" {T_LOCK}>&- &
	FLEET_PIDS+=($!)
	T_PIDS+=($!)
}

knot_head() {
	local dir=$1 addr=$2 port=$3 prim=$4 pport=$5 key=$6 secret=$7
	cat <<C
server:
    rundir: "$dir"
    listen: $addr@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "$dir"
key:
  - id: $key
    algorithm: hmac-sha256
    secret: $secret
remote:
  - id: routerd
    address: $prim@$pport
    key: $key
    via: $addr
acl:
  - id: notify
    address: 127.0.0.0/8
    key: $key
    action: notify
template:
  - id: default
    storage: "$dir"
    master: routerd
    acl: notify
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
C
}

start_knot() {
	local dir=$1 z
	mkdir -p "$dir"
	{
		knot_head "$@"
		shift 7
		echo "zone:"
		for z in "$@"; do echo "  - domain: $z"; done
	} >"$dir/knot.conf"
	knotd -c "$dir/knot.conf" 2>>"$dir/knot.log" {T_LOCK}>&- &
	FLEET_PIDS+=($!)
	T_PIDS+=($!)
}

start_knot_catalog() {
	local dir=$1 cat=$8
	mkdir -p "$dir"
	{
		knot_head "$@"
		cat <<C
  - id: member
    storage: "$dir"
    master: routerd
    acl: notify
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
zone:
  - domain: $cat
    catalog-role: interpret
    catalog-template: member
C
	} >"$dir/knot.conf"
	knotd -c "$dir/knot.conf" 2>>"$dir/knot.log" {T_LOCK}>&- &
	FLEET_PIDS+=($!)
	T_PIDS+=($!)
}

bind_head() {
	local dir=$1 addr=$2 port=$3 prim=$4 pport=$5 key=$6 secret=$7
	cat <<C
options {
	directory "$dir";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file "$dir/named.pid";
	session-keyfile "$dir/session.key";
	recursion no;
	dnssec-validation no;
	notify no;
	transfer-source $addr;
	query-source address $addr;
	notify-source $addr;
	min-refresh-time 60;
	max-journal-size 10m;
	${BIND_EXTRA:-}
};
controls { };
key "$key" { algorithm hmac-sha256; secret "$secret"; };
primaries routerd { $prim port $pport key "$key"; };
C
}

start_bind() {
	local dir=$1 key=$6 z
	mkdir -p "$dir"
	{
		bind_head "$@"
		shift 7
		for z in "$@"; do
			cat <<C
zone "$z" { type secondary; file "$z.db"; primaries { routerd; }; allow-notify { key "$key"; }; };
C
		done
	} >"$dir/named.conf"
	named -g -n 1 -c "$dir/named.conf" 2>>"$dir/named.log" {T_LOCK}>&- &
	FLEET_PIDS+=($!)
	T_PIDS+=($!)
}

start_bind_catalog() {
	local dir=$1 prim=$4 pport=$5 key=$6 cat=$8
	mkdir -p "$dir"
	{
		BIND_EXTRA="catalog-zones { zone \"$cat\" default-primaries { $prim port $pport key \"$key\"; } zone-directory \"$dir\"; };" \
			bind_head "$@"
		cat <<C
zone "$cat" { type secondary; file "catalog.db"; primaries { routerd; }; allow-notify { key "$key"; }; };
C
	} >"$dir/named.conf"
	named -g -n 1 -c "$dir/named.conf" 2>>"$dir/named.log" {T_LOCK}>&- &
	FLEET_PIDS+=($!)
	T_PIDS+=($!)
}

soa_serial() {
	kdig +time=1 +retry=0 @"$1" -p "$2" "$3" SOA +short 2>/dev/null | awk 'NR==1 {print $3}'
}

# wait_serial ADDR PORT ZONE SERIAL [SECONDS]: 0 once the server serves
# SERIAL or a newer one (RFC 1982), 1 after SECONDS (default 20).
wait_serial() {
	local i s n=$(( ${5:-20} * 20 ))
	for i in $(seq 1 "$n"); do
		s=$(soa_serial "$1" "$2" "$3")
		if [ -n "$s" ] && [ $(( (s - $4 + 4294967296) % 4294967296 )) -lt 2147483648 ]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}
