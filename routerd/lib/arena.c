/* SPDX-License-Identifier: BSD-3-Clause */
/* arena.c -- see arena.h. */
#include "lib/arena.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 1 MiB chunks: large enough that chunk headers cost nothing, small enough
 * that a view of a few names does not reserve much. */
#define CHUNK_SIZE (1u << 20)

struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char mem[];
};

struct arena {
	struct chunk *head;
};

struct arena *arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct chunk *c = a->head;
	void *p;

	assert(a != NULL && size < SIZE_MAX - 7);
	size = (size + 7) & ~(size_t)7;
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > CHUNK_SIZE ? size : CHUNK_SIZE;
		/* calloc: pages come zeroed from the kernel, so this is cheap. */
		c = calloc(1, sizeof(*c) + want);
		if (c == NULL)
			return NULL;
		c->size = want;
		c->next = a->head;
		a->head = c;
	}
	p = c->mem + c->used;
	c->used += size;
	return p;
}

void *arena_dup(struct arena *a, const void *p, size_t size)
{
	void *q = arena_alloc(a, size);
	if (q != NULL && size > 0)
		memcpy(q, p, size);
	return q;
}

void arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	for (struct chunk *c = a->head, *next; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
