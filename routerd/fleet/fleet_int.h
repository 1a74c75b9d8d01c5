/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fleet_int.h -- the fleet's state, shared by fleet.c (versions, serials,
 * the thread), xfr.c (transfers out) and notify.c (NOTIFY, SOA queries).
 * Everything here belongs to the fleet thread; the control thread reads
 * the status under LOCK, which the fleet thread takes for every change.
 */
#ifndef ROUTERD_FLEET_INT_H
#define ROUTERD_FLEET_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "config.h"
#include "dns/answer.h"
#include "fleet/fleet.h"
#include "lib/tsig.h"
#include "zone/ximage.h"

/* One switch whose selector changed from one version to the next. */
struct fchange {
	uint32_t slot; /* in the zone's image */
	uint8_t from, to;
};

struct fversion {
	uint32_t serial;
	uint32_t n;          /* changes from the version before */
	struct fchange *ch;
	uint64_t time_ms;    /* when it was made (wall clock) */
};

struct fzone {
	char name[256];
	struct ximage *img;  /* referenced */
	uint8_t *sels;       /* per image slot: the latest version's selectors */
	uint32_t serial;     /* the latest version's */
	struct fversion *hist; /* ring of versions, oldest at head; the oldest is a base */
	size_t head, n, cap;
	size_t view_zi;      /* index in the published view */
	int live;            /* in the published view */
};

/* A secondary's view of one zone. */
struct fpz {
	uint32_t serial;     /* last known (IXFR request, SOA answer) */
	int known;
	uint64_t serial_ms;  /* when it was learned */
	uint32_t notify_serial; /* the version announced */
	uint16_t notify_id, soa_id;
	int notify_pending, soa_pending;
	unsigned notify_tries, soa_tries;
	uint64_t notify_due, soa_due; /* loop ms */
	struct tsig_ctx notify_tsig, soa_tsig;
	uint64_t last_xfr_ms;
	char last_xfr[32];
	char last_error[160];
};

struct fsec {
	char name[64];
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[64];
	struct sockaddr_storage src; /* where its transfers come from (the IP) */
	int key;             /* index in keys, or -1 */
	uint64_t notify_failures;
	struct fpz *z;       /* per fzone */
	size_t n_z;
};

enum xfr_type { XT_AXFR,
	        XT_IXFR,
	        XT__COUNT };
enum xfr_result { XR_OK,
	          XR_REFUSED,
	          XR_NOTAUTH,
	          XR_FORMERR,
	          XR_NOTFOUND,
	          XR__COUNT };

struct xhand; /* a connection handed over by a worker */
struct xconn;

struct fleet {
	uv_loop_t loop;
	uv_async_t wake;
	uv_timer_t batch, tick;
	uv_udp_t udp4, udp6;
	int udp4_ok, udp6_ok;
	pthread_t thread;
	int loop_ready, thread_started, rcu_slot;
	pthread_mutex_t lock;
	atomic_int changed, reloaded, stopping;
	int batch_armed;

	struct fzone *zones;
	size_t n_zones, cap_zones;
	struct fsec *secs;
	size_t n_secs;
	struct tsig_key *keys;
	size_t n_keys;
	struct cfg_prefix *allow;
	size_t n_allow;
	int require_key;
	uint32_t ixfr_versions;
	uint16_t udp_payload;  /* server.udp_payload_max, for OPT in refusals */
	char *state_dir;
	char *catalog;

	/* Persisted serials (fleet.c): zone name, serial, data and sides
	 * hashes, and the fsync'ed ceiling. */
	struct fpersist {
		char name[256];
		uint32_t serial, ceiling;
		uint64_t dhash, shash;
		int has_serial, has_ceiling, trusted;
	} *pers;
	size_t n_pers;

	pthread_mutex_t qlock;
	struct xhand *queue;
	struct xconn *conns;
	size_t n_conns;

	_Atomic uint64_t xfr_count[XT__COUNT][XR__COUNT];
	_Atomic uint64_t xfr_bytes;
	struct answer_ctx actx; /* other queries on a transfer connection */
	uint16_t next_id;
};

/* fleet.c */
uint64_t fleet_now_ms(void);
int fleet_commit(struct fleet *f); /* versions for pending changes; 1 if any */
struct fzone *fleet_zone_find(struct fleet *f, const uint8_t *lname, size_t len);
/* Versions of Z after SERIAL (0 when SERIAL is the latest, -1 if unknown). */
long fleet_behind(const struct fzone *z, uint32_t serial);
int fleet_serial_newer(uint32_t a, uint32_t b);

/* xfr.c */
void xfr_accept_queued(struct fleet *f);
void xfr_close_all(struct fleet *f);
int xfr_peer_allowed(const struct fleet *f, const struct sockaddr *peer);
void xfr_sweep(struct fleet *f);

/* notify.c */
int notify_open(struct fleet *f);
void notify_version(struct fleet *f, size_t zi);   /* a new version of zone ZI */
void notify_tick(struct fleet *f);                  /* retries, SOA polls */
void notify_transferred(struct fleet *f, const struct sockaddr *peer, size_t zi, uint32_t serial, const char *what);
void notify_peer_serial(struct fleet *f, const struct sockaddr *peer, size_t zi, uint32_t serial);
void notify_close(struct fleet *f);

#endif
