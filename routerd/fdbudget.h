/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdbudget.h -- the file descriptor budget: at start, what the configured
 * limits can open at once (DNS TCP clients of every worker, HTTP and admin
 * connections, sockets, the journal) plus a reserve for the control plane,
 * checked against RLIMIT_NOFILE. The soft limit is raised to fit where the
 * hard limit allows; otherwise routerd refuses to start.
 */
#ifndef ROUTERD_FDBUDGET_H
#define ROUTERD_FDBUDGET_H

#include <stddef.h>

struct config;

/* Admin (routerctl) connections counted in the budget. */
#define FD_ADMIN_CONNECTIONS 64
/* Kept free for the control plane beyond every limit: journal compaction
 * (snapshot, directory), zone and config files on reload, the propagation
 * reports, libuv's reserve descriptors, NSS lookups. */
#define FD_RESERVE 64

/* Descriptors CFG's limits can use at once, reserve included; with WHY
 * (may be NULL) the sum spelled out. */
size_t fd_budget_need(const struct config *cfg, char *why, size_t whylen);

/*
 * Check the budget against RLIMIT_NOFILE, raising the soft limit (and the
 * hard one, when privileged) to fit. Returns 0, with what was done in
 * NOTE (may be empty); or -1 with the reason in ERR.
 */
int fd_budget_apply(const struct config *cfg, char *note, size_t notelen, char *err, size_t errlen);

#endif
