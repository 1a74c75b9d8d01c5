/* SPDX-License-Identifier: BSD-3-Clause */
/* err.c -- see err.h. */
#include "lib/err.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

int err_set(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	assert(code < 0);
	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}
