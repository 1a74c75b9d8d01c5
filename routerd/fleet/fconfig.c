/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fconfig.c -- `routerctl fleet config nsd|knot|bind`: the configuration
 * a secondary of each kind needs for this primary (zones, the primary's
 * address, the TSIG key), printed for the operator to install.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fleet/fleet.h"
#include "lib/tsig.h"

/* The primary's address and port (the first listen address) as "ip" and port. */
static void primary(const struct config *cfg, char *ip, size_t n, unsigned *port)
{
	const struct sockaddr_storage *ss = &cfg->listen[0].ss;
	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, (socklen_t)n);
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, (socklen_t)n);
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	}
}

static void b64(const struct tsig_key *k, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < k->secret_len; i += 3) {
		uint32_t v = (uint32_t)k->secret[i] << 16;
		if (i + 1 < k->secret_len)
			v |= (uint32_t)k->secret[i + 1] << 8;
		if (i + 2 < k->secret_len)
			v |= k->secret[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < k->secret_len ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < k->secret_len ? t[v & 63] : '=';
	}
	out[o] = 0;
}

char *fleet_config_text(const struct config *cfg, const char *kind, char *err, size_t errlen)
{
	const struct cfg_fleet *fl = &cfg->fleet;
	const struct tsig_key *k = fl->n_keys ? &fl->keys[0] : NULL;
	char ip[64], secret[4 * TSIG_SECRET_MAX / 3 + 8] = "";
	char *out = NULL;
	size_t len = 0;
	unsigned port;
	FILE *f;

	if (strcmp(kind, "nsd") != 0 && strcmp(kind, "knot") != 0 && strcmp(kind, "bind") != 0) {
		snprintf(err, errlen, "fleet config: want nsd, knot or bind, not \"%s\"", kind);
		return NULL;
	}
	f = open_memstream(&out, &len);
	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	primary(cfg, ip, sizeof(ip), &port);
	if (k != NULL)
		b64(k, secret);
	if (strcmp(kind, "nsd") == 0) {
		fprintf(f, "# nsd.conf: secondary of routerd (hidden primary %s port %u)\n", ip, port);
		if (k)
			fprintf(f, "key:\n\tname: \"%s\"\n\talgorithm: %s\n\tsecret: \"%s\"\n\n", k->text, tsig_alg_name(k->alg),
			        secret);
		fprintf(f, "pattern:\n\tname: \"routerd\"\n\tallow-notify: %s %s\n\trequest-xfr: %s@%u %s\n\n", ip,
		        k ? k->text : "NOKEY", ip, port, k ? k->text : "NOKEY");
		for (size_t i = 0; i < cfg->n_zones; i++)
			fprintf(f, "zone:\n\tname: \"%s\"\n\tinclude-pattern: \"routerd\"\n\n", cfg->zones[i].name);
	} else if (strcmp(kind, "knot") == 0) {
		fprintf(f, "# knot.conf: secondary of routerd (hidden primary %s port %u)\n", ip, port);
		if (k)
			fprintf(f, "key:\n  - id: %s\n    algorithm: %s\n    secret: %s\n\n", k->text, tsig_alg_name(k->alg),
			        secret);
		fprintf(f, "remote:\n  - id: routerd\n    address: %s@%u\n%s%s%s\n", ip, port, k ? "    key: " : "",
		        k ? k->text : "", k ? "\n" : "");
		fprintf(f, "acl:\n  - id: routerd_notify\n    address: %s\n%s%s%s    action: notify\n\n", ip,
		        k ? "    key: " : "", k ? k->text : "", k ? "\n" : "");
		fprintf(f, "template:\n  - id: routerd\n    master: routerd\n    acl: routerd_notify\n\n");
		if (fl->catalog) {
			fprintf(f, "zone:\n  - domain: %s\n    master: routerd\n    acl: routerd_notify\n"
			           "    catalog-role: interpret\n    catalog-template: routerd\n",
			        fl->catalog);
		} else {
			fprintf(f, "zone:\n");
			for (size_t i = 0; i < cfg->n_zones; i++)
				fprintf(f, "  - domain: %s\n    template: routerd\n", cfg->zones[i].name);
		}
	} else {
		fprintf(f, "// named.conf: secondary of routerd (hidden primary %s port %u)\n", ip, port);
		if (k)
			fprintf(f, "key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n\n", k->text, tsig_alg_name(k->alg),
			        secret);
		fprintf(f, "primaries routerd { %s port %u%s%s%s; };\n\n", ip, port, k ? " key \"" : "", k ? k->text : "",
		        k ? "\"" : "");
		if (fl->catalog) {
			fprintf(f, "options {\n\tcatalog-zones {\n\t\tzone \"%s\" default-primaries { %s port %u%s%s%s; };\n\t};\n};\n\n",
			        fl->catalog, ip, port, k ? " key \"" : "", k ? k->text : "", k ? "\"" : "");
			fprintf(f, "zone \"%s\" {\n\ttype secondary;\n\tfile \"%s.db\";\n\tprimaries { routerd; };\n"
			           "\tallow-notify { %s; };\n};\n",
			        fl->catalog, fl->catalog, ip);
		} else {
			for (size_t i = 0; i < cfg->n_zones; i++)
				fprintf(f, "zone \"%s\" {\n\ttype secondary;\n\tfile \"%s.db\";\n\tprimaries { routerd; };\n"
				           "\tallow-notify { %s; };\n};\n",
				        cfg->zones[i].name, cfg->zones[i].name, ip);
		}
	}
	fclose(f);
	return out;
}
