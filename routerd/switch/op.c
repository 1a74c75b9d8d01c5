/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * op.c -- see op.h. One table says, per kind of op, which fields it has,
 * in which order, with which type; encoding and decoding both walk it.
 */
#include "switch/op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switch/state_int.h"

enum ftype {
	F_NAME,     /* a string: one switch (const char *) */
	F_NAMES,    /* an array of strings (names, n_names) */
	F_STR,      /* a string (const char *) */
	F_STR_NULL, /* a string or null (const char *, NULL for null) */
	F_INT,      /* an integer (int64_t) */
	F_BOOL,     /* true or false (int) */
	F_SIDE,     /* "cdn" or "origin" (enum side) */
	F_SIG,      /* "down", "up", "warn", "warn_clear" (enum st_sig_kind) */
	F_CAUSE,    /* a cause's name (enum st_cause) */
};

struct field {
	const char *key;
	enum ftype type;
	size_t off;
};

#define F(key, type, member) { key, type, offsetof(struct st_op, member) }
#define END { NULL, 0, 0 }

/* Every op starts with "op" and "t"; then these, in this order (the order
 * routerd 0.2.0 wrote, so that a journal dump reads the same). */
static const struct field f_add[] = { F("sw", F_NAME, sw), F("side", F_SIDE, side), END };
static const struct field f_remove[] = { F("sw", F_NAME, sw), END };
static const struct field f_signal[] = { F("sw", F_NAMES, names), F("src", F_STR, src),
	                                 F("id", F_STR, id), F("kind", F_SIG, sig),
	                                 F("side", F_SIDE, side), F("reason", F_STR_NULL, reason),
	                                 F("exp", F_INT, exp), END };
static const struct field f_pin[] = { F("sw", F_NAMES, names), F("side", F_SIDE, side),
	                              F("reason", F_STR_NULL, reason), F("actor", F_STR_NULL, actor),
	                              F("exp", F_INT, exp), F("glob", F_STR, glob),
	                              END };
static const struct field f_unpin[] = { F("sw", F_NAMES, names), F("actor", F_STR_NULL, actor), END };
static const struct field f_expire[] = { END };
static const struct field f_flip[] = { F("sw", F_NAME, sw), F("from", F_SIDE, from),
	                               F("to", F_SIDE, to), F("cause", F_CAUSE, cause),
	                               F("actor", F_STR_NULL, actor), F("detail", F_STR_NULL, detail),
	                               END };
static const struct field f_brake[] = { F("on", F_BOOL, on), F("reason", F_STR_NULL, reason),
	                                F("actor", F_STR_NULL, actor), END };

static const struct {
	const char *name;
	const struct field *fields;
} kinds[OP__COUNT] = {
	[OP_ADD] = { "add", f_add },
	[OP_REMOVE] = { "remove", f_remove },
	[OP_SIGNAL] = { "signal", f_signal },
	[OP_PIN] = { "pin", f_pin },
	[OP_UNPIN] = { "unpin", f_unpin },
	[OP_EXPIRE] = { "expire", f_expire },
	[OP_FLIP] = { "flip", f_flip },
	[OP_BRAKE] = { "brake", f_brake },
};

static const char *const sig_names[] = { "down", "up", "warn", "warn_clear" };

const char *st_op_name(enum st_op_kind kind)
{
	return (unsigned)kind < OP__COUNT ? kinds[kind].name : "?";
}

#define AT(op, f, type) ((type *)((char *)(op) + (f)->off))
#define CAT(op, f, type) ((const type *)((const char *)(op) + (f)->off))

static json_t *encode_field(const struct st_op *op, const struct field *f)
{
	json_t *a;
	switch (f->type) {
	case F_NAME:
	case F_STR:
		return json_string(*CAT(op, f, char *));
	case F_STR_NULL:
		return *CAT(op, f, char *) ? json_string(*CAT(op, f, char *)) : json_null();
	case F_NAMES:
		a = json_array();
		for (size_t i = 0; a != NULL && i < op->n_names; i++)
			if (json_array_append_new(a, json_string(op->names[i])) < 0) {
				json_decref(a);
				return NULL;
			}
		return a;
	case F_INT:
		return json_integer((json_int_t)*CAT(op, f, int64_t));
	case F_BOOL:
		return json_boolean(*CAT(op, f, int));
	case F_SIDE:
		return json_string(side_name(*CAT(op, f, enum side)));
	case F_SIG:
		return json_string(sig_names[*CAT(op, f, enum st_sig_kind)]);
	case F_CAUSE:
		return json_string(state_cause_name(*CAT(op, f, enum st_cause)));
	}
	return NULL;
}

json_t *st_op_encode(const struct st_op *op)
{
	json_t *j;

	if ((unsigned)op->kind >= OP__COUNT)
		return NULL;
	j = json_pack("{s:s,s:I}", "op", kinds[op->kind].name, "t", (json_int_t)op->t);
	for (const struct field *f = kinds[op->kind].fields; j != NULL && f->key != NULL; f++) {
		json_t *v = encode_field(op, f);
		if (v == NULL || json_object_set_new(j, f->key, v) < 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

void st_op_clear(struct st_op *op)
{
	free(op->names);
	memset(op, 0, sizeof(*op));
}

/* One field of J into OP; NULL, or what is wrong with it. */
static const char *decode_field(const json_t *j, struct st_op *op, const struct field *f)
{
	json_t *v = json_object_get(j, f->key), *e;
	size_t i;
	int k;

	if (v == NULL)
		return "missing";
	switch (f->type) {
	case F_NAME:
	case F_STR:
		if (!json_is_string(v))
			return "not a string";
		*AT(op, f, const char *) = json_string_value(v);
		return NULL;
	case F_STR_NULL:
		if (!json_is_string(v) && !json_is_null(v))
			return "neither a string nor null";
		*AT(op, f, const char *) = json_string_value(v);
		return NULL;
	case F_NAMES:
		if (!json_is_array(v))
			return "not an array";
		op->names = st_xrealloc(NULL, (json_array_size(v) + 1) * sizeof(*op->names));
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return "holds something other than names";
			op->names[i] = json_string_value(e);
		}
		op->n_names = json_array_size(v);
		return NULL;
	case F_INT:
		if (!json_is_integer(v))
			return "not an integer";
		*AT(op, f, int64_t) = (int64_t)json_integer_value(v);
		return NULL;
	case F_BOOL:
		if (!json_is_boolean(v))
			return "not true or false";
		*AT(op, f, int) = json_is_true(v);
		return NULL;
	case F_SIDE:
		return side_parse(json_string_value(v), AT(op, f, enum side)) < 0 ? "not cdn or origin" : NULL;
	case F_SIG:
		for (k = 0; k < 4; k++)
			if (json_is_string(v) && strcmp(json_string_value(v), sig_names[k]) == 0) {
				*AT(op, f, enum st_sig_kind) = (enum st_sig_kind)k;
				return NULL;
			}
		return "not down, up, warn or warn_clear";
	case F_CAUSE:
		k = st_cause_parse(json_string_value(v));
		if (k < 0)
			return "not a cause";
		*AT(op, f, enum st_cause) = (enum st_cause)k;
		return NULL;
	}
	return "of an unknown type";
}

int st_op_decode(const json_t *j, struct st_op *op, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(j, "op")), *why;
	json_t *t = json_object_get(j, "t");
	int kind = -1;

	memset(op, 0, sizeof(*op));
	if (!json_is_object(j)) {
		snprintf(err, errlen, "an op that is not an object");
		return -EINVAL;
	}
	for (int k = 0; name != NULL && k < OP__COUNT; k++)
		if (strcmp(name, kinds[k].name) == 0)
			kind = k;
	if (kind < 0) {
		/* Written by a newer routerd: refuse rather than guess. */
		snprintf(err, errlen, "unknown op \"%s\"", name ? name : "(none)");
		return -EINVAL;
	}
	op->kind = (enum st_op_kind)kind;
	if (!json_is_integer(t)) {
		snprintf(err, errlen, "op \"%s\": field \"t\" %s", name, t ? "not an integer" : "missing");
		return -EINVAL;
	}
	op->t = (int64_t)json_integer_value(t);
	for (const struct field *f = kinds[kind].fields; f->key != NULL; f++)
		if ((why = decode_field(j, op, f)) != NULL) {
			snprintf(err, errlen, "op \"%s\": field \"%s\" %s", name, f->key, why);
			st_op_clear(op);
			return -EINVAL;
		}
	return 0;
}
