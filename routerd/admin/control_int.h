/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_int.h -- what control.c and commands.c share; not for other
 * modules.
 */
#ifndef ROUTERD_CONTROL_INT_H
#define ROUTERD_CONTROL_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "admin/control.h"

struct control {
	uv_loop_t *loop;
	struct control_host host;
	struct ctl_server *ctl;
	struct http_server *http;
	struct auth *auth;
	struct switching *sw;
	struct sigqueue *sigq; /* large webhook messages, applied in parts */
	struct prop *prop; /* who asked for switched names, and what each flip did */
	struct dnstap *dnstap;  /* the secondaries' query logs (fleet.dnstap), or NULL */
	pthread_t tracker;      /* drains the workers' rings into prop */
	int tracker_running;
	atomic_int stopping;
	pthread_mutex_t kick_lock; /* the collector wakes the tracker early (dnstap_on_backlog) */
	pthread_cond_t kick;
	int kicked;
	time_t started;
	int last_reload_ok;
	uint64_t reloads, reload_failures;
	uint64_t http_count[7][11]; /* [endpoint][counted status code] */
};

/* Names for the query types and rcodes counted by the workers (NULL: an
 * rcode not counted). */
extern const char *const control_qtype_names[];
const char *control_rcode_name(int rcode);

/* Wall clock in ns (the tracker's clock). */
uint64_t control_now_ns(void);

/* Answer one routerctl request (commands.c): the command table. */
json_t *commands_dispatch(struct control *c, json_t *req, const char *cmd, uid_t uid);

#endif
