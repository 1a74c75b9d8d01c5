/* SPDX-License-Identifier: BSD-3-Clause */
/* tcp.c -- see tcp.h. */
#include "dns/tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "dns/answer.h"
#include "lib/log.h"
#include "lib/rcu.h"
#include "zone/view.h"
#include "dns/worker.h"

/* A DNS message over TCP is at most 65535 bytes after its 2-byte length
 * (RFC 1035 4.2.2). */
#define MSG_MAX 65535
/* Read buffer a connection starts with: a few typical queries (RFC 7766
 * 6.2.1.1 pipelining). It grows to the size of a larger message when one
 * arrives, so an idle connection costs ~1 KiB instead of 64. */
#define RX_INITIAL 1024
/* Write buffers are allocated in steps of this, so a buffer freed by one
 * answer fits most of the next ones and is reused. */
#define TX_STEP 512
/* Backpressure: no further query of a connection is answered while more
 * than WRITE_HIGH bytes of its answers are unsent (checked before every
 * answer, so at most one answer more, 64 KiB + 2, goes over it); reading
 * resumes when the client has taken all but WRITE_LOW of them. With the
 * read buffer (at most 64 KiB + 2) this bounds what a client that never
 * reads can make a worker hold: about 32 + 64 + 64 KiB. */
#define WRITE_HIGH (32u << 10)
#define WRITE_LOW (8u << 10)
/* Answers per connection per turn of the loop: a client pipelining
 * thousands of queries in one read waits for its next turn behind the
 * others instead of holding the worker. */
#define ANSWERS_PER_TURN 32
/* The kernel's send buffer per connection (Linux doubles it): room for a
 * few full-size answers. Left to autotuning it grows to megabytes, which a
 * client that never reads makes routerd fill, answer by answer, before
 * the backpressure above has anything to count. */
#define SNDBUF (64 << 10)
/* Accept queue of each worker's listening socket; the kernel spreads new
 * connections over the workers' sockets, so the total is this times the
 * number of workers. */
#define BACKLOG 128

struct tcp_listener {
	struct worker *w;
	int fd;
	uv_tcp_t handle;
	int started; /* handle initialised: needs uv_close() */
	int owned;   /* the handle owns fd: uv_close() closes it */
	time_t last_error_log;
};

/* One response on its way out; kept on the connection's free list after
 * its write completes, and reused (RFC 7766 answers queue up per client). */
struct write_req {
	uv_write_t req;
	struct tcp_conn *conn;
	struct write_req *next; /* free list */
	size_t cap;
	size_t len; /* of the answer in flight */
	uint8_t data[];
};

struct tcp_conn {
	uv_tcp_t handle;
	struct worker *w;
	struct tcp_conn *prev, *next; /* worker's list, least recently active first */
	uint64_t last_active;         /* loop time of the last complete query (ms) */
	uint8_t *buf;                 /* bytes received, not yet a complete message */
	size_t len, cap;
	struct write_req *free_reqs;
	unsigned pending;     /* writes in flight */
	size_t pending_bytes; /* their size: answers not yet taken by the client */
	int paused;           /* answering stopped until the client reads its answers */
	int reading;          /* uv_read_start() in effect */
	int queued;           /* on the worker's resume list: more queries to answer next turn */
	struct tcp_conn *rprev, *rnext; /* the resume list */
	int eof;          /* client finished sending: close once answers are out */
	int closing;
	struct sockaddr_storage peer; /* the resolver, for tracking */
};

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void arm_sweep(struct worker *w, uint64_t due_ms);
static void process(struct tcp_conn *c);
static void on_resume(uv_idle_t *h);

struct tcp_listener *tcp_open(struct worker *w, const struct sockaddr *addr, socklen_t len, char *err,
                              size_t errlen)
{
	struct tcp_listener *t;
	int fd = worker_bind_socket(addr, len, SOCK_STREAM);

	if (fd < 0) {
		snprintf(err, errlen, "cannot bind TCP socket: %s", strerror(-fd));
		return NULL;
	}
	if (listen(fd, BACKLOG) < 0) {
		snprintf(err, errlen, "cannot listen: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->w = w;
	t->fd = fd;
	return t;
}

static void list_remove(struct worker *w, struct tcp_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conn_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		w->conn_tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct worker *w, struct tcp_conn *c)
{
	c->prev = w->conn_tail;
	c->next = NULL;
	if (w->conn_tail)
		w->conn_tail->next = c;
	else
		w->conn_head = c;
	w->conn_tail = c;
}

/* A complete query restarts the idle timer (RFC 7766 6.2.3): moving the
 * connection to the tail keeps the list sorted by deadline, so the sweep
 * only ever looks at the head. */
static void touch(struct tcp_conn *c)
{
	struct worker *w = c->w;
	c->last_active = uv_now(&w->loop);
	if (w->conn_tail != c) {
		list_remove(w, c);
		list_append(w, c);
	}
}

static void resume_remove(struct tcp_conn *c)
{
	struct worker *w = c->w;
	if (!c->queued)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		w->resume_head = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	c->rprev = c->rnext = NULL;
	c->queued = 0;
	if (w->resume_head == NULL)
		uv_idle_stop(&w->tcp_resume);
}

static void resume_add(struct tcp_conn *c)
{
	struct worker *w = c->w;
	if (c->queued)
		return;
	c->queued = 1;
	c->rprev = NULL;
	c->rnext = w->resume_head;
	if (w->resume_head)
		w->resume_head->rprev = c;
	w->resume_head = c;
	if (!uv_is_active((uv_handle_t *)&w->tcp_resume)) {
		w->tcp_resume.data = w;
		uv_idle_start(&w->tcp_resume, on_resume);
	}
}

static void on_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;
	while (c->free_reqs != NULL) {
		struct write_req *r = c->free_reqs;
		c->free_reqs = r->next;
		free(r);
	}
	free(c->buf);
	free(c);
}

/* Pending writes are cancelled by uv_close(); their callbacks run (with
 * UV_ECANCELED) before on_closed(), so the connection outlives them. */
static void conn_close(struct tcp_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	resume_remove(c);
	list_remove(c->w, c);
	c->w->n_conns--;
	uv_close((uv_handle_t *)&c->handle, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tcp_conn *c = h->data;
	(void)suggested;
	/* on_read() keeps room for at least the rest of the current message. */
	buf->base = (char *)c->buf + c->len;
	buf->len = c->cap - c->len;
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *wr = (struct write_req *)req;
	struct tcp_conn *c = wr->conn;

	wr->next = c->free_reqs;
	c->free_reqs = wr;
	c->pending--;
	c->pending_bytes -= wr->len;
	if (c->closing)
		return;
	if (status < 0) { /* reset by the peer: nothing more will arrive */
		conn_close(c);
		return;
	}
	if (c->paused && c->pending_bytes <= WRITE_LOW) {
		c->paused = 0;
		process(c);
		return;
	}
	if (c->eof && c->pending == 0 && !c->paused && !c->queued)
		conn_close(c);
}

static struct write_req *get_req(struct tcp_conn *c, size_t need)
{
	struct write_req **p, *wr;

	for (p = &c->free_reqs; *p != NULL; p = &(*p)->next) {
		if ((*p)->cap >= need) {
			wr = *p;
			*p = wr->next;
			return wr;
		}
	}
	need = (need + TX_STEP - 1) / TX_STEP * TX_STEP;
	wr = malloc(sizeof(*wr) + need);
	if (wr == NULL)
		return NULL;
	wr->conn = c;
	wr->cap = need;
	return wr;
}

/* Answer one complete message; returns -1 when the connection must close. */
static int answer_one(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	struct worker *w = c->w;
	struct write_req *wr;
	size_t out;
	uv_buf_t b;

	rcu_read_lock(w->rcu_slot);
	out = answer_query(view_current(), msg, len, w->tcp_scratch, MSG_MAX, ANSWER_TCP,
	                   (struct sockaddr *)&c->peer, &w->ctx);
	rcu_read_unlock(w->rcu_slot);
	if (out == 0) /* not a query we can answer: the stream is not DNS */
		return -1;
	wr = get_req(c, 2 + out);
	if (wr == NULL)
		return -1;
	wr->data[0] = (uint8_t)(out >> 8);
	wr->data[1] = (uint8_t)out;
	memcpy(wr->data + 2, w->tcp_scratch, out);
	b = uv_buf_init((char *)wr->data, (unsigned)(2 + out));
	if (uv_write(&wr->req, (uv_stream_t *)&c->handle, &b, 1, on_written) < 0) {
		wr->next = c->free_reqs;
		c->free_reqs = wr;
		return -1;
	}
	wr->len = 2 + out;
	c->pending++;
	c->pending_bytes += 2 + out;
	return 0;
}

static void set_reading(struct tcp_conn *c, int on)
{
	if (on == c->reading)
		return;
	c->reading = on;
	if (on) {
		if (uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read) < 0)
			conn_close(c);
	} else {
		uv_read_stop((uv_stream_t *)&c->handle);
	}
}

/* Answer the complete messages in the buffer, in order (pipelined queries,
 * RFC 7766 6.2.1.1), at most ANSWERS_PER_TURN of them and only while the
 * client takes its answers; read more only when none is left waiting. */
static void process(struct tcp_conn *c)
{
	size_t off = 0;
	int n = 0, more = 0;

	while (c->len - off >= 2) {
		size_t mlen = (size_t)c->buf[off] << 8 | c->buf[off + 1];
		if (mlen < 12) { /* not even a header: nothing sensible follows */
			conn_close(c);
			return;
		}
		if (c->len - off - 2 < mlen)
			break;
		if (c->pending_bytes > WRITE_HIGH) {
			c->paused = 1;
			break;
		}
		if (n == ANSWERS_PER_TURN) {
			more = 1;
			break;
		}
		if (answer_one(c, c->buf + off + 2, mlen) < 0) {
			conn_close(c);
			return;
		}
		n++;
		off += 2 + mlen;
		touch(c);
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	/* Room for the whole of the message whose length we know. */
	if (c->len >= 2) {
		size_t need = 2 + ((size_t)c->buf[0] << 8 | c->buf[1]);
		if (need > c->cap) {
			uint8_t *nb = realloc(c->buf, need);
			if (nb == NULL) {
				conn_close(c);
				return;
			}
			c->buf = nb;
			c->cap = need;
		}
	}
	if (more)
		resume_add(c);
	if (c->eof) {
		if (c->pending == 0 && !c->paused && !more)
			conn_close(c);
		return;
	}
	set_reading(c, !c->paused && !more);
}

static void on_resume(uv_idle_t *h)
{
	struct worker *w = h->data;
	struct tcp_conn *list = w->resume_head;

	/* Detach the list: what process() queues again waits for the next turn. */
	w->resume_head = NULL;
	uv_idle_stop(h);
	while (list != NULL) {
		struct tcp_conn *c = list;
		list = c->rnext;
		if (list)
			list->rprev = NULL;
		c->rprev = c->rnext = NULL;
		c->queued = 0;
		process(c);
	}
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *c = s->data;
	(void)buf;

	if (nread == UV_EOF) {
		/* The client may half-close after its last query (RFC 7766 6.2.4
		 * leaves the close to either side): send what it asked for first. */
		set_reading(c, 0);
		c->eof = 1;
		if (c->pending == 0)
			conn_close(c);
		return;
	}
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	process(c);
}

static void log_error_limited(struct tcp_listener *t, const char *what, int err)
{
	time_t now = time(NULL);
	if (now != t->last_error_log) {
		t->last_error_log = now;
		log_warning("worker %d: %s: %s", t->w->id, what, uv_strerror(err));
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct tcp_listener *t = server->data;
	struct worker *w = t->w;
	struct tcp_conn *c;
	int rc, plen;

	if (status < 0) {
		log_error_limited(t, "accept", status);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->buf = malloc(RX_INITIAL)) == NULL) {
		free(c);
		log_error_limited(t, "accept", UV_ENOMEM);
		return;
	}
	c->cap = RX_INITIAL;
	c->w = w;
	uv_tcp_init(&w->loop, &c->handle);
	c->handle.data = c;
	rc = uv_accept(server, (uv_stream_t *)&c->handle);
	if (rc < 0) {
		log_error_limited(t, "accept", rc);
		c->closing = 1;
		uv_close((uv_handle_t *)&c->handle, on_closed);
		return;
	}
	/* Full: make room by closing the longest idle client, so idle
	 * connections cannot lock others out (RFC 7766 6.2.3). */
	if (w->n_conns >= w->tcp_max_clients && w->conn_head != NULL)
		conn_close(w->conn_head);
	w->n_conns++;
	c->last_active = uv_now(&w->loop);
	list_append(w, c);
	if (!uv_is_active((uv_handle_t *)&w->sweep))
		arm_sweep(w, w->tcp_idle_ms);
	/* Answers are whole messages written at once: do not hold the last
	 * segment back waiting for an ACK. */
	uv_tcp_nodelay(&c->handle, 1);
	int sndbuf = SNDBUF;
	uv_send_buffer_size((uv_handle_t *)&c->handle, &sndbuf);
	plen = sizeof(c->peer);
	uv_tcp_getpeername(&c->handle, (struct sockaddr *)&c->peer, &plen);
	set_reading(c, 1);
}

int tcp_start(struct tcp_listener *t)
{
	int rc = uv_tcp_init(&t->w->loop, &t->handle);
	if (rc < 0)
		return rc;
	t->handle.data = t;
	t->started = 1;
	rc = uv_tcp_open(&t->handle, t->fd);
	if (rc < 0)
		return rc;
	t->owned = 1;
	return uv_listen((uv_stream_t *)&t->handle, BACKLOG, on_connection);
}

static void on_sweep(uv_timer_t *timer)
{
	tcp_sweep(timer->data);
}

static void arm_sweep(struct worker *w, uint64_t due_ms)
{
	uv_timer_start(&w->sweep, on_sweep, due_ms ? due_ms : 1, 0);
}

/* The list is sorted by last activity, so the head has the earliest
 * deadline: close what is due, then sleep until the next deadline. With
 * no connection the timer stays off until the next accept arms it. */
void tcp_sweep(struct worker *w)
{
	uint64_t now = uv_now(&w->loop);

	while (w->conn_head != NULL && now - w->conn_head->last_active >= w->tcp_idle_ms)
		conn_close(w->conn_head);
	if (w->conn_head != NULL)
		arm_sweep(w, w->conn_head->last_active + w->tcp_idle_ms - now);
}

void tcp_close_all(struct worker *w)
{
	for (size_t i = 0; i < w->n_sockets; i++) {
		struct tcp_listener *t = w->tcp[i];
		if (t != NULL && t->started && !uv_is_closing((uv_handle_t *)&t->handle))
			uv_close((uv_handle_t *)&t->handle, NULL);
	}
	while (w->conn_head != NULL)
		conn_close(w->conn_head);
}

void tcp_free(struct tcp_listener *t)
{
	if (t == NULL)
		return;
	if (!t->owned)
		close(t->fd);
	free(t);
}
