/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hash.h -- the one hash of routerd: 64-bit FNV-1a.
 *
 * Every table keyed by bytes uses it: the view's node table (wire names),
 * the state's switch index (presentation names), the tracker's (switch,
 * resolver) table. Names are short, so one xor and one multiply per byte
 * beats anything with a setup cost. It is also how a webhook alert
 * without a fingerprint gets its signal id ("labels-" and the hash of its
 * sorted labels, webhook.c), and that id is written to the journal: the
 * constants must never change, or a "resolved" would no longer find the
 * signal a "firing" of an older release recorded
 * (test/integration/signal-ids).
 */
#ifndef ROUTERD_HASH_H
#define ROUTERD_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT 0xcbf29ce484222325ull /* FNV-1a offset basis */

/* Continue hash H over LEN bytes at P (start with HASH_INIT). */
static inline uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull; /* FNV-1a prime */
	return h;
}

/* Hash of a NUL-terminated string. */
static inline uint64_t hash_str(const char *s)
{
	uint64_t h = HASH_INIT;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

#endif
