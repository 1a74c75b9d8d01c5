/* SPDX-License-Identifier: BSD-3-Clause */
/* policy.c -- see policy.h. */
#include "switch/policy.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

static int pin_active(const struct st_switch *sw, int64_t now)
{
	return sw->pin.active && (sw->pin.expires == 0 || sw->pin.expires > now);
}

int64_t policy_failback_at(const struct st_switch *sw, int64_t now)
{
	enum side home = sw->p.home;
	int64_t since;

	if (pin_active(sw, now) || sw->side == home || state_side_down(sw, home, now, &since) ||
	    state_side_down(sw, side_other(home), now, NULL))
		return POLICY_NEVER;
	/* since 0: home was never down (say, a pin held the other side). */
	return since == 0 ? now : since + sw->p.failback_hold;
}

/* Nothing can move SW: no signal, warning or pin, home served. Most
 * switches, most of the time; skipping them keeps a pass over 10,000
 * switches cheap. */
static int quiet(const struct st_switch *sw, int64_t now)
{
	return sw->n_sig == 0 && sw->n_warn == 0 && !sw->pin.active && sw->side == sw->p.home && sw->pin_ended != now;
}

/* The oldest live signal against SIDE: the one a flip is blamed on. */
static void signal_detail(const struct st_switch *sw, enum side side, int64_t now, char *buf, size_t len)
{
	const struct st_signal *best = NULL;
	for (size_t i = 0; i < sw->n_sig; i++) {
		const struct st_signal *s = &sw->sig[i];
		if (s->side == side && s->expires > now && (best == NULL || s->since < best->since))
			best = s;
	}
	if (best != NULL)
		snprintf(buf, len, "%s down: %s/%s%s%s", side_name(side), best->source, best->id,
		         best->reason && *best->reason ? ": " : "", best->reason ? best->reason : "");
}

void policy_evaluate(const struct state *st, const struct st_switch *sw, int64_t now, struct policy_decision *d)
{
	enum side home = sw->p.home, away = side_other(home);
	int64_t since[2] = { 0, 0 };
	int down[2];

	d->detail[0] = '\0';
	d->held = d->engage = 0;
	d->side = d->want = sw->side;
	d->cause = sw->cause;
	if (pin_active(sw, now)) {
		d->side = d->want = sw->pin.side;
		d->cause = ST_CAUSE_PIN;
		snprintf(d->detail, sizeof(d->detail), "pin by %s: %s", sw->pin.actor ? sw->pin.actor : "?",
		         sw->pin.reason ? sw->pin.reason : "");
		return;
	}
	for (int s = 0; s < 2; s++)
		down[s] = state_side_down(sw, (enum side)s, now, &since[s]);
	if (down[home] && !down[away]) {
		d->want = away;
		d->cause = ST_CAUSE_SIGNAL;
		signal_detail(sw, home, now, d->detail, sizeof(d->detail));
	} else if (down[away] && !down[home]) {
		d->want = home;
		d->cause = ST_CAUSE_SIGNAL;
		signal_detail(sw, away, now, d->detail, sizeof(d->detail));
	} else if (down[home] && down[away]) {
		d->cause = ST_CAUSE_ALL_DOWN;
		if (sw->p.all_down == ALL_DOWN_CDN)
			d->want = SIDE_CDN;
		else if (sw->p.all_down == ALL_DOWN_ORIGIN)
			d->want = SIDE_ORIGIN;
		snprintf(d->detail, sizeof(d->detail), "both sides down (all_down: %s)",
		         config_all_down_name(sw->p.all_down));
	} else if (policy_failback_at(sw, now) <= now) {
		d->want = home;
		d->cause = ST_CAUSE_FAILBACK;
		snprintf(d->detail, sizeof(d->detail), "%s healthy for %llds", side_name(home),
		         since[home] ? (long long)((now - since[home]) / 1000) : 0LL);
	}
	if (d->want == sw->side)
		return;
	/* The first move after a pin ends belongs to the operator who ended it
	 * (or who set its expiry). */
	if (sw->pin_ended == now && sw->pin_ended != 0) {
		d->cause = sw->pin_end_cause;
		d->side = d->want;
		return;
	}
	if (state_cause_automated(d->cause)) {
		if (st->brake.engaged) {
			d->held = 1;
		} else if (state_brake_count(st, now) + 1 > state_brake_limit(st)) {
			d->held = 1;
			d->engage = 1;
		}
	}
	d->side = d->held ? sw->side : d->want;
	assert(d->side == SIDE_CDN || d->side == SIDE_ORIGIN);
}

int policy_run(struct state *st, json_t *txn, int64_t now)
{
	struct policy_decision d;
	size_t newly_held = 0;
	const char *example = NULL;
	int r, flips = 0;

	if ((r = state_expire(st, txn, now)) < 0)
		return r;
	for (size_t i = 0; i < st->n; i++) {
		struct st_switch *sw = st->sw[i];
		const char *actor = "routerd";

		if (quiet(sw, now)) {
			sw->held = 0;
			continue;
		}
		policy_evaluate(st, sw, now, &d);
		if (d.engage && !st->brake.engaged) {
			char reason[768];
			snprintf(reason, sizeof(reason),
			         "automation would flip %zu switches within %llds, over the limit of %zu of %zu; "
			         "first held: %s to %s (%s)",
			         state_brake_count(st, now) + 1, (long long)(st->brake_cfg.window / 1000), state_brake_limit(st), st->n,
			         sw->name, side_name(d.want), d.detail);
			if ((r = state_brake_set(st, txn, 1, reason, "routerd", now)) < 0)
				return r;
			log_error("safety brake engaged: %s; automated flips stop until an operator clears it",
			          reason);
		}
		if (d.held && !sw->held) {
			newly_held++;
			example = sw->name;
		}
		sw->held = d.held;
		if (d.held || d.side == sw->side)
			continue;
		if (d.cause == ST_CAUSE_PIN)
			actor = sw->pin.actor;
		else if (d.cause == ST_CAUSE_UNPIN)
			actor = sw->pin_end_actor;
		if ((r = state_flip(st, txn, sw, d.side, d.cause, actor, d.detail, now)) < 0)
			return r;
		flips++;
		log_notice("switch %s: %s -> %s (%s: %s)", sw->name, side_name(side_other(d.side)), side_name(d.side),
		           state_cause_name(d.cause), d.detail);
	}
	if (newly_held > 0)
		log_warning("safety brake holds %zu more switches (one is %s)", newly_held, example);
	return flips;
}

static void earliest(int64_t *best, int64_t t, int64_t now)
{
	if (t > now && t < *best)
		*best = t;
}

int64_t policy_next_deadline(const struct state *st, int64_t now)
{
	int64_t best = POLICY_NEVER;

	for (size_t i = 0; i < st->n; i++) {
		const struct st_switch *sw = st->sw[i];
		if (quiet(sw, now))
			continue;
		for (size_t k = 0; k < sw->n_sig; k++)
			earliest(&best, sw->sig[k].expires, now);
		for (size_t k = 0; k < sw->n_warn; k++)
			earliest(&best, sw->warn[k].expires, now);
		if (pin_active(sw, now)) {
			if (sw->pin.expires != 0)
				earliest(&best, sw->pin.expires, now);
			continue;
		}
		earliest(&best, policy_failback_at(sw, now), now);
	}
	return best;
}
