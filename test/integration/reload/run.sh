#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SIGHUP reload: a good change (zone data, serial, a zone added or removed
# in the config) is served; a broken zone file, a missing zone file or a
# broken config is refused with an error on stderr while the previous data
# keeps serving; queries never fail during reloads; the process lives on
# and stops cleanly (the sanitizer build also catches views never freed).
. "$(dirname "$0")/../lib.sh"
P=15321
zone=$T_DIR/r.zone
conf=$T_DIR/routerd.yaml

# write_zone SERIAL WWW-ADDRESS EXTRA-LINE: replace the zone file atomically.
write_zone() {
	cat >"$zone.tmp" <<Z
\$ORIGIN r.test.
\$TTL 300
@ SOA ns hostmaster $1 3600 600 604800 60
@ NS ns
ns A 192.0.2.1
www A $2
$3
Z
	mv "$zone.tmp" "$zone"
}
# write_conf [EXTRA-ZONE-LINE [EXTRA-TOP-LINE]]
write_conf() {
	cat >"$conf.tmp" <<CONF
server: { listen: ["127.0.0.1:$P"], workers: 2 }
state_dir: $T_DIR/state
control: { socket: $T_DIR/ctl.sock }
zones:
  - { name: r.test, file: $zone }
${1:-}
${2:-}
CONF
	mv "$conf.tmp" "$conf"
}
cat >"$T_DIR/s.zone" <<'Z'
$ORIGIN s.test.
@ 300 SOA ns.r.test. hostmaster.r.test. 1 3600 600 604800 60
@ 300 NS ns.r.test.
www 300 A 203.0.113.5
Z

a() { q @127.0.0.1 -p $P +short "$@"; }
# wait_for WHAT NAME WANT [TYPE]: the short answer becomes WANT within 5 s.
wait_for() {
	local i got
	for i in $(seq 1 50); do
		got=$(a "$2" "${4:-A}")
		[ "$got" == "$3" ] && { ok "$1"; return 0; }
		sleep 0.1
	done
	fail "$1: still [$got] for $2, wanted [$3]"
}
# hup_and_wait_log WHAT REGEX: SIGHUP, then REGEX must appear in the log.
hup_and_wait_log() {
	kill -HUP "$RD_PID"
	if wait_log "$2" 10; then ok "$1"; else fail "$1: no /$2/ in the log:"; tail -n 20 "$RD_LOG"; fi
}

write_zone 1 192.0.2.10 "old A 192.0.2.99"
write_conf
start_routerd "$conf"
wait_answer 127.0.0.1 $P r.test || { fail "routerd did not answer"; finish; }
expect_eq "first data" "$(a www.r.test)" "192.0.2.10"
expect_eq "first serial" "$(a r.test SOA | cut -d' ' -f3)" "1"
expect_eq "a record only in the first version" "$(a old.r.test)" "192.0.2.99"

# -- A good zone change.
write_zone 2 192.0.2.20 "new A 192.0.2.21"
kill -HUP "$RD_PID"
wait_for "SIGHUP: the changed record is served" www.r.test 192.0.2.20
expect_eq "SIGHUP: the new serial" "$(a r.test SOA | cut -d' ' -f3)" "2"
expect_eq "SIGHUP: a new record" "$(a new.r.test)" "192.0.2.21"
expect_match "SIGHUP: a removed record is gone" "$(q @127.0.0.1 -p $P old.r.test A)" "status: NXDOMAIN"

# -- Queries keep flowing during reloads: none may fail or see other data.
(for i in $(seq 1 300); do a www.r.test; done) >"$T_DIR/during.txt" 2>&1 &
qpid=$!
for i in $(seq 1 20); do kill -HUP "$RD_PID"; sleep 0.05; done
wait $qpid
expect_eq "300 queries during 20 reloads: all answered 192.0.2.20" \
	"$(grep -c '^192\.0\.2\.20$' "$T_DIR/during.txt")" "300"

# -- A broken zone: refused, logged as an error, the old data serves.
printf 'www CNAME ns\n' >>"$zone" # CNAME beside the A record, line 8
hup_and_wait_log "broken zone: the error is logged at error level with file:line" \
	"^<3>.*r\.zone:8: error: .*CNAME"
expect_match "broken zone: the reload is said to have failed" "$(cat "$RD_LOG")" "reload failed"
expect_eq "broken zone: the old data serves" "$(a www.r.test)" "192.0.2.20"
expect_eq "broken zone: the old serial serves" "$(a r.test SOA | cut -d' ' -f3)" "2"

# -- A missing zone file: same, reported at the config line that names it.
mv "$zone" "$zone.away"
hup_and_wait_log "missing zone: the error is logged at the config's line" \
	"^<3>.*routerd\.yaml:5:[0-9]+: error: .*r\.zone.*(No such file|cannot open|cannot read)"
expect_eq "missing zone: the old data serves" "$(a www.r.test)" "192.0.2.20"
mv "$zone.away" "$zone"

# -- A broken config: refused, logged with file:line:col, the old data serves.
write_zone 3 192.0.2.30 ""
write_conf "" "bogus: 1"
hup_and_wait_log "broken config: the error is logged with file:line:col" \
	"^<3>.*routerd\.yaml:7:1: error: .*unknown key \"bogus\""
expect_eq "broken config: the old data serves (not the new zone)" "$(a www.r.test)" "192.0.2.20"

# -- Fixed again: the new zone serves.
write_conf
kill -HUP "$RD_PID"
wait_for "config fixed: the new zone serves" www.r.test 192.0.2.30

# -- Zones added and removed by a reload.
write_conf "  - { name: s.test, file: $T_DIR/s.zone }"
kill -HUP "$RD_PID"
wait_for "a zone added by reload is served" www.s.test 203.0.113.5
expect_match "  and answers authoritatively" "$(q @127.0.0.1 -p $P www.s.test)" "flags: qr aa rd;"
write_conf
kill -HUP "$RD_PID"
for i in $(seq 1 50); do
	q @127.0.0.1 -p $P www.s.test | grep -q "status: REFUSED" && break
	sleep 0.1
done
expect_match "a zone removed by reload is REFUSED" "$(q @127.0.0.1 -p $P www.s.test)" "status: REFUSED"
expect_eq "  while the other zone still serves" "$(a www.r.test)" "192.0.2.30"

# -- SIGUSR1 (reopen logs) does no harm.
kill -USR1 "$RD_PID"
sleep 0.3
rd_alive && ok "alive after SIGUSR1" || fail "SIGUSR1 killed routerd"
expect_eq "still serving after everything" "$(a www.r.test)" "192.0.2.30"
stop_routerd
finish
