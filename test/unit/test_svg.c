/* SPDX-License-Identifier: BSD-3-Clause */
/* test_svg.c -- the propagation picture (svg.c) and the status page
 * (status_page.c): what they draw from a report, and that no field of a
 * report or a list, missing, null or of the wrong type, breaks them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "admin/status_page.h"
#include "admin/svg.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* A report as prop_report() makes one: a flip 10 minutes old, every field. */
static json_t *sample_report(const char *name)
{
	json_t *curve = json_array(), *errors = json_array(), *lag = json_array();

	for (int t = 0; t <= 600; t++) {
		double ex = t < 120 ? 1 - t / 120.0 : 0.001;
		json_array_append_new(curve, json_pack("{s:i,s:f,s:f,s:f,s:f}", "t", t, "lower", ex * 0.5, "expected", ex,
		                                       "upper", ex < 0.9 ? ex + 0.1 : 1.0, "refetched", 1 - ex));
	}
	for (int m = -600; m <= 540; m += 60)
		json_array_append_new(errors, json_pack("{s:i,s:i,s:i,s:i,s:i}", "t", m, "old_requests", 1000, "old_errors",
		                                        m < 0 ? 50 : 5, "new_requests", m < 0 ? 0 : 800, "new_errors", 1));
	json_array_append_new(lag, json_pack("{s:s,s:f,s:f,s:f,s:s,s:i,s:b,s:f,s:n}", "resolver", "198.51.100.7",
	                                     "weight", 0.25, "qps", 3.5, "hold_s", 300.0, "class", "floor", "queries", 40,
	                                     "at_risk", 1, "last_before_s", -12.5, "first_after_s"));
	return json_pack("{s:s,s:i,s:i,s:s,s:s,s:I,s:s,s:s,s:i,s:i,s:f,s:i,s:i,s:i,"
	                 "s:{s:f,s:f,s:f,s:f},s:f,s:o,s:O,s:o,s:o}",
	                 "switch", name, "flip", 2, "flips", 3, "state", "running", "flip_time", "2026-11-24T10:00:00Z",
	                 "flip_time_ms", (json_int_t)1795514400000, "from", "cdn", "to", "origin", "ttl_s", 30,
	                 "client_hold_s", 60, "age_s", 600.0, "resolvers", 12, "at_risk", 5, "refetched", 4, "now", "lower",
	                 0.0005, "expected", 0.001, "upper", 0.1, "refetched", 0.999, "below_1pct_s", 42.0, "curve", curve,
	                 "resolvers_top", lag, "laggards", lag, "errors", errors);
}

/* What every picture must be: one SVG element, balanced groups, nothing
 * fetched or run, no number printed as nan or inf. */
static void assert_clean_svg(const char *svg, size_t len)
{
	assert_non_null(svg);
	assert_int_equal(len, strlen(svg));
	assert_true(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	assert_non_null(strstr(svg, "</svg>\n"));
	assert_int_equal(strlen(strstr(svg, "</svg>\n")), 7);
	assert_int_equal(count(svg, "<g ") + count(svg, "<g>"), count(svg, "</g>"));
	assert_int_equal(count(svg, "<text"), count(svg, "</text>"));
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "url("));
	assert_null(strstr(svg, "nan"));
	assert_null(strstr(svg, "inf"));
	assert_null(strstr(svg, "(null)"));
}

static void test_sample(void **state)
{
	(void)state;
	json_t *r = sample_report("www.a&b<c>.test.");
	size_t len = 0;
	char *svg = svg_propagation(r, &len);
	const char *band;

	assert_clean_svg(svg, len);
	/* The band is one closed path: up along the upper bound, back along the lower. */
	band = strstr(svg, "<path class=\"band\"");
	assert_non_null(band);
	assert_non_null(strstr(band, " d=\"M"));
	assert_non_null(strchr(band, 'Z'));
	assert_true(strchr(band, 'Z') < strstr(band, "/>"));
	assert_non_null(strstr(svg, "<path class=\"expected\""));
	assert_non_null(strstr(svg, "<path class=\"refetched\""));
	assert_non_null(strstr(svg, "<g class=\"errors-old\""));
	assert_true(count(svg, "old-side requests failed") >= 19); /* a bar a minute, before the flip too */
	assert_non_null(strstr(svg, "<g class=\"one-pct\""));
	assert_non_null(strstr(svg, "<g class=\"flip-marker\""));
	assert_non_null(strstr(svg, "<g class=\"now-marker\""));
	assert_non_null(strstr(svg, "below 1% at 42s"));
	assert_non_null(strstr(svg, "TTL 30s"));
	assert_non_null(strstr(svg, "2026-11-24T10:00:00Z"));
	assert_non_null(strstr(svg, "cdn \xE2\x86\x92 origin"));
	assert_non_null(strstr(svg, "<g class=\"legend\""));
	assert_non_null(strstr(svg, "estimate band (lower\xE2\x80\x93upper, 90%)"));
	assert_non_null(strstr(svg, ">expected</text>"));
	assert_non_null(strstr(svg, ">re-fetched</text>"));
	assert_non_null(strstr(svg, ">1% of traffic</text>"));
	assert_non_null(strstr(svg, "old side: errors / requests a minute"));
	/* The name, escaped everywhere it appears (title and headline). */
	assert_int_equal(count(svg, "www.a&amp;b&lt;c&gt;.test."), 2);
	assert_null(strstr(svg, "a&b"));
	assert_null(strstr(svg, "<c>"));
	/* Ticks of the log scale: seconds and minutes, up to the age. */
	assert_non_null(strstr(svg, ">10s</text>"));
	assert_non_null(strstr(svg, ">1m</text>"));
	assert_non_null(strstr(svg, ">10m</text>"));
	assert_null(strstr(svg, ">1h</text>"));
	free(svg);
	json_decref(r);
}

/* A day of curve (2,000 points) is thinned to what the plot can show. */
static void test_long_curve_is_thinned(void **state)
{
	(void)state;
	json_t *r = sample_report("long.test."), *curve = json_object_get(r, "curve");
	size_t len;
	char *svg;

	for (int t = 610; t <= 86400; t += t < 3600 ? 10 : 60)
		json_array_append_new(curve, json_pack("{s:i,s:f,s:f,s:f,s:f}", "t", t, "lower", 0.0, "expected", 0.001,
		                                       "upper", 0.002, "refetched", 1.0));
	json_object_set_new(r, "age_s", json_integer(86400));
	svg = svg_propagation(r, &len);
	assert_clean_svg(svg, len);
	assert_non_null(strstr(svg, ">1d</text>"));
	/* 2,000 points would be 2,000 segments in each path. */
	assert_true(count(strstr(svg, "<path class=\"expected\""), "L") < 1500);
	free(svg);
	json_decref(r);
}

static void test_empty_and_missing(void **state)
{
	(void)state;
	json_t *inputs[] = {
		NULL,
		json_object(),
		json_array(),
		json_string("garbage"),
		json_pack("{s:s,s:[],s:n,s:n,s:n}", "switch", "x.test.", "curve", "errors", "now", "below_1pct_s"),
		json_pack("{s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "switch", "flip", "flips", "state", "from", "to", "age_s",
		          "curve"),
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t len;
		char *svg = svg_propagation(inputs[i], &len);
		assert_clean_svg(svg, len);
		assert_non_null(strstr(svg, "no curve yet"));
		assert_null(strstr(svg, "class=\"band\""));
		assert_null(strstr(svg, "class=\"errors-old\""));
		free(svg);
		json_decref(inputs[i]);
	}
}

static void test_garbage_fields(void **state)
{
	(void)state;
	json_t *r = json_loads(
	    "{\"switch\": 42, \"flip\": \"x\", \"flips\": [], \"state\": {}, \"from\": null, \"to\": 1,"
	    " \"age_s\": -5, \"ttl_s\": \"30\", \"below_1pct_s\": -1e308, \"now\": [1, 2],"
	    " \"curve\": [1, \"a\", null, [], {\"t\": \"5\"}, {\"t\": -3, \"lower\": 0.5}, {\"t\": 1e300, \"lower\": 0},"
	    "   {\"t\": 5, \"lower\": \"x\", \"upper\": null, \"expected\": 2.5, \"refetched\": -7},"
	    "   {\"t\": 3, \"lower\": -1, \"upper\": 1e308, \"expected\": 0.5}, {\"t\": 1, \"lower\": 0.1, \"upper\": 0.2}],"
	    " \"errors\": [{\"t\": 0, \"old_requests\": -5, \"old_errors\": 10}, {\"t\": 60, \"old_requests\": 0},"
	    "   {}, 7, {\"t\": -1e308, \"old_requests\": 10, \"old_errors\": 1e308}, {\"t\": 120, \"old_requests\": 10,"
	    "   \"old_errors\": 1e308, \"new_requests\": 1e308, \"new_errors\": \"x\"}]}",
	    0, NULL);
	size_t len;
	char *svg;

	assert_non_null(r);
	svg = svg_propagation(r, &len);
	assert_clean_svg(svg, len);
	/* The out-of-order points are drawn in order of t; the band has two. */
	assert_non_null(strstr(svg, "<path class=\"band\""));
	assert_non_null(strstr(svg, "(unnamed switch)"));
	/* An error rate over 100% is 100%: the axis tops out there. */
	assert_non_null(strstr(svg, ">100%</text>"));
	free(svg);
	json_decref(r);
}

static void test_duration_and_escape(void **state)
{
	(void)state;
	/* clang-format off */
	static const struct {
		double s;
		const char *want;
	} cases[] = { { 0, "0s" },       { 42, "42s" },     { 0.5, "0.5s" },    { 90, "1m30s" }, { 600, "10m" },
		      { 3600, "1h" },    { 7260, "2h01m" }, { 86400, "1d" },    { 90000, "1d01h" },
		      { -600, "-10m" } };
	/* clang-format on */
	char b[32], *out = NULL;
	size_t n = 0;
	FILE *f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(svg_duration(cases[i].s, b, sizeof(b)), cases[i].want);
	f = open_memstream(&out, &n);
	svg_escape(f, "a&<>\"'\x01z");
	svg_escape(f, NULL);
	fclose(f);
	assert_string_equal(out, "a&amp;&lt;&gt;&quot;&#39;\xEF\xBF\xBDz");
	free(out);
}

/* ---- the status page ---- */

static json_t *sample_list(void)
{
	return json_pack("{s:[{s:s,s:s,s:s,s:b,s:b,s:[s],s:b,s:I,s:{s:s,s:s,s:s,s:I,s:I},s:{s:s},s:{s:[s]}},"
	                 "{s:s,s:s,s:s,s:b,s:b,s:[],s:b,s:I,s:n}],"
	                 "s:{s:b,s:s,s:s,s:I}}",
	                 "switches",
	                 /* on the origin, pinned, its CDN down */
	                 "switch", "www.a.test.", "side", "origin", "cause", "pin", "pinned", 1, "armed", 0, "down", "cdn",
	                 "held_by_brake", 0, "last_flip", (json_int_t)1795514400000, "pin", "side", "origin", "reason",
	                 "CDN <incident> 4711", "actor", "root (uid 0)", "created", (json_int_t)1795514400000, "expires",
	                 (json_int_t)1795521600000, "cdn_answer", "cname", "cust.cdn.example.net.", "origin_answer", "a",
	                 "192.0.2.9",
	                 /* on the CDN, armed, never flipped */
	                 "switch", "b&c.test.", "side", "cdn", "cause", "initial", "pinned", 0, "armed", 1, "down",
	                 "held_by_brake", 0, "last_flip", (json_int_t)0, "pin",
	                 "brake", "engaged", 1, "reason", "11 flips in 10m", "actor", "routerd", "since",
	                 (json_int_t)1795514400000);
}

static void test_status_page(void **state)
{
	(void)state;
	json_t *list = sample_list(), *r = sample_report("www.a.test.");
	size_t len;
	char *html = status_page_html(list, r, &len);
	const char *a, *b;

	assert_non_null(html);
	assert_int_equal(len, strlen(html));
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "<link"));
	assert_non_null(strstr(html, "<title>routerd status</title>"));
	assert_non_null(strstr(html, "2 switches: 1 on the CDN, 1 on the origin, 1 pinned, 1 armed"));
	/* One row per switch, the notable one (on the origin) first. */
	a = strstr(html, "<td class=\"name\">www.a.test.</td>");
	b = strstr(html, "<td class=\"name\">b&amp;c.test.</td>");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_int_equal(count(html, "<tr>"), 3 + 6); /* header, 2 switches, 6 rows of numbers */
	/* The side served is marked, one a row; a side down says so. */
	assert_int_equal(count(html, " active\""), 2);
	assert_non_null(strstr(a, "<td class=\"side cdn down\"><span class=\"tag down\">down</span> CNAME cust.cdn.example.net.</td>"));
	assert_non_null(strstr(a, "<td class=\"side origin active\"><span class=\"tag on\">serving</span> A 192.0.2.9</td>"));
	assert_non_null(strstr(b, "<td class=\"side cdn active\"><span class=\"tag on\">serving</span> cdn</td>"));
	assert_non_null(strstr(b, "<td class=\"side origin\">origin</td>"));
	/* The pin with its end and reason, escaped; the armed TTL; never flipped. */
	assert_non_null(strstr(a, "until 2026-11-24T12:00:00Z: CDN &lt;incident&gt; 4711"));
	assert_non_null(strstr(b, "<span class=\"tag armed\">armed</span>"));
	assert_non_null(strstr(b, ">never</td>"));
	assert_non_null(strstr(html, "Safety brake engaged</b> since 2026-11-24T10:00:00Z: 11 flips in 10m"));
	/* The latest flip: its numbers and its picture, inline. */
	assert_non_null(strstr(html, "cdn \xE2\x86\x92 origin at 2026-11-24T10:00:00Z, TTL 30s"));
	assert_non_null(strstr(html, "expected <b>0.1%</b>"));
	assert_non_null(strstr(html, "at 42s after the flip"));
	assert_non_null(strstr(html, "<figure>\n<svg xmlns="));
	assert_non_null(strstr(html, "<path class=\"band\""));
	assert_string_equal(status_page_latest(list), "www.a.test.");
	free(html);

	/* No report: which flip lacks one, or that there was none yet. */
	html = status_page_html(list, NULL, NULL);
	assert_non_null(strstr(html, "No propagation report for the latest flip (www.a.test.)"));
	assert_null(strstr(html, "<svg"));
	free(html);
	json_object_set_new(json_array_get(json_object_get(list, "switches"), 0), "last_flip", json_integer(0));
	assert_null(status_page_latest(list));
	html = status_page_html(list, NULL, NULL);
	assert_non_null(strstr(html, "No flip yet"));
	free(html);
	json_decref(list);
	json_decref(r);
}

static void test_status_page_forms_and_garbage(void **state)
{
	(void)state;
	json_t *rows = json_pack("[{s:s,s:s}]", "switch", "x.test.", "side", "origin");
	json_t *reply = json_pack("{s:b,s:O}", "ok", 1, "data", rows);
	json_t *bad[] = { NULL, json_string("x"), json_pack("[i,s,n,{},[]]", 1, "x"),
		          json_pack("{s:[{s:i,s:i,s:s,s:i,s:s,s:[i]}],s:s}", "switches", "switch", 1, "side", 2, "pin",
		                    "x", "last_flip", -5, "cause", "c", "down", 3, "brake", "x") };
	char *html;

	/* The list rows, or the whole reply of "list". */
	for (int k = 0; k < 2; k++) {
		html = status_page_html(k ? reply : rows, NULL, NULL);
		assert_non_null(strstr(html, "<td class=\"side origin active\">"));
		assert_null(strstr(html, "Safety brake"));
		free(html);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *report = json_pack("{s:s,s:i}", "curve", "x", "now", 3);
		html = status_page_html(bad[i], i % 2 ? report : NULL, NULL);
		assert_non_null(html);
		assert_non_null(strstr(html, "</html>\n"));
		assert_null(strstr(html, "(null)"));
		free(html);
		json_decref(report);
		json_decref(bad[i]);
	}
	json_decref(rows);
	json_decref(reply);
}

static void test_status_page_bounded(void **state)
{
	(void)state;
	json_t *rows = json_array();
	char name[64], *html;

	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "s%03d.test.", i);
		json_array_append_new(rows, json_pack("{s:s,s:s}", "switch", name, "side", i == 599 ? "origin" : "cdn"));
	}
	html = status_page_html(rows, NULL, NULL);
	assert_int_equal(count(html, "<tr>"), 1 + STATUS_PAGE_MAX_ROWS);
	assert_non_null(strstr(html, "100 more not shown"));
	/* The one on the origin is shown, though last by name. */
	assert_non_null(strstr(html, ">s599.test.<"));
	assert_null(strstr(html, ">s550.test.<"));
	free(html);
	json_decref(rows);
}

static void test_add_answers(void **state)
{
	(void)state;
	struct in_addr a;
	struct cfg_switch sws[2];
	struct config cfg;
	json_t *rows = json_pack("[{s:s},{s:s},{s:i}]", "switch", "b.test.", "switch", "nope.test.", "switch", 3);

	memset(sws, 0, sizeof(sws));
	memset(&cfg, 0, sizeof(cfg));
	inet_pton(AF_INET, "192.0.2.9", &a);
	sws[0].name = "z.test.";
	sws[1].name = "b.test.";
	sws[1].cdn.cname = "b.cdn.example.net.";
	sws[1].origin.a = &a;
	sws[1].origin.n_a = 1;
	cfg.switches = sws;
	cfg.n_switches = 2;
	status_page_add_answers(rows, &cfg);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(json_array_get(rows, 0), "cdn_answer"), "cname")),
	                    "b.cdn.example.net.");
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(json_object_get(json_array_get(rows, 0), "origin_answer"), "a"), 0)),
	                    "192.0.2.9");
	assert_null(json_object_get(json_array_get(rows, 1), "cdn_answer"));
	assert_null(json_object_get(json_array_get(rows, 2), "cdn_answer"));
	status_page_add_answers(NULL, &cfg);
	status_page_add_answers(rows, NULL);
	json_decref(rows);
}

/* The fleet: a marker per secondary's first new-side answer, the
 * unobserved named in the picture and the status page's server table. */
static void test_fleet_servers(void **state)
{
	json_t *r = sample_report("www.example.com.");
	size_t len;
	char *svg, *html;
	(void)state;
	json_object_set_new(r, "servers",
	                    json_pack("[{s:s, s:b, s:f, s:f, s:f, s:f, s:n}, {s:s, s:b, s:f, s:f, s:f, s:n, s:f}, {s:s, s:b}]",
	                              "server", "knot1", "observed", 1, "traffic_share", 0.5, "old_share", 0.1,
	                              "remaining_share", 0.2, "first_new_s", 2.5, "last_old_s", "server", "nsd<1>",
	                              "observed", 1, "traffic_share", 0.5, "old_share", 0.4, "remaining_share", 0.8,
	                              "first_new_s", "last_old_s", 30.0, "server", "ns4", "observed", 0));
	json_object_set_new(r, "unobserved", json_pack("[s]", "ns4"));
	svg = svg_propagation(r, &len);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "knot1 new</text>"));
	assert_null(strstr(svg, "nsd&lt;1&gt; new")); /* not yet on the new side: no marker */
	assert_non_null(strstr(svg, "no dnstap from: ns4"));
	free(svg);
	json_t *list = sample_list();
	html = status_page_html(list, r, &len);
	json_decref(list);
	assert_non_null(html);
	assert_non_null(strstr(html, "<table class=\"servers\">"));
	assert_non_null(strstr(html, "nsd&lt;1&gt;"));
	assert_non_null(strstr(html, "unobserved: no dnstap"));
	free(html);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_long_curve_is_thinned),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_garbage_fields),
		cmocka_unit_test(test_duration_and_escape),
		cmocka_unit_test(test_status_page),
		cmocka_unit_test(test_status_page_forms_and_garbage),
		cmocka_unit_test(test_status_page_bounded),
		cmocka_unit_test(test_add_answers),
		cmocka_unit_test(test_fleet_servers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
