#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""png_check.py PNG -- is this screenshot a rendered page, not a blank?

Reads the PNG with zlib and struct only (no PIL on a bare Debian): checks
the signature, the size, decodes the pixels (8-bit RGB or RGBA, the five
scanline filters of PNG 1.2 section 6) and prints one line per check,
"ok: ..." or "FAIL: ...". Exits 1 on any failure.

The colours looked for are the page's own: the served side's cell
(#d9f2d9), and the estimate band of the picture (#1f77b4 at 25% over
white: about #c7ddec)."""
import struct
import sys
import zlib

fails = 0


def check(what, cond, detail=""):
    global fails
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " " + detail))
    fails += 0 if cond else 1


def decode(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, "PNG type %r" % (ihdr,)
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def near(px, rgb, tol=12):
    return all(abs(px[k] - rgb[k]) <= tol for k in range(3))


def main(path):
    data = open(path, "rb").read()
    check("the screenshot is over 20 kB (%d bytes)" % len(data), len(data) > 20000)
    w, h, bpp, rows = decode(data)
    check("it is 1200x900 (%dx%d)" % (w, h), (w, h) == (1200, 900))
    colours, served, band, dark = set(), 0, 0, 0
    for y in range(0, h, 2):
        row = rows[y]
        for x in range(0, w, 2):
            px = tuple(row[x * bpp:x * bpp + 3])
            colours.add(px)
            served += near(px, (0xD9, 0xF2, 0xD9), 4)
            band += near(px, (0xC7, 0xDD, 0xEC))
            dark += sum(px) < 150
    check("not a single colour (%d colours)" % len(colours), len(colours) > 50)
    check("text was drawn (%d dark pixels)" % dark, dark > 500)
    check("the served side's cell is highlighted (%d pixels)" % served, served > 200)
    check("the estimate band is drawn (%d pixels)" % band, band > 500)


main(sys.argv[1])
sys.exit(1 if fails else 0)
