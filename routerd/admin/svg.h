/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svg.h -- the picture of a propagation report (prop.h): a self-contained
 * SVG (no scripts, no external references) that routerctl writes to a file
 * and the status page inlines.
 *
 * x is seconds after the flip on a log scale (ln(1 + t)), so the first
 * minutes, where a flip is decided, take a third of the width even when
 * the report runs for a day; the ten minutes before the flip, when error
 * reports cover them, get a linear strip on the left. y is the share of
 * traffic, 0..100%: the estimate band (lower..upper), the expected line,
 * the re-fetched share, a 1% line, and the old side's error rate per
 * minute as bars against a secondary axis on the right.
 */
#ifndef ROUTERD_SVG_H
#define ROUTERD_SVG_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Render REPORT (the JSON of prop_report()) as an SVG document. Missing,
 * null or mistyped fields are left out of the picture, never an error; an
 * empty curve draws the frame with "no curve yet". Returns a malloc'd,
 * NUL-terminated string with its length in *LEN (LEN may be NULL), or NULL
 * when out of memory.
 */
char *svg_propagation(const json_t *report, size_t *len);

/* Write S to F escaped for XML text and attribute values (& < > " '),
 * control characters XML 1.0 does not allow replaced by U+FFFD. NULL
 * writes nothing. */
void svg_escape(FILE *f, const char *s);

/* Format a duration in seconds for a label: "42s", "5m", "5m30s", "2h",
 * "2h05m", "3d". Returns OUT. */
char *svg_duration(double s, char *out, size_t cap);

/* Write SHARE (0..1) to F as a percentage for a label ("12.5%"); below a
 * thousandth of a percent, "&lt;0.001%". */
void svg_put_pct(FILE *f, double share);

#endif
