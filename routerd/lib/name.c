/* SPDX-License-Identifier: BSD-3-Clause */
/* name.c -- see name.h. */
#include "lib/name.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

int name_normalize(const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	if (n == 0 || n + 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	if (out[n - 1] != '.')
		out[n++] = '.';
	out[n] = '\0';
	return 0;
}
