/* SPDX-License-Identifier: BSD-3-Clause */
/* view.c -- publishing views and the switch selectors (see view.h). */
#include "zone/view.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/name.h"
#include "lib/rcu.h"
#include "zone/view_int.h"

static _Atomic(struct view *) current;

const struct view *view_current(void)
{
	/* Acquire pairs with the release in view_publish(): a worker that sees
	 * the new pointer sees the whole view built before it. */
	return atomic_load_explicit(&current, memory_order_acquire);
}

void view_free(struct view *v)
{
	if (v == NULL)
		return;
	arena_free(v->arena);
	free(v);
}

/* RFC 1982 serial number arithmetic: A is newer than B. */
static int serial_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* What a new view inherits from the one it replaces: every switch's side,
 * and each zone's serial when flips took it past the file's. */
static void carry_over(struct view *v, const struct view *old)
{
	for (size_t i = 0; i < v->n_switches; i++) {
		long j = view_switch_find(old, v->switches[i].name);
		if (j >= 0)
			atomic_store(&v->switches[i].sel, (uint8_t)view_switch_get(old, (size_t)j));
	}
	for (size_t i = 0; i < v->n_zones; i++) {
		const struct node *apex = v->zones[i].apex;
		for (size_t j = 0; j < old->n_zones; j++) {
			const struct node *o = old->zones[j].apex;
			uint32_t was = atomic_load(&old->zones[j].serial);
			if (o->name_len == apex->name_len && memcmp(o->name, apex->name, apex->name_len) == 0 &&
			    serial_newer(was, atomic_load(&v->zones[i].serial)))
				atomic_store(&v->zones[i].serial, was);
		}
	}
}

void view_publish(struct view *v)
{
	struct view *old = atomic_load_explicit(&current, memory_order_acquire);

	if (old != NULL && v != NULL)
		carry_over(v, old);
	atomic_store_explicit(&current, v, memory_order_seq_cst);
	if (v != NULL)
		log_debug("view published: %zu zones, %zu switches", v->n_zones, v->n_switches);
	if (old != NULL && old != v) {
		rcu_synchronize();
		view_free(old);
		log_debug("the previous view is freed: every worker has left it");
	}
}

size_t view_zone_count(const struct view *v)
{
	return v->n_zones;
}

size_t view_switch_count(const struct view *v)
{
	return v->n_switches;
}

const char *view_switch_name(const struct view *v, size_t idx)
{
	return idx < v->n_switches ? v->switches[idx].name : NULL;
}

/* Kept at most half full, so a probe is short; in the view's arena. */
int view_index_switches(struct view *v)
{
	size_t cap = 16;
	while (cap < v->n_switches * 2 + 2)
		cap *= 2;
	v->switch_idx = arena_alloc(v->arena, cap * sizeof(*v->switch_idx));
	if (v->switch_idx == NULL)
		return -ENOMEM;
	memset(v->switch_idx, 0, cap * sizeof(*v->switch_idx));
	v->switch_idx_mask = cap - 1;
	assert(v->n_switches < UINT32_MAX);
	for (size_t i = 0; i < v->n_switches; i++) {
		size_t pos = hash_str(v->switches[i].name) & v->switch_idx_mask;
		while (v->switch_idx[pos] != 0)
			pos = (pos + 1) & v->switch_idx_mask;
		v->switch_idx[pos] = (uint32_t)i + 1;
	}
	return 0;
}

long view_switch_find(const struct view *v, const char *name)
{
	char key[NAME_TEXT_MAX];
	if (v->switch_idx == NULL || name_normalize(name, key, sizeof(key)) < 0)
		return -1;
	for (size_t pos = hash_str(key) & v->switch_idx_mask; v->switch_idx[pos] != 0;
	     pos = (pos + 1) & v->switch_idx_mask)
		if (strcmp(v->switches[v->switch_idx[pos] - 1].name, key) == 0)
			return (long)v->switch_idx[pos] - 1;
	return -1;
}

unsigned view_switch_get(const struct view *v, size_t idx)
{
	assert(idx < v->n_switches);
	return atomic_load_explicit(&v->switches[idx].sel, memory_order_relaxed);
}

void view_switch_set(struct view *v, size_t idx, unsigned sel)
{
	struct vswitch *s = &v->switches[idx];
	assert(idx < v->n_switches && sel <= (VIEW_SEL_SIDE | VIEW_SEL_ARMED));
	/* Release: the journal write that decided this flip happens-before
	 * any answer served from it. */
	unsigned was = atomic_exchange_explicit(&s->sel, (uint8_t)sel, memory_order_release);
	/* Every change of what is served is a new version of the zone. */
	if (was != sel && s->node != NULL)
		atomic_fetch_add(&((struct vzone *)s->node->zone)->serial, 1);
}

uint32_t view_switch_serial(const struct view *v, size_t idx)
{
	const struct vswitch *s = &v->switches[idx];
	return s->node ? atomic_load(&s->node->zone->serial) : 0;
}
