/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp.h -- DNS over TCP (RFC 7766): length-prefixed messages, several and
 * pipelined per connection, answered in order; idle connections closed; at
 * most tcp_max_clients per worker, the longest idle one making room.
 */
#ifndef ROUTERD_TCP_H
#define ROUTERD_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct worker;
struct tcp_listener;

struct tcp_listener *tcp_open(struct worker *w, const struct sockaddr *addr, socklen_t len, char *err,
                              size_t errlen);
int tcp_start(struct tcp_listener *t);
/* Close W's listeners and every connection of W (in W's thread). */
void tcp_close_all(struct worker *w);
/* Close connections idle longer than the limit and set W's sweep timer to
 * the next deadline (the timer's callback; tcp.c arms it on accept). */
void tcp_sweep(struct worker *w);
void tcp_free(struct tcp_listener *t);

/*
 * Zone transfers (AXFR, IXFR) are not answered by the workers: a request
 * hands its connection to FN (the fleet, registered once at start, before
 * the workers run): FD is a dup of the connection's socket, DATA the bytes
 * read so far from the request on (length-prefixed messages), PEER the
 * client. FN owns FD from then on; the worker forgets the connection.
 * Without a handler, transfers are refused as before.
 */
typedef void (*tcp_xfr_fn)(void *arg, int fd, const uint8_t *data, size_t len, const struct sockaddr *peer);
void tcp_set_xfr_handler(tcp_xfr_fn fn, void *arg);

#endif
