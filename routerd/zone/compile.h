/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compile.h -- encode RRsets into a precompiled response body (struct blob,
 * view_int.h) with name compression, once, at load time.
 */
#ifndef ROUTERD_COMPILE_H
#define ROUTERD_COMPILE_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/view_int.h"

struct arena;
struct blob_builder;

/* TTL argument meaning "each RR's own TTL". */
#define COMPILE_TTL_ASIS UINT32_MAX

/*
 * Start a blob for queries whose name ends with ANCHOR (lower-case wire).
 * EXACT: the query name always equals the anchor (no patches needed).
 */
struct blob_builder *bb_new(const uint8_t *anchor, size_t anchor_len, int exact);
void bb_free(struct blob_builder *b);

/*
 * Append the RRs of RRSET (one owner, one type) to SECTION (SEC_*, in
 * order). OWNER NULL writes a pointer to the query name (wildcard
 * synthesis, RFC 4592 3.3.1); otherwise it is the owner's wire name. TTL
 * overrides every RR's TTL unless COMPILE_TTL_ASIS. Returns 0 or -1 when
 * the body would exceed a DNS message.
 */
int bb_add_rrset(struct blob_builder *b, int section, const ldns_rdf *owner, const ldns_rr_list *rrset,
                 uint32_t ttl);

/* Serve the SOA serial written in this blob from SERIAL, live: a switch
 * flip raises it without recompiling anything. */
void bb_serial_source(struct blob_builder *b, const _Atomic uint32_t *serial);

/* Copy the result into arena A; the builder can be freed after. */
const struct blob *bb_finish(struct blob_builder *b, struct arena *a, uint8_t rcode, uint8_t aa);

#endif
