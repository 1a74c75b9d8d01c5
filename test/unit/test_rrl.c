/* SPDX-License-Identifier: BSD-3-Clause */
/* test_rrl.c -- response rate limiting: the rate, slips, keys per prefix and kind, exempt prefixes, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dns/rrl.h"

/* A response to "www.ex.com" A: RCODE, AA, an answer count, and an OPT
 * record at the end when OPT. */
static size_t response(uint8_t *p, const char *label, int rcode, int an, int opt)
{
	size_t n = 0, l = strlen(label);
	static const uint8_t tail[] = { 2, 'e', 'x', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };

	memset(p, 0, 12);
	p[0] = 0x12, p[1] = 0x34, p[2] = 0x84, p[3] = (uint8_t)rcode, p[5] = 1, p[7] = (uint8_t)an;
	n = 12;
	p[n++] = (uint8_t)l;
	memcpy(p + n, label, l);
	n += l;
	memcpy(p + n, tail, sizeof(tail));
	n += sizeof(tail);
	for (int i = 0; i < an; i++) { /* www A 192.0.2.1, compressed owner */
		static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };
		memcpy(p + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	if (opt) {
		static const uint8_t o[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
		memcpy(p + n, o, sizeof(o));
		n += sizeof(o);
		p[11] = 1;
	}
	return n;
}

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(4242) };
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static struct cfg_rrl cfg(uint32_t rate, uint32_t slip)
{
	struct cfg_rrl c = { .responses_per_second = rate, .slip = slip, .ipv4_prefix = 24, .ipv6_prefix = 56 };
	return c;
}

/* Send N responses at NOW; count passed, slipped (returned shorter) and dropped. */
static void run(const struct rrl_conf *c, struct rrl_table *t, const char *src, const char *label, int rcode,
                int an, int n, uint64_t now, int *pass, int *slipped, int *dropped)
{
	struct sockaddr_in s = v4(src);
	uint8_t buf[512];

	*pass = *slipped = *dropped = 0;
	for (int i = 0; i < n; i++) {
		size_t len = response(buf, label, rcode, an, 0), r;
		r = rrl_apply(c, t, (struct sockaddr *)&s, buf, len, now);
		if (r == len)
			(*pass)++;
		else if (r == 0)
			(*dropped)++;
		else
			(*slipped)++;
	}
}

static void test_off(void **state)
{
	struct cfg_rrl c = cfg(0, 2);
	(void)state;
	assert_null(rrl_conf_new(&c, 2));
}

static void test_rate_and_slip(void **state)
{
	struct cfg_rrl cc = cfg(10, 2);
	struct rrl_conf *c = rrl_conf_new(&cc, 1);
	struct rrl_table *t = rrl_table_new();
	int pass, slip, drop;
	(void)state;

	run(c, t, "192.0.2.1", "www", 0, 1, 30, 1000, &pass, &slip, &drop);
	assert_int_equal(pass, 10); /* one second's worth */
	assert_int_equal(slip, 10); /* every second one of the 20 limited */
	assert_int_equal(drop, 10);
	/* Half a second later: 5 more. */
	run(c, t, "192.0.2.1", "www", 0, 1, 10, 1500, &pass, &slip, &drop);
	assert_int_equal(pass, 5);
	/* Another address in the same /24 shares the limit; another /24 does not. */
	run(c, t, "192.0.2.200", "www", 0, 1, 1, 1500, &pass, &slip, &drop);
	assert_int_equal(pass, 0);
	run(c, t, "192.0.3.1", "www", 0, 1, 10, 1500, &pass, &slip, &drop);
	assert_int_equal(pass, 10);
	uint64_t s, d;
	rrl_table_counts(t, &s, &d);
	assert_true(s > 0 && d > 0);
	rrl_table_free(t);
	rrl_publish(c);
	rrl_publish(NULL);
}

static void test_kinds(void **state)
{
	struct cfg_rrl cc = cfg(5, 0);
	struct rrl_conf *c = rrl_conf_new(&cc, 1);
	struct rrl_table *t = rrl_table_new();
	int pass, slip, drop;
	char label[16];
	(void)state;

	run(c, t, "198.51.100.1", "www", 0, 1, 10, 0, &pass, &slip, &drop);
	assert_int_equal(pass, 5);
	assert_int_equal(slip, 0); /* slip 0: all dropped */
	/* Another name is another key; NXDOMAIN is its own kind. */
	run(c, t, "198.51.100.1", "mail", 0, 1, 5, 0, &pass, &slip, &drop);
	assert_int_equal(pass, 5);
	/* Random NXDOMAIN names share one key. */
	int total = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(label, sizeof(label), "r%d", i);
		run(c, t, "198.51.100.1", label, 3, 0, 1, 0, &pass, &slip, &drop);
		total += pass;
	}
	assert_int_equal(total, 5);
	rrl_table_free(t);
	rrl_publish(c);
	rrl_publish(NULL);
}

static void test_slip_form_and_exempt(void **state)
{
	struct cfg_rrl_prefix ex = { .family = AF_INET, .len = 24 };
	struct cfg_rrl cc = cfg(1, 1);
	struct sockaddr_in s = v4("203.0.113.9");
	uint8_t buf[512];
	size_t len, r;
	(void)state;

	inet_pton(AF_INET, "192.0.2.0", ex.addr);
	cc.exempt = &ex;
	cc.n_exempt = 1;
	struct rrl_conf *c = rrl_conf_new(&cc, 1);
	struct rrl_table *t = rrl_table_new();
	len = response(buf, "www", 0, 2, 1);
	assert_int_equal(rrl_apply(c, t, (struct sockaddr *)&s, buf, len, 0), len);
	len = response(buf, "www", 0, 2, 1);
	r = rrl_apply(c, t, (struct sockaddr *)&s, buf, len, 0);
	/* Header, question (www.ex.com A IN = 16 bytes), the OPT record. */
	assert_int_equal(r, 12 + 16 + 11);
	assert_true(buf[2] & 0x02);                    /* TC */
	assert_int_equal(buf[7], 0);                   /* no answers */
	assert_int_equal(buf[11], 1);                  /* the OPT */
	assert_int_equal(buf[12 + 16 + 2], 41);
	/* An exempt source is never limited. */
	int pass, slip, drop;
	run(c, t, "192.0.2.77", "www", 0, 1, 50, 0, &pass, &slip, &drop);
	assert_int_equal(pass, 50);
	/* Not a response we can class: sent as is. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(rrl_apply(c, t, (struct sockaddr *)&s, buf, 5, 0), 5);
	buf[5] = 1;
	buf[12] = 63;
	assert_int_equal(rrl_apply(c, t, (struct sockaddr *)&s, buf, 20, 0), 20);
	rrl_table_free(t);
	rrl_publish(c);
	rrl_publish(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_rate_and_slip),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_slip_form_and_exempt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
