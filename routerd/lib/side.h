/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * side.h -- the two answers of a switch, one encoding for every layer.
 *
 * The config reads it ("initial: origin"), the state and the journal keep
 * it (by name, "cdn" | "origin"), the view publishes it (bit 0 of a
 * switch's selector is the side, view.h), webhooks parse it and the
 * tracker reports it. The numbers are part of that selector and of the
 * metrics' array indices: SIDE_CDN is 0, SIDE_ORIGIN is 1.
 */
#ifndef ROUTERD_SIDE_H
#define ROUTERD_SIDE_H

enum side {
	SIDE_CDN = 0,
	SIDE_ORIGIN = 1,
};
#define SIDE_COUNT 2

/* "cdn" or "origin" (anything but SIDE_ORIGIN reads as cdn). */
const char *side_name(enum side side);

/* "cdn" or "origin", exactly, into *SIDE. Returns 0 or -EINVAL. */
int side_parse(const char *text, enum side *side);

/* The same, in any case ("CDN"): webhook labels are written by people. */
int side_parse_anycase(const char *text, enum side *side);

static inline enum side side_other(enum side side)
{
	return side == SIDE_CDN ? SIDE_ORIGIN : SIDE_CDN;
}

#endif
