/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl.h -- the admin socket: a Unix stream socket carrying one JSON request
 * per line ({"v":1,"cmd":...}) and one JSON reply per line ({"ok":true,
 * "data":...} or {"ok":false,"error":"..."}). The caller's uid, from
 * SO_PEERCRED, goes with each request: it is the actor in history.
 *
 * Lines are taken one at a time: any number of complete lines in one write
 * each get a reply, in order; only a single line longer than CTL_LINE_MAX
 * is an error (the reply says so, then the connection is closed). A client
 * that does not read its replies gets nothing more processed once
 * CTL_OUT_MAX bytes of them wait to be sent, and is closed when the idle
 * timeout passes without that changing. Memory per connection: at most
 * CTL_LINE_MAX + one read (64 KiB) of input, and CTL_OUT_MAX plus one
 * reply of output.
 */
#ifndef ROUTERD_CTL_H
#define ROUTERD_CTL_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct ctl_server;

/* Protocol version spoken by this daemon and routerctl. */
#define CTL_VERSION 1
/* Longest request line: a command and a few arguments fit easily. */
#define CTL_LINE_MAX 65536
/* Replies waiting for a client that does not read: stop processing its
 * lines above this. */
#define CTL_OUT_MAX (256 * 1024)

struct ctl_limits {
	unsigned max_clients;   /* connections at once; more are told so and closed */
	uint64_t idle_ms;       /* a connection is closed after this long with no
	                         * request line completed and no reply taken */
};

/*
 * Answer one request: REQ is the parsed object (already checked to hold
 * "v" == CTL_VERSION and a string "cmd"). Return a new reference to the
 * reply object ({"ok":...}).
 */
typedef json_t *(*ctl_handler_fn)(void *ctx, json_t *req, const char *cmd, uid_t uid);

/* Listen on PATH with MODE. Returns NULL with a reason in ERR. */
struct ctl_server *ctl_start(uv_loop_t *loop, const char *path, unsigned mode, const struct ctl_limits *lim,
                             ctl_handler_fn handler, void *ctx, char *err, size_t errlen);

/* Connections now, and those refused (over max_clients) or closed for
 * not reading or idling, since the start. */
void ctl_counts(const struct ctl_server *s, unsigned *conns, uint64_t *refused, uint64_t *timed_out);

/* Close the socket (and remove its path) and every connection. */
void ctl_stop(struct ctl_server *s);

/* Reply helpers: {"ok":true,"data":DATA} (steals DATA) and {"ok":false,...}. */
json_t *ctl_ok(json_t *data);
json_t *ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
