/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ring.c -- the tracking ring: order, drops when full, two threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "lib/ring.h"

static void test_fill_and_drop(void **state)
{
	(void)state;
	struct track_ring *r = track_ring_create(5); /* rounds up to 8 */
	struct track_obs o, out[16];
	memset(&o, 0, sizeof(o));
	for (uint32_t i = 0; i < 10; i++) {
		o.switch_id = i;
		assert_int_equal(track_ring_push(r, &o), i < 8);
	}
	assert_int_equal(track_ring_dropped(r), 2);
	assert_int_equal(track_ring_pop(r, out, 3), 3);
	assert_int_equal(out[0].switch_id, 0);
	assert_int_equal(out[2].switch_id, 2);
	assert_int_equal(track_ring_pop(r, out, 16), 5);
	assert_int_equal(out[4].switch_id, 7);
	assert_int_equal(track_ring_pop(r, out, 16), 0);
	track_ring_free(r);
}

#define STRESS_N 1000000u

static uint64_t pushed;

static void *producer(void *arg)
{
	struct track_ring *r = arg;
	struct track_obs o;
	memset(&o, 0, sizeof(o));
	for (uint64_t i = 0; i < STRESS_N; i++) {
		o.time_ns = i;
		o.switch_id = (uint32_t)i * 7u; /* a second field, to catch torn copies */
		pushed += track_ring_push(r, &o);
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	(void)state;
	struct track_ring *r = track_ring_create(1024);
	struct track_obs out[64];
	pthread_t t;
	uint64_t got = 0, last = 0;
	int first = 1;

	pthread_create(&t, NULL, producer, r);
	for (;;) {
		size_t n = track_ring_pop(r, out, 64);
		for (size_t i = 0; i < n; i++) {
			/* Strictly increasing: nothing reordered, nothing read twice. */
			if (!first && out[i].time_ns <= last)
				fail_msg("out of order: %llu after %llu", (unsigned long long)out[i].time_ns,
				         (unsigned long long)last);
			if (out[i].switch_id != (uint32_t)out[i].time_ns * 7u)
				fail_msg("torn observation at %llu", (unsigned long long)out[i].time_ns);
			last = out[i].time_ns;
			first = 0;
			got++;
		}
		if (n == 0 && got + track_ring_dropped(r) == STRESS_N)
			break;
	}
	pthread_join(t, NULL);
	/* Every observation was either delivered once or counted as dropped. */
	assert_int_equal(got, pushed);
	assert_int_equal(got + track_ring_dropped(r), STRESS_N);
	assert_true(got > 0);
	track_ring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_and_drop),
		cmocka_unit_test(test_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
