/* SPDX-License-Identifier: BSD-3-Clause */
/* test_webhook.c -- payload parsing on the shapes Alertmanager and Grafana send. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "admin/webhook.h"

static const struct webhook_opts opts = { "severity", "warning" };

/* Alertmanager 0.25 webhook v4: a group of two alerts for routerd and one
 * unrelated alert, with truncatedAlerts set as when max_alerts cuts. */
/* clang-format off */
static const char *am_grouped =
	"{\"receiver\":\"routerd\",\"status\":\"firing\",\"alerts\":["
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"Edge503\",\"routerd_switch\":\"www.example.com\","
	"\"severity\":\"critical\"},\"annotations\":{\"summary\":\"503s\"},\"startsAt\":\"2026-11-24T10:00:00Z\","
	"\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://prom/graph\",\"fingerprint\":\"a1b2c3d4e5f60718\"},"
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"OriginDown\",\"routerd_switch\":\"*.example.org\","
	"\"routerd_target\":\"origin\"},\"annotations\":{},\"startsAt\":\"2026-11-24T10:00:00Z\","
	"\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\",\"fingerprint\":\"ffeeddccbbaa9988\"},"
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"DiskFull\"},\"annotations\":{},"
	"\"startsAt\":\"2026-11-24T10:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"fingerprint\":\"0000000000000001\"}],"
	"\"groupLabels\":{\"alertname\":\"Edge503\"},\"commonLabels\":{},\"commonAnnotations\":{},"
	"\"externalURL\":\"http://am:9093\",\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"Edge503\\\"}\","
	"\"truncatedAlerts\":3}";
/* clang-format on */

/* clang-format off */
static const char *am_resolved_warning =
	"{\"receiver\":\"routerd\",\"status\":\"resolved\",\"alerts\":["
	"{\"status\":\"resolved\",\"labels\":{\"alertname\":\"Edge5xxRising\",\"routerd_switch\":\"www.example.com\","
	"\"severity\":\"warning\"},\"annotations\":{},\"startsAt\":\"2026-11-24T10:00:00Z\","
	"\"endsAt\":\"2026-11-24T10:05:00Z\",\"generatorURL\":\"\",\"fingerprint\":\"1111\"}],"
	"\"groupLabels\":{},\"commonLabels\":{},\"commonAnnotations\":{},\"externalURL\":\"\",\"version\":\"4\","
	"\"groupKey\":\"{}\",\"truncatedAlerts\":0}";
/* clang-format on */

/* Grafana unified alerting webhook (version "1"). */
/* clang-format off */
static const char *grafana =
	"{\"receiver\":\"routerd\",\"status\":\"firing\",\"orgId\":1,\"alerts\":["
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"CDN errors\",\"grafana_folder\":\"edge\","
	"\"routerd_switch\":\"shop.example.com\"},\"annotations\":{},\"startsAt\":\"2026-11-24T10:00:00Z\","
	"\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://grafana/alerting/grafana/x/view\","
	"\"fingerprint\":\"57c6d9296de2ad39\",\"silenceURL\":\"\",\"dashboardURL\":\"\",\"panelURL\":\"\","
	"\"values\":{\"B\":22,\"C\":1},\"valueString\":\"[ var='B' value=22 ]\"}],"
	"\"groupLabels\":{\"alertname\":\"CDN errors\"},\"commonLabels\":{},\"commonAnnotations\":{},"
	"\"externalURL\":\"http://grafana/\",\"version\":\"1\",\"groupKey\":\"{}:{}\",\"truncatedAlerts\":0,"
	"\"title\":\"[FIRING:1] CDN errors\",\"state\":\"alerting\",\"message\":\"...\"}";
/* clang-format on */

static void test_alertmanager_grouped(void **state)
{
	(void)state;
	struct signal_event *ev;
	size_t n, ignored;
	char err[256];

	assert_int_equal(webhook_parse_signals(SRC_ALERTMANAGER, am_grouped, strlen(am_grouped), &opts, &ev, &n, &ignored,
	                                       err, sizeof(err)),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(ignored, 1);
	assert_string_equal(ev[0].target, "www.example.com");
	assert_int_equal(ev[0].kind, SIG_DOWN);
	assert_int_equal(ev[0].side, 0); /* default target: the CDN */
	assert_string_equal(ev[0].id, "a1b2c3d4e5f60718");
	assert_string_equal(ev[0].reason, "Edge503");
	assert_string_equal(ev[1].target, "*.example.org");
	assert_int_equal(ev[1].side, 1);
	free(ev);
}

static void test_alertmanager_resolved_warning(void **state)
{
	(void)state;
	struct signal_event *ev;
	size_t n, ignored;
	char err[256];

	assert_int_equal(webhook_parse_signals(SRC_ALERTMANAGER, am_resolved_warning, strlen(am_resolved_warning), &opts,
	                                       &ev, &n, &ignored, err, sizeof(err)),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, SIG_WARN_CLEAR);
	free(ev);
}

static void test_grafana(void **state)
{
	(void)state;
	struct signal_event *ev;
	size_t n, ignored;
	char err[256];

	assert_int_equal(
	    webhook_parse_signals(SRC_GRAFANA, grafana, strlen(grafana), &opts, &ev, &n, &ignored, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, SIG_DOWN);
	assert_string_equal(ev[0].id, "57c6d9296de2ad39");
	assert_string_equal(ev[0].target, "shop.example.com");
	free(ev);
}

static void test_signal(void **state)
{
	(void)state;
	struct signal_event *ev;
	size_t n, ignored;
	char err[256];
	const char *ok = "{\"switch\":\"www.example.com\",\"target\":\"cdn\",\"status\":\"down\",\"id\":\"probe-1\","
	                 "\"reason\":\"probe failed\"}";

	assert_int_equal(webhook_parse_signals(SRC_SIGNAL, ok, strlen(ok), &opts, &ev, &n, &ignored, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, SIG_DOWN);
	assert_string_equal(ev[0].id, "probe-1");
	assert_string_equal(ev[0].reason, "probe failed");
	free(ev);
}

struct bad_case {
	enum webhook_source src;
	const char *body;
	const char *error;
};

static void test_bad_payloads(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ SRC_ALERTMANAGER, "{\"alerts\": [", "malformed JSON" },
		{ SRC_ALERTMANAGER, "[]", "JSON object" },
		{ SRC_ALERTMANAGER, "{\"version\":\"4\",\"alerts\":{}}", "must be an array" },
		{ SRC_ALERTMANAGER, "{\"version\":\"3\",\"alerts\":[]}", "unsupported payload version" },
		{ SRC_ALERTMANAGER, "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"routerd_switch\":\"a\","
		                    "\"routerd_target\":\"edge\"}}]}",
		  "routerd_target must be cdn or origin" },
		{ SRC_ALERTMANAGER, "{\"alerts\":[{\"status\":\"pending\",\"labels\":{\"routerd_switch\":\"a\"}}]}",
		  "status must be" },
		{ SRC_ALERTMANAGER, "{\"alerts\":[{\"status\":\"firing\"}]}", "labels object" },
		{ SRC_ALERTMANAGER, "{\"alerts\":[], \"alerts\":[]}", "malformed JSON" }, /* duplicate key */
		{ SRC_SIGNAL, "{\"target\":\"cdn\",\"status\":\"down\"}", "\"switch\"" },
		{ SRC_SIGNAL, "{\"switch\":\"a\",\"status\":\"sideways\"}", "\"status\"" },
		{ SRC_SIGNAL, "{\"switch\":\"a\",\"status\":\"down\",\"target\":7}", "\"target\" must be a string" },
		{ SRC_SIGNAL, "{\"switch\":\"a\",\"status\":\"down\",\"target\":\"both\"}", "cdn or origin" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct signal_event *ev = (void *)1;
		size_t n = 99, ignored;
		char err[256] = "";
		int rc = webhook_parse_signals(cases[i].src, cases[i].body, strlen(cases[i].body), &opts, &ev, &n, &ignored,
		                               err, sizeof(err));
		if (rc != -EINVAL || strstr(err, cases[i].error) == NULL)
			fail_msg("case %zu (%s): rc %d, error \"%s\", wanted \"%s\"", i, cases[i].body, rc, err,
			         cases[i].error);
		assert_null(ev);
		assert_int_equal(n, 0);
	}
}

static void test_errors_report(void **state)
{
	(void)state;
	struct error_report r;
	char err[256];
	const char *ok = "{\"switch\":\"www.example.com\",\"target\":\"cdn\",\"window_s\":60,\"requests\":1000,\"errors\":37}";

	assert_int_equal(webhook_parse_errors(ok, strlen(ok), &r, err, sizeof(err)), 0);
	assert_string_equal(r.target, "www.example.com");
	assert_int_equal(r.side, 0);
	assert_int_equal(r.window_s, 60);
	assert_int_equal(r.requests, 1000);
	assert_int_equal(r.errors, 37);

	static const char *bad[] = {
		"{\"switch\":\"a\",\"target\":\"cdn\",\"requests\":-1,\"errors\":0}",
		"{\"switch\":\"a\",\"target\":\"cdn\",\"requests\":10,\"errors\":11}",
		"{\"switch\":\"a\",\"target\":\"cdn\",\"requests\":1e300,\"errors\":0}",
		"{\"switch\":\"a\",\"target\":\"cdn\",\"requests\":99999999999999999,\"errors\":0}",
		"{\"switch\":\"a\",\"target\":\"cdn\",\"window_s\":0,\"requests\":1,\"errors\":0}",
		"{\"switch\":\"a\",\"target\":\"up\",\"requests\":1,\"errors\":0}",
		"{\"target\":\"cdn\",\"requests\":1,\"errors\":0}",
		"{\"switch\":\"a\",\"target\":\"cdn\",\"requests\":\"5\",\"errors\":0}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (webhook_parse_errors(bad[i], strlen(bad[i]), &r, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted bad error report %s", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* clang-format off */
		cmocka_unit_test(test_alertmanager_grouped), cmocka_unit_test(test_alertmanager_resolved_warning),
		cmocka_unit_test(test_grafana),              cmocka_unit_test(test_signal),
		cmocka_unit_test(test_bad_payloads),         cmocka_unit_test(test_errors_report),
		/* clang-format on */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
