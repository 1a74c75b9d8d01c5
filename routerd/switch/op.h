/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * op.h -- the journal's ops as typed records, with the one encoding and
 * decoding of each (state.h lists them). The live mutators fill a struct
 * st_op and encode it into the transaction; recovery decodes each op of
 * a journal record back into one. Both then apply the struct, in state.c.
 *
 * Decoding is strict: every field of the op's kind must be there with its
 * type (a field that may be absent is written as null, and read back as
 * NULL). A missing or ill-typed field is an error naming the field, never
 * a default: a pin whose "exp" is missing would otherwise never expire.
 * Fields the kind does not have are ignored.
 */
#ifndef ROUTERD_OP_H
#define ROUTERD_OP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "switch/state.h"

enum st_op_kind {
	OP_ADD = 0,
	OP_REMOVE,
	OP_SIGNAL,
	OP_PIN,
	OP_UNPIN,
	OP_EXPIRE,
	OP_FLIP,
	OP_BRAKE,
	OP__COUNT,
};

/* Which fields an op has depends on its kind (op.c's table, and state.h). */
struct st_op {
	enum st_op_kind kind;
	int64_t t;                 /* when it was applied (ms) */
	const char *sw;            /* add, remove, flip: the switch */
	const char **names;        /* signal, pin, unpin: the switches */
	size_t n_names;
	enum side side;        /* add: initial; signal: the unhealthy side; pin: the pinned side */
	enum side from, to;    /* flip */
	enum st_sig_kind sig;      /* signal */
	enum st_cause cause;       /* flip */
	const char *src, *id;      /* signal */
	const char *reason;        /* signal, pin, brake; may be NULL */
	const char *actor;         /* pin, unpin, flip, brake; may be NULL */
	const char *detail;        /* flip; may be NULL */
	const char *glob;          /* pin: the pattern typed */
	int64_t exp;               /* signal, pin: expiry (ms); pin 0: never */
	int on; /* brake: engaged (1) or cleared (0) */
};

/* The op as JSON, a new reference (NULL: out of memory). */
json_t *st_op_encode(const struct st_op *op);

/*
 * Read OP from J. Strings point into J (keep J while OP is used); names is
 * allocated: st_op_clear() it. Returns 0, or -EINVAL with the op's kind
 * and the field at fault in ERR.
 */
int st_op_decode(const json_t *j, struct st_op *op, char *err, size_t errlen);
void st_op_clear(struct st_op *op);

const char *st_op_name(enum st_op_kind kind);

#endif
