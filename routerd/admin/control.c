/* SPDX-License-Identifier: BSD-3-Clause */
/* control.c -- see control.h. */
#include "admin/control.h"
#include "admin/control_int.h"

#include <errno.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dns/answer.h"
#include "admin/auth.h"
#include "config.h"
#include "admin/ctl.h"
#include "admin/http.h"
#include "admin/sigqueue.h"
#include "lib/log.h"
#include "switch/switching.h"
#include "track/prop.h"
#include "switch/state.h"
#include "admin/status_page.h"
#include "admin/webhook.h"
#include "zone/view.h"
#include "dns/worker.h"
#include "fleet/dnstap.h"
#include "track/track.h"

_Static_assert(DNSTAP_SERVERS == TRACK_SERVERS, "the collector numbers the servers the tracker keeps apart");
#include "fleet/fleet.h"



enum endpoint {
	EP_ALERTMANAGER,
	EP_GRAFANA,
	EP_SIGNAL,
	EP_ERRORS,
	EP_METRICS,
	EP_HEALTH,
	EP_OTHER,
	EP__COUNT,
};
static const char *const endpoint_names[EP__COUNT] = { "alertmanager", "grafana", "signal", "errors",
	                                               "metrics", "health", "other" };
static const int counted_codes[] = { 200, 400, 401, 403, 404, 405, 413, 422, 431, 500, 503 };
#define N_CODES (sizeof(counted_codes) / sizeof(counted_codes[0]))

const char *const control_qtype_names[QT__COUNT] = { "A", "AAAA", "CNAME", "NS", "SOA", "MX",
	                                             "TXT", "SRV", "PTR", "DS", "ANY", "other" };

const char *control_rcode_name(int r)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
	return r < 6 ? names[r] : (r == 16 ? "BADVERS" : NULL);
}

static struct config *cfg_of(struct control *c)
{
	return *c->host.cfg;
}

uint64_t control_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The control thread is the only one that frees views: it may read the
 * published one without entering a read-side section. */
static const struct view *view_now(void)
{
	return view_current();
}




static json_t *on_ctl(void *ctx, json_t *req, const char *cmd, uid_t uid)
{
	return commands_dispatch(ctx, req, cmd, uid);
}

/* ---- HTTP: metrics and health ------------------------------------------------ */

static void metrics(struct control *c, FILE *f)
{
	const struct view *v = view_now();
	struct answer_stats s;

	workers_stats(c->host.workers, &s);
	fprintf(f, "# HELP routerd_build_info routerd version.\n# TYPE routerd_build_info gauge\n"
	           "routerd_build_info{version=\"%s\"} 1\n",
	        ROUTERD_VERSION);
	fprintf(f, "# HELP routerd_dns_queries_total DNS queries answered, by transport and type.\n"
	           "# TYPE routerd_dns_queries_total counter\n");
	for (int p = 0; p < 2; p++)
		for (int t = 0; t < QT__COUNT; t++)
			fprintf(f, "routerd_dns_queries_total{proto=\"%s\",qtype=\"%s\"} %llu\n", p ? "tcp" : "udp",
			        control_qtype_names[t], (unsigned long long)stat_get(&s.queries[p][t]));
	fprintf(f, "# HELP routerd_dns_responses_total DNS responses, by rcode.\n"
	           "# TYPE routerd_dns_responses_total counter\n");
	for (int i = 0; i < 24; i++)
		if (control_rcode_name(i))
			fprintf(f, "routerd_dns_responses_total{rcode=\"%s\"} %llu\n", control_rcode_name(i),
			        (unsigned long long)stat_get(&s.rcodes[i]));
	fprintf(f, "# HELP routerd_dns_truncated_total UDP responses sent with TC.\n"
	           "# TYPE routerd_dns_truncated_total counter\nrouterd_dns_truncated_total %llu\n",
	        (unsigned long long)stat_get(&s.truncated));
	fprintf(f, "# HELP routerd_dns_dropped_total Packets not answered (responses, runts).\n"
	           "# TYPE routerd_dns_dropped_total counter\nrouterd_dns_dropped_total %llu\n",
	        (unsigned long long)stat_get(&s.dropped));
	uint64_t rrl_slipped, rrl_dropped;
	workers_rrl_counts(c->host.workers, &rrl_slipped, &rrl_dropped);
	fprintf(f, "# HELP routerd_rrl_limited_total UDP responses over server.rrl's rate: sent truncated (slipped) "
	           "or dropped.\n# TYPE routerd_rrl_limited_total counter\n"
	           "routerd_rrl_limited_total{action=\"slipped\"} %llu\nrouterd_rrl_limited_total{action=\"dropped\"} %llu\n",
	        (unsigned long long)rrl_slipped, (unsigned long long)rrl_dropped);
	fprintf(f, "# HELP routerd_switch_side 1 for the side a switch serves.\n# TYPE routerd_switch_side gauge\n");
	for (size_t i = 0; i < view_switch_count(v); i++) {
		unsigned origin = view_sel_side(view_switch_get(v, i)) == SIDE_ORIGIN;
		fprintf(f, "routerd_switch_side{switch=\"%s\",side=\"cdn\"} %u\n", view_switch_name(v, i), !origin);
		fprintf(f, "routerd_switch_side{switch=\"%s\",side=\"origin\"} %u\n", view_switch_name(v, i), origin);
	}
	fprintf(f, "# HELP routerd_config_last_reload_successful Whether the last reload succeeded.\n"
	           "# TYPE routerd_config_last_reload_successful gauge\nrouterd_config_last_reload_successful %d\n",
	        c->last_reload_ok);
	fprintf(f, "# HELP routerd_zones Zones served.\n# TYPE routerd_zones gauge\nrouterd_zones %zu\n",
	        view_zone_count(v));
	switching_metrics(c->sw, f);
	fprintf(f, "# HELP routerd_track_ring_dropped_total Observations dropped because a worker's ring was full.\n"
	           "# TYPE routerd_track_ring_dropped_total counter\nrouterd_track_ring_dropped_total %llu\n",
	        (unsigned long long)workers_ring_dropped(c->host.workers));
	prop_metrics(c->prop, f, control_now_ns());
	{
		unsigned conns;
		uint64_t refused, timed_out;
		ctl_counts(c->ctl, &conns, &refused, &timed_out);
		fprintf(f, "# HELP routerd_admin_connections Admin socket connections open.\n"
		           "# TYPE routerd_admin_connections gauge\nrouterd_admin_connections %u\n"
		           "# HELP routerd_admin_refused_total Admin connections refused (control.max_clients).\n"
		           "# TYPE routerd_admin_refused_total counter\nrouterd_admin_refused_total %llu\n"
		           "# HELP routerd_admin_timed_out_total Admin connections closed at control.idle_timeout.\n"
		           "# TYPE routerd_admin_timed_out_total counter\nrouterd_admin_timed_out_total %llu\n",
		        conns, (unsigned long long)refused, (unsigned long long)timed_out);
	}
	dnstap_metrics(c->dnstap, f);
	if (c->host.fleet != NULL)
		fleet_metrics(c->host.fleet, f);
	fprintf(f, "# HELP routerd_webhook_requests_total HTTP requests, by endpoint and status code.\n"
	           "# TYPE routerd_webhook_requests_total counter\n");
	for (int e = 0; e < 7; e++)
		for (size_t i = 0; i < 11; i++)
			if (c->http_count[e][i])
				fprintf(f, "routerd_webhook_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n",
				        endpoint_names[e], counted_codes[i], (unsigned long long)c->http_count[e][i]);
	if (c->http != NULL)
		http_metrics(c->http, f);
}


static void count_request(struct control *c, enum endpoint ep, int status)
{
	for (size_t i = 0; i < N_CODES; i++)
		if (counted_codes[i] == status)
			c->http_count[ep][i]++;
}

static void json_reply(struct http_response *resp, int status, json_t *body)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = json_dumps(body, JSON_COMPACT);
	resp->body_len = resp->body ? strlen(resp->body) : 0;
	json_decref(body);
}

/* A health webhook: parse all of it, check every target, then apply. */
static void webhook(struct control *c, enum endpoint ep, const struct http_request *req, struct http_response *resp)
{
	const struct config *cfg = cfg_of(c);
	struct webhook_opts opts = { cfg->armed_label, cfg->armed_value };
	struct signal_event *ev = NULL;
	size_t n = 0, ignored = 0;
	char err[512];
	int rc;

	if (ep == EP_ERRORS) {
		struct error_report r;
		if (webhook_parse_errors((const char *)req->body, req->body_len, &r, err, sizeof(err)) < 0) {
			http_error(resp, 400, err);
			return;
		}
		const char *name = switching_name(c->sw, r.target);
		long idx = name ? view_switch_find(view_now(), name) : -1;
		if (idx < 0) {
			snprintf(err, sizeof(err), "no switch named %s", r.target);
			http_error(resp, 422, err);
			return;
		}
		prop_errors(c->prop, (uint32_t)idx, r.side, control_now_ns(), r.window_s, r.requests, r.errors);
		json_reply(resp, 200, json_pack("{s:s}", "status", "stored"));
		return;
	}
	enum webhook_source src = ep == EP_ALERTMANAGER ? SRC_ALERTMANAGER : (ep == EP_GRAFANA ? SRC_GRAFANA : SRC_SIGNAL);
	/* A large body is parsed off this thread, then applied in parts, in
	 * order with the others (sigqueue.h). */
	if (req->body_len > SIGQUEUE_PARSE_OFF && c->sigq != NULL) {
		struct http_pending *p = http_defer(req);
		if (p != NULL) {
			resp->status = 0; /* counted when answered */
			sigqueue_submit_body(c->sigq, p, ep, src, (const char *)req->body, req->body_len, &opts);
			return;
		}
	}
	if (webhook_parse_signals(src,
	                          (const char *)req->body, req->body_len, &opts, &ev, &n, &ignored, err,
	                          sizeof(err)) < 0) {
		http_error(resp, 400, err);
		return;
	}
	size_t ops = 0;
	rc = switching_signals_check(c->sw, ev, n, &ops, err, sizeof(err));
	/* A large message (or any while one is applied) goes in parts, in
	 * order, and is answered when done: other clients are served between. */
	if (rc == 0 && (ops > SIGQUEUE_PART_OPS || sigqueue_busy(c->sigq)) && c->sigq != NULL) {
		struct http_pending *p = http_defer(req);
		if (p != NULL) {
			resp->status = 0; /* counted when answered */
			sigqueue_submit(c->sigq, p, ep, ev, n, ops, ignored);
			return;
		}
	}
	if (rc == 0)
		rc = switching_signals_apply(c->sw, ev, n, err, sizeof(err));
	free(ev);
	if (rc == -ENOENT)
		http_error(resp, 422, err);
	else if (rc < 0)
		http_error(resp, 500, err);
	else
		json_reply(resp, 200,
		           json_pack("{s:s,s:I,s:I,s:i}", "status", "ok", "signals", (json_int_t)n, "ignored",
		                     (json_int_t)ignored, "flips", rc));
}

/* ---- HTTP: the status page at GET / (status_page.c draws it) ---------------- */

/* Unauthenticated like /metrics: it shows what list and status show. */
static void status_page(struct control *c, struct http_response *resp)
{
	const struct state *st = switching_state(c->sw);
	json_t *list = st ? state_list_to_json(st, NULL, -1, 0, switching_now()) : NULL;
	json_t *status = switching_status(c->sw), *report = NULL;
	json_t *page = json_pack("{s:O?,s:O?}", "switches", list, "brake", json_object_get(status, "brake"));
	const char *latest = status_page_latest(page);
	char err[256];

	status_page_add_answers(json_object_get(page, "switches"), cfg_of(c));
	if (latest != NULL)
		report = prop_report(c->prop, latest, 0, control_now_ns(), err, sizeof(err));
	resp->body = status_page_html(page, report, &resp->body_len);
	if (resp->body == NULL)
		http_error(resp, 500, "out of memory");
	else {
		resp->status = 200;
		resp->content_type = "text/html; charset=utf-8";
	}
	json_decref(report);
	json_decref(page);
	json_decref(status);
	json_decref(list);
}

static enum endpoint endpoint_of(const char *path)
{
	static const char *const paths[] = { "/api/v1/alertmanager", "/api/v1/grafana", "/api/v1/signal",
		                             "/api/v1/errors", "/metrics" };
	for (int i = 0; i < 5; i++)
		if (strcmp(path, paths[i]) == 0)
			return (enum endpoint)i;
	if (strcmp(path, "/-/healthy") == 0 || strcmp(path, "/-/ready") == 0)
		return EP_HEALTH;
	return EP_OTHER;
}

static void route(struct control *c, enum endpoint ep, const struct http_request *req, struct http_response *resp)
{
	int get = strcmp(req->method, "GET") == 0;

	if (ep == EP_HEALTH) {
		resp->status = get ? 200 : 405;
		resp->content_type = "text/plain";
		resp->body = strdup(get ? "OK\n" : "GET only\n");
		resp->body_len = strlen(resp->body);
		return;
	}
	if (ep == EP_METRICS) {
		FILE *f;
		if (!get) {
			http_error(resp, 405, "GET only");
			return;
		}
		f = open_memstream(&resp->body, &resp->body_len);
		if (f == NULL) {
			http_error(resp, 500, "out of memory");
			return;
		}
		metrics(c, f);
		fclose(f);
		resp->status = 200;
		resp->content_type = "text/plain; version=0.0.4";
		return;
	}
	if (ep == EP_OTHER && strcmp(req->path, "/") == 0) {
		if (get)
			status_page(c, resp);
		else
			http_error(resp, 405, "GET only");
		return;
	}
	if (ep == EP_OTHER) {
		http_error(resp, 404, "no such endpoint");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		http_error(resp, 405, "POST only");
		return;
	}
	switch (auth_check(c->auth, req->authorization, req->signature, req->body, req->body_len)) {
	case AUTH_MISSING:
		http_error(resp, 401, "credentials required");
		return;
	case AUTH_DENIED:
		http_error(resp, 403, "wrong credentials");
		return;
	case AUTH_OK:
		break;
	}
	webhook(c, ep, req, resp);
}

static void on_sigq_done(void *arg, int endpoint, int status)
{
	count_request(arg, (enum endpoint)endpoint, status);
}

static void on_http(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct control *c = ctx;
	enum endpoint ep = endpoint_of(req->path);
	route(c, ep, req, resp);
	count_request(c, ep, resp->status);
}

/* Drain the workers' rings often enough that a ring (65,536 slots) does
 * not fill at any rate one worker can answer. */
#define DRAIN_MS 100
/*
 * The tracker's own thread drains the rings every DRAIN_MS, so a reload
 * that holds the control thread for seconds (a big zone) does not let
 * the rings fill and drop observations. Reports of flips superseded since
 * the last tick are frozen before the queries after the new flip are
 * folded in.
 */
static size_t drain_ring(void *prop, struct track_ring *r)
{
	return prop_drain(prop, r);
}

/* The collector's ring filled a quarter: drain now, not at the next tick. */
static void kick_tracker(void *arg)
{
	struct control *c = arg;
	pthread_mutex_lock(&c->kick_lock);
	c->kicked = 1;
	pthread_cond_signal(&c->kick);
	pthread_mutex_unlock(&c->kick_lock);
}

/* Until the next tick, or a kick from the collector. */
static void tracker_wait(struct control *c)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += DRAIN_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->kick_lock);
	while (!c->kicked && pthread_cond_timedwait(&c->kick, &c->kick_lock, &until) == 0)
		;
	c->kicked = 0;
	pthread_mutex_unlock(&c->kick_lock);
}

static void *tracker_main(void *arg)
{
	struct control *c = arg;
	pthread_setname_np(pthread_self(), "routerd-track");
	while (!atomic_load(&c->stopping)) {
		tracker_wait(c);
		prop_tick(c->prop, control_now_ns());
		workers_drain(c->host.workers, drain_ring, c->prop);
		dnstap_drain(c->dnstap, drain_ring, c->prop);
	}
	return NULL;
}

static void on_flip(void *arg, uint32_t idx, enum side from, enum side to, uint32_t ttl_before)
{
	struct control *c = arg;
	prop_flip(c->prop, idx, control_now_ns(), from, to, ttl_before);
}

/* The secondaries of fleet.secondaries should send dnstap (by their name
 * as identity): a report names those that do not as unobserved. */
static void expect_secondaries(struct control *c)
{
	const struct cfg_fleet *f = &cfg_of(c)->fleet;
	const char **names;

	if (c->dnstap == NULL)
		return;
	names = calloc(f->n_secondaries ? f->n_secondaries : 1, sizeof(*names));
	if (names == NULL)
		return;
	for (size_t i = 0; i < f->n_secondaries; i++)
		names[i] = f->secondaries[i].name;
	if (prop_expect_servers(c->prop, names, f->n_secondaries) < 0)
		log_error("dnstap: out of memory: reports will not name unobserved secondaries");
	free(names);
}

/* Tell the tracker which switch each view index is (at start, after a
 * reload), and the dnstap collector both sides of each. */
static void name_switches(struct control *c)
{
	const struct view *v = view_now();
	for (size_t i = 0; i < view_switch_count(v); i++)
		prop_name_switch(c->prop, (uint32_t)i, view_switch_name(v, i));
	dnstap_set_view(c->dnstap, v);
	expect_secondaries(c);
}

/* The collector met a new secondary (its thread; prop locks). */
static void on_dnstap_server(void *arg, unsigned id, const char *name)
{
	struct control *c = arg;
	prop_name_server(c->prop, id, name);
}

struct control *control_start(uv_loop_t *loop, const struct control_host *host, char *err, size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));
	const struct config *cfg = *host->cfg;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->host = *host;
	c->started = time(NULL);
	c->last_reload_ok = 1;
	struct prop_opts po = { cfg->tracking.max_entries, cfg->tracking.client_hold, cfg->tracking.client_share,
		                cfg->tracking.reports,
		                cfg->state_dir };
	c->prop = prop_new(&po, err, errlen);
	if (c->prop == NULL) {
		free(c);
		return NULL;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->kick, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&c->kick_lock, NULL);
	/* Bound here, before privileges are dropped, like the admin socket. */
	if (cfg->tracking.enabled && cfg->fleet.dnstap.n_listen > 0) {
		struct dnstap_hooks hooks = { on_dnstap_server, kick_tracker, c };
		c->dnstap = dnstap_start(&cfg->fleet.dnstap, &hooks, err, errlen);
		if (c->dnstap == NULL) {
			prop_free(c->prop);
			free(c);
			return NULL;
		}
	}
	name_switches(c);
	if (pthread_create(&c->tracker, NULL, tracker_main, c) != 0) {
		snprintf(err, errlen, "cannot start the tracker thread");
		dnstap_stop(c->dnstap);
		prop_free(c->prop);
		free(c);
		return NULL;
	}
	c->tracker_running = 1;
	if (switching_open(&c->sw, loop, cfg, err, errlen) < 0)
		goto fail;
	switching_on_flip(c->sw, on_flip, c);
	c->sigq = sigqueue_new(loop, c->sw, on_sigq_done, c);
	struct ctl_limits lim = { cfg->control_max_clients, (uint64_t)cfg->control_idle_timeout * 1000 };
	c->ctl = ctl_start(loop, cfg->control_socket, cfg->control_mode, &lim, on_ctl, c, err, errlen);
	if (c->ctl == NULL)
		goto fail;
	if (cfg->http.enabled) {
		if (auth_load(&cfg->http, &c->auth, err, errlen) < 0)
			goto fail;
		c->http = http_start(loop, &cfg->http, auth_signature_header(c->auth), on_http, c, err, errlen);
		if (c->http == NULL)
			goto fail;
	}
	return c;
fail:
	control_stop(c);
	return NULL;
}

void control_reloaded(struct control *c, int ok)
{
	if (ok)
		name_switches(c);
	if (ok && switching_reload(c->sw, cfg_of(c)) < 0)
		log_error("the switch state could not take the new configuration");
	c->last_reload_ok = ok;
	c->reloads++;
	c->reload_failures += !ok;
}

void control_stop(struct control *c)
{
	if (c == NULL)
		return;
	if (c->tracker_running) {
		atomic_store(&c->stopping, 1);
		pthread_join(c->tracker, NULL);
	}
	/* Before prop: the collector names new servers in it. */
	dnstap_stop(c->dnstap);
	ctl_stop(c->ctl);
	sigqueue_free(c->sigq);
	http_stop(c->http);
	switching_close(c->sw);
	auth_free(c->auth);
	/* Running flips are frozen into reports (and the journal) here. */
	prop_free(c->prop);
	free(c);
}
