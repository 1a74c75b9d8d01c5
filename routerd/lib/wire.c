/* SPDX-License-Identifier: BSD-3-Clause */
/* wire.c -- see wire.h. */
#include "lib/wire.h"

#include <string.h>

/* ASCII lower-casing by table: DNS names compare case-insensitively for
 * ASCII letters only (RFC 4343), and a table is branch-free. */
/* clang-format off */
static const uint8_t lower_table[256] = {
#define L(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))
#define R4(b) L(b), L(b + 1), L(b + 2), L(b + 3)
#define R16(b) R4(b), R4(b + 4), R4(b + 8), R4(b + 12)
	R16(0),   R16(16),  R16(32),  R16(48),  R16(64),  R16(80),  R16(96),  R16(112),
	R16(128), R16(144), R16(160), R16(176), R16(192), R16(208), R16(224), R16(240),
#undef R16
#undef R4
#undef L
};
/* clang-format on */

void wire_name_lower(uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		name[i] = lower_table[name[i]];
}

unsigned wire_rdata_names(uint16_t type, unsigned *skip)
{
	*skip = 0;
	switch (type) {
	case 2:  /* NS */
	case 3:  /* MD */
	case 4:  /* MF */
	case 5:  /* CNAME */
	case 7:  /* MB */
	case 8:  /* MG */
	case 9:  /* MR */
	case 12: /* PTR */
		return 1;
	case 6:  /* SOA: MNAME RNAME, then the numbers */
	case 14: /* MINFO: RMAILBX EMAILBX */
		return 2;
	case 15: /* MX: PREFERENCE EXCHANGE */
		*skip = 2;
		return 1;
	default:
		return 0;
	}
}

/* RFC 7871 6: FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH, ADDRESS.
 * A malformed option is FORMERR (7871 7.1.1); we only keep the subnet. */
static int parse_ecs(const uint8_t *p, uint16_t len, struct wire_query *q)
{
	uint16_t family;
	uint8_t prefix, addrlen, maxlen;

	if (len < 4)
		return -1;
	family = wire_get16(p);
	prefix = p[2];
	if (p[3] != 0) /* SCOPE must be 0 in queries */
		return -1;
	maxlen = family == 1 ? 32 : (family == 2 ? 128 : 0);
	if (maxlen == 0 || prefix > maxlen)
		return -1;
	addrlen = (uint8_t)((prefix + 7) / 8);
	if (len - 4 != addrlen)
		return -1;
	q->ecs_family = (uint8_t)family;
	q->ecs_prefix = prefix;
	memset(q->ecs_addr, 0, sizeof(q->ecs_addr));
	memcpy(q->ecs_addr, p + 4, addrlen);
	return 0;
}

/* Parse the OPT RR whose fixed part starts at P (after its root owner). */
static int parse_opt(const uint8_t *p, const uint8_t *end, struct wire_query *q)
{
	uint16_t rdlen;
	const uint8_t *opt, *opt_end;

	if (q->edns) /* RFC 6891 6.1.1: more than one OPT is FORMERR */
		return -1;
	if (end - p < 10)
		return -1;
	q->edns = 1;
	q->edns_bufsize = wire_get16(p + 2);
	q->edns_version = p[5];
	q->edns_do = (p[6] & 0x80) != 0;
	rdlen = wire_get16(p + 8);
	opt = p + 10;
	opt_end = opt + rdlen;
	if (opt_end > end)
		return -1;
	while (opt < opt_end) {
		uint16_t code, olen;
		if (opt_end - opt < 4)
			return -1;
		code = wire_get16(opt);
		olen = wire_get16(opt + 2);
		opt += 4;
		if (opt_end - opt < olen)
			return -1;
		if (code == 8 && parse_ecs(opt, olen, q) < 0)
			return -1;
		/* Unknown options are ignored (RFC 6891 6.1.2). */
		opt += olen;
	}
	return 0;
}

/* Skip a possibly compressed name in a record; returns the next byte or NULL. */
static const uint8_t *skip_name(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		uint8_t c = *p;
		if (c == 0)
			return p + 1;
		if ((c & 0xc0) == 0xc0)
			return end - p >= 2 ? p + 2 : NULL;
		if (c & 0xc0)
			return NULL;
		p += 1 + c;
	}
	return NULL;
}

static enum wire_status parse_question(const uint8_t *pkt, size_t len, struct wire_query *q, size_t *pos)
{
	size_t p = WIRE_HEADER_LEN, n = 0;
	unsigned labels = 0;

	for (;;) {
		uint8_t c;
		if (p >= len)
			return WIRE_FORMERR;
		c = pkt[p];
		if (c == 0)
			break;
		/* A pointer in the question has nothing to point back to. */
		if (c & 0xc0)
			return WIRE_FORMERR;
		if (n + 1 + c + 1 > WIRE_NAME_MAX || labels >= WIRE_LABELS_MAX - 1 || p + 1 + c >= len)
			return WIRE_FORMERR;
		q->label_off[labels++] = (uint8_t)n;
		q->lname[n] = c;
		for (unsigned i = 1; i <= c; i++)
			q->lname[n + i] = lower_table[pkt[p + i]];
		n += 1u + c;
		p += 1u + c;
	}
	q->lname[n++] = 0;
	p++;
	if (len - p < 4)
		return WIRE_FORMERR;
	q->qname_len = (uint8_t)n;
	q->nlabels = (uint8_t)labels;
	q->qtype = wire_get16(pkt + p);
	q->qclass = wire_get16(pkt + p + 2);
	p += 4;
	q->question_end = (uint16_t)p;
	*pos = p;
	return WIRE_OK;
}

/* A malformed query: FORMERR, or for an opcode we do not implement NOTIMP
 * (the opcode is judged first, as NSD and Knot do), with nothing echoed. */
static enum wire_status malformed(struct wire_query *q, unsigned opcode)
{
	if (opcode == 0)
		return WIRE_FORMERR;
	q->qname_len = 0;
	q->edns = 0;
	return WIRE_NOTIMP;
}

enum wire_status wire_parse_query(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	const uint8_t *p, *end = pkt + len;
	unsigned qd, an, ns, ar, skip, opcode;
	size_t pos;
	enum wire_status st;

	if (len < WIRE_HEADER_LEN)
		return WIRE_DROP;
	q->id = wire_get16(pkt);
	q->flags_hi = pkt[2];
	q->qname_len = 0;
	q->edns = 0;
	q->ecs_family = 0;
	if (q->flags_hi & 0x80) /* QR: a response; never answer it (no loops) */
		return WIRE_DROP;
	qd = wire_get16(pkt + 4);
	an = wire_get16(pkt + 6);
	ns = wire_get16(pkt + 8);
	ar = wire_get16(pkt + 10);
	/* The opcode comes first (as NSD and Knot check it): an opcode we do
	 * not implement is NOTIMP whatever follows, a missing or malformed
	 * question included; the reply then carries no question. */
	opcode = (q->flags_hi >> 3) & 0xf;
	if (qd != 1)
		return opcode != 0 ? WIRE_NOTIMP : WIRE_FORMERR;
	st = parse_question(pkt, len, q, &pos);
	if (st != WIRE_OK)
		return malformed(q, opcode);
	/* A query carries no answer or authority records (RFC 1035 4.1.1),
	 * except the SOA an IXFR query puts in authority (RFC 1995 3). Other
	 * opcodes are not ours to judge: skip what they carry. */
	if (opcode == 0 && (an != 0 || (ns != 0 && q->qtype != TYPE_IXFR)))
		return WIRE_FORMERR;
	ar += an + ns;
	skip = an + ns;
	p = pkt + pos;
	for (unsigned i = 0; i < ar; i++) {
		const uint8_t *rr = p, *fixed = skip_name(p, end);
		uint16_t type;
		if (fixed == NULL || end - fixed < 10)
			return malformed(q, opcode);
		type = wire_get16(fixed);
		if (i >= skip && type == TYPE_OPT) {
			/* RFC 6891 6.1.1: the OPT owner is the root. */
			if (*rr != 0 || parse_opt(fixed, end, q) < 0)
				return malformed(q, opcode);
		}
		p = fixed + 10 + wire_get16(fixed + 8);
		if (p > end)
			return malformed(q, opcode);
	}
	return opcode != 0 ? WIRE_NOTIMP : WIRE_OK;
}
