/* SPDX-License-Identifier: BSD-3-Clause */
/* switching.c -- see switching.h. */
#include "switch/switching.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "lib/err.h"
#include "lib/journal.h"
#include "lib/log.h"
#include "switch/policy.h"
#include "switch/signal.h"
#include "switch/state.h"
#include "zone/view.h"

/* Never sleep longer than this: a clock step is noticed within a minute. */
#define TIMER_MAX_MS 60000
/* While the journal refuses writes, try again this often: what expired
 * meanwhile (a pin, a signal) takes effect as soon as it works again. */
#define RETRY_MS 1000
struct switching {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct state *st;
	struct journal *j;
	char *state_dir;
	const struct config *cfg; /* the config in force: settings to sync after recovery */
	uint64_t journal_failures;
	int failing; /* the last commit was refused: retry every RETRY_MS */
	uint64_t flips_committed; /* flips journalled and served */
	int in_timer;             /* the change being committed is the timer's */
	int64_t retry_logged;     /* when a refused timer retry was last logged */
	/* Told about every flip once it is served (the propagation tracker). */
	switching_flip_fn on_flip;
	void *flip_arg;
	int published; /* the first publish after recovery is not a flip */
};

int64_t switching_now(void)
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
		return err_set(err, errlen, rc, "%s: cannot recover the switch state: %s", s->state_dir, journal_strerror(rc));
	state_counters_reset(s->st);
	log_notice("state recovered from %s: snapshot %s, %llu records%s", s->state_dir, info.snapshot ? "yes" : "no",
	           (unsigned long long)info.records, info.dropped_bytes ? ", a torn tail cut" : "");
	return 0;
}

static void arm_timer(struct switching *s, int64_t now);

static const char *op_str(const json_t *op, const char *key)
{
	const char *v = json_string_value(json_object_get(op, key));
	return v ? v : "";
}

/* The flips and the brake of TXN, in the log once the journal has taken
 * them (DONE) or refused them: a refused flip is never logged as made. */
static void log_txn(const json_t *txn, int done, uint64_t *flips)
{
	const json_t *op;
	size_t i;

	json_array_foreach(json_object_get(txn, "ops"), i, op) {
		const char *kind = op_str(op, "op");
		if (strcmp(kind, "flip") == 0 && done)
			(*flips)++;
		if (strcmp(kind, "flip") == 0 && done)
			log_notice("switch %s: %s -> %s (%s: %s)", op_str(op, "sw"), op_str(op, "from"), op_str(op, "to"),
			           op_str(op, "cause"), op_str(op, "detail"));
		else if (strcmp(kind, "flip") == 0)
			log_error("switch %s: flip %s -> %s (%s) refused: the journal could not record it; still %s",
			          op_str(op, "sw"), op_str(op, "from"), op_str(op, "to"), op_str(op, "cause"),
			          op_str(op, "from"));
		else if (strcmp(kind, "brake") == 0 && json_is_true(json_object_get(op, "on")))
			log_error("safety brake %s: %s; automated flips stop until an operator clears it",
			          done ? "engaged" : "not engaged (the journal refused it)", op_str(op, "reason"));
	}
}

/* Durable, then served: journal TXN (fsync) and publish, or on a journal
 * failure throw the in-memory changes away by recovering again. */
static int commit(struct switching *s, json_t *txn, int64_t now)
{
	int rc = 0;
	if (!state_txn_empty(txn)) {
		log_debug("journal: appending a transaction of %zu ops", json_array_size(json_object_get(txn, "ops")));
		/* The timer retries every RETRY_MS while the journal fails: say so
		 * once, then at most every TIMER_MAX_MS. */
		int loud;
		rc = journal_append(s->j, txn);
		loud = rc == 0 || !s->in_timer || !s->failing || now - s->retry_logged >= TIMER_MAX_MS;
		if (rc < 0 && s->in_timer && loud)
			s->retry_logged = now;
		if (loud)
			log_txn(txn, rc == 0, &s->flips_committed);
		if (rc < 0) {
			char err[512];
			s->journal_failures++;
			s->failing = 1;
			if (loud)
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
		} else if (s->failing) {
			s->failing = 0;
			log_notice("the journal takes changes again");
		}
	}
	if (s->st != NULL)
		publish(s, now);
	arm_timer(s, now);
	return rc;
}

int switching_change(struct switching *s, switching_change_fn fn, void *arg, int64_t now)
{
	json_t *txn;
	int rc = 0, res;

	if (s->st == NULL)
		return -EIO;
	txn = state_txn_new(now);
	if (txn == NULL)
		return -ENOMEM;
	res = fn != NULL ? fn(s->st, txn, arg, now) : 0;
	/* Even when FN failed: what expired before it is in TXN and applied. */
	rc = policy_run(s->st, txn, now);
	if (rc >= 0)
		rc = commit(s, txn, now);
	json_decref(txn);
	if (rc < 0)
		return rc;
	return res;
}

static int sync_fn(struct state *st, json_t *txn, void *arg, int64_t now)
{
	return state_sync(st, txn, arg, now);
}

static int sync_and_run(struct switching *s, const struct config *cfg, int64_t now)
{
	s->cfg = cfg;
	return switching_change(s, sync_fn, (void *)cfg, now);
}

static void on_timer(uv_timer_t *t)
{
	struct switching *s = t->data;
	char err[512];

	/* The state could not even be rebuilt after a failure: try again. */
	if (s->st == NULL) {
		if (recover(s, err, sizeof(err)) < 0) {
			journal_close(s->j);
			s->j = NULL;
			state_free(s->st);
			s->st = NULL;
			uv_timer_start(&s->timer, on_timer, RETRY_MS, 0);
			return;
		}
		sync_and_run(s, s->cfg, switching_now());
		return;
	}
	s->in_timer = 1;
	switching_change(s, NULL, NULL, switching_now());
	s->in_timer = 0;
}

static void arm_timer(struct switching *s, int64_t now)
{
	int64_t next, delay;
	if (s->st == NULL) {
		uv_timer_start(&s->timer, on_timer, RETRY_MS, 0);
		return;
	}
	next = policy_next_deadline(s->st, now);
	delay = next == POLICY_NEVER ? TIMER_MAX_MS : next - now;
	if (delay < 0)
		delay = 0;
	if (delay > TIMER_MAX_MS)
		delay = TIMER_MAX_MS;
	if (s->failing && delay > RETRY_MS)
		delay = RETRY_MS;
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
	if ((rc = recover(s, err, errlen)) < 0 || (rc = sync_and_run(s, cfg, switching_now())) < 0) {
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
	return sync_and_run(s, cfg, switching_now());
}

static const char *source_name(enum webhook_source src)
{
	return src == SRC_ALERTMANAGER ? "alertmanager" : (src == SRC_GRAFANA ? "grafana" : "signal");
}

struct signals {
	const struct signal_event *ev;
	size_t n;
};

static int signals_fn(struct state *st, json_t *txn, void *arg, int64_t now)
{
	static const enum st_sig_kind kinds[] = { ST_SIG_DOWN, ST_SIG_UP, ST_SIG_WARN, ST_SIG_WARN_CLEAR };
	const struct signals *a = arg;
	uint64_t refused = st->sig_refused;
	int rc = 0;

	for (size_t i = 0; i < a->n && rc >= 0; i++) {
		rc = state_signal(st, txn, a->ev[i].target, source_name(a->ev[i].source), a->ev[i].id,
		                  kinds[a->ev[i].kind], a->ev[i].side, a->ev[i].reason, now);
		if (rc == -ENOENT) /* the target went away (a reload) since the check */
			rc = 0;
	}
	if (st->sig_refused != refused)
		log_warning("%llu new signals refused: signals.max_per_switch (%u) or signals.max_total (%u) reached",
		            (unsigned long long)(st->sig_refused - refused), st->max_sig_switch, st->max_sig_total);
	return rc < 0 ? rc : 0;
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
	struct signals a = { ev, n };
	size_t flips_before;
	int rc;

	if (s->st == NULL) {
		snprintf(err, errlen, "the switch state is unavailable (journal failure)");
		return -EIO;
	}
	flips_before = s->flips_committed;
	rc = switching_change(s, signals_fn, &a, switching_now());
	if (rc < 0)
		snprintf(err, errlen, "%s", rc == -EIO ? "journal failure: nothing changed" : strerror(-rc));
	return rc < 0 ? rc : (int)(s->flips_committed - flips_before);
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

struct state *switching_state(struct switching *s)
{
	return s->st;
}

json_t *switching_status(struct switching *s)
{
	if (s->st == NULL)
		return json_pack("{s:s}", "state", "unavailable: journal failure");
	return state_status_to_json(s->st, switching_now());
}

void switching_metrics(struct switching *s, FILE *f)
{
	int64_t now = switching_now();
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
