/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rcu.c -- see rcu.h. An epoch scheme: one global epoch, one counter per
 * reader slot holding the epoch its read-side section began in (0: none).
 *
 * Why rcu_synchronize() may free the old object once it returns. The
 * writer (view_publish) does
 *     W1 store the new pointer      W2 seq_cst fence, e = ++epoch
 *     W3 load every slot's counter, waiting while 0 < ctr < e
 * and a reader does
 *     R1 e' = load epoch (acquire)  R2 ctr = e', seq_cst fence
 *     R3 load the pointer, use it   R4 ctr = 0 (release)
 * Take one reader section and the writer's final load of its slot in W3:
 *  - It read 0 before R2 (the section had not begun). W1 and R2 each sit
 *    before a seq_cst fence, followed by W3 and R3: the fences are totally
 *    ordered, and as W3 did not see R2, the writer's fence came first, so R3
 *    sees W1 (C11 7.17.4: no store buffering across seq_cst fences). The
 *    reader holds the new pointer.
 *  - It read 0 from R4: the release pairs with the acquire load, so every
 *    use of the pointer in that section happened before the free.
 *  - It read ctr >= e: R1 read the epoch written by W2 or a later one; the
 *    acquire pairs with W2's release, so R3 sees W1. New pointer again.
 * A reader still at 0 < ctr < e may hold the old pointer: we wait, and
 * only for that slot's current section (a section that starts later reads
 * epoch >= e). A slot registered after W3 looked at it is the first case.
 *
 * Readers pay one store with a full fence per lock and one plain release
 * store per unlock; a worker takes the lock once per batch of packets.
 */
#include "lib/rcu.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* One cache line per reader, so a worker's lock/unlock stores do not make
 * the other workers' slots bounce between cores. */
struct slot {
	_Alignas(64) _Atomic uint64_t ctr; /* 0: not reading; else the epoch it entered in */
	_Atomic int used;
};

static struct slot slots[RCU_MAX_READERS];
/* Starts at 1 so that a reader's counter is never 0 inside a section. */
static _Atomic uint64_t epoch = 1;

/* A read-side section lasts one batch of packets: microseconds. Start
 * with a short sleep and back off to 1 ms rather than spin on a core a
 * worker may need (the writer is the control thread, which can wait). */
#define WAIT_MIN_NS 50000L
#define WAIT_MAX_NS 1000000L

int rcu_reader_register(void)
{
	for (int i = 0; i < RCU_MAX_READERS; i++) {
		int expected = 0;
		if (atomic_compare_exchange_strong(&slots[i].used, &expected, 1)) {
			atomic_store(&slots[i].ctr, 0);
			return i;
		}
	}
	return -ENOSPC;
}

void rcu_reader_unregister(int slot)
{
	if (slot < 0 || slot >= RCU_MAX_READERS)
		return;
	atomic_store(&slots[slot].ctr, 0);
	atomic_store(&slots[slot].used, 0);
}

void rcu_read_lock(int slot)
{
	uint64_t e = atomic_load_explicit(&epoch, memory_order_acquire);

	/* A relaxed store and a seq_cst fence: the same instructions as a
	 * seq_cst store on x86 (mov + mfence) but, unlike a seq_cst store
	 * followed by the view's acquire load, ordered by the C11 model itself
	 * (an ARMv8.3 LDAPR could otherwise pass the store). */
	atomic_store_explicit(&slots[slot].ctr, e, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

void rcu_read_unlock(int slot)
{
	atomic_store_explicit(&slots[slot].ctr, 0, memory_order_release);
}

void rcu_synchronize(void)
{
	uint64_t target;

	atomic_thread_fence(memory_order_seq_cst);
	target = atomic_fetch_add(&epoch, 1) + 1;
	for (int i = 0; i < RCU_MAX_READERS; i++) {
		long wait_ns = WAIT_MIN_NS;
		if (!atomic_load(&slots[i].used))
			continue;
		for (;;) {
			uint64_t c = atomic_load_explicit(&slots[i].ctr, memory_order_acquire);
			if (c == 0 || c >= target)
				break;
			struct timespec ts = { 0, wait_ns };
			nanosleep(&ts, NULL);
			if (wait_ns < WAIT_MAX_NS)
				wait_ns = wait_ns * 2 < WAIT_MAX_NS ? wait_ns * 2 : WAIT_MAX_NS;
		}
	}
}
