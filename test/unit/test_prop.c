/* SPDX-License-Identifier: BSD-3-Clause */
/* test_prop.c -- the propagation estimate from known query timelines:
 * hold times and demand learned, caches at risk, the band over time,
 * laggards, report numbering, freezing and the journal across a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "track/prop.h"

#define T0 1700000000000000000ull /* a CLOCK_REALTIME origin in the past */
#define SEC 1000000000ull

static struct track_obs obs(uint32_t ip, double t_s, uint16_t qtype)
{
	struct track_obs o;
	memset(&o, 0, sizeof(o));
	o.family = AF_INET;
	o.addr[0] = 10;
	o.addr[3] = (uint8_t)ip;
	o.qtype = qtype;
	o.time_ns = T0 + (uint64_t)(t_s * 1e9);
	return o;
}

/* The side routerd answers from: the tests flip from cdn (0) to origin (1). */
static int serving;

static void feed(struct prop *p, uint32_t ip, double t_s)
{
	struct track_obs o = obs(ip, t_s, 1);
	o.side = (uint8_t)serving;
	prop_observe(p, &o);
}

/* Resolver 10.0.0.1 holds 10 s and is busy (a fetch 0.1 s after each
 * expiry); 10.0.0.2 clamps to 60 s and is as busy; 10.0.0.3 asked once,
 * hours before the flip. The flip is at 1000 s. */
static struct prop *scenario(const char *state_dir)
{
	struct prop_opts o = { 1000, 0, 0, 4, state_dir };
	char err[256];
	struct prop *p = prop_new(&o, err, sizeof(err));
	assert_non_null(p);
	serving = 0;
	assert_int_equal(prop_name_switch(p, 0, "www.t.test."), 0);
	feed(p, 3, 1);
	for (double t = 7200; t < 7990; t += 10.2)
		feed(p, 1, t);
	for (double t = 7200; t < 7990; t += 60.2)
		feed(p, 2, t);
	return p;
}

static double at(const json_t *r, double t, const char *key)
{
	size_t i;
	json_t *pt;
	json_array_foreach(json_object_get(r, "curve"), i, pt)
		if (fabs(json_number_value(json_object_get(pt, "t")) - t) < 1e-6)
			return json_number_value(json_object_get(pt, key));
	fail_msg("no curve point at t=%g", t);
	return NAN;
}

static const json_t *resolver(const json_t *r, const char *addr)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(r, "resolvers_top"), i, x)
		if (strcmp(json_string_value(json_object_get(x, "resolver")), addr) == 0)
			return x;
	return NULL;
}

static void test_learning_and_band(void **state)
{
	(void)state;
	struct prop *p = scenario(NULL);
	uint64_t flip = T0 + 7990 * SEC;
	char err[256];
	json_t *r;

	assert_null(prop_report(p, "www.t.test.", 0, flip, err, sizeof(err)));
	assert_non_null(strstr(err, "no flip"));
	prop_flip(p, 0, flip, 0, 1, 10);
	serving = 1;
	/* 10.0.0.1 last fetched at 7985.4 (holds to 7995.6), 10.0.0.2 at
	 * 7982.6 (holds to 8042.8). 10.0.0.1 re-fetches at 7996.6. */
	feed(p, 1, 7996.6);
	/* The curve ends where the report is: at 6.8 s, 10.0.0.1 has moved
	 * (its copy expired at 6 s: the fetch at 6.6 s shows no client asked
	 * in between), though at the grid's point before (5 s) it had not. */
	r = prop_report(p, "www.t.test.", 0, flip + 6800 * SEC / 1000, err, sizeof(err));
	assert_non_null(r);
	const json_t *curve = json_object_get(r, "curve"), *end = json_array_get(curve, json_array_size(curve) - 1);
	assert_true(fabs(json_number_value(json_object_get(end, "t")) - 6.8) < 1e-6);
	assert_true(at(r, 5, "expected") > 0.999);
	assert_true(json_number_value(json_object_get(end, "expected")) < 0.999);
	assert_true(json_equal(json_object_get(end, "expected"), json_object_get(json_object_get(r, "now"), "expected")));
	json_decref(r);
	r = prop_report(p, "www.t.test.", 0, flip + 30 * SEC, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "running");
	assert_int_equal(json_integer_value(json_object_get(r, "at_risk")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "refetched")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "resolvers")), 2); /* 10.0.0.3 is long idle */

	const json_t *a = resolver(r, "10.0.0.1"), *b = resolver(r, "10.0.0.2");
	assert_non_null(a);
	assert_non_null(b);
	assert_null(resolver(r, "10.0.0.3"));
	/* 0.2 s over the TTL is within a whole-second clock's grain: the TTL. */
	assert_true(fabs(json_number_value(json_object_get(a, "hold_s")) - 10) < 0.25);
	assert_true(fabs(json_number_value(json_object_get(b, "hold_s")) - 60.2) < 0.15);
	assert_string_equal(json_string_value(json_object_get(a, "class")), "ttl");
	assert_string_equal(json_string_value(json_object_get(b, "class")), "floor");
	assert_true(json_is_null(json_object_get(b, "first_after_s")));
	assert_true(fabs(json_number_value(json_object_get(a, "first_after_s")) - 6.6) < 0.01);

	/* Both at risk at first; once 10.0.0.1 re-fetched only 10.0.0.2's share remains. */
	double wb = json_number_value(json_object_get(b, "weight"));
	/* The band is a 90% interval around the expectation, never past 0 or 1. */
	assert_true(at(r, 1, "expected") > 0.999 && at(r, 1, "upper") > 0.999);
	assert_true(at(r, 1, "lower") < 0.999 && at(r, 1, "lower") > 0.5);
	assert_true(fabs(at(r, 10, "expected") - wb) < 1e-3);
	assert_true(at(r, 10, "lower") < wb && at(r, 10, "upper") > wb);
	assert_true(fabs(at(r, 10, "refetched") - (1 - wb)) < 1e-3);
	/* The laggard is the floor resolver, and it is predicted to move near
	 * 53 s (serve-stale first, STALE_PRIOR, a second later at its demand). */
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "laggards"), 0), "resolver")),
	                    "10.0.0.2");
	double b1 = json_number_value(json_object_get(r, "below_1pct_s"));
	assert_true(b1 > 51 && b1 < 56);
	const json_t *range = json_object_get(r, "below_1pct_range_s");
	assert_true(json_number_value(json_array_get(range, 0)) <= b1);
	assert_true(json_is_null(json_array_get(range, 1)) || json_number_value(json_array_get(range, 1)) >= b1);
	json_decref(r);

	/* At 80 s 10.0.0.2 has not been seen: its hold ran out, so the
	 * expectation lets it go, but for the chance that it serves stale
	 * answers first (6%): its clients have not asked since, or it would
	 * have re-fetched. */
	r = prop_report(p, "www.t.test.", 0, flip + 80 * SEC, err, sizeof(err));
	assert_true(at(r, 75, "lower") < 1e-6);
	assert_true(fabs(at(r, 75, "expected") - 0.06 * wb) < 0.01);
	assert_true(at(r, 75, "upper") > at(r, 75, "expected"));
	json_decref(r);
	prop_free(p);
}

/* A resolver with a whole-second clock: an answer fetched at F expires
 * at floor(F) + HOLD + 1 (or, prefetching, is fetched again by the first
 * client query after 90% of it), and the next fetch is the first client
 * query after that; clients arrive as a Poisson process at RATE from a
 * fixed generator, so the test is repeatable. FETCHES fetches, ending
 * before 7990 s. */
static void simulate(struct prop *p, uint32_t ip, double hold, double rate, int prefetch, int fetches)
{
	uint64_t x = 0x9e3779b97f4a7c15ull ^ ip;
	double now = 0, expiry = 0, fetched = 0, *at = calloc((size_t)fetches, sizeof(*at));
	int n = 0;

	while (n < fetches) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		now += -log(((x >> 11) + 0.5) / 9007199254740992.0) / rate;
		if (now < (prefetch ? fetched + 0.9 * hold : expiry))
			continue; /* a cache hit */
		at[n++] = now;
		fetched = now;
		expiry = floor(now) + hold + 1;
	}
	/* Moved by whole seconds, so that expiries stay on second boundaries. */
	double shift = floor(7989 - now);
	for (int i = 0; i < n; i++)
		feed(p, ip, at[i] + shift);
	free(at);
}

static void test_learned_holds_and_demand(void **state)
{
	(void)state;
	struct prop_opts o = { 1000, 0, 0, 4, NULL };
	char err[256];
	struct prop *p = prop_new(&o, err, sizeof(err));
	const json_t *x;

	prop_name_switch(p, 0, "www.t.test.");
	serving = 0;
	simulate(p, 11, 10, 0.5, 0, 100);   /* honours the TTL, a query every 2 s */
	simulate(p, 12, 10, 0.02, 0, 40);   /* honours the TTL, a query every 50 s */
	simulate(p, 13, 60, 0.1, 0, 60);    /* a 60 s floor */
	simulate(p, 14, 10, 20, 0, 300);    /* busy: 20 queries a second */
	simulate(p, 15, 10, 2, 1, 200);     /* prefetches */
	prop_flip(p, 0, T0 + 7990 * SEC, 0, 1, 10);
	json_t *r = prop_report(p, "www.t.test.", 0, T0 + 8000 * SEC, err, sizeof(err));
	assert_non_null(r);
#define HOLD(x) json_number_value(json_object_get(x, "hold_s"))
#define QPS(x) json_number_value(json_object_get(x, "qps"))
#define CLASS(x) json_string_value(json_object_get(x, "class"))
	x = resolver(r, "10.0.0.11");
	assert_true(HOLD(x) >= 10 && HOLD(x) < 10.5 && QPS(x) > 0.4 && QPS(x) < 0.7);
	assert_string_equal(CLASS(x), "ttl");
	/* The shortest of its gaps is far above the TTL, but so are all its waits. */
	x = resolver(r, "10.0.0.12");
	assert_true(HOLD(x) == 10 && QPS(x) > 0.015 && QPS(x) < 0.025);
	x = resolver(r, "10.0.0.13");
	assert_true(HOLD(x) > 60 && HOLD(x) < 62 && QPS(x) > 0.08 && QPS(x) < 0.12);
	assert_string_equal(CLASS(x), "floor");
	x = resolver(r, "10.0.0.14");
	assert_true(HOLD(x) >= 10 && HOLD(x) < 11.2);
	/* Busy, yet its waits show from the second its copy expired on. */
	assert_true(QPS(x) > 16 && QPS(x) < 24);
	x = resolver(r, "10.0.0.15");
	assert_true(HOLD(x) >= 9 && HOLD(x) < 9.5);
	assert_string_equal(CLASS(x), "prefetch");
	json_decref(r);
	prop_free(p);
}

static void test_numbering_and_bad_requests(void **state)
{
	(void)state;
	struct prop *p = scenario(NULL);
	char err[256];
	json_t *r;

	prop_flip(p, 0, T0 + 7990 * SEC, 0, 1, 10);
	prop_flip(p, 0, T0 + 7995 * SEC, 1, 0, 10);
	prop_tick(p, T0 + 7995 * SEC);
	r = prop_report(p, "www.t.test.", 1, T0 + 8000 * SEC, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "done");
	assert_int_equal(json_integer_value(json_object_get(r, "flips")), 2);
	assert_true(fabs(json_number_value(json_object_get(r, "age_s")) - 5) < 1e-3);
	json_decref(r);
	r = prop_report(p, "www.t.test.", 2, T0 + 8000 * SEC, err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(r, "from")), "origin");
	json_decref(r);
	assert_null(prop_report(p, "www.t.test.", 3, T0, err, sizeof(err)));
	assert_non_null(strstr(err, "1 to 2"));
	assert_null(prop_report(p, "www.t.test.", -1, T0, err, sizeof(err)));
	assert_null(prop_report(p, "nope.t.test.", 0, T0, err, sizeof(err)));
	assert_non_null(strstr(err, "no such switch"));
	/* A switch nobody asked for: a report with nothing at risk. */
	assert_int_equal(prop_name_switch(p, 1, "quiet.t.test."), 0);
	prop_flip(p, 1, T0 + 7990 * SEC, 0, 1, 10);
	r = prop_report(p, "quiet.t.test.", 0, T0 + 8000 * SEC, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "at_risk")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "resolvers_top")), 0);
	json_decref(r);
	/* Unknown ids and sides are ignored, not stored. */
	prop_flip(p, 99, T0, 0, 1, 10);
	prop_errors(p, 99, 0, T0, 60, 10, 1);
	prop_errors(p, 0, 7, T0, 60, 10, 1);
	prop_free(p);
}

static void test_errors_per_minute(void **state)
{
	(void)state;
	struct prop *p = scenario(NULL);
	uint64_t flip = T0 + 7990 * SEC;
	char err[256];

	prop_errors(p, 0, 0, flip - 60 * SEC, 60, 1000, 5);   /* cdn, the minute before */
	prop_flip(p, 0, flip, 0, 1, 10);
	prop_errors(p, 0, 0, flip + 120 * SEC, 60, 100, 90);  /* cdn stragglers */
	prop_errors(p, 0, 1, flip + 120 * SEC, 60, 900, 0);   /* origin */
	json_t *r = prop_report(p, "www.t.test.", 0, flip + 200 * SEC, err, sizeof(err));
	json_t *e = json_object_get(r, "errors");
	uint64_t old_req = 0, old_err = 0, new_req = 0;
	size_t i;
	json_t *b;
	assert_true(json_array_size(e) >= 2);
	json_array_foreach(e, i, b) {
		old_req += (uint64_t)json_integer_value(json_object_get(b, "old_requests"));
		old_err += (uint64_t)json_integer_value(json_object_get(b, "old_errors"));
		new_req += (uint64_t)json_integer_value(json_object_get(b, "new_requests"));
	}
	assert_int_equal(old_req, 1100);
	assert_int_equal(old_err, 95);
	assert_int_equal(new_req, 900);
	json_decref(r);
	prop_free(p);
}

/* The CDN's counts after the flip measure the residual: they correct the
 * share of serve-stale-first caches assumed (6%). 10.0.0.2 (half the
 * demand) has not re-fetched although its copy ran out at 53 s: at 60 s
 * it holds the old answer only if it serves stale first. */
static json_t *fused(double old_share)
{
	struct prop *p = scenario(NULL);
	uint64_t flip = T0 + 7990 * SEC;
	char err[256];

	prop_flip(p, 0, flip, 0, 1, 10);
	serving = 1;
	feed(p, 1, 7996.6);
	/* The whole minute from 30 s to 90 s after the flip (T0 + 7990 s is
	 * 30 s before a minute's start), posted as it ends. */
	if (old_share >= 0) {
		prop_errors(p, 0, 0, flip + 90 * SEC, 60, (uint64_t)(10000 * old_share), 0);
		prop_errors(p, 0, 1, flip + 90 * SEC, 60, (uint64_t)(10000 * (1 - old_share)), 0);
	}
	json_t *r = prop_report(p, "www.t.test.", 0, flip + 100 * SEC, err, sizeof(err));
	assert_non_null(r);
	prop_free(p);
	return r;
}

static void test_cdn_counts_fused(void **state)
{
	(void)state;
	json_t *none = fused(-1), *stale = fused(0.5), *fresh = fused(0);
	const json_t *m = json_object_get(stale, "measured");
#define STALE(r) json_number_value(json_object_get(json_object_get(r, "stale_share"), "estimate"))
#define NOW(r, k) json_number_value(json_object_get(json_object_get(r, "now"), k))
	assert_true(fabs(STALE(none) - 0.06) < 1e-6);
	assert_int_equal(json_array_size(json_object_get(none, "measured")), 0);
	assert_int_equal(json_array_size(m), 1);
	assert_true(fabs(json_number_value(json_object_get(json_array_get(m, 0), "t")) - 30) < 0.01);
	assert_true(fabs(json_number_value(json_object_get(json_array_get(m, 0), "old_share")) - 0.5) < 1e-3);
	/* All of 10.0.0.2's traffic old: it serves stale first; none: it does not. */
	assert_true(STALE(stale) > 0.8);
	assert_true(STALE(fresh) < 0.01);
	assert_true(NOW(stale, "expected") > 0.4 && NOW(fresh, "expected") < 0.01);
	assert_true(NOW(none, "expected") > NOW(fresh, "expected") && NOW(none, "expected") < NOW(stale, "expected"));
	/* The band narrows with the measurement. */
	assert_true(NOW(fresh, "upper") - NOW(fresh, "lower") < NOW(none, "upper") - NOW(none, "lower"));
	json_decref(none);
	json_decref(stale);
	json_decref(fresh);
}

/* A report is done once its upper bound is under 0.1%: when every cache
 * was seen re-fetching, or one that was not has had time to be asked ten
 * times over (its clients are gone); not while a busy one may still be
 * holding. */
static void test_done_when_all_moved(void **state)
{
	(void)state;
	struct prop *p = scenario(NULL);
	char err[256];
	json_t *r;

	prop_flip(p, 0, T0 + 7990 * SEC, 0, 1, 10);
	serving = 1;
	feed(p, 1, 7996.6);
	prop_tick(p, T0 + 8020 * SEC);
	r = prop_report(p, "www.t.test.", 0, T0 + 8020 * SEC, err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(r, "state")), "running");
	assert_true(json_number_value(json_object_get(json_object_get(r, "now"), "upper")) > 0.01);
	json_decref(r);
	/* 10.0.0.2 (60 s floor, last fetch at -7.4 s) re-fetches at 53 s. */
	feed(p, 2, 8043.0);
	prop_tick(p, T0 + 8060 * SEC);
	r = prop_report(p, "www.t.test.", 0, T0 + 8060 * SEC, err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(r, "state")), "done");
	assert_true(json_number_value(json_object_get(json_object_get(r, "now"), "upper")) < 0.001);
	json_decref(r);
	prop_free(p);

	/* Never back: gone after two minutes and ten of its waits. */
	p = scenario(NULL);
	prop_flip(p, 0, T0 + 7990 * SEC, 0, 1, 10);
	serving = 1;
	feed(p, 1, 7996.6);
	prop_tick(p, T0 + 8100 * SEC);
	r = prop_report(p, "www.t.test.", 0, T0 + 8100 * SEC, err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(r, "state")), "running");
	json_decref(r);
	prop_tick(p, T0 + 8200 * SEC);
	r = prop_report(p, "www.t.test.", 0, T0 + 8200 * SEC, err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(r, "state")), "done");
	json_decref(r);
	prop_free(p);
}

static void test_reports_survive_restart(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_prop.XXXXXX", err[256];
	assert_non_null(mkdtemp(dir));
	struct prop *p = scenario(dir);
	prop_flip(p, 0, T0 + 7990 * SEC, 0, 1, 10);
	serving = 1;
	feed(p, 1, 7996.6);
	prop_free(p); /* freezes the running report and writes it */

	struct prop_opts o = { 1000, 0, 0, 4, dir };
	p = prop_new(&o, err, sizeof(err));
	assert_non_null(p);
	json_t *r = prop_report(p, "www.t.test.", 0, T0, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "done");
	assert_int_equal(json_integer_value(json_object_get(r, "at_risk")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "refetched")), 1);
	json_decref(r);
	prop_free(p);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learning_and_band),
		cmocka_unit_test(test_learned_holds_and_demand),
		cmocka_unit_test(test_numbering_and_bad_requests),
		cmocka_unit_test(test_errors_per_minute),
		cmocka_unit_test(test_cdn_counts_fused),
		cmocka_unit_test(test_done_when_all_moved),
		cmocka_unit_test(test_reports_survive_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
