/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring.h -- a bounded single-producer single-consumer ring of tracking
 * observations. A worker pushes (never blocks: a full ring counts a drop),
 * the control thread pops.
 */
#ifndef ROUTERD_RING_H
#define ROUTERD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a worker records about one query for a tracked (switched) name. */
struct track_obs {
	uint64_t time_ns;    /* CLOCK_REALTIME */
	uint32_t switch_id;  /* index into the view's switch table */
	uint16_t qtype;
	uint8_t family;      /* AF_INET or AF_INET6 of the resolver */
	uint8_t ecs_family;  /* 0: no ECS option; 1 IPv4, 2 IPv6 (RFC 7871 family) */
	uint8_t ecs_prefix;  /* ECS source prefix length */
	uint8_t side;        /* enum side (lib/side.h) that was served, in a byte */
	uint8_t addr[16];    /* resolver address (IPv4 in the first 4 bytes) */
	uint8_t ecs_addr[16];
};

struct track_ring;

/* Create a ring of at least CAPACITY slots (rounded up to a power of two). */
struct track_ring *track_ring_create(size_t capacity);
void track_ring_free(struct track_ring *r);

/* Producer: copy OBS in; false (and one more drop counted) when full. */
bool track_ring_push(struct track_ring *r, const struct track_obs *obs);

/* Consumer: copy up to MAX observations out; returns how many. */
size_t track_ring_pop(struct track_ring *r, struct track_obs *out, size_t max);

/* Observations refused because the ring was full, since creation. */
uint64_t track_ring_dropped(const struct track_ring *r);

#endif
