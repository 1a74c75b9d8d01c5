/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_journal_fixture.c -- a journal written by routerd 0.2.0 (before
 * typed journal records) still recovers, to the same state that release
 * recovered from it. fixtures/journal-0.2/journal holds every kind of
 * record (make.sh there says how it was made); expected-state.json is the
 * state 0.2.0 built from it (state_to_json after the replay).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/journal.h"
#include "switch/state.h"

#define FIXTURE "fixtures/journal-0.2"

static char dir[64];

/* Copy the fixture into a scratch state_dir: recovery may cut a tail. */
static void copy_journal(void)
{
	char cmd[256];
	snprintf(dir, sizeof(dir), "/tmp/test_jfix.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp " FIXTURE "/journal %s/journal", dir);
	assert_int_equal(system(cmd), 0);
}

static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_recovers_to_the_old_state(void **unused)
{
	struct state *st = state_new(0);
	struct journal_info info;
	json_error_t jerr;
	json_t *want = json_load_file(FIXTURE "/expected-state.json", 0, &jerr), *got;

	(void)unused;
	assert_non_null(want);
	copy_journal();
	assert_int_equal(journal_replay(dir, state_replay_cb, st, &info), 0);
	assert_int_equal(info.records, 16);
	assert_int_equal(info.dropped_bytes, 0);

	/* The facts the records carry, spelled out. */
	assert_int_equal(st->n, 6);
	assert_null(state_lookup(st, "f.t.test")); /* removed by a reload */
	assert_non_null(state_lookup(st, "g.t.test"));
	assert_int_equal(state_lookup(st, "c.t.test")->side, SIDE_ORIGIN);
	assert_true(state_lookup(st, "c.t.test")->pin.active);
	assert_int_equal(state_lookup(st, "c.t.test")->pin.expires, 1796288869593LL);
	assert_true(state_lookup(st, "d.t.test")->pin.active);
	assert_int_equal(state_lookup(st, "d.t.test")->pin.expires, 4070908800000LL);
	assert_false(state_lookup(st, "e.t.test")->pin.active);
	assert_int_equal(state_lookup(st, "a.t.test")->cause, ST_CAUSE_FAILBACK);
	assert_true(st->brake.engaged);

	/* And everything else: the state 0.2.0 recovered. */
	got = state_to_json(st);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
		fprintf(stderr, "recovered state differs from " FIXTURE "/expected-state.json:\n%s\n", g);
		free(g);
		fail();
	}
	json_decref(got);
	json_decref(want);
	state_free(st);
	remove_dir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovers_to_the_old_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
