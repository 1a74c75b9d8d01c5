#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Judge one zonemaster-cli run: zm_check.py LABEL RESULTS PROFILE SERVER...

RESULTS holds the output of `zonemaster-cli --json-stream --json-translate
--level DEBUG`: one JSON message a line. Prints "ok: ..." and "FAIL: ..."
lines and exits 1 on any failure:

- any message at WARNING, ERROR or CRITICAL (each printed in full);
- a test case of the profile that did not start, except those
  Zonemaster skips by design: basic03 runs only when basic02 finds no
  nameserver, and of the DNSSEC cases only dnssec07 runs on an unsigned zone;
- no query sent to one of the SERVERs (then nothing was tested);
- a test case other than the engine's own parent lookup (BASIC01 and
  UNSPECIFIED) sending a query elsewhere: it needs the internet, and the
  profile must leave it out.

With --expect-findings the first check is inverted: the run must report at
least one WARNING or worse (the test's negative control).
"""
import json
import sys

BAD = ("WARNING", "ERROR", "CRITICAL")
# Zonemaster looks up the parent of an undelegated zone from the root hints
# (BASIC01, and the engine itself before the DNSSEC tests). Offline those
# lookups fail fast and it takes the root as parent; nothing else may leave.
PARENT_LOOKUP = ("BASIC01", "UNSPECIFIED")


def main(argv):
    expect_findings = "--expect-findings" in argv
    argv = [a for a in argv if a != "--expect-findings"]
    label, results, profile, servers = argv[1], argv[2], argv[3], set(argv[4:])
    msgs = []
    with open(results) as f:
        for line in f:
            if line.strip():
                msgs.append(json.loads(line))
    cases = [c.upper() for c in json.load(open(profile))["test_cases"]]
    fails = 0

    def report(good, what):
        nonlocal fails
        print(("ok: " if good else "FAIL: ") + label + ": " + what)
        fails += 0 if good else 1

    findings = [m for m in msgs if m["level"] in BAD]
    if expect_findings:
        report(bool(findings), "a warning or worse is reported (%d)" % len(findings))
        return 1 if fails else 0
    for m in findings:
        report(False, "%s %s %s: %s" % (m["level"], m["testcase"], m["tag"], m.get("message", m["args"])))
    report(not findings, "no warning, error or critical message (%d messages in all)" % len(msgs))

    tags = {m["tag"] for m in msgs}
    started = {m["args"].get("testcase", "").upper() for m in msgs if m["tag"] == "TEST_CASE_START"}
    expected = set(cases)
    if "HAS_NAMESERVERS" in tags:
        expected.discard("BASIC03")
    if "NOT_SIGNED" in tags:
        expected -= {c for c in cases if c.startswith("DNSSEC") and c != "DNSSEC07"}
    # TEST_CASE_START only: Zonemaster 4.6 ends syntax08 without TEST_CASE_END.
    missing = sorted(expected - started)
    report(not missing, "every test case ran (%d): %s" % (len(expected), " ".join(missing) or "none missing"))

    asked = {m["args"]["ip"] for m in msgs if m["tag"] == "EXTERNAL_QUERY"}
    report(servers <= asked, "queries went to %s" % " and ".join(sorted(servers)))
    online = {}
    for m in msgs:
        if m["tag"] == "EXTERNAL_QUERY" and m["args"]["ip"] not in servers and m["testcase"] not in PARENT_LOOKUP:
            online.setdefault(m["testcase"], []).append("%s %s to %s" % (m["args"]["name"], m["args"]["type"], m["args"]["ip"]))
    for case, queries in sorted(online.items()):
        report(False, "%s needs the internet, leave it out of the profile: %d queries beyond the zone's servers, "
               "first %s" % (case, len(queries), queries[0]))
    report(not online, "no test case queries beyond the zone's servers")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
