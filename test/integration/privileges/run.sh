#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Privileges: started as root with server.user set, routerd binds port 53
# (and an unprivileged port), then runs as that user with no capability
# left in any thread (/proc/PID/task/*/status: uids, CapEff, CapPrm,
# CapInh, CapBnd, CapAmb, NoNewPrivs). A reload that adds a port below
# 1024 is refused with a clear error and nothing of it is applied (its
# zone change neither); a plain reload still works as the user.
. "$(dirname "$0")/../lib.sh"
P=16610
LOW=127.0.166.1 # port 53 on an address of this case's own
U=routerd-test
[ "$(id -u)" -eq 0 ] || skip "needs root (to start as root and drop)"
# A system user of our own, made once (idempotent: an existing one is kept).
if ! getent passwd "$U" >/dev/null; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U" ||
		{ fail "cannot create user $U"; finish; }
fi
uid=$(id -u "$U")
chmod 755 "$T_DIR" # the user reads the zone and config at reload

write_zone() {
	cat >"$T_DIR/t.zone" <<Z
\$ORIGIN t.test.
\$TTL 300
@ SOA ns hostmaster $1 14400 3600 1209600 300
@ NS ns
ns A 192.0.2.1
www A $2
Z
}
write_conf() {
	cat >"$T_DIR/routerd.yaml" <<CONF
server: { listen: ["$LOW:53", "127.0.0.1:$P" $1], workers: 2, user: $U }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones: [ { name: t.test, file: $T_DIR/t.zone } ]
CONF
}
write_zone 1 192.0.2.10
write_conf ""
start_routerd "$T_DIR/routerd.yaml"
wait_answer 127.0.0.1 $P t.test || { fail "routerd did not start"; finish; }
expect_eq "answers on $LOW:53 (bound as root)" "$(q @$LOW -p 53 +short www.t.test A)" "192.0.2.10"
expect_match "logs the user it runs as" "$(cat "$RD_LOG")" "running as user $U \\(uid $uid"

# Every thread: the user's uids, no capability, no way back.
bad=""
n=0
for st in /proc/$RD_PID/task/*/status; do
	n=$((n + 1))
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")
	[ "$u" == "$uid $uid $uid $uid" ] || bad="$bad $st: Uid $u;"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(awk -v k="$c:" '$1 == k { print $2 }' "$st")
		[ "$v" == "0000000000000000" ] || bad="$bad $st: $c $v;"
	done
	[ "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" == 1 ] || bad="$bad $st: NoNewPrivs not set;"
done
expect_eq "all $n threads run as $U with no capability" "$bad" ""
expect_eq "state_dir handed to $U" "$(stat -c %U "$T_DIR/state")" "$U"

# A reload adding port 853: refused, and none of it applies.
write_zone 2 192.0.2.20
write_conf ", \"$LOW:853\""
kill -HUP "$RD_PID"
if wait_log "reload failed" 10; then ok "reload with a new low port refused"; else fail "no 'reload failed' in the log"; fi
expect_match "the error names the address and why" "$(cat "$RD_LOG")" \
	"server.listen adds $LOW:853: a port below 1024 needs root or CAP_NET_BIND_SERVICE"
expect_eq "the old zone data still served" "$(q @127.0.0.1 -p $P +short www.t.test A)" "192.0.2.10"
if port_listening 853 && ss -Hlnu "( sport = :853 )" | grep -q "$LOW"; then fail "$LOW:853 is bound"; else ok "$LOW:853 not bound"; fi
rd_alive && ok "routerd still running" || fail "routerd died on the refused reload"

# The same change without the new port: applied, read as the user.
write_conf ""
kill -HUP "$RD_PID"
for i in $(seq 1 50); do
	[ "$(q @127.0.0.1 -p $P +short www.t.test A)" == "192.0.2.20" ] && break
	sleep 0.1
done
expect_eq "a plain reload as $U serves the new zone" "$(q @127.0.0.1 -p $P +short www.t.test A)" "192.0.2.20"
stop_routerd
finish
