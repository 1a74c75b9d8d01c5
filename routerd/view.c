/* view.c -- publishing views and the switch selectors (see view.h). */
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "rcu.h"
#include "view_int.h"

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

void view_publish(struct view *v)
{
	struct view *old = atomic_load_explicit(&current, memory_order_acquire);

	if (old != NULL && v != NULL) {
		for (size_t i = 0; i < v->n_switches; i++) {
			long j = view_switch_find(old, v->switches[i].name);
			if (j >= 0)
				view_switch_set(v, i, view_switch_get(old, (size_t)j));
		}
	}
	atomic_store_explicit(&current, v, memory_order_seq_cst);
	if (old != NULL && old != v) {
		rcu_synchronize();
		view_free(old);
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

long view_switch_find(const struct view *v, const char *name)
{
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < v->n_switches; i++) {
		const char *s = v->switches[i].name;
		size_t slen = strlen(s) - 1; /* stored with the final dot */
		if (slen == len && strncasecmp(s, name, len) == 0)
			return (long)i;
	}
	return -1;
}

unsigned view_switch_get(const struct view *v, size_t idx)
{
	return atomic_load_explicit(&v->switches[idx].sel, memory_order_relaxed);
}

void view_switch_set(struct view *v, size_t idx, unsigned sel)
{
	/* Release: the journal write that decided this flip happens-before
	 * any answer served from it. */
	atomic_store_explicit(&v->switches[idx].sel, (uint8_t)sel, memory_order_release);
}
