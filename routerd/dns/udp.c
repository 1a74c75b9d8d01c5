/* SPDX-License-Identifier: BSD-3-Clause */
/* udp.c -- see udp.h. */
#include "dns/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "dns/answer.h"
#include "dns/rrl.h"
#include "lib/log.h"
#include "lib/rcu.h"
#include "lib/ring.h"
#include "zone/view.h"
#include "dns/worker.h"

/* Messages per recvmmsg/sendmmsg call: enough to amortise the system call
 * over a burst (at 100k QPS a 64-batch is under a millisecond of traffic),
 * small enough that the buffers stay in L2. */
#define BATCH 64
/* Receive buffer per message. Queries are small, but a larger one (up to
 * the 65,535 bytes UDP allows) is answered too, as NSD does: its bytes
 * past RX_SIZE land in a per-message overflow area (a second iovec) and
 * are joined with the first part in one per-socket buffer. Those pages are
 * mapped at open and only touched by large queries, so the RX_SIZE
 * buffers stay dense in cache and nothing is allocated per query. */
#define RX_SIZE 4096
#define RX_MAX 65535
#define RX_OVERFLOW (RX_MAX - RX_SIZE)
/* Reply buffer per message: udp_payload_max is at most 4096. */
#define TX_SIZE 4096
/* A UDP thread blocked in recvmmsg wakes this often with nothing to read,
 * to see whether it must stop and to beat its heartbeat (the watchdog
 * checks it at WatchdogSec / 2, which is far longer). */
#define IDLE_WAKE_MS 100

union pktinfo {
	struct in_pktinfo v4;
	struct in6_pktinfo v6;
};

#define CMSG_SPACE_MAX CMSG_SPACE(sizeof(union pktinfo))

/*
 * Each socket has a thread of its own that blocks in recvmmsg (as gdnsd
 * does): at saturation that is one system call per batch fewer than
 * waking through epoll, and 6% less CPU per answer measured side by side
 * (BENCHMARKS.md). The thread owns its counters, tracking ring, RCU slot
 * and RRL buckets, so it shares nothing writable with the worker's event
 * loop, which keeps TCP and the timers.
 */
struct udp_socket {
	struct worker *w;
	int fd;
	int family;
	int index;             /* the listen address's, for the thread's name */
	pthread_t thread;
	int started;
	_Atomic int stop;
	int rcu_slot;
	struct answer_ctx ctx;  /* this thread's counters and tracking ring */
	struct rrl_table *rrl;  /* made on the first response RRL checks */
	_Atomic uint64_t heartbeat;
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec rx_iov[BATCH][2], tx_iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	_Alignas(struct cmsghdr) uint8_t rx_cmsg[BATCH][CMSG_SPACE_MAX];
	_Alignas(struct cmsghdr) uint8_t tx_cmsg[BATCH][CMSG_SPACE_MAX];
	uint8_t rx_buf[BATCH][RX_SIZE];
	uint8_t tx_buf[BATCH][TX_SIZE];
	time_t last_error_log;
	uint8_t *overflow; /* BATCH areas of RX_OVERFLOW, then RX_MAX to join one query */
};

struct udp_socket *udp_open(struct worker *w, const struct sockaddr *addr, socklen_t len, char *err, size_t errlen)
{
	struct udp_socket *u;
	int fd = worker_bind_socket(addr, len, SOCK_DGRAM), on = 1;

	if (fd < 0) {
		snprintf(err, errlen, "cannot bind UDP socket: %s", strerror(-fd));
		return NULL;
	}
	/* On a wildcard bind, learn each query's destination address to answer
	 * from it (the kernel would otherwise pick a source). A socket bound to
	 * one address needs none of that: the cmsg costs every packet. */
	if (addr->sa_family == AF_INET &&
	    ((const struct sockaddr_in *)addr)->sin_addr.s_addr == htonl(INADDR_ANY))
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	else if (addr->sa_family == AF_INET6 &&
	         IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)addr)->sin6_addr))
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	/* Never fragment (RFC 9715 3.1): answers are capped at udp_payload_max
	 * (1232 by default) and a larger one is truncated instead. The kernel
	 * also skips choosing an IP ID for a packet that cannot fragment. */
	if (addr->sa_family == AF_INET) {
		int pmtu = IP_PMTUDISC_DO;
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &on, sizeof(on));
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->w = w;
	u->fd = fd;
	u->family = addr->sa_family;
	u->rcu_slot = -1;
	u->overflow = mmap(NULL, (size_t)BATCH * RX_OVERFLOW + RX_MAX, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (u->overflow == MAP_FAILED) {
		close(fd);
		free(u);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < BATCH; i++) {
		u->rx_iov[i][0].iov_base = u->rx_buf[i];
		u->rx_iov[i][0].iov_len = RX_SIZE;
		u->rx_iov[i][1].iov_base = u->overflow + (size_t)i * RX_OVERFLOW;
		u->rx_iov[i][1].iov_len = RX_OVERFLOW;
		u->tx_iov[i].iov_base = u->tx_buf[i];
	}
	return u;
}

static void prepare_rx(struct udp_socket *u)
{
	for (int i = 0; i < BATCH; i++) {
		struct msghdr *m = &u->rx[i].msg_hdr;
		m->msg_name = &u->peer[i];
		m->msg_namelen = sizeof(u->peer[i]);
		m->msg_iov = u->rx_iov[i];
		m->msg_iovlen = 2;
		m->msg_control = u->rx_cmsg[i];
		m->msg_controllen = sizeof(u->rx_cmsg[i]);
		m->msg_flags = 0;
	}
}

/* Reply from the address the query was sent to. */
static void set_source(struct udp_socket *u, int i, struct msghdr *out)
{
	struct msghdr *in = &u->rx[i].msg_hdr;
	struct cmsghdr *c, *o;

	out->msg_control = NULL;
	out->msg_controllen = 0;
	for (c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			out->msg_control = u->tx_cmsg[i];
			out->msg_controllen = CMSG_SPACE(sizeof(pi));
			o = CMSG_FIRSTHDR(out);
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			out->msg_control = u->tx_cmsg[i];
			out->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
			o = CMSG_FIRSTHDR(out);
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return;
		}
	}
}

static void log_error_limited(struct udp_socket *u, const char *what)
{
	time_t now = time(NULL);
	/* A flood of errors must not become a flood of log lines. */
	if (now != u->last_error_log) {
		u->last_error_log = now;
		log_errno(LOG_LVL_WARNING, errno, "worker %d: %s", u->w->id, what);
	}
}

static void send_replies(struct udp_socket *u, unsigned n)
{
	unsigned sent = 0;
	while (sent < n) {
		int r = sendmmsg(u->fd, u->tx + sent, n - sent, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* Socket buffer full: drop the rest, as any server under
			 * overload must; the resolver retries. */
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				break;
			/* The error is the first unsent message's alone (a peer we
			 * cannot send to, e.g. a spoofed port 0): skip only it. */
			log_error_limited(u, "sendmmsg");
			r = 1;
		}
		sent += (unsigned)r;
	}
}

static in_port_t peer_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	return ((const struct sockaddr_in6 *)ss)->sin6_port;
}

static int one_batch(struct udp_socket *u)
{
	const struct view *v;
	const struct rrl_conf *rrl;
	uint64_t now_ms = 0;
	unsigned out = 0;
	int n;

	prepare_rx(u);
	/* Blocks for the first datagram (at most IDLE_WAKE_MS), then takes
	 * what is queued behind it. */
	n = recvmmsg(u->fd, u->rx, BATCH, MSG_WAITFORONE, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_error_limited(u, "recvmmsg");
		return 0;
	}
	rcu_read_lock(u->rcu_slot);
	v = view_current();
	if ((rrl = rrl_current()) != NULL) {
		now_ms = rrl_now_ms();
		if (u->rrl == NULL)
			__atomic_store_n(&u->rrl, rrl_table_new(), __ATOMIC_RELEASE);
		if (u->rrl == NULL)
			rrl = NULL; /* out of memory: answer unlimited rather than not at all */
	}
	for (int i = 0; i < n; i++) {
		struct msghdr *m = &u->rx[i].msg_hdr, *o = &u->tx[out].msg_hdr;
		const uint8_t *pkt = u->rx_buf[i];
		size_t len;
		/* Larger than UDP allows, or from port 0, which no reply can
		 * reach (a spoofed source: answering only reflects). */
		if ((m->msg_flags & MSG_TRUNC) || peer_port(&u->peer[i]) == 0) {
			stat_add(&u->ctx.stats.dropped, 1);
			continue;
		}
		if (u->rx[i].msg_len > RX_SIZE) {
			uint8_t *whole = u->overflow + (size_t)BATCH * RX_OVERFLOW;
			memcpy(whole, u->rx_buf[i], RX_SIZE);
			memcpy(whole + RX_SIZE, u->rx_iov[i][1].iov_base, u->rx[i].msg_len - RX_SIZE);
			pkt = whole;
		}
		len = answer_query(v, pkt, u->rx[i].msg_len, u->tx_buf[out], TX_SIZE, ANSWER_UDP,
		                   (struct sockaddr *)&u->peer[i], &u->ctx);
		if (rrl != NULL && len > 0)
			len = rrl_apply(rrl, u->rrl, (struct sockaddr *)&u->peer[i], u->tx_buf[out], len, now_ms);
		if (len == 0)
			continue;
		u->tx_iov[out].iov_base = u->tx_buf[out];
		u->tx_iov[out].iov_len = len;
		o->msg_name = &u->peer[i];
		o->msg_namelen = m->msg_namelen;
		o->msg_iov = &u->tx_iov[out];
		o->msg_iovlen = 1;
		o->msg_flags = 0;
		set_source(u, i, o);
		out++;
	}
	rcu_read_unlock(u->rcu_slot);
	if (out > 0)
		send_replies(u, out);
	return n;
}

static void *udp_main(void *arg)
{
	struct udp_socket *u = arg;
	char name[16];

	snprintf(name, sizeof(name), "routerd-u%d.%d", u->w->id, u->index); /* for top -H, perf */
	pthread_setname_np(pthread_self(), name);
	while (!atomic_load_explicit(&u->stop, memory_order_relaxed)) {
		one_batch(u);
		/* One writer: a plain increment, read by the watchdog. */
		atomic_store_explicit(&u->heartbeat, atomic_load_explicit(&u->heartbeat, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
	}
	return NULL;
}

int udp_start(struct udp_socket *u, int index)
{
	struct timeval tv = { 0, IDLE_WAKE_MS * 1000 };
	int fl = fcntl(u->fd, F_GETFL), rc;

	if (fl < 0 || fcntl(u->fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(u->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	u->index = index;
	u->rcu_slot = rcu_reader_register();
	if (u->rcu_slot < 0)
		return -ENOSPC;
	rc = pthread_create(&u->thread, NULL, udp_main, u);
	if (rc != 0)
		return -rc;
	u->started = 1;
	return 0;
}

void udp_close(struct udp_socket *u)
{
	if (!u->started)
		return;
	atomic_store(&u->stop, 1);
	pthread_join(u->thread, NULL);
	u->started = 0;
}

void udp_free(struct udp_socket *u)
{
	if (u == NULL)
		return;
	udp_close(u);
	close(u->fd);
	munmap(u->overflow, (size_t)BATCH * RX_OVERFLOW + RX_MAX);
	rcu_reader_unregister(u->rcu_slot);
	track_ring_free(u->ctx.ring);
	rrl_table_free(u->rrl);
	free(u);
}

struct answer_ctx *udp_ctx(struct udp_socket *u)
{
	return &u->ctx;
}

uint64_t udp_heartbeat(const struct udp_socket *u)
{
	return atomic_load_explicit(&u->heartbeat, memory_order_relaxed);
}

void udp_rrl_counts(const struct udp_socket *u, uint64_t *slipped, uint64_t *dropped)
{
	rrl_table_counts(__atomic_load_n(&u->rrl, __ATOMIC_ACQUIRE), slipped, dropped);
}
