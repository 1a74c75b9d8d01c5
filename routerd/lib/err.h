/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * err.h -- the one error convention of routerd (STYLE.md practice 6).
 *
 * Returns. A function that can fail returns 0 on success (or a count, an
 * index, a file descriptor: something >= 0) and a negative errno-style code
 * on failure, never a bare -1: -EINVAL for input it refuses (a config key,
 * a zone record, a webhook body, a command argument), -ENOENT for a name
 * nothing has, -ENOMEM, -EIO for storage, or the -errno a system call set.
 * A function returning a pointer returns NULL on failure.
 *
 * Messages. Where a person must read why (the config, a zone file, a
 * control command, a webhook, a recovery), the function also takes
 * `char *err, size_t errlen` and writes one line there, without a newline:
 * "file:line:col: error: reason" for files, the reason alone otherwise.
 * err_set() writes it and returns the code, so a failure is one line:
 *         return err_set(err, errlen, -EINVAL, "switch %s: no such zone", name);
 * Code that only logs takes no buffer: callers read a code, people read logs.
 *
 * Cleanup. One label per function that owns resources (`done:` or
 * `fail:`), as in Knot; every exit after the first allocation goes there.
 *
 * Where a failure goes. At start (main, server_run) an error is fatal: the
 * message, exit status 1. At runtime (a reload, a command, a webhook, a
 * timer) it is soft: answer or log it and keep the old state; the daemon
 * never exits on a runtime error.
 *
 * Logging (log.h). log_error/log_warning/log_notice/log_info/log_debug
 * print a line; log_errno(level, code, ...) appends ": strerror(code)",
 * and takes the code explicitly, so a negative return logs as
 *         log_errno(LOG_LVL_ERR, -rc, "journal %s: append", dir);
 * without going through errno.
 *
 * Out of memory is -ENOMEM like any other failure, with one exception:
 * the switch state's ops (switch/state_int.h, st_xrealloc) abort. Every
 * acknowledged change is in the journal, so a restart recovers it, while
 * an op applied halfway would leave a state no journal describes.
 *
 * Invariants are assert()ed. They stay on in the release build (the
 * Makefile does not define NDEBUG): they sit on the control path and at
 * load time, not per packet, so they cost nothing measurable, and an
 * invariant broken in production is better stopped (systemd restarts us,
 * the journal restores the state) than served as a wrong answer.
 */
#ifndef ROUTERD_ERR_H
#define ROUTERD_ERR_H

#include <stddef.h>

/* Write the printf-style message to ERR (ERRLEN bytes; ERR may be NULL)
 * and return CODE (a negative errno). */
int err_set(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
