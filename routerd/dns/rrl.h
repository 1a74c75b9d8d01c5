/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rrl.h -- response rate limiting (RRL) on the UDP path, as NSD and Knot
 * do it: a spoofed source must not turn routerd into an amplifier.
 *
 * Each UDP response is classed by what it is (an answer, NXDOMAIN, NODATA,
 * a referral, an error) and keyed by the source's prefix (server.rrl
 * ipv4_prefix / ipv6_prefix) and its kind; answers and NODATA also by the
 * query name and type, the rest by kind alone (a flood of random names
 * shares one key). Each key holds a token bucket refilled at
 * responses_per_second, at most one second's worth. A response over the
 * rate is dropped, except every slip-th one, which goes out truncated
 * (TC=1, no records): a real resolver behind the spoofed address retries
 * over TCP, which cannot be spoofed and is never limited.
 *
 * The settings (struct rrl_conf) are immutable and published like the view:
 * a reload swaps the pointer. The buckets (struct rrl_table) belong to one
 * UDP thread each (a worker's, for one listen address): no lock, no shared
 * cache line. With SO_REUSEPORT a source's
 * queries spread over the workers by port, so each worker allows its share
 * of the rate (responses_per_second / workers, rounded up).
 */
#ifndef ROUTERD_RRL_H
#define ROUTERD_RRL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cfg_rrl;
struct rrl_conf;

/* One worker's buckets and counters (counters read by the control thread). */
struct rrl_table;

/* Build the settings for CFG shared by WORKERS workers; NULL when RRL is
 * off (responses_per_second 0) or out of memory (logged). */
struct rrl_conf *rrl_conf_new(const struct cfg_rrl *cfg, unsigned workers);

/* Make C the settings every worker uses (NULL: off), then free the old
 * ones once no worker reads them (rcu_synchronize). Control thread only. */
void rrl_publish(struct rrl_conf *c);

/* The published settings; read inside an RCU read section (a worker's batch). */
const struct rrl_conf *rrl_current(void);

/* A worker's table; NULL when out of memory. */
struct rrl_table *rrl_table_new(void);
void rrl_table_free(struct rrl_table *t);

/* Coarse milliseconds for rrl_apply(): read once per batch. */
uint64_t rrl_now_ms(void);

/*
 * Apply C with T's buckets to the UDP response RESP (LEN bytes) for the
 * query from PEER at NOW_MS. Returns LEN (send as is), a smaller length
 * (RESP was rewritten into a truncated slip response), or 0 (drop).
 */
size_t rrl_apply(const struct rrl_conf *c, struct rrl_table *t, const struct sockaddr *peer, uint8_t *resp,
                 size_t len, uint64_t now_ms);

/* Responses T limited so far: sent truncated, and dropped. */
void rrl_table_counts(const struct rrl_table *t, uint64_t *slipped, uint64_t *dropped);

#endif
