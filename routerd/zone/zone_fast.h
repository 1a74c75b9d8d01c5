/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zone_fast.h -- a fast path for the zone file lines most zones are made
 * of: one line, "[owner] [ttl] [IN] TYPE rdata", for A, AAAA, NS, CNAME,
 * PTR, MX and TXT with plain text. It builds the same ldns_rr that ldns
 * would (owner case as written, relative names completed with the origin,
 * a blank owner taking the previous one), in a fraction of the time:
 * ldns's reader was a third of the load of a 1M-record zone.
 *
 * Anything else (parentheses, escapes, quotes with escapes, comments, TTL
 * units, other classes and types, odd names) is left to ldns, which stays
 * the zone reader of record: the fast path declines rather than guess.
 * test_zone's test_fast_path checks both readers build the same records.
 */
#ifndef ROUTERD_ZONE_FAST_H
#define ROUTERD_ZONE_FAST_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parse the line S (N bytes, without its newline) at ORIGIN, with *PREV
 * the last owner (NULL: none yet) and DEFAULT_TTL for a record without
 * one. Returns 1 with *OUT set (and *PREV updated as ldns does), or 0 when
 * the line is not one for the fast path (nothing changed: read it with ldns).
 */
int zone_fast_rr(const char *s, size_t n, const ldns_rdf *origin, ldns_rdf **prev, uint32_t default_ttl,
                 ldns_rr **out);

#endif
