/* SPDX-License-Identifier: BSD-3-Clause */
/* tsig.c -- see tsig.h. */
#include "lib/tsig.h"

#include <ctype.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "lib/wire.h"

#define CLASS_ANY 255

static EVP_MAC *hmac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* Algorithm names in wire format (RFC 8945 6). */
static const uint8_t alg_sha256[] = "\x0bhmac-sha256";
static const uint8_t alg_sha512[] = "\x0bhmac-sha512";

static const uint8_t *alg_wire(enum tsig_alg alg, size_t *len)
{
	*len = 13; /* 1 + 11 + the root label */
	return alg == TSIG_HMAC_SHA512 ? alg_sha512 : alg_sha256;
}

static size_t alg_mac_len(enum tsig_alg alg)
{
	return alg == TSIG_HMAC_SHA512 ? 64 : 32;
}

int tsig_alg_parse(const char *text, enum tsig_alg *alg)
{
	size_t n = strlen(text);
	if (n > 0 && text[n - 1] == '.')
		n--;
	if (n == 11 && strncasecmp(text, "hmac-sha256", n) == 0)
		*alg = TSIG_HMAC_SHA256;
	else if (n == 11 && strncasecmp(text, "hmac-sha512", n) == 0)
		*alg = TSIG_HMAC_SHA512;
	else
		return -1;
	return 0;
}

const char *tsig_alg_name(enum tsig_alg alg)
{
	return alg == TSIG_HMAC_SHA512 ? "hmac-sha512" : "hmac-sha256";
}

int tsig_key_init(struct tsig_key *k, const char *name, enum tsig_alg alg, const uint8_t *secret, size_t len)
{
	size_t n = strlen(name), w = 0, lab = 0;

	memset(k, 0, sizeof(*k));
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 250 || len == 0 || len > sizeof(k->secret))
		return -1;
	/* Labels of letters, digits, '-' and '_' only: a key name is an identifier. */
	k->name[w++] = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (k->name[lab] == 0)
				return -1;
			lab = w++;
			k->name[lab] = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return -1;
		if (k->name[lab] == 63)
			return -1;
		k->name[lab]++;
		k->name[w++] = (uint8_t)tolower(c);
	}
	if (k->name[lab] == 0)
		return -1;
	k->name[w++] = 0;
	k->name_len = (uint8_t)w;
	k->alg = alg;
	memcpy(k->secret, secret, len);
	k->secret_len = len;
	snprintf(k->text, sizeof(k->text), "%.*s.", (int)n, name);
	for (char *p = k->text; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

long tsig_base64_decode(const char *text, uint8_t *out, size_t cap)
{
	char clean[4 * TSIG_SECRET_MAX];
	unsigned char tmp[3 * TSIG_SECRET_MAX];
	size_t n = 0, pad = 0;
	int got;

	for (const char *p = text; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (n + 1 >= sizeof(clean))
			return -1;
		clean[n++] = *p;
	}
	if (n == 0 || n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)clean[i]) && clean[i] != '+' && clean[i] != '/' &&
		    !(clean[i] == '=' && i >= n - 2))
			return -1;
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	got = EVP_DecodeBlock(tmp, (const unsigned char *)clean, (int)n);
	if (got < 0 || (size_t)got < pad || (size_t)got - pad > cap)
		return -1;
	memcpy(out, tmp, (size_t)got - pad);
	return (long)((size_t)got - pad);
}

size_t tsig_rr_size(const struct tsig_key *k)
{
	size_t alen;
	alg_wire(k->alg, &alen);
	/* owner, type class ttl rdlen, alg, time 6, fudge 2, mac size 2, MAC,
	 * orig id 2, error 2, other len 2, other data 6 (BADTIME) */
	return k->name_len + 10 + alen + 6 + 2 + 2 + TSIG_MAC_MAX + 2 + 2 + 2 + 6;
}

/* Read a (possibly compressed) name at *POS into OUT in lower case; the
 * wire length, or -1. *POS moves past the name where it is stored. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out)
{
	size_t p = *pos, w = 0;
	int jumped = 0, hops = 0;

	for (;;) {
		if (p >= len)
			return -1;
		uint8_t c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > 64)
				return -1;
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			continue;
		}
		if (c & 0xc0)
			return -1;
		if (w + 1 + c > 255 || p + 1 + c > len)
			return -1;
		out[w++] = c;
		for (size_t i = 0; i < c; i++)
			out[w++] = (uint8_t)tolower(msg[p + 1 + i]);
		p += 1u + c;
		if (c == 0)
			break;
	}
	if (!jumped)
		*pos = p;
	return (int)w;
}

/* Skip one name; the position after it or 0. */
static size_t skip_name(const uint8_t *msg, size_t len, size_t p)
{
	while (p < len) {
		uint8_t c = msg[p];
		if (c == 0)
			return p + 1;
		if ((c & 0xc0) == 0xc0)
			return p + 2 <= len ? p + 2 : 0;
		if (c & 0xc0)
			return 0;
		p += 1u + c;
	}
	return 0;
}

long tsig_find(const uint8_t *msg, size_t len)
{
	size_t p = WIRE_HEADER_LEN;
	unsigned qd, total;

	if (len < WIRE_HEADER_LEN)
		return -1;
	qd = wire_get16(msg + 4);
	total = (unsigned)wire_get16(msg + 6) + wire_get16(msg + 8) + wire_get16(msg + 10);
	for (unsigned i = 0; i < qd; i++) {
		p = skip_name(msg, len, p);
		if (p == 0 || p + 4 > len)
			return -1;
		p += 4;
	}
	for (unsigned i = 0; i < total; i++) {
		size_t rr = p;
		p = skip_name(msg, len, p);
		if (p == 0 || p + 10 > len)
			return -1;
		uint16_t type = wire_get16(msg + p);
		p += 10 + (size_t)wire_get16(msg + p + 8);
		if (p > len)
			return -1;
		if (type == TYPE_TSIG) {
			/* RFC 8945 5.1: only as the last record of the additional section. */
			if (i != total - 1 || wire_get16(msg + 10) == 0)
				return -1;
			return (long)rr;
		}
	}
	return 0;
}

struct tsig_rr {
	uint8_t name[255];
	int name_len;
	uint8_t alg[255];
	int alg_len;
	uint64_t time;
	uint16_t fudge;
	const uint8_t *mac;
	uint16_t mac_len;
	uint16_t orig_id, error;
	const uint8_t *other;
	uint16_t other_len;
};

static int parse_rr(const uint8_t *msg, size_t len, size_t off, struct tsig_rr *t)
{
	size_t p = off, end;

	t->name_len = read_name(msg, len, &p, t->name);
	if (t->name_len < 0 || p + 10 > len || wire_get16(msg + p) != TYPE_TSIG || wire_get16(msg + p + 2) != CLASS_ANY)
		return -1;
	end = p + 10 + wire_get16(msg + p + 8);
	if (end != len)
		return -1;
	p += 10;
	t->alg_len = read_name(msg, end, &p, t->alg);
	if (t->alg_len < 0 || p + 10 > end)
		return -1;
	t->time = (uint64_t)wire_get16(msg + p) << 32 | (uint64_t)wire_get16(msg + p + 2) << 16 | wire_get16(msg + p + 4);
	t->fudge = wire_get16(msg + p + 6);
	t->mac_len = wire_get16(msg + p + 8);
	p += 10;
	if (p + t->mac_len + 6 > end)
		return -1;
	t->mac = msg + p;
	p += t->mac_len;
	t->orig_id = wire_get16(msg + p);
	t->error = wire_get16(msg + p + 2);
	t->other_len = wire_get16(msg + p + 4);
	p += 6;
	if (p + t->other_len != end)
		return -1;
	t->other = msg + p;
	return 0;
}

/* One HMAC computation fed piece by piece. */
struct mac {
	EVP_MAC_CTX *ctx;
};

static int mac_start(struct mac *m, const struct tsig_key *k)
{
	OSSL_PARAM params[2];
	char digest[16];

	pthread_once(&hmac_once, hmac_fetch);
	m->ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	if (m->ctx == NULL)
		return -1;
	strcpy(digest, k->alg == TSIG_HMAC_SHA512 ? "SHA512" : "SHA256");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(m->ctx, k->secret, k->secret_len, params)) {
		EVP_MAC_CTX_free(m->ctx);
		return -1;
	}
	return 0;
}

static void mac_add(struct mac *m, const void *p, size_t n)
{
	EVP_MAC_update(m->ctx, p, n);
}

static size_t mac_end(struct mac *m, uint8_t *out)
{
	size_t n = 0;
	if (!EVP_MAC_final(m->ctx, out, &n, TSIG_MAC_MAX))
		n = 0;
	EVP_MAC_CTX_free(m->ctx);
	return n;
}

static void put48(uint8_t *p, uint64_t t)
{
	wire_put16(p, (uint16_t)(t >> 32));
	wire_put32(p + 2, (uint32_t)t);
}

/* The TSIG variables after the message (RFC 8945 4.3.3), or the timers
 * only for a later message of a stream (4.3.1). */
static void mac_vars(struct mac *m, const struct tsig_key *k, uint64_t time, uint16_t fudge, uint16_t error,
                     const uint8_t *other, uint16_t other_len, int full)
{
	uint8_t b[16];
	size_t alen;
	const uint8_t *alg = alg_wire(k->alg, &alen);

	if (full) {
		mac_add(m, k->name, k->name_len);
		wire_put16(b, CLASS_ANY);
		wire_put32(b + 2, 0);
		mac_add(m, b, 6);
		mac_add(m, alg, alen);
	}
	put48(b, time);
	wire_put16(b + 6, fudge);
	mac_add(m, b, 8);
	if (full) {
		wire_put16(b, error);
		wire_put16(b + 2, other_len);
		mac_add(m, b, 4);
		if (other_len > 0)
			mac_add(m, other, other_len);
	}
}

static const struct tsig_key *find_key(const struct tsig_key *keys, size_t n, const struct tsig_rr *t)
{
	size_t alen;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *alg = alg_wire(keys[i].alg, &alen);
		if ((int)keys[i].name_len == t->name_len && memcmp(keys[i].name, t->name, keys[i].name_len) == 0 &&
		    (int)alen == t->alg_len && memcmp(alg, t->alg, alen) == 0)
			return &keys[i];
	}
	return NULL;
}

/* Feed the message before its TSIG with ARCOUNT one less and the original ID. */
static void mac_message(struct mac *m, const uint8_t *msg, size_t off, uint16_t orig_id)
{
	uint8_t h[WIRE_HEADER_LEN];
	memcpy(h, msg, WIRE_HEADER_LEN);
	wire_put16(h, orig_id);
	wire_put16(h + 10, (uint16_t)(wire_get16(h + 10) - 1));
	mac_add(m, h, WIRE_HEADER_LEN);
	mac_add(m, msg + WIRE_HEADER_LEN, off - WIRE_HEADER_LEN);
}

/* RFC 8945 5.2.2.1: a truncated MAC is at least 10 bytes and half the hash. */
static int mac_len_ok(size_t got, size_t full)
{
	return got == full || (got < full && got >= 10 && got >= full / 2);
}

int tsig_verify_request(const struct tsig_key *keys, size_t n_keys, const uint8_t *msg, size_t len, size_t off,
                        uint64_t now, struct tsig_ctx *ctx)
{
	struct tsig_rr t;
	struct mac m;
	uint8_t mac[TSIG_MAC_MAX];
	size_t full;

	memset(ctx, 0, sizeof(*ctx));
	if (parse_rr(msg, len, off, &t) < 0)
		return TSIG_FORMERR;
	ctx->orig_id = t.orig_id;
	ctx->req_time = t.time;
	ctx->key = find_key(keys, n_keys, &t);
	if (ctx->key == NULL)
		return ctx->error = TSIG_BADKEY;
	full = alg_mac_len(ctx->key->alg);
	if (!mac_len_ok(t.mac_len, full))
		return ctx->error = TSIG_BADSIG;
	if (mac_start(&m, ctx->key) < 0)
		return ctx->error = TSIG_BADSIG;
	mac_message(&m, msg, off, t.orig_id);
	mac_vars(&m, ctx->key, t.time, t.fudge, t.error, t.other, t.other_len, 1);
	if (mac_end(&m, mac) != full || CRYPTO_memcmp(mac, t.mac, t.mac_len) != 0)
		return ctx->error = TSIG_BADSIG;
	/* The MAC is good: the response is signed and chains from it. */
	memcpy(ctx->mac, t.mac, t.mac_len);
	ctx->mac_len = t.mac_len;
	/* RFC 8945 5.2.3: the time is checked after the MAC. */
	if ((now > t.time ? now - t.time : t.time - now) > t.fudge)
		return ctx->error = TSIG_BADTIME;
	return TSIG_NOERROR;
}

/* Write a TSIG RR at P; returns its length. */
static size_t put_rr(uint8_t *p, const uint8_t *name, size_t name_len, const uint8_t *alg, size_t alen, uint64_t time,
                     uint16_t fudge, const uint8_t *mac, size_t mac_len, uint16_t orig_id, uint16_t error,
                     const uint8_t *other, uint16_t other_len)
{
	size_t n = 0, rdlen = alen + 10 + mac_len + 6 + other_len;

	memcpy(p, name, name_len);
	n += name_len;
	wire_put16(p + n, TYPE_TSIG);
	wire_put16(p + n + 2, CLASS_ANY);
	wire_put32(p + n + 4, 0);
	wire_put16(p + n + 8, (uint16_t)rdlen);
	n += 10;
	memcpy(p + n, alg, alen);
	n += alen;
	put48(p + n, time);
	wire_put16(p + n + 6, fudge);
	wire_put16(p + n + 8, (uint16_t)mac_len);
	n += 10;
	if (mac_len > 0)
		memcpy(p + n, mac, mac_len);
	n += mac_len;
	wire_put16(p + n, orig_id);
	wire_put16(p + n + 2, error);
	wire_put16(p + n + 4, other_len);
	n += 6;
	if (other_len > 0) /* OTHER may be NULL when empty: memcpy's arguments must not be */
		memcpy(p + n, other, other_len);
	return n + other_len;
}

static int sign_with(struct tsig_ctx *ctx, uint8_t *buf, size_t *len, size_t cap, uint64_t time, int first,
                     const uint8_t *other, uint16_t other_len)
{
	const struct tsig_key *k = ctx->key;
	struct mac m;
	uint8_t mac[TSIG_MAC_MAX], pre[2];
	size_t alen, mac_len;
	const uint8_t *alg = alg_wire(k->alg, &alen);

	if (*len < WIRE_HEADER_LEN || *len + tsig_rr_size(k) > cap)
		return -1;
	if (mac_start(&m, k) < 0)
		return -1;
	if (ctx->mac_len > 0) {
		wire_put16(pre, (uint16_t)ctx->mac_len);
		mac_add(&m, pre, 2);
		mac_add(&m, ctx->mac, ctx->mac_len);
	}
	mac_add(&m, buf, *len);
	mac_vars(&m, k, time, TSIG_FUDGE, ctx->error, other, other_len, first);
	mac_len = mac_end(&m, mac);
	if (mac_len == 0)
		return -1;
	*len += put_rr(buf + *len, k->name, k->name_len, alg, alen, time, TSIG_FUDGE, mac, mac_len, wire_get16(buf),
	               ctx->error, other, other_len);
	wire_put16(buf + 10, (uint16_t)(wire_get16(buf + 10) + 1));
	memcpy(ctx->mac, mac, mac_len);
	ctx->mac_len = mac_len;
	return 0;
}

int tsig_sign(struct tsig_ctx *ctx, uint8_t *buf, size_t *len, size_t cap, uint64_t now, int first)
{
	return sign_with(ctx, buf, len, cap, now, first, NULL, 0);
}

int tsig_error_rr(struct tsig_ctx *ctx, const uint8_t *req, size_t req_len, size_t off, uint8_t *buf, size_t *len,
                  size_t cap, uint64_t now)
{
	struct tsig_rr t;
	size_t n;

	if (ctx->error == TSIG_BADTIME && ctx->key != NULL) {
		uint8_t other[6];
		put48(other, now);
		return sign_with(ctx, buf, len, cap, ctx->req_time, 1, other, 6);
	}
	if (parse_rr(req, req_len, off, &t) < 0)
		return -1;
	n = (size_t)t.name_len + 10 + (size_t)t.alg_len + 16;
	if (*len + n > cap)
		return -1;
	*len += put_rr(buf + *len, t.name, (size_t)t.name_len, t.alg, (size_t)t.alg_len, now, t.fudge, NULL, 0,
	               t.orig_id, ctx->error, NULL, 0);
	wire_put16(buf + 10, (uint16_t)(wire_get16(buf + 10) + 1));
	return 0;
}

int tsig_verify_response(struct tsig_ctx *ctx, const uint8_t *msg, size_t len, uint64_t now)
{
	long off = tsig_find(msg, len);
	struct tsig_rr t;
	struct mac m;
	uint8_t mac[TSIG_MAC_MAX], pre[2];
	size_t full;

	if (off <= 0 || parse_rr(msg, len, (size_t)off, &t) < 0)
		return TSIG_FORMERR;
	if (t.error != 0)
		return t.error;
	if (find_key(ctx->key, 1, &t) == NULL)
		return TSIG_BADKEY;
	full = alg_mac_len(ctx->key->alg);
	if (!mac_len_ok(t.mac_len, full) || mac_start(&m, ctx->key) < 0)
		return TSIG_BADSIG;
	wire_put16(pre, (uint16_t)ctx->mac_len);
	mac_add(&m, pre, 2);
	mac_add(&m, ctx->mac, ctx->mac_len);
	mac_message(&m, msg, (size_t)off, t.orig_id);
	mac_vars(&m, ctx->key, t.time, t.fudge, t.error, t.other, t.other_len, 1);
	if (mac_end(&m, mac) != full || CRYPTO_memcmp(mac, t.mac, t.mac_len) != 0)
		return TSIG_BADSIG;
	if ((now > t.time ? now - t.time : t.time - now) > t.fudge)
		return TSIG_BADTIME;
	return TSIG_NOERROR;
}
