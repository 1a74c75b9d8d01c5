/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wire.h -- parse the parts of a DNS query routerd acts on (RFC 1035 4.1,
 * RFC 6891 for EDNS, RFC 7871 for Client Subnet), without allocating.
 */
#ifndef ROUTERD_WIRE_H
#define ROUTERD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_HEADER_LEN 12
#define WIRE_NAME_MAX 255
#define WIRE_LABELS_MAX 128

#define RCODE_NOERROR 0
#define RCODE_FORMERR 1
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_NOTIMP 4
#define RCODE_REFUSED 5
#define RCODE_YXDOMAIN 6 /* RFC 6672 2.2: a DNAME substitution too long */
#define RCODE_BADVERS 16 /* RFC 6891 6.1.3: extended, upper 8 bits in OPT */

#define TYPE_A 1
#define TYPE_NS 2
#define TYPE_CNAME 5
#define TYPE_SOA 6
#define TYPE_PTR 12
#define TYPE_MX 15
#define TYPE_TXT 16
#define TYPE_AAAA 28
#define TYPE_SRV 33
#define TYPE_DNAME 39
#define TYPE_OPT 41
#define TYPE_DS 43
#define TYPE_IXFR 251
#define TYPE_AXFR 252
#define TYPE_ANY 255
#define CLASS_IN 1

enum wire_status {
	WIRE_OK = 0,
	WIRE_DROP,    /* not a query we answer at all: QR set, or under 12 bytes */
	WIRE_FORMERR, /* malformed: answer FORMERR */
	WIRE_NOTIMP,  /* an opcode other than QUERY */
};

struct wire_query {
	uint16_t id;
	uint8_t flags_hi;           /* header byte 2 as received (opcode, RD) */
	uint16_t qtype, qclass;
	uint8_t qname_len;          /* wire length incl. the root label */
	uint8_t nlabels;            /* labels, the root excluded */
	uint16_t question_end;      /* offset just past the question */
	uint8_t lname[WIRE_NAME_MAX];        /* qname in lower case */
	uint8_t label_off[WIRE_LABELS_MAX];  /* offset of each label in lname */

	uint8_t edns;          /* 1 when an OPT RR was present */
	uint8_t edns_version;
	uint8_t edns_do;       /* DNSSEC OK bit */
	uint16_t edns_bufsize;
	uint8_t ecs_family;    /* 0: none; 1 IPv4; 2 IPv6 */
	uint8_t ecs_prefix;
	uint8_t ecs_addr[16];
};

/*
 * Parse PKT (LEN bytes). On WIRE_OK, Q holds the question and EDNS. On
 * WIRE_FORMERR or WIRE_NOTIMP, Q->id and flags are valid and, when the
 * question could be read, qname_len is non-zero.
 */
enum wire_status wire_parse_query(const uint8_t *pkt, size_t len, struct wire_query *q);

/* Lower-case a wire-format name of LEN bytes in place. */
void wire_name_lower(uint8_t *name, size_t len);

/*
 * The domain names in the RDATA of TYPE that may be compressed (the RFC
 * 1035 types only, RFC 3597 4): returns how many follow one another after
 * *SKIP fixed bytes (MX: 2), or 0 when TYPE has none to compress.
 */
unsigned wire_rdata_names(uint16_t type, unsigned *skip);

static inline uint16_t wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
