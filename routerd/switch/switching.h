/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * switching.h -- the switch state at work on the control loop: it recovers
 * the state from the journal, takes health signals and operator commands,
 * lets the policy decide, makes every change durable (journal, fsync) and
 * only then publishes it to the workers (one atomic store per switch).
 * A timer wakes it when something expires or a failback hold ends.
 */
#ifndef ROUTERD_SWITCHING_H
#define ROUTERD_SWITCHING_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <uv.h>

#include "lib/side.h"

struct config;
struct signal_event;
struct switching;

/* Recover from CFG->state_dir, sync with CFG and publish. 0, or -errno
 * with ERR. */
int switching_open(struct switching **out, uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen);
void switching_close(struct switching *s);

/* After a reload published a new view: adopt CFG's switches and settings. */
int switching_reload(struct switching *s, const struct config *cfg);

/*
 * Apply health signals. Every target must name at least one switch, or
 * nothing is applied: returns -ENOENT with the unknown target in ERR.
 * Returns the number of switches that flipped, or -errno (-EIO: the
 * journal failed and nothing was published).
 */
int switching_signals(struct switching *s, const struct signal_event *ev, size_t n, char *err, size_t errlen);
/* The two halves of switching_signals, for a large message applied in
 * parts (admin/sigqueue.c): check every target (and count in *OPS, may be
 * NULL, the signal updates it means: events x switches matched), then
 * apply a part; each part is one journal transaction. */
int switching_signals_check(struct switching *s, const struct signal_event *ev, size_t n, size_t *ops, char *err,
                            size_t errlen);
int switching_signals_apply(struct switching *s, const struct signal_event *ev, size_t n, char *err, size_t errlen);

/* The switch NAME (any case, with or without the final dot) as the state
 * spells it, or NULL when there is none. */
const char *switching_name(struct switching *s, const char *name);

/* FN is called for every flip as it is published, just before the workers
 * serve the new side: the view's switch index, the sides and the TTL
 * served until then. */
typedef void (*switching_flip_fn)(void *arg, uint32_t switch_idx, enum side from, enum side to, uint32_t ttl_before);
void switching_on_flip(struct switching *s, switching_flip_fn fn, void *arg);

/* Answer a routerctl command about switches (list, show, pin, unpin,
 * history, health, brake); NULL when CMD is not one of them. */
json_t *switching_ctl(struct switching *s, const char *cmd, json_t *req, uid_t uid);

/* Status fields for `routerctl status`. */
json_t *switching_status(struct switching *s);

/* Prometheus lines for flips, signals and the brake. */
void switching_metrics(struct switching *s, FILE *f);

#endif
