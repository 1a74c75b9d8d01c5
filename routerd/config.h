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

enum cfg_side { SIDE_CDN = 0, SIDE_ORIGIN = 1 };
enum cfg_all_down { ALL_DOWN_STAY = 0, ALL_DOWN_CDN, ALL_DOWN_ORIGIN };

struct cfg_switch_defaults {
	uint32_t ttl;           /* seconds; TTL of switched answers (30s) */
	uint32_t ttl_armed;     /* seconds; TTL while a warning names the switch (5s) */
	uint32_t failback_hold; /* seconds (5m) */
	uint32_t signal_ttl;    /* seconds a down-signal stays valid (1h) */
	enum cfg_all_down all_down;
};

struct cfg_switch {
	char *name; /* lower case, trailing dot */
	struct cfg_answer cdn, origin;
	uint32_t ttl, ttl_armed, failback_hold;
	enum cfg_all_down all_down;
	enum cfg_side initial; /* "initial: cdn|origin", default cdn */
	int line, col;
};

enum cfg_auth_kind { AUTH_NONE = 0, AUTH_BEARER, AUTH_BASIC, AUTH_HMAC };

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
};

struct cfg_brake {
	double max_share; /* share of all switches automation may flip per window (0.2) */
	uint32_t window;  /* seconds (10m) */
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

/* An address prefix (server.rrl.exempt). */
struct cfg_prefix {
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
	struct cfg_prefix *exempt;     /* never limited */
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

	struct cfg_http http;
	struct cfg_brake brake;
	struct cfg_tracking tracking;
	char *armed_label;    /* alert label that arms the low TTL ("severity") */
	char *armed_value;    /* its value ("warning") */

	struct cfg_zone *zones;
	size_t n_zones;

	struct cfg_switch_defaults defaults;
	struct cfg_switch *switches;
	size_t n_switches;
};

/*
 * Load and validate FILE. On success returns 0 and sets *out. On error
 * returns -1 and writes one "file:line:col: error: reason" line to err.
 */
int config_load(const char *file, struct config **out, char *err, size_t errlen);

/* Free a config from config_load(); NULL is fine. */
void config_free(struct config *cfg);

/* Parse "30", "30s", "5m", "2h", "1d" into seconds. Returns 0 or -1. */
int config_parse_duration(const char *text, uint32_t *seconds);

/* Parse "127.0.0.1:53" or "[::1]:53" into *addr. Returns 0 or -1. */
int config_parse_addr(const char *text, struct cfg_addr *addr);

#endif
