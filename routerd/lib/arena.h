/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arena.h -- a bump allocator for a view: many small immutable objects
 * allocated while building, freed all at once with the view. It saves the
 * per-allocation overhead of malloc on millions of records.
 */
#ifndef ROUTERD_ARENA_H
#define ROUTERD_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
/* SIZE bytes aligned to 8, zeroed; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* A copy of SIZE bytes at P. */
void *arena_dup(struct arena *a, const void *p, size_t size);
void arena_free(struct arena *a);

#endif
