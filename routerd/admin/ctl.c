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
	struct ctl_conn *conns;
};

struct ctl_conn {
	uv_pipe_t handle;
	struct ctl_server *srv;
	struct ctl_conn *next;
	uid_t uid;
	char *buf;
	size_t len;
	int closing;
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
			break;
		}
	uv_close((uv_handle_t *)&c->handle, on_closed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
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

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_conn *c = s->data;
	size_t start = 0;

	if (nread < 0) {
		conn_close(c);
		free(buf->base);
		return;
	}
	if (c->len + (size_t)nread > CTL_LINE_MAX) {
		free(buf->base);
		reply(c, ctl_fail("request line longer than %d bytes", CTL_LINE_MAX));
		conn_close(c);
		return;
	}
	char *grown = realloc(c->buf, c->len + (size_t)nread + 1);
	if (grown == NULL) {
		free(buf->base);
		conn_close(c);
		return;
	}
	c->buf = grown;
	memcpy(c->buf + c->len, buf->base, (size_t)nread);
	c->len += (size_t)nread;
	free(buf->base);
	for (size_t i = 0; i < c->len && !c->closing; i++) {
		if (c->buf[i] != '\n')
			continue;
		if (i > start)
			handle_line(c, c->buf + start, i - start);
		start = i + 1;
	}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
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
	c->handle.data = c;
	c->next = s->conns;
	s->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->handle) < 0) {
		conn_close(c);
		return;
	}
	/* The kernel's word for who connected: it cannot be forged by the client. */
	c->uid = (uid_t)-1;
	if (uv_fileno((uv_handle_t *)&c->handle, &fd) == 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		c->uid = cred.uid;
	uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
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

struct ctl_server *ctl_start(uv_loop_t *loop, const char *path, unsigned mode, ctl_handler_fn handler, void *ctx,
                             char *err, size_t errlen)
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
