/* SPDX-License-Identifier: BSD-3-Clause */
/* test_tsig.c -- TSIG (RFC 8945): sign and verify requests and responses,
 * and every refusal: unknown key, wrong MAC, time outside the fudge, a TSIG
 * not last. (Interoperability with dig, kdig, NSD, Knot and BIND is in the
 * fleet integration test.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/tsig.h"
#include "lib/wire.h"

#define NOW 1800000000ull

static struct tsig_key key_a, key_b;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(tsig_key_init(&key_a, "xfr.Routerd.", TSIG_HMAC_SHA256, (const uint8_t *)"0123456789abcdef", 16), 0);
	assert_int_equal(tsig_key_init(&key_b, "other", TSIG_HMAC_SHA512, (const uint8_t *)"fedcba9876543210", 16), 0);
	return 0;
}

/* A query for t.test SOA, id 0x1234. */
static size_t query(uint8_t *p)
{
	static const uint8_t q[] = { 0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		                     1, 't', 4, 't', 'e', 's', 't', 0, 0, 6, 0, 1 };
	memcpy(p, q, sizeof(q));
	return sizeof(q);
}

static size_t signed_query(uint8_t *p, const struct tsig_key *k, uint64_t when, struct tsig_ctx *client)
{
	size_t len = query(p);
	memset(client, 0, sizeof(*client));
	client->key = k;
	assert_int_equal(tsig_sign(client, p, &len, 512, when, 1), 0);
	return len;
}

static void test_key_names(void **state)
{
	struct tsig_key k;
	enum tsig_alg alg;
	(void)state;
	assert_string_equal(key_a.text, "xfr.routerd.");
	assert_int_equal(key_a.name_len, 13);
	assert_int_equal(tsig_key_init(&k, "bad..name", TSIG_HMAC_SHA256, (const uint8_t *)"x", 1), -1);
	assert_int_equal(tsig_key_init(&k, "", TSIG_HMAC_SHA256, (const uint8_t *)"x", 1), -1);
	assert_int_equal(tsig_alg_parse("HMAC-SHA512.", &alg), 0);
	assert_int_equal(alg, TSIG_HMAC_SHA512);
	assert_int_equal(tsig_alg_parse("hmac-md5", &alg), -1);
}

static void test_base64(void **state)
{
	uint8_t out[64];
	(void)state;
	assert_int_equal(tsig_base64_decode("aGVsbG8=", out, sizeof(out)), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(tsig_base64_decode(" aGVs\nbG8h ", out, sizeof(out)), 6);
	assert_int_equal(tsig_base64_decode("aGVsbG8", out, sizeof(out)), -1);
	assert_int_equal(tsig_base64_decode("a=Vs", out, sizeof(out)), -1);
	assert_int_equal(tsig_base64_decode("", out, sizeof(out)), -1);
}

static void test_good_request_and_response(void **state)
{
	uint8_t p[1024];
	struct tsig_ctx client, server;
	size_t len = signed_query(p, &key_a, NOW, &client);
	long off = tsig_find(p, len);
	const struct tsig_key ring[2] = { key_b, key_a };
	(void)state;

	assert_true(off > 0);
	assert_int_equal(wire_get16(p + 10), 1);
	assert_int_equal(tsig_verify_request(ring, 2, p, len, (size_t)off, NOW + 10, &server), TSIG_NOERROR);
	/* The server answers (the same bytes, QR set) and signs; the client verifies. */
	len = (size_t)off;
	wire_put16(p + 10, 0);
	p[2] |= 0x80;
	assert_int_equal(tsig_sign(&server, p, &len, sizeof(p), NOW + 10, 1), 0);
	assert_int_equal(tsig_verify_response(&client, p, len, NOW + 11), TSIG_NOERROR);
	/* A flipped bit anywhere in the response breaks it. */
	p[15] ^= 1;
	assert_int_equal(tsig_verify_response(&client, p, len, NOW + 11), TSIG_BADSIG);
}

static void test_refusals(void **state)
{
	uint8_t p[1024], out[1024];
	struct tsig_ctx client, server;
	size_t len = signed_query(p, &key_a, NOW, &client), olen;
	long off = tsig_find(p, len);
	(void)state;

	/* Unknown key: BADKEY, answered with an unsigned TSIG carrying the error. */
	assert_int_equal(tsig_verify_request(&key_b, 1, p, len, (size_t)off, NOW, &server), TSIG_BADKEY);
	olen = query(out);
	wire_put16(out + 10, 0);
	assert_int_equal(tsig_error_rr(&server, p, len, (size_t)off, out, &olen, sizeof(out), NOW), 0);
	assert_int_equal(wire_get16(out + 10), 1);
	assert_int_equal(wire_get16(out + olen - 4), TSIG_BADKEY);
	/* Outside the fudge (300 s): BADTIME, signed, with our time. */
	assert_int_equal(tsig_verify_request(&key_a, 1, p, len, (size_t)off, NOW + 301, &server), TSIG_BADTIME);
	olen = query(out);
	wire_put16(out + 10, 0);
	assert_int_equal(tsig_error_rr(&server, p, len, (size_t)off, out, &olen, sizeof(out), NOW + 301), 0);
	assert_int_equal(wire_get16(out + olen - 8), 6); /* other data: our time, 48 bits */
	/* The question changed after signing: BADSIG. */
	p[13] = 'u';
	assert_int_equal(tsig_verify_request(&key_a, 1, p, len, (size_t)off, NOW, &server), TSIG_BADSIG);
	/* Cut short: FORMERR. */
	assert_int_equal(tsig_verify_request(&key_a, 1, p, len - 1, (size_t)off, NOW, &server), TSIG_FORMERR);
}

static void test_not_last(void **state)
{
	uint8_t p[1024];
	struct tsig_ctx client;
	size_t len = signed_query(p, &key_a, NOW, &client);
	(void)state;
	/* An OPT after the TSIG: the TSIG is not last (RFC 8945 5.1). */
	memcpy(p + len, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11);
	len += 11;
	wire_put16(p + 10, 2);
	assert_int_equal(tsig_find(p, len), -1);
}

static void test_stream(void **state)
{
	uint8_t p[1024];
	struct tsig_ctx server = { .key = &key_a };
	size_t len;
	uint8_t first_mac[TSIG_MAC_MAX];
	(void)state;
	/* Later messages chain from the previous MAC: each differs. */
	len = query(p);
	assert_int_equal(tsig_sign(&server, p, &len, sizeof(p), NOW, 1), 0);
	memcpy(first_mac, server.mac, server.mac_len);
	len = query(p);
	assert_int_equal(tsig_sign(&server, p, &len, sizeof(p), NOW, 0), 0);
	assert_memory_not_equal(first_mac, server.mac, server.mac_len);
	/* No room: nothing written. */
	len = query(p);
	assert_int_equal(tsig_sign(&server, p, &len, len + 10, NOW, 0), -1);
	assert_int_equal(len, 24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_good_request_and_response),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_not_last),
		cmocka_unit_test(test_stream),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
