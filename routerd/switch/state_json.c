/* SPDX-License-Identifier: BSD-3-Clause */
/* state_json.c -- the state as JSON: snapshots (save, load) and the views
 * routerctl shows (show, list, status, history). See state.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "switch/policy.h"
#include "switch/state.h"
#include "switch/state_int.h"

#define SNAPSHOT_FORMAT 1

static json_t *side_json(int side)
{
	return side < 0 ? json_null() : json_string(side_name((enum side)side));
}

static json_t *sig_json(const struct st_signal *s, int with_side)
{
	json_t *o = json_pack("{s:s?,s:s?,s:s?,s:I,s:I}", "source", s->source, "id", s->id, "reason", s->reason,
	                      "since", (json_int_t)s->since, "expires", (json_int_t)s->expires);
	if (o != NULL && with_side)
		json_object_set_new(o, "side", side_json((int)s->side));
	return o;
}

static json_t *sigs_json(const struct st_signal *arr, size_t n, int with_side)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, sig_json(&arr[i], with_side));
	return a;
}

static json_t *pin_json(const struct st_pin *p)
{
	if (!p->active)
		return json_null();
	return json_pack("{s:s,s:s?,s:s?,s:s?,s:I,s:I}", "side", side_name(p->side), "reason", p->reason, "actor",
	                 p->actor, "glob", p->glob, "created", (json_int_t)p->created, "expires",
	                 (json_int_t)p->expires);
}

/* The saved fields of a switch; what a snapshot holds. */
static json_t *switch_saved(const struct st_switch *sw)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:o,s:I,s:s,s:s?,s:o,s:o,s:[I,I],s:I,s:I,s:I}", "name", sw->name,
	                 "side", side_name(sw->side), "home", side_name(sw->p.home), "cause", state_cause_name(sw->cause), "detail", sw->detail, "pin",
	                 pin_json(&sw->pin), "pin_ended", (json_int_t)sw->pin_ended, "pin_end_cause",
	                 state_cause_name(sw->pin_end_cause), "pin_end_actor", sw->pin_end_actor, "signals",
	                 sigs_json(sw->sig, sw->n_sig, 1), "warnings", sigs_json(sw->warn, sw->n_warn, 0),
	                 "healthy_since", (json_int_t)sw->healthy_since[0], (json_int_t)sw->healthy_since[1],
	                 "created", (json_int_t)sw->created, "last_flip", (json_int_t)sw->last_flip, "flips",
	                 (json_int_t)sw->flips);
}

static json_t *down_sides(const struct st_switch *sw, int64_t now)
{
	json_t *a = json_array();
	for (int s = 0; s < 2; s++)
		if (state_side_down(sw, (enum side)s, now, NULL))
			json_array_append_new(a, json_string(side_name((enum side)s)));
	return a;
}

json_t *state_switch_to_json(const struct state *st, const struct st_switch *sw, int64_t now)
{
	json_t *o = switch_saved(sw);
	int armed = state_armed(sw, now);
	int64_t due = policy_failback_at(sw, now);

	(void)st;
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "armed", json_boolean(armed));
	json_object_set_new(o, "ttl", json_integer(armed ? sw->p.ttl_armed : sw->p.ttl));
	json_object_set_new(o, "down", down_sides(sw, now));
	json_object_set_new(o, "held_by_brake", json_boolean(sw->held));
	json_object_set_new(o, "failback_at", due != POLICY_NEVER ? json_integer(due) : json_null());
	json_object_set_new(o, "failback_hold_s", json_integer(sw->p.failback_hold / 1000));
	json_object_set_new(o, "all_down", json_string(config_all_down_name(sw->p.all_down)));
	return o;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct st_switch *const *)a)->name, (*(struct st_switch *const *)b)->name);
}

json_t *state_list_to_json(const struct state *st, const char *glob, int side, int pinned_only, int64_t now)
{
	struct st_switch **m = NULL;
	size_t n = 0;
	json_t *rows = json_array();

	if (glob != NULL)
		n = state_match(st, glob, &m);
	else if (st->n > 0) {
		m = st_xrealloc(NULL, st->n * sizeof(*m));
		memcpy(m, st->sw, st->n * sizeof(*m));
		n = st->n;
	}
	if (n > 1)
		qsort(m, n, sizeof(*m), by_name);
	for (size_t i = 0; rows != NULL && i < n; i++) {
		const struct st_switch *sw = m[i];
		if ((side >= 0 && (int)sw->side != side) || (pinned_only && !sw->pin.active))
			continue;
		json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:b,s:b,s:o,s:b,s:I,s:o}", "switch", sw->name,
		                                      "side", side_name(sw->side), "cause",
		                                      state_cause_name(sw->cause), "pinned", sw->pin.active, "armed",
		                                      state_armed(sw, now), "down", down_sides(sw, now),
		                                      "held_by_brake", sw->held, "last_flip",
		                                      (json_int_t)sw->last_flip, "pin", pin_json(&sw->pin)));
	}
	free(m);
	return rows;
}

static json_t *brake_json(const struct state *st, int64_t now, int saved)
{
	const struct st_brake *b = &st->brake;
	json_t *o = json_pack("{s:b,s:s?,s:s?,s:I}", "engaged", b->engaged, "reason", b->reason, "actor", b->actor,
	                      "since", (json_int_t)b->since);
	json_t *flips = json_array();

	if (o == NULL)
		return NULL;
	if (saved) {
		for (size_t i = 0; i < b->n_flips; i++)
			json_array_append_new(flips, json_integer(b->flips[i]));
		json_object_set_new(o, "flips", flips);
		return o;
	}
	json_decref(flips);
	json_object_set_new(o, "flips_in_window", json_integer((json_int_t)state_brake_count(st, now)));
	json_object_set_new(o, "limit", json_integer((json_int_t)state_brake_limit(st)));
	json_object_set_new(o, "window_s", json_integer(st->brake_cfg.window / 1000));
	json_object_set_new(o, "max_share", json_real(st->brake_cfg.max_share));
	json_object_set_new(o, "min_switches", json_integer(st->brake_cfg.min_switches));
	return o;
}

json_t *state_status_to_json(const struct state *st, int64_t now)
{
	size_t on[2] = { 0, 0 }, pinned = 0, armed = 0, held = 0, sigs = 0, warns = 0, down[2] = { 0, 0 };
	json_t *o;

	for (size_t i = 0; i < st->n; i++) {
		const struct st_switch *sw = st->sw[i];
		on[sw->side]++;
		pinned += sw->pin.active;
		armed += state_armed(sw, now) != 0;
		held += sw->held != 0;
		for (size_t k = 0; k < sw->n_sig; k++)
			sigs += sw->sig[k].expires > now;
		for (size_t k = 0; k < sw->n_warn; k++)
			warns += sw->warn[k].expires > now;
		for (int s = 0; s < 2; s++)
			down[s] += state_side_down(sw, (enum side)s, now, NULL);
	}
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "switches", (json_int_t)st->n, "on_cdn",
	              (json_int_t)on[0], "on_origin", (json_int_t)on[1], "pinned", (json_int_t)pinned, "armed",
	              (json_int_t)armed, "held_by_brake", (json_int_t)held, "signals_active", (json_int_t)sigs,
	              "warnings_active", (json_int_t)warns, "cdn_down", (json_int_t)down[0], "origin_down",
	              (json_int_t)down[1]);
	if (o != NULL)
		json_object_set_new(o, "brake", brake_json(st, now, 0));
	return o;
}

static json_t *hist_json(const struct st_hist *h)
{
	return json_pack("{s:I,s:s,s:s?,s:o,s:o,s:s,s:s?,s:s?}", "t", (json_int_t)h->t, "event",
	                 state_hist_name(h->kind), "switch", h->sw, "from", side_json(h->from), "to", side_json(h->to),
	                 "cause", state_cause_name(h->cause), "actor", h->actor, "detail", h->detail);
}

json_t *state_history_to_json(const struct state *st, const char *pattern, int64_t since)
{
	json_t *rows = json_array();
	for (size_t i = 0; rows != NULL && i < st->hist_len; i++) {
		const struct st_hist *h = &st->hist[(st->hist_head + i) % st->hist_cap];
		if (h->t < since)
			continue;
		/* Matched against the recorded name: removed switches keep their history. */
		if (pattern != NULL && (h->sw == NULL || !st_name_match(pattern, h->sw)))
			continue;
		json_array_append_new(rows, hist_json(h));
	}
	return rows;
}

json_t *state_to_json(const struct state *st)
{
	json_t *sws = json_array(), *hist = json_array();
	for (size_t i = 0; sws != NULL && i < st->n; i++)
		json_array_append_new(sws, switch_saved(st->sw[i]));
	/* History as rows, not objects: it is most of a snapshot (20,000
	 * records), and key names would double its size and its load time. */
	for (size_t i = 0; hist != NULL && i < st->hist_len; i++) {
		const struct st_hist *h = &st->hist[(st->hist_head + i) % st->hist_cap];
		json_array_append_new(hist, json_pack("[I,s,s?,i,i,s,s?,s?]", (json_int_t)h->t, state_hist_name(h->kind),
		                                      h->sw, h->from, h->to, state_cause_name(h->cause), h->actor,
		                                      h->detail));
	}
	return json_pack("{s:i,s:o,s:o,s:o}", "format", SNAPSHOT_FORMAT, "switches", sws, "brake",
	                 brake_json(st, 0, 1), "history", hist);
}

/* ---- loading a snapshot ---- */

static int side_of(const json_t *v, int dflt)
{
	enum side s;
	return json_is_string(v) && side_parse(json_string_value(v), &s) == 0 ? (int)s : dflt;
}

static int load_sigs(const json_t *arr, struct st_signal **out, size_t *n, size_t *cap)
{
	json_t *v;
	size_t i;
	if (!json_is_array(arr))
		return -EINVAL;
	json_array_foreach(arr, i, v) {
		struct st_signal s = { (char *)st_jstr(v, "source"), (char *)st_jstr(v, "id"),
			               (char *)st_jstr(v, "reason"), (enum side)side_of(json_object_get(v, "side"), 0),
			               st_jint(v, "since"), st_jint(v, "expires") };
		if (s.source == NULL || s.id == NULL)
			return -EINVAL;
		st_sig_push(out, n, cap, &s);
	}
	return 0;
}

static int load_switch(struct state *st, const json_t *o)
{
	const char *name = st_jstr(o, "name");
	json_t *pin = json_object_get(o, "pin"), *hs = json_object_get(o, "healthy_since");
	int side = side_of(json_object_get(o, "side"), -1), cause = st_cause_parse(st_jstr(o, "cause"));
	int end_cause = st_cause_parse(st_jstr(o, "pin_end_cause"));
	struct st_switch *sw;

	if (name == NULL || side < 0 || cause < 0 || state_lookup(st, name) != NULL)
		return -EINVAL;
	sw = st_switch_new(name, (enum side)side, st_jint(o, "created"));
	sw->p.home = (enum side)side_of(json_object_get(o, "home"), side);
	sw->cause = (enum st_cause)cause;
	sw->detail = st_xstrdup(st_jstr(o, "detail"));
	sw->pin_ended = st_jint(o, "pin_ended");
	sw->pin_end_cause = end_cause < 0 ? ST_CAUSE_INITIAL : (enum st_cause)end_cause;
	sw->pin_end_actor = st_xstrdup(st_jstr(o, "pin_end_actor"));
	sw->healthy_since[0] = json_integer_value(json_array_get(hs, 0));
	sw->healthy_since[1] = json_integer_value(json_array_get(hs, 1));
	sw->last_flip = st_jint(o, "last_flip");
	sw->flips = (uint64_t)st_jint(o, "flips");
	if (json_is_object(pin)) {
		int ps = side_of(json_object_get(pin, "side"), -1);
		if (ps < 0) {
			st_switch_free(sw);
			return -EINVAL;
		}
		sw->pin.active = 1;
		sw->pin.side = (enum side)ps;
		sw->pin.reason = st_xstrdup(st_jstr(pin, "reason"));
		sw->pin.actor = st_xstrdup(st_jstr(pin, "actor"));
		sw->pin.glob = st_xstrdup(st_jstr(pin, "glob"));
		sw->pin.created = st_jint(pin, "created");
		sw->pin.expires = st_jint(pin, "expires");
	}
	if (load_sigs(json_object_get(o, "signals"), &sw->sig, &sw->n_sig, &sw->cap_sig) < 0 ||
	    load_sigs(json_object_get(o, "warnings"), &sw->warn, &sw->n_warn, &sw->cap_warn) < 0) {
		st_switch_free(sw);
		return -EINVAL;
	}
	st_switch_insert(st, sw);
	return 0;
}

int state_load_json(struct state *st, const json_t *snap)
{
	json_t *sws = json_object_get(snap, "switches"), *hist = json_object_get(snap, "history");
	json_t *brake = json_object_get(snap, "brake"), *v;
	size_t i;

	if (st_jint(snap, "format") != SNAPSHOT_FORMAT || !json_is_array(sws) || !json_is_array(hist) ||
	    !json_is_object(brake))
		return -EINVAL;
	st_clear(st);
	json_array_foreach(sws, i, v) {
		if (load_switch(st, v) < 0) {
			st_clear(st);
			return -EINVAL;
		}
	}
	st->brake.engaged = json_is_true(json_object_get(brake, "engaged"));
	st->brake.reason = st_xstrdup(st_jstr(brake, "reason"));
	st->brake.actor = st_xstrdup(st_jstr(brake, "actor"));
	st->brake.since = st_jint(brake, "since");
	json_array_foreach(json_object_get(brake, "flips"), i, v) {
		if (st->brake.n_flips == st->brake.cap_flips) {
			st->brake.cap_flips = st->brake.cap_flips ? st->brake.cap_flips * 2 : 16;
			st->brake.flips = st_xrealloc(st->brake.flips, st->brake.cap_flips * sizeof(int64_t));
		}
		st->brake.flips[st->brake.n_flips++] = json_integer_value(v);
	}
	json_array_foreach(hist, i, v) {
		int kind = st_hist_parse(json_string_value(json_array_get(v, 1)));
		int cause = st_cause_parse(json_string_value(json_array_get(v, 5)));
		if (kind < 0 || cause < 0)
			continue;
		st_hist_push(st, json_integer_value(json_array_get(v, 0)), (enum st_hist_kind)kind,
		             json_string_value(json_array_get(v, 2)), (int)json_integer_value(json_array_get(v, 3)),
		             (int)json_integer_value(json_array_get(v, 4)), (enum st_cause)cause,
		             json_string_value(json_array_get(v, 6)), json_string_value(json_array_get(v, 7)));
	}
	return 0;
}

json_t *state_answer_json(const struct cfg_answer *a)
{
	char buf[INET6_ADDRSTRLEN];
	json_t *o = json_object();

	if (a->cname)
		json_object_set_new(o, "cname", json_string(a->cname));
	if (a->n_a) {
		json_t *l = json_array();
		for (size_t i = 0; i < a->n_a; i++)
			json_array_append_new(l, json_string(inet_ntop(AF_INET, &a->a[i], buf, sizeof(buf))));
		json_object_set_new(o, "a", l);
	}
	if (a->n_aaaa) {
		json_t *l = json_array();
		for (size_t i = 0; i < a->n_aaaa; i++)
			json_array_append_new(l, json_string(inet_ntop(AF_INET6, &a->aaaa[i], buf, sizeof(buf))));
		json_object_set_new(o, "aaaa", l);
	}
	return o;
}
