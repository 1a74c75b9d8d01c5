/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control.h -- the control plane on the main loop: the admin socket
 * (routerctl), the HTTP listener (/metrics, health), and reloads. It sees
 * the workers only through their counters and the published view.
 */
#ifndef ROUTERD_CONTROL_H
#define ROUTERD_CONTROL_H

#include <uv.h>

struct config;
struct worker_set;
struct control;
struct fleet;

/* What control needs from the server: its config (swapped on reload) and
 * a way to reload. */
struct control_host {
	struct config **cfg;
	struct worker_set *workers;
	/* Re-read config and zones; 0 on success, -1 (old state kept) with ERR. */
	int (*reload)(void *arg, char *err, size_t errlen);
	void *arg;
	struct fleet *fleet; /* zone versions and secondaries: `routerctl fleet`, metrics */
};

/* Start the admin socket and, when configured, the HTTP listener. */
struct control *control_start(uv_loop_t *loop, const struct control_host *host, char *err, size_t errlen);

/* Record the outcome of a reload for metrics and status. */
void control_reloaded(struct control *c, int ok);

void control_stop(struct control *c);

#endif
