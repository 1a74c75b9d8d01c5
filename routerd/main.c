/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c -- routerd's command line (see README.md). */
#include <stdio.h>
#include <unistd.h>

#include "lib/log.h"
#include "server.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: routerd -c FILE [-v]      serve, in the foreground\n"
	             "       routerd -t -c FILE        check config and zones, then exit\n"
	             "       routerd -V | -h           version | this help\n");
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	int check = 0, opt;

	while ((opt = getopt(argc, argv, "c:tvVh")) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 't': check = 1; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'V': printf("routerd %s\n", ROUTERD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_open();
	return check ? server_check(config) : server_run(config);
}
