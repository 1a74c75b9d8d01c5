/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_udp.c -- the UDP path over a real loopback socket: queries larger
 * than the per-message receive buffer (4,096 bytes) are answered like any
 * other (NSD does too), FORMERR when malformed; small ones still work.
 * Binds 127.0.0.1 on a port the kernel picks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "dns/udp.h"
#include "dns/worker.h"
#include "lib/rcu.h"
#include "zone/view.h"

static const char *zone_text = "$ORIGIN u.example.\n"
                               "$TTL 3600\n"
                               "@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
                               "@ NS ns1\n"
                               "ns1 A 192.0.2.53\n"
                               "www A 192.0.2.80\n";

static char dir[] = "/tmp/test_udp.XXXXXX";
static char zone_path[256];
static struct cfg_zone zones[1];
static struct config cfg;
static struct worker w;
static struct udp_socket *u;
static int client = -1;

static int setup(void **state)
{
	struct view *v;
	char err[512];
	FILE *f;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	(void)state;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(zone_path, sizeof(zone_path), "%s/u.zone", dir);
	f = fopen(zone_path, "w");
	if (f == NULL)
		return -1;
	fputs(zone_text, f);
	fclose(f);
	zones[0].name = "u.example.";
	zones[0].file = zone_path;
	cfg.path = "test.yaml";
	cfg.zones = zones;
	cfg.n_zones = 1;
	cfg.udp_payload_max = 1232;
	if (view_build(&cfg, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "view_build: %s\n", err);
		return -1;
	}
	view_publish(v);
	if (uv_loop_init(&w.loop) < 0)
		return -1;
	w.rcu_slot = rcu_reader_register();
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	u = udp_open(&w, (struct sockaddr *)&a, sizeof(a), err, sizeof(err));
	if (u == NULL || udp_start(u, 0) < 0) { /* its own thread answers */
		fprintf(stderr, "udp_open: %s\n", err);
		return -1;
	}
	/* The socket is udp.c's own: find its port by asking each descriptor
	 * (it is this process's only UDP socket so far). */
	for (int fd = 3; fd < 1024 && a.sin_port == 0; fd++) {
		struct sockaddr_in b;
		socklen_t blen = sizeof(b);
		int type = 0;
		socklen_t tlen = sizeof(type);
		if (getsockname(fd, (struct sockaddr *)&b, &blen) == 0 && b.sin_family == AF_INET &&
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_DGRAM)
			a = b;
	}
	if (a.sin_port == 0)
		return -1;
	client = socket(AF_INET, SOCK_DGRAM, 0);
	if (client < 0 || connect(client, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(client);
	udp_close(u);
	uv_run(&w.loop, UV_RUN_NOWAIT);
	uv_loop_close(&w.loop);
	udp_free(u);
	rcu_reader_unregister(w.rcu_slot);
	view_publish(NULL);
	unlink(zone_path);
	rmdir(dir);
	return 0;
}

/* A query for www.u.example. A of LEN bytes: EDNS with a padding option
 * (RFC 7830) filling the rest. BROKEN: the OPT's RDLENGTH runs past the end. */
static size_t big_query(uint8_t *p, size_t len, int broken)
{
	static const uint8_t head[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 3, 'w', 'w', 'w', 1, 'u',
		                        7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
	size_t pos = sizeof(head), pad = len - pos - 11 - 4;

	memcpy(p, head, pos);
	p[pos++] = 0; /* OPT owner: root */
	p[pos++] = 0, p[pos++] = 41;
	p[pos++] = 0x04, p[pos++] = 0xd0; /* payload 1232 */
	p[pos++] = 0, p[pos++] = 0, p[pos++] = 0, p[pos++] = 0;
	p[pos++] = (uint8_t)((pad + 4 + (broken ? 9 : 0)) >> 8), p[pos++] = (uint8_t)(pad + 4 + (broken ? 9 : 0));
	p[pos++] = 0, p[pos++] = 12; /* option 12: padding */
	p[pos++] = (uint8_t)(pad >> 8), p[pos++] = (uint8_t)pad;
	memset(p + pos, 0, pad);
	return pos + pad;
}

/* Send Q and wait for the reply (or 5 s): the socket's thread answers. */
static ssize_t exchange(const uint8_t *q, size_t qlen, uint8_t *r, size_t rcap)
{
	assert_int_equal(send(client, q, qlen, 0), (ssize_t)qlen);
	for (int i = 0; i < 500; i++) {
		struct pollfd pfd = { .fd = client, .events = POLLIN };
		uv_run(&w.loop, UV_RUN_NOWAIT);
		if (poll(&pfd, 1, 10) == 1)
			return recv(client, r, rcap, 0);
	}
	return -1;
}

static void check_size(size_t size, int broken, unsigned rcode, unsigned ancount)
{
	static uint8_t q[65535], r[4096];
	size_t qlen = big_query(q, size, broken);
	ssize_t n;

	assert_int_equal(qlen, size);
	n = exchange(q, qlen, r, sizeof(r));
	assert_true(n >= 12);
	assert_int_equal(r[0], 0x12);
	assert_int_equal(r[1], 0x34);
	assert_true(r[2] & 0x80);
	assert_int_equal(r[3] & 0xf, rcode);
	assert_int_equal(r[6] << 8 | r[7], ancount);
}

static void test_small_query(void **state)
{
	(void)state;
	check_size(100, 0, 0, 1);
}

static void test_large_queries(void **state)
{
	(void)state;
	check_size(4097, 0, 0, 1);
	check_size(5000, 0, 0, 1);
	check_size(65507, 0, 0, 1); /* the most an IPv4 UDP datagram carries */
	check_size(4096, 0, 0, 1);
}

static void test_large_malformed(void **state)
{
	(void)state;
	check_size(5000, 1, 1, 0); /* FORMERR */
	check_size(20000, 1, 1, 0);
	check_size(300, 0, 0, 1); /* and the next small one is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_query),
		cmocka_unit_test(test_large_queries),
		cmocka_unit_test(test_large_malformed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
