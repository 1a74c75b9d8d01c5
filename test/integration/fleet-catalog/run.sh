#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fleet catalog zone (RFC 9432): Knot 3.2 and BIND 9.18 secondaries
# configured with only routerd's catalog zone serve every zone routerd
# serves, pick up a zone added by a reload, and drop one removed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fleet_lib.sh"
P=16322 H=16323 KP=16320 BP=16321
KNOT=127.0.3.22 BIND=127.0.3.23
CAT=catalog.routerd.invalid.
KEY=xfr.routerd.
fleet_key $KEY "$T_DIR/xfr.key"
SECRET=$FLEET_SECRET
SECS="$KNOT:$KP 127.0.0.1:$BP"
for z in c1 c2 c3; do
	sed "s/t\.test\./$z.test./" <(write_t_zone /dev/stdout 7) >"$T_DIR/$z.zone"
done
config() { # ZONE...
	{
		cat <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 1 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
http: { listen: "127.0.0.1:$H" }
fleet:
  keys: [ { name: $KEY, secret_file: $T_DIR/xfr.key } ]
  secondaries:
    - { name: knot, address: "$KNOT:$KP", key: $KEY }
    - { name: bind, address: "127.0.0.1:$BP", key: $KEY, source: $BIND }
  transfer_allow: ["127.0.0.1"]   # the probe below
  catalog: $CAT
zones:
CONF
		for z in "$@"; do echo "  - { name: $z.test, file: $T_DIR/$z.zone }"; done
	} >"$T_DIR/routerd.yaml"
}
serves_all() { # WHAT ZONE [SECONDS]
	local s bad=""
	for s in $SECS; do wait_serial ${s%:*} ${s#*:} "$2" 7 "${3:-30}" || bad="$bad $s"; done
	if [ -z "$bad" ]; then ok "$1"; else fail "$1: not served at$bad"; fi
}
drops_all() { # WHAT ZONE [SECONDS]
	local s i bad
	for i in $(seq 1 $(( ${3:-30} * 10 ))); do
		bad=""
		for s in $SECS; do [ -n "$(soa_serial ${s%:*} ${s#*:} "$2")" ] && bad="$bad $s"; done
		[ -z "$bad" ] && { ok "$1"; return; }
		sleep 0.1
	done
	fail "$1: still served at$bad"
}

config c1 c2
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P c1.test || { fail "routerd does not answer"; finish; }
expect_match "routerd serves the catalog zone" "$(kdig +time=2 @127.0.0.1 -p $P $CAT AXFR -y hmac-sha256:$KEY:$SECRET 2>&1)" "PTR[[:space:]]+c2\.test\."
start_knot_catalog "$T_DIR/knot" $KNOT $KP 127.0.0.1 $P $KEY "$SECRET" $CAT
start_bind_catalog "$T_DIR/bind" $BIND $BP 127.0.0.1 $P $KEY "$SECRET" $CAT
serves_all "Knot and BIND serve c1.test from the catalog alone" c1.test 40
serves_all "and c2.test" c2.test 20

config c1 c3
kill -HUP "$RD_PID"
wait_log "reloaded" 10 || fail "no reload"
serves_all "a zone added by a reload reaches them through the catalog" c3.test 40
drops_all "a zone removed is dropped" c2.test 40
expect_match "routerctl fleet config knot configures the catalog" "$(kdig +time=1 @127.0.0.1 -p $P c1.test SOA >/dev/null; $TOP/build/routerctl -s $T_DIR/ctl.sock fleet config knot)" "catalog-role: interpret"
stop_routerd
finish
