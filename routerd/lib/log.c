/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c -- see log.h. */
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static enum log_level max_level = LOG_LVL_INFO;

void log_set_level(enum log_level level)
{
	max_level = level;
}

static void log_v(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (level > max_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (errnum && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(errnum));
	/* One fprintf per line: stderr is unbuffered, so lines from threads stay whole. */
	fprintf(stderr, "<%d>%s\n", (int)level, line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(level, 0, fmt, ap);
	va_end(ap);
}

void log_err(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_LVL_ERR, e, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_LVL_WARNING, e, fmt, ap);
	va_end(ap);
}
