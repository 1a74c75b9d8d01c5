/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * propsim.h -- the simulated resolver population behind tools/propsim.
 *
 * Each resolver has a client query rate (heavy-tailed across resolvers; it
 * is also the resolver's share of the demand) and one cache behaviour. With
 * Poisson client arrivals the first query after a cache entry expires comes
 * an exponential time later (memoryless), so the upstream fetches, which
 * are all the authoritative server ever sees, can be drawn directly:
 *
 *   fetch(k+1) = fetch(k) + D + Exp(rate)
 *
 * where D is the hold time (the TTL, or the resolver's floor if higher) or,
 * for a prefetching resolver, 90% of it. No client query is simulated.
 */
#ifndef PROPSIM_H
#define PROPSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Cache behaviours. */
enum pop_class {
	PC_TTL,       /* honours the TTL */
	PC_FLOOR60,   /* raises TTLs to a 60 s floor */
	PC_FLOOR300,  /* ... 300 s */
	PC_FLOOR3600, /* ... 3600 s */
	PC_PREFETCH,  /* re-fetches when a query comes in the last 10% of the TTL */
	PC_STALE,     /* after expiry, answers the first query from the stale entry and re-fetches */
	PC_N
};

/* "ttl", "floor60", ... as used on the command line and in the output. */
extern const char *const pop_class_name[PC_N];

struct pop_params {
	size_t n;              /* resolvers */
	double ttl;            /* TTL served before and after the flip, s */
	double learn;          /* simulated time before the flip, s */
	double horizon;        /* simulated time after it, s */
	double share[PC_N];    /* share of resolvers in each class; sums to 1 */
	double alpha;          /* Pareto shape of the client query rate */
	double rate_min;       /* its scale (smallest rate), queries/s */
	double rate_max;       /* its truncation, queries/s */
	double browser;        /* share of each resolver's demand behind a client cache */
	double client_hold;    /* how long that client cache keeps an answer, s */
	uint64_t seed;
};

struct pop;

/* A population in its steady state at time 0 (every cache at a random age,
 * so nothing is synchronised by a cold start); NULL when out of memory. */
struct pop *pop_new(const struct pop_params *pp);
void pop_free(struct pop *p);

/* The next upstream fetch, in time order: resolver *I at *T seconds (the
 * flip is at pp->learn). False once the next would be after the horizon. */
bool pop_next(struct pop *p, size_t *i, double *t);

/* Resolver I's class and client query rate. */
enum pop_class pop_class_of(const struct pop *p, size_t i);
double pop_rate(const struct pop *p, size_t i);

/* Ground truth after pop_next() returned false: the demand-weighted share
 * of client traffic getting the old answer T seconds after the flip (from
 * the resolver's cache, or from a client cache filled from it), in total
 * and, if BY_CLASS is not NULL, per class (the per-class shares sum to the
 * total; each is a share of all demand). */
double pop_truth(const struct pop *p, double t, double by_class[PC_N]);

/* Demand share and resolver count of each class. */
void pop_class_stats(const struct pop *p, double demand[PC_N], size_t count[PC_N]);

/* Fetches before and after the flip so far. */
void pop_fetches(const struct pop *p, uint64_t *before, uint64_t *after);

#endif
