/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view.h -- the immutable snapshot workers answer from: every served zone
 * with its answers precompiled to wire format, and the switch table.
 *
 * A view is built off the hot path (start, reload), published with one
 * pointer swap, and freed after every worker has passed a quiescent point
 * (rcu.h). The only mutable part of a published view is each switch's
 * selector, one atomic byte the control thread stores and workers load.
 */
#ifndef ROUTERD_VIEW_H
#define ROUTERD_VIEW_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/side.h"

struct config;
struct view;

/*
 * A switch's selector, the byte workers load: bit 0 is the side served
 * (enum side: the same 0 and 1), bit 1 the armed (low) TTL. Selector
 * values index a switched node's four precompiled answers.
 */
#define VIEW_SEL_SIDE 1u
#define VIEW_SEL_ARMED 2u

static inline unsigned view_sel(enum side side, int armed)
{
	return (side == SIDE_ORIGIN ? VIEW_SEL_SIDE : 0u) | (armed ? VIEW_SEL_ARMED : 0u);
}

static inline enum side view_sel_side(unsigned sel)
{
	return (sel & VIEW_SEL_SIDE) ? SIDE_ORIGIN : SIDE_CDN;
}

/*
 * Load every zone of CFG, check the switches against them, and compile the
 * answers. Returns 0 and sets *out, or -EINVAL with a "file:line: error: ..."
 * message in err. Nothing global changes either way.
 */
int view_build(const struct config *cfg, struct view **out, char *err, size_t errlen);

/* Free a view nobody reads any more. NULL is fine. */
void view_free(struct view *v);

/*
 * Make V the view workers answer from. Switch selectors are carried over
 * from the previous view by switch name. Waits for readers of the old view
 * to finish (rcu_synchronize) and frees it. Control thread only.
 */
void view_publish(struct view *v);

/* The published view; call only inside rcu_read_lock()/unlock(). */
const struct view *view_current(void);

/* Counts and lookups for the control side. */
size_t view_zone_count(const struct view *v);
size_t view_switch_count(const struct view *v);
const char *view_switch_name(const struct view *v, size_t idx);
/* Index of switch NAME (any case, with or without the final dot) or -1. */
long view_switch_find(const struct view *v, const char *name);
/* Load / store a switch's selector (VIEW_SEL_* bits). A store that changes
 * it raises the serial of the switch's zone by one. */
unsigned view_switch_get(const struct view *v, size_t idx);
void view_switch_set(struct view *v, size_t idx, unsigned sel);
/* The SOA serial served for the switch's zone. */
uint32_t view_switch_serial(const struct view *v, size_t idx);

#endif
