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
#include <string.h>

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

static void check_the_check(void);

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
	check_the_check();
	view_publish(view);
	slot = rcu_reader_register();
	ctx.ring = track_ring_create(64);
	inet_pton(AF_INET, "192.0.2.7", &peer4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::7", &peer6.sin6_addr);
	return 0;
}

/* udp_payload_max: the config default fuzz.yaml keeps. */
#define UDP_PAYLOAD_MAX 1232
/* RFC 1035 4.2.1: without EDNS a UDP message is at most 512 bytes. */
#define UDP_CLASSIC_MAX 512

/* Past the name at P (labels or a pointer), or 0 when it runs off END. */
static size_t skip_name(const uint8_t *q, size_t len, size_t p)
{
	while (p < len) {
		if (q[p] == 0)
			return p + 1;
		if ((q[p] & 0xc0) == 0xc0)
			return p + 2 <= len ? p + 2 : 0;
		p += 1 + (size_t)q[p];
	}
	return 0;
}

/*
 * The largest UDP response the query allows, read here independently of
 * routerd's parser: 512 without an OPT record in it, else its buffer size
 * (at least 512, RFC 6891 6.2.5), capped by our udp_payload_max. A query
 * this walk cannot read counts as one without EDNS: routerd answers those
 * with FORMERR, header and question only.
 */
static size_t udp_limit(const uint8_t *q, size_t len)
{
	size_t p = 12, rrs;

	if (len < 12)
		return UDP_CLASSIC_MAX;
	rrs = (size_t)((q[6] << 8 | q[7]) + (q[8] << 8 | q[9]) + (q[10] << 8 | q[11]));
	for (unsigned i = 0; i < (unsigned)(q[4] << 8 | q[5]); i++)
		if ((p = skip_name(q, len, p)) == 0 || (p += 4) > len)
			return UDP_CLASSIC_MAX;
	for (size_t i = 0; i < rrs; i++) {
		size_t owner = p, rdlen;
		if ((p = skip_name(q, len, p)) == 0 || p + 10 > len)
			return UDP_CLASSIC_MAX;
		rdlen = (size_t)(q[p + 8] << 8 | q[p + 9]);
		if (q[owner] == 0 && (q[p] << 8 | q[p + 1]) == 41) { /* OPT at the root */
			size_t size = (size_t)(q[p + 2] << 8 | q[p + 3]);
			size = size < UDP_CLASSIC_MAX ? UDP_CLASSIC_MAX : size;
			return size < UDP_PAYLOAD_MAX ? size : UDP_PAYLOAD_MAX;
		}
		p += 10 + rdlen;
	}
	return UDP_CLASSIC_MAX;
}

/* Whether a response keeps the answer.h contract: the query's ID, QR set,
 * within MAX, parseable by ldns. An empty response (no reply) is fine. */
static int response_ok(const uint8_t *q, size_t qlen, const uint8_t *out, size_t n, size_t max)
{
	ldns_pkt *pkt = NULL;

	if (n == 0)
		return 1;
	if (qlen < 12 || n < 12 || n > max || out[0] != q[0] || out[1] != q[1] || !(out[2] & 0x80))
		return 0;
	if (ldns_wire2pkt(&pkt, out, n) != LDNS_STATUS_OK)
		return 0;
	ldns_pkt_free(pkt);
	return 1;
}

/* abort() shows up as a crash, with the input kept. */
static void check(const uint8_t *q, size_t qlen, const uint8_t *out, size_t n, size_t max)
{
	if (!response_ok(q, qlen, out, n, max))
		abort();
}

/*
 * The check itself must catch what it is there for: a response of 1,232
 * bytes to a query without EDNS is too large, the same response to a query
 * offering 1,232 bytes is fine. Run once at start; exit 1 if it does not.
 */
static void check_the_check(void)
{
	static const uint8_t plain[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		                         3, 'b', 'i', 'g', 4, 'f', 'u', 'z', 'z', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	uint8_t edns[sizeof(plain) + 11], resp[1232];
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_buffer *buf = ldns_buffer_new(sizeof(resp));
	size_t n;

	memcpy(edns, plain, sizeof(plain));
	edns[11] = 1; /* ARCOUNT 1: the OPT below, 4096 bytes offered */
	memcpy(edns + sizeof(plain), (const uint8_t[]){ 0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0 }, 11);
	/* A response of exactly 1,232 bytes: ID 0x1234, QR, padded with a TXT. */
	ldns_pkt_set_id(pkt, 0x1234);
	ldns_pkt_set_qr(pkt, 1);
	/* Header 12 + owner "x." 3 + type, class, TTL, length 10 + five
	 * character-strings (RFC 1035 3.3: 255 bytes at most each) of 1 + 240,
	 * the last 1 + 243: 1,232 bytes. */
	ldns_rr *rr = NULL;
	char txt[1400] = "x. 0 IN TXT";
	for (int i = 0; i < 5; i++) {
		size_t k = strlen(txt), len = i < 4 ? 240 : 242;
		txt[k++] = ' ';
		txt[k++] = '"';
		memset(txt + k, 'a', len);
		strcpy(txt + k + len, "\"");
	}
	if (ldns_rr_new_frm_str(&rr, txt, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    !ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr) || ldns_pkt2buffer_wire(buf, pkt) != LDNS_STATUS_OK) {
		fprintf(stderr, "fuzz setup: cannot build the check's test response\n");
		exit(1);
	}
	n = ldns_buffer_position(buf);
	memcpy(resp, ldns_buffer_begin(buf), n < sizeof(resp) ? n : sizeof(resp));
	if (n != sizeof(resp) || udp_limit(plain, sizeof(plain)) != 512 ||
	    udp_limit(edns, sizeof(edns)) != 1232 || response_ok(plain, sizeof(plain), resp, n, udp_limit(plain, sizeof(plain))) ||
	    !response_ok(edns, sizeof(edns), resp, n, udp_limit(edns, sizeof(edns)))) {
		fprintf(stderr, "fuzz setup: the contract check does not hold a %zu-byte answer to a query without "
		                "EDNS to 512 bytes\n",
		        n);
		exit(1);
	}
	ldns_buffer_free(buf);
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
	check(data, size, out, n, udp_limit(data, size));
	n = answer_query(view_current(), data, size, out, sizeof(out), ANSWER_TCP, (struct sockaddr *)&peer6, &ctx);
	check(data, size, out, n, sizeof(out));
	rcu_read_unlock(slot);
	track_ring_pop(ctx.ring, drain, 64);
	return 0;
}
