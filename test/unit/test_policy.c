/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy.c -- the policy, table-driven with a fake clock. Each
 * scenario is a config and a list of steps (time, event, expectations for
 * one switch after the event and a policy_run). Every step's transaction
 * is also replayed, through its JSON text, into a second state that must
 * end up identical: the journal's promise, checked on every scenario.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/log.h"
#include "switch/policy.h"
#include "switch/state.h"

#define T0 1700000000000LL /* the fake clock starts here (ms); steps are seconds after */

enum ev {
	TICK = 0,
	DOWN,
	UP,
	WARN,
	WARN_CLEAR,
	PIN,
	UNPIN,
	BRAKE_CLEAR,
};

/* Expectations: 0 means "not checked", so values are stored shifted. */
#define CAUSE(c) (ST_CAUSE_##c + 1)
#define ON 1
#define OFF 2
#define RET(x) .has_ret = 1, .ret = (x)
#define FLIPS(x) .has_flips = 1, .flips = (x)
#define DL(s) .has_dl = 1, .dl = (s)
#define DL_NEVER .has_dl = 1, .dl = -1

struct step {
	int64_t t;          /* seconds after T0 */
	enum ev ev;
	const char *target; /* switch or glob of the event; default s1 */
	const char *side;   /* the unhealthy side (DOWN/UP) or the pinned side; default cdn */
	const char *id;     /* signal id; default "a" */
	int64_t pin_for;    /* seconds; 0: until unpinned */
	/* Checked on switch `sw` (default: target, or s1 for a glob) after the step. */
	const char *sw;
	const char *expect_side;
	int cause;      /* CAUSE(x) of policy_evaluate */
	int flip_cause; /* CAUSE(x) of the switch's current side (its last flip) */
	int brake;     /* ON / OFF */
	int armed;     /* ON / OFF */
	int held;      /* ON / OFF */
	int hist_same; /* the step added no history record */
	int has_ret, ret;
	int has_flips, flips; /* flips so far, all switches */
	int has_dl;
	int64_t dl; /* policy_next_deadline, seconds after T0; -1 never */
};

struct scenario {
	const char *name;
	int n; /* switches s1..sN.example.com. (when names is empty) */
	const char *names[4];
	int origin_home;     /* every switch starts on origin */
	uint32_t hold;       /* failback_hold, seconds */
	enum cfg_all_down all_down;
	double share;
	uint32_t window, min;
	struct step steps[24];
};

/* Three switches; a brake that stays out of the way unless a scenario sets one. */
#define BASE .n = 3, .hold = 300, .share = 0.2, .window = 600, .min = 10
#define BRAKE(N) .n = N, .hold = 300, .share = 0.2, .window = 600, .min = 2

/* clang-format off */
static const struct scenario scenarios[] = {
	{ "cdn down: origin", BASE,
	  .steps = { { 0, TICK, .expect_side = "cdn", .cause = CAUSE(INITIAL), .brake = OFF, FLIPS(0), DL_NEVER },
	    { 10, DOWN, .id = "fp1", RET(ST_CHANGED), .expect_side = "origin", .cause = CAUSE(SIGNAL), FLIPS(1),
	      DL(3610) },
	    { 10, TICK, .sw = "s2.example.com", .expect_side = "cdn", .cause = CAUSE(INITIAL) },
	    { 11, DOWN, .target = "nosuch.example.com", RET(-ENOENT), .sw = "s1.example.com", FLIPS(1) } } },

	{ "repeated alert changes nothing", BASE,
	  .steps = { { 10, DOWN, RET(ST_CHANGED), .expect_side = "origin", FLIPS(1) },
	    { 20, DOWN, RET(ST_REFRESHED), .expect_side = "origin", .cause = CAUSE(SIGNAL), .hist_same = 1, FLIPS(1),
	      DL(3620) },
	    { 20, DOWN, RET(0), .hist_same = 1, FLIPS(1) },
	    /* The repeat moved the expiry: still down after the first one's ttl. */
	    { 3615, TICK, .expect_side = "origin", .cause = CAUSE(SIGNAL), FLIPS(1) },
	    { 3615, UP, RET(ST_CHANGED), .expect_side = "origin", DL(3915) },
	    { 3616, UP, RET(0), .hist_same = 1 } } },

	{ "alert missing from a later group message is not resolved", BASE,
	  .steps = { { 10, DOWN, .id = "a", .expect_side = "origin" },
	    { 10, DOWN, .id = "b", RET(ST_CHANGED), .expect_side = "origin", FLIPS(1) },
	    /* The next group message carries only b. */
	    { 20, DOWN, .id = "b", RET(ST_REFRESHED), .expect_side = "origin" },
	    { 400, TICK, .expect_side = "origin", .cause = CAUSE(SIGNAL) },
	    { 500, UP, .id = "b", RET(ST_CHANGED), .expect_side = "origin", .cause = CAUSE(SIGNAL) },
	    { 900, TICK, .expect_side = "origin", .cause = CAUSE(SIGNAL), DL(3610) },
	    { 1000, UP, .id = "a", .expect_side = "origin", DL(1300) },
	    { 1299, TICK, .expect_side = "origin", FLIPS(1) },
	    { 1300, TICK, .expect_side = "cdn", .cause = CAUSE(FAILBACK), FLIPS(2), DL_NEVER } } },

	{ "signal expiry, then failback after the hold and not before", BASE,
	  .steps = { { 0, DOWN, .expect_side = "origin", DL(3600) },
	    { 3599, TICK, .expect_side = "origin", .cause = CAUSE(SIGNAL) },
	    { 3600, TICK, .expect_side = "origin", .cause = CAUSE(SIGNAL), DL(3900) },
	    { 3899, TICK, .expect_side = "origin", FLIPS(1) },
	    { 3900, TICK, .expect_side = "cdn", .cause = CAUSE(FAILBACK), .flip_cause = CAUSE(FAILBACK), FLIPS(2),
	      DL_NEVER } } },

	{ "a new failure during the hold restarts it", BASE,
	  .steps = { { 0, DOWN, .id = "a", .expect_side = "origin" },
	    { 100, UP, .id = "a", .expect_side = "origin", DL(400) },
	    { 200, DOWN, .id = "b", .expect_side = "origin", DL(3800) },
	    { 250, UP, .id = "b", .expect_side = "origin", DL(550) },
	    { 400, TICK, .expect_side = "origin" },
	    { 549, TICK, .expect_side = "origin" },
	    { 550, TICK, .expect_side = "cdn", .cause = CAUSE(FAILBACK), FLIPS(2) } } },

	{ "both down, all_down stay", BASE, .all_down = ALL_DOWN_STAY,
	  .steps = { { 10, DOWN, .expect_side = "origin", FLIPS(1) },
	    { 20, DOWN, .side = "origin", .id = "o", .expect_side = "origin", .cause = CAUSE(ALL_DOWN), FLIPS(1) },
	    { 30, UP, .expect_side = "cdn", .cause = CAUSE(SIGNAL), FLIPS(2) } } },

	{ "both down, all_down stay on the cdn", BASE, .all_down = ALL_DOWN_STAY,
	  .steps = { { 10, DOWN, .side = "origin", .id = "o", .expect_side = "cdn", .cause = CAUSE(SIGNAL), FLIPS(0) },
	    { 20, DOWN, .expect_side = "cdn", .cause = CAUSE(ALL_DOWN), FLIPS(0) } } },

	{ "both down, all_down cdn", BASE, .all_down = ALL_DOWN_CDN,
	  .steps = { { 10, DOWN, .expect_side = "origin", FLIPS(1) },
	    { 20, DOWN, .side = "origin", .id = "o", .expect_side = "cdn", .cause = CAUSE(ALL_DOWN),
	      .flip_cause = CAUSE(ALL_DOWN), FLIPS(2) },
	    { 30, UP, .side = "origin", .id = "o", .expect_side = "origin", .cause = CAUSE(SIGNAL), FLIPS(3) } } },

	{ "both down, all_down origin", BASE, .all_down = ALL_DOWN_ORIGIN,
	  .steps = { { 10, DOWN, .side = "origin", .id = "o", .expect_side = "cdn", .cause = CAUSE(SIGNAL), FLIPS(0) },
	    { 20, DOWN, .expect_side = "origin", .cause = CAUSE(ALL_DOWN), FLIPS(1) } } },

	{ "a pin beats every signal", BASE,
	  .steps = { { 10, PIN, .side = "origin", RET(1), .expect_side = "origin", .cause = CAUSE(PIN), FLIPS(1), DL_NEVER },
	    { 20, DOWN, .side = "origin", .id = "o", .expect_side = "origin", .cause = CAUSE(PIN) },
	    { 25, DOWN, .expect_side = "origin", .cause = CAUSE(PIN) },
	    { 30, UP, .expect_side = "origin", .cause = CAUSE(PIN), FLIPS(1) },
	    /* Unpinned: origin is down, the cdn up: back to the cdn at once. */
	    { 40, UNPIN, RET(1), .expect_side = "cdn", .cause = CAUSE(SIGNAL), .flip_cause = CAUSE(UNPIN), FLIPS(2) },
	    { 41, UNPIN, RET(0), .hist_same = 1, .expect_side = "cdn" } } },

	{ "a pin to a side that is down", BASE,
	  .steps = { { 10, DOWN, .expect_side = "origin" },
	    { 20, PIN, .side = "cdn", .expect_side = "cdn", .cause = CAUSE(PIN), FLIPS(2) } } },

	{ "pin expiry returns control to the policy", BASE,
	  .steps = { { 10, PIN, .side = "origin", .pin_for = 60, .expect_side = "origin", .cause = CAUSE(PIN), DL(70) },
	    { 69, TICK, .expect_side = "origin", .cause = CAUSE(PIN) },
	    { 70, TICK, .expect_side = "cdn", .cause = CAUSE(PIN_EXPIRED), FLIPS(2), DL_NEVER },
	    { 80, PIN, .side = "origin", .pin_for = -10, RET(-EINVAL), .expect_side = "cdn" } } },

	{ "pin expiry while the cdn is down", BASE,
	  .steps = { { 5, DOWN, .expect_side = "origin" },
	    { 10, PIN, .side = "cdn", .pin_for = 60, .expect_side = "cdn", .cause = CAUSE(PIN) },
	    { 70, TICK, .expect_side = "origin", .cause = CAUSE(SIGNAL), .flip_cause = CAUSE(PIN_EXPIRED), FLIPS(3) } } },

	{ "pin expiry soon after recovery waits for the hold", BASE,
	  .steps = { { 0, DOWN, .expect_side = "origin" },
	    { 10, UP, .expect_side = "origin" },
	    { 20, PIN, .side = "origin", .pin_for = 60, .expect_side = "origin", .cause = CAUSE(PIN), DL(80) },
	    { 80, TICK, .expect_side = "origin", DL(310) },
	    { 310, TICK, .expect_side = "cdn", .cause = CAUSE(FAILBACK), FLIPS(2) } } },

	{ "glob pin", .names = { "a.example.com.", "b.example.com.", "c.other.net." }, .hold = 300, .share = 1,
	  .window = 600, .min = 3,
	  .steps = { { 10, PIN, .target = "*.EXAMPLE.com", .side = "origin", RET(2), .sw = "a.example.com",
	      .expect_side = "origin", .cause = CAUSE(PIN) },
	    { 10, TICK, .sw = "B.example.com.", .expect_side = "origin", .cause = CAUSE(PIN) },
	    { 10, TICK, .sw = "c.other.net", .expect_side = "cdn", .cause = CAUSE(INITIAL), FLIPS(2) },
	    { 20, UNPIN, .target = "A.Example.Com", RET(1), .expect_side = "cdn", .cause = CAUSE(UNPIN) },
	    { 20, TICK, .sw = "b.example.com", .expect_side = "origin", .cause = CAUSE(PIN) },
	    { 30, PIN, .target = "nomatch.*", .side = "origin", RET(-ENOENT), .sw = "c.other.net", .hist_same = 1 },
	    { 40, UNPIN, .target = "*", RET(1), .sw = "b.example.com", .expect_side = "cdn", FLIPS(4) } } },

	{ "brake: engages at the limit, holds, pins still work, clear re-enables", BRAKE(10),
	  .steps = { { 10, DOWN, .target = "s1.example.com", .expect_side = "origin", .brake = OFF, FLIPS(1) },
	    { 20, DOWN, .target = "s2.example.com", .expect_side = "origin", .brake = OFF, FLIPS(2) },
	    /* limit max(2, ceil(0.2 * 10)) = 2: a third flip would exceed it */
	    { 30, DOWN, .target = "s3.example.com", .expect_side = "cdn", .cause = CAUSE(SIGNAL), .brake = ON,
	      .held = ON, FLIPS(2) },
	    { 40, DOWN, .target = "s4.example.com", .expect_side = "cdn", .brake = ON, .held = ON, FLIPS(2) },
	    { 50, PIN, .target = "s5.example.com", .side = "origin", .expect_side = "origin", .cause = CAUSE(PIN),
	      .brake = ON, FLIPS(3) },
	    { 60, UNPIN, .target = "s5.example.com", .expect_side = "cdn", .brake = ON, FLIPS(4) },
	    /* The window has passed; the brake stays until an operator clears it. */
	    { 700, TICK, .sw = "s3.example.com", .expect_side = "cdn", .brake = ON, .held = ON },
	    { 710, BRAKE_CLEAR, RET(1), .sw = "s3.example.com", .expect_side = "origin", .brake = OFF,
	      .held = OFF, FLIPS(6) },
	    { 710, TICK, .sw = "s4.example.com", .expect_side = "origin", .held = OFF },
	    { 720, DOWN, .target = "s6.example.com", .expect_side = "cdn", .brake = ON, .held = ON, FLIPS(6) } } },

	{ "brake: a glob signal moves only the allowed share", BRAKE(20),
	  /* limit max(2, ceil(0.2 * 20)) = 4 */
	  .steps = { { 10, DOWN, .target = "*", .sw = "s4.example.com", .expect_side = "origin", .brake = ON, FLIPS(4) },
	    { 10, TICK, .sw = "s5.example.com", .expect_side = "cdn", .held = ON },
	    { 20, BRAKE_CLEAR, .sw = "s8.example.com", .expect_side = "origin", .brake = ON, FLIPS(8) } } },

	{ "brake: the window slides", BRAKE(10),
	  .steps = { { 0, DOWN, .target = "s1.example.com", .expect_side = "origin" },
	    { 100, DOWN, .target = "s2.example.com", .expect_side = "origin" },
	    { 601, DOWN, .target = "s3.example.com", .expect_side = "origin", .brake = OFF, FLIPS(3) },
	    { 650, DOWN, .target = "s4.example.com", .expect_side = "cdn", .brake = ON, FLIPS(3) } } },

	{ "armed while a warning names the switch", BASE,
	  .steps = { { 10, WARN, .id = "w", RET(ST_CHANGED), .armed = ON, .expect_side = "cdn", FLIPS(0), DL(3610) },
	    { 10, TICK, .sw = "s2.example.com", .armed = OFF },
	    { 20, WARN, .id = "w", RET(ST_REFRESHED), .armed = ON, .hist_same = 1 },
	    { 30, WARN_CLEAR, .id = "w", RET(ST_CHANGED), .armed = OFF, DL_NEVER },
	    { 31, WARN_CLEAR, .id = "w", RET(0), .armed = OFF, .hist_same = 1 },
	    { 40, WARN, .id = "w", .armed = ON, DL(3640) },
	    { 3639, TICK, .armed = ON },
	    { 3640, TICK, .armed = OFF, .expect_side = "cdn", FLIPS(0) } } },

	{ "home on origin: the same rules mirrored", BASE, .origin_home = 1,
	  .steps = { { 0, TICK, .expect_side = "origin", .cause = CAUSE(INITIAL) },
	    { 10, DOWN, .expect_side = "origin", .cause = CAUSE(SIGNAL), FLIPS(0) },
	    { 20, DOWN, .side = "origin", .id = "o", .expect_side = "origin", .cause = CAUSE(ALL_DOWN) },
	    { 30, UP, .expect_side = "cdn", .cause = CAUSE(SIGNAL), FLIPS(1) },
	    { 40, UP, .side = "origin", .id = "o", .expect_side = "cdn", DL(340) },
	    { 340, TICK, .expect_side = "origin", .cause = CAUSE(FAILBACK), FLIPS(2) } } },
};
/* clang-format on */

/* ---- the runner ---- */

#define NSW 32

static int run_event(struct state *st, json_t *txn, const struct step *s, int64_t now)
{
	const char *target = s->target ? s->target : "s1.example.com";
	enum side side = SIDE_CDN;
	const char *id = s->id ? s->id : "a";

	if (s->side != NULL)
		assert_int_equal(side_parse(s->side, &side), 0);
	switch (s->ev) {
	case TICK:
		return 0;
	case DOWN:
		return state_signal(st, txn, target, "alertmanager", id, ST_SIG_DOWN, side, "HighErrorRate", now);
	case UP:
		return state_signal(st, txn, target, "alertmanager", id, ST_SIG_UP, side, "HighErrorRate", now);
	case WARN:
		return state_signal(st, txn, target, "alertmanager", id, ST_SIG_WARN, side, "Slow", now);
	case WARN_CLEAR:
		return state_signal(st, txn, target, "alertmanager", id, ST_SIG_WARN_CLEAR, side, "Slow", now);
	case PIN:
		return state_pin(st, txn, target, side, "incident 42", "uid:1000", s->pin_for ? now + s->pin_for * 1000 : 0,
		                 now);
	case UNPIN:
		return state_unpin(st, txn, target, "uid:1000", now);
	case BRAKE_CLEAR:
		return state_brake_set(st, txn, 0, "checked the monitors", "uid:1000", now);
	}
	return 0;
}

static uint64_t flips_total(const struct state *st)
{
	uint64_t n = 0;
	for (int s = 0; s < 2; s++)
		for (int c = 0; c < ST_CAUSE__COUNT; c++)
			n += st->flips_total[s][c];
	return n;
}

/* TXN through its text, as the journal would give it back. */
static void replay_into(struct state *re, const json_t *txn)
{
	char *text = json_dumps(txn, JSON_COMPACT);
	json_t *back = json_loads(text, 0, NULL);
	assert_non_null(back);
	assert_int_equal(state_apply(re, back), 0);
	json_decref(back);
	free(text);
}

static void assert_same_state(const struct state *a, const struct state *b, const char *where)
{
	json_t *ja = state_to_json(a), *jb = state_to_json(b);
	if (!json_equal(ja, jb)) {
		char *ta = json_dumps(ja, JSON_INDENT(1)), *tb = json_dumps(jb, JSON_INDENT(1));
		fail_msg("%s: replayed state differs\nlive:\n%s\nreplayed:\n%s", where, ta, tb);
	}
	json_decref(ja);
	json_decref(jb);
}

static void run_scenario(void **arg)
{
	const struct scenario *sc = *arg;
	struct cfg_switch sws[NSW];
	char names[NSW][64];
	struct config cfg;
	struct state *st = state_new(0), *re = state_new(0);
	json_t *txn;
	size_t n = 0;

	memset(&cfg, 0, sizeof(cfg));
	memset(sws, 0, sizeof(sws));
	for (; n < NSW && (sc->names[0] ? sc->names[n] != NULL : (int)n < sc->n); n++) {
		if (sc->names[0])
			snprintf(names[n], sizeof(names[n]), "%s", sc->names[n]);
		else
			snprintf(names[n], sizeof(names[n]), "s%zu.example.com.", n + 1);
		sws[n].name = names[n];
		sws[n].p.ttl = 30;
		sws[n].p.ttl_armed = 5;
		sws[n].p.failback_hold = (int64_t)sc->hold * 1000;
		sws[n].p.all_down = sc->all_down;
		sws[n].p.home = sc->origin_home ? SIDE_ORIGIN : SIDE_CDN;
	}
	cfg.switches = sws;
	cfg.n_switches = n;
	cfg.defaults.signal_ttl = 3600 * 1000;
	cfg.brake.max_share = sc->share;
	cfg.brake.window = (int64_t)sc->window * 1000;
	cfg.brake.min_switches = sc->min;

	txn = state_txn_new(T0);
	assert_int_equal(state_sync(st, txn, &cfg, T0), (int)n);
	replay_into(re, txn);
	assert_int_equal(state_sync(re, NULL, &cfg, T0), 0);
	json_decref(txn);

	for (size_t i = 0; i < sizeof(sc->steps) / sizeof(sc->steps[0]); i++) {
		const struct step *s = &sc->steps[i];
		int64_t now = T0 + s->t * 1000;
		const char *swname = s->sw ? s->sw : (s->target && !state_is_glob(s->target) ? s->target : "s1.example.com");
		size_t hist_before = st->hist_len;
		struct policy_decision d;
		struct st_switch *sw;
		char where[256];
		int r;

		if (i > 0 && s->t == 0 && s->ev == TICK && s->sw == NULL && s->expect_side == NULL)
			break; /* the end of the list */
		snprintf(where, sizeof(where), "%s, step %zu (t=%llds)", sc->name, i, (long long)s->t);
		txn = state_txn_new(now);
		r = run_event(st, txn, s, now);
		assert_true(policy_run(st, txn, now) >= 0);
		if (s->has_ret && r != s->ret)
			fail_msg("%s: event returned %d, expected %d", where, r, s->ret);
		sw = state_lookup(st, swname);
		if (sw == NULL)
			fail_msg("%s: no switch %s", where, swname);
		policy_evaluate(st, sw, now, &d);
		if (s->expect_side && strcmp(side_name(sw->side), s->expect_side) != 0)
			fail_msg("%s: %s serves %s, expected %s", where, sw->name, side_name(sw->side), s->expect_side);
		if (s->cause && d.cause != (enum st_cause)(s->cause - 1))
			fail_msg("%s: cause %s, expected %s", where, state_cause_name(d.cause),
			         state_cause_name((enum st_cause)(s->cause - 1)));
		if (s->flip_cause && sw->cause != (enum st_cause)(s->flip_cause - 1))
			fail_msg("%s: last flip's cause %s, expected %s", where, state_cause_name(sw->cause),
			         state_cause_name((enum st_cause)(s->flip_cause - 1)));
		if (s->brake && st->brake.engaged != (s->brake == ON))
			fail_msg("%s: brake %s", where, st->brake.engaged ? "engaged" : "clear");
		if (s->held && sw->held != (s->held == ON))
			fail_msg("%s: held %d", where, sw->held);
		if (s->armed && state_armed(sw, now) != (s->armed == ON))
			fail_msg("%s: armed %d", where, state_armed(sw, now));
		if (s->hist_same && st->hist_len != hist_before)
			fail_msg("%s: %zu history records added", where, st->hist_len - hist_before);
		if (s->has_flips && flips_total(st) != (uint64_t)s->flips)
			fail_msg("%s: %llu flips, expected %d", where, (unsigned long long)flips_total(st), s->flips);
		if (s->has_dl) {
			int64_t dl = policy_next_deadline(st, now), want = s->dl < 0 ? POLICY_NEVER : T0 + s->dl * 1000;
			if (dl != want)
				fail_msg("%s: next deadline %lld, expected %lld", where,
				         dl == POLICY_NEVER ? -1LL : (long long)(dl - T0) / 1000,
				         want == POLICY_NEVER ? -1LL : (long long)(want - T0) / 1000);
		}
		/* A step that changed nothing must not need a journal record. */
		if (s->hist_same && s->has_ret && s->ret == 0 && !state_txn_empty(txn))
			fail_msg("%s: a no-op produced a journal record", where);
		replay_into(re, txn);
		assert_same_state(st, re, where);
		json_decref(txn);
	}
	state_free(st);
	state_free(re);
}

/* The switch JSON the admin socket shows: derived fields present and right. */
static void test_show_json(void **unused)
{
	struct cfg_switch sw = { .name = "www.example.com.", .p = { .ttl = 30, .ttl_armed = 5, .failback_hold = 300 * 1000 } };
	struct config cfg = { .switches = &sw, .n_switches = 1 };
	struct state *st = state_new(0);
	json_t *o, *rows;

	(void)unused;
	cfg.defaults.signal_ttl = 3600 * 1000;
	cfg.brake = (struct cfg_brake){ 0.2, 600 * 1000, 2 };
	assert_int_equal(state_sync(st, NULL, &cfg, T0), 1);
	assert_int_equal(state_signal(st, NULL, "WWW.example.com", "grafana", "x", ST_SIG_DOWN, SIDE_CDN, "5xx", T0),
	                 ST_CHANGED);
	assert_int_equal(state_signal(st, NULL, "www.example.com.", "grafana", "w", ST_SIG_WARN, SIDE_CDN, "slow", T0),
	                 ST_CHANGED);
	assert_int_equal(policy_run(st, NULL, T0), 1);
	o = state_switch_to_json(st, state_lookup(st, "www.example.com"), T0 + 1000);
	assert_string_equal(json_string_value(json_object_get(o, "side")), "origin");
	assert_string_equal(json_string_value(json_object_get(o, "cause")), "signal");
	assert_true(json_is_true(json_object_get(o, "armed")));
	assert_int_equal(json_integer_value(json_object_get(o, "ttl")), 5);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "down"), 0)), "cdn");
	assert_int_equal(json_array_size(json_object_get(o, "signals")), 1);
	json_decref(o);

	rows = state_list_to_json(st, "*.example.com", SIDE_ORIGIN, 0, T0);
	assert_int_equal(json_array_size(rows), 1);
	json_decref(rows);
	rows = state_list_to_json(st, NULL, SIDE_CDN, 0, T0);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);

	o = state_status_to_json(st, T0);
	assert_int_equal(json_integer_value(json_object_get(o, "on_origin")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "signals_active")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "brake"), "limit")), 2);
	json_decref(o);

	/* history: added, down, warn, flip; the flip last, with its cause. */
	rows = state_history_to_json(st, "www.example.com", 0);
	assert_int_equal(json_array_size(rows), 4);
	o = json_array_get(rows, 3);
	assert_string_equal(json_string_value(json_object_get(o, "event")), "flip");
	assert_string_equal(json_string_value(json_object_get(o, "to")), "origin");
	assert_string_equal(json_string_value(json_object_get(o, "detail")), "cdn down: grafana/x: 5xx");
	json_decref(rows);
	rows = state_history_to_json(st, "other.example.com", 0);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	rows = state_history_to_json(st, NULL, T0 + 1);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	state_free(st);
}

/* A switch dropped from the config goes with a history record; a bounded ring. */
static void test_sync_and_history_ring(void **unused)
{
	struct cfg_switch sws[2] = { { .name = "a.example.com." }, { .name = "b.example.com." } };
	struct config cfg = { .switches = sws, .n_switches = 2 };
	struct state *st = state_new(3);
	json_t *rows;

	(void)unused;
	assert_int_equal(state_sync(st, NULL, &cfg, T0), 2);
	cfg.n_switches = 1;
	assert_int_equal(state_sync(st, NULL, &cfg, T0 + 1), 1);
	assert_null(state_lookup(st, "b.example.com"));
	assert_non_null(state_lookup(st, "A.EXAMPLE.COM"));
	rows = state_history_to_json(st, "b.example.com", 0);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "event")), "removed");
	json_decref(rows);
	/* Ring of 3: added a, added b, removed b, then a pin pushes out the first. */
	assert_int_equal(state_pin(st, NULL, "a.example.com", SIDE_ORIGIN, "r", "me", 0, T0 + 2), 1);
	rows = state_history_to_json(st, NULL, 0);
	assert_int_equal(json_array_size(rows), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "switch")), "b.example.com.");
	json_decref(rows);
	state_free(st);
}

/* Signals by (source, id): many added and removed in mixed order stay
 * findable (the index follows swap-removal), the bounds refuse and count
 * new signals only, and a replay of the journal rebuilds the same set. */
static void test_signal_index_and_bounds(void **unused)
{
	struct cfg_switch sws[2] = { { .name = "a.example.com." }, { .name = "b.example.com." } };
	struct config cfg = { .switches = sws, .n_switches = 2 };
	struct state *st = state_new(0), *re = state_new(0);
	json_t *txn = state_txn_new(T0);
	char id[32];
	int r;

	(void)unused;
	cfg.signals.max_per_switch = 600;
	cfg.signals.max_total = 1000;
	cfg.defaults.signal_ttl = 3600;
	state_sync(st, txn, &cfg, T0);
	for (int i = 0; i < 700; i++) {
		snprintf(id, sizeof(id), "fp%d", i);
		r = state_signal(st, txn, "a.example.com", "alertmanager", id, ST_SIG_DOWN, SIDE_CDN, "x", T0 + 1);
		assert_true(r > 0);
		assert_int_equal(!!(r & ST_REFUSED), i >= 600); /* max_per_switch */
	}
	assert_int_equal(state_lookup(st, "a.example.com")->n_sig, 600);
	assert_int_equal(st->sig_refused, 100);
	/* A repeat of a held signal is not new: never refused. */
	r = state_signal(st, txn, "a.example.com", "alertmanager", "fp5", ST_SIG_DOWN, SIDE_CDN, "y", T0 + 2);
	assert_int_equal(r, ST_REFRESHED);
	/* Remove every third; then each is found (and removed) or not, as it should. */
	for (int i = 0; i < 600; i += 3) {
		snprintf(id, sizeof(id), "fp%d", i);
		r = state_signal(st, txn, "a.example.com", "alertmanager", id, ST_SIG_UP, SIDE_CDN, NULL, T0 + 3);
		assert_int_equal(r, ST_CHANGED);
	}
	assert_int_equal(state_lookup(st, "a.example.com")->n_sig, 400);
	for (int i = 0; i < 700; i++) {
		snprintf(id, sizeof(id), "fp%d", i);
		r = state_signal(st, NULL, "a.example.com", "alertmanager", id, ST_SIG_UP, SIDE_CDN, NULL, T0 + 4);
		/* NULL txn: applied to st only (not to the replayed transaction). */
		assert_int_equal(r, i < 600 && i % 3 != 0 ? ST_CHANGED : 0);
	}
	/* max_total: 1000 over both switches, warnings included. */
	for (int i = 0; i < 1100; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		state_signal(st, txn, "*", "grafana", id, ST_SIG_WARN, SIDE_CDN, "w", T0 + 5);
	}
	assert_true(st->n_signals <= 1000);
	assert_int_equal(st->n_signals, 1000);
	/* The journal's promise: the same transaction replayed gives the same set. */
	char *text = json_dumps(txn, JSON_COMPACT);
	json_t *back = json_loads(text, 0, NULL);
	assert_int_equal(state_apply(re, back), 0);
	assert_int_equal(state_lookup(re, "a.example.com")->n_warn, state_lookup(st, "a.example.com")->n_warn);
	assert_int_equal(state_lookup(re, "b.example.com")->n_warn, state_lookup(st, "b.example.com")->n_warn);
	free(text);
	json_decref(back);
	json_decref(txn);
	state_free(st);
	state_free(re);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(scenarios) / sizeof(scenarios[0]) + 3];
	size_t n = 0;
	log_set_level(LOG_LVL_ERR); /* flips are logged at NOTICE: too many here */
	for (; n < sizeof(scenarios) / sizeof(scenarios[0]); n++)
		tests[n] = (struct CMUnitTest){ scenarios[n].name, run_scenario, NULL, NULL, (void *)&scenarios[n] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_show_json);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sync_and_history_ring);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_signal_index_and_bounds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
