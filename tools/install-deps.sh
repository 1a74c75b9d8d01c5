#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# install-deps.sh [run|test|bench]: install the Debian 12 packages routerd
# needs to build and run, or also to test, or also to benchmark.
# Non-interactive; does nothing when all are present already.
set -eu

# What building and running need (make run), then what the tests and the
# benchmarks add (make test, make bench): a newcomer's `make run` does not
# pull in Chromium, Prometheus and five recursive resolvers.
RUN_PKGS="build-essential pkg-config
libldns-dev libuv1-dev libyaml-dev libjansson-dev libssl-dev libsystemd-dev node-llhttp
knot-dnsutils
libfstrm-dev libprotobuf-c-dev protobuf-c-compiler golang-github-dnstap-golang-dnstap-dev"
TEST_PKGS="$RUN_PKGS clang libclang-rt-14-dev libcmocka-dev clang-format-19
dnsutils ldnsutils python3 python3-dnspython chromium chromium-driver
nsd knot gdnsd zonemaster-cli dnsviz bind9 bind9-utils prometheus prometheus-alertmanager curl iproute2 procps
unbound knot-resolver pdns-recursor dnsmasq-base
knot-module-dnstap fstrm-bin systemd scdoc man-db"
BENCH_PKGS="$TEST_PKGS dnsperf"

case "${1:-test}" in
run) PKGS=$RUN_PKGS ;;
test) PKGS=$TEST_PKGS ;;
bench) PKGS=$BENCH_PKGS ;;
*) echo "usage: install-deps.sh [run|test|bench]" >&2; exit 2 ;;
esac

# LIST=1: print the packages of the profile, install nothing.
if [ "${LIST:-0}" = 1 ]; then
	echo $PKGS
	exit 0
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# The reference servers (nsd, knot, gdnsd) must not start as system services
# on install: the tests start their own instances on loopback ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
fi
echo "install-deps: installing:$missing"
$SUDO apt-get update -qq
$SUDO apt-get install -y -q --no-install-recommends $missing

# The recursive resolvers (unbound, knot-resolver, pdns-recursor; bind9 as
# named) are test subjects only: test/integration/propagation runs its own
# instances on 127.0.0.21-25 with configs in build/. policy-rc.d kept them
# from starting now, but on a host booted with systemd the packages enable
# their units, and at the next boot they would take port 53 on loopback
# (named on every address, 127.0.0.2 and .3 included, which the dnsviz and
# zonemaster cases serve on). Disable the units of what was just installed.
# dnsmasq-base is the bare binary: no service to disable.
if [ -d /run/systemd/system ]; then
	units=""
	for p in $missing; do
		case $p in
		unbound) units="$units unbound.service unbound-resolvconf.service" ;;
		knot-resolver) units="$units kresd.target kresd@1.service kres-cache-gc.service" ;;
		pdns-recursor) units="$units pdns-recursor.service" ;;
		bind9) units="$units named.service" ;;
		esac
	done
	[ -z "$units" ] || $SUDO systemctl disable --now $units 2>/dev/null || true
fi
