/* SPDX-License-Identifier: BSD-3-Clause */
/* test_lib.c -- the one-of-each definitions in lib/: the side's names, the
 * name spelling, the hash (its constants are in journals: they must not
 * move), the error helper and the log's reopen. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "admin/webhook.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/name.h"
#include "lib/side.h"

static void test_side(void **state)
{
	enum side s = SIDE_ORIGIN;

	(void)state;
	assert_string_equal(side_name(SIDE_CDN), "cdn");
	assert_string_equal(side_name(SIDE_ORIGIN), "origin");
	assert_int_equal(side_parse("origin", &s), 0);
	assert_int_equal(s, SIDE_ORIGIN);
	assert_int_equal(side_parse("cdn", &s), 0);
	assert_int_equal(s, SIDE_CDN);
	/* The config and routerctl take the names exactly; webhooks in any case. */
	assert_int_equal(side_parse("CDN", &s), -EINVAL);
	assert_int_equal(side_parse("", &s), -EINVAL);
	assert_int_equal(side_parse(NULL, &s), -EINVAL);
	assert_int_equal(side_parse_anycase("Origin", &s), 0);
	assert_int_equal(s, SIDE_ORIGIN);
	assert_int_equal(side_other(SIDE_CDN), SIDE_ORIGIN);
	assert_int_equal(side_other(SIDE_ORIGIN), SIDE_CDN);
}

static void test_name(void **state)
{
	char out[NAME_TEXT_MAX], longname[300];

	(void)state;
	assert_int_equal(name_normalize("WWW.Example.COM", out, sizeof(out)), 0);
	assert_string_equal(out, "www.example.com.");
	assert_int_equal(name_normalize("www.example.com.", out, sizeof(out)), 0);
	assert_string_equal(out, "www.example.com.");
	assert_int_equal(name_normalize("", out, sizeof(out)), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(name_normalize(longname, out, sizeof(out)), -EINVAL);
	assert_int_equal(name_normalize("abc", out, 4), -EINVAL); /* "abc." and the NUL: 5 */
	assert_int_equal(name_normalize("abc", out, 5), 0);
}

/* FNV-1a 64 (the published test vectors), and the webhook's label ids as
 * release 0.2.0 wrote them to journals (test/integration/signal-ids). */
static void test_hash(void **state)
{
	struct webhook_opts o = { "severity", "warning" };
	struct signal_event *ev = NULL;
	size_t n = 0, ignored = 0;
	char err[256];
	const char *body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	                   "{\"alertname\":\"Edge5xx\",\"routerd_switch\":\"www.t.test\",\"routerd_target\":\"cdn\"}}]}";

	(void)state;
	assert_true(hash_str("") == 0xcbf29ce484222325ull);
	assert_true(hash_str("a") == 0xaf63dc4c8601ec8cull);
	assert_true(hash_bytes(HASH_INIT, "foobar", 6) == 0x85944171f73967e8ull);
	assert_true(hash_bytes(HASH_INIT, "a", 1) == hash_str("a"));
	assert_int_equal(webhook_parse_signals(SRC_ALERTMANAGER, body, strlen(body), &o, &ev, &n, &ignored, err,
	                                       sizeof(err)),
	                 0);
	assert_int_equal(n, 1);
	assert_string_equal(ev[0].id, "labels-1904e78c2cbe5ec7");
	free(ev);
}

static void test_err_set(void **state)
{
	char err[8];

	(void)state;
	assert_int_equal(err_set(err, sizeof(err), -ENOENT, "no %s here", "switch"), -ENOENT);
	assert_string_equal(err, "no swit"); /* cut, never overflowing */
	assert_int_equal(err_set(NULL, 0, -EINVAL, "nowhere to write"), -EINVAL);
}

/* stderr is not a file here (cmocka's terminal or a pipe): nothing to reopen. */
static void test_log_reopen_without_file(void **state)
{
	(void)state;
	log_open();
	assert_true(log_reopen() >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_side),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_err_set),
		cmocka_unit_test(test_log_reopen_without_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
