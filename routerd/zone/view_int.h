/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view_int.h -- the compiled view, shared by view_build.c (building it),
 * compile.c (wire encoding), view.c (publishing, the switch table) and
 * dns/answer.c (lookups). Nothing else includes it: the rest of routerd
 * sees a view through view.h.
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

#include "lib/hash.h"
#include "lib/wire.h"

enum {
	SEC_ANSWER = 0,
	SEC_AUTHORITY = 1,
	SEC_ADDITIONAL = 2,
};

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

/* What A answers a query for TYPE with (ANY aside): the query path and the
 * builder both read it here. A node has a handful of types: a linear scan
 * beats a search. */
static inline const struct blob *answers_find(const struct answers *a, uint16_t type)
{
	for (uint16_t i = 0; i < a->n_types; i++)
		if (a->types[i].type == type)
			return a->types[i].blob;
	return a->other;
}

struct vzone;

/* node.flags */
#define NODE_DNAME 1u /* owns a DNAME (not a wildcard, not occluded): names below are synthesized */

struct node {
	const struct vzone *zone;
	const struct node *cut;   /* delegation at or above this node, or NULL */
	const struct node *wild;  /* the "*" child, or NULL */
	/* On a delegation point: the referral. On a DNAME owner: the DNAME
	 * RRset in the answer section, anchored at the owner, for the names
	 * below it (RFC 6672 2.2); its target name is at DNAME_TARGET_OFF. */
	const struct blob *referral;
	int32_t sw;               /* switch index, -1 when not switched */
	uint8_t flags;            /* NODE_* */
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
	uint32_t *switch_idx;      /* open addressing over switches[] by name: index + 1, 0 empty */
	size_t switch_idx_mask;
	uint16_t udp_payload_max;
	void *arena;               /* all blobs and nodes, freed at once */
};

/* Hash of a lower-case wire-format name (lib/hash.h). */
static inline uint64_t view_hash(const uint8_t *name, size_t len)
{
	return hash_bytes(HASH_INIT, name, len);
}

/* Fill switch_idx from switches[] (view_build, once the names are in). */
int view_index_switches(struct view *v);

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

/* In a DNAME node's referral blob: the owner is a 2-byte pointer to the
 * question, then type, class, TTL (at offset 6) and RDLENGTH, then the
 * target, written whole (RFC 6672 2.5: never compressed). */
#define DNAME_TTL_OFF 6
#define DNAME_TARGET_OFF 12

/* What the closest-encloser walk found for a name (RFC 1034 4.3.2 step 3,
 * RFC 4592 3.3.1, RFC 6672 3.2). */
enum walk_kind {
	WALK_NONE,     /* in no zone we serve */
	WALK_NODE,     /* the name itself: node (a delegation point answers DS itself) */
	WALK_REFERRAL, /* below a delegation: node is the cut */
	WALK_WILD,     /* synthesized from node, the wildcard */
	WALK_NX,       /* no such name: node is the closest encloser */
	WALK_DNAME,    /* below a DNAME: node is its owner */
};

struct walk {
	enum walk_kind kind;
	const struct node *node;
};

/*
 * The one closest-encloser walk, used by the query path (answer.c) and by
 * the builder to follow CNAME chains (view_build.c): look the name up,
 * then strip labels until a name exists. NAME is lower-case wire, LEN bytes.
 */
static inline struct walk view_walk(const struct view *v, const uint8_t *name, size_t len)
{
	struct walk w = { WALK_NONE, NULL };
	size_t off = 0;

	for (;;) {
		const struct node *n = view_lookup(v, name + off, len - off);
		if (n != NULL) {
			w.node = n;
			if (n->cut != NULL && (off > 0 || n->cut != n)) {
				w.kind = WALK_REFERRAL;
				w.node = n->cut;
			} else if (off == 0) {
				w.kind = WALK_NODE;
			} else if (n->flags & NODE_DNAME) {
				w.kind = WALK_DNAME;
			} else if (n->wild != NULL) {
				w.kind = WALK_WILD;
				w.node = n->wild;
			} else {
				w.kind = WALK_NX;
			}
			return w;
		}
		if (off >= len || name[off] == 0)
			return w;
		off += 1u + name[off];
	}
}

#endif
