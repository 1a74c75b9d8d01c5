#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""svg_check.py SVG SWITCH -- the file routerctl propagation --svg wrote:
well-formed XML, one svg root, the parts of the picture, nothing that
fetches or runs. One line per check, "ok: ..." or "FAIL: ..."; exit 1 on
any failure."""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
fails = 0


def check(what, cond, detail=""):
    global fails
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " " + detail))
    fails += 0 if cond else 1


path, switch = sys.argv[1], sys.argv[2]
try:
    root = ET.parse(path).getroot()
except ET.ParseError as e:
    check("the SVG is well-formed XML", False, str(e))
    sys.exit(1)
check("the SVG is well-formed XML", True)
check("its root is an svg element (%s)" % root.tag, root.tag == NS + "svg")
by_class = {}
for el in root.iter():
    for c in el.get("class", "").split():
        by_class.setdefault(c, []).append(el)
band = by_class.get("band", [])
check("a band path with a closed outline", len(band) == 1 and band[0].tag == NS + "path" and "Z" in band[0].get("d", ""))
for c in ("expected", "refetched"):
    els = by_class.get(c, [])
    check("the %s line" % c, len(els) == 1 and els[0].get("d", "").startswith("M"))
for c in ("one-pct", "flip-marker", "legend", "headline", "errors-old"):
    check("the %s group" % c, len(by_class.get(c, [])) == 1)
check("error bars, one a minute reported", len(by_class.get("errors-old", [root])[0].findall(NS + "rect")) >= 1)
text = "".join(root.itertext())
for want in (switch, "cdn \u2192 origin", "estimate band (lower\u2013upper, 90%)", "expected", "re-fetched",
             "1% of traffic", "below 1%"):
    check("the text says %r" % want, want in text)
bad = [el.tag for el in root.iter() if el.tag in (NS + "script", NS + "image", NS + "foreignObject")]
bad += [k for el in root.iter() for k in el.attrib if k.endswith("href")]
check("nothing that runs or fetches", not bad, repr(bad))
sys.exit(1 if fails else 0)
