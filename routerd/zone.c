/* zone.c -- see zone.h. */
#include "zone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TTL for records before any $TTL, as BIND and NSD do (RFC 2308 4 asks for
 * $TTL; a file without one is old but common). */
#define DEFAULT_TTL 3600

struct lrr {
	ldns_rr *rr;
	int line;
};

struct loader {
	const char *file;
	ldns_rdf *origin;
	struct lrr *rrs;
	size_t n, cap;
	char *err;
	size_t errlen;
};

static int refuse(struct loader *l, int line, const char *fmt, const ldns_rdf *name)
{
	char *s = name ? ldns_rdf2str(name) : NULL;
	int n = snprintf(l->err, l->errlen, "%s:%d: error: ", l->file, line);
	if (n >= 0 && (size_t)n < l->errlen)
		snprintf(l->err + n, l->errlen - (size_t)n, fmt, s ? s : "");
	free(s);
	return -1;
}

static int push(struct loader *l, ldns_rr *rr, int line)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct lrr *rrs = realloc(l->rrs, cap * sizeof(*rrs));
		if (rrs == NULL)
			return -1;
		l->rrs = rrs;
		l->cap = cap;
	}
	l->rrs[l->n].rr = rr;
	l->rrs[l->n++].line = line;
	return 0;
}

/* One record as read: its class, its type and where it lives. */
static int check_rr(struct loader *l, ldns_rr *rr, int line)
{
	ldns_rdf *owner = ldns_rr_owner(rr);
	ldns_rr_type type = ldns_rr_get_type(rr);

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return refuse(l, line, "class other than IN at %s", owner);
	if (ldns_dname_compare(owner, l->origin) != 0 && !ldns_dname_is_subdomain(owner, l->origin))
		return refuse(l, line, "%s is outside the zone", owner);
	if (type == LDNS_RR_TYPE_DNAME)
		return refuse(l, line, "DNAME at %s is not supported", owner);
	if (type == LDNS_RR_TYPE_SOA && ldns_dname_compare(owner, l->origin) != 0)
		return refuse(l, line, "SOA at %s, not at the zone apex", owner);
	return 0;
}

static int read_file(struct loader *l, FILE *f)
{
	uint32_t ttl = DEFAULT_TTL;
	ldns_rdf *origin = ldns_rdf_clone(l->origin), *prev = NULL;
	int line = 1, rc = 0;

	while (!feof(f)) {
		ldns_rr *rr = NULL;
		int before = line;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);

		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL || st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
			rc = refuse(l, before, "$INCLUDE is not supported%s", NULL);
			break;
		}
		if (st != LDNS_STATUS_OK) {
			/* ldns counts the line it stopped on; an error is reported at
			 * the line where the record started when that is known. */
			snprintf(l->err, l->errlen, "%s:%d: error: %s", l->file, line > before ? line - 1 : line,
			         ldns_get_errorstr_by_id(st));
			rc = -1;
			break;
		}
		/* ldns has consumed the record's last newline: it ended a line up. */
		if (check_rr(l, rr, line - 1) < 0 || push(l, rr, line - 1) < 0) {
			ldns_rr_free(rr);
			rc = -1;
			break;
		}
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return rc;
}

static int cmp_lrr(const void *a, const void *b)
{
	const struct lrr *x = a, *y = b;
	int c = ldns_dname_compare(ldns_rr_owner(x->rr), ldns_rr_owner(y->rr));
	if (c != 0)
		return c;
	if (ldns_rr_get_type(x->rr) != ldns_rr_get_type(y->rr))
		return ldns_rr_get_type(x->rr) < ldns_rr_get_type(y->rr) ? -1 : 1;
	return x->line - y->line;
}

static int allowed_beside_cname(ldns_rr_type t)
{
	/* RFC 2181 10.1 and RFC 4035 2.5: DNSSEC records may accompany a CNAME. */
	return t == LDNS_RR_TYPE_CNAME || t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC;
}

/* Sorted by owner then type: check each owner's records together. */
static int check_owners(struct loader *l, struct zone_data *z)
{
	size_t soa = 0, apex_ns = 0;

	if (l->n > 1)
		qsort(l->rrs, l->n, sizeof(*l->rrs), cmp_lrr);
	for (size_t i = 0; i < l->n;) {
		size_t j = i, cnames = 0, other = 0;
		int last_line = 0;
		ldns_rdf *owner = ldns_rr_owner(l->rrs[i].rr);
		while (j < l->n && ldns_dname_compare(ldns_rr_owner(l->rrs[j].rr), owner) == 0) {
			ldns_rr_type t = ldns_rr_get_type(l->rrs[j].rr);
			cnames += t == LDNS_RR_TYPE_CNAME;
			other += !allowed_beside_cname(t);
			if (l->rrs[j].line > last_line)
				last_line = l->rrs[j].line;
			if (t == LDNS_RR_TYPE_SOA && !soa++)
				z->soa = l->rrs[j].rr;
			else if (t == LDNS_RR_TYPE_SOA)
				return refuse(l, l->rrs[j].line, "a second SOA at %s", owner);
			apex_ns += t == LDNS_RR_TYPE_NS && ldns_dname_compare(owner, l->origin) == 0;
			j++;
		}
		if (cnames > 1)
			return refuse(l, l->rrs[i].line, "more than one CNAME at %s", owner);
		/* Blame the record that came last: the one that broke the rule. */
		if (cnames && other)
			return refuse(l, last_line, "CNAME beside other data at %s", owner);
		i = j;
	}
	if (soa == 0)
		return refuse(l, 1, "no SOA record for %s", l->origin);
	if (apex_ns == 0)
		return refuse(l, 1, "no NS records at the apex %s", l->origin);
	return 0;
}

/* Keep each distinct RR once (RFC 2181 5: an RRset has no duplicates). */
static int collect(struct loader *l, struct zone_data *z)
{
	const ldns_rr *kept = NULL;

	z->rrs = ldns_rr_list_new();
	if (z->rrs == NULL)
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		if (kept != NULL && ldns_rr_compare(kept, l->rrs[i].rr) == 0 &&
		    ldns_rr_get_type(l->rrs[i].rr) != LDNS_RR_TYPE_SOA) {
			ldns_rr_free(l->rrs[i].rr);
			l->rrs[i].rr = NULL;
			continue;
		}
		if (!ldns_rr_list_push_rr(z->rrs, l->rrs[i].rr))
			return -1;
		kept = l->rrs[i].rr;
		l->rrs[i].rr = NULL;
	}
	return 0;
}

int zone_load(const char *name, const char *file, struct zone_data **out, char *err, size_t errlen)
{
	struct loader l = { .file = file, .err = err, .errlen = errlen };
	struct zone_data *z = NULL;
	FILE *f;
	int rc = -1;

	if (ldns_str2rdf_dname(&l.origin, name) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "%s: error: bad zone name %s", file, name);
		return -1;
	}
	ldns_dname2canonical(l.origin);
	f = fopen(file, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: error: cannot open zone file: %s", file, strerror(errno));
		goto done;
	}
	z = calloc(1, sizeof(*z));
	if (z == NULL || read_file(&l, f) < 0 || check_owners(&l, z) < 0 || collect(&l, z) < 0)
		goto done;
	z->origin = l.origin;
	l.origin = NULL;
	z->file = strdup(file);
	*out = z;
	z = NULL;
	rc = 0;
done:
	if (f != NULL)
		fclose(f);
	for (size_t i = 0; i < l.n; i++)
		ldns_rr_free(l.rrs[i].rr);
	free(l.rrs);
	ldns_rdf_deep_free(l.origin);
	if (z != NULL) {
		z->soa = NULL;
		zone_data_free(z);
	}
	return rc;
}

void zone_data_free(struct zone_data *z)
{
	if (z == NULL)
		return;
	ldns_rdf_deep_free(z->origin);
	ldns_rr_list_deep_free(z->rrs);
	free(z->file);
	free(z);
}
