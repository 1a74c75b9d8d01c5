/* SPDX-License-Identifier: BSD-3-Clause */
/* status_page.c -- see status_page.h. */
#include "admin/status_page.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "lib/side.h"
#include "switch/state.h"
#include "admin/svg.h"

/* No script; the page reloads itself so that a screen left open follows
 * the flips (a flip is decided in seconds, its propagation in minutes). */
#define REFRESH_S 30

/* clang-format off */
static const char *const css =
	"body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:14px;color:#222;margin:20px;background:#fafafa}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}"
	".sub{color:#666;margin-bottom:12px}"
	"table{border-collapse:collapse;background:#fff}"
	"th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
	"th{background:#eee}td.t{white-space:nowrap}"
	"td.side{color:#777}"
	"td.side.active{background:#d9f2d9;color:#111;font-weight:bold}"
	"td.side.down{color:#b00}"
	".tag{display:inline-block;padding:0 5px;border-radius:3px;font-size:12px;font-weight:normal}"
	".tag.on{background:#2a7d2a;color:#fff}.tag.down{background:#c33;color:#fff}"
	".tag.pin{background:#35c;color:#fff}.tag.armed{background:#d80;color:#fff}.tag.held{background:#a3a;color:#fff}"
	".brake{padding:8px 12px;margin:12px 0;border-radius:4px}"
	".brake.engaged{background:#fdd;border:1px solid #c33}.brake.released{background:#eef6ee;border:1px solid #9c9}"
	".nums td{border:none;padding:2px 12px 2px 0}"
	"figure{margin:8px 0}figure svg{max-width:100%;height:auto;border:1px solid #ddd}"
	".noflip{color:#666}";
/* clang-format on */

static const char *jstr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jnum(const json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

static const json_t *rows_of(const json_t *switches)
{
	if (json_is_array(switches))
		return switches;
	if (json_is_array(json_object_get(switches, "switches")))
		return json_object_get(switches, "switches");
	if (json_is_array(json_object_get(switches, "data")))
		return json_object_get(switches, "data");
	return NULL;
}

/* Milliseconds since the epoch (the state's clock) as RFC 3339, UTC. */
static char *time_ms(double ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!(ms > 0) || ms > 1e15 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, cap, "-");
	else
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static int has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/* What a side serves, from its answer object: "CNAME x" or the addresses. */
static void put_answer(FILE *f, const json_t *a, const char *side)
{
	static const char *const fams[2] = { "a", "aaaa" };
	const char *cname = jstr(a, "cname");
	int any = 0;

	if (cname != NULL) {
		fputs("CNAME ", f);
		svg_escape(f, cname);
		return;
	}
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(a, fams[k]), i, v) {
			if (!json_is_string(v))
				continue;
			fputs(any++ ? ", " : (k ? "AAAA " : "A "), f);
			svg_escape(f, json_string_value(v));
		}
	}
	if (!any)
		fputs(side, f);
}

/* The side a row of `routerctl list` serves. */
static enum side row_side(const json_t *row)
{
	enum side side = SIDE_CDN;
	side_parse(jstr(row, "side"), &side);
	return side;
}

static int notable(const json_t *row)
{
	return row_side(row) == SIDE_ORIGIN || json_is_true(json_object_get(row, "pinned")) ||
	       json_is_true(json_object_get(row, "armed")) || json_is_true(json_object_get(row, "held_by_brake")) ||
	       json_array_size(json_object_get(row, "down")) > 0;
}

static void switch_row(FILE *f, const json_t *row)
{
	const char *name = jstr(row, "switch"), *cause = jstr(row, "cause");
	const json_t *pin = json_object_get(row, "pin"), *down = json_object_get(row, "down");
	double v;
	char t[40];

	fputs("<tr><td class=\"name\">", f);
	svg_escape(f, name ? name : "?");
	fputs("</td>", f);
	for (int k = 0; k < SIDE_COUNT; k++) {
		const char *sname = side_name((enum side)k);
		int active = jstr(row, "side") != NULL && row_side(row) == (enum side)k, is_down = has_string(down, sname);
		char key[32];
		fprintf(f, "<td class=\"side %s%s%s\">", sname, active ? " active" : "", is_down ? " down" : "");
		if (active)
			fputs("<span class=\"tag on\">serving</span> ", f);
		if (is_down)
			fputs("<span class=\"tag down\">down</span> ", f);
		snprintf(key, sizeof(key), "%s_answer", sname);
		put_answer(f, json_object_get(row, key), sname);
		fputs("</td>", f);
	}
	fputs("<td>", f);
	svg_escape(f, cause ? cause : "");
	if (json_is_true(json_object_get(row, "held_by_brake")))
		fputs(" <span class=\"tag held\">held by the brake</span>", f);
	fputs("</td><td class=\"pin\">", f);
	if (json_is_object(pin)) {
		const char *reason = jstr(pin, "reason"), *actor = jstr(pin, "actor"), *glob = jstr(pin, "glob");
		fputs("<span class=\"tag pin\">pinned</span> ", f);
		svg_escape(f, jstr(pin, "side") ? jstr(pin, "side") : "?");
		if (jnum(pin, "expires", &v) && v > 0)
			fprintf(f, " until %s", time_ms(v, t, sizeof(t)));
		if (reason) {
			fputs(": ", f);
			svg_escape(f, reason);
		}
		if (actor || glob) {
			fputs(" <small>(", f);
			svg_escape(f, actor ? actor : "");
			if (glob) {
				fputs(actor ? ", " : "", f);
				fputs("glob ", f);
				svg_escape(f, glob);
			}
			fputs(")</small>", f);
		}
	}
	fputs("</td><td>", f);
	if (json_is_true(json_object_get(row, "armed")))
		fputs("<span class=\"tag armed\">armed</span>", f);
	fprintf(f, "</td><td class=\"t\">%s</td></tr>\n",
	        jnum(row, "last_flip", &v) && v > 0 ? time_ms(v, t, sizeof(t)) : "never");
}

static void switch_table(FILE *f, const json_t *rows)
{
	size_t n = json_array_size(rows), shown = 0, i, counts[4] = { 0, 0, 0, 0 };
	json_t *row;

	json_array_foreach(rows, i, row) {
		counts[row_side(row)]++;
		counts[2] += json_is_true(json_object_get(row, "pinned"));
		counts[3] += json_is_true(json_object_get(row, "armed"));
	}
	fprintf(f, "<h2>Switches</h2>\n<p class=\"sub\">%zu switch%s: %zu on the CDN, %zu on the origin, %zu pinned, %zu armed</p>\n",
	        n, n == 1 ? "" : "es", counts[0], counts[1], counts[2], counts[3]);
	if (n == 0)
		return;
	fputs("<table class=\"switches\">\n<tr><th>switch</th><th>CDN</th><th>origin</th><th>cause</th><th>pin</th>"
	      "<th>armed</th><th>last flip</th></tr>\n",
	      f);
	/* The notable rows first, then the rest, both in the list's order (by name). */
	for (int pass = 1; pass >= 0; pass--)
		json_array_foreach(rows, i, row) {
			if (notable(row) == pass && shown < STATUS_PAGE_MAX_ROWS) {
				switch_row(f, row);
				shown++;
			}
		}
	fputs("</table>\n", f);
	if (shown < n)
		fprintf(f, "<p class=\"sub\">%zu more not shown (on the CDN, nothing notable): <code>routerctl list</code> has them all.</p>\n",
		        n - shown);
}

static void brake_box(FILE *f, const json_t *b)
{
	double v, limit, window;
	char t[40], d[32];

	if (!json_is_object(b))
		return;
	if (json_is_true(json_object_get(b, "engaged"))) {
		const char *reason = jstr(b, "reason");
		fputs("<div class=\"brake engaged\"><b>Safety brake engaged</b>", f);
		if (jnum(b, "since", &v) && v > 0)
			fprintf(f, " since %s", time_ms(v, t, sizeof(t)));
		if (reason) {
			fputs(": ", f);
			svg_escape(f, reason);
		}
		fputs(". Automatic flips are held; pins still work. After checking why: <code>routerctl brake clear</code>.</div>\n",
		      f);
		return;
	}
	fputs("<div class=\"brake released\">Safety brake released", f);
	if (jnum(b, "flips_in_window", &v) && jnum(b, "limit", &limit)) {
		fprintf(f, ": %.6g of %.6g automatic flips", v, limit);
		if (jnum(b, "window_s", &window))
			fprintf(f, " in the last %s", svg_duration(window, d, sizeof(d)));
	}
	fputs(".</div>\n", f);
}

static void report_numbers(FILE *f, const json_t *r)
{
	static const char *const keys[3] = { "lower", "expected", "upper" };
	const json_t *now = json_object_get(r, "now");
	const char *from = jstr(r, "from"), *to = jstr(r, "to"), *when = jstr(r, "flip_time"), *state = jstr(r, "state");
	double v, m;
	char d[32];

	fputs("<table class=\"nums\">\n<tr><td>switch</td><td><b>", f);
	svg_escape(f, jstr(r, "switch") ? jstr(r, "switch") : "?");
	fputs("</b>", f);
	if (jnum(r, "flip", &v) && jnum(r, "flips", &m))
		fprintf(f, " (flip %.6g of %.6g)", v, m);
	fputs("</td></tr>\n<tr><td>flip</td><td>", f);
	svg_escape(f, from ? from : "?");
	fputs(" \xE2\x86\x92 ", f);
	svg_escape(f, to ? to : "?");
	if (when) {
		fputs(" at ", f);
		svg_escape(f, when);
	}
	if (jnum(r, "ttl_s", &v))
		fprintf(f, ", TTL %s", svg_duration(v, d, sizeof(d)));
	fputs("</td></tr>\n<tr><td>state</td><td>", f);
	svg_escape(f, state ? state : "?");
	if (jnum(r, "age_s", &v))
		fprintf(f, ", %s after the flip", svg_duration(v, d, sizeof(d)));
	fputs("</td></tr>\n<tr><td>still on the old side</td><td class=\"now\">", f);
	for (int k = 0; k < 3; k++) {
		fprintf(f, "%s%s ", k ? " \xC2\xB7 " : "", keys[k]);
		if (jnum(now, keys[k], &v)) {
			fputs(k == 1 ? "<b>" : "", f);
			svg_put_pct(f, v);
			fputs(k == 1 ? "</b>" : "", f);
		} else {
			fputs("-", f);
		}
	}
	fputs("</td></tr>\n<tr><td>below 1%</td><td class=\"below\">", f);
	if (jnum(r, "below_1pct_s", &v))
		fprintf(f, "at %s after the flip", svg_duration(v, d, sizeof(d)));
	else
		fputs("not expected yet", f);
	/* The range the truth falls under 1% in: the bounds' times. */
	const json_t *range = json_object_get(r, "below_1pct_range_s");
	if (json_is_number(json_array_get(range, 0))) {
		fprintf(f, ", between %s", svg_duration(json_number_value(json_array_get(range, 0)), d, sizeof(d)));
		if (json_is_number(json_array_get(range, 1)))
			fprintf(f, " and %s", svg_duration(json_number_value(json_array_get(range, 1)), d, sizeof(d)));
		else
			fputs(" and over a day", f);
	}
	fputs("</td></tr>\n<tr><td>resolvers</td><td>", f);
	if (jnum(r, "resolvers", &v))
		fprintf(f, "%.6g active", v);
	if (jnum(r, "at_risk", &v))
		fprintf(f, ", %.6g at risk", v);
	if (jnum(r, "refetched", &v))
		fprintf(f, ", %.6g re-fetched", v);
	fputs("</td></tr>\n</table>\n", f);
}

/* The fleet (dnstap): a row per server, the unobserved ones marked. */
static void server_table(FILE *f, const json_t *r)
{
	const json_t *servers = json_object_get(r, "servers"), *s;
	static const char *const pct[3] = { "traffic_share", "old_share", "remaining_share" };
	size_t i;
	double v;
	char d[32];

	if (json_array_size(servers) == 0)
		return;
	fputs("<table class=\"servers\">\n<tr><th>server</th><th>traffic</th><th>still old</th><th>of what remains</th>"
	      "<th>first new</th><th>last old</th></tr>\n",
	      f);
	json_array_foreach(servers, i, s) {
		fputs("<tr><td>", f);
		svg_escape(f, jstr(s, "server") ? jstr(s, "server") : "?");
		if (!json_is_true(json_object_get(s, "observed"))) {
			fputs("</td><td colspan=\"5\" class=\"unobserved\">unobserved: no dnstap, not in the estimate</td></tr>\n", f);
			continue;
		}
		fputs("</td>", f);
		for (int k = 0; k < 3; k++) {
			fputs("<td>", f);
			if (jnum(s, pct[k], &v))
				svg_put_pct(f, v);
			fputs("</td>", f);
		}
		fprintf(f, "<td>%s</td>", jnum(s, "first_new_s", &v) ? svg_duration(v, d, sizeof(d)) : "not yet");
		fprintf(f, "<td>%s</td></tr>\n", jnum(s, "last_old_s", &v) ? svg_duration(v, d, sizeof(d)) : "-");
	}
	fputs("</table>\n", f);
}

static void latest_flip(FILE *f, const json_t *switches, const json_t *report)
{
	char *svg;
	size_t n;

	fputs("<h2>Latest flip</h2>\n", f);
	if (!json_is_object(report)) {
		const char *name = status_page_latest(switches);
		if (name == NULL) {
			fputs("<p class=\"noflip\">No flip yet: the propagation picture appears after the first one.</p>\n", f);
			return;
		}
		fputs("<p class=\"noflip\">No propagation report for the latest flip (", f);
		svg_escape(f, name);
		fputs(").</p>\n", f);
		return;
	}
	report_numbers(f, report);
	server_table(f, report);
	svg = svg_propagation(report, &n);
	if (svg != NULL) {
		fputs("<figure>\n", f);
		fwrite(svg, 1, n, f);
		fputs("</figure>\n", f);
	}
	free(svg);
}

char *status_page_html(const json_t *switches, const json_t *latest_report, size_t *len)
{
	char *buf = NULL, t[40];
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	const json_t *rows = rows_of(switches);
	struct timespec ts;

	if (f == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	           "<meta http-equiv=\"refresh\" content=\"%d\">\n<title>routerd status</title>\n<style>%s</style>\n"
	           "</head>\n<body>\n<h1>routerd</h1>\n<p class=\"sub\">as of %s</p>\n",
	        REFRESH_S, css, time_ms((double)ts.tv_sec * 1000, t, sizeof(t)));
	brake_box(f, json_is_object(switches) ? json_object_get(switches, "brake") : NULL);
	switch_table(f, rows);
	latest_flip(f, switches, latest_report);
	fputs("</body>\n</html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = size;
	return buf;
}

const char *status_page_latest(const json_t *switches)
{
	const json_t *rows = rows_of(switches), *row;
	const char *best = NULL;
	double top = 0, v;
	size_t i;

	json_array_foreach(rows, i, row) {
		if (jnum(row, "last_flip", &v) && v > top && jstr(row, "switch") != NULL) {
			top = v;
			best = jstr(row, "switch");
		}
	}
	return best;
}

/* ---- what each side serves, from the config ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct cfg_switch *const *)a)->name, (*(const struct cfg_switch *const *)b)->name);
}


void status_page_add_answers(json_t *rows, const struct config *cfg)
{
	const struct cfg_switch **byname;
	size_t i;
	json_t *row;

	if (cfg == NULL || cfg->n_switches == 0 || !json_is_array(rows))
		return;
	byname = malloc(cfg->n_switches * sizeof(*byname));
	if (byname == NULL)
		return;
	for (i = 0; i < cfg->n_switches; i++)
		byname[i] = &cfg->switches[i];
	qsort(byname, cfg->n_switches, sizeof(*byname), by_name);
	json_array_foreach(rows, i, row) {
		struct cfg_switch key = { 0 };
		const struct cfg_switch *kp = &key, **hit;
		key.name = (char *)jstr(row, "switch");
		if (key.name == NULL)
			continue;
		hit = bsearch(&kp, byname, cfg->n_switches, sizeof(*byname), by_name);
		if (hit == NULL)
			continue;
		json_object_set_new(row, "cdn_answer", state_answer_json(&(*hit)->cdn));
		json_object_set_new(row, "origin_answer", state_answer_json(&(*hit)->origin));
	}
	free(byname);
}
