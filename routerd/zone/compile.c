/* SPDX-License-Identifier: BSD-3-Clause */
/* compile.c -- see compile.h. */
#include "zone/compile.h"

#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"

/* Largest body we build: a 64 KiB TCP message minus header, the longest
 * question and an OPT record. */
#define BODY_MAX (65535 - 12 - 259 - 11)
/* Compression pointers hold 14 bits; shifting targets may move by up to a
 * full name length, so only names this low are offered for compression. */
#define PTR_TARGET_MAX (0x3fff - 255)

struct dict_entry {
	uint16_t voff;     /* offset in the response, assuming qname == anchor */
	uint8_t len;
	uint8_t shifting;  /* moves with the query name's length */
	uint32_t name_at;  /* lower-case suffix in names[] */
};

struct blob_builder {
	uint8_t *data;
	size_t len, cap;
	int exact, failed;
	uint16_t base;     /* response offset of data[0] when qname == anchor */
	uint16_t count[3];
	int section;
	struct blob_rrset *rrsets;
	size_t n_rrsets, cap_rrsets;
	uint16_t *patch;
	size_t n_patch, cap_patch;
	struct dict_entry *dict;
	size_t n_dict, cap_dict;
	uint8_t *names;
	size_t names_len, names_cap;
	uint8_t anchor_len;
	uint16_t serial_off;
	const _Atomic uint32_t *serial;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *q;
	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static void put(struct blob_builder *b, const void *src, size_t n)
{
	if (b->failed || b->len + n > BODY_MAX || grow((void **)&b->data, &b->cap, b->len + n, 1) < 0) {
		b->failed = 1;
		return;
	}
	memcpy(b->data + b->len, src, n);
	b->len += n;
}

static void put16(struct blob_builder *b, uint16_t v)
{
	uint8_t x[2];
	wire_put16(x, v);
	put(b, x, 2);
}

static void put32(struct blob_builder *b, uint32_t v)
{
	uint8_t x[4];
	wire_put32(x, v);
	put(b, x, 4);
}

static void dict_add(struct blob_builder *b, const uint8_t *lname, size_t len, unsigned voff, int shifting)
{
	struct dict_entry *e;
	if (voff > PTR_TARGET_MAX)
		return;
	if (grow((void **)&b->dict, &b->cap_dict, b->n_dict + 1, sizeof(*b->dict)) < 0 ||
	    grow((void **)&b->names, &b->names_cap, b->names_len + len, 1) < 0) {
		b->failed = 1;
		return;
	}
	e = &b->dict[b->n_dict++];
	e->voff = (uint16_t)voff;
	e->len = (uint8_t)len;
	e->shifting = (uint8_t)shifting;
	e->name_at = (uint32_t)b->names_len;
	memcpy(b->names + b->names_len, lname, len);
	b->names_len += len;
}

static const struct dict_entry *dict_find(const struct blob_builder *b, const uint8_t *lname, size_t len)
{
	for (size_t i = 0; i < b->n_dict; i++) {
		const struct dict_entry *e = &b->dict[i];
		if (e->len == len && memcmp(b->names + e->name_at, lname, len) == 0)
			return e;
	}
	return NULL;
}

struct blob_builder *bb_new(const uint8_t *anchor, size_t anchor_len, int exact)
{
	struct blob_builder *b = calloc(1, sizeof(*b));
	size_t i = 0;

	if (b == NULL)
		return NULL;
	b->exact = exact;
	b->anchor_len = (uint8_t)anchor_len;
	b->serial_off = NO_SERIAL;
	b->base = (uint16_t)(WIRE_HEADER_LEN + anchor_len + 4);
	/* Every suffix of the anchor sits in the question, at the end of the
	 * query name: offer each for compression. */
	while (i < anchor_len && anchor[i] != 0) {
		dict_add(b, anchor + i, anchor_len - i, WIRE_HEADER_LEN + i, 1);
		i += 1u + anchor[i];
	}
	return b;
}

void bb_free(struct blob_builder *b)
{
	if (b == NULL)
		return;
	free(b->data);
	free(b->rrsets);
	free(b->patch);
	free(b->dict);
	free(b->names);
	free(b);
}

void bb_serial_source(struct blob_builder *b, const _Atomic uint32_t *serial)
{
	b->serial = serial;
}

static void put_pointer(struct blob_builder *b, const struct dict_entry *e)
{
	if (e->shifting && !b->exact) {
		if (grow((void **)&b->patch, &b->cap_patch, b->n_patch + 1, sizeof(*b->patch)) < 0) {
			b->failed = 1;
			return;
		}
		b->patch[b->n_patch++] = (uint16_t)b->len;
	}
	put16(b, (uint16_t)(0xc000 | e->voff));
}

/* Write NAME (wire, any case), compressed when COMPRESS (RFC 1035 4.1.4). */
static void put_name(struct blob_builder *b, const uint8_t *name, size_t len, int compress)
{
	uint8_t lname[WIRE_NAME_MAX];
	size_t i = 0;

	if (len > WIRE_NAME_MAX) {
		b->failed = 1;
		return;
	}
	memcpy(lname, name, len);
	wire_name_lower(lname, len);
	while (i < len && name[i] != 0) {
		const struct dict_entry *e = compress ? dict_find(b, lname + i, len - i) : NULL;
		if (e != NULL) {
			put_pointer(b, e);
			return;
		}
		/* This suffix is new: remember where it starts, then write its first label. */
		dict_add(b, lname + i, len - i, b->base + b->len, 1);
		put(b, name + i, 1u + name[i]);
		i += 1u + name[i];
	}
	put(b, "", 1);
}

/* RDATA names that may be compressed: the RFC 1035 types only (RFC 3597 4). */
static int type_compresses(ldns_rr_type t)
{
	unsigned skip;
	return wire_rdata_names((uint16_t)t, &skip) > 0;
}

static void put_rdf(struct blob_builder *b, const ldns_rdf *rdf, int compress)
{
	if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME) {
		put_name(b, ldns_rdf_data(rdf), ldns_rdf_size(rdf), compress);
		return;
	}
	ldns_buffer *buf = ldns_buffer_new(ldns_rdf_size(rdf) + 16);
	if (buf == NULL || ldns_rdf2buffer_wire(buf, rdf) != LDNS_STATUS_OK)
		b->failed = 1;
	else
		put(b, ldns_buffer_begin(buf), ldns_buffer_position(buf));
	ldns_buffer_free(buf);
}

static void put_rr(struct blob_builder *b, const ldns_rdf *owner, const ldns_rr *rr, uint32_t ttl)
{
	size_t rdlen_at;
	int compress = type_compresses(ldns_rr_get_type(rr));

	if (owner == NULL)
		put16(b, 0xc000 | WIRE_HEADER_LEN); /* the query name itself: never moves */
	else
		put_name(b, ldns_rdf_data(owner), ldns_rdf_size(owner), 1);
	put16(b, (uint16_t)ldns_rr_get_type(rr));
	put16(b, (uint16_t)ldns_rr_get_class(rr));
	put32(b, ttl == COMPILE_TTL_ASIS ? ldns_rr_ttl(rr) : ttl);
	rdlen_at = b->len;
	put16(b, 0);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		/* The SOA serial follows MNAME and RNAME (RFC 1035 3.3.13). */
		if (i == 2 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && b->len < NO_SERIAL)
			b->serial_off = (uint16_t)b->len;
		put_rdf(b, ldns_rr_rdf(rr, i), compress);
	}
	if (!b->failed)
		wire_put16(b->data + rdlen_at, (uint16_t)(b->len - rdlen_at - 2));
}

static void close_rrset(struct blob_builder *b, int section, unsigned count)
{
	struct blob_rrset *r;
	if (grow((void **)&b->rrsets, &b->cap_rrsets, b->n_rrsets + 1, sizeof(*b->rrsets)) < 0) {
		b->failed = 1;
		return;
	}
	r = &b->rrsets[b->n_rrsets++];
	r->end = (uint16_t)b->len;
	r->section = (uint8_t)section;
	r->count = (uint8_t)count;
}

int bb_add_rrset(struct blob_builder *b, int section, const ldns_rdf *owner, const ldns_rr_list *rrset,
                 uint32_t ttl)
{
	unsigned in_chunk = 0;

	if (section < b->section)
		return -1;
	b->section = section;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
		put_rr(b, owner, ldns_rr_list_rr(rrset, i), ttl);
		b->count[section]++;
		/* blob_rrset counts fit a byte: a larger RRset is recorded in
		 * pieces, which only matters if a response must be cut there. */
		if (++in_chunk == 255) {
			close_rrset(b, section, in_chunk);
			in_chunk = 0;
		}
	}
	if (in_chunk)
		close_rrset(b, section, in_chunk);
	return b->failed ? -1 : 0;
}

const struct blob *bb_finish(struct blob_builder *b, struct arena *a, uint8_t rcode, uint8_t aa)
{
	struct blob *out;

	if (b->failed)
		return NULL;
	out = arena_alloc(a, sizeof(*out));
	if (out == NULL)
		return NULL;
	out->rcode = rcode;
	out->aa = aa;
	out->anchor_len = b->anchor_len;
	memcpy(out->count, b->count, sizeof(out->count));
	out->len = (uint16_t)b->len;
	out->n_rrsets = (uint16_t)b->n_rrsets;
	out->n_patch = (uint16_t)b->n_patch;
	out->serial_off = b->serial ? b->serial_off : NO_SERIAL;
	out->serial = b->serial_off != NO_SERIAL ? b->serial : NULL;
	out->rrsets = b->n_rrsets ? arena_dup(a, b->rrsets, b->n_rrsets * sizeof(*b->rrsets)) : NULL;
	out->patch = b->n_patch ? arena_dup(a, b->patch, b->n_patch * sizeof(*b->patch)) : NULL;
	out->data = b->len ? arena_dup(a, b->data, b->len) : NULL;
	if ((b->n_rrsets && !out->rrsets) || (b->n_patch && !out->patch) || (b->len && !out->data))
		return NULL;
	return out;
}
