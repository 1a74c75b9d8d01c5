#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# make install PREFIX=/usr/local DESTDIR=...: the binaries, the systemd unit
# (its paths following PREFIX, still scoring 2.5 or less), the man pages
# (each renders with man -l), the documentation and an example config that
# routerd -t accepts; a second install keeps an edited config.
. "$(dirname "$0")/../lib.sh"
D=$T_DIR/root
out=$(make -s -C "$TOP" install PREFIX=/usr/local DESTDIR="$D" 2>&1) || { fail "make install failed:"$'\n'"$out"; finish; }
for f in usr/local/sbin/routerd usr/local/sbin/routerctl usr/local/lib/systemd/system/routerd.service \
	usr/local/share/man/man8/routerd.8 usr/local/share/man/man8/routerctl.8 \
	usr/local/share/man/man5/routerd.yaml.5 usr/local/share/doc/routerd/README.md \
	usr/local/share/doc/routerd/routerd.full.yaml etc/routerd/routerd.yaml etc/routerd/zones/example.com.zone; do
	if [ -s "$D/$f" ]; then ok "installed /$f"; else fail "/$f not installed"; fi
done
expect_match "the installed routerd runs" "$("$D/usr/local/sbin/routerd" -V)" '^routerd [0-9]'
for page in man8/routerd.8:routerd man8/routerctl.8:routerctl man5/routerd.yaml.5:routerd.yaml; do
	f=$D/usr/local/share/man/${page%%:*}
	# man-db drops bold and underline when its output is not a terminal.
	txt=$(MANWIDTH=80 man -l "$f" 2>"$T_DIR/man.err")
	expect_match "man -l renders ${page%%:*}: NAME" "$txt" "^NAME$"
	expect_match "man -l renders ${page%%:*}: its name line" "$txt" "^ +${page##*:} - [a-z]"
	expect_eq "man -l ${page%%:*}: no warnings" "$(cat "$T_DIR/man.err")" ""
done
expect_match "routerd.yaml(5) documents server.rrl" "$(man -l "$D/usr/local/share/man/man5/routerd.yaml.5" 2>/dev/null)" 'responses_per_second'
unit=$D/usr/local/lib/systemd/system/routerd.service
expect_match "the unit starts the installed binary" "$(cat "$unit")" '^ExecStart=/usr/local/sbin/routerd -c /etc/routerd/routerd.yaml$'
if command -v systemd-analyze >/dev/null; then
	score=$(systemd-analyze security --offline=true "$unit" 2>&1 | sed -n 's/.*Overall exposure level for routerd.service: \([0-9.]*\).*/\1/p')
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then ok "installed unit exposure $score <= 2.5"; else fail "installed unit exposure [$score]"; fi
fi
# The example config, with its /etc paths under DESTDIR, passes routerd -t.
sed "s|/etc/routerd/|$D/etc/routerd/|g" "$D/etc/routerd/routerd.yaml" >"$T_DIR/check.yaml"
expect_match "routerd -t accepts the example config" "$("$D/usr/local/sbin/routerd" -t -c "$T_DIR/check.yaml" 2>&1)" ': ok: 2 zones, 2 switches'
# Installing again keeps what the operator changed.
echo "# edited" >>"$D/etc/routerd/routerd.yaml"
out=$(make -s -C "$TOP" install PREFIX=/usr/local DESTDIR="$D" 2>&1)
expect_match "a second install keeps the config" "$(tail -n 1 "$D/etc/routerd/routerd.yaml")" '^# edited$'
# Another PREFIX: the unit follows it.
make -s -C "$TOP" install PREFIX=/opt/routerd DESTDIR="$T_DIR/opt" >/dev/null 2>&1
expect_match "PREFIX=/opt/routerd: the unit's ExecStart follows" \
	"$(cat "$T_DIR/opt/opt/routerd/lib/systemd/system/routerd.service" 2>&1)" '^ExecStart=/opt/routerd/sbin/routerd '
finish
