/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * webhook.h -- read health notifications (Alertmanager webhook v4, Grafana
 * alerting webhook "1", routerd's own /api/v1/signal) and error reports
 * (/api/v1/errors) into plain events. Parsing only: what an event does to
 * a switch is the policy's business.
 */
#ifndef ROUTERD_WEBHOOK_H
#define ROUTERD_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/side.h"

enum webhook_source {
	SRC_ALERTMANAGER = 0,
	SRC_GRAFANA,
	SRC_SIGNAL,
};

enum signal_kind {
	SIG_DOWN,       /* the named side is failing */
	SIG_UP,         /* that failure is over */
	SIG_WARN,       /* a warning: arm the low TTL */
	SIG_WARN_CLEAR, /* the warning is over */
};

struct signal_event {
	enum webhook_source source;
	enum signal_kind kind;
	enum side side;       /* the unhealthy side */
	char id[160];         /* fingerprint, or the caller's id */
	char target[256];     /* switch name or glob (label routerd_switch) */
	char reason[256];     /* alertname / summary, for history */
};

struct error_report {
	char target[256]; /* switch name */
	enum side side;
	uint32_t window_s;
	uint64_t requests, errors;
};

/* What marks an alert as a warning rather than a failure. */
struct webhook_opts {
	const char *armed_label; /* e.g. "severity" */
	const char *armed_value; /* e.g. "warning" */
};

/*
 * Parse BODY (LEN bytes) from SOURCE into *OUT (N events, free() it).
 * Alerts without a routerd_switch label are skipped and counted in
 * *IGNORED. Returns 0, or -EINVAL with a reason in ERR (malformed JSON, a wrong
 * type, a bad routerd_target): the whole body is then rejected.
 */
int webhook_parse_signals(enum webhook_source source, const char *body, size_t len, const struct webhook_opts *o,
                          struct signal_event **out, size_t *n, size_t *ignored, char *err, size_t errlen);

/* Parse one /api/v1/errors report. Counts must be sane: errors <= requests,
 * both below 2^53, window 1 s to 1 day. Returns 0 or -EINVAL with ERR. */
int webhook_parse_errors(const char *body, size_t len, struct error_report *out, char *err, size_t errlen);

#endif
