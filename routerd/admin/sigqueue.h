/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sigqueue.h -- large health-signal messages applied in parts, so that a
 * 10,000-alert notification on a glob never holds the control thread: each
 * part (about SIGQUEUE_PART_OPS signal updates) is one journal transaction,
 * applied in its own turn of the loop, and routerctl, /metrics and other
 * clients are served between parts; a large body is parsed in libuv's
 * thread pool first. Messages apply in arrival order: while
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
/* Bodies larger than this are parsed off the control thread (libuv's
 * thread pool): the JSON of 10,000 alerts takes 60-80 ms to parse. */
#define SIGQUEUE_PARSE_OFF (64u << 10)

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
/*
 * Queue a message not yet parsed: BODY[0..LEN) from SOURCE (copied) is
 * parsed in the thread pool, then checked and applied in turn like the
 * others (400 or 422 when it does not parse or names an unknown switch).
 */
void sigqueue_submit_body(struct sigqueue *q, struct http_pending *p, int endpoint, enum webhook_source source,
                          const char *body, size_t len, const struct webhook_opts *opts);

#endif
