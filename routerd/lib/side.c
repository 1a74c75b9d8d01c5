/* SPDX-License-Identifier: BSD-3-Clause */
/* side.c -- see side.h. */
#include "lib/side.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const char *const names[SIDE_COUNT] = { [SIDE_CDN] = "cdn", [SIDE_ORIGIN] = "origin" };

const char *side_name(enum side side)
{
	return names[side == SIDE_ORIGIN];
}

static int parse(const char *text, enum side *side, int (*cmp)(const char *, const char *))
{
	for (int i = 0; text != NULL && i < SIDE_COUNT; i++)
		if (cmp(text, names[i]) == 0) {
			*side = (enum side)i;
			return 0;
		}
	return -EINVAL;
}

int side_parse(const char *text, enum side *side)
{
	return parse(text, side, strcmp);
}

int side_parse_anycase(const char *text, enum side *side)
{
	return parse(text, side, strcasecmp);
}
