/* SPDX-License-Identifier: BSD-3-Clause */
/* ximage.c -- see ximage.h. */
#include "zone/ximage.h"

#include <stdlib.h>
#include <string.h>

#include "lib/wire.h"

int xrrs_add_wire(struct xrrs *r, const uint8_t *rr, size_t len)
{
	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		while (cap < r->len + len)
			cap *= 2;
		uint8_t *d = realloc(r->data, cap);
		if (d == NULL)
			return -1;
		r->data = d;
		r->cap = cap;
	}
	memcpy(r->data + r->len, rr, len);
	r->len += len;
	r->count++;
	return 0;
}

/* ldns writes names uncompressed in rr2wire's answer-section form. */
static int add_rr(struct xrrs *r, const ldns_rr *rr)
{
	uint8_t *wire = NULL;
	size_t n = 0;
	int rc = -1;

	if (ldns_rr2wire(&wire, rr, LDNS_SECTION_ANSWER, &n) == LDNS_STATUS_OK)
		rc = xrrs_add_wire(r, wire, n);
	LDNS_FREE(wire);
	return rc;
}

size_t xrr_len(const uint8_t *p)
{
	size_t n = 0;
	while (p[n] != 0)
		n += 1u + p[n];
	n++;
	return n + 10 + wire_get16(p + n + 8);
}

struct ximage *ximage_new(const ldns_rdf *apex, const ldns_rr *soa)
{
	struct ximage *x = calloc(1, sizeof(*x));
	size_t n = ldns_rdf_size(apex), i = 0;
	char *text;

	if (x == NULL)
		return NULL;
	atomic_init(&x->refs, 1);
	memcpy(x->apex, ldns_rdf_data(apex), n);
	wire_name_lower(x->apex, n);
	x->apex_len = (uint8_t)n;
	text = ldns_rdf2str(apex);
	if (text != NULL) {
		snprintf(x->name, sizeof(x->name), "%s", text);
		for (char *p = x->name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		free(text);
	}
	if (add_rr(&x->soa, soa) < 0) {
		ximage_unref(x);
		return NULL;
	}
	/* SERIAL follows the owner, the fixed part, MNAME and RNAME. */
	while (x->soa.data[i] != 0)
		i += 1u + x->soa.data[i];
	i += 11;
	for (int k = 0; k < 2; k++) {
		while (x->soa.data[i] != 0)
			i += 1u + x->soa.data[i];
		i++;
	}
	x->soa_serial_off = i;
	x->file_serial = (uint32_t)x->soa.data[i] << 24 | (uint32_t)x->soa.data[i + 1] << 16 |
	                 (uint32_t)x->soa.data[i + 2] << 8 | x->soa.data[i + 3];
	return x;
}

int ximage_add_base(struct ximage *x, const ldns_rr *rr)
{
	return add_rr(&x->base, rr);
}

long ximage_add_switch(struct ximage *x, uint32_t view_idx, const char *name)
{
	if (x->n_sw == x->cap_sw) {
		size_t cap = x->cap_sw ? x->cap_sw * 2 : 8;
		struct xswitch *s = realloc(x->sw, cap * sizeof(*s));
		if (s == NULL)
			return -1;
		x->sw = s;
		x->cap_sw = cap;
	}
	memset(&x->sw[x->n_sw], 0, sizeof(x->sw[0]));
	x->sw[x->n_sw].view_idx = view_idx;
	x->sw[x->n_sw].name = strdup(name);
	if (x->sw[x->n_sw].name == NULL)
		return -1;
	return (long)x->n_sw++;
}

int ximage_add_switch_rr(struct ximage *x, size_t slot, unsigned sel, const ldns_rr *rr)
{
	return add_rr(&x->sw[slot].sel[sel & 3], rr);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

void ximage_seal(struct ximage *x)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, x->soa.data, x->soa_serial_off);
	h = fnv(h, x->soa.data + x->soa_serial_off + 4, x->soa.len - x->soa_serial_off - 4);
	h = fnv(h, x->base.data, x->base.len);
	for (size_t i = 0; i < x->n_sw; i++) {
		h = fnv(h, x->sw[i].name, strlen(x->sw[i].name) + 1);
		for (int s = 0; s < 4; s++)
			h = fnv(fnv(h, &x->sw[i].sel[s].count, 4), x->sw[i].sel[s].data, x->sw[i].sel[s].len);
	}
	x->hash = h;
}

struct ximage *ximage_ref(struct ximage *x)
{
	if (x != NULL)
		atomic_fetch_add(&x->refs, 1);
	return x;
}

void ximage_unref(struct ximage *x)
{
	if (x == NULL || atomic_fetch_sub(&x->refs, 1) != 1)
		return;
	free(x->soa.data);
	free(x->base.data);
	for (size_t i = 0; i < x->n_sw; i++) {
		free(x->sw[i].name);
		for (int s = 0; s < 4; s++)
			free(x->sw[i].sel[s].data);
	}
	free(x->sw);
	free(x);
}
