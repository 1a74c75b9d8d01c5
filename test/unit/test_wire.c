/* SPDX-License-Identifier: BSD-3-Clause */
/* test_wire.c -- query parsing: question, EDNS, Client Subnet, malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/wire.h"

/* Header (id 0xbeef, RD, qd 1, ar AR) + "Www.Ex.com" A IN. */
static size_t base_query(uint8_t *p, uint8_t ar)
{
	static const uint8_t q[] = { 0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		                     3, 'W', 'w', 'w', 2, 'E', 'x', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	memcpy(p, q, sizeof(q));
	p[11] = ar;
	return sizeof(q);
}

static size_t add_opt(uint8_t *p, size_t len, uint16_t size, uint8_t version, int do_bit, const uint8_t *opts,
                      uint16_t optlen)
{
	uint8_t *o = p + len;
	o[0] = 0;
	wire_put16(o + 1, TYPE_OPT);
	wire_put16(o + 3, size);
	o[5] = 0;
	o[6] = version;
	o[7] = do_bit ? 0x80 : 0;
	o[8] = 0;
	wire_put16(o + 9, optlen);
	if (optlen)
		memcpy(o + 11, opts, optlen);
	return len + 11 + optlen;
}

static void test_question(void **state)
{
	(void)state;
	uint8_t p[512];
	struct wire_query q;
	size_t len = base_query(p, 0);

	assert_int_equal(wire_parse_query(p, len, &q), WIRE_OK);
	assert_int_equal(q.id, 0xbeef);
	assert_int_equal(q.qtype, TYPE_A);
	assert_int_equal(q.qclass, CLASS_IN);
	assert_int_equal(q.qname_len, 12);
	assert_int_equal(q.nlabels, 3);
	assert_memory_equal(q.lname, "\3www\2ex\3com", 12);
	assert_int_equal(q.label_off[1], 4);
	assert_int_equal(q.label_off[2], 7);
	assert_int_equal(q.question_end, len);
	assert_int_equal(q.edns, 0);
}

static void test_edns_and_ecs(void **state)
{
	(void)state;
	uint8_t p[512];
	struct wire_query q;
	/* ECS: family 1, source /24, scope 0, 192.0.2; then an unknown option. */
	const uint8_t opts[] = { 0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2, 0xfd, 0xe9, 0, 2, 0xaa, 0xbb };
	size_t len = add_opt(p, base_query(p, 1), 4096, 0, 1, opts, sizeof(opts));

	assert_int_equal(wire_parse_query(p, len, &q), WIRE_OK);
	assert_int_equal(q.edns, 1);
	assert_int_equal(q.edns_bufsize, 4096);
	assert_int_equal(q.edns_do, 1);
	assert_int_equal(q.ecs_family, 1);
	assert_int_equal(q.ecs_prefix, 24);
	assert_int_equal(q.ecs_addr[0], 192);
	assert_int_equal(q.ecs_addr[2], 2);
	assert_int_equal(q.ecs_addr[3], 0);
}

static void test_bad_ecs(void **state)
{
	(void)state;
	uint8_t p[512];
	struct wire_query q;
	/* Source /24 but four address bytes: RFC 7871 6 requires exactly three. */
	const uint8_t opts[] = { 0, 8, 0, 8, 0, 1, 24, 0, 192, 0, 2, 1 };
	size_t len = add_opt(p, base_query(p, 1), 1232, 0, 0, opts, sizeof(opts));
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
}

static void test_two_opts(void **state)
{
	(void)state;
	uint8_t p[512];
	struct wire_query q;
	size_t len = base_query(p, 2);
	len = add_opt(p, len, 1232, 0, 0, NULL, 0);
	len = add_opt(p, len, 1232, 0, 0, NULL, 0);
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
}

static void test_option_overrun(void **state)
{
	(void)state;
	uint8_t p[512];
	struct wire_query q;
	const uint8_t opts[] = { 0, 10, 0, 40, 1, 2 }; /* says 40 bytes, has 2 */
	size_t len = add_opt(p, base_query(p, 1), 1232, 0, 0, opts, sizeof(opts));
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
	/* An RDLENGTH running past the packet end. */
	len = add_opt(p, base_query(p, 1), 1232, 0, 0, NULL, 0);
	p[len - 1] = 9;
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
}

static void test_drop_and_errors(void **state)
{
	(void)state;
	uint8_t p[512];
	struct wire_query q;
	size_t len = base_query(p, 0);

	assert_int_equal(wire_parse_query(p, 11, &q), WIRE_DROP);
	p[2] |= 0x80;
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_DROP);
	base_query(p, 0);
	p[2] = 4 << 3; /* NOTIFY is not ours to implement */
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_NOTIMP);
	base_query(p, 0);
	p[7] = 1; /* an answer record in a query */
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
	base_query(p, 0);
	p[5] = 0;
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
	base_query(p, 0);
	assert_int_equal(wire_parse_query(p, len - 1, &q), WIRE_FORMERR);
	base_query(p, 0);
	p[16] = 63; /* a label running past the end */
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
}

/* The opcode is judged before the question (as NSD and Knot do): an
 * unknown opcode with a malformed question is NOTIMP, with nothing echoed. */
static void test_opcode_before_question(void **state)
{
	(void)state;
	uint8_t p[512];
	struct wire_query q;
	size_t len = base_query(p, 0);

	p[2] = 15 << 3;
	p[16] = 63; /* a label running past the end */
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_NOTIMP);
	assert_int_equal(q.qname_len, 0);
	base_query(p, 0);
	p[2] = 2 << 3;
	p[12] = 0xc0; /* a pointer in the question */
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_NOTIMP);
	assert_int_equal(q.qname_len, 0);
	base_query(p, 0);
	p[2] = 2 << 3;
	assert_int_equal(wire_parse_query(p, len - 1, &q), WIRE_NOTIMP); /* question cut short */
	base_query(p, 0);
	p[2] = 5 << 3;
	p[11] = 1; /* an additional record that is not there */
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_NOTIMP);
	assert_int_equal(q.qname_len, 0);
	/* QUERY with the same faults stays FORMERR. */
	base_query(p, 0);
	p[16] = 63;
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
}

static void test_name_too_long(void **state)
{
	(void)state;
	uint8_t p[600];
	struct wire_query q;
	size_t len = 12;

	base_query(p, 0);
	/* 5 labels of 63 bytes: 320 bytes, over the 255 limit (RFC 1035 3.1). */
	for (int i = 0; i < 5; i++) {
		p[len] = 63;
		memset(p + len + 1, 'a', 63);
		len += 64;
	}
	p[len++] = 0;
	memcpy(p + len, "\0\1\0\1", 4);
	len += 4;
	assert_int_equal(wire_parse_query(p, len, &q), WIRE_FORMERR);
}

static void test_lower(void **state)
{
	(void)state;
	uint8_t name[] = "\3WwW\4ZzAa";
	wire_name_lower(name, sizeof(name) - 1);
	assert_memory_equal(name, "\3www\4zzaa", 9);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_question),       cmocka_unit_test(test_edns_and_ecs),
		cmocka_unit_test(test_bad_ecs),        cmocka_unit_test(test_two_opts),
		cmocka_unit_test(test_option_overrun), cmocka_unit_test(test_drop_and_errors),
		cmocka_unit_test(test_opcode_before_question),
		cmocka_unit_test(test_name_too_long),  cmocka_unit_test(test_lower),
	};
	/* clang-format on */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
