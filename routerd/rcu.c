/*
 * rcu.c -- see rcu.h.
 *
 * Why it is safe: a reader stores the global epoch into its slot, then
 * loads the published pointer; the writer stores the new pointer, then
 * bumps the epoch, then reads every slot (all sequentially consistent). If
 * the writer sees a slot at 0 or at the new epoch, that reader either had
 * not started (and will load the new pointer, which was stored before) or
 * started after the bump. A slot holding an older epoch belongs to a reader
 * that may hold the old pointer: wait until it unlocks.
 */
#include "rcu.h"

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct slot {
	_Atomic uint64_t ctr; /* 0: not reading; else the epoch it entered in */
	_Atomic int used;
	char pad[64 - sizeof(uint64_t) - sizeof(int)]; /* one cache line per reader */
};

static struct slot slots[RCU_MAX_READERS];
static _Atomic uint64_t epoch = 1;

int rcu_reader_register(void)
{
	for (int i = 0; i < RCU_MAX_READERS; i++) {
		int expected = 0;
		if (atomic_compare_exchange_strong(&slots[i].used, &expected, 1)) {
			atomic_store(&slots[i].ctr, 0);
			return i;
		}
	}
	return -1;
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
	atomic_store(&slots[slot].ctr, atomic_load(&epoch));
}

void rcu_read_unlock(int slot)
{
	atomic_store_explicit(&slots[slot].ctr, 0, memory_order_release);
}

void rcu_synchronize(void)
{
	uint64_t target = atomic_fetch_add(&epoch, 1) + 1;

	for (int i = 0; i < RCU_MAX_READERS; i++) {
		long wait_ns = 20000;
		if (!atomic_load(&slots[i].used))
			continue;
		for (;;) {
			uint64_t c = atomic_load(&slots[i].ctr);
			if (c == 0 || c >= target)
				break;
			/* A reader holds a view for one batch of packets: microseconds.
			 * Back off up to 1 ms rather than spin on a shared core. */
			struct timespec ts = { 0, wait_ns };
			nanosleep(&ts, NULL);
			if (wait_ns < 1000000)
				wait_ns *= 2;
		}
	}
}
