/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_dnstap.c -- libFuzzer target for the dnstap collector's parser:
 * Frame Streams framing and control frames, the protobuf dnstap message,
 * and the DNS response inside it matched against both sides of the
 * switches of fuzz.yaml's view.
 *
 * The first byte picks how the rest is read: even, as a whole Frame
 * Streams byte stream (a START is put in front when it is odd-numbered
 * twice, so data frames are reached), fed in pieces of the size the
 * second byte says; odd, as one dnstap data frame. Beyond the
 * sanitizers: the parser never consumes more than it was given, a side is
 * 0, 1 or -1, and a side comes only with a switch.
 */
#include <fstrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fleet/dnstap_parse.h"
#include "zone/view.h"

static struct dt_matcher *matcher;
static struct dt_scratch *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config *cfg;
	struct view *view;
	char err[1024];
	const char *conf = getenv("FUZZ_CONFIG") ? getenv("FUZZ_CONFIG") : "test/fuzz/fuzz.yaml";

	(void)argc, (void)argv;
	if (config_load(conf, &cfg, err, sizeof(err)) < 0 || view_build(cfg, &view, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz setup: %s\n", err);
		exit(1);
	}
	config_free(cfg);
	matcher = dt_matcher_build(view);
	scratch = dt_scratch_new();
	view_free(view); /* the matcher keeps its own copy of the sides */
	if (matcher == NULL || scratch == NULL)
		exit(1);
	return 0;
}

static int on_data(void *arg, const uint8_t *f, size_t n)
{
	struct dt_msg m;
	(void)arg;
	if (dt_decode(scratch, matcher, f, n, &m) < 0)
		return DT_E_MESSAGE;
	if (m.side < -1 || m.side > 1 || (m.side >= 0 && m.switch_id < 0))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[1 << 17];
	uint8_t reply[2048];
	size_t rlen = 0, n = 0, off = 0, step;
	struct dt_fs fs;

	if (size < 2)
		return 0;
	if (data[0] & 1)
		return on_data(NULL, data + 1, size - 1), 0;
	if (data[0] & 2) { /* START first: reach the data frames */
		static const uint8_t start[] = { 0, 0, 0, 0, 0, 0, 0, 0x22, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0x16,
			                         'p', 'r', 'o', 't', 'o', 'b', 'u', 'f', ':', 'd', 'n', 's',
			                         't', 'a', 'p', '.', 'D', 'n', 's', 't', 'a', 'p' };
		memcpy(buf, start, sizeof(start));
		n = sizeof(start);
	}
	if (size - 2 > sizeof(buf) - n)
		size = sizeof(buf) - n + 2;
	memcpy(buf + n, data + 2, size - 2);
	n += size - 2;
	step = data[1] ? data[1] : n;
	if (dt_fs_init(&fs) < 0)
		return 0;
	/* As a socket delivers it: a piece at a time, the rest kept. */
	for (size_t have = step < n ? step : n; off <= have;) {
		long used = dt_fs_feed(&fs, buf + off, have - off, on_data, NULL, reply, sizeof(reply), &rlen);
		if (used < 0 || fs.state == DT_FS_STOPPED)
			break;
		if ((size_t)used > have - off || rlen > sizeof(reply))
			abort();
		off += (size_t)used;
		if (have == n)
			break;
		have = have + step < n ? have + step : n;
	}
	dt_fs_free(&fs);
	return 0;
}
