/* SPDX-License-Identifier: BSD-3-Clause */
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

#include "lib/ring.h"
#include "lib/side.h"

/* A resolver keeps each type's answer in its own cache entry: gaps are
 * learned per type, and A, AAAA and the rest (HTTPS...) each have a slot. */
enum {
	TRACK_SLOT_A,
	TRACK_SLOT_AAAA,
	TRACK_SLOT_OTHER,
	TRACK_SLOTS,
};

/* Queries this close to the slot's previous one belong to the same fetch
 * (retries, a burst of parallel cache misses): not a gap. */
#define TRACK_EPISODE_NS 500000000ull

/* One type's cache entry at the resolver, as its queries show it. */
struct track_slot {
	uint64_t last_ns;     /* start of its latest fetch */
	uint64_t before_ns;   /* its latest fetch before the entry's flip_ns (0: none) */
	uint64_t after_ns;    /* its first fetch at or after flip_ns (0: none yet) */
	uint64_t sum_ms;      /* sum of the gaps */
	uint32_t min_ms;      /* the shortest gap (UINT32_MAX: none yet) */
	uint32_t n;           /* gaps seen */
	uint32_t n_before;    /* of them, before the entry's flip_ns (valid when flip_ns is set) */
	uint32_t queries;
	/* The same from the whole second of the previous fetch: resolvers
	 * keep time in whole seconds, so a copy expires on a second's
	 * boundary and what follows it is the wait for a client alone. */
	uint32_t min_from_second_ms;
	uint64_t sum_from_second_ms;
};

/* Servers an observation can come from: routerd (0) and the secondaries
 * the dnstap collector numbers 1..TRACK_SERVERS - 1. */
#define TRACK_SERVERS 64

/* The key is (switch, server, resolver): one resolver asking several
 * secondaries holds one cache, but each secondary may serve a different
 * version of the zone, so what each saw is kept apart. */
struct track_entry {
	uint32_t switch_id;
	uint8_t family;       /* AF_INET, AF_INET6; 0: a free slot */
	uint8_t last_side;    /* enum side answered to its latest query (a byte: the table is large) */
	uint8_t server;       /* who saw the queries (track_obs.server) */
	uint8_t addr[16];
	uint64_t first_ns;    /* first query seen */
	uint64_t last_ns;     /* latest query seen */
	uint64_t queries;
	uint64_t flip_ns;     /* the switch's flip the slots' before/after refer to (0: none) */
	struct track_slot slot[TRACK_SLOTS];
};

/* What a slot's gaps say, in seconds: how many, the shortest and the
 * mean, and the shortest and mean time from the previous fetch's whole
 * second. prop.c turns them into a hold time and a demand, knowing the
 * TTL that was served. */
struct track_learned {
	uint32_t gaps;
	double min_s, mean_s;
	double min_from_second_s, mean_from_second_s;
};
void track_learned(const struct track_slot *g, struct track_learned *out);

struct track_stats {
	uint64_t observations; /* taken from the rings */
	uint64_t evicted;      /* entries dropped to make room */
	size_t entries;        /* in the table now */
	size_t capacity;       /* the bound */
	uint64_t by_server[TRACK_SERVERS]; /* observations by track_obs.server */
};

struct track_table;

/* A table holding at most MAX_ENTRIES (resolver, switch) pairs. */
struct track_table *track_table_new(size_t max_entries);
void track_table_free(struct track_table *t);

/* Switch SWITCH_ID flipped at T_NS to side TO: queries answered from TO
 * (and not long before T_NS) are "after" it. The side, not the time,
 * decides: a worker may answer from the old side a moment after the
 * flip's timestamp. */
void track_set_flip(struct track_table *t, uint32_t switch_id, uint64_t t_ns, enum side to);
uint64_t track_flip_of(const struct track_table *t, uint32_t switch_id);

/* Call FN for every entry of SWITCH_ID (every entry if SWITCH_ID is
 * UINT32_MAX). The table must not change meanwhile. */
void track_foreach(const struct track_table *t, uint32_t switch_id,
                   void (*fn)(const struct track_entry *e, void *arg), void *arg);

/* Fold one observation in. */
void track_add(struct track_table *t, const struct track_obs *o);

/* Drain R into T; returns how many observations were taken. */
size_t track_drain(struct track_table *t, struct track_ring *r);

/* The entry for SWITCH_ID and the resolver at FAMILY/ADDR, or NULL:
 * as routerd's workers saw it (server 0), or as SERVER did. */
const struct track_entry *track_find(const struct track_table *t, uint32_t switch_id, uint8_t family,
                                     const uint8_t addr[16]);
const struct track_entry *track_find_server(const struct track_table *t, uint32_t switch_id, uint8_t server,
                                            uint8_t family, const uint8_t addr[16]);

/* Since SWITCH_ID's latest flip, when SERVER first answered from the new
 * side and last from the old one (0: not seen), whatever resolver asked:
 * the moment a secondary's transfer reached it, as its answers show. */
void track_server_times(const struct track_table *t, uint32_t switch_id, uint8_t server, uint64_t *first_new_ns,
                        uint64_t *last_old_ns);

void track_table_stats(const struct track_table *t, struct track_stats *out);

#endif
