/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * answer.h -- turn one DNS query into its response, from a view.
 *
 * Packet in -> parse -> find the zone and node -> copy the precompiled
 * answer -> patch ID, flags, question case and EDNS. No allocation and no
 * lock: everything the answer needs was compiled into the view.
 */
#ifndef ROUTERD_ANSWER_H
#define ROUTERD_ANSWER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct view;
struct track_ring;

enum answer_proto {
	ANSWER_UDP = 0,
	ANSWER_TCP = 1,
};

/* Query type buckets counted per worker (metrics: qtype label). */
enum answer_qtype_bucket {
	QT_A,
	QT_AAAA,
	QT_CNAME,
	QT_NS,
	QT_SOA,
	QT_MX,
	QT_TXT,
	QT_SRV,
	QT_PTR,
	QT_DS,
	QT_ANY,
	QT_OTHER,
	QT__COUNT
};

/* Per-worker counters: written by the owning worker only, read by the
 * control thread (workers_stats sums them). Atomic so the reads are
 * defined, but bumped with a relaxed load and store (stat_add): with one
 * writer no locked instruction is needed. */
struct answer_stats {
	_Atomic uint64_t queries[2][QT__COUNT]; /* [proto][qtype bucket] */
	_Atomic uint64_t rcodes[24];            /* responses by rcode (BADVERS = 16) */
	_Atomic uint64_t dropped;               /* packets not answered (QR=1, runts) */
	_Atomic uint64_t truncated;             /* UDP responses sent with TC */
};

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

static inline uint64_t stat_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* What a worker hands to answer_query(): its ring and counters. */
struct answer_ctx {
	struct track_ring *ring; /* NULL: do not record observations */
	struct answer_stats stats;
};

/*
 * Answer the query Q (QLEN bytes) from PEER into OUT (OUTCAP bytes, at least
 * 512). PROTO picks the size limit: UDP honours the EDNS buffer size (at
 * most the view's udp_payload_max, at least 512), TCP allows 65535.
 * Returns the response length, or 0 when nothing must be sent (a response
 * packet, or fewer than 12 bytes).
 */
size_t answer_query(const struct view *v, const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap,
                    enum answer_proto proto, const struct sockaddr *peer, struct answer_ctx *ctx);

#endif
