/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * propsim.c -- simulate an internet-scale resolver population across a
 * flip, feed routerd's propagation estimator (prop.h) exactly the queries
 * routerd would see, and compare its estimate with the simulated truth.
 *
 *   propsim [-n RESOLVERS] [-t TTL] [--seed N] [--json] [--truth-only] ...
 *
 * Exit status: 0 ok, 1 the estimate missed the truth by more than
 * --max-error-pp, 2 usage or setup error. Writes to stdout only.
 * The population model is in propsim_pop.c; README.md ("The propagation
 * simulator") documents the parameters and where the defaults come from.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "track/prop.h"
#include "propsim.h"

/* Simulated CLOCK_REALTIME of the start: late 2023, so times look real. */
#define T0_NS 1700000000000000000ull
#define SWITCH_NAME "www.example.com"
#define MAX_TIMES 64

/* The default class mix, tuned (with the browser share below) so that the
 * truth for a 20 s TTL resembles Flavel et al. 2014: about 90% of requests
 * moved within 60 s, about 2% still old after 15 minutes. See README.md. */
/* clang-format off */
static const double default_share[PC_N] = {
	[PC_TTL] = 0.70,      [PC_FLOOR60] = 0.06, [PC_FLOOR300] = 0.04,
	[PC_FLOOR3600] = 0.02, [PC_PREFETCH] = 0.12, [PC_STALE] = 0.06,
};

static const double default_times[] = {0,   10,  20,  30,   45,   60,   90,   120,  180,  240,
                                       300, 450, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200};

/* clang-format on */
struct est {
	double lower, expected, upper, refetched; /* NAN: no estimate */
	double below, below_lo, below_hi;         /* below_1pct_s and its range; NAN: null */
};

struct row {
	double t, truth, by_class[PC_N];
	struct est live;  /* the report at t, as an operator reads it then */
	struct est final; /* the final report's curve at t: the estimate with hindsight */
};

struct opts {
	struct pop_params pp;
	double times[MAX_TIMES];
	size_t n_times;
	double max_error_pp;
	bool json, truth_only, hindsight;
	bool random;          /* draw the population from the seed (draw_random) */
	int populations, jobs;  /* several seeds, in parallel processes, and a summary */
	double min_coverage;  /* exit 1 when fewer populations hold the truth inside the band at a time */
	double max_ratio;     /* exit 1 when below_1pct_s is off by more than this factor */
	double max_bias_pp;   /* exit 1 when the mean signed error at a time exceeds this */
	double cdn;           /* requests/s the CDN logs count (0: no CDN logs fed) */
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: propsim [options]\n"
	        "  -n N                 resolvers (100000)\n"
	        "  -t TTL               TTL served, seconds (20)\n"
	        "  --learn S            simulated seconds before the flip (14400: a 3600 s floor\n"
	        "                       shows two gaps at least)\n"
	        "  --horizon S          simulated seconds after the flip (3600)\n"
	        "  --seed N             random seed (1)\n"
	        "  --mix C=S,...        class shares of demand (and so, about, of resolvers),\n"
	        "                       summing to 1; classes:\n"
	        "                       ttl floor60 floor300 floor3600 prefetch stale\n"
	        "                       (ttl=0.70,floor60=0.06,floor300=0.04,floor3600=0.02,\n"
	        "                        prefetch=0.12,stale=0.06)\n"
	        "  --only C             every resolver in class C\n"
	        "  --browser S          share of each resolver's demand behind a client cache (0.3)\n"
	        "  --client-hold S      how long a client cache keeps an answer (60)\n"
	        "  --alpha A            Pareto shape of the client query rate (1.2)\n"
	        "  --rate-min Q         its smallest rate, queries/s (0.000278: one an hour)\n"
	        "  --rate-max Q         its truncation, queries/s (10)\n"
	        "  --times T,...        seconds after the flip to tabulate\n"
	        "  --max-error-pp P     exit 1 when |expected - truth| exceeds P points (5)\n"
	        "  --hindsight          tabulate the final report's curve, not the live reports\n"
	        "  --truth-only         the simulated truth only, no estimator\n"
	        "  --json               JSON instead of the table\n"
	        "  --random             draw the population from the seed: class shares, TTL\n"
	        "                       5-300 s, Pareto shape 1-2, client caches 0-60%% for 0-300 s,\n"
	        "                       4-8 h of learning, 2 h after the flip (README)\n"
	        "  --populations N      N populations, seeds SEED..SEED+N-1, a table each and a summary\n"
	        "  -j J                 run them in J processes (1)\n"
	        "  --min-coverage C     exit 1 when, at some time, fewer than C of the populations\n"
	        "                       have the truth inside [lower, upper] (0: off)\n"
	        "  --max-ratio R        exit 1 when a final below_1pct_s is off the truth by more than\n"
	        "                       a factor R (0: off)\n"
	        "  --cdn Q              feed the estimator CDN-log counts (POST /api/v1/errors) of Q\n"
	        "                       requests/s, per minute, a minute late, with Poisson noise (0: none)\n"
	        "  --max-bias-pp B      exit 1 when the mean signed error at a time exceeds B points (0: off)\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int class_by_name(const char *s, size_t len)
{
	for (int c = 0; c < PC_N; c++)
		if (strlen(pop_class_name[c]) == len && strncmp(s, pop_class_name[c], len) == 0)
			return c;
	return -1;
}

/* "ttl=0.7,stale=0.3": unnamed classes get 0; the shares must sum to 1. */
static int parse_mix(const char *s, double share[PC_N])
{
	double sum = 0;

	for (int c = 0; c < PC_N; c++)
		share[c] = 0;
	while (*s) {
		const char *eq = strchr(s, '='), *end = strchr(s, ',');
		char num[64];
		int c;

		if (end == NULL)
			end = s + strlen(s);
		if (eq == NULL || eq > end || (size_t)(end - eq - 1) >= sizeof(num))
			return -1;
		c = class_by_name(s, (size_t)(eq - s));
		memcpy(num, eq + 1, (size_t)(end - eq - 1));
		num[end - eq - 1] = '\0';
		if (c < 0 || parse_num(num, 0, 1, &share[c]) < 0)
			return -1;
		s = *end ? end + 1 : end;
	}
	for (int c = 0; c < PC_N; c++)
		sum += share[c];
	return fabs(sum - 1.0) < 1e-6 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int parse_times(const char *s, double *times, size_t *n)
{
	char *copy = strdup(s), *save = NULL;

	*n = 0;
	if (copy == NULL)
		return -1;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_TIMES || parse_num(tok, 0, 1e7, &times[*n]) < 0) {
			free(copy);
			return -1;
		}
		(*n)++;
	}
	free(copy);
	qsort(times, *n, sizeof(*times), cmp_double);
	return *n ? 0 : -1;
}

/* Returns 0, or 2 after printing the problem. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	/* clang-format off */
	enum { O_LEARN = 256, O_HORIZON, O_SEED, O_MIX, O_ONLY, O_BROWSER, O_HOLD, O_ALPHA,
	       O_RMIN, O_RMAX, O_TIMES, O_MAXERR, O_TRUTH, O_JSON, O_HIND, O_RANDOM, O_POPS, O_MINCOV,
	       O_MAXRATIO, O_MAXBIAS, O_CDN };
	static const struct option lo[] = {
		{"learn", 1, 0, O_LEARN},     {"horizon", 1, 0, O_HORIZON},   {"seed", 1, 0, O_SEED},
		{"mix", 1, 0, O_MIX},         {"only", 1, 0, O_ONLY},         {"browser", 1, 0, O_BROWSER},
		{"client-hold", 1, 0, O_HOLD}, {"alpha", 1, 0, O_ALPHA},      {"rate-min", 1, 0, O_RMIN},
		{"rate-max", 1, 0, O_RMAX},   {"times", 1, 0, O_TIMES},       {"max-error-pp", 1, 0, O_MAXERR},
		{"truth-only", 0, 0, O_TRUTH}, {"json", 0, 0, O_JSON},        {"hindsight", 0, 0, O_HIND},
		{"random", 0, 0, O_RANDOM},   {"populations", 1, 0, O_POPS},  {"min-coverage", 1, 0, O_MINCOV},
		{"max-ratio", 1, 0, O_MAXRATIO}, {"max-bias-pp", 1, 0, O_MAXBIAS}, {"cdn", 1, 0, O_CDN},
		{"help", 0, 0, 'h'},
		{0, 0, 0, 0},
	};
	/* clang-format on */
	struct pop_params *pp = &o->pp;
	double v;
	int c, bad = 0;

	memset(o, 0, sizeof(*o));
	pp->n = 100000;
	pp->ttl = 20;
	pp->learn = 14400;
	pp->horizon = 3600;
	pp->seed = 1;
	memcpy(pp->share, default_share, sizeof(pp->share));
	pp->alpha = 1.2;
	pp->rate_min = 1.0 / 3600;
	pp->rate_max = 10;
	pp->browser = 0.3;
	pp->client_hold = 60;
	o->max_error_pp = 5;
	memcpy(o->times, default_times, sizeof(default_times));
	o->n_times = sizeof(default_times) / sizeof(default_times[0]);

	opterr = 0; /* our own message, on stdout like everything else */
	o->populations = 1;
	o->jobs = 1;
	while ((c = getopt_long(argc, argv, "n:t:j:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			bad |= parse_num(optarg, 1, 1e8, &v) < 0;
			pp->n = (size_t)v;
			break;
		case 't':
			bad |= parse_num(optarg, 0.001, 86400, &pp->ttl) < 0;
			break;
		case O_LEARN:
			bad |= parse_num(optarg, 0, 1e7, &pp->learn) < 0;
			break;
		case O_HORIZON:
			bad |= parse_num(optarg, 1, 1e7, &pp->horizon) < 0;
			break;
		case O_SEED:
			bad |= parse_num(optarg, 0, 1.8e19, &v) < 0;
			pp->seed = (uint64_t)v;
			break;
		case O_MIX:
			bad |= parse_mix(optarg, pp->share) < 0;
			break;
		case O_ONLY: {
			int k = class_by_name(optarg, strlen(optarg));
			bad |= k < 0;
			for (int j = 0; j < PC_N; j++)
				pp->share[j] = j == k;
			break;
		}
		case O_BROWSER:
			bad |= parse_num(optarg, 0, 1, &pp->browser) < 0;
			break;
		case O_HOLD:
			bad |= parse_num(optarg, 0, 86400, &pp->client_hold) < 0;
			break;
		case O_ALPHA:
			bad |= parse_num(optarg, 0.1, 10, &pp->alpha) < 0;
			break;
		case O_RMIN:
			bad |= parse_num(optarg, 1e-9, 1e9, &pp->rate_min) < 0;
			break;
		case O_RMAX:
			bad |= parse_num(optarg, 1e-9, 1e9, &pp->rate_max) < 0;
			break;
		case O_TIMES:
			bad |= parse_times(optarg, o->times, &o->n_times) < 0;
			break;
		case O_MAXERR:
			bad |= parse_num(optarg, 0, 100, &o->max_error_pp) < 0;
			break;
		case O_TRUTH:
			o->truth_only = true;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_HIND:
			o->hindsight = true;
			break;
		case O_RANDOM:
			o->random = true;
			break;
		case O_POPS:
			bad |= parse_num(optarg, 1, 10000, &v) < 0;
			o->populations = (int)v;
			break;
		case 'j':
			bad |= parse_num(optarg, 1, 64, &v) < 0;
			o->jobs = (int)v;
			break;
		case O_MINCOV:
			bad |= parse_num(optarg, 0, 1, &o->min_coverage) < 0;
			break;
		case O_MAXRATIO:
			bad |= parse_num(optarg, 0, 100, &o->max_ratio) < 0;
			break;
		case O_CDN:
			bad |= parse_num(optarg, 0, 1e9, &o->cdn) < 0;
			break;
		case O_MAXBIAS:
			bad |= parse_num(optarg, 0, 100, &o->max_bias_pp) < 0;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			bad = 1;
		}
		if (bad) {
			if (c == '?')
				printf("propsim: unknown option or missing value: %s\n", argv[optind - 1]);
			else
				printf("propsim: bad value for %s: %s\n", argv[optind - 1], optarg ? optarg : "");
			usage(stdout);
			return 2;
		}
	}
	if (optind != argc || pp->rate_max <= pp->rate_min) {
		usage(stdout);
		return 2;
	}
	return 0;
}

static uint64_t sim_ns(double t)
{
	return T0_NS + (uint64_t)llround(t * 1e9);
}

static double jval(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void est_of(const json_t *o, struct est *e)
{
	e->lower = jnum(o, "lower");
	e->expected = jnum(o, "expected");
	e->upper = jnum(o, "upper");
	e->refetched = jnum(o, "refetched");
	e->below = e->below_lo = e->below_hi = NAN;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The estimate now, at ROW->t after the flip. */
static int estimate_row(struct prop *pr, uint64_t now_ns, struct row *row)
{
	char err[256];
	json_t *rep = prop_report(pr, SWITCH_NAME, 0, now_ns, err, sizeof(err));
	const json_t *now;

	if (rep == NULL) {
		fprintf(stdout, "propsim: prop_report at t=%.0f: %s\n", row->t, err);
		return -1;
	}
	now = json_object_get(rep, "now");
	est_of(now, &row->live);
	row->live.below = jnum(rep, "below_1pct_s");
	row->live.below_lo = jval(json_array_get(json_object_get(rep, "below_1pct_range_s"), 0));
	row->live.below_hi = jval(json_array_get(json_object_get(rep, "below_1pct_range_s"), 1));
	json_decref(rep);
	return 0;
}

static void record(struct prop *pr, size_t i, double t, double flip)
{
	struct track_obs ob;

	memset(&ob, 0, sizeof(ob));
	ob.time_ns = sim_ns(t);
	ob.switch_id = 0;
	ob.family = AF_INET;
	ob.qtype = 1; /* A */
	ob.side = t >= flip;
	/* 10.x.y.z, unique per resolver (up to 2^24 of them). */
	ob.addr[0] = 10;
	ob.addr[1] = (uint8_t)(i >> 16);
	ob.addr[2] = (uint8_t)(i >> 8);
	ob.addr[3] = (uint8_t)i;
	prop_observe(pr, &ob);
}

struct result {
	struct row rows[MAX_TIMES];
	size_t n_rows;
	double truth_below_1pct;     /* NAN: not within the horizon */
	double est_below_1pct;       /* NAN: null in the report */
	double est_below_lo, est_below_hi; /* its range */
	double max_err_pp, max_err_t; /* over the rows, live */
	double curve_err_pp, curve_err_t; /* over the final report's curve */
	double resolvers, at_risk, refetched;
	bool inside;
	double run_s;
	uint64_t fetches_before, fetches_after;
};

/* The first whole second after the flip with the truth under 1%; the truth
 * only falls, so a bisection finds it. */
static double truth_below(const struct pop *p, double horizon)
{
	double lo = 0, hi = ceil(horizon);

	if (pop_truth(p, hi, NULL) >= 0.01)
		return NAN;
	if (pop_truth(p, 0, NULL) < 0.01)
		return 0;
	while (hi - lo > 1) {
		double mid = floor((lo + hi) / 2);
		if (pop_truth(p, mid, NULL) < 0.01)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* Compare the final report's curve (the estimate with hindsight) with the
 * truth at every point, and keep the point at or just before each row. */
static void curve_error(const struct pop *p, const json_t *rep, struct result *res)
{
	const json_t *curve = json_object_get(rep, "curve"), *pt;
	size_t k;

	json_array_foreach(curve, k, pt) {
		double t = jnum(pt, "t"), e = jnum(pt, "expected");
		double d;
		if (isnan(t) || isnan(e))
			continue;
		for (size_t j = 0; j < res->n_rows; j++)
			if (t <= res->rows[j].t)
				est_of(pt, &res->rows[j].final);
		d = fabs(e - pop_truth(p, t, NULL)) * 100;
		if (d > res->curve_err_pp) {
			res->curve_err_pp = d;
			res->curve_err_t = t;
		}
	}
}

/* The CDN logs' noise: a stream of its own, from the seed. */
static double cdn_u(uint64_t *z)
{
	uint64_t v = (*z += 0x9e3779b97f4a7c15ull);
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ull;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebull;
	v ^= v >> 31;
	return (double)((v >> 11) + 1) * 0x1.0p-53;
}

static uint64_t poisson(uint64_t *z, double mean)
{
	if (mean > 50) {
		double x = mean + sqrt(mean) * sqrt(-2 * log(cdn_u(z))) * cos(2 * M_PI * cdn_u(z));
		return x > 0 ? (uint64_t)llround(x) : 0;
	}
	double l = exp(-mean), prod = cdn_u(z);
	uint64_t k = 0;
	while (prod > l) {
		prod *= cdn_u(z);
		k++;
	}
	return k;
}

/* The CDN's counts for the wall-clock minute starting at sim time MS
 * (after the flip), as it would POST them: requests on the old side and
 * on the new, in proportion to the truth over the minute. */
static void cdn_minute(struct prop *pr, const struct pop *p, double flip, double ms, double rate, uint64_t *z)
{
	double avg = 0;
	for (int j = 0; j < 6; j++)
		avg += pop_truth(p, ms - flip + 5 + 10 * j, NULL) / 6;
	prop_errors(pr, 0, 0, sim_ns(ms + 60), 60, poisson(z, rate * 60 * avg), 0);
	prop_errors(pr, 0, 1, sim_ns(ms + 60), 60, poisson(z, rate * 60 * (1 - avg)), 0);
}

static int run(const struct opts *o, struct pop *p, struct result *res)
{
	const struct pop_params *pp = &o->pp;
	double flip = pp->learn, end = flip + pp->horizon, t, next_tick = 0, t0 = wall();
	struct prop *pr = NULL;
	size_t i, k = 0;
	bool flipped = false;
	char err[256];
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->n_rows = o->n_times;
	for (size_t j = 0; j < o->n_times; j++) {
		res->rows[j].t = o->times[j];
		struct est none = { NAN, NAN, NAN, NAN, NAN, NAN, NAN };
		res->rows[j].live = res->rows[j].final = none;
	}
	if (!o->truth_only) {
		struct prop_opts po = {
			.max_entries = pp->n + 16,
			.client_hold_s = (uint32_t)lround(pp->browser > 0 ? pp->client_hold : 0),
			.client_share = pp->browser,
			.reports = 4,
			.state_dir = NULL,
		};
		pr = prop_new(&po, err, sizeof(err));
		if (pr == NULL) {
			fprintf(stdout, "propsim: prop_new: %s\n", err);
			return -1;
		}
		prop_name_switch(pr, 0, SWITCH_NAME);
	}
	/* Wall-clock minutes start at sim times 40 + 60 k (T0 is 20 s past one);
	 * each is reported a minute after it ends. */
	double cdn_next = 40 + 60 * ceil((flip - 40) / 60);
	uint64_t cdn_z = pp->seed ^ 0xcd0cd0cd0ull;
	for (;;) {
		bool more = pop_next(p, &i, &t);
		if (!more)
			t = end + 1;
		if (pr == NULL) {
			if (!more)
				break;
			continue;
		}
		if (!flipped && t >= flip) {
			prop_flip(pr, 0, sim_ns(flip), 0, 1, (uint32_t)lround(pp->ttl));
			flipped = true;
		}
		/* The estimate as an operator would read it at each tabulated time:
		 * everything up to that moment observed, nothing after. */
		while (k < res->n_rows && t > flip + res->rows[k].t) {
			if (estimate_row(pr, sim_ns(flip + res->rows[k].t), &res->rows[k]) < 0)
				rc = -1;
			k++;
		}
		while (o->cdn > 0 && flipped && cdn_next + 120 <= (more ? t : end)) {
			cdn_minute(pr, p, flip, cdn_next, o->cdn, &cdn_z);
			cdn_next += 60;
		}
		if (!more)
			break;
		/* The daemon's drain timer runs prop_tick; once a simulated second. */
		if (t >= next_tick) {
			prop_tick(pr, sim_ns(t));
			next_tick = floor(t) + 1;
		}
		record(pr, i, t, flip);
	}
	pop_fetches(p, &res->fetches_before, &res->fetches_after);

	if (pr != NULL) {
		json_t *rep = prop_report(pr, SWITCH_NAME, 0, sim_ns(end), err, sizeof(err));
		if (rep == NULL) {
			fprintf(stdout, "propsim: final prop_report: %s\n", err);
			rc = -1;
		} else {
			res->est_below_1pct = jnum(rep, "below_1pct_s");
			res->est_below_lo = jval(json_array_get(json_object_get(rep, "below_1pct_range_s"), 0));
			res->est_below_hi = jval(json_array_get(json_object_get(rep, "below_1pct_range_s"), 1));
			res->resolvers = jnum(rep, "resolvers");
			res->at_risk = jnum(rep, "at_risk");
			res->refetched = jnum(rep, "refetched");
			curve_error(p, rep, res);
			json_decref(rep);
		}
		prop_free(pr);
	}
	res->inside = true;
	for (size_t j = 0; j < res->n_rows; j++) {
		struct row *r = &res->rows[j];
		r->truth = pop_truth(p, r->t, r->by_class);
		if (pr == NULL)
			continue;
		double d = fabs(r->live.expected - r->truth) * 100;
		if (isnan(d) || d > res->max_err_pp) {
			res->max_err_pp = isnan(d) ? INFINITY : d;
			res->max_err_t = r->t;
		}
		/* A hair of slack: the report's shares are rounded floats. */
		if (!(r->truth >= r->live.lower - 1e-4 && r->truth <= r->live.upper + 1e-4))
			res->inside = false;
	}
	res->truth_below_1pct = truth_below(p, pp->horizon);

	res->run_s = wall() - t0;
	return rc;
}

static void print_table(const struct opts *o, const struct pop *p, const struct result *res)
{
	const struct pop_params *pp = &o->pp;
	double demand[PC_N];
	size_t count[PC_N];

	pop_class_stats(p, demand, count);
	printf("propsim: %zu resolvers, TTL %g s, flip after %g s, horizon %g s, seed %llu\n", pp->n, pp->ttl,
	       pp->learn, pp->horizon, (unsigned long long)pp->seed);
	printf("demand: Pareto alpha %g, %g..%g queries/s; %.0f%% behind client caches of %g s\n", pp->alpha,
	       pp->rate_min, pp->rate_max, pp->browser * 100, pp->client_hold);
	printf("class      resolvers  demand\n");
	for (int c = 0; c < PC_N; c++)
		if (count[c])
			printf("%-10s %8.1f%%  %5.1f%%\n", pop_class_name[c], 100.0 * (double)count[c] / (double)pp->n,
			       demand[c] * 100);
	printf("fetches: %llu before the flip, %llu after\n\n", (unsigned long long)res->fetches_before,
	       (unsigned long long)res->fetches_after);
	if (o->truth_only) {
		printf("     t   truth");
		for (int c = 0; c < PC_N; c++)
			if (count[c])
				printf(" %9s", pop_class_name[c]);
		printf("\n");
		for (size_t j = 0; j < res->n_rows; j++) {
			const struct row *r = &res->rows[j];
			printf("%6.0f %6.2f%%", r->t, r->truth * 100);
			for (int c = 0; c < PC_N; c++)
				if (count[c])
					printf(" %8.2f%%", r->by_class[c] * 100);
			printf("\n");
		}
	} else {
		printf("%s\n", o->hindsight ? "estimate: the final report's curve (hindsight)"
		                            : "estimate: the report at each time (live)");
		printf("     t   truth   lower expected   upper refetched\n");
		for (size_t j = 0; j < res->n_rows; j++) {
			const struct row *r = &res->rows[j];
			const struct est *e = o->hindsight ? &r->final : &r->live;
			printf("%6.0f %6.2f%% %6.2f%% %7.2f%% %6.2f%% %8.2f%%%s\n", r->t, r->truth * 100, e->lower * 100,
			       e->expected * 100, e->upper * 100, e->refetched * 100,
			       r->truth < e->lower - 1e-4 || r->truth > e->upper + 1e-4 ? "  outside" : "");
		}
	}
	printf("\n");
	if (isnan(res->truth_below_1pct))
		printf("truth below 1%%:            not within %g s\n", pp->horizon);
	else
		printf("truth below 1%%:            %.0f s\n", res->truth_below_1pct);
	if (!o->truth_only) {
		if (isnan(res->est_below_1pct))
			printf("estimate below_1pct_s:     null\n");
		else
			printf("estimate below_1pct_s:     %.0f s (range %.0f to %.0f s)\n", res->est_below_1pct,
			       res->est_below_lo, res->est_below_hi);
		printf("max |expected - truth|:    %.2f pp at t=%.0f s (live, tabulated times)\n", res->max_err_pp,
		       res->max_err_t);
		printf("                           %.2f pp at t=%.0f s (final report's curve)\n", res->curve_err_pp,
		       res->curve_err_t);
		printf("truth inside [lower, upper]: %s\n", res->inside ? "yes" : "no");
		printf("report: %.0f resolvers active, %.0f at risk, %.0f re-fetched\n", res->resolvers, res->at_risk,
		       res->refetched);
	}
	printf("run time: %.2f s\n", res->run_s);
}

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *est_json(const struct est *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "lower", num_or_null(e->lower));
	json_object_set_new(o, "expected", num_or_null(e->expected));
	json_object_set_new(o, "upper", num_or_null(e->upper));
	json_object_set_new(o, "refetched", num_or_null(e->refetched));
	return o;
}

static void print_json(const struct opts *o, const struct pop *p, const struct result *res)
{
	const struct pop_params *pp = &o->pp;
	json_t *root = json_object(), *params = json_object(), *classes = json_object(), *rows = json_array();
	double demand[PC_N];
	size_t count[PC_N];

	pop_class_stats(p, demand, count);
	json_object_set_new(params, "resolvers", json_integer((json_int_t)pp->n));
	json_object_set_new(params, "ttl_s", json_real(pp->ttl));
	json_object_set_new(params, "learn_s", json_real(pp->learn));
	json_object_set_new(params, "horizon_s", json_real(pp->horizon));
	json_object_set_new(params, "seed", json_integer((json_int_t)pp->seed));
	json_object_set_new(params, "alpha", json_real(pp->alpha));
	json_object_set_new(params, "rate_min", json_real(pp->rate_min));
	json_object_set_new(params, "rate_max", json_real(pp->rate_max));
	json_object_set_new(params, "browser", json_real(pp->browser));
	json_object_set_new(params, "client_hold_s", json_real(pp->client_hold));
	for (int c = 0; c < PC_N; c++) {
		json_t *cl = json_object();
		json_object_set_new(cl, "share", json_real(pp->share[c]));
		json_object_set_new(cl, "resolvers", json_integer((json_int_t)count[c]));
		json_object_set_new(cl, "demand", json_real(demand[c]));
		json_object_set_new(classes, pop_class_name[c], cl);
	}
	json_object_set_new(params, "classes", classes);
	json_object_set_new(root, "params", params);
	for (size_t j = 0; j < res->n_rows; j++) {
		const struct row *r = &res->rows[j];
		json_t *row = json_object(), *bc = json_object();
		json_object_set_new(row, "t", json_real(r->t));
		json_object_set_new(row, "truth", json_real(r->truth));
		for (int c = 0; c < PC_N; c++)
			if (count[c])
				json_object_set_new(bc, pop_class_name[c], json_real(r->by_class[c]));
		json_object_set_new(row, "truth_by_class", bc);
		if (!o->truth_only) {
			json_object_set_new(row, "live", est_json(&r->live));
			json_object_set_new(row, "final", est_json(&r->final));
		}
		json_array_append_new(rows, row);
	}
	json_object_set_new(root, "curve", rows);
	json_object_set_new(root, "truth_below_1pct_s", num_or_null(res->truth_below_1pct));
	if (!o->truth_only) {
		json_object_set_new(root, "estimate_below_1pct_s", num_or_null(res->est_below_1pct));
		json_object_set_new(root, "max_error_pp", json_real(res->max_err_pp));
		json_object_set_new(root, "max_error_t", json_real(res->max_err_t));
		json_object_set_new(root, "curve_max_error_pp", json_real(res->curve_err_pp));
		json_object_set_new(root, "curve_max_error_t", json_real(res->curve_err_t));
		json_object_set_new(root, "inside_band", json_boolean(res->inside));
		json_object_set_new(root, "report_resolvers", num_or_null(res->resolvers));
		json_object_set_new(root, "report_at_risk", num_or_null(res->at_risk));
		json_object_set_new(root, "report_refetched", num_or_null(res->refetched));
	}
	json_object_set_new(root, "fetches_before", json_integer((json_int_t)res->fetches_before));
	json_object_set_new(root, "fetches_after", json_integer((json_int_t)res->fetches_after));
	json_object_set_new(root, "run_time_s", json_real(res->run_s));
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	printf("\n");
	json_decref(root);
}

/* ---- random populations ------------------------------------------------------- */

/* Its own stream, from the seed (splitmix64), apart from the population's. */
static double draw_u(uint64_t *z)
{
	uint64_t v = (*z += 0x9e3779b97f4a7c15ull);
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ull;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebull;
	v ^= v >> 31;
	return (double)((v >> 11) + 1) * 0x1.0p-53;
}

static double draw_normal(uint64_t *z)
{
	return sqrt(-2 * log(draw_u(z))) * cos(2 * M_PI * draw_u(z));
}

/* Gamma(A, 1), Marsaglia and Tsang; A < 1 by the boost U^(1/A). */
static double draw_gamma(uint64_t *z, double a)
{
	if (a < 1)
		return draw_gamma(z, a + 1) * pow(draw_u(z), 1 / a);
	double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
	for (;;) {
		double x = draw_normal(z), v = 1 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		if (log(draw_u(z)) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

/* How spread the class shares are around the default mix: a Dirichlet of
 * this concentration (the stale share, 6% on average, is within 0-16% in
 * nine populations out of ten). */
#define MIX_CONCENTRATION 20

/* A population drawn from SEED: the class shares around the default mix,
 * a TTL log-uniform in 5-300 s, Pareto shape 1-2, 0-60% of the demand
 * behind client caches holding 0-300 s, 4-8 h of learning, 2 h after. */
static void draw_random(struct pop_params *pp, uint64_t seed)
{
	uint64_t z = seed ^ 0x5eed5eed5eed5eedull;
	double sum = 0;
	for (int c = 0; c < PC_N; c++)
		sum += pp->share[c] = draw_gamma(&z, MIX_CONCENTRATION * default_share[c]);
	for (int c = 0; c < PC_N; c++)
		pp->share[c] /= sum;
	pp->ttl = round(exp(log(5) + draw_u(&z) * (log(300) - log(5))));
	pp->alpha = 1 + draw_u(&z);
	pp->browser = 0.6 * draw_u(&z);
	pp->client_hold = round(300 * draw_u(&z));
	pp->learn = round(4 * 3600 + draw_u(&z) * 4 * 3600);
	pp->horizon = 7200;
}

/* One population: its table on stdout and, with MACHINE, a "#RESULT"
 * line of JSON for the summary. */
static int one(const struct opts *base, uint64_t seed, bool machine)
{
	struct opts o = *base;
	struct result res;
	struct pop *p;

	o.pp.seed = seed;
	if (o.random)
		draw_random(&o.pp, seed);
	while (o.n_times > 0 && o.times[o.n_times - 1] > o.pp.horizon)
		o.n_times--;
	p = pop_new(&o.pp);
	if (p == NULL) {
		printf("propsim: out of memory\n");
		return 2;
	}
	if (run(&o, p, &res) < 0) {
		pop_free(p);
		return 2;
	}
	if (o.json)
		print_json(&o, p, &res);
	else
		print_table(&o, p, &res);
	if (machine) {
		json_t *r = json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:o, s:f, s:f}", "seed",
		                      (json_int_t)seed, "ttl", o.pp.ttl, "alpha", o.pp.alpha, "browser", o.pp.browser,
		                      "hold", o.pp.client_hold, "learn", o.pp.learn, "stale", o.pp.share[PC_STALE],
		                      "truth_below", num_or_null(res.truth_below_1pct), "below", num_or_null(res.est_below_1pct),
		                      "below_lo", num_or_null(res.est_below_lo), "below_hi", num_or_null(res.est_below_hi),
		                      "max_err", res.max_err_pp, "curve_err", res.curve_err_pp);
		json_t *rows = json_array();
		for (size_t j = 0; j < res.n_rows; j++) {
			const struct row *w = &res.rows[j];
			json_array_append_new(rows, json_pack("[f, f, o, o, o, o]", w->t, w->truth, num_or_null(w->live.lower),
			                                      num_or_null(w->live.expected), num_or_null(w->live.upper),
			                                      num_or_null(w->live.below)));
		}
		json_object_set_new(r, "rows", rows);
		char *line = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(8));
		printf("#RESULT %s\n", line ? line : "{}");
		free(line);
		json_decref(r);
	}
	fflush(stdout);
	pop_free(p);
	if (!o.truth_only && !(res.max_err_pp <= o.max_error_pp && res.curve_err_pp <= o.max_error_pp))
		return 1;
	return 0;
}

/* Per tabulated time, over the populations. */
struct tally {
	double t;
	int n, inside;
	double sum_err, max_err;
};

/* The summary over the populations' #RESULT lines; 1 when a bound fails. */
static int summarise(const struct opts *o, json_t *results)
{
	struct tally tl[MAX_TIMES];
	size_t nt = 0, i, j;
	json_t *r, *row;
	double worst = 0, worst_t = 0, ratio_lo = INFINITY, ratio_hi = 0, live_lo = INFINITY, live_hi = 0;
	double sum_all = 0, worst_curve = 0;
	json_int_t worst_seed = 0, lo_seed = 0, hi_seed = 0;
	int n_all = 0, in_range = 0, with_truth = 0, fail = 0;

	memset(tl, 0, sizeof(tl));
	json_array_foreach(results, i, r) {
		double tb = jnum(r, "truth_below"), b = jnum(r, "below");
		double lo = jnum(r, "below_lo"), hi = jnum(r, "below_hi");
		if (jnum(r, "curve_err") > worst_curve)
			worst_curve = jnum(r, "curve_err");
		if (!isnan(tb) && tb > 0) {
			double q = isnan(b) ? INFINITY : b / tb;
			with_truth++;
			if (q < ratio_lo) {
				ratio_lo = q;
				lo_seed = json_integer_value(json_object_get(r, "seed"));
			}
			if (q > ratio_hi) {
				ratio_hi = q;
				hi_seed = json_integer_value(json_object_get(r, "seed"));
			}
			if (!isnan(lo) && tb >= lo - 1 && (isnan(hi) || tb <= hi + 1))
				in_range++;
		}
		json_array_foreach(json_object_get(r, "rows"), j, row) {
			double t = jval(json_array_get(row, 0)), tr = jval(json_array_get(row, 1));
			double l = jval(json_array_get(row, 2)), e = jval(json_array_get(row, 3));
			double u = jval(json_array_get(row, 4)), lb = jval(json_array_get(row, 5));
			size_t k;
			for (k = 0; k < nt && tl[k].t != t; k++)
				;
			if (k == nt) {
				if (nt == MAX_TIMES)
					continue;
				tl[nt++].t = t;
			}
			double err = (e - tr) * 100;
			tl[k].n++;
			tl[k].inside += tr >= l - 1e-4 && tr <= u + 1e-4;
			tl[k].sum_err += err;
			if (fabs(err) > tl[k].max_err)
				tl[k].max_err = fabs(err);
			sum_all += err;
			n_all++;
			if (fabs(err) > worst) {
				worst = fabs(err);
				worst_t = t;
				worst_seed = json_integer_value(json_object_get(r, "seed"));
			}
			/* The forecast as read live, once a minute has shown who moved. */
			if (!isnan(tb) && tb > 0 && t >= 60 && t < tb) {
				double q = isnan(lb) ? INFINITY : lb / tb;
				if (q < live_lo)
					live_lo = q;
				if (q > live_hi)
					live_hi = q;
			}
		}
	}
	printf("== summary over %zu populations (live reports; band = [lower, upper], a 90%% interval)\n",
	       json_array_size(results));
	printf("     t  pops  inside  bias(pp)  max|err|(pp)\n");
	for (size_t k = 0; k < nt; k++) {
		double cov = tl[k].n ? (double)tl[k].inside / tl[k].n : 0, bias = tl[k].n ? tl[k].sum_err / tl[k].n : 0;
		printf("%6.0f %5d  %5.1f%%  %+7.2f  %8.2f%s\n", tl[k].t, tl[k].n, cov * 100, bias, tl[k].max_err,
		       o->min_coverage > 0 && cov < o->min_coverage ? "  (coverage under the bound)" : o->max_bias_pp > 0 && fabs(bias) > o->max_bias_pp ? "  (bias over the bound)"
		                                                                                                                                         : "");
		if (o->min_coverage > 0 && cov < o->min_coverage)
			fail = 1;
		if (o->max_bias_pp > 0 && fabs(bias) > o->max_bias_pp)
			fail = 1;
	}
	printf("worst |expected - truth|: %.2f pp (seed %lld, t=%.0f s); final curves: %.2f pp\n", worst,
	       (long long)worst_seed, worst_t, worst_curve);
	printf("mean signed error: %+.2f pp over %d points\n", n_all ? sum_all / n_all : 0, n_all);
	if (with_truth)
		printf("below_1pct_s / truth, final report: %.2f (seed %lld) to %.2f (seed %lld); truth inside "
		       "below_1pct_range_s in %d of %d\n",
		       ratio_lo, (long long)lo_seed, ratio_hi, (long long)hi_seed, in_range, with_truth);
	if (live_hi > 0)
		printf("below_1pct_s / truth, live reports from 60 s until the truth fell under 1%%: %.2f to %.2f\n",
		       live_lo, live_hi);
	if (o->max_ratio > 0 && with_truth && (ratio_lo < 1 / o->max_ratio || ratio_hi > o->max_ratio)) {
		printf("below_1pct_s off by more than a factor %g\n", o->max_ratio);
		fail = 1;
	}
	if (worst > o->max_error_pp || worst_curve > o->max_error_pp) {
		printf("|expected - truth| over %g pp\n", o->max_error_pp);
		fail = 1;
	}
	printf("%s\n", fail ? "FAIL" : "ok");
	return fail;
}

/* Several populations in up to O->jobs processes: each child writes its
 * table and #RESULT line into a pipe; the tables are printed in seed order. */
static int many(const struct opts *o)
{
	int n = o->populations, next = 0, rc = 0;
	struct child {
		pid_t pid;
		int fd;
	} *kids = calloc((size_t)n, sizeof(*kids));
	json_t *results = json_array();

	if (kids == NULL || results == NULL)
		return 2;
	for (int i = 0; i < n; i++) {
		/* Keep up to JOBS children running ahead of the one being read. */
		for (; next < n && next < i + o->jobs; next++) {
			int fd[2];
			fflush(stdout);
			if (pipe(fd) < 0)
				return 2;
			pid_t pid = fork();
			if (pid < 0)
				return 2;
			if (pid == 0) {
				close(fd[0]);
				dup2(fd[1], 1);
				close(fd[1]);
				_exit(one(o, o->pp.seed + (uint64_t)next, true));
			}
			close(fd[1]);
			kids[next] = (struct child){ pid, fd[0] };
		}
		FILE *f = fdopen(kids[i].fd, "r");
		char *line = NULL;
		size_t cap = 0;
		while (f != NULL && getline(&line, &cap, f) > 0) {
			if (strncmp(line, "#RESULT ", 8) == 0) {
				json_t *r = json_loads(line + 8, 0, NULL);
				if (r != NULL)
					json_array_append_new(results, r);
			} else {
				fputs(line, stdout);
			}
		}
		free(line);
		if (f != NULL)
			fclose(f);
		int st = 0;
		waitpid(kids[i].pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
			rc = 2;
		printf("\n");
	}
	if (rc == 0 && !o->truth_only)
		rc = summarise(o, results);
	json_decref(results);
	free(kids);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc;
	if (o.populations > 1 || o.jobs > 1)
		return many(&o);
	return one(&o, o.pp.seed, false);
}
