/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dnstap.c -- the dnstap collector's parser: Frame Streams built with
 * libfstrm's control API, dnstap messages packed with protobuf-c, answers
 * made by routerd's own answer path for both sides of a switch (and by
 * hand, compressed differently), garbage of every kind, and the tracker's
 * bound under a flood of random resolvers arriving through dnstap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fstrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dns/answer.h"
#include "dnstap.pb-c.h"
#include "fleet/dnstap_parse.h"
#include "lib/rcu.h"
#include "lib/ring.h"
#include "track/track.h"
#include "zone/view.h"

static const char *zone_text = "$ORIGIN t.example.\n"
                               "$TTL 3600\n"
                               "@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
                               "@ NS ns1\n"
                               "ns1 A 192.0.2.53\n"
                               "plain A 192.0.2.80\n";
static char dir[] = "/tmp/test_dnstap.XXXXXX";
static char zone_path[256];
static struct view *view;
static struct dt_matcher *matcher;
static struct dt_scratch *scratch;
static struct cfg_zone zones[1];
static struct cfg_switch switches[2];
static struct in_addr origin_a[2], both_a[1];
static struct config cfg;
static struct answer_ctx ctx;
static int slot;

static int setup(void **state)
{
	FILE *f;
	char err[512];
	(void)state;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(zone_path, sizeof(zone_path), "%s/t.zone", dir);
	if ((f = fopen(zone_path, "w")) == NULL)
		return -1;
	fputs(zone_text, f);
	fclose(f);
	zones[0].name = "t.example.";
	zones[0].file = zone_path;
	inet_pton(AF_INET, "198.51.100.7", &origin_a[0]);
	inet_pton(AF_INET, "198.51.100.8", &origin_a[1]);
	/* sw: a CNAME against addresses; two: addresses both ways, one shared. */
	switches[0].name = "sw.t.example.";
	switches[0].cdn.cname = "cust.cdn.example.net.";
	switches[0].origin.a = origin_a;
	switches[0].origin.n_a = 2;
	inet_pton(AF_INET, "198.51.100.8", &both_a[0]);
	switches[1].name = "two.t.example.";
	switches[1].cdn.a = both_a;
	switches[1].cdn.n_a = 1;
	switches[1].origin.a = origin_a;
	switches[1].origin.n_a = 2;
	for (int i = 0; i < 2; i++) {
		switches[i].p.ttl = 30;
		switches[i].p.ttl_armed = 5;
	}
	cfg.path = "test.yaml";
	cfg.zones = zones;
	cfg.n_zones = 1;
	cfg.switches = switches;
	cfg.n_switches = 2;
	cfg.udp_payload_max = 1232;
	if (view_build(&cfg, &view, err, sizeof(err)) < 0) {
		fprintf(stderr, "view_build: %s\n", err);
		return -1;
	}
	view_publish(view);
	slot = rcu_reader_register();
	matcher = dt_matcher_build(view);
	scratch = dt_scratch_new();
	return matcher && scratch ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	dt_matcher_free(matcher);
	dt_scratch_free(scratch);
	view_publish(NULL);
	unlink(zone_path);
	rmdir(dir);
	return 0;
}

/* ---- helpers -------------------------------------------------------------------- */

/* A control frame of TYPE, with CT as content type unless NULL, escape included. */
static size_t control(uint8_t *out, fstrm_control_type type, const char *ct)
{
	struct fstrm_control *c = fstrm_control_init();
	size_t n = 600;
	assert_int_equal(fstrm_control_set_type(c, type), fstrm_res_success);
	if (ct != NULL)
		assert_int_equal(fstrm_control_add_field_content_type(c, (const uint8_t *)ct, strlen(ct)), fstrm_res_success);
	assert_int_equal(fstrm_control_encode(c, out, &n, FSTRM_CONTROL_FLAG_WITH_HEADER), fstrm_res_success);
	fstrm_control_destroy(&c);
	return n;
}

static size_t data_frame(uint8_t *out, const uint8_t *p, size_t n)
{
	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	memcpy(out + 4, p, n);
	return n + 4;
}

struct seen {
	int frames;
	size_t bytes;
};

static int count_frame(void *arg, const uint8_t *f, size_t n)
{
	struct seen *s = arg;
	(void)f;
	s->frames++;
	s->bytes += n;
	return 0;
}

/* The answer routerd gives to QTYPE for NAME with switch 0/1 on SIDE. */
static size_t answer(const char *name, uint16_t qtype, size_t sw, int side, uint8_t *out)
{
	uint8_t q[512];
	size_t n = 12, len;
	struct sockaddr_in peer = { .sin_family = AF_INET };
	memset(q, 0, 12);
	q[1] = 7;
	q[5] = 1;
	for (const char *p = name; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot != NULL);
	}
	q[n++] = 0;
	q[n++] = (uint8_t)(qtype >> 8);
	q[n++] = (uint8_t)qtype;
	q[n++] = 0;
	q[n++] = 1;
	view_switch_set(view, sw, view_sel(side ? SIDE_ORIGIN : SIDE_CDN, 0));
	rcu_read_lock(slot);
	len = answer_query(view, q, n, out, 1232, ANSWER_UDP, (struct sockaddr *)&peer, &ctx);
	rcu_read_unlock(slot);
	return len;
}

/* A packed dnstap AUTH_RESPONSE (or AUTH_QUERY when RESP is NULL). */
static size_t tap(uint8_t *out, const char *identity, const uint8_t *resp, size_t resp_len, const uint8_t addr[4],
                  uint64_t sec)
{
	Dnstap__Dnstap d = DNSTAP__DNSTAP__INIT;
	Dnstap__Message m = DNSTAP__MESSAGE__INIT;
	d.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	d.message = &m;
	if (identity) {
		d.has_identity = 1;
		d.identity.data = (uint8_t *)identity;
		d.identity.len = strlen(identity);
	}
	m.type = resp ? DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE : DNSTAP__MESSAGE__TYPE__AUTH_QUERY;
	m.has_socket_family = 1;
	m.socket_family = DNSTAP__SOCKET_FAMILY__INET;
	m.has_query_address = 1;
	m.query_address.data = (uint8_t *)addr;
	m.query_address.len = 4;
	m.has_query_time_sec = m.has_response_time_sec = 1;
	m.query_time_sec = m.response_time_sec = sec;
	m.has_response_time_nsec = 1;
	m.response_time_nsec = 250000000;
	if (resp) {
		m.has_response_message = 1;
		m.response_message.data = (uint8_t *)resp;
		m.response_message.len = resp_len;
	}
	return dnstap__dnstap__pack(&d, out);
}

/* ---- Frame Streams --------------------------------------------------------------------- */

static void test_bidirectional_handshake(void **state)
{
	uint8_t in[4096], reply[2048];
	size_t n = 0, rlen = 0;
	struct dt_fs fs;
	struct seen seen = { 0, 0 };
	struct fstrm_control *c = fstrm_control_init();
	fstrm_control_type type;
	(void)state;

	n += control(in + n, FSTRM_CONTROL_READY, DT_CONTENT_TYPE);
	n += control(in + n, FSTRM_CONTROL_START, DT_CONTENT_TYPE);
	n += data_frame(in + n, (const uint8_t *)"abc", 3);
	n += data_frame(in + n, (const uint8_t *)"defgh", 5);
	n += control(in + n, FSTRM_CONTROL_STOP, NULL);
	assert_int_equal(dt_fs_init(&fs), 0);
	assert_int_equal(dt_fs_feed(&fs, in, n, count_frame, &seen, reply, sizeof(reply), &rlen), (long)n);
	assert_int_equal(seen.frames, 2);
	assert_int_equal(seen.bytes, 8);
	assert_int_equal(fs.state, DT_FS_STOPPED);
	/* ACCEPT with our content type, then FINISH: what fstrm's writers wait for. */
	size_t alen = 8 + (size_t)(reply[4] << 24 | reply[5] << 16 | reply[6] << 8 | reply[7]);
	assert_int_equal(fstrm_control_decode(c, reply, alen, FSTRM_CONTROL_FLAG_WITH_HEADER), fstrm_res_success);
	assert_int_equal(fstrm_control_get_type(c, &type), fstrm_res_success);
	assert_int_equal(type, FSTRM_CONTROL_ACCEPT);
	assert_int_equal(fstrm_control_match_field_content_type(c, (const uint8_t *)DT_CONTENT_TYPE,
	                                                        strlen(DT_CONTENT_TYPE)),
	                 fstrm_res_success);
	assert_int_equal(fstrm_control_decode(c, reply + alen, rlen - alen, FSTRM_CONTROL_FLAG_WITH_HEADER),
	                 fstrm_res_success);
	assert_int_equal(fstrm_control_get_type(c, &type), fstrm_res_success);
	assert_int_equal(type, FSTRM_CONTROL_FINISH);
	fstrm_control_destroy(&c);
	dt_fs_free(&fs);
}

/* Byte by byte, as a slow socket delivers it: the same frames. */
static void test_split_anywhere(void **state)
{
	uint8_t in[4096], reply[2048];
	size_t n = 0, rlen = 0, have = 0, used_total = 0;
	struct dt_fs fs;
	struct seen seen = { 0, 0 };
	(void)state;

	n += control(in + n, FSTRM_CONTROL_START, DT_CONTENT_TYPE); /* unidirectional */
	for (int i = 0; i < 20; i++)
		n += data_frame(in + n, (const uint8_t *)"0123456789", 10);
	assert_int_equal(dt_fs_init(&fs), 0);
	for (have = 1; have <= n; have++) {
		long used = dt_fs_feed(&fs, in + used_total, have - used_total, count_frame, &seen, reply, sizeof(reply), &rlen);
		assert_true(used >= 0);
		used_total += (size_t)used;
	}
	assert_int_equal(used_total, n);
	assert_int_equal(seen.frames, 20);
	assert_int_equal(rlen, 0); /* no READY: nothing to answer */
	dt_fs_free(&fs);
}

static long feed_once(const uint8_t *in, size_t n)
{
	uint8_t reply[2048];
	size_t rlen = 0;
	struct dt_fs fs;
	struct seen seen = { 0, 0 };
	long rc;
	assert_int_equal(dt_fs_init(&fs), 0);
	rc = dt_fs_feed(&fs, in, n, count_frame, &seen, reply, sizeof(reply), &rlen);
	dt_fs_free(&fs);
	return rc;
}

static void test_bad_streams(void **state)
{
	uint8_t in[4096];
	size_t n;
	(void)state;

	/* Data before START. */
	n = data_frame(in, (const uint8_t *)"x", 1);
	assert_int_equal(feed_once(in, n), DT_E_GARBAGE);
	/* An HTTP request is not Frame Streams. */
	assert_int_equal(feed_once((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18), DT_E_GARBAGE);
	/* Another content type. */
	n = control(in, FSTRM_CONTROL_READY, "protobuf:other.Thing");
	assert_int_equal(feed_once(in, n), DT_E_CONTENT_TYPE);
	n = control(in, FSTRM_CONTROL_START, "text/plain");
	assert_int_equal(feed_once(in, n), DT_E_CONTENT_TYPE);
	/* A frame longer than any dnstap message. */
	n = control(in, FSTRM_CONTROL_START, DT_CONTENT_TYPE);
	in[n] = 0x7f, in[n + 1] = in[n + 2] = in[n + 3] = 0xff;
	assert_int_equal(feed_once(in, n + 4), DT_E_OVERSIZED);
	/* A control frame over 512 bytes. */
	memset(in, 0, 8);
	in[6] = 0x10;
	assert_int_equal(feed_once(in, 8), DT_E_OVERSIZED);
	/* A control frame that does not decode. */
	memcpy(in, "\0\0\0\0\0\0\0\4\xde\xad\xbe\xef", 12);
	assert_int_equal(feed_once(in, 12), DT_E_GARBAGE);
	/* START twice. */
	n = control(in, FSTRM_CONTROL_START, DT_CONTENT_TYPE);
	n += control(in + n, FSTRM_CONTROL_START, DT_CONTENT_TYPE);
	assert_int_equal(feed_once(in, n), DT_E_GARBAGE);
	/* Incomplete is not an error for the parser: the socket says truncated. */
	n = control(in, FSTRM_CONTROL_START, DT_CONTENT_TYPE);
	n += data_frame(in + n, (const uint8_t *)"0123456789", 10);
	assert_int_equal(feed_once(in, n - 3), (long)(n - 14));
}

/* ---- messages and sides ----------------------------------------------------------------- */

static void test_sides_from_real_answers(void **state)
{
	uint8_t resp[1232], frame[4096];
	static const uint8_t addr[4] = { 192, 0, 2, 33 };
	struct dt_msg m;
	size_t rl, fl;
	(void)state;

	/* The CNAME side, for A and AAAA; the address side for A. */
	rl = answer("sw.t.example", 1, 0, 0, resp);
	fl = tap(frame, "ns1", resp, rl, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.kind, DT_AUTH_RESPONSE);
	assert_int_equal(m.switch_id, 0);
	assert_int_equal(m.side, 0);
	assert_int_equal(m.qtype, 1);
	assert_int_equal(m.family, AF_INET);
	assert_memory_equal(m.addr, addr, 4);
	assert_int_equal(m.time_ns, 1796000000250000000ull);
	assert_int_equal(m.identity_len, 3);
	assert_memory_equal(m.identity, "ns1", 3);
	rl = answer("sw.t.example", 28, 0, 0, resp);
	fl = tap(frame, "ns1", resp, rl, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.side, 0);
	rl = answer("sw.t.example", 1, 0, 1, resp);
	fl = tap(frame, NULL, resp, rl, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.side, 1);
	assert_null(m.identity);
	/* AAAA on the address side is NODATA: the side without AAAA records. */
	rl = answer("sw.t.example", 28, 0, 1, resp);
	fl = tap(frame, NULL, resp, rl, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.side, 1);
	/* Both sides share 198.51.100.8: the address only one side has decides. */
	rl = answer("two.t.example", 1, 1, 1, resp);
	fl = tap(frame, NULL, resp, rl, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.switch_id, 1);
	assert_int_equal(m.side, 1);
	rl = answer("two.t.example", 1, 1, 0, resp);
	fl = tap(frame, NULL, resp, rl, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.side, -1); /* only the shared address: cannot tell */
	/* A name that is not switched. */
	rl = answer("plain.t.example", 1, 0, 0, resp);
	fl = tap(frame, NULL, resp, rl, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.switch_id, -1);
	/* A query: counted by the collector, no side. */
	fl = tap(frame, "ns1", NULL, 0, addr, 1796000000);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.kind, DT_AUTH_QUERY);
	assert_int_equal(m.side, -1);
}

/* Another server's wire form: upper case, no compression, and the records
 * in another order; the side is the same. */
static void test_other_servers_encoding(void **state)
{
	static const uint8_t resp[] = {
		0x12,
		0x34,
		0x84,
		0x00,
		0,
		1,
		0,
		2,
		0,
		0,
		0,
		0,
		2,
		'S',
		'W',
		1,
		't',
		7,
		'e',
		'x',
		'a',
		'm',
		'p',
		'l',
		'e',
		0,
		0,
		1,
		0,
		1,
		/* two A records, the second set first, owners uncompressed */
		2,
		's',
		'w',
		1,
		'T',
		7,
		'e',
		'x',
		'a',
		'm',
		'p',
		'l',
		'e',
		0,
		0,
		1,
		0,
		1,
		0,
		0,
		0,
		9,
		0,
		4,
		198,
		51,
		100,
		8,
		0xc0,
		12,
		0,
		1,
		0,
		1,
		0,
		0,
		0,
		30,
		0,
		4,
		198,
		51,
		100,
		7,
	};
	static const uint8_t cname[] = {
		0,
		1,
		0x84,
		0,
		0,
		1,
		0,
		1,
		0,
		0,
		0,
		0,
		2,
		's',
		'w',
		1,
		't',
		7,
		'e',
		'x',
		'a',
		'm',
		'p',
		'l',
		'e',
		0,
		0,
		1,
		0,
		1,
		0xc0,
		12,
		0,
		5,
		0,
		1,
		0,
		0,
		0,
		5,
		0,
		22,
		4,
		'C',
		'U',
		'S',
		'T',
		3,
		'c',
		'd',
		'n',
		7,
		'e',
		'x',
		'a',
		'm',
		'p',
		'l',
		'e',
		3,
		'n',
		'e',
		't',
		0,
	};
	long sw;
	uint16_t qtype;
	(void)state;
	assert_int_equal(dt_match_response(matcher, resp, sizeof(resp), &sw, &qtype, NULL), 1);
	assert_int_equal(sw, 0);
	assert_int_equal(dt_match_response(matcher, cname, sizeof(cname), &sw, &qtype, NULL), 0);
	/* Cut anywhere: never a side, never a crash. */
	for (size_t n = 0; n < sizeof(cname); n++)
		assert_int_equal(dt_match_response(matcher, cname, n, &sw, &qtype, NULL), -1);
}

/* BIND's answer to an RD=1 query is a CLIENT_RESPONSE: taken when AA is set. */
static void test_client_response_with_aa(void **state)
{
	uint8_t resp[1232], frame[4096];
	static const uint8_t addr[4] = { 192, 0, 2, 9 };
	Dnstap__Dnstap *d;
	struct dt_msg m;
	size_t rl = answer("sw.t.example", 1, 0, 1, resp), fl = tap(frame, "bind1", resp, rl, addr, 1796000000);
	(void)state;
	d = dnstap__dnstap__unpack(NULL, fl, frame);
	assert_non_null(d);
	d->message->type = DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE;
	fl = dnstap__dnstap__pack(d, frame);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.kind, DT_AUTH_RESPONSE);
	assert_int_equal(m.side, 1);
	d->message->response_message.data[2] &= (uint8_t)~0x04; /* a recursive answer: no AA */
	fl = dnstap__dnstap__pack(d, frame);
	assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
	assert_int_equal(m.kind, DT_OTHER);
	dnstap__dnstap__free_unpacked(d, NULL);
}

static void test_bad_messages(void **state)
{
	uint8_t junk[300], frame[4096], resp[1232];
	static const uint8_t addr[4] = { 192, 0, 2, 1 };
	struct dt_msg m;
	(void)state;
	memset(junk, 0xff, sizeof(junk));
	assert_int_equal(dt_decode(scratch, matcher, junk, sizeof(junk), &m), DT_E_MESSAGE);
	size_t rl = answer("sw.t.example", 1, 0, 0, resp), fl = tap(frame, "x", resp, rl, addr, 1);
	/* Every truncation of a valid message: an error or a message, never a crash. */
	for (size_t n = 0; n < fl; n++)
		assert_true(dt_decode(scratch, matcher, frame, n, &m) == DT_E_MESSAGE || m.kind != DT_AUTH_RESPONSE ||
		            m.side >= -1);
	/* No matcher yet (before the first view): nothing is switched. */
	assert_int_equal(dt_decode(scratch, NULL, frame, fl, &m), 0);
	assert_int_equal(m.switch_id, -1);
}

/* A flood of random resolvers through dnstap: the table stays at its bound. */
static void test_flood_bounded(void **state)
{
	uint8_t resp[1232], frame[4096];
	struct track_table *t = track_table_new(1000);
	struct track_stats st;
	struct dt_msg m;
	size_t rl = answer("sw.t.example", 1, 0, 0, resp);
	uint32_t x = 12345;
	(void)state;

	for (int i = 0; i < 50000; i++) {
		uint8_t addr[4];
		x = x * 1103515245u + 12345u;
		memcpy(addr, &x, 4);
		size_t fl = tap(frame, "flood", resp, rl, addr, 1796000000 + (uint64_t)i);
		assert_int_equal(dt_decode(scratch, matcher, frame, fl, &m), 0);
		struct track_obs o = { .time_ns = m.time_ns, .switch_id = (uint32_t)m.switch_id, .qtype = m.qtype, .family = m.family, .side = (uint8_t)m.side, .server = 1 };
		memcpy(o.addr, m.addr, 16);
		track_add(t, &o);
	}
	track_table_stats(t, &st);
	assert_true(st.entries <= 1000);
	assert_int_equal(st.observations, 50000);
	assert_int_equal(st.by_server[1], 50000);
	track_table_free(t);
}

/* The key holds the server: one resolver at two secondaries is two entries,
 * and each secondary's first new-side answer is kept. */
static void test_server_key(void **state)
{
	struct track_table *t = track_table_new(100);
	struct track_obs o = { .time_ns = 1000000000ull, .switch_id = 3, .qtype = 1, .family = AF_INET, .side = 0 };
	uint64_t first, last;
	(void)state;
	o.addr[0] = 10;
	track_add(t, &o);
	o.server = 2;
	track_add(t, &o);
	assert_non_null(track_find(t, 3, AF_INET, o.addr));
	assert_non_null(track_find_server(t, 3, 2, AF_INET, o.addr));
	assert_null(track_find_server(t, 3, 5, AF_INET, o.addr));
	track_set_flip(t, 3, 2000000000ull, 1);
	o.time_ns = 3000000000ull; /* after the flip, still the old side */
	track_add(t, &o);
	o.time_ns = 4000000000ull;
	o.side = 1;
	track_add(t, &o);
	o.time_ns = 5000000000ull;
	track_add(t, &o);
	track_server_times(t, 3, 2, &first, &last);
	assert_int_equal(first, 4000000000ull);
	assert_int_equal(last, 3000000000ull);
	track_server_times(t, 3, 1, &first, &last);
	assert_int_equal(first, 0);
	track_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidirectional_handshake),
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_bad_streams),
		cmocka_unit_test(test_sides_from_real_answers),
		cmocka_unit_test(test_other_servers_encoding),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_server_key),
		cmocka_unit_test(test_client_response_with_aa),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
