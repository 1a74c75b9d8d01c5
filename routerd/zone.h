/*
 * zone.h -- read one RFC 1035 master file with ldns and check it is a zone
 * we can serve: one SOA at the apex, no data outside the zone, no CNAME beside
 * other data. Every refusal names file:line and the reason.
 */
#ifndef ROUTERD_ZONE_H
#define ROUTERD_ZONE_H

#include <ldns/ldns.h>
#include <stddef.h>

struct zone_data {
	ldns_rdf *origin;   /* apex name, canonical (lower case) */
	ldns_rr *soa;       /* the SOA RR (also present in rrs) */
	ldns_rr_list *rrs;  /* every RR of the zone, SOA included, owner names
	                       and class as in the file (class IN only) */
	char *file;
};

/*
 * Load FILE as zone NAME ("example.com." or "example.com"). Returns 0 and
 * sets *out, or -1 with "file:line: error: reason" in err.
 */
int zone_load(const char *name, const char *file, struct zone_data **out, char *err, size_t errlen);

/* Free a zone from zone_load(); NULL is fine. */
void zone_data_free(struct zone_data *z);

#endif
