/* tcp.c -- see tcp.h. */
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "answer.h"
#include "log.h"
#include "rcu.h"
#include "view.h"
#include "worker.h"

/* A DNS message over TCP is at most 65535 bytes after its 2-byte length. */
#define MSG_MAX 65535
/* Stop reading from a client that does not read its answers once this
 * much is queued for it; resume when it drains below the low mark. */
#define WRITE_HIGH (256u << 10)
#define WRITE_LOW (64u << 10)
#define BACKLOG 128

struct tcp_listener {
	struct worker *w;
	int fd;
	uv_tcp_t handle;
	int started;
};

struct tcp_conn {
	uv_tcp_t handle;
	struct worker *w;
	struct tcp_conn *prev, *next; /* worker's list, least recently active first */
	uint64_t last_active;
	size_t len;        /* bytes in buf */
	int paused;
	int closing;
	struct sockaddr_storage peer; /* the resolver, for tracking */
	uint8_t buf[2 + MSG_MAX];
};

struct write_req {
	uv_write_t req;
	struct tcp_conn *conn;
	uint8_t data[];
};

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

static void touch(struct tcp_conn *c)
{
	struct worker *w = c->w;
	c->last_active = uv_now(&w->loop);
	if (w->conn_tail != c) {
		list_remove(w, c);
		list_append(w, c);
	}
}

static void on_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;
	free(c);
}

static void conn_close(struct tcp_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	list_remove(c->w, c);
	c->w->n_conns--;
	uv_close((uv_handle_t *)&c->handle, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tcp_conn *c = h->data;
	(void)suggested;
	buf->base = (char *)c->buf + c->len;
	buf->len = sizeof(c->buf) - c->len;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_written(uv_write_t *req, int status)
{
	struct write_req *wr = (struct write_req *)req;
	struct tcp_conn *c = wr->conn;
	(void)status;
	free(wr);
	if (!c->closing && c->paused && c->handle.write_queue_size < WRITE_LOW) {
		c->paused = 0;
		uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
	}
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
	if (out == 0)
		return -1;
	wr = malloc(sizeof(*wr) + 2 + out);
	if (wr == NULL)
		return -1;
	wr->conn = c;
	wr->data[0] = (uint8_t)(out >> 8);
	wr->data[1] = (uint8_t)out;
	memcpy(wr->data + 2, w->tcp_scratch, out);
	b = uv_buf_init((char *)wr->data, (unsigned)(2 + out));
	if (uv_write(&wr->req, (uv_stream_t *)&c->handle, &b, 1, on_written) < 0) {
		free(wr);
		return -1;
	}
	return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *c = s->data;
	size_t off = 0;
	(void)buf;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	/* Every complete message in the buffer, in order (RFC 7766 6.2.1.1:
	 * pipelined queries; we answer in arrival order). */
	while (c->len - off >= 2) {
		size_t mlen = (size_t)c->buf[off] << 8 | c->buf[off + 1];
		if (mlen < 12) { /* not even a header: nothing sensible follows */
			conn_close(c);
			return;
		}
		if (c->len - off - 2 < mlen)
			break;
		if (answer_one(c, c->buf + off + 2, mlen) < 0) {
			conn_close(c);
			return;
		}
		off += 2 + mlen;
		touch(c);
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	if (c->handle.write_queue_size > WRITE_HIGH) {
		c->paused = 1;
		uv_read_stop(s);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct tcp_listener *t = server->data;
	struct worker *w = t->w;
	struct tcp_conn *c;

	if (status < 0)
		return;
	c = malloc(sizeof(*c));
	if (c == NULL)
		return;
	memset(c, 0, offsetof(struct tcp_conn, buf));
	c->w = w;
	uv_tcp_init(&w->loop, &c->handle);
	c->handle.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->handle) < 0) {
		c->closing = 1;
		uv_close((uv_handle_t *)&c->handle, on_closed);
		return;
	}
	/* Full: make room by closing the longest idle client, so idle
	 * connections cannot lock others out (RFC 7766 6.2.2). */
	if (w->n_conns >= w->tcp_max_clients && w->conn_head != NULL)
		conn_close(w->conn_head);
	w->n_conns++;
	c->last_active = uv_now(&w->loop);
	list_append(w, c);
	uv_tcp_nodelay(&c->handle, 1);
	int plen = sizeof(c->peer);
	uv_tcp_getpeername(&c->handle, (struct sockaddr *)&c->peer, &plen);
	if (uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read) < 0)
		conn_close(c);
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
	return uv_listen((uv_stream_t *)&t->handle, BACKLOG, on_connection);
}

void tcp_sweep(struct worker *w)
{
	uint64_t now = uv_now(&w->loop);
	while (w->conn_head != NULL && now - w->conn_head->last_active >= w->tcp_idle_ms)
		conn_close(w->conn_head);
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
	/* After uv_tcp_open the handle owns the fd and uv_close closed it. */
	if (!t->started)
		close(t->fd);
	free(t);
}
