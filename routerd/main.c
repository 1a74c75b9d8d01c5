/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c -- routerd's command line (see README.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "lib/journal.h"
#include "lib/log.h"
#include "server.h"
#include "switch/state.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: routerd -c FILE [-v]      serve, in the foreground\n"
	             "       routerd -t -c FILE        check config and zones, then exit\n"
	             "       routerd --recover -c FILE repair a damaged journal or snapshot in state_dir, then exit\n"
	             "       routerd -V | -h           version | this help\n");
}

/* Whether a routerd answers on PATH (its admin socket). */
static int running(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), up;
	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

/*
 * --recover: keep what can be kept of state_dir, set the rest aside
 * (journal.corrupt-TIME, snapshot.json.corrupt-TIME), so that the next
 * start recovers. The switch journal's records are applied as a start
 * would, so a record this routerd cannot apply is set aside too; the
 * propagation reports' journal is checked for damage only.
 */
static int recover(const char *path)
{
	struct config *cfg;
	struct journal_info info;
	struct state *st;
	char err[1024], prop_dir[4096];
	int r;

	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (running(cfg->control_socket)) {
		fprintf(stderr, "routerd --recover: a routerd is running on %s; stop it first\n", cfg->control_socket);
		config_free(cfg);
		return 1;
	}
	st = state_new(0);
	r = journal_recover(cfg->state_dir, state_replay_cb, st, &info);
	state_free(st);
	if (r < 0) {
		fprintf(stderr, "routerd --recover: %s: %s\n", cfg->state_dir, journal_strerror(r));
		config_free(cfg);
		return 1;
	}
	printf("%s: snapshot %s, %llu records kept, %llu bytes set aside%s\n", cfg->state_dir,
	       info.snapshot_set_aside ? "set aside" : (info.snapshot ? "kept" : "none"), (unsigned long long)info.records,
	       (unsigned long long)info.set_aside_bytes, info.dropped_bytes ? ", a torn last record cut" : "");
	snprintf(prop_dir, sizeof(prop_dir), "%s/propagation", cfg->state_dir);
	if (access(prop_dir, F_OK) == 0) {
		r = journal_recover(prop_dir, NULL, NULL, &info);
		if (r < 0)
			fprintf(stderr, "routerd --recover: %s: %s\n", prop_dir, journal_strerror(r));
		else
			printf("%s: snapshot %s, %llu bytes set aside\n", prop_dir,
			       info.snapshot_set_aside ? "set aside" : (info.snapshot ? "kept" : "none"),
			       (unsigned long long)info.set_aside_bytes);
	}
	config_free(cfg);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "recover", no_argument, NULL, 'R' }, { NULL, 0, NULL, 0 } };
	const char *config = NULL;
	int check = 0, repair = 0, opt;

	while ((opt = getopt_long(argc, argv, "c:tvVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 't': check = 1; break;
		case 'R': repair = 1; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'V': printf("routerd %s\n", ROUTERD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config == NULL || optind != argc || (check && repair)) {
		usage(stderr);
		return 2;
	}
	log_open();
	if (repair)
		return recover(config);
	return check ? server_check(config) : server_run(config);
}
