/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal.h -- the durable log of state changes, and its snapshot.
 *
 * Files in state_dir (created 0750 if missing):
 *   journal        records appended since the snapshot
 *   snapshot.json  {"format":1,"seq":N,"state":{...}}: the state after record N
 *   snapshot.tmp   a snapshot being written; never read
 *
 * A record is [u32 length][u32 CRC-32C of the payload][payload], both
 * integers little-endian, the payload the compact JSON of one transaction
 * (a JSON object; journal_append gives it its "seq", 1, 2, 3...).
 *
 * Recovery reads the snapshot, then every record whose seq is above the
 * snapshot's. A bad record (short, bad length, CRC mismatch, not a JSON
 * object with a seq) is one of two things:
 *   - the last thing in the file: a write cut short by a crash, never
 *     acknowledged. A warning is logged and the file is cut there, so later
 *     appends follow the last good record;
 *   - followed by good records: damage. Cutting would drop acknowledged
 *     changes, so recovery fails (-EUCLEAN) with the offsets in the log.
 *     journal_recover (routerd --recover) keeps the records before it and
 *     sets the rest aside in journal.corrupt-TIME.
 * A good record the callback cannot apply (a missing or ill-typed field)
 * fails recovery too, with its offset; journal_recover treats it as damage.
 *
 * Functions return 0 or a negative errno; journal_strerror names it.
 * Single-threaded: the control thread owns the journal.
 */
#ifndef ROUTERD_JOURNAL_H
#define ROUTERD_JOURNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct journal;

/* Compact once the journal is this large or holds this many records: the
 * replay after a crash stays well under a second. */
#define JOURNAL_MAX_BYTES_DEFAULT (4u << 20)
#define JOURNAL_MAX_RECORDS_DEFAULT 10000u
/* No real record is near this (a glob pin on 100k switches is ~3 MiB);
 * a bigger length field is garbage. */
#define JOURNAL_MAX_RECORD (64u << 20)

/*
 * Called with the snapshot's state object (IS_SNAPSHOT 1) first, if there
 * is a snapshot, then with each record (a transaction) in order. A nonzero
 * return stops recovery and is returned (a record this version cannot
 * apply: better to stop than to serve a state that is not the one saved).
 * state_replay_cb (state.h) is one. CB may be NULL (only check and cut).
 */
typedef int (*journal_cb)(const json_t *rec, int is_snapshot, void *arg);

struct journal_opts {
	size_t max_bytes;   /* 0: JOURNAL_MAX_BYTES_DEFAULT */
	size_t max_records; /* 0: JOURNAL_MAX_RECORDS_DEFAULT */
	/* Returns a new reference to the state to snapshot (state_snapshot_cb);
	 * NULL: no automatic compaction. */
	json_t *(*snapshot_cb)(void *arg);
	void *arg;
};

/* What recovery found. */
struct journal_info {
	int snapshot;           /* a snapshot was read */
	uint64_t snapshot_seq;  /* the last record it covers */
	uint64_t records;       /* records applied */
	uint64_t skipped;       /* records already in the snapshot */
	uint64_t last_seq;      /* the seq of the last record recovered */
	uint64_t dropped_bytes; /* cut from a torn tail */
	uint64_t bad_offset;    /* of the bad record that ended the journal, if any */
	uint64_t set_aside_bytes; /* journal_recover: moved to journal.corrupt-TIME */
	int snapshot_set_aside; /* journal_recover: snapshot.json was unreadable */
};

/*
 * Recover DIR through CB (see above), cutting a torn tail, and open the
 * journal for appending. INFO may be NULL. On success sets *OUT.
 */
int journal_open(struct journal **out, const char *dir, const struct journal_opts *opts, journal_cb cb, void *arg,
                 struct journal_info *info);

/* Recovery alone (journal_open does it): snapshot, then records, through CB. */
int journal_replay(const char *dir, journal_cb cb, void *arg, struct journal_info *info);

/*
 * Recovery that repairs (routerd --recover): an unreadable snapshot is
 * renamed snapshot.json.corrupt-TIME and recovery goes on without it; the
 * journal keeps its records up to the first bad one, or the first CB
 * cannot apply, and everything from there is copied to
 * journal.corrupt-TIME (fsync) before the journal is cut. What was set
 * aside is in INFO and the log.
 */
int journal_recover(const char *dir, journal_cb cb, void *arg, struct journal_info *info);

/*
 * Set REC's "seq", append it, and fdatasync() before returning 0: the
 * caller may acknowledge and serve the change only after that. On error
 * nothing of REC is left in the file (it is cut back), and the caller's
 * in-memory state is ahead of the disk. May compact afterwards (opts);
 * a failed compaction is logged and retried at the next append.
 */
int journal_append(struct journal *j, json_t *rec);

/* Write STATE as the snapshot covering every record so far and empty the
 * journal. STATE must be the state after the last appended record, no
 * more (no change still waiting for its append). See journal.c for why a
 * crash at any step loses nothing. */
int journal_snapshot(struct journal *j, const json_t *state);

/* Close. NULL is fine. Nothing is lost: every append was synced. */
void journal_close(struct journal *j);

/* The last seq written, the journal's size in bytes and records. */
uint64_t journal_seq(const struct journal *j);
uint64_t journal_bytes(const struct journal *j);
uint64_t journal_records(const struct journal *j);

/* CRC-32C (Castagnoli), as in the record header. */
uint32_t journal_crc32c(const void *data, size_t len);

/* A message for a negative errno from this module. */
const char *journal_strerror(int err);

#endif
