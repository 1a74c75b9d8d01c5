/* SPDX-License-Identifier: BSD-3-Clause */
/* test_zone.c -- zone loading: what is refused, at which line, and what is kept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "zone/zone.h"
#include "zone/zone_fast.h"

static char dir[] = "/tmp/test_zone.XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	/* TTL mismatches are logged as warnings; keep the test output clean. */
	log_set_level(LOG_LVL_ERR);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/z.zone", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_zone(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Load TEXT as zone z.test; fail the test with the error if it is refused. */
static struct zone_data *load_ok(const char *text)
{
	struct zone_data *z = NULL;
	char err[512] = "";
	write_zone(text);
	if (zone_load("z.test", path, &z, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_non_null(z);
	return z;
}

/* The RRs of Z with this owner and type, as "TTL rdata" lines in zone order. */
static void find(const struct zone_data *z, const char *owner, ldns_rr_type type, char *out, size_t outlen)
{
	ldns_rdf *name = ldns_dname_new_frm_str(owner);
	size_t n = 0;
	assert_non_null(name);
	out[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (ldns_rr_get_type(rr) != type || ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		char *rd = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		n += (size_t)snprintf(out + n, outlen - n, "%s%u %s", n ? "|" : "", ldns_rr_ttl(rr), rd);
		free(rd);
		assert_true(n < outlen);
	}
	ldns_rdf_deep_free(name);
}

#define SOA "@ SOA ns hostmaster 1 3600 600 604800 60\n"
/* Five lines: the records of a minimal good zone. */
#define HEAD "$ORIGIN z.test.\n$TTL 300\n" SOA "@ NS ns\nns A 192.0.2.1\n"

struct bad {
	const char *text;
	int line;
	const char *reason;
};

static const struct bad bad_zones[] = {
	/* The zone as a whole. */
	{ "", 1, "the zone file is empty" },
	{ "; only a comment\n\n$TTL 300\n", 1, "the zone file has no records" },
	{ "$ORIGIN z.test.\n@ 300 NS ns\nns 300 A 192.0.2.1\n", 1, "no SOA record for z.test." },
	{ "$ORIGIN z.test.\n$TTL 300\n" SOA "ns A 192.0.2.1\n", 3, "no NS records at the apex z.test." },
	{ "$TTL 300\n; the apex\n@ SOA ns hostmaster 1 3600 600 604800 60\nsub NS ns\nns A 192.0.2.1\n", 3,
	  "no NS records at the apex" },
	/* Where the data lives. */
	{ HEAD "www.other.test. A 192.0.2.2\n", 6, "www.other.test. is outside the zone" },
	{ HEAD "test. A 192.0.2.2\n", 6, "test. is outside the zone" },
	{ HEAD "$ORIGIN other.test.\nwww A 192.0.2.2\n", 7, "www.other.test. is outside the zone" },
	{ HEAD "sub SOA ns hostmaster 1 3600 600 604800 60\n", 6, "SOA at sub.z.test., not at the zone apex" },
	{ HEAD "@ SOA ns hostmaster 2 3600 600 604800 60\n", 6, "a second SOA at z.test." },
	{ HEAD "www CH TXT \"x\"\n", 6, "class other than IN at www.z.test." },
	{ HEAD "www HS A 192.0.2.2\n", 6, "class other than IN" },
	{ HEAD "d DNAME elsewhere.test.\nx.d A 192.0.2.9\n", 7, "x.d.z.test. is below the DNAME at d.z.test." },
	{ HEAD "d DNAME elsewhere.test.\nd DNAME other.test.\n", 7, "more than one DNAME at d.z.test." },
	{ HEAD "d DNAME elsewhere.test.\nd CNAME other.test.\n", 7, "CNAME beside other data at d.z.test." },
	{ HEAD "www 2147483648 A 192.0.2.2\n", 6, "TTL above 2147483647" },
	/* CNAME rules, blamed on whichever record came second. */
	{ HEAD "www A 192.0.2.2\nwww CNAME ns\n", 7, "CNAME beside other data at www.z.test." },
	{ HEAD "www CNAME ns\nx A 192.0.2.9\nwww MX 10 ns\n", 8, "CNAME beside other data at www.z.test." },
	{ HEAD "@ CNAME ns\n", 6, "CNAME beside other data at z.test." },
	{ HEAD "www CNAME ns\nwww CNAME ns2\n", 7, "more than one CNAME at www.z.test." },
	{ HEAD "www CNAME ns\nwww CNAME ns\nwww CNAME ns2\n", 8, "more than one CNAME at www.z.test." },
	/* Parse errors: ldns's reason and the start of the entry. */
	{ HEAD "www A 192.0.2.300\n", 6, "www A 192.0.2.300" },
	{ HEAD "www BOGUSTYPE 1\n", 6, "www BOGUSTYPE 1" },
	{ HEAD "www AAAA 192.0.2.1\n", 6, "www AAAA 192.0.2.1" },
	{ HEAD "www MX ten mail\n", 6, "" },
	/* Multi-line records, comments and blank lines do not shift the line. */
	{ HEAD "; a comment\n\n\t\n; another\nwww A 192.0.2.300\n", 10, "could not parse the RR's rdata" },
	{ HEAD "txt TXT ( \"a\"\n \"b\" ) ; comment\nwww A 192.0.2.300\n", 8, "www A" },
	{ HEAD "bad ( A\n  192.0.2.300 )\n", 6, "bad ( A" },
	{ HEAD "www A 192.0.2.300", 6, "www A 192.0.2.300" },
	{ "$TTL 300\r\n" SOA "@ NS ns\r\nns A 192.0.2.1\r\n\r\nwww A 192.0.2.300\r\n", 6, "www A 192.0.2.300" },
	{ "$ORIGIN z.test.\n$TTL 300\n@ SOA ns hostmaster (\n  1 3600 600\n  604800 60 )\n@ NS ns\nns A 192.0.2.1\n"
	  "ns A 192.0.2.1\nwww CNAME ns\nwww A 192.0.2.2\n",
	  10, "CNAME beside other data" },
	{ HEAD "unbalanced ( A 192.0.2.2\nnext A 192.0.2.3\n", 6, "unbalanced ( A" },
	{ HEAD "open ( A 192.0.2.2\n", 6, "unbalanced parentheses" },
	{ HEAD "stray A 192.0.2.2 )\nnext A 192.0.2.3\n", 6, "unbalanced parentheses" },
	{ HEAD "t TXT \"(\" ; )\nu TXT \"\\\"(\" ( \"x\" )\nstray2 A 192.0.2.2 ) ; (\n", 8, "unbalanced parentheses" },
	/* Directives. */
	{ HEAD "$INCLUDE other.zone\n", 6, "$INCLUDE is not supported" },
	{ HEAD "$GENERATE 1-4 h$ A 192.0.2.$\n", 6, "$GENERATE is not supported" },
	{ HEAD "$TTL 5 minutes\n", 6, "$TTL takes one argument" },
	{ HEAD "$TTL five\n", 6, "bad $TTL value five" },
	{ HEAD "$TTL 4294967295\n", 6, "$TTL 4294967295 is above 2147483647" },
	{ HEAD "$ORIGIN\n", 6, "$ORIGIN takes one argument" },
	{ HEAD "$ORIGIN a..b.\n", 6, "bad $ORIGIN a..b." },
};

static void test_refused(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_zones) / sizeof(bad_zones[0]); i++) {
		const struct bad *c = &bad_zones[i];
		struct zone_data *z = NULL;
		char err[512] = "", want[300];
		write_zone(c->text);
		snprintf(want, sizeof(want), "%s:%d: error: ", path, c->line);
		if (zone_load("z.test", path, &z, err, sizeof(err)) != -EINVAL || strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, c->reason) == NULL || z != NULL) {
			print_error("case %zu: got \"%s\", wanted \"%s...%s\"\n", i, err, want, c->reason);
			failed++;
		}
		zone_data_free(z);
	}
	assert_int_equal(failed, 0);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct zone_data *z = NULL;
	char err[512];
	assert_int_equal(zone_load("z.test", "/nonexistent.zone", &z, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/nonexistent.zone: error: cannot read zone file: No such file"));
	assert_null(z);
}

static void test_bad_zone_name(void **state)
{
	(void)state;
	struct zone_data *z = NULL;
	char err[512];
	write_zone(HEAD);
	assert_int_equal(zone_load("a..b", path, &z, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad zone name a..b"));
}

static void test_good_zone(void **state)
{
	(void)state;
	struct zone_data *z;
	char got[512];

	/* Loaded as "Z.Test.": the origin is lower-cased, owners stay as written. */
	write_zone(HEAD "www A 192.0.2.2\nWWW A 192.0.2.2\nwww A 192.0.2.3\nwww A 192.0.2.2\n"
	                "$ORIGIN sub.z.test.\nhost ( AAAA\n  2001:db8::1 )\n"
	                "alias CNAME host\nalias RRSIG CNAME 8 4 300 20300101000000 20200101000000 1 z.test. AAAA\n"
	                "alias NSEC z.test. CNAME RRSIG NSEC\n");
	char err[512];
	assert_int_equal(zone_load("Z.Test.", path, &z, err, sizeof(err)), 0);
	char *origin = ldns_rdf2str(z->origin);
	assert_string_equal(origin, "z.test.");
	free(origin);
	assert_string_equal(z->file, path);
	assert_non_null(z->soa);
	assert_int_equal(ldns_rr_get_type(z->soa), LDNS_RR_TYPE_SOA);
	assert_true(ldns_rr_list_contains_rr(z->rrs, z->soa));
	/* SOA, NS, ns A, two distinct www A (two duplicates dropped), AAAA, CNAME, RRSIG, NSEC. */
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 9);
	find(z, "www.z.test.", LDNS_RR_TYPE_A, got, sizeof(got));
	assert_string_equal(got, "300 192.0.2.2|300 192.0.2.3");
	find(z, "host.sub.z.test.", LDNS_RR_TYPE_AAAA, got, sizeof(got));
	assert_string_equal(got, "300 2001:db8::1");
	find(z, "alias.sub.z.test.", LDNS_RR_TYPE_CNAME, got, sizeof(got));
	assert_string_equal(got, "300 host.sub.z.test.");
	zone_data_free(z);
}

/* RFC 1035 5.1: a $ORIGIN without a final dot is relative to the one before;
 * a record with a blank owner belongs to the owner before it. */
static void test_origin_and_blank_owner(void **state)
{
	(void)state;
	char got[512];
	struct zone_data *z = load_ok(HEAD "$ORIGIN sub\nhost A 192.0.2.5\n"
	                                   "   AAAA 2001:db8::5\n"
	                                   "$origin deeper\nx TXT \"x\"\n"
	                                   "$ORIGIN z.test.\n@ MX 10 ns\n\tTXT \"apex\"\n");
	find(z, "host.sub.z.test.", LDNS_RR_TYPE_A, got, sizeof(got));
	assert_string_equal(got, "300 192.0.2.5");
	find(z, "host.sub.z.test.", LDNS_RR_TYPE_AAAA, got, sizeof(got));
	assert_string_equal(got, "300 2001:db8::5");
	find(z, "x.deeper.sub.z.test.", LDNS_RR_TYPE_TXT, got, sizeof(got));
	assert_string_equal(got, "300 \"x\"");
	find(z, "z.test.", LDNS_RR_TYPE_TXT, got, sizeof(got));
	assert_string_equal(got, "300 \"apex\"");
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 8);
	zone_data_free(z);
}

/* Without $TTL a record gets 3600, as NSD gives it; an explicit TTL is not
 * carried over to the next record (NSD and ldns do not either). */
static void test_default_ttl(void **state)
{
	(void)state;
	char got[512];
	struct zone_data *z = load_ok("$ORIGIN z.test.\n" SOA "@ 7200 NS ns\nns A 192.0.2.1\n"
	                              "$TTL 1h30m\na A 192.0.2.2\n$TTL 60\nb 5 A 192.0.2.3\nc A 192.0.2.4\n");
	assert_int_equal(ldns_rr_ttl(z->soa), 3600);
	find(z, "z.test.", LDNS_RR_TYPE_NS, got, sizeof(got));
	assert_string_equal(got, "7200 ns.z.test.");
	find(z, "ns.z.test.", LDNS_RR_TYPE_A, got, sizeof(got));
	assert_string_equal(got, "3600 192.0.2.1");
	find(z, "a.z.test.", LDNS_RR_TYPE_A, got, sizeof(got));
	assert_string_equal(got, "5400 192.0.2.2");
	find(z, "b.z.test.", LDNS_RR_TYPE_A, got, sizeof(got));
	assert_string_equal(got, "5 192.0.2.3");
	find(z, "c.z.test.", LDNS_RR_TYPE_A, got, sizeof(got));
	assert_string_equal(got, "60 192.0.2.4");
	zone_data_free(z);
}

/* RFC 2181 5.2: an RRset has one TTL: the first record's, in file order.
 * RRSIGs covering different types keep their own. */
static void test_ttl_mismatch(void **state)
{
	(void)state;
	char got[512], log[2048] = "", want[600];
	char logpath[300];
	int saved = dup(2);
	FILE *f;

	/* Catch the log (stderr) to see the warning names the file and line. */
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	assert_non_null(freopen(logpath, "w", stderr));
	log_set_level(LOG_LVL_WARNING);
	struct zone_data *z = load_ok(HEAD "www 900 A 192.0.2.9\nwww 100 A 192.0.2.2\nwww A 192.0.2.3\n"
	                                   "www 100 A 192.0.2.9\n"
	                                   "www 60 RRSIG A 8 3 300 20300101000000 20200101000000 1 z.test. AAAA\n"
	                                   "www 70 RRSIG NSEC 8 3 300 20300101000000 20200101000000 1 z.test. AAAA\n");
	log_set_level(LOG_LVL_ERR);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(logpath, "r");
	assert_non_null(f);
	log[fread(log, 1, sizeof(log) - 1, f)] = '\0';
	fclose(f);
	unlink(logpath);
	snprintf(want, sizeof(want), "<4>%s:7: warning: www.z.test. TTL 100 does not match the TTL 900 of the A RRset",
	         path);
	if (strstr(log, want) == NULL)
		fail_msg("log \"%s\" lacks \"%s\"", log, want);
	assert_non_null(strstr(log, ":8: warning: www.z.test. TTL 300 does not match"));
	assert_null(strstr(log, "RRSIG RRset"));
	find(z, "www.z.test.", LDNS_RR_TYPE_A, got, sizeof(got));
	assert_string_equal(got, "900 192.0.2.2|900 192.0.2.3|900 192.0.2.9");
	find(z, "www.z.test.", LDNS_RR_TYPE_RRSIG, got, sizeof(got));
	assert_string_equal(got, "60 A|70 NSEC");
	zone_data_free(z);
}

/* Identical records are one record, even an SOA or a CNAME written twice. */
static void test_duplicates(void **state)
{
	(void)state;
	char got[512];
	struct zone_data *z = load_ok(HEAD SOA "www CNAME NS\nwww CNAME ns.z.test.\nns A 192.0.2.1\n"
	                                       "t TXT \"a\"\nt TXT \"A\"\nt TXT \"a\"\n");
	/* SOA, NS, ns A, one CNAME, two TXT: TXT data is case-sensitive. */
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 6);
	find(z, "www.z.test.", LDNS_RR_TYPE_CNAME, got, sizeof(got));
	assert_true(strcasecmp(got, "300 ns.z.test.") == 0);
	find(z, "t.z.test.", LDNS_RR_TYPE_TXT, got, sizeof(got));
	assert_string_equal(got, "300 \"A\"|300 \"a\"");
	zone_data_free(z);
}

/* The list is in canonical order (RFC 4034 6.1, 6.3): each RRset contiguous. */
static void test_order(void **state)
{
	(void)state;
	struct zone_data *z = load_ok(HEAD "b A 192.0.2.2\na TXT \"x\"\nB AAAA 2001:db8::2\n*.w A 192.0.2.4\n"
	                                   "a A 192.0.2.3\nb A 192.0.2.1\nz.a A 192.0.2.5\n");
	ldns_rr_list *copy = ldns_rr_list_clone(z->rrs);
	assert_non_null(copy);
	ldns_rr_list_sort(copy);
	assert_int_equal(ldns_rr_list_compare(copy, z->rrs), 0);
	ldns_rr_list_deep_free(copy);
	/* The apex first, then a, z.a, b, ns, *.w (RFC 4034 6.1). */
	static const char *const owners[] = { "z.test.", "z.test.", "a.z.test.", "a.z.test.", "z.a.z.test.",
		                              "b.z.test.", "b.z.test.", "b.z.test.", "ns.z.test.", "*.w.z.test." };
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 10);
	for (size_t i = 0; i < 10; i++) {
		ldns_rdf *want = ldns_dname_new_frm_str(owners[i]);
		if (ldns_dname_compare(want, ldns_rr_owner(ldns_rr_list_rr(z->rrs, i))) != 0)
			fail_msg("record %zu is not at %s", i, owners[i]);
		ldns_rdf_deep_free(want);
	}
	/* Within b: A, A, then AAAA, so the A RRset is contiguous. */
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(z->rrs, 5)), LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(z->rrs, 6)), LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(z->rrs, 7)), LDNS_RR_TYPE_AAAA);
	zone_data_free(z);
}

/* The fast sort keys give ldns's canonical order: labels that are prefixes
 * of others, upper case, high bytes, a 0 byte (no key: ldns compares),
 * deeper names, several RDATA orders, duplicates in other case. */
static void test_order_keys(void **state)
{
	(void)state;
	struct zone_data *z = load_ok(HEAD "abc A 192.0.2.1\nab A 192.0.2.1\nAB A 192.0.2.9\nab A 192.0.2.1\n"
	                                   "a\\\\b A 192.0.2.1\na\\255 A 192.0.2.1\na\\000b A 192.0.2.1\n"
	                                   "a\\000 A 192.0.2.1\nx.ab TXT \"b\" \"a\"\nx.ab TXT \"a\"\nZ.y.AB MX 10 ab\n"
	                                   "y.ab MX 5 ab\nAbC AAAA 2001:db8::1\n_t._udp SRV 0 0 53 ns\n-a A 192.0.2.1\n");
	ldns_rr_list *copy = ldns_rr_list_clone(z->rrs);
	assert_non_null(copy);
	ldns_rr_list_sort(copy);
	assert_int_equal(ldns_rr_list_rr_count(copy), ldns_rr_list_rr_count(z->rrs));
	for (size_t i = 0; i < ldns_rr_list_rr_count(copy); i++)
		if (ldns_rr_compare(ldns_rr_list_rr(copy, i), ldns_rr_list_rr(z->rrs, i)) != 0) {
			char *a = ldns_rr2str(ldns_rr_list_rr(copy, i)), *b = ldns_rr2str(ldns_rr_list_rr(z->rrs, i));
			fail_msg("record %zu: ldns order has %s, the zone %s", i, a, b);
		}
	ldns_rr_list_deep_free(copy);
	zone_data_free(z);
}

/* The fast path builds what ldns builds: the same zone read by zone_load()
 * (fast path for most lines) and by ldns alone gives the same records,
 * TTLs and owner case included; lines it does not know it leaves to ldns. */
static void test_fast_path(void **state)
{
	(void)state;
	static const char text[] = "$ORIGIN z.test.\n$TTL 300\n"
	                           "@ IN SOA ns hostmaster 1 3600 600 604800 60\n"
	                           "@ NS ns\n@ 300 IN NS ns.other.test.\nns A 192.0.2.1\n"
	                           "Www 120 A 192.0.2.2\n    AAAA 2001:db8::2\n\t300 IN AAAA 2001:DB8::3\n"
	                           "c.d CNAME www\nmx MX 10 mail.example.\nmx IN MX 20 @\n"
	                           "t TXT \"v=spf1 -all\" \"\" \"x y;z\"\n_s._tcp.x PTR ptr.z.test.\n"
	                           "*.w A 192.0.2.9\nsub NS ns.sub\nns.sub A 192.0.2.10\n"
	                           "p 1h A 192.0.2.11\nq A ( 192.0.2.13 )\n"
	                           "e TXT \"a\\\"b\"\nr A 192.0.2.14 ; comment\n";
	struct zone_data *z = load_ok(text);
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	ldns_zone *lz = NULL;
	assert_int_equal(ldns_zone_new_frm_fp(&lz, f, NULL, 300, LDNS_RR_CLASS_IN), LDNS_STATUS_OK);
	fclose(f);
	ldns_rr_list *want = ldns_rr_list_clone(ldns_zone_rrs(lz));
	ldns_rr_list_push_rr(want, ldns_rr_clone(ldns_zone_soa(lz)));
	ldns_rr_list_sort(want);
	assert_int_equal(ldns_rr_list_rr_count(want), ldns_rr_list_rr_count(z->rrs));
	for (size_t i = 0; i < ldns_rr_list_rr_count(want); i++) {
		char *a = ldns_rr2str(ldns_rr_list_rr(want, i)), *b = ldns_rr2str(ldns_rr_list_rr(z->rrs, i));
		if (strcmp(a, b) != 0)
			fail_msg("record %zu: ldns read %s, routerd %s", i, a, b);
		free(a);
		free(b);
	}
	ldns_rr_list_deep_free(want);
	ldns_zone_deep_free(lz);
	zone_data_free(z);

	/* What the fast path declines. */
	static const char *const declined[] = { "a 1h A 192.0.2.1", "a CH TXT \"x\"", "a A ( 192.0.2.1 )",
		                                "a A 192.0.2.1 ; c", "a\\.b A 192.0.2.1", "a TXT \"x\\\"y\"",
		                                "a SRV 0 0 53 b", "a 300 300 A 192.0.2.1", "a A 192.0.2.256",
		                                "a TXT unquoted", ". A 192.0.2.1", "a..b A 192.0.2.1", "a IN 30 A 192.0.2.1" };
	ldns_rdf *origin = ldns_dname_new_frm_str("z.test."), *prev = NULL;
	for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
		ldns_rr *rr = NULL;
		if (zone_fast_rr(declined[i], strlen(declined[i]), origin, &prev, 300, &rr) != 0)
			fail_msg("fast path took \"%s\"", declined[i]);
		assert_null(prev);
	}
	ldns_rdf_deep_free(origin);
}

/* DNSSEC records may sit beside a CNAME (RFC 4035 2.5); a delegation's NS
 * and glue below it are fine. */
static void test_allowed(void **state)
{
	(void)state;
	struct zone_data *z = load_ok(HEAD "c CNAME ns\n"
	                                   "c RRSIG CNAME 8 3 300 20300101000000 20200101000000 1 z.test. AAAA\n"
	                                   "c NSEC d.z.test. CNAME RRSIG NSEC\n"
	                                   "c NSEC3 1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S CNAME\n"
	                                   "d NS ns.d\nns.d A 192.0.2.7\n*.w CNAME ns\n");
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 10);
	zone_data_free(z);
	/* DNAME (RFC 6672): at the apex, below it, beside other data, and a
	 * wildcard DNAME (served as plain wildcard data, as NSD and Knot do). */
	z = load_ok(HEAD "d DNAME elsewhere.test.\nd A 192.0.2.8\n*.w DNAME x.test.\ndd A 192.0.2.9\n");
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 7);
	zone_data_free(z);
	z = load_ok("$ORIGIN z.test.\n$TTL 300\n" SOA "@ NS ns.other.test.\n@ DNAME other.test.\n");
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 3);
	zone_data_free(z);
}

/* The example zones that `make run` serves load as they are. */
static void test_example_zones(void **state)
{
	(void)state;
	static const char *const zones[][2] = { { "example.com", "../../zones/example.com.zone" },
		                                { "example.org", "../../zones/example.org.zone" } };
	for (size_t i = 0; i < 2; i++) {
		struct zone_data *z = NULL;
		char err[512];
		if (zone_load(zones[i][0], zones[i][1], &z, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_true(ldns_rr_list_rr_count(z->rrs) > 8);
		zone_data_free(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_zone_name),
		cmocka_unit_test(test_good_zone),
		cmocka_unit_test(test_origin_and_blank_owner),
		cmocka_unit_test(test_default_ttl),
		cmocka_unit_test(test_ttl_mismatch),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_order_keys),
		cmocka_unit_test(test_fast_path),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_example_zones),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
