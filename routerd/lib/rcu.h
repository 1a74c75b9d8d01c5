/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rcu.h -- publish a pointer to readers that never lock, and learn when the
 * old one is no longer read.
 *
 * Each worker thread owns one reader slot. Around the work on one batch of
 * packets it calls rcu_read_lock()/rcu_read_unlock(); outside that it holds
 * no published pointer. rcu_synchronize() (control thread) returns once
 * every reader that may have seen the previous pointer has unlocked, so the
 * old object can be freed. Readers pay two atomic stores per batch.
 */
#ifndef ROUTERD_RCU_H
#define ROUTERD_RCU_H

/* Every worker's event loop and each of its UDP threads (one per listen
 * address) reads: 256 workers with three addresses each. */
#define RCU_MAX_READERS 1024

/* Claim a reader slot for the calling thread; returns its index, or
 * -ENOSPC when all RCU_MAX_READERS are taken. */
int rcu_reader_register(void);

/* Give a slot back (thread exit). */
void rcu_reader_unregister(int slot);

/* Enter / leave a read-side section on SLOT. Not nestable. */
void rcu_read_lock(int slot);
void rcu_read_unlock(int slot);

/* Wait until every read-side section that started before this call ended. */
void rcu_synchronize(void);

#endif
