/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * signal.h -- a health signal as the switch state takes it: what the
 * webhooks (admin/webhook.c) parse into and switching_signals applies.
 */
#ifndef ROUTERD_SIGNAL_H
#define ROUTERD_SIGNAL_H

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

#endif
