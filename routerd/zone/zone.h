/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zone.h -- read one RFC 1035 master file with ldns and check it is a zone
 * we can serve: one SOA at the apex, NS at the apex, no data outside the
 * zone, no CNAME beside other data. Every refusal names file:line and the
 * reason.
 *
 * How the file is read, where NSD, Knot and BIND do not all agree:
 * - A record with no TTL before any $TTL gets 3600, as in NSD (BIND takes
 *   the SOA minimum); an explicit TTL is not carried to the next record.
 * - $ORIGIN without a final dot is relative to the current origin
 *   (RFC 1035 5.1); the first origin is the zone's name.
 * - $INCLUDE, $GENERATE and other directives are refused.
 * - Identical records are kept once (RFC 2181 5).
 * - Records of one RRset with different TTLs: a warning, and every record
 *   gets the TTL of the first one in the file (RFC 2181 5.2; as BIND; NSD
 *   warns and keeps both), so no answer mixes TTLs in an RRset.
 * - Refused: parse errors and unbalanced parentheses, no SOA or a second
 *   one, an SOA off the apex, no NS at the apex (as BIND; NSD and Knot load
 *   such a zone but nobody can be delegated to it), data outside the zone,
 *   classes other than IN, TTLs above 2^31-1 (RFC 2181 8), a CNAME beside
 *   anything but RRSIG/NSEC/NSEC3 (RFC 2181 10.1, RFC 4035 2.5) or beside
 *   another CNAME, and DNAME (routerd does not synthesize from DNAME).
 */
#ifndef ROUTERD_ZONE_H
#define ROUTERD_ZONE_H

#include <ldns/ldns.h>
#include <stddef.h>

struct zone_data {
	ldns_rdf *origin;   /* apex name, canonical (lower case) */
	ldns_rr *soa;       /* the SOA RR (also present in rrs) */
	ldns_rr_list *rrs;  /* every RR of the zone, SOA included, owner names
	                       as in the file, class IN; in canonical order
	                       (RFC 4034 6.1, 6.3: ldns_rr_list_sort), so each
	                       RRset is contiguous */
	char *file;
};

/*
 * Load FILE as zone NAME ("example.com." or "example.com", any case).
 * Returns 0 and sets *out, or -EINVAL, *out NULL, and "file:line: error: reason"
 * in err (no line when the file cannot be read). Warnings go to the log.
 */
int zone_load(const char *name, const char *file, struct zone_data **out, char *err, size_t errlen);

struct config;
/* The RFC 9432 catalog zone of CFG's zones (fleet.catalog must be set).
 * Returns 0 and sets *out, or -1 with a message. */
int zone_catalog(const struct config *cfg, struct zone_data **out, char *err, size_t errlen);

/*
 * Loading allocates and frees a great many small objects, and ldns takes
 * and frees a 64 KiB line buffer per record: with glibc's default trim
 * threshold every record then shrinks the heap and grows it again (two brk
 * calls, page faults, half the load time in the kernel). zone_load() makes
 * glibc keep freed memory and grow the heap in large steps; call
 * zone_heap_settle() once the view is built (or the build failed) to go
 * back to the defaults and hand the freed memory back to the kernel.
 */
void zone_heap_settle(void);

/* Free a zone from zone_load(); NULL is fine. */
void zone_data_free(struct zone_data *z);

#endif
