/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl.h -- the admin socket: a Unix stream socket carrying one JSON request
 * per line ({"v":1,"cmd":...}) and one JSON reply per line ({"ok":true,
 * "data":...} or {"ok":false,"error":"..."}). The caller's uid, from
 * SO_PEERCRED, goes with each request: it is the actor in history.
 */
#ifndef ROUTERD_CTL_H
#define ROUTERD_CTL_H

#include <jansson.h>
#include <sys/types.h>
#include <uv.h>

struct ctl_server;

/* Protocol version spoken by this daemon and routerctl. */
#define CTL_VERSION 1
/* Longest request line: a command and a few arguments fit easily. */
#define CTL_LINE_MAX 65536

/*
 * Answer one request: REQ is the parsed object (already checked to hold
 * "v" == CTL_VERSION and a string "cmd"). Return a new reference to the
 * reply object ({"ok":...}).
 */
typedef json_t *(*ctl_handler_fn)(void *ctx, json_t *req, const char *cmd, uid_t uid);

/* Listen on PATH with MODE. Returns NULL with a reason in ERR. */
struct ctl_server *ctl_start(uv_loop_t *loop, const char *path, unsigned mode, ctl_handler_fn handler, void *ctx,
                             char *err, size_t errlen);

/* Close the socket (and remove its path) and every connection. */
void ctl_stop(struct ctl_server *s);

/* Reply helpers: {"ok":true,"data":DATA} (steals DATA) and {"ok":false,...}. */
json_t *ctl_ok(json_t *data);
json_t *ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
