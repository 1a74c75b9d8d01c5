/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ximage.h -- a zone's records for zone transfers: the transfer image.
 *
 * view_build() makes one image per zone beside the compiled answers: every
 * record of the zone in uncompressed wire format, split into the records
 * no switch touches (base) and, per switched name, the records it serves
 * under each of the four selector values. A zone version is then just a
 * serial and one selector per switch, and the difference between two
 * versions is a list of switches whose selector changed (fleet/).
 *
 * An image is immutable once sealed and reference-counted: a transfer in
 * progress keeps its image while reloads replace the view, without holding
 * the view's RCU read side (which would stall a reload).
 */
#ifndef ROUTERD_XIMAGE_H
#define ROUTERD_XIMAGE_H

#include <ldns/ldns.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* A run of RRs, each [owner][type class ttl rdlen][rdata], names uncompressed. */
struct xrrs {
	uint8_t *data;
	size_t len, cap;
	uint32_t count;
};

struct xswitch {
	uint32_t view_idx; /* the switch's index in the view */
	char *name;
	struct xrrs sel[4]; /* records at the switched name per VIEW_SEL_* value */
};

struct ximage {
	_Atomic int refs;
	uint8_t apex[255];   /* lower-case wire */
	uint8_t apex_len;
	char name[256];      /* presentation, lower case, final dot */
	struct xrrs soa;     /* the SOA RR alone */
	size_t soa_serial_off; /* offset of SERIAL in soa.data */
	uint32_t file_serial;
	struct xrrs base;    /* every other record no switch touches */
	struct xswitch *sw;
	size_t n_sw, cap_sw;
	uint64_t hash;       /* content, SOA serial aside: equal hashes, equal data */
};

/* A new image for the zone APEX with SOA; NULL when out of memory. */
struct ximage *ximage_new(const ldns_rdf *apex, const ldns_rr *soa);

/* Append RR to the base records, or to switch slot SLOT under SEL. 0 or -1. */
int ximage_add_base(struct ximage *x, const ldns_rr *rr);
int ximage_add_switch_rr(struct ximage *x, size_t slot, unsigned sel, const ldns_rr *rr);

/* A new switch slot for view switch VIEW_IDX; its slot number or -1. */
long ximage_add_switch(struct ximage *x, uint32_t view_idx, const char *name);

/* Compute the hash; the image is immutable from here on. */
void ximage_seal(struct ximage *x);

/* Raw wire bytes appended to a run (the catalog zone is built this way). */
int xrrs_add_wire(struct xrrs *r, const uint8_t *rr, size_t len);

struct ximage *ximage_ref(struct ximage *x);
void ximage_unref(struct ximage *x);

/* Length of the RR at P (its owner, fixed part and rdata). */
size_t xrr_len(const uint8_t *p);

#endif
