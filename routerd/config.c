/*
 * config.c -- see config.h.
 *
 * The schema is a set of tables, one per YAML mapping: key, handler, field
 * offset and range. A mapping is walked once; an unknown or repeated key is
 * an error at its own line and column. Checks that span keys (a side with
 * both a CNAME and addresses, a switch outside every zone) run after.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

struct ctx {
	const char *file;
	yaml_document_t *doc;
	struct config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

struct key;
typedef int (*handler_fn)(struct ctx *c, yaml_node_t *node, void *base, const struct key *k);

struct key {
	const char *name;
	handler_fn fn;
	size_t offset;
	long min, max;               /* integer and duration ranges */
	const struct key *sub;       /* nested mapping */
};

static int error_at(struct ctx *c, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int error_at(struct ctx *c, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return -1;
	c->failed = 1;
	n = snprintf(c->err, c->errlen, "%s:%lu:%lu: error: ", c->file, node ? (unsigned long)node->start_mark.line + 1 : 1ul,
	             node ? (unsigned long)node->start_mark.column + 1 : 1ul);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(struct ctx *c, yaml_node_t *node, const char *what)
{
	if (node->type != YAML_SCALAR_NODE) {
		error_at(c, node, "%s must be a %s", what, "scalar value");
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

/* ---- value parsers -------------------------------------------------------- */

int config_parse_duration(const char *text, uint32_t *seconds)
{
	char *end;
	unsigned long long v, mult = 1;

	if (text == NULL || !isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 's': mult = 1; end++; break;
	case 'm': mult = 60; end++; break;
	case 'h': mult = 3600; end++; break;
	case 'd': mult = 86400; end++; break;
	default: return -1;
	}
	if (*end != '\0' || v > UINT32_MAX / mult)
		return -1;
	*seconds = (uint32_t)(v * mult);
	return 0;
}

int config_parse_addr(const char *text, struct cfg_addr *addr)
{
	char host[64];
	const char *port_text;
	char *end;
	unsigned long port;
	size_t hlen;

	memset(addr, 0, sizeof(*addr));
	if (text == NULL || strlen(text) >= sizeof(addr->text))
		return -1;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		hlen = (size_t)(close - text - 1);
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, text + 1, hlen);
		port_text = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - text);
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, text, hlen);
		port_text = colon + 1;
	}
	host[hlen] = '\0';
	if (!isdigit((unsigned char)port_text[0]))
		return -1;
	errno = 0;
	port = strtoul(port_text, &end, 10);
	if (errno != 0 || *end != '\0' || port == 0 || port > 65535)
		return -1;
	if (text[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&addr->ss;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		addr->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&addr->ss;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		addr->len = sizeof(*s4);
	}
	snprintf(addr->text, sizeof(addr->text), "%s", text);
	return 0;
}

/* A domain name in presentation form -> lower case with the final dot. */
static char *normalize_name(const char *text)
{
	ldns_rdf *rdf = NULL;
	char *out;

	if (text[0] == '\0' || ldns_str2rdf_dname(&rdf, text) != LDNS_STATUS_OK)
		return NULL;
	ldns_dname2canonical(rdf);
	out = ldns_rdf2str(rdf);
	ldns_rdf_deep_free(rdf);
	return out;
}

/* ---- handlers --------------------------------------------------------------- */

#define FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))

static int h_string(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	char **dst = FIELD(base, k, char *);
	if (v == NULL)
		return -1;
	if (v[0] == '\0')
		return error_at(c, node, "%s must not be empty", k->name);
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : error_at(c, node, "out of memory");
}

static int parse_long(struct ctx *c, yaml_node_t *node, const struct key *k, long *out)
{
	const char *v = scalar(c, node, k->name);
	char *end;
	if (v == NULL)
		return -1;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0)
		return error_at(c, node, "%s must be an integer, not \"%s\"", k->name, v);
	if (*out < k->min || *out > k->max)
		return error_at(c, node, "%s must be from %ld to %ld", k->name, k->min, k->max);
	return 0;
}

static int h_uint(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	long v;
	if (parse_long(c, node, k, &v) < 0)
		return -1;
	*FIELD(base, k, uint32_t) = (uint32_t)v;
	return 0;
}

static int h_unsigned(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	long v;
	if (parse_long(c, node, k, &v) < 0)
		return -1;
	*FIELD(base, k, unsigned) = (unsigned)v;
	return 0;
}

static int h_duration(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	uint32_t s;
	if (v == NULL)
		return -1;
	if (config_parse_duration(v, &s) < 0)
		return error_at(c, node, "%s: bad duration \"%s\" (use a number with s, m, h or d)", k->name, v);
	if ((long)s < k->min || (long)s > k->max)
		return error_at(c, node, "%s must be from %lds to %lds", k->name, k->min, k->max);
	*FIELD(base, k, uint32_t) = s;
	return 0;
}

static int h_octal(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	char *end;
	unsigned long m;
	if (v == NULL)
		return -1;
	m = strtoul(v, &end, 8);
	if (v[0] == '\0' || *end != '\0' || m > 0777)
		return error_at(c, node, "%s must be an octal mode like \"0660\"", k->name);
	*FIELD(base, k, unsigned) = (unsigned)m;
	return 0;
}

static int h_share(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	char *end;
	double d;
	if (v == NULL)
		return -1;
	d = strtod(v, &end);
	if (v[0] == '\0' || *end != '\0' || !(d > 0.0 && d <= 1.0))
		return error_at(c, node, "%s must be a number above 0 and at most 1", k->name);
	*FIELD(base, k, double) = d;
	return 0;
}

static int h_addr(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	if (v == NULL)
		return -1;
	if (config_parse_addr(v, FIELD(base, k, struct cfg_addr)) < 0)
		return error_at(c, node, "%s: bad address \"%s\" (want 127.0.0.1:53 or [::1]:53)", k->name, v);
	return 0;
}

static int h_all_down(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	enum cfg_all_down *dst = FIELD(base, k, enum cfg_all_down);
	if (v == NULL)
		return -1;
	if (strcmp(v, "stay") == 0)
		*dst = ALL_DOWN_STAY;
	else if (strcmp(v, "cdn") == 0)
		*dst = ALL_DOWN_CDN;
	else if (strcmp(v, "origin") == 0)
		*dst = ALL_DOWN_ORIGIN;
	else
		return error_at(c, node, "%s must be stay, cdn or origin, not \"%s\"", k->name, v);
	return 0;
}

static int h_side(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	if (v == NULL)
		return -1;
	if (strcmp(v, "cdn") != 0 && strcmp(v, "origin") != 0)
		return error_at(c, node, "%s must be cdn or origin, not \"%s\"", k->name, v);
	*FIELD(base, k, enum cfg_side) = strcmp(v, "cdn") == 0 ? SIDE_CDN : SIDE_ORIGIN;
	return 0;
}

static int walk_map(struct ctx *c, yaml_node_t *node, void *base, const struct key *table, const char *what);

static int h_map(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	return walk_map(c, node, (char *)base + k->offset, k->sub, k->name);
}

static yaml_node_t *item(struct ctx *c, yaml_node_item_t *it)
{
	return yaml_document_get_node(c->doc, *it);
}

static int h_listen(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	struct config *cfg = base;
	size_t n;
	if (node->type != YAML_SEQUENCE_NODE)
		return error_at(c, node, "%s must be a list of addresses", k->name);
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n == 0)
		return error_at(c, node, "%s must name at least one address", k->name);
	cfg->listen = calloc(n, sizeof(*cfg->listen));
	if (cfg->listen == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = item(c, it);
		const char *text = scalar(c, v, "listen address");
		if (text == NULL)
			return -1;
		if (config_parse_addr(text, &cfg->listen[cfg->n_listen]) < 0)
			return error_at(c, v, "bad listen address \"%s\" (want 127.0.0.1:53 or [::1]:53)", text);
		for (size_t i = 0; i < cfg->n_listen; i++)
			if (strcmp(cfg->listen[i].text, text) == 0)
				return error_at(c, v, "listen address %s given twice", text);
		cfg->n_listen++;
	}
	return 0;
}

static int h_addr_list(struct ctx *c, yaml_node_t *node, struct cfg_answer *a, int family)
{
	size_t n;
	if (node->type != YAML_SEQUENCE_NODE)
		return error_at(c, node, "%s must be a list of addresses", family == AF_INET ? "a" : "aaaa");
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n == 0)
		return error_at(c, node, "%s must name at least one address", family == AF_INET ? "a" : "aaaa");
	if (family == AF_INET)
		a->a = calloc(n, sizeof(*a->a));
	else
		a->aaaa = calloc(n, sizeof(*a->aaaa));
	if ((family == AF_INET && a->a == NULL) || (family == AF_INET6 && a->aaaa == NULL))
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = item(c, it);
		const char *text = scalar(c, v, "address");
		void *dst = family == AF_INET ? (void *)&a->a[a->n_a] : (void *)&a->aaaa[a->n_aaaa];
		if (text == NULL)
			return -1;
		if (inet_pton(family, text, dst) != 1)
			return error_at(c, v, "bad %s address \"%s\"", family == AF_INET ? "IPv4" : "IPv6", text);
		if (family == AF_INET)
			a->n_a++;
		else
			a->n_aaaa++;
	}
	return 0;
}

static int h_a(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	(void)k;
	return h_addr_list(c, node, base, AF_INET);
}

static int h_aaaa(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	(void)k;
	return h_addr_list(c, node, base, AF_INET6);
}

static int h_name(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	const char *v = scalar(c, node, k->name);
	char **dst = FIELD(base, k, char *);
	if (v == NULL)
		return -1;
	*dst = normalize_name(v);
	if (*dst == NULL)
		return error_at(c, node, "%s: bad domain name \"%s\"", k->name, v);
	return 0;
}

/* ---- tables ------------------------------------------------------------------ */

#define INT_MAXL 2147483647L

static const struct key server_keys[] = {
	{ "listen", h_listen, 0, 0, 0, NULL },
	{ "workers", h_unsigned, offsetof(struct config, workers), 1, 256, NULL },
	{ "user", h_string, offsetof(struct config, user), 0, 0, NULL },
	{ "udp_payload_max", h_uint, offsetof(struct config, udp_payload_max), 512, 4096, NULL },
	{ "tcp_idle_timeout", h_duration, offsetof(struct config, tcp_idle_timeout), 1, 3600, NULL },
	{ "tcp_max_clients", h_uint, offsetof(struct config, tcp_max_clients), 1, 1000000, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key control_keys[] = {
	{ "socket", h_string, offsetof(struct config, control_socket), 0, 0, NULL },
	{ "mode", h_octal, offsetof(struct config, control_mode), 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key basic_keys[] = {
	{ "user", h_string, offsetof(struct cfg_http, basic_user), 0, 0, NULL },
	{ "password_file", h_string, offsetof(struct cfg_http, basic_password_file), 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key hmac_keys[] = {
	{ "secret_file", h_string, offsetof(struct cfg_http, hmac_secret_file), 0, 0, NULL },
	{ "header", h_string, offsetof(struct cfg_http, hmac_header), 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key auth_keys[] = {
	{ "bearer_token_file", h_string, offsetof(struct cfg_http, bearer_token_file), 0, 0, NULL },
	{ "basic", h_map, 0, 0, 0, basic_keys },
	{ "hmac", h_map, 0, 0, 0, hmac_keys },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key http_keys[] = {
	{ "listen", h_addr, offsetof(struct cfg_http, listen), 0, 0, NULL },
	{ "auth", h_map, 0, 0, 0, auth_keys },
	{ "max_body", h_uint, offsetof(struct cfg_http, max_body), 1024, 64L << 20, NULL },
	{ "max_header", h_uint, offsetof(struct cfg_http, max_header), 1024, 1L << 20, NULL },
	{ "max_connections", h_uint, offsetof(struct cfg_http, max_connections), 1, 100000, NULL },
	{ "idle_timeout", h_duration, offsetof(struct cfg_http, idle_timeout), 1, 3600, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key brake_keys[] = {
	{ "max_share", h_share, offsetof(struct cfg_brake, max_share), 0, 0, NULL },
	{ "window", h_duration, offsetof(struct cfg_brake, window), 1, 86400 * 7, NULL },
	{ "min_switches", h_uint, offsetof(struct cfg_brake, min_switches), 0, 1000000, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key armed_keys[] = {
	{ "label", h_string, offsetof(struct config, armed_label), 0, 0, NULL },
	{ "value", h_string, offsetof(struct config, armed_value), 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

#define TTL_KEYS(type)                                                                   \
	{ "ttl", h_duration, offsetof(type, ttl), 1, INT_MAXL, NULL },                   \
	{ "ttl_armed", h_duration, offsetof(type, ttl_armed), 1, INT_MAXL, NULL },       \
	{ "failback_hold", h_duration, offsetof(type, failback_hold), 0, INT_MAXL, NULL }, \
	{ "all_down", h_all_down, offsetof(type, all_down), 0, 0, NULL }

static const struct key defaults_keys[] = {
	TTL_KEYS(struct cfg_switch_defaults),
	{ "signal_ttl", h_duration, offsetof(struct cfg_switch_defaults, signal_ttl), 1, INT_MAXL, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key answer_keys[] = {
	{ "cname", h_name, offsetof(struct cfg_answer, cname), 0, 0, NULL },
	{ "a", h_a, 0, 0, 0, NULL },
	{ "aaaa", h_aaaa, 0, 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key switch_keys[] = {
	{ "name", h_name, offsetof(struct cfg_switch, name), 0, 0, NULL },
	{ "cdn", h_map, offsetof(struct cfg_switch, cdn), 0, 0, answer_keys },
	{ "origin", h_map, offsetof(struct cfg_switch, origin), 0, 0, answer_keys },
	{ "initial", h_side, offsetof(struct cfg_switch, initial), 0, 0, NULL },
	TTL_KEYS(struct cfg_switch),
	{ NULL, NULL, 0, 0, 0, NULL },
};

static const struct key zone_keys[] = {
	{ "name", h_name, offsetof(struct cfg_zone, name), 0, 0, NULL },
	{ "file", h_string, offsetof(struct cfg_zone, file), 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

static int h_zones(struct ctx *c, yaml_node_t *node, void *base, const struct key *k);
static int h_switches(struct ctx *c, yaml_node_t *node, void *base, const struct key *k);

static const struct key top_keys[] = {
	{ "server", h_map, 0, 0, 0, server_keys },
	{ "state_dir", h_string, offsetof(struct config, state_dir), 0, 0, NULL },
	{ "control", h_map, 0, 0, 0, control_keys },
	{ "http", h_map, offsetof(struct config, http), 0, 0, http_keys },
	{ "brake", h_map, offsetof(struct config, brake), 0, 0, brake_keys },
	{ "armed", h_map, 0, 0, 0, armed_keys },
	{ "zones", h_zones, 0, 0, 0, NULL },
	{ "switch_defaults", h_map, offsetof(struct config, defaults), 0, 0, defaults_keys },
	{ "switches", h_switches, 0, 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, NULL },
};

/* ---- walking ------------------------------------------------------------------- */

static int walk_map(struct ctx *c, yaml_node_t *node, void *base, const struct key *table, const char *what)
{
	unsigned char seen[32] = { 0 };

	if (node->type != YAML_MAPPING_NODE)
		return error_at(c, node, "%s must be a mapping of keys to values", what);
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(c, kn, "a key");
		size_t i;
		if (key == NULL)
			return -1;
		for (i = 0; table[i].name != NULL && strcmp(table[i].name, key) != 0; i++)
			;
		if (table[i].name == NULL)
			return error_at(c, kn, "unknown key \"%s\" in %s", key, what);
		if (seen[i]++)
			return error_at(c, kn, "duplicate key \"%s\" in %s", key, what);
		if (table[i].fn(c, vn, base, &table[i]) < 0)
			return -1;
	}
	return 0;
}

static size_t seq_len(yaml_node_t *node)
{
	return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

static int h_zones(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	struct config *cfg = base;
	if (node->type != YAML_SEQUENCE_NODE || seq_len(node) == 0)
		return error_at(c, node, "%s must be a non-empty list of {name, file}", k->name);
	cfg->zones = calloc(seq_len(node), sizeof(*cfg->zones));
	if (cfg->zones == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = item(c, it);
		struct cfg_zone *z = &cfg->zones[cfg->n_zones++];
		z->line = (int)v->start_mark.line + 1;
		z->col = (int)v->start_mark.column + 1;
		if (walk_map(c, v, z, zone_keys, "a zone") < 0)
			return -1;
		if (z->name == NULL || z->file == NULL)
			return error_at(c, v, "a zone needs both name and file");
		for (size_t i = 0; i + 1 < cfg->n_zones; i++)
			if (strcmp(cfg->zones[i].name, z->name) == 0)
				return error_at(c, v, "zone %s listed twice", z->name);
	}
	return 0;
}

static int h_switches(struct ctx *c, yaml_node_t *node, void *base, const struct key *k)
{
	struct config *cfg = base;
	if (node->type != YAML_SEQUENCE_NODE)
		return error_at(c, node, "%s must be a list", k->name);
	cfg->switches = calloc(seq_len(node) ? seq_len(node) : 1, sizeof(*cfg->switches));
	if (cfg->switches == NULL)
		return error_at(c, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *v = item(c, it);
		struct cfg_switch *s = &cfg->switches[cfg->n_switches++];
		s->line = (int)v->start_mark.line + 1;
		s->col = (int)v->start_mark.column + 1;
		/* Unset TTL fields take switch_defaults after the whole file is read. */
		s->ttl = s->ttl_armed = s->failback_hold = UINT32_MAX;
		s->all_down = (enum cfg_all_down)-1;
		if (walk_map(c, v, s, switch_keys, "a switch") < 0)
			return -1;
	}
	return 0;
}

/* ---- checks across keys ----------------------------------------------------------- */

static int name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	if (strcmp(zone, ".") == 0)
		return 1;
	return n == z ? strcmp(name, zone) == 0 : n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

static int switch_error(struct ctx *c, const struct cfg_switch *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Errors found after parsing point at the switch's list item. */
static int switch_error(struct ctx *c, const struct cfg_switch *s, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s:%d:%d: error: switch %s: ", c->file, s->line, s->col,
	                 s->name ? s->name : "?");
	c->failed = 1;
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_side(struct ctx *c, struct cfg_switch *s, struct cfg_answer *a, const char *side, int apex)
{
	int addrs = a->n_a || a->n_aaaa;
	if (a->cname == NULL && !addrs)
		return switch_error(c, s, "%s needs a cname or a/aaaa addresses", side);
	if (a->cname != NULL && addrs)
		return switch_error(c, s, "%s has both a cname and addresses", side);
	if (a->cname != NULL && apex)
		return switch_error(c, s, "a zone apex takes addresses only: %s cannot be a cname", side);
	return 0;
}

static int check_switches(struct ctx *c)
{
	struct config *cfg = c->cfg;
	for (size_t i = 0; i < cfg->n_switches; i++) {
		struct cfg_switch *s = &cfg->switches[i];
		int inside = 0, apex = 0;
		if (s->name == NULL)
			return switch_error(c, s, "a switch needs a name");
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->switches[j].name, s->name) == 0)
				return switch_error(c, s, "listed twice");
		for (size_t z = 0; z < cfg->n_zones; z++) {
			inside |= name_in_zone(s->name, cfg->zones[z].name);
			apex |= strcmp(s->name, cfg->zones[z].name) == 0;
		}
		if (!inside)
			return switch_error(c, s, "not inside any served zone");
		if (check_side(c, s, &s->cdn, "cdn", apex) < 0 || check_side(c, s, &s->origin, "origin", apex) < 0)
			return -1;
		if (s->ttl == UINT32_MAX)
			s->ttl = cfg->defaults.ttl;
		if (s->ttl_armed == UINT32_MAX)
			s->ttl_armed = cfg->defaults.ttl_armed;
		if (s->failback_hold == UINT32_MAX)
			s->failback_hold = cfg->defaults.failback_hold;
		if ((int)s->all_down == -1)
			s->all_down = cfg->defaults.all_down;
	}
	return 0;
}

static int check_http(struct ctx *c)
{
	struct cfg_http *h = &c->cfg->http;
	int kinds = (h->bearer_token_file != NULL) + (h->basic_user || h->basic_password_file) +
	            (h->hmac_secret_file || h->hmac_header);
	if (!h->enabled)
		return 0;
	if (h->listen.len == 0)
		return snprintf(c->err, c->errlen, "%s: error: http needs listen", c->file), -1;
	if (kinds > 1)
		return snprintf(c->err, c->errlen, "%s: error: http.auth takes one of bearer_token_file, basic, hmac",
		                c->file), -1;
	if (h->bearer_token_file)
		h->auth = AUTH_BEARER;
	if (h->basic_user || h->basic_password_file) {
		if (!h->basic_user || !h->basic_password_file)
			return snprintf(c->err, c->errlen, "%s: error: http.auth.basic needs user and password_file",
			                c->file), -1;
		h->auth = AUTH_BASIC;
	}
	if (h->hmac_secret_file || h->hmac_header) {
		if (!h->hmac_secret_file)
			return snprintf(c->err, c->errlen, "%s: error: http.auth.hmac needs secret_file", c->file), -1;
		h->auth = AUTH_HMAC;
	}
	return 0;
}

/* Relative zone files: from the working directory when the file is there
 * (make run from the checkout), else beside the config file. */
static int resolve_paths(struct ctx *c)
{
	const char *slash = strrchr(c->file, '/');
	for (size_t i = 0; i < c->cfg->n_zones; i++) {
		struct cfg_zone *z = &c->cfg->zones[i];
		char *joined;
		if (z->file[0] == '/' || access(z->file, F_OK) == 0 || slash == NULL)
			continue;
		if (asprintf(&joined, "%.*s/%s", (int)(slash - c->file), c->file, z->file) < 0)
			return -1;
		if (access(joined, F_OK) == 0) {
			free(z->file);
			z->file = joined;
		} else {
			free(joined);
		}
	}
	return 0;
}

static void set_defaults(struct config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->workers = cpus > 0 ? (unsigned)(cpus > 256 ? 256 : cpus) : 1;
	cfg->udp_payload_max = 1232;
	cfg->tcp_idle_timeout = 10;
	cfg->tcp_max_clients = 1000;
	cfg->control_mode = 0660;
	cfg->http.max_body = 1u << 20;
	cfg->http.max_header = 16u << 10;
	cfg->http.max_connections = 256;
	cfg->http.idle_timeout = 30;
	cfg->brake.max_share = 0.2;
	cfg->brake.window = 600;
	cfg->brake.min_switches = 2;
	cfg->defaults.ttl = 30;
	cfg->defaults.ttl_armed = 5;
	cfg->defaults.failback_hold = 300;
	cfg->defaults.signal_ttl = 3600;
	cfg->defaults.all_down = ALL_DOWN_STAY;
}

static int fill_string_defaults(struct config *cfg)
{
	if (!cfg->state_dir)
		cfg->state_dir = strdup("/var/lib/routerd");
	if (!cfg->control_socket)
		cfg->control_socket = strdup("/run/routerd/control.sock");
	if (!cfg->armed_label)
		cfg->armed_label = strdup("severity");
	if (!cfg->armed_value)
		cfg->armed_value = strdup("warning");
	return cfg->state_dir && cfg->control_socket && cfg->armed_label && cfg->armed_value ? 0 : -1;
}

static int load_doc(struct ctx *c, yaml_node_t *root)
{
	struct config *cfg = c->cfg;
	int has_server = 0, has_zones = 0;

	if (root == NULL)
		return snprintf(c->err, c->errlen, "%s:1:1: error: the file is empty", c->file), -1;
	if (root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
			if (kn->type != YAML_SCALAR_NODE)
				continue;
			has_server |= strcmp((char *)kn->data.scalar.value, "server") == 0;
			has_zones |= strcmp((char *)kn->data.scalar.value, "zones") == 0;
			cfg->http.enabled |= strcmp((char *)kn->data.scalar.value, "http") == 0;
		}
	}
	if (walk_map(c, root, cfg, top_keys, "the configuration") < 0)
		return -1;
	if (!has_server || cfg->n_listen == 0)
		return error_at(c, root, "server.listen is required");
	if (!has_zones)
		return error_at(c, root, "zones is required");
	if (check_http(c) < 0 || check_switches(c) < 0 || resolve_paths(c) < 0 || fill_string_defaults(cfg) < 0)
		return -1;
	return 0;
}

int config_load(const char *file, struct config **out, char *err, size_t errlen)
{
	struct ctx c = { .file = file, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(file, "rb");
	int rc = -1;

	err[0] = '\0';
	if (f == NULL) {
		snprintf(err, errlen, "%s: error: cannot open: %s", file, strerror(errno));
		return -1;
	}
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL || !yaml_parser_initialize(&parser)) {
		fclose(f);
		free(c.cfg);
		snprintf(err, errlen, "%s: error: out of memory", file);
		return -1;
	}
	set_defaults(c.cfg);
	c.cfg->path = strdup(file);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu:%lu: error: %s%s%s", file, (unsigned long)parser.problem_mark.line + 1,
		         (unsigned long)parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML",
		         parser.context ? " " : "", parser.context ? parser.context : "");
	} else {
		c.doc = &doc;
		rc = load_doc(&c, yaml_document_get_root_node(&doc));
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: error: out of memory", file);
		config_free(c.cfg);
		return -1;
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
	free(cfg->state_dir);
	free(cfg->control_socket);
	free(cfg->http.bearer_token_file);
	free(cfg->http.basic_user);
	free(cfg->http.basic_password_file);
	free(cfg->http.hmac_secret_file);
	free(cfg->http.hmac_header);
	free(cfg->armed_label);
	free(cfg->armed_value);
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
	free(cfg);
}
