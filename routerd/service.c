/* SPDX-License-Identifier: BSD-3-Clause */
/* service.c -- see service.h. */
#include "service.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "dns/worker.h"
#include "lib/log.h"

struct service_watchdog {
	uv_timer_t timer;
	struct worker_set *set;
	uint64_t *seen;      /* each worker's heartbeat at the last check */
	uint64_t period_ms;  /* between checks: half of WatchdogSec */
	int withheld;        /* the last check sent no ping (log once per stall) */
};

/* Check twice per watchdog period (sd_watchdog_enabled(3) advises half),
 * so one late check does not cost a restart. Each worker beats 8 times per
 * period: 4 beats between two checks, so a worker that is merely busy
 * (a long batch, a slow machine) still moves its counter. */
static void on_check(uv_timer_t *t)
{
	struct service_watchdog *wd = t->data;
	size_t n = workers_threads(wd->set), stuck = n;
	char name[64];

	for (size_t i = 0; i < n; i++) {
		uint64_t beat = workers_heartbeat(wd->set, i);
		if (beat == wd->seen[i] && stuck == n)
			stuck = i;
		wd->seen[i] = beat;
	}
	if (stuck == n) {
		if (wd->withheld)
			log_notice("watchdog: every worker answers again; pings resumed");
		wd->withheld = 0;
		sd_notify(0, "WATCHDOG=1");
		return;
	}
	if (!wd->withheld) {
		workers_thread_name(wd->set, stuck, name, sizeof(name));
		log_error("watchdog: %s has not turned its loop for %llu ms: withholding the watchdog ping", name,
		          (unsigned long long)wd->period_ms);
	}
	wd->withheld = 1;
}

struct service_watchdog *service_watchdog_start(uv_loop_t *loop, struct worker_set *set)
{
	struct service_watchdog *wd;
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return NULL;
	wd = calloc(1, sizeof(*wd));
	if (wd == NULL || (wd->seen = calloc(workers_threads(set) + 1, sizeof(*wd->seen))) == NULL) {
		free(wd);
		log_error("watchdog: out of memory; no watchdog pings will be sent");
		return NULL;
	}
	wd->set = set;
	wd->period_ms = usec / 2000 ? usec / 2000 : 1;
	/* The first check compares with 0: a worker must have beaten once. */
	workers_set_heartbeat(set, usec / 8000 ? usec / 8000 : 1);
	uv_timer_init(loop, &wd->timer);
	wd->timer.data = wd;
	uv_timer_start(&wd->timer, on_check, wd->period_ms, wd->period_ms);
	log_info("watchdog: pinging every %llu ms while every worker answers", (unsigned long long)wd->period_ms);
	return wd;
}

void service_watchdog_stop(struct service_watchdog *wd)
{
	if (wd != NULL)
		uv_timer_stop(&wd->timer);
}

void service_watchdog_free(struct service_watchdog *wd)
{
	if (wd == NULL)
		return;
	free(wd->seen);
	free(wd);
}

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return (int)syscall(SYS_capget, &hdr, data);
}

int service_can_bind_low_ports(void)
{
	struct __user_cap_data_struct data[2];

	if (caps_get(data) < 0)
		return 0;
	return (data[CAP_NET_BIND_SERVICE / 32].effective >> (CAP_NET_BIND_SERVICE % 32)) & 1;
}

/* The highest capability number this kernel knows. */
static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = CAP_LAST_CAP;

	if (f != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n;
}

int service_drop_caps(int before_setuid)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2];

	/* No exec of a set-uid program can hand anything back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (before_setuid) {
		for (int c = 0; c <= cap_last(); c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
				return -errno;
		return 0; /* setuid() from root clears the rest */
	}
	/* Not root: systemd's AmbientCapabilities= gave us what binding needed. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	memset(none, 0, sizeof(none));
	if (syscall(SYS_capset, &hdr, none) < 0)
		return -errno;
	return 0;
}

void service_notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	           (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}
