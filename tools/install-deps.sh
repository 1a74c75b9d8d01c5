#!/bin/sh
# Install every Debian 12 package routerd builds, runs, tests and benchmarks
# with. Non-interactive; does nothing when all are present already.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libldns-dev libuv1-dev libyaml-dev libcmocka-dev libjansson-dev libssl-dev libsystemd-dev node-llhttp
knot-dnsutils dnsutils ldnsutils python3 python3-dnspython chromium chromium-driver
nsd knot gdnsd dnsperf zonemaster-cli dnsviz bind9 bind9-utils prometheus prometheus-alertmanager curl iproute2 procps"

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
