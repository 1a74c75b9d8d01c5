/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * state_int.h -- what state.c and state_json.c share; not for other modules.
 */
#ifndef ROUTERD_STATE_INT_H
#define ROUTERD_STATE_INT_H

#include "switch/state.h"

/* Allocation failures abort: the journal holds every acknowledged change,
 * so a restart recovers; a half-applied op in memory would be worse. */
void *st_xrealloc(void *p, size_t n);
char *st_xstrdup(const char *s); /* NULL stays NULL */

/* A switch with its initial SIDE at time T, not yet in a state. */
struct st_switch *st_switch_new(const char *name, enum side side, int64_t t);
void st_switch_free(struct st_switch *sw);
/* Append SW to ST (order and name index). */
void st_switch_insert(struct state *st, struct st_switch *sw);
/* Free every switch, the brake and the history; keep settings. */
void st_clear(struct state *st);

void st_hist_push(struct state *st, int64_t t, enum st_hist_kind kind, const char *sw, int from, int to,
                  enum st_cause cause, const char *actor, const char *detail);
/* Index of NAME in the tables, or -1. */
int st_cause_parse(const char *name);
int st_hist_parse(const char *name);

/* Whether PATTERN (a name in any case, final dot optional, or a glob)
 * names the stored switch NAME. */
int st_name_match(const char *pattern, const char *name);

/* Append a copy of SIG to an array of signals. */
void st_sig_push(struct st_signal **arr, size_t *n, size_t *cap, const struct st_signal *sig);

static inline const char *st_jstr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static inline int64_t st_jint(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

#endif
