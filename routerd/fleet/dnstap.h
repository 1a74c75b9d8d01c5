/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dnstap.h -- the dnstap collector: the secondaries' query logs back into
 * the propagation tracker, so a flip's report covers the whole fleet.
 *
 * It listens on fleet.dnstap.listen (Unix sockets and TCP) on a thread
 * and libuv loop of its own, off the control thread and the workers.
 * Each connection speaks Frame Streams (dnstap_parse.h); each
 * AUTH_RESPONSE for a switched name whose side the answer's records
 * decide becomes one track_obs, tagged with the server that sent it
 * (its dnstap identity, else the connection), in a ring the tracker
 * thread drains like a worker's. A full ring drops and counts: the
 * collector never waits, and it never makes a secondary wait either (the
 * servers queue dnstap in memory and drop when we are slow or gone).
 * A connection that sends garbage, truncated, oversized or non-dnstap
 * frames is closed, counted and logged (at most once a second).
 */
#ifndef ROUTERD_DNSTAP_H
#define ROUTERD_DNSTAP_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct cfg_dnstap;
struct track_ring;
struct view;
struct dnstap;

/* Server numbers: 0 is routerd itself, secondaries get 1..DNSTAP_SERVERS-1
 * in the order they first send (the tracker's TRACK_SERVERS). */
#define DNSTAP_SERVERS 64

/* What the collector tells its owner, from the collector's thread. */
struct dnstap_hooks {
	/* A new server, once. */
	void (*server)(void *arg, unsigned id, const char *name);
	/* Another quarter of the ring was filled: the tracker should drain
	 * before its next tick. */
	void (*backlog)(void *arg);
	void *arg;
};

/* Bind every listen address of CFG (before privileges are dropped) and
 * start the thread. NULL with ERR on failure. */
struct dnstap *dnstap_start(const struct cfg_dnstap *cfg, const struct dnstap_hooks *hooks, char *err,
                            size_t errlen);
/* Close every connection, stop the thread, remove the Unix sockets. NULL is fine. */
void dnstap_stop(struct dnstap *d);

/* The view's switches changed (start, reload): answers are compared with
 * its two sides from now on. Control thread. */
void dnstap_set_view(struct dnstap *d, const struct view *v);

/* Tracker thread: hand the collector's ring to FN, like a worker's. */
size_t dnstap_drain(struct dnstap *d, size_t (*fn)(void *arg, struct track_ring *r), void *arg);

/* routerd_dnstap_* metrics. */
void dnstap_metrics(struct dnstap *d, FILE *f);

/* {connections, servers: [{server, connections, messages, observations,
 * last_seen_s}], frames, errors {...}, dropped, ...} for status and stats. */
json_t *dnstap_status(struct dnstap *d);

#endif
