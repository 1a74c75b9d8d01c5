/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_zone_line.c -- the zone reader's fast path against ldns: any line the
 * fast path takes, ldns must take too and read into the same record (owner,
 * case, TTL, class, type, RDATA); the fast path never crashes or leaks. */
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zone/zone_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[512];
	ldns_rdf *origin = ldns_dname_new_frm_str("z.test."), *prev = ldns_dname_new_frm_str("prev.z.test.");
	ldns_rdf *lprev = ldns_rdf_clone(prev), *lorigin = ldns_rdf_clone(origin);
	ldns_rr *fast = NULL, *slow = NULL;

	if (size >= sizeof(line) || memchr(data, '\n', size) != NULL || memchr(data, 0, size) != NULL)
		goto done;
	memcpy(line, data, size);
	line[size] = 0;
	if (!zone_fast_rr(line, size, origin, &prev, 300, &fast))
		goto done;
	uint32_t ttl = 300;
	ldns_status st = ldns_rr_new_frm_str(&slow, line, ttl, lorigin, &lprev);
	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "fast path took a line ldns refuses (%s): [%s]\n", ldns_get_errorstr_by_id(st), line);
		abort();
	}
	char *a = ldns_rr2str(fast), *b = ldns_rr2str(slow);
	if (a == NULL || b == NULL || strcmp(a, b) != 0 || ldns_rr_ttl(fast) != ldns_rr_ttl(slow)) {
		fprintf(stderr, "line [%s]: fast path %s, ldns %s\n", line, a ? a : "?", b ? b : "?");
		abort();
	}
	free(a);
	free(b);
done:
	ldns_rr_free(fast);
	ldns_rr_free(slow);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	ldns_rdf_deep_free(lorigin);
	ldns_rdf_deep_free(lprev);
	return 0;
}
