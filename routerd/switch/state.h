/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * state.h -- the switch state model: which side each switch serves, the
 * operator pins, the active health signals and warnings, the safety brake
 * and a bounded history of changes.
 *
 * Every change goes through one *op*, a small JSON object, applied by one
 * function (state_apply). A live mutator (state_signal, state_pin, ...)
 * builds the op, appends it to the caller's transaction, and applies it;
 * recovery applies the same ops read back from the journal. So the state
 * after a restart is, by construction, the state before it.
 *
 * Times are int64_t milliseconds of CLOCK_REALTIME (they survive a
 * restart); no function here reads a clock: the caller passes `now`.
 *
 * A transaction, as journalled:
 *   {"seq":17,"t":1712345678901,"ops":[OP,...]}   (seq is set by journal_append)
 * with OP one of (each also has "t", the time it was applied at)
 *   {"op":"add","sw":NAME,"side":"cdn"}
 *   {"op":"remove","sw":NAME}
 *   {"op":"signal","sw":[NAME,...],"src":S,"id":ID,"kind":"down|up|warn|warn_clear",
 *    "side":"cdn|origin","reason":R,"exp":MS}
 *   {"op":"pin","sw":[NAME,...],"side":SIDE,"reason":R,"actor":A,"exp":MS|0,"glob":PATTERN}
 *   {"op":"unpin","sw":[NAME,...],"actor":A}
 *   {"op":"expire"}                        (whatever has expired at the transaction's t)
 *   {"op":"flip","sw":NAME,"from":SIDE,"to":SIDE,"cause":C,"actor":A,"detail":D}
 *   {"op":"brake","on":true|false,"reason":R,"actor":A}
 * Ops name the switches they touch explicitly (a glob is resolved when the
 * op is built), so a replay touches exactly the switches the live run did.
 *
 * Typical use by the control loop:
 *   json_t *txn = state_txn_new(now);
 *   state_signal(st, txn, ...);          (or state_pin, state_unpin, ...)
 *   policy_run(st, txn, now);            (expiries, flips, brake)
 *   if (!state_txn_empty(txn) && journal_append(j, txn) < 0)
 *           ... the memory is ahead of the disk: rebuild the state with
 *           journal_open() (the journal is back at its last good record),
 *           fail the request and do not publish;
 *   publish sides and armed bits, then acknowledge.
 *   json_decref(txn);
 *
 * Single-threaded: the control thread owns the state. Out of memory
 * aborts (a restart recovers everything acknowledged from the journal;
 * a half-applied op would be worse).
 */
#ifndef ROUTERD_STATE_H
#define ROUTERD_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Why a switch serves its side (the cause of the flip that put it there). */
enum st_cause {
	ST_CAUSE_INITIAL = 0, /* configured side, nothing moved it */
	ST_CAUSE_SIGNAL,      /* a down-signal on the other side */
	ST_CAUSE_FAILBACK,    /* the home side was healthy for failback_hold */
	ST_CAUSE_PIN,         /* an operator pin */
	ST_CAUSE_PIN_EXPIRED, /* a pin ran out and the policy took over */
	ST_CAUSE_UNPIN,       /* an operator removed the pin */
	ST_CAUSE_ALL_DOWN,    /* both sides down: the all_down policy */
	ST_CAUSE__COUNT
};

/* Whether CAUSE is automation's (signal, failback, all_down): the flips the
 * brake counts and holds. Pins, unpins and pin expiries are the operator's. */
int state_cause_automated(enum st_cause cause);

enum st_sig_kind {
	ST_SIG_DOWN = 0,
	ST_SIG_UP,
	ST_SIG_WARN,
	ST_SIG_WARN_CLEAR,
};

/* What state_signal changed (bits), or a negative errno. */
#define ST_CHANGED 1   /* a visible change: a new or cleared signal/warning */
#define ST_REFRESHED 2 /* only an expiry moved forward (journal it, nothing else) */
#define ST_REFUSED 4   /* some switches refused a new signal: signals.* bounds reached */

/* A down-signal or a warning, keyed by (source, id). */
struct st_signal {
	char *source, *id, *reason;
	enum side side; /* the unhealthy side (unused for warnings) */
	int64_t since, expires;
};

/* An index of a switch's signals (or warnings) by (source, id): open
 * addressing, at most half full; slot 0 empty, else position + 1. Valid
 * while n equals the array's count (rebuilt on first use otherwise). */
struct st_sigix {
	uint32_t *slot;
	size_t cap, n;
};

struct st_pin {
	int active;
	enum side side;
	char *reason, *actor, *glob; /* glob: the pattern the operator typed */
	int64_t created, expires;    /* expires 0: never */
};

struct st_switch {
	char *name; /* lower case, final dot */
	/* Settings from the config (not journalled: the config is read again
	 * at every start; state_sync refreshes this copy). */
	struct cfg_switch_params p;
	enum side side;  /* served */
	enum st_cause cause; /* of the current side */
	char *detail;        /* of the current side: signal id, pin reason... */
	struct st_pin pin;
	int64_t pin_ended; /* when the last pin expired or was removed (0 never) */
	enum st_cause pin_end_cause; /* ST_CAUSE_PIN_EXPIRED or ST_CAUSE_UNPIN */
	char *pin_end_actor;
	struct st_signal *sig; /* active down-signals */
	size_t n_sig, cap_sig;
	struct st_signal *warn; /* active warnings (armed TTL) */
	size_t n_warn, cap_warn;
	struct st_sigix sig_ix, warn_ix; /* lookups by (source, id) in O(1) */
	/* When each side's last down-signal went away: failback_hold counts from
	 * there. 0: never down since the switch was added. */
	int64_t healthy_since[2];
	int64_t created, last_flip;
	uint64_t flips;
	int held; /* policy_run: the brake holds a flip of this switch (not saved) */
};

struct st_brake {
	int engaged;
	char *reason, *actor;
	int64_t since;
	int64_t *flips; /* times of automated flips, oldest first, within the window */
	size_t n_flips, cap_flips;
};

enum st_hist_kind {
	ST_H_ADDED = 0,
	ST_H_REMOVED,
	ST_H_FLIP,
	ST_H_PIN,
	ST_H_UNPIN,
	ST_H_PIN_EXPIRED,
	ST_H_DOWN,
	ST_H_UP,
	ST_H_EXPIRED,
	ST_H_WARN,
	ST_H_WARN_CLEAR,
	ST_H_WARN_EXPIRED,
	ST_H_BRAKE_ON,
	ST_H_BRAKE_OFF,
	ST_H__COUNT
};

struct st_hist {
	int64_t t;
	enum st_hist_kind kind;
	char *sw;     /* NULL for brake events */
	int from, to; /* sides, -1 when not a flip */
	enum st_cause cause;
	char *actor, *detail;
};

struct state {
	struct st_switch **sw; /* in order of addition (config order) */
	size_t n, cap;
	uint32_t *idx; /* open addressing over sw[], by name; 0 empty, else index+1 */
	size_t idx_cap;
	struct st_brake brake;
	struct cfg_brake brake_cfg;
	int64_t signal_ttl; /* ms */
	struct st_hist *hist; /* ring */
	size_t hist_cap, hist_head, hist_len;
	/* Signal bounds (config signals.*) and what they refused. n_signals
	 * counts down-signals and warnings over every switch (recounted when
	 * sig_count_stale). next_expiry: no signal, warning or pin expires
	 * before it (a lower bound), so state_expire is O(1) until then. */
	uint32_t max_sig_switch, max_sig_total;
	size_t n_signals;
	int sig_count_stale;
	uint64_t sig_refused;
	int64_t next_expiry;
	/* Flips since the counters were reset (metrics: routerd_flips_total). */
	uint64_t flips_total[2][ST_CAUSE__COUNT];
};

#define STATE_HISTORY_DEFAULT 20000

/* A new empty state keeping HISTORY_CAP history records (0: the default).
 * The brake and signal_ttl take their defaults until state_sync. */
struct state *state_new(size_t history_cap);
void state_free(struct state *st);

/*
 * Bring the switch set and settings in line with CFG: new switches are
 * added at their initial side, switches gone from CFG are removed (each
 * with a history record, as ops in TXN), and every switch takes its
 * settings. Call after every recovery (journal_open: the recovered
 * switches have no failback_hold, all_down or TTLs until then) and after
 * each reload, before policy_run.
 * Returns the number of switches added or removed, or -errno.
 */
int state_sync(struct state *st, json_t *txn, const struct config *cfg, int64_t now);

/* The switch NAME (any case, final dot optional), or NULL. */
struct st_switch *state_lookup(const struct state *st, const char *name);

/* Whether PATTERN contains fnmatch metacharacters. */
int state_is_glob(const char *pattern);

/*
 * The switches PATTERN names: the exact name, or every switch a glob
 * matches (fnmatch, case-insensitive; a glob without the final dot matches
 * as if it had one). Sets *out (free() it; NULL when none) and returns how
 * many there are.
 */
size_t state_match(const struct state *st, const char *pattern, struct st_switch ***out);

/* A new transaction {"t":NOW,"ops":[]}, and whether it holds no op. */
json_t *state_txn_new(int64_t now);
int state_txn_empty(const json_t *txn);

/*
 * A health notification for the switch or glob TARGET: KIND down/up for
 * SIDE, or warn/warn_clear. A down-signal lives until an explicit up or
 * signal_ttl after its last repetition. Returns ST_CHANGED/ST_REFRESHED
 * bits (0: a repeat that changed nothing), -ENOENT when TARGET names no
 * switch, or -errno. TXN may be NULL (tests: apply without recording).
 */
int state_signal(struct state *st, json_t *txn, const char *target, const char *source, const char *id,
                 enum st_sig_kind kind, enum side side, const char *reason, int64_t now);

/*
 * Pin every switch PATTERN names to SIDE until EXPIRES (0: until unpinned).
 * Returns the number of switches pinned, -ENOENT if none matches, -EINVAL
 * for an expiry in the past, or -errno. The flip itself is policy_run's.
 */
int state_pin(struct state *st, json_t *txn, const char *pattern, enum side side, const char *reason,
              const char *actor, int64_t expires, int64_t now);

/* Remove the pins of the switches PATTERN names. Returns how many were
 * pinned (0: none was), -ENOENT if no switch matches, or -errno. */
int state_unpin(struct state *st, json_t *txn, const char *pattern, const char *actor, int64_t now);

/* Drop signals, warnings and pins that have expired at NOW. Returns how
 * many did, or -errno. policy_run calls it first. */
int state_expire(struct state *st, json_t *txn, int64_t now);

/* Serve TO on SW (policy_run decides; this records). Returns 1, 0 if SW
 * already serves TO, or -errno. */
int state_flip(struct state *st, json_t *txn, struct st_switch *sw, enum side to, enum st_cause cause,
               const char *actor, const char *detail, int64_t now);

/* Engage (ON) or clear the brake. Clearing also forgets the automated flips
 * counted so far: the operator has looked. Returns 1, 0 if already so, or -errno. */
int state_brake_set(struct state *st, json_t *txn, int on, const char *reason, const char *actor, int64_t now);

/* Automated flips in the brake's window ending at NOW, and how many the
 * brake allows: max(min_switches, ceil(max_share * switches)). */
size_t state_brake_count(const struct state *st, int64_t now);
size_t state_brake_limit(const struct state *st);

/* Whether SIDE of SW is down at NOW (an unexpired down-signal names it);
 * if not and SINCE is not NULL, *SINCE = when it became healthy (0: never down). */
int state_side_down(const struct st_switch *sw, enum side side, int64_t now, int64_t *since);

/* Whether an unexpired warning names SW (answers carry ttl_armed). */
int state_armed(const struct st_switch *sw, int64_t now);

/* Apply one journalled transaction (recovery). Returns 0 or -EINVAL for a
 * record this version does not understand. Unknown switches are skipped. */
int state_apply(struct state *st, const json_t *txn);

/* Zero flips_total (after recovery: the counters count this process's flips). */
void state_counters_reset(struct state *st);

/* Names (sides: lib/side.h). */
const char *state_cause_name(enum st_cause cause);
const char *state_hist_name(enum st_hist_kind kind);

/* ---- JSON (state_json.c) ----
 * Times are integer milliseconds since the epoch; sides and causes are
 * their names. Every function returns a new reference, NULL on ENOMEM. */

/* The whole state, for a snapshot. state_load_json replaces ST's switches,
 * brake and history with the snapshot's (settings come from state_sync).
 * Returns 0 or -EINVAL. */
json_t *state_to_json(const struct state *st);
int state_load_json(struct state *st, const json_t *snap);

/* One switch for `routerctl show`: the saved fields plus derived ones
 * (armed, down sides, held, pin remaining, failback due). */
json_t *state_switch_to_json(const struct state *st, const struct st_switch *sw, int64_t now);

/* Rows for `routerctl list [GLOB] [--state SIDE] [--pinned]`, by name.
 * GLOB NULL: all; SIDE -1: both. */
json_t *state_list_to_json(const struct state *st, const char *glob, int side, int pinned_only, int64_t now);

/* `routerctl status`: counts, signals active, the brake (engaged, reason,
 * flips in window, limit, switches held). */
json_t *state_status_to_json(const struct state *st, int64_t now);

/* `routerctl history [SWITCH|GLOB] [--since]`: records at or after SINCE,
 * oldest first, for the switches PATTERN names (NULL: all, brake included). */
json_t *state_history_to_json(const struct state *st, const char *pattern, int64_t since);

/* Journal glue (journal.h types, kept free of a journal.h dependency):
 * replay callback applying a snapshot or a record to ARG (a struct state *),
 * and snapshot callback returning state_to_json(ARG). */
int state_replay_cb(const json_t *rec, int is_snapshot, void *arg);
json_t *state_snapshot_cb(void *arg);

/* One side of a switch as configured ({"cname"} or {"a", "aaaa"}), for
 * `routerctl show` and the status page. */
json_t *state_answer_json(const struct cfg_answer *a);

#endif
