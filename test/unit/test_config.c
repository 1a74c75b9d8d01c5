/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config.c -- the YAML schema: parsed values and defaults, and every
 * refused config with its exact line:col and reason. Run from test/unit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char dir[] = "/tmp/test_config.XXXXXX";
static char path[PATH_MAX];

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
	return rmdir(dir);
}

static void write_file(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Load TEXT as the config file; on failure ERR holds the message. */
static int load(const char *text, struct config **cfg, char *err, size_t errlen)
{
	*cfg = NULL;
	write_file(path, text);
	return config_load(path, cfg, err, errlen);
}

static struct config *load_ok(const char *text)
{
	struct config *cfg;
	char err[512];

	if (load(text, &cfg, err, sizeof(err)) != 0)
		fail_msg("config refused: %s", err);
	assert_non_null(cfg);
	return cfg;
}

static void assert_v4(const struct in_addr *a, const char *want)
{
	struct in_addr w;
	assert_int_equal(inet_pton(AF_INET, want, &w), 1);
	assert_memory_equal(a, &w, sizeof(w));
}

static void assert_v6(const struct in6_addr *a, const char *want)
{
	struct in6_addr w;
	assert_int_equal(inet_pton(AF_INET6, want, &w), 1);
	assert_memory_equal(a, &w, sizeof(w));
}

/* The smallest valid config: four lines, so appended text starts at line 5. */
#define MIN "server:\n  listen: [\"127.0.0.1:5353\"]\nzones:\n  - { name: example.com, file: x.zone }\n"
/* MIN plus the head of one switch: its mapping starts at 6:5, its first side at 7:10. */
#define SW MIN "switches:\n  - name: www.example.com\n"
#define ORIGIN_OK "    origin: { a: [192.0.2.2] }\n"

static void test_defaults(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct config *cfg = load_ok(MIN);

	(void)state;
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->n_listen, 1);
	assert_int_equal(cfg->listen[0].ss.ss_family, AF_INET);
	assert_int_equal(cfg->listen[0].len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&cfg->listen[0].ss)->sin_port), 5353);
	assert_string_equal(cfg->listen[0].text, "127.0.0.1:5353");
	assert_int_equal(cfg->workers, cpus > 256 ? 256 : cpus);
	assert_null(cfg->user);
	assert_int_equal(cfg->udp_payload_max, 1232);
	assert_int_equal(cfg->tcp_idle_timeout, 10);
	assert_int_equal(cfg->tcp_max_clients, 1000);
	assert_string_equal(cfg->state_dir, "/var/lib/routerd");
	assert_string_equal(cfg->control_socket, "/run/routerd/control.sock");
	assert_int_equal(cfg->control_mode, 0660);
	assert_false(cfg->http.enabled);
	assert_int_equal(cfg->http.auth, AUTH_NONE);
	assert_int_equal(cfg->http.max_body, 1 << 20);
	assert_int_equal(cfg->http.max_header, 16 << 10);
	assert_int_equal(cfg->http.max_connections, 256);
	assert_int_equal(cfg->http.idle_timeout, 30);
	assert_string_equal(cfg->http.hmac_header, "X-Routerd-Signature");
	assert_true(cfg->brake.max_share > 0.199 && cfg->brake.max_share < 0.201);
	assert_int_equal(cfg->brake.window, 600 * 1000);
	assert_int_equal(cfg->brake.min_switches, 2);
	assert_string_equal(cfg->armed_label, "severity");
	assert_string_equal(cfg->armed_value, "warning");
	assert_int_equal(cfg->n_zones, 1);
	assert_string_equal(cfg->zones[0].name, "example.com.");
	assert_int_equal(cfg->zones[0].line, 4);
	assert_int_equal(cfg->zones[0].col, 5);
	assert_int_equal(cfg->defaults.p.ttl, 30);
	assert_int_equal(cfg->defaults.p.ttl_armed, 5);
	assert_int_equal(cfg->defaults.p.failback_hold, 300 * 1000);
	assert_int_equal(cfg->defaults.signal_ttl, 3600 * 1000);
	assert_int_equal(cfg->defaults.p.all_down, ALL_DOWN_STAY);
	assert_int_equal(cfg->n_switches, 0);
	config_free(cfg);
}

static void test_values(void **state)
{
	struct config *cfg = load_ok(
	    "server:\n"
	    "  listen: [\"127.0.0.1:53\", \"[2001:DB8::1]:5353\", \"0.0.0.0:1\"]\n"
	    "  workers: 3\n"
	    "  user: nobody\n"
	    "  udp_payload_max: 4096\n"
	    "  tcp_idle_timeout: 2m\n"
	    "  tcp_max_clients: 7\n"
	    "state_dir: build/st\n"
	    "control: { socket: /tmp/c.sock, mode: 0600 }\n"
	    "http:\n"
	    "  listen: \"[::1]:8053\"\n"
	    "  auth: { hmac: { secret_file: /etc/s } }\n"
	    "  max_body: 2M\n"
	    "  max_header: 64k\n"
	    "  max_connections: 9\n"
	    "  idle_timeout: 1h\n"
	    "brake: { max_share: 0.5, window: 1d, min_switches: 0 }\n"
	    "armed: { label: level, value: page }\n"
	    "zones:\n"
	    "  - { name: Example.COM., file: /abs/x.zone }\n"
	    "  - name: example.org\n"
	    "    file: /abs/y.zone\n"
	    "switch_defaults: { ttl: 20s, failback_hold: 0, signal_ttl: 2h, all_down: origin }\n"
	    "switches:\n"
	    "  - name: WWW.example.COM.\n"
	    "    cdn: { cname: Cust-1.CDN.example.net }\n"
	    "    origin: { a: [192.0.2.10, 192.0.2.11], aaaa: [\"2001:db8::10\"] }\n"
	    "    ttl: 3\n"
	    "  - name: example.org\n"
	    "    cdn: { aaaa: [\"2001:db8::1\"] }\n"
	    "    origin: { a: [192.0.2.10] }\n"
	    "    initial: origin\n"
	    "    ttl_armed: 1s\n"
	    "    failback_hold: 90\n"
	    "    all_down: cdn\n"
	    "  - name: _svc.example.org\n"
	    "    cdn: { cname: x.example.net. }\n"
	    "    origin: { cname: y.example.net. }\n");
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&cfg->listen[1].ss;
	const struct cfg_switch *s;

	(void)state;
	assert_int_equal(cfg->n_listen, 3);
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(cfg->listen[1].len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(s6->sin6_port), 5353);
	assert_v6(&s6->sin6_addr, "2001:db8::1");
	assert_int_equal(ntohs(((struct sockaddr_in *)&cfg->listen[2].ss)->sin_port), 1);
	assert_int_equal(cfg->workers, 3);
	assert_string_equal(cfg->user, "nobody");
	assert_int_equal(cfg->udp_payload_max, 4096);
	assert_int_equal(cfg->tcp_idle_timeout, 120);
	assert_int_equal(cfg->tcp_max_clients, 7);
	assert_string_equal(cfg->state_dir, "build/st");
	assert_string_equal(cfg->control_socket, "/tmp/c.sock");
	assert_int_equal(cfg->control_mode, 0600);
	assert_true(cfg->http.enabled);
	assert_int_equal(cfg->http.listen.ss.ss_family, AF_INET6);
	assert_int_equal(cfg->http.auth, AUTH_HMAC);
	assert_string_equal(cfg->http.hmac_secret_file, "/etc/s");
	assert_string_equal(cfg->http.hmac_header, "X-Routerd-Signature");
	assert_int_equal(cfg->http.max_body, 2 << 20);
	assert_int_equal(cfg->http.max_header, 64 << 10);
	assert_int_equal(cfg->http.max_connections, 9);
	assert_int_equal(cfg->http.idle_timeout, 3600);
	assert_true(cfg->brake.max_share > 0.499 && cfg->brake.max_share < 0.501);
	assert_int_equal(cfg->brake.window, 86400 * 1000);
	assert_int_equal(cfg->brake.min_switches, 0);
	assert_string_equal(cfg->armed_label, "level");
	assert_string_equal(cfg->armed_value, "page");
	assert_int_equal(cfg->n_zones, 2);
	assert_string_equal(cfg->zones[0].name, "example.com.");
	assert_string_equal(cfg->zones[0].file, "/abs/x.zone");
	assert_string_equal(cfg->zones[1].name, "example.org.");
	assert_int_equal(cfg->zones[1].line, 21);
	assert_int_equal(cfg->zones[1].col, 5);
	assert_int_equal(cfg->defaults.p.ttl, 20);
	assert_int_equal(cfg->defaults.p.ttl_armed, 5);
	assert_int_equal(cfg->defaults.p.failback_hold, 0 * 1000);
	assert_int_equal(cfg->defaults.signal_ttl, 7200 * 1000);
	assert_int_equal(cfg->n_switches, 3);

	s = &cfg->switches[0];
	assert_string_equal(s->name, "www.example.com.");
	assert_int_equal(s->line, 25);
	assert_int_equal(s->col, 5);
	assert_string_equal(s->cdn.cname, "cust-1.cdn.example.net.");
	assert_int_equal(s->cdn.n_a + s->cdn.n_aaaa, 0);
	assert_null(s->origin.cname);
	assert_int_equal(s->origin.n_a, 2);
	assert_v4(&s->origin.a[0], "192.0.2.10");
	assert_v4(&s->origin.a[1], "192.0.2.11");
	assert_int_equal(s->origin.n_aaaa, 1);
	assert_v6(&s->origin.aaaa[0], "2001:db8::10");
	assert_int_equal(s->p.ttl, 3);
	assert_int_equal(s->p.ttl_armed, 3); /* the inherited 5s is capped at the switch's ttl */
	assert_int_equal(s->p.failback_hold, 0 * 1000);
	assert_int_equal(s->p.all_down, ALL_DOWN_ORIGIN);
	assert_int_equal(s->p.home, SIDE_CDN);

	s = &cfg->switches[1];
	assert_string_equal(s->name, "example.org.");
	assert_int_equal(s->cdn.n_a, 0);
	assert_int_equal(s->cdn.n_aaaa, 1);
	assert_v6(&s->cdn.aaaa[0], "2001:db8::1");
	assert_int_equal(s->p.ttl, 20);
	assert_int_equal(s->p.ttl_armed, 1);
	assert_int_equal(s->p.failback_hold, 90 * 1000);
	assert_int_equal(s->p.all_down, ALL_DOWN_CDN);
	assert_int_equal(s->p.home, SIDE_ORIGIN);

	s = &cfg->switches[2];
	assert_string_equal(s->name, "_svc.example.org.");
	assert_string_equal(s->origin.cname, "y.example.net.");
	config_free(cfg);
}

static void test_auth_kinds(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_ok(MIN "http: { listen: \"127.0.0.1:8053\", auth: { bearer_token_file: /t } }\n");
	assert_int_equal(cfg->http.auth, AUTH_BEARER);
	assert_string_equal(cfg->http.bearer_token_file, "/t");
	config_free(cfg);
	cfg = load_ok(MIN "http: { listen: \"127.0.0.1:8053\", auth: { basic: { user: am, password_file: /p } } }\n");
	assert_int_equal(cfg->http.auth, AUTH_BASIC);
	assert_string_equal(cfg->http.basic_user, "am");
	assert_string_equal(cfg->http.basic_password_file, "/p");
	config_free(cfg);
	cfg = load_ok(MIN "http: { listen: \"127.0.0.1:8053\", auth: { hmac: { secret_file: /s, header: X-Sig } } }\n");
	assert_int_equal(cfg->http.auth, AUTH_HMAC);
	assert_string_equal(cfg->http.hmac_header, "X-Sig");
	config_free(cfg);
	cfg = load_ok(MIN "http: { listen: \"127.0.0.1:8053\" }\n");
	assert_true(cfg->http.enabled);
	assert_int_equal(cfg->http.auth, AUTH_NONE);
	config_free(cfg);
}

/* YAML anchors and aliases reuse one node; the schema walk must accept that. */
static void test_aliases(void **state)
{
	struct config *cfg = load_ok(MIN "switches:\n"
	                                 "  - { name: a.example.com, cdn: &edge { cname: e.example.net }, origin: &o { a: [192.0.2.1] } }\n"
	                                 "  - { name: b.example.com, cdn: *edge, origin: *o }\n");

	(void)state;
	assert_int_equal(cfg->n_switches, 2);
	assert_string_equal(cfg->switches[1].cdn.cname, "e.example.net.");
	assert_int_equal(cfg->switches[1].origin.n_a, 1);
	config_free(cfg);
}

struct bad {
	const char *text;
	const char *where; /* "line:col" */
	const char *reason;
};

static const struct bad bad_configs[] = {
	/* YAML itself */
	{ "", "1:1", "holds no configuration" },
	{ "# only a comment\n", "1:1", "holds no configuration" },
	{ "server:\n  listen: [\"127.0.0.1:53\"\nzones: x\n", "3:1", "did not find expected ',' or ']'" },
	{ "server:\n\tlisten: []\n", "2:1", "found character that cannot start any token" },
	{ MIN "---\nserver: {}\n", "6:1", "only one YAML document" },
	{ "- just\n- a list\n", "1:1", "the configuration must be a mapping" },
	{ "hello\n", "1:1", "the configuration must be a mapping" },
	{ "? [a]\n: 1\n", "1:3", "a key in the configuration must be a plain name" },
	/* keys: unknown, repeated, missing */
	{ MIN "listn: 1\n", "5:1", "unknown key \"listn\"" },
	{ MIN "zonez: []\n", "5:1", "unknown key \"zonez\" (did you mean \"zones\"?)" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  lisen: 2\n", "3:3", "unknown key \"lisen\" in server (did you mean" },
	{ MIN "server: {}\n", "5:1", "duplicate key \"server\" (first at line 1)" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: 1\n  workers: 2\n", "4:3", "duplicate key \"workers\"" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\nzones:\n  - { name: a.com, file: x, name: b.com }\n", "4:29",
	  "duplicate key \"name\"" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n", "1:1", "zones is required" },
	{ "zones:\n  - { name: a.com, file: b }\n", "1:1", "server.listen is required" },
	{ "server:\n  workers: 2\nzones:\n  - { name: a.com, file: b }\n", "2:3", "server.listen is required" },
	/* wrong types */
	{ "server: [1, 2]\n", "1:9", "server must be a mapping" },
	{ "server:\nzones: []\n", "1:8", "server must be a mapping" },
	{ MIN "state_dir: [a]\n", "5:12", "state_dir must be a single value, not a list" },
	{ MIN "state_dir: { a: b }\n", "5:12", "state_dir must be a single value, not a mapping" },
	{ MIN "state_dir:\n", "5:11", "state_dir needs a value" },
	{ MIN "state_dir: ~\n", "5:12", "state_dir needs a value" },
	{ MIN "state_dir: \"\"\n", "5:12", "state_dir needs a value" },
	/* server */
	{ "server:\n  listen: \"127.0.0.1:53\"\n", "2:11", "listen must be a list of addresses" },
	{ "server:\n  listen: []\n", "2:11", "listen must list at least one" },
	{ "server:\n  listen: [[\"127.0.0.1:53\"]]\n", "2:12", "a listen address must be a single value, not a list" },
	{ "server:\n  listen: [\"127.0.0.1\"]\n", "2:12", "bad listen address \"127.0.0.1\"" },
	{ "server:\n  listen: [\"300.0.0.1:53\"]\n", "2:12", "bad listen address" },
	{ "server:\n  listen: [\"127.0.0.1:0\"]\n", "2:12", "bad listen address" },
	{ "server:\n  listen: [\"[::1]:70000\"]\n", "2:12", "bad listen address" },
	{ "server:\n  listen: [\"::1:53\"]\n", "2:12", "bad listen address" },
	{ "server:\n  listen: [\"localhost:53\"]\n", "2:12", "bad listen address" },
	{ "server:\n  listen: [\"127.0.0.1:53\", \"127.0.0.1:53\"]\n", "2:28", "listen address 127.0.0.1:53 given twice" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: many\n", "3:12", "workers must be an integer, not \"many\"" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: 0\n", "3:12", "workers must be from 1 to 256" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: 257\n", "3:12", "workers must be from 1 to 256" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: -1\n", "3:12", "workers must be from 1 to 256" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: 99999999999999999999999\n", "3:12", "from 1 to 256" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  workers: 2.5\n", "3:12", "workers must be an integer" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  udp_payload_max: 511\n", "3:20", "from 512 to 4096" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\n  tcp_idle_timeout: 0\n", "3:21", "from 1s to 3600s" },
	/* control, brake, armed */
	{ MIN "control: { mode: \"0999\" }\n", "5:18", "octal mode like \"0660\"" },
	{ MIN "control: { mode: 1777 }\n", "5:18", "octal mode" },
	{ MIN "control: { mode: rw }\n", "5:18", "octal mode" },
	{ MIN "control: { sockt: /x }\n", "5:12", "unknown key \"sockt\" in control (did you mean \"socket\"?)" },
	{ MIN "brake: { max_share: 1.5 }\n", "5:21", "above 0 and at most 1" },
	{ MIN "brake: { max_share: 0 }\n", "5:21", "above 0 and at most 1" },
	{ MIN "brake: { max_share: nan }\n", "5:21", "above 0 and at most 1" },
	{ MIN "brake: { window: 30d }\n", "5:18", "window must be from 1s to 604800s" },
	{ MIN "armed: { label: [a] }\n", "5:17", "label must be a single value" },
	/* http */
	{ MIN "http: { max_body: 2k }\n", "5:7", "http.listen is required" },
	{ MIN "http: { listen: \"localhost:80\" }\n", "5:17", "listen: bad address \"localhost:80\"" },
	{ MIN "http: { listen: \"127.0.0.1:5353\" }\n", "5:17", "http listen 127.0.0.1:5353 is also a DNS listen address" },
	{ MIN "http: { listen: \"127.0.0.1:80\", max_body: 10 }\n", "5:43", "max_body must be from 1024 bytes" },
	{ MIN "http: { listen: \"127.0.0.1:80\", max_body: 2G }\n", "5:43", "max_body must be a size in bytes" },
	{ MIN "http: { listen: \"127.0.0.1:80\", max_body: k }\n", "5:43", "max_body must be a size in bytes" },
	{ MIN "http:\n  listen: \"127.0.0.1:80\"\n  auth: { bearer_token_file: /t, hmac: { secret_file: /s } }\n", "7:9",
	  "auth takes exactly one of bearer_token_file, basic, hmac" },
	{ MIN "http:\n  listen: \"127.0.0.1:80\"\n  auth: {}\n", "7:9", "auth takes exactly one of" },
	{ MIN "http:\n  listen: \"127.0.0.1:80\"\n  auth: { basic: { user: am } }\n", "7:18",
	  "http.auth.basic.password_file is required" },
	{ MIN "http:\n  listen: \"127.0.0.1:80\"\n  auth: { hmac: { header: X } }\n", "7:17",
	  "http.auth.hmac.secret_file is required" },
	{ MIN "http:\n  listen: \"127.0.0.1:80\"\n  auth: { token: x }\n", "7:11", "unknown key \"token\" in http.auth" },
	/* zones */
	{ "server:\n  listen: [\"127.0.0.1:53\"]\nzones: []\n", "3:8", "zones must list at least one" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\nzones: { name: a.com }\n", "3:8", "zones must be a list" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\nzones:\n  - example.com\n", "4:5", "zone must be a mapping" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\nzones:\n  - { name: example.com }\n", "4:5", "zone.file is required" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\nzones:\n  - { name: \"exa mple.com\", file: x }\n", "4:13",
	  "name: bad domain name \"exa mple.com\"" },
	{ "server:\n  listen: [\"127.0.0.1:53\"]\nzones:\n  - { name: ., file: x }\n", "4:13", "bad domain name" },
	{ MIN "  - { name: Example.COM., file: y.zone }\n", "5:5", "zone example.com. listed twice (first at line 4)" },
	/* switch_defaults */
	{ MIN "switch_defaults: { ttl: 5x }\n", "5:25", "ttl: bad duration \"5x\"" },
	{ MIN "switch_defaults: { ttl: -5 }\n", "5:25", "bad duration" },
	{ MIN "switch_defaults: { ttl: 5 s }\n", "5:25", "bad duration" },
	{ MIN "switch_defaults: { ttl: 99999999999d }\n", "5:25", "bad duration" },
	{ MIN "switch_defaults: { ttl: 0 }\n", "5:25", "ttl must be from 1s" },
	{ MIN "switch_defaults: { ttl: 25000d }\n", "5:25", "ttl must be from 1s to 2147483647s" },
	{ MIN "switch_defaults: { all_down: maybe }\n", "5:30", "all_down must be stay, cdn or origin, not \"maybe\"" },
	{ MIN "switch_defaults: { ttl: 10s, ttl_armed: 20s }\n", "5:18",
	  "ttl_armed (20s) must not be longer than ttl (10s)" },
	{ MIN "switch_defaults: { initial: cdn }\n", "5:20", "unknown key \"initial\" in switch_defaults" },
	/* switches */
	{ MIN "switches: { name: x }\n", "5:11", "switches must be a list" },
	{ MIN "switches:\n  - name: \"bad..name\"\n", "6:11", "name: bad domain name \"bad..name\"" },
	{ MIN "switches:\n  - name: \"*.example.com\"\n", "6:11", "bad domain name" },
	{ MIN "switches:\n  - name: a234567890123456789012345678901234567890123456789012345678901234.example.com\n",
	  "6:11", "bad domain name" },
	{ SW "    cdn: { cname: a.example.net, a: [192.0.2.1] }\n" ORIGIN_OK, "7:10",
	  "cdn has both a cname and addresses" },
	{ SW "    cdn: { cname: a.example.net, aaaa: [\"2001:db8::1\"] }\n" ORIGIN_OK, "7:10", "both a cname and addresses" },
	{ SW "    cdn: {}\n" ORIGIN_OK, "7:10", "cdn needs a cname, or a and/or aaaa" },
	{ SW "    cdn: [192.0.2.1]\n" ORIGIN_OK, "7:10", "switch.cdn must be a mapping" },
	{ SW "    cdn: { cname: a.example.net }\n", "6:5", "switch.origin is required" },
	{ SW ORIGIN_OK, "6:5", "switch.cdn is required" },
	{ MIN "switches:\n  - cdn: { cname: a.example.net }\n" ORIGIN_OK, "6:5", "switch.name is required" },
	{ SW "    cdn: { cname: a.example.net }\n    origin: { a: [192.0.2.300] }\n", "8:19",
	  "bad IPv4 address \"192.0.2.300\"" },
	{ SW "    cdn: { cname: a.example.net }\n    origin: { a: [\"2001:db8::1\"] }\n", "8:19", "IPv6 goes under aaaa" },
	{ SW "    cdn: { cname: a.example.net }\n    origin: { aaaa: [192.0.2.1] }\n", "8:22", "IPv4 goes under a" },
	{ SW "    cdn: { cname: a.example.net }\n    origin: { a: [192.0.2.1, 192.0.2.1] }\n", "8:30",
	  "address 192.0.2.1 listed twice" },
	{ SW "    cdn: { cname: a.example.net }\n    origin: { a: [] }\n", "8:18", "a must list at least one" },
	{ SW "    cdn: { cname: a.example.net }\n    origin: { a: 192.0.2.1 }\n", "8:18", "a must be a list" },
	{ SW "    cdn: { cname: [a.example.net] }\n" ORIGIN_OK, "7:19", "cname must be a single value" },
	{ SW "    cdn: { cname: www.example.com. }\n" ORIGIN_OK, "7:10", "cdn cname points at itself" },
	{ SW "    cdn: { cname: a.example.net }\n" ORIGIN_OK "    initial: both\n", "9:14",
	  "initial must be cdn or origin, not \"both\"" },
	{ SW "    cdn: { cname: a.example.net }\n" ORIGIN_OK "    ttll: 5\n", "9:5",
	  "unknown key \"ttll\" in switch (did you mean \"ttl\"?)" },
	{ SW "    cdn: { cname: a.example.net }\n" ORIGIN_OK "    ttl_armed: 60s\n", "6:5",
	  "ttl_armed (60s) must not be longer than ttl (30s)" },
	{ MIN "switches:\n  - name: www.example.org\n    cdn: { cname: a.example.net }\n" ORIGIN_OK, "6:5",
	  "switch www.example.org. is not inside any configured zone" },
	{ MIN "switches:\n  - name: wwwexample.com\n    cdn: { cname: a.example.net }\n" ORIGIN_OK, "6:5",
	  "not inside any configured zone" },
	{ MIN "switches:\n  - name: Example.COM.\n    cdn: { a: [192.0.2.1] }\n    origin: { cname: o.example.net }\n",
	  "8:13", "switch example.com. is a zone apex: origin takes addresses only" },
	{ SW "    cdn: { cname: a.example.net }\n" ORIGIN_OK "  - name: WWW.example.com.\n"
	     "    cdn: { cname: a.example.net }\n" ORIGIN_OK,
	  "9:5", "switch www.example.com. listed twice (first at line 6)" },
};

static void test_errors(void **state)
{
	size_t failed = 0;

	(void)state;
	/* Report every mismatch, not only the first: the table is long. */
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		const struct bad *b = &bad_configs[i];
		struct config *cfg = NULL;
		char err[512] = "", want[PATH_MAX + 32];
		int rc = load(b->text, &cfg, err, sizeof(err));

		snprintf(want, sizeof(want), "%s:%s: error: ", path, b->where);
		if (rc != -EINVAL || cfg != NULL || strncmp(err, want, strlen(want)) != 0 || strstr(err, b->reason) == NULL ||
		    strchr(err, '\n') != NULL) {
			print_error("case %zu (line %s): rc %d, got \"%s\"\n  wanted \"%s...%s\"\n", i, b->where, rc, err,
			            want, b->reason);
			failed++;
		}
		config_free(cfg);
	}
	assert_int_equal(failed, 0);
}

/* RFC 1035 2.3.4: 63 octets a label, 255 a name in wire form (253 characters). */
static void test_name_lengths(void **state)
{
	char name[300], text[600], err[512];
	struct config *cfg;

	(void)state;
	for (size_t len = 252; len <= 254; len++) {
		memset(name, 'a', len);
		for (size_t i = 63; i < len; i += 64)
			name[i] = '.';
		name[len] = '\0';
		snprintf(text, sizeof(text), "server: { listen: [\"127.0.0.1:53\"] }\nzones: [ { name: \"%s.\", file: x } ]\n",
		         name);
		if (len <= 253) {
			cfg = load_ok(text);
			assert_int_equal(strlen(cfg->zones[0].name), len + 1);
			config_free(cfg);
		} else {
			assert_int_equal(load(text, &cfg, err, sizeof(err)), -EINVAL);
			assert_non_null(strstr(err, ":2:18: error: name: bad domain name"));
		}
	}
}

static void test_missing_file(void **state)
{
	struct config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(config_load("/nonexistent/routerd.yaml", &cfg, err, sizeof(err)), -ENOENT);
	assert_null(cfg);
	assert_string_equal(err, "/nonexistent/routerd.yaml: error: cannot open: No such file or directory");
}

/* A short error buffer truncates the message, never overflows. */
static void test_small_err(void **state)
{
	struct config *cfg = NULL;
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(load(MIN "listn: 1\n", &cfg, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_null(cfg);
}

/*
 * Relative zone files: in the working directory if there, else beside the
 * config file (kept there when neither exists, so the zone loader names it).
 */
static void test_zone_paths(void **state)
{
	char cwd[PATH_MAX], sub[PATH_MAX + 16], conf[PATH_MAX + 32], zfile[PATH_MAX + 32], here[PATH_MAX + 32];
	struct config *cfg = NULL;
	char err[512];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(sub, sizeof(sub), "%s/conf", dir);
	snprintf(conf, sizeof(conf), "%s/conf/r.yaml", dir);
	snprintf(zfile, sizeof(zfile), "%s/conf/beside.zone", dir);
	snprintf(here, sizeof(here), "%s/here.zone", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(zfile, "");
	write_file(here, "");
	write_file(conf, "server: { listen: [\"127.0.0.1:53\"] }\n"
	                 "zones:\n"
	                 "  - { name: a.test, file: here.zone }\n"
	                 "  - { name: b.test, file: beside.zone }\n"
	                 "  - { name: c.test, file: nowhere.zone }\n"
	                 "  - { name: d.test, file: /abs/d.zone }\n");
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(config_load("conf/r.yaml", &cfg, err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(cfg->zones[0].file, "here.zone");
	assert_string_equal(cfg->zones[1].file, "conf/beside.zone");
	assert_string_equal(cfg->zones[2].file, "conf/nowhere.zone");
	assert_string_equal(cfg->zones[3].file, "/abs/d.zone");
	config_free(cfg);
	unlink(conf);
	unlink(zfile);
	unlink(here);
	rmdir(sub);
}

/* conf/routerd.yaml must work as-is for `make run`, from the repository root. */
static void test_example_conf(void **state)
{
	char cwd[PATH_MAX], err[512];
	struct config *cfg = NULL;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("../.."), 0);
	if (config_load("conf/routerd.yaml", &cfg, err, sizeof(err)) != 0) {
		assert_int_equal(chdir(cwd), 0);
		fail_msg("%s", err);
	}
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(cfg->n_listen, 2);
	assert_string_equal(cfg->listen[0].text, "127.0.0.1:5353");
	assert_string_equal(cfg->listen[1].text, "[::1]:5353");
	assert_int_equal(cfg->workers, 2);
	assert_string_equal(cfg->state_dir, "build/state");
	assert_string_equal(cfg->control_socket, "build/routerd.sock");
	assert_true(cfg->http.enabled);
	assert_int_equal(cfg->http.auth, AUTH_NONE);
	assert_string_equal(cfg->http.listen.text, "127.0.0.1:8053");
	assert_int_equal(cfg->n_zones, 2);
	/* Found from the checkout's root, not re-rooted under conf/. */
	assert_string_equal(cfg->zones[0].file, "zones/example.com.zone");
	assert_string_equal(cfg->zones[1].file, "zones/example.org.zone");
	assert_int_equal(cfg->n_switches, 2);
	assert_string_equal(cfg->switches[0].name, "www.example.com.");
	assert_string_equal(cfg->switches[0].cdn.cname, "example-com.cdn.example.net.");
	assert_v4(&cfg->switches[0].origin.a[0], "192.0.2.10");
	assert_v6(&cfg->switches[0].origin.aaaa[0], "2001:db8::10");
	assert_string_equal(cfg->switches[1].name, "example.org.");
	assert_int_equal(cfg->switches[1].cdn.n_a, 2);
	assert_v4(&cfg->switches[1].cdn.a[1], "198.51.100.2");
	assert_v4(&cfg->switches[1].origin.a[0], "192.0.2.20");
	config_free(cfg);
}

/* conf/routerd.full.yaml spells out every default: loading it must equal the defaults. */
static void test_full_conf(void **state)
{
	struct config *cfg = NULL;
	char err[512];

	(void)state;
	if (config_load("../../conf/routerd.full.yaml", &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg->udp_payload_max, 1232);
	assert_int_equal(cfg->tcp_idle_timeout, 10);
	assert_int_equal(cfg->tcp_max_clients, 1000);
	assert_string_equal(cfg->state_dir, "/var/lib/routerd");
	assert_string_equal(cfg->control_socket, "/run/routerd/control.sock");
	assert_int_equal(cfg->control_mode, 0660);
	assert_int_equal(cfg->http.max_body, 1 << 20);
	assert_int_equal(cfg->http.max_header, 16 << 10);
	assert_int_equal(cfg->http.max_connections, 256);
	assert_int_equal(cfg->http.idle_timeout, 30);
	assert_int_equal(cfg->brake.window, 600 * 1000);
	assert_int_equal(cfg->brake.min_switches, 2);
	assert_string_equal(cfg->armed_label, "severity");
	assert_string_equal(cfg->armed_value, "warning");
	assert_int_equal(cfg->defaults.p.ttl, 30);
	assert_int_equal(cfg->defaults.p.ttl_armed, 5);
	assert_int_equal(cfg->defaults.p.failback_hold, 300 * 1000);
	assert_int_equal(cfg->defaults.signal_ttl, 3600 * 1000);
	assert_int_equal(cfg->defaults.p.all_down, ALL_DOWN_STAY);
	assert_true(cfg->n_switches >= 1);
	config_free(cfg);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint32_t seconds;
	} cases[] = {
		/* clang-format off */
		{ "0", 0, 0 },         { "90", 0, 90 },     { "30s", 0, 30 },     { "5m", 0, 300 },
		{ "2h", 0, 7200 },     { "1d", 0, 86400 },  { "4294967295", 0, UINT32_MAX },
		{ "49710d", 0, 49710u * 86400u },            { "49711d", -EINVAL, 0 },  { "4294967296", -EINVAL, 0 },
		{ "", -EINVAL, 0 },         { "s", -EINVAL, 0 },      { "-5", -EINVAL, 0 },      { "+5", -EINVAL, 0 },
		{ " 5", -EINVAL, 0 },       { "5 ", -EINVAL, 0 },     { "5w", -EINVAL, 0 },      { "5ms", -EINVAL, 0 },
		{ "5S", -EINVAL, 0 },       { "1.5h", -EINVAL, 0 },   { "99999999999999999999999", -EINVAL, 0 },
		/* clang-format on */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t s = 12345;
		int rc = config_parse_duration(cases[i].text, &s);
		if (rc != cases[i].rc || (rc == 0 && s != cases[i].seconds))
			fail_msg("\"%s\": rc %d, %u seconds", cases[i].text, rc, s);
	}
}

static void test_parse_addr(void **state)
{
	static const struct {
		const char *text;
		int family; /* 0: refused */
		unsigned port;
	} cases[] = {
		/* clang-format off */
		{ "127.0.0.1:53", AF_INET, 53 },        { "0.0.0.0:65535", AF_INET, 65535 },
		{ "[::1]:53", AF_INET6, 53 },           { "[2001:db8::1]:5353", AF_INET6, 5353 },
		{ "[::ffff:192.0.2.1]:1", AF_INET6, 1 }, { "127.0.0.1", 0, 0 },
		{ "127.0.0.1:", 0, 0 },                 { ":53", 0, 0 },
		{ "127.0.0.1:0", 0, 0 },                { "127.0.0.1:65536", 0, 0 },
		{ "127.0.0.1:53x", 0, 0 },              { "127.0.0.1:-53", 0, 0 },
		{ "127.0.0.1: 53", 0, 0 },              { "2001:db8::1:53", 0, 0 },
		{ "[2001:db8::1]53", 0, 0 },            { "[2001:db8::1:53", 0, 0 },
		{ "[]:53", 0, 0 },                      { "[127.0.0.1]:53", 0, 0 },
		{ "localhost:53", 0, 0 },               { "1.2.3:53", 0, 0 },
		{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]:53", 0, 0 },
		/* clang-format on */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg_addr a;
		int rc = config_parse_addr(cases[i].text, &a);
		if ((rc == 0) != (cases[i].family != 0))
			fail_msg("\"%s\": rc %d", cases[i].text, rc);
		if (rc != 0)
			continue;
		assert_int_equal(a.ss.ss_family, cases[i].family);
		assert_string_equal(a.text, cases[i].text);
		if (cases[i].family == AF_INET)
			assert_int_equal(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), cases[i].port);
		else
			assert_int_equal(ntohs(((struct sockaddr_in6 *)&a.ss)->sin6_port), cases[i].port);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* clang-format off */
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_values),
		cmocka_unit_test(test_auth_kinds),     cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_errors),         cmocka_unit_test(test_name_lengths),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_small_err),      cmocka_unit_test(test_zone_paths),
		cmocka_unit_test(test_example_conf),   cmocka_unit_test(test_full_conf),
		cmocka_unit_test(test_parse_duration), cmocka_unit_test(test_parse_addr),
		/* clang-format on */
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
