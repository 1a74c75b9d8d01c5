/* SPDX-License-Identifier: BSD-3-Clause */
/* fdbudget.c -- see fdbudget.h. */
#include "fdbudget.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"

size_t fd_budget_need(const struct config *cfg, char *why, size_t whylen)
{
	size_t workers = cfg->workers ? cfg->workers : 1;
	/* Per worker: a UDP and a TCP socket per address, its loop (epoll,
	 * async eventfd, libuv's EMFILE reserve), then its TCP clients. */
	size_t per_worker = 2 * cfg->n_listen + 4;
	size_t dns = workers * ((size_t)cfg->tcp_max_clients + per_worker);
	/* The control loop: epoll, signals, async, the admin listener. */
	size_t base = 3 + 8;
	size_t http = cfg->http.enabled ? 1 + (size_t)cfg->http.max_connections : 0;
	size_t admin = 1 + FD_ADMIN_CONNECTIONS;
	size_t journal = 4; /* the journal, its directory, a snapshot being written */
	size_t need = base + dns + http + admin + journal + FD_RESERVE;

	if (why != NULL)
		snprintf(why, whylen,
		         "%zu workers x (tcp_max_clients %u + %zu sockets) = %zu, http %zu (max_connections + listener), "
		         "admin %zu, journal %zu, the process %zu, reserve for the control plane %d: %zu in all",
		         workers, cfg->tcp_max_clients, per_worker, dns, http, admin, journal, base, FD_RESERVE, need);
	return need;
}

int fd_budget_apply(const struct config *cfg, char *note, size_t notelen, char *err, size_t errlen)
{
	char why[512];
	size_t need = fd_budget_need(cfg, why, sizeof(why));
	struct rlimit rl;

	note[0] = '\0';
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		snprintf(err, errlen, "cannot read RLIMIT_NOFILE: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit want = rl;
		rlim_t old = rl.rlim_cur;
		want.rlim_cur = need;
		if (want.rlim_max != RLIM_INFINITY && want.rlim_max < need)
			want.rlim_max = need; /* only with CAP_SYS_RESOURCE */
		if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
			snprintf(err, errlen,
			         "file descriptors: the limits can use %zu (%s), but RLIMIT_NOFILE is %llu (hard %llu) and "
			         "cannot be raised: lower server.tcp_max_clients, server.workers or http.max_connections, or "
			         "raise the limit (LimitNOFILE= in the systemd unit, ulimit -n)",
			         need, why, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
			return -1;
		}
		snprintf(note, notelen, "RLIMIT_NOFILE raised from %llu to %zu (%s)", (unsigned long long)old, need, why);
	}
	return 0;
}
