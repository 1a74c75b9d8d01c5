/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_webhook.c -- libFuzzer target for what the HTTP listener hands to
 * parsers from the network: webhook bodies of every source, error reports,
 * and the credentials (Basic decoding, HMAC signature comparison). The
 * first byte picks the parser; the rest is the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/auth.h"
#include "config.h"
#include "admin/webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct webhook_opts opts = { "severity", "warning" };
	struct signal_event *ev = NULL;
	struct error_report r;
	size_t n, ignored;
	char err[512], text[4096];

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
	case 1:
	case 2:
		if (webhook_parse_signals((enum webhook_source)(data[0] % 3), (const char *)data + 1, size - 1, &opts, &ev,
		                          &n, &ignored, err, sizeof(err)) == 0) {
			/* What a parse returns must be whole, terminated strings. */
			for (size_t i = 0; i < n; i++)
				if (strlen(ev[i].target) == 0 || ev[i].side < 0 || ev[i].side > 1)
					abort();
		}
		free(ev);
		break;
	case 3:
		webhook_parse_errors((const char *)data + 1, size - 1, &r, err, sizeof(err));
		break;
	case 4: {
		/* Headers are text: a bounded, terminated copy, as http.c gives. */
		size_t len = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
		static struct auth *basic, *hmac;
		memcpy(text, data + 1, len);
		text[len] = '\0';
		if (basic == NULL) {
			/* The secrets come from files; the fuzzer only varies the client's side. */
			struct cfg_http cb = { .auth = AUTH_BASIC, .basic_user = "am", .basic_password_file = "test/fuzz/secret" };
			struct cfg_http ch = { .auth = AUTH_HMAC, .hmac_secret_file = "test/fuzz/secret" };
			if (auth_load(&cb, &basic, err, sizeof(err)) < 0 || auth_load(&ch, &hmac, err, sizeof(err)) < 0)
				abort();
		}
		auth_check(basic, text, NULL, data, size);
		auth_check(hmac, NULL, text, data, size);
		break;
	}
	}
	return 0;
}
