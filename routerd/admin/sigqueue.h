/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sigqueue.h -- large health-signal messages applied in parts, so that a
 * 10,000-alert notification on a glob never holds the control thread: each
 * part (about SIGQUEUE_PART_OPS signal updates) is one journal transaction,
 * applied in its own turn of the loop, and routerctl, /metrics and other
 * clients are served between parts. Messages apply in arrival order: while
 * one is in progress, later webhooks wait in the queue behind it. The
 * HTTP response is sent when the last part is applied.
 */
#ifndef ROUTERD_SIGQUEUE_H
#define ROUTERD_SIGQUEUE_H

#include <stddef.h>
#include <uv.h>

#include "admin/http.h"
#include "admin/webhook.h"

struct switching;
struct sigqueue;

/* Signal updates (events x switches matched) per part. */
#define SIGQUEUE_PART_OPS 5000

/* Called with the HTTP status of each queued message once it is answered. */
typedef void (*sigqueue_done_fn)(void *arg, int endpoint, int status);

struct sigqueue *sigqueue_new(uv_loop_t *loop, struct switching *sw, sigqueue_done_fn done, void *arg);
/* Answer what is still queued with 503 and free Q (in the loop's thread). */
void sigqueue_free(struct sigqueue *q);
/* Whether messages wait or are being applied (a new one must queue). */
int sigqueue_busy(const struct sigqueue *q);
/*
 * Queue EV[0..N) (taken over, freed by Q), checked already and meaning OPS
 * signal updates, to answer through P. IGNORED: alerts not addressed to
 * routerd, for the response. ENDPOINT is passed back to done().
 */
void sigqueue_submit(struct sigqueue *q, struct http_pending *p, int endpoint, struct signal_event *ev, size_t n,
                     size_t ops, size_t ignored);

#endif
