/* test_zone.c -- zone loading: what is refused, at which line, and what is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zone.h"

static char dir[] = "/tmp/test_zone.XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
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
	fclose(f);
}

#define HEAD "$ORIGIN z.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 604800 60\n@ NS ns\nns A 192.0.2.1\n"

struct bad {
	const char *text;
	int line;
	const char *reason;
};

static void test_refused(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{ "$ORIGIN z.test.\n@ 300 NS ns\nns 300 A 192.0.2.1\n", 1, "no SOA record for z.test." },
		{ "$ORIGIN z.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 604800 60\nns A 192.0.2.1\n", 1,
		  "no NS records at the apex" },
		{ HEAD "www.other.test. A 192.0.2.2\n", 6, "www.other.test. is outside the zone" },
		{ HEAD "www A 192.0.2.2\nwww CNAME ns\n", 7, "CNAME beside other data at www.z.test." },
		{ HEAD "www CNAME ns\nwww CNAME ns2\n", 6, "more than one CNAME at www.z.test." },
		{ HEAD "sub SOA ns hostmaster 1 3600 600 604800 60\n", 6, "SOA at sub.z.test., not at the zone apex" },
		{ HEAD "@ SOA ns hostmaster 2 3600 600 604800 60\n", 6, "a second SOA" },
		{ HEAD "www A 192.0.2.300\n", 6, "" },
		{ HEAD "www BOGUSTYPE 1\n", 6, "" },
		{ HEAD "www CH TXT \"x\"\n", 6, "class other than IN" },
		{ HEAD "d DNAME elsewhere.test.\n", 6, "DNAME at d.z.test. is not supported" },
		{ HEAD "$INCLUDE other.zone\n", 6, "$INCLUDE is not supported" },
		{ "", 1, "no SOA record" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zone_data *z = NULL;
		char err[512] = "", want[300];
		write_zone(cases[i].text);
		snprintf(want, sizeof(want), "%s:%d: error: ", path, cases[i].line);
		if (zone_load("z.test", path, &z, err, sizeof(err)) != -1 || strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, cases[i].reason) == NULL)
			fail_msg("case %zu: got \"%s\", wanted \"%s%s\"", i, err, want, cases[i].reason);
		assert_null(z);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	struct zone_data *z = NULL;
	char err[512];
	assert_int_equal(zone_load("z.test", "/nonexistent.zone", &z, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent.zone: error: cannot open zone file"));
}

static void test_good_zone(void **state)
{
	(void)state;
	struct zone_data *z = NULL;
	char err[512];
	write_zone(HEAD "www A 192.0.2.2\nWWW A 192.0.2.2\nwww A 192.0.2.3\n"
	                "$ORIGIN sub.z.test.\nhost ( AAAA\n  2001:db8::1 )\n"
	                "alias CNAME host\nalias RRSIG CNAME 8 4 300 20300101000000 20200101000000 1 z.test. AAAA\n");
	assert_int_equal(zone_load("Z.Test.", path, &z, err, sizeof(err)), 0);
	char *origin = ldns_rdf2str(z->origin);
	assert_string_equal(origin, "z.test.");
	free(origin);
	assert_non_null(z->soa);
	assert_int_equal(ldns_rr_get_type(z->soa), LDNS_RR_TYPE_SOA);
	/* SOA, NS, ns A, two distinct www A (the duplicate dropped), host AAAA, CNAME, RRSIG. */
	assert_int_equal(ldns_rr_list_rr_count(z->rrs), 8);
	zone_data_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_good_zone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
