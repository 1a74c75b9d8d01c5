/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * service.h -- life under a service manager: the systemd watchdog, fed
 * only while every DNS worker proves it is turning, and giving up every
 * capability once the sockets are bound.
 *
 * The watchdog: when systemd asks for one (WatchdogSec=, seen through
 * WATCHDOG_USEC), every worker bumps a heartbeat counter from a timer on
 * its own event loop, and a timer on the control loop sends WATCHDOG=1
 * only when every worker's counter moved since the last check. A worker
 * stuck in a loop, a wedged worker loop or a wedged control loop all stop
 * the pings, and systemd restarts the service.
 */
#ifndef ROUTERD_SERVICE_H
#define ROUTERD_SERVICE_H

#include <stdint.h>
#include <uv.h>

struct worker_set;
struct service_watchdog;

/*
 * If the service manager wants watchdog pings, set the workers' heartbeat
 * (call before workers_start()) and start checking them on LOOP. Returns
 * NULL when no watchdog is wanted (or on allocation failure, logged).
 */
struct service_watchdog *service_watchdog_start(uv_loop_t *loop, struct worker_set *set);

/* Stop the check timer (its handle closes with the loop's other handles). */
void service_watchdog_stop(struct service_watchdog *wd);

/* Free after the loop has closed every handle. */
void service_watchdog_free(struct service_watchdog *wd);

/*
 * Give up every capability this process holds (effective, permitted,
 * inheritable, ambient) and, when it may, the bounding set, so nothing
 * can be regained through exec either. Called once the sockets are bound.
 * BEFORE_SETUID: root that will become another user: only the bounding
 * set is emptied (while CAP_SETPCAP is held) and no_new_privs set; both
 * are per thread, so call it before the first thread is made, and
 * setuid() clears the rest later. Returns 0 or a negative errno-style code.
 */
int service_drop_caps(int before_setuid);

/* Does this process hold CAP_NET_BIND_SERVICE in its effective set? */
int service_can_bind_low_ports(void);

/* Tell the service manager a reload started (RELOADING=1, with the
 * monotonic time newer systemd versions expect). */
void service_notify_reloading(void);

#endif
