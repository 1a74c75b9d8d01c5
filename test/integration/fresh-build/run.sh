#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# fresh-build: `make run` on a machine without the packages works the first
# time. The machine running the test has them, so the test hides them: a
# pkg-config that knows no package and an llhttp folder that does not exist
# until the stand-in for tools/install-deps.sh "installs" both. A Makefile
# that looked for them when it was parsed, before deps ran, fails here
# (that was `No rule to make target 'build/llhttp/api.o'`).
. "$(dirname "$0")/../lib.sh"

installed=$T_DIR/installed
llhttp=$T_DIR/llhttp
cat >"$T_DIR/pkg-config" <<SH
#!/bin/sh
[ -e "$installed" ] || exit 1
exec /usr/bin/pkg-config "\$@"
SH
cat >"$T_DIR/install-deps" <<SH
#!/bin/sh
echo "stand-in install-deps: profile \$1"
[ "\$1" = run ] || { echo "make run asked for profile \$1"; exit 1; }
touch "$installed"
ln -sfn /usr/share/llhttp "$llhttp"
SH
chmod +x "$T_DIR/pkg-config" "$T_DIR/install-deps"
fresh=(-C "$TOP" B="$T_DIR/build" PKG_CONFIG="$T_DIR/pkg-config" LLHTTP_SRC="$llhttp"
	INSTALL_DEPS="$T_DIR/install-deps")

# Before anything is installed, a plain build says what to do.
out=$(make "${fresh[@]}" all 2>&1)
rc=$?
expect_eq "make all without the packages fails" "$([ $rc -ne 0 ] && echo failed)" failed
expect_match "and says to run make deps" "$out" "build dependencies missing.*make deps"
expect_no_match "not make's missing-rule error" "$out" "No rule to make target"

out=$(make "${fresh[@]}" run RUN_FLAGS=-t 2>&1)
rc=$?
expect_eq "make run on a fresh machine exits 0 the first time" "$rc" 0
expect_match "it installed the run profile first" "$out" "^stand-in install-deps: profile run"
expect_match "then built and checked conf/routerd.yaml" "$out" "conf/routerd.yaml: ok"
[ -x "$T_DIR/build/routerd" ] && ok "build/routerd built" || fail "no $T_DIR/build/routerd"
[ -x "$T_DIR/build/routerctl" ] && ok "build/routerctl built" || fail "no $T_DIR/build/routerctl"

# make run installs what building and running need, not the test peers.
run_pkgs=" $(LIST=1 "$TOP/tools/install-deps.sh" run) "
test_pkgs=" $(LIST=1 "$TOP/tools/install-deps.sh" test) "
for p in chromium prometheus unbound knot-resolver nsd bind9 libcmocka-dev; do
	case $run_pkgs in *" $p "*) fail "make run would install $p" ;; *) ok "make run leaves $p to make test" ;; esac
	case $test_pkgs in *" $p "*) ok "make test installs $p" ;; *) fail "make test does not install $p" ;; esac
done
for p in libldns-dev libuv1-dev node-llhttp pkg-config; do
	case $run_pkgs in *" $p "*) ok "make run installs $p" ;; *) fail "make run misses $p" ;; esac
done
finish
