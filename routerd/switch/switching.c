/* SPDX-License-Identifier: BSD-3-Clause */
/* switching.c -- see switching.h. */
#include "switch/switching.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "admin/ctl.h"
#include "lib/err.h"
#include "lib/journal.h"
#include "lib/log.h"
#include "switch/policy.h"
#include "switch/state.h"
#include "zone/view.h"
#include "admin/webhook.h"

/* Never sleep longer than this: a clock step is noticed within a minute. */
#define TIMER_MAX_MS 60000
struct switching {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct state *st;
	struct journal *j;
	char *state_dir;
	const struct config *cfg; /* the config in force: settings to sync after recovery */
	uint64_t journal_failures;
	/* Told about every flip once it is served (the propagation tracker). */
	switching_flip_fn on_flip;
	void *flip_arg;
	int published; /* the first publish after recovery is not a flip */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Make what the state says the workers' truth: side and armed TTL per switch. */
static void publish(struct switching *s, int64_t now)
{
	struct view *v = (struct view *)view_current();
	if (v == NULL)
		return;
	for (size_t i = 0; i < s->st->n; i++) {
		const struct st_switch *sw = s->st->sw[i];
		/* The view's name index: one probe, whatever order a reload left. */
		long idx = view_switch_find(v, sw->name);
		unsigned sel, old;
		if (idx < 0)
			continue;
		sel = view_sel(sw->side, state_armed(sw, now));
		old = view_switch_get(v, (size_t)idx);
		/* Told before the workers serve the new side, so that the tracker
		 * knows of the flip before it sees a single answer from that side:
		 * told after, it could file the first re-fetches as before it. */
		if (s->published && s->on_flip != NULL && view_sel_side(old) != sw->side)
			s->on_flip(s->flip_arg, (uint32_t)idx, view_sel_side(old), sw->side,
			           (old & VIEW_SEL_ARMED) ? sw->p.ttl_armed : sw->p.ttl);
		if (old != sel)
			log_debug("switch %s: serving %s%s", sw->name, side_name(sw->side),
			          (sel & VIEW_SEL_ARMED) ? " (armed: low TTL)" : "");
		view_switch_set(v, (size_t)idx, sel);
	}
	s->published = 1;
}

static int recover(struct switching *s, char *err, size_t errlen)
{
	struct journal_opts opts = { 0, 0, state_snapshot_cb, NULL };
	struct journal_info info;
	int rc;

	s->st = state_new(0);
	if (s->st == NULL)
		return err_set(err, errlen, -ENOMEM, "out of memory");
	opts.arg = s->st;
	rc = journal_open(&s->j, s->state_dir, &opts, state_replay_cb, s->st, &info);
	if (rc < 0)
		return err_set(err, errlen, rc, "%s: cannot recover the switch state: %s", s->state_dir, strerror(-rc));
	state_counters_reset(s->st);
	log_notice("state recovered from %s: snapshot %s, %llu records%s", s->state_dir, info.snapshot ? "yes" : "no",
	           (unsigned long long)info.records, info.dropped_bytes ? ", a torn tail cut" : "");
	return 0;
}

static void arm_timer(struct switching *s, int64_t now);

/* Durable, then served: journal TXN (fsync) and publish, or on a journal
 * failure throw the in-memory changes away by recovering again. */
static int commit(struct switching *s, json_t *txn, int64_t now)
{
	int rc = 0;
	if (!state_txn_empty(txn)) {
		log_debug("journal: appending a transaction of %zu ops", json_array_size(json_object_get(txn, "ops")));
		rc = journal_append(s->j, txn);
		if (rc < 0) {
			char err[512];
			s->journal_failures++;
			log_errno(LOG_LVL_ERR, -rc, "journal append failed, the change is refused");
			journal_close(s->j);
			s->j = NULL;
			state_free(s->st);
			s->st = NULL;
			if (recover(s, err, sizeof(err)) < 0) {
				log_error("%s", err);
			} else {
				/* Settings come from the config, not the journal. */
				json_t *sync = state_txn_new(now);
				state_sync(s->st, sync, s->cfg, now);
				if (!state_txn_empty(sync) && journal_append(s->j, sync) < 0)
					log_error("journal append failed again: switch changes are refused until it works");
				json_decref(sync);
			}
			rc = -EIO;
		}
	}
	if (s->st != NULL)
		publish(s, now);
	arm_timer(s, now);
	return rc;
}

static int sync_and_run(struct switching *s, const struct config *cfg, int64_t now)
{
	json_t *txn = state_txn_new(now);
	s->cfg = cfg;
	int rc = state_sync(s->st, txn, cfg, now);
	if (rc >= 0)
		rc = policy_run(s->st, txn, now);
	if (rc >= 0)
		rc = commit(s, txn, now);
	json_decref(txn);
	return rc;
}

static void on_timer(uv_timer_t *t)
{
	struct switching *s = t->data;
	int64_t now = now_ms();
	json_t *txn;

	if (s->st == NULL)
		return;
	txn = state_txn_new(now);
	if (policy_run(s->st, txn, now) >= 0)
		commit(s, txn, now);
	json_decref(txn);
}

static void arm_timer(struct switching *s, int64_t now)
{
	int64_t next, delay;
	if (s->st == NULL)
		return;
	next = policy_next_deadline(s->st, now);
	delay = next == POLICY_NEVER ? TIMER_MAX_MS : next - now;
	if (delay < 0)
		delay = 0;
	if (delay > TIMER_MAX_MS)
		delay = TIMER_MAX_MS;
	uv_timer_start(&s->timer, on_timer, (uint64_t)delay, 0);
}

int switching_open(struct switching **out, uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen)
{
	struct switching *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL || (s->state_dir = strdup(cfg->state_dir)) == NULL) {
		free(s);
		return err_set(err, errlen, -ENOMEM, "out of memory");
	}
	s->loop = loop;
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	if ((rc = recover(s, err, errlen)) < 0 || (rc = sync_and_run(s, cfg, now_ms())) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: cannot write the journal", cfg->state_dir);
		switching_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct switching *s = h->data;
	free(s->state_dir);
	free(s);
}

void switching_close(struct switching *s)
{
	if (s == NULL)
		return;
	journal_close(s->j);
	state_free(s->st);
	uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

int switching_reload(struct switching *s, const struct config *cfg)
{
	if (s->st == NULL)
		return -EIO;
	return sync_and_run(s, cfg, now_ms());
}

static const char *source_name(enum webhook_source src)
{
	return src == SRC_ALERTMANAGER ? "alertmanager" : (src == SRC_GRAFANA ? "grafana" : "signal");
}

int switching_signals_check(struct switching *s, const struct signal_event *ev, size_t n, size_t *ops, char *err,
                            size_t errlen)
{
	size_t total = 0;

	if (s->st == NULL) {
		snprintf(err, errlen, "the switch state is unavailable (journal failure)");
		return -EIO;
	}
	for (size_t i = 0; i < n; i++) {
		struct st_switch **m = NULL;
		size_t k = state_match(s->st, ev[i].target, &m);
		free(m);
		if (k == 0) {
			snprintf(err, errlen, "no switch named %s", ev[i].target);
			return -ENOENT;
		}
		total += k;
	}
	if (ops != NULL)
		*ops = total;
	return 0;
}

int switching_signals_apply(struct switching *s, const struct signal_event *ev, size_t n, char *err, size_t errlen)
{
	int64_t now = now_ms();
	json_t *txn;
	int rc = 0;

	if (s->st == NULL) {
		snprintf(err, errlen, "the switch state is unavailable (journal failure)");
		return -EIO;
	}
	txn = state_txn_new(now);
	uint64_t refused = s->st->sig_refused;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		static const enum st_sig_kind kinds[] = { ST_SIG_DOWN, ST_SIG_UP, ST_SIG_WARN, ST_SIG_WARN_CLEAR };
		rc = state_signal(s->st, txn, ev[i].target, source_name(ev[i].source), ev[i].id, kinds[ev[i].kind],
		                  ev[i].side, ev[i].reason, now);
		if (rc == -ENOENT) /* the target went away (a reload) since the check */
			rc = 0;
	}
	if (s->st->sig_refused != refused)
		log_warning("%llu new signals refused: signals.max_per_switch (%u) or signals.max_total (%u) reached",
		            (unsigned long long)(s->st->sig_refused - refused), s->st->max_sig_switch,
		            s->st->max_sig_total);
	if (rc >= 0)
		rc = policy_run(s->st, txn, now);
	if (rc >= 0) {
		int flips = rc;
		rc = commit(s, txn, now);
		if (rc == 0)
			rc = flips;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", rc == -EIO ? "journal failure: nothing changed" : strerror(-rc));
	json_decref(txn);
	return rc;
}

int switching_signals(struct switching *s, const struct signal_event *ev, size_t n, char *err, size_t errlen)
{
	/* Check every target before changing anything: all or nothing. */
	int rc = switching_signals_check(s, ev, n, NULL, err, errlen);
	return rc < 0 ? rc : switching_signals_apply(s, ev, n, err, errlen);
}

const char *switching_name(struct switching *s, const char *name)
{
	const struct st_switch *found = s->st ? state_lookup(s->st, name) : NULL;
	return found ? found->name : NULL;
}

void switching_on_flip(struct switching *s, switching_flip_fn fn, void *arg)
{
	s->on_flip = fn;
	s->flip_arg = arg;
}

/* ---- routerctl ------------------------------------------------------------------ */

static const char *req_str(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *req_arg(json_t *req, size_t i)
{
	json_t *v = json_array_get(json_object_get(req, "args"), i);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void actor_of(uid_t uid, char *out, size_t cap)
{
	struct passwd *pw = uid == (uid_t)-1 ? NULL : getpwuid(uid);
	if (pw != NULL)
		snprintf(out, cap, "%s (uid %u)", pw->pw_name, (unsigned)uid);
	else
		snprintf(out, cap, "uid %d", (int)uid);
}

/* "--until": seconds since the epoch, or an ISO 8601 UTC time. */
static int parse_until(const char *text, int64_t *ms)
{
	struct tm tm = { 0 };
	char *end;
	long long secs = strtoll(text, &end, 10);
	if (*text && *end == '\0') {
		*ms = secs * 1000;
		return 0;
	}
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return -1;
	*ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

static json_t *cmd_pin(struct switching *s, json_t *req, const char *actor, int64_t now)
{
	const char *target = req_arg(req, 0), *side_text = req_arg(req, 1), *reason = req_str(req, "reason");
	const char *dur = req_str(req, "for"), *until = req_str(req, "until");
	enum side side;
	int64_t expires = 0;
	uint32_t secs;
	json_t *txn, *reply;
	int rc;

	if (target == NULL || side_text == NULL || side_parse(side_text, &side) < 0)
		return ctl_fail("usage: pin SWITCH|GLOB cdn|origin --reason TEXT [--for 2h | --until TIME]");
	if (reason == NULL || reason[0] == '\0')
		return ctl_fail("a pin needs --reason: say why, for whoever reads the history");
	if (dur && until)
		return ctl_fail("--for and --until: one or the other");
	if (dur != NULL) {
		if (config_parse_duration(dur, &secs) < 0 || secs == 0)
			return ctl_fail("--for: bad duration \"%s\" (like 30m, 2h, 1d)", dur);
		expires = now + (int64_t)secs * 1000;
	}
	if (until != NULL && (parse_until(until, &expires) < 0 || expires <= now))
		return ctl_fail("--until: \"%s\" is not a future time (2026-11-24T18:00:00Z or epoch seconds)", until);
	txn = state_txn_new(now);
	rc = state_pin(s->st, txn, target, side, reason, actor, expires, now);
	if (rc >= 0) {
		int pinned = rc;
		rc = policy_run(s->st, txn, now);
		if (rc >= 0)
			rc = commit(s, txn, now);
		if (rc >= 0)
			rc = pinned;
	}
	json_decref(txn);
	if (rc == -ENOENT)
		return ctl_fail("no switch matches %s", target);
	if (rc < 0)
		return ctl_fail("pin failed: %s", rc == -EIO ? "journal failure, nothing changed" : strerror(-rc));
	reply = state_list_to_json(s->st, target, -1, 0, now);
	return ctl_ok(reply);
}

static json_t *cmd_unpin(struct switching *s, json_t *req, const char *actor, int64_t now)
{
	const char *target = req_arg(req, 0);
	json_t *txn;
	int rc;

	if (target == NULL)
		return ctl_fail("usage: unpin SWITCH|GLOB");
	txn = state_txn_new(now);
	rc = state_unpin(s->st, txn, target, actor, now);
	if (rc >= 0) {
		int n = rc;
		rc = policy_run(s->st, txn, now);
		if (rc >= 0)
			rc = commit(s, txn, now);
		if (rc >= 0)
			rc = n;
	}
	json_decref(txn);
	if (rc == -ENOENT)
		return ctl_fail("no switch matches %s", target);
	if (rc < 0)
		return ctl_fail("unpin failed: %s", rc == -EIO ? "journal failure, nothing changed" : strerror(-rc));
	if (rc == 0)
		return ctl_fail("%s: no pin to remove", target);
	return ctl_ok(state_list_to_json(s->st, target, -1, 0, now));
}

static json_t *cmd_brake(struct switching *s, json_t *req, const char *actor, int64_t now)
{
	const char *what = req_arg(req, 0);
	json_t *txn;
	int rc;

	if (what == NULL)
		return ctl_ok(json_object_get(state_status_to_json(s->st, now), "brake"));
	if (strcmp(what, "clear") != 0)
		return ctl_fail("usage: brake [clear]");
	txn = state_txn_new(now);
	rc = state_brake_set(s->st, txn, 0, "cleared by an operator", actor, now);
	if (rc >= 0)
		rc = policy_run(s->st, txn, now);
	if (rc >= 0)
		rc = commit(s, txn, now);
	json_decref(txn);
	if (rc < 0)
		return ctl_fail("brake clear failed: %s", strerror(-rc));
	return ctl_ok(state_status_to_json(s->st, now));
}

json_t *switching_ctl(struct switching *s, const char *cmd, json_t *req, uid_t uid)
{
	int64_t now = now_ms();
	char actor[128];
	const char *target = req_arg(req, 0);

	if (s->st == NULL)
		return ctl_fail("the switch state is unavailable (journal failure); see the log");
	actor_of(uid, actor, sizeof(actor));
	if (strcmp(cmd, "list") == 0) {
		const char *state = req_str(req, "state");
		enum side side;
		if (state != NULL && side_parse(state, &side) < 0)
			return ctl_fail("--state takes cdn or origin, not \"%s\"", state);
		return ctl_ok(state_list_to_json(s->st, target, state ? (int)side : -1,
		                                 json_is_true(json_object_get(req, "pinned")), now));
	}
	if (strcmp(cmd, "show") == 0 || strcmp(cmd, "health") == 0) {
		const struct st_switch *sw = target ? state_lookup(s->st, target) : NULL;
		if (target == NULL && strcmp(cmd, "health") == 0)
			return ctl_ok(state_list_to_json(s->st, NULL, -1, 0, now));
		if (sw == NULL)
			return ctl_fail(target ? "no switch named %s" : "usage: %s SWITCH", target ? target : cmd);
		return ctl_ok(state_switch_to_json(s->st, sw, now));
	}
	if (strcmp(cmd, "history") == 0) {
		const char *since = req_str(req, "since");
		uint32_t secs = 0;
		if (since != NULL && config_parse_duration(since, &secs) < 0)
			return ctl_fail("--since: bad duration \"%s\" (like 30m, 24h)", since);
		return ctl_ok(state_history_to_json(s->st, target, since ? now - (int64_t)secs * 1000 : 0));
	}
	if (strcmp(cmd, "pin") == 0)
		return cmd_pin(s, req, actor, now);
	if (strcmp(cmd, "unpin") == 0)
		return cmd_unpin(s, req, actor, now);
	if (strcmp(cmd, "brake") == 0)
		return cmd_brake(s, req, actor, now);
	return NULL;
}

json_t *switching_status(struct switching *s)
{
	if (s->st == NULL)
		return json_pack("{s:s}", "state", "unavailable: journal failure");
	return state_status_to_json(s->st, now_ms());
}

void switching_metrics(struct switching *s, FILE *f)
{
	int64_t now = now_ms();
	size_t active = 0;

	if (s->st == NULL)
		return;
	fprintf(f, "# HELP routerd_flips_total Switch flips by this process, by side and cause.\n"
	           "# TYPE routerd_flips_total counter\n");
	for (int side = 0; side < 2; side++)
		for (int c = 0; c < ST_CAUSE__COUNT; c++)
			fprintf(f, "routerd_flips_total{to=\"%s\",cause=\"%s\"} %llu\n", side_name((enum side)side),
			        state_cause_name((enum st_cause)c), (unsigned long long)s->st->flips_total[side][c]);
	fprintf(f, "# HELP routerd_switch_last_flip_timestamp_seconds When each switch last flipped (0: never).\n"
	           "# TYPE routerd_switch_last_flip_timestamp_seconds gauge\n");
	for (size_t i = 0; i < s->st->n; i++) {
		const struct st_switch *sw = s->st->sw[i];
		fprintf(f, "routerd_switch_last_flip_timestamp_seconds{switch=\"%s\"} %.3f\n", sw->name,
		        (double)sw->last_flip / 1000.0);
		for (size_t k = 0; k < sw->n_sig; k++)
			active += sw->sig[k].expires > now;
	}
	fprintf(f, "# HELP routerd_signals_active Unexpired down-signals.\n# TYPE routerd_signals_active gauge\n"
	           "routerd_signals_active %zu\n",
	        active);
	fprintf(f, "# HELP routerd_signals_refused_total New signals refused: signals.max_per_switch or max_total reached.\n"
	           "# TYPE routerd_signals_refused_total counter\nrouterd_signals_refused_total %llu\n",
	        (unsigned long long)s->st->sig_refused);
	fprintf(f, "# HELP routerd_brake_engaged 1 while the safety brake holds automated flips.\n"
	           "# TYPE routerd_brake_engaged gauge\nrouterd_brake_engaged %d\n",
	        s->st->brake.engaged);
	fprintf(f, "# HELP routerd_journal_failures_total Journal writes that failed (changes refused).\n"
	           "# TYPE routerd_journal_failures_total counter\nrouterd_journal_failures_total %llu\n",
	        (unsigned long long)s->journal_failures);
}
