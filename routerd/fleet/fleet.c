/* SPDX-License-Identifier: BSD-3-Clause */
/* fleet.c -- zone versions, serials that never go backwards, the fleet
 * thread (see fleet.h). */
#include "fleet/fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fleet/fleet_int.h"
#include "lib/log.h"
#include "lib/rcu.h"
#include "zone/view.h"

/* How often the NOTIFY and SOA retries are looked at. */
#define TICK_MS 20

uint64_t fleet_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* RFC 1982: A is newer than B. */
int fleet_serial_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* ---- persisted serials ---------------------------------------------------- */

static void pers_load(struct fleet *f)
{
	char path[4096], name[256];
	FILE *in;
	unsigned long s;
	unsigned long long dh, sh;

	snprintf(path, sizeof(path), "%s/fleet-serials", f->state_dir);
	in = fopen(path, "r");
	if (in == NULL)
		return;
	while (fscanf(in, "%255s %lu %llx %llx", name, &s, &dh, &sh) == 4) {
		struct fpersist *p = realloc(f->pers, (f->n_pers + 1) * sizeof(*p));
		if (p == NULL)
			break;
		f->pers = p;
		p = &f->pers[f->n_pers++];
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->serial = (uint32_t)s;
		p->dhash = dh;
		p->shash = sh;
	}
	fclose(in);
}

static struct fpersist *pers_find(struct fleet *f, const char *name)
{
	for (size_t i = 0; i < f->n_pers; i++)
		if (strcmp(f->pers[i].name, name) == 0)
			return &f->pers[i];
	return NULL;
}

static uint64_t sides_hash(const struct fzone *z)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < z->img->n_sw; i++)
		h = (h ^ z->sels[i]) * 0x100000001b3ull;
	return h;
}

/* Write every zone's latest serial (and the zones no longer served, so a
 * zone added back continues), to a temporary file, fsync, rename. */
static int pers_save(struct fleet *f)
{
	char path[4096], tmp[4200];
	FILE *out;
	int fd, rc = 0;

	for (size_t i = 0; i < f->n_zones; i++) {
		struct fzone *z = &f->zones[i];
		struct fpersist *p = pers_find(f, z->name);
		if (p == NULL) {
			p = realloc(f->pers, (f->n_pers + 1) * sizeof(*p));
			if (p == NULL)
				return -ENOMEM;
			f->pers = p;
			p = &f->pers[f->n_pers++];
			snprintf(p->name, sizeof(p->name), "%s", z->name);
		}
		p->serial = z->serial;
		p->dhash = z->img->hash;
		p->shash = sides_hash(z);
	}
	mkdir(f->state_dir, 0750);
	snprintf(path, sizeof(path), "%s/fleet-serials", f->state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = fopen(tmp, "w");
	if (out == NULL)
		return -errno;
	for (size_t i = 0; i < f->n_pers; i++)
		fprintf(out, "%s %" PRIu32 " %016" PRIx64 " %016" PRIx64 "\n", f->pers[i].name, f->pers[i].serial,
		        f->pers[i].dhash, f->pers[i].shash);
	fflush(out);
	fd = fileno(out);
	if (ferror(out) || fsync(fd) < 0)
		rc = -errno;
	if (fclose(out) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		log_error("fleet: cannot save %s: %s", path, strerror(-rc));
	return rc;
}

/* ---- versions ------------------------------------------------------------- */

static void hist_clear(struct fzone *z)
{
	for (size_t i = 0; i < z->n; i++)
		free(z->hist[(z->head + i) % z->cap].ch);
	z->n = 0;
	z->head = 0;
}

static struct fversion *hist_at(const struct fzone *z, size_t i)
{
	return &z->hist[(z->head + i) % z->cap];
}

static void hist_push(struct fzone *z, uint32_t serial, struct fchange *ch, uint32_t n)
{
	struct fversion *v;
	if (z->n == z->cap) { /* drop the oldest: its successor becomes the base */
		free(z->hist[z->head].ch);
		z->head = (z->head + 1) % z->cap;
		z->n--;
	}
	v = &z->hist[(z->head + z->n) % z->cap];
	v->serial = serial;
	v->ch = ch;
	v->n = n;
	v->time_ms = fleet_now_ms();
	z->n++;
}

long fleet_behind(const struct fzone *z, uint32_t serial)
{
	for (size_t i = z->n; i-- > 0;)
		if (hist_at(z, i)->serial == serial)
			return (long)(z->n - 1 - i);
	return -1;
}

struct fzone *fleet_zone_find(struct fleet *f, const uint8_t *lname, size_t len)
{
	for (size_t i = 0; i < f->n_zones; i++) {
		struct fzone *z = &f->zones[i];
		if (z->live && z->img->apex_len == len && memcmp(z->img->apex, lname, len) == 0)
			return z;
	}
	return NULL;
}

/* Read the selectors of Z's switches from view V. */
static void read_sels(const struct view *v, const struct fzone *z, uint8_t *out)
{
	for (size_t i = 0; i < z->img->n_sw; i++)
		out[i] = (uint8_t)view_switch_get(v, z->img->sw[i].view_idx);
}

/* A zone starts (or restarts after a data change) with one base version. */
static int zone_reset(struct fzone *z, struct ximage *img, uint32_t serial, const uint8_t *sels, uint32_t cap)
{
	uint8_t *s = malloc(img->n_sw ? img->n_sw : 1);
	if (s == NULL)
		return -1;
	if (z->hist == NULL) {
		z->hist = calloc(cap + 1, sizeof(*z->hist));
		if (z->hist == NULL) {
			free(s);
			return -1;
		}
		z->cap = cap + 1; /* the base plus CAP versions after it */
	}
	hist_clear(z);
	memcpy(s, sels, img->n_sw);
	free(z->sels);
	z->sels = s;
	if (z->img != img) {
		ximage_unref(z->img);
		z->img = ximage_ref(img);
	}
	snprintf(z->name, sizeof(z->name), "%s", img->name);
	z->serial = serial;
	hist_push(z, serial, NULL, 0);
	return 0;
}

/* A new version of Z at SERIAL with selectors NOW. */
static int zone_version(struct fzone *z, uint32_t serial, const uint8_t *now)
{
	uint32_t n = 0;
	struct fchange *ch = NULL;

	for (size_t i = 0; i < z->img->n_sw; i++)
		n += now[i] != z->sels[i];
	if (n > 0 && (ch = malloc(n * sizeof(*ch))) == NULL)
		return -1;
	n = 0;
	for (size_t i = 0; i < z->img->n_sw; i++)
		if (now[i] != z->sels[i]) {
			ch[n].slot = (uint32_t)i;
			ch[n].from = z->sels[i];
			ch[n].to = now[i];
			n++;
			z->sels[i] = now[i];
		}
	hist_push(z, serial, ch, n);
	z->serial = serial;
	return 0;
}

static struct fzone *zone_add(struct fleet *f)
{
	if (f->n_zones == f->cap_zones) {
		size_t cap = f->cap_zones ? f->cap_zones * 2 : 8;
		struct fzone *z = realloc(f->zones, cap * sizeof(*z));
		if (z == NULL)
			return NULL;
		f->zones = z;
		f->cap_zones = cap;
		for (size_t i = 0; i < f->n_secs; i++) {
			struct fpz *p = realloc(f->secs[i].z, cap * sizeof(*p));
			if (p == NULL)
				return NULL;
			f->secs[i].z = p;
		}
	}
	for (size_t i = 0; i < f->n_secs; i++) {
		memset(&f->secs[i].z[f->n_zones], 0, sizeof(struct fpz));
		f->secs[i].n_z = f->n_zones + 1;
	}
	memset(&f->zones[f->n_zones], 0, sizeof(f->zones[0]));
	return &f->zones[f->n_zones++];
}

/*
 * Take a newly published view's zones. Same data (the image's hash): the
 * history goes on. Changed data: a new base version whose serial is newer
 * than everything served before (IXFR from older serials gets AXFR).
 */
static int take_view(struct fleet *f, int starting)
{
	struct view *v = (struct view *)view_current();
	uint8_t *sels = NULL;
	int saved = 0;

	for (size_t i = 0; i < f->n_zones; i++)
		f->zones[i].live = 0;
	for (size_t zi = 0; v != NULL && zi < view_zone_count(v); zi++) {
		struct ximage *img = view_zone_image(v, zi);
		struct fzone *z = NULL;
		uint32_t live = view_zone_serial(v, zi);

		for (size_t i = 0; i < f->n_zones && z == NULL; i++)
			if (strcmp(f->zones[i].name, img->name) == 0)
				z = &f->zones[i];
		free(sels);
		sels = malloc(img->n_sw ? img->n_sw : 1);
		if (sels == NULL)
			return -1;
		read_sels(v, &(struct fzone){ .img = img }, sels);
		if (z == NULL) {
			struct fpersist *p = pers_find(f, img->name);
			uint32_t serial = live;
			struct fzone probe = { .img = img, .sels = sels };
			if (p != NULL && p->dhash == img->hash && p->shash == sides_hash(&probe)) {
				serial = p->serial; /* the same data as the serial last served */
				view_zone_set_serial(v, zi, serial);
			} else if (p != NULL) {
				serial = view_zone_raise_serial(v, zi, p->serial + 1);
			}
			if ((z = zone_add(f)) == NULL || zone_reset(z, img, serial, sels, f->ixfr_versions) < 0)
				return -1;
			saved = 1;
		} else if (z->img->hash != img->hash) {
			uint32_t serial = view_zone_raise_serial(v, zi, z->serial + 1);
			log_info("fleet: zone %s: data changed by the reload: serial %u, transfers restart with AXFR",
			         z->name, serial);
			if (zone_reset(z, img, serial, sels, f->ixfr_versions) < 0)
				return -1;
			saved = 1;
		} else if (z->img != img) {
			ximage_unref(z->img);
			z->img = ximage_ref(img); /* same data, same slots */
		}
		z->live = 1;
		z->view_zi = zi;
	}
	free(sels);
	if (saved && pers_save(f) < 0 && starting)
		return -1;
	if (!starting)
		for (size_t i = 0; i < f->n_zones; i++)
			if (f->zones[i].live)
				notify_version(f, i);
	return 0;
}

int fleet_commit(struct fleet *f)
{
	const struct view *v;
	int made = 0;
	size_t changed[64], n_changed = 0;
	int overflow = 0;

	rcu_read_lock(f->rcu_slot);
	v = view_current();
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; v != NULL && i < f->n_zones; i++) {
		struct fzone *z = &f->zones[i];
		uint8_t stack[256], *now;
		uint32_t live;
		if (!z->live || z->view_zi >= view_zone_count(v) || view_zone_image(v, z->view_zi) != z->img)
			continue;
		/* The serial first, then the sides: a flip stores its side before
		 * it raises the serial, so every flip counted is in the sides. */
		live = view_zone_serial(v, z->view_zi);
		if (live == z->serial)
			continue;
		now = z->img->n_sw <= sizeof(stack) ? stack : malloc(z->img->n_sw);
		if (now == NULL)
			continue;
		read_sels(v, z, now);
		if (zone_version(z, live, now) == 0) {
			made = 1;
			if (n_changed < 64)
				changed[n_changed++] = i;
			else
				overflow = 1;
		}
		if (now != stack)
			free(now);
	}
	rcu_read_unlock(f->rcu_slot);
	/* Durable before any secondary can transfer it (this thread serves
	 * the transfers, after this returns). */
	if (made)
		pers_save(f);
	for (size_t k = 0; k < n_changed; k++)
		notify_version(f, changed[k]);
	for (size_t i = 0; overflow && i < f->n_zones; i++)
		notify_version(f, i);
	pthread_mutex_unlock(&f->lock);
	return made;
}

/* ---- the thread ---------------------------------------------------------------- */

static void on_batch(uv_timer_t *t)
{
	struct fleet *f = t->data;
	f->batch_armed = 0;
	fleet_commit(f);
}

static void on_wake(uv_async_t *a)
{
	struct fleet *f = a->data;

	if (atomic_load(&f->stopping)) {
		uv_stop(&f->loop);
		return;
	}
	xfr_accept_queued(f);
	if (atomic_exchange(&f->reloaded, 0)) {
		rcu_read_lock(f->rcu_slot);
		pthread_mutex_lock(&f->lock);
		take_view(f, 0);
		pthread_mutex_unlock(&f->lock);
		rcu_read_unlock(f->rcu_slot);
	}
	if (atomic_exchange(&f->changed, 0) && !f->batch_armed) {
		f->batch_armed = 1;
		uv_timer_start(&f->batch, on_batch, FLEET_BATCH_MS, 0);
	}
}

static void on_tick(uv_timer_t *t)
{
	struct fleet *f = t->data;
	pthread_mutex_lock(&f->lock);
	notify_tick(f);
	pthread_mutex_unlock(&f->lock);
}

/* view_on_change(): a flip (control thread) or a new view. */
static void on_change(void *arg, int reloaded)
{
	struct fleet *f = arg;
	if (reloaded)
		atomic_store(&f->reloaded, 1);
	else
		atomic_store(&f->changed, 1);
	uv_async_send(&f->wake);
}

static void *run(void *arg)
{
	struct fleet *f = arg;

	f->rcu_slot = rcu_reader_register();
	uv_run(&f->loop, UV_RUN_DEFAULT);
	rcu_reader_unregister(f->rcu_slot);
	return NULL;
}

struct fleet *fleet_create(const struct config *cfg, char *err, size_t errlen)
{
	const struct cfg_fleet *c = &cfg->fleet;
	struct fleet *f = calloc(1, sizeof(*f));

	if (f == NULL)
		goto oom;
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_init(&f->qlock, NULL);
	f->state_dir = strdup(cfg->state_dir ? cfg->state_dir : "/var/lib/routerd");
	f->catalog = c->catalog ? strdup(c->catalog) : NULL;
	f->require_key = c->enabled ? (int)c->require_key : 1;
	f->ixfr_versions = c->ixfr_versions ? c->ixfr_versions : 1000;
	if (f->state_dir == NULL)
		goto oom;
	if (c->n_keys > 0) {
		f->keys = calloc(c->n_keys, sizeof(*f->keys));
		if (f->keys == NULL)
			goto oom;
		memcpy(f->keys, c->keys, c->n_keys * sizeof(*f->keys));
		f->n_keys = c->n_keys;
	}
	if (c->n_allow > 0) {
		f->allow = calloc(c->n_allow, sizeof(*f->allow));
		if (f->allow == NULL)
			goto oom;
		memcpy(f->allow, c->allow, c->n_allow * sizeof(*f->allow));
		f->n_allow = c->n_allow;
	}
	if (c->n_secondaries > 0 && (f->secs = calloc(c->n_secondaries, sizeof(*f->secs))) == NULL)
		goto oom;
	for (size_t i = 0; i < c->n_secondaries; i++) {
		struct fsec *s = &f->secs[f->n_secs++];
		snprintf(s->name, sizeof(s->name), "%s", c->secondaries[i].name);
		memcpy(&s->addr, &c->secondaries[i].address.ss, sizeof(s->addr));
		s->addr_len = c->secondaries[i].address.len;
		snprintf(s->addr_text, sizeof(s->addr_text), "%s", c->secondaries[i].address.text);
		s->key = -1;
		for (size_t k = 0; c->secondaries[i].key && k < f->n_keys; k++)
			if (strcmp(f->keys[k].text, c->secondaries[i].key) == 0)
				s->key = (int)k;
	}
	pers_load(f);
	return f;
oom:
	snprintf(err, errlen, "fleet: out of memory");
	fleet_stop(f);
	return NULL;
}

int fleet_start(struct fleet *f, char *err, size_t errlen)
{
	int rc;

	f->rcu_slot = -1;
	if (take_view(f, 1) < 0) {
		snprintf(err, errlen, "fleet: cannot take the zones' first versions (state_dir %s)", f->state_dir);
		return -1;
	}
	for (size_t i = 0; i < f->n_zones; i++)
		log_info("fleet: zone %s at serial %u", f->zones[i].name, f->zones[i].serial);
	if ((rc = uv_loop_init(&f->loop)) < 0) {
		snprintf(err, errlen, "fleet: %s", uv_strerror(rc));
		return -1;
	}
	f->loop_ready = 1;
	uv_async_init(&f->loop, &f->wake, on_wake);
	f->wake.data = f;
	uv_timer_init(&f->loop, &f->batch);
	f->batch.data = f;
	uv_timer_init(&f->loop, &f->tick);
	f->tick.data = f;
	if (notify_open(f) < 0) {
		snprintf(err, errlen, "fleet: cannot open the NOTIFY socket");
		return -1;
	}
	uv_timer_start(&f->tick, on_tick, TICK_MS, TICK_MS);
	view_on_change(on_change, f);
	/* The first versions are news to every secondary. */
	for (size_t i = 0; i < f->n_zones; i++)
		notify_version(f, i);
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		view_on_change(NULL, NULL);
		snprintf(err, errlen, "fleet: cannot start the thread");
		return -1;
	}
	f->thread_started = 1;
	return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void fleet_stop(struct fleet *f)
{
	if (f == NULL)
		return;
	view_on_change(NULL, NULL);
	if (f->thread_started) {
		atomic_store(&f->stopping, 1);
		uv_async_send(&f->wake);
		pthread_join(f->thread, NULL);
	}
	if (f->loop_ready) {
		xfr_close_all(f);
		notify_close(f);
		uv_walk(&f->loop, close_walk, NULL);
		uv_run(&f->loop, UV_RUN_DEFAULT);
		uv_loop_close(&f->loop);
	}
	f->loop_ready = 0;
	xfr_accept_queued(f); /* closes what is still queued */
	for (size_t i = 0; i < f->n_zones; i++) {
		hist_clear(&f->zones[i]);
		free(f->zones[i].hist);
		free(f->zones[i].sels);
		ximage_unref(f->zones[i].img);
	}
	free(f->zones);
	for (size_t i = 0; i < f->n_secs; i++)
		free(f->secs[i].z);
	free(f->secs);
	free(f->keys);
	free(f->allow);
	free(f->pers);
	free(f->state_dir);
	free(f->catalog);
	pthread_mutex_destroy(&f->lock);
	pthread_mutex_destroy(&f->qlock);
	free(f);
}

/* ---- status and metrics ------------------------------------------------------ */

static const char *const type_names[XT__COUNT] = { "axfr", "ixfr" };
static const char *const result_names[XR__COUNT] = { "ok", "refused", "notauth", "formerr", "notfound" };

json_t *fleet_status(struct fleet *f)
{
	json_t *zones = json_array(), *secs = json_array();

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n_zones; i++) {
		const struct fzone *z = &f->zones[i];
		if (!z->live)
			continue;
		json_array_append_new(zones, json_pack("{s:s,s:I,s:I,s:I}", "zone", z->name, "serial", (json_int_t)z->serial,
		                                       "versions", (json_int_t)z->n, "switches", (json_int_t)z->img->n_sw));
	}
	for (size_t s = 0; s < f->n_secs; s++) {
		const struct fsec *sec = &f->secs[s];
		json_t *zs = json_array();
		for (size_t i = 0; i < f->n_zones && i < sec->n_z; i++) {
			const struct fzone *z = &f->zones[i];
			const struct fpz *p = &sec->z[i];
			long behind = p->known ? fleet_behind(z, p->serial) : -1;
			if (!z->live)
				continue;
			json_t *o = json_pack("{s:s,s:b}", "zone", z->name, "known", p->known);
			if (p->known) {
				json_object_set_new(o, "serial", json_integer(p->serial));
				/* Unknown to the history: at least all of it behind. */
				json_object_set_new(o, "behind", json_integer(behind >= 0 ? behind : (json_int_t)z->n));
			}
			if (p->last_xfr_ms)
				json_object_set_new(o, "last_transfer",
				                    json_pack("{s:s,s:I}", "type", p->last_xfr, "time_ms", (json_int_t)p->last_xfr_ms));
			if (p->last_error[0])
				json_object_set_new(o, "last_error", json_string(p->last_error));
			json_object_set_new(o, "notify_pending", json_boolean(p->notify_pending));
			json_array_append_new(zs, o);
		}
		json_array_append_new(secs, json_pack("{s:s,s:s,s:s?,s:I,s:o}", "name", sec->name, "address", sec->addr_text,
		                                      "key", sec->key >= 0 ? f->keys[sec->key].text : NULL,
		                                      "notify_failures", (json_int_t)sec->notify_failures, "zones", zs));
	}
	pthread_mutex_unlock(&f->lock);
	json_t *xfr = json_object();
	for (int t = 0; t < XT__COUNT; t++) {
		json_t *o = json_object();
		for (int r = 0; r < XR__COUNT; r++)
			json_object_set_new(o, result_names[r], json_integer((json_int_t)atomic_load(&f->xfr_count[t][r])));
		json_object_set_new(xfr, type_names[t], o);
	}
	return json_pack("{s:o,s:o,s:o,s:I}", "zones", zones, "secondaries", secs, "transfers", xfr, "bytes_out",
	                 (json_int_t)atomic_load(&f->xfr_bytes));
}

void fleet_metrics(struct fleet *f, FILE *out)
{
	fprintf(out, "# HELP routerd_fleet_serial The zone serial each secondary was last known to have.\n"
	             "# TYPE routerd_fleet_serial gauge\n");
	pthread_mutex_lock(&f->lock);
	for (size_t s = 0; s < f->n_secs; s++)
		for (size_t i = 0; i < f->n_zones && i < f->secs[s].n_z; i++)
			if (f->zones[i].live && f->secs[s].z[i].known)
				fprintf(out, "routerd_fleet_serial{secondary=\"%s\",zone=\"%s\"} %u\n", f->secs[s].name,
				        f->zones[i].name, f->secs[s].z[i].serial);
	fprintf(out, "# HELP routerd_fleet_behind_versions Zone versions a secondary lacks (the whole history when its serial is older).\n"
	             "# TYPE routerd_fleet_behind_versions gauge\n");
	for (size_t s = 0; s < f->n_secs; s++)
		for (size_t i = 0; i < f->n_zones && i < f->secs[s].n_z; i++) {
			const struct fpz *p = &f->secs[s].z[i];
			long b = p->known ? fleet_behind(&f->zones[i], p->serial) : -1;
			if (f->zones[i].live)
				fprintf(out, "routerd_fleet_behind_versions{secondary=\"%s\",zone=\"%s\"} %ld\n", f->secs[s].name,
				        f->zones[i].name, b >= 0 ? b : (long)f->zones[i].n);
		}
	fprintf(out, "# HELP routerd_fleet_notify_failures_total NOTIFY messages that got no answer in time.\n"
	             "# TYPE routerd_fleet_notify_failures_total counter\n");
	for (size_t s = 0; s < f->n_secs; s++)
		fprintf(out, "routerd_fleet_notify_failures_total{secondary=\"%s\"} %llu\n", f->secs[s].name,
		        (unsigned long long)f->secs[s].notify_failures);
	pthread_mutex_unlock(&f->lock);
	fprintf(out, "# HELP routerd_xfr_requests_total Zone transfer requests, by type and result.\n"
	             "# TYPE routerd_xfr_requests_total counter\n");
	for (int t = 0; t < XT__COUNT; t++)
		for (int r = 0; r < XR__COUNT; r++)
			fprintf(out, "routerd_xfr_requests_total{type=\"%s\",result=\"%s\"} %llu\n", type_names[t],
			        result_names[r], (unsigned long long)atomic_load(&f->xfr_count[t][r]));
	fprintf(out, "# HELP routerd_xfr_bytes_total Bytes of zone transfers sent.\n"
	             "# TYPE routerd_xfr_bytes_total counter\nrouterd_xfr_bytes_total %llu\n",
	        (unsigned long long)atomic_load(&f->xfr_bytes));
}
