/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.h -- logging to stderr with sd-daemon "<N>" priority prefixes, so
 * journald keeps the levels. Two functions: log_msg() prints a line,
 * log_errno() the same with ": strerror(code)" appended (err.h says when).
 *
 * stderr is whatever the service manager or the shell gave us. When it is
 * a regular file (`routerd -c FILE 2>>/var/log/routerd.log`), log_reopen()
 * opens that path again: after logrotate has moved the file away, SIGUSR1
 * makes routerd write to a new one under the old name.
 */
#ifndef ROUTERD_LOG_H
#define ROUTERD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Messages above LEVEL are not printed (default INFO; -v gives DEBUG). */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* log_msg with ": strerror(CODE)" appended; CODE is a positive errno
 * (pass -rc for a negative return code, errno after a system call). */
void log_errno(enum log_level level, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Remember the file stderr writes to, if it is a regular file (at start). */
void log_open(void);

/* Open that file again, by name, as stderr. Returns 1 when reopened, 0 when
 * stderr is not a file (a terminal, a pipe, journald), or -errno. */
int log_reopen(void);

#endif
