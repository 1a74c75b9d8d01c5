# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# ns53.sh -- sourced by the zonemaster and dnsviz run.sh in place of lib.sh
# (it sources lib.sh): serve the example zones on port 53 of 127.0.0.2 and
# 127.0.0.3, the addresses the zones give ns1 and ns2, with routerd or NSD.
#
# zonemaster-cli has no port option, and both checkers compare the servers'
# addresses with the zones' own A records, so the servers must listen on
# port 53 of exactly those addresses. To own that port without clashing
# with anything else on the host, and to be sure that no query leaves the
# machine (the checkers fall back to the root servers for what they cannot
# find locally), the test re-runs itself in a private network namespace
# (`unshare --net`: a loopback interface and nothing else). Where that is
# not allowed (no CAP_SYS_ADMIN, as in a default Docker container) it runs
# in the host's namespace if the ports are free (NS53_NETNS=0), and skips
# otherwise.
#
# Usage in a run.sh:   . "$(dirname "$0")/../zonemaster/ns53.sh"
#                      for target in $(ns53_targets "$@"); do
#                          ns53_start "$target" || continue
#                          ...checks, labelled with $target...
#                          ns53_stop
#                      done
if [ -z "${NS53_NETNS+x}" ]; then
	if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
		# exec keeps our PID and process group, so run-all's timeout still
		# reaches this test and everything it starts.
		NS53_NETNS=1 exec unshare --net -- bash "$0" "$@"
	fi
	NS53_NETNS=0
fi
export NS53_NETNS
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NS53_ZONES="example.com example.org"
NS53_TARGET=""
NS53_PID=""
NS53_NETNS_ID=$(readlink /proc/$$/ns/net)

# ns53_cleanup: lib.sh's cleanup (every PID in T_PIDS), then what the
# checkers leave behind when a timeout kills them. `dnsviz probe -N` serves
# the made-up parent zone with a named of its own, which it stops only on
# a normal exit; its working directory is under $T_DIR/tmp (TMPDIR).
ns53_cleanup() {
	local f p d
	cleanup
	for f in "$T_DIR"/tmp/dnsviz*/named.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		# Only the named that dnsviz started for this test: its command
		# line names its config in our temp directory.
		grep -qF "$T_DIR/tmp/" "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p"
	done
	if [ "$NS53_NETNS" = 1 ]; then
		# Anything still in our private namespace was started by this test.
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			[ "$p" = $$ ] && continue
			[ "$(readlink "$d/ns/net" 2>/dev/null)" = "$NS53_NETNS_ID" ] && kill -KILL "$p" 2>/dev/null
		done
	fi
}
trap ns53_cleanup EXIT
# A TERM (run-all's timeout) or an INT exits through the EXIT trap too.
trap 'exit 143' TERM
trap 'exit 130' INT

mkdir -p "$T_DIR/tmp"
export TMPDIR=$T_DIR/tmp

if [ "$NS53_NETNS" = 1 ]; then
	ip link set lo up || { fail "cannot bring up lo in the private network namespace"; finish; }
	echo "running in a private network namespace: loopback only"
else
	[ "$(id -u)" -eq 0 ] || skip "needs root to listen on port 53 (or unshare --net)"
	if ss -Hlnut 'sport = :53' | awk '{ print $5 }' |
		grep -Eq '^(127\.0\.0\.[23]|0\.0\.0\.0|\*|\[::\]|\[::ffff:127\.0\.0\.[23]\]):53$'; then
		skip "port 53 of 127.0.0.2 or 127.0.0.3 is taken by another server (and unshare --net is not allowed here)"
	fi
	echo "no private network namespace (unshare --net not allowed, or NS53_NETNS=0): running in the host's"
fi

# ns53_run SECONDS COMMAND...: run a checker, killed (TERM, KILL 5 s
# later) if it takes longer; returns its exit status (124: timed out).
# It runs in the background and we wait for it, because a TERM for this
# test (run-all's timeout) must not wait for it: a foreground `timeout`
# sits in a process group of its own, which run-all's signal misses, and
# bash runs the trap only once the foreground command is done. Listed in
# T_PIDS meanwhile, so cleanup stops it.
ns53_run() {
	local secs=$1 pid rc p keep=()
	shift
	timeout -k 5 "$secs" "$@" {T_LOCK}>&- &
	pid=$!
	T_PIDS+=("$pid")
	wait "$pid"
	rc=$?
	for p in "${T_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	T_PIDS=("${keep[@]}")
	[ $rc -eq 124 ] && echo "timed out after $secs s: $*" | cut -c1-200
	return $rc
}

# ns53_targets [TARGET...]: the servers to test, NSD (the reference, if
# installed) then routerd, unless the command line names them.
ns53_targets() {
	if [ $# -gt 0 ]; then
		echo "$@"
	elif command -v nsd >/dev/null; then
		echo nsd routerd
	else
		echo "NSD is not installed: no reference run, routerd only" >&2
		echo routerd
	fi
}

# ns53_start routerd|nsd: serve both zones on 127.0.0.2:53 and 127.0.0.3:53
# and wait until both addresses answer. Returns 1 (after a FAIL) if not.
ns53_start() {
	local dir=$T_DIR/$1 z
	NS53_TARGET=$1
	mkdir -p "$dir"
	case $1 in
	routerd)
		{
			echo 'server: { listen: ["127.0.0.2:53", "127.0.0.3:53"], workers: 1 }'
			echo "state_dir: $dir/state"
			echo "control: { socket: $dir/ctl.sock }"
			echo "zones:"
			for z in $NS53_ZONES; do echo "  - { name: $z, file: $TOP/zones/$z.zone }"; done
		} >"$dir/routerd.yaml"
		start_routerd "$dir/routerd.yaml" "$dir/routerd.log"
		NS53_PID=$RD_PID
		;;
	nsd)
		{
			echo "server:"
			echo "    ip-address: 127.0.0.2@53"
			echo "    ip-address: 127.0.0.3@53"
			echo "    port: 53"
			echo '    username: ""'
			echo '    chroot: ""'
			echo '    database: ""'
			echo '    zonesdir: ""'
			echo "    pidfile: \"$dir/nsd.pid\""
			echo "    xfrdfile: \"$dir/xfrd.state\""
			echo "    zonelistfile: \"$dir/zone.list\""
			echo "    server-count: 1"
			echo "    minimal-responses: yes"
			echo "remote-control:"
			echo "    control-enable: no"
			for z in $NS53_ZONES; do
				echo "zone:"
				echo "    name: $z"
				echo "    zonefile: \"$TOP/zones/$z.zone\""
			done
		} >"$dir/nsd.conf"
		nsd -d -c "$dir/nsd.conf" 2>"$dir/nsd.log" {T_LOCK}>&- &
		NS53_PID=$!
		T_PIDS+=("$NS53_PID")
		;;
	*)
		fail "unknown server $1 (routerd or nsd)"
		return 1
		;;
	esac
	for z in $NS53_ZONES; do
		if ! wait_answer 127.0.0.2 53 "$z" || ! wait_answer 127.0.0.3 53 "$z"; then
			fail "$1 does not answer for $z on 127.0.0.2:53 and 127.0.0.3:53"
			[ "$1" = nsd ] && sed -n '1,20p' "$dir/nsd.log"
			ns53_stop
			return 1
		fi
	done
	echo "== $1 serves $NS53_ZONES on 127.0.0.2:53 and 127.0.0.3:53"
}

# ns53_stop: stop the server ns53_start started, by PID. routerd must exit
# 0 without a sanitizer report (lib.sh's stop_routerd); NSD is only stopped.
ns53_stop() {
	local _
	case $NS53_TARGET in
	routerd) [ -n "$RD_PID" ] && stop_routerd ;;
	nsd)
		kill -TERM "$NS53_PID" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$NS53_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$NS53_PID" 2>/dev/null
		wait "$NS53_PID" 2>/dev/null
		;;
	esac
	NS53_PID=""
}
