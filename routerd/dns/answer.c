/* SPDX-License-Identifier: BSD-3-Clause */
/* answer.c -- see answer.h. */
#include "dns/answer.h"

#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "lib/ring.h"
#include "lib/tsig.h"
#include "zone/view.h"
#include "zone/view_int.h"
#include "lib/wire.h"

/* RFC 1035 4.2.1: without EDNS a UDP message is at most 512 bytes. */
#define UDP_CLASSIC_MAX 512
#define TCP_MAX 65535
#define OPT_LEN 11 /* root owner, type, class, TTL, RDLENGTH 0 */
#define EDE_LEN 6  /* an Extended DNS Error option without text (RFC 8914) */

/* RFC 8914 4: why a query was refused. */
#define EDE_NONE -1
#define EDE_PROHIBITED 18
#define EDE_NOT_AUTHORITATIVE 20
#define EDE_NOT_SUPPORTED 21
#define CLASS_ANY 255

static enum answer_qtype_bucket bucket(uint16_t qtype)
{
	switch (qtype) {
	case TYPE_A: return QT_A;
	case TYPE_AAAA: return QT_AAAA;
	case TYPE_CNAME: return QT_CNAME;
	case TYPE_NS: return QT_NS;
	case TYPE_SOA: return QT_SOA;
	case TYPE_MX: return QT_MX;
	case TYPE_TXT: return QT_TXT;
	case TYPE_SRV: return QT_SRV;
	case TYPE_PTR: return QT_PTR;
	case TYPE_DS: return QT_DS;
	case TYPE_ANY: return QT_ANY;
	default: return QT_OTHER;
	}
}

static const struct blob *find_type(const struct answers *a, uint16_t qtype)
{
	/* A node has a handful of types: a linear scan beats a search. */
	for (uint16_t i = 0; i < a->n_types; i++)
		if (a->types[i].type == qtype)
			return a->types[i].blob;
	return a->other;
}

static void record(const struct view *v, const struct node *n, unsigned sel, const struct wire_query *q,
                   const struct sockaddr *peer, struct answer_ctx *ctx)
{
	struct track_obs o;
	struct timespec ts;

	if (ctx->ring == NULL)
		return;
	/* The precise clock, not the coarse one (a few ns cheaper): a copy
	 * expires on a whole second, so busy resolvers fetch a few ms after
	 * one, and the coarse clock's lag of up to a tick would put such a
	 * fetch in the second before; the next gap, counted from that second,
	 * would gain a whole second of wait and halve the demand learned. */
	clock_gettime(CLOCK_REALTIME, &ts);
	o.time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	o.switch_id = (uint32_t)n->sw;
	o.qtype = q->qtype;
	o.side = (uint8_t)(sel & VIEW_SEL_ORIGIN);
	o.ecs_family = q->ecs_family;
	o.ecs_prefix = q->ecs_prefix;
	memcpy(o.ecs_addr, q->ecs_addr, sizeof(o.ecs_addr));
	memset(o.addr, 0, sizeof(o.addr));
	o.family = 0;
	if (peer != NULL && peer->sa_family == AF_INET) {
		o.family = AF_INET;
		memcpy(o.addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	} else if (peer != NULL && peer->sa_family == AF_INET6) {
		o.family = AF_INET6;
		memcpy(o.addr, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
	}
	track_ring_push(ctx->ring, &o);
	(void)v;
}

/* The answer at node N: referral below a cut, else by type and switch side. */
static const struct blob *node_blob(const struct view *v, const struct node *n, const struct wire_query *q,
                                    enum answer_proto proto, const struct sockaddr *peer, struct answer_ctx *ctx)
{
	const struct answers *a;
	unsigned sel = 0;

	if (n->cut != NULL && !(n->cut == n && q->qtype == TYPE_DS))
		return n->cut->referral;
	if (n->sw >= 0) {
		sel = atomic_load_explicit(&v->switches[n->sw].sel, memory_order_relaxed);
		record(v, n, sel, q, peer, ctx);
	}
	a = &n->ans[sel];
	if (q->qtype == TYPE_ANY)
		return proto == ANSWER_TCP ? a->any_tcp : a->any_udp;
	return find_type(a, q->qtype);
}

/* Find the blob for the query; NULL means no zone of ours holds the name. */
static const struct blob *lookup(const struct view *v, const struct wire_query *q, enum answer_proto proto,
                                 const struct sockaddr *peer, struct answer_ctx *ctx)
{
	const struct node *n = view_lookup(v, q->lname, q->qname_len);

	if (n != NULL)
		return node_blob(v, n, q, proto, peer, ctx);
	/* The closest encloser (RFC 4592 3.3.1): strip labels until a name exists. */
	for (unsigned i = 1; i <= q->nlabels; i++) {
		unsigned off = i < q->nlabels ? q->label_off[i] : q->qname_len - 1u;
		const struct node *ce = view_lookup(v, q->lname + off, q->qname_len - off);
		if (ce == NULL)
			continue;
		if (ce->cut != NULL)
			return ce->cut->referral;
		if (ce->wild != NULL)
			return node_blob(v, ce->wild, q, proto, peer, ctx);
		return ce->zone->nxdomain;
	}
	return NULL;
}

static size_t put_opt(uint8_t *p, const struct view *v, const struct wire_query *q, unsigned rcode, int ede)
{
	p[0] = 0;
	wire_put16(p + 1, TYPE_OPT);
	wire_put16(p + 3, v->udp_payload_max);
	p[5] = (uint8_t)(rcode >> 4); /* RFC 6891 6.1.3: upper 8 bits of the rcode */
	p[6] = 0;                     /* version 0 */
	p[7] = q->edns_do ? 0x80 : 0; /* RFC 3225 3: DO is copied */
	p[8] = 0;
	if (ede == EDE_NONE) {
		wire_put16(p + 9, 0);
		return OPT_LEN;
	}
	wire_put16(p + 9, EDE_LEN);
	wire_put16(p + 11, 15); /* option EDE */
	wire_put16(p + 13, 2);
	wire_put16(p + 15, (uint16_t)ede);
	return OPT_LEN + EDE_LEN;
}

static void put_header(uint8_t *out, const struct wire_query *q, unsigned rcode, int aa, int tc, const uint16_t count[4])
{
	wire_put16(out, q->id);
	/* QR, the opcode as asked, AA, TC, and RD copied (RFC 1035 4.1.1). CD
	 * is cleared: it means nothing to an authoritative answer. */
	out[2] = (uint8_t)(0x80 | (q->flags_hi & 0x79) | (aa ? 0x04 : 0) | (tc ? 0x02 : 0));
	out[3] = (uint8_t)(rcode & 0x0f);
	for (int i = 0; i < 4; i++)
		wire_put16(out + 4 + 2 * i, count[i]);
}

/* A response with no records: errors, REFUSED, BADVERS, NOTIMP. */
static size_t error_response(const struct view *v, const uint8_t *qpkt, const struct wire_query *q, uint8_t *out,
                             unsigned rcode, int with_question, int ede, struct answer_ctx *ctx)
{
	uint16_t count[4] = { 0, 0, 0, 0 };
	size_t len = WIRE_HEADER_LEN;

	if (with_question) {
		count[0] = 1;
		memcpy(out + len, qpkt + len, q->question_end - len);
		len = q->question_end;
	}
	if (with_question && q->edns) {
		count[3] = 1;
		len += put_opt(out + len, v, q, rcode, ede);
	}
	put_header(out, q, rcode, 0, 0, count);
	stat_add(&ctx->stats.rcodes[rcode < 24 ? rcode : 23], 1);
	return len;
}

/* The query without its TSIG, per thread: a signed query is answered as
 * the same query unsigned, then the answer is signed. */
static _Thread_local uint8_t unsigned_query[65535];

/*
 * A query that carries a TSIG (RFC 8945 5.2), whatever its type: verified
 * against fleet.keys, or refused with NOTAUTH and the TSIG error (BADKEY,
 * BADSIG, BADTIME) as NSD does; a good one gets its answer signed.
 */
static size_t answer_signed(const struct view *v, const uint8_t *qpkt, size_t qlen, const struct wire_query *q,
                            uint8_t *out, size_t outcap, enum answer_proto proto, const struct sockaddr *peer,
                            struct answer_ctx *ctx)
{
	struct tsig_ctx t;
	uint64_t now = (uint64_t)time(NULL);
	size_t off = q->tsig_off, len;
	int err = tsig_verify_request(v->tsig_keys, v->n_tsig_keys, qpkt, qlen, off, now, &t);

	if (err == TSIG_FORMERR)
		return error_response(v, qpkt, q, out, RCODE_FORMERR, 0, EDE_NONE, ctx);
	memcpy(unsigned_query, qpkt, off);
	wire_put16(unsigned_query + 10, (uint16_t)(wire_get16(qpkt + 10) - 1));
	if (err != TSIG_NOERROR) {
		struct wire_query uq;
		if (wire_parse_query(unsigned_query, off, &uq) != WIRE_OK)
			return error_response(v, qpkt, q, out, RCODE_FORMERR, 0, EDE_NONE, ctx);
		len = error_response(v, unsigned_query, &uq, out, RCODE_NOTAUTH, 1, EDE_NONE, ctx);
		if (tsig_error_rr(&t, qpkt, qlen, off, out, &len, outcap, now) < 0)
			return error_response(v, qpkt, q, out, RCODE_FORMERR, 0, EDE_NONE, ctx);
		return len;
	}
	if (outcap < 512 + tsig_rr_size(t.key))
		return 0;
	len = answer_query(v, unsigned_query, off, out, outcap - tsig_rr_size(t.key), proto, peer, ctx);
	if (len == 0 || tsig_sign(&t, out, &len, outcap, now, 1) < 0)
		return 0;
	return len;
}

size_t answer_query(const struct view *v, const uint8_t *qpkt, size_t qlen, uint8_t *out, size_t outcap,
                    enum answer_proto proto, const struct sockaddr *peer, struct answer_ctx *ctx)
{
	struct wire_query q;
	const struct blob *b;
	size_t limit, avail, cut, len;
	uint16_t count[4];
	int tc = 0;

	switch (wire_parse_query(qpkt, qlen, &q)) {
	case WIRE_DROP:
		stat_add(&ctx->stats.dropped, 1);
		return 0;
	case WIRE_FORMERR:
		/* Echo nothing we could not parse: header only, counts zero. */
		return error_response(v, qpkt, &q, out, RCODE_FORMERR, 0, EDE_NONE, ctx);
	case WIRE_NOTIMP:
		return error_response(v, qpkt, &q, out, RCODE_NOTIMP, q.qname_len != 0, EDE_NONE, ctx);
	case WIRE_OK:
		break;
	}
	if (q.tsig_off != 0)
		return answer_signed(v, qpkt, qlen, &q, out, outcap, proto, peer, ctx);
	stat_add(&ctx->stats.queries[proto][bucket(q.qtype)], 1);
	if (q.edns && q.edns_version > 0) /* RFC 6891 6.1.3 */
		return error_response(v, qpkt, &q, out, RCODE_BADVERS, 1, EDE_NONE, ctx);
	/* Zone transfers are not served: AXFR over UDP does not exist (RFC
	 * 5936 4.2), and over TCP, or IXFR, is a transfer we refuse. */
	if (q.qtype == TYPE_AXFR && proto == ANSWER_UDP)
		return error_response(v, qpkt, &q, out, RCODE_NOTIMP, 1, EDE_NONE, ctx);
	if (q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR)
		return error_response(v, qpkt, &q, out, RCODE_REFUSED, 1, EDE_PROHIBITED, ctx);
	/* Class IN, or ANY (answered from IN, but not authoritatively, as NSD
	 * does: RFC 1035 6.1 leaves an ANY-class answer to no single zone). */
	if (q.qclass != CLASS_IN && q.qclass != CLASS_ANY)
		return error_response(v, qpkt, &q, out, RCODE_REFUSED, 1, EDE_NOT_SUPPORTED, ctx);
	b = lookup(v, &q, proto, peer, ctx);
	if (b == NULL)
		return error_response(v, qpkt, &q, out, RCODE_REFUSED, 1, EDE_NOT_AUTHORITATIVE, ctx);

	if (proto == ANSWER_TCP)
		limit = TCP_MAX;
	else if (!q.edns || q.edns_bufsize <= UDP_CLASSIC_MAX)
		limit = UDP_CLASSIC_MAX;
	else
		limit = q.edns_bufsize < v->udp_payload_max ? q.edns_bufsize : v->udp_payload_max;
	if (limit > outcap)
		limit = outcap;
	avail = limit - q.question_end - (q.edns ? OPT_LEN : 0);

	count[0] = 1;
	count[1] = b->count[0];
	count[2] = b->count[1];
	count[3] = b->count[2];
	cut = b->len;
	if (b->len > avail) {
		/* Whole RRsets only; a missing answer or authority RRset means TC
		 * (RFC 2181 9), a missing additional one does not. */
		count[1] = count[2] = count[3] = 0;
		cut = 0;
		for (uint16_t i = 0; i < b->n_rrsets; i++) {
			const struct blob_rrset *r = &b->rrsets[i];
			if (r->end > avail) {
				tc = r->section != SEC_ADDITIONAL;
				break;
			}
			count[1 + r->section] += r->count;
			cut = r->end;
		}
	}
	/* QCLASS * (RFC 6895 3.2): answered from IN data but not
	 * authoritatively, so without the SOA that proves a negative (NSD). */
	if (q.qclass == CLASS_ANY && b->aa && b->count[0] == 0) {
		count[2] = count[3] = 0;
		cut = 0;
	}
	len = q.question_end;
	memcpy(out + WIRE_HEADER_LEN, qpkt + WIRE_HEADER_LEN, len - WIRE_HEADER_LEN);
	memcpy(out + len, b->data, cut);
	if (b->n_patch && q.qname_len != b->anchor_len) {
		unsigned delta = q.qname_len - b->anchor_len;
		for (uint16_t i = 0; i < b->n_patch && b->patch[i] < cut; i++) {
			uint8_t *p = out + len + b->patch[i];
			wire_put16(p, (uint16_t)(wire_get16(p) + delta));
		}
	}
	if (b->serial_off < cut)
		wire_put32(out + len + b->serial_off, atomic_load_explicit(b->serial, memory_order_relaxed));
	len += cut;
	if (q.edns) {
		count[3]++;
		len += put_opt(out + len, v, &q, b->rcode, EDE_NONE);
	}
	put_header(out, &q, b->rcode, b->aa && q.qclass == CLASS_IN, tc, count);
	stat_add(&ctx->stats.rcodes[b->rcode], 1);
	if (tc)
		stat_add(&ctx->stats.truncated, 1);
	return len;
}
