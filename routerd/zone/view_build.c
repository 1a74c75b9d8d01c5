/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view_build.c -- turn loaded zones and the configured switches into a
 * view: a name table whose every answer is precompiled (view_int.h).
 *
 * Everything the query path would otherwise decide per query is decided
 * here once: zone cuts, wildcards (RFC 4592), empty non-terminals, CNAME
 * chains inside the zone, referrals with glue, negative answers with the
 * RFC 2308 TTL, and both sides of every switch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "zone/compile.h"
#include "config.h"
#include "lib/log.h"
#include "zone/view.h"
#include "zone/view_int.h"
#include "zone/zone.h"

/* CNAME links followed inside a zone before giving up (a loop or an
 * absurd chain); resolvers follow whatever we leave out. */
#define CHAIN_MAX 8

/* ---- build-time tree ---------------------------------------------------- */

struct bset {
	uint16_t type;
	ldns_rr_list *rrs; /* not owned: RRs belong to the zone or the switch */
};

struct bnode {
	struct bnode *parent;
	struct bnode *hnext;     /* build hash chain */
	ldns_rdf *owner;         /* owner name as written (owned) */
	struct bset *sets;
	size_t n_sets;
	struct bnode *cut;       /* delegation at or above, or NULL */
	struct bnode *wild;      /* "*" child */
	struct node *out;
	int sw; /* switch index or -1 */
	int skip;                /* inside a more specific served zone */
	uint8_t len;
	uint8_t lname[WIRE_NAME_MAX];
};

struct bzone {
	struct zone_data *zd;
	struct bnode **hash;
	size_t hmask;
	struct bnode **all;
	size_t n_all, cap_all;
	struct bnode *apex;
	struct vzone *out;
	ldns_rr_list *soa_list;   /* the SOA as a one-RR list */
	uint32_t neg_ttl;         /* RFC 2308 5: min(SOA TTL, SOA MINIMUM) */
};

struct build {
	const struct config *cfg;
	struct view *v;
	struct arena *arena;
	struct bzone *zones;
	size_t n_zones;
	ldns_rr_list **owned_lists; /* RR lists made for switches */
	size_t n_owned, cap_owned;
	char *err;
	size_t errlen;
	const struct answers *empty; /* an empty non-terminal's answers */
};

static struct bnode *bz_find(const struct bzone *z, const uint8_t *lname, size_t len)
{
	struct bnode *n = z->hash[view_hash(lname, len) & z->hmask];
	for (; n != NULL; n = n->hnext)
		if (n->len == len && memcmp(n->lname, lname, len) == 0)
			return n;
	return NULL;
}

static int name_is_below(const uint8_t *name, size_t len, const uint8_t *apex, size_t apex_len)
{
	size_t i = 0;
	while (len - i > apex_len) {
		i += 1u + name[i];
		if (i >= len)
			return 0;
	}
	return len - i == apex_len && memcmp(name + i, apex, apex_len) == 0;
}

static int track(struct build *b, struct bzone *z, struct bnode *n)
{
	size_t need = z->n_all + 1, cap = z->cap_all ? z->cap_all : 64;
	if (need > z->cap_all) {
		while (cap < need)
			cap *= 2;
		struct bnode **all = realloc(z->all, cap * sizeof(*all));
		if (all == NULL)
			return -1;
		z->all = all;
		z->cap_all = cap;
	}
	z->all[z->n_all++] = n;
	(void)b;
	return 0;
}

/* Find or create the node for OWNER and every empty non-terminal up to the apex. */
static struct bnode *bz_get(struct build *b, struct bzone *z, const ldns_rdf *owner)
{
	uint8_t lname[WIRE_NAME_MAX];
	size_t len = ldns_rdf_size(owner);
	struct bnode *n, *child = NULL, *first = NULL;
	ldns_rdf *cur = ldns_rdf_clone(owner);

	while (cur != NULL) {
		len = ldns_rdf_size(cur);
		memcpy(lname, ldns_rdf_data(cur), len);
		wire_name_lower(lname, len);
		n = bz_find(z, lname, len);
		if (n != NULL) {
			ldns_rdf_deep_free(cur);
		} else {
			size_t h = view_hash(lname, len) & z->hmask;
			n = calloc(1, sizeof(*n));
			if (n == NULL || track(b, z, n) < 0) {
				free(n);
				ldns_rdf_deep_free(cur);
				return NULL;
			}
			n->owner = cur;
			n->len = (uint8_t)len;
			n->sw = -1;
			memcpy(n->lname, lname, len);
			n->hnext = z->hash[h];
			z->hash[h] = n;
		}
		if (first == NULL)
			first = n;
		if (child != NULL)
			child->parent = n;
		if (n->parent != NULL || n == z->apex || (z->apex == NULL && len == ldns_rdf_size(z->zd->origin)))
			break;
		child = n;
		cur = ldns_dname_left_chop(n->owner);
	}
	return first;
}

static struct bset *bnode_set(const struct bnode *n, uint16_t type)
{
	for (size_t i = 0; i < n->n_sets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	return NULL;
}

static int bnode_add_rr(struct bnode *n, ldns_rr *rr)
{
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	struct bset *s = bnode_set(n, type);
	if (s == NULL) {
		struct bset *sets = realloc(n->sets, (n->n_sets + 1) * sizeof(*sets));
		if (sets == NULL)
			return -1;
		n->sets = sets;
		s = &sets[n->n_sets++];
		s->type = type;
		s->rrs = ldns_rr_list_new();
		if (s->rrs == NULL)
			return -1;
	}
	return ldns_rr_list_push_rr(s->rrs, rr) ? 0 : -1;
}

static int cmp_set(const void *a, const void *b)
{
	return (int)((const struct bset *)a)->type - (int)((const struct bset *)b)->type;
}

static int bzone_load(struct build *b, struct bzone *z, const struct cfg_zone *cz)
{
	size_t n_rr, hsize = 1024;

	/* A file that cannot be read is the config's mistake: point there. */
	if (access(cz->file, R_OK) < 0) {
		snprintf(b->err, b->errlen, "%s:%d:%d: error: zone %s: cannot read %s: %s", b->cfg->path, cz->line, cz->col,
		         cz->name, cz->file, strerror(errno));
		return -1;
	}
	if (zone_load(cz->name, cz->file, &z->zd, b->err, b->errlen) < 0)
		return -1;
	n_rr = ldns_rr_list_rr_count(z->zd->rrs);
	while (hsize < n_rr * 2)
		hsize *= 2;
	z->hash = calloc(hsize, sizeof(*z->hash));
	if (z->hash == NULL)
		goto oom;
	z->hmask = hsize - 1;
	z->apex = bz_get(b, z, z->zd->origin);
	if (z->apex == NULL)
		goto oom;
	for (size_t i = 0; i < n_rr; i++) {
		ldns_rr *rr = ldns_rr_list_rr(z->zd->rrs, i);
		struct bnode *n = bz_get(b, z, ldns_rr_owner(rr));
		if (n == NULL || bnode_add_rr(n, rr) < 0)
			goto oom;
	}
	z->soa_list = ldns_rr_list_new();
	if (z->soa_list == NULL || !ldns_rr_list_push_rr(z->soa_list, z->zd->soa))
		goto oom;
	{
		uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(z->zd->soa, 6));
		uint32_t ttl = ldns_rr_ttl(z->zd->soa);
		z->neg_ttl = minimum < ttl ? minimum : ttl;
	}
	return 0;
oom:
	snprintf(b->err, b->errlen, "%s: error: out of memory", cz->file);
	return -1;
}

/* Cuts, wildcards, RRset order. */
static void bzone_adjust(struct bzone *z)
{
	for (size_t i = 0; i < z->n_all; i++) {
		struct bnode *n = z->all[i];
		if (n->n_sets > 1)
			qsort(n->sets, n->n_sets, sizeof(*n->sets), cmp_set);
		if (n->len > 2 && n->lname[0] == 1 && n->lname[1] == '*' && n->parent != NULL)
			n->parent->wild = n;
	}
	for (size_t i = 0; i < z->n_all; i++) {
		struct bnode *n = z->all[i];
		/* The highest NS-owning name strictly below the apex is the cut;
		 * anything below it is glue or occluded (RFC 2181 6). */
		for (struct bnode *a = n; a != NULL && a != z->apex; a = a->parent)
			if (bnode_set(a, TYPE_NS) != NULL)
				n->cut = a;
	}
}

/* ---- switches ----------------------------------------------------------- */

static ldns_rr_list *owned_list(struct build *b)
{
	ldns_rr_list *l = ldns_rr_list_new();
	if (l == NULL)
		return NULL;
	if (b->n_owned == b->cap_owned) {
		size_t cap = b->cap_owned ? b->cap_owned * 2 : 16;
		ldns_rr_list **o = realloc(b->owned_lists, cap * sizeof(*o));
		if (o == NULL) {
			ldns_rr_list_free(l);
			return NULL;
		}
		b->owned_lists = o;
		b->cap_owned = cap;
	}
	b->owned_lists[b->n_owned++] = l;
	return l;
}

static struct bzone *zone_of(struct build *b, const uint8_t *lname, size_t len)
{
	struct bzone *best = NULL;
	for (size_t i = 0; i < b->n_zones; i++) {
		struct bzone *z = &b->zones[i];
		if (name_is_below(lname, len, z->apex->lname, z->apex->len) &&
		    (best == NULL || z->apex->len > best->apex->len))
			best = z;
	}
	return best;
}

/* Records of one side of a switch as RRsets (one list per type). */
static int side_sets(struct build *b, const struct cfg_switch *s, const struct cfg_answer *side,
                     const ldns_rdf *owner, uint32_t ttl, struct bset out[2], size_t *n_out)
{
	char text[512], *name = ldns_rdf2str(owner);
	int rc = -1;

	*n_out = 0;
	if (name == NULL)
		return -1;
	if (side->cname != NULL) {
		ldns_rr *rr = NULL;
		out[0].type = TYPE_CNAME;
		out[0].rrs = owned_list(b);
		snprintf(text, sizeof(text), "%s %u IN CNAME %s", name, ttl, side->cname);
		if (out[0].rrs == NULL || ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK ||
		    !ldns_rr_list_push_rr(out[0].rrs, rr))
			goto done;
		*n_out = 1;
		rc = 0;
		goto done;
	}
	for (int fam = 0; fam < 2; fam++) {
		size_t count = fam == 0 ? side->n_a : side->n_aaaa;
		if (count == 0)
			continue;
		struct bset *set = &out[(*n_out)++];
		set->type = fam == 0 ? TYPE_A : TYPE_AAAA;
		set->rrs = owned_list(b);
		if (set->rrs == NULL)
			goto done;
		for (size_t i = 0; i < count; i++) {
			char addr[64];
			ldns_rr *rr = NULL;
			inet_ntop(fam == 0 ? AF_INET : AF_INET6, fam == 0 ? (const void *)&side->a[i] : (const void *)&side->aaaa[i],
			          addr, sizeof(addr));
			snprintf(text, sizeof(text), "%s %u IN %s %s", name, ttl, fam == 0 ? "A" : "AAAA", addr);
			if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK || !ldns_rr_list_push_rr(set->rrs, rr))
				goto done;
		}
	}
	rc = 0;
done:
	(void)s;
	free(name);
	return rc;
}

static int attach_switches(struct build *b)
{
	for (size_t i = 0; i < b->cfg->n_switches; i++) {
		const struct cfg_switch *s = &b->cfg->switches[i];
		ldns_rdf *owner = ldns_dname_new_frm_str(s->name);
		uint8_t lname[WIRE_NAME_MAX];
		struct bzone *z;
		struct bnode *n;

		if (owner == NULL) {
			snprintf(b->err, b->errlen, "%s:%d:%d: error: bad switch name %s", b->cfg->path, s->line, s->col, s->name);
			return -1;
		}
		memcpy(lname, ldns_rdf_data(owner), ldns_rdf_size(owner));
		wire_name_lower(lname, ldns_rdf_size(owner));
		z = zone_of(b, lname, ldns_rdf_size(owner));
		n = z ? bz_get(b, z, owner) : NULL;
		ldns_rdf_deep_free(owner);
		if (z == NULL || n == NULL) {
			snprintf(b->err, b->errlen, "%s:%d:%d: error: switch %s is not inside a served zone", b->cfg->path,
			         s->line, s->col, s->name);
			return -1;
		}
		if (n->lname[0] == 1 && n->lname[1] == '*') {
			snprintf(b->err, b->errlen, "%s:%d:%d: error: switch %s: a wildcard cannot be switched",
			         b->cfg->path, s->line, s->col, s->name);
			return -1;
		}
		n->sw = (int)i;
	}
	return 0;
}

/* ---- compiling answers ---------------------------------------------------- */

enum outcome_kind {
	OUT_DATA,
	OUT_EMPTY,
	OUT_NX,
	OUT_REFERRAL,
	OUT_EXTERNAL,
	OUT_DNAME,
};

struct outcome {
	enum outcome_kind kind;
	struct bnode *node; /* DATA, EMPTY: the node; REFERRAL: the cut; DNAME: its owner */
	int synthesized;    /* DATA from a wildcard: owner is the looked-up name */
	int at_cut;         /* REFERRAL for the delegation point itself */
	struct bzone *zone; /* the zone that answered */
};

/* The build-time node behind a node of the view. */
static struct bnode *bnode_of(struct build *b, const struct node *n)
{
	struct bzone *z = &b->zones[n->zone - b->v->zones];
	return bz_find(z, n->name, n->name_len);
}

/* What we serve for NAME, as a query for it would find it, in whichever
 * of our zones holds it (a CNAME may lead to another; NSD follows it too).
 * The view's table is complete before any answer is compiled, so this is
 * the query path's own walk (view_walk), over the same nodes. */
static struct outcome resolve(struct build *b, const ldns_rdf *name)
{
	uint8_t lname[WIRE_NAME_MAX];
	size_t len = ldns_rdf_size(name);
	struct outcome o = { OUT_EXTERNAL, NULL, 0, 0, NULL };
	struct walk w;

	memcpy(lname, ldns_rdf_data(name), len);
	wire_name_lower(lname, len);
	w = view_walk(b->v, lname, len);
	if (w.kind == WALK_NONE)
		return o;
	o.node = bnode_of(b, w.node);
	o.zone = &b->zones[w.node->zone - b->v->zones];
	switch (w.kind) {
	case WALK_NODE:
		if (o.node->cut != NULL) { /* a delegation point itself */
			o.kind = OUT_REFERRAL;
			o.at_cut = 1;
		} else {
			o.kind = o.node->n_sets ? OUT_DATA : OUT_EMPTY;
		}
		break;
	case WALK_REFERRAL:
		o.kind = OUT_REFERRAL;
		break;
	case WALK_WILD:
		o.kind = o.node->n_sets ? OUT_DATA : OUT_EMPTY;
		o.synthesized = 1;
		break;
	case WALK_NX:
		o.kind = OUT_NX;
		break;
	case WALK_DNAME:
		o.kind = OUT_DNAME;
		break;
	case WALK_NONE:
		break;
	}
	return o;
}

/* RFC 6672 2.2: NAME with the DNAME owner at DN replaced by its target, or
 * NULL when the result would exceed 255 octets (YXDOMAIN). */
static ldns_rdf *dname_substitute(const ldns_rdf *name, const struct bnode *dn)
{
	const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(bnode_set(dn, TYPE_DNAME)->rrs, 0), 0);
	size_t prefix = ldns_rdf_size(name) - dn->len, tlen = ldns_rdf_size(target);
	uint8_t buf[WIRE_NAME_MAX];

	if (prefix + tlen > WIRE_NAME_MAX)
		return NULL;
	memcpy(buf, ldns_rdf_data(name), prefix);
	memcpy(buf + prefix, ldns_rdf_data(target), tlen);
	wire_name_lower(buf, prefix + tlen);
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, prefix + tlen, buf);
}

/* The delegation point for zone Z in the served zone above it, or NULL
 * (we do not serve the parent, or it does not delegate Z); *PARENT set. */
static struct bnode *parent_cut(struct build *b, const struct bzone *z, struct bzone **parent)
{
	const struct bnode *apex = z->apex;
	size_t strip = 1u + apex->lname[0];
	struct bzone *pz;
	struct bnode *cut;

	if (apex->len <= 1)
		return NULL; /* the root has no parent */
	pz = zone_of(b, apex->lname + strip, apex->len - strip);
	cut = pz != NULL ? bz_find(pz, apex->lname, apex->len) : NULL;
	if (cut == NULL || cut->cut != cut)
		return NULL;
	if (parent != NULL)
		*parent = pz;
	return cut;
}

static int add_soa(struct bzone *z, struct blob_builder *bb)
{
	bb_serial_source(bb, &z->out->serial);
	return bb_add_rrset(bb, SEC_AUTHORITY, z->apex->owner, z->soa_list, z->neg_ttl);
}

/* A and AAAA of the NS targets that are in zone Z, glue included. */
static int add_glue(struct bzone *z, struct blob_builder *bb, const struct bset *ns)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(ns->rrs); i++) {
			const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(ns->rrs, i), 0);
			uint8_t lname[WIRE_NAME_MAX];
			struct bnode *t;
			struct bset *addr;
			int dup = 0;

			memcpy(lname, ldns_rdf_data(target), ldns_rdf_size(target));
			wire_name_lower(lname, ldns_rdf_size(target));
			t = bz_find(z, lname, ldns_rdf_size(target));
			if (t == NULL || (addr = bnode_set(t, pass == 0 ? TYPE_A : TYPE_AAAA)) == NULL)
				continue;
			/* A target named twice gets its addresses once. */
			for (size_t j = 0; j < i; j++)
				dup |= ldns_dname_compare(target, ldns_rr_rdf(ldns_rr_list_rr(ns->rrs, j), 0)) == 0;
			if (!dup && bb_add_rrset(bb, SEC_ADDITIONAL, t->owner, addr->rrs, COMPILE_TTL_ASIS) < 0)
				return -1;
		}
	}
	return 0;
}

/* NS of the cut in authority, then the glue. */
static int add_referral(struct bzone *z, struct blob_builder *bb, struct bnode *cut)
{
	struct bset *ns = bnode_set(cut, TYPE_NS);
	if (bb_add_rrset(bb, SEC_AUTHORITY, cut->owner, ns->rrs, COMPILE_TTL_ASIS) < 0)
		return -1;
	return add_glue(z, bb, ns);
}

/* An answer RRset. With minimal responses the additional section carries
 * only what a resolver needs: addresses of the servers an NS query names
 * (as NSD does); MX or SRV targets are left to a query of their own. */
static int add_answer_set(struct bzone *z, struct blob_builder *bb, const ldns_rdf *owner, const struct bset *set,
                          uint16_t qtype)
{
	if (set->type == TYPE_SOA)
		bb_serial_source(bb, &z->out->serial);
	if (bb_add_rrset(bb, SEC_ANSWER, owner, set->rrs, COMPILE_TTL_ASIS) < 0)
		return -1;
	return set->type == TYPE_NS && qtype == TYPE_NS ? add_glue(z, bb, set) : 0;
}

/* A response body for queries answered by SETS at a node.
 * OWNER NULL: owner is the query name (wildcard). QTYPE 0: "other type". */
struct node_ctx {
	struct build *b;
	struct bzone *z;
	const uint8_t *anchor;
	size_t anchor_len;
	int exact;
	const ldns_rdf *owner;
	const struct bset *sets;
	size_t n_sets;
	struct bnode *self; /* the node answering: a chain back to it is a loop */
};

static const struct bset *ctx_set(const struct node_ctx *c, uint16_t type)
{
	for (size_t i = 0; i < c->n_sets; i++)
		if (c->sets[i].type == type)
			return &c->sets[i];
	return NULL;
}

static const struct blob *finish(struct node_ctx *c, struct blob_builder *bb, int rc, uint8_t rcode)
{
	const struct blob *out = rc == 0 ? bb_finish(bb, c->b->arena, rcode, 1) : NULL;
	bb_free(bb);
	return out;
}

/* A DNAME in a chain (RFC 6672 3.1): its RRset and the CNAME it
 * synthesizes for TARGET go into BB; *NEXT is the substituted name (the
 * caller frees it), NULL when too long (YXDOMAIN, RFC 6672 2.2). */
static int add_dname_step(struct build *b, struct blob_builder *bb, const struct bnode *dn, const ldns_rdf *target,
                          ldns_rdf **next)
{
	const struct bset *set = bnode_set(dn, TYPE_DNAME);
	ldns_rr_list *l;
	ldns_rr *rr;

	*next = NULL;
	if (bb_add_rrset(bb, SEC_ANSWER, dn->owner, set->rrs, COMPILE_TTL_ASIS) < 0)
		return -1;
	*next = dname_substitute(target, dn);
	if (*next == NULL)
		return 0;
	l = owned_list(b);
	rr = ldns_rr_new();
	if (l == NULL || rr == NULL) {
		ldns_rr_free(rr);
		return -1;
	}
	ldns_rr_set_owner(rr, ldns_rdf_clone(target));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_CNAME);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ldns_rr_ttl(ldns_rr_list_rr(set->rrs, 0)));
	if (!ldns_rr_push_rdf(rr, ldns_rdf_clone(*next)) || !ldns_rr_list_push_rr(l, rr)) {
		ldns_rr_free(rr);
		return -1;
	}
	return bb_add_rrset(bb, SEC_ANSWER, target, l, COMPILE_TTL_ASIS);
}

/* Follow the CNAME at the node for QTYPE (0: a type nobody has) inside the zone. */
static const struct blob *compile_chain(struct node_ctx *c, const struct bset *cname, uint16_t qtype)
{
	struct blob_builder *bb = bb_new(c->anchor, c->anchor_len, c->exact);
	const ldns_rdf *target;
	uint8_t rcode = RCODE_NOERROR;
	int rc;
	struct bnode *seen[CHAIN_MAX + 1] = { c->self };
	size_t n_seen = 1;
	ldns_rdf *made[CHAIN_MAX] = { NULL }; /* names substituted by DNAMEs */
	size_t n_made = 0;

	if (bb == NULL)
		return NULL;
	rc = bb_add_rrset(bb, SEC_ANSWER, c->owner, cname->rrs, COMPILE_TTL_ASIS);
	target = ldns_rr_rdf(ldns_rr_list_rr(cname->rrs, 0), 0);
	while (rc == 0) {
		struct outcome o = resolve(c->b, target);
		const ldns_rdf *owner;
		struct bset *next, *want;
		int loop = 0;

		if (o.kind == OUT_EXTERNAL)
			break;
		if (o.kind == OUT_DNAME) {
			if (n_made == CHAIN_MAX)
				break;
			rc = add_dname_step(c->b, bb, o.node, target, &made[n_made]);
			if (rc == 0 && made[n_made] == NULL)
				rcode = RCODE_YXDOMAIN;
			if (rc < 0 || made[n_made] == NULL)
				break;
			target = made[n_made++];
			continue;
		}
		if (o.kind == OUT_NX || o.kind == OUT_EMPTY) {
			rcode = o.kind == OUT_NX ? RCODE_NXDOMAIN : RCODE_NOERROR; /* RFC 6604 3 */
			rc = add_soa(o.zone, bb);
			break;
		}
		if (o.kind == OUT_REFERRAL && o.at_cut && qtype == TYPE_DS) {
			/* DS lives on the parent side of the cut (RFC 4035 3.1.4.1). */
			struct bset *ds = bnode_set(o.node, TYPE_DS);
			rc = ds ? bb_add_rrset(bb, SEC_ANSWER, o.node->owner, ds->rrs, COMPILE_TTL_ASIS) : add_soa(o.zone, bb);
			break;
		}
		if (o.kind == OUT_REFERRAL) {
			rc = add_referral(o.zone, bb, o.node);
			break;
		}
		if (qtype == TYPE_DS && o.node == o.zone->apex && !o.synthesized) {
			/* A child apex whose parent we serve too: DS from the parent side. */
			struct bzone *pz = NULL;
			struct bnode *cut = parent_cut(c->b, o.zone, &pz);
			struct bset *ds = cut ? bnode_set(cut, TYPE_DS) : NULL;
			if (cut != NULL) {
				rc = ds ? bb_add_rrset(bb, SEC_ANSWER, cut->owner, ds->rrs, COMPILE_TTL_ASIS) : add_soa(pz, bb);
				break;
			}
		}
		/* A switched name changes under us: leave it to the resolver. */
		if (o.node->sw >= 0)
			break;
		owner = o.synthesized ? target : o.node->owner;
		for (size_t i = 0; i < n_seen; i++)
			loop |= seen[i] == o.node;
		next = bnode_set(o.node, TYPE_CNAME);
		if (next != NULL && qtype != TYPE_CNAME) {
			if (loop || n_seen > CHAIN_MAX)
				break;
			seen[n_seen++] = o.node;
			rc = bb_add_rrset(bb, SEC_ANSWER, owner, next->rrs, COMPILE_TTL_ASIS);
			target = ldns_rr_rdf(ldns_rr_list_rr(next->rrs, 0), 0);
			continue;
		}
		want = qtype ? bnode_set(o.node, qtype) : NULL;
		if (want != NULL)
			rc = add_answer_set(o.zone, bb, owner, want, qtype);
		else
			rc = add_soa(o.zone, bb);
		break;
	}
	for (size_t i = 0; i < n_made; i++)
		ldns_rdf_deep_free(made[i]);
	return finish(c, bb, rc, rcode);
}

/* The node a chain from CNAME ends on, when it ends on data (else NULL). */
static struct bnode *chain_end(struct build *b, const struct bset *cname)
{
	const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(cname->rrs, 0), 0);
	ldns_rdf *made = NULL; /* the name a DNAME substituted, owned here */
	struct bnode *end = NULL;

	for (int hops = 0; hops < 2 * CHAIN_MAX; hops++) {
		struct outcome o = resolve(b, target);
		struct bset *next;
		if (o.kind == OUT_DNAME) {
			ldns_rdf *sub = dname_substitute(target, o.node);
			ldns_rdf_deep_free(made);
			made = sub;
			target = sub;
			if (sub == NULL)
				break;
			continue;
		}
		if (o.kind != OUT_DATA || o.node->sw >= 0)
			break;
		next = bnode_set(o.node, TYPE_CNAME);
		if (next == NULL) {
			end = o.node;
			break;
		}
		target = ldns_rr_rdf(ldns_rr_list_rr(next->rrs, 0), 0);
	}
	ldns_rdf_deep_free(made);
	return end;
}

/* The answer to a query for SET's type at the node. */
static const struct blob *compile_set(struct node_ctx *c, const struct bset *set)
{
	struct blob_builder *bb = bb_new(c->anchor, c->anchor_len, c->exact);
	if (bb == NULL)
		return NULL;
	return finish(c, bb, add_answer_set(c->z, bb, c->owner, set, set->type), RCODE_NOERROR);
}

/* RFC 8482 4.1: ANY gets one RRset. Like NSD, prefer small, popular types
 * and avoid DNSSEC ones; the same RRset over UDP and TCP. */
static const struct bset *any_choice(const struct bset *sets, size_t n)
{
	const struct bset *normal = NULL, *last_resort = NULL;
	/* At an apex the SOA: zone files begin with it, and NSD, which takes
	 * the first preferred RRset in file order, answers with it too. */
	for (size_t i = 0; i < n; i++)
		if (sets[i].type == TYPE_SOA)
			return &sets[i];
	for (size_t i = 0; i < n; i++) {
		switch (sets[i].type) {
		case TYPE_A:
		case TYPE_AAAA:
		case TYPE_SOA:
		case TYPE_MX:
		case TYPE_PTR:
			return &sets[i];
		case LDNS_RR_TYPE_DNSKEY:
		case LDNS_RR_TYPE_RRSIG:
		case LDNS_RR_TYPE_NSEC:
			if (last_resort == NULL)
				last_resort = &sets[i];
			break;
		default:
			if (normal == NULL)
				normal = &sets[i];
		}
	}
	return normal ? normal : last_resort;
}

static const struct answers *compile_answers(struct node_ctx *c)
{
	struct arena *a = c->b->arena;
	struct answers *ans = arena_alloc(a, sizeof(*ans));
	struct typed_blob *types;
	const struct bset *cname = ctx_set(c, TYPE_CNAME);
	size_t n = 0;

	if (ans == NULL)
		return NULL;
	if (cname != NULL) {
		struct bnode *end = chain_end(c->b, cname);
		size_t n_end = end ? end->n_sets : 0;
		types = arena_alloc(a, (n_end + 2) * sizeof(*types));
		if (types == NULL)
			return NULL;
		/* Types at the chain's end, with CNAME itself slotted in type order. */
		for (size_t i = 0; i <= n_end; i++) {
			uint16_t t = i < n_end ? end->sets[i].type : 0;
			if (t == TYPE_CNAME)
				continue;
			if ((t == 0 || t > TYPE_CNAME) && (n == 0 || types[n - 1].type < TYPE_CNAME)) {
				types[n].type = TYPE_CNAME;
				types[n++].blob = compile_set(c, cname);
			}
			if (t == 0)
				break;
			types[n].type = t;
			types[n++].blob = compile_chain(c, cname, t);
		}
		/* DS: a chain that ends at a delegation point, or at the apex of a
		 * child whose parent we serve, answers it from the parent side. */
		if (end == NULL || bnode_set(end, TYPE_DS) == NULL) {
			types[n].type = TYPE_DS;
			types[n++].blob = compile_chain(c, cname, TYPE_DS);
		}
		ans->other = compile_chain(c, cname, 0);
		ans->any_udp = ans->any_tcp = NULL;
		for (size_t i = 0; i < n; i++)
			if (types[i].type == TYPE_CNAME)
				ans->any_udp = ans->any_tcp = types[i].blob;
	} else {
		types = arena_alloc(a, (c->n_sets ? c->n_sets : 1) * sizeof(*types));
		if (types == NULL)
			return NULL;
		const struct bset *any = any_choice(c->sets, c->n_sets);
		for (size_t i = 0; i < c->n_sets; i++) {
			types[n].type = c->sets[i].type;
			types[n++].blob = compile_set(c, &c->sets[i]);
			if (any == &c->sets[i])
				ans->any_udp = ans->any_tcp = types[n - 1].blob;
		}
		ans->other = c->z->out->nodata;
		if (any == NULL)
			ans->any_udp = ans->any_tcp = ans->other;
	}
	for (size_t i = 0; i < n; i++)
		if (types[i].blob == NULL)
			return NULL;
	if (ans->other == NULL || ans->any_tcp == NULL)
		return NULL;
	ans->n_types = (uint16_t)n;
	ans->types = types;
	return ans;
}

/* The RRsets a switched node serves under selector SEL: the zone's own
 * data for other types, plus the side's CNAME or addresses. */
static size_t switched_sets(struct build *b, struct bnode *n, unsigned sel, struct bset *out, size_t cap)
{
	const struct cfg_switch *s = &b->cfg->switches[n->sw];
	const struct cfg_answer *side = view_sel_side(sel) == SIDE_ORIGIN ? &s->origin : &s->cdn;
	uint32_t ttl = (sel & VIEW_SEL_ARMED) ? s->p.ttl_armed : s->p.ttl;
	struct bset extra[2];
	size_t k = 0, n_extra;

	if (side_sets(b, s, side, n->owner, ttl, extra, &n_extra) < 0)
		return (size_t)-1;
	if (side->cname == NULL) {
		for (size_t i = 0; i < n->n_sets && k < cap; i++) {
			uint16_t t = n->sets[i].type;
			if (t != TYPE_A && t != TYPE_AAAA && t != TYPE_CNAME)
				out[k++] = n->sets[i];
		}
	}
	for (size_t i = 0; i < n_extra && k < cap; i++)
		out[k++] = extra[i];
	if (k > 1)
		qsort(out, k, sizeof(*out), cmp_set);
	return k;
}

static int compile_node(struct build *b, struct bzone *z, struct bnode *n)
{
	struct node *out = n->out;
	int wild = n->lname[0] == 1 && n->lname[1] == '*';
	struct node_ctx c = { b, z, n->lname, n->len, 1, n->owner, n->sets, n->n_sets, n };

	if (wild) {
		/* Synthesized answers (RFC 4592 3.3.1): the owner is whatever name
		 * was asked; it ends with the wildcard's parent, the anchor. */
		c.anchor = n->parent->lname;
		c.anchor_len = n->parent->len;
		c.exact = 0;
		c.owner = NULL;
	}
	if (n->cut != NULL) {
		/* Only DS is answered authoritatively at a cut (RFC 4035 3.1.4.1). */
		struct bset *ds = n->cut == n ? bnode_set(n, TYPE_DS) : NULL;
		if (n->cut == n) {
			struct blob_builder *bb = bb_new(n->lname, n->len, 0);
			if (bb == NULL)
				return -1;
			int rc = add_referral(z, bb, n);
			out->referral = rc == 0 ? bb_finish(bb, b->arena, RCODE_NOERROR, 0) : NULL;
			bb_free(bb);
			if (out->referral == NULL)
				return -1;
		}
		c.sets = ds;
		c.n_sets = ds ? 1 : 0;
		out->ans = compile_answers(&c);
		return out->ans ? 0 : -1;
	}
	if (out->flags & NODE_DNAME) {
		/* For the names below the owner: the DNAME RRset, anchored at
		 * the owner; answer.c adds the CNAME (RFC 6672 3.1). */
		struct blob_builder *bb = bb_new(n->lname, n->len, 0);
		const struct blob *d;
		if (bb == NULL)
			return -1;
		int rc = bb_add_rrset(bb, SEC_ANSWER, n->owner, bnode_set(n, TYPE_DNAME)->rrs, COMPILE_TTL_ASIS);
		d = rc == 0 ? bb_finish(bb, b->arena, RCODE_NOERROR, 1) : NULL;
		bb_free(bb);
		/* The layout answer.c reads: a pointer for the owner, the
		 * fixed fields, then the target whole. */
		if (d == NULL || d->len < DNAME_TARGET_OFF + 1 || (d->data[0] & 0xc0) != 0xc0)
			return -1;
		out->referral = d;
	}
	if (n->n_sets == 0 && n->sw < 0) {
		out->ans = b->empty;
		return 0;
	}
	if (n->sw < 0) {
		out->ans = compile_answers(&c);
		return out->ans ? 0 : -1;
	}
	struct answers *four = arena_alloc(b->arena, 4 * sizeof(*four));
	if (four == NULL)
		return -1;
	for (unsigned sel = 0; sel < 4; sel++) {
		struct bset sets[64];
		size_t k = switched_sets(b, n, sel, sets, 64);
		const struct answers *one;
		if (k == (size_t)-1)
			return -1;
		c.sets = sets;
		c.n_sets = k;
		one = compile_answers(&c);
		if (one == NULL)
			return -1;
		four[sel] = *one;
	}
	out->ans = four;
	return 0;
}

static const struct blob *negative_blob(struct build *b, struct bzone *z, uint8_t rcode)
{
	struct blob_builder *bb = bb_new(z->apex->lname, z->apex->len, 0);
	const struct blob *out = NULL;
	if (bb != NULL && add_soa(z, bb) == 0)
		out = bb_finish(bb, b->arena, rcode, 1);
	bb_free(bb);
	return out;
}

/* ---- assembling the view ------------------------------------------------ */

static int table_insert(struct view *v, const struct node *n)
{
	size_t i = (size_t)view_hash(n->name, n->name_len) & v->mask;
	while (v->table[i] != NULL)
		i = (i + 1) & v->mask;
	v->table[i] = n;
	return 0;
}

static int parent_side_ds(struct build *b);

static int assemble(struct build *b)
{
	struct view *v = b->v;
	size_t total = 0, size = 16;

	/* A name inside a more specific zone we also serve belongs to that zone. */
	for (size_t zi = 0; zi < b->n_zones; zi++) {
		struct bzone *z = &b->zones[zi];
		for (size_t i = 0; i < z->n_all; i++) {
			struct bnode *n = z->all[i];
			struct bzone *owner = zone_of(b, n->lname, n->len);
			n->skip = owner != z;
			total += !n->skip;
		}
	}
	while (size < total * 2)
		size *= 2;
	v->table = arena_alloc(b->arena, size * sizeof(*v->table));
	v->zones = arena_alloc(b->arena, (b->n_zones ? b->n_zones : 1) * sizeof(*v->zones));
	if (v->table == NULL || v->zones == NULL)
		return -1;
	v->mask = size - 1;
	v->n_zones = b->n_zones;
	for (size_t zi = 0; zi < b->n_zones; zi++) {
		struct bzone *z = &b->zones[zi];
		z->out = &v->zones[zi];
		atomic_init(&z->out->serial, ldns_rdf2native_int32(ldns_rr_rdf(z->zd->soa, 2)));
		for (size_t i = 0; i < z->n_all; i++) {
			struct bnode *n = z->all[i];
			n->out = arena_alloc(b->arena, sizeof(struct node) + n->len);
			if (n->out == NULL)
				return -1;
			n->out->zone = z->out;
			n->out->sw = n->sw;
			n->out->name_len = n->len;
			memcpy(n->out->name, n->lname, n->len);
		}
		z->out->apex = z->apex->out;
	}
	for (size_t zi = 0; zi < b->n_zones; zi++) {
		struct bzone *z = &b->zones[zi];
		for (size_t i = 0; i < z->n_all; i++) {
			struct bnode *n = z->all[i];
			n->out->cut = n->cut ? n->cut->out : NULL;
			n->out->wild = n->wild ? n->wild->out : NULL;
			/* A DNAME at or below a cut is the child's, occluded here. A
			 * wildcard DNAME (RFC 6672 5.3 leaves it open) is, as NSD and
			 * Knot serve it, wildcard data for the names it matches, and
			 * a DNAME for the names below the literal '*' owner. */
			if (n->cut == NULL && bnode_set(n, TYPE_DNAME) != NULL)
				n->out->flags |= NODE_DNAME;
			/* The table is complete before any answer is compiled: the
			 * builder follows chains with the query path's walk. */
			if (!n->skip)
				table_insert(v, n->out);
		}
		z->out->nxdomain = negative_blob(b, z, RCODE_NXDOMAIN);
		z->out->nodata = negative_blob(b, z, RCODE_NOERROR);
		if (z->out->nxdomain == NULL || z->out->nodata == NULL)
			return -1;
	}
	for (size_t zi = 0; zi < b->n_zones; zi++) {
		struct bzone *z = &b->zones[zi];
		struct answers *empty = arena_alloc(b->arena, sizeof(*empty));
		if (empty == NULL)
			return -1;
		empty->other = empty->any_udp = empty->any_tcp = z->out->nodata;
		b->empty = empty;
		for (size_t i = 0; i < z->n_all; i++) {
			struct bnode *n = z->all[i];
			if (compile_node(b, z, n) < 0)
				return -1;
		}
	}
	return parent_side_ds(b);
}

/* Make answers A give BLOB to queries for TYPE, in place of what it gave. */
static int set_type_blob(struct arena *arena, struct answers *a, uint16_t type, const struct blob *blob)
{
	struct typed_blob *t = arena_alloc(arena, (a->n_types + 1u) * sizeof(*t));
	uint16_t n = 0;

	if (t == NULL)
		return -1;
	for (uint16_t i = 0; i < a->n_types; i++)
		if (a->types[i].type != type)
			t[n++] = a->types[i];
	t[n].type = type;
	t[n++].blob = blob;
	a->types = t;
	a->n_types = n;
	return 0;
}

/*
 * DS lives on the parent side of a cut (RFC 4035 3.1.4.1). When we serve
 * both the parent and the child, the view keeps the child's apex for the
 * name, and its DS answer is taken from the parent's delegation point:
 * the DS RRset there, or the parent's NODATA.
 */
static int parent_side_ds(struct build *b)
{
	for (size_t zi = 0; zi < b->n_zones; zi++) {
		struct bzone *z = &b->zones[zi];
		struct bnode *apex = z->apex, *cut = parent_cut(b, z, NULL);

		if (cut == NULL || cut->out->ans == NULL)
			continue;
		const struct blob *ds = answers_find(cut->out->ans, TYPE_DS);
		struct answers *a = (struct answers *)apex->out->ans;
		for (unsigned sel = 0; sel < (apex->sw >= 0 ? 4u : 1u); sel++)
			if (set_type_blob(b->arena, &a[sel], TYPE_DS, ds) < 0)
				return -1;
	}
	return 0;
}

static int build_switch_table(struct build *b)
{
	struct view *v = b->v;
	v->n_switches = b->cfg->n_switches;
	v->switches = arena_alloc(b->arena, (v->n_switches ? v->n_switches : 1) * sizeof(*v->switches));
	if (v->switches == NULL)
		return -1;
	for (size_t i = 0; i < v->n_switches; i++) {
		const struct cfg_switch *s = &b->cfg->switches[i];
		v->switches[i].name = arena_dup(b->arena, s->name, strlen(s->name) + 1);
		if (v->switches[i].name == NULL)
			return -1;
		atomic_init(&v->switches[i].sel, (uint8_t)view_sel(s->p.home, 0));
	}
	for (size_t zi = 0; zi < b->n_zones; zi++)
		for (size_t i = 0; i < b->zones[zi].n_all; i++) {
			struct bnode *n = b->zones[zi].all[i];
			if (n->sw >= 0)
				v->switches[n->sw].node = n->out;
		}
	return view_index_switches(v);
}

static int check_switches(struct build *b)
{
	for (size_t zi = 0; zi < b->n_zones; zi++)
		for (size_t i = 0; i < b->zones[zi].n_all; i++) {
			struct bnode *n = b->zones[zi].all[i];
			const struct cfg_switch *s;
			if (n->sw < 0)
				continue;
			s = &b->cfg->switches[n->sw];
			if (n->cut != NULL) {
				char *cut = ldns_rdf2str(n->cut->owner);
				snprintf(b->err, b->errlen, "%s:%d:%d: error: switch %s is at or below the delegation %s",
				         b->cfg->path, s->line, s->col, s->name, cut ? cut : "?");
				free(cut);
				return -1;
			}
			for (struct bnode *a = n; a != NULL; a = a->parent) {
				if (bnode_set(a, TYPE_DNAME) == NULL)
					continue;
				char *dn = ldns_rdf2str(a->owner);
				snprintf(b->err, b->errlen,
				         "%s:%d:%d: error: switch %s is at or below the DNAME at %s: no query could reach it "
				         "(RFC 6672)",
				         b->cfg->path, s->line, s->col, s->name, dn ? dn : "?");
				free(dn);
				return -1;
			}
			if (n == b->zones[zi].apex && (s->cdn.cname || s->origin.cname)) {
				snprintf(b->err, b->errlen, "%s:%d:%d: error: switch %s is a zone apex: addresses only, no cname",
				         b->cfg->path, s->line, s->col, s->name);
				return -1;
			}
		}
	return 0;
}

static void build_free(struct build *b)
{
	for (size_t zi = 0; zi < b->n_zones; zi++) {
		struct bzone *z = &b->zones[zi];
		for (size_t i = 0; i < z->n_all; i++) {
			struct bnode *n = z->all[i];
			for (size_t s = 0; s < n->n_sets; s++)
				ldns_rr_list_free(n->sets[s].rrs);
			free(n->sets);
			ldns_rdf_deep_free(n->owner);
			free(n);
		}
		free(z->all);
		free(z->hash);
		ldns_rr_list_free(z->soa_list);
		zone_data_free(z->zd);
	}
	for (size_t i = 0; i < b->n_owned; i++)
		ldns_rr_list_deep_free(b->owned_lists[i]);
	free(b->owned_lists);
	free(b->zones);
}

int view_build(const struct config *cfg, struct view **out, char *err, size_t errlen)
{
	struct build b = { .cfg = cfg, .err = err, .errlen = errlen };
	int rc = -EINVAL;

	err[0] = '\0';
	b.v = calloc(1, sizeof(*b.v));
	b.arena = arena_new();
	b.zones = calloc(cfg->n_zones ? cfg->n_zones : 1, sizeof(*b.zones));
	if (b.v == NULL || b.arena == NULL || b.zones == NULL)
		goto done;
	b.v->arena = b.arena;
	b.v->udp_payload_max = (uint16_t)(cfg->udp_payload_max ? cfg->udp_payload_max : 1232);
	for (size_t i = 0; i < cfg->n_zones; i++) {
		b.n_zones = i + 1;
		if (bzone_load(&b, &b.zones[i], &cfg->zones[i]) < 0)
			goto done;
		bzone_adjust(&b.zones[i]);
	}
	if (attach_switches(&b) < 0)
		goto done;
	/* Switch nodes may be new names: they learn their cut here, and only
	 * then can a switch below a delegation be refused. */
	for (size_t i = 0; i < b.n_zones; i++)
		bzone_adjust(&b.zones[i]);
	if (check_switches(&b) < 0)
		goto done;
	if (assemble(&b) < 0 || build_switch_table(&b) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: error: cannot compile the zones (out of memory, or an answer over 64 KiB)",
			         cfg->path);
		goto done;
	}
	rc = 0;
done:
	build_free(&b);
	if (rc == 0) {
		*out = b.v;
		/* ldns's per-RR objects are gone: hand their pages back. */
		malloc_trim(0);
	} else {
		arena_free(b.arena);
		free(b.v);
	}
	return rc;
}
