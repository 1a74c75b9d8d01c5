/* SPDX-License-Identifier: BSD-3-Clause */
/* zone_fast.c -- see zone_fast.h. */
#include "zone/zone_fast.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

/* The most tokens a fast-path line has: owner, TTL, class, type, and up to
 * 8 TXT strings (more: ldns). */
#define MAX_TOKENS 12

struct tok {
	const char *s;
	size_t n;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Characters the fast path takes in a name: letters, digits, '-', '_',
 * '*' and the dots between labels. Anything else (escapes, '@' inside a
 * name, '/') goes to ldns. */
static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '*' || c == '.';
}

/* Split S into tokens; quoted strings (without escapes) are one token with
 * their quotes. Returns the count, or -1 for what ldns must read. */
static int split(const char *s, size_t n, struct tok *t)
{
	size_t i = 0;
	int k = 0;

	while (i < n) {
		if (is_blank(s[i])) {
			i++;
			continue;
		}
		if (k == MAX_TOKENS)
			return -1;
		size_t start = i;
		if (s[i] == '"') {
			/* Printable ASCII only: ldns turns control characters in a
			 * string into blanks, and escapes are its business. */
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\' || (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
					return -1;
			if (i == n)
				return -1;
			i++;
			if (i < n && !is_blank(s[i]))
				return -1;
		} else {
			for (; i < n && !is_blank(s[i]); i++)
				if (s[i] == '(' || s[i] == ')' || s[i] == ';' || s[i] == '\\' || s[i] == '"')
					return -1;
		}
		t[k].s = s + start;
		t[k++].n = i - start;
	}
	return k;
}

/* A name in wire form: TEXT relative to ORIGIN unless it ends in a dot;
 * "@" is the origin. Returns the rdf or NULL (not for the fast path). */
static ldns_rdf *name(const struct tok *t, const ldns_rdf *origin)
{
	uint8_t wire[LDNS_MAX_DOMAINLEN + 1];
	size_t w = 0, i = 0, olen = ldns_rdf_size(origin);

	if (t->n == 1 && t->s[0] == '@')
		return ldns_rdf_clone(origin);
	if (t->n == 0 || t->s[0] == '.')
		return NULL;
	while (i < t->n) {
		size_t start = i;
		while (i < t->n && t->s[i] != '.') {
			if (!name_char(t->s[i]))
				return NULL;
			i++;
		}
		size_t ll = i - start;
		if (ll == 0 || ll > 63 || w + 1 + ll + 1 > sizeof(wire))
			return NULL;
		wire[w++] = (uint8_t)ll;
		memcpy(wire + w, t->s + start, ll);
		w += ll;
		if (i < t->n)
			i++; /* the dot */
	}
	if (t->s[t->n - 1] == '.') {
		wire[w++] = 0;
	} else {
		if (w + olen > LDNS_MAX_DOMAINLEN)
			return NULL;
		memcpy(wire + w, ldns_rdf_data(origin), olen);
		w += olen;
	}
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, w, wire);
}

/* A TTL in plain seconds (units such as 1h: ldns). */
static int ttl_value(const struct tok *t, uint32_t *out)
{
	uint64_t v = 0;

	if (t->n == 0 || t->n > 10)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(t->s[i] - '0');
	}
	if (v > UINT32_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

static int is_word(const struct tok *t, const char *w)
{
	return t->n == strlen(w) && strncasecmp(t->s, w, t->n) == 0;
}

static ldns_rr_type type_of(const struct tok *t)
{
	static const struct {
		const char *name;
		ldns_rr_type type;
	} types[] = { { "A", LDNS_RR_TYPE_A }, { "AAAA", LDNS_RR_TYPE_AAAA }, { "NS", LDNS_RR_TYPE_NS }, { "CNAME", LDNS_RR_TYPE_CNAME }, { "PTR", LDNS_RR_TYPE_PTR }, { "MX", LDNS_RR_TYPE_MX }, { "TXT", LDNS_RR_TYPE_TXT } };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (is_word(t, types[i].name))
			return types[i].type;
	return 0;
}

/* An address token as inet_pton wants it: NUL-terminated. */
static int address(const struct tok *t, int family, void *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (t->n >= sizeof(buf))
		return 0;
	memcpy(buf, t->s, t->n);
	buf[t->n] = 0;
	return inet_pton(family, buf, out) == 1;
}

/* The RDATA fields of TYPE from tokens T[0..N) into RR. Returns 1 or 0. */
static int rdata(ldns_rr *rr, ldns_rr_type type, const struct tok *t, int n, const ldns_rdf *origin)
{
	uint8_t b[256];
	ldns_rdf *f;

	switch (type) {
	case LDNS_RR_TYPE_A:
		if (n != 1 || !address(t, AF_INET, b))
			return 0;
		return ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, b));
	case LDNS_RR_TYPE_AAAA:
		if (n != 1 || !address(t, AF_INET6, b))
			return 0;
		return ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, b));
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
		if (n != 1 || (f = name(t, origin)) == NULL)
			return 0;
		return ldns_rr_push_rdf(rr, f);
	case LDNS_RR_TYPE_MX: {
		uint32_t pref;
		if (n != 2 || !ttl_value(t, &pref) || pref > 65535 || (f = name(t + 1, origin)) == NULL)
			return 0;
		uint16_t p = htons((uint16_t)pref);
		if (!ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16, 2, &p))) {
			ldns_rdf_deep_free(f);
			return 0;
		}
		return ldns_rr_push_rdf(rr, f);
	}
	case LDNS_RR_TYPE_TXT:
		if (n < 1)
			return 0;
		for (int i = 0; i < n; i++) {
			/* Quoted, without escapes (split() saw to it), at most 255 bytes. */
			if (t[i].n < 2 || t[i].s[0] != '"' || t[i].n - 2 > 255)
				return 0;
			b[0] = (uint8_t)(t[i].n - 2);
			memcpy(b + 1, t[i].s + 1, t[i].n - 2);
			if (!ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, t[i].n - 1, b)))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

int zone_fast_rr(const char *s, size_t n, const ldns_rdf *origin, ldns_rdf **prev, uint32_t default_ttl,
                 ldns_rr **out)
{
	struct tok t[MAX_TOKENS];
	int k = split(s, n, t), i = 0;
	ldns_rdf *owner;
	ldns_rr *rr;
	uint32_t ttl = default_ttl;
	ldns_rr_type type;

	if (k < 2)
		return 0;
	if (is_blank(s[0])) {
		if (*prev == NULL)
			return 0;
		owner = ldns_rdf_clone(*prev);
	} else {
		owner = name(&t[i++], origin);
	}
	if (owner == NULL)
		return 0;
	/* [ttl] [IN], then the type. ldns refuses the class before the TTL
	 * (RFC 1035 allows it), and the fast path takes nothing ldns refuses. */
	if (i < k && ttl_value(&t[i], &ttl))
		i++;
	if (i < k && is_word(&t[i], "IN"))
		i++;
	if (i >= k || (type = type_of(&t[i])) == 0) {
		ldns_rdf_deep_free(owner);
		return 0;
	}
	i++;
	rr = ldns_rr_new();
	if (rr == NULL) {
		ldns_rdf_deep_free(owner);
		return 0;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_type(rr, type);
	if (!rdata(rr, type, t + i, k - i, origin)) {
		ldns_rr_free(rr);
		return 0;
	}
	if (!is_blank(s[0])) {
		ldns_rdf *p = ldns_rdf_clone(owner);
		if (p == NULL) {
			ldns_rr_free(rr);
			return 0;
		}
		ldns_rdf_deep_free(*prev);
		*prev = p;
	}
	*out = rr;
	return 1;
}
