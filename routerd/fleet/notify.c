/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notify.c -- NOTIFY (RFC 1996) to every secondary on every new version,
 * and SOA queries to learn each secondary's serial.
 *
 * One UDP socket per address family on the fleet loop; each (secondary,
 * zone) pair has its own NOTIFY and SOA query in flight, retried with
 * backoff from a 20 ms tick, so a dead secondary costs a few timers and
 * never delays the others. A NOTIFY is retried until answered or until a
 * newer version replaces it. After the answer, and after each transfer,
 * SOA queries follow until the secondary serves the latest serial.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/fleet_int.h"
#include "lib/log.h"
#include "lib/wire.h"

#define OPCODE_NOTIFY 4
/* First NOTIFY retry after this, doubling up to NOTIFY_RETRY_MAX. */
#define NOTIFY_RETRY_MS 1000
#define NOTIFY_RETRY_MAX 30000
/* SOA polls after a NOTIFY answer or a transfer: first at SOA_FIRST_MS,
 * then doubling, SOA_TRIES at most while the secondary is behind. */
#define SOA_FIRST_MS 30
#define SOA_RETRY_MAX 5000
#define SOA_TRIES 14

static struct fsec *sec_by_addr(struct fleet *f, const struct sockaddr *a, int with_port)
{
	for (size_t i = 0; i < f->n_secs; i++) {
		const struct sockaddr_storage *s = &f->secs[i].addr;
		if (s->ss_family != a->sa_family)
			continue;
		if (a->sa_family == AF_INET) {
			const struct sockaddr_in *x = (const void *)a, *y = (const void *)s;
			if (x->sin_addr.s_addr == y->sin_addr.s_addr && (!with_port || x->sin_port == y->sin_port))
				return &f->secs[i];
		} else {
			const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)s;
			if (memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 && (!with_port || x->sin6_port == y->sin6_port))
				return &f->secs[i];
		}
	}
	return NULL;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static _Thread_local char rx[4096];
	(void)h;
	(void)suggested;
	buf->base = rx;
	buf->len = sizeof(rx);
}

/* Skip a name (compressed or not); the position after it, or 0. */
static size_t skip_name(const uint8_t *m, size_t len, size_t p)
{
	while (p < len) {
		if (m[p] == 0)
			return p + 1;
		if ((m[p] & 0xc0) == 0xc0)
			return p + 2 <= len ? p + 2 : 0;
		if (m[p] & 0xc0)
			return 0;
		p += 1u + m[p];
	}
	return 0;
}

/* The serial of the SOA first in the answer section, or -1. */
static int answer_serial(const uint8_t *m, size_t len, uint32_t *serial)
{
	size_t p = WIRE_HEADER_LEN;
	if (wire_get16(m + 4) != 1 || wire_get16(m + 6) < 1)
		return -1;
	if ((p = skip_name(m, len, p)) == 0 || p + 4 > len)
		return -1;
	p += 4;
	if ((p = skip_name(m, len, p)) == 0 || p + 10 > len || wire_get16(m + p) != TYPE_SOA)
		return -1;
	p += 10;
	if ((p = skip_name(m, len, p)) == 0 || (p = skip_name(m, len, p)) == 0 || p + 20 > len)
		return -1;
	*serial = (uint32_t)m[p] << 24 | (uint32_t)m[p + 1] << 16 | (uint32_t)m[p + 2] << 8 | m[p + 3];
	return 0;
}

static const char *rcode_text(unsigned r)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		                         "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH" };
	return r < 10 ? n[r] : "an error";
}

static void schedule_soa(struct fleet *f, struct fpz *p, uint64_t delay)
{
	p->soa_pending = 1;
	p->soa_tries = 0;
	p->soa_due = uv_now(&f->loop) + delay;
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from, unsigned flags)
{
	struct fleet *f = h->data;
	const uint8_t *m = (const uint8_t *)buf->base;
	struct fsec *s;
	uint16_t id;
	unsigned opcode, rcode;
	(void)flags;

	if (n < WIRE_HEADER_LEN || from == NULL || !(m[2] & 0x80))
		return;
	pthread_mutex_lock(&f->lock);
	s = sec_by_addr(f, from, 1);
	id = wire_get16(m);
	opcode = (m[2] >> 3) & 0xf;
	rcode = m[3] & 0xf;
	for (size_t zi = 0; s != NULL && zi < f->n_zones && zi < s->n_z; zi++) {
		struct fpz *p = &s->z[zi];
		struct fzone *z = &f->zones[zi];
		if (opcode == OPCODE_NOTIFY && p->notify_pending && p->notify_id == id) {
			p->notify_pending = 0;
			if (rcode != 0)
				snprintf(p->last_error, sizeof(p->last_error), "NOTIFY for serial %u answered %s",
				         p->notify_serial, rcode_text(rcode));
			else if (s->key >= 0 &&
			         tsig_verify_response(&p->notify_tsig, m, (size_t)n, (uint64_t)time(NULL)) != TSIG_NOERROR)
				snprintf(p->last_error, sizeof(p->last_error), "NOTIFY answer not signed with %.100s",
				         f->keys[s->key].text);
			schedule_soa(f, p, SOA_FIRST_MS);
			break;
		}
		if (opcode == 0 && p->soa_pending && p->soa_id == id && p->soa_tries > 0) {
			uint32_t serial;
			if (rcode != 0 || answer_serial(m, (size_t)n, &serial) < 0) {
				snprintf(p->last_error, sizeof(p->last_error), "SOA query answered %s", rcode_text(rcode));
				p->soa_pending = 0;
				break;
			}
			p->serial = serial;
			p->known = 1;
			p->serial_ms = fleet_now_ms();
			/* Behind: ask again until it catches up (it transfers now). */
			if (fleet_serial_newer(z->serial, serial) && p->soa_tries < SOA_TRIES)
				p->soa_due = uv_now(&f->loop) + ((uint64_t)SOA_FIRST_MS << (p->soa_tries < 8 ? p->soa_tries : 8));
			else
				p->soa_pending = 0;
			p->soa_id = 0;
			break;
		}
	}
	pthread_mutex_unlock(&f->lock);
}

/* A query for ZONE's SOA (opcode QUERY or NOTIFY), signed with the
 * secondary's key; CTX keeps the MAC for the answer. */
static void send_query(struct fleet *f, struct fsec *s, const struct fzone *z, unsigned opcode, uint16_t *id,
                       struct tsig_ctx *ctx)
{
	uint8_t buf[WIRE_HEADER_LEN + WIRE_NAME_MAX + 4 + 512];
	size_t len = WIRE_HEADER_LEN;
	uv_buf_t b;
	uv_udp_t *h = s->addr.ss_family == AF_INET6 ? &f->udp6 : &f->udp4;

	if ((s->addr.ss_family == AF_INET6 && !f->udp6_ok) || (s->addr.ss_family == AF_INET && !f->udp4_ok))
		return;
	f->next_id = (uint16_t)(f->next_id * 25173u + 13849u + (uint16_t)rand());
	*id = f->next_id;
	memset(buf, 0, len);
	wire_put16(buf, *id);
	buf[2] = (uint8_t)(opcode << 3 | (opcode == OPCODE_NOTIFY ? 0x04 : 0)); /* AA in a NOTIFY (RFC 1996 3.7) */
	wire_put16(buf + 4, 1);
	memcpy(buf + len, z->img->apex, z->img->apex_len);
	len += z->img->apex_len;
	wire_put16(buf + len, TYPE_SOA);
	wire_put16(buf + len + 2, CLASS_IN);
	len += 4;
	memset(ctx, 0, sizeof(*ctx));
	if (s->key >= 0) {
		ctx->key = &f->keys[s->key];
		if (tsig_sign(ctx, buf, &len, sizeof(buf), (uint64_t)time(NULL), 1) < 0)
			return;
	}
	b = uv_buf_init((char *)buf, (unsigned)len);
	uv_udp_try_send(h, &b, 1, (const struct sockaddr *)&s->addr);
}

void notify_version(struct fleet *f, size_t zi)
{
	const struct fzone *z = &f->zones[zi];
	if (!z->live)
		return;
	for (size_t i = 0; i < f->n_secs; i++) {
		struct fsec *s = &f->secs[i];
		struct fpz *p = &s->z[zi];
		if (p->notify_pending && p->notify_serial == z->serial)
			continue;
		p->notify_serial = z->serial;
		p->notify_pending = 1;
		p->notify_tries = 1;
		p->notify_due = uv_now(&f->loop) + NOTIFY_RETRY_MS;
		send_query(f, s, z, OPCODE_NOTIFY, &p->notify_id, &p->notify_tsig);
	}
}

void notify_tick(struct fleet *f)
{
	uint64_t now;

	uv_update_time(&f->loop);
	now = uv_now(&f->loop);
	for (size_t i = 0; i < f->n_secs; i++) {
		struct fsec *s = &f->secs[i];
		for (size_t zi = 0; zi < f->n_zones && zi < s->n_z; zi++) {
			struct fpz *p = &s->z[zi];
			const struct fzone *z = &f->zones[zi];
			if (!z->live)
				continue;
			if (p->notify_pending && now >= p->notify_due) {
				uint64_t wait = (uint64_t)NOTIFY_RETRY_MS << (p->notify_tries < 6 ? p->notify_tries : 6);
				s->notify_failures++;
				snprintf(p->last_error, sizeof(p->last_error), "NOTIFY for serial %u not answered (%u tries)",
				         p->notify_serial, p->notify_tries);
				if (p->notify_tries == 1)
					log_warning("fleet: secondary %s (%s) does not answer NOTIFY for %s; retrying", s->name,
					            s->addr_text, z->name);
				p->notify_tries++;
				p->notify_due = now + (wait < NOTIFY_RETRY_MAX ? wait : NOTIFY_RETRY_MAX);
				send_query(f, s, z, OPCODE_NOTIFY, &p->notify_id, &p->notify_tsig);
			}
			if (p->soa_pending && now >= p->soa_due) {
				if (p->soa_tries >= SOA_TRIES) {
					p->soa_pending = 0;
					continue;
				}
				uint64_t wait = (uint64_t)SOA_FIRST_MS << (p->soa_tries < 8 ? p->soa_tries + 1 : 8);
				p->soa_tries++;
				p->soa_due = now + (wait < SOA_RETRY_MAX ? wait : SOA_RETRY_MAX);
				send_query(f, s, z, 0, &p->soa_id, &p->soa_tsig);
			}
		}
	}
	xfr_sweep(f);
}

void notify_transferred(struct fleet *f, const struct sockaddr *peer, size_t zi, uint32_t serial, const char *what)
{
	struct fsec *s = sec_by_addr(f, peer, 0);
	if (s == NULL || zi >= s->n_z)
		return;
	struct fpz *p = &s->z[zi];
	p->last_xfr_ms = fleet_now_ms();
	snprintf(p->last_xfr, sizeof(p->last_xfr), "%.20s %u", what, serial);
	p->last_xfr[sizeof(p->last_xfr) - 1] = 0;
	schedule_soa(f, p, SOA_FIRST_MS);
}

void notify_peer_serial(struct fleet *f, const struct sockaddr *peer, size_t zi, uint32_t serial)
{
	struct fsec *s = sec_by_addr(f, peer, 0);
	if (s == NULL || zi >= s->n_z)
		return;
	s->z[zi].serial = serial;
	s->z[zi].known = 1;
	s->z[zi].serial_ms = fleet_now_ms();
}

static int open_udp(struct fleet *f, uv_udp_t *h, int family)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (uv_udp_init(&f->loop, h) < 0)
		return -1;
	h->data = f;
	if (uv_udp_bind(h, (const struct sockaddr *)&ss, 0) < 0 || uv_udp_recv_start(h, on_alloc, on_recv) < 0) {
		uv_close((uv_handle_t *)h, NULL);
		return -1;
	}
	return 0;
}

int notify_open(struct fleet *f)
{
	int need4 = 0, need6 = 0;
	for (size_t i = 0; i < f->n_secs; i++) {
		need4 |= f->secs[i].addr.ss_family == AF_INET;
		need6 |= f->secs[i].addr.ss_family == AF_INET6;
	}
	if (need4 && open_udp(f, &f->udp4, AF_INET) < 0)
		return -1;
	f->udp4_ok = need4;
	if (need6 && open_udp(f, &f->udp6, AF_INET6) < 0)
		return -1;
	f->udp6_ok = need6;
	return 0;
}

void notify_close(struct fleet *f)
{
	if (f->udp4_ok && !uv_is_closing((uv_handle_t *)&f->udp4))
		uv_close((uv_handle_t *)&f->udp4, NULL);
	if (f->udp6_ok && !uv_is_closing((uv_handle_t *)&f->udp6))
		uv_close((uv_handle_t *)&f->udp6, NULL);
	f->udp4_ok = f->udp6_ok = 0;
}
