/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp.h -- the UDP fast path: recvmmsg a batch, answer each from the view,
 * sendmmsg the replies from the address each query came to.
 */
#ifndef ROUTERD_UDP_H
#define ROUTERD_UDP_H

#include <sys/socket.h>

struct worker;
struct udp_socket;

/* Bind a UDP socket on ADDR for worker W. Returns NULL with ERR set. */
struct udp_socket *udp_open(struct worker *w, const struct sockaddr *addr, socklen_t len, char *err, size_t errlen);

/* Start polling on W's loop (in W's thread). */
int udp_start(struct udp_socket *u);

/* Stop polling and close (in W's thread, before the loop ends). */
void udp_close(struct udp_socket *u);

/* Free after the loop has ended. */
void udp_free(struct udp_socket *u);

#endif
