# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the Python parts of the integration tests: one check() that
prints ok/FAIL lines in lib.sh's format and counts the failures."""

failures = 0


def check(what, cond, detail=""):
    global failures
    if cond:
        print("ok: " + what)
    else:
        failures += 1
        print("FAIL: " + what + (" (" + detail + ")" if detail else ""))
