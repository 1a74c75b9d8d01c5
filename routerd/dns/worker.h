/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker.h -- DNS worker threads. Each owns a libuv loop, its own UDP and
 * TCP sockets on every listen address (SO_REUSEPORT: the kernel spreads
 * queries over workers), its own buffers, counters and tracking ring, so
 * workers share nothing but the published view. The loop serves TCP and
 * the timers; each UDP socket has a thread of its own (udp.h).
 */
#ifndef ROUTERD_WORKER_H
#define ROUTERD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "dns/answer.h"

struct config;
struct udp_socket;
struct tcp_listener;
struct tcp_conn;

struct worker {
	int id;
	pthread_t thread;
	int loop_ready, thread_started;
	uv_loop_t loop;
	uv_async_t stop;
	uv_timer_t sweep;      /* closes idle TCP connections */
	uv_timer_t beat;       /* bumps heartbeat while the loop turns */
	uint64_t beat_ms;      /* 0: no heartbeat timer */
	_Atomic uint64_t heartbeat; /* read by the control thread (watchdog) */
	uv_idle_t tcp_resume;  /* answers the next turn of pipelined queries */
	int rcu_slot;
	struct answer_ctx ctx; /* counters and tracking ring */

	struct udp_socket **udp; /* one of each per listen address */
	struct tcp_listener **tcp;
	size_t n_sockets;

	/* TCP connections, least recently active first (RFC 7766 6.2.3). */
	struct tcp_conn *conn_head, *conn_tail;
	struct tcp_conn *resume_head; /* connections with queries left for the next turn */
	size_t n_conns;
	uint32_t tcp_max_clients;
	uint64_t tcp_idle_ms;
	uint8_t *tcp_scratch;  /* one 64 KiB answer buffer for this worker */
};

struct worker_set {
	struct worker *w;
	size_t n;
};

/*
 * Create CFG->workers workers and bind every socket (in the calling thread,
 * before privileges are dropped), but do not start them. Returns 0, or
 * -errno with a reason in ERR.
 */
int workers_create(const struct config *cfg, struct worker_set **out, char *err, size_t errlen);

/* Start the threads. Returns 0 or a negative errno-style code. */
int workers_start(struct worker_set *set);

/* Before workers_start(): have every worker bump its heartbeat counter
 * every MS milliseconds from its own loop, so a worker stuck in a loop (or
 * a wedged event loop) stops counting. 0 (the default): no timer. UDP
 * threads count every batch and every idle wake-up (100 ms) anyway. */
void workers_set_heartbeat(struct worker_set *set, uint64_t ms);

/* Threads that beat: each worker's loop, then each worker's UDP threads. */
size_t workers_threads(const struct worker_set *set);

/* Thread I's heartbeat count (any thread), and its name for the log
 * ("worker 1", "worker 1 UDP thread 0"). */
uint64_t workers_heartbeat(const struct worker_set *set, size_t i);
void workers_thread_name(const struct worker_set *set, size_t i, char *out, size_t outlen);

/* Stop the threads, close every socket, free everything. */
void workers_destroy(struct worker_set *set);

/* Hand every worker's ring of tracking observations to DRAIN (the
 * tracker's thread, the rings' one consumer); returns the sum of what
 * DRAIN returned. The workers know nothing of the tracker itself. */
size_t workers_drain(struct worker_set *set, size_t (*drain)(void *arg, struct track_ring *r), void *arg);

/* Observations the workers dropped because their ring was full. */
uint64_t workers_ring_dropped(const struct worker_set *set);

/* UDP responses rate limiting sent truncated and dropped, every worker. */
void workers_rrl_counts(const struct worker_set *set, uint64_t *slipped, uint64_t *dropped);

/* Sum of every worker's counters. */
void workers_stats(const struct worker_set *set, struct answer_stats *sum);

/* Socket helpers shared by udp.c and tcp.c: a non-blocking socket bound to
 * ADDR with SO_REUSEPORT. Returns the fd or -errno. */
int worker_bind_socket(const struct sockaddr *addr, socklen_t len, int type);

#endif
