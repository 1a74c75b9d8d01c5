/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * prop.h -- propagation: after each flip, which resolvers still hold the
 * old answer, and how much traffic that is.
 *
 * The tracker table (track.h) learns per (switch, resolver) its hold time
 * and demand from the gaps between its queries. prop adds the flips: for
 * each one it knows which caches were at risk (they fetched within their
 * hold time before the flip), sees each one's first query after it, and
 * estimates the share of traffic still on the old side:
 *
 *   expected  the mixture, per cache, over what its queries cannot say:
 *             whether it serves stale answers first (a prior share of the
 *             demand, corrected by the CDN's counts when they come), and
 *             whether it holds by a floor above the TTL (its gaps, and
 *             whether it re-fetched when the TTL said it should); plus the
 *             clients (client_share of the traffic, browsers) that keep an
 *             answer up to client_hold after their resolver moved;
 *   lower, upper  a 90% interval: expected -+ 1.645 standard deviations
 *             of each cache's own uncertainty, its weight's sampling
 *             error, the population's serve-stale share, and a model term.
 *
 * Each share is demand-weighted over the resolvers active around the flip.
 * Every function takes the tracker's lock: one thread drains the workers'
 * rings into it while the control thread flips, reports and scrapes.
 * A report for a flip is frozen (and written to state_dir/propagation, a
 * journal of its own) when the next flip of its switch starts, when its
 * upper bound stays under 0.1%, after a day, or at shutdown.
 *
 * The report, as JSON (routerctl propagation SWITCH [--flip N] --json):
 *   switch, flip (1 = oldest kept), flips (reports kept), state
 *   ("running" | "done"), flip_time (RFC 3339), flip_time_ms, from, to,
 *   ttl_s (served before the flip), client_hold_s, client_share, age_s (seconds since
 *   the flip the report covers), resolvers (active), at_risk, refetched
 *   (how many at-risk re-fetched), now {lower, expected, upper, refetched}
 *   (shares, 0..1, at age_s), below_1pct_s (seconds after the flip at which
 *   the expected share falls under 1%, observed or predicted; null if
 *   never), curve [{t, lower, expected, upper, refetched}] (t in seconds
 *   after the flip: every 1 s to 60 s, every 5 s to 300 s, every 30 s to
 *   3600 s, then every 600 s, up to age_s; the last point is at age_s, the
 *   same as now), interval (0.9: what [lower, upper] is),
 *   below_1pct_range_s [from, to] (when the lower and the upper bound fall
 *   under 1%; null: not within a day), stale_share {prior, estimate, sd,
 *   minutes} (the serve-stale-first share assumed, and as corrected by
 *   MINUTES minutes of CDN counts), measured [{t, requests, old_share,
 *   expected}] (each whole minute after the flip with CDN counts: the
 *   share on the old side, beside the estimate before the correction),
 *   uncertain (the resolver objects below, with band_share: the five that
 *   make most of the band's variance at uncertain_at_s, the report's age
 *   or the predicted time to 1% if later), resolvers_top [{resolver, weight, qps, hold_s,
 *   class ("ttl" | "prefetch" | "floor" | "unknown"), queries, at_risk,
 *   last_before_s, first_after_s (null: not yet)}] (the heaviest 20 by
 *   weight), laggards (the same objects: at-risk resolvers not re-fetched at
 *   age_s or the last to re-fetch, heaviest first, at most 10), errors
 *   [{t, old_requests, old_errors, new_requests, new_errors}] (per minute,
 *   t = minute start in seconds after the flip, from -600).
 *
 * The fleet (dnstap from the secondaries, fleet/dnstap.h): the table's key
 * holds the server that saw the queries, so every resolver row has a
 * server (the name of the secondary it asked, or "routerd"), and
 * servers [{server, observed, resolvers, traffic_share (of all the
 * traffic seen), old_share (of its own traffic, still old at age_s),
 * remaining_share (its part of what is still old fleet-wide),
 * first_new_s, last_old_s (its first answer from the new side and its
 * last from the old one since the flip; null: none; routerd: null, it
 * flips at once)}], unobserved [names of expected secondaries that sent
 * no dnstap: observed false in servers], unobserved_share (of the
 * expected secondaries: the estimate does not see their traffic).
 */
#ifndef ROUTERD_PROP_H
#define ROUTERD_PROP_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/ring.h"
#include "lib/side.h"
#include "track/track.h"

struct prop;

struct prop_opts {
	size_t max_entries;        /* bound of the (switch, resolver) table */
	uint32_t client_hold_s;    /* how long some clients (browsers) keep an answer */
	double client_share;       /* the share of traffic from those clients */
	uint32_t reports;          /* reports kept per switch */
	const char *state_dir;     /* NULL: reports are not durable (tests, propsim) */
};

/* A tracker; NULL with ERR on failure (e.g. the report journal). */
struct prop *prop_new(const struct prop_opts *opts, char *err, size_t errlen);
/* Freeze running reports (durable if state_dir) and free. NULL is fine. */
void prop_free(struct prop *p);

/* Name switch ID (the view's switch index). Names are how reports are kept
 * and found; call again after a reload with the new indices. */
int prop_name_switch(struct prop *p, uint32_t switch_id, const char *name);

/* Server ID (1..TRACK_SERVERS-1, from the dnstap collector) is NAME.
 * Safe from any thread. */
int prop_name_server(struct prop *p, unsigned id, const char *name);
/* The secondaries that should send dnstap (fleet.secondaries): those
 * that do not are named as unobserved in every report. */
int prop_expect_servers(struct prop *p, const char *const *names, size_t n);

/* One observation, or every one a worker's ring holds. */
void prop_observe(struct prop *p, const struct track_obs *o);
size_t prop_drain(struct prop *p, struct track_ring *r);

/* Switch SWITCH_ID flipped at T_NS (CLOCK_REALTIME) from side FROM to TO
 * (0 cdn, 1 origin); TTL_S was the TTL served just before. */
void prop_flip(struct prop *p, uint32_t switch_id, uint64_t t_ns, enum side from, enum side to, uint32_t ttl_s);

/* An error report (POST /api/v1/errors, already validated) for SWITCH_ID. */
void prop_errors(struct prop *p, uint32_t switch_id, enum side side, uint64_t t_ns, uint32_t window_s,
                 uint64_t requests, uint64_t errors);

/* Periodic work (the control thread's drain timer): freeze finished reports. */
void prop_tick(struct prop *p, uint64_t now_ns);

/* The report of flip FLIP (1 = oldest kept; 0 = latest) of switch NAME at
 * NOW_NS, or NULL with ERR (unknown switch, no flip, no such flip). */
json_t *prop_report(struct prop *p, const char *name, long flip, uint64_t now_ns, char *err, size_t errlen);

/* routerd_propagation_* and routerd_track_* metrics. */
void prop_metrics(struct prop *p, FILE *f, uint64_t now_ns);

#endif
