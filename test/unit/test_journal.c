/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_journal.c -- the journal: round trip, torn and corrupt tails (cut,
 * kept before, appended after), snapshots giving the same state as the
 * records they replace, and crashes between the snapshot's steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "lib/journal.h"
#include "lib/log.h"
#include "switch/policy.h"
#include "switch/state.h"

#define T0 1700000000000LL

static char dir[64];
static char path[256];

static const char *file(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static int setup(void **unused)
{
	(void)unused;
	snprintf(dir, sizeof(dir), "/tmp/test_journal.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **unused)
{
	(void)unused;
	unlink(file("journal"));
	unlink(file("snapshot.json"));
	unlink(file("snapshot.tmp"));
	return rmdir(dir);
}

/* ---- helpers ---- */

struct seen {
	json_t *recs; /* the records, in order */
	json_t *snap;
};

static int collect(const json_t *rec, int is_snapshot, void *arg)
{
	struct seen *s = arg;
	if (is_snapshot) {
		json_decref(s->snap);
		s->snap = json_deep_copy(rec);
	} else {
		json_array_append_new(s->recs, json_deep_copy(rec));
	}
	return 0;
}

static void seen_init(struct seen *s)
{
	s->recs = json_array();
	s->snap = NULL;
}

static void seen_free(struct seen *s)
{
	json_decref(s->recs);
	json_decref(s->snap);
}

static void append(struct journal *j, const char *x)
{
	json_t *rec = json_pack("{s:s}", "x", x);
	assert_int_equal(journal_append(j, rec), 0);
	json_decref(rec);
}

static struct journal *open_j(const struct journal_opts *o, journal_cb cb, void *arg, struct journal_info *info)
{
	struct journal *j;
	int r = journal_open(&j, dir, o, cb, arg, info);
	if (r != 0)
		fail_msg("journal_open: %s", journal_strerror(r));
	return j;
}

/* A journal holding records "r1".."rN". */
static void write_records(int n)
{
	struct seen s;
	struct journal *j;
	char x[16];
	seen_init(&s);
	j = open_j(NULL, collect, &s, NULL);
	for (int i = 1; i <= n; i++) {
		snprintf(x, sizeof(x), "r%d", i);
		append(j, x);
	}
	journal_close(j);
	seen_free(&s);
}

static off_t size_of(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? sb.st_size : -1;
}

/* Offset of record I (0-based) in the journal, from the length fields. */
static off_t record_offset(int i)
{
	unsigned char h[8];
	off_t off = 0;
	int fd = open(file("journal"), O_RDONLY);
	assert_true(fd >= 0);
	for (; i > 0; i--) {
		assert_int_equal(pread(fd, h, 8, off), 8);
		off += 8 + (h[0] | h[1] << 8 | h[2] << 16 | (off_t)h[3] << 24);
	}
	close(fd);
	return off;
}

static void poke(off_t off, const void *bytes, size_t n)
{
	int fd = open(file("journal"), O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, off), (ssize_t)n);
	close(fd);
}

/* Replay; check the records are exactly X[0..n-1]. */
static void expect_records(const char *const *x, size_t n, struct journal_info *info)
{
	struct seen s;
	seen_init(&s);
	assert_int_equal(journal_replay(dir, collect, &s, info), 0);
	assert_int_equal(json_array_size(s.recs), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(s.recs, i), "x")), x[i]);
	seen_free(&s);
}

/* stderr into a file, to see the warning a torn tail must log. */
static int saved_stderr = -1;

static void capture_begin(void)
{
	int fd = open(file("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *capture_end(void)
{
	static char buf[4096];
	int fd;
	ssize_t n;
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	fd = open(file("stderr"), O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(file("stderr"));
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* ---- framing ---- */

static void test_crc32c(void **unused)
{
	(void)unused;
	/* The check value of CRC-32C (RFC 3720 B.4; iSCSI, ext4, SCTP). */
	assert_int_equal(journal_crc32c("123456789", 9), 0xE3069283u);
	assert_int_equal(journal_crc32c("", 0), 0);
}

static void test_round_trip(void **unused)
{
	static const char *const want[] = { "r1", "r2", "r3", "r4" };
	struct journal_info info;
	struct seen s;
	struct journal *j;

	(void)unused;
	write_records(3);
	expect_records(want, 3, &info);
	assert_int_equal(info.records, 3);
	assert_int_equal(info.last_seq, 3);
	assert_int_equal(info.dropped_bytes, 0);
	assert_false(info.snapshot);
	/* Reopened: numbering continues. */
	seen_init(&s);
	j = open_j(NULL, collect, &s, NULL);
	assert_int_equal(journal_seq(j), 3);
	append(j, "r4");
	assert_int_equal(journal_seq(j), 4);
	assert_int_equal(journal_bytes(j), (uint64_t)size_of(file("journal")));
	journal_close(j);
	seen_free(&s);
	expect_records(want, 4, NULL);
	seen_init(&s);
	assert_int_equal(journal_replay(dir, collect, &s, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(s.recs, 3), "seq")), 4);
	seen_free(&s);
}

/* Cut a journal of three records at CUT bytes into the third; replay keeps
 * two, warns, cuts the file, and a later append is read back after them. */
static void torn_at(off_t cut)
{
	static const char *const want[] = { "r1", "r2", "later" };
	struct journal_info info;
	struct seen s;
	struct journal *j;
	off_t third;
	char *err;

	write_records(3);
	third = record_offset(2);
	assert_int_equal(truncate(file("journal"), third + cut), 0);
	capture_begin();
	expect_records(want, 2, &info);
	err = capture_end();
	assert_non_null(strstr(err, "<4>"));
	assert_non_null(strstr(err, "journal"));
	assert_int_equal(info.dropped_bytes, cut);
	assert_int_equal(size_of(file("journal")), third);
	seen_init(&s);
	j = open_j(NULL, collect, &s, NULL);
	assert_int_equal(journal_seq(j), 2);
	append(j, "later");
	journal_close(j);
	seen_free(&s);
	expect_records(want, 3, &info);
	assert_int_equal(info.dropped_bytes, 0);
	assert_int_equal(info.last_seq, 3);
}

static void test_torn_mid_payload(void **unused)
{
	(void)unused;
	torn_at(12); /* header and a few payload bytes */
}

static void test_torn_mid_header(void **unused)
{
	(void)unused;
	torn_at(3);
}

static void test_corrupt_crc(void **unused)
{
	static const char *const want[] = { "r1", "r2" };
	struct journal_info info;
	off_t last;
	unsigned char b;
	int fd;

	(void)unused;
	write_records(3);
	last = record_offset(2);
	/* One bit of the last payload flipped. */
	fd = open(file("journal"), O_RDWR);
	assert_int_equal(pread(fd, &b, 1, last + 10), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, last + 10), 1);
	close(fd);
	expect_records(want, 2, &info);
	assert_true(info.dropped_bytes > 0);
	assert_int_equal(size_of(file("journal")), last);
}

static void test_garbage_length(void **unused)
{
	static const char *const want[] = { "r1", "r2" };
	static const unsigned char huge[24] = { 0xF0, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 'g', 'a', 'r', 'b', 'a', 'g', 'e' };
	static const unsigned char zero[12] = { 0, 0, 0, 0, 0, 0, 0, 0, '{', '}' };
	struct journal_info info;
	off_t end;

	(void)unused;
	write_records(2);
	end = size_of(file("journal"));
	poke(end, huge, sizeof(huge));
	expect_records(want, 2, &info);
	assert_int_equal(info.dropped_bytes, sizeof(huge));
	assert_int_equal(size_of(file("journal")), end);
	/* A zero length is as bad: no record is empty. */
	poke(end, zero, sizeof(zero));
	expect_records(want, 2, &info);
	assert_int_equal(info.dropped_bytes, sizeof(zero));
}

/* Damage before the last record: what follows it cannot be trusted to be
 * in order, so replay stops there too; everything before is kept. */
static void test_corrupt_middle(void **unused)
{
	static const char *const want[] = { "r1" };
	static const unsigned char bad = 'X';
	struct journal_info info;

	(void)unused;
	write_records(3);
	poke(record_offset(1) + 9, &bad, 1);
	expect_records(want, 1, &info);
	assert_int_equal(size_of(file("journal")), record_offset(1));
}

/* A record with a valid frame this version cannot apply: recovery stops
 * with an error and leaves the file as it is, for a newer routerd. */
static void test_unknown_op(void **unused)
{
	struct state *st = state_new(0);
	struct journal *j;
	json_t *rec = json_pack("{s:I,s:[{s:s}]}", "t", (json_int_t)T0, "ops", "op", "teleport");
	off_t size;

	(void)unused;
	assert_int_equal(journal_open(&j, dir, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(journal_append(j, rec), 0);
	journal_close(j);
	json_decref(rec);
	size = size_of(file("journal"));
	assert_int_equal(journal_open(&j, dir, NULL, state_replay_cb, st, NULL), -EINVAL);
	assert_int_equal(size_of(file("journal")), size);
	state_free(st);
}

static void test_state_dir_created(void **unused)
{
	char nested[128];
	struct journal *j;
	struct stat sb;
	mode_t old = umask(022);

	(void)unused;
	snprintf(nested, sizeof(nested), "%s/a/b", dir);
	assert_int_equal(journal_open(&j, nested, NULL, NULL, NULL, NULL), 0);
	append(j, "x");
	journal_close(j);
	assert_int_equal(stat(nested, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	umask(old);
	snprintf(nested, sizeof(nested), "%s/a/b/journal", dir);
	assert_int_equal(unlink(nested), 0);
	snprintf(nested, sizeof(nested), "%s/a/b", dir);
	assert_int_equal(rmdir(nested), 0);
	snprintf(nested, sizeof(nested), "%s/a", dir);
	assert_int_equal(rmdir(nested), 0);
}

/* ---- snapshots, with the real state ---- */

static struct cfg_switch sws[4] = {
	{ .name = "a.example.com.", .p = { .ttl = 30, .ttl_armed = 5, .failback_hold = 300 * 1000 } },
	{ .name = "b.example.com.", .p = { .ttl = 30, .ttl_armed = 5, .failback_hold = 300 * 1000 } },
	{ .name = "c.example.com.", .p = { .ttl = 30, .ttl_armed = 5, .failback_hold = 300 * 1000 } },
	{ .name = "d.example.com.", .p = { .ttl = 30, .ttl_armed = 5, .failback_hold = 300 * 1000 } },
};

static void make_cfg(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->switches = sws;
	cfg->n_switches = 4;
	cfg->defaults.signal_ttl = 3600 * 1000;
	cfg->brake = (struct cfg_brake){ 0.5, 600 * 1000, 2 };
}

/* The control loop's step: events, policy, journal. */
static void step(struct state *st, struct journal *j, int k)
{
	static const char *const names[] = { "a.example.com", "b.example.com", "c.example.com", "d.example.com" };
	int64_t now = T0 + k * 10000;
	json_t *txn = state_txn_new(now);
	char id[16];

	snprintf(id, sizeof(id), "fp%d", k % 3);
	switch (k % 5) {
	case 0:
		state_signal(st, txn, names[k % 4], "alertmanager", id, ST_SIG_DOWN, SIDE_CDN, "5xx", now);
		break;
	case 1:
		state_signal(st, txn, names[(k + 1) % 4], "alertmanager", id, ST_SIG_WARN, SIDE_CDN, "slow", now);
		break;
	case 2:
		state_pin(st, txn, "*.example.com", SIDE_ORIGIN, "incident", "uid:0", now + 25000, now);
		break;
	case 3:
		state_signal(st, txn, "*", "grafana", id, ST_SIG_UP, SIDE_CDN, NULL, now);
		break;
	case 4:
		state_unpin(st, txn, names[k % 4], "uid:0", now);
		state_brake_set(st, txn, 0, "ok", "uid:0", now);
		break;
	}
	assert_true(policy_run(st, txn, now) >= 0);
	if (!state_txn_empty(txn))
		assert_int_equal(journal_append(j, txn), 0);
	json_decref(txn);
}

static struct state *recover(struct journal_info *info)
{
	struct config cfg;
	struct state *st = state_new(0);
	struct journal *j;

	make_cfg(&cfg);
	assert_int_equal(journal_open(&j, dir, NULL, state_replay_cb, st, info), 0);
	journal_close(j);
	/* The recovered switch set is the configured one: nothing to add. */
	assert_int_equal(state_sync(st, NULL, &cfg, T0 + 1000000), 0);
	return st;
}

static void assert_same(const struct state *a, const struct state *b)
{
	json_t *ja = state_to_json(a), *jb = state_to_json(b);
	if (!json_equal(ja, jb)) {
		char *ta = json_dumps(ja, JSON_INDENT(1)), *tb = json_dumps(jb, JSON_INDENT(1));
		fail_msg("recovered state differs\nlive:\n%s\nrecovered:\n%s", ta, tb);
	}
	json_decref(ja);
	json_decref(jb);
}

/* A live state with N steps journalled, a snapshot after SNAP_AT steps
 * (0: none). Returns it; the journal is closed. */
static struct state *live_run(int n, int snap_at, char **journal_before_snapshot, size_t *len_before)
{
	struct config cfg;
	struct state *st = state_new(0);
	struct journal *j;
	json_t *txn = state_txn_new(T0);

	make_cfg(&cfg);
	assert_int_equal(journal_open(&j, dir, NULL, state_replay_cb, st, NULL), 0);
	assert_int_equal(state_sync(st, txn, &cfg, T0), 4);
	assert_int_equal(journal_append(j, txn), 0);
	json_decref(txn);
	for (int k = 1; k <= n; k++) {
		step(st, j, k);
		if (k != snap_at)
			continue;
		if (journal_before_snapshot != NULL) {
			int fd = open(file("journal"), O_RDONLY);
			*len_before = (size_t)size_of(file("journal"));
			*journal_before_snapshot = malloc(*len_before);
			assert_int_equal(read(fd, *journal_before_snapshot, *len_before), (ssize_t)*len_before);
			close(fd);
		}
		json_t *snap = state_to_json(st);
		assert_int_equal(journal_snapshot(j, snap), 0);
		json_decref(snap);
		assert_int_equal(journal_bytes(j), 0);
	}
	journal_close(j);
	return st;
}

static void test_replay_same_state(void **unused)
{
	struct journal_info info;
	struct state *live, *back;

	(void)unused;
	live = live_run(23, 0, NULL, NULL);
	back = recover(&info);
	assert_true(info.records >= 15);
	assert_same(live, back);
	state_free(live);
	state_free(back);
}

static void test_snapshot_then_records(void **unused)
{
	struct journal_info info;
	struct state *live, *back;

	(void)unused;
	live = live_run(23, 11, NULL, NULL);
	back = recover(&info);
	assert_true(info.snapshot);
	assert_true(info.records > 0);
	assert_int_equal(info.skipped, 0);
	assert_same(live, back);
	state_free(live);
	state_free(back);
}

/* Crash during step 1 of a snapshot: a stray (partial) snapshot.tmp. */
static void test_crash_leaves_snapshot_tmp(void **unused)
{
	struct state *live, *back;
	int fd;

	(void)unused;
	live = live_run(17, 6, NULL, NULL);
	fd = open(file("snapshot.tmp"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "{\"format\":1,\"seq\":99,\"sta", 25), 25);
	close(fd);
	back = recover(NULL);
	assert_same(live, back);
	assert_int_equal(access(file("snapshot.tmp"), F_OK), -1);
	state_free(live);
	state_free(back);
}

/* Crash between steps 2 and 3: the new snapshot is in place but the
 * journal still holds the records it covers. Nothing may apply twice. */
static void test_crash_keeps_old_journal(void **unused)
{
	struct journal_info info;
	struct state *live, *back;
	char *old = NULL;
	size_t len = 0;
	int fd;

	(void)unused;
	live = live_run(14, 14, &old, &len);
	fd = open(file("journal"), O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, old, len), (ssize_t)len);
	close(fd);
	free(old);
	back = recover(&info);
	assert_true(info.snapshot);
	assert_true(info.skipped > 0);
	assert_int_equal(info.records, 0);
	assert_same(live, back);
	state_free(live);
	state_free(back);
}

/* Crash before step 2: snapshot.tmp complete but never renamed, so the
 * journal was never cut: every record is replayed, none lost. */
static void test_crash_before_rename(void **unused)
{
	struct state *live, *back;
	char *old = NULL;
	size_t len = 0;
	int fd;

	(void)unused;
	live = live_run(20, 20, &old, &len);
	/* Undo the last snapshot: as if it had never been renamed. */
	assert_int_equal(rename(file("snapshot.json"), file("snapshot.tmp")), 0);
	fd = open(file("journal"), O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, old, len), (ssize_t)len);
	close(fd);
	free(old);
	back = recover(NULL);
	assert_same(live, back);
	state_free(live);
	state_free(back);
}

static void test_auto_compaction(void **unused)
{
	struct config cfg;
	struct state *st = state_new(0), *back;
	struct journal *j;
	struct journal_opts o = { .max_records = 4, .snapshot_cb = state_snapshot_cb, .arg = st };

	(void)unused;
	make_cfg(&cfg);
	assert_int_equal(journal_open(&j, dir, &o, state_replay_cb, st, NULL), 0);
	assert_int_equal(state_sync(st, NULL, &cfg, T0), 4);
	/* The adds went unrecorded: journal one snapshot of them first. */
	json_t *snap = state_to_json(st);
	assert_int_equal(journal_snapshot(j, snap), 0);
	json_decref(snap);
	for (int k = 1; k <= 30; k++)
		step(st, j, k);
	assert_true(journal_records(j) < 4);
	assert_int_equal(access(file("snapshot.json"), F_OK), 0);
	journal_close(j);
	back = recover(NULL);
	assert_same(st, back);
	state_free(st);
	state_free(back);
}

static void test_bad_snapshot_refused(void **unused)
{
	struct seen s;
	int fd = open(file("snapshot.json"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	(void)unused;
	assert_int_equal(write(fd, "{\"format\":1,\"se", 15), 15);
	close(fd);
	seen_init(&s);
	capture_begin();
	assert_int_equal(journal_replay(dir, collect, &s, NULL), -EBADMSG);
	assert_non_null(strstr(capture_end(), "snapshot.json"));
	seen_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_mid_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_mid_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_dir_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_same_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_then_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_leaves_snapshot_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_keeps_old_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_snapshot_refused, setup, teardown),
	};
	log_set_level(LOG_LVL_WARNING); /* flips are logged at NOTICE */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
