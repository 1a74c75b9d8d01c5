/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.c -- see config.h.
 *
 * The schema is a set of tables, one per YAML mapping, one line per key:
 * name, handler, field offset, range, default, flags (after Knot's
 * conf/schema.c). A mapping is walked once in document order, so the first
 * error in the file is the one reported. Unknown, repeated and missing keys
 * are errors at their own line and column. Defaults are written in the same
 * syntax as the file and go through the same handlers before the walk, so a
 * default can never be a value the parser would refuse. Checks that need the
 * whole file (a switch outside every zone, inherited TTLs) run after the walk.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include <openssl/crypto.h>

#include "lib/err.h"
#include "lib/name.h"
#include "lib/tsig.h"

/* Handlers store "unsigned" fields (workers, control_mode) as uint32_t. */
_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned is not 32 bits");

/* RFC 2181 section 8: a TTL is at most 2^31 - 1 seconds. */
#define TTL_MAX 2147483647L
/* Marks a per-switch field that inherits from switch_defaults. */
#define UNSET UINT32_MAX
#define UNSET_MS INT64_C(-1)

struct ctx {
	const char *file;
	yaml_document_t *doc;
	struct config *cfg;
	yaml_node_t *http_listen; /* for the check against server.listen */
	char path[128];           /* dotted path of the mapping being walked */
	char *err;
	size_t errlen;
	int failed;
};

struct key;
/*
 * Parse one value into the struct at BASE. Scalar handlers get TEXT and the
 * NODE for error positions (NULL while applying a default); F_NODE handlers
 * get the node itself (lists, mappings) and TEXT NULL.
 */
typedef int (*handler_fn)(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base);

enum {
	F_REQ = 1,
	F_NODE = 2,
};

struct key {
	const char *name;
	handler_fn fn;
	size_t offset;         /* of the field inside BASE */
	long min, max;         /* integer, size and duration range */
	const char *def;       /* default, in file syntax; NULL: none or computed */
	int flags;             /* F_REQ: must be present; F_NODE: not a scalar */
	const struct key *sub; /* keys of a nested mapping */
};

/* ---- errors ------------------------------------------------------------- */

static int verror(struct ctx *c, unsigned long line, unsigned long col, const char *fmt, va_list ap)
{
	int n;

	if (c->failed) /* keep the first error: later ones are often its echo */
		return -EINVAL;
	c->failed = 1;
	if (line == 0)
		n = snprintf(c->err, c->errlen, "%s: error: ", c->file);
	else
		n = snprintf(c->err, c->errlen, "%s:%lu:%lu: error: ", c->file, line, col);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

static int error_at(struct ctx *c, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int error_at(struct ctx *c, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* node is NULL only for a default value, which the tests prove valid. */
	verror(c, node ? node->start_mark.line + 1 : 0, node ? node->start_mark.column + 1 : 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int error_line(struct ctx *c, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int error_line(struct ctx *c, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(c, (unsigned long)line, (unsigned long)col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static size_t path_push(struct ctx *c, const char *name)
{
	size_t old = strlen(c->path);
	snprintf(c->path + old, sizeof(c->path) - old, "%s%s", old ? "." : "", name);
	return old;
}

static void path_pop(struct ctx *c, size_t old)
{
	c->path[old] = '\0';
}

/* ---- value parsers -------------------------------------------------------- */

int config_parse_duration(const char *text, uint32_t *seconds)
{
	unsigned long long v, mult = 1;
	char *end;

	/* strtoull alone would take " 5", "+5" and "-5" (wrapped). */
	if (text == NULL || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 's': end++; break;
	case 'm': mult = 60, end++; break;
	case 'h': mult = 3600, end++; break;
	case 'd': mult = 86400, end++; break;
	default: return -EINVAL;
	}
	if (*end != '\0' || v > UINT32_MAX / mult)
		return -EINVAL;
	*seconds = (uint32_t)(v * mult);
	return 0;
}

/* Split "host:port" or "[v6]:port"; HOST gets the address without brackets. */
static int split_host_port(const char *text, char *host, size_t hostlen, unsigned long *port)
{
	const char *sep, *p;
	size_t hlen;
	char *end;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		p = text + 1;
		hlen = (size_t)(close - p);
		sep = close + 1;
	} else {
		sep = strrchr(text, ':');
		if (sep == NULL)
			return -EINVAL;
		p = text;
		hlen = (size_t)(sep - p);
	}
	if (hlen == 0 || hlen >= hostlen || !isdigit((unsigned char)sep[1]))
		return -EINVAL;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	errno = 0;
	*port = strtoul(sep + 1, &end, 10);
	return errno == 0 && *end == '\0' && *port >= 1 && *port <= 65535 ? 0 : -EINVAL;
}

int config_parse_addr(const char *text, struct cfg_addr *addr)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&addr->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&addr->ss;
	char host[INET6_ADDRSTRLEN];
	unsigned long port;

	/* Zeroed, so two addresses compare equal with memcmp. */
	memset(addr, 0, sizeof(*addr));
	if (text == NULL || strlen(text) >= sizeof(addr->text) || split_host_port(text, host, sizeof(host), &port) < 0)
		return -EINVAL;
	if (text[0] == '[') {
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		addr->len = sizeof(*s6);
	} else {
		/* A bare IPv6 address is ambiguous with the port: brackets required. */
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		addr->len = sizeof(*s4);
	}
	snprintf(addr->text, sizeof(addr->text), "%s", text);
	return 0;
}

/*
 * A domain name, lower case with the final dot, or NULL. Labels are letters,
 * digits, '-' and '_' (service labels such as _dmarc): no escapes and no
 * wildcard, since a switched name is one concrete owner. The root is refused:
 * routerd serves customer domains, never ".".
 */
static char *normalize_name(const char *text)
{
	size_t len = strlen(text), label = 0;
	char out[NAME_TEXT_MAX];

	if (len > 0 && text[len - 1] == '.')
		len--;
	/* RFC 1035 2.3.4: 255 octets in wire form, which is len + 2. */
	if (len == 0 || len > 253)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '.' && label == 0)
			return NULL;
		if (ch != '.' && !isalnum(ch) && ch != '-' && ch != '_')
			return NULL;
		label = ch == '.' ? 0 : label + 1;
		if (label > 63) /* RFC 1035 2.3.4 */
			return NULL;
	}
	if (label == 0 || name_normalize(text, out, sizeof(out)) < 0)
		return NULL;
	return strdup(out);
}

/* Digits with an optional '-', nothing else: " 5", "+5", "5.0" are refused. */
static int parse_ll(const char *text, long long *out)
{
	const char *p = text[0] == '-' ? text + 1 : text;
	char *end;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	/* Out of range saturates to LLONG_MIN/MAX, which the range check refuses. */
	*out = strtoll(text, &end, 10);
	return *end == '\0' ? 0 : -EINVAL;
}

/* ---- scalar handlers ------------------------------------------------------- */

#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))

static int h_string(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	char **dst = FIELD(base, k, char *);

	free(*dst);
	*dst = strdup(text);
	return *dst ? 0 : error_at(c, node, "out of memory");
}

static int h_name(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	char **dst = FIELD(base, k, char *);

	free(*dst);
	*dst = normalize_name(text);
	if (*dst == NULL)
		return error_at(c, node, "%s: bad domain name \"%s\"", k->name, text);
	return 0;
}

static int check_range(struct ctx *c, const struct key *k, yaml_node_t *node, long long v, const char *unit)
{
	if (v < k->min || v > k->max)
		return error_at(c, node, "%s must be from %ld%s to %ld%s", k->name, k->min, unit, k->max, unit);
	return 0;
}

static int h_uint(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	long long v;

	if (parse_ll(text, &v) < 0)
		return error_at(c, node, "%s must be an integer, not \"%s\"", k->name, text);
	if (check_range(c, k, node, v, "") < 0)
		return -EINVAL;
	*FIELD(base, k, uint32_t) = (uint32_t)v;
	return 0;
}

static int h_bool(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
		*FIELD(base, k, uint32_t) = text[0] == 't';
		return 0;
	}
	return error_at(c, node, "%s must be true or false, not \"%s\"", k->name, text);
}

/* "auto" is one thread per online CPU, capped by the key's range. */
static int h_workers(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	long cpus;

	if (strcmp(text, "auto") != 0)
		return h_uint(c, k, node, text, base);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	*FIELD(base, k, uint32_t) = (uint32_t)(cpus < k->min ? k->min : (cpus > k->max ? k->max : cpus));
	return 0;
}

/* Bytes, or binary kilo/megabytes with a k or M suffix. */
static int h_size(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	size_t len = strlen(text);
	long long v = -1, mult = 1;
	char num[32];

	if (len > 0 && (text[len - 1] == 'k' || text[len - 1] == 'K'))
		mult = 1024, len--;
	else if (len > 0 && (text[len - 1] == 'm' || text[len - 1] == 'M'))
		mult = 1024 * 1024, len--;
	if (len < sizeof(num)) {
		memcpy(num, text, len);
		num[len] = '\0';
	}
	if (len >= sizeof(num) || parse_ll(num, &v) < 0 || v > LLONG_MAX / mult)
		return error_at(c, node, "%s must be a size in bytes (or with k or M), not \"%s\"", k->name, text);
	if (check_range(c, k, node, v * mult, " bytes") < 0)
		return -EINVAL;
	*FIELD(base, k, uint32_t) = (uint32_t)(v * mult);
	return 0;
}

/* A duration in seconds, within the key's range, into *S. */
static int duration_of(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, uint32_t *s)
{
	if (config_parse_duration(text, s) < 0)
		return error_at(c, node, "%s: bad duration \"%s\" (a number with s, m, h or d)", k->name, text);
	return check_range(c, k, node, *s, "s");
}

/* A duration kept in seconds: TTLs (DNS fields) and socket timeouts. */
static int h_duration(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	return duration_of(c, k, node, text, FIELD(base, k, uint32_t));
}

/* A duration kept as a time: int64_t ms (config.h). */
static int h_duration_ms(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	uint32_t s;

	if (duration_of(c, k, node, text, &s) < 0)
		return -EINVAL;
	*FIELD(base, k, int64_t) = (int64_t)s * 1000;
	return 0;
}

/* A file mode: quoted "0660" or plain 0660 (YAML 1.1 would read 0660 as
 * octal, libyaml keeps the text, so both spellings mean the same). */
static int h_mode(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	size_t len = strlen(text);

	if (len == 0 || len > 4 || strspn(text, "01234567") != len || strtoul(text, NULL, 8) > 0777)
		return error_at(c, node, "%s must be an octal mode like \"0660\", not \"%s\"", k->name, text);
	*FIELD(base, k, uint32_t) = (uint32_t)strtoul(text, NULL, 8);
	return 0;
}

static int h_share(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(text, &end);
	/* Written this way round so that NaN fails too. */
	if (!(isdigit((unsigned char)text[0]) || text[0] == '.') || *end != '\0' || errno != 0 || !(d > 0.0 && d <= 1.0))
		return error_at(c, node, "%s must be a number above 0 and at most 1, not \"%s\"", k->name, text);
	*FIELD(base, k, double) = d;
	return 0;
}

static int h_addr(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	if (config_parse_addr(text, FIELD(base, k, struct cfg_addr)) < 0)
		return error_at(c, node, "%s: bad address \"%s\" (want 127.0.0.1:8053 or [::1]:8053)", k->name, text);
	c->http_listen = node;
	return 0;
}

static const char *const all_down_names[] = { [ALL_DOWN_STAY] = "stay", [ALL_DOWN_CDN] = "cdn", [ALL_DOWN_ORIGIN] = "origin" };

const char *config_all_down_name(enum cfg_all_down a)
{
	return (unsigned)a <= ALL_DOWN_ORIGIN ? all_down_names[a] : all_down_names[ALL_DOWN_STAY];
}

static int h_all_down(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	const char *const *names = all_down_names;

	for (size_t i = 0; i <= ALL_DOWN_ORIGIN; i++) {
		if (strcmp(text, names[i]) == 0) {
			*FIELD(base, k, enum cfg_all_down) = (enum cfg_all_down)i;
			return 0;
		}
	}
	return error_at(c, node, "%s must be stay, cdn or origin, not \"%s\"", k->name, text);
}

static int h_side(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	if (side_parse(text, FIELD(base, k, enum side)) < 0)
		return error_at(c, node, "%s must be cdn or origin, not \"%s\"", k->name, text);
	return 0;
}

/* ---- node handlers: mappings and lists ------------------------------------------ */

static int walk_map(struct ctx *c, yaml_node_t *node, void *base, const struct key *table);

static yaml_node_t *node_of(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static size_t seq_len(const yaml_node_t *node)
{
	return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

static int want_list(struct ctx *c, const struct key *k, yaml_node_t *node, const char *of)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return error_at(c, node, "%s must be a list of %s", k->name, of);
	if (seq_len(node) == 0)
		return error_at(c, node, "%s must list at least one of %s", k->name, of);
	return 0;
}

/* The text of a scalar that holds a value; lists, mappings and nulls are refused. */
static const char *value_text(struct ctx *c, yaml_node_t *node, const char *name)
{
	const char *v;

	if (node->type == YAML_SEQUENCE_NODE)
		return error_at(c, node, "%s must be a single value, not a list", name), NULL;
	if (node->type != YAML_SCALAR_NODE)
		return error_at(c, node, "%s must be a single value, not a mapping", name), NULL;
	v = (const char *)node->data.scalar.value;
	/* "key:" alone, "~" and "null" are YAML nulls: a forgotten value. */
	if (v[0] == '\0' || (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	                     (strcmp(v, "~") == 0 || strcasecmp(v, "null") == 0)))
		return error_at(c, node, "%s needs a value", name), NULL;
	return v;
}

static int h_map(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	size_t old = path_push(c, k->name);
	int rc;

	(void)text;
	rc = walk_map(c, node, (char *)base + k->offset, k->sub);
	path_pop(c, old);
	return rc;
}

static int h_listen(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct config *cfg = base;

	(void)text;
	if (want_list(c, k, node, "addresses") < 0)
		return -EINVAL;
	cfg->listen = calloc(seq_len(node), sizeof(*cfg->listen));
	if (cfg->listen == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		struct cfg_addr *a = &cfg->listen[cfg->n_listen];
		const char *t = value_text(c, v, "a listen address");

		if (t == NULL)
			return -EINVAL;
		if (config_parse_addr(t, a) < 0)
			return error_at(c, v, "bad listen address \"%s\" (want 127.0.0.1:53 or [::1]:53)", t);
		for (size_t i = 0; i < cfg->n_listen; i++)
			if (cfg->listen[i].len == a->len && memcmp(&cfg->listen[i].ss, &a->ss, a->len) == 0)
				return error_at(c, v, "listen address %s given twice", t);
		cfg->n_listen++;
	}
	return 0;
}

/* fleet.dnstap.listen: "unix:/path" or "host:port", each once. */
static int h_dnstap_listen(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_dnstap *d = base;

	(void)text;
	if (want_list(c, k, node, "addresses") < 0)
		return -1;
	d->listen = calloc(seq_len(node) + 1, sizeof(*d->listen));
	if (d->listen == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		struct cfg_dnstap_listen *l = &d->listen[d->n_listen];
		const char *t = value_text(c, v, "a dnstap listen address");

		if (t == NULL)
			return -1;
		if (strncmp(t, "unix:", 5) == 0) {
			/* sun_path holds 108 bytes with the final NUL. */
			if (t[5] != '/' || strlen(t + 5) > 107)
				return error_at(c, v, "bad dnstap socket \"%s\" (want unix:/absolute/path, at most 107 bytes)", t);
			if ((l->path = strdup(t + 5)) == NULL)
				return error_at(c, v, "out of memory");
		} else if (config_parse_addr(t, &l->addr) < 0) {
			return error_at(c, v, "bad dnstap listen address \"%s\" (want unix:/run/routerd/dnstap.sock, 127.0.0.1:6000 or [::1]:6000)", t);
		}
		d->n_listen++;
		for (size_t i = 0; i + 1 < d->n_listen; i++)
			if (l->path ? d->listen[i].path && strcmp(d->listen[i].path, l->path) == 0
			            : !d->listen[i].path && d->listen[i].addr.len == l->addr.len &&
			                  memcmp(&d->listen[i].addr.ss, &l->addr.ss, l->addr.len) == 0)
				return error_at(c, v, "dnstap listen address %s given twice", t);
	}
	return 0;
}

/* "192.0.2.0/24", "2001:db8::/32" or a bare address (a /32 or /128). */
static int parse_rrl_prefix(const char *text, struct cfg_rrl_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long len;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = 0;
	memset(p, 0, sizeof(*p));
	p->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p->family, buf, p->addr) != 1)
		return -1;
	len = p->family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		long max = len;
		len = strtol(slash + 1, &end, 10);
		if (*end != 0 || slash[1] == 0 || len < 0 || len > max)
			return -1;
	}
	p->len = (uint8_t)len;
	for (int bit = p->len; bit < (p->family == AF_INET ? 32 : 128); bit++)
		p->addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	return 0;
}

static int h_prefixes(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_rrl *r = base;

	(void)text;
	if (node->type != YAML_SEQUENCE_NODE)
		return error_at(c, node, "%s must be a list of prefixes like 192.0.2.0/24", k->name);
	r->exempt = calloc(seq_len(node) ? seq_len(node) : 1, sizeof(*r->exempt));
	if (r->exempt == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		const char *t = value_text(c, v, "a prefix");

		if (t == NULL)
			return -1;
		if (parse_rrl_prefix(t, &r->exempt[r->n_exempt]) < 0)
			return error_at(c, v, "bad prefix \"%s\" (want 192.0.2.0/24, 2001:db8::/32 or an address)", t);
		r->n_exempt++;
	}
	return 0;
}

/* An A or AAAA set: a non-empty list, no address twice (RFC 2181 5: an RRset
 * holds no duplicates, and a repeated address is a typo anyway). */
static int addr_list(struct ctx *c, yaml_node_t *node, int family, char *arr, size_t *n)
{
	size_t size = family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";

	if (arr == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		const char *t = value_text(c, v, "an address");

		if (t == NULL)
			return -EINVAL;
		if (inet_pton(family, t, arr + *n * size) != 1)
			return error_at(c, v, "bad %s address \"%s\"%s", fam, t,
			                family == AF_INET && strchr(t, ':')     ? " (IPv6 goes under aaaa)"
			                : family == AF_INET6 && !strchr(t, ':') ? " (IPv4 goes under a)"
			                                                        : "");
		for (size_t i = 0; i < *n; i++)
			if (memcmp(arr + i * size, arr + *n * size, size) == 0)
				return error_at(c, v, "address %s listed twice", t);
		(*n)++;
	}
	return 0;
}

static int h_a(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_answer *a = base;

	(void)text;
	if (want_list(c, k, node, "addresses") < 0)
		return -EINVAL;
	a->a = calloc(seq_len(node), sizeof(*a->a));
	return addr_list(c, node, AF_INET, (char *)a->a, &a->n_a);
}

static int h_aaaa(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_answer *a = base;

	(void)text;
	if (want_list(c, k, node, "addresses") < 0)
		return -EINVAL;
	a->aaaa = calloc(seq_len(node), sizeof(*a->aaaa));
	return addr_list(c, node, AF_INET6, (char *)a->aaaa, &a->n_aaaa);
}

/* One side of a switch: exactly a CNAME, or one or both address sets. */
static int h_answer(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_answer *a = FIELD(base, k, struct cfg_answer);

	if (h_map(c, k, node, text, base) < 0)
		return -EINVAL;
	a->line = (int)node->start_mark.line + 1;
	a->col = (int)node->start_mark.column + 1;
	if (a->cname == NULL && a->n_a == 0 && a->n_aaaa == 0)
		return error_at(c, node, "%s needs a cname, or a and/or aaaa addresses", k->name);
	/* RFC 1034 3.6.2: a CNAME owner holds no other data. */
	if (a->cname != NULL && (a->n_a || a->n_aaaa))
		return error_at(c, node, "%s has both a cname and addresses: a CNAME stands alone", k->name);
	return 0;
}

/* After the walk: exactly one kind of webhook authentication, or none. */
static int h_auth(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_http *h = base;
	int kinds;

	if (h_map(c, k, node, text, base) < 0)
		return -EINVAL;
	/* basic.user and hmac.secret_file are required, so they mark their block. */
	kinds = (h->bearer_token_file != NULL) + (h->basic_user != NULL) + (h->hmac_secret_file != NULL);
	if (kinds != 1)
		return error_at(c, node, "auth takes exactly one of bearer_token_file, basic, hmac");
	h->auth = h->bearer_token_file ? AUTH_BEARER : (h->basic_user ? AUTH_BASIC : AUTH_HMAC);
	return 0;
}

static int h_http(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct config *cfg = base;

	cfg->http.enabled = 1;
	return h_map(c, k, node, text, base);
}

/* A ttl_armed longer than ttl would raise the TTL when it should lower it. */
static int armed_check(struct ctx *c, uint32_t *armed, uint32_t inherited, uint32_t ttl, int line, int col)
{
	if (*armed == UNSET)
		*armed = inherited < ttl ? inherited : ttl;
	else if (*armed > ttl)
		return error_line(c, line, col, "ttl_armed (%us) must not be longer than ttl (%us)", *armed, ttl);
	return 0;
}

static int h_defaults(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_switch_defaults *d = FIELD(base, k, struct cfg_switch_defaults);
	uint32_t table_default = d->p.ttl_armed;

	d->p.ttl_armed = UNSET;
	if (h_map(c, k, node, text, base) < 0)
		return -EINVAL;
	return armed_check(c, &d->p.ttl_armed, table_default, d->p.ttl, (int)node->start_mark.line + 1,
	                   (int)node->start_mark.column + 1);
}


/* ---- tables ------------------------------------------------------------------ */
/* clang-format off */

/* KEY: a value in the struct at BASE. MAP: a nested mapping, its own keys in SUB. */
#define KEY(name, fn, type, field, min, max, def, flags) { name, fn, offsetof(type, field), min, max, def, flags, NULL }
#define MAP(name, fn, offset, flags, sub) { name, fn, offset, 0, 0, NULL, (flags) | F_NODE, sub }
#define END { NULL, NULL, 0, 0, 0, NULL, 0, NULL }

/* ---- fleet ------------------------------------------------------------------ */

/* One fleet.keys entry as written; the secret is read after the walk. */
struct cfg_key_text {
	char *name, *algorithm, *secret_file;
};

static const struct key fleet_key_keys[] = {
	KEY("name",        h_name,   struct cfg_key_text, name,        0, 0, NULL, F_REQ),
	KEY("algorithm",   h_string, struct cfg_key_text, algorithm,   0, 0, NULL, 0),
	KEY("secret_file", h_string, struct cfg_key_text, secret_file, 0, 0, NULL, F_REQ),
	END,
};

/* A relative secret_file: the working directory's, else beside the config. */
static char *beside_config(struct ctx *c, const char *file)
{
	const char *slash = strrchr(c->file, '/');
	char *joined;

	if (file[0] == '/' || slash == NULL || access(file, F_OK) == 0)
		return strdup(file);
	if (asprintf(&joined, "%.*s/%s", (int)(slash - c->file), c->file, file) < 0)
		return NULL;
	return joined;
}

/* Read a base64 TSIG secret (as tsig-keygen, keymgr and ldns-keygen write
 * it): the whole file, or the value of a `secret "..."` line. */
static int read_secret(struct ctx *c, yaml_node_t *node, const char *file, uint8_t *out, size_t *len)
{
	char buf[4096], *p, *q;
	FILE *f = fopen(file, "r");
	size_t n;
	long got;

	if (f == NULL)
		return error_at(c, node, "secret_file %s: %s", file, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "secret");
	if (p != NULL && (p = strchr(p, '"')) != NULL && (q = strchr(p + 1, '"')) != NULL) {
		*q = '\0';
		p++;
	} else {
		p = buf;
	}
	got = tsig_base64_decode(p, out, TSIG_SECRET_MAX);
	if (got <= 0)
		return error_at(c, node, "secret_file %s: not a base64 secret of at most %d bytes", file,
		                TSIG_SECRET_MAX);
	*len = (size_t)got;
	return 0;
}

static int h_fleet_keys(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_fleet *f = base;
	size_t old = path_push(c, "key");

	(void)text;
	if (want_list(c, k, node, "{name, algorithm, secret_file}") < 0)
		return -1;
	f->keys = calloc(seq_len(node), sizeof(*f->keys));
	f->key_files = calloc(seq_len(node), sizeof(*f->key_files));
	if (f->keys == NULL || f->key_files == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		struct cfg_key_text t = { 0 };
		enum tsig_alg alg;
		uint8_t secret[TSIG_SECRET_MAX];
		size_t len = 0;
		int rc = walk_map(c, v, &t, fleet_key_keys);
		char *file = rc == 0 ? beside_config(c, t.secret_file) : NULL;

		if (rc == 0 && tsig_alg_parse(t.algorithm ? t.algorithm : "hmac-sha256", &alg) < 0)
			rc = error_at(c, v, "key %s: algorithm must be hmac-sha256 or hmac-sha512, not \"%s\"", t.name,
			              t.algorithm);
		if (rc == 0 && file == NULL)
			rc = error_at(c, v, "out of memory");
		if (rc == 0)
			rc = read_secret(c, v, file, secret, &len);
		if (rc == 0 && tsig_key_init(&f->keys[f->n_keys], t.name, alg, secret, len) < 0)
			rc = error_at(c, v, "key %s: bad key name", t.name);
		for (size_t i = 0; rc == 0 && i < f->n_keys; i++)
			if (strcmp(f->keys[i].text, f->keys[f->n_keys].text) == 0)
				rc = error_at(c, v, "key %s listed twice", t.name);
		if (rc == 0)
			f->key_files[f->n_keys++] = file;
		else
			free(file);
		free(t.name);
		free(t.algorithm);
		free(t.secret_file);
		if (rc < 0)
			return -1;
	}
	path_pop(c, old);
	return 0;
}

static int h_sec_addr(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	if (config_parse_addr(text, FIELD(base, k, struct cfg_addr)) < 0)
		return error_at(c, node, "%s: bad address \"%s\" (want 192.0.2.1:53 or [2001:db8::1]:53)", k->name, text);
	return 0;
}

static int parse_prefix(const char *text, struct cfg_prefix *p);

/* source: the address a secondary's transfers come from (a host with
 * several addresses, or one that listens on another than it sends from). */
static int h_source(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_prefix **dst = FIELD(base, k, struct cfg_prefix *);

	free(*dst);
	*dst = calloc(1, sizeof(**dst));
	if (*dst == NULL)
		return error_at(c, node, "out of memory");
	if (parse_prefix(text, *dst) < 0 || strchr(text, '/') != NULL)
		return error_at(c, node, "%s: bad address \"%s\" (want 192.0.2.1 or 2001:db8::1)", k->name, text);
	return 0;
}

static const struct key secondary_keys[] = {
	KEY("name",    h_string,   struct cfg_secondary, name,    0, 0, NULL, F_REQ),
	KEY("address", h_sec_addr, struct cfg_secondary, address, 0, 0, NULL, F_REQ),
	KEY("key",     h_name,     struct cfg_secondary, key,     0, 0, NULL, 0),
	KEY("source",  h_source,   struct cfg_secondary, source,  0, 0, NULL, 0),
	END,
};

static int h_secondaries(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_fleet *f = base;
	size_t old = path_push(c, "secondary");

	(void)text;
	if (want_list(c, k, node, "{name, address, key}") < 0)
		return -1;
	f->secondaries = calloc(seq_len(node), sizeof(*f->secondaries));
	if (f->secondaries == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		struct cfg_secondary *s = &f->secondaries[f->n_secondaries++];

		s->line = (int)v->start_mark.line + 1;
		s->col = (int)v->start_mark.column + 1;
		if (walk_map(c, v, s, secondary_keys) < 0)
			return -1;
		for (size_t i = 0; i + 1 < f->n_secondaries; i++)
			if (strcmp(f->secondaries[i].name, s->name) == 0)
				return error_at(c, v, "secondary %s listed twice (first at line %d)", s->name,
				                f->secondaries[i].line);
	}
	path_pop(c, old);
	return 0;
}

/* "10.0.0.0/8", "2001:db8::/32", or one address. */
static int parse_prefix(const char *text, struct cfg_prefix *p)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	long bits = -1;
	void *dst;

	if (n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(p, 0, sizeof(*p));
	if (strchr(host, ':')) {
		p->ss.ss_family = AF_INET6;
		dst = &((struct sockaddr_in6 *)&p->ss)->sin6_addr;
	} else {
		p->ss.ss_family = AF_INET;
		dst = &((struct sockaddr_in *)&p->ss)->sin_addr;
	}
	if (inet_pton(p->ss.ss_family, host, dst) != 1)
		return -1;
	if (slash != NULL) {
		char *end;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || slash[1] == '\0')
			return -1;
	}
	if (bits < 0)
		bits = p->ss.ss_family == AF_INET ? 32 : 128;
	if (bits > (p->ss.ss_family == AF_INET ? 32 : 128))
		return -1;
	p->bits = (unsigned)bits;
	snprintf(p->text, sizeof(p->text), "%s", text);
	return 0;
}

static int h_allow(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct cfg_fleet *f = base;

	(void)text;
	if (want_list(c, k, node, "networks") < 0)
		return -1;
	f->allow = calloc(seq_len(node), sizeof(*f->allow));
	if (f->allow == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		const char *t = value_text(c, v, "a network");
		if (t == NULL)
			return -1;
		if (parse_prefix(t, &f->allow[f->n_allow]) < 0)
			return error_at(c, v, "bad network \"%s\" (want 192.0.2.0/24, 2001:db8::/32 or an address)", t);
		f->n_allow++;
	}
	return 0;
}

static int h_fleet(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct config *cfg = base;

	cfg->fleet.enabled = 1;
	return h_map(c, k, node, text, base);
}


/* As NSD's and Knot's defaults: 200 per second keeps a busy resolver's
 * answers flowing; /24 and /56 are what one site (and one spoofed victim)
 * usually holds; slip 2 sends every second limited answer truncated. */
static const struct key rrl_keys[] = {
	KEY("responses_per_second", h_uint, struct cfg_rrl, responses_per_second, 0, 10000000, "0", 0),
	KEY("slip",        h_uint,     struct cfg_rrl, slip,        0, 100, "2",  0),
	KEY("ipv4_prefix", h_uint,     struct cfg_rrl, ipv4_prefix, 1, 32,  "24", 0),
	KEY("ipv6_prefix", h_uint,     struct cfg_rrl, ipv6_prefix, 1, 128, "56", 0),
	KEY("exempt",      h_prefixes, struct cfg_rrl, exempt,      0, 0,   NULL, F_NODE),
	END,
};

static const struct key server_keys[] = {
	KEY("listen",           h_listen,   struct config, listen,           0, 0,       NULL,  F_REQ | F_NODE),
	KEY("workers",          h_workers,  struct config, workers,          1, 256,     "auto", 0),
	KEY("user",             h_string,   struct config, user,             0, 0,       NULL,  0),
	/* 1232: the DNS Flag Day 2020 size that avoids IP fragmentation. */
	KEY("udp_payload_max",  h_uint,     struct config, udp_payload_max,  512, 4096,  "1232", 0),
	KEY("tcp_idle_timeout", h_duration, struct config, tcp_idle_timeout, 1, 3600,    "10s", 0),
	KEY("tcp_max_clients",  h_uint,     struct config, tcp_max_clients,  1, 1000000, "1000", 0),
	MAP("rrl", h_map, offsetof(struct config, rrl), 0, rrl_keys),
	END,
};

static const struct key control_keys[] = {
	KEY("socket", h_string, struct config, control_socket, 0, 0, "/run/routerd/control.sock", 0),
	KEY("mode",   h_mode,   struct config, control_mode,   0, 0, "0660", 0),
	KEY("max_clients",  h_uint,     struct config, control_max_clients,  1, 65536, "64",  0),
	KEY("idle_timeout", h_duration, struct config, control_idle_timeout, 1, 3600,  "30s", 0),
	END,
};

static const struct key basic_keys[] = {
	KEY("user",          h_string, struct cfg_http, basic_user,          0, 0, NULL, F_REQ),
	KEY("password_file", h_string, struct cfg_http, basic_password_file, 0, 0, NULL, F_REQ),
	END,
};

static const struct key hmac_keys[] = {
	KEY("secret_file", h_string, struct cfg_http, hmac_secret_file, 0, 0, NULL, F_REQ),
	KEY("header",      h_string, struct cfg_http, hmac_header,      0, 0, "X-Routerd-Signature", 0),
	END,
};

static const struct key auth_keys[] = {
	KEY("bearer_token_file", h_string, struct cfg_http, bearer_token_file, 0, 0, NULL, 0),
	MAP("basic", h_map, 0, 0, basic_keys),
	MAP("hmac",  h_map, 0, 0, hmac_keys),
	END,
};

static const struct key http_keys[] = {
	KEY("listen",          h_addr,     struct cfg_http, listen,          0, 0,          NULL,  F_REQ),
	MAP("auth", h_auth, 0, 0, auth_keys),
	KEY("max_body",        h_size,     struct cfg_http, max_body,        1024, 64 << 20, "1M",  0),
	KEY("max_header",      h_size,     struct cfg_http, max_header,      1024, 1 << 20,  "16k", 0),
	KEY("max_connections", h_uint,     struct cfg_http, max_connections, 1, 100000,     "256", 0),
	KEY("idle_timeout",    h_duration, struct cfg_http, idle_timeout,    1, 3600,       "30s", 0),
	KEY("request_timeout", h_duration, struct cfg_http, request_timeout, 1, 3600,       "10s", 0),
	END,
};

static const struct key brake_keys[] = {
	KEY("max_share",    h_share,    struct cfg_brake, max_share,    0, 0,          "0.2", 0),
	KEY("window",       h_duration_ms, struct cfg_brake, window,       1, 7 * 86400,  "10m", 0),
	KEY("min_switches", h_uint,     struct cfg_brake, min_switches, 0, 1000000,    "2",   0),
	END,
};

static const struct key signals_keys[] = {
	KEY("max_per_switch", h_uint, struct cfg_signals, max_per_switch, 1, 1000000,   "256",    0),
	KEY("max_total",      h_uint, struct cfg_signals, max_total,      1, 100000000, "100000", 0),
	END,
};

static const struct key tracking_keys[] = {
	KEY("enabled",     h_bool,     struct cfg_tracking, enabled,     0, 0,        "true",   0),
	KEY("max_entries", h_uint,     struct cfg_tracking, max_entries, 16, 10000000, "100000", 0),
	KEY("client_hold", h_duration, struct cfg_tracking, client_hold, 0, 3600,     "60s",    0),
	KEY("client_share", h_share,   struct cfg_tracking, client_share, 0, 0,       "0.3",    0),
	KEY("reports",     h_uint,     struct cfg_tracking, reports,     1, 1000,     "16",     0),
	END,
};

static const struct key dnstap_keys[] = {
	KEY("listen", h_dnstap_listen, struct cfg_dnstap, listen, 0, 0, NULL, F_NODE),
	END,
};

static const struct key armed_keys[] = {
	KEY("label", h_string, struct config, armed_label, 0, 0, "severity", 0),
	KEY("value", h_string, struct config, armed_value, 0, 0, "warning",  0),
	END,
};

static const struct key defaults_keys[] = {
	KEY("ttl",           h_duration,    struct cfg_switch_defaults, p.ttl,           1, TTL_MAX, "30s",  0),
	KEY("ttl_armed",     h_duration,    struct cfg_switch_defaults, p.ttl_armed,     1, TTL_MAX, "5s",   0),
	KEY("failback_hold", h_duration_ms, struct cfg_switch_defaults, p.failback_hold, 0, TTL_MAX, "5m",   0),
	KEY("signal_ttl",    h_duration_ms, struct cfg_switch_defaults, signal_ttl,      1, TTL_MAX, "1h",   0),
	KEY("all_down",      h_all_down,    struct cfg_switch_defaults, p.all_down,      0, 0,       "stay", 0),
	END,
};

static const struct key answer_keys[] = {
	KEY("cname", h_name, struct cfg_answer, cname, 0, 0, NULL, 0),
	KEY("a",     h_a,    struct cfg_answer, a,     0, 0, NULL, F_NODE),
	KEY("aaaa",  h_aaaa, struct cfg_answer, aaaa,  0, 0, NULL, F_NODE),
	END,
};

/* Keys without a default here inherit from switch_defaults after the walk. */
static const struct key switch_keys[] = {
	KEY("name",          h_name,     struct cfg_switch, name,          0, 0,       NULL, F_REQ),
	MAP("cdn",    h_answer, offsetof(struct cfg_switch, cdn),    F_REQ, answer_keys),
	MAP("origin", h_answer, offsetof(struct cfg_switch, origin), F_REQ, answer_keys),
	KEY("ttl",           h_duration,    struct cfg_switch, p.ttl,           1, TTL_MAX, NULL, 0),
	KEY("ttl_armed",     h_duration,    struct cfg_switch, p.ttl_armed,     1, TTL_MAX, NULL, 0),
	KEY("failback_hold", h_duration_ms, struct cfg_switch, p.failback_hold, 0, TTL_MAX, NULL, 0),
	KEY("all_down",      h_all_down,    struct cfg_switch, p.all_down,      0, 0,       NULL, 0),
	KEY("initial",       h_side,        struct cfg_switch, p.home,          0, 0,       NULL, 0),
	END,
};

static const struct key zone_keys[] = {
	KEY("name", h_name,   struct cfg_zone, name, 0, 0, NULL, F_REQ),
	KEY("file", h_string, struct cfg_zone, file, 0, 0, NULL, F_REQ),
	END,
};

static const struct key fleet_keys[] = {
	KEY("keys",           h_fleet_keys,  struct cfg_fleet, keys,          0, 0,      NULL,   F_NODE),
	KEY("secondaries",    h_secondaries, struct cfg_fleet, secondaries,   0, 0,      NULL,   F_NODE),
	KEY("transfer_allow", h_allow,       struct cfg_fleet, allow,         0, 0,      NULL,   F_NODE),
	KEY("require_key",    h_bool,        struct cfg_fleet, require_key,   0, 0,      "true", 0),
	KEY("ixfr_versions",  h_uint,        struct cfg_fleet, ixfr_versions, 1, 100000, "1000", 0),
	KEY("catalog",        h_name,        struct cfg_fleet, catalog,       0, 0,      NULL,   0),
	MAP("dnstap", h_map, offsetof(struct cfg_fleet, dnstap), 0, dnstap_keys),
	END,
};

static int h_zones(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base);
static int h_switches(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base);

static const struct key top_keys[] = {
	MAP("server", h_map, 0, F_REQ, server_keys),
	KEY("state_dir", h_string, struct config, state_dir, 0, 0, "/var/lib/routerd", 0),
	MAP("control", h_map, 0, 0, control_keys),
	MAP("http", h_http, offsetof(struct config, http), 0, http_keys),
	MAP("brake", h_map, offsetof(struct config, brake), 0, brake_keys),
	MAP("signals", h_map, offsetof(struct config, signals), 0, signals_keys),
	MAP("armed", h_map, 0, 0, armed_keys),
	MAP("tracking", h_map, offsetof(struct config, tracking), 0, tracking_keys),
	KEY("zones", h_zones, struct config, zones, 0, 0, NULL, F_REQ | F_NODE),
	MAP("switch_defaults", h_defaults, offsetof(struct config, defaults), 0, defaults_keys),
	KEY("switches", h_switches, struct config, switches, 0, 0, NULL, F_NODE),
	MAP("fleet", h_fleet, offsetof(struct config, fleet), 0, fleet_keys),
	END,
};
/* clang-format on */

/* ---- walking ------------------------------------------------------------------- */

/* Levenshtein distance, for "did you mean": keys are short, so O(n*m) is fine. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], diag, up;

	if (lb >= sizeof(row) / sizeof(row[0]))
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_key(struct ctx *c, yaml_node_t *kn, const char *key, const struct key *table)
{
	const char *best = NULL;
	size_t best_d = 3; /* more than two edits away is not a typo */

	for (const struct key *k = table; k->name != NULL; k++) {
		size_t d = distance(key, k->name);
		if (d < best_d)
			best = k->name, best_d = d;
	}
	if (best != NULL)
		return error_at(c, kn, "unknown key \"%s\"%s%s (did you mean \"%s\"?)", key, c->path[0] ? " in " : "",
		                c->path, best);
	return error_at(c, kn, "unknown key \"%s\"%s%s", key, c->path[0] ? " in " : "", c->path);
}

/* Missing "server" reads best as "server.listen is required": follow required sub-keys. */
static int missing_key(struct ctx *c, yaml_node_t *node, const struct key *k)
{
	size_t old = path_push(c, k->name);

	for (const struct key *s = k->sub; s != NULL;) {
		const struct key *req = s;
		while (req->name != NULL && !(req->flags & F_REQ))
			req++;
		if (req->name == NULL)
			break;
		path_push(c, req->name);
		s = req->sub;
	}
	error_at(c, node, "%s is required", c->path);
	path_pop(c, old);
	return -EINVAL;
}

static int set_value(struct ctx *c, const struct key *k, yaml_node_t *vn, void *base)
{
	const char *text = NULL;

	if (!(k->flags & F_NODE) && (text = value_text(c, vn, k->name)) == NULL)
		return -EINVAL;
	return k->fn(c, k, vn, text, base);
}

static int walk_map(struct ctx *c, yaml_node_t *node, void *base, const struct key *table)
{
	yaml_node_t *seen[32] = { NULL }; /* key node of table[i]; every table is shorter */
	const char *what = c->path[0] ? c->path : "the configuration";

	if (node->type != YAML_MAPPING_NODE)
		return error_at(c, node, "%s must be a mapping (key: value)", what);
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node_of(c, p->key);
		const char *key = kn->type == YAML_SCALAR_NODE ? (const char *)kn->data.scalar.value : NULL;
		size_t i;

		if (key == NULL)
			return error_at(c, kn, "a key in %s must be a plain name", what);
		for (i = 0; table[i].name != NULL && strcmp(table[i].name, key) != 0; i++)
			;
		if (table[i].name == NULL)
			return unknown_key(c, kn, key, table);
		if (seen[i] != NULL)
			return error_at(c, kn, "duplicate key \"%s\" (first at line %lu)", key,
			                (unsigned long)seen[i]->start_mark.line + 1);
		seen[i] = kn;
		if (set_value(c, &table[i], node_of(c, p->value), base) < 0)
			return -EINVAL;
	}
	for (size_t i = 0; table[i].name != NULL; i++)
		if ((table[i].flags & F_REQ) && seen[i] == NULL)
			return missing_key(c, node, &table[i]);
	return 0;
}

/* Run every default through its own handler, nested tables included. */
static int apply_defaults(struct ctx *c, const struct key *table, void *base)
{
	for (const struct key *k = table; k->name != NULL; k++) {
		if (k->sub != NULL && apply_defaults(c, k->sub, (char *)base + k->offset) < 0)
			return -EINVAL;
		if (k->def != NULL && k->fn(c, k, NULL, k->def, base) < 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * A relative zone file is looked up in the working directory first, so that
 * `routerd -c conf/routerd.yaml` run from a checkout finds zones/x.zone, and
 * otherwise beside the config file, so that /etc/routerd/routerd.yaml can say
 * "zones/x.zone" for /etc/routerd/zones/x.zone whatever the working directory
 * (systemd starts us in /). When neither exists, the path beside the config
 * file is kept, and the zone loader's error names it.
 */
static int resolve_zone_file(struct ctx *c, struct cfg_zone *z)
{
	const char *slash = strrchr(c->file, '/');
	char *joined;

	if (z->file[0] == '/' || slash == NULL || access(z->file, F_OK) == 0)
		return 0;
	if (asprintf(&joined, "%.*s/%s", (int)(slash - c->file), c->file, z->file) < 0)
		return error_line(c, z->line, z->col, "out of memory");
	free(z->file);
	z->file = joined;
	return 0;
}

static int h_zones(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct config *cfg = base;
	size_t old = path_push(c, "zone");

	(void)text;
	if (want_list(c, k, node, "{name, file}") < 0)
		return -EINVAL;
	cfg->zones = calloc(seq_len(node), sizeof(*cfg->zones));
	if (cfg->zones == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		struct cfg_zone *z = &cfg->zones[cfg->n_zones++];

		z->line = (int)v->start_mark.line + 1;
		z->col = (int)v->start_mark.column + 1;
		if (walk_map(c, v, z, zone_keys) < 0)
			return -EINVAL;
		for (size_t i = 0; i + 1 < cfg->n_zones; i++)
			if (strcmp(cfg->zones[i].name, z->name) == 0)
				return error_at(c, v, "zone %s listed twice (first at line %d)", z->name, cfg->zones[i].line);
		if (resolve_zone_file(c, z) < 0)
			return -EINVAL;
	}
	path_pop(c, old);
	return 0;
}

static int h_switches(struct ctx *c, const struct key *k, yaml_node_t *node, const char *text, void *base)
{
	struct config *cfg = base;
	size_t old = path_push(c, "switch");

	(void)text;
	if (node->type != YAML_SEQUENCE_NODE)
		return error_at(c, node, "%s must be a list of switches", k->name);
	/* calloc(0) may return NULL: an empty list is fine, and 1 keeps it simple. */
	cfg->switches = calloc(seq_len(node) ? seq_len(node) : 1, sizeof(*cfg->switches));
	if (cfg->switches == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = node_of(c, *it);
		struct cfg_switch *s = &cfg->switches[cfg->n_switches++];

		s->line = (int)v->start_mark.line + 1;
		s->col = (int)v->start_mark.column + 1;
		s->p.ttl = s->p.ttl_armed = UNSET;
		s->p.failback_hold = UNSET_MS;
		s->p.all_down = (enum cfg_all_down)UNSET;
		if (walk_map(c, v, s, switch_keys) < 0)
			return -EINVAL;
		for (size_t i = 0; i + 1 < cfg->n_switches; i++)
			if (strcmp(cfg->switches[i].name, s->name) == 0)
				return error_at(c, v, "switch %s listed twice (first at line %d)", s->name,
				                cfg->switches[i].line);
	}
	path_pop(c, old);
	return 0;
}

/* ---- checks across keys ----------------------------------------------------------- */

static int name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n == z)
		return strcmp(name, zone) == 0;
	return n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

static int check_side(struct ctx *c, const struct cfg_switch *s, const struct cfg_answer *a, const char *side, int apex)
{
	/* RFC 1034 3.6.2 again: the apex holds SOA and NS, so no CNAME there. */
	if (a->cname != NULL && apex)
		return error_line(c, a->line, a->col, "switch %s is a zone apex: %s takes addresses only, not a cname",
		                  s->name, side);
	if (a->cname != NULL && strcmp(a->cname, s->name) == 0)
		return error_line(c, a->line, a->col, "switch %s: %s cname points at itself", s->name, side);
	return 0;
}

static int check_switch(struct ctx *c, struct cfg_switch *s)
{
	const struct config *cfg = c->cfg;
	const struct cfg_switch_defaults *d = &cfg->defaults;
	int inside = 0, apex = 0;

	for (size_t z = 0; z < cfg->n_zones; z++) {
		inside |= name_in_zone(s->name, cfg->zones[z].name);
		apex |= strcmp(s->name, cfg->zones[z].name) == 0;
	}
	if (!inside)
		return error_line(c, s->line, s->col, "switch %s is not inside any configured zone", s->name);
	if (check_side(c, s, &s->cdn, "cdn", apex) < 0 || check_side(c, s, &s->origin, "origin", apex) < 0)
		return -EINVAL;
	if (s->p.ttl == UNSET)
		s->p.ttl = d->p.ttl;
	if (s->p.failback_hold == UNSET_MS)
		s->p.failback_hold = d->p.failback_hold;
	if (s->p.all_down == (enum cfg_all_down)UNSET)
		s->p.all_down = d->p.all_down;
	return armed_check(c, &s->p.ttl_armed, d->p.ttl_armed, s->p.ttl, s->line, s->col);
}

/* The webhook listener and a DNS TCP listener cannot share an address. */
static int check_http_listen(struct ctx *c)
{
	const struct config *cfg = c->cfg;

	if (!cfg->http.enabled)
		return 0;
	for (size_t i = 0; i < cfg->n_listen; i++)
		if (cfg->listen[i].len == cfg->http.listen.len &&
		    memcmp(&cfg->listen[i].ss, &cfg->http.listen.ss, cfg->http.listen.len) == 0)
			return error_at(c, c->http_listen, "http listen %s is also a DNS listen address",
			                cfg->http.listen.text);
	return 0;
}

/* A secondary's key must be one of fleet.keys; require_key needs keys. */
static int check_fleet(struct ctx *c)
{
	const struct cfg_fleet *f = &c->cfg->fleet;

	for (size_t i = 0; f->catalog != NULL && i < c->cfg->n_zones; i++)
		if (strcmp(c->cfg->zones[i].name, f->catalog) == 0)
			return error_line(c, c->cfg->zones[i].line, c->cfg->zones[i].col,
			                  "zone %s is also fleet.catalog: the catalog zone is made by routerd", f->catalog);
	for (size_t i = 0; i < f->n_secondaries; i++) {
		const struct cfg_secondary *s = &f->secondaries[i];
		size_t k = 0;
		if (s->key == NULL)
			continue;
		while (k < f->n_keys && strcmp(f->keys[k].text, s->key) != 0)
			k++;
		if (k == f->n_keys)
			return error_line(c, s->line, s->col, "secondary %s: key %s is not in fleet.keys", s->name, s->key);
	}
	return 0;
}

static int load_root(struct ctx *c, yaml_node_t *root)
{
	if (root == NULL)
		return error_line(c, 1, 1, "the file holds no configuration");
	if (apply_defaults(c, top_keys, c->cfg) < 0 || walk_map(c, root, c->cfg, top_keys) < 0)
		return -EINVAL;
	for (size_t i = 0; i < c->cfg->n_switches; i++)
		if (check_switch(c, &c->cfg->switches[i]) < 0)
			return -EINVAL;
	if (check_fleet(c) < 0)
		return -EINVAL;
	return check_http_listen(c);
}

/* A second document ("---") would be ignored silently: refuse it. */
static int check_single_document(struct ctx *c, yaml_parser_t *parser)
{
	yaml_document_t more;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(parser, &more))
		return -EINVAL;
	root = yaml_document_get_root_node(&more);
	if (root != NULL)
		rc = error_at(c, root, "only one YAML document is allowed");
	yaml_document_delete(&more);
	return rc;
}

static void yaml_error(struct ctx *c, const yaml_parser_t *parser)
{
	const char *problem = parser->problem ? parser->problem : "cannot read the YAML";

	if (parser->error == YAML_READER_ERROR) /* bad encoding: libyaml gives a byte offset only */
		error_line(c, 1, 1, "%s at byte %zu", problem, parser->problem_offset);
	else if (parser->context != NULL)
		error_line(c, (int)parser->problem_mark.line + 1, (int)parser->problem_mark.column + 1,
		           "%s %s started at line %lu", problem, parser->context,
		           (unsigned long)parser->context_mark.line + 1);
	else
		error_line(c, (int)parser->problem_mark.line + 1, (int)parser->problem_mark.column + 1, "%s", problem);
}

int config_load(const char *file, struct config **out, char *err, size_t errlen)
{
	struct ctx c = { .file = file, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(file, "rb");
	int rc = -EINVAL;

	err[0] = '\0';
	if (f == NULL)
		return err_set(err, errlen, -errno, "%s: error: cannot open: %s", file, strerror(errno));
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL || (c.cfg->path = strdup(file)) == NULL || !yaml_parser_initialize(&parser)) {
		fclose(f);
		config_free(c.cfg);
		return err_set(err, errlen, -ENOMEM, "%s: error: out of memory", file);
	}
	yaml_parser_set_input_file(&parser, f);
	if (yaml_parser_load(&parser, &doc)) {
		c.doc = &doc;
		rc = load_root(&c, yaml_document_get_root_node(&doc));
		yaml_document_delete(&doc);
		if (rc == 0 && check_single_document(&c, &parser) < 0)
			rc = -EINVAL;
	}
	if (parser.error != YAML_NO_ERROR)
		yaml_error(&c, &parser);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc < 0 || c.failed) {
		config_free(c.cfg);
		return -EINVAL;
	}
	*out = c.cfg;
	return 0;
}

static void free_answer(struct cfg_answer *a)
{
	free(a->cname);
	free(a->a);
	free(a->aaaa);
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->listen);
	free(cfg->user);
	free(cfg->rrl.exempt);
	free(cfg->state_dir);
	free(cfg->control_socket);
	free(cfg->http.bearer_token_file);
	free(cfg->http.basic_user);
	free(cfg->http.basic_password_file);
	free(cfg->http.hmac_secret_file);
	free(cfg->http.hmac_header);
	free(cfg->armed_label);
	free(cfg->armed_value);
	for (size_t i = 0; i < cfg->fleet.dnstap.n_listen; i++)
		free(cfg->fleet.dnstap.listen[i].path);
	free(cfg->fleet.dnstap.listen);
	for (size_t i = 0; i < cfg->n_zones; i++) {
		free(cfg->zones[i].name);
		free(cfg->zones[i].file);
	}
	free(cfg->zones);
	for (size_t i = 0; i < cfg->n_switches; i++) {
		free(cfg->switches[i].name);
		free_answer(&cfg->switches[i].cdn);
		free_answer(&cfg->switches[i].origin);
	}
	free(cfg->switches);
	if (cfg->fleet.keys != NULL)
		OPENSSL_cleanse(cfg->fleet.keys, cfg->fleet.n_keys * sizeof(*cfg->fleet.keys));
	free(cfg->fleet.keys);
	for (size_t i = 0; i < cfg->fleet.n_keys; i++)
		free(cfg->fleet.key_files[i]);
	free(cfg->fleet.key_files);
	for (size_t i = 0; i < cfg->fleet.n_secondaries; i++) {
		free(cfg->fleet.secondaries[i].name);
		free(cfg->fleet.secondaries[i].key);
		free(cfg->fleet.secondaries[i].source);
	}
	free(cfg->fleet.secondaries);
	free(cfg->fleet.allow);
	free(cfg->fleet.catalog);
	free(cfg);
}
