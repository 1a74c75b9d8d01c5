/*
 * fuzz_packet.c -- libFuzzer target for the packet parser and answer path:
 * every input is answered as a UDP query and as a TCP query from a view
 * built once from fuzz.zone, with one switch, so every kind of answer
 * (wildcards, chains, referrals, switched names) is in reach.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "answer.h"
#include "config.h"
#include "rcu.h"
#include "view.h"

static struct answer_ctx ctx;
static int slot;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config *cfg;
	struct view *v;
	char err[1024];
	const char *conf = getenv("FUZZ_CONFIG") ? getenv("FUZZ_CONFIG") : "test/fuzz/fuzz.yaml";
	(void)argc;
	(void)argv;
	if (config_load(conf, &cfg, err, sizeof(err)) < 0 || view_build(cfg, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		exit(1);
	}
	view_publish(v);
	config_free(cfg);
	slot = rcu_reader_register();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	rcu_read_lock(slot);
	answer_query(view_current(), data, size, out, sizeof(out), ANSWER_UDP, NULL, &ctx);
	answer_query(view_current(), data, size, out, sizeof(out), ANSWER_TCP, NULL, &ctx);
	rcu_read_unlock(slot);
	return 0;
}
