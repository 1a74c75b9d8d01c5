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
#define EDE_OTHER 0
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
	o.side = (uint8_t)view_sel_side(sel);
	o.server = 0; /* routerd itself; secondaries are numbered by the dnstap collector */
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
	return answers_find(a, q->qtype);
}

/* Find the blob for the query; NULL means no zone of ours holds the name.
 * Below a DNAME, *DNAME is set to its owner and the blob is its DNAME RRset. */
/* Inlined (as put_blob): the fast path stays one function, as before DNAME. */
static inline __attribute__((always_inline)) const struct blob *
lookup(const struct view *v, const struct wire_query *q, enum answer_proto proto, const struct sockaddr *peer,
       struct answer_ctx *ctx, const struct node **dname)
{
	struct walk w = view_walk(v, q->lname, q->qname_len);

	switch (w.kind) {
	case WALK_NODE:
	case WALK_WILD:
		return node_blob(v, w.node, q, proto, peer, ctx);
	case WALK_REFERRAL:
		return w.node->referral;
	case WALK_NX:
		return w.node->zone->nxdomain;
	case WALK_DNAME:
		*dname = w.node;
		return w.node->referral;
	case WALK_NONE:
		break;
	}
	return NULL;
}

static size_t put_opt(uint8_t *p, const struct view *v, const struct wire_query *q, unsigned rcode, int ede)
{
	p[0] = 0;
	wire_put16(p + 1, TYPE_OPT);
	wire_put16(p + 3, v->udp_payload_max);
	p[5] = (uint8_t)(rcode >> 4); /* RFC 6891 6.1.3: upper 8 bits of the rcode */
	p[6] = 0; /* version 0 */
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

static inline void put_header(uint8_t *out, const struct wire_query *q, unsigned rcode, int aa, int tc,
                              const uint16_t count[4])
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

/* Copy B after the question (at LEN) into OUT, whole RRsets only, within
 * AVAIL bytes; patch its pointers for the query name's length and its
 * serial. Adds to COUNT[1..3]; returns the bytes written, *TC set when an
 * answer or authority RRset had to be left out (RFC 2181 9). */
static inline __attribute__((always_inline)) size_t put_blob(uint8_t *out, size_t len, const struct blob *b,
                                                             const struct wire_query *q, size_t avail,
                                                             uint16_t count[4], int *tc)
{
	uint16_t add[3] = { b->count[0], b->count[1], b->count[2] };
	size_t cut = b->len;

	if (b->len > avail) {
		/* Whole RRsets only; a missing answer or authority RRset means TC
		 * (RFC 2181 9), a missing additional one does not. */
		add[0] = add[1] = add[2] = 0;
		cut = 0;
		for (uint16_t i = 0; i < b->n_rrsets; i++) {
			const struct blob_rrset *r = &b->rrsets[i];
			if (r->end > avail) {
				*tc |= r->section != SEC_ADDITIONAL;
				break;
			}
			add[r->section] += r->count;
			cut = r->end;
		}
	}
	/* QCLASS * (RFC 6895 3.2): answered from IN data but not
	 * authoritatively, so without the SOA that proves a negative (NSD). */
	if (q->qclass == CLASS_ANY && b->aa && b->count[0] == 0) {
		add[1] = add[2] = 0;
		cut = 0;
	}
	memcpy(out + len, b->data, cut);
	if (b->n_patch && q->qname_len != b->anchor_len) {
		unsigned delta = q->qname_len - b->anchor_len;
		for (uint16_t i = 0; i < b->n_patch && b->patch[i] < cut; i++) {
			uint8_t *p = out + len + b->patch[i];
			wire_put16(p, (uint16_t)(wire_get16(p) + delta));
		}
	}
	if (b->serial_off < cut)
		wire_put32(out + len + b->serial_off, atomic_load_explicit(b->serial, memory_order_relaxed));
	for (int s = 0; s < 3; s++)
		count[1 + s] += add[s];
	return cut;
}

/* DNAME substitutions followed in one answer before giving up (a loop). */
#define DNAME_HOPS_MAX 8

static size_t respond_again(const struct view *v, const uint8_t *qpkt, const struct wire_query *q, uint8_t *out,
                            size_t limit, enum answer_proto proto, const struct sockaddr *peer,
                            struct answer_ctx *ctx, unsigned hops);

/* Move the pointer at P by the rules of relocate(): into the question
 * (the name N at 12) goes to NAME_AT; into the body goes to BODY_AT. */
static int relocate_ptr(uint8_t *p, unsigned q_end, unsigned name_at, unsigned body_at)
{
	unsigned t = wire_get16(p) & 0x3fff;
	t = t < q_end ? name_at + (t - WIRE_HEADER_LEN) : body_at + (t - q_end);
	if (t > 0x3fff)
		return -1;
	wire_put16(p, (uint16_t)(0xc000 | t));
	return 0;
}

/* Walk the name at P (inside [P, END)) and relocate its final pointer. */
static const uint8_t *relocate_name(uint8_t *p, const uint8_t *end, unsigned q_end, unsigned name_at,
                                    unsigned body_at)
{
	while (p < end) {
		if (*p == 0)
			return p + 1;
		if ((*p & 0xc0) == 0xc0)
			return end - p >= 2 && relocate_ptr(p, q_end, name_at, body_at) == 0 ? p + 2 : NULL;
		p += 1u + *p;
	}
	return NULL;
}

/*
 * A response we built (R, LEN bytes, question Q_END) is to be appended
 * with its body moved to offset BODY_AT of another message, where its
 * query name is written whole at NAME_AT. Rewrite every compression
 * pointer in its body (owners, and the RDATA names of the RFC 1035 types,
 * the only ones compile.c compresses). Returns 0, or -1 when a pointer
 * would not fit 14 bits.
 */
static int relocate(uint8_t *r, size_t len, unsigned q_end, unsigned name_at, unsigned body_at)
{
	unsigned n = wire_get16(r + 6) + wire_get16(r + 8) + wire_get16(r + 10);
	uint8_t *p = r + q_end;
	const uint8_t *end = r + len;

	for (unsigned i = 0; i < n; i++) {
		unsigned skip, names;
		uint16_t type, rdlen;
		uint8_t *rd;
		p = (uint8_t *)relocate_name(p, end, q_end, name_at, body_at);
		if (p == NULL || end - p < 10)
			return -1;
		type = wire_get16(p);
		rdlen = wire_get16(p + 8);
		rd = p + 10;
		if (rd + rdlen > end)
			return -1;
		if (type != TYPE_OPT && (names = wire_rdata_names(type, &skip)) > 0) {
			uint8_t *np = rd + skip;
			for (unsigned k = 0; k < names && np != NULL; k++)
				np = (uint8_t *)relocate_name(np, rd + rdlen, q_end, name_at, body_at);
			if (np == NULL)
				return -1;
		}
		p = rd + rdlen;
	}
	return 0;
}

/*
 * Below a DNAME (RFC 6672 3.1): its RRset, a CNAME from the query name to
 * the substituted name (YXDOMAIN when that is too long, 2.2), then the
 * answer for the substituted name, as a query for it would get it (the
 * CNAME chain rule: NSD and Knot follow it; the rcode is the last
 * name's, RFC 6604). That last part is the one answer not precompiled:
 * the name depends on the query. It is built by respond() at the end of
 * OUT and its body moved in place with relocated pointers.
 */
static size_t respond_dname(const struct view *v, const struct wire_query *q, const struct node *dn,
                            const struct blob *b, uint8_t *out, size_t limit, enum answer_proto proto,
                            const struct sockaddr *peer, struct answer_ctx *ctx, unsigned hops, uint16_t count[4],
                            int *tc, uint8_t *rcode)
{
	const uint8_t *target = b->data + DNAME_TARGET_OFF;
	size_t len = q->question_end, avail = limit - len - (q->edns ? OPT_LEN : 0), prefix, tlen = 0, nlen;
	uint8_t qbuf[WIRE_HEADER_LEN + 2 * WIRE_NAME_MAX + 4];
	struct wire_query q2;

	len += put_blob(out, len, b, q, avail, count, tc);
	if (*tc || count[1] == 0)
		return len;
	while (target[tlen] != 0)
		tlen += 1u + target[tlen];
	tlen++;
	prefix = q->qname_len - dn->name_len;
	nlen = prefix + tlen;
	if (nlen > WIRE_NAME_MAX) {
		*rcode = RCODE_YXDOMAIN;
		return len;
	}
	memset(&q2, 0, sizeof(q2));
	q2.qtype = q->qtype;
	q2.qclass = q->qclass;
	q2.qname_len = (uint8_t)nlen;
	q2.question_end = (uint16_t)(WIRE_HEADER_LEN + nlen + 4);
	memcpy(q2.lname, q->lname, prefix);
	memcpy(q2.lname + prefix, target, tlen);
	wire_name_lower(q2.lname + prefix, tlen);
	if (len + 12 + nlen > limit - (q->edns ? OPT_LEN : 0)) {
		/* Truncated (TC), but with the rcode of the whole answer, as
		 * NSD gives it: the substituted name's own. */
		const struct node *dn2 = NULL;
		const struct blob *b2 = q->qtype == TYPE_CNAME ? NULL : lookup(v, &q2, proto, peer, ctx, &dn2);
		if (b2 != NULL && dn2 == NULL)
			*rcode = b2->rcode;
		*tc = 1;
		return len;
	}
	/* The CNAME: owner the query name, TTL the DNAME's (RFC 6672 3.1). */
	wire_put16(out + len, 0xc000 | WIRE_HEADER_LEN);
	wire_put16(out + len + 2, TYPE_CNAME);
	wire_put16(out + len + 4, CLASS_IN);
	memcpy(out + len + 6, b->data + DNAME_TTL_OFF, 4);
	wire_put16(out + len + 10, (uint16_t)nlen);
	memcpy(out + len + 12, q2.lname, nlen);
	count[1]++;
	len += 12;
	if (q->qtype == TYPE_CNAME || hops >= DNAME_HOPS_MAX) {
		return len + nlen;
	}

	/* The substituted name, asked as its own query. */
	size_t name_at = len, rlen;
	len += nlen;
	memcpy(qbuf + WIRE_HEADER_LEN, out + name_at, nlen);
	wire_put16(qbuf + WIRE_HEADER_LEN + nlen, q->qtype);
	wire_put16(qbuf + WIRE_HEADER_LEN + nlen + 2, q->qclass);
	avail = limit - len - (q->edns ? OPT_LEN : 0);
	rlen = respond_again(v, qbuf, &q2, out + len, q2.question_end + avail, proto, peer, ctx, hops + 1);
	if (rlen == 0)
		return len; /* in no zone of ours: the resolver goes on from the CNAME */
	if (relocate(out + len, rlen, q2.question_end, (unsigned)name_at, (unsigned)len) < 0)
		return len;
	*rcode = out[len + 3] & 0x0f;
	*tc |= (out[len + 2] & 0x02) != 0;
	for (int s = 1; s < 4; s++)
		count[s] += wire_get16(out + len + 4 + 2 * s);
	memmove(out + len, out + len + q2.question_end, rlen - q2.question_end);
	return len + rlen - q2.question_end;
}

/*
 * The response to the parsed query Q (the question copied from QPKT) in
 * OUT, at most LIMIT bytes: header, question, answer, authority,
 * additional, and the OPT record when the query had one. Returns the
 * length, or 0 when no zone of ours holds the name. Inlined into
 * answer_query(), so that the fast path is one function; a DNAME answer
 * calls it again through respond_again().
 */
static inline __attribute__((always_inline)) size_t respond(const struct view *v, const uint8_t *qpkt,
                                                            const struct wire_query *q, uint8_t *out, size_t limit,
                                                            enum answer_proto proto, const struct sockaddr *peer,
                                                            struct answer_ctx *ctx, unsigned hops)
{
	const struct node *dname = NULL;
	const struct blob *b = lookup(v, q, proto, peer, ctx, &dname);
	uint16_t count[4] = { 1, 0, 0, 0 };
	uint8_t rcode;
	size_t len;
	int tc = 0;

	if (b == NULL)
		return 0;
	rcode = b->rcode;
	len = q->question_end;
	memcpy(out + WIRE_HEADER_LEN, qpkt + WIRE_HEADER_LEN, len - WIRE_HEADER_LEN);
	if (dname != NULL)
		len = respond_dname(v, q, dname, b, out, limit, proto, peer, ctx, hops, count, &tc, &rcode);
	else
		len += put_blob(out, len, b, q, limit - len - (q->edns ? OPT_LEN : 0), count, &tc);
	if (q->edns) {
		count[3]++;
		/* YXDOMAIN carries EDE 0 (Other), as NSD sends it (RFC 8914 4.1). */
		len += put_opt(out + len, v, q, rcode, rcode == RCODE_YXDOMAIN ? EDE_OTHER : EDE_NONE);
	}
	put_header(out, q, rcode, b->aa && q->qclass == CLASS_IN, tc, count);
	return len;
}

static size_t respond_again(const struct view *v, const uint8_t *qpkt, const struct wire_query *q, uint8_t *out,
                            size_t limit, enum answer_proto proto, const struct sockaddr *peer,
                            struct answer_ctx *ctx, unsigned hops)
{
	return respond(v, qpkt, q, out, limit, proto, peer, ctx, hops);
}

size_t answer_query(const struct view *v, const uint8_t *qpkt, size_t qlen, uint8_t *out, size_t outcap,
                    enum answer_proto proto, const struct sockaddr *peer, struct answer_ctx *ctx)
{
	struct wire_query q;
	size_t limit, len;

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

	if (proto == ANSWER_TCP)
		limit = TCP_MAX;
	else if (!q.edns || q.edns_bufsize <= UDP_CLASSIC_MAX)
		limit = UDP_CLASSIC_MAX;
	else
		limit = q.edns_bufsize < v->udp_payload_max ? q.edns_bufsize : v->udp_payload_max;
	if (limit > outcap)
		limit = outcap;
	len = respond(v, qpkt, &q, out, limit, proto, peer, ctx, 0);
	if (len == 0)
		return error_response(v, qpkt, &q, out, RCODE_REFUSED, 1, EDE_NOT_AUTHORITATIVE, ctx);
	stat_add(&ctx->stats.rcodes[out[3] & 0x0f], 1);
	if (out[2] & 0x02)
		stat_add(&ctx->stats.truncated, 1);
	return len;
}
