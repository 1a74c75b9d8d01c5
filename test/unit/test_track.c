/* SPDX-License-Identifier: BSD-3-Clause */
/* test_track.c -- the tracker's table: folding, the bound, eviction, lookups after eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/ring.h"
#include "track/track.h"

static struct track_obs obs(uint32_t sw, uint32_t ip, uint64_t t_ms, uint8_t side)
{
	struct track_obs o;
	memset(&o, 0, sizeof(o));
	o.switch_id = sw;
	o.family = AF_INET;
	memcpy(o.addr, &ip, 4);
	o.time_ns = t_ms * 1000000ull;
	o.side = side;
	o.qtype = 1; /* A */
	return o;
}

static void test_fold(void **state)
{
	(void)state;
	struct track_table *t = track_table_new(100);
	struct track_obs a = obs(1, 0x0a000001, 1000, 0), b = obs(1, 0x0a000001, 31000, 1), c = obs(2, 0x0a000001, 5, 0);
	const struct track_entry *e;
	struct track_stats st;

	track_add(t, &a);
	track_add(t, &b);
	track_add(t, &c);
	e = track_find(t, 1, AF_INET, a.addr);
	assert_non_null(e);
	assert_int_equal(e->queries, 2);
	assert_int_equal(e->first_ns, 1000000000ull);
	assert_int_equal(e->last_ns, 31000000000ull);
	assert_int_equal(e->slot[TRACK_SLOT_A].n, 1);
	assert_int_equal(e->slot[TRACK_SLOT_A].sum_ms, 30000);
	assert_int_equal(e->last_side, 1);
	/* The same resolver for another switch is another entry. */
	assert_int_equal(track_find(t, 2, AF_INET, a.addr)->queries, 1);
	track_table_stats(t, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.observations, 3);
	track_table_free(t);
}

static void test_flood_is_bounded(void **state)
{
	(void)state;
	struct track_table *t = track_table_new(1000);
	struct track_obs hot = obs(7, 0x01020304, 0, 0);
	struct track_stats st;
	size_t found = 0;

	/* 100,000 random-looking sources, and one real resolver asking often. */
	for (uint32_t i = 0; i < 100000; i++) {
		struct track_obs o = obs(7, 0xc0000000u + i * 2654435761u, i, 0);
		track_add(t, &o);
		if (i % 10 == 0) {
			hot.time_ns = (uint64_t)i * 1000000ull;
			track_add(t, &hot);
		}
	}
	track_table_stats(t, &st);
	assert_true(st.entries <= 1000);
	assert_int_equal(st.capacity, 1000);
	assert_int_equal(st.evicted, 100001 - st.entries);
	/* A recently seen resolver is not what gets evicted. */
	assert_non_null(track_find(t, 7, AF_INET, hot.addr));
	/* Every entry still in the table is reachable (deletion kept probe runs whole). */
	for (uint32_t i = 99000; i < 100000; i++) {
		struct track_obs o = obs(7, 0xc0000000u + i * 2654435761u, i, 0);
		found += track_find(t, 7, AF_INET, o.addr) != NULL;
	}
	assert_true(found > 500); /* the newest sources are mostly still there */
	track_table_free(t);
}

static void test_drain(void **state)
{
	(void)state;
	struct track_ring *r = track_ring_create(1024);
	struct track_table *t = track_table_new(10);
	for (uint32_t i = 0; i < 600; i++) {
		struct track_obs o = obs(3, 0x0a000000u + (i % 5), i, 0);
		track_ring_push(r, &o);
	}
	assert_int_equal(track_drain(t, r), 600);
	assert_int_equal(track_drain(t, r), 0);
	struct track_obs probe = obs(3, 0x0a000002, 0, 0);
	assert_int_equal(track_find(t, 3, AF_INET, probe.addr)->queries, 120);
	track_table_free(t);
	track_ring_free(r);
}

/* Gaps are counted per type; a fetch within half a second of the last is
 * the same fetch (a retry), not a gap. */
static void test_gap_stats(void **state)
{
	(void)state;
	struct track_table *t = track_table_new(100);
	struct track_obs o = obs(1, 0x0a000001, 1000, 0);
	struct track_learned l;
	const double at_ms[] = { 1000, 1200, 11000, 21500, 41500 };

	for (size_t i = 0; i < sizeof(at_ms) / sizeof(at_ms[0]); i++) {
		o.time_ns = (uint64_t)(at_ms[i] * 1e6);
		track_add(t, &o);
	}
	const struct track_entry *e = track_find(t, 1, AF_INET, o.addr);
	track_learned(&e->slot[TRACK_SLOT_A], &l);
	assert_int_equal(l.gaps, 3);
	assert_true(fabs(l.min_s - 10) < 1e-9);
	assert_true(fabs(l.mean_s - 40.5 / 3) < 1e-9);
	assert_int_equal(e->slot[TRACK_SLOT_A].queries, 5);
	track_learned(&e->slot[TRACK_SLOT_AAAA], &l);
	assert_int_equal(l.gaps, 0);
	track_table_free(t);
}

/* Queries before a flip, then after: each type keeps its own last-before
 * and first-after, even when the rings hand them over out of order. */
static void test_flip_marks(void **state)
{
	(void)state;
	struct track_table *t = track_table_new(100);
	struct track_obs a = obs(3, 0x0a000009, 1000, 0), aaaa = obs(3, 0x0a000009, 4000, 0);
	const struct track_entry *e;

	aaaa.qtype = 28;
	track_add(t, &a);
	track_add(t, &aaaa);
	track_set_flip(t, 3, 5000000000ull, 1);
	a.side = 1;
	a.time_ns = 7000000000ull;
	track_add(t, &a);
	a.side = 0; /* answered from the old side, drained late from another worker's ring */
	a.time_ns = 4500000000ull;
	track_add(t, &a);
	a.time_ns = 5001000000ull; /* and one a moment after the flip's timestamp */
	track_add(t, &a);
	a.side = 1;
	a.time_ns = 4990000000ull; /* the new side, stamped by a lagging coarse clock */
	track_add(t, &a);
	e = track_find(t, 3, AF_INET, a.addr);
	assert_int_equal(e->flip_ns, 5000000000ull);
	assert_int_equal(e->slot[TRACK_SLOT_A].before_ns, 5001000000ull);
	assert_int_equal(e->slot[TRACK_SLOT_A].after_ns, 4990000000ull);
	assert_int_equal(e->slot[TRACK_SLOT_AAAA].before_ns, 4000000000ull);
	assert_int_equal(e->slot[TRACK_SLOT_AAAA].after_ns, 0);
	assert_int_equal(track_flip_of(t, 3), 5000000000ull);
	assert_int_equal(track_flip_of(t, 4000), 0);
	track_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_flood_is_bounded),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_gap_stats),
		cmocka_unit_test(test_flip_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
