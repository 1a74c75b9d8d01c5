/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http.h -- a small HTTP/1.1 server on the control loop, for the health
 * webhooks, /metrics and the status page. llhttp parses; this module
 * enforces the limits (header and body size, connections, idle time) and
 * hands each complete request to one handler.
 */
#ifndef ROUTERD_HTTP_H
#define ROUTERD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <uv.h>

struct cfg_http;
struct http_server;
struct http_pending;

struct http_request {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* without the query string */
	const char *query;         /* after '?', or "" */
	const char *authorization; /* header values, or NULL */
	const char *signature;     /* the HMAC signature header */
	const uint8_t *body;
	size_t body_len;
	struct sockaddr_storage peer;
	void *conn; /* the connection (http_defer) */
};

struct http_response {
	int status;
	const char *content_type; /* default application/json */
	char *body;               /* malloc'd; the server frees it */
	size_t body_len;
};

typedef void (*http_handler_fn)(void *ctx, const struct http_request *req, struct http_response *resp);

/*
 * Listen on CFG->listen on LOOP and call HANDLER for each request.
 * SIGNATURE_HEADER names the header passed as req->signature. Returns
 * NULL with a reason in ERR.
 */
struct http_server *http_start(uv_loop_t *loop, const struct cfg_http *cfg, const char *signature_header,
                               http_handler_fn handler, void *ctx, char *err, size_t errlen);

/* Close the listener and every connection; frees once the loop runs. */
void http_stop(struct http_server *s);

/*
 * From a handler: answer REQ later, with http_finish(), instead of from
 * RESP now (leave RESP untouched). No further request of that connection
 * is read or parsed in the meantime, and no deadline runs.
 */
struct http_pending *http_defer(const struct http_request *req);
/* Send RESP (its body is freed) for a deferred request and free P; if the
 * connection closed meanwhile, only free. */
void http_finish(struct http_pending *p, struct http_response *resp);

/* Prometheus lines: connections open, evicted to make room, closed at a
 * deadline. */
void http_metrics(const struct http_server *s, FILE *f);

/* Fill RESP with a JSON error body {"error": MESSAGE} and STATUS. */
void http_error(struct http_response *resp, int status, const char *message);

#endif
