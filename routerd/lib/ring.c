/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring.c -- see ring.h. A Lamport single-producer single-consumer queue:
 * the producer owns head, the consumer owns tail, each reads the other's
 * index with acquire and publishes its own with release. The indices sit
 * on separate cache lines so the two threads do not share a line.
 */
#include "lib/ring.h"

#include <stdatomic.h>
#include <stdlib.h>

struct track_ring {
	_Alignas(64) _Atomic size_t head; /* next slot to write (producer) */
	_Atomic uint64_t dropped;         /* producer only */
	_Alignas(64) _Atomic size_t tail; /* next slot to read (consumer) */
	_Alignas(64) size_t mask;
	struct track_obs *slots;
};

struct track_ring *track_ring_create(size_t capacity)
{
	struct track_ring *r;
	size_t n = 2;

	while (n < capacity)
		n *= 2;
	r = aligned_alloc(64, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->slots = calloc(n, sizeof(*r->slots));
	if (r->slots == NULL) {
		free(r);
		return NULL;
	}
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	r->mask = n - 1;
	return r;
}

void track_ring_free(struct track_ring *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r);
}

bool track_ring_push(struct track_ring *r, const struct track_obs *obs)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (head - tail > r->mask) {
		/* Full: the worker never waits for the tracker. */
		atomic_store_explicit(&r->dropped, atomic_load_explicit(&r->dropped, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
		return false;
	}
	r->slots[head & r->mask] = *obs;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

size_t track_ring_pop(struct track_ring *r, struct track_obs *out, size_t max)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t n = head - tail;

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = r->slots[(tail + i) & r->mask];
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

uint64_t track_ring_dropped(const struct track_ring *r)
{
	return atomic_load_explicit(&((struct track_ring *)r)->dropped, memory_order_relaxed);
}
