/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fleet.h -- routerd as the hidden primary of NSD, Knot and BIND
 * secondaries: zone versions and their serials, AXFR and IXFR out, NOTIFY,
 * and where each secondary is.
 *
 * Every change of what a zone serves (a flip, a pin, a failback, a reload
 * that changes data) is a new zone version. Changes within FLEET_BATCH_MS of
 * the first are one version, so a glob pin of 10,000 switches is a few
 * versions, not 10,000. Serials never go backwards: the last one of each
 * zone is kept in state_dir/fleet-serials (fsync before a version is
 * transferred), with hashes of its data and switch sides, so a restart that
 * serves the same data keeps its serial and any other change is newer.
 *
 * The fleet runs on a thread and libuv loop of its own: the batch timer,
 * NOTIFY and SOA queries to the secondaries, and every zone transfer (the
 * DNS workers hand the connection over), so a 1M-record AXFR never delays
 * a worker or the control thread.
 */
#ifndef ROUTERD_FLEET_H
#define ROUTERD_FLEET_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

struct config;
struct fleet;

/* Changes closer than this to the first of a burst are one version: short
 * enough that no flip waits for its version more than a few ms. */
#define FLEET_BATCH_MS 5

/* Copy what the fleet needs from CFG. NULL with a message in ERR. */
struct fleet *fleet_create(const struct config *cfg, char *err, size_t errlen);

/*
 * Take the published view's zones as the first versions, with serials that
 * continue the persisted ones, then start the thread. Call after the switch
 * state is recovered and published, before the workers start, on the
 * control thread. 0, or -1 with ERR.
 */
int fleet_start(struct fleet *f, char *err, size_t errlen);

/* Stop the thread, close every transfer and free everything. NULL is fine. */
void fleet_stop(struct fleet *f);

/* The TCP path's handler for a transfer request (dns/tcp.h tcp_xfr_fn):
 * FD is the connection's (dup'd), DATA the bytes read (length-prefixed
 * messages, the request first). Any thread. */
void fleet_take_connection(void *arg, int fd, const uint8_t *data, size_t len, const struct sockaddr *peer);

/* `routerctl fleet`: per secondary and zone, serial, versions behind, last
 * transfer, last error; and the zones' versions. Control thread. */
json_t *fleet_status(struct fleet *f);

/* Prometheus lines: routerd_fleet_*, routerd_xfr_requests_total. */
void fleet_metrics(struct fleet *f, FILE *out);

/* `routerctl fleet config nsd|knot|bind`: a secondary's configuration for
 * this primary, as text (malloc'd), or NULL with ERR. */
char *fleet_config_text(const struct config *cfg, const char *kind, char *err, size_t errlen);

#endif
