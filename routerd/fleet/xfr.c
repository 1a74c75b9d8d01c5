/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xfr.c -- zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995) over
 * TCP, on the fleet thread.
 *
 * A DNS worker that reads an AXFR or IXFR request hands the connection
 * over (fleet_take_connection); from then on the fleet loop owns it. A
 * transfer is a list of segments (an SOA with a serial, or a run of records
 * of the version's image) fixed when the request is accepted: the image is
 * immutable and referenced, so later flips and reloads do not touch it.
 * Messages of about 16 KiB are made one at a time as the previous ones are
 * written (at most XFR_INFLIGHT queued per connection), compressed, and
 * each signed when the request was (RFC 8945 5.3.1): a slow or stalled
 * secondary holds a few buffers, not the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet/fleet_int.h"
#include "lib/log.h"
#include "lib/rcu.h"
#include "lib/wire.h"
#include "zone/view.h"

/* Records go into a message until it holds this much: compression
 * pointers reach only the first 16 KiB (14-bit offsets). */
#define XFR_SOFT 16000
#define XFR_MSG_MAX 65535
#define XFR_INFLIGHT 4
/* An idle transfer connection, or one whose reader stalls, is closed. */
#define XFR_IDLE_MS 30000
#define CT_SIZE 4096
#define CLASS_IN_ 1

struct xhand {
	struct xhand *next;
	int fd;
	struct sockaddr_storage peer;
	size_t len;
	uint8_t data[];
};

struct seg {
	const struct xrrs *run; /* NULL: an SOA */
	uint32_t serial;
};

struct xfer {
	struct ximage *img;
	struct seg *segs;
	size_t n_segs, seg, pos; /* cursor */
	enum xfr_type type;
	size_t zi;
	uint32_t serial;
	uint16_t id;
	uint8_t question[WIRE_NAME_MAX + 4];
	size_t qlen;
	int is_signed;
	struct tsig_ctx tsig;
	unsigned nmsg;
	uint64_t bytes, rrs, started_ms;
	int finished;
	char what[32];
};

/* Name compression for one message: suffix -> offset. */
struct ctab {
	uint16_t off[CT_SIZE];
	const uint8_t *src[CT_SIZE];
	uint8_t len[CT_SIZE];
	uint32_t gen[CT_SIZE];
	uint32_t cur;
};

struct xconn {
	uv_tcp_t h;
	struct fleet *f;
	struct xconn *prev, *next;
	struct sockaddr_storage peer;
	char peer_text[64];
	uint8_t *rbuf;
	size_t rlen, rcap;
	struct xfer *x;
	unsigned inflight;
	int closing, eof;
	uint64_t last_ms;
	struct ctab ct;
};

struct xwrite {
	uv_write_t req;
	struct xconn *c;
	size_t len;
	uint8_t data[];
};

static void process(struct xconn *c);
static void pump(struct xconn *c);

/* ---- hand-over from the workers ---------------------------------------------- */

void fleet_take_connection(void *arg, int fd, const uint8_t *data, size_t len, const struct sockaddr *peer)
{
	struct fleet *f = arg;
	struct xhand *h = malloc(sizeof(*h) + len);

	if (h == NULL || atomic_load(&f->stopping)) {
		free(h);
		close(fd);
		return;
	}
	h->fd = fd;
	memset(&h->peer, 0, sizeof(h->peer));
	memcpy(&h->peer, peer, peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	h->len = len;
	memcpy(h->data, data, len);
	pthread_mutex_lock(&f->qlock);
	h->next = f->queue;
	f->queue = h;
	pthread_mutex_unlock(&f->qlock);
	uv_async_send(&f->wake);
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(out, n, "%s:%u", a, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(out, n, "[%s]:%u", a, ntohs(s->sin6_port));
	}
}

static void on_closed(uv_handle_t *h)
{
	struct xconn *c = h->data;
	free(c->rbuf);
	free(c);
}

static void xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	ximage_unref(x->img);
	free(x->segs);
	free(x);
}

static void conn_close(struct xconn *c)
{
	struct fleet *f = c->f;
	if (c->closing)
		return;
	c->closing = 1;
	if (c->prev)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	f->n_conns--;
	if (c->x != NULL && !c->x->finished)
		log_warning("fleet: %s of %s to %s cut after %llu bytes", c->x->what, c->x->img->name, c->peer_text,
		            (unsigned long long)c->x->bytes);
	xfer_free(c->x);
	c->x = NULL;
	uv_close((uv_handle_t *)&c->h, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct xconn *c = h->data;
	(void)suggested;
	if (c->rcap - c->rlen < 4096) {
		size_t cap = c->rcap * 2 > 65537 + 4096 ? c->rcap * 2 : 65537 + 4096;
		uint8_t *b = realloc(c->rbuf, cap);
		if (b != NULL) {
			c->rbuf = b;
			c->rcap = cap;
		}
	}
	buf->base = (char *)c->rbuf + c->rlen;
	buf->len = c->rcap - c->rlen;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct xconn *c = s->data;
	(void)buf;
	if (n == UV_EOF) {
		c->eof = 1;
		uv_read_stop(s);
		if (c->x == NULL && c->inflight == 0)
			conn_close(c);
		return;
	}
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->rlen += (size_t)n;
	c->last_ms = uv_now(&c->f->loop);
	process(c);
}

static void adopt(struct fleet *f, struct xhand *h)
{
	struct xconn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->rbuf = malloc(h->len + 65537)) == NULL) {
		free(c);
		close(h->fd);
		return;
	}
	c->rcap = h->len + 65537;
	memcpy(c->rbuf, h->data, h->len);
	c->rlen = h->len;
	c->f = f;
	c->peer = h->peer;
	peer_text(&c->peer, c->peer_text, sizeof(c->peer_text));
	c->last_ms = uv_now(&f->loop);
	uv_tcp_init(&f->loop, &c->h);
	c->h.data = c;
	c->next = f->conns;
	if (f->conns)
		f->conns->prev = c;
	f->conns = c;
	f->n_conns++;
	if (uv_tcp_open(&c->h, h->fd) < 0) {
		close(h->fd);
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->h, 1);
	if (uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) < 0) {
		conn_close(c);
		return;
	}
	process(c);
}

void xfr_accept_queued(struct fleet *f)
{
	struct xhand *h;

	pthread_mutex_lock(&f->qlock);
	h = f->queue;
	f->queue = NULL;
	pthread_mutex_unlock(&f->qlock);
	while (h != NULL) {
		struct xhand *next = h->next;
		if (atomic_load(&f->stopping) || !f->loop_ready)
			close(h->fd);
		else
			adopt(f, h);
		free(h);
		h = next;
	}
}

void xfr_close_all(struct fleet *f)
{
	while (f->conns != NULL)
		conn_close(f->conns);
}

/* ---- access ------------------------------------------------------------------- */

static int in_prefix(const struct sockaddr *a, const struct sockaddr_storage *net, unsigned bits)
{
	const uint8_t *x, *y;
	size_t n;

	if (a->sa_family != net->ss_family)
		return 0;
	if (a->sa_family == AF_INET) {
		x = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		y = (const uint8_t *)&((const struct sockaddr_in *)net)->sin_addr;
		n = 4;
	} else {
		x = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
		y = (const uint8_t *)&((const struct sockaddr_in6 *)net)->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n && bits > 0; i++, bits = bits >= 8 ? bits - 8 : 0) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if ((x[i] & mask) != (y[i] & mask))
			return 0;
	}
	return 1;
}

int xfr_peer_allowed(const struct fleet *f, const struct sockaddr *peer)
{
	for (size_t i = 0; i < f->n_secs; i++)
		if (in_prefix(peer, &f->secs[i].src, f->secs[i].src.ss_family == AF_INET ? 32 : 128))
			return 1;
	for (size_t i = 0; i < f->n_allow; i++)
		if (in_prefix(peer, &f->allow[i].ss, f->allow[i].bits))
			return 1;
	return 0;
}

/* ---- writing messages -------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
	struct xwrite *w = (struct xwrite *)req;
	struct xconn *c = w->c;

	c->inflight--;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	c->last_ms = uv_now(&c->f->loop);
	pump(c);
}

/* Queue MSG (LEN bytes) with its length prefix. 0 or -1 (closed). */
static int send_msg(struct xconn *c, const uint8_t *msg, size_t len)
{
	struct xwrite *w = malloc(sizeof(*w) + 2 + len);
	uv_buf_t b;

	if (w == NULL) {
		conn_close(c);
		return -1;
	}
	w->c = c;
	w->len = len;
	w->data[0] = (uint8_t)(len >> 8);
	w->data[1] = (uint8_t)len;
	memcpy(w->data + 2, msg, len);
	b = uv_buf_init((char *)w->data, (unsigned)(2 + len));
	if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, on_written) < 0) {
		free(w);
		conn_close(c);
		return -1;
	}
	c->inflight++;
	atomic_fetch_add(&c->f->xfr_bytes, 2 + len);
	return 0;
}

/* ---- compression ------------------------------------------------------------------------ */

static uint32_t suffix_hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i] >= 'A' && p[i] <= 'Z' ? (uint8_t)(p[i] + 32) : p[i];
		h = (h ^ ch) * 16777619u;
	}
	return h;
}

static int suffix_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i] >= 'A' && a[i] <= 'Z' ? (uint8_t)(a[i] + 32) : a[i];
		uint8_t y = b[i] >= 'A' && b[i] <= 'Z' ? (uint8_t)(b[i] + 32) : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

static long ct_find(const struct ctab *t, const uint8_t *s, size_t n)
{
	uint32_t i = suffix_hash(s, n) & (CT_SIZE - 1);
	for (unsigned probes = 0; probes < CT_SIZE && t->gen[i] == t->cur; probes++, i = (i + 1) & (CT_SIZE - 1))
		if (t->len[i] == n && suffix_eq(t->src[i], s, n))
			return t->off[i];
	return -1;
}

static void ct_add(struct ctab *t, const uint8_t *s, size_t n, size_t off)
{
	uint32_t i = suffix_hash(s, n) & (CT_SIZE - 1);
	if (off >= 0x3fff)
		return;
	for (unsigned probes = 0; probes < CT_SIZE / 2; probes++, i = (i + 1) & (CT_SIZE - 1))
		if (t->gen[i] != t->cur) {
			t->gen[i] = t->cur;
			t->off[i] = (uint16_t)off;
			t->src[i] = s;
			t->len[i] = (uint8_t)n;
			return;
		}
}

/* Write NAME (uncompressed wire) at BUF+*LEN, compressed. 0 or -1 (no room). */
static int put_name(struct ctab *t, uint8_t *buf, size_t *len, size_t cap, const uint8_t *name)
{
	size_t offs[128], nl = 0, p = 0, total;
	long ptr = -1;
	size_t i;

	while (name[p] != 0 && nl < 128) {
		offs[nl++] = p;
		p += 1u + name[p];
	}
	total = p + 1;
	for (i = 0; i < nl; i++)
		if ((ptr = ct_find(t, name + offs[i], total - offs[i])) >= 0)
			break;
	size_t raw = i < nl ? offs[i] : total;
	if (*len + raw + (i < nl ? 2 : 0) > cap)
		return -1;
	memcpy(buf + *len, name, raw);
	for (size_t j = 0; j < i; j++)
		ct_add(t, name + offs[j], total - offs[j], *len + offs[j]);
	*len += raw;
	if (i < nl) {
		wire_put16(buf + *len, (uint16_t)(0xc000 | ptr));
		*len += 2;
	}
	return 0;
}

static size_t name_len(const uint8_t *p)
{
	size_t n = 0;
	while (p[n] != 0)
		n += 1u + p[n];
	return n + 1;
}

/* Append RR (uncompressed wire); SERIAL replaces an SOA's when SOA is set. */
static int put_rr(struct ctab *t, uint8_t *buf, size_t *len, size_t cap, const uint8_t *rr, int soa, uint32_t serial)
{
	size_t save = *len, on = name_len(rr), rdstart;
	const uint8_t *fixed = rr + on, *rd = fixed + 10;
	uint16_t type = wire_get16(fixed), rdlen = wire_get16(fixed + 8);

	if (put_name(t, buf, len, cap, rr) < 0 || *len + 10 > cap)
		goto full;
	memcpy(buf + *len, fixed, 8);
	*len += 10;
	rdstart = *len;
	/* RFC 3597 4: names in the RDATA of these well-known types may be compressed. */
	if (type == TYPE_NS || type == TYPE_CNAME || type == TYPE_PTR) {
		if (put_name(t, buf, len, cap, rd) < 0)
			goto full;
	} else if (type == TYPE_MX) {
		if (*len + 2 > cap)
			goto full;
		memcpy(buf + *len, rd, 2);
		*len += 2;
		if (put_name(t, buf, len, cap, rd + 2) < 0)
			goto full;
	} else if (type == TYPE_SOA) {
		size_t m = name_len(rd), r = name_len(rd + m);
		if (put_name(t, buf, len, cap, rd) < 0 || put_name(t, buf, len, cap, rd + m) < 0 || *len + 20 > cap)
			goto full;
		memcpy(buf + *len, rd + m + r, 20);
		if (soa)
			wire_put32(buf + *len, serial);
		*len += 20;
	} else {
		if (*len + rdlen > cap)
			goto full;
		memcpy(buf + *len, rd, rdlen);
		*len += rdlen;
	}
	wire_put16(buf + rdstart - 2, (uint16_t)(*len - rdstart));
	return 0;
full:
	*len = save;
	return -1;
}

/* The next message of transfer X into BUF; its length (0: nothing left). */
static size_t next_message(struct xconn *c, struct xfer *x, uint8_t *buf)
{
	size_t len = WIRE_HEADER_LEN, cap = XFR_MSG_MAX - (x->is_signed ? tsig_rr_size(x->tsig.key) : 0);
	uint16_t an = 0;

	if (x->finished)
		return 0;
	c->ct.cur++;
	if (c->ct.cur == 0) { /* wrapped: forget every generation */
		memset(c->ct.gen, 0, sizeof(c->ct.gen));
		c->ct.cur = 1;
	}
	wire_put16(buf, x->id);
	buf[2] = 0x84; /* QR, AA, opcode QUERY */
	buf[3] = 0;
	/* RFC 5936 2.2.1: the question in the first message only. */
	wire_put16(buf + 4, x->nmsg == 0 ? 1 : 0);
	if (x->nmsg == 0) {
		memcpy(buf + len, x->question, x->qlen);
		len += x->qlen;
	}
	while (x->seg < x->n_segs && len < XFR_SOFT && an < 65535) {
		const struct seg *s = &x->segs[x->seg];
		if (s->run == NULL) {
			if (put_rr(&c->ct, buf, &len, cap, x->img->soa.data, 1, s->serial) < 0)
				break;
			x->seg++;
		} else if (x->pos >= s->run->len) {
			x->seg++;
			x->pos = 0;
			continue;
		} else {
			if (put_rr(&c->ct, buf, &len, cap, s->run->data + x->pos, 0, 0) < 0)
				break;
			x->pos += xrr_len(s->run->data + x->pos);
		}
		an++;
		x->rrs++;
	}
	if (an == 0 && x->seg < x->n_segs) { /* one record larger than a message: cannot be sent */
		log_error("fleet: %s of %s: a record does not fit in a message", x->what, x->img->name);
		return 0;
	}
	wire_put16(buf + 6, an);
	wire_put16(buf + 8, 0);
	wire_put16(buf + 10, 0);
	if (x->is_signed && tsig_sign(&x->tsig, buf, &len, XFR_MSG_MAX, (uint64_t)time(NULL), x->nmsg == 0) < 0)
		return 0;
	x->nmsg++;
	x->bytes += len + 2;
	if (x->seg >= x->n_segs)
		x->finished = 1;
	return len;
}

static void transfer_done(struct xconn *c)
{
	struct xfer *x = c->x;
	uint64_t ms = fleet_now_ms() - x->started_ms;

	log_info("fleet: %s of %s serial %u to %s: %llu records, %u messages, %llu bytes, %llu ms", x->what,
	         x->img->name, x->serial, c->peer_text, (unsigned long long)x->rrs, x->nmsg,
	         (unsigned long long)x->bytes, (unsigned long long)ms);
	pthread_mutex_lock(&c->f->lock);
	notify_transferred(c->f, (const struct sockaddr *)&c->peer, x->zi, x->serial, x->what);
	pthread_mutex_unlock(&c->f->lock);
	xfer_free(x);
	c->x = NULL;
}

static void pump(struct xconn *c)
{
	static _Thread_local uint8_t buf[XFR_MSG_MAX];

	while (!c->closing && c->x != NULL && !c->x->finished && c->inflight < XFR_INFLIGHT) {
		size_t len = next_message(c, c->x, buf);
		if (len == 0) {
			conn_close(c);
			return;
		}
		if (send_msg(c, buf, len) < 0)
			return;
	}
	if (c->closing || c->x == NULL || !c->x->finished || c->inflight > 0)
		return;
	transfer_done(c);
	if (c->eof)
		conn_close(c);
	else
		process(c); /* the requests that came in the meantime */
}

/* ---- requests ---------------------------------------------------------------------- */

/* An answer without records: header, question, TSIG when T is set. */
static void send_error(struct xconn *c, const uint8_t *msg, const struct wire_query *q, int with_q, unsigned rcode,
                       struct tsig_ctx *t, int tsig_err, size_t tsig_off, size_t msg_len)
{
	uint8_t buf[WIRE_HEADER_LEN + WIRE_NAME_MAX + 4 + 600];
	size_t len = WIRE_HEADER_LEN;
	uint64_t now = (uint64_t)time(NULL);

	memset(buf, 0, WIRE_HEADER_LEN);
	wire_put16(buf, q->id);
	buf[2] = (uint8_t)(0x80 | (q->flags_hi & 0x79));
	buf[3] = (uint8_t)rcode;
	if (with_q) {
		wire_put16(buf + 4, 1);
		memcpy(buf + len, msg + WIRE_HEADER_LEN, q->question_end - WIRE_HEADER_LEN);
		len = q->question_end;
	}
	if (with_q && q->edns) {
		/* OPT as the workers answer (RFC 6891), with Extended DNS Error 18
		 * "Prohibited" on a refusal (RFC 8914 4.19), as NSD does. */
		int ede = rcode == RCODE_REFUSED;
		buf[len] = 0;
		wire_put16(buf + len + 1, TYPE_OPT);
		wire_put16(buf + len + 3, c->f->udp_payload);
		memset(buf + len + 5, 0, 4);
		buf[len + 7] = q->edns_do ? 0x80 : 0;
		wire_put16(buf + len + 9, ede ? 6 : 0);
		len += 11;
		if (ede) {
			wire_put16(buf + len, 15);
			wire_put16(buf + len + 2, 2);
			wire_put16(buf + len + 4, 18);
			len += 6;
		}
		wire_put16(buf + 10, 1);
	}
	if (t != NULL && tsig_err)
		tsig_error_rr(t, msg, msg_len, tsig_off, buf, &len, sizeof(buf), now);
	else if (t != NULL)
		tsig_sign(t, buf, &len, sizeof(buf), now, 1);
	send_msg(c, buf, len);
}

static void count(struct fleet *f, enum xfr_type t, enum xfr_result r)
{
	atomic_fetch_add(&f->xfr_count[t][r], 1);
}

/* The serial of the SOA in an IXFR request's authority section. */
static int ixfr_serial(const uint8_t *msg, size_t len, const struct wire_query *q, uint32_t *serial)
{
	size_t p = q->question_end;
	uint16_t type, rdlen;

	if (wire_get16(msg + 8) != 1)
		return -1;
	while (p < len && msg[p] != 0 && (msg[p] & 0xc0) == 0)
		p += 1u + msg[p];
	p += p < len && (msg[p] & 0xc0) == 0xc0 ? 2 : 1;
	if (p + 10 > len)
		return -1;
	type = wire_get16(msg + p);
	rdlen = wire_get16(msg + p + 8);
	p += 10;
	if (type != TYPE_SOA || p + rdlen > len || rdlen < 22)
		return -1;
	/* The serial is 20 bytes from the end of the SOA's RDATA. */
	p += rdlen - 20;
	*serial = (uint32_t)msg[p] << 24 | (uint32_t)msg[p + 1] << 16 | (uint32_t)msg[p + 2] << 8 | msg[p + 3];
	return 0;
}

static int push_seg(struct xfer *x, size_t *cap, const struct xrrs *run, uint32_t serial)
{
	if (run != NULL && run->count == 0)
		return 0;
	if (x->n_segs == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct seg *s = realloc(x->segs, nc * sizeof(*s));
		if (s == NULL)
			return -1;
		x->segs = s;
		*cap = nc;
	}
	x->segs[x->n_segs].run = run;
	x->segs[x->n_segs].serial = serial;
	x->n_segs++;
	return 0;
}

/* The whole zone at its latest version (AXFR, or IXFR answered as one). */
static int plan_full(struct xfer *x, const struct fzone *z)
{
	size_t cap = 0;
	int rc = push_seg(x, &cap, NULL, z->serial) | push_seg(x, &cap, &x->img->base, 0);
	for (size_t i = 0; rc == 0 && i < x->img->n_sw; i++)
		rc = push_seg(x, &cap, &x->img->sw[i].sel[z->sels[i] & 3], 0);
	return rc | push_seg(x, &cap, NULL, z->serial);
}

/* One condensed difference from version index FROM to the latest
 * (RFC 1995 4 allows merging): SOA new, SOA old, deletions, SOA new,
 * additions, SOA new. */
static int plan_diff(struct xfer *x, const struct fzone *z, size_t from, uint32_t old)
{
	size_t cap = 0, n_sw = x->img->n_sw;
	int16_t *first = malloc((n_sw ? n_sw : 1) * sizeof(*first));
	int rc;

	if (first == NULL)
		return -1;
	for (size_t i = 0; i < n_sw; i++)
		first[i] = -1;
	for (size_t k = from + 1; k < z->n; k++) {
		const struct fversion *v = &z->hist[(z->head + k) % z->cap];
		for (uint32_t j = 0; j < v->n; j++)
			if (first[v->ch[j].slot] < 0)
				first[v->ch[j].slot] = v->ch[j].from;
	}
	rc = push_seg(x, &cap, NULL, z->serial) | push_seg(x, &cap, NULL, old);
	for (size_t i = 0; rc == 0 && i < n_sw; i++)
		if (first[i] >= 0 && first[i] != z->sels[i])
			rc = push_seg(x, &cap, &x->img->sw[i].sel[first[i] & 3], 0);
	rc |= push_seg(x, &cap, NULL, z->serial);
	for (size_t i = 0; rc == 0 && i < n_sw; i++)
		if (first[i] >= 0 && first[i] != z->sels[i])
			rc = push_seg(x, &cap, &x->img->sw[i].sel[z->sels[i] & 3], 0);
	rc |= push_seg(x, &cap, NULL, z->serial);
	free(first);
	return rc;
}

/* Accept a transfer request that passed every check. */
static void start_transfer(struct xconn *c, const uint8_t *msg, size_t len, const struct wire_query *q,
                           enum xfr_type type, struct tsig_ctx *t)
{
	struct fleet *f = c->f;
	struct xfer *x = calloc(1, sizeof(*x));
	struct fzone *z;
	uint32_t client = 0;
	int rc = -1;

	if (x == NULL) {
		conn_close(c);
		return;
	}
	if (type == XT_IXFR && ixfr_serial(msg, len, q, &client) < 0) {
		count(f, type, XR_FORMERR);
		log_warning("fleet: IXFR from %s without an SOA in authority: FORMERR", c->peer_text);
		send_error(c, msg, q, 1, RCODE_FORMERR, t, 0, 0, len);
		free(x);
		return;
	}
	fleet_commit(f); /* changes still in the batch window go out now */
	pthread_mutex_lock(&f->lock);
	z = fleet_zone_find(f, q->lname, q->qname_len);
	if (z != NULL) {
		x->img = ximage_ref(z->img);
		x->zi = (size_t)(z - f->zones);
		x->serial = z->serial;
		if (type == XT_IXFR)
			notify_peer_serial(f, (const struct sockaddr *)&c->peer, x->zi, client);
		if (type == XT_IXFR && !fleet_serial_newer(z->serial, client)) {
			size_t cap = 0; /* up to date: the SOA alone (RFC 1995 2) */
			rc = push_seg(x, &cap, NULL, z->serial);
			snprintf(x->what, sizeof(x->what), "IXFR (up to date)");
		} else if (type == XT_IXFR && fleet_behind(z, client) >= 0) {
			rc = plan_diff(x, z, z->n - 1 - (size_t)fleet_behind(z, client), client);
			snprintf(x->what, sizeof(x->what), "IXFR from %u", client);
		} else {
			rc = plan_full(x, z);
			snprintf(x->what, sizeof(x->what), type == XT_IXFR ? "IXFR (whole zone)" : "AXFR");
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (z == NULL) {
		count(f, type, XR_NOTFOUND);
		log_notice("fleet: %s from %s for a zone not served: NOTAUTH", type == XT_AXFR ? "AXFR" : "IXFR",
		           c->peer_text);
		send_error(c, msg, q, 1, RCODE_NOTAUTH, t, 0, 0, len);
		xfer_free(x);
		return;
	}
	if (rc != 0) {
		xfer_free(x);
		conn_close(c);
		return;
	}
	count(f, type, XR_OK);
	x->type = type;
	x->id = q->id;
	x->qlen = q->question_end - WIRE_HEADER_LEN;
	memcpy(x->question, msg + WIRE_HEADER_LEN, x->qlen);
	if (t != NULL) {
		x->is_signed = 1;
		x->tsig = *t;
	}
	x->started_ms = fleet_now_ms();
	c->x = x;
	pump(c);
}

/* Answer a query that is not a transfer (an SOA query on the same
 * connection) the way the workers do. */
static void answer_other(struct xconn *c, const uint8_t *msg, size_t len)
{
	static _Thread_local uint8_t out[XFR_MSG_MAX];
	size_t n;

	rcu_read_lock(c->f->rcu_slot);
	n = answer_query(view_current(), msg, len, out, sizeof(out), ANSWER_TCP, (const struct sockaddr *)&c->peer,
	                 &c->f->actx);
	rcu_read_unlock(c->f->rcu_slot);
	if (n == 0)
		conn_close(c);
	else
		send_msg(c, out, n);
}

static void handle(struct xconn *c, const uint8_t *msg, size_t len)
{
	struct fleet *f = c->f;
	struct wire_query q;
	struct tsig_ctx t, *tp = NULL;
	enum xfr_type type;
	enum wire_status st = wire_parse_query(msg, len, &q);

	if (st == WIRE_DROP) {
		conn_close(c);
		return;
	}
	if (st != WIRE_OK || (q.qtype != TYPE_AXFR && q.qtype != TYPE_IXFR)) {
		if (st == WIRE_FORMERR)
			log_notice("fleet: malformed request from %s: FORMERR", c->peer_text);
		answer_other(c, msg, len);
		return;
	}
	type = q.qtype == TYPE_AXFR ? XT_AXFR : XT_IXFR;
	if (q.tsig_off != 0) {
		int err = tsig_verify_request(f->keys, f->n_keys, msg, len, q.tsig_off, (uint64_t)time(NULL), &t);
		if (err == TSIG_FORMERR) {
			count(f, type, XR_FORMERR);
			log_warning("fleet: transfer request from %s with a malformed TSIG: FORMERR", c->peer_text);
			send_error(c, msg, &q, 0, RCODE_FORMERR, NULL, 0, 0, len);
			return;
		}
		if (err != TSIG_NOERROR) {
			count(f, type, XR_NOTAUTH);
			log_warning("fleet: transfer request from %s refused: TSIG %s", c->peer_text,
			            err == TSIG_BADKEY ? "BADKEY (unknown key)" : err == TSIG_BADSIG ? "BADSIG (wrong MAC)"
			                                                                             : "BADTIME (clock outside the fudge)");
			/* The error goes back with the question, unsigned but for
			 * BADTIME (RFC 8945 5.2); strip the TSIG for the echo. */
			send_error(c, msg, &q, 1, RCODE_NOTAUTH, &t, 1, q.tsig_off, len);
			return;
		}
		tp = &t;
	}
	if (!xfr_peer_allowed(f, (const struct sockaddr *)&c->peer)) {
		count(f, type, XR_REFUSED);
		log_warning("fleet: transfer request from %s refused: address not in fleet.secondaries or transfer_allow",
		            c->peer_text);
		send_error(c, msg, &q, 1, RCODE_REFUSED, tp, 0, 0, len);
		return;
	}
	if (tp == NULL && f->require_key) {
		count(f, type, XR_REFUSED);
		log_warning("fleet: transfer request from %s refused: no TSIG and fleet.require_key is set", c->peer_text);
		send_error(c, msg, &q, 1, RCODE_REFUSED, NULL, 0, 0, len);
		return;
	}
	if (q.qclass != CLASS_IN_) {
		count(f, type, XR_NOTFOUND);
		send_error(c, msg, &q, 1, RCODE_NOTAUTH, tp, 0, 0, len);
		return;
	}
	start_transfer(c, msg, len, &q, type, tp);
}

/* Every complete message in the buffer, until a transfer starts. */
static void process(struct xconn *c)
{
	size_t off = 0;

	while (!c->closing && c->x == NULL && c->rlen - off >= 2) {
		size_t mlen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
		if (mlen < WIRE_HEADER_LEN) {
			log_notice("fleet: %s sent a %zu-byte message: closing", c->peer_text, mlen);
			conn_close(c);
			return;
		}
		if (c->rlen - off - 2 < mlen)
			break;
		handle(c, c->rbuf + off + 2, mlen);
		off += 2 + mlen;
	}
	if (c->closing)
		return;
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	if (c->eof && c->x == NULL && c->inflight == 0)
		conn_close(c);
}

/* Close connections idle or stalled for XFR_IDLE_MS. */
void xfr_sweep(struct fleet *f)
{
	uint64_t now = uv_now(&f->loop);
	struct xconn *c = f->conns;
	while (c != NULL) {
		struct xconn *next = c->next;
		if (now - c->last_ms > XFR_IDLE_MS) {
			log_notice("fleet: closing the transfer connection from %s: idle or stalled for %d s", c->peer_text,
			           XFR_IDLE_MS / 1000);
			conn_close(c);
		}
		c = next;
	}
}
