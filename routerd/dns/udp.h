/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp.h -- the UDP fast path: one thread per socket blocks in recvmmsg
 * for a batch, answers each from the view, and sendmmsg's the replies from
 * the address each query came to.
 */
#ifndef ROUTERD_UDP_H
#define ROUTERD_UDP_H

#include <stdint.h>
#include <sys/socket.h>

struct worker;
struct udp_socket;
struct answer_ctx;

/* Bind a UDP socket on ADDR for worker W. Returns NULL with ERR set. */
struct udp_socket *udp_open(struct worker *w, const struct sockaddr *addr, socklen_t len, char *err, size_t errlen);

/* Start the socket's thread; INDEX (the listen address's) names it.
 * Returns 0 or a negative errno-style code. */
int udp_start(struct udp_socket *u, int index);

/* Stop the thread and wait for it (within IDLE_WAKE_MS); any thread. */
void udp_close(struct udp_socket *u);

/* Stop if need be, close and free. */
void udp_free(struct udp_socket *u);

/* The thread's counters and tracking ring (set ctx->ring before starting). */
struct answer_ctx *udp_ctx(struct udp_socket *u);

/* Bumped once per batch or idle wake-up: the watchdog's sign of life. */
uint64_t udp_heartbeat(const struct udp_socket *u);

/* Responses RRL limited on this socket: truncated and dropped. */
void udp_rrl_counts(const struct udp_socket *u, uint64_t *slipped, uint64_t *dropped);

#endif
