/* SPDX-License-Identifier: BSD-3-Clause */
/* dnstap_parse.c -- see dnstap_parse.h. */
#include "fleet/dnstap_parse.h"

#include <fstrm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dnstap.pb-c.h"
#include "lib/wire.h"
#include "zone/view.h"

const char *dt_strerror(int rc)
{
	switch (rc) {
	case DT_E_GARBAGE:
		return "garbage";
	case DT_E_OVERSIZED:
		return "oversized";
	case DT_E_CONTENT_TYPE:
		return "content_type";
	case DT_E_TRUNCATED:
		return "truncated";
	case DT_E_MESSAGE:
		return "message";
	case DT_E_NOMEM:
		return "nomem";
	default:
		return "ok";
	}
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- Frame Streams ---------------------------------------------------------- */

int dt_fs_init(struct dt_fs *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->ctl = fstrm_control_init();
	return fs->ctl ? 0 : DT_E_NOMEM;
}

void dt_fs_free(struct dt_fs *fs)
{
	if (fs->ctl != NULL)
		fstrm_control_destroy(&fs->ctl);
}

/* Append control frame TYPE (with our content type for ACCEPT) to REPLY. */
static int reply_control(struct dt_fs *fs, fstrm_control_type type, uint8_t *reply, size_t cap, size_t *used)
{
	size_t n = cap - *used;
	fstrm_control_reset(fs->ctl);
	if (fstrm_control_set_type(fs->ctl, type) != fstrm_res_success)
		return DT_E_NOMEM;
	if (type == FSTRM_CONTROL_ACCEPT &&
	    fstrm_control_add_field_content_type(fs->ctl, (const uint8_t *)DT_CONTENT_TYPE, strlen(DT_CONTENT_TYPE)) !=
	        fstrm_res_success)
		return DT_E_NOMEM;
	if (fstrm_control_encode(fs->ctl, reply + *used, &n, FSTRM_CONTROL_FLAG_WITH_HEADER) != fstrm_res_success)
		return DT_E_NOMEM;
	*used += n;
	return 0;
}

static int on_control(struct dt_fs *fs, const uint8_t *p, size_t len, uint8_t *reply, size_t cap, size_t *used)
{
	fstrm_control_type type;
	int matches;

	if (fstrm_control_decode(fs->ctl, p, len, 0) != fstrm_res_success ||
	    fstrm_control_get_type(fs->ctl, &type) != fstrm_res_success)
		return DT_E_GARBAGE;
	matches = fstrm_control_match_field_content_type(fs->ctl, (const uint8_t *)DT_CONTENT_TYPE,
	                                                 strlen(DT_CONTENT_TYPE)) == fstrm_res_success;
	switch (type) {
	case FSTRM_CONTROL_READY:
		/* A sender may offer several content types; we take only dnstap. */
		if (fs->state != DT_FS_OPEN || fs->bidirectional)
			return DT_E_GARBAGE;
		if (!matches)
			return DT_E_CONTENT_TYPE;
		fs->bidirectional = 1;
		return reply_control(fs, FSTRM_CONTROL_ACCEPT, reply, cap, used);
	case FSTRM_CONTROL_START:
		if (fs->state != DT_FS_OPEN)
			return DT_E_GARBAGE;
		if (!matches)
			return DT_E_CONTENT_TYPE;
		fs->state = DT_FS_DATA;
		return 0;
	case FSTRM_CONTROL_STOP:
		if (fs->state != DT_FS_DATA)
			return DT_E_GARBAGE;
		fs->state = DT_FS_STOPPED;
		return fs->bidirectional ? reply_control(fs, FSTRM_CONTROL_FINISH, reply, cap, used) : 0;
	case FSTRM_CONTROL_ACCEPT:
	case FSTRM_CONTROL_FINISH:
		return DT_E_GARBAGE; /* what a receiver sends, not a sender */
	default:
		/* Frame Streams: unknown control frames are ignored in a stream. */
		return fs->state == DT_FS_DATA ? 0 : DT_E_GARBAGE;
	}
}

long dt_fs_feed(struct dt_fs *fs, const uint8_t *buf, size_t len, dt_data_fn on_data, void *arg, uint8_t *reply,
                size_t reply_cap, size_t *reply_len)
{
	size_t off = 0;
	int rc;

	while (fs->state != DT_FS_STOPPED && len - off >= 4) {
		uint32_t flen = get32(buf + off);
		if (flen == 0) {
			if (len - off < 8)
				break;
			uint32_t clen = get32(buf + off + 4);
			if (clen > FSTRM_CONTROL_FRAME_LENGTH_MAX)
				return DT_E_OVERSIZED;
			if (len - off - 8 < clen)
				break;
			/* Room for the longest reply (an ACCEPT) before we take it. */
			if (reply_cap - *reply_len < FSTRM_CONTROL_FRAME_LENGTH_MAX + 8)
				break;
			if ((rc = on_control(fs, buf + off + 8, clen, reply, reply_cap, reply_len)) < 0)
				return rc;
			off += 8 + (size_t)clen;
			continue;
		}
		if (fs->state != DT_FS_DATA)
			return DT_E_GARBAGE;
		if (flen > DT_FRAME_MAX)
			return DT_E_OVERSIZED;
		if (len - off - 4 < flen)
			break;
		if ((rc = on_data(arg, buf + off + 4, flen)) < 0)
			return rc;
		off += 4 + (size_t)flen;
	}
	return (long)off;
}

/* ---- scratch memory for protobuf-c ------------------------------------------------ */

/* protobuf-c copies every bytes field and keeps unknown fields: a frame
 * of DT_FRAME_MAX made of tiny unknown fields expands several times. A
 * message that does not fit is refused as not dnstap. */
#define SCRATCH_SIZE (1u << 20)

struct dt_scratch {
	ProtobufCAllocator alloc;
	size_t used;
	_Alignas(16) uint8_t mem[SCRATCH_SIZE];
};

static void *scratch_alloc(void *data, size_t size)
{
	struct dt_scratch *s = data;
	size = (size + 15) & ~(size_t)15;
	if (size > SCRATCH_SIZE - s->used)
		return NULL;
	void *p = s->mem + s->used;
	s->used += size;
	return p;
}

static void scratch_release(void *data, void *ptr)
{
	(void)data; /* everything goes at once, at the next message */
	(void)ptr;
}

struct dt_scratch *dt_scratch_new(void)
{
	struct dt_scratch *s = aligned_alloc(16, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->alloc.alloc = scratch_alloc;
	s->alloc.free = scratch_release;
	s->alloc.allocator_data = s;
	s->used = 0;
	return s;
}

void dt_scratch_free(struct dt_scratch *s)
{
	free(s);
}

/* ---- DNS responses ------------------------------------------------------------- */

/* Answer records compared per response: a switched name's side has a
 * CNAME or an address set, a few records. More are not looked at. */
#define RR_MAX 64

struct parsed {
	uint8_t lname[WIRE_NAME_MAX];
	uint8_t lname_len;
	uint16_t qtype;
	uint8_t rcode;
	uint16_t n;            /* answer records fingerprinted */
	uint64_t h[RR_MAX];
	uint8_t ecs_family, ecs_prefix, ecs_addr[16];
};

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Read the (maybe compressed) name at *OFF into OUT, lower case; *OFF
 * moves past it in place. Returns its length or -1. */
static int read_name(const uint8_t *m, size_t len, size_t *off, uint8_t *out)
{
	size_t p = *off, n = 0;
	int jumped = 0, hops = 0;

	for (;;) {
		if (p >= len)
			return -1;
		uint8_t l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > WIRE_LABELS_MAX)
				return -1;
			if (!jumped)
				*off = p + 2;
			jumped = 1;
			p = (size_t)(l & 0x3f) << 8 | m[p + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;
		if (n + l + 1 > WIRE_NAME_MAX || p + 1 + l > len)
			return -1;
		out[n++] = l;
		for (unsigned i = 0; i < l; i++) {
			uint8_t c = m[p + 1 + i];
			out[n++] = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
		}
		p += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	if (!jumped)
		*off = p;
	return (int)n;
}

/* One record's identity: its type and data, names in it expanded and
 * lower-cased (a CNAME target compresses differently in every server). */
static uint64_t fingerprint(const uint8_t *m, size_t rdata, uint16_t rdlen, uint16_t type)
{
	uint8_t t[2] = { (uint8_t)(type >> 8), (uint8_t)type };
	uint64_t h = fnv(0xcbf29ce484222325ull, t, 2);
	if (type == TYPE_CNAME || type == TYPE_NS || type == TYPE_PTR || type == 39 /* DNAME */) {
		uint8_t name[WIRE_NAME_MAX];
		size_t off = rdata;
		int n = read_name(m, rdata + rdlen, &off, name);
		if (n > 0)
			return fnv(h, name, (size_t)n);
	}
	return fnv(h, m + rdata, rdlen);
}

/* The Client Subnet option of an OPT record's data (RFC 7871 6). */
static void read_ecs(const uint8_t *p, size_t n, struct parsed *out)
{
	for (size_t o = 0; o + 4 <= n;) {
		uint16_t code = wire_get16(p + o), olen = wire_get16(p + o + 2);
		if (o + 4 + olen > n)
			return;
		if (code == 8 && olen >= 4) {
			uint16_t fam = wire_get16(p + o + 4);
			uint8_t src = p[o + 6];
			size_t bytes = olen - 4u;
			if ((fam == 1 && src <= 32 && bytes <= 4) || (fam == 2 && src <= 128 && bytes <= 16)) {
				out->ecs_family = (uint8_t)fam;
				out->ecs_prefix = src;
				memset(out->ecs_addr, 0, 16);
				memcpy(out->ecs_addr, p + o + 8, bytes);
			}
			return;
		}
		o += 4 + (size_t)olen;
	}
}

/* Parse response M: question, answer fingerprints, ECS. 0 or -1. */
static int parse_response(const uint8_t *m, size_t len, struct parsed *out)
{
	size_t off = WIRE_HEADER_LEN;
	uint16_t an, ns, ar;
	int n;

	out->n = 0;
	out->ecs_family = 0;
	if (len < WIRE_HEADER_LEN || !(m[2] & 0x80) || (m[2] & 0x78) != 0 || wire_get16(m + 4) != 1)
		return -1;
	out->rcode = m[3] & 0x0f;
	an = wire_get16(m + 6);
	ns = wire_get16(m + 8);
	ar = wire_get16(m + 10);
	if ((n = read_name(m, len, &off, out->lname)) < 0 || off + 4 > len)
		return -1;
	out->lname_len = (uint8_t)n;
	out->qtype = wire_get16(m + off);
	off += 4;
	for (unsigned i = 0; i < (unsigned)an + ns + ar; i++) {
		uint8_t owner[WIRE_NAME_MAX];
		if (read_name(m, len, &off, owner) < 0 || off + 10 > len)
			return -1;
		uint16_t type = wire_get16(m + off), rdlen = wire_get16(m + off + 8);
		size_t rdata = off + 10;
		if (rdata + rdlen > len)
			return -1;
		if (i < an && out->n < RR_MAX)
			out->h[out->n++] = fingerprint(m, rdata, rdlen, type);
		else if (i >= (unsigned)an + ns && type == TYPE_OPT)
			read_ecs(m + rdata, rdlen, out);
		off = rdata + rdlen;
	}
	return 0;
}

/* ---- the matcher ----------------------------------------------------------------- */

/* What a switch answers per query type bucket: A, AAAA, and everything
 * else (a CNAME side answers every type with its CNAME, an address side
 * other types with no data), and per side. */
enum { BUCKET_A,
       BUCKET_AAAA,
       BUCKET_OTHER,
       BUCKETS };
static const uint16_t bucket_qtype[BUCKETS] = { TYPE_A, TYPE_AAAA, 65 /* HTTPS, a type switches never hold */ };

struct sig {
	uint32_t off; /* into the matcher's hash pool */
	uint16_t n;
	uint8_t valid; /* the view had an answer */
};

struct msw {
	uint32_t id;
	uint32_t name_off; /* into the name pool */
	uint8_t name_len;
	struct sig sig[BUCKETS][2];
};

struct dt_matcher {
	struct msw *sw;
	size_t n;
	uint32_t *table; /* index into sw + 1; 0: empty */
	size_t mask;
	uint64_t *hashes;
	size_t n_hashes, cap_hashes;
	uint8_t *names;
	size_t n_names, cap_names;
};

static int bucket_of(uint16_t qtype)
{
	return qtype == TYPE_A ? BUCKET_A : qtype == TYPE_AAAA ? BUCKET_AAAA
	                                                       : BUCKET_OTHER;
}

static uint64_t name_hash(const uint8_t *name, size_t len)
{
	return fnv(0xcbf29ce484222325ull, name, len);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	void *n = realloc(*p, c * size);
	if (n == NULL)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

static int add_sig(struct dt_matcher *m, struct sig *sg, const struct parsed *r)
{
	if (grow((void **)&m->hashes, &m->cap_hashes, m->n_hashes + r->n, sizeof(*m->hashes)) < 0)
		return -1;
	sg->off = (uint32_t)m->n_hashes;
	sg->n = r->n;
	sg->valid = r->rcode == RCODE_NOERROR;
	memcpy(m->hashes + m->n_hashes, r->h, r->n * sizeof(*r->h));
	m->n_hashes += r->n;
	return 0;
}

static const struct msw *find_switch(const struct dt_matcher *m, const uint8_t *name, size_t len)
{
	if (m == NULL || m->n == 0)
		return NULL;
	for (size_t i = (size_t)name_hash(name, len) & m->mask; m->table[i]; i = (i + 1) & m->mask) {
		const struct msw *s = &m->sw[m->table[i] - 1];
		if (s->name_len == len && memcmp(m->names + s->name_off, name, len) == 0)
			return s;
	}
	return NULL;
}

/* Compile switch IDX of V: both sides, each bucket. */
static int add_switch(struct dt_matcher *m, const struct view *v, size_t idx, uint8_t *buf, size_t cap,
                      struct parsed *r)
{
	struct msw s;
	memset(&s, 0, sizeof(s));
	s.id = (uint32_t)idx;
	for (int b = 0; b < BUCKETS; b++)
		for (int side = 0; side < 2; side++) {
			size_t n = view_switch_response(v, idx, view_sel((enum side)side, 0), bucket_qtype[b], buf, cap);
			if (n == 0 || parse_response(buf, n, r) < 0)
				continue;
			if (s.name_len == 0) {
				if (grow((void **)&m->names, &m->cap_names, m->n_names + r->lname_len, 1) < 0)
					return -1;
				s.name_off = (uint32_t)m->n_names;
				s.name_len = r->lname_len;
				memcpy(m->names + m->n_names, r->lname, r->lname_len);
				m->n_names += r->lname_len;
			}
			if (add_sig(m, &s.sig[b][side], r) < 0)
				return -1;
		}
	if (s.name_len == 0 || find_switch(m, m->names + s.name_off, s.name_len) != NULL)
		return 0;
	m->sw[m->n] = s;
	size_t i = (size_t)name_hash(m->names + s.name_off, s.name_len) & m->mask;
	while (m->table[i])
		i = (i + 1) & m->mask;
	m->table[i] = (uint32_t)++m->n;
	return 0;
}

struct dt_matcher *dt_matcher_build(const struct view *v)
{
	struct dt_matcher *m = calloc(1, sizeof(*m));
	size_t n = v ? view_switch_count(v) : 0, slots = 16;
	uint8_t *buf = malloc(65535);
	struct parsed *r = malloc(sizeof(*r));

	while (slots < 2 * n)
		slots *= 2;
	if (m == NULL || buf == NULL || r == NULL || (m->sw = calloc(n ? n : 1, sizeof(*m->sw))) == NULL ||
	    (m->table = calloc(slots, sizeof(*m->table))) == NULL)
		goto fail;
	m->mask = slots - 1;
	for (size_t i = 0; i < n; i++)
		if (add_switch(m, v, i, buf, 65535, r) < 0)
			goto fail;
	free(buf);
	free(r);
	return m;
fail:
	free(buf);
	free(r);
	dt_matcher_free(m);
	return NULL;
}

void dt_matcher_free(struct dt_matcher *m)
{
	if (m == NULL)
		return;
	free(m->sw);
	free(m->table);
	free(m->hashes);
	free(m->names);
	free(m);
}

size_t dt_matcher_switches(const struct dt_matcher *m)
{
	return m ? m->n : 0;
}

static int in_sig(const struct dt_matcher *m, const struct sig *sg, uint64_t h)
{
	for (uint16_t i = 0; i < sg->n; i++)
		if (m->hashes[sg->off + i] == h)
			return 1;
	return 0;
}

/*
 * The side whose records the answer holds: records only one side has
 * decide, records both have (an address in both sets) do not. An empty
 * answer (NODATA) is the side that has none for this type. Anything else,
 * a mix or records of neither, is left undecided: counted, not tracked.
 */
static int decide(const struct dt_matcher *m, const struct msw *s, const struct parsed *r)
{
	const struct sig *c = &s->sig[bucket_of(r->qtype)][0], *o = &s->sig[bucket_of(r->qtype)][1];
	unsigned only_c = 0, only_o = 0;

	if (r->rcode != RCODE_NOERROR || !c->valid || !o->valid || r->qtype == TYPE_ANY)
		return -1;
	if (r->n == 0)
		return c->n == 0 && o->n > 0 ? 0 : o->n == 0 && c->n > 0 ? 1
		                                                         : -1;
	for (uint16_t i = 0; i < r->n; i++) {
		int in_c = in_sig(m, c, r->h[i]), in_o = in_sig(m, o, r->h[i]);
		only_c += in_c && !in_o;
		only_o += in_o && !in_c;
	}
	return only_c && !only_o ? 0 : only_o && !only_c ? 1
	                                                 : -1;
}

int dt_match_response(const struct dt_matcher *m, const uint8_t *msg, size_t len, long *switch_id, uint16_t *qtype,
                      struct dt_msg *ecs_out)
{
	struct parsed r;
	const struct msw *s;

	*switch_id = -1;
	if (parse_response(msg, len, &r) < 0)
		return -1;
	*qtype = r.qtype;
	if (ecs_out != NULL && ecs_out->ecs_family == 0 && r.ecs_family != 0) {
		ecs_out->ecs_family = r.ecs_family;
		ecs_out->ecs_prefix = r.ecs_prefix;
		memcpy(ecs_out->ecs_addr, r.ecs_addr, 16);
	}
	if ((s = find_switch(m, r.lname, r.lname_len)) == NULL)
		return -1;
	*switch_id = s->id;
	return decide(m, s, &r);
}

/* ---- dnstap messages ----------------------------------------------------------------- */

static uint64_t ns_of(uint64_t sec, uint32_t nsec)
{
	/* Beyond year 2500 or a bad fraction: not a time we can use. */
	if (sec > 16725225600ull || nsec >= 1000000000u)
		return 0;
	return sec * 1000000000ull + nsec;
}

static void from_query(const struct dt_matcher *m, const uint8_t *q, size_t len, struct dt_msg *out)
{
	struct wire_query wq;
	if (wire_parse_query(q, len, &wq) != WIRE_OK)
		return;
	out->qtype = wq.qtype;
	if (wq.ecs_family != 0) {
		out->ecs_family = wq.ecs_family;
		out->ecs_prefix = wq.ecs_prefix;
		memcpy(out->ecs_addr, wq.ecs_addr, 16);
	}
	const struct msw *s = find_switch(m, wq.lname, wq.qname_len);
	if (s != NULL)
		out->switch_id = s->id;
}

int dt_decode(struct dt_scratch *s, const struct dt_matcher *m, const uint8_t *frame, size_t len, struct dt_msg *out)
{
	Dnstap__Dnstap *d;
	Dnstap__Message *msg;

	memset(out, 0, sizeof(*out));
	out->switch_id = -1;
	out->side = -1;
	s->used = 0;
	d = dnstap__dnstap__unpack(&s->alloc, len, frame);
	if (d == NULL)
		return DT_E_MESSAGE;
	if (d->has_identity && d->identity.len > 0) {
		out->identity = d->identity.data;
		out->identity_len = d->identity.len;
	}
	msg = d->message;
	if (d->type != DNSTAP__DNSTAP__TYPE__MESSAGE || msg == NULL)
		return 0;
	if (msg->type == DNSTAP__MESSAGE__TYPE__AUTH_QUERY)
		out->kind = DT_AUTH_QUERY;
	else if (msg->type == DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE)
		out->kind = DT_AUTH_RESPONSE;
	/* BIND logs its answer to a query with RD=1 (a forwarding resolver,
	 * a stub) as CLIENT_RESPONSE: with AA set it is an authoritative one.
	 * A recursive server's answers to its clients never have AA. */
	else if (msg->type == DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE && msg->has_response_message &&
	         msg->response_message.len > 2 && (msg->response_message.data[2] & 0x04))
		out->kind = DT_AUTH_RESPONSE;
	else
		return 0;
	if (msg->has_query_address && (msg->query_address.len == 4 || msg->query_address.len == 16)) {
		out->family = msg->query_address.len == 4 ? AF_INET : AF_INET6;
		memcpy(out->addr, msg->query_address.data, msg->query_address.len);
	}
	if (out->kind == DT_AUTH_RESPONSE && msg->has_response_time_sec)
		out->time_ns = ns_of(msg->response_time_sec, msg->has_response_time_nsec ? msg->response_time_nsec : 0);
	else if (msg->has_query_time_sec)
		out->time_ns = ns_of(msg->query_time_sec, msg->has_query_time_nsec ? msg->query_time_nsec : 0);
	/* An empty bytes field has no data pointer at all. */
	if (msg->has_query_message && msg->query_message.len > 0)
		from_query(m, msg->query_message.data, msg->query_message.len, out);
	if (out->kind == DT_AUTH_RESPONSE && msg->has_response_message && msg->response_message.len > 0)
		out->side = dt_match_response(m, msg->response_message.data, msg->response_message.len, &out->switch_id,
		                              &out->qtype, out);
	return 0;
}
