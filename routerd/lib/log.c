/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c -- see log.h. */
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum log_level max_level = LOG_LVL_INFO;
/* The file stderr was opened on at start, or "" (not a regular file). */
static char stderr_path[PATH_MAX];

void log_set_level(enum log_level level)
{
	max_level = level;
}

static void log_v(enum log_level level, int code, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (level > max_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (code && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(code));
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

void log_errno(enum log_level level, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(level, code, fmt, ap);
	va_end(ap);
}

void log_open(void)
{
	struct stat st;
	ssize_t n;

	stderr_path[0] = '\0';
	if (fstat(STDERR_FILENO, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	n = readlink("/proc/self/fd/2", stderr_path, sizeof(stderr_path) - 1);
	stderr_path[n > 0 && stderr_path[0] == '/' ? n : 0] = '\0';
}

int log_reopen(void)
{
	int fd, rc = 1;

	if (stderr_path[0] == '\0')
		return 0;
	fd = open(stderr_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (dup2(fd, STDERR_FILENO) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
