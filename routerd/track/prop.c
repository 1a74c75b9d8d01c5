/* SPDX-License-Identifier: BSD-3-Clause */
/* prop.c -- see prop.h. */
#include "track/prop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/journal.h"
#include "lib/log.h"

#define NS 1000000000.0
/* Minutes of error reports kept per switch: the report shows ten before
 * the flip and the hours after it. */
#define ERR_BINS 240
#define ERR_BEFORE_MIN 10
/* A resolver idle four times this long (or four of its holds, if longer)
 * before a flip, and not back after it, is not part of the traffic the
 * shares are taken of. Less idle ones weigh what they fetched over hours:
 * one asked once an hour is often idle for an hour. */
#define ACTIVE_BEFORE_S 3600.0
#define ACTIVE_FACTOR 4
/* A running report is done when its upper bound has stayed under this... */
#define DONE_UPPER 0.001
/* ...or after a day. */
#define MAX_AGE_S 86400.0
/* How often running reports are checked for being done. */
#define CHECK_NS (10 * 1000000000ull)
#define TOP_N 20
#define LAGGARDS_N 10
#define UNCERTAIN_N 5
/* Reports written per journal record: one fsync for a mass flip, and
 * records far below the journal's size bound. */
#define REPORTS_PER_RECORD 256

struct flip_meta {
	uint64_t flip_ns;
	enum side from, to;
	uint32_t ttl_s;
	uint32_t id;
};

struct ebin {
	int64_t minute; /* minutes since the epoch; the ring slot is minute % ERR_BINS */
	uint64_t req[2], err[2];
};

/* The propagation reports of one switch name. Not a model of the switch
 * (the tracker does not see the state, track/ uses lib/ only): the name the
 * reports are kept and found by, across reloads that renumber the view. */
struct sw_reports {
	char *name;
	uint32_t id;            /* the view's switch index; UINT32_MAX: not served */
	int running;            /* a flip is being followed */
	struct flip_meta cur;
	int freeze_pending;     /* a newer flip started: freeze `pending` at the next tick */
	struct flip_meta pending;
	json_t **done;          /* frozen reports, oldest first */
	size_t n_done;
	struct ebin *bins;      /* NULL until an error report comes */
};

struct prop {
	/* The tracker thread drains and ticks; the control thread flips,
	 * reports and scrapes: every entry point holds the lock. */
	pthread_mutex_t lock;
	struct prop_opts o;
	struct track_table *t;
	struct sw_reports *sw;
	size_t n_sw, cap_sw;
	json_t *by_name;        /* name -> index into sw */
	uint32_t *by_id;        /* view index -> index into sw + 1 (0: none) */
	size_t n_id;
	struct journal *j;
	/* The servers the tracker hears from: 0 routerd, the rest named by
	 * the dnstap collector; and the secondaries that should send dnstap. */
	char *server_names[TRACK_SERVERS];
	char **expected;
	size_t n_expected;
	uint64_t next_check_ns;
	uint64_t frozen, journal_failures;
};

/* ---- switches ------------------------------------------------------------------ */

static struct sw_reports *by_name(struct prop *p, const char *name)
{
	json_t *v = json_object_get(p->by_name, name);
	return v ? &p->sw[json_integer_value(v)] : NULL;
}

static struct sw_reports *by_id(struct prop *p, uint32_t id)
{
	return id < p->n_id && p->by_id[id] ? &p->sw[p->by_id[id] - 1] : NULL;
}

static struct sw_reports *add_switch(struct prop *p, const char *name)
{
	struct sw_reports *s = by_name(p, name);
	if (s != NULL)
		return s;
	if (p->n_sw == p->cap_sw) {
		size_t cap = p->cap_sw ? p->cap_sw * 2 : 64;
		struct sw_reports *n = realloc(p->sw, cap * sizeof(*n));
		if (n == NULL)
			return NULL;
		p->sw = n;
		p->cap_sw = cap;
	}
	s = &p->sw[p->n_sw];
	memset(s, 0, sizeof(*s));
	s->id = UINT32_MAX;
	if ((s->name = strdup(name)) == NULL)
		return NULL;
	json_object_set_new(p->by_name, name, json_integer((json_int_t)p->n_sw));
	p->n_sw++;
	return s;
}

static int prop_name_switch_locked(struct prop *p, uint32_t switch_id, const char *name)
{
	struct sw_reports *s;
	if (switch_id >= p->n_id) {
		size_t n = p->n_id ? p->n_id : 64;
		while (n <= switch_id)
			n *= 2;
		uint32_t *ids = realloc(p->by_id, n * sizeof(*ids));
		if (ids == NULL)
			return -ENOMEM;
		memset(ids + p->n_id, 0, (n - p->n_id) * sizeof(*ids));
		p->by_id = ids;
		p->n_id = n;
	}
	/* The index may have named another switch before a reload. */
	s = by_id(p, switch_id);
	if (s != NULL && strcmp(s->name, name) != 0)
		s->id = UINT32_MAX;
	if ((s = add_switch(p, name)) == NULL)
		return -ENOMEM;
	if (s->id != UINT32_MAX && s->id != switch_id && by_id(p, s->id) == s)
		p->by_id[s->id] = 0;
	s->id = switch_id;
	p->by_id[switch_id] = (uint32_t)(s - p->sw) + 1;
	return 0;
}

/* ---- the estimate -------------------------------------------------------------- */

/* One cache at one resolver: a (resolver, record type) pair, since a
 * resolver fetches and holds A and AAAA apart. Times in seconds after the flip.
 *
 * What its queries cannot say is described by hypotheses, each with a
 * probability: whether it serves stale answers first (nothing in its
 * queries shows it; STALE_PRIOR), and whether it holds by the TTL or by a
 * floor above it (its gaps, and since the flip whether it has re-fetched
 * when the TTL's expiry says it should have, tell). Each hypothesis gives
 * the time the cache moves; the estimate is the mixture, and the band its
 * spread (see shares_at). */
enum { HY_BASE,
       HY_FLOOR,
       HY_N };

struct unit {
	const struct track_entry *e;
	double w;        /* client queries per second it stands for */
	double w_var;    /* the variance of that estimate */
	double hold;     /* learned hold time; 0: unknown */
	double before;   /* latest fetch before the flip; NAN: none */
	double after;    /* first fetch after it; NAN: none yet */
	int at_risk;
	int seen;        /* re-fetched (after is set) */
	double move;     /* when it leaves the expected share, the likeliest way (laggards) */
	double fresh[HY_N];  /* until when its copy is fresh under each hold hypothesis (<= 0: not at the flip) */
	double floor_at[3];  /* the same under a floor, at three points of the floor's uncertainty */
	double p[HY_N];      /* posterior of each hold hypothesis */
	int window;      /* its weight came from a window before the flip; 0: guessed (fallback) */
	int measured;    /* w learned from its queries, not guessed */
};

struct units {
	struct unit *u;
	size_t n, cap;
	const struct flip_meta *m;
	double age;      /* seconds since the flip, as of the report */
	int failed;
	double first;    /* the earliest query seen of this switch (s after the flip) */
	double pi, pi_sd; /* the share of serve-stale-first caches assumed, and its spread */
	int fused;       /* minutes of CDN counts that corrected pi */
};

static double rel_s(uint64_t t_ns, uint64_t flip_ns)
{
	return t_ns == 0 ? NAN : ((double)t_ns - (double)flip_ns) / NS;
}

/* Mean waits shorter than this are within the noise of network delay:
 * demand saturates at its inverse (50 queries a second per resolver). */
#define MIN_WAIT_S 0.02

/* The prior odds that a resolver clamps TTLs to a floor: Bhowmick et al.
 * (PAM 2023) saw 8.74% of resolvers extend TTLs. */
#define FLOOR_PRIOR 0.0874
/* Floors longer than an hour are not considered (a cache holding longer
 * looks like one asked rarely). */
#define MAX_FLOOR_S 3601.0

/* The share of demand behind resolvers that answer stale first (RFC 8767
 * with a client timeout of 0), and how far a population may be from it:
 * nothing in a resolver's queries shows it, so this is an assumption,
 * used for the expectation and, with its spread, for the band. */
#define STALE_PRIOR 0.06
#define STALE_SD 0.05
/* The band: the expectation +- Z_90 standard deviations (a 90% interval),
 * the deviation including MODEL_SD_REL of the expectation for what the
 * model leaves out (prefetch windows, rounding, sparse weights). */
#define Z_90 1.645
#define MODEL_SD_REL 0.06
#define MODEL_SD_ABS 0.002
/* Weights from gaps when a cache is busy (its waits short against its
 * hold) or has shown this many; otherwise from a count over a window. */
#define GAP_RATE_MIN_N 20
/* A cache not seen for this many of its mean waits (and two minutes)
 * after its copy expired has no clients left: it leaves the shares. */
#define GONE_AFTER_WAITS 10
#define GONE_AFTER_S 120.0

/* The floors resolvers commonly clamp TTLs to (60, 300 and 3600 s, our
 * reading of Bhowmick et al. and Moura et al.): for a cache seen too
 * rarely to show its own, the smallest above TTL and at most LIMIT s
 * (0: none). */
static double common_floor(double ttl, double limit)
{
	static const double floors[] = { 60, 300, 3600 };
	for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++)
		if (floors[i] > 1.25 * ttl + 1 && floors[i] <= limit)
			return floors[i];
	return 0;
}

/*
 * The hold time of one cache from its gaps, knowing the TTL served. A
 * resolver fetches again at the first client query after its copy
 * expired, so a gap is the hold plus a wait that for Poisson clients is
 * exponential. The shortest gap overshoots the hold by the shortest wait,
 * which for a resolver asked once an hour is long: a few long gaps do not
 * make a floor. The gaps say "floor" when they sit tightly above a shift
 * beyond the TTL, the shift estimated as for a shifted exponential,
 * S = min - (mean - min) / (n - 1): the likelihood ratio of that against
 * the TTL, ((mean - TTL) / (mean - S))^n, times the Occam factor of a
 * shift anywhere up to MAX_FLOOR_S, gives with the prior odds the probability of a floor
 * (*Q, at shift *SHIFT); the hold is the floor when that is over half.
 * A gap well under the TTL is a re-fetch before expiry (prefetch, or a cap
 * below our TTL): the shortest is then the hold.
 */
static double hold_of(const struct track_learned *l, double ttl, double *q, double *shift_out, double *sd_out)
{
	*q = 0;
	*shift_out = ttl;
	*sd_out = 0;
	if (l->gaps == 0)
		return 0;
	if (l->min_s < 0.95 * ttl)
		return l->min_s;
	if (l->gaps < 2) {
		/* One gap: a floor is possible up to it; the common one. */
		double f = common_floor(ttl, l->min_s);
		if (f > 0) {
			*q = FLOOR_PRIOR;
			*shift_out = f;
		}
		return ttl;
	}
	if (l->min_s <= ttl)
		return ttl;
	double n = l->gaps, shift = l->min_s - (l->mean_s - l->min_s) / (n - 1);
	if (shift <= ttl)
		return ttl;
	/* The shift is known to about the waits' scale over n (*SD_OUT): a
	 * rarely asked floor's is uncertain by a large part of it. */
	double scale = l->mean_s - shift;
	if (scale < 1)
		scale = 1; /* whole-second clocks: no shift is known finer than a second */
	double sd = scale / n;
	if (shift - 2 * sd > MAX_FLOOR_S)
		return ttl;
	if (shift > MAX_FLOOR_S)
		shift = MAX_FLOOR_S;
	/* The likelihood at the best shift, times the share of the prior's
	 * range of floors that fits the gaps as well (about 1 / (n rate) of
	 * it): a few long gaps that happen to lie close together are not a
	 * floor. */
	double log_lr = n * log((l->mean_s - ttl) / scale) + log(scale / (n * MAX_FLOOR_S));
	double logit = log_lr + log(FLOOR_PRIOR / (1 - FLOOR_PRIOR));
	*q = logit > 30 ? 1 : 1 / (1 + exp(-logit));
	*shift_out = shift;
	*sd_out = sd;
	return *q > 0.5 ? shift : ttl;
}

/*
 * Client queries per second behind one cache, from its gaps: resolvers
 * keep time in whole seconds and are synchronised to UTC, so a copy
 * expires on a second's boundary (a whole number of seconds after the
 * previous fetch's second) and the next fetch comes at the first client
 * query after it: measured from the previous fetch's second, a gap is a
 * constant plus an exponential wait of mean 1/rate (plus the network's
 * delay, constant too). As for any shifted exponential, the excess over
 * the shortest, sum - n * min over n gaps, is Gamma(n - 1, rate):
 * (n - 2) / excess estimates the rate without bias. 0: too few gaps.
 */
static double gap_rate(const struct track_learned *l)
{
	if (l->gaps < 3)
		return 0;
	double den = l->gaps * (l->mean_from_second_s - l->min_from_second_s), num = l->gaps - 2.0;
	return num / (den > num * MIN_WAIT_S ? den : num * MIN_WAIT_S);
}

/* Resolvers expire copies on whole UTC seconds: T seconds after the flip
 * at FLIP_NS, rounded up to the next whole second. */
static double on_whole_second(uint64_t flip_ns, double t)
{
	double flip_frac = (double)(flip_ns % 1000000000u) / NS;
	return ceil(flip_frac + t) - flip_frac;
}

static void collect(const struct track_entry *e, void *arg)
{
	struct units *us = arg;
	const struct flip_meta *m = us->m;
	int same_flip = e->flip_ns == m->flip_ns;
	double ttl = m->ttl_s, first = rel_s(e->first_ns, m->flip_ns);

	if (first < us->first)
		us->first = first;
	for (int k = 0; k < TRACK_SLOTS; k++) {
		const struct track_slot *g = &e->slot[k];
		struct track_learned l;
		struct unit u;
		double q, shift, shift_sd;
		if (g->queries == 0)
			continue;
		track_learned(g, &l);
		memset(&u, 0, sizeof(u));
		u.e = e;
		u.hold = hold_of(&l, ttl, &q, &shift, &shift_sd);
		u.before = rel_s(same_flip ? g->before_ns : g->last_ns, m->flip_ns);
		u.after = same_flip ? rel_s(g->after_ns, m->flip_ns) : NAN;
		if (!isnan(u.after) && u.after > us->age)
			u.after = NAN; /* after the moment this report describes */
		u.seen = !isnan(u.after);
		/* The hold without a floor (the TTL, or shorter: a prefetch or a
		 * cap), and with one. */
		double hold = u.hold > 0 && u.hold < 0.95 * ttl ? u.hold : ttl;
		double longest = q > 0 && shift > hold ? shift : hold;
		uint32_t n_before = same_flip ? g->n_before : g->n;
		/* Idle since long before the flip and not back: not traffic. */
		if (!u.seen && (isnan(u.before) || -u.before > (longest > ACTIVE_BEFORE_S ? longest : ACTIVE_BEFORE_S) * ACTIVE_FACTOR))
			continue;

		/* Its weight. A busy cache (many gaps, or waits short against its
		 * hold) from the waits in its gaps; any other by how many fetches
		 * it made over a window ending a hold before the flip, not at it: a
		 * cache at risk is one that fetched just before the flip, and
		 * counting that fetch would weigh such caches more than their
		 * demand (a Poisson count over a fixed window is unbiased). */
		double r_gap = gap_rate(&l);
		double cycle = (1 - q) * hold + q * longest + 0.5;
		int busy = n_before >= 3 && !isnan(u.before) && (u.before - first) / n_before < 1.5 * cycle;
		if (n_before >= 3 && r_gap > 0 && (n_before >= GAP_RATE_MIN_N || busy)) {
			u.w = r_gap;
			u.w_var = r_gap * r_gap / (n_before > 4 ? n_before - 3 : 1);
			u.window = u.measured = 1;
		} else if (!isnan(u.before) && !isnan(first)) {
			double end = -longest;
			double in_window = n_before - (u.before > end ? 1 : 0);
			double exposure = (end - first) - ((in_window > 0 ? in_window : 0) + 1) * cycle;
			if (end - first > longest && exposure > 0) {
				u.w = (in_window > 0 ? in_window : 0) / exposure;
				u.w_var = (in_window > 1 ? in_window : 1) / (exposure * exposure);
				u.window = 1;
				u.measured = n_before >= 2;
			}
		}

		/* No fetch over a window of hours: no traffic to speak of. */
		if (u.window && u.w <= 0 && !u.seen)
			continue;
		/* When its copy stops being fresh, by hypothesis. */
		u.at_risk = !isnan(u.before) && u.before + (q > 0.5 ? longest : hold) > 0;
		double fresh_for = u.hold > 0 && u.hold < 0.95 * ttl && u.hold >= 0.8 * ttl ? ttl : hold;
		u.fresh[HY_BASE] = isnan(u.before) ? 0 : on_whole_second(m->flip_ns, u.before + fresh_for);
		if (l.gaps == 0 && !isnan(u.before) && (shift = common_floor(ttl, INFINITY)) > 0)
			q = FLOOR_PRIOR;
		u.fresh[HY_FLOOR] = isnan(u.before) ? 0 : on_whole_second(m->flip_ns, u.before + shift);
		/* The floor's uncertainty: three points of it (Gauss-Hermite),
		 * each between the TTL and the shortest gap. */
		for (int j = 0; j < 3; j++) {
			double f = shift + (j - 1) * 1.2247 * shift_sd, top = l.gaps > 0 && l.min_s < MAX_FLOOR_S ? l.min_s : MAX_FLOOR_S;
			f = f < top ? f : top;
			f = f > ttl ? f : ttl;
			u.floor_at[j] = isnan(u.before) ? 0 : on_whole_second(m->flip_ns, u.before + f);
		}
		if (u.fresh[HY_FLOOR] <= u.fresh[HY_BASE])
			q = 0;
		u.p[HY_BASE] = 1 - q;
		u.p[HY_FLOOR] = q;
		if (us->n == us->cap) {
			size_t cap = us->cap ? us->cap * 2 : 256;
			struct unit *n = realloc(us->u, cap * sizeof(*n));
			if (n == NULL) {
				us->failed = 1;
				return;
			}
			us->u = n;
			us->cap = cap;
		}
		us->u[us->n++] = u;
	}
}

/* After every unit is in: weights for those without a window (first seen
 * shortly before the flip, or only after it: rarely asked, or new), and
 * the hypotheses weighed by what happened since the flip. A copy fetches
 * again at the first client query after it expires: a cache not seen by
 * AGE although its copy expired at F by one hypothesis had no client for
 * AGE - F, likely for a busy one only if the hypothesis is wrong. */
static void settle(struct units *us)
{
	double span = -us->first, age = us->age;
	for (size_t i = 0; i < us->n; i++) {
		struct unit *u = &us->u[i];
		if (!u->window) {
			/* At most one fetch over all the time we have watched. */
			double hold = u->hold > 0 ? u->hold : us->m->ttl_s;
			u->w = 1 / (span > hold ? span : hold);
			u->w_var = u->w * u->w;
		}
		double r = u->w, sum = 0;
		/* Not seen although, asked at its rate, it would have fetched
		 * ten times over since its copy expired by any likely hold: its
		 * clients are gone. */
		double latest = 0;
		for (int k = 0; k < HY_N; k++)
			if (u->p[k] > 0.01 && u->fresh[k] > latest)
				latest = u->fresh[k];
		double since = age - latest;
		if (!u->seen && r * since > GONE_AFTER_WAITS && since > GONE_AFTER_S) {
			u->w = u->w_var = 0;
			continue;
		}
		for (int k = 0; k < HY_N; k++) {
			double f = u->fresh[k] > 0 ? u->fresh[k] : 0, like;
			if (u->seen)
				like = u->after >= f - 1e-6 ? exp(-r * (u->after - f)) : 1e-3;
			else
				like = age > f ? exp(-r * (age - f)) : 1;
			u->p[k] *= like;
			sum += u->p[k];
		}
		if (sum > 0)
			for (int k = 0; k < HY_N; k++)
				u->p[k] /= sum;
		int likely = u->p[HY_FLOOR] > 0.5 ? HY_FLOOR : HY_BASE;
		u->move = u->seen ? u->after : u->fresh[likely] > 0 ? u->fresh[likely]
		                                                    : 0;
	}
}

/* The share of a cache's clients getting the old answer at T, when the
 * cache answered old before U and new after (a step), or, with DECAY > 0,
 * old before U and then each second with probability DECAY of a client
 * query moving it (a serve-stale cache not yet seen re-fetching). A share
 * CS of the clients keep what it answered for CH seconds: they get the
 * old answer in proportion to the part of (T - CH, T] it answered old. */
static double old_share(double t, double u, double decay, int decays, double cs, double ch)
{
	double now = t < u ? 1 : decays ? exp(-decay * (t - u))
	                                : 0;
	if (cs <= 0 || ch <= 0)
		return now;
	double lo = t - ch, held = u > lo ? (u < t ? u : t) - lo : 0;
	if (decays && t > u) {
		double from = lo > u ? lo : u;
		held += decay > 0 ? (exp(-decay * (from - u)) - exp(-decay * (t - u))) / decay : t - from;
	}
	return (1 - cs) * now + cs * held / ch;
}

/* One cache's share of old answers at T, not serving stale first (BY[0],
 * and its mean square SQ[0]) and serving stale first (BY[1], SQ[1]),
 * each the mixture over its hold hypotheses. */
static void unit_share(const struct units *us, const struct unit *u, double t, double cs, double ch, double by[2],
                       double sq[2])
{
	static const double node_w[3] = { 1.0 / 6, 2.0 / 3, 1.0 / 6 };
	by[0] = by[1] = sq[0] = sq[1] = 0;
	for (int k = 0; k < HY_N; k++) {
		if (u->p[k] <= 0)
			continue;
		for (int j = 0; j < (k == HY_FLOOR ? 3 : 1); j++) {
			double f = k == HY_FLOOR ? u->floor_at[j] : u->fresh[k], v;
			double p = u->p[k] * (k == HY_FLOOR ? node_w[j] : 1);
			f = f > 0 ? f : 0;
			v = old_share(t, u->seen && u->after < f ? u->after : f, 0, 0, cs, ch);
			by[0] += p * v;
			sq[0] += p * v * v;
			if (u->seen)
				v = old_share(t, u->after, 0, 0, cs, ch);
			else
				v = old_share(t, f > us->age ? f : us->age, u->w, 1, cs, ch);
			by[1] += p * v;
			sq[1] += p * v * v;
		}
	}
}

/* How much of the band cache U makes at T (around expectation EX): its
 * own uncertainty, its weight's, and its part in the stale share's. */
static double unit_variance(const struct units *us, const struct unit *u, double t, const struct prop_opts *c, double ex)
{
	double ch = c->client_hold_s, cs = ch > 0 ? c->client_share : 0, by[2], sq[2], pi = us->pi;
	if (u->w <= 0)
		return 0;
	unit_share(us, u, t, cs, ch, by, sq);
	double m1 = (1 - pi) * by[0] + pi * by[1], m2 = (1 - pi) * sq[0] + pi * sq[1], d = us->pi_sd * u->w * (by[1] - by[0]);
	return u->w * u->w * (m2 - m1 * m1 > 0 ? m2 - m1 * m1 : 0) + u->w_var * (m1 - ex) * (m1 - ex) + d * d;
}

struct shares {
	double lower, expected, upper, refetched;
	double sd;
	double stale_d;  /* how the expected share moves with the stale share */
};

/* The demand-weighted shares at T seconds after the flip. Each cache's
 * share is the mixture over its hypotheses; the band is the expectation
 * +- Z_90 standard deviations of: each cache's own uncertainty (which
 * hypothesis; independent across caches), its weight's sampling error,
 * the population's share of serve-stale resolvers (STALE_SD, the same for
 * every cache, so it adds up rather than averaging out), and MODEL_SD. */
static struct shares shares_at(const struct units *us, double t, const struct prop_opts *c)
{
	double all = 0, ex = 0, risk = 0, ref = 0, var_own = 0, stale_d = 0;
	double ch = c->client_hold_s, cs = ch > 0 ? c->client_share : 0;
	struct shares s;
	double *x = us->n ? malloc(us->n * sizeof(*x)) : NULL;

	for (size_t i = 0; i < us->n; i++) {
		const struct unit *u = &us->u[i];
		if (u->w <= 0) {
			if (x != NULL)
				x[i] = 0;
			continue;
		}
		double by[2], sq[2], pi = us->pi;
		unit_share(us, u, t, cs, ch, by, sq);
		double m1 = (1 - pi) * by[0] + pi * by[1], m2 = (1 - pi) * sq[0] + pi * sq[1];
		if (x != NULL)
			x[i] = m1;
		all += u->w;
		ex += u->w * m1;
		var_own += u->w * u->w * (m2 - m1 * m1 > 0 ? m2 - m1 * m1 : 0);
		stale_d += u->w * (by[1] - by[0]);
		if (u->at_risk) {
			risk += u->w;
			if (u->seen && u->after <= t)
				ref += u->w;
		}
	}
	s.expected = all > 0 ? ex / all : 0;
	double var_w = 0;
	for (size_t i = 0; x != NULL && i < us->n; i++)
		var_w += us->u[i].w_var * (x[i] - s.expected) * (x[i] - s.expected);
	free(x);
	double var = all > 0 ? (var_own + var_w) / (all * all) : 0;
	s.stale_d = all > 0 ? stale_d / all : 0;
	/* The model term fades out with the expectation: when every cache is
	 * seen to have moved there is nothing left for it to be wrong about. */
	double d = us->pi_sd * s.stale_d;
	double model = MODEL_SD_ABS * (s.expected < 0.01 ? s.expected / 0.01 : 1) + MODEL_SD_REL * s.expected;
	s.sd = sqrt(var + d * d + model * model);
	s.lower = s.expected - Z_90 * s.sd;
	s.upper = s.expected + Z_90 * s.sd;
	if (s.lower < 0)
		s.lower = 0;
	if (s.upper > 1)
		s.upper = 1;
	s.refetched = risk > 0 ? ref / risk : 1;
	return s;
}

/* Curve points: every second for the first minute, every 5 s to 5 min,
 * every 30 s to an hour, every 10 min after. */
static double next_t(double t)
{
	return t < 60 ? t + 1 : (t < 300 ? t + 5 : (t < 3600 ? t + 30 : t + 600));
}

static double pick(struct shares s, int which)
{
	return which == 0 ? s.lower : which == 1 ? s.expected
	                                         : s.upper;
}

/* The shares on the curve's grid, from the flip until both the report's
 * age and the upper bound's fall under 1% are passed (at most a day). */
struct grid {
	double *t;
	struct shares *s;
	size_t n;
};

static int grid_of(const struct units *us, const struct prop_opts *ch, struct grid *g)
{
	size_t cap = 512;
	g->n = 0;
	g->t = malloc(cap * sizeof(*g->t));
	g->s = malloc(cap * sizeof(*g->s));
	if (g->t == NULL || g->s == NULL)
		return -ENOMEM;
	for (double t = 0; t <= MAX_AGE_S; t = next_t(t)) {
		if (g->n == cap)
			break; /* the grid has about 400 points to a day */
		g->t[g->n] = t;
		g->s[g->n] = shares_at(us, t, ch);
		if (g->s[g->n++].upper < 0.01 && t >= us->age)
			break;
	}
	return 0;
}

static void grid_free(struct grid *g)
{
	free(g->t);
	free(g->s);
}

/* When the lower bound, the expected share and the upper bound fall under
 * 1% for good (OUT[0..2], seconds after the flip; negative: not within a
 * day): the last grid point at or over it, then bisected. */
static void below_1pct(const struct units *us, const struct prop_opts *ch, const struct grid *g, double out[3])
{
	double last_over[3] = { -1, -1, -1 };
	for (size_t i = 0; i < g->n; i++)
		for (int w = 0; w < 3; w++)
			if (pick(g->s[i], w) >= 0.01)
				last_over[w] = g->t[i];
	for (int w = 0; w < 3; w++) {
		double lo = last_over[w], hi;
		if (lo < 0) {
			out[w] = 0;
			continue;
		}
		if (lo >= MAX_AGE_S || (g->n > 0 && lo >= g->t[g->n - 1])) {
			out[w] = -1;
			continue;
		}
		hi = next_t(lo);
		while (hi - lo > 0.05) {
			double mid = (lo + hi) / 2;
			if (pick(shares_at(us, mid, ch), w) < 0.01)
				hi = mid;
			else
				lo = mid;
		}
		out[w] = hi;
	}
}

static double round3(double v)
{
	return round(v * 1000) / 1000;
}

static double round4(double v)
{
	return round(v * 10000) / 10000;
}

static json_t *num_or_null(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(round3(v));
}

static const char *class_of(double hold, uint32_t ttl)
{
	if (hold <= 0)
		return "unknown";
	if (hold < 0.95 * ttl)
		return "prefetch";
	if (hold <= 1.25 * ttl + 1)
		return "ttl";
	return "floor";
}

/* A resolver's units folded together for the tables. */
struct resolver {
	const struct track_entry *e;
	double w, hold, before, after, move;
	double var;      /* its part of the band's variance (unit_variance) */
	int at_risk, refetched_all;
};

static int by_weight(const void *a, const void *b)
{
	double x = ((const struct resolver *)a)->w, y = ((const struct resolver *)b)->w;
	return x < y ? 1 : (x > y ? -1 : 0);
}

/* Traffic-seconds left on the old side: what makes a laggard heavy. */
static int by_lag(const void *a, const void *b)
{
	const struct resolver *x = a, *y = b;
	double lx = x->w * x->move, ly = y->w * y->move;
	return lx < ly ? 1 : (lx > ly ? -1 : 0);
}

static int by_entry(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;
	return x->e < y->e ? -1 : x->e > y->e;
}

static json_t *resolver_json(const struct resolver *r, double all, uint32_t ttl, char *const *servers)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const char *server = servers[r->e->server] ? servers[r->e->server] : "?";
	inet_ntop(r->e->family, r->e->addr, addr, sizeof(addr));
	return json_pack("{s:s, s:s, s:f, s:f, s:o, s:s, s:I, s:b, s:o, s:o}", "resolver", addr, "server", server, "weight",
	                 round4(all > 0 ? r->w / all : 0), "qps", round3(r->w), "hold_s", num_or_null(r->hold > 0 ? r->hold : NAN),
	                 "class", class_of(r->hold, ttl), "queries", (json_int_t)r->e->queries, "at_risk", r->at_risk,
	                 "last_before_s", num_or_null(r->before), "first_after_s", num_or_null(r->after));
}

/* Most of the band first. */
static int by_variance(const void *a, const void *b)
{
	double x = ((const struct resolver *)a)->var, y = ((const struct resolver *)b)->var;
	return x < y ? 1 : x > y ? -1
	                         : 0;
}

/* The resolver tables: the heaviest, the laggards, and the ones that make
 * most of the band at T_U (the report's age, or the predicted time to 1%
 * if later), around the expectation EX there. */
static json_t *resolver_tables(struct units *us, uint32_t ttl, json_t *report, double t_u, double ex,
                               const struct prop_opts *c, char *const *servers)
{
	struct resolver *rs;
	size_t n = 0;
	double all = 0, var_all = 0;
	json_t *top = json_array(), *lag = json_array();

	if (us->n > 1)
		qsort(us->u, us->n, sizeof(*us->u), by_entry);
	rs = calloc(us->n ? us->n : 1, sizeof(*rs));
	if (rs == NULL)
		return NULL;
	for (size_t i = 0; i < us->n; i++) {
		const struct unit *u = &us->u[i];
		struct resolver *r = n > 0 && rs[n - 1].e == u->e ? &rs[n - 1] : NULL;
		if (r == NULL) {
			r = &rs[n++];
			r->e = u->e;
			r->before = r->after = NAN;
			r->refetched_all = 1;
		}
		all += u->w;
		r->w += u->w;
		double v = unit_variance(us, u, t_u, c, ex);
		r->var += v;
		var_all += v;
		if (u->hold > r->hold)
			r->hold = u->hold;
		if (!isnan(u->before) && (isnan(r->before) || u->before > r->before))
			r->before = u->before;
		if (!isnan(u->after) && (isnan(r->after) || u->after < r->after))
			r->after = u->after;
		if (u->at_risk) {
			r->at_risk = 1;
			if (u->move > r->move)
				r->move = u->move;
			r->refetched_all &= !isnan(u->after);
		}
	}
	if (n > 1)
		qsort(rs, n, sizeof(*rs), by_weight);
	for (size_t i = 0; i < n && i < TOP_N; i++)
		json_array_append_new(top, resolver_json(&rs[i], all, ttl, servers));
	if (n > 1)
		qsort(rs, n, sizeof(*rs), by_lag);
	for (size_t i = 0, k = 0; i < n && k < LAGGARDS_N; i++) {
		if (!rs[i].at_risk)
			continue;
		json_array_append_new(lag, resolver_json(&rs[i], all, ttl, servers));
		k++;
	}
	json_t *unc = json_array();
	if (n > 1)
		qsort(rs, n, sizeof(*rs), by_variance);
	for (size_t i = 0; i < n && i < UNCERTAIN_N && rs[i].var > 0; i++) {
		json_t *o = resolver_json(&rs[i], all, ttl, servers);
		json_object_set_new(o, "band_share", json_real(round4(var_all > 0 ? rs[i].var / var_all : 0)));
		json_array_append_new(unc, o);
	}
	json_object_set_new(report, "uncertain", unc);
	json_object_set_new(report, "uncertain_at_s", json_real(round3(t_u)));
	json_object_set_new(report, "resolvers", json_integer((json_int_t)n));
	free(rs);
	json_object_set_new(report, "resolvers_top", top);
	json_object_set_new(report, "laggards", lag);
	return report;
}

/* JSON integers are signed: a saturated sum shows as the largest one. */
static json_int_t count(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v;
}

static json_t *errors_json(const struct sw_reports *s, const struct flip_meta *m, double age)
{
	json_t *a = json_array();
	int64_t flip_min = (int64_t)(m->flip_ns / 1000000000ull / 60);
	int64_t last = flip_min + (int64_t)(age / 60);

	if (s->bins == NULL)
		return a;
	for (int64_t k = flip_min - ERR_BEFORE_MIN; k <= last; k++) {
		const struct ebin *b = &s->bins[k % ERR_BINS];
		if (b->minute != k)
			continue;
		double t = (double)(k * 60) - (double)m->flip_ns / NS;
		json_array_append_new(a, json_pack("{s:f, s:I, s:I, s:I, s:I}", "t", round3(t), "old_requests",
		                                   count(b->req[m->from]), "old_errors", count(b->err[m->from]),
		                                   "new_requests", count(b->req[m->to]), "new_errors", count(b->err[m->to])));
	}
	return a;
}

static void rfc3339(uint64_t t_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(t_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03uZ", (unsigned)(t_ns / 1000000u % 1000));
}

/* Gather, in one pass over the table, the units of N flips: US[i].m and
 * US[i].age say which flip and as of when. A mass flip of thousands of
 * switches costs one pass, not one per switch. Free with units_free(). */
struct many {
	struct units *us;
	const uint32_t *job; /* switch id -> index into us + 1 (0: not wanted) */
	size_t n_id;
};

static void collect_many(const struct track_entry *e, void *arg)
{
	const struct many *m = arg;
	if (e->switch_id < m->n_id && m->job[e->switch_id])
		collect(e, &m->us[m->job[e->switch_id] - 1]);
}

static void units_free(struct units *us, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(us[i].u);
		us[i].u = NULL;
	}
}

static int gather_many(struct prop *p, struct units *us, size_t n)
{
	size_t n_id = 1;
	for (size_t i = 0; i < n; i++)
		if (us[i].m->id != UINT32_MAX && us[i].m->id >= n_id)
			n_id = us[i].m->id + 1;
	uint32_t *job = calloc(n_id, sizeof(*job));
	struct many m = { us, job, n_id };
	int failed = 0;

	if (job == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		us[i].u = NULL;
		us[i].n = us[i].cap = 0;
		us[i].failed = 0;
		us[i].first = INFINITY;
		us[i].pi = STALE_PRIOR;
		us[i].pi_sd = STALE_SD;
		us[i].fused = 0;
		if (us[i].m->id != UINT32_MAX)
			job[us[i].m->id] = (uint32_t)i + 1;
	}
	track_foreach(p->t, UINT32_MAX, collect_many, &m);
	free(job);
	for (size_t i = 0; i < n; i++)
		settle(&us[i]);
	for (size_t i = 0; i < n; i++)
		failed |= us[i].failed;
	if (failed) {
		units_free(us, n);
		return -ENOMEM;
	}
	return 0;
}

static int gather(struct prop *p, const struct flip_meta *m, double age, struct units *us)
{
	us->m = m;
	us->age = age;
	return gather_many(p, us, 1);
}

static json_t *curve_point(double t, struct shares sh)
{
	return json_pack("{s:f, s:f, s:f, s:f, s:f}", "t", t, "lower", round4(sh.lower), "expected",
	                 round4(sh.expected), "upper", round4(sh.upper), "refetched", round4(sh.refetched));
}

/* ---- the fleet: one row per server ------------------------------------------------ */

/*
 * Per server that saw queries for the switch (routerd, each secondary
 * sending dnstap): its share of the traffic, the share of its traffic
 * still on the old side and its part of what remains old fleet-wide,
 * when it first answered from the new side and last from the old one
 * since the flip (the transfer reaching it, as its answers show). The
 * expected secondaries that sent nothing are listed as unobserved: their
 * traffic is not in any share above.
 */
static void servers_json(struct prop *p, const struct units *us, json_t *report)
{
	struct units sub = *us;
	double all = 0, old_all = 0, w[TRACK_SERVERS] = { 0 }, old[TRACK_SERVERS] = { 0 };
	size_t resolvers[TRACK_SERVERS] = { 0 };
	json_t *rows = json_array(), *unobserved = json_array();
	const struct unit *prev = NULL;

	sub.u = malloc((us->n ? us->n : 1) * sizeof(*sub.u));
	if (sub.u == NULL)
		return;
	for (unsigned k = 0; k < TRACK_SERVERS; k++) {
		sub.n = 0;
		for (size_t i = 0; i < us->n; i++)
			if (us->u[i].e->server == k)
				sub.u[sub.n++] = us->u[i];
		if (sub.n == 0)
			continue;
		for (size_t i = 0; i < sub.n; i++)
			w[k] += sub.u[i].w;
		old[k] = shares_at(&sub, us->age, &p->o).expected * w[k];
		all += w[k];
		old_all += old[k];
	}
	/* Units are sorted by entry (resolver_tables): count entries once. */
	for (size_t i = 0; i < us->n; prev = &us->u[i], i++)
		if (prev == NULL || prev->e != us->u[i].e)
			resolvers[us->u[i].e->server]++;
	for (unsigned k = 0; k < TRACK_SERVERS; k++) {
		uint64_t first_new, last_old;
		const char *name = p->server_names[k];
		if (resolvers[k] == 0 && (k == 0 || name == NULL))
			continue;
		track_server_times(p->t, us->m->id, (uint8_t)k, &first_new, &last_old);
		json_array_append_new(
		    rows, json_pack("{s:s, s:b, s:I, s:f, s:f, s:f, s:o, s:o}", "server", name ? name : "?", "observed", 1,
		                    "resolvers", (json_int_t)resolvers[k], "traffic_share", round4(all > 0 ? w[k] / all : 0),
		                    "old_share", round4(w[k] > 0 ? old[k] / w[k] : 0), "remaining_share",
		                    round4(old_all > 0 ? old[k] / old_all : 0), "first_new_s",
		                    num_or_null(k == 0 ? NAN : round3(rel_s(first_new, us->m->flip_ns))), "last_old_s",
		                    num_or_null(k == 0 ? NAN : round3(rel_s(last_old, us->m->flip_ns)))));
	}
	for (size_t i = 0; i < p->n_expected; i++) {
		int seen = 0;
		for (unsigned k = 1; k < TRACK_SERVERS && !seen; k++)
			seen = p->server_names[k] && strcmp(p->server_names[k], p->expected[i]) == 0;
		if (!seen) {
			json_array_append_new(unobserved, json_string(p->expected[i]));
			json_array_append_new(rows, json_pack("{s:s, s:b}", "server", p->expected[i], "observed", 0));
		}
	}
	json_object_set_new(report, "servers", rows);
	json_object_set_new(report, "unobserved", unobserved);
	/* The share of the expected fleet that sends nothing: its traffic is
	 * unknown, so the estimate covers the rest. */
	json_object_set_new(report, "unobserved_share",
	                    json_real(p->n_expected ? round4((double)json_array_size(unobserved) / (double)p->n_expected) : 0));
	free(sub.u);
}

/*
 * What the CDN saw (POST /api/v1/errors): requests on the old side in a
 * minute after the flip, against all requests, are a measurement of the
 * residual, not an estimate. The estimate at a stale share pi is a + pi b
 * (b: how far serve-stale-first caches would keep it up), so each whole
 * minute after the flip is one noisy reading of pi; they correct the
 * prior (STALE_PRIOR +- STALE_SD) by weighted least squares, each minute
 * weighed by its counting noise and the model's own error. The corrected
 * pi and its spread then make the expectation, the band and the forecast.
 * Returns the minutes as [{t, requests, old_share, expected}] (expected:
 * the estimate over that minute before the correction).
 */
static json_t *fuse_errors(const struct sw_reports *s, struct units *us, const struct prop_opts *c)
{
	json_t *out = json_array();
	const struct flip_meta *m = us->m;
	double flip_s = (double)m->flip_ns / NS, prior = us->pi;
	double prec = 1 / (us->pi_sd * us->pi_sd), num = prior * prec;

	if (s->bins == NULL)
		return out;
	int64_t first = (int64_t)ceil(flip_s / 60), last = (int64_t)floor((flip_s + us->age) / 60) - 1;
	if (last - first >= ERR_BINS)
		first = last - ERR_BINS + 1;
	for (int64_t k = first; k <= last; k++) {
		const struct ebin *b = &s->bins[k % ERR_BINS];
		if (b->minute != k)
			continue;
		double old = (double)b->req[m->from], n = old + (double)b->req[m->to];
		if (n <= 0)
			continue;
		double t0 = (double)k * 60 - flip_s, a, d, o = old / n;
		us->pi = 0;
		struct shares sh = shares_at(us, t0 + 30, c);
		a = sh.expected;
		d = sh.stale_d;
		us->pi = prior;
		double est = a + prior * d, model = MODEL_SD_ABS + MODEL_SD_REL * est;
		double v = (o * (1 - o) + 1 / n) / n + model * model;
		prec += d * d / v;
		num += d * (o - a) / v;
		us->fused++;
		json_array_append_new(out, json_pack("{s:f, s:I, s:f, s:f}", "t", round3(t0), "requests", (json_int_t)n,
		                                     "old_share", round4(o), "expected", round4(est)));
	}
	us->pi = num / prec;
	if (us->pi < 0)
		us->pi = 0;
	if (us->pi > 1)
		us->pi = 1;
	us->pi_sd = 1 / sqrt(prec);
	return out;
}

/* The report of flip M of S as of AGE seconds after it. */
static json_t *report_of(struct prop *p, const struct sw_reports *s, struct units *u, int done)
{
	struct units us = *u;
	const struct flip_meta *m = us.m;
	double age = us.age;
	const struct prop_opts *ch = &p->o;
	char when[40];
	json_t *r, *curve;
	size_t risk = 0, refetched = 0;

	for (size_t i = 0; i < us.n; i++) {
		risk += us.u[i].at_risk;
		refetched += us.u[i].at_risk && !isnan(us.u[i].after);
	}
	rfc3339(m->flip_ns, when, sizeof(when));
	json_t *measured = fuse_errors(s, &us, ch);
	struct shares now = shares_at(&us, age, ch);
	double b1[3];
	struct grid g;
	if (grid_of(&us, ch, &g) < 0) {
		grid_free(&g);
		json_decref(measured);
		return NULL;
	}
	below_1pct(&us, ch, &g, b1);
	r = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:i, s:f, s:f, s:I, s:I, s:{s:f, s:f, s:f, s:f}, s:o}", "switch",
	              s->name, "state", done ? "done" : "running", "flip_time", when, "flip_time_ms",
	              (json_int_t)(m->flip_ns / 1000000u), "from", side_name(m->from), "to", side_name(m->to), "ttl_s",
	              (int)m->ttl_s, "client_hold_s", (int)p->o.client_hold_s, "client_share", p->o.client_share, "age_s", round3(age), "at_risk",
	              (json_int_t)risk, "refetched", (json_int_t)refetched, "now", "lower", round4(now.lower),
	              "expected", round4(now.expected), "upper", round4(now.upper), "refetched", round4(now.refetched),
	              "below_1pct_s", b1[1] < 0 ? json_null() : json_real(round3(b1[1])));
	if (r == NULL) {
		grid_free(&g);
		json_decref(measured);
		return NULL;
	}
	/* The band is a 90% interval; when the share falls under 1% is as
	 * uncertain as the share: from the lower bound's time to the upper's. */
	json_object_set_new(r, "interval", json_real(0.9));
	json_object_set_new(r, "below_1pct_range_s",
	                    json_pack("[o, o]", b1[0] < 0 ? json_null() : json_real(round3(b1[0])),
	                              b1[2] < 0 ? json_null() : json_real(round3(b1[2]))));
	json_object_set_new(r, "stale_share", json_pack("{s:f, s:f, s:f, s:i}", "prior", STALE_PRIOR, "estimate", round4(us.pi), "sd", round4(us.pi_sd), "minutes", us.fused));
	json_object_set_new(r, "measured", measured);
	curve = json_array();
	double last = -1;
	for (size_t i = 0; i < g.n && g.t[i] <= age; i++) {
		json_array_append_new(curve, curve_point(g.t[i], g.s[i]));
		last = g.t[i];
	}
	grid_free(&g);
	/* The curve ends where the report is: a done report's last point
	 * stands for the rest of time, and a cache that moved since the last
	 * grid point has moved. */
	if (round3(age) > last)
		json_array_append_new(curve, curve_point(round3(age), now));
	json_object_set_new(r, "curve", curve);
	json_object_set_new(r, "errors", errors_json(s, m, age));
	double t_u = b1[1] > age ? b1[1] : age;
	resolver_tables(&us, m->ttl_s, r, t_u, shares_at(&us, t_u, ch).expected, ch, p->server_names);
	servers_json(p, &us, r);
	return r;
}

/* The report of flip M of S as of AGE seconds after it. */
static json_t *build_report(struct prop *p, const struct sw_reports *s, const struct flip_meta *m, double age, int done)
{
	struct units us;
	json_t *r;
	if (gather(p, m, age, &us) < 0)
		return NULL;
	r = report_of(p, s, &us, done);
	units_free(&us, 1);
	return r;
}

static double age_of(const struct flip_meta *m, uint64_t now_ns)
{
	double a = now_ns > m->flip_ns ? ((double)now_ns - (double)m->flip_ns) / NS : 0;
	return a < MAX_AGE_S ? a : MAX_AGE_S;
}

/* ---- frozen reports and their journal ------------------------------------------- */

static void keep_done(struct prop *p, struct sw_reports *s, json_t *report)
{
	if (s->n_done == p->o.reports) {
		json_decref(s->done[0]);
		memmove(s->done, s->done + 1, (s->n_done - 1) * sizeof(*s->done));
		s->n_done--;
	}
	if (s->done == NULL && (s->done = calloc(p->o.reports, sizeof(*s->done))) == NULL) {
		json_decref(report);
		return;
	}
	s->done[s->n_done++] = report;
}

static json_t *snapshot_cb(void *arg)
{
	struct prop *p = arg;
	json_t *all = json_array();
	for (size_t i = 0; i < p->n_sw; i++)
		for (size_t k = 0; k < p->sw[i].n_done; k++)
			json_array_append(all, p->sw[i].done[k]);
	return json_pack("{s:o}", "reports", all);
}

static int replay_cb(const json_t *rec, int is_snapshot, void *arg)
{
	struct prop *p = arg;
	size_t i;
	json_t *r;
	(void)is_snapshot;
	json_array_foreach(json_object_get(rec, "reports"), i, r) {
		const char *name = json_string_value(json_object_get(r, "switch"));
		struct sw_reports *s = name ? add_switch(p, name) : NULL;
		if (s == NULL)
			continue; /* a record this version does not know: skip it, keep the rest */
		keep_done(p, s, json_incref(r));
	}
	return 0;
}

/* Write REPORTS (an array) durably; they are kept in memory either way. */
static void persist(struct prop *p, json_t *reports)
{
	size_t n = json_array_size(reports);
	if (p->j == NULL || n == 0)
		return;
	for (size_t i = 0; i < n; i += REPORTS_PER_RECORD) {
		json_t *chunk = json_array();
		for (size_t k = i; k < n && k < i + REPORTS_PER_RECORD; k++)
			json_array_append(chunk, json_array_get(reports, k));
		json_t *rec = json_pack("{s:o}", "reports", chunk);
		int rc = journal_append(p->j, rec);
		json_decref(rec);
		if (rc < 0) {
			p->journal_failures++;
			log_error("propagation reports not saved: %s", journal_strerror(rc));
			return;
		}
	}
}

struct freeze_job {
	struct sw_reports *s;
	struct flip_meta m;
	double age;
};

/* Gathers nothing: no entry has this switch id. */
static const struct flip_meta no_flip = { .id = UINT32_MAX };

static void freeze_all(struct prop *p, struct freeze_job *jobs, size_t n)
{
	json_t *out = json_array();
	struct units *us = calloc(n ? n : 1, sizeof(*us));
	if (us == NULL || out == NULL)
		goto done;
	for (size_t i = 0; i < n; i++) {
		us[i].m = &jobs[i].m;
		us[i].age = jobs[i].age;
	}
	/* Two flips of one switch in a batch (rare): the older alone first. */
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (jobs[i].s == jobs[k].s) {
				json_t *r = build_report(p, jobs[i].s, &jobs[i].m, jobs[i].age, 1);
				if (r != NULL) {
					keep_done(p, jobs[i].s, r);
					json_array_append(out, r);
					p->frozen++;
				}
				jobs[i].s = NULL;
				us[i].m = &no_flip;
				break;
			}
	if (gather_many(p, us, n) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].s == NULL)
			continue;
		json_t *r = report_of(p, jobs[i].s, &us[i], 1);
		if (r == NULL)
			continue;
		keep_done(p, jobs[i].s, r);
		json_array_append(out, r);
		p->frozen++;
	}
	units_free(us, n);
	persist(p, out);
done:
	free(us);
	json_decref(out);
}

/* ---- the interface ---------------------------------------------------------------- */

struct prop *prop_new(const struct prop_opts *opts, char *err, size_t errlen)
{
	struct prop *p = calloc(1, sizeof(*p));
	if (p != NULL)
		pthread_mutex_init(&p->lock, NULL);
	if (p == NULL || (p->t = track_table_new(opts->max_entries)) == NULL ||
	    (p->by_name = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		prop_free(p);
		return NULL;
	}
	p->o = *opts;
	p->server_names[0] = strdup("routerd");
	if (p->o.reports == 0)
		p->o.reports = 1;
	p->o.state_dir = NULL;
	if (opts->state_dir != NULL) {
		char dir[4096];
		struct journal_opts jo = { 0, 0, snapshot_cb, p };
		snprintf(dir, sizeof(dir), "%s/propagation", opts->state_dir);
		if (mkdir(opts->state_dir, 0750) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", opts->state_dir, strerror(errno));
			prop_free(p);
			return NULL;
		}
		int rc = journal_open(&p->j, dir, &jo, replay_cb, p, NULL);
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", dir, journal_strerror(rc));
			prop_free(p);
			return NULL;
		}
	}
	return p;
}

void prop_free(struct prop *p)
{
	if (p == NULL)
		return;
	if (p->t != NULL) {
		/* Shutting down: what is running is as done as it will get. */
		struct freeze_job *jobs = calloc(p->n_sw ? p->n_sw * 2 : 1, sizeof(*jobs));
		size_t n = 0;
		uint64_t now = 0;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		for (size_t i = 0; jobs != NULL && i < p->n_sw; i++) {
			struct sw_reports *s = &p->sw[i];
			if (s->freeze_pending)
				jobs[n++] = (struct freeze_job){ s, s->pending, age_of(&s->pending, s->cur.flip_ns) };
			if (s->running)
				jobs[n++] = (struct freeze_job){ s, s->cur, age_of(&s->cur, now) };
		}
		if (jobs != NULL && p->j != NULL)
			freeze_all(p, jobs, n);
		free(jobs);
	}
	journal_close(p->j);
	for (size_t i = 0; i < p->n_sw; i++) {
		for (size_t k = 0; k < p->sw[i].n_done; k++)
			json_decref(p->sw[i].done[k]);
		free(p->sw[i].done);
		free(p->sw[i].bins);
		free(p->sw[i].name);
	}
	free(p->sw);
	free(p->by_id);
	json_decref(p->by_name);
	for (unsigned k = 0; k < TRACK_SERVERS; k++)
		free(p->server_names[k]);
	for (size_t i = 0; i < p->n_expected; i++)
		free(p->expected[i]);
	free(p->expected);
	track_table_free(p->t);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void prop_observe(struct prop *p, const struct track_obs *o)
{
	pthread_mutex_lock(&p->lock);
	track_add(p->t, o);
	pthread_mutex_unlock(&p->lock);
}

size_t prop_drain(struct prop *p, struct track_ring *r)
{
	pthread_mutex_lock(&p->lock);
	size_t n = track_drain(p->t, r);
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void prop_flip_locked(struct prop *p, uint32_t switch_id, uint64_t t_ns, enum side from, enum side to, uint32_t ttl_s)
{
	struct sw_reports *s = by_id(p, switch_id);
	if (s == NULL)
		return;
	if (s->running) {
		if (s->freeze_pending) {
			/* Two flips within one tick: freeze the older one now. */
			struct freeze_job j = { s, s->pending, age_of(&s->pending, s->cur.flip_ns) };
			s->freeze_pending = 0;
			freeze_all(p, &j, 1);
		}
		s->pending = s->cur;
		s->freeze_pending = 1;
	}
	s->cur = (struct flip_meta){ t_ns, from, to, ttl_s, switch_id };
	s->running = 1;
	track_set_flip(p->t, switch_id, t_ns, to);
}

static void prop_errors_locked(struct prop *p, uint32_t switch_id, enum side side, uint64_t t_ns, uint32_t window_s, uint64_t requests,
                               uint64_t errors)
{
	struct sw_reports *s = by_id(p, switch_id);
	if (s == NULL || (side != SIDE_CDN && side != SIDE_ORIGIN))
		return;
	if (s->bins == NULL && (s->bins = calloc(ERR_BINS, sizeof(*s->bins))) == NULL)
		return;
	/* The counts cover the WINDOW_S before T_NS: file them under its middle minute. */
	int64_t minute = (int64_t)((t_ns / 1000000000ull - window_s / 2) / 60);
	struct ebin *b = &s->bins[minute % ERR_BINS];
	if (b->minute != minute)
		*b = (struct ebin){ .minute = minute };
	/* Saturate: a flood of reports must not wrap a sum round. */
	b->req[side] = requests > UINT64_MAX - b->req[side] ? UINT64_MAX : b->req[side] + requests;
	b->err[side] = errors > UINT64_MAX - b->err[side] ? UINT64_MAX : b->err[side] + errors;
}

/* Append J to *JOBS (growing it); false when out of memory. */
static int push_job(struct freeze_job **jobs, size_t *n, size_t *cap, struct freeze_job j)
{
	if (*n == *cap) {
		size_t c2 = *cap ? *cap * 2 : 16;
		struct freeze_job *nj = realloc(*jobs, c2 * sizeof(*nj));
		if (nj == NULL)
			return 0;
		*jobs = nj;
		*cap = c2;
	}
	(*jobs)[(*n)++] = j;
	return 1;
}

/* Running flips whose upper bound is under DONE_UPPER (or a day old) are done. */
static void find_done(struct prop *p, uint64_t now_ns, struct freeze_job **jobs, size_t *n, size_t *cap)
{
	struct freeze_job *cand = NULL;
	size_t nc = 0, cc = 0;
	struct units *us;

	for (size_t i = 0; i < p->n_sw; i++) {
		struct sw_reports *s = &p->sw[i];
		double age = age_of(&s->cur, now_ns);
		if (s->running && age > s->cur.ttl_s + p->o.client_hold_s &&
		    !push_job(&cand, &nc, &cc, (struct freeze_job){ s, s->cur, age }))
			break;
	}
	us = calloc(nc ? nc : 1, sizeof(*us));
	for (size_t i = 0; us != NULL && i < nc; i++) {
		us[i].m = &cand[i].m;
		us[i].age = cand[i].age;
	}
	if (us != NULL && gather_many(p, us, nc) == 0) {
		for (size_t i = 0; i < nc; i++) {
			/* As the report has it: with the CDN's counts, if any. */
			json_decref(fuse_errors(cand[i].s, &us[i], &p->o));
			if (cand[i].age < MAX_AGE_S && shares_at(&us[i], cand[i].age, &p->o).upper >= DONE_UPPER)
				continue;
			if (push_job(jobs, n, cap, cand[i]))
				cand[i].s->running = 0;
		}
		units_free(us, nc);
	}
	free(us);
	free(cand);
}

static void prop_tick_locked(struct prop *p, uint64_t now_ns)
{
	struct freeze_job *jobs = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < p->n_sw; i++) {
		struct sw_reports *s = &p->sw[i];
		if (s->freeze_pending &&
		    push_job(&jobs, &n, &cap, (struct freeze_job){ s, s->pending, age_of(&s->pending, s->cur.flip_ns) }))
			s->freeze_pending = 0;
	}
	if (now_ns >= p->next_check_ns) {
		p->next_check_ns = now_ns + CHECK_NS;
		find_done(p, now_ns, &jobs, &n, &cap);
	}
	if (n > 0)
		freeze_all(p, jobs, n);
	free(jobs);
}

static json_t *prop_report_locked(struct prop *p, const char *name, long flip, uint64_t now_ns, char *err, size_t errlen)
{
	struct sw_reports *s = by_name(p, name);
	size_t total;
	json_t *r;

	if (s == NULL) {
		snprintf(err, errlen, "%s: no such switch", name);
		return NULL;
	}
	total = s->n_done + (s->freeze_pending ? 1 : 0) + (s->running ? 1 : 0);
	if (total == 0) {
		snprintf(err, errlen, "%s: no flip seen yet", name);
		return NULL;
	}
	if (flip < 0 || (size_t)flip > total) {
		snprintf(err, errlen, "%s: flip %ld: the reports kept are 1 to %zu", name, flip, total);
		return NULL;
	}
	size_t k = flip == 0 ? total - 1 : (size_t)flip - 1;
	if (k < s->n_done) {
		r = json_deep_copy(s->done[k]);
	} else if (s->freeze_pending && k == s->n_done) {
		r = build_report(p, s, &s->pending, age_of(&s->pending, s->cur.flip_ns), 1);
	} else {
		r = build_report(p, s, &s->cur, age_of(&s->cur, now_ns), 0);
	}
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_object_set_new(r, "flip", json_integer((json_int_t)k + 1));
	json_object_set_new(r, "flips", json_integer((json_int_t)total));
	return r;
}

/* Per switch, its latest flip: the shares now while it is followed, the
 * ones it ended with once done. */
static void prop_metrics_locked(struct prop *p, FILE *f, uint64_t now_ns)
{
	struct track_stats ts;
	track_table_stats(p->t, &ts);
	fprintf(f,
	        "# HELP routerd_track_observations_total Queries for switched names taken from the workers.\n"
	        "# TYPE routerd_track_observations_total counter\nrouterd_track_observations_total %llu\n"
	        "# HELP routerd_track_evicted_total (switch, resolver) entries evicted to stay within the bound.\n"
	        "# TYPE routerd_track_evicted_total counter\nrouterd_track_evicted_total %llu\n"
	        "# HELP routerd_track_entries (switch, resolver) entries held, and the bound.\n"
	        "# TYPE routerd_track_entries gauge\nrouterd_track_entries %zu\n"
	        "# TYPE routerd_track_entries_max gauge\nrouterd_track_entries_max %zu\n"
	        "# HELP routerd_propagation_reports_frozen_total Flip reports finished and kept.\n"
	        "# TYPE routerd_propagation_reports_frozen_total counter\nrouterd_propagation_reports_frozen_total %llu\n"
	        "# HELP routerd_propagation_journal_failures_total Reports that could not be written to disk.\n"
	        "# TYPE routerd_propagation_journal_failures_total counter\n"
	        "routerd_propagation_journal_failures_total %llu\n",
	        (unsigned long long)ts.observations, (unsigned long long)ts.evicted, ts.entries, ts.capacity,
	        (unsigned long long)p->frozen, (unsigned long long)p->journal_failures);
	fprintf(f, "# HELP routerd_track_server_observations_total Queries for switched names taken, by the server that saw them.\n"
	           "# TYPE routerd_track_server_observations_total counter\n");
	for (unsigned k = 0; k < TRACK_SERVERS; k++)
		if (p->server_names[k] != NULL && (k == 0 || ts.by_server[k] > 0))
			fprintf(f, "routerd_track_server_observations_total{server=\"%s\"} %llu\n", p->server_names[k],
			        (unsigned long long)ts.by_server[k]);
	static const char *const names[] = { "residual_ratio", "residual_lower_ratio", "residual_upper_ratio",
		                             "refetched_ratio", "age_seconds" };
	static const char *const help[] = {
		"Expected share of traffic still on the old side since the switch's latest flip.",
		"Lower bound of that share: a 90% interval's.",
		"Upper bound of that share: a 90% interval's.",
		"Demand-weighted share of the caches at risk that have re-fetched since the flip.",
		"Seconds since the switch's latest flip.",
	};
	/* Running flips: one pass over the table for all of them. */
	struct {
		const char *name;
		struct shares sh;
		double age;
	} *rows = calloc(p->n_sw ? p->n_sw : 1, sizeof(*rows));
	struct units *us = calloc(p->n_sw ? p->n_sw : 1, sizeof(*us));
	size_t n = 0, nr = 0;
	if (rows == NULL || us == NULL)
		goto out;
	for (size_t i = 0; i < p->n_sw; i++)
		if (p->sw[i].running && p->sw[i].id != UINT32_MAX) {
			us[nr].m = &p->sw[i].cur;
			us[nr++].age = age_of(&p->sw[i].cur, now_ns);
		}
	if (gather_many(p, us, nr) < 0)
		nr = 0;
	for (size_t i = 0, k = 0; i < p->n_sw; i++) {
		struct sw_reports *s = &p->sw[i];
		if (s->id == UINT32_MAX || (!s->running && s->n_done == 0))
			continue;
		rows[n].name = s->name;
		if (s->running) {
			if (k >= nr)
				continue;
			json_decref(fuse_errors(s, &us[k], &p->o)); /* as the report has it */
			rows[n].sh = shares_at(&us[k], us[k].age, &p->o);
			rows[n].age = us[k].age;
			k++;
		} else {
			/* Done: the shares it ended with (under 0.1%, unless cut short).
			 * The report may come from the journal, from before a restart. */
			json_t *last = s->done[s->n_done - 1], *now = json_object_get(last, "now");
			double flip_ms = json_number_value(json_object_get(last, "flip_time_ms"));
			rows[n].sh.lower = json_number_value(json_object_get(now, "lower"));
			rows[n].sh.expected = json_number_value(json_object_get(now, "expected"));
			rows[n].sh.upper = json_number_value(json_object_get(now, "upper"));
			rows[n].sh.refetched = json_number_value(json_object_get(now, "refetched"));
			rows[n].age = (double)now_ns / 1e6 > flip_ms ? ((double)now_ns / 1e6 - flip_ms) / 1000 : 0;
		}
		n++;
	}
	units_free(us, nr);
	for (int m = 0; m < 5; m++) {
		fprintf(f, "# HELP routerd_propagation_%s %s\n# TYPE routerd_propagation_%s gauge\n", names[m], help[m],
		        names[m]);
		for (size_t i = 0; i < n; i++) {
			double v = m == 0 ? rows[i].sh.expected : m == 1 ? rows[i].sh.lower
			                                      : m == 2   ? rows[i].sh.upper
			                                      : m == 3   ? rows[i].sh.refetched
			                                                 : rows[i].age;
			fprintf(f, "routerd_propagation_%s{switch=\"%s\"} %.6g\n", names[m], rows[i].name, v);
		}
	}
out:
	free(us);
	free(rows);
}

/* ---- the same, under the lock ------------------------------------------------------ */

int prop_name_switch(struct prop *p, uint32_t switch_id, const char *name)
{
	pthread_mutex_lock(&p->lock);
	int r = prop_name_switch_locked(p, switch_id, name);
	pthread_mutex_unlock(&p->lock);
	return r;
}

void prop_flip(struct prop *p, uint32_t switch_id, uint64_t t_ns, enum side from, enum side to, uint32_t ttl_s)
{
	pthread_mutex_lock(&p->lock);
	prop_flip_locked(p, switch_id, t_ns, from, to, ttl_s);
	pthread_mutex_unlock(&p->lock);
}

void prop_errors(struct prop *p, uint32_t switch_id, enum side side, uint64_t t_ns, uint32_t window_s, uint64_t requests,
                 uint64_t errors)
{
	pthread_mutex_lock(&p->lock);
	prop_errors_locked(p, switch_id, side, t_ns, window_s, requests, errors);
	pthread_mutex_unlock(&p->lock);
}

void prop_tick(struct prop *p, uint64_t now_ns)
{
	pthread_mutex_lock(&p->lock);
	prop_tick_locked(p, now_ns);
	pthread_mutex_unlock(&p->lock);
}

json_t *prop_report(struct prop *p, const char *name, long flip, uint64_t now_ns, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->lock);
	json_t *r = prop_report_locked(p, name, flip, now_ns, err, errlen);
	pthread_mutex_unlock(&p->lock);
	return r;
}

void prop_metrics(struct prop *p, FILE *f, uint64_t now_ns)
{
	pthread_mutex_lock(&p->lock);
	prop_metrics_locked(p, f, now_ns);
	pthread_mutex_unlock(&p->lock);
}

int prop_name_server(struct prop *p, unsigned id, const char *name)
{
	char *n;
	if (id == 0 || id >= TRACK_SERVERS || (n = strdup(name)) == NULL)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	free(p->server_names[id]);
	p->server_names[id] = n;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int prop_expect_servers(struct prop *p, const char *const *names, size_t n)
{
	char **e = calloc(n ? n : 1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((e[i] = strdup(names[i])) == NULL) {
			while (i > 0)
				free(e[--i]);
			free(e);
			return -ENOMEM;
		}
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n_expected; i++)
		free(p->expected[i]);
	free(p->expected);
	p->expected = e;
	p->n_expected = n;
	pthread_mutex_unlock(&p->lock);
	return 0;
}
