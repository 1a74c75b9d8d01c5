/* SPDX-License-Identifier: BSD-3-Clause */
/* state.c -- see state.h. The ops: build, apply, and the live mutators. */
#include "switch/state.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/log.h"
#include "lib/name.h"
#include "switch/op.h"
#include "switch/state_int.h"

static const char *const cause_names[ST_CAUSE__COUNT] = { "initial", "signal", "failback", "pin",
	                                                  "pin_expired", "unpin", "all_down" };
static const char *const hist_names[ST_H__COUNT] = { "added", "removed", "flip", "pin", "unpin",
	                                             "pin_expired", "down", "up", "expired", "warn", "warn_clear",
	                                             "warn_expired", "brake", "brake_clear" };

/* ---- small helpers ---- */

void *st_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL) {
		log_error("state: out of memory (%zu bytes)", n);
		abort();
	}
	return q;
}

char *st_xstrdup(const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	return memcpy(st_xrealloc(NULL, n), s, n);
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = st_xstrdup(src);
}

int state_cause_automated(enum st_cause cause)
{
	return cause == ST_CAUSE_SIGNAL || cause == ST_CAUSE_FAILBACK || cause == ST_CAUSE_ALL_DOWN;
}

const char *state_cause_name(enum st_cause cause)
{
	return (unsigned)cause < ST_CAUSE__COUNT ? cause_names[cause] : "?";
}

const char *state_hist_name(enum st_hist_kind kind)
{
	return (unsigned)kind < ST_H__COUNT ? hist_names[kind] : "?";
}

static int parse_name(const char *name, const char *const *table, int n)
{
	if (name != NULL)
		for (int i = 0; i < n; i++)
			if (strcmp(name, table[i]) == 0)
				return i;
	return -1;
}

int st_cause_parse(const char *name)
{
	return parse_name(name, cause_names, ST_CAUSE__COUNT);
}

int st_hist_parse(const char *name)
{
	return parse_name(name, hist_names, ST_H__COUNT);
}

static void sig_detail(char *buf, size_t len, const char *src, const char *id, const char *reason)
{
	snprintf(buf, len, "%s/%s%s%s", src ? src : "", id ? id : "", reason && *reason ? ": " : "",
	         reason ? reason : "");
}

/* ---- switches and the name index ---- */

struct st_switch *st_switch_new(const char *name, enum side side, int64_t t)
{
	struct st_switch *sw = st_xrealloc(NULL, sizeof(*sw));
	memset(sw, 0, sizeof(*sw));
	sw->name = st_xstrdup(name);
	sw->side = side;
	sw->p.home = side;
	sw->cause = ST_CAUSE_INITIAL;
	sw->created = t;
	return sw;
}

static void sig_free(struct st_signal *s)
{
	free(s->source);
	free(s->id);
	free(s->reason);
}

static void pin_clear(struct st_pin *p)
{
	free(p->reason);
	free(p->actor);
	free(p->glob);
	memset(p, 0, sizeof(*p));
}

void st_switch_free(struct st_switch *sw)
{
	if (sw == NULL)
		return;
	for (size_t i = 0; i < sw->n_sig; i++)
		sig_free(&sw->sig[i]);
	for (size_t i = 0; i < sw->n_warn; i++)
		sig_free(&sw->warn[i]);
	free(sw->sig);
	free(sw->warn);
	free(sw->sig_ix.slot);
	free(sw->warn_ix.slot);
	pin_clear(&sw->pin);
	free(sw->pin_end_actor);
	free(sw->detail);
	free(sw->name);
	free(sw);
}

static void index_put(struct state *st, size_t i)
{
	size_t mask = st->idx_cap - 1, pos = hash_str(st->sw[i]->name) & mask;
	while (st->idx[pos] != 0)
		pos = (pos + 1) & mask;
	st->idx[pos] = (uint32_t)(i + 1);
}

/* Kept at most half full so probes stay short. */
static void index_rebuild(struct state *st)
{
	size_t cap = 16;
	while (cap < st->n * 2 + 2)
		cap *= 2;
	free(st->idx);
	st->idx = st_xrealloc(NULL, cap * sizeof(*st->idx));
	memset(st->idx, 0, cap * sizeof(*st->idx));
	st->idx_cap = cap;
	for (size_t i = 0; i < st->n; i++)
		index_put(st, i);
}

static long lookup_idx(const struct state *st, const char *name);

void st_switch_insert(struct state *st, struct st_switch *sw)
{
	assert(lookup_idx(st, sw->name) < 0); /* names are unique: the index finds one */
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->sw = st_xrealloc(st->sw, st->cap * sizeof(*st->sw));
	}
	st->sw[st->n++] = sw;
	if (st->n * 2 + 2 > st->idx_cap)
		index_rebuild(st);
	else
		index_put(st, st->n - 1);
}

static void switch_remove(struct state *st, struct st_switch *sw)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->sw[i] == sw) {
			memmove(&st->sw[i], &st->sw[i + 1], (st->n - i - 1) * sizeof(*st->sw));
			st->n--;
			break;
		}
	st_switch_free(sw);
	index_rebuild(st); /* removals come from reloads only: rare */
	st->sig_count_stale = 1;
}

/* Position of NAME in st->sw, or -1. */
static long lookup_idx(const struct state *st, const char *name)
{
	char key[NAME_TEXT_MAX];
	if (st->idx_cap == 0 || name == NULL || name_normalize(name, key, sizeof(key)) < 0)
		return -1;
	size_t mask = st->idx_cap - 1, pos = hash_str(key) & mask;
	for (; st->idx[pos] != 0; pos = (pos + 1) & mask)
		if (strcmp(st->sw[st->idx[pos] - 1]->name, key) == 0)
			return (long)st->idx[pos] - 1;
	return -1;
}

struct st_switch *state_lookup(const struct state *st, const char *name)
{
	long i = lookup_idx(st, name);
	return i < 0 ? NULL : st->sw[i];
}

int state_is_glob(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

int st_name_match(const char *pattern, const char *name)
{
	char buf[NAME_TEXT_MAX];
	size_t len = strlen(pattern);

	if (!state_is_glob(pattern))
		return name_normalize(pattern, buf, sizeof(buf)) == 0 && strcmp(buf, name) == 0;
	if (fnmatch(pattern, name, FNM_CASEFOLD) == 0)
		return 1;
	/* Names are stored with the final dot; "*.example.com" means them too. */
	if (len == 0 || len + 2 > sizeof(buf) || pattern[len - 1] == '.')
		return 0;
	snprintf(buf, sizeof(buf), "%s.", pattern);
	return fnmatch(buf, name, FNM_CASEFOLD) == 0;
}

size_t state_match(const struct state *st, const char *pattern, struct st_switch ***out)
{
	size_t k = 0;

	*out = NULL;
	if (!state_is_glob(pattern)) {
		struct st_switch *sw = state_lookup(st, pattern);
		if (sw == NULL)
			return 0;
		*out = st_xrealloc(NULL, sizeof(**out));
		(*out)[0] = sw;
		return 1;
	}
	*out = st_xrealloc(NULL, (st->n ? st->n : 1) * sizeof(**out));
	for (size_t i = 0; i < st->n; i++)
		if (st_name_match(pattern, st->sw[i]->name))
			(*out)[k++] = st->sw[i];
	return k;
}

/* ---- state ---- */

struct state *state_new(size_t history_cap)
{
	struct state *st = st_xrealloc(NULL, sizeof(*st));
	memset(st, 0, sizeof(*st));
	st->hist_cap = history_cap ? history_cap : STATE_HISTORY_DEFAULT;
	st->hist = st_xrealloc(NULL, st->hist_cap * sizeof(*st->hist));
	/* The config's defaults, until state_sync brings the real ones. */
	st->brake_cfg.max_share = 0.2;
	st->brake_cfg.window = 600 * 1000;
	st->brake_cfg.min_switches = 2;
	st->signal_ttl = 3600 * 1000;
	st->max_sig_switch = 256;
	st->max_sig_total = 100000;
	return st;
}

static void hist_free(struct st_hist *h)
{
	free(h->sw);
	free(h->actor);
	free(h->detail);
}

void st_clear(struct state *st)
{
	for (size_t i = 0; i < st->n; i++)
		st_switch_free(st->sw[i]);
	st->n = 0;
	index_rebuild(st);
	st->n_signals = 0;
	st->sig_count_stale = 0;
	st->next_expiry = 0;
	for (size_t i = 0; i < st->hist_len; i++)
		hist_free(&st->hist[(st->hist_head + i) % st->hist_cap]);
	st->hist_len = st->hist_head = 0;
	free(st->brake.reason);
	free(st->brake.actor);
	free(st->brake.flips);
	memset(&st->brake, 0, sizeof(st->brake));
}

void state_free(struct state *st)
{
	if (st == NULL)
		return;
	st_clear(st);
	free(st->idx);
	free(st->sw);
	free(st->hist);
	free(st);
}

void state_counters_reset(struct state *st)
{
	memset(st->flips_total, 0, sizeof(st->flips_total));
}

void st_hist_push(struct state *st, int64_t t, enum st_hist_kind kind, const char *sw, int from, int to,
                  enum st_cause cause, const char *actor, const char *detail)
{
	struct st_hist *h;
	if (st->hist_len == st->hist_cap) {
		h = &st->hist[st->hist_head];
		hist_free(h);
		st->hist_head = (st->hist_head + 1) % st->hist_cap;
		st->hist_len--;
	}
	h = &st->hist[(st->hist_head + st->hist_len) % st->hist_cap];
	st->hist_len++;
	h->t = t;
	h->kind = kind;
	h->sw = st_xstrdup(sw);
	h->from = from;
	h->to = to;
	h->cause = cause;
	h->actor = st_xstrdup(actor);
	h->detail = st_xstrdup(detail);
}

void st_sig_push(struct st_signal **arr, size_t *n, size_t *cap, const struct st_signal *sig)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 2;
		*arr = st_xrealloc(*arr, *cap * sizeof(**arr));
	}
	struct st_signal *s = &(*arr)[(*n)++];
	*s = *sig;
	s->source = st_xstrdup(sig->source);
	s->id = st_xstrdup(sig->id);
	s->reason = st_xstrdup(sig->reason);
}

/* ---- signals by (source, id): the index ---- */

static uint64_t sig_hash(const char *src, const char *id)
{
	uint64_t h = hash_bytes(hash_str(src), id, strlen(id));
	/* Mix (MurmurHash3's finalizer): the slot is taken from the low bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static int sig_is(const struct st_signal *s, const char *src, const char *id)
{
	return strcmp(s->source, src) == 0 && strcmp(s->id, id) == 0;
}

static void ix_put(struct st_sigix *ix, const struct st_signal *arr, size_t i)
{
	size_t mask = ix->cap - 1, pos = sig_hash(arr[i].source, arr[i].id) & mask;
	while (ix->slot[pos] != 0)
		pos = (pos + 1) & mask;
	ix->slot[pos] = (uint32_t)(i + 1);
}

static void ix_rebuild(struct st_sigix *ix, const struct st_signal *arr, size_t n)
{
	size_t cap = 8;
	while (cap < n * 2 + 2)
		cap *= 2;
	if (cap != ix->cap) {
		free(ix->slot);
		ix->slot = st_xrealloc(NULL, cap * sizeof(*ix->slot));
		ix->cap = cap;
	}
	memset(ix->slot, 0, cap * sizeof(*ix->slot));
	for (size_t i = 0; i < n; i++)
		ix_put(ix, arr, i);
	ix->n = n;
}

/* The slot of (SRC, ID), or of the empty slot where it would go. */
static size_t ix_slot(struct st_sigix *ix, const struct st_signal *arr, size_t n, const char *src, const char *id)
{
	size_t mask, pos;
	if (ix->slot == NULL || ix->n != n)
		ix_rebuild(ix, arr, n);
	mask = ix->cap - 1;
	pos = sig_hash(src, id) & mask;
	while (ix->slot[pos] != 0 && !sig_is(&arr[ix->slot[pos] - 1], src, id))
		pos = (pos + 1) & mask;
	return pos;
}

static struct st_signal *sig_find(struct st_sigix *ix, struct st_signal *arr, size_t n, const char *src,
                                  const char *id)
{
	size_t pos = ix_slot(ix, arr, n, src, id);
	return ix->slot[pos] ? &arr[ix->slot[pos] - 1] : NULL;
}

/* Append a copy of SIG and index it. */
static void sig_add(struct state *st, struct st_sigix *ix, struct st_signal **arr, size_t *n, size_t *cap,
                    const struct st_signal *sig)
{
	int valid = ix->slot != NULL && ix->n == *n;
	st_sig_push(arr, n, cap, sig);
	st->n_signals++;
	if (valid && *n * 2 + 2 <= ix->cap) {
		ix_put(ix, *arr, *n - 1);
		ix->n = *n;
	} else {
		ix_rebuild(ix, *arr, *n);
	}
}

/* Remove S: the last signal takes its place, and the index follows
 * (linear probing with backward shift, so no tombstones). Which signal a
 * flip is blamed on goes by `since`, not by position. */
static void sig_remove(struct state *st, struct st_sigix *ix, struct st_signal *arr, size_t *n, struct st_signal *s)
{
	size_t i = (size_t)(s - arr), last = *n - 1, mask, hole, j;

	if (ix->slot == NULL || ix->n != *n)
		ix_rebuild(ix, arr, *n);
	mask = ix->cap - 1;
	hole = ix_slot(ix, arr, *n, s->source, s->id);
	for (j = (hole + 1) & mask; ix->slot[j] != 0; j = (j + 1) & mask) {
		const struct st_signal *o = &arr[ix->slot[j] - 1];
		size_t home = sig_hash(o->source, o->id) & mask;
		/* Move j into the hole unless its home lies cyclically in (hole, j]. */
		if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
			ix->slot[hole] = ix->slot[j];
			hole = j;
		}
	}
	ix->slot[hole] = 0;
	if (i != last) {
		size_t pos = ix_slot(ix, arr, *n, arr[last].source, arr[last].id);
		ix->slot[pos] = (uint32_t)(i + 1);
	}
	sig_free(s);
	if (i != last)
		arr[i] = arr[last];
	(*n)--;
	ix->n = *n;
	if (st->n_signals > 0)
		st->n_signals--;
}

int state_side_down(const struct st_switch *sw, enum side side, int64_t now, int64_t *since)
{
	int64_t healthy = sw->healthy_since[side];
	for (size_t i = 0; i < sw->n_sig; i++) {
		const struct st_signal *s = &sw->sig[i];
		if (s->side != side)
			continue;
		if (s->expires > now)
			return 1;
		/* Expired but not yet dropped: healthy since it ran out. */
		if (s->expires > healthy)
			healthy = s->expires;
	}
	if (since != NULL)
		*since = healthy;
	return 0;
}

int state_armed(const struct st_switch *sw, int64_t now)
{
	for (size_t i = 0; i < sw->n_warn; i++)
		if (sw->warn[i].expires > now)
			return 1;
	return 0;
}

size_t state_brake_count(const struct state *st, int64_t now)
{
	int64_t from = now - st->brake_cfg.window;
	size_t k = 0;
	for (size_t i = 0; i < st->brake.n_flips; i++)
		if (st->brake.flips[i] > from)
			k++;
	return k;
}

size_t state_brake_limit(const struct state *st)
{
	/* ceil() without libm; the epsilon keeps 0.2 * 10 at 2, not 3. */
	double want = st->brake_cfg.max_share * (double)st->n;
	size_t k = want > 0 ? (size_t)want : 0;
	if ((double)k < want - 1e-9)
		k++;
	return k > st->brake_cfg.min_switches ? k : st->brake_cfg.min_switches;
}

/* ---- applying ops: the one place the journalled state changes (the
 * settings come from state_sync, `held` from policy_run: neither is
 * journalled) ---- */

static void apply_signal(struct state *st, const struct st_op *op, int64_t t)
{
	const char *src = op->src, *id = op->id, *reason = op->reason;
	enum st_sig_kind kind = op->sig;
	enum side side = op->side;
	int64_t exp = op->exp;
	char detail[512];

	sig_detail(detail, sizeof(detail), src, id, reason);
	for (size_t i = 0; i < op->n_names; i++) {
		struct st_switch *sw = state_lookup(st, op->names[i]);
		struct st_signal *f, n = { (char *)src, (char *)id, (char *)reason, side, t, exp };
		if (sw == NULL)
			continue;
		switch (kind) {
		case ST_SIG_DOWN:
			if (exp < st->next_expiry)
				st->next_expiry = exp;
			f = sig_find(&sw->sig_ix, sw->sig, sw->n_sig, src, id);
			if (f == NULL) {
				sig_add(st, &sw->sig_ix, &sw->sig, &sw->n_sig, &sw->cap_sig, &n);
				st_hist_push(st, t, ST_H_DOWN, sw->name, -1, (int)side, ST_CAUSE_SIGNAL, src, detail);
				break;
			}
			if (f->side != side) {
				enum side old = f->side;
				f->side = side;
				f->since = t;
				st_hist_push(st, t, ST_H_DOWN, sw->name, -1, (int)side, ST_CAUSE_SIGNAL, src, detail);
				if (!state_side_down(sw, old, t, NULL))
					sw->healthy_since[old] = t;
			}
			f->expires = exp;
			set_str(&f->reason, reason);
			break;
		case ST_SIG_UP:
			f = sig_find(&sw->sig_ix, sw->sig, sw->n_sig, src, id);
			if (f == NULL)
				break;
			side = f->side;
			sig_remove(st, &sw->sig_ix, sw->sig, &sw->n_sig, f);
			st_hist_push(st, t, ST_H_UP, sw->name, -1, (int)side, ST_CAUSE_SIGNAL, src, detail);
			if (!state_side_down(sw, side, t, NULL))
				sw->healthy_since[side] = t;
			break;
		case ST_SIG_WARN:
			if (exp < st->next_expiry)
				st->next_expiry = exp;
			f = sig_find(&sw->warn_ix, sw->warn, sw->n_warn, src, id);
			if (f == NULL) {
				sig_add(st, &sw->warn_ix, &sw->warn, &sw->n_warn, &sw->cap_warn, &n);
				st_hist_push(st, t, ST_H_WARN, sw->name, -1, -1, ST_CAUSE_SIGNAL, src, detail);
			} else {
				f->expires = exp;
				set_str(&f->reason, reason);
			}
			break;
		case ST_SIG_WARN_CLEAR:
			f = sig_find(&sw->warn_ix, sw->warn, sw->n_warn, src, id);
			if (f != NULL) {
				sig_remove(st, &sw->warn_ix, sw->warn, &sw->n_warn, f);
				st_hist_push(st, t, ST_H_WARN_CLEAR, sw->name, -1, -1, ST_CAUSE_SIGNAL, src, detail);
			}
			break;
		}
	}
}

static void apply_pin(struct state *st, const struct st_op *op, int64_t t)
{
	const char *reason = op->reason, *actor = op->actor, *glob = op->glob;
	enum side side = op->side;

	for (size_t i = 0; i < op->n_names; i++) {
		struct st_switch *sw = state_lookup(st, op->names[i]);
		if (sw == NULL)
			continue;
		pin_clear(&sw->pin);
		sw->pin.active = 1;
		sw->pin.side = side;
		sw->pin.reason = st_xstrdup(reason);
		sw->pin.actor = st_xstrdup(actor);
		sw->pin.glob = st_xstrdup(glob);
		sw->pin.created = t;
		sw->pin.expires = op->exp;
		if (sw->pin.expires != 0 && sw->pin.expires < st->next_expiry)
			st->next_expiry = sw->pin.expires;
		st_hist_push(st, t, ST_H_PIN, sw->name, -1, (int)side, ST_CAUSE_PIN, actor, reason);
	}
}

static void pin_end(struct state *st, struct st_switch *sw, int64_t t, enum st_cause why, const char *actor)
{
	char detail[512];
	snprintf(detail, sizeof(detail), "pin to %s by %s: %s", side_name(sw->pin.side),
	         sw->pin.actor ? sw->pin.actor : "?", sw->pin.reason ? sw->pin.reason : "");
	st_hist_push(st, t, why == ST_CAUSE_UNPIN ? ST_H_UNPIN : ST_H_PIN_EXPIRED, sw->name, -1, -1, why, actor,
	             detail);
	pin_clear(&sw->pin);
	sw->pin_ended = t;
	sw->pin_end_cause = why;
	set_str(&sw->pin_end_actor, actor);
}

static void apply_unpin(struct state *st, const struct st_op *op, int64_t t)
{
	for (size_t i = 0; i < op->n_names; i++) {
		struct st_switch *sw = state_lookup(st, op->names[i]);
		if (sw != NULL && sw->pin.active)
			pin_end(st, sw, t, ST_CAUSE_UNPIN, op->actor);
	}
}

static void apply_expire(struct state *st, int64_t t)
{
	char detail[512];
	for (size_t k = 0; k < st->n; k++) {
		struct st_switch *sw = st->sw[k];
		int64_t ended[2] = { 0, 0 };
		for (size_t i = sw->n_sig; i-- > 0;) {
			struct st_signal *s = &sw->sig[i];
			if (s->expires > t)
				continue;
			if (s->expires > ended[s->side])
				ended[s->side] = s->expires;
			sig_detail(detail, sizeof(detail), s->source, s->id, s->reason);
			st_hist_push(st, t, ST_H_EXPIRED, sw->name, -1, (int)s->side, ST_CAUSE_SIGNAL, "routerd", detail);
			sig_remove(st, &sw->sig_ix, sw->sig, &sw->n_sig, s);
		}
		/* The side recovered when its last signal ran out, not when we noticed. */
		for (int side = 0; side < 2; side++)
			if (ended[side] && !state_side_down(sw, (enum side)side, t, NULL) &&
			    ended[side] > sw->healthy_since[side])
				sw->healthy_since[side] = ended[side];
		for (size_t i = sw->n_warn; i-- > 0;) {
			struct st_signal *s = &sw->warn[i];
			if (s->expires > t)
				continue;
			sig_detail(detail, sizeof(detail), s->source, s->id, s->reason);
			st_hist_push(st, t, ST_H_WARN_EXPIRED, sw->name, -1, -1, ST_CAUSE_SIGNAL, "routerd", detail);
			sig_remove(st, &sw->warn_ix, sw->warn, &sw->n_warn, s);
		}
		if (sw->pin.active && sw->pin.expires != 0 && sw->pin.expires <= t)
			pin_end(st, sw, t, ST_CAUSE_PIN_EXPIRED, "routerd");
	}
}

static void apply_flip(struct state *st, const struct st_op *op, int64_t t)
{
	struct st_switch *sw = state_lookup(st, op->sw);
	enum st_cause cause = op->cause;
	enum side to = op->to;

	if (sw == NULL)
		return;
	st_hist_push(st, t, ST_H_FLIP, sw->name, (int)sw->side, (int)to, cause, op->actor, op->detail);
	sw->side = to;
	sw->cause = cause;
	set_str(&sw->detail, op->detail);
	sw->last_flip = t;
	sw->flips++;
	st->flips_total[to][cause]++;
	if (state_cause_automated(cause)) {
		struct st_brake *b = &st->brake;
		int64_t from = t - st->brake_cfg.window;
		size_t drop = 0;
		/* Only flips inside the window count: forget the older ones. */
		while (drop < b->n_flips && b->flips[drop] <= from)
			drop++;
		if (drop > 0) {
			memmove(b->flips, b->flips + drop, (b->n_flips - drop) * sizeof(*b->flips));
			b->n_flips -= drop;
		}
		if (b->n_flips == b->cap_flips) {
			b->cap_flips = b->cap_flips ? b->cap_flips * 2 : 16;
			b->flips = st_xrealloc(b->flips, b->cap_flips * sizeof(*b->flips));
		}
		b->flips[b->n_flips++] = t;
	}
}

static void apply_brake(struct state *st, const struct st_op *op, int64_t t)
{
	struct st_brake *b = &st->brake;
	int on = op->on;
	const char *reason = op->reason, *actor = op->actor;

	b->engaged = on;
	b->since = t;
	set_str(&b->reason, reason);
	set_str(&b->actor, actor);
	if (!on)
		b->n_flips = 0;
	st_hist_push(st, t, on ? ST_H_BRAKE_ON : ST_H_BRAKE_OFF, NULL, -1, -1, ST_CAUSE_SIGNAL, actor, reason);
}

static void apply_op(struct state *st, const struct st_op *op)
{
	int64_t t = op->t;
	struct st_switch *sw;

	switch (op->kind) {
	case OP_SIGNAL:
		apply_signal(st, op, t);
		break;
	case OP_FLIP:
		apply_flip(st, op, t);
		break;
	case OP_EXPIRE:
		apply_expire(st, t);
		break;
	case OP_PIN:
		apply_pin(st, op, t);
		break;
	case OP_UNPIN:
		apply_unpin(st, op, t);
		break;
	case OP_BRAKE:
		apply_brake(st, op, t);
		break;
	case OP_ADD:
		if (state_lookup(st, op->sw) == NULL) {
			st_switch_insert(st, st_switch_new(op->sw, op->side, t));
			st_hist_push(st, t, ST_H_ADDED, op->sw, -1, (int)op->side, ST_CAUSE_INITIAL, "config", NULL);
		}
		break;
	case OP_REMOVE:
		sw = state_lookup(st, op->sw);
		if (sw != NULL) {
			st_hist_push(st, t, ST_H_REMOVED, sw->name, (int)sw->side, -1, ST_CAUSE_INITIAL, "config",
			             "no longer in the configuration");
			switch_remove(st, sw);
		}
		break;
	case OP__COUNT:
		break;
	}
}

int state_apply(struct state *st, const json_t *txn)
{
	json_t *ops = json_object_get(txn, "ops"), *jop;
	struct st_op *op;
	size_t i, n = json_array_size(ops);
	char err[256];
	int r = 0;

	if (!json_is_array(ops) || !json_is_integer(json_object_get(txn, "t"))) {
		log_error("state: journal record %lld: not a transaction (\"t\" and \"ops\" are required)",
		          (long long)st_jint(txn, "seq"));
		return -EINVAL;
	}
	/* All decoded before any is applied: a bad record changes nothing. */
	op = st_xrealloc(NULL, (n ? n : 1) * sizeof(*op));
	memset(op, 0, (n ? n : 1) * sizeof(*op));
	json_array_foreach(ops, i, jop) {
		if ((r = st_op_decode(jop, &op[i], err, sizeof(err))) < 0) {
			log_error("state: journal record %lld: op %zu: %s", (long long)st_jint(txn, "seq"), i, err);
			break;
		}
	}
	for (i = 0; r == 0 && i < n; i++)
		apply_op(st, &op[i]);
	for (i = 0; i < n; i++)
		st_op_clear(&op[i]);
	free(op);
	return r;
}

/* ---- live mutators: build the op, record it, apply it ---- */

json_t *state_txn_new(int64_t now)
{
	/* seq first so a journal dump reads in order; journal_append sets it. */
	return json_pack("{s:I,s:I,s:[]}", "seq", (json_int_t)0, "t", (json_int_t)now, "ops");
}

int state_txn_empty(const json_t *txn)
{
	return json_array_size(json_object_get(txn, "ops")) == 0;
}

/* Append OP's encoding to TXN's ops (TXN NULL: tests, apply only), then
 * apply it: the same struct recovery decodes from the journal. */
static int commit(struct state *st, json_t *txn, const struct st_op *op)
{
	if (txn != NULL) {
		json_t *j = st_op_encode(op);
		if (j == NULL || json_array_append_new(json_object_get(txn, "ops"), j) < 0)
			return -ENOMEM;
	}
	apply_op(st, op);
	return 0;
}

/* The names of SW[0..N) for an op (free() the array). */
static const char **names_of(struct st_switch **sw, size_t n)
{
	const char **a = st_xrealloc(NULL, (n ? n : 1) * sizeof(*a));
	for (size_t i = 0; i < n; i++)
		a[i] = sw[i]->name;
	return a;
}

int state_expire(struct state *st, json_t *txn, int64_t now)
{
	int k = 0;
	int64_t next = INT64_MAX;

	/* Nothing can have run out before the bound: most calls end here. */
	if (now < st->next_expiry)
		return 0;
	for (size_t i = 0; i < st->n; i++) {
		const struct st_switch *sw = st->sw[i];
		for (size_t j = 0; j < sw->n_sig; j++) {
			k += sw->sig[j].expires <= now;
			if (sw->sig[j].expires > now && sw->sig[j].expires < next)
				next = sw->sig[j].expires;
		}
		for (size_t j = 0; j < sw->n_warn; j++) {
			k += sw->warn[j].expires <= now;
			if (sw->warn[j].expires > now && sw->warn[j].expires < next)
				next = sw->warn[j].expires;
		}
		if (sw->pin.active && sw->pin.expires != 0) {
			k += sw->pin.expires <= now;
			if (sw->pin.expires > now && sw->pin.expires < next)
				next = sw->pin.expires;
		}
	}
	st->next_expiry = next;
	if (k == 0)
		return 0;
	struct st_op op = { .kind = OP_EXPIRE, .t = now };
	int r = commit(st, txn, &op);
	if (r < 0)
		st->next_expiry = 0; /* not applied: look again next time */
	return r < 0 ? r : k;
}

static void sig_recount(struct state *st)
{
	size_t n = 0;
	for (size_t i = 0; i < st->n; i++)
		n += st->sw[i]->n_sig + st->sw[i]->n_warn;
	st->n_signals = n;
	st->sig_count_stale = 0;
}

/* What a notification would change on SW: ST_CHANGED, ST_REFRESHED or 0. */
static int signal_effect(struct st_switch *sw, enum st_sig_kind kind, const char *src, const char *id,
                         enum side side, const char *reason, int64_t exp)
{
	int warn = kind == ST_SIG_WARN || kind == ST_SIG_WARN_CLEAR;
	const struct st_signal *f = warn ? sig_find(&sw->warn_ix, sw->warn, sw->n_warn, src, id) : sig_find(&sw->sig_ix, sw->sig, sw->n_sig, src, id);

	if (kind == ST_SIG_UP || kind == ST_SIG_WARN_CLEAR)
		return f != NULL ? ST_CHANGED : 0;
	if (f == NULL)
		return ST_CHANGED | ST_REFUSED; /* new: subject to the bounds */
	if (!warn && f->side != side)
		return ST_CHANGED;
	if (f->expires != exp || strcmp(f->reason ? f->reason : "", reason ? reason : "") != 0)
		return ST_REFRESHED;
	return 0;
}

int state_signal(struct state *st, json_t *txn, const char *target, const char *source, const char *id,
                 enum st_sig_kind kind, enum side side, const char *reason, int64_t now)
{
	struct st_switch **m = NULL;
	size_t n = 0, k = 0, added = 0;
	int64_t exp = now + st->signal_ttl;
	int r, res = 0;

	if (target == NULL || source == NULL || id == NULL || (unsigned)kind > ST_SIG_WARN_CLEAR)
		return -EINVAL;
	/* Drop what has run out first, so an expired signal repeated counts as new. */
	if ((r = state_expire(st, txn, now)) < 0)
		return r;
	if ((n = state_match(st, target, &m)) == 0) {
		free(m);
		return -ENOENT;
	}
	if (st->sig_count_stale)
		sig_recount(st);
	for (size_t i = 0; i < n; i++) {
		int e = signal_effect(m[i], kind, source, id, side, reason, exp);
		if (e & ST_REFUSED) {
			/* A new signal: refused, and counted, past the bounds. */
			size_t have = kind == ST_SIG_WARN ? m[i]->n_warn : m[i]->n_sig;
			if (have >= st->max_sig_switch || st->n_signals + added >= st->max_sig_total) {
				st->sig_refused++;
				res |= ST_REFUSED;
				continue;
			}
			added++;
			e &= ~ST_REFUSED;
		}
		if (e) {
			res |= e;
			m[k++] = m[i];
		}
	}
	if (k > 0) {
		struct st_op op = { .kind = OP_SIGNAL, .t = now, .names = names_of(m, k), .n_names = k, .side = side, .sig = kind, .src = source, .id = id, .reason = reason, .exp = exp };
		r = commit(st, txn, &op);
		free(op.names);
	}
	free(m);
	return r < 0 ? r : res;
}

int state_pin(struct state *st, json_t *txn, const char *pattern, enum side side, const char *reason,
              const char *actor, int64_t expires, int64_t now)
{
	struct st_switch **m = NULL;
	size_t n = 0;
	int r;

	if (pattern == NULL || (expires != 0 && expires <= now))
		return -EINVAL;
	if ((r = state_expire(st, txn, now)) < 0)
		return r;
	if ((n = state_match(st, pattern, &m)) == 0) {
		free(m);
		return -ENOENT;
	}
	struct st_op op = { .kind = OP_PIN, .t = now, .names = names_of(m, n), .n_names = n, .side = side, .reason = reason, .actor = actor, .exp = expires, .glob = pattern };
	r = commit(st, txn, &op);
	free(op.names);
	free(m);
	return r < 0 ? r : (int)n;
}

int state_unpin(struct state *st, json_t *txn, const char *pattern, const char *actor, int64_t now)
{
	struct st_switch **m = NULL;
	size_t n = 0, k = 0;
	int r;

	if (pattern == NULL)
		return -EINVAL;
	if ((r = state_expire(st, txn, now)) < 0)
		return r;
	if ((n = state_match(st, pattern, &m)) == 0) {
		free(m);
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++)
		if (m[i]->pin.active)
			m[k++] = m[i];
	if (k > 0) {
		struct st_op op = { .kind = OP_UNPIN, .t = now, .names = names_of(m, k), .n_names = k, .actor = actor };
		r = commit(st, txn, &op);
		free(op.names);
	}
	free(m);
	return r < 0 ? r : (int)k;
}

int state_flip(struct state *st, json_t *txn, struct st_switch *sw, enum side to, enum st_cause cause,
               const char *actor, const char *detail, int64_t now)
{
	assert(to == SIDE_CDN || to == SIDE_ORIGIN);
	if (sw->side == to)
		return 0;
	struct st_op op = { .kind = OP_FLIP, .t = now, .sw = sw->name, .from = sw->side, .to = to, .cause = cause, .actor = actor, .detail = detail };
	int r = commit(st, txn, &op);
	return r < 0 ? r : 1;
}

int state_brake_set(struct state *st, json_t *txn, int on, const char *reason, const char *actor, int64_t now)
{
	if (!on == !st->brake.engaged)
		return 0;
	struct st_op op = { .kind = OP_BRAKE, .t = now, .on = on, .reason = reason, .actor = actor };
	int r = commit(st, txn, &op);
	return r < 0 ? r : 1;
}

int state_sync(struct state *st, json_t *txn, const struct config *cfg, int64_t now)
{
	char *seen = st_xrealloc(NULL, st->n ? st->n : 1);
	struct st_switch **gone = st_xrealloc(NULL, (st->n ? st->n : 1) * sizeof(*gone));
	size_t n_gone = 0;
	int changes = 0, r = 0;

	st->brake_cfg = cfg->brake;
	st->signal_ttl = cfg->defaults.signal_ttl;
	if (cfg->signals.max_per_switch)
		st->max_sig_switch = cfg->signals.max_per_switch;
	if (cfg->signals.max_total)
		st->max_sig_total = cfg->signals.max_total;
	memset(seen, 0, st->n ? st->n : 1);
	for (size_t i = 0; i < cfg->n_switches; i++) {
		long k = lookup_idx(st, cfg->switches[i].name);
		if (k >= 0)
			seen[k] = 1;
	}
	for (size_t k = 0; k < st->n; k++)
		if (!seen[k])
			gone[n_gone++] = st->sw[k];
	for (size_t k = 0; k < n_gone && r >= 0; k++, changes++)
		r = commit(st, txn, &(struct st_op){ .kind = OP_REMOVE, .t = now, .sw = gone[k]->name });
	for (size_t i = 0; i < cfg->n_switches && r >= 0; i++) {
		const struct cfg_switch *c = &cfg->switches[i];
		struct st_switch *sw = state_lookup(st, c->name);
		if (sw == NULL) {
			r = commit(st, txn, &(struct st_op){ .kind = OP_ADD, .t = now, .sw = c->name, .side = c->p.home });
			changes++;
			if (r < 0 || (sw = state_lookup(st, c->name)) == NULL)
				break;
		}
		sw->p = c->p;
	}
	free(seen);
	free(gone);
	return r < 0 ? r : changes;
}

int state_replay_cb(const json_t *rec, int is_snapshot, void *arg)
{
	struct state *st = arg;
	if (!is_snapshot)
		return state_apply(st, rec);
	/* Loaded signals are neither counted nor bounded yet. */
	st->sig_count_stale = 1;
	st->next_expiry = 0;
	return state_load_json(st, rec);
}

json_t *state_snapshot_cb(void *arg)
{
	return state_to_json(arg);
}
