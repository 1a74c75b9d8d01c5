/* SPDX-License-Identifier: BSD-3-Clause */
/* worker.c -- see worker.h. */
#include "dns/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rcu.h"
#include "lib/ring.h"
#include "dns/tcp.h"
#include "dns/udp.h"

/* Observations a worker can hold before the tracker drains them: at
 * 100k QPS all for switched names and a drain every 100 ms, 10k are needed;
 * 64k leaves room for a slow drain. 64k x 56 bytes = 3.5 MiB per worker. */
#define RING_SIZE 65536
/* Kernel receive buffer per UDP socket: a burst of queries waits here
 * while the worker is busy, instead of being dropped. */
#define UDP_RCVBUF (4 << 20)

int worker_bind_socket(const struct sockaddr *addr, socklen_t len, int type)
{
	int fd = socket(addr->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1, buf = UDP_RCVBUF;

	if (fd < 0)
		return -errno;
	/* Every worker binds the same address; the kernel hashes flows over them. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		goto fail;
	if (addr->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		goto fail;
	if (type == SOCK_DGRAM)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)); /* best effort */
	if (bind(fd, addr, len) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

static void on_stop(uv_async_t *a)
{
	struct worker *w = a->data;
	for (size_t i = 0; i < w->n_sockets; i++)
		udp_close(w->udp[i]);
	tcp_close_all(w);
	uv_close((uv_handle_t *)&w->sweep, NULL);
	uv_close((uv_handle_t *)&w->beat, NULL);
	uv_close((uv_handle_t *)&w->tcp_resume, NULL);
	uv_close((uv_handle_t *)&w->stop, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "routerd-w%d", w->id); /* for top -H, perf */
	pthread_setname_np(pthread_self(), name);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	return NULL;
}

static int worker_init(struct worker *w, int id, const struct config *cfg, char *err, size_t errlen)
{
	int rc;

	w->id = id;
	w->rcu_slot = -1;
	w->tcp_max_clients = cfg->tcp_max_clients ? cfg->tcp_max_clients : 1000;
	w->tcp_idle_ms = (uint64_t)(cfg->tcp_idle_timeout ? cfg->tcp_idle_timeout : 10) * 1000;
	w->n_sockets = cfg->n_listen;
	w->udp = calloc(cfg->n_listen, sizeof(*w->udp));
	w->tcp = calloc(cfg->n_listen, sizeof(*w->tcp));
	w->tcp_scratch = malloc(65535);
	/* Without tracking there is no ring, and answer_query records nothing. */
	w->ctx.ring = cfg->tracking.enabled ? track_ring_create(RING_SIZE) : NULL;
	if (w->udp == NULL || w->tcp == NULL || w->tcp_scratch == NULL || (cfg->tracking.enabled && w->ctx.ring == NULL)) {
		return err_set(err, errlen, -ENOMEM, "out of memory");
	}
	if ((rc = uv_loop_init(&w->loop)) < 0)
		return err_set(err, errlen, rc, "cannot create an event loop: %s", uv_strerror(rc));
	w->stop.data = w;
	w->sweep.data = w;
	w->beat.data = w;
	uv_async_init(&w->loop, &w->stop, on_stop);
	uv_timer_init(&w->loop, &w->sweep);
	uv_timer_init(&w->loop, &w->beat);
	uv_idle_init(&w->loop, &w->tcp_resume);
	w->tcp_resume.data = w;
	w->loop_ready = 1;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		const struct cfg_addr *a = &cfg->listen[i];
		char why[256];
		w->udp[i] = udp_open(w, (const struct sockaddr *)&a->ss, a->len, why, sizeof(why));
		if (w->udp[i] == NULL)
			return err_set(err, errlen, -EADDRNOTAVAIL, "%s: %s", a->text, why);
		/* The UDP thread records into a ring of its own (one producer each). */
		if (cfg->tracking.enabled && (udp_ctx(w->udp[i])->ring = track_ring_create(RING_SIZE)) == NULL)
			return err_set(err, errlen, -ENOMEM, "out of memory");
		w->tcp[i] = tcp_open(w, (const struct sockaddr *)&a->ss, a->len, why, sizeof(why));
		if (w->tcp[i] == NULL)
			return err_set(err, errlen, -EADDRNOTAVAIL, "%s: %s", a->text, why);
	}
	return 0;
}

/* SO_REUSEPORT would let us join another live process's sockets and
 * silently split its traffic. Bind each address once without it first:
 * if that fails, the address is someone else's. */
static int probe_free(const struct cfg_addr *a, char *err, size_t errlen)
{
	for (int t = 0; t < 2; t++) {
		int type = t ? SOCK_STREAM : SOCK_DGRAM;
		int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0), on = 1, rc;
		if (fd < 0)
			continue;
		if (a->ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (type == SOCK_STREAM) /* a TIME_WAIT from our own last run is no owner */
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		rc = bind(fd, (const struct sockaddr *)&a->ss, a->len);
		if (rc < 0) {
			rc = err_set(err, errlen, -errno, "%s (%s): cannot bind: %s", a->text, t ? "tcp" : "udp",
			             strerror(errno));
			close(fd);
			return rc;
		}
		close(fd);
	}
	return 0;
}

int workers_create(const struct config *cfg, struct worker_set **out, char *err, size_t errlen)
{
	int rc;

	for (size_t i = 0; i < cfg->n_listen; i++)
		if ((rc = probe_free(&cfg->listen[i], err, errlen)) < 0)
			return rc;

	struct worker_set *set = calloc(1, sizeof(*set));
	unsigned n = cfg->workers ? cfg->workers : 1;

	if (set == NULL || (set->w = calloc(n, sizeof(*set->w))) == NULL) {
		free(set);
		return err_set(err, errlen, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < n; i++) {
		set->n = i + 1;
		if ((rc = worker_init(&set->w[i], (int)i, cfg, err, errlen)) < 0) {
			workers_destroy(set);
			return rc;
		}
	}
	*out = set;
	return 0;
}

static void on_beat(uv_timer_t *t)
{
	struct worker *w = t->data;
	atomic_fetch_add_explicit(&w->heartbeat, 1, memory_order_relaxed);
}

void workers_set_heartbeat(struct worker_set *set, uint64_t ms)
{
	for (size_t i = 0; i < set->n; i++)
		set->w[i].beat_ms = ms;
}

size_t workers_threads(const struct worker_set *set)
{
	return set->n * (1 + (set->n ? set->w[0].n_sockets : 0));
}

uint64_t workers_heartbeat(const struct worker_set *set, size_t i)
{
	if (i < set->n)
		return atomic_load_explicit(&set->w[i].heartbeat, memory_order_relaxed);
	i -= set->n;
	return udp_heartbeat(set->w[i / set->w[0].n_sockets].udp[i % set->w[0].n_sockets]);
}

void workers_thread_name(const struct worker_set *set, size_t i, char *out, size_t outlen)
{
	if (i < set->n) {
		snprintf(out, outlen, "worker %zu", i);
		return;
	}
	i -= set->n;
	snprintf(out, outlen, "worker %zu UDP thread %zu", i / set->w[0].n_sockets, i % set->w[0].n_sockets);
}

/* Returns 0 or a negative errno-style code. */
static int worker_start(struct worker *w)
{
	int rc;

	w->rcu_slot = rcu_reader_register();
	if (w->rcu_slot < 0)
		return -ENOSPC;
	for (size_t s = 0; s < w->n_sockets; s++) {
		if ((rc = udp_start(w->udp[s], (int)s)) < 0 || (rc = tcp_start(w->tcp[s])) < 0)
			return rc;
	}
	/* Started before the thread, like the sockets: the loop is not yet run. */
	if (w->beat_ms > 0 && (rc = uv_timer_start(&w->beat, on_beat, 0, w->beat_ms)) < 0)
		return rc;
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0)
		return -rc;
	w->thread_started = 1;
	return 0;
}

int workers_start(struct worker_set *set)
{
	sigset_t all, old;
	int rc = 0;

	/* Workers inherit a mask that blocks every signal: the main loop's
	 * uv_signal_t handles them, and the fast path never sees EINTR. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t i = 0; i < set->n && rc == 0; i++)
		rc = worker_start(&set->w[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void workers_destroy(struct worker_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		struct worker *w = &set->w[i];
		if (w->thread_started) {
			uv_async_send(&w->stop);
			pthread_join(w->thread, NULL);
		} else if (w->loop_ready) {
			/* Never started: close the handles in this thread. */
			on_stop(&w->stop);
			uv_run(&w->loop, UV_RUN_DEFAULT);
		}
		/* Every handle was closed by on_stop(): EBUSY here is a leak. */
		if (w->loop_ready && uv_loop_close(&w->loop) != 0)
			log_error("worker %d: handles left open at exit", w->id);
		for (size_t s = 0; s < w->n_sockets; s++) {
			if (w->udp)
				udp_free(w->udp[s]);
			if (w->tcp)
				tcp_free(w->tcp[s]);
		}
		rcu_reader_unregister(w->rcu_slot);
		track_ring_free(w->ctx.ring);
		free(w->udp);
		free(w->tcp);
		free(w->tcp_scratch);
	}
	free(set->w);
	free(set);
}

size_t workers_drain(struct worker_set *set, size_t (*drain)(void *arg, struct track_ring *r), void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct worker *w = &set->w[i];
		if (w->ctx.ring != NULL)
			n += drain(arg, w->ctx.ring);
		for (size_t s = 0; s < w->n_sockets; s++)
			if (w->udp[s] != NULL && udp_ctx(w->udp[s])->ring != NULL)
				n += drain(arg, udp_ctx(w->udp[s])->ring);
	}
	return n;
}

uint64_t workers_ring_dropped(const struct worker_set *set)
{
	uint64_t n = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct worker *w = &set->w[i];
		if (w->ctx.ring != NULL)
			n += track_ring_dropped(w->ctx.ring);
		for (size_t s = 0; s < w->n_sockets; s++)
			if (w->udp[s] != NULL && udp_ctx(w->udp[s])->ring != NULL)
				n += track_ring_dropped(udp_ctx(w->udp[s])->ring);
	}
	return n;
}

void workers_rrl_counts(const struct worker_set *set, uint64_t *slipped, uint64_t *dropped)
{
	*slipped = *dropped = 0;
	for (size_t i = 0; i < set->n; i++)
		for (size_t k = 0; k < set->w[i].n_sockets; k++) {
			uint64_t s, d;
			udp_rrl_counts(set->w[i].udp[k], &s, &d);
			*slipped += s;
			*dropped += d;
		}
}

void workers_stats(const struct worker_set *set, struct answer_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t t = 0; t < workers_threads(set); t++) {
		/* Each worker's loop (TCP), then each of its UDP threads. */
		struct worker *w = &set->w[t < set->n ? t : (t - set->n) / set->w[0].n_sockets];
		struct answer_stats *s =
		    t < set->n ? &w->ctx.stats : &udp_ctx(w->udp[(t - set->n) % set->w[0].n_sockets])->stats;
		for (int p = 0; p < 2; p++)
			for (int q = 0; q < QT__COUNT; q++)
				stat_add(&sum->queries[p][q], stat_get(&s->queries[p][q]));
		for (int r = 0; r < 24; r++)
			stat_add(&sum->rcodes[r], stat_get(&s->rcodes[r]));
		stat_add(&sum->dropped, stat_get(&s->dropped));
		stat_add(&sum->truncated, stat_get(&s->truncated));
	}
}
