/*
 * routerctl -- talk to routerd's admin socket.
 *
 *   routerctl [-s SOCKET] [--json] COMMAND [ARGS...]
 *
 * Each command becomes one request line {"v":1,"cmd":...}; the reply is
 * printed as a table (or as JSON with --json). Exit status: 0 ok, 1 the
 * daemon refused or failed, 2 usage, 3 the daemon is not running.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/routerd/control.sock"
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: routerctl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
	        "  status                                 daemon, zones, switches, brake\n"
	        "  list [GLOB] [--state cdn|origin] [--pinned]\n"
	        "  show SWITCH\n"
	        "  pin SWITCH|GLOB cdn|origin --reason TEXT [--for 2h | --until TIME]\n"
	        "  unpin SWITCH|GLOB\n"
	        "  history [SWITCH] [--since 24h]\n"
	        "  health [SWITCH]\n"
	        "  propagation SWITCH [--flip N]\n"
	        "  brake clear\n"
	        "  reload\n"
	        "  stats\n"
	        "SOCKET defaults to $ROUTERD_SOCKET, else " DEFAULT_SOCKET ".\n");
}

/* Options after the command: "--name value" pairs and bare flags. */
struct opt {
	const char *name;
	int takes_value;
};

static const struct opt options[] = {
	{ "--state", 1 }, { "--pinned", 0 }, { "--reason", 1 }, { "--for", 1 },
	{ "--until", 1 }, { "--since", 1 },  { "--flip", 1 },   { NULL, 0 },
};

/* Build the request from argv; NULL with a message on bad usage. */
static json_t *build_request(int argc, char **argv)
{
	json_t *req = json_pack("{s:i,s:s}", "v", 1, "cmd", argv[0]);
	json_t *args = json_array();
	json_object_set_new(req, "args", args);
	for (int i = 1; i < argc; i++) {
		const struct opt *o;
		if (strncmp(argv[i], "--", 2) != 0) {
			json_array_append_new(args, json_string(argv[i]));
			continue;
		}
		for (o = options; o->name != NULL && strcmp(o->name, argv[i]) != 0; o++)
			;
		if (o->name == NULL) {
			fprintf(stderr, "routerctl: unknown option %s\n", argv[i]);
			json_decref(req);
			return NULL;
		}
		if (o->takes_value && i + 1 >= argc) {
			fprintf(stderr, "routerctl: %s needs a value\n", argv[i]);
			json_decref(req);
			return NULL;
		}
		json_object_set_new(req, o->name + 2, o->takes_value ? json_string(argv[++i]) : json_true());
	}
	return req;
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

int main(int argc, char **argv)
{
	const char *sock = getenv("ROUTERD_SOCKET") ? getenv("ROUTERD_SOCKET") : DEFAULT_SOCKET;
	int as_json = 0, i = 1, fd, ok;
	json_t *req, *resp;
	char *text, *line;
	json_error_t jerr;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	req = build_request(argc - i, argv + i);
	if (req == NULL)
		return EXIT_USAGE;
	fd = connect_socket(sock);
	if (fd < 0) {
		fprintf(stderr, "routerctl: routerd is not running (cannot connect to %s: %s)\n", sock, strerror(errno));
		json_decref(req);
		return EXIT_NOT_RUNNING;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL || write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0 ||
	    (line = read_line(fd)) == NULL) {
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
	if (as_json) {
		fputs(line, stdout);
	} else if (ok) {
		print_data(json_object_get(resp, "data"), 0);
	} else {
		json_t *e = json_object_get(resp, "error");
		fprintf(stderr, "routerctl: %s\n", json_is_string(e) ? json_string_value(e) : "request failed");
	}
	free(line);
	json_decref(resp);
	return ok ? 0 : EXIT_FAILED;
}
