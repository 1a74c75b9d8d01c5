/* SPDX-License-Identifier: BSD-3-Clause */
/* test_rcu.c -- reader slots, and that rcu_synchronize() waits for every
 * reader that may hold the old pointer and for no other. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sched.h>
#include <time.h>

#include "lib/rcu.h"

static void test_slots(void **state)
{
	(void)state;
	int a = rcu_reader_register(), b = rcu_reader_register();
	assert_true(a >= 0 && b >= 0 && a != b);
	rcu_read_lock(a);
	rcu_read_unlock(a);
	rcu_synchronize(); /* no reader inside: returns at once */
	rcu_reader_unregister(a);
	rcu_reader_unregister(b);
	/* A freed slot is handed out again. */
	int c = rcu_reader_register();
	assert_true(c == a || c == b);
	rcu_reader_unregister(c);
}

static void test_slots_run_out(void **state)
{
	(void)state;
	int s[RCU_MAX_READERS];
	for (int i = 0; i < RCU_MAX_READERS; i++)
		assert_true((s[i] = rcu_reader_register()) >= 0);
	assert_int_equal(rcu_reader_register(), -ENOSPC);
	for (int i = 0; i < RCU_MAX_READERS; i++)
		rcu_reader_unregister(s[i]);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static _Atomic int sync_done;

static void *synchronizer(void *arg)
{
	(void)arg;
	rcu_synchronize();
	atomic_store(&sync_done, 1);
	return NULL;
}

/* A reader inside its section holds synchronize back until it unlocks; a
 * reader that locks after synchronize began does not. */
static void test_waits_for_reader(void **state)
{
	(void)state;
	int r = rcu_reader_register();
	pthread_t t;
	struct timespec ms50 = { 0, 50000000 };

	atomic_store(&sync_done, 0);
	rcu_read_lock(r);
	pthread_create(&t, NULL, synchronizer, NULL);
	nanosleep(&ms50, NULL);
	assert_int_equal(atomic_load(&sync_done), 0);
	rcu_read_unlock(r);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&sync_done), 1);

	/* Idle readers cost the writer nothing. */
	double t0 = now_s();
	for (int i = 0; i < 1000; i++)
		rcu_synchronize();
	assert_true(now_s() - t0 < 1.0);
	rcu_reader_unregister(r);
}

/* Stress: readers dereference the published object in tight sections, the
 * writer replaces it, synchronizes, poisons and frees the old one. A reader
 * that sees poison (or ASan a use after free) means a grace period ended
 * too early. */
#define READERS 4
#define GENERATIONS 2000
#define MAGIC 0x600dULL

struct obj {
	uint64_t magic;
	uint64_t gen;
};

static _Atomic(struct obj *) published;
static _Atomic int stop, ready;
static _Atomic uint64_t bad, sections, live_sections;

static void *reader(void *arg)
{
	(void)arg;
	int slot = rcu_reader_register();
	uint64_t n = 0;
	atomic_fetch_add(&ready, 1);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		rcu_read_lock(slot);
		struct obj *o = atomic_load_explicit(&published, memory_order_acquire);
		for (int i = 0; i < 16; i++) {
			if (*(volatile uint64_t *)&o->magic != MAGIC)
				atomic_fetch_add(&bad, 1);
		}
		rcu_read_unlock(slot);
		n++;
		atomic_store_explicit(&live_sections, n, memory_order_relaxed); /* progress, any reader */
	}
	atomic_fetch_add(&sections, n);
	rcu_reader_unregister(slot);
	return NULL;
}

static void test_stress(void **state)
{
	(void)state;
	pthread_t t[READERS];
	struct obj *o = malloc(sizeof(*o));

	o->magic = MAGIC;
	o->gen = 0;
	atomic_store(&published, o);
	atomic_store(&stop, 0);
	for (int i = 0; i < READERS; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	/* Every reader inside its loop before the writer starts, and the
	 * writer keeps going until they have done real work alongside it. */
	while (atomic_load(&ready) < READERS)
		sched_yield();
	for (uint64_t g = 1; g <= GENERATIONS || atomic_load(&live_sections) < 1000; g++) {
		struct obj *n = malloc(sizeof(*n)), *old;
		n->magic = MAGIC;
		n->gen = g;
		old = atomic_exchange(&published, n);
		rcu_synchronize();
		old->magic = 0xdead;
		free(old);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
	free(atomic_load(&published));
	assert_int_equal(atomic_load(&bad), 0);
	assert_true(atomic_load(&sections) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_slots_run_out),
		cmocka_unit_test(test_waits_for_reader),
		cmocka_unit_test(test_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
