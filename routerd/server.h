/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server.h -- the daemon's life: load config and zones, bind, drop
 * privileges, start the workers, then run the control loop (signals, the
 * admin socket, webhooks, the switch timers: admin/control.h) until told
 * to stop.
 */
#ifndef ROUTERD_SERVER_H
#define ROUTERD_SERVER_H

/* Run with the config at PATH. Returns the process exit status. */
int server_run(const char *path);

/* Load PATH and every zone without serving; print errors. Returns 0 or 1. */
int server_check(const char *path);

#endif
