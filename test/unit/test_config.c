/* test_config.c -- the YAML schema: values and defaults, and every error at its line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char dir[] = "/tmp/test_config.XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/routerd.yaml", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_conf(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define MIN "server:\n  listen: [\"127.0.0.1:5353\"]\nzones:\n  - { name: example.com, file: x.zone }\n"

static void test_minimal_defaults(void **state)
{
	(void)state;
	struct config *cfg;
	char err[512];
	write_conf(MIN);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->n_listen, 1);
	assert_int_equal(cfg->listen[0].ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&cfg->listen[0].ss)->sin_port), 5353);
	assert_true(cfg->workers >= 1);
	assert_int_equal(cfg->udp_payload_max, 1232);
	assert_int_equal(cfg->tcp_idle_timeout, 10);
	assert_string_equal(cfg->state_dir, "/var/lib/routerd");
	assert_string_equal(cfg->control_socket, "/run/routerd/control.sock");
	assert_int_equal(cfg->control_mode, 0660);
	assert_false(cfg->http.enabled);
	assert_int_equal(cfg->n_zones, 1);
	assert_string_equal(cfg->zones[0].name, "example.com.");
	assert_int_equal(cfg->defaults.ttl, 30);
	assert_int_equal(cfg->defaults.failback_hold, 300);
	config_free(cfg);
}

static void test_full(void **state)
{
	(void)state;
	struct config *cfg;
	char err[512];
	write_conf("server:\n"
	           "  listen: [\"127.0.0.1:53\", \"[::1]:5353\"]\n"
	           "  workers: 3\n"
	           "  tcp_idle_timeout: 2m\n"
	           "state_dir: /tmp/st\n"
	           "control: { socket: /tmp/c.sock, mode: \"0600\" }\n"
	           "http:\n"
	           "  listen: \"127.0.0.1:8053\"\n"
	           "  auth: { hmac: { secret_file: /etc/s } }\n"
	           "brake: { max_share: 0.5, window: 1h }\n"
	           "zones:\n"
	           "  - { name: Example.COM, file: x.zone }\n"
	           "switch_defaults: { ttl: 20s, failback_hold: 1d, all_down: origin }\n"
	           "switches:\n"
	           "  - name: WWW.example.com.\n"
	           "    cdn: { cname: Cust.CDN.example.net }\n"
	           "    origin: { a: [192.0.2.10], aaaa: [\"2001:db8::10\"] }\n"
	           "    ttl: 45\n"
	           "  - name: example.com\n"
	           "    cdn: { a: [198.51.100.1, 198.51.100.2] }\n"
	           "    origin: { a: [192.0.2.10] }\n"
	           "    initial: origin\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->n_listen, 2);
	assert_int_equal(cfg->listen[1].ss.ss_family, AF_INET6);
	assert_int_equal(cfg->workers, 3);
	assert_int_equal(cfg->tcp_idle_timeout, 120);
	assert_int_equal(cfg->control_mode, 0600);
	assert_true(cfg->http.enabled);
	assert_int_equal(cfg->http.auth, AUTH_HMAC);
	assert_true(cfg->brake.max_share > 0.49 && cfg->brake.max_share < 0.51);
	assert_int_equal(cfg->brake.window, 3600);
	assert_int_equal(cfg->n_switches, 2);
	assert_string_equal(cfg->switches[0].name, "www.example.com.");
	assert_string_equal(cfg->switches[0].cdn.cname, "cust.cdn.example.net.");
	assert_int_equal(cfg->switches[0].origin.n_a, 1);
	assert_int_equal(cfg->switches[0].origin.n_aaaa, 1);
	assert_int_equal(cfg->switches[0].ttl, 45);
	assert_int_equal(cfg->switches[0].failback_hold, 86400); /* from switch_defaults */
	assert_int_equal(cfg->switches[0].all_down, ALL_DOWN_ORIGIN);
	assert_int_equal(cfg->switches[0].initial, SIDE_CDN);
	assert_int_equal(cfg->switches[1].ttl, 20);
	assert_int_equal(cfg->switches[1].cdn.n_a, 2);
	assert_int_equal(cfg->switches[1].initial, SIDE_ORIGIN);
	config_free(cfg);
}

struct bad {
	const char *text;
	const char *where; /* "line:col" */
	const char *reason;
};

static void test_errors(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{ MIN "listn: 1\n", "5:1", "unknown key \"listn\"" },
		{ "server:\n  listen: [\"127.0.0.1:5353\"]\n  lisen: 2\nzones: []\n", "3:3", "unknown key \"lisen\"" },
		{ "server:\n  listen: \"127.0.0.1:53\"\nzones:\n  - { name: a, file: b }\n", "2:11", "must be a list" },
		{ "server:\n  listen: [\"127.0.0.1\"]\nzones:\n  - { name: a, file: b }\n", "2:12", "bad listen address" },
		{ "server:\n  listen: [\"300.0.0.1:53\"]\nzones:\n  - { name: a, file: b }\n", "2:12", "bad listen address" },
		{ "server:\n  listen: [\"[::1]:70000\"]\nzones:\n  - { name: a, file: b }\n", "2:12", "bad listen address" },
		{ MIN "server: {}\n", "5:1", "duplicate key \"server\"" },
		{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: many\nzones:\n  - { name: a, file: b }\n", "3:12",
		  "workers must be an integer" },
		{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: 0\nzones:\n  - { name: a, file: b }\n", "3:12",
		  "workers must be from 1 to 256" },
		{ "server:\n  listen: [\"127.0.0.1:53\"]\n", "1:1", "zones is required" },
		{ "zones:\n  - { name: a, file: b }\n", "1:1", "server.listen is required" },
		{ MIN "switch_defaults: { ttl: 5x }\n", "5:25", "bad duration" },
		{ MIN "switch_defaults: { ttl: -5 }\n", "5:25", "bad duration" },
		{ MIN "switch_defaults: { all_down: maybe }\n", "5:30", "must be stay, cdn or origin" },
		{ MIN "control: { mode: \"0999\" }\n", "5:18", "octal mode" },
		{ MIN "switches:\n  - name: www.example.com\n    cdn: { cname: a.example.net, a: [192.0.2.1] }\n"
		      "    origin: { a: [192.0.2.2] }\n",
		  "6:5", "cdn has both a cname and addresses" },
		{ MIN "switches:\n  - name: www.example.com\n    cdn: { cname: a.example.net }\n", "6:5",
		  "origin needs a cname or a/aaaa" },
		{ MIN "switches:\n  - name: www.example.org\n    cdn: { cname: a.example.net }\n"
		      "    origin: { a: [192.0.2.2] }\n",
		  "6:5", "not inside any served zone" },
		{ MIN "switches:\n  - name: example.com\n    cdn: { cname: a.example.net }\n"
		      "    origin: { a: [192.0.2.2] }\n",
		  "6:5", "zone apex takes addresses only" },
		{ MIN "switches:\n  - name: www.example.com\n    cdn: { cname: a.example.net }\n"
		      "    origin: { a: [192.0.2.300] }\n",
		  "8:19", "bad IPv4 address" },
		{ MIN "switches:\n  - name: \"bad..name\"\n", "6:11", "bad domain name" },
		{ MIN "  - { name: example.com, file: y.zone }\n", "5:5", "zone example.com. listed twice" },
		{ "server: [1, 2]\nzones: []\n", "1:9", "server must be a mapping" },
		{ "- just\n- a list\n", "1:1", "the configuration must be a mapping" },
		{ "server:\n  listen: [\"127.0.0.1:53\"\nzones: x\n", "3:1", "" },
		{ MIN "http: { listen: \"127.0.0.1:8053\", auth: { basic: { user: am } } }\n", "", "password_file" },
		{ MIN "brake: { max_share: 1.5 }\n", "5:21", "above 0 and at most 1" },
		{ "", "1:1", "empty" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg = NULL;
		char err[512] = "", want[320];
		write_conf(cases[i].text);
		snprintf(want, sizeof(want), "%s:%s%s", path, cases[i].where, cases[i].where[0] ? ": error: " : "");
		if (config_load(path, &cfg, err, sizeof(err)) != -1 || strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, cases[i].reason) == NULL)
			fail_msg("case %zu: got \"%s\", wanted \"%s...%s\"", i, err, want, cases[i].reason);
		assert_null(cfg);
	}
}

static void test_parsers(void **state)
{
	(void)state;
	uint32_t s;
	struct cfg_addr a;
	assert_int_equal(config_parse_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(config_parse_duration("2h", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(config_parse_duration("1d", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(config_parse_duration("", &s), -1);
	assert_int_equal(config_parse_duration("5w", &s), -1);
	assert_int_equal(config_parse_duration("99999999999d", &s), -1);
	assert_int_equal(config_parse_addr("[2001:db8::1]:53", &a), 0);
	assert_int_equal(a.ss.ss_family, AF_INET6);
	assert_int_equal(config_parse_addr("2001:db8::1:53", &a), -1); /* v6 needs brackets */
	assert_int_equal(config_parse_addr("127.0.0.1:0", &a), -1);
	assert_int_equal(config_parse_addr("127.0.0.1:53x", &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_parsers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
