/* SPDX-License-Identifier: BSD-3-Clause */
/* propsim_pop.c -- see propsim.h. */
#include "propsim.h"

#include <math.h>
#include <stdlib.h>

const char *const pop_class_name[PC_N] = { "ttl", "floor60", "floor300", "floor3600", "prefetch", "stale" };

/* Unbound's and PowerDNS Recursor's prefetch window: a query in the last
 * 10% of the TTL re-fetches. */
#define PREFETCH_WINDOW 0.1

struct resolver {
	double rate;     /* client queries/s: the resolver's demand weight */
	double next;     /* its next upstream fetch, s */
	double last;     /* its latest fetch before the flip (may be before 0) */
	double after;    /* its first fetch at or after the flip; INFINITY: none yet */
	double hold;     /* how long a fetched answer stays fresh in its cache, s */
	double cycle;    /* the deterministic part of the gap between fetches, s */
	uint8_t cls;
};

struct pop {
	struct pop_params pp;
	struct resolver *r;
	size_t *heap;    /* resolver indices, a binary min-heap on r[].next */
	size_t heap_n;
	uint64_t s[4];   /* xoshiro256** state */
	uint64_t before, after;
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna): fast, and the same stream on every
 * machine, so a --seed reproduces a run exactly. */
static uint64_t rng_next(struct pop *p)
{
	uint64_t *s = p->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in (0, 1]: never 0, so log() below is finite. */
static double uniform(struct pop *p)
{
	return (double)((rng_next(p) >> 11) + 1) * 0x1.0p-53;
}

static double expo(struct pop *p, double rate)
{
	return -log(uniform(p)) / rate;
}

/* A Pareto(alpha, rate_min) rate truncated at rate_max, by inverting its
 * distribution function. */
static double pareto(struct pop *p)
{
	const struct pop_params *pp = &p->pp;
	double tail = pow(pp->rate_min / pp->rate_max, pp->alpha);

	return pp->rate_min * pow(1.0 - uniform(p) * (1.0 - tail), -1.0 / pp->alpha);
}

static void heap_down(struct pop *p, size_t k)
{
	size_t *h = p->heap, n = p->heap_n, x = h[k];
	double key = p->r[x].next;

	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= n)
			break;
		if (c + 1 < n && p->r[h[c + 1]].next < p->r[h[c]].next)
			c++;
		if (p->r[h[c]].next >= key)
			break;
		h[k] = h[c];
		k = c;
	}
	h[k] = x;
}

static double hold_of(enum pop_class c, double ttl)
{
	static const double floor_s[PC_N] = { [PC_FLOOR60] = 60, [PC_FLOOR300] = 300, [PC_FLOOR3600] = 3600 };

	return ttl > floor_s[c] ? ttl : floor_s[c];
}

/* Place resolver X at a random point of its fetch cycle, as a long-running
 * cache would be: the cycle is CYCLE (fresh, no fetch possible) then an
 * Exp(rate) wait for the next query; the share of time in the first part is
 * CYCLE / (CYCLE + 1/rate). */
static void steady_state(struct pop *p, struct resolver *x)
{
	double in_cycle = x->cycle * x->rate / (1.0 + x->cycle * x->rate);

	if (uniform(p) <= in_cycle) {
		x->last = -uniform(p) * x->cycle;
		x->next = ceil(x->last + x->cycle) + expo(p, x->rate);
	} else {
		/* Waiting: memoryless both ways, so the time since the cycle
		 * ended and the time to the next query are independent Exp. */
		x->last = -x->cycle - expo(p, x->rate);
		x->next = expo(p, x->rate);
	}
}

static const struct resolver *sort_base;

static int by_rate_desc(const void *a, const void *b)
{
	double x = sort_base[*(const size_t *)a].rate, y = sort_base[*(const size_t *)b].rate;
	return (x < y) - (x > y);
}

/* Give each class its share of the demand, not only of the resolvers: with
 * a heavy tail a few resolvers carry much of it, and classes drawn
 * independently of demand would make every run's mix a lottery. From the
 * heaviest resolver down, each takes a class at random in proportion to
 * how far that class is below its share of the demand assigned so far; the
 * heaviest ones are drawn by the shares alone, and the many light ones then
 * even the shares out. */
static void assign_classes(struct pop *p)
{
	const struct pop_params *pp = &p->pp;
	double got[PC_N] = { 0 }, sum = 0;

	sort_base = p->r;
	qsort(p->heap, pp->n, sizeof(*p->heap), by_rate_desc);
	for (size_t k = 0; k < pp->n; k++) {
		struct resolver *x = &p->r[p->heap[k]];
		double deficit[PC_N], total = 0, u;
		int c = -1;

		sum += x->rate;
		for (int j = 0; j < PC_N; j++) {
			deficit[j] = pp->share[j] * sum - got[j];
			if (deficit[j] < 0 || pp->share[j] <= 0)
				deficit[j] = 0;
			total += deficit[j];
		}
		u = uniform(p) * total;
		for (int j = 0; j < PC_N; j++) {
			if (deficit[j] > 0)
				c = j; /* the last candidate also takes rounding at the end */
			if (deficit[j] > 0 && (u -= deficit[j]) <= 0)
				break;
		}
		if (c < 0) /* every class at its share already: fall back on the shares */
			for (c = 0; c < PC_N - 1 && pp->share[c] <= 0; c++)
				;
		x->cls = (uint8_t)c;
		got[c] += x->rate;
	}
}

struct pop *pop_new(const struct pop_params *pp)
{
	struct pop *p = calloc(1, sizeof(*p));
	uint64_t z = pp->seed;

	if (p == NULL)
		return NULL;
	p->pp = *pp;
	p->r = calloc(pp->n ? pp->n : 1, sizeof(*p->r));
	p->heap = calloc(pp->n ? pp->n : 1, sizeof(*p->heap));
	if (p->r == NULL || p->heap == NULL) {
		pop_free(p);
		return NULL;
	}
	for (int k = 0; k < 4; k++) { /* splitmix64 seeds the state */
		uint64_t v = (z += 0x9e3779b97f4a7c15ull);
		v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ull;
		v = (v ^ (v >> 27)) * 0x94d049bb133111ebull;
		p->s[k] = v ^ (v >> 31);
	}
	for (size_t i = 0; i < pp->n; i++) {
		p->r[i].rate = pareto(p);
		p->heap[i] = i; /* for now: the order of assign_classes() */
	}
	assign_classes(p);
	for (size_t i = 0; i < pp->n; i++) {
		struct resolver *x = &p->r[i];

		x->hold = hold_of(x->cls, pp->ttl);
		x->cycle = x->cls == PC_PREFETCH ? x->hold * (1.0 - PREFETCH_WINDOW) : x->hold;
		x->after = INFINITY;
		steady_state(p, x);
		p->heap[i] = i;
	}
	p->heap_n = pp->n;
	for (size_t k = p->heap_n / 2; k-- > 0;)
		heap_down(p, k);
	return p;
}

void pop_free(struct pop *p)
{
	if (p == NULL)
		return;
	free(p->r);
	free(p->heap);
	free(p);
}

bool pop_next(struct pop *p, size_t *i, double *t)
{
	double flip = p->pp.learn;
	struct resolver *x;

	if (p->heap_n == 0)
		return false;
	x = &p->r[p->heap[0]];
	if (x->next > flip + p->pp.horizon)
		return false;
	*i = p->heap[0];
	*t = x->next;
	if (x->next < flip) {
		x->last = x->next;
		p->before++;
	} else {
		if (x->after == INFINITY)
			x->after = x->next;
		p->after++;
	}
	/* A prefetch and a miss alike: the next fetch is a cycle plus an
	 * Exp(rate) wait away (a prefetch comes in the window's first query,
	 * a miss with the first query after expiry; the same wait either way).
	 * Resolvers keep time in whole seconds: the cycle ends on a second's
	 * boundary. */
	x->next = ceil(x->next + x->cycle) + expo(p, x->rate);
	heap_down(p, 0);
	return true;
}

enum pop_class pop_class_of(const struct pop *p, size_t i)
{
	return (enum pop_class)p->r[i].cls;
}

double pop_rate(const struct pop *p, size_t i)
{
	return p->r[i].rate;
}

/* Until when (s) resolver X answers the old side: a fresh old entry lasts
 * until it expires or is refreshed early (prefetch); a serve-stale resolver
 * keeps answering from its old entry, fresh or not, until the first query
 * after expiry re-fetches. Every resolver holds an answer: the population
 * starts in its steady state, far inside RFC 8767's suggested 1-3 day limit
 * on stale data. */
static double old_until(const struct resolver *x, double flip)
{
	double fresh;

	if (x->cls == PC_STALE)
		return x->after;
	fresh = ceil(x->last + x->hold);
	if (fresh <= flip)
		return flip;
	return fresh < x->after ? fresh : x->after;
}

double pop_truth(const struct pop *p, double t, double by_class[PC_N])
{
	const struct pop_params *pp = &p->pp;
	double flip = pp->learn, now = flip + t, sum[PC_N] = { 0 }, total_w = 0, total = 0;
	double hold = pp->client_hold;

	for (size_t i = 0; i < pp->n; i++) {
		const struct resolver *x = &p->r[i];
		double until = old_until(x, flip), share = 0;

		/* Clients without a cache of their own get the resolver's answer. */
		if (now < until)
			share += 1.0 - pp->browser;
		/* Client caches (many per resolver, refreshed every HOLD at random
		 * phases) hold what the resolver answered in the last HOLD: the old
		 * side for the part of (now - HOLD, now] before UNTIL. */
		if (pp->browser > 0 && hold > 0) {
			double f = (until - (now - hold)) / hold;
			share += pp->browser * (f <= 0 ? 0 : (f >= 1 ? 1 : f));
		} else if (pp->browser > 0 && now < until) {
			share += pp->browser;
		}
		sum[x->cls] += x->rate * share;
		total_w += x->rate;
	}
	for (int c = 0; c < PC_N; c++) {
		double v = total_w > 0 ? sum[c] / total_w : 0;
		if (by_class)
			by_class[c] = v;
		total += v;
	}
	return total;
}

void pop_class_stats(const struct pop *p, double demand[PC_N], size_t count[PC_N])
{
	double total = 0;

	for (int c = 0; c < PC_N; c++) {
		demand[c] = 0;
		count[c] = 0;
	}
	for (size_t i = 0; i < p->pp.n; i++) {
		demand[p->r[i].cls] += p->r[i].rate;
		count[p->r[i].cls]++;
		total += p->r[i].rate;
	}
	for (int c = 0; c < PC_N; c++)
		demand[c] = total > 0 ? demand[c] / total : 0;
}

void pop_fetches(const struct pop *p, uint64_t *before, uint64_t *after)
{
	*before = p->before;
	*after = p->after;
}
