/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * commands.c -- the routerctl commands: one table (name, handler, whether
 * it changes state) and the handlers. A command that changes state makes
 * its change through switching_change (journal, policy, publish) and
 * replies only after that; its outcome is logged with the caller.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/control_int.h"
#include "admin/ctl.h"
#include "config.h"
#include "dns/answer.h"
#include "dns/worker.h"
#include "fleet/dnstap.h"
#include "fleet/fleet.h"
#include "lib/log.h"
#include "switch/state.h"
#include "switch/switching.h"
#include "track/prop.h"
#include "zone/view.h"

/* Who asked, and when. */
struct caller {
	uid_t uid;
	char actor[128]; /* "name (uid N)" for history */
	int64_t now;     /* ms, switching_now() */
};

typedef json_t *(*command_fn)(struct control *c, json_t *req, const struct caller *who);

#define CMD_STATE 1   /* reads the switch state: refused while it is unavailable */
#define CMD_CHANGES 2 /* changes state: logged with its caller and outcome */

struct command {
	const char *name;
	const char *sub; /* a first argument that makes it another command ("brake clear") */
	command_fn fn;
	unsigned flags;
};

static struct config *cfg_of(struct control *c)
{
	return *c->host.cfg;
}

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

/* Pins end before the year 10000: later is a typo, and in milliseconds
 * still far inside int64_t. */
#define UNTIL_MAX_S 253402300799LL /* 9999-12-31T23:59:59Z */

/* "--until": seconds since the epoch, or an ISO 8601 UTC time. 0, or
 * -ERANGE for a time past UNTIL_MAX_S, or -EINVAL. */
static int parse_until(const char *text, int64_t *ms)
{
	struct tm tm = { 0 };
	char *end;
	long long secs;

	errno = 0;
	secs = strtoll(text, &end, 10);
	if (*text && *end == '\0') {
		if (secs < 0 && errno != ERANGE)
			return -EINVAL; /* the past */
		if (errno == ERANGE || secs > UNTIL_MAX_S)
			return -ERANGE;
		*ms = (int64_t)secs * 1000;
		return 0;
	}
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return -EINVAL;
	secs = (long long)timegm(&tm);
	if (secs > UNTIL_MAX_S || secs < 0)
		return -ERANGE;
	*ms = (int64_t)secs * 1000;
	return 0;
}

/* ---- reading ---- */

static json_t *cmd_status(struct control *c, json_t *req, const struct caller *who)
{
	const struct view *v = view_current();
	const struct config *cfg = cfg_of(c);
	json_t *listen = json_array();
	size_t origin = 0;

	(void)req;
	(void)who;
	for (size_t i = 0; i < cfg->n_listen; i++)
		json_array_append_new(listen, json_string(cfg->listen[i].text));
	for (size_t i = 0; i < view_switch_count(v); i++)
		origin += view_sel_side(view_switch_get(v, i)) == SIDE_ORIGIN;
	return ctl_ok(json_pack("{s:s,s:I,s:s,s:o,s:i,s:I,s:I,s:I,s:b,s:o}", "version", ROUTERD_VERSION, "uptime_s",
	                        (json_int_t)(time(NULL) - c->started), "config", cfg->path, "listen", listen, "workers",
	                        (int)cfg->workers, "zones", (json_int_t)view_zone_count(v), "switches",
	                        (json_int_t)view_switch_count(v), "on_origin", (json_int_t)origin,
	                        "last_reload_ok", c->last_reload_ok, "state", switching_status(c->sw)));
}

static json_t *cmd_stats(struct control *c, json_t *req, const struct caller *who)
{
	struct answer_stats s;
	json_t *q = json_object(), *r = json_object();

	(void)req;
	(void)who;
	workers_stats(c->host.workers, &s);
	for (int p = 0; p < 2; p++) {
		json_t *by = json_object();
		for (int t = 0; t < QT__COUNT; t++)
			json_object_set_new(by, control_qtype_names[t], json_integer((json_int_t)stat_get(&s.queries[p][t])));
		json_object_set_new(q, p ? "tcp" : "udp", by);
	}
	for (int i = 0; i < 24; i++)
		if (control_rcode_name(i))
			json_object_set_new(r, control_rcode_name(i), json_integer((json_int_t)stat_get(&s.rcodes[i])));
	return ctl_ok(json_pack("{s:o,s:o,s:I,s:I,s:o}", "queries", q, "responses", r, "dropped",
	                        (json_int_t)stat_get(&s.dropped), "truncated", (json_int_t)stat_get(&s.truncated),
	                        "dnstap", dnstap_status(c->dnstap)));
}

static json_t *cmd_list(struct control *c, json_t *req, const struct caller *who)
{
	const char *state = req_str(req, "state");
	enum side side;

	if (state != NULL && side_parse(state, &side) < 0)
		return ctl_fail("--state takes cdn or origin, not \"%s\"", state);
	return ctl_ok(state_list_to_json(switching_state(c->sw), req_arg(req, 0), state ? (int)side : -1,
	                                 json_is_true(json_object_get(req, "pinned")), who->now));
}

/* `show`: the switch's state, and both of its answers from the config. */
static json_t *cmd_show(struct control *c, json_t *req, const struct caller *who)
{
	const char *target = req_arg(req, 0);
	const struct st_switch *sw = target ? state_lookup(switching_state(c->sw), target) : NULL;
	const struct config *cfg = cfg_of(c);
	json_t *data;

	if (sw == NULL)
		return ctl_fail(target ? "no switch named %s" : "usage: %s SWITCH", target ? target : "show");
	data = state_switch_to_json(switching_state(c->sw), sw, who->now);
	for (size_t k = 0; data != NULL && k < cfg->n_switches; k++) {
		const struct cfg_switch *s = &cfg->switches[k];
		if (strcmp(s->name, sw->name) != 0)
			continue;
		json_object_set_new(data, "cdn_answer", state_answer_json(&s->cdn));
		json_object_set_new(data, "origin_answer", state_answer_json(&s->origin));
	}
	return ctl_ok(data);
}

static json_t *cmd_health(struct control *c, json_t *req, const struct caller *who)
{
	const char *target = req_arg(req, 0);
	const struct st_switch *sw;

	if (target == NULL)
		return ctl_ok(state_list_to_json(switching_state(c->sw), NULL, -1, 0, who->now));
	sw = state_lookup(switching_state(c->sw), target);
	if (sw == NULL)
		return ctl_fail("no switch named %s", target);
	return ctl_ok(state_switch_to_json(switching_state(c->sw), sw, who->now));
}

static json_t *cmd_history(struct control *c, json_t *req, const struct caller *who)
{
	const char *since = req_str(req, "since");
	uint32_t secs = 0;

	if (since != NULL && config_parse_duration(since, &secs) < 0)
		return ctl_fail("--since: bad duration \"%s\" (like 30m, 24h)", since);
	return ctl_ok(state_history_to_json(switching_state(c->sw), req_arg(req, 0),
	                                    since ? who->now - (int64_t)secs * 1000 : 0));
}

/* routerctl propagation SWITCH [--flip N]: the report of one flip. */
static json_t *cmd_propagation(struct control *c, json_t *req, const struct caller *who)
{
	json_t *sw = json_object_get(req, "switch"), *flip = json_object_get(req, "flip");
	const struct st_switch *found;
	char err[512];
	json_t *r;

	(void)who;
	if (!json_is_string(sw))
		return ctl_fail("propagation: which switch? (routerctl propagation SWITCH [--flip N])");
	if (flip != NULL && !json_is_null(flip) && (!json_is_integer(flip) || json_integer_value(flip) < 0))
		return ctl_fail("propagation: --flip takes a number from 1 (the oldest report kept), or 0 (the latest)");
	found = switching_state(c->sw) ? state_lookup(switching_state(c->sw), json_string_value(sw)) : NULL;
	if (found == NULL)
		return ctl_fail("no switch named %.300s", json_string_value(sw));
	r = prop_report(c->prop, found->name, json_is_integer(flip) ? (long)json_integer_value(flip) : 0,
	                control_now_ns(), err, sizeof(err));
	return r ? ctl_ok(r) : ctl_fail("%s", err);
}

/* ---- changing ---- */

static json_t *cmd_reload(struct control *c, json_t *req, const struct caller *who)
{
	char err[1024];
	int ok;

	(void)req;
	(void)who;
	ok = c->host.reload(c->host.arg, err, sizeof(err)) == 0;
	control_reloaded(c, ok);
	return ok ? ctl_ok(json_pack("{s:s}", "reloaded", cfg_of(c)->path)) : ctl_fail("%s", err);
}

struct pin_args {
	const char *target, *reason, *actor;
	enum side side;
	int64_t expires;
};

static int pin_fn(struct state *st, json_t *txn, void *arg, int64_t now)
{
	const struct pin_args *a = arg;
	return state_pin(st, txn, a->target, a->side, a->reason, a->actor, a->expires, now);
}

static int unpin_fn(struct state *st, json_t *txn, void *arg, int64_t now)
{
	const struct pin_args *a = arg;
	return state_unpin(st, txn, a->target, a->actor, now);
}

static int brake_clear_fn(struct state *st, json_t *txn, void *arg, int64_t now)
{
	const struct pin_args *a = arg;
	return state_brake_set(st, txn, 0, "cleared by an operator", a->actor, now);
}

static json_t *cmd_pin(struct control *c, json_t *req, const struct caller *who)
{
	struct pin_args a = { req_arg(req, 0), req_str(req, "reason"), who->actor, SIDE_CDN, 0 };
	const char *side_text = req_arg(req, 1), *dur = req_str(req, "for"), *until = req_str(req, "until");
	uint32_t secs;
	int rc;

	if (a.target == NULL || side_text == NULL || side_parse(side_text, &a.side) < 0)
		return ctl_fail("usage: pin SWITCH|GLOB cdn|origin --reason TEXT [--for 2h | --until TIME]");
	if (a.reason == NULL || a.reason[0] == '\0')
		return ctl_fail("a pin needs --reason: say why, for whoever reads the history");
	if (dur && until)
		return ctl_fail("--for and --until: one or the other");
	if (dur != NULL) {
		if (config_parse_duration(dur, &secs) < 0 || secs == 0)
			return ctl_fail("--for: bad duration \"%s\" (like 30m, 2h, 1d)", dur);
		a.expires = who->now + (int64_t)secs * 1000;
	}
	if (until != NULL) {
		rc = parse_until(until, &a.expires);
		if (rc == -ERANGE)
			return ctl_fail("--until: \"%s\" is out of range (the latest is 9999-12-31T23:59:59Z)", until);
		if (rc < 0 || a.expires <= who->now)
			return ctl_fail("--until: \"%s\" is not a future time (2026-11-24T18:00:00Z or epoch seconds)",
			                until);
	}
	rc = switching_change(c->sw, pin_fn, &a, who->now);
	if (rc == -ENOENT)
		return ctl_fail("no switch matches %s", a.target);
	if (rc < 0)
		return ctl_fail("pin failed: %s", rc == -EIO ? "journal failure, nothing changed" : strerror(-rc));
	return ctl_ok(state_list_to_json(switching_state(c->sw), a.target, -1, 0, who->now));
}

static json_t *cmd_unpin(struct control *c, json_t *req, const struct caller *who)
{
	struct pin_args a = { req_arg(req, 0), NULL, who->actor, SIDE_CDN, 0 };
	int rc;

	if (a.target == NULL)
		return ctl_fail("usage: unpin SWITCH|GLOB");
	rc = switching_change(c->sw, unpin_fn, &a, who->now);
	if (rc == -ENOENT)
		return ctl_fail("no switch matches %s", a.target);
	if (rc < 0)
		return ctl_fail("unpin failed: %s", rc == -EIO ? "journal failure, nothing changed" : strerror(-rc));
	if (rc == 0)
		return ctl_fail("%s: no pin to remove", a.target);
	return ctl_ok(state_list_to_json(switching_state(c->sw), a.target, -1, 0, who->now));
}

/* `brake`: the brake alone. */
static json_t *cmd_brake(struct control *c, json_t *req, const struct caller *who)
{
	json_t *status, *brake;

	if (req_arg(req, 0) != NULL)
		return ctl_fail("usage: brake [clear]");
	status = state_status_to_json(switching_state(c->sw), who->now);
	/* A reference of our own for the reply (ctl_ok steals it); the rest goes. */
	brake = json_incref(json_object_get(status, "brake"));
	json_decref(status);
	return ctl_ok(brake);
}

static json_t *cmd_brake_clear(struct control *c, json_t *req, const struct caller *who)
{
	struct pin_args a = { NULL, NULL, who->actor, SIDE_CDN, 0 };
	int rc;

	if (req_arg(req, 1) != NULL)
		return ctl_fail("usage: brake [clear]");
	rc = switching_change(c->sw, brake_clear_fn, &a, who->now);
	if (rc < 0)
		return ctl_fail("brake clear failed: %s",
		                rc == -EIO ? "journal failure, nothing changed" : strerror(-rc));
	return ctl_ok(state_status_to_json(switching_state(c->sw), who->now));
}

/* `fleet`: the secondaries and zone versions; `fleet config KIND`: a
 * secondary's configuration for this primary. */
static json_t *cmd_fleet(struct control *c, json_t *req, const struct caller *who)
{
	const char *sub = req_arg(req, 0), *kind = req_arg(req, 1);
	char err[256];
	json_t *r;
	char *text;

	(void)who;
	if (sub == NULL) {
		if (c->host.fleet == NULL)
			return ctl_fail("no fleet: the config has no fleet section");
		return ctl_ok(fleet_status(c->host.fleet));
	}
	if (strcmp(sub, "config") != 0 || kind == NULL || req_arg(req, 2) != NULL)
		return ctl_fail("usage: fleet [config nsd|knot|bind]");
	text = fleet_config_text(cfg_of(c), kind, err, sizeof(err));
	if (text == NULL)
		return ctl_fail("%s", err);
	r = ctl_ok(json_pack("{s:s}", "config", text));
	free(text);
	return r;
}

/* The commands. The first whose name (and sub, if any) matches answers. */
static const struct command commands[] = {
	{ "status", NULL, cmd_status, 0 },
	{ "stats", NULL, cmd_stats, 0 },
	{ "list", NULL, cmd_list, CMD_STATE },
	{ "show", NULL, cmd_show, CMD_STATE },
	{ "health", NULL, cmd_health, CMD_STATE },
	{ "history", NULL, cmd_history, CMD_STATE },
	{ "propagation", NULL, cmd_propagation, 0 },
	{ "brake", "clear", cmd_brake_clear, CMD_STATE | CMD_CHANGES },
	{ "brake", NULL, cmd_brake, CMD_STATE },
	{ "pin", NULL, cmd_pin, CMD_STATE | CMD_CHANGES },
	{ "unpin", NULL, cmd_unpin, CMD_STATE | CMD_CHANGES },
	{ "reload", NULL, cmd_reload, CMD_CHANGES },
	{ "fleet", NULL, cmd_fleet, 0 },
};

/* The request's words, for the log: "pin a.example.com. origin". */
static void describe(json_t *req, const char *cmd, char *out, size_t cap)
{
	size_t len = (size_t)snprintf(out, cap, "%s", cmd);
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(req, "args"), i, v) {
		if (len >= cap || !json_is_string(v))
			break;
		len += (size_t)snprintf(out + len, cap - len, " %s", json_string_value(v));
	}
}

json_t *commands_dispatch(struct control *c, json_t *req, const char *cmd, uid_t uid)
{
	struct caller who = { .uid = uid, .now = switching_now() };
	const struct command *k = NULL;
	const char *first = req_arg(req, 0);
	json_t *reply;
	char words[256];

	for (size_t i = 0; k == NULL && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, cmd) == 0 &&
		    (commands[i].sub == NULL || (first != NULL && strcmp(commands[i].sub, first) == 0)))
			k = &commands[i];
	if (k == NULL)
		return ctl_fail("unknown command \"%s\" (see routerctl -h)", cmd);
	if ((k->flags & CMD_STATE) && switching_state(c->sw) == NULL)
		return ctl_fail("the switch state is unavailable (journal failure); see the log");
	actor_of(uid, who.actor, sizeof(who.actor));
	reply = k->fn(c, req, &who);
	if (k->flags & CMD_CHANGES) {
		describe(req, cmd, words, sizeof(words));
		if (json_is_true(json_object_get(reply, "ok")))
			log_notice("routerctl %s by %s: done", words, who.actor);
		else
			log_warning("routerctl %s by %s: refused: %s", words, who.actor,
			            json_string_value(json_object_get(reply, "error")));
	}
	return reply;
}
