/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_answer.c -- the answer path end to end in memory: a zone is loaded,
 * compiled into a view, and queries built with ldns are answered and parsed
 * back with ldns (which also checks every compression pointer).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/answer.h"
#include "config.h"
#include "lib/rcu.h"
#include "lib/ring.h"
#include "zone/view.h"

/* clang-format off */
static const char *zone_text =
	"$ORIGIN t.example.\n"
	"$TTL 3600\n"
	"@ 7200 IN SOA ns1 hostmaster 1 3600 900 604800 300\n"
	"@ NS ns1\n"
	"@ NS ns2.other.example.\n"
	"@ A 192.0.2.1\n"
	"ns1 A 192.0.2.53\n"
	"www A 192.0.2.80\n"
	"www AAAA 2001:db8::80\n"
	"alias CNAME alias2\n"
	"alias2 CNAME www\n"
	"dangling CNAME nothere\n"
	"out CNAME www.elsewhere.example.\n"
	"*.wild A 192.0.2.99\n"
	"*.wild TXT \"wild\"\n"
	"*.wc CNAME www\n"
	"x.wild A 192.0.2.98\n"
	"a.b.c A 192.0.2.3\n"
	"sub NS ns.sub\n"
	"sub NS ns.other.example.\n"
	"sub DS 12345 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"ns.sub A 192.0.2.54\n"
	"ns.sub AAAA 2001:db8::54\n"
	"dn DNAME elsewhere.example.\n"
	"dnin DNAME wild.t.example.\n"
	"dnlong DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
	"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.example.\n"
	"todn CNAME host.dnin\n"
	"kid NS ns.kid\n"
	"kid DS 11111 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"ns.kid A 192.0.2.120\n"
	"kid2 NS ns.kid2\n"
	"ns.kid2 A 192.0.2.121\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"1123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"2123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"3123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"4123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"5123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"6123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"7123456789012345678901234567890123456789012345678901234567890123456789\"\n";
/* clang-format on */

static char dir[] = "/tmp/test_answer.XXXXXX";
static char zone_path[256];
static struct view *view;
static struct answer_ctx ctx;
static int slot;

static struct cfg_zone zones[3];
static char kid_path[256], kid2_path[256];
static struct in_addr origin_a[1];
static struct cfg_switch switches[1];
static struct config cfg;

static int setup(void **state)
{
	FILE *f;
	char err[512];
	(void)state;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(zone_path, sizeof(zone_path), "%s/t.zone", dir);
	f = fopen(zone_path, "w");
	if (f == NULL)
		return -1;
	fputs(zone_text, f);
	fclose(f);

	zones[0].name = "t.example.";
	zones[0].file = zone_path;
	/* Two children served beside the parent: DS at the cut comes from the
	 * parent (RFC 4035 3.1.4.1); kid2 has none there. */
	snprintf(kid_path, sizeof(kid_path), "%s/kid.zone", dir);
	snprintf(kid2_path, sizeof(kid2_path), "%s/kid2.zone", dir);
	for (int i = 0; i < 2; i++) {
		f = fopen(i ? kid2_path : kid_path, "w");
		if (f == NULL)
			return -1;
		fprintf(f, "$ORIGIN %s.t.example.\n$TTL 900\n@ SOA ns hostmaster 5 3600 900 604800 60\n@ NS ns\n"
		           "ns A 192.0.2.12%d\nwww A 192.0.2.123\n",
		        i ? "kid2" : "kid", i);
		fclose(f);
	}
	zones[1].name = "kid.t.example.";
	zones[1].file = kid_path;
	zones[2].name = "kid2.t.example.";
	zones[2].file = kid2_path;
	inet_pton(AF_INET, "198.51.100.7", &origin_a[0]);
	switches[0].name = "sw.t.example.";
	switches[0].cdn.cname = "cust.cdn.example.net.";
	switches[0].origin.a = origin_a;
	switches[0].origin.n_a = 1;
	switches[0].p.ttl = 30;
	switches[0].p.ttl_armed = 5;
	cfg.path = "test.yaml";
	cfg.zones = zones;
	cfg.n_zones = 3;
	cfg.switches = switches;
	cfg.n_switches = 1;
	cfg.udp_payload_max = 1232;
	if (view_build(&cfg, &view, err, sizeof(err)) < 0) {
		fprintf(stderr, "view_build: %s\n", err);
		return -1;
	}
	view_publish(view);
	slot = rcu_reader_register();
	ctx.ring = track_ring_create(64);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	view_publish(NULL);
	track_ring_free(ctx.ring);
	rcu_reader_unregister(slot);
	unlink(zone_path);
	unlink(kid_path);
	unlink(kid2_path);
	rmdir(dir);
	return 0;
}

/* Build a query, answer it, parse the response. */
static ldns_pkt *ask_full(const char *name, ldns_rr_type type, int edns, uint16_t bufsize, enum answer_proto proto,
                          size_t *len_out)
{
	ldns_rdf *dname = ldns_dname_new_frm_str(name);
	ldns_pkt *q = ldns_pkt_query_new(dname, type, LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire = NULL, out[65536];
	size_t qlen = 0, len;
	ldns_pkt *resp = NULL;
	struct sockaddr_in peer = { .sin_family = AF_INET };

	ldns_pkt_set_id(q, 0x1234);
	if (edns) {
		ldns_pkt_set_edns_udp_size(q, bufsize);
		ldns_pkt_set_edns_data(q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, ""));
	}
	assert_int_equal(ldns_pkt2wire(&wire, q, &qlen), LDNS_STATUS_OK);
	inet_pton(AF_INET, "203.0.113.9", &peer.sin_addr);
	rcu_read_lock(slot);
	len = answer_query(view_current(), wire, qlen, out, sizeof(out), proto, (struct sockaddr *)&peer, &ctx);
	rcu_read_unlock(slot);
	if (len_out)
		*len_out = len;
	if (len > 0)
		assert_int_equal(ldns_wire2pkt(&resp, out, len), LDNS_STATUS_OK);
	free(wire);
	ldns_pkt_free(q);
	return resp;
}

static ldns_pkt *ask(const char *name, ldns_rr_type type)
{
	return ask_full(name, type, 0, 0, ANSWER_UDP, NULL);
}

static void assert_rr(const ldns_rr_list *l, size_t i, const char *text)
{
	char *s;
	assert_true(i < ldns_rr_list_rr_count(l));
	s = ldns_rr2str(ldns_rr_list_rr(l, i));
	s[strlen(s) - 1] = '\0'; /* newline */
	for (char *p = s; *p; p++)
		if (*p == '\t')
			*p = ' ';
	assert_string_equal(s, text);
	free(s);
}

static void test_exact_answer(void **state)
{
	(void)state;
	ldns_pkt *p = ask("www.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_true(ldns_pkt_qr(p));
	assert_true(ldns_pkt_rd(p));
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	assert_rr(ldns_pkt_answer(p), 0, "www.t.example. 3600 IN A 192.0.2.80");
	ldns_pkt_free(p);
}

static void test_case_preserved(void **state)
{
	(void)state;
	ldns_pkt *p = ask("WwW.T.eXample.", LDNS_RR_TYPE_AAAA);
	char *q = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0)));
	assert_string_equal(q, "WwW.T.eXample.");
	free(q);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
}

static void test_nxdomain_and_nodata(void **state)
{
	(void)state;
	ldns_pkt *p = ask("nope.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	/* RFC 2308 5: TTL is min(SOA TTL 7200, MINIMUM 300). */
	assert_rr(ldns_pkt_authority(p), 0,
	          "t.example. 300 IN SOA ns1.t.example. hostmaster.t.example. 1 3600 900 604800 300");
	ldns_pkt_free(p);

	p = ask("www.t.example.", LDNS_RR_TYPE_MX);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);

	/* Empty non-terminals exist: NODATA, not NXDOMAIN (RFC 8020). */
	p = ask("b.c.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
}

static void test_cname_chain(void **state)
{
	(void)state;
	ldns_pkt *p = ask("alias.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 3);
	assert_rr(ldns_pkt_answer(p), 0, "alias.t.example. 3600 IN CNAME alias2.t.example.");
	assert_rr(ldns_pkt_answer(p), 1, "alias2.t.example. 3600 IN CNAME www.t.example.");
	assert_rr(ldns_pkt_answer(p), 2, "www.t.example. 3600 IN A 192.0.2.80");
	ldns_pkt_free(p);

	p = ask("alias.t.example.", LDNS_RR_TYPE_CNAME);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);

	/* RFC 6604: the rcode is that of the last name in the chain. */
	p = ask("dangling.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);

	p = ask("out.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
}

static void test_wildcard(void **state)
{
	(void)state;
	ldns_pkt *p = ask("a.very.Long.name.below.wild.t.example.", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(ldns_pkt_answer(p), 0, "a.very.Long.name.below.wild.t.example. 3600 IN TXT \"wild\"");
	ldns_pkt_free(p);

	/* An existing name blocks the wildcard, also below it (RFC 4592 2.2.2). */
	p = ask("x.wild.t.example.", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	p = ask("y.x.wild.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);

	/* A wildcard CNAME, synthesized, then followed; the patched pointers
	 * into the long query name must decode. */
	p = ask("some.deep.name.wc.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_rr(ldns_pkt_answer(p), 0, "some.deep.name.wc.t.example. 3600 IN CNAME www.t.example.");
	assert_rr(ldns_pkt_answer(p), 1, "www.t.example. 3600 IN A 192.0.2.80");
	ldns_pkt_free(p);
}

static void test_referral(void **state)
{
	(void)state;
	ldns_pkt *p = ask("host.deeper.sub.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	assert_int_equal(ldns_pkt_arcount(p), 2); /* A and AAAA glue of ns.sub */
	assert_rr(ldns_pkt_additional(p), 0, "ns.sub.t.example. 3600 IN A 192.0.2.54");
	ldns_pkt_free(p);

	/* DS belongs to the parent side of the cut: authoritative answer. */
	p = ask("sub.t.example.", LDNS_RR_TYPE_DS);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);

	/* Glue itself is not authoritative data: a referral. */
	p = ask("ns.sub.t.example.", LDNS_RR_TYPE_A);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	ldns_pkt_free(p);
}

/* DNAME (RFC 6672): the DNAME, a CNAME synthesized for the name below it,
 * the substituted name followed where it is ours, YXDOMAIN when too long. */
static void test_dname(void **state)
{
	(void)state;
	ldns_pkt *p = ask("Host.X.dn.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_rr(ldns_pkt_answer(p), 0, "dn.t.example. 3600 IN DNAME elsewhere.example.");
	assert_rr(ldns_pkt_answer(p), 1, "Host.X.dn.t.example. 3600 IN CNAME host.x.elsewhere.example.");
	ldns_pkt_free(p);

	/* The owner itself is plain data. */
	p = ask("dn.t.example.", LDNS_RR_TYPE_DNAME);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	p = ask("dn.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);

	/* Into this zone: onto the wildcard, followed (relocated pointers). */
	p = ask("a.b.dnin.t.example.", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_ancount(p), 3);
	assert_rr(ldns_pkt_answer(p), 1, "a.b.dnin.t.example. 3600 IN CNAME a.b.wild.t.example.");
	assert_rr(ldns_pkt_answer(p), 2, "a.b.wild.t.example. 3600 IN TXT \"wild\"");
	ldns_pkt_free(p);
	/* Onto a name that blocks the wildcard and has no TXT: NODATA there. */
	p = ask("x.dnin.t.example.", LDNS_RR_TYPE_TXT);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	/* A CNAME query stops at the synthesized CNAME. */
	p = ask("a.dnin.t.example.", LDNS_RR_TYPE_CNAME);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);

	/* A CNAME into a DNAME: compiled at load. */
	p = ask("todn.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 4);
	assert_rr(ldns_pkt_answer(p), 2, "host.dnin.t.example. 3600 IN CNAME host.wild.t.example.");
	assert_rr(ldns_pkt_answer(p), 3, "host.wild.t.example. 3600 IN A 192.0.2.99");
	ldns_pkt_free(p);

	/* Too long a substitution: YXDOMAIN with the DNAME only (RFC 6672 2.2). */
	p = ask("qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq.dnlong.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_YXDOMAIN);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	p = ask("q.dnlong.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);

	/* Over TCP and in 512 bytes without EDNS alike, every pointer decodes. */
	size_t len;
	p = ask_full("a.b.dnin.t.example.", LDNS_RR_TYPE_A, 0, 0, ANSWER_TCP, &len);
	assert_int_equal(ldns_pkt_ancount(p), 3);
	ldns_pkt_free(p);
}

/* A switched name at or below a DNAME owner could never be reached: the
 * config is refused, with the switch's place and the DNAME's name. */
static void test_switch_below_dname(void **state)
{
	(void)state;
	static char names[][32] = { "x.dn.t.example.", "dn.t.example.", "a.b.dnin.t.example." };
	for (size_t i = 0; i < 3; i++) {
		struct config c = cfg;
		struct cfg_switch sw = switches[0];
		struct view *v = NULL;
		char err[512];
		sw.name = names[i];
		sw.line = 7;
		sw.col = 5;
		c.switches = &sw;
		c.n_switches = 1;
		assert_int_equal(view_build(&c, &v, err, sizeof(err)), -EINVAL);
		assert_null(v);
		assert_non_null(strstr(err, "test.yaml:7:5: error: switch "));
		assert_non_null(strstr(err, "at or below the DNAME at d"));
	}
}

/* DS at a cut between two zones we serve comes from the parent; every
 * other type from the child. */
static void test_ds_at_served_cut(void **state)
{
	(void)state;
	ldns_pkt *p = ask("kid.t.example.", LDNS_RR_TYPE_DS);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(ldns_pkt_answer(p), 0,
	          "kid.t.example. 3600 IN DS 11111 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ldns_pkt_free(p);
	p = ask("kid2.t.example.", LDNS_RR_TYPE_DS); /* NODATA, the parent's SOA */
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	{
		char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_authority(p), 0)));
		assert_string_equal(owner, "t.example."); /* not kid2.t.example. */
		free(owner);
	}
	ldns_pkt_free(p);
	p = ask("kid.t.example.", LDNS_RR_TYPE_NS); /* the child's, authoritative */
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(ldns_pkt_answer(p), 0, "kid.t.example. 900 IN NS ns.kid.t.example.");
	ldns_pkt_free(p);
	p = ask("www.kid.t.example.", LDNS_RR_TYPE_A);
	assert_true(ldns_pkt_aa(p));
	assert_rr(ldns_pkt_answer(p), 0, "www.kid.t.example. 900 IN A 192.0.2.123");
	ldns_pkt_free(p);
}

static void test_refused_outside(void **state)
{
	(void)state;
	ldns_pkt *p = ask("www.example.org.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	assert_false(ldns_pkt_aa(p));
	ldns_pkt_free(p);
}

static size_t raw(const uint8_t *q, size_t qlen, uint8_t *out)
{
	size_t len;
	rcu_read_lock(slot);
	len = answer_query(view_current(), q, qlen, out, 65535, ANSWER_UDP, NULL, &ctx);
	rcu_read_unlock(slot);
	return len;
}

static void test_malformed(void **state)
{
	(void)state;
	uint8_t out[65535];
	/* id 0x0102, RD, qdcount 1, question www.t.example A IN */
	uint8_t q[] = { 1, 2, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 1, 't', 7, 'e', 'x', 'a', 'm', 'p',
		        'l', 'e', 0, 0, 1, 0, 1 };
	uint8_t m[sizeof(q)];
	size_t len;

	memcpy(m, q, sizeof(q));
	assert_true(raw(m, sizeof(m), out) > 12);
	assert_int_equal(out[3] & 0xf, 0);

	m[2] |= 0x80; /* QR: never answer a response */
	assert_int_equal(raw(m, sizeof(m), out), 0);

	memcpy(m, q, sizeof(q));
	m[5] = 2; /* two questions */
	len = raw(m, sizeof(m), out);
	assert_int_equal(len, 12);
	assert_int_equal(out[3] & 0xf, LDNS_RCODE_FORMERR);

	memcpy(m, q, sizeof(q));
	len = raw(m, sizeof(m) - 3, out); /* question cut short */
	assert_int_equal(out[3] & 0xf, LDNS_RCODE_FORMERR);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);

	memcpy(m, q, sizeof(q));
	m[2] = 2 << 3; /* opcode STATUS */
	len = raw(m, sizeof(m), out);
	assert_int_equal(out[3] & 0xf, LDNS_RCODE_NOTIMPL);
	assert_int_equal(out[2] & 0x78, 2 << 3);

	/* An unknown opcode with a malformed question: NOTIMP (the opcode is
	 * judged first, as NSD and Knot do), header only. */
	memcpy(m, q, sizeof(q));
	m[2] = 15 << 3;
	m[12] = 0xc0; /* a pointer in the question */
	len = raw(m, sizeof(m), out);
	assert_int_equal(len, 12);
	assert_int_equal(out[3] & 0xf, LDNS_RCODE_NOTIMPL);
	assert_int_equal(out[5], 0);

	assert_int_equal(raw(m, 5, out), 0); /* a runt */

	memcpy(m, q, sizeof(q));
	m[12] = 0xc0; /* a pointer in the question */
	raw(m, sizeof(m), out);
	assert_int_equal(out[3] & 0xf, LDNS_RCODE_FORMERR);
}

static void test_edns(void **state)
{
	(void)state;
	ldns_pkt *p = ask_full("www.t.example.", LDNS_RR_TYPE_A, 1, 4096, ANSWER_UDP, NULL);
	assert_true(ldns_pkt_edns(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
}

static void test_badvers(void **state)
{
	(void)state;
	uint8_t out[65535];
	uint8_t q[] = { 1, 2, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3, 'w', 'w', 'w', 1, 't', 7, 'e', 'x', 'a', 'm', 'p',
		        'l', 'e', 0, 0, 1, 0, 1,
		        /* OPT: root, type 41, size 1232, ext-rcode 0, version 1, flags 0, rdlen 0 */
		        0, 0, 41, 0x04, 0xd0, 0, 1, 0, 0, 0, 0 };
	size_t len = raw(q, sizeof(q), out);
	assert_int_equal(len, sizeof(q));
	assert_int_equal(out[3] & 0xf, 0);        /* BADVERS = 16: low bits 0 */
	assert_int_equal(out[len - 6], 1);        /* upper bits in the OPT TTL */
	assert_int_equal(out[len - 5], 0);        /* we speak version 0 */
}

static void test_truncation(void **state)
{
	(void)state;
	size_t len;
	ldns_pkt *p = ask_full("big.t.example.", LDNS_RR_TYPE_TXT, 0, 0, ANSWER_UDP, &len);
	assert_true(ldns_pkt_tc(p));
	assert_true(len <= 512);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);

	p = ask_full("big.t.example.", LDNS_RR_TYPE_TXT, 1, 1232, ANSWER_UDP, &len);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 8);
	ldns_pkt_free(p);

	p = ask_full("big.t.example.", LDNS_RR_TYPE_TXT, 0, 0, ANSWER_TCP, &len);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 8);
	ldns_pkt_free(p);
}

static void test_any(void **state)
{
	(void)state;
	ldns_pkt *p = ask_full("www.t.example.", LDNS_RR_TYPE_ANY, 0, 0, ANSWER_UDP, NULL);
	/* RFC 8482: one RRset, a preferred small type (A), on both transports. */
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), LDNS_RR_TYPE_A);
	ldns_pkt_free(p);
	p = ask_full("www.t.example.", LDNS_RR_TYPE_ANY, 0, 0, ANSWER_TCP, NULL);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* An NS query gets the addresses of in-zone servers, as NSD gives. */
	p = ask("t.example.", LDNS_RR_TYPE_NS);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(ldns_pkt_arcount(p), 1);
	assert_rr(ldns_pkt_additional(p), 0, "ns1.t.example. 3600 IN A 192.0.2.53");
	ldns_pkt_free(p);
}

static void test_switch_flip(void **state)
{
	(void)state;
	struct track_obs obs[8];
	struct view *v = view;
	long idx = view_switch_find(v, "SW.t.example");
	ldns_pkt *p;

	assert_int_equal(idx, 0);
	while (track_ring_pop(ctx.ring, obs, 8) > 0)
		;
	p = ask("sw.t.example.", LDNS_RR_TYPE_A);
	assert_rr(ldns_pkt_answer(p), 0, "sw.t.example. 30 IN CNAME cust.cdn.example.net.");
	ldns_pkt_free(p);

	view_switch_set(v, (size_t)idx, VIEW_SEL_SIDE | VIEW_SEL_ARMED);
	p = ask("sw.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_rr(ldns_pkt_answer(p), 0, "sw.t.example. 5 IN A 198.51.100.7");
	ldns_pkt_free(p);

	/* The flip is a new version of the zone: the SOA serial went 1 -> 2,
	 * in SOA answers and in negative answers alike. */
	p = ask("t.example.", LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 2)), 2);
	ldns_pkt_free(p);
	p = ask("nothere.t.example.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_authority(p), 0), 2)), 2);
	ldns_pkt_free(p);
	assert_int_equal(view_switch_serial(v, (size_t)idx), 2);
	view_switch_set(v, (size_t)idx, VIEW_SEL_SIDE | VIEW_SEL_ARMED); /* no change, no new serial */
	assert_int_equal(view_switch_serial(v, (size_t)idx), 2);

	/* Both queries for the switch were recorded for the tracker, with side and resolver. */
	assert_int_equal(track_ring_pop(ctx.ring, obs, 8), 2);
	assert_int_equal(obs[0].side, 0);
	assert_int_equal(obs[1].side, 1);
	assert_int_equal(obs[1].family, AF_INET);
	assert_int_equal(obs[1].addr[0], 203);
	/* Answered by routerd itself (server 0), not by a secondary the dnstap
	 * collector numbered: the tracker keys by server. */
	assert_int_equal(obs[0].server, 0);
	assert_int_equal(obs[1].server, 0);
	view_switch_set(v, (size_t)idx, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* clang-format off */
		cmocka_unit_test(test_exact_answer),    cmocka_unit_test(test_case_preserved),
		cmocka_unit_test(test_nxdomain_and_nodata), cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_wildcard),        cmocka_unit_test(test_referral),
		cmocka_unit_test(test_refused_outside), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_edns),            cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_truncation),      cmocka_unit_test(test_any),
		cmocka_unit_test(test_switch_flip),
		cmocka_unit_test(test_dname),           cmocka_unit_test(test_ds_at_served_cut),
		cmocka_unit_test(test_switch_below_dname),
	};
	        /* clang-format on */
	return cmocka_run_group_tests(tests, setup, teardown);
}
