/* control.c -- see control.h. */
#include "control.h"

#include <fnmatch.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "answer.h"
#include "auth.h"
#include "config.h"
#include "ctl.h"
#include "http.h"
#include "log.h"
#include "view.h"
#include "worker.h"

#define VERSION "0.1.0"

struct control {
	uv_loop_t *loop;
	struct control_host host;
	struct ctl_server *ctl;
	struct http_server *http;
	struct auth *auth;
	time_t started;
	int last_reload_ok;
	uint64_t reloads, reload_failures;
	uint64_t http_requests[4][6]; /* [endpoint][status class] */
};

static const char *const qtype_names[QT__COUNT] = { "A",  "AAAA", "CNAME", "NS",  "SOA",  "MX",
	                                            "TXT", "SRV",  "PTR",   "DS",  "ANY",  "other" };

static const char *rcode_name(int r)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
	return r < 6 ? names[r] : r == 16 ? "BADVERS" : NULL;
}

static struct config *cfg_of(struct control *c)
{
	return *c->host.cfg;
}

/* The control thread is the only one that frees views: it may read the
 * published one without entering a read-side section. */
static const struct view *view_now(void)
{
	return view_current();
}

static json_t *switch_row(const struct view *v, size_t i)
{
	unsigned sel = view_switch_get(v, i);
	return json_pack("{s:s,s:s,s:b}", "switch", view_switch_name(v, i), "side",
	                 (sel & VIEW_SEL_ORIGIN) ? "origin" : "cdn", "armed", (sel & VIEW_SEL_ARMED) != 0);
}

static const char *opt_str(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *arg(json_t *req, size_t i)
{
	json_t *v = json_array_get(json_object_get(req, "args"), i);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *cmd_list(json_t *req)
{
	const struct view *v = view_now();
	const char *glob = arg(req, 0), *state = opt_str(req, "state");
	json_t *rows = json_array();

	if (state != NULL && strcmp(state, "cdn") != 0 && strcmp(state, "origin") != 0) {
		json_decref(rows);
		return ctl_fail("--state takes cdn or origin, not \"%s\"", state);
	}
	for (size_t i = 0; i < view_switch_count(v); i++) {
		const char *name = view_switch_name(v, i);
		json_t *row;
		if (glob != NULL && fnmatch(glob, name, FNM_CASEFOLD) != 0) {
			/* Names are stored with the final dot; accept globs without it. */
			char with_dot[300];
			snprintf(with_dot, sizeof(with_dot), "%s.", glob);
			if (fnmatch(with_dot, name, FNM_CASEFOLD) != 0)
				continue;
		}
		row = switch_row(v, i);
		if (state != NULL && strcmp(json_string_value(json_object_get(row, "side")), state) != 0) {
			json_decref(row);
			continue;
		}
		json_array_append_new(rows, row);
	}
	return ctl_ok(rows);
}

static json_t *answer_json(const struct cfg_answer *a)
{
	char buf[64];
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

static json_t *cmd_show(struct control *c, json_t *req)
{
	const struct view *v = view_now();
	const char *name = arg(req, 0);
	long i = name ? view_switch_find(v, name) : -1;
	const struct config *cfg = cfg_of(c);
	json_t *row;

	if (name == NULL)
		return ctl_fail("usage: show SWITCH");
	if (i < 0)
		return ctl_fail("no switch named %s", name);
	row = switch_row(v, (size_t)i);
	for (size_t k = 0; k < cfg->n_switches; k++) {
		const struct cfg_switch *s = &cfg->switches[k];
		if (strcmp(s->name, view_switch_name(v, (size_t)i)) != 0)
			continue;
		json_object_set_new(row, "ttl", json_integer(s->ttl));
		json_object_set_new(row, "ttl_armed", json_integer(s->ttl_armed));
		json_object_set_new(row, "cdn", answer_json(&s->cdn));
		json_object_set_new(row, "origin", answer_json(&s->origin));
	}
	return ctl_ok(row);
}

static json_t *cmd_status(struct control *c)
{
	const struct view *v = view_now();
	const struct config *cfg = cfg_of(c);
	json_t *listen = json_array();
	size_t origin = 0;

	for (size_t i = 0; i < cfg->n_listen; i++)
		json_array_append_new(listen, json_string(cfg->listen[i].text));
	for (size_t i = 0; i < view_switch_count(v); i++)
		origin += (view_switch_get(v, i) & VIEW_SEL_ORIGIN) != 0;
	return ctl_ok(json_pack("{s:s,s:I,s:s,s:o,s:i,s:I,s:I,s:I,s:b}", "version", VERSION, "uptime_s",
	                        (json_int_t)(time(NULL) - c->started), "config", cfg->path, "listen", listen, "workers",
	                        (int)cfg->workers, "zones", (json_int_t)view_zone_count(v), "switches",
	                        (json_int_t)view_switch_count(v), "on_origin", (json_int_t)origin,
	                        "last_reload_ok", c->last_reload_ok));
}

static json_t *cmd_stats(struct control *c)
{
	struct answer_stats s;
	json_t *q = json_object(), *r = json_object();

	workers_stats(c->host.workers, &s);
	for (int p = 0; p < 2; p++) {
		json_t *by = json_object();
		for (int t = 0; t < QT__COUNT; t++)
			json_object_set_new(by, qtype_names[t], json_integer((json_int_t)stat_get(&s.queries[p][t])));
		json_object_set_new(q, p ? "tcp" : "udp", by);
	}
	for (int i = 0; i < 24; i++)
		if (rcode_name(i))
			json_object_set_new(r, rcode_name(i), json_integer((json_int_t)stat_get(&s.rcodes[i])));
	return ctl_ok(json_pack("{s:o,s:o,s:I,s:I}", "queries", q, "responses", r, "dropped",
	                        (json_int_t)stat_get(&s.dropped), "truncated", (json_int_t)stat_get(&s.truncated)));
}

static json_t *on_ctl(void *ctx, json_t *req, const char *cmd, uid_t uid)
{
	struct control *c = ctx;
	char err[1024];
	(void)uid;

	if (strcmp(cmd, "status") == 0)
		return cmd_status(c);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(req);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(c, req);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(c);
	if (strcmp(cmd, "reload") == 0) {
		int ok = c->host.reload(c->host.arg, err, sizeof(err)) == 0;
		control_reloaded(c, ok);
		return ok ? ctl_ok(json_pack("{s:s}", "reloaded", cfg_of(c)->path)) : ctl_fail("%s", err);
	}
	return ctl_fail("unknown command \"%s\" (see routerctl -h)", cmd);
}

/* ---- HTTP: metrics and health ------------------------------------------------ */

static void metrics(struct control *c, FILE *f)
{
	const struct view *v = view_now();
	struct answer_stats s;

	workers_stats(c->host.workers, &s);
	fprintf(f, "# HELP routerd_build_info routerd version.\n# TYPE routerd_build_info gauge\n"
	           "routerd_build_info{version=\"%s\"} 1\n", VERSION);
	fprintf(f, "# HELP routerd_dns_queries_total DNS queries answered, by transport and type.\n"
	           "# TYPE routerd_dns_queries_total counter\n");
	for (int p = 0; p < 2; p++)
		for (int t = 0; t < QT__COUNT; t++)
			fprintf(f, "routerd_dns_queries_total{proto=\"%s\",qtype=\"%s\"} %llu\n", p ? "tcp" : "udp",
			        qtype_names[t], (unsigned long long)stat_get(&s.queries[p][t]));
	fprintf(f, "# HELP routerd_dns_responses_total DNS responses, by rcode.\n"
	           "# TYPE routerd_dns_responses_total counter\n");
	for (int i = 0; i < 24; i++)
		if (rcode_name(i))
			fprintf(f, "routerd_dns_responses_total{rcode=\"%s\"} %llu\n", rcode_name(i),
			        (unsigned long long)stat_get(&s.rcodes[i]));
	fprintf(f, "# HELP routerd_dns_truncated_total UDP responses sent with TC.\n"
	           "# TYPE routerd_dns_truncated_total counter\nrouterd_dns_truncated_total %llu\n",
	        (unsigned long long)stat_get(&s.truncated));
	fprintf(f, "# HELP routerd_dns_dropped_total Packets not answered (responses, runts).\n"
	           "# TYPE routerd_dns_dropped_total counter\nrouterd_dns_dropped_total %llu\n",
	        (unsigned long long)stat_get(&s.dropped));
	fprintf(f, "# HELP routerd_switch_side 1 for the side a switch serves.\n# TYPE routerd_switch_side gauge\n");
	for (size_t i = 0; i < view_switch_count(v); i++) {
		unsigned origin = (view_switch_get(v, i) & VIEW_SEL_ORIGIN) != 0;
		fprintf(f, "routerd_switch_side{switch=\"%s\",side=\"cdn\"} %u\n", view_switch_name(v, i), !origin);
		fprintf(f, "routerd_switch_side{switch=\"%s\",side=\"origin\"} %u\n", view_switch_name(v, i), origin);
	}
	fprintf(f, "# HELP routerd_config_last_reload_successful Whether the last reload succeeded.\n"
	           "# TYPE routerd_config_last_reload_successful gauge\nrouterd_config_last_reload_successful %d\n",
	        c->last_reload_ok);
	fprintf(f, "# HELP routerd_zones Zones served.\n# TYPE routerd_zones gauge\nrouterd_zones %zu\n",
	        view_zone_count(v));
}

static void on_http(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct control *c = ctx;
	int get = strcmp(req->method, "GET") == 0;

	if (strcmp(req->path, "/-/healthy") == 0 || strcmp(req->path, "/-/ready") == 0) {
		resp->status = get ? 200 : 405;
		resp->content_type = "text/plain";
		resp->body = strdup(get ? "OK\n" : "GET only\n");
		resp->body_len = strlen(resp->body);
		return;
	}
	if (strcmp(req->path, "/metrics") == 0) {
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
	http_error(resp, 404, "no such endpoint");
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
	c->ctl = ctl_start(loop, cfg->control_socket, cfg->control_mode, on_ctl, c, err, errlen);
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
	c->last_reload_ok = ok;
	c->reloads++;
	c->reload_failures += !ok;
}

void control_stop(struct control *c)
{
	if (c == NULL)
		return;
	ctl_stop(c->ctl);
	http_stop(c->http);
	auth_free(c->auth);
	free(c);
}
