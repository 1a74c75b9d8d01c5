/*
 * track.h -- what the propagation tracker knows per (switch, resolver):
 * the observations the workers record (ring.h), drained by the control
 * thread into one bounded table. When the table is full the least recently
 * seen of a few sampled entries makes room (counted), so a flood of random
 * source addresses costs a fixed amount of memory and never slows anything.
 */
#ifndef ROUTERD_TRACK_H
#define ROUTERD_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct track_entry {
	uint32_t switch_id;
	uint8_t family;       /* AF_INET, AF_INET6; 0: a free slot */
	uint8_t addr[16];
	uint64_t first_ns;    /* first query seen */
	uint64_t last_ns;     /* latest query seen */
	uint64_t queries;
	uint64_t gap_sum_ns;  /* sum of gaps between queries: the mean gap hints the hold time */
	uint8_t last_side;    /* side answered to its latest query */
};

struct track_stats {
	uint64_t observations; /* taken from the rings */
	uint64_t evicted;      /* entries dropped to make room */
	size_t entries;        /* in the table now */
	size_t capacity;       /* the bound */
};

struct track_table;

/* A table holding at most MAX_ENTRIES (resolver, switch) pairs. */
struct track_table *track_table_new(size_t max_entries);
void track_table_free(struct track_table *t);

/* Fold one observation in. */
void track_add(struct track_table *t, const struct track_obs *o);

/* Drain R into T; returns how many observations were taken. */
size_t track_drain(struct track_table *t, struct track_ring *r);

/* The entry for SWITCH_ID and the resolver at FAMILY/ADDR, or NULL. */
const struct track_entry *track_find(const struct track_table *t, uint32_t switch_id, uint8_t family,
                                     const uint8_t addr[16]);

void track_table_stats(const struct track_table *t, struct track_stats *out);

#endif
