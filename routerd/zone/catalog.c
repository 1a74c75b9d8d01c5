/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * catalog.c -- the RFC 9432 catalog zone of every served zone (fleet.catalog),
 * made in memory when the view is built: Knot and BIND secondaries that
 * transfer it add and drop the member zones on their own.
 *
 * Version 2 (RFC 9432 4.2): an SOA, NS invalid., version TXT "2", and one
 * PTR per member under zones.CATALOG, its label a hash of the member's name
 * so that a member keeps its label across reloads and restarts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "zone/zone.h"

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static int add(ldns_rr_list *l, const char *text)
{
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return -1;
	if (!ldns_rr_list_push_rr(l, rr)) {
		ldns_rr_free(rr);
		return -1;
	}
	return 0;
}

int zone_catalog(const struct config *cfg, struct zone_data **out, char *err, size_t errlen)
{
	const char *cat = cfg->fleet.catalog;
	struct zone_data *z = calloc(1, sizeof(*z));
	char text[1024];
	int rc = 0;

	*out = NULL;
	if (z == NULL || (z->rrs = ldns_rr_list_new()) == NULL || (z->file = strdup("(catalog zone)")) == NULL ||
	    (z->origin = ldns_dname_new_frm_str(cat)) == NULL)
		goto fail;
	ldns_dname2canonical(z->origin);
	/* Serial 1: the fleet gives it a serial newer than the last one served. */
	snprintf(text, sizeof(text), "%s 0 IN SOA invalid. invalid. 1 3600 600 2147483646 0", cat);
	rc |= add(z->rrs, text);
	snprintf(text, sizeof(text), "%s 0 IN NS invalid.", cat);
	rc |= add(z->rrs, text);
	snprintf(text, sizeof(text), "version.%s 0 IN TXT \"2\"", cat);
	rc |= add(z->rrs, text);
	for (size_t i = 0; i < cfg->n_zones && rc == 0; i++) {
		snprintf(text, sizeof(text), "m%016llx.zones.%s 0 IN PTR %s",
		         (unsigned long long)name_hash(cfg->zones[i].name), cat, cfg->zones[i].name);
		rc |= add(z->rrs, text);
	}
	if (rc != 0)
		goto fail;
	ldns_rr_list_sort(z->rrs);
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(z->rrs, i)) == LDNS_RR_TYPE_SOA)
			z->soa = ldns_rr_list_rr(z->rrs, i);
	*out = z;
	return 0;
fail:
	zone_data_free(z);
	snprintf(err, errlen, "%s: error: cannot make the catalog zone %s", cfg->path, cat);
	return -1;
}
