/* SPDX-License-Identifier: BSD-3-Clause */
/* zone.c -- see zone.h. */
#include "zone/zone.h"

#include "lib/log.h"
#include "zone/zone_fast.h"

#include <ctype.h>
#include <malloc.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * TTL of records before any $TTL. NSD 4.6 gives them 3600 (checked with
 * nsd-checkzone -p) and, like ldns, does not carry an explicit TTL over to
 * the next record; we follow NSD. BIND uses the SOA minimum instead.
 * RFC 2308 4 asks for $TTL, but files without one are common.
 */
#define DEFAULT_TTL 3600

/* RFC 2181 8: a TTL is 31 bits; a larger value is a mistake in the file. */
#define MAX_TTL 2147483647u

/* A directive line longer than this is not a directive we know. */
#define DIRECTIVE_MAX 1024

/* One record, the line where it starts (for error messages), and its
 * owner's sort key (see owner_key) in the loader's key pool. */
struct lrr {
	ldns_rr *rr;
	int line;
	uint16_t key_len;   /* 0xffff: no key, compare with ldns */
	size_t key_off;
};

/* A key longer than any name's (255 bytes of wire form): "no key". */
#define NO_KEY 0xffff

struct loader {
	const char *file;
	ldns_rdf *apex;
	char *text; /* the whole file: lines and directives are read from it */
	size_t len;
	size_t pos; /* where the parser is in text, and the line there */
	size_t tok; /* the first character of the entry at pos */
	int line;
	uint32_t ttl;     /* $TTL, else DEFAULT_TTL */
	ldns_rdf *origin; /* $ORIGIN, absolute */
	ldns_rdf *prev;   /* last owner, for records with a blank owner */
	struct lrr *rrs;
	size_t n, cap;
	uint8_t *keys;      /* every owner's sort key, back to back */
	size_t keys_len, keys_cap;
	uint8_t apex_key[256];
	uint16_t apex_key_len;
	char *err;
	size_t errlen;
};

/* "file:line: error: " then the reason. Returns -EINVAL for the caller to pass on. */
static int refusef(struct loader *l, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refusef(struct loader *l, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(l->err, l->errlen, "%s:%d: error: ", l->file, line);

	if (n >= 0 && (size_t)n < l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The same, with NAME in presentation format filling the one %s of FMT. */
static int refuse(struct loader *l, int line, const char *fmt, const ldns_rdf *name)
{
	char *s = ldns_rdf2str(name);

	refusef(l, line, fmt, s ? s : "?");
	free(s);
	return -EINVAL;
}

/* The whole file in memory: ldns reads it through fmemopen(), and error
 * messages and directives are taken from the text. */
static int slurp(struct loader *l)
{
	FILE *f = fopen(l->file, "r");
	size_t cap = 1 << 16;

	if (f == NULL)
		goto fail;
	l->text = malloc(cap);
	while (l->text != NULL) {
		l->len += fread(l->text + l->len, 1, cap - l->len - 1, f);
		if (l->len < cap - 1)
			break;
		char *t = realloc(l->text, cap * 2);
		if (t == NULL) {
			free(l->text);
			l->text = NULL;
			errno = ENOMEM;
		}
		l->text = t;
		cap *= 2;
	}
	if (l->text == NULL || ferror(f))
		goto fail;
	l->text[l->len] = '\0';
	fclose(f);
	return 0;
fail:
	snprintf(l->err, l->errlen, "%s: error: cannot read zone file: %s", l->file, strerror(errno));
	if (f != NULL)
		fclose(f);
	return -EINVAL;
}

/*
 * Advance over blank lines and comments to the next entry, counting lines,
 * so an entry is reported at its own line. tok is its first character; pos
 * stays at the start of that line, since leading blanks mean "same owner as
 * the record before" (RFC 1035 5.1) and ldns must see them.
 */
static void skip_blank(struct loader *l)
{
	size_t i = l->pos;

	while (i < l->len) {
		char c = l->text[i];
		if (c == ';') {
			i += strcspn(l->text + i, "\n");
			continue;
		}
		if (!isspace((unsigned char)c))
			break;
		i++;
		if (c == '\n') {
			l->line++;
			l->pos = i;
		}
	}
	l->tok = i;
}

/* Count the lines ldns consumed up to END: the next entry starts there. */
static void advance_to(struct loader *l, size_t end)
{
	for (; l->pos < end && l->pos < l->len; l->pos++)
		l->line += l->text[l->pos] == '\n';
}

/* Copy the directive line at tok, comment stripped, split on blanks. */
static int split_directive(struct loader *l, char *buf, char *word[], int max)
{
	const char *s = l->text + l->tok, *nl = strchr(s, '\n');
	size_t n = nl ? (size_t)(nl - s) : strlen(s);
	int count = 0;
	char *save = NULL;

	if (n >= DIRECTIVE_MAX)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	buf[strcspn(buf, ";")] = '\0';
	/* Count every word, keep the first MAX. */
	for (char *w = strtok_r(buf, " \t\r\f\v", &save); w != NULL; w = strtok_r(NULL, " \t\r\f\v", &save))
		if (count++ < max)
			word[count - 1] = w;
	return count;
}

/* RFC 1035 5.1: a $ORIGIN without a final dot is relative to the current
 * origin. ldns would read it as absolute, so it is resolved here. */
static int set_origin(struct loader *l, const char *arg)
{
	size_t n = strlen(arg), slashes = 0;
	ldns_rdf *o = NULL;
	char *abs = NULL, *cur;

	while (n >= 2 + slashes && arg[n - 2 - slashes] == '\\')
		slashes++;
	if (n > 0 && arg[n - 1] == '.' && slashes % 2 == 0) {
		if (ldns_str2rdf_dname(&o, arg) != LDNS_STATUS_OK)
			return refusef(l, l->line, "bad $ORIGIN %s", arg);
	} else {
		cur = ldns_rdf2str(l->origin);
		if (cur == NULL || asprintf(&abs, "%s.%s", arg, cur) < 0)
			abs = NULL;
		free(cur);
		if (abs == NULL || ldns_str2rdf_dname(&o, abs) != LDNS_STATUS_OK) {
			free(abs);
			return refusef(l, l->line, "bad $ORIGIN %s", arg);
		}
		free(abs);
	}
	ldns_rdf_deep_free(l->origin);
	l->origin = o;
	return 0;
}

static int set_ttl(struct loader *l, const char *arg)
{
	const char *end = arg;
	uint32_t ttl = ldns_str2period(arg, &end);

	if (*arg == '\0' || *end != '\0')
		return refusef(l, l->line, "bad $TTL value %s", arg);
	if (ttl > MAX_TTL)
		return refusef(l, l->line, "$TTL %s is above 2147483647 (RFC 2181 8)", arg);
	l->ttl = ttl;
	return 0;
}

/* $ORIGIN and $TTL are read here rather than by ldns, which takes a relative
 * $ORIGIN as absolute and any $TTL text as a number; the rest are refused. */
static int directive(struct loader *l)
{
	char buf[DIRECTIVE_MAX], *word[4];
	int n = split_directive(l, buf, word, 4), rc;

	if (n < 1)
		return refusef(l, l->line, "directive line too long");
	if (strcasecmp(word[0], "$ORIGIN") == 0 && n == 2)
		rc = set_origin(l, word[1]);
	else if (strcasecmp(word[0], "$TTL") == 0 && n == 2)
		rc = set_ttl(l, word[1]);
	else if (strcasecmp(word[0], "$ORIGIN") == 0 || strcasecmp(word[0], "$TTL") == 0)
		rc = refusef(l, l->line, "%s takes one argument", word[0]);
	else /* $INCLUDE, $GENERATE: one file, one place to read the zone. */
		rc = refusef(l, l->line, "%s is not supported", word[0]);
	if (rc == 0)
		advance_to(l, l->tok + strcspn(l->text + l->tok, "\n"));
	return rc;
}

/*
 * A name's canonical sort key (RFC 4034 6.1): its labels from the last to
 * the first, each lower-cased and followed by a 0 byte. memcmp() of two
 * keys orders the names as ldns_dname_compare() does (a label that is a
 * prefix of another sorts first, a name with fewer labels first), and a
 * name is at or below the apex when its key starts with the apex's, at a
 * fraction of the cost: sorting a million records by ldns_dname_compare()
 * took a fifth of the load. A label holding a 0 byte has no such key
 * (returns NO_KEY): those names are compared by ldns.
 */
static uint16_t owner_key(const ldns_rdf *name, uint8_t out[256])
{
	const uint8_t *w = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), starts[128], n = 0, o = 0;

	for (size_t p = 0; p < len && w[p] != 0 && n < 128; p += 1 + (size_t)w[p])
		starts[n++] = p;
	while (n-- > 0) {
		size_t p = starts[n], ll = w[p];
		if (p + 1 + ll > len || o + ll + 1 > 256)
			return NO_KEY;
		for (size_t i = 0; i < ll; i++) {
			uint8_t c = w[p + 1 + i];
			if (c == 0)
				return NO_KEY;
			out[o++] = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
		}
		out[o++] = 0;
	}
	return (uint16_t)o;
}

static int push(struct loader *l, ldns_rr *rr, int line)
{
	uint8_t key[256];
	uint16_t klen = owner_key(ldns_rr_owner(rr), key);

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct lrr *rrs = realloc(l->rrs, cap * sizeof(*rrs));
		if (rrs == NULL)
			return refusef(l, line, "out of memory");
		l->rrs = rrs;
		l->cap = cap;
	}
	if (klen != NO_KEY && l->keys_len + klen > l->keys_cap) {
		size_t cap = l->keys_cap ? l->keys_cap * 2 : 1 << 16;
		uint8_t *k = realloc(l->keys, cap);
		if (k == NULL)
			return refusef(l, line, "out of memory");
		l->keys = k;
		l->keys_cap = cap;
	}
	l->rrs[l->n].key_len = klen;
	l->rrs[l->n].key_off = l->keys_len;
	if (klen != NO_KEY) {
		memcpy(l->keys + l->keys_len, key, klen);
		l->keys_len += klen;
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
	if (ldns_rr_ttl(rr) > MAX_TTL)
		return refuse(l, line, "TTL above 2147483647 (RFC 2181 8) at %s", owner);
	uint8_t key[256];
	uint16_t klen = owner_key(owner, key);
	int inside = klen != NO_KEY && l->apex_key_len != NO_KEY
	                 ? klen >= l->apex_key_len && memcmp(key, l->apex_key, l->apex_key_len) == 0
	                 : ldns_dname_compare(owner, l->apex) == 0 || ldns_dname_is_subdomain(owner, l->apex);
	if (!inside)
		return refuse(l, line, "%s is outside the zone", owner);
	if (type == LDNS_RR_TYPE_SOA && ldns_dname_compare(owner, l->apex) != 0)
		return refuse(l, line, "SOA at %s, not at the zone apex", owner);
	return 0;
}

/* A parse error: ldns's reason and the start of the entry, to find it by. */
static int parse_error(struct loader *l, ldns_status st)
{
	const char *s = l->text + l->tok;
	int n = (int)strcspn(s, "\n;");

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	snprintf(l->err, l->errlen, "%s:%d: error: %s: %.*s%s", l->file, l->line, ldns_get_errorstr_by_id(st),
	         n > 60 ? 60 : n, s, n > 60 ? "..." : "");
	return -EINVAL;
}

/* ldns accepts a "(" still open at the end of the file and stops quietly at
 * a stray ")": both are typos that NSD and BIND refuse, and so do we. */
static int balanced(const char *s, const char *end)
{
	int depth = 0, quoted = 0;

	for (; s < end; s++) {
		if (*s == '\\' && s + 1 < end)
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (*s == ';')
			s += strcspn(s, "\n") - 1;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth < 0)
			return 0;
	}
	return depth == 0;
}

static int read_rr(struct loader *l, FILE *f)
{
	ldns_rr *rr = NULL;
	uint32_t ttl = l->ttl;
	ldns_status st;
	long end;

	const char *line = l->text + l->pos, *nl = memchr(line, '\n', l->len - l->pos);
	size_t n = nl ? (size_t)(nl - line) : l->len - l->pos;

	if (zone_fast_rr(line, n, l->origin, &l->prev, ttl, &rr)) {
		end = (long)(l->pos + n + (nl != NULL));
		if (check_rr(l, rr, l->line) < 0 || push(l, rr, l->line) < 0) {
			ldns_rr_free(rr);
			return -EINVAL;
		}
		advance_to(l, (size_t)end);
		return 0;
	}
	if (fseek(f, (long)l->pos, SEEK_SET) < 0)
		return refusef(l, l->line, "cannot seek in the zone file");
	st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &l->origin, &l->prev, NULL);
	if (st != LDNS_STATUS_OK)
		return parse_error(l, st);
	end = ftell(f);
	if (end < 0 || (size_t)end > l->len)
		end = (long)l->len;
	if (!balanced(l->text + l->tok, l->text + end))
		st = LDNS_STATUS_SYNTAX_ERR;
	if (st != LDNS_STATUS_OK || check_rr(l, rr, l->line) < 0 || push(l, rr, l->line) < 0) {
		ldns_rr_free(rr);
		return st != LDNS_STATUS_OK ? refusef(l, l->line, "unbalanced parentheses") : -EINVAL;
	}
	advance_to(l, (size_t)end);
	return 0;
}

static int read_file(struct loader *l)
{
	FILE *f;
	int rc = 0;

	if (l->len == 0)
		return refusef(l, 1, "the zone file is empty");
	f = fmemopen(l->text, l->len, "r");
	if (f == NULL) {
		snprintf(l->err, l->errlen, "%s: error: %s", l->file, strerror(errno));
		return -EINVAL;
	}
	l->line = 1;
	skip_blank(l);
	while (rc == 0 && l->tok < l->len) {
		rc = l->text[l->tok] == '$' ? directive(l) : read_rr(l, f);
		skip_blank(l);
	}
	fclose(f);
	if (rc == 0 && l->n == 0)
		return refusef(l, 1, "the zone file has no records");
	return rc;
}

/* Owners in canonical order (RFC 4034 6.1), by key where both have one. */
static int cmp_owner(const struct loader *l, const struct lrr *x, const struct lrr *y)
{
	if (x->key_len == NO_KEY || y->key_len == NO_KEY)
		return ldns_dname_compare(ldns_rr_owner(x->rr), ldns_rr_owner(y->rr));
	int c = memcmp(l->keys + x->key_off, l->keys + y->key_off, x->key_len < y->key_len ? x->key_len : y->key_len);
	return c != 0 ? c : (int)x->key_len - (int)y->key_len;
}

/* Owner in canonical order (RFC 4034 6.1), then type, then file order. */
static int cmp_lrr(const void *a, const void *b, void *arg)
{
	const struct lrr *x = a, *y = b;
	int c = cmp_owner(arg, x, y);
	if (c != 0)
		return c;
	if (ldns_rr_get_type(x->rr) != ldns_rr_get_type(y->rr))
		return ldns_rr_get_type(x->rr) < ldns_rr_get_type(y->rr) ? -1 : 1;
	return x->line - y->line;
}

static int allowed_beside_cname(ldns_rr_type t)
{
	/* RFC 2181 10.1 and RFC 4035 2.5: DNSSEC records may accompany a CNAME. */
	return t == LDNS_RR_TYPE_CNAME || t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC ||
	       t == LDNS_RR_TYPE_NSEC3;
}

/* The first record of the RRset rrs[i..j) that is not a duplicate of rrs[i]
 * (RFC 2181 5: duplicates are one record), or NULL. */
static const struct lrr *second_distinct(const struct lrr *rrs, size_t i, size_t j)
{
	for (size_t k = i + 1; k < j; k++)
		if (ldns_rr_compare(rrs[i].rr, rrs[k].rr) != 0)
			return &rrs[k];
	return NULL;
}

/* RFC 2181 5.2: one TTL per RRset. NSD warns and serves both TTLs; we warn
 * in NSD's words and, like BIND, give the whole RRset the TTL of its first
 * record, so no answer carries an RRset with mixed TTLs. RRSIGs covering
 * different types may differ (RFC 4034 3). */
static void unify_ttl(struct loader *l, size_t i, size_t j)
{
	uint32_t ttl = ldns_rr_ttl(l->rrs[i].rr);

	if (ldns_rr_get_type(l->rrs[i].rr) == LDNS_RR_TYPE_RRSIG)
		return;
	for (size_t k = i + 1; k < j; k++) {
		ldns_rr *rr = l->rrs[k].rr;
		if (ldns_rr_ttl(rr) == ttl)
			continue;
		char *owner = ldns_rdf2str(ldns_rr_owner(rr)), *type = ldns_rr_type2str(ldns_rr_get_type(rr));
		log_warning("%s:%d: warning: %s TTL %u does not match the TTL %u of the %s RRset; using %u", l->file,
		            l->rrs[k].line, owner ? owner : "?", ldns_rr_ttl(rr), ttl, type ? type : "?", ttl);
		free(owner);
		free(type);
		ldns_rr_set_ttl(rr, ttl);
	}
}

/* The records of one owner, rrs[i..j), sorted by type then line. */
static int check_owner(struct loader *l, size_t i, size_t j, size_t *soa, int *apex_ns)
{
	const ldns_rdf *owner = ldns_rr_owner(l->rrs[i].rr);
	int cname_line = 0, other_line = 0;

	for (size_t k = i; k < j;) {
		ldns_rr_type t = ldns_rr_get_type(l->rrs[k].rr);
		size_t end = k + 1;
		while (end < j && ldns_rr_get_type(l->rrs[end].rr) == t)
			end++;
		/* A CNAME, a DNAME or an SOA is a single record (RFC 1034 3.6.2,
		 * 4.3.4; RFC 6672 2.4). */
		const struct lrr *dup = NULL;
		if (t == LDNS_RR_TYPE_CNAME || t == LDNS_RR_TYPE_SOA || t == LDNS_RR_TYPE_DNAME)
			dup = second_distinct(l->rrs, k, end);
		if (dup != NULL)
			return refuse(l, dup->line,
			              t == LDNS_RR_TYPE_SOA     ? "a second SOA at %s"
			              : t == LDNS_RR_TYPE_CNAME ? "more than one CNAME at %s"
			                                        : "more than one DNAME at %s",
			              owner);
		if (t == LDNS_RR_TYPE_SOA)
			*soa = k;
		/* Every owner is at or below the apex, so the apex sorts first. */
		if (t == LDNS_RR_TYPE_NS && i == 0 && ldns_dname_compare(owner, l->apex) == 0)
			*apex_ns = 1;
		if (t == LDNS_RR_TYPE_CNAME)
			cname_line = l->rrs[k].line;
		else if (!allowed_beside_cname(t) && (other_line == 0 || l->rrs[k].line < other_line))
			other_line = l->rrs[k].line;
		unify_ttl(l, k, end);
		k = end;
	}
	/* Blame whichever came second: that record broke the rule. */
	if (cname_line && other_line)
		return refuse(l, cname_line > other_line ? cname_line : other_line, "CNAME beside other data at %s",
		              owner);
	return 0;
}

static int check_owners(struct loader *l)
{
	size_t soa = SIZE_MAX;
	int apex_ns = 0;
	const ldns_rdf *dname = NULL; /* the last DNAME owner, in canonical order */

	qsort_r(l->rrs, l->n, sizeof(*l->rrs), cmp_lrr, l);
	for (size_t i = 0, j; i < l->n; i = j) {
		const ldns_rdf *owner = ldns_rr_owner(l->rrs[i].rr);
		/* Names below a DNAME are never reached (RFC 6672 2.3): NSD
		 * and Knot refuse such data, and so do we. In canonical order
		 * the descendants of a name follow it directly. */
		if (dname != NULL && ldns_dname_is_subdomain(owner, dname)) {
			char *o = ldns_rdf2str(owner), *d = ldns_rdf2str(dname);
			refusef(l, l->rrs[i].line, "%s is below the DNAME at %s (RFC 6672 2.3)", o ? o : "?", d ? d : "?");
			free(o);
			free(d);
			return -EINVAL;
		}
		for (j = i + 1; j < l->n && cmp_owner(l, &l->rrs[j], &l->rrs[i]) == 0; j++)
			if (ldns_rr_get_type(l->rrs[j].rr) == LDNS_RR_TYPE_DNAME)
				dname = owner;
		if (ldns_rr_get_type(l->rrs[i].rr) == LDNS_RR_TYPE_DNAME)
			dname = owner;
		if (check_owner(l, i, j, &soa, &apex_ns) < 0)
			return -EINVAL;
	}
	if (soa == SIZE_MAX)
		return refuse(l, 1, "no SOA record for %s", l->apex);
	/* NSD loads such a zone and Knot warns; BIND refuses it, and so do we:
	 * without NS at the apex the zone cannot be delegated to or checked. */
	if (!apex_ns)
		return refuse(l, l->rrs[soa].line, "no NS records at the apex %s", l->apex);
	return 0;
}

/* Hand every record to one list in canonical order (RFC 4034 6.3), so each
 * RRset is contiguous, and keep each distinct record once (RFC 2181 5).
 * check_owners() sorted the records by owner and type already, which is
 * the canonical order up to the RDATA: only each RRset (a few records) is
 * sorted here, not the whole zone again. */
static int collect(struct loader *l, struct zone_data *z)
{
	z->rrs = ldns_rr_list_new();
	if (z->rrs == NULL)
		goto oom;
	for (size_t i = 0, j; i < l->n; i = j) {
		ldns_rr_type t = ldns_rr_get_type(l->rrs[i].rr);
		for (j = i + 1; j < l->n && ldns_rr_get_type(l->rrs[j].rr) == t && cmp_owner(l, &l->rrs[j], &l->rrs[i]) == 0;
		     j++)
			;
		/* Insertion sort by ldns_rr_compare(): RRsets are small. */
		for (size_t a = i + 1; a < j; a++) {
			struct lrr x = l->rrs[a];
			size_t b = a;
			for (; b > i && ldns_rr_compare(l->rrs[b - 1].rr, x.rr) > 0; b--)
				l->rrs[b] = l->rrs[b - 1];
			l->rrs[b] = x;
		}
		ldns_rr *last = NULL;
		for (size_t k = i; k < j; k++) {
			ldns_rr *rr = l->rrs[k].rr;
			if (last != NULL && ldns_rr_compare(last, rr) == 0)
				continue; /* a duplicate: freed with l->rrs */
			last = rr;
			if (!ldns_rr_list_push_rr(z->rrs, rr))
				goto oom;
			l->rrs[k].rr = NULL; /* now the zone's */
			if (t == LDNS_RR_TYPE_SOA)
				z->soa = rr;
		}
	}
	return 0;
oom:
	snprintf(l->err, l->errlen, "%s: error: out of memory", l->file);
	return -ENOMEM;
}

/* While loading: keep up to 1 GiB free at the top of the heap, and grow it
 * 64 MiB at a time. glibc's defaults (128 KiB each) restored after. */
#define LOAD_TRIM_THRESHOLD (1 << 30)
#define LOAD_TOP_PAD (64 << 20)
#define DEFAULT_TRIM_THRESHOLD (128 * 1024)
#define DEFAULT_TOP_PAD (128 * 1024)

void zone_heap_settle(void)
{
	mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD);
	mallopt(M_TOP_PAD, DEFAULT_TOP_PAD);
	malloc_trim(0);
}

int zone_load(const char *name, const char *file, struct zone_data **out, char *err, size_t errlen)
{
	struct loader l = { .file = file, .err = err, .errlen = errlen, .ttl = DEFAULT_TTL };
	struct zone_data *z = NULL;
	int rc = -EINVAL;

	*out = NULL;
	mallopt(M_TRIM_THRESHOLD, LOAD_TRIM_THRESHOLD);
	mallopt(M_TOP_PAD, LOAD_TOP_PAD);
	if (ldns_str2rdf_dname(&l.apex, name) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "%s: error: bad zone name %s", file, name);
		return -EINVAL;
	}
	ldns_dname2canonical(l.apex);
	l.apex_key_len = owner_key(l.apex, l.apex_key);
	/* The default origin is the zone's name (RFC 1035 5.1). */
	l.origin = ldns_rdf_clone(l.apex);
	z = calloc(1, sizeof(*z));
	if (l.origin == NULL || z == NULL) {
		snprintf(err, errlen, "%s: error: out of memory", file);
		goto done;
	}
	if (slurp(&l) < 0 || read_file(&l) < 0 || check_owners(&l) < 0 || collect(&l, z) < 0)
		goto done;
	z->file = strdup(file);
	if (z->file == NULL) {
		snprintf(err, errlen, "%s: error: out of memory", file);
		goto done;
	}
	z->origin = l.apex;
	l.apex = NULL;
	*out = z;
	z = NULL;
	rc = 0;
done:
	for (size_t i = 0; i < l.n; i++)
		ldns_rr_free(l.rrs[i].rr);
	free(l.rrs);
	free(l.keys);
	free(l.text);
	ldns_rdf_deep_free(l.apex);
	ldns_rdf_deep_free(l.origin);
	ldns_rdf_deep_free(l.prev);
	zone_data_free(z);
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
