/* SPDX-License-Identifier: BSD-3-Clause */
/* http.c -- see http.h. */
#include "admin/http.h"

#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "lib/log.h"

#define URL_MAX 2048
#define FIELD_MAX 128
/* Each connection reads into its own buffer of this size; bytes not yet
 * parsed stay there while it is paused. */
#define RX_SIZE 4096
/* Backpressure: once more than this of a connection's responses is
 * written but not yet taken (by the kernel, for a client that reads), no
 * further request of it is parsed (checked after every response, so at
 * most one response goes over) until all of it is taken; the client has
 * request_timeout to read, or it is closed. */
#define WRITE_HIGH (64u << 10)

struct http_server {
	uv_tcp_t listener;
	uv_loop_t *loop;
	llhttp_settings_t settings;
	http_handler_fn handler;
	void *ctx;
	char signature_header[FIELD_MAX];
	uint32_t max_body, max_header, max_connections;
	uint64_t idle_ms, request_ms;
	size_t n_conns;  /* allocated, closing ones included */
	size_t n_open;   /* not closing: what max_connections counts */
	uint64_t evicted; /* connections closed to make room */
	uint64_t timed_out; /* connections closed at a deadline */
	struct conn *conns;   /* every open connection */
	int closing, listener_closed;
};

struct http_pending {
	struct conn *c; /* NULL once the connection closed */
};

struct conn {
	uv_tcp_t handle;
	uv_timer_t idle;
	struct http_server *srv;
	struct conn *prev, *next;
	llhttp_t parser;
	struct sockaddr_storage peer;
	char url[URL_MAX];
	size_t url_len;
	char field[FIELD_MAX];
	size_t field_len;
	int in_value;
	char *value;         /* the value of the header being read */
	size_t value_len;
	char *authorization, *signature;
	size_t header_bytes;
	uint8_t *body;
	size_t body_len, body_cap;
	int reject;          /* an HTTP status to answer with instead */
	int closing, handles;
	/* Deadlines: a request must arrive whole within request_timeout of its
	 * first byte (and with no silence longer than idle_timeout); an idle
	 * keep-alive connection goes after idle_timeout; a paused one
	 * (responses unread) after request_timeout. */
	enum { C_IDLE,
	       C_REQUEST,
	       C_PAUSED,
	       C_DEFERRED } phase;
	struct http_pending *pending; /* a deferred request being worked on */
	int keep_alive;               /* of the deferred request */
	uint64_t phase_start; /* loop time the phase began: who is evicted first */
	size_t out_bytes;     /* responses written but not yet taken by the client */
	size_t rx_off, rx_len; /* unparsed bytes in rx, kept while paused */
	char rx[RX_SIZE];
};

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void http_error(struct http_response *resp, int status, const char *message)
{
	char *body = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&body, &n);
	resp->status = status;
	resp->content_type = "application/json";
	if (f == NULL)
		return;
	fputs("{\"error\":\"", f);
	/* The message is ours, but may quote a client's input: escape it. */
	for (const char *p = message; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputs("\"}\n", f);
	fclose(f);
	free(resp->body);
	resp->body = body;
	resp->body_len = n;
}

static void reset_request(struct conn *c)
{
	c->url_len = 0;
	c->field_len = 0;
	c->in_value = 0;
	free(c->value);
	free(c->authorization);
	free(c->signature);
	c->value = c->authorization = c->signature = NULL;
	c->value_len = 0;
	c->header_bytes = 0;
	c->body_len = 0;
	c->reject = 0;
}

/* The server goes once its listener and its last connection are closed. */
static void maybe_free_server(struct http_server *s)
{
	if (s->closing && s->listener_closed && s->conns == NULL)
		free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct http_server *s = c->srv;
	if (--c->handles > 0)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	reset_request(c);
	free(c->body);
	free(c);
	maybe_free_server(s);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->srv->n_open--;
	if (c->pending != NULL) {
		c->pending->c = NULL;
		c->pending = NULL;
	}
	uv_close((uv_handle_t *)&c->idle, on_handle_closed);
	uv_close((uv_handle_t *)&c->handle, on_handle_closed);
}

struct wreq {
	uv_write_t req;
	struct conn *conn;
	int close_after;
	size_t len;
	char data[];
};

static void resume(struct conn *c);

static void set_phase(struct conn *c, int phase)
{
	struct http_server *s = c->srv;
	if (c->closing)
		return;
	c->phase = phase;
	c->phase_start = uv_now(s->loop);
	uv_timer_start(&c->idle, c->idle.timer_cb, phase == C_IDLE ? s->idle_ms : s->request_ms, 0);
}

static void on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->conn;
	c->out_bytes -= w->len;
	if (status < 0 || w->close_after)
		conn_close(c);
	else if (!c->closing && c->phase == C_PAUSED && c->out_bytes == 0)
		resume(c);
	free(w);
}

static void send_response(struct conn *c, struct http_response *r, int keep_alive)
{
	char head[256];
	int hl = snprintf(head, sizeof(head),
	                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n",
	                  r->status, reason(r->status), r->content_type ? r->content_type : "application/json",
	                  r->body_len, keep_alive ? "keep-alive" : "close");
	struct wreq *w = malloc(sizeof(*w) + (size_t)hl + r->body_len);
	if (w == NULL) {
		conn_close(c);
		return;
	}
	w->conn = c;
	w->close_after = !keep_alive;
	w->len = (size_t)hl + r->body_len;
	memcpy(w->data, head, (size_t)hl);
	if (r->body_len)
		memcpy(w->data + hl, r->body, r->body_len);
	uv_buf_t b = uv_buf_init(w->data, (unsigned)((size_t)hl + r->body_len));
	if (uv_write(&w->req, (uv_stream_t *)&c->handle, &b, 1, on_written) < 0) {
		free(w);
		conn_close(c);
		return;
	}
	c->out_bytes += w->len;
}

static int grow_append(char **buf, size_t *len, const char *at, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);
	if (p == NULL)
		return -1;
	memcpy(p + *len, at, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
	return 0;
}

static int count_header(struct conn *c, size_t n)
{
	c->header_bytes += n;
	if (c->header_bytes > c->srv->max_header) {
		c->reject = 431;
		return HPE_USER;
	}
	return 0;
}

static int on_message_begin(llhttp_t *p)
{
	struct conn *c = p->data;
	reset_request(c);
	/* The first byte of a request starts its deadline; later bytes do
	 * not move it, so a client trickling bytes cannot hold the slot. */
	set_phase(c, C_REQUEST);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	if (count_header(c, n) || c->url_len + n >= URL_MAX) {
		c->reject = 431;
		return HPE_USER;
	}
	memcpy(c->url + c->url_len, at, n);
	c->url_len += n;
	c->url[c->url_len] = '\0';
	return 0;
}

/* A complete header: keep the two we use, drop the rest. */
static void finish_header(struct conn *c)
{
	if (c->value == NULL)
		c->value = strdup("");
	if (strcasecmp(c->field, "authorization") == 0 && c->authorization == NULL) {
		c->authorization = c->value;
		c->value = NULL;
	} else if (strcasecmp(c->field, c->srv->signature_header) == 0 && c->signature == NULL) {
		c->signature = c->value;
		c->value = NULL;
	}
	free(c->value);
	c->value = NULL;
	c->value_len = 0;
	c->field_len = 0;
	c->field[0] = '\0';
	c->in_value = 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	if (count_header(c, n))
		return HPE_USER;
	if (c->in_value)
		finish_header(c);
	/* Longer names are none we care about: keep a prefix, they won't match. */
	size_t room = FIELD_MAX - 1 - c->field_len;
	memcpy(c->field + c->field_len, at, n < room ? n : room);
	c->field_len += n < room ? n : room;
	c->field[c->field_len] = '\0';
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	if (count_header(c, n))
		return HPE_USER;
	c->in_value = 1;
	return grow_append(&c->value, &c->value_len, at, n) < 0 ? HPE_USER : 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	if (c->in_value || c->field_len)
		finish_header(c);
	/* Refuse a body announced too large before reading any of it. */
	if ((p->flags & F_CONTENT_LENGTH) && p->content_length > c->srv->max_body) {
		c->reject = 413;
		return HPE_USER;
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	if (c->body_len + n > c->srv->max_body) {
		c->reject = 413;
		return HPE_USER;
	}
	if (c->body_len + n > c->body_cap) {
		size_t cap = c->body_cap ? c->body_cap : 4096;
		while (cap < c->body_len + n)
			cap *= 2;
		uint8_t *b = realloc(c->body, cap);
		if (b == NULL)
			return HPE_USER;
		c->body = b;
		c->body_cap = cap;
	}
	memcpy(c->body + c->body_len, at, n);
	c->body_len += n;
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	struct http_request req = { 0 };
	struct http_response resp = { 0 };
	char *q = strchr(c->url, '?');

	if (q != NULL)
		*q++ = '\0';
	req.method = llhttp_method_name(p->method);
	req.path = c->url;
	req.query = q ? q : "";
	req.authorization = c->authorization;
	req.signature = c->signature;
	req.body = c->body;
	req.body_len = c->body_len;
	req.peer = c->peer;
	req.conn = c;
	resp.status = 500;
	c->srv->handler(c->srv->ctx, &req, &resp);
	if (c->pending != NULL) {
		/* Answered later (http_finish): parse nothing more until then. */
		free(resp.body);
		c->keep_alive = llhttp_should_keep_alive(p);
		c->phase = C_DEFERRED;
		c->phase_start = uv_now(c->srv->loop);
		uv_timer_stop(&c->idle);
		return HPE_PAUSED;
	}
	log_debug("http: %s %s: %d, %zu bytes in, %zu out", req.method, req.path, resp.status, req.body_len,
	          resp.body_len);
	send_response(c, &resp, llhttp_should_keep_alive(p));
	free(resp.body);
	if (c->closing)
		return 0;
	/* A client that does not read its responses gets nothing more
	 * parsed until it does (pipelined requests wait in rx). */
	if (c->out_bytes > WRITE_HIGH) {
		set_phase(c, C_PAUSED);
		return HPE_PAUSED;
	}
	set_phase(c, C_IDLE);
	return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	(void)suggested;
	/* Reading only happens with nothing left unparsed. */
	buf->base = c->rx;
	buf->len = sizeof(c->rx);
}

/* Parse LEN bytes at c->rx + OFF; keep what is left when a request pauses. */
static void parse(struct conn *c, size_t off, size_t len)
{
	llhttp_errno_t e = llhttp_execute(&c->parser, c->rx + off, len);

	if (c->closing)
		return;
	if (e == HPE_PAUSED) {
		const char *pos = llhttp_get_error_pos(&c->parser);
		size_t used = pos != NULL ? (size_t)(pos - (c->rx + off)) : len;
		c->rx_off = off + used;
		c->rx_len = len - used;
		uv_read_stop((uv_stream_t *)&c->handle);
		return;
	}
	c->rx_off = c->rx_len = 0;
	if (e != HPE_OK) {
		struct http_response r = { 0 };
		http_error(&r, c->reject ? c->reject : 400,
		           c->reject == 413 ? "body too large" : c->reject == 431 ? "request headers too large"
		                                                                  : llhttp_get_error_reason(&c->parser));
		uv_read_stop((uv_stream_t *)&c->handle);
		send_response(c, &r, 0);
		free(r.body);
	}
}

static void on_idle(uv_timer_t *t);

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	(void)buf;

	if (nread > 0 && !c->closing) {
		parse(c, 0, (size_t)nread);
		/* Mid-request, silence longer than idle_timeout ends it too;
		 * bytes never carry it past request_timeout from the first. */
		if (!c->closing && c->phase == C_REQUEST) {
			uint64_t now = uv_now(c->srv->loop), end = c->phase_start + c->srv->request_ms;
			uint64_t left = end > now ? end - now : 1;
			uv_timer_start(&c->idle, on_idle, left < c->srv->idle_ms ? left : c->srv->idle_ms, 0);
		}
	} else if (nread < 0) {
		conn_close(c);
	}
}

/* The client read its responses: parse what waited, then read again. */
static void resume(struct conn *c)
{
	llhttp_resume(&c->parser);
	set_phase(c, c->rx_len > 0 ? C_REQUEST : C_IDLE);
	if (c->rx_len > 0)
		parse(c, c->rx_off, c->rx_len);
	if (!c->closing && c->phase != C_PAUSED && llhttp_get_errno(&c->parser) == HPE_OK)
		uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
}

struct http_pending *http_defer(const struct http_request *req)
{
	struct conn *c = req->conn;
	struct http_pending *p;

	if (c == NULL || c->pending != NULL || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->c = c;
	c->pending = p;
	return p;
}

void http_finish(struct http_pending *p, struct http_response *resp)
{
	struct conn *c = p->c;

	free(p);
	if (c == NULL) {
		free(resp->body);
		return;
	}
	c->pending = NULL;
	send_response(c, resp, c->keep_alive);
	free(resp->body);
	resp->body = NULL;
	if (c->closing)
		return;
	if (c->out_bytes > WRITE_HIGH) {
		set_phase(c, C_PAUSED); /* on_written resumes */
		return;
	}
	resume(c);
}

/* Full: close the connection that has waited longest in its phase (idle
 * keep-alive, trickling a request, or not reading its responses). A
 * webhook sends its request at once and is answered in the same turn,
 * so it is never the one chosen, and slow clients cannot hold the slots. */
static int evict_one(struct http_server *s, struct conn *except)
{
	struct conn *victim = NULL;
	for (struct conn *c = s->conns; c != NULL; c = c->next)
		if (!c->closing && c != except && c->phase != C_DEFERRED &&
		    (victim == NULL || c->phase_start < victim->phase_start))
			victim = c;
	if (victim == NULL)
		return -1;
	s->evicted++;
	conn_close(victim);
	return 0;
}

static void on_idle(uv_timer_t *t)
{
	struct conn *c = t->data;
	c->srv->timed_out++;
	conn_close(c);
}

void http_metrics(const struct http_server *s, FILE *f)
{
	fprintf(f, "# HELP routerd_http_connections Open HTTP connections.\n# TYPE routerd_http_connections gauge\n"
	           "routerd_http_connections %zu\n",
	        s->n_open);
	fprintf(f, "# HELP routerd_http_evicted_total HTTP connections closed to make room for a new one "
	           "(the one waiting longest).\n# TYPE routerd_http_evicted_total counter\n"
	           "routerd_http_evicted_total %llu\n",
	        (unsigned long long)s->evicted);
	fprintf(f, "# HELP routerd_http_timeouts_total HTTP connections closed at a deadline (idle_timeout, "
	           "request_timeout).\n# TYPE routerd_http_timeouts_total counter\n"
	           "routerd_http_timeouts_total %llu\n",
	        (unsigned long long)s->timed_out);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct http_server *s = server->data;
	struct conn *c;
	int len = sizeof(c->peer);

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->srv = s;
	c->handles = 2;
	s->n_conns++;
	s->n_open++;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	uv_tcp_init(s->loop, &c->handle);
	uv_timer_init(s->loop, &c->idle);
	c->handle.data = c->idle.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->handle) < 0) {
		conn_close(c);
		return;
	}
	uv_tcp_getpeername(&c->handle, (struct sockaddr *)&c->peer, &len);
	llhttp_init(&c->parser, HTTP_REQUEST, &s->settings);
	c->parser.data = c;
	uv_timer_start(&c->idle, on_idle, s->idle_ms, 0);
	c->phase = C_IDLE;
	c->phase_start = uv_now(s->loop);
	if (s->n_open > s->max_connections && evict_one(s, c) < 0) {
		/* Over the limit: say so and hang up, rather than leave it waiting. */
		struct http_response r = { 0 };
		http_error(&r, 503, "too many connections");
		send_response(c, &r, 0);
		free(r.body);
		return;
	}
	uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
}

struct http_server *http_start(uv_loop_t *loop, const struct cfg_http *cfg, const char *signature_header,
                               http_handler_fn handler, void *ctx, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->handler = handler;
	s->ctx = ctx;
	s->max_body = cfg->max_body;
	s->max_header = cfg->max_header;
	s->max_connections = cfg->max_connections;
	s->idle_ms = (uint64_t)cfg->idle_timeout * 1000;
	s->request_ms = (uint64_t)(cfg->request_timeout ? cfg->request_timeout : 10) * 1000;
	snprintf(s->signature_header, sizeof(s->signature_header), "%s",
	         signature_header ? signature_header : "x-routerd-signature");
	llhttp_settings_init(&s->settings);
	s->settings.on_message_begin = on_message_begin;
	s->settings.on_url = on_url;
	s->settings.on_header_field = on_header_field;
	s->settings.on_header_value = on_header_value;
	s->settings.on_headers_complete = on_headers_complete;
	s->settings.on_body = on_body;
	s->settings.on_message_complete = on_message_complete;
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&cfg->listen.ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
	if (rc < 0) {
		snprintf(err, errlen, "http.listen %s: %s", cfg->listen.text, uv_strerror(rc));
		http_stop(s);
		return NULL;
	}
	return s;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct http_server *s = h->data;
	s->listener_closed = 1;
	maybe_free_server(s);
}

void http_stop(struct http_server *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = 1;
	for (struct conn *c = s->conns; c != NULL; c = c->next)
		conn_close(c);
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}
