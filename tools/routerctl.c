/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * routerctl -- talk to routerd's admin socket.
 *
 *   routerctl [-s SOCKET] [--json] COMMAND [ARGS...] [OPTIONS]
 *
 * Each command becomes one request line {"v":1,"cmd":...}; the reply is
 * printed as a table (or as JSON with --json). Options, the command's own
 * and the global ones (-s, --json), may come before or after the command.
 * Tables print times as ISO 8601 UTC and numbers without binary noise;
 * --json prints the daemon's reply as it came. Exit status: 0 ok, 1 the
 * daemon refused or failed (or the socket refused us), 2 usage, 3 the
 * daemon is not running.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "admin/svg.h"

#define DEFAULT_SOCKET "/run/routerd/control.sock"
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: routerctl [-s SOCKET] [--json] COMMAND [ARGS...] (options before or after the command)\n"
	        "  status                                 daemon, zones, switches, brake\n"
	        "  list [GLOB] [--state cdn|origin] [--pinned]\n"
	        "  show SWITCH\n"
	        "  pin SWITCH|GLOB cdn|origin --reason TEXT [--for 2h | --until TIME]\n"
	        "  unpin SWITCH|GLOB\n"
	        "  history [SWITCH] [--since 24h]\n"
	        "  health [SWITCH]\n"
	        "  propagation SWITCH [--flip N] [--svg FILE] [--json]\n"
	        "  brake [clear]\n"
	        "  fleet [config nsd|knot|bind]           secondaries: serial per zone, versions behind\n"
	        "  reload\n"
	        "  stats\n"
	        "SOCKET defaults to $ROUTERD_SOCKET, else " DEFAULT_SOCKET ".\n");
}

/* ---- the command line: one option table per command ---- */

struct opt {
	const char *name;
	int takes_value;
	int global; /* for every command */
};

/* Every option any command takes. Whether an option takes a value is the
 * same for every command, so the command can be found wherever it is. */
/* clang-format off */
static const struct opt options[] = {
	{ "-s", 1, 1 },      { "--json", 0, 1 },  { "--state", 1, 0 }, { "--pinned", 0, 0 },
	{ "--reason", 1, 0 }, { "--for", 1, 0 },   { "--until", 1, 0 }, { "--since", 1, 0 },
	{ "--flip", 1, 0 },   { "--svg", 1, 0 },   { NULL, 0, 0 },
};
/* clang-format on */

struct command {
	const char *name;
	const char *opts; /* the options it takes, each followed by a space */
};

static const struct command commands[] = {
	{ "status", "" },
	{ "stats", "" },
	{ "list", "--state --pinned " },
	{ "show", "" },
	{ "pin", "--reason --for --until " },
	{ "unpin", "" },
	{ "history", "--since " },
	{ "health", "" },
	{ "propagation", "--flip --svg " },
	{ "brake", "" },
	{ "reload", "" },
	{ "fleet", "" },
	{ NULL, NULL },
};

static const struct opt *find_opt(const char *name)
{
	for (const struct opt *o = options; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

static int is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0';
}

/* What the command line says. */
struct cmdline {
	const char *sock;
	int as_json;
	const char *cmd;
	const char *args[8];
	size_t n_args;
	json_t *req; /* the request */
	const char *svg; /* propagation --svg FILE: written here, not sent */
};

#define PROP_USAGE "usage: routerctl propagation SWITCH [--flip N] [--svg FILE] [--json]"

/* --flip N: 1 the oldest flip kept; 0 (or none) the latest. */
static int flip_value(const char *text, long *flip)
{
	char *end;
	errno = 0;
	*flip = strtol(text, &end, 10);
	if (errno || end == text || *end || *flip < 0) {
		fprintf(stderr, "routerctl: --flip takes a number: 1 the oldest flip kept, 0 the latest\n");
		return -1;
	}
	return 0;
}

/* Parse argv into CL. Returns 0, 1 for -h, or -1 after a usage message. */
static int parse_cmdline(int argc, char **argv, struct cmdline *cl)
{
	const struct command *k = NULL;
	int i;

	/* First the command: the first word that is neither an option nor an option's value. */
	for (i = 1; i < argc; i++) {
		const struct opt *o;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
		if (!is_option(argv[i])) {
			cl->cmd = argv[i];
			break;
		}
		o = find_opt(argv[i]);
		if (o != NULL && o->takes_value)
			i++;
	}
	if (cl->cmd == NULL) {
		usage(stderr);
		return -1;
	}
	for (k = commands; k->name != NULL && strcmp(k->name, cl->cmd) != 0; k++)
		;
	cl->req = json_pack("{s:i,s:s,s:[]}", "v", 1, "cmd", cl->cmd, "args");
	if (cl->req == NULL)
		return -1;
	for (i = 1; i < argc; i++) {
		const struct opt *o;
		char want[32];
		if (!is_option(argv[i])) {
			if (argv[i] == cl->cmd)
				continue;
			if (cl->n_args == sizeof(cl->args) / sizeof(cl->args[0])) {
				fprintf(stderr, "routerctl: too many arguments\n");
				return -1;
			}
			cl->args[cl->n_args++] = argv[i];
			json_array_append_new(json_object_get(cl->req, "args"), json_string(argv[i]));
			continue;
		}
		o = find_opt(argv[i]);
		snprintf(want, sizeof(want), "%s ", argv[i]);
		if (o == NULL || (!o->global && (k->name == NULL || strstr(k->opts, want) == NULL))) {
			if (o == NULL || k->name == NULL)
				fprintf(stderr, "routerctl: unknown option %s\n", argv[i]);
			else
				fprintf(stderr, "routerctl: %s does not take %s%s%.*s\n", cl->cmd, argv[i],
				        *k->opts ? "; it takes " : "", (int)(*k->opts ? strlen(k->opts) - 1 : 0), k->opts);
			return -1;
		}
		if (o->takes_value && i + 1 >= argc) {
			fprintf(stderr, "routerctl: %s needs a value\n", argv[i]);
			return -1;
		}
		if (strcmp(o->name, "-s") == 0)
			cl->sock = argv[++i];
		else if (strcmp(o->name, "--json") == 0)
			cl->as_json = 1;
		else if (strcmp(o->name, "--svg") == 0)
			cl->svg = argv[++i];
		else if (strcmp(o->name, "--flip") == 0) {
			long flip;
			if (flip_value(argv[++i], &flip) < 0)
				return -1;
			/* The daemon counts from 1 (the oldest kept); no flip is the latest. */
			if (flip > 0)
				json_object_set_new(cl->req, "flip", json_integer(flip));
		} else
			json_object_set_new(cl->req, o->name + 2, o->takes_value ? json_string(argv[++i]) : json_true());
	}
	if (strcmp(cl->cmd, "propagation") == 0) {
		if (cl->n_args != 1) {
			fprintf(stderr, "routerctl: %s\n", PROP_USAGE);
			return -1;
		}
		json_object_set_new(cl->req, "switch", json_string(cl->args[0]));
	}
	return 0;
}

/* `fleet`: one line per secondary and zone; `fleet config`: the text. */
static void print_fleet(json_t *d)
{
	json_t *cfg = json_object_get(d, "config"), *s, *z;
	size_t i, j;

	if (json_is_string(cfg)) {
		fputs(json_string_value(cfg), stdout);
		return;
	}
	json_array_foreach(json_object_get(d, "zones"), i, z)
		printf("zone %s serial %lld (%lld versions kept, %lld switches)\n",
		       json_string_value(json_object_get(z, "zone")), json_integer_value(json_object_get(z, "serial")),
		       json_integer_value(json_object_get(z, "versions")), json_integer_value(json_object_get(z, "switches")));
	printf("%-12s %-24s %-28s %10s %6s  %-24s %s\n", "SECONDARY", "ADDRESS", "ZONE", "SERIAL", "BEHIND",
	       "LAST TRANSFER", "LAST ERROR");
	json_array_foreach(json_object_get(d, "secondaries"), i, s) {
		json_array_foreach(json_object_get(s, "zones"), j, z) {
			json_t *lt = json_object_get(z, "last_transfer"), *le = json_object_get(z, "last_error");
			char serial[16] = "?", behind[16] = "?";
			if (json_is_true(json_object_get(z, "known"))) {
				snprintf(serial, sizeof(serial), "%lld", json_integer_value(json_object_get(z, "serial")));
				snprintf(behind, sizeof(behind), "%lld", json_integer_value(json_object_get(z, "behind")));
			}
			printf("%-12s %-24s %-28s %10s %6s  %-24s %s\n", json_string_value(json_object_get(s, "name")),
			       json_string_value(json_object_get(s, "address")), json_string_value(json_object_get(z, "zone")),
			       serial, behind, lt ? json_string_value(json_object_get(lt, "type")) : "-",
			       le ? json_string_value(le) : "");
		}
		printf("%-12s notify failures: %lld\n", "", json_integer_value(json_object_get(s, "notify_failures")));
	}
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one reply line (the daemon answers each request with one line). */
static char *read_line(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf != NULL) {
		ssize_t r;
		if (len + 1 >= cap) {
			char *g = realloc(buf, cap *= 2);
			if (g == NULL)
				break;
			buf = g;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(buf + len - (size_t)r, '\n', (size_t)r) != NULL) {
			buf[len] = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

static char *cell(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_null(v) || v == NULL)
		return strdup("-");
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* An array of objects: one row each, columns from the first object's keys. */
static void print_table(json_t *rows)
{
	json_t *first = json_array_get(rows, 0), *v;
	const char *key;
	size_t ncol = json_object_size(first), i, r;
	const char **cols = calloc(ncol ? ncol : 1, sizeof(*cols));
	size_t *width = calloc(ncol ? ncol : 1, sizeof(*width));

	i = 0;
	json_object_foreach(first, key, v) {
		cols[i] = key;
		width[i++] = strlen(key);
	}
	for (r = 0; r < json_array_size(rows); r++)
		for (i = 0; i < ncol; i++) {
			char *c = cell(json_object_get(json_array_get(rows, r), cols[i]));
			if (c && strlen(c) > width[i])
				width[i] = strlen(c);
			free(c);
		}
	for (i = 0; i < ncol; i++)
		printf("%-*s%s", (int)width[i], cols[i], i + 1 < ncol ? "  " : "\n");
	for (r = 0; r < json_array_size(rows); r++)
		for (i = 0; i < ncol; i++) {
			char *c = cell(json_object_get(json_array_get(rows, r), cols[i]));
			printf("%-*s%s", (int)width[i], c ? c : "", i + 1 < ncol ? "  " : "\n");
			free(c);
		}
	free(cols);
	free(width);
}

static void print_data(json_t *data, int depth)
{
	const char *key;
	json_t *v;

	if (json_is_array(data) && json_array_size(data) > 0 && json_is_object(json_array_get(data, 0))) {
		print_table(data);
		return;
	}
	if (!json_is_object(data)) {
		char *c = cell(data);
		printf("%s\n", c ? c : "");
		free(c);
		return;
	}
	json_object_foreach(data, key, v) {
		if (json_is_object(v) || (json_is_array(v) && json_array_size(v) && json_is_object(json_array_get(v, 0)))) {
			printf("%*s%s:\n", depth * 2, "", key);
			if (json_is_object(v))
				print_data(v, depth + 1);
			else
				print_table(v);
		} else {
			char *c = cell(v);
			printf("%*s%-12s %s\n", depth * 2, "", key, c ? c : "");
			free(c);
		}
	}
}

/* ---- propagation: a flip's report as tables, JSON or an SVG file ---- */

/* Cells: a share (0..1) as a percentage, seconds as a duration, a number;
 * NONE when the value is absent or null. */
static const char *fmt_pct(char *b, size_t cap, const json_t *v, const char *none)
{
	double p;
	if (!json_is_number(v))
		return none;
	p = json_number_value(v) * 100;
	if (p > 0 && p < 0.001)
		return "<0.001%";
	snprintf(b, cap, "%.3g%%", p);
	return b;
}

static const char *fmt_dur(char *b, size_t cap, const json_t *v, const char *none)
{
	return json_is_number(v) ? svg_duration(json_number_value(v), b, cap) : none;
}

static const char *fmt_num(char *b, size_t cap, const json_t *v, const char *none)
{
	if (!json_is_number(v))
		return none;
	snprintf(b, cap, "%.6g", json_number_value(v));
	return b;
}

static const char *fmt_rate(char *b, size_t cap, const json_t *errors, const json_t *requests)
{
	json_t *share;
	if (!json_is_number(requests) || json_number_value(requests) <= 0 || !json_is_number(errors))
		return "-";
	share = json_real(json_number_value(errors) / json_number_value(requests));
	fmt_pct(b, cap, share, "-");
	json_decref(share);
	return b;
}

static const char *str_of(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void print_prop_header(const json_t *r)
{
	const json_t *now = json_object_get(r, "now");
	char a[32], b[32], c[32];

	printf("%-12s %s\n", "switch", str_of(r, "switch"));
	printf("%-12s %s of %s, %s\n", "flip", fmt_num(a, 32, json_object_get(r, "flip"), "-"),
	       fmt_num(b, 32, json_object_get(r, "flips"), "-"), str_of(r, "state"));
	printf("%-12s %s, %s -> %s\n", "flipped", str_of(r, "flip_time"), str_of(r, "from"), str_of(r, "to"));
	printf("%-12s %s (clients hold %s)\n", "TTL", fmt_dur(a, 32, json_object_get(r, "ttl_s"), "-"),
	       fmt_dur(b, 32, json_object_get(r, "client_hold_s"), "-"));
	printf("%-12s %s\n", "age", fmt_dur(a, 32, json_object_get(r, "age_s"), "-"));
	printf("%-12s %s active, %s at risk, %s re-fetched\n", "resolvers",
	       fmt_num(a, 32, json_object_get(r, "resolvers"), "-"), fmt_num(b, 32, json_object_get(r, "at_risk"), "-"),
	       fmt_num(c, 32, json_object_get(r, "refetched"), "-"));
	printf("%-12s lower %s, expected %s, upper %s of the traffic still on the old side%s\n", "now",
	       fmt_pct(a, 32, json_object_get(now, "lower"), "-"), fmt_pct(b, 32, json_object_get(now, "expected"), "-"),
	       fmt_pct(c, 32, json_object_get(now, "upper"), "-"),
	       json_is_number(json_object_get(r, "interval")) ? " (lower-upper: a 90% interval)" : "");
	const json_t *range = json_object_get(r, "below_1pct_range_s");
	if (json_is_number(json_object_get(r, "below_1pct_s")))
		printf("%-12s at %s after the flip", "below 1%", fmt_dur(a, 32, json_object_get(r, "below_1pct_s"), "-"));
	else
		printf("%-12s not expected yet", "below 1%");
	/* When the truth falls under 1%: from the lower bound's time to the upper's. */
	if (json_is_array(range))
		printf(", between %s and %s", fmt_dur(a, 32, json_array_get(range, 0), "-"),
		       fmt_dur(b, 32, json_array_get(range, 1), "over a day"));
	printf("\n");
}

/* The curve at a few times, up to the report's age, and its last point. */
static void print_prop_curve(const json_t *r)
{
	static const double at[] = { 0, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400 };
	const json_t *curve = json_object_get(r, "curve"), *age = json_object_get(r, "age_s");
	json_t *rows = json_array();
	size_t k = 0, n = json_array_size(curve);
	double shown = -1;

	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(curve, i), *t = json_object_get(p, "t");
		double tv;
		char b[5][32];
		if (!json_is_number(t))
			continue;
		tv = json_number_value(t);
		while (k < sizeof(at) / sizeof(at[0]) && at[k] < tv)
			k++;
		/* A listed time, or the last point: where the report is now. */
		if (!(k < sizeof(at) / sizeof(at[0]) && at[k] == tv) && i + 1 < n)
			continue;
		if (json_is_number(age) && tv > json_number_value(age) + 0.5)
			break;
		if (tv <= shown)
			continue;
		shown = tv;
		json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s}", "after", fmt_dur(b[0], 32, t, "-"), "lower",
		                                      fmt_pct(b[1], 32, json_object_get(p, "lower"), "-"), "expected",
		                                      fmt_pct(b[2], 32, json_object_get(p, "expected"), "-"), "upper",
		                                      fmt_pct(b[3], 32, json_object_get(p, "upper"), "-"), "re-fetched",
		                                      fmt_pct(b[4], 32, json_object_get(p, "refetched"), "-")));
	}
	printf("\nshare of the traffic still on the old side\n");
	if (json_array_size(rows))
		print_table(rows);
	else
		printf("(no curve yet)\n");
	json_decref(rows);
}

static void print_prop_laggards(const json_t *r)
{
	const json_t *lag = json_object_get(r, "laggards"), *e;
	json_t *rows = json_array();
	size_t i;

	json_array_foreach(lag, i, e) {
		char b[5][32];
		json_array_append_new(
		    rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "resolver", str_of(e, "resolver"), "server",
		                    str_of(e, "server"), "weight",
		                    fmt_pct(b[0], 32, json_object_get(e, "weight"), "-"), "hold",
		                    fmt_dur(b[1], 32, json_object_get(e, "hold_s"), "-"), "class", str_of(e, "class"),
		                    "last before", fmt_dur(b[2], 32, json_object_get(e, "last_before_s"), "-"),
		                    "first after", fmt_dur(b[3], 32, json_object_get(e, "first_after_s"), "not yet")));
	}
	printf("\nlaggards (at-risk resolvers not re-fetched, or the last to re-fetch; times from the flip)\n");
	if (json_array_size(rows))
		print_table(rows);
	else
		printf("(none)\n");
	json_decref(rows);
}

/* The fleet: one row per server that sent dnstap (and routerd itself),
 * and the expected secondaries that sent nothing. */
static void print_prop_servers(const json_t *r)
{
	const json_t *servers = json_object_get(r, "servers"), *e;
	json_t *rows = json_array();
	size_t i;

	json_array_foreach(servers, i, e) {
		char b[6][32];
		int seen = json_is_true(json_object_get(e, "observed"));
		json_array_append_new(
		    rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "server", str_of(e, "server"), "resolvers",
		                    seen ? fmt_num(b[0], 32, json_object_get(e, "resolvers"), "-") : "unobserved",
		                    "traffic", fmt_pct(b[1], 32, json_object_get(e, "traffic_share"), "-"),
		                    "still old", fmt_pct(b[2], 32, json_object_get(e, "old_share"), "-"),
		                    "of what remains", fmt_pct(b[3], 32, json_object_get(e, "remaining_share"), "-"),
		                    "first new", fmt_dur(b[4], 32, json_object_get(e, "first_new_s"), seen ? "not yet" : "-"),
		                    "last old", fmt_dur(b[5], 32, json_object_get(e, "last_old_s"), "-")));
	}
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return;
	}
	printf("\nservers (dnstap; first new / last old: answers from each side since the flip)\n");
	print_table(rows);
	json_decref(rows);
}

/* The resolvers that make most of the band (the estimate's uncertainty). */
static void print_prop_uncertain(const json_t *r)
{
	const json_t *unc = json_object_get(r, "uncertain"), *e;
	json_t *rows = json_array();
	size_t i;
	char t[32];

	if (!json_is_array(unc))
		return;
	json_array_foreach(unc, i, e) {
		char b[4][32];
		json_array_append_new(
		    rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "resolver", str_of(e, "resolver"), "of the band",
		                    fmt_pct(b[0], 32, json_object_get(e, "band_share"), "-"), "weight",
		                    fmt_pct(b[1], 32, json_object_get(e, "weight"), "-"), "hold",
		                    fmt_dur(b[2], 32, json_object_get(e, "hold_s"), "-"), "class", str_of(e, "class"),
		                    "first after", fmt_dur(b[3], 32, json_object_get(e, "first_after_s"), "not yet")));
	}
	printf("\nmost uncertain (the resolvers that make most of the band at %s after the flip)\n",
	       fmt_dur(t, 32, json_object_get(r, "uncertain_at_s"), "-"));
	if (json_array_size(rows))
		print_table(rows);
	else
		printf("(none)\n");
	json_decref(rows);
}

static void print_prop_errors(const json_t *r)
{
	const json_t *errs = json_object_get(r, "errors"), *e;
	json_t *rows = json_array();
	size_t i;

	json_array_foreach(errs, i, e) {
		char b[7][32];
		json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "minute from",
		                                      fmt_dur(b[0], 32, json_object_get(e, "t"), "-"), "old requests",
		                                      fmt_num(b[1], 32, json_object_get(e, "old_requests"), "-"), "old errors",
		                                      fmt_num(b[2], 32, json_object_get(e, "old_errors"), "-"), "old rate",
		                                      fmt_rate(b[3], 32, json_object_get(e, "old_errors"), json_object_get(e, "old_requests")),
		                                      "new requests", fmt_num(b[4], 32, json_object_get(e, "new_requests"), "-"),
		                                      "new errors", fmt_num(b[5], 32, json_object_get(e, "new_errors"), "-"), "new rate",
		                                      fmt_rate(b[6], 32, json_object_get(e, "new_errors"), json_object_get(e, "new_requests"))));
	}
	printf("\nerrors per minute (POST /api/v1/errors), old and new side\n");
	if (json_array_size(rows))
		print_table(rows);
	else
		printf("(no error reports)\n");
	json_decref(rows);
}

/* Write the picture to PATH atomically: a temporary file beside it, then
 * rename, so a browser or a scraper never reads half a file. */
static int write_svg(const char *path, const json_t *report)
{
	size_t n, off = 0;
	char *svg = svg_propagation(report, &n), *tmp = NULL;
	int fd = -1;

	if (svg == NULL || asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		fprintf(stderr, "routerctl: out of memory\n");
		free(svg);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	while (off < n) {
		ssize_t w = write(fd, svg + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(svg);
	free(tmp);
	return 0;
fail:
	fprintf(stderr, "routerctl: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(svg);
	free(tmp);
	return -1;
}

/* Print the reply to `propagation` and write --svg; the exit status. */
static int propagation_reply(json_t *resp, const char *svg, int as_json)
{
	json_t *data = json_object_get(resp, "data"), *e = json_object_get(resp, "error");

	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "routerctl: %s\n", json_is_string(e) ? json_string_value(e) : "request failed");
		return EXIT_FAILED;
	}
	if (as_json) {
		/* 15 digits: the shares as computed, without binary noise. */
		char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
		if (text)
			puts(text);
		free(text);
	} else {
		print_prop_header(data);
		print_prop_curve(data);
		print_prop_laggards(data);
		print_prop_servers(data);
		print_prop_uncertain(data);
		print_prop_errors(data);
	}
	if (svg != NULL) {
		if (write_svg(svg, data) < 0)
			return EXIT_FAILED;
		/* On stderr under --json: stdout stays one JSON document. */
		fprintf(as_json ? stderr : stdout, "%swrote the picture to %s\n",
		        as_json ? "routerctl: " : "\n", svg);
	}
	return 0;
}

/* ---- tables: times and numbers for people ---- */

/* Keys whose integers are times (ms since the epoch) in the daemon's replies. */
static int time_key(const char *key)
{
	static const char *const keys[] = { "t", "since", "expires", "created", "last_flip",
		                            "pin_ended", "failback_at", "healthy_since", NULL };
	for (int i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* MS since the epoch as ISO 8601 UTC; 0 is "never". */
static json_t *iso_time(json_int_t ms)
{
	char b[64];
	struct tm tm;
	time_t secs = (time_t)(ms / 1000);
	if (ms <= 0)
		return json_string("never");
	if (gmtime_r(&secs, &tm) == NULL || strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_integer(ms);
	return json_string(b);
}

/* A copy of V for a table: times under time keys as ISO 8601, reals with
 * at most 15 significant digits (0.2, not 0.20000000000000001). */
static json_t *humanize(json_t *v, int is_time)
{
	const char *key;
	json_t *out, *e;
	size_t i;
	char b[64];

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, key, e)
			json_object_set_new(out, key, humanize(e, time_key(key)));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, e)
			json_array_append_new(out, humanize(e, is_time));
		return out;
	}
	if (is_time && json_is_integer(v))
		return iso_time(json_integer_value(v));
	if (json_is_real(v)) {
		snprintf(b, sizeof(b), "%.15g", json_real_value(v));
		return json_string(b);
	}
	return json_incref(v);
}

/* Connect, or say why not: the exit status on failure. */
static int connect_or_say(const char *sock, int *fd)
{
	*fd = connect_socket(sock);
	if (*fd >= 0)
		return 0;
	if (errno == EACCES || errno == EPERM) {
		fprintf(stderr, "routerctl: permission denied on %s (routerd runs; control.mode and the socket's "
		                "group say who may use it)\n",
		        sock);
		return EXIT_FAILED;
	}
	if (errno == ENOENT || errno == ECONNREFUSED) {
		fprintf(stderr, "routerctl: routerd is not running (cannot connect to %s: %s)\n", sock,
		        strerror(errno));
		return EXIT_NOT_RUNNING;
	}
	fprintf(stderr, "routerctl: cannot connect to %s: %s\n", sock, strerror(errno));
	return EXIT_NOT_RUNNING;
}

int main(int argc, char **argv)
{
	struct cmdline cl = { 0 };
	int fd, ok, rc;
	char *text, *line;
	json_error_t jerr;
	json_t *resp;

	/* A daemon that refuses a request closes the socket while we may still
	 * be writing: that must be an error message, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	cl.sock = getenv("ROUTERD_SOCKET") ? getenv("ROUTERD_SOCKET") : DEFAULT_SOCKET;
	rc = parse_cmdline(argc, argv, &cl);
	if (rc != 0) {
		json_decref(cl.req);
		if (rc > 0)
			usage(stdout);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	if ((rc = connect_or_say(cl.sock, &fd)) != 0) {
		json_decref(cl.req);
		return rc;
	}
	text = json_dumps(cl.req, JSON_COMPACT);
	json_decref(cl.req);
	/* Read the reply even if the write broke off: a daemon that refuses
	 * an oversized request says why before it closes. */
	if (text != NULL && write_all(fd, text, strlen(text)) == 0)
		write_all(fd, "\n", 1);
	if (text == NULL || (line = read_line(fd)) == NULL) {
		fprintf(stderr, "routerctl: lost the connection to routerd\n");
		free(text);
		close(fd);
		return EXIT_FAILED;
	}
	free(text);
	close(fd);
	resp = json_loads(line, 0, &jerr);
	if (resp == NULL) {
		fprintf(stderr, "routerctl: unreadable reply: %s\n", jerr.text);
		free(line);
		return EXIT_FAILED;
	}
	ok = json_is_true(json_object_get(resp, "ok"));
	rc = ok ? 0 : EXIT_FAILED;
	if (strcmp(cl.cmd, "propagation") == 0) {
		rc = propagation_reply(resp, cl.svg, cl.as_json);
	} else if (cl.as_json) {
		fputs(line, stdout);
	} else if (ok && strcmp(cl.cmd, "fleet") == 0) {
		print_fleet(json_object_get(resp, "data"));
	} else if (ok) {
		json_t *data = humanize(json_object_get(resp, "data"), 0);
		print_data(data, 0);
		json_decref(data);
	} else {
		json_t *e = json_object_get(resp, "error");
		fprintf(stderr, "routerctl: %s\n", json_is_string(e) ? json_string_value(e) : "request failed");
	}
	free(line);
	json_decref(resp);
	return rc;
}
