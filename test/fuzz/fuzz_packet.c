/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_packet.c -- libFuzzer target for the packet parser and answer path.
 *
 * The view is built once from fuzz.yaml (two zones, two switches: every
 * kind of precompiled answer is in reach). Each input is answered as a UDP
 * query and as a TCP query, with the switches' selectors taken from the
 * input so both sides and the armed TTL are exercised. Beyond the
 * sanitizers, a response must keep the contract of answer.h: the query's
 * ID, QR set, within the size limit, and parseable by ldns.
 */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>

#include "dns/answer.h"
#include "config.h"
#include "lib/rcu.h"
#include "lib/ring.h"
#include "zone/view.h"

static struct view *view;
static struct answer_ctx ctx;
static int slot;
static struct sockaddr_in peer4 = { .sin_family = AF_INET };
static struct sockaddr_in6 peer6 = { .sin6_family = AF_INET6 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config *cfg;
	char err[1024];
	const char *conf = getenv("FUZZ_CONFIG") ? getenv("FUZZ_CONFIG") : "test/fuzz/fuzz.yaml";

	(void)argc, (void)argv;
	if (config_load(conf, &cfg, err, sizeof(err)) < 0 || view_build(cfg, &view, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		exit(1);
	}
	config_free(cfg);
	view_publish(view);
	slot = rcu_reader_register();
	ctx.ring = track_ring_create(64);
	inet_pton(AF_INET, "192.0.2.7", &peer4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::7", &peer6.sin6_addr);
	return 0;
}

/* The answer.h contract for one response; abort() shows up as a crash. */
static void check(const uint8_t *q, size_t qlen, const uint8_t *out, size_t n, size_t max)
{
	ldns_pkt *pkt = NULL;

	if (n == 0)
		return;
	if (qlen < 12 || n < 12 || n > max || out[0] != q[0] || out[1] != q[1] || !(out[2] & 0x80))
		abort();
	if (ldns_wire2pkt(&pkt, out, n) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	struct track_obs drain[64];
	size_t n;

	for (size_t i = 0; i < view_switch_count(view); i++)
		view_switch_set(view, i, size > i ? data[size - 1 - i] & 3u : 0);
	rcu_read_lock(slot);
	n = answer_query(view_current(), data, size, out, sizeof(out), ANSWER_UDP, (struct sockaddr *)&peer4, &ctx);
	check(data, size, out, n, 1232); /* udp_payload_max: the default */
	n = answer_query(view_current(), data, size, out, sizeof(out), ANSWER_TCP, (struct sockaddr *)&peer6, &ctx);
	check(data, size, out, n, sizeof(out));
	rcu_read_unlock(slot);
	track_ring_pop(ctx.ring, drain, 64);
	return 0;
}
