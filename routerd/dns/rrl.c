/* SPDX-License-Identifier: BSD-3-Clause */
/* rrl.c -- see rrl.h. */
#include "dns/rrl.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "lib/log.h"
#include "lib/rcu.h"

/* Buckets per worker, a power of two. A flood is a handful of keys (one
 * victim prefix, a few names); 64k buckets keep legitimate resolvers from
 * sharing a bucket with it. 64k x 32 bytes = 2 MiB per worker, made on the
 * first response that needs it. */
#define TABLE_SIZE 65536
/* A token is 1000 credits, so a rate of N per second adds N credits per
 * millisecond: integer arithmetic with a millisecond clock. */
#define CREDIT 1000

enum rrl_kind { K_ANSWER = 1,
	        K_NODATA,
	        K_NXDOMAIN,
	        K_REFERRAL,
	        K_ERROR };

struct rrl_conf {
	int64_t rate;        /* responses per second for one worker */
	uint32_t slip;
	uint8_t mask4[4], mask6[16];
	struct cfg_rrl_prefix *exempt;
	size_t n_exempt;
};

struct bucket {
	uint64_t key;      /* 0: empty */
	int64_t credit;
	uint32_t last_ms;  /* truncated milliseconds: only differences matter */
	uint32_t limited;  /* responses limited since the key took the bucket */
};

struct rrl_table {
	uint64_t seed;     /* keys are unguessable: no crafted collisions */
	_Atomic uint64_t slipped, dropped;
	struct bucket b[TABLE_SIZE];
};

static _Atomic(struct rrl_conf *) current;

static void make_mask(uint8_t *mask, size_t bytes, uint32_t bits)
{
	memset(mask, 0, bytes);
	for (uint32_t i = 0; i < bits && i < bytes * 8; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

struct rrl_conf *rrl_conf_new(const struct cfg_rrl *cfg, unsigned workers)
{
	struct rrl_conf *c;

	if (cfg->responses_per_second == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (cfg->n_exempt && (c->exempt = calloc(cfg->n_exempt, sizeof(*c->exempt))) == NULL)) {
		free(c);
		log_error("rrl: out of memory: responses are not rate limited");
		return NULL;
	}
	workers = workers ? workers : 1;
	c->rate = ((int64_t)cfg->responses_per_second + workers - 1) / workers;
	c->slip = cfg->slip;
	make_mask(c->mask4, sizeof(c->mask4), cfg->ipv4_prefix);
	make_mask(c->mask6, sizeof(c->mask6), cfg->ipv6_prefix);
	if (cfg->n_exempt)
		memcpy(c->exempt, cfg->exempt, cfg->n_exempt * sizeof(*c->exempt));
	c->n_exempt = cfg->n_exempt;
	return c;
}

static void conf_free(struct rrl_conf *c)
{
	if (c == NULL)
		return;
	free(c->exempt);
	free(c);
}

void rrl_publish(struct rrl_conf *c)
{
	struct rrl_conf *old = atomic_exchange_explicit(&current, c, memory_order_seq_cst);

	if (old != NULL && old != c) {
		rcu_synchronize();
		conf_free(old);
	}
}

const struct rrl_conf *rrl_current(void)
{
	return atomic_load_explicit(&current, memory_order_acquire);
}

struct rrl_table *rrl_table_new(void)
{
	struct rrl_table *t = calloc(1, sizeof(*t));

	if (t != NULL && getrandom(&t->seed, sizeof(t->seed), 0) != sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ (uint64_t)time(NULL);
	return t;
}

void rrl_table_free(struct rrl_table *t)
{
	free(t);
}

uint64_t rrl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void rrl_table_counts(const struct rrl_table *t, uint64_t *slipped, uint64_t *dropped)
{
	*slipped = t ? atomic_load_explicit(&t->slipped, memory_order_relaxed) : 0;
	*dropped = t ? atomic_load_explicit(&t->dropped, memory_order_relaxed) : 0;
}

/* One step of a 64-bit mix (the multiply-xorshift of splitmix64). */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

/* The source prefix, masked; returns the family or 0 for another one. */
static int source_prefix(const struct rrl_conf *c, const struct sockaddr *peer, uint8_t out[16])
{
	if (peer->sa_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
		for (int i = 0; i < 4; i++)
			out[i] = a[i] & c->mask4[i];
		memset(out + 4, 0, 12);
		return AF_INET;
	}
	if (peer->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		for (int i = 0; i < 16; i++)
			out[i] = a[i] & c->mask6[i];
		return AF_INET6;
	}
	return 0;
}

static int exempt(const struct rrl_conf *c, const struct sockaddr *peer)
{
	const uint8_t *a = peer->sa_family == AF_INET
	                       ? (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr
	                       : ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;

	for (size_t i = 0; i < c->n_exempt; i++) {
		const struct cfg_rrl_prefix *p = &c->exempt[i];
		unsigned full = p->len / 8, rest = p->len % 8;
		if (p->family != peer->sa_family || memcmp(a, p->addr, full) != 0)
			continue;
		if (rest == 0 || ((a[full] ^ p->addr[full]) & (uint8_t)(0xff00 >> rest)) == 0)
			return 1;
	}
	return 0;
}

/* The response's kind, and the end of its question (0: not one we can
 * class, sent as is). NAMEHASH gets the query name, lower-cased. */
static size_t classify(const uint8_t *r, size_t len, enum rrl_kind *kind, uint64_t *namehash)
{
	size_t p = 12;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a: one multiply per byte */
	unsigned rcode, an, ns;

	if (len < 12 || r[4] != 0 || r[5] != 1)
		return 0;
	while (p < len && r[p] != 0) {
		size_t n = r[p];
		if (n > 63 || p + 1 + n >= len)
			return 0;
		for (size_t i = p; i <= p + n; i++) {
			uint8_t ch = r[i];
			h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32u : ch)) * 0x100000001b3ULL;
		}
		p += 1 + n;
	}
	if (p + 5 > len)
		return 0;
	p += 5; /* the root label, QTYPE, QCLASS */
	h = mix(h, (uint64_t)r[p - 4] << 8 | r[p - 3]);
	rcode = r[3] & 0x0f;
	an = (unsigned)r[6] << 8 | r[7];
	ns = (unsigned)r[8] << 8 | r[9];
	if (rcode == 3)
		*kind = K_NXDOMAIN;
	else if (rcode != 0)
		*kind = K_ERROR;
	else if (an > 0)
		*kind = K_ANSWER;
	else if ((r[2] & 0x04) == 0 && ns > 0)
		*kind = K_REFERRAL; /* not authoritative, NS in authority */
	else
		*kind = K_NODATA;
	*namehash = h;
	return p;
}

/* Rewrite R into the truncated form of itself: header (TC set, no
 * records), the question, and the OPT record if the response ends with one
 * without options (what routerd sends for an EDNS query). */
static size_t slip(uint8_t *r, size_t len, size_t qend)
{
	static const uint8_t opt_head[3] = { 0, 0, 41 }; /* root owner, TYPE OPT */
	int opt = len >= qend + 11 && memcmp(r + len - 11, opt_head, 3) == 0 && r[len - 2] == 0 && r[len - 1] == 0;

	r[2] |= 0x02; /* TC */
	memset(r + 6, 0, 6);
	if (opt) {
		memmove(r + qend, r + len - 11, 11);
		r[11] = 1;
		return qend + 11;
	}
	return qend;
}

size_t rrl_apply(const struct rrl_conf *c, struct rrl_table *t, const struct sockaddr *peer, uint8_t *resp,
                 size_t len, uint64_t now_ms)
{
	uint8_t pfx[16];
	enum rrl_kind kind;
	uint64_t name = 0, key, hi, lo;
	size_t qend;
	int fam = source_prefix(c, peer, pfx);
	struct bucket *b;

	if (fam == 0 || (qend = classify(resp, len, &kind, &name)) == 0)
		return len;
	memcpy(&hi, pfx, 8);
	memcpy(&lo, pfx + 8, 8);
	key = mix(mix(mix(t->seed, (uint64_t)fam << 8 | kind), hi), lo);
	if (kind == K_ANSWER || kind == K_NODATA)
		key = mix(key, name);
	key |= 1; /* never 0, the empty mark */
	b = &t->b[key & (TABLE_SIZE - 1)];
	if (b->key != key) {
		/* A new key (or another took the bucket): a full second's credit. */
		b->key = key;
		b->credit = c->rate * CREDIT;
		b->last_ms = (uint32_t)now_ms;
		b->limited = 0;
	} else {
		uint32_t elapsed = (uint32_t)now_ms - b->last_ms;
		b->last_ms = (uint32_t)now_ms;
		b->credit += (int64_t)(elapsed > 1000 ? 1000 : elapsed) * c->rate;
		if (b->credit > c->rate * CREDIT)
			b->credit = c->rate * CREDIT;
	}
	if (b->credit >= CREDIT) {
		b->credit -= CREDIT;
		return len;
	}
	if (c->n_exempt > 0 && exempt(c, peer))
		return len;
	b->limited++;
	if (c->slip > 0 && b->limited % c->slip == 0) {
		atomic_store_explicit(&t->slipped, atomic_load_explicit(&t->slipped, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
		return slip(resp, len, qend);
	}
	atomic_store_explicit(&t->dropped, atomic_load_explicit(&t->dropped, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	return 0;
}
