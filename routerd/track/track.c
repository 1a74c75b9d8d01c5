/* SPDX-License-Identifier: BSD-3-Clause */
/* track.c -- see track.h. */
#include "track/track.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"

/* Entries a full table looks at to choose one to evict: enough to find an
 * old one, few enough that an insert under a flood stays cheap. */
#define EVICT_SAMPLE 8
/* Observations popped from a ring per call: one stack buffer's worth. */
#define DRAIN_BATCH 256

struct server_times {
	uint64_t first_new[TRACK_SERVERS], last_old[TRACK_SERVERS];
};

struct track_table {
	struct track_entry *slots;
	size_t mask;          /* slots - 1; slots is a power of two, at least 2 x max */
	size_t max, n;
	size_t cursor;        /* where the next eviction sample starts */
	uint64_t observations, evicted;
	uint64_t by_server[TRACK_SERVERS];
	/* Latest flip by switch id (ns 0: none), and per server the first
	 * new-side and the last old-side answer since (NULL until a server
	 * answers after it: most switches never need the 1 KiB). */
	struct flip {
		uint64_t ns;
		enum side to;
		struct server_times *srv;
	} *flips;
	size_t n_flips;
};

static uint64_t key_hash(uint32_t sw, uint8_t server, uint8_t family, const uint8_t *addr)
{
	/* lib/hash.h over the address, started from the switch, server and
	 * family; the final shift folds the high bits into the low ones the
	 * mask keeps. */
	uint64_t h = hash_bytes(0x9e3779b97f4a7c15ull ^ ((uint64_t)sw << 16 | (uint64_t)server << 8 | family), addr, 16);
	return h ^ (h >> 29);
}

struct track_table *track_table_new(size_t max_entries)
{
	struct track_table *t = calloc(1, sizeof(*t));
	size_t n = 16;

	if (t == NULL)
		return NULL;
	if (max_entries == 0)
		max_entries = 1;
	while (n < max_entries * 2) /* load at most one half: short probes */
		n *= 2;
	t->slots = calloc(n, sizeof(*t->slots));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->max = max_entries;
	return t;
}

void track_table_free(struct track_table *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	for (size_t i = 0; i < t->n_flips; i++)
		free(t->flips[i].srv);
	free(t->flips);
	free(t);
}

static size_t home_of(const struct track_table *t, const struct track_entry *e)
{
	return (size_t)key_hash(e->switch_id, e->server, e->family, e->addr) & t->mask;
}

/* Remove slot I by shifting later members of its probe run back (linear
 * probing needs no tombstones this way). */
static void remove_slot(struct track_table *t, size_t i)
{
	size_t j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].family == 0)
			break;
		size_t h = home_of(t, &t->slots[j]);
		/* Move J into the hole at I unless its home lies cyclically in (I, J]. */
		if ((i <= j) ? (h <= i || h > j) : (h <= i && h > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->n--;
}

static void evict_one(struct track_table *t)
{
	size_t victim = SIZE_MAX, seen = 0;
	uint64_t oldest = UINT64_MAX;
	/* Walk from the cursor until EVICT_SAMPLE live entries were seen. */
	for (size_t k = 0; k <= t->mask && seen < EVICT_SAMPLE; k++) {
		size_t i = (t->cursor + k) & t->mask;
		if (t->slots[i].family == 0)
			continue;
		seen++;
		if (t->slots[i].last_ns < oldest) {
			oldest = t->slots[i].last_ns;
			victim = i;
		}
	}
	t->cursor = (t->cursor + EVICT_SAMPLE * 2) & t->mask;
	if (victim != SIZE_MAX) {
		remove_slot(t, victim);
		t->evicted++;
	}
}

static size_t lookup(const struct track_table *t, uint32_t sw, uint8_t server, uint8_t family, const uint8_t *addr)
{
	size_t i = (size_t)key_hash(sw, server, family, addr) & t->mask;
	while (t->slots[i].family != 0 &&
	       !(t->slots[i].switch_id == sw && t->slots[i].server == server && t->slots[i].family == family &&
	         memcmp(t->slots[i].addr, addr, 16) == 0))
		i = (i + 1) & t->mask;
	return i;
}

void track_set_flip(struct track_table *t, uint32_t switch_id, uint64_t t_ns, enum side to)
{
	if (switch_id >= t->n_flips) {
		size_t n = t->n_flips ? t->n_flips : 64;
		while (n <= switch_id)
			n *= 2;
		struct flip *f = realloc(t->flips, n * sizeof(*f));
		if (f == NULL)
			return; /* this flip's report will say nobody re-fetched: noticed, not fatal */
		memset(f + t->n_flips, 0, (n - t->n_flips) * sizeof(*f));
		t->flips = f;
		t->n_flips = n;
	}
	t->flips[switch_id].ns = t_ns;
	t->flips[switch_id].to = to;
	if (t->flips[switch_id].srv != NULL)
		memset(t->flips[switch_id].srv, 0, sizeof(*t->flips[switch_id].srv));
}

uint64_t track_flip_of(const struct track_table *t, uint32_t switch_id)
{
	return switch_id < t->n_flips ? t->flips[switch_id].ns : 0;
}

static int slot_of(uint16_t qtype)
{
	return qtype == 1 ? TRACK_SLOT_A : (qtype == 28 ? TRACK_SLOT_AAAA : TRACK_SLOT_OTHER);
}

/* A fetch at T_NS: a gap since the slot's previous fetch unless it is part
 * of the same one, or older (rings are drained one worker at a time, so
 * observations can come a little out of order). */
static void learn_gap(struct track_slot *g, uint64_t t_ns)
{
	uint64_t ms;

	g->queries++;
	if (g->last_ns != 0 && t_ns <= g->last_ns + TRACK_EPISODE_NS)
		return;
	if (g->last_ns != 0) {
		uint64_t second = g->last_ns / 1000000000u * 1000000000u, qs;
		ms = (t_ns - g->last_ns) / 1000000u;
		qs = (t_ns - second) / 1000000u;
		if (qs > UINT32_MAX - 1)
			qs = ms = UINT32_MAX - 1;
		g->n++;
		g->sum_ms += ms;
		g->sum_from_second_ms += qs;
		if (ms < g->min_ms)
			g->min_ms = (uint32_t)ms;
		if (qs < g->min_from_second_ms)
			g->min_from_second_ms = (uint32_t)qs;
	}
	g->last_ns = t_ns;
}

/* Place a fetch of slot G, answered from SIDE at T_NS, around the switch's
 * latest flip F: each slot keeps its latest fetch before and its first
 * after. F is stamped before the new side is published and a worker
 * reads the clock after it chose the side, so an answer from the new side
 * comes after F's timestamp; FLIP_SLACK_NS is a margin for the two clock
 * reads being on different CPUs, not needed on one host's synchronised
 * clocks. */
#define FLIP_SLACK_NS 50000000ull
static void note_flip(struct track_entry *e, struct track_slot *g, const struct flip *f, uint64_t t_ns, enum side side)
{
	int after;
	if (f == NULL || f->ns == 0)
		return;
	after = side == f->to && t_ns + FLIP_SLACK_NS >= f->ns;
	if (e->flip_ns != f->ns) {
		if (!after)
			return; /* still before it: last_ns says when */
		e->flip_ns = f->ns;
		for (int k = 0; k < TRACK_SLOTS; k++) {
			e->slot[k].before_ns = e->slot[k].last_ns;
			e->slot[k].after_ns = 0;
			e->slot[k].n_before = e->slot[k].n;
		}
	}
	if (!after) {
		if (t_ns > g->before_ns)
			g->before_ns = t_ns;
	} else if (g->after_ns == 0 || t_ns < g->after_ns) {
		g->after_ns = t_ns;
	}
}

/* What server O->server answered since the switch's latest flip. Kept
 * for the secondaries only: routerd's own answers follow the flip at once. */
static void note_server(struct track_table *t, const struct track_obs *o)
{
	struct flip *f = o->switch_id < t->n_flips ? &t->flips[o->switch_id] : NULL;
	if (o->server == 0 || o->server >= TRACK_SERVERS || f == NULL || f->ns == 0 || o->time_ns + FLIP_SLACK_NS < f->ns)
		return;
	if (f->srv == NULL && (f->srv = calloc(1, sizeof(*f->srv))) == NULL)
		return; /* the report shows this server's times as unknown */
	if (o->side == f->to) {
		if (f->srv->first_new[o->server] == 0 || o->time_ns < f->srv->first_new[o->server])
			f->srv->first_new[o->server] = o->time_ns;
	} else if (o->time_ns > f->srv->last_old[o->server]) {
		f->srv->last_old[o->server] = o->time_ns;
	}
}

void track_server_times(const struct track_table *t, uint32_t switch_id, uint8_t server, uint64_t *first_new_ns,
                        uint64_t *last_old_ns)
{
	const struct flip *f = switch_id < t->n_flips ? &t->flips[switch_id] : NULL;
	*first_new_ns = *last_old_ns = 0;
	if (f == NULL || f->srv == NULL || server >= TRACK_SERVERS)
		return;
	*first_new_ns = f->srv->first_new[server];
	*last_old_ns = f->srv->last_old[server];
}

void track_add(struct track_table *t, const struct track_obs *o)
{
	size_t i;
	struct track_entry *e;
	struct track_slot *g;

	if (o->family == 0 || o->server >= TRACK_SERVERS)
		return;
	t->observations++;
	t->by_server[o->server]++;
	i = lookup(t, o->switch_id, o->server, o->family, o->addr);
	e = &t->slots[i];
	if (e->family == 0) {
		if (t->n >= t->max) {
			evict_one(t);
			i = lookup(t, o->switch_id, o->server, o->family, o->addr);
			e = &t->slots[i];
		}
		memset(e, 0, sizeof(*e));
		e->switch_id = o->switch_id;
		e->server = o->server;
		e->family = o->family;
		memcpy(e->addr, o->addr, 16);
		e->first_ns = e->last_ns = o->time_ns;
		for (int k = 0; k < TRACK_SLOTS; k++)
			e->slot[k].min_ms = e->slot[k].min_from_second_ms = UINT32_MAX;
		t->n++;
		assert(t->n <= t->max); /* evict() made room first */
	}
	g = &e->slot[slot_of(o->qtype)];
	note_flip(e, g, o->switch_id < t->n_flips ? &t->flips[o->switch_id] : NULL, o->time_ns, (enum side)o->side);
	note_server(t, o);
	learn_gap(g, o->time_ns);
	if (o->time_ns > e->last_ns)
		e->last_ns = o->time_ns;
	if (o->time_ns < e->first_ns)
		e->first_ns = o->time_ns;
	e->queries++;
	e->last_side = o->side;
}

void track_learned(const struct track_slot *g, struct track_learned *out)
{
	memset(out, 0, sizeof(*out));
	out->gaps = g->n;
	if (g->n == 0)
		return;
	out->min_s = g->min_ms / 1000.0;
	out->mean_s = (double)g->sum_ms / g->n / 1000.0;
	out->min_from_second_s = g->min_from_second_ms / 1000.0;
	out->mean_from_second_s = (double)g->sum_from_second_ms / g->n / 1000.0;
}

void track_foreach(const struct track_table *t, uint32_t switch_id,
                   void (*fn)(const struct track_entry *e, void *arg), void *arg)
{
	for (size_t i = 0; i <= t->mask; i++) {
		const struct track_entry *e = &t->slots[i];
		if (e->family != 0 && (switch_id == UINT32_MAX || e->switch_id == switch_id))
			fn(e, arg);
	}
}

size_t track_drain(struct track_table *t, struct track_ring *r)
{
	struct track_obs buf[DRAIN_BATCH];
	size_t total = 0, n;
	while ((n = track_ring_pop(r, buf, DRAIN_BATCH)) > 0) {
		for (size_t i = 0; i < n; i++)
			track_add(t, &buf[i]);
		total += n;
	}
	return total;
}

const struct track_entry *track_find_server(const struct track_table *t, uint32_t switch_id, uint8_t server,
                                            uint8_t family, const uint8_t addr[16])
{
	size_t i = lookup(t, switch_id, server, family, addr);
	return t->slots[i].family ? &t->slots[i] : NULL;
}

const struct track_entry *track_find(const struct track_table *t, uint32_t switch_id, uint8_t family,
                                     const uint8_t addr[16])
{
	return track_find_server(t, switch_id, 0, family, addr);
}

void track_table_stats(const struct track_table *t, struct track_stats *out)
{
	out->observations = t->observations;
	out->evicted = t->evicted;
	out->entries = t->n;
	out->capacity = t->max;
	memcpy(out->by_server, t->by_server, sizeof(out->by_server));
}
