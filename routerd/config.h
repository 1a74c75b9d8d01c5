/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.h -- routerd.yaml, read with libyaml's document API into plain structs.
 *
 * The schema is a table (config.c); every error names file:line:col. The
 * result is immutable once loaded: a reload loads a new one and swaps.
 */
#ifndef ROUTERD_CONFIG_H
#define ROUTERD_CONFIG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/side.h"

/* One "host:port" or "[v6]:port" listen address. */
struct cfg_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* as written, for logs */
};

struct cfg_zone {
	char *name; /* presentation form, lower case, with trailing dot */
	char *file; /* relative: the working directory's if it exists there, else beside the config file */
	int line, col;
};

/* One side of a switch: a CNAME, or A and/or AAAA sets. */
struct cfg_answer {
	char *cname; /* lower case, trailing dot; NULL when addresses are used */
	struct in_addr *a;
	size_t n_a;
	struct in6_addr *aaaa;
	size_t n_aaaa;
	int line, col; /* of the side's mapping, for errors found later */
};

enum cfg_all_down {
	ALL_DOWN_STAY = 0,
	ALL_DOWN_CDN,
	ALL_DOWN_ORIGIN,
};

/*
 * What a switch takes from the config besides its answers. The state keeps
 * a copy in each switch (state.h: the state outlives a reload, the config
 * does not), the view compiles ttl and ttl_armed into the answers.
 *
 * Times inside routerd are int64_t milliseconds: the state, the policy and
 * the journal count in them (CLOCK_REALTIME, so they survive a restart),
 * finer than any setting here needs, and exact in a JSON number (a double)
 * for a million years where nanoseconds would not be. TTLs are not times
 * but DNS fields (RFC 2181 8): uint32_t seconds, as on the wire.
 */
struct cfg_switch_params {
	enum side home;              /* "initial": the side served when all is well (cdn) */
	enum cfg_all_down all_down;  /* (stay) */
	int64_t failback_hold;       /* ms (5m) */
	uint32_t ttl;                /* seconds; TTL of switched answers (30s) */
	uint32_t ttl_armed;          /* seconds; TTL while a warning names the switch (5s) */
};

struct cfg_switch_defaults {
	struct cfg_switch_params p; /* home unused: "initial" is per switch */
	int64_t signal_ttl;         /* ms a down-signal stays valid (1h) */
};

struct cfg_switch {
	char *name; /* lower case, trailing dot */
	struct cfg_answer cdn, origin;
	struct cfg_switch_params p;
	int line, col;
};

enum cfg_auth_kind {
	AUTH_NONE = 0,
	AUTH_BEARER,
	AUTH_BASIC,
	AUTH_HMAC,
};

struct cfg_http {
	int enabled; /* 0 when the section is absent */
	struct cfg_addr listen;
	enum cfg_auth_kind auth;
	char *bearer_token_file;
	char *basic_user, *basic_password_file;
	char *hmac_secret_file, *hmac_header; /* header default X-Routerd-Signature */
	uint32_t max_body;        /* bytes (1 MiB) */
	uint32_t max_header;      /* bytes (16 KiB) */
	uint32_t max_connections; /* (256) */
	uint32_t idle_timeout;    /* seconds (30s) */
	uint32_t request_timeout; /* seconds a request may take from its first byte to its last (10s) */
};

/* Bounds on the health signals held (a signal is one alert or probe id
 * naming one switch); the excess is refused and counted. */
struct cfg_signals {
	uint32_t max_per_switch; /* down-signals, and warnings, per switch (256) */
	uint32_t max_total;      /* down-signals and warnings over every switch (100000) */
};

struct cfg_brake {
	double max_share; /* share of all switches automation may flip per window (0.2) */
	int64_t window;   /* ms (10m) */
	uint32_t min_switches; /* flips always allowed below this count (2) */
};

/* The propagation tracker (track.h, prop.h). */
struct cfg_tracking {
	uint32_t enabled;     /* 1 (true): record queries for switched names */
	uint32_t max_entries; /* (switch, resolver) pairs held (100000) */
	uint32_t client_hold; /* seconds some clients (browsers) keep an answer past their resolver (60s) */
	double client_share;  /* the share of traffic from such clients (0.3) */
	uint32_t reports;     /* flip reports kept per switch (16) */
};

/* fleet.dnstap: where the secondaries' query logs come in (fleet/dnstap.h). */
struct cfg_dnstap_listen {
	char *path;           /* "unix:PATH": a Unix socket; NULL for TCP */
	struct cfg_addr addr; /* "HOST:PORT": TCP */
};
struct cfg_dnstap {
	struct cfg_dnstap_listen *listen;
	size_t n_listen;      /* 0: no collector */
};

struct cfg_prefix {
	struct sockaddr_storage ss; /* the network */
	unsigned bits;
	char text[64];
};

/* fleet: routerd as the hidden primary of NSD, Knot and BIND secondaries. */
struct cfg_secondary {
	char *name;
	struct cfg_addr address; /* where NOTIFY and SOA queries go */
	char *key;               /* TSIG key name (lower case, final dot) or NULL */
	struct cfg_prefix *source; /* where its transfers come from, when not ADDRESS's IP */
	int line, col;
};


struct tsig_key;

struct cfg_fleet {
	int enabled;                 /* 0 when the section is absent */
	struct tsig_key *keys;       /* secrets read from their files at load */
	size_t n_keys;
	char **key_files;            /* each key's secret_file, for `routerctl fleet config` */
	struct cfg_secondary *secondaries;
	size_t n_secondaries;
	struct cfg_prefix *allow;    /* transfer_allow */
	size_t n_allow;
	uint32_t require_key;        /* refuse transfers without a valid TSIG (true) */
	uint32_t ixfr_versions;      /* versions kept per zone (1000) */
	char *catalog;               /* RFC 9432 catalog zone name, or NULL */
	struct cfg_dnstap dnstap;    /* fleet.dnstap */
};

/* An address prefix as the RRL compares it (server.rrl.exempt). */
struct cfg_rrl_prefix {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order; bits past len are zero */
	uint8_t len;       /* prefix length in bits */
};

/* Response rate limiting (server.rrl; README "Response rate limiting"). */
struct cfg_rrl {
	uint32_t responses_per_second; /* per source prefix and response kind; 0: off (0) */
	uint32_t slip;                 /* every Nth limited response goes out truncated; 0: none (2) */
	uint32_t ipv4_prefix;          /* source prefix length for IPv4 (24) */
	uint32_t ipv6_prefix;          /* and IPv6 (56) */
	struct cfg_rrl_prefix *exempt;     /* never limited */
	size_t n_exempt;
};

struct config {
	char *path; /* as given on the command line */

	struct cfg_addr *listen;
	size_t n_listen;
	unsigned workers; /* default ("auto"): online CPUs, at most 256 */
	char *user;       /* optional */
	uint32_t udp_payload_max; /* EDNS payload we offer and honour (1232) */
	uint32_t tcp_idle_timeout; /* seconds (10s) */
	uint32_t tcp_max_clients;  /* per worker (1000) */
	struct cfg_rrl rrl;

	char *state_dir;      /* default /var/lib/routerd */
	char *control_socket; /* default /run/routerd/control.sock */
	unsigned control_mode; /* default 0660 */
	uint32_t control_max_clients;  /* admin connections at once (64) */
	uint32_t control_idle_timeout; /* seconds a request line, or reading a reply, may take (30s) */

	struct cfg_http http;
	struct cfg_brake brake;
	struct cfg_tracking tracking;
	struct cfg_signals signals;
	char *armed_label;    /* alert label that arms the low TTL ("severity") */
	char *armed_value;    /* its value ("warning") */

	struct cfg_zone *zones;
	size_t n_zones;

	struct cfg_switch_defaults defaults;
	struct cfg_switch *switches;
	size_t n_switches;

	struct cfg_fleet fleet;
};

/*
 * Load and validate FILE. On success returns 0 and sets *out. On error
 * returns -EINVAL (or the -errno of opening FILE, -ENOMEM) and writes one
 * "file:line:col: error: reason" line to err.
 */
int config_load(const char *file, struct config **out, char *err, size_t errlen);

/* "stay", "cdn" or "origin", as the config writes it. */
const char *config_all_down_name(enum cfg_all_down a);

/* Free a config from config_load(); NULL is fine. */
void config_free(struct config *cfg);

/* Parse "30", "30s", "5m", "2h", "1d" into seconds. Returns 0 or -EINVAL. */
int config_parse_duration(const char *text, uint32_t *seconds);

/* Parse "127.0.0.1:53" or "[::1]:53" into *addr. Returns 0 or -EINVAL. */
int config_parse_addr(const char *text, struct cfg_addr *addr);

#endif
