/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.h -- which side each switch should serve, and when that changes
 * on its own. Pure decisions over a state (state.h) at a given `now` (ms):
 * no clock, no I/O, so tests drive it with a fake clock.
 *
 * The rules (README "How a switch decides"), for a switch whose home side is its
 * configured initial side (cdn unless configured otherwise):
 *   1. An active pin decides, until it expires or is removed.
 *   2. A side is down while an unexpired down-signal names it.
 *   3. Home down, other side up: serve the other side, at once.
 *      Other side down, home up: serve home, at once.
 *   4. Both down: the all_down setting (stay | cdn | origin).
 *   5. Neither down: back home once home has been healthy for
 *      failback_hold (counted from when its last signal went away).
 *   6. The safety brake: automated flips (causes signal, failback,
 *      all_down) are counted over the brake window. When one more would
 *      make the count exceed max(min_switches, ceil(max_share * switches)),
 *      the brake engages and holds every automated flip until an operator
 *      clears it. Pins, unpins and pin expiries are operator decisions and
 *      are neither counted nor held.
 */
#ifndef ROUTERD_POLICY_H
#define ROUTERD_POLICY_H

#include <stdint.h>

#include "switch/state.h"

/* No deadline: nothing changes on its own. */
#define POLICY_NEVER INT64_MAX

struct policy_decision {
	enum side side;  /* the side to serve now */
	enum side want;  /* the side the rules want; differs from side when held */
	enum st_cause cause; /* of want: a flip's cause, or why the current side stays */
	int held;            /* the brake stops the flip to want */
	int engage;          /* this flip would exceed the brake's limit */
	char detail[512];    /* the signal ("source/id: reason"), the pin, ... */
};

/* Decide for SW at NOW. Changes nothing. */
void policy_evaluate(const struct state *st, const struct st_switch *sw, int64_t now, struct policy_decision *d);

/*
 * The failback rule (5 above), the one place it is written: when SW goes
 * back to its home side on its own if nothing else changes. NOW when it is
 * due already, POLICY_NEVER when no failback is pending (home served, a
 * side down, a pin).
 */
int64_t policy_failback_at(const struct st_switch *sw, int64_t now);

/*
 * One pass of the control loop at NOW: drop what has expired, decide every
 * switch, engage the brake if needed (logged as an error) and flip; every
 * change is recorded as an op in TXN (state.h). Marks held switches
 * (st_switch.held). Returns the number of flips, or -errno.
 */
int policy_run(struct state *st, json_t *txn, int64_t now);

/*
 * The earliest time after NOW at which something changes on its own: a
 * signal, warning or pin expiry, or the end of a failback hold; or
 * POLICY_NEVER. Arm one timer for it and call policy_run when it fires.
 */
int64_t policy_next_deadline(const struct state *st, int64_t now);

#endif
