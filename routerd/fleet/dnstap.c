/* SPDX-License-Identifier: BSD-3-Clause */
/* dnstap.c -- the collector's sockets and thread (see dnstap.h). */
#include "fleet/dnstap.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "fleet/dnstap_parse.h"
#include "lib/log.h"
#include "lib/ring.h"
#include "zone/view.h"

/* Observations between two drains of the tracker (every 100 ms): at
 * 200,000 messages a second one drain period is 20,000; four times that
 * absorbs a stalled drain. */
#define RING_SIZE (1u << 17)
/* Connections at once: a fleet is tens of servers, each with a few
 * streams (BIND and Knot open one per worker thread at most). */
#define MAX_CONNS 256
/* A connection's buffer starts here and grows to hold the longest frame. */
#define BUF_START (64u * 1024u)
#define BUF_MAX (DT_FRAME_MAX + 64u * 1024u)
/* Rate limit of the bad-stream log line. */
#define LOG_EVERY_NS 1000000000ull
#define NAME_MAX_LEN 63

struct dserver {
	char name[NAME_MAX_LEN + 1];
	_Atomic uint64_t queries, responses, observations, undecided, last_ns;
	_Atomic int connections;
};

/* A Unix or TCP stream, seen as whichever libuv type a call takes. */
union stream_handle {
	uv_handle_t h;
	uv_stream_t s;
	uv_pipe_t pipe;
	uv_tcp_t tcp;
};

struct listener {
	union stream_handle u;
	struct dnstap *d;
	char *path; /* Unix socket to remove at stop; NULL for TCP */
	int inited; /* the handle is initialised: close it */
};

struct conn {
	union stream_handle u;
	struct dnstap *d;
	struct conn *next, *prev;
	uint8_t *buf;
	size_t len, cap;
	struct dt_fs fs;
	char label[64];        /* the peer, for logs and as a name without identity */
	unsigned server;       /* server of the latest identity seen (0: none yet) */
	uint8_t ident[NAME_MAX_LEN + 1];
	size_t ident_len;
	int closing, counted;  /* counted: servers[server].connections holds it */
};

struct dnstap {
	uv_loop_t loop;
	uv_async_t wake;
	pthread_t thread;
	int loop_ready, thread_running;
	struct listener *ls;
	size_t n_ls;
	struct conn *conns;
	size_t n_conns;
	struct track_ring *ring;
	_Atomic(struct dt_matcher *) pending; /* from the control thread */
	struct dt_matcher *cur;               /* the collector thread's */
	struct dt_scratch *scratch;
	struct dnstap_hooks hooks;
	size_t since_kick;
	/* Names are written by the collector thread before n_servers is
	 * released, and read by others after acquiring it. */
	struct dserver servers[DNSTAP_SERVERS];
	_Atomic unsigned n_servers; /* 1 + named servers */
	_Atomic uint64_t frames, other, not_switched, refused_servers, connections_total, refused_conns;
	_Atomic uint64_t errors[DT_N_ERRORS];
	_Atomic size_t open;
	_Atomic size_t n_switches; /* in cur, for status */
	uint64_t log_last_ns, log_suppressed;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void bump(_Atomic uint64_t *c)
{
	/* One writer (the collector thread): no locked instruction needed. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1, memory_order_relaxed);
}

/* ---- servers ------------------------------------------------------------------ */

/* Server number of NAME (LEN bytes, not NUL-terminated), added when new;
 * 0 when the table is full. */
static unsigned server_of(struct dnstap *d, const uint8_t *name, size_t len)
{
	char clean[NAME_MAX_LEN + 1];
	unsigned n = atomic_load_explicit(&d->n_servers, memory_order_relaxed);

	if (len > NAME_MAX_LEN)
		len = NAME_MAX_LEN;
	/* The name goes into logs, JSON and metric labels: printable ASCII
	 * without quotes or backslashes. */
	for (size_t i = 0; i < len; i++)
		clean[i] = name[i] > ' ' && name[i] < 127 && name[i] != '"' && name[i] != '\\' ? (char)name[i] : '_';
	clean[len] = 0;
	for (unsigned i = 1; i < n; i++)
		if (strcmp(d->servers[i].name, clean) == 0)
			return i;
	if (n >= DNSTAP_SERVERS) {
		bump(&d->refused_servers);
		return 0;
	}
	memcpy(d->servers[n].name, clean, len + 1);
	atomic_store_explicit(&d->n_servers, n + 1, memory_order_release);
	log_notice("dnstap: new server %s (number %u)", clean, n);
	if (d->hooks.server != NULL)
		d->hooks.server(d->hooks.arg, n, clean);
	return n;
}

static void conn_server(struct conn *c, unsigned server)
{
	struct dnstap *d = c->d;
	if (c->server == server)
		return;
	if (c->counted)
		atomic_fetch_sub(&d->servers[c->server].connections, 1);
	c->server = server;
	c->counted = server != 0;
	if (c->counted)
		atomic_fetch_add(&d->servers[server].connections, 1);
}

/* The server of message M on C: its identity, else the connection. */
static unsigned message_server(struct conn *c, const struct dt_msg *m)
{
	const uint8_t *id = m->identity ? m->identity : (const uint8_t *)c->label;
	size_t len = m->identity ? m->identity_len : strlen(c->label);
	if (len > NAME_MAX_LEN)
		len = NAME_MAX_LEN;
	if (c->server != 0 && len == c->ident_len && memcmp(id, c->ident, len) == 0)
		return c->server;
	memcpy(c->ident, id, len);
	c->ident_len = len;
	conn_server(c, server_of(c->d, id, len));
	return c->server;
}

/* ---- one frame ------------------------------------------------------------------- */

static int on_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct conn *c = arg;
	struct dnstap *d = c->d;
	struct dt_msg m;
	struct track_obs o;
	unsigned s;
	int rc;

	bump(&d->frames);
	if ((rc = dt_decode(d->scratch, d->cur, frame, len, &m)) < 0)
		return rc;
	if (m.kind == DT_OTHER) {
		bump(&d->other);
		return 0;
	}
	if ((s = message_server(c, &m)) == 0)
		return 0;
	struct dserver *sv = &d->servers[s];
	if (m.time_ns > atomic_load_explicit(&sv->last_ns, memory_order_relaxed))
		atomic_store_explicit(&sv->last_ns, m.time_ns, memory_order_relaxed);
	/* Queries are counted; responses carry the side, so they are what
	 * is tracked (a server logging both would count each query twice). */
	if (m.kind == DT_AUTH_QUERY) {
		bump(&sv->queries);
		return 0;
	}
	bump(&sv->responses);
	if (m.switch_id < 0) {
		bump(&d->not_switched);
		return 0;
	}
	if (m.side < 0 || m.family == 0 || m.time_ns == 0) {
		bump(&sv->undecided);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.time_ns = m.time_ns;
	o.switch_id = (uint32_t)m.switch_id;
	o.qtype = m.qtype;
	o.family = m.family;
	o.ecs_family = m.ecs_family;
	o.ecs_prefix = m.ecs_prefix;
	o.side = (uint8_t)m.side;
	o.server = (uint8_t)s;
	memcpy(o.addr, m.addr, 16);
	memcpy(o.ecs_addr, m.ecs_addr, 16);
	if (track_ring_push(d->ring, &o))
		bump(&sv->observations);
	/* A flood fills the ring faster than the tracker's tick empties it. */
	if (++d->since_kick >= RING_SIZE / 4) {
		d->since_kick = 0;
		if (d->hooks.backlog != NULL)
			d->hooks.backlog(d->hooks.arg);
	}
	return 0;
}

/* ---- connections --------------------------------------------------------------------- */

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct dnstap *d = c->d;
	conn_server(c, 0);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	atomic_store(&d->open, atomic_load(&d->open) - 1);
	dt_fs_free(&c->fs);
	free(c->buf);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close(&c->u.h, on_conn_closed);
}

/* Count, log (at most once a second) and close. */
static void bad_stream(struct conn *c, int rc)
{
	struct dnstap *d = c->d;
	uint64_t now = mono_ns();

	if (rc < 0 && -rc <= DT_N_ERRORS)
		bump(&d->errors[-rc - 1]);
	if (now - d->log_last_ns >= LOG_EVERY_NS || d->log_last_ns == 0) {
		if (d->log_suppressed)
			log_warning("dnstap: %s: bad frame stream (%s), connection closed (%llu more since the last such line)",
			            c->label, dt_strerror(rc), (unsigned long long)d->log_suppressed);
		else
			log_warning("dnstap: %s: bad frame stream (%s), connection closed", c->label, dt_strerror(rc));
		d->log_last_ns = now;
		d->log_suppressed = 0;
	} else {
		d->log_suppressed++;
	}
	conn_close(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
	struct conn *c = h->data;
	(void)suggested;
	if (c->cap - c->len < BUF_START / 4 && c->cap < BUF_MAX) {
		size_t cap = c->cap * 2 < BUF_MAX ? c->cap * 2 : BUF_MAX;
		uint8_t *b = realloc(c->buf, cap);
		if (b != NULL) {
			c->buf = b;
			c->cap = cap;
		}
	}
	*out = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

struct reply {
	uv_write_t req;
	uint8_t data[];
};

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
}

static void send_reply(struct conn *c, const uint8_t *data, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	int n = uv_try_write(&c->u.s, &b, 1);
	if (n == (int)len)
		return;
	if (n < 0 && n != UV_EAGAIN) {
		conn_close(c);
		return;
	}
	if (n < 0)
		n = 0;
	struct reply *r = malloc(sizeof(*r) + len - (size_t)n);
	if (r == NULL) {
		conn_close(c);
		return;
	}
	memcpy(r->data, data + n, len - (size_t)n);
	r->req.data = r;
	b = uv_buf_init((char *)r->data, (unsigned)(len - (size_t)n));
	if (uv_write(&r->req, &c->u.s, &b, 1, on_written) < 0) {
		free(r);
		conn_close(c);
	}
}

static void take_matcher(struct dnstap *d)
{
	struct dt_matcher *m = atomic_exchange(&d->pending, NULL);
	if (m != NULL) {
		dt_matcher_free(d->cur);
		d->cur = m;
		atomic_store(&d->n_switches, dt_matcher_switches(m));
	}
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	uint8_t reply[2 * (512 + 8)]; /* ACCEPT and FINISH, FSTRM_CONTROL_FRAME_LENGTH_MAX each */
	size_t rlen = 0;
	long used;

	(void)buf;
	if (c->closing)
		return;
	if (nread < 0) {
		/* The sender went away: inside a frame, or without STOP after
		 * data, is a truncated stream; a bare close is how BIND and NSD
		 * end when they restart, so only a partial frame counts. */
		if (nread == UV_EOF && c->len > 0 && c->fs.state != DT_FS_STOPPED)
			bad_stream(c, DT_E_TRUNCATED);
		else
			conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	take_matcher(c->d);
	used = dt_fs_feed(&c->fs, c->buf, c->len, on_frame, c, reply, sizeof(reply), &rlen);
	if (rlen > 0)
		send_reply(c, reply, rlen);
	if (used < 0) {
		bad_stream(c, (int)used);
		return;
	}
	memmove(c->buf, c->buf + used, c->len - (size_t)used);
	c->len -= (size_t)used;
	if (c->fs.state == DT_FS_STOPPED) {
		/* FINISH was written above (try_write, or queued: closing after
		 * the queue drains would need a callback; a lost FINISH only
		 * makes the sender reconnect sooner). */
		conn_close(c);
		return;
	}
	if (c->len == c->cap) /* cannot happen: a frame fits BUF_MAX */
		bad_stream(c, DT_E_OVERSIZED);
}

static void conn_label(struct conn *c, int is_unix)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	if (is_unix) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		uv_os_fd_t fd;
		if (uv_fileno(&c->u.h, &fd) == 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
			snprintf(c->label, sizeof(c->label), "unix-uid%u", (unsigned)cred.uid);
		else
			snprintf(c->label, sizeof(c->label), "unix");
		return;
	}
	if (uv_tcp_getpeername(&c->u.tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof(host));
		else
			uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof(host));
	}
	snprintf(c->label, sizeof(c->label), "%s", host);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct dnstap *d = l->d;
	struct conn *c;
	int rc;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->buf = malloc(BUF_START)) == NULL || dt_fs_init(&c->fs) < 0) {
		if (c != NULL) {
			dt_fs_free(&c->fs);
			free(c->buf);
		}
		free(c);
		return;
	}
	c->cap = BUF_START;
	c->d = d;
	if (l->path)
		rc = uv_pipe_init(&d->loop, &c->u.pipe, 0);
	else
		rc = uv_tcp_init(&d->loop, &c->u.tcp);
	if (rc < 0) {
		dt_fs_free(&c->fs);
		free(c->buf);
		free(c);
		return;
	}
	c->u.h.data = c;
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	atomic_store(&d->open, atomic_load(&d->open) + 1);
	if (uv_accept(server, &c->u.s) < 0) {
		conn_close(c);
		return;
	}
	if (atomic_load(&d->open) > MAX_CONNS) {
		bump(&d->refused_conns);
		conn_close(c);
		return;
	}
	bump(&d->connections_total);
	conn_label(c, l->path != NULL);
	if (uv_read_start(&c->u.s, on_alloc, on_read) < 0)
		conn_close(c);
}

/* ---- the thread ------------------------------------------------------------------------ */

/* Close every connection, the listeners and the wake-up: the loop ends. */
static void close_all(struct dnstap *d)
{
	for (struct conn *c = d->conns; c; c = c->next)
		conn_close(c);
	for (size_t i = 0; i < d->n_ls; i++)
		if (d->ls[i].inited && !uv_is_closing(&d->ls[i].u.h))
			uv_close(&d->ls[i].u.h, NULL);
	if (!uv_is_closing((uv_handle_t *)&d->wake))
		uv_close((uv_handle_t *)&d->wake, NULL);
}

static void on_wake(uv_async_t *h)
{
	close_all(h->data);
}

static void *collector_main(void *arg)
{
	struct dnstap *d = arg;
	pthread_setname_np(pthread_self(), "routerd-dnstap");
	uv_run(&d->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* A stale socket from a previous run is removed; any other file is not ours. */
static int bind_unix(struct dnstap *d, struct listener *l, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "fleet.dnstap.listen: %s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	if ((rc = uv_pipe_init(&d->loop, &l->u.pipe, 0)) < 0) {
		snprintf(err, errlen, "fleet.dnstap.listen: unix:%s: %s", path, uv_strerror(rc));
		return rc;
	}
	l->inited = 1;
	l->u.h.data = l;
	if ((rc = uv_pipe_bind(&l->u.pipe, path)) < 0) {
		snprintf(err, errlen, "fleet.dnstap.listen: cannot bind unix:%s: %s", path, uv_strerror(rc));
		return rc;
	}
	/* Owner and group: the secondaries' users join routerd's group (README). */
	chmod(path, 0660);
	l->path = strdup(path);
	return l->path ? 0 : -ENOMEM;
}

static int bind_tcp(struct dnstap *d, struct listener *l, const struct cfg_addr *a, char *err, size_t errlen)
{
	int rc;
	if ((rc = uv_tcp_init(&d->loop, &l->u.tcp)) < 0) {
		snprintf(err, errlen, "fleet.dnstap.listen: %s: %s", a->text, uv_strerror(rc));
		return rc;
	}
	l->inited = 1;
	l->u.h.data = l;
	if ((rc = uv_tcp_bind(&l->u.tcp, (const struct sockaddr *)&a->ss, 0)) < 0) {
		snprintf(err, errlen, "fleet.dnstap.listen: cannot bind %s: %s", a->text, uv_strerror(rc));
		return rc;
	}
	return 0;
}

struct dnstap *dnstap_start(const struct cfg_dnstap *cfg, const struct dnstap_hooks *hooks, char *err,
                            size_t errlen)
{
	struct dnstap *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL || (d->ring = track_ring_create(RING_SIZE)) == NULL || (d->scratch = dt_scratch_new()) == NULL ||
	    (d->ls = calloc(cfg->n_listen, sizeof(*d->ls))) == NULL) {
		snprintf(err, errlen, "dnstap: out of memory");
		goto fail;
	}
	d->hooks = *hooks;
	atomic_init(&d->n_servers, 1);
	snprintf(d->servers[0].name, sizeof(d->servers[0].name), "routerd");
	if ((rc = uv_loop_init(&d->loop)) < 0) {
		snprintf(err, errlen, "dnstap: cannot create a loop: %s", uv_strerror(rc));
		goto fail;
	}
	d->loop_ready = 1;
	uv_async_init(&d->loop, &d->wake, on_wake);
	d->wake.data = d;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		const struct cfg_dnstap_listen *cl = &cfg->listen[i];
		struct listener *l = &d->ls[i];
		l->d = d;
		rc = cl->path ? bind_unix(d, l, cl->path, err, errlen) : bind_tcp(d, l, &cl->addr, err, errlen);
		d->n_ls++;
		if (rc < 0)
			goto fail;
		/* 64: a fleet reconnecting at once after our restart. */
		if ((rc = uv_listen(&l->u.s, 64, on_connection)) < 0) {
			snprintf(err, errlen, "fleet.dnstap.listen: cannot listen on %s: %s",
			         cl->path ? cl->path : cl->addr.text, uv_strerror(rc));
			goto fail;
		}
	}
	if (pthread_create(&d->thread, NULL, collector_main, d) != 0) {
		snprintf(err, errlen, "dnstap: cannot start the collector thread");
		goto fail;
	}
	d->thread_running = 1;
	return d;
fail:
	dnstap_stop(d);
	return NULL;
}

void dnstap_stop(struct dnstap *d)
{
	if (d == NULL)
		return;
	if (d->thread_running) {
		uv_async_send(&d->wake);
		pthread_join(d->thread, NULL);
	} else if (d->loop_ready) {
		close_all(d);
		uv_run(&d->loop, UV_RUN_DEFAULT);
	}
	if (d->loop_ready && uv_loop_close(&d->loop) != 0)
		log_error("dnstap: handles left open at exit");
	for (size_t i = 0; i < d->n_ls; i++) {
		if (d->ls[i].path != NULL)
			unlink(d->ls[i].path);
		free(d->ls[i].path);
	}
	free(d->ls);
	dt_matcher_free(d->cur);
	dt_matcher_free(atomic_exchange(&d->pending, NULL));
	dt_scratch_free(d->scratch);
	track_ring_free(d->ring);
	free(d);
}

void dnstap_set_view(struct dnstap *d, const struct view *v)
{
	struct dt_matcher *m;
	if (d == NULL)
		return;
	if ((m = dt_matcher_build(v)) == NULL) {
		log_error("dnstap: out of memory building the switch sides: answers are compared with the previous ones");
		return;
	}
	/* The collector takes it before it reads the next bytes; one it never
	 * took is freed here. */
	dt_matcher_free(atomic_exchange(&d->pending, m));
}

size_t dnstap_drain(struct dnstap *d, size_t (*fn)(void *arg, struct track_ring *r), void *arg)
{
	return d ? fn(arg, d->ring) : 0;
}

static unsigned long long get(_Atomic uint64_t *c)
{
	return (unsigned long long)atomic_load_explicit(c, memory_order_relaxed);
}

void dnstap_metrics(struct dnstap *d, FILE *f)
{
	unsigned n;
	if (d == NULL)
		return;
	n = atomic_load_explicit(&d->n_servers, memory_order_acquire);
	fprintf(f,
	        "# HELP routerd_dnstap_connections Frame Streams connections open.\n"
	        "# TYPE routerd_dnstap_connections gauge\nrouterd_dnstap_connections %zu\n"
	        "# HELP routerd_dnstap_connections_total Frame Streams connections accepted.\n"
	        "# TYPE routerd_dnstap_connections_total counter\nrouterd_dnstap_connections_total %llu\n"
	        "# HELP routerd_dnstap_frames_total Data frames read.\n"
	        "# TYPE routerd_dnstap_frames_total counter\nrouterd_dnstap_frames_total %llu\n"
	        "# HELP routerd_dnstap_ignored_total Messages that are not AUTH_QUERY or AUTH_RESPONSE, or for names not switched.\n"
	        "# TYPE routerd_dnstap_ignored_total counter\n"
	        "routerd_dnstap_ignored_total{reason=\"type\"} %llu\nrouterd_dnstap_ignored_total{reason=\"not_switched\"} %llu\n"
	        "# HELP routerd_dnstap_dropped_total Observations dropped because the tracker fell behind.\n"
	        "# TYPE routerd_dnstap_dropped_total counter\nrouterd_dnstap_dropped_total %llu\n"
	        "# HELP routerd_dnstap_refused_total Connections over the limit, or servers over the table's size.\n"
	        "# TYPE routerd_dnstap_refused_total counter\n"
	        "routerd_dnstap_refused_total{what=\"connection\"} %llu\nrouterd_dnstap_refused_total{what=\"server\"} %llu\n"
	        "# HELP routerd_dnstap_bad_streams_total Connections closed for a bad frame stream, by reason.\n"
	        "# TYPE routerd_dnstap_bad_streams_total counter\n",
	        atomic_load(&d->open), get(&d->connections_total), get(&d->frames), get(&d->other), get(&d->not_switched),
	        (unsigned long long)track_ring_dropped(d->ring), get(&d->refused_conns), get(&d->refused_servers));
	for (int i = 0; i < DT_N_ERRORS; i++)
		fprintf(f, "routerd_dnstap_bad_streams_total{reason=\"%s\"} %llu\n", dt_strerror(-i - 1), get(&d->errors[i]));
	fprintf(f, "# HELP routerd_dnstap_messages_total AUTH_QUERY and AUTH_RESPONSE messages by server.\n"
	           "# TYPE routerd_dnstap_messages_total counter\n");
	for (unsigned i = 1; i < n; i++)
		fprintf(f,
		        "routerd_dnstap_messages_total{server=\"%s\",type=\"auth_query\"} %llu\n"
		        "routerd_dnstap_messages_total{server=\"%s\",type=\"auth_response\"} %llu\n",
		        d->servers[i].name, get(&d->servers[i].queries), d->servers[i].name, get(&d->servers[i].responses));
	fprintf(f, "# HELP routerd_dnstap_observations_total Responses for switched names tracked, by server.\n"
	           "# TYPE routerd_dnstap_observations_total counter\n");
	for (unsigned i = 1; i < n; i++)
		fprintf(f, "routerd_dnstap_observations_total{server=\"%s\"} %llu\n", d->servers[i].name,
		        get(&d->servers[i].observations));
	fprintf(f, "# HELP routerd_dnstap_undecided_total Responses for switched names whose records match neither side only.\n"
	           "# TYPE routerd_dnstap_undecided_total counter\n");
	for (unsigned i = 1; i < n; i++)
		fprintf(f, "routerd_dnstap_undecided_total{server=\"%s\"} %llu\n", d->servers[i].name,
		        get(&d->servers[i].undecided));
}

json_t *dnstap_status(struct dnstap *d)
{
	json_t *servers, *errors, *r;
	unsigned n;
	struct timespec ts;

	if (d == NULL)
		return json_null();
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	n = atomic_load_explicit(&d->n_servers, memory_order_acquire);
	servers = json_array();
	for (unsigned i = 1; i < n; i++) {
		struct dserver *s = &d->servers[i];
		uint64_t last = atomic_load(&s->last_ns);
		json_array_append_new(servers, json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:o}", "server", s->name,
		                                         "connections", atomic_load(&s->connections), "queries",
		                                         (json_int_t)get(&s->queries), "responses",
		                                         (json_int_t)get(&s->responses), "observations",
		                                         (json_int_t)get(&s->observations), "undecided",
		                                         (json_int_t)get(&s->undecided), "last_seen_s",
		                                         last ? json_real(now - (double)last / 1e9) : json_null()));
	}
	errors = json_object();
	for (int i = 0; i < DT_N_ERRORS; i++)
		json_object_set_new(errors, dt_strerror(-i - 1), json_integer((json_int_t)get(&d->errors[i])));
	r = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "connections", (json_int_t)atomic_load(&d->open),
	              "frames", (json_int_t)get(&d->frames), "not_switched", (json_int_t)get(&d->not_switched),
	              "dropped", (json_int_t)track_ring_dropped(d->ring), "switches",
	              (json_int_t)atomic_load(&d->n_switches), "bad_streams", errors, "servers", servers);
	return r;
}
