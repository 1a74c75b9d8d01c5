/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl.c -- see ctl.h. */
#include "admin/ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"

struct ctl_server {
	uv_pipe_t listener;
	uv_loop_t *loop;
	ctl_handler_fn handler;
	void *ctx;
	char *path;
	struct ctl_limits lim;
	struct ctl_conn *conns;
	unsigned n_conns;
	uint64_t refused, timed_out;
};

struct ctl_conn {
	uv_pipe_t handle;
	uv_timer_t timer; /* the idle deadline */
	struct ctl_server *srv;
	struct ctl_conn *next;
	uid_t uid;
	char *buf;  /* input not yet processed: complete lines, then a partial one */
	size_t len;
	int reading; /* uv_read_start in force */
	int closing;
	int handles; /* open handles (pipe, timer): freed at 0 */
};

json_t *ctl_ok(json_t *data)
{
	return json_pack("{s:b,s:o}", "ok", 1, "data", data ? data : json_null());
}

json_t *ctl_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

static void on_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	if (--c->handles > 0)
		return;
	free(c->buf);
	free(c);
}

static void conn_close(struct ctl_conn *c)
{
	struct ctl_conn **p;
	if (c->closing)
		return;
	c->closing = 1;
	for (p = &c->srv->conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			c->srv->n_conns--;
			break;
		}
	uv_close((uv_handle_t *)&c->timer, on_closed);
	uv_close((uv_handle_t *)&c->handle, on_closed);
}

static size_t unsent(struct ctl_conn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->handle);
}

static void on_idle(uv_timer_t *t)
{
	struct ctl_conn *c = t->data;
	c->srv->timed_out++;
	log_info("admin socket: closing a connection (uid %d) idle or not reading for %llu ms", (int)c->uid,
	         (unsigned long long)c->srv->lim.idle_ms);
	conn_close(c);
}

/* The deadline starts again: a request was taken, or replies were read. */
static void touch(struct ctl_conn *c)
{
	if (!c->closing)
		uv_timer_start(&c->timer, on_idle, c->srv->lim.idle_ms, 0);
}

static void process(struct ctl_conn *c);

static void on_written(uv_write_t *req, int status)
{
	struct ctl_conn *c = req->data;
	free(req);
	/* Below half the bound again: take the lines that waited. */
	if (status == 0 && !c->closing && !c->reading && unsent(c) <= CTL_OUT_MAX / 2) {
		touch(c);
		process(c);
	}
}

static void reply(struct ctl_conn *c, json_t *r)
{
	char *text = json_dumps(r, JSON_COMPACT);
	size_t n = text ? strlen(text) : 0;
	uv_write_t *w = text ? malloc(sizeof(*w) + n + 1) : NULL;
	json_decref(r);
	if (w == NULL) {
		free(text);
		conn_close(c);
		return;
	}
	memcpy((char *)(w + 1), text, n);
	((char *)(w + 1))[n] = '\n';
	free(text);
	w->data = c;
	uv_buf_t b = uv_buf_init((char *)(w + 1), (unsigned)(n + 1));
	if (uv_write(w, (uv_stream_t *)&c->handle, &b, 1, on_written) < 0) {
		free(w);
		conn_close(c);
	}
}

/* One line: parse, check the envelope, dispatch. Bad input gets an error
 * reply and the connection stays usable. */
static void handle_line(struct ctl_conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *v, *cmd;

	if (req == NULL) {
		reply(c, ctl_fail("malformed JSON: %s", jerr.text));
		return;
	}
	v = json_object_get(req, "v");
	cmd = json_object_get(req, "cmd");
	if (!json_is_object(req))
		reply(c, ctl_fail("a request is a JSON object"));
	else if (!json_is_integer(v) || json_integer_value(v) != CTL_VERSION)
		reply(c, ctl_fail("unsupported protocol version (this daemon speaks \"v\":%d)", CTL_VERSION));
	else if (!json_is_string(cmd))
		reply(c, ctl_fail("\"cmd\" (string) is required"));
	else
		reply(c, c->srv->handler(c->srv->ctx, req, json_string_value(cmd), c->uid));
	json_decref(req);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(suggested);
	buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void read_on(struct ctl_conn *c, int on)
{
	if (c->closing || c->reading == on)
		return;
	c->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
	else
		uv_read_stop((uv_stream_t *)&c->handle);
}

/*
 * Answer the complete lines in the buffer, one at a time, while the
 * client takes its replies; then read again. A partial line longer than
 * CTL_LINE_MAX can never become a request: say so and close.
 */
static void process(struct ctl_conn *c)
{
	size_t start = 0;
	char *nl;

	while (!c->closing && unsent(c) <= CTL_OUT_MAX && (nl = memchr(c->buf + start, '\n', c->len - start))) {
		size_t n = (size_t)(nl - (c->buf + start));
		if (n > CTL_LINE_MAX) {
			reply(c, ctl_fail("request line longer than %d bytes", CTL_LINE_MAX));
			conn_close(c);
			return;
		}
		if (n > 0)
			handle_line(c, c->buf + start, n);
		start += n + 1;
		touch(c);
	}
	if (c->closing)
		return;
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
	if (memchr(c->buf, '\n', c->len) == NULL && c->len > CTL_LINE_MAX) {
		reply(c, ctl_fail("request line longer than %d bytes", CTL_LINE_MAX));
		conn_close(c);
		return;
	}
	/* Lines left: the client is not reading its replies; on_written
	 * comes back here when it does, the idle deadline if it never does. */
	read_on(c, memchr(c->buf, '\n', c->len) == NULL);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_conn *c = s->data;
	char *grown;

	if (nread < 0) {
		conn_close(c);
		free(buf->base);
		return;
	}
	grown = realloc(c->buf, c->len + (size_t)nread + 1);
	if (grown == NULL) {
		free(buf->base);
		conn_close(c);
		return;
	}
	c->buf = grown;
	memcpy(c->buf + c->len, buf->base, (size_t)nread);
	c->len += (size_t)nread;
	free(buf->base);
	process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl_server *s = server->data;
	struct ctl_conn *c;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	uv_os_fd_t fd;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->srv = s;
	uv_pipe_init(s->loop, &c->handle, 0);
	uv_timer_init(s->loop, &c->timer);
	c->handle.data = c->timer.data = c;
	c->handles = 2;
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->handle) < 0) {
		conn_close(c);
		return;
	}
	if (s->n_conns > s->lim.max_clients) {
		/* Told why, then closed once the reply is out (close waits for writes). */
		s->refused++;
		reply(c, ctl_fail("too many admin connections (control.max_clients %u); try again", s->lim.max_clients));
		conn_close(c);
		return;
	}
	/* The kernel's word for who connected: it cannot be forged by the client. */
	c->uid = (uid_t)-1;
	if (uv_fileno((uv_handle_t *)&c->handle, &fd) == 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		c->uid = cred.uid;
	touch(c);
	read_on(c, 1);
}

void ctl_counts(const struct ctl_server *s, unsigned *conns, uint64_t *refused, uint64_t *timed_out)
{
	*conns = s ? s->n_conns : 0;
	*refused = s ? s->refused : 0;
	*timed_out = s ? s->timed_out : 0;
}

/* A socket file left by a crash is removed; a live daemon's is not. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control.socket %s exists and is not a socket", path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "control.socket %s: another routerd is running", path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	return 0;
}

struct ctl_server *ctl_start(uv_loop_t *loop, const char *path, unsigned mode, const struct ctl_limits *lim,
                             ctl_handler_fn handler, void *ctx, char *err, size_t errlen)
{
	struct ctl_server *s;
	int rc;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "control.socket %s: path too long", path);
		return NULL;
	}
	if (clear_stale(path, err, errlen) < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->handler = handler;
	s->ctx = ctx;
	s->lim = *lim;
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	rc = uv_pipe_bind(&s->listener, path);
	if (rc == 0 && chmod(path, mode) < 0)
		rc = -errno;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, 16, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "control.socket %s: %s", path, uv_strerror(rc));
		ctl_stop(s);
		return NULL;
	}
	return s;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct ctl_server *s = h->data;
	free(s->path);
	free(s);
}

void ctl_stop(struct ctl_server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		conn_close(s->conns);
	unlink(s->path);
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}
