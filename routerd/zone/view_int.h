/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view_int.h -- the compiled view, shared by view.c (building), compile.c
 * (wire encoding) and answer.c (lookups). Nothing outside these three
 * files includes it.
 *
 * A response body (everything after the question) is a struct blob. It is
 * compiled against an *anchor*: a name that is a suffix of every query name
 * that can use the blob. Compression pointers into the question or into the
 * blob itself move when the real query name is longer than the anchor, so
 * their offsets are listed in patch[] and shifted by the difference. Blobs
 * for an exact name have anchor == query name and no patches.
 */
#ifndef ROUTERD_VIEW_INT_H
#define ROUTERD_VIEW_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "lib/wire.h"

struct tsig_key;
struct ximage;

enum { SEC_ANSWER = 0, SEC_AUTHORITY = 1, SEC_ADDITIONAL = 2 };

/* Where one RRset ends in a blob, so a response that does not fit can be
 * cut at an RRset boundary (RFC 2181 9: never send part of an RRset). */
struct blob_rrset {
	uint16_t end;   /* offset in data just past the RRset */
	uint8_t section;
	uint8_t count;  /* RRs in it (an RRset may exceed 255 RRs: split) */
};

struct blob {
	uint8_t rcode;
	uint8_t aa;
	uint8_t anchor_len;  /* wire length of the anchor name */
	uint8_t pad;
	uint16_t count[3];   /* answer, authority, additional */
	uint16_t len;        /* bytes of data */
	uint16_t n_rrsets;
	uint16_t n_patch;
	uint16_t serial_off;   /* offset of an SOA serial in data, or NO_SERIAL */
	const struct blob_rrset *rrsets;
	const uint16_t *patch; /* offsets in data of pointers that shift */
	const uint8_t *data;
	const _Atomic uint32_t *serial; /* the zone's live serial, when serial_off is set */
};

#define NO_SERIAL 0xffff

/* Answer for one query type at a node. */
struct typed_blob {
	uint16_t type;
	const struct blob *blob;
};

/* Everything a node answers, for one switch selector value. */
struct answers {
	uint16_t n_types;
	const struct typed_blob *types; /* sorted by type */
	const struct blob *other;       /* a type not in types[] */
	const struct blob *any_udp;     /* ANY over UDP: one RRset (RFC 8482) */
	const struct blob *any_tcp;     /* ANY over TCP: every RRset */
};

struct vzone;

struct node {
	const struct vzone *zone;
	const struct node *cut;   /* delegation at or above this node, or NULL */
	const struct node *wild;  /* the "*" child, or NULL */
	const struct blob *referral; /* set on delegation points */
	int32_t sw;               /* switch index, -1 when not switched */
	/* What the node answers: one struct, or for a switched node an array
	 * of four indexed by the switch's selector (a pointer, not four, keeps
	 * the millions of plain nodes small). */
	const struct answers *ans;
	uint8_t name_len;
	uint8_t name[];           /* lower-case wire format */
};

struct vzone {
	_Atomic uint32_t serial;     /* served SOA serial: the file's, raised by every flip */
	const struct node *apex;
	const struct blob *nxdomain; /* NXDOMAIN + SOA, anchored at the apex */
	const struct blob *nodata;   /* NOERROR + SOA, anchored at the apex */
};

struct vswitch {
	_Atomic uint8_t sel;   /* VIEW_SEL_* bits */
	char *name;            /* presentation, lower case, final dot */
	const struct node *node;
};

struct view {
	const struct node **table; /* open addressing over every node of every zone */
	size_t mask;
	struct vzone *zones;
	size_t n_zones;
	struct vswitch *switches;
	size_t n_switches;
	uint16_t udp_payload_max;
	const struct tsig_key *tsig_keys; /* fleet.keys: queries with a TSIG are verified */
	size_t n_tsig_keys;
	struct ximage **images;    /* per zone: its records for transfers (ximage.h) */
	void *arena;               /* all blobs and nodes, freed at once */
};

/* Hash of a lower-case wire-format name. */
static inline uint64_t view_hash(const uint8_t *name, size_t len)
{
	/* FNV-1a: names are short, and this is one multiply per byte. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ name[i]) * 0x100000001b3ull;
	return h;
}

/* The node named NAME (lower-case wire, LEN bytes), or NULL. */
static inline const struct node *view_lookup(const struct view *v, const uint8_t *name, size_t len)
{
	size_t i = (size_t)view_hash(name, len) & v->mask;
	for (;;) {
		const struct node *n = v->table[i];
		if (n == NULL)
			return NULL;
		if (n->name_len == len && __builtin_memcmp(n->name, name, len) == 0)
			return n;
		i = (i + 1) & v->mask;
	}
}

#endif
